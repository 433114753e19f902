"""A Milter client (protocol version 6): the mail server's side of a conversation with any milter.

The protocol (libmilter's mfdef.h and its "milter protocol" notes; no RFC): packets of a 4-byte big-endian
length, one command byte and its data. The server negotiates (``O``), then walks the message through the
SMTP stages a milter may watch: connect (``C``), HELO (``H``), MAIL (``M``), one RCPT (``R``) per
recipient, DATA (``T``), each header (``L``), end of headers (``N``), body chunks (``B``) and end of
message (``E``), sending the macros (``D``) the stages usually carry. After each stage the milter
answers continue, accept (stop asking), reject, tempfail, discard, a full reply code, or skip (no more
body); at end of message it may first send edits: add, insert or change a header, replace the body,
quarantine.

Here the conversation happens while processing a queued message, not during the SMTP dialogue: the
client address and HELO come from what SMTP receiving recorded. We offer the edits we can apply to a
stored message (headers, body, quarantine) and refuse recipient and sender changes at negotiation.

``Session`` drives one conversation over a ``Connection``; ``apply_edits`` is pure and applies an
``Outcome``'s edits to the message bytes. Anything that is not this protocol raises
``ScannerReplyError``.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from filters.scanners import ScannerReplyError
from filters.scanners.transport import Connection

VERSION: Final = 6
MAX_PACKET: Final = 1024 * 1024  # the milter's replacement body comes in chunks below this
BODY_CHUNK: Final = 65535  # MILTER_CHUNK_SIZE

# Actions we let a milter take (SMFIF_*): add headers, change the body, change headers, quarantine.
ADDHDRS, CHGBODY, ADDRCPT, DELRCPT, CHGHDRS, QUARANTINE, CHGFROM, ADDRCPT_PAR, SETSYMLIST = (
    0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80, 0x100,
)  # fmt: skip
OFFERED_ACTIONS: Final = ADDHDRS | CHGBODY | CHGHDRS | QUARANTINE | SETSYMLIST

# Protocol steps a milter may ask to skip or not answer (SMFIP_*).
NOCONNECT, NOHELO, NOMAIL, NORCPT, NOBODY, NOHDRS, NOEOH, NR_HDR = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80
NOUNKNOWN, NODATA, SKIP = 0x100, 0x200, 0x400
NR_CONN, NR_HELO, NR_MAIL, NR_RCPT, NR_DATA, NR_UNKN, NR_EOH, NR_BODY = (
    0x1000, 0x2000, 0x4000, 0x8000, 0x10000, 0x20000, 0x40000, 0x80000,
)  # fmt: skip
OFFERED_PROTOCOL: Final = 0x7FF | 0xFF000  # every skip and no-reply step; not RCPT_REJ, not HDR_LEADSPC

FINAL_REPLIES: Final = frozenset(b"acdrty")  # accept continue discard reject tempfail replycode


@dataclass
class Outcome:
    """What a milter decided about one message."""

    verdict: str = "accept"  # accept | reject | tempfail | discard
    reply: str = ""  # the SMTP reply it gave with reject/tempfail (replycode), if any
    rejected_recipients: dict[str, str] = field(default_factory=dict)
    add_headers: list[tuple[str, str]] = field(default_factory=list)
    insert_headers: list[tuple[int, str, str]] = field(default_factory=list)
    change_headers: list[tuple[int, str, str]] = field(default_factory=list)
    new_body: bytes | None = None
    quarantine: str | None = None  # the reason, when the milter asked to quarantine

    @property
    def edits(self) -> bool:
        return bool(
            self.add_headers or self.insert_headers or self.change_headers or self.new_body is not None
        )


def packet(command: bytes, data: bytes = b"") -> bytes:
    """One packet: length (of command plus data), command byte, data."""
    return struct.pack(">I", len(data) + 1) + command + data


def cstrings(*values: str) -> bytes:
    """NUL-terminated strings, as the protocol carries names and values."""
    return b"".join(v.encode("utf-8", "surrogateescape").replace(b"\0", b"") + b"\0" for v in values)


def split_cstrings(data: bytes) -> list[str]:
    if not data.endswith(b"\0"):
        raise ScannerReplyError(f"milter sent a string without its NUL end: {data[:60]!r}")
    return [part.decode("utf-8", "replace") for part in data[:-1].split(b"\0")]


def connect_data(hostname: str, ip: str | None, port: int) -> bytes:
    """SMFIC_CONNECT: host name, family ('4', '6' or 'U' unknown), port, address."""
    try:
        addr = ipaddress.ip_address(ip or "")
    except ValueError:
        return cstrings(hostname) + b"U"
    family = b"4" if addr.version == 4 else b"6"
    return cstrings(hostname) + family + struct.pack(">H", port) + cstrings(str(addr))


@dataclass(frozen=True)
class Envelope:
    """What the milter is told about the message's way in."""

    sender: str
    recipients: Sequence[str]
    client_ip: str | None = None
    client_port: int = 0
    client_name: str = ""
    helo: str = ""
    queue_id: str = ""
    our_hostname: str = "localhost"


