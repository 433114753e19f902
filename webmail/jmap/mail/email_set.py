"""Email/set and Email/copy (RFC 8621 4.6, 4.7).

* update: ``keywords`` (whole or ``keywords/<kw>`` paths) become IMAP STOREs of the flags that change;
  ``mailboxIds`` (whole or ``mailboxIds/<id>`` paths) must name exactly one Mailbox (an Email is in one
  here), and a different one moves the message (IMAP MOVE): the Email then has a new id, and the next
  Email/changes reports the old one destroyed and the new one created. Other properties are immutable.
* create: a new message (a draft, usually) built from the properties (webmail/jmap/mail/email_create.py)
  and appended to its Mailbox with its keywords; answered with id, blobId, threadId and size.
* destroy: the message is expunged from its Mailbox (needs "mark deleted" and "expunge").
* Email/copy: within the account only; a copy into another Mailbox (IMAP COPY), keywords kept unless given;
  ``onSuccessDestroyOriginal`` then destroys the originals through an implicit Email/set.

Rights come from the rights engine at each step: a read-only shared Mailbox answers ``forbidden``, one the
user cannot see ``notFound``, like a message that does not exist.
"""

from __future__ import annotations

from typing import Any

from storage.errors import InvalidInput, NotFound, PermissionDenied, QuotaExceeded
from webmail.jmap import ids
from webmail.jmap import standard_methods as std
from webmail.jmap.mail import email_create as ec
from webmail.jmap.mail import state as st
from webmail.jmap.mail.common import flag_of, flags_of, keywords_of
from webmail.jmap.mail.email_body import blob_id
from webmail.jmap.registry import MAIL, METHODS, Args, Call, MethodError, method

_SYSTEM_FLAGS = {"\\Seen", "\\Flagged", "\\Answered", "\\Draft"}


class _Failed(std.SetRefused):
    def __init__(self, type_: str, description: str | None = None, **extra: Any) -> None:
        super().__init__(type_)
        self.error = std.set_error(type_, description, **extra)


def _storage_error(exc: Exception) -> _Failed:
    if isinstance(exc, NotFound):
        return _Failed("notFound")
    if isinstance(exc, PermissionDenied):
        return _Failed("forbidden", str(exc))
    if isinstance(exc, QuotaExceeded):
        return _Failed("overQuota", str(exc))
    return _Failed("invalidProperties", str(exc))


def _state(call: Call) -> str:
    return st.email_state(call.user.sync.folders(unread_threads=False))


def _current(call: Call, key: tuple[int, int]) -> Any:
    msg = call.user.sync.messages([key]).get(key)
    if msg is None:
        raise _Failed("notFound")
    return msg


def _patched(current: dict[str, bool], patch: dict[str, Any], prop: str) -> dict[str, bool]:
    """The ``prop`` object after the patch's whole value or its ``prop/member`` paths."""
    value = dict(current)
    if prop in patch:
        whole = patch[prop]
        if not isinstance(whole, dict) or any(v is not True for v in whole.values()):
            raise _Failed(
                "invalidProperties", f"{prop} is an object whose values are true", properties=[prop]
            )
        value = dict(whole)
    for path, v in patch.items():
        if path.startswith(prop + "/"):
            if prop in patch:
                raise _Failed("invalidPatch", f"{prop} and {path} in one patch")
            member = path[len(prop) + 1 :].replace("~1", "/").replace("~0", "~")
            if v is True:
                value[member] = True
            elif v is None:
                value.pop(member, None)
            else:
                raise _Failed("invalidPatch", f"{path} is true or null")
    return value


