"""Resetting another administrator's two-step sign-in (what ``fieldpost two-step reset-admin`` does), for
an administrator who lost both their phone and their recovery codes.

A button on the administrator's page posts here (CSRF token and all); storage decides who may
(``view.second_factors.reset_admin``: server-wide administrators only, PermissionDenied otherwise) and
answers NotFound for a name that does not exist. Resetting removes the factor and its recovery codes; the
administrator then signs in with the password alone and may set two-step sign-in up again.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, url_for
from flask_babel import gettext as _

from webadmin.binding import admin_view
from webadmin.pages import bp


@bp.post("/administrators/<name>/two-step/reset")
def administrator_two_step_reset(name: str) -> Any:
    if admin_view().second_factors.reset_admin(name):
        flash(_("Two-step sign-in of %(name)s was turned off.", name=name), "success")
    else:
        flash(_("%(name)s does not use two-step sign-in; nothing to reset.", name=name), "info")
    return redirect(url_for("pages.administrator_edit", name=name))