class Session:
    """One conversation with a milter about one message."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.actions = 0
        self.protocol = 0

    def read(self) -> tuple[bytes, bytes]:
        """(command byte, data) of the milter's next packet."""
        (length,) = struct.unpack(">I", self.conn.read_exactly(4))
        if not 1 <= length <= MAX_PACKET:
            raise ScannerReplyError(f"milter packet length {length} is out of range")
        body = self.conn.read_exactly(length)
        return body[:1], body[1:]

    def negotiate(self) -> None:
        """SMFIC_OPTNEG: agree on the version, the actions and the steps."""
        self.conn.send(packet(b"O", struct.pack(">III", VERSION, OFFERED_ACTIONS, OFFERED_PROTOCOL)))
        cmd, data = self.read()
        if cmd != b"O" or len(data) < 12:
            raise ScannerReplyError(f"milter answered option negotiation with {cmd!r} {data[:40]!r}")
        version, actions, protocol = struct.unpack(">III", data[:12])  # a v6 macro list may follow
        if not 2 <= version <= VERSION:
            raise ScannerReplyError(f"milter speaks protocol version {version}; we speak 2 to {VERSION}")
        if actions & ~OFFERED_ACTIONS:
            raise ScannerReplyError(
                f"milter wants actions {actions & ~OFFERED_ACTIONS:#x} (recipient or sender changes) "
                "that a stored message cannot take"
            )
        if protocol & ~OFFERED_PROTOCOL:
            raise ScannerReplyError(f"milter wants protocol steps {protocol & ~OFFERED_PROTOCOL:#x} we lack")
        self.actions, self.protocol = actions, protocol

    def stage(self, skip: int, no_reply: int, command: bytes, data: bytes = b"") -> tuple[bytes, bytes]:
        """Send one stage unless the milter skips it; its final reply, or continue when it gives none."""
        if self.protocol & skip:
            return b"c", b""
        self.conn.send(packet(command, data))
        if self.protocol & no_reply:
            return b"c", b""
        return self.reply()

    def reply(self) -> tuple[bytes, bytes]:
        while True:
            cmd, data = self.read()
            if cmd == b"p":  # SMFIR_PROGRESS: still working
                continue
            if cmd in (b"s",) or (cmd and cmd[0] in FINAL_REPLIES):
                return cmd, data
            raise ScannerReplyError(f"milter sent {cmd!r} where a verdict was expected")

    def macros(self, stage: bytes, values: dict[str, str]) -> None:
        """SMFIC_MACRO: macros for the next stage (no reply)."""
        pairs = [x for name, value in values.items() for x in (name, value)]
        self.conn.send(packet(b"D", stage + cstrings(*pairs)))

    def run(self, env: Envelope, raw: bytes) -> Outcome:
        """The whole conversation for ``raw``; ends with QUIT."""
        out = Outcome()
        self.negotiate()
        self.macros(b"C", {"j": env.our_hostname, "{daemon_name}": "fieldpost"})
        name = env.client_name or (f"[{env.client_ip}]" if env.client_ip else "localhost")
        data = connect_data(name, env.client_ip, env.client_port)
        done = self._settle(out, self.stage(NOCONNECT, NR_CONN, b"C", data))
        if not done:
            done = self._settle(out, self.stage(NOHELO, NR_HELO, b"H", cstrings(env.helo or name)))
        if not done:
            self.macros(b"M", {"{mail_addr}": env.sender, "i": env.queue_id})
            done = self._settle(out, self.stage(NOMAIL, NR_MAIL, b"M", cstrings(f"<{env.sender}>")))
        if not done:
            done = self._recipients(out, env.recipients)
        if not done:
            done = self._settle(out, self.stage(NODATA, NR_DATA, b"T"))
        if not done:
            done = self._message(out, raw)
        self.conn.send(packet(b"Q"))
        return out

    def _recipients(self, out: Outcome, recipients: Sequence[str]) -> bool:
        """One RCPT per recipient; a refusal there refuses only that recipient (RFC 5321 3.3)."""
        for rcpt in recipients:
            self.macros(b"R", {"{rcpt_addr}": rcpt})
            cmd, data = self.stage(NORCPT, NR_RCPT, b"R", cstrings(f"<{rcpt}>"))
            if cmd == b"t" or (cmd == b"y" and data[:1] == b"4"):  # try later: the whole message waits
                return self._settle(out, (cmd, data))
            if cmd in (b"r", b"y"):
                out.rejected_recipients[rcpt] = _reply_text(cmd, data)
            elif self._settle(out, (cmd, data)):  # accept or discard: the whole message is decided
                return True
        if recipients and len(out.rejected_recipients) == len(recipients):
            out.verdict, out.reply = "reject", "550 5.7.1 every recipient was refused by the milter"
            return True
        return False

    def _message(self, out: Outcome, raw: bytes) -> bool:
        head, body = split_message(raw)
        for fname, value in head:
            cmd_data = self.stage(NOHDRS, NR_HDR, b"L", cstrings(fname, value.replace("\r\n", "\n")))
            if self._settle(out, cmd_data):
                return True
        if self._settle(out, self.stage(NOEOH, NR_EOH, b"N")):
            return True
        if not self.protocol & NOBODY:
            for start in range(0, len(body), BODY_CHUNK):
                cmd, data = self.stage(0, NR_BODY, b"B", body[start : start + BODY_CHUNK])
                if cmd == b"s":  # SMFIR_SKIP: enough body
                    break
                if self._settle(out, (cmd, data)):
                    return True
        self.conn.send(packet(b"E"))
        while True:  # end of message: edits, then the final verdict
            cmd, data = self.read()
            if self._edit(out, cmd, data):
                continue
            if cmd == b"p":
                continue
            if cmd and cmd[0] in FINAL_REPLIES:
                self._settle(out, (cmd, data))
                return True
            raise ScannerReplyError(f"milter sent {cmd!r} at end of message")

    def _edit(self, out: Outcome, cmd: bytes, data: bytes) -> bool:
        """Record an end-of-message edit; False when ``cmd`` is not one."""
        if cmd == b"h":  # SMFIR_ADDHEADER
            name, value = _pair(split_cstrings(data))
            out.add_headers.append((name, value))
        elif cmd in (b"i", b"m"):  # SMFIR_INSHEADER, SMFIR_CHGHEADER
            if len(data) < 4:
                raise ScannerReplyError(f"milter header edit too short: {data!r}")
            (index,) = struct.unpack(">I", data[:4])
            name, value = _pair(split_cstrings(data[4:]))
            (out.insert_headers if cmd == b"i" else out.change_headers).append((index, name, value))
        elif cmd == b"b":  # SMFIR_REPLBODY, in chunks
            out.new_body = (out.new_body or b"") + data
        elif cmd == b"q":  # SMFIR_QUARANTINE
            out.quarantine = (split_cstrings(data) or [""])[0] or "quarantined by milter"
        elif cmd in (b"+", b"-", b"2", b"e"):
            raise ScannerReplyError(f"milter sent {cmd!r} (recipient/sender change) that was not offered")
        else:
            return False
        return True

    def _settle(self, out: Outcome, reply: tuple[bytes, bytes]) -> bool:
        """Record a stage's verdict; True when the conversation about this message is over."""
        cmd, data = reply
        if cmd in (b"c", b"s"):
            return False
        if cmd == b"a":
            out.verdict = "accept"
        elif cmd == b"d":
            out.verdict = "discard"
        elif cmd == b"r":
            out.verdict, out.reply = "reject", _reply_text(cmd, data)
        elif cmd == b"t":
            out.verdict, out.reply = "tempfail", _reply_text(cmd, data)
        elif cmd == b"y":
            text = _reply_text(cmd, data)
            out.verdict, out.reply = ("tempfail" if text.startswith("4") else "reject"), text
        return True


