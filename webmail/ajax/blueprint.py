"""The Ajax interface's blueprint object (``/ajax``), apart so view modules import it alone."""

from __future__ import annotations

from flask import Blueprint

from webmail.sessions import require_login

bp = Blueprint("ajax", __name__, url_prefix="/ajax")
bp.before_request(require_login)
