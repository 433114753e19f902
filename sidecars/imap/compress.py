"""COMPRESS=DEFLATE stream transforms (RFC 4978), pure: bytes in, bytes out, no sockets.

Why two small classes: after "COMPRESS DEFLATE" succeeds, everything the server writes goes
through one ``Deflater`` and everything it reads through one ``Inflater`` for the rest of the
connection; the connection code only has to call them around its socket reads and writes.

- Raw DEFLATE (RFC 1951, no zlib or gzip header) as RFC 4978 section 3 defines it: ``wbits=-15``.
- ``Deflater.compress`` ends every call with a sync flush (the flushing advice of RFC 4978
  section 4), so each response reaches the client whole and an IDLE client sees its untagged
  update without the server waiting for more output to fill a block.
- ``Inflater.pieces`` hands out what one read inflates to in pieces of at most ``piece_size`` bytes,
  inflating the next piece only when the caller asks for it: a few kilobytes of deflate can expand a
  thousandfold (an 8 MB attachment of zeros is 293:1), so the output is never held whole, and a
  legitimate upload of any ratio goes through. The bound on how much one command may inflate to is
  the command reader's (its literal limit, ``Reader.command_limit``), checked by the connection
  between pieces, not a ratio here. A corrupt stream raises ``CompressionError``; the connection
  must then be closed (the stream cannot be resynchronised).

Memory per connection with the defaults, measured with tracemalloc: about 262 KiB for the
deflater (window 32 KiB x 4 plus hash tables at memLevel 8) and 42 KiB for the inflater;
``window_bits=12, mem_level=2`` brings the deflater to 24 KiB, trading ratio for memory when
many connections compress. A smaller sending window is always safe, since a decoder with the full
32 KiB window reads any stream; the ``Inflater`` therefore always uses the full window.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

__all__ = ["PIECE_SIZE", "CompressionError", "Deflater", "Inflater"]

PIECE_SIZE = 256 * 1024  # the most plain bytes inflated at once


class CompressionError(ValueError):
    """The compressed input stream is corrupt, ended, or expands past the output cap."""


class Deflater:
    """Server -> client direction: compresses and sync-flushes each chunk written."""

    def __init__(self, level: int = 6, window_bits: int = 15, mem_level: int = 8) -> None:
        if not 12 <= window_bits <= 15:
            raise ValueError("window_bits must be 12..15 (raw deflate windows of 4..32 KiB)")
        if not 1 <= mem_level <= 9:
            raise ValueError("mem_level must be 1..9")
        self._zlib = zlib.compressobj(level, zlib.DEFLATED, -window_bits, mem_level)

    def compress(self, data: bytes | bytearray) -> bytes:
        """Compressed bytes for ``data``, complete up to a byte boundary (Z_SYNC_FLUSH)."""
        if not data:
            return b""
        return self._zlib.compress(data) + self._zlib.flush(zlib.Z_SYNC_FLUSH)


class Inflater:
    """Client -> server direction: inflates what was read, a bounded piece at a time."""

    def __init__(self, piece_size: int = PIECE_SIZE) -> None:
        if piece_size < 1:
            raise ValueError("piece_size must be at least 1 byte")
        self.piece_size = piece_size
        self._zlib = zlib.decompressobj(-15)

    def pieces(self, data: bytes) -> Iterator[bytes]:
        """The plain bytes of the compressed ``data``, in pieces of at most ``piece_size``; the next
        piece is inflated only when asked for. CompressionError on a corrupt or ended stream.

        Input that only completes a partial deflate block yields nothing now and its text later.
        """
        if self._zlib.eof:
            if data:
                raise CompressionError("data after the end of the compressed stream")
            return
        while True:
            try:
                out = self._zlib.decompress(data, self.piece_size)
            except zlib.error as exc:
                raise CompressionError(f"corrupt compressed stream: {exc}") from exc
            if out:
                yield out
            if self._zlib.eof and self._zlib.unused_data:
                raise CompressionError("data after the end of the compressed stream")
            tail = self._zlib.unconsumed_tail
            if not tail and len(out) < self.piece_size:
                return  # all input taken and no output held back by the piece limit
            if not out and len(tail) >= len(data):  # no progress: never spin
                raise CompressionError("compressed stream makes no progress")
            data = tail

    def decompress(self, data: bytes) -> bytes:
        """All plain bytes of ``data`` at once (tests and small inputs; the server uses ``pieces``)."""
        return b"".join(self.pieces(data))
