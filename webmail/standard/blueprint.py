"""The Standard interface's blueprint object (``/mail``), kept apart so view modules import it without
importing the package that imports them."""

from __future__ import annotations

from flask import Blueprint

from webmail.sessions import require_login

bp = Blueprint("standard", __name__, url_prefix="/mail")
bp.before_request(require_login)
