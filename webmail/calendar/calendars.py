"""The calendars a user sees in WebMail: their own, those shared with them and the domain's public ones,
each with what the user may do in it, and which of them the views show.

The list comes from the organizer (``user_mail().organizer.collections("calendar")``), rights applied
in storage; this module only names and orders them and keeps the user's choice of hidden calendars in
the signed session cookie (a list of folder ids, :data:`HIDDEN`), so the choice lasts as long as the
sign-in and costs no storage. A user without a calendar of their own gets one, "Calendar", the first
time a calendar page is opened.
"""

from __future__ import annotations

from flask import session
from flask_babel import gettext as _

from storage.errors import AlreadyExists, InvalidInput
from storage.pim import Collection
from webmail.binding import user_mail
from webmail.calendar.grid import CalendarShown

HIDDEN = "calendar_hidden"
COLORS = 8  # cal-color-0 .. cal-color-7 in base.css
MAX_NAME = 100
DEFAULT_PATH = "Calendar"


def origin_of(collection: Collection) -> str:
    if collection.public:
        return "public"
    return "shared" if collection.shared else "own"


def label_of(collection: Collection) -> str:
    """The name a list shows: the calendar's display name, with its owner's when it is not the user's."""
    name = collection.display_name or collection.path.rpartition("/")[2] or collection.path
    if collection.public:
        return str(_("%(name)s (public)", name=name))
    if collection.shared:
        return f"{name} ({collection.owner})"
    return name


def calendars() -> dict[int, CalendarShown]:
    """Every calendar the user may see, own first, then shared, then public; each with its colour."""
    found = user_mail().organizer.collections("calendar")
    if not any(origin_of(c) == "own" for c in found):
        found = [*found, ensure_own_calendar()]
    order = {"own": 0, "shared": 1, "public": 2}
    found.sort(key=lambda c: (order[origin_of(c)], label_of(c).casefold(), c.folder_id))
    hidden = set(hidden_ids())
    shown: dict[int, CalendarShown] = {}
    for number, collection in enumerate(found):
        rights = collection.rights
        shown[collection.folder_id] = CalendarShown(
            folder_id=collection.folder_id,
            name=label_of(collection),
            owner=collection.owner,
            origin=origin_of(collection),
            can_add="i" in rights,
            can_edit="ite" in rights,
            color=number % COLORS,
            shown=collection.folder_id not in hidden,
            can_share="a" in rights,
        )
    return shown


def ensure_own_calendar() -> Collection:
    """The user's first calendar, made now (another request may have made it a moment ago)."""
    organizer = user_mail().organizer
    try:
        return organizer.create_collection(DEFAULT_PATH, "calendar", _("Calendar"))
    except AlreadyExists:
        mine = [c for c in organizer.collections("calendar") if origin_of(c) == "own"]
        if not mine:
            raise
        return mine[0]


def hidden_ids() -> list[int]:
    value = session.get(HIDDEN, [])
    return [v for v in value if isinstance(v, int)] if isinstance(value, list) else []


def set_shown(visible: list[int], known: dict[int, CalendarShown]) -> None:
    """Show exactly the calendars ``visible`` among ``known``; the others are hidden."""
    session[HIDDEN] = sorted(set(known) - set(visible))


def create_calendar(name: str) -> tuple[Collection | None, str]:
    """A new calendar of the user's named ``name``: (it, "") or (None, what is wrong)."""
    name = " ".join(name.split())
    if not name:
        return None, _("Give the calendar a name.")
    if len(name) > MAX_NAME or "/" in name:
        return None, _('A calendar name has at most %(most)d characters and no "/".', most=MAX_NAME)
    organizer = user_mail().organizer
    try:
        return organizer.create_collection(name, "calendar", name), ""
    except AlreadyExists:
        return None, _("You already have a folder named %(name)s.", name=name)
    except InvalidInput as exc:
        return None, str(exc)
