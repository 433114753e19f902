"""Every string the Ajax client shows, translated from the same ``locales/`` catalogs as the pages.

The client gets them as one JSON object in the shell page (keyed by a short name; ``%(name)s`` marks a
value the client fills in), so the catalogs stay the only source of translations and ``make messages``
finds these strings like any other.
"""

from __future__ import annotations

from flask_babel import gettext as _

from webmail.ajax.calendar_strings import calendar_strings
from webmail.ajax.compose_strings import compose_strings
from webmail.ajax.contact_strings import contact_strings
from webmail.ajax.note_strings import note_strings
from webmail.ajax.reader_strings import reader_strings
from webmail.ajax.settings_strings import settings_strings
from webmail.ajax.sharing_strings import sharing_strings
from webmail.ajax.task_strings import task_strings
from webmail.ajax.transfer_strings import transfer_strings


def client_strings() -> dict[str, str]:
    """Every module's strings in one table for the page. The modules share one namespace of keys (t() in
    the scripts), so a key two modules define with different texts is refused here rather than one text
    silently replacing the other."""
    merged: dict[str, str] = {}
    parts = (
        _mail_strings,
        calendar_strings,
        contact_strings,
        compose_strings,
        note_strings,
        reader_strings,
        settings_strings,
        task_strings,
        transfer_strings,
        sharing_strings,
    )
    for part in parts:
        for key, text in part().items():
            if merged.setdefault(key, text) != text:
                raise ValueError(f"Ajax string {key!r} has two texts ({part.__name__} and an earlier module)")
    return merged


