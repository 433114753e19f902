"""Domains, accounts, aliases, postmaster, groups, forwarders and account classes, as an administrator and
the MTA see them."""

from __future__ import annotations

import pytest

from storage.errors import AlreadyExists, AuthFailed, InvalidInput, NotFound
from storage.models import DeliveryProblem
from storage.store import Store
from tests.storage.conftest import Demo, build_message

ALICE = "alice@example.test"
BOB = "bob@example.test"
CAROL = "carol@example.test"


def inbox_uids(store: Store, address: str) -> list[int]:
    return store.mail.uids(store.folders.get(address, "INBOX").id)


# -- domains ------------------------------------------------------------------------------------------


def test_domain_add_list_get(store: Store) -> None:
    assert store.domains.list() == []
    d = store.domains.add("Example.TEST")
    assert d.name == "example.test" and d.enabled
    store.domains.add("beta.test")
    assert [x.name for x in store.domains.list()] == ["beta.test", "example.test"]
    assert store.domains.get("EXAMPLE.test").id == d.id
    with pytest.raises(AlreadyExists):
        store.domains.add("example.test")
    with pytest.raises(NotFound):
        store.domains.get("missing.test")


def test_domain_invalid_name(store: Store) -> None:
    for bad in ["", "nodot", "-bad.test", "a..b", "sp ace.test", "x" * 64 + ".test"]:
        with pytest.raises(InvalidInput):
            store.domains.add(bad)
    assert store.domains.list() == []


def test_postmaster_created_with_domain_and_not_deletable_alone(store: Store) -> None:
    store.domains.add("example.test")
    pm = store.accounts.get("postmaster@example.test")
    assert pm.address == "postmaster@example.test"
    assert store.domains.get("example.test").account_count == 1
    with pytest.raises(InvalidInput):
        store.accounts.delete("postmaster@example.test")
    assert store.accounts.get("postmaster@example.test").id == pm.id
    r = store.mail.deliver(build_message(), ["postmaster@example.test"])
    assert "postmaster@example.test" in r.delivered


def test_domain_rename_addresses_follow(demo: Demo) -> None:
    store = demo.store
    fid, uid = store.mail.deliver(build_message(), [ALICE]).delivered[ALICE]
    renamed = store.domains.rename("example.test", "new.name")
    assert renamed.id == demo.domain.id and renamed.name == "new.name"
    assert store.accounts.get("alice@new.name").id == demo.alice.id
    assert store.accounts.get("alice@new.name").address == "alice@new.name"
    assert store.auth.verify("alice@new.name", "pass-alice").id == demo.alice.id
    assert store.mail.uids(store.folders.get("alice@new.name", "INBOX").id) == [uid]
    r = store.mail.deliver(build_message(), ["bob@new.name"])
    assert "bob@new.name" in r.delivered

    with pytest.raises(NotFound):
        store.accounts.get(ALICE)
    with pytest.raises(NotFound):
        store.domains.get("example.test")
    with pytest.raises(AuthFailed):
        store.auth.verify(ALICE, "pass-alice")
    r = store.mail.deliver(build_message(), [ALICE])
    assert ALICE not in r.delivered  # no longer local: not delivered to alice
    assert [d.name for d in store.domains.list()] == ["new.name"]


def test_domain_rename_to_taken_name_refused(demo: Demo) -> None:
    demo.store.domains.add("other.test")
    with pytest.raises(AlreadyExists):
        demo.store.domains.rename("example.test", "other.test")
    demo.store.domains.add_alias("example.test", "alias.test")
    with pytest.raises(AlreadyExists):
        demo.store.domains.rename("other.test", "alias.test")


def test_domain_alias_resolves_to_same_accounts(demo: Demo) -> None:
    store = demo.store
    store.domains.add_alias("example.test", "alias.test")
    assert store.domains.get("example.test").aliases == ("alias.test",)
    assert store.accounts.get("alice@alias.test").id == demo.alice.id
    r = store.mail.deliver(build_message(), ["alice@alias.test"])
    assert "alice@alias.test" in r.delivered
    assert r.delivered["alice@alias.test"][0] == store.folders.get(ALICE, "INBOX").id
    assert len(inbox_uids(store, ALICE)) == 1
    assert store.auth.verify("alice@alias.test", "pass-alice").id == demo.alice.id
    with pytest.raises(AlreadyExists):
        store.domains.add("alias.test")
    store.domains.remove_alias("example.test", "alias.test")
    with pytest.raises(NotFound):
        store.accounts.get("alice@alias.test")


