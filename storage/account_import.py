"""Adding many accounts from a CSV file (WebAdmin's bulk import), with a report line per input line.

The file (UTF-8, a byte-order mark allowed, comma-separated, RFC 4180 quoting) starts with a header row
naming its columns, in any order:

* ``address`` (required): ``local@domain``, or a bare local part when a domain is given to the import;
* ``password``: empty draws a random one, shown once in the report;
* ``display_name``, ``class`` (an existing account class of the domain), ``quota`` (the account's storage
  quota: bytes, or with a unit as in ``500M``/``2G``; empty keeps the inherited one).

Rules: at most MAX_LINES accounts and MAX_BYTES bytes per file (a larger file is refused whole, before
anything is added); blank lines are skipped; each line is added in a transaction of its own through the
administrator's view (``AdminDirectory.add_account``), so a bad line (a taken address, a password shorter
than ``auth.password_min_length``, an unknown class, a domain outside the administrator's reach) gets its
error in the report and never stops or undoes the good ones.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from storage.errors import InvalidInput, StorageError
from storage.names import domain_name

if TYPE_CHECKING:
    from storage.adminview import AdminView

MAX_LINES: Final = 500  # accounts per file (each costs one password hash, ~0.1 s)
MAX_BYTES: Final = 1024 * 1024
COLUMNS: Final = ("address", "password", "display_name", "class", "quota")
ADDED: Final = "added"


@dataclass(frozen=True)
class ImportLine:
    """The outcome of one input line: ``status`` is ``added`` or the error's exact text."""

    line: int
    address: str
    status: str
    password: str | None = None  # the random password drawn for it (only when added without one)

    @property
    def added(self) -> bool:
        return self.status == ADDED


@dataclass
class ImportReport:
    lines: list[ImportLine] = field(default_factory=list)

    @property
    def added(self) -> int:
        return sum(1 for x in self.lines if x.added)

    @property
    def failed(self) -> int:
        return len(self.lines) - self.added


@dataclass(frozen=True)
class ImportRow:
    line: int
    values: dict[str, str]


def parse(data: bytes | str) -> list[ImportRow]:
    """The data rows of a CSV file, each with its line number in the file (the header is line 1).

    Raises:
        InvalidInput: not UTF-8, too large, no header with ``address``, an unknown column, or more than
            MAX_LINES data rows.
    """
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise InvalidInput(f"the file is larger than {MAX_BYTES // 1024} KiB")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"the file is not UTF-8 text (byte {exc.start})") from exc
    else:
        text = data.removeprefix("\ufeff")
        if len(text.encode()) > MAX_BYTES:
            raise InvalidInput(f"the file is larger than {MAX_BYTES // 1024} KiB")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)
        if header is None:
            raise InvalidInput("the file is empty: expected a header row such as " + ",".join(COLUMNS))
        names = [h.strip().lower() for h in header]
        unknown = [n for n in names if n not in COLUMNS]
        if unknown:
            raise InvalidInput(f"unknown column {unknown[0]!r} in the header; columns: {', '.join(COLUMNS)}")
        if "address" not in names:
            raise InvalidInput("the header row has no 'address' column")
        if len(set(names)) != len(names):
            raise InvalidInput("a column is named twice in the header row")
        rows: list[ImportRow] = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == MAX_LINES:
                raise InvalidInput(f"the file has more than {MAX_LINES} accounts; split it")
            values = {n: (cells[i] if i < len(cells) else "") for i, n in enumerate(names)}
            if len(cells) > len(names):
                values["_extra"] = "1"
            rows.append(ImportRow(reader.line_num, values))
    except csv.Error as exc:
        raise InvalidInput(f"line {reader.line_num}: {exc}") from exc
    return rows


def _address(raw: str, domain: str | None) -> str:
    address = raw.strip()
    if not address:
        raise InvalidInput("the address is empty")
    if domain is None:
        return address
    if "@" not in address:
        return f"{address}@{domain}"
    if domain_name(address.rpartition("@")[2]) != domain:
        raise InvalidInput(f"{address} is not in domain {domain}")
    return address


def import_accounts(view: AdminView, data: bytes | str, *, domain: str | None = None) -> ImportReport:
    """Add the accounts of a CSV file (see the module docstring) as ``view``'s administrator.

    Args:
        domain: the domain the file is for: bare local parts go there, other domains are refused.

    Raises:
        InvalidInput: the file as a whole cannot be read (``parse``); nothing is added then.
    """
    rows = parse(data)
    dn = domain_name(domain) if domain is not None else None
    report = ImportReport()
    for row in rows:
        v = row.values
        shown = v.get("address", "").strip()
        try:
            if "_extra" in v:
                raise InvalidInput("more fields than columns in the header")
            address = _address(v.get("address", ""), dn)
            shown = address
            password = v.get("password", "")
            new = view.directory.add_account(
                address,
                password if password else None,
                display_name=v.get("display_name") or None,
                account_class=v.get("class", "").strip() or None,
                quota=v.get("quota", "").strip() or None,
            )
        except StorageError as exc:
            report.lines.append(ImportLine(row.line, shown, str(exc)))
            continue
        report.lines.append(ImportLine(row.line, new.account.address, ADDED, new.password))
    return report
