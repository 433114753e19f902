"""The processes ``fieldpost serve`` runs: how each is started, and the record kept of each one.

A :class:`Child` is one process slot of a service: worker ``n`` (1..N) of a pool, or the service's
only process (worker 0). Its ``proc`` is the process serving now; during a rolling restart its
``successor`` is the replacement that does not serve yet. :mod:`fieldpost.supervisor` drives them.
"""

from __future__ import annotations

import grp
import os
import pwd
import socket
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fieldpost.config import Config, Listener

SOURCE_ROOT = Path(__file__).resolve().parent.parent

#: Module run for each service (``python -m MODULE``); the web service is gunicorn (``service_argv``).
SERVICE_MODULES: dict[str, str] = {
    "smtp": "sidecars.smtp",
    "processing": "sidecars.processing",
    "imap": "sidecars.imap",
    "pop3": "sidecars.pop3",
    "ftp": "sidecars.ftp",
    "cli": "sidecars.cli",
    "logd": "sidecars.logd",
    "rpop": "sidecars.rpop",
}

LISTEN_BACKLOG = 128

RUNNING, STOPPED, BACKOFF = "running", "stopped", "backoff"


def iso(timestamp: float | None) -> str | None:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds") if timestamp else None


@dataclass
class Child:
    """One process slot of a service: worker ``worker`` (1..N) of a pool, or the service itself (0)."""

    name: str  # the service
    argv: list[str]
    listeners: list[Listener]
    worker: int = 0
    proc: subprocess.Popen[bytes] | None = None
    state: str = STOPPED
    restarts: int = 0
    failures: int = 0
    started_at: float | None = None  # time.time() of the current start
    started_mono: float = 0.0
    next_start: float = 0.0
    successor: subprocess.Popen[bytes] | None = None  # rolling restart: the replacement, not promoted yet
    successor_started: float = 0.0  # time.time()

    @property
    def label(self) -> str:
        """How logs name this process: ``imap.2``, or ``processing`` for a single-process service."""
        return f"{self.name}.{self.worker}" if self.worker else self.name

    def as_dict(self) -> dict[str, Any]:
        running = self.proc is not None and self.state == RUNNING
        return {
            "worker": self.worker,
            "pid": self.proc.pid if running and self.proc else None,
            "state": self.state,
            "restarts": self.restarts,
            "started_at": iso(self.started_at) if running else None,
        }


@dataclass
class Draining:
    """An old worker told to stop during a rolling restart; killed if still there at ``deadline``."""

    label: str
    proc: subprocess.Popen[bytes]
    deadline: float  # time.monotonic()


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


def listen_datagrams(host: str, port: int) -> socket.socket:
    """A bound UDP socket for a child to inherit (the log service's: see fieldpost.supervisor)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def service_argv(config: Config, service: str) -> list[str]:
    """The command line that runs one service."""
    if service == "web":
        workers = str(config.worker_count("web"))
        argv = [sys.executable, "-m", "gunicorn", "--worker-class", "gevent", "--workers", workers]
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
