"""Console commands on accounts: list, add (pending until COMMIT), enter, remove, and an account's aliases.

Names are given as a local part (``bob``) in the domain context, or as a whole address of that domain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sidecars.cli import domains
from sidecars.cli import parser as P
from sidecars.cli.state import ACCOUNT, DOMAIN, CommandFailed, Context, WrongUse
from storage.errors import NotFound

PAGE = 500  # accounts per LIST ACCOUNTS page by default (storage's largest page)
TOP_LIMIT = 1000  # accounts LIST ACCOUNTS shows at the top context

if TYPE_CHECKING:
    from sidecars.cli.session import CliSession
    from storage.models import Account


def in_domain(s: CliSession, name: str) -> str:
    """``name`` as an address of the current domain (``bob`` -> ``bob@example.test``)."""
    domain = s.here.domain
    if domain is None or s.here.pending is not None:
        raise WrongUse("COMMIT the new domain first")
    name = name.strip()
    if "@" not in name:
        if not name:
            raise CommandFailed("an empty name")
        return f"{name}@{domain}".lower()
    if name.rpartition("@")[2].lower() != domain:
        raise CommandFailed(f"{name} is not an address of domain {domain}")
    return name.lower()


def _rows(accounts: list[Account]) -> list[tuple[str, ...]]:
    return [
        (
            a.address,
            "enabled" if a.enabled else "disabled",
            a.account_class or "-",
            str(a.used_bytes),
            str(a.quota_bytes) if a.quota_bytes else "unlimited",
            str(a.message_count),
        )
        for a in accounts
    ]


def list_accounts(s: CliSession, args: list[str]) -> bytes:
    """LIST ACCOUNTS [filter TEXT] [offset N] [limit N] in a domain (a page, never the whole domain at
    once); at the top, the accounts of every domain the administrator reaches (the first ``TOP_LIMIT``)."""
    domain = s.here.domain
    if domain is None:
        P.parameters(args)
        accounts = s.view.list_accounts(None)
        headers = ("address", "status", "class", "used_bytes", "quota_bytes", "messages")
        shown = accounts[:TOP_LIMIT]
        more = (
            f" (the first {TOP_LIMIT}; list one domain's with UPDATE DOMAIN)"
            if len(accounts) > TOP_LIMIT
            else ""
        )
        return P.table(headers, _rows(shown)) + P.ok(f"{len(accounts)} account(s){more}")
    if s.here.pending is not None:
        raise WrongUse("COMMIT the new domain first")
    params = P.parameters(args, optional=["filter", "offset", "limit"])
    offset, limit = _number(params, "offset", 0), _number(params, "limit", PAGE)
    page = s.view.directory.accounts_page(domain, search=params.get("filter", ""), offset=offset, limit=limit)
    rows = [
        (
            r.address,
            "enabled" if r.enabled else "disabled",
            r.account_class or "-",
            str(r.used_bytes),
            str(r.message_count),
            r.display_name or "",
        )
        for r in page.rows
    ]
    headers = ("address", "status", "class", "used_bytes", "messages", "display_name")
    first = page.offset + 1 if rows else page.offset
    where = f" ({first}-{page.offset + len(rows)} of {page.total})" if len(rows) < page.total else ""
    return P.table(headers, rows) + P.ok(f"{page.total} account(s){where}")


def _number(params: dict[str, str], key: str, default: int) -> int:
    if key not in params:
        return default
    if not params[key].isdigit() or len(params[key]) > 9:
        raise P.ParseError(f"{key} is a number, not {params[key][:40]!r}")
    return int(params[key])


def add_account(s: CliSession, args: list[str]) -> bytes:
    """ADD ACCOUNT name U password P [displayName N]: a pending account context."""
    params = P.parameters(args, ["name", "password"], ["displayName"])
    address = in_domain(s, params["name"])
    if not params["password"]:
        raise CommandFailed("the password must not be empty")
    try:
        s.view.account(address)
    except NotFound:
        pass
    else:
        raise CommandFailed(f"account {address} already exists")
    pending = {"password": params["password"], "displayname": params.get("displayname", "")}
    s.enter(Context(ACCOUNT, address, s.here.domain, pending=pending))
    return P.ok(f"account {address} will be created by COMMIT; BACK abandons it")


def commit_account(s: CliSession, context: Context) -> str:
    assert context.name is not None and context.pending is not None
    s.view.add_account(
        context.name, context.pending["password"], display_name=context.pending.get("displayname") or None
    )
    if context.pending.get("class"):
        s.view.set_account_class(context.name, context.pending["class"])
    for name, value in context.pending_settings.items():
        s.view.set_setting(name, value, account=context.name)
    return f"account {context.name} created"


def update_account(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["name"])
    account = s.view.account(in_domain(s, params["name"]))
    s.enter(Context(ACCOUNT, account.address, s.here.domain))
    return P.ok(f"in account {account.address}")


def remove_account(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["name"])
    address = in_domain(s, params["name"])
    s.view.delete_account(address)
    return P.ok(f"account {address} and its mail removed")


def _account(s: CliSession) -> str:
    here = s.here
    if here.pending is not None or here.name is None:
        raise WrongUse("COMMIT the new account first")
    return here.name


def list_account_aliases(s: CliSession, args: list[str]) -> bytes:
    P.parameters(args)
    account = s.view.account(_account(s))
    return P.table(("alias",), [(a,) for a in account.aliases]) + P.ok(f"{len(account.aliases)} alias(es)")


def add_account_alias(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["name"])
    address = _account(s)
    alias = in_domain(s, params["name"])
    s.view.add_account_alias(address, alias)
    return P.ok(f"{alias} now reaches {address}")


def remove_account_alias(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["name"])
    address = _account(s)
    alias = in_domain(s, params["name"])
    s.view.remove_account_alias(address, alias)
    return P.ok(f"alias {alias} of {address} removed")


def list_aliases(s: CliSession, args: list[str]) -> bytes:
    if s.here.kind == DOMAIN:
        return domains.list_domain_aliases(s, args)
    return list_account_aliases(s, args)


def add_alias(s: CliSession, args: list[str]) -> bytes:
    if s.here.kind == DOMAIN:
        return domains.add_domain_alias(s, args)
    return add_account_alias(s, args)


def remove_alias(s: CliSession, args: list[str]) -> bytes:
    if s.here.kind == DOMAIN:
        return domains.remove_domain_alias(s, args)
    return remove_account_alias(s, args)
