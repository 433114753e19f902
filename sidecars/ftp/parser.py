"""FTP text: command lines in, replies out, and the small formats FTP carries (RFC 959, 2428, 3659).

Pure functions and frozen values: no sockets, no storage, no gevent (tests/sidecars/ftp/test_parser.py
fuzzes them). Paths are handled as tuples of components, never as strings joined by the caller.

Message files of the backup tree carry their UID and flags in their names, so a restore puts each
message back with them: ``<uid>,<letters>[,<keywords>].eml`` where the letters are the system flags
(S seen, A answered, F flagged, D deleted, T draft; maildir's letters) in that order, and the keywords,
if any, are separated by "." with every byte outside ``A-Za-z0-9$_-`` written as ``%XX``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, unquote

MAX_LINE = 4096  # octets of one command line with its CRLF (RFC 959 sets no limit; we do)


class ParseError(ValueError):
    """A command line or argument that cannot be understood; the text is the reply's."""


@dataclass(frozen=True)
class Command:
    verb: str  # upper-case
    arg: str  # the rest of the line after one space, "" when none


def parse_line(line: bytes) -> Command:
    """One command line without its line end (RFC 959 4.1.3: verb, optional SP and argument)."""
    if len(line) > MAX_LINE:
        raise ParseError("command line too long")
    try:
        text = line.decode("utf-8")  # RFC 2640: path names are UTF-8
    except UnicodeDecodeError:
        raise ParseError("command line is not UTF-8") from None
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ParseError("control character in command line")
    verb, _, arg = text.partition(" ")
    if not verb or not verb.isascii() or not verb.isalpha() or len(verb) > 8:
        raise ParseError("syntax error, command unrecognized")
    return Command(verb.upper(), arg)


def reply(code: int, text: str) -> bytes:
    """A single-line reply (RFC 959 4.2)."""
    return f"{code} {text}\r\n".encode()


def multiline(code: int, first: str, lines: list[str], last: str) -> bytes:
    """A multi-line reply (RFC 959 4.2): inner lines start with a space so none looks like an end."""
    body = "".join(f" {line}\r\n" for line in lines)
    return f"{code}-{first}\r\n{body}{code} {last}\r\n".encode()


# -- paths ------------------------------------------------------------------------------------------------

Path = tuple[str, ...]


def resolve(cwd: Path, arg: str) -> Path:
    """The absolute path ``arg`` names from ``cwd``: "/" starts at the root, "." and ".." work, ".." at
    the root stays there, repeated slashes count once."""
    parts: list[str] = [] if arg.startswith("/") else list(cwd)
    for part in arg.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return tuple(parts)


def show(path: Path) -> str:
    """A path as PWD and replies show it (RFC 959 appendix II: double quotes doubled)."""
    return "/" + "/".join(path)


def quoted(path: Path) -> str:
    return '"' + show(path).replace('"', '""') + '"'


# -- data connection addresses ----------------------------------------------------------------------------


def parse_port(arg: str) -> tuple[str, int]:
    """PORT h1,h2,h3,h4,p1,p2 (RFC 959 4.1.2)."""
    fields = arg.strip().split(",")
    if len(fields) != 6 or not all(f.isdigit() and int(f) < 256 for f in fields):
        raise ParseError("PORT wants h1,h2,h3,h4,p1,p2")
    numbers = [int(f) for f in fields]
    port = numbers[4] * 256 + numbers[5]
    if port == 0:
        raise ParseError("port 0 cannot be connected to")
    return ".".join(str(n) for n in numbers[:4]), port


