"""RFC 5322 address lists and the IMAP envelope built from a header block.

Implementation notes:
- The envelope keeps raw (unfolded, not MIME-decoded) values, because IMAP ENVELOPE must return
  them that way (RFC 3501 7.4.2; RFC 2047 6.2 leaves decoding to the reader): an encoded display
  name stays ``=?utf-8?q?...?=``. Decoding for display and search happens in
  ``text.decode_header_text`` and ``text.address_list_text``.
- RFC 3501 9 (addr-name, addr-mailbox): names and local parts are given "after removing RFC 2822
  quoting", so ``"a b"@x`` has mailbox ``a b``; ``address_string`` quotes it again for an addr-spec.
- ``user@domain (Real Name)``: a mailbox without angle brackets takes the last comment after its
  start as the display name, as Dovecot and most readers do, so it gives the same ENVELOPE address
  as ``Real Name <user@domain>``. Comments are otherwise dropped (RFC 5322 3.2.2: they are CFWS).
- The tokenizer is a single alternation regex with one token per match, so it is linear and never
  fails: stray characters become "junk" tokens and unbalanced quotes, brackets and comments run to
  the end of the value instead of raising. An RFC 2047 encoded word is one token even when a
  sender put specials in it (``=?utf-8?q?Doe,_John?=``), so its comma does not split the address.
- Groups are represented the RFC 3501 way: a mailbox-only address opens a group, an all-None
  address closes it; a missing domain gives host "" so it is never read as a group start.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from storage.mime.headers import QUOTED_PAIR
from storage.mime.model import Address, AddressList, Envelope

_ADDR_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | "(?P<qs>(?:[^"\\]|\\.)*)"?
      | (?P<dl>\[(?:[^\[\]\\]|\\.)*\]?)
      | \((?P<cm>(?:[^()\\]|\\.|\((?:[^()\\]|\\.)*\)?)*)\)?
      | (?P<ew>=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)
      | (?P<sp>[<>@,;:.])
      | (?P<at>[^\s"\[(<>@,;:.]+)
      | (?P<junk>.)""",
    re.X | re.S,
)
# RFC 5322 3.2.3 dot-atom, with RFC 6532 UTF-8 allowed: a local part that needs no quotes.
_DOT_ATOM = re.compile(r'[^\x00-\x20"(),.:;<>@\[\\\]\x7f]+(?:\.[^\x00-\x20"(),.:;<>@\[\\\]\x7f]+)*')


class _Tok(NamedTuple):
    kind: str  # "qs", "dl", "cm", "sp", "at" (encoded words too) or "junk"
    text: str  # quoted strings and comments without their delimiters and quoting
    space_before: bool


def _tokenize_addresses(value: str) -> list[_Tok]:
    """RFC 5322 3.2 lexical tokens; comments (two nesting levels suffice in practice) are kept as
    "cm" tokens for ``_comment_name`` and count as white space for the token after them."""
    toks: list[_Tok] = []
    space = False
    for m in _ADDR_TOKEN.finditer(value):
        kind = m.lastgroup or "junk"
        if kind == "ws":
            space = True
            continue
        text = QUOTED_PAIR.sub(r"\1", m.group(kind)) if kind in ("qs", "cm") else m.group()
        toks.append(_Tok("at" if kind == "ew" else kind, text, space))
        space = kind == "cm"
    return toks


def _is(tok: _Tok, specials: str) -> bool:
    return tok.kind == "sp" and tok.text in specials


def _phrase(toks: list[_Tok]) -> str:
    out: list[str] = []
    for tok in toks:
        if tok.kind == "cm":
            continue
        if out and tok.space_before:
            out.append(" ")
        out.append(tok.text)
    return "".join(out)


def _addr_spec(toks: list[_Tok]) -> tuple[str, str]:
    """Split at the last "@"; a missing domain gives host "" so it is never read as a group start.
    The local part loses its quoting (RFC 3501 9, addr-mailbox)."""
    at = max((i for i, t in enumerate(toks) if _is(t, "@")), default=-1)
    if at < 0:
        return _phrase(toks), ""
    return "".join(t.text for t in toks[:at]), "".join(t.text for t in toks[at + 1 :])


def _comment_name(seg: list[_Tok]) -> str | None:
    """The display name of ``user@domain (Real Name)``: the last non-blank comment after the
    mailbox's first word (a comment before it belongs to whatever came before)."""
    first = next((i for i, t in enumerate(seg) if t.kind != "cm"), len(seg))
    comments = [t.text.strip() for t in seg[first:] if t.kind == "cm"]
    return next((c for c in reversed(comments) if c), None)


def _mailbox(seg: list[_Tok]) -> Address | None:
    words = [t for t in seg if t.kind != "cm"]
    if not words:
        return None
    angle = next((i for i, t in enumerate(words) if _is(t, "<")), -1)
    if angle < 0:
        mailbox, host = _addr_spec(words)
        return Address(_comment_name(seg), None, mailbox, host)
    close = next((i for i, t in enumerate(words) if i > angle and _is(t, ">")), len(words))
    inner = words[angle + 1 : close]
    name = _phrase(words[:angle]) or None
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


def build_envelope(h: dict[bytes, str]) -> Envelope:
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


def address_string(a: Address) -> str | None:
    """The addr-spec ``local@domain`` of a mailbox, its local part quoted again when it is not a
    dot-atom (RFC 5322 3.4.1); None for group markers."""
    if a.host is None:
        return None  # group marker
    local = a.mailbox or ""
    if local and not _DOT_ATOM.fullmatch(local):
        local = '"' + local.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{local}@{a.host}" if a.host else local or None
