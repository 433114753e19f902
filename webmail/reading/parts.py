"""Which parts of a message are its readable body and which are attachments, from the cached MIME tree.

The tree comes from storage (``storage.mime``: parsed once at delivery, with byte offsets), so nothing
here re-parses the message. The choice follows RFC 2046 and what mail clients do:

- ``multipart/alternative`` (RFC 2046 5.1.4): the last child we can show wins when HTML is preferred
  (the richest form comes last); otherwise the first ``text/plain`` child, else the last showable one;
- ``multipart/related`` (RFC 2387 3.2): its root (the ``start`` parameter, else the first child) is
  shown; the other children are the resources its ``cid:`` references name;
- ``multipart/mixed`` and any other multipart: every child that is not an attachment, in order;
- a text/plain or text/html leaf without ``Content-Disposition: attachment`` is body; every other leaf,
  and a ``message/rfc822`` part as a whole, is an attachment.

Attachment names come from ``filename`` (RFC 2183), ``filename*`` (RFC 2231) or the Content-Type's
``name``, RFC 2047 words decoded (a common, non-standard practice), and are made safe by
:func:`webmail.reading.filenames.safe_filename`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from storage.mime import Part, decode_charset, decode_header_text
from storage.mime.tree import is_attachment
from webmail.reading.filenames import safe_filename

#: Image types a browser may show inline from our origin (never SVG: it can hold script).
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/gif", "image/jpeg", "image/webp", "image/bmp"})
_BODY_TYPES = frozenset({("text", "plain"), ("text", "html")})


@dataclass(frozen=True)
class Attachment:
    """One attachment as the reader lists it."""

    section: str
    filename: str  # safe to use as a file name; still escape it in HTML like any text
    content_type: str  # "type/subtype" as declared (lower case); never trusted for serving
    size: int  # decoded size, estimated from the encoded size
    content_id: str | None  # without the angle brackets

    @property
    def is_image(self) -> bool:
        """Whether the app shows it as an image (raster types only)."""
        return self.content_type in INLINE_IMAGE_TYPES


def _showable(part: Part) -> bool:
    if part.maintype == "multipart":
        return any(_showable(c) for c in part.children)
    return (part.maintype, part.subtype) in _BODY_TYPES and not is_attachment(part)


def _related_root(part: Part) -> Part:
    start = dict(part.params).get("start", "").strip()
    for child in part.children:
        if start and child.content_id and child.content_id.strip() == start:
            return child
    return part.children[0]


def _chosen_alternative(part: Part, prefer_html: bool) -> Part | None:
    showable = [c for c in part.children if _showable(c)]
    if not showable:
        return None
    plain = [c for c in showable if (c.maintype, c.subtype) == ("text", "plain")]
    return showable[-1] if prefer_html or not plain else plain[0]


def body_parts(root: Part, *, prefer_html: bool = True) -> list[Part]:
    """The text/plain and text/html leaves to show, in order (see the module docstring)."""
    if root.maintype == "multipart" and root.children:
        if root.subtype == "alternative":
            chosen = _chosen_alternative(root, prefer_html)
            return [] if chosen is None else body_parts(chosen, prefer_html=prefer_html)
        if root.subtype == "related":
            return body_parts(_related_root(root), prefer_html=prefer_html)
        out: list[Part] = []
        for child in root.children:
            if child.maintype == "multipart" or _showable(child):
                out.extend(body_parts(child, prefer_html=prefer_html))
        return out
    return [root] if _showable(root) else []


def attachments(root: Part, shown: list[Part], *, prefer_html: bool = True) -> list[Attachment]:
    """Every leaf that is not shown as body, and every ``message/rfc822`` part, in tree order; the
    renderings of a ``multipart/alternative`` that were not chosen are other forms of the body, not
    attachments."""
    body = {p.section for p in shown}
    return [_attachment(p) for p in _leaves(root, prefer_html) if p.section not in body]


def _leaves(part: Part, prefer_html: bool | None = None) -> Iterator[Part]:
    """Leaves in tree order; with ``prefer_html`` given, only the chosen child of each alternative."""
    if part.maintype == "multipart":
        children = part.children
        if part.subtype == "alternative" and prefer_html is not None:
            chosen = _chosen_alternative(part, prefer_html)
            children = children if chosen is None else (chosen,)
        for child in children:
            yield from _leaves(child, prefer_html)
    else:
        yield part  # a message/rfc822 part is one attachment: its inner parts are not walked


def content_ids(root: Part) -> dict[str, str]:
    """``cid`` (RFC 2392, without ``<>``) -> section, for the leaves that carry a Content-ID."""
    out: dict[str, str] = {}
    for part in _leaves(root):
        if part.content_id:
            out.setdefault(part.content_id.strip().strip("<>").strip(), part.section)
    return out


def part_id(part: Part) -> str:
    """A part's number for URLs: its IMAP section, "1" for the body of a single-part message."""
    return part.section or "1"


def find_part(root: Part, section: str) -> Part | None:
    """The part numbered ``section`` (RFC 3501 6.4.5 numbering, ``part_id``), or None."""
    if root.section == section or (section == "1" and root.section == "" and root.maintype != "multipart"):
        return root
    for child in root.children:
        found = find_part(child, section)
        if found is not None:
            return found
    return None


def _attachment(part: Part) -> Attachment:
    kind = f"{part.maintype}/{part.subtype}"
    size = part.size * 3 // 4 if part.encoding == "BASE64" else part.size
    fallback = f"part-{part.section or '1'}{_extension(kind)}"
    cid = part.content_id.strip().strip("<>").strip() if part.content_id else None
    return Attachment(part_id(part), safe_filename(declared_filename(part), fallback), kind, size, cid)


def declared_filename(part: Part) -> str:
    """The name the sender gave a part, decoded (RFC 2231 first, then plain, then Content-Type name)."""
    disposition = dict(part.disposition[1]) if part.disposition else {}
    params = dict(part.params)
    for source in (disposition, params):
        for key in ("filename*", "name*"):
            if source.get(key):
                return _rfc2231(source[key])
        for key in ("filename", "name"):
            if source.get(key):
                return decode_header_text(source[key])
    return ""


def _rfc2231(value: str) -> str:
    """``charset'language'%XX...`` (RFC 2231 4) to text; a bad charset falls back to UTF-8."""
    charset, _, rest = value.partition("'")
    _, _, encoded = rest.partition("'")
    return decode_charset(unquote_to_bytes(encoded), charset or "utf-8")


_EXTENSIONS = {
    "text/plain": ".txt",
    "text/html": ".html",
    "message/rfc822": ".eml",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/jpeg": ".jpg",
    "application/pdf": ".pdf",
}


def _extension(kind: str) -> str:
    return _EXTENSIONS.get(kind, ".bin")
