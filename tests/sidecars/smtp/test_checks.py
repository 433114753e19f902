"""The SMTP session runs the connection checks: SPF at MAIL FROM, DKIM/DMARC at the end of DATA, with a
real DNS server on 127.0.0.1 (tests.filters.checks.authworld). First as transcripts over a real store,
then through the SMTP service process with smtplib, the way a remote server delivers."""

from __future__ import annotations

import json
import smtplib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldpost import config as configuration
from filters import dns
from storage.store import Store
from tests.filters.checks import authworld
from tests.filters.checks.authworld import message, signed
from tests.sidecars.smtp.conftest import ALICE, HOST, Client, MakeClient
from tests.support.dnsserver import DnsServer
from tests.support.service import init_demo, running

auth_dns = authworld.auth_dns  # the session's DNS server (a fixture)
STRANGER = "192.0.2.66"  # permitted by no SPF record of the test world


@pytest.fixture
def mx(store: Store, auth_dns: DnsServer, make_client: MakeClient) -> MakeClient:
    """Sessions whose checks ask the test DNS (the shared resolver's cache is emptied first)."""
    store.settings.set("dns.nameservers", [auth_dns.address])
    for name in ("spf.enabled", "dkim.verify", "dmarc.enabled"):  # off in the shared template
        store.settings.clear(name)
    dns.shared().clear()
    return make_client


def deliver(c: Client, sender: str, raw: bytes) -> str:
    """MAIL, RCPT alice, DATA and the text: the reply to the end of the text (or the first refusal)."""
    for line in (f"MAIL FROM:<{sender}>", f"RCPT TO:<{ALICE}>", "DATA"):
        reply = c.cmd(line)
        if reply[0] not in "23":
            return reply
    return c.send(raw.replace(b"\r\n.", b"\r\n..") + b".\r\n")


def queued(store: Store, reply: str) -> bytes:
    assert reply.startswith("250 "), reply
    return store.queue.raw(int(reply.split()[-1]))


def header_names(raw: bytes) -> list[str]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    return [line.split(":", 1)[0] for line in head.split("\r\n") if line and line[0] not in " \t"]


def test_dmarc_reject_refuses_the_message(store: Store, mx: MakeClient) -> None:
    c = mx(ip=STRANGER)
    c.ehlo()
    reply = deliver(c, "x@fail.spf.test", message("ceo@reject.test"))
    assert reply.startswith("550 5.7.1 ") and "DMARC" in reply and "reject.test" in reply
    assert store.queue.list() == []
    assert c.cmd("NOOP").startswith("250 ")  # the session goes on


def test_p_none_is_queued_with_the_results_below_received(store: Store, mx: MakeClient) -> None:
    c = mx(ip=STRANGER)
    c.ehlo()
    raw = queued(store, deliver(c, "x@fail.spf.test", message("ceo@monitor.test")))
    names = header_names(raw)
    assert names[:4] == ["Return-Path", "Received", "Received-SPF", "Authentication-Results"]
    text = raw.decode()
    assert "Received-SPF: fail (mx.example.test: " in text
    assert f"Authentication-Results: {HOST};" in text
    assert "dmarc=fail (p=none dis=none) header.from=monitor.test" in text


def test_a_signed_message_passes_dkim_and_dmarc(store: Store, mx: MakeClient) -> None:
    c = mx(ip=STRANGER)
    c.ehlo()
    raw = queued(store, deliver(c, "x@fail.spf.test", signed(message("ceo@reject.test"), "reject.test")))
    assert "dkim=pass header.d=reject.test" in raw.decode() and "dmarc=pass" in raw.decode()


def test_spf_permerror_is_refused_at_mail_from(mx: MakeClient) -> None:
    c = mx()
    c.ehlo()
    reply = c.cmd("MAIL FROM:<a@permerror.spf.test>")
    assert reply.startswith("550 5.7.24 ") and "permerror.spf.test" in reply
    assert c.cmd(f"RCPT TO:<{ALICE}>").startswith("503 ")  # no transaction was started


def test_spf_temperror_asks_the_client_to_retry(mx: MakeClient) -> None:
    c = mx()
    c.ehlo()
    assert c.cmd("MAIL FROM:<a@temperror.spf.test>").startswith("451 4.7.24 ")


def test_quarantine_marks_the_message_for_junk(store: Store, mx: MakeClient) -> None:
    c = mx(ip=STRANGER)
    c.ehlo()
    raw = queued(store, deliver(c, "x@fail.spf.test", message("ceo@quarantine.test")))
    assert b"\r\nX-Fieldpost-Spam-Level: 10" in raw


def test_forged_results_with_our_name_are_dropped(store: Store, mx: MakeClient) -> None:
    c = mx(ip=STRANGER)
    c.ehlo()
    forged = f"Authentication-Results: {HOST}; dmarc=pass header.from=monitor.test\r\n".encode()
    raw = queued(store, deliver(c, "x@fail.spf.test", forged + message("ceo@monitor.test")))
    assert raw.count(b"Authentication-Results:") == 1 and b"dmarc=pass" not in raw


