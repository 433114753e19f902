"""PostgreSQL under gevent: while psycopg waits for the server, the hub keeps running other greenlets.

The protocol services are monkey-patched gevent processes sharing one hub among all their sessions; a
storage call that blocked the hub would stall every session of the process (issue 10). Each case runs in
a fresh subprocess, since monkey-patching cannot be undone in the test process, and in both import
orders: patched before anything imported psycopg (how ``sidecars/*/__main__`` start), and psycopg
imported first (a stray import ahead of the patching, or gunicorn loading the app before it patches).
A greenlet ticks every 10 ms while another one waits on PostgreSQL for a second or more; a blocked hub
leaves it at 0 or 1 tick.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
IMPORT_ORDERS = ["patched-first", "psycopg-first"]
MIN_TICKS = 50  # of ~100 in an unhindered second

_PRELUDE = r"""
import json, sys, time
if sys.argv[1] == "psycopg-first":
    import psycopg  # noqa: F401
from gevent import monkey
monkey.patch_all()
import gevent

def ticks_while(work):
    ticks = []
    def ticker():
        while True:
            ticks.append(time.monotonic())
            gevent.sleep(0.01)
    clock = gevent.spawn(ticker)
    gevent.sleep(0.05)
    started = time.monotonic()
    waiter = gevent.spawn(work)
    waiter.join()
    ended = time.monotonic()
    clock.kill()
    return {
        "ticks": sum(1 for t in ticks if started <= t <= ended),
        "seconds": ended - started,
        "error": None if waiter.successful() else type(waiter.exception).__name__,
    }
"""

_PG_SLEEP = (
    _PRELUDE
    + r"""
from pathlib import Path
from sqlalchemy import text
from storage.store import open_store

store = open_store(sys.argv[2], Path(sys.argv[3]))
with store.db.read() as conn:  # the pool's connection is made before the clock starts
    conn.execute(text("SELECT 1"))

def sleep_on_server():
    with store.db.read() as conn:
        conn.execute(text("SELECT pg_sleep(1)"))

print(json.dumps(ticks_while(sleep_on_server)))
store.close()
"""
)

_SILENT_SERVER = (
    _PRELUDE
    + r"""
import socket
from sqlalchemy import text
from storage.db import Database

silent = socket.socket()
silent.bind(("127.0.0.1", 0))
silent.listen(8)  # the kernel completes the handshake; nobody ever answers the startup packet
port = silent.getsockname()[1]
database = Database(f"postgresql+psycopg://postgres@127.0.0.1:{port}/none?connect_timeout=2")

def connect():
    with database.read() as conn:
        conn.execute(text("SELECT 1"))

print(json.dumps(ticks_while(connect)))
"""
)


def _run(script: str, *args: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("PSYCOPG_WAIT_FUNC", None)
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("store_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
@pytest.mark.parametrize("order", IMPORT_ORDERS)
def test_query_waiting_on_server_lets_other_greenlets_run(store_url: str, blob_dir: Path, order: str) -> None:
    result = _run(_PG_SLEEP, order, store_url, str(blob_dir))
    assert result["error"] is None
    assert float(str(result["seconds"])) >= 1.0
    assert int(str(result["ticks"])) >= MIN_TICKS, result


@pytest.mark.parametrize("order", IMPORT_ORDERS)
def test_connecting_to_a_silent_server_lets_other_greenlets_run(order: str) -> None:
    result = _run(_SILENT_SERVER, order)
    assert result["error"] == "OperationalError"  # connect_timeout expired
    assert float(str(result["seconds"])) >= 1.0
    assert int(str(result["ticks"])) >= MIN_TICKS, result
