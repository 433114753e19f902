"""The supervisor's control channel: a UNIX socket at ``<data>/run/control.sock``.

One request per connection, one line of JSON each way::

    -> {"command": "restart", "service": "imap"}
    <- {"ok": true, "service": {"state": "running", "pid": 4242, ...}}
    <- {"ok": false, "error": "unknown service: imapx"}

Commands: ``start``, ``stop``, ``restart`` (each needs ``service``) and ``status``. The socket file is
created with mode 0600: only the owner of the data directory may steer the supervisor.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Callable
from typing import Any

from fieldpost.config import Config
from fieldpost.runstate import control_path, running_supervisor

#: long enough for a stop that waits the full grace period before SIGKILL
CLIENT_TIMEOUT = 30.0
MAX_REQUEST = 4096

Handler = Callable[[dict[str, Any]], dict[str, Any]]


class ControlError(RuntimeError):
    """The supervisor could not be reached or refused the request."""


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
            request = json.loads(_read_line(conn))
            if not isinstance(request, dict):
                raise ValueError("request must be a JSON object")
            reply = handler(request)
        except (ValueError, OSError) as exc:
            reply = {"ok": False, "error": f"bad request: {exc}"}
        with contextlib.suppress(OSError):
            conn.sendall(json.dumps(reply).encode() + b"\n")


def request(config: Config, command: str, service: str | None = None) -> dict[str, Any]:
    """Send one command to the running supervisor and return its reply (raises ControlError)."""
    if running_supervisor(config) is None:
        raise ControlError(f"the supervisor is not running for {config.data_dir} (start it: fieldpost serve)")
    message: dict[str, Any] = {"command": command}
    if service is not None:
        message["service"] = service
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(CLIENT_TIMEOUT)
            sock.connect(str(control_path(config)))
            sock.sendall(json.dumps(message).encode() + b"\n")
            reply = json.loads(_read_line(sock))
    except (OSError, ValueError) as exc:
        raise ControlError(f"cannot talk to the supervisor: {exc}") from None
    if not isinstance(reply, dict):
        raise ControlError("the supervisor sent a malformed reply")
    if not reply.get("ok"):
        raise ControlError(str(reply.get("error", "request refused")))
    return reply


def _read_line(sock: socket.socket) -> bytes:
    data = b""
    while b"\n" not in data:
        chunk = sock.recv(1024)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_REQUEST:
            raise ValueError("message too long")
    return data.split(b"\n", 1)[0]
