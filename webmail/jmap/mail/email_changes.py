"""Email/changes (RFC 8621 4.3) and the Thread changes derived from it, from storage's MODSEQs.

For each readable folder the old state names ``(HIGHESTMODSEQ, UIDNEXT)`` (webmail/jmap/mail/state.py);
storage answers which messages have a greater MODSEQ and which UIDs were expunged at a greater one
(storage.mail_sync ``changed_since``, two index range reads). A changed message whose UID is at least the
old UIDNEXT was created since, any other was updated; an expunged UID below the old UIDNEXT was
destroyed (one at or above it came and went, and is not reported). A folder that appeared since is read
from MODSEQ 0.

``maxChanges``: the changes are taken folder by folder, each in MODSEQ order, and cut after a whole
MODSEQ once the count is reached (one STORE or EXPUNGE of many messages shares one MODSEQ, so a page can
exceed ``maxChanges`` by that group); the intermediate state records where each folder stopped and
``hasMoreChanges`` is true. An Email created in a later page may be reported as created twice.

Limit: a folder readable in the old state that is gone or no longer readable answers
``cannotCalculateChanges`` (its Emails cannot be listed any more), and so does Thread/changes when an
Email was destroyed (storage keeps no conversation of an expunged message).
"""

from __future__ import annotations

from dataclasses import dataclass

from webmail.jmap import standard_methods as std
from webmail.jmap.ids import email_id, thread_id
from webmail.jmap.mail import state as st
from webmail.jmap.mail.common import int_arg
from webmail.jmap.registry import MAIL, Args, Call, MethodError, method

Key = tuple[int, int]


@dataclass
class EmailChanges:
    old_state: str
    new_state: str
    has_more: bool
    created: list[Key]
    updated: list[Key]
    destroyed: list[Key]


def email_changes_since(call: Call, args: Args) -> EmailChanges:
    """What changed since ``sinceState`` (see the module docstring)."""
    since = args.get("sinceState")
    old = st.parse_email_state(since)
    if old is None:
        raise MethodError("cannotCalculateChanges", "unknown state")
    max_changes = int_arg(args, "maxChanges", None, minimum=1)
    sync = call.user.sync
    readable = {f.id: f for f in sync.folders(unread_threads=False) if f.tree.readable}
    if set(old) - set(readable):
        raise MethodError("cannotCalculateChanges", "a mailbox of that state is gone or no longer readable")
    budget = max_changes if max_changes is not None else 1 << 62
    created: list[Key] = []
    updated: list[Key] = []
    destroyed: list[Key] = []
    points: dict[int, st.FolderPoint] = {}
    has_more = False
    for fid, folder in sorted(readable.items()):
        point = old.get(fid, st.FolderPoint(0, 1))
        now = st.FolderPoint(folder.highestmodseq, folder.uidnext)
        if point == now:
            points[fid] = now
            continue
        if budget <= 0:
            has_more = True
            if fid in old:
                points[fid] = point
            continue
        changed, gone = sync.changed_since(fid, point.modseq)
        events = sorted(
            [(modseq, 0, uid) for uid, modseq in changed] + [(modseq, 1, uid) for uid, modseq in gone]
        )
        events = [e for e in events if not (e[1] == 1 and e[2] >= point.uidnext)]
        taken = events
        if len(events) > budget:
            last = events[budget - 1][0]
            taken = [e for e in events if e[0] <= last]
        for _modseq, gone_flag, uid in taken:
            key = (fid, uid)
            if gone_flag:
                destroyed.append(key)
            elif uid >= point.uidnext:
                created.append(key)
            else:
                updated.append(key)
        budget -= len(taken)
        if len(taken) < len(events):
            has_more = True
            left_created = [e[2] for e in events[len(taken) :] if e[1] == 0 and e[2] >= point.uidnext]
            points[fid] = st.FolderPoint(taken[-1][0], min(left_created, default=now.uidnext))
        else:
            points[fid] = now
    return EmailChanges(
        old_state=str(since),
        new_state=st.format_email_state(points),
        has_more=has_more,
        created=created,
        updated=updated,
        destroyed=destroyed,
    )


@method("Email/changes", MAIL, std.CHANGES_ARGUMENTS)
def email_changes(call: Call, args: Args) -> Args:
    call.account(args)
    c = email_changes_since(call, args)
    return {
        "accountId": call.account_id,
        "oldState": c.old_state,
        "newState": c.new_state,
        "hasMoreChanges": c.has_more,
        "created": [email_id(*k) for k in c.created],
        "updated": [email_id(*k) for k in c.updated],
        "destroyed": [email_id(*k) for k in c.destroyed],
    }


def thread_changes(call: Call, args: Args, c: EmailChanges) -> Args:
    """Thread/changes from the Email changes: the conversations of created and updated Emails are
    updated (created when all their Emails are new)."""
    if c.destroyed:
        raise MethodError("cannotCalculateChanges", "Emails were destroyed; fetch the Threads again")
    keys = c.created + c.updated
    messages = call.user.sync.messages(keys)
    new = set(c.created)
    threads: dict[str, bool] = {}  # thread id -> all of its changed Emails are new
    for key in keys:
        msg = messages.get(key)
        if msg is None:
            continue
        tid = thread_id(msg.thread_key, msg.folder_id, msg.uid)
        threads[tid] = threads.get(tid, True) and key in new
    created = []
    for tid, all_new in threads.items():
        if all_new and _all_members_new(call, tid, new):
            created.append(tid)
    return {
        "accountId": call.account_id,
        "oldState": c.old_state,
        "newState": c.new_state,
        "hasMoreChanges": c.has_more,
        "created": created,
        "updated": [t for t in threads if t not in created],
        "destroyed": [],
    }


def _all_members_new(call: Call, tid: str, new: set[Key]) -> bool:
    key = tid[1:]
    if key.startswith("_"):
        return True
    return all(member in new for member in call.user.sync.thread(key))