def _mail_strings() -> dict[str, str]:
    return {
        "folders": _("Folders"),
        # special folders at the top of the tree, named as in the other interfaces
        "role_inbox": _("Inbox"),
        "role_drafts": _("Drafts"),
        "role_sent": _("Sent"),
        "role_junk": _("Junk"),
        "role_trash": _("Trash"),
        "role_archive": _("Archive"),
        "frequent": _("Frequent"),
        "messages": _("Messages"),
        "reader": _("Message"),
        "loading": _("Loading…"),
        "empty_folder": _("This folder is empty."),
        "no_message": _("Choose a message to read it."),
        "no_jmap": _("The mail service did not answer. Reload the page to try again."),
        "failed": _("That did not work: %(reason)s"),
        "from": _("From"),
        "to": _("To"),
        "cc": _("Cc"),
        "bcc": _("Bcc"),
        "subject": _("Subject"),
        "date": _("Date"),
        "attachments": _("Attachments"),
        "no_subject": _("(no subject)"),
        "images_blocked": _("%(count)s remote images were blocked."),
        "show_images": _("Show images"),
        "always_show_images": _("Always show images from this sender"),
        "view_source": _("Source"),
        "download_message": _("Download"),
        "print": _("Print"),
        "reply": _("Reply"),
        "reply_all": _("Reply to all"),
        "forward": _("Forward"),
        "delete": _("Delete"),
        "compose": _("New message"),
        "search": _("Search"),
        "search_placeholder": _("Search this folder"),
        # advanced search (search.js), the Standard list's fields
        "advanced_search": _("Advanced search"),
        "search_body": _("Text"),
        "search_since": _("Since"),
        "search_before": _("Before"),
        "search_attach": _("With attachments"),
        "search_unseen": _("Unread"),
        "search_flagged": _("Flagged"),
        "clear_search": _("Clear"),
        # the list's order (sort.js), as the Standard list's column headings
        "sort_by": _("Sort by"),
        "sort_arrival": _("Arrival"),
        "sort_date": _("Date"),
        "sort_from": _("From"),
        "sort_subject": _("Subject"),
        "sort_size": _("Size"),
        "reverse_order": _("Reverse the order"),
        "order_ascending": _("Oldest, A-Z or smallest first"),
        "order_descending": _("Newest, Z-A or largest first"),
        "no_match": _("No message matches the search."),
        "conversations": _("Conversations"),
        "mark_read": _("Mark as read"),
        "mark_unread": _("Mark as unread"),
        "flag": _("Flag"),
        "unflag": _("Remove flag"),
        "move_to": _("Move to"),
        "move_to_more": _("Move to…"),
        "message_count": _("Messages: %(count)s"),
        "found_count": _("Found: %(count)s"),
        "mark_answered": _("Answered"),
        "mark_forwarded": _("Forwarded"),
        "mark_attachment": _("Has attachments"),
        "size_kb": _("%(size)s KB"),
        "size_mb": _("%(size)s MB"),
        "copy_to": _("Copy to"),
        "copied": _("Copied %(count)s messages to %(folder)s."),
        # a key (u, s, v, Delete) whose action the folder's rights refuse: nothing is sent (main.js)
        "refused_seen": _("This folder is read-only for you: its messages cannot be marked read or unread."),
        "refused_flag": _("This folder is read-only for you: its messages cannot be flagged."),
        "refused_remove": _("This folder is read-only for you: its messages cannot be moved or deleted."),
        "open": _("Open"),
        "send": _("Send"),
        "save_draft": _("Save draft"),
        "discard": _("Discard"),
        "draft_saved": _("Draft saved at %(time)s"),
        "sent": _("Message sent."),
        "sending": _("Sending…"),
        "attach": _("Attach files"),
        "drop_files": _("Drop files here to attach them."),
        "uploading": _("Uploading %(name)s…"),
        "bold": _("Bold"),
        "italic": _("Italic"),
        "underline": _("Underline"),
        "bullets": _("Bulleted list"),
        "numbers": _("Numbered list"),
        "link": _("Link"),
        "link_prompt": _("Address of the link"),
        "selected": _("%(count)s selected"),
        "moved": _("Moved %(count)s messages to %(folder)s."),
        # managing folders (folder_admin.js, dialog.js)
        "ok": _("OK"),
        "cancel": _("Cancel"),
        "create": _("Create"),
        "new_folder": _("New folder"),
        "new_subfolder": _("New subfolder…"),
        "new_subfolder_of": _("New folder in %(folder)s"),
        "folder_name": _("Name"),
        "name_needed": _("Enter a name."),
        "rename_folder": _("Rename"),
        "rename_folder_named": _("Rename %(folder)s"),
        "move_folder": _("Move folder to"),
        "top_level": _("(top level)"),
        "delete_folder": _("Delete folder"),
        "delete_folder_named": _(
            "Delete %(folder)s with its subfolders and messages? They are deleted for good, not put in Trash."
        ),
        "folder_created": _("Folder %(folder)s created."),
        "folder_renamed": _("Folder renamed to %(folder)s."),
        "folder_moved": _("Folder %(folder)s moved to %(parent)s."),
        "folder_deleted": _("Folder %(folder)s deleted with %(count)s messages."),
        "folder_exists": _("A folder of that name is already there. Choose another name."),
        "folder_name_rule": _("A folder name has at most 255 bytes and no “/”."),
        "folder_cannot_go_there": _("The folder cannot be moved there."),
        "folder_forbidden": _("You may not change this folder."),
        "folder_has_children": _("Delete or move its subfolders first."),
        "folder_gone": _("That folder no longer exists."),
        "new_mail": _("New mail"),
        "new_mail_from": _("From %(from)s: %(subject)s"),
        "notify_on": _("Notify me of new mail"),
        "shortcuts": _("Keyboard shortcuts"),
        # the settings pane (settings.js)
        "settings": _("Settings"),
        "save": _("Save"),
        "settings_saved": _("Settings saved."),
        "signatures": _("Signatures"),
        # the "*" signature, as the Standard General tab's Signature field keeps it
        "signature_default": _("Every address without a signature of its own"),
        "out_of_office": _("Out of office"),
        "vacation_on": _("Send an out-of-office reply"),
        "vacation_from": _("First day"),
        "vacation_to": _("Last day"),
        # the Standard out-of-office page's words (webmail/settings_forms.py)
        "vacation_internal": _("Reply to senders of my organisation"),
        "vacation_external": _("Reply to everyone else"),
        "vacation_days": _("Answer each sender at most once in (days)"),
        "vacation_subject_hint": _("Empty: “Auto:” and the subject of the message answered."),
        "vacation_internal_hint": _("To senders of your own domain. Leave empty to send them nothing."),
        "vacation_external_hint": _("To everyone else. Leave empty to send them nothing."),
        "vacation_start_hint": _("Optional, in your time zone."),
        "vacation_end_hint": _("Optional, included."),
        "setting_refused": _("%(field)s: %(reason)s"),
        "more_settings": _("More settings in the Standard interface"),
        "close": _("Close"),
        "sign_out": _("Sign out"),
        "standard_view": _("Standard view"),
        "mobile_view": _("Mobile view"),
        "key_next": _("Next message"),
        "key_previous": _("Previous message"),
        "key_open": _("Open the message"),
        "key_reply": _("Reply"),
        "key_reply_all": _("Reply to all"),
        "key_forward": _("Forward"),
        "key_delete": _("Delete the selected messages"),
        "key_compose": _("New message"),
        "key_search": _("Search"),
        "key_help": _("Show this help"),
        "key_escape": _("Close the composer or this help"),
        "key_extend": _("Extend the selection down or up"),
        "key_toggle": _("Select or unselect the message at the cursor"),
        "key_unread": _("Mark read or unread"),
        "key_flag": _("Flag or remove the flag"),
        "key_move": _("Move to a folder"),
        "key_menu": _("Open the menu of the selected messages"),
        "help_mail": _("Mail"),
        "help_calendar": _("Calendar"),
        "help_notes": _("Notes and Journal"),
        "key_cal_today": _("Go to today"),
        "key_cal_step": _("Next / previous period (the day, week, month or agenda shown)"),
        "key_cal_day": _("Day view"),
        "key_cal_week": _("Week view"),
        "key_cal_month": _("Month view"),
        "key_cal_agenda": _("Agenda"),
        "key_note_step": _("Open the next / previous entry"),
        "key_note_new": _("New entry"),
        "key_note_search": _("Search the entries"),
        "key_note_delete": _("Delete the open entry, after asking (where the folder allows it)"),
        "wrote": _("On %(date)s, %(who)s wrote:"),
        "forwarded": _("Forwarded message"),
    }
