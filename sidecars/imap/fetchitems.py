"""FETCH data items (RFC 3501 6.4.5, RFC 3516 BINARY, RFC 7162 MODSEQ/CHANGEDSINCE/VANISHED).

``BODY[1.2.HEADER.FIELDS (From To)]<0.512>`` arrives as one atom from the tokenizer and is taken
apart here into a :class:`FetchItem`; the response name it is echoed under is kept with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sidecars.imap.reader import CommandLine
from sidecars.imap.sequence import SequenceSet, parse_sequence
from sidecars.imap.tokens import Atom, ParseError, String, Tokens, number, tokenize

SIMPLE = {
    "FLAGS",
    "INTERNALDATE",
    "RFC822.SIZE",
    "ENVELOPE",
    "BODYSTRUCTURE",
    "BODY",
    "UID",
    "MODSEQ",
    "RFC822",
    "RFC822.HEADER",
    "RFC822.TEXT",
}
MACROS = {
    "ALL": ("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"),
    "FAST": ("FLAGS", "INTERNALDATE", "RFC822.SIZE"),
    "FULL": ("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"),
}
_SECTION_ITEM = re.compile(
    r"^(BODY|BODY\.PEEK|BINARY|BINARY\.PEEK|BINARY\.SIZE)\[(.*)\](?:<(\d+)(?:\.(\d+))?>)?$", re.S | re.I
)
_PART = re.compile(r"^[1-9]\d{0,8}(\.[1-9]\d{0,8}){0,99}$")


@dataclass(frozen=True)
class Section:
    part: str  # "" or "1.2"
    text: str  # "" | HEADER | HEADER.FIELDS | HEADER.FIELDS.NOT | TEXT | MIME
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class FetchItem:
    name: str  # FLAGS, ..., BODY (the section form has a section), BINARY, BINARY.SIZE
    section: Section | None = None
    partial: tuple[int, int | None] | None = None  # (origin, length)
    peek: bool = False
    label: str = ""  # how the response names it, e.g. BODY[HEADER.FIELDS (FROM)]<0>

    @property
    def sets_seen(self) -> bool:
        """RFC 3501 6.4.5: BODY[...] (not PEEK), RFC822 and RFC822.TEXT set \\Seen; BINARY too."""
        if self.name in ("RFC822", "RFC822.TEXT"):
            return True
        return self.section is not None and not self.peek and self.name in ("BODY", "BINARY")


@dataclass(frozen=True)
class FetchSpec:
    sequence: SequenceSet
    uid: bool
    items: tuple[FetchItem, ...]
    changed_since: int | None = None
    vanished: bool = False


def parse_fetch(t: Tokens, *, uid: bool) -> FetchSpec:
    seq = parse_sequence(t.atom("sequence set"))
    raw = t.next("fetch items")
    atoms = list(raw) if isinstance(raw, tuple) else [raw]
    if not atoms:
        raise ParseError("empty fetch item list")
    items: list[FetchItem] = []
    for item in atoms:
        if not isinstance(item, Atom):
            raise ParseError("fetch items are atoms such as FLAGS or BODY.PEEK[HEADER]")
        name = item.upper()
        if name in MACROS and not isinstance(raw, tuple):
            items += [FetchItem(n, label=n) for n in MACROS[name]]
        else:
            items.append(fetch_item(item.value))
    changed_since, vanished = None, False
    if t.more():
        mods = list(t.list("FETCH modifiers"))
        while mods:
            key = mods.pop(0)
            key_name = key.upper() if isinstance(key, Atom) else ""
            if key_name == "CHANGEDSINCE" and mods and isinstance(mods[0], Atom):
                changed_since = number(mods.pop(0).value, "CHANGEDSINCE", big=True)
            elif key_name == "VANISHED":
                vanished = True
            else:
                raise ParseError("unknown FETCH modifier (CHANGEDSINCE and VANISHED are supported)")
    t.end()
    if vanished and (not uid or changed_since is None):
        raise ParseError("VANISHED needs UID FETCH with CHANGEDSINCE (RFC 7162 3.2.6)")
    if uid and not any(i.name == "UID" for i in items):
        items.insert(0, FetchItem("UID", label="UID"))
    if changed_since is not None and not any(i.name == "MODSEQ" for i in items):
        items.append(FetchItem("MODSEQ", label="MODSEQ"))
    return FetchSpec(seq, uid, tuple(items), changed_since, vanished)


def fetch_item(text: str) -> FetchItem:
    upper = text.upper()
    if upper in SIMPLE:
        return FetchItem(upper, label=upper)
    match = _SECTION_ITEM.match(text)
    if match is None:
        raise ParseError(f"unknown fetch item {text[:60]}")
    kind = match.group(1).upper()
    section = parse_section(match.group(2), binary=kind.startswith("BINARY"))
    partial: tuple[int, int | None] | None = None
    if match.group(3) is not None:
        if kind == "BINARY.SIZE":
            raise ParseError("BINARY.SIZE takes no partial")
        if match.group(4) is None:
            raise ParseError("a partial needs <origin.length>")
        partial = (
            number(match.group(3), "partial origin"),
            number(match.group(4), "partial length", nz=True),
        )
    base = kind.removesuffix(".PEEK")
    label = f"{base}[{render_section(section)}]"
    if partial is not None:
        label += f"<{partial[0]}>"
    return FetchItem(base, section, partial, kind.endswith(".PEEK"), label)


def parse_section(text: str, *, binary: bool = False) -> Section:
    """RFC 3501 section-spec: "", "1.2", "HEADER", "1.HEADER.FIELDS (A B)", "2.MIME", "TEXT"."""
    if text == "":
        return Section("", "")
    head, _, rest = text.partition(" ")
    upper = head.upper()
    part = ""
    keyword = upper
    m = re.match(r"^([1-9][0-9.]*?)(?:\.([A-Z][A-Z.]*))?$", upper)
    if m and _PART.match(m.group(1)):
        part, keyword = m.group(1), m.group(2) or ""
    if binary and keyword:
        raise ParseError("BINARY sections are part numbers only (RFC 3516)")
    if keyword in ("HEADER.FIELDS", "HEADER.FIELDS.NOT"):
        fields = _field_list(rest)
        return Section(part, keyword, fields)
    if rest:
        raise ParseError(f"invalid section [{text[:60]}]")
    if keyword not in ("", "HEADER", "TEXT", "MIME"):
        raise ParseError(f"invalid section [{text[:60]}]")
    if keyword == "MIME" and not part:
        raise ParseError("MIME needs a part number")
    return Section(part, keyword)


def _field_list(text: str) -> tuple[str, ...]:
    tokens = tokenize(CommandLine((text.encode(),), ()))
    if len(tokens) != 1 or not isinstance(tokens[0], tuple) or not tokens[0]:
        raise ParseError("HEADER.FIELDS needs a parenthesised list of field names")
    out = []
    for tok in tokens[0]:
        if isinstance(tok, Atom):
            out.append(tok.value)
        elif isinstance(tok, String):
            out.append(tok.text())
        else:
            raise ParseError("header field names are atoms or strings")
        if not out[-1] or any(c <= " " or c == ":" or ord(c) > 126 for c in out[-1]):
            raise ParseError(f"invalid header field name {out[-1][:40]!r}")
    return tuple(out)


def render_section(section: Section) -> str:
    parts = [p for p in (section.part, section.text) if p]
    out = ".".join(parts)
    if section.fields:
        out += " (" + " ".join(f.upper() for f in section.fields) + ")"
    return out
