"""Mailbox/get, /changes, /query, /queryChanges and /set (RFC 8621 2).

A Mailbox is a mail folder the user may see: their own, one another user shares with them, or one of
their domain's public folders (storage.mail_sync). ``myRights`` is the rights engine's answer mapped onto
RFC 8621 2's names (mayReadItems "r", mayAddItems "i", mayRemoveItems "t" and "e", maySetSeen "s",
maySetKeywords "w", mayCreateChild "k", mayRename and mayDelete "x", mayAdmin "a"); counters come from the
folder's stored counts. A shared or public folder whose parent the user cannot see is shown at the top,
named as IMAP shows it ("Other Users/bob@example.test/Projects", "Public Folders/News"), so names stay
unique among siblings. ``sortOrder`` follows the role (Inbox first) and cannot be changed.
"""

from __future__ import annotations

from typing import Any

from storage.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from storage.mail_sync import SyncFolder, subscription_name
from webmail.jmap import standard_methods as std
from webmail.jmap.ids import mailbox_id, parse_mailbox_id
from webmail.jmap.mail import state as st
from webmail.jmap.mail.common import (
    MAX_OBJECTS_IN_SET,
    int_arg,
    set_error,
    wanted_ids,
    wanted_properties,
)
from webmail.jmap.registry import ACCOUNT_CAPABILITIES, MAIL, Args, Call, MethodError, method

PROPERTIES = (
    "id", "name", "parentId", "role", "sortOrder", "totalEmails", "unreadEmails", "totalThreads",
    "unreadThreads", "myRights", "isSubscribed",
)  # fmt: skip
ROLE_ORDER = {"inbox": 1, "drafts": 2, "sent": 3, "archive": 4, "junk": 5, "trash": 6}
MAX_NAME = 255  # octets (UTF-8) of one Mailbox name

# RFC 8621 1.3.1: an Email is in one Mailbox (its id is folder + UID); attachments are bounded by the
# message size limit's default (mail.max_message_bytes, 50 MiB; a domain or account may set less).
ACCOUNT_CAPABILITIES[MAIL] = {
    "maxMailboxesPerEmail": 1,
    "maxMailboxDepth": None,
    "maxSizeMailboxName": MAX_NAME,
    "maxSizeAttachmentsPerEmail": 50 * 1024**2,
    "emailQuerySortOptions": ["receivedAt", "sentAt", "size", "from", "to", "subject", "hasKeyword"],
    "mayCreateTopLevelMailbox": True,
}


def _name(f: SyncFolder) -> str:
    t = f.tree
    if t.section != "personal" and f.parent_id is None:
        return subscription_name(t)
    return t.name


def _sort_order(f: SyncFolder) -> int:
    t = f.tree
    if t.section == "personal":
        return ROLE_ORDER.get(t.role or "", 10)
    return 20 if t.section == "shared" else 30


def my_rights(f: SyncFolder) -> dict[str, bool]:
    r = f.tree.rights
    return {
        "mayReadItems": "r" in r,
        "mayAddItems": "i" in r,
        "mayRemoveItems": "t" in r and "e" in r,
        "maySetSeen": "s" in r,
        "maySetKeywords": "w" in r,
        "mayCreateChild": "k" in r,
        "mayRename": "x" in r and f.tree.role != "inbox",
        "mayDelete": "x" in r and f.tree.role != "inbox",
        "maySubmit": f.tree.section == "personal",
        "mayAdmin": "a" in r,
    }


def mailbox_object(f: SyncFolder) -> dict[str, Any]:
    t = f.tree
    return {
        "id": mailbox_id(f.id),
        "name": _name(f),
        "parentId": mailbox_id(f.parent_id) if f.parent_id is not None else None,
        "role": t.role if t.section == "personal" else None,
        "sortOrder": _sort_order(f),
        "totalEmails": t.total or 0,
        "unreadEmails": t.unread or 0,
        "totalThreads": f.threads or 0,
        "unreadThreads": f.unread_threads or 0,
        "myRights": my_rights(f),
        "isSubscribed": f.subscribed,
    }


TREE_ARGUMENTS = {"sortAsTree", "filterAsTree"}  # RFC 8621 2.3


