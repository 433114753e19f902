"""EventSource push (RFC 8620 7.3) through the app: a state event when the account changes, only the
types asked for, pings, closeafter, the argument checks, and a stream ending once its sign-in no longer
holds (a password change, a WebMail session past its limit). The live test with a change made over
IMAP is test_push_live.py."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.storage.conftest import build_message
from tests.webmail.conftest import AuthActions, Seeded
from tests.webmail.jmap.conftest import HTTPS, Jmap
from webmail.jmap import push


def events(jmap: Jmap, query: str) -> Iterator[bytes]:
    answer = jmap.client.get(
        f"/jmap/eventsource?{query}", headers=jmap.headers("alice", None), base_url=HTTPS, buffered=False
    )
    assert answer.status_code == 200
    assert answer.mimetype == "text/event-stream"
    stream: Iterator[bytes] = iter(answer.response)
    return stream


def parse(chunk: bytes) -> tuple[str, Any]:
    fields = dict(line.split(": ", 1) for line in chunk.decode().strip().splitlines())
    return fields["event"], json.loads(fields["data"])


def deliver_soon(seeded: Seeded) -> None:
    threading.Timer(
        0.5, lambda: seeded.store.mail.deliver(build_message("Push me"), ["alice@example.test"])
    ).start()


def test_a_delivery_pushes_a_state_change_and_closeafter_state_ends_the_stream(
    jmap: Jmap, seeded: Seeded
) -> None:
    before = seeded.store.for_user(seeded.alice.id)
    stream = events(jmap, "types=*&closeafter=state&ping=0")
    assert next(stream).startswith(b":")  # the stream is open
    deliver_soon(seeded)
    name, data = parse(next(stream))
    assert name == "state"
    assert data["@type"] == "StateChange"
    assert list(data["changed"]) == [jmap.account_id()]
    changed = data["changed"][jmap.account_id()]
    assert {"Email", "Mailbox"} <= set(changed)
    from webmail.jmap.mail.state import current_states

    assert changed["Email"] == current_states(before)["Email"]
    assert list(stream) == []  # closeafter=state: the response ended


def test_only_the_types_asked_for_are_pushed_and_pings_keep_coming(jmap: Jmap, seeded: Seeded) -> None:
    stream = events(jmap, "types=VacationResponse&closeafter=state&ping=1")
    next(stream)
    deliver_soon(seeded)
    name, data = parse(next(stream))
    assert (name, data) == ("ping", {"interval": 1})
    name, _ = parse(next(stream))
    assert name == "ping"  # the Email change was not one of the types asked for


def test_bad_arguments_are_400(jmap: Jmap, client: FlaskClient) -> None:
    for query in ("types=*&ping=soon", "types=*&ping=-1", "types=*&closeafter=maybe", "ping=1"):
        answer = client.get(f"/jmap/eventsource?{query}", headers=jmap.headers("alice", None), base_url=HTTPS)
        assert answer.status_code == 400, query
        assert answer.mimetype == "application/problem+json"


def test_the_event_source_needs_sign_in(client: FlaskClient) -> None:
    assert client.get("/jmap/eventsource?types=*", base_url=HTTPS).status_code == 401


@pytest.mark.timeout(60)  # without the push, next(stream) would wait for ever
def test_a_folder_shared_with_the_user_pushes_their_mailbox_state(jmap: Jmap, seeded: Seeded) -> None:
    """The ACL change is recorded under the owner's account; the grantee's stream hears of it too, so
    the Ajax tree shows the folder without a reload, and loses it again when the grant goes."""
    store = seeded.store
    store.folders.create("alice@example.test", "Projects")
    answer = jmap.client.get(
        "/jmap/eventsource?types=Mailbox&closeafter=state&ping=0",
        headers=jmap.headers("bob", None),
        base_url=HTTPS,
        buffered=False,
    )
    assert answer.status_code == 200
    stream: Iterator[bytes] = iter(answer.response)
    assert next(stream).startswith(b":")
    threading.Timer(
        0.5, lambda: store.acl.grant("alice@example.test", "Projects", "bob@example.test", "lrs")
    ).start()
    name, data = parse(next(stream))
    assert name == "state" and list(data["changed"]) == [jmap.account_id("bob")]
    assert list(data["changed"][jmap.account_id("bob")]) == ["Mailbox"]
    assert list(stream) == []


@pytest.mark.timeout(60)
def test_a_password_change_ends_an_open_stream(
    jmap: Jmap, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stream outlives the request that signed it in: once the password changes it ends (at its next
    check), so the client's reconnection meets the refusal instead of pushing on for the hour."""
    monkeypatch.setattr(push, "SIGN_IN_CHECK_SECONDS", 0.2)
    stream = events(jmap, "types=*&closeafter=no&ping=1")
    next(stream)
    assert parse(next(stream)) == ("ping", {"interval": 1})  # checked five times meanwhile: it holds
    seeded.store.accounts.set_password("alice@example.test", "a-new-password")
    assert list(stream) == []  # ended, without a ping more
    refused = jmap.client.get(
        "/jmap/eventsource?types=*", headers=jmap.headers("alice", None), base_url=HTTPS
    )
    assert refused.status_code == 401


@pytest.mark.timeout(60)
def test_a_webmail_session_past_its_limit_ends_its_stream(
    client: FlaskClient, auth: AuthActions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Ajax client's stream (signed in by the WebMail cookie) ends when the session reaches
    web.session_max_seconds, however long the stream could still run; its reconnection is then 401."""
    monkeypatch.setattr(push, "SIGN_IN_CHECK_SECONDS", 0.2)
    auth.login()
    with client.session_transaction() as session:  # signed in 12 hours ago, less one second
        session["login_at"] = int(time.time()) - 12 * 3600 + 1
    opened = client.get("/jmap/eventsource?types=*&closeafter=no&ping=0", buffered=False)
    assert opened.status_code == 200
    started = time.monotonic()
    assert list(opened.response)[:1] == [b": fieldpost jmap push\n\n"]
    assert time.monotonic() - started < 5
    again = client.get("/jmap/eventsource?types=*", headers={"Sec-Fetch-Site": "same-origin"})
    assert again.status_code == 401 and "WWW-Authenticate" not in again.headers
