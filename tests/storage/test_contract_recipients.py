"""Where mail to an address goes (storage/recipients.py) on both backends: the destination of each address
as SMTP and the processing service ask it, VRFY's expansion, the per-recipient size limit and the
accounts that lack a ``fileinto`` folder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from storage import open_store
from storage.errors import InvalidInput, NotFound
from storage.recipients import Destination, Lookup
from storage.store import Store
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


@pytest.fixture
def other(store_url: str, blob_dir: Path, demo: Demo) -> Iterator[Store]:
    """A second store on the same database: another worker process, WebAdmin or the CLI."""
    st = open_store(store_url, blob_dir)
    try:
        yield st
    finally:
        st.close()


def _answer(store: Store, address: str) -> tuple[Destination, frozenset[int], int | None]:
    found = store.recipients.rcpt(address, size_limit=True)
    return found.destination, found.account_ids, found.max_message_bytes


def test_rcpt_serves_a_kept_answer_until_another_process_changes_the_directory(
    demo: Demo, other: Store
) -> None:
    """rcpt keeps its answers in the process, and every write another store makes to what they depend
    on (an alias, a group member, a forwarder, a domain alias, a class, a setting, a deleted account or
    domain) is seen by the next RCPT: the triggers' counter moved, nothing told this process."""
    store, default = demo.store, int(demo.store.settings.get("mail.max_message_bytes"))
    alice, bob = demo.alice.id, demo.bob.id
    assert _answer(store, ALICE) == (Destination.LOCAL, {alice}, default)
    served = store.recipients.kept_answers_served
    assert _answer(store, ALICE) == (Destination.LOCAL, {alice}, default)
    assert store.recipients.kept_answers_served == served + 1  # the second one was kept

    steps = [
        ("al@example.test", lambda: other.accounts.add_alias(ALICE, "al@example.test"), {alice}),
        ("team@example.test", lambda: other.groups.add("team@example.test"), set()),
        ("team@example.test", lambda: other.groups.add_member("team@example.test", BOB), {bob}),
        ("team@example.test", lambda: other.groups.add_member("team@example.test", ALICE), {alice, bob}),
        ("team@example.test", lambda: other.groups.remove_member("team@example.test", BOB), {alice}),
        ("fw@example.test", lambda: other.forwarders.add("fw@example.test", [BOB]), {bob}),
        ("bob@alias.test", lambda: other.domains.add_alias("example.test", "alias.test"), {bob}),
    ]
    for address, write, accounts in steps:
        before = _answer(store, address)  # kept from here on
        write()
        after = _answer(store, address)
        assert after[:2] == (Destination.LOCAL, accounts), address
        assert after != before, address

    other.accounts.add_class("example.test", "small")
    other.settings.set("mail.max_message_bytes", "2M", domain="example.test", account_class="small")
    assert _answer(store, BOB)[2] == default
    other.accounts.set_class(BOB, "small")
    assert _answer(store, BOB)[2] == 2 * 1024 * 1024
    other.settings.set("mail.max_message_bytes", "1M", account=BOB)
    assert _answer(store, BOB)[2] == 1024 * 1024
    other.accounts.delete(BOB)  # its address rows and memberships go by cascade
    assert _answer(store, BOB)[0] is Destination.UNKNOWN
    assert _answer(store, "fw@example.test")[1] == frozenset()
    other.domains.delete("example.test")
    assert _answer(store, ALICE)[0] is Destination.REMOTE


def test_a_kept_answer_through_a_temporary_alias_ends_with_the_alias(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An alias' expiry is no write (nothing moves the counter): a kept answer through it holds until
    that expiry only."""
    store = demo.store
    alias = store.for_user(demo.alice.id).temporary_aliases.create("signup", days=1)
    assert _answer(store, alias.address)[:2] == (Destination.LOCAL, {demo.alice.id})
    assert _answer(store, "signup+x@example.test")[:2] == (Destination.LOCAL, {demo.alice.id})
    later = alias.expires_at + timedelta(seconds=1)
    monkeypatch.setattr("storage.recipients.utcnow", lambda: later)
    monkeypatch.setattr("storage.groups.utcnow", lambda: later)
    assert _answer(store, alias.address)[0] is Destination.UNKNOWN
    assert _answer(store, "signup+x@example.test")[0] is Destination.UNKNOWN


def test_rcpt_inside_a_write_transaction_reads_without_keeping(demo: Demo) -> None:
    """What a write transaction reads may be rolled back: rcpt answers from it but keeps nothing."""
    store = demo.store

    class Undo(Exception):
        pass

    with pytest.raises(Undo), store.db.joined():
        store.accounts.add_alias(ALICE, "maybe@example.test")
        assert _answer(store, "maybe@example.test")[0] is Destination.LOCAL
        raise Undo
    assert _answer(store, "maybe@example.test")[0] is Destination.UNKNOWN
