"""The Mobile interface's blueprint object (``/m``), kept apart so view modules import it without
importing the package that imports them."""

from __future__ import annotations

from flask import Blueprint

from webmail.sessions import require_login

bp = Blueprint("mobile", __name__, url_prefix="/m")
bp.before_request(require_login)
