"""Contacts, as much as issue 11 asks before the organizer: "add the sender to my contacts" from the
reader, and a page listing the personal contacts with a delete button. Registered on the Standard
(``/mail``) and Mobile (``/m``) blueprints alike by :func:`add_contact_routes`.

* ``POST /folder/<id>/<uid>/add-sender``: the message is opened through the facade first (another
  user's message is a 404, as everywhere), then its first From address, with its display name, becomes
  a vCard in the user's contacts folder (storage/contacts.py). Autocomplete then offers it
  (storage/addressbook.py reads that folder).
* ``GET /contacts`` and ``POST /contacts/delete``: the user's own cards only.

The full address books (domain public contacts, directory browsing, editing a card) come with the
organizer's issue.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from storage.errors import InvalidInput
from storage.mime import decode_header_text
from webmail.binding import user_mail
from webmail.reading import open_message

MAX_UID = 2**32 - 1  # RFC 3501 2.3.1.1: a UID is a 32-bit number


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
    """Register the contacts routes on ``bp``; templates are ``<bp.name>/contacts.html``."""
    name = bp.name

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

    @bp.route("/contacts")
    def contacts() -> Any:
        return render_template(f"{name}/contacts.html", contacts=user_mail().contacts.entries())

    @bp.route("/contacts/delete", methods=["POST"])
    def contacts_delete() -> Any:
        text = request.form.get("uid", "")
        uid = int(text) if text.isdigit() and 0 < int(text) <= MAX_UID else 0
        if uid and user_mail().contacts.delete(uid):
            flash(_("The contact was deleted."), "info")
        else:
            flash(_("That contact is not in your contacts."), "error")
        return redirect(url_for(f"{name}.contacts"))
