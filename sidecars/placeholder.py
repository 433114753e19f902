"""Stand-in for a service that is not built yet.

Run by the supervisor as ``python -m sidecars.placeholder --data DIR --service NAME --port-offset N``.
It binds the service's listeners (so the ports show as held and nothing else grabs them), logs
"<service> not yet available" at info level, accepts and closes connections without a word, and
exits cleanly on SIGTERM/SIGINT or when its supervisor goes away.
"""

from __future__ import annotations

import argparse
import os
import selectors
import signal
import socket
import sys

from fieldpost import config as configuration
from fieldpost.logs import service_logger


def bind(listener: configuration.Listener) -> socket.socket:
    family = socket.AF_INET6 if ":" in listener.host else socket.AF_INET
    kind = socket.SOCK_DGRAM if listener.proto == "udp" else socket.SOCK_STREAM
    sock = socket.socket(family, kind)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((listener.host, listener.port))
    if kind == socket.SOCK_STREAM:
        sock.listen(16)
    sock.setblocking(False)
    return sock


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="placeholder")
    parser.add_argument("--data", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--port-offset", type=int, default=0)
    args = parser.parse_args(argv)

    config = configuration.load(args.data, args.port_offset)
    log = service_logger(config, args.service)
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    selector = selectors.DefaultSelector()
    # a signal writes a byte here, so select() returns at once instead of at its next timeout
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    selector.register(wake_read, selectors.EVENT_READ, None)
    try:
        for listener in config.listeners(args.service):
            selector.register(bind(listener), selectors.EVENT_READ, listener)
    except OSError as exc:
        log.error("%s cannot bind its listeners: %s", args.service, exc)
        return 1
    log.info("%s not yet available", args.service)

    parent = os.getppid()
    while not stopping and os.getppid() == parent:
        for key, _ in selector.select(timeout=0.5):
            if key.data is None:
                os.read(wake_read, 64)
                continue
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                if sock.type == socket.SOCK_STREAM:
                    conn, _ = sock.accept()
                    conn.close()
                else:
                    sock.recvfrom(65536)
            except OSError:
                pass
    for key in list(selector.get_map().values()):
        if key.data is not None:
            key.fileobj.close()  # type: ignore[union-attr]
    log.info("%s placeholder stopped", args.service)
    return 0


if __name__ == "__main__":
    sys.exit(main())
