"""Sharing my folders: the permissions page of one folder, independent of the interface.

A folder's entries (RFC 4314) are read and changed only through the user's facade
(``user_mail().acl_entries / change_entry / delete_entry``), which asks for "a" on the folder in the
same transaction as the read or write. A user without "a" is told so on the page (HTTP 403); a folder the
user cannot look up is a 404, like everywhere else.

Roles are storage's (storage/rights.py ``ROLES``): each one includes the one before it.

=============  ==========  ====================================================================
role           letters     what the grantee may do
=============  ==========  ====================================================================
viewer         l r s       see the folder, read its messages, share the read/unread state
contributor    + i p       also add messages (copy or move them in, post to the folder)
editor         + w t e k   also flag, delete and expunge messages, make subfolders
master         + x a       also delete the folder and change who it is shared with
=============  ==========  ====================================================================

Anything else is "custom": the letters are typed in (``lrswipkxtea``). The mailbox-level digits of
storage.acl ("0" send as, "1" free/busy) are not folder rights and are neither shown nor offered here.

Who an entry names, as the ACL engine spells it: a user's or group's address, ``@domain`` (every user of
that domain) or ``anyone``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _

from storage import acl
from storage.errors import InvalidInput, NotFound, PermissionDenied
from storage.folder_tree import TreeFolder
from storage.usermail import UserMail
from webmail.list_query import folder_entry

#: The roles offered, in order; their letters are storage's (storage.rights.ROLES).
ROLE_NAMES = ("viewer", "contributor", "editor", "master")
CUSTOM = "custom"
MAX_PRINCIPAL = 320  # an address: 64 + 1 + 255


def role_labels() -> dict[str, str]:
    """The roles under translated names, with their letters."""
    names = {
        "viewer": _("Viewer (read)"),
        "contributor": _("Contributor (read, add)"),
        "editor": _("Editor (read, add, change, delete)"),
        "master": _("Master (everything, share)"),
    }
    return {key: f"{names[key]} - {acl.ROLES[key]}" for key in ROLE_NAMES}


@dataclass(frozen=True)
class EntryRow:
    """One entry as the page lists it."""

    name: str
    rights: str  # folder letters only, canonical order
    role: str | None  # None: a custom set
    allow: bool


@dataclass
class SharingPage:
    """What the permissions page shows. ``entries`` is None when the user may not administer."""

    folder: TreeFolder
    entries: list[EntryRow] | None
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)


def load(mine: UserMail, folder_id: int) -> SharingPage:
    """The folder and its entries (None without "a").

    Raises:
        NotFound: no such folder for the user (no "l").
    """
    folder, _tree = folder_entry(mine, folder_id)
    try:
        entries = mine.acl_entries(folder_id)
    except PermissionDenied:
        return SharingPage(folder, None)
    rows = []
    for entry in sorted(entries, key=lambda e: (e.name != "anyone", e.name.lower(), not e.allow)):
        letters = entry.rights & acl.FOLDER_RIGHTS
        rows.append(EntryRow(entry.name, str(letters), acl.role_of(letters), entry.allow))
    return SharingPage(folder, rows)


def _principal(form: Mapping[str, str], domain: str) -> str:
    """The entry's name from the "who" choice: an address, every user of the user's domain, anyone.

    Raises:
        InvalidInput: no address where one is needed, or too long.
    """
    who = form.get("who", "address")
    if who == "anyone":
        return "anyone"
    if who == "domain":
        return "@" + domain
    address = form.get("address", "").strip()
    if not address or "@" not in address or len(address) > MAX_PRINCIPAL:
        raise InvalidInput(_("Type the address of a user or a group, e.g. bob@%(domain)s", domain=domain))
    return address


def _letters(form: Mapping[str, str]) -> str:
    """The rights the form asks for: a role's letters, or custom letters checked against RFC 4314's.

    Raises:
        InvalidInput: an unknown role, or custom letters that are empty or not folder rights.
    """
    role = form.get("role", "viewer")
    if role in ROLE_NAMES:
        return str(acl.ROLES[role])
    if role != CUSTOM:
        raise InvalidInput(_("Choose a role."))
    text = "".join(form.get("letters", "").split())
    if not text or set(text) - set(acl.FOLDER_RIGHTS):
        raise InvalidInput(_("Type rights letters among %(letters)s.", letters=acl.FOLDER_RIGHTS))
    return text


def grant(mine: UserMail, folder_id: int, form: Mapping[str, str], domain: str) -> dict[str, str]:
    """Add or replace an allow entry. Returns the errors by field name (empty: done).

    Raises:
        NotFound: no such folder for the user. PermissionDenied: no "a".
    """
    errors: dict[str, str] = {}
    principal = letters = ""
    try:
        principal = _principal(form, domain)
    except InvalidInput as exc:
        errors["address"] = str(exc)
    try:
        letters = _letters(form)
    except InvalidInput as exc:
        errors["letters"] = str(exc)
    if errors:
        return errors
    try:
        mine.change_entry(folder_id, principal, letters)
    except NotFound as exc:
        if str(exc) == acl.NO_SUCH_FOLDER:
            raise
        errors["address"] = _("There is no user or group of that name.")
    except InvalidInput as exc:
        errors["address"] = str(exc)
    return errors


def change(mine: UserMail, folder_id: int, form: Mapping[str, str]) -> str | None:
    """Change one listed entry's rights; returns an error or None.

    Raises:
        NotFound: no such folder for the user. PermissionDenied: no "a".
    """
    allow = form.get("allow", "1") == "1"
    try:
        letters = _letters(form)
        mine.change_entry(folder_id, form.get("name", ""), letters, allow=allow)
    except InvalidInput as exc:
        return str(exc)
    except NotFound as exc:
        if str(exc) == acl.NO_SUCH_FOLDER:
            raise
        return str(_("There is no user or group of that name."))
    return None


def remove(mine: UserMail, folder_id: int, form: Mapping[str, str]) -> str | None:
    """Remove one listed entry; returns an error or None.

    Raises:
        NotFound: no such folder for the user. PermissionDenied: no "a".
    """
    allow = form.get("allow", "1") == "1"
    try:
        mine.delete_entry(folder_id, form.get("name", ""), allow=allow)
    except InvalidInput as exc:
        return str(exc)
    except NotFound as exc:
        if str(exc) == acl.NO_SUCH_FOLDER:
            raise
        return str(_("There is no user or group of that name."))
    return None
