"""Identity confirmation (filters.identity) through the real processing worker, with the challenges
relayed over SMTP to a sink playing the outside sender's mail server (far.test on 127.0.0.2)."""

from __future__ import annotations

import email
import email.policy
import re

import pytest

from filters import actions as act
from filters import chain
from tests.sidecars.processing.conftest import clock, inbox, store, worker  # noqa: F401
from tests.support.world import dns_server, sink  # noqa: F401

ALICE = "alice@example.test"
BOB = "bob@example.test"
STRANGER = "stranger@far.test"
HELD = "Unconfirmed Messages"


@pytest.fixture
def on(store):  # noqa: F811
    store.settings.set("identity.enabled", True, account=ALICE)
    return store


def message(subject: str, from_: str = STRANGER, to: str = ALICE, extra: str = "") -> bytes:
    return (
        f"From: {from_}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{subject.replace(' ', '.')}@far.test>\r\n"
        f"{extra}\r\nHello.\r\n"
    ).encode()


def run(store, worker, raw: bytes, sender: str = STRANGER, rcpts: tuple[str, ...] = (ALICE,), **origin):  # noqa: F811
    store.queue.enqueue(raw, sender, list(rcpts), origin=origin or None)
    for _ in range(3):  # the message, then what it queued (challenges, reports)
        worker.run_once()


def challenges(sink) -> list:  # noqa: F811
    return [e for e in sink.envelopes if b"X-Fieldpost-Challenge" in e.data]


def code_of(envelope) -> str:
    m = re.fullmatch(r"confirm\+([0-9a-f]{32})@example\.test", envelope.mail_from)
    assert m, envelope.mail_from
    return m.group(1)


def test_unknown_sender_waits_and_gets_exactly_one_challenge(on, worker, sink):  # noqa: F811
    run(on, worker, message("first"))
    run(on, worker, message("second"))
    assert inbox(on, ALICE) == [] and len(inbox(on, ALICE, HELD)) == 2
    (env,) = challenges(sink)
    assert env.recipients == [STRANGER]
    challenge = email.message_from_bytes(env.data, policy=email.policy.default)
    assert challenge["Auto-Submitted"] == "auto-replied"
    assert challenge["In-Reply-To"] == "<first@far.test>"
    assert f"confirm+{code_of(env)}@example.test" in str(challenge["From"])
    assert f"confirm+{code_of(env)}@example.test" in challenge.get_content()


def test_answering_releases_the_waiting_mail_and_later_mail_goes_straight_in(on, worker, sink):  # noqa: F811
    run(on, worker, message("first"))
    run(on, worker, message("second"))
    run(on, worker, message("from someone else", from_="other@far.test"), sender="other@far.test")
    code = code_of(challenges(sink)[0])
    answer = message("Re: Please confirm", to=f"confirm+{code}@example.test")
    run(on, worker, answer, rcpts=(f"confirm+{code}@example.test",))
    subjects = sorted(re.search(rb"Subject: (.*)\r\n", m).group(1) for m in inbox(on, ALICE))
    assert subjects == [b"first", b"second"]
    (still,) = inbox(on, ALICE, HELD)  # the other stranger still waits
    assert b"from someone else" in still
    run(on, worker, message("third"))
    assert len(inbox(on, ALICE)) == 3
    assert len(challenges(sink)) == 2  # one each for the two strangers, none after confirming
    assert [(m.sender, m.last_error) for m in on.queue.list()] == []


def test_bounces_and_auto_replies_do_not_confirm(on, worker, sink):  # noqa: F811
    run(on, worker, message("first"))
    code = code_of(challenges(sink)[0])
    address = f"confirm+{code}@example.test"
    run(
        on,
        worker,
        message("Undeliverable", from_="MAILER-DAEMON@far.test", to=address),
        sender="",
        rcpts=(address,),
    )
    vacation = message("Out of office", to=address, extra="Auto-Submitted: auto-replied\r\n")
    run(on, worker, vacation, rcpts=(address,))
    assert inbox(on, ALICE) == [] and len(inbox(on, ALICE, HELD)) == 1


def test_an_answer_from_someone_else_is_refused_with_a_report(on, worker, sink):  # noqa: F811
    run(on, worker, message("first"))
    code = code_of(challenges(sink)[0])
    address = f"confirm+{code}@example.test"
    run(
        on,
        worker,
        message("me too", from_="intruder@far.test", to=address),
        sender="intruder@far.test",
        rcpts=(address,),
    )
    assert inbox(on, ALICE) == []
    (report,) = [e for e in sink.envelopes if e.recipients == ["intruder@far.test"]]
    assert b"stranger@far.test" in report.data and report.mail_from == ""


