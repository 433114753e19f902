"""Notes and the journal in WebMail (VJOURNAL items in folders of kind "notes" and "journal"), registered on
the Standard (``/mail``) and Mobile (``/m``) blueprints alike by :func:`add_journal_routes`.

The two areas work the same way and differ in their date: a journal entry is about a day and the journal
lists newest day first; notes list by title. For each area (``/notes``, ``/journal``):

* ``GET /<area>``: the entries of every folder of that kind the user may read;
* ``GET /<area>/new`` and ``POST /<area>/new``: the form, then the entry in the chosen folder;
* ``GET /<area>/<folder_id>/<item>`` and ``POST`` the same: read and edit (read-only without the rights
  to change); ``POST /<area>/<folder_id>/<item>/delete``.

Endpoints are ``<bp>.notes``, ``<bp>.notes_new`` ... and ``<bp>.journal``, ``<bp>.journal_new`` ...
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from storage.errors import InvalidInput
from storage.pim import Collection
from webmail import item_fields, journal_ical, pim_pages
from webmail.binding import user_mail

AREAS = ("notes", "journal")


@dataclass(frozen=True)
class Listed:
    """One entry on a list page."""

    collection: Collection
    name: str
    entry: journal_ical.EntryFields


def _listed(kind: str) -> list[Listed]:
    out = []
    for collection, item in pim_pages.items_in(pim_pages.collections(kind)):
        try:
            out.append(Listed(collection, item.name, journal_ical.from_ical(item.data)))
        except InvalidInput:  # a client's item this page cannot read is left out of the list
            continue
    if kind == "journal":
        return sorted(out, key=lambda e: (e.entry.day or date.min, e.entry.summary.lower()), reverse=True)
    return sorted(out, key=lambda e: e.entry.summary.lower())


def add_journal_routes(bp: Blueprint) -> None:
    """Register the notes and journal pages on ``bp`` (see the module docstring)."""
    for kind in AREAS:
        _add_area(bp, kind)


def _add_area(bp: Blueprint, kind: str) -> None:
    name = bp.name
    dated = kind == "journal"

    def titles() -> tuple[str, str]:
        if dated:
            return _("Journal"), _("New journal entry")
        return _("Notes"), _("New note")

    def form_page(
        entry: journal_ical.EntryFields,
        errors: item_fields.FieldErrors,
        *,
        folder_id: int | None = None,
        item: str | None = None,
        writable: bool = True,
        etag: str = "",
        status: int = 200,
    ) -> tuple[str, int]:
        area_title, new_title = titles()
        return pim_pages.page(
            name,
            "entry_form",
            entry.summary if item else new_title,
            status,
            kind=kind,
            dated=dated,
            area_title=area_title,
            entry=entry,
            errors=errors.by_field,
            folders=[c for c in pim_pages.collections(kind) if pim_pages.may_write(c)],
            folder_id=folder_id,
            item=item,
            writable=writable,
            etag=etag,
            day=entry.day.isoformat() if entry.day else "",
        )

    def listing() -> Any:
        area_title, _new = titles()
        return pim_pages.page(name, "entries", area_title, kind=kind, dated=dated, entries=_listed(kind))

    def new() -> Any:
        return form_page(
            journal_ical.EntryFields(day=date.today() if dated else None), item_fields.FieldErrors()
        )

    def create() -> Any:
        entry, errors = journal_ical.read_form(request.form, dated=dated)
        if errors:
            return form_page(entry, errors, status=400)
        collection = pim_pages.target(kind, request.form.get("folder"))
        user_mail().organizer.put(collection.folder_id, None, journal_ical.to_ical(entry), if_none_match=True)
        flash(_("Saved."), "info")
        return redirect(url_for(f"{name}.{kind}"))

    def show(folder_id: int, item: str) -> Any:
        collection = pim_pages.collection_of(folder_id, kind)
        stored = user_mail().organizer.get(folder_id, item)
        return form_page(
            journal_ical.from_ical(stored.data),
            item_fields.FieldErrors(),
            folder_id=folder_id,
            item=item,
            writable=pim_pages.may_change(collection),
            etag=stored.etag,
        )

    def save(folder_id: int, item: str) -> Any:
        pim_pages.collection_of(folder_id, kind)
        stored = user_mail().organizer.get(folder_id, item)
        entry, errors = journal_ical.read_form(request.form, dated=dated)
        if errors:
            return form_page(
                entry,
                errors,
                folder_id=folder_id,
                item=item,
                etag=pim_pages.edited_etag(stored.etag),
                status=400,
            )
        data = journal_ical.to_ical(entry, previous=stored.data)
        user_mail().organizer.put(folder_id, item, data, if_match=pim_pages.edited_etag(stored.etag))
        flash(_("Saved."), "info")
        return redirect(url_for(f"{name}.{kind}"))

    def delete(folder_id: int, item: str) -> Any:
        pim_pages.collection_of(folder_id, kind)
        user_mail().organizer.delete(folder_id, item)
        flash(_("Deleted."), "info")
        return redirect(url_for(f"{name}.{kind}"))

    bp.add_url_rule(f"/{kind}", kind, listing, methods=["GET"])
    bp.add_url_rule(f"/{kind}/new", f"{kind}_new", new, methods=["GET"])
    bp.add_url_rule(f"/{kind}/new", f"{kind}_create", create, methods=["POST"])
    bp.add_url_rule(f"/{kind}/<int:folder_id>/<item>", f"{kind}_item", show, methods=["GET"])
    bp.add_url_rule(f"/{kind}/<int:folder_id>/<item>", f"{kind}_save", save, methods=["POST"])
    bp.add_url_rule(f"/{kind}/<int:folder_id>/<item>/delete", f"{kind}_delete", delete, methods=["POST"])
