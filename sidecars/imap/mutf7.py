"""Modified UTF-7 for IMAP mailbox names (RFC 3501 section 5.1.3).

Why this exists: IMAP4rev1 clients that have not ENABLEd UTF8=ACCEPT (RFC 6855) send and expect
mailbox names in modified UTF-7, while storage keeps folder names as Unicode text. Every name that
crosses the wire goes through ``encode`` (server -> client) or ``decode`` (client -> server).

Why ``decode`` is strict: one folder must have exactly one wire spelling. If "&AGE-" were accepted
as "a", a client could create, select or delete "a" under a second name and two sessions would
disagree about which folder they see. So ``decode`` accepts only what ``encode`` produces and raises
``ValueError`` (with a reason a server can put into its BAD/NO text) for:

- bytes outside printable US-ASCII (0x20-0x7E) outside a shift sequence;
- a "&" with no closing "-" (unterminated shift);
- characters in a shift that are not modified base64 ([A-Za-z0-9+,]);
- a shift whose length cannot hold whole UTF-16 units, or with non-zero padding bits;
- UTF-16 that is not well formed (lone surrogates);
- a shift that encodes printable US-ASCII, which must represent itself ("&AGE-" for "a");
- two shifts back to back ("&AOk-&AOk-"), which ``encode`` always merges into one.

``encode`` raises ``ValueError`` (UnicodeEncodeError) only for strings holding lone surrogates,
which cannot be represented in UTF-16.
"""

from __future__ import annotations

import base64
import binascii
import re

__all__ = ["decode", "encode"]

# Runs of characters that cannot represent themselves: everything but printable US-ASCII.
_NON_PRINTABLE = re.compile(r"[^\x20-\x7e]+")
_B64_CHARS = re.compile(r"[A-Za-z0-9+,]*")
# Base64 characters per UTF-16 run: each 16-bit unit takes 8/3 characters, so the count mod 8 is
# 0 (a multiple of three units), 3 (one unit left over) or 6 (two units left over).
_VALID_LENGTH_MOD8 = frozenset({0, 3, 6})


def _b64_encode(raw: bytes) -> str:
    """Modified base64: "," for "/" and no "=" padding (RFC 3501 5.1.3)."""
    return base64.b64encode(raw).decode("ascii").rstrip("=").replace("/", ",")


def encode(name: str) -> str:
    """Return the modified UTF-7 spelling of ``name`` ("&" becomes "&-", non-ASCII is shifted)."""
    out: list[str] = []
    pos = 0
    for m in _NON_PRINTABLE.finditer(name):
        out.append(name[pos : m.start()].replace("&", "&-"))
        out.append("&" + _b64_encode(m.group().encode("utf-16-be")) + "-")
        pos = m.end()
    out.append(name[pos:].replace("&", "&-"))
    return "".join(out)


def _decode_shift(chunk: str, offset: int) -> str:
    """Decode the base64 between "&" and "-"; ``offset`` only locates errors for the message."""
    if not _B64_CHARS.fullmatch(chunk):
        raise ValueError(f"invalid modified base64 character in shift sequence at offset {offset}")
    if len(chunk) % 8 not in _VALID_LENGTH_MOD8:
        raise ValueError(f"shift sequence at offset {offset} does not hold whole UTF-16 characters")
    padded = chunk.replace(",", "/") + "=" * (-len(chunk) % 4)
    try:
        raw = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"bad base64 in shift sequence at offset {offset}") from exc
    if _b64_encode(raw) != chunk:
        raise ValueError(f"shift sequence at offset {offset} has non-zero padding bits")
    try:
        text = raw.decode("utf-16-be")
    except UnicodeDecodeError as exc:
        raise ValueError(f"shift sequence at offset {offset} is not well-formed UTF-16") from exc
    if not _NON_PRINTABLE.fullmatch(text):
        raise ValueError(f"shift sequence at offset {offset} encodes printable US-ASCII (not minimal)")
    return text


def decode(name: str) -> str:
    """Return the Unicode mailbox name for a modified UTF-7 ``name``; ``ValueError`` if malformed."""
    out: list[str] = []
    pos = 0
    previous_was_shift = False
    length = len(name)
    while pos < length:
        amp = name.find("&", pos)
        plain = name[pos:] if amp < 0 else name[pos:amp]
        if plain:
            bad = _NON_PRINTABLE.search(plain)
            if bad:
                raise ValueError(
                    f"character {bad.group()[0]!r} at offset {pos + bad.start()} must be encoded "
                    "in modified UTF-7"
                )
            out.append(plain)
            previous_was_shift = False
        if amp < 0:
            break
        dash = name.find("-", amp + 1)
        if dash < 0:
            raise ValueError(f"unterminated shift sequence: '&' at offset {amp} has no closing '-'")
        chunk = name[amp + 1 : dash]
        if not chunk:
            out.append("&")
            previous_was_shift = False
        else:
            if previous_was_shift:
                raise ValueError(f"adjacent shift sequences at offset {amp} must be merged into one")
            out.append(_decode_shift(chunk, amp))
            previous_was_shift = True
        pos = dash + 1
    return "".join(out)
