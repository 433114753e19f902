"""Email/import and Email/parse (RFC 8621 4.8, 4.9): messages from blobs.

A blob is the whole of a stored message or one part of it (``b<folder>_<uid>[_<section>]``, readable
when its Mailbox is), or a file the user uploaded (``u<sha256>``, RFC 8620 6.1; storage.uploads).

Email/import appends the blob's bytes to the one Mailbox named, with the keywords and ``receivedAt``
given, as IMAP APPEND would (the blob must be a message storage accepts). Email/parse reads a blob as a
message and answers the properties Email/get would for it (id, mailboxIds, keywords, receivedAt and
threadId are null; the parts of a parsed message have no blob ids of their own).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from storage.errors import InvalidInput, NotFound, PermissionDenied, QuotaExceeded
from storage.mail_sync import SyncMessage
from storage.mime import parse_message, to_json
from storage.names import utcnow
from webmail.jmap import ids
from webmail.jmap import standard_methods as std
from webmail.jmap.mail import email_get as eg
from webmail.jmap.mail import state as st
from webmail.jmap.mail.common import flags_of
from webmail.jmap.mail.email_body import blob_id
from webmail.jmap.registry import MAIL, Args, Call, MethodError, method

MAX_PARSE = 50  # blobs per Email/parse
PARSE_DEFAULT = (
    "messageId", "inReplyTo", "references", "sender", "from", "to", "cc", "bcc", "replyTo", "subject", "sentAt",
    "hasAttachment", "preview", "bodyValues", "textBody", "htmlBody", "attachments",
)  # fmt: skip
_STORED_ONLY = {"id", "mailboxIds", "keywords", "receivedAt", "threadId"}


def read_blob(call: Call, value: object) -> bytes | None:
    """The bytes of a blob the user may read, or None (no such blob, or not theirs to read)."""
    found = ids.parse_message_blob_id(value)
    try:
        if found is not None:
            fid, uid, part = found
            if part is None:
                return call.user.view.raw(fid, uid)
            _described, chunks = call.user.view.part(fid, uid, part)
            return b"".join(chunks)
        sha = ids.parse_upload_blob_id(value)
        if sha is not None:
            return call.user.uploads.read(sha)
    except (NotFound, PermissionDenied, InvalidInput, OSError):
        return None
    return None


def _received(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


@method("Email/import", MAIL, {"accountId", "ifInState", "emails"})
def email_import(call: Call, args: Args) -> Args:
    call.account(args)
    emails = args.get("emails")
    if not isinstance(emails, dict) or not all(isinstance(v, dict) for v in emails.values()):
        raise MethodError("invalidArguments", "emails maps creation ids to objects", arguments=["emails"])
    old = st.email_state(call.user.sync.folders(unread_threads=False))
    if args.get("ifInState") is not None and args["ifInState"] != old:
        raise MethodError("stateMismatch")
    created: dict[str, Any] = {}
    not_created: dict[str, Any] = {}
    for cid, spec in emails.items():
        boxes = spec.get("mailboxIds")
        if not isinstance(boxes, dict) or len(boxes) != 1:
            not_created[cid] = std.set_error(
                "invalidProperties", "an Email is in exactly one Mailbox here", properties=["mailboxIds"]
            )
            continue
        box = next(iter(boxes))
        fid = ids.parse_mailbox_id(call.created_ids.get(box[1:], "") if box.startswith("#") else box)
        received = _received(spec.get("receivedAt"))
        if fid is None or ("receivedAt" in spec and spec["receivedAt"] is not None and received is None):
            bad = "mailboxIds" if fid is None else "receivedAt"
            not_created[cid] = std.set_error("invalidProperties", properties=[bad])
            continue
        raw = read_blob(call, spec.get("blobId"))
        if raw is None:
            not_created[cid] = std.set_error("blobNotFound", notFound=[spec.get("blobId")])
            continue
        try:
            flags = flags_of(spec.get("keywords") or {})
            made = call.user.append(fid, raw, flags, received or utcnow())
        except MethodError as exc:
            not_created[cid] = std.set_error("invalidProperties", exc.description, properties=["keywords"])
            continue
        except NotFound:
            not_created[cid] = std.set_error(
                "invalidProperties", "no such Mailbox", properties=["mailboxIds"]
            )
            continue
        except PermissionDenied as exc:
            not_created[cid] = std.set_error("forbidden", str(exc))
            continue
        except QuotaExceeded as exc:
            not_created[cid] = std.set_error("overQuota", str(exc))
            continue
        except InvalidInput as exc:
            not_created[cid] = std.set_error("invalidEmail", str(exc))
            continue
        msg = call.user.sync.messages([(fid, made.uid)]).get((fid, made.uid))
        created[cid] = {
            "id": ids.email_id(fid, made.uid),
            "blobId": blob_id(fid, made.uid),
            "threadId": ids.thread_id(msg.thread_key if msg else "", fid, made.uid),
            "size": len(raw),
        }
        call.created_ids[cid] = created[cid]["id"]
    return {
        "accountId": call.account_id,
        "oldState": old,
        "newState": st.email_state(call.user.sync.folders(unread_threads=False)),
        "created": created or None,
        "notCreated": not_created or None,
    }


@method("Email/parse", MAIL, std.BODY_ARGUMENTS | {"accountId", "blobIds", "properties"})
def email_parse(call: Call, args: Args) -> Args:
    call.account(args)
    blob_ids = args.get("blobIds")
    if not isinstance(blob_ids, list) or not all(isinstance(b, str) for b in blob_ids):
        raise MethodError("invalidArguments", "blobIds is a list of ids", arguments=["blobIds"])
    if len(blob_ids) > MAX_PARSE:
        raise MethodError("requestTooLarge", f"at most {MAX_PARSE} blobs per call")
    props = eg.properties_of({**args, "properties": args.get("properties") or list(PARSE_DEFAULT)})
    options = eg.Options(args)
    parsed: dict[str, Any] = {}
    not_parsable: list[str] = []
    not_found: list[str] = []
    for b in dict.fromkeys(blob_ids):
        raw = read_blob(call, b)
        if raw is None:
            not_found.append(b)
            continue
        try:
            message = parse_message(raw)
        except Exception:  # a blob that is not a message in any sense
            not_parsable.append(b)
            continue
        stand_in = SyncMessage(
            folder_id=0, uid=0, modseq=0, flags=frozenset(), internal_date=utcnow(), sent_at=message.date,
            size=len(raw), thread_key="", subject=message.subject, from_display=message.from_display,
            from_addr=message.from_addr, to=", ".join(message.to_addrs), message_id=message.message_id,
            snippet=message.snippet, has_attachments=message.has_attachments, structure=to_json(message),
            sha256="",
        )  # fmt: skip
        shown = [p for p in props if p not in _STORED_ONLY and p != "blobId"]
        email = eg.email_object(stand_in, shown, options, _constant(raw), stored=False)
        for p in props:
            if p in _STORED_ONLY:
                email[p] = None
            elif p == "blobId":
                email[p] = b
        if "id" not in (args.get("properties") or PARSE_DEFAULT):
            email.pop("id", None)
        parsed[b] = email
    return {
        "accountId": call.account_id,
        "parsed": parsed or None,
        "notParsable": not_parsable or None,
        "notFound": not_found or None,
    }


def _constant(data: bytes) -> Callable[[], bytes]:
    return lambda: data
