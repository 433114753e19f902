"""Settings through the Store: server -> domain -> account class -> account inheritance, clearing, and
validation errors that name the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.errors import InvalidInput, NotFound
from storage.store import open_store
from tests.storage.conftest import Demo

ALICE = "alice@example.test"
BOB = "bob@example.test"
CAROL = "carol@example.test"
LANG = "user.language"


@pytest.fixture
def classy(demo: Demo) -> Demo:
    demo.store.accounts.add_class("example.test", "staff")
    demo.store.accounts.set_class(ALICE, "staff")
    demo.store.accounts.set_class(BOB, "staff")
    return demo


def test_each_level_overrides_the_more_general_one(classy: Demo) -> None:
    st = classy.store.settings
    assert st.get(LANG, account=ALICE) == "en"  # registry default
    st.set(LANG, "de")
    assert st.get(LANG) == "de"
    assert st.get(LANG, domain="example.test") == "de"
    assert st.get(LANG, account=ALICE) == "de"
    st.set(LANG, "fr", domain="example.test")
    assert st.get(LANG) == "de"
    assert st.get(LANG, account=CAROL) == "fr"
    st.set(LANG, "it", domain="example.test", account_class="staff")
    assert st.get(LANG, account=ALICE) == "it"
    assert st.get(LANG, account=BOB) == "it"
    assert st.get(LANG, account=CAROL) == "fr"  # not in the class
    assert st.get(LANG, domain="example.test") == "fr"
    st.set(LANG, "es", account=ALICE)
    assert st.get(LANG, account=ALICE) == "es"
    assert st.get(LANG, account=BOB) == "it"


def test_effective_many_reads_several_settings_without_a_connection(classy: Demo) -> None:
    store = classy.store
    st = store.settings
    st.set(LANG, "fr", domain="example.test")
    st.set(LANG, "es", account=ALICE)
    st.set("quota.messages", 7, domain="example.test")
    names = (LANG, "quota.messages")
    assert st.effective_many(names) == {LANG: "en", "quota.messages": 0}
    domain_id = store.domains.get("example.test").id
    assert st.effective_many(names, domain_id=domain_id) == {LANG: "fr", "quota.messages": 7}
    assert st.effective_many(names, domain="example.test") == {LANG: "fr", "quota.messages": 7}
    with pytest.raises(NotFound):
        st.effective_many(names, domain="elsewhere.test")
    alice_id = store.accounts.get(ALICE).id
    assert st.effective_many(names, account_id=alice_id) == {LANG: "es", "quota.messages": 7}


def test_on_for_any_domain_follows_each_domain_and_the_server(demo: Demo) -> None:
    st = demo.store.settings
    cram = "auth.allow_cram"
    demo.store.domains.add("other.test")
    assert not st.on_for_any_domain(cram)  # off by default everywhere
    st.set(cram, True, domain="other.test")
    assert st.on_for_any_domain(cram)
    st.set(cram, False, domain="other.test")
    st.set(cram, True)  # the server's value reaches every domain that does not say otherwise
    assert st.on_for_any_domain(cram)
    st.set(cram, False, domain="example.test")
    assert not st.on_for_any_domain(cram)  # both domains say off
    with pytest.raises(NotFound):
        st.on_for_any_domain("no.such.setting")


def test_for_connection_reads_server_values_and_any_domain_switches(demo: Demo) -> None:
    st = demo.store.settings
    demo.store.domains.add("other.test")
    names, cram = ["imap.allow_plaintext_auth"], ["auth.allow_cram"]
    assert st.for_connection(names, cram) == {"imap.allow_plaintext_auth": False, "auth.allow_cram": False}
    st.set("imap.allow_plaintext_auth", True)
    st.set("auth.allow_cram", True, domain="other.test")
    assert st.for_connection(names, cram) == {"imap.allow_plaintext_auth": True, "auth.allow_cram": True}
    st.set("auth.allow_cram", True)
    st.set("auth.allow_cram", False, domain="other.test")  # example.test still takes the server's value
    assert st.for_connection([], cram) == {"auth.allow_cram": True}
    with pytest.raises(NotFound):
        st.for_connection(["no.such.setting"])


def test_clear_falls_back_level_by_level(classy: Demo) -> None:
    st = classy.store.settings
    st.set(LANG, "de")
    st.set(LANG, "fr", domain="example.test")
    st.set(LANG, "it", domain="example.test", account_class="staff")
    st.set(LANG, "es", account=ALICE)
    assert st.clear(LANG, account=ALICE)
    assert st.get(LANG, account=ALICE) == "it"
    assert st.clear(LANG, domain="example.test", account_class="staff")
    assert st.get(LANG, account=ALICE) == "fr"
    assert st.clear(LANG, domain="example.test")
    assert st.get(LANG, account=ALICE) == "de"
    assert st.clear(LANG)
    assert st.get(LANG, account=ALICE) == "en"
    assert not st.clear(LANG)  # nothing left to clear


def test_changing_class_changes_effective_value(classy: Demo) -> None:
    store = classy.store
    store.accounts.add_class("example.test", "interns")
    store.settings.set("quota.messages", 100, domain="example.test", account_class="staff")
    store.settings.set("quota.messages", 10, domain="example.test", account_class="interns")
    assert store.settings.get("quota.messages", account=ALICE) == 100
    store.accounts.set_class(ALICE, "interns")
    assert store.settings.get("quota.messages", account=ALICE) == 10
    store.accounts.set_class(ALICE, None)
    assert store.settings.get("quota.messages", account=ALICE) == 0


def test_values_are_per_domain_and_per_account(classy: Demo) -> None:
    store = classy.store
    store.domains.add("other.test")
    store.accounts.add("olga@other.test", None)
    store.settings.set("webmail.skin", "collwater", domain="example.test")
    assert store.settings.get("webmail.skin", account="olga@other.test") == "classic"
    store.settings.set("user.timezone", "Europe/Paris", account=ALICE)
    assert store.settings.get("user.timezone", account=BOB) == "UTC"
    assert store.settings.explicit(account=ALICE) == {"user.timezone": "Europe/Paris"}
    assert store.settings.explicit(domain="example.test") == {"webmail.skin": "collwater"}


def test_typed_values_are_converted(demo: Demo) -> None:
    st = demo.store.settings
    assert st.set("quota.storage_bytes", "10M", account=ALICE) == 10 * 1024 * 1024
    assert st.get("quota.storage_bytes", account=ALICE) == 10 * 1024 * 1024
    assert demo.store.accounts.get(ALICE).quota_bytes == 10 * 1024 * 1024
    assert st.set("services.imap", "no", account=ALICE) is False
    assert st.get("services.imap", account=ALICE) is False
    assert st.set("web.session_idle_seconds", "1h30m") == 5400
    assert st.set("quota.warn_percent", "70, 90", domain="example.test") == [70, 90]
    assert st.get("quota.warn_percent", account=BOB) == [70, 90]
    assert st.set("webmail.interface", "STANDARD", account=BOB) == "standard"


INVALID = [
    ("quota.storage_bytes", "lots"),
    ("quota.storage_bytes", -5),
    ("quota.messages", "12.5x"),
    ("services.imap", "maybe"),
    ("webmail.interface", "fancy"),
    ("web.session_idle_seconds", 10),
    ("quota.warn_percent", "50, 150"),
    ("user.language", "x"),
]


def test_invalid_values_refused_naming_the_setting(demo: Demo) -> None:
    st = demo.store.settings
    for name, value in INVALID:
        before = st.get(name, account=ALICE)
        with pytest.raises(InvalidInput) as info:
            st.set(name, value, account=ALICE)
        assert name in str(info.value), (name, value)
        assert st.get(name, account=ALICE) == before
    assert st.explicit(account=ALICE) == {}


def test_setting_at_a_level_it_does_not_allow(demo: Demo) -> None:
    st = demo.store.settings
    with pytest.raises(InvalidInput) as info:
        st.set("auth.cache_seconds", 10, account=ALICE)
    assert "auth.cache_seconds" in str(info.value)
    with pytest.raises(InvalidInput):
        st.set("auth.allow_cram", True, account=ALICE)
    assert st.get("auth.allow_cram", domain="example.test") is False


def test_unknown_setting_and_scopes(demo: Demo) -> None:
    st = demo.store.settings
    with pytest.raises(NotFound):
        st.set("no.such.setting", 1)
    with pytest.raises(NotFound):
        st.get("no.such.setting")
    with pytest.raises(NotFound):
        st.set(LANG, "de", account="ghost@example.test")
    with pytest.raises(NotFound):
        st.set(LANG, "de", domain="missing.test")
    with pytest.raises(NotFound):
        st.set(LANG, "de", domain="example.test", account_class="nope")
    with pytest.raises(InvalidInput):
        st.set(LANG, "de", account_class="staff")  # a class is named with its domain


def test_settings_apply_live_across_store_instances(demo: Demo, store_url: str, blob_dir: Path) -> None:
    other = open_store(store_url, blob_dir)
    try:
        assert other.settings.get(LANG, account=ALICE) == "en"
        demo.store.settings.set(LANG, "nl", domain="example.test")
        assert other.settings.get(LANG, account=ALICE) == "nl"
    finally:
        other.close()


def test_domain_rename_keeps_its_settings(demo: Demo) -> None:
    store = demo.store
    store.settings.set(LANG, "pt", domain="example.test")
    store.domains.rename("example.test", "renamed.test")
    assert store.settings.get(LANG, account="alice@renamed.test") == "pt"
    assert store.settings.get(LANG, domain="renamed.test") == "pt"


def test_the_account_list_reads_each_quota_as_one_lookup_would(classy: Demo) -> None:
    """``accounts.list`` resolves the mailbox size of every account in bulk; each level of the chain
    (server, domain, class, account) and an alias must come out exactly as ``accounts.get`` says."""
    store = classy.store
    st = store.settings
    st.set("quota.storage_bytes", 10_000_000)
    st.set("quota.storage_bytes", 20_000_000, domain="example.test", account_class="staff")
    st.set("quota.storage_bytes", 30_000_000, account=BOB)
    store.accounts.add_alias(ALICE, "ally@example.test")
    listed = {a.address: a for a in store.accounts.list("example.test")}
    assert listed[ALICE].quota_bytes == 20_000_000  # from the class
    assert listed[BOB].quota_bytes == 30_000_000  # its own value beats the class
    assert listed[CAROL].quota_bytes == 10_000_000  # the server's
    assert listed[ALICE].aliases == ("ally@example.test",)
    for address, account in listed.items():
        assert account == store.accounts.get(address)
    assert [a.address for a in store.accounts.list()] == sorted(
        (a.address for a in store.accounts.list()), key=lambda x: (x.split("@")[1], x.split("@")[0])
    )
