"""A stored message turned into what a reader page shows: headers, body sections, attachments, images.

This is the view-independent service every interface uses (Standard, Mobile, later Ajax and print): it
decides what is body and what is attachment (webmail/reading/parts.py), renders plain text to escaped
HTML (plaintext.py), sanitises HTML (sanitise.py), embeds ``cid:`` images and counts the remote images it
held back. It holds no Flask and renders no page; templates escape every header string as text.

Remote images are shown only when the caller says so (:class:`ReadOptions`): the user allowed them for
this message, or the sender is on the account's ``webmail.trusted_image_senders`` list
(:func:`sender_is_trusted`).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from storage.mime import Part
from webmail.reading.headers import HeaderView, header_view
from webmail.reading.parts import (
    INLINE_IMAGE_TYPES,
    Attachment,
    attachments,
    body_parts,
    content_ids,
    find_part,
    part_id,
)
from webmail.reading.plaintext import text_to_html
from webmail.reading.sanitise import sanitise_html
from webmail.reading.source import StoredMessage
from webmail.reading.stylesheet import clean_stylesheet, style_blocks

#: One embedded cid: image at most this large (decoded); larger ones stay attachments only.
MAX_EMBEDDED_IMAGE_BYTES = 5 * 1024 * 1024
#: All embedded images of one body together at most this large.
MAX_EMBEDDED_TOTAL_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class ReadOptions:
    prefer_html: bool = True
    remote_images: bool = False
    frame: bool = False  # rendering the body frame's document: classes and the cleaned stylesheet kept


@dataclass(frozen=True)
class BodySection:
    """One readable part: ``html`` is safe markup (escaped text, or sanitised HTML)."""

    kind: Literal["text", "html"]
    section: str
    html: str
    blocked_images: int
    truncated: bool
    stylesheet: str = ""  # cleaned CSS of the part's <style> blocks (ReadOptions.frame only)


@dataclass(frozen=True)
class MessageView:
    uid: int
    folder_id: int
    flags: frozenset[str]
    size: int
    headers: HeaderView
    sections: tuple[BodySection, ...]
    attachments: tuple[Attachment, ...]
    remote_images: bool  # whether remote images were let through

    @property
    def blocked_images(self) -> int:
        return sum(s.blocked_images for s in self.sections)

    @property
    def has_html(self) -> bool:
        return any(s.kind == "html" for s in self.sections)

    @property
    def wants_read_receipt(self) -> bool:
        """A receipt is asked for and none was sent or refused yet (RFC 3503 $MDNSent; keywords are
        case-insensitive: a JMAP client writes ``$mdnsent``)."""
        return self.headers.read_receipt_to is not None and not any(
            f.lower() == "$mdnsent" for f in self.flags
        )


def sender_is_trusted(address: str | None, trusted: Iterable[str]) -> bool:
    """Whether ``address`` is on a trusted-senders list: entries are addresses or domains (``example.org``
    or ``@example.org``), compared case-insensitively."""
    if not address or "@" not in address:
        return False
    address = address.lower()
    domain = address.rsplit("@", 1)[1]
    for entry in trusted:
        entry = entry.strip().lower()
        bare = entry.lstrip("@")
        if entry == address or ("@" not in bare and bare == domain):
            return True
    return False


def _embedded_images(message: StoredMessage) -> dict[str, str]:
    """cid -> data: URI of each raster image part with a Content-ID, within the size limits."""
    out: dict[str, str] = {}
    total = 0
    for cid, section in content_ids(message.root).items():
        part = find_part(message.root, section)
        if part is None or f"{part.maintype}/{part.subtype}" not in INLINE_IMAGE_TYPES:
            continue
        if part.size > MAX_EMBEDDED_IMAGE_BYTES * 4 // 3 + 4096:
            continue
        data = message.part_bytes(part)
        if len(data) > MAX_EMBEDDED_IMAGE_BYTES or total + len(data) > MAX_EMBEDDED_TOTAL_BYTES:
            continue
        total += len(data)
        encoded = base64.b64encode(data).decode("ascii")
        out[cid] = f"data:{part.maintype}/{part.subtype};base64,{encoded}"
    return out


def render_section(message: StoredMessage, part: Part, options: ReadOptions) -> BodySection:
    """One body part as safe HTML."""
    text, truncated = message.part_text(part)
    if part.subtype == "html":
        images = _embedded_images(message) if content_ids(message.root) else {}
        clean = sanitise_html(
            text, cid_url=images.get, allow_remote_images=options.remote_images, keep_classes=options.frame
        )
        sheet = clean_stylesheet(style_blocks(text)) if options.frame else ""
        return BodySection(
            "html", part_id(part), clean.html, clean.blocked_images, truncated or clean.truncated, sheet
        )
    html, cut = text_to_html(text)
    return BodySection("text", part_id(part), html, 0, truncated or cut)


def build_view(message: StoredMessage, options: ReadOptions) -> MessageView:
    """Everything the reader shows of ``message``."""
    shown = body_parts(message.root, prefer_html=options.prefer_html)
    return MessageView(
        uid=message.uid,
        folder_id=message.folder_id,
        flags=message.info.flags,
        size=message.info.size,
        headers=header_view(message.envelope, message.header_block()),
        sections=tuple(render_section(message, part, options) for part in shown),
        attachments=tuple(attachments(message.root, shown, prefer_html=options.prefer_html)),
        remote_images=options.remote_images,
    )


def body_section(message: StoredMessage, section: str, options: ReadOptions) -> BodySection | None:
    """The body section numbered ``section`` (for the iframe route), or None if it is not body."""
    for part in body_parts(message.root, prefer_html=options.prefer_html):
        if part_id(part) == section:
            return render_section(message, part, options)
    return None
