"""Reading mbox files and Maildir folders, writing mbox files (for ``fieldpost import`` / ``export``).

mbox is read and written as *mboxrd*: a body line matching ``>*From `` gains one ``>`` on writing and
loses one on reading, so messages survive the round trip. The mbox-local ``Status``/``X-Status`` headers
become IMAP flags on import (and are dropped from the stored message) and are written back on export.
Maildir flags (``:2,DFPRST``) map onto IMAP flags; a Maildir++ subfolder ``.Lists.python`` becomes the
folder ``Lists/python`` under the target.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import BinaryIO

_QUOTED_FROM = re.compile(rb"^>+From ")
_NEEDS_QUOTE = re.compile(rb"^>*From ")
_BARE_LF = re.compile(rb"(?<!\r)\n")
_STATUS_HEADER = re.compile(rb"^(status|x-status):[^\n]*\n(?:[ \t][^\n]*\n)*", re.IGNORECASE | re.MULTILINE)

STATUS_FLAGS = {b"R": "\\Seen"}
X_STATUS_FLAGS = {b"A": "\\Answered", b"F": "\\Flagged", b"T": "\\Draft", b"D": "\\Deleted"}
MAILDIR_FLAGS = {
    "D": "\\Draft",
    "F": "\\Flagged",
    "P": "$Forwarded",
    "R": "\\Answered",
    "S": "\\Seen",
    "T": "\\Deleted",
}


@dataclass(frozen=True)
class MailFile:
    """One message read from an mbox or a Maildir."""

    raw: bytes
    folder: str  # "" for the top folder, else a "/"-separated sub-path
    flags: frozenset[str]
    internal_date: datetime | None


# -- mbox ----------------------------------------------------------------------------------------------


def count_mbox(path: Path) -> int:
    count, previous_blank = 0, True
    with open(path, "rb") as fh:
        for line in fh:
            if previous_blank and line.startswith(b"From "):
                count += 1
            previous_blank = line in (b"\n", b"\r\n")
    return count


def read_mbox(path: Path) -> Iterator[MailFile]:
    with open(path, "rb") as fh:
        first = fh.readline()
        if not first:
            return
        if not first.startswith(b"From "):
            raise ValueError(f"{path} is not an mbox file (it does not start with a 'From ' line)")
        separator = first
        lines: list[bytes] = []
        previous_blank = False
        for line in fh:
            if previous_blank and line.startswith(b"From "):
                yield _mbox_message(separator, lines)
                separator, lines = line, []
            else:
                lines.append(line)
            previous_blank = line in (b"\n", b"\r\n")
        yield _mbox_message(separator, lines)


def _mbox_message(separator: bytes, lines: list[bytes]) -> MailFile:
    if lines and lines[-1] in (b"\n", b"\r\n"):
        lines.pop()  # the blank line that separates messages
    raw = b"".join(_QUOTED_FROM.sub(lambda m: m.group(0)[1:], line, count=1) for line in lines)
    head, sep, body = _split_header(raw)
    flags: set[str] = set()
    for match in _STATUS_HEADER.finditer(head):
        name, _, value = match.group(0).partition(b":")
        table = STATUS_FLAGS if name.lower() == b"status" else X_STATUS_FLAGS
        flags.update(flag for letter, flag in table.items() if letter in value)
    head = _STATUS_HEADER.sub(b"", head)
    date = _from_line_date(separator) or _header_date(head)
    return MailFile(as_crlf(head + sep + body), "", frozenset(flags), date)


def as_crlf(raw: bytes) -> bytes:
    """Stored messages end their lines with CRLF (RFC 5322 2.3), as SMTP and APPEND store them; mbox
    files and Maildirs usually hold bare LF, which IMAP clients would otherwise get back verbatim."""
    return _BARE_LF.sub(b"\r\n", raw)


def _split_header(raw: bytes) -> tuple[bytes, bytes, bytes]:
    """(header block with its last line end, the blank line, body); the earliest blank line wins."""
    found = [(raw.find(sep), sep) for sep in (b"\r\n\r\n", b"\n\n") if raw.find(sep) >= 0]
    if not found:
        return raw, b"", b""
    index, sep = min(found)
    half = len(sep) // 2
    return raw[: index + half], raw[index + half : index + len(sep)], raw[index + len(sep) :]


def _from_line_date(separator: bytes) -> datetime | None:
    text = separator.decode("latin-1").strip()
    try:
        parsed = time.strptime(text[-24:], "%a %b %d %H:%M:%S %Y")
    except ValueError:
        return None
    return datetime(*parsed[:6], tzinfo=UTC)


def _header_date(head: bytes) -> datetime | None:
    match = re.search(rb"^date:[ \t]*([^\r\n]*)", head, re.IGNORECASE | re.MULTILINE)
    if not match:
        return None
    try:
        return parsedate_to_datetime(match.group(1).decode("latin-1"))
    except (TypeError, ValueError):
        return None


def write_mbox_message(
    fh: BinaryIO, raw: bytes, internal_date: datetime | None, flags: Iterable[str] = ()
) -> None:
    """Append one message to an open mbox file (mboxrd quoting, LF line ends)."""
    raw = raw.replace(b"\r\n", b"\n")
    head, sep, body = _split_header(raw)
    head = _STATUS_HEADER.sub(b"", head)
    flags = set(flags)
    status = b"RO" if "\\Seen" in flags else b"O"
    x_status = b"".join(letter for letter, flag in X_STATUS_FLAGS.items() if flag in flags)
    extra = b"Status: " + status + b"\n" + (b"X-Status: " + x_status + b"\n" if x_status else b"")
    when = (internal_date or datetime.now(UTC)).astimezone(UTC)
    fh.write(
        b"From " + _envelope_sender(head) + b" " + when.strftime("%a %b %d %H:%M:%S %Y").encode() + b"\n"
    )
    for line in (head + extra + sep + body).splitlines(keepends=True):
        fh.write(b">" + line if _NEEDS_QUOTE.match(line) else line)
    if not raw.endswith(b"\n"):
        fh.write(b"\n")
    fh.write(b"\n")


def _envelope_sender(head: bytes) -> bytes:
    for header in (rb"return-path", rb"from"):
        match = re.search(rb"^" + header + rb":[ \t]*([^\r\n]*)", head, re.IGNORECASE | re.MULTILINE)
        if match:
            address = parseaddr(match.group(1).decode("latin-1"))[1]
            if address and " " not in address:
                return address.encode("latin-1")
    return b"MAILER-DAEMON"


# -- Maildir -------------------------------------------------------------------------------------------


def maildir_folders(root: Path) -> list[tuple[str, Path]]:
    """(folder, directory) for the Maildir itself and each Maildir++ subfolder."""
    if not (root / "cur").is_dir() and not (root / "new").is_dir():
        raise ValueError(f"{root} is not a Maildir (no cur/ or new/ inside)")
    folders = [("", root)]
    for child in sorted(root.iterdir()):
        if child.name.startswith(".") and child.name not in (".", "..") and (child / "cur").is_dir():
            folders.append((child.name[1:].replace(".", "/"), child))
    return folders


def _maildir_files(root: Path) -> Iterator[tuple[str, Path]]:
    for folder, directory in maildir_folders(root):
        for sub in ("new", "cur"):
            if (directory / sub).is_dir():
                for path in sorted((directory / sub).iterdir()):
                    if path.is_file() and not path.name.startswith("."):
                        yield folder, path


def count_maildir(root: Path) -> int:
    return sum(1 for _ in _maildir_files(root))


def read_maildir(root: Path) -> Iterator[MailFile]:
    for folder, path in _maildir_files(root):
        _, _, info = path.name.partition(":2,")
        flags = frozenset(flag for letter, flag in MAILDIR_FLAGS.items() if letter in info)
        date = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        yield MailFile(as_crlf(path.read_bytes()), folder, flags, date)
