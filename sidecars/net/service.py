"""The life of a protocol service process: ``python -m sidecars.<protocol> --data DIR --service NAME``.

Every protocol's ``__main__`` is::

    from gevent import monkey; monkey.patch_all()   # first, before anything imports socket/ssl/threading
    from sidecars.net.service import Endpoint, run_service
    sys.exit(run_service("smtp", build_endpoints))

where ``build_endpoints(context) -> {listener name: Endpoint(handler, refusal, implicit_tls)}`` says
which of the service's listeners (from :mod:`fieldpost.config`) it serves and how. Listeners left out
are not bound.

Implementation notes:
- Order: load the configuration, set up the log, open the store, load the TLS pair (a missing pair is
  logged; implicit-TLS listeners are then skipped and STARTTLS is not offered), bind every listener,
  and only then drop privileges (root with a ``user`` in the configuration) and start accepting.
- Listener settings (``net.<service>.*``) are read at start and again every ``POLICY_REFRESH`` seconds,
  so a change made with the CLI or WebAdmin applies within that time without a restart.
- SIGTERM/SIGINT, or the supervisor going away: stop accepting on every listener, give sessions up to
  ``STOP_GRACE`` seconds, close the store, exit 0. A bind failure exits 1.
- ``--listen-fd NAME=FD``: the listener is a socket the supervisor bound and keeps open across restarts
  (see :mod:`fieldpost.supervisor`); it is used as it is instead of being bound. An inherited listener
  the service does not serve (no TLS pair for an implicit-TLS one) accepts and closes connections, so
  they do not wait in the backlog for nothing.
- ``--worker N``: this process is worker N of a pool the supervisor runs on the same inherited sockets
  (each accept goes to one of them). Its session ids carry N in their top byte, so ids stay unique in
  the service's log across workers, and its lifecycle lines say ``worker N``. Nothing that changes an
  answer is kept in the process: what must hold across sessions lives in storage.
- ``--connection-counts FD``: the pool's shared table of open connections, which the supervisor made and
  hands to every worker of the service; the listeners' caps count every worker's connections in it
  (:mod:`fieldpost.connection_counts`). Without it (a lone process, tests) they count this process's.
- Heartbeat: a greenlet rewrites ``run/<service>.<N>.heartbeat`` (``run/<service>.heartbeat`` without
  ``--worker``) every ``HEARTBEAT`` seconds with the time and this pid; a hub wedged by a greenlet that
  never yields stops it, and the supervisor restarts the worker. The pid tells the supervisor when a
  replacement worker of a rolling restart is serving. The file is opened before privileges are dropped.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import gevent
from gevent import socket as gsocket
from gevent import ssl
from gevent.event import Event
from gevent.server import StreamServer

from fieldpost import config as configuration
from fieldpost import runstate
from fieldpost.connection_counts import ConnectionCounts
from fieldpost.logs import ServiceLogger, service_logger
from sidecars.net.errorcontrol import ErrorLimits
from sidecars.net.listener import Handler, ListenerServer, Policy, Refusal, SessionIds, bind
from sidecars.net.rules import Limits, parse_rules
from sidecars.net.tls import TLSSetupError, server_context

if TYPE_CHECKING:
    from storage.contracts import WithSettings
    from storage.store import Store

POLICY_REFRESH = 10.0
STOP_GRACE = 5.0
PARENT_CHECK = 0.5
HEARTBEAT = 1.0
MAX_WORKER = 255  # a worker number fits the top byte of a session id


@dataclass(frozen=True)
class Endpoint:
    """How a service serves one of its listeners."""

    handler: Handler
    refusal: Refusal | bytes
    implicit_tls: bool = False


@dataclass
class ServiceContext:
    """What ``build_endpoints`` gets: the service's configuration, store, log and TLS context."""

    service: str
    config: configuration.Config
    store: Store
    log: ServiceLogger
    hostname: str
    tls_context: ssl.SSLContext | None


