"""EventSource push (RFC 8620 7.3) through the app: a state event when the account changes, only the
types asked for, pings, closeafter, and the argument checks. The live test with a change made over
IMAP is test_push_live.py."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.storage.conftest import build_message
from tests.webmail.conftest import Seeded
from tests.webmail.jmap.conftest import HTTPS, Jmap


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
