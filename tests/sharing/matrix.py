"""The ACL matrix: who holds what (the roles), what they try (the operations), and what each must get.

Each (role, protocol) pair works on a tree of its own in the owner's mailbox, ``<proto>-<role>`` with
two children: ``Box`` (one message; the item operations, create-subfolder and share) and ``Gone`` (the
delete-folder operation), both given the role's entries. The guest then tries every operation, in
``OPERATIONS`` order, through one protocol. The expected answer comes from the rights storage computes
for the role (``RIGHTS``) and the letters each operation needs (``NEEDS``), never from the protocol.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from storage import acl
from storage.store import Store

#: The operations, in the order they are tried (delete-folder last: it works on "Gone").
OPERATIONS = ("list", "read", "add", "change", "delete_item", "create_subfolder", "share", "delete_folder")

#: The letters each operation needs (storage.acl; RFC 4314 4). "change" sets \\Flagged on a message; on an
#: organizer item it replaces the item (i+t+e, the manual's "add and delete items"): for every role of
#: the matrix both give the same answer, which ``test_change_needs_the_same_under_every_role`` checks.
NEEDS = {
    "list": "l",
    "read": "lr",
    "add": "li",
    "change": "lrw",
    "delete_item": "lrte",
    "create_subfolder": "lk",
    "share": "la",
    "delete_folder": "lx",
}

#: What the guest holds on Box and Gone under each role.
RIGHTS = {
    "none": "",
    "viewer": str(acl.VIEWER),
    "contributor": str(acl.CONTRIBUTOR),
    "editor": str(acl.EDITOR),
    "master": str(acl.MASTER),
    "viewer_by_group": str(acl.VIEWER),
    "editor_by_domain": str(acl.EDITOR),
    "deny_over_inherited": "",  # master from the parent, everything denied on the child
    "exception_viewer": str(acl.VIEWER),  # master from the parent, capped at viewer on the child
}
ROLES = tuple(RIGHTS)
SUBJECT = "Matrix item"
CHANGE_ITEM = "lite"  # replacing an organizer item


def task(uid: str, summary: str = SUBJECT) -> bytes:
    """A VTODO, the item of a tasks folder (what the organizer column works on)."""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//fieldpost tests//EN\r\nBEGIN:VTODO\r\n"
        f"UID:{uid}\r\nDTSTAMP:20250106T100000Z\r\nSUMMARY:{summary}\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
    ).encode()


def expected(role: str) -> dict[str, bool]:
    """Whether each operation must succeed under ``role``."""
    held = set(RIGHTS[role])
    return {op: set(NEEDS[op]) <= held for op in OPERATIONS}


@dataclass(frozen=True)
class Setup:
    owner: str
    guest: str
    third: str  # whom a "share" operation names
    top: str  # "<proto>-<role>"
    box_id: int
    gone_id: int
    uid: int  # the message in Box


@dataclass(frozen=True)
class People:
    owner: str
    owner_id: int
    guest: str
    guest_id: int
    third: str
    group: str  # has the guest as its only member


def message(subject: str = SUBJECT) -> bytes:
    return (
        f"From: Someone <someone@far.test>\r\nTo: x@example.test\r\nSubject: {subject}\r\n"
        f"Message-ID: <{secrets.token_hex(8)}@far.test>\r\nDate: Mon, 06 Jan 2025 10:00:00 +0000\r\n\r\nbody\r\n"
    ).encode()


def prepare(store: Store, people: People, proto: str, role: str, kind: str = "mail") -> Setup:
    """The role's tree, entries and item, made through the owner's own facade (as the dialog does);
    with ``kind`` "tasks" Box and Gone are tasks folders and Box holds one task (``uid`` 0: its name is
    "item.ics")."""
    mine = store.for_user(people.owner_id)
    top = f"{proto}-{role}"
    mine.create_folder(people.owner, top)
    if kind == "mail":
        box = mine.create_folder(people.owner, f"{top}/Box")
        gone = mine.create_folder(people.owner, f"{top}/Gone")
        uid = mine.append(box.id, message()).uid
    else:
        organizer = mine.organizer
        box = store.folders.get(people.owner, organizer.create_collection(f"{top}/Box", kind).path)
        gone = store.folders.get(people.owner, organizer.create_collection(f"{top}/Gone", kind).path)
        organizer.put(box.id, "item.ics", task(f"{top}-item"))
        uid = 0
    top_id = box.parent_id
    assert top_id is not None
    for folder_id in (box.id, gone.id):
        if role in ("viewer", "contributor", "editor", "master"):
            mine.change_entry(folder_id, people.guest, RIGHTS[role], inherit=False)
        elif role == "viewer_by_group":
            mine.change_entry(folder_id, people.group, RIGHTS[role], inherit=False)
        elif role == "editor_by_domain":
            mine.change_entry(folder_id, "@" + people.guest.rpartition("@")[2], RIGHTS[role], inherit=False)
        elif role == "deny_over_inherited":
            mine.change_entry(folder_id, people.guest, acl.FOLDER_RIGHTS, allow=False, inherit=False)
        elif role == "exception_viewer":
            mine.sharing.make_exception(folder_id, people.guest, str(acl.VIEWER), inherit=False)
    if role in ("deny_over_inherited", "exception_viewer"):
        mine.change_entry(top_id, people.guest, str(acl.MASTER), inherit=True)
    for folder_id in (box.id, gone.id):  # what storage computes is what the table says
        assert str(store.acl.rights_on(people.guest_id, folder_id)) == RIGHTS[role], (role, folder_id)
    return Setup(people.owner, people.guest, people.third, top, box.id, gone.id, uid)
