"""What changed among the organizer items of one JMAP type since a state (RFC 8620 5.2): the work of
CalendarEvent/changes and of the other item types' /changes (webmail/jmap/organizer_items.py).

A state is the readable folders' ``(id, UIDVALIDITY, HIGHESTMODSEQ)`` (state.py). Each folder that moved
since its point is asked what changed (storage's sync: the items written since, with their keys, and the
keys of the items that left the folder). Ids are made of the item's key (ids.py), which a move keeps, so:

* an item written in a folder of the old state is ``updated`` (storage keeps no "made" mark; a client
  fetches an id it does not know), one in a folder new to the state ``created``;
* an item that left one folder and is now in another the user reads (a move) is ``updated``, never
  destroyed and created again: its id did not change;
* an item that left a folder and is in none of them now (deleted, or moved where the user cannot read,
  or to a folder of another type) is ``destroyed``.

Only the items of the type's components count (a calendar also holds tasks).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from storage.errors import InvalidInput, NotFound, PermissionDenied
from storage.pim.models import Collection
from storage.usermail import UserMail
from webmail.jmap.calendars import ids
from webmail.jmap.calendars import state as st


class CannotCalculate(Exception):
    """The changes since that state cannot be told (the client reloads); the message says why."""


@dataclass(frozen=True)
class Changes:
    created: list[str]
    updated: list[str]
    destroyed: list[str]

    def count(self) -> int:
        return len(self.created) + len(self.updated) + len(self.destroyed)


def since(
    user: UserMail, old: dict[int, st.FolderPoint], folders: list[Collection], components: Iterable[str]
) -> Changes:
    """The ids created, updated and destroyed in ``folders`` (the type's folders now) since ``old``.

    Raises:
        CannotCalculate: a folder of the old state is no longer readable or was made again, or one
        changed under the request.
    """
    kinds = set(components)
    new = st.event_points(folders)
    if any(f not in new or new[f].uidvalidity != p.uidvalidity for f, p in old.items()):
        raise CannotCalculate("a folder went away since that state: reload")
    in_old: set[int] = set()  # keys written in folders of the old state
    in_new: set[int] = set()  # keys written in folders new to it
    gone: set[int] = set()  # keys that left a folder
    for folder_id, point in sorted(new.items()):
        before = old.get(folder_id)
        if before is not None and before.modseq == point.modseq:
            continue
        try:
            result = user.organizer.sync(
                folder_id, f"{before.uidvalidity}-{before.modseq}" if before else None
            )
        except (NotFound, PermissionDenied, InvalidInput):
            raise CannotCalculate("a folder changed under the request: retry") from None
        (in_old if before else in_new).update(r.key for r in result.changed if r.component in kinds)
        gone.update(g.key for g in result.gone if g.component in kinds)
    created = in_new - in_old - gone
    updated = in_old | (in_new & gone)
    destroyed = gone - in_old - in_new
    return Changes(
        [ids.event_id(k) for k in sorted(created)],
        [ids.event_id(k) for k in sorted(updated)],
        [ids.event_id(k) for k in sorted(destroyed)],
    )
