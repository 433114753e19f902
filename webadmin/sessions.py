"""Administrator sessions: what the signed cookie holds and when a session ends.

A session is Flask's signed cookie (``fieldpost_admin``, nothing server-side to share between gunicorn
workers) holding the administrator's name, their password generation, the login time and the time of the
last request. Before every request it is checked against storage, and it ends:

* after ``web.session_idle_seconds`` without a request, or ``web.session_max_seconds`` after login however
  active (the server-level values, read live on every request);
* when the administrator is deleted or disabled, or their password changes anywhere (the generation
  stored at login no longer matches), so a stolen cookie dies with a password change;
* at sign-out (``POST /logout``), which clears the cookie.

A session that ends sends the browser to the sign-in page with a note, and back to the page it asked for
afterwards.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, flash, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l

from storage import admin_login
from storage.admin_login import AdminIdentity
from webadmin.binding import current_store

ADMIN = "admin"
GENERATION = "pwgen"
LOGIN_AT = "login_at"
SEEN_AT = "seen_at"
LIMITS = ("web.session_idle_seconds", "web.session_max_seconds")
EXPIRED = _l("Your session has ended. Please sign in again.")
#: endpoints answered without a session check (and the sign-in pages, which check for themselves)
OPEN_ENDPOINTS = frozenset({"health", "static"})


def init_app(app: Flask) -> None:
    app.before_request(load_admin)


def start(admin: AdminIdentity) -> None:
    """Sign ``admin`` in: a fresh session (nothing kept from before sign-in: no fixation)."""
    session.clear()
    now = int(time.time())
    session[ADMIN] = admin.name
    session[GENERATION] = admin.password_generation
    session[LOGIN_AT] = now
    session[SEEN_AT] = now
    g.fieldpost_admin = admin.name


def end() -> None:
    session.clear()
    g.pop("fieldpost_admin", None)
    g.pop("fieldpost_admin_view", None)


def signed_in() -> bool:
    return isinstance(g.get("fieldpost_admin"), str)


def load_admin() -> Any:
    """before_request: bind the signed-in administrator, or end a session that must end."""
    if request.endpoint in OPEN_ENDPOINTS or ADMIN not in session:
        return None
    if still_valid():
        session[SEEN_AT] = int(time.time())
        g.fieldpost_admin = session[ADMIN]
        return None
    end()
    flash(str(EXPIRED), "info")
    if request.endpoint in ("auth.login", "auth.logout"):
        return None
    return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))


def still_valid() -> bool:
    store = current_store()
    admin = admin_login.identity(store, str(session.get(ADMIN, "")))
    if admin is None or not admin.enabled or session.get(GENERATION) != admin.password_generation:
        return False
    limits = store.settings.effective_many(LIMITS)
    now = time.time()
    idle = now - float(session.get(SEEN_AT, 0))
    age = now - float(session.get(LOGIN_AT, 0))
    return idle <= float(limits[LIMITS[0]]) and age <= float(limits[LIMITS[1]])
