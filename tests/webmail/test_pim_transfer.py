"""Import and export of organizer folders in WebMail (webmail/pim_transfer_routes.py): a .vcf with one
broken card among good ones is imported with the broken one reported by its position and reason; an
.ics of tasks goes into the tasks folder; exports give the folder back as one file; bad posts are
answered with the form, and bob cannot import into nor export alice's folders."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient

from tests.webmail.conftest import AuthActions, Seeded, csrf_token

GOOD = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\nEMAIL:{mail}\r\nEND:VCARD\r\n"
BROKEN = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:broken-1\r\nN:Nobody;;;;\r\nBDAY:never\r\nthis line has no colon\r\nEND:VCARD\r\n"
TASKS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
    "BEGIN:VTODO\r\nUID:t1\r\nDTSTAMP:20261201T100000Z\r\nSUMMARY:Imported task\r\nDUE;VALUE=DATE:20261224\r\nEND:VTODO\r\n"
    "END:VCALENDAR\r\n"
)


@pytest.fixture
def alice(client: FlaskClient, auth: AuthActions) -> FlaskClient:
    auth.login()
    return client


def own(seeded: Seeded, kind: str) -> int:
    (found,) = [c for c in seeded.store.for_user(seeded.alice.id).organizer.collections(kind) if not c.shared]
    return found.folder_id


def upload(
    client: FlaskClient, token: str, folder: int, name: str, text: str, prefix: str = "/mail"
) -> tuple[int, str]:
    answer = client.post(
        f"{prefix}/organizer/import",
        data={"csrf_token": token, "folder": str(folder), "file": (io.BytesIO(text.encode()), name)},
        content_type="multipart/form-data",
    )
    return answer.status_code, answer.get_data(as_text=True)


@pytest.mark.parametrize("prefix", ["/mail", "/m"])
def test_a_vcf_with_one_broken_card_reports_it_by_position(
    alice: FlaskClient, seeded: Seeded, prefix: str
) -> None:
    token = csrf_token(alice.get(f"{prefix}/organizer/import"))
    contacts = own(seeded, "contacts")
    text = (
        GOOD.format(uid="a1", name="Anna Alpha", mail="anna@a.test")
        + BROKEN
        + GOOD.format(uid="c3", name="Carl Gamma", mail="carl@c.test")
    )
    status, page = upload(alice, token, contacts, "people.vcf", text, prefix)
    assert status == 200
    assert "people.vcf into Contacts: 2 added, 0 updated, 1 refused." in page
    assert "<td>No. 2</td>" in page  # the second card of the file
    listing = alice.get(f"{prefix}/contacts").get_data(as_text=True)
    assert "Anna Alpha" in listing and "Carl Gamma" in listing

    exported = alice.get(f"{prefix}/organizer/{contacts}/export")
    assert exported.status_code == 200 and exported.mimetype == "text/vcard"
    assert "attachment" in exported.headers["Content-Disposition"]
    body = exported.get_data(as_text=True)
    assert body.count("BEGIN:VCARD") == 2 and "anna@a.test" in body and "carl@c.test" in body


def test_tasks_from_an_ics_and_their_export(alice: FlaskClient, seeded: Seeded) -> None:
    token = csrf_token(alice.get("/mail/organizer/import"))
    tasks = own(seeded, "tasks")
    status, page = upload(alice, token, tasks, "todo.ics", TASKS)
    assert status == 200 and "1 added, 0 updated, 0 refused." in page
    assert "Imported task" in alice.get("/mail/tasks").get_data(as_text=True)
    exported = alice.get(f"/mail/organizer/{tasks}/export")
    assert exported.mimetype == "text/calendar" and "SUMMARY:Imported task" in exported.get_data(as_text=True)


def test_bad_imports_are_answered_with_the_form(alice: FlaskClient, seeded: Seeded) -> None:
    token = csrf_token(alice.get("/mail/organizer/import"))
    no_file = alice.post(
        "/mail/organizer/import", data={"csrf_token": token, "folder": str(own(seeded, "tasks"))}
    )
    assert no_file.status_code == 400 and "Choose a file to import." in no_file.get_data(as_text=True)
    no_folder = alice.post("/mail/organizer/import", data={"csrf_token": token, "folder": "x"})
    assert no_folder.status_code == 400 and "Choose the folder to import into." in no_folder.get_data(
        as_text=True
    )
    status, page = upload(alice, token, own(seeded, "contacts"), "junk.vcf", "this is not a card at all")
    assert status in (200, 400) and ("refused" in page or "import-error" in page)
    inbox = seeded.store.folders.get("alice@example.test", "INBOX").id
    assert upload(alice, token, inbox, "x.vcf", GOOD.format(uid="z", name="Z", mail="z@z.test"))[0] == 404


def test_bob_cannot_import_into_or_export_alices_folders(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    contacts = own(seeded, "contacts")
    auth.login("bob@example.test", "pass-bob")
    token = csrf_token(client.get("/mail/organizer/import"))
    status, _page = upload(
        client, token, contacts, "x.vcf", GOOD.format(uid="b", name="Bob's", mail="b@b.test")
    )
    assert status == 404
    assert client.get(f"/mail/organizer/{contacts}/export").status_code == 404
    organizer = seeded.store.for_user(seeded.alice.id).organizer
    assert organizer.items(contacts) == []