def test_an_unknown_code_is_refused_with_a_report(on, worker, sink):  # noqa: F811
    address = "confirm+" + "0" * 32 + "@example.test"
    run(on, worker, message("hi", to=address), rcpts=(address,))
    (report,) = [e for e in sink.envelopes if e.recipients == [STRANGER]]
    assert b"unknown or has expired" in report.data


@pytest.mark.parametrize(
    ("sender", "from_", "origin"),
    [
        ("", "MAILER-DAEMON@far.test", {}),  # a bounce: the user must see it
        (BOB, BOB, {}),  # the account's own domain
        ("carol@other.test", "carol@other.test", {"auth": "carol@other.test"}),  # an authenticated user
    ],
)
def test_senders_let_through_without_asking(on, worker, sink, sender, from_, origin):  # noqa: F811
    run(on, worker, message("hi", from_=from_), sender=sender, **origin)
    assert len(inbox(on, ALICE)) == 1 and challenges(sink) == []


def test_safe_senders_and_the_server_white_list_are_known(on, worker, sink):  # noqa: F811
    on.settings.set("lists.safe_senders", ["*@far.test"], account=ALICE)
    run(on, worker, message("from a safe sender"))
    on.settings.set("lists.server_whitelist", ["partner.test"])
    run(on, worker, message("from a partner", from_="p@partner.test"), sender="p@partner.test")
    assert len(inbox(on, ALICE)) == 2 and challenges(sink) == []


def test_list_and_automatic_mail_waits_without_a_challenge(on, worker, sink):  # noqa: F811
    run(on, worker, message("newsletter", extra="List-Id: <news.far.test>\r\n"))
    run(on, worker, message("offer", extra="Precedence: bulk\r\n"))
    run(on, worker, message("notice", extra="Auto-Submitted: auto-generated\r\n"))
    assert len(inbox(on, ALICE, HELD)) == 3 and challenges(sink) == []


def test_mail_an_earlier_level_filed_elsewhere_is_not_challenged(on, worker, sink, monkeypatch):  # noqa: F811
    def scanner(store_, msg, raw, rcpts, actions):
        return {r: (act.FileInto("Junk"),) for r in rcpts}

    monkeypatch.setattr(chain, "LEVELS", [scanner, *chain.LEVELS])
    run(on, worker, message("cheap pills"))
    assert len(inbox(on, ALICE, "Junk")) == 1 and challenges(sink) == []


def test_accounts_without_identity_confirmation_are_untouched(on, worker, sink):  # noqa: F811
    run(on, worker, message("to both", to=f"{ALICE}, {BOB}"), rcpts=(ALICE, BOB))
    assert len(inbox(on, BOB)) == 1 and len(inbox(on, ALICE, HELD)) == 1
    assert len(challenges(sink)) == 1


def test_sieve_does_not_run_on_held_mail(on, worker, sink):  # noqa: F811
    on.scripts.put("account", ALICE, "v", 'require "vacation"; vacation :days 1 "away";')
    on.scripts.activate("account", ALICE, "v")
    run(on, worker, message("hi"))
    assert [e.recipients for e in sink.envelopes] == [[STRANGER]]  # the challenge, no vacation reply
    assert challenges(sink)


def test_a_local_part_that_cannot_be_an_address_falls_back_to_the_default(on, worker, sink):  # noqa: F811
    on.settings.set("identity.local_part", "ask me")
    run(on, worker, message("first"))
    (env,) = challenges(sink)
    assert code_of(env)  # confirm+CODE@example.test all the same


def test_another_local_part_names_the_answer_address(on, worker, sink):  # noqa: F811
    on.settings.set("identity.local_part", "verify")
    run(on, worker, message("first"))
    (env,) = challenges(sink)
    assert env.mail_from.startswith("verify+")
    run(on, worker, message("Re: confirm", to=env.mail_from), rcpts=(env.mail_from,))
    assert len(inbox(on, ALICE)) == 1


def test_people_the_account_writes_to_are_known(on, worker, sink):  # noqa: F811
    note = message("question", from_=ALICE, to="pen.pal@far.test")
    run(on, worker, note, sender=ALICE, rcpts=("pen.pal@far.test",), auth=ALICE)
    run(on, worker, message("Re: question", from_="pen.pal@far.test"), sender="pen.pal@far.test")
    assert [b"Re: question" in m for m in inbox(on, ALICE)] == [True]
    assert challenges(sink) == []
