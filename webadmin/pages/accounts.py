"""Accounts of a domain: the paged list with a filter, adding one (a random password is shown once),
the edit page (profile, services and quota, password, aliases, temporary aliases), deleting with a
confirmation, and the bulk import from CSV with its per-line report.

Everything goes through ``admin_view()``: the listing is paged in storage (storage.admin_directory), so a
10,000-account domain costs one page of rows; refusals that belong to a field (a password too short, a
class that does not exist) are shown next to it with storage's own words.
"""

from __future__ import annotations

from typing import Any

from flask import Response, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from storage import account_import as csv_import
from storage.admin_directory import MAX_DISPLAY_NAME, SERVICES
from storage.errors import AlreadyExists, InvalidInput, StorageError
from webadmin import nav
from webadmin.binding import admin_view
from webadmin.domain_pick import chosen_domain, domains, page_number, pager, refuse_on, settings_link
from webadmin.pages import bp

nav.add("Accounts", _l("Accounts"), "pages.accounts", order=10)
nav.add("Accounts", _l("Import from CSV"), "pages.account_import", order=15)

PAGE_SIZE = 50
QUOTA_HELP = _l("Bytes, or with a unit: 500M, 2G. Empty: the class's or the domain's quota holds.")


def size_text(value: int) -> str:
    """A size as the quota field takes it back: ``20M`` rather than ``20971520`` where it divides."""
    for unit, factor in (("G", 1024**3), ("M", 1024**2), ("K", 1024)):
        if value and value % factor == 0:
            return f"{value // factor}{unit}"
    return str(value)


def class_choices(domain: str) -> list[tuple[str, str]]:
    return [("", _("(none)"))] + [(c.name, c.name) for c in admin_view().directory.classes(domain)]


class NewAccountForm(FlaskForm):  # type: ignore[misc]  # wtforms ships no type hints
    address = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=MAX_DISPLAY_NAME)])
    random_password = BooleanField(_l("Draw a random password (shown once)"))
    password = PasswordField(_l("Password"), validators=[Length(max=1024)])
    account_class = SelectField(_l("Account class"), choices=[], validate_choice=False)
    quota = StringField(_l("Storage quota"), validators=[Length(max=32)], description=QUOTA_HELP)


class ProfileForm(FlaskForm):  # type: ignore[misc]
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=MAX_DISPLAY_NAME)])
    enabled = BooleanField(_l("Enabled (may log in and receive mail)"))
    account_class = SelectField(_l("Account class"), choices=[], validate_choice=False)
    quota = StringField(_l("Storage quota"), validators=[Length(max=32)], description=QUOTA_HELP)
    imap = BooleanField(_l("IMAP"))
    pop3 = BooleanField(_l("POP3"))
    smtp = BooleanField(_l("SMTP submission"))
    webmail = BooleanField(_l("WebMail"))
    dav = BooleanField(_l("Calendars and contacts (CalDAV/CardDAV)"))


class PasswordForm(FlaskForm):  # type: ignore[misc]
    random_password = BooleanField(_l("Draw a random password (shown once)"))
    password = PasswordField(_l("New password"), validators=[Length(max=1024)])


class AliasForm(FlaskForm):  # type: ignore[misc]
    alias = StringField(_l("New alias (name before the @)"), validators=[DataRequired(), Length(max=64)])


class ImportForm(FlaskForm):  # type: ignore[misc]
    file = FileField(_l("CSV file"), validators=[FileRequired()])


def no_store(body: str, status: int = 200) -> Response:
    """A page that shows a password: never kept by the browser's or a proxy's cache."""
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


# -- the list -----------------------------------------------------------------------------------------


@bp.get("/accounts")
def accounts() -> Any:
    domain = chosen_domain()
    search = request.args.get("q", "").strip()
    offset = (page_number() - 1) * PAGE_SIZE
    try:
        page = admin_view().directory.accounts_page(domain, search=search, offset=offset, limit=PAGE_SIZE)
    except InvalidInput as exc:
        flash(str(exc), "error")
        search = ""
        page = admin_view().directory.accounts_page(domain, offset=0, limit=PAGE_SIZE)
    return render_template(
        "accounts.html",
        domain=domain,
        domains=domains(),
        search=search,
        page=page,
        pager=pager("pages.accounts", page.total, page.offset, PAGE_SIZE, domain=domain, q=search),
    )


# -- adding ---------------------------------------------------------------------------------------------


@bp.route("/accounts/new", methods=["GET", "POST"])
def account_new() -> Any:
    domain = chosen_domain()
    form = NewAccountForm()
    form.account_class.choices = class_choices(domain)
    status = 200
    if form.validate_on_submit():
        password = None if form.random_password.data else (form.password.data or "")
        if password == "":
            form.password.errors = [_("Enter a password, or choose a random one.")]
        else:
            try:
                new = admin_view().directory.add_account(
                    f"{(form.address.data or '').strip()}@{domain}",
                    password,
                    display_name=form.display_name.data,
                    account_class=form.account_class.data or None,
                    quota=form.quota.data,
                )
            except (InvalidInput, AlreadyExists) as exc:
                refuse_on(form, exc, "address")
            else:
                if new.password is not None:
                    body = render_template("account_password.html", address=new.account.address,
                                           password=new.password, created=True)  # fmt: skip
                    return no_store(body)
                flash(_("Account %(address)s added.", address=new.account.address), "success")
                return redirect(url_for("pages.account_edit", address=new.account.address))
    if request.method == "POST":
        status = 400
    return render_template("account_new.html", form=form, domain=domain), status


