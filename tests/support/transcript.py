"""A fake transport for transcript tests of sans-IO protocol sessions: bytes in, reply text out."""

from __future__ import annotations

from typing import Any


class TranscriptClient:
    """``cmd`` sends one line, ``send`` raw bytes; both return the reply text. ``last`` is the session's
    whole Output (close, start_tls) of the last call, ``banner`` the greeting."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.banner = session.banner().decode()
        self.last: Any = None

    def send(self, data: bytes | str) -> str:
        self.last = self.session.receive(data.encode() if isinstance(data, str) else data)
        return str(self.last.data.decode())

    def cmd(self, line: str) -> str:
        return self.send(line + "\r\n")
