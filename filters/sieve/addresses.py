"""Addresses as the Sieve ``address`` and ``envelope`` tests see them.

* ``header_addresses``: the addr-specs of an address header (RFC 5322 3.4); groups are flattened and
  their display names dropped, because RFC 5228 5.1 says a group name is not an address; comments,
  display names and folding whitespace go. Pure and total: garbage in gives a best effort, never an
  exception.
* ``address_part``: the ADDRESS-PART of RFC 5228 2.7.4 (``:all``, ``:localpart``, ``:domain``) and
  of RFC 5233 (``:user``, ``:detail``).
"""

from __future__ import annotations

ADDRESS_PARTS = ("all", "localpart", "domain", "user", "detail")


def address_part(address: str, part: str, *, separator: str = "+") -> str | None:
    """The ``part`` of ``address`` ("local@domain"), or None when the address has no such part.

    The local part ends at the last "@" (a quoted local part may hold one). :user and :detail split
    the local part at the first character that is in ``separator`` (RFC 5233 4); without one :detail
    is None, so a :detail test fails, and "user+" has the empty detail "". An address without "@" is
    all local part and has no domain. The null address "" is "" whatever the part (RFC 5228 5.4).

    Raises:
        ValueError: an unknown ``part``.
    """
    if part not in ADDRESS_PARTS:
        raise ValueError(f"unknown address part {part!r}")
    address = address.strip()
    if address.startswith("<") and address.endswith(">"):
        address = address[1:-1].strip()
    if address == "":
        return ""
    if part == "all":
        return address
    local, at, domain = address.rpartition("@")
    if not at:
        local, domain = address, ""
    if part == "localpart":
        return local
    if part == "domain":
        return domain if at else None
    cut = min((i for i in (local.find(s) for s in separator) if i >= 0), default=-1) if separator else -1
    if part == "user":
        return local if cut < 0 else local[:cut]
    return None if cut < 0 else local[cut + 1 :]


def _skip_quoted(text: str, i: int, close: str) -> int:
    """Index just past the ``close`` that ends the quoted string or domain literal opened at ``i``."""
    i += 1
    while i < len(text) and text[i] != close:
        i += 2 if text[i] == "\\" else 1
    return min(i + 1, len(text))


def _skip_comment(text: str, i: int) -> int:
    """Index just past the (possibly nested) comment opened at ``i``."""
    depth = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        elif c == '"':
            i = _skip_quoted(text, i, '"')
            continue
        i += 1
    return i


def _addr_spec(chunk: str) -> str:
    """One mailbox's address: the last angle-addr's content, else the chunk; CFWS and routes removed."""
    out: list[str] = []
    i = 0
    angle_start = -1
    while i < len(chunk):
        c = chunk[i]
        if c in '"[':
            end = _skip_quoted(chunk, i, '"' if c == '"' else "]")
            out.append(chunk[i:end])
            i = end
        elif c == "(":
            i = _skip_comment(chunk, i)
        elif c == "<":
            out = []  # whatever came before was a display name
            angle_start = 0
            i += 1
        elif c == ">" and angle_start >= 0:
            break
        elif c.isspace():
            i += 1
        else:
            out.append(c)
            i += 1
    spec = "".join(out)
    if spec.startswith("@") and ":" in spec:  # obs-route: "@a,@b:user@host"
        spec = spec.split(":", 1)[1]
    return spec


def header_addresses(header_value: str) -> list[str]:
    """The addresses in an address-list header value, in order (groups flattened); never raises."""
    addresses: list[str] = []
    chunk_start = 0
    i = 0
    text = header_value
    in_angle = False

    def flush(end: int) -> None:
        spec = _addr_spec(text[chunk_start:end])
        if spec:
            addresses.append(spec)

    while i < len(text):
        c = text[i]
        if c == '"':
            i = _skip_quoted(text, i, '"')
            continue
        if c == "[":
            i = _skip_quoted(text, i, "]")
            continue
        if c == "(":
            i = _skip_comment(text, i)
            continue
        if c == "<":
            in_angle = True
        elif c == ">":
            in_angle = False
        elif c == ":" and not in_angle:  # a group's display name ends here: it is not an address
            chunk_start = i + 1
        elif c in ",;" and not in_angle:
            flush(i)
            chunk_start = i + 1
        i += 1
    flush(len(text))
    return addresses