def test_domain_id_by_name_follows_aliases_and_tells_domains_apart(demo: Demo) -> None:
    store = demo.store
    store.domains.add_alias("example.test", "alias.test")
    other = store.domains.add("other.test")
    assert store.domains.id_by_name("example.test") == demo.domain.id
    assert store.domains.id_by_name("Alias.TEST") == demo.domain.id
    assert store.domains.id_by_name("other.test") == other.id != demo.domain.id
    with pytest.raises(NotFound):
        store.domains.id_by_name("elsewhere.test")
    with pytest.raises(InvalidInput):
        store.domains.id_by_name("not a domain")
    store.domains.remove_alias("example.test", "alias.test")
    with pytest.raises(NotFound):
        store.domains.id_by_name("alias.test")


def test_domain_delete_removes_everything(demo: Demo) -> None:
    store = demo.store
    raw = build_message()
    store.mail.deliver(raw, [ALICE, BOB])
    store.domains.add("keep.test")
    store.accounts.add("dave@keep.test", None)
    store.mail.deliver(build_message(), ["dave@keep.test"])
    store.domains.delete("example.test")
    assert [d.name for d in store.domains.list()] == ["keep.test"]
    with pytest.raises(NotFound):
        store.accounts.get(ALICE)
    assert [a.address for a in store.accounts.list()] == ["dave@keep.test", "postmaster@keep.test"]
    store.mail.collect_garbage()
    assert store.stats()["blobs"] == 1 and len(list(store.blobs)) == 1
    assert store.stats()["messages"] == 1
    assert store.check().ok, store.check().problems


def test_disabled_domain_refuses_logins(demo: Demo) -> None:
    demo.store.domains.set_enabled("example.test", False)
    with pytest.raises(AuthFailed):
        demo.store.auth.verify(ALICE, "pass-alice")
    demo.store.domains.set_enabled("example.test", True)
    assert demo.store.auth.verify(ALICE, "pass-alice").id == demo.alice.id


# -- accounts -----------------------------------------------------------------------------------------


def test_account_add_get_list(demo: Demo) -> None:
    store = demo.store
    a = store.accounts.add("Dave@Example.Test", None, display_name="Dave D.")
    assert a.address == "dave@example.test" and a.display_name == "Dave D." and a.enabled
    assert (a.used_bytes, a.message_count) == (0, 0)
    assert store.accounts.get("DAVE@example.test").id == a.id
    assert store.accounts.by_id(a.id).address == "dave@example.test"
    assert [x.address for x in store.accounts.list("example.test")] == [
        ALICE,
        BOB,
        CAROL,
        "dave@example.test",
        "postmaster@example.test",
    ]


def test_account_duplicate_refused(demo: Demo) -> None:
    with pytest.raises(AlreadyExists):
        demo.store.accounts.add(ALICE, None)
    with pytest.raises(AlreadyExists):
        demo.store.accounts.add("ALICE@example.test", "pw")
    demo.store.groups.add("team@example.test")
    with pytest.raises(AlreadyExists):
        demo.store.accounts.add("team@example.test", None)


def test_account_invalid_address(demo: Demo) -> None:
    for bad in ["no-at-sign", "two@@example.test", "a b@example.test", "@example.test", "x@", "x@nodot"]:
        with pytest.raises(InvalidInput):
            demo.store.accounts.add(bad, None)
    assert len(demo.store.accounts.list()) == 4


def test_account_in_unknown_domain(store: Store) -> None:
    with pytest.raises(NotFound):
        store.accounts.add("someone@nowhere.test", None)


def test_account_empty_password_refused(demo: Demo) -> None:
    with pytest.raises(InvalidInput):
        demo.store.accounts.add("dave@example.test", "")


