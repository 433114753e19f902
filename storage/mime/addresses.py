"""RFC 5322 address lists and the IMAP envelope built from a header block.

Implementation notes:
- The envelope keeps raw (unfolded, not MIME-decoded) values, because IMAP ENVELOPE must return
  them that way (RFC 3501 7.4.2); decoding for display happens in ``text.decode_header_text``.
- The tokenizer is a single alternation regex with one token per match, so it is linear and never
  fails: stray characters become "junk" tokens and unbalanced quotes, brackets and comments run to
  the end of the value instead of raising.
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
        text = QUOTED_PAIR.sub(r"\1", m.group("qs")) if kind == "qs" else m.group()
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
    if a.host is None:
        return None  # group marker
    return f"{a.mailbox}@{a.host}" if a.host else a.mailbox or None
