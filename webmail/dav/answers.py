"""What handlers answer with: XML responses and the protocol errors they raise.

A handler raises :class:`DavError` for a refusal of the protocol's own (a precondition of RFC 4918,
4791, 6352, 6578 or 3253); storage's exceptions propagate and are mapped in webmail/dav/blueprint.py.
"""

from __future__ import annotations

from flask import Response

from webmail.dav.xml_responses import error_body

XML_TYPE = "application/xml; charset=utf-8"


class DavError(Exception):
    """A refusal: HTTP ``status``, optionally a precondition element (Clark name) and a reason."""

    def __init__(self, status: int, text: str, condition: str | None = None) -> None:
        super().__init__(text)
        self.status = status
        self.text = text
        self.condition = condition

    def response(self) -> Response:
        if self.condition is None:
            return Response(self.text + "\n", self.status, mimetype="text/plain")
        return Response(error_body(self.condition, self.text), self.status, content_type=XML_TYPE)


def xml(body: bytes, status: int = 207, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status, headers or {}, content_type=XML_TYPE)


def empty(status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(b"", status, headers or {})
