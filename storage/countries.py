"""The IP-to-country table that country filtering looks client addresses up in, and the reader of the
CSV files it is loaded from (``fieldpost filters countries import FILE``).

Accepted CSV shapes (comma-separated, fields may be quoted, one range a line; blank lines and lines
starting with ``#`` are skipped, and so is a first line that is a header):

* ``START,END,CC[,NAME]`` — the common "ip_from,ip_to,country_code,country_name" layout (IP2Location
  LITE DB1 and many others). START and END are addresses (``1.0.0.0``, ``2001:db8::``) or integers
  (``16777216``); an integer below 2^32 is an IPv4 address, a larger one IPv6.
* ``START_IP,END_IP,START_INT,END_INT,CC,NAME`` — MaxMind's legacy GeoIP country CSV (the addresses are
  used; the integer columns are ignored).
* ``NETWORK,CC[,NAME]`` — a CIDR network (``1.0.0.0/24``).

IPv4-mapped IPv6 addresses (``::ffff:1.2.3.4``, and the integers of that block in IPv6 files) are read
as the IPv4 addresses they carry. Rows whose country is ``-``, empty or ``ZZ`` (unknown) are skipped.

Implementation notes:

* Rows are ``(family, range_start, range_end, country, name)`` with the bounds as 16-byte big-endian
  numbers: byte order is numeric order on both backends, so the lookup is one descent of the primary key
  (``family, range_start``): the last range starting at or before the address, which holds it when its
  end is not below it. No full scan per connection, whatever the table's size.
* An import is all or nothing: the file is read and checked completely (bad line -> ``InvalidInput``
  naming the line; overlapping ranges -> ``InvalidInput`` naming both lines) before one transaction
  replaces the whole table. Adjacent ranges of the same country are merged on the way in.
"""

from __future__ import annotations

import csv
import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, insert, select

from storage import schema as s
from storage.errors import InvalidInput

if TYPE_CHECKING:
    from storage.store import Store

MAX_RANGES = 2_000_000  # rows one import may hold (full country databases have under 1 million)
MAX_NAME_LENGTH = 100
_BATCH = 5_000
_UNKNOWN = frozenset({"", "-", "ZZ"})
_CC = re.compile(r"^[A-Z]{2}$")
_MAPPED = ipaddress.ip_network("::ffff:0:0/96")


@dataclass(frozen=True)
class CountryRange:
    first: str  # the first address of the range, as text
    last: str
    country: str  # ISO 3166 alpha-2, upper-case
    name: str = ""


@dataclass(frozen=True, slots=True)
class _Row:
    family: int
    start: int
    end: int
    country: str
    name: str
    line: int


def _address(text: str, line: int) -> tuple[int, int]:
    """(family, integer value) of an address or integer field."""
    text = text.strip()
    if text.isdigit():
        value = int(text)
        if value < 2**32:
            return 4, value
        if value >= 2**128:
            raise InvalidInput(f"line {line}: {text} is larger than any IP address")
        address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.IPv6Address(value)
    else:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise InvalidInput(f"line {line}: {text!r} is not an IP address") from None
    if isinstance(address, ipaddress.IPv6Address) and address in _MAPPED:
        return 4, int(address) - int(_MAPPED.network_address)
    return address.version, int(address)


def _bounds(fields: list[str], line: int) -> tuple[int, int, int, str, str]:
    """(family, start, end, country, name) of one CSV row."""
    if len(fields) in (2, 3) and "/" in fields[0]:
        try:
            net = ipaddress.ip_network(fields[0].strip(), strict=False)
        except ValueError:
            raise InvalidInput(f"line {line}: {fields[0]!r} is not an IP network") from None
        first_family, start = _address(str(net.network_address), line)
        _, end = _address(str(net.broadcast_address), line)
        return first_family, start, end, fields[1], fields[2] if len(fields) == 3 else ""
    if len(fields) in (3, 4):
        first_family, start = _address(fields[0], line)
        end_family, end = _address(fields[1], line)
        country, name = fields[2], fields[3] if len(fields) == 4 else ""
    elif len(fields) == 6:
        first_family, start = _address(fields[0], line)
        end_family, end = _address(fields[1], line)
        country, name = fields[4], fields[5]
    else:
        raise InvalidInput(
            f"line {line}: expected START,END,CC[,NAME], NETWORK,CC[,NAME] or the 6-column legacy layout, "
            f"got {len(fields)} fields"
        )
    if first_family != end_family:
        raise InvalidInput(f"line {line}: the range mixes IPv4 and IPv6")
    return first_family, start, end, country, name


def _is_header(first: str) -> bool:
    """A first field that cannot start an address, a number or a network: "ip_from", "network"."""
    first = first.strip()
    return not first.isdigit() and not any(c in first for c in ".:/")


