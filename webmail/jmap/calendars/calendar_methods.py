"""Calendar/get, /changes and /set (draft-ietf-jmap-calendars-22, section 4): the PIM folders of kind
"calendar" the account sees -- its own, those shared with it and its domain's public ones -- with the
rights storage's ACL engine gives it (``myRights``).

What /set does: create makes a calendar in the user's own tree (``name`` is its folder name and display
name; a "/" in it is refused), update changes ``name`` and ``color`` (needs "x" on the folder, like a
rename), destroy deletes the folder (needs "x", checked first so that a viewer gets ``forbidden``
rather than ``calendarHasEvent``; with events in it only when ``onDestroyRemoveEvents`` is true). Everything else a client sends (sharing, default alerts, visibility) is refused with
``invalidProperties``: sharing is done from the Standard interface's sharing page.
"""

from __future__ import annotations

import re
from typing import Any

from storage.errors import StorageError
from storage.pim.models import Collection
from storage.rights import Rights
from webmail.jmap import standard_methods as std
from webmail.jmap.calendars import ids
from webmail.jmap.calendars import state as st
from webmail.jmap.calendars.errors import set_error_of
from webmail.jmap.mail.if_in_state import check_state
from webmail.jmap.registry import CALENDARS, Args, Call, MethodError, method

PROPERTIES = (
    "id", "name", "description", "color", "sortOrder", "isSubscribed", "isVisible", "isDefault",
    "includeInAvailability", "defaultAlertsWithTime", "defaultAlertsWithoutTime", "timeZone", "shareWith",
    "myRights",
)  # fmt: skip
SETTABLE = frozenset({"name", "color"})
IGNORED_ON_CREATE = frozenset({"id", "myRights", "isDefault", "sortOrder", "isSubscribed", "isVisible"})


def my_rights(rights: Rights) -> dict[str, bool]:
    """The draft's CalendarRights of storage's ACL letters: reading needs "r", writing "i", "t" and "e"
    (a change replaces the item), sharing "a", deleting the calendar "x"."""
    write = "ite" in rights
    return {
        "mayReadFreeBusy": "r" in rights,
        "mayReadItems": "r" in rights,
        "mayWriteAll": write,
        "mayWriteOwn": write,
        "mayUpdatePrivate": write,
        "mayRSVP": write,
        "mayShare": "a" in rights,
        "mayDelete": "x" in rights,
    }


def default_calendar(calendars: list[Collection]) -> Collection | None:
    """Where an event goes when the client names no calendar: the first of the user's own it may write."""
    own = [c for c in calendars if not c.shared and not c.public and "i" in c.rights]
    return own[0] if own else None


def calendar_json(c: Collection, order: int, default: Collection | None) -> Args:
    return {
        "id": ids.calendar_id(c.folder_id),
        "name": c.display_name,
        "description": None,
        "color": c.color,
        "sortOrder": order,
        "isSubscribed": True,
        "isVisible": True,
        "isDefault": default is not None and c.folder_id == default.folder_id,
        "includeInAvailability": "all" if not c.shared and not c.public else "none",
        "defaultAlertsWithTime": None,
        "defaultAlertsWithoutTime": None,
        "timeZone": None,
        "shareWith": None,
        "myRights": my_rights(c.rights),
    }


@method("Calendar/get", CALENDARS)
def calendar_get(call: Call, args: Args) -> Args:
    asked = std.get_args(call, args, PROPERTIES)
    calendars = st.calendars_of(call.user)
    default = default_calendar(calendars)
    by_id = {ids.calendar_id(c.folder_id): (n, c) for n, c in enumerate(calendars)}
    wanted = list(by_id) if asked.ids is None else asked.ids
    found, missing = [], []
    for cid in wanted:
        if cid not in by_id:
            missing.append(cid)
            continue
        order, c = by_id[cid]
        body = calendar_json(c, order, default)
        found.append({p: body[p] for p in asked.properties})
    return {
        "accountId": call.account_id,
        "state": st.calendar_state(calendars),
        "list": found,
        "notFound": missing,
    }


@method("Calendar/changes", CALENDARS)
def calendar_changes(call: Call, args: Args) -> Args:
    asked = std.changes_args(call, args)
    old = st.parse_calendar_state(asked.since_state)
    if old is None:
        raise MethodError("cannotCalculateChanges", "not a Calendar state of this server")
    calendars = st.calendars_of(call.user)
    new = st.calendar_points(calendars)
    created = sorted(set(new) - set(old))
    updated = sorted(f for f in set(new) & set(old) if new[f] != old[f])
    destroyed = sorted(set(old) - set(new))
    if asked.max_changes is not None and len(created) + len(updated) + len(destroyed) > asked.max_changes:
        raise MethodError("cannotCalculateChanges", "more changes than maxChanges: reload the calendars")
    return {
        "accountId": call.account_id,
        "oldState": asked.since_state,
        "newState": st.calendar_state(calendars),
        "hasMoreChanges": False,
        "created": [ids.calendar_id(f) for f in created],
        "updated": [ids.calendar_id(f) for f in updated],
        "destroyed": [ids.calendar_id(f) for f in destroyed],
        "updatedProperties": None,
    }


