"""Streaming readers: raw connection bytes into command lines and DATA/BDAT message text.

They exist apart from parser.py because they keep state across reads (partial lines, a half-seen
end-of-data marker), while the command grammar is a pure function of one line; the session drives both.
Pure all the same: no sockets, no clock. RFC 5321 4.5.2 (transparency), 4.1.1.4 (DATA), RFC 3030 (BDAT).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

AUTH_LINE_LIMIT = 12288  # RFC 4954 4: AUTH commands and SASL responses may be longer


@dataclass(frozen=True)
class Line:
    data: bytes  # without the line ending
    bare_lf: bool  # ended with LF alone
    too_long: bool  # longer than the reader's limit; data is empty and the line was discarded


class LineReader:
    """Splits a byte stream into lines without ever holding more than ``limit`` octets of one line.

    The longest line allowed is AUTH_LINE_LIMIT; `parse_command` applies the 512-octet limit to
    everything but AUTH. ``take`` and ``take_rest`` hand raw bytes to BDAT and DATA.
    """

    def __init__(self, limit: int = AUTH_LINE_LIMIT) -> None:
        self.limit = limit
        self._buf = bytearray()
        self._discarding = False

    def feed(self, data: bytes) -> None:
        self._buf += data

    def __len__(self) -> int:
        return len(self._buf)

    def next_line(self) -> Line | None:
        i = self._buf.find(b"\n")
        if i < 0:
            if len(self._buf) >= self.limit:
                self._discarding = True
                keep_cr = self._buf.endswith(b"\r")
                self._buf.clear()
                if keep_cr:
                    self._buf += b"\r"
            return None
        raw = bytes(self._buf[:i])
        del self._buf[: i + 1]
        bare = not raw.endswith(b"\r")
        if not bare:
            raw = raw[:-1]
        if self._discarding or i + 1 > self.limit:
            self._discarding = False
            return Line(b"", bare, True)
        return Line(raw, bare, False)

    def take(self, n: int) -> bytes:
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data

    def take_rest(self) -> bytes:
        data = bytes(self._buf)
        self._buf.clear()
        return data


@dataclass(frozen=True)
class DataChunk:
    body: bytes  # unstuffed, line endings normalised to CRLF
    done: bool  # the end-of-data line was seen
    rest: bytes  # bytes after the end-of-data line (pipelined commands)


class DataDecoder:
    """Streaming DATA decoder (RFC 5321 4.5.2 and 4.1.1.4).

    The message ends only at CRLF "." CRLF (or "." CRLF first thing): a dot line after a bare LF does
    not end it, so bare-LF tricks cannot smuggle a second message. A leading dot is removed from lines
    that start after a CRLF; bare LF line endings are rewritten as CRLF and counted.
    """

    FLUSH_AT = 8192

    def __init__(self) -> None:
        self._line = bytearray()
        self._at_start = True
        self.bare_lf = 0
        self.nul = False
        self.done = False

    def feed(self, data: bytes) -> DataChunk:
        if self.done:
            return DataChunk(b"", True, data)
        out = bytearray()
        pos = 0
        while pos < len(data):
            j = data.find(b"\n", pos)
            if j < 0:
                self._line += data[pos:]
                if len(self._line) > self.FLUSH_AT:
                    self._flush_partial(out)
                break
            self._line += data[pos : j + 1]
            pos = j + 1
            line = bytes(self._line)
            self._line.clear()
            if self._at_start and line == b".\r\n":
                self.done = True
                return self._chunk(out, data[pos:])
            crlf = line.endswith(b"\r\n")
            if self._at_start and line.startswith(b"."):
                line = line[1:]
            if not crlf:
                line = line[:-1] + b"\r\n"
                self.bare_lf += 1
            out += line
            self._at_start = crlf
        return self._chunk(out, b"")

    def _flush_partial(self, out: bytearray) -> None:
        part = self._line[:-1]
        if self._at_start and part.startswith(b"."):
            part = part[1:]
        out += part
        del self._line[:-1]
        self._at_start = False

    def _chunk(self, out: bytearray, rest: bytes) -> DataChunk:
        body = bytes(out)
        if b"\x00" in body:
            self.nul = True
        return DataChunk(body, self.done, rest)


def normalise_line_endings(raw: bytes) -> tuple[bytes, int]:
    """Rewrite bare LF as CRLF (for BDAT content); returns the message and how many were fixed."""
    fixed, count = re.subn(rb"(?<!\r)\n", b"\r\n", raw)
    return fixed, count


def dot_stuff(body: bytes) -> bytes:
    """The DATA form of a CRLF message (for tests and the relay side): stuffed and terminated."""
    if body and not body.endswith(b"\r\n"):
        body += b"\r\n"
    stuffed = re.sub(rb"(?m)^\.", b"..", body)
    return stuffed + b".\r\n"
