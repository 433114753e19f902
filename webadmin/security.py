"""What every WebAdmin response carries and what every request must bring.

* Its own secret (``webadmin-secret.key`` in the data directory, 0600, made on first start) and its own
  session cookie (``fieldpost_admin``): a WebMail cookie is worth nothing here and the reverse, even on
  one host name.
* The cookie is HttpOnly and SameSite=Strict (no other site can make a browser carry it, not even with a
  top-level link); Secure per ``[web] secure_cookies`` of ``fieldpost.toml``, as for WebMail: "auto" (when
  the request came over https), "always" or "never".
* CSRF (flask-wtf) on every POST, PUT, PATCH and DELETE.
* A strict Content-Security-Policy: only this origin's scripts, styles and images, no inline script or
  style, no framing at all; no MIME sniffing, no referrer to other sites, and ``Cache-Control: no-store``
  on every page (administration pages must not stay in a shared cache or the back/forward cache).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

SECRET_FILE = "webadmin-secret.key"
SECRET_BYTES = 32

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # flask-wtf checks Referer on https posts
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}

csrf = CSRFProtect()


def load_or_create_secret(data_dir: Path) -> bytes:
    """The key in ``data_dir``; made (atomically, 0600) when missing. Two workers starting together
    both end up with the file's key: the one that loses the race reads the winner's."""
    path = data_dir / SECRET_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    tmp = path.with_name(f".{SECRET_FILE}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(secrets.token_bytes(SECRET_BYTES))
        out.flush()
        os.fsync(out.fileno())
    try:
        os.link(tmp, path)  # fails if another worker made it first
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_bytes()


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the Secure attribute decided per request."""

    def get_cookie_secure(self, app: Flask) -> bool:
        mode = app.config.get("FIELDPOST_SECURE_COOKIES", "auto")
        return mode == "always" or (mode == "auto" and request.is_secure)


def init_app(app: Flask, data_dir: Path | None) -> None:
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = (
            load_or_create_secret(data_dir) if data_dir else secrets.token_bytes(SECRET_BYTES)
        )
    app.session_interface = SessionCookies()
    csrf.init_app(app)
    app.after_request(add_headers)


def add_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
    return response
