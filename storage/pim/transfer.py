"""Import and export files: an .ics split into per-UID resources, a .vcf into cards, and back.

A file a user uploads is whatever another program wrote: many events in one VCALENDAR (or several
VCALENDARs one after another), time zones defined once for all, cards from address books of every age.
Storage keeps one resource per UID (storage/pim/index.py), so an import is split here, on the text's
BEGIN/END lines rather than by one parse of the whole file, so that one broken item costs that item
only: the others go in, and the broken one is reported by its position (1-based, counting the items
of the file: events, tasks, journal entries, or cards) with the reason.

Choices (documented in docs/organizer.md):
- Components sharing a UID form one resource (a master and its RECURRENCE-ID overrides); each resource
  carries the VTIMEZONEs its TZIDs name, and none of the file's METHOD or calendar-level properties.
- An item without a UID gets a new random one (vCard 3.0 files often have none).
- A card needs something to show: FN, N, ORG or EMAIL.
- Text is read as UTF-8; a file that is not UTF-8 is read as Latin-1 rather than refused.
- At most ``MAX_ITEMS`` items are taken from one file; the rest are reported as not imported.

Export is the other way: one VCALENDAR holding every component, each VTIMEZONE once (by TZID), or the
cards one after another; items are copied as stored, line for line.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import vobject
from icalendar import Calendar

from storage.errors import InvalidInput
from storage.pim import recurrence

MAX_ITEMS = 10_000
ITEM_KINDS = ("VEVENT", "VTODO", "VJOURNAL")
PRODID = "-//Fieldpost//Organizer//EN"
_TZID = re.compile(r';TZID=(?:"([^"]*)"|([^;:]*))', re.IGNORECASE)


@dataclass(frozen=True)
class Resource:
    """One resource to store: its first item's position in the file, UID, kind and bytes."""

    position: int
    uid: str
    component: str
    data: bytes


@dataclass(frozen=True)
class Split:
    """What a file held: the resources to store, and the items that failed (position, reason)."""

    resources: list[Resource]
    failed: list[tuple[int, str]]


@dataclass
class _Block:
    name: str
    lines: list[str]
    error: str | None = None


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (a BOM dropped), else Latin-1."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def split_import(data: bytes) -> Split:
    """Split an .ics or .vcf file, told apart by its first BEGIN line.

    Raises:
        InvalidInput: the file holds neither a VCALENDAR nor a VCARD.
    """
    for line in decode(data).splitlines():
        head = line.strip().upper()
        if head == "BEGIN:VCALENDAR":
            return split_calendar(data)
        if head == "BEGIN:VCARD":
            return split_cards(data)
        if head:
            break
    raise InvalidInput("the file is neither an iCalendar (.ics) nor a vCard (.vcf) file")


def split_calendar(data: bytes) -> Split:
    """Per-UID resources of an .ics file (see the module docstring).

    Raises:
        InvalidInput: no VCALENDAR in the file.
    """
    top = _blocks(decode(data))
    calendars = [b for b in top if b.name == "VCALENDAR"]
    if not calendars:
        raise InvalidInput("the file holds no VCALENDAR")
    zones: dict[str, _Block] = {}
    items: list[_Block] = []
    for cal in calendars:
        for block in _blocks("\n".join(_inside(cal))):
            if block.name == "VTIMEZONE" and block.error is None:
                zones.setdefault(_prop(block, "TZID"), block)
            elif block.name != "VTIMEZONE":
                items.append(block)
    failed: list[tuple[int, str]] = []
    groups: dict[str, list[tuple[int, _Block]]] = {}
    for pos, block in enumerate(items, 1):
        reason = _calendar_item_problem(block, pos, zones)
        if reason:
            failed.append((pos, reason))
            continue
        uid = _prop(block, "UID")
        group = groups.setdefault(uid, [])
        if group and group[0][1].name != block.name:
            failed.append((pos, f"UID {uid} is used by a {group[0][1].name} earlier in the file"))
            continue
        rid = _prop(block, "RECURRENCE-ID")
        if any(_prop(other, "RECURRENCE-ID") == rid for _, other in group):
            failed.append((pos, f"UID {uid} is repeated in the file"))
            continue
        group.append((pos, block))
    resources = [
        Resource(members[0][0], uid, members[0][1].name, _calendar_text([b for _, b in members], zones))
        for uid, members in groups.items()
    ]
    return Split(sorted(resources, key=lambda r: r.position), sorted(failed))


def split_cards(data: bytes) -> Split:
    """The cards of a .vcf file, each checked and given a UID when it has none.

    Raises:
        InvalidInput: no VCARD in the file.
    """
    blocks = _blocks(decode(data))
    if not blocks:
        raise InvalidInput("the file holds no VCARD")
    resources: list[Resource] = []
    failed: list[tuple[int, str]] = []
    seen: set[str] = set()
    for pos, block in enumerate(blocks, 1):
        if pos > MAX_ITEMS:
            failed.append((pos, f"not imported: more than {MAX_ITEMS} items in one file"))
            continue
        reason = block.error or (
            None if block.name == "VCARD" else f"unexpected {block.name} in a vCard file"
        )
        if reason is None:
            reason = _card_problem(block)
        if reason is None:
            uid = _prop(block, "UID")
            if uid in seen:
                reason = f"UID {uid} is repeated in the file"
            else:
                seen.add(uid)
                resources.append(Resource(pos, uid, "VCARD", _crlf(block.lines)))
        if reason is not None:
            failed.append((pos, reason))
    return Split(resources, failed)


