"""The load of bench/imap.py: a small IMAP client on raw (gevent) sockets, the per-session command mix,
the swarm of idle IDLE connections, and the memory of a server's process tree.

A hand-written client rather than imaplib: the load generator shares two cores with the server, so it
must cost little per command, and it must read the untagged responses other sessions cause (EXISTS,
EXPUNGE, FETCH during IDLE) without caring what they are. The caller monkey-patches with gevent first.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import socket
import ssl
import time
from collections import defaultdict
from dataclasses import dataclass, field

import gevent
import gevent.lock

_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")
_APPENDUID = re.compile(rb"\[APPENDUID \d+ (\d+)\]")
_EXISTS = re.compile(rb"^\* (\d+) EXISTS", re.MULTILINE)


class ImapError(Exception):
    """A NO/BAD/BYE where the mix expected OK, with the command and the server's line."""


class Client:
    """One connection over implicit TLS (plain IMAP when ``ctx`` is None): ``command`` sends a tagged
    command and returns the response lines (literals inlined) up to and including the tagged OK."""

    def __init__(self, port: int, ctx: ssl.SSLContext | None, timeout: float = 60) -> None:
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock = raw if ctx is None else ctx.wrap_socket(raw, server_hostname="localhost")
        self.file = self.sock.makefile("rb")
        self.tags = 0
        self.expunge_issued: list[tuple[str, int]] = []
        greeting = self.file.readline()
        if not greeting.startswith(b"* OK"):
            raise ImapError(f"greeting: {greeting!r}")

    def line(self) -> bytes:
        data = self.file.readline()
        if not data:
            raise ImapError("connection closed by the server")
        while (lit := _LITERAL.search(data)) is not None:
            data += self.file.read(int(lit.group(1)))
            data += self.file.readline()
        return data

    def command(self, text: str, literal: bytes | None = None) -> list[bytes]:
        self.tags += 1
        tag = b"a%d" % self.tags
        if literal is None:
            self.sock.sendall(tag + b" " + text.encode() + b"\r\n")
        else:  # a synchronizing literal: wait for the continuation (RFC 3501 7.5)
            self.sock.sendall(tag + b" " + text.encode() + b" {%d}\r\n" % len(literal))
            while not (reply := self.line()).startswith(b"+"):
                if reply.startswith(tag + b" "):
                    raise ImapError(f"{text}: {reply!r}")
            self.sock.sendall(literal + b"\r\n")
        return self.finish(tag, text)

    def finish(self, tag: bytes, text: str) -> list[bytes]:
        lines = []
        while True:
            reply = self.line()
            lines.append(reply)
            if reply.startswith(tag + b" "):
                if reply.startswith(tag + b" NO [EXPUNGEISSUED]"):
                    # RFC 2180 4.1.2 (and RFC 5530): another session expunged some of the messages asked
                    # for; allowed, counted, and how many FETCH responses still came is noted
                    fetched = sum(1 for line in lines if line.startswith(b"* ") and b" FETCH " in line)
                    self.expunge_issued.append((text, fetched))
                    return lines
                if not reply.startswith(tag + b" OK"):
                    raise ImapError(f"{text}: {reply[:300]!r}")
                return lines

    def idle(self, seconds: float) -> None:
        """IDLE (RFC 2177): wait for the continuation, stay ``seconds``, DONE, read to the tagged OK."""
        self.tags += 1
        tag = b"a%d" % self.tags
        self.sock.sendall(tag + b" IDLE\r\n")
        while not (reply := self.line()).startswith(b"+"):
            if reply.startswith(tag + b" "):
                raise ImapError(f"IDLE: {reply!r}")
        gevent.sleep(seconds)
        self.sock.sendall(b"DONE\r\n")
        self.finish(tag, "IDLE")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


