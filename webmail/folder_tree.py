"""The folder tree of the sidebar (Standard) and the folder page (Mobile), independent of any view.

Three sections, as IMAP's NAMESPACE shows them: the user's own folders, folders other accounts share
with the user (one section per owner), and the domain's public folders. Storage gives the whole tree in
one read (``user_mail().view.folder_tree()``, storage/folder_tree.py): only folders with the lookup
right, with unread counts only where the user holds "r" (so a visible name does not tell how much a
folder holds). Here the tree is grouped into sections and the special-use folders (RFC 6154) of each
section come first under translated names.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from storage.folder_tree import TreeFolder
from storage.models import Folder
from storage.usermail import UserMail
from webmail.binding import WebUser

#: Special-use roles first (RFC 6154), in this order; other folders follow in path order.
ROLE_ORDER = ("inbox", "drafts", "sent", "junk", "trash", "archive")
MAX_DEPTH = 6  # deeper folders are indented like depth 6 (the CSS classes stop there)


@dataclass(frozen=True)
class FolderNode:
    folder: TreeFolder
    label: str
    depth: int  # 0 for a top-level folder
    unseen: int | None  # None: not shown (no "r")


@dataclass(frozen=True)
class FolderSection:
    key: str  # "personal", "shared", "public"
    title: str
    owner: str
    nodes: list[FolderNode]


def _role(path: str, role: str | None) -> str:
    if path.upper() == "INBOX":
        return "inbox"
    return (role or "").lower() if "/" not in path else ""


def role_label(folder: Folder | TreeFolder) -> str:
    """Special folders under a translated name; the others as named."""
    labels = {
        "inbox": _("Inbox"),
        "drafts": _("Drafts"),
        "sent": _("Sent"),
        "junk": _("Junk"),
        "trash": _("Trash"),
        "archive": _("Archive"),
    }
    return str(labels.get(_role(folder.path, folder.role), folder.path.rpartition("/")[2]))


def _rank(folder: TreeFolder) -> int:
    role = _role(folder.path, folder.role)
    return ROLE_ORDER.index(role) if role in ROLE_ORDER else len(ROLE_ORDER)


def _nodes(folders: list[TreeFolder]) -> list[FolderNode]:
    """Special folders first, each top-level folder followed by its subfolders in path order."""
    top_rank = {f.path: _rank(f) for f in folders if "/" not in f.path}
    ordered = sorted(
        folders, key=lambda f: (top_rank.get(f.path.split("/")[0], len(ROLE_ORDER)), f.path.lower())
    )
    return [FolderNode(f, role_label(f), min(f.path.count("/"), MAX_DEPTH), f.unread) for f in ordered]


def folder_sections(mine: UserMail, user: WebUser) -> list[FolderSection]:
    """The user's tree in sections (one read)."""
    groups: dict[tuple[str, str], list[TreeFolder]] = {("personal", user.address): []}
    for folder in mine.view.folder_tree(kind="mail"):
        groups.setdefault((folder.section, folder.owner), []).append(folder)
    sections = []
    for (key, owner), folders in groups.items():
        if key == "personal":
            title = _("My folders")
        elif key == "shared":
            title = _("Shared by %(name)s", name=owner)
        else:
            title = _("Public folders")
        if folders or key == "personal":
            sections.append(FolderSection(key, title, owner, _nodes(folders)))
    return sections


def inbox_of(mine: UserMail, user: WebUser) -> Folder:
    """The user's INBOX.

    Raises:
        NotFound: the account has no INBOX (never, for an account made by storage).
    """
    folder, _rights = mine.find(user.address, "INBOX")
    return folder
