"""The whole server for the Ajax interface's browser tests over JMAP: ``fieldpost serve`` (SMTP,
processing, web) on a random port offset with the test DNS for the sender checks, one for the package;
each test makes an account of its own (``World.account``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from tests.interop.conftest import Server, fieldpost, make_demo_data, start_supervisor
from tests.support.dnsserver import TEST_ZONE, DnsServer
from tests.webmail.live import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Page


@dataclass
class World:
    server: Server
    url: str

    def store(self) -> Any:
        return self.server.store()

    def account(self, prefix: str, subjects: tuple[str, ...] = ()) -> str:
        """A new account with ``subjects`` delivered to its Inbox (set-up, not under test)."""
        address = f"{prefix}-{uuid.uuid4().hex[:8]}@example.test"
        store = self.store()
        try:
            store.accounts.add(address, PASSWORD)
            for subject in subjects:
                store.mail.deliver(raw(subject, f"The text of {subject}.", address), [address])
        finally:
            store.close()
        return address

    def flags(self, address: str, subject: str) -> set[str]:
        """The flags the store holds for the Inbox message called ``subject``, lower case (IMAP flags and
        JMAP keywords compare without case)."""
        store = self.store()
        try:
            inbox = store.folders.get(address, "INBOX")
            for uid in store.mail.uids(inbox.id):
                if subject.encode() in bytes(store.mail.raw(inbox.id, uid)):
                    return {f.lower() for f in store.mail.flags(inbox.id, [uid])[0].flags}
            raise AssertionError(f"no {subject!r} in {address}'s Inbox")
        finally:
            store.close()

    def count(self, address: str, folder: str) -> int:
        store = self.store()
        try:
            return int(store.folders.get(address, folder).message_count)
        finally:
            store.close()


def raw(subject: str, text: str, to: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Mallory <mallory@outside.test>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@outside.test>"
    message.set_content(text)
    return message.as_bytes()


def quiet_midweek(page: Page, zone: str = "UTC") -> date:
    """Start the page's clock (Playwright's, before the page loads) at noon of a Wednesday 7 to 13 days
    ahead in ``zone`` (the account's time zone), and return that day: the calendar's "today".

    Why: the calendar shows today's week or month, and its new-event form proposes the next full hour.
    On the real clock a test that makes an event "today" and looks for it in this week fails at the
    wrong hour: from 23:00 the form proposes tomorrow 00:00 (the next week on a Sunday), and midnight
    at a week's or month's end moves "today" out of the view between two steps. Noon of a Wednesday is
    far from every one of those edges for as long as a test runs, and lies ahead, as invitations do.
    The clock runs on from there; the server keeps the real one (nothing here compares the two)."""
    today = datetime.now(ZoneInfo(zone)).date()
    wednesday = today + timedelta(days=(2 - today.weekday()) % 7 + 7)
    page.clock.install(time=datetime.combine(wednesday, time(12, 0), ZoneInfo(zone)))
    return wednesday


@pytest.fixture(scope="package")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data = make_demo_data(tmp_path_factory.mktemp("ajax") / "data")
    with DnsServer({"test.": TEST_ZONE}) as dns:
        fieldpost(data, "settings", "set", "dns.nameservers", dns.address)
        server = start_supervisor(data, ("smtp", "processing", "web"))
        try:
            yield World(server, f"http://127.0.0.1:{server.port('webmail')}")
        finally:
            assert server.stop() == 0, server.output()