def _update(call: Call, email: str, patch: Any) -> None:
    key = ids.parse_email_id(email)
    if key is None:
        raise _Failed("notFound")
    if not isinstance(patch, dict):
        raise _Failed("invalidPatch")
    bad = [p for p in patch if p.split("/", 1)[0] not in ("keywords", "mailboxIds")]
    if bad:
        raise _Failed("invalidProperties", "only keywords and mailboxIds can change", properties=bad)
    msg = _current(call, key)
    fid, uid = key
    try:
        if any(p.split("/", 1)[0] == "keywords" for p in patch):
            before = keywords_of(msg.flags)
            after = _patched(before, patch, "keywords")
            try:
                add = [flag_of(k) for k in after if k.lower() not in before]
                remove = [flag_of(k) for k in before if k not in {a.lower() for a in after}]
            except MethodError as exc:
                raise _Failed("invalidProperties", exc.description, properties=["keywords"]) from None
            if add:
                call.user.set_flags(fid, [uid], add, "add")
            if remove:
                call.user.set_flags(fid, [uid], remove, "remove")
        if any(p.split("/", 1)[0] == "mailboxIds" for p in patch):
            boxes = _patched({ids.mailbox_id(fid): True}, patch, "mailboxIds")
            targets = [ids.parse_mailbox_id(_resolve_mailbox(call, b)) for b in boxes]
            if len(targets) != 1 or targets[0] is None:
                raise _Failed(
                    "invalidProperties", "an Email is in exactly one Mailbox here", properties=["mailboxIds"]
                )
            if targets[0] != fid:
                call.user.move(fid, [uid], targets[0])
    except (NotFound, PermissionDenied, InvalidInput, QuotaExceeded) as exc:
        raise _storage_error(exc) from None


def _resolve_mailbox(call: Call, value: str) -> str:
    if value.startswith("#"):
        return call.created_ids.get(value[1:], "")
    return value


def _read_blob(call: Call) -> ec.BlobReader:
    def read(value: str) -> tuple[bytes, str] | None:
        found = ids.parse_message_blob_id(value)
        sha = ids.parse_upload_blob_id(value)
        if sha is not None:
            try:
                upload = call.user.uploads.get(sha)
                return call.user.uploads.read(sha), upload.type
            except (NotFound, OSError):
                return None
        if found is None:
            return None
        fid, uid, part = found
        try:
            if part is None:
                return call.user.view.raw(fid, uid), "message/rfc822"
            described, chunks = call.user.view.part(fid, uid, part)
            return b"".join(chunks), described.content_type
        except (NotFound, PermissionDenied):
            return None

    return read


def _create(call: Call, spec: dict[str, Any]) -> dict[str, Any]:
    boxes = spec.get("mailboxIds")
    if not isinstance(boxes, dict) or len(boxes) != 1 or any(v is not True for v in boxes.values()):
        raise _Failed(
            "invalidProperties", "an Email is in exactly one Mailbox here", properties=["mailboxIds"]
        )
    fid = ids.parse_mailbox_id(_resolve_mailbox(call, next(iter(boxes))))
    if fid is None:
        raise _Failed("invalidProperties", "no such Mailbox", properties=["mailboxIds"])
    try:
        flags = flags_of(spec.get("keywords") or {})
    except MethodError as exc:
        raise _Failed("invalidProperties", exc.description, properties=["keywords"]) from None
    try:
        raw = ec.build(spec, _read_blob(call))
    except ec.Invalid as exc:
        if exc.blob:
            raise _Failed("blobNotFound", str(exc), notFound=[exc.prop]) from None
        raise _Failed("invalidProperties", str(exc), properties=[exc.prop]) from None
    try:
        made = call.user.append(fid, raw, flags)
    except (NotFound, PermissionDenied, InvalidInput, QuotaExceeded) as exc:
        raise _storage_error(exc) from None
    msg = _current(call, (fid, made.uid))
    return {
        "id": ids.email_id(fid, made.uid),
        "blobId": blob_id(fid, made.uid),
        "threadId": ids.thread_id(msg.thread_key, fid, made.uid),
        "size": msg.size,
    }


def _destroy(call: Call, email: str) -> None:
    key = ids.parse_email_id(email)
    if key is None:
        raise _Failed("notFound")
    _current(call, key)
    fid, uid = key
    try:
        call.user.view.delete(fid, [uid], expunge=True)
    except (NotFound, PermissionDenied, InvalidInput) as exc:
        raise _storage_error(exc) from None


