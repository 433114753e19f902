"""JMAP Calendars through the real endpoint: the Session announces the capability, a request "using" it
reaches the methods, and result references chain a query into a /get as a client does."""

from __future__ import annotations

from tests.webmail.jmap.conftest import CORE, Jmap

CALENDARS = "urn:ietf:params:jmap:calendars"


def test_session_announces_calendars_and_a_request_chains_query_into_get(jmap: Jmap) -> None:
    session = jmap.get("/jmap/session").get_json()
    account = jmap.account_id()
    assert session["primaryAccounts"][CALENDARS] == account
    assert session["accounts"][account]["accountCapabilities"][CALENDARS]["maxCalendarsPerEvent"] == 1
    made = jmap.call(
        [
            [
                "CalendarEvent/set",
                {
                    "accountId": account,
                    "create": {
                        "e": {
                            "title": "Review",
                            "start": "2027-05-03T14:00:00",
                            "timeZone": "Europe/Paris",
                            "duration": "PT30M",
                        }
                    },
                },
                "0",
            ]
        ],
        using=(CORE, CALENDARS),
    )
    event_id = made["methodResponses"][0][1]["created"]["e"]["id"]
    answer = jmap.call(
        [
            [
                "CalendarEvent/query",
                {
                    "accountId": account,
                    "filter": {"after": "2027-05-03T00:00:00Z", "before": "2027-05-04T00:00:00Z"},
                },
                "q",
            ],
            [
                "CalendarEvent/get",
                {
                    "accountId": account,
                    "#ids": {"resultOf": "q", "name": "CalendarEvent/query", "path": "/ids"},
                    "properties": ["title", "utcStart"],
                },
                "g",
            ],
        ],
        using=(CORE, CALENDARS),
    )
    got = answer["methodResponses"][1][1]["list"]
    assert got == [{"id": event_id, "title": "Review", "utcStart": "2027-05-03T12:00:00Z"}]
    refused = jmap.call([["Calendar/get", {"accountId": account}, "0"]], using=(CORE,))
    assert refused["methodResponses"][0][0] == "error"  # not "using" the capability
