"""The matrix's operations on organizer folders, through ``store.for_user(guest).organizer`` -- the one
API WebMail's organizer pages and the DAV endpoints both call, so the rights seen here are theirs.

Each operation gives (done, answer): ``answer`` is the storage error's kind and words when refused,
compared with the answer for a folder that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable

from storage.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied, PreconditionFailed
from storage.store import Store
from tests.sharing.matrix import SUBJECT, task

Outcome = tuple[bool, str]


def _try(work: Callable[[], object]) -> Outcome:
    try:
        work()
    except (NotFound, PermissionDenied, InvalidInput, AlreadyExists, PreconditionFailed) as exc:
        return False, f"{type(exc).__name__}: {exc}"
    return True, ""


class OrganizerGuest:
    def __init__(self, store: Store, guest_id: int, owner: str) -> None:
        self.user = store.for_user(guest_id)
        self.organizer = self.user.organizer
        self.owner = owner

    def run(
        self, box_id: int, gone_id: int, sub_path: str, third: str, item_uid: str, etag: str
    ) -> dict[str, Outcome]:
        """Every operation of the matrix, in order; ``item_uid`` and ``etag`` are Box's task's."""
        org = self.organizer
        out: dict[str, Outcome] = {}
        out["list"] = (box_id in [c.folder_id for c in org.collections()], "absent")

        def read() -> None:
            assert SUBJECT.encode() in org.get(box_id, "item.ics").data

        out["read"] = _try(read)
        out["add"] = _try(lambda: org.put(box_id, "added.ics", task(f"added-{box_id}")))
        out["change"] = _try(lambda: org.put(box_id, "item.ics", task(item_uid, "Changed"), if_match=etag))
        out["delete_item"] = _try(lambda: org.delete(box_id, "item.ics"))
        out["create_subfolder"] = _try(lambda: org.create_collection(sub_path, "tasks", owner=self.owner))
        out["share"] = _try(lambda: self.user.change_entry(box_id, third, "lr"))
        out["delete_folder"] = _try(lambda: org.delete_collection(gone_id))
        return out
