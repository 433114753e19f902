"""Thread/get and Thread/changes (RFC 8621 3).

A Thread is a conversation as storage groups it (``thread_key``, the hash of its root Message-ID): its
Emails in every folder the user may read, oldest first. A message storage could not place in a
conversation is a Thread of its own (id ``t_<folder>_<uid>``, webmail/jmap/ids.py).
"""

from __future__ import annotations

from typing import Any

from webmail.jmap import standard_methods as std
from webmail.jmap.ids import email_id, parse_email_id, parse_thread_key
from webmail.jmap.mail import state as st
from webmail.jmap.mail.common import wanted_ids, wanted_properties
from webmail.jmap.mail.email_changes import email_changes_since, thread_changes
from webmail.jmap.registry import MAIL, Args, Call, MethodError, method


def _members(call: Call, key: str) -> list[str]:
    if key.startswith("_"):  # a message of its own: t_<folder>_<uid>
        parsed = parse_email_id("e" + key[1:])
        if parsed is None or not call.user.sync.messages([parsed]):
            return []
        return [email_id(*parsed)]
    return [email_id(fid, uid) for fid, uid in call.user.sync.thread(key)]


@method("Thread/get", MAIL, std.GET_ARGUMENTS)
def thread_get(call: Call, args: Args) -> Args:
    call.account(args)
    ids = wanted_ids(args)
    if ids is None:
        raise MethodError("requestTooLarge", "Thread/get needs ids")
    props = wanted_properties(args, ("id", "emailIds"), ("id", "emailIds"))
    folders = call.user.sync.folders(unread_threads=False)
    found: list[dict[str, Any]] = []
    not_found: list[str] = []
    for i in ids:
        key = parse_thread_key(i)
        members = _members(call, key) if key else []
        if not members:
            not_found.append(i)
            continue
        obj = {"id": i, "emailIds": members}
        found.append({p: obj[p] for p in props})
    return {
        "accountId": call.account_id,
        "state": st.email_state(folders),
        "list": found,
        "notFound": not_found,
    }


@method("Thread/changes", MAIL, std.CHANGES_ARGUMENTS)
def thread_changes_method(call: Call, args: Args) -> Args:
    call.account(args)
    changes = email_changes_since(call, args)
    return thread_changes(call, args, changes)
