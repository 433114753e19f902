"""Email/get (RFC 8621 4.2): every property of RFC 8621 4.1, in two speeds.

What a message list asks for (ids, keywords, mailboxIds, from, to, cc, bcc, subject, sentAt, messageId,
inReplyTo, preview, hasAttachment, size, receivedAt...) comes from the rows storage cached at delivery
(storage.mail_sync: one read for the whole batch, no blob read). ``headers``, any ``header:`` form,
``sender``, ``replyTo``, ``references`` and part headers or body values read the message's bytes too
(once per message, through the user facade's rights check).

An Email is in exactly one Mailbox here (its id is folder + UID, webmail/jmap/ids.py), so ``mailboxIds``
always has one entry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from storage.errors import NotFound, PermissionDenied
from storage.mail_sync import SyncMessage
from storage.mime import decode_header_text, from_json
from storage.mime.addresses import address_string
from storage.mime.model import AddressList, Envelope
from webmail.jmap import standard_methods as std
from webmail.jmap.ids import email_id, mailbox_id, parse_email_id, thread_id
from webmail.jmap.mail import email_body as eb
from webmail.jmap.mail import email_headers as eh
from webmail.jmap.mail import state as st
from webmail.jmap.mail.common import int_arg, keywords_of, wanted_ids
from webmail.jmap.registry import MAIL, Args, Call, MethodError, method

METADATA = ("id", "blobId", "threadId", "mailboxIds", "keywords", "size", "receivedAt")
#: what the message row alone answers: a get of only these reads no body and parses no structure
ROW_ONLY = frozenset(METADATA)
CONVENIENCE = (
    "messageId", "inReplyTo", "references", "sender", "from", "to", "cc", "bcc", "replyTo", "subject",
    "sentAt",
)  # fmt: skip
BODY = ("bodyStructure", "bodyValues", "textBody", "htmlBody", "attachments", "hasAttachment", "preview")
PROPERTIES = (*METADATA, "headers", *CONVENIENCE, *BODY)
DEFAULT = (
    "id", "blobId", "threadId", "mailboxIds", "keywords", "size", "receivedAt", "messageId", "inReplyTo",
    "references", "sender", "from", "to", "cc", "bcc", "replyTo", "subject", "sentAt", "hasAttachment",
    "preview", "bodyValues", "textBody", "htmlBody", "attachments",
)  # fmt: skip
#: the convenience properties and the header form each stands for (RFC 8621 4.1.3)
_HEADER_OF = {
    "messageId": ("Message-ID", "MessageIds"),
    "inReplyTo": ("In-Reply-To", "MessageIds"),
    "references": ("References", "MessageIds"),
    "sender": ("Sender", "Addresses"),
    "from": ("From", "Addresses"),
    "to": ("To", "Addresses"),
    "cc": ("Cc", "Addresses"),
    "bcc": ("Bcc", "Addresses"),
    "replyTo": ("Reply-To", "Addresses"),
    "subject": ("Subject", "Text"),
    "sentAt": ("Date", "Date"),
}
#: read from the message's bytes: never in the cached envelope (Sender and Reply-To are, but IMAP's
#: envelope replaces an absent one by From)
_RAW_ONLY = {"headers", "references", "sender", "replyTo"}
PREVIEW_CHARS = 256


class Options:
    """The body arguments of Email/get (RFC 8621 4.2)."""

    def __init__(self, args: Args) -> None:
        body_props = args.get("bodyProperties")
        if body_props is None:
            body_props = list(eb.DEFAULT_BODY_PROPERTIES)
        if not isinstance(body_props, list) or not all(
            p in eb.BODY_PROPERTIES or (isinstance(p, str) and eh.parse_header_property(p))
            for p in body_props
        ):
            raise MethodError("invalidArguments", "unknown bodyProperties", arguments=["bodyProperties"])
        self.body_properties: tuple[str, ...] = tuple(body_props)
        self.fetch_text = bool(args.get("fetchTextBodyValues"))
        self.fetch_html = bool(args.get("fetchHTMLBodyValues"))
        self.fetch_all = bool(args.get("fetchAllBodyValues"))
        self.max_bytes = int_arg(args, "maxBodyValueBytes", 0) or 0

    @property
    def fetches(self) -> bool:
        return self.fetch_text or self.fetch_html or self.fetch_all


def properties_of(args: Args) -> list[str]:
    props = args.get("properties")
    if props is None:
        props = list(DEFAULT)
    if not isinstance(props, list) or not all(isinstance(p, str) for p in props):
        raise MethodError("invalidArguments", "properties must be a list of names", arguments=["properties"])
    bad = [
        p
        for p in props
        if p not in PROPERTIES and not (p.startswith("header:") and eh.parse_header_property(p))
    ]
    if bad:
        raise MethodError(
            "invalidArguments", f"unknown properties: {', '.join(bad)}", arguments=["properties"]
        )
    return ["id", *[p for p in dict.fromkeys(props) if p != "id"]]


def _needs_raw(props: list[str], options: Options) -> bool:
    if any(p in _RAW_ONLY or p.startswith("header:") for p in props):
        return True
    bodies = {"bodyStructure", "textBody", "htmlBody", "attachments"} & set(props)
    part_headers = any(p == "headers" or p.startswith("header:") for p in options.body_properties)
    return bool(bodies and part_headers) or ("bodyValues" in props and options.fetches)


def _addresses(addresses: AddressList) -> list[dict[str, Any]] | None:
    out = [
        {"name": decode_header_text(a.name).strip() or None, "email": spec}
        for a in addresses
        if (spec := address_string(a)) is not None
    ]
    return out or None


def _from_envelope(env: Envelope, prop: str) -> Any:
    if prop == "messageId":
        return eh.as_message_ids(env.message_id) if env.message_id else None
    if prop == "inReplyTo":
        return eh.as_message_ids(env.in_reply_to) if env.in_reply_to else None
    if prop == "subject":
        return eh.as_text(env.subject) if env.subject is not None else None
    if prop == "sentAt":
        return eh.as_date(env.date) if env.date else None
    addresses = {"from": env.from_, "to": env.to, "cc": env.cc, "bcc": env.bcc}[prop]
    return _addresses(addresses)


def email_object(
    msg: SyncMessage,
    props: list[str],
    options: Options,
    reader: Callable[[], bytes],
    *,
    stored: bool = True,
) -> dict[str, Any]:
    """The Email of one message with the properties asked for (``stored`` False: a message parsed from a
    blob, whose parts have no blob ids)."""
    if ROW_ONLY.issuperset(props):
        return _row_object(msg, props)
    envelope, root = from_json(msg.structure)
    src = eb.Source(msg.folder_id, msg.uid, root, reader, stored=stored)
    raw_headers = _needs_raw(props, options)
    fields = src.fields(root) if raw_headers else []
    out: dict[str, Any] = _row_object(msg, [p for p in props if p in ROW_ONLY])
    lists: eb.Lists | None = None
    for p in props:
        if p in ROW_ONLY:
            continue
        if p == "headers":
            out[p] = eh.headers_list(fields)
        elif p in _HEADER_OF:
            if raw_headers:
                name, form = _HEADER_OF[p]
                out[p] = eh.header_value(fields, eh.HeaderProperty(p, name, form, False))
                if form == "Addresses" and out[p] == []:
                    out[p] = None
            else:
                out[p] = _from_envelope(envelope, p)
        elif p.startswith("header:"):
            hp = eh.parse_header_property(p)
            assert hp is not None  # checked by properties_of
            out[p] = eh.header_value(fields, hp)
        elif p == "hasAttachment":
            out[p] = msg.has_attachments
        elif p == "preview":
            out[p] = msg.snippet[:PREVIEW_CHARS]
        elif p == "bodyStructure":
            out[p] = _part(src, root, options, recurse=True)
        elif p in ("textBody", "htmlBody", "attachments", "bodyValues"):
            lists = lists or eb.body_lists(root)
            if p == "bodyValues":
                out[p] = _values(src, root, lists, options)
            else:
                chosen = {"textBody": lists.text, "htmlBody": lists.html, "attachments": lists.attachments}[p]
                out[p] = [_part(src, part, options, recurse=False) for part in chosen]
    return out


def _row_object(msg: SyncMessage, props: list[str]) -> dict[str, Any]:
    """The ROW_ONLY properties of ``props``, from the message row."""
    out: dict[str, Any] = {}
    for p in props:
        if p == "id":
            out[p] = email_id(msg.folder_id, msg.uid)
        elif p == "blobId":
            out[p] = eb.blob_id(msg.folder_id, msg.uid)
        elif p == "threadId":
            out[p] = thread_id(msg.thread_key, msg.folder_id, msg.uid)
        elif p == "mailboxIds":
            out[p] = {mailbox_id(msg.folder_id): True}
        elif p == "keywords":
            out[p] = keywords_of(msg.flags)
        elif p == "size":
            out[p] = msg.size
        elif p == "receivedAt":
            out[p] = eh.format_date(msg.internal_date)
    return out


def _part(src: eb.Source, part: Any, options: Options, *, recurse: bool) -> dict[str, Any]:
    """An EmailBodyPart; in bodyStructure (``recurse``) a multipart always carries its subParts."""
    plain = tuple(p for p in options.body_properties if not p.startswith("header:") and p != "subParts")
    out = eb.body_part(src, part, plain)
    for p in options.body_properties:
        if p.startswith("header:"):
            hp = eh.parse_header_property(p)
            if hp is not None:
                out[p] = eh.header_value(src.fields(part), hp)
    if recurse and part.maintype == "multipart":
        out["subParts"] = [_part(src, k, options, recurse=True) for k in part.children]
    elif "subParts" in options.body_properties:
        out["subParts"] = None
    return out


def _values(src: eb.Source, root: Any, lists: eb.Lists, options: Options) -> dict[str, Any]:
    chosen: list[Any] = []
    if options.fetch_all:
        chosen = [p for p in eb.leaves(root) if p.maintype == "text"]
    else:
        if options.fetch_text:
            chosen += [p for p in lists.text if p.maintype == "text"]
        if options.fetch_html:
            chosen += [p for p in lists.html if p.maintype == "text"]
    out: dict[str, Any] = {}
    for part in chosen:
        pid = eb.part_id(part)
        if pid and pid not in out:
            out[pid] = eb.body_value(src, part, options.max_bytes)
    return out


def _raw_reader(call: Call, folder_id: int, uid: int) -> Callable[[], bytes]:
    return lambda: call.user.view.raw(folder_id, uid)


@method("Email/get", MAIL, std.GET_ARGUMENTS | std.BODY_ARGUMENTS)
def email_get(call: Call, args: Args) -> Args:
    call.account(args)
    ids = wanted_ids(args)
    if ids is None:
        raise MethodError("requestTooLarge", "Email/get needs ids (use Email/query to find them)")
    props = properties_of(args)
    options = Options(args)
    keys = {i: parse_email_id(i) for i in ids}
    sync = call.user.sync
    folders = sync.folders(unread_threads=False)
    found = sync.messages(
        (k for k in keys.values() if k is not None),
        bodies=not ROW_ONLY.issuperset(props),
        readable={f.id for f in folders if f.tree.readable},  # the tree just read holds the rights
    )
    listed, not_found = [], []
    for i, key in keys.items():
        msg = found.get(key) if key is not None else None
        if msg is None:
            not_found.append(i)
            continue
        try:
            listed.append(email_object(msg, props, options, _raw_reader(call, msg.folder_id, msg.uid)))
        except (NotFound, PermissionDenied):  # expunged or a right withdrawn meanwhile
            not_found.append(i)
    return {
        "accountId": call.account_id,
        "state": st.email_state(folders),
        "list": listed,
        "notFound": not_found,
    }
