"""The compose page's work, shared by the Standard (``/mail/compose``) and Mobile (``/m/compose``) views.

A compose page is one form that posts back to itself; its ``action`` button says what to do:

* ``send``: check the limits, queue through mailflow (``outbox.send``), file the copy in Sent, drop the
  saved draft, then go to the folder list with a note;
* ``save`` (the button, and the editor script's autosave, which asks for JSON): save into Drafts;
* ``attach`` (or any post carrying files): the uploads join the draft's attachments and the draft is
  saved at once, so the files live in the Drafts message (no table of their own);
* ``remove-N``: drop attachment N and save;
* ``format``: switch between plain text and HTML, converting the body.

Between two posts the page keeps only small hidden fields (the saved draft's UID, Message-ID, the reply
fields); attachments are read back from the saved draft. Limits and refusals come back as a message
above the form with everything typed kept (``ComposeError`` from mailflow).
"""

from __future__ import annotations

import html
import secrets
from dataclasses import dataclass, field, replace

from flask import render_template, request
from werkzeug.datastructures import FileStorage, MultiDict

from mailflow import html_text, outbox, replies
from mailflow.compose import Attachment, ComposeError, Draft, Priority
from mailflow.submission import Origin
from storage.errors import NotFound
from storage.models import Account
from webmail import recipient_groups
from webmail.binding import current_store, current_user_account, user_mail

#: how a reply or forward starts, by the name in the URL
STARTS = {
    "reply": lambda raw, own: replies.reply(raw, own),
    "reply-all": lambda raw, own: replies.reply(raw, own, to_all=True),
    "forward": replies.forward_inline,
    "forward-attached": replies.forward_attached,
}
SUGGESTIONS_IN_PAGE = 100


@dataclass
class ComposePage:
    """What the compose template shows."""

    draft: Draft
    draft_uid: int | None
    identities: list[outbox.Identity]
    limits: outbox.Limits
    error: str = ""
    suggestions: list[str] = field(default_factory=list)

    @property
    def format(self) -> str:
        return "html" if self.draft.html is not None else "text"


def account() -> Account:
    return current_store().accounts.by_id(current_user_account().account_id)


def page_for(draft: Draft, draft_uid: int | None, error: str = "") -> ComposePage:
    """The page for ``draft``; its HTML is cleaned first, since the editor script puts it into the page
    (a draft in Drafts may have come from any IMAP client)."""
    if draft.html is not None:
        draft = replace(draft, html=html_text.sanitise(draft.html))
    me = account()
    store = current_store()
    return ComposePage(
        draft,
        draft_uid,
        outbox.identities(store, me),
        outbox.limits(store, me),
        error,
        [s.formatted() for s in user_mail().addressbook.suggestions(limit=SUGGESTIONS_IN_PAGE)],
    )


def new_draft(args: MultiDict[str, str]) -> Draft:
    """A blank draft (``?to=`` pre-fills a recipient) from the first identity, with its signature."""
    first = outbox.identities(current_store(), account())[0]
    text = f"\n\n{first.signature}" if first.signature else ""
    return Draft(first.address, to=tuple(args.getlist("to")), text=text)


def started_from(kind: str, folder_id: int, uid: int) -> Draft:
    """A reply or forward of message ``uid`` of ``folder_id`` (read with the user's rights).

    Raises:
        NotFound: no such start, message or folder for the user. PermissionDenied: no "r".
    """
    start = STARTS.get(kind)
    if start is None:
        raise NotFound("no such way to start a message")
    raw = user_mail().reader(folder_id).raw(uid)
    identities = outbox.identities(current_store(), account())
    draft = start(raw, [i.address for i in identities if not i.on_behalf_of])
    return with_signature(draft, next((i for i in identities if i.address == draft.sender), None))


def confirm_start(frame: str, kind: str, action: str) -> str:
    """The page a GET of a forward that carries attachments gets: one button that POSTs (with its CSRF
    token) to the same address, because starting such a forward saves a draft at once, and a write must
    never happen on a GET that another site could make the browser send."""
    return render_template("layout/compose_start.html", frame=frame, kind=kind, action=action)


def with_signature(draft: Draft, identity: outbox.Identity | None) -> Draft:
    """The identity's signature above the quoted or forwarded text (where the new text goes)."""
    if identity is None or not identity.signature:
        return draft
    if draft.html is not None:
        lines = "<br>".join(html.escape(line) for line in identity.signature.split("\n"))
        return replace(draft, html=f"<p><br></p><p>{lines}</p>{draft.html}")
    return replace(draft, text=f"\n\n{identity.signature}{draft.text or ''}")


def _entries(value: str) -> tuple[str, ...]:
    """A typed recipient field split into entries at commas and semicolons outside quotes and <>."""
    out, current, quoted, angle = [], "", False, False
    for char in value.replace("\r", " ").replace("\n", " "):
        if char == '"':
            quoted = not quoted
        elif char == "<" and not quoted:
            angle = True
        elif char == ">" and not quoted:
            angle = False
        if char in ",;" and not quoted and not angle:
            out.append(current)
            current = ""
        else:
            current += char
    out.append(current)
    return tuple(e.strip() for e in out if e.strip())


