"""Logs: the services' log files, newest first, filtered by service, level, session id and text.

Reading is ``view.logs``' (checked in storage: a server administrator or the "logs" permission), which
reads a file backwards from its end (fieldpost/log_reader.py): a page costs the blocks it needs, never the
whole file, and a filter that finds little stops after 32 MiB with a link to search further back. The
"Older" link carries the byte offset where the page stopped.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for
from flask_babel import lazy_gettext as _l

from fieldpost import log_reader
from storage.errors import InvalidInput
from webadmin import nav
from webadmin.binding import admin_view
from webadmin.pages import bp
from webadmin.server_config import NoConfig, server_config

nav.add("Logs", _l("Service logs"), "pages.logs", server_only=True, order=10)

PAGE = 100
LEVEL_LABELS = {1: _l("critical"), 2: _l("error"), 4: _l("warning"), 8: _l("info"), 16: _l("protocol")}


def _levels() -> int:
    chosen = request.args.getlist("level")
    if not chosen:
        return 31
    mask = 0
    for value in chosen:
        if not value.isdigit() or int(value) not in LEVEL_LABELS:
            raise InvalidInput(f"unknown log level {value[:10]!r}: one of 1, 2, 4, 8, 16")
        mask |= int(value)
    return mask


def _before() -> int | None:
    raw = request.args.get("before", "")
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 15:
        raise InvalidInput("the page offset must be a whole number of bytes")
    return int(raw)


@bp.get("/logs")
def logs() -> Any:
    view = admin_view()
    view.logs.check()
    try:
        log_dir = server_config().log_dir
    except NoConfig:
        return render_template(
            "ops/logs.html", services=[], page=None, args={}, levels=LEVEL_LABELS, checked=[]
        )
    services = view.logs.services(log_dir)
    service = request.args.get("service", "") or (services[0] if services else "")
    text = request.args.get("text", "")
    try:
        session = log_reader.session_filter(request.args.get("session", ""))
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    mask = _levels()
    query = log_reader.LogQuery(levels=mask, session=session, text=text)
    page = view.logs.page(log_dir, service, query, before=_before(), limit=PAGE) if service else None
    args: dict[str, Any] = {"service": service, "session": request.args.get("session", ""), "text": text}
    older = None
    if page is not None and page.older is not None:
        older = url_for("pages.logs", **args, level=request.args.getlist("level"), before=page.older)
    return render_template(
        "ops/logs.html",
        services=services,
        page=page,
        args=args,
        levels=LEVEL_LABELS,
        checked=[bit for bit in LEVEL_LABELS if mask & bit],
        older=older,
        newest=url_for("pages.logs", **args, level=request.args.getlist("level")),
        max_text=log_reader.MAX_TEXT,
        paged=request.args.get("before") is not None,
    )
