"""An SMTP sink for tests: plays a remote mail exchanger on a loopback address (127.0.0.2 by default).

It speaks enough ESMTP for an MTA client (EHLO/HELO, STARTTLS, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA, RSET,
NOOP, QUIT), records every envelope it accepts, and can be told to answer 4xx/5xx:

    sink.greeting = "421 4.3.2 busy"                 # refuse whole connections
    sink.rcpt_replies["nobody@far.test"] = "550 5.1.1 no such user"
    sink.data_reply = "451 4.3.0 try later"

One thread per connection; the lists it fills are appended to under the GIL, so tests read them freely.
"""

from __future__ import annotations

import base64
import contextlib
import re
import socket
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Envelope:
    helo: str
    mail_from: str
    mail_params: list[str]
    rcpts: list[tuple[str, list[str]]]
    data: bytes
    tls: bool
    auth_user: str | None
    peer: tuple[str, int]

    @property
    def recipients(self) -> list[str]:
        return [r for r, _ in self.rcpts]


@dataclass
class SmtpSink:
    host: str = "127.0.0.2"
    port: int = 0
    tls_files: tuple[Path, Path] | None = None  # (cert, key): offer STARTTLS
    users: dict[str, str] = field(default_factory=dict)  # offer AUTH when set
    extensions: tuple[str, ...] = ("8BITMIME", "SMTPUTF8", "DSN", "ENHANCEDSTATUSCODES", "SIZE 10485760")
    greeting: str = "220 sink.test ESMTP ready"
    mail_reply: str = "250 2.1.0 ok"
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    data_reply: str = "250 2.0.0 queued"
    envelopes: list[Envelope] = field(default_factory=list)
    connections: int = 0
    transactions_per_connection: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((self.host, self.port))
        self.port = self._sock.getsockname()[1]
        self._sock.listen(16)
        self._stop = threading.Event()
        self._ctx: ssl.SSLContext | None = None
        if self.tls_files:
            self._ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._ctx.load_cert_chain(str(self.tls_files[0]), str(self.tls_files[1]))
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> SmtpSink:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._session, args=(conn, peer), daemon=True).start()

    def _session(self, conn: socket.socket, peer: tuple[str, int]) -> None:
        conn.settimeout(10)
        session = _Session(self, conn, peer)
        try:
            session.run()
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            self.transactions_per_connection.append(session.transactions)
            with contextlib.suppress(OSError):
                session.conn.close()


class _Session:
    def __init__(self, sink: SmtpSink, conn: socket.socket, peer: tuple[str, int]) -> None:
        self.sink = sink
        self.conn: socket.socket = conn
        self.peer = peer
        self.file = conn.makefile("rb")
        self.tls = False
        self.helo = ""
        self.auth_user: str | None = None
        self.transactions = 0
        self.reset()

    def reset(self) -> None:
        self.mail_from: str | None = None
        self.mail_params: list[str] = []
        self.rcpts: list[tuple[str, list[str]]] = []

    def send(self, line: str) -> None:
        self.conn.sendall(line.encode() + b"\r\n")

    def readline(self) -> str:
        line = self.file.readline(4096)
        if not line:
            raise ValueError("closed")
        return line.decode("utf-8", "replace").rstrip("\r\n")

    def run(self) -> None:
        self.send(self.sink.greeting)
        if not self.sink.greeting.startswith("2"):
            return
        while True:
            line = self.readline()
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb in ("EHLO", "HELO"):
                self.helo = arg
                self.reset()
                if verb == "HELO":
                    self.send("250 sink.test")
                    continue
                lines = ["sink.test", *self.sink.extensions]
                if self.sink._ctx and not self.tls:
                    lines.append("STARTTLS")
                if self.sink.users:
                    lines.append("AUTH PLAIN LOGIN")
                for i, text in enumerate(lines):
                    self.send(f"250{'-' if i < len(lines) - 1 else ' '}{text}")
            elif verb == "STARTTLS" and self.sink._ctx and not self.tls:
                self.send("220 2.0.0 go ahead")
                self.conn = self.sink._ctx.wrap_socket(self.conn, server_side=True)
                self.file = self.conn.makefile("rb")
                self.tls = True
                self.reset()
            elif verb == "AUTH" and self.sink.users:
                self.auth(arg)
            elif verb == "MAIL":
                m = re.match(r"(?i)FROM:\s*<([^>]*)>\s*(.*)", arg)
                if not m:
                    self.send("501 5.5.4 syntax")
                    continue
                self.send(self.sink.mail_reply)
                if self.sink.mail_reply.startswith("2"):
                    self.mail_from, self.mail_params = m.group(1), m.group(2).split()
            elif verb == "RCPT":
                m = re.match(r"(?i)TO:\s*<([^>]*)>\s*(.*)", arg)
                if not m or self.mail_from is None:
                    self.send("503 5.5.1 MAIL first")
                    continue
                reply = self.sink.rcpt_replies.get(m.group(1).lower(), "250 2.1.5 ok")
                self.send(reply)
                if reply.startswith("2"):
                    self.rcpts.append((m.group(1), m.group(2).split()))
            elif verb == "DATA":
                if not self.rcpts:
                    self.send("554 5.5.1 no valid recipients")
                    continue
                self.send("354 end with .")
                data = self.read_data()
                if self.sink.data_reply.startswith("2"):
                    self.transactions += 1
                    self.sink.envelopes.append(
                        Envelope(
                            self.helo,
                            self.mail_from or "",
                            self.mail_params,
                            self.rcpts,
                            data,
                            self.tls,
                            self.auth_user,
                            self.peer,
                        )
                    )
                self.send(self.sink.data_reply)  # after recording: a test may look as soon as it reads 250
                self.reset()
            elif verb == "RSET":
                self.reset()
                self.send("250 2.0.0 ok")
            elif verb == "NOOP":
                self.send("250 2.0.0 ok")
            elif verb == "QUIT":
                self.send("221 2.0.0 bye")
                return
            else:
                self.send("502 5.5.2 not implemented")

    def read_data(self) -> bytes:
        chunks = []
        while True:
            line = self.file.readline(1 << 20)
            if not line:
                raise ValueError("closed in DATA")
            if line in (b".\r\n", b".\n"):
                return b"".join(chunks)
            chunks.append(line[1:] if line.startswith(b".") else line)

    def auth(self, arg: str) -> None:
        mech, _, initial = arg.partition(" ")
        if mech.upper() == "PLAIN":
            if not initial:
                self.send("334 ")
                initial = self.readline()
            _, user, password = base64.b64decode(initial).decode().split("\0")
        elif mech.upper() == "LOGIN":
            self.send("334 VXNlcm5hbWU6")
            user = base64.b64decode(self.readline()).decode()
            self.send("334 UGFzc3dvcmQ6")
            password = base64.b64decode(self.readline()).decode()
        else:
            self.send("504 5.5.4 mechanism not supported")
            return
        if self.sink.users.get(user) == password:
            self.auth_user = user
            self.send("235 2.7.0 ok")
        else:
            self.send("535 5.7.8 bad credentials")
