"""DKIM signing end to end: ``fieldpost domain dkim`` makes and keeps a domain's key and prints the record;
with that record in a DNS server on 127.0.0.1, mail an authenticated user sends leaves the processing
service for the test MX sink signed, and dkimpy verifies the signature against that DNS server (asked
directly with dnspython, not through our code)."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import dkim
import dns.message
import dns.query
import dns.rdatatype
import pytest

from fieldpost import config as configuration
from filters import dkim_sign
from filters import dns as fdns
from sidecars.processing.worker import Worker
from storage import open_store
from storage.store import Store
from tests.fieldpost.conftest import run_cli
from tests.support.dnsserver import TEST_ZONE, DnsServer
from tests.support.service import init_demo
from tests.support.smtpsink import SmtpSink

RAW = (
    b"From: Alice <alice@example.test>\r\nTo: x@far.test\r\nSubject: signed on the way out\r\n"
    b"Date: Wed, 25 Nov 2026 09:00:00 +0000\r\nMessage-ID: <out.1@example.test>\r\n\r\nHello far away.\r\n"
)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with the demo domain example.test and a DKIM key made by the CLI."""
    path = tmp_path_factory.mktemp("dkim") / "data"
    init_demo(path, "mx.example.test")
    run_cli("domain", "dkim", "example.test", "generate", "--data", str(path), check=True)
    return path


def cli(data: Path, *args: str) -> tuple[int, str, str]:
    proc = run_cli("domain", "dkim", *args, "--data", str(data))
    return proc.returncode, proc.stdout, proc.stderr


def zone_line(data: Path) -> str:
    code, out, _ = cli(data, "example.test", "show")
    assert code == 0
    (line,) = [ln for ln in out.splitlines() if ln.startswith("fieldpost._domainkey.example.test. IN TXT (")]
    return line


def test_generate_keeps_the_key_sealed_and_private(data: Path) -> None:
    path = data / "tls" / "dkim" / "example.test.fieldpost.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert b"PRIVATE KEY" not in path.read_bytes()  # sealed with the store's secret box


def test_show_prints_the_record_and_refuses_what_is_not_there(data: Path) -> None:
    code, out, _ = cli(data, "example.test", "show")
    assert code == 0 and "v=DKIM1; k=rsa; p=MII" in out
    assert cli(data, "example.test", "generate")[0] == 1  # exists: --force needed
    code, _, err = cli(data, "nowhere.test", "show")
    assert code == 1 and err.strip() == "fieldpost: error: domain nowhere.test does not exist"
    code, _, err = cli(data, "example.test", "show", "--selector", "other")
    assert code == 1 and "no DKIM key for selector other" in err
    code, _, err = cli(data, "example.test", "generate", "--selector", "bad selector")
    assert code == 1 and "not a DKIM selector" in err


@pytest.fixture
def store(data: Path) -> Iterator[Store]:
    config = configuration.load(data)
    st = open_store(config.database_url, config.blob_dir)
    yield st
    st.settings.clear("dkim.sign", domain="example.test")
    st.close()


@pytest.fixture
def world(data: Path, store: Store) -> Iterator[tuple[DnsServer, SmtpSink]]:
    """far.test's MX is the sink (127.0.0.2); example.test's key record is published."""
    with DnsServer({"test.": TEST_ZONE + zone_line(data) + "\n"}) as server, SmtpSink() as sink:
        store.settings.set("dns.nameservers", [server.address])
        store.settings.set("relay.port", sink.port)
        store.settings.set("relay.timeout_seconds", 5)
        fdns.shared().clear()
        yield server, sink


def relay(store: Store, origin: dict[str, str]) -> None:
    store.queue.enqueue(RAW, "alice@example.test", ["x@far.test"], origin=origin)
    Worker(store, hostname="mx.example.test").run_once()


def key_from(server: DnsServer):  # type: ignore[no-untyped-def]
    """dkimpy's dnsfunc, asking the test server directly."""

    def lookup(name: bytes, timeout: float = 5) -> bytes | None:
        query = dns.message.make_query(name.decode(), dns.rdatatype.TXT)
        answer = dns.query.udp(query, server.host, port=server.port, timeout=timeout)
        for rrset in answer.answer:
            return b"".join(rrset[0].strings)
        return None

    return lookup


def test_mail_of_an_authenticated_user_leaves_signed(world: tuple[DnsServer, SmtpSink], store: Store) -> None:
    server, sink = world
    relay(store, {"auth": "alice@example.test"})
    (envelope,) = sink.envelopes
    assert envelope.data.startswith(b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.test;")
    assert b" s=fieldpost;" in envelope.data.split(b"\r\n\r\n")[0]
    assert dkim.verify(envelope.data, dnsfunc=key_from(server))
    tampered = envelope.data.replace(b"Hello far away.", b"Hello from a forger.")
    assert not dkim.verify(tampered, dnsfunc=key_from(server))


def test_other_mail_and_switched_off_domains_leave_unsigned(
    world: tuple[DnsServer, SmtpSink], store: Store
) -> None:
    _, sink = world
    relay(store, {"ip": "192.0.2.1"})  # arrived from outside: relayed, not ours to sign
    store.settings.set("dkim.sign", False, domain="example.test")
    relay(store, {"auth": "alice@example.test"})
    assert len(sink.envelopes) == 2
    assert all(b"DKIM-Signature" not in e.data for e in sink.envelopes)


def test_the_signing_domain_falls_back_to_the_users_and_needs_a_key(store: Store) -> None:
    foreign = RAW.replace(b"From: Alice <alice@example.test>", b"From: Alice <alice@elsewhere.test>")
    signed = dkim_sign.sign_outgoing(store, {"auth": "alice@example.test"}, foreign)
    assert signed.startswith(b"DKIM-Signature: ") and b" d=example.test;" in signed.split(b"\r\n\r\n")[0]
    store.settings.set("dkim.selector", "unused", domain="example.test")  # a selector without a key
    try:
        assert dkim_sign.sign_outgoing(store, {"auth": "alice@example.test"}, RAW) == RAW
    finally:
        store.settings.clear("dkim.selector", domain="example.test")


def test_aliases_sign_as_themselves_and_other_local_domains_never(store: Store) -> None:
    store.domains.add_alias("example.test", "alias.test")
    store.domains.add("other.test")
    for domain in ("alias.test", "other.test"):
        dkim_sign.generate(store, domain, "fieldpost", replace=True)

    def d_of(author: bytes) -> bytes:
        raw = RAW.replace(b"alice@example.test>", b"alice@" + author + b">")
        head = dkim_sign.sign_outgoing(store, {"auth": "alice@example.test"}, raw).split(b"\r\n\r\n")[0]
        return head.split(b" d=")[1].split(b";")[0]

    assert d_of(b"alias.test") == b"alias.test"
    assert d_of(b"other.test") == b"example.test"  # alice does not own other.test
