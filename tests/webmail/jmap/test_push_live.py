"""Push from the real web service (gunicorn, gevent worker) when mail changes over the real IMAP
service: an EventSource client (urllib, reading the stream as it comes) gets pings, then a StateChange
after an IMAP APPEND, then the end of the response (closeafter=state)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from tests.sidecars.imap.conftest import PASSWORD, ImapService, imap_service  # noqa: F401  (fixture)
from tests.storage.conftest import build_message
from tests.webmail.jmap.conftest import basic
from tests.webmail.live import start_web_service, stop_web_service

pytestmark = pytest.mark.timeout(180)


def read_event(stream: Any) -> tuple[str, dict[str, Any]]:
    """The next event's name and data (comments skipped)."""
    fields: dict[str, str] = {}
    while True:
        line = stream.readline().decode()
        assert line, "the stream ended"
        line = line.rstrip("\n")
        if not line:
            if fields:
                return fields["event"], json.loads(fields["data"])
            continue
        if line.startswith(":"):
            continue
        key, _, value = line.partition(": ")
        fields[key] = value


def test_eventsource_pushes_a_change_made_over_imap(imap_service: ImapService) -> None:  # noqa: F811
    address = imap_service.new_account("push")
    web = start_web_service(imap_service.data)
    headers = {"Authorization": basic(address, PASSWORD), "X-Forwarded-Proto": "https"}
    try:
        with urllib.request.urlopen(urllib.request.Request(f"{web.url}/jmap/session", headers=headers)) as r:
            session = json.load(r)
        account = session["primaryAccounts"]["urn:ietf:params:jmap:mail"]
        assert session["eventSourceUrl"].startswith("https://")  # the proxy's scheme, as gunicorn trusts it
        url = f"{web.url}/jmap/eventsource?types=*&closeafter=state&ping=1"
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as stream:
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            assert read_event(stream) == ("ping", {"interval": 1})
            client = imap_service.imaplib(address)
            try:
                typ, _ = client.append("INBOX", None, None, build_message("Over IMAP", to=address))
                assert typ == "OK"
            finally:
                client.logout()
            name, data = read_event(stream)
            while name == "ping":
                name, data = read_event(stream)
            assert name == "state"
            assert data["@type"] == "StateChange"
            assert {"Email", "Mailbox", "Thread"} <= set(data["changed"][account])
            assert stream.read() == b""  # closeafter=state
    finally:
        stop_web_service(web)
