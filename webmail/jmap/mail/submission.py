"""EmailSubmission/get, /changes, /query, /queryChanges, /set (RFC 8621 7).

A create sends an Email through the mail-flow package (webmail/jmap/mail/sending.py: the same checks as
SMTP submission and WebMail) and keeps a record (storage.submissions, through ``call.user.submissions``)
so the client can read it back for ``RETENTION`` (30 days; docs/jmap.md). What this server does of the
type:

* ``undoStatus`` is always ``final``: a message is queued at once and cannot be taken back (no
  FUTURERELEASE, ``maxDelayedSend`` 0); an update to ``canceled`` gets ``cannotUnsend``.
* ``deliveryStatus`` is read from the queue while the message is still in it (``queued``, then ``yes``
  or ``no`` per recipient); once it left the queue the delivery is over and the status is null (the
  queue does not keep the outcome; a failure comes back as a bounce in the Inbox).
* ``dsnBlobIds`` and ``mdnBlobIds`` are empty.
* ``onSuccessUpdateEmail`` / ``onSuccessDestroyEmail`` run after the creates as one implicit Email/set
  (RFC 8620 5.3), through the method table, so Email/set has one implementation (webmail/jmap/mail).
* /queryChanges answers cannotCalculateChanges (the query is cheap to run again: an account has only the
  records of the retention period).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storage.submissions import ChangesTooOld, Submission
from storage.usermail import UserMail
from webmail.jmap import standard_methods as std
from webmail.jmap.mail.identity import identities
from webmail.jmap.mail.if_in_state import check_state
from webmail.jmap.mail.sending import SendRefused, send
from webmail.jmap.registry import (
    ACCOUNT_CAPABILITIES,
    METHODS,
    SUBMISSION,
    Args,
    Call,
    MethodError,
    method,
    state_source,
)

PROPERTIES = (
    "id",
    "identityId",
    "emailId",
    "threadId",
    "envelope",
    "sendAt",
    "undoStatus",
    "deliveryStatus",
    "dsnBlobIds",
    "mdnBlobIds",
)
SORTABLE = ("emailId", "threadId", "sentAt")
#: RFC 8621 1.3.2: what the Session says of this capability (no delayed sending, no SMTP extensions)
ACCOUNT_CAPABILITIES[SUBMISSION] = {"maxDelayedSend": 0, "submissionExtensions": {}}


@state_source
def submission_state(user: UserMail) -> dict[str, str]:
    """Push (webmail/jmap/push.py): the account's EmailSubmission state (one indexed read)."""
    return {"EmailSubmission": str(user.submissions.state())}


def submission_id(record_id: int) -> str:
    return f"S{record_id}"


def parse_submission_id(value: object) -> int | None:
    if isinstance(value, str) and value[:1] == "S" and value[1:].isdigit() and len(value) < 20:
        return int(value[1:]) or None
    return None


