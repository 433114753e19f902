"""The store's consistency check (what ``fieldpost storage check`` does, read-only) and the settings
reference (what ``fieldpost settings docs`` prints), as pages.

The check is for server-wide administrators (``view.maintenance`` refuses anyone else) and runs on a
button (a POST with CSRF): it reads every message row and blob file, so a page visit or a link prefetch
must not start it. Two more buttons do what ``fieldpost storage repair`` and ``fieldpost storage reindex``
do (same rights, same POST with CSRF), and the page shows what was repaired, what is left, or how many
message bodies were parsed again. The reference is the
settings registry itself (storage/settings.py), the same text as docs/settings.md, open to every
administrator, with a filter on the name and the description.
"""

from __future__ import annotations

import time
from typing import Any

from flask import render_template, request
from flask_babel import lazy_gettext as _l

from storage import settings as registry
from webadmin import nav
from webadmin.binding import admin_view
from webadmin.pages import bp

nav.add("Server", _l("Storage check"), "pages.storage_check", server_only=True, order=60)
nav.add("Server", _l("Settings reference"), "pages.settings_reference", order=90)

MAX_FILTER = 100


@bp.get("/maintenance/storage-check")
def storage_check() -> Any:
    admin_view().maintenance.check_allowed()
    return render_template("ops/storage_check.html", report=None)


@bp.post("/maintenance/storage-check")
def storage_check_run() -> Any:
    started = time.monotonic()
    report = admin_view().maintenance.check_store()
    return render_template(
        "ops/storage_check.html", report=report, seconds=round(time.monotonic() - started, 1)
    )


@bp.post("/maintenance/storage-repair")
def storage_repair_run() -> Any:
    started = time.monotonic()
    repair, remaining = admin_view().maintenance.repair_store()
    return render_template(
        "ops/storage_check.html",
        repaired=repair.repaired,
        remaining=remaining,
        seconds=round(time.monotonic() - started, 1),
    )


@bp.post("/maintenance/storage-reindex")
def storage_reindex_run() -> Any:
    started = time.monotonic()
    count = admin_view().maintenance.reindex()
    return render_template(
        "ops/storage_check.html", reindexed=count, seconds=round(time.monotonic() - started, 1)
    )


@bp.get("/settings/reference")
def settings_reference() -> Any:
    words = request.args.get("q", "").strip()[:MAX_FILTER]
    wanted = words.lower()
    sections = {
        section: [r for r in rows if wanted in r.name.lower() or wanted in r.help.lower()]
        for section, rows in registry.reference().items()
    }
    return render_template(
        "settings_reference.html", sections={k: v for k, v in sections.items() if v}, q=words
    )
