"""The address book in WebMail, registered on the Standard (``/mail``) and Mobile (``/m``) blueprints alike
by :func:`add_contact_routes`.

* ``POST /folder/<id>/<uid>/add-sender``: the message is opened through the facade first (another
  user's message is a 404, as everywhere), then its first From address, with its display name, becomes
  a vCard in the user's contacts folder (storage/contacts.py, an ordinary append that the organizer
  indexes like any card);
* ``GET /contacts`` (``?q=`` searches names, addresses, organisations, phone numbers; accents and case
  folded): every contacts folder the user may read -- their own, those shared with them and the domain's
  public ones -- cards and groups alike, each marked with its address book;
* ``GET /contacts/new`` (``?group=1`` for a group) and ``POST /contacts/new``;
* ``GET /contacts/<folder_id>/<item>``: the card, with its form when the user may change it;
  ``POST`` the same saves it; ``POST /contacts/<folder_id>/<item>/delete``;
* ``GET /contacts/directory``: the domain directory (the other users of the user's domain), read-only.

A group (distribution list) is a card of kind group (webmail/contact_vcard.py); its name typed as a
recipient in the composer sends to every member (webmail/recipient_groups.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from storage.errors import InvalidInput
from storage.mime import decode_header_text
from storage.pim import Collection, Item
from webmail import contact_vcard, item_fields, pim_pages
from webmail.binding import user_mail
from webmail.pim_pages import fold
from webmail.reading import open_message

KIND = "contacts"
DIRECTORY_LIMIT = 500


@dataclass(frozen=True)
class Card:
    """One card on the list: a person (``contact``) or a group (``group``)."""

    collection: Collection
    name: str
    contact: contact_vcard.ContactFields | None
    group: contact_vcard.GroupFields | None

    @property
    def title(self) -> str:
        if self.group is not None:
            return self.group.name
        assert self.contact is not None
        return contact_vcard.display_name(self.contact)

    def words(self) -> str:
        """The text a search looks in, folded."""
        if self.group is not None:
            return fold(" ".join((self.group.name, *self.group.members)))
        assert self.contact is not None
        c = self.contact
        parts = (
            c.display,
            c.given,
            c.family,
            c.organisation,
            *(e for _t, e in c.emails),
            *(p for _t, p in c.phones),
        )
        return fold(" ".join(parts))


def card_of(collection: Collection, item: Item) -> Card | None:
    """The list's view of a stored card; None for bytes no card can be read from."""
    try:
        if contact_vcard.is_group(item.data):
            return Card(collection, item.name, None, contact_vcard.group_from_vcard(item.data))
        return Card(collection, item.name, contact_vcard.contact_from_vcard(item.data), None)
    except InvalidInput:
        return None


def all_cards(query: str = "") -> list[Card]:
    """Every card of every readable address book matching ``query`` (all when empty), by name."""
    needle = fold(query.strip())
    cards = [card_of(c, item) for c, item in pim_pages.items_in(pim_pages.collections(KIND))]
    found = [c for c in cards if c is not None and (not needle or needle in c.words())]
    return sorted(found, key=lambda c: (fold(c.title), c.collection.folder_id))


def _sender(folder_id: int, uid: int) -> tuple[str, str]:
    """The first From mailbox of a message the user may read: (display name, address); ("", "") when
    it has none."""
    stored = open_message(user_mail(), folder_id, uid)
    for address in stored.envelope.from_:
        if address.host is not None and address.mailbox is not None:
            name = decode_header_text(address.name) if address.name else ""
            return " ".join(name.split()), f"{address.mailbox}@{address.host}"
    return "", ""


