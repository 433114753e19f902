"""What the reader's buttons do: show remote images (this message, or always from this sender), and
answer a read-receipt request.

* Remote images are shown when the request says ``images=1`` (the "show images" link, for this view
  only) or when the sender is on the account's ``webmail.trusted_image_senders`` list, which "always
  show images from this sender" extends (at most ``MAX_TRUSTED_SENDERS`` entries; the oldest go first).
* A read receipt (RFC 8098) is sent only when the user presses "send"; sending or declining both set
  ``$MDNSent`` (RFC 3503) so neither this reader nor another client asks again. The receipt goes through
  mailflow like any mail the user sends (mailflow/mdn.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from flask import request

from mailflow.mdn import Displayed, send_receipt
from mailflow.submission import Accepted, Origin
from storage.errors import InvalidInput
from storage.mime import decode_header_text
from storage.store import Store
from webmail.binding import current_store, current_user_account
from webmail.reading import ReadOptions, StoredMessage, sender_is_trusted
from webmail.reading.headers import header_view

TRUSTED_SETTING = "webmail.trusted_image_senders"
MAX_TRUSTED_SENDERS = 500
MDN_SENT = "$MDNSent"


def reader_options(stored: StoredMessage, args: Mapping[str, str]) -> ReadOptions:
    """How to show ``stored`` for this request (``images=1``, ``view=text``, the trusted senders)."""
    prefer_html = args.get("view") != "text"
    if args.get("images") == "1":
        return ReadOptions(prefer_html=prefer_html, remote_images=True)
    account_id = current_user_account().account_id
    trusted = current_store().settings.effective_many([TRUSTED_SETTING], account_id=account_id)
    sender = header_view(stored.envelope, b"").from_address
    return ReadOptions(
        prefer_html=prefer_html, remote_images=sender_is_trusted(sender, trusted[TRUSTED_SETTING])
    )


def add_trusted_sender(store: Store, account: str, stored: StoredMessage) -> str:
    """Put the message's sender on the account's trusted list; returns the address added.

    Raises:
        InvalidInput: the message has no usable sender address.
    """
    address = header_view(stored.envelope, b"").from_address
    if not address or "@" not in address:
        raise InvalidInput("this message has no sender address to trust")
    current = [
        a for a in store.settings.get(TRUSTED_SETTING, account=account) if a.lower() != address.lower()
    ]
    store.settings.set(TRUSTED_SETTING, [*current, address.lower()][-MAX_TRUSTED_SENDERS:], account=account)
    return address.lower()


def _origin(hostname: str) -> Origin:
    session = secrets.token_hex(6)
    return Origin(
        peer_ip=request.remote_addr or "127.0.0.1",
        peer_port=0,
        hostname=hostname,
        listener="webmail",
        session_id=session,
        trace_id=session,
        protocol="HTTP",
        tls=request.is_secure,
        helo=None,
    )


def send_read_receipt(stored: StoredMessage, *, send: bool) -> bool:
    """Send the receipt (``send``) or decline it; either way mark the message ``$MDNSent``. Returns
    whether a receipt was queued.

    Raises:
        InvalidInput: the message asks for no receipt, one was already answered, or the queue refused it.
        PermissionDenied: the user may not set keywords on the folder ("w").
    """
    headers = header_view(stored.envelope, stored.header_block())
    if headers.read_receipt_to is None or any(f.lower() == MDN_SENT.lower() for f in stored.info.flags):
        raise InvalidInput("this message asks for no read receipt, or it was answered already")
    queued = False
    if send:
        store = current_store()
        user = current_user_account()
        hostname = str(store.settings.get("server.hostname") or request.host.split(":")[0])
        item = Displayed(
            requester=headers.read_receipt_to,
            reader=user.address,
            subject=decode_header_text(stored.envelope.subject),
            message_id=headers.message_id,
            sent=headers.date_text,
        )
        result = send_receipt(store, store.accounts.get(user.address), item, _origin(hostname))
        if not isinstance(result, Accepted):
            raise InvalidInput(f"the read receipt could not be queued ({result.reason.value})")
        queued = True
    stored.add_flags([MDN_SENT])
    return queued
