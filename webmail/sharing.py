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
storage.acl ("0" send as, "1" free/busy, "2" send on behalf) are not folder rights: they are granted on
the page of the whole mailbox (the mailbox root), in its delegation part (webmail.delegation).

Every folder has the page, mail and organizer folders (calendar, contacts, tasks, notes, journal) alike,
and so has the whole mailbox: an entry there with "apply to subfolders" reaches every folder. Each entry
may apply to subfolders or to the folder alone; the entries that reach a folder from above are listed
on its page, and an *exception* caps what one principal holds on the folder (or its branch) whatever
reaches it from above (storage.folder_sharing writes it as an allow plus a deny: deny wins).

Who an entry names, as the ACL engine spells it: a user's or group's address, ``@domain`` (every user of
that domain) or ``anyone``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _

from storage import acl
from storage.errors import InvalidInput, NotFound, PermissionDenied
from storage.folder_sharing import Delegate
from storage.folder_tree import TreeFolder
from storage.usermail import UserMail

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
    inherit: bool = True  # "apply to subfolders"
    from_path: str | None = None  # an entry passed down from this ancestor ("" the whole mailbox)


@dataclass
class SharingPage:
    """What the permissions page shows. ``entries`` is None when the user may not administer;
    ``inherited`` lists what reaches the folder from above; ``delegates`` is set on the whole mailbox's
    page only."""

    folder: TreeFolder
    entries: list[EntryRow] | None
    inherited: list[EntryRow] = field(default_factory=list)
    delegates: list[Delegate] | None = None
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)

    @property
    def whole_mailbox(self) -> bool:
        return self.folder.path == ""


def _find(mine: UserMail, folder_id: int) -> TreeFolder:
    """The folder as the tree shows it (any kind), or the user's own mailbox root.

    Raises:
        NotFound: no such folder for the user (no "l").
    """
    for entry in mine.view.folder_tree(kind=None):
        if entry.id == folder_id:
            return entry
    root = mine.sharing.mailbox_root()
    if root.id != folder_id:
        mine.rights(folder_id)  # NotFound for a folder the user cannot see
        raise NotFound(acl.NO_SUCH_FOLDER)
    return TreeFolder(root.id, "personal", "", "", "", 0, None, root.kind, acl.ALL, None, None)


def _row(name: str, rights: acl.Rights, allow: bool, inherit: bool, from_path: str | None = None) -> EntryRow:
    letters = rights & acl.FOLDER_RIGHTS
    return EntryRow(name, str(letters), acl.role_of(letters), allow, inherit, from_path)


def load(mine: UserMail, folder_id: int) -> SharingPage:
    """The folder, its entries and those passed down to it (None and [] without "a").

    Raises:
        NotFound: no such folder for the user (no "l").
    """
    folder = _find(mine, folder_id)
    try:
        entries = mine.acl_entries(folder_id)
        inherited = mine.sharing.inherited(folder_id)
    except PermissionDenied:
        return SharingPage(folder, None)
    rows = [
        _row(e.name, e.rights, e.allow, e.inherit)
        for e in sorted(entries, key=lambda e: (e.name != "anyone", e.name.lower(), not e.allow))
        if folder.path or e.rights & acl.FOLDER_RIGHTS  # on the root, digits alone are delegation
    ]
    passed = [
        _row(e.name, e.rights, e.allow, True, e.from_path) for e in inherited if e.rights & acl.FOLDER_RIGHTS
    ]
    page = SharingPage(folder, rows, passed)
    if page.whole_mailbox:
        page.delegates = mine.sharing.delegates()
    return page


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


def _inherit(form: Mapping[str, str]) -> bool:
    """The "apply to subfolders" box (a checkbox: present when ticked)."""
    return form.get("inherit", "") == "1"


def grant(mine: UserMail, folder_id: int, form: Mapping[str, str], domain: str) -> dict[str, str]:
    """Add or replace an allow (or, with ``effect`` = deny, a deny) entry. Returns the errors by field
    name (empty: done).

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
    allow = form.get("effect", "allow") != "deny"
    try:
        mine.change_entry(folder_id, principal, letters, allow=allow, inherit=_inherit(form))
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
        mine.change_entry(folder_id, form.get("name", ""), letters, allow=allow, inherit=_inherit(form))
    except InvalidInput as exc:
        return str(exc)
    except NotFound as exc:
        if str(exc) == acl.NO_SUCH_FOLDER:
            raise
        return str(_("There is no user or group of that name."))
    return None


def remove(mine: UserMail, folder_id: int, form: Mapping[str, str]) -> str | None:
    """Remove one listed entry's folder rights; returns an error or None. An allow entry of the mailbox
    root keeps its delegation digits (they are the Delegation part's, changed there): only the folder
    letters go, and the entry with them when nothing else is left.

    Raises:
        NotFound: no such folder for the user. PermissionDenied: no "a".
    """
    allow = form.get("allow", "1") == "1"
    try:
        if allow:
            mine.change_entry(folder_id, form.get("name", ""), "", allow=True)
        else:
            mine.delete_entry(folder_id, form.get("name", ""), allow=False)
    except InvalidInput as exc:
        return str(exc)
    except NotFound as exc:
        if str(exc) == acl.NO_SUCH_FOLDER:
            raise
        return str(_("There is no user or group of that name."))
    return None


def exception(mine: UserMail, folder_id: int, form: Mapping[str, str]) -> str | None:
    """Cap what one principal holds on this folder (and its branch with "apply to subfolders") at a role,
    custom letters or nothing (``role`` = ``none``); returns an error or None.

    Raises:
        NotFound: no such folder for the user. PermissionDenied: no "a".
    """
    try:
        keep = "" if form.get("role") == "none" else _letters(form)
        mine.sharing.make_exception(folder_id, form.get("name", ""), keep, inherit=_inherit(form))
    except InvalidInput as exc:
        return str(exc)
    except NotFound as exc:
        if str(exc) == acl.NO_SUCH_FOLDER:
            raise
        return str(_("There is no user or group of that name."))
    return None


def manage_extras(mine: UserMail) -> dict[str, object]:
    """What the Manage folders pages add for sharing: the organizer folders the user sees (calendar,
    contacts, tasks, notes, journal: their permissions pages) and the id of the whole mailbox's page."""
    organizer = [f for f in mine.view.folder_tree(kind=None) if f.kind != "mail"]
    return {"organizer": organizer, "mailbox_root_id": mine.sharing.mailbox_root().id}
