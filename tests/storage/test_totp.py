"""The TOTP arithmetic against RFC 6238's own test vectors, and the window's edges."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest

from storage import totp

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()  # RFC 6238 appendix B, SHA-1


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_rfc6238_vectors(when: int, expected: str) -> None:
    assert totp.hotp(RFC_SECRET, totp.step_at(when), digits=8) == expected
    assert totp.code_at(RFC_SECRET, when) == expected[-6:]


def test_rfc4226_hotp_vectors() -> None:
    # RFC 4226 appendix D, counters 0..3
    assert [totp.hotp(RFC_SECRET, c) for c in range(4)] == ["755224", "287082", "359152", "969429"]


def test_window_accepts_one_step_either_side_and_no_more() -> None:
    secret = totp.new_secret()
    now = 1_800_000_015.0
    step = totp.step_at(now)
    for delta in (-1, 0, 1):
        assert totp.matching_step(secret, totp.hotp(secret, step + delta), now) == step + delta
    for delta in (-2, 2):
        assert totp.matching_step(secret, totp.hotp(secret, step + delta), now) is None


def test_step_boundary() -> None:
    secret = totp.new_secret()
    start = 1_800_000_000.0 - 1_800_000_000.0 % 30  # the first second of a step
    old = totp.hotp(secret, totp.step_at(start) - 2)
    assert totp.matching_step(secret, old, start - 0.001) is not None  # still within the window
    assert totp.matching_step(secret, old, start) is None  # one step later it is not


def test_after_refuses_used_and_earlier_steps() -> None:
    secret = totp.new_secret()
    now = 1_800_000_015.0
    step = totp.step_at(now)
    code = totp.hotp(secret, step)
    assert totp.matching_step(secret, code, now, after=step) is None
    assert totp.matching_step(secret, totp.hotp(secret, step - 1), now, after=step) is None
    assert totp.matching_step(secret, totp.hotp(secret, step + 1), now, after=step) == step + 1


def test_typed_codes() -> None:
    secret = totp.new_secret()
    code = totp.code_at(secret, 1_800_000_000)
    assert totp.matching_step(secret, f" {code[:3]} {code[3:]} ", 1_800_000_000) is not None
    for bad in ("", "12345", "1234567", "abcdef", "١٢٣٤٥٦"):
        assert totp.matching_step(secret, bad, 1_800_000_000) is None


def test_provisioning_uri() -> None:
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXP", "alice@example.test", "example.test")
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth" and parts.netloc == "totp"
    assert parts.path == "/example.test:alice@example.test"
    query = parse_qs(parts.query)
    assert query["secret"] == ["JBSWY3DPEHPK3PXP"] and query["issuer"] == ["example.test"]
    assert query["digits"] == ["6"] and query["period"] == ["30"] and query["algorithm"] == ["SHA1"]


def test_new_secret_is_160_bits_of_base32() -> None:
    secret = totp.new_secret()
    assert len(secret) == 32 and len(base64.b32decode(secret)) == 20
    assert secret != totp.new_secret()
