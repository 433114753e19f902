"""The organizer's reads over many items (issue 16), on both backends: calendar ranges with recurrences
expanded on read, task lists, free/busy with its rights, contact search, import/export with per-item
errors, ICS feed links -- each as the user (alice, bob) sees them through ``store.for_user``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import text

from storage.errors import InvalidInput, NotFound, PermissionDenied
from storage.pim import Busy, Collection
from storage.pim.occurrences import candidates_statement
from storage.pim.organizer import Organizer
from tests.storage.conftest import Demo

ALICE, BOB, CAROL = "alice@example.test", "bob@example.test", "carol@example.test"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def event(uid: str, start: str, end: str, *extra: str, summary: str = "Meeting") -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", "BEGIN:VEVENT", f"UID:{uid}"]
    lines += ["DTSTAMP:20260101T000000Z", f"DTSTART{start}", f"DTEND{end}", f"SUMMARY:{summary}", *extra]
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return ("\r\n".join(lines) + "\r\n").encode()


def todo(uid: str, summary: str, *extra: str) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", "BEGIN:VTODO", f"UID:{uid}"]
    lines += ["DTSTAMP:20260101T000000Z", f"SUMMARY:{summary}", *extra, "END:VTODO", "END:VCALENDAR"]
    return ("\r\n".join(lines) + "\r\n").encode()


def vcf(uid: str, name: str, email: str) -> bytes:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nEMAIL:{email}\r\nEND:VCARD\r\n".encode()


def org_of(demo: Demo, who: str = "alice") -> Organizer:
    account = {"alice": demo.alice, "bob": demo.bob, "carol": demo.carol}[who]
    return demo.store.for_user(account.id).organizer


def own(org: Organizer, kind: str) -> Collection:
    return next(c for c in org.collections(kind) if not c.shared and not c.public)


def weekly_team(org: Organizer, cal: int) -> None:
    org.put(
        cal,
        None,
        event(
            "team",
            ";TZID=Europe/Berlin:20260316T100000",
            ";TZID=Europe/Berlin:20260316T110000",
            "RRULE:FREQ=WEEKLY;BYDAY=MO",
            "EXDATE;TZID=Europe/Berlin:20260406T100000",
            summary="Team",
        ),
    )


def test_occurrences_expand_on_read_across_dst_with_exdate_and_single_events(demo: Demo) -> None:
    org = org_of(demo)
    cal = own(org, "calendar").folder_id
    weekly_team(org, cal)
    org.put(cal, None, event("lunch", ":20260325T110000Z", ":20260325T120000Z", summary="Lunch"))
    org.put(
        cal,
        None,
        event("trip", ";VALUE=DATE:20260327", ";VALUE=DATE:20260330", "TRANSP:TRANSPARENT", summary="Trip"),
    )
    org.put(cal, None, event("later", ":20260501T110000Z", ":20260501T120000Z"))
    got = org.occurrences([cal], utc(2026, 3, 23), utc(2026, 4, 13))
    assert [(o.summary, o.starts_at) for o in got] == [
        ("Team", utc(2026, 3, 23, 9)),
        ("Lunch", utc(2026, 3, 25, 11)),
        ("Trip", utc(2026, 3, 27)),
        ("Team", utc(2026, 3, 30, 8)),  # 10:00 in Berlin after the DST change
    ]  # 6 April is excluded; the May event is outside
    trip = got[2]
    assert trip.all_day and trip.ends_at == utc(2026, 3, 30) and not trip.busy
    assert (
        got[0].name == "team.ics" and got[0].folder_id == cal and got[0].recurrence_id == utc(2026, 3, 23, 9)
    )
    assert len(org.occurrences([cal], utc(2026, 1, 1), utc(2027, 1, 1), limit=5)) == 5
    demo.store.settings.set("organizer.max_occurrences", 10, account=ALICE)
    assert len(org.occurrences([cal], utc(2026, 1, 1), utc(2027, 1, 1))) == 10
    with pytest.raises(InvalidInput):
        org.occurrences([cal], utc(2026, 2, 1), utc(2026, 1, 1))
    with pytest.raises(InvalidInput):
        org.occurrences([cal], datetime(1, 1, 1, tzinfo=UTC), datetime(1, 1, 8, tzinfo=UTC))
    # A rule that does not parse is refused by put, and an IMAP APPEND of it stays a plain message.
    broken = event("worse", ":20260324T100000Z", ":20260324T110000Z", "RRULE:FREQ=SOMETIMES")
    with pytest.raises(InvalidInput, match="RRULE"):
        org.put(cal, None, broken)
    demo.store.mail.append(ALICE, "Calendar", broken)
    assert "worse.ics" not in [i.name for i in org.items(cal)]
    # An item stored by IMAP is not checked by put: one that cannot be expanded is left out.
    demo.store.mail.append(
        ALICE,
        "Calendar",
        event("bad", ":20260324T100000Z", ":20260324T110000Z", "RRULE:FREQ=DAILY;INTERVAL=0"),
    )
    assert [o.summary for o in org.occurrences([cal], utc(2026, 3, 23), utc(2026, 3, 25))] == ["Team"]


def test_a_moved_occurrence_updated_through_put_shows_at_its_new_time(demo: Demo) -> None:
    org = org_of(demo)
    cal = own(org, "calendar").folder_id
    weekly_team(org, cal)
    master = org.get(cal, "team.ics").data.decode()
    override = (
        "BEGIN:VEVENT\r\nUID:team\r\nDTSTAMP:20260101T000000Z\r\n"
        "RECURRENCE-ID;TZID=Europe/Berlin:20260413T100000\r\n"
        "DTSTART;TZID=Europe/Berlin:20260414T150000\r\nDTEND;TZID=Europe/Berlin:20260414T160000\r\n"
        "SUMMARY:Team (moved)\r\nEND:VEVENT\r\n"
    )
    org.put(cal, "team.ics", master.replace("END:VCALENDAR", override + "END:VCALENDAR").encode())
    got = org.occurrences([cal], utc(2026, 4, 13), utc(2026, 4, 21))
    assert [(o.summary, o.starts_at) for o in got] == [
        ("Team (moved)", utc(2026, 4, 14, 13)),
        ("Team", utc(2026, 4, 20, 8)),
    ]


def test_occurrences_skip_folders_the_user_may_not_read(demo: Demo) -> None:
    alice = org_of(demo)
    cal = own(alice, "calendar").folder_id
    alice.put(cal, None, event("a", ":20260601T090000Z", ":20260601T100000Z"))
    bob = org_of(demo, "bob")
    bob_cal = own(bob, "calendar").folder_id
    bob.put(bob_cal, None, event("b", ":20260601T120000Z", ":20260601T130000Z", summary="Bob's"))
    assert [o.summary for o in bob.occurrences([cal, bob_cal], utc(2026, 6, 1), utc(2026, 6, 2))] == ["Bob's"]
    demo.store.acl.grant(ALICE, "Calendar", BOB, "l")
    assert [o.summary for o in bob.occurrences([cal, bob_cal], utc(2026, 6, 1), utc(2026, 6, 2))] == ["Bob's"]
    demo.store.acl.grant(ALICE, "Calendar", BOB, "lrs")
    got = bob.occurrences([cal, bob_cal], utc(2026, 6, 1), utc(2026, 6, 2))
    assert [(o.summary, o.folder_id) for o in got] == [("Meeting", cal), ("Bob's", bob_cal)]


def test_a_week_of_a_large_calendar_reads_that_week_only(demo: Demo) -> None:
    org = org_of(demo)
    cal = own(org, "calendar").folder_id
    store = demo.store
    base = utc(2025, 1, 6, 9)
    # 500 one-hour events, one every 32 hours over about two years, stored as an IMAP APPEND would
    # store them (in one transaction here, for speed; the index rows come with each append), plus an
    # open-ended weekly series and one that ended long ago, through put. (Fewer than the benchmark's
    # 5,000: building costs 35-150 ms an item on this machine; the plan asserted does not depend on it.)
    raws, starts = [], []
    for i in range(500):
        s0 = base + timedelta(hours=32 * i)
        starts.append(s0)
        stamp, stop = s0.strftime("%Y%m%dT%H%M%SZ"), (s0 + timedelta(hours=1)).strftime("%Y%m%dT%H%M%SZ")
        raws.append(event(f"e{i}", ":" + stamp, ":" + stop))
    staged = [(store.mail.stage(raw), store.blobs.put(raw)) for raw in raws]

    def fill(conn: Any) -> None:
        for st, sha in staged:
            store.mail.append_in(conn, cal, st, sha, None)

    store.db.write_unit(fill)
    org.put(
        cal,
        None,
        event("series", ":20250106T070000Z", ":20250106T073000Z", "RRULE:FREQ=WEEKLY", summary="Series"),
    )
    org.put(cal, None, event("old", ":20200106T070000Z", ":20200106T073000Z", "RRULE:FREQ=DAILY;COUNT=10"))
    assert len(org.items(cal)) == 502
    start, end = utc(2026, 1, 5), utc(2026, 1, 12)
    with store.db.read() as conn:
        rows = conn.execute(candidates_statement([cal], start, end)).all()
        if store.db.engine.dialect.name == "sqlite":
            compiled = candidates_statement([cal], start, end).compile(
                dialect=store.db.engine.dialect, compile_kwargs={"literal_binds": True}
            )
            plan = " ".join(str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
            assert "SCAN pim_items" not in plan, plan
            assert "ix_pim_items_folder_starts (folder_id=? AND starts_at>? AND starts_at<?)" in plan, plan
            assert "ix_pim_items_folder_recur_end (folder_id=? AND recur_end>?)" in plan, plan
            assert "ix_pim_items_folder_recur_end (folder_id=? AND recur_end=?)" in plan, plan
    # Candidates: the events of that week and the open series, not the 502 stored.
    in_week = sum(1 for s0 in starts if start < s0 + timedelta(hours=1) and s0 < end)
    assert 5 <= in_week <= 6 and len(rows) == in_week + 1
    got = org.occurrences([cal], start, end)
    assert len(got) == in_week + 1 and [o.summary for o in got].count("Series") == 1


def test_tasks_from_the_index_in_due_order(demo: Demo) -> None:
    org = org_of(demo)
    tasks = own(org, "tasks").folder_id
    org.put(tasks, None, todo("t1", "Later", "DUE:20260310T170000Z", "PRIORITY:5"))
    org.put(tasks, None, todo("t2", "Sooner", "DUE:20260305T170000Z", "PERCENT-COMPLETE:40"))
    org.put(tasks, None, todo("t3", "Someday"))
    org.put(tasks, None, todo("t4", "Done", "STATUS:COMPLETED", "COMPLETED:20260301T100000Z"))
    got = org.tasks([tasks])
    assert [t.summary for t in got] == ["Sooner", "Later", "Someday", "Done"]
    assert (got[0].due_at, got[0].percent, got[1].priority) == (utc(2026, 3, 5, 17), 40, 5)
    assert got[3].completed_at == utc(2026, 3, 1, 10)
    assert [t.summary for t in org.tasks([tasks], include_done=False)] == ["Sooner", "Later", "Someday"]
    assert org_of(demo, "bob").tasks([tasks]) == []


def test_free_busy_needs_the_owner_or_read_free_busy_and_shows_no_details(demo: Demo) -> None:
    alice = org_of(demo)
    cal = own(alice, "calendar").folder_id
    alice.put(cal, None, event("a", ":20260601T090000Z", ":20260601T100000Z", summary="Secret"))
    alice.put(cal, None, event("b", ":20260601T093000Z", ":20260601T110000Z"))
    alice.put(cal, None, event("c", ":20260601T130000Z", ":20260601T140000Z", "STATUS:TENTATIVE"))
    alice.put(cal, None, event("d", ":20260601T150000Z", ":20260601T160000Z", "TRANSP:TRANSPARENT"))
    alice.put(cal, None, event("e", ":20260601T170000Z", ":20260601T180000Z", "STATUS:CANCELLED"))
    want = [
        Busy(utc(2026, 6, 1, 9), utc(2026, 6, 1, 11), "BUSY"),
        Busy(utc(2026, 6, 1, 13), utc(2026, 6, 1, 14), "BUSY-TENTATIVE"),
    ]
    assert alice.free_busy(ALICE, utc(2026, 6, 1), utc(2026, 6, 2)) == want
    bob = org_of(demo, "bob")
    with pytest.raises(PermissionDenied):
        bob.free_busy(ALICE, utc(2026, 6, 1), utc(2026, 6, 2))
    with pytest.raises(PermissionDenied):  # a local address naming nobody reads the same
        bob.free_busy("nobody@example.test", utc(2026, 6, 1), utc(2026, 6, 2))
    with pytest.raises(NotFound):
        bob.free_busy("someone@elsewhere.test", utc(2026, 6, 1), utc(2026, 6, 2))
    demo.store.acl.grant(ALICE, "", BOB, "1")  # read free/busy only
    assert bob.free_busy(ALICE, utc(2026, 6, 1), utc(2026, 6, 2)) == want
    assert bob.occurrences([cal], utc(2026, 6, 1), utc(2026, 6, 2)) == []  # still no summaries
    with pytest.raises(NotFound):  # no "l" on the calendar: it does not exist for bob
        bob.get(cal, "a.ics")
    carol = org_of(demo, "carol")
    demo.store.acl.grant(ALICE, "Calendar", CAROL, "lr")  # reading the calendar is enough too
    assert carol.free_busy(ALICE, utc(2026, 6, 1), utc(2026, 6, 2)) == want


def test_contact_search_is_folded_and_covers_readable_shared_books(demo: Demo) -> None:
    alice = org_of(demo)
    book = own(alice, "contacts").folder_id
    alice.put(book, None, vcf("c1", "Jörg Müller", "joerg@example.org"))
    alice.put(book, None, vcf("c2", "Ann Smith", "ann@muller.example"))
    alice.put(book, None, vcf("c3", "Zoë Other", "zoe@example.org"))
    assert [i.summary for i in alice.search_contacts("muller")] == ["Ann Smith", "Jörg Müller"]
    assert [i.summary for i in alice.search_contacts("MÜLLER jörg")] == ["Jörg Müller"]
    assert [i.summary for i in alice.search_contacts("zoe")] == ["Zoë Other"]
    assert len(alice.search_contacts("", limit=2)) == 2
    bob = org_of(demo, "bob")
    assert bob.search_contacts("muller") == []
    demo.store.acl.grant(ALICE, "Contacts", BOB, "lrs")
    hits = bob.search_contacts("muller")
    assert [i.summary for i in hits] == ["Ann Smith", "Jörg Müller"] and b"FN:J" in hits[1].data


IMPORT = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Other//EN\r\n"
    b"BEGIN:VEVENT\r\nUID:imp1\r\nDTSTART:20260701T090000Z\r\nDTEND:20260701T100000Z\r\nSUMMARY:One\r\nEND:VEVENT\r\n"
    b"BEGIN:VEVENT\r\nUID:imp2\r\nDTSTART:not-a-date\r\nSUMMARY:Broken\r\nEND:VEVENT\r\n"
    b"BEGIN:VEVENT\r\nUID:imp3\r\nDTSTART;VALUE=DATE:20260702\r\nSUMMARY:Three\r\nEND:VEVENT\r\n"
    b"BEGIN:VTODO\r\nUID:imp4\r\nSUMMARY:A task in a calendar file\r\nEND:VTODO\r\n"
    b"BEGIN:VJOURNAL\r\nUID:imp5\r\nSUMMARY:A note\r\nEND:VJOURNAL\r\n"
    b"END:VCALENDAR\r\n"
)


def test_import_reports_broken_items_by_position_and_updates_by_uid(demo: Demo) -> None:
    org = org_of(demo)
    cal = own(org, "calendar").folder_id
    report = org.import_items(cal, IMPORT)
    assert (report.added, report.updated) == (3, 0)
    assert [pos for pos, _ in report.failed] == [2, 5]
    assert "DTSTART" in report.failed[0][1] and "VJOURNAL" in report.failed[1][1]
    assert sorted(i.name for i in org.items(cal)) == ["imp1.ics", "imp3.ics", "imp4.ics"]
    again = org.import_items(cal, IMPORT.replace(b"SUMMARY:One", b"SUMMARY:One again"))
    assert (again.added, again.updated) == (0, 3)
    assert org.get(cal, "imp1.ics").summary == "One again"
    with pytest.raises(InvalidInput):
        org.import_items(cal, vcf("x", "X", "x@example.org"))
    bob = org_of(demo, "bob")
    demo.store.acl.grant(ALICE, "Calendar", BOB, "lrs")
    with pytest.raises(PermissionDenied):
        bob.import_items(cal, IMPORT)


def test_export_is_one_calendar_or_the_cards_and_imports_back(demo: Demo) -> None:
    org = org_of(demo)
    cal = own(org, "calendar").folder_id
    weekly_team(org, cal)
    org.put(
        cal,
        None,
        event("lunch", ";TZID=Europe/Berlin:20260325T120000", ";TZID=Europe/Berlin:20260325T130000"),
    )
    exported = org.export_items(cal)
    parsed = Calendar.from_ical(exported)
    assert sorted(str(c["UID"]) for c in parsed.walk("VEVENT")) == ["lunch", "team"]
    book = own(org, "contacts").folder_id
    org.put(book, None, vcf("c1", "Jörg Müller", "joerg@example.org"))
    org.put(book, None, vcf("c2", "Ann Smith", "ann@example.org"))
    cards = org.export_items(book)
    assert cards.count(b"BEGIN:VCARD") == 2
    bob = org_of(demo, "bob")
    bob_book = own(bob, "contacts").folder_id
    assert bob.import_items(bob_book, cards).added == 2
    bob_cal = own(bob, "calendar").folder_id
    assert bob.import_items(bob_cal, exported).added == 2
    assert len(bob.occurrences([bob_cal], utc(2026, 3, 23), utc(2026, 3, 30))) == 2
    with pytest.raises(NotFound):  # alice's calendar is not shared with bob
        bob.export_items(cal)
    demo.store.acl.grant(ALICE, "Calendar", BOB, "l")
    with pytest.raises(PermissionDenied):
        bob.export_items(cal)


def test_feed_links_are_secret_stable_and_renewable(demo: Demo) -> None:
    org = org_of(demo)
    cal = own(org, "calendar").folder_id
    weekly_team(org, cal)
    org.put(
        cal,
        None,
        event(
            "doctor",
            ":20260317T080000Z",
            ":20260317T090000Z",
            "CLASS:PRIVATE",
            "LOCATION:Clinic",
            summary="Doctor",
        ),
    )
    token = org.feed_token(cal)
    assert org.feed_token(cal) == token and len(token) >= 40
    folder_id, data = demo.store.pim_feeds.calendar_for_token(token)
    assert folder_id == cal and b"UID:team" in data and b"X-WR-CALNAME:Calendar" in data
    feed = {str(c["UID"]): c for c in Calendar.from_ical(data).walk("VEVENT")}
    assert str(feed["team"]["SUMMARY"]) == "Team"
    private = feed["doctor"]
    assert str(private["SUMMARY"]) == "Busy" and "LOCATION" not in private
    assert private.decoded("DTSTART") == utc(2026, 3, 17, 8)
    renewed = org.feed_token(cal, renew=True)
    assert renewed != token
    with pytest.raises(NotFound):
        demo.store.pim_feeds.calendar_for_token(token)
    assert demo.store.pim_feeds.calendar_for_token(renewed)[0] == cal
    with pytest.raises(NotFound):
        demo.store.pim_feeds.calendar_for_token("not a token")
    with demo.store.db.read() as conn:
        stored = conn.execute(text("SELECT token_hash FROM calendar_feeds")).scalars().all()
    assert renewed not in stored and len(stored) == 1
    bob = org_of(demo, "bob")
    demo.store.acl.grant(ALICE, "Calendar", BOB, "lrs")
    with pytest.raises(PermissionDenied):
        bob.feed_token(cal)
    with pytest.raises(InvalidInput):
        org.feed_token(own(org, "contacts").folder_id)


def test_long_events_and_running_series_that_started_long_before_the_range_are_found(demo: Demo) -> None:
    org = org_of(demo)
    cal = own(org, "calendar").folder_id
    org.put(cal, None, event("conf", ";VALUE=DATE:20260301", ";VALUE=DATE:20260320", summary="Expedition"))
    org.put(
        cal,
        None,
        event("old-daily", ":20250101T080000Z", ":20250101T081500Z", "RRULE:FREQ=DAILY", summary="Daily"),
    )
    org.put(
        cal,
        None,
        event("ended", ":20250101T080000Z", ":20250101T081500Z", "RRULE:FREQ=DAILY;UNTIL=20250301T000000Z"),
    )
    org.put(cal, None, event("short", ":20260314T080000Z", ":20260314T090000Z", summary="Before"))
    got = org.occurrences([cal], utc(2026, 3, 16), utc(2026, 3, 17))
    assert [(o.summary, o.starts_at) for o in got] == [
        ("Expedition", utc(2026, 3, 1)),
        ("Daily", utc(2026, 3, 16, 8)),
    ]
