"""Validation and normal forms of the names storage keeps: domains, addresses, folder paths.

Everything is normalised once, on the way in, so lookups are plain equality on indexed columns: domain
names in lower-case ASCII (IDNA for international names), local parts in lower-case, folder paths as
"/"-separated names with INBOX spelled canonically.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from storage.errors import InvalidInput

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"^{_ATOM}(\.{_ATOM})*$")
MAX_FOLDER_DEPTH = 32
MAX_FOLDER_NAME = 255
FOLDER_SEPARATOR = "/"


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC, so say so."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def domain_name(name: str) -> str:
    raw = name.strip().rstrip(".").lower()
    try:
        ascii_name = raw.encode("idna").decode("ascii") if not raw.isascii() else raw
    except UnicodeError as exc:
        raise InvalidInput(f"invalid domain name {name!r}") from exc
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise InvalidInput(f"invalid domain name {name!r}: expected something like example.com")
    return ascii_name


def local_part(value: str) -> str:
    lp = value.strip().lower()
    if not lp or len(lp) > 64 or not _LOCAL.match(lp):
        raise InvalidInput(f"invalid local part {value!r}")
    return lp


def split_address(address: str) -> tuple[str, str]:
    """``"Alice@Example.TEST"`` -> ``("alice", "example.test")``, validated."""
    if address.count("@") != 1:
        raise InvalidInput(f"invalid address {address!r}: expected local@domain")
    lp, dom = address.rsplit("@", 1)
    return local_part(lp), domain_name(dom)


def folder_path(path: str) -> str:
    """Normal form of a folder path; INBOX (any case) at the top level becomes ``INBOX``."""
    parts = [p for p in path.strip().strip(FOLDER_SEPARATOR).split(FOLDER_SEPARATOR)]
    if not parts or any(p == "" for p in parts):
        raise InvalidInput(f"invalid folder name {path!r}: empty component")
    if len(parts) > MAX_FOLDER_DEPTH:
        raise InvalidInput(f"folder {path!r} is nested deeper than {MAX_FOLDER_DEPTH} levels")
    for p in parts:
        if len(p) > MAX_FOLDER_NAME or any(ord(c) < 32 or c == "\x7f" for c in p) or p in (".", ".."):
            raise InvalidInput(f"invalid folder name {p!r}")
    if parts[0].upper() == "INBOX":
        parts[0] = "INBOX"
    return FOLDER_SEPARATOR.join(parts)


def parent_path(path: str) -> str:
    return path.rpartition(FOLDER_SEPARATOR)[0]
