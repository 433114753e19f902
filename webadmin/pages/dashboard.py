"""The first page after sign-in: which server this is, how much it holds, and whether its services run.

Counts come through the administrator's view, so a delegated administrator sees their domains' figures
only. Service states are the supervisor's ``run/services.json`` (fieldpost/runstate.py), read as a file:
cheap, and honest when the supervisor is not running (no states at all rather than stale ones).
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from flask_babel import lazy_gettext as _l

from fieldpost import config as configuration
from fieldpost import runstate
from webadmin import nav
from webadmin.binding import admin_view
from webadmin.pages import bp, is_server_admin

nav.add("Overview", _l("Dashboard"), "pages.dashboard", order=0)


def version() -> str:
    try:
        return metadata.version("fieldpost")
    except metadata.PackageNotFoundError:
        return "unknown"


def service_states() -> list[tuple[str, str, int]]:
    """(service, state, restarts) from the supervisor's state file; empty when it is not running."""
    data_dir = current_app.config.get("DATA_DIR")
    if not data_dir:
        return []
    config = configuration.load(Path(data_dir))
    if runstate.running_supervisor(config) is None:
        return []
    services = runstate.read_state(config).get("services", {})
    return [
        (name, str(info.get("state", "?")), int(info.get("restarts", 0))) for name, info in services.items()
    ]


@bp.get("/dashboard")
def dashboard() -> Any:
    # the domains' account counts (one COUNT each), not list_accounts(): loading every account of a
    # 10,000-account domain took 65 s on the development machine
    reach = admin_view().list_domains()
    return render_template(
        "dashboard.html",
        hostname=current_app.config.get("FIELDPOST_HOSTNAME", "localhost"),
        version=version(),
        domains=len(reach),
        accounts=sum(d.account_count for d in reach),
        services=service_states() if is_server_admin() else [],
    )
