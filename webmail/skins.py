"""Skins: each page's template and CSS come from the user's skin, else from the base skin.

Layout on disk (top-level ``skins/``)::

    skins/base/templates/layout/...     the page frame, login, error page (shared by both interfaces)
    skins/base/templates/standard/...   Standard interface pages
    skins/base/templates/mobile/...     Mobile (XHTML-friendly) pages
    skins/base/static/*.css             the base style sheet
    skins/<skin>/templates/...          a skin's overrides (same relative names), optional
    skins/<skin>/static/skin.css        the skin's look

How the lookup works: a view renders a plain name (``render_template("standard/folder.html")``); the
environment turns it into ``@<skin>/standard/folder.html`` for the request's skin, and the loader tries
``skins/<skin>/templates`` then ``skins/base/templates``. Names inside a template (``extends``,
``include``) inherit the prefix of the template that names them, so a whole page renders in one skin.
Because the skin is part of the name, Jinja's template cache keeps one compiled template per skin and
name, and never serves one skin's page to another's user. ``@base/...`` names the base version
explicitly (a skin's override may extend it).
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, has_request_context, send_from_directory, url_for
from flask.templating import Environment
from jinja2 import BaseLoader, FileSystemLoader, Template, TemplateNotFound
from jinja2 import Environment as JinjaEnvironment

from webmail.user_settings import user_settings

SKINS_DIR = Path(__file__).resolve().parent.parent / "skins"
BASE = "base"
SKINS = ("classic", "collwater", "webreflection")
STATIC_MAX_AGE = 3600


def current_skin() -> str:
    """The request's skin (the user's ``webmail.skin``; the server's before login)."""
    if not has_request_context():
        return BASE
    skin = user_settings().skin
    return skin if skin in SKINS else BASE


def _skin_of(name: str) -> str | None:
    if name.startswith("@") and "/" in name:
        return name[1:].partition("/")[0]
    return None


class SkinLoader(BaseLoader):
    """Loads ``@<skin>/<name>`` from the skin's templates, falling back to the base skin's."""

    def __init__(self, root: Path) -> None:
        base = root / BASE / "templates"
        self._loaders = {BASE: FileSystemLoader([base])}
        for skin in SKINS:
            self._loaders[skin] = FileSystemLoader([root / skin / "templates", base])

    def get_source(
        self, environment: JinjaEnvironment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        skin = _skin_of(template)
        if skin is None or skin not in self._loaders:
            raise TemplateNotFound(template)
        return self._loaders[skin].get_source(environment, template.partition("/")[2])

    def list_templates(self) -> list[str]:
        return sorted(
            f"@{skin}/{name}" for skin, loader in self._loaders.items() for name in loader.list_templates()
        )


class SkinEnvironment(Environment):
    """Flask's Jinja environment, naming every template after the skin it is rendered in."""

    def get_template(
        self,
        name: str | Template,
        parent: str | None = None,
        globals: MutableMapping[str, Any] | None = None,
    ) -> Template:
        if isinstance(name, str):
            name = self.skinned(name, parent)
        return super().get_template(name, parent, globals)

    def select_template(
        self,
        names: Any,
        parent: str | None = None,
        globals: MutableMapping[str, Any] | None = None,
    ) -> Template:
        if not isinstance(names, Template):
            names = [self.skinned(n, parent) if isinstance(n, str) else n for n in names]
        return super().select_template(names, parent, globals)

    @staticmethod
    def skinned(name: str, parent: str | None) -> str:
        if name.startswith("@"):
            return name
        skin = (_skin_of(parent) if parent else None) or current_skin()
        return f"@{skin}/{name}"


def skin_static(skin: str, filename: str) -> Response:
    """``/skins/<skin>/<file>``: the skin's static file, else the base skin's."""
    if skin not in SKINS and skin != BASE:
        abort(404)
    for folder in (SKINS_DIR / skin / "static", SKINS_DIR / BASE / "static"):
        if (folder / filename).is_file():
            return send_from_directory(folder, filename, max_age=STATIC_MAX_AGE)
    abort(404)


def skin_url(filename: str) -> str:
    """URL of a static file of the request's skin (falls back to the base skin's file)."""
    return url_for("skin_static", skin=current_skin(), filename=filename)


def init_app(app: Flask) -> None:
    app.jinja_env.loader = SkinLoader(SKINS_DIR)
    app.add_url_rule("/skins/<skin>/<path:filename>", "skin_static", skin_static)
    app.jinja_env.globals["skin_url"] = skin_url
    app.jinja_env.globals["current_skin"] = current_skin
