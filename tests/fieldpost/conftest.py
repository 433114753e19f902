"""Helpers for driving the ``fieldpost`` command as a user would: in a subprocess."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from fieldpost import config as configuration

REPO = Path(__file__).resolve().parents[2]


def storage_ready() -> bool:
    try:
        from storage import open_store  # noqa: F401
    except ImportError:
        return False
    return True


#: Tests of store-backed commands; they run as soon as storage.open_store exists.
needs_storage = pytest.mark.skipif(not storage_ready(), reason="storage.open_store is not there yet")


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != configuration.DATA_ENV}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_cli(
    *args: str, check: bool = False, timeout: float = 60, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """Run ``fieldpost ARGS...`` and return the finished process (text output)."""
    proc = subprocess.run(
        [sys.executable, "-m", "fieldpost", *args],
        cwd=REPO,
        env=kwargs.pop("env", None) or cli_env(),  # type: ignore[arg-type]
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        **kwargs,  # type: ignore[call-overload]
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"fieldpost {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def port_free(port: int, proto: str = "tcp", host: str = "127.0.0.1") -> bool:
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def pick_port_offset() -> int:
    """A random offset (20000 + n) under which every default listener port is free."""
    for _ in range(50):
        offset = 20000 + random.randrange(0, 26000)
        if all(port_free(spec.port + offset, spec.proto) for spec in configuration.LISTENERS.values()):
            return offset
    raise RuntimeError("no free port offset found")


@pytest.fixture
def port_offset() -> int:
    return pick_port_offset()
