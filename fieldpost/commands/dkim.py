"""``fieldpost domain dkim DOMAIN generate|show``: a domain's DKIM signing key (``filters.dkim_sign``).

``generate`` makes a 2048-bit key for the domain's selector (``dkim.selector``, or ``--selector``, which
then becomes the domain's setting) and prints the TXT record to publish; ``show`` prints it again.
Mail is signed from then on (``dkim.sign``); publish the record first, or receivers see failing
signatures until it is there.
"""

from __future__ import annotations

import argparse

from fieldpost.commands import load_config, opened_admin


def register(
    actions: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = actions.add_parser("dkim", parents=[common], help="make or show the domain's DKIM signing key")
    parser.add_argument("domain")
    parser.add_argument("what", choices=("generate", "show"), help="make a new key, or show the current one")
    parser.add_argument(
        "--selector", metavar="S", help="selector of the key (default: the dkim.selector setting)"
    )
    parser.add_argument(
        "--force", action="store_true", help="generate: replace an existing key of that selector"
    )
    parser.set_defaults(func=domain_dkim)


def domain_dkim(args: argparse.Namespace) -> int:
    from filters import dkim_sign

    with opened_admin(load_config(args)) as (admin, store):
        domain = args.domain.lower()
        admin.domain(domain)  # an unknown domain is an error, not a key nobody uses
        selector = dkim_sign.check_selector(args.selector or admin.setting("dkim.selector", domain=domain))
        if args.what == "generate":
            key = dkim_sign.generate(store, domain, selector, replace=args.force)
            if args.selector:
                admin.set_setting("dkim.selector", selector, domain=domain)
            print(
                f"new {dkim_sign.KEY_BITS}-bit DKIM key for {domain}, selector {selector}, kept in {key.path}"
            )
        else:
            key = dkim_sign.load(store, domain, selector)
            print(f"DKIM key for {domain}, selector {selector}, kept in {key.path}")
        print("publish this TXT record (zone file form, then the bare value):")
        print(dkim_sign.zone_line(key))
        print(key.record)
    return 0
