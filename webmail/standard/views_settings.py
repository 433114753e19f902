"""Standard settings pages (``/mail/settings/...``): general (language, skin, time zone, signature, quota
meter), blocked and safe senders, temporary aliases, password. Rules and out-of-office are in
views_settings_filters.py. What each page may change, and why, is docs/webmail-settings.md.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from storage.errors import AlreadyExists, InvalidInput, PermissionDenied, QuotaExceeded
from webmail import settings_pages as pages
from webmail.binding import user_mail
from webmail.settings_forms import ActionForm, AliasForm, GeneralForm, PasswordForm, SendersForm, lines
from webmail.standard.blueprint import bp

BLOCKED, SAFE = "lists.blocked_senders", "lists.safe_senders"


def _posted() -> bool:
    return request.method == "POST"


@bp.route("/settings/", methods=["GET", "POST"])
def settings_general() -> Any:
    form = GeneralForm()
    if pages.general(form, _posted()):
        flash(_("Your settings were saved."), "info")
        return redirect(url_for("standard.settings_general"))
    quota = user_mail().preferences.quota()
    return render_template("standard/settings_general.html", form=form, quota=quota, tab="general")


@bp.route("/settings/senders", methods=["GET", "POST"])
def settings_senders() -> Any:
    prefs = user_mail().preferences
    form = SendersForm()
    if not _posted():
        form.blocked.data = "\n".join(prefs.sender_list(BLOCKED))
        form.safe.data = "\n".join(prefs.sender_list(SAFE))
    elif form.validate():
        saved = True
        for name, field in ((BLOCKED, form.blocked), (SAFE, form.safe)):
            try:
                prefs.set_sender_list(name, lines(field.data))
            except InvalidInput as exc:
                pages.field_error(form, field.name, str(exc))
                saved = False
        if saved:
            flash(_("Your sender lists were saved."), "info")
            return redirect(url_for("standard.settings_senders"))
    return render_template("standard/settings_senders.html", form=form, tab="senders")


@bp.route("/settings/aliases", methods=["GET", "POST"])
def settings_aliases() -> Any:
    aliases = user_mail().temporary_aliases
    most, max_days = aliases.limits()
    form = AliasForm()
    if not _posted():
        form.days.data = max_days
    elif form.validate():
        try:
            made = aliases.create(form.local_part.data or None, days=form.days.data)
        except (InvalidInput, AlreadyExists) as exc:
            pages.field_error(form, "days" if "days" in str(exc) else "local_part", str(exc))
        except (PermissionDenied, QuotaExceeded) as exc:
            form.form_errors.append(str(exc))
        else:
            flash(_("%(address)s receives mail from now on.", address=made.address), "info")
            return redirect(url_for("standard.settings_aliases"))
    return render_template(
        "standard/settings_aliases.html",
        form=form,
        action_form=ActionForm(),
        aliases=aliases.list(),
        most=most,
        max_days=max_days,
        tab="aliases",
    )


@bp.post("/settings/aliases/delete")
def settings_alias_delete() -> Any:
    ActionForm().validate_on_submit()  # CSRF is checked for every POST by CSRFProtect already
    address = request.form.get("address", "")
    user_mail().temporary_aliases.delete(address)  # NotFound -> 404 page: not one of yours
    flash(_("%(address)s no longer receives mail.", address=address), "info")
    return redirect(url_for("standard.settings_aliases"))


@bp.route("/settings/password", methods=["GET", "POST"])
def settings_password() -> Any:
    form = PasswordForm()
    if pages.password(form, _posted(), request.remote_addr):
        flash(_("Your password was changed. Other sessions and programs must sign in again."), "info")
        return redirect(url_for("standard.settings_password"))
    return render_template("standard/settings_password.html", form=form, tab="password")
