"""20 greenlets of one gevent process enqueue 4 KB messages, as the DATA ends of 20 SMTP sessions of one
worker do, on SQLite (WAL, synchronous=FULL); prints messages/s, the longest stall of a 5 ms ticker on
the same hub, and how many commits (groups) the units took. See bench/README.md, "Group commit".

    .venv/bin/python bench/enqueue_concurrency.py [MESSAGES]     # default 400
"""

from gevent import monkey

monkey.patch_all()

import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402

sys.path[0:1] = [str(Path(__file__).resolve().parents[1])]  # the repository, not bench/ (bench/storage.py)

from storage import open_store  # noqa: E402

SESSIONS = 20


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    d = tempfile.mkdtemp(prefix="fp-enqueue-")
    store = open_store(f"sqlite:///{d}/db.sqlite", f"{d}/blobs")
    ticks: list[float] = []

    def ticker() -> None:
        while True:
            ticks.append(time.monotonic())
            gevent.sleep(0.005)

    numbers = iter(range(n))

    def session() -> None:
        for i in numbers:
            raw = (
                f"Subject: m{i}\r\nMessage-ID: <{i}.{os.getpid()}@x>\r\n\r\n" + "x" * 4000 + "\r\n"
            ).encode()
            store.queue.enqueue(raw, "a@b.example", ["alice@example.test"])

    gevent.spawn(ticker)
    gevent.sleep(0.05)
    t0 = time.monotonic()
    gevent.joinall([gevent.spawn(session) for _ in range(SESSIONS)])
    t1 = time.monotonic()
    run = [t0, *(t for t in ticks if t0 < t < t1), t1]
    stall = max(b - a for a, b in zip(run, run[1:], strict=False))
    committer = getattr(store.db, "committer", None)
    groups = f"; {committer.units} units in {committer.groups} commits" if committer else ""
    print(f"{n / (t1 - t0):.0f} msg/s; longest hub stall {stall * 1000:.0f} ms{groups}")


if __name__ == "__main__":
    main()