def test_account_delete_removes_mail_and_releases_blobs(demo: Demo) -> None:
    store = demo.store
    shared = build_message(subject="to both")
    own = build_message(subject="only alice")
    store.mail.deliver(shared, [ALICE, BOB])
    store.mail.deliver(own, [ALICE])
    store.folders.create(ALICE, "Projects")
    store.mail.append(ALICE, "Projects", build_message(subject="appended"))
    assert store.stats()["blobs"] == 3
    store.accounts.delete(ALICE)
    with pytest.raises(NotFound):
        store.accounts.get(ALICE)
    with pytest.raises(NotFound):
        store.folders.list(ALICE)
    with pytest.raises(AuthFailed):
        store.auth.verify(ALICE, "pass-alice")
    r = store.mail.deliver(build_message(), [ALICE])
    assert ALICE in r.failed and ALICE not in r.delivered
    assert store.stats()["messages"] == 1  # bob's copy
    store.mail.collect_garbage()
    assert store.stats()["blobs"] == 1
    assert len(list(store.blobs)) == 1
    bob_inbox = store.folders.get(BOB, "INBOX")
    assert store.mail.raw(bob_inbox.id, store.mail.uids(bob_inbox.id)[0]) == shared
    assert store.check().ok, store.check().problems


def test_account_delete_then_readd_starts_empty(demo: Demo) -> None:
    store = demo.store
    store.mail.deliver(build_message(), [CAROL])
    old_inbox = store.folders.get(CAROL, "INBOX")
    store.accounts.delete(CAROL)
    again = store.accounts.add(CAROL, None)
    assert again.id != demo.carol.id
    inbox = store.folders.get(CAROL, "INBOX")
    assert inbox.message_count == 0 and inbox.uidvalidity != old_inbox.uidvalidity


def test_account_aliases(demo: Demo) -> None:
    store = demo.store
    store.accounts.add_alias(ALICE, "ally@example.test")
    assert store.accounts.get("ally@example.test").id == demo.alice.id
    assert "ally@example.test" in store.accounts.get(ALICE).aliases
    r = store.mail.deliver(build_message(), ["ally@example.test"])
    assert r.delivered["ally@example.test"][0] == store.folders.get(ALICE, "INBOX").id
    with pytest.raises(AlreadyExists):
        store.accounts.add_alias(BOB, "ally@example.test")
    with pytest.raises(AlreadyExists):
        store.accounts.add("ally@example.test", None)
    with pytest.raises(AlreadyExists):
        store.accounts.add_alias(BOB, ALICE)
    store.domains.add("other.test")
    with pytest.raises(InvalidInput):
        store.accounts.add_alias(ALICE, "alice@other.test")
    store.accounts.remove_alias(ALICE, "ally@example.test")
    with pytest.raises(NotFound):
        store.accounts.get("ally@example.test")
    r = store.mail.deliver(build_message(), ["ally@example.test"])
    assert "ally@example.test" in r.failed
    with pytest.raises(NotFound):
        store.accounts.remove_alias(ALICE, "ally@example.test")


def test_account_id_by_address_follows_aliases_but_not_details_or_groups(demo: Demo) -> None:
    store = demo.store
    store.accounts.add_alias(ALICE, "al@example.test")
    store.domains.add_alias("example.test", "alias.test")
    store.groups.add("team@example.test")
    for address in (ALICE, "ALICE@Example.Test", "al@example.test", "al@alias.test"):
        assert store.accounts.id_by_address(address) == demo.alice.id, address
    for address in ("alice+news@example.test", "team@example.test", "nobody@example.test", "a@else.test"):
        with pytest.raises(NotFound):
            store.accounts.id_by_address(address)
    with pytest.raises(InvalidInput):
        store.accounts.id_by_address("no-at-sign")


def test_subaddress_reaches_account(demo: Demo) -> None:
    r = demo.store.mail.deliver(build_message(), ["alice+lists@example.test"])
    assert r.delivered["alice+lists@example.test"][0] == demo.store.folders.get(ALICE, "INBOX").id


def test_unknown_local_recipient_fails_alone(demo: Demo) -> None:
    r = demo.store.mail.deliver(build_message(), ["nobody@example.test", BOB, "x@outside.test"])
    assert set(r.failed) == {"nobody@example.test"}
    assert r.failed["nobody@example.test"].problem is DeliveryProblem.NO_SUCH_ADDRESS
    assert set(r.delivered) == {BOB}
    assert r.external == ["x@outside.test"]


def test_disabled_account(demo: Demo) -> None:
    demo.store.accounts.set_enabled(BOB, False)
    assert not demo.store.accounts.get(BOB).enabled
    demo.store.accounts.set_enabled(BOB, True)
    assert demo.store.accounts.get(BOB).enabled


