"""Who may send as whom (storage/senders.py) on both backends: the user's own addresses, aliases and +tags,
the "send as" right, and the setting that frees the From: header only."""

from __future__ import annotations

from tests.storage.conftest import Demo


def test_own_addresses_aliases_and_tags(demo: Demo) -> None:
    senders = demo.store.senders
    demo.store.accounts.add_alias("alice@example.test", "al@example.test")
    alice = demo.alice.id
    for address in (
        "alice@example.test",
        "ALICE@Example.Test",
        "al@example.test",
        "alice+news@example.test",
        "",
    ):
        assert senders.may_send_as(alice, address), address
    for address in ("bob@example.test", "ceo@elsewhere.example", "no-domain", "nobody@example.test"):
        assert not senders.may_send_as(alice, address), address


def test_send_as_right(demo: Demo) -> None:
    senders = demo.store.senders
    assert not senders.may_send_as(demo.alice.id, "bob@example.test")
    demo.store.acl.grant("bob@example.test", "", "alice@example.test", "0")
    assert senders.may_send_as(demo.alice.id, "bob@example.test")
    assert senders.foreign_header_from(demo.alice.id, ["bob@example.test", "alice@example.test"]) is None
    assert not senders.may_send_as(demo.carol.id, "bob@example.test")  # the grant is alice's alone
    demo.store.acl.grant("bob@example.test", "", "alice@example.test", "lr")  # read access is not "send as"
    assert not senders.may_send_as(demo.carol.id, "bob@example.test")


def test_foreign_header_from_and_its_setting(demo: Demo) -> None:
    senders, alice = demo.store.senders, demo.alice.id
    assert senders.foreign_header_from(alice, []) is None
    assert (
        senders.foreign_header_from(alice, ["alice@example.test", "bob@example.test"]) == "bob@example.test"
    )
    demo.store.settings.set("smtp.allow_any_header_from", True, domain="example.test")
    assert senders.foreign_header_from(alice, ["bob@example.test"]) is None
    demo.store.settings.set("smtp.allow_any_header_from", False, account="alice@example.test")
    assert senders.foreign_header_from(alice, ["bob@example.test"]) == "bob@example.test"
    assert (
        senders.foreign_header_from(demo.carol.id, ["bob@example.test"]) is None
    )  # carol: the domain's value
    assert not senders.may_send_as(demo.carol.id, "bob@example.test")  # the envelope stays checked


def test_send_on_behalf_needs_sender_naming_the_delegate(demo: Demo) -> None:
    senders, alice = demo.store.senders, demo.alice.id
    bob = "bob@example.test"
    assert senders.foreign_header_from(alice, [bob], ["alice@example.test"]) == bob  # no grant yet
    demo.store.acl.grant(bob, "", "alice@example.test", "2")  # bob lets alice send on his behalf
    assert senders.on_behalf_of(alice) == [bob] and senders.on_behalf_of(demo.carol.id) == []
    assert senders.addresses_for(alice) == ["alice@example.test"]  # not "send as": never From alone
    assert senders.foreign_header_from(alice, [bob], ["alice@example.test"]) is None
    assert senders.foreign_header_from(alice, [bob]) == bob  # no Sender: it would pass for bob's own
    assert senders.foreign_header_from(alice, [bob], ["carol@example.test"]) == "carol@example.test"
    assert not senders.may_send_as(alice, bob)  # the envelope sender stays alice's
    assert senders.foreign_header_from(demo.carol.id, [bob], ["carol@example.test"]) == bob
    # a deny on the mailbox root takes the delegation back (deny wins)
    demo.store.acl.grant(bob, "", "alice@example.test", "2", allow=False)
    assert senders.on_behalf_of(alice) == []
    assert senders.foreign_header_from(alice, [bob], ["alice@example.test"]) == bob


def test_sender_field_naming_someone_else_is_refused(demo: Demo) -> None:
    senders, alice = demo.store.senders, demo.alice.id
    assert senders.foreign_header_from(alice, ["alice@example.test"], ["alice@example.test"]) is None
    assert (
        senders.foreign_header_from(alice, ["alice@example.test"], ["bob@example.test"]) == "bob@example.test"
    )
    demo.store.acl.grant("bob@example.test", "", "alice@example.test", "02")  # send as covers on behalf
    assert senders.on_behalf_of(alice) == []
    assert senders.addresses_for(alice) == ["alice@example.test", "bob@example.test"]
