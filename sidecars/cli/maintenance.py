"""``CHECK STORAGE``: the store's read-only consistency check (``fieldpost storage check``) on the console,
for server-wide administrators (``view.maintenance``, storage/admin_maintenance.py).

It runs in the session, not off the hub: gevent's threadpool is not safe with SQLAlchemy's pools here
(the gevent note of the design notes, section 3), and storage's reads do not yield, so while the check
reads every message row and blob file the console service answers no other session. It is therefore
only for server-wide administrators, repairs nothing, and lists at most ``MAX_PROBLEMS`` problems (the
count says how many there are; ``fieldpost storage check`` on the server lists them all).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from sidecars.cli import parser as P

if TYPE_CHECKING:
    from sidecars.cli.session import CliSession

MAX_PROBLEMS = 200


def check_storage(s: CliSession, args: list[str]) -> bytes:
    P.parameters(args)
    started = time.monotonic()
    report = s.view.maintenance.check_store()
    took = f"{time.monotonic() - started:.1f} s"
    if report.ok:
        return P.ok(f"store is consistent (checked in {took})")
    shown = report.problems[:MAX_PROBLEMS]
    more = (
        f"; the first {MAX_PROBLEMS} shown, fieldpost storage check lists all"
        if len(shown) < len(report.problems)
        else ""
    )
    return P.lines(f"problem: {p}" for p in shown) + P.ok(
        f"{len(report.problems)} problem(s) found in {took}{more}; nothing was changed"
        " (fieldpost storage check --repair on the server repairs)"
    )
