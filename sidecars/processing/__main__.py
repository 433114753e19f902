"""Run the processing service: ``python -m sidecars.processing --data DIR --service processing``.

Implementation notes:

* A plain loop in one process: take a batch of due messages, process them, and when the queue had
  nothing due, sleep up to ``POLL_SECONDS`` (a new message is picked up within that time).
* SIGTERM/SIGINT finish the message being processed, then stop; so does the supervisor going away.
  A message whose processing was cut short by a kill is taken again when its lease (10 minutes) ends.
* The service has no listener; ``--port-offset`` is accepted for the supervisor's uniform command line.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from fieldpost import config as configuration
from fieldpost.logs import service_logger
from sidecars.processing.schedule import housekeeping_jobs, run_due
from sidecars.processing.worker import Worker

POLL_SECONDS = 1.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sidecars.processing")
    parser.add_argument("--data", required=True)
    parser.add_argument("--service", default="processing")
    parser.add_argument("--port-offset", type=int, default=0)
    args = parser.parse_args(argv)

    config = configuration.load(args.data, args.port_offset)
    log = service_logger(config, args.service)
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    from storage import open_store

    store = open_store(config.database_url, config.blob_dir)
    try:
        hostname = store.settings.get("server.hostname") or config.hostname
        worker = Worker(store, hostname=hostname, log=log)
        released = store.queue.release_claims()  # the one worker: a dead predecessor's claims are ours
        log.info("%s started (pid %d); %d claimed message(s) taken over", args.service, os.getpid(), released)
        parent = os.getppid()
        jobs = housekeeping_jobs()
        while not stop.is_set() and os.getppid() == parent:
            run_due(jobs, store, worker.clock(), log)
            try:
                taken = worker.run_once()
            except Exception as exc:  # the database went away for a moment, say: keep the service up
                log.error("queue run failed: %r", exc)
                taken = 0
            if not taken:
                stop.wait(POLL_SECONDS)
    finally:
        store.close()
    log.info("%s stopped", args.service)
    return 0


if __name__ == "__main__":
    sys.exit(main())
