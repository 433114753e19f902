"""The literal bodies of FETCH answers (RFC 3501 6.4.5, RFC 3516), streamed in bounded chunks.

Why streamed: an IMAP literal announces its length (``{n}``) before its bytes, so the length must be
known first, but the bytes need not be in memory. A section is located from the MIME offsets cached
at delivery, and its :class:`Content` reads the blob in chunks of ``CHUNK`` bytes only as the
connection's writer pulls them; the writer blocks in ``sendall`` while the client does not read, so
nothing is read ahead. A FETCH of a 50 MB message costs a chunk and the writer's buffer, not 50 MB.

Implementation notes:
- :class:`MessageBody` opens the message's blob once, on the first section asked for, and holds the
  open file (not a database transaction) until the message's response is written; the open file
  keeps the bytes readable even if another session's expunge lets the collector unlink the blob.
- Bodies are stored with CRLF line ends (normalised at delivery), so no conversion happens here.
- Content that is transformed rather than cut out of the blob (HEADER.FIELDS filtering, BINARY's
  transfer decoding) is produced in one streaming pass into a spooled temporary file: in memory up to
  ``SPOOL_MEMORY``, on disk beyond, which gives its exact length (and, for BINARY, whether it holds
  NUL and needs ``~{n}``) before the first byte is sent, at bounded memory.
- Decoding is lenient, as mail readers are: base64 ignores characters outside its alphabet and stops
  at the first padding, quoted-printable leaves bad escapes alone. Only an unknown transfer encoding is
  refused (``NO [UNKNOWN-CTE]``, RFC 3516 4.1), and that is checked before any byte is written.
"""

from __future__ import annotations

import binascii
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, Any

from sidecars.imap.fetchitems import Section
from storage import mime

if TYPE_CHECKING:
    from storage.blobs import BlobReader
    from storage.store import Store

CHUNK = 64 * 1024
SPOOL_MEMORY = 256 * 1024
IDENTITY = ("7BIT", "8BIT", "BINARY")
DECODED = ("BASE64", "QUOTED-PRINTABLE")
_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_NOT_B64 = bytes(c for c in range(256) if c not in _B64_ALPHABET)


class UnknownEncoding(Exception):
    """A part's content transfer encoding cannot be undone (RFC 3516 4.1: NO [UNKNOWN-CTE])."""


class Content:
    """Bytes of known ``size``, read in chunks on demand: ``read(offset, n)`` returns up to n bytes."""

    def __init__(self, size: int, read: Callable[[int, int], bytes]) -> None:
        self.size = size
        self._read = read

    def window(self, origin: int, length: int | None) -> Content:
        """A partial fetch ``<origin.length>`` (RFC 3501 6.4.5): empty past the end."""
        start = min(origin, self.size)
        end = self.size if length is None else min(self.size, start + length)
        return Content(
            end - start, lambda offset, n: self._read(start + offset, min(n, end - start - offset))
        )

    def chunks(self) -> Iterator[bytes]:
        pos = 0
        while pos < self.size:
            data = self._read(pos, min(CHUNK, self.size - pos))
            if not data:
                raise OSError("message body ended early")  # a truncated blob: never send a short literal
            pos += len(data)
            yield data

    def has_nul(self) -> bool:
        return any(b"\x00" in chunk for chunk in self.chunks())


class MessageBody:
    """One message's blob, opened on first use and closed by ``close``; sections become Content."""

    def __init__(self, store: Store, sha256: str, size: int) -> None:
        self._store = store
        self._sha = sha256
        self._size = size
        self._reader: BlobReader | None = None
        self._spools: list[IO[bytes]] = []

    def _open(self) -> BlobReader:
        if self._reader is None:
            self._reader = self._store.blobs.reader(self._sha)  # NotFound when collected meanwhile
        return self._reader

    def range(self, start: int, end: int) -> Content:
        """The bytes [start, end) of the message."""
        reader = self._open()
        end = min(end, reader.size)
        start = min(start, end)
        return Content(end - start, lambda offset, n: reader.read(start + offset, start + offset + n))

    def spooled(self, pieces: Iterator[bytes]) -> Content:
        """Content made by a streaming transformation, spooled so its length is known first."""
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)  # noqa: SIM115 - closed by close()
        self._spools.append(spool)
        size = 0
        for piece in pieces:
            spool.write(piece)
            size += len(piece)

        def read(offset: int, n: int) -> bytes:
            spool.seek(offset)
            return spool.read(n)

        return Content(size, read)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        for spool in self._spools:
            spool.close()
        self._spools.clear()


def inner_message(part: Any) -> Any:
    """The encapsulated message of a message/rfc822 part, else None."""
    if (part.maintype, part.subtype) == ("message", "rfc822") and part.children:
        return part.children[0]
    return None


