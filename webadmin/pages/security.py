"""Security and filtering: what the server checks (links to the generated settings of each section), the
live greylisting and country-table figures, and each domain's DKIM key with the DNS records to publish.

The figures come from ``view.security`` (a server administrator or the "security" permission). A domain's
DKIM page is open to an administrator of that domain too; it makes the key the way ``fieldpost domain
dkim`` does (``filters.dkim_sign``), after ``view.security.dkim_domain`` has checked the domain is theirs.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from filters import dkim_sign
from filters.checks import greylist
from storage.errors import InvalidInput, NotFound
from webadmin import nav
from webadmin.binding import admin_view
from webadmin.pages import bp
from webadmin.pages.ops_links import settings_link

nav.add("Security", _l("Security and filtering"), "pages.security", server_only=True, order=10)
nav.add("Security", _l("DKIM keys"), "pages.dkim_keys", order=20)

#: Settings sections of the checks, in the order mail meets them.
SECTIONS = (
    ("net", _l("Listener access rules, flow and error control")),
    ("dnsbl", _l("DNS block lists")),
    ("rdns", _l("Reverse DNS of clients")),
    ("country", _l("Country filtering")),
    ("greylist", _l("Greylisting")),
    ("mx_check", _l("Sender domain has a mail host")),
    ("spf", _l("SPF")),
    ("dkim", _l("DKIM verifying and signing")),
    ("dmarc", _l("DMARC")),
    ("smtp", _l("SMTP, acceptance and routing rules")),
    ("lists", _l("Server sender black and white lists")),
    ("scan", _l("Anti-spam and anti-virus scanners")),
)


SWITCHES = ("dnsbl.enabled", "country.enabled", "spf.enabled", "dkim.verify", "dmarc.enabled")


@bp.get("/security")
def security() -> Any:
    view = admin_view()
    view.security.check()
    values = view.security.settings(("greylist.enabled", *greylist.POLICY_SETTINGS))
    state = view.security.state(greylist.policy_from(values))
    switches = view.security.settings(SWITCHES)
    sections = [(label, settings_link(name)) for name, label in SECTIONS]
    return render_template(
        "ops/security.html",
        state=state,
        greylist_on=values["greylist.enabled"],
        switches=switches,
        sections=sections,
    )


@bp.get("/security/dkim")
def dkim_keys() -> Any:
    return render_template("ops/dkim_keys.html", domains=admin_view().list_domains())


def dns_records(domain: str, hostname: str) -> dict[str, tuple[str, str]]:
    """Suggested SPF and DMARC records (name, value) for ``domain`` sending from ``hostname``."""
    return {
        "spf": (f"{domain}.", f"v=spf1 mx a:{hostname} -all"),
        "dmarc": (f"_dmarc.{domain}.", f"v=DMARC1; p=none; rua=mailto:postmaster@{domain}"),
    }


@bp.get("/security/dkim/<domain>")
def dkim_domain(domain: str) -> Any:
    view = admin_view()
    name = view.security.dkim_domain(domain)
    selector = str(view.setting("dkim.selector", domain=name))
    signing = bool(view.setting("dkim.sign", domain=name))
    try:
        key: dkim_sign.DomainKey | None = dkim_sign.load(view.store, name, selector)
    except NotFound:
        key = None
    hostname = current_app.config.get("FIELDPOST_HOSTNAME", "localhost")
    return render_template(
        "ops/dkim_domain.html",
        domain=name,
        selector=selector,
        signing=signing,
        key=key,
        zone_line=dkim_sign.zone_line(key) if key else None,
        records=dns_records(name, str(hostname)),
    )


@bp.post("/security/dkim/<domain>")
def dkim_generate(domain: str) -> Any:
    view = admin_view()
    name = view.security.dkim_domain(domain)
    given = request.form.get("selector", "").strip()
    selector = dkim_sign.check_selector(given or str(view.setting("dkim.selector", domain=name)))
    replace = request.form.get("replace") == "yes"
    try:
        dkim_sign.generate(view.store, name, selector, replace=replace)
    except InvalidInput:
        flash(_("%(domain)s already has a key for selector %(selector)s: tick “replace” to make a new one.",
                domain=name, selector=selector), "error")  # fmt: skip
        return redirect(url_for("pages.dkim_domain", domain=name))
    if given:
        view.set_setting("dkim.selector", selector, domain=name)
    flash(_("A new DKIM key for %(domain)s (selector %(selector)s) is made: publish its record.",
            domain=name, selector=selector), "success")  # fmt: skip
    return redirect(url_for("pages.dkim_domain", domain=name))