def _without_bom(lines: Iterable[str]) -> Iterator[str]:
    """The lines with a UTF-8 byte order mark (spreadsheet exports) taken off the first."""
    it = iter(lines)
    for line in it:
        yield line.removeprefix("\ufeff")
        break
    yield from it


def parse_csv(lines: Iterable[str]) -> Iterator[_Row]:
    """The ranges of a CSV file, in file order (see the module docstring for the shapes).

    Raises:
        InvalidInput: a line that is not a range (the message gives its number), or too many ranges.
    """
    count = 0
    reader = csv.reader(_without_bom(lines))
    first = True
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InvalidInput(f"line {reader.line_num}: {exc}") from None
        number = reader.line_num
        if not fields or not "".join(fields).strip() or fields[0].lstrip().startswith("#"):
            continue
        was_first, first = first, False  # the first record that is not a comment may be a header
        country_field = (
            fields[-2] if len(fields) in (4, 6) or (len(fields) == 3 and "/" in fields[0]) else fields[-1]
        )
        if country_field.strip().upper() in _UNKNOWN:
            continue
        if was_first and _is_header(fields[0]):
            continue
        family, start, end, country, name = _bounds(fields, number)
        country = country.strip().upper()
        if country in _UNKNOWN:
            continue
        if not _CC.match(country):
            raise InvalidInput(f"line {number}: {country!r} is not a two-letter country code")
        if start > end:
            raise InvalidInput(f"line {number}: the range ends before it starts")
        count += 1
        if count > MAX_RANGES:
            raise InvalidInput(f"more than {MAX_RANGES} ranges: not a country table this server can load")
        yield _Row(family, start, end, country, name.strip()[:MAX_NAME_LENGTH], number)


def _merged(rows: list[_Row]) -> list[_Row]:
    """Sorted, checked for overlaps, adjacent ranges of one country joined."""
    rows.sort(key=lambda r: (r.family, r.start))
    out: list[_Row] = []
    for row in rows:
        if out and out[-1].family == row.family and row.start <= out[-1].end:
            raise InvalidInput(f"lines {out[-1].line} and {row.line}: the ranges overlap")
        if (
            out
            and out[-1].family == row.family
            and row.start == out[-1].end + 1
            and out[-1].country == row.country
        ):
            prev = out[-1]
            out[-1] = _Row(prev.family, prev.start, row.end, prev.country, prev.name or row.name, prev.line)
            continue
        out.append(row)
    return out


def _key(value: int) -> bytes:
    return value.to_bytes(16, "big")


def _text(family: int, key: bytes) -> str:
    value = int.from_bytes(key, "big")
    return str(ipaddress.IPv4Address(value) if family == 4 else ipaddress.IPv6Address(value))


class Countries:
    def __init__(self, store: Store) -> None:
        self.store = store

    def replace(self, lines: Iterable[str]) -> int:
        """Load a CSV file (its lines) in place of the current table; returns the ranges stored.

        Raises:
            InvalidInput: the file is not a country table; the current table is left as it was.
        """
        rows = _merged(list(parse_csv(lines)))
        if not rows:
            raise InvalidInput("the file holds no country ranges (to empty the table, clear it)")
        t = s.ip_country_ranges
        with self.store.db.write() as conn:
            conn.execute(delete(t))
            for i in range(0, len(rows), _BATCH):
                conn.execute(
                    insert(t),
                    [
                        {
                            "family": r.family,
                            "range_start": _key(r.start),
                            "range_end": _key(r.end),
                            "country": r.country,
                            "name": r.name,
                        }
                        for r in rows[i : i + _BATCH]
                    ],
                )
        return len(rows)

    def lookup(self, ip: str) -> CountryRange | None:
        """The range holding ``ip``, or None (not in the table, or not an address)."""
        try:
            address = ipaddress.ip_address(ip.strip().strip("[]"))
        except ValueError:
            return None
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        t = s.ip_country_ranges
        key = _key(int(address))
        with self.store.db.read() as conn:
            row = conn.execute(
                select(t.c.range_start, t.c.range_end, t.c.country, t.c.name)
                .where(t.c.family == address.version, t.c.range_start <= key)
                .order_by(t.c.range_start.desc())
                .limit(1)
            ).first()
        if row is None or bytes(row.range_end) < key:
            return None
        return CountryRange(
            _text(address.version, bytes(row.range_start)),
            _text(address.version, bytes(row.range_end)),
            row.country,
            row.name,
        )

    def count(self) -> int:
        with self.store.db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(s.ip_country_ranges)).scalar_one())

    def clear(self) -> int:
        """Empty the table (country filtering then sees every client as unknown)."""
        with self.store.db.write() as conn:
            return int(conn.execute(delete(s.ip_country_ranges)).rowcount)
