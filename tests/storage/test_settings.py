"""The settings registry: validation, level inheritance, storage on both backends, generated docs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, insert

from storage import schema as s
from storage import settings as st
from storage.db import Database
from storage.errors import InvalidInput, NotFound

NOW = datetime(2025, 1, 1, tzinfo=UTC)
MiB = 1024 * 1024


class World:
    def __init__(self, conn: Connection) -> None:
        def new(table: s.Table, **row: object) -> int:
            return int(conn.execute(insert(table).values(**row)).inserted_primary_key[0])

        self.domain = new(s.domains, name="example.test", created_at=NOW)
        self.other_domain = new(s.domains, name="other.test", created_at=NOW)
        self.staff = new(s.account_classes, domain_id=self.domain, name="staff")
        self.alice = new(
            s.accounts, domain_id=self.domain, local_part="alice", account_class_id=self.staff, created_at=NOW
        )
        self.bob = new(s.accounts, domain_id=self.domain, local_part="bob", created_at=NOW)
        self.carol = new(s.accounts, domain_id=self.other_domain, local_part="carol", created_at=NOW)


@pytest.fixture
def conn(db: Database) -> Iterator[Connection]:
    with db.write() as connection:
        yield connection


@pytest.fixture
def w(conn: Connection) -> World:
    return World(conn)


# -- registry and validation (pure)


def test_registry_has_the_foundation_settings() -> None:
    for name in (
        "quota.storage_bytes",
        "quota.messages",
        "quota.folders",
        "quota.warn_percent",
        "auth.cache_seconds",
        "auth.free_failures",
        "auth.max_delay_seconds",
        "auth.lockout_failures",
        "auth.allow_cram",
        "auth.scram_iterations",
        "services.imap",
        "services.pop3",
        "services.smtp",
        "services.webmail",
        "mail.max_message_bytes",
        "server.hostname",
        "changes.retention_seconds",
        *(
            f"log.level.{svc}"
            for svc in ("smtp", "imap", "pop3", "ftp", "processing", "web", "cli", "rpop", "logd")
        ),
    ):
        assert name in st.REGISTRY, name
    assert st.get("mail.max_message_bytes").default == 50 * MiB
    assert st.get("auth.cache_seconds").default == 300
    assert st.get("auth.allow_cram").default is False
    assert st.get("auth.scram_iterations").default == 4096
    assert st.get("log.level.imap").levels == {"server"}
    assert st.get("services.imap").levels == set(st.LEVELS)
    assert all(setting.help.endswith(".") for setting in st.REGISTRY.values())
    with pytest.raises(NotFound):
        st.get("no.such.setting")


def test_settings_for_level() -> None:
    account_level = {setting.name for setting in st.settings_for_level("account")}
    assert "services.imap" in account_level and "log.level.smtp" not in account_level
    server_level = {setting.name for setting in st.settings_for_level("server")}
    # a user's own sender lists, trusted image senders and signatures exist only on the account;
    # everything else has a server-wide value
    assert set(st.REGISTRY) - server_level == {
        "lists.blocked_senders",
        "lists.safe_senders",
        "webmail.trusted_image_senders",
        "webmail.signatures",
    }
    assert {"lists.blocked_senders", "lists.safe_senders"} <= account_level


@pytest.mark.parametrize(
    ("name", "typed", "stored"),
    [
        ("quota.storage_bytes", "10M", 10 * MiB),
        ("quota.storage_bytes", "1G", 1024 * MiB),
        ("quota.storage_bytes", "512k", 512 * 1024),
        ("quota.storage_bytes", "2MiB", 2 * MiB),
        ("quota.storage_bytes", "1.5G", 1536 * MiB),
        ("quota.storage_bytes", "4096", 4096),
        ("quota.storage_bytes", 0, 0),
        ("auth.cache_seconds", "5m", 300),
        ("auth.cache_seconds", "2h", 7200),
        ("auth.cache_seconds", "1h30m", 5400),
        ("auth.cache_seconds", "45", 45),
        ("auth.cache_seconds", 60, 60),
        ("auth.allow_cram", "yes", True),
        ("auth.allow_cram", "No", False),
        ("auth.allow_cram", "true", True),
        ("auth.allow_cram", "off", False),
        ("auth.allow_cram", True, True),
        ("webmail.interface", "Standard", "standard"),
        ("quota.warn_percent", "70, 90,99", [70, 90, 99]),
        ("quota.warn_percent", (50,), [50]),
        ("quota.warn_percent", "", []),
        ("log.level.smtp", "31", 31),
        ("server.hostname", "mail.example.test", "mail.example.test"),
    ],
)
def test_validate_converts(name: str, typed: object, stored: object) -> None:
    assert st.validate(name, typed) == stored


@pytest.mark.parametrize(
    ("name", "bad", "says"),
    [
        ("quota.storage_bytes", "ten megs", "not a size"),
        ("quota.storage_bytes", -1, "below the minimum 0"),
        ("mail.max_message_bytes", "3G", "above the maximum 2G"),
        ("auth.cache_seconds", "5 minutes", "not a duration"),
        ("auth.cache_seconds", "2d", "above the maximum 1d"),
        ("auth.allow_cram", "maybe", "expected yes/no"),
        ("auth.allow_cram", 2, "expected yes/no"),
        ("webmail.interface", "fancy", "not one of ajax, standard, mobile"),
        ("log.level.imap", 32, "above the maximum 31"),
        ("log.level.imap", "x", "not a whole number"),
        ("log.level.imap", True, "expected a number"),
        ("auth.scram_iterations", 1000, "below the minimum 4096"),
        ("quota.warn_percent", "80, 120", "above the maximum 100"),
        ("quota.warn_percent", 80, "expected a list"),
        ("server.hostname", "x" * 300, "at most 253 characters"),
    ],
)
def test_validate_refuses(name: str, bad: object, says: str) -> None:
    with pytest.raises(InvalidInput) as info:
        st.validate(name, bad)
    assert name in str(info.value) and says in str(info.value)


def test_format_value_round_trips() -> None:
    for setting in st.REGISTRY.values():
        assert st.validate(setting.name, st.format_value(setting.name, setting.default)) == st.validate(
            setting.name, setting.default
        )
    assert st.format_value("mail.max_message_bytes", 50 * MiB) == "50M"
    assert st.format_value("auth.cache_seconds", 5400) == "90m"
    assert st.format_value("quota.warn_percent", [80, 95]) == "80, 95"


def test_resolve_prefers_the_most_specific_level() -> None:
    name = "quota.messages"
    assert st.resolve(name, {}) == 0
    assert st.resolve(name, {"server": 1}) == 1
    assert st.resolve(name, {"server": 1, "domain": 2}) == 2
    assert st.resolve(name, {"server": 1, "domain": 2, "class": 3}) == 3
    assert st.resolve(name, {"server": 1, "domain": 2, "class": 3, "account": 4}) == 4
    assert st.resolve(name, {"server": 1, "account": 4}) == 4
    assert st.resolve("log.level.smtp", {"server": 7, "account": 31}) == 7  # level not allowed: ignored
    assert st.resolve("quota.warn_percent", {}) == [80, 95]


def test_docs_list_every_setting() -> None:
    doc = st.docs_markdown()
    for name, setting in st.REGISTRY.items():
        assert f"`{name}`" in doc
        assert setting.help in doc
    assert "| `mail.max_message_bytes` | bytes | `50M` |" in doc


# -- stored values


def test_inheritance_server_domain_class_account(conn: Connection, w: World) -> None:
    name = "quota.storage_bytes"
    assert st.effective(conn, name, account_id=w.alice) == 0
    st.set_value(conn, name, "server", 0, "1G")
    assert st.effective(conn, name, account_id=w.alice) == 1024 * MiB
    assert st.effective(conn, name) == 1024 * MiB
    assert st.set_value(conn, name, "domain", w.domain, "500M") == 500 * MiB
    assert st.effective(conn, name, account_id=w.alice) == 500 * MiB
    assert st.effective(conn, name, domain_id=w.domain) == 500 * MiB
    assert st.effective(conn, name, account_id=w.carol) == 1024 * MiB  # other domain
    st.set_value(conn, name, "class", w.staff, "200M")
    assert st.effective(conn, name, account_id=w.alice) == 200 * MiB
    assert st.effective(conn, name, account_id=w.bob) == 500 * MiB  # no class
    st.set_value(conn, name, "account", w.alice, "100M")
    assert st.effective(conn, name, account_id=w.alice) == 100 * MiB
    assert st.values_by_level(conn, name, account_id=w.alice) == {
        "server": 1024 * MiB,
        "domain": 500 * MiB,
        "class": 200 * MiB,
        "account": 100 * MiB,
    }
    # clearing falls back one level at a time
    assert st.clear_value(conn, name, "account", w.alice) is True
    assert st.clear_value(conn, name, "account", w.alice) is False
    assert st.effective(conn, name, account_id=w.alice) == 200 * MiB
    st.clear_value(conn, name, "class", w.staff)
    assert st.effective(conn, name, account_id=w.alice) == 500 * MiB
    st.clear_value(conn, name, "domain", w.domain)
    assert st.effective(conn, name, account_id=w.alice) == 1024 * MiB
    st.clear_value(conn, name, "server", 0)
    assert st.effective(conn, name, account_id=w.alice) == 0


def test_set_value_replaces_and_effective_many(conn: Connection, w: World) -> None:
    st.set_value(conn, "services.imap", "account", w.bob, "no")
    st.set_value(conn, "services.imap", "account", w.bob, "yes")
    st.set_value(conn, "services.pop3", "domain", w.domain, False)
    st.set_value(conn, "quota.warn_percent", "class", w.staff, "50, 75")
    names = ["services.imap", "services.pop3", "services.smtp", "quota.warn_percent"]
    assert st.effective_many(conn, names, account_id=w.bob) == {
        "services.imap": True,
        "services.pop3": False,
        "services.smtp": True,
        "quota.warn_percent": [80, 95],
    }
    assert st.effective_many(conn, names, account_id=w.alice)["quota.warn_percent"] == [50, 75]
    assert st.explicit_values(conn, "account", w.bob) == {"services.imap": True}
    assert st.explicit_values(conn, "class", w.staff) == {"quota.warn_percent": [50, 75]}
    assert st.explicit_values(conn, "server", 0) == {}


def test_set_value_refuses(conn: Connection, w: World) -> None:
    with pytest.raises(InvalidInput, match="cannot be set at account level"):
        st.set_value(conn, "log.level.imap", "account", w.alice, 31)
    with pytest.raises(InvalidInput, match="cannot be set at domain level"):
        st.set_value(conn, "server.hostname", "domain", w.domain, "x.test")
    with pytest.raises(InvalidInput, match="unknown settings level"):
        st.set_value(conn, "quota.messages", "galaxy", 0, 1)
    with pytest.raises(InvalidInput, match="scope id 0"):
        st.set_value(conn, "quota.messages", "server", 5, 1)
    with pytest.raises(NotFound):
        st.set_value(conn, "quota.messages", "account", 99999, 1)
    with pytest.raises(NotFound):
        st.set_value(conn, "quota.messages", "class", 99999, 1)
    with pytest.raises(NotFound):
        st.set_value(conn, "no.such", "server", 0, 1)
    with pytest.raises(InvalidInput, match="below the minimum"):
        st.set_value(conn, "quota.messages", "server", 0, -5)
    with pytest.raises(NotFound):
        st.effective(conn, "quota.messages", account_id=99999)
    with pytest.raises(InvalidInput):
        st.effective(conn, "quota.messages", account_id=w.alice, domain_id=w.other_domain)
    assert st.explicit_values(conn, "server", 0) == {}


def test_stale_stored_value_counts_as_unset(conn: Connection, w: World) -> None:
    conn.execute(
        insert(s.setting_values).values(level="account", scope_id=w.bob, name="log.level.imap", value="7")
    )
    conn.execute(
        insert(s.setting_values).values(level="server", scope_id=0, name="quota.messages", value='"lots"')
    )
    conn.execute(insert(s.setting_values).values(level="server", scope_id=0, name="retired.thing", value="1"))
    assert st.effective(conn, "log.level.imap", account_id=w.bob) == 15
    assert st.effective(conn, "quota.messages", account_id=w.bob) == 0
    assert st.explicit_values(conn, "server", 0) == {"quota.messages": "lots", "retired.thing": 1}
