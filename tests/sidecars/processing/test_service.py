"""The processing service as the supervisor runs it: a process that delivers what lands in the queue."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from storage import open_store
from tests.fieldpost.conftest import REPO, cli_env, run_cli

RAW = b"From: alice@example.test\r\nTo: bob@example.test\r\nSubject: via service\r\n\r\nHello.\r\n"


def test_service_delivers_locally_and_relays_then_stops_on_sigterm(tmp_path: Path, dns_server, sink):
    data = tmp_path / "data"
    run_cli(
        "init",
        "--data",
        str(data),
        "--hostname",
        "mail.example.test",
        "--admin-password",
        "adminpass1",
        check=True,
    )
    store = open_store(f"sqlite:///{data / 'db.sqlite3'}", data / "blobs")
    try:
        store.domains.add("example.test")
        store.accounts.add("bob@example.test", None)
        store.settings.set("dns.nameservers", [dns_server.address])
        store.settings.set("relay.port", sink.port)
        proc = subprocess.Popen(
            [sys.executable, "-m", "sidecars.processing", "--data", str(data), "--service", "processing"],
            cwd=REPO,
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            store.queue.enqueue(RAW, "alice@example.test", ["bob@example.test", "carol@far.test"])
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and (store.stats()["queued"] or not sink.envelopes):
                time.sleep(0.1)
            assert store.stats()["queued"] == 0
            assert len(list(store.mail.iter_raw("bob@example.test", "INBOX"))) == 1
            assert sink.envelopes[0].recipients == ["carol@far.test"]
            assert sink.envelopes[0].helo == "mail.example.test"
        finally:
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0, out
    finally:
        store.close()
