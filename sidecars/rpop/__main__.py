"""``python -m sidecars.rpop --data DIR --service rpop [--port-offset N]``: the Remote POP service."""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402 - after monkey-patching
import sys  # noqa: E402

from fieldpost import config as configuration  # noqa: E402
from fieldpost.logs import service_logger  # noqa: E402
from sidecars.rpop.service import Fetcher, install_signals  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sidecars.rpop")
    parser.add_argument("--data", required=True)
    parser.add_argument("--service", default="rpop")
    parser.add_argument("--port-offset", type=int, default=0)
    args = parser.parse_args(argv)
    config = configuration.load(args.data, args.port_offset)
    log = service_logger(config, args.service)
    from storage import open_store

    store = open_store(config.database_url, config.blob_dir)
    try:
        fetcher = Fetcher(store, log, config.hostname)
        install_signals(fetcher)
        log.info("rpop started")
        fetcher.serve()
        log.info("rpop stopped")
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
