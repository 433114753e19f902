"""A message written in WebMail: the typed draft, and the RFC 5322 message built from it.

Flask-free on purpose: the Standard and Mobile pages, later JMAP, hand a ``Draft`` here, and the same
draft is what a saved message in Drafts reads back as (``read_draft``), so attachments uploaded while
writing live inside the draft message itself and nothing needs a table of its own.

The built message (stdlib ``email``, RFC 5322 / MIME RFC 2045-2049):

* header text outside ASCII is encoded per RFC 2047, attachment names per RFC 2231; bodies are
  quoted-printable or base64 (7-bit clean), except a forwarded message/rfc822 part, which RFC 2046
  5.2.1 forbids to encode: when that carries 8-bit text, so does the message (``needs_8bit``);
* an HTML body is sanitised (mailflow.html_text) and sent as multipart/alternative after a plain-text
  version made from it, unless the writer gave one (RFC 2046 5.1.4: the preferred form last);
* attachments make the whole a multipart/mixed (RFC 2046 5.1.3);
* Message-ID (RFC 5322 3.6.4) and Date are set once, when the draft is first built for sending or
  saving, and passed in again so the sent copy and the queued one are the same message;
* a read receipt asks with Disposition-Notification-To (RFC 8098 2.1), the priority is given as
  Importance (RFC 2156) and X-Priority (what most readers show).

Bcc is written only into the copies the sender keeps (Sent, Drafts): ``build(..., with_bcc=False)`` is
the copy that is queued, so no recipient learns who else got it (RFC 5322 3.6.3).
"""

from __future__ import annotations

import email
import enum
from dataclasses import dataclass, field, replace
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime, getaddresses, make_msgid

from mailflow import html_text

#: 7-bit bodies, CRLF line ends, lines folded at 78 (RFC 5322 2.1.1)
POLICY = policy.SMTP.clone(cte_type="7bit", max_line_length=78)
USER_AGENT = "Fieldpost WebMail"


class ComposeError(Exception):
    """A draft that cannot become a message (or be sent); the text says what to change."""


class Priority(enum.Enum):
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


_X_PRIORITY = {Priority.HIGH: "1 (Highest)", Priority.LOW: "5 (Lowest)"}


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str  # "type/subtype"; message/rfc822 forwards a message as it is
    data: bytes


@dataclass(frozen=True)
class Draft:
    """What the writer typed. Recipient entries are as typed: ``bob@x.test`` or ``Bob <bob@x.test>``."""

    sender: str  # the identity's address (From and envelope sender)
    sender_name: str = ""
    on_behalf_of: str = ""  # "send on behalf": From is this mailbox, Sender is ``sender``
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    subject: str = ""
    text: str | None = None
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    receipt: bool = False
    priority: Priority = Priority.NORMAL
    message_id: str = ""  # kept from the first build, so saving again keeps the same id
    date: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)  # e.g. X-Forwarded-Message-Id; never user input

    def recipients(self) -> list[str]:
        """Every envelope recipient (to, cc, bcc), lower-cased domain, each once, in order."""
        seen: dict[str, None] = {}
        for _, address in parse_addresses(self.to + self.cc + self.bcc):
            local, _, domain = address.rpartition("@")
            seen.setdefault(f"{local}@{domain.lower()}", None)
        return list(seen)


