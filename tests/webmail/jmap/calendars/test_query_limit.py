"""CalendarEvent/query and Task/query cap the ids of one answer as Email/query does (RFC 8620 5.5: the
server may cap ``limit`` and then says the limit it used), so a long series expanded over years or a big
task list cannot make one answer unbounded; the client pages on with ``position``."""

from __future__ import annotations

import pytest

import webmail.jmap.tasks  # noqa: F401  (registers the methods)
from tests.webmail.jmap.calendars.conftest import Cal
from webmail.jmap import standard_methods as std
from webmail.jmap.mail import email_query

WINDOW = {
    "filter": {"after": "2027-01-01T00:00:00Z", "before": "2030-01-01T00:00:00Z"},
    "expandRecurrences": True,
}


def test_event_query_answers_at_most_the_cap_and_says_so(cal: Cal) -> None:
    assert std.MAX_QUERY_LIMIT == email_query.MAX_LIMIT == 1000
    made = cal("CalendarEvent/set", {"create": {"k": {"title": "Stand-up", "start": "2027-01-01T09:00:00",
                                                      "recurrenceRules": [{"frequency": "daily"}]}}})  # fmt: skip
    assert not made["notCreated"], made["notCreated"]
    try:
        unbounded = cal("CalendarEvent/query", {**WINDOW, "calculateTotal": True})
        assert unbounded["total"] == 1096  # every day of 2027-2029 (2028 a leap year)
        assert len(unbounded["ids"]) == 1000 and unbounded["limit"] == 1000
        too_many = cal("CalendarEvent/query", {**WINDOW, "limit": 5000})
        assert too_many["ids"] == unbounded["ids"] and too_many["limit"] == 1000
        rest = cal("CalendarEvent/query", {**WINDOW, "position": 1000, "limit": 1000})
        assert len(rest["ids"]) == 96 and "limit" not in rest
        assert not set(rest["ids"]) & set(unbounded["ids"])
        few = cal("CalendarEvent/query", {**WINDOW, "limit": 10})
        assert few["ids"] == unbounded["ids"][:10] and "limit" not in few
    finally:
        cal("CalendarEvent/set", {"destroy": [made["created"]["k"]["id"]]})


def test_task_query_answers_at_most_the_cap_and_says_so(cal: Cal, monkeypatch: pytest.MonkeyPatch) -> None:
    made = cal("Task/set", {"create": {k: {"title": k} for k in "abc"}})["created"]
    try:
        every = cal("Task/query", {"calculateTotal": True})
        assert every["total"] >= 3 and every["limit"] == 1000  # no limit asked: the cap is the one used
        monkeypatch.setattr(std, "MAX_QUERY_LIMIT", 2)  # instead of making 1,001 tasks
        capped = cal("Task/query", {"calculateTotal": True})
        assert (
            capped["ids"] == every["ids"][:2] and capped["limit"] == 2 and capped["total"] == every["total"]
        )
        asked = cal("Task/query", {"position": 1, "limit": 5})
        assert asked["ids"] == every["ids"][1:3] and asked["limit"] == 2
        small = cal("Task/query", {"limit": 1})
        assert small["ids"] == every["ids"][:1] and "limit" not in small
    finally:
        cal("Task/set", {"destroy": [t["id"] for t in made.values()]})