# -- groups -------------------------------------------------------------------------------------------


def test_group_members_listing_and_delivery(demo: Demo) -> None:
    store = demo.store
    g = store.groups.add("team@example.test", "The team")
    store.groups.add_member("team@example.test", ALICE)
    store.groups.add_member("team@example.test", BOB)
    store.groups.add_member("team@example.test", "partner@outside.test")
    assert store.groups.get("team@example.test").members == (ALICE, BOB, "partner@outside.test")
    assert [x.address for x in store.groups.list("example.test")] == ["team@example.test"]
    assert g.address == "team@example.test"
    with pytest.raises(AlreadyExists):
        store.groups.add_member("team@example.test", ALICE)
    r = store.mail.deliver(build_message(), ["team@example.test"])
    assert r.delivered["team@example.test"]
    assert len(inbox_uids(store, ALICE)) == 1 and len(inbox_uids(store, BOB)) == 1
    assert inbox_uids(store, CAROL) == []
    assert r.external == ["partner@outside.test"]
    store.groups.remove_member("team@example.test", BOB)
    assert store.groups.get("team@example.test").members == (ALICE, "partner@outside.test")
    with pytest.raises(NotFound):
        store.groups.remove_member("team@example.test", BOB)


def test_nested_groups_deliver_once_per_account(demo: Demo) -> None:
    store = demo.store
    store.groups.add("all@example.test")
    store.groups.add("devs@example.test")
    store.groups.add_member("devs@example.test", BOB)
    store.groups.add_member("devs@example.test", ALICE)
    store.groups.add_member("all@example.test", "devs@example.test")
    store.groups.add_member("all@example.test", ALICE)
    store.groups.add_member("all@example.test", CAROL)
    assert store.groups.get("all@example.test").members == (ALICE, CAROL, "devs@example.test")
    store.mail.deliver(build_message(), ["all@example.test"])
    for who in (ALICE, BOB, CAROL):
        assert len(inbox_uids(store, who)) == 1, who  # alice is in twice but gets one copy
    assert store.stats()["blobs"] == 1


def test_group_cycle_refused(demo: Demo) -> None:
    store = demo.store
    for name in ("a", "b", "c"):
        store.groups.add(f"{name}@example.test")
    store.groups.add_member("a@example.test", "b@example.test")
    store.groups.add_member("b@example.test", "c@example.test")
    with pytest.raises(InvalidInput):
        store.groups.add_member("c@example.test", "a@example.test")
    with pytest.raises(InvalidInput):
        store.groups.add_member("a@example.test", "a@example.test")
    assert store.groups.get("c@example.test").members == ()


def test_group_delete_and_name_clash(demo: Demo) -> None:
    store = demo.store
    with pytest.raises(AlreadyExists):
        store.groups.add(ALICE)
    store.groups.add("tmp@example.test")
    store.groups.delete("tmp@example.test")
    with pytest.raises(NotFound):
        store.groups.get("tmp@example.test")
    r = store.mail.deliver(build_message(), ["tmp@example.test"])
    assert "tmp@example.test" in r.failed


def test_group_member_must_exist_locally(demo: Demo) -> None:
    demo.store.groups.add("team@example.test")
    with pytest.raises(NotFound):
        demo.store.groups.add_member("team@example.test", "ghost@example.test")


# -- forwarders ---------------------------------------------------------------------------------------


def test_forwarder_reaches_local_targets_and_reports_external(demo: Demo) -> None:
    store = demo.store
    fw = store.forwarders.add("info@example.test", [BOB, CAROL, "boss@outside.test"])
    assert fw.targets == (BOB, CAROL, "boss@outside.test")
    assert [f.address for f in store.forwarders.list("example.test")] == ["info@example.test"]
    r = store.mail.deliver(build_message(), ["info@example.test"])
    assert "info@example.test" in r.delivered
    assert r.external == ["boss@outside.test"]
    assert len(inbox_uids(store, BOB)) == 1 and len(inbox_uids(store, CAROL)) == 1
    assert inbox_uids(store, ALICE) == []
    with pytest.raises(AlreadyExists):
        store.forwarders.add("info@example.test", [ALICE])
    with pytest.raises(AlreadyExists):
        store.forwarders.add(ALICE, [BOB])
    with pytest.raises(InvalidInput):
        store.forwarders.add("empty@example.test", [])
    store.forwarders.delete("info@example.test")
    assert store.forwarders.list("example.test") == []
    assert "info@example.test" in store.mail.deliver(build_message(), ["info@example.test"]).failed


