"""ContactCard/set (RFC 9610 3.4 over RFC 8620 5.3): cards made, changed and removed through the
organizer, which checks the rights ("i" to add; "i", "t", "e" to replace; "t", "e" to remove) and the
vCard, exactly as for a CardDAV PUT.

* create: ``addressBookIds`` names exactly one address book; the JSContact becomes a vCard 3.0
  (webmail/jmap/contacts/jscontact.py) stored under a name made from its UID (a new ``urn:uuid:`` when
  the client gives none). The answer carries the server-set ``id``, ``uid`` and ``addressBookIds``.
* update: the PatchObject is applied to the card as /get shows it, and the result is written over the
  stored vCard (lines JSContact does not carry survive); ``uid`` and ``addressBookIds`` cannot change
  (a card moves by being destroyed in one book and created in the other). The write is conditional on
  the card's ETag, so an edit made meanwhile by another client is not overwritten (``stateMismatch``
  SetError... answered as ``forbidden`` with a description, the RFC having no better type).
* destroy: the card is expunged at once (no Trash for cards, as everywhere).
"""

from __future__ import annotations

import copy
from typing import Any

from storage.errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    QuotaExceeded,
)
from webmail.jmap import standard_methods as std
from webmail.jmap.contacts import card_get, jscontact
from webmail.jmap.contacts import state as st
from webmail.jmap.contacts.address_book import CONTACTS
from webmail.jmap.mail.if_in_state import check_state
from webmail.jmap.registry import Args, Call, method

STORAGE_ERRORS = (NotFound, PermissionDenied, InvalidInput, QuotaExceeded, PreconditionFailed, AlreadyExists)


class SetFailed(std.SetRefused):
    def __init__(self, type_: str, description: str | None = None, **extra: Any) -> None:
        super().__init__(description or type_)
        self.error = std.set_error(type_, description, **extra)


def _storage_error(exc: Exception) -> SetFailed:
    if isinstance(exc, NotFound):
        return SetFailed("notFound", str(exc))
    if isinstance(exc, PermissionDenied):
        return SetFailed("forbidden", str(exc))
    if isinstance(exc, QuotaExceeded):
        return SetFailed("overQuota", str(exc))
    if isinstance(exc, PreconditionFailed):
        if "exists" in str(exc):
            return SetFailed("invalidProperties", "a card with this uid is already there", properties=["uid"])
        return SetFailed("forbidden", "the card was changed meanwhile; read it again")
    if isinstance(exc, AlreadyExists):
        return SetFailed("invalidProperties", str(exc), properties=["uid"])
    if isinstance(exc, jscontact.CardInvalid):
        return SetFailed("invalidProperties", str(exc), properties=exc.properties)
    return SetFailed("invalidProperties", str(exc))


def _book(value: Any) -> int:
    """The one address book of an ``addressBookIds`` value."""
    if not isinstance(value, dict) or len(value) != 1 or list(value.values()) != [True]:
        raise SetFailed(
            "invalidProperties",
            "addressBookIds must name exactly one address book",
            properties=["addressBookIds"],
        )
    folder_id = st.parse_book_id(next(iter(value)))
    if folder_id is None:
        raise SetFailed("invalidProperties", "no such address book", properties=["addressBookIds"])
    return folder_id


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def apply_patch(card: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """RFC 8620 5.3: each key a JSON Pointer (without the leading "/") into the card, each value the new
    value there, null to remove it. A pointer through something missing is ``invalidPatch``."""
    out = copy.deepcopy(card)
    for pointer, value in patch.items():
        tokens = [_unescape(t) for t in pointer.split("/")]
        if not pointer or any(t == "" for t in tokens):
            raise SetFailed("invalidPatch", f"bad pointer {pointer!r}")
        target: Any = out
        for token in tokens[:-1]:
            if not isinstance(target, dict) or not isinstance(target.get(token), dict):
                raise SetFailed("invalidPatch", f"{pointer!r} goes through something that is not there")
            target = target[token]
        if not isinstance(target, dict):
            raise SetFailed("invalidPatch", f"{pointer!r} does not point into an object")
        if value is None:
            target.pop(tokens[-1], None)
        else:
            target[tokens[-1]] = value
    return out


def _create(call: Call, card: dict[str, Any]) -> Args:
    for prop in ("id", "@type", "version", "updated"):
        if prop in card and prop != "@type":
            raise SetFailed("invalidProperties", f"{prop} is set by the server", properties=[prop])
    folder_id = _book(card.get("addressBookIds"))
    try:
        data = jscontact.vcard_from_card(card)
        ref = call.user.organizer.put(folder_id, None, data, if_none_match=True)
        stored = call.user.organizer.get(folder_id, ref.name)
    except STORAGE_ERRORS as exc:
        raise _storage_error(exc) from None
    return {
        "id": st.card_id(folder_id, ref.name),
        "uid": stored.item_uid,
        "addressBookIds": {st.book_id(folder_id): True},
    }


def _update(call: Call, card_id: str, patch: dict[str, Any]) -> None:
    stored = card_get.load(call, [card_id]).get(card_id)
    key = st.parse_card_id(card_id)
    if stored is None or key is None:
        raise SetFailed("notFound")
    current = card_get.card_object(card_id, key.folder_id, stored)
    wanted = apply_patch(current, patch)
    for prop in ("id", "uid", "addressBookIds", "@type", "version"):
        if wanted.get(prop) != current.get(prop):
            raise SetFailed("invalidProperties", f"{prop} cannot be changed", properties=[prop])
    wanted.pop("updated", None)
    try:
        data = jscontact.vcard_from_card(wanted, previous=stored.data)
        call.user.organizer.put(key.folder_id, stored.name, data, if_match=stored.etag)
    except STORAGE_ERRORS as exc:
        raise _storage_error(exc) from None


def _destroy(call: Call, card_id: str) -> None:
    stored = card_get.load(call, [card_id]).get(card_id)  # a card, not an event a guessed id names
    key = st.parse_card_id(card_id)
    if stored is None or key is None:
        raise SetFailed("notFound")
    try:
        call.user.organizer.delete(key.folder_id, stored.name, if_match=stored.etag)
    except STORAGE_ERRORS as exc:
        raise _storage_error(exc) from None


def _state(call: Call) -> str:
    return st.card_state(st.readable_books(call.user))


@method("ContactCard/set", CONTACTS)
def card_set(call: Call, args: Args) -> Args:
    asked = std.set_args(call, args)
    old_state = _state(call)
    check_state(asked.if_in_state, old_state)
    return std.apply_set(
        call,
        asked,
        old_state,
        lambda: _state(call),
        lambda card: _create(call, card),
        lambda card_id, patch: _update(call, card_id, patch),
        lambda card_id: _destroy(call, card_id),
    )
