"""From an item's bytes to the columns of its ``pim_items`` row: pure parsing, no database.

One resource holds one UID (RFC 4791 4.1, RFC 6352 5.1): either a VCALENDAR whose VEVENT, VTODO or
VJOURNAL components all carry the same UID -- at most one master (no RECURRENCE-ID) and its overridden
occurrences, each RECURRENCE-ID once -- plus the VTIMEZONEs they use, or exactly one vCard. Anything else
is refused with an ``InvalidInput`` that says what is wrong, for a page or a DAV client to show.

Times in the index are UTC. A floating time (no zone) and an all-day date are read as UTC (an all-day
event of 2025-01-06 starts at 2025-01-06T00:00Z): the index only has to narrow a range read, and the
exact answer (in the viewer's zone) comes from expanding the item's own text on read.

``recur_end`` is the end of the item's last occurrence: its own end for a single event, the end of the
occurrence at UNTIL or at the COUNT-th for a recurrence (overrides and RDATEs included), and None for a
recurrence without end. So an event overlaps [start, end) only if ``starts_at < end`` and
(``recur_end`` is None or ``recur_end > start``), which is what the range index answers.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from storage.errors import InvalidInput

CALENDAR_COMPONENTS = ("VEVENT", "VTODO", "VJOURNAL")
#: Properties the index and the expansion on read use: one that does not parse makes the item unreadable.
TIME_PROPERTIES = frozenset(
    ("DTSTART", "DTEND", "DUE", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID", "COMPLETED")
)
MAX_UID = 1000  # characters; the width of pim_items.item_uid
MAX_SUMMARY = 500  # characters kept in the index (the item's text keeps all of it)
MAX_NAME = 255  # characters of a resource name
MAX_COUNT_EXPANDED = 100_000  # a COUNT above this is indexed as "no end" instead of being expanded
_NAME_SAFE = re.compile(r"[A-Za-z0-9._@+-]+")


@dataclass(frozen=True)
class IndexedItem:
    """What the index keeps of one item (see the module docstring for the time rules)."""

    component: str
    item_uid: str
    summary: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    all_day: bool = False
    recurs: bool = False
    recur_end: datetime | None = None
    due_at: datetime | None = None
    completed_at: datetime | None = None
    status: str = ""
    priority: int | None = None
    percent: int | None = None
    categories: str = ""
    organizer: str = ""
    emails: str = ""

    def columns(self) -> dict[str, Any]:
        """The ``pim_items`` columns this item fills (all but ids, name and etag)."""
        return {
            "item_uid": self.item_uid,
            "component": self.component,
            "summary": self.summary,
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "all_day": self.all_day,
            "recurs": self.recurs,
            "recur_end": self.recur_end,
            "due_at": self.due_at,
            "completed_at": self.completed_at,
            "status": self.status,
            "priority": self.priority,
            "percent": self.percent,
            "categories": self.categories,
            "organizer": self.organizer,
            "emails": self.emails,
        }


def etag_of(data: bytes) -> str:
    """An item's ETag: the first 32 hex digits of the SHA-256 of its bytes (changes with any byte)."""
    return hashlib.sha256(data).hexdigest()[:32]


def resource_name(item_uid: str, component: str) -> str:
    """The resource name made for an item put without one: its UID when that is a safe file name,
    else a hash of it, with ".ics" (".vcf" for a card)."""
    ext = ".vcf" if component == "VCARD" else ".ics"
    if _NAME_SAFE.fullmatch(item_uid) and len(item_uid) <= MAX_NAME - len(ext) and item_uid[0] != ".":
        return item_uid + ext
    return hashlib.sha256(item_uid.encode("utf-8")).hexdigest()[:40] + ext


def check_name(name: str) -> str:
    """A resource name as a client gives it: one path segment, printable, at most ``MAX_NAME`` characters.

    Raises:
        InvalidInput: empty, too long, "." or "..", or holding "/" or a control character.
    """
    if not name or name in (".", "..") or len(name) > MAX_NAME:
        raise InvalidInput(f"an item name must be 1 to {MAX_NAME} characters, not '.' or '..'")
    if "/" in name or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        raise InvalidInput("an item name cannot contain '/' or control characters")
    return name