def section(body: MessageBody, root: Any, spec: Section) -> Content | None:
    """BODY[section] (RFC 3501 6.4.5); None when the part does not exist (answered NIL)."""
    target = mime.part_by_section(root, spec.part) if spec.part else root
    if target is None:
        return None
    if spec.text == "":
        if not spec.part:
            return body.range(0, root.end)
        return body.range(target.body_start, target.end)
    if spec.text == "MIME":
        return body.range(target.header_start, target.body_start)
    message = target if not spec.part else inner_message(target)
    if message is None:
        return None
    if spec.text == "TEXT":
        return body.range(message.body_start, message.end)
    header = body.range(message.header_start, message.body_start)
    if spec.text == "HEADER":
        return header
    return body.spooled(filter_header(header.chunks(), spec.fields, keep=spec.text == "HEADER.FIELDS"))


def binary_target(root: Any, spec: Section) -> tuple[Any, str] | None:
    """The part BINARY[section] names and how to undo its encoding ("" for none); None when missing.

    Raises UnknownEncoding for an encoding RFC 3516 does not let the server guess at."""
    target = mime.part_by_section(root, spec.part) if spec.part else root
    if target is None:
        return None
    if target.maintype == "multipart" or inner_message(target) is not None:
        return target, ""
    encoding = (target.encoding or "7BIT").upper()
    if encoding in IDENTITY:
        return target, ""
    if encoding not in DECODED:
        raise UnknownEncoding(f"unknown content transfer encoding {encoding}")
    return target, encoding


def binary(body: MessageBody, target: Any, encoding: str) -> Content:
    """RFC 3516 BINARY[section]: the part's content with its transfer encoding undone."""
    raw = body.range(target.body_start, target.end)
    if not encoding:
        return raw
    decode = decode_base64 if encoding == "BASE64" else decode_quoted_printable
    return body.spooled(decode(raw.chunks()))


def binary_size(body: MessageBody, target: Any, encoding: str) -> int:
    """RFC 3516 BINARY.SIZE: the decoded length, counted in one streaming pass, nothing kept."""
    raw = body.range(target.body_start, target.end)
    if not encoding:
        return raw.size
    decode = decode_base64 if encoding == "BASE64" else decode_quoted_printable
    return sum(len(piece) for piece in decode(raw.chunks()))


def decode_base64(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Base64 (RFC 2045 6.8) in any chunking: characters outside the alphabet are skipped, decoding
    stops at the first padding, a trailing partial quantum is completed (a stray character dropped)."""
    pending = b""
    for chunk in chunks:
        pending += chunk.translate(None, _NOT_B64)
        pad = pending.find(b"=")
        if pad >= 0:
            whole = pad // 4 * 4
            yield (binascii.a2b_base64(pending[:whole]) if whole else b"") + _partial(pending[whole:pad])
            return
        whole = len(pending) // 4 * 4
        if whole:
            yield binascii.a2b_base64(pending[:whole])
            pending = pending[whole:]
    if pending:
        yield _partial(pending)


def _partial(chars: bytes) -> bytes:
    """The bytes of a quantum of fewer than four characters."""
    if len(chars) < 2:
        return b""
    return binascii.a2b_base64(chars + b"=" * (4 - len(chars)))


def decode_quoted_printable(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Quoted-printable (RFC 2045 6.7) in any chunking: decoded a run of whole lines at a time (the
    encoding is line-based); an over-long line is cut where no escape or soft break can straddle."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        cut = pending.rfind(b"\n") + 1
        if not cut and len(pending) > CHUNK:
            cut = len(pending) - 2
            while cut > 0 and b"=" in pending[cut - 2 : cut]:
                cut -= 1
        if cut:
            yield binascii.a2b_qp(pending[:cut])
            pending = pending[cut:]
    if pending:
        yield binascii.a2b_qp(pending)


def filter_header(chunks: Iterator[bytes], fields: tuple[str, ...], *, keep: bool) -> Iterator[bytes]:
    """HEADER.FIELDS (``keep``) or HEADER.FIELDS.NOT: the header's fields whose name is (or is not) in
    ``fields``, folded lines kept with their field, then the blank line (RFC 3501 6.4.5). Streams: a
    line is looked at piecewise, so a huge header or field costs a chunk, not its size."""
    wanted = {f.lower().encode() for f in fields}
    include = False
    at_line_start = True
    for line in _lines(chunks):
        if at_line_start:
            if line in (b"\r\n", b"\n"):
                break
            if line[:1] not in (b" ", b"\t"):
                name = line.split(b":", 1)[0].strip().lower()
                include = (name in wanted) == keep
        at_line_start = line.endswith(b"\n")
        if include:
            yield line
    yield b"\r\n"


def _lines(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Lines with their ends; a line longer than CHUNK comes in several pieces."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        start = 0
        while True:
            end = pending.find(b"\n", start)
            if end < 0:
                break
            yield pending[start : end + 1]
            start = end + 1
        pending = pending[start:]
        if len(pending) > CHUNK:
            yield pending
            pending = b""
    if pending:
        yield pending
