"""Parse a message once, at delivery, into everything FETCH, list views and search need.

Implementation notes:
- Why: IMAP (BODYSTRUCTURE, ENVELOPE, BODY[1.2.MIME]), WebMail lists and search must never re-parse
  blobs, so one pass here records the MIME tree with exact byte offsets into the stored blob (any
  section is served by slicing), the envelope, and decoded text for previews and the full-text index.
- Pure and total: no I/O, and no input makes it raise. Broken MIME is normal mail, so every malformed
  construct degrades to the RFC 2045 defaults instead of an error.
- Offsets refer to the bytes given; callers that normalise line endings must do so before parsing.
- Layout (each module's docstring holds its own guarantees): ``model`` the value types and caps,
  ``headers`` header blocks and Content-Type/parameters, ``tree`` the MIME tree walk with offsets,
  ``addresses`` address lists and the envelope, ``text`` decoding, previews and search text,
  ``imap`` BODYSTRUCTURE/ENVELOPE/section lookup, ``cache`` the JSON cache. Dependencies run one
  way: model <- headers <- addresses <- tree <- text <- this package; ``imap`` and ``cache`` need
  only ``model``.
"""

from __future__ import annotations

from storage.mime.addresses import address_string, build_envelope
from storage.mime.cache import envelope_from_json, from_json, to_json
from storage.mime.headers import first_msg_id, parse_date, references
from storage.mime.imap import bodystructure, envelope_structure, part_by_section
from storage.mime.model import (
    MAX_DEPTH,
    MAX_PARTS,
    SEARCH_TEXT_CAP,
    SNIPPET_CHARS,
    TEXT_PLAIN,
    Address,
    AddressList,
    BodyValue,
    Disposition,
    Envelope,
    Params,
    ParsedMessage,
    Part,
)
from storage.mime.text import (
    address_list_text,
    decode_charset,
    decode_header_text,
    decode_transfer,
    snippet_and_search_text,
)
from storage.mime.tree import Budget, is_attachment, parse_entity, walk

__all__ = [
    "MAX_DEPTH",
    "MAX_PARTS",
    "SEARCH_TEXT_CAP",
    "SNIPPET_CHARS",
    "Address",
    "AddressList",
    "BodyValue",
    "Disposition",
    "Envelope",
    "Params",
    "ParsedMessage",
    "Part",
    "address_list_text",
    "bodystructure",
    "decode_charset",
    "decode_header_text",
    "decode_transfer",
    "envelope_from_json",
    "envelope_structure",
    "from_json",
    "parse_message",
    "part_by_section",
    "to_json",
]


def parse_message(raw: bytes) -> ParsedMessage:
    """Everything storage records at delivery; see the module notes for the guarantees."""
    raw = bytes(raw)
    root, h = parse_entity(raw, 0, len(raw), "", 0, TEXT_PLAIN, False, Budget())
    envelope = build_envelope(h)
    snippet, search_text = snippet_and_search_text(raw, root)
    from_addrs = [s for s in map(address_string, envelope.from_) if s]
    named = next((a for a in envelope.from_ if a.host is not None), None)
    return ParsedMessage(
        size=len(raw),
        envelope=envelope,
        root=root,
        subject=decode_header_text(envelope.subject),
        from_display=decode_header_text(named.name) if named and named.name else (from_addrs or [""])[0],
        from_addr=from_addrs[0] if from_addrs else None,
        to_addrs=tuple(s for s in map(address_string, envelope.to) if s),
        cc_addrs=tuple(s for s in map(address_string, envelope.cc) if s),
        message_id=first_msg_id(envelope.message_id),
        in_reply_to=first_msg_id(envelope.in_reply_to),
        references=references(h.get(b"references", "")),
        date=parse_date(envelope.date),
        snippet=snippet,
        has_attachments=any(is_attachment(p) for p in walk(root)),
        search_text=search_text,
        header_text="\n".join(
            decode_header_text(h[k]) for k in (b"from", b"to", b"cc", b"subject") if h.get(k)
        ),
    )
