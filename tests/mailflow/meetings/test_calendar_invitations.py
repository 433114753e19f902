"""The calendar pages send the mail: an event saved with attendees in WebMail's calendar goes out as an
invitation (bob's calendar gets it through the processing worker), and deleting it tells him it is off."""

from __future__ import annotations

from mailflow.meetings import copies
from tests.mailflow.meetings.conftest import CSRF, World, copy_of, login, own_calendar, run_queue
from webmail import create_app


def test_saving_an_event_with_attendees_invites_them_and_deleting_cancels(world: World) -> None:
    store = world.store
    folder = own_calendar(store, world.alice)
    app = create_app({"TESTING": True, "STORE": store, "SECRET_KEY": "test-secret-key"})
    client = app.test_client()
    login(client, "alice@example.test", "pass-alice")
    form = client.get("/mail/calendar/new").get_data(as_text=True)
    token = CSRF.search(form)
    assert token
    fields = {
        "csrf_token": token.group(1),
        "folder": str(folder),
        "summary": "Budget review",
        "start_date": "2027-03-03",
        "start_time": "10:00",
        "end_time": "11:00",
        "timezone": "UTC",
        "repeat": "none",
        "attendees": "bob@example.test",
    }
    saved = client.post("/mail/calendar/new", data=fields, follow_redirects=True)
    assert "The invitation went to 1 attendee." in saved.get_data(as_text=True)
    run_queue(world)
    ((name, uid),) = [
        (i.name, i.item_uid)
        for i in store.for_user(world.alice.id).organizer.get_many(
            folder, [r.name for r in store.for_user(world.alice.id).organizer.items(folder)]
        )
    ]
    bobs = copy_of(store, world.bob, uid)
    assert bobs is not None and copies.partstat_of(bobs, "bob@example.test") == "NEEDS-ACTION"

    page = client.get(f"/mail/calendar/{folder}/{name}").get_data(as_text=True)
    token = CSRF.search(page)
    assert token
    client.post(f"/mail/calendar/{folder}/{name}/delete", data={"csrf_token": token.group(1), "scope": "all"})
    assert store.for_user(world.alice.id).organizer.items(folder) == []
    run_queue(world)
    bobs = copy_of(store, world.bob, uid)
    assert bobs is not None and b"STATUS:CANCELLED" in bobs
