"""Drafts started from a message the user received: reply, reply to all, forward inline or attached.

Each function takes the original message's bytes (read by the caller through ``store.for_user``, so the
user's rights were checked) and gives a ``compose.Draft`` to edit; nothing is sent or saved here.

* Recipients of a reply (RFC 5322 3.6.3): Reply-To when the original has one, else From; replying to
  one's own sent message goes to its To instead. Reply to all adds the original To and Cc. The user's
  own addresses (``own``: every identity) are never among them, and no address comes twice.
* The identity proposed is the one of the user's addresses the original was sent to, else the first.
* Threading (RFC 5322 3.6.4): In-Reply-To is the original Message-ID, References the original's
  References (or In-Reply-To) followed by it.
* Subjects get one "Re: " / "Fwd: " (an existing one, in any case, is not repeated).
* Quoting: the original's text (its HTML made text when it has only HTML) under an attribution line,
  each line prefixed "> "; an HTML original also gets an HTML reply with the original in a blockquote.
"""

from __future__ import annotations

import html as html_escape
import re
from collections.abc import Iterable
from email.message import EmailMessage
from email.utils import getaddresses

from mailflow import html_text
from mailflow.compose import Attachment, Draft, attachments_of, body_text, parse

_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|antw)\s*:\s*", re.IGNORECASE)
_FORWARD_PREFIX = re.compile(r"^\s*(fwd?|wg|tr)\s*:\s*", re.IGNORECASE)


def _subject(message: EmailMessage) -> str:
    return " ".join(str(message.get("Subject", "")).split())


def _mailboxes(message: EmailMessage, *names: str) -> list[tuple[str, str]]:
    values = [str(v) for name in names for v in message.get_all(name, [])]
    return [(n, a) for n, a in getaddresses(values) if "@" in a]


def _formatted(name: str, address: str) -> str:
    if not name:
        return address
    return '"{}" <{}>'.format(name.replace("\\", "\\\\").replace('"', '\\"'), address)


def _identity(message: EmailMessage, own: list[str]) -> str:
    mine = {a.lower(): a for a in own}
    for _, address in _mailboxes(message, "To", "Cc", "Delivered-To"):
        if address.lower() in mine:
            return mine[address.lower()]
    return own[0] if own else ""


def _quoted_text(message: EmailMessage) -> str:
    text, html = body_text(message)
    if text is None:
        text = html_text.to_text(html or "")
    return "".join(f"> {line}\n" if line else ">\n" for line in text.rstrip("\n").split("\n"))


def _attribution(message: EmailMessage) -> str:
    senders = _mailboxes(message, "From")
    who = _formatted(*senders[0]) if senders else "someone"
    when = str(message.get("Date", "")).strip()
    return f"On {when}, {who} wrote:" if when else f"{who} wrote:"


def reply(original: bytes, own: Iterable[str], *, to_all: bool = False) -> Draft:
    """A reply (to all when ``to_all``) to ``original``; ``own`` are the user's addresses."""
    message = parse(original)
    own = list(own)
    mine = {a.lower() for a in own}
    from_me = any(a.lower() in mine for _, a in _mailboxes(message, "From"))
    if from_me:
        first = _mailboxes(message, "To")
    else:
        first = _mailboxes(message, "Reply-To") or _mailboxes(message, "From")
    seen = set(mine)
    to: list[str] = []
    cc: list[str] = []
    for bucket, found in ((to, first), (cc, _mailboxes(message, "To", "Cc") if to_all else [])):
        for name, address in found:
            if address.lower() not in seen:
                seen.add(address.lower())
                bucket.append(_formatted(name, address))
    subject = _subject(message)
    message_id = str(message.get("Message-ID", "")).strip()
    parents = str(message.get("References", "") or message.get("In-Reply-To", "")).split()
    text, html = body_text(message)
    quote = _attribution(message)
    reply_html = None
    if html is not None:
        reply_html = (
            f"<p><br></p><p>{html_escape.escape(quote)}</p>"
            f'<blockquote type="cite">{html_text.sanitise(html)}</blockquote>'
        )
    return Draft(
        sender=_identity(message, own),
        to=tuple(to),
        cc=tuple(cc),
        subject=subject if _REPLY_PREFIX.match(subject) else f"Re: {subject}",
        text=f"\n\n{quote}\n{_quoted_text(message)}" if reply_html is None else None,
        html=reply_html,
        in_reply_to=message_id,
        references=tuple(parents + [message_id]) if message_id else tuple(parents),
    )


def _forward_subject(message: EmailMessage) -> str:
    subject = _subject(message)
    return subject if _FORWARD_PREFIX.match(subject) else f"Fwd: {subject}"


def forward_inline(original: bytes, own: Iterable[str]) -> Draft:
    """A forward with the original's header summary and body in the new text, its attachments kept."""
    message = parse(original)
    lines = ["", "", "---------- Forwarded message ----------"]
    for name in ("From", "Date", "Subject", "To", "Cc"):
        value = " ".join(str(message.get(name, "")).split())
        if value:
            lines.append(f"{name}: {value}")
    text, html = body_text(message)
    if text is None:
        text = html_text.to_text(html or "")
    return Draft(
        sender=_identity(message, list(own)),
        subject=_forward_subject(message),
        text="\n".join(lines) + "\n\n" + text,
        attachments=tuple(attachments_of(message)),
    )


def forward_attached(original: bytes, own: Iterable[str]) -> Draft:
    """A forward carrying the original untouched as a message/rfc822 attachment (RFC 2046 5.2.1)."""
    message = parse(original)
    name = re.sub(r"[\\/:*?\"<>|\x00-\x1f]+", " ", _subject(message)).strip()[:100] or "message"
    return Draft(
        sender=_identity(message, list(own)),
        subject=_forward_subject(message),
        text="",
        attachments=(Attachment(f"{name}.eml", "message/rfc822", original),),
    )
