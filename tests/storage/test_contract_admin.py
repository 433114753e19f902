"""The admin facade (``store.for_admin``): a server administrator reaches everything; a domain
administrator of example.test can neither list, read, change nor delete anything of other.test, and gets
the same NotFound for another tenant's domain as for one that does not exist (storage.adminscope)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from mailflow import queue_ops
from storage import passwords
from storage.adminscope import NO_SUCH_ADMIN, SERVER_ONLY, DomainScope
from storage.adminview import AdminView
from storage.errors import NotFound, PermissionDenied
from storage.store import Store
from tests.storage.conftest import _reused_demo_hash

MINE, THEIRS = "example.test", "other.test"


@pytest.fixture
def tenants(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setattr(passwords, "hash_password", _reused_demo_hash)  # argon2 once per worker, not here
    store.admins.set_password("admin", "admin-password-1")
    for domain in (MINE, THEIRS):
        store.domains.add(domain)
        store.accounts.add(f"alice@{domain}", "alice-password-1")
        store.groups.add(f"team@{domain}")
        store.forwarders.add(f"fwd@{domain}", ["someone@outside.test"])
    store.domains.add_alias(THEIRS, "alias-of-other.test")
    return store


def domain_admin(store: Store) -> AdminView:
    return store.for_admin("admin", DomainScope.of(MINE))


def test_the_server_administrator_sees_and_changes_everything(tenants: Store) -> None:
    admin = tenants.for_admin("admin")
    assert admin.scope().is_server
    assert [d.name for d in admin.list_domains()] == [MINE, THEIRS]
    assert {a.address for a in admin.list_accounts()} >= {f"alice@{MINE}", f"alice@{THEIRS}"}
    admin.add_account(f"bob@{THEIRS}", "bob-password-1")
    admin.set_setting("quota.storage_bytes", "10M", domain=THEIRS)
    admin.set_setting("quota.storage_bytes", "20M")
    assert admin.setting("quota.storage_bytes", account=f"bob@{THEIRS}") == 10 * 1024 * 1024
    admin.delete_domain(THEIRS)
    assert [d.name for d in admin.list_domains()] == [MINE]


def test_a_domain_administrator_lists_only_their_domain(tenants: Store) -> None:
    admin = domain_admin(tenants)
    assert [d.name for d in admin.list_domains()] == [MINE]
    assert {a.address for a in admin.list_accounts()} == {f"alice@{MINE}", f"postmaster@{MINE}"}
    assert [g.address for g in admin.list_groups()] == [f"team@{MINE}"]
    assert [f.address for f in admin.list_forwarders(MINE)] == [f"fwd@{MINE}"]
    admin.add_account(f"bob@{MINE}", "bob-password-1")
    admin.set_setting("quota.storage_bytes", "10M", account=f"bob@{MINE}")
    admin.delete_account(f"bob@{MINE}")


#: everything a domain administrator of example.test might try on other.test (by name, alias, address)
FOREIGN: dict[str, Callable[[AdminView], object]] = {
    "domain": lambda a: a.domain(THEIRS),
    "domain by alias": lambda a: a.domain("alias-of-other.test"),
    "rename domain": lambda a: a.rename_domain(THEIRS, "mine-now.test"),
    "delete domain": lambda a: a.delete_domain(THEIRS),
    "add domain alias": lambda a: a.add_domain_alias(THEIRS, "x.test"),
    "disable domain": lambda a: a.set_domain_enabled(THEIRS, False),
    "list accounts": lambda a: a.list_accounts(THEIRS),
    "account": lambda a: a.account(f"alice@{THEIRS}"),
    "account by domain alias": lambda a: a.account("alice@alias-of-other.test"),
    "add account": lambda a: a.add_account(f"mallory@{THEIRS}", "mallory-password-1"),
    "set password": lambda a: a.set_password(f"alice@{THEIRS}", "taken-over-1"),
    "disable account": lambda a: a.set_account_enabled(f"alice@{THEIRS}", False),
    "delete account": lambda a: a.delete_account(f"alice@{THEIRS}"),
    "alias in their domain": lambda a: a.add_account_alias(f"alice@{MINE}", f"boss@{THEIRS}"),
    "account class": lambda a: a.add_account_class(THEIRS, "gold"),
    "list groups": lambda a: a.list_groups(THEIRS),
    "add group": lambda a: a.add_group(f"g@{THEIRS}"),
    "delete group": lambda a: a.delete_group(f"team@{THEIRS}"),
    "add to their group": lambda a: a.add_group_member(f"team@{THEIRS}", f"alice@{MINE}"),
    "list forwarders": lambda a: a.list_forwarders(THEIRS),
    "add forwarder": lambda a: a.add_forwarder(f"f2@{THEIRS}", ["x@outside.test"]),
    "delete forwarder": lambda a: a.delete_forwarder(f"fwd@{THEIRS}"),
    "read domain setting": lambda a: a.setting("quota.storage_bytes", domain=THEIRS),
    "read account setting": lambda a: a.setting("quota.storage_bytes", account=f"alice@{THEIRS}"),
    "set domain setting": lambda a: a.set_setting("quota.storage_bytes", "1K", domain=THEIRS),
    "set account setting": lambda a: a.set_setting("quota.storage_bytes", "1K", account=f"alice@{THEIRS}"),
    "clear domain setting": lambda a: a.clear_setting("quota.storage_bytes", domain=THEIRS),
    "explicit settings": lambda a: a.explicit_settings(domain=THEIRS),
}


@pytest.mark.parametrize("attempt", sorted(FOREIGN))
def test_a_domain_administrator_cannot_reach_another_domain(tenants: Store, attempt: str) -> None:
    before = _picture(tenants)
    with pytest.raises(NotFound) as foreign:
        FOREIGN[attempt](domain_admin(tenants))
    # Domains' own words for a domain that does not exist: nothing tells the tenant other.test is here
    assert re.fullmatch(r"domain (other\.test|alias-of-other\.test) does not exist", str(foreign.value))
    assert _picture(tenants) == before, "a refused call changed nothing"


def _picture(store: Store) -> object:
    return (
        [(d.name, d.enabled, d.aliases) for d in store.domains.list()],
        [(a.address, a.enabled, a.aliases, a.password_generation) for a in store.accounts.list()],
        [(g.address, g.members) for g in store.groups.list()],
        store.settings.explicit(domain=THEIRS),
        store.settings.explicit(account=f"alice@{THEIRS}"),
    )


SERVER_WORK: dict[str, Callable[[AdminView], object]] = {
    "add domain": lambda a: a.add_domain("new.test"),
    "rename own domain": lambda a: a.rename_domain(MINE, "renamed.test"),
    "delete own domain": lambda a: a.delete_domain(MINE),
    "server setting": lambda a: a.set_setting("quota.storage_bytes", "1K"),
    "read server setting": lambda a: a.setting("quota.storage_bytes"),
    "queue list": lambda a: queue_ops.list_messages(a),
    "queue retry": lambda a: queue_ops.retry(a, None),
}


@pytest.mark.parametrize("attempt", sorted(SERVER_WORK))
def test_server_level_work_is_refused_to_a_domain_administrator(tenants: Store, attempt: str) -> None:
    with pytest.raises(PermissionDenied, match=SERVER_ONLY):
        SERVER_WORK[attempt](domain_admin(tenants))
    assert [d.name for d in tenants.domains.list()] == [MINE, THEIRS]


def test_an_unknown_or_removed_administrator_may_do_nothing(tenants: Store) -> None:
    with pytest.raises(PermissionDenied, match=NO_SUCH_ADMIN):
        tenants.for_admin("nobody").list_domains()
    view = tenants.for_admin("admin")
    assert view.list_domains()
    tenants.admins.remove("admin")
    with pytest.raises(PermissionDenied, match=NO_SUCH_ADMIN):
        view.add_domain("late.test")  # checked again on every call, not when the view was made
    assert [d.name for d in tenants.domains.list()] == [MINE, THEIRS]


def test_the_queue_through_the_facade(tenants: Store) -> None:
    qid = tenants.queue.enqueue(b"Subject: hi\r\n\r\nhello\r\n", f"alice@{MINE}", ["bob@outside.test"])
    admin = tenants.for_admin("admin")
    assert [m.id for m in queue_ops.list_messages(admin)] == [qid]
    assert "Subject: hi" in queue_ops.show(admin, qid).header
    assert queue_ops.retry(admin, qid, now=datetime.now(UTC)) == 1
    queue_ops.delete(admin, qid)
    with pytest.raises(NotFound):
        queue_ops.show(admin, qid)


def test_another_tenants_address_is_named_like_an_outside_one(tenants: Store) -> None:
    """A member in another tenant's domain is taken as an unknown domain's would be: the answer does not
    tell a domain administrator which domains exist here."""
    admin = domain_admin(tenants)
    admin.add_group_member(f"team@{MINE}", f"alice@{THEIRS}")
    admin.add_group_member(f"team@{MINE}", "someone@nowhere.test")
    assert {f"alice@{THEIRS}", "someone@nowhere.test"} <= set(tenants.groups.get(f"team@{MINE}").members)
