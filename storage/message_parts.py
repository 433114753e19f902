"""A stored message as a reader shows it: headers, the MIME parts with their ids, and each part's
decoded bytes, streamed from the blob.

Why from the cache: the envelope and the part tree with byte offsets were parsed once at delivery
(``bodies.structure``, storage.mime.cache), so opening a message reads one row, and downloading an
attachment reads just that byte range of the blob, decoded chunk by chunk (base64 and
quoted-printable, RFC 2045 6.7-6.8), never the whole message into memory.

Part ids are IMAP section numbers (RFC 3501 6.4.5): "1", "2.1"... A single-part message's body is "1".
Parts inside an attached message (message/rfc822) are not listed: the attachment is the whole message.
Nothing here sanitises anything: names, types and bytes are the sender's, and whoever shows them must
escape or sanitise them (WebMail's reader does).
"""

from __future__ import annotations

import binascii
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote

from storage.mime import Part, decode_header_text, from_json, part_by_section
from storage.mime.addresses import address_string
from storage.mime.headers import parse_date
from storage.mime.model import AddressList
from storage.mime.tree import is_attachment

CHUNK = 256 * 1024  # encoded bytes read from the blob at a time
_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_B64_NOISE = bytes(set(range(256)) - set(_B64))


@dataclass(frozen=True)
class Mailbox:
    """One address of a header: the decoded display name (may be "") and the addr-spec."""

    name: str
    address: str


@dataclass(frozen=True)
class MessagePart:
    """One MIME entity. ``size`` is the encoded body size (RFC 3501 BODYSTRUCTURE), not the decoded."""

    id: str
    content_type: str  # "text/plain", lower case
    charset: str | None
    filename: str | None
    disposition: str | None  # "inline", "attachment" or None
    content_id: str | None
    encoding: str
    size: int
    is_attachment: bool
    children: tuple[str, ...]  # ids of the parts of a multipart


@dataclass(frozen=True)
class MessageView:
    """What a reader needs of a message, from the cached structure (headers decoded, RFC 2047)."""

    uid: int
    flags: frozenset[str]
    internal_date: datetime
    size: int
    subject: str
    date: datetime | None
    from_: tuple[Mailbox, ...]
    sender: tuple[Mailbox, ...]
    reply_to: tuple[Mailbox, ...]
    to: tuple[Mailbox, ...]
    cc: tuple[Mailbox, ...]
    bcc: tuple[Mailbox, ...]
    message_id: str | None
    in_reply_to: str | None
    parts: tuple[MessagePart, ...]  # preorder; the first is the message body's root
    header_end: int  # the header section is bytes [0, header_end) of the raw message

    def part(self, part_id: str) -> MessagePart | None:
        return next((p for p in self.parts if p.id == part_id), None)

    @property
    def attachments(self) -> tuple[MessagePart, ...]:
        return tuple(p for p in self.parts if p.is_attachment)


def message_view(
    uid: int, flags: frozenset[str], internal_date: datetime, size: int, structure: str
) -> MessageView:
    envelope, root = from_json(structure)
    return MessageView(
        uid=uid,
        flags=flags,
        internal_date=internal_date,
        size=size,
        subject=decode_header_text(envelope.subject),
        date=parse_date(envelope.date),
        from_=_mailboxes(envelope.from_),
        sender=_mailboxes(envelope.sender),
        reply_to=_mailboxes(envelope.reply_to),
        to=_mailboxes(envelope.to),
        cc=_mailboxes(envelope.cc),
        bcc=_mailboxes(envelope.bcc),
        message_id=envelope.message_id,
        in_reply_to=envelope.in_reply_to,
        parts=tuple(_parts(root)),
        header_end=root.body_start,
    )


def _mailboxes(addresses: AddressList) -> tuple[Mailbox, ...]:
    out = []
    for a in addresses:
        spec = address_string(a)
        if spec is not None:
            out.append(Mailbox(decode_header_text(a.name), spec))
    return tuple(out)


def _id(part: Part) -> str:
    """IMAP's section number; a single-part message's body is "1", a multipart root is ""."""
    return part.section or ("" if part.maintype == "multipart" else "1")


def _parts(root: Part) -> Iterator[MessagePart]:
    stack = [root]
    while stack:
        part = stack.pop()
        multipart = part.maintype == "multipart"
        kids = part.children if multipart else ()
        yield MessagePart(
            id=_id(part),
            content_type=f"{part.maintype}/{part.subtype}",
            charset=_param(part.params, "charset"),
            filename=filename(part),
            disposition=part.disposition[0] if part.disposition else None,
            content_id=part.content_id,
            encoding=part.encoding,
            size=part.size,
            is_attachment=is_attachment(part) or (part.maintype, part.subtype) == ("message", "rfc822"),
            children=tuple(_id(k) for k in kids),
        )
        stack.extend(reversed(kids))


def _param(params: tuple[tuple[str, str], ...], name: str) -> str | None:
    for key, value in params:
        if key == name:
            return value
        if key == name + "*":  # RFC 2231 4: charset'language'percent-encoded
            charset, _, rest = value.partition("'")
            _lang, _, encoded = rest.partition("'")
            try:
                return unquote(encoded, encoding=charset or "utf-8", errors="replace")
            except LookupError:
                return unquote(encoded, errors="replace")
    return None


def filename(part: Part) -> str | None:
    """The attachment's name: Content-Disposition filename, else Content-Type name (RFC 2183, 2231,
    and the RFC 2047 words many clients use); path separators become "_"."""
    name = _param(part.disposition[1], "filename") if part.disposition else None
    name = name or _param(part.params, "name")
    if not name:
        return None
    return decode_header_text(name).replace("/", "_").replace("\\", "_").strip() or None


def find_part(structure: str, part_id: str) -> Part | None:
    """The cached part with IMAP section ``part_id`` (None: no such part)."""
    _envelope, root = from_json(structure)
    return part_by_section(root, part_id)


def decoded_chunks(read: Callable[[int, int], bytes], part: Part) -> Iterator[bytes]:
    """The part's body, transfer decoding undone, in pieces of about CHUNK bytes. ``read(start, end)``
    returns the blob's bytes in that range."""
    start, end = part.body_start, part.end
    encoding = part.encoding.upper()
    carry = b""
    for pos in range(start, end, CHUNK):
        data = carry + read(pos, min(end, pos + CHUNK))
        last = pos + CHUNK >= end
        if encoding == "BASE64":
            data = data.translate(None, _B64_NOISE)
            cut = len(data) if last else len(data) - len(data) % 4
            data, carry = data[:cut], data[cut:]
            out = _b64(data)
        elif encoding == "QUOTED-PRINTABLE":
            cut = len(data) if last else data.rfind(b"\n") + 1
            data, carry = data[:cut], data[cut:]
            out = binascii.a2b_qp(data)
        else:
            out = data
        if out:
            yield out


def _b64(data: bytes) -> bytes:
    data = data.rstrip(b"=")
    data = data.replace(b"=", b"")
    data += b"=" * (-len(data) % 4)
    if len(data) % 4 == 1:
        data = data[:-1]
    try:
        return binascii.a2b_base64(data)
    except (binascii.Error, ValueError):
        return b""
