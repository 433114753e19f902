"""An Email's body (RFC 8621 4.1.4): bodyStructure, textBody, htmlBody, attachments and bodyValues.

The part tree and its byte offsets come from storage's cache of the parse made at delivery
(storage.mime, ``bodies.structure``), so the structure alone costs no blob read; the raw message is read
only for what is not cached (a part's header fields, a body value). Part ids are IMAP section numbers
("1", "2.1"), so a part's blob id is the message's plus its section (``b<folder>_<uid>_2_1``).

``size`` of a part is its size after transfer decoding, estimated from its encoded size (base64: three
bytes per four characters, line breaks left out); quoted-printable parts are given at their encoded
size, which is at most a little larger.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from storage.message_parts import filename
from storage.mime import Part
from storage.mime.text import decode_transfer
from webmail.jmap.ids import message_blob_id
from webmail.jmap.mail.email_headers import headers_list, split_fields

BODY_PROPERTIES = (
    "partId", "blobId", "size", "headers", "name", "type", "charset", "disposition", "cid", "language",
    "location", "subParts",
)  # fmt: skip
DEFAULT_BODY_PROPERTIES = (
    "partId", "blobId", "size", "name", "type", "charset", "disposition", "cid", "language", "location",
)  # fmt: skip
_INLINE_MEDIA = ("image", "audio", "video")


def blob_id(folder_id: int, uid: int, part: str | None = None) -> str:
    """The blob id of a message (``part`` None) or of one part (webmail/jmap/ids.py)."""
    return message_blob_id(folder_id, uid, part)


def part_id(part: Part) -> str | None:
    if part.maintype == "multipart":
        return None
    return part.section or "1"


def decoded_size(part: Part) -> int:
    if part.encoding.upper() == "BASE64":
        return max(0, (part.size - 2 * max(0, part.lines - 1)) * 3 // 4)
    return part.size


@dataclass
class Source:
    """A message being answered: ids, the cached tree and (read on first need) its bytes."""

    folder_id: int
    uid: int
    root: Part
    reader: Any  # () -> bytes

    _raw: bytes | None = None
    stored: bool = True  # False for a message parsed from a blob (Email/parse): its parts have no blob id

    @property
    def raw(self) -> bytes:
        if self._raw is None:
            self._raw = self.reader()
        return self._raw

    def fields(self, part: Part) -> list[tuple[str, str]]:
        return split_fields(self.raw[part.header_start : part.body_start])

    def body_bytes(self, part: Part) -> bytes:
        return decode_transfer(self.raw[part.body_start : part.end], part.encoding)


def _charset(part: Part) -> str | None:
    for key, value in part.params:
        if key == "charset":
            return value
    return "us-ascii" if part.maintype == "text" else None


def body_part(src: Source, part: Part, props: tuple[str, ...]) -> dict[str, Any]:
    """An EmailBodyPart with the properties asked for (RFC 8621 4.1.4)."""
    pid = part_id(part)
    out: dict[str, Any] = {}
    for p in props:
        if p == "partId":
            out[p] = pid
        elif p == "blobId":
            out[p] = blob_id(src.folder_id, src.uid, pid) if pid and src.stored else None
        elif p == "size":
            out[p] = 0 if part.maintype == "multipart" else max(0, decoded_size(part))
        elif p == "headers":
            out[p] = headers_list(src.fields(part))
        elif p == "name":
            out[p] = filename(part)
        elif p == "type":
            out[p] = f"{part.maintype}/{part.subtype}"
        elif p == "charset":
            out[p] = _charset(part)
        elif p == "disposition":
            out[p] = part.disposition[0] if part.disposition else None
        elif p == "cid":
            out[p] = part.content_id.strip().strip("<>") if part.content_id else None
        elif p == "language":
            out[p] = [x.strip() for x in part.language.split(",") if x.strip()] if part.language else None
        elif p == "location":
            out[p] = part.location
        elif p == "subParts":
            out[p] = (
                [body_part(src, k, props) for k in part.children] if part.maintype == "multipart" else None
            )
    return out


@dataclass
class Lists:
    text: list[Part]
    html: list[Part]
    attachments: list[Part]


def _is_inline_media(part: Part) -> bool:
    return part.maintype in _INLINE_MEDIA


def _is_attachment_disposition(part: Part) -> bool:
    return bool(part.disposition) and part.disposition is not None and part.disposition[0] == "attachment"


def body_lists(root: Part) -> Lists:
    """textBody, htmlBody and attachments by RFC 8621 4.1.4's algorithm (parseStructure)."""
    lists = Lists([], [], [])
    _walk([root], "mixed", False, lists, True, True)
    return lists


def _walk(
    parts: list[Part], multipart_type: str, in_alternative: bool, lists: Lists, html_ok: bool, text_ok: bool
) -> None:
    text_len = len(lists.text) if text_ok else -1
    html_len = len(lists.html) if html_ok else -1
    for i, part in enumerate(parts):
        kind = (part.maintype, part.subtype)
        is_inline = (
            not _is_attachment_disposition(part)
            and (kind in (("text", "plain"), ("text", "html")) or _is_inline_media(part))
            and (i == 0 or (multipart_type != "related" and (_is_inline_media(part) or not filename(part))))
        )
        if part.maintype == "multipart":
            sub = part.subtype
            _walk(list(part.children), sub, in_alternative or sub == "alternative", lists, html_ok, text_ok)
        elif is_inline:
            if multipart_type == "alternative":
                if kind == ("text", "plain"):
                    lists.text.append(part)
                elif kind == ("text", "html"):
                    lists.html.append(part)
                else:
                    lists.attachments.append(part)
                continue
            if in_alternative:
                if kind == ("text", "plain"):
                    html_ok = False
                if kind == ("text", "html"):
                    text_ok = False
            if text_ok:
                lists.text.append(part)
            if html_ok:
                lists.html.append(part)
            if (not text_ok or not html_ok) and _is_inline_media(part):
                lists.attachments.append(part)
        else:
            lists.attachments.append(part)
    if multipart_type == "alternative" and text_ok and html_ok:
        if text_len == len(lists.text) and html_len != len(lists.html):
            lists.text.extend(lists.html[html_len:])
        if html_len == len(lists.html) and text_len != len(lists.text):
            lists.html.extend(lists.text[text_len:])


def leaves(root: Part) -> Iterator[Part]:
    stack = [root]
    while stack:
        part = stack.pop()
        if part.maintype == "multipart":
            stack.extend(reversed(part.children))
        else:
            yield part


def body_value(src: Source, part: Part, max_bytes: int) -> dict[str, Any]:
    """An EmailBodyValue: the part's text, charset decoded; truncated to ``max_bytes`` UTF-8 octets
    (0: whole) without splitting a character."""
    data = src.body_bytes(part)
    charset = _charset(part) or "us-ascii"
    problem = False
    try:
        text = data.decode(_codec(charset))
    except (LookupError, UnicodeDecodeError):
        problem = True
        try:
            text = data.decode(_codec(charset), "replace")
        except LookupError:
            text = data.decode("utf-8", "replace")
    text = text.replace("\r\n", "\n")
    truncated = False
    if max_bytes and len(text.encode("utf-8")) > max_bytes:
        cut = text.encode("utf-8")[:max_bytes]
        text = cut.decode("utf-8", "ignore")
        truncated = True
    return {"value": text, "isEncodingProblem": problem, "isTruncated": truncated}


def _codec(charset: str) -> str:
    name = charset.strip().strip('"').lower()
    return {"us-ascii": "utf-8", "ascii": "utf-8", "unicode-1-1-utf-7": "utf-7"}.get(name, name)
