"""Signing in and out (blueprint ``auth``: ``/login``, ``/logout``).

The password is checked by storage (``storage.admin_login.sign_in``): argon2, the shared brute-force
throttle (failures counted against the name and the client address in the database, whichever process
saw them), and a disabled administrator refused with the same words as a wrong password. A throttled
sign-in is answered 429 with the wait in ``Retry-After``.

Two steps: after the password, every function in :data:`SECOND_STEPS` is asked whether this administrator
must prove something more (a TOTP code, say). The first that names an endpoint wins: the password step
is remembered as pending in the session (:func:`pending`) and the browser goes there; that page calls
:func:`complete` once the second factor is proved. Without a second step the session starts at once.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from storage import admin_login
from storage.admin_login import AdminIdentity
from storage.errors import AuthFailed, Throttled
from webadmin import sessions
from webadmin.binding import current_store

bp = Blueprint("auth", __name__)

MAX_NAME = 64
MAX_PASSWORD = 1024
PENDING = "pending_admin"
PENDING_AT = "pending_at"
PENDING_NEXT = "pending_next"
#: how long a password step waits for its second factor
PENDING_SECONDS = 300
HOME = "pages.dashboard"

#: Second sign-in steps: each gets the administrator who passed the password check and answers the
#: endpoint of the page that asks for more, or None. (The TOTP step registers itself here.)
SECOND_STEPS: list[Callable[[AdminIdentity], str | None]] = []


class LoginForm(FlaskForm):  # type: ignore[misc]  # wtforms ships no type hints
    username = StringField(_l("Administrator"), validators=[DataRequired(), Length(max=MAX_NAME)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD)])


def safe_next(target: str | None) -> str | None:
    """``next`` only when it is a path on this site (no scheme, no host: no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/")
def index() -> Any:
    return redirect(url_for(HOME if sessions.signed_in() else "auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if sessions.signed_in() and request.method == "GET":
        return redirect(url_for(HOME))
    form = LoginForm()
    error, status, headers = None, 200, {}
    if form.validate_on_submit():
        try:
            admin = admin_login.sign_in(
                current_store(), form.username.data or "", form.password.data or "", ip=request.remote_addr
            )
        except Throttled as exc:
            wait = max(1, math.ceil(exc.retry_after))
            error, status = (
                _("Too many failed sign-ins. Try again in %(seconds)d seconds.", seconds=wait),
                429,
            )
            headers["Retry-After"] = str(wait)
        except AuthFailed:
            error, status = _("Wrong administrator name or password."), 401
        else:
            return after_password(admin, safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    form.password.data = ""
    return render_template("login.html", form=form, error=error), status, headers


def after_password(admin: AdminIdentity, target: str | None) -> Any:
    """The password is right: ask for a second step if one applies, else start the session."""
    for step in SECOND_STEPS:
        endpoint = step(admin)
        if endpoint is not None:
            session.clear()
            session[PENDING] = admin.name
            session[PENDING_AT] = int(time.time())
            session[PENDING_NEXT] = target
            return redirect(url_for(endpoint))
    sessions.start(admin)
    return redirect(target or url_for(HOME))


def pending() -> AdminIdentity | None:
    """The administrator who passed the password step of this browser and still owes a second factor
    (None when there is none, or it waited too long, or the administrator changed since)."""
    name = session.get(PENDING)
    if not isinstance(name, str) or time.time() - float(session.get(PENDING_AT, 0)) > PENDING_SECONDS:
        return None
    admin = admin_login.identity(current_store(), name)
    return admin if admin is not None and admin.enabled else None


def complete(admin: AdminIdentity) -> Any:
    """The second factor is proved: start the session and go where the sign-in was headed."""
    target = safe_next(session.get(PENDING_NEXT))
    sessions.start(admin)
    return redirect(target or url_for(HOME))


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    sessions.end()
    return redirect(url_for("auth.login"))
