"""Forwarding records to a remote syslog: RFC 5424 messages over UDP (RFC 5426), facility mail.

Like every sender of log records here, it never blocks: a datagram the socket will not take now is lost
and counted.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime

from sidecars.logd.parser import Record

FACILITY_MAIL = 2
#: our level bit -> syslog severity (RFC 5424 6.2.1)
SEVERITY = {1: 2, 2: 3, 4: 4, 8: 6, 16: 7}
MAX_MESSAGE = 2048  # RFC 5426 3.2: receivers must take 480 octets and should take 2048


def message(record: Record, received: float) -> bytes:
    """The RFC 5424 form of ``record``: PRI VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG."""
    pri = FACILITY_MAIL * 8 + SEVERITY[record.level]
    stamp = datetime.fromtimestamp(received, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    host = record.host[:255] or "-"
    header = f"<{pri}>1 {stamp} {host} fieldpost-{record.service} - {record.session} - "
    data = header.encode("ascii", "replace") + b"\xef\xbb\xbf" + record.text.encode("utf-8")
    return data[:MAX_MESSAGE]


class SyslogForwarder:
    """One UDP socket per remote address family; ``send`` never blocks."""

    def __init__(self) -> None:
        self.sockets: dict[int, socket.socket] = {}
        self.dropped = 0

    def send(self, address: tuple[str, int], data: bytes) -> None:
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        sock = self.sockets.get(family)
        if sock is None:
            sock = self.sockets[family] = socket.socket(family, socket.SOCK_DGRAM)
            sock.setblocking(False)
        try:
            sock.sendto(data, address)
        except OSError:  # full buffer, no route, name not resolvable without blocking: lost, counted
            self.dropped += 1

    def close(self) -> None:
        for sock in self.sockets.values():
            sock.close()
        self.sockets.clear()
