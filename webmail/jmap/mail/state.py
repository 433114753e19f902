"""State strings of Mailbox, Email and Thread (RFC 8620 5.2 /changes), built on storage's MODSEQs.

Why these shapes: storage gives every folder a HIGHESTMODSEQ and UIDNEXT (RFC 7162), keeps every
message's MODSEQ and every expunged UID with the MODSEQ of its expunge, for ever (QRESYNC needs them).
So an Email state is the list of the readable folders' ``(id, HIGHESTMODSEQ, UIDNEXT)``: from it, the
changes since are exact however long ago it was made -- a message with a greater MODSEQ changed (created
when its UID is at least the old UIDNEXT), an expunged UID with a greater MODSEQ was destroyed -- and a
client back after months resyncs in one /changes call (or several pages of ``maxChanges``). Nothing
depends on the change feed's retention.

The price is length: about 12 characters per readable folder ("e" then ``id.modseq.uidnext`` in base
36, comma-separated), so 100 folders make a 1.2 KB state. Limits: a folder that was readable in the old
state but is no longer (deleted, or a right withdrawn) cannot list the Emails that went with it, and
/changes answers ``cannotCalculateChanges`` (the client then reloads).

A Mailbox state is, per visible folder, its id and two short hashes: of the properties a client shows
(name, parent, role, rights, subscription) and of its counters, so /changes can say when only the
counters changed (``updatedProperties``). A Thread state is the Email state (a conversation changes
exactly when one of its Emails does).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from storage.mail_sync import SyncFolder
from storage.usermail import UserMail
from webmail.jmap.ids import b36 as _b36

MAILBOX_PREFIX = "m"
EMAIL_PREFIX = "e"


def _hash(*parts: object) -> str:
    return hashlib.blake2s(repr(parts).encode(), digest_size=3).hexdigest()


# -- Email / Thread ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FolderPoint:
    modseq: int
    uidnext: int


def email_state(folders: list[SyncFolder]) -> str:
    """The Email state of the readable folders."""
    points = {f.id: FolderPoint(f.highestmodseq, f.uidnext) for f in folders if f.tree.readable}
    return format_email_state(points)


def format_email_state(points: dict[int, FolderPoint]) -> str:
    body = ",".join(f"{_b36(fid)}.{_b36(p.modseq)}.{_b36(p.uidnext)}" for fid, p in sorted(points.items()))
    return EMAIL_PREFIX + body


def parse_email_state(state: object) -> dict[int, FolderPoint] | None:
    """The folder points of an Email state, or None when it is not one of ours."""
    if not isinstance(state, str) or not state.startswith(EMAIL_PREFIX) or len(state) > 100_000:
        return None
    body = state[len(EMAIL_PREFIX) :]
    out: dict[int, FolderPoint] = {}
    if not body:
        return out
    try:
        for item in body.split(","):
            fid, modseq, uidnext = (int(x, 36) for x in item.split("."))
            out[fid] = FolderPoint(modseq, uidnext)
    except ValueError:
        return None
    return out


# -- Mailbox ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailboxPoint:
    shown: str  # hash of what a client shows
    counts: str  # hash of the counters


def mailbox_points(folders: list[SyncFolder]) -> dict[int, MailboxPoint]:
    out = {}
    for f in folders:
        t = f.tree
        shown = _hash(t.path, t.owner, f.parent_id, t.role, str(t.rights), f.subscribed)
        counts = _hash(t.total, t.unread, f.threads, f.unread_threads)
        out[f.id] = MailboxPoint(shown, counts)
    return out


def mailbox_state(folders: list[SyncFolder]) -> str:
    points = mailbox_points(folders)
    return MAILBOX_PREFIX + ",".join(f"{_b36(fid)}.{p.shown}{p.counts}" for fid, p in sorted(points.items()))


def parse_mailbox_state(state: object) -> dict[int, MailboxPoint] | None:
    if not isinstance(state, str) or not state.startswith(MAILBOX_PREFIX) or len(state) > 100_000:
        return None
    body = state[len(MAILBOX_PREFIX) :]
    out: dict[int, MailboxPoint] = {}
    if not body:
        return out
    try:
        for item in body.split(","):
            fid, hashes = item.split(".")
            if len(hashes) != 12:
                return None
            out[int(fid, 36)] = MailboxPoint(hashes[:6], hashes[6:])
    except ValueError:
        return None
    return out


def current_states(user: UserMail) -> dict[str, str]:
    """The account's Mailbox, Email and Thread states now (one read): for the push channel (RFC 8620 7.1
    StateChange) and the session's answers."""
    folders = user.sync.folders()
    email = email_state(folders)
    return {"Mailbox": mailbox_state(folders), "Email": email, "Thread": email}
