"""``fieldpost domain ...``, ``account ...`` and ``group ...``: the directory of the store, changed as the
server administrator through the admin facade (``store.for_admin``, via ``opened_admin``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fieldpost.commands import dkim, load_config, opened_admin, password


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    _register_domain(subparsers, common)
    _register_account(subparsers, common)
    _register_group(subparsers, common)


# -- domains --------------------------------------------------------------------------------------------


def _register_domain(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser("domain", help="add, list, rename or delete domains")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", parents=[common], help="add a domain")
    add.add_argument("name")
    add.set_defaults(func=domain_add)
    actions.add_parser("list", parents=[common], help="list domains").set_defaults(func=domain_list)
    rename = actions.add_parser("rename", parents=[common], help="rename a domain and its addresses")
    rename.add_argument("old")
    rename.add_argument("new")
    rename.set_defaults(func=domain_rename)
    delete = actions.add_parser("delete", parents=[common], help="delete a domain and everything in it")
    delete.add_argument("name")
    delete.set_defaults(func=domain_delete)
    dkim.register(actions, common)


def domain_add(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        admin.add_domain(args.name)
    print(f"domain {args.name} added")
    return 0


def domain_list(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        for domain in admin.list_domains():
            aliases = f"  aliases: {', '.join(domain.aliases)}" if domain.aliases else ""
            print(f"{domain.name}  accounts: {domain.account_count}{aliases}")
    return 0


def domain_rename(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        admin.rename_domain(args.old, args.new)
    print(f"domain {args.old} renamed to {args.new}")
    return 0


def domain_delete(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        admin.delete_domain(args.name)
    print(f"domain {args.name} deleted")
    return 0


# -- accounts -------------------------------------------------------------------------------------------


def _register_account(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser("account", help="add, list, change the password of or delete accounts")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", parents=[common], help="add an account")
    add.add_argument("address")
    add.add_argument("--password", metavar="P", help="asked for on the terminal when left out")
    add.set_defaults(func=account_add)
    listing = actions.add_parser("list", parents=[common], help="list accounts")
    listing.add_argument("--domain", metavar="D", help="only the accounts of this domain")
    listing.set_defaults(func=account_list)
    passwd = actions.add_parser("passwd", parents=[common], help="set an account's password")
    passwd.add_argument("address")
    passwd.add_argument("--password", metavar="P", help="asked for on the terminal when left out")
    passwd.set_defaults(func=account_passwd)
    delete = actions.add_parser("delete", parents=[common], help="delete an account and its mail")
    delete.add_argument("address")
    delete.set_defaults(func=account_delete)
    bulk = actions.add_parser(
        "import",
        parents=[common],
        help="add accounts from a CSV file (address,password,display_name,class,quota; docs/webadmin-directory.md)",
    )
    bulk.add_argument("file", help="the CSV file, or - for standard input")
    bulk.add_argument("--domain", metavar="D", required=True, help="the domain the accounts go to")
    bulk.set_defaults(func=account_import)


def account_add(args: argparse.Namespace) -> int:
    config = load_config(args)
    secret = password(args.password, "--password", f"Password for {args.address}")
    with opened_admin(config) as (admin, _):
        admin.add_account(args.address, secret)
    print(f"account {args.address} added")
    return 0


def account_list(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        for account in admin.list_accounts(args.domain):
            quota = "unlimited" if not account.quota_bytes else _size(account.quota_bytes)
            state = "" if account.enabled else "  (disabled)"
            print(
                f"{account.address}  messages: {account.message_count}  "
                f"used: {_size(account.used_bytes)} of {quota}{state}"
            )
    return 0


def account_passwd(args: argparse.Namespace) -> int:
    config = load_config(args)
    secret = password(args.password, "--password", f"New password for {args.address}")
    with opened_admin(config) as (admin, _):
        admin.set_password(args.address, secret)
    print(f"password of {args.address} changed")
    return 0


def account_delete(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        admin.delete_account(args.address)
    print(f"account {args.address} deleted")
    return 0


def account_import(args: argparse.Namespace) -> int:
    """One line per input line: ``LINE ADDRESS added [password: P]`` or ``LINE ADDRESS refused: WHY``;
    exit status 1 when any line was refused (the others are added all the same)."""
    data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    with opened_admin(load_config(args)) as (admin, _):
        from storage.account_import import import_accounts

        report = import_accounts(admin, data, domain=args.domain)
    for line in report.lines:
        if line.added:
            shown = f"  password: {line.password}" if line.password else ""
            print(f"{line.line} {line.address} added{shown}")
        else:
            print(f"{line.line} {line.address} refused: {line.status}")
    print(f"{report.added} added, {report.failed} refused")
    return 1 if report.failed else 0


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


# -- groups ---------------------------------------------------------------------------------------------


def _register_group(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser("group", help="manage groups and their members")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, func, help_text in (
        ("add", group_add, "add a group"),
        ("delete", group_delete, "delete a group"),
    ):
        sub = actions.add_parser(name, parents=[common], help=help_text)
        sub.add_argument("address")
        sub.set_defaults(func=func)
    listing = actions.add_parser("list", parents=[common], help="list groups and their members")
    listing.add_argument("--domain", metavar="D", help="only the groups of this domain")
    listing.set_defaults(func=group_list)
    for name, func, help_text in (
        ("add-member", group_add_member, "add an account or group to a group"),
        ("remove-member", group_remove_member, "remove a member from a group"),
    ):
        sub = actions.add_parser(name, parents=[common], help=help_text)
        sub.add_argument("group")
        sub.add_argument("member")
        sub.set_defaults(func=func)


def group_add(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        admin.add_group(args.address)
    print(f"group {args.address} added")
    return 0


def group_delete(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        admin.delete_group(args.address)
    print(f"group {args.address} deleted")
    return 0


def group_list(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        for group in admin.list_groups(args.domain):
            members = ", ".join(group.members) if group.members else "(no members)"
            print(f"{group.address}: {members}")
    return 0


def group_add_member(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        admin.add_group_member(args.group, args.member)
    print(f"{args.member} added to {args.group}")
    return 0


def group_remove_member(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        admin.remove_group_member(args.group, args.member)
    print(f"{args.member} removed from {args.group}")
    return 0
