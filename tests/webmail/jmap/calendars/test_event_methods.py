"""CalendarEvent/get, /query, /set and /changes: JSCalendar objects over the organizer's iCalendar
items, recurrences expanded by the organizer, rights decided by storage."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from icalendar import Calendar

from tests.webmail.jmap.calendars.conftest import Cal
from webmail.jmap.calendars.ids import event_id as event_id_of


def _calendar(cal: Cal, name: str = "Work", who: str = "alice") -> str:
    return str(
        next(c["id"] for c in cal("Calendar/get", {"ids": None}, who=who)["list"] if c["name"] == name)
    )


def _create(cal: Cal, body: dict[str, Any], who: str = "alice") -> str:
    done = cal("CalendarEvent/set", {"create": {"k": body}}, who=who)
    assert not done["notCreated"], done["notCreated"]
    return str(done["created"]["k"]["id"])


def _window(cal: Cal, after: str, before: str, expand: bool = True, **extra: Any) -> list[str]:
    args = {"filter": {"after": after, "before": before, **extra}, "expandRecurrences": expand}
    return list(cal("CalendarEvent/query", args)["ids"])


def _stored(cal: Cal, event_id: str) -> Calendar:
    where = cal.place(event_id)
    return Calendar.from_ical(cal.call_for("alice").user.organizer.get(where.folder_id, where.name).data)


def test_a_one_off_event_round_trips(cal: Cal) -> None:
    work = _calendar(cal)
    made = _create(
        cal,
        {
            "calendarIds": {work: True},
            "title": "Dentist",
            "description": "Bring the card",
            "start": "2027-03-02T09:30:00",
            "timeZone": "Europe/Berlin",
            "duration": "PT45M",
            "locations": {"1": {"@type": "Location", "name": "Main St 3"}},
        },
    )
    got = cal("CalendarEvent/get", {"ids": [made]})["list"][0]
    assert got["title"] == "Dentist" and got["description"] == "Bring the card"
    assert (got["start"], got["timeZone"], got["duration"]) == (
        "2027-03-02T09:30:00",
        "Europe/Berlin",
        "PT45M",
    )
    assert (got["utcStart"], got["utcEnd"]) == ("2027-03-02T08:30:00Z", "2027-03-02T09:15:00Z")
    assert got["calendarIds"] == {work: True} and got["recurrenceRules"] is None
    assert got["locations"]["1"]["name"] == "Main St 3"
    event = _stored(cal, made).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Dentist" and event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert _window(cal, "2027-03-02T00:00:00Z", "2027-03-03T00:00:00Z") == [made]
    assert _window(cal, "2027-03-03T00:00:00Z", "2027-03-04T00:00:00Z") == []
    other = _calendar(cal, "Calendar")
    assert _window(cal, "2027-03-02T00:00:00Z", "2027-03-03T00:00:00Z", inCalendars=[other]) == []


def test_a_weekly_series_expands_and_an_instance_can_change_or_go(cal: Cal) -> None:
    made = _create(
        cal,
        {
            "title": "Standup",
            "start": "2027-04-05T10:00:00",  # a Monday
            "timeZone": "Europe/Berlin",
            "duration": "PT15M",
            "recurrenceRules": [{"@type": "RecurrenceRule", "frequency": "weekly", "count": 4}],
        },
    )
    assert made.startswith("v")  # in the default calendar
    month = ("2027-04-01T00:00:00Z", "2027-05-01T00:00:00Z")
    instances = _window(cal, *month)
    assert len(instances) == 4 and all(i.endswith(made) for i in instances)
    assert _window(cal, *month, expand=False) == [made]
    second = cal("CalendarEvent/get", {"ids": [instances[1]]})["list"][0]
    assert second["baseEventId"] == made and second["recurrenceId"] == "2027-04-12T10:00:00"
    assert second["start"] == "2027-04-12T10:00:00" and second["recurrenceRules"] is None
    assert cal("CalendarEvent/get", {"ids": ["o20270413T080000" + made]})["notFound"]  # not an instance
    done = cal(
        "CalendarEvent/set", {"update": {instances[1]: {"title": "Standup (long)", "duration": "PT1H"}}}
    )
    assert done["updated"] == {instances[1]: None}
    series = cal("CalendarEvent/get", {"ids": [made]})["list"][0]
    assert series["recurrenceOverrides"] == {
        "2027-04-12T10:00:00": {"title": "Standup (long)", "duration": "PT1H"}
    }
    assert cal("CalendarEvent/get", {"ids": [instances[1]]})["list"][0]["title"] == "Standup (long)"
    assert cal("CalendarEvent/set", {"destroy": [instances[2]]})["destroyed"] == [instances[2]]
    assert len(_window(cal, *month)) == 3
    stored = _stored(cal, made)
    assert "EXDATE" in stored.walk("VEVENT")[0] and len(stored.walk("VEVENT")) == 2
    cal("CalendarEvent/set", {"update": {made: {"title": "Daily standup"}}})
    assert cal("CalendarEvent/get", {"ids": [instances[0]]})["list"][0]["title"] == "Daily standup"
    assert cal("CalendarEvent/set", {"destroy": [made]})["destroyed"] == [made]
    assert _window(cal, *month) == []


def test_all_day_event_and_daily_until(cal: Cal) -> None:
    made = _create(
        cal,
        {
            "title": "Conference",
            "start": "2027-06-01T00:00:00",
            "showWithoutTime": True,
            "duration": "P1D",
            "recurrenceRules": [
                {"@type": "RecurrenceRule", "frequency": "daily", "until": "2027-06-03T00:00:00"}
            ],
        },
    )
    got = cal(
        "CalendarEvent/get", {"ids": [made], "properties": ["showWithoutTime", "start", "recurrenceRules"]}
    )
    body = got["list"][0]
    assert body["showWithoutTime"] is True and body["start"] == "2027-06-01T00:00:00"
    assert body["recurrenceRules"][0]["until"] == "2027-06-03T00:00:00"
    assert len(_window(cal, "2027-05-25T00:00:00Z", "2027-06-10T00:00:00Z")) == 3
    start = _stored(cal, made).walk("VEVENT")[0].decoded("DTSTART")
    assert isinstance(start, date) and not isinstance(start, datetime)  # DTSTART;VALUE=DATE
    cal("CalendarEvent/set", {"destroy": [made]})


def test_update_keeps_what_jmap_does_not_map(cal: Cal) -> None:
    work = _calendar(cal)
    organizer = cal.call_for("alice").user.organizer
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:kept-1\r\n"
        "DTSTAMP:20270101T000000Z\r\nDTSTART:20270710T120000Z\r\nDTEND:20270710T130000Z\r\nSUMMARY:Lunch\r\n"
        "ORGANIZER;CN=Alice:mailto:alice@example.test\r\nATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:bob@example.test\r\n"
        "X-FIELDPOST-TEST:keep me\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT10M\r\nDESCRIPTION:x\r\n"
        "END:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    ref = organizer.put(int(work[1:]), "kept-1.ics", text.encode())
    made = event_id_of(ref.key)
    got = cal("CalendarEvent/get", {"ids": [made]})["list"][0]
    assert got["timeZone"] == "Etc/UTC" and got["duration"] == "PT1H"
    assert got["participants"]["a1"]["participationStatus"] == "accepted"
    assert got["participants"]["o"]["roles"] == {"owner": True}
    done = cal("CalendarEvent/set", {"update": {made: {"title": "Long lunch", "duration": "PT2H"}}})
    assert done["updated"] == {made: None}
    event = _stored(cal, made).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Long lunch" and str(event["X-FIELDPOST-TEST"]) == "keep me"
    assert event.walk("VALARM") and "ATTENDEE" in event and event.decoded("SEQUENCE") == 1
    refused = cal("CalendarEvent/set", {"update": {made: {"participants/a1/email": "not an address"}}})
    assert refused["notUpdated"][made]["properties"] == ["participants"]
    cal("CalendarEvent/set", {"update": {made: {"participants": None}}})  # the organizer (alice) may
    event = _stored(cal, made).walk("VEVENT")[0]
    assert "ATTENDEE" not in event and "ORGANIZER" not in event and event.walk("VALARM")


def test_bad_input_is_refused_per_object(cal: Cal) -> None:
    done = cal(
        "CalendarEvent/set",
        {
            "create": {
                "a": {"title": "x"},
                "b": {"start": "tomorrow"},
                "c": {"start": "2027-01-01T10:00:00", "timeZone": "Mars/Olympus"},
                "d": {"start": "2027-01-01T10:00:00", "recurrenceRules": [{"frequency": "fortnightly"}]},
                "e": {"start": "2027-01-01T10:00:00", "duration": "1 hour"},
                "f": {"start": "2027-01-01T10:00:00", "calendarIds": {"c999999": True}},
                "g": {"start": "2027-01-01T10:00:00", "virtualLocations": {}},
            },
            "update": {"v1_bm9uZQ": {"title": "y"}},
            "destroy": ["garbage"],
        },
    )
    assert not done["created"]
    wrong = {k: (e["type"], e.get("properties")) for k, e in done["notCreated"].items()}
    assert wrong["a"] == ("invalidProperties", ["start"])
    assert wrong["b"] == ("invalidProperties", ["start"])
    assert wrong["c"] == ("invalidProperties", ["timeZone"])
    assert wrong["d"] == ("invalidProperties", ["recurrenceRules"])
    assert wrong["e"] == ("invalidProperties", ["duration"])
    assert wrong["f"][0] in ("notFound", "forbidden")
    assert wrong["g"] == ("invalidProperties", ["virtualLocations"])
    assert done["notUpdated"]["v1_bm9uZQ"]["type"] == "notFound"
    assert done["notDestroyed"]["garbage"]["type"] == "notFound"
    assert cal.error("CalendarEvent/query", {"filter": {"title": "x"}}) == "unsupportedFilter"
    assert cal.error("CalendarEvent/query", {"expandRecurrences": True}) == "invalidArguments"
    assert cal.error("CalendarEvent/query", {"sort": [{"property": "title"}]}) == "unsupportedSort"


def test_a_read_only_share_reads_but_cannot_write(cal: Cal) -> None:
    work = _calendar(cal)
    made = _create(cal, {"calendarIds": {work: True}, "title": "Shared", "start": "2027-08-01T10:00:00"})
    alice = cal.call_for("alice").user
    alice.change_entry(int(work[1:]), "bob@example.test", "lr")
    try:
        assert cal("CalendarEvent/get", {"ids": [made]}, who="bob")["list"][0]["title"] == "Shared"
        found = cal("CalendarEvent/query", {"filter": {"inCalendars": [work]}}, who="bob")["ids"]
        assert made in found
        done = cal("CalendarEvent/set", {"update": {made: {"title": "Mine"}}, "destroy": [made]}, who="bob")
        assert done["notUpdated"][made]["type"] == "forbidden"
        assert done["notDestroyed"][made]["type"] == "forbidden"
        put = cal(
            "CalendarEvent/set",
            {"create": {"x": {"calendarIds": {work: True}, "start": "2027-08-02T10:00:00"}}},
            who="bob",
        )
        assert put["notCreated"]["x"]["type"] == "forbidden"
    finally:
        alice.delete_entry(int(work[1:]), "bob@example.test")
    assert cal("CalendarEvent/get", {"ids": [made]}, who="bob")["notFound"] == [made]


def test_changes_follow_the_folders_sync(cal: Cal) -> None:
    state = cal("CalendarEvent/get", {"ids": []})["state"]
    made = _create(cal, {"title": "Later", "start": "2027-09-01T10:00:00"})
    changes = cal("CalendarEvent/changes", {"sinceState": state})
    assert made in changes["created"] + changes["updated"] and changes["destroyed"] == []
    state = changes["newState"]
    assert cal("CalendarEvent/changes", {"sinceState": state})["updated"] == []
    cal("CalendarEvent/set", {"destroy": [made]})
    assert cal("CalendarEvent/changes", {"sinceState": state})["destroyed"] == [made]
    assert cal.error("CalendarEvent/changes", {"sinceState": "nope"}) == "cannotCalculateChanges"
    assert cal.error("CalendarEvent/set", {"ifInState": state, "destroy": []}) == "stateMismatch"


def test_query_without_a_range_and_with_one_bound(cal: Cal) -> None:
    work = _calendar(cal, "Calendar", who="bob")
    late = _create(cal, {"title": "Late", "start": "2028-02-01T09:00:00"}, who="bob")  # floating
    early = _create(cal, {"title": "Early", "start": "2028-01-01T09:00:00", "timeZone": "Etc/UTC"}, who="bob")
    everything = cal(
        "CalendarEvent/query", {"filter": {"inCalendars": [work]}, "calculateTotal": True}, who="bob"
    )
    assert everything["ids"] == [early, late] and everything["total"] == 2
    backwards = cal("CalendarEvent/query", {"sort": [{"property": "start", "isAscending": False}]}, who="bob")
    assert backwards["ids"] == [late, early]
    after = cal("CalendarEvent/query", {"filter": {"after": "2028-01-15T00:00:00Z"}}, who="bob")
    assert after["ids"] == [late]
    before = cal("CalendarEvent/query", {"filter": {"before": "2028-01-15T00:00:00Z"}}, who="bob")
    assert before["ids"] == [early]
    got = cal("CalendarEvent/get", {"ids": [late], "properties": ["timeZone", "utcStart"]}, who="bob")[
        "list"
    ][0]
    assert got["timeZone"] is None and got["utcStart"] == "2028-02-01T09:00:00Z"  # floating: read as UTC
    page = cal("CalendarEvent/query", {"position": 1, "limit": 1}, who="bob")
    assert page["ids"] == [late] and page["position"] == 1
