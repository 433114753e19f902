"""A misbehaving daemon for the bad-reply tests: a real TCP listener on 127.0.0.1 that reads what the
client sends (until a pause) and answers fixed bytes, or closes, or says nothing. Real spamd/clamd cannot
be made to send garbage, so this stands in for a broken or foreign service on the configured port."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from types import TracebackType

from filters.scanners import milter


class GarbageServer:
    def __init__(self, reply: bytes | None, *, close: bool = True, read_first: bool = True) -> None:
        self.reply = reply  # None: never answer (a hung daemon)
        self.close_after = close
        self.read_first = read_first
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self.address = f"127.0.0.1:{self._sock.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._held: list[socket.socket] = []

    def __enter__(self) -> GarbageServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._stop.set()
        self._sock.close()
        for conn in self._held:
            conn.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            conn.settimeout(0.3)
            if self.read_first:
                try:
                    while conn.recv(65536):
                        pass
                except OSError:
                    pass
            if self.reply is None:
                self._held.append(conn)
                continue
            with contextlib.suppress(OSError):
                conn.sendall(self.reply)
            if self.close_after:
                conn.close()
            else:
                self._held.append(conn)


# A milter that asks to skip every stage but the end of message answers only there, so its side of the
# conversation can be written down in advance: what a milter doing edits or quarantine sends.
SKIP_ALL = milter.NOCONNECT | milter.NOHELO | milter.NOMAIL | milter.NORCPT | milter.NOHDRS | milter.NOEOH
SKIP_ALL |= milter.NOBODY | milter.NODATA
EDITING = milter.ADDHDRS | milter.CHGBODY | milter.CHGHDRS | milter.QUARANTINE


def scripted_milter(*replies: bytes, protocol: int = SKIP_ALL) -> GarbageServer:
    """A milter whose option negotiation asks for ``protocol`` and whose later packets are ``replies``."""
    optneg = milter.packet(b"O", struct.pack(">III", milter.VERSION, EDITING, protocol))
    return GarbageServer(optneg + b"".join(replies), read_first=False, close=False)
