"""Shared pieces of the IMAP interop tests: the server under test, a mailbox of a few hundred messages,
and what a client can observe of a folder (UIDs, Message-IDs, flags) on the server and in a Maildir.

The server is Fieldpost's IMAP service (``python -m sidecars.imap``) started on a fresh demo data
directory. Setting ``FIELDPOST_INTEROP_IMAP=dovecot`` points the same tests at a private Debian Dovecot
instead (bench/dovecot.py), with the same users, password and certificate: that is how the client
configurations in these tests were proven right, so a failure against Fieldpost is Fieldpost's.

The mailbox is filled before the server starts, without IMAP (``fieldpost import mbox``; Maildir files
for Dovecot), so a broken APPEND cannot hide behind a broken fill.
"""

from __future__ import annotations

import email.utils
import imaplib
import os
import pty
import re
import select
import shutil
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bench.dovecot import Dovecot
from tests.fieldpost.conftest import pick_port_offset
from tests.interop.conftest import DEMO_PASSWORD, fieldpost, make_demo_data
from tests.support.service import running

ALICE = "alice@example.test"
MAILBOX_SIZE = 300
PEER_ENV = "FIELDPOST_INTEROP_IMAP"
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE | re.MULTILINE)
_WORDS = [
    "river",
    "stone",
    "lamp",
    "orbit",
    "cedar",
    "harbor",
    "violet",
    "meadow",
    "copper",
    "lantern",
    "quartz",
    "willow",
]


