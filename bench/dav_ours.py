"""Fieldpost's side of bench/dav.py: a data directory with the bench's users and calendars, and the web
service that serves CalDAV, started as ``fieldpost serve`` starts it.

The data directory is made by ``fieldpost init --demo`` (domain example.test), the users are added with
``store.accounts.add`` and every user's events go into their default "Calendar" collection through the
organizer API (``store.for_user(id).organizer.put``: the same code a CalDAV PUT runs, rights checked,
the item's indexed columns written), in one process, without fsync and with SQLite's
``synchronous=OFF`` (bench/storage.py's ``no_durability``): populating is not what is measured. The
sync-collection calendar is made with ``create_collection`` and filled the same way.

Filling 250,000 events takes long, so :func:`prepared_data` keeps the filled data directory under the
bench cache directory as ``dav-fieldpost-<U>x<E>-s<N>-<code>/``, where ``<code>`` is a digest of the storage
code that decides what a put stores (storage/pim and the migrations): a change there makes a new one.

The server: ``fieldpost serve --data D --port-offset N`` with ``services = ["web"]``, i.e. gunicorn with
gevent workers (one per CPU, the production default) on the WebMail listener, where CalDAV is served.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.dav_data import PASSWORD, Resource, user_events
from bench.webmail_corpus import cache_root

ROOT = Path(__file__).resolve().parents[1]
THREADS = 8


class Unavailable(RuntimeError):
    """What Fieldpost does not serve yet (the organizer storage or the CalDAV routes not on this branch)."""


def init_data(data: Path, users: list[str]) -> None:
    """``fieldpost init --demo`` plus the bench's accounts (same password as Radicale's)."""
    subprocess.run([sys.executable, "-m", "fieldpost", "init", "--data", str(data), "--demo", "--admin-password",
                    "adminpass1", "--demo-password", PASSWORD, "--hostname", "mx.example.test"],
                   check=True, capture_output=True)  # fmt: skip
    with open_data(data) as store:
        for user in users:
            store.accounts.add(user, PASSWORD)


class open_data:  # noqa: N801  (used as a context manager, like open())
    """The data directory's store, closed on exit."""

    def __init__(self, data: Path) -> None:
        from fieldpost import config as configuration
        from storage import open_store

        config = configuration.load(str(data))
        self.store: Any = open_store(config.database_url, config.blob_dir)

    def __enter__(self) -> Any:
        return self.store

    def __exit__(self, *exc: object) -> None:
        self.store.close()


def _organizer(store: Any, user: str) -> Any:
    try:
        return store.for_user(store.accounts.id_by_address(user)).organizer
    except AttributeError as exc:
        raise Unavailable("the organizer storage (storage/pim) is not on this branch yet") from exc


def calendar_id(organizer: Any, name: str) -> int:
    for collection in organizer.collections("calendar"):
        if collection.path.rsplit("/", 1)[-1].lower() == name.lower():
            return int(collection.folder_id)
    raise Unavailable(f"no calendar {name!r}")


def fill(
    data: Path,
    plan: Iterable[tuple[str, str, bool, Callable[[], Iterable[Resource]]]],
    progress: Callable[[int], None] | None = None,
) -> int:
    """``plan``: (user, calendar name, create it?, its resources). Returns the number of items stored.

    The puts run from ``THREADS`` threads so that storage's group commit takes many of them in one
    transaction (the way concurrent CalDAV clients are stored), and without durability."""
    from bench.storage import no_durability

    total = 0
    with (
        open_data(data) as store,
        no_durability(store),
        _sqlite_unsynced(),
        ThreadPoolExecutor(THREADS) as pool,
    ):
        for user, name, create, items in plan:
            organizer = _organizer(store, user)
            if create:
                folder = int(organizer.create_collection(name, "calendar", name).folder_id)
            else:
                folder = calendar_id(organizer, name)
            for _ in pool.map(lambda item, o=organizer, f=folder: o.put(f, item.name, item.data), items()):
                total += 1
                if progress and total % 10000 == 0:
                    progress(total)
    return total


@contextmanager
def _sqlite_unsynced() -> Iterator[None]:
    """``synchronous=OFF`` on every SQLite connection opened meanwhile: the group committer's own engine
    too, which ``no_durability`` (store.db.engine only) does not reach."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        if type(dbapi_conn).__module__.startswith("sqlite3"):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA synchronous=OFF")
            cur.close()

    event.listen(Engine, "connect", on_connect)
    try:
        yield
    finally:
        event.remove(Engine, "connect", on_connect)


def code_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted([*ROOT.glob("storage/pim/**/*.py"), *ROOT.glob("storage/migrations/**/*.py")]):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:10]


def prepared_data(
    users: list[str], events: int, sync_name: str, sync_items: list[Resource]
) -> tuple[Path, float]:
    """The data directory with every user's calendar and the sync calendar filled (made once); (path, seconds
    it took now)."""
    data = cache_root() / f"dav-fieldpost-{len(users)}x{events}-s{len(sync_items)}-{code_digest()}"
    if (data / "done").exists():
        return data, 0.0
    shutil.rmtree(data, ignore_errors=True)
    t = time.perf_counter()
    init_data(data, users)

    def progress(n: int) -> None:
        print(f"    Fieldpost: {n:,} events stored ({time.perf_counter() - t:.0f} s)", flush=True)

    plan = [(user, "Calendar", False, lambda i=i: user_events(i, events)) for i, user in enumerate(users)]
    plan.append((users[0], sync_name, True, lambda: sync_items))
    fill(data, plan, progress)
    (data / "done").touch()
    return data, time.perf_counter() - t


def start(data: Path, offset: int, log: Path) -> subprocess.Popen[bytes]:
    """``fieldpost serve`` with only the web service; waits until it answers HTTP."""
    from bench.dav_radicale import wait_http

    toml = data / "fieldpost.toml"
    text = re.sub(r"(?m)^services = .*$", 'services = ["web"]', toml.read_text())
    toml.write_text(text)
    out = open(log, "wb")  # noqa: SIM115  (the child keeps it)
    proc = subprocess.Popen([sys.executable, "-m", "fieldpost", "serve", "--data", str(data), "--port-offset",
                             str(offset)], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
                            stderr=subprocess.STDOUT)  # fmt: skip
    try:
        wait_http(8000 + offset, 90)
    except RuntimeError as exc:
        raise RuntimeError(f"{exc}: {log.read_text(errors='replace')[-800:]}") from exc
    time.sleep(0.5)
    return proc
