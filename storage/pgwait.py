"""Keep psycopg 3 from blocking the gevent hub while it waits for PostgreSQL.

psycopg never blocks inside libpq: every connect, query and commit is a generator that says which socket
event it needs, and a *wait function* of ``psycopg.waiting`` waits for it. The module picks that function
once, when it is first imported: its C ``wait_c`` (a raw ``poll()`` that gevent cannot see) unless gevent
had already monkey-patched ``select``, in which case ``wait_poll`` (``select.poll``, which gevent replaces
with a cooperative one). Connecting uses ``wait_conn`` on the ``selectors.DefaultSelector`` bound at the
same import.

So a protocol process is cooperative only if it patched before anything imported psycopg. Ours do
(``monkey.patch_all()`` is the first line of every ``sidecars/*/__main__``), but one stray import ahead of
it, or a server that loads the application before it patches (gunicorn's ``--preload``), would silently
make every query stop the whole process for as long as PostgreSQL takes: measured, a ``pg_sleep(1)`` froze
a 10 ms ticker for the full second. :func:`cooperate_with_gevent` repeats psycopg's own choice at the
time a PostgreSQL engine is made, when the patching has certainly happened, so the order no longer
matters. Without gevent's patching it changes nothing (the CLI and the processing service keep
``wait_c``).
"""

from __future__ import annotations

import selectors
import sys


def gevent_patched_select() -> bool:
    """True when gevent has monkey-patched ``select`` in this process (without importing gevent)."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and bool(monkey.is_module_patched("select"))


def cooperate_with_gevent() -> None:
    """Make psycopg wait through gevent's patched ``select`` when the process is monkey-patched.

    Idempotent; call it before opening PostgreSQL connections (``Database`` does).
    """
    if not gevent_patched_select():
        return
    from psycopg import waiting

    if waiting.wait is getattr(waiting, "wait_c", None):
        waiting.wait = waiting.wait_poll  # what psycopg itself picks when it is imported after patching
    # wait_conn (connecting) reads the module's own DefaultSelector name, bound when psycopg was imported.
    setattr(waiting, "DefaultSelector", selectors.DefaultSelector)  # noqa: B010
