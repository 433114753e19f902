"""Who a JMAP request is from: the WebMail session cookie (the Ajax client) or HTTP Basic credentials
(third-party clients).

Implementation notes:

* A request carrying an ``Authorization`` header is judged by it alone; any cookie is ignored. Basic
  credentials go through ``store.auth.verify`` with service "jmap": the same argon2 check, cache,
  shared login throttle (429 with ``Retry-After``) and per-account switch (``services.jmap``) as
  IMAP and DAV. An account with two-step sign-in must use an app password (its account password is
  refused with storage's message saying so). Bearer tokens are not issued by this server (no OAuth):
  a Bearer header is refused like a wrong password.
* Credentials travel only over TLS unless the operator said otherwise, following ``[web]
  secure_cookies``: "auto" (the default) takes Basic only on requests that came over https (directly,
  or through a proxy on 127.0.0.1 that sends ``X-Forwarded-Proto``, which gunicorn trusts); "always"
  says a TLS proxy fronts every request, so every request is taken; "never" allows plain HTTP
  (tests, or a trusted network).
* Without an Authorization header, the WebMail session (flask-login's signed cookie, with its idle and
  absolute limits, enforced by webmail/sessions.py) signs the request in. Then a POST must carry the
  CSRF token in an ``X-CSRFToken`` header (flask-wtf's check), or any page on the web could make the
  signed-in browser call the API. The blueprint is exempt from the app-wide check because Basic
  requests carry no ambient credential and need no token.
* Either way the account must have ``services.jmap`` on (cookie sessions also need ``services.webmail``,
  which the session itself checks).
* A refusal is a problem-details 401 (403 for a missing CSRF token or plain HTTP). The Basic challenge is
  left out when the request carried the WebMail cookie or came from a script of our own pages
  (``Sec-Fetch-Site: same-origin``), so the browser does not pop up its own password dialog in front of
  the Ajax client when its session ended.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import Response, current_app, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from storage.errors import AppPasswordRequired, AuthFailed, NotFound, Throttled
from storage.models import Account
from webmail.basic_auth import credentials
from webmail.binding import WebUser, current_store
from webmail.jmap.problems import Problem

SERVICE = "jmap"
REALM = "Fieldpost JMAP"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Signed:
    account: Account
    by_cookie: bool


class Refused(Exception):
    """Authentication failed: :meth:`response` is the answer (a problem-details 401, 403 or 429)."""

    def __init__(self, status: int, detail: str, *, challenge: bool = True, **headers: str) -> None:
        super().__init__(detail)
        self.problem = Problem("about:blank", status, detail)
        self.headers = headers
        if challenge:
            self.headers["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'

    def response(self) -> Response:
        return self.problem.response(self.headers)


def plain_allowed() -> bool:
    mode = current_app.config.get("FIELDPOST_SECURE_COOKIES", "auto")
    return request.is_secure or mode in ("always", "never")


def authenticate() -> Signed:
    """The account of this request, or Refused."""
    header = request.headers.get("Authorization")
    if header:
        return Signed(_by_basic(header), by_cookie=False)
    return Signed(_by_cookie(), by_cookie=True)


def _by_basic(header: str) -> Account:
    if not plain_allowed():
        raise Refused(403, "credentials are taken over https only", challenge=False)
    given = credentials(header)
    if given is None:
        raise Refused(401, "sign in with HTTP Basic: your address and password (or an app password)")
    user, password = given
    store = current_store()
    try:
        return store.auth.verify(user, password, ip=request.remote_addr, service=SERVICE)
    except Throttled as exc:
        wait = max(1, math.ceil(exc.retry_after))
        raise Refused(
            429,
            f"too many failed sign-ins; try again in {wait} seconds",
            challenge=False,
            **{"Retry-After": str(wait)},
        ) from None
    except AppPasswordRequired as exc:
        raise Refused(401, str(exc)) from None
    except AuthFailed:
        raise Refused(401, "wrong address or password, or JMAP is not enabled for this account") from None


def _by_cookie() -> Account:
    had_cookie = (
        current_app.config["SESSION_COOKIE_NAME"] in request.cookies
        or request.headers.get("Sec-Fetch-Site") == "same-origin"  # our own page's script
    )
    user = current_user._get_current_object() if current_user else None
    if not isinstance(user, WebUser):
        raise Refused(401, "not signed in", challenge=not had_cookie)
    store = current_store()
    try:
        account = store.accounts.by_id(user.account_id)
    except NotFound:
        raise Refused(401, "not signed in", challenge=False) from None
    if not store.auth.service_enabled(account, SERVICE):
        raise Refused(403, "JMAP is not enabled for this account", challenge=False)
    if request.method not in SAFE_METHODS:
        from webmail.security import csrf

        try:
            csrf.protect()
        except CSRFError as exc:
            raise Refused(403, f"CSRF check failed: {exc.description}", challenge=False) from None
    return account
