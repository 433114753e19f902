"""The AUTH command and the SASL conversation behind it (RFC 4954), as SMTP frames it.

It exists so that session.py holds only the state machine: whether AUTH may start, the SMTP framing
around a ``sidecars.sasl`` mechanism (base64 lines, "*" to cancel, the final empty response after
success data), which reply each step earns, and the account's limits once it is known. Every step
returns a ``Turn``: the reply plus what it means for the session (wait for another line, count an
authentication failure or a protocol error, log the account in). The session applies it.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sidecars import sasl
from sidecars.smtp import parser as P
from sidecars.smtp import replies as R
from storage.errors import AppPasswordRequired, AuthFailed, Throttled
from storage.models import Account

if TYPE_CHECKING:
    from storage.store import Store

SUBMISSION_LISTENERS = frozenset({"submission", "submissions"})


def cram_anywhere(store: Store, server_level: bool) -> bool:
    """Whether CRAM-MD5 is worth offering: ``auth.allow_cram`` is on at server level or for any domain.

    The exchange then refuses accounts whose domain has it off (``Exchange``), so offering it for one
    domain opens it to nobody else.
    """
    if server_level:
        return True
    return store.settings.on_for_any_domain("auth.allow_cram")


def offered_mechanisms(listener: str, tls_active: bool, cfg: dict[str, Any]) -> list[str]:
    """The mechanisms EHLO advertises and AUTH accepts; none on the MX listener or without TLS.
    ``cfg["auth.allow_cram"]`` is the session's view: on at server level or in some domain."""
    plaintext = bool(cfg["smtp.allow_plaintext_auth"])
    if listener not in SUBMISSION_LISTENERS or not (tls_active or plaintext):
        return []
    return sasl.offered(tls_active, plaintext, bool(cfg["auth.allow_cram"]))


@dataclass(frozen=True)
class Turn:
    """One step of AUTH as the session sees it."""

    reply: R.Reply
    waiting: bool = False  # a 334 challenge went out: the next line is a SASL response
    account: Account | None = None  # proven: the session logs this account in
    auth_failure: bool = False  # counts towards net.smtp.max_auth_failures
    protocol_error: bool = False  # counts towards net.smtp.max_errors


def command_refusal(
    mechanism: str, *, logged_in: bool, listener: str, tls_active: bool, cfg: dict[str, Any]
) -> R.Reply | None:
    """Why AUTH cannot start here (RFC 4954 4), or None."""
    if logged_in:
        return R.ALREADY_AUTHENTICATED
    if listener not in SUBMISSION_LISTENERS:
        return R.AUTH_NOT_AVAILABLE
    mechanisms = offered_mechanisms(listener, tls_active, cfg)
    if not mechanisms:
        return R.ENCRYPTION_REQUIRED
    if mechanism not in mechanisms:
        return R.UNKNOWN_MECHANISM.format(name=mechanism)
    return None


class Exchange:
    """One AUTH exchange in progress."""

    def __init__(
        self, mechanism: sasl.Mechanism, log: logging.LoggerAdapter[Any] | logging.Logger, store: Store
    ) -> None:
        self._mechanism = mechanism
        self._log = log
        self._store = store
        self._proven: Account | None = None  # proven, waiting for the client's empty response

    def start(self, initial: bytes | None) -> Turn:
        mech = self._mechanism
        return self._step(lambda: mech.start(initial))

    def respond(self, line: bytes) -> Turn:
        """The client's response line: base64, "*" to cancel, or empty after our final data."""
        text = line.decode("ascii", "replace").strip()
        if text == "*":
            return Turn(R.AUTH_CANCELLED, protocol_error=True)
        if self._proven is not None:  # the client acknowledged our final data
            return (
                self._accepted(self._proven) if text in ("", "=") else Turn(R.AUTH_FAILED, auth_failure=True)
            )
        try:
            response = P.decode_base64(text)
        except P.ParseError as exc:
            return Turn(exc.reply, protocol_error=True)
        mech = self._mechanism
        return self._step(lambda: mech.step(response))

    def _step(self, run: Callable[[], sasl.Step]) -> Turn:
        try:
            step = run()
        except Throttled:
            return Turn(R.THROTTLED, auth_failure=True)
        except AppPasswordRequired:  # two-step sign-in: say what to do (storage/auth.py)
            return Turn(R.APP_PASSWORD_REQUIRED, auth_failure=True)
        except AuthFailed:
            return Turn(R.AUTH_FAILED, auth_failure=True)
        except Exception:
            self._log.exception("authentication could not be checked")
            return Turn(R.AUTH_TEMPFAIL)
        if step.done and step.challenge is None:
            assert step.account is not None
            return self._accepted(step.account)
        if step.done:  # RFC 4954 4: additional data with success goes out as one more challenge
            self._proven = step.account
        return Turn(
            R.AUTH_CHALLENGE.format(data=base64.b64encode(step.challenge or b"").decode()), waiting=True
        )

    def _accepted(self, account: Account) -> Turn:
        if self._mechanism.name == sasl.CRAM_MD5 and not self._cram_allowed(account):
            # A secret kept from before the domain switched CRAM off: refused like a wrong password.
            self._log.info("CRAM-MD5 refused for %s: auth.allow_cram is off for its domain", account.address)
            return Turn(R.AUTH_FAILED, auth_failure=True)
        return Turn(R.AUTH_OK, account=account)

    def _cram_allowed(self, account: Account) -> bool:
        name = "auth.allow_cram"
        return bool(self._store.settings.effective_many((name,), domain_id=account.domain_id)[name])


def account_limits(store: Store, account: Account) -> tuple[int, int]:
    """(mail.max_message_bytes, mail.max_recipients) of the account (its own, class, domain or server).

    Raises:
        Exception: whatever storage raises; the session keeps the server's limits then.
    """
    mine = store.settings.effective_many(
        ("mail.max_message_bytes", "mail.max_recipients"), account_id=account.id
    )
    return int(mine["mail.max_message_bytes"]), int(mine["mail.max_recipients"])
