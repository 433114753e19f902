"""What the console's session and its command modules share: contexts, the command record, errors.

A *context* is where the administrator stands: the server (the top, prompt ``<#>``), a domain
(``<domain#>``), an account, account class or group of that domain (``<domain-account#>``...), an
administrator (``<admin#>``) or an administrator group (``<admingroup#>``). A context
made by ``CREATE DOMAIN`` / ``ADD ACCOUNT`` is *pending*: its object does not exist until ``COMMIT``
(``BACK`` abandons it), and the settings set in it meanwhile are applied right after the object is made.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sidecars.net.errorcontrol import ErrorLimits

if TYPE_CHECKING:
    from sidecars.cli.session import CliSession
    from storage.store import Store

SERVER, DOMAIN, ACCOUNT, CLASS, GROUP = "server", "domain", "account", "class", "group"
ADMIN, ADMIN_GROUP = "admin", "admingroup"  # an administrator, an administrator group (under the top)
LOGIN = "login"  # not a context: the commands allowed before logging in
#: ``Command.server_right`` of work no permission names (storage's ``scope.require_server()``).
SERVER_WIDE = "server-wide"
ANY = frozenset({SERVER, DOMAIN, ACCOUNT, CLASS, GROUP, ADMIN, ADMIN_GROUP})

#: Control requests to the supervisor: (command, service or None) -> its reply (fieldpost.control).
ServiceControl = Callable[[str, "str | None"], dict[str, Any]]


class CommandFailed(Exception):
    """A command that was understood but cannot be done: answered ``-ERR: <message>``, not counted as
    a protocol error."""


class WrongUse(Exception):
    """A command given where or how it makes no sense: answered ``-ERR``, counted as a protocol error."""


@dataclass
class Context:
    kind: str
    name: str | None = None  # the domain name, account address, class name or group address
    domain: str | None = None  # the domain the context belongs to (its own name for a domain)
    pending: dict[str, str] | None = None  # creation parameters until COMMIT
    pending_settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Command:
    """One line of the console's surface: who handles it, where it is allowed, its syntax and help."""

    handler: Callable[[CliSession, list[str]], bytes | Output]
    contexts: frozenset[str]
    syntax: str
    help: str
    server_right: str | None = (
        None  # HELP lists it only to holders of this server permission (storage decides)
    )


@dataclass(frozen=True)
class SessionContext:
    store: Store
    hostname: str
    peer_ip: str
    session_id: str
    tls_active: bool
    tls_available: bool
    log: logging.LoggerAdapter[Any] | logging.Logger
    allow_plaintext: bool = False
    errors: ErrorLimits = field(default_factory=ErrorLimits)
    max_commands: int = 100_000
    control: ServiceControl | None = None  # None: no supervisor to ask (service commands answer -ERR)


@dataclass(frozen=True)
class Output:
    data: bytes = b""
    close: bool = False
    start_tls: bool = False
