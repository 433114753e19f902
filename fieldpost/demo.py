"""Demo content for ``fieldpost init --demo``: domain example.test, alice, bob and carol, some mail, and
organizer items (fieldpost.demo_organizer)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.store import Store

DOMAIN = "example.test"
USERS = ("alice", "bob", "carol")
ACCOUNTS = tuple(f"{user}@{DOMAIN}" for user in USERS)


def _message(sender: str, to: list[str], subject: str, body: str, when: datetime) -> EmailMessage:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain=DOMAIN)
    msg.set_content(body)
    return msg


def messages(now: datetime | None = None) -> list[tuple[bytes, list[str]]]:
    """(raw message, recipients) pairs, oldest first."""
    now = now or datetime.now(UTC)
    alice, bob, carol = ACCOUNTS
    welcome = _message(
        f"Postmaster <postmaster@{DOMAIN}>",
        list(ACCOUNTS),
        "Welcome to Fieldpost",
        "Hello,\n\nyour mailbox is ready. Read it over IMAP or POP3, or in WebMail.\n\nThe postmaster\n",
        now - timedelta(days=3),
    )
    lunch = _message(
        f"Bob <{bob}>",
        [alice, carol],
        "Lunch on Friday?",
        "Hi both,\n\nshall we try the new place near the station on Friday at noon?\n\nBob\n",
        now - timedelta(days=1, hours=2),
    )
    report = _message(
        f"Carol Müller <{carol}>",
        [alice],
        "Quarterly report draft",
        "Alice,\n\nthe draft is attached; comments welcome before Thursday.\n\nCarol\n",
        now - timedelta(hours=5),
    )
    report.add_attachment(
        b"Quarter,Revenue\nQ1,120\nQ2,135\nQ3,150\n",
        maintype="text",
        subtype="csv",
        filename="report.csv",
    )
    return [
        (welcome.as_bytes(), list(ACCOUNTS)),
        (lunch.as_bytes(), [alice, carol]),
        (report.as_bytes(), [alice]),
    ]


def populate(store: Store, password: str) -> None:
    """Create the demo domain, its accounts, deliver the demo mail and fill the organizer."""
    from fieldpost import demo_organizer

    store.domains.add(DOMAIN)
    for address in ACCOUNTS:
        store.accounts.add(address, password)
    for raw, recipients in messages():
        store.mail.deliver(raw, recipients)
    demo_organizer.populate(store)