def format_pasv(host: str, port: int) -> str:
    """The address of a 227 reply (RFC 959 4.1.2 PASV)."""
    return ",".join(host.split(".") + [str(port // 256), str(port % 256)])


def parse_eprt(arg: str) -> tuple[str, int]:
    """EPRT |proto|address|port| (RFC 2428 2); any printable delimiter."""
    if len(arg) < 7:
        raise ParseError("EPRT wants |1|address|port| or |2|address|port|")
    delim = arg[0]
    fields = arg.split(delim)
    if len(fields) != 5 or fields[0] or fields[4] or not 33 <= ord(delim) <= 126:
        raise ParseError("EPRT wants |1|address|port| or |2|address|port|")
    proto, host, port = fields[1:4]
    if proto not in ("1", "2") or not port.isdigit() or not 0 < int(port) < 65536 or not host:
        raise ParseError("EPRT wants |1|address|port| or |2|address|port|")
    if (proto == "1") != ("." in host and ":" not in host):
        raise ParseError("EPRT: the address does not match the protocol number")
    return host, int(port)


def format_epsv(port: int) -> str:
    """The text of a 229 reply (RFC 2428 3)."""
    return f"Entering Extended Passive Mode (|||{port}|)"


# -- times, facts and listings ----------------------------------------------------------------------------


def format_time(when: datetime) -> str:
    """YYYYMMDDHHMMSS in UTC (RFC 3659 2.3)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y%m%d%H%M%S")


_TIME = re.compile(r"^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:\.\d{1,6})?$")


def parse_time(text: str) -> datetime:
    """An RFC 3659 time-val (UTC), as MFMT and MDTM carry it."""
    m = _TIME.match(text.strip())
    if m is None:
        raise ParseError("a time is YYYYMMDDHHMMSS")
    try:
        y, mo, d, h, mi, sec = (int(g) for g in m.groups())
        return datetime(y, mo, d, h, mi, sec, tzinfo=UTC)
    except ValueError:
        raise ParseError("no such date") from None


@dataclass(frozen=True)
class Entry:
    """One name in a listing."""

    name: str
    is_dir: bool
    size: int
    modified: datetime
    writable: bool = True


def facts(entry: Entry, *, current: bool = False) -> str:
    """An MLSD/MLST line's facts and name (RFC 3659 7.5): type, size, modify, perm."""
    if entry.is_dir:
        kind = "cdir" if current else "dir"
        perm = "elc" + ("m" if entry.writable else "")
        return f"type={kind};modify={format_time(entry.modified)};perm={perm}; {entry.name}"
    perm = "r" + ("w" if entry.writable else "")
    return f"type=file;size={entry.size};modify={format_time(entry.modified)};perm={perm}; {entry.name}"


def list_line(entry: Entry, now: datetime) -> str:
    """A LIST line in the Unix "ls -l" shape most clients parse."""
    mode = "drwxr-xr-x" if entry.is_dir else "-rw-r--r--"
    when = entry.modified if entry.modified.tzinfo else entry.modified.replace(tzinfo=UTC)
    recent = abs((now - when).days) < 180
    stamp = when.strftime("%b %d %H:%M") if recent else when.strftime("%b %d  %Y")
    return f"{mode} 1 fieldpost fieldpost {entry.size:>12} {stamp} {entry.name}"


# -- message file names -----------------------------------------------------------------------------------

FLAG_LETTERS = (
    ("\\Seen", "S"),
    ("\\Answered", "A"),
    ("\\Flagged", "F"),
    ("\\Deleted", "D"),
    ("\\Draft", "T"),
)
_BY_LETTER = {letter: flag for flag, letter in FLAG_LETTERS}
_MESSAGE = re.compile(r"^(\d{1,18}),([SAFDT]*)(?:,([A-Za-z0-9$_%-]+(?:\.[A-Za-z0-9$_%-]+)*))?\.eml$")


def message_name(uid: int, flags: frozenset[str]) -> str:
    letters = "".join(letter for flag, letter in FLAG_LETTERS if flag in flags)
    keywords = sorted(f for f in flags if not f.startswith("\\"))
    name = f"{uid},{letters}"
    if keywords:
        name += "," + ".".join(quote(k, safe="$_-").replace(".", "%2E") for k in keywords)
    return name + ".eml"


def parse_message_name(name: str) -> tuple[int | None, frozenset[str]] | None:
    """(UID, flags) of a message file name; (None, no flags) for any other ``*.eml`` name (a message to
    add with a new UID); None when the name is no message file at all."""
    m = _MESSAGE.match(name)
    if m is None:
        return (None, frozenset()) if name.lower().endswith(".eml") and len(name) > 4 else None
    uid = int(m.group(1))
    if uid == 0:
        return None, frozenset()
    flags = {_BY_LETTER[c] for c in m.group(2)}
    if m.group(3):
        flags.update(unquote(k) for k in m.group(3).split("."))
    return uid, frozenset(flags)