def load_policy(store: WithSettings, service: str, log: ServiceLogger | None = None) -> Policy:
    """The listener policy of ``service`` from its ``net.<service>.*`` settings (server level).

    Rules that cannot be parsed are left out and logged as warnings.
    """

    def get(key: str) -> Any:
        return store.settings.get(f"net.{service}.{key}")

    allow, allow_errors = parse_rules(get("allow_rules"))
    deny, deny_errors = parse_rules(get("deny_rules"))
    if log is not None:
        for message in allow_errors + deny_errors:
            log.warning("listener rule ignored: %s", message)
    limits = Limits(
        max_connections=get("max_connections"),
        max_per_ip=get("max_per_ip"),
        new_per_interval=get("new_per_interval"),
        new_per_ip_per_interval=get("new_per_ip_per_interval"),
        interval_seconds=get("interval_seconds"),
    )
    errors = ErrorLimits(max_errors=get("max_errors"), max_auth_failures=get("max_auth_failures"))
    return Policy(
        tuple(allow),
        tuple(deny),
        limits,
        float(get("idle_seconds")),
        errors,
        preauth_idle_seconds=float(get("preauth_idle_seconds")),
        reserve_authenticated=int(get("reserve_authenticated")),
    )


def service_hostname(store: WithSettings, config: configuration.Config) -> str:
    """The name used in greetings: the ``server.hostname`` setting, else the static configuration's."""
    try:
        return str(store.settings.get("server.hostname") or config.hostname)
    except Exception:
        return config.hostname


def drop_privileges(user: str | None, log: ServiceLogger) -> None:
    """Become ``user`` (and its groups) when running as root; nothing when not root or no user is set."""
    if not user or os.geteuid() != 0:
        return
    import pwd

    entry = pwd.getpwnam(user)
    os.setgroups(os.getgrouplist(entry.pw_name, entry.pw_gid))
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)
    log.info("running as %s (uid %d)", user, entry.pw_uid)


