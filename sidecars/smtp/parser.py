"""SMTP wire syntax: one command line in, a frozen command object out.

Pure: no sockets, no storage, no clock. Every failure is a ``ParseError`` carrying the reply to send,
so a fuzzer can feed any bytes and expect either a command or a ParseError. The ESMTP parameters are
in params.py and the streaming line and DATA readers in stream.py; their names are re-exported here.

Grammar references are RFC 5321 (4.1.1 commands, 4.1.2 paths, 4.5.3.1 size limits), RFC 6531
(SMTPUTF8 addresses), RFC 4954 (AUTH), RFC 3030 (BDAT).
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
from sidecars.smtp.errors import ParseError as ParseError
from sidecars.smtp.params import MAIL_PARAMS as MAIL_PARAMS
from sidecars.smtp.params import MAX_ENVID as MAX_ENVID
from sidecars.smtp.params import RCPT_PARAMS as RCPT_PARAMS
from sidecars.smtp.params import parse_params as parse_params
from sidecars.smtp.stream import AUTH_LINE_LIMIT as AUTH_LINE_LIMIT
from sidecars.smtp.stream import DataChunk as DataChunk
from sidecars.smtp.stream import DataDecoder as DataDecoder
from sidecars.smtp.stream import Line as Line
from sidecars.smtp.stream import LineReader as LineReader
from sidecars.smtp.stream import dot_stuff as dot_stuff
from sidecars.smtp.stream import normalise_line_endings as normalise_line_endings

COMMAND_LINE_LIMIT = 512  # RFC 5321 4.5.3.1.4, CRLF included
MAX_LOCAL_PART = 64  # RFC 5321 4.5.3.1.1
MAX_DOMAIN = 255  # RFC 5321 4.5.3.1.2
MAX_PATH = 256  # RFC 5321 4.5.3.1.3


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
