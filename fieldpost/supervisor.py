"""``fieldpost serve``: the service processes, kept alive; listening services run as worker pools.

Implementation notes:
- Children start in the order of ``config.services`` (the log service first, whatever its place) and stop
  in reverse order. The log service's UDP socket is bound here too and handed down like a pool's
  (``--listen-fd log=FD``), so records sent while it restarts wait in the socket. Each child gets its own
  process group, so a child's own helpers (gunicorn's worker) are killed with it and never keep a port.
- Worker pools: a service of ``config.WORKER_POOLS`` (smtp, imap, pop3) runs ``config.worker_count(service)``
  processes (``[workers]`` in fieldpost.toml, default one per CPU), started with ``--worker 1..N``. They
  accept on the same listening sockets, which the supervisor binds once per service and hands to every
  start of every worker (``--listen-fd NAME=FD``, inherited through ``pass_fds``); the kernel gives each
  new connection to one of the workers waiting in accept. While a worker restarts, the others keep
  accepting and new connections wait in the backlog at worst; nothing is refused. The sockets are
  closed only when the service is stopped (``service stop``, supervisor shutdown); a listener the
  supervisor cannot bind is left to the child to bind (and fail, and be retried). Other services are
  one process (gunicorn runs its own workers for the web service).
- Connection caps across a pool: for each pool service the supervisor makes one shared table of open
  connections (``fieldpost.connection_counts``, an anonymous memfd) with a row for every worker process
  that can run at once (two per worker: a rolling restart runs the old and the new side by side, plus
  two spare) and hands it to every start of every worker (``--connection-counts FD``). The workers keep
  it consistent among themselves, dead ones included; the supervisor only keeps it open.
- Each worker is supervised alone: one that exits is restarted after a backoff that doubles from 1 s up
  to 60 s; the doubling starts over once it has stayed up for 60 s. A service stopped through the
  control channel stays stopped until started again; stop and start act on all its workers.
- Rolling restart (``service restart`` of a pool): one worker at a time, a replacement process is started
  next to the old one; once the replacement has written its first heartbeat (it is accepting), the old
  one gets SIGTERM and drains its sessions (up to ``STOP_GRACE``) while the next worker is replaced. The
  service never stops answering. A replacement that dies or stays silent for ``STARTUP_GRACE`` ends the
  roll and the old worker keeps serving. The control request answers at once; ``rolling`` in the
  status says whether the roll is still going.
- Stopping: SIGTERM to every process of the service at once, up to 10 s of grace, then SIGKILL to
  each one's whole group.
- The main loop is single threaded: it waits on the control socket for at most a quarter second, then
  reaps children, starts the ones whose backoff has run out and moves rolling restarts on. Signal
  handlers only set a flag.
- ``run/services.json`` is rewritten (atomically) after every change; ``fieldpost status`` reads it.
- Liveness: each worker rewrites ``run/<service>.<n>.heartbeat`` every second from its event loop (the
  file holds the time and the writer's pid). A worker whose heartbeat is older than ``liveness_seconds``
  ([supervisor] in fieldpost.toml; 30 s, 0 off) is wedged (a greenlet that never yields ignores SIGTERM
  too): it is SIGKILLed with its group and restarted like one that died. Until its first heartbeat a new
  worker gets ``STARTUP_GRACE``.
- Log lines name the process: ``imap.2`` is worker 2 of imap; a single-process service is its name.

How a process is started and what is recorded of it: :mod:`fieldpost.processes`. A service process is
started as ``python -m MODULE --data DIR --service NAME --port-offset N`` (plus
``--worker N`` and ``--listen-fd`` for a pool) with its working directory at the source root; the web
service is gunicorn with the gevent worker on ``wsgi:app``.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from typing import IO, Any

from fieldpost import connection_counts, control, runstate
from fieldpost.config import WORKER_POOLS, Config
from fieldpost.logs import ServiceLogger, service_logger
from fieldpost.processes import (
    BACKOFF,
    RUNNING,
    SOURCE_ROOT,
    STOPPED,
    Child,
    Draining,
    iso,
    listen,
    listen_datagrams,
    service_argv,
)

#: Services that run as worker pools on listening sockets the supervisor hands down (sidecars.net).
HANDED_DOWN = frozenset(WORKER_POOLS)
#: Services whose sockets the supervisor holds across their restarts: the pools, and the log service,
#: whose UDP socket keeps the records sent while it (re)starts until it reads them.
HELD_SOCKETS = HANDED_DOWN | {"logd"}
STARTUP_GRACE = 60.0

BACKOFF_MIN = 1.0
BACKOFF_MAX = 60.0
STABLE_AFTER = 60.0
STOP_GRACE = 10.0


class SupervisorError(RuntimeError):
    """The supervisor cannot start (already running, run directory unusable...)."""


class Supervisor:
    def __init__(self, config: Config, out: IO[str] | None = None) -> None:
        self.config = config
        self.out = out or sys.stdout
        self.pools: dict[str, list[Child]] = {}
        for name in config.services:
            argv, listeners = service_argv(config, name), config.listeners(name)
            if name in HANDED_DOWN:
                count = config.worker_count(name)
                self.pools[name] = [Child(name, list(argv), listeners, n) for n in range(1, count + 1)]
            else:
                self.pools[name] = [Child(name, argv, listeners)]
        # the log service starts first and stops last: every other service sends it its records
        self.children = [child for name in self._start_order() for child in self.pools[name]]
        self.sockets: dict[str, dict[str, socket.socket]] = {}  # service -> listener name -> socket
        self.count_tables: dict[str, int] = {}  # pool service -> its connection table's descriptor
        self.rolling: dict[str, list[Child]] = {}  # service -> workers still to replace, in order
        self.draining: list[Draining] = []
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

    def _start_order(self) -> list[str]:
        return sorted(self.pools, key=lambda name: name != "logd")

    def _on_signal(self, signum: int, frame: object) -> None:
        self.stopping = True

    def shutdown(self) -> None:
        self.log.info("supervisor stopping")
        for name in reversed(self._start_order()):
            self.stop_service(name)
        self._finish_draining(force=True)
        for table in self.count_tables.values():
            os.close(table)
        self.count_tables.clear()
        self.save(running=False)
        self.log.info("supervisor stopped")

    # -- children -----------------------------------------------------------------------------------

    def _spawn(self, child: Child) -> subprocess.Popen[bytes]:
        """Start one process for ``child``'s slot, with the service's listening sockets."""
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        handed = self._listening_sockets(child.name)
        argv = child.argv + (["--worker", str(child.worker)] if child.worker else [])
        argv += [arg for name, sock in handed.items() for arg in ("--listen-fd", f"{name}={sock.fileno()}")]
        passed = [sock.fileno() for sock in handed.values()]
        table = self._count_table(child.name)
        if table is not None:
            argv += ["--connection-counts", str(table)]
            passed.append(table)
        # the child keeps its own copy of the output descriptor; ours is closed at once
        with open(self.config.log_dir / f"{child.name}.out", "ab") as output:
            proc = subprocess.Popen(
                argv,
                pass_fds=passed,
                cwd=SOURCE_ROOT,
                env=self.config.child_environment(),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return proc

    def start(self, child: Child) -> None:
        if child.proc is not None and child.proc.poll() is None:
            return
        child.proc = self._spawn(child)
        child.state = RUNNING
        child.started_at = time.time()
        child.started_mono = time.monotonic()
        self.log.info("started %s (pid %d)", child.label, child.proc.pid)

    def _count_table(self, service: str) -> int | None:
        """The pool's shared connection table, made on the first start of one of its workers."""
        if service not in HANDED_DOWN:
            return None
        if service not in self.count_tables:
            rows = 2 * len(self.pools[service]) + 2
            try:
                self.count_tables[service] = connection_counts.create(rows)
            except OSError as exc:
                self.log.warning(
                    "no shared connection table for %s (caps count per worker): %s", service, exc
                )
                return None
        return self.count_tables[service]

    def _listening_sockets(self, service: str) -> dict[str, socket.socket]:
        """The service's listening sockets, bound now if not yet (see the module notes)."""
        if service not in HELD_SOCKETS:
            return {}
        held = self.sockets.setdefault(service, {})
        for listener in self.config.listeners(service):
            if listener.name in held or (listener.proto != "tcp" and service != "logd"):
                continue
            try:
                bind = listen if listener.proto == "tcp" else listen_datagrams
                held[listener.name] = bind(listener.host, listener.port)
            except OSError as exc:
                self.log.warning(
                    "cannot bind %s for %s (the service will try): %s", listener.name, service, exc
                )
        return held

    def _close_sockets(self, service: str) -> None:
        for sock in self.sockets.pop(service, {}).values():
            with contextlib.suppress(OSError):
                sock.close()

    def stop(self, child: Child, keep_sockets: bool = False) -> None:
        """Stop one process slot; the service's sockets are closed too once none of its workers runs,
        unless it is about to start again."""
        self._terminate([child])
        if not keep_sockets and all(other.state == STOPPED for other in self.pools[child.name]):
            self._close_sockets(child.name)

    def stop_service(self, name: str, keep_sockets: bool = False) -> None:
        """Stop every worker of a service at once (a roll in progress is dropped)."""
        self.rolling.pop(name, None)
        self._terminate(self.pools[name])
        if not keep_sockets:
            self._close_sockets(name)

    def _terminate(self, children: list[Child]) -> None:
        """SIGTERM to each child's process (and rolling replacement), one shared grace, then SIGKILL."""
        procs = [(child.label, child.proc) for child in children if child.proc is not None]
        procs += [(f"{child.label} replacement", child.successor) for child in children if child.successor]
        for _, proc in procs:
            if proc.poll() is None:
                self._signal(proc.pid, signal.SIGTERM, group=False)
        deadline = time.monotonic() + STOP_GRACE
        for label, proc in procs:
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.log.warning("%s did not stop within %.0f s; killing it", label, STOP_GRACE)
            self._signal(proc.pid, signal.SIGKILL, group=True)
            proc.wait()
            self.log.info("stopped %s (pid %d, exit %s)", label, proc.pid, proc.returncode)
        for child in children:
            child.proc = None
            child.successor = None
            child.state = STOPPED

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
        """Reap children that died, start the ones whose backoff has expired, move rolls on."""
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
                self.log.error("%s exited (code %s); restarting in %.0f s", child.label, code, delay)
                changed = True
            if child.state == BACKOFF and now >= child.next_start and not self.stopping:
                self.start(child)
                changed = True
        changed = self._roll() or changed
        self._finish_draining()
        if changed:
            self.save()

    def _check_liveness(self, child: Child) -> None:
        """SIGKILL a running worker whose heartbeat has gone stale; ``tick`` then restarts it."""
        limit = self.config.liveness_seconds
        proc = child.proc
        if child.name not in HANDED_DOWN or not limit or child.state != RUNNING or proc is None:
            return
        started = child.started_at or 0.0
        beat, _ = self._heartbeat(child)
        now = time.time()
        # nothing from this start yet: allow for imports, store and TLS setup
        fresh = beat >= started
        stale = now - beat > limit if fresh else now - started > max(limit, STARTUP_GRACE)
        if stale and proc.poll() is None:
            self.log.error(
                "%s (pid %d) gave no heartbeat for %.0f s; killing it",
                child.label,
                proc.pid,
                now - max(beat, started),
            )
            self._signal(proc.pid, signal.SIGKILL, group=True)
            proc.wait()

    def _heartbeat(self, child: Child) -> tuple[float, int | None]:
        """(mtime, writer's pid) of the child's heartbeat file; (0, None) when there is none."""
        path = runstate.heartbeat_path(self.config, child.name, child.worker)
        try:
            beat = path.stat().st_mtime
            fields = path.read_text().split()
        except OSError:
            return 0.0, None
        pid = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None
        return beat, pid

    # -- rolling restart ----------------------------------------------------------------------------

    def restart_service(self, name: str) -> None:
        """Replace the workers of a pool one at a time (see the module notes); others stop and start."""
        pool = self.pools[name]
        if name not in HANDED_DOWN:
            self.stop_service(name)
            for child in pool:
                child.failures = 0
                self.start(child)
            return
        running = [child for child in pool if child.state == RUNNING]
        for child in pool:
            child.failures = 0
            if child.state != RUNNING:  # stopped or waiting out a backoff: a fresh start is the restart
                self.start(child)
        self.rolling[name] = running
        self.log.info("rolling restart of %s (%d workers)", name, len(pool))
        self._roll()

    def _roll(self) -> bool:
        """Move every rolling restart one step on; whether a process changed."""
        changed = False
        for name in list(self.rolling):
            pending = self.rolling[name]
            current = next((child for child in self.pools[name] if child.successor is not None), None)
            if current is not None:
                changed = self._promote_or_wait(current) or changed
                if current.successor is not None or name not in self.rolling:
                    continue
            while pending:
                child = pending.pop(0)
                if child.state == RUNNING and child.proc is not None and child.proc.poll() is None:
                    child.successor = self._spawn(child)
                    child.successor_started = time.time()
                    self.log.info("started %s replacement (pid %d)", child.label, child.successor.pid)
                    changed = True
                    break
            else:  # nothing left to replace and no replacement waiting
                del self.rolling[name]
                self.log.info("rolling restart of %s done", name)
                changed = True
        return changed

    def _promote_or_wait(self, child: Child) -> bool:
        """The replacement serves once it has beaten; the old process then drains. Whether it changed."""
        successor = child.successor
        assert successor is not None
        code = successor.poll()
        _, beating = self._heartbeat(child)
        failure = None if code is None else f"exit {code}"
        if failure is None and beating != successor.pid:
            if time.time() - child.successor_started <= STARTUP_GRACE:
                return False
            failure = "no heartbeat"
        if failure is not None:
            self._signal(successor.pid, signal.SIGKILL, group=True)
            successor.wait()
            child.successor = None
            self.rolling.pop(child.name, None)
            self.log.error(
                "%s replacement (pid %d) failed (%s); rolling restart of %s stopped, the old worker serves",
                child.label,
                successor.pid,
                failure,
                child.name,
            )
            return True
        old = child.proc
        child.proc, child.successor = successor, None
        child.state = RUNNING
        child.started_at = child.successor_started
        child.started_mono = time.monotonic()
        if old is not None:
            self._signal(old.pid, signal.SIGTERM, group=False)
            self.draining.append(Draining(child.label, old, time.monotonic() + STOP_GRACE))
            self.log.info("%s replaced: pid %d serves, pid %d drains", child.label, successor.pid, old.pid)
        return True

    def _finish_draining(self, force: bool = False) -> None:
        """Reap old workers of rolling restarts; SIGKILL the ones past their grace (all, with ``force``)."""
        now = time.monotonic()
        for item in list(self.draining):
            if item.proc.poll() is None and not force and now < item.deadline:
                continue
            if item.proc.poll() is None:
                self.log.warning(
                    "%s (pid %d) did not stop within %.0f s; killing it",
                    item.label,
                    item.proc.pid,
                    STOP_GRACE,
                )
            self._signal(item.proc.pid, signal.SIGKILL, group=True)
            item.proc.wait()
            self.log.info("stopped %s (pid %d, exit %s)", item.label, item.proc.pid, item.proc.returncode)
            self.draining.remove(item)

    # -- control channel ----------------------------------------------------------------------------

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        command = request.get("command")
        if command == "status":
            return {"ok": True, **self.snapshot()}
        if command not in ("start", "stop", "restart"):
            return {"ok": False, "error": f"unknown command: {command}"}
        name = str(request.get("service"))
        if name not in self.pools:
            known = ", ".join(self.pools)
            return {"ok": False, "error": f"unknown service: {request.get('service')} (services: {known})"}
        self.log.info("%s %s requested", command, name)
        if command == "stop":
            self.stop_service(name)
        elif command == "start":
            for child in self.pools[name]:
                child.failures = 0
                self.start(child)
        else:
            self.restart_service(name)
        self.save()
        return {"ok": True, "service": self.service_state(name)}

    # -- reporting ----------------------------------------------------------------------------------

    def service_state(self, name: str) -> dict[str, Any]:
        """One service in ``services.json``: ``pid``/``started_at`` are the first worker's (scripts that
        know one process per service keep working); ``restarts`` counts every worker's; ``workers`` has
        each one."""
        pool = self.pools[name]
        states = {child.state for child in pool}
        state = BACKOFF if BACKOFF in states else RUNNING if RUNNING in states else STOPPED
        first = pool[0].as_dict()
        return {
            "pid": first["pid"],
            "state": state,
            "restarts": sum(child.restarts for child in pool),
            "started_at": first["started_at"],
            "listeners": [listener.as_dict() for listener in pool[0].listeners],
            "workers": [child.as_dict() for child in pool],
            "rolling": name in self.rolling,
        }

    def snapshot(self, running: bool = True) -> dict[str, Any]:
        return {
            "supervisor": {
                "pid": os.getpid() if running else None,
                "state": RUNNING if running else STOPPED,
                "started_at": iso(self.started_at),
                "port_offset": self.config.port_offset,
            },
            "services": {name: self.service_state(name) for name in self.pools},
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
        for name, pool in self.pools.items():
            for listener in pool[0].listeners:
                address = f"{listener.host}:{listener.port}/{listener.proto}"
                lines.append(f"  {name:<11} {listener.description:<24} {address}")
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
