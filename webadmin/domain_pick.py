"""What the directory pages (accounts, groups, forwarders, classes, public folders) share: the domain a
page works on, paging links, and putting storage's refusals next to the form field they belong to.

The domain comes from the ``domain`` query argument (or form field); without one, the first domain the
administrator reaches. Storage decides the reach on every call, so a domain named in the URL that is
outside it gets the same 404 as a domain that does not exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from flask import abort, request, url_for
from flask_wtf import FlaskForm

from storage.admin_directory import FieldProblem
from storage.errors import StorageError
from storage.models import Domain
from webadmin.binding import admin_view


def domains() -> list[Domain]:
    return admin_view().list_domains()


def chosen_domain() -> str:
    """The domain of this request (404 when the administrator reaches none)."""
    name = (request.values.get("domain") or "").strip()
    if name:
        return admin_view().domain(name).name  # NotFound (404) outside the reach
    reach = domains()
    if not reach:
        abort(404)
    return reach[0].name


def settings_link(
    *, domain: str | None = None, account_class: str | None = None, account: str | None = None
) -> str | None:
    """The generated settings page (webadmin/pages/settings.py) of an account, a class or a domain."""
    if account is not None:
        return url_for("pages.account_settings", address=account)
    if domain is not None and account_class is not None:
        return url_for("pages.class_settings", domain=domain, account_class=account_class)
    if domain is not None:
        return url_for("pages.domain_settings", domain=domain)
    return None


@dataclass(frozen=True)
class Pager:
    """What ``macros.pager`` draws: page ``number`` of ``pages`` and the neighbours' links."""

    number: int
    pages: int
    prev_url: str | None
    next_url: str | None


def pager(endpoint: str, total: int, offset: int, limit: int, **args: Any) -> Pager:
    pages = max(1, math.ceil(total / limit))
    number = offset // limit + 1

    def link(n: int) -> str | None:
        kept = {k: v for k, v in args.items() if v not in (None, "")}
        return url_for(endpoint, page=n, **kept) if 1 <= n <= pages else None

    return Pager(number, pages, link(number - 1), link(number + 1))


def page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def refuse_on(form: FlaskForm, exc: StorageError, default: str) -> None:
    """Put storage's refusal under the field it concerns (``FieldProblem.field``, else ``default``)."""
    name = exc.field if isinstance(exc, FieldProblem) else default
    field = getattr(form, name, None) or getattr(form, default)
    field.errors = [*(field.errors or []), str(exc)]