def parse_args(prog: str, argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--data", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--port-offset", type=int, default=0)
    parser.add_argument(
        "--listen-fd", action="append", default=[], metavar="NAME=FD", help="an inherited listening socket"
    )
    parser.add_argument(
        "--worker", type=int, default=0, metavar="N", help="worker number in the pool (1-255)"
    )
    parser.add_argument(
        "--connection-counts",
        type=int,
        default=None,
        metavar="FD",
        help="the pool's shared table of open connections (fieldpost.connection_counts)",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.worker <= MAX_WORKER:
        parser.error(f"--worker must be 0-{MAX_WORKER}")
    return args


def inherited_sockets(pairs: list[str]) -> dict[str, int]:
    """``["imap=5", ...]`` -> ``{"imap": 5}``."""
    out = {}
    for pair in pairs:
        name, _, fd = pair.partition("=")
        if not name or not fd.isdigit():
            raise SystemExit(f"--listen-fd wants NAME=FD, not {pair!r}")
        out[name] = int(fd)
    return out


def _connection_counts(fd: int | None, log: ServiceLogger) -> ConnectionCounts | None:
    """The pool's shared connection table, or None (not in a pool, or no free row: count locally)."""
    if fd is None:
        return None
    try:
        counts = ConnectionCounts.attach(fd)
    except (OSError, ValueError) as exc:
        log.error("the shared connection table is unusable (%s); caps count per worker", exc)
        return None
    if counts is None:
        log.error("no free row in the shared connection table; caps count per worker")
    return counts


def run_service(
    service: str,
    build_endpoints: Callable[[ServiceContext], dict[str, Endpoint]],
    argv: list[str] | None = None,
) -> int:
    """Run one protocol service until it is told to stop; the process's exit status."""
    args = parse_args(f"sidecars.{service}", argv)
    config = configuration.load(args.data, args.port_offset)
    log = service_logger(config, args.service)
    from storage import open_store

    store = open_store(config.database_url, config.blob_dir)
    try:
        return _serve(
            args.service,
            config,
            store,
            log,
            build_endpoints,
            inherited_sockets(args.listen_fd),
            args.worker,
            _connection_counts(args.connection_counts, log),
        )
    finally:
        store.close()


def _serve(
    service: str,
    config: configuration.Config,
    store: Store,
    log: ServiceLogger,
    build_endpoints: Callable[[ServiceContext], dict[str, Endpoint]],
    inherited: dict[str, int],
    worker: int = 0,
    connection_counts: ConnectionCounts | None = None,
) -> int:
    try:
        tls_context: ssl.SSLContext | None = server_context(config)
    except TLSSetupError as exc:
        log.error("%s; TLS is not offered", exc)
        tls_context = None
    context = ServiceContext(service, config, store, log, service_hostname(store, config), tls_context)
    endpoints = build_endpoints(context)
    policy = load_policy(store, service, log)
    ids = SessionIds(worker=worker)
    who = f"{service} worker {worker} (pid {os.getpid()})" if worker else service
    servers: list[ListenerServer] = []
    unserved: list[StreamServer] = []
    try:
        for listener in config.listeners(service):
            endpoint = endpoints.get(listener.name)
            fd = inherited.get(listener.name)
            if endpoint is None or listener.proto != "tcp" or (endpoint.implicit_tls and tls_context is None):
                if endpoint is not None and endpoint.implicit_tls and tls_context is None:
                    log.error("listener %s needs TLS and is not started", listener.name)
                if fd is not None:
                    unserved.append(StreamServer(gsocket.socket(fileno=fd), _close_at_once))
                continue
            sock = gsocket.socket(fileno=fd) if fd is not None else bind(listener.host, listener.port)
            servers.append(
                ListenerServer(
                    listener.name,
                    sock,
                    endpoint.handler,
                    log=log,
                    refusal=endpoint.refusal,
                    policy=policy,
                    session_ids=ids,
                    tls_context=tls_context,
                    implicit_tls=endpoint.implicit_tls,
                    connection_counts=connection_counts,
                )
            )
    except OSError as exc:
        log.error("%s cannot bind its listeners: %s", service, exc)
        for server in servers:
            server.server.socket.close()
        return 1
    heartbeat = _open_heartbeat(config, service, worker, log)
    drop_privileges(config.user, log)

    stop = Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        gevent.signal_handler(signum, stop.set)
    watchers = [
        gevent.spawn(_watch_parent, stop),
        gevent.spawn(_refresh_policy, store, service, servers, log),
    ]
    if heartbeat is not None:
        watchers.append(gevent.spawn(_beat, heartbeat))
    for server in servers:
        server.start()
    for other in unserved:
        other.start()
    log.info("%s started (%d listener%s)", who, len(servers), "" if len(servers) == 1 else "s")
    stop.wait()
    log.info("%s stopping", who)
    gevent.killall(watchers)
    for other in unserved:
        other.stop()
    gevent.joinall([gevent.spawn(server.stop, STOP_GRACE) for server in servers])
    if heartbeat is not None:
        os.close(heartbeat)
    log.info("%s stopped", who)
    return 0


def _close_at_once(sock: Any, address: tuple[Any, ...]) -> None:
    sock.close()


def _open_heartbeat(
    config: configuration.Config, service: str, worker: int, log: ServiceLogger
) -> int | None:
    path = runstate.heartbeat_path(config, service, worker)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    except OSError as exc:
        log.warning("no heartbeat file (the supervisor cannot tell whether this service is alive): %s", exc)
        return None


def _beat(fd: int) -> None:
    """Rewrite the heartbeat file every ``HEARTBEAT`` seconds: its mtime says the loop runs, the pid which
    process wrote it (fixed width, so an old and a new worker of the same slot never leave a mixed line)."""
    pid = os.getpid()
    while True:
        with contextlib.suppress(OSError):
            os.pwrite(fd, f"{time.time():017.3f} {pid:>10d}\n".encode(), 0)
        gevent.sleep(HEARTBEAT)


def _watch_parent(stop: Event) -> None:
    """Stop when the process that started us (the supervisor) is gone."""
    parent = os.getppid()
    while not stop.is_set():
        if os.getppid() != parent:
            stop.set()
            return
        gevent.sleep(PARENT_CHECK)


def _refresh_policy(store: Store, service: str, servers: list[ListenerServer], log: ServiceLogger) -> None:
    current = servers[0].policy if servers else None
    while True:
        gevent.sleep(POLICY_REFRESH)
        try:
            policy = load_policy(store, service)
            if policy != current:
                policy = load_policy(store, service, log)  # again, to log the rules it leaves out
        except Exception as exc:  # a locked or briefly unreachable database: keep the old policy
            log.warning("cannot reload the listener settings: %s", exc)
            continue
        if policy != current:
            current = policy
            for server in servers:
                server.set_policy(policy)
            log.info("listener settings reloaded")
