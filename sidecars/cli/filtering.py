"""Console commands on the connection-time checks' state -- ``fieldpost filters greylist stats|prune|clear``,
``fieldpost filters dnsbl lookup`` and ``fieldpost filters countries lookup|import|clear`` on the console
(WebAdmin's filter tools page), plus the country table's size.

Through ``view.security`` (storage/admin_security.py) and ``view.filter_tables``: a server-wide administrator, or one holding the
server permission ``security``; ``COUNTRIES LOAD`` reads a file on the server, so server-wide
administrators only (sidecars.cli.server_files). Changing these checks is ordinary settings work
(``SET dnsbl.zones ...``).
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from filters.checks import Env, dnsbl, greylist
from sidecars.cli import parser as P
from sidecars.cli import server_files
from sidecars.cli.state import CommandFailed

if TYPE_CHECKING:
    from sidecars.cli.session import CliSession

#: Most block lists one DNSBL LOOKUP asks (one after the other, each within dns.timeout_seconds, while
#: the session waits); further zones are reported as not asked.
MAX_ZONES = 20
#: Largest country table file COUNTRIES LOAD reads (full databases are tens of MiB; storage also stops at
#: storage.countries.MAX_RANGES ranges).
MAX_COUNTRY_FILE = 256 * 1024 * 1024


def _yes(value: object) -> str:
    return "on" if value else "off"


def show_filtering(s: CliSession, args: list[str]) -> bytes:
    """SHOW FILTERING: whether greylisting, DNSBL and country checks are on, what greylisting remembers,
    how many ranges the country table holds."""
    P.parameters(args)
    names = ("greylist.enabled", "dnsbl.enabled", "dnsbl.zones", "country.enabled", *greylist.POLICY_SETTINGS)
    values = s.view.security.settings(names)
    state = s.view.security.state(greylist.policy_from(values))
    g = state.greylist
    rows = [
        ("greylisting", _yes(values["greylist.enabled"])),
        ("greylist_pending_triplets", str(g.pending)),
        ("greylist_passed_triplets", str(g.passed)),
        ("greylist_client_networks", str(g.clients)),
        ("greylist_whitelisted_networks", str(g.whitelisted)),
        ("dnsbl", _yes(values["dnsbl.enabled"])),
        ("dnsbl_zones", ", ".join(values["dnsbl.zones"]) or "-"),
        ("country_check", _yes(values["country.enabled"])),
        ("country_table_ranges", str(state.country_ranges)),
    ]
    return P.table(("property", "value"), rows) + P.ok("filtering state shown")


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        raise CommandFailed(f"not an IP address: {text[:60]!r}") from None


def country_lookup(s: CliSession, args: list[str]) -> bytes:
    """COUNTRY LOOKUP ip A: what the country check finds for an address in the loaded table."""
    address = _ip(P.parameters(args, ["ip"])["ip"])
    found = s.view.filter_tables.country_of(str(address))
    if found is None:
        return P.ok(f"{address}: in no range of the country table")
    name = f" ({found.name})" if found.name else ""
    return P.ok(f"{address}: {found.country}{name}, range {found.first} - {found.last}")


def dnsbl_lookup(s: CliSession, args: list[str]) -> bytes:
    """DNSBL LOOKUP ip A: asks each zone of dnsbl.zones about an address, as the check would."""
    address = _ip(P.parameters(args, ["ip"])["ip"])
    settings = s.view.security.settings(dnsbl.SETTINGS)
    rows: list[tuple[str, ...]] = []
    zones = []
    for entry in settings["dnsbl.zones"]:
        try:
            zones.append(dnsbl.parse_zone(entry))
        except ValueError as exc:
            rows.append((entry, "skipped", str(exc)))
    if not zones:
        raise CommandFailed("no DNS block lists are configured (setting dnsbl.zones)")
    env = Env(store=None, settings=settings)
    listed = 0
    for index, zone in enumerate(zones):
        if index >= MAX_ZONES:
            rows.append((zone.name, "not asked", f"only the first {MAX_ZONES} lists are asked"))
            continue
        hit = dnsbl.lookup(address, zone, env)
        if hit is None:
            rows.append((zone.name, "not listed", ""))
            continue
        listed += 1
        detail = f"{', '.join(hit.codes)}, weight {zone.weight}" + (f": {hit.reason}" if hit.reason else "")
        rows.append((zone.name, "listed", detail))
    table = P.table(("zone", "answer", "detail"), rows)
    return table + P.ok(f"{address}: listed by {listed} of {min(len(zones), MAX_ZONES)} list(s) asked")


def greylist_prune(s: CliSession, args: list[str]) -> bytes:
    """GREYLIST PRUNE: delete what greylisting remembers past its lifetimes now (as processing does)."""
    P.parameters(args)
    s.view.filter_tables.check()
    policy = greylist.policy_from(s.view.security.settings(greylist.POLICY_SETTINGS))
    count = s.view.filter_tables.prune_greylist(policy)
    return P.ok(f"greylisting: {count} expired entries removed")


def greylist_forget(s: CliSession, args: list[str]) -> bytes:
    """GREYLIST FORGET: forget every triplet and client network; every sender is greylisted afresh."""
    P.parameters(args)
    count = s.view.filter_tables.clear_greylist()
    return P.ok(f"greylisting: {count} entries forgotten; every sender is greylisted afresh")


def countries_load(s: CliSession, args: list[str]) -> bytes:
    """COUNTRIES LOAD file PATH: replace the country table by a CSV file on the server (all or nothing)."""
    path = P.parameters(args, ["file"])["file"]
    s.view.filter_tables.check()
    s.view.maintenance.check_allowed()
    found = server_files.regular_file(path, MAX_COUNTRY_FILE)
    try:
        with open(found, encoding="utf-8", errors="replace") as fh:
            count = s.view.filter_tables.load_countries(fh)
    except OSError as exc:
        raise CommandFailed(f"{found}: {exc.strerror or exc}") from None
    return P.ok(f"country table loaded: {count} ranges from {found}")


def countries_clear(s: CliSession, args: list[str]) -> bytes:
    """COUNTRIES CLEAR: empty the country table (the country check then finds no country)."""
    P.parameters(args)
    count = s.view.filter_tables.clear_countries()
    return P.ok(f"country table emptied: {count} ranges removed")
