"""A folder's message list as both interfaces show it: the query in the URL, the page from storage, and
the links (sort, pages, threading) that keep the rest of the query.

Why in one place: Standard and Mobile show the same list with different markup; the URL parameters,
their validation and the storage call (``user_mail().view.page``, storage.mailbox_view) are the same.
Parameters, all optional: ``sort`` (date, from, subject, size, arrival), ``order`` (asc, desc),
``page`` (from 1), ``threads`` (1), and the search fields ``from``, ``to``, ``subject``, ``body``,
``since`` and ``before`` (YYYY-MM-DD), ``attach``, ``unseen``, ``flagged`` (1). A value that does not
parse is ignored, never an error page: these come from links and bookmarks.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from werkzeug.datastructures import MultiDict

from storage.errors import NotFound
from storage.folder_tree import TreeFolder
from storage.message_list import SORT_COLUMNS, ListFilter, ListPage
from storage.usermail import UserMail

PAGE_SIZE = 50
MOBILE_PAGE_SIZE = 20
TEXT_FIELDS = {"from": "from_", "to": "to", "subject": "subject", "body": "body"}
FLAG_FIELDS = {"attach": "has_attachment", "unseen": "unseen", "flagged": "flagged"}
MAX_FIELD_CHARS = 200


@dataclass(frozen=True)
class ListQuery:
    sort: str = "date"
    descending: bool = True
    page: int = 1
    threaded: bool = False
    filters: ListFilter = field(default_factory=ListFilter)
    search: dict[str, str] = field(default_factory=dict)  # the search fields as typed, for the form

    def args(self, **changes: Any) -> dict[str, str]:
        """URL parameters of this query with ``changes`` applied (None removes a parameter)."""
        out: dict[str, str] = dict(self.search)
        if self.sort != "date":
            out["sort"] = self.sort
        if not self.descending:
            out["order"] = "asc"
        if self.page > 1:
            out["page"] = str(self.page)
        if self.threaded:
            out["threads"] = "1"
        for key, value in changes.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = str(value)
        return out

    def sort_args(self, sort: str) -> dict[str, str]:
        """The link of a column heading: that sort (newest/largest/Z first when already sorted up), page 1."""
        descending = not self.descending if sort == self.sort else sort in ("date", "size", "arrival")
        return self.args(sort=sort, order=None if descending else "asc", page=None)


def parse(values: MultiDict[str, str]) -> ListQuery:
    sort = values.get("sort", "date")
    search: dict[str, str] = {}
    text: dict[str, Any] = {}
    for name, attr in TEXT_FIELDS.items():
        value = values.get(name, "").strip()[:MAX_FIELD_CHARS]
        if value:
            search[name] = text[attr] = value
    for name in ("since", "before"):
        day = _day(values.get(name, ""))
        if day is not None:
            search[name], text[name] = day.isoformat(), day
    for name, attr in FLAG_FIELDS.items():
        if values.get(name) == "1":
            search[name], text[attr] = "1", True
    try:
        page = max(1, min(int(values.get("page", "1")), 1_000_000))
    except ValueError:
        page = 1
    return ListQuery(
        sort=sort if sort in SORT_COLUMNS else "date",
        descending=values.get("order") != "asc",
        page=page,
        threaded=values.get("threads") == "1",
        filters=ListFilter(**text),
        search=search,
    )


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class FolderList:
    """What a list page shows: the folder (as the tree has it), the page, and where the user may move
    or copy messages to."""

    folder: TreeFolder
    query: ListQuery
    page: ListPage
    pages: int
    targets: list[TreeFolder]

    @property
    def may_delete(self) -> bool:
        return {"t", "e"} <= self.folder.rights.letters

    @property
    def may_flag(self) -> bool:
        return "w" in self.folder.rights.letters

    @property
    def may_mark_seen(self) -> bool:
        return "s" in self.folder.rights.letters


def folder_entry(mine: UserMail, folder_id: int) -> tuple[TreeFolder, list[TreeFolder]]:
    """The folder as the tree shows it, and the whole tree.

    Raises:
        NotFound: the folder is not in the user's tree (no such folder, or no "l").
    """
    tree = mine.view.folder_tree()
    for entry in tree:
        if entry.id == folder_id:
            return entry, tree
    mine.rights(folder_id)  # raises NotFound for a folder the user cannot see
    raise NotFound("no such mailbox")  # a folder of another kind (calendar...) has no message list


def folder_list(mine: UserMail, folder_id: int, query: ListQuery, page_size: int = PAGE_SIZE) -> FolderList:
    """The page the query asks for (the last page when it asks past the end).

    Raises:
        NotFound: no such folder for the user. PermissionDenied: no "r".
    """
    folder, tree = folder_entry(mine, folder_id)
    view = mine.view
    kwargs: dict[str, Any] = {"sort": query.sort, "descending": query.descending, "filters": query.filters}
    page = view.page(
        folder_id, offset=(query.page - 1) * page_size, limit=page_size, threaded=query.threaded, **kwargs
    )
    pages = max(1, -(-page.total // page_size))
    if not page.exact:  # a capped count: the pages go on while they are full
        pages = max(pages, query.page + (1 if len(page.rows) == page_size else 0))
    elif query.page > pages:
        query = replace(query, page=pages)
        page = view.page(
            folder_id, offset=(pages - 1) * page_size, limit=page_size, threaded=query.threaded, **kwargs
        )
    targets = [f for f in tree if f.id != folder_id and "i" in f.rights.letters]
    return FolderList(folder, query, page, pages, targets)
