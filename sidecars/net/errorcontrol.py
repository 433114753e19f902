"""Error control: a session that keeps sending bad commands or wrong passwords is dropped.

One :class:`ErrorControl` per session. The session calls ``protocol_error()`` for each command answered
with a syntax/sequence error and ``auth_failure()`` for each failed authentication; both return
``DROP`` once the session has used up its allowance (the protocol then answers with its "closing
connection" reply and ends the session), else ``CONTINUE``. A limit of 0 means "no limit".

Pure, no I/O; the limits come from the ``net.<service>.max_errors`` and ``net.<service>.max_auth_failures``
settings.
"""

from __future__ import annotations

from dataclasses import dataclass

CONTINUE = "continue"
DROP = "drop"


@dataclass(frozen=True)
class ErrorLimits:
    max_errors: int = 10
    max_auth_failures: int = 3


class ErrorControl:
    def __init__(self, limits: ErrorLimits | None = None) -> None:
        self.limits = limits or ErrorLimits()
        self.errors = 0
        self.auth_failures = 0

    def protocol_error(self) -> str:
        """Count one bad command; DROP once the limit is reached."""
        self.errors += 1
        return self.verdict()

    def auth_failure(self) -> str:
        """Count one failed authentication; DROP once the limit is reached."""
        self.auth_failures += 1
        return self.verdict()

    def verdict(self) -> str:
        limits = self.limits
        if limits.max_errors and self.errors >= limits.max_errors:
            return DROP
        if limits.max_auth_failures and self.auth_failures >= limits.max_auth_failures:
            return DROP
        return CONTINUE

    @property
    def reason(self) -> str | None:
        """Why the session is to be dropped (for the log), or None."""
        limits = self.limits
        if limits.max_errors and self.errors >= limits.max_errors:
            return f"{self.errors} protocol errors"
        if limits.max_auth_failures and self.auth_failures >= limits.max_auth_failures:
            return f"{self.auth_failures} failed authentications"
        return None
