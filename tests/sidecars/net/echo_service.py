"""A protocol service made of echo handlers, run the way the supervisor runs a real one:
``python -m tests.sidecars.net.echo_service --data DIR --service smtp --port-offset N``.

It serves the smtp listener in clear and submissions with implicit TLS, and leaves submission
unbound, so tests of sidecars/net/service.py can check all three cases.
"""

from gevent import monkey

monkey.patch_all()

import sys  # noqa: E402
from typing import Any  # noqa: E402

from sidecars.net import service  # noqa: E402
from sidecars.net.listener import ListenerServer  # noqa: E402

service.POLICY_REFRESH = 0.5  # settings changes show up quickly in tests


def echo(sock: Any, address: tuple[Any, ...], session_id: str, listener: ListenerServer) -> None:
    sock.sendall(f"hello {session_id} {listener.name}\r\n".encode())
    while data := sock.recv(1024):
        sock.sendall(data)


def build(context: service.ServiceContext) -> dict[str, service.Endpoint]:
    refusal = f"421 {context.hostname} {{}}\r\n".format
    return {
        "smtp": service.Endpoint(echo, lambda reason: refusal(reason).encode()),
        "submissions": service.Endpoint(echo, lambda reason: refusal(reason).encode(), implicit_tls=True),
    }


if __name__ == "__main__":
    sys.exit(service.run_service("smtp", build))
