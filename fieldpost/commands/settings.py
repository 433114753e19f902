"""``fieldpost settings``: read and change settings at any level, and print the settings reference.

Everything here comes from the one registry in storage.settings: the list of names, the levels a
setting may be set at, validation and the generated reference in docs/settings.md.
"""

from __future__ import annotations

import argparse

from fieldpost.commands import CommandError, load_config, opened_admin


def _scope_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--domain", metavar="D", help="at the level of domain D")
    parser.add_argument(
        "--class", dest="account_class", metavar="C", help="at the level of account class C (with --domain)"
    )
    parser.add_argument("--account", metavar="ADDRESS", help="at the level of one account")


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser(
        "settings", help="show and change settings (server, domain, class, account)"
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", parents=[common], help="every setting with its value in force")
    listing.add_argument("--domain", metavar="D", help="values in force for domain D")
    listing.add_argument("--account", metavar="ADDRESS", help="values in force for one account")
    listing.set_defaults(func=settings_list)
    get = actions.add_parser("get", parents=[common], help="the value in force and where it comes from")
    get.add_argument("name")
    get.add_argument("--domain", metavar="D")
    get.add_argument("--account", metavar="ADDRESS")
    get.set_defaults(func=settings_get)
    set_ = actions.add_parser(
        "set", parents=[common], help="set a value (server level unless a scope is given)"
    )
    set_.add_argument("name")
    set_.add_argument("value")
    _scope_options(set_)
    set_.set_defaults(func=settings_set)
    clear = actions.add_parser("clear", parents=[common], help="remove a value so the next level's applies")
    clear.add_argument("name")
    _scope_options(clear)
    clear.set_defaults(func=settings_clear)
    docs = actions.add_parser("docs", help="print the settings reference (markdown)")
    docs.set_defaults(func=settings_docs)


def settings_list(args: argparse.Namespace) -> int:
    from storage import settings as registry

    with opened_admin(load_config(args)) as (admin, _):
        for name in sorted(registry.REGISTRY):
            value = admin.setting(name, domain=args.domain, account=args.account)
            print(f"{name} = {registry.format_value(name, value)}")
    return 0


def settings_get(args: argparse.Namespace) -> int:
    from storage import settings as registry

    registry.get(args.name)  # unknown names fail before the store is opened
    with opened_admin(load_config(args)) as (admin, _):
        value = admin.setting(args.name, domain=args.domain, account=args.account)
    print(registry.format_value(args.name, value))
    return 0


def settings_set(args: argparse.Namespace) -> int:
    from storage import settings as registry

    with opened_admin(load_config(args)) as (admin, _):
        stored = admin.set_setting(
            args.name, args.value, domain=args.domain, account_class=args.account_class, account=args.account
        )
    print(f"{args.name} = {registry.format_value(args.name, stored)}")
    return 0


def settings_clear(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        if not admin.clear_setting(
            args.name, domain=args.domain, account_class=args.account_class, account=args.account
        ):
            raise CommandError(f"{args.name} has no value at that level")
    return 0


def settings_docs(args: argparse.Namespace) -> int:
    from storage import settings as registry

    print(registry.docs_markdown(), end="")
    return 0
