"""Sending and keeping drafts for WebMail: the limits, the identities, submit, Sent and Drafts.

Sending goes the one way every message enters the queue, ``mailflow.submission.submit``: the same
anti-impersonation checks as SMTP submission (the identity must be the account's own address, an alias
or a mailbox that granted "send as"), the same header repair and trace fields, the durable enqueue.
Processing then runs the filters and delivers or relays, as for mail submitted over SMTP.

Before anything is queued, the limits (settings, resolved for the account) give a ``ComposeError``
naming the limit: ``mail.max_recipients``, ``webmail.max_attachment_bytes`` per file,
``mail.max_message_bytes`` for the whole message. Attachments are checked when the draft is saved too,
so an upload that is too large is refused at once.

The copy that is queued has no Bcc field; the copy filed in Sent has it (only the sender sees it).
Sent and Drafts are found by their special-use role (``UserMail.folder_with_role``), whatever they are
called. Everything the user's mailbox is asked goes through ``store.for_user`` (rights checked).
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mailflow import compose
from mailflow.compose import ComposeError, Draft
from mailflow.submission import Accepted, Envelope, Origin, Refusal, submit
from storage.errors import NotFound, PermissionDenied, QuotaExceeded
from storage.models import Account

if TYPE_CHECKING:
    from storage.store import Store

log = logging.getLogger(__name__)

LIMIT_SETTINGS = ("mail.max_recipients", "mail.max_message_bytes", "webmail.max_attachment_bytes")
SIGNATURES = "webmail.signatures"
BEHALF = "behalf:"


@dataclass(frozen=True)
class Identity:
    """An address the account may send as, with its signature (setting ``webmail.signatures``); or,
    with ``on_behalf_of``, the account's own address sending for a mailbox that granted it "send on
    behalf" (From: that mailbox, Sender: the account)."""

    address: str
    name: str
    signature: str
    on_behalf_of: str = ""

    @property
    def value(self) -> str:
        """How a form names the identity: the address, or ``behalf:`` and the mailbox sent for."""
        return f"{BEHALF}{self.on_behalf_of}" if self.on_behalf_of else self.address


@dataclass(frozen=True)
class Limits:
    max_recipients: int
    max_message_bytes: int
    max_attachment_bytes: int


@dataclass(frozen=True)
class SentMessage:
    """A message queued: its queue id and Message-ID, and where its copy was filed (None: not filed,
    ``filing_error`` says why; the message was sent all the same)."""

    queue_id: int
    message_id: str
    sent_uid: int | None
    filing_error: str = ""


def identities(store: Store, account: Account) -> list[Identity]:
    """The account's own address, its aliases and every mailbox it may send as, each with a signature:
    the one set for its address, else the one under "*", else none; then one per mailbox it may send on
    behalf of (with the signature of that mailbox's address, else "*")."""
    raw = store.settings.effective_many([SIGNATURES], account_id=account.id)[SIGNATURES]
    try:
        signatures = json.loads(raw)
    except ValueError:
        signatures = {}
    if not isinstance(signatures, dict):
        signatures = {}
    fallback = str(signatures.get("*", ""))
    own = [
        Identity(
            address,
            account.display_name or "" if address == account.address else "",
            str(signatures.get(address, fallback)),
        )
        for address in store.senders.addresses_for(account.id)
    ]
    return own + [
        Identity(account.address, account.display_name or "", str(signatures.get(owner, fallback)), owner)
        for owner in store.senders.on_behalf_of(account.id)
    ]


def limits(store: Store, account: Account) -> Limits:
    values = store.settings.effective_many(LIMIT_SETTINGS, account_id=account.id)
    return Limits(
        int(values["mail.max_recipients"]),
        int(values["mail.max_message_bytes"]),
        int(values["webmail.max_attachment_bytes"]),
    )


def _size(n: int) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}".replace(".0 ", " ")
    return f"{n} bytes"


def check_attachments(draft: Draft, limit: Limits) -> None:
    """Raises ComposeError for the first attachment above ``webmail.max_attachment_bytes``."""
    for attachment in draft.attachments:
        if len(attachment.data) > limit.max_attachment_bytes:
            raise ComposeError(
                f"the attachment {attachment.name} is {_size(len(attachment.data))}; "
                f"attachments may be at most {_size(limit.max_attachment_bytes)}"
            )


