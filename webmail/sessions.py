"""Signed-in sessions: flask-login, the idle and absolute limits, and the login guard of the blueprints.

A session is Flask's signed cookie (nothing server-side to share between gunicorn workers) holding the
account id, the account's password generation, the login time and the time of the last request. It ends:

* after ``web.session_idle_seconds`` without a request, or ``web.session_max_seconds`` after login
  however active (both read live, for the account, on every request);
* when the account, its domain or its WebMail switch is turned off;
* when the password changes anywhere (the generation stored at login no longer matches), so a stolen
  cookie dies with a password change;
* at logout (``POST /logout``), which clears the cookie. A copy of a cookie taken before logout stays
  valid until one of the limits above: that is the price of cookie sessions, and why the limits exist.

The time of the last request is written at most once a step (:func:`seen_step`), not on every request:
each write sends the whole signed cookie again, and a response still on its way when the user signs out
(the Ajax page's push channel, a message body, a refresh in another tab) would put the signed-in cookie
back into the browser, undoing the sign-out (a browser test that signed out, or cleared its cookies,
found itself signed in again). Most responses now carry no cookie; one that refreshes the time in that
instant still can, which only server-side sessions would close.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, flash, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user

from storage.errors import NotFound
from storage.models import Account
from webmail.binding import WebUser, current_store
from webmail.user_settings import user_settings

LOGIN_AT = "login_at"
SEEN_AT = "seen_at"
SEEN_STEP = 60.0  # seconds: the most the time of the last request lags (a tenth of a shorter idle limit)
INTERFACE = "interface"
EXPIRED = _l("Your session has ended. Please sign in again.")

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to continue.")
login_manager.login_message_category = "info"
login_manager.session_protection = None  # our own limits; "strong" would drop sessions on IP changes


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.before_request(enforce_limits)


@login_manager.user_loader  # type: ignore[untyped-decorator]  # flask-login ships no type hints
def load_user(user_id: str) -> WebUser | None:
    try:
        account = current_store().accounts.by_id(int(user_id))
    except (NotFound, ValueError):
        return None
    if not account.enabled or session.get("pwgen") != account.password_generation:
        return None
    return web_user(account)


def web_user(account: Account) -> WebUser:
    return WebUser(
        account_id=account.id,
        address=account.address,
        display_name=account.display_name or account.address,
        domain=account.address.rpartition("@")[2],
        password_generation=account.password_generation,
    )


def start(account: Account, interface: str) -> None:
    """Sign ``account`` in: a fresh session (nothing kept from before login: no fixation)."""
    session.clear()
    login_user(web_user(account))
    now = int(time.time())
    session[LOGIN_AT] = now
    session[SEEN_AT] = now
    session["pwgen"] = account.password_generation
    session[INTERFACE] = interface  # a browser-session cookie: the limits above are checked here


def end() -> None:
    logout_user()
    session.clear()


def enforce_limits() -> Any:
    """before_request: end a session past its limits, or whose account may no longer use WebMail (gone,
    disabled, switched off, password changed), and send the browser to the sign-in page with a note
    (and back to the page it asked for, after signing in)."""
    if request.endpoint in ("health", "skin_static") or LOGIN_AT not in session:
        return None
    now = time.time()
    if current_user.is_authenticated:
        limits = user_settings()
        idle = now - float(session.get(SEEN_AT, 0))
        age = now - float(session.get(LOGIN_AT, 0))
        if limits.webmail_enabled and idle <= limits.idle_seconds and age <= limits.max_seconds:
            if idle >= seen_step(limits.idle_seconds):
                session[SEEN_AT] = int(now)  # the cookie is sent again only then (module docstring)
            return None
    end()
    if request.blueprint == "jmap":
        return None  # the API answers 401 itself (webmail/jmap/auth.py); no page to redirect to
    flash(str(EXPIRED), "info")
    if request.endpoint == "auth.login":
        return None
    return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))


def seen_step(idle_seconds: float) -> float:
    """How old the stored time of the last request may get before a request writes it again: a minute,
    or a tenth of the idle limit when that is shorter, so a session never ends much before its limit."""
    return min(SEEN_STEP, idle_seconds / 10)


def require_login() -> Any:
    """before_request of every interface blueprint: anonymous requests go to the login page."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def current_interface() -> str:
    """The interface chosen at login (or by the switch link)."""
    chosen = session.get(INTERFACE)
    settings = user_settings()
    return chosen if chosen in settings.interfaces else settings.interface
