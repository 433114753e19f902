"""The message an Email/set create describes (RFC 8621 4.6): RFC 5322 bytes from JMAP properties.

Rules the RFC sets and this follows: ``mailboxIds`` is required (here exactly one Mailbox); header fields
come from the convenience properties (from, to, cc, bcc, replyTo, sender, subject, sentAt, messageId,
inReplyTo, references) and from ``header:Name[:asForm]`` properties, never both for one field; the body
is either ``bodyStructure`` or ``textBody``/``htmlBody``/``attachments`` (at most one text/plain and one
text/html part), the text of a part given by ``partId`` in ``bodyValues`` (none may be truncated or have
an encoding problem), binary parts by ``blobId`` (a part of a message the user may read). Without a Date
the current time is used, without a Message-ID one is made.

A property the builder does not accept raises :class:`Invalid` naming it; the caller answers
invalidProperties (or blobNotFound).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email import policy
from email.generator import BytesGenerator
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from io import BytesIO
from typing import Any

from webmail.jmap.mail import email_headers as eh

_ADDRESS_PROPS = {
    "from": "From",
    "to": "To",
    "cc": "Cc",
    "bcc": "Bcc",
    "replyTo": "Reply-To",
    "sender": "Sender",
}
_ID_PROPS = {"messageId": "Message-ID", "inReplyTo": "In-Reply-To", "references": "References"}
ALLOWED = {
    "mailboxIds", "keywords", "receivedAt", "subject", "sentAt", "bodyStructure", "bodyValues", "textBody",
    "htmlBody", "attachments", *_ADDRESS_PROPS, *_ID_PROPS,
}  # fmt: skip

_LINE_END = re.compile(rb"\r?\n")
BlobReader = Callable[[str], tuple[bytes, str] | None]  # blob id -> (bytes, media type), None: not found


class Invalid(Exception):
    def __init__(self, prop: str, description: str, *, blob: bool = False) -> None:
        super().__init__(description)
        self.prop = prop
        self.blob = blob


def _addresses(prop: str, value: Any) -> list[Address]:
    if not isinstance(value, list):
        raise Invalid(prop, f"{prop} is a list of addresses")
    out = []
    for a in value:
        if not isinstance(a, dict) or not isinstance(a.get("email"), str):
            raise Invalid(prop, f"{prop} holds objects with an email")
        try:
            out.append(Address(display_name=a.get("name") or "", addr_spec=a["email"]))
        except (ValueError, TypeError, IndexError) as exc:
            raise Invalid(prop, f"{prop}: {exc}") from None
    return out


def _ids(prop: str, value: Any) -> str:
    if not isinstance(value, list) or not all(isinstance(v, str) and v and " " not in v for v in value):
        raise Invalid(prop, f"{prop} is a list of message ids")
    return " ".join(f"<{v.strip('<>')}>" for v in value)


def build(spec: dict[str, Any], read_blob: BlobReader) -> bytes:
    """The message's bytes (CRLF line ends)."""
    msg = EmailMessage(policy=policy.SMTP)
    fields: set[str] = set()
    for prop, value in spec.items():
        if prop.startswith("header:"):
            hp = eh.parse_header_property(prop)
            if hp is None or hp.all or hp.form not in ("Raw", "Text"):
                raise Invalid(prop, "header properties are set as Raw or Text here")
            if not isinstance(value, str) or "\n" in value.replace("\r\n ", "").replace("\r\n\t", ""):
                raise Invalid(prop, "a header value is one line")
            if hp.name.lower() in fields:
                raise Invalid(prop, f"{hp.name} given twice")
            fields.add(hp.name.lower())
            msg[hp.name] = value.strip()
        elif prop not in ALLOWED:
            raise Invalid(prop, f"{prop} cannot be set")
    for prop, name in _ADDRESS_PROPS.items():
        if spec.get(prop) is not None:
            if name.lower() in fields:
                raise Invalid(prop, f"{name} given twice")
            msg[name] = _addresses(prop, spec[prop])
    for prop, name in _ID_PROPS.items():
        if spec.get(prop) is not None:
            msg[name] = _ids(prop, spec[prop])
    if spec.get("subject") is not None:
        if not isinstance(spec["subject"], str):
            raise Invalid("subject", "subject is a string")
        msg["Subject"] = spec["subject"]
    if "date" not in fields:
        msg["Date"] = format_datetime(_sent_at(spec.get("sentAt")))
    if "message-id" not in fields and spec.get("messageId") is None:
        msg["Message-ID"] = f"<{uuid.uuid4().hex}@jmap.fieldpost>"
    msg["MIME-Version"] = "1.0"
    _body(msg, spec, read_blob)
    out = BytesIO()
    _Generator(out, policy=policy.SMTP).flatten(msg)
    return out.getvalue()


class _Generator(BytesGenerator):
    """The stdlib's writer, except that a message/rfc822 part kept as text (``_embed_message``) may
    hold 8-bit octets: they are written back as the bytes they came from."""

    def _encode(self, s: str) -> bytes:
        return s.encode("ascii", "surrogateescape")


def _sent_at(value: Any) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise Invalid("sentAt", "sentAt is a date with a time zone") from None
    if when.tzinfo is None:
        raise Invalid("sentAt", "sentAt is a date with a time zone")
    return when


def _value(spec: dict[str, Any], part: dict[str, Any], prop: str) -> str:
    values = spec.get("bodyValues") or {}
    pid = part.get("partId")
    if not isinstance(values, dict) or pid not in values:
        raise Invalid(prop, f"no bodyValues entry for part {pid!r}")
    v = values[pid]
    if not isinstance(v, dict) or not isinstance(v.get("value"), str):
        raise Invalid("bodyValues", "a body value has a string value")
    if v.get("isTruncated") or v.get("isEncodingProblem"):
        raise Invalid("bodyValues", "a body value given may not be truncated or have an encoding problem")
    return str(v["value"])


