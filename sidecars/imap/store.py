"""STORE, COPY and MOVE with their UID forms (RFC 3501 6.4.6-6.4.8, RFC 4315 UIDPLUS, RFC 6851
MOVE, RFC 7162 3.1.3 UNCHANGEDSINCE).

Rights are the ACL engine's (storage checks them on every call): \\Seen needs "s", \\Deleted "t",
other flags "w"; COPY needs "r" on the source and "i" on the target; MOVE also "t" and "e".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sidecars.imap import response as R
from sidecars.imap.contract import Done, No
from sidecars.imap.grammar import CopyArgs
from sidecars.imap.grammar import Store as StoreArgs
from sidecars.imap.parser import Command
from sidecars.imap.selected import announce_keywords, enable_condstore, fetch_flags_line, resolve_folder
from sidecars.imap.sequence import format_set

if TYPE_CHECKING:
    from sidecars.imap.session import ImapSession


def store(s: ImapSession, cmd: Command) -> Done:
    spec: StoreArgs = cmd.spec
    sel = s.selection
    assert sel is not None
    uid_mode = cmd.name == "UID STORE"
    if sel.readonly:
        raise No("mailbox is read-only", "READ-ONLY")
    uids = sel.resolve(s, spec.sequence, uid_mode)
    parts: list[bytes] = enable_condstore(s) if spec.unchanged_since is not None else []
    flags = [f for f in spec.flags if f.lower() != "\\recent"]
    changed, conflicts = s.mine.set_flags(
        sel.id, uids, flags, spec.mode, unchanged_since=spec.unchanged_since
    )
    for c in changed:
        sel.own[c.uid] = c.modseq
    by_uid = {c.uid: c for c in changed}
    shown: list[tuple[int, Any]] = []
    if not spec.silent:
        # RFC 3501 6.4.6: the new flags of every message named, changed or not; the changed ones are
        # known from the write, only the others are read (none when every message named changed)
        unchanged = [u for u in uids if u not in conflicts and u not in by_uid]
        current = {r.uid: r for r in sel.reader(s).flags(unchanged)} if unchanged else {}
        rows = [(sel.seq_of(uid), by_uid.get(uid) or current.get(uid)) for uid in uids]
        shown = [(seq, row) for seq, row in rows if seq and row is not None]
    # RFC 3501 7.2.6: a keyword new to the session is announced before a response shows it
    parts += announce_keywords(s, (f for row in [*changed, *(r for _, r in shown)] for f in row.flags))
    for seq, row in shown:
        parts.append(fetch_flags_line(s, seq, row.uid, row.flags, row.modseq, with_uid=uid_mode))
    if spec.silent and s.condstore:
        # RFC 7162 3.1.3: .SILENT still reports the new MODSEQ of changed messages
        for c in changed:
            seq = sel.seq_of(c.uid)
            if seq:
                uid_part = f"UID {c.uid} " if uid_mode else ""
                parts.append(R.untagged(f"{seq} FETCH ({uid_part}MODSEQ ({c.modseq}))"))
    code = None
    if conflicts:
        named = sorted(conflicts) if uid_mode else sorted(sel.seq_of(u) for u in conflicts)
        code = f"MODIFIED {format_set(named)}"
    return Done(parts, f"{cmd.name} completed", code)


def _target(s: ImapSession, mailbox: str) -> int:
    try:
        folder, _ = resolve_folder(s, mailbox)
    except No as exc:
        if exc.code == "NONEXISTENT":
            raise No(exc.text, "TRYCREATE") from None
        raise
    return folder.id


def copy(s: ImapSession, cmd: Command) -> Done:
    # RFC 3501 6.4.7, COPYUID RFC 4315 3
    spec: CopyArgs = cmd.spec
    sel = s.selection
    assert sel is not None
    uids = sel.resolve(s, spec.sequence, cmd.name == "UID COPY")
    target = _target(s, spec.mailbox)
    if not uids:
        return Done([], f"{cmd.name} completed (no messages)")
    if sel.expunged_among(s, uids):  # RFC 2180 4.4.1: copy all of them or none
        raise No("some of the messages were expunged by another session", "EXPUNGEISSUED")
    _check_message_quota(s, target, len(uids))
    mapping = s.mine.copy(sel.id, uids, target)
    if target == sel.id:
        sel.dirty = True
    return Done([], f"{cmd.name} completed", _copyuid(s, target, mapping))


def _check_message_quota(s: ImapSession, target: int, count: int) -> None:
    """The message-count quota of the target's owner (storage checks only bytes on copy)."""
    folder = s.store.folders.by_id(target)
    if folder.account_id is None:
        return
    owner = s.store.accounts.by_id(folder.account_id)
    limit = int(s.store.settings.get("quota.messages", account=owner.address))
    if limit and owner.message_count + count > limit:
        raise No(f"mailbox full: quota of {limit} messages exceeded", "OVERQUOTA")


def _copyuid(s: ImapSession, target: int, mapping: dict[int, int]) -> str | None:
    if not mapping:
        return None
    validity = s.store.folders.by_id(target).uidvalidity
    src = sorted(mapping)
    return f"COPYUID {validity} {format_set(src)} {','.join(str(mapping[u]) for u in src)}"


def move(s: ImapSession, cmd: Command) -> Done:
    # RFC 6851 3.1-3.3: COPYUID in an untagged OK, then the expunges, then the tagged OK
    spec: CopyArgs = cmd.spec
    sel = s.selection
    assert sel is not None
    if sel.readonly:
        raise No("mailbox is read-only", "READ-ONLY")
    uids = sel.resolve(s, spec.sequence, cmd.name == "UID MOVE")
    target = _target(s, spec.mailbox)
    if not uids:
        return Done([], f"{cmd.name} completed (no messages)")
    if sel.expunged_among(s, uids):
        raise No("some of the messages were expunged by another session", "EXPUNGEISSUED")
    mapping = s.mine.copy(sel.id, uids, target, move=True)
    parts: list[bytes] = []
    code = _copyuid(s, target, mapping)
    if code:
        parts.append(R.untagged(f"OK [{code}] moved"))
    parts += sel.report_expunged(s, sorted(mapping))
    if target == sel.id:
        # RFC 6851 3.1, MOVE = COPY + EXPUNGE: into the mailbox itself the copies have new UIDs and
        # are reported (EXISTS) after the expunges, before the tagged OK
        sel.dirty = True
    return Done(parts, f"{cmd.name} completed")