COPY_ARGUMENTS = {"fromAccountId", "ifFromInState", "accountId", "ifInState", "create", "onSuccessDestroyOriginal",
                  "destroyFromIfInState"}  # fmt: skip


@method("Email/set", MAIL, std.SET_ARGUMENTS)
def email_set(call: Call, args: Args) -> Args:
    asked = std.set_args(call, args)
    old = _state(call)
    if asked.if_in_state is not None and asked.if_in_state != old:
        raise MethodError("stateMismatch")
    return std.apply_set(
        call,
        asked,
        old,
        lambda: _state(call),
        lambda spec: _create(call, spec),
        lambda email, patch: _update(call, email, patch),
        lambda email: _destroy(call, email),
    )


def _copy_one(call: Call, spec: Any) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise _Failed("invalidProperties")
    bad = sorted(set(spec) - {"id", "mailboxIds", "keywords", "receivedAt"})
    if bad:
        raise _Failed("invalidProperties", "a copy sets mailboxIds, keywords or receivedAt", properties=bad)
    key = ids.parse_email_id(spec.get("id"))
    if key is None:
        raise _Failed("notFound")
    _current(call, key)
    boxes = spec.get("mailboxIds")
    if not isinstance(boxes, dict) or len(boxes) != 1:
        raise _Failed(
            "invalidProperties", "an Email is in exactly one Mailbox here", properties=["mailboxIds"]
        )
    target = ids.parse_mailbox_id(_resolve_mailbox(call, next(iter(boxes))))
    if target is None:
        raise _Failed("invalidProperties", "no such Mailbox", properties=["mailboxIds"])
    try:
        uid = call.user.copy(key[0], [key[1]], target).get(key[1])
        if uid is None:
            raise _Failed("notFound")
        if "keywords" in spec:
            wanted = set(flags_of(spec["keywords"] or {}))
            call.user.set_flags(target, [uid], list(wanted), "replace")
    except (NotFound, PermissionDenied, InvalidInput, QuotaExceeded) as exc:
        raise _storage_error(exc) from None
    except MethodError as exc:
        raise _Failed("invalidProperties", exc.description, properties=["keywords"]) from None
    msg = _current(call, (target, uid))
    return {
        "id": ids.email_id(target, uid),
        "blobId": blob_id(target, uid),
        "threadId": ids.thread_id(msg.thread_key, target, uid),
        "size": msg.size,
    }


@method("Email/copy", MAIL, COPY_ARGUMENTS)
def email_copy(call: Call, args: Args) -> Args:
    call.account(args)
    if args.get("fromAccountId") != call.account_id:
        raise MethodError("fromAccountNotFound", "this server copies within the signed-in account only")
    create = args.get("create")
    if not isinstance(create, dict):
        raise MethodError("invalidArguments", "create is an object", arguments=["create"])
    old = _state(call)
    if args.get("ifInState") is not None and args["ifInState"] != old:
        raise MethodError("stateMismatch")
    created: dict[str, Any] = {}
    not_created: dict[str, Any] = {}
    originals: list[str] = []
    for cid, spec in create.items():
        try:
            created[cid] = _copy_one(call, spec)
            call.created_ids[cid] = created[cid]["id"]
            originals.append(str(spec["id"]))
        except _Failed as exc:
            not_created[cid] = exc.error
    if args.get("onSuccessDestroyOriginal") and originals:
        destroy_args: Args = {"accountId": call.account_id, "destroy": originals}
        if args.get("destroyFromIfInState") is not None:
            destroy_args["ifInState"] = args["destroyFromIfInState"]
        call.implicit.append(("Email/set", METHODS["Email/set"].handler(call, destroy_args)))
    return {
        "fromAccountId": call.account_id,
        "accountId": call.account_id,
        "oldState": old,
        "newState": _state(call),
        "created": created or None,
        "notCreated": not_created or None,
    }
