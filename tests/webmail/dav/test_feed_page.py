"""The calendar link page (Standard and Mobile): the owner shows and renews the secret read-only link;
the link then serves the calendar without a sign-in, and a renewed one stops the old."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.webmail.conftest import AuthActions, Seeded, csrf_token
from tests.webmail.dav.conftest import event


def test_show_and_renew_the_link_then_read_it_without_signing_in(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    organizer = seeded.store.for_user(seeded.alice.id).organizer
    calendar = organizer.create_collection("Team", "calendar", "Team")
    organizer.put(calendar.folder_id, None, event("t1", summary="Sprint review").encode())
    auth.login()
    listing = client.get("/mail/calendar/calendars").get_data(as_text=True)
    assert f"/mail/calendar/{calendar.folder_id}/link" in listing
    page = client.get(f"/mail/calendar/{calendar.folder_id}/link")
    assert page.status_code == 200 and "feed-url" not in page.get_data(as_text=True)
    shown = client.post(
        f"/mail/calendar/{calendar.folder_id}/link", data={"csrf_token": csrf_token(page), "action": "show"}
    )
    text = shown.get_data(as_text=True)
    url = re.search(r'id="feed-url" readonly="readonly" value="([^"]+)"', text)
    assert url and "/dav/feed/" in url.group(1) and url.group(1).endswith(".ics")
    assert 'value="webcal://' in text
    path = url.group(1).split("://", 1)[1].split("/", 1)[1]
    auth.logout()
    feed = client.get("/" + path)
    assert feed.status_code == 200 and "Sprint review" in feed.get_data(as_text=True)
    auth.login()
    page = client.get(f"/m/calendar/{calendar.folder_id}/link")
    assert page.status_code == 200
    renewed = client.post(
        f"/m/calendar/{calendar.folder_id}/link", data={"csrf_token": csrf_token(page), "action": "renew"}
    )
    assert "no longer works" in renewed.get_data(as_text=True)
    assert client.get("/" + path).status_code == 404


def test_only_who_administers_the_calendar_gets_a_link(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    alice = seeded.store.for_user(seeded.alice.id)
    calendar = alice.organizer.create_collection("Team", "calendar", "Team")
    auth.login("bob@example.test", "pass-bob")
    assert client.get(f"/mail/calendar/{calendar.folder_id}/link").status_code == 404
    alice.change_entry(calendar.folder_id, "bob@example.test", "lr")
    page = client.get(f"/mail/calendar/{calendar.folder_id}/link")
    assert page.status_code == 200
    refused = client.post(
        f"/mail/calendar/{calendar.folder_id}/link", data={"csrf_token": csrf_token(page), "action": "show"}
    )
    assert refused.status_code == 403
