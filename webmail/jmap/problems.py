"""Request-level errors (RFC 8620 3.6.1) as RFC 7807 problem details, and the HTTP answer they make.

A request-level error refuses the whole request before any method runs: it is an HTTP error status
with ``application/problem+json`` naming the JMAP error URN in ``type``. The ``limit`` error names the
limit that was exceeded in a ``limit`` property, as the RFC asks.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response

URN = "urn:ietf:params:jmap:error:"
UNKNOWN_CAPABILITY = URN + "unknownCapability"
NOT_JSON = URN + "notJSON"
NOT_REQUEST = URN + "notRequest"
LIMIT = URN + "limit"


class Problem(Exception):
    """An RFC 7807 problem: ``type`` a URI (a JMAP error URN or ``about:blank``), ``status`` the HTTP
    status, ``detail`` a sentence for a person, ``extra`` members the type defines."""

    def __init__(self, type_: str, status: int, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.type = type_
        self.status = status
        self.detail = detail
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"type": self.type, "status": self.status, "detail": self.detail, **self.extra}

    def response(self, headers: dict[str, str] | None = None) -> Response:
        return Response(
            json.dumps(self.body()),
            self.status,
            headers or {},
            content_type="application/problem+json",
        )


def limit(name: str, detail: str) -> Problem:
    return Problem(LIMIT, 400, detail, limit=name)
