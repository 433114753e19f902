"""A folder's newest messages, for the first list pages of both interfaces.

Deliberately plain (newest UIDs first, one page, no sort or search): the paged, sorted and searchable
list comes with storage's list API. Two checks through the facade: the folder's counters ("r") and one
reader for the page's rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.models import Folder, MessageInfo
from storage.usermail import UserMail

PAGE_SIZE = 50


@dataclass(frozen=True)
class FolderPage:
    folder: Folder
    messages: list[MessageInfo]


def newest(mine: UserMail, folder_id: int, limit: int = PAGE_SIZE) -> FolderPage:
    """The folder and its ``limit`` newest messages (highest UIDs first).

    Raises:
        NotFound: no such folder for the user. PermissionDenied: no "r".
    """
    folder = mine.status(folder_id)
    reader = mine.reader(folder_id)
    uids = reader.uids()[-limit:]
    messages = sorted(reader.info(uids, with_structure=False), key=lambda m: m.uid, reverse=True)
    return FolderPage(folder, messages)
