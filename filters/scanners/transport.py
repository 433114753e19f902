"""Connections to scanner daemons: the only module of ``filters.scanners`` that touches sockets.

Addresses are written ``HOST:PORT`` (``[v6]:PORT`` for IPv6) or ``unix:/path/to/socket``. Every
connection has one timeout that applies to connecting and to each read and write, so a daemon that
hangs costs at most that long per step; a reply is read only up to a stated cap, so a daemon that
streams without end cannot fill our memory.
"""

from __future__ import annotations

import socket
from typing import Final

from filters.scanners import ScannerDown, ScannerReplyError

#: Replies larger than this are refused whatever the caller asks (PROCESS returns a whole message).
HARD_REPLY_CAP: Final = 256 * 1024 * 1024


def parse_address(address: str) -> tuple[str, str | tuple[str, int]]:
    """``("unix", path)`` or ``("tcp", (host, port))``.

    Raises:
        ValueError: the address is neither form.
    """
    text = address.strip()
    if text.startswith("unix:"):
        path = text[5:]
        if not path:
            raise ValueError(f"scanner address {address!r}: empty socket path")
        return "unix", path
    if text.startswith("/"):
        return "unix", text
    host, sep, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"scanner address {address!r}: expected HOST:PORT or unix:/path")
    return "tcp", (host, int(port))


class Connection:
    """One connection to a daemon; use as a context manager so it is always closed."""

    def __init__(self, address: str, timeout: float) -> None:
        self.address = address
        try:
            kind, where = parse_address(address)
        except ValueError as exc:
            raise ScannerDown(str(exc)) from exc
        try:
            if kind == "unix":
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(timeout)
                try:
                    sock.connect(str(where))
                except OSError:
                    sock.close()
                    raise
            else:
                assert isinstance(where, tuple)
                sock = socket.create_connection(where, timeout=timeout)
        except OSError as exc:
            raise ScannerDown(f"{address}: cannot connect: {exc}") from exc
        self._sock = sock

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._sock.close()

    def send(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except OSError as exc:
            raise ScannerDown(f"{self.address}: sending failed: {exc}") from exc

    def finish_sending(self) -> None:
        """Half-close: the daemon sees end of input (spamd reads until then when no length is known)."""
        try:
            self._sock.shutdown(socket.SHUT_WR)
        except OSError as exc:
            raise ScannerDown(f"{self.address}: sending failed: {exc}") from exc

    def _recv(self, size: int) -> bytes:
        try:
            return self._sock.recv(size)
        except TimeoutError as exc:
            raise ScannerDown(f"{self.address}: no answer in time") from exc
        except OSError as exc:
            raise ScannerDown(f"{self.address}: reading failed: {exc}") from exc

    def read_until_close(self, cap: int) -> bytes:
        """Everything the daemon sends until it closes, at most ``cap`` bytes."""
        cap = min(cap, HARD_REPLY_CAP)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = self._recv(65536)
            if not chunk:
                return b"".join(chunks)
            total += len(chunk)
            if total > cap:
                raise ScannerReplyError(f"{self.address}: reply longer than {cap} bytes")
            chunks.append(chunk)

    def read_exactly(self, size: int) -> bytes:
        """Exactly ``size`` bytes; the daemon closing before that is a broken reply."""
        if size > HARD_REPLY_CAP:
            raise ScannerReplyError(f"{self.address}: announced reply of {size} bytes is too long")
        chunks: list[bytes] = []
        left = size
        while left:
            chunk = self._recv(min(left, 65536))
            if not chunk:
                raise ScannerReplyError(f"{self.address}: connection closed in the middle of a reply")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def read_until(self, terminator: bytes, cap: int) -> bytes:
        """Bytes up to and without ``terminator`` (clamd ends replies with NUL); at most ``cap`` bytes."""
        data = b""
        while terminator not in data:
            if len(data) > cap:
                raise ScannerReplyError(f"{self.address}: reply longer than {cap} bytes")
            chunk = self._recv(4096)
            if not chunk:
                if data:
                    return data  # closed without the terminator: take what came, the parser judges it
                raise ScannerReplyError(f"{self.address}: connection closed without a reply")
            data += chunk
        return data[: data.index(terminator)]