def identity_value(draft: Draft) -> str:
    """The identity choice a draft was written with (``outbox.Identity.value``)."""
    return f"{outbox.BEHALF}{draft.on_behalf_of}" if draft.on_behalf_of else draft.sender


def draft_uid_of(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def draft_from_form(form: MultiDict[str, str], base: Draft | None) -> Draft:
    """The draft the form describes; attachments and anything the form does not carry come from
    ``base`` (the saved draft)."""
    identities = outbox.identities(current_store(), account())
    by_value = {i.value: i for i in identities}
    chosen = by_value.get(form.get("identity", ""))
    if chosen is None:  # a stale form: keep the saved draft's identity, else the account's own
        kept = identity_value(base) if base is not None else ""
        chosen = by_value.get(kept, identities[0])
    fmt = form.get("format", "text")
    text = form.get("body_text", "").replace("\r\n", "\n")
    body_html = html_text.sanitise(form.get("body_html", ""))  # shown again in the editor: made safe now
    try:
        priority = Priority(form.get("priority", "normal"))
    except ValueError:
        priority = Priority.NORMAL
    return Draft(
        sender=chosen.address,
        on_behalf_of=chosen.on_behalf_of,
        to=_entries(form.get("to", "")),
        cc=_entries(form.get("cc", "")),
        bcc=_entries(form.get("bcc", "")),
        subject=form.get("subject", ""),
        text=None if fmt == "html" else text,
        html=body_html if fmt == "html" else None,
        attachments=base.attachments if base is not None else (),
        in_reply_to=form.get("in_reply_to", ""),
        references=tuple(form.get("references", "").split()),
        receipt=form.get("receipt") == "on",
        priority=priority,
        message_id=form.get("message_id", "") or (base.message_id if base else ""),
        date=base.date if base is not None else None,
    )


def switched_format(draft: Draft, wanted: str) -> Draft:
    """The draft with its body in the other format: HTML made text, or text made paragraphs."""
    if wanted == "html" and draft.html is None:
        paragraphs = (draft.text or "").split("\n\n")
        body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
        return replace(draft, text=None, html=body)
    if wanted == "text" and draft.html is not None:
        return replace(draft, text=html_text.to_text(html_text.sanitise(draft.html)), html=None)
    return draft


def uploads(files: MultiDict[str, FileStorage]) -> list[Attachment]:
    out = []
    for upload in files.getlist("attachments"):
        if upload.filename:
            data = upload.read()
            out.append(Attachment(upload.filename, upload.mimetype or "application/octet-stream", data))
    return out


@dataclass(frozen=True)
class Outcome:
    """What a post did: ``sent`` (go away with ``note``), or the page to show again (``page``)."""

    page: ComposePage | None = None
    sent: outbox.SentMessage | None = None
    status: int = 200


def handle_post() -> Outcome:
    """Apply the form's action (see the module docstring)."""
    me = account()
    store = current_store()
    form = request.form
    draft_uid = draft_uid_of(form.get("draft_uid"))
    base = outbox.load_draft(store, me, draft_uid) if draft_uid is not None else None
    draft = draft_from_form(form, base)
    action = form.get("action", "save")
    added = uploads(request.files)
    try:
        if action.startswith("remove-") and draft_uid_of(action[7:]) is not None:
            index = int(action[7:])
            kept = tuple(a for i, a in enumerate(draft.attachments) if i != index)
            draft = replace(draft, attachments=kept)
            action = "save"
        if action == "format":
            return Outcome(page_for(switched_format(draft, form.get("format_to", "text")), draft_uid))
        if added:
            draft = replace(draft, attachments=draft.attachments + tuple(added))
            draft_uid, draft = outbox.save_draft(store, me, draft, replaces=draft_uid)
        if action == "send":  # a contact group's name stands for its members (webmail/recipient_groups.py)
            sending = recipient_groups.expanded(draft)
            return Outcome(sent=outbox.send(store, me, sending, request_origin(), draft_uid=draft_uid))
        if action in ("save", "attach") and not added:
            draft_uid, draft = outbox.save_draft(store, me, draft, replaces=draft_uid)
        return Outcome(page_for(draft, draft_uid))
    except ComposeError as exc:
        return Outcome(page_for(draft, draft_uid, str(exc)), status=400)


def request_origin() -> Origin:
    """Where mail the signed-in user sends from this request comes from (the trace of a submission)."""
    hostname = current_store().settings.get("server.hostname") or request.host.rsplit(":", 1)[0]
    return outbox.webmail_origin(
        peer_ip=request.remote_addr or "127.0.0.1",
        peer_port=int(request.environ.get("REMOTE_PORT") or 0),
        hostname=hostname,
        session_id=f"web{secrets.token_hex(4)}",
        tls=request.is_secure,
    )


def suggestions(text: str) -> list[dict[str, str]]:
    """The JSON the recipient fields' script asks for: ``[{"value", "name", "address"}]``."""
    found = user_mail().addressbook.suggestions(text, limit=20)
    return [{"value": s.formatted(), "name": s.name, "address": s.address} for s in found]
