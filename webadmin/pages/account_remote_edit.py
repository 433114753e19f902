"""Changing one remote mailbox of an account in place (``fieldpost rpop`` only adds and deletes), next to
the list of webadmin/pages/account_remote.py: a form filled with the stored values; the password field is left empty
to keep the stored password (which is sealed and never shown). Storage (``view.remote_accounts.change``)
checks the domain permission "accounts", applies the same rules and limits as when adding, and answers
NotFound for a mailbox of another account or outside the administrator's domains. A change brings the
next fetch forward to now and clears the last error.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from storage.errors import InvalidInput, NotFound, PermissionDenied, QuotaExceeded
from storage.remote_accounts import RemoteAccount, RemoteSpec
from webadmin.binding import admin_view
from webadmin.pages import bp
from webadmin.pages.account_remote import SECURITY, field_of


class ChangeRemoteForm(FlaskForm):  # type: ignore[misc]  # wtforms ships no type hints
    protocol = SelectField(
        _l("Protocol"), choices=[("imap", "IMAP"), ("pop3", "POP3")], validate_choice=False
    )
    host = StringField(_l("Server"), validators=[DataRequired(), Length(max=255)])
    port = IntegerField(_l("Port"), validators=[Optional(), NumberRange(1, 65535)])
    security = SelectField(_l("Security"), choices=list(SECURITY), validate_choice=False)
    username = StringField(_l("User name on the remote server"), validators=[DataRequired(), Length(max=255)])
    password = PasswordField(_l("Remote password"), validators=[Optional(), Length(max=1024)])
    folder = StringField(_l("Local folder"), validators=[Length(max=1000)])
    every = IntegerField(_l("Minutes between fetches"), validators=[DataRequired(), NumberRange(1, 10080)])
    delete = BooleanField(_l("Delete fetched mail from the remote server"))
    enabled = BooleanField(_l("Fetch this mailbox"))


def form_of(remote: RemoteAccount) -> ChangeRemoteForm:
    return ChangeRemoteForm(
        formdata=None,
        protocol=remote.protocol,
        host=remote.host,
        port=remote.port,
        security=remote.tls_mode,
        username=remote.username,
        folder=remote.folder,
        every=remote.interval_seconds // 60,
        delete=not remote.keep_on_server,
        enabled=remote.enabled,
    )


def spec_of(form: ChangeRemoteForm) -> RemoteSpec:
    """What the form asks for; an empty password keeps the stored one (None to storage)."""
    return RemoteSpec(
        protocol=form.protocol.data or "imap",
        host=(form.host.data or "").strip(),
        username=form.username.data or "",
        password=form.password.data or None,
        port=form.port.data or None,
        tls_mode=form.security.data or "implicit",
        folder=(form.folder.data or "").strip() or "INBOX",
        interval_seconds=int(form.every.data or 10) * 60,
        keep_on_server=not form.delete.data,
        enabled=bool(form.enabled.data),
    )


def remote_of(address: str, remote_id: int) -> RemoteAccount:
    """The account's remote mailbox ``remote_id`` (NotFound: none such for this account, or no reach)."""
    for remote in admin_view().remote_accounts.list(address):
        if remote.id == remote_id:
            return remote
    raise NotFound(f"remote mailbox {remote_id} of {address} does not exist")


def render_change(address: str, remote: RemoteAccount, form: ChangeRemoteForm, status: int = 200) -> Any:
    account = admin_view().account(address)
    return render_template("account_remote_edit.html", account=account, remote=remote, form=form), status


@bp.get("/accounts/<address>/remote/<int:remote_id>")
def account_remote_edit(address: str, remote_id: int) -> Any:
    remote = remote_of(address, remote_id)
    return render_change(address, remote, form_of(remote))


@bp.post("/accounts/<address>/remote/<int:remote_id>")
def account_remote_change(address: str, remote_id: int) -> Any:
    remote = remote_of(address, remote_id)
    form = ChangeRemoteForm()
    if form.validate_on_submit():
        try:
            changed = admin_view().remote_accounts.change(address, remote_id, spec_of(form))
        except (InvalidInput, QuotaExceeded) as exc:
            field = getattr(form, field_of(str(exc)))
            field.errors = [*(field.errors or []), str(exc)]
        except PermissionDenied as exc:
            if "without TLS" not in str(exc):  # the administrator's own rights: 403
                raise
            form.security.errors = [*(form.security.errors or []), str(exc)]
        else:
            flash(
                _("Remote mailbox %(label)s changed; it is fetched within a minute.", label=changed.label),
                "success",
            )
            return redirect(url_for("pages.account_remote", address=address))
    return render_change(address, remote, form, 400)
