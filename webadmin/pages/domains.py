"""Domains: the list (paged, filtered), adding one with its postmaster's password, and one domain's page
(aliases, rename, switch off, delete with confirmation, its limits, links to its settings).

Everything goes through ``admin_view()``: a delegated administrator lists only the domains granted to
them, gets 404 for any other (storage words "outside your domains" as "does not exist"), and 403 for
work their permissions do not cover. A refused or bad input (a name that is not a domain, one that is
taken) is shown next to its field with storage's message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from storage.errors import AlreadyExists, InvalidInput
from storage.models import Domain
from webadmin import nav
from webadmin.binding import admin_view
from webadmin.pages import bp
from webadmin.pages.settings import display, sheet_page

nav.add(
    "Domains",
    _l("All domains"),
    "pages.domains",
    order=10,
    also=("pages.domain", "pages.domain_settings", "pages.domain_limits", "pages.delete_domain"),
)
nav.add("Domains", _l("Add a domain"), "pages.add_domain", order=20, server_only=True, right="domains")

PAGE_SIZE = 25
MAX_FILTER = 255
#: the domain-level settings shown as the domain's limits (each also on its settings page)
LIMITS = (
    "limits.accounts",
    "quota.storage_bytes",
    "quota.messages",
    "quota.folders",
    "quota.warn_percent",
    "mail.max_message_bytes",
    "mail.max_recipients",
)


#: the other areas of one domain (endpoint taking ``domain``, label), linked from its page when present
AREAS = (
    ("pages.accounts", _l("Accounts")),
    ("pages.account_classes", _l("Account classes")),
    ("pages.groups", _l("Groups")),
    ("pages.forwarders", _l("Forwarders")),
    ("pages.public_folders", _l("Public folders")),
    ("pages.storage_report_domain", _l("Storage report")),
)


class AddDomainForm(FlaskForm):  # type: ignore[misc]  # wtforms ships no type hints
    name = StringField(_l("Domain name"), validators=[DataRequired(), Length(max=255)])
    password = PasswordField(_l("Postmaster password"), validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        _l("Postmaster password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class RenameForm(FlaskForm):  # type: ignore[misc]
    new_name = StringField(_l("New name"), validators=[DataRequired(), Length(max=255)])


class AliasForm(FlaskForm):  # type: ignore[misc]
    alias = StringField(_l("Alias domain"), validators=[DataRequired(), Length(max=255)])


class DeleteForm(FlaskForm):  # type: ignore[misc]
    confirm_name = StringField(_l("Type the domain's name to confirm"), validators=[DataRequired()])


@dataclass(frozen=True)
class Page:
    """One page of a list, for the ``pager`` macro."""

    number: int
    pages: int
    prev_url: str | None
    next_url: str | None


def page_of(items: list[Domain], number: int, query: str) -> tuple[list[Domain], Page]:
    pages = max(1, -(-len(items) // PAGE_SIZE))
    number = min(max(1, number), pages)

    def link(n: int) -> str:
        return url_for("pages.domains", q=query or None, page=n)

    shown = items[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    return shown, Page(
        number, pages, link(number - 1) if number > 1 else None, link(number + 1) if number < pages else None
    )


@bp.get("/domains")
def domains() -> Any:
    query = request.args.get("q", "").strip().lower()[:MAX_FILTER]
    try:
        number = int(request.args.get("page", "1"))
    except ValueError:
        number = 1
    found = [
        d
        for d in admin_view().list_domains()
        if not query or query in d.name or any(query in a for a in d.aliases)
    ]
    shown, page = page_of(found, number, query)
    return render_template("domains.html", domains=shown, page=page, query=query, total=len(found))


@bp.route("/domains/new", methods=["GET", "POST"])
def add_domain() -> Any:
    form = AddDomainForm()
    status = 200
    if form.validate_on_submit():
        try:
            domain = admin_view().add_domain(form.name.data or "", form.password.data or "")
        except (InvalidInput, AlreadyExists) as exc:
            form.name.errors.append(str(exc))
        else:
            flash(_("Domain %(name)s added.", name=domain.name), "success")
            return redirect(url_for("pages.domain", domain=domain.name))
    if request.method == "POST":
        status = 400
    form.password.data = form.confirm.data = ""
    return render_template("domain_add.html", form=form), status


def domain_page(domain: str, status: int = 200, **forms: Any) -> Any:
    view = admin_view()
    found = view.domain(domain)
    sheet = view.setting_sheets.read(domain=found.name)
    limits = [row for row in sheet.rows if row.setting.name in LIMITS]
    page = render_template(
        "domain.html",
        domain=found,
        limits=limits,
        display=display,
        areas=[(endpoint, label) for endpoint, label in AREAS if endpoint in current_app.view_functions],
        rename_form=forms.get("rename_form") or RenameForm(formdata=None),
        alias_form=forms.get("alias_form") or AliasForm(formdata=None),
    )
    return page, status


@bp.get("/domains/<domain>")
def domain(domain: str) -> Any:
    return domain_page(domain)


@bp.post("/domains/<domain>/rename")
def rename_domain(domain: str) -> Any:
    form = RenameForm()
    if form.validate_on_submit():
        try:
            renamed = admin_view().rename_domain(domain, form.new_name.data or "")
        except (InvalidInput, AlreadyExists) as exc:
            form.new_name.errors.append(str(exc))
        else:
            flash(_("Domain renamed to %(name)s.", name=renamed.name), "success")
            return redirect(url_for("pages.domain", domain=renamed.name))
    return domain_page(domain, 400, rename_form=form)


@bp.post("/domains/<domain>/aliases")
def add_domain_alias(domain: str) -> Any:
    form = AliasForm()
    if form.validate_on_submit():
        try:
            admin_view().add_domain_alias(domain, form.alias.data or "")
        except (InvalidInput, AlreadyExists) as exc:
            form.alias.errors.append(str(exc))
        else:
            flash(_("Alias %(alias)s added.", alias=(form.alias.data or "").strip().lower()), "success")
            return redirect(url_for("pages.domain", domain=domain))
    return domain_page(domain, 400, alias_form=form)


@bp.post("/domains/<domain>/aliases/<alias>/delete")
def remove_domain_alias(domain: str, alias: str) -> Any:
    admin_view().remove_domain_alias(domain, alias)
    flash(_("Alias %(alias)s removed.", alias=alias), "success")
    return redirect(url_for("pages.domain", domain=domain))


@bp.post("/domains/<domain>/enabled")
def set_domain_enabled(domain: str) -> Any:
    admin_view().domain(domain)  # another tenant's domain: 404 before anything else is looked at
    wanted = request.form.get("enabled")
    if wanted not in ("yes", "no"):
        abort(400)
    admin_view().set_domain_enabled(domain, wanted == "yes")
    if wanted == "yes":
        flash(_("Domain %(name)s is on.", name=domain), "success")
    else:
        flash(
            _("Domain %(name)s is off: it receives no mail and its accounts cannot sign in.", name=domain),
            "success",
        )
    return redirect(url_for("pages.domain", domain=domain))


@bp.route("/domains/<domain>/delete", methods=["GET", "POST"])
def delete_domain(domain: str) -> Any:
    found = admin_view().domain(domain)
    form = DeleteForm()
    status = 200
    if form.validate_on_submit():
        if (form.confirm_name.data or "").strip().lower() != found.name:
            form.confirm_name.errors.append(_("That is not the name of this domain; nothing was deleted."))
        else:
            admin_view().delete_domain(found.name)
            flash(_("Domain %(name)s deleted with all its accounts and mail.", name=found.name), "success")
            return redirect(url_for("pages.domains"))
    if request.method == "POST":
        status = 400
    return render_template("domain_delete.html", domain=found, form=form), status


@bp.route("/domains/<domain>/limits", methods=["GET", "POST"])
def domain_limits(domain: str) -> Any:
    return sheet_page(
        "domain",
        _("Limits of %(domain)s", domain=domain),
        {"domain": domain},
        {"domain": domain},
        only=LIMITS,
    )
