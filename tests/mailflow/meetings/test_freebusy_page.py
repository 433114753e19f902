"""The free/busy lookup page of WebMail (Standard and Mobile): busy hours of an address that granted
"read free/busy" are shown in the grid; an address that did not says so in its row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.mailflow.meetings.conftest import World, event, login, own_calendar
from webmail import create_app


def test_busy_times_are_shown_only_where_granted(world: World) -> None:
    store = world.store
    day = (datetime.now(UTC) + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    calendar = own_calendar(store, world.bob)
    store.for_user(world.bob.id).organizer.put(
        calendar, None, event("busy@x", "bob@example.test", ["dave@example.test"], day)
    )
    own_calendar(store, world.dave)
    app = create_app({"TESTING": True, "STORE": store, "SECRET_KEY": "test-secret-key"})
    client = app.test_client()
    login(client, "alice@example.test", "pass-alice")

    page = client.get(f"/mail/calendar/freebusy?who=bob@example.test,dave@example.test&date={day:%Y-%m-%d}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "bob@example.test has not shared free/busy times with you." in html

    store.acl.grant("bob@example.test", "", "alice@example.test", "1")  # read free/busy
    html = client.get(f"/mail/calendar/freebusy?who=bob@example.test&date={day:%Y-%m-%d}").get_data(
        as_text=True
    )
    assert "has not shared" not in html
    assert 'class="busy busy-busy"' in html
    assert f"{day:%Y-%m-%d} 09:00" in html and "Planning" not in html  # times only, never titles

    mobile = client.get(f"/m/calendar/freebusy?who=bob@example.test&date={day:%Y-%m-%d}&days=7")
    assert mobile.status_code == 200 and 'class="busy busy-busy"' in mobile.get_data(as_text=True)


def test_the_calendar_pages_link_to_free_busy(world: World) -> None:
    app = create_app({"TESTING": True, "STORE": world.store, "SECRET_KEY": "test-secret-key"})
    client = app.test_client()
    login(client, "alice@example.test", "pass-alice")
    for calendar, freebusy in (
        ("/mail/calendar", "/mail/calendar/freebusy"),
        ("/m/calendar", "/m/calendar/freebusy"),
    ):
        page = client.get(calendar).get_data(as_text=True)
        assert f'href="{freebusy}' in page
        assert client.get(freebusy).status_code == 200  # the form alone, nothing asked yet
