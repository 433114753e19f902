"""The strings of the Ajax interface's notes and journal views (skins/base/static/ajax/notes.js),
translated from the same ``locales/`` catalogs as the pages; ``client_strings`` hands them to the page
with the rest. The two views share the code, so each string exists once per area (``notes_*``,
``journal_*``), worded as the Standard notes and journal pages word them."""

from __future__ import annotations

from flask_babel import gettext as _


def note_strings() -> dict[str, str]:
    return {
        "folder_of": _("%(name)s (%(owner)s)"),
        "notes_title": _("Notes"),
        "notes_entry": _("Note"),
        "notes_folder": _("Notes folder"),
        "notes_all_folders": _("All notes folders"),
        "notes_search": _("Search notes"),
        "notes_new": _("New note"),
        "notes_choose": _("Choose a note to read it, or make a new one."),
        "notes_none": _("No notes here."),
        "notes_no_match": _("No note matches the search."),
        "notes_read_only": _("This note is in a folder you may only read."),
        "notes_field_title": _("Title"),
        "notes_field_categories": _("Categories (comma separated)"),
        "notes_field_text": _("Text"),
        "notes_saved": _("Note saved."),
        "notes_deleted": _("Note deleted."),
        "notes_delete_question": _("Delete the note “%(title)s”?"),
        "journal_title": _("Journal"),
        "journal_entry": _("Journal entry"),
        "journal_folder": _("Journal folder"),
        "journal_all_folders": _("All journal folders"),
        "journal_search": _("Search the journal"),
        "journal_new": _("New journal entry"),
        "journal_choose": _("Choose an entry to read it, or write a new one."),
        "journal_none": _("No journal entries here."),
        "journal_no_match": _("No journal entry matches the search."),
        "journal_read_only": _("This entry is in a journal you may only read."),
        "journal_field_title": _("Title"),
        "journal_field_date": _("Date"),
        "journal_field_categories": _("Categories (comma separated)"),
        "journal_field_text": _("Text"),
        "journal_saved": _("Journal entry saved."),
        "journal_deleted": _("Journal entry deleted."),
        "journal_delete_question": _("Delete the journal entry “%(title)s”?"),
    }
