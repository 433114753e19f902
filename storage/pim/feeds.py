"""Secret read-only ICS feed links of calendars: ``Organizer.feed_token`` and ``store.pim_feeds``.

A feed link lets a calendar program subscribe to one calendar without a login (webcal://...): whoever
holds the link reads the whole calendar as one VCALENDAR, what an export gives, except that an event
(task, entry) marked private or confidential (CLASS) shows only its times, as "Busy", without alarms. Making or renewing one needs "a" (administer) on the calendar, as sharing it would.

Storage keeps only the SHA-256 of the secret (``calendar_feeds.token_hash``): a copy of the database
does not reveal working links. The secret itself is not random but derived from the store's key file
(storage.passwords.SecretBox.derive) and the feed's folder and creation time, so the owner can be shown
the same link again without it being stored; renewing gives the feed a new creation time, hence a new
secret, and the old link stops working at once. A calendar has at most one feed. If the key file is
replaced, old links stop working and the next ``feed_token`` makes a new one.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

from sqlalchemy import Connection, delete, insert, select

from storage import acl
from storage import schema as s
from storage.errors import InvalidInput, NotFound
from storage.pim.recurrence import parse_calendar
from storage.pim.transfer import export_calendar

if TYPE_CHECKING:
    from storage.pim.organizer import Organizer
    from storage.store import Store

NO_SUCH_FEED = "no such calendar feed"
PRIVATE_CLASSES = ("PRIVATE", "CONFIDENTIAL")
PRIVATE_COMPONENTS = ("VEVENT", "VTODO", "VJOURNAL")
PRIVATE_SUMMARY = "Busy"
PRIVATE_KEEP = frozenset(
    [
        "UID",
        "DTSTAMP",
        "DTSTART",
        "DTEND",
        "DURATION",
        "DUE",
        "RRULE",
        "RDATE",
        "EXDATE",
        "RECURRENCE-ID",
        "TRANSP",
        "STATUS",
        "CLASS",
        "SEQUENCE",
    ]
)
FEED_KINDS = ("calendar",)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")


def feed_token(organizer: Organizer, folder_id: int, *, renew: bool = False) -> str:
    """Organizer.feed_token (see its docstring)."""
    store = organizer.store
    with store.db.write() as conn:
        folder, _ = organizer.pim_folder(conn, folder_id, acl.Rights.parse("a"))
        if folder.kind not in FEED_KINDS:
            raise InvalidInput("only a calendar has a feed link")
        f = s.calendar_feeds
        row = conn.execute(select(f.c.token_hash, f.c.created_at).where(f.c.folder_id == folder_id)).first()
        if row is not None and not renew:
            token = _token(store, folder_id, row.created_at)
            if _hash(token) == row.token_hash:
                return token
        created = datetime.now(UTC)
        if row is not None and _stamp(row.created_at) == _stamp(created):
            created = created.replace(microsecond=(created.microsecond + 1) % 1_000_000)
        token = _token(store, folder_id, created)
        conn.execute(delete(f).where(f.c.folder_id == folder_id))
        conn.execute(insert(f).values(folder_id=folder_id, token_hash=_hash(token), created_at=created))
        return token


class CalendarFeeds:
    """The no-login side of feed links, for the DAV/web layer: ``store.pim_feeds``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def calendar_for_token(self, token: str) -> tuple[int, bytes]:
        """The calendar a feed secret opens, and all its items as one VCALENDAR.

        Raises:
            NotFound: no feed has this secret (never made, renewed since, or its calendar deleted).
        """
        if not _TOKEN.fullmatch(token or ""):
            raise NotFound(NO_SUCH_FEED)
        p, m, b, f = s.pim_items, s.messages, s.bodies, s.calendar_feeds
        with self.store.db.read() as conn:
            folder_id = conn.execute(select(f.c.folder_id).where(f.c.token_hash == _hash(token))).scalar()
            if folder_id is None:
                raise NotFound(NO_SUCH_FEED)
            name = _display_name(conn, int(folder_id))
            shas = list(
                conn.execute(
                    select(b.c.sha256)
                    .join(m, m.c.body_id == b.c.id)
                    .join(p, p.c.message_id == m.c.id)
                    .where(p.c.folder_id == folder_id)
                    .order_by(p.c.name)
                ).scalars()
            )
        datas = [_redacted(self.store.blobs.read(sha)) for sha in shas]
        return int(folder_id), export_calendar(datas, name=name)


def _redacted(data: bytes) -> bytes:
    """The item as a feed shows it: a private or confidential component keeps its times only."""
    upper = data.upper()
    if b"CLASS:PRIVATE" not in upper and b"CLASS:CONFIDENTIAL" not in upper:
        return data
    try:
        cal = parse_calendar(data)
    except InvalidInput:
        return b""
    for comp in cal.subcomponents:
        if comp.name in PRIVATE_COMPONENTS and str(comp.get("CLASS", "")).upper() in PRIVATE_CLASSES:
            for key in [k for k in comp if k.upper() not in PRIVATE_KEEP]:
                del comp[key]
            comp.subcomponents = []
            comp.add("SUMMARY", PRIVATE_SUMMARY)
    return cast(bytes, cal.to_ical())


def _display_name(conn: Connection, folder_id: int) -> str:
    c, fo = s.pim_collections, s.folders
    named = conn.execute(select(c.c.display_name).where(c.c.folder_id == folder_id)).scalar()
    if named:
        return str(named)
    path = str(conn.execute(select(fo.c.path).where(fo.c.id == folder_id)).scalar() or "")
    return path.rpartition("/")[2]


def _stamp(when: datetime) -> str:
    """A creation time as the derivation label holds it: UTC to the microsecond, as both backends keep it."""
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.strftime("%Y%m%dT%H%M%S.%f")


def _token(store: Store, folder_id: int, created: datetime) -> str:
    secret = store.secret_box.derive(f"calendar-feed:{folder_id}:{_stamp(created)}".encode())
    return base64.urlsafe_b64encode(secret).decode("ascii").rstrip("=")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()