def sample_message(n: int, tag: str = "interop") -> bytes:
    """The n-th message of the test mailbox: distinct Message-ID and subject, 1-4 KB; every fifth is a
    multipart with an attachment, every seventh has an encoded UTF-8 subject."""
    date = email.utils.format_datetime(email.utils.localtime().replace(microsecond=0))
    subject = f"{tag} message {n}"
    if n % 7 == 3:
        subject = f"=?utf-8?q?{tag}_message_{n}_=C3=A9t=C3=A9?="
    text = "\r\n".join(
        " ".join(_WORDS[(n + i + j) % len(_WORDS)] for j in range(9)) for i in range(12 + n % 40)
    )
    head = (
        f"From: Sender {n % 13} <sender{n % 13}@example.org>\r\nTo: <{ALICE}>\r\nSubject: {subject}\r\n"
        f"Date: {date}\r\nMessage-ID: <{tag}.{n}@example.org>\r\nMIME-Version: 1.0\r\n"
    )
    if n % 5:
        return (head + f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n").encode()
    blob = (bytes(range(256)) * 4).hex()
    return (
        head + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        f"--b\r\nContent-Type: text/plain\r\n\r\n{text}\r\n"
        f"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        f"{blob[:1000]}\r\n--b--\r\n"
    ).encode()


def message_id(raw: bytes) -> str:
    found = _MESSAGE_ID.search(raw)
    return found.group(1).decode() if found else ""


@dataclass
class Target:
    """The IMAP server under test, as a client sees it: host, ports, the CA file to trust, a password."""

    name: str
    imap_port: int
    imaps_port: int
    cafile: str
    log: Callable[[], str]
    host: str = "localhost"
    password: str = DEMO_PASSWORD
    extra: dict[str, object] = field(default_factory=dict, repr=False)
    #: Message-IDs in alice's INBOX when the test starts: the MAILBOX_SIZE test messages, plus on
    #: Fieldpost the demo data's own few messages
    initial: set[str] = field(default_factory=set, repr=False)

    def connect(self, user: str = ALICE) -> imaplib.IMAP4_SSL:
        """imaplib over implicit TLS, certificate checked against ``cafile``, logged in."""
        ctx = ssl.create_default_context(cafile=self.cafile)
        client = imaplib.IMAP4_SSL(self.host, self.imaps_port, ssl_context=ctx, timeout=30)
        client.login(user, self.password)
        return client


def _mbox(messages: list[bytes]) -> bytes:
    """mboxrd: a From_ line per message, ">From " quoting of body lines, LF line ends."""
    out = []
    for raw in messages:
        body = re.sub(rb"^(>*From )", rb">\1", raw.replace(b"\r\n", b"\n"), flags=re.MULTILINE)
        out.append(b"From sender@example.org Mon Jan  6 10:00:00 2025\n" + body.rstrip(b"\n") + b"\n\n")
    return b"".join(out)


def _fieldpost(tmp: Path, stack: ExitStack, messages: list[bytes]) -> Target:
    data = make_demo_data(tmp / "data")
    mbox = tmp / "fill.mbox"
    mbox.write_bytes(_mbox(messages))
    fieldpost(data, "import", "mbox", "--to", ALICE, str(mbox))
    offset, _proc = stack.enter_context(running("sidecars.imap", "imap", data))
    log = data / "logs" / "imap.log"
    return Target(
        "fieldpost", 1143 + offset, 1993 + offset, str(data / "tls" / "cert.pem"),
        lambda: log.read_text(errors="replace") if log.exists() else "",
    )  # fmt: skip


def _dovecot(tmp: Path, stack: ExitStack, messages: list[bytes]) -> Target:
    data = make_demo_data(tmp / "data")  # only for its certificate: the same one Fieldpost would use
    offset = pick_port_offset()
    users = {f"{u}@example.test": DEMO_PASSWORD for u in ("alice", "bob", "carol")}
    peer = Dovecot(users, data / "tls" / "cert.pem", data / "tls" / "key.pem", 1143 + offset, 1993 + offset)
    cur = peer.maildir(ALICE) / "cur"
    for sub in ("cur", "new", "tmp"):
        (peer.maildir(ALICE) / sub).mkdir()
        os.chown(peer.maildir(ALICE) / sub, 65534, 65534)
    for n, raw in enumerate(messages):
        path = cur / f"{1700000000 + n}.M{n}P1.fill:2,"
        path.write_bytes(raw)
        os.chown(path, 65534, 65534)
    stack.enter_context(peer)
    return Target("dovecot", peer.imap_port, peer.imaps_port, str(peer.cafile), peer.log_text)


@pytest.fixture
def imap_target(tmp_path: Path) -> Iterator[Target]:
    """A fresh server with alice's INBOX holding MAILBOX_SIZE messages (bob and carol empty)."""
    messages = [sample_message(n) for n in range(MAILBOX_SIZE)]
    with ExitStack() as stack:
        start = _dovecot if os.environ.get(PEER_ENV) == "dovecot" else _fieldpost
        target = start(tmp_path, stack, messages)
        target.extra["messages"] = messages
        target.initial = ids(server_state(target))
        assert {message_id(raw) for raw in messages} <= target.initial
        yield target


def need(binary: str, package: str) -> str:
    """The client's path; skip the test (the only reason to skip) when the package is not installed."""
    path = shutil.which(binary)
    if path is None:
        pytest.skip(f"{binary} is not installed (`make deps` installs the Debian package {package})")
    return path


def run_client(argv: list[str], timeout: float = 90, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """A client run to completion, stdout and stderr merged (the transcript is in the failure message,
    also when the client hangs: a hang guard, not a time limit on the server)."""
    try:
        return subprocess.run(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
            errors="replace", timeout=timeout, **kwargs,  # type: ignore[call-overload]
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        out = exc.output.decode(errors="replace") if isinstance(exc.output, bytes) else exc.output or ""
        raise AssertionError(
            f"{argv[0]} still running after {timeout:.0f} s; its output ends:\n{out[-4000:]}"
        ) from None


def run_in_pty(argv: list[str], timeout: float, env: dict[str, str]) -> tuple[int, str]:
    """A full-screen client (mutt) on a pseudo-terminal of its own; returns (exit status, screen output)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes the client
        os.execvpe(argv[0], argv, env)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    status = None
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    data = os.read(fd, 65536)
                except OSError:  # EIO: the client closed its terminal
                    data = b""
                if data:
                    chunks.append(data)
                    continue
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            raise AssertionError(
                f"{argv[0]} still running after {timeout:.0f} s:\n{b''.join(chunks)[-3000:]!r}"
            )
    finally:
        os.close(fd)
    assert status is not None
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode(errors="replace")


def server_state(
    target: Target, folder: str = "INBOX", user: str = ALICE
) -> dict[int, tuple[str, frozenset[str]]]:
    """UID -> (Message-ID, flags) of every message in ``folder``, as imaplib sees it."""
    client = target.connect(user)
    try:
        typ, data = client.select(f'"{folder}"', readonly=True)
        assert typ == "OK", data
        typ, data = client.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        assert typ == "OK", data
        state: dict[int, tuple[str, frozenset[str]]] = {}
        for item in data:
            if not isinstance(item, tuple):
                continue
            meta = item[0]
            uid = re.search(rb"UID (\d+)", meta)
            flags = re.search(rb"FLAGS \(([^)]*)\)", meta)
            assert uid and flags, meta
            state[int(uid.group(1))] = (message_id(item[1]), frozenset(flags.group(1).decode().split()))
        client.close()
        return state
    finally:
        client.logout()


def maildir_state(folder: Path) -> dict[str, tuple[str, frozenset[str]]]:
    """File name (without the info part) -> (Message-ID, Maildir flag letters) of a local Maildir folder."""
    state = {}
    for sub in ("new", "cur"):
        for path in sorted((folder / sub).iterdir()):
            base, _, info = path.name.partition(":2,")
            state[base] = (message_id(path.read_bytes()), frozenset(info))
    return state


def ids(state: dict[object, tuple[str, frozenset[str]]]) -> set[str]:
    return {mid for mid, _flags in state.values()}
