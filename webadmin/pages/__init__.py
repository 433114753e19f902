"""The pages of WebAdmin: one blueprint ``bp`` (endpoints ``pages.<view>``), every module of this package.

Adding an area (the recipe every page module follows):

1. A module ``webadmin/pages/<area>.py`` adds its routes on ``bp`` (``from webadmin.pages import bp``) and
   its side-bar links with ``nav.add(section, _l("Label"), "pages.<view>")`` (webadmin/nav.py). Every
   module here is imported by :func:`load` before the blueprint is registered; nothing else to list.
2. The blueprint already requires a signed-in administrator (anonymous requests go to the sign-in page).
3. Storage is reached only through ``admin_view()`` (webadmin/binding.py): each call decides in storage
   what this administrator may do. Let storage's exceptions propagate: webadmin/errors.py answers
   NotFound 404, PermissionDenied 403, InvalidInput 400 with storage's message. To show a validation
   message next to a field instead, catch InvalidInput in the view and put it on the field.
4. Templates in ``webadmin/templates/`` extend ``layout.html`` (blocks ``title`` and ``content``) and draw
   fields with the macros of ``macros.html``; every string in ``_()``; no inline script or style (the
   CSP refuses them). Every form posts ``csrf_token`` (``macros.csrf()`` or a FlaskForm's hidden tag).
   After adding strings, ``make messages``.
5. Tests in ``tests/webadmin/`` with the ``admin_client`` fixture; tests/webadmin/test_csrf.py posts to
   every route without a token and expects a refusal, so a new POST route is covered on its own.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from flask import Blueprint, g, redirect, request, url_for

from webadmin import nav, sessions
from webadmin.binding import admin_view, current_admin

bp = Blueprint("pages", __name__)


@bp.before_request
def require_admin() -> Any:
    if not sessions.signed_in():
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    return None


def is_server_admin() -> bool:
    """Whether the signed-in administrator is a server administrator (asked once per request)."""
    if "fieldpost_is_server" not in g:
        scope = admin_view().scope()
        g.fieldpost_is_server = scope.is_server
        g.fieldpost_server_rights = scope.server_rights
    return bool(g.fieldpost_is_server)


@bp.app_context_processor
def page_context() -> dict[str, Any]:
    if not sessions.signed_in():
        return {}
    server = is_server_admin()
    return {
        "admin_name": current_admin(),
        "is_server_admin": server,
        "nav_sections": nav.sections(server, g.fieldpost_server_rights),
        "nav_active": nav.is_active,
        "section_label": lambda name: nav.section_labels().get(name, lambda: name)(),
    }


def load() -> None:
    """Import every page module of this package (each adds its routes on ``bp``)."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        importlib.import_module(f"{__name__}.{info.name}")
