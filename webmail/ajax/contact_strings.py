"""The strings of the Ajax interface's contacts view (skins/base/static/ajax/contacts.js), merged into
the page's strings by webmail/ajax/strings.py; most are the Standard contacts pages' own, so their
translations are shared."""

from __future__ import annotations

from flask_babel import gettext as _


def contact_strings() -> dict[str, str]:
    return {
        "mail": _("Mail"),
        "contacts": _("Contacts"),
        "contact": _("Contact"),
        "address_books": _("Address books"),
        "all_address_books": _("All address books"),
        "address_book": _("Address book"),
        "search_contacts": _("Search contacts"),
        "new_contact": _("New contact"),
        "new_group": _("New group"),
        "edit_contact": _("Change"),
        "edit": _("Change"),
        "save": _("Save"),
        "no_contacts": _("No contacts found."),
        "no_contact": _("Choose a contact to see it."),
        "no_name": _("(no name)"),
        "group": _("Members"),
        "write_to": _("Write"),
        "email": _("E-mail address"),
        "phone": _("Phone number"),
        "organization": _("Organisation"),
        "job_title": _("Job title"),
        "postal_address": _("Address"),
        "members": _("Members"),
        "note": _("Note"),
        "group_name": _("Group name"),
        "members_hint": _("Members"),
        "given_name": _("First name"),
        "surname": _("Last name"),
        "display_name": _("Display name"),
        "emails_hint": _("E-mail addresses"),
        "phones_hint": _("Phone numbers"),
        "street": _("Street"),
        "postcode": _("Postal code"),
        "city": _("City"),
        "country": _("Country"),
        "contact_saved": _("Saved."),
        "contact_deleted": _("Deleted."),
        "delete_contact": _("Delete %(name)s"),
        "type": _("Type"),
        "type_home": _("Home"),
        "type_work": _("Work"),
        "type_other": _("Other"),
        "type_mobile": _("Mobile"),
        "type_fax": _("Fax"),
        "add": _("Add"),
        "birthday": _("Birthday"),
        "categories": _("Categories"),
        "categories_hint": _("Categories (comma separated)"),
        "directory": _("Directory"),
        "directory_hint": _("The users of your domain. This list is kept by the administrator."),
        "search_directory": _("Search the directory"),
        "nobody_found": _("Nobody found."),
    }
