"""The folder tree of the sidebar (Standard) and the folder page (Mobile), independent of any view.

Three sections, as IMAP's NAMESPACE shows them (sidecars/imap/names.py): the user's own folders, the
folders other accounts of the domain share with the user, and the domain's public folders. Visibility is
the ACL engine's (``user_mail().list_folders(owner)`` returns only folders with the lookup right).

Unread counts come with each folder row at no extra cost, but are shown only for the user's own folders:
on a folder of someone else the user may hold "l" without "r", and the count would tell what the rights
do not.

Cost: one read per owner. "Shared with me" walks the accounts of the user's domain, one read each, as
IMAP LIST does; a facade call listing only the owners who granted something would make it one read.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from storage.errors import InvalidInput, NotFound
from storage.models import Folder
from storage.usermail import UserMail
from webmail.binding import WebUser, current_store

#: Special-use roles first (RFC 6154), in this order; other folders follow in path order.
ROLE_ORDER = ("inbox", "drafts", "sent", "junk", "trash", "archive")


@dataclass(frozen=True)
class FolderNode:
    folder: Folder
    label: str
    depth: int
    unseen: int | None  # None: not shown


@dataclass(frozen=True)
class FolderSection:
    key: str  # "personal", "shared", "public"
    title: str
    owner: str
    nodes: list[FolderNode]


def role_label(folder: Folder) -> str:
    """Special folders under a translated name; the others as named."""
    labels = {
        "inbox": _("Inbox"),
        "drafts": _("Drafts"),
        "sent": _("Sent"),
        "junk": _("Junk"),
        "trash": _("Trash"),
        "archive": _("Archive"),
    }
    role = (folder.role or "").lower()
    if folder.path.upper() == "INBOX":
        role = "inbox"
    return labels.get(role, folder.name) if "/" not in folder.path else folder.name


def _rank(folder: Folder) -> int:
    role = "inbox" if folder.path.upper() == "INBOX" else (folder.role or "").lower()
    return ROLE_ORDER.index(role) if role in ROLE_ORDER else len(ROLE_ORDER)


def _nodes(folders: list[Folder], *, counts: bool) -> list[FolderNode]:
    """Mail folders, special ones first, each followed by its subfolders (path order below the top)."""
    mail = [f for f in folders if f.kind == "mail"]
    top_rank = {f.path: _rank(f) for f in mail if "/" not in f.path}
    mail.sort(key=lambda f: (top_rank.get(f.path.split("/")[0], len(ROLE_ORDER)), f.path.lower()))
    return [FolderNode(f, role_label(f), f.path.count("/"), f.unseen_count if counts else None) for f in mail]


def folder_sections(mine: UserMail, user: WebUser) -> list[FolderSection]:
    own = _nodes(mine.list_folders(user.address), counts=True)
    sections = [FolderSection("personal", _("My folders"), user.address, own)]
    for account in current_store().accounts.list(user.domain):
        if account.id == user.account_id:
            continue
        try:
            shared = _nodes(mine.list_folders(account.address), counts=False)
        except (NotFound, InvalidInput):
            continue
        if shared:
            title = _("Shared by %(name)s", name=account.display_name or account.address)
            sections.append(FolderSection("shared", title, account.address, shared))
    try:
        public = _nodes(mine.list_folders("@" + user.domain), counts=False)
    except (NotFound, InvalidInput):
        public = []
    if public:
        sections.append(FolderSection("public", _("Public folders"), "@" + user.domain, public))
    return sections


def inbox_of(mine: UserMail, user: WebUser) -> Folder:
    """The user's INBOX.

    Raises:
        NotFound: the account has no INBOX (never, for an account made by storage).
    """
    folder, _rights = mine.find(user.address, "INBOX")
    return folder