def export_calendar(items: Iterable[bytes], *, name: str | None = None) -> bytes:
    """One VCALENDAR with every component of ``items``, each VTIMEZONE once."""
    zones: dict[str, list[str]] = {}
    comps: list[list[str]] = []
    for data in items:
        for cal in _blocks(decode(data)):
            if cal.name != "VCALENDAR" or cal.error:
                continue
            for block in _blocks("\n".join(_inside(cal))):
                if block.error:
                    continue
                if block.name == "VTIMEZONE":
                    zones.setdefault(_prop(block, "TZID"), block.lines)
                else:
                    comps.append(block.lines)
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}"]
    if name:
        head.append("X-WR-CALNAME:" + _escape(name))
    lines = (
        head + [ln for z in zones.values() for ln in z] + [ln for c in comps for ln in c] + ["END:VCALENDAR"]
    )
    return _crlf(lines)


def export_cards(items: Iterable[bytes]) -> bytes:
    """The cards one after another, CRLF line ends."""
    return b"".join(
        _crlf(block.lines) for data in items for block in _blocks(decode(data)) if block.name == "VCARD"
    )


# -- checks ----------------------------------------------------------------------------------------


def _calendar_item_problem(block: _Block, pos: int, zones: dict[str, _Block]) -> str | None:
    if pos > MAX_ITEMS:
        return f"not imported: more than {MAX_ITEMS} items in one file"
    if block.error:
        return block.error
    if block.name not in ITEM_KINDS:
        return f"{block.name} is not imported (events, tasks and journal entries are)"
    if not _prop(block, "UID"):
        _add_uid(block)
    try:
        cal = Calendar.from_ical(_calendar_text([block], zones))
        comp = next(c for c in cal.walk() if c.name == block.name)
    except (ValueError, StopIteration) as exc:
        return f"unreadable {block.name}: {exc}"
    errors = getattr(comp, "errors", None)
    if errors:
        prop, why = errors[0]
        return f"{prop}: {why}"
    if block.name == "VEVENT":
        try:
            recurrence.check_event(comp)
        except InvalidInput as exc:
            return str(exc)
    return None


def _card_problem(block: _Block) -> str | None:
    if not _prop(block, "UID"):
        _add_uid(block)
    try:
        card = vobject.readOne("\r\n".join(block.lines) + "\r\n")
    except Exception as exc:  # vobject raises ParseError and plain errors alike on bad cards
        return f"unreadable card: {exc}"
    if not any(key in card.contents for key in ("fn", "n", "org", "email")):
        return "the card has no name, organisation or e-mail address"
    return None


# -- text ------------------------------------------------------------------------------------------


def _blocks(text: str) -> list[_Block]:
    """Top-level BEGIN/END blocks of ``text``; lines between blocks (properties) are skipped.

    A block whose END does not match, or that is not closed, comes back with ``error`` set.
    """
    found: list[_Block] = []
    stack: list[str] = []
    current: _Block | None = None
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        head = line.upper() if line[:1] not in (" ", "\t") else ""
        if current is None:
            if head.startswith("BEGIN:"):
                current = _Block(head[6:].strip(), [line])
                stack = [current.name]
            continue
        current.lines.append(line)
        if current.error:
            if head.startswith("END:") and head[4:].strip() == current.name and len(stack) <= 1:
                found.append(current)
                current = None
            continue
        if head.startswith("BEGIN:"):
            stack.append(head[6:].strip())
        elif head.startswith("END:"):
            name = head[4:].strip()
            if name != stack[-1]:
                current.error = f"BEGIN:{stack[-1]} is closed by END:{name}"
                stack = [current.name]
                if name == current.name:
                    found.append(current)
                    current = None
                continue
            stack.pop()
            if not stack:
                found.append(current)
                current = None
    if current is not None:
        current.error = current.error or f"BEGIN:{current.name} is never closed"
        found.append(current)
    return found


def _inside(block: _Block) -> list[str]:
    """The lines between a block's BEGIN and END (all after BEGIN when it is not closed)."""
    return block.lines[1:] if block.error else block.lines[1:-1]


def _prop(block: _Block, name: str) -> str:
    """The value of the first ``name`` property at the block's own level (unfolded), or ""."""
    depth = 0
    value: str | None = None
    for line in block.lines[1:-1]:
        if value is not None:
            if line[:1] in (" ", "\t"):
                value += line[1:]
                continue
            return value.strip()
        head = line.upper()
        if head.startswith("BEGIN:"):
            depth += 1
        elif head.startswith("END:"):
            depth -= 1
        elif depth == 0:
            key = re.split(r"[;:]", head, maxsplit=1)[0]
            if key == name and ":" in line:
                value = line.split(":", 1)[1] if ";" not in line.split(":", 1)[0] else _after_params(line)
    return (value or "").strip()


def _after_params(line: str) -> str:
    """The value after a property's parameters (a quoted parameter may hold a colon)."""
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == ":" and not quoted:
            return line[i + 1 :]
    return ""


def _add_uid(block: _Block) -> None:
    block.lines[:] = [ln for ln in block.lines if ln.strip().upper() != "UID:"]  # an empty UID counts as none
    block.lines.insert(len(block.lines) - 1 if block.name == "VCARD" else 1, f"UID:{uuid.uuid4()}")


def _calendar_text(blocks: list[_Block], zones: dict[str, _Block]) -> bytes:
    wanted: list[str] = []
    for block in blocks:
        for line in block.lines:
            for quoted, plain in _TZID.findall(line):
                tzid = quoted or plain
                if tzid in zones and tzid not in wanted:
                    wanted.append(tzid)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}"]
    for tzid in wanted:
        lines.extend(zones[tzid].lines)
    for block in blocks:
        lines.extend(block.lines)
    lines.append("END:VCALENDAR")
    return _crlf(lines)


def _crlf(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
