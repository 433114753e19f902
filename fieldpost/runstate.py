"""Files the running supervisor leaves in ``<data>/run/``, and how other commands read them.

- ``supervisor.pid``: the supervisor's process id while it runs.
- ``services.json``: per service its pid, state (running, stopped, backoff), restarts, started_at,
  listeners and workers (each worker's number, pid, state, restarts, started_at). Written atomically (temp file + rename) on every change, so a reader never sees half a file.
- ``control.sock``: the control channel (see :mod:`fieldpost.control`).
- ``<service>.<n>.heartbeat``: rewritten every second by worker ``n`` of a protocol service (from a
  greenlet of its event loop, so a wedged loop stops it); the supervisor restarts a worker whose file
  has gone stale. A service run by hand (no ``--worker``) writes ``<service>.heartbeat``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from fieldpost.config import Config

PID_FILE = "supervisor.pid"
STATE_FILE = "services.json"
CONTROL_SOCKET = "control.sock"


def pid_path(config: Config) -> Path:
    return config.run_dir / PID_FILE


def state_path(config: Config) -> Path:
    return config.run_dir / STATE_FILE


def control_path(config: Config) -> Path:
    return config.run_dir / CONTROL_SOCKET


def heartbeat_path(config: Config, service: str, worker: int = 0) -> Path:
    """The heartbeat file of worker ``worker`` (1, 2, ...) of ``service``; 0: a process run alone."""
    return config.run_dir / (f"{service}.{worker}.heartbeat" if worker else f"{service}.heartbeat")


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_supervisor(config: Config) -> int | None:
    """The pid of the supervisor serving this data directory, or None."""
    try:
        pid = int(pid_path(config).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if process_alive(pid) else None


def write_pid(config: Config) -> None:
    write_atomic(pid_path(config), f"{os.getpid()}\n")


def write_state(config: Config, state: dict[str, Any]) -> None:
    write_atomic(state_path(config), json.dumps(state, indent=2, sort_keys=True) + "\n")


def read_state(config: Config) -> dict[str, Any]:
    try:
        data = json.loads(state_path(config).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
