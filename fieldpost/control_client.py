"""The client half of the supervisor's control channel (``<data>/run/control.sock``).

Kept apart from :mod:`fieldpost.control` (the supervisor's listening half) so that every layer may ask
the supervisor for the status of the services or to start, stop or restart one: the ``fieldpost service``
command, WebAdmin's services page and the CLI service all need it, and the layer rules
(tests/test_layers.py) let them import only the base modules of ``fieldpost``, not its command and
supervisor shell. Nothing here knows about any service; it sends one line of JSON and reads one back.

One request per connection, one line of JSON each way::

    -> {"command": "restart", "service": "imap"}
    <- {"ok": true, "service": {"state": "running", "pid": 4242, ...}}
    <- {"ok": false, "error": "unknown service: imapx"}
"""

from __future__ import annotations

import json
import socket
from typing import Any

from fieldpost.config import Config
from fieldpost.runstate import control_path, running_supervisor

#: long enough for a stop that waits the full grace period before SIGKILL
CLIENT_TIMEOUT = 30.0
MAX_REQUEST = 4096  # a request line; replies may be longer (see MAX_REPLY)
MAX_REPLY = 1024 * 1024  # a status reply lists every service with its listeners


class ControlError(RuntimeError):
    """The supervisor could not be reached or refused the request."""


def request(config: Config, command: str, service: str | None = None) -> dict[str, Any]:
    """Send one command to the running supervisor and return its reply.

    Raises:
        ControlError: no supervisor runs for this data directory, it cannot be reached, or it refused.
    """
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
            reply = json.loads(read_line(sock, MAX_REPLY))
    except (OSError, ValueError) as exc:
        raise ControlError(f"cannot talk to the supervisor: {exc}") from None
    if not isinstance(reply, dict):
        raise ControlError("the supervisor sent a malformed reply")
    if not reply.get("ok"):
        raise ControlError(str(reply.get("error", "request refused")))
    return reply


def read_line(sock: socket.socket, limit: int = MAX_REQUEST) -> bytes:
    """One line (without its newline) from ``sock``; ValueError past ``limit`` bytes."""
    data = b""
    while b"\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        if len(data) > limit:
            raise ValueError("message too long")
    return data.split(b"\n", 1)[0]