@method("Mailbox/get", MAIL, std.GET_ARGUMENTS)
def mailbox_get(call: Call, args: Args) -> Args:
    call.account(args)
    ids = wanted_ids(args)
    props = wanted_properties(args, PROPERTIES, PROPERTIES)
    folders = call.user.sync.folders()
    by_id = {mailbox_id(f.id): f for f in folders}
    found, not_found = [], []
    for i in ids if ids is not None else list(by_id):
        f = by_id.get(i)
        if f is None:
            not_found.append(i)
            continue
        obj = mailbox_object(f)
        found.append({p: obj[p] for p in props})
    return {
        "accountId": call.account_id,
        "state": st.mailbox_state(folders),
        "list": found,
        "notFound": not_found,
    }


@method("Mailbox/changes", MAIL, std.CHANGES_ARGUMENTS)
def mailbox_changes(call: Call, args: Args) -> Args:
    call.account(args)
    old = st.parse_mailbox_state(args.get("sinceState"))
    max_changes = int_arg(args, "maxChanges", None, minimum=1)
    if old is None:
        raise MethodError("cannotCalculateChanges", "unknown state")
    folders = call.user.sync.folders()
    now = st.mailbox_points(folders)
    created = [mailbox_id(i) for i in sorted(set(now) - set(old))]
    destroyed = [mailbox_id(i) for i in sorted(set(old) - set(now))]
    updated, counts_only = [], True
    for i in sorted(set(now) & set(old)):
        if now[i] != old[i]:
            updated.append(mailbox_id(i))
            counts_only = counts_only and now[i].shown == old[i].shown
    if max_changes is not None and len(created) + len(updated) + len(destroyed) > max_changes:
        raise MethodError("cannotCalculateChanges", "more changes than maxChanges; reload the mailboxes")
    counters = ["totalEmails", "unreadEmails", "totalThreads", "unreadThreads"]
    return {
        "accountId": call.account_id,
        "oldState": args.get("sinceState"),
        "newState": st.mailbox_state(folders),
        "hasMoreChanges": False,
        "created": created,
        "updated": updated,
        "destroyed": destroyed,
        "updatedProperties": counters if updated and counts_only else None,
    }


# -- query ------------------------------------------------------------------------------------------------

FILTER_PROPERTIES = {"parentId", "name", "role", "hasAnyRole", "isSubscribed"}


def _matches(f: SyncFolder, obj: dict[str, Any], cond: Any) -> bool:
    if not isinstance(cond, dict):
        raise MethodError("invalidArguments", "a filter is an object")
    if "operator" in cond:
        op, items = cond.get("operator"), cond.get("conditions")
        if op not in ("AND", "OR", "NOT") or not isinstance(items, list):
            raise MethodError("unsupportedFilter", "operator is AND, OR or NOT with a list of conditions")
        results = [_matches(f, obj, c) for c in items]
        return all(results) if op == "AND" else any(results) if op == "OR" else not any(results)
    unknown = set(cond) - FILTER_PROPERTIES
    if unknown:
        raise MethodError("unsupportedFilter", f"unknown filter properties: {', '.join(sorted(unknown))}")
    if "parentId" in cond and obj["parentId"] != cond["parentId"]:
        return False
    if "name" in cond and str(cond["name"]).lower() not in obj["name"].lower():
        return False
    if "role" in cond and obj["role"] != cond["role"]:
        return False
    if "hasAnyRole" in cond and (obj["role"] is not None) != bool(cond["hasAnyRole"]):
        return False
    return not ("isSubscribed" in cond and obj["isSubscribed"] != bool(cond["isSubscribed"]))


def _sort_key(sort: list[Any]) -> Any:
    for c in sort:
        if not isinstance(c, dict) or c.get("property") not in ("sortOrder", "name"):
            raise MethodError("unsupportedSort", "Mailboxes sort by sortOrder or name")

    def key(obj: dict[str, Any]) -> tuple[Any, ...]:
        parts: list[Any] = []
        for c in sort:
            v = obj[c["property"]]
            v = v.lower() if isinstance(v, str) else v
            parts.append(v if c.get("isAscending", True) else _Desc(v))
        parts.append(obj["id"])
        return tuple(parts)

    return key


class _Desc:
    def __init__(self, v: Any) -> None:
        self.v = v

    def __lt__(self, other: _Desc) -> bool:
        return bool(other.v < self.v)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and bool(self.v == other.v)

    def __hash__(self) -> int:
        return hash(self.v)


