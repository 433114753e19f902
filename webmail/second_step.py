"""The second step of signing in to WebMail, for accounts that turned two-step sign-in on.

After the password (webmail/login.py), an account with a confirmed factor is not signed in yet: the
session holds only a *pending* sign-in (account id, password generation, chosen interface, where to go
next, when) and the browser is sent to ``/login/code``, which asks for the code from the authenticator app
or one of the recovery codes (storage/second_factor.py checks it, with the login throttle shared with
passwords). Only then does ``sessions.start`` make a real session (a fresh one: nothing of the pending
state is kept).

A pending sign-in ends after ``PENDING_SECONDS``, after ``MAX_TRIES`` wrong codes (back to the password),
or when the password changes meanwhile. App passwords are never taken here: WebMail asks for both steps.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from storage.errors import AuthFailed, NotFound, Throttled
from storage.models import Account
from webmail import sessions
from webmail.binding import current_store

PENDING = "two_step_pending"
PENDING_SECONDS = 300
MAX_TRIES = 5
MAX_CODE = 64


class CodeForm(FlaskForm):  # type: ignore[misc]  # wtforms ships no type hints
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[DataRequired(), Length(max=MAX_CODE)],
    )


def required(account: Account) -> bool:
    """Whether signing ``account`` in needs a code (a confirmed second factor)."""
    return current_store().for_user(account.id).second_factor.state().on


def begin(account: Account, interface: str, target: str | None) -> Response:
    """Remember the password step and ask for the code."""
    session.clear()
    session[PENDING] = {
        "account": account.id,
        "pwgen": account.password_generation,
        "interface": interface,
        "next": target,
        "at": int(time.time()),
        "tries": 0,
    }
    return redirect(url_for("auth.login_code"))


def _pending_account() -> tuple[dict[str, Any], Account] | None:
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    try:
        account = current_store().accounts.by_id(int(pending["account"]))
    except (NotFound, KeyError, TypeError, ValueError):
        return None
    if account.password_generation != pending.get("pwgen"):
        return None
    return pending, account


def _back_to_password(message: str) -> Response:
    session.pop(PENDING, None)
    flash(message, "info")
    return redirect(url_for("auth.login"))


def page(home: Callable[[str], str]) -> Any:
    """``/login/code``: the form, and its check; ``home`` gives an interface's start page."""
    found = _pending_account()
    if found is None:
        return _back_to_password(_("Please sign in again: the sign-in was not finished in time."))
    pending, account = found
    form = CodeForm()
    error, status, headers = None, 200, {}
    if form.validate_on_submit():
        factor = current_store().for_user(account.id).second_factor
        try:
            result = factor.verify(form.code.data or "", ip=request.remote_addr)
        except Throttled as exc:
            wait = max(1, math.ceil(exc.retry_after))
            error, status = (
                _("Too many failed sign-ins. Try again in %(seconds)d seconds.", seconds=wait),
                429,
            )
            headers["Retry-After"] = str(wait)
        except AuthFailed:
            pending["tries"] = int(pending.get("tries", 0)) + 1
            session[PENDING] = pending
            if pending["tries"] >= MAX_TRIES:
                return _back_to_password(_("Too many wrong codes. Please sign in again."))
            error, status = _("That code is not right, or was already used. Try the next one."), 401
        else:
            sessions.start(account, str(pending.get("interface") or "standard"))
            if result.kind == "recovery":
                flash(
                    _(
                        "You signed in with a recovery code; %(left)d are left. Make new ones in the "
                        "settings if you are running out.",
                        left=result.recovery_left,
                    ),
                    "info",
                )
            target = pending.get("next")
            if isinstance(target, str) and target:
                return redirect(target)
            return redirect(home(sessions.current_interface()))
    elif request.method == "POST":
        status = 400
    form.code.data = ""
    return render_template("layout/login_code.html", form=form, error=error), status, headers
