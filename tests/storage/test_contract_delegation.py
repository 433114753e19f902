"""Delegated administration as stored (issue 12): scope from an administrator's own grants and their
groups', the permissions each change asks, the limits of a grant, no escalation through the administration
of administrators, and the last server-wide administrator kept (storage.adminscope, adminlimits,
administrators, admin_groups). Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from mailflow import queue_ops
from storage import passwords
from storage.administrators import LAST_SERVER_ADMIN, NOT_SERVER_WIDE
from storage.adminscope import NO_SUCH_ADMIN, SERVER_ONLY
from storage.adminview import AdminView
from storage.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from storage.store import Store
from tests.storage.conftest import _reused_demo_hash

MINE, THEIRS, THIRD = "example.test", "other.test", "third.test"
MB = 1024 * 1024


@pytest.fixture
def tenants(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setattr(passwords, "hash_password", _reused_demo_hash)  # argon2 once per worker
    store.admins.set_password("admin", "admin-password-1")
    for domain in (MINE, THEIRS, THIRD):
        store.domains.add(domain)
        store.accounts.add(f"alice@{domain}", "alice-password-1")
        store.groups.add(f"team@{domain}")
    store.domains.add_alias(THEIRS, "alias-of-other.test")
    return store


def root(store: Store) -> AdminView:
    return store.for_admin("admin")


def delegate(store: Store, name: str = "dora", rights: str = "", **grants: dict[str, object]) -> AdminView:
    """A delegated administrator with server permissions ``rights`` and ``grants`` {domain: {...}}."""
    root(store).admins.add(name, "dora-password-1", server_rights=rights)
    for domain, grant in grants.items():
        root(store).admins.grant(domain.replace("_", "."), admin=name, **grant)  # type: ignore[arg-type]
    return store.for_admin(name)


def test_a_new_administrator_is_delegated_and_reaches_nothing(tenants: Store) -> None:
    dora = delegate(tenants)
    info = root(tenants).admins.get("dora")
    assert (info.enabled, info.server_wide, info.server_rights, info.grants) == (True, False, (), ())
    assert dora.list_domains() == []
    assert not dora.scope().is_server
    with pytest.raises(NotFound, match=f"domain {MINE} does not exist"):
        dora.list_accounts(MINE)
    with pytest.raises(PermissionDenied, match=SERVER_ONLY):
        dora.add_domain("new.test")
    assert tenants.admins.verify("dora", "dora-password-1")


def test_scope_from_own_grant(tenants: Store) -> None:
    dora = delegate(tenants, example_test={"rights": "accounts groups"})
    assert [d.name for d in dora.list_domains()] == [MINE]
    assert {a.address for a in dora.list_accounts()} == {f"alice@{MINE}", f"postmaster@{MINE}"}
    dora.add_account(f"bob@{MINE}", "bob-password-1")
    dora.set_password(f"bob@{MINE}", "bob-password-2")
    dora.delete_account(f"bob@{MINE}")
    for attempt in (
        lambda: dora.account(f"alice@{THEIRS}"),
        lambda: dora.account("alice@alias-of-other.test"),
        lambda: dora.add_account(f"mallory@{THEIRS}", "mallory-password-1"),
        lambda: dora.list_groups(THEIRS),
        lambda: dora.setting("quota.storage_bytes", domain=THEIRS),
    ):
        with pytest.raises(NotFound, match=r"domain (other\.test|alias-of-other\.test) does not exist"):
            attempt()
    assert [a.address for a in tenants.accounts.list(THEIRS)] == [f"alice@{THEIRS}", f"postmaster@{THEIRS}"]


def test_scope_from_groups_adds_server_and_domain_permissions(tenants: Store) -> None:
    dora = delegate(tenants, example_test={"rights": "accounts"})
    admin = root(tenants)
    admin.admin_groups.add("helpdesk", server_rights="queue")
    admin.admins.grant(THEIRS, group="helpdesk", rights="groups")
    with pytest.raises(PermissionDenied, match="'queue'"):
        queue_ops.list_messages(dora)
    admin.admin_groups.add_member("helpdesk", "dora")
    assert [d.name for d in dora.list_domains()] == [MINE, THEIRS]
    assert queue_ops.list_messages(dora) == []
    dora.add_group(f"desk@{THEIRS}")
    with pytest.raises(PermissionDenied, match=f"no 'accounts' permission on domain {THEIRS}"):
        dora.add_account(f"eve@{THEIRS}", "eve-password-1")
    assert admin.admins.get("dora").groups == ("helpdesk",)
    assert admin.admin_groups.get("helpdesk").members == ("dora",)
    admin.admin_groups.remove_member("helpdesk", "dora")
    with pytest.raises(NotFound):
        dora.add_group(f"desk2@{THEIRS}")  # gone from the next call on


def test_a_domain_granted_twice_holds_the_union_and_the_larger_limit(tenants: Store) -> None:
    delegate(tenants, example_test={"rights": "accounts", "max_accounts": 2, "max_account_quota_mb": 10})
    admin = root(tenants)
    admin.admin_groups.add("wide")
    admin.admins.grant(MINE, group="wide", rights="groups", max_accounts=5, max_account_quota_mb=None)
    admin.admin_groups.add_member("wide", "dora")
    grant = tenants.for_admin("dora").scope().grants
    (only,) = grant.values()
    assert only.rights == {"accounts", "groups"}
    assert (only.max_accounts, only.max_account_quota_mb) == (5, None)


def test_a_grant_without_permissions_is_a_read_only_view(tenants: Store) -> None:
    dora = delegate(tenants, example_test={"rights": "none"})
    assert [d.name for d in dora.list_domains()] == [MINE]
    assert dora.account(f"alice@{MINE}").address == f"alice@{MINE}"
    assert dora.setting("quota.storage_bytes", domain=MINE) == 0
    refused = {
        "accounts": lambda: dora.add_account(f"bob@{MINE}", "bob-password-1"),
        "accounts ": lambda: dora.set_account_enabled(f"alice@{MINE}", False),
        "groups": lambda: dora.add_group(f"g@{MINE}"),
        "groups ": lambda: dora.add_forwarder(f"f@{MINE}", ["x@outside.test"]),
        "settings": lambda: dora.set_setting("quota.storage_bytes", "1M", domain=MINE),
        "settings ": lambda: dora.add_account_class(MINE, "gold"),
    }
    for right, attempt in refused.items():
        with pytest.raises(PermissionDenied, match=f"no '{right.strip()}' permission on domain {MINE}"):
            attempt()
    with pytest.raises(PermissionDenied, match=SERVER_ONLY):
        dora.delete_domain(MINE)
    assert tenants.accounts.get(f"alice@{MINE}").enabled


def test_the_account_limit(tenants: Store) -> None:
    dora = delegate(tenants, example_test={"rights": "accounts", "max_accounts": 2})
    dora.add_account(f"bob@{MINE}", "bob-password-1")  # alice + bob: postmaster does not count
    with pytest.raises(PermissionDenied, match=f"account limit reached: .* at most 2 accounts in {MINE}"):
        dora.add_account(f"carol@{MINE}", "carol-password-1")
    dora.delete_account(f"bob@{MINE}")
    dora.add_account(f"carol@{MINE}", "carol-password-1")
    root(tenants).add_account(f"dave@{MINE}", "dave-password-1")  # the server administrator has no limit
    assert len(tenants.accounts.list(MINE)) == 4


def test_the_mailbox_size_limit(tenants: Store) -> None:
    dora = delegate(tenants, example_test={"rights": "accounts settings", "max_account_quota_mb": 100})
    # the domain gives no limit: a new account gets the administrator's limit as its own value
    assert dora.add_account(f"bob@{MINE}", "bob-password-1").quota_bytes == 100 * MB
    dora.set_setting("quota.storage_bytes", "50M", account=f"bob@{MINE}")
    for too_much in ("200M", "0"):
        with pytest.raises(InvalidInput, match="mailbox size limit: .*100 MB"):
            dora.set_setting("quota.storage_bytes", too_much, account=f"bob@{MINE}")
    with pytest.raises(InvalidInput, match="mailbox size limit"):
        dora.set_setting("quota.storage_bytes", "1G", domain=MINE)
    with pytest.raises(InvalidInput, match="not unlimited"):
        dora.clear_setting("quota.storage_bytes", account=f"bob@{MINE}")  # would inherit "no limit"
    assert tenants.settings.get("quota.storage_bytes", account=f"bob@{MINE}") == 50 * MB
    dora.set_setting("quota.storage_bytes", "80M", domain=MINE)
    dora.clear_setting("quota.storage_bytes", account=f"bob@{MINE}")  # inherits 80M: within the limit
    assert dora.add_account(f"carol@{MINE}", "carol-password-1").quota_bytes == 80 * MB
    root(tenants).add_account_class(MINE, "big")
    root(tenants).set_setting("quota.storage_bytes", "1G", domain=MINE, account_class="big")
    with pytest.raises(InvalidInput, match="mailbox size limit"):
        dora.set_account_class(f"carol@{MINE}", "big")
    assert tenants.accounts.get(f"carol@{MINE}").account_class is None


def test_a_delegated_administrator_may_add_domains_with_the_domains_permission(tenants: Store) -> None:
    dora = delegate(tenants, rights="domains")
    dora.add_domain("new.test")
    assert [d.name for d in dora.list_domains()] == ["new.test"]
    dora.add_account("bob@new.test", "bob-password-1")
    dora.rename_domain("new.test", "renamed.test")
    (grant,) = root(tenants).admins.get("dora").grants
    assert grant.domain == "renamed.test" and "accounts" in grant.rights and grant.max_accounts is None
    with pytest.raises(NotFound):
        dora.delete_domain(THEIRS)


def test_no_escalation(tenants: Store) -> None:
    dora = delegate(tenants, rights="admins", example_test={"rights": "accounts", "max_accounts": 3})
    with pytest.raises(PermissionDenied, match=NOT_SERVER_WIDE):
        dora.admins.add("eve", "eve-password-1", server_wide=True)
    with pytest.raises(PermissionDenied, match="do not hold: queue"):
        dora.admins.add("eve", "eve-password-1", server_rights="queue")
    dora.admins.add("eve", "eve-password-1", server_rights="admins")
    with pytest.raises(NotFound, match=f"domain {THEIRS} does not exist"):
        dora.admins.grant(THEIRS, admin="eve")
    for wider in (
        {"rights": "accounts groups"},
        {"rights": "accounts"},
        {"rights": "accounts", "max_accounts": 4},
    ):
        with pytest.raises(PermissionDenied, match="cannot grant more"):
            dora.admins.grant(MINE, admin="eve", **wider)  # type: ignore[arg-type]
    dora.admins.grant(MINE, admin="eve", rights="accounts", max_accounts=2)
    with pytest.raises(PermissionDenied, match=NOT_SERVER_WIDE):
        dora.admins.set_server_wide("eve", True)
    # administrators holding more than dora are out of her reach, as if they did not exist
    assert [a.name for a in dora.admins.list()] == ["dora", "eve"]
    for attempt in (
        lambda: dora.admins.set_password("admin", "taken-over-1"),
        lambda: dora.admins.set_enabled("admin", False),
        lambda: dora.admins.delete("admin"),
        lambda: dora.admins.get("admin"),
    ):
        with pytest.raises(NotFound, match="administrator 'admin' does not exist"):
            attempt()
    root(tenants).admin_groups.add("ops", server_rights="config")
    with pytest.raises(NotFound, match="group 'ops' does not exist"):
        dora.admin_groups.add_member("ops", "dora")
    assert root(tenants).admins.get("dora").groups == ()
    assert tenants.admins.verify("admin", "admin-password-1")


def test_the_last_server_wide_administrator_is_kept(tenants: Store) -> None:
    admin = root(tenants)
    for attempt in (
        lambda: admin.admins.delete("admin"),
        lambda: admin.admins.set_enabled("admin", False),
        lambda: admin.admins.set_server_wide("admin", False),
    ):
        with pytest.raises(PermissionDenied, match=LAST_SERVER_ADMIN):
            attempt()
    admin.admins.add("root2", "root2-password-1", server_wide=True)
    admin.admins.set_enabled("root2", False)
    with pytest.raises(PermissionDenied, match=LAST_SERVER_ADMIN):
        admin.admins.delete("admin")  # a disabled one does not count
    admin.admins.set_enabled("root2", True)
    admin.admins.set_server_wide("admin", False)
    with pytest.raises(PermissionDenied, match="'config'"):
        admin.set_setting("quota.storage_bytes", "1K")
    with pytest.raises(PermissionDenied, match=LAST_SERVER_ADMIN):
        tenants.for_admin("root2").admins.delete("root2")


def test_a_disabled_or_withdrawn_administrator_is_refused_at_the_next_call(tenants: Store) -> None:
    dora = delegate(tenants, example_test={"rights": "accounts"})
    assert dora.list_domains()
    root(tenants).admins.set_enabled("dora", False)
    with pytest.raises(PermissionDenied, match=NO_SUCH_ADMIN):
        dora.list_domains()
    assert not tenants.admins.verify("dora", "dora-password-1")
    root(tenants).admins.set_enabled("dora", True)
    root(tenants).admins.revoke(MINE, admin="dora")
    assert dora.list_domains() == []
    with pytest.raises(NotFound):
        dora.add_account(f"bob@{MINE}", "bob-password-1")
    root(tenants).admins.delete("dora")
    with pytest.raises(PermissionDenied, match=NO_SUCH_ADMIN):
        dora.list_domains()


def test_administrator_directory_input_errors(tenants: Store) -> None:
    admin = root(tenants)
    with pytest.raises(InvalidInput, match="invalid administrator name"):
        admin.admins.add("bad name", "long-enough-1")
    with pytest.raises(AlreadyExists):
        admin.admins.add("admin", "long-enough-1")
    with pytest.raises(InvalidInput, match="too short"):
        admin.admins.add("eve", "x")
    admin.admins.add("eve", "long-enough-1")
    with pytest.raises(InvalidInput, match="unknown permission 'root'"):
        admin.admins.set_server_rights("eve", "queue root")
    with pytest.raises(InvalidInput, match="either an administrator or"):
        admin.admins.grant(MINE)
    with pytest.raises(InvalidInput, match="limit must be 0 or more"):
        admin.admins.grant(MINE, admin="eve", max_accounts=-1)
    with pytest.raises(NotFound, match="not granted"):
        admin.admins.revoke(MINE, admin="eve")
    assert admin.admins.set_server_rights("eve", "all") == (
        "admins", "backup", "config", "domains", "logs", "queue", "reports", "security", "services",
    )  # fmt: skip
    admin.admins.grant(MINE, admin="eve", rights="accounts")
    admin.admins.grant(MINE, admin="eve", rights="groups", max_accounts=4)  # replaces the first grant
    (grant,) = admin.admins.get("eve").grants
    assert (grant.rights, grant.max_accounts) == (("groups",), 4)
    admin.admins.set_password("eve", "new-password-2")
    assert tenants.admins.verify("eve", "new-password-2")
    admin.admin_groups.delete(admin.admin_groups.add("tmp").name)
    assert admin.admin_groups.list() == []


def test_two_administrators_adding_at_once_cannot_both_take_the_last_place(tenants: Store) -> None:
    """The account limit is checked under a lock on the domain (PostgreSQL) or SQLite's write lock: of
    several adds racing for one free place, exactly one wins."""
    delegate(tenants, example_test={"rights": "accounts", "max_accounts": 2})  # alice holds one place
    start = threading.Barrier(4)
    outcomes: list[str] = []

    def add(n: int) -> None:
        view = tenants.for_admin("dora")
        start.wait()
        try:
            view.add_account(f"racer{n}@{MINE}", "racer-password-1")
            outcomes.append("added")
        except PermissionDenied as refused:
            outcomes.append(str(refused).split(":")[0])

    racers = [threading.Thread(target=add, args=(n,)) for n in range(4)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(60)
    assert sorted(outcomes) == ["account limit reached"] * 3 + ["added"]
    assert len([a for a in tenants.accounts.list(MINE) if a.address.startswith("racer")]) == 1


def test_a_restore_keeps_the_grant_limits(tenants: Store) -> None:
    """FTP restore (view.backup) adds accounts and sets mailbox sizes too: the limits hold there."""
    admin = root(tenants)
    for name in ("bob", "carol"):
        admin.add_account(f"{name}@{MINE}", f"{name}-password-1")
    admin.set_setting("quota.storage_bytes", "1G", account=f"bob@{MINE}")
    carol, bob = (admin.backup.account_document(f"{n}@{MINE}") for n in ("carol", "bob"))
    admin.delete_account(f"carol@{MINE}")
    dora = delegate(
        tenants,
        example_test={"rights": "accounts backup settings", "max_accounts": 2, "max_account_quota_mb": 100},
    )
    with pytest.raises(PermissionDenied, match="account limit reached"):
        dora.backup.restore_account(f"carol@{MINE}", carol)
    with pytest.raises(InvalidInput, match="mailbox size limit"):
        dora.backup.restore_account(f"bob@{MINE}", bob)
    assert [a.address for a in tenants.accounts.list(MINE) if a.address.startswith("carol")] == []
    admin.backup.restore_account(f"carol@{MINE}", carol)  # the server administrator has no limits
