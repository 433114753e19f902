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