def check_message(draft: Draft, raw: bytes, limit: Limits) -> list[str]:
    """The envelope recipients, once every limit is met.

    Raises:
        ComposeError: no recipient, a bad address, too many recipients, an attachment or the whole
            message too large.
    """
    recipients = draft.recipients()
    if not recipients:
        raise ComposeError("add at least one recipient")
    if len(recipients) > limit.max_recipients:
        raise ComposeError(
            f"the message has {len(recipients)} recipients; at most {limit.max_recipients} are allowed"
        )
    check_attachments(draft, limit)
    if len(raw) > limit.max_message_bytes:
        raise ComposeError(
            f"the message is {_size(len(raw))} with its attachments, encoded; "
            f"messages may be at most {_size(limit.max_message_bytes)}"
        )
    return recipients


def webmail_origin(*, peer_ip: str, peer_port: int, hostname: str, session_id: str, tls: bool) -> Origin:
    """Where a WebMail message comes from, for its Received field and queue row."""
    return Origin(
        peer_ip=peer_ip,
        peer_port=peer_port,
        hostname=hostname,
        listener="webmail",
        session_id=session_id,
        trace_id=f"{session_id}.{secrets.token_hex(4)}",
        protocol="HTTPS" if tls else "HTTP",
        tls=tls,
        helo=None,
    )


def send(
    store: Store,
    account: Account,
    draft: Draft,
    origin: Origin,
    *,
    draft_uid: int | None = None,
    now: datetime | None = None,
) -> SentMessage:
    """Check the limits, queue the message through ``submit``, file a copy in Sent (\\Seen) and remove
    the saved draft ``draft_uid`` from Drafts.

    Raises:
        ComposeError: a limit, a bad address, or an identity the account may not send as; nothing was
            queued. Also when storage could not queue it (try again).
    """
    draft = compose.stamped(draft, now or datetime.now(UTC))
    queued = compose.build(draft, with_bcc=False)
    recipients = check_message(draft, queued, limits(store, account))
    envelope = Envelope(
        sender=draft.sender,
        recipients=recipients,
        body="8BITMIME" if compose.needs_8bit(queued) else None,
    )
    result = submit(store, account, envelope, queued, origin, now=now)
    if not isinstance(result, Accepted):
        if result.reason is Refusal.UNAVAILABLE:
            raise ComposeError("the message could not be queued just now; please try again")
        raise ComposeError(f"you may not send as {result.address or draft.sender}")
    user = store.for_user(account.id)
    sent_uid: int | None = None
    error = ""
    try:
        sent = user.folder_with_role("sent")
        sent_uid = user.append(sent.id, compose.build(draft, with_bcc=True), ["\\Seen"]).uid
    except (NotFound, PermissionDenied, QuotaExceeded) as exc:
        error = f"the message was sent, but no copy was filed in Sent: {exc}"
        log.warning("sent copy of %s not filed for %s: %s", draft.message_id, account.address, exc)
    if draft_uid is not None:
        discard_draft(store, account, draft_uid)
    return SentMessage(result.queue_id, draft.message_id, sent_uid, error)


def save_draft(
    store: Store,
    account: Account,
    draft: Draft,
    *,
    replaces: int | None = None,
    now: datetime | None = None,
) -> tuple[int, Draft]:
    """Save the draft in Drafts (flags \\Draft \\Seen) and remove the version it replaces; returns the
    new UID and the stamped draft (keep it: its Message-ID stays the same across saves).

    Raises:
        ComposeError: an attachment above the limit, or a bad From address.
        NotFound: the account has no Drafts folder. QuotaExceeded: the mailbox is full.
    """
    check_attachments(draft, limits(store, account))
    draft = compose.stamped(draft, now or datetime.now(UTC))
    user = store.for_user(account.id)
    drafts = user.folder_with_role("drafts")
    uid = user.append(drafts.id, compose.build(draft, with_bcc=True, strict=False), ["\\Draft", "\\Seen"]).uid
    if replaces is not None and replaces != uid:
        discard_draft(store, account, replaces)
    return uid, draft


def load_draft(store: Store, account: Account, uid: int) -> Draft:
    """A saved draft read back for editing.

    Raises:
        NotFound: no such draft (or no Drafts folder).
    """
    user = store.for_user(account.id)
    drafts = user.folder_with_role("drafts")
    return compose.read_draft(user.reader(drafts.id).raw(uid))


def discard_draft(store: Store, account: Account, uid: int) -> None:
    """Remove a saved draft (flag \\Deleted, then expunge that UID alone); a draft already gone is fine."""
    user = store.for_user(account.id)
    try:
        drafts = user.folder_with_role("drafts")
    except NotFound:
        return
    user.set_flags(drafts.id, [uid], ["\\Deleted"], "add")
    user.expunge(drafts.id, [uid])
