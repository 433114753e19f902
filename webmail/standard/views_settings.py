"""Standard settings pages (``/mail/settings/...``): general (language, skin, time zone, signature, quota
meter), blocked and safe senders, temporary aliases, password. Rules and out-of-office are in
views_settings_filters.py. What each page may change, and why, is docs/webmail-settings.md.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webmail import settings_pages as pages
from webmail.binding import user_mail
from webmail.settings_forms import ActionForm, AliasForm, GeneralForm, PasswordForm, SendersForm
from webmail.standard.blueprint import bp


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
    form = SendersForm()
    if pages.senders(form, _posted()):
        flash(_("Your sender lists were saved."), "info")
        return redirect(url_for("standard.settings_senders"))
    return render_template("standard/settings_senders.html", form=form, tab="senders")


@bp.route("/settings/aliases", methods=["GET", "POST"])
def settings_aliases() -> Any:
    form = AliasForm()
    page = pages.aliases(form, _posted())
    if page.created:
        flash(_("%(address)s receives mail from now on.", address=page.created), "info")
        return redirect(url_for("standard.settings_aliases"))
    return render_template(
        "standard/settings_aliases.html",
        form=form,
        action_form=ActionForm(),
        aliases=page.aliases,
        most=page.most,
        max_days=page.max_days,
        tab="aliases",
    )


@bp.post("/settings/aliases/delete")
def settings_alias_delete() -> Any:
    pages.delete_alias(request.form.get("address", ""))  # CSRF checked by CSRFProtect; NotFound -> 404
    return redirect(url_for("standard.settings_aliases"))


@bp.route("/settings/password", methods=["GET", "POST"])
def settings_password() -> Any:
    form = PasswordForm()
    if pages.password(form, _posted(), request.remote_addr):
        flash(_("Your password was changed. Other sessions and programs must sign in again."), "info")
        return redirect(url_for("standard.settings_password"))
    return render_template("standard/settings_password.html", form=form, tab="password")
