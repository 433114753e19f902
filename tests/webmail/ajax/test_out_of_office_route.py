"""The Ajax settings pane's Out of office route (webmail/ajax/settings_routes.py) through the test client:
it needs the CSRF token, refuses with the Standard form's reason beside the field and saves nothing then,
and it and the Standard page write one Sieve entry with every field, so a save from either interface
keeps the other's internal text and "once in N days" (JMAP VacationResponse, one text, would not)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient

from filters.user_rules import UserFilters
from filters.user_rules.model import OutOfOffice
from tests.webmail.ajax.test_settings_routes import Pane
from tests.webmail.conftest import AuthActions, Seeded, csrf_token

WANTED = {
    "enabled": True,
    "subject": "Away",
    "internal_text": "Ask Bob on extension 12.",
    "external_text": "Back on 21 July.",
    "start": "2030-07-01",
    "end": "2030-07-20",
    "days": 3,
}


@pytest.fixture
def pane(client: FlaskClient, auth: AuthActions) -> Pane:
    assert auth.login(interface="ajax").status_code == 302
    return Pane(client)


def stored(seeded: Seeded) -> OutOfOffice:
    return UserFilters(seeded.store.for_user(seeded.alice.id)).state().data.out_of_office


def test_needs_the_token_and_refuses_beside_the_field(pane: Pane, seeded: Seeded) -> None:
    shown = pane.get("out-of-office")
    assert shown["values"]["enabled"] is False and shown["values"]["days"] == 7
    assert (shown["min_days"], shown["max_days"]) == (1, 45)
    before = stored(seeded)

    assert pane.post("out-of-office", WANTED, csrf=False).status_code == 400
    assert stored(seeded) == before

    backwards = pane.post("out-of-office", {**WANTED, "end": "2030-06-20"})
    assert backwards.status_code == 400
    assert backwards.get_json()["errors"] == {"end": ["the last day is before the first"]}
    too_often = pane.post("out-of-office", {**WANTED, "days": 90})
    assert too_often.status_code == 400 and list(too_often.get_json()["errors"]) == ["days"]
    assert stored(seeded) == before


def test_a_save_from_either_interface_keeps_the_others_fields(pane: Pane, seeded: Seeded) -> None:
    saved = pane.post("out-of-office", WANTED)
    assert saved.status_code == 200, saved.get_data(as_text=True)
    assert saved.get_json()["values"] == {**WANTED}
    entry = stored(seeded)
    assert (entry.internal_text, entry.external_text, entry.days) == (
        WANTED["internal_text"],
        WANTED["external_text"],
        3,
    )
    assert (entry.start, entry.end) == (date(2030, 7, 1), date(2030, 7, 20))

    # the Standard page shows what Ajax saved, and saves a change of its own
    page = pane.client.get("/mail/settings/out-of-office")
    text = page.get_data(as_text=True)
    assert "Ask Bob on extension 12." in text and 'value="3"' in text and 'value="2030-07-01"' in text
    standard: dict[str, Any] = {
        "csrf_token": csrf_token(page),
        "enabled": "y",
        "subject": "Away",
        "internal_text": "Ask Carol now.",
        "external_text": "Back on 21 July.",
        "start": "2030-07-01",
        "end": "2030-07-20",
        "days": "5",
    }
    assert pane.client.post("/mail/settings/out-of-office", data=standard).status_code == 302

    shown = pane.get("out-of-office")["values"]
    assert (shown["internal_text"], shown["external_text"], shown["days"]) == (
        "Ask Carol now.",
        "Back on 21 July.",
        5,
    )
    # an Ajax save of another field sends what it shows: the Standard page's change stays
    again = pane.post("out-of-office", {**shown, "subject": "Out"})
    assert again.status_code == 200
    entry = stored(seeded)
    assert (entry.subject, entry.internal_text, entry.days) == ("Out", "Ask Carol now.", 5)
