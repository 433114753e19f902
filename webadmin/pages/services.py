"""Services: what runs, on which listeners with which TLS, and start / stop / restart one.

The states come from the supervisor over its control socket (``view.services``, which first checks in
storage that the administrator is a server administrator or holds the "services" permission); the
listeners from the static configuration, so they are shown even while the supervisor is down. Listener
access rules, flow control and error control are the ``net`` settings: the page links to their generated
settings page.

The web service itself is not stopped or restarted from here: WebAdmin runs inside it, so the request
would end its own worker before the supervisor could answer. ``fieldpost service restart web`` does it.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from fieldpost.control_client import ControlError
from storage.admin_services import ACTIONS
from webadmin import nav
from webadmin.binding import admin_view
from webadmin.pages import bp
from webadmin.pages.ops_links import settings_link
from webadmin.server_config import NoConfig, server_config

nav.add("Services", _l("Services"), "pages.services", server_only=True, order=10)

SELF_SERVICE = "web"
TLS_LABELS = {"implicit": _l("TLS"), "starttls": _l("STARTTLS"), "none": _l("none")}


@bp.get("/services")
def services() -> Any:
    view = admin_view()
    view.services.check()
    try:
        config = server_config()
    except NoConfig:
        return render_template("ops/services.html", config=None, states={}, problem=None)
    states: dict[str, Any] = {}
    problem = None
    try:
        states = view.services.status(config).get("services", {})
    except ControlError as exc:
        problem = str(exc)
    return render_template(
        "ops/services.html",
        config=config,
        states=states,
        problem=problem,
        tls_labels=TLS_LABELS,
        actions=ACTIONS,
        self_service=SELF_SERVICE,
        net_settings=settings_link("net"),
    )


@bp.post("/services/<service>/<action>")
def service_action(service: str, action: str) -> Any:
    view = admin_view()
    view.services.check()
    if action not in ACTIONS:
        abort(404)
    if service == SELF_SERVICE:
        flash(
            _("WebAdmin runs in the web service: restart it with “fieldpost service restart web”."), "error"
        )
        return redirect(url_for("pages.services"))
    try:
        config = server_config()
        state = view.services.control(config, action, service)
    except NoConfig:
        flash(_("This WebAdmin has no data directory, so it cannot reach the supervisor."), "error")
    except ControlError as exc:
        flash(_("The supervisor refused: %(reason)s", reason=str(exc)), "error")
    else:
        flash(_("%(service)s: %(state)s", service=service, state=state.get("state", "?")), "success")
    return redirect(url_for("pages.services"))
