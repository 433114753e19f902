"""Email/queryChanges (RFC 8620 5.6, RFC 8621 4.5) for a query of one Mailbox, from storage's MODSEQs.

Why it can be exact and cheap: an Email id is its (folder, UID), so a message never enters or leaves a
Mailbox's results by moving (a move destroys one id and creates another), and the properties the sorts
read (receivedAt, sentAt, size, from, to, subject) never change. The query state is the Email state
(webmail/jmap/mail/state.py), which holds the Mailbox's HIGHESTMODSEQ and UIDNEXT; storage answers which
UIDs changed or were expunged after that MODSEQ from its ``(folder_id, modseq)`` indexes
(``MailSync.changed_since``), never by scanning the folder. Then:

* removed: the UIDs below the old UIDNEXT expunged since and, when the filter or sort reads keywords
  (``hasKeyword``/``notKeyword``, a ``hasKeyword`` sort), every older message whose keywords may have
  changed (RFC 8620: those must be removed and re-added). A message created since was not in the old
  results: Email/query leaves out of its page any UID at or above the UIDNEXT its queryState names;
* added: those of the created (and, with keywords, changed) messages now in the results, each with its
  index in the new results, found by walking the results from the top (``MailSync.positions``) until all
  are placed, or just after ``upToId`` when the query reads no keyword (the client holds nothing past it).

With ``collapseThreads`` the results hold each conversation's first message: a new message can take its
conversation's place from an older one, so every older message of the conversations of the created
(changed) messages in the Mailbox goes into removed, and whichever message heads each now is added.

Limits (answered ``cannotCalculateChanges``, the client runs Email/query again): a filter that is not
narrowed to exactly one Mailbox by ``inMailbox``, or that holds a text condition (``text``, ``from``,
``subject``, ``body``, ...: their candidates are capped per folder, so old messages can drop out of the
results as new ones arrive) or a ``*InThreadHaveKeyword`` condition (it reads other messages, in other
Mailboxes too); a Mailbox the old state did not hold or that is no longer readable; with
``collapseThreads``, an expunge in the Mailbox since (storage keeps no conversation of an expunged
message); an added message placed deeper than storage's MAX_POSITION. More than ``maxChanges`` removed
plus added ids answer ``tooManyChanges``.
"""

from __future__ import annotations

from typing import Any

from storage.mail_sync import MAX_POSITION, Condition, Sort
from webmail.jmap import standard_methods as std
from webmail.jmap.ids import email_id, parse_email_id
from webmail.jmap.mail import state as st
from webmail.jmap.mail.email_query import condition_of, sorts_of
from webmail.jmap.mail.query_scope import one_mailbox, reads_keywords
from webmail.jmap.registry import MAIL, Args, Call, MethodError, method

Key = tuple[int, int]


@method("Email/queryChanges", MAIL, std.QUERY_CHANGES_ARGUMENTS | {"collapseThreads"})
def email_query_changes(call: Call, args: Args) -> Args:
    call.account(args)
    condition = condition_of(args["filter"]) if args.get("filter") is not None else None
    sort = sorts_of(args.get("sort"))
    since = args.get("sinceQueryState")
    if not isinstance(since, str):
        raise std.invalid("sinceQueryState", "must be a query state string")
    max_changes = std.unsigned(args, "maxChanges")
    up_to_id = std.string_or_null(args, "upToId")
    collapse = std.boolean(args, "collapseThreads")
    want_total = std.boolean(args, "calculateTotal")
    old = st.parse_email_state(since)
    if old is None:
        raise MethodError("cannotCalculateChanges", "unknown query state")
    fid = one_mailbox(condition)
    if fid is None:
        raise MethodError(
            "cannotCalculateChanges", "changes are followed for a query of one Mailbox without text search"
        )
    sync = call.user.sync
    folders = sync.folders(unread_threads=False)
    new_state = st.email_state(folders)
    readable = {f.id: f for f in folders if f.tree.readable}
    out: Args = {"accountId": call.account_id, "oldQueryState": since, "newQueryState": new_state}
    removed, added = _changes(call, condition, sort, fid, old, readable, collapse, up_to_id)
    if max_changes is not None and len(removed) + len(added) > max_changes:
        raise MethodError("tooManyChanges", f"{len(removed) + len(added)} changes")
    out["removed"] = [email_id(*k) for k in removed]
    out["added"] = [{"id": email_id(*k), "index": i} for i, k in added]
    if want_total:
        out["total"] = sync.query(
            condition, sort, limit=0, collapse_threads=collapse, total=True, readable=list(readable)
        ).total
    return out


def _changes(
    call: Call,
    condition: Condition | None,
    sort: list[Sort],
    fid: int,
    old: dict[int, st.FolderPoint],
    readable: dict[int, Any],
    collapse: bool,
    up_to_id: str | None,
) -> tuple[list[Key], list[tuple[int, Key]]]:
    """(removed, added as (index, key) in index order) of the Mailbox ``fid``'s results since ``old``."""
    point, folder = old.get(fid), readable.get(fid)
    if point is None and folder is None:
        return [], []  # not a Mailbox of this account then or now: no results either time
    if point is None or folder is None:
        raise MethodError("cannotCalculateChanges", "the Mailbox was not readable in one of the two states")
    if (point.modseq, point.uidnext) == (folder.highestmodseq, folder.uidnext):
        return [], []
    sync = call.user.sync
    changed, gone = sync.changed_since(fid, point.modseq)
    destroyed = [(fid, uid) for uid, _ in gone if uid < point.uidnext]
    mutable = reads_keywords(condition, sort)
    moved = [(fid, uid) for uid, _ in changed if mutable or uid >= point.uidnext]
    if collapse and destroyed:
        raise MethodError("cannotCalculateChanges", "Emails were expunged from a query of conversations")
    groups: dict[Key, object] = {key: key for key in moved}
    if collapse and moved:
        for msg in sync.messages(moved).values():
            members = [k for k in sync.thread(msg.thread_key) if k[0] == fid] or [(fid, msg.uid)]
            groups.update({k: msg.thread_key for k in members})
    up_to = parse_email_id(up_to_id) if up_to_id is not None and not mutable else None
    places = sync.positions(
        condition, sort, groups, collapse_threads=collapse, up_to=up_to, readable=list(readable)
    )  # the tree the handler just read holds the rights
    if places is None:
        raise MethodError("cannotCalculateChanges", f"an added Email lies past the first {MAX_POSITION}")
    removed = list(dict.fromkeys([*destroyed, *(k for k in groups if k[1] < point.uidnext)]))
    added = sorted((index, key) for key, index in places.items())
    return removed, added