@dataclass
class Tally:
    """Completed commands and their latencies by command name, and the errors, of one server's run."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    sessions: int = 0
    expunge_issued: list[tuple[str, int]] = field(default_factory=list)

    @property
    def ops(self) -> int:
        return sum(len(v) for v in self.latencies.values())


def session(port: int, ctx: ssl.SSLContext, user: str, password: str, message: bytes, rng: random.Random,
            words: list[str], tally: Tally, idle_seconds: float) -> None:  # fmt: skip
    """One client session of the mix: LOGIN, SELECT, FETCH 1:* FLAGS, FETCH ENVELOPE of a page of 50,
    FETCH one BODY.PEEK[], STORE +FLAGS \\Seen, UID SEARCH TEXT, APPEND, STORE \\Deleted on what was
    appended + EXPUNGE, IDLE, LOGOUT."""

    def timed(name: str, fn, *args):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        result = fn(*args)
        tally.latencies[name].append(time.perf_counter() - t)
        return result

    t = time.perf_counter()
    client = Client(port, ctx)
    tally.latencies["connect+greeting"].append(time.perf_counter() - t)
    try:
        timed("LOGIN", client.command, f'LOGIN "{user}" "{password}"')
        selected = timed("SELECT", client.command, "SELECT INBOX")
        exists = max(int(m) for m in _EXISTS.findall(b"".join(selected)))
        timed("FETCH 1:* FLAGS", client.command, "FETCH 1:* (FLAGS)")
        first = rng.randrange(1, max(exists - 49, 1) + 1)
        timed("FETCH page ENVELOPE", client.command,
              f"FETCH {first}:{min(first + 49, exists)} (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)")  # fmt: skip
        n = rng.randrange(1, exists + 1)
        timed("FETCH BODY.PEEK[]", client.command, f"FETCH {n} (BODY.PEEK[])")
        timed("STORE +FLAGS \\Seen", client.command, f"STORE {n} +FLAGS (\\Seen)")
        if words:  # an empty list leaves SEARCH out of the mix
            timed("UID SEARCH TEXT", client.command, f"UID SEARCH TEXT {rng.choice(words)}")
        appended = timed("APPEND", client.command, "APPEND INBOX (\\Draft)", message)
        uid = _APPENDUID.search(appended[-1])
        if uid is None:
            raise ImapError(f"APPEND gave no APPENDUID (UIDPLUS): {appended[-1]!r}")
        timed(
            "UID STORE +FLAGS \\Deleted",
            client.command,
            f"UID STORE {int(uid.group(1))} +FLAGS.SILENT (\\Deleted)",
        )
        timed("EXPUNGE", client.command, "EXPUNGE")
        timed("IDLE", client.idle, idle_seconds)
        timed("LOGOUT", client.command, "LOGOUT")
        tally.sessions += 1
    finally:
        tally.expunge_issued += client.expunge_issued
        client.close()


def run_mix(port: int, ctx: ssl.SSLContext, users: list[str], password: str, messages: list[bytes],
            words: list[str], clients: int, seconds: float, idle_seconds: float) -> tuple[Tally, float]:  # fmt: skip
    """``clients`` greenlets, each running session after session until ``seconds`` have passed; returns
    the tally and the wall time from the first session to the end of the last one."""
    tally = Tally()
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        rng = random.Random(i)
        while time.monotonic() < stop:
            try:
                session(port, ctx, users[i % len(users)], password, rng.choice(messages), rng, words, tally,
                        idle_seconds)  # fmt: skip
            except (ImapError, OSError) as exc:
                tally.errors.append(f"{type(exc).__name__}: {exc}")
                if len(tally.errors) > 50:
                    return
                gevent.sleep(0.1)

    start = time.perf_counter()
    gevent.joinall([gevent.spawn(worker, i) for i in range(clients)])
    return tally, time.perf_counter() - start


def idle_swarm(port: int, ctx: ssl.SSLContext | None, users: list[str], password: str, count: int,
               sample: callable, hold: float = 10.0, parallel: int = 200) -> tuple[int, list[str], float]:  # type: ignore[valid-type]  # fmt: skip
    """Open ``count`` connections, each LOGIN + SELECT INBOX + IDLE, at most ``parallel`` being set up at
    once; call ``sample()`` every second while they come up and for ``hold`` seconds once all are idle.
    Returns (how many reached IDLE, the first errors, seconds until the last one was set up or failed);
    every connection is closed afterwards."""
    clients: list[Client] = []
    errors: list[str] = []
    gate = gevent.lock.Semaphore(parallel)

    def one(i: int) -> None:
        with gate:
            try:
                client = Client(port, ctx, timeout=120)
                client.command(f'LOGIN "{users[i % len(users)]}" "{password}"')
                client.command("SELECT INBOX")
                client.tags += 1
                client.sock.sendall(b"a%d IDLE\r\n" % client.tags)
                reply = client.line()
                if not reply.startswith(b"+"):  # the continuation ("+ idling") is what is counted
                    raise ImapError(f"IDLE refused: {reply[:100]!r}")
                clients.append(client)
            except (ImapError, OSError) as exc:
                if len(errors) < 5:
                    errors.append(f"{type(exc).__name__}: {exc}")

    started = time.perf_counter()
    greenlets = [gevent.spawn(one, i) for i in range(count)]
    while not all(g.dead for g in greenlets):
        sample()
        gevent.wait(greenlets, timeout=1)
    setup = time.perf_counter() - started
    for _ in range(int(hold)):
        sample()
        gevent.sleep(1)
    reached = len(clients)
    for client in clients:
        client.close()
    return reached, errors, setup


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children[ppid].append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def tree_memory(root: int) -> tuple[int, int, int]:
    """(sum of RSS, sum of PSS, number of processes) of the tree in bytes. RSS counts shared pages
    once per process (an over-count for forking servers); PSS splits them among the sharers."""
    rss = pss = 0
    pids = process_tree(root)
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
        except OSError:
            continue
    return rss, pss, len(pids)
