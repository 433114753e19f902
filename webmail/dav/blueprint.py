"""The DAV service: routes, the method table, authentication and the one place errors become answers.

Implementation notes:

* Everything under ``/dav/`` needs HTTP Basic credentials (webmail/dav/auth.py) on every request; no
  cookie is set or read, so the blueprint is exempt from CSRF (there is no ambient credential a foreign
  page could ride on). The secret calendar feed ``/dav/feed/<token>.ics`` needs none: the token is the
  credential, and storage keeps only its hash.
* ``METHODS`` is the surface at a glance: method -> handler. OPTIONS answers without credentials so
  clients can discover the DAV classes first.
* Storage's exceptions are mapped here and only here: NotFound 404, PermissionDenied 403, InvalidInput
  400, QuotaExceeded 507 (DAV:quota-not-exceeded), PreconditionFailed 412, AlreadyExists 409. Protocol
  refusals are DavError. Bad input never takes the worker down.
* The request body is read once, bounded by ``limits.MAX_BODY_BYTES`` (413 beyond).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, redirect, request

from storage.errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    QuotaExceeded,
)
from webmail.binding import current_store
from webmail.dav import limits, paths
from webmail.dav.answers import DavError
from webmail.dav.auth import authenticate
from webmail.dav.mkcol import mkcalendar, mkcol
from webmail.dav.names import dav
from webmail.dav.objects import delete, get, move, put
from webmail.dav.propfind import propfind, proppatch
from webmail.dav.report import report
from webmail.dav.schedule import post
from webmail.dav.tree import Request
from webmail.dav.xml_requests import XmlError

bp = Blueprint("dav", __name__)

Handler = Callable[[Request], Response]

METHODS: dict[str, Handler] = {
    "PROPFIND": propfind,  # RFC 4918 9.1
    "PROPPATCH": proppatch,  # RFC 4918 9.2
    "MKCALENDAR": mkcalendar,  # RFC 4791 5.3.1
    "MKCOL": mkcol,  # RFC 5689 3, RFC 6352 6.3.1
    "GET": get,  # RFC 4918 9.4
    "HEAD": get,  # RFC 9110 9.3.2 (Werkzeug drops the body)
    "PUT": put,  # RFC 4918 9.7, RFC 4791 5.3.2, RFC 6352 6.3.2
    "DELETE": delete,  # RFC 4918 9.6
    "REPORT": report,  # RFC 3253 3.6
    "MOVE": move,  # RFC 4918 9.9 (items, between collections of one home)
    "POST": post,  # RFC 6638: busy-time request to the outbox
}
ALLOW = ", ".join(["OPTIONS", *METHODS])
DAV_CLASSES = "1, 3, access-control, calendar-access, addressbook, extended-mkcol, calendar-auto-schedule"


@bp.route("/dav/", defaults={"sub": ""}, methods=["OPTIONS", *METHODS], provide_automatic_options=False)
@bp.route("/dav/<path:sub>", methods=["OPTIONS", *METHODS], provide_automatic_options=False)
def serve(sub: str) -> Response:
    if request.method == "OPTIONS":
        return Response(b"", 200, {"DAV": DAV_CLASSES, "Allow": ALLOW, "Content-Length": "0"})
    if sub.startswith("feed/"):
        return feed(sub[len("feed/") :]) if request.method in ("GET", "HEAD") else Response(status=405)
    account = authenticate()
    if isinstance(account, Response):
        return account
    length = request.content_length
    if length is not None and length > limits.MAX_BODY_BYTES:
        return Response(f"request body over {limits.MAX_BODY_BYTES} bytes\n", 413, mimetype="text/plain")
    body = request.stream.read(limits.MAX_BODY_BYTES + 1)
    if len(body) > limits.MAX_BODY_BYTES:
        return Response(f"request body over {limits.MAX_BODY_BYTES} bytes\n", 413, mimetype="text/plain")
    req = Request(
        account=account,
        organizer=current_store().for_user(account.id).organizer,
        target=paths.parse(sub),
        depth=request.headers.get("Depth", "infinity").strip().lower(),
        body=body,
        headers=dict(request.headers),
    )
    return answer(METHODS[request.method], req)


def answer(handler: Handler, req: Request) -> Response:
    """Run a handler; storage's and the protocol's refusals become their HTTP answers."""
    try:
        response = handler(req)
    except DavError as exc:
        response = exc.response()
    except XmlError as exc:
        response = DavError(400, str(exc)).response()
    except NotFound as exc:
        response = DavError(404, str(exc)).response()
    except PermissionDenied as exc:
        response = DavError(403, str(exc), dav("need-privileges")).response()
    except PreconditionFailed as exc:
        response = DavError(412, str(exc)).response()
    except QuotaExceeded as exc:
        response = DavError(507, str(exc), dav("quota-not-exceeded")).response()
    except AlreadyExists as exc:
        response = DavError(409, str(exc)).response()
    except InvalidInput as exc:
        response = DavError(400, str(exc)).response()
    response.headers.setdefault("DAV", DAV_CLASSES)
    return response


def feed(name: str) -> Response:
    """The secret read-only ICS feed of one calendar (webcal:// links point here); no sign-in."""
    token = name[: -len(".ics")] if name.endswith(".ics") else name
    try:
        _folder_id, data = current_store().pim_feeds.calendar_for_token(token)
    except NotFound:
        return Response("no such feed\n", 404, mimetype="text/plain")
    return Response(
        data, 200, {"Cache-Control": "private, max-age=300"}, content_type="text/calendar; charset=utf-8"
    )


def well_known(area: str) -> Any:
    """RFC 6764 5: the context path; clients then ask it for DAV:current-user-principal."""
    return redirect(paths.ROOT, 301)


def init_app(app: Flask) -> None:
    """Register the DAV routes and the RFC 6764 well-known redirects; no CSRF on them (no cookies)."""
    from webmail.security import csrf

    csrf.exempt(bp)
    app.register_blueprint(bp)
    methods = ["GET", "HEAD", "PROPFIND", "OPTIONS", "REPORT"]
    app.add_url_rule(
        "/.well-known/caldav",
        "dav_well_known_caldav",
        lambda: well_known("caldav"),
        methods=methods,
        provide_automatic_options=False,
    )
    app.add_url_rule(
        "/.well-known/carddav",
        "dav_well_known_carddav",
        lambda: well_known("carddav"),
        methods=methods,
        provide_automatic_options=False,
    )
