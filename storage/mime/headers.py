"""Header blocks and the header values the parser interprets: Content-Type, parameters, ids, dates.

Implementation notes:
- Broken MIME is normal mail, so nothing here raises: a malformed construct degrades to the
  RFC 2045 defaults (an invalid Content-Type is text/plain; us-ascii).
- Only the headers the package uses are collected (first occurrence, unfolded); the rest are
  skipped without decoding, which keeps header reading linear and cheap.
- Header bytes are decoded as UTF-8, else Latin-1: 8-bit headers become text, never surrogates
  (which JSON columns and SQL text would reject).
- RFC 2231 parameters are joined but not decoded (``filename*`` keeps ``charset'lang'%XX``), so
  BODYSTRUCTURE stays ASCII and clients decode them, as Dovecot does.
- Regexes are written so matches cannot backtrack across the input.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote

from storage.mime.model import TEXT_PLAIN, Params

_BLANK_LINE = re.compile(rb"\n\r?\n")
_HEADER_LINE = re.compile(rb"[!-9;-~]+[ \t]*:")
_WANTED = frozenset(
    b"content-type content-transfer-encoding content-id content-description content-disposition "
    b"content-language content-location content-md5 date subject from sender reply-to to cc bcc "
    b"in-reply-to message-id references".split()
)
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9a-z]+")
_PARAM = re.compile(r'\s*([^\s=;"]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"?|([^;]*))', re.S)
_CONTINUATION = re.compile(r"(.+?)\*(\d{1,4})(\*?)")
QUOTED_PAIR = re.compile(r"\\(.)", re.S)
_MSG_ID = re.compile(r"<[^<>]*>")


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def header_end(raw: bytes, start: int, end: int, strict: bool) -> int:
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


def read_headers(raw: bytes, start: int, stop: int) -> dict[bytes, str]:
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


def split_params(value: str) -> tuple[str, Params]:
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
                pairs.append((name, QUOTED_PAIR.sub(r"\1", m.group(2))))
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


def content_type(value: str | None, default: tuple[str, str]) -> tuple[str, str, Params]:
    defaulted: tuple[str, str, Params] = (
        *default,
        (("charset", "us-ascii"),) if default == TEXT_PLAIN else (),
    )
    if value is None:
        return defaulted
    head, params = split_params(value)
    maintype, slash, subtype = head.lower().partition("/")
    maintype, subtype = maintype.strip(), subtype.strip()
    if not slash or not _TOKEN.fullmatch(maintype) or not _TOKEN.fullmatch(subtype):
        return defaulted  # RFC 2045 5.2: an invalid Content-Type means text/plain
    return maintype, subtype, params


def first_msg_id(value: str | None) -> str | None:
    if not value:
        return None
    m = _MSG_ID.search(value)
    if m:
        return m.group()
    words = value.split()
    return words[0] if words else None


def parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except Exception:  # the stdlib raises a zoo of types on hostile dates
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def references(value: str) -> tuple[str, ...]:
    """The ``<id>`` tokens of a References header, else its whitespace-separated words."""
    return tuple(_MSG_ID.findall(value) or value.split())
