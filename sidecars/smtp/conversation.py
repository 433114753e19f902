"""What every SMTP command handler shares: the session's context and state, replies, acceptance rules.

``Conversation`` is the base of ``sidecars.smtp.session.SmtpSession``. It holds what a handler reads and
changes (protocol state and mode, the open transaction, the account after AUTH, the limits in force), the
reply buffer with error control (a refused command counts; too many and the session ends), and the two
policy calls every event makes: the acceptance rules (``sidecars.smtp.policy`` applying
``sidecars.smtp.acceptance``) and the connection checks (``sidecars.smtp.checks``). No I/O here either.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sidecars.net.errorcontrol import DROP, ErrorControl, ErrorLimits
from sidecars.smtp import acceptance, auth, envelope, intake, policy, stream
from sidecars.smtp import replies as R
from sidecars.smtp.checks import SessionChecks
from sidecars.smtp.message import Transaction
from storage.models import Account

if TYPE_CHECKING:
    from storage.store import Store


@dataclass(frozen=True)
class SessionContext:
    store: Store
    hostname: str
    listener: str  # "smtp" (MX) | "submission" | "submissions"
    peer_ip: str
    peer_port: int
    session_id: str
    tls_active: bool
    tls_available: bool
    log: logging.LoggerAdapter[Any] | logging.Logger


@dataclass(frozen=True)
class Output:
    data: bytes = b""
    close: bool = False
    start_tls: bool = False


class State(enum.Enum):
    CONNECTED = "connected"  # greeted, no EHLO/HELO yet
    READY = "ready"  # EHLO/HELO done, no transaction
    MAIL = "mail"  # sender given
    RCPT = "rcpt"  # at least one recipient accepted


class Mode(enum.Enum):
    COMMAND = "command"
    AUTH = "auth"  # SASL responses expected
    TEXT = "text"  # message text: after 354, or the octets of a BDAT chunk


ANY = frozenset(State)


class Conversation:
    """The state of one SMTP session and the calls every handler makes (see the module docstring)."""

    def __init__(self, ctx: SessionContext) -> None:
        self._ctx = ctx
        self._log = ctx.log
        self._store = ctx.store
        self._cfg, self._rules = policy.load(self._store, ctx.listener, self._log)
        self._checks = SessionChecks(ctx, self._cfg)
        self._max_size = int(self._cfg["mail.max_message_bytes"])
        self._max_recipients = int(self._cfg["mail.max_recipients"])
        self._errors = ErrorControl(
            ErrorLimits(int(self._cfg["net.smtp.max_errors"]), int(self._cfg["net.smtp.max_auth_failures"]))
        )
        self._reader = stream.LineReader()
        self._state = State.CONNECTED
        self._mode = Mode.COMMAND
        self._helo: str | None = None
        self._esmtp = False
        self._account: Account | None = None
        self._sasl: auth.Exchange | None = None
        self._text = intake.TextReader(self._log)
        self._txn = Transaction()
        self._txn_count = 0
        self._rejected = False
        self._closed = False
        self._out: list[bytes] = []
        self._close = False
        self._start_tls = False

    @property
    def established(self) -> bool:
        """The client has proved itself: authenticated, or began a mail transaction (an MX client never
        authenticates). Until then the listener may give it a shorter idle time and displace it when
        the listener is flooded (sidecars.net.standing)."""
        return self._account is not None or self._state in (State.MAIL, State.RCPT)

    # -- replies and error control --------------------------------------------------------------------

    def _say(self, reply: R.Reply, extra: tuple[str, ...] = ()) -> None:
        self._out.append(reply.encode(extra))

    def _fail(self, reply: R.Reply) -> None:
        """A refused command: answer and count it; too many and the session ends (error control)."""
        self._say(reply)
        if reply.code >= 500 and self._errors.protocol_error() == DROP:
            self._log.info("dropping the session: %s", self._errors.reason)
            self._say(R.TOO_MANY_ERRORS.format(host=self._ctx.hostname))
            self._close = True

    # -- acceptance rules -------------------------------------------------------------------------------

    def _facts(self, **extra: Any) -> acceptance.Facts:
        return acceptance.Facts(
            ip=self._ctx.peer_ip,
            listener=self._ctx.listener,
            tls=self._ctx.tls_active,
            helo=self._helo,
            auth=self._account.address if self._account else None,
            **extra,
        )

    def _decide(self, event: str, **facts: Any) -> acceptance.Decision:
        return self._rules.decide(event, self._facts(**facts))

    def _size_limit(self) -> int:
        """The server's (or, after AUTH, the account's) limit, lowered by onConnect/onEhlo rules."""
        return self._rules.size_limit(self._max_size)

    def _policy(self, event: str, **facts: Any) -> R.Reply | None:
        """Evaluate ``event``; returns the refusal to send, or None. Headers and size caps are kept."""
        return self._rules.apply(event, self._decide(event, **facts), self._txn)

    def _check(self, event: str, **facts: Any) -> R.Reply | None:
        """The connection checks of ``event`` (sidecars.smtp.checks), unless a rule just said accept."""
        if self._rules.accepted:
            return None
        return self._checks.run(event, self._txn, trusted=self._is_trusted(), helo=self._helo, **facts)

    def _is_trusted(self) -> bool:
        return self._account is not None or self._trusted()

    def _trusted(self) -> bool:
        return envelope.in_trusted_networks(self._ctx.peer_ip, self._cfg["smtp.trusted_networks"], self._log)

    def _reset_transaction(self) -> None:
        self._txn = Transaction()
        if self._state in (State.MAIL, State.RCPT):
            self._state = State.READY
