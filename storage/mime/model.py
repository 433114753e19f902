"""The parsed-message value types, shared by every other module of the package and by the cache.

Implementation notes:
- Everything is a frozen dataclass of plain values (str, int, tuples) so a parse result can be
  cached as JSON and rebuilt exactly (see ``cache``), and shared between sessions without copying.
- Offsets (``header_start``, ``body_start``, ``end``) index the exact bytes given to the parser, so
  IMAP serves any section by slicing the stored blob; callers that normalise line endings must do
  so before parsing.
- Case: ``Part`` keeps case-insensitive tokens (type, subtype, parameter names, disposition type)
  lower-case and ``encoding`` upper-case; values are kept as given. Upper-casing for the wire is
  the IMAP serialiser's job (``imap.bodystructure``).
- The caps live here because both the tree walk and the text extraction enforce them: depth
  (MAX_DEPTH) and part count (MAX_PARTS) keep hostile nesting linear; SNIPPET_CHARS and
  SEARCH_TEXT_CAP bound what previews and the full-text index store per message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

MAX_DEPTH = 50
MAX_PARTS = 1000
SNIPPET_CHARS = 200
SEARCH_TEXT_CAP = 1_000_000

Params: TypeAlias = tuple[tuple[str, str], ...]
Disposition: TypeAlias = tuple[str, Params]
BodyValue: TypeAlias = "str | int | None | list[BodyValue]"

# The RFC 2045 defaults: text/plain outside a digest, message/rfc822 inside one (RFC 2046 5.1.5).
TEXT_PLAIN = ("text", "plain")
MESSAGE_RFC822 = ("message", "rfc822")


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
