"""WebAdmin: the administrator's web interface, on its own listener (port 9000 in development).

``create_app(test_config)`` builds the app ``wsgi.py`` serves on the ``webadmin`` listener. Its parts,
one module each:

* :mod:`webadmin.binding` -- the Store, ``current_admin()`` and ``admin_view()`` (the signed-in
  administrator's ``store.for_admin`` view: the only way a page reads or changes anything);
* :mod:`webadmin.security` -- its own secret and cookie, CSRF, security headers;
* :mod:`webadmin.sessions` -- session limits and the checks that end a session;
* :mod:`webadmin.login` -- ``/login`` (two-step capable) and ``/logout``; :mod:`webadmin.second_step`
  -- ``/login/code``, the TOTP step;
* :mod:`webadmin.errors`, :mod:`webadmin.i18n`, :mod:`webadmin.nav`;
* :mod:`webadmin.pages` -- the blueprint every page module adds to (its docstring is the recipe).

``test_config`` takes the same keys as WebMail's: ``STORE`` (a ready Store), ``DATA_DIR``, ``SECRET_KEY``,
``FIELDPOST_SECURE_COOKIES`` and any Flask setting; without them the data directory is
``$FIELDPOST_DATA`` (set by the supervisor for the web service).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, jsonify

from fieldpost import config as configuration


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    from webadmin import binding, errors, i18n, login, pages, second_step, security, sessions

    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.from_mapping(
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        SESSION_COOKIE_NAME="fieldpost_admin",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
    )
    if test_config:
        app.config.update(test_config)
    data_dir = _data_dir(app)
    if data_dir is not None:
        config = configuration.load(data_dir)
        app.config.setdefault("FIELDPOST_SECURE_COOKIES", config.secure_cookies)
        app.config.setdefault("FIELDPOST_HOSTNAME", config.hostname)

    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    binding.init_app(app)
    security.init_app(app, data_dir)
    sessions.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    pages.load()
    del second_step  # imported for its /login/code route and its entry in login.SECOND_STEPS
    app.register_blueprint(login.bp)
    app.register_blueprint(pages.bp)

    @app.get("/health")
    def health() -> Any:
        return jsonify(status="ok", role="webadmin")

    return app


def _data_dir(app: Flask) -> Path | None:
    """``DATA_DIR`` from the config, else ``$FIELDPOST_DATA`` unless a Store was given."""
    if app.config.get("DATA_DIR"):
        return Path(app.config["DATA_DIR"])
    if app.config.get("STORE") is not None:
        return None
    data_dir = configuration.from_environment().data_dir
    app.config["DATA_DIR"] = str(data_dir)
    return data_dir
