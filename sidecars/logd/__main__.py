"""``python -m sidecars.logd --data DIR --service logd [--port-offset N] [--listen-fd log=FD]``."""

from __future__ import annotations

import argparse
import sys

from fieldpost import config as configuration
from sidecars.logd.server import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sidecars.logd")
    parser.add_argument("--data", required=True)
    parser.add_argument("--service", default="logd")
    parser.add_argument("--port-offset", type=int, default=0)
    parser.add_argument("--listen-fd", action="append", default=[], metavar="NAME=FD")
    args = parser.parse_args(argv)
    inherited = None
    for pair in args.listen_fd:
        name, _, fd = pair.partition("=")
        if name == "log" and fd.isdigit():
            inherited = int(fd)
    config = configuration.load(args.data, args.port_offset)
    return serve(config, inherited)


if __name__ == "__main__":
    sys.exit(main())
