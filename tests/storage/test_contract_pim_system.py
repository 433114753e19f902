"""The organizer's system path for mail processing (storage/pim/system.py), on both backends: filing an
invitation in an account's calendar and updating it by UID, a room's busy check, and the reminders a
sweep finds due -- what meetings and the reminder sweep see through ``store.pim_system``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage.errors import InvalidInput
from storage.pim import Busy
from tests.storage.conftest import Demo

ALICE = "alice@example.test"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def cal(*body: str) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", *body, "END:VCALENDAR"]
    return ("\r\n".join(lines) + "\r\n").encode()


def meeting(uid: str, start: datetime, hours: int = 1, *extra: str, summary: str = "Meeting") -> bytes:
    stop = start + timedelta(hours=hours)
    return cal(
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
        f"DTEND:{stop:%Y%m%dT%H%M%SZ}",
        f"SUMMARY:{summary}",
        *extra,
        "END:VEVENT",
    )


def test_put_for_account_files_new_items_in_the_default_folder_and_updates_by_uid(demo: Demo) -> None:
    system = demo.store.pim_system
    org = demo.store.for_user(demo.alice.id).organizer
    calendar = system.default_folder(demo.alice.id)
    assert org.collection(calendar).path == "Calendar"
    first = system.put_for_account(demo.alice.id, meeting("inv-1", utc(2026, 6, 1, 9)))
    assert (first.folder_id, first.name, first.item_uid) == (calendar, "inv-1.ics", "inv-1")
    found = system.find_uid(demo.alice.id, "inv-1")
    assert found is not None and found.etag == first.etag and b"SUMMARY:Meeting" in found.data
    second = system.put_for_account(demo.alice.id, meeting("inv-1", utc(2026, 6, 1, 10), summary="Moved"))
    assert second.name == "inv-1.ics" and second.etag != first.etag
    assert [i.summary for i in org.get_many(calendar, ["inv-1.ics"])] == ["Moved"]
    task = system.put_for_account(
        demo.alice.id, cal("BEGIN:VTODO", "UID:todo-1", "SUMMARY:Assigned", "END:VTODO"), kind="tasks"
    )
    assert org.collection(task.folder_id).path == "Tasks"
    assert system.find_uid(demo.alice.id, "todo-1") is None  # not an event
    assert system.delete_uid(demo.alice.id, "inv-1") and not system.delete_uid(demo.alice.id, "inv-1")
    assert org.items(calendar) == []
    with pytest.raises(InvalidInput):
        system.put_for_account(demo.alice.id, b"not a calendar")
    with pytest.raises(InvalidInput):
        system.default_folder(demo.alice.id, "contacts")


def test_a_missing_default_calendar_is_made_again(demo: Demo) -> None:
    org = demo.store.for_user(demo.bob.id).organizer
    org.delete_collection(demo.store.pim_system.default_folder(demo.bob.id))
    assert org.collections("calendar") == []
    made = demo.store.pim_system.default_folder(demo.bob.id)
    assert [c.folder_id for c in org.collections("calendar")] == [made]


def test_busy_and_conflicts_for_a_room(demo: Demo) -> None:
    system = demo.store.pim_system
    room = demo.carol.id
    booked = system.put_for_account(room, meeting("book-1", utc(2030, 3, 4, 10)))
    system.put_for_account(room, meeting("free-1", utc(2030, 3, 4, 14), 1, "TRANSP:TRANSPARENT"))
    assert system.busy(room, utc(2030, 3, 4), utc(2030, 3, 5)) == [
        Busy(utc(2030, 3, 4, 10), utc(2030, 3, 4, 11), "BUSY")
    ]
    assert system.busy(room, utc(2030, 3, 4), utc(2030, 3, 5), ignore_uid=booked.item_uid) == []
    clash = system.conflicts(room, meeting("book-2", utc(2030, 3, 4, 10, 30)))
    assert clash == [Busy(utc(2030, 3, 4, 10), utc(2030, 3, 4, 11), "BUSY")]
    assert system.conflicts(room, meeting("book-3", utc(2030, 3, 4, 11))) == []  # back to back is free
    assert system.conflicts(room, meeting("book-4", utc(2030, 3, 4, 14))) == []  # the transparent one
    assert system.conflicts(room, meeting("book-1", utc(2030, 3, 4, 10, 15))) == []  # its own update
    weekly = meeting("book-5", utc(2030, 2, 4, 10), 1, "RRULE:FREQ=WEEKLY;COUNT=10")  # Mondays from February
    assert len(system.conflicts(room, weekly)) == 1
    yearly = meeting("book-6", utc(2030, 3, 4, 10), 1, "RRULE:FREQ=YEARLY;COUNT=30")  # longer than ten years
    assert len(system.conflicts(room, yearly)) == 1


def test_due_alarms_per_occurrence_and_for_tasks(demo: Demo) -> None:
    system = demo.store.pim_system
    alarm = ["BEGIN:VALARM", "ACTION:EMAIL", "TRIGGER:-PT15M", "DESCRIPTION:Soon", "SUMMARY:x",
             "ATTENDEE:mailto:Alice@Example.test", "END:VALARM"]  # fmt: skip
    system.put_for_account(
        demo.alice.id,
        meeting("daily", utc(2026, 9, 1, 9), 1, "RRULE:FREQ=DAILY;COUNT=5", *alarm, summary="Daily"),
    )
    system.put_for_account(demo.bob.id, meeting("quiet", utc(2026, 9, 1, 9), 1, summary="No alarm"))
    system.put_for_account(
        demo.bob.id,
        cal(
            "BEGIN:VTODO",
            "UID:report",
            "SUMMARY:Report",
            "DUE:20260902T170000Z",
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            "TRIGGER;RELATED=END:-PT1H",
            "DESCRIPTION:Report due",
            "END:VALARM",
            "END:VTODO",
        ),
        kind="tasks",
    )
    due = system.due_alarms(utc(2026, 9, 1, 8, 40), utc(2026, 9, 1, 8, 50))
    assert [(a.account_id, a.summary, a.trigger_at, a.action) for a in due] == [
        (demo.alice.id, "Daily", utc(2026, 9, 1, 8, 45), "EMAIL")
    ]
    first = due[0]
    assert first.recipients == ("alice@example.test",) and first.description == "Soon"
    assert first.occurrence_start == utc(2026, 9, 1, 9) and first.recurrence_id == utc(2026, 9, 1, 9)
    two_days = system.due_alarms(utc(2026, 9, 1), utc(2026, 9, 3))
    assert [(a.summary, a.trigger_at) for a in two_days] == [
        ("Daily", utc(2026, 9, 1, 8, 45)),
        ("Daily", utc(2026, 9, 2, 8, 45)),
        ("Report", utc(2026, 9, 2, 16)),
    ]
    assert two_days[2].component == "VTODO" and two_days[2].description == "Report due"
    assert system.due_alarms(utc(2026, 9, 1, 8, 45, 1), utc(2026, 9, 1, 9)) == []
