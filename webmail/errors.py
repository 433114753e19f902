"""One mapping from storage's exceptions (and HTTP errors) to the error page, for every route.

A view lets ``storage.NotFound`` / ``PermissionDenied`` / ``InvalidInput`` / ``QuotaExceeded`` raised by
``user_mail()`` propagate; this module answers 404 / 403 / 400 / 400 with the page of the interface in
use; an HTTP error under ``/jmap/`` (no such route, a wrong method) is a JSON problem detail instead
(webmail/jmap/problems.py), since only JMAP clients ask there. Storage's messages are written for users and never name internal ids (storage/errors.py), so an
InvalidInput's or QuotaExceeded's text is shown as it is; a NotFound or PermissionDenied shows a fixed
text, the same for "does not exist" and "not yours" (storage already words those alike).
"""

from __future__ import annotations

from flask import Flask, Response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from storage.errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    QuotaExceeded,
)
from webmail.jmap.problems import Problem


def error_page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("layout/error.html", status=status, title=title, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(NotFound)
    def not_found(_exc: NotFound) -> tuple[str, int]:
        return error_page(404, _("Not found"), _("This folder or message does not exist."))

    @app.errorhandler(PermissionDenied)
    def denied(_exc: PermissionDenied) -> tuple[str, int]:
        return error_page(403, _("Not allowed"), _("You do not have the rights for this."))

    @app.errorhandler(InvalidInput)
    def invalid(exc: InvalidInput) -> tuple[str, int]:
        return error_page(400, _("Cannot do that"), str(exc))

    @app.errorhandler(QuotaExceeded)
    def quota(exc: QuotaExceeded) -> tuple[str, int]:
        return error_page(400, _("Mailbox full"), str(exc))

    @app.errorhandler(PreconditionFailed)
    def changed_meanwhile(_exc: PreconditionFailed) -> tuple[str, int]:
        return error_page(
            409,
            _("Changed meanwhile"),
            _("Someone changed this item while you were editing it. Open it again to see the new version."),
        )

    @app.errorhandler(AlreadyExists)
    def already_there(exc: AlreadyExists) -> tuple[str, int]:
        return error_page(409, _("Already there"), str(exc))

    @app.errorhandler(CSRFError)
    def csrf_failed(_exc: CSRFError) -> tuple[str, int]:
        return error_page(
            400, _("Form expired"), _("The form was too old or not sent from this site. Please try again.")
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int] | Response:
        status = exc.code or 500
        if request.path == "/jmap" or request.path.startswith("/jmap/"):
            headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}  # Allow, ...
            return Problem("about:blank", status, exc.description or exc.name).response(headers)
        known = {
            400: (_("Bad request"), _("The request was not understood.")),
            403: (_("Not allowed"), _("You do not have the rights for this.")),
            404: (_("Not found"), _("There is no such page.")),
            405: (_("Not allowed"), _("This page cannot be used that way.")),
            413: (_("Too large"), _("What was sent is larger than allowed.")),
            429: (_("Too many requests"), _("Please wait a moment and try again.")),
        }
        title, message = known.get(status, (exc.name, exc.description or ""))
        return error_page(status, title, message)
