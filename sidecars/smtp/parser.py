"""SMTP wire syntax: bytes in, frozen command objects out, plus the streaming line and DATA decoders.

Pure: no sockets, no storage, no clock. Every failure is a ``ParseError`` carrying the reply to send,
so a fuzzer can feed any bytes and expect either a command or a ParseError.

Grammar references are RFC 5321 (4.1.1 commands, 4.1.2 paths, 4.5.2 transparency, 4.5.3.1 size
limits), RFC 1870 (SIZE), RFC 6152 (BODY), RFC 6531 (SMTPUTF8), RFC 3461 (DSN: RET ENVID NOTIFY ORCPT),
RFC 4954 (AUTH and the AUTH= parameter), RFC 3030 (BDAT).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sidecars.smtp import replies as R

COMMAND_LINE_LIMIT = 512  # RFC 5321 4.5.3.1.4, CRLF included
AUTH_LINE_LIMIT = 12288  # RFC 4954 4: AUTH commands and SASL responses may be longer
MAX_LOCAL_PART = 64  # RFC 5321 4.5.3.1.1
MAX_DOMAIN = 255  # RFC 5321 4.5.3.1.2
MAX_PATH = 256  # RFC 5321 4.5.3.1.3
MAX_ENVID = 100  # RFC 3461 4.4


class ParseError(Exception):
    """Input that does not fit the grammar; ``reply`` is what to answer."""

    def __init__(self, reply: R.Reply) -> None:
        super().__init__(reply.text)
        self.reply = reply


# ------------------------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class Ehlo:
    verb: ClassVar[str] = "EHLO"
    domain: str


@dataclass(frozen=True)
class Helo:
    verb: ClassVar[str] = "HELO"
    domain: str


@dataclass(frozen=True)
class MailFrom:
    verb: ClassVar[str] = "MAIL"
    address: str  # "" is the null reverse-path
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RcptTo:
    verb: ClassVar[str] = "RCPT"
    address: str  # "postmaster" (no domain) is allowed, RFC 5321 4.1.1.3
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Data:
    verb: ClassVar[str] = "DATA"


@dataclass(frozen=True)
class Bdat:
    verb: ClassVar[str] = "BDAT"
    size: int
    last: bool


@dataclass(frozen=True)
class Rset:
    verb: ClassVar[str] = "RSET"


@dataclass(frozen=True)
class Noop:
    verb: ClassVar[str] = "NOOP"


@dataclass(frozen=True)
class Help:
    verb: ClassVar[str] = "HELP"
    topic: str = ""


@dataclass(frozen=True)
class Quit:
    verb: ClassVar[str] = "QUIT"


@dataclass(frozen=True)
class Vrfy:
    verb: ClassVar[str] = "VRFY"
    argument: str


@dataclass(frozen=True)
class Expn:
    verb: ClassVar[str] = "EXPN"
    argument: str


@dataclass(frozen=True)
class StartTls:
    verb: ClassVar[str] = "STARTTLS"


@dataclass(frozen=True)
class Auth:
    verb: ClassVar[str] = "AUTH"
    mechanism: str
    initial: bytes | None  # None: no initial response; b"": the client sent "="


Command = (
    Ehlo | Helo | MailFrom | RcptTo | Data | Bdat | Rset | Noop | Help | Quit | Vrfy | Expn | StartTls | Auth
)

# ------------------------------------------------------------------------------------------- addresses

_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~\-"
_DOT_STRING = re.compile(rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*")
_DOT_STRING_UTF8 = re.compile(rf"[{_ATEXT}\u0080-\U0010ffff]+(?:\.[{_ATEXT}\u0080-\U0010ffff]+)*")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_LABEL_UTF8 = re.compile(
    r"[A-Za-z0-9\u0080-\U0010ffff](?:[A-Za-z0-9\u0080-\U0010ffff-]*[A-Za-z0-9\u0080-\U0010ffff])?"
)
_GENERAL_LITERAL = re.compile(r"[A-Za-z0-9-]*[A-Za-z0-9]:[\x21-\x5a\x5e-\x7e]+")
_HELO_NAME = re.compile(r"[A-Za-z0-9_.\-\u0080-\U0010ffff]+|\[[\x21-\x5a\x5e-\x7e]+\]")


def _is_qtext(ch: str, utf8: bool) -> bool:
    o = ord(ch)
    return o in (32, 33) or 35 <= o <= 91 or 93 <= o <= 126 or (utf8 and o >= 0x80)


def _domain(text: str, utf8: bool, bad: R.Reply) -> str:
    """A Domain or address-literal (RFC 5321 4.1.2 and 4.1.3), lower-cased."""
    if len(text.encode("utf-8")) > MAX_DOMAIN:
        raise ParseError(bad.format(text="domain too long"))
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1]
        try:
            if inner[:5].lower() == "ipv6:":
                return f"[IPv6:{ipaddress.IPv6Address(inner[5:]).compressed}]"
            if _GENERAL_LITERAL.fullmatch(inner):
                return text
            return f"[{ipaddress.IPv4Address(inner)}]"
        except ValueError:
            raise ParseError(bad.format(text=f"bad address literal {text}")) from None
    label = _LABEL_UTF8 if utf8 else _LABEL
    labels = text.split(".")
    if not text or not all(label.fullmatch(x) for x in labels):
        raise ParseError(bad.format(text=f"bad domain {text!r}"))
    if any(len(x.encode("utf-8")) > 63 for x in labels):
        raise ParseError(bad.format(text="domain label too long"))
    return text.lower()


def parse_mailbox(text: str, *, utf8: bool = False, recipient: bool = False) -> str:
    """``local@domain`` from the inside of a path; quotes are dropped where the local part needs none.

    Raises:
        ParseError: the mailbox is malformed or too long (501 5.1.7 / 5.1.3), or non-ASCII without
            ``utf8`` (553 5.6.7).
    """
    bad = R.BAD_RECIPIENT_SYNTAX if recipient else R.BAD_SENDER_SYNTAX
    if not utf8 and not text.isascii():
        raise ParseError(R.UTF8_REQUIRED)
    if text.startswith('"'):
        chars: list[str] = []
        i = 1
        while True:
            if i >= len(text):
                raise ParseError(bad.format(text="unterminated quoted local part"))
            ch = text[i]
            if ch == "\\":
                nxt = text[i + 1 : i + 2]
                if not nxt or not (32 <= ord(nxt) <= 126 or (utf8 and ord(nxt) >= 0x80)):
                    raise ParseError(bad.format(text="bad quoted pair"))
                chars.append(nxt)
                i += 2
            elif ch == '"':
                i += 1
                break
            elif _is_qtext(ch, utf8):
                chars.append(ch)
                i += 1
            else:
                raise ParseError(bad.format(text="bad character in quoted local part"))
        content = "".join(chars)
        if text[i : i + 1] != "@":
            raise ParseError(bad.format(text="expected @ after the local part"))
        domain_text = text[i + 1 :]
        dot = _DOT_STRING_UTF8 if utf8 else _DOT_STRING
        if dot.fullmatch(content):
            local = content
        else:
            local = '"' + content.replace("\\", "\\\\").replace('"', '\\"') + '"'
    else:
        local, at, domain_text = text.rpartition("@")
        if not at or not local:
            raise ParseError(bad.format(text=f"expected local@domain, got {text!r}"))
        if not (_DOT_STRING_UTF8 if utf8 else _DOT_STRING).fullmatch(local):
            raise ParseError(bad.format(text=f"bad local part {local!r}"))
    if len(local.encode("utf-8")) > MAX_LOCAL_PART:
        raise ParseError(bad.format(text="local part longer than 64 octets"))
    return f"{local}@{_domain(domain_text, utf8, bad)}"


def _split_path(text: str, bad: R.Reply) -> tuple[str, str]:
    """``<path> params`` -> (inside of the angle brackets, rest); quoted ``>`` do not end the path."""
    if not text.startswith("<"):
        raise ParseError(bad.format(text="the address must be enclosed in <>"))
    quoted = False
    i = 1
    while i < len(text):
        ch = text[i]
        if quoted and ch == "\\":
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif ch == ">" and not quoted:
            return text[1:i], text[i + 1 :]
        i += 1
    raise ParseError(bad.format(text="missing > after the address"))


def _strip_source_route(inner: str) -> str:
    # RFC 5321 4.1.1.3 and appendix C: accept "@a,@b:user@c" and ignore the route.
    if inner.startswith("@"):
        route, colon, rest = inner.partition(":")
        if not colon or not all(re.fullmatch(r"@[^@,:\s]+", hop) for hop in route.split(",")):
            raise ParseError(R.BAD_PARAMETER.format(text="bad source route"))
        return rest
    return inner


# ------------------------------------------------------------------------------------------- parameters

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


# ------------------------------------------------------------------------------------------- verbs


def _no_args(cls: type, usage: str) -> Callable[[str], Command]:
    def parse(arg: str) -> Command:
        if arg:
            raise ParseError(R.SYNTAX.format(usage=usage))
        return cls()  # type: ignore[no-any-return]

    return parse


def _hello(cls: type[Ehlo] | type[Helo]) -> Callable[[str], Command]:
    def parse(arg: str) -> Command:
        if not _HELO_NAME.fullmatch(arg):
            raise ParseError(R.SYNTAX.format(usage=f"{cls.verb} <domain or address literal>"))
        return cls(arg)

    return parse


def _mail(arg: str) -> Command:
    m = re.match(r"(?i)FROM: *", arg)
    if not m:
        raise ParseError(R.SYNTAX.format(usage="MAIL FROM:<address> [parameters]"))
    inner, rest = _split_path(arg[m.end() :], R.BAD_SENDER_SYNTAX)
    if rest and not rest.startswith(" "):
        raise ParseError(R.SYNTAX.format(usage="MAIL FROM:<address> [parameters]"))
    params = parse_params(rest, MAIL_PARAMS)
    inner = _strip_source_route(inner)
    address = "" if inner == "" else parse_mailbox(inner, utf8="SMTPUTF8" in params)
    if len(address.encode("utf-8")) + 2 > MAX_PATH:
        raise ParseError(R.BAD_SENDER_SYNTAX.format(text="path longer than 256 octets"))
    return MailFrom(address, params)


def _rcpt(arg: str) -> Command:
    m = re.match(r"(?i)TO: *", arg)
    if not m:
        raise ParseError(R.SYNTAX.format(usage="RCPT TO:<address> [parameters]"))
    inner, rest = _split_path(arg[m.end() :], R.BAD_RECIPIENT_SYNTAX)
    if rest and not rest.startswith(" "):
        raise ParseError(R.SYNTAX.format(usage="RCPT TO:<address> [parameters]"))
    params = parse_params(rest, RCPT_PARAMS)
    inner = _strip_source_route(inner)
    if inner.lower() == "postmaster":
        return RcptTo("postmaster", params)
    if inner == "":
        raise ParseError(R.BAD_RECIPIENT_SYNTAX.format(text="empty recipient"))
    address = parse_mailbox(inner, utf8=True, recipient=True)
    if len(address.encode("utf-8")) + 2 > MAX_PATH:
        raise ParseError(R.BAD_RECIPIENT_SYNTAX.format(text="path longer than 256 octets"))
    return RcptTo(address, params)


def _bdat(arg: str) -> Command:
    m = re.fullmatch(r"([0-9]{1,18})(?: +(LAST))?", arg, re.IGNORECASE)
    if not m:
        raise ParseError(R.SYNTAX.format(usage="BDAT <size> [LAST]"))
    return Bdat(int(m.group(1)), m.group(2) is not None)


def decode_base64(text: str) -> bytes:
    """A SASL response or initial response; "=" is the empty one (RFC 4954 4)."""
    if text == "=":
        return b""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise ParseError(R.BAD_BASE64) from None


def _auth(arg: str) -> Command:
    mech, _, initial = arg.partition(" ")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,20}", mech) or " " in initial:
        raise ParseError(R.SYNTAX.format(usage="AUTH <mechanism> [initial-response]"))
    return Auth(mech.upper(), decode_base64(initial) if initial else None)


def _with_arg(cls: type[Vrfy] | type[Expn]) -> Callable[[str], Command]:
    def parse(arg: str) -> Command:
        if not arg:
            raise ParseError(R.SYNTAX.format(usage=f"{cls.verb} <string>"))
        return cls(arg)

    return parse


_PARSERS: dict[str, Callable[[str], Command]] = {
    "EHLO": _hello(Ehlo),
    "HELO": _hello(Helo),
    "MAIL": _mail,
    "RCPT": _rcpt,
    "DATA": _no_args(Data, "DATA"),
    "BDAT": _bdat,
    "RSET": _no_args(Rset, "RSET"),
    "NOOP": lambda arg: Noop(),
    "HELP": lambda arg: Help(arg.strip()),
    "QUIT": _no_args(Quit, "QUIT"),
    "VRFY": _with_arg(Vrfy),
    "EXPN": _with_arg(Expn),
    "STARTTLS": _no_args(StartTls, "STARTTLS"),
    "AUTH": _auth,
}

# Verbs of other protocols a confused or malicious client sends (HTTP through a proxy, cross-protocol).
FORBIDDEN_VERBS = frozenset({"GET", "POST", "HEAD", "PUT", "CONNECT", "USER"})


def command_verb(line: bytes) -> str:
    """The upper-cased first word of a line (for logging and the forbidden-verb check)."""
    return line.split(b" ", 1)[0].decode("ascii", "replace").upper()


def parse_command(line: bytes) -> Command:
    """One command line, without its line ending.

    Raises:
        ParseError: too long, NUL or invalid UTF-8, unknown verb, or bad arguments.
    """
    verb = command_verb(line)
    limit = AUTH_LINE_LIMIT if verb == "AUTH" else COMMAND_LINE_LIMIT
    if len(line) + 2 > limit:
        raise ParseError(R.LINE_TOO_LONG)
    if b"\x00" in line:
        raise ParseError(R.NUL_IN_COMMAND)
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError(R.BAD_ENCODING) from None
    if any(ord(c) < 32 and c != "\t" for c in text) or "\x7f" in text:
        raise ParseError(R.SYNTAX.format(usage="control characters are not allowed in commands"))
    word, _, arg = text.rstrip(" \t").partition(" ")
    parse = _PARSERS.get(word.upper())
    if parse is None:
        raise ParseError(R.UNKNOWN_COMMAND)
    return parse(arg.strip(" "))


# ------------------------------------------------------------------------------------------- streams


@dataclass(frozen=True)
class Line:
    data: bytes  # without the line ending
    bare_lf: bool  # ended with LF alone
    too_long: bool  # longer than the reader's limit; data is empty and the line was discarded


class LineReader:
    """Splits a byte stream into lines without ever holding more than ``limit`` octets of one line.

    The longest line allowed is AUTH_LINE_LIMIT; `parse_command` applies the 512-octet limit to
    everything but AUTH. ``take`` and ``take_rest`` hand raw bytes to BDAT and DATA.
    """

    def __init__(self, limit: int = AUTH_LINE_LIMIT) -> None:
        self.limit = limit
        self._buf = bytearray()
        self._discarding = False

    def feed(self, data: bytes) -> None:
        self._buf += data

    def __len__(self) -> int:
        return len(self._buf)

    def next_line(self) -> Line | None:
        i = self._buf.find(b"\n")
        if i < 0:
            if len(self._buf) >= self.limit:
                self._discarding = True
                keep_cr = self._buf.endswith(b"\r")
                self._buf.clear()
                if keep_cr:
                    self._buf += b"\r"
            return None
        raw = bytes(self._buf[:i])
        del self._buf[: i + 1]
        bare = not raw.endswith(b"\r")
        if not bare:
            raw = raw[:-1]
        if self._discarding or i + 1 > self.limit:
            self._discarding = False
            return Line(b"", bare, True)
        return Line(raw, bare, False)

    def take(self, n: int) -> bytes:
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data

    def take_rest(self) -> bytes:
        data = bytes(self._buf)
        self._buf.clear()
        return data


@dataclass(frozen=True)
class DataChunk:
    body: bytes  # unstuffed, line endings normalised to CRLF
    done: bool  # the end-of-data line was seen
    rest: bytes  # bytes after the end-of-data line (pipelined commands)


class DataDecoder:
    """Streaming DATA decoder (RFC 5321 4.5.2 and 4.1.1.4).

    The message ends only at CRLF "." CRLF (or "." CRLF first thing): a dot line after a bare LF does
    not end it, so bare-LF tricks cannot smuggle a second message. A leading dot is removed from lines
    that start after a CRLF; bare LF line endings are rewritten as CRLF and counted.
    """

    FLUSH_AT = 8192

    def __init__(self) -> None:
        self._line = bytearray()
        self._at_start = True
        self.bare_lf = 0
        self.nul = False
        self.done = False

    def feed(self, data: bytes) -> DataChunk:
        if self.done:
            return DataChunk(b"", True, data)
        out = bytearray()
        pos = 0
        while pos < len(data):
            j = data.find(b"\n", pos)
            if j < 0:
                self._line += data[pos:]
                if len(self._line) > self.FLUSH_AT:
                    self._flush_partial(out)
                break
            self._line += data[pos : j + 1]
            pos = j + 1
            line = bytes(self._line)
            self._line.clear()
            if self._at_start and line == b".\r\n":
                self.done = True
                return self._chunk(out, data[pos:])
            crlf = line.endswith(b"\r\n")
            if self._at_start and line.startswith(b"."):
                line = line[1:]
            if not crlf:
                line = line[:-1] + b"\r\n"
                self.bare_lf += 1
            out += line
            self._at_start = crlf
        return self._chunk(out, b"")

    def _flush_partial(self, out: bytearray) -> None:
        part = self._line[:-1]
        if self._at_start and part.startswith(b"."):
            part = part[1:]
        out += part
        del self._line[:-1]
        self._at_start = False

    def _chunk(self, out: bytearray, rest: bytes) -> DataChunk:
        body = bytes(out)
        if b"\x00" in body:
            self.nul = True
        return DataChunk(body, self.done, rest)


def normalise_line_endings(raw: bytes) -> tuple[bytes, int]:
    """Rewrite bare LF as CRLF (for BDAT content); returns the message and how many were fixed."""
    fixed, count = re.subn(rb"(?<!\r)\n", b"\r\n", raw)
    return fixed, count


def header_fields(raw: bytes, limit: int = 256 * 1024) -> list[tuple[str, str]]:
    """The unfolded header fields of a message (up to the first empty line, at most ``limit`` octets)."""
    end = raw.find(b"\r\n\r\n", 0, limit)
    block = raw[: end if end >= 0 else min(len(raw), limit)]
    fields: list[tuple[str, str]] = []
    for line in block.decode("utf-8", "replace").split("\r\n"):
        if line[:1] in (" ", "\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + " " + line.strip())
        elif ":" in line:
            name, _, value = line.partition(":")
            fields.append((name.strip(), value.strip()))
    return fields


def dot_stuff(body: bytes) -> bytes:
    """The DATA form of a CRLF message (for tests and the relay side): stuffed and terminated."""
    if body and not body.endswith(b"\r\n"):
        body += b"\r\n"
    stuffed = re.sub(rb"(?m)^\.", b"..", body)
    return stuffed + b".\r\n"
