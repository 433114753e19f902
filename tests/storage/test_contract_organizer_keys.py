"""An organizer item's identity (``key``), on both backends: kept while the item is replaced or moved
between folders (what JMAP's immutable ids are made of), never shared, reported in ``gone`` by a sync of
the folder it left, and found again by ``locate`` within the rights of storage.acl."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import select

from storage import schema
from storage.db import MIGRATIONS_DIR
from storage.pim.models import Gone, ItemPlace
from tests.storage.conftest import Demo
from tests.storage.test_contract_organizer import ALICE, BOB, ics, organizer, own


def todo(uid: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTODO\r\n"
        f"UID:{uid}\r\nDTSTAMP:20250101T000000Z\r\nSUMMARY:Task {uid}\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
    ).encode()


def test_a_replace_keeps_the_key_and_items_have_their_own(demo: Demo) -> None:
    org = organizer(demo)
    cal = own(org, "calendar").folder_id
    a = org.put(cal, "a.ics", ics(uid="a"))
    b = org.put(cal, "b.ics", ics(uid="b"))
    assert a.key > 0 and b.key > 0 and a.key != b.key
    token = org.sync(cal, None).token
    again = org.put(cal, "a.ics", ics(uid="a", summary="Changed"), if_match=a.etag)
    by_uid = org.put(cal, None, ics(uid="a", summary="Changed again"))  # replaced by its UID
    assert again.key == by_uid.key == a.key and org.get(cal, "a.ics").key == a.key
    assert [(r.name, r.key) for r in org.items(cal)] == [("a.ics", a.key), ("b.ics", b.key)]
    changes = org.sync(cal, token)
    assert [r.key for r in changes.changed] == [a.key] and changes.gone == []  # replaced, not gone


def test_a_move_keeps_the_key_and_the_source_reports_it_gone(demo: Demo) -> None:
    org = organizer(demo)
    cal = own(org, "calendar").folder_id
    team = org.create_collection("Team", "calendar").folder_id
    made = org.put(cal, "m.ics", ics(uid="m"))
    here, there = org.sync(cal, None).token, org.sync(team, None).token
    moved = org.move(cal, "m.ics", team)
    assert moved.key == made.key and org.get(team, "m.ics").key == made.key
    assert org.locate([made.key]) == [ItemPlace(made.key, team, "m.ics", "VEVENT")]
    left = org.sync(cal, here)
    assert left.gone == [Gone(made.key, "VEVENT")] and left.removed == ["m.ics"]
    arrived = org.sync(team, there)
    assert [(r.name, r.key, r.component) for r in arrived.changed] == [("m.ics", made.key, "VEVENT")]
    after = org.sync(cal, None).token
    org.move(team, "m.ics", cal)  # back home: no longer gone from there
    back = org.sync(cal, here)
    assert back.gone == [] and [r.key for r in back.changed] == [made.key]
    assert [r.key for r in org.sync(cal, after).changed] == [made.key]
    assert org.sync(team, there).gone == [Gone(made.key, "VEVENT")]


def test_a_deleted_item_is_gone_with_its_component(demo: Demo) -> None:
    org = organizer(demo)
    cal = own(org, "calendar").folder_id
    event = org.put(cal, "e.ics", ics(uid="e"))
    task = org.put(cal, "t.ics", todo("t"))
    assert task.component == "VTODO" and org.get(cal, "t.ics").key == task.key
    token = org.sync(cal, None).token
    org.delete(cal, "e.ics")
    org.delete(cal, "t.ics")
    gone = org.sync(cal, token).gone
    assert sorted(gone, key=lambda g: g.key) == sorted(
        [Gone(event.key, "VEVENT"), Gone(task.key, "VTODO")], key=lambda g: g.key
    )
    assert org.locate([event.key, task.key]) == []
    again = org.put(cal, "e.ics", ics(uid="e"))  # the same name made again is a new item
    assert again.key not in (event.key, task.key)


def test_an_imap_copy_is_a_new_item(demo: Demo) -> None:
    alice = demo.store.for_user(demo.alice.id)
    org = alice.organizer
    cal = own(org, "calendar").folder_id
    team = org.create_collection("Team", "calendar").folder_id
    made = org.put(cal, "c.ics", ics(uid="c"))
    alice.copy(cal, [org.get(cal, "c.ics").uid], team)
    copied = org.get(team, "c.ics")
    assert copied.key != made.key
    assert {p.folder_id for p in org.locate([made.key, copied.key])} == {cal, team}


def test_locate_follows_the_rights(demo: Demo) -> None:
    alice, bob = organizer(demo), organizer(demo, "bob")
    cal = own(alice, "calendar").folder_id
    made = alice.put(cal, "s.ics", ics(uid="s"))
    tasks = alice.put(own(alice, "tasks").folder_id, "t.ics", todo("t"))
    assert bob.locate([made.key, tasks.key, 999_999_999]) == []
    demo.store.acl.grant(ALICE, "Calendar", BOB, "l")  # sees the calendar, reads nothing
    assert bob.locate([made.key]) == []
    demo.store.acl.grant(ALICE, "Calendar", BOB, "lrs")
    assert bob.locate([made.key, tasks.key]) == [ItemPlace(made.key, cal, "s.ics", "VEVENT")]
    assert bob.locate([]) == []


def test_the_upgrade_gives_stored_items_keys_and_new_ones_come_after(demo: Demo) -> None:
    """Items stored before revision 0015 take their message id as key; the next key is higher still."""
    org = organizer(demo)
    cal = own(org, "calendar").folder_id
    for n in range(3):
        org.put(cal, f"old{n}.ics", ics(uid=f"old{n}"))
    with demo.store.db.engine.begin() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0014")
        command.upgrade(cfg, "head")
    with demo.store.db.read() as conn:
        rows = conn.execute(select(schema.pim_items.c.message_id, schema.pim_items.c.item_key)).all()
    assert len(rows) == 3 and all(r.item_key == r.message_id for r in rows)
    assert [r.key for r in org.items(cal)] == [r.item_key for r in sorted(rows, key=lambda r: r.message_id)]
    new = org.put(cal, "new.ics", ics(uid="new"))
    assert new.key > max(r.item_key for r in rows)
