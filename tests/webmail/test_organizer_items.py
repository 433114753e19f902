"""Tasks, notes and the journal in WebMail (webmail/task_routes.py, webmail/journal_routes.py) through
Flask's test client, Standard and Mobile: what the user sees on the pages, what is stored (the item's
iCalendar bytes read back through the organizer), bad input coming back with the form, and bob meeting
404s on alice's folders and items."""

from __future__ import annotations

import re

import icalendar
import pytest
from flask.testing import FlaskClient

from tests.webmail.conftest import AuthActions, Seeded, csrf_token
from tests.webmail.test_compose import queued

ALICE = "alice@example.test"


@pytest.fixture
def alice(client: FlaskClient, auth: AuthActions) -> FlaskClient:
    auth.login()
    return client


def folder_of(seeded: Seeded, kind: str) -> int:
    (found,) = [c for c in seeded.store.for_user(seeded.alice.id).organizer.collections(kind) if not c.shared]
    return found.folder_id


def stored(seeded: Seeded, kind: str) -> list[icalendar.Calendar]:
    organizer = seeded.store.for_user(seeded.alice.id).organizer
    folder = folder_of(seeded, kind)
    names = [ref.name for ref in organizer.items(folder)]
    return [icalendar.Calendar.from_ical(i.data) for i in organizer.get_many(folder, names)]


def item_link(page: str, area: str) -> str:
    found = re.search(rf'href="(/(?:mail|m)/{area}/\d+/[^"]+)"', page)
    assert found, f"no {area} item link on the page"
    return found.group(1)


