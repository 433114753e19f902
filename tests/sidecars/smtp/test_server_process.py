"""The SMTP service as the supervisor runs it (``python -m sidecars.smtp``), driven by smtplib: MX in clear
and with STARTTLS, submission over implicit TLS with AUTH; each message must land in the queue."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import subprocess
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from fieldpost import config as configuration
from tests.fieldpost.conftest import REPO
from tests.support.service import init_demo, running

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (REPO / "sidecars" / "smtp" / "session.py").exists(), reason="the SMTP session is not there yet"
    ),
]

HOST = "mx.example.test"


class Service:
    def __init__(self, data: Path, offset: int, proc: subprocess.Popen[bytes]) -> None:
        self.data, self.offset, self.proc = data, offset, proc

    def port(self, listener: str) -> int:
        return configuration.LISTENERS[listener].port + self.offset

    @property
    def cafile(self) -> str:
        return str(self.data / "tls" / "cert.pem")

    def queued(self) -> list[object]:
        from storage import open_store

        config = configuration.load(self.data)
        store = open_store(config.database_url, config.blob_dir)
        try:
            return list(store.queue.list(limit=1000))
        finally:
            store.close()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    data = tmp_path_factory.mktemp("smtp") / "data"
    init_demo(data, HOST)
    with running("sidecars.smtp", "smtp", data) as (offset, proc):
        yield Service(data, offset, proc)


def message(sender: str, recipient: str, subject: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, recipient, subject
    msg.set_content(f"{subject}\n\nsent by the SMTP service test\n")
    return msg


def in_queue(service: Service, subject: str) -> list[object]:
    found = []
    for item in service.queued():
        raw_recipients = [r.address for r in item.recipients]  # type: ignore[attr-defined]
        if "alice@example.test" in raw_recipients and subject.encode() in _raw(service, item):
            found.append(item)
    return found


def _raw(service: Service, item: object) -> bytes:
    from storage import open_store

    config = configuration.load(service.data)
    store = open_store(config.database_url, config.blob_dir)
    try:
        return store.queue.raw(item.id)  # type: ignore[attr-defined, no-any-return]
    finally:
        store.close()


def test_mx_delivery_to_a_local_account_is_queued(service: Service) -> None:
    with smtplib.SMTP(
        "127.0.0.1", service.port("smtp"), local_hostname="client.example.org", timeout=10
    ) as smtp:
        code, banner = smtp.ehlo()
        assert code == 250
        refused = smtp.send_message(message("someone@remote.example", "alice@example.test", "over the MX"))
        assert refused == {}
    items = in_queue(service, "over the MX")
    assert len(items) == 1
    assert items[0].sender == "someone@remote.example"  # type: ignore[attr-defined]


def test_mx_with_starttls_checks_the_certificate(service: Service) -> None:
    context = ssl.create_default_context(cafile=service.cafile)
    # "localhost" is in the certificate's subjectAltName; smtplib checks the name it connected to
    with smtplib.SMTP("localhost", service.port("smtp"), timeout=10) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("starttls")
        smtp.starttls(context=context)
        smtp.ehlo()
        smtp.send_message(message("someone@remote.example", "alice@example.test", "over STARTTLS"))
    assert len(in_queue(service, "over STARTTLS")) == 1


def test_submission_over_implicit_tls_with_auth(service: Service) -> None:
    context = ssl.create_default_context(cafile=service.cafile)
    with smtplib.SMTP_SSL("localhost", service.port("submissions"), context=context, timeout=10) as smtp:
        smtp.ehlo()
        smtp.login("bob@example.test", "demopass1")
        smtp.send_message(message("bob@example.test", "alice@example.test", "from bob over TLS"))
    items = in_queue(service, "from bob over TLS")
    assert len(items) == 1 and items[0].sender == "bob@example.test"  # type: ignore[attr-defined]
    received = _raw(service, items[0]).split(b"\r\n\tby ", 1)[0]  # the from clause of our Received field
    assert received.endswith(b"\r\n\t(authenticated as bob@example.test)")


def test_submission_requires_auth(service: Service) -> None:
    with smtplib.SMTP("127.0.0.1", service.port("submission"), timeout=10) as smtp:
        smtp.ehlo()
        with pytest.raises(smtplib.SMTPException):
            smtp.send_message(message("bob@example.test", "alice@example.test", "no auth"))
    assert in_queue(service, "no auth") == []


def submit_as(service: Service, user: str, msg: EmailMessage) -> None:
    """Log in as ``user`` over implicit TLS and submit ``msg`` with ``user`` as the envelope sender."""
    context = ssl.create_default_context(cafile=service.cafile)
    with smtplib.SMTP_SSL("localhost", service.port("submissions"), context=context, timeout=10) as smtp:
        smtp.login(user, "demopass1")
        smtp.send_message(msg, from_addr=user)


def with_store(service: Service) -> Any:
    from storage import open_store

    config = configuration.load(service.data)
    return contextlib.closing(open_store(config.database_url, config.blob_dir))


def test_submission_refuses_a_from_header_of_another_user(service: Service) -> None:
    with pytest.raises(smtplib.SMTPDataError) as refused:
        submit_as(
            service,
            "bob@example.test",
            message("Alice <alice@example.test>", "alice@example.test", "bob as alice"),
        )
    assert refused.value.smtp_code == 550
    assert refused.value.smtp_error.startswith(b"5.7.1 <alice@example.test>: From: header address not owned")
    assert in_queue(service, "bob as alice") == []


def test_submission_from_header_allowed_by_grant_or_setting(service: Service) -> None:
    with with_store(service) as store:
        store.acl.grant("alice@example.test", "", "carol@example.test", "0")  # carol may send as alice
        store.settings.set("smtp.allow_any_header_from", True, account="bob@example.test")
    submit_as(
        service, "carol@example.test", message("alice@example.test", "alice@example.test", "carol as alice")
    )
    submit_as(
        service, "bob@example.test", message("news@lists.example", "alice@example.test", "bob as a list")
    )
    assert len(in_queue(service, "carol as alice")) == 1
    assert len(in_queue(service, "bob as a list")) == 1


def test_bare_postmaster_is_accepted_when_the_host_name_is_not_a_domain(tmp_path: Path) -> None:
    """RFC 5321 4.5.1 on a fresh data directory whose host name is none of its domains: RCPT TO:<postmaster>
    reaches the postmaster of the oldest domain (it was refused as relaying)."""
    data = tmp_path / "data"
    init_demo(data, "mail.fieldpost.test")
    with running("sidecars.smtp", "smtp", data) as (offset, proc):
        service = Service(data, offset, proc)
        with smtplib.SMTP(
            "127.0.0.1", service.port("smtp"), local_hostname="client.example.org", timeout=10
        ) as smtp:
            smtp.ehlo()
            msg = message("someone@remote.example", "postmaster", "to the bare postmaster")
            assert smtp.send_message(msg, to_addrs=["postmaster"]) == {}
        items = [item for item in service.queued() if b"to the bare postmaster" in _raw(service, item)]
        assert [[r.address for r in item.recipients] for item in items] == [["postmaster@example.test"]]  # type: ignore[attr-defined]