def parse_item(data: bytes, *, max_bytes: int, require_uid: bool = True) -> IndexedItem:
    """Read one item's bytes (iCalendar or vCard) into its index columns.

    Args:
        max_bytes: the size limit (setting ``organizer.max_item_bytes``).
        require_uid: False for items stored by other means (IMAP, older contacts): one without a UID
            gets a stable one made from its bytes.

    Raises:
        InvalidInput: too big, not UTF-8, not one iCalendar object or vCard, several UIDs, a missing or
            unreadable DTSTART where one is needed, a broken property, a date past year 9999, and the
            like (the message says which). Nothing else: IMAP appends rely on it.
    """
    if len(data) > max_bytes:
        raise InvalidInput(f"the item is {len(data)} bytes; at most {max_bytes} are accepted")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the item is not UTF-8 text") from None
    head = text.lstrip("\ufeff \t\r\n")[:32].upper()
    fallback_uid = "" if require_uid else "fp-" + etag_of(data)
    if not head.startswith(("BEGIN:VCALENDAR", "BEGIN:VCARD")):
        raise InvalidInput("not an iCalendar object (BEGIN:VCALENDAR) or a vCard (BEGIN:VCARD)")
    try:
        if head.startswith("BEGIN:VCALENDAR"):
            return _calendar_item(data, fallback_uid)
        return _card_item(text, fallback_uid)
    except InvalidInput:
        raise
    except Exception as exc:  # a broken property read late (icalendar), a date off the calendar...
        kind = "iCalendar data" if head.startswith("BEGIN:VCALENDAR") else "vCard"
        raise InvalidInput(f"unreadable {kind}: {exc}") from None


# -- iCalendar ------------------------------------------------------------------------------------------


def _calendar_item(data: bytes, fallback_uid: str) -> IndexedItem:
    import icalendar  # the parsers load with the first item read, not with every process that opens a store

    try:
        cal = icalendar.Calendar.from_ical(data)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise InvalidInput(f"unreadable iCalendar data: {exc}") from None
    if not isinstance(cal, icalendar.Calendar) or cal.name != "VCALENDAR":
        raise InvalidInput("an item must be one VCALENDAR object")
    items = []
    for sub in cal.subcomponents:
        if sub.name == "VTIMEZONE":
            continue
        if sub.name not in CALENDAR_COMPONENTS:
            raise InvalidInput(f"a {sub.name} component cannot be stored as an item")
        for prop, why in getattr(sub, "errors", None) or ():
            if (
                str(prop).upper() in TIME_PROPERTIES
            ):  # icalendar keeps these as broken values that raise on use
                raise InvalidInput(
                    f"unreadable iCalendar data: the {str(prop).upper()} of the {sub.name}: {why}"
                )
        items.append(sub)
    if not items:
        raise InvalidInput("the calendar holds no VEVENT, VTODO or VJOURNAL")
    kinds = {str(c.name) for c in items}
    if len(kinds) > 1:
        raise InvalidInput("one item holds components of one type only, not " + " and ".join(sorted(kinds)))
    uids = {str(c.get("UID", "")).strip() for c in items}
    if len(uids) > 1:
        raise InvalidInput("one item holds one UID; this one has " + str(len(uids)))
    uid = uids.pop() or fallback_uid
    if not uid:
        raise InvalidInput("the component has no UID")
    if len(uid) > MAX_UID:
        raise InvalidInput(f"a UID may have at most {MAX_UID} characters")
    masters = [c for c in items if c.get("RECURRENCE-ID") is None]
    if len(masters) > 1:
        raise InvalidInput("the UID is used by several components without RECURRENCE-ID")
    overrides = [c for c in items if c.get("RECURRENCE-ID") is not None]
    ids = [_when(c, "RECURRENCE-ID") for c in overrides]
    if len(set(ids)) != len(ids):
        raise InvalidInput("a RECURRENCE-ID appears twice")
    main = masters[0] if masters else overrides[0]
    component = str(main.name)
    start, all_day = _start(main, required=component == "VEVENT")
    end = _end(main, start, all_day)
    recurs = bool(masters) and (main.get("RRULE") is not None or main.get("RDATE") is not None)
    last_end = _last_end(main, start, end) if recurs else end
    for other in overrides if masters else overrides[1:]:
        o_start, o_all_day = _start(other, required=False)
        o_end = _end(other, o_start, o_all_day)
        if o_start is not None and (start is None or o_start < start):
            start = o_start
        if last_end is not None and o_end is not None and o_end > last_end:
            last_end = o_end
    if component == "VTODO" and start is None:
        end = None
        last_end = None
    due = _when(main, "DUE") if component == "VTODO" else None
    if due is None and component == "VTODO" and start is not None and main.get("DURATION") is not None:
        due = end
    return IndexedItem(
        component=component,
        item_uid=uid,
        summary=_text(main.get("SUMMARY"))[:MAX_SUMMARY],
        starts_at=start,
        ends_at=end,
        all_day=all_day,
        recurs=recurs,
        recur_end=last_end,
        due_at=due,
        completed_at=_when(main, "COMPLETED"),
        status=_text(main.get("STATUS")).upper()[:32],
        priority=_small_int(main.get("PRIORITY"), 0, 9),
        percent=_small_int(main.get("PERCENT-COMPLETE"), 0, 100),
        categories=",".join(_categories(c for c in items))[:2000],
        organizer=_address(main.get("ORGANIZER")),
        emails=" ".join(_unique(_address(a) for c in items for a in _many(c.get("ATTENDEE"))))[:4000],
    )


