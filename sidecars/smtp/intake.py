"""Message text coming in: DATA (dot-terminated, RFC 5321 4.1.1.4) or BDAT chunks (RFC 3030 2).

It exists so that session.py keeps only the state machine: how many octets a chunk still needs, whether
a refused BDAT is being read only to be thrown away, when the text has ended and which reply a finished
chunk earns are the reader's. Every octet goes through the session's ``add`` callback (size accounting
and the onBodyChunk rules); the reader keeps no text of its own. No I/O: it takes from the session's
``stream.LineReader``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sidecars.smtp import replies as R
from sidecars.smtp import stream


@dataclass(frozen=True)
class End:
    """The end of a DATA text or of one BDAT chunk."""

    reply: R.Reply | None = None  # CHUNK_OK after a chunk that is not the last, or the refusal of BDAT
    refused: bool = False  # ``reply`` refuses the BDAT command (counts as an error)
    complete: bool = False  # the whole message is in: ``nul`` tells whether it holds NUL characters
    nul: bool = False


class TextReader:
    """One run of message text; ``begin_data`` or ``begin_chunk``, then ``pump`` until it returns an End."""

    def __init__(self, log: logging.LoggerAdapter[Any] | logging.Logger) -> None:
        self._log = log
        self._decoder: stream.DataDecoder | None = None
        self._left = 0
        self._size = 0
        self._last = False
        self._refusal: R.Reply | None = None

    def begin_data(self) -> None:
        self._decoder = stream.DataDecoder()

    def begin_chunk(self, size: int, last: bool, refusal: R.Reply | None) -> End | None:
        """Start a BDAT chunk; a refused one is still read (RFC 3030 2). An empty chunk ends at once."""
        self._decoder = None
        self._left, self._size, self._last, self._refusal = size, size, last, refusal
        return self._end_chunk() if size == 0 else None

    def pump(self, reader: stream.LineReader, add: Callable[[bytes], None]) -> End | None:
        """Move what the reader holds into ``add``; an End once the text or chunk is complete."""
        if self._decoder is not None:
            return self._pump_data(self._decoder, reader, add)
        data = reader.take(self._left)
        if not data:
            return None
        self._left -= len(data)
        if self._refusal is None:
            add(data)
        return self._end_chunk() if self._left == 0 else None

    def _pump_data(
        self, decoder: stream.DataDecoder, reader: stream.LineReader, add: Callable[[bytes], None]
    ) -> End | None:
        chunk = reader.take_rest()
        if not chunk:
            return None
        result = decoder.feed(chunk)
        add(result.body)
        if not result.done:
            return None
        reader.feed(result.rest)
        if decoder.bare_lf:
            self._log.info("message had %d bare LF line endings; rewritten as CRLF", decoder.bare_lf)
        return End(complete=True, nul=decoder.nul)

    def _end_chunk(self) -> End:
        if self._refusal is not None:
            return End(self._refusal, refused=True)
        if not self._last:
            return End(R.CHUNK_OK.format(size=self._size))
        return End(complete=True)


def finish_chunked(body: bytes, log: logging.LoggerAdapter[Any] | logging.Logger) -> tuple[bytes, bool]:
    """BDAT text as queued: bare LF rewritten as CRLF; also whether it holds NUL characters."""
    raw, fixed = stream.normalise_line_endings(body)
    if fixed:
        log.info("message had %d bare LF line endings; rewritten as CRLF", fixed)
    return raw, b"\x00" in raw
