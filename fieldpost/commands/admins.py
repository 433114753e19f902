"""``fieldpost admin ...``: administrators, their groups, permissions and domain grants (docs/administration.md).

Acts as the server administrator through the admin facade (``view.admins``, ``view.admin_groups``:
storage.administrators and storage.admin_groups), so the same rules hold as in WebAdmin and the CLI
service: the last enabled server-wide administrator cannot be deleted, disabled or made delegated, and
unknown permission names are refused with the list of known ones.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from fieldpost.commands import CommandError, load_config, opened_admin, password

if TYPE_CHECKING:
    from storage.administrators import AdminInfo, GrantInfo

if TYPE_CHECKING:
    Parsers = argparse._SubParsersAction[argparse.ArgumentParser]


def register(subparsers: Parsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "admin", help="administrators: delegated administration, permissions and domain grants"
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, func: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, parents=[common], help=help_)
        sub.set_defaults(func=func)
        return sub

    action("list", admin_list, "list administrators with their permissions and domains")
    action("permissions", permissions, "list the server and domain permissions one may grant")
    action("show", admin_show, "show one administrator").add_argument("name")
    add = action("add", admin_add, "add an administrator (delegated unless --server-wide)")
    add.add_argument("name")
    add.add_argument("--password", metavar="P", help="asked for on the terminal when left out")
    add.add_argument("--server-wide", action="store_true", help="may do everything")
    add.add_argument("--rights", metavar="R", default="", help='server permissions, e.g. "queue logs"')
    action("delete", admin_delete, "delete an administrator").add_argument("name")
    action("enable", admin_enable, "let an administrator sign in again").add_argument("name")
    action("disable", admin_disable, "refuse an administrator's sign-ins and open sessions").add_argument(
        "name"
    )
    passwd = action("passwd", admin_passwd, "set an administrator's password")
    passwd.add_argument("name")
    passwd.add_argument("--password", metavar="P", help="asked for on the terminal when left out")
    rights = action("rights", admin_rights, "show or set an administrator's server permissions")
    rights.add_argument("name")
    rights.add_argument("--set", metavar="R", help='"all", "none" or names, e.g. "queue,logs"')
    wide = rights.add_mutually_exclusive_group()
    wide.add_argument("--server-wide", action="store_true", help="make them a server-wide administrator")
    wide.add_argument("--delegated", action="store_true", help="make them a delegated administrator")
    _grant_parser(action("grant", admin_grant, "grant a domain to an administrator"))
    revoke = action("revoke", admin_revoke, "withdraw a domain from an administrator")
    revoke.add_argument("name")
    revoke.add_argument("domain")
    _register_group(actions, common)


def _grant_parser(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("name")
    sub.add_argument("domain")
    sub.add_argument("--rights", metavar="R", default="all", help='domain permissions (default "all")')
    sub.add_argument("--max-accounts", metavar="N", type=int, help="accounts the domain may hold")
    sub.add_argument("--max-quota-mb", metavar="N", type=int, help="largest mailbox size they may give")


def _register_group(actions: Parsers, common: argparse.ArgumentParser) -> None:
    parser = actions.add_parser("group", help="administrator groups")
    group_actions = parser.add_subparsers(dest="group_action", required=True, metavar="ACTION")

    def action(name: str, func: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        sub = group_actions.add_parser(name, parents=[common], help=help_)
        sub.set_defaults(func=func)
        return sub

    action("list", group_list, "list administrator groups")
    add = action("add", group_add, "add an administrator group")
    add.add_argument("name")
    add.add_argument("--rights", metavar="R", default="", help="server permissions its members hold")
    action("delete", group_delete, "delete an administrator group").add_argument("name")
    action("members", group_members, "list a group's members").add_argument("name")
    for name, func, help_ in (
        ("add-member", group_add_member, "put an administrator in a group"),
        ("remove-member", group_remove_member, "take an administrator out of a group"),
    ):
        sub = action(name, func, help_)
        sub.add_argument("name", help="the group")
        sub.add_argument("admin")
    rights = action("rights", group_rights, "show or set a group's server permissions")
    rights.add_argument("name")
    rights.add_argument("--set", metavar="R", help='"all", "none" or names')
    _grant_parser(action("grant", group_grant, "grant a domain to a group"))
    revoke = action("revoke", group_revoke, "withdraw a domain from a group")
    revoke.add_argument("name")
    revoke.add_argument("domain")


# -- output -------------------------------------------------------------------------------------------


def _rights(rights: tuple[str, ...]) -> str:
    return ",".join(rights) if rights else "none"


def _grant_line(grant: GrantInfo) -> str:
    limits = []
    if grant.max_accounts is not None:
        limits.append(f"max {grant.max_accounts} accounts")
    if grant.max_account_quota_mb is not None:
        limits.append(f"max {grant.max_account_quota_mb} MB per mailbox")
    return f"{grant.domain} ({_rights(grant.rights)}{'; ' if limits else ''}{', '.join(limits)})"


def _admin_line(info: AdminInfo) -> str:
    parts = [info.name, "server-wide" if info.server_wide else "delegated"]
    if not info.enabled:
        parts.append("disabled")
    if not info.server_wide:
        parts.append(f"rights: {_rights(info.server_rights)}")
        if info.grants:
            parts.append("domains: " + " ".join(_grant_line(g) for g in info.grants))
    if info.groups:
        parts.append(f"groups: {','.join(info.groups)}")
    return "  ".join(parts)


# -- administrators -----------------------------------------------------------------------------------


def permissions(args: argparse.Namespace) -> int:
    from storage.adminscope import DOMAIN_RIGHTS, SERVER_RIGHTS

    print("server permissions:")
    for name, text in SERVER_RIGHTS.items():
        print(f"  {name:<15} {text}")
    print("domain permissions:")
    for name, text in DOMAIN_RIGHTS.items():
        print(f"  {name:<15} {text}")
    return 0


def admin_list(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        for info in admin.admins.list():
            print(_admin_line(info))
    return 0


def admin_show(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        print(_admin_line(admin.admins.get(args.name)))
    return 0


def admin_add(args: argparse.Namespace) -> int:
    if args.server_wide and args.rights:
        raise CommandError("--rights is for delegated administrators; a server-wide one holds all")
    secret = password(args.password, "--password", f"password for {args.name}")
    with opened_admin(load_config(args)) as (admin, _):
        info = admin.admins.add(args.name, secret, server_wide=args.server_wide, server_rights=args.rights)
    print(f"administrator {info.name} added ({'server-wide' if info.server_wide else 'delegated'})")
    return 0


def admin_delete(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        admin.admins.delete(args.name)
    print(f"administrator {args.name} deleted")
    return 0


def admin_enable(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        admin.admins.set_enabled(args.name, True)
    print(f"administrator {args.name} enabled")
    return 0


def admin_disable(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        admin.admins.set_enabled(args.name, False)
    print(f"administrator {args.name} disabled")
    return 0


def admin_passwd(args: argparse.Namespace) -> int:
    secret = password(args.password, "--password", f"new password for {args.name}")
    with opened_admin(load_config(args)) as (admin, _):
        admin.admins.set_password(args.name, secret)
    print(f"password of administrator {args.name} changed")
    return 0


def admin_rights(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        if args.server_wide or args.delegated:
            admin.admins.set_server_wide(args.name, bool(args.server_wide))
        if args.set is not None:
            admin.admins.set_server_rights(args.name, args.set)
    with opened_admin(load_config(args)) as (admin, _):  # anew: the change may have been to ourselves
        print(_admin_line(admin.admins.get(args.name)))
    return 0


def admin_grant(args: argparse.Namespace) -> int:
    return _grant(args, admin=args.name)


def admin_revoke(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        admin.admins.revoke(args.domain, admin=args.name)
    print(f"{args.domain} withdrawn from administrator {args.name}")
    return 0


def _grant(args: argparse.Namespace, *, admin: str | None = None, group: str | None = None) -> int:
    with opened_admin(load_config(args)) as (view, _):
        grant = view.admins.grant(
            args.domain,
            admin=admin,
            group=group,
            rights=args.rights,
            max_accounts=args.max_accounts,
            max_account_quota_mb=args.max_quota_mb,
        )
    holder = f"administrator {admin}" if admin else f"group {group}"
    print(f"granted to {holder}: {_grant_line(grant)}")
    return 0


# -- groups -------------------------------------------------------------------------------------------


def group_list(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        for group in admin.admin_groups.list():
            parts = [group.name, f"rights: {_rights(group.server_rights)}"]
            parts.append(f"members: {','.join(group.members) or 'none'}")
            if group.grants:
                parts.append("domains: " + " ".join(_grant_line(g) for g in group.grants))
            print("  ".join(parts))
    return 0


def group_add(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        admin.admin_groups.add(args.name, args.rights)
    print(f"administrator group {args.name} added")
    return 0


def group_delete(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        admin.admin_groups.delete(args.name)
    print(f"administrator group {args.name} deleted")
    return 0


def group_members(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        for member in admin.admin_groups.get(args.name).members:
            print(member)
    return 0


def group_add_member(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        admin.admin_groups.add_member(args.name, args.admin)
    print(f"{args.admin} added to administrator group {args.name}")
    return 0


def group_remove_member(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        admin.admin_groups.remove_member(args.name, args.admin)
    print(f"{args.admin} removed from administrator group {args.name}")
    return 0


def group_rights(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        if args.set is not None:
            admin.admin_groups.set_server_rights(args.name, args.set)
        print(f"{args.name}  rights: {_rights(admin.admin_groups.get(args.name).server_rights)}")
    return 0


def group_grant(args: argparse.Namespace) -> int:
    return _grant(args, group=args.name)


def group_revoke(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        admin.admins.revoke(args.domain, group=args.name)
    print(f"{args.domain} withdrawn from administrator group {args.name}")
    return 0
