"""HTTP Basic authentication for the DAV tree (RFC 7617); no cookies, so no CSRF token either.

Every request carries its credentials; ``store.auth.verify`` with service "dav" checks them with the same
argon2 check, in-process cache, shared login throttle and per-account ``services.dav`` switch as IMAP.
An account with two-step sign-in signs in with an app password (storage refuses its account password
with a message saying so, which reaches the client in the 401 body). A throttled name or address gets
429 with ``Retry-After``; every other refusal reads the same 401, so the answer never tells which
accounts exist.
"""

from __future__ import annotations

import math

from flask import Response, request

from storage.errors import AppPasswordRequired, AuthFailed, Throttled
from storage.models import Account
from webmail.basic_auth import credentials
from webmail.binding import current_store

REALM = "Fieldpost calendars and contacts"
SERVICE = "dav"


def challenge(text: str = "Sign in with your address and password (or an app password).") -> Response:
    return Response(
        text + "\n",
        401,
        {"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'},
        mimetype="text/plain",
    )


def authenticate() -> Account | Response:
    """The signed-in account, or the 401/429 answer to send instead."""
    given = credentials(request.headers.get("Authorization"))
    if given is None:
        return challenge()
    user, password = given
    try:
        return current_store().auth.verify(user, password, ip=request.remote_addr, service=SERVICE)
    except Throttled as exc:
        wait = max(1, math.ceil(exc.retry_after))
        return Response(
            f"Too many failed sign-ins. Try again in {wait} seconds.\n",
            429,
            {"Retry-After": str(wait)},
            mimetype="text/plain",
        )
    except AppPasswordRequired as exc:
        return challenge(str(exc))
    except AuthFailed:
        return challenge(
            "Wrong address or password, or calendars and contacts are not enabled for this account."
        )
