"""Reading an HTTP Basic ``Authorization`` header (RFC 7617), for the APIs that take credentials per
request (DAV, JMAP): one parser, so both refuse the same malformed headers the same way."""

from __future__ import annotations

import base64
import binascii

MAX_CREDENTIALS = 2048  # name + password, encoded, as in the WebMail form's limits


def credentials(header: str | None) -> tuple[str, str] | None:
    """The (user, password) of a Basic Authorization header, or None when absent, of another scheme,
    over the size limit, not base64 of UTF-8, or without a user or a colon."""
    if not header:
        return None
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded or len(encoded) > MAX_CREDENTIALS:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep and user else None
