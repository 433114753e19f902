"""A ListenerServer run by a gevent hub in a background thread, and blocking-client helpers, for the
end-to-end tests of sidecars/net and of each protocol's server glue."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gevent

from fieldpost import config as configuration
from fieldpost.logs import service_logger
from sidecars.net.listener import ListenerServer


class Running:
    """A ListenerServer served by a gevent hub in a background thread."""

    def __init__(self, log_dir: Path, **kwargs: Any) -> None:
        self.config = configuration.from_mapping(log_dir.parent, {"logging": {"log_dir": str(log_dir)}})
        self.kwargs = kwargs
        self.ready = threading.Event()
        self.done = threading.Event()
        self.calls: list[Callable[[], None]] = []
        self.server: ListenerServer | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert self.ready.wait(10), "listener did not start"

    def _run(self) -> None:
        log = service_logger(self.config, "test")
        kwargs = dict(self.kwargs)
        handler = kwargs.pop("handler")
        name = kwargs.pop("name", "test")
        self.server = ListenerServer(name, ("127.0.0.1", 0), handler, log=log, **kwargs)
        self.server.start()
        self.ready.set()
        while not self.done.is_set():
            while self.calls:
                self.calls.pop(0)()
            gevent.sleep(0.01)
        self.server.stop(1)

    def call(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` in the server's thread (between its greenlets)."""
        finished = threading.Event()
        self.calls.append(lambda: (fn(), finished.set()))
        assert finished.wait(5)

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.address[1]

    @property
    def log_text(self) -> str:
        return (self.config.log_dir / "test.log").read_text()

    def stop(self) -> None:
        self.done.set()
        self.thread.join(10)


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    return sock


def read_line(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(1)
        if not chunk:
            break
        data += chunk
    return data


def at_eof(sock: socket.socket) -> bool:
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True


def wait_for(condition: Callable[[], Any], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