def _pair(values: list[str]) -> tuple[str, str]:
    if len(values) != 2 or not values[0]:
        raise ScannerReplyError(f"milter header edit is not a name and a value: {values!r}")
    return values[0], values[1]


def _reply_text(cmd: bytes, data: bytes) -> str:
    if cmd == b"y":
        text = data.rstrip(b"\0").decode("utf-8", "replace").strip()
        if len(text) < 3 or not text[:3].isdigit() or text[0] not in "45":
            raise ScannerReplyError(f"milter reply code {text[:60]!r} is not a 4xx/5xx SMTP reply")
        return " ".join(text.split())
    return "550 5.7.1 Command rejected" if cmd == b"r" else "451 4.7.1 Please try again later"


def split_message(raw: bytes) -> tuple[list[tuple[str, str]], bytes]:
    """(header fields as (name, value with its folding), body with CRLF line ends)."""
    norm = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    head, sep, body = norm.partition(b"\r\n\r\n")
    if not sep and not head.endswith(b"\r\n"):
        head, body = head, b""
    fields: list[tuple[str, str]] = []
    for line in head.decode("utf-8", "surrogateescape").split("\r\n"):
        if line[:1] in (" ", "\t") and fields:
            fields[-1] = (fields[-1][0], fields[-1][1] + "\r\n" + line)
        elif ":" in line:
            name, _colon, value = line.partition(":")
            fields.append((name.strip(), value.lstrip(" ")))
    return fields, body