def parse_addresses(entries: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
    """(name, address) of every mailbox in the entries (an entry may list several, comma separated).

    Raises:
        ComposeError: an entry that is not an address (no "@", a space or a control character in it).
    """
    out = []
    for name, address in getaddresses([e for e in entries if e.strip()]):
        address = address.strip()
        local, at, domain = address.rpartition("@")
        if not at or not local or "." not in domain and domain != "localhost" or _bad_chars(address):
            raise ComposeError(f"not an e-mail address: {address or name or '(empty)'}")
        out.append((name.strip(), address))
    return out


def _bad_chars(address: str) -> bool:
    return any(c.isspace() or ord(c) < 32 or c in "<>()[],;:\\" for c in address.replace('"', ""))


def _address(name: str, address: str) -> Address:
    local, _, domain = address.rpartition("@")
    try:
        return Address(display_name=name, username=local.strip('"'), domain=domain)
    except (ValueError, IndexError, email.errors.HeaderParseError) as exc:
        raise ComposeError(f"not an e-mail address: {address}") from exc


#: A draft saved half-written keeps recipient text that is not (yet) an address in a field of its own,
#: per address field (X-Fieldpost-Draft-To...), so Drafts never holds a malformed To/Cc/Bcc field.
DRAFT_TEXT_FIELD = "X-Fieldpost-Draft-"


def _set_addresses(root: MIMEPart, name: str, entries: tuple[str, ...], strict: bool) -> None:
    """Write the mailboxes of ``entries`` as the ``name`` field; when not ``strict`` (a draft), the
    entries that are not addresses go to ``DRAFT_TEXT_FIELD + name`` as they were typed."""
    good: list[Address] = []
    kept: list[str] = []
    for entry in (e for e in entries if e.strip()):
        try:
            good += [_address(n, a) for n, a in parse_addresses([entry])]
        except ComposeError:
            if strict:
                raise
            kept.append(" ".join(entry.split()))
    if good:
        root[name] = good
    if kept:
        root[DRAFT_TEXT_FIELD + name] = ", ".join(kept)


def stamped(draft: Draft, now: datetime) -> Draft:
    """The draft with its Message-ID and Date set, if not yet (the sender's domain names the id)."""
    domain = draft.sender.rpartition("@")[2] or "localhost"
    return replace(draft, message_id=draft.message_id or make_msgid(domain=domain), date=draft.date or now)


def build(draft: Draft, *, with_bcc: bool, strict: bool = True) -> bytes:
    """The message text (CRLF line ends) of a stamped draft (``stamped``); see the module docstring.

    Args:
        with_bcc: write the Bcc field (the copies the sender keeps) or not (the copy that is queued).
        strict: refuse recipients that are not addresses (sending) rather than keep them as text (saving).

    Raises:
        ComposeError: a bad address (From always, the recipients when ``strict``).
    """
    if not draft.message_id or draft.date is None:
        raise ComposeError("the draft has no Message-ID or Date yet (stamp it first)")
    root = MIMEPart(policy=POLICY)
    senders = parse_addresses([draft.sender])
    if len(senders) != 1:
        raise ComposeError(f"not an e-mail address: {draft.sender or '(empty)'}")
    if draft.on_behalf_of:  # RFC 5322 3.6.2: the mailbox it is from, and the agent who sent it
        owners = parse_addresses([draft.on_behalf_of])
        if len(owners) != 1:
            raise ComposeError(f"not an e-mail address: {draft.on_behalf_of}")
        root["From"] = _address(owners[0][0], owners[0][1])
        root["Sender"] = _address(draft.sender_name or senders[0][0], senders[0][1])
    else:
        root["From"] = _address(draft.sender_name or senders[0][0], senders[0][1])
    for name, entries in (("To", draft.to), ("Cc", draft.cc), ("Bcc", draft.bcc if with_bcc else ())):
        _set_addresses(root, name, entries, strict)
    if draft.subject.strip():
        root["Subject"] = " ".join(draft.subject.split())
    root["Date"] = format_datetime(draft.date)
    root["Message-ID"] = draft.message_id
    if draft.in_reply_to:
        root["In-Reply-To"] = draft.in_reply_to
    if draft.references:
        root["References"] = " ".join(draft.references)
    if draft.receipt:
        root["Disposition-Notification-To"] = root["From"]
    if draft.priority is not Priority.NORMAL:
        root["Importance"] = draft.priority.value
        root["X-Priority"] = _X_PRIORITY[draft.priority]
    for name, value in draft.extra.items():
        root[name] = value
    root["User-Agent"] = USER_AGENT
    root["MIME-Version"] = "1.0"
    _set_body(root, draft)
    for attachment in draft.attachments:
        _attach(root, attachment)
    return root.as_bytes(policy=POLICY)


def _set_body(root: MIMEPart, draft: Draft) -> None:
    html = html_text.sanitise(draft.html) if draft.html is not None and draft.html.strip() else None
    text = draft.text if draft.text is not None else html_text.to_text(html) if html else ""
    root.set_content(_crlf_free(text), subtype="plain", charset="utf-8")
    if html is not None:
        root.add_alternative(html, subtype="html", charset="utf-8")


def _crlf_free(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _attach(root: MIMEPart, attachment: Attachment) -> None:
    name = attachment.name.replace("\r", " ").replace("\n", " ").strip() or "attachment"
    maintype, _, subtype = attachment.content_type.lower().partition("/")
    if (maintype, subtype) == ("message", "rfc822"):
        inner = email.message_from_bytes(attachment.data, policy=policy.compat32)
        root.add_attachment(inner, filename=name)
        return
    if not maintype or not subtype or "/" in subtype:
        maintype, subtype = "application", "octet-stream"
    root.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=name)


def needs_8bit(raw: bytes) -> bool:
    """Whether the message carries 8-bit octets (only a forwarded message/rfc822 part can): the
    envelope then says BODY=8BITMIME (RFC 6152)."""
    return any(b > 127 for b in raw)


def parse(raw: bytes) -> EmailMessage:
    """A stored message as the stdlib sees it (header values decoded, RFC 2047 and 2231)."""
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def body_text(message: EmailMessage) -> tuple[str | None, str | None]:
    """(plain text, HTML) of a message's body, as the writer meant them (either may be None)."""
    text = html = None
    plain = message.get_body(("plain",))
    if plain is not None and not _is_attachment(plain):
        text = _content(plain)
    rich = message.get_body(("html",))
    if rich is not None and not _is_attachment(rich):
        html = _content(rich)
    return text, html


def attachments_of(message: EmailMessage) -> list[Attachment]:
    """The attachments of a message (what is not its body), with their bytes decoded."""
    out = []
    for part in message.iter_attachments():
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            inner = part.get_payload(0) if part.is_multipart() else part.get_payload()
            data = inner.as_bytes(policy=POLICY) if hasattr(inner, "as_bytes") else b""
        else:
            data = part.get_payload(decode=True) or b""
        out.append(Attachment(part.get_filename() or "attachment", ctype, data))
    return out


def _is_attachment(part: MIMEPart) -> bool:
    return part.get_content_disposition() == "attachment"


def _content(part: MIMEPart) -> str:
    try:
        value = part.get_content()
    except (LookupError, ValueError):  # an unknown charset: take the bytes as UTF-8, replacing
        payload = part.get_payload(decode=True)
        value = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return _crlf_free(value) if isinstance(value, str) else ""


def read_draft(raw: bytes) -> Draft:
    """A saved draft (as ``build`` wrote it into Drafts) read back for more writing: recipients,
    subject, bodies, attachments, the reply fields, receipt and priority, Message-ID and Date."""
    message = parse(raw)
    senders = getaddresses(message.get_all("From", []))
    sender_name, sender = senders[0] if senders else ("", "")
    on_behalf_of = ""
    agents = getaddresses(message.get_all("Sender", []))
    if agents and agents[0][1] and agents[0][1] != sender:  # written on behalf of the From mailbox
        on_behalf_of = sender
        sender_name, sender = agents[0]

    def entries(name: str) -> tuple[str, ...]:
        typed = [str(v) for v in message.get_all(DRAFT_TEXT_FIELD + name, [])]
        return tuple(
            [str(a) for value in message.get_all(name, []) for a in _mailboxes(value)]
            + [e.strip() for value in typed for e in value.split(",") if e.strip()]
        )

    text, html = body_text(message)
    priority = {"high": Priority.HIGH, "low": Priority.LOW}.get(
        str(message.get("Importance", "")).strip().lower(), Priority.NORMAL
    )
    date = message["Date"].datetime if message["Date"] is not None else None
    return Draft(
        sender=sender,
        sender_name=sender_name,
        on_behalf_of=on_behalf_of,
        to=entries("To"),
        cc=entries("Cc"),
        bcc=entries("Bcc"),
        subject=str(message.get("Subject", "")),
        text=text,
        html=html,
        attachments=tuple(attachments_of(message)),
        in_reply_to=str(message.get("In-Reply-To", "")).strip(),
        references=tuple(str(message.get("References", "")).split()),
        receipt=message["Disposition-Notification-To"] is not None,
        priority=priority,
        message_id=str(message.get("Message-ID", "")).strip(),
        date=date,
    )


def _mailboxes(value: object) -> list[str]:
    """The mailboxes of a parsed address header as typed text (``Name <addr>``); text that did not
    parse as addresses (a draft saved half-written) comes back as it was."""
    addresses = getattr(value, "addresses", None)
    if not addresses:
        text = str(value).strip()
        return [text] if text else []
    return [str(a) for a in addresses]
