"""Parse a message once, at delivery, into everything FETCH, list views and search need.

Implementation notes:
- Why: IMAP (BODYSTRUCTURE, ENVELOPE, BODY[1.2.MIME]), WebMail lists and search must never re-parse
  blobs, so one pass here records the MIME tree with exact byte offsets into the stored blob (any
  section is served by slicing), the envelope, and decoded text for previews and the full-text index.
- Pure and total: no I/O, and no input makes it raise. Broken MIME is normal mail, so every malformed
  construct degrades to the RFC 2045 defaults instead of an error.
- The stdlib ``email`` parser gives no offsets, so the tree is built by scanning for boundaries here.
- Linear time: scanning uses ``bytes.find`` and compiled regexes whose matches cannot backtrack across
  the input; each level scans only its own range; depth (MAX_DEPTH) and part count (MAX_PARTS) are
  capped, and a multipart or message/rfc822 past a cap is recorded as application/octet-stream so the
  tree stays valid IMAP.
- Header bytes are decoded as UTF-8, else Latin-1: 8-bit headers become text, never surrogates
  (which JSON columns and SQL text would reject).
- Case: ``Part`` keeps case-insensitive tokens (type, subtype, parameter names, disposition type)
  lower-case and ``encoding`` upper-case; ``bodystructure`` upper-cases types, subtypes, parameter
  names and the disposition type, as in the examples of RFC 3501 7.4.2. Values are kept as given.
- RFC 2231 parameters are joined but not decoded (``filename*`` keeps ``charset'lang'%XX``), so
  BODYSTRUCTURE stays ASCII and clients decode them, as Dovecot does.
- Offsets refer to the bytes given; callers that normalise line endings must do so before parsing.
"""

from __future__ import annotations

import binascii
import codecs
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import NamedTuple, TypeAlias
from urllib.parse import quote

MAX_DEPTH = 50
MAX_PARTS = 1000
SNIPPET_CHARS = 200
SEARCH_TEXT_CAP = 1_000_000

Params: TypeAlias = tuple[tuple[str, str], ...]
Disposition: TypeAlias = tuple[str, Params]
BodyValue: TypeAlias = "str | int | None | list[BodyValue]"


@dataclass(frozen=True)
class Address:
    """RFC 3501 7.4.2 address; ``host`` None with a mailbox opens a group, all None closes it."""

    name: str | None
    adl: str | None
    mailbox: str | None
    host: str | None


AddressList: TypeAlias = tuple[Address, ...]


@dataclass(frozen=True)
class Envelope:
    """Raw (unfolded, not MIME-decoded) values, because IMAP ENVELOPE must return them that way."""

    date: str | None
    subject: str | None
    from_: AddressList
    sender: AddressList
    reply_to: AddressList
    to: AddressList
    cc: AddressList
    bcc: AddressList
    in_reply_to: str | None
    message_id: str | None


@dataclass(frozen=True)
class Part:
    """One MIME entity; offsets let IMAP serve HEADER/MIME/body sections by slicing the blob."""

    section: str
    header_start: int
    body_start: int
    end: int
    maintype: str
    subtype: str
    params: Params
    content_id: str | None
    description: str | None
    encoding: str
    disposition: Disposition | None
    language: str | None
    location: str | None
    md5: str | None
    size: int
    lines: int
    children: tuple[Part, ...]
    envelope: Envelope | None


@dataclass(frozen=True)
class ParsedMessage:
    size: int
    envelope: Envelope
    root: Part
    subject: str
    from_display: str
    from_addr: str | None
    to_addrs: tuple[str, ...]
    cc_addrs: tuple[str, ...]
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    date: datetime | None
    snippet: str
    has_attachments: bool
    search_text: str
    header_text: str


# --- headers -------------------------------------------------------------------------------------

