"""Contact groups as recipients: a group's name typed in To, Cc or Bcc sends to every member.

When a message is sent (webmail/composing.py, action "send"), each recipient entry without an "@" is
looked up among the groups of the address books the user may read (own, shared, the domain's public
ones: webmail/pim_pages.py) by name, case and accents folded; a match is replaced by its members. A
member is an address (``mailto:``) or another card of the same address book (``urn:uuid:UID``, as
Apple's clients write): that card's first address, or, if it is a group itself, its members in turn --
at most ``MAX_DEPTH`` groups deep, and each address once. An entry that names no group is left as it
was, so the composer reports it as not an address, as before.

Drafts keep the group's name (it is expanded only when sending), so a saved draft still reads as typed.
"""

from __future__ import annotations

from dataclasses import replace

from mailflow.compose import Draft
from storage.errors import InvalidInput
from storage.pim import Collection, Item
from webmail import contact_vcard, pim_pages
from webmail.binding import user_mail

MAX_DEPTH = 3


def _groups() -> dict[str, list[tuple[Collection, Item]]]:
    """The readable group cards by folded name."""
    out: dict[str, list[tuple[Collection, Item]]] = {}
    for collection, item in pim_pages.items_in(pim_pages.collections("contacts")):
        try:
            if contact_vcard.is_group(item.data):
                name = contact_vcard.group_from_vcard(item.data).name
                out.setdefault(pim_pages.fold(name.strip()), []).append((collection, item))
        except InvalidInput:
            continue
    return out


def _members(folder_id: int, item: Item, depth: int) -> list[str]:
    """The addresses a group card stands for (see the module docstring)."""
    out: list[str] = []
    for member in contact_vcard.group_from_vcard(item.data).members:
        if not member.startswith("urn:uuid:"):
            out.append(member)
            continue
        card = user_mail().organizer.find_uid(folder_id, member[len("urn:uuid:") :])
        if card is None:
            continue
        try:
            if contact_vcard.is_group(card.data):
                if depth < MAX_DEPTH:
                    out += _members(folder_id, card, depth + 1)
            else:
                emails = contact_vcard.contact_from_vcard(card.data).emails
                out += [emails[0][1]] if emails else []
        except InvalidInput:
            continue
    return out


def expand(entries: tuple[str, ...], groups: dict[str, list[tuple[Collection, Item]]]) -> tuple[str, ...]:
    """The entries with every group name replaced by its members' addresses (each address once)."""
    out: dict[str, None] = {}
    for entry in entries:
        found = groups.get(pim_pages.fold(entry.strip().strip('"'))) if "@" not in entry else None
        if not found:
            out.setdefault(entry, None)
            continue
        for collection, item in found:
            for address in _members(collection.folder_id, item, 1):
                out.setdefault(address, None)
    return tuple(out)


def expanded(draft: Draft) -> Draft:
    """``draft`` with the groups in To, Cc and Bcc replaced by their members (unchanged without any)."""
    fields = (draft.to, draft.cc, draft.bcc)
    if all("@" in entry for field in fields for entry in field):
        return draft  # nothing names a group: no address book is read
    groups = _groups()
    return replace(
        draft, to=expand(draft.to, groups), cc=expand(draft.cc, groups), bcc=expand(draft.bcc, groups)
    )
