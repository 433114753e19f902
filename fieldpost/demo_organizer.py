"""Demo organizer content for ``fieldpost init --demo``: alice's week (a recurring stand-up, a lunch, an
all-day review), her tasks, a note, a journal entry and her contacts with a group, plus one meeting in
bob's calendar so free/busy has something to show. Times are around the day the demo is made, so the
calendar's current week is never empty. Written through alice's own organizer (rights applied)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.pim.organizer import Organizer
    from storage.store import Store

DOMAIN = "example.test"
PRODID = "-//Fieldpost//Demo//EN"


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _calendar(component: str) -> bytes:
    text = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:{PRODID}\r\n{component}END:VCALENDAR\r\n"
    return text.encode("utf-8")


def _component(kind: str, uid: str, now: datetime, lines: list[str]) -> bytes:
    body = "".join(line + "\r\n" for line in [f"UID:{uid}", f"DTSTAMP:{_stamp(now)}", *lines])
    return _calendar(f"BEGIN:{kind}\r\n{body}END:{kind}\r\n")


def _card(uid: str, lines: list[str]) -> bytes:
    body = "".join(line + "\r\n" for line in ["VERSION:3.0", f"UID:{uid}", *lines])
    return f"BEGIN:VCARD\r\n{body}END:VCARD\r\n".encode()


def alice_items(now: datetime) -> dict[str, list[bytes]]:
    """Alice's demo items by collection kind."""
    monday = (now - timedelta(days=now.weekday())).replace(hour=9, minute=0, second=0, microsecond=0)
    friday = monday + timedelta(days=4)
    review_day = (now + timedelta(days=3)).date()
    alice, bob, carol = (f"{u}@{DOMAIN}" for u in ("alice", "bob", "carol"))
    events = [
        _component(
            "VEVENT",
            "demo-standup@example.test",
            now,
            [
                "SUMMARY:Team stand-up",
                f"DTSTART:{_stamp(monday)}",
                f"DTEND:{_stamp(monday + timedelta(minutes=15))}",
                "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR",
                "LOCATION:Room 2",
                "CATEGORIES:Work",
            ],
        ),
        _component(
            "VEVENT",
            "demo-lunch@example.test",
            now,
            [
                "SUMMARY:Lunch with Bob and Carol",
                f"DTSTART:{_stamp(friday.replace(hour=12))}",
                f"DTEND:{_stamp(friday.replace(hour=13))}",
                "LOCATION:The new place near the station",
                f"ORGANIZER;CN=Bob:mailto:{bob}",
                f"ATTENDEE;CN=Alice;PARTSTAT=ACCEPTED:mailto:{alice}",
                f"ATTENDEE;CN=Carol Müller;PARTSTAT=NEEDS-ACTION:mailto:{carol}",
            ],
        ),
        _component(
            "VEVENT",
            "demo-review@example.test",
            now,
            [
                "SUMMARY:Quarterly review",
                f"DTSTART;VALUE=DATE:{review_day:%Y%m%d}",
                f"DTEND;VALUE=DATE:{review_day + timedelta(days=1):%Y%m%d}",
                "TRANSP:TRANSPARENT",
                "CATEGORIES:Work,Finance",
            ],
        ),
    ]
    tasks = [
        _component(
            "VTODO",
            "demo-task-report@example.test",
            now,
            [
                "SUMMARY:Comment on Carol's report draft",
                f"DUE:{_stamp(now + timedelta(days=2))}",
                "PRIORITY:1",
                "PERCENT-COMPLETE:30",
                "STATUS:IN-PROCESS",
            ],
        ),
        _component(
            "VTODO",
            "demo-task-flights@example.test",
            now,
            ["SUMMARY:Book flights for the offsite", "STATUS:NEEDS-ACTION"],
        ),
        _component(
            "VTODO",
            "demo-task-badge@example.test",
            now,
            [
                "SUMMARY:Renew the door badge",
                "STATUS:COMPLETED",
                f"COMPLETED:{_stamp(now - timedelta(days=1))}",
            ],
        ),
    ]
    notes = [
        _component(
            "VJOURNAL",
            "demo-note-offsite@example.test",
            now,
            [
                "SUMMARY:Ideas for the offsite",
                f"DTSTART;VALUE=DATE:{now.date():%Y%m%d}",
                "DESCRIPTION:A walk by the lake\\nShorter talks\\nOne afternoon without laptops",
            ],
        )
    ]
    journal = [
        _component(
            "VJOURNAL",
            "demo-journal-1@example.test",
            now,
            [
                "SUMMARY:Call with the printer",
                f"DTSTART:{_stamp(now - timedelta(days=1))}",
                "DESCRIPTION:They can deliver the brochures on Tuesday.",
            ],
        )
    ]
    contacts = [
        _card(
            "demo-card-bob",
            ["FN:Bob Martin", "N:Martin;Bob;;;", f"EMAIL;TYPE=INTERNET:{bob}", "TEL;TYPE=WORK:+1 555 0101"],
        ),
        _card(
            "demo-card-carol",
            ["FN:Carol Müller", "N:Müller;Carol;;;", f"EMAIL;TYPE=INTERNET:{carol}", "ORG:Finance"],
        ),
        _card(
            "demo-card-team",
            [
                "FN:Team",
                "N:Team;;;;",
                "KIND:group",
                "X-ADDRESSBOOKSERVER-KIND:group",
                f"MEMBER:mailto:{bob}",
                f"MEMBER:mailto:{carol}",
                f"X-ADDRESSBOOKSERVER-MEMBER:mailto:{bob}",
                f"X-ADDRESSBOOKSERVER-MEMBER:mailto:{carol}",
            ],
        ),
    ]
    return {"calendar": events, "tasks": tasks, "notes": notes, "journal": journal, "contacts": contacts}


def _own(org: Organizer, kind: str) -> int:
    return next(c.folder_id for c in org.collections(kind) if not c.shared and not c.public)


def populate(store: Store, now: datetime | None = None) -> int:
    """Put the demo items into alice's (and one into bob's) own collections; returns how many."""
    now = now or datetime.now(UTC)
    count = 0
    alice = store.accounts.get(f"alice@{DOMAIN}")
    org = store.for_user(alice.id).organizer
    for kind, items in alice_items(now).items():
        folder_id = _own(org, kind)
        for data in items:
            org.put(folder_id, None, data)
            count += 1
    bob = store.accounts.get(f"bob@{DOMAIN}")
    bob_org = store.for_user(bob.id).organizer
    tomorrow = (now + timedelta(days=1)).replace(hour=14, minute=0, second=0, microsecond=0)
    meeting = _component(
        "VEVENT",
        f"demo-{uuid.uuid4().hex[:8]}@example.test",
        now,
        [
            "SUMMARY:Budget meeting",
            f"DTSTART:{_stamp(tomorrow)}",
            f"DTEND:{_stamp(tomorrow + timedelta(hours=1))}",
        ],
    )
    bob_org.put(_own(bob_org, "calendar"), None, meeting)
    return count + 1
