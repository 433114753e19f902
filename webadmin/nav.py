"""The navigation of WebAdmin: every page module adds its entries here when it is imported.

``nav.add(section, label, endpoint)`` puts a link under a section heading of the side bar (sections in
the order of :data:`SECTIONS`, then any other in the order first named). ``server_only=True`` hides the
link from delegated administrators, unless they hold the server permission named by ``right``
(storage.adminscope.SERVER_RIGHTS); that is a courtesy only: storage refuses their calls anyway.
Labels are lazy strings (``lazy_gettext``), translated when the page is drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import request

SECTIONS = ("Overview", "Server", "Domains", "Accounts", "Services", "Security", "Queue", "Logs")


@dataclass(frozen=True)
class Entry:
    section: str
    label: Any  # a lazy string
    endpoint: str
    server_only: bool
    order: int
    right: str | None = None
    also: tuple[str, ...] = ()  # endpoints of the pages inside this entry's area (highlighted with it)


_entries: dict[str, Entry] = {}


def add(
    section: str,
    label: Any,
    endpoint: str,
    *,
    server_only: bool = False,
    order: int = 100,
    right: str | None = None,
    also: tuple[str, ...] = (),
) -> None:
    """Add (or replace: a module imported twice adds nothing new) the link to ``endpoint``; the pages of
    ``also`` (a list's detail pages) highlight it too."""
    _entries[endpoint] = Entry(section, label, endpoint, server_only, order, right, also)


def sections(is_server: bool, rights: frozenset[str] = frozenset()) -> list[tuple[str, list[Entry]]]:
    """The side bar for an administrator (``rights``: their server permissions): (section, entries) in
    display order, empty sections left out."""
    order = list(SECTIONS) + sorted({e.section for e in _entries.values()} - set(SECTIONS))
    shown = [e for e in _entries.values() if is_server or not e.server_only or e.right in rights]
    grouped = []
    for section in order:
        entries = sorted((e for e in shown if e.section == section), key=lambda e: (e.order, str(e.label)))
        if entries:
            grouped.append((section, entries))
    return grouped


def is_active(entry: Entry) -> bool:
    """The entry of the page shown, or of the area it belongs to (its ``also`` endpoints)."""
    current = request.endpoint or ""
    return current == entry.endpoint or current in entry.also


def section_labels() -> dict[str, Callable[[], str]]:
    """Translatable section headings (extracted by babel through the calls below)."""
    from flask_babel import gettext as _

    return {
        "Overview": lambda: _("Overview"),
        "Server": lambda: _("Server"),
        "Domains": lambda: _("Domains"),
        "Accounts": lambda: _("Accounts"),
        "Services": lambda: _("Services"),
        "Security": lambda: _("Security"),
        "Queue": lambda: _("Queue"),
        "Logs": lambda: _("Logs"),
    }
