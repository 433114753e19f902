"""Bad input to the organizer's JMAP methods: each answer is the RFC's error naming what is wrong (never
an exception, which the envelope turns into serverFail), and expansion of a rule that repeats every
second stays within the account's occurrence limit however long the range."""

from __future__ import annotations

import time
from typing import Any

import pytest

import webmail.jmap.contacts  # noqa: F401  (registers the methods)
import webmail.jmap.notes  # noqa: F401
import webmail.jmap.tasks  # noqa: F401
from tests.webmail.jmap.calendars.conftest import Cal
from webmail.jmap import limits
from webmail.jmap.contacts.state import card_id

START = "2027-01-01T09:00:00"


def _refused(cal: Cal, method: str, body: dict[str, Any]) -> dict[str, Any]:
    done = cal(method, {"create": {"k": body}})
    assert not done["created"], done["created"]
    return dict(done["notCreated"]["k"])


def test_times_beyond_the_stored_years_name_their_property(cal: Cal) -> None:
    for body, prop in (
        ({"start": "9999-12-31T23:59:59", "duration": "P10D"}, "start"),
        ({"start": "0001-01-01T00:00:00", "timeZone": "Europe/Paris"}, "start"),
        ({"start": "8999-12-31T00:00:00", "duration": "P999999W"}, "duration"),
        ({"start": START, "recurrenceRules": [{"frequency": "daily", "until": "9999-12-31T23:59:59"}]},
         "recurrenceRules"),
        ({"start": START, "recurrenceRules": [{"frequency": "daily"}],
          "recurrenceOverrides": {"9999-12-31T09:00:00": {"title": "x"}}}, "recurrenceOverrides"),
    ):  # fmt: skip
        error = _refused(cal, "CalendarEvent/set", body)
        assert (error["type"], error["properties"]) == ("invalidProperties", [prop]), (body, error)
    for body, prop in (
        ({"title": "t", "due": "9999-12-31T23:59:59", "timeZone": "America/New_York"}, "due"),
        ({"title": "t", "start": "0001-01-01T00:00:00", "timeZone": "Pacific/Kiritimati"}, "start"),
        ({"title": "t", "timeZone": "Nope/Nowhere"}, "timeZone"),
    ):
        error = _refused(cal, "Task/set", body)
        assert (error["type"], error["properties"]) == ("invalidProperties", [prop]), (body, error)


def test_a_task_goes_only_into_a_task_list_or_a_calendar(cal: Cal) -> None:
    book = cal("AddressBook/get", {"ids": None})["list"][0]["id"]
    notes = cal("Notebook/get", {"ids": None})["list"][0]["id"]
    for folder in (book.replace("ab", "l", 1), notes.replace("n", "l", 1)):
        error = _refused(cal, "Task/set", {"title": "t", "taskListId": folder})
        assert (error["type"], error["properties"]) == ("invalidProperties", ["taskListId"])


def test_a_card_id_naming_an_event_destroys_nothing(cal: Cal) -> None:
    made = cal("CalendarEvent/set", {"create": {"k": {"title": "Keep me", "start": START}}})["created"]["k"]
    where = cal.place(made["id"])
    forged = card_id(where.folder_id, where.name)  # a card id of the event's folder and name
    done = cal("ContactCard/set", {"destroy": [forged]})
    assert done["notDestroyed"][forged]["type"] == "notFound"
    assert cal("CalendarEvent/get", {"ids": [made["id"]]})["list"][0]["title"] == "Keep me"


def test_card_filters_of_the_wrong_type_are_invalid_arguments(cal: Cal) -> None:
    book = cal("AddressBook/get", {"ids": None})["list"][0]["id"]
    cal(
        "ContactCard/set",
        {"create": {"k": {"@type": "Card", "name": {"full": "Ann"}, "addressBookIds": {book: True}}}},
    )
    for condition in ({"inAddressBook": 3}, {"hasMember": ["x"]}, {"uid": {}}, {"kind": 1}):
        assert cal.error("ContactCard/query", {"filter": condition}) == "invalidArguments", condition


def test_a_secondly_rule_over_ten_years_stays_bounded(cal: Cal) -> None:
    rule = {"frequency": "secondly"}
    made = cal(
        "CalendarEvent/set", {"create": {"k": {"title": "Tick", "start": START, "recurrenceRules": [rule]}}}
    )
    assert not made["notCreated"], made["notCreated"]
    began = time.monotonic()
    found = cal(
        "CalendarEvent/query",
        {"filter": {"after": "2027-01-01T00:00:00Z", "before": "2036-12-31T00:00:00Z"},
         "expandRecurrences": True, "calculateTotal": True, "limit": 100000},
    )  # fmt: skip
    took = time.monotonic() - began
    assert 0 < found["total"] <= 5000 and len(found["ids"]) <= 5000, found["total"]
    assert took < 10, took
    cal("CalendarEvent/set", {"destroy": [made["created"]["k"]["id"]]})


def test_get_of_all_answers_request_too_large_beyond_max_objects(
    cal: Cal, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = cal(
        "CalendarEvent/set", {"create": {"a": {"start": START}, "b": {"start": "2027-01-02T09:00:00"}}}
    )["created"]
    tasks = cal("Task/set", {"create": {"a": {"title": "a"}, "b": {"title": "b"}}})["created"]
    monkeypatch.setattr(limits, "MAX_OBJECTS_IN_GET", 1)  # instead of making 501 of each
    assert cal.error("CalendarEvent/get", {"ids": None}) == "requestTooLarge"
    assert cal.error("Task/get", {"ids": None}) == "requestTooLarge"
    monkeypatch.undo()
    cal("CalendarEvent/set", {"destroy": [x["id"] for x in made.values()]})
    cal("Task/set", {"destroy": [x["id"] for x in tasks.values()]})