def test_authenticated_submission_is_not_checked(store: Store, mx: MakeClient) -> None:
    store.settings.set("smtp.allow_any_header_from", True, account=ALICE)  # a From: that is not hers
    c = mx("submission", tls_active=True)
    c.ehlo()
    assert c.login().startswith("235 ")
    raw = queued(store, deliver(c, ALICE, message("ceo@reject.test")))  # would fail DMARC on the MX
    assert "Received-SPF" not in header_names(raw) and "Authentication-Results" not in header_names(raw)


def test_trusted_networks_and_accept_rules_skip_the_checks(store: Store, mx: MakeClient) -> None:
    store.settings.set("smtp.trusted_networks", ["192.0.2.0/24"])
    c = mx(ip=STRANGER)
    c.ehlo()
    assert deliver(c, "x@fail.spf.test", message("ceo@reject.test")).startswith("250 ")
    store.settings.set("smtp.trusted_networks", [])
    rules = [
        {"event": "onMailFrom", "if": {"sender": "*@permerror.spf.test"}, "then": "accept"},
        {"event": "onDataReceived", "if": {"sender": "*@permerror.spf.test"}, "then": "accept"},
    ]
    store.settings.set("smtp.acceptance_rules", json.dumps(rules))
    c = mx(ip=STRANGER)
    c.ehlo()
    assert deliver(c, "a@permerror.spf.test", message("ceo@reject.test")).startswith("250 ")
    c.cmd("RSET")
    assert c.cmd("MAIL FROM:<b@fail.spf.test>").startswith("250 ")  # no rule: checked, fail is marked


def test_rule_refusals_come_before_the_checks(store: Store, mx: MakeClient) -> None:
    rules = [
        {"event": "onMailFrom", "then": {"action": "reject", "code": 554, "status": "5.7.1", "text": "rule"}}
    ]
    store.settings.set("smtp.acceptance_rules", json.dumps(rules))
    c = mx()
    c.ehlo()
    assert c.cmd("MAIL FROM:<a@permerror.spf.test>").startswith("554 5.7.1 rule")


def test_switched_off_checks_add_nothing(store: Store, mx: MakeClient) -> None:
    for name in ("spf.enabled", "dkim.verify", "dmarc.enabled"):
        store.settings.set(name, False)
    c = mx(ip=STRANGER)
    c.ehlo()
    raw = queued(store, deliver(c, "a@permerror.spf.test", message("ceo@reject.test")))
    assert header_names(raw)[:3] == ["Return-Path", "Received", "From"]


# -- the service process, with smtplib ---------------------------------------------------------------------


class Service:
    def __init__(self, data: Path, offset: int, proc: subprocess.Popen[bytes]) -> None:
        self.data, self.offset, self.proc = data, offset, proc

    @property
    def port(self) -> int:
        return configuration.LISTENERS["smtp"].port + self.offset

    def queued(self, subject: str) -> list[bytes]:
        from storage import open_store

        config = configuration.load(self.data)
        store = open_store(config.database_url, config.blob_dir)
        try:
            found = (store.queue.raw(m.id) for m in store.queue.list(limit=1000))
            return [raw for raw in found if f"Subject: {subject}".encode() in raw]
        finally:
            store.close()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, auth_dns: DnsServer) -> Iterator[Service]:
    from storage import open_store

    data = tmp_path_factory.mktemp("smtp-checks") / "data"
    init_demo(data, HOST)
    config = configuration.load(data)
    store = open_store(config.database_url, config.blob_dir)
    store.settings.set("dns.nameservers", [auth_dns.address])
    store.close()
    with running("sidecars.smtp", "smtp", data) as (offset, proc):
        yield Service(data, offset, proc)


@pytest.mark.slow
def test_over_smtp_dmarc_reject_is_550_and_p_none_is_queued(service: Service) -> None:
    with smtplib.SMTP("127.0.0.1", service.port, local_hostname="client.example.org", timeout=30) as smtp:
        smtp.ehlo()
        with pytest.raises(smtplib.SMTPDataError) as refused:
            smtp.sendmail("x@fail.spf.test", ["alice@example.test"], message("ceo@reject.test", "refused"))
        assert refused.value.smtp_code == 550 and b"5.7.1" in refused.value.smtp_error
        smtp.sendmail("x@fail.spf.test", ["alice@example.test"], message("ceo@monitor.test", "reported"))
    assert service.queued("refused") == []
    (raw,) = service.queued("reported")
    text = raw.decode()
    assert f"Authentication-Results: {HOST};" in text and "spf=fail smtp.mailfrom=x@fail.spf.test" in text
    assert "dkim=none" in text and "dmarc=fail (p=none dis=none) header.from=monitor.test" in text


@pytest.mark.slow
def test_over_smtp_signed_mail_from_a_permitted_host_passes(service: Service) -> None:
    with smtplib.SMTP("127.0.0.1", service.port, local_hostname="client.example.org", timeout=30) as smtp:
        smtp.ehlo()
        raw = signed(message("ceo@reject.test", "signed"), "reject.test")
        smtp.sendmail("bounce@mail.reject.test", ["alice@example.test"], raw)
    (queued_raw,) = service.queued("signed")
    text = queued_raw.decode()
    assert "Received-SPF: pass" in text and "spf=pass" in text
    assert "dkim=pass header.d=reject.test" in text and "dmarc=pass" in text
