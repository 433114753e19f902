"""The log service's loop: receive datagrams, route each record by the rules, write, flush, beat.

Implementation notes:
- One process, one thread, no gevent: the work is a UDP socket and local files, and a plain
  ``selectors`` loop is the whole of it. The socket is the one the supervisor bound and keeps across
  restarts (``--listen-fd log=FD``), with a large receive buffer, so records sent while this process
  starts or restarts wait in the kernel instead of being lost. Without it (run alone) the service binds
  the ``log`` listener itself.
- After each wake-up the loop drains up to ``BATCH`` datagrams without waiting, writes them, then flushes
  every file once: a burst costs one flush, and a line is on disk within one turn of the loop.
- A datagram from an address outside ``[logging] accept_from``, or one that is not a log record, is
  dropped and counted; the service says so in its own log at most once a minute per reason.
- Its own records (start, stop, drops) go through the same rules, as records of service ``logd``.
- The heartbeat file is rewritten every turn (at most ``HEARTBEAT`` apart); SIGTERM/SIGINT or the
  supervisor going away ends the loop; files are flushed and closed on the way out.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import signal
import socket
import time
from collections.abc import Callable

from fieldpost import runstate
from fieldpost.config import Config
from fieldpost.log_rules import LogSettings
from fieldpost.logs import LevelMaskFilter, LineFormatter
from sidecars.logd import forward
from sidecars.logd.files import LogFiles
from sidecars.logd.parser import BadRecord, Record, parse

BATCH = 512
HEARTBEAT = 1.0
RECEIVE_BUFFER = 4 * 1024 * 1024
REPORT_EVERY = 60.0


class Router:
    """Sends each record where the rules say (pure of sockets but for the forwarder it is given)."""

    def __init__(
        self, settings: LogSettings, files: LogFiles, forwarder: forward.SyslogForwarder, resolve: Resolver
    ) -> None:
        self.settings = settings
        self.files = files
        self.forwarder = forwarder
        self.targets = [(rule, resolve(rule.remote())) for rule in settings.rules]

    def route(self, record: Record, received: float) -> None:
        for rule, address in self.targets:
            if not rule.matches(record.service, record.level, record.host):
                continue
            name = rule.file_name(record.service)
            if name is not None:
                self.files.write(name, record.line)
            elif address is not None and rule.target.startswith("syslog:"):
                self.forwarder.send(address, forward.message(record, received))
            elif address is not None:  # another host's log service takes our line as it is
                self.forwarder.send(address, record.line.encode("utf-8"))


Resolver = Callable[[tuple[str, str, int] | None], tuple[str, int] | None]


def resolve_once(remote: tuple[str, str, int] | None) -> tuple[str, int] | None:
    """A forwarding target's host looked up once at start (sending never waits on DNS); None if it
    fails or the rule writes a file."""
    if remote is None:
        return None
    try:
        info = socket.getaddrinfo(remote[1], remote[2], type=socket.SOCK_DGRAM)
    except OSError:
        return None
    host, port = info[0][4][0], info[0][4][1]
    return str(host), int(port)


class OwnLog(logging.Handler):
    """The service's own records, formatted like everyone's and routed by the same rules."""

    def __init__(self, router: Router) -> None:
        super().__init__()
        self.router = router

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.router.route(parse(self.format(record).encode("utf-8")), record.created)
            self.router.files.flush()
        except BadRecord:
            self.handleError(record)


class LogService:
    def __init__(self, config: Config, sock: socket.socket, router: Router, log: logging.Logger) -> None:
        self.config = config
        self.sock = sock
        self.router = router
        self.log = log
        self.refused: dict[str, int] = {}
        self.bad: dict[str, int] = {}
        self.last_report = time.monotonic()
        self.stopping = False

    def handle(self, data: bytes, sender: str) -> None:
        if not self.router.settings.accepts(sender):
            self.refused[sender] = self.refused.get(sender, 0) + 1
            return
        try:
            record = parse(data)
        except BadRecord as exc:
            self.bad[str(exc)] = self.bad.get(str(exc), 0) + 1
            return
        self.router.route(record, time.time())

    def drain(self) -> None:
        for _ in range(BATCH):
            try:
                data, address = self.sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                break
            self.handle(data, str(address[0]))
        self.router.files.flush()

    def report(self) -> None:
        """Say what was dropped, at most once every ``REPORT_EVERY`` seconds."""
        now = time.monotonic()
        if now - self.last_report < REPORT_EVERY:
            return
        self.last_report = now
        for sender, count in self.refused.items():
            self.log.warning("dropped %d record(s) from %s: not in [logging] accept_from", count, sender)
        for reason, count in self.bad.items():
            self.log.warning("dropped %d datagram(s): %s", count, reason)
        dropped = self.router.forwarder.dropped
        if dropped:
            self.log.warning("%d record(s) could not be forwarded to syslog", dropped)
            self.router.forwarder.dropped = 0
        self.refused.clear()
        self.bad.clear()
        self.router.files.flush()

    def run(self, heartbeat: int | None) -> None:
        selector = selectors.DefaultSelector()
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_write, False)
        os.set_blocking(wake_read, False)
        previous = signal.set_wakeup_fd(wake_write)
        selector.register(wake_read, selectors.EVENT_READ, None)
        selector.register(self.sock, selectors.EVENT_READ, self.sock)
        parent = os.getppid()
        try:
            while not self.stopping and os.getppid() == parent:
                if heartbeat is not None:
                    with contextlib.suppress(OSError):
                        os.pwrite(heartbeat, f"{time.time():017.3f} {os.getpid():>10d}\n".encode(), 0)
                for key, _ in selector.select(timeout=HEARTBEAT):
                    if key.data is None:
                        with contextlib.suppress(BlockingIOError):
                            os.read(wake_read, 64)
                    else:
                        self.drain()
                self.report()
            self.drain()
        finally:
            signal.set_wakeup_fd(previous)
            selector.close()
            os.close(wake_read)
            os.close(wake_write)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((host, port))
    return sock


def prepare(sock: socket.socket) -> socket.socket:
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    sock.setblocking(False)
    return sock


def serve(config: Config, inherited: int | None) -> int:
    """Run the log service until told to stop; the exit status."""
    settings = config.logging
    files = LogFiles(config.log_dir, settings.rotate_bytes, settings.rotate_seconds, settings.keep)
    forwarder = forward.SyslogForwarder()
    router = Router(settings, files, forwarder, resolve_once)
    log = logging.getLogger("fieldpost.logd")
    handler = OwnLog(router)
    handler.setFormatter(LineFormatter(config.hostname, "logd"))
    handler.addFilter(LevelMaskFilter(config.log_level("logd")))
    for old in list(log.handlers):
        log.removeHandler(old)
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    try:
        if inherited is not None:
            sock = socket.socket(fileno=inherited)
        else:
            listener = config.listeners("logd")[0]
            sock = bind(listener.host, listener.port)
    except (OSError, IndexError) as exc:
        log.error("logd cannot bind its listener: %s", exc)
        files.close()
        return 1
    service = LogService(config, prepare(sock), router, log)

    def stop(signum: int, frame: object) -> None:
        service.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for rule, address in router.targets:
        if rule.remote() is not None and address is None:
            log.error(
                "log rule target %s: the host name does not resolve; that rule forwards nothing", rule.target
            )
    heartbeat: int | None
    try:
        path = runstate.heartbeat_path(config, "logd")
        path.parent.mkdir(parents=True, exist_ok=True)
        heartbeat = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    except OSError:
        heartbeat = None
    log.info("logd started on %s", sock.getsockname())
    try:
        service.run(heartbeat)
    finally:
        log.info("logd stopped")
        files.close()
        forwarder.close()
        sock.close()
        if heartbeat is not None:
            os.close(heartbeat)
    return 0
