"""Mobile settings (``/m/settings``): the essentials on a phone -- language, skin, time zone and signature,
the out-of-office reply, and the password. Same forms and rules as the Standard pages
(webmail/settings_pages.py); the rules wizard, sender lists and temporary addresses are Standard's.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webmail import settings_pages as pages
from webmail.mobile.blueprint import bp
from webmail.settings_forms import ActionForm, GeneralForm, OutOfOfficeForm, PasswordForm


@bp.route("/settings", methods=["GET", "POST"])
def settings() -> Any:
    form = GeneralForm()
    if pages.general(form, request.method == "POST"):
        flash(_("Your settings were saved."), "info")
        return redirect(url_for("mobile.settings"))
    return render_template("mobile/settings.html", form=form)


@bp.route("/settings/out-of-office", methods=["GET", "POST"])
def settings_out_of_office() -> Any:
    form = OutOfOfficeForm()
    saved, state = pages.out_of_office(form, request.method == "POST")
    if saved:
        flash(_("Your automatic reply was saved."), "info")
        return redirect(url_for("mobile.settings_out_of_office"))
    return render_template(
        "mobile/settings_out_of_office.html", form=form, state=state, action_form=ActionForm()
    )


@bp.post("/settings/filters/activate")
def settings_filters_activate() -> Any:
    pages.filters().activate()
    flash(_("WebMail's rules and automatic reply are now in force."), "info")
    return redirect(url_for("mobile.settings_out_of_office"))


@bp.route("/settings/password", methods=["GET", "POST"])
def settings_password() -> Any:
    form = PasswordForm()
    if pages.password(form, request.method == "POST", request.remote_addr):
        flash(_("Your password was changed. Other sessions and programs must sign in again."), "info")
        return redirect(url_for("mobile.settings"))
    return render_template("mobile/settings_password.html", form=form)
