"""Storage report: per domain (accounts, size, messages, folders) and per account against its quotas.

Figures are storage's cached columns (``view.reports``), so the report costs one query per page however
many messages the server holds. A domain administrator sees the domains in their scope; another tenant's
domain answers 404 like a domain that does not exist.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for
from flask_babel import lazy_gettext as _l

from storage.admin_reports import ORDERS
from storage.errors import InvalidInput
from webadmin import nav
from webadmin.binding import admin_view
from webadmin.pages import bp

nav.add("Domains", _l("Storage report"), "pages.storage_report", order=50)

PAGE = 100


def human_size(value: int) -> str:
    """Bytes in the largest unit that keeps a number >= 1 (binary units, one decimal)."""
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{value} B"


@bp.app_template_filter("human_size")
def human_size_filter(value: int) -> str:
    return human_size(value)


@bp.get("/reports/storage")
def storage_report() -> Any:
    return render_template("ops/storage_report.html", domains=admin_view().reports.domains())


@bp.get("/reports/storage/<domain>")
def storage_report_domain(domain: str) -> Any:
    order = request.args.get("order", "size")
    raw = request.args.get("offset", "0")
    if not raw.isdigit() or len(raw) > 9:
        raise InvalidInput("the page offset must be a whole number")
    page = admin_view().reports.accounts(domain, order=order, offset=int(raw), limit=PAGE)
    name = page.domain.name

    def link(offset: int) -> str:
        return url_for("pages.storage_report_domain", domain=name, order=order, offset=offset)

    return render_template(
        "ops/storage_domain.html",
        page=page,
        order=order,
        orders=ORDERS,
        prev_url=link(max(0, page.offset - PAGE)) if page.offset > 0 else None,
        next_url=link(page.offset + PAGE) if page.offset + PAGE < page.total else None,
    )