_COLOR = re.compile(r"#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")


def _values(body: Args, creating: bool) -> dict[str, Any]:
    """The name and colour a create or update object sets.

    Raises:
        _Refused: a property that cannot be set, or a bad name or colour.
    """
    extra = sorted(set(body) - SETTABLE - (IGNORED_ON_CREATE if creating else set()))
    if extra:
        raise _Refused(extra, "only name and color can be set here")
    name = body.get("name")
    if (creating or "name" in body) and (not isinstance(name, str) or not name.strip() or "/" in name):
        raise _Refused(["name"], 'a calendar needs a name without "/"')
    color = body.get("color")
    if color is not None and (not isinstance(color, str) or not _COLOR.fullmatch(color.strip() or "#000000")):
        # checked here too (storage checks it again) so that the error names color, and a create with a
        # bad one leaves no calendar behind (the colour is stored by a second call)
        raise _Refused(["color"], "a colour is written #rrggbb or #rrggbbaa")
    return {"name": " ".join(name.split()) if isinstance(name, str) else None, "color": color}


class _Refused(ValueError):
    def __init__(self, properties: list[str], description: str) -> None:
        super().__init__(description)
        self.properties = properties
        self.description = description


@method("Calendar/set", CALENDARS)
def calendar_set(call: Call, args: Args) -> Args:
    asked = std.set_args(call, args)
    organizer = call.user.organizer
    old_state = st.calendar_state(st.calendars_of(call.user))
    check_state(asked.if_in_state, old_state)
    remove_events = std.boolean(args, "onDestroyRemoveEvents")
    created: dict[str, Any] = {}
    not_created: dict[str, Any] = {}
    updated: dict[str, Any] = {}
    not_updated: dict[str, Any] = {}
    destroyed: list[str] = []
    not_destroyed: dict[str, Any] = {}
    for key, body in asked.create.items():
        try:
            values = _values(body, True)
            made = organizer.create_collection(values["name"], "calendar", values["name"])
            if values["color"]:
                made = organizer.update_collection(made.folder_id, color=values["color"])
        except _Refused as exc:
            not_created[key] = std.set_error("invalidProperties", exc.description, properties=exc.properties)
            continue
        except StorageError as exc:
            not_created[key] = set_error_of(exc, "name")
            continue
        cid = ids.calendar_id(made.folder_id)
        call.created_ids[key] = cid
        created[key] = {"id": cid, "myRights": my_rights(made.rights), "isDefault": False, "sortOrder": 0}
    for cid, patch in asked.update.items():
        folder_id = ids.parse_calendar_id(cid)
        try:
            values = _values(patch, False)
            if folder_id is None:
                raise _NotFound
            organizer.collection(folder_id)
            color = (patch.get("color") or "") if "color" in patch else None
            organizer.update_collection(folder_id, display_name=values["name"], color=color)
        except _NotFound:
            not_updated[cid] = std.set_error("notFound")
            continue
        except _Refused as exc:
            not_updated[cid] = std.set_error("invalidProperties", exc.description, properties=exc.properties)
            continue
        except StorageError as exc:
            not_updated[cid] = set_error_of(exc, "name")
            continue
        updated[cid] = None
    for cid in asked.destroy:
        folder_id = ids.parse_calendar_id(cid)
        try:
            if folder_id is None:
                raise _NotFound
            if "x" not in organizer.collection(folder_id).rights:  # a viewer: forbidden, whatever it holds
                not_destroyed[cid] = std.set_error("forbidden", "you may not delete this calendar")
                continue
            if not remove_events and organizer.items(folder_id):
                not_destroyed[cid] = std.set_error("calendarHasEvent", "the calendar still holds events")
                continue
            organizer.delete_collection(folder_id)
        except _NotFound:
            not_destroyed[cid] = std.set_error("notFound")
            continue
        except StorageError as exc:
            not_destroyed[cid] = set_error_of(exc, None)
            continue
        destroyed.append(cid)
    return {
        "accountId": call.account_id,
        "oldState": old_state,
        "newState": st.calendar_state(st.calendars_of(call.user)),
        "created": created or None,
        "notCreated": not_created or None,
        "updated": updated or None,
        "notUpdated": not_updated or None,
        "destroyed": destroyed or None,
        "notDestroyed": not_destroyed or None,
    }


class _NotFound(Exception):
    pass
