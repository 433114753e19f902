"""Folder sharing as the manual describes it, observed through what a user can list, read and change."""

from __future__ import annotations

import pytest

from storage.acl import Rights
from storage.errors import InvalidInput, NotFound, PermissionDenied
from tests.storage.conftest import Demo, build_message

ALICE = "alice@example.test"
BOB = "bob@example.test"
CAROL = "carol@example.test"
POSTMASTER = "postmaster@example.test"


def paths_seen_by(demo: Demo, owner: str, actor_id: int) -> list[str]:
    return [f.path for f in demo.store.for_user(actor_id).list_folders(owner)]


@pytest.fixture
def shared_except_secret(demo: Demo) -> Demo:
    """The manual's example: alice grants bob her whole mailbox except the folder "Secret"."""
    store = demo.store
    store.folders.create(ALICE, "Secret/Deeper")
    store.mail.deliver(build_message(subject="hello bob"), [ALICE])
    store.mail.append(ALICE, "Secret", build_message(subject="diary"))
    store.acl.grant(ALICE, "", BOB, "lrs")
    store.acl.grant(ALICE, "Secret", BOB, "lrs", allow=False)
    return demo


def test_mailbox_shared_except_secret_folder(shared_except_secret: Demo) -> None:
    demo = shared_except_secret
    store, bob = demo.store, demo.bob.id
    seen = paths_seen_by(demo, ALICE, bob)
    assert "INBOX" in seen and "Sent" in seen and "Archive" in seen
    assert "Secret" not in seen and "Secret/Deeper" not in seen
    assert len(seen) == len(store.folders.list(ALICE)) - 2

    inbox, _ = store.for_user(bob).find(ALICE, "INBOX")
    (uid,) = store.for_user(bob).reader(inbox.id).uids()
    (info,) = store.for_user(bob).reader(inbox.id).info()
    assert info.subject == "hello bob"
    assert b"hello bob" in store.for_user(bob).reader(inbox.id).raw(uid)
    assert store.for_user(bob).reader(inbox.id).search("hello") == [uid]

    secret = store.folders.get(ALICE, "Secret")
    # a folder bob may not look up does not exist for him: no reader, no status, no rights
    for attempt in (
        lambda: store.for_user(bob).reader(secret.id),
        lambda: store.for_user(bob).status(secret.id),
        lambda: store.for_user(bob).rights(secret.id),
        lambda: store.for_user(bob).find(ALICE, "Secret"),
    ):
        with pytest.raises(NotFound, match="^no such mailbox$"):
            attempt()
    assert "Secret" not in [f.path for f in store.for_user(bob).list_folders(ALICE)]

    assert str(store.acl.rights(BOB, ALICE, "INBOX")) == "lrs"
    assert str(store.acl.rights(BOB, ALICE, "Secret")) == ""
    assert str(store.acl.rights(BOB, ALICE, "Secret/Deeper")) == ""
    # alice herself is not affected by entries about bob
    assert len(paths_seen_by(demo, ALICE, demo.alice.id)) == len(store.folders.list(ALICE))
    assert store.for_user(demo.alice.id).reader(secret.id).info()
    # carol got nothing
    assert paths_seen_by(demo, ALICE, demo.carol.id) == []
    with pytest.raises(NotFound):
        store.for_user(demo.carol.id).reader(inbox.id)


