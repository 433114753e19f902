"""Greylisting, DNS block lists and country filtering as a client sees them: the SMTP service process
(``python -m sidecars.smtp``), smtplib connecting from 127.0.0.x source addresses, a DNS server on
127.0.0.1 serving the block list, and the country table loaded with ``fieldpost filters countries``."""

from __future__ import annotations

import smtplib
import ssl
import subprocess
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from fieldpost import config as configuration
from storage import open_store
from tests.fieldpost.conftest import REPO, run_cli
from tests.filters.checks.world import ZONES
from tests.support.dnsserver import DnsServer
from tests.support.service import init_demo, running

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (REPO / "sidecars" / "smtp" / "checks.py").exists(),
        reason="SMTP receiving does not run the checks yet",
    ),
]

#: every setting a test here may change; each test starts from these
BASELINE: dict[str, Any] = {
    "greylist.enabled": False,
    "greylist.delay_seconds": 2,
    "greylist.auto_whitelist_passes": 0,
    "dnsbl.enabled": False,
    "dnsbl.zones": ["bl.test"],
    "country.enabled": False,
    "country.blocked": [],
    "spf.enabled": False,  # the senders here are made up; SPF is tested on its own
    "dkim.verify": False,
    "dmarc.enabled": False,
}


class Service:
    def __init__(self, data: Path, offset: int, proc: subprocess.Popen[bytes]) -> None:
        self.data, self.offset, self.proc = data, offset, proc

    @property
    def port(self) -> int:
        return configuration.LISTENERS["smtp"].port + self.offset

    @property
    def cafile(self) -> str:
        return str(self.data / "tls" / "cert.pem")

    def store(self) -> Any:
        config = configuration.load(self.data)
        return open_store(config.database_url, config.blob_dir)

    def configure(self, **changes: Any) -> None:
        """BASELINE with ``changes`` ("greylist__enabled" for "greylist.enabled"); sessions read settings
        at their start, so the next connection sees them."""
        values = {**BASELINE, **{k.replace("__", "."): v for k, v in changes.items()}}
        from storage import settings as registry

        st = self.store()
        try:
            for name, value in values.items():
                if name in registry.REGISTRY:
                    st.settings.set(name, value)
        finally:
            st.close()

    def queued_subjects(self) -> list[tuple[str, bytes]]:
        st = self.store()
        try:
            return [(item.sender, st.queue.raw(item.id)) for item in st.queue.list(limit=1000)]
        finally:
            st.close()

    def connect(self, source: str, host: str = "127.0.0.1") -> smtplib.SMTP:
        smtp = smtplib.SMTP(
            host, self.port, local_hostname="mx.far.test", timeout=15, source_address=(source, 0)
        )
        assert smtp.ehlo()[0] == 250
        return smtp


@pytest.fixture(scope="module")
def dns_server() -> Iterator[DnsServer]:
    with DnsServer(ZONES) as server:
        yield server


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, dns_server: DnsServer) -> Iterator[Service]:
    data = tmp_path_factory.mktemp("checks") / "data"
    init_demo(data, "mx.example.test")
    with running("sidecars.smtp", "smtp", data) as (offset, proc):
        svc = Service(data, offset, proc)
        st = svc.store()
        try:
            st.settings.set("dns.nameservers", [dns_server.address])
        finally:
            st.close()
        yield svc