def test_forwarder_to_group_and_only_external(demo: Demo) -> None:
    store = demo.store
    store.groups.add("team@example.test")
    store.groups.add_member("team@example.test", ALICE)
    store.forwarders.add("sales@example.test", ["team@example.test"])
    store.forwarders.add("away@example.test", ["far@outside.test"])
    r = store.mail.deliver(build_message(), ["sales@example.test", "away@example.test"])
    assert len(inbox_uids(store, ALICE)) == 1
    assert r.external == ["far@outside.test"]
    assert not r.failed


def test_forwarder_loop_does_not_hang(demo: Demo) -> None:
    store = demo.store
    store.forwarders.add("ping@example.test", ["pong@example.test"])
    store.forwarders.add("pong@example.test", ["ping@example.test"])
    r = store.mail.deliver(build_message(), ["ping@example.test", BOB])
    assert r.failed["ping@example.test"].problem is DeliveryProblem.BAD_ADDRESS
    assert BOB in r.delivered


# -- account classes ----------------------------------------------------------------------------------


def test_account_classes(demo: Demo) -> None:
    store = demo.store
    store.accounts.add_class("example.test", "staff")
    with pytest.raises(AlreadyExists):
        store.accounts.add_class("example.test", "staff")
    with pytest.raises(InvalidInput):
        store.accounts.add_class("example.test", "")
    store.accounts.set_class(ALICE, "staff")
    assert store.accounts.get(ALICE).account_class == "staff"
    assert store.accounts.get(BOB).account_class is None
    with pytest.raises(NotFound):
        store.accounts.set_class(BOB, "contractors")
    store.accounts.set_class(ALICE, None)
    assert store.accounts.get(ALICE).account_class is None
    store.domains.add("other.test")
    store.accounts.add("eve@other.test", None)
    with pytest.raises(NotFound):  # classes belong to a domain
        store.accounts.set_class("eve@other.test", "staff")


# -- administrators -----------------------------------------------------------------------------------


def test_admins(store: Store) -> None:
    store.admins.set_password("admin", "s3cret-admin")
    assert store.admins.list() == ["admin"]
    assert store.admins.verify("admin", "s3cret-admin")
    assert not store.admins.verify("admin", "wrong")
    assert not store.admins.verify("nobody", "s3cret-admin")
    store.admins.set_password("admin", "changed-admin")
    assert not store.admins.verify("admin", "s3cret-admin")
    assert store.admins.verify("admin", "changed-admin")
    with pytest.raises(InvalidInput):
        store.admins.set_password("bad name!", "long-enough-1")
    with pytest.raises(InvalidInput, match="too short"):
        store.admins.set_password("admin", "short")
    assert store.admins.verify("admin", "changed-admin")


def test_password_minimum_length_follows_the_setting(demo: Demo) -> None:
    store = demo.store
    with pytest.raises(InvalidInput, match="at least 8"):
        store.accounts.add("dave@example.test", "1234567")
    with pytest.raises(InvalidInput, match="at least 8"):
        store.accounts.set_password(ALICE, "short")
    assert store.auth.verify(ALICE, "pass-alice").id == demo.alice.id  # unchanged
    store.settings.set("auth.password_min_length", 12, domain="example.test")
    with pytest.raises(InvalidInput, match="at least 12"):
        store.accounts.add("dave@example.test", "elevenchars")
    assert store.accounts.add("dave@example.test", "twelve-chars").address == "dave@example.test"


def test_primary_domain_for_a_bare_postmaster(store: Store) -> None:
    """Whose postmaster gets RCPT TO:<postmaster> (RFC 5321 4.5.1): the setting, the host's domain, the oldest."""
    assert store.domains.primary("mx.example.test") is None  # no domain yet
    store.domains.add("first.test")
    store.domains.add("example.test")
    store.domains.add_alias("example.test", "example-alias.test")
    assert store.domains.primary("mx.example.test") == "example.test"
    assert store.domains.primary("a.b.example-alias.test.") == "example.test"
    assert store.domains.primary("localhost") == "first.test"
    store.settings.set("smtp.postmaster_domain", "example.test")
    assert store.domains.primary("localhost") == "example.test"
