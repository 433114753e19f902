"""Top-level fixtures shared by every test package."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest


def find_free_port(host: str = "127.0.0.1", proto: str = "tcp") -> int:
    """A port on ``host`` that was free a moment ago (the kernel picks it)."""
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def free_port() -> Callable[..., int]:
    """Call it for a free loopback port: ``port = free_port()``."""
    return find_free_port


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """Path of a not-yet-created Fieldpost data directory inside the test's tmp dir."""
    return tmp_path / "data"
