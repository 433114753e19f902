"""WebMail: the Flask application factory.

``create_app(test_config)`` builds the app the web service runs (``wsgi:app`` under gunicorn with gevent
workers). Its parts, one module each:

* :mod:`webmail.binding` -- the Store (opened from ``$FIELDPOST_DATA``, or ``STORE`` / ``DATA_DIR`` from
  ``test_config``), ``current_store()``, ``current_user_account()`` and ``user_mail()``;
* :mod:`webmail.sessions` -- flask-login, session limits, ``require_login`` for the blueprints;
* :mod:`webmail.security` -- secret key, cookies, CSRF, security headers;
* :mod:`webmail.errors` -- storage exceptions -> error pages; :mod:`webmail.i18n`; :mod:`webmail.skins`;
* :mod:`webmail.login` -- ``/``, ``/login``, ``/logout``, the interface switch;
* :mod:`webmail.standard` (``/mail``), :mod:`webmail.mobile` (``/m``) and :mod:`webmail.ajax` (``/ajax``,
  a single page over JMAP) -- the interfaces;
* :mod:`webmail.autoconfig` -- the client set-up answers (Thunderbird, Outlook, Apple), no sign-in;
* :mod:`webmail.dav` (``/dav/``) -- CalDAV and CardDAV for calendar and contact programs (HTTP Basic);
* :mod:`webmail.jmap` (``/jmap/``) -- the JMAP API of the Ajax interface and of JMAP mail programs.

Adding a page (the recipe every area follows):

1. Routes go in a new module ``webmail/standard/views_<area>.py`` (or ``webmail/mobile/...``), which
   registers them on ``bp`` from ``webmail.standard.blueprint``; the package imports every
   ``views_*`` module itself, and the blueprint already requires a signed-in user.
2. Mail is reached only through ``user_mail()`` (``from webmail.binding import user_mail``): every call
   is checked by the ACL engine. Never ``store.mail`` or ``store.folders`` from a page. A missing user
   operation is added to storage's facade (storage/usermail.py), not worked around here.
3. Let storage's exceptions propagate: ``NotFound`` becomes 404, ``PermissionDenied`` 403,
   ``InvalidInput`` and ``QuotaExceeded`` 400 with storage's message (webmail/errors.py).
4. Templates: ``render_template("standard/<area>.html")``, file in ``skins/base/templates/standard/``,
   extending ``layout/frame.html`` (Mobile: ``mobile/frame.html``); a skin may override it under
   ``skins/<skin>/templates/``. Every string in ``{{ _("...") }}``; no inline script or style (the CSP
   refuses them): behaviour in ``skins/base/static/*.js`` loaded with ``<script src>``, looks in CSS.
   After adding strings, ``make messages`` updates the catalogs in ``locales/`` (tests check them).
5. Every form posts with ``{{ csrf_token() }}`` in a hidden ``csrf_token`` field (or a FlaskForm).
6. Tests in ``tests/webmail/``: the ``client`` and ``auth`` fixtures of tests/webmail/conftest.py.
7. tests/webmail/test_rights_walk.py requests every route as bob on alice's ids: a new route argument needs
   a filler in its ``FILLERS``, and a route without ``folder_id``/``uid`` must be listed in ``OWN_PAGES``
   (only the signed-in user's own data), or that test fails and names the route.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, jsonify
from werkzeug.routing import IntegerConverter, Map

from fieldpost import config as configuration


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The WebMail app. ``test_config`` may hold ``STORE`` (a ready Store), ``DATA_DIR``, ``SECRET_KEY``,
    ``FIELDPOST_SECURE_COOKIES`` and any Flask setting; without it the data directory is
    ``$FIELDPOST_DATA`` (set by the supervisor for the web service)."""
    from webmail import (
        autoconfig,
        binding,
        dav,
        errors,
        i18n,
        jmap,
        login,
        page_context,
        security,
        sessions,
        skins,
    )
    from webmail.ajax import bp as ajax_bp
    from webmail.mobile import bp as mobile_bp
    from webmail.standard import bp as standard_bp

    app = Flask(__name__, static_folder=None)
    app.url_map.converters["int"] = BoundedInt  # before any route is added: every <int:...> uses it
    app.jinja_environment = skins.SkinEnvironment
    app.config.from_mapping(
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,
        SESSION_COOKIE_NAME="fieldpost_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if test_config:
        app.config.update(test_config)
    data_dir = _data_dir(app)
    if data_dir is not None and "FIELDPOST_SECURE_COOKIES" not in app.config:
        app.config["FIELDPOST_SECURE_COOKIES"] = configuration.load(data_dir).secure_cookies

    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    binding.init_app(app)
    security.init_app(app, data_dir)
    sessions.init_app(app)
    i18n.init_app(app)
    skins.init_app(app)
    errors.init_app(app)
    page_context.init_app(app)
    app.register_blueprint(login.bp)
    app.register_blueprint(standard_bp)
    app.register_blueprint(mobile_bp)
    app.register_blueprint(ajax_bp)
    autoconfig.init_app(app)
    dav.init_app(app)
    jmap.init_app(app)

    @app.get("/health")
    def health() -> Any:
        return jsonify(status="ok")

    return app


class BoundedInt(IntegerConverter):
    """``<int:...>`` of every route: a number past what an SQL integer holds (and so past any folder id
    or UID) does not match the route, so it is a 404 instead of a driver OverflowError (a 500)."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)


def _data_dir(app: Flask) -> Path | None:
    """The data directory: ``DATA_DIR`` from the config, else ``$FIELDPOST_DATA`` unless a Store was
    given (tests without a data directory get a random secret key)."""
    if app.config.get("DATA_DIR"):
        return Path(app.config["DATA_DIR"])
    if app.config.get("STORE") is not None:
        return None
    data_dir = configuration.from_environment().data_dir
    app.config["DATA_DIR"] = str(data_dir)
    return data_dir