_BLANK_LINE = re.compile(rb"\n\r?\n")
_HEADER_LINE = re.compile(rb"[!-9;-~]+[ \t]*:")
_PADDING_EOL = re.compile(rb"[ \t]*(?:\r?\n|\Z)")
_WANTED = frozenset(
    b"content-type content-transfer-encoding content-id content-description content-disposition "
    b"content-language content-location content-md5 date subject from sender reply-to to cc bcc "
    b"in-reply-to message-id references".split()
)
_TEXT_PLAIN = ("text", "plain")
_MESSAGE_RFC822 = ("message", "rfc822")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9a-z]+")
_PARAM = re.compile(r'\s*([^\s=;"]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"?|([^;]*))', re.S)
_CONTINUATION = re.compile(r"(.+?)\*(\d{1,4})(\*?)")
_QUOTED_PAIR = re.compile(r"\\(.)", re.S)


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _header_end(raw: bytes, start: int, end: int, strict: bool) -> int:
    """Return the body offset: past the blank line ending the headers.

    MIME parts often lack headers entirely; ``strict`` treats a first line that is not a header as
    the start of the body rather than swallowing the text as headers.
    """
    if raw.startswith(b"\n", start, end):
        return start + 1
    if raw.startswith(b"\r\n", start, end):
        return start + 2
    if strict and not _HEADER_LINE.match(raw, start, end):
        return start
    m = _BLANK_LINE.search(raw, start, end)
    return m.end() if m else end


def _read_headers(raw: bytes, start: int, stop: int) -> dict[bytes, str]:
    """First occurrence of each header we use, unfolded; others are skipped without decoding."""
    found: dict[bytes, list[bytes]] = {}
    current: list[bytes] | None = None
    for line in raw[start:stop].split(b"\n"):
        if line.endswith(b"\r"):
            line = line[:-1]
        if line[:1] in (b" ", b"\t"):
            if current is not None:
                current.append(line)
            continue
        current = None
        colon = line.find(b":")
        if colon > 0:
            name = line[:colon].rstrip().lower()
            if name in _WANTED and name not in found:
                current = found[name] = [line[colon + 1 :]]
    return {name: _text(b"".join(pieces)).strip() for name, pieces in found.items()}


def _split_params(value: str) -> tuple[str, Params]:
    """Split ``type; a=b; c="d"`` into the head token and parameters (RFC 2045 5.1, RFC 2231 3)."""
    semi = value.find(";")
    head = value if semi < 0 else value[:semi]
    head = head.split("(", 1)[0].strip()
    pairs: list[tuple[str, str]] = []
    pos = semi
    while 0 <= pos < len(value):
        m = _PARAM.match(value, pos + 1)
        if m:
            name = m.group(1).lower()
            if m.group(2) is not None:
                pairs.append((name, _QUOTED_PAIR.sub(r"\1", m.group(2))))
            else:
                pairs.append((name, m.group(3).strip()))
            pos = value.find(";", m.end())
        else:
            pos = value.find(";", pos + 1)
    return head, _join_continuations(pairs)


def _join_continuations(pairs: list[tuple[str, str]]) -> Params:
    """Join RFC 2231 ``name*0``, ``name*1*`` segments; an extended result is named ``name*``."""
    out: list[tuple[str, str]] = []
    slots: dict[str, int] = {}
    segments: dict[str, dict[int, tuple[str, bool]]] = {}
    for name, value in pairs:
        m = _CONTINUATION.fullmatch(name)
        if m is None:
            out.append((name, value))
            continue
        base = m.group(1)
        if base not in segments:
            segments[base] = {}
            slots[base] = len(out)
            out.append((base, ""))  # filled below, keeping first-seen order
        segments[base].setdefault(int(m.group(2)), (value, bool(m.group(3))))
    for base, parts in segments.items():
        ordered = [parts[i] for i in sorted(parts)]
        if any(ext for _, ext in ordered):
            text = "".join(v if ext else quote(v, safe="") for v, ext in ordered)
            out[slots[base]] = (base + "*", text if ordered[0][1] else "''" + text)
        else:
            out[slots[base]] = (base, "".join(v for v, _ in ordered))
    return tuple(out)


def _content_type(value: str | None, default: tuple[str, str]) -> tuple[str, str, Params]:
    defaulted: tuple[str, str, Params] = (
        *default,
        (("charset", "us-ascii"),) if default == _TEXT_PLAIN else (),
    )
    if value is None:
        return defaulted
    head, params = _split_params(value)
    maintype, slash, subtype = head.lower().partition("/")
    maintype, subtype = maintype.strip(), subtype.strip()
    if not slash or not _TOKEN.fullmatch(maintype) or not _TOKEN.fullmatch(subtype):
        return defaulted  # RFC 2045 5.2: an invalid Content-Type means text/plain
    return maintype, subtype, params


