"""Shared pieces of the POP3 interop tests: Fieldpost's pop3 and imap services on one fresh demo data
directory, alice's INBOX filled with ``MAILBOX_SIZE`` messages before they start (``fieldpost import
mbox``, so no POP3 or IMAP code fills it), and the IMAP side to check what the POP3 clients left.

The IMAP service runs beside the POP3 one on purpose: what a POP3 client did (\\Seen, deletions) must be
what an IMAP client sees, and an IMAP expunge during a POP3 session must leave both consistent.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from fieldpost import config as configuration
from tests.fieldpost.conftest import run_cli
from tests.interop.conftest import make_demo_data
from tests.interop.imap_clients import Target, _mbox, ids, sample_message, server_state
from tests.support.service import running

MAILBOX_SIZE = 500


@dataclass
class Pop3Target:
    """The POP3 service under test (``pop3_port`` plain with STLS, ``pop3s_port`` implicit TLS) and the
    IMAP service on the same data (``imap``), with the messages alice's INBOX started with."""

    pop3_port: int
    pop3s_port: int
    imap: Target
    messages: list[bytes]
    data: Path

    @property
    def cafile(self) -> str:
        return self.imap.cafile

    @property
    def password(self) -> str:
        return self.imap.password

    @property
    def host(self) -> str:
        return self.imap.host

    def log(self) -> str:
        path = self.data / "logs" / "pop3.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


@pytest.fixture
def pop3_target(tmp_path: Path) -> Iterator[Pop3Target]:
    messages = [sample_message(n, tag="pop") for n in range(MAILBOX_SIZE)]
    with ExitStack() as stack:
        data = make_demo_data(tmp_path / "data")
        mbox = tmp_path / "fill.mbox"
        mbox.write_bytes(_mbox(messages))
        # the import fsyncs every message: minutes on a loaded machine, hence the long hang guard
        run_cli(
            "import",
            "mbox",
            "--to",
            "alice@example.test",
            str(mbox),
            "--data",
            str(data),
            check=True,
            timeout=900,
        )
        imap_offset, _ = stack.enter_context(running("sidecars.imap", "imap", data))
        pop_offset, _ = stack.enter_context(running("sidecars.pop3", "pop3", data))
        imap_log = data / "logs" / "imap.log"
        imap = Target(
            "fieldpost", 1143 + imap_offset, 1993 + imap_offset, str(data / "tls" / "cert.pem"),
            lambda: imap_log.read_text(errors="replace") if imap_log.exists() else "",
        )  # fmt: skip
        imap.initial = ids(server_state(imap))
        ports = configuration.LISTENERS
        yield Pop3Target(
            ports["pop3"].port + pop_offset, ports["pop3s"].port + pop_offset, imap, messages, data
        )
