"""Sending one EmailSubmission (RFC 8621 7.5 create): the Email's text, the envelope, the checks, the queue.

Why here and not in the method module: this is the one place that turns a JMAP create into a
``mailflow.submission.submit`` call, with the same checks as SMTP submission and WebMail's composer:

1. the Identity must be one of the account's (webmail/jmap/mail/identity.py) and the Email's ``From:``
   must hold its address (else ``forbiddenFrom``); an identity that sends on behalf of a mailbox needs
   a ``Sender:`` field too (else ``forbiddenFrom`` saying so, rather than the envelope refusal the
   derived envelope would get);
2. the envelope is the client's, or derived as RFC 8621 7 says: ``mailFrom`` the ``Sender:`` address,
   else the first ``From:`` one; ``rcptTo`` the To, Cc and Bcc addresses, each once. SMTP parameters are
   not supported (``invalidProperties``);
3. the limits of WebMail's composer (mailflow.outbox.limits): ``mail.max_recipients``
   (``tooManyRecipients``), ``mail.max_message_bytes`` (``tooLarge``);
4. ``submit`` checks the envelope sender (``forbiddenMailFrom``) and ``From:``/``Sender:``
   (``forbiddenFrom``: "send as" and "send on behalf" as in SMTP), stamps the trace fields and queues
   durably. The ``Bcc:`` field is removed from the queued copy (RFC 8621 7.5), the stored Email keeps it.

Nothing is filed in Sent here: a JMAP client moves the Email itself (``onSuccessUpdateEmail``).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace
from email.utils import getaddresses
from typing import Any

from filters.headers import without_fields
from mailflow import compose, header_block, outbox
from mailflow.submission import Accepted, Envelope, Origin, Refusal, header_from_addresses, submit
from storage.errors import NotFound, PermissionDenied
from webmail.jmap import ids
from webmail.jmap.mail.identity import JmapIdentity, account_of
from webmail.jmap.registry import METHODS, Args, Call
from webmail.jmap.standard_methods import set_error

#: what a client may give in a create (the rest is the server's)
CREATABLE = ("identityId", "emailId", "envelope")
_ADDRESS = re.compile(r"[^\s@<>()\[\],;:\"]+@[^\s@<>()\[\],;:\"]+")


class SendRefused(Exception):
    """A create that is not sent; ``error`` is its SetError object."""

    def __init__(self, error: Args) -> None:
        super().__init__(error.get("description") or error["type"])
        self.error = error


@dataclass(frozen=True)
class Sent:
    email_id: str
    thread_id: str
    envelope: Args
    queue_id: int


def _address_list(value: Any, prop: str) -> str:
    if not isinstance(value, dict) or not isinstance(value.get("email"), str):
        raise SendRefused(set_error("invalidProperties", f"{prop} needs an email", properties=["envelope"]))
    if value.get("parameters"):
        raise SendRefused(
            set_error("invalidProperties", "SMTP parameters are not supported", properties=["envelope"])
        )
    return str(value["email"]).strip()


def envelope_of(given: Any, fields: list[tuple[str, str]]) -> tuple[str, list[str]]:
    """(mailFrom, rcptTo) from the client's envelope, or derived from the Email (RFC 8621 7).

    Raises:
        SendRefused: a malformed envelope, or no sender to derive.
    """
    if given is not None:
        if not isinstance(given, dict) or not isinstance(given.get("rcptTo"), list):
            raise SendRefused(
                set_error("invalidProperties", "envelope needs mailFrom and rcptTo", properties=["envelope"])
            )
        sender = _address_list(given.get("mailFrom"), "mailFrom")
        recipients = [_address_list(r, "rcptTo") for r in given["rcptTo"]]
        return sender, list(dict.fromkeys(recipients))
    senders = header_from_addresses(fields, "sender") or header_from_addresses(fields)
    if not senders:
        raise SendRefused(set_error("invalidEmail", "the Email has no From address", properties=["from"]))
    values = [value for name, value in fields if name.lower() in ("to", "cc", "bcc")]
    recipients = [address.strip() for _, address in getaddresses(values) if address.strip()]
    return senders[0], list(dict.fromkeys(recipients))


def _thread_of(call: Call, email_id: str, folder_id: int, uid: int) -> str:
    """The Email's threadId through Email/get (one implementation of it), else a thread of its own."""
    getter = METHODS.get("Email/get")
    if getter is not None:
        found = getter.handler(
            call, {"accountId": call.account_id, "ids": [email_id], "properties": ["threadId"]}
        )
        for row in found.get("list", ()):
            if isinstance(row.get("threadId"), str):
                return str(row["threadId"])
    return ids.thread_id("", folder_id, uid)


