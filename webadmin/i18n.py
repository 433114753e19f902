"""Languages: Flask-Babel over the same catalogs as WebMail (the top-level ``locales/`` folder).

Administrators have no language setting of their own: the browser's best match among the catalogs wins
(English, the source language, when none matches). Strings go through ``_()`` in code and templates;
``make messages`` extracts them (babel.cfg lists webadmin/templates) and tests/webmail/test_i18n.py checks
that the catalogs are complete.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, request
from flask_babel import Babel, format_datetime, get_locale

LOCALES = Path(__file__).resolve().parent.parent / "locales"
DEFAULT_LANGUAGE = "en"


def find_languages(directories: str) -> list[str]:
    """Language tags with a compiled catalog in any of ``directories`` (";"-separated), English always."""
    found = {DEFAULT_LANGUAGE}
    for folder in filter(None, directories.split(";")):
        found |= {p.parent.parent.name for p in Path(folder).glob("*/LC_MESSAGES/messages.mo")}
    return sorted(found)


def select_locale() -> str:
    languages = list(current_app.config["FIELDPOST_LANGUAGES"])
    return request.accept_languages.best_match(languages) or DEFAULT_LANGUAGE


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(LOCALES))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config["FIELDPOST_LANGUAGES"] = tuple(find_languages(app.config["BABEL_TRANSLATION_DIRECTORIES"]))
    Babel(app, locale_selector=select_locale, timezone_selector=lambda: "UTC")
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.filters["datetime"] = lambda value: format_datetime(value, "medium") if value else ""
