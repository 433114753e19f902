"""CalendarEvent/set beyond times and titles: ``alerts`` as VALARMs the reminder mails read, attendees
invited with ``sendSchedulingMessages`` (an iMIP REQUEST queued to each, then a CANCEL), the organizer
alone changing who is invited, an event moved to another calendar, and a viewer refused a calendar's
deletion as ``forbidden`` whatever it holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mailflow.meetings import reminders
from tests.webmail.jmap.calendars.conftest import Cal
from tests.webmail.jmap.calendars.test_event_methods import _calendar, _create, _stored
from webmail.calendar.event_ical import read_alarms
from webmail.jmap.calendars.ids import event_id

START = "2027-09-06T10:00:00"


def _queued_to(cal: Cal, address: str) -> list[bytes]:
    return [cal.store.queue.raw(m.id) for m in cal.store.queue.list(recipient=address)]


def test_an_alert_is_a_valarm_the_reminders_read(cal: Cal) -> None:
    alert = {"@type": "Alert", "trigger": {"@type": "OffsetTrigger", "offset": "-PT15M"}, "action": "display"}
    made = _create(cal, {"title": "Dentist", "start": START, "timeZone": "Europe/Berlin", "duration": "PT1H",
                         "alerts": {"x": alert}})  # fmt: skip
    got = cal("CalendarEvent/get", {"ids": [made], "properties": ["alerts"]})["list"][0]
    assert got["alerts"] == {"1": {**alert, "trigger": {"@type": "OffsetTrigger", "offset": "-PT15M"}}}
    stored = _stored(cal, made)
    alarms = read_alarms(stored.to_ical())
    starts = datetime(2027, 9, 6, 8, 0, tzinfo=UTC)  # 10:00 in Berlin, summer time
    assert alarms.times(None, starts, starts + timedelta(hours=1)) == [starts - timedelta(minutes=15)]
    cal("CalendarEvent/set", {"update": {made: {"alerts": {"1": {
        "@type": "Alert", "trigger": {"@type": "OffsetTrigger", "offset": "-P1D"}, "action": "email"}}}}})  # fmt: skip
    (alarm,) = _stored(cal, made).walk("VALARM")
    assert str(alarm["ACTION"]) == "EMAIL" and alarm.decoded("TRIGGER") == timedelta(days=-1)
    cal("CalendarEvent/set", {"update": {made: {"alerts": None}}})
    assert not _stored(cal, made).walk("VALARM")
    bad = cal("CalendarEvent/set", {"update": {made: {"alerts": {"1": {"trigger": {"offset": "soon"}}}}}})
    assert bad["notUpdated"][made]["properties"] == ["alerts"]
    cal("CalendarEvent/set", {"destroy": [made]})


def test_a_changed_occurrence_keeps_the_series_alarm(cal: Cal) -> None:
    alert = {"@type": "Alert", "trigger": {"@type": "OffsetTrigger", "offset": "-PT10M"}}
    made = _create(cal, {"title": "Standup", "start": START, "timeZone": "Etc/UTC", "duration": "PT15M",
                         "recurrenceRules": [{"@type": "RecurrenceRule", "frequency": "daily", "count": 5}],
                         "alerts": {"1": alert}})  # fmt: skip
    instance = cal("CalendarEvent/query", {"filter": {"after": "2027-09-08T00:00:00Z", "before": "2027-09-09T00:00:00Z"},
                                           "expandRecurrences": True})["ids"]  # fmt: skip
    (one,) = [i for i in instance if i.endswith(made)]
    done = cal(
        "CalendarEvent/set", {"update": {one: {"title": "Standup (moved)", "start": "2027-09-08T11:00:00"}}}
    )
    assert done["updated"] == {one: None}
    overriding = [e for e in _stored(cal, made).walk("VEVENT") if "RECURRENCE-ID" in e]
    assert len(overriding) == 1 and overriding[0].walk("VALARM")
    assert str(overriding[0]["SUMMARY"]) == "Standup (moved)"
    cal("CalendarEvent/set", {"destroy": [made]})


def test_invitations_go_out_and_only_the_organizer_changes_attendees(cal: Cal) -> None:
    before = len(_queued_to(cal, "bob@example.test"))
    bob = {"@type": "Participant", "email": "bob@example.test", "name": "Bob", "roles": {"attendee": True}}
    done = cal("CalendarEvent/set", {"sendSchedulingMessages": True, "create": {"m": {
        "title": "Planning", "start": START, "timeZone": "Etc/UTC", "duration": "PT1H",
        "participants": {"b": bob}}}})  # fmt: skip
    made = done["created"]["m"]["id"]
    head = _stored(cal, made).walk("VEVENT")[0]
    assert str(head["ORGANIZER"]).lower() == "mailto:alice@example.test"
    assert str(head["ATTENDEE"]).lower() == "mailto:bob@example.test"
    assert head["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
    queued = _queued_to(cal, "bob@example.test")
    assert len(queued) == before + 1 and b"METHOD:REQUEST" in queued[-1] and b"Planning" in queued[-1]
    got = cal("CalendarEvent/get", {"ids": [made], "properties": ["participants"]})["list"][0]["participants"]
    assert {p["email"] for p in got.values()} == {"alice@example.test", "bob@example.test"}

    # bob answered (his reply sets PARTSTAT on alice's copy): adding carol keeps bob's answer
    organizer = cal.call_for("alice").user.organizer
    folder = cal.place(made).folder_id
    (item,) = [
        organizer.get(folder, i.name)
        for i in organizer.items(folder)
        if i.name.startswith(done["created"]["m"]["uid"])
    ]
    organizer.put(
        folder,
        item.name,
        item.data.replace(b"PARTSTAT=NEEDS-ACTION", b"PARTSTAT=ACCEPTED"),
        if_match=item.etag,
    )
    carol = {"@type": "Participant", "email": "carol@example.test", "roles": {"attendee": True}}
    cal("CalendarEvent/set", {"update": {made: {"participants/c": carol}}})
    got = cal("CalendarEvent/get", {"ids": [made], "properties": ["participants"]})["list"][0]["participants"]
    answers = {p["email"]: p.get("participationStatus") for p in got.values()}
    assert answers["bob@example.test"] == "accepted" and answers["carol@example.test"] == "needs-action"

    # someone else's meeting (bob organizes, alice is invited): alice may not change the attendees
    text = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:bobs-1\r\nDTSTAMP:20270101T000000Z\r\n"
            b"DTSTART:20270910T100000Z\r\nDTEND:20270910T110000Z\r\nSUMMARY:Bob's\r\nORGANIZER:mailto:bob@example.test\r\n"
            b"ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:alice@example.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")  # fmt: skip
    ref = organizer.put(folder, "bobs-1.ics", text)
    theirs = event_id(ref.key)
    refused = cal("CalendarEvent/set", {"update": {theirs: {"participants/c": carol}}})["notUpdated"][theirs]
    assert refused["type"] == "forbidden"
    assert cal("CalendarEvent/set", {"update": {theirs: {"title": "Bob's (mine)"}}})["updated"] == {
        theirs: None
    }

    # destroying the meeting with sendSchedulingMessages tells the attendees first
    cal("CalendarEvent/set", {"sendSchedulingMessages": True, "destroy": [made, theirs]})
    queued = _queued_to(cal, "bob@example.test")
    assert b"METHOD:CANCEL" in queued[-1]


def test_an_event_moves_to_another_calendar(cal: Cal) -> None:
    work, home = _calendar(cal, "Work"), _calendar(cal, "Calendar")
    made = _create(cal, {"calendarIds": {work: True}, "title": "Move me", "start": START})
    state = cal("CalendarEvent/get", {"ids": []})["state"]
    done = cal("CalendarEvent/set", {"update": {made: {"calendarIds": {home: True}, "title": "Moved"}}})
    assert done["updated"] == {made: None}  # RFC 8620: the id does not change
    got = cal("CalendarEvent/get", {"ids": [made], "properties": ["calendarIds", "title"]})
    assert got["notFound"] == []
    assert got["list"][0]["calendarIds"] == {home: True} and got["list"][0]["title"] == "Moved"
    changes = cal("CalendarEvent/changes", {"sinceState": state})
    assert (changes["created"], changes["updated"], changes["destroyed"]) == ([], [made], [])
    nowhere = cal("CalendarEvent/set", {"update": {made: {"calendarIds": {"k999999": True}}}})
    assert nowhere["notUpdated"][made]["type"] in ("notFound", "forbidden", "invalidProperties")
    cal("CalendarEvent/set", {"destroy": [made]})


def test_a_viewer_deleting_a_calendar_with_events_is_forbidden(cal: Cal) -> None:
    made = cal("Calendar/set", {"create": {"n": {"name": "Shown to bob"}}})["created"]["n"]["id"]
    _create(cal, {"calendarIds": {made: True}, "title": "Inside", "start": START})
    alice = cal.call_for("alice").user
    alice.change_entry(int(made[1:]), "bob@example.test", "lr")
    done = cal("Calendar/set", {"destroy": [made]}, who="bob")
    assert done["notDestroyed"][made]["type"] == "forbidden"  # not calendarHasEvent: he may never delete it
    assert cal("Calendar/set", {"destroy": [made], "onDestroyRemoveEvents": True})["destroyed"] == [made]


def test_the_reminder_sweep_mails_an_alert_set_over_jmap(cal: Cal) -> None:
    """An alert written by CalendarEvent/set is what the processing service's reminder sweep reads: an
    email alert is mailed to the account when due, a display one when the account asks for it."""
    now = datetime.now(UTC).replace(microsecond=0)
    start = (now + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S")
    email = {"@type": "Alert", "trigger": {"@type": "OffsetTrigger", "offset": "-PT15M"}, "action": "email"}
    display = {**email, "action": "display"}
    before = len(_queued_to(cal, "alice@example.test"))
    made = _create(cal, {"title": "Call the plumber", "start": start, "timeZone": "Etc/UTC",
                         "duration": "PT30M", "alerts": {"1": email}})  # fmt: skip
    other = _create(cal, {"title": "Water the plants", "start": start, "timeZone": "Etc/UTC",
                          "duration": "PT30M", "alerts": {"1": display}})  # fmt: skip
    try:
        assert reminders.sweep(cal.store, now) == 1  # the email alert; display ones not yet asked for
        queued = _queued_to(cal, "alice@example.test")
        assert len(queued) == before + 1 and b"Call the plumber" in queued[-1]
        cal.store.settings.set("organizer.reminder_mail", True, account="alice@example.test")
        assert reminders.sweep(cal.store, now) == 1  # now the display one; the email one went already
        assert b"Water the plants" in _queued_to(cal, "alice@example.test")[-1]
    finally:
        cal.store.settings.set("organizer.reminder_mail", False, account="alice@example.test")
        cal("CalendarEvent/set", {"destroy": [made, other]})


def test_an_attendee_answers_and_the_organizer_gets_the_reply(cal: Cal) -> None:
    """bob's copy of alice's meeting: he may change only his own participationStatus; with
    sendSchedulingMessages his copy takes the answer and a REPLY is queued to alice."""
    home = _calendar(cal, "Calendar", who="bob")
    text = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:alices-7\r\n"
            b"DTSTAMP:20270101T000000Z\r\nDTSTART:20270912T100000Z\r\nDTEND:20270912T110000Z\r\nSUMMARY:Budget\r\n"
            b"ORGANIZER:mailto:alice@example.test\r\nATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.test\r\n"
            b"ATTENDEE;PARTSTAT=ACCEPTED:mailto:carol@example.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")  # fmt: skip
    ref = cal.call_for("bob").user.organizer.put(int(home[1:]), "alices-7.ics", text)
    theirs = event_id(ref.key)
    got = cal("CalendarEvent/get", {"ids": [theirs]}, who="bob")["list"][0]["participants"]
    (mine,) = [k for k, p in got.items() if p["email"] == "bob@example.test"]
    (carol,) = [k for k, p in got.items() if p["email"] == "carol@example.test"]
    before = len(_queued_to(cal, "alice@example.test"))

    refused = cal("CalendarEvent/set", {"update": {theirs: {f"participants/{carol}/participationStatus": "declined"}}},
                  who="bob")["notUpdated"][theirs]  # fmt: skip
    assert refused["type"] == "forbidden"  # not his to answer
    wrong = cal("CalendarEvent/set", {"update": {theirs: {f"participants/{mine}/participationStatus": "maybe"}}},
                who="bob")["notUpdated"][theirs]  # fmt: skip
    assert wrong["properties"] == ["participants"]

    done = cal("CalendarEvent/set", {"sendSchedulingMessages": True, "update": {theirs: {
        f"participants/{mine}/participationStatus": "accepted"}}}, who="bob")  # fmt: skip
    assert done["updated"] == {theirs: None}
    got = cal("CalendarEvent/get", {"ids": [theirs]}, who="bob")["list"][0]["participants"]
    assert got[mine]["participationStatus"] == "accepted" and got[carol]["participationStatus"] == "accepted"
    queued = _queued_to(cal, "alice@example.test")
    assert len(queued) == before + 1 and b"METHOD:REPLY" in queued[-1] and b"PARTSTAT=ACCEPTED" in queued[-1]

    quiet = cal("CalendarEvent/set", {"update": {theirs: {f"participants/{mine}/participationStatus": "declined"}}},
                who="bob")  # fmt: skip
    assert quiet["updated"] == {theirs: None} and len(_queued_to(cal, "alice@example.test")) == before + 1
    cal("CalendarEvent/set", {"destroy": [theirs]}, who="bob")