@method("Mailbox/query", MAIL, std.QUERY_ARGUMENTS | TREE_ARGUMENTS)
def mailbox_query(call: Call, args: Args) -> Args:
    call.account(args)
    folders = call.user.sync.folders()
    objs = {mailbox_id(f.id): (f, mailbox_object(f)) for f in folders}
    sort = args.get("sort")
    if sort is None or sort == []:
        sort = [{"property": "sortOrder"}, {"property": "name"}]
    if not isinstance(sort, list):
        raise MethodError("invalidArguments", "sort is a list", arguments=["sort"])
    key = _sort_key(sort)
    cond = args.get("filter")
    matching = {i for i, (f, o) in objs.items() if cond is None or _matches(f, o, cond)}
    if args.get("filterAsTree"):  # a mailbox matches only if its parents do too

        def kept(i: str) -> bool:
            parent = objs[i][1]["parentId"]
            return i in matching and (parent is None or parent not in objs or kept(parent))

        matching = {i for i in matching if kept(i)}
    ordered = sorted((objs[i][1] for i in matching), key=key)
    if args.get("sortAsTree"):
        ordered = _as_tree(ordered)
    ids = [o["id"] for o in ordered]
    position = int_arg(args, "position", 0, minimum=None) or 0
    limit = int_arg(args, "limit", None)
    anchor = args.get("anchor")
    if anchor is not None:
        if anchor not in ids:
            raise MethodError("anchorNotFound")
        position = max(0, ids.index(anchor) + (int_arg(args, "anchorOffset", 0, minimum=None) or 0))
    elif position < 0:
        position = max(0, len(ids) + position)
    page = ids[position : None if limit is None else position + limit]
    out: Args = {
        "accountId": call.account_id,
        "queryState": st.mailbox_state(folders),
        "canCalculateChanges": False,
        "position": position,
        "ids": page,
    }
    if args.get("calculateTotal"):
        out["total"] = len(ids)
    if limit is not None:
        out["limit"] = limit
    return out


