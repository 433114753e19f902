"""The Ajax reader's meeting panel, read-receipt question and "Add sender to contacts" in Chromium on the
whole server (conftest.py: SMTP, processing and web as ``fieldpost serve`` runs them):

* an organizer's invitation, delivered by the processing service, shows in bob's reader with its title,
  place, organizer and the event already in bob's calendar at that hour; Accept puts bob's answer in his
  calendar (the Ajax calendar shows the event) and the REPLY, delivered back, updates the organizer's
  copy, and the organizer's reader shows who answered what;
* a message asking for a read receipt asks once: "Send receipt" delivers the report to the requester,
  "Do not send" sends nothing, and either way the message is not asked about again after a reload;
* "Add sender to contacts" makes one card, and pressing it again on the same sender makes no second."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from mailflow.meetings import copies, sending
from mailflow.meetings.answering import default_calendar, find_copy
from tests.interop.conftest import wait_for
from tests.webmail.ajax.conftest import World
from tests.webmail.ajax.test_browser import sign_in_to_ajax
from tests.webmail.live import forget_the_session, shot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

ROW = ".ax-row"
STATUS = ".ax-status"


def ics(uid: str, organizer: str, attendees: list[str], start: datetime, summary: str) -> bytes:
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", "BEGIN:VEVENT", f"UID:{uid}",
        "DTSTAMP:20261201T090000Z", f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
        f"DTEND:{start + timedelta(hours=1):%Y%m%dT%H%M%SZ}", f"SUMMARY:{summary}", "LOCATION:Room 4",
        *([f"ORGANIZER;CN=Olga:mailto:{organizer}", f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{organizer}"]
          if attendees else []),
        *[f"ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{a}" for a in attendees],
        "END:VEVENT", "END:VCALENDAR", "",
    ]  # fmt: skip
    return "\r\n".join(lines).encode()


def partstat(world: World, address: str, uid: str, who: str) -> str | None:
    store = world.store()
    try:
        found = find_copy(store.for_user(store.accounts.get(address).id).organizer, uid)
        return None if found is None else copies.partstat_of(found.item.data, who)
    finally:
        store.close()


def inbox_holds(world: World, address: str, marker: bytes) -> list[bytes]:
    store = world.store()
    try:
        return [raw for _u, raw, _d, _f in store.mail.iter_raw(address, "INBOX") if marker in raw]
    finally:
        store.close()


def test_an_invitation_is_accepted_in_the_ajax_reader(world: World, page: Page, artifacts: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    organizer, bob = world.account("olga"), world.account("bob")
    start = (datetime.now(UTC) + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    uid = f"{uuid.uuid4().hex}@example.test"
    store = world.store()
    try:
        olga = store.accounts.get(organizer)
        calendar = default_calendar(store.for_user(olga.id).organizer)
        name = (
            store.for_user(olga.id)
            .organizer.put(calendar, None, ics(uid, organizer, [bob], start, "Budget review"))
            .name
        )
        # bob already has something at that hour
        bobs = store.for_user(store.accounts.get(bob).id).organizer
        bobs.put(default_calendar(bobs), None, ics(f"{uuid.uuid4().hex}@x", "", [], start, "Dentist"))
        origin = sending.local_origin("mail.example.test", "test")
        assert sending.send_invitations(store, olga, calendar, name, origin=origin) is not None
    finally:
        store.close()
    wait_for(lambda: partstat(world, bob, uid, bob) == "NEEDS-ACTION", 60, "the invitation filed for bob")

    sign_in_to_ajax(page, world.url, bob)
    page.locator(f"{ROW}:has-text('Budget review')").click()
    panel = page.locator(".ax-reader .ax-meeting")
    expect(panel.locator(".ax-meeting-title")).to_have_text("Budget review")
    expect(panel.locator(".ax-meeting-where")).to_have_text("Room 4")
    expect(panel.locator(".ax-meeting-organizer")).to_have_text("Olga")
    expect(panel.locator(".ax-meeting-attendees")).to_contain_text(f"{bob}: not answered yet")
    expect(panel.locator(".ax-meeting-conflicts")).to_have_text("At the same time in your calendar: Dentist")
    shot(page, artifacts, "ajax-meeting-invitation")

    panel.get_by_role("button", name="Accept").click()
    expect(page.locator(STATUS)).to_have_text("You accepted; the organizer was told.")
    expect(panel.locator(".ax-meeting-answered")).to_have_text("Your answer: accepted")
    assert partstat(world, bob, uid, bob) == "ACCEPTED"
    wait_for(
        lambda: partstat(world, organizer, uid, bob) == "ACCEPTED", 60, "the REPLY in the organizer's copy"
    )

    # the event is in bob's calendar, as the Ajax calendar shows it
    page.locator(".ax-views [data-view=calendar]").click()
    expect(page.locator(".ax-cal-bar h2")).not_to_be_empty()
    page.keyboard.press("m")
    expect(page.locator(".ax-month")).to_be_visible()
    # the month of the page's own today (drawn at once on the key): tomorrow's may be the next one; not
    # datetime.now() here, which may have passed a month's last midnight since the page loaded
    heading, month = page.locator(".ax-cal-bar h2"), f"{start:%B %Y}"
    if heading.inner_text() != month:
        page.keyboard.press("n")
    expect(heading).to_have_text(month)
    expect(page.locator(".ax-calendar .ax-event:has-text('Budget review')")).to_have_count(1)

    # the organizer reads the answer in her own Ajax reader
    forget_the_session(page)
    sign_in_to_ajax(page, world.url, organizer)
    page.locator(f"{ROW}:has-text('Budget review')").click()
    expect(page.locator(".ax-reader .ax-meeting .ax-meeting-reply")).to_have_text(f"{bob} answered: accepted")
    expect(page.locator(".ax-reader .ax-meeting button")).to_have_count(0)
    assert errors == []


def asking(me: str, requester: str, subject: str) -> bytes:
    message = EmailMessage()
    message["From"] = f"Boss <{requester}>"
    message["To"] = me
    message["Subject"] = subject
    message["Disposition-Notification-To"] = requester
    message["Message-ID"] = f"<{uuid.uuid4().hex}@example.test>"
    message.set_content("Please confirm you read this.")
    return message.as_bytes()


def test_a_read_receipt_is_asked_once(world: World, page: Page) -> None:
    me, boss = world.account("reader"), world.account("boss")
    store = world.store()
    try:
        store.mail.deliver(asking(me, boss, "Minutes"), [me])
        store.mail.deliver(asking(me, boss, "Agenda"), [me])
    finally:
        store.close()
    sign_in_to_ajax(page, world.url, me)
    question = page.locator(".ax-reader .ax-receipt")

    page.locator(f"{ROW}:has-text('Minutes')").click()
    expect(question).to_contain_text(f"The sender asks for a read receipt (to {boss}).")
    question.get_by_role("button", name="Send receipt").click()
    expect(page.locator(STATUS)).to_have_text("The read receipt was sent.")
    expect(question).to_have_count(0)
    receipt = wait_for(lambda: inbox_holds(world, boss, b"Read: Minutes"), 60, "the receipt delivered")
    assert b"Disposition: manual-action/MDN-sent-manually; displayed" in receipt[0]

    page.locator(f"{ROW}:has-text('Agenda')").click()
    expect(question).to_be_visible()
    question.get_by_role("button", name="Do not send").click()
    expect(question).to_have_count(0)
    assert "$mdnsent" in world.flags(me, "Minutes") and "$mdnsent" in world.flags(me, "Agenda")

    page.reload()
    for subject in ("Minutes", "Agenda"):
        page.locator(f"{ROW}:has-text('{subject}')").click()
        expect(page.locator(".ax-reader .ax-message h2")).to_have_text(subject)
        expect(page.locator(".ax-reader .ax-message-links")).to_be_visible()  # the body route answered
        expect(question).to_have_count(0)
    assert inbox_holds(world, boss, b"Read: Agenda") == []


def test_add_sender_makes_one_card(world: World, page: Page) -> None:
    me = world.account("cards", ("From a stranger", "Again from the stranger"))
    sign_in_to_ajax(page, world.url, me)
    for subject in ("From a stranger", "Again from the stranger"):
        page.locator(f"{ROW}:has-text('{subject}')").click()
        expect(page.locator(".ax-reader .ax-message h2")).to_have_text(subject)
        page.locator(".ax-reader .ax-add-sender").click()
        expect(page.locator(STATUS)).to_have_text("mallory@outside.test is in your contacts.")
        expect(page.locator(".ax-reader .ax-add-sender")).to_have_text("In your contacts")
    store = world.store()
    try:
        cards = store.for_user(store.accounts.get(me).id).organizer.search_contacts("mallory@outside.test")
    finally:
        store.close()
    assert len(cards) == 1 and b"FN:Mallory" in cards[0].data
