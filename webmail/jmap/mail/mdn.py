"""MDN/send (RFC 9007 2.1): a read receipt for a message the user reads, sent by a JMAP client.

Why a JMAP method and not a WebMail route: the Ajax reader answers a ``Disposition-Notification-To``
request through the same API as everything else it does, and any other JMAP client can too. The
receipt itself is built and queued by mailflow (``mailflow.mdn.send_receipt``), the code the Standard
reader's "Send receipt" button uses, so both send the same report the same way (null envelope sender,
no copy of the original).

What is supported (docs/jmap.md):

* ``forEmailId`` must name a message the user may read that asks for a receipt; its first
  Disposition-Notification-To address gets it. A message already marked ``$mdnsent`` (any case, as
  IMAP clients write ``$MDNSent``) is ``mdnAlreadySent``.
* ``disposition`` is required: actionMode ``manual-action`` or ``automatic-action``, sendingMode
  ``mdn-sent-manually`` or ``mdn-sent-automatically``, type ``deleted``, ``dispatched``, ``displayed``
  or ``processed``. ``subject`` and ``textBody`` replace the default subject and text when given.
* ``finalRecipient`` is set by the server (``rfc822; `` + the identity's address); a different one
  given is ``forbiddenFrom``. ``includeOriginalMessage`` is always false (the report never carries the
  original, as mailflow.mdn explains); ``reportingUA``, ``originalMessageId`` are set by the server.
  ``mdnGateway``, ``originalRecipient``, ``error`` and ``extensionFields`` are not supported
  (``invalidProperties`` when given non-null).
* ``onSuccessUpdateEmail`` runs as one implicit Email/set for the receipts sent (RFC 9007's example:
  ``{"#k1": {"keywords/$mdnsent": true}}``), the same as EmailSubmission/set's.

MDN/parse is not supported.
"""

from __future__ import annotations

from typing import Any

from mailflow.mdn import Displayed, send_receipt
from mailflow.submission import Accepted
from storage.errors import NotFound, PermissionDenied
from storage.mime import decode_header_text
from webmail.jmap import ids
from webmail.jmap import standard_methods as std
from webmail.jmap.mail.identity import JmapIdentity, account_of, identities
from webmail.jmap.mail.sending import _origin
from webmail.jmap.mail.submission import implicit_email_set
from webmail.jmap.registry import ACCOUNT_CAPABILITIES, SERVER_CAPABILITIES, Args, Call, MethodError, method
from webmail.reading.headers import header_view
from webmail.reading.source import open_message

MDN = "urn:ietf:params:jmap:mdn"
ACCOUNT_CAPABILITIES[MDN] = {}
SERVER_CAPABILITIES[MDN] = {}

ACTION_MODES = ("manual-action", "automatic-action")
SENDING_MODES = ("mdn-sent-manually", "mdn-sent-automatically")
TYPES = ("deleted", "dispatched", "displayed", "processed")
#: The properties a client may give; of these the last four only as null (see the module notes).
KNOWN = frozenset(
    {
        "forEmailId",
        "subject",
        "textBody",
        "includeOriginalMessage",
        "reportingUA",
        "disposition",
        "finalRecipient",
        "originalMessageId",
        "mdnGateway",
        "originalRecipient",
        "error",
        "extensionFields",
    }
)
UNSUPPORTED = ("mdnGateway", "originalRecipient", "error", "extensionFields")
#: Longest subject and human-readable text a client may write.
MAX_SUBJECT = 998
MAX_TEXT = 100_000
MDN_SENT = "$mdnsent"


class NotSent(Exception):
    def __init__(self, error: Args) -> None:
        super().__init__(error.get("type"))
        self.error = error


def _invalid(prop: str, description: str) -> NotSent:
    return NotSent(std.set_error("invalidProperties", description, properties=[prop]))


def _disposition(value: Any) -> str:
    """The RFC 8098 Disposition field's value of a JMAP disposition object."""
    if not isinstance(value, dict):
        raise _invalid("disposition", "disposition is an object with actionMode, sendingMode and type")
    action, sending, kind = value.get("actionMode"), value.get("sendingMode"), value.get("type")
    if action not in ACTION_MODES or sending not in SENDING_MODES or kind not in TYPES or len(value) != 3:
        raise _invalid(
            "disposition",
            f"actionMode is one of {', '.join(ACTION_MODES)}, sendingMode one of {', '.join(SENDING_MODES)}, "
            f"type one of {', '.join(TYPES)}",
        )
    # RFC 8098 3.2.6.2 writes the sending mode "MDN-sent-manually"; the tokens are case-insensitive
    return f"{action}/{sending.replace('mdn-', 'MDN-')}; {kind}"


