"""What an IMAP command handler and the session agree on: the session states (RFC 3501 3), what a handler
returns (``Done``, or ``Wait`` for a command that continues with the client's next line) and what it
raises (``No``, ``Bad``: RFC 3501 7.1.2, 7.1.3).

Kept apart from ``session.py`` so the handler modules import these without importing the session, whose
dispatch table imports the handlers (an import cycle otherwise).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

NOT_AUTHENTICATED, AUTHENTICATED, SELECTED, LOGOUT = (
    "not authenticated",
    "authenticated",
    "selected",
    "logout",
)


class No(Exception):
    def __init__(self, text: str, code: str | None = None) -> None:
        super().__init__(text)
        self.text, self.code = text, code


class Bad(Exception):
    def __init__(self, text: str, code: str | None = None) -> None:
        super().__init__(text)
        self.text, self.code = text, code


@dataclass
class Done:
    """A finished command: untagged parts, then ``tag OK [code] text``."""

    parts: Sequence[bytes | Iterable[bytes]]
    text: str
    code: str | None = None
    status: str = "OK"  # or NO, after data for part of the request (RFC 2180 4.1.2)
    close: bool = False
    start_tls: bool = False
    compress: bool = False


@dataclass
class Wait:
    """The command continues with the client's next line (AUTHENTICATE, IDLE)."""

    parts: Sequence[bytes | Iterable[bytes]]
    on_line: Callable[[bytes], Done | Wait]
    kind: str = "continuation"  # or "idle"
