"""Signing in and out, and choosing the interface (blueprint ``auth``: ``/``, ``/login``, ``/logout``).

Login takes ``user@domain``, or a user name plus a domain picked from a drop-down when the server hosts
several domains (one domain: the name alone is enough). The password is checked by ``store.auth.verify``
with service "webmail": the same argon2 check, cache and brute-force throttle as IMAP, POP3 and SMTP
(failures counted in storage against the name and the client address, whichever service saw them), and
the account's ``services.webmail`` switch. Every refusal reads the same, so the page does not tell which
accounts exist; a throttled login is answered 429 with the wait in ``Retry-After``. An account with
two-step sign-in then gives the code on ``/login/code`` before it is signed in (webmail/second_step.py).

The interface (Standard, Mobile or Ajax) is chosen on the form: preselected Mobile when the browser's
User-Agent matches ``webmail.mobile_agents``, else the account's ``webmail.interface`` ("ajax", the
registry default, falls back to Standard while Ajax is a preview: webmail/user_settings.py). After login the
choice is checked against the account's ``webmail.interfaces``; the switch link in each interface changes
it for the session.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from storage.errors import AuthFailed, Throttled
from webmail import second_step, sessions
from webmail.binding import current_store
from webmail.user_settings import BUILT_INTERFACES, read_settings, user_settings

bp = Blueprint("auth", __name__)

MAX_NAME = 320  # RFC 5321 4.5.3.1: local part 64 + "@" + domain 255
MAX_PASSWORD = 1024
HOMES = {"standard": "standard.home", "mobile": "mobile.home", "ajax": "ajax.home"}
INTERFACE_NAMES = {"standard": _l("Standard"), "mobile": _l("Mobile"), "ajax": _l("Ajax")}


class LoginForm(FlaskForm):  # type: ignore[misc]  # wtforms ships no type hints
    username = StringField(
        _l("Email address or user name"), validators=[DataRequired(), Length(max=MAX_NAME)]
    )
    domain = SelectField(_l("Domain"), choices=[], validate_choice=False)
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD)])
    interface = RadioField(_l("Interface"), choices=[], validate_choice=False)


def hosted_domains() -> list[str]:
    return [d.name for d in current_store().domains.list() if d.enabled]


def home_of(interface: str) -> str:
    return url_for(HOMES.get(interface, HOMES[BUILT_INTERFACES[0]]))


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
    if current_user.is_authenticated:
        return redirect(home_of(sessions.current_interface()))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated and request.method == "GET":
        return redirect(home_of(sessions.current_interface()))
    defaults = user_settings()
    domains = hosted_domains()
    form = LoginForm()
    form.domain.choices = [(d, d) for d in domains]
    form.interface.choices = [(i, str(INTERFACE_NAMES[i])) for i in defaults.interfaces]
    if request.method == "GET":
        form.interface.data = defaults.interface_for(request.user_agent.string)
    error, status, headers = None, 200, {}
    if form.validate_on_submit():
        address = full_address(form.username.data or "", form.domain.data, domains)
        if address is None:
            error, status = _("Choose the domain of your address."), 400
        else:
            try:
                account = current_store().auth.verify(
                    address, form.password.data or "", ip=request.remote_addr, service="webmail"
                )
            except Throttled as exc:
                wait = max(1, math.ceil(exc.retry_after))
                error, status = (
                    _("Too many failed sign-ins. Try again in %(seconds)d seconds.", seconds=wait),
                    429,
                )
                headers["Retry-After"] = str(wait)
            except AuthFailed:
                error, status = (
                    _("Wrong address or password, or WebMail is not enabled for this account."),
                    401,
                )
            else:
                settings = read_settings(account_id=account.id)
                chosen = form.interface.data
                interface = chosen if chosen in settings.interfaces else settings.interface
                target = safe_next(request.args.get("next"))
                if second_step.required(account):
                    return second_step.begin(account, interface, target)
                sessions.start(account, interface)
                return redirect(target or home_of(interface))
    elif request.method == "POST":
        status = 400
    form.password.data = ""
    page = render_template(
        "layout/login.html", form=form, error=error, domains=domains, show_domains=len(domains) > 1
    )
    return page, status, headers


def full_address(username: str, domain: str | None, domains: list[str]) -> str | None:
    """``user@domain`` typed in full, or the name with the domain chosen (or the only domain)."""
    name = username.strip()
    if "@" in name:
        return name
    if domain and domain in domains:
        return f"{name}@{domain}"
    if len(domains) == 1:
        return f"{name}@{domains[0]}"
    return None


@bp.route("/login/code", methods=["GET", "POST"])
def login_code() -> Any:
    """The second step for accounts with two-step sign-in (webmail/second_step.py)."""
    return second_step.page(home_of)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    sessions.end()
    return redirect(url_for("auth.login"))


@bp.route("/interface/<name>")
def switch_interface(name: str) -> Any:
    """The switch link: another allowed interface for the rest of the session (a view choice only)."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if name not in user_settings().interfaces:
        abort(404)
    session[sessions.INTERFACE] = name
    return redirect(home_of(name))
