"""A folder recipient end to end: an administrator makes public folder "Support" and the address
support@example.test for it; a message sent with smtplib to the SMTP service, through the processing
service, lands in that public folder (and in no mailbox)."""

from __future__ import annotations

import smtplib
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from fieldpost import config as configuration
from storage import open_store
from tests.support.service import init_demo, running

pytestmark = pytest.mark.slow


def _folder_subjects(data: Path) -> list[str]:
    config = configuration.load(data)
    store = open_store(config.database_url, config.blob_dir)
    try:
        return [
            raw.split(b"Subject: ", 1)[1].split(b"\n", 1)[0].strip().decode()
            for _uid, raw, _date, _flags in store.mail.iter_raw("@example.test", "Support")
        ]
    finally:
        store.close()


def test_mail_to_a_folder_recipient_lands_in_its_public_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    init_demo(data, "mx.example.test")
    config = configuration.load(data)
    store = open_store(config.database_url, config.blob_dir)
    try:
        admin = store.for_admin("admin")
        admin.public_folders.create("example.test", "Support")
        admin.public_folders.add_recipient("support@example.test", "Support")
        inbox_before = store.folders.get("alice@example.test", "INBOX").message_count
    finally:
        store.close()
    with (
        running("sidecars.processing", "processing", data),
        running("sidecars.smtp", "smtp", data) as (offset, _),
    ):
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "someone@far.test", "support@example.test", "printer on fire"
        msg.set_content("Please help.\n")
        port = configuration.LISTENERS["smtp"].port + offset
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            refused = client.send_message(
                msg, from_addr="someone@far.test", to_addrs=["support@example.test"]
            )
        assert refused == {}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _folder_subjects(data):
            time.sleep(0.2)
        assert _folder_subjects(data) == ["printer on fire"]
    store = open_store(config.database_url, config.blob_dir)
    try:
        assert store.folders.get("alice@example.test", "INBOX").message_count == inbox_before
    finally:
        store.close()
