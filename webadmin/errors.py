"""One mapping from storage's exceptions (and HTTP errors) to WebAdmin's error page.

A page lets ``storage.NotFound`` / ``PermissionDenied`` / ``InvalidInput`` raised by ``admin_view()``
propagate; this answers 404 / 403 / 400 (AlreadyExists: 409). Storage's messages are written for people (storage/errors.py), so
an InvalidInput's text is shown as it is; NotFound shows a fixed text, the same for "does not exist" and
"outside your domains" (storage words those alike, so a delegated administrator learns nothing).
"""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from storage.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied, QuotaExceeded


def error_page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("error.html", status=status, title=title, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(NotFound)
    def not_found(_exc: NotFound) -> tuple[str, int]:
        return error_page(404, _("Not found"), _("There is no such object, or it is outside your reach."))

    @app.errorhandler(PermissionDenied)
    def denied(_exc: PermissionDenied) -> tuple[str, int]:
        return error_page(403, _("Not allowed"), _("Your administrator rights do not cover this."))

    @app.errorhandler(InvalidInput)
    def invalid(exc: InvalidInput) -> tuple[str, int]:
        return error_page(400, _("Cannot do that"), str(exc))

    @app.errorhandler(AlreadyExists)
    def exists(exc: AlreadyExists) -> tuple[str, int]:
        return error_page(409, _("Already exists"), str(exc))

    @app.errorhandler(QuotaExceeded)
    def quota(exc: QuotaExceeded) -> tuple[str, int]:
        return error_page(400, _("Limit reached"), str(exc))

    @app.errorhandler(CSRFError)
    def csrf_failed(_exc: CSRFError) -> tuple[str, int]:
        return error_page(
            400, _("Form expired"), _("The form was too old or not sent from this site. Please try again.")
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int]:
        status = exc.code or 500
        known = {
            400: (_("Bad request"), _("The request was not understood.")),
            403: (_("Not allowed"), _("Your administrator rights do not cover this.")),
            404: (_("Not found"), _("There is no such page.")),
            405: (_("Not allowed"), _("This page cannot be used that way.")),
            413: (_("Too large"), _("What was sent is larger than allowed.")),
            429: (_("Too many requests"), _("Please wait a moment and try again.")),
        }
        title, message = known.get(status, (exc.name, exc.description or ""))
        return error_page(status, title, message)
