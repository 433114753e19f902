"""Settings sheets of the admin facade (storage/admin_setting_sheets.py), on every backend: inheritance
with its origin, all-or-nothing validation, clearing, and the administrator's scope."""

from __future__ import annotations

import pytest

from storage.adminscope import DomainScope
from storage.errors import InvalidInput, NotFound, PermissionDenied
from storage.store import Store
from tests.storage.conftest import Demo

IDLE = "web.session_idle_seconds"


def row(sheet: object, name: str) -> object:
    return next(r for r in sheet.rows if r.setting.name == name)  # type: ignore[attr-defined]


def test_a_sheet_shows_inherited_values_and_where_they_come_from(store: Store, demo: Demo) -> None:
    store.admins.set_password("root", "root-pass-1")
    view = store.for_admin("root")
    sheet = view.setting_sheets.read(account="alice@example.test")
    assert sheet.level == "account"
    idle = row(sheet, IDLE)
    assert (idle.is_set, idle.inherited, idle.inherited_from) == (False, 1800, "default")
    store.settings.set(IDLE, "10m")
    store.settings.set(IDLE, "20m", domain="example.test")
    idle = row(view.setting_sheets.read(account="alice@example.test"), IDLE)
    assert (idle.inherited, idle.inherited_from, idle.effective) == (1200, "domain", 1200)
    store.accounts.add_class("example.test", "staff")
    store.accounts.set_class("alice@example.test", "staff")
    store.settings.set(IDLE, "30m", domain="example.test", account_class="staff")
    idle = row(view.setting_sheets.read(account="alice@example.test"), IDLE)
    assert (idle.inherited, idle.inherited_from) == (1800, "class")
    on_domain = row(view.setting_sheets.read(domain="example.test"), IDLE)
    assert (on_domain.is_set, on_domain.here, on_domain.inherited_from) == (True, 1200, "server")
    server = view.setting_sheets.read()
    assert server.level == "server" and all("server" in r.setting.levels for r in server.rows)


def test_apply_validates_everything_first_and_stores_nothing_on_error(store: Store, demo: Demo) -> None:
    store.admins.set_password("root", "root-pass-1")
    sheets = store.for_admin("root").setting_sheets
    errors = sheets.apply({IDLE: "5m", "web.session_max_seconds": "1s"}, domain="example.test")
    assert (
        list(errors) == ["web.session_max_seconds"]
        and "web.session_max_seconds" in errors["web.session_max_seconds"]
    )
    assert store.settings.explicit(domain="example.test") == {}
    assert sheets.apply({IDLE: "5m"}, domain="example.test") == {}
    assert store.settings.explicit(domain="example.test") == {IDLE: 300}
    assert sheets.apply({IDLE: None}, domain="example.test") == {}  # None: inherit again
    assert store.settings.explicit(domain="example.test") == {}
    wrong_level = sheets.apply({"auth.cache_seconds": "1m"}, domain="example.test")
    assert "cannot be set at domain level" in wrong_level["auth.cache_seconds"]
    assert "unknown setting" in sheets.apply({"no.such": "1"}, domain="example.test")["no.such"]


def test_a_domain_administrator_reaches_only_their_domains(store: Store, demo: Demo) -> None:
    store.domains.add("other.test")
    store.admins.set_password("root", "root-pass-1")
    delegated = store.for_admin("root", within=DomainScope.of("example.test"))
    assert delegated.setting_sheets.read(domain="example.test").level == "domain"
    with pytest.raises(NotFound):
        delegated.setting_sheets.read(domain="other.test")
    with pytest.raises(NotFound):
        delegated.setting_sheets.apply({IDLE: "5m"}, account="postmaster@other.test")
    with pytest.raises(PermissionDenied):
        delegated.setting_sheets.read()
    with pytest.raises(NotFound):
        delegated.setting_sheets.read(domain="example.test", account_class="nope")
    with pytest.raises(InvalidInput):
        delegated.setting_sheets.read(account_class="staff")


def _delegate(
    store: Store, name: str, domain: str, rights: str, server_rights: str = "", mb: int | None = None
) -> None:
    """A delegated administrator made as the server administrator makes one (``view.admins``)."""
    store.admins.set_password("root", "root-pass-1")
    root = store.for_admin("root")
    root.admins.add(name, "tenant-pass-1", server_rights=server_rights)
    root.admins.grant(domain, admin=name, rights=rights or "none", max_account_quota_mb=mb)


def test_stored_grants_decide_reading_changing_and_the_mailbox_limit(store: Store, demo: Demo) -> None:
    _delegate(store, "reader", "example.test", "")
    reader = store.for_admin("reader").setting_sheets
    assert reader.read(account="bob@example.test").level == "account"
    with pytest.raises(PermissionDenied):
        reader.apply({IDLE: "5m"}, domain="example.test")
    with pytest.raises(PermissionDenied):
        reader.read()
    _delegate(store, "keeper", "example.test", "settings", server_rights="config", mb=100)
    keeper = store.for_admin("keeper").setting_sheets
    assert keeper.read().level == "server"  # the server permission "config"
    errors = keeper.apply({IDLE: "5m", "quota.storage_bytes": "1G"}, account="bob@example.test")
    assert list(errors) == ["quota.storage_bytes"] and "mailbox size limit" in errors["quota.storage_bytes"]
    assert store.settings.explicit(account="bob@example.test") == {}  # rolled back, IDLE too
    assert keeper.apply({"quota.storage_bytes": "100M"}, account="bob@example.test") == {}
