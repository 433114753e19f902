"""Temporary aliases: made by the user, limited by the administrator's settings, delivering until they
expire and refused from then on (before and after the sweep). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from storage.names import utcnow
from storage.recipients import Destination
from storage.temporary_aliases import RANDOM_PREFIX, TooManyAliases
from tests.storage.conftest import Demo

ALICE = "alice@example.test"


def test_create_list_and_delete(demo: Demo) -> None:
    aliases = demo.store.for_user(demo.alice.id).temporary_aliases
    chosen = aliases.create("shop-2026", days=3)
    random = aliases.create()
    assert chosen.address == "shop-2026@example.test"
    assert random.address.startswith(RANDOM_PREFIX) and random.address.endswith("@example.test")
    assert timedelta(days=2, hours=23) < chosen.expires_at - utcnow() <= timedelta(days=3)
    assert timedelta(days=29) < random.expires_at - utcnow() <= timedelta(days=30)  # the default maximum
    assert [a.address for a in aliases.list()] == [chosen.address, random.address]  # soonest first
    assert demo.store.accounts.get(chosen.address).id == demo.alice.id
    aliases.delete(chosen.address)
    assert [a.address for a in aliases.list()] == [random.address]
    with pytest.raises(NotFound):
        aliases.delete(chosen.address)


def test_delivery_works_until_expiry_and_is_refused_after(demo: Demo) -> None:
    st = demo.store
    now = utcnow()
    alias = st.for_user(demo.alice.id).temporary_aliases.create(
        "signup", days=1, now=now - timedelta(days=1, seconds=-2)
    )
    (lookup,) = st.recipients.look_up([alias.address])
    assert lookup.destination is Destination.LOCAL and lookup.account_ids == {demo.alice.id}
    assert st.recipients.resolve("signup+promo@example.test").account_ids == {demo.alice.id}
    assert alias.address in st.accounts.by_id(demo.alice.id).aliases
    st.mail.deliver(b"Subject: hi\r\n\r\nbody\r\n", [alias.address])
    assert demo.folder(ALICE).message_count == 1
    import time

    time.sleep(2.5)  # past its expiry, not yet swept
    (lookup,) = st.recipients.look_up([alias.address])
    assert lookup.destination is Destination.UNKNOWN
    with pytest.raises(NotFound):
        st.accounts.get(alias.address)
    assert alias.address not in st.accounts.by_id(demo.alice.id).aliases
    assert st.for_user(demo.alice.id).temporary_aliases.list() == []
    assert st.accounts.remove_expired_aliases() == 1
    assert st.accounts.remove_expired_aliases() == 0


def test_the_sweep_leaves_live_and_permanent_aliases(demo: Demo) -> None:
    st = demo.store
    st.accounts.add_alias(ALICE, "permanent@example.test")
    aliases = st.for_user(demo.alice.id).temporary_aliases
    aliases.create("old", days=1, now=utcnow() - timedelta(days=2))
    aliases.create("new", days=1)
    assert st.accounts.remove_expired_aliases() == 1
    assert st.accounts.get("permanent@example.test").id == demo.alice.id
    assert st.accounts.get("new@example.test").id == demo.alice.id


def test_an_expired_name_can_be_taken_again(demo: Demo) -> None:
    st = demo.store
    st.for_user(demo.alice.id).temporary_aliases.create("reuse", days=1, now=utcnow() - timedelta(days=2))
    again = st.for_user(demo.bob.id).temporary_aliases.create("reuse", days=1)
    assert st.accounts.get(again.address).id == demo.bob.id


def test_limits_from_the_administrator(demo: Demo) -> None:
    st = demo.store
    aliases = st.for_user(demo.alice.id).temporary_aliases
    st.settings.set("aliases.temporary_max", 2, account=ALICE)
    st.settings.set("aliases.temporary_max_days", 7, domain="example.test")
    assert aliases.limits() == (2, 7)
    with pytest.raises(InvalidInput, match="1 to 7 days"):
        aliases.create(days=8)
    with pytest.raises(InvalidInput):
        aliases.create(days=0)
    aliases.create()
    aliases.create()
    with pytest.raises(TooManyAliases):
        aliases.create()
    st.settings.set("aliases.temporary_max", 0, account=ALICE)
    with pytest.raises(PermissionDenied):
        aliases.create()


@pytest.mark.parametrize("local", ["bob", "postmaster", "has space", "a+b", "x" * 65])
def test_taken_or_bad_names_are_refused(demo: Demo, local: str) -> None:
    with pytest.raises((AlreadyExists, InvalidInput)):
        demo.store.for_user(demo.alice.id).temporary_aliases.create(local)


def test_users_cannot_delete_other_addresses(demo: Demo) -> None:
    st = demo.store
    st.accounts.add_alias(ALICE, "permanent@example.test")
    bobs = st.for_user(demo.bob.id).temporary_aliases.create("bobs")
    aliases = st.for_user(demo.alice.id).temporary_aliases
    for address in ("permanent@example.test", bobs.address, ALICE, "x@elsewhere.test"):
        with pytest.raises(NotFound):
            aliases.delete(address)
    assert st.accounts.get(bobs.address).id == demo.bob.id


def test_a_temporary_alias_is_no_login_name(demo: Demo) -> None:
    from storage.errors import AuthFailed

    st = demo.store
    alias = st.for_user(demo.alice.id).temporary_aliases.create("signin")
    with pytest.raises(AuthFailed):
        st.auth.verify(alias.address, "pass-alice")
    assert st.auth.scram_keys(alias.address) is None
    assert st.auth.verify(ALICE, "pass-alice").id == demo.alice.id