def add_contact_routes(bp: Blueprint) -> None:
    """Register the address book on ``bp`` (see the module docstring)."""
    name = bp.name

    def form_page(
        *,
        contact: contact_vcard.ContactFields | None = None,
        group: contact_vcard.GroupFields | None = None,
        errors: item_fields.FieldErrors | None = None,
        folder_id: int | None = None,
        item: str | None = None,
        writable: bool = True,
        etag: str = "",
        status: int = 200,
    ) -> tuple[str, int]:
        is_group = group is not None
        if item:
            title = (
                group.name if group else contact_vcard.display_name(contact or contact_vcard.ContactFields())
            )
        else:
            title = _("New group") if is_group else _("New contact")
        c = contact or contact_vcard.ContactFields()
        return pim_pages.page(
            name,
            "contact_form",
            title or _("Contact"),
            status,
            contact=c,
            group=group,
            is_group=is_group,
            errors=(errors or item_fields.FieldErrors()).by_field,
            folders=[f for f in pim_pages.collections(KIND) if pim_pages.may_write(f)],
            folder_id=folder_id,
            item=item,
            writable=writable,
            etag=etag,
            email_rows=list(c.emails) + [("work", "")] * max(1, 3 - len(c.emails)),
            phone_rows=list(c.phones) + [("cell", "")] * max(1, 3 - len(c.phones)),
            email_types=contact_vcard.EMAIL_TYPES,
            phone_types=contact_vcard.PHONE_TYPES,
            members="\n".join(group.members) if group else "",
            birthday=c.birthday.isoformat() if c.birthday else "",
        )

    def read_posted(is_group: bool) -> tuple[Any, item_fields.FieldErrors]:
        if is_group:
            return contact_vcard.read_group(request.form)
        return contact_vcard.read_contact(request.form)

    @bp.route("/folder/<int:folder_id>/<int:uid>/add-sender", methods=["POST"])
    def message_add_sender(folder_id: int, uid: int) -> Any:
        person, address = _sender(folder_id, uid)
        if not address:
            flash(_("This message has no sender address to add."), "error")
            return redirect(url_for(f"{name}.message", folder_id=folder_id, uid=uid))
        try:
            added = user_mail().contacts.add(person, address)
        except InvalidInput as exc:  # an address vCard cannot hold, or no room for the contacts folder
            flash(str(exc), "error")
        else:
            flash(_("%(address)s is in your contacts.", address=added.address), "info")
        return redirect(url_for(f"{name}.message", folder_id=folder_id, uid=uid))

    @bp.get("/contacts")
    def contacts() -> Any:
        query = request.args.get("q", "")[: item_fields.LINE_CHARS]
        return pim_pages.page(name, "contacts", _("Contacts"), cards=all_cards(query), query=query)

    @bp.get("/contacts/directory")
    def contacts_directory() -> Any:
        query = request.args.get("q", "")[: item_fields.LINE_CHARS]
        people = user_mail().addressbook.directory(query, limit=DIRECTORY_LIMIT)
        return pim_pages.page(name, "directory", _("Directory"), people=people, query=query)

    @bp.get("/contacts/new")
    def contact_new() -> Any:
        if request.args.get("group") == "1":
            return form_page(group=contact_vcard.GroupFields())
        return form_page(contact=contact_vcard.ContactFields())

    @bp.post("/contacts/new")
    def contact_create() -> Any:
        is_group = request.form.get("kind") == "group"
        fields, errors = read_posted(is_group)
        if errors:
            key = "group" if is_group else "contact"
            return form_page(errors=errors, status=400, **{key: fields})
        collection = pim_pages.target(KIND, request.form.get("folder"))
        data = contact_vcard.group_to_vcard(fields) if is_group else contact_vcard.contact_to_vcard(fields)
        ref = user_mail().organizer.put(collection.folder_id, None, data, if_none_match=True)
        flash(_("The contact was saved."), "info")
        return redirect(url_for(f"{name}.contact", folder_id=collection.folder_id, item=ref.name))

    @bp.get("/contacts/<int:folder_id>/<item>")
    def contact(folder_id: int, item: str) -> Any:
        collection = pim_pages.collection_of(folder_id, KIND)
        stored = user_mail().organizer.get(folder_id, item)
        found = card_of(collection, stored)
        if found is None:
            raise InvalidInput("this card cannot be read")
        return form_page(
            contact=found.contact,
            group=found.group,
            folder_id=folder_id,
            item=item,
            writable=pim_pages.may_change(collection),
            etag=stored.etag,
        )

    @bp.post("/contacts/<int:folder_id>/<item>")
    def contact_save(folder_id: int, item: str) -> Any:
        pim_pages.collection_of(folder_id, KIND)
        stored = user_mail().organizer.get(folder_id, item)
        is_group = contact_vcard.is_group(stored.data)
        fields, errors = read_posted(is_group)
        if errors:
            key = "group" if is_group else "contact"
            return form_page(
                errors=errors,
                folder_id=folder_id,
                item=item,
                etag=pim_pages.edited_etag(stored.etag),
                status=400,
                **{key: fields},
            )
        if is_group:
            data = contact_vcard.group_to_vcard(fields, previous=stored.data)
        else:
            data = contact_vcard.contact_to_vcard(fields, previous=stored.data)
        user_mail().organizer.put(folder_id, item, data, if_match=pim_pages.edited_etag(stored.etag))
        flash(_("The contact was saved."), "info")
        return redirect(url_for(f"{name}.contact", folder_id=folder_id, item=item))

    @bp.post("/contacts/<int:folder_id>/<item>/delete")
    def contact_delete(folder_id: int, item: str) -> Any:
        pim_pages.collection_of(folder_id, KIND)
        user_mail().organizer.delete(folder_id, item)
        flash(_("The contact was deleted."), "info")
        return redirect(url_for(f"{name}.contacts"))