def apply_edits(raw: bytes, out: Outcome) -> bytes:
    """``raw`` with the milter's header and body edits applied (libmilter's semantics: a change names
    the index-th field of that name, 1-based, and an empty value removes it; an insert goes before the
    index-th field, 0 being the top; added fields go last)."""
    if not out.edits:
        return raw
    fields, body = split_message(raw)
    for index, name, value in out.change_headers:
        positions = [i for i, (n, _v) in enumerate(fields) if n.lower() == name.lower()]
        if 1 <= index <= len(positions):
            at = positions[index - 1]
            if value.strip():
                fields[at] = (fields[at][0], value)
            else:
                fields[at] = ("", "")  # removed; dropped below so later indexes still count
        elif value.strip():
            fields.append((name, value))
    fields = [f for f in fields if f[0]]
    for index, name, value in out.insert_headers:
        fields.insert(min(index, len(fields)), (name, value))
    fields += out.add_headers
    head = "".join(
        f"{n}: {v.replace(chr(13), '').replace(chr(10), chr(13) + chr(10))}\r\n" for n, v in fields
    )
    new_body = body if out.new_body is None else out.new_body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return head.encode("utf-8", "surrogateescape") + b"\r\n" + new_body


def check(address: str, env: Envelope, raw: bytes, *, timeout: float) -> Outcome:
    """Ask the milter at ``address`` about ``raw``.

    Raises:
        ScannerDown: not reachable or too slow.
        ScannerReplyError: it broke the protocol, or wants actions we cannot take.
    """
    with Connection(address, timeout) as conn:
        return Session(conn).run(env, raw)


def ping(address: str, *, timeout: float) -> None:
    """Milters have no ping: a successful option negotiation shows it is back."""
    with Connection(address, timeout) as conn:
        session = Session(conn)
        session.negotiate()
        conn.send(packet(b"Q"))
