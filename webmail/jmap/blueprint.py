"""The JMAP routes on the WebMail listener, and the one place a request is signed in and bounded.

* ``GET /.well-known/jmap`` redirects to ``/jmap/session`` (RFC 8620 2.2), no sign-in needed.
* Everything under ``/jmap/`` is signed in by :mod:`webmail.jmap.auth` (cookie + CSRF token, or HTTP
  Basic) before the view runs; a refusal is a problem-details answer, never a redirect to the login page.
* ``POST /jmap/api`` runs the envelope (:mod:`webmail.jmap.envelope`); the body is read once, bounded by
  ``maxSizeRequest``, and each account has at most ``maxConcurrentRequests`` API requests running in
  this process (the request-level ``limit`` error beyond).
* Upload, download (:mod:`webmail.jmap.blob_routes`) and push (:mod:`webmail.jmap.push`) register their
  routes on the same blueprint.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response, g, redirect, request

from storage.models import Account
from webmail.binding import current_store
from webmail.jmap import envelope, ids, limits, problems, session_resource
from webmail.jmap.auth import Refused, authenticate
from webmail.jmap.problems import Problem
from webmail.jmap.registry import Call, Client

bp = Blueprint("jmap", __name__, url_prefix="/jmap")

#: account id -> requests running now, per kind ("api", "upload"); one dict operation per change, so
#: no lock is needed under gevent (see storage/changes.py for the same reasoning).
_running: dict[tuple[str, int], int] = {}


@bp.before_request
def sign_in() -> Response | None:
    try:
        signed = authenticate()
    except Refused as refused:
        return refused.response()
    g.jmap_account = signed.account
    g.jmap_by_cookie = signed.by_cookie  # a WebMail session, with its limits (push.py checks them again)
    return None


def signed_by_cookie() -> bool:
    """Whether this request was signed in by the WebMail session cookie (else by HTTP Basic)."""
    return bool(g.get("jmap_by_cookie", False))


def signed_account() -> Account:
    account: Account = g.jmap_account
    return account


def json_response(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status, content_type="application/json")


@contextlib.contextmanager
def slot(kind: str, account_id: int, most: int, limit_name: str) -> Iterator[None]:
    """Hold one of ``most`` concurrent slots of ``kind`` for the account, or raise the limit problem."""
    key = (kind, account_id)
    if _running.get(key, 0) >= most:
        raise problems.limit(limit_name, f"at most {most} concurrent {kind} requests per account")
    _running[key] = _running.get(key, 0) + 1
    try:
        yield
    finally:
        left = _running.get(key, 1) - 1
        if left:
            _running[key] = left
        else:
            _running.pop(key, None)


def read_body(most: int, limit_name: str) -> bytes:
    """The request body, at most ``most`` bytes (the limit problem beyond, before reading it all)."""
    length = request.content_length
    if length is not None and length > most:
        raise problems.limit(limit_name, f"the request body is over {most} bytes")
    body = request.stream.read(most + 1)
    if len(body) > most:
        raise problems.limit(limit_name, f"the request body is over {most} bytes")
    return body


@bp.get("/session")
def session() -> Response:
    response = json_response(session_resource.session_object(signed_account()))
    response.headers["Cache-Control"] = "no-cache, no-store"
    return response


@bp.post("/api")
def api() -> Response:
    account = signed_account()
    try:
        if request.mimetype != "application/json":
            raise Problem(problems.NOT_JSON, 400, "the request's Content-Type must be application/json")
        with slot("api", account.id, limits.MAX_CONCURRENT_REQUESTS, "maxConcurrentRequests"):
            body = read_body(limits.MAX_SIZE_REQUEST, "maxSizeRequest")
            user = current_store().for_user(account.id)
            jmap_account = ids.account_id(account.id)
            client = Client(
                ip=request.remote_addr or "",
                port=int(request.environ.get("REMOTE_PORT") or 0),
                tls=request.is_secure,
                host=request.host.rsplit(":", 1)[0],
            )

            def make_call(using: frozenset[str], created_ids: dict[str, str]) -> Call:
                return Call(
                    user=user,
                    account_id=jmap_account,
                    address=account.address,
                    using=using,
                    created_ids=created_ids,
                    client=client,
                )

            answer = envelope.process(body, make_call, session_resource.session_state(account))
    except Problem as problem:
        return problem.response()
    return json_response(answer)


def well_known() -> Any:
    return redirect("/jmap/session", 307)


def init_app(app: Flask) -> None:
    """Register the routes; the blueprint checks CSRF itself, for cookie-signed requests only."""
    from webmail.security import csrf

    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.add_url_rule("/.well-known/jmap", "jmap_well_known", well_known, methods=["GET", "HEAD"])