# --- structure -----------------------------------------------------------------------------------


class _Budget:
    """Parts still allowed, so a message of a million empty parts cannot cost a million objects."""

    def __init__(self) -> None:
        self.left = MAX_PARTS


def _parse_entity(
    raw: bytes,
    start: int,
    end: int,
    section: str,
    depth: int,
    default: tuple[str, str],
    strict: bool,
    budget: _Budget,
    headerless: bool = False,
) -> tuple[Part, dict[bytes, str]]:
    budget.left -= 1
    body_start = start if headerless else _header_end(raw, start, end, strict)
    h = _read_headers(raw, start, body_start)
    maintype, subtype, params = _content_type(h.get(b"content-type"), default)
    is_message = (maintype, subtype) == _MESSAGE_RFC822
    if (maintype == "multipart" or is_message) and (depth >= MAX_DEPTH or budget.left <= 0):
        maintype, subtype, is_message = "application", "octet-stream", False
    children: tuple[Part, ...] = ()
    envelope: Envelope | None = None
    if maintype == "multipart":
        children = _parse_multipart(raw, body_start, end, section, depth, subtype, params, budget)
    elif is_message:
        # RFC 3501 6.4.5: the encapsulated message shares its part's number; a top-level
        # message/rfc822 body is part "1".
        inner, inner_headers = _parse_entity(
            raw, body_start, end, section or "1", depth + 1, _TEXT_PLAIN, True, budget
        )
        children, envelope = (inner,), _envelope(inner_headers)
    disposition: Disposition | None = None
    if h.get(b"content-disposition"):
        kind, dparams = _split_params(h[b"content-disposition"])
        disposition = (kind.lower(), dparams)
    encoding = h.get(b"content-transfer-encoding", "").split(";")[0].strip().upper() or "7BIT"
    size = end - body_start
    lines = raw.count(b"\n", body_start, end) + (1 if size and raw[end - 1] != 0x0A else 0)
    part = Part(
        section=section,
        header_start=start,
        body_start=body_start,
        end=end,
        maintype=maintype,
        subtype=subtype,
        params=params,
        content_id=h.get(b"content-id") or None,
        description=h.get(b"content-description") or None,
        encoding=encoding,
        disposition=disposition,
        language=h.get(b"content-language") or None,
        location=h.get(b"content-location") or None,
        md5=h.get(b"content-md5") or None,
        size=size,
        lines=lines,
        children=children,
        envelope=envelope,
    )
    return part, h


def _parse_multipart(
    raw: bytes,
    start: int,
    end: int,
    section: str,
    depth: int,
    subtype: str,
    params: Params,
    budget: _Budget,
) -> tuple[Part, ...]:
    """Children of a multipart; with no usable boundary the whole body becomes one headerless part.

    IMAP requires at least one child (RFC 3501 9, body-type-mpart), hence the fallback.
    """
    boundary = dict(params).get("boundary", "")
    spans = _split_multipart(raw, start, end, boundary.encode(), max(1, budget.left)) if boundary else []
    headerless = not spans
    if headerless:
        spans = [(start, end)]
    default = _MESSAGE_RFC822 if subtype == "digest" else _TEXT_PLAIN
    children = []
    for number, (s, e) in enumerate(spans, 1):
        child_section = f"{section}.{number}" if section else str(number)
        part, _ = _parse_entity(raw, s, e, child_section, depth + 1, default, True, budget, headerless)
        children.append(part)
    return tuple(children)


