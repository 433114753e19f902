"""Two-step sign-in as mail programs meet it, over real sockets with Python's own clients: the IMAP, SMTP
and POP3 services run as processes (as the supervisor runs them); for an account with a confirmed second
factor, the account password is refused with a reply that says to use an app password, an app password
signs in and its use is recorded, and a revoked one is refused at the next login although the service
had just accepted (and cached) it."""

from __future__ import annotations

import imaplib
import poplib
import smtplib
import ssl
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest

from fieldpost import config as configuration
from storage import open_store, totp
from storage.store import Store
from tests.support.service import init_demo, running

pytestmark = pytest.mark.slow

HOST = "mail.example.test"
USER = "carol@example.test"
PASSWORD = "demopass1"


@dataclass
class Services:
    data: Path
    offsets: dict[str, int]
    store: Store

    def port(self, listener: str) -> int:
        spec = configuration.LISTENERS[listener]
        return spec.port + self.offsets[spec.service]

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.data / "tls" / "cert.pem"))

    def imap_login(self, password: str) -> None:
        with imaplib.IMAP4_SSL("localhost", self.port("imaps"), ssl_context=self.context(), timeout=10) as c:
            c.login(USER, password)
            assert c.select("INBOX")[0] == "OK"
            c.logout()

    def smtp_send(self, password: str, subject: str) -> None:
        with smtplib.SMTP_SSL("localhost", self.port("submissions"), context=self.context(), timeout=10) as c:
            c.login(USER, password)
            msg = EmailMessage()
            msg["From"], msg["To"], msg["Subject"] = USER, "alice@example.test", subject
            msg.set_content("sent with an app password\n")
            c.send_message(msg)

    def pop3_login(self, password: str) -> int:
        client = poplib.POP3_SSL("localhost", self.port("pop3s"), context=self.context(), timeout=10)
        try:
            client.user(USER)
            client.pass_(password)
            return int(client.stat()[0])
        finally:
            client.quit()


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    data = tmp_path_factory.mktemp("twostep") / "data"
    init_demo(data, HOST)
    config = configuration.load(data)
    store = open_store(config.database_url, config.blob_dir)
    for key, value in {"auth.free_failures": 1000, "auth.lockout_failures": 0}.items():
        store.settings.set(key, value)
    try:
        with ExitStack() as stack:
            offsets = {}
            for module, service in (
                ("sidecars.imap", "imap"),
                ("sidecars.smtp", "smtp"),
                ("sidecars.pop3", "pop3"),
            ):
                offsets[service], _ = stack.enter_context(running(module, service, data))
            yield Services(data, offsets, store)
    finally:
        store.close()


@pytest.fixture(scope="module")
def two_step(services: Services) -> Services:
    """carol turns two-step sign-in on (the processes share the data directory's key and database)."""
    account = services.store.accounts.get(USER)
    factor = services.store.for_user(account.id).second_factor
    now = time.time()
    services.store.second_factors.clock = lambda: now
    factor.confirm(totp.code_at(factor.enrol().secret, now))
    return services


def test_account_password_refused_with_the_reason(two_step: Services) -> None:
    with pytest.raises(imaplib.IMAP4.error, match="app password"):
        two_step.imap_login(PASSWORD)
    with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
        two_step.smtp_send(PASSWORD, "refused")
    assert refused.value.smtp_code == 535 and b"app password" in refused.value.smtp_error
    with pytest.raises(poplib.error_proto, match="app password"):
        two_step.pop3_login(PASSWORD)
    # a wrong password reads as before: nothing tells it apart from an unknown user
    with pytest.raises(imaplib.IMAP4.error) as wrong:
        two_step.imap_login("not-the-password")
    assert "app password" not in str(wrong.value)


def test_app_password_signs_in_everywhere_until_revoked(two_step: Services) -> None:
    account = two_step.store.accounts.get(USER)
    mine = two_step.store.for_user(account.id).app_passwords
    made = mine.create("laptop")
    two_step.imap_login(made.password)
    two_step.imap_login(made.password.replace(" ", ""))  # typed without the spaces
    two_step.smtp_send(made.password, "from the laptop")
    assert two_step.pop3_login(made.password.upper()) >= 0
    used = mine.list()[0]
    assert used.name == "laptop" and used.last_used_at is not None and used.last_used_from == "127.0.0.1"
    mine.revoke(made.id)
    with pytest.raises(imaplib.IMAP4.error):
        two_step.imap_login(made.password)
    with pytest.raises(smtplib.SMTPAuthenticationError):
        two_step.smtp_send(made.password, "after revoking")
    with pytest.raises(poplib.error_proto):
        two_step.pop3_login(made.password)