def test_shared_read_does_not_allow_changes(shared_except_secret: Demo) -> None:
    demo = shared_except_secret
    store, bob = demo.store, demo.bob.id
    inbox = store.folders.get(ALICE, "INBOX")
    (uid,) = store.mail.uids(inbox.id)
    with pytest.raises(PermissionDenied):  # no "i"
        store.for_user(bob).append(inbox.id, build_message())
    with pytest.raises(PermissionDenied):  # no "t"
        store.for_user(bob).set_flags(inbox.id, [uid], ["\\Deleted"])
    with pytest.raises(PermissionDenied):  # no "w"
        store.for_user(bob).set_flags(inbox.id, [uid], ["$Label1"])
    with pytest.raises(PermissionDenied):  # no "e"
        store.for_user(bob).expunge(inbox.id)
    with pytest.raises(PermissionDenied):  # no "k"
        store.for_user(bob).create_folder(ALICE, "Bobs")
    with pytest.raises(PermissionDenied):  # no "x"
        store.for_user(bob).delete_folder(ALICE, "Archive")
    with pytest.raises(PermissionDenied):
        store.for_user(bob).rename_folder(ALICE, "Archive", "Old")
    bob_inbox = store.folders.get(BOB, "INBOX")
    with pytest.raises(PermissionDenied):  # moving out needs t and e on the source
        store.for_user(bob).copy(inbox.id, [uid], bob_inbox.id, move=True)
    mapping = store.for_user(bob).copy(inbox.id, [uid], bob_inbox.id)  # copying out only needs r
    assert list(mapping) == [uid]
    store.for_user(bob).set_flags(inbox.id, [uid], ["\\Seen"])  # "s" was granted
    assert "\\Seen" in store.mail.info(inbox.id, [uid])[0].flags
    assert store.mail.uids(inbox.id) == [uid]
    assert store.folders.get(ALICE, "Archive").id


def test_without_insert_right_append_is_denied(demo: Demo) -> None:
    store = demo.store
    store.acl.grant(ALICE, "INBOX", BOB, "lrsw")
    inbox = store.folders.get(ALICE, "INBOX")
    with pytest.raises(PermissionDenied):
        store.for_user(demo.bob.id).append(inbox.id, build_message())
    with pytest.raises(PermissionDenied):
        store.for_user(demo.bob.id).append(store.folders.get(ALICE, "INBOX").id, build_message())
    assert store.folders.get(ALICE, "INBOX").message_count == 0
    store.acl.grant(ALICE, "INBOX", BOB, "lrswi")
    new = store.for_user(demo.bob.id).append(store.folders.get(ALICE, "INBOX").id, build_message()).uid
    assert store.mail.uids(inbox.id) == [new]


def test_refused_append_leaves_no_blob_behind(demo: Demo) -> None:
    store = demo.store
    store.acl.grant(ALICE, "INBOX", BOB, "lr")
    inbox = store.folders.get(ALICE, "INBOX")
    with pytest.raises(PermissionDenied):
        store.for_user(demo.bob.id).append(inbox.id, build_message(subject="refused"))
    assert list(store.blobs) == []
    assert store.check().ok, store.check().problems


def test_without_seen_right_setting_seen_is_denied(demo: Demo) -> None:
    store = demo.store
    fid, uid = store.mail.deliver(build_message(), [ALICE]).delivered[ALICE]
    store.acl.grant(ALICE, "INBOX", BOB, "lrwit")
    bob = demo.bob.id
    with pytest.raises(PermissionDenied):
        store.for_user(bob).set_flags(fid, [uid], ["\\Seen"])
    with pytest.raises(PermissionDenied):
        store.for_user(bob).set_flags(fid, [uid], ["\\Seen", "\\Flagged"])
    with pytest.raises(PermissionDenied):  # appending with \Seen also sets it
        store.for_user(bob).append(fid, build_message(), ["\\Seen"])
    assert store.mail.info(fid, [uid])[0].flags == frozenset()
    store.for_user(bob).set_flags(fid, [uid], ["\\Flagged", "$Work"])  # "w" covers these
    store.for_user(bob).set_flags(fid, [uid], ["\\Deleted"])  # "t" covers this
    assert store.mail.info(fid, [uid])[0].flags == {"\\Flagged", "$Work", "\\Deleted"}
    assert store.folders.get(ALICE, "INBOX").unseen_count == 1


def test_deny_wins_over_allow_from_a_group(demo: Demo) -> None:
    store = demo.store
    store.groups.add("team@example.test")
    store.groups.add_member("team@example.test", BOB)
    store.acl.grant(ALICE, "", "team@example.test", "lr")
    store.acl.grant(ALICE, "Archive", BOB, "r", allow=False)
    assert str(store.acl.rights(BOB, ALICE, "INBOX")) == "lr"
    assert str(store.acl.rights(BOB, ALICE, "Archive")) == "l"
    store.acl.grant(ALICE, "Sent", "team@example.test", "l", allow=False)
    assert "Sent" not in paths_seen_by(demo, ALICE, demo.bob.id)
    store.acl.grant(ALICE, "Sent", BOB, "lr")  # an allow for the user does not beat the group's deny
    assert "l" not in store.acl.rights(BOB, ALICE, "Sent")


