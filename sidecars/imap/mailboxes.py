"""Mailbox commands: LIST/LSUB (RFC 3501 6.3.8-9, LIST-EXTENDED RFC 5258, LIST-STATUS RFC 5819,
SPECIAL-USE RFC 6154), NAMESPACE (RFC 2342), CREATE (with USE, RFC 6154 3), DELETE, RENAME,
SUBSCRIBE, UNSUBSCRIBE and STATUS (RFC 3501 6.3.3-6.3.10, RFC 7162 HIGHESTMODSEQ, RFC 8438 SIZE).

Visibility is the ACL engine's: ``s.mine.list_folders(owner)`` returns only folders with
the lookup right, and every change and STATUS goes through ``s.mine`` so storage checks k/x/r itself. A folder the
user cannot see but whose subfolder they can is listed as \\NonExistent (LIST-EXTENDED) /
\\Noselect, so the hierarchy stays walkable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sidecars.imap import names
from sidecars.imap import response as R
from sidecars.imap.contract import Done, No
from sidecars.imap.mailboxargs import ListArgs
from sidecars.imap.parser import Command
from sidecars.imap.selected import enable_condstore, resolve_folder
from storage.errors import NotFound, PermissionDenied
from storage.models import Folder

if TYPE_CHECKING:
    from sidecars.imap.session import ImapSession


def _wire(s: ImapSession, name: str) -> bytes:
    return R.astring(names.encode_wire(name, s.utf8)) if name else b'""'


def list_command(s: ImapSession, cmd: Command) -> Done:
    spec: ListArgs = cmd.spec
    verb = "LSUB" if spec.lsub else "LIST"
    if spec.patterns == ("",) and not spec.extended:
        # RFC 3501 6.3.8: an empty pattern asks for the delimiter and the root of the reference
        root = spec.reference.split("/", 1)[0] if spec.reference else ""
        return Done([R.untagged(f'{verb} (\\Noselect) "/" ' + _wire(s, root).decode())], f"{verb} completed")
    patterns = names.list_patterns(spec.reference, spec.patterns, s.utf8)
    matched = patterns.matches
    # other users' and public folders are looked up only when a pattern can reach them
    found = s.mine.mailboxes(
        shared=patterns.may_match_under(names.OTHER_USERS), public=patterns.may_match_under(names.PUBLIC)
    )
    listed = names.visible_folders(found, s.user)
    subscriptions = set(found.subscriptions)
    by_name = {entry.name: entry for entry in listed}
    # ancestors the user cannot see but needs to walk to a visible child
    for entry in list(listed):
        for parent in _ancestors(entry.name):
            if parent not in by_name:
                by_name[parent] = names.Listed(parent, None, entry.owner)
    children = {name.rpartition("/")[0] for name in by_name if "/" in name}
    subscribed_only = spec.lsub or "SUBSCRIBED" in spec.selection
    recursive = "RECURSIVEMATCH" in spec.selection
    # every ancestor of a subscribed name -> its subscribed descendants
    subscribed_below: dict[str, list[str]] = {}
    for sub in subscriptions:
        for parent in _ancestors(sub):
            subscribed_below.setdefault(parent, []).append(sub)
    if subscribed_only:
        # RFC 3501 6.3.6 / RFC 5258 3.1: subscribed names of folders that are gone stay listed
        # (\NonExistent), and so do their missing parents, for LSUB's "%" (RFC 3501 6.3.9) and for
        # RECURSIVEMATCH (RFC 5258 3.5); RETURN (SUBSCRIBED) alone lists existing ones (example 6)
        for gone in (subscriptions | subscribed_below.keys()) - by_name.keys():
            by_name[gone] = names.Listed(gone, None, "")
    special_only = "SPECIAL-USE" in spec.selection
    out: list[bytes] = []
    for name in sorted(by_name, key=_order):
        if not matched(name):
            continue
        entry = by_name[name]
        folder = entry.folder
        subscribed = name in subscriptions
        nonexistent = folder is None and entry.owner == ""
        below = subscribed_below.get(name, [])
        # RFC 5258 3.5: CHILDINFO says a descendant meets the selection criteria; a parent that does not
        # meet them itself is listed only for a descendant the patterns do not return (3.3 rule 2B: the
        # CHILDINFO would be redundant otherwise), one that does meet them carries it too (example 9)
        child_info = recursive and subscribed_only and bool(below)
        lsub_parent = False
        if subscribed_only and not subscribed:
            hidden_child = any(not matched(n) for n in below)
            if spec.lsub and hidden_child:
                lsub_parent = True  # RFC 3501 6.3.9: "%" shows the parent of a subscribed name as \Noselect
            elif not (recursive and hidden_child):
                continue
        use = names.SPECIAL_USE.get(folder.role or "") if folder is not None else None
        if special_only and not use:
            continue
        attrs: list[str] = []
        if nonexistent and spec.extended:
            attrs.append("\\NonExistent")  # RFC 5258 3.4: implies \Noselect
        elif folder is None or lsub_parent:
            attrs.append("\\Noselect")
        if not spec.lsub:
            attrs.append("\\HasChildren" if name in children else "\\HasNoChildren")
        if use and (not spec.extended or "SPECIAL-USE" in spec.returns or special_only or not spec.returns):
            attrs.append(use)
        if subscribed and ("SUBSCRIBED" in spec.returns or "SUBSCRIBED" in spec.selection):
            attrs.append("\\Subscribed")
        line = f'{verb} ({" ".join(attrs)}) "/" '.encode() + _wire(s, name)
        if child_info:
            line += b' ("CHILDINFO" ("SUBSCRIBED"))'
        out.append(R.untagged(line))
        if spec.status_items and folder is not None:
            try:  # RFC 5819 1: no STATUS for a mailbox the user may not read
                current = s.mine.status(folder.id)
            except (NotFound, PermissionDenied):
                continue
            out.append(_status_line(s, name, current, spec.status_items))
    return Done(list(out), f"{verb} completed")


def _ancestors(name: str) -> list[str]:
    """The names above ``name`` in the hierarchy: "a" and "a/b" for "a/b/c"."""
    parts = name.split("/")
    return ["/".join(parts[:depth]) for depth in range(1, len(parts))]


def _order(name: str) -> tuple[int, str]:
    top = name.split("/", 1)[0]
    rank = 0 if name == "INBOX" else 2 if top in (names.OTHER_USERS, names.PUBLIC) else 1
    return rank, name


def namespace(s: ImapSession, cmd: Command) -> Done:
    # RFC 2342 5
    other = _wire(s, names.OTHER_USERS + "/").decode()
    public = _wire(s, names.PUBLIC + "/").decode()
    line = f'NAMESPACE (("" "/")) (({other} "/")) (({public} "/"))'
    return Done([R.untagged(line)], "NAMESPACE completed")


def _place(s: ImapSession, wire_name: str) -> names.Place:
    try:
        return names.place(names.decode_wire(wire_name, s.utf8), s.user)
    except names.BadName as exc:
        raise No(str(exc), "CANNOT") from None


def create(s: ImapSession, cmd: Command) -> Done:
    # RFC 3501 6.3.3; RFC 6154 3 USE
    where = _place(s, cmd.spec.mailbox.rstrip("/"))
    if where.path == "INBOX" and where.personal:
        raise No("INBOX always exists", "ALREADYEXISTS")
    role = None
    for use in cmd.spec.use:
        role = names.ROLE_OF_USE.get(use.lower())
        if role is None:
            raise No(f"special use {use} is not supported", "USEATTR")
    # RFC 3501 6.3.3 creates, it does not subscribe; storage answers alike for a namespace that does not
    # exist, a parent the user cannot see and a missing "k" (RFC 4314 4)
    s.mine.create_folder(where.owner, where.path, role=role)
    return Done([], "CREATE completed")


def delete(s: ImapSession, cmd: Command) -> Done:
    # RFC 3501 6.3.4 (storage deletes the subtree; a client deleting a parent expects that)
    folder, where = resolve_folder(s, cmd.spec.mailbox)
    if where.path == "INBOX" and where.personal:
        raise No("INBOX cannot be deleted", "CANNOT")
    prefix = where.path + "/"
    if any(f.path.startswith(prefix) for f in s.mine.list_folders(where.owner)):
        # RFC 3501 6.3.4: storage has no \Noselect placeholder, so inferiors keep their parent
        raise No(f"{cmd.spec.mailbox} has subfolders; delete them first", "HASCHILDREN")
    if s.selection is not None and s.selection.id == folder.id:
        s.leave_mailbox()
    s.mine.delete_folder(where.owner, where.path)
    return Done([], "DELETE completed")


def rename(s: ImapSession, cmd: Command) -> Done:
    # RFC 3501 6.3.5; renaming INBOX moves its messages to the new name and leaves INBOX empty
    folder, old = resolve_folder(s, cmd.spec.old)
    new = _place(s, cmd.spec.new.rstrip("/"))
    if new.owner != old.owner:
        raise No("a mailbox cannot be renamed into another namespace", "CANNOT")
    if old.path == "INBOX" and old.personal:
        target = s.mine.create_folder(new.owner, new.path)
        uids = s.mine.reader(folder.id).uids()
        if uids:
            s.mine.copy(folder.id, uids, target.id, move=True)
        return Done([], "RENAME completed (messages of INBOX moved)")
    s.mine.rename_folder(old.owner, old.path, new.path)
    return Done([], "RENAME completed")


def subscribe(s: ImapSession, cmd: Command) -> Done:
    # RFC 3501 6.3.6: the name is stored, not the folder, so it outlives a DELETE
    _, where = resolve_folder(s, cmd.spec.mailbox)
    s.store.folders.subscribe(s.user, names.client_name(where.owner, where.path, s.user))
    return Done([], "SUBSCRIBE completed")


def unsubscribe(s: ImapSession, cmd: Command) -> Done:
    # RFC 3501 6.3.7: works on names, so a deleted folder can be unsubscribed too
    where = _place(s, cmd.spec.mailbox.rstrip("/"))
    s.store.folders.unsubscribe(s.user, names.client_name(where.owner, where.path, s.user))
    return Done([], "UNSUBSCRIBE completed")


def status(s: ImapSession, cmd: Command) -> Done:
    # RFC 3501 6.3.10: counters are kept by storage, nothing is counted here
    found, _ = resolve_folder(s, cmd.spec.mailbox)
    folder = s.mine.status(found.id)  # NO [NOPERM] without "r" (RFC 4314 4)
    enabled = enable_condstore(s) if "HIGHESTMODSEQ" in cmd.spec.items else []  # RFC 7162 3.1
    return Done(
        [*enabled, _status_line(s, names.decode_wire(cmd.spec.mailbox, s.utf8), folder, cmd.spec.items)],
        "STATUS completed",
    )


def _status_line(s: ImapSession, name: str, folder: Folder, items: tuple[str, ...]) -> bytes:
    values = []
    for item in items:
        if item == "MESSAGES":
            values.append(f"MESSAGES {folder.message_count}")
        elif item == "RECENT":
            recent = 0
            if s.selection is not None and s.selection.id == folder.id:
                recent = len(s.selection.recent)
            elif folder.message_count:
                uids = s.mine.reader(folder.id).uids()
                recent = len(s.store.recent.claim(folder.id, uids, False))
            values.append(f"RECENT {recent}")
        elif item == "UIDNEXT":
            values.append(f"UIDNEXT {folder.uidnext}")
        elif item == "UIDVALIDITY":
            values.append(f"UIDVALIDITY {folder.uidvalidity}")
        elif item == "UNSEEN":
            values.append(f"UNSEEN {folder.unseen_count}")
        elif item == "HIGHESTMODSEQ":
            values.append(f"HIGHESTMODSEQ {folder.highestmodseq}")
        elif item == "SIZE":
            values.append(f"SIZE {folder.total_bytes}")
    return R.untagged(b"STATUS " + _wire(s, name) + f" ({' '.join(values)})".encode())
