"""``view.setting_levels.at``: every setting of one level with the value in force and whether it is set
there, in one call; scope-checked like ``AdminView.setting`` (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from storage import passwords
from storage import settings as registry
from storage.admin_setting_levels import LevelSetting
from storage.adminscope import DomainScope
from storage.errors import NotFound, PermissionDenied
from storage.store import Store
from tests.storage.conftest import _reused_demo_hash

MINE, THEIRS = "example.test", "other.test"


@pytest.fixture
def levels(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setattr(passwords, "hash_password", _reused_demo_hash)
    store.admins.set_password("admin", "admin-password-1")
    for domain in (MINE, THEIRS):
        store.domains.add(domain)
        store.accounts.add(f"alice@{domain}", "alice-password-1")
    store.accounts.add_class(MINE, "staff")
    store.accounts.set_class(f"alice@{MINE}", "staff")
    return store


def by_name(entries: list[LevelSetting]) -> dict[str, tuple[object, bool]]:
    return {e.setting.name: (e.value, e.explicit) for e in entries}


def test_each_level_lists_its_settings_with_origin(levels: Store) -> None:
    view = levels.for_admin("admin")
    view.set_setting("quota.messages", 100)
    view.set_setting("quota.messages", 50, domain=MINE)
    view.set_setting("services.pop3", False, domain=MINE, account_class="staff")
    view.set_setting("webmail.skin", "collwater", account=f"alice@{MINE}")

    server = by_name(view.setting_levels.at())
    assert set(server) == {s.name for s in registry.settings_for_level("server")}
    assert server["quota.messages"] == (100, True) and server["quota.folders"] == (0, False)

    domain = by_name(view.setting_levels.at(domain=MINE))
    assert set(domain) == {s.name for s in registry.settings_for_level("domain")}
    assert domain["quota.messages"] == (50, True)
    assert by_name(view.setting_levels.at(domain=THEIRS))["quota.messages"] == (100, False)

    staff = by_name(view.setting_levels.at(domain=MINE, account_class="staff"))
    assert staff["services.pop3"] == (False, True) and staff["quota.messages"] == (50, False)

    alice = by_name(view.setting_levels.at(account=f"alice@{MINE}"))
    assert alice["webmail.skin"] == ("collwater", True)
    assert alice["services.pop3"] == (False, False) and alice["quota.messages"] == (50, False)


def test_scope_is_checked(levels: Store) -> None:
    narrowed = levels.for_admin("admin", DomainScope.of(MINE))
    assert by_name(narrowed.setting_levels.at(domain=MINE))
    with pytest.raises(NotFound, match=f"domain {THEIRS} does not exist"):
        narrowed.setting_levels.at(domain=THEIRS)
    with pytest.raises(NotFound, match=f"domain {THEIRS} does not exist"):
        narrowed.setting_levels.at(account=f"alice@{THEIRS}")
    with pytest.raises(PermissionDenied):
        narrowed.setting_levels.at()
    with pytest.raises(NotFound):
        levels.for_admin("admin").setting_levels.at(domain=MINE, account_class="nobody")
