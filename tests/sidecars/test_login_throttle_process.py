"""The login throttle across services and restarts, through real sockets: wrong passwords given to the SMTP
service (smtplib, SMTP AUTH) throttle the same account's IMAP LOGIN (imaplib) in the IMAP service, another
process, and still do after the IMAP service is restarted. Issue 9 item 7."""

from __future__ import annotations

import base64
import imaplib
import smtplib
import socket
import ssl
from pathlib import Path

import pytest

from fieldpost import config as configuration
from tests.support.service import init_demo, running

pytestmark = pytest.mark.slow

HOST = "mx.example.test"
ALICE, BOB, PASSWORD = "alice@example.test", "bob@example.test", "demopass1"
GUESSER, USER = "127.0.0.2", "127.0.0.3"  # loopback addresses: the guesser's own count stays its own


class SourcedImap(imaplib.IMAP4_SSL):
    """IMAP4_SSL from a chosen local address (imaplib has no source_address)."""

    def __init__(self, source: str, port: int, context: ssl.SSLContext) -> None:
        self._source = source
        super().__init__("localhost", port, ssl_context=context, timeout=10)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout, source_address=(self._source, 0))
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined, no-any-return]


def imap_login(data: Path, offset: int, user: str) -> str:
    """Log in over IMAPS from USER's address; "OK" or the refusal's text."""
    context = ssl.create_default_context(cafile=str(data / "tls" / "cert.pem"))
    port = configuration.LISTENERS["imaps"].port + offset
    with SourcedImap(USER, port, context) as imap:
        try:
            imap.login(user, PASSWORD)
        except imaplib.IMAP4.error as exc:
            return str(exc)
        imap.logout()
        return "OK"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    from storage import open_store

    data = tmp_path / "data"
    init_demo(data, HOST)
    config = configuration.load(data)
    store = open_store(config.database_url, config.blob_dir)
    try:  # a long back-off, so that a loaded machine cannot outwait it during the test
        store.settings.set("auth.base_delay_seconds", 600)
        store.settings.set("auth.max_delay_seconds", 600)
    finally:
        store.close()
    return data


def test_smtp_failures_throttle_imap_login_even_after_a_restart(data: Path) -> None:
    context = ssl.create_default_context(cafile=str(data / "tls" / "cert.pem"))
    with running("sidecars.smtp", "smtp", data) as (smtp_offset, _smtp):
        port = configuration.LISTENERS["submissions"].port + smtp_offset
        codes = []
        for n in range(5):  # three free failures, a fourth that starts the back-off, one refused outright
            with smtplib.SMTP_SSL(
                "localhost", port, context=context, timeout=10, source_address=(GUESSER, 0)
            ) as smtp:
                smtp.ehlo()
                token = base64.b64encode(f"\0{ALICE}\0wrong-guess-{n}".encode()).decode()
                codes.append(smtp.docmd("AUTH", f"PLAIN {token}")[0])
        assert codes == [535, 535, 535, 535, 454]

    with running("sidecars.imap", "imap", data) as (imap_offset, _imap):
        refusal = imap_login(data, imap_offset, ALICE)
        assert "UNAVAILABLE" in refusal and "too many failed logins" in refusal
        assert imap_login(data, imap_offset, BOB) == "OK"  # another account from the same address

    with running("sidecars.imap", "imap", data) as (imap_offset, _imap):  # a restarted service
        assert "too many failed logins" in imap_login(data, imap_offset, ALICE)
