"""Meetings in a real browser (Chromium through Playwright, the web service as the supervisor runs it;
the queue is processed by a processing Worker on the same data directory): the organizer saves an event
with a colleague and a room as attendees in the calendar form; the room accepts by itself; the colleague
opens the invitation in his reader and presses Accept; the organizer opens the answer and reads who
accepted. A second booking of the room at the same time is declined, which its organizer reads too.
Screenshots go to the artifacts directory (tests/webmail/live.py)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from mailflow.meetings import copies
from mailflow.meetings.answering import find_copy
from sidecars.processing.worker import Worker
from tests.webmail.live import PASSWORD, LiveServer, forget_the_session, shot, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from storage.store import Store

DAY = "2027-04-14"


def run_queue(store: Store) -> None:
    worker = Worker(store, hostname="mail.example.test")
    while worker.run_once():
        pass


def book(page: Page, server: LiveServer, summary: str, attendees: str) -> None:
    page.goto(f"{server.url}/mail/calendar/new?date={DAY}")
    page.fill("#summary", summary)
    page.fill("#start_date", DAY)
    page.fill("#start_time", "10:00")
    page.fill("#end_date", DAY)
    page.fill("#end_time", "11:00")
    page.fill("#attendees", attendees)
    page.click("#save-event")
    page.wait_for_load_state()


def open_mail(page: Page, server: LiveServer, address: str, marker: bytes) -> None:
    """Open the newest message of ``address``'s Inbox holding ``marker``, as a click in the list would."""
    store = server.store
    account = store.accounts.get(address)
    inbox = store.for_user(account.id).folder_with_role("inbox").id
    uids = [u for u, raw, _d, _f in store.mail.iter_raw(address, "INBOX") if marker in raw]
    assert uids, f"no message with {marker!r} for {address}"
    page.goto(f"{server.url}/mail/folder/{inbox}/{uids[-1]}")


def test_invite_accept_in_the_reader_and_room_booked_twice(
    live_server: LiveServer, page: Page, artifacts: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    anna, ben, carl, room = (f"{n}-{tag}@example.test" for n in ("anna", "ben", "carl", "room"))
    store = live_server.store
    for address in (anna, ben, carl):
        store.accounts.add(address, PASSWORD)
    store.accounts.add(room, None)
    store.settings.set("organizer.resource_policy", "accept_if_free", account=room)

    sign_in(page, live_server, anna)
    book(page, live_server, "Roadmap", f"{ben}, {room}")
    expect(page.locator("body")).to_contain_text("Invitations went to 2 attendees.")
    run_queue(store)  # ben's invitation delivered, the room answers
    run_queue(store)  # the room's answer reaches anna

    forget_the_session(page)
    sign_in(page, live_server, ben)
    open_mail(page, live_server, ben, b"METHOD:REQUEST")
    expect(page.locator(".meeting-title")).to_have_text("Roadmap")
    shot(page, artifacts, "meeting-invitation")
    page.click(".meeting-accept")
    expect(page.locator("body")).to_contain_text("You accepted")  # the answer's page, not the invitation's
    expect(page.locator(".meeting")).to_contain_text("Your answer: accepted")
    run_queue(store)

    forget_the_session(page)
    sign_in(page, live_server, anna)
    open_mail(page, live_server, anna, f"From: {ben}".encode())
    expect(page.locator(".meeting")).to_contain_text(f"{ben} answered: accepted")
    shot(page, artifacts, "meeting-answer")
    anna_copy = find_copy(store.for_user(store.accounts.get(anna).id).organizer, _uid(store, anna))
    assert anna_copy is not None
    assert copies.partstat_of(anna_copy.item.data, ben) == "ACCEPTED"
    assert copies.partstat_of(anna_copy.item.data, room) == "ACCEPTED"

    forget_the_session(page)
    sign_in(page, live_server, carl)
    book(page, live_server, "Same hour", room)
    run_queue(store)
    run_queue(store)
    open_mail(page, live_server, carl, b"METHOD:REPLY")
    expect(page.locator(".meeting")).to_contain_text(f"{room} answered: declined")


def _uid(store: Store, address: str) -> str:
    organizer = store.for_user(store.accounts.get(address).id).organizer
    (calendar,) = [c.folder_id for c in organizer.collections("calendar") if not c.shared and not c.public][
        :1
    ]
    (item,) = organizer.get_many(calendar, [r.name for r in organizer.items(calendar)])
    return item.item_uid