def _utc(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _reply(delivered: str, error: str | None) -> str:
    """An SMTP reply for a queued recipient: the last error the queue kept, else what its state says."""
    if error:
        return error
    return {"yes": "250 2.0.0 delivered", "no": "550 5.0.0 not delivered"}.get(delivered, "250 2.0.0 queued")


def as_json(record: Submission) -> Args:
    delivery = None
    if record.delivery is not None:
        delivery = {
            address: {
                "smtpReply": _reply(Submission.delivered(state), error),
                "delivered": Submission.delivered(state),
                "displayed": "unknown",
            }
            for address, (state, error) in record.delivery.items()
        }
    return {
        "id": submission_id(record.id),
        "identityId": record.identity_id,
        "emailId": record.email_id,
        "threadId": record.thread_id,
        "envelope": record.envelope,
        "sendAt": _utc(record.send_at),
        "undoStatus": "final",
        "deliveryStatus": delivery,
        "dsnBlobIds": [],
        "mdnBlobIds": [],
    }


@method("EmailSubmission/get", SUBMISSION)
def submission_get(call: Call, args: Args) -> Args:
    """RFC 8621 7.1 (RFC 8620 5.1)."""
    asked = std.get_args(call, args, PROPERTIES)
    ids = asked.ids
    numbers = None if ids is None else [n for n in map(parse_submission_id, ids) if n is not None]
    state, records = call.user.submissions.get(numbers)
    found = {submission_id(r.id): r for r in records}
    return {
        "accountId": call.account_id,
        "state": str(state),
        "list": [
            {p: as_json(found[i])[p] for p in asked.properties} for i in (ids or list(found)) if i in found
        ],
        "notFound": [i for i in ids or () if i not in found],
    }


def _state_number(value: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise MethodError("cannotCalculateChanges", "that is not a state of this server")
    return int(value)


@method("EmailSubmission/changes", SUBMISSION)
def submission_changes(call: Call, args: Args) -> Args:
    """RFC 8621 7.2 (RFC 8620 5.2); states older than the retention give cannotCalculateChanges."""
    asked = std.changes_args(call, args)
    since = _state_number(asked.since_state)
    try:
        found = call.user.submissions.changes(since, asked.max_changes)
    except ChangesTooOld as exc:
        raise MethodError("cannotCalculateChanges", str(exc)) from None
    return {
        "accountId": call.account_id,
        "oldState": str(since),
        "newState": str(found.new_state),
        "hasMoreChanges": found.has_more,
        "created": [submission_id(i) for i in found.created],
        "updated": [submission_id(i) for i in found.updated],
        "destroyed": [submission_id(i) for i in found.destroyed],
    }


def _matches(record: Args, condition: Any) -> bool:
    """RFC 8621 7.3 FilterCondition, or a FilterOperator (RFC 8620 5.5) of them.

    Raises:
        MethodError: unsupportedFilter for anything else.
    """
    if not isinstance(condition, dict):
        raise MethodError("unsupportedFilter", "a filter is an object")
    if "operator" in condition:
        parts = condition.get("conditions")
        if not isinstance(parts, list):
            raise MethodError("unsupportedFilter", "an operator needs conditions")
        results = [_matches(record, c) for c in parts]
        op = condition["operator"]
        if op == "AND":
            return all(results)
        if op == "OR":
            return any(results)
        if op == "NOT":
            return not any(results)
        raise MethodError("unsupportedFilter", f"unknown operator {op!r}")
    for name, value in condition.items():
        if name in ("identityIds", "emailIds", "threadIds"):
            if not isinstance(value, list):
                raise MethodError("unsupportedFilter", f"{name} is a list of ids")
            if record[name[:-1]] not in value:
                return False
        elif name == "undoStatus":
            if record["undoStatus"] != value:
                return False
        elif name in ("before", "after"):
            if not isinstance(value, str):
                raise MethodError("unsupportedFilter", f"{name} is a UTCDate")
            sent = record["sendAt"]
            if (name == "before" and not sent < value) or (name == "after" and not sent >= value):
                return False
        else:
            raise MethodError("unsupportedFilter", f"unknown filter property {name!r}")
    return True


@method("EmailSubmission/query", SUBMISSION)
def submission_query(call: Call, args: Args) -> Args:
    """RFC 8621 7.3 (RFC 8620 5.5): filter by identity, Email, thread, undoStatus and time; sort by
    emailId, threadId or sentAt; position, anchor, limit and the total as the RFC says."""
    q = std.query_args(call, args, SORTABLE)
    state, records = call.user.submissions.get()
    rows = [as_json(r) for r in records]
    if q.filter is not None:
        rows = [r for r in rows if _matches(r, q.filter)]
    for comparator in reversed(q.sort):
        key = "sendAt" if comparator.property == "sentAt" else comparator.property
        rows.sort(key=lambda r: str(r[key]), reverse=not comparator.is_ascending)  # noqa: B023 (sorted now)
    ids = [r["id"] for r in rows]
    return std.query_answer(call, q, ids, str(state))


@method("EmailSubmission/queryChanges", SUBMISSION)
def submission_query_changes(call: Call, args: Args) -> Args:
    """RFC 8620 5.6: not calculated for this type (see the module notes); the client queries again."""
    std.query_changes_args(call, args, SORTABLE)
    raise MethodError("cannotCalculateChanges", "run EmailSubmission/query again")


def implicit_email_set(call: Call, args: Args, created: dict[str, str], destroyed: dict[str, str]) -> None:
    """RFC 8621 7.5 onSuccessUpdateEmail / onSuccessDestroyEmail: one Email/set for the Emails of the
    submissions that succeeded, added to the response after this method's own. ``created`` maps creation
    ids (the keys "#id"), ``destroyed`` the ids of submissions destroyed in this call, to their Emails."""
    update_by = args.get("onSuccessUpdateEmail") or {}
    destroy_by = args.get("onSuccessDestroyEmail") or []
    if not update_by and not destroy_by:
        return

    def email_of(key: str) -> str | None:
        return created.get(key[1:]) if key.startswith("#") else destroyed.get(key)

    update: dict[str, Any] = {}
    for key, patch in update_by.items():
        if (email := email_of(key)) is not None:
            update[email] = patch
    destroy = [email for key in destroy_by if (email := email_of(key)) is not None]
    if not update and not destroy:
        return
    email_args: Args = {"accountId": call.account_id}
    if update:
        email_args["update"] = update
    if destroy:
        email_args["destroy"] = destroy
    call.implicit.append(("Email/set", METHODS["Email/set"].handler(call, email_args)))


@method("EmailSubmission/set", SUBMISSION)
def submission_set(call: Call, args: Args) -> Args:
    """RFC 8621 7.5: create sends (webmail/jmap/mail/sending.py), update can only try to cancel (and
    gets cannotUnsend: undoStatus is final at once), destroy forgets the record (not the message)."""
    asked = std.set_args(call, args)
    create, update, destroy = asked.create, asked.update, asked.destroy
    records = call.user.submissions
    old_state = str(records.state())
    check_state(asked.if_in_state, old_state)
    on_success = args.get("onSuccessUpdateEmail"), args.get("onSuccessDestroyEmail")
    if any(on_success) and "Email/set" not in METHODS:
        raise MethodError(
            "invalidArguments", "onSuccessUpdateEmail/DestroyEmail need Email/set, not served yet"
        )
    if not isinstance(on_success[0] or {}, dict) or not isinstance(on_success[1] or [], list):
        raise MethodError(
            "invalidArguments", "onSuccessUpdateEmail is an object, onSuccessDestroyEmail a list"
        )
    usable = {i.id: i for i in identities(call)} if create else {}
    created: Args = {}
    not_created: Args = {}
    emails: dict[str, str] = {}  # creation id -> the Email sent
    for creation_id, obj in create.items():
        try:
            sent = send(call, obj, usable)
        except SendRefused as refused:
            not_created[creation_id] = refused.error
            continue
        record = records.add(
            identity_id=obj["identityId"],
            email_id=sent.email_id,
            thread_id=sent.thread_id,
            envelope=sent.envelope,
            queue_id=sent.queue_id,
        )
        new_id = submission_id(record.id)
        call.created_ids[creation_id] = new_id
        emails[creation_id] = sent.email_id
        created[creation_id] = {
            "id": new_id,
            "threadId": sent.thread_id,
            "sendAt": _utc(record.send_at),
            "undoStatus": "final",
            "envelope": sent.envelope,
        }
    _, live = records.get([n for n in map(parse_submission_id, update) if n is not None])
    live_ids = {submission_id(r.id) for r in live}
    not_updated: Args = {
        key: std.set_error("cannotUnsend", "the message was queued at once; it cannot be taken back")
        if key in live_ids
        else std.set_error("notFound")
        for key in update
    }
    wanted = {key: parse_submission_id(key) for key in destroy}
    numbers = [n for n in wanted.values() if n is not None]
    email_of = {r.id: r.email_id for r in records.get(numbers)[1]} if numbers else {}
    gone = set(records.destroy(numbers)) if numbers else set()
    destroyed = [key for key, n in wanted.items() if n in gone]
    gone_emails = {key: email_of[n] for key, n in wanted.items() if n in gone and n in email_of}
    not_destroyed = {key: std.set_error("notFound") for key, n in wanted.items() if n not in gone}
    response: Args = {
        "accountId": call.account_id,
        "oldState": old_state,
        "newState": str(records.state()),
        "created": created or None,
        "updated": None,
        "destroyed": destroyed or None,
        "notCreated": not_created or None,
        "notUpdated": not_updated or None,
        "notDestroyed": not_destroyed or None,
    }
    implicit_email_set(call, args, emails, gone_emails)
    return response
