"""The calendar pages through the Flask test client, signed in through the real login form, on a real
store: views, creating a recurring event, changing and deleting one occurrence, bad input, calendars
with their rights, reminders, and bob kept out of alice's private calendar."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient

from tests.webmail.calendar.conftest import own_calendar, post_event, weekly_standup
from tests.webmail.conftest import AuthActions, Seeded, csrf_token

WEEK = "/mail/calendar?view=week&date=2026-12-07"


def cells_with(page: str, text: str) -> list[str]:
    """The data-day of every view cell holding ``text``."""
    found = []
    for match in re.finditer(r'<td data-day="([0-9-]+)"[^>]*>(.*?)</td>', page, re.S):
        if text in match.group(2):
            found.append(match.group(1))
    return found


def only_item(seeded: Seeded, folder_id: int) -> str:
    [ref] = seeded.store.for_user(seeded.alice.id).organizer.items(folder_id)
    return ref.name


def test_the_calendar_opens_with_a_calendar_of_ones_own(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    auth.login()
    page = client.get("/mail/calendar")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="new-event"' in text and "Calendar" in text
    own_calendar(seeded)  # made on the first visit
    for view in ("day", "week", "month", "agenda"):
        assert client.get(f"/mail/calendar?view={view}&date=2026-12-07").status_code == 200
    assert client.get("/mail/calendar?view=nonsense&date=not-a-date").status_code == 200


def test_a_weekly_event_shows_on_its_days_and_one_occurrence_moves_and_one_goes(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    auth.login()
    client.get("/mail/calendar")
    folder = own_calendar(seeded)
    made = post_event(client, "/mail/calendar/new", weekly_standup(folder))
    assert made.status_code == 302, made.get_data(as_text=True)
    week = client.get(WEEK).get_data(as_text=True)
    assert cells_with(week, "Standup") == ["2026-12-07", "2026-12-09"]
    month = client.get("/mail/calendar?view=month&date=2026-12-01").get_data(as_text=True)
    assert cells_with(month, "Standup") == [
        "2026-12-07",
        "2026-12-09",
        "2026-12-14",
        "2026-12-16",
        "2026-12-21",
        "2026-12-23",
    ]

    name = only_item(seeded, folder)
    edit = f"/mail/calendar/{folder}/{name}?occurrence=20261209T093000Z"
    form = client.get(edit).get_data(as_text=True)
    assert 'value="2026-12-09"' in form and 'id="scope-this"' in form
    moved = weekly_standup(folder, start_date="2026-12-10", scope="this", summary="Standup moved")
    assert client.post(edit, data={"csrf_token": csrf_token(client.get(edit)), **moved}).status_code == 302
    week = client.get(WEEK).get_data(as_text=True)
    assert cells_with(week, "Standup") == ["2026-12-07", "2026-12-10"]
    assert "Standup moved" in week

    gone = f"/mail/calendar/{folder}/{name}/delete"
    token = csrf_token(client.get(edit))
    answer = client.post(gone, data={"csrf_token": token, "scope": "this", "occurrence": "20261207T093000Z"})
    assert answer.status_code == 302
    week = client.get(WEEK).get_data(as_text=True)
    assert cells_with(week, "Standup") == ["2026-12-10"]
    month = client.get("/mail/calendar?view=month&date=2026-12-01").get_data(as_text=True)
    assert cells_with(month, "Standup") == [
        "2026-12-10",
        "2026-12-14",
        "2026-12-16",
        "2026-12-21",
        "2026-12-23",
    ]
    agenda = client.get("/mail/calendar?view=agenda&date=2026-12-01").get_data(as_text=True)
    assert agenda.count("Standup") >= 5

    series = weekly_standup(folder, scope="all", summary="Sync", repeat="daily", ends="count", count="2")
    series.pop("weekday")
    assert client.post(edit, data={"csrf_token": token, **series}).status_code == 302
    week = client.get(WEEK).get_data(as_text=True)
    assert "Sync" in week  # the series changed; the moved occurrence keeps its own title
    token = csrf_token(client.get(edit))
    assert client.post(gone, data={"csrf_token": token, "scope": "all"}).status_code == 302
    assert seeded.store.for_user(seeded.alice.id).organizer.items(folder) == []


def test_bad_input_shows_the_form_again_with_messages(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    auth.login()
    client.get("/mail/calendar")
    folder = own_calendar(seeded)
    bad = weekly_standup(folder, summary="", start_time="9h", count="0")
    answer = post_event(client, "/mail/calendar/new", bad)
    assert answer.status_code == 400
    text = answer.get_data(as_text=True)
    assert 'id="error-summary"' in text and 'id="error-start_time"' in text and 'id="error-count"' in text
    assert 'value="Room 1"' in text  # what was typed stays
    backwards = weekly_standup(folder, end_time="08:00", repeat="none")
    assert 'id="error-end_time"' in post_event(client, "/mail/calendar/new", backwards).get_data(as_text=True)
    assert (
        client.get(f"/mail/calendar/{folder}/x.ics?occurrence=yesterday").status_code == 404
    )  # no such item
    for query in ("date=9999-12-31&hour=23", "hour=\u00b2&calendar=\u00b9", "date=x&hour=99999999999"):
        assert client.get(f"/mail/calendar/new?{query}").status_code == 200, query
    token = csrf_token(client.get("/mail/calendar/calendars"))
    shown = {"csrf_token": token, "action": "show", "shown": ["\u00b9", "9" * 40]}
    assert client.post("/mail/calendar/calendars", data=shown).status_code == 302
    assert client.get("/mail/calendar?view=month&date=2200-12-31").status_code == 200
    assert client.get("/mail/calendar?view=agenda&date=1900-01-01").status_code == 200
    assert seeded.store.for_user(seeded.alice.id).organizer.items(folder) == []


def test_an_all_day_event_in_the_all_day_row(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    seeded.store.settings.set("user.timezone", "Asia/Tokyo", account="alice@example.test")
    auth.login()
    client.get("/mail/calendar")
    folder = own_calendar(seeded)
    fields = {
        "folder": str(folder),
        "summary": "Holiday",
        "all_day": "1",
        "start_date": "2026-12-08",
        "end_date": "2026-12-09",
    }
    assert post_event(client, "/mail/calendar/new", fields).status_code == 302
    week = client.get(WEEK).get_data(as_text=True)
    row = week.split('class="cal-all-day"', 1)[1].split("</tr>", 1)[0]
    assert cells_with(row + "</tr>", "Holiday") == ["2026-12-08", "2026-12-09"]
    late = {
        "folder": str(folder),
        "summary": "Late",
        "start_date": "2026-12-07",
        "start_time": "23:30",
        "end_time": "23:50",
        "timezone": "UTC",
    }
    assert post_event(client, "/mail/calendar/new", late).status_code == 302
    assert cells_with(client.get(WEEK).get_data(as_text=True), "Late") == ["2026-12-08"]  # 08:30 in Tokyo


def test_bob_cannot_reach_alices_private_calendar(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    auth.login()
    client.get("/mail/calendar")
    folder = own_calendar(seeded)
    post_event(client, "/mail/calendar/new", weekly_standup(folder, summary="Secret-4411"))
    name = only_item(seeded, folder)
    auth.logout()
    auth.login("bob@example.test", "pass-bob")
    assert "Secret-4411" not in client.get(WEEK).get_data(as_text=True)
    assert client.get(f"/mail/calendar/{folder}/{name}").status_code == 404
    token = csrf_token(client.get("/mail/calendar"))
    assert (
        client.post(f"/mail/calendar/{folder}/{name}/delete", data={"csrf_token": token}).status_code == 404
    )
    answer = client.post(
        f"/mail/calendar/{folder}/{name}", data={"csrf_token": token, **weekly_standup(folder)}
    )
    assert answer.status_code == 404
    answer = post_event(client, "/mail/calendar/new", weekly_standup(folder, summary="Planted"))
    assert answer.status_code == 404
    assert len(seeded.store.for_user(seeded.alice.id).organizer.items(folder)) == 1


def test_a_calendar_shared_read_only_is_shown_and_cannot_be_changed(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    auth.login()
    client.get("/mail/calendar")
    folder = own_calendar(seeded)
    post_event(client, "/mail/calendar/new", weekly_standup(folder, summary="Team plan"))
    name = only_item(seeded, folder)
    seeded.store.for_user(seeded.alice.id).change_entry(folder, "bob@example.test", "lrs")
    auth.logout()
    auth.login("bob@example.test", "pass-bob")
    week = client.get(WEEK).get_data(as_text=True)
    assert cells_with(week, "Team plan") == ["2026-12-07", "2026-12-09"]
    listing = client.get("/mail/calendar/calendars").get_data(as_text=True)
    assert "shared by alice@example.test" in listing and "read only" in listing
    page = client.get(f"/mail/calendar/{folder}/{name}?occurrence=20261207T093000Z").get_data(as_text=True)
    assert 'id="read-only"' in page and 'id="save-event"' not in page and 'id="delete-form"' not in page
    token = csrf_token(client.get("/mail/calendar"))
    edit = client.post(
        f"/mail/calendar/{folder}/{name}", data={"csrf_token": token, **weekly_standup(folder)}
    )
    assert edit.status_code == 403
    delete = client.post(f"/mail/calendar/{folder}/{name}/delete", data={"csrf_token": token, "scope": "all"})
    assert delete.status_code == 403
    assert "Team plan" in client.get(WEEK).get_data(as_text=True)


def test_calendars_are_created_and_hidden(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    auth.login()
    client.get("/mail/calendar")
    token = csrf_token(client.get("/mail/calendar/calendars"))
    empty = client.post(
        "/mail/calendar/calendars", data={"csrf_token": token, "action": "create", "name": "  "}
    )
    assert empty.status_code == 400 and 'id="calendar-error"' in empty.get_data(as_text=True)
    made = client.post(
        "/mail/calendar/calendars", data={"csrf_token": token, "action": "create", "name": "Football"}
    )
    assert made.status_code == 302
    listing = client.get("/mail/calendar/calendars").get_data(as_text=True)
    assert "Football" in listing
    calendars = seeded.store.for_user(seeded.alice.id).organizer.collections("calendar")
    football = next(c.folder_id for c in calendars if c.display_name == "Football")
    post_event(client, "/mail/calendar/new", weekly_standup(football, summary="Match"))
    assert "Match" in client.get(WEEK).get_data(as_text=True)
    others = [str(c.folder_id) for c in calendars if c.folder_id != football]
    client.post("/mail/calendar/calendars", data={"csrf_token": token, "action": "show", "shown": others})
    assert "Match" not in client.get(WEEK).get_data(as_text=True)


def test_due_reminders_are_listed(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    auth.login()
    client.get("/mail/calendar")
    folder = own_calendar(seeded)
    soon = datetime.now(UTC) + timedelta(minutes=10)
    fields = {
        "folder": str(folder),
        "summary": "Dentist",
        "start_date": soon.date().isoformat(),
        "start_time": soon.strftime("%H:%M"),
        "end_date": (soon + timedelta(hours=1)).date().isoformat(),
        "end_time": (soon + timedelta(hours=1)).strftime("%H:%M"),
        "timezone": "UTC",
        "reminder": "15",
    }
    assert post_event(client, "/mail/calendar/new", fields).status_code == 302
    later = dict(fields, summary="Haircut", reminder="5")
    assert post_event(client, "/mail/calendar/new", later).status_code == 302
    listed = client.get("/mail/calendar/reminders").get_data(as_text=True).split('id="cal-reminders"')[1]
    assert "Dentist" in listed and "Haircut" not in listed  # its alarm rings 5 minutes before: not yet
    assert "Dentist" in client.get("/mail/calendar").get_data(as_text=True).split('id="cal-reminders"')[1]


def test_a_change_saved_elsewhere_meanwhile_is_not_overwritten(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    auth.login()
    client.get("/mail/calendar")
    folder = own_calendar(seeded)
    post_event(client, "/mail/calendar/new", weekly_standup(folder, repeat="none"))
    name = only_item(seeded, folder)
    page = client.get(f"/mail/calendar/{folder}/{name}")
    etag = re.search(r'name="etag" value="([0-9a-f]+)"', page.get_data(as_text=True))
    assert etag is not None
    organizer = seeded.store.for_user(seeded.alice.id).organizer
    stored = organizer.get(folder, name)
    organizer.put(folder, name, stored.data.replace(b"SUMMARY:Standup", b"SUMMARY:Changed elsewhere"))
    mine = {"csrf_token": csrf_token(page), "etag": etag.group(1), "scope": "all"}
    answer = client.post(
        f"/mail/calendar/{folder}/{name}", data={**mine, **weekly_standup(folder, summary="Mine")}
    )
    assert answer.status_code == 302
    assert "Someone changed this event" in client.get(answer.headers["Location"]).get_data(as_text=True)
    assert client.post(f"/mail/calendar/{folder}/{name}/delete", data=mine).status_code == 302
    assert organizer.get(folder, name).summary == "Changed elsewhere"


def test_the_domains_public_calendar_shows_read_only(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    postmaster = seeded.store.accounts.get("postmaster@example.test")
    mine = seeded.store.for_user(postmaster.id)
    public = mine.organizer.create_collection("Holidays", "calendar", "Holidays", owner="@example.test")
    holiday = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:h1\r\nDTSTAMP:20261201T000000Z\r\n"
        b"DTSTART;VALUE=DATE:20261208\r\nSUMMARY:Founders day\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    made = mine.organizer.put(public.folder_id, None, holiday)
    mine.change_entry(public.folder_id, "anyone", "lr")
    auth.login()
    week = client.get(WEEK).get_data(as_text=True)
    assert cells_with(week, "Founders day") == ["2026-12-08"]
    listing = client.get("/mail/calendar/calendars").get_data(as_text=True)
    assert "Holidays (public)" in listing and "public, of your domain" in listing
    token = csrf_token(client.get("/mail/calendar"))
    fields = {"csrf_token": token, "summary": "Mine now", "start_date": "2026-12-08", "all_day": "1"}
    assert client.post(f"/mail/calendar/{public.folder_id}/{made.name}", data=fields).status_code == 403
    new = {"folder": str(public.folder_id), "summary": "Planted", "start_date": "2026-12-08", "all_day": "1"}
    assert post_event(client, "/mail/calendar/new", new).status_code == 403
    assert [i.name for i in mine.organizer.items(public.folder_id)] == [made.name]
