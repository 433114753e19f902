"""The peer of bench/dav.py: Radicale (PyPI, pinned in bench/requirements.txt) as shipped, on loopback.

Radicale runs its own server (``python -m radicale``: a thread per connection, one process) with
htpasswd authentication (plain passwords, so no hash is verified per request), ``owner_only`` rights and
its ``multifilesystem`` storage: a directory per collection, a file per resource, and a cache of the
parsed items (UID, ETag, component, time range) under ``.Radicale.cache``. Its ``max_connections`` is
raised to the number of bench clients so that no client waits for a connection slot.

The data goes in as Radicale's own file layout (the fastest way; the same bytes Fieldpost gets), and
Radicale's item cache is built before anything is measured (Radicale builds it on first read, parsing
every item with vobject once and fsyncing a cache file per item: about 10 ms an item here, 40 minutes
for 250,000). :func:`prepared_tree` does that once, in this process through Radicale's own storage
code with its fsync switched off, and keeps the tree under the bench cache directory
(``$FIELDPOST_BENCH_CACHE``, else ``~/.cache/fieldpost-bench``) as ``dav-radicale-x<E>/``; later runs
serve it in place: the users' calendars are only read; the sync calendar is kept there too (made by
the first run that needs it) and each run puts it back to its original items before changing it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from bench.dav_data import Resource, user_events, user_name
from bench.webmail_corpus import cache_root


def version() -> str:
    try:
        from importlib.metadata import version as dist_version

        return f"Radicale {dist_version('radicale')}"
    except Exception:  # noqa: BLE001
        return "Radicale not installed (make bench-deps)"


class Radicale:
    """A private Radicale under ``work`` listening on 127.0.0.1:``port``."""

    def __init__(self, work: Path, port: int, users: Iterable[str], password: str, max_connections: int,
                 tree: Path) -> None:  # fmt: skip
        self.root = work / "radicale"
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = port
        self.tree = tree
        self.collections = tree / "collection-root"
        self.collections.mkdir(parents=True, exist_ok=True)
        (self.root / "users").write_text("".join(f"{user}:{password}\n" for user in users))
        (self.root / "config").write_text(
            "[server]\n"
            f"hosts = 127.0.0.1:{port}\n"
            f"max_connections = {max_connections}\n"
            "[auth]\n"
            "type = htpasswd\n"
            f"htpasswd_filename = {self.root / 'users'}\n"
            "htpasswd_encryption = plain\n"
            "[rights]\n"
            "type = owner_only\n"
            "[storage]\n"
            f"filesystem_folder = {tree}\n"
            "[web]\n"
            "type = none\n"
            "[logging]\n"
            "level = warning\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def calendar_dir(self, user: str, name: str) -> Path:
        return self.collections / user / name

    def has_calendar(self, user: str, name: str) -> bool:
        return (self.calendar_dir(user, name) / ".Radicale.props").exists()

    def write_calendar(self, user: str, name: str, display_name: str, items: Iterable[Resource]) -> int:
        """A calendar collection in Radicale's layout: ``.Radicale.props`` and a file per resource."""
        folder = self.calendar_dir(user, name)
        folder.mkdir(parents=True, exist_ok=True)
        count = 0
        for item in items:
            (folder / item.name).write_bytes(item.data)
            count += 1
        props = {
            "tag": "VCALENDAR",
            "D:displayname": display_name,
            "C:supported-calendar-component-set": "VEVENT",
        }
        (folder / ".Radicale.props").write_text(json.dumps(props))
        return count

    def prepare_calendar(self, user: str, name: str, items: Iterable[Resource]) -> bool:
        """A calendar written and cached unless it already is (``.bench-cached``); whether it was made now."""
        marker = self.calendar_dir(user, name) / ".bench-cached"
        if marker.exists():
            return False
        self.write_calendar(user, name, "Calendar" if name == "calendar" else name, items)
        self.build_cache(user, name)
        marker.touch()
        return True

    def build_cache(self, user: str, name: str) -> None:
        """Radicale's item cache of one calendar, built by its own storage code, without fsync."""
        from radicale import config, storage

        configuration = config.load([(str(self.root / "config"), False)])
        configuration.update({"storage": {"_filesystem_fsync": "False"}}, "bench", privileged=True)
        store = storage.load(configuration)
        with store.acquire_lock("r"):
            collection = next(iter(store.discover(f"/{user}/{name}/")))
            for _item in collection.get_all():  # type: ignore[union-attr]
                pass

    def start(self) -> None:
        log = open(self.root / "radicale.log", "wb")  # noqa: SIM115  (the child keeps it)
        self.proc = subprocess.Popen([sys.executable, "-m", "radicale", "--config", str(self.root / "config")],
                                     stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_text(self) -> str:
        path = self.root / "radicale.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def rss_mb(self) -> float:
        """The server process's resident memory (MB), from /proc."""
        if not self.alive() or self.proc is None:
            return 0.0
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0


def prepared_tree(users: int, events: int, work: Path, reverse: bool = False) -> tuple[Path, float]:
    """The first ``users`` users' calendars of ``events`` events with their cache built (each made once,
    when a run first needs it); (path, seconds it took now).

    A calendar that is complete has a ``.bench-cached`` marker, so two processes (one of them with
    ``reverse``) can share the work, and an interrupted build goes on where it stopped."""
    tree = cache_root() / f"dav-radicale-x{events}"
    t = time.perf_counter()
    names = [user_name(i) for i in range(users)]
    builder = Radicale(work / "build", 1, names, "-", 1, tree)  # never started
    order = list(enumerate(names))
    made = 0
    for i, user in order[::-1] if reverse else order:
        if not builder.prepare_calendar(user, "calendar", user_events(i, events)):
            continue
        made += 1
        print(f"    Radicale: calendar {i + 1} of {users} written and cached ({time.perf_counter() - t:.0f} s)",
              flush=True)  # fmt: skip
    return tree, (time.perf_counter() - t) if made else 0.0


def wait_http(port: int, seconds: float) -> None:
    """Until something answers HTTP on ``port`` (any status)."""
    import http.client

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("OPTIONS", "/")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answers HTTP on 127.0.0.1:{port}")
