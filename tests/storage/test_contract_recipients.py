"""Where mail to an address goes (storage/recipients.py) on both backends: the destination of each address
as SMTP and the processing service ask it, VRFY's expansion, the per-recipient size limit and the
accounts that lack a ``fileinto`` folder."""

from __future__ import annotations

import pytest

from storage.errors import InvalidInput, NotFound
from storage.recipients import Destination, Lookup
from tests.storage.conftest import Demo

ALICE = "alice@example.test"
BOB = "bob@example.test"


def test_look_up_sorts_addresses_by_destination_in_order(demo: Demo) -> None:
    store = demo.store
    store.accounts.add_alias(ALICE, "al@example.test")
    store.groups.add("team@example.test")
    store.groups.add_member("team@example.test", ALICE)
    store.groups.add_member("team@example.test", BOB)
    store.forwarders.add("loop@example.test", ["loop@example.test"])
    found = store.recipients.look_up(
        [
            "al@example.test",
            "Bob+news@EXAMPLE.test",
            "team@example.test",
            "nobody@example.test",
            "someone@elsewhere.test",
            "loop@example.test",
            "x@bad domain",
        ]
    )
    assert [(f.address, f.destination) for f in found] == [
        ("al@example.test", Destination.LOCAL),
        ("Bob+news@EXAMPLE.test", Destination.LOCAL),
        ("team@example.test", Destination.LOCAL),
        ("nobody@example.test", Destination.UNKNOWN),
        ("someone@elsewhere.test", Destination.REMOTE),
        ("loop@example.test", Destination.INVALID),
        ("x@bad domain", Destination.NOT_A_DOMAIN),
    ]
    assert found[0] == Lookup("al@example.test", Destination.LOCAL, "", frozenset({demo.alice.id}))
    assert found[2].account_ids == {demo.alice.id, demo.bob.id}
    assert found[3].detail == "nobody@example.test does not exist"
    assert "nests deeper" in found[5].detail
    assert found[4].detail == "" and found[4].account_ids == frozenset()
    assert found[6].detail  # the domain name's own complaint
    assert store.recipients.look_up([]) == []


def test_resolve_expands_like_delivery_and_keeps_outside_addresses(demo: Demo) -> None:
    store = demo.store
    store.forwarders.add("fwd@example.test", [BOB, "out@elsewhere.test"])
    found = store.recipients.resolve("fwd@example.test")
    assert (found.account_ids, found.external) == ({demo.bob.id}, {"out@elsewhere.test"})
    assert store.recipients.resolve("x@elsewhere.test").external == {"x@elsewhere.test"}
    with pytest.raises(NotFound):
        store.recipients.resolve("nobody@example.test")
    with pytest.raises(InvalidInput):
        store.recipients.resolve("no-at-sign")


def test_max_message_bytes_is_the_smallest_of_the_accounts_reached(demo: Demo) -> None:
    store = demo.store
    store.groups.add("team@example.test")
    store.groups.add_member("team@example.test", ALICE)
    store.groups.add_member("team@example.test", BOB)
    default = store.settings.get("mail.max_message_bytes")
    assert store.recipients.max_message_bytes(ALICE) == default
    store.settings.set("mail.max_message_bytes", "1M", account=BOB)
    assert store.recipients.max_message_bytes("team@example.test") == 1024 * 1024
    assert store.recipients.max_message_bytes(ALICE) == default
    assert store.recipients.max_message_bytes("nobody@example.test") is None
    assert store.recipients.max_message_bytes("someone@elsewhere.test") is None


def test_rcpt_answers_look_up_and_max_message_bytes_at_once(demo: Demo) -> None:
    """What SMTP's RCPT reads in one call: the same destination as look_up and the same smallest limit
    as max_message_bytes, at whichever level (server, domain, class, account) the limit is set."""
    store = demo.store
    store.groups.add("team@example.test")
    store.groups.add_member("team@example.test", ALICE)
    store.groups.add_member("team@example.test", BOB)
    store.accounts.add_class("example.test", "small")
    addresses = [
        ALICE,
        "Bob+tag@example.test",
        "team@example.test",
        "nobody@example.test",
        "x@elsewhere.test",
    ]
    store.settings.set("mail.max_message_bytes", "8M")
    store.settings.set("mail.max_message_bytes", "4M", domain="example.test")
    store.settings.set("mail.max_message_bytes", "2M", domain="example.test", account_class="small")
    for step in ("server+domain", "class", "account"):
        if step == "class":
            store.accounts.set_class(BOB, "small")
        if step == "account":
            store.settings.set("mail.max_message_bytes", "1M", account=ALICE)
        for address in addresses:
            (plain,) = store.recipients.look_up([address])
            assert store.recipients.rcpt(address) == plain  # no limit unless asked
            found = store.recipients.rcpt(address, size_limit=True)
            assert (found.destination, found.account_ids) == (plain.destination, plain.account_ids)
            assert found.max_message_bytes == store.recipients.max_message_bytes(address), (step, address)
    assert store.recipients.rcpt(ALICE, size_limit=True).max_message_bytes == 1024 * 1024
    assert store.recipients.rcpt("bob@example.test", size_limit=True).max_message_bytes == 2 * 1024 * 1024
    assert store.recipients.rcpt("team@example.test", size_limit=True).max_message_bytes == 1024 * 1024
    assert store.recipients.rcpt("nobody@example.test", size_limit=True).max_message_bytes is None
    assert store.recipients.rcpt("x@elsewhere.test", size_limit=True).max_message_bytes is None


def test_accounts_without_folder_names_each_account_once(demo: Demo) -> None:
    store = demo.store
    store.groups.add("team@example.test")
    store.groups.add_member("team@example.test", ALICE)
    store.groups.add_member("team@example.test", BOB)
    store.folders.create(ALICE, "Lists")
    check = store.recipients.accounts_without_folder(
        ["team@example.test", BOB, "nobody@example.test", "x@elsewhere.test"], "Lists"
    )
    assert (check.missing, check.invalid) == ([BOB], [])
    assert store.recipients.accounts_without_folder([ALICE], "INBOX").missing == []
    bad = store.recipients.accounts_without_folder([ALICE], "a\x00b")
    assert bad.missing == [] and [address for address, _why in bad.invalid] == [ALICE]
