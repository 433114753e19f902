"""``fieldpost filters countries|greylist|dnsbl ...``: the data and state behind the connection-time
checks of SMTP receiving (docs/filters.md).

* ``countries import FILE`` loads an IP-to-country CSV file in place of the current table (formats in
  ``storage.countries``; all or nothing: a bad line is reported with its number and nothing changes);
  ``countries lookup IP`` shows what the country check would find; ``countries clear`` empties it.
* ``greylist stats|prune|clear``: what greylisting remembers, removing expired rows now (the processing
  service also does it periodically), or forgetting everything.
* ``dnsbl lookup IP``: asks every zone of ``dnsbl.zones`` about an address, as the check would.

The commands work on the store directly; the SMTP service need not run, and picks changes up at once.
"""

from __future__ import annotations

import argparse
import ipaddress
from typing import TYPE_CHECKING, Any

from fieldpost.commands import CommandError, load_config, opened_store

if TYPE_CHECKING:
    from storage.contracts import WithSettings


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser("filters", help="country table, greylisting state, DNSBL lookups")
    groups = parser.add_subparsers(dest="group", required=True, metavar="GROUP")

    countries = groups.add_parser("countries", help="the IP-to-country table of country filtering")
    actions = countries.add_subparsers(dest="action", required=True, metavar="ACTION")
    load = actions.add_parser("import", parents=[common], help="load a CSV file (replaces the table)")
    load.add_argument("file", metavar="FILE")
    load.set_defaults(func=countries_import)
    find = actions.add_parser("lookup", parents=[common], help="the country of an address")
    find.add_argument("ip", metavar="IP")
    find.set_defaults(func=countries_lookup)
    clear = actions.add_parser("clear", parents=[common], help="empty the table")
    clear.set_defaults(func=countries_clear)

    greylist = groups.add_parser("greylist", help="what greylisting remembers")
    actions = greylist.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("stats", parents=[common], help="counts of triplets and client networks").set_defaults(
        func=greylist_stats
    )
    actions.add_parser("prune", parents=[common], help="delete expired rows now").set_defaults(
        func=greylist_prune
    )
    actions.add_parser("clear", parents=[common], help="forget every triplet and client").set_defaults(
        func=greylist_clear
    )

    dnsbl = groups.add_parser("dnsbl", help="ask the configured DNS block lists")
    actions = dnsbl.add_subparsers(dest="action", required=True, metavar="ACTION")
    ask = actions.add_parser("lookup", parents=[common], help="which lists of dnsbl.zones name an address")
    ask.add_argument("ip", metavar="IP")
    ask.set_defaults(func=dnsbl_lookup)


def _address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip().strip("[]")))
    except ValueError:
        raise CommandError(f"not an IP address: {text!r}") from None


def countries_import(args: argparse.Namespace) -> int:
    with opened_store(load_config(args)) as store, open(args.file, encoding="utf-8", errors="replace") as fh:
        count = store.countries.replace(fh)
    print(f"country table loaded: {count} ranges from {args.file}")
    return 0


def countries_lookup(args: argparse.Namespace) -> int:
    ip = _address(args.ip)
    with opened_store(load_config(args)) as store:
        found = store.countries.lookup(ip)
    if found is None:
        print(f"{ip}: in no range of the country table")
    else:
        name = f" ({found.name})" if found.name else ""
        print(f"{ip}: {found.country}{name}, range {found.first} - {found.last}")
    return 0


def countries_clear(args: argparse.Namespace) -> int:
    with opened_store(load_config(args)) as store:
        count = store.countries.clear()
    print(f"country table emptied: {count} ranges removed")
    return 0


def _greylist_policy(store: WithSettings) -> Any:
    from filters.checks import greylist

    return greylist.policy_from(store.settings.effective_many(greylist.POLICY_SETTINGS))


def greylist_stats(args: argparse.Namespace) -> int:
    with opened_store(load_config(args)) as store:
        stats = store.greylist.stats(_greylist_policy(store))
        enabled = store.settings.get("greylist.enabled")
    print(f"greylisting: {'on' if enabled else 'off'}")
    print(f"pending triplets: {stats.pending}")
    print(f"passed triplets: {stats.passed}")
    print(f"client networks with passes: {stats.clients} ({stats.whitelisted} whitelisted)")
    return 0


def greylist_prune(args: argparse.Namespace) -> int:
    from filters.checks import greylist

    with opened_store(load_config(args)) as store:
        count = greylist.prune(store)
    print(f"greylisting: {count} expired rows removed")
    return 0


def greylist_clear(args: argparse.Namespace) -> int:
    with opened_store(load_config(args)) as store:
        count = store.greylist.clear()
    print(f"greylisting: {count} rows removed")
    return 0


def dnsbl_lookup(args: argparse.Namespace) -> int:
    """Exit 0 when no list names the address, 1 when one does (for scripts)."""
    from filters.checks import Env, dnsbl

    ip = ipaddress.ip_address(_address(args.ip))
    with opened_store(load_config(args)) as store:
        settings = store.settings.effective_many(dnsbl.SETTINGS)
    zones = []
    for entry in settings["dnsbl.zones"]:
        try:
            zones.append(dnsbl.parse_zone(entry))
        except ValueError as exc:
            print(f"skipped: {exc}")
    if not zones:
        raise CommandError("no DNS block lists are configured (setting dnsbl.zones)")
    env = Env(store=None, settings=settings)
    listed = 0
    for zone in zones:
        hit = dnsbl.lookup(ip, zone, env)
        if hit is None:
            print(f"{zone.name}: not listed")
            continue
        listed += 1
        reason = f": {hit.reason}" if hit.reason else ""
        print(f"{zone.name}: listed ({', '.join(hit.codes)}, weight {zone.weight}){reason}")
    return 1 if listed else 0