def as_utc(value: date | datetime) -> tuple[datetime, bool]:
    """A DTSTART-like value in UTC, and whether it was a date (all-day): floating times are taken as UTC."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC), False
        return value.astimezone(UTC), False
    return datetime.combine(value, time(0), tzinfo=UTC), True


def _value(component: Any, name: str) -> Any:
    prop = component.get(name)
    if prop is None:
        return None
    value = getattr(prop, "dt", None)
    if value is None:
        raise InvalidInput(f"{component.name} has an unreadable {name}")
    return value


def _when(component: Any, name: str) -> datetime | None:
    value = _value(component, name)
    if value is None:
        return None
    if not isinstance(value, date):
        raise InvalidInput(f"{component.name} has an unreadable {name}")
    return as_utc(value)[0]


def _start(component: Any, *, required: bool) -> tuple[datetime | None, bool]:
    value = _value(component, "DTSTART")
    if value is None:
        if required:
            raise InvalidInput(f"{component.name} has no DTSTART")
        return None, False
    if not isinstance(value, date):
        raise InvalidInput(f"{component.name} has an unreadable DTSTART")
    return as_utc(value)


def _end(component: Any, start: datetime | None, all_day: bool) -> datetime | None:
    if start is None:
        return None
    end = _when(component, "DTEND") if component.name == "VEVENT" else None
    if end is None:
        duration = _value(component, "DURATION")
        if isinstance(duration, timedelta):
            end = start + duration
        elif all_day and component.name == "VEVENT":
            end = start + timedelta(days=1)  # RFC 5545 3.6.1: a date DTSTART alone lasts the day
        else:
            end = start
    if end < start:
        raise InvalidInput(f"{component.name} ends before it starts")
    return end


def _last_end(master: Any, start: datetime | None, end: datetime | None) -> datetime | None:
    """End of the last occurrence of a recurring master, or None when it recurs forever."""
    if start is None or end is None:
        return None
    length = end - start
    last = start
    for rule in _many(master.get("RRULE")):
        until = rule.get("UNTIL")
        count = rule.get("COUNT")
        if until:
            bound = until[0]
            last = max(
                last,
                as_utc(bound)[0] + (timedelta(days=1) if not isinstance(bound, datetime) else timedelta()),
            )
        elif count:
            found = _count_last(master, rule, int(count[0]))
            if found is None:
                return None
            last = max(last, found)
        else:
            return None
    for rdate in _many(master.get("RDATE")):
        for period in getattr(rdate, "dts", []):
            value = period.dt[0] if isinstance(period.dt, tuple) else period.dt
            if isinstance(value, date):
                last = max(last, as_utc(value)[0])
    return last + length


def _count_last(master: Any, rule: Any, count: int) -> datetime | None:
    if count > MAX_COUNT_EXPANDED:
        return None
    dtstart = master.decoded("DTSTART")
    if not isinstance(dtstart, datetime):
        dtstart = datetime.combine(dtstart, time(0))
    from dateutil import rrule

    try:
        expanded = rrule.rrulestr(rule.to_ical().decode("ascii"), dtstart=dtstart)
        occurrences = list(expanded)
    except (ValueError, TypeError, OverflowError):
        return None  # indexed as "no end": the range read then includes it, expansion decides
    if not occurrences:
        return as_utc(dtstart)[0]
    return as_utc(occurrences[-1])[0]


def _many(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _small_int(value: Any, low: int, high: int) -> int | None:
    try:
        number = int(str(value).strip()) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and low <= number <= high else None


def _address(value: Any) -> str:
    text = _text(value)
    if text.lower().startswith("mailto:"):
        text = text[7:]
    return text.strip().lower() if "@" in text else ""


def _categories(components: Iterable[Any]) -> list[str]:
    out: list[str] = []
    for c in components:
        for prop in _many(c.get("CATEGORIES")):
            for cat in getattr(prop, "cats", [prop]):
                name = str(cat).strip().replace(",", " ")
                if name and name not in out:
                    out.append(name)
    return out


def _unique(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        if v and v not in out:
            out.append(v)
    return out


# -- vCard ----------------------------------------------------------------------------------------------


def _card_item(text: str, fallback_uid: str) -> IndexedItem:
    import vobject

    try:
        cards = list(vobject.readComponents(text, ignoreUnreadable=False))
    except Exception as exc:  # vobject raises its own ParseError and plain errors alike
        raise InvalidInput(f"unreadable vCard: {exc}") from None
    if len(cards) != 1 or cards[0].name != "VCARD":
        raise InvalidInput("an item must be exactly one vCard")
    card = cards[0]
    uid = _card_value(card, "uid")
    uid = uid or fallback_uid  # "urn:uuid:..." kept as written: a client finds its card by that text
    if not uid:
        raise InvalidInput("the vCard has no UID")
    if len(uid) > MAX_UID:
        raise InvalidInput(f"a UID may have at most {MAX_UID} characters")
    name = _card_value(card, "fn") or _card_value(card, "org") or _card_name(card)
    emails = _unique(
        str(e.value).strip().lower() for e in card.contents.get("email", []) if "@" in str(e.value)
    )
    categories: list[str] = []
    for line in card.contents.get("categories", []):
        values = line.value if isinstance(line.value, list) else str(line.value).split(",")
        categories += [str(v).strip() for v in values if str(v).strip() and str(v).strip() not in categories]
    return IndexedItem(
        component="VCARD",
        item_uid=uid,
        summary=name[:MAX_SUMMARY],
        categories=",".join(categories)[:2000],
        emails=" ".join(emails)[:4000],
    )


def _card_value(card: Any, key: str) -> str:
    lines = card.contents.get(key)
    if not lines:
        return ""
    value = lines[0].value
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    return str(value).strip()


def _card_name(card: Any) -> str:
    lines = card.contents.get("n")
    if not lines:
        return ""
    n = lines[0].value
    parts = [getattr(n, "given", ""), getattr(n, "family", "")]
    return " ".join(" ".join(p) if isinstance(p, list) else str(p) for p in parts if p).strip()