def _split_multipart(raw: bytes, start: int, end: int, boundary: bytes, limit: int) -> list[tuple[int, int]]:
    """Spans between delimiter lines (RFC 2046 5.1.1); the CRLF before a delimiter belongs to it.

    A missing close delimiter lets the last part run to the end; past ``limit`` parts the last
    part swallows the rest.
    """
    delimiter = b"--" + boundary
    spans: list[tuple[int, int]] = []
    part_start = -1
    pos = start
    while True:
        k = raw.find(delimiter, pos, end)
        if k < 0:
            break
        pos = k + 1
        if k != start and raw[k - 1] != 0x0A:
            continue
        after = k + len(delimiter)
        closing = raw.startswith(b"--", after, end)
        eol = None if closing else _PADDING_EOL.match(raw, after, end)
        if not closing and eol is None:
            continue
        if part_start >= 0:
            if len(spans) + 1 >= limit:
                break
            stop = k
            if stop > part_start and raw[stop - 1] == 0x0A:
                stop -= 1
                if stop > part_start and raw[stop - 1] == 0x0D:
                    stop -= 1
            spans.append((part_start, stop))
        if eol is None:
            return spans
        part_start = pos = eol.end()
    if part_start >= 0:
        spans.append((part_start, end))
    return spans


# --- addresses -----------------------------------------------------------------------------------

