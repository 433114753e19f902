"""The issue's "done when" for the scanners, driven as a user would: ``fieldpost serve`` runs the SMTP and
processing services with spamd and clamd turned on through ``fieldpost settings``; swaks sends mail; the
result is looked for where a user would find it.

* GTUBE from an outside sender to the MX lands in alice's Junk with our spam level field.
* EICAR sent by bob (submission, AUTH) is blocked: with ``scan.virus.action reject`` bob gets a report
  naming the virus; with ``discard`` nobody gets anything. alice never sees it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.filters.scanners.daemons import EICAR, GTUBE, SIGNATURE, Daemon
from tests.interop.conftest import (
    DEMO_PASSWORD,
    Server,
    fieldpost,
    make_demo_data,
    queue_ids,
    run_swaks,
    start_supervisor,
    wait_for,
)
from tests.support.dnsserver import TEST_ZONE, DnsServer

pytestmark = pytest.mark.slow

ALICE, BOB = "alice@example.test", "bob@example.test"


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, swaks: str, spamd_daemon: Daemon, clamd_daemon: Daemon
) -> Iterator[Server]:
    data = make_demo_data(tmp_path_factory.mktemp("scanners-e2e") / "data")
    with DnsServer({"test.": TEST_ZONE}) as dns:
        for name, value in [
            ("dns.nameservers", dns.address),
            ("scan.spamd.enabled", "yes"),
            ("scan.spamd.address", spamd_daemon.address),
            ("scan.clamd.enabled", "yes"),
            ("scan.clamd.address", clamd_daemon.address),
            ("queue.retry_first_seconds", "2s"),
        ]:
            fieldpost(data, "settings", "set", name, value)
        running = start_supervisor(data)
        try:
            yield running
        finally:
            assert running.stop() == 0, running.output()


def folder(server: Server, address: str, name: str) -> list[bytes]:
    store = server.store()
    try:
        return [raw for _uid, raw, _date, _flags in store.mail.iter_raw(address, name)]
    finally:
        store.close()


def delivered(server: Server, qid: int) -> bool:
    return qid not in server.queued()


def test_gtube_from_outside_lands_in_junk(swaks: str, server: Server) -> None:
    result = run_swaks(
        swaks, "--server", f"127.0.0.1:{server.port('smtp')}", "--from", "promo@far.test", "--to", ALICE,
        "--header", "Subject: you have won", "--body", GTUBE.decode(),
    )  # fmt: skip
    (qid,) = queue_ids(result.stdout)
    wait_for(lambda: delivered(server, qid), 60, "the processing service to deliver the GTUBE message")
    (junk,) = [raw for raw in folder(server, ALICE, "Junk") if GTUBE in raw]
    assert b"X-Fieldpost-Spam-Level: 10\r\n" in junk
    assert not [raw for raw in folder(server, ALICE, "INBOX") if GTUBE in raw]


@pytest.mark.parametrize("action", ["reject", "discard"])
def test_eicar_is_blocked(swaks: str, server: Server, action: str) -> None:
    server.cli("settings", "set", "scan.virus.action", action)
    subject = f"eicar-{action}"
    result = run_swaks(
        swaks, "--server", f"localhost:{server.port('submission')}",
        "--tls", "--tls-verify", "--tls-ca-path", server.cafile,
        "--auth", "PLAIN", "--auth-user", BOB, "--auth-password", DEMO_PASSWORD,
        "--from", BOB, "--to", ALICE, "--header", f"Subject: {subject}", "--body", EICAR.decode(),
    )  # fmt: skip
    (qid,) = queue_ids(result.stdout)
    wait_for(lambda: delivered(server, qid), 60, "the processing service to finish the EICAR message")
    for name in ("INBOX", "Junk"):
        assert not [raw for raw in folder(server, ALICE, name) if subject.encode() in raw]
    reports = [raw for raw in folder(server, BOB, "INBOX") if subject.encode() in raw]
    if action == "reject":
        (report,) = reports
        assert b"contains a virus" in report and SIGNATURE.encode() in report
    else:
        assert reports == []