def _origin(call: Call) -> Origin:
    store = call.user.store
    hostname = str(store.settings.get("server.hostname") or call.client.host or "localhost")
    origin = outbox.webmail_origin(
        peer_ip=call.client.ip or "unknown",
        peer_port=call.client.port,
        hostname=hostname,
        session_id=f"jmap{secrets.token_hex(4)}",
        tls=call.client.tls,
    )
    return replace(origin, listener="jmap")


def send(call: Call, create: Args, identities: dict[str, JmapIdentity]) -> Sent:
    """Check and queue one create (see the module notes).

    Raises:
        SendRefused: with the SetError to answer; nothing was queued.
    """
    extra = [p for p in create if p not in CREATABLE]
    if extra:
        raise SendRefused(
            set_error("invalidProperties", "server-set or unknown properties", properties=extra)
        )
    identity = identities.get(create.get("identityId"))  # type: ignore[arg-type]
    if identity is None:
        raise SendRefused(set_error("invalidProperties", "no such identity", properties=["identityId"]))
    email_id = create.get("emailId")
    if isinstance(email_id, str) and email_id.startswith("#"):
        email_id = call.created_ids.get(email_id[1:])
    where = ids.parse_email_id(email_id)
    if where is None:
        raise SendRefused(set_error("invalidProperties", "no such Email", properties=["emailId"]))
    try:
        raw = call.user.view.raw(*where)
    except (NotFound, PermissionDenied):
        raise SendRefused(set_error("invalidProperties", "no such Email", properties=["emailId"])) from None
    fields = header_block.header_fields(raw)
    if identity.email.lower() not in header_from_addresses(fields):
        raise SendRefused(
            set_error("forbiddenFrom", f"the Email's From must be the identity's address {identity.email}")
        )
    if identity.sender is not None and not header_from_addresses(fields, "sender"):
        raise SendRefused(
            set_error(
                "forbiddenFrom",
                f"a message sent on behalf of {identity.email} needs a Sender field with your address "
                f"{identity.sender['email']} (the identity's fieldpost:sender)",
            )
        )
    sender, recipients = envelope_of(create.get("envelope"), fields)
    if not recipients:
        raise SendRefused(set_error("noRecipients", "the message has no recipient"))
    bad = [r for r in recipients if not _ADDRESS.fullmatch(r)]
    if bad:
        raise SendRefused(set_error("invalidRecipients", "not addresses", invalidRecipients=bad))
    account = account_of(call)
    limits = outbox.limits(call.user.store, account)
    if len(recipients) > limits.max_recipients:
        raise SendRefused(set_error("tooManyRecipients", maxRecipients=limits.max_recipients))
    queued = without_fields(raw, ("bcc",))
    if len(queued) > limits.max_message_bytes:
        raise SendRefused(set_error("tooLarge", maxSize=limits.max_message_bytes))
    envelope = Envelope(sender, recipients, body="8BITMIME" if compose.needs_8bit(queued) else None)
    result = submit(call.user.store, account, envelope, queued, _origin(call))
    if not isinstance(result, Accepted):
        if result.reason is Refusal.SENDER_NOT_OWNED:
            raise SendRefused(set_error("forbiddenMailFrom", f"you may not send as {result.address}"))
        if result.reason is Refusal.FROM_NOT_OWNED:
            raise SendRefused(set_error("forbiddenFrom", f"you may not send as {result.address}"))
        raise SendRefused(set_error("forbiddenToSend", "the message could not be queued just now; try again"))
    thread = _thread_of(call, str(email_id), *where)
    shown = {
        "mailFrom": {"email": sender, "parameters": None},
        "rcptTo": [{"email": r, "parameters": None} for r in recipients],
    }
    return Sent(str(email_id), thread, shown, result.queue_id)
