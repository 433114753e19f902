"""Reading the service logs (``<data>/logs/<service>.log``, format in :mod:`fieldpost.logs`) from the end.

What WebAdmin's log viewer (and any other reader) shows is the newest records that match a filter, a page
at a time, going back in time. A log may be a gigabyte: a page is found by reading the file backwards in
blocks from an offset (the end, or where the previous page stopped), never from the start, and one request
reads at most :data:`MAX_SCAN` bytes -- a filter that matches nothing in the last 32 MiB answers with what
it found and the offset to go on from, rather than reading the whole file.

A record is a header line (``MM-DD HH:MM:SS +ZZZZ LL host SERVICE:SESSIONID: text``) and the continuation
lines the formatter indents by four spaces (tracebacks, multi-line texts). Lines in no known shape (a file
written by something else, a torn last line) are shown as they are, with level 0 and no session.

A base module: no storage, no service, only files, so every layer (storage's admin facet, the CLI) may use it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BLOCK = 64 * 1024
MAX_SCAN = 32 * 1024 * 1024  # bytes read per request at most
MAX_PAGE = 500  # records per page at most
MAX_TEXT = 200  # characters of a text filter
LOG_SUFFIX = ".log"
SERVICE_NAME = re.compile(r"^[a-z0-9_-]{1,32}$")
HEADER = re.compile(
    r"^(?P<stamp>\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}) (?P<level>\d\d) (?P<host>\S+) "
    r"(?P<service>[A-Za-z0-9_-]+):(?P<session>[0-9a-f]{8}): ?(?P<text>.*)$"
)
CONTINUATION = "    "
LEVELS = {1: "critical", 2: "error", 4: "warning", 8: "info", 16: "protocol"}


@dataclass(frozen=True)
class LogRecord:
    """One record: ``offset`` is where it starts in the file (the cursor of the page after it)."""

    offset: int
    stamp: str
    level: int
    host: str
    session: str
    text: str
    service: str = ""  # as the line names it (a file may collect several services)

    @property
    def level_name(self) -> str:
        return LEVELS.get(self.level, "unknown")


@dataclass(frozen=True)
class LogQuery:
    """A filter: ``levels`` a bitmask of :data:`LEVELS` (31 = all), ``session`` 8 hex digits or "",
    ``text`` a case-insensitive substring or ""."""

    levels: int = 31
    session: str = ""
    text: str = ""

    def matches(self, record: LogRecord) -> bool:
        if record.level and not record.level & self.levels:
            return False
        if self.session and record.session != self.session:
            return False
        return not self.text or self.text.lower() in record.text.lower()


@dataclass(frozen=True)
class LogPage:
    """Records newest first; ``older`` the offset to read the next page from (None: the file's start was
    reached); ``scanned`` bytes read; ``exhausted`` True when the scan limit stopped the search early."""

    records: list[LogRecord]
    older: int | None
    scanned: int
    exhausted: bool


def session_filter(value: str) -> str:
    """A session id as typed (``a3f1``, ``0000A3F1``) in the log's form (8 lower-case hex digits).

    Raises:
        ValueError: not a hexadecimal number of at most 8 digits.
    """
    value = value.strip().lower()
    if not value:
        return ""
    if not re.fullmatch(r"[0-9a-f]{1,8}", value):
        raise ValueError("a session id is up to 8 hexadecimal digits, as in the log (e.g. 0000a3f1)")
    return value.rjust(8, "0")


def log_services(log_dir: Path) -> list[str]:
    """The services with a log file, by name."""
    try:
        names = [p.name[: -len(LOG_SUFFIX)] for p in log_dir.iterdir() if p.name.endswith(LOG_SUFFIX)]
    except FileNotFoundError:
        return []
    return sorted(n for n in names if SERVICE_NAME.match(n))


def log_path(log_dir: Path, service: str) -> Path:
    """The log file of ``service`` (a plain name, so no path can leave the log directory).

    Raises:
        ValueError: not a service name.
    """
    if not SERVICE_NAME.match(service):
        raise ValueError(f"not a service name: {service[:40]!r}")
    return log_dir / f"{service}{LOG_SUFFIX}"


def _lines_backwards(path: Path, before: int | None, budget: int) -> Iterator[tuple[int, bytes]]:
    """(offset, line without newline) from the line ending at ``before`` (or the end) back to the start,
    reading at most ``budget`` bytes. A partial line at ``before`` is dropped only if ``before`` is not a
    line start (offsets given out by this module always are)."""
    with open(path, "rb") as fh:
        end = fh.seek(0, os.SEEK_END) if before is None else min(before, fh.seek(0, os.SEEK_END))
        position = end
        tail = b""
        read = 0
        while position > 0 and read < budget:
            size = min(BLOCK, position, budget - read)
            position -= size
            fh.seek(position)
            chunk = fh.read(size)
            read += size
            buffer = chunk + tail
            parts = buffer.split(b"\n")
            tail = parts[0]  # may continue in the block before
            offset = position + len(parts[0]) + 1
            complete = parts[1:]
            offsets = []
            for part in complete:
                offsets.append(offset)
                offset += len(part) + 1
            for line_offset, line in reversed(list(zip(offsets, complete, strict=True))):
                if line_offset < end:
                    yield line_offset, line
        if position == 0 and tail:
            yield 0, tail


def parse(offset: int, line: str, continuation: list[str]) -> LogRecord:
    found = HEADER.match(line)
    text = "\n".join([found.group("text") if found else line, *continuation])
    if not found:
        return LogRecord(offset, "", 0, "", "", text)
    return LogRecord(
        offset,
        found.group("stamp"),
        int(found.group("level")),
        found.group("host"),
        found.group("session"),
        text,
        found.group("service").lower(),
    )


def read_page(path: Path, query: LogQuery, *, before: int | None = None, limit: int = 100) -> LogPage:
    """The newest ``limit`` records matching ``query`` that start before offset ``before`` (default: the
    end of the file), reading back at most :data:`MAX_SCAN` bytes."""
    limit = max(1, min(limit, MAX_PAGE))
    if not path.is_file():
        return LogPage([], None, 0, False)
    records: list[LogRecord] = []
    pending: list[str] = []  # continuation lines seen (backwards) of a record whose header comes next
    scanned = 0
    cursor: int | None = None  # start of the oldest complete record read
    seen: int | None = None  # offset of the oldest line read
    for offset, raw in _lines_backwards(path, before, MAX_SCAN):
        scanned += len(raw) + 1
        seen = offset
        line = raw.decode("utf-8", "replace").rstrip("\r")
        if line.startswith(CONTINUATION):
            pending.insert(0, line[len(CONTINUATION) :])
            continue
        cursor = offset
        if not line and not pending:
            continue
        record = parse(offset, line, pending)
        pending = []
        if query.matches(record):
            records.append(record)
            if len(records) >= limit:
                return LogPage(records, offset if offset > 0 else None, scanned, False)
    if seen is None or seen == 0:  # the start of the file was reached
        if pending:  # continuation lines with no header before them
            orphan = LogRecord(0, "", 0, "", "", "\n".join(pending))
            if query.matches(orphan):
                records.append(orphan)
        return LogPage(records, None, scanned, False)
    return LogPage(records, cursor if cursor is not None else seen, scanned, True)
