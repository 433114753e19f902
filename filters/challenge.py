"""The challenge message of identity confirmation, and how an answer to one is recognised.

A challenge goes from ``LOCAL+CODE@DOMAIN`` (``LOCAL`` is ``identity.local_part``, default ``confirm``;
``DOMAIN`` the recipient's domain; ``CODE`` the 32-hex-digit code of ``storage.confirmations``) to the
unknown sender. Both the From field and the envelope sender carry that address, so a plain reply reaches
it, and so does a new message typed to it. The challenge is marked ``Auto-Submitted: auto-replied``
(RFC 3834 5) so that well-behaved auto-responders do not answer it, and it refers to the held message by
``In-Reply-To``/``References``.

What counts as an answer (``is_answer``): a message with a real envelope sender (bounces have none:
a challenge to a forged address must not confirm that address when it bounces) and without
``Auto-Submitted`` other than ``no`` (an out-of-office reply is not a person confirming).
"""

from __future__ import annotations

import email.parser
import email.policy
import re
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Final

from storage.confirmations import TOKEN_RE

SUBJECT: Final = "Please confirm your message to {recipient}"
TEXT: Final = """\
Hello,

your message to {recipient}{subject_part} has arrived, and is waiting:
{recipient} accepts mail only from senders who have confirmed their address once.

To confirm, reply to this message (keep the address it comes from), or send any
message to {address}. Your waiting message is then delivered, and your later
messages to {recipient} go straight through.

If you did not write to {recipient}, someone used your address; ignore this
message and nothing more happens.
"""
_CODE_PART = re.compile(r"^(?P<local>[^+@]+)\+(?P<code>[0-9a-fA-F]{32})@(?P<domain>[^@]+)$")


def split_answer_address(address: str) -> tuple[str, str, str] | None:
    """``confirm+CODE@example.com`` -> ("confirm", code lower-cased, "example.com"); None otherwise."""
    m = _CODE_PART.match(address.strip())
    if m is None:
        return None
    code = m.group("code").lower()
    return (m.group("local").lower(), code, m.group("domain").lower()) if TOKEN_RE.match(code) else None


def _header(raw: bytes) -> email.message.Message:
    return email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)


def automatic(raw: bytes) -> str | None:
    """Why ``raw`` is list, bulk or automatic mail (never challenged), or None for a personal message."""
    head = _header(raw)
    for name in head:
        if name.lower().startswith("list-"):
            return f"it carries {name}"
    for value in head.get_all("Precedence") or []:
        if str(value).strip().lower() in ("bulk", "list", "junk"):
            return f"Precedence: {str(value).strip()}"
    for value in head.get_all("Auto-Submitted") or []:
        if str(value).strip().lower().split(";")[0].strip() != "no":
            return f"Auto-Submitted: {str(value).strip()}"
    return None


def is_answer(raw: bytes, envelope_sender: str) -> str | None:
    """None when ``raw`` may confirm its sender, else why not."""
    if not envelope_sender:
        return "a bounce (null envelope sender) does not confirm anyone"
    auto = _header(raw).get_all("Auto-Submitted") or []
    if any(str(v).strip().lower().split(";")[0].strip() != "no" for v in auto):
        return "an automatic reply does not confirm anyone"
    return None


def compose(*, sender: str, recipient: str, address: str, original: bytes, hostname_domain: str) -> bytes:
    """The challenge to ``sender`` for mail to ``recipient``, from the answer ``address``."""
    head = _header(original)
    subject = " ".join(str(head.get("Subject", "")).split())[:200]
    message_id = str(head.get("Message-ID", "")).strip()
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = formataddr((f"Identity confirmation for {recipient}", address))
    msg["To"] = sender
    msg["Subject"] = SUBJECT.format(recipient=recipient)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=hostname_domain or None)
    if message_id:
        msg["In-Reply-To"] = message_id
        msg["References"] = message_id
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Fieldpost-Challenge"] = "identity confirmation"
    subject_part = f' (subject "{subject}")' if subject else ""
    msg.set_content(TEXT.format(recipient=recipient, subject_part=subject_part, address=address))
    return msg.as_bytes(policy=email.policy.SMTP)
