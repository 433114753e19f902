"""Changes to a message's content on its way out of the queue: Return-Path, headers added by filters,
and the per-domain footer (the "message appender").

The footer goes into the message's own text: a text/plain body gets the text footer, a text/html body
the HTML footer (before ``</body>``); in multipart/alternative both variants get theirs; in any other
multipart (mixed, related) the first body part does, so attachments stay untouched. Signed or encrypted
messages (multipart/signed, multipart/encrypted) and bodies in an unknown charset are left as they are:
a footer must never break a signature or garble text.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage, MIMEPart

from filters.headers import with_return_path, without_return_path

_POLICY = email.policy.SMTP  # CRLF line ends; headers refolded only where they were too long


def with_headers(raw: bytes, headers: tuple[tuple[str, str], ...]) -> bytes:
    """Prepend header fields (filters' add_header), in order."""
    added = b"".join(f"{name}: {value}\r\n".encode() for name, value in headers)
    return added + raw


def add_footer(raw: bytes, text: str, html: str) -> bytes:
    """The message with the footer in its text; unchanged when there is nowhere safe to put it."""
    if not text and not html:
        return raw
    try:
        msg = email.message_from_bytes(raw, _class=EmailMessage, policy=_POLICY)
        if not _apply(msg, text, html, root=True):
            return raw
        return msg.as_bytes(policy=_POLICY)
    except (LookupError, ValueError, TypeError, UnicodeError):
        return raw


def _apply(part: MIMEPart, text: str, html: str, root: bool = False) -> bool:
    ctype = part.get_content_type()
    if part.is_multipart():
        if ctype in ("multipart/signed", "multipart/encrypted"):
            return False
        children = list(part.iter_parts())
        if not children:
            return False
        if ctype == "multipart/alternative":
            return any([_apply(child, text, html) for child in children])  # every variant
        return _apply(children[0], text, html)
    if part.get_content_disposition() == "attachment":
        return False
    if ctype == "text/plain" and text:
        body = part.get_content()
        sep = "" if body.endswith("\n") else "\n"
        part.set_content(body + sep + "\n" + text + "\n", subtype="plain", charset="utf-8")
        return _settled(part, root)
    if ctype == "text/html" and html:
        body = part.get_content()
        at = body.lower().rfind("</body>")
        body = body[:at] + html + body[at:] if at >= 0 else body + html
        part.set_content(body, subtype="html", charset="utf-8")
        return _settled(part, root)
    return False


def _settled(part: MIMEPart, root: bool) -> bool:
    if not root:
        del part["MIME-Version"]  # set_content adds it; it belongs in the top-level header only
    return True


__all__ = ["with_return_path", "without_return_path"]
