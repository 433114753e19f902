"""What the "Other mailboxes" settings page does (Standard ``/mail/settings/remote``): the user's remote
POP3/IMAP mailboxes that the Remote POP service fetches into this one. Everything goes through the
user's own facade (``user_mail().remote_accounts``, storage/remote_accounts.py), which applies the
limits the administrator set; its refusals come back next to the field at fault. The remote password is
never shown back: leaving it empty on a change keeps the stored one.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from storage.errors import InvalidInput, NotFound, PermissionDenied, QuotaExceeded
from storage.remote_accounts import TEMPLATES, RemoteAccount, RemoteSpec
from webmail.binding import user_mail
from webmail.settings_pages import field_error

#: storage's message starts with the field it is about; the form field it goes next to
_FIELD_OF_MESSAGE = {
    "protocol": "protocol",
    "security": "security",
    "server": "host",
    "port": "port",
    "user name": "username",
    "password": "password",
    "the remote password": "password",
    "folder": "folder",
    "interval": "minutes",
    "remote mailboxes without tls": "security",
}


class RemoteForm(FlaskForm):  # type: ignore[misc]  # wtforms ships no type hints
    remote_id = HiddenField()
    template = SelectField(
        _l("Provider"),
        choices=[("", _l("Other (fill in below)"))] + [(key, t.label) for key, t in TEMPLATES.items()],
        default="",
    )
    protocol = SelectField(_l("Protocol"), choices=[("imap", "IMAP"), ("pop3", "POP3")], default="imap")
    host = StringField(_l("Server"), validators=[Optional(), Length(max=253)])
    port = IntegerField(_l("Port (empty: the usual one)"), validators=[Optional(), NumberRange(1, 65535)])
    security = SelectField(
        _l("Security"),
        choices=[
            ("implicit", _l("TLS (SSL)")),
            ("starttls", _l("STARTTLS")),
            ("none", _l("None (password in clear)")),
        ],
        default="implicit",
    )
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=255)])
    password = PasswordField(_l("Password"), validators=[Optional(), Length(max=1024)])
    folder = SelectField(_l("Put the mail in"), default="INBOX")
    minutes = IntegerField(
        _l("Fetch every (minutes)"), default=10, validators=[DataRequired(), NumberRange(1, 10080)]
    )
    keep_on_server = BooleanField(_l("Leave a copy on the server"), default=True)
    enabled = BooleanField(_l("Fetch this mailbox"), default=True)


def remotes() -> list[RemoteAccount]:
    return user_mail().remote_accounts.list()


def new_form(edit: str | None = None) -> RemoteForm:
    """The form, empty or filled with one of the user's mailboxes (``edit`` is its id)."""
    form = RemoteForm(formdata=None) if edit else RemoteForm()
    _folders(form)
    if edit:
        try:
            remote = user_mail().remote_accounts.get(int(edit))
        except ValueError:
            raise NotFound("no such remote mailbox") from None
        form.remote_id.data = str(remote.id)
        form.protocol.data = remote.protocol
        form.host.data = remote.host
        form.port.data = remote.port
        form.security.data = remote.tls_mode
        form.username.data = remote.username
        form.folder.data = remote.folder
        form.minutes.data = remote.interval_seconds // 60
        form.keep_on_server.data = remote.keep_on_server
        form.enabled.data = remote.enabled
    return form


def _folders(form: RemoteForm) -> None:
    tree = user_mail().view.folder_tree()
    own = [f.path for f in tree if f.section == "personal" and f.path]
    form.folder.choices = [(path, path) for path in (own or ["INBOX"])]


def save(form: RemoteForm) -> RemoteAccount | None:
    """Add or change (hidden ``remote_id``) a mailbox; None with the errors on the form."""
    _folders(form)
    if not form.validate():
        return None
    protocol, host, port, security = (
        form.protocol.data,
        (form.host.data or "").strip(),
        form.port.data,
        form.security.data,
    )
    template = TEMPLATES.get(form.template.data or "")
    if template is not None and not host:
        protocol, host, port, security = template.protocol, template.host, template.port, template.tls_mode
    if not host:
        field_error(form, "host", str(_l("Choose a provider or fill in the server.")))
        return None
    spec = RemoteSpec(
        protocol=str(protocol),
        host=host,
        username=form.username.data or "",
        password=form.password.data or None,
        port=port,
        tls_mode=str(security),
        folder=form.folder.data or "INBOX",
        interval_seconds=int(form.minutes.data or 0) * 60,
        keep_on_server=bool(form.keep_on_server.data),
        enabled=bool(form.enabled.data),
    )
    mine = user_mail().remote_accounts
    try:
        if form.remote_id.data:
            return mine.change(_id(form.remote_id.data), spec)
        return mine.add(spec)
    except (InvalidInput, PermissionDenied, QuotaExceeded) as exc:
        field_error(form, _field_for(str(exc)), str(exc))
        return None


def _field_for(message: str) -> str:
    lowered = message.lower()
    for start, name in _FIELD_OF_MESSAGE.items():
        if lowered.startswith(start):
            return name
    return "form"  # no such field: shown at the top of the form


def _id(raw: Any) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise NotFound("no such remote mailbox") from None


def delete(raw_id: str) -> None:
    user_mail().remote_accounts.delete(_id(raw_id))


def fetch_now(raw_id: str) -> None:
    user_mail().remote_accounts.fetch_now(_id(raw_id))
