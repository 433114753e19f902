"""The supervisor's control channel: a UNIX socket at ``<data>/run/control.sock``.

One request per connection, one line of JSON each way::

    -> {"command": "restart", "service": "imap"}
    <- {"ok": true, "service": {"state": "running", "pid": 4242, ...}}
    <- {"ok": false, "error": "unknown service: imapx"}

Commands: ``start``, ``stop``, ``restart`` (each needs ``service``) and ``status``. The socket file is
created with mode 0600: only the owner of the data directory may steer the supervisor.

This module is the supervisor's (listening) half; the client half is :mod:`fieldpost.control_client`, a
base module every layer may use. ``request`` and ``ControlError`` are re-exported here for the commands.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Callable
from typing import Any

from fieldpost.config import Config
from fieldpost.control_client import MAX_REQUEST, ControlError, read_line, request
from fieldpost.runstate import control_path

__all__ = ["ControlError", "Handler", "listen", "request", "serve_one"]

Handler = Callable[[dict[str, Any]], dict[str, Any]]


def listen(config: Config) -> socket.socket:
    path = control_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)
    try:
        sock.bind(str(path))
    finally:
        os.umask(old_umask)
    sock.listen(8)
    sock.setblocking(False)
    return sock


def serve_one(server: socket.socket, handler: Handler) -> None:
    """Accept one waiting connection, read its request, answer it with ``handler``'s reply."""
    try:
        conn, _ = server.accept()
    except BlockingIOError:
        return
    with conn:
        conn.settimeout(5.0)
        try:
            message = json.loads(read_line(conn, MAX_REQUEST))
            if not isinstance(message, dict):
                raise ValueError("request must be a JSON object")
            reply = handler(message)
        except (ValueError, OSError) as exc:
            reply = {"ok": False, "error": f"bad request: {exc}"}
        with contextlib.suppress(OSError):
            conn.sendall(json.dumps(reply).encode() + b"\n")
