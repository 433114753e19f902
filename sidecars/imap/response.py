"""IMAP response syntax (RFC 3501 7 and 9): quoting, literals, NIL, lists, flags and dates.

Strings are sent quoted when they are short and quotable (no CR, LF, NUL, 8-bit or over 1000 bytes),
otherwise as literals; ``nstring`` turns None into NIL. Nested values from
:mod:`storage.mime.imap` (lists of str/int/None) are written by :func:`value`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTHS_B = tuple(m.encode() for m in MONTHS)
_QUOTABLE_MAX = 1000


def quoted_ok(data: bytes, utf8: bool = False) -> bool:
    if len(data) > _QUOTABLE_MAX or b"\r" in data or b"\n" in data or b"\x00" in data:
        return False
    return utf8 or data.isascii()


def string(value: str | bytes, *, utf8: bool = False) -> bytes:
    """A quoted string or a literal, whichever the bytes allow."""
    data = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
    if quoted_ok(data, utf8):
        return b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
    return b"{%d}\r\n" % len(data) + data


def nstring(value: str | bytes | None, *, utf8: bool = False) -> bytes:
    return b"NIL" if value is None else string(value, utf8=utf8)


def literal(data: bytes) -> bytes:
    return b"{%d}\r\n" % len(data) + data


def astring(value: str) -> bytes:
    """An atom when it is one (mailbox names, header names), else a string."""
    data = value.encode("utf-8")
    if data and data.isascii() and not any(c in b'(){ %*"\\]' or c < 33 or c > 126 for c in data):
        return data
    return string(data, utf8=True)


def value(v: Any, *, utf8: bool = False) -> bytes:
    """A nested BODYSTRUCTURE/ENVELOPE value: lists in parentheses, None as NIL, ints bare.

    Items are separated by SP, except the lists a list starts with: RFC 3501 9 writes the addresses
    of an address list (``env-from = "(" 1*address ")"``) and the bodies of a multipart
    (``body-type-mpart = 1*body SP media-subtype``) one after the other, ``(..)(..)``. No other
    list of ENVELOPE or BODYSTRUCTURE starts with a list, so the rule picks out exactly those two.
    """
    if v is None:
        return b"NIL"
    if isinstance(v, bool):
        return b"1" if v else b"0"
    if isinstance(v, int):
        return str(v).encode()
    if isinstance(v, list | tuple):
        out = bytearray(b"(")
        leading = True
        for i, x in enumerate(v):
            leading = leading and isinstance(x, list | tuple)
            if i and not leading:
                out += b" "
            out += value(x, utf8=utf8)
        return bytes(out + b")")
    return string(v, utf8=utf8)


def envelope(env: list[Any], *, utf8: bool = False) -> bytes:
    """``value(env)`` for an ENVELOPE list (``storage.mime.envelope_structure``), written directly: date,
    subject, six address lists (NIL when empty, else the addresses one after the other), in-reply-to,
    message-id. FETCH ENVELOPE of a page of messages spends most of its time here otherwise."""
    out = [nstring(env[0], utf8=utf8), nstring(env[1], utf8=utf8)]
    for addresses in env[2:8]:
        if not addresses:
            out.append(b"NIL")
            continue
        out.append(
            b"("
            + b"".join(b"(" + b" ".join([nstring(x, utf8=utf8) for x in a]) + b")" for a in addresses)
            + b")"
        )
    out += [nstring(env[8], utf8=utf8), nstring(env[9], utf8=utf8)]
    return b"(" + b" ".join(out) + b")"


def flag_list(flags: Iterable[str]) -> bytes:
    return ("(" + " ".join(sorted(flags, key=_flag_order)) + ")").encode()


def _flag_order(flag: str) -> tuple[int, str]:
    return (0 if flag.startswith("\\") else 1, flag.lower())


def internal_date(when: datetime) -> bytes:
    """RFC 3501 date-time, in UTC: "17-Jul-1996 09:44:25 +0000"."""
    w = when.astimezone(UTC)
    return b'"%02d-%s-%04d %02d:%02d:%02d +0000"' % (
        w.day,
        MONTHS_B[w.month - 1],
        w.year,
        w.hour,
        w.minute,
        w.second,
    )


def untagged(text: str | bytes) -> bytes:
    data = text.encode() if isinstance(text, str) else text
    return b"* " + data + b"\r\n"


def tagged(tag: str, status: str, text: str, code: str | None = None) -> bytes:
    code_part = f"[{code}] " if code else ""
    return f"{tag} {status} {code_part}{_clean(text)}\r\n".encode()


def _clean(text: str) -> str:
    """Response text is one line of printable text (RFC 3501 9 text)."""
    return "".join(c if c >= " " and c != "\x7f" else " " for c in text)[:500] or "done"
