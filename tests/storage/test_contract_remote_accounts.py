"""Remote mailboxes (storage.remote_accounts) on every backend: the owner's door and the fetcher's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storage import schema
from storage.errors import InvalidInput, NotFound, PermissionDenied, QuotaExceeded
from storage.names import utcnow
from storage.remote_accounts import RemoteSpec
from storage.store import Store
from tests.storage.conftest import Demo


def spec(**changes: object) -> RemoteSpec:
    base = RemoteSpec(protocol="pop3", host="pop.example.net", username="me", password="s3cret-remote")
    return RemoteSpec(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def test_add_list_and_the_defaults(demo: Demo) -> None:
    mine = demo.store.for_user(demo.alice.id).remote_accounts
    added = mine.add(spec())
    assert (added.port, added.tls_mode, added.folder, added.keep_on_server) == (
        995,
        "implicit",
        "INBOX",
        True,
    )
    assert mine.list() == [added]
    assert mine.add(spec(protocol="imap", tls_mode="starttls")).port == 143


def test_the_password_is_sealed_and_opened_only_for_the_fetcher(demo: Demo) -> None:
    demo.store.for_user(demo.alice.id).remote_accounts.add(spec())
    with demo.store.db.read() as conn:
        sealed = conn.execute(select(schema.remote_accounts.c.sealed_password)).scalar_one()
    assert "s3cret-remote" not in sealed
    (due,) = demo.store.remote_accounts.due()
    assert (due.password, due.address) == ("s3cret-remote", "alice@example.test")
    assert not hasattr(due.remote, "password")


def test_another_accounts_mailbox_is_not_found(demo: Demo) -> None:
    added = demo.store.for_user(demo.alice.id).remote_accounts.add(spec())
    bobs = demo.store.for_user(demo.bob.id).remote_accounts
    for call in (lambda: bobs.get(added.id), lambda: bobs.delete(added.id), lambda: bobs.fetch_now(added.id)):
        with pytest.raises(NotFound):
            call()
    with pytest.raises(NotFound):
        bobs.change(added.id, spec())
    assert demo.store.for_user(demo.alice.id).remote_accounts.list() == [added]


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"protocol": "nntp"}, "protocol must be one of"),
        ({"tls_mode": "maybe"}, "security must be one of"),
        ({"host": "bad host"}, "not a host name"),
        ({"port": 70000}, "port must be 1-65535"),
        ({"username": ""}, "user name"),
        ({"password": "a\r\nb"}, "no line breaks"),
        ({"password": ""}, "password is required"),
        ({"folder": "Nowhere"}, "folder 'Nowhere' does not exist"),
        ({"interval_seconds": 10}, "interval must be 5 minutes to 7 days"),
    ],
)
def test_bad_input_is_named(demo: Demo, changes: dict[str, object], words: str) -> None:
    with pytest.raises(InvalidInput, match=words):
        demo.store.for_user(demo.alice.id).remote_accounts.add(spec(**changes))


def test_limits_come_from_the_accounts_settings(demo: Demo) -> None:
    store: Store = demo.store
    mine = store.for_user(demo.alice.id).remote_accounts
    with pytest.raises(PermissionDenied, match="without TLS"):
        mine.add(spec(tls_mode="none"))
    store.settings.set("rpop.allow_plaintext", True, account="alice@example.test")
    assert mine.add(spec(tls_mode="none")).port == 110
    store.settings.set("rpop.max_accounts", 1, domain="example.test")
    with pytest.raises(QuotaExceeded, match="at most 1 remote mailboxes"):
        mine.add(spec())
    store.settings.set("rpop.max_accounts", 0, account="bob@example.test")
    with pytest.raises(QuotaExceeded, match="turned off"):
        store.for_user(demo.bob.id).remote_accounts.add(spec())


def test_change_keeps_the_password_unless_given(demo: Demo) -> None:
    mine = demo.store.for_user(demo.alice.id).remote_accounts
    added = mine.add(spec())
    changed = mine.change(added.id, spec(password=None, username="me2", keep_on_server=False))
    assert (changed.username, changed.keep_on_server) == ("me2", False)
    (due,) = demo.store.remote_accounts.due()
    assert due.password == "s3cret-remote"
    mine.change(added.id, spec(password="new-one"))
    assert demo.store.remote_accounts.due()[0].password == "new-one"


def test_a_turn_is_claimed_once_and_comes_back_after_the_interval(demo: Demo) -> None:
    store = demo.store
    added = store.for_user(demo.alice.id).remote_accounts.add(spec(interval_seconds=600))
    (due,) = store.remote_accounts.due()
    assert store.remote_accounts.claim(due.remote)
    assert not store.remote_accounts.claim(due.remote)  # a second fetcher gets nothing
    assert store.remote_accounts.due() == []
    assert [d.remote.id for d in store.remote_accounts.due(utcnow() + timedelta(seconds=601))] == [added.id]
    store.for_user(demo.alice.id).remote_accounts.fetch_now(added.id)
    assert [d.remote.id for d in store.remote_accounts.due()] == [added.id]


def test_disabled_mailboxes_and_accounts_are_not_due(demo: Demo) -> None:
    store = demo.store
    store.for_user(demo.alice.id).remote_accounts.add(spec(enabled=False))
    store.for_user(demo.bob.id).remote_accounts.add(spec())
    store.accounts.set_enabled("bob@example.test", False)
    assert store.remote_accounts.due() == []


def test_taken_messages_are_remembered_until_gone_from_the_server(demo: Demo) -> None:
    store = demo.store
    rid = store.for_user(demo.alice.id).remote_accounts.add(spec()).id
    assert store.remote_accounts.unseen(rid, ["u1", "u2", "u3"]) == ["u1", "u2", "u3"]
    store.remote_accounts.record(rid, "u2")
    store.remote_accounts.record(rid, "u2")  # twice is harmless
    assert store.remote_accounts.unseen(rid, ["u1", "u2", "u3"]) == ["u1", "u3"]
    assert store.remote_accounts.forget_gone(rid, ["u1", "u3"]) == 1
    assert store.remote_accounts.unseen(rid, ["u2"]) == ["u2"]


def test_a_run_records_its_outcome(demo: Demo) -> None:
    store = demo.store
    mine = store.for_user(demo.alice.id).remote_accounts
    rid = mine.add(spec()).id
    store.remote_accounts.finish(rid, "login refused: -ERR bad password")
    got = mine.get(rid)
    assert got.last_error == "login refused: -ERR bad password" and got.last_run_at is not None
    store.remote_accounts.finish(rid, None)
    assert mine.get(rid).last_error is None