def _as_tree(ordered: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each mailbox right after its parent (or at the top when its parent is not in the list), siblings in
    the given order (RFC 8621 2.3 sortAsTree)."""
    present = {o["id"] for o in ordered}
    children: dict[str | None, list[dict[str, Any]]] = {}
    for o in ordered:
        parent = o["parentId"] if o["parentId"] in present else None
        children.setdefault(parent, []).append(o)
    out: list[dict[str, Any]] = []

    def walk(parent: str | None) -> None:
        for o in children.get(parent, []):
            out.append(o)
            walk(o["id"])

    walk(None)
    return out


@method("Mailbox/queryChanges", MAIL, std.QUERY_CHANGES_ARGUMENTS | TREE_ARGUMENTS)
def mailbox_query_changes(call: Call, args: Args) -> Args:
    call.account(args)
    raise MethodError("cannotCalculateChanges", "run Mailbox/query again (the list is short)")


# -- set --------------------------------------------------------------------------------------------------


def _resolve(call: Call, value: Any) -> int | None:
    """A Mailbox id, or "#creationId" of one made earlier in the request (RFC 8620 5.3)."""
    if isinstance(value, str) and value.startswith("#"):
        value = call.created_ids.get(value[1:])
    fid = parse_mailbox_id(value)
    if fid is None:
        raise _SetFailure({"type": "invalidProperties", "properties": ["parentId"]})
    return fid


class _SetFailure(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("type"))
        self.error = error


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name.encode()) > MAX_NAME or "/" in name:
        raise _SetFailure(
            {
                "type": "invalidProperties",
                "properties": ["name"],
                "description": f"a name is 1-{MAX_NAME} characters without '/'",
            }
        )
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        raise _SetFailure({"type": "invalidProperties", "properties": ["name"]})
    return name


def _folders_by_id(call: Call) -> dict[int, SyncFolder]:
    return {f.id: f for f in call.user.sync.folders(unread_threads=False)}


def _create(call: Call, spec: Any) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise _SetFailure({"type": "invalidProperties"})
    server_set = {"id", "totalEmails", "unreadEmails", "totalThreads", "unreadThreads", "myRights"}
    bad = sorted((set(spec) - set(PROPERTIES)) | (set(spec) & server_set))
    if bad:
        raise _SetFailure({"type": "invalidProperties", "properties": bad})
    name = _check_name(spec.get("name"))
    role = spec.get("role")
    if role is not None and role not in ROLE_ORDER:
        raise _SetFailure({"type": "invalidProperties", "properties": ["role"]})
    folders = _folders_by_id(call)
    me = call.address
    parent_value = spec.get("parentId")
    if parent_value is None:
        owner, path = me, name
    else:
        parent = folders.get(_resolve(call, parent_value) or 0)
        if parent is None:
            raise _SetFailure({"type": "invalidProperties", "properties": ["parentId"]})
        owner, path = parent.tree.owner, f"{parent.tree.path}/{name}"
    if role is not None and owner != me:
        raise _SetFailure({"type": "invalidProperties", "properties": ["role"]})
    if role is not None and any(
        f.tree.role == role and f.tree.section == "personal" for f in folders.values()
    ):
        raise _SetFailure({"type": "invalidProperties", "properties": ["role"], "description": "role in use"})
    try:
        folder = call.user.create_folder(owner, path, role=role)
    except AlreadyExists:
        raise _SetFailure(
            {"type": "invalidProperties", "properties": ["name"], "description": "exists"}
        ) from None
    except (PermissionDenied, NotFound) as exc:
        raise _SetFailure({"type": "forbidden", "description": str(exc)}) from None
    except InvalidInput as exc:
        raise _SetFailure({"type": "invalidProperties", "description": str(exc)}) from None
    if "isSubscribed" in spec:
        call.user.sync.subscribe(folder.id, bool(spec["isSubscribed"]))
    made = _folders_by_id(call).get(folder.id)
    if made is None:  # created where the user cannot see it (cannot happen with "k" and "l")
        raise _SetFailure({"type": "forbidden"})
    obj = mailbox_object(made)
    return {k: obj[k] for k in obj if k not in spec or k == "id"}


def _update(call: Call, fid: int, patch: Any) -> None:
    if not isinstance(patch, dict):
        raise _SetFailure({"type": "invalidPatch"})
    folders = _folders_by_id(call)
    f = folders.get(fid)
    if f is None:
        raise _SetFailure({"type": "notFound"})
    current = mailbox_object(f)
    allowed = {"name", "parentId", "isSubscribed", "role", "sortOrder"}
    bad = sorted(k for k in patch if k not in allowed)
    if bad:
        raise _SetFailure({"type": "invalidProperties", "properties": bad})
    for k in ("role", "sortOrder"):
        if k in patch and patch[k] != current[k]:
            raise _SetFailure(
                {"type": "invalidProperties", "properties": [k], "description": f"{k} cannot be changed here"}
            )
    t = f.tree
    if "name" in patch or "parentId" in patch:
        if "x" not in t.rights or t.role == "inbox":
            raise _SetFailure({"type": "forbidden", "description": "you may not rename this mailbox"})
        name = _check_name(patch.get("name", t.name))
        parent_value = patch.get("parentId", current["parentId"])
        if "parentId" not in patch or parent_value == current["parentId"]:
            head, _, _ = t.path.rpartition("/")
            new_path = f"{head}/{name}" if head else name
        elif parent_value is None:
            if t.section != "personal":
                raise _SetFailure({"type": "invalidProperties", "properties": ["parentId"]})
            new_path = name
        else:
            parent = folders.get(_resolve(call, parent_value) or 0)
            if parent is None or parent.tree.owner != t.owner:
                raise _SetFailure(
                    {
                        "type": "invalidProperties",
                        "properties": ["parentId"],
                        "description": "a mailbox moves only within its owner's folders",
                    }
                )
            if parent.tree.path == t.path or parent.tree.path.startswith(t.path + "/"):
                raise _SetFailure({"type": "invalidProperties", "properties": ["parentId"]})
            new_path = f"{parent.tree.path}/{name}"
        if new_path != t.path:
            try:
                call.user.rename_folder(t.owner, t.path, new_path)
            except AlreadyExists:
                raise _SetFailure(
                    {"type": "invalidProperties", "properties": ["name"], "description": "exists"}
                ) from None
            except (PermissionDenied, NotFound) as exc:
                raise _SetFailure({"type": "forbidden", "description": str(exc)}) from None
            except InvalidInput as exc:
                raise _SetFailure({"type": "invalidProperties", "description": str(exc)}) from None
    if "isSubscribed" in patch:
        call.user.sync.subscribe(fid, bool(patch["isSubscribed"]))


def _destroy(call: Call, fid: int, remove_emails: bool) -> None:
    folders = _folders_by_id(call)
    f = folders.get(fid)
    if f is None:
        raise _SetFailure({"type": "notFound"})
    if any(o.parent_id == fid for o in folders.values()):
        raise _SetFailure({"type": "mailboxHasChild"})
    if "x" not in f.tree.rights or f.tree.role == "inbox":
        raise _SetFailure({"type": "forbidden"})
    if not remove_emails:
        total = call.user.status(fid).message_count if f.tree.readable else 1
        if total:
            raise _SetFailure({"type": "mailboxHasEmail"})
    try:
        call.user.delete_folder(f.tree.owner, f.tree.path)
    except (PermissionDenied, InvalidInput) as exc:
        raise _SetFailure({"type": "forbidden", "description": str(exc)}) from None
    except NotFound:
        raise _SetFailure({"type": "notFound"}) from None


@method("Mailbox/set", MAIL, std.SET_ARGUMENTS | {"onDestroyRemoveEmails"})
def mailbox_set(call: Call, args: Args) -> Args:
    call.account(args)
    create = args.get("create") or {}
    update = args.get("update") or {}
    destroy = args.get("destroy") or []
    if not isinstance(create, dict) or not isinstance(update, dict) or not isinstance(destroy, list):
        raise MethodError("invalidArguments", "create and update are objects, destroy a list")
    if len(create) + len(update) + len(destroy) > MAX_OBJECTS_IN_SET:
        raise MethodError("requestTooLarge", f"at most {MAX_OBJECTS_IN_SET} changes per call")
    old_state = st.mailbox_state(call.user.sync.folders())
    if args.get("ifInState") is not None and args["ifInState"] != old_state:
        raise MethodError("stateMismatch")
    out: Args = {"accountId": call.account_id, "oldState": old_state}
    created: dict[str, Any] = {}
    not_created: dict[str, Any] = {}
    # parents first: a creation may name another one of this call as "#id"
    pending = dict(create)
    progress = True
    while pending and progress:
        progress = False
        for cid, spec in list(pending.items()):
            parent = spec.get("parentId") if isinstance(spec, dict) else None
            if isinstance(parent, str) and parent.startswith("#") and parent[1:] in pending:
                continue
            del pending[cid]
            progress = True
            try:
                obj = _create(call, spec)
            except _SetFailure as exc:
                not_created[cid] = exc.error
                continue
            call.created_ids[cid] = obj["id"]
            created[cid] = obj
    for cid in pending:
        not_created[cid] = {"type": "invalidProperties", "properties": ["parentId"]}
    updated: dict[str, Any] = {}
    not_updated: dict[str, Any] = {}
    for mid, patch in update.items():
        fid = parse_mailbox_id(mid)
        try:
            if fid is None:
                raise _SetFailure({"type": "notFound"})
            _update(call, fid, patch)
            updated[mid] = None
        except _SetFailure as exc:
            not_updated[mid] = exc.error
        except (NotFound, PermissionDenied, InvalidInput) as exc:
            not_updated[mid] = set_error(exc)
    destroyed: list[str] = []
    not_destroyed: dict[str, Any] = {}
    remove = bool(args.get("onDestroyRemoveEmails"))
    for mid in sorted(destroy, key=lambda i: -len(_path_of(call, i))):  # children before parents
        fid = parse_mailbox_id(mid)
        try:
            if fid is None:
                raise _SetFailure({"type": "notFound"})
            _destroy(call, fid, remove)
            destroyed.append(mid)
        except _SetFailure as exc:
            not_destroyed[mid] = exc.error
    out.update(
        newState=st.mailbox_state(call.user.sync.folders()),
        created=created or None,
        updated=updated or None,
        destroyed=destroyed or None,
        notCreated=not_created or None,
        notUpdated=not_updated or None,
        notDestroyed=not_destroyed or None,
    )
    return out


def _path_of(call: Call, mid: Any) -> str:
    fid = parse_mailbox_id(mid)
    f = _folders_by_id(call).get(fid or 0)
    return f.tree.path if f else ""
