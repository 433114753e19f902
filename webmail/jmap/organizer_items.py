"""What the JMAP types over one kind of organizer folder share: Task (draft-ietf-jmap-tasks, folders of
kind "tasks"), and our Note and JournalEntry (``urn:fieldpost:jmap:notes``, folders of kind "notes" and
"journal"). One :class:`ItemKind` per type says which folders and component it is about; the methods
built on it (the folder type's /get and /changes, the item's /changes, finding, storing and destroying
an item with storage's refusals as SetErrors) are written once here, not once per type.

Why this shape: every such item is one iCalendar item of a PIM folder, named by its resource name, so
the ids, states and change feed of the calendar's events serve them all unchanged
(webmail/jmap/calendars/ids.py, state.py, item_changes.py): an item id is ``v<key>`` (storage's item
key, kept when the item moves to another folder), an item state the readable folders' ``(id,
UIDVALIDITY, HIGHESTMODSEQ)`` behind a one-letter prefix of the type, and /changes asks each folder for
what changed since (the organizer's sync, as CalDAV does). What differs
between the types -- the JSON of an item and how it is checked and written -- stays in their modules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from storage.errors import InvalidInput, NotFound, PermissionDenied, PreconditionFailed, StorageError
from storage.pim.models import Collection, Item
from storage.usermail import UserMail
from webmail.jmap import standard_methods as std
from webmail.jmap.calendars import events, ids, item_changes
from webmail.jmap.calendars import state as st
from webmail.jmap.calendars.errors import set_error_of
from webmail.jmap.calendars.item_set import Refused
from webmail.jmap.registry import Args, Call, MethodError

#: How many items one read asks the organizer for (a /query or /get over a big folder reads in batches).
BATCH = 200


@dataclass(frozen=True)
class ItemKind:
    """One JMAP item type over the organizer's folders of ``kind`` holding ``component`` items."""

    kind: str  # the folders' kind ("tasks", "notes", "journal")
    component: str  # what their items are ("VTODO", "VJOURNAL")
    folder_prefix: str  # the folder type's id and state prefix ("l": TaskList l12)
    state_prefix: str  # the item type's state prefix ("t": a Task state)
    folder_property: str  # the item's property naming its folder ("taskListId")
    noun: str  # what the items are called in an error's description ("tasks")
    also: tuple[str, ...] = ()  # other folder kinds that hold such items too (tasks: "calendar")

    def folder_id(self, folder_id: int) -> str:
        return f"{self.folder_prefix}{folder_id}"

    def parse_folder_id(self, value: object) -> int | None:
        pattern = re.escape(self.folder_prefix) + r"([1-9][0-9]{0,17})"
        if not isinstance(value, str) or not (m := re.fullmatch(pattern, value)):
            return None
        return int(m.group(1))

    def folders(self, user: UserMail) -> list[Collection]:
        """The account's folders of this kind: own, shared with it, public; then those of the ``also``
        kinds, in the same order (one index read)."""
        if not self.also:
            return user.organizer.collections(self.kind)
        every = user.organizer.collections()
        return [c for kind in (self.kind, *self.also) for c in every if c.kind == kind]

    def state(self, user: UserMail) -> str:
        """The item type's state: the readable folders' sync points (see the module docstring)."""
        return self.state_prefix + st.event_state(self.folders(user))

    def folders_state(self, folders: list[Collection]) -> str:
        return self.folder_prefix + st.calendar_state(folders)

    @staticmethod
    def default(folders: list[Collection]) -> Collection | None:
        """Where a new item goes when the client names no folder: the first of the user's own it may
        add to."""
        own = [c for c in folders if not c.shared and not c.public and "i" in c.rights]
        return own[0] if own else None

    def readable(self, call: Call, wanted: object, argument: str) -> list[int]:
        """The readable folders, narrowed to the folder ids ``wanted`` names (a filter's ``in...``
        condition; None: all).

        Raises:
            MethodError: invalidArguments when ``wanted`` is not an array of ids.
        """
        readable = [c.folder_id for c in self.folders(call.user) if "r" in c.rights]
        if wanted is None:
            return readable
        if not isinstance(wanted, list) or not all(isinstance(x, str) for x in wanted):
            raise std.invalid("filter", f"{argument} is an array of ids")
        asked = {self.parse_folder_id(std.resolve_id(call, x)) for x in wanted}
        return [f for f in readable if f in asked]

    # -- the folder type ----------------------------------------------------------------------------

    def folder_get(
        self,
        call: Call,
        args: Args,
        properties: tuple[str, ...],
        body_of: Callable[[Collection, int, bool], Args],
    ) -> Args:
        """The folder type's /get (RFC 8620 5.1); ``body_of(folder, order, is_default)`` is its JSON."""
        asked = std.get_args(call, args, properties)
        folders = self.folders(call.user)
        default = self.default(folders)
        by_id = {self.folder_id(c.folder_id): (n, c) for n, c in enumerate(folders)}
        found, missing = [], []
        for fid in list(by_id) if asked.ids is None else asked.ids:
            if fid not in by_id:
                missing.append(fid)
                continue
            order, c = by_id[fid]
            body = body_of(c, order, default is not None and default.folder_id == c.folder_id)
            found.append({p: body[p] for p in asked.properties})
        return {
            "accountId": call.account_id,
            "state": self.folders_state(folders),
            "list": found,
            "notFound": missing,
        }

    def folder_changes(self, call: Call, args: Args) -> Args:
        """The folder type's /changes (RFC 8620 5.2), from a hash per folder of what a client shows."""
        asked = std.changes_args(call, args)
        since = asked.since_state
        old = st.parse_calendar_state(since[1:]) if since.startswith(self.folder_prefix) else None
        if old is None:
            raise MethodError("cannotCalculateChanges", "not a state of these folders")
        folders = self.folders(call.user)
        new = st.calendar_points(folders)
        created = sorted(set(new) - set(old))
        updated = sorted(f for f in set(new) & set(old) if new[f] != old[f])
        destroyed = sorted(set(old) - set(new))
        if asked.max_changes is not None and len(created) + len(updated) + len(destroyed) > asked.max_changes:
            raise MethodError("cannotCalculateChanges", "more changes than maxChanges: reload the folders")
        return {
            "accountId": call.account_id,
            "oldState": since,
            "newState": self.folders_state(folders),
            "hasMoreChanges": False,
            "created": [self.folder_id(f) for f in created],
            "updated": [self.folder_id(f) for f in updated],
            "destroyed": [self.folder_id(f) for f in destroyed],
            "updatedProperties": None,
        }

    # -- items --------------------------------------------------------------------------------------

    def find(self, user: UserMail, item_id: str) -> tuple[ids.EventRef, Item] | None:
        """The folder and stored item an id names, when it is one of this type the user may read."""
        ref = events.refs_of(user, [item_id], (self.component,)).get(item_id)
        if ref is None or ref.recurrence_id is not None:
            return None
        if ref.folder_id not in {c.folder_id for c in self.folders(user)}:
            return None
        try:
            item = user.organizer.get(ref.folder_id, ref.name)
        except (NotFound, PermissionDenied, InvalidInput):
            return None
        return (ref, item) if item.component == self.component else None

    def items_in(self, user: UserMail, folder_ids: list[int]) -> list[tuple[int, Item]]:
        """Every item of ``folder_ids`` with its bytes, read :data:`BATCH` at a time."""
        organizer = user.organizer
        out: list[tuple[int, Item]] = []
        for folder_id in folder_ids:
            names = [ref.name for ref in organizer.items(folder_id)]
            for start in range(0, len(names), BATCH):
                batch = organizer.get_many(folder_id, names[start : start + BATCH])
                out += [(folder_id, item) for item in batch if item.component == self.component]
        return out

    def changes(self, call: Call, args: Args) -> Args:
        """The item type's /changes (RFC 8620 5.2) over the folders' change feed (item_changes.py)."""
        asked = std.changes_args(call, args)
        since = asked.since_state
        old = st.parse_event_state(since[1:]) if since.startswith(self.state_prefix) else None
        if old is None:
            raise MethodError("cannotCalculateChanges", f"reload the {self.noun}")
        folders = self.folders(call.user)
        try:
            found = item_changes.since(call.user, old, folders, (self.component,))
        except item_changes.CannotCalculate:
            raise MethodError("cannotCalculateChanges", f"reload the {self.noun}") from None
        if asked.max_changes is not None and found.count() > asked.max_changes:
            raise MethodError(
                "cannotCalculateChanges", f"more changes than maxChanges: reload the {self.noun}"
            )
        return {
            "accountId": call.account_id,
            "oldState": since,
            "newState": self.state_prefix + st.event_state(folders),
            "hasMoreChanges": False,
            "created": found.created,
            "updated": found.updated,
            "destroyed": found.destroyed,
        }

    def target(self, call: Call, wanted: object) -> int:
        """The folder a created item goes to: the one the client named, else :meth:`default`.

        Raises:
            Refused: invalidProperties naming the folder property when it is not one of this kind's.
        """
        if wanted is None:
            found = self.default(self.folders(call.user))
            folder_id = found.folder_id if found else None
        else:
            folder_id = (
                self.parse_folder_id(std.resolve_id(call, wanted)) if isinstance(wanted, str) else None
            )
        if folder_id is None or folder_id not in {c.folder_id for c in self.folders(call.user)}:
            raise Refused(
                std.set_error("invalidProperties", "no such folder", properties=[self.folder_property])
            )
        return folder_id

    def store_new(self, call: Call, folder_id: int, name: str, data: bytes) -> str:
        """Store a created item under ``name``; its id.

        Raises:
            Refused: invalidProperties (uid) when the name is taken; storage's refusal otherwise
            (forbidden for a folder the user may not add to, overQuota...).
        """
        try:
            stored = call.user.organizer.put(folder_id, name, data, if_none_match=True)
        except PreconditionFailed:
            raise Refused(
                std.set_error("invalidProperties", "an item with this uid exists", properties=["uid"])
            ) from None
        except StorageError as exc:
            raise Refused(set_error_of(exc, None)) from None
        return ids.event_id(stored.key)

    def replace(self, call: Call, ref: ids.EventRef, item: Item, data: bytes) -> None:
        """Replace a stored item by ``data``, unless it changed since it was read (its ETag).

        Raises:
            Refused: stateMismatch when it changed meanwhile; storage's refusal otherwise.
        """
        try:
            call.user.organizer.put(ref.folder_id, item.name, data, if_match=item.etag)
        except PreconditionFailed:
            raise Refused(
                std.set_error("stateMismatch", "the item changed meanwhile: fetch it again")
            ) from None
        except StorageError as exc:
            raise Refused(set_error_of(exc, None)) from None

    def destroy(self, call: Call, item_id: str) -> None:
        """Delete an item (no Trash for organizer items).

        Raises:
            Refused: notFound, stateMismatch, or storage's refusal (forbidden...).
        """
        hit = self.find(call.user, item_id)
        if hit is None:
            raise Refused(std.set_error("notFound"))
        ref, item = hit
        try:
            call.user.organizer.delete(ref.folder_id, item.name, if_match=item.etag)
        except PreconditionFailed:
            raise Refused(std.set_error("stateMismatch", "the item changed meanwhile")) from None
        except StorageError as exc:
            raise Refused(set_error_of(exc, None)) from None

    def new_folder(self, call: Call, ref: ids.EventRef, patch: Args) -> int | None:
        """The folder a patch moves the item to (its folder property naming another folder of this
        kind), or None when it stays.

        Raises:
            Refused: invalidProperties naming the folder property when it is not one of this kind's.
        """
        wanted = patch.get(self.folder_property)
        if wanted is None or wanted == self.folder_id(ref.folder_id):
            return None
        target = self.target(call, wanted)
        return None if target == ref.folder_id else target

    def move(self, call: Call, ref: ids.EventRef, target: int) -> None:
        """Move the item to ``target`` (storage's move: "i" there, "t" and "e" here); it keeps its key,
        so its id.

        Raises:
            Refused: storage's refusal (forbidden, an item of that name or uid there, overQuota...).
        """
        try:
            call.user.organizer.move(ref.folder_id, ref.name, target)
        except StorageError as exc:
            raise Refused(set_error_of(exc, self.folder_property)) from None