@pytest.mark.parametrize("prefix", ["/mail", "/m"])
def test_a_task_is_created_listed_by_due_date_edited_and_done(
    alice: FlaskClient, seeded: Seeded, prefix: str
) -> None:
    form = alice.get(f"{prefix}/tasks/new")
    token = csrf_token(form)
    for summary, due in (("Write report", "2026-12-10"), ("Call the printer", "2026-12-08T09:30")):
        made = alice.post(
            f"{prefix}/tasks/new",
            data={
                "csrf_token": token,
                "summary": summary,
                "due": due,
                "priority": "2",
                "status": "NEEDS-ACTION",
                "categories": "Work, Office",
                "description": "first line\nsecond line",
            },
        )
        assert made.status_code == 302
    listing = alice.get(f"{prefix}/tasks").get_data(as_text=True)
    assert listing.index("Call the printer") < listing.index("Write report")  # by due date
    assert "due 2026-12-10" in listing

    (todo,) = [c for c in stored(seeded, "tasks") if str(c.walk("VTODO")[0]["SUMMARY"]) == "Write report"]
    task = todo.walk("VTODO")[0]
    assert task["DUE"].dt.isoformat() == "2026-12-10" and int(task["PRIORITY"]) == 2
    assert str(task["DESCRIPTION"]) == "first line\nsecond line"

    link = item_link(listing[listing.index("Write report") - 300 :], "tasks")
    page = alice.get(link).get_data(as_text=True)
    assert 'value="Write report"' in page and "Work, Office" in page
    saved = alice.post(
        link,
        data={
            "csrf_token": token,
            "summary": "Write the report",
            "due": "2026-12-11",
            "percent": "40",
            "status": "IN-PROCESS",
            "assignee": "bob@example.test",
        },
    )
    assert saved.status_code == 302
    edited = [
        c.walk("VTODO")[0] for c in stored(seeded, "tasks") if "report" in str(c.walk("VTODO")[0]["SUMMARY"])
    ]
    assert str(edited[0]["SUMMARY"]) == "Write the report" and int(edited[0]["PERCENT-COMPLETE"]) == 40
    assert str(edited[0]["ATTENDEE"]) == "mailto:bob@example.test"
    assert str(edited[0]["ORGANIZER"]) == f"mailto:{ALICE}"

    done = alice.post(f"{link}/done", data={"csrf_token": token, "done": "1"}, follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "The task is done." in text and "Write the report" not in text  # done tasks are hidden
    assert "Write the report" in alice.get(f"{prefix}/tasks?done=1").get_data(as_text=True)
    (finished,) = [
        c.walk("VTODO")[0]
        for c in stored(seeded, "tasks")
        if str(c.walk("VTODO")[0]["STATUS"]) == "COMPLETED"
    ]
    assert "COMPLETED" in finished and int(finished["PERCENT-COMPLETE"]) == 100

    gone = alice.post(f"{link}/delete", data={"csrf_token": token}, follow_redirects=True)
    assert "The task was deleted." in gone.get_data(as_text=True)
    assert len(stored(seeded, "tasks")) == 1


def test_bad_task_input_comes_back_with_the_form(alice: FlaskClient, seeded: Seeded) -> None:
    token = csrf_token(alice.get("/mail/tasks/new"))
    answer = alice.post(
        "/mail/tasks/new",
        data={
            "csrf_token": token,
            "summary": "",
            "due": "tomorrow",
            "priority": "12",
            "assignee": "bob at x",
        },
    )
    text = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "This field is required." in text and "Not a date and time" not in text
    assert "Not a date: use YYYY-MM-DD." in text and "A whole number from 0 to 9." in text
    assert "Not an e-mail address: bob at x" in text
    assert stored(seeded, "tasks") == []


@pytest.mark.parametrize("prefix", ["/mail", "/m"])
def test_notes_and_journal_entries(alice: FlaskClient, seeded: Seeded, prefix: str) -> None:
    token = csrf_token(alice.get(f"{prefix}/notes/new"))
    alice.post(
        f"{prefix}/notes/new", data={"csrf_token": token, "summary": "Door code", "description": "4711"}
    )
    alice.post(
        f"{prefix}/journal/new", data={"csrf_token": token, "summary": "Kick-off", "day": "2026-11-02"}
    )
    alice.post(f"{prefix}/journal/new", data={"csrf_token": token, "summary": "Review", "day": "2026-12-01"})
    notes = alice.get(f"{prefix}/notes").get_data(as_text=True)
    assert "Door code" in notes and "4711" in notes
    journal = alice.get(f"{prefix}/journal").get_data(as_text=True)
    assert journal.index("Review") < journal.index("Kick-off")  # newest day first
    assert "2026-11-02" in journal

    (note,) = stored(seeded, "notes")
    assert note.walk("VJOURNAL")[0]["DESCRIPTION"] == "4711" and "DTSTART" not in note.walk("VJOURNAL")[0]
    days = sorted(c.walk("VJOURNAL")[0]["DTSTART"].dt.isoformat() for c in stored(seeded, "journal"))
    assert days == ["2026-11-02", "2026-12-01"]

    link = item_link(notes, "notes")
    alice.post(link, data={"csrf_token": token, "summary": "Door code (new)", "description": "0815"})
    assert "0815" in alice.get(f"{prefix}/notes").get_data(as_text=True)
    bad = alice.post(f"{prefix}/journal/new", data={"csrf_token": token, "summary": "No day", "day": ""})
    assert bad.status_code == 400 and "A journal entry needs a date." in bad.get_data(as_text=True)
    alice.post(f"{link}/delete", data={"csrf_token": token})
    assert stored(seeded, "notes") == []


def test_bob_gets_404_on_alices_tasks_and_notes(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    auth.login()
    token = csrf_token(client.get("/mail/tasks/new"))
    client.post("/mail/tasks/new", data={"csrf_token": token, "summary": "Secret plan"})
    client.post("/mail/notes/new", data={"csrf_token": token, "summary": "Secret note"})
    tasks, notes = folder_of(seeded, "tasks"), folder_of(seeded, "notes")
    task_link = item_link(client.get("/mail/tasks").get_data(as_text=True), "tasks")
    note_link = item_link(client.get("/mail/notes").get_data(as_text=True), "notes")
    auth.logout()

    auth.login("bob@example.test", "pass-bob")
    token = csrf_token(client.get("/mail/tasks"))
    assert "Secret plan" not in client.get("/mail/tasks").get_data(as_text=True)
    assert client.get(task_link).status_code == 404 and client.get(note_link).status_code == 404
    assert client.post(f"{task_link}/done", data={"csrf_token": token}).status_code == 404
    assert client.post(f"{note_link}/delete", data={"csrf_token": token}).status_code == 404
    into = client.post("/mail/tasks/new", data={"csrf_token": token, "summary": "x", "folder": str(tasks)})
    assert into.status_code == 404
    assert client.get(f"/mail/organizer/{notes}/export").status_code == 404
    assert len(stored(seeded, "tasks")) == 1 and len(stored(seeded, "notes")) == 1


def test_an_edit_made_meanwhile_is_not_overwritten(alice: FlaskClient, seeded: Seeded) -> None:
    """The form carries the ETag it was made from: a save after another client changed the task answers
    409 and leaves the other change in place."""
    token = csrf_token(alice.get("/mail/tasks/new"))
    alice.post("/mail/tasks/new", data={"csrf_token": token, "summary": "Original"})
    link = item_link(alice.get("/mail/tasks").get_data(as_text=True), "tasks")
    form = alice.get(link).get_data(as_text=True)
    etag = re.search(r'name="etag" value="([^"]+)"', form)
    assert etag
    organizer = seeded.store.for_user(seeded.alice.id).organizer
    folder, name = folder_of(seeded, "tasks"), link.rsplit("/", 1)[1]
    other = organizer.get(folder, name).data.replace(b"SUMMARY:Original", b"SUMMARY:From the phone")
    organizer.put(folder, name, other)
    late = alice.post(link, data={"csrf_token": token, "etag": etag.group(1), "summary": "From the browser"})
    assert late.status_code == 409 and "Someone changed this item" in late.get_data(as_text=True)
    assert b"SUMMARY:From the phone" in organizer.get(folder, name).data


def test_tasks_a_client_keeps_in_a_calendar_are_listed_and_editable(
    alice: FlaskClient, seeded: Seeded
) -> None:
    organizer = seeded.store.for_user(seeded.alice.id).organizer
    calendar = folder_of(seeded, "calendar")
    todo = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//client//EN\r\nBEGIN:VTODO\r\nUID:cal-task\r\n"
        b"DTSTAMP:20261201T000000Z\r\nSUMMARY:Renew the passport\r\nDUE;VALUE=DATE:20270115\r\n"
        b"END:VTODO\r\nEND:VCALENDAR\r\n"
    )
    organizer.put(calendar, "cal-task.ics", todo)
    listing = alice.get("/mail/tasks").get_data(as_text=True)
    assert "Renew the passport" in listing and "due 2027-01-15" in listing
    link = item_link(listing, "tasks")
    assert f"/tasks/{calendar}/" in link
    token = csrf_token(alice.get(link))
    alice.post(f"{link}/done", data={"csrf_token": token, "done": "1"})
    assert b"STATUS:COMPLETED" in organizer.get(calendar, "cal-task.ics").data


def test_assigning_a_task_mails_the_colleague_an_itip_request(alice: FlaskClient, seeded: Seeded) -> None:
    token = csrf_token(alice.get("/mail/tasks/new"))
    made = alice.post(
        "/mail/tasks/new",
        data={
            "csrf_token": token,
            "summary": "Review the budget",
            "due": "2026-12-15",
            "assignee": "bob@example.test",
        },
        follow_redirects=True,
    )
    assert "The assignment was sent to bob@example.test." in made.get_data(as_text=True)
    ((recipients, message),) = queued(seeded)
    assert recipients == ["bob@example.test"]
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    request = icalendar.Calendar.from_ical(part.get_content())
    todo = request.walk("VTODO")[0]
    assert str(request["METHOD"]) == "REQUEST" and str(todo["SUMMARY"]) == "Review the budget"
    assert str(todo["ATTENDEE"]) == "mailto:bob@example.test" and str(todo["ORGANIZER"]) == f"mailto:{ALICE}"

    link = item_link(alice.get("/mail/tasks").get_data(as_text=True), "tasks")
    alice.post(
        link, data={"csrf_token": token, "summary": "Review the budget (v2)", "assignee": "bob@example.test"}
    )
    assert len(queued(seeded)) == 1  # the same colleague: no second mail for an edit


def test_ids_no_folder_can_have_are_404s(alice: FlaskClient) -> None:
    token = csrf_token(alice.get("/mail/tasks"))
    huge = "99999999999999999999"  # past what an SQL integer holds
    for url in (
        f"/mail/folder/{huge}",  # every <int:...> of WebMail is bounded (webmail.BoundedInt)
        f"/m/folder/{huge}/1",
        f"/mail/tasks/{huge}/x.ics",
        "/mail/contacts/0/x.vcf",
        f"/m/notes/{huge}/x",
        f"/mail/organizer/{huge}/export",
    ):
        assert alice.get(url).status_code == 404, url
    assert (
        alice.post("/mail/tasks/new", data={"csrf_token": token, "summary": "x", "folder": huge}).status_code
        == 404
    )
    assert (
        alice.post(
            "/mail/journal/new",
            data={"csrf_token": token, "summary": "x", "day": "2026-01-01", "folder": "x"},
        ).status_code
        == 404
    )
    assert alice.get("/mail/contacts?q=" + "a" * 5000).status_code == 200
