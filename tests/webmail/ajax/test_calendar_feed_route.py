"""The Ajax Calendars dialog's link route (webmail/ajax/calendar_feed.py) through the test client: "show"
gives the same link as the Standard link page, which serves the calendar's .ics without a sign-in;
"renew" stops the old one; the CSRF check, an unknown action, another user's calendar (404) and one
shared without the Administer right (403)."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.webmail.ajax.test_sharing_route import signed_in
from tests.webmail.conftest import AuthActions, Seeded
from tests.webmail.dav.conftest import event


def _post(client: FlaskClient, token: str, folder: int, action: str) -> tuple[int, dict[str, str]]:
    answer = client.post(
        f"/ajax/calendar/{folder}/link", json={"action": action}, headers={"X-CSRFToken": token}
    )
    return answer.status_code, answer.get_json(silent=True) or {}


def test_show_serves_the_calendar_and_renew_stops_the_old_link(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    organizer = seeded.store.for_user(seeded.alice.id).organizer
    calendar = organizer.create_collection("Team", "calendar", "Team")
    organizer.put(calendar.folder_id, None, event("t1", summary="Sprint review").encode())
    token = signed_in(client)
    refused = client.post(f"/ajax/calendar/{calendar.folder_id}/link", json={"action": "show"})
    assert refused.status_code in (400, 403)  # no CSRF token: nothing made
    assert _post(client, token, calendar.folder_id, "peek")[0] == 400
    status, shown = _post(client, token, calendar.folder_id, "show")
    assert status == 200 and shown["message"] == ""
    assert "/dav/feed/" in shown["url"] and shown["url"].endswith(".ics")
    assert shown["webcal"] == "webcal://" + shown["url"].split("://", 1)[1]
    again = _post(client, token, calendar.folder_id, "show")[1]
    assert again["url"] == shown["url"]  # show does not change the link
    path = "/" + shown["url"].split("://", 1)[1].split("/", 1)[1]
    auth.logout()
    feed = client.get(path)
    assert feed.status_code == 200 and "Sprint review" in feed.get_data(as_text=True)
    token = signed_in(client)
    status, renewed = _post(client, token, calendar.folder_id, "renew")
    assert status == 200 and "no longer works" in renewed["message"] and renewed["url"] != shown["url"]
    assert client.get(path).status_code == 404


def test_another_users_calendar_is_not_found_and_read_only_is_refused(
    client: FlaskClient, seeded: Seeded
) -> None:
    alice = seeded.store.for_user(seeded.alice.id)
    calendar = alice.organizer.create_collection("Team", "calendar", "Team")
    token = signed_in(client, "bob")
    assert _post(client, token, calendar.folder_id, "show")[0] == 404
    alice.change_entry(calendar.folder_id, "bob@example.test", "lr")
    assert _post(client, token, calendar.folder_id, "show")[0] == 403
