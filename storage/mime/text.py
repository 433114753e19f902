"""Human-readable text from a message: charsets, transfer encodings, RFC 2047 words, HTML, previews.

Implementation notes:
- Never fails: unknown or bogus charsets fall back to UTF-8 with replacement characters,
  base64 with junk characters or lost padding is repaired (and yields nothing if still
  undecodable), and charset labels that lie in practice are mapped the way browsers map them
  (WHATWG Encoding), so previews and the search index see what users see.
- Linear: HTML is stripped with forward-only scans, and a body is read only as far as the text
  budget needs (SNIPPET_CHARS for previews, SEARCH_TEXT_CAP for the full-text index).
- Decoded text is for display and search only; IMAP always serves the raw bytes by offset.
"""

from __future__ import annotations

import binascii
import codecs
import html
import re
from collections.abc import Iterator

from storage.mime.addresses import address_string
from storage.mime.model import SEARCH_TEXT_CAP, SNIPPET_CHARS, TEXT_PLAIN, AddressList, Part
from storage.mime.tree import is_attachment

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_CHARSET_NAME = re.compile(r"[A-Za-z0-9._:+-]{1,40}")
# Labels that lie in practice, mapped the way browsers (WHATWG Encoding) map them.
_CHARSET_ALIASES = {
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
}
_B64_NOISE = bytes(set(range(256)) - set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"))
_SKIP_OPEN = re.compile(r"<!--|<(script|style)\b", re.I)
_SKIP_CLOSE = {"script": re.compile(r"</script", re.I), "style": re.compile(r"</style", re.I)}
_TAG = re.compile(r"<[^<>]*>")


def _decode_bytes(data: bytes, charset: str) -> str:
    name = _CHARSET_ALIASES.get(charset.strip().lower(), charset.strip())
    if _CHARSET_NAME.fullmatch(name):
        try:
            info = codecs.lookup(name)
            if getattr(info, "_is_text_encoding", True):
                return data.decode(info.name, "replace")
        except (LookupError, UnicodeError, ValueError):
            pass
    return data.decode("utf-8", "replace")


def _base64(data: bytes) -> bytes:
    """Lenient base64: real mail has junk characters, lost padding and truncated tails."""
    data = data.translate(None, _B64_NOISE)
    cut = len(data) % 4
    if cut == 1:
        data = data[:-1]
    elif cut:
        data += b"=" * (4 - cut)
    try:
        return binascii.a2b_base64(data)
    except (binascii.Error, ValueError):
        return b""


def decode_transfer(data: bytes, encoding: str) -> bytes:
    """A part's body with its Content-Transfer-Encoding undone (RFC 2045 6), leniently; 7BIT, 8BIT,
    BINARY and unknown encodings give the bytes as they are."""
    encoding = encoding.upper()
    if encoding == "BASE64":
        return _base64(data)
    if encoding == "QUOTED-PRINTABLE":
        return binascii.a2b_qp(data)
    return data


def decode_charset(data: bytes, charset: str) -> str:
    """Text of ``data`` in ``charset``, mapped and repaired as for previews (never raises)."""
    return _decode_bytes(data, charset)


def decode_header_text(value: str | None) -> str:
    """RFC 2047 decoding that never fails; adjacent words of one charset decode together so a
    multi-byte character split across words survives."""
    if not value:
        return ""
    out: list[str] = []
    pending = bytearray()
    charset: str | None = None
    pos = 0
    for m in _ENCODED_WORD.finditer(value):
        gap = value[pos : m.start()]
        word_charset = m.group(1).split("*", 1)[0].lower()
        between_words = charset is not None and (not gap or gap.isspace())  # dropped, RFC 2047 6.2
        if charset is not None and (word_charset != charset or not between_words):
            out.append(_decode_bytes(bytes(pending), charset))
            pending.clear()
            charset = None
        if not between_words:
            out.append(gap)
        encoded = m.group(3).encode("utf-8")
        if m.group(2) in "bB":
            pending += _base64(encoded)
        else:
            pending += binascii.a2b_qp(encoded, header=True)
        charset = word_charset
        pos = m.end()
    if charset is not None:
        out.append(_decode_bytes(bytes(pending), charset))
    out.append(value[pos:])
    return "".join(out)


def address_list_text(addresses: AddressList) -> str:
    """An address list as a reader sees it, RFC 2047 words decoded: ``Real Name <user@domain>,
    Team: a@x, b@y;``; SEARCH FROM/TO/CC/BCC match substrings of it (RFC 3501 6.4.4)."""
    text, sep = "", ""
    for a in addresses:
        if a.host is None and a.mailbox is not None:  # group start (RFC 3501 7.4.2)
            text += f"{sep}{decode_header_text(a.mailbox)}: "
            sep = ""
        elif a.host is None:  # group end
            text = text.rstrip(" ") + ";"
            sep = ", "
        else:
            spec = address_string(a) or ""
            name = decode_header_text(a.name)
            text += sep + (f"{name} <{spec}>" if name else spec)
            sep = ", "
    return text


def _strip_html(text: str) -> str:
    """Tags, comments, scripts and styles removed; written as forward-only scans to stay linear."""
    out: list[str] = []
    pos = 0
    while (m := _SKIP_OPEN.search(text, pos)) is not None:
        out.append(text[pos : m.start()])
        out.append(" ")
        if m.group(1):
            close = _SKIP_CLOSE[m.group(1).lower()].search(text, m.end())
            gt = text.find(">", close.end()) if close else -1
            pos = gt + 1 if gt >= 0 else len(text)
        else:
            close_at = text.find("-->", m.end())
            pos = close_at + 3 if close_at >= 0 else len(text)
    out.append(text[pos:])
    return html.unescape(_TAG.sub(" ", "".join(out)))


def _body_text(raw: bytes, part: Part, limit: int) -> str:
    """Decoded, whitespace-collapsed text of a text/* leaf, reading at most what ``limit`` needs."""
    data = raw[part.body_start : min(part.end, part.body_start + 8 * limit + 8)]
    if part.encoding == "BASE64":
        data = _base64(data)
    elif part.encoding == "QUOTED-PRINTABLE":
        data = binascii.a2b_qp(data)
    text = _decode_bytes(data, dict(part.params).get("charset", "utf-8"))
    if part.subtype == "html":
        text = _strip_html(text)
    return " ".join(text.split())


def _text_leaves(part: Part) -> Iterator[Part]:
    """text/plain and text/html leaves in order; an alternative with a plain child yields only that."""
    if part.maintype == "multipart":
        children = part.children
        if part.subtype == "alternative":
            plain = [c for c in children if (c.maintype, c.subtype) == TEXT_PLAIN]
            children = tuple(plain[:1]) or children
        for child in children:
            yield from _text_leaves(child)
    elif part.children:
        yield from _text_leaves(part.children[0])
    elif part.maintype == "text" and part.subtype in ("plain", "html"):
        yield part


def snippet_and_search_text(raw: bytes, root: Part) -> tuple[str, str]:
    """The list-view preview and the full-text index text of a message.

    Text leaves are decoded in order until SEARCH_TEXT_CAP characters are collected; the snippet
    comes from the first non-attachment text/plain leaf (else the first text leaf), reusing its
    decoded text when the index already read it.
    """
    texts: dict[int, str] = {}
    chunks: list[str] = []
    budget = SEARCH_TEXT_CAP
    for part in _text_leaves(root):
        if budget <= 0:
            break
        texts[part.header_start] = _body_text(raw, part, budget)
        chunks.append(texts[part.header_start][:budget])
        budget -= len(chunks[-1]) + 1
    leaves = [p for p in _text_leaves(root) if not is_attachment(p)]
    first = next((p for p in leaves if p.subtype == "plain"), leaves[0] if leaves else None)
    snippet = ""
    if first is not None:
        text = texts.get(first.header_start)
        snippet = (text if text is not None else _body_text(raw, first, 20 * SNIPPET_CHARS))[:SNIPPET_CHARS]
    return snippet, "\n".join(chunks)[:SEARCH_TEXT_CAP]
