"""Languages and time zones: Flask-Babel over the catalogs in the top-level ``locales/`` folder.

Every string of a page goes through ``_()`` / ``gettext`` (templates and code alike); ``babel.cfg``
drives extraction (``pybabel extract -F babel.cfg -o locales/messages.pot .``). The compiled ``.mo``
files are committed next to their ``.po`` so a fresh clone runs without a build step;
tests/webmail/test_i18n.py fails when a ``.mo`` no longer matches its ``.po``.

The language is the account's ``user.language`` once signed in (a language without a catalog shows
English), before that the browser's best match among the catalogs. Dates and times are formatted by
Babel in the account's ``user.timezone`` (UTC before login or for an unknown zone name).
"""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path
from zoneinfo import available_timezones

from flask import Flask, current_app, request
from flask_babel import Babel, format_datetime
from flask_login import current_user

from webmail.user_settings import user_settings

LOCALES = Path(__file__).resolve().parent.parent / "locales"
DEFAULT_LANGUAGE = "en"


def find_languages(directories: str) -> list[str]:
    """Language tags with a compiled catalog in any of ``directories`` (";"-separated, as Flask-Babel
    takes them), English always: the source strings are English."""
    found = {DEFAULT_LANGUAGE}
    for folder in filter(None, directories.split(";")):
        found |= {p.parent.parent.name for p in Path(folder).glob("*/LC_MESSAGES/messages.mo")}
    return sorted(found)


def available_languages() -> list[str]:
    """The app's languages (looked up once, when the app was made)."""
    return list(current_app.config["FIELDPOST_LANGUAGES"])


def select_locale() -> str:
    languages = available_languages()
    if current_user.is_authenticated:
        wanted = user_settings().language.replace("-", "_")
        for tag in (wanted, wanted.split("_")[0]):
            if tag in languages:
                return tag
        return DEFAULT_LANGUAGE
    return request.accept_languages.best_match(languages) or DEFAULT_LANGUAGE


def select_timezone() -> str:
    if current_user.is_authenticated:
        zone = user_settings().timezone
        if zone in _zones():
            return zone
    return "UTC"


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def short_datetime(value: datetime) -> str:
    """A message date in a list: short, in the user's zone and language."""
    return str(format_datetime(value, "short"))


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(LOCALES))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config["FIELDPOST_LANGUAGES"] = tuple(find_languages(app.config["BABEL_TRANSLATION_DIRECTORIES"]))
    Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.filters["short_datetime"] = short_datetime
    app.jinja_env.filters["long_datetime"] = lambda value: format_datetime(value, "medium")
