"""The permissions dialog's storage side (storage/folder_sharing.py) on both backends: "apply to
subfolders", an exception on a subfolder (a narrower grant wins for that child, stored as a deny), the
entries passed down from above, and the delegation digits on the mailbox root."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage import acl
from storage.errors import InvalidInput, NotFound, PermissionDenied
from tests.storage.conftest import Demo

ALICE, BOB, CAROL = "alice@example.test", "bob@example.test", "carol@example.test"


def _tree(demo: Demo) -> tuple[int, int, int]:
    """Alice's Projects, Projects/Secret and Projects/Secret/Deeper."""
    mine = demo.store.for_user(demo.alice.id)
    top = mine.create_folder(ALICE, "Projects").id
    secret = mine.create_folder(ALICE, "Projects/Secret").id
    deeper = mine.create_folder(ALICE, "Projects/Secret/Deeper").id
    return top, secret, deeper


def _rights(demo: Demo, folder_id: int) -> str:
    return str(demo.store.acl.rights_on(demo.bob.id, folder_id))


def test_apply_to_subfolders_is_kept_and_can_be_turned_off(demo: Demo) -> None:
    top, secret, deeper = _tree(demo)
    mine = demo.store.for_user(demo.alice.id)
    mine.change_entry(top, BOB, "lrs")  # a new entry applies to subfolders
    assert [_rights(demo, f) for f in (top, secret, deeper)] == ["lrs", "lrs", "lrs"]
    mine.change_entry(top, BOB, "lrsw")  # a change keeps the flag
    assert _rights(demo, deeper) == "lrsw"
    mine.change_entry(top, BOB, "lrs", inherit=False)
    assert [_rights(demo, f) for f in (top, secret, deeper)] == ["lrs", "", ""]
    assert [(e.name, e.inherit) for e in mine.acl_entries(top)] == [(BOB, False)]


def test_an_exception_on_a_subfolder_wins_there_and_below(demo: Demo) -> None:
    top, secret, deeper = _tree(demo)
    mine = demo.store.for_user(demo.alice.id)
    mine.change_entry(top, BOB, str(acl.EDITOR))
    assert _rights(demo, secret) == "lrswipkte"
    # a narrower grant on the child: bob may only read there (and in its branch)
    denied = mine.sharing.make_exception(secret, BOB, "lrs", inherit=True)
    assert str(denied) == "wipkxtea"
    assert [_rights(demo, f) for f in (top, secret, deeper)] == ["lrswipkte", "lrs", "lrs"]
    listed = {(e.name, str(e.rights), e.allow) for e in mine.acl_entries(secret)}
    assert listed == {(BOB, "lrs", True), (BOB, "wipkxtea", False)}
    # a group bob is in cannot give back what the deny takes (deny wins)
    demo.store.groups.add("team@example.test")
    demo.store.groups.add_member("team@example.test", BOB)
    mine.change_entry(top, "team@example.test", str(acl.MASTER))
    assert _rights(demo, secret) == "lrs"
    # the exception for this subfolder alone: the branch below is back to what is inherited
    mine.sharing.make_exception(secret, BOB, "lrs", inherit=False)
    assert _rights(demo, deeper) == "lrswipkxtea"
    # nothing at all: the folder is gone for bob, exactly like one that does not exist
    mine.sharing.make_exception(secret, BOB, "", inherit=False)
    assert _rights(demo, secret) == ""
    bob = demo.store.for_user(demo.bob.id)
    with pytest.raises(NotFound, match=acl.NO_SUCH_FOLDER):
        bob.status(secret)


