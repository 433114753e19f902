"""``CHECK STORAGE``, ``REPAIR STORAGE`` and ``REINDEX STORAGE``: the store's consistency check, its repair
and the search-index rebuild (``fieldpost storage check|repair|reindex``) on the console, for server-wide
administrators (``view.maintenance``, storage/admin_maintenance.py).

It runs in the session, not off the hub: gevent's threadpool is not safe with SQLAlchemy's pools here
(the gevent note of the design notes, section 3), and storage's reads do not yield, so while the check
reads every message row and blob file the console service answers no other session. It is therefore
only for server-wide administrators, and each listing shows at most ``MAX_PROBLEMS`` lines (the count
says how many there are; ``fieldpost storage check`` on the server lists them all). The same holds for
a repair and a reindex, which write as well: the console is held until they are done.
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
        " (REPAIR STORAGE repairs)"
    )


def _capped(prefix: str, items: list[str]) -> tuple[bytes, str]:
    """At most ``MAX_PROBLEMS`` lines of ``items``, and the note of the +OK line when some were left out."""
    shown = items[:MAX_PROBLEMS]
    note = f" ({prefix}: the first {MAX_PROBLEMS} shown)" if len(shown) < len(items) else ""
    return P.lines(f"{prefix}: {item}" for item in shown), note


def repair_storage(s: CliSession, args: list[str]) -> bytes:
    """REPAIR STORAGE: repair what can be repaired, then say what a second, read-only pass still finds."""
    P.parameters(args)
    started = time.monotonic()
    report, remaining = s.view.maintenance.repair_store()
    took = f"{time.monotonic() - started:.1f} s"
    repaired, more_repaired = _capped("repaired", report.repaired)
    left, more_left = _capped("problem", remaining)
    summary = f"{len(report.repaired)} repair(s) made in {took}{more_repaired}"
    if remaining:
        return (
            repaired
            + left
            + P.ok(f"{summary}; {len(remaining)} problem(s) remain that no repair can mend{more_left}")
        )
    return repaired + P.ok(f"{summary}; the store is consistent")


def reindex_storage(s: CliSession, args: list[str]) -> bytes:
    """REINDEX STORAGE: parse every stored message again (search index, cached envelopes)."""
    P.parameters(args)
    started = time.monotonic()
    count = s.view.maintenance.reindex()
    took = f"{time.monotonic() - started:.1f} s"
    return P.ok(f"search index and cached envelopes rebuilt: {count} message bodies parsed in {took}")