_ADDR_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | "(?P<qs>(?:[^"\\]|\\.)*)"?
      | (?P<dl>\[(?:[^\[\]\\]|\\.)*\]?)
      | (?P<cm>\((?:[^()\\]|\\.|\((?:[^()\\]|\\.)*\)?)*\)?)
      | (?P<sp>[<>@,;:.])
      | (?P<at>[^\s"\[(<>@,;:.]+)
      | (?P<junk>.)""",
    re.X | re.S,
)


class _Tok(NamedTuple):
    kind: str  # "qs", "dl", "sp", "at" or "junk"
    text: str
    space_before: bool


def _tokenize_addresses(value: str) -> list[_Tok]:
    """RFC 5322 3.2 lexical tokens; comments (two nesting levels suffice in practice) are dropped."""
    toks: list[_Tok] = []
    space = False
    for m in _ADDR_TOKEN.finditer(value):
        kind = m.lastgroup or "junk"
        if kind in ("ws", "cm"):
            space = True
            continue
        text = _QUOTED_PAIR.sub(r"\1", m.group("qs")) if kind == "qs" else m.group()
        toks.append(_Tok(kind, text, space))
        space = False
    return toks


def _is(tok: _Tok, specials: str) -> bool:
    return tok.kind == "sp" and tok.text in specials


def _phrase(toks: list[_Tok]) -> str:
    out: list[str] = []
    for tok in toks:
        if out and tok.space_before:
            out.append(" ")
        out.append(tok.text)
    return "".join(out)


def _word(tok: _Tok) -> str:
    if tok.kind == "qs":
        return '"' + tok.text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return tok.text


def _addr_spec(toks: list[_Tok]) -> tuple[str, str]:
    """Split at the last "@"; a missing domain gives host "" so it is never read as a group start."""
    at = max((i for i, t in enumerate(toks) if _is(t, "@")), default=-1)
    if at < 0:
        return _phrase(toks), ""
    return "".join(map(_word, toks[:at])), "".join(t.text for t in toks[at + 1 :])


def _mailbox(seg: list[_Tok]) -> Address | None:
    if not seg:
        return None
    angle = next((i for i, t in enumerate(seg) if _is(t, "<")), -1)
    if angle < 0:
        mailbox, host = _addr_spec(seg)
        return Address(None, None, mailbox, host)
    close = next((i for i, t in enumerate(seg) if i > angle and _is(t, ">")), len(seg))
    inner = seg[angle + 1 : close]
    name = _phrase(seg[:angle]) or None
    colon = next((i for i, t in enumerate(inner) if _is(t, ":")), -1)
    adl = ("".join(t.text for t in inner[:colon]) or None) if colon >= 0 else None
    mailbox, host = _addr_spec(inner[colon + 1 :])
    if name is None and not mailbox and not host:
        return None  # "<>", the null reverse-path
    return Address(name, adl, mailbox, host)


def _addresses(value: str | None) -> AddressList:
    """RFC 5322 address-list including groups, as the RFC 3501 address structure."""
    if not value:
        return ()
    out: list[Address] = []
    seg: list[_Tok] = []
    in_group = in_angle = False

    def flush() -> None:
        address = _mailbox(seg)
        if address is not None:
            out.append(address)
        seg.clear()

    for tok in _tokenize_addresses(value):
        if tok.kind == "sp":
            if tok.text == "<":
                in_angle = True
            elif tok.text == ">":
                in_angle = False
            elif not in_angle and tok.text == ",":
                flush()
                continue
            elif not in_angle and tok.text == ";":
                flush()
                if in_group:
                    out.append(Address(None, None, None, None))
                    in_group = False
                continue
            elif not in_angle and tok.text == ":" and not in_group and not any(_is(t, "@") for t in seg):
                out.append(Address(None, None, _phrase(seg), None))
                seg.clear()
                in_group = True
                continue
        seg.append(tok)
    flush()
    if in_group:
        out.append(Address(None, None, None, None))
    return tuple(out)


def _envelope(h: dict[bytes, str]) -> Envelope:
    from_ = _addresses(h.get(b"from"))
    return Envelope(
        date=h.get(b"date"),
        subject=h.get(b"subject"),
        from_=from_,
        sender=_addresses(h.get(b"sender")) or from_,  # RFC 3501 7.4.2: absent or empty -> From
        reply_to=_addresses(h.get(b"reply-to")) or from_,
        to=_addresses(h.get(b"to")),
        cc=_addresses(h.get(b"cc")),
        bcc=_addresses(h.get(b"bcc")),
        in_reply_to=h.get(b"in-reply-to"),
        message_id=h.get(b"message-id"),
    )


# --- decoding ------------------------------------------------------------------------------------

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
_MSG_ID = re.compile(r"<[^<>]*>")
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


def _walk(part: Part) -> Iterator[Part]:
    yield part
    for child in part.children:
        yield from _walk(child)


def _text_leaves(part: Part) -> Iterator[Part]:
    """text/plain and text/html leaves in order; an alternative with a plain child yields only that."""
    if part.maintype == "multipart":
        children = part.children
        if part.subtype == "alternative":
            plain = [c for c in children if (c.maintype, c.subtype) == _TEXT_PLAIN]
            children = tuple(plain[:1]) or children
        for child in children:
            yield from _text_leaves(child)
    elif part.children:
        yield from _text_leaves(part.children[0])
    elif part.maintype == "text" and part.subtype in ("plain", "html"):
        yield part


def _is_attachment(part: Part) -> bool:
    if part.disposition is not None and part.disposition[0] == "attachment":
        return True
    if part.maintype in ("text", "multipart") or part.children:
        return False
    names = [n for n, _ in part.params] + [n for n, _ in (part.disposition or ("", ()))[1]]
    return any(n.startswith(("name", "filename")) for n in names)


def _address_string(a: Address) -> str | None:
    if a.host is None:
        return None  # group marker
    return f"{a.mailbox}@{a.host}" if a.host else a.mailbox or None


def _first_msg_id(value: str | None) -> str | None:
    if not value:
        return None
    m = _MSG_ID.search(value)
    if m:
        return m.group()
    words = value.split()
    return words[0] if words else None


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except Exception:  # the stdlib raises a zoo of types on hostile dates
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


# --- public API ----------------------------------------------------------------------------------


def parse_message(raw: bytes) -> ParsedMessage:
    """Everything storage records at delivery; see the module notes for the guarantees."""
    raw = bytes(raw)
    root, h = _parse_entity(raw, 0, len(raw), "", 0, _TEXT_PLAIN, False, _Budget())
    envelope = _envelope(h)
    texts: dict[int, str] = {}
    chunks: list[str] = []
    budget = SEARCH_TEXT_CAP
    for part in _text_leaves(root):
        if budget <= 0:
            break
        texts[part.header_start] = _body_text(raw, part, budget)
        chunks.append(texts[part.header_start][:budget])
        budget -= len(chunks[-1]) + 1
    leaves = [p for p in _text_leaves(root) if not _is_attachment(p)]
    first = next((p for p in leaves if p.subtype == "plain"), leaves[0] if leaves else None)
    snippet = ""
    if first is not None:
        text = texts.get(first.header_start)
        snippet = (text if text is not None else _body_text(raw, first, 20 * SNIPPET_CHARS))[:SNIPPET_CHARS]
    from_addrs = [s for s in map(_address_string, envelope.from_) if s]
    named = next((a for a in envelope.from_ if a.host is not None), None)
    return ParsedMessage(
        size=len(raw),
        envelope=envelope,
        root=root,
        subject=decode_header_text(envelope.subject),
        from_display=decode_header_text(named.name) if named and named.name else (from_addrs or [""])[0],
        from_addr=from_addrs[0] if from_addrs else None,
        to_addrs=tuple(s for s in map(_address_string, envelope.to) if s),
        cc_addrs=tuple(s for s in map(_address_string, envelope.cc) if s),
        message_id=_first_msg_id(envelope.message_id),
        in_reply_to=_first_msg_id(envelope.in_reply_to),
        references=tuple(_MSG_ID.findall(h.get(b"references", "")) or h.get(b"references", "").split()),
        date=_date(envelope.date),
        snippet=snippet,
        has_attachments=any(_is_attachment(p) for p in _walk(root)),
        search_text="\n".join(chunks)[:SEARCH_TEXT_CAP],
        header_text="\n".join(
            decode_header_text(h[k]) for k in (b"from", b"to", b"cc", b"subject") if h.get(k)
        ),
    )


def part_by_section(root: Part, section: str) -> Part | None:
    """RFC 3501 6.4.5 lookup; "" is the whole message, and a non-multipart message's body is "1".

    For a message/rfc822 part N, "N.1" is the encapsulated message's body (returned as that message's
    part, whose body slice is the answer) unless it is multipart, in which case "N.1" is its first child.
    """
    if section == "":
        return root
    numbers = section.split(".")
    if not all(n.isascii() and n.isdigit() and len(n) < 10 for n in numbers):
        return None
    current: Part | None = root
    if root.maintype != "multipart":
        if int(numbers[0]) != 1:
            return None
        numbers = numbers[1:]
    for n in numbers:
        if current is None:
            return None
        current = _step(current, int(n))
    return current


def _step(part: Part, n: int) -> Part | None:
    if part.maintype == "multipart":
        return part.children[n - 1] if 1 <= n <= len(part.children) else None
    if part.children:  # message/rfc822
        inner = part.children[0]
        if inner.maintype == "multipart":
            return inner.children[n - 1] if 1 <= n <= len(inner.children) else None
        return inner if n == 1 else None
    return None


def envelope_structure(env: Envelope | None) -> list[BodyValue]:
    """The RFC 3501 7.4.2 ENVELOPE list; empty address lists are NIL."""
    if env is None:
        return [None] * 10

    def addrs(lst: AddressList) -> BodyValue:
        return [[a.name, a.adl, a.mailbox, a.host] for a in lst] or None

    return [
        env.date,
        env.subject,
        addrs(env.from_),
        addrs(env.sender),
        addrs(env.reply_to),
        addrs(env.to),
        addrs(env.cc),
        addrs(env.bcc),
        env.in_reply_to,
        env.message_id,
    ]


def _bs_params(params: Params) -> BodyValue:
    return [x for name, value in params for x in (name.upper(), value)] or None


def _bs_extension(part: Part) -> list[BodyValue]:
    disposition: BodyValue = None
    if part.disposition is not None:
        disposition = [part.disposition[0].upper(), _bs_params(part.disposition[1])]
    language: BodyValue = None
    if part.language:
        tags: list[BodyValue] = [t.strip() for t in part.language.split(",") if t.strip()]
        language = tags if len(tags) > 1 else part.language
    return [disposition, language, part.location]


def bodystructure(root: Part, extended: bool) -> list[BodyValue]:
    """RFC 3501 7.4.2 BODYSTRUCTURE (``extended``) or BODY as nested lists for the IMAP serialiser.

    Types, subtypes, parameter names and the disposition type are upper-case ("TEXT", "PLAIN"),
    which is what clients are used to; None means NIL.
    """
    if root.maintype == "multipart" and root.children:
        out: list[BodyValue] = [bodystructure(c, extended) for c in root.children]
        out.append(root.subtype.upper())
        if extended:
            out += [_bs_params(root.params), *_bs_extension(root)]
        return out
    out = [
        root.maintype.upper(),
        root.subtype.upper(),
        _bs_params(root.params),
        root.content_id,
        root.description,
        root.encoding,
        root.size,
    ]
    if (root.maintype, root.subtype) == _MESSAGE_RFC822 and root.children:
        out += [envelope_structure(root.envelope), bodystructure(root.children[0], extended), root.lines]
    elif root.maintype == "text":
        out.append(root.lines)
    if extended:
        out += [root.md5, *_bs_extension(root)]
    return out


# --- JSON cache ----------------------------------------------------------------------------------

_JSON_VERSION = 1


def _address_json(lst: AddressList) -> list[list[str | None]]:
    return [[a.name, a.adl, a.mailbox, a.host] for a in lst]


def _envelope_json(e: Envelope) -> list[object]:
    lists = (e.from_, e.sender, e.reply_to, e.to, e.cc, e.bcc)
    return [e.date, e.subject, *map(_address_json, lists), e.in_reply_to, e.message_id]


def _part_json(p: Part) -> list[object]:
    disposition = None if p.disposition is None else [p.disposition[0], [list(kv) for kv in p.disposition[1]]]
    return [
        p.section,
        p.header_start,
        p.body_start,
        p.end,
        p.maintype,
        p.subtype,
        [list(kv) for kv in p.params],
        p.content_id,
        p.description,
        p.encoding,
        disposition,
        p.language,
        p.location,
        p.md5,
        p.size,
        p.lines,
        [_part_json(c) for c in p.children],
        None if p.envelope is None else _envelope_json(p.envelope),
    ]


def to_json(p: ParsedMessage) -> str:
    """Compact positional JSON of envelope and part tree, for a cache column next to the message."""
    doc = [_JSON_VERSION, _envelope_json(p.envelope), _part_json(p.root)]
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def _str(x: object) -> str:
    if not isinstance(x, str):
        raise ValueError(f"expected string, got {x!r}")
    return x


def _opt(x: object) -> str | None:
    return None if x is None else _str(x)


def _int(x: object) -> int:
    if not isinstance(x, int) or isinstance(x, bool):
        raise ValueError(f"expected integer, got {x!r}")
    return x


def _list(x: object) -> list[object]:
    if not isinstance(x, list):
        raise ValueError(f"expected list, got {x!r}")
    return x


def _params_from(x: object) -> Params:
    out = []
    for kv in _list(x):
        name, value = _list(kv)
        out.append((_str(name), _str(value)))
    return tuple(out)


def _addresses_from(x: object) -> AddressList:
    out = []
    for item in _list(x):
        name, adl, mailbox, host = _list(item)
        out.append(Address(_opt(name), _opt(adl), _opt(mailbox), _opt(host)))
    return tuple(out)


def _envelope_from(x: object) -> Envelope:
    date, subject, from_, sender, reply_to, to, cc, bcc, in_reply_to, message_id = _list(x)
    return Envelope(
        date=_opt(date),
        subject=_opt(subject),
        from_=_addresses_from(from_),
        sender=_addresses_from(sender),
        reply_to=_addresses_from(reply_to),
        to=_addresses_from(to),
        cc=_addresses_from(cc),
        bcc=_addresses_from(bcc),
        in_reply_to=_opt(in_reply_to),
        message_id=_opt(message_id),
    )


def _part_from(x: object) -> Part:
    (sec, hs, bs, end, mt, st, params, cid, desc, enc, disp, lang, loc, md5, size, lines, kids, env) = _list(
        x
    )
    disposition: Disposition | None = None
    if disp is not None:
        kind, dparams = _list(disp)
        disposition = (_str(kind), _params_from(dparams))
    return Part(
        section=_str(sec),
        header_start=_int(hs),
        body_start=_int(bs),
        end=_int(end),
        maintype=_str(mt),
        subtype=_str(st),
        params=_params_from(params),
        content_id=_opt(cid),
        description=_opt(desc),
        encoding=_str(enc),
        disposition=disposition,
        language=_opt(lang),
        location=_opt(loc),
        md5=_opt(md5),
        size=_int(size),
        lines=_int(lines),
        children=tuple(_part_from(c) for c in _list(kids)),
        envelope=None if env is None else _envelope_from(env),
    )


def from_json(s: str) -> tuple[Envelope, Part]:
    """Inverse of ``to_json``. Raises ValueError on anything ``to_json`` could not have written."""
    version, envelope, root = _list(json.loads(s))
    if version != _JSON_VERSION:
        raise ValueError(f"unknown mime cache version {version!r}")
    return _envelope_from(envelope), _part_from(root)
