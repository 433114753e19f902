"""Mobile settings "Two-step sign-in" (whether it is on, recovery codes left) and "App passwords" (list
with last use, revoke, create) at ``/m/settings/two-step`` and ``/m/settings/app-passwords``. Setting up
an authenticator (a QR code to scan with the same phone) is left to the Standard interface."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webmail import two_step_settings as pages
from webmail.mobile.blueprint import bp
from webmail.settings_forms import ActionForm


@bp.get("/settings/two-step")
def settings_two_step() -> Any:
    return render_template("mobile/settings_two_step.html", state=pages.two_step_page().state)


def _app_passwords(form: pages.AppPasswordForm, created: Any = None) -> Any:
    return render_template(
        "mobile/settings_app_passwords.html",
        form=form,
        created=created,
        passwords=pages.app_passwords(),
        state=pages.two_step_page().state,
        action_form=ActionForm(),
    )


@bp.route("/settings/app-passwords", methods=["GET", "POST"])
def settings_app_passwords() -> Any:
    form = pages.AppPasswordForm()
    if request.method == "POST":
        created = pages.create_app_password(form)
        if created is None:
            return _app_passwords(form), 400
        return _app_passwords(pages.AppPasswordForm(formdata=None), created)
    return _app_passwords(form)


@bp.post("/settings/app-passwords/revoke")
def settings_app_password_revoke() -> Any:
    pages.revoke_app_password(request.form.get("id", ""))
    flash(_("The app password was revoked: programs using it can no longer sign in."), "info")
    return redirect(url_for("mobile.settings_app_passwords"))
