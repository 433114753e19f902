"""``fieldpost serve``: one child process per service, kept alive.

Implementation notes:
- Children start in the order of ``config.services`` and stop in reverse order. Each child gets its own
  process group, so a child's own helpers (gunicorn's worker) are killed with it and never keep a port.
- A child that exits on its own is restarted after a backoff that doubles from 1 s up to 60 s; the
  doubling starts over once a child has stayed up for 60 s. A child stopped through the control channel
  stays stopped until started again.
- Stopping a child: SIGTERM to the child, up to 10 s of grace, then SIGKILL to its whole group.
- The main loop is single threaded: it waits on the control socket for at most a quarter second, then
  reaps children and starts the ones whose backoff has run out. Signal handlers only set a flag.
- ``run/services.json`` is rewritten (atomically) after every change; ``fieldpost status`` reads it.
- Listening sockets outlive their worker: for the services in ``HANDED_DOWN`` the supervisor binds each
  TCP listener once and hands the descriptors to every start of the child (``--listen-fd NAME=FD``,
  inherited through ``pass_fds``). While a worker restarts, new connections wait in the kernel's backlog
  instead of being refused; several workers could later accept on the same descriptors. The sockets
  are closed only when the service is stopped for good (``service stop``, supervisor shutdown); a
  listener the supervisor cannot bind is left to the child to bind (and fail, and be retried).
- Liveness: the same services rewrite ``run/<service>.heartbeat`` every second from their event loop. A
  child whose heartbeat is older than ``liveness_seconds`` ([supervisor] in fieldpost.toml; 30 s, 0 off)
  is wedged (a greenlet that never yields ignores SIGTERM too): it is SIGKILLed with its group and
  restarted like a child that died. Until its first heartbeat a new child gets ``STARTUP_GRACE``.

A service process is started as ``python -m MODULE --data DIR --service NAME --port-offset N`` with its
working directory at the source root; the web service is gunicorn with the gevent worker on ``wsgi:app``.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import selectors
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from fieldpost import control, runstate
from fieldpost.config import Config, Listener
from fieldpost.logs import ServiceLogger, service_logger

SOURCE_ROOT = Path(__file__).resolve().parent.parent

#: Module run for each service; services not built yet run the placeholder.
SERVICE_MODULES: dict[str, str] = {
    "smtp": "sidecars.smtp",
    "processing": "sidecars.processing",
    "imap": "sidecars.imap",
    "pop3": "sidecars.placeholder",
    "ftp": "sidecars.placeholder",
    "cli": "sidecars.placeholder",
    "logd": "sidecars.placeholder",
    "rpop": "sidecars.placeholder",
}

#: Services that take their listening sockets from the supervisor and write a heartbeat (sidecars.net).
HANDED_DOWN = frozenset({"smtp", "imap"})
LISTEN_BACKLOG = 128
STARTUP_GRACE = 60.0

BACKOFF_MIN = 1.0
BACKOFF_MAX = 60.0
STABLE_AFTER = 60.0
STOP_GRACE = 10.0

RUNNING, STOPPED, BACKOFF = "running", "stopped", "backoff"


class SupervisorError(RuntimeError):
    """The supervisor cannot start (already running, run directory unusable...)."""


@dataclass
class Child:
    name: str
    argv: list[str]
    listeners: list[Listener]
    proc: subprocess.Popen[bytes] | None = None
    state: str = STOPPED
    restarts: int = 0
    failures: int = 0
    started_at: float | None = None  # time.time() of the current start
    started_mono: float = 0.0
    next_start: float = 0.0
    output: IO[bytes] | None = field(default=None, repr=False)
    sockets: dict[str, socket.socket] = field(default_factory=dict, repr=False)  # listener name -> socket

    def as_dict(self) -> dict[str, Any]:
        started = (
            datetime.fromtimestamp(self.started_at, UTC).isoformat(timespec="seconds")
            if self.started_at and self.state == RUNNING
            else None
        )
        return {
            "pid": self.proc.pid if self.proc and self.state == RUNNING else None,
            "state": self.state,
            "restarts": self.restarts,
            "started_at": started,
            "listeners": [listener.as_dict() for listener in self.listeners],
        }


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket for a child to inherit."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(LISTEN_BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


def service_argv(config: Config, service: str) -> list[str]:
    """The command line that runs one service."""
    if service == "web":
        argv = [sys.executable, "-m", "gunicorn", "--worker-class", "gevent", "--workers", "1"]
        for listener in config.listeners("web"):
            argv += ["--bind", f"{listener.host}:{listener.port}"]
        if config.user and os.geteuid() == 0:  # gunicorn binds as root, then its worker switches
            argv += ["--user", config.user, "--group", grp.getgrgid(pwd.getpwnam(config.user).pw_gid).gr_name]
        return argv + [
            "--graceful-timeout",
            "5",
            "--no-control-socket",
            "--chdir",
            str(SOURCE_ROOT),
            "wsgi:app",
        ]
    module = SERVICE_MODULES[service]
    return [sys.executable, "-m", module, "--data", str(config.data_dir), "--service", service] + [
        "--port-offset",
        str(config.port_offset),
    ]


class Supervisor:
    def __init__(self, config: Config, out: IO[str] | None = None) -> None:
        self.config = config
        self.out = out or sys.stdout
        self.children = [
            Child(name, service_argv(config, name), config.listeners(name)) for name in config.services
        ]
        self.by_name = {child.name: child for child in self.children}
        self.stopping = False
        self.started_at = time.time()
        self.log: ServiceLogger = service_logger(config, "supervisor")

    # -- lifetime -----------------------------------------------------------------------------------

    def run(self) -> int:
        other = runstate.running_supervisor(self.config)
        if other is not None:
            raise SupervisorError(f"already running for {self.config.data_dir} (pid {other})")
        self.config.run_dir.mkdir(parents=True, exist_ok=True)
        runstate.write_pid(self.config)
        try:
            server = control.listen(self.config)
        except OSError as exc:
            runstate.pid_path(self.config).unlink(missing_ok=True)
            raise SupervisorError(f"cannot open the control socket: {exc}") from None
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        selector = selectors.DefaultSelector()
        selector.register(server, selectors.EVENT_READ)
        try:
            self.log.info(
                "supervisor starting (pid %d, port offset %d)", os.getpid(), self.config.port_offset
            )
            for child in self.children:
                if not self.stopping:
                    self.start(child)
            self.save()
            self.print_banner()
            while not self.stopping:
                if selector.select(timeout=0.25):
                    control.serve_one(server, self.handle)
                self.tick()
        finally:
            self.shutdown()
            selector.close()
            server.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            runstate.control_path(self.config).unlink(missing_ok=True)
            runstate.pid_path(self.config).unlink(missing_ok=True)
        return 0

    def _on_signal(self, signum: int, frame: object) -> None:
        self.stopping = True

    def shutdown(self) -> None:
        self.log.info("supervisor stopping")
        for child in reversed(self.children):
            self.stop(child)
        self.save(running=False)
        self.log.info("supervisor stopped")

    # -- children -----------------------------------------------------------------------------------

    def start(self, child: Child) -> None:
        if child.proc is not None and child.proc.poll() is None:
            return
        log_file = self.config.log_dir / f"{child.name}.out"
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        if child.output:
            child.output.close()
        child.output = open(log_file, "ab")  # noqa: SIM115 - kept open for the child's lifetime
        handed = self._listening_sockets(child)
        fds = [f"{name}={sock.fileno()}" for name, sock in handed.items()]
        child.proc = subprocess.Popen(
            child.argv + [arg for fd in fds for arg in ("--listen-fd", fd)],
            pass_fds=[sock.fileno() for sock in handed.values()],
            cwd=SOURCE_ROOT,
            env=self.config.child_environment(),
            stdin=subprocess.DEVNULL,
            stdout=child.output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        child.state = RUNNING
        child.started_at = time.time()
        child.started_mono = time.monotonic()
        self.log.info("started %s (pid %d)", child.name, child.proc.pid)

    def _listening_sockets(self, child: Child) -> dict[str, socket.socket]:
        """The child's listening sockets, bound now if not yet (see the module notes)."""
        if child.name not in HANDED_DOWN:
            return {}
        for listener in child.listeners:
            if listener.proto != "tcp" or listener.name in child.sockets:
                continue
            try:
                child.sockets[listener.name] = listen(listener.host, listener.port)
            except OSError as exc:
                self.log.warning(
                    "cannot bind %s for %s (the service will try): %s", listener.name, child.name, exc
                )
        return child.sockets

    def _close_sockets(self, child: Child) -> None:
        for sock in child.sockets.values():
            with contextlib.suppress(OSError):
                sock.close()
        child.sockets.clear()

    def stop(self, child: Child, keep_sockets: bool = False) -> None:
        """Stop the child; its listening sockets are closed too unless it is about to start again."""
        proc = child.proc
        if proc is not None:
            if proc.poll() is None:
                self._signal(proc.pid, signal.SIGTERM, group=False)
                try:
                    proc.wait(timeout=STOP_GRACE)
                except subprocess.TimeoutExpired:
                    self.log.warning("%s did not stop within %.0f s; killing it", child.name, STOP_GRACE)
            self._signal(proc.pid, signal.SIGKILL, group=True)
            proc.wait()
            self.log.info("stopped %s (pid %d, exit %s)", child.name, proc.pid, proc.returncode)
        child.proc = None
        child.state = STOPPED
        if not keep_sockets:
            self._close_sockets(child)
        if child.output:
            child.output.close()
            child.output = None

    @staticmethod
    def _signal(pid: int, sig: int, group: bool) -> None:
        try:
            if group:
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def tick(self) -> None:
        """Reap children that died and start the ones whose backoff has expired."""
        now = time.monotonic()
        changed = False
        for child in self.children:
            self._check_liveness(child)
            if child.state == RUNNING and child.proc is not None and child.proc.poll() is not None:
                code = child.proc.returncode
                self._signal(child.proc.pid, signal.SIGKILL, group=True)  # leftovers of its group
                if now - child.started_mono >= STABLE_AFTER:
                    child.failures = 0
                delay = min(BACKOFF_MAX, BACKOFF_MIN * 2**child.failures)
                child.failures += 1
                child.restarts += 1
                child.state = BACKOFF
                child.next_start = now + delay
                child.proc = None
                self.log.error("%s exited (code %s); restarting in %.0f s", child.name, code, delay)
                changed = True
            if child.state == BACKOFF and now >= child.next_start and not self.stopping:
                self.start(child)
                changed = True
        if changed:
            self.save()

    def _check_liveness(self, child: Child) -> None:
        """SIGKILL a running child whose heartbeat has gone stale; ``tick`` then restarts it."""
        limit = self.config.liveness_seconds
        proc = child.proc
        if child.name not in HANDED_DOWN or not limit or child.state != RUNNING or proc is None:
            return
        started = child.started_at or 0.0
        try:
            beat = runstate.heartbeat_path(self.config, child.name).stat().st_mtime
        except FileNotFoundError:
            beat = 0.0
        now = time.time()
        # nothing from this start yet: allow for imports, store and TLS setup
        fresh = beat >= started
        stale = now - beat > limit if fresh else now - started > max(limit, STARTUP_GRACE)
        if stale and proc.poll() is None:
            self.log.error(
                "%s (pid %d) gave no heartbeat for %.0f s; killing it",
                child.name,
                proc.pid,
                now - max(beat, started),
            )
            self._signal(proc.pid, signal.SIGKILL, group=True)
            proc.wait()

    # -- control channel ----------------------------------------------------------------------------

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        command = request.get("command")
        if command == "status":
            return {"ok": True, **self.snapshot()}
        if command not in ("start", "stop", "restart"):
            return {"ok": False, "error": f"unknown command: {command}"}
        name = request.get("service")
        child = self.by_name.get(str(name))
        if child is None:
            known = ", ".join(self.by_name)
            return {"ok": False, "error": f"unknown service: {name} (services: {known})"}
        self.log.info("%s %s requested", command, child.name)
        if command in ("stop", "restart"):
            self.stop(child, keep_sockets=command == "restart")
        if command in ("start", "restart"):
            child.failures = 0
            self.start(child)
        self.save()
        return {"ok": True, "service": child.as_dict()}

    # -- reporting ----------------------------------------------------------------------------------

    def snapshot(self, running: bool = True) -> dict[str, Any]:
        return {
            "supervisor": {
                "pid": os.getpid() if running else None,
                "state": RUNNING if running else STOPPED,
                "started_at": datetime.fromtimestamp(self.started_at, UTC).isoformat(timespec="seconds"),
                "port_offset": self.config.port_offset,
            },
            "services": {child.name: child.as_dict() for child in self.children},
        }

    def save(self, running: bool = True) -> None:
        runstate.write_state(self.config, self.snapshot(running))

    def print_banner(self) -> None:
        web = {listener.name: listener for listener in self.config.listeners("web")}
        lines = [f"Fieldpost is running (data {self.config.data_dir}, supervisor pid {os.getpid()})", ""]
        for name, title in (("webmail", "WebMail"), ("webadmin", "WebAdmin")):
            if name in web:
                lines.append(f"  {title:<9} http://{web[name].host}:{web[name].port}/")
        lines += ["", f"  {'service':<11} {'listener':<24} address"]
        for child in self.children:
            for listener in child.listeners:
                address = f"{listener.host}:{listener.port}/{listener.proto}"
                lines.append(f"  {child.name:<11} {listener.description:<24} {address}")
        demo = self.config.demo
        if demo:
            lines += ["", "Demo credentials:"]
            accounts = [a for a in str(demo.get("accounts", "")).split(",") if a]
            for account in accounts:
                lines.append(f"  {account:<24} password {demo.get('password', '')}")
            if demo.get("admin_password"):
                lines.append(f"  {'admin (WebAdmin, CLI)':<24} password {demo['admin_password']}")
        lines += ["", "Logs in " + str(self.config.log_dir) + ". Stop with Ctrl-C."]
        print("\n".join(lines), file=self.out, flush=True)
