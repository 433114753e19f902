"""The organizer's storage core (storage/pim, issue 16), on both backends: collections, items with ETags
and preconditions, sync-collection, items stored by any path (IMAP APPEND/COPY/MOVE/EXPUNGE, WebMail's
contacts) indexed in the same transaction, and the rights of storage.acl applied exactly as for mail."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import select

from storage import schema
from storage.db import MIGRATIONS_DIR
from storage.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied, PreconditionFailed
from storage.pim import Collection
from storage.pim.organizer import Organizer
from storage.store import open_store
from tests.storage.conftest import Demo

ALICE, BOB = "alice@example.test", "bob@example.test"


def ics(uid: str = "ev1", summary: str = "Standup", rule: str = "") -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20250101T000000Z\r\nDTSTART:20250106T100000Z\r\nDTEND:20250106T103000Z\r\n"
        f"{rule}SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def vcf(uid: str, name: str, email: str) -> bytes:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nEMAIL:{email}\r\nEND:VCARD\r\n".encode()


def organizer(demo: Demo, who: str = "alice") -> Organizer:
    account = demo.alice if who == "alice" else demo.bob if who == "bob" else demo.carol
    return demo.store.for_user(account.id).organizer


def own(org: Organizer, kind: str) -> Collection:
    return next(c for c in org.collections(kind) if not c.shared and not c.public)


def test_new_mailbox_has_its_collections(demo: Demo) -> None:
    cols = organizer(demo).collections()
    assert [(c.path, c.kind, c.owner) for c in cols] == [
        ("Calendar", "calendar", ALICE),
        ("Contacts", "contacts", ALICE),
        ("Journal", "journal", ALICE),
        ("Notes", "notes", ALICE),
        ("Tasks", "tasks", ALICE),
    ]
    assert all(not c.shared and not c.public and "lrite" in c.rights for c in cols)
    assert [c.path for c in organizer(demo).collections("tasks")] == ["Tasks"]
    with pytest.raises(InvalidInput):
        organizer(demo).collections("mail")


def test_put_get_replace_delete_with_etags(demo: Demo) -> None:
    org = organizer(demo)
    cal = own(org, "calendar").folder_id
    ref = org.put(cal, None, ics())
    assert ref.name == "ev1.ics" and len(ref.etag) == 32
    item = org.get(cal, "ev1.ics")
    assert (item.data, item.etag, item.component, item.summary, item.item_uid) == (
        ics(),
        ref.etag,
        "VEVENT",
        "Standup",
        "ev1",
    )
    assert org.items(cal) == [ref]
    with pytest.raises(PreconditionFailed):
        org.put(cal, "ev1.ics", ics(summary="Daily"), if_none_match=True)
    with pytest.raises(PreconditionFailed):
        org.put(cal, "ev1.ics", ics(summary="Daily"), if_match='"0000"')
    new = org.put(cal, "ev1.ics", ics(summary="Daily"), if_match=f'"{ref.etag}"')
    assert new.name == "ev1.ics" and new.etag != ref.etag and new.modseq > ref.modseq
    assert org.get(cal, "ev1.ics").summary == "Daily"
    assert [i.name for i in org.items(cal)] == ["ev1.ics"]  # replaced, not added
    assert demo.folder(ALICE, "Calendar").message_count == 1
    assert org.find_uid(cal, "ev1") is not None and org.find_uid(cal, "nope") is None
    with pytest.raises(PreconditionFailed):
        org.delete(cal, "ev1.ics", if_match=ref.etag)
    org.delete(cal, "ev1.ics", if_match=new.etag)
    assert org.items(cal) == []
    with pytest.raises(NotFound):
        org.get(cal, "ev1.ics")
    with pytest.raises(NotFound):
        org.delete(cal, "ev1.ics")
    with pytest.raises(PreconditionFailed):
        org.put(cal, "other.ics", ics(uid="x"), if_match=new.etag)  # If-Match on nothing fails


def test_uid_is_unique_per_folder_and_name_none_replaces(demo: Demo) -> None:
    org = organizer(demo)
    cal = own(org, "calendar").folder_id
    org.put(cal, "a.ics", ics(uid="same"))
    with pytest.raises(AlreadyExists, match="already used by item 'a.ics'"):
        org.put(cal, "b.ics", ics(uid="same"))
    again = org.put(cal, None, ics(uid="same", summary="Moved"))  # by UID: the existing item is replaced
    assert again.name == "a.ics"
    assert [(i.name, i.summary) for i in org.get_many(cal, ["a.ics", "missing.ics"])] == [("a.ics", "Moved")]


def test_bad_input_is_refused_clearly(demo: Demo) -> None:
    org = organizer(demo)
    cal = own(org, "calendar").folder_id
    with pytest.raises(InvalidInput, match="not an iCalendar object"):
        org.put(cal, "x.ics", b"Subject: hello\r\n\r\nmail")
    with pytest.raises(InvalidInput, match="calendar folder holds VEVENT or VTODO items, not VCARD"):
        org.put(cal, "x.vcf", vcf("c1", "Bob", BOB))
    with pytest.raises(InvalidInput, match="name"):
        org.put(cal, "a/b.ics", ics())
    inbox = demo.folder(ALICE).id
    with pytest.raises(InvalidInput, match="not a calendar"):
        org.put(inbox, "x.ics", ics())
    demo.store.settings.set("organizer.max_item_bytes", 1024, account=ALICE)
    with pytest.raises(InvalidInput, match="at most 1024"):
        org.put(cal, "big.ics", ics(summary="x" * 2000))
    assert org.items(cal) == []


def test_sync_reports_changes_and_removals(demo: Demo) -> None:
    org = organizer(demo)
    cal = own(org, "calendar").folder_id
    first = org.sync(cal, None)
    assert first.changed == [] and first.removed == []
    a = org.put(cal, "a.ics", ics(uid="a"))
    org.put(cal, "b.ics", ics(uid="b"))
    second = org.sync(cal, first.token)
    assert [r.name for r in second.changed] == ["a.ics", "b.ics"] and second.removed == []
    org.delete(cal, "b.ics")
    c = org.put(cal, "a.ics", ics(uid="a", summary="again"), if_match=a.etag)
    third = org.sync(cal, second.token)
    assert third.changed == [c] and third.removed == ["b.ics"]
    assert org.sync(cal, third.token).changed == [] and org.sync(cal, third.token).removed == []
    initial = org.sync(cal, "")
    assert [r.name for r in initial.changed] == ["a.ics"] and initial.removed == []
    for bad in ("garbage", "1-2", f"{third.token.split('-')[0]}-999999", "-"):
        with pytest.raises(InvalidInput, match="invalid sync token"):
            org.sync(cal, bad)


def test_items_stored_by_imap_and_webmail_are_indexed(demo: Demo) -> None:
    alice = demo.store.for_user(demo.alice.id)
    org = alice.organizer
    contacts = own(org, "contacts").folder_id
    added = alice.contacts.add("Jürgen Müller", "jm@far.test")  # WebMail's "add to contacts"
    alice.append(contacts, vcf("c2", "Bob", BOB))  # an IMAP APPEND
    alice.append(contacts, b"Subject: not a card\r\n\r\nhello\r\n")  # stays a plain message
    names = [r.name for r in org.items(contacts)]
    assert "c2.vcf" in names and len(names) == 2
    assert {i.summary for i in org.get_many(contacts, names)} == {"Jürgen Müller", "Bob"}
    token = org.sync(contacts, None).token
    extra = org.create_collection("Work contacts", "contacts")
    uid = next(i.uid for i in org.get_many(contacts, ["c2.vcf"]))
    alice.copy(contacts, [uid], extra.folder_id)  # IMAP COPY: indexed in the target too
    assert [r.name for r in org.items(extra.folder_id)] == ["c2.vcf"]
    alice.set_flags(contacts, [uid], ["\\Deleted"])
    alice.expunge(contacts)  # IMAP EXPUNGE: the sync reports the name
    assert org.sync(contacts, token).removed == ["c2.vcf"]
    assert alice.contacts.delete(added.uid) is True
    assert org.items(contacts) == []


def test_move_keeps_the_name(demo: Demo) -> None:
    org = organizer(demo)
    cal = own(org, "calendar").folder_id
    other = org.create_collection("Team", "calendar", display_name="Team calendar").folder_id
    org.put(cal, "keep-me.ics", ics(uid="m1"))
    moved = org.move(cal, "keep-me.ics", other)
    assert moved.name == "keep-me.ics" and org.items(cal) == []
    assert org.get(other, "keep-me.ics").item_uid == "m1"
    with pytest.raises(InvalidInput):
        org.move(other, "keep-me.ics", own(org, "contacts").folder_id)


def test_collections_are_created_named_coloured_and_deleted(demo: Demo) -> None:
    org = organizer(demo)
    made = org.create_collection("Projects/Launch", "tasks", display_name="  Launch   plan ")
    assert (made.path, made.kind, made.display_name, made.color) == (
        "Projects/Launch",
        "tasks",
        "Launch plan",
        None,
    )
    changed = org.update_collection(made.folder_id, color="#ff8800")
    assert (changed.display_name, changed.color) == ("Launch plan", "#FF8800")
    cleared = org.update_collection(made.folder_id, display_name="")
    assert cleared.display_name == "Launch"
    with pytest.raises(InvalidInput):
        org.update_collection(made.folder_id, color="orange")
    with pytest.raises(InvalidInput):
        org.create_collection("Bad", "mail")
    with pytest.raises(AlreadyExists):
        org.create_collection("Projects/Launch", "tasks")
    org.delete_collection(made.folder_id)
    with pytest.raises(NotFound):
        org.collection(made.folder_id)


def test_ctag_changes_with_the_content(demo: Demo) -> None:
    org = organizer(demo)
    before = own(org, "calendar")
    org.put(before.folder_id, None, ics())
    assert org.collection(before.folder_id).ctag != before.ctag


# -- rights, exactly as for mail ---------------------------------------------------------------------


def test_without_rights_a_calendar_does_not_exist(demo: Demo) -> None:
    cal = own(organizer(demo), "calendar").folder_id
    organizer(demo).put(cal, None, ics())
    bob = organizer(demo, "bob")
    assert all(c.owner == BOB for c in bob.collections())
    for call in (
        lambda: bob.collection(cal),
        lambda: bob.items(cal),
        lambda: bob.get(cal, "ev1.ics"),
        lambda: bob.sync(cal, None),
        lambda: bob.put(cal, None, ics(uid="b")),
        lambda: bob.delete(cal, "ev1.ics"),
    ):
        with pytest.raises(NotFound, match="no such mailbox|does not exist"):
            call()
    demo.store.acl.grant(ALICE, "Calendar", BOB, "l")  # looks it up, reads nothing
    with pytest.raises(PermissionDenied):
        bob.items(cal)
    with pytest.raises(PermissionDenied):
        bob.get(cal, "ev1.ics")


def test_viewer_reads_but_cannot_put(demo: Demo) -> None:
    cal = own(organizer(demo), "calendar").folder_id
    ref = organizer(demo).put(cal, None, ics())
    demo.store.acl.grant(ALICE, "Calendar", BOB, "lrs")  # viewer
    bob = organizer(demo, "bob")
    shared = [c for c in bob.collections("calendar") if c.shared]
    assert [(c.owner, c.path, str(c.rights)) for c in shared] == [(ALICE, "Calendar", "lrs")]
    assert bob.get(cal, "ev1.ics").etag == ref.etag
    assert bob.sync(cal, None).changed == [ref]
    for call in (
        lambda: bob.put(cal, None, ics(uid="new")),
        lambda: bob.put(cal, "ev1.ics", ics(summary="hacked")),
        lambda: bob.delete(cal, "ev1.ics"),
        lambda: bob.update_collection(cal, display_name="mine"),
        lambda: bob.delete_collection(cal),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert organizer(demo).get(cal, "ev1.ics").summary == "Standup"


def test_contributor_adds_but_cannot_replace(demo: Demo) -> None:
    cal = own(organizer(demo), "calendar").folder_id
    organizer(demo).put(cal, None, ics())
    demo.store.acl.grant(ALICE, "Calendar", BOB, "lrsip")  # contributor
    bob = organizer(demo, "bob")
    assert bob.put(cal, None, ics(uid="from-bob")).name == "from-bob.ics"
    with pytest.raises(PermissionDenied):
        bob.put(cal, "ev1.ics", ics(summary="changed"))
    with pytest.raises(PermissionDenied):
        bob.delete(cal, "ev1.ics")


def test_editor_replaces_and_deletes(demo: Demo) -> None:
    cal = own(organizer(demo), "calendar").folder_id
    ref = organizer(demo).put(cal, None, ics())
    demo.store.acl.grant(ALICE, "Calendar", BOB, "lrsipwtek")  # editor
    bob = organizer(demo, "bob")
    new = bob.put(cal, "ev1.ics", ics(summary="Edited by Bob"), if_match=ref.etag)
    assert organizer(demo).get(cal, "ev1.ics").etag == new.etag
    bob.delete(cal, "ev1.ics")
    assert organizer(demo).items(cal) == []


def test_deny_wins(demo: Demo) -> None:
    cal = own(organizer(demo), "calendar").folder_id
    organizer(demo).put(cal, None, ics())
    demo.store.acl.grant(ALICE, "", BOB, "lrsipwtek")  # editor on the whole mailbox
    demo.store.acl.grant(ALICE, "Calendar", BOB, "ite", allow=False)  # but no writing in the calendar
    bob = organizer(demo, "bob")
    assert bob.get(cal, "ev1.ics").summary == "Standup"
    with pytest.raises(PermissionDenied):
        bob.put(cal, None, ics(uid="x"))
    with pytest.raises(PermissionDenied):
        bob.delete(cal, "ev1.ics")
    demo.store.acl.grant(ALICE, "Calendar", BOB, "l", allow=False)  # denying "l" hides it
    with pytest.raises(NotFound):
        bob.get(cal, "ev1.ics")
    assert all(c.folder_id != cal for c in bob.collections())


def test_public_collections_of_the_domain(demo: Demo) -> None:
    demo.store.folders.create("@example.test", "Holidays", kind="calendar")
    demo.store.acl.grant("@example.test", "Holidays", "@example.test", "lrs")
    cols = [c for c in organizer(demo, "bob").collections("calendar") if c.public]
    assert [(c.owner, c.path, c.public) for c in cols] == [("@example.test", "Holidays", True)]
    with pytest.raises(PermissionDenied):
        organizer(demo, "bob").put(cols[0].folder_id, None, ics())


# -- a larger folder, and the migration -----------------------------------------------------------------


def test_sync_of_a_large_folder_returns_only_the_changes(demo: Demo) -> None:
    org = organizer(demo)
    cal = own(org, "contacts").folder_id
    alice = demo.store.for_user(demo.alice.id)
    for n in range(300):
        alice.append(cal, vcf(f"c{n:04d}", f"Person {n}", f"p{n}@far.test"))
    start = org.sync(cal, None)
    assert len(start.changed) == 300 and len(org.items(cal)) == 300
    for n in range(5):
        org.put(cal, f"c{n:04d}.vcf", vcf(f"c{n:04d}", f"Renamed {n}", f"p{n}@far.test"))
    org.delete(cal, "c0299.vcf")
    after = org.sync(cal, start.token)
    assert [r.name for r in after.changed] == [f"c{n:04d}.vcf" for n in range(5)]
    assert after.removed == ["c0299.vcf"]


def test_migration_and_reopen_index_existing_contacts(demo: Demo, store_url: str, blob_dir: object) -> None:
    """Contacts stored before revision 0012 get their organizer rows when the store opens next."""
    alice = demo.store.for_user(demo.alice.id)
    alice.contacts.add("Old Friend", "old@far.test")
    with demo.store.db.engine.begin() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0011")
        command.upgrade(cfg, "head")
    with demo.store.db.read() as conn:
        assert conn.execute(select(schema.pim_items)).all() == []
    reopened = open_store(store_url, str(blob_dir))
    try:
        org = reopened.for_user(demo.alice.id).organizer
        items = org.get_many(
            own(org, "contacts").folder_id, [r.name for r in org.items(own(org, "contacts").folder_id)]
        )
        assert [(i.summary, i.component) for i in items] == [("Old Friend", "VCARD")]
    finally:
        reopened.close()


def test_backup_and_restore_keep_the_organizer(demo: Demo, tmp_path: Path) -> None:
    """A mailbox restored from its backup (what the FTP service uploads, messages before the account
    document) gives back every organizer item, in its default and its own PIM folders."""
    org = organizer(demo)
    org.put(own(org, "calendar").folder_id, None, ics(uid="r1", rule="RRULE:FREQ=DAILY;COUNT=3\r\n"))
    demo.store.for_user(demo.alice.id).contacts.add("Old Friend", "old@far.test")
    team = org.create_collection("Team tasks", "tasks").folder_id
    org.put(team, None, ics(uid="t1").replace(b"VEVENT", b"VTODO"))
    demo.store.admins.set_password("admin", "adminpass1")
    target = open_store(f"sqlite:///{tmp_path / 'target.sqlite3'}", tmp_path / "target-blobs")
    try:
        target.admins.set_password("admin", "adminpass1")
        target.domains.add("example.test")
        src, dst = demo.store.for_admin("admin").backup, target.for_admin("admin").backup
        for folder in src.folders(ALICE):
            for m in src.messages(ALICE, folder.path):
                dst.restore_message(
                    ALICE, folder.path, m.uid, m.flags, demo.store.blobs.read(m.sha256), m.internal_date
                )
        dst.restore_account(ALICE, src.account_document(ALICE))
        back = target.for_user(target.accounts.get(ALICE).id).organizer

        def content(o: Organizer) -> dict[tuple[str, str], list[tuple[str, str, str]]]:
            return {
                (c.path, c.kind): [
                    (i.item_uid, i.etag, i.summary)
                    for i in o.get_many(c.folder_id, [r.name for r in o.items(c.folder_id)])
                ]
                for c in o.collections()
            }

        assert content(back) == content(org)
        assert content(back)[("Team tasks", "tasks")] == [("t1", org.find_uid(team, "t1").etag, "Standup")]  # type: ignore[union-attr]
    finally:
        target.close()


def test_reindex_parses_items_again(demo: Demo) -> None:
    """`fieldpost storage reindex` rebuilds the organizer's columns from the items' text."""
    from sqlalchemy import update

    org = organizer(demo)
    cal = own(org, "calendar").folder_id
    org.put(cal, None, ics())
    with demo.store.db.write() as conn:
        conn.execute(update(schema.pim_items).values(summary="stale", starts_at=None))
    assert org.get(cal, "ev1.ics").summary == "stale"
    demo.store.mail.reindex()
    with demo.store.db.read() as conn:
        row = conn.execute(select(schema.pim_items)).one()
    assert (row.summary, row.starts_at is not None) == ("Standup", True)


def test_a_broken_item_appended_by_imap_stays_a_plain_message(demo: Demo) -> None:
    alice = demo.store.for_user(demo.alice.id)
    cal = own(alice.organizer, "calendar").folder_id
    broken = ics(rule="RRULE:FREQ=FOO;COUNT=x\r\n")
    alice.append(cal, broken)  # IMAP takes it; the organizer does not show it
    assert alice.organizer.items(cal) == [] and demo.folder(ALICE, "Calendar").message_count == 1
    with pytest.raises(InvalidInput, match="unreadable iCalendar"):
        alice.organizer.put(cal, None, broken)