def test_group_grant_reaches_members_added_later(demo: Demo) -> None:
    store = demo.store
    store.folders.create(ALICE, "Projects/Apollo")
    store.groups.add("team@example.test")
    store.groups.add("outer@example.test")
    store.groups.add_member("team@example.test", BOB)
    store.acl.grant(ALICE, "Projects", "outer@example.test", "lrs")
    store.groups.add_member("outer@example.test", "team@example.test")
    assert "r" in store.acl.rights(BOB, ALICE, "Projects/Apollo")  # nested group, inherited entry
    assert "r" not in store.acl.rights(CAROL, ALICE, "Projects")
    assert paths_seen_by(demo, ALICE, demo.carol.id) == []

    store.groups.add_member("team@example.test", CAROL)  # after the grant was made
    assert str(store.acl.rights(CAROL, ALICE, "Projects")) == "lrs"
    assert paths_seen_by(demo, ALICE, demo.carol.id) == ["Projects", "Projects/Apollo"]
    projects = store.folders.get(ALICE, "Projects")
    assert store.for_user(demo.carol.id).reader(projects.id).uids() == []

    store.groups.remove_member("team@example.test", CAROL)
    assert "r" not in store.acl.rights(CAROL, ALICE, "Projects")
    with pytest.raises(NotFound):  # she lost "l" too: the folder is gone for her
        store.for_user(demo.carol.id).reader(projects.id)


def test_entry_without_inheritance_stays_on_its_folder(demo: Demo) -> None:
    store = demo.store
    store.folders.create(ALICE, "Projects/Apollo")
    store.acl.grant(ALICE, "Projects", BOB, "lr", inherit=False)
    assert str(store.acl.rights(BOB, ALICE, "Projects")) == "lr"
    assert str(store.acl.rights(BOB, ALICE, "Projects/Apollo")) == ""
    assert paths_seen_by(demo, ALICE, demo.bob.id) == ["Projects"]


def test_revoke_and_entries(demo: Demo) -> None:
    store = demo.store
    store.acl.grant(ALICE, "INBOX", BOB, "lr")
    store.acl.grant(ALICE, "INBOX", BOB, "r", allow=False)
    entries = store.acl.entries(ALICE, "INBOX")
    assert {(e.principal, str(e.rights), e.allow) for e in entries} == {
        (("user", demo.bob.id), "lr", True),
        (("user", demo.bob.id), "r", False),
    }
    assert str(store.acl.rights(BOB, ALICE, "INBOX")) == "l"
    assert store.acl.revoke(ALICE, "INBOX", BOB, allow=False)
    assert str(store.acl.rights(BOB, ALICE, "INBOX")) == "lr"
    store.acl.grant(ALICE, "INBOX", BOB, "lrs")  # a new grant replaces the old one
    assert str(store.acl.rights(BOB, ALICE, "INBOX")) == "lrs"
    assert store.acl.revoke(ALICE, "INBOX", BOB)
    assert not store.acl.revoke(ALICE, "INBOX", BOB)
    assert str(store.acl.rights(BOB, ALICE, "INBOX")) == ""


def test_owner_keeps_all_rights_whatever_the_entries(demo: Demo) -> None:
    store = demo.store
    store.acl.grant(ALICE, "INBOX", ALICE, "lrswipkxtea", allow=False)
    assert "r" in store.acl.rights(ALICE, ALICE, "INBOX")
    fid = store.folders.get(ALICE, "INBOX").id
    store.for_user(demo.alice.id).append(fid, build_message(), ["\\Seen"])