def _leaf(spec: dict[str, Any], part: Any, prop: str, read_blob: BlobReader) -> EmailMessage:
    if not isinstance(part, dict):
        raise Invalid(prop, "a body part is an object")
    leaf = EmailMessage(policy=policy.SMTP)
    kind = str(part.get("type") or "")
    if part.get("partId") is not None:
        if part.get("blobId") is not None:
            raise Invalid(prop, "a part has a partId or a blobId, not both")
        kind = kind or "text/plain"
        main, _, sub = kind.partition("/")
        if main != "text":
            raise Invalid(prop, "a part given by partId is text")
        leaf.set_content(
            _value(spec, part, prop), subtype=sub or "plain", charset="utf-8", cte="quoted-printable"
        )
    elif isinstance(part.get("blobId"), str):
        found = read_blob(part["blobId"])
        if found is None:
            raise Invalid(prop, f"no blob {part['blobId']}", blob=True)
        data, blob_type = found
        main, _, sub = (kind or blob_type or "application/octet-stream").lower().partition("/")
        if (main, sub) == ("message", "rfc822"):
            _embed_message(leaf, data)
        else:
            leaf.set_content(data, maintype=main or "application", subtype=sub or "octet-stream")
    else:
        raise Invalid(prop, "a body part needs a partId or a blobId")
    if part.get("name"):
        leaf.set_param("name", str(part["name"]))
    disposition = part.get("disposition")
    if disposition or part.get("name"):
        del leaf["Content-Disposition"]
        leaf["Content-Disposition"] = str(disposition or "attachment")
        if part.get("name"):
            leaf.set_param("filename", str(part["name"]), header="Content-Disposition")
    if part.get("cid"):
        leaf["Content-ID"] = f"<{str(part['cid']).strip('<>')}>"
    return leaf


def _embed_message(leaf: EmailMessage, data: bytes) -> None:
    """A message carried whole (a forward as attachment): RFC 2046 5.2.1 allows no base64 or
    quoted-printable for message/rfc822, so its octets go in as they are (line ends made CRLF, as in
    the message around them), marked 7bit, or 8bit when a header or body holds 8-bit octets."""
    data = _LINE_END.sub(b"\r\n", data)
    leaf["Content-Type"] = "message/rfc822"
    leaf["Content-Transfer-Encoding"] = "8bit" if any(b > 127 for b in data) else "7bit"
    # a str payload under message/* is written out unchanged by the generator (surrogates: the bytes)
    leaf.set_payload(data.decode("ascii", "surrogateescape"))


def _body(msg: EmailMessage, spec: dict[str, Any], read_blob: BlobReader) -> None:
    structure = spec.get("bodyStructure")
    lists = [k for k in ("textBody", "htmlBody", "attachments") if spec.get(k)]
    if structure is not None and lists:
        raise Invalid("bodyStructure", "bodyStructure or textBody/htmlBody/attachments, not both")
    if structure is not None:
        _copy_into(msg, _tree(spec, structure, read_blob))
        return
    text = spec.get("textBody") or []
    html = spec.get("htmlBody") or []
    attachments = spec.get("attachments") or []
    for prop, parts in (("textBody", text), ("htmlBody", html), ("attachments", attachments)):
        if not isinstance(parts, list):
            raise Invalid(prop, f"{prop} is a list of parts")
    if len(text) > 1 or len(html) > 1:
        raise Invalid("textBody" if len(text) > 1 else "htmlBody", "at most one part")
    if text and text[0].get("type") not in (None, "text/plain"):
        raise Invalid("textBody", "textBody is text/plain")
    if html and html[0].get("type") not in (None, "text/html"):
        raise Invalid("htmlBody", "htmlBody is text/html")
    leaves = []
    if text:
        leaves.append(_leaf(spec, {**text[0], "type": "text/plain"}, "textBody", read_blob))
    if html:
        leaves.append(_leaf(spec, {**html[0], "type": "text/html"}, "htmlBody", read_blob))
    body: EmailMessage
    if len(leaves) == 2:
        body = EmailMessage(policy=policy.SMTP)
        body.make_alternative()
        for leaf in leaves:
            body.attach(leaf)
    elif leaves:
        body = leaves[0]
    else:
        body = EmailMessage(policy=policy.SMTP)
        body.set_content("", subtype="plain", charset="utf-8")
    if attachments:
        mixed = EmailMessage(policy=policy.SMTP)
        mixed.make_mixed()
        mixed.attach(body)
        for part in attachments:
            mixed.attach(_leaf(spec, part, "attachments", read_blob))
        body = mixed
    _copy_into(msg, body)


def _tree(spec: dict[str, Any], part: Any, read_blob: BlobReader) -> EmailMessage:
    if not isinstance(part, dict):
        raise Invalid("bodyStructure", "a body part is an object")
    kind = str(part.get("type") or "")
    if kind.startswith("multipart/"):
        sub = part.get("subParts")
        if not isinstance(sub, list):
            raise Invalid("bodyStructure", "a multipart part has subParts")
        node = EmailMessage(policy=policy.SMTP)
        node.set_type(kind)
        node.set_boundary(f"=_{uuid.uuid4().hex}")
        node.set_payload([_tree(spec, k, read_blob) for k in sub])
        return node
    return _leaf(spec, part, "bodyStructure", read_blob)


def _copy_into(msg: EmailMessage, body: EmailMessage) -> None:
    """Make ``msg`` carry ``body``'s content headers and payload."""
    for name in ("Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Content-ID"):
        if name in body:
            del msg[name]
            msg[name] = body[name]
    msg.set_payload(body.get_payload())
