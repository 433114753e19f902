"""Reading the organizer's item forms (tasks, notes, journal entries, contacts): one field at a time, each
with a clear message when it is wrong, so a page can show the form again with the typed values kept.

Flask-free: a form is any ``Mapping[str, str]`` (and ``getlist`` where a field repeats). The messages are
marked for translation with ``lazy_gettext`` so they take the reader's language when the page renders.

Limits (explicit, and listed in docs/organizer.md): a one-line field holds at most ``LINE_CHARS``
characters, a text field ``TEXT_CHARS``, categories at most ``MAX_CATEGORIES`` of ``LINE_CHARS`` each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

LINE_CHARS = 500
TEXT_CHARS = 32_000
MAX_CATEGORIES = 20


@dataclass
class FieldErrors:
    """What was wrong, by field name (the page shows each message next to its field)."""

    by_field: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, message)

    def __bool__(self) -> bool:
        return bool(self.by_field)


def line(value: str | None, name: str, errors: FieldErrors, *, required: bool = False) -> str:
    """A one-line text: spaces collapsed, control characters refused by dropping them."""
    text = " ".join((value or "").split())
    if required and not text:
        errors.add(name, str(_l("This field is required.")))
    if len(text) > LINE_CHARS:
        errors.add(name, str(_l("At most %(count)d characters.", count=LINE_CHARS)))
    return text[:LINE_CHARS]


def text_block(value: str | None, name: str, errors: FieldErrors) -> str:
    """A multi-line text with its line ends made "\\n"."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    text = "".join(c for c in text if c == "\n" or c == "\t" or ord(c) >= 32)
    if len(text) > TEXT_CHARS:
        errors.add(name, str(_l("At most %(count)d characters.", count=TEXT_CHARS)))
    return text[:TEXT_CHARS]


def categories(value: str | None, name: str, errors: FieldErrors) -> tuple[str, ...]:
    """Comma-separated categories, each once (first spelling kept)."""
    seen: dict[str, str] = {}
    for part in (value or "").split(","):
        clean = " ".join(part.split())[:LINE_CHARS]
        if clean:
            seen.setdefault(clean.casefold(), clean)
    if len(seen) > MAX_CATEGORIES:
        errors.add(name, str(_l("At most %(count)d categories.", count=MAX_CATEGORIES)))
    return tuple(seen.values())[:MAX_CATEGORIES]


def number(value: str | None, name: str, errors: FieldErrors, low: int, high: int) -> int | None:
    """A whole number in [low, high], or None for an empty field."""
    text = (value or "").strip()
    if not text:
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        errors.add(name, str(_l("A whole number from %(low)d to %(high)d.", low=low, high=high)))
        return None
    return int(text)


def day(value: str | None, name: str, errors: FieldErrors) -> date | None:
    """A date typed as YYYY-MM-DD (what ``<input type="date">`` sends), or None for an empty field."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.add(name, str(_l("Not a date: use YYYY-MM-DD.")))
        return None


def moment(value: str | None, name: str, errors: FieldErrors, zone: str) -> date | datetime | None:
    """A date (YYYY-MM-DD) or a local date and time (YYYY-MM-DDTHH:MM, what ``datetime-local`` sends),
    read in the user's time zone ``zone``; None for an empty field."""
    text = (value or "").strip().replace(" ", "T")
    if not text:
        return None
    if "T" not in text:
        return day(text, name, errors)
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        errors.add(name, str(_l("Not a date and time: use YYYY-MM-DD HH:MM.")))
        return None
    return found.replace(tzinfo=ZoneInfo(zone), second=0, microsecond=0)


def shown(value: date | datetime | None, zone: str) -> str:
    """The form value of a date or date-time (date-times in the user's zone ``zone``)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = value.astimezone(ZoneInfo(zone)) if value.tzinfo else value
        return local.strftime("%Y-%m-%dT%H:%M")
    return value.isoformat()


def sort_key(value: date | datetime | None) -> datetime:
    """A UTC-comparable key for a date or date-time (dates at midnight UTC; None sorts last)."""
    if value is None:
        return datetime.max.replace(tzinfo=ZoneInfo("UTC"))
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))
    return datetime.combine(value, time(), ZoneInfo("UTC"))


def address(value: str | None, name: str, errors: FieldErrors) -> str:
    """An e-mail address (empty allowed): one "@", no spaces or brackets."""
    text = (value or "").strip().removeprefix("mailto:")
    if not text:
        return ""
    local, at, host = text.rpartition("@")
    if not at or not local or not host or any(c.isspace() or c in "<>\"',;()" for c in text):
        errors.add(name, str(_l("Not an e-mail address: %(text)s", text=text[:80])))
        return ""
    return text[:320]