def test_anyone_and_whole_domain_principals(demo: Demo) -> None:
    store = demo.store
    store.acl.grant(ALICE, "Archive", "@example.test", "lr")
    assert "r" in store.acl.rights(CAROL, ALICE, "Archive")
    store.domains.add("other.test")
    store.accounts.add("olga@other.test", None)
    assert "r" not in store.acl.rights("olga@other.test", ALICE, "Archive")
    store.acl.grant(ALICE, "Sent", "anyone", "l")
    assert "l" in store.acl.rights("olga@other.test", ALICE, "Sent")
    with pytest.raises(NotFound):
        store.acl.grant(ALICE, "Sent", "ghost@example.test", "l")


def test_implicit_postmaster_rights(demo: Demo) -> None:
    store = demo.store
    pm = store.accounts.get(POSTMASTER)
    store.mail.deliver(build_message(), [ALICE])
    rights = store.acl.rights(POSTMASTER, ALICE, "INBOX")
    assert "l" in rights and "a" in rights
    assert "r" not in rights and "i" not in rights and "x" not in rights
    # lookup: the postmaster sees alice's folders but cannot read them
    assert paths_seen_by(demo, ALICE, pm.id) == [f.path for f in store.folders.list(ALICE)]
    inbox = store.folders.get(ALICE, "INBOX")
    with pytest.raises(PermissionDenied):
        store.for_user(pm.id).reader(inbox.id)
    # everything on public folders
    store.folders.create("@example.test", "Shared/News")
    public = store.acl.rights(POSTMASTER, "@example.test", "Shared/News")
    assert all(letter in public for letter in "lrswipkxtea")
    uid = (
        store.for_user(pm.id)
        .append(store.folders.get("@example.test", "Shared/News").id, build_message())
        .uid
    )
    news = store.folders.get("@example.test", "Shared/News")
    assert store.for_user(pm.id).reader(news.id).uids() == [uid]
    # an explicit deny cannot take implicit rights away
    store.acl.grant(ALICE, "", POSTMASTER, "la", allow=False)
    assert "l" in store.acl.rights(POSTMASTER, ALICE, "INBOX")
    # another domain's postmaster gets nothing here
    store.domains.add("other.test")
    assert str(store.acl.rights("postmaster@other.test", ALICE, "INBOX")) == ""
    assert "l" not in store.acl.rights("postmaster@other.test", "@example.test", "Shared/News")


def test_public_folders_default_lookup_for_domain_users(demo: Demo) -> None:
    store = demo.store
    folder = store.folders.create("@example.test", "Announcements")
    store.mail.append("@example.test", "Announcements", build_message())
    assert str(store.acl.rights(ALICE, "@example.test", "Announcements")) == "l"
    assert paths_seen_by(demo, "@example.test", demo.alice.id) == ["Announcements"]
    with pytest.raises(PermissionDenied):
        store.for_user(demo.alice.id).reader(folder.id).uids()
    store.acl.grant("@example.test", "Announcements", "@example.test", "lrs")
    assert len(store.for_user(demo.alice.id).reader(folder.id).uids()) == 1
    store.domains.add("other.test")
    store.accounts.add("olga@other.test", None)
    olga = store.accounts.get("olga@other.test")
    assert paths_seen_by(demo, "@example.test", olga.id) == []


def test_folder_created_by_a_delegate_belongs_to_them(demo: Demo) -> None:
    store = demo.store
    store.acl.grant(ALICE, "", BOB, "lk", inherit=False)
    made = store.for_user(demo.bob.id).create_folder(ALICE, "FromBob")
    assert made.account_id == demo.alice.id  # it is in alice's mailbox
    rights = store.acl.rights(BOB, ALICE, "FromBob")
    assert all(letter in rights for letter in "lrixa")
    store.for_user(demo.bob.id).append(store.folders.get(ALICE, "FromBob").id, build_message())
    store.for_user(demo.bob.id).delete_folder(ALICE, "FromBob")
    with pytest.raises(NotFound):
        store.folders.get(ALICE, "FromBob")


