"""The SASL conversation that follows an AUTH command (RFC 4954 4), as SMTP frames it.

It exists so that session.py holds only the state machine: the SMTP-specific framing around a
``sidecars.sasl`` mechanism (base64 lines, the final empty response after success data, storage
failures versus refusals) is one unit with no session state. Each step returns an outcome; the session
picks the reply, counts failures (error control) and records who logged in.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sidecars import sasl
from sidecars.smtp import parser as P
from storage.errors import AuthFailed, Throttled
from storage.models import Account

SUBMISSION_LISTENERS = frozenset({"submission", "submissions"})


def offered_mechanisms(listener: str, tls_active: bool, cfg: dict[str, Any]) -> list[str]:
    """The mechanisms EHLO advertises and AUTH accepts; none on the MX listener or without TLS."""
    plaintext = bool(cfg["smtp.allow_plaintext_auth"])
    if listener not in SUBMISSION_LISTENERS or not (tls_active or plaintext):
        return []
    return sasl.offered(tls_active, plaintext, bool(cfg["auth.allow_cram"]))


@dataclass(frozen=True)
class Challenge:
    data: str  # base64, "" for an empty challenge


@dataclass(frozen=True)
class Authenticated:
    account: Account


@dataclass(frozen=True)
class Refused:
    throttled: bool  # too many failures for this user or address: THROTTLED rather than AUTH_FAILED


@dataclass(frozen=True)
class Unavailable:
    """The credentials could not be checked (storage away): a temporary failure."""


Outcome = Challenge | Authenticated | Refused | Unavailable


class Exchange:
    """One AUTH exchange in progress."""

    def __init__(self, mechanism: sasl.Mechanism, log: logging.LoggerAdapter[Any] | logging.Logger) -> None:
        self._mechanism = mechanism
        self._log = log
        self._proven: Account | None = None  # proven, waiting for the client's empty response

    def start(self, initial: bytes | None) -> Outcome:
        mech = self._mechanism
        return self._step(lambda: mech.start(initial))

    def respond(self, text: str) -> Outcome:
        """The client's response line (already stripped; "*" is the session's to handle).

        Raises:
            ParseError: the response is not base64.
        """
        if self._proven is not None:  # the client acknowledged our final data
            return Authenticated(self._proven) if text in ("", "=") else Refused(throttled=False)
        response = P.decode_base64(text)
        mech = self._mechanism
        return self._step(lambda: mech.step(response))

    def _step(self, run: Callable[[], sasl.Step]) -> Outcome:
        try:
            step = run()
        except Throttled:
            return Refused(throttled=True)
        except AuthFailed:
            return Refused(throttled=False)
        except Exception:
            self._log.exception("authentication could not be checked")
            return Unavailable()
        if step.done and step.challenge is None:
            assert step.account is not None
            return Authenticated(step.account)
        if step.done:  # RFC 4954 4: additional data with success goes out as one more challenge
            self._proven = step.account
        return Challenge(base64.b64encode(step.challenge or b"").decode("ascii"))
