"""Fieldpost's side of bench/dav.py: a data directory with the bench's users and calendars, and the web
service that serves CalDAV, started as ``fieldpost serve`` starts it.

The data directory is made by ``fieldpost init --demo`` (domain example.test) and the users are added
with ``store.accounts.add``. Every user's events go into their default "Calendar" collection in
transactions of ``BATCH`` items through the store's append path (the way bench/storage.py fills
folders: blob written, body referenced, then ``Mail._add``, which indexes each item of a PIM-kind folder
with the same ``storage.pim.item_rows`` code ``organizer.put`` runs, under the resource name given),
without fsync and with SQLite's ``synchronous=OFF``: populating is not what is measured. One
``organizer.put`` per item (a write unit each, rights checked) costs about 13 ms of CPU here, 55 minutes
for 250,000 events; the batches take a fraction of that. The count of items the organizer then lists
is checked. The sync-collection calendar is made with ``create_collection`` and filled the same way.

Filling 250,000 events takes long, so :func:`prepared_data` keeps the filled data directory under the
bench cache directory as ``dav-fieldpost-x<E>-s<N>-<code>/`` (calendars of E events, a sync calendar of
N; each user's calendar filled once, when a run first needs it), where ``<code>`` is a digest of the storage
code that decides what is stored for an item (storage/pim/index.py, item_rows.py and the migrations): a
change there makes a new one (``--refill`` forces it).

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
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.dav_data import PASSWORD, Resource, user_events, user_name
from bench.webmail_corpus import cache_root

ROOT = Path(__file__).resolve().parents[1]
BATCH = 500
MAX_USERS = 50


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
    """``plan``: (user, calendar name, create it?, its resources). Returns the number of items stored now.

    A calendar filled completely gets a marker file in ``data`` and is skipped next time; one left
    half-filled by an interrupted run is emptied and filled again."""
    from bench.storage import no_durability

    total = 0
    with open_data(data) as store, no_durability(store), _sqlite_unsynced():
        for user, name, create, items in plan:
            marker = data / f"filled-{user}-{name}"
            if marker.exists():
                continue
            organizer = _organizer(store, user)
            try:
                folder = calendar_id(organizer, name)
            except Unavailable:
                if not create:
                    raise
                folder = int(organizer.create_collection(name, "calendar", name).folder_id)
            for ref in organizer.items(folder):
                organizer.delete(folder, ref.name)
            batch: list[Resource] = []
            count = 0
            for item in items():
                batch.append(item)
                if len(batch) == BATCH:
                    _append_batch(store, folder, batch)
                    count, batch = count + len(batch), []
            if batch:
                _append_batch(store, folder, batch)
                count += len(batch)
            listed = len(organizer.items(folder))
            if listed != count:
                raise RuntimeError(f"{user} {name}: {count} items stored, the organizer lists {listed}")
            marker.touch()
            total += count
            if progress:
                progress(total)
    return total


def _append_batch(store: Any, folder_id: int, items: list[Resource]) -> None:
    """Items appended to a PIM folder in one transaction, indexed under their names (see the docstring)."""
    from storage import mime
    from storage.blobs import sha256_hex
    from storage.list_keys import parsed_keys

    now = datetime.now(UTC)
    with store.db.write() as conn:
        entries = []
        for item in items:
            sha = sha256_hex(item.data)
            store.blobs.put(item.data, sha)
            parsed = mime.parse_message(item.data)
            body_id = store.mail.reference_body(conn, sha, item.data, parsed, 1)
            entries.append((body_id, len(item.data), 0, "", now, parsed_keys(parsed, now, sha)))
        store.mail._add(
            conn, folder_id, entries, raws=[i.data for i in items], pim_names=[i.name for i in items]
        )


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
    for path in sorted([*ROOT.glob("storage/pim/index.py"), *ROOT.glob("storage/pim/item_rows.py"),
                        *ROOT.glob("storage/migrations/**/*.py")]):  # fmt: skip
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:10]


def prepared_data(
    users: list[str], events: int, sync_name: str, sync_items: list[Resource], refill: bool = False
) -> tuple[Path, float]:
    """The data directory with these users' calendars and the sync calendar filled (what is missing is
    filled now); (path, seconds it took now). It always has the accounts of ``MAX_USERS`` users, so a
    run with fewer users uses (and extends) the same directory."""
    data = cache_root() / f"dav-fieldpost-x{events}-s{len(sync_items)}-{code_digest()}"
    t = time.perf_counter()
    if refill or not (data / "accounts-made").exists():
        shutil.rmtree(data, ignore_errors=True)
        init_data(data, [user_name(i) for i in range(max(MAX_USERS, len(users)))])
        (data / "accounts-made").touch()
    elif len(users) > MAX_USERS:
        raise RuntimeError(f"the kept data directory has {MAX_USERS} accounts; use --refill for more")

    def progress(n: int) -> None:
        print(f"    Fieldpost: {n:,} events stored ({time.perf_counter() - t:.0f} s)", flush=True)

    plan = [(users[0], sync_name, True, lambda: sync_items)]
    plan += [(user, "Calendar", False, lambda i=i: user_events(i, events)) for i, user in enumerate(users)]
    stored = fill(data, plan, progress)
    return data, (time.perf_counter() - t) if stored else 0.0


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
