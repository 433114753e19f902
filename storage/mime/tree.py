"""The MIME tree walk: entities, multipart splitting and the part budget, with exact byte offsets.

Implementation notes:
- The stdlib ``email`` parser gives no offsets, so the tree is built by scanning for boundaries
  here; every ``Part`` records where its header and body start and where it ends in the blob.
- Linear time: scanning uses ``bytes.find`` and compiled regexes whose matches cannot backtrack
  across the input; each level scans only its own range; depth (MAX_DEPTH) and part count
  (MAX_PARTS) are capped, and a multipart or message/rfc822 past a cap is recorded as
  application/octet-stream so the tree stays valid IMAP.
- Total: a multipart without a usable boundary becomes one headerless child, a missing close
  delimiter lets the last part run to the end; nothing raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from storage.mime.addresses import build_envelope
from storage.mime.headers import content_type, header_end, read_headers, split_params
from storage.mime.model import (
    MAX_DEPTH,
    MAX_PARTS,
    MESSAGE_RFC822,
    TEXT_PLAIN,
    Disposition,
    Envelope,
    Params,
    Part,
)

_PADDING_EOL = re.compile(rb"[ \t]*(?:\r?\n|\Z)")


class Budget:
    """Parts still allowed, so a message of a million empty parts cannot cost a million objects."""

    def __init__(self) -> None:
        self.left = MAX_PARTS


def parse_entity(
    raw: bytes,
    start: int,
    end: int,
    section: str,
    depth: int,
    default: tuple[str, str],
    strict: bool,
    budget: Budget,
    headerless: bool = False,
) -> tuple[Part, dict[bytes, str]]:
    budget.left -= 1
    body_start = start if headerless else header_end(raw, start, end, strict)
    h = read_headers(raw, start, body_start)
    maintype, subtype, params = content_type(h.get(b"content-type"), default)
    is_message = (maintype, subtype) == MESSAGE_RFC822
    if (maintype == "multipart" or is_message) and (depth >= MAX_DEPTH or budget.left <= 0):
        maintype, subtype, is_message = "application", "octet-stream", False
    children: tuple[Part, ...] = ()
    envelope: Envelope | None = None
    if maintype == "multipart":
        children = _parse_multipart(raw, body_start, end, section, depth, subtype, params, budget)
    elif is_message:
        # RFC 3501 6.4.5: the encapsulated message shares its part's number; a top-level
        # message/rfc822 body is part "1".
        inner, inner_headers = parse_entity(
            raw, body_start, end, section or "1", depth + 1, TEXT_PLAIN, True, budget
        )
        children, envelope = (inner,), build_envelope(inner_headers)
    disposition: Disposition | None = None
    if h.get(b"content-disposition"):
        kind, dparams = split_params(h[b"content-disposition"])
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
    budget: Budget,
) -> tuple[Part, ...]:
    """Children of a multipart; with no usable boundary the whole body becomes one headerless part.

    IMAP requires at least one child (RFC 3501 9, body-type-mpart), hence the fallback.
    """
    boundary = dict(params).get("boundary", "")
    spans = _split_multipart(raw, start, end, boundary.encode(), max(1, budget.left)) if boundary else []
    headerless = not spans
    if headerless:
        spans = [(start, end)]
    default = MESSAGE_RFC822 if subtype == "digest" else TEXT_PLAIN
    children = []
    for number, (s, e) in enumerate(spans, 1):
        child_section = f"{section}.{number}" if section else str(number)
        part, _ = parse_entity(raw, s, e, child_section, depth + 1, default, True, budget, headerless)
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


def walk(part: Part) -> Iterator[Part]:
    yield part
    for child in part.children:
        yield from walk(child)


def is_attachment(part: Part) -> bool:
    if part.disposition is not None and part.disposition[0] == "attachment":
        return True
    if part.maintype in ("text", "multipart") or part.children:
        return False
    names = [n for n, _ in part.params] + [n for n, _ in (part.disposition or ("", ()))[1]]
    return any(n.startswith(("name", "filename")) for n in names)
