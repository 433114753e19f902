"""What a user may change about their own account through ``store.for_user(id).preferences``: only the
allow-listed settings, their sender lists, their password (old one required), and what they see of their
quota. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from storage.errors import AuthFailed, InvalidInput, NotFound, PermissionDenied, Throttled
from storage.preferences import MAX_LIST_ENTRIES, USER_SETTINGS
from tests.storage.conftest import Demo

ALICE = "alice@example.test"


def test_user_settings_are_set_at_account_level_and_inherit_otherwise(demo: Demo) -> None:
    st = demo.store
    prefs = st.for_user(demo.alice.id).preferences
    st.settings.set("webmail.skin", "collwater", domain="example.test")
    assert prefs.get()["webmail.skin"] == "collwater"
    assert prefs.set("webmail.skin", "webreflection") == "webreflection"
    assert prefs.set("user.timezone", "Europe/Paris") == "Europe/Paris"
    assert prefs.set("user.language", "pt-BR") == "pt-BR"
    assert prefs.set_signature("*", "-- \nAlice") == {"*": "-- \nAlice"}
    assert prefs.set_signature(ALICE, "Alice, at work") == {"*": "-- \nAlice", ALICE: "Alice, at work"}
    assert prefs.get() == {
        "webmail.skin": "webreflection",
        "user.timezone": "Europe/Paris",
        "user.language": "pt-BR",
        "webmail.signatures": '{"*": "-- \\nAlice", "alice@example.test": "Alice, at work"}',
    }
    assert st.settings.get("webmail.skin", account="bob@example.test") == "collwater"  # bob untouched
    prefs.reset("webmail.skin")
    assert prefs.get()["webmail.skin"] == "collwater"
    assert set(prefs.get()) == set(USER_SETTINGS)


@pytest.mark.parametrize(
    "name",
    ["quota.storage_bytes", "services.imap", "lists.blocked_senders", "auth.password_min_length", "nope"],
)
def test_admin_settings_are_refused(demo: Demo, name: str) -> None:
    prefs = demo.store.for_user(demo.alice.id).preferences
    with pytest.raises(PermissionDenied):
        prefs.set(name, 1)
    with pytest.raises(PermissionDenied):
        prefs.reset(name)
    assert demo.store.settings.explicit(account=ALICE) == {}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("user.timezone", "Mars/Olympus"),
        ("user.timezone", "../../etc/passwd"),
        ("user.language", "english please"),
        ("webmail.skin", "neon"),
        ("webmail.signatures", '{"*": "' + "x" * 4001 + '"}'),
        ("webmail.signatures", '["not", "an", "object"]'),
    ],
)
def test_bad_values_are_refused(demo: Demo, name: str, value: str) -> None:
    with pytest.raises(InvalidInput):
        demo.store.for_user(demo.alice.id).preferences.set(name, value)


def test_signatures_only_for_addresses_the_user_sends_as(demo: Demo) -> None:
    prefs = demo.store.for_user(demo.alice.id).preferences
    with pytest.raises(InvalidInput):
        prefs.set_signature("bob@example.test", "not mine")
    prefs.set_signature("*", "x")
    assert prefs.set_signature("*", "") == {}


def test_sender_lists_are_checked_normalised_and_used_by_filters(demo: Demo) -> None:
    from filters.lists import trusted

    prefs = demo.store.for_user(demo.alice.id).preferences
    stored = prefs.set_sender_list(
        "lists.blocked_senders",
        ["Pest@Far.example", " spam.example ", "*@*.bulk.example", "pest@far.example"],
    )
    assert stored == ("pest@far.example", "spam.example", "*@*.bulk.example")
    assert prefs.sender_list("lists.blocked_senders") == stored
    prefs.set_sender_list("lists.safe_senders", ["mum@family.example", "news-?@shop.example"])
    assert trusted(demo.store, ["news-1@shop.example"], demo.alice.id)
    assert not trusted(demo.store, ["x@spam.example"], demo.alice.id)
    assert not trusted(demo.store, ["news-1@shop.example"], demo.bob.id)
    assert prefs.set_sender_list("lists.safe_senders", []) == ()


@pytest.mark.parametrize("entry", ["two words@x.example", "a,b@x.example", "@", "nodot", "a@", "x" * 321])
def test_bad_sender_entries_are_refused(demo: Demo, entry: str) -> None:
    prefs = demo.store.for_user(demo.alice.id).preferences
    with pytest.raises(InvalidInput):
        prefs.set_sender_list("lists.blocked_senders", ["ok@x.example", entry])
    assert prefs.sender_list("lists.blocked_senders") == ()


def test_sender_lists_have_a_size_limit_and_only_two_names(demo: Demo) -> None:
    prefs = demo.store.for_user(demo.alice.id).preferences
    with pytest.raises(InvalidInput):
        prefs.set_sender_list("lists.safe_senders", [f"u{i}@x.example" for i in range(MAX_LIST_ENTRIES + 1)])
    with pytest.raises(PermissionDenied):
        prefs.set_sender_list("lists.server_blacklist", ["x@y.example"])


def test_quota_meter_and_warning_levels(demo: Demo, make_message) -> None:  # type: ignore[no-untyped-def]
    st = demo.store
    prefs = st.for_user(demo.alice.id).preferences
    meter = prefs.quota()
    assert (meter.limit_bytes, meter.percent, meter.warning, meter.over) == (0, 0, None, False)
    raw = make_message(body="x" * 2000)
    st.mail.deliver(raw, [ALICE])
    used = prefs.quota().used_bytes
    assert used >= len(raw)
    st.settings.set("quota.storage_bytes", used * 100 // 85, account=ALICE)
    meter = prefs.quota()
    assert meter.percent in (84, 85) or meter.percent >= 80
    assert meter.warning == 80 and not meter.over
    st.settings.set("quota.messages", 1, account=ALICE)
    meter = prefs.quota()
    assert meter.percent == 100 and meter.warning == 95 and meter.over


def test_password_change_needs_the_old_one_and_the_policy(demo: Demo) -> None:
    st = demo.store
    prefs = st.for_user(demo.alice.id).preferences
    assert st.auth.verify(ALICE, "pass-alice").id == demo.alice.id  # now cached in this process
    with pytest.raises(AuthFailed):
        prefs.change_password("wrong", "a-long-new-password")
    with pytest.raises(InvalidInput, match="at least 8"):
        prefs.change_password("pass-alice", "short")
    with pytest.raises(InvalidInput):
        prefs.change_password("pass-alice", "pass-alice")
    with pytest.raises(InvalidInput):
        prefs.change_password("pass-alice", "Alice@Example.test")
    generation = st.accounts.by_id(demo.alice.id).password_generation
    prefs.change_password("pass-alice", "a-long-new-password")
    assert st.accounts.by_id(demo.alice.id).password_generation == generation + 1
    with pytest.raises(AuthFailed):
        st.auth.verify(ALICE, "pass-alice")  # the cache forgot the old one
    assert st.auth.verify(ALICE, "a-long-new-password").id == demo.alice.id


def test_the_domain_policy_applies(demo: Demo) -> None:
    demo.store.settings.set("auth.password_min_length", 20, domain="example.test")
    with pytest.raises(InvalidInput, match="at least 20"):
        demo.store.for_user(demo.alice.id).preferences.change_password("pass-alice", "only-nineteen-chars")


def test_wrong_old_passwords_are_throttled_like_logins(demo: Demo) -> None:
    st = demo.store
    prefs = st.for_user(demo.alice.id).preferences
    for _ in range(3):  # auth.free_failures
        with pytest.raises(AuthFailed):
            prefs.change_password("guess", "a-long-new-password")
    with pytest.raises((AuthFailed, Throttled)):
        prefs.change_password("guess", "a-long-new-password")
    with pytest.raises(Throttled):
        prefs.change_password("pass-alice", "a-long-new-password")


def test_profile_names_the_account_domain_and_aliases(demo: Demo) -> None:
    st = demo.store
    st.domains.add_alias("example.test", "example.org")
    st.accounts.add_alias(ALICE, "al@example.test")
    profile = st.for_user(demo.alice.id).preferences.profile()
    assert (profile.address, profile.domain) == (ALICE, "example.test")
    assert profile.domain_aliases == ("example.org",) and profile.aliases == ("al@example.test",)


def test_a_deleted_account_has_no_preferences(demo: Demo) -> None:
    prefs = demo.store.for_user(demo.carol.id).preferences
    demo.store.accounts.delete("carol@example.test")
    with pytest.raises(NotFound):
        prefs.set("webmail.skin", "classic")
    with pytest.raises(NotFound):
        prefs.quota()
