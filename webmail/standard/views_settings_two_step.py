"""Standard settings pages "Two-step sign-in" and "App passwords" (``/mail/settings/two-step``,
``/mail/settings/app-passwords``); what they do is webmail/two_step_settings.py, the user's guide
docs/webmail-settings.md."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webmail import sessions
from webmail import two_step_settings as pages
from webmail.binding import current_store, current_user_account
from webmail.settings_forms import ActionForm
from webmail.standard.blueprint import bp


def _two_step(**extra: Any) -> Any:
    values: dict[str, Any] = {
        "page": pages.two_step_page(),
        "form": pages.CodeForm(),
        "disable_form": pages.CodeForm(prefix="off"),
        "recovery_form": pages.CodeForm(prefix="new"),
        "action_form": ActionForm(),
        "tab": "two_step",
        "recovery_codes": None,
    }
    values.update(extra)
    return render_template("standard/settings_two_step.html", **values)


@bp.get("/settings/two-step")
def settings_two_step() -> Any:
    return _two_step()


@bp.post("/settings/two-step/enrol")
def settings_two_step_enrol() -> Any:
    pages.enrol()  # CSRF checked by CSRFProtect
    return redirect(url_for("standard.settings_two_step"))


@bp.post("/settings/two-step/confirm")
def settings_two_step_confirm() -> Any:
    form = pages.CodeForm()
    codes = pages.confirm(form)
    if codes is None:
        return _two_step(form=form), 400
    # turning it on ended every session of the account (storage bumps the password generation): this
    # one goes on, the others sign in again with the code
    sessions.start(
        current_store().accounts.by_id(current_user_account().account_id), sessions.current_interface()
    )
    g.pop("csrf_token", None)  # the page's forms must carry the new session's token (flask-wtf caches it)
    return _two_step(recovery_codes=codes)  # shown once: this answer is the only place they appear


@bp.post("/settings/two-step/disable")
def settings_two_step_disable() -> Any:
    form = pages.CodeForm(prefix="off")
    if not pages.disable(form):
        return _two_step(disable_form=form), 400
    flash(_("Two-step sign-in is off. Your app passwords were removed."), "info")
    return redirect(url_for("standard.settings_two_step"))


@bp.post("/settings/two-step/recovery-codes")
def settings_two_step_recovery() -> Any:
    form = pages.CodeForm(prefix="new")
    codes = pages.new_recovery_codes(form)
    if codes is None:
        return _two_step(recovery_form=form), 400
    return _two_step(recovery_codes=codes)


def _app_passwords(form: pages.AppPasswordForm, created: Any = None) -> Any:
    return render_template(
        "standard/settings_app_passwords.html",
        form=form,
        created=created,
        passwords=pages.app_passwords(),
        state=pages.two_step_page().state,
        action_form=ActionForm(),
        tab="app_passwords",
    )


@bp.route("/settings/app-passwords", methods=["GET", "POST"])
def settings_app_passwords() -> Any:
    form = pages.AppPasswordForm()
    if request.method == "POST":
        created = pages.create_app_password(form)
        if created is None:
            return _app_passwords(form), 400
        return _app_passwords(pages.AppPasswordForm(formdata=None), created)  # the password, shown once
    return _app_passwords(form)


@bp.post("/settings/app-passwords/revoke")
def settings_app_password_revoke() -> Any:
    pages.revoke_app_password(request.form.get("id", ""))
    flash(_("The app password was revoked: programs using it can no longer sign in."), "info")
    return redirect(url_for("standard.settings_app_passwords"))
