"""Console commands on administrators and administrator groups: list, add, remove, enter; inside, their
permissions, domain grants (with limits) and, for a group, its members.

The rules are storage's (storage/administrators.py, storage/admin_groups.py): the server permission
``admins`` is needed, and a delegated administrator manages only those within what they hold themselves
and grants only what they hold (no escalation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sidecars.cli import groups
from sidecars.cli import parser as P
from sidecars.cli.state import ADMIN, ADMIN_GROUP, GROUP, CommandFailed, Context

if TYPE_CHECKING:
    from sidecars.cli.session import CliSession
    from storage.administrators import GrantInfo

_YES, _NO = {"yes", "true", "on", "1"}, {"no", "false", "off", "0"}


def switch(value: str) -> bool:
    word = value.strip().lower()
    if word in _YES | _NO:
        return word in _YES
    raise CommandFailed(f"expected yes or no, not {value[:40]!r}")


def _rights(rights: tuple[str, ...]) -> str:
    return ", ".join(rights) or "-"


def _grant_rows(grants: tuple[GrantInfo, ...]) -> list[tuple[str, ...]]:
    return [
        (
            g.domain,
            _rights(g.rights),
            "no limit" if g.max_accounts is None else str(g.max_accounts),
            "no limit" if g.max_account_quota_mb is None else str(g.max_account_quota_mb),
        )
        for g in grants
    ]


GRANT_HEADERS = ("domain", "permissions", "max_accounts", "max_quota_mb")


# -- administrators -------------------------------------------------------------------------------------


def list_admins(s: CliSession, args: list[str]) -> bytes:
    P.parameters(args)
    admins = s.view.admins.list()
    rows = [
        (
            a.name,
            "enabled" if a.enabled else "disabled",
            "yes" if a.server_wide else "no",
            "all" if a.server_wide else _rights(a.server_rights),
            ", ".join(a.groups) or "-",
            ", ".join(g.domain for g in a.grants) or "-",
        )
        for a in admins
    ]
    headers = ("name", "status", "server_wide", "server_permissions", "groups", "domains")
    return P.table(headers, rows) + P.ok(f"{len(rows)} administrator(s)")


def add_admin(s: CliSession, args: list[str]) -> bytes:
    """ADD ADMIN name N password P [serverWide yes|no] [rights "queue, services"]."""
    params = P.parameters(args, ["name", "password"], ["serverWide", "rights"])
    info = s.view.admins.add(
        params["name"],
        params["password"],
        server_wide=switch(params.get("serverwide", "no")),
        server_rights=params.get("rights", ""),
    )
    kind = "server-wide" if info.server_wide else "delegated"
    return P.ok(f"{kind} administrator {info.name} added")


def remove_admin(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["name"])
    if params["name"] == s.admin:
        raise CommandFailed("you cannot remove yourself while logged in")
    s.view.admins.delete(params["name"])
    return P.ok(f"administrator {params['name']} removed")


def update_admin(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["name"])
    info = s.view.admins.get(params["name"])
    s.enter(Context(ADMIN, info.name))
    return P.ok(f"in administrator {info.name}")


def show_admin(s: CliSession, context: Context) -> bytes:
    assert context.name is not None
    if context.kind == ADMIN:
        a = s.view.admins.get(context.name)
        details = [
            ("administrator", a.name),
            ("status", "enabled" if a.enabled else "disabled"),
            ("server_wide", "yes" if a.server_wide else "no"),
            ("server_permissions", "all" if a.server_wide else _rights(a.server_rights)),
            ("groups", ", ".join(a.groups) or "-"),
        ]
        grants = a.grants
    else:
        g = s.view.admin_groups.get(context.name)
        details = [
            ("administrator_group", g.name),
            ("server_permissions", _rights(g.server_rights)),
            ("members", ", ".join(g.members) or "-"),
        ]
        grants = g.grants
    return (
        P.table(("property", "value"), details)
        + P.table(GRANT_HEADERS, _grant_rows(grants))
        + P.ok(f"{len(grants)} domain(s) granted")
    )


def set_admin_property(s: CliSession, context: Context, name: str, value: str) -> str:
    """SET password / enabled / serverWide / rights of an administrator (rights alone for a group)."""
    assert context.name is not None
    key = name.lower()
    if context.kind == ADMIN_GROUP:
        if key != "rights":
            raise CommandFailed(f"an administrator group has no property {name!r} (only: rights)")
        given = s.view.admin_groups.set_server_rights(context.name, value)
        return f"server permissions: {_rights(given)}"
    if key == "password":
        if not value:
            raise CommandFailed("the password must not be empty")
        s.view.admins.set_password(context.name, value)
        return "password changed"
    if key == "enabled":
        on = switch(value)
        s.view.admins.set_enabled(context.name, on)
        return f"administrator {'enabled' if on else 'disabled'}"
    if key == "serverwide":
        on = switch(value)
        s.view.admins.set_server_wide(context.name, on)
        return "server-wide" if on else "delegated"
    if key == "rights":
        given = s.view.admins.set_server_rights(context.name, value)
        return f"server permissions: {_rights(given)}"
    raise CommandFailed(
        f"an administrator has no property {name!r} (properties: password, enabled, serverWide, rights)"
    )


def _limit(params: dict[str, str], key: str) -> int | None:
    if key not in params or params[key].lower() in ("none", "-", ""):
        return None
    if not params[key].isdigit() or len(params[key]) > 12:
        raise P.ParseError(f"{key} is a number (or none), not {params[key][:40]!r}")
    return int(params[key])


def _holder(s: CliSession) -> dict[str, str]:
    context = s.here
    assert context.name is not None
    return {"admin": context.name} if context.kind == ADMIN else {"group": context.name}


def grant_domain(s: CliSession, args: list[str]) -> bytes:
    """GRANT DOMAIN name D [rights R] [maxAccounts N] [maxQuotaMb N]."""
    params = P.parameters(args, ["name"], ["rights", "maxAccounts", "maxQuotaMb"])
    grant = s.view.admins.grant(
        params["name"],
        rights=params.get("rights", "all"),
        max_accounts=_limit(params, "maxaccounts"),
        max_account_quota_mb=_limit(params, "maxquotamb"),
        **_holder(s),
    )
    return P.table(GRANT_HEADERS, _grant_rows((grant,))) + P.ok(f"{grant.domain} granted to {s.here.name}")


def revoke_domain(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["name"])
    s.view.admins.revoke(params["name"], **_holder(s))
    return P.ok(f"{params['name']} withdrawn from {s.here.name}")


# -- administrator groups -------------------------------------------------------------------------------


def list_admin_groups(s: CliSession, args: list[str]) -> bytes:
    P.parameters(args)
    found = s.view.admin_groups.list()
    rows = [
        (
            g.name,
            _rights(g.server_rights),
            ", ".join(g.members) or "-",
            ", ".join(x.domain for x in g.grants) or "-",
        )
        for g in found
    ]
    return P.table(("name", "server_permissions", "members", "domains"), rows) + P.ok(
        f"{len(rows)} administrator group(s)"
    )


def add_admin_group(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["name"], ["rights"])
    info = s.view.admin_groups.add(params["name"], params.get("rights", ""))
    return P.ok(f"administrator group {info.name} added")


def remove_admin_group(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["name"])
    s.view.admin_groups.delete(params["name"])
    return P.ok(f"administrator group {params['name']} removed")


def update_admin_group(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["name"])
    info = s.view.admin_groups.get(params["name"])
    s.enter(Context(ADMIN_GROUP, info.name))
    return P.ok(f"in administrator group {info.name}")


# -- members: of a mail group, or of an administrator group ---------------------------------------------


def list_members(s: CliSession, args: list[str]) -> bytes:
    if s.here.kind == GROUP:
        return groups.list_members(s, args)
    P.parameters(args)
    assert s.here.name is not None
    members = s.view.admin_groups.get(s.here.name).members
    return P.table(("member",), [(m,) for m in members]) + P.ok(f"{len(members)} member(s)")


def add_member(s: CliSession, args: list[str]) -> bytes:
    if s.here.kind == GROUP:
        return groups.add_member(s, args)
    params = P.parameters(args, ["name"])
    assert s.here.name is not None
    s.view.admin_groups.add_member(s.here.name, params["name"])
    return P.ok(f"{params['name']} added to {s.here.name}")


def remove_member(s: CliSession, args: list[str]) -> bytes:
    if s.here.kind == GROUP:
        return groups.remove_member(s, args)
    params = P.parameters(args, ["name"])
    assert s.here.name is not None
    s.view.admin_groups.remove_member(s.here.name, params["name"])
    return P.ok(f"{params['name']} removed from {s.here.name}")
