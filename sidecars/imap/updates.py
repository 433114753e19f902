"""One change-feed subscription per IMAP process, fanned out to the sessions that selected a folder.

Why: RFC 3501 5.2 and RFC 2180 require every session with a mailbox selected to learn of new,
expunged and re-flagged messages; IDLE (RFC 2177) must push them at once. Polling the database per
connection would cost a query per session per second, so storage's change feed
(``store.changes.subscribe``) wakes this hub once per batch, and the hub only *marks* the sessions
watching a changed folder and calls their wake-up callback. The sessions then read what changed
(one indexed query each) when they are allowed to report it.

\\Recent (RFC 3501 2.3.2) is claimed through it from storage (``store.recent``): the first session to
see a message (SELECT or an EXISTS update) gets it as recent, in whichever worker process it runs;
others do not.

Implementation notes: the subscriber callback runs in the change-feed watcher (a greenlet once gevent
patched threading) and must not block; it only touches dictionaries and sets events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storage.store import Store


class ChangeHub:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._watchers: dict[int, dict[int, Callable[[], None]]] = {}
        self._token: int | None = None

    def start(self) -> None:
        """Subscribe to the change feed (once; on the event loop's thread)."""
        if self._token is None:
            self._token = self.store.changes.subscribe(self._on_changes)

    def watch(self, folder_id: int, key: int, wake: Callable[[], None]) -> None:
        self.start()
        self._watchers.setdefault(folder_id, {})[key] = wake

    def unwatch(self, folder_id: int, key: int) -> None:
        watchers = self._watchers.get(folder_id)
        if watchers is not None:
            watchers.pop(key, None)
            if not watchers:
                del self._watchers[folder_id]

    def _on_changes(self, batch: list[Any]) -> None:
        folders = {change.folder_id for change in batch}
        for folder_id in folders:
            for wake in list(dict(self._watchers.get(folder_id, {})).values()):
                wake()

    def claim_recent(self, folder_id: int, uids: list[int], claim: bool) -> set[int]:
        """Which of ``uids`` are recent for the caller; with ``claim``, no later session gets them."""
        return set(self.store.recent.claim(folder_id, uids, claim))

    def close(self) -> None:
        if self._token is not None:
            self.store.changes.unsubscribe(self._token)
            self._token = None
