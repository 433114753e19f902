"""ESMTP parameters of MAIL and RCPT (RFC 5321 4.1.2 esmtp-param): SIZE, BODY, SMTPUTF8, RET, ENVID,
AUTH, NOTIFY, ORCPT.

Each extension adds keywords with their own value syntax (xtext, choices, numbers); keeping them in one
table here lets a new extension be added without touching the path grammar in parser.py.
RFC 1870 (SIZE), RFC 6152 (BODY), RFC 6531 (SMTPUTF8), RFC 3461 (DSN), RFC 4954 (AUTH=).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sidecars.smtp import replies as R
from sidecars.smtp.errors import ParseError

MAX_ENVID = 100  # RFC 3461 4.4

_KEYWORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
_VALUE = re.compile(r"[\x21-\x3c\x3e-\x7e\u0080-\U0010ffff]+")
_XTEXT = re.compile(r"(?:[\x21-\x2a\x2c-\x3c\x3e-\x7e]|\+[0-9A-F]{2})+")


def _bad(text: str) -> ParseError:
    return ParseError(R.BAD_PARAMETER.format(text=text))


def _flag(name: str) -> Callable[[str | None], Any]:
    def check(value: str | None) -> bool:
        if value is not None:
            raise _bad(f"{name} takes no value")
        return True

    return check


def _needs(name: str, value: str | None) -> str:
    if value is None:
        raise _bad(f"{name} needs a value")
    return value


def _size(value: str | None) -> int:
    v = _needs("SIZE", value)
    if not v.isascii() or not v.isdigit() or len(v) > 20:
        raise _bad("SIZE must be a number of octets")
    return int(v)


def _choice(name: str, choices: tuple[str, ...]) -> Callable[[str | None], str]:
    def check(value: str | None) -> str:
        v = _needs(name, value).upper()
        if v not in choices:
            raise _bad(f"{name} must be one of {', '.join(choices)}")
        return v

    return check


def _xtext(name: str, maximum: int | None = None) -> Callable[[str | None], str]:
    def check(value: str | None) -> str:
        v = _needs(name, value)
        if not _XTEXT.fullmatch(v) or (maximum is not None and len(v) > maximum):
            raise _bad(f"{name} must be xtext" + (f" of at most {maximum} characters" if maximum else ""))
        return v

    return check


def _auth_param(value: str | None) -> str:
    v = _needs("AUTH", value)
    return v if v == "<>" else _xtext("AUTH")(v)


def _notify(value: str | None) -> tuple[str, ...]:
    items = [x.upper() for x in _needs("NOTIFY", value).split(",")]
    if items == ["NEVER"]:
        return ("NEVER",)
    if not items or len(set(items)) != len(items) or not set(items) <= {"SUCCESS", "FAILURE", "DELAY"}:
        raise _bad("NOTIFY must be NEVER or a list of SUCCESS, FAILURE, DELAY")
    return tuple(items)


def _orcpt(value: str | None) -> str:
    addr_type, semi, addr = _needs("ORCPT", value).partition(";")
    if not semi or not re.fullmatch(r"[A-Za-z0-9-]+", addr_type) or not addr:
        raise _bad("ORCPT must be addr-type;address")
    if addr_type.lower() == "rfc822" and not _XTEXT.fullmatch(addr):
        raise _bad("ORCPT address must be xtext")
    return f"{addr_type.lower()};{addr}"


MAIL_PARAMS: dict[str, Callable[[str | None], Any]] = {
    "SIZE": _size,  # RFC 1870
    "BODY": _choice("BODY", ("7BIT", "8BITMIME")),  # RFC 6152
    "SMTPUTF8": _flag("SMTPUTF8"),  # RFC 6531 3.4
    "RET": _choice("RET", ("FULL", "HDRS")),  # RFC 3461 4.3
    "ENVID": _xtext("ENVID", MAX_ENVID),  # RFC 3461 4.4
    "AUTH": _auth_param,  # RFC 4954 5
}
RCPT_PARAMS: dict[str, Callable[[str | None], Any]] = {
    "NOTIFY": _notify,  # RFC 3461 4.1
    "ORCPT": _orcpt,  # RFC 3461 4.2
}


def parse_params(text: str, allowed: dict[str, Callable[[str | None], Any]]) -> dict[str, Any]:
    """``KEY=value KEY`` (RFC 5321 4.1.2 esmtp-param) into a dict keyed by upper-case keyword."""
    out: dict[str, Any] = {}
    for token in text.split():
        key, eq, value = token.partition("=")
        if not _KEYWORD.fullmatch(key):
            raise _bad(f"bad parameter {token!r}")
        if eq and not _VALUE.fullmatch(value):
            raise _bad(f"bad value for {key.upper()}")
        name = key.upper()
        if name in out:
            raise _bad(f"parameter {name} given twice")
        check = allowed.get(name)
        if check is None:
            raise ParseError(R.UNSUPPORTED_PARAMETER.format(name=name))
        out[name] = check(value if eq else None)
    return out