# -- editing --------------------------------------------------------------------------------------------


def render_edit(
    address: str,
    profile: ProfileForm | None = None,
    password: PasswordForm | None = None,
    alias: AliasForm | None = None,
    status: int = 200,
) -> Any:
    details = admin_view().directory.account_details(address)
    account = details.account
    domain = account.address.rpartition("@")[2]
    if profile is None:
        profile = ProfileForm(formdata=None)
        profile.display_name.data = account.display_name or ""
        profile.enabled.data = account.enabled
        profile.account_class.data = account.account_class or ""
        explicit = admin_view().explicit_settings(account=account.address)
        quota = explicit.get("quota.storage_bytes")
        profile.quota.data = "" if quota is None else size_text(int(quota))
        for name in SERVICES:
            getattr(profile, name).data = details.services[name]
    profile.account_class.choices = class_choices(domain)
    return render_template(
        "account_edit.html",
        details=details,
        account=account,
        domain=domain,
        profile=profile,
        password_form=password or PasswordForm(prefix="pw", formdata=None),
        alias_form=alias or AliasForm(prefix="alias", formdata=None),
        settings_url=settings_link(account=account.address),
    ), status


@bp.route("/accounts/<address>", methods=["GET", "POST"])
def account_edit(address: str) -> Any:
    if request.method == "GET":
        return render_edit(address)
    form = ProfileForm()
    form.account_class.choices = class_choices(admin_view().account(address).address.rpartition("@")[2])
    if form.validate_on_submit():
        try:
            admin_view().directory.update_account(
                address,
                display_name=form.display_name.data,
                enabled=bool(form.enabled.data),
                account_class=form.account_class.data or None,
                quota=form.quota.data,
                services={name: bool(getattr(form, name).data) for name in SERVICES},
            )
        except InvalidInput as exc:
            refuse_on(form, exc, "display_name")
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("pages.account_edit", address=address))
    return render_edit(address, profile=form, status=400)


@bp.post("/accounts/<address>/password")
def account_password(address: str) -> Any:
    form = PasswordForm(prefix="pw")
    if form.validate_on_submit():
        if form.random_password.data:
            password = admin_view().directory.reset_password(address)
            body = render_template("account_password.html", address=address, password=password, created=False)
            return no_store(body)
        if not form.password.data:
            form.password.errors = [_("Enter a password, or choose a random one.")]
        else:
            try:
                admin_view().set_password(address, form.password.data)
            except InvalidInput as exc:
                refuse_on(form, exc, "password")
            else:
                flash(_("Password changed."), "success")
                return redirect(url_for("pages.account_edit", address=address))
    return render_edit(address, password=form, status=400)


@bp.post("/accounts/<address>/aliases")
def account_alias_add(address: str) -> Any:
    form = AliasForm(prefix="alias")
    if form.validate_on_submit():
        domain = admin_view().account(address).address.rpartition("@")[2]
        alias = f"{(form.alias.data or '').strip()}@{domain}"
        try:
            admin_view().add_account_alias(address, alias)
        except (InvalidInput, AlreadyExists) as exc:
            refuse_on(form, exc, "alias")
        else:
            flash(_("Alias %(alias)s added.", alias=alias), "success")
            return redirect(url_for("pages.account_edit", address=address))
    return render_edit(address, alias=form, status=400)


@bp.post("/accounts/<address>/aliases/remove")
def account_alias_remove(address: str) -> Any:
    admin_view().remove_account_alias(address, request.form.get("alias", ""))
    flash(_("Alias removed."), "success")
    return redirect(url_for("pages.account_edit", address=address))


@bp.post("/accounts/<address>/temporary/remove")
def account_temporary_remove(address: str) -> Any:
    admin_view().directory.remove_temporary_alias(address, request.form.get("alias", ""))
    flash(_("Temporary alias ended."), "success")
    return redirect(url_for("pages.account_edit", address=address))


@bp.route("/accounts/<address>/delete", methods=["GET", "POST"])
def account_delete(address: str) -> Any:
    account = admin_view().account(address)
    domain = account.address.rpartition("@")[2]
    if request.method == "POST":
        if request.form.get("confirm") != account.address:
            flash(_("Type the address to confirm."), "error")
            return render_template("account_delete.html", account=account, error=True), 400
        admin_view().delete_account(account.address)
        flash(_("Account %(address)s deleted.", address=account.address), "success")
        return redirect(url_for("pages.accounts", domain=domain))
    return render_template("account_delete.html", account=account, error=False)


# -- bulk import ----------------------------------------------------------------------------------------


@bp.route("/accounts/import", methods=["GET", "POST"])
def account_import() -> Any:
    domain = chosen_domain()
    form = ImportForm()
    status = 200
    if form.validate_on_submit():
        data = form.file.data.read(csv_import.MAX_BYTES + 1)
        try:
            report = csv_import.import_accounts(admin_view(), data, domain=domain)
        except StorageError as exc:
            form.file.errors = [str(exc)]
        else:
            body = render_template("account_import_report.html", report=report, domain=domain)
            return no_store(body)
    if request.method == "POST":
        status = 400
    return render_template(
        "account_import.html",
        form=form,
        domain=domain,
        domains=domains(),
        max_lines=csv_import.MAX_LINES,
        max_kib=csv_import.MAX_BYTES // 1024,
        columns=csv_import.COLUMNS,
    ), status
