"""Messages in folders as an IMAP client sees them: UID/MODSEQ rules, flags, counters, copy/move, expunge,
append, keywords, and the folder tree (create with parents, rename subtree, delete, public folders)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage.errors import AlreadyExists, InvalidInput, NotFound
from tests.storage.conftest import Demo, build_message

ALICE = "alice@example.test"
BOB = "bob@example.test"


def deliver(demo: Demo, to: str = ALICE, **kw: object) -> tuple[int, int]:
    """Deliver a new message to ``to``; returns (folder id, uid)."""
    result = demo.store.mail.deliver(build_message(**kw), [to])  # type: ignore[arg-type]
    assert to in result.delivered, result.failed
    return result.delivered[to]


def flags_of(demo: Demo, folder_id: int, uid: int) -> frozenset[str]:
    (info,) = demo.store.mail.info(folder_id, [uid])
    return info.flags


# -- UIDs ---------------------------------------------------------------------------------------------


def test_uids_strictly_ascending_and_uidnext_follows(demo: Demo) -> None:
    inbox = demo.folder(ALICE)
    assert inbox.uidnext == 1 and inbox.message_count == 0
    uids = [deliver(demo)[1] for _ in range(4)]
    assert uids == sorted(uids) and len(set(uids)) == 4
    assert uids[0] >= 1
    assert demo.folder(ALICE).uidnext == uids[-1] + 1
    assert demo.store.mail.uids(inbox.id) == uids


def test_uids_never_reused_after_expunge(demo: Demo) -> None:
    fid, first = deliver(demo)
    _, second = deliver(demo)
    demo.store.mail.set_flags(fid, [second], ["\\Deleted"])
    assert demo.store.mail.expunge(fid) == [second]
    _, third = deliver(demo)
    assert third > second > first
    assert demo.store.mail.uids(fid) == [first, third]
    assert demo.folder(ALICE).uidnext == third + 1


def test_append_after_expunging_everything_continues_uids(demo: Demo) -> None:
    fid = demo.folder(ALICE, "Drafts").id
    old = demo.store.mail.append(ALICE, "Drafts", build_message(), ["\\Deleted"])
    demo.store.mail.expunge(fid)
    assert demo.store.mail.uids(fid) == []
    new = demo.store.mail.append(ALICE, "Drafts", build_message())
    assert new > old


def test_uidvalidity_changes_when_folder_recreated(demo: Demo) -> None:
    first = demo.store.folders.create(ALICE, "Projects")
    demo.store.mail.append(ALICE, "Projects", build_message())
    demo.store.folders.delete(ALICE, "Projects")
    with pytest.raises(NotFound):
        demo.store.folders.get(ALICE, "Projects")
    again = demo.store.folders.create(ALICE, "Projects")
    assert again.uidvalidity != first.uidvalidity
    assert again.uidnext == 1 and again.message_count == 0


def test_uidvalidity_differs_between_folders(demo: Demo) -> None:
    folders = demo.store.folders.list(ALICE) + demo.store.folders.list(BOB)
    assert len({f.uidvalidity for f in folders}) == len(folders)


# -- MODSEQ -------------------------------------------------------------------------------------------


def test_highestmodseq_increases_on_every_change(demo: Demo) -> None:
    store = demo.store
    seen = [demo.folder(ALICE).highestmodseq]

    def changed() -> None:
        now = demo.folder(ALICE).highestmodseq
        assert now > seen[-1]
        seen.append(now)

    fid, uid = deliver(demo)
    changed()
    (info,) = store.mail.info(fid, [uid])
    assert info.modseq == seen[-1]
    store.mail.set_flags(fid, [uid], ["\\Seen"])
    changed()
    (info,) = store.mail.info(fid, [uid])
    assert info.modseq == seen[-1]
    store.mail.set_flags(fid, [uid], ["$Work"])
    changed()
    store.mail.set_flags(fid, [uid], ["\\Deleted"])
    changed()
    store.mail.expunge(fid)
    changed()
    store.mail.append(ALICE, "INBOX", build_message())
    changed()
    other = demo.folder(ALICE, "Archive")
    store.mail.copy(other.id, [], fid)  # nothing to copy: no change
    assert demo.folder(ALICE).highestmodseq == seen[-1]


def test_unchanged_flags_get_no_new_modseq(demo: Demo) -> None:
    fid, uid = deliver(demo)
    demo.store.mail.set_flags(fid, [uid], ["\\Flagged"])
    before = demo.folder(ALICE).highestmodseq
    changed, conflicts = demo.store.mail.set_flags(fid, [uid], ["\\Flagged"], "add")
    assert changed == [] and conflicts == []
    changed, _ = demo.store.mail.set_flags(fid, [uid], ["\\Answered"], "remove")
    assert changed == []
    assert demo.folder(ALICE).highestmodseq == before
    (info,) = demo.store.mail.info(fid, [uid])
    assert info.modseq == before


def test_one_change_one_modseq_shared_by_messages(demo: Demo) -> None:
    fid, u1 = deliver(demo)
    _, u2 = deliver(demo)
    changed, _ = demo.store.mail.set_flags(fid, [u1, u2], ["\\Seen"])
    assert {c.uid for c in changed} == {u1, u2}
    assert len({c.modseq for c in changed}) == 1
    assert changed[0].modseq == demo.folder(ALICE).highestmodseq


def test_changed_since_lists_only_later_changes(demo: Demo) -> None:
    fid, u1 = deliver(demo)
    _, u2 = deliver(demo)
    mark = demo.folder(ALICE).highestmodseq
    demo.store.mail.set_flags(fid, [u1], ["\\Seen"])
    assert [m.uid for m in demo.store.mail.info(fid, changed_since=mark)] == [u1]
    assert {m.uid for m in demo.store.mail.info(fid, changed_since=0)} == {u1, u2}


# -- flags --------------------------------------------------------------------------------------------


def test_set_flags_add_remove_replace(demo: Demo) -> None:
    fid, uid = deliver(demo)
    mail = demo.store.mail
    assert flags_of(demo, fid, uid) == frozenset()
    mail.set_flags(fid, [uid], ["\\Seen", "\\Flagged"], "add")
    assert flags_of(demo, fid, uid) == {"\\Seen", "\\Flagged"}
    mail.set_flags(fid, [uid], ["\\Flagged"], "remove")
    assert flags_of(demo, fid, uid) == {"\\Seen"}
    changed, _ = mail.set_flags(fid, [uid], ["\\Answered", "$Label1"], "replace")
    assert flags_of(demo, fid, uid) == {"\\Answered", "$Label1"}
    assert changed[0].flags == {"\\Answered", "$Label1"}
    mail.set_flags(fid, [uid], [], "replace")
    assert flags_of(demo, fid, uid) == frozenset()


def test_system_flag_names_are_case_insensitive_and_unknown_refused(demo: Demo) -> None:
    fid, uid = deliver(demo)
    demo.store.mail.set_flags(fid, [uid], ["\\seen", "\\FLAGGED"])
    assert flags_of(demo, fid, uid) == {"\\Seen", "\\Flagged"}
    with pytest.raises(InvalidInput):
        demo.store.mail.set_flags(fid, [uid], ["\\Bogus"])
    with pytest.raises(InvalidInput):
        demo.store.mail.set_flags(fid, [uid], ["bad keyword"])


def test_keywords_kept_and_removed(demo: Demo) -> None:
    fid, uid = deliver(demo)
    demo.store.mail.set_flags(fid, [uid], ["$Work", "$Private", "\\Seen"])
    assert flags_of(demo, fid, uid) == {"$Work", "$Private", "\\Seen"}
    demo.store.mail.set_flags(fid, [uid], ["$Work"], "remove")
    assert flags_of(demo, fid, uid) == {"$Private", "\\Seen"}
    demo.store.mail.set_flags(fid, [uid], ["$Private"], "add")  # already there: no duplicate
    assert flags_of(demo, fid, uid) == {"$Private", "\\Seen"}


def test_keywords_take_every_atom_char(demo: Demo) -> None:
    """RFC 3501 9: flag-keyword = atom, so "[", "}", "," and "/" are keyword characters; "]" is not."""
    fid, uid = deliver(demo)
    every = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '(){ %*"\\]')
    demo.store.mail.set_flags(fid, [uid], [every, "a[b"])
    assert flags_of(demo, fid, uid) == {every, "a[b"}
    with pytest.raises(InvalidInput):
        demo.store.mail.set_flags(fid, [uid], ["a]b"])


def test_nil_is_not_a_keyword(demo: Demo) -> None:
    """RFC 3501 4.5: NIL means "no value"; a keyword of that name would read as no keyword at all."""
    fid, uid = deliver(demo)
    for name in ("NIL", "nil", "Nil"):
        with pytest.raises(InvalidInput):
            demo.store.mail.set_flags(fid, [uid], [name])
        with pytest.raises(InvalidInput):
            demo.store.mail.append_to_folder(fid, build_message(), [name])
    demo.store.mail.set_flags(fid, [uid], ["$NILS", "Nile"])  # only the whole word is refused
    assert flags_of(demo, fid, uid) == {"$NILS", "Nile"}


def test_unchangedsince_conflicts_are_reported_and_not_applied(demo: Demo) -> None:
    fid, u1 = deliver(demo)
    _, u2 = deliver(demo)
    mark = demo.folder(ALICE).highestmodseq
    demo.store.mail.set_flags(fid, [u1], ["$Other"])  # someone else changes u1 after the client's mark
    changed, conflicts = demo.store.mail.set_flags(fid, [u1, u2], ["\\Seen"], unchanged_since=mark)
    assert conflicts == [u1]
    assert [c.uid for c in changed] == [u2]
    assert "\\Seen" not in flags_of(demo, fid, u1)
    assert "\\Seen" in flags_of(demo, fid, u2)


def test_set_flags_on_missing_uid_is_ignored(demo: Demo) -> None:
    fid, uid = deliver(demo)
    changed, conflicts = demo.store.mail.set_flags(fid, [uid + 100], ["\\Seen"])
    assert changed == [] and conflicts == []


# -- counters -----------------------------------------------------------------------------------------


def counters(demo: Demo, path: str = "INBOX", who: str = ALICE) -> tuple[int, int, int]:
    f = demo.folder(who, path)
    return f.message_count, f.unseen_count, f.total_bytes


def test_counters_follow_deliver_flags_copy_move_expunge(demo: Demo) -> None:
    store = demo.store
    m1, m2 = build_message(body="one"), build_message(body="second message")
    r1 = store.mail.deliver(m1, [ALICE])
    r2 = store.mail.deliver(m2, [ALICE])
    fid, u1 = r1.delivered[ALICE]
    _, u2 = r2.delivered[ALICE]
    assert counters(demo) == (2, 2, len(m1) + len(m2))

    store.mail.set_flags(fid, [u1], ["\\Seen"])
    assert counters(demo) == (2, 1, len(m1) + len(m2))
    store.mail.set_flags(fid, [u1], ["\\Seen"])  # no change
    assert counters(demo) == (2, 1, len(m1) + len(m2))
    store.mail.set_flags(fid, [u1], ["\\Flagged"], "replace")  # replace drops \Seen
    assert counters(demo) == (2, 2, len(m1) + len(m2))
    store.mail.set_flags(fid, [u1], ["\\Seen"])

    archive = demo.folder(ALICE, "Archive")
    store.mail.copy(fid, [u1, u2], archive.id)
    assert counters(demo) == (2, 1, len(m1) + len(m2))
    assert counters(demo, "Archive") == (2, 1, len(m1) + len(m2))

    trash = demo.folder(ALICE, "Trash")
    store.mail.move(fid, [u2], trash.id)
    assert counters(demo) == (1, 0, len(m1))
    assert counters(demo, "Trash") == (1, 1, len(m2))

    store.mail.set_flags(trash.id, store.mail.uids(trash.id), ["\\Deleted"])
    store.mail.expunge(trash.id)
    assert counters(demo, "Trash") == (0, 0, 0)

    account = store.accounts.get(ALICE)
    assert account.message_count == 3
    assert account.used_bytes == 2 * len(m1) + len(m2)
    assert store.check().ok, store.check().problems


# -- copy / move / expunge ----------------------------------------------------------------------------


def test_copy_returns_uid_mapping_and_keeps_flags_and_date(demo: Demo) -> None:
    store = demo.store
    when = datetime(2020, 5, 17, 8, 30, tzinfo=UTC)
    src = demo.folder(ALICE, "Drafts")
    u1 = store.mail.append(ALICE, "Drafts", build_message(), ["\\Draft", "$Keep"], when)
    u2 = store.mail.append(ALICE, "Drafts", build_message())
    dst = demo.store.folders.create(ALICE, "Kept")
    dst_before = dst.uidnext
    mapping = store.mail.copy(src.id, [u2, u1], dst.id)
    assert set(mapping) == {u1, u2}
    assert sorted(mapping.values()) == [dst_before, dst_before + 1]
    assert mapping[u1] < mapping[u2]  # source UID order is kept
    assert store.mail.uids(src.id) == [u1, u2]  # copy leaves the source alone
    (copied,) = store.mail.info(dst.id, [mapping[u1]])
    (original,) = store.mail.info(src.id, [u1])
    assert copied.flags == {"\\Draft", "$Keep"}
    assert copied.internal_date == when
    assert copied.sha256 == original.sha256
    assert store.mail.raw(dst.id, mapping[u1]) == store.mail.raw(src.id, u1)


def test_move_removes_from_source_and_reports_vanished(demo: Demo) -> None:
    store = demo.store
    fid, u1 = deliver(demo)
    _, u2 = deliver(demo)
    _, u3 = deliver(demo)
    mark = demo.folder(ALICE).highestmodseq
    archive = demo.folder(ALICE, "Archive")
    mapping = store.mail.move(fid, [u1, u3], archive.id)
    assert set(mapping) == {u1, u3}
    assert store.mail.uids(fid) == [u2]
    assert store.mail.uids(archive.id) == sorted(mapping.values())
    assert store.mail.expunged_since(fid, mark) == [u1, u3]
    assert store.mail.expunged_since(fid, demo.folder(ALICE).highestmodseq) == []
    assert demo.folder(ALICE).highestmodseq > mark


def test_move_within_one_folder_gives_new_uids(demo: Demo) -> None:
    """RFC 6851 MOVE into the folder itself: a copy with a new UID, the original expunged."""
    store = demo.store
    fid, u1 = deliver(demo)
    _, u2 = deliver(demo)
    store.mail.set_flags(fid, [u1], ["\\Flagged", "$Work"])
    raw = store.mail.raw(fid, u1)
    before = counters(demo)
    mark = demo.folder(ALICE).highestmodseq
    mapping = store.mail.move(fid, [u1], fid)
    assert mapping == {u1: u2 + 1}
    assert store.mail.uids(fid) == [u2, u2 + 1]
    assert store.mail.raw(fid, u2 + 1) == raw and flags_of(demo, fid, u2 + 1) == {"\\Flagged", "$Work"}
    assert store.mail.expunged_since(fid, mark) == [u1]
    assert counters(demo) == before and store.accounts.get(ALICE).message_count == 2


def test_move_to_other_account_folder(demo: Demo) -> None:
    store = demo.store
    fid, uid = deliver(demo)
    raw = store.mail.raw(fid, uid)
    bob_inbox = demo.folder(BOB)
    mapping = store.mail.move(fid, [uid], bob_inbox.id)
    assert store.mail.raw(bob_inbox.id, mapping[uid]) == raw
    assert store.accounts.get(ALICE).message_count == 0
    assert store.accounts.get(BOB).message_count == 1
    assert store.accounts.get(BOB).used_bytes == len(raw)


def test_copy_of_missing_uids_is_empty(demo: Demo) -> None:
    fid, uid = deliver(demo)
    archive = demo.folder(ALICE, "Archive")
    assert demo.store.mail.copy(fid, [uid + 50], archive.id) == {}
    assert demo.store.mail.uids(archive.id) == []


def test_expunge_removes_only_deleted(demo: Demo) -> None:
    store = demo.store
    fid, u1 = deliver(demo)
    _, u2 = deliver(demo)
    _, u3 = deliver(demo)
    store.mail.set_flags(fid, [u1, u3], ["\\Deleted"])
    mark = demo.folder(ALICE).highestmodseq
    assert store.mail.expunge(fid) == [u1, u3]
    assert store.mail.uids(fid) == [u2]
    assert store.mail.expunged_since(fid, mark) == [u1, u3]
    assert store.mail.expunge(fid) == []


def test_uid_expunge_limits_to_given_uids(demo: Demo) -> None:
    store = demo.store
    fid, u1 = deliver(demo)
    _, u2 = deliver(demo)
    _, u3 = deliver(demo)
    store.mail.set_flags(fid, [u1, u2], ["\\Deleted"])
    assert store.mail.expunge(fid, [u2, u3]) == [u2]  # u3 not \Deleted, u1 not named
    assert store.mail.uids(fid) == [u1, u3]


# -- append -------------------------------------------------------------------------------------------


def test_append_with_internal_date_and_flags(demo: Demo) -> None:
    store = demo.store
    when = datetime(2019, 12, 31, 23, 59, 58, tzinfo=UTC)
    raw = build_message(subject="Saved draft")
    uid = store.mail.append(ALICE, "Drafts", raw, ["\\Seen", "\\Draft", "$Todo"], when)
    folder = demo.folder(ALICE, "Drafts")
    (info,) = store.mail.info(folder.id, [uid])
    assert info.flags == {"\\Seen", "\\Draft", "$Todo"}
    assert info.internal_date == when
    assert info.size == len(raw)
    assert info.subject == "Saved draft"
    assert store.mail.raw(folder.id, uid) == raw
    assert store.mail.raw(folder.id, uid, start=0, end=5) == raw[:5]
    assert folder.unseen_count == 0 and folder.message_count == 1


def test_append_without_date_uses_now(demo: Demo) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    uid = demo.store.mail.append(ALICE, "INBOX", build_message())
    (info,) = demo.store.mail.info(demo.folder(ALICE).id, [uid])
    assert before <= info.internal_date.replace(microsecond=0) <= datetime.now(UTC)


def test_append_empty_message_refused(demo: Demo) -> None:
    with pytest.raises(InvalidInput):
        demo.store.mail.append(ALICE, "INBOX", b"")


def test_append_to_missing_folder_is_not_found(demo: Demo) -> None:
    with pytest.raises(NotFound):
        demo.store.mail.append(ALICE, "Nope", build_message())


def test_deliver_to_named_folder_falls_back_to_inbox(demo: Demo) -> None:
    store = demo.store
    r = store.mail.deliver(build_message(), [ALICE], folder="Junk")
    assert r.delivered[ALICE][0] == demo.folder(ALICE, "Junk").id
    r = store.mail.deliver(build_message(), [ALICE], folder="No/Such")
    assert r.delivered[ALICE][0] == demo.folder(ALICE).id


def test_cached_metadata_without_reparse(demo: Demo) -> None:
    raw = build_message(subject="Quarterly report", body="Numbers are up this quarter.")
    fid, uid = deliver(demo, body="x")  # another message first, so uids differ from 1
    r = demo.store.mail.deliver(raw, [ALICE])
    fid, uid = r.delivered[ALICE]
    (info,) = demo.store.mail.info(fid, [uid])
    assert info.subject == "Quarterly report"
    assert info.from_display == "Sender"
    assert "Numbers are up" in info.snippet
    assert info.structure  # BODYSTRUCTURE cached
    assert info.sha256 == r.sha256


# -- folders ------------------------------------------------------------------------------------------


def test_new_account_has_default_folders(demo: Demo) -> None:
    folders = {f.path: f for f in demo.store.folders.list(ALICE)}
    for path in ("INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"):
        assert path in folders
    assert folders["INBOX"].role == "inbox"
    assert folders["Sent"].role == "sent"
    assert folders["Calendar"].kind == "calendar"
    assert folders["Contacts"].kind == "contacts"


def test_folder_create_with_parents(demo: Demo) -> None:
    store = demo.store
    count = store.folders.count(ALICE)
    leaf = store.folders.create(ALICE, "Work/Clients/Acme")
    assert leaf.path == "Work/Clients/Acme" and leaf.name == "Acme"
    parent = store.folders.get(ALICE, "Work/Clients")
    top = store.folders.get(ALICE, "Work")
    assert leaf.parent_id == parent.id and parent.parent_id == top.id
    assert store.folders.count(ALICE) == count + 3
    assert store.accounts.get(ALICE).folder_count == count + 3
    with pytest.raises(AlreadyExists):
        store.folders.create(ALICE, "Work/Clients/Acme")
    sibling = store.folders.create(ALICE, "Work/Clients/Zeta")  # existing parents are reused
    assert sibling.parent_id == parent.id
    assert store.folders.count(ALICE) == count + 4


def test_folder_names_validated_and_inbox_canonical(demo: Demo) -> None:
    store = demo.store
    with pytest.raises(InvalidInput):
        store.folders.create(ALICE, "a//b")
    with pytest.raises(InvalidInput):
        store.folders.create(ALICE, "bad\x01name")
    assert store.folders.get(ALICE, "inbox").id == demo.folder(ALICE).id
    with pytest.raises(InvalidInput):
        store.folders.create(ALICE, "x", kind="spreadsheet")


def test_folder_rename_moves_subtree_and_keeps_ids(demo: Demo) -> None:
    store = demo.store
    a = store.folders.create(ALICE, "Projects")
    b = store.folders.create(ALICE, "Projects/2024")
    c = store.folders.create(ALICE, "Projects/2024/Q1")
    uid = store.mail.append(ALICE, "Projects/2024/Q1", build_message())
    renamed = store.folders.rename(ALICE, "Projects", "Archive/Old Projects")
    assert renamed.id == a.id and renamed.path == "Archive/Old Projects"
    assert renamed.parent_id == demo.folder(ALICE, "Archive").id
    moved_b = store.folders.get(ALICE, "Archive/Old Projects/2024")
    moved_c = store.folders.get(ALICE, "Archive/Old Projects/2024/Q1")
    assert (moved_b.id, moved_c.id) == (b.id, c.id)
    assert moved_c.uidvalidity == c.uidvalidity
    assert store.mail.uids(moved_c.id) == [uid]
    for old in ("Projects", "Projects/2024", "Projects/2024/Q1"):
        with pytest.raises(NotFound):
            store.folders.get(ALICE, old)
    paths = [f.path for f in store.folders.list(ALICE)]
    assert not any(p.startswith("Projects") for p in paths)


def test_folder_rename_refusals(demo: Demo) -> None:
    store = demo.store
    store.folders.create(ALICE, "One/Two")
    with pytest.raises(AlreadyExists):
        store.folders.rename(ALICE, "One", "Sent")
    with pytest.raises(InvalidInput):
        store.folders.rename(ALICE, "One", "One/Two/Three")
    with pytest.raises(InvalidInput):
        store.folders.rename(ALICE, "INBOX", "Old Inbox")
    with pytest.raises(NotFound):
        store.folders.rename(ALICE, "Missing", "Other")


def test_rename_does_not_touch_similarly_named_folders(demo: Demo) -> None:
    store = demo.store
    store.folders.create(ALICE, "Work/A")
    store.folders.create(ALICE, "Workshop/B")
    store.folders.rename(ALICE, "Work", "Job")
    paths = {f.path for f in store.folders.list(ALICE)}
    assert {"Job", "Job/A", "Workshop", "Workshop/B"} <= paths


def test_folder_delete_removes_subtree_and_releases_messages(demo: Demo) -> None:
    store = demo.store
    store.folders.create(ALICE, "Old/Sub")
    raw = build_message()
    store.mail.append(ALICE, "Old", raw)
    store.mail.append(ALICE, "Old/Sub", build_message())
    count = store.folders.count(ALICE)
    store.folders.delete(ALICE, "Old")
    for path in ("Old", "Old/Sub"):
        with pytest.raises(NotFound):
            store.folders.get(ALICE, path)
    assert store.folders.count(ALICE) == count - 2
    account = store.accounts.get(ALICE)
    assert (account.message_count, account.used_bytes) == (0, 0)
    assert account.folder_count == count - 2
    store.mail.collect_garbage()
    assert store.stats()["blobs"] == 0
    assert list(store.blobs) == []
    assert store.check().ok, store.check().problems


def test_inbox_cannot_be_deleted(demo: Demo) -> None:
    with pytest.raises(InvalidInput):
        demo.store.folders.delete(ALICE, "INBOX")


def test_folder_of_other_account_is_separate(demo: Demo) -> None:
    demo.store.folders.create(ALICE, "Private")
    with pytest.raises(NotFound):
        demo.store.folders.get(BOB, "Private")
    assert demo.folder(ALICE).id != demo.folder(BOB).id


def test_public_folders_per_domain(demo: Demo) -> None:
    store = demo.store
    shared = store.folders.create("@example.test", "Company/News")
    assert shared.account_id is None and shared.domain_id == demo.domain.id
    assert [f.path for f in store.folders.list("@example.test")] == ["Company", "Company/News"]
    uid = store.mail.append("@example.test", "Company/News", build_message(subject="All hands"))
    assert store.mail.uids(shared.id) == [uid]
    with pytest.raises(NotFound):
        store.folders.get(ALICE, "Company/News")  # not in anyone's mailbox
    # public messages count against no one's quota
    assert store.accounts.get(ALICE).message_count == 0
    store.domains.add("other.test")
    assert store.folders.list("@other.test") == []
