"""The SMTP issue's "done when", driven as a user would: ``fieldpost serve`` runs the supervisor, swaks
submits mail as bob over submission with AUTH, and the results are looked for where a user would find
them: alice's INBOX, the remote MX (a sink on 127.0.0.2 found through the test DNS), and, for a dead MX,
``fieldpost queue`` showing retries and finally a non-delivery report in bob's INBOX.

The outside world is set up BEFORE ``serve`` starts, with the ``fieldpost settings`` command:
``dns.nameservers`` points at the test DNS (zone ``test.``: far.test's MX is 127.0.0.2, dead.test's MX
is 127.0.0.3 where nothing listens), ``relay.port`` at the sink's port, and short retries
(``queue.retry_first_seconds``/``queue.retry_max_interval_seconds`` 2 s, ``queue.max_retries`` 10; the
lifetime cannot be set under 60 s, so the retry count is what ends the attempts).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message

import pytest

from tests.interop.conftest import (
    DEMO_PASSWORD,
    HOST,
    Server,
    fieldpost,
    make_demo_data,
    queue_ids,
    run_swaks,
    start_supervisor,
    wait_for,
)
from tests.support.dnsserver import TEST_ZONE, DnsServer
from tests.support.smtpsink import SmtpSink

pytestmark = pytest.mark.slow

ALICE = "alice@example.test"
BOB = "bob@example.test"
RETRY_SECONDS = 2
MAX_RETRIES = 10  # about 20 s of retries: room for the CLI's polls on a loaded machine


@dataclass
class World:
    server: Server
    dns: DnsServer
    sink: SmtpSink


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, swaks: str) -> Iterator[World]:
    data = make_demo_data(tmp_path_factory.mktemp("mailpath") / "data")
    with DnsServer({"test.": TEST_ZONE}) as dns, SmtpSink() as sink:
        for name, value in [
            ("dns.nameservers", dns.address),
            ("relay.port", str(sink.port)),
            ("relay.timeout_seconds", "5s"),
            ("queue.retry_first_seconds", f"{RETRY_SECONDS}s"),
            ("queue.retry_max_interval_seconds", f"{RETRY_SECONDS}s"),
            ("queue.max_retries", str(MAX_RETRIES)),
        ]:
            fieldpost(data, "settings", "set", name, value)
        server = start_supervisor(data)
        try:
            yield World(server, dns, sink)
        finally:
            assert server.stop() == 0, server.output()


def submit_as_bob(swaks: str, world: World, to: str, subject: str) -> int:
    """bob sends over submission (STARTTLS + AUTH PLAIN); returns the queue id the server announced."""
    result = run_swaks(
        swaks,
        "--server", f"localhost:{world.server.port('submission')}",
        "--tls", "--tls-verify", "--tls-ca-path", world.server.cafile,
        "--auth", "PLAIN", "--auth-user", BOB, "--auth-password", DEMO_PASSWORD,
        "--from", BOB, "--to", to, "--header", f"Subject: {subject}",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout
    [qid] = queue_ids(result.stdout)
    return qid


def folder_messages(server: Server, address: str, folder: str = "INBOX") -> list[Message]:
    store = server.store()
    try:
        return [message_from_bytes(raw) for _uid, raw, _date, _flags in store.mail.iter_raw(address, folder)]
    finally:
        store.close()


def inbox_count(server: Server, address: str) -> int:
    store = server.store()
    try:
        return int(store.folders.get(address, "INBOX").message_count)
    finally:
        store.close()


def with_subject(server: Server, address: str, subject: str) -> list[Message]:
    return [m for m in folder_messages(server, address) if subject in str(m["Subject"])]


def test_submission_to_alice_lands_in_her_inbox(swaks: str, world: World) -> None:
    before = inbox_count(world.server, ALICE)
    qid = submit_as_bob(swaks, world, ALICE, "hello alice through the whole path")
    wait_for(lambda: inbox_count(world.server, ALICE) > before, 60, "the message in alice's INBOX")
    [msg] = with_subject(world.server, ALICE, "hello alice through the whole path")
    assert msg["Return-Path"] == f"<{BOB}>"
    assert msg["From"] == BOB
    assert f"by {HOST} (Fieldpost) with ESMTPSA" in " ".join(str(msg["Received"]).split())
    wait_for(lambda: qid not in world.server.queued(), 30, f"queue message {qid} to leave the queue")


def test_mail_to_an_outside_domain_reaches_its_mx(swaks: str, world: World) -> None:
    qid = submit_as_bob(swaks, world, "friend@far.test", "off to far.test")
    envelope = wait_for(
        lambda: next((e for e in world.sink.envelopes if b"off to far.test" in e.data), None),
        60,
        "the message at far.test's MX (the sink on 127.0.0.2)",
    )
    assert envelope.recipients == ["friend@far.test"]
    assert envelope.mail_from == BOB
    assert envelope.helo == HOST
    assert ("far.test.", "MX") in world.dns.queries
    wait_for(lambda: qid not in world.server.queued(), 30, f"queue message {qid} to leave the queue")


def test_dead_mx_retries_then_returns_the_message_to_its_sender(swaks: str, world: World) -> None:
    subject = "to a server that is down"
    qid = submit_as_bob(swaks, world, "someone@dead.test", subject)

    def retried_and_listed() -> str:
        """The message's ``queue list --state send-failure`` line once ``queue show`` has counted two
        failed attempts. Each command is a new process (seconds on a loaded machine) and the worker may
        hold the message (state ``processing``) while the listing is read, so the pair is polled."""
        shown = world.server.cli("queue", "show", str(qid), check=False)
        match = re.search(r"someone@dead\.test\s+send-failure\s+attempts (\d+)", shown.stdout)
        if not match or int(match.group(1)) < 2:
            return ""
        listing = world.server.cli("queue", "list", "--state", "send-failure").stdout
        return next((row for row in listing.splitlines() if row.startswith(f"{qid} ")), "")

    line = wait_for(retried_and_listed, 90, f"queue message {qid} listed after two failed attempts")
    assert "send-failure" in line and "someone@dead.test" in line and "error:" in line, line

    [report] = wait_for(
        lambda: with_subject(world.server, BOB, f"Undeliverable: {subject}"), 60, "the report in bob's INBOX"
    )
    assert report["Return-Path"] == "<>"
    assert f"MAILER-DAEMON@{HOST}" in str(report["From"])
    assert report.get_content_type() == "multipart/report"
    assert report.get_param("report-type") == "delivery-status"
    status = next(p for p in report.walk() if p.get_content_type() == "message/delivery-status")
    text = status.as_string()
    assert "someone@dead.test" in text and "Action: failed" in text
    wait_for(lambda: qid not in world.server.queued(), 30, f"queue message {qid} to leave the queue")
