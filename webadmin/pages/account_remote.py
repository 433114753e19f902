"""Remote mailboxes of an account (what ``fieldpost rpop`` does): mail of a POP3 or IMAP account
elsewhere, fetched into a folder of the local account by the rpop service.

The list shows each mailbox's last run and last error; an administrator adds one (a provider template
fills the server, port and security left empty), deletes one, or brings its next fetch forward to now.
Storage (``view.remote_accounts``) checks the domain permission "accounts" for every change and answers
NotFound for an account outside the administrator's domains; the account's own limits (``rpop.*``
settings) hold here as in WebMail.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from storage.errors import InvalidInput, PermissionDenied, QuotaExceeded
from storage.remote_accounts import TEMPLATES, RemoteSpec
from webadmin.binding import admin_view
from webadmin.pages import bp

SECURITY = (
    ("implicit", _l("TLS from the start")),
    ("starttls", _l("STARTTLS")),
    ("none", _l("None (plain text)")),
)


class RemoteForm(FlaskForm):  # type: ignore[misc]  # wtforms ships no type hints
    template = SelectField(_l("Provider"), choices=[], validate_choice=False)
    protocol = SelectField(
        _l("Protocol"),
        choices=[("", _l("(from the provider)")), ("imap", "IMAP"), ("pop3", "POP3")],
        validate_choice=False,
    )
    host = StringField(_l("Server"), validators=[Optional(), Length(max=255)])
    port = IntegerField(_l("Port"), validators=[Optional(), NumberRange(1, 65535)])
    security = SelectField(
        _l("Security"), choices=[("", _l("(from the provider)")), *SECURITY], validate_choice=False
    )
    username = StringField(_l("User name on the remote server"), validators=[DataRequired(), Length(max=255)])
    password = PasswordField(_l("Remote password"), validators=[DataRequired(), Length(max=1024)])
    folder = StringField(_l("Local folder"), default="INBOX", validators=[Length(max=1000)])
    every = IntegerField(
        _l("Minutes between fetches"), default=10, validators=[DataRequired(), NumberRange(1, 10080)]
    )
    delete = BooleanField(_l("Delete fetched mail from the remote server"))


#: How storage's refusals (storage.remote_accounts) begin -> the field they concern (else "host").
FIELD_OF = (
    ("protocol", "protocol"),
    ("security", "security"),
    ("port", "port"),
    ("user name", "username"),
    ("password", "password"),
    ("the remote password", "password"),
    ("folder", "folder"),
    ("interval", "every"),
)


def field_of(message: str) -> str:
    return next((field for start, field in FIELD_OF if message.startswith(start)), "host")


def template_choices() -> list[tuple[str, str]]:
    return [("", _("Other (fill in the server)"))] + [(key, t.label) for key, t in TEMPLATES.items()]


def spec_of(form: RemoteForm) -> RemoteSpec:
    """What the form asks for, the provider template filling what was left empty (as ``fieldpost rpop``)."""
    template = TEMPLATES.get(form.template.data or "")
    protocol = form.protocol.data or (template.protocol if template else "imap")
    host = (form.host.data or "").strip() or (template.host if template else "")
    if not host:
        raise InvalidInput(_("Name the server, or pick a provider."))
    port = form.port.data or (template.port if template and template.protocol == protocol else None)
    return RemoteSpec(
        protocol=protocol,
        host=host,
        username=form.username.data or "",
        password=form.password.data or "",
        port=port,
        tls_mode=form.security.data or (template.tls_mode if template else "implicit"),
        folder=(form.folder.data or "").strip() or "INBOX",
        interval_seconds=int(form.every.data or 10) * 60,
        keep_on_server=not form.delete.data,
    )


def render_remotes(address: str, form: RemoteForm | None = None, status: int = 200) -> Any:
    view = admin_view()
    account = view.account(address)  # NotFound (404) outside the reach
    form = form or RemoteForm(formdata=None)
    form.template.choices = template_choices()
    return render_template(
        "account_remote.html",
        account=account,
        remotes=view.remote_accounts.list(account.address),
        form=form,
    ), status


@bp.get("/accounts/<address>/remote")
def account_remote(address: str) -> Any:
    return render_remotes(address)


@bp.post("/accounts/<address>/remote")
def account_remote_add(address: str) -> Any:
    form = RemoteForm()
    form.template.choices = template_choices()
    if form.validate_on_submit():
        try:
            added = admin_view().remote_accounts.add(address, spec_of(form))
        except (InvalidInput, QuotaExceeded) as exc:
            field = getattr(form, field_of(str(exc)))
            field.errors = [*(field.errors or []), str(exc)]
        except PermissionDenied as exc:
            if "without TLS" not in str(exc):  # the administrator's own rights: 403
                raise
            form.security.errors = [*(form.security.errors or []), str(exc)]
        else:
            flash(
                _("Remote mailbox %(label)s added; it is fetched within a minute.", label=added.label),
                "success",
            )
            return redirect(url_for("pages.account_remote", address=address))
    return render_remotes(address, form, 400)


@bp.post("/accounts/<address>/remote/<int:remote_id>/delete")
def account_remote_delete(address: str, remote_id: int) -> Any:
    admin_view().remote_accounts.delete(address, remote_id)
    flash(_("Remote mailbox deleted; the mail fetched from it stays."), "success")
    return redirect(url_for("pages.account_remote", address=address))


@bp.post("/accounts/<address>/remote/<int:remote_id>/fetch")
def account_remote_fetch(address: str, remote_id: int) -> Any:
    admin_view().remote_accounts.fetch_now(address, remote_id)
    flash(_("The remote mailbox is fetched within a minute."), "success")
    return redirect(url_for("pages.account_remote", address=address))
