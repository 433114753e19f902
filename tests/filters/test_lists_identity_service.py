"""Sender lists and identity confirmation end to end: the SMTP and processing services as the supervisor
runs them, settings made with the ``fieldpost settings`` command, mail sent with smtplib, the outside
world's mail server played by the SMTP sink (far.test on 127.0.0.2, found through the test DNS)."""

from __future__ import annotations

import re
import smtplib
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from fieldpost import config as configuration
from storage import open_store
from tests.fieldpost.conftest import run_cli
from tests.support.dnsserver import TEST_ZONE, DnsServer
from tests.support.service import init_demo, running
from tests.support.smtpsink import SmtpSink

pytestmark = pytest.mark.slow

ALICE = "alice@example.test"
STRANGER = "stranger@far.test"
HELD = "Unconfirmed Messages"


def settings(data: Path, *args: str) -> None:
    run_cli("settings", "set", *args, "--data", str(data), check=True)


def wait_until(what: Callable[[], object], timeout: float = 30) -> object:
    """Poll ``what`` until it is truthy; a loose hang guard, not a timing assertion."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = what()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {getattr(what, '__name__', what)}")


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int, SmtpSink]]:
    """One set of services for the module (starting them is the slow part); each test uses its own
    senders and subjects, and the sink's record is emptied before each."""
    data = tmp_path_factory.mktemp("lists-identity") / "data"
    with DnsServer({"test.": TEST_ZONE}) as dns_server, SmtpSink() as sink:
        yield from _started(data, dns_server, sink)


def _started(data: Path, dns_server: DnsServer, sink: SmtpSink) -> Iterator[tuple[Path, int, SmtpSink]]:
    init_demo(data, "mx.example.test")  # example.test with alice, bob, carol and a few INBOX messages
    settings(data, "dns.nameservers", dns_server.address)
    settings(data, "relay.port", str(sink.port))
    settings(data, "identity.enabled", "yes", "--account", ALICE)
    settings(data, "lists.blocked_senders", "pest@far.test", "--account", ALICE)
    settings(data, "lists.server_blacklist", "*@spam.test")
    with (
        running("sidecars.processing", "processing", data),
        running("sidecars.smtp", "smtp", data) as (offset, _),
    ):
        yield data, configuration.LISTENERS["smtp"].port + offset, sink


@pytest.fixture
def world(services: tuple[Path, int, SmtpSink]) -> tuple[Path, int, SmtpSink]:
    services[2].envelopes.clear()
    return services


def send(port: int, sender: str, to: str, subject: str, from_: str | None = None) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = from_ or sender, to, subject
    msg["Message-ID"] = f"<{subject.replace(' ', '-')}@far.test>"
    msg.set_content(f"{subject}\n")
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.send_message(msg, from_addr=sender, to_addrs=[to])


def subjects(data: Path, folder: str) -> list[str]:
    config = configuration.load(data)
    store = open_store(config.database_url, config.blob_dir)
    try:
        found = []
        for _uid, raw, _date, _flags in store.mail.iter_raw(ALICE, folder):
            m = re.search(rb"^Subject: (.*?)\r?$", raw, re.M)
            found.append(m.group(1).decode() if m else "")
        return sorted(found)
    except Exception:  # the folder is made on demand: not there yet
        return []
    finally:
        store.close()


def test_unknown_sender_confirms_by_reply(world) -> None:
    data, port, sink_ = world
    send(port, STRANGER, ALICE, "hello alice")
    assert wait_until(lambda: subjects(data, HELD) == ["hello alice"])
    challenge = wait_until(lambda: [e for e in sink_.envelopes if e.recipients == [STRANGER]])
    (envelope,) = challenge
    code = re.fullmatch(r"confirm\+([0-9a-f]{32})@example\.test", envelope.mail_from).group(1)
    assert b"Auto-Submitted: auto-replied" in envelope.data
    send(port, STRANGER, ALICE, "hello again")  # still unconfirmed: waits, no second challenge
    assert wait_until(lambda: subjects(data, HELD) == ["hello again", "hello alice"])

    send(port, STRANGER, f"confirm+{code}@example.test", "Re: Please confirm")
    assert wait_until(lambda: {"hello again", "hello alice"} <= set(subjects(data, "INBOX")))
    assert subjects(data, HELD) == []
    send(port, STRANGER, ALICE, "third time")
    assert wait_until(lambda: "third time" in subjects(data, "INBOX"))
    assert len([e for e in sink_.envelopes if e.recipients == [STRANGER]]) == 1


def test_an_unknown_code_is_refused_at_rcpt(world) -> None:
    _data, port, _sink = world
    with pytest.raises(smtplib.SMTPRecipientsRefused) as caught:
        send(port, STRANGER, "confirm+" + "ab" * 16 + "@example.test", "guess")
    ((code, _text),) = caught.value.recipients.values()
    assert code == 550


def test_blocked_sender_lands_in_trash(world) -> None:
    data, port, sink_ = world
    send(port, "pest@far.test", ALICE, "buy now")
    assert wait_until(lambda: subjects(data, "Trash") == ["buy now"])
    assert subjects(data, HELD) == [] and "buy now" not in subjects(data, "INBOX")
    assert sink_.envelopes == []  # a blocked sender is not challenged


def test_server_black_list_refuses_with_a_report_to_the_sender(world) -> None:
    data, port, sink_ = world
    send(port, "seller@far.test", ALICE, "deals", from_="Deals <deals@spam.test>")
    report = wait_until(lambda: [e for e in sink_.envelopes if e.recipients == ["seller@far.test"]])
    (envelope,) = report
    assert envelope.mail_from == "" and b"black list" in envelope.data
    assert "deals" not in subjects(data, "INBOX") and subjects(data, HELD) == []
