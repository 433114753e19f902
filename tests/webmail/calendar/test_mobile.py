"""The Mobile calendar pages: every view, the event form and the calendars page parse as XML (what
XHTML browsers on small devices need), and an event made from the Mobile form shows in its agenda."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.webmail.calendar.conftest import own_calendar, post_event, weekly_standup
from tests.webmail.conftest import AuthActions, Seeded
from tests.webmail.test_mobile_xhtml import well_formed


def test_mobile_calendar_pages_are_well_formed(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    auth.login(interface="mobile")
    client.get("/m/calendar")
    folder = own_calendar(seeded)
    answer = post_event(client, "/m/calendar/new", weekly_standup(folder, summary="Run & <swim>"))
    assert answer.status_code == 302
    name = seeded.store.for_user(seeded.alice.id).organizer.items(folder)[0].name
    pages = [f"/m/calendar?view={v}&date=2026-12-07" for v in ("day", "week", "month", "agenda")]
    pages += ["/m/calendar/new", "/m/calendar/calendars", "/m/calendar/reminders"]
    pages += [f"/m/calendar/{folder}/{name}?occurrence=20261209T093000Z", f"/m/calendar/{folder}/{name}"]
    for url in pages:
        reply = client.get(url)
        assert reply.status_code == 200, url
        well_formed(reply.get_data(as_text=True))
    agenda = client.get("/m/calendar?view=agenda&date=2026-12-07").get_data(as_text=True)
    assert agenda.count('<span class="cal-summary">Run &amp; &lt;swim&gt;</span>') == 6
    bad = post_event(client, "/m/calendar/new", weekly_standup(folder, summary=""))
    assert bad.status_code == 400
    well_formed(bad.get_data(as_text=True))
