"""The second step of an administrator's sign-in (``/login/code``), for administrators who set up
two-step sign-in (webadmin/pages/two_step.py): after the password (webadmin/login.py), the code from the
authenticator app or one of the recovery codes, checked by storage through the administrator's own view
(``store.for_admin(name).second_factors.mine()``: TOTP window, no replay, the shared login throttle).

Registered in ``login.SECOND_STEPS`` when imported (``create_app`` does). A pending sign-in ends after
``login.PENDING_SECONDS`` or ``MAX_TRIES`` wrong codes; then the password is asked again.
"""

from __future__ import annotations

import math
from typing import Any

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from storage import admin_login
from storage.admin_login import AdminIdentity
from storage.errors import AuthFailed, NotFound, PermissionDenied, Throttled
from webadmin import login, sessions
from webadmin.binding import current_store

ENDPOINT = "auth.login_code"
TRIES = "pending_tries"
MAX_TRIES = 5
MAX_CODE = 64


class CodeForm(FlaskForm):  # type: ignore[misc]  # wtforms ships no type hints
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[DataRequired(), Length(max=MAX_CODE)],
    )


def needs_code(admin: AdminIdentity) -> str | None:
    """The second step applies to administrators whose factor is on."""
    try:
        on = current_store().for_admin(admin.name).second_factors.mine().state().on
    except (NotFound, PermissionDenied):
        return None
    return ENDPOINT if on else None


if needs_code not in login.SECOND_STEPS:
    login.SECOND_STEPS.append(needs_code)


def restart_session(name: str) -> None:
    """Start this browser's session again after turning two-step sign-in on (storage bumped the password
    generation, which ends every session made with the password alone, this one too)."""
    admin = admin_login.identity(current_store(), name)
    if admin is not None:
        sessions.start(admin)
        g.pop("csrf_token", None)  # the page's forms must carry the new session's token (flask-wtf caches it)


def _start_over(message: str) -> Any:
    session.clear()
    flash(message, "info")
    return redirect(url_for("auth.login"))


@login.bp.route("/login/code", methods=["GET", "POST"])
def login_code() -> Any:
    admin = login.pending()
    if admin is None:
        return _start_over(_("Please sign in again: the sign-in was not finished in time."))
    form = CodeForm()
    error, status, headers = None, 200, {}
    if form.validate_on_submit():
        factor = current_store().for_admin(admin.name).second_factors.mine()
        try:
            factor.verify(form.code.data or "", ip=request.remote_addr)
        except Throttled as exc:
            wait = max(1, math.ceil(exc.retry_after))
            error, status = (
                _("Too many failed sign-ins. Try again in %(seconds)d seconds.", seconds=wait),
                429,
            )
            headers["Retry-After"] = str(wait)
        except AuthFailed:
            tries = int(session.get(TRIES, 0)) + 1
            session[TRIES] = tries
            if tries >= MAX_TRIES:
                return _start_over(_("Too many wrong codes. Please sign in again."))
            error, status = _("That code is not right, or was already used. Try the next one."), 401
        else:
            return login.complete(admin)
    elif request.method == "POST":
        status = 400
    form.code.data = ""
    return render_template("login_code.html", form=form, error=error), status, headers
