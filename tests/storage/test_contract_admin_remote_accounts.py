"""Remote mailboxes through the admin facade: in the administrator's domains, with "accounts" to change."""

from __future__ import annotations

from dataclasses import replace

import pytest

from storage.errors import NotFound, PermissionDenied
from storage.remote_accounts import RemoteSpec
from tests.storage.conftest import Demo

SPEC = RemoteSpec(protocol="imap", host="imap.example.net", username="me", password="pw-remote")


def _server_admin(demo: Demo) -> str:
    demo.store.admins.set_password("admin", "admin-password-1")  # the server administrator, as init makes
    return "admin"


def test_server_admin_manages_any_accounts_remote_mailboxes(demo: Demo) -> None:
    admin = demo.store.for_admin(_server_admin(demo))
    added = admin.remote_accounts.add("alice@example.test", SPEC)
    assert [r.id for r in admin.remote_accounts.list("alice@example.test")] == [added.id]
    admin.remote_accounts.fetch_now("alice@example.test", added.id)
    admin.remote_accounts.delete("alice@example.test", added.id)
    assert admin.remote_accounts.list("alice@example.test") == []


def test_a_domain_administrator_stays_in_their_domain(demo: Demo) -> None:
    root = demo.store.for_admin(_server_admin(demo))
    demo.store.domains.add("other.test")
    demo.store.accounts.add("zed@other.test", None)
    root.admins.add("helper", "helper-password-1")
    root.admins.grant("example.test", admin="helper", rights="settings")
    helper = demo.store.for_admin("helper")
    with pytest.raises(NotFound, match="domain other.test does not exist"):
        helper.remote_accounts.list("zed@other.test")
    with pytest.raises(NotFound):
        helper.remote_accounts.add("zed@other.test", SPEC)
    assert helper.remote_accounts.list("alice@example.test") == []  # seeing needs no permission
    with pytest.raises(PermissionDenied):
        helper.remote_accounts.add("alice@example.test", SPEC)  # changing needs "accounts"
    root.admins.grant("example.test", admin="helper", rights="accounts")
    assert helper.remote_accounts.add("alice@example.test", SPEC).username == "me"


def test_change_needs_accounts_and_stays_on_the_account(demo: Demo) -> None:
    root = demo.store.for_admin(_server_admin(demo))
    added = root.remote_accounts.add("alice@example.test", SPEC)
    changed = root.remote_accounts.change(
        "alice@example.test", added.id, replace(SPEC, host="imap.elsewhere.net", password=None)
    )
    assert (changed.id, changed.host) == (added.id, "imap.elsewhere.net")
    (due,) = [d for d in demo.store.remote_accounts.due() if d.remote.id == added.id]
    assert due.password == "pw-remote"  # None kept the stored password
    with pytest.raises(NotFound):  # alice's mailbox named through bob's address
        root.remote_accounts.change("bob@example.test", added.id, SPEC)
    root.admins.add("helper", "helper-password-1")
    root.admins.grant("example.test", admin="helper", rights="settings")
    with pytest.raises(PermissionDenied):
        demo.store.for_admin("helper").remote_accounts.change("alice@example.test", added.id, SPEC)
    assert root.remote_accounts.list("alice@example.test")[0].host == "imap.elsewhere.net"