def test_inherited_entries_are_listed_nearest_first(demo: Demo) -> None:
    top, secret, deeper = _tree(demo)
    mine = demo.store.for_user(demo.alice.id)
    demo.store.acl.grant(ALICE, "", CAROL, "lr")  # the whole mailbox
    mine.change_entry(top, BOB, "lrs")
    mine.change_entry(secret, BOB, "w", allow=False, inherit=False)  # not passed down
    inherited = mine.sharing.inherited(deeper)
    assert [(e.name, str(e.rights), e.allow, e.from_path) for e in inherited] == [
        (BOB, "lrs", True, "Projects"),
        (CAROL, "lr", True, ""),
    ]
    with pytest.raises(PermissionDenied):
        demo.store.for_user(demo.bob.id).sharing.inherited(deeper)  # bob holds "l" but no "a"
    with pytest.raises(PermissionDenied):  # carol sees every folder ("l" from the root) but holds no "a"
        demo.store.for_user(demo.carol.id).sharing.make_exception(secret, BOB, "", inherit=False)
    with pytest.raises(InvalidInput):
        mine.sharing.make_exception(secret, ALICE, "lr", inherit=False)  # the owner's rights are implicit
    with pytest.raises(InvalidInput):
        mine.sharing.make_exception(secret, BOB, "lr0", inherit=False)  # digits are not folder rights


def test_delegation_digits_on_the_mailbox_root(demo: Demo) -> None:
    mine = demo.store.for_user(demo.alice.id)
    sharing = mine.sharing
    assert sharing.delegates() == []
    sharing.set_delegate(BOB, send_as=False, send_on_behalf=True, free_busy=True)
    sharing.set_delegate("@example.test", send_as=False, send_on_behalf=False, free_busy=True)
    names = [(d.name, d.send_as, d.send_on_behalf, d.free_busy) for d in sharing.delegates()]
    assert names == [("@example.test", False, False, True), (BOB, False, True, True)]
    assert demo.store.senders.on_behalf_of(demo.bob.id) == [ALICE]
    assert str(demo.store.acl.rights(CAROL, ALICE, "")) == "1"  # every user of the domain: free/busy
    # the folder letters of the root entry stay; the digits are replaced
    demo.store.acl.grant(ALICE, "", BOB, "lr12")
    sharing.set_delegate(BOB, send_as=True, send_on_behalf=False, free_busy=False)
    assert str(demo.store.acl.rights(BOB, ALICE, "")) == "lr01"  # "1" from the domain's entry
    assert demo.store.senders.may_send_as(demo.bob.id, ALICE)
    sharing.set_delegate(BOB, send_as=False, send_on_behalf=False, free_busy=False)
    assert str(demo.store.acl.rights(BOB, ALICE, "")) == "lr1"
    assert [d.name for d in sharing.delegates()] == ["@example.test"]
    with pytest.raises(InvalidInput):
        sharing.set_delegate(ALICE, send_as=True, send_on_behalf=False, free_busy=False)
    with pytest.raises(NotFound):
        sharing.set_delegate("zed@example.test", send_as=True, send_on_behalf=False, free_busy=False)
    assert sharing.mailbox_root().path == ""
    # co-workers of the same domain only (the manual's rule; no tenant lets another tenant's users in)
    demo.store.domains.add("other.test")
    demo.store.accounts.add("zoe@other.test", "pass-zoe-1234")
    for outsider in ("zoe@other.test", "@other.test", "anyone"):
        with pytest.raises(InvalidInput, match="own domain"):
            sharing.set_delegate(outsider, send_as=True, send_on_behalf=False, free_busy=False)
    sharing.set_delegate("anyone", send_as=False, send_on_behalf=False, free_busy=False)  # withdrawing: fine


def test_free_busy_delegation_lets_a_colleague_ask(demo: Demo) -> None:
    """The "Read free/busy" delegation is what storage's free/busy lookup asks for (digit "1")."""
    start, end = datetime(2025, 1, 6, tzinfo=UTC), datetime(2025, 1, 7, tzinfo=UTC)
    bob = demo.store.for_user(demo.bob.id).organizer
    with pytest.raises(PermissionDenied):
        bob.free_busy(ALICE, start, end)
    sharing = demo.store.for_user(demo.alice.id).sharing
    sharing.set_delegate(BOB, send_as=False, send_on_behalf=False, free_busy=True)
    assert bob.free_busy(ALICE, start, end) == []
    demo.store.acl.grant(ALICE, "", "@example.test", "1", allow=False)  # deny wins, here too
    with pytest.raises(PermissionDenied):
        bob.free_busy(ALICE, start, end)
