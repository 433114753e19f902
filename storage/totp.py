"""Time-based one-time passwords (TOTP, RFC 6238, over HOTP, RFC 4226): the arithmetic and nothing else.

Parameters are the ones every authenticator app understands without being told: HMAC-SHA1, six digits, a
30-second step, a 160-bit secret (RFC 4226 section 4 recommends it) shown as unpadded base32. The secret
is made here and sealed by the caller (storage/second_factor.py); everything here is pure: no clock of its
own (the caller passes the time, so tests use a fixed one), no SQL.

Why the standard library and not pyotp: the whole algorithm is HMAC plus "dynamic truncation" (RFC 4226
section 5.3), fewer lines than the glue around a library, and the RFC's own test vectors check it
(tests/storage/test_totp.py).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from typing import Final
from urllib.parse import quote, urlencode

STEP_SECONDS: Final = 30
DIGITS: Final = 6
SECRET_BYTES: Final = 20
#: Steps accepted either side of the current one (RFC 6238 section 5.2 allows for clock drift and the
#: seconds a user takes to type): a code is good for between 60 and 90 seconds.
WINDOW: Final = 1


def new_secret() -> str:
    """A fresh random secret as unpadded upper-case base32 (32 characters), what apps type or scan."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def _key(secret: str) -> bytes:
    text = secret.replace(" ", "").upper()
    try:
        return base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("the secret is not base32") from exc


def hotp(secret: str, counter: int, digits: int = DIGITS) -> str:
    """The HOTP value of ``counter`` (RFC 4226 section 5.3), zero-padded to ``digits``.

    Raises:
        ValueError: ``secret`` is not base32.
    """
    mac = hmac.new(_key(secret), counter.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def step_at(unix_time: float) -> int:
    """The time step (RFC 6238 section 4.2, T0 = 0) that ``unix_time`` falls in."""
    return int(unix_time // STEP_SECONDS)


def code_at(secret: str, unix_time: float) -> str:
    """The code an authenticator shows at ``unix_time``."""
    return hotp(secret, step_at(unix_time))


def normalise_code(text: str) -> str:
    """What the user typed, without the spaces apps put in the middle ("123 456")."""
    return "".join(text.split())


def looks_like_code(text: str) -> bool:
    code = normalise_code(text)
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def matching_step(secret: str, code: str, unix_time: float, *, after: int = -1) -> int | None:
    """The step within ``WINDOW`` of ``unix_time`` whose code is ``code``, or None.

    Args:
        after: only steps greater than this count (the last step already used: no replay, RFC 6238 5.2).
    """
    code = normalise_code(code)
    if not looks_like_code(code):
        return None
    now = step_at(unix_time)
    found = None
    for step in range(now - WINDOW, now + WINDOW + 1):
        # compare every candidate (constant work whichever matches)
        if hmac.compare_digest(hotp(secret, step), code) and step > after and found is None:
            found = step
    return found


def provisioning_uri(secret: str, label: str, issuer: str) -> str:
    """The ``otpauth://totp/...`` URI an app reads from the QR code (the de-facto "Key Uri Format")."""
    query = urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": STEP_SECONDS}
    )
    return f"otpauth://totp/{quote(issuer, safe='')}:{quote(label, safe='@')}?{query}"