def _text(obj: Args, prop: str, most: int) -> str:
    value = obj.get(prop)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > most:
        raise _invalid(prop, f"{prop} is a string of at most {most} characters, or null")
    return value


def _send_one(call: Call, obj: Args, identity: JmapIdentity) -> tuple[Args, str]:
    """Check and queue one MDN; (the properties the server set, the id of the Email it answers).

    Raises:
        NotSent: with the SetError to answer; nothing was sent.
    """
    unknown = sorted(set(obj) - KNOWN)
    if unknown:
        raise NotSent(std.set_error("invalidProperties", "unknown properties", properties=unknown))
    given = [p for p in UNSUPPORTED if obj.get(p) is not None]
    if given:
        raise NotSent(std.set_error("invalidProperties", "not supported by this server", properties=given))
    final = f"rfc822; {identity.email}"
    if obj.get("finalRecipient") not in (None, final):
        raise NotSent(std.set_error("forbiddenFrom", f"the final recipient is {final}"))
    disposition = _disposition(obj.get("disposition"))
    subject, text = _text(obj, "subject", MAX_SUBJECT), _text(obj, "textBody", MAX_TEXT)
    email_id = obj.get("forEmailId")
    if isinstance(email_id, str) and email_id.startswith("#"):
        email_id = call.created_ids.get(email_id[1:])
    where = ids.parse_email_id(email_id)
    if where is None:
        raise _invalid("forEmailId", "no such Email")
    try:
        stored = open_message(call.user, *where)
    except (NotFound, PermissionDenied):
        raise _invalid("forEmailId", "no such Email") from None
    if any(flag.lower() == MDN_SENT for flag in stored.info.flags):
        raise NotSent(std.set_error("mdnAlreadySent", "a receipt was sent or declined for this message"))
    headers = header_view(stored.envelope, stored.header_block())
    if headers.read_receipt_to is None:
        raise _invalid("forEmailId", "this message asks for no read receipt (no Disposition-Notification-To)")
    item = Displayed(
        requester=headers.read_receipt_to,
        reader=identity.email,
        subject=decode_header_text(stored.envelope.subject),
        message_id=headers.message_id,
        sent=headers.date_text,
        disposition=disposition,
        report_subject=subject,
        report_text=text,
    )
    sent_from = _origin(call)
    result = send_receipt(call.user.store, account_of(call), item, sent_from)
    if not isinstance(result, Accepted):
        raise NotSent(std.set_error("forbiddenToSend", "the receipt could not be queued just now; try again"))
    shown = {
        "finalRecipient": final,
        "includeOriginalMessage": False,
        "reportingUA": f"{sent_from.hostname}; Fieldpost",
        "originalMessageId": headers.message_id or None,
    }
    return shown, ids.email_id(*where)


@method("MDN/send", MDN, ("accountId", "identityId", "send", "onSuccessUpdateEmail"))
def mdn_send(call: Call, args: Args) -> Args:
    """RFC 9007 2.1: send each MDN of ``send``; those sent go under ``sent`` with what the server set,
    the others under ``notSent``; then the implicit Email/set of ``onSuccessUpdateEmail``."""
    call.account(args)
    wanted = args.get("send")
    if not isinstance(wanted, dict) or not wanted or not all(isinstance(v, dict) for v in wanted.values()):
        raise std.invalid("send", "must map creation ids to MDN objects")
    if len(wanted) > 50:
        raise MethodError("requestTooLarge", "at most 50 MDNs in one MDN/send")
    update = args.get("onSuccessUpdateEmail")
    if update is not None and not isinstance(update, dict):
        raise std.invalid("onSuccessUpdateEmail", "must map #creation ids to patch objects")
    identity = {i.id: i for i in identities(call)}.get(args.get("identityId"))  # type: ignore[arg-type]
    if identity is None:
        raise std.invalid("identityId", "no such identity")
    sent: Args = {}
    not_sent: Args = {}
    emails: dict[str, str] = {}
    for creation_id, obj in wanted.items():
        try:
            sent[creation_id], emails[creation_id] = _send_one(call, obj, identity)
        except NotSent as refused:
            not_sent[creation_id] = refused.error
    response: Args = {"accountId": call.account_id, "sent": sent or None, "notSent": not_sent or None}
    implicit_email_set(call, args, emails, {})
    return response