def message(sender: str, subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "alice@example.test", subject
    msg.set_content(f"{subject}\n")
    return msg.as_bytes()


def attempt(service: Service, source: str, sender: str) -> tuple[int, bytes]:
    """One delivery attempt: the reply to RCPT TO (and the message sent when it is accepted)."""
    with service.connect(source) as smtp:
        assert smtp.mail(sender)[0] == 250
        code, text = smtp.rcpt("alice@example.test")
        if code == 250:
            assert smtp.data(message(sender, f"greylisted from {sender}"))[0] == 250
        return code, text


def test_greylisting_refuses_the_first_attempt_and_accepts_the_retry(service: Service) -> None:
    service.configure(greylist__enabled=True)
    sender = "first-time@far.test"
    assert attempt(service, "127.0.0.20", sender) == (451, b"4.7.1 Temporary rejected by greylisting")
    assert attempt(service, "127.0.0.21", sender) == (
        451,
        b"4.7.1 Temporary rejected by greylisting",
    )  # too early
    time.sleep(2.5)  # greylist.delay_seconds is 2 here
    assert attempt(service, "127.0.0.22", sender)[0] == 250  # same /24 network: the retry passes
    assert attempt(service, "127.0.0.20", sender)[0] == 250  # and stays accepted
    assert [s for s, raw in service.queued_subjects() if s == sender] == [sender, sender]
    # another sender is a new triplet
    assert attempt(service, "127.0.0.20", "someone-else@far.test")[0] == 451


def test_a_listed_client_is_refused_at_mail_from_naming_the_list(service: Service) -> None:
    service.configure(dnsbl__enabled=True)
    with service.connect("127.0.0.2") as smtp:
        code, text = smtp.mail("spammer@far.test")
    assert (code, text) == (
        550,
        b"5.7.1 Client address 127.0.0.2 is listed by bl.test (Listed for sending spam; see https://bl.test/127.0.0.2)",
    )
    with service.connect("127.0.0.3") as smtp:  # not listed
        assert smtp.mail("friend@far.test")[0] == 250


def test_authenticated_and_trusted_clients_are_never_refused_by_a_block_list(service: Service) -> None:
    """A user logging in to submission from a listed address, and a listed host of
    smtp.trusted_networks on the MX, both get their mail through (and are not greylisted)."""
    service.configure(dnsbl__enabled=True, greylist__enabled=True)
    context = ssl.create_default_context(cafile=service.cafile)
    port = configuration.LISTENERS["submissions"].port + service.offset
    with smtplib.SMTP_SSL(
        "localhost", port, context=context, timeout=15, source_address=("127.0.0.2", 0)
    ) as smtp:
        smtp.ehlo()
        smtp.login("bob@example.test", "demopass1")
        assert smtp.mail("bob@example.test")[0] == 250
        assert smtp.rcpt("alice@example.test")[0] == 250
        assert smtp.data(message("bob@example.test", "listed but authenticated"))[0] == 250
    service.configure(dnsbl__enabled=True, greylist__enabled=True, smtp__trusted_networks=["127.0.0.2/32"])
    try:
        assert attempt(service, "127.0.0.2", "relay-host@far.test")[0] == 250
    finally:
        service.configure(smtp__trusted_networks=[])
    subjects = [raw for _, raw in service.queued_subjects()]
    assert any(b"listed but authenticated" in raw for raw in subjects)
    assert any(b"greylisted from relay-host@far.test" in raw for raw in subjects)


def test_a_client_of_a_blocked_country_is_refused(service: Service, tmp_path: Path) -> None:
    table = tmp_path / "countries.csv"
    table.write_text(
        '"ip_from","ip_to","country_code","country_name"\n"2130706440","2130706447","AQ","Antarctica"\n127.0.0.16,127.0.0.31,BV,Bouvet Island\n'
    )
    loaded = run_cli("filters", "countries", "import", str(table), "--data", str(service.data), check=True)
    assert "2 ranges" in loaded.stdout
    service.configure(country__enabled=True, country__blocked=["AQ"])
    with service.connect("127.0.0.9") as smtp:  # 2130706440..47 is 127.0.0.8..15
        assert smtp.mail("someone@far.test") == (
            550,
            b"5.7.1 Mail from 127.0.0.9 (AQ) is not accepted: its country is blocked",
        )
    with service.connect("127.0.0.17") as smtp:
        assert smtp.mail("traveller@far.test")[0] == 250
        assert smtp.rcpt("alice@example.test")[0] == 250
        assert smtp.data(message("traveller@far.test", "from bouvet"))[0] == 250
    raw = next(raw for sender, raw in service.queued_subjects() if sender == "traveller@far.test")
    assert b"\r\nX-Fieldpost-Country: BV\r\n" in raw or raw.startswith(b"X-Fieldpost-Country: BV\r\n")
