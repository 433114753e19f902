"""The Ajax organizer import's JSON route (webmail/ajax/transfer.py) through the test client: it needs the
page's CSRF token, reports the items refused by position and reason as the Standard import page does
(the same function), refuses a wrong file as a whole with the reason and stores nothing then, and bob
cannot import into alice's calendar; export is the Standard download the shell's config points at."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.webmail.conftest import AuthActions, Seeded

CONFIG = re.compile(r'<script type="application/json" id="fp-config">(.*?)</script>', re.S)
EVENT = (
    "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261201T100000Z\r\nDTSTART:20261208T{hour}0000Z\r\n"
    "DTEND:20261208T{hour}3000Z\r\nSUMMARY:{title}\r\nEND:VEVENT\r\n"
)
BROKEN = "BEGIN:VEVENT\r\nUID:bad-2\r\nDTSTAMP:20261201T100000Z\r\nSUMMARY:No start\r\nEND:VEVENT\r\n"
ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
    + EVENT.format(uid="good-1", hour="10", title="Imported one")
    + BROKEN
    + EVENT.format(uid="good-3", hour="14", title="Imported three")
    + "END:VCALENDAR\r\n"
)
VCF = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:a1\r\nFN:Anna Alpha\r\nN:Alpha;Anna;;;\r\nEND:VCARD\r\n"


def config(client: FlaskClient) -> dict[str, Any]:
    found = CONFIG.search(client.get("/ajax/").get_data(as_text=True))
    assert found
    answer: dict[str, Any] = json.loads(found.group(1))
    return answer


@pytest.fixture
def alice(client: FlaskClient, auth: AuthActions) -> FlaskClient:
    assert auth.login(interface="ajax").status_code == 302
    return client


def own(seeded: Seeded, user_id: int, kind: str) -> int:
    (found,) = [c for c in seeded.store.for_user(user_id).organizer.collections(kind) if not c.shared]
    return found.folder_id


def items(seeded: Seeded, folder: int) -> list[str]:
    organizer = seeded.store.for_user(seeded.alice.id).organizer
    return sorted(ref.name for ref in organizer.items(folder))


def post(client: FlaskClient, token: str | None, folder: int | str, name: str, text: str) -> TestResponse:
    return client.post(
        "/ajax/organizer/import",
        data={"folder": str(folder), "file": (io.BytesIO(text.encode()), name)},
        content_type="multipart/form-data",
        headers={"X-CSRFToken": token} if token else {},
    )


def test_import_reports_each_refused_item_and_needs_the_token(alice: FlaskClient, seeded: Seeded) -> None:
    token = config(alice)["csrf"]
    calendar = own(seeded, seeded.alice.id, "calendar")
    assert post(alice, None, calendar, "week.ics", ICS).status_code == 400
    assert items(seeded, calendar) == []

    answer = post(alice, token, calendar, "week.ics", ICS)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    report = answer.get_json()
    assert (report["file"], report["added"], report["updated"]) == ("week.ics", 2, 0)
    assert [f["position"] for f in report["failed"]] == [2]
    assert report["failed"][0]["reason"]  # the storage's reason, as the Standard page shows it
    assert len(items(seeded, calendar)) == 2

    again = post(alice, token, calendar, "week.ics", ICS).get_json()
    assert (again["added"], again["updated"]) == (0, 2)  # same UIDs: replaced, as on the Standard page


def test_a_wrong_file_is_refused_with_its_reason_and_nothing_is_stored(
    alice: FlaskClient, seeded: Seeded
) -> None:
    token = config(alice)["csrf"]
    calendar = own(seeded, seeded.alice.id, "calendar")
    wrong = post(alice, token, calendar, "people.vcf", VCF)
    assert wrong.status_code == 400
    assert wrong.get_json() == {"error": "a calendar folder imports an iCalendar (.ics) file"}
    no_folder = post(alice, token, "", "week.ics", ICS)
    assert (
        no_folder.status_code == 400 and no_folder.get_json()["error"] == "Choose the folder to import into."
    )
    no_file = alice.post(
        "/ajax/organizer/import", data={"folder": str(calendar)}, headers={"X-CSRFToken": token}
    )
    assert no_file.status_code == 400 and no_file.get_json()["error"] == "Choose a file to import."
    assert items(seeded, calendar) == []


def test_another_users_folder_is_not_found(alice: FlaskClient, seeded: Seeded) -> None:
    token = config(alice)["csrf"]
    bobs = own(seeded, seeded.bob.id, "calendar")
    answer = post(alice, token, bobs, "week.ics", ICS)
    assert answer.status_code == 404 and "error" in answer.get_json()
    assert seeded.store.for_user(seeded.bob.id).organizer.items(bobs) == []


def test_export_link_is_the_standard_download(alice: FlaskClient, seeded: Seeded) -> None:
    shown = config(alice)
    contacts = own(seeded, seeded.alice.id, "contacts")
    post(alice, shown["csrf"], contacts, "people.vcf", VCF)
    exported = alice.get(f"{shown['organizer_export']}{contacts}/export")
    assert exported.status_code == 200 and exported.mimetype == "text/vcard"
    assert "Anna Alpha" in exported.get_data(as_text=True)