def test_delete_does_not_reach_subfolders_the_user_cannot_delete(demo: Demo) -> None:
    store = demo.store
    store.folders.create(ALICE, "Projects/Hidden")
    store.mail.append(ALICE, "Projects/Hidden", build_message(subject="kept"))
    store.acl.grant(ALICE, "Projects", BOB, "lrx", inherit=False)  # nothing on Projects/Hidden
    bob = store.for_user(demo.bob.id)
    with pytest.raises(PermissionDenied):
        bob.delete_folder(ALICE, "Projects")
    assert store.folders.get(ALICE, "Projects/Hidden").message_count == 1
    store.acl.grant(ALICE, "Projects", BOB, "lrx")  # now inherited by the subfolder too
    bob.delete_folder(ALICE, "Projects")
    with pytest.raises(NotFound):
        store.folders.get(ALICE, "Projects/Hidden")


def test_withdrawn_rights_apply_to_the_next_call(demo: Demo) -> None:
    store = demo.store
    fid, uid = store.mail.deliver(build_message(subject="before"), [ALICE]).delivered[ALICE]
    store.acl.grant(ALICE, "INBOX", BOB, "lrs")
    bob = store.for_user(demo.bob.id)
    assert bob.reader(fid).uids() == [uid]
    modseq = bob.changes(fid, 0).folder.highestmodseq
    store.acl.grant(ALICE, "INBOX", BOB, "l")
    store.mail.deliver(build_message(subject="after"), [ALICE])
    for call in (
        lambda: bob.reader(fid),
        lambda: bob.changes(fid, modseq),
        lambda: bob.status(fid),
        lambda: bob.set_flags(fid, [uid], ["\\Seen"]),
        lambda: bob.copy(fid, [uid], store.folders.get(BOB, "INBOX").id),
    ):
        with pytest.raises(PermissionDenied):
            call()
    store.acl.revoke(ALICE, "INBOX", BOB)
    for call in (lambda: bob.reader(fid), lambda: bob.changes(fid, modseq), lambda: bob.rights(fid)):
        with pytest.raises(NotFound, match="^no such mailbox$"):
            call()


def test_sharing_through_the_user_api_needs_the_administer_right(demo: Demo) -> None:
    store = demo.store
    inbox = store.folders.get(ALICE, "INBOX").id
    alice, bob = store.for_user(demo.alice.id), store.for_user(demo.bob.id)
    store.acl.grant(ALICE, "INBOX", BOB, "lr0")  # "send as" is granted through the admin API only
    assert alice.change_entry(inbox, BOB, "lrs") == Rights.parse("lrs0")  # a replacement keeps digits
    assert alice.change_entry(inbox, BOB, "+w") == Rights.parse("lrsw0")
    assert [(e.name, str(e.rights), e.allow) for e in alice.acl_entries(inbox)] == [(BOB, "lrsw0", True)]
    for attempt in (
        lambda: bob.acl_entries(inbox),
        lambda: bob.may_administer(inbox),
        lambda: bob.change_entry(inbox, CAROL, "lr"),
        lambda: bob.delete_entry(inbox, BOB),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    with pytest.raises(InvalidInput, match="owner's rights are implicit"):
        alice.delete_entry(inbox, ALICE)
    with pytest.raises(InvalidInput, match="owner's rights are implicit"):
        alice.change_entry(inbox, ALICE, "-r", allow=False)
    assert alice.delete_entry(inbox, BOB)
    with pytest.raises(NotFound, match="^no such mailbox$"):  # bob lost "l" with his entry
        bob.acl_entries(inbox)


def test_rename_does_not_move_subfolders_the_user_cannot_see(demo: Demo) -> None:
    store = demo.store
    store.folders.create(ALICE, "Projects/Hidden")
    store.acl.grant(ALICE, "", BOB, "lk", inherit=False)  # may create at the top of alice's tree
    store.acl.grant(ALICE, "Projects", BOB, "lrx", inherit=False)  # nothing on Projects/Hidden
    bob = store.for_user(demo.bob.id)
    with pytest.raises(PermissionDenied, match="subfolder"):
        bob.rename_folder(ALICE, "Projects", "Moved")
    assert store.folders.get(ALICE, "Projects/Hidden").path == "Projects/Hidden"
    store.acl.grant(ALICE, "Projects", BOB, "lrx")  # inherited: the subfolder is his to move too
    assert bob.rename_folder(ALICE, "Projects", "Moved").path == "Moved"
    assert store.folders.get(ALICE, "Moved/Hidden")
