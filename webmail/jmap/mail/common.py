"""What the Mail data types share: keywords <-> IMAP flags, the account check, /get's ids and properties,
and storage's errors in RFC 8620's words.

Keywords (RFC 8621 4.1.1): JMAP's are case-insensitive and given lower-case; the four IMAP system flags
a client may set map onto their keywords (``$seen`` <-> ``\\Seen``, ``$flagged``, ``$answered``,
``$draft``); ``\\Deleted`` has no keyword (a message marked deleted stays an Email until expunged); any
other keyword is an IMAP keyword of the same name (lower-cased when read back).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from storage.errors import InvalidInput, NotFound, PermissionDenied
from webmail.jmap.registry import Args, Call, MethodError

SYSTEM_KEYWORDS = {"$seen": "\\Seen", "$flagged": "\\Flagged", "$answered": "\\Answered", "$draft": "\\Draft"}
FLAG_KEYWORDS = {v: k for k, v in SYSTEM_KEYWORDS.items()}
# RFC 8621 4.1.1: ASCII 0x21-0x7e but ( ) { ] % * " \ ; 1-255 characters (and IMAP's own limit of 100)
_KEYWORD = re.compile(r"[!#$&'+,\-./0-9:;<=>?@A-Z\[^_`a-z|}~]{1,100}")
MAX_OBJECTS_IN_GET = 500  # RFC 8620 2 maxObjectsInGet, as this server announces it
MAX_OBJECTS_IN_SET = 500


def keywords_of(flags: Iterable[str]) -> dict[str, bool]:
    """The JMAP keywords of a message's IMAP flags."""
    out: dict[str, bool] = {}
    for f in flags:
        if f.startswith("\\"):
            kw = FLAG_KEYWORDS.get(f)
            if kw:
                out[kw] = True
        else:
            out[f.lower()] = True
    return out


def flag_of(keyword: str) -> str:
    """The IMAP flag of a JMAP keyword.

    Raises:
        MethodError: invalidArguments for a keyword RFC 8621 does not allow.
    """
    kw = keyword.lower()
    if kw in SYSTEM_KEYWORDS:
        return SYSTEM_KEYWORDS[kw]
    if not _KEYWORD.fullmatch(keyword):
        raise MethodError("invalidArguments", f"invalid keyword {keyword!r}")
    return kw


def flags_of(keywords: object) -> list[str]:
    """IMAP flags of a ``keywords`` object (every value must be true, RFC 8621 4.1.1)."""
    if not isinstance(keywords, dict) or any(v is not True for v in keywords.values()):
        raise MethodError("invalidArguments", "keywords is an object whose values are all true")
    return [flag_of(k) for k in keywords]


def check_account(call: Call, args: Args) -> None:
    call.account(args)


def wanted_ids(args: Args, name: str = "ids") -> list[str] | None:
    """The ``ids`` argument of a /get: None (all) or a list of strings, at most MAX_OBJECTS_IN_GET."""
    ids = args.get(name)
    if ids is None:
        return None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise MethodError("invalidArguments", f"{name} must be a list of ids", arguments=[name])
    if len(ids) > MAX_OBJECTS_IN_GET:
        raise MethodError("requestTooLarge", f"at most {MAX_OBJECTS_IN_GET} ids per call")
    return list(dict.fromkeys(ids))


def wanted_properties(args: Args, known: Iterable[str], default: Iterable[str]) -> list[str]:
    """The ``properties`` argument of a /get (``id`` always included)."""
    props = args.get("properties")
    if props is None:
        props = list(default)
    if not isinstance(props, list) or not all(isinstance(p, str) for p in props):
        raise MethodError("invalidArguments", "properties must be a list of names", arguments=["properties"])
    known_set = set(known)
    unknown = [p for p in props if p not in known_set]
    if unknown:
        raise MethodError(
            "invalidArguments", f"unknown properties: {', '.join(unknown)}", arguments=["properties"]
        )
    return ["id", *[p for p in dict.fromkeys(props) if p != "id"]]


def int_arg(args: Args, name: str, default: int | None, *, minimum: int | None = 0) -> int | None:
    value = args.get(name, default)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or (minimum is not None and value < minimum):
        raise MethodError("invalidArguments", f"{name} must be an integer >= {minimum}", arguments=[name])
    return value


def set_error(exc: Exception) -> dict[str, Any]:
    """A SetError (RFC 8620 5.3) for what storage refused."""
    if isinstance(exc, NotFound):
        return {"type": "notFound"}
    if isinstance(exc, PermissionDenied):
        return {"type": "forbidden", "description": str(exc)}
    if isinstance(exc, InvalidInput):
        return {"type": "invalidProperties", "description": str(exc)}
    return {"type": "invalidProperties", "description": str(exc)}


def only_known(value: object, known: set[str], what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MethodError("invalidArguments", f"{what} must be an object")
    unknown = set(value) - known
    if unknown:
        raise MethodError("invalidArguments", f"unknown {what}: {', '.join(sorted(unknown))}")
    return value
