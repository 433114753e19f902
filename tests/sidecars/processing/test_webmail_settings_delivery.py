"""WebMail's settings as incoming mail feels them, through the processing worker: an out-of-office set
with ``UserFilters`` answers a real delivery (internal and external senders get their own text), a rule
from the wizard files the message, and the hourly housekeeping removes expired temporary aliases."""

from __future__ import annotations

import email
import email.policy
from datetime import date, timedelta

from filters.user_rules import Condition, OutOfOffice, Rule, UserFilters
from sidecars.processing.schedule import housekeeping_jobs, run_due
from storage.names import utcnow
from tests.sidecars.processing.conftest import inbox

ALICE = "alice@example.test"


def deliver(store, worker, sender: str, subject: str = "Question") -> None:  # type: ignore[no-untyped-def]
    raw = (
        f"From: {sender}\r\nTo: {ALICE}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{subject.replace(' ', '.')}@{sender.rpartition('@')[2]}>\r\n\r\nHello.\r\n"
    ).encode()
    store.queue.enqueue(raw, sender, [ALICE])
    worker.run_once()


def replies(store, worker) -> list[email.message.EmailMessage]:  # type: ignore[no-untyped-def]
    worker.run_once()
    found = []
    for address in ("bob@example.test",):
        found += [raw for raw in inbox(store, address) if b"Auto-Submitted: auto-replied" in raw]
    found += [store.queue.raw(m.id) for m in store.queue.list() if m.origin.get("vacation_for")]
    return [email.message_from_bytes(raw, policy=email.policy.default) for raw in found]  # type: ignore[misc]


def test_out_of_office_from_the_settings_answers_a_real_delivery(store, worker, sink):  # type: ignore[no-untyped-def]
    alice = store.accounts.get(ALICE)
    filters = UserFilters(store.for_user(alice.id))
    today = utcnow().date()
    state = filters.save_out_of_office(
        OutOfOffice(
            enabled=True,
            subject="Out of the office",
            internal_text="Inside: ring me on 1234.",
            external_text="Outside: back next week.",
            start=today - timedelta(days=1),
            end=today + timedelta(days=1),
        )
    )
    assert state.in_force
    deliver(store, worker, "bob@example.test")
    (inside,) = replies(store, worker)
    assert inside["Subject"] == "Out of the office" and inside["To"] == "bob@example.test"
    assert "ring me on 1234" in inside.get_content()

    deliver(store, worker, "dan@far.test", "Offer")
    worker.run_once()  # the reply is relayed to far.test's mail exchanger (the SMTP sink)
    (sent,) = [e for e in sink.envelopes if e.recipients == ["dan@far.test"]]
    outside = email.message_from_bytes(sent.data, policy=email.policy.default)
    assert sent.mail_from == "" and "back next week" in outside.get_content()  # type: ignore[union-attr]
    assert len(inbox(store, ALICE)) == 2  # the mail itself still arrives


def test_out_of_office_outside_its_dates_is_silent(store, worker):  # type: ignore[no-untyped-def]
    filters = UserFilters(store.for_user(store.accounts.get(ALICE).id))
    filters.save_out_of_office(
        OutOfOffice(True, "Away", "", "Back soon.", start=date(2030, 1, 1), end=date(2030, 1, 2))
    )
    deliver(store, worker, "dan@far.test")
    assert replies(store, worker) == [] and len(inbox(store, ALICE)) == 1


def test_a_wizard_rule_files_the_message(store, worker):  # type: ignore[no-untyped-def]
    store.folders.create(ALICE, "Bob")
    filters = UserFilters(store.for_user(store.accounts.get(ALICE).id))
    filters.save_rules([Rule("bob", (Condition("from", "contains", "bob@"),), "move", "Bob", flag=True)])
    deliver(store, worker, "bob@example.test")
    deliver(store, worker, "dan@far.test")
    assert len(inbox(store, ALICE, "Bob")) == 1 and len(inbox(store, ALICE)) == 1
    ((_uid, _raw, _date, flags),) = list(store.mail.iter_raw(ALICE, "Bob"))
    assert "\\Flagged" in flags


def test_housekeeping_removes_expired_temporary_aliases(store):  # type: ignore[no-untyped-def]
    alice = store.accounts.get(ALICE)
    aliases = store.for_user(alice.id).temporary_aliases
    aliases.create("old", days=1, now=utcnow() - timedelta(days=2))
    aliases.create("fresh", days=1)
    jobs = housekeeping_jobs()
    assert "temporary aliases expiry" in run_due(jobs, store, utcnow())
    assert store.accounts.get("fresh@example.test").id == alice.id
    assert store.accounts.remove_expired_aliases() == 0
