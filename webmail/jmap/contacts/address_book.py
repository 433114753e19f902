"""AddressBook/get and AddressBook/changes (RFC 9610 2): the contacts folders the user may see.

An AddressBook is a folder of kind contacts: the user's own, one shared with them (their rights as the
ACL engine gives them), or a public one of their domain. ``myRights`` come from those rights: mayRead is
"r", mayWrite "i", "t" and "e" together (a card is added, replaced and removed), mayShare "a", mayDelete
"x". ``isDefault`` is the user's first own address book (where the Standard interface adds a sender).
``shareWith`` is null: sharing is managed in the Standard interface's sharing page (the same ACLs).
"""

from __future__ import annotations

from typing import Any

from storage.pim import Collection
from webmail.jmap import standard_methods as std
from webmail.jmap.contacts import state as st
from webmail.jmap.registry import Args, Call, MethodError, method

CONTACTS = "urn:ietf:params:jmap:contacts"
PROPERTIES = ("id", "name", "description", "sortOrder", "isDefault", "isSubscribed", "shareWith", "myRights")


def my_rights(book: Collection) -> dict[str, bool]:
    rights = book.rights
    return {
        "mayRead": "r" in rights,
        "mayWrite": "ite" in rights,
        "mayShare": "a" in rights,
        "mayDelete": "x" in rights,
    }


def book_object(book: Collection, index: int, default_id: int | None) -> dict[str, Any]:
    return {
        "id": st.book_id(book.folder_id),
        "name": book.display_name,
        "description": None if not book.shared else book.owner,
        "sortOrder": index,
        "isDefault": book.folder_id == default_id,
        "isSubscribed": True,
        "shareWith": None,
        "myRights": my_rights(book),
    }


def default_book(books: list[Collection]) -> int | None:
    own = [b.folder_id for b in books if not b.shared and not b.public]
    return own[0] if own else None


@method("AddressBook/get", CONTACTS)
def address_book_get(call: Call, args: Args) -> Args:
    asked = std.get_args(call, args, PROPERTIES)
    books = call.user.organizer.collections("contacts")
    default_id = default_book(books)
    by_id = {st.book_id(b.folder_id): (i, b) for i, b in enumerate(books)}
    wanted = asked.ids if asked.ids is not None else list(by_id)
    found, missing = [], []
    for book_id in dict.fromkeys(wanted):
        if book_id not in by_id:
            missing.append(book_id)
            continue
        index, book = by_id[book_id]
        whole = book_object(book, index, default_id)
        found.append({p: whole[p] for p in asked.properties})
    return {"accountId": call.account_id, "state": st.book_state(books), "list": found, "notFound": missing}


@method("AddressBook/changes", CONTACTS)
def address_book_changes(call: Call, args: Args) -> Args:
    asked = std.changes_args(call, args)
    old = st.parse_book_state(asked.since_state)
    if old is None:
        raise MethodError("cannotCalculateChanges", "not a state of this server")
    books = call.user.organizer.collections("contacts")
    now = st.book_points(books)
    created = [st.book_id(f) for f in now if f not in old]
    updated = [st.book_id(f) for f in now if f in old and old[f] != now[f]]
    destroyed = [st.book_id(f) for f in old if f not in now]
    if asked.max_changes is not None and len(created) + len(updated) + len(destroyed) > asked.max_changes:
        raise MethodError("cannotCalculateChanges", "more address book changes than maxChanges")
    return {
        "accountId": call.account_id,
        "oldState": asked.since_state,
        "newState": st.book_state(books),
        "hasMoreChanges": False,
        "created": created,
        "updated": updated,
        "destroyed": destroyed,
        "updatedProperties": None,
    }
