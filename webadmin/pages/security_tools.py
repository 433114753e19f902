"""Filter tools (what ``fieldpost filters countries|greylist|dnsbl`` does): load the IP-to-country table
from an uploaded CSV file, look an address up in it, empty it; prune or forget greylisting's memory; ask
the configured DNS block lists about an address.

The counts (ranges loaded, greylisting triplets) are on the Security page (webadmin/pages/security.py);
this page holds the actions. Everything goes through ``view.filter_tables``: a server administrator or
the "security" server permission. The CSV upload is bounded by WebAdmin's request limit (16 MiB); a larger
table is loaded on the server with ``fieldpost filters countries import FILE``.
"""

from __future__ import annotations

import io
import ipaddress
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from filters.checks import Env, dnsbl, greylist
from storage.countries import CountryRange
from storage.errors import InvalidInput
from webadmin import nav
from webadmin.binding import admin_view
from webadmin.pages import bp

nav.add("Security", _l("Filter tools"), "pages.security_tools", server_only=True, right="security", order=15)

MAX_IP_TEXT = 100


class CountriesForm(FlaskForm):  # type: ignore[misc]  # wtforms ships no type hints
    file = FileField(_l("Country table (CSV)"), validators=[FileRequired()])


def _ip(text: str) -> str:
    """The address typed, in normal form. Raises InvalidInput for anything else."""
    try:
        return str(ipaddress.ip_address(text.strip().strip("[]")[:MAX_IP_TEXT]))
    except ValueError:
        raise InvalidInput(_("Not an IP address: %(text)s", text=text[:MAX_IP_TEXT])) from None


def _dnsbl(ip: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(zone, answer) for every list of ``dnsbl.zones``, and the zone entries that could not be read."""
    settings = admin_view().filter_tables.lookup_settings(dnsbl.SETTINGS)
    answers: list[tuple[str, str]] = []
    skipped: list[str] = []
    env = Env(store=None, settings=settings)
    for entry in settings["dnsbl.zones"]:
        try:
            zone = dnsbl.parse_zone(entry)
        except ValueError as exc:
            skipped.append(str(exc))
            continue
        hit = dnsbl.lookup(ipaddress.ip_address(ip), zone, env)
        if hit is None:
            answers.append((zone.name, _("not listed")))
        else:
            text = _("listed (%(codes)s, weight %(weight)d)", codes=", ".join(hit.codes), weight=zone.weight)
            answers.append((zone.name, f"{text}: {hit.reason}" if hit.reason else text))
    return answers, skipped


def render_tools(form: CountriesForm | None = None, status: int = 200) -> Any:
    tools = admin_view().filter_tables
    tools.check()
    country_ip = request.args.get("country_ip", "").strip()
    country: CountryRange | None = None
    country_error: str | None = None
    if country_ip:
        try:
            country_ip = _ip(country_ip)
            country = tools.country_of(country_ip)
        except InvalidInput as exc:
            country_error = str(exc)
    dnsbl_ip = request.args.get("dnsbl_ip", "").strip()
    answers: list[tuple[str, str]] | None = None
    skipped: list[str] = []
    dnsbl_error: str | None = None
    if dnsbl_ip:
        try:
            dnsbl_ip = _ip(dnsbl_ip)
            answers, skipped = _dnsbl(dnsbl_ip)
        except InvalidInput as exc:
            dnsbl_error = str(exc)
    return render_template(
        "ops/security_tools.html",
        form=form or CountriesForm(formdata=None),
        country_ip=country_ip[:MAX_IP_TEXT],
        country=country,
        country_error=country_error,
        dnsbl_ip=dnsbl_ip[:MAX_IP_TEXT],
        answers=answers,
        skipped=skipped,
        dnsbl_error=dnsbl_error,
    ), status


@bp.get("/security/tools")
def security_tools() -> Any:
    return render_tools()


@bp.post("/security/tools/countries")
def security_countries_load() -> Any:
    form = CountriesForm()
    if form.validate_on_submit():
        admin_view().filter_tables.check()  # 403 before the upload is read
        lines = io.TextIOWrapper(form.file.data.stream, encoding="utf-8", errors="replace")
        try:
            count = admin_view().filter_tables.load_countries(lines)
        except InvalidInput as exc:
            form.file.errors = [str(exc)]
        else:
            flash(_("Country table loaded: %(count)d address ranges.", count=count), "success")
            return redirect(url_for("pages.security_tools"))
    return render_tools(form, 400)


@bp.post("/security/tools/countries/clear")
def security_countries_clear() -> Any:
    count = admin_view().filter_tables.clear_countries()
    flash(_("Country table emptied: %(count)d address ranges removed.", count=count), "success")
    return redirect(url_for("pages.security_tools"))


@bp.post("/security/tools/greylist/prune")
def security_greylist_prune() -> Any:
    view = admin_view()
    view.filter_tables.check()
    policy = greylist.policy_from(view.security.settings(greylist.POLICY_SETTINGS))
    count = view.filter_tables.prune_greylist(policy)
    flash(_("Greylisting: %(count)d expired entries removed.", count=count), "success")
    return redirect(url_for("pages.security_tools"))


@bp.post("/security/tools/greylist/clear")
def security_greylist_clear() -> Any:
    count = admin_view().filter_tables.clear_greylist()
    flash(
        _("Greylisting: %(count)d entries forgotten; every sender is greylisted afresh.", count=count),
        "success",
    )
    return redirect(url_for("pages.security_tools"))
