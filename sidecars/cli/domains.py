"""Console commands on domains: list, create (pending until COMMIT), enter, rename, remove, aliases.

Every call goes through the administrator's view (``session.view``), which decides in storage what they
may reach; a delegated administrator asking for another tenant's domain gets the same "does not exist"
as for a domain that does not exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from filters import dkim_sign
from sidecars.cli import parser as P
from sidecars.cli.state import DOMAIN, CommandFailed, Context, WrongUse
from storage.errors import InvalidInput, NotFound
from storage.names import domain_name

if TYPE_CHECKING:
    from sidecars.cli.session import CliSession


def _name(value: str) -> str:
    try:
        return domain_name(value)
    except InvalidInput as exc:
        raise CommandFailed(str(exc)) from None


def list_domains(s: CliSession, args: list[str]) -> bytes:
    P.parameters(args)
    domains = s.view.list_domains()
    rows = [
        (d.name, "enabled" if d.enabled else "disabled", str(d.account_count), ", ".join(d.aliases))
        for d in domains
    ]
    return P.table(("name", "status", "accounts", "aliases"), rows) + P.ok(f"{len(rows)} domain(s)")


def create_domain(s: CliSession, args: list[str]) -> bytes:
    """CREATE DOMAIN name D [domainLocation PATH] [postmasterPassword P]: a pending domain context."""
    params = P.parameters(args, ["name"], ["domainLocation", "postmasterPassword"])
    name = _name(params["name"])
    s.view.scope().require("domains")
    try:
        s.view.domain(name)
    except NotFound:
        pass
    else:
        raise CommandFailed(f"domain {name} already exists")
    pending = {"postmasterpassword": params.get("postmasterpassword", "")}
    s.enter(Context(DOMAIN, name, name, pending=pending))
    note = " (domainLocation is accepted and ignored: every domain lives in the one store)"
    return P.ok(
        f"domain {name} will be created by COMMIT; BACK abandons it"
        + (note if "domainlocation" in params else "")
    )


def commit_domain(s: CliSession, context: Context) -> str:
    assert context.name is not None and context.pending is not None
    s.view.add_domain(context.name, context.pending.get("postmasterpassword") or None)
    for name, value in context.pending_settings.items():
        s.view.set_setting(name, value, domain=context.name)
    return f"domain {context.name} created"


def update_domain(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["name"])
    domain = s.view.domain(_name(params["name"]))
    s.enter(Context(DOMAIN, domain.name, domain.name))
    return P.ok(f"in domain {domain.name}")


def remove_domain(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["name"])
    name = _name(params["name"])
    if any(c.domain == name for c in s.stack):
        raise WrongUse(f"leave domain {name} (BACK) before removing it")
    s.view.delete_domain(name)
    return P.ok(f"domain {name} and everything in it removed")


def rename_domain(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["name", "newName"])
    old, new = _name(params["name"]), _name(params["newname"])
    if any(c.domain == old for c in s.stack):
        raise WrongUse(f"leave domain {old} (BACK) before renaming it")
    s.view.rename_domain(old, new)
    return P.ok(f"domain {old} renamed to {new}")


def _existing(s: CliSession) -> str:
    here = s.here
    if here.pending is not None or here.domain is None:
        raise WrongUse("COMMIT the new domain first")
    return here.domain


def list_domain_aliases(s: CliSession, args: list[str]) -> bytes:
    P.parameters(args)
    domain = s.view.domain(_existing(s))
    return P.table(("alias",), [(a,) for a in domain.aliases]) + P.ok(f"{len(domain.aliases)} alias(es)")


def add_domain_alias(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["name"])
    domain, alias = _existing(s), _name(params["name"])
    s.view.add_domain_alias(domain, alias)
    return P.ok(f"{alias} is now an alias of {domain}")


def remove_domain_alias(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["name"])
    domain, alias = _existing(s), _name(params["name"])
    s.view.remove_domain_alias(domain, alias)
    return P.ok(f"alias {alias} of {domain} removed")


# -- DKIM signing key (filters.dkim_sign, as ``fieldpost domain dkim``) --------------------------------------


def _dkim_lines(key: dkim_sign.DomainKey) -> bytes:
    return P.lines(
        [
            f"selector: {key.selector}",
            f"publish at: {key.name}",
            f"zone line: {dkim_sign.zone_line(key)}",
            f"record: {key.record}",
        ]
    )


def dkim_generate(s: CliSession, args: list[str]) -> bytes:
    """DKIM GENERATE [selector S] [replace yes]: a new 2048-bit key; the selector becomes the domain's
    ``dkim.selector`` (storing it is also the permission check: the domain's ``settings``)."""
    params = P.parameters(args, optional=["selector", "replace"])
    domain = _existing(s)
    selector = dkim_sign.check_selector(
        params.get("selector") or s.view.setting("dkim.selector", domain=domain)
    )
    replace = params.get("replace", "no").lower() in ("yes", "true", "on", "1")
    s.view.set_setting("dkim.selector", selector, domain=domain)
    try:
        key = dkim_sign.generate(s.store, domain, selector, replace=replace)
    except InvalidInput as exc:
        raise CommandFailed(str(exc).replace("use --force", "add 'replace yes'")) from None
    return _dkim_lines(key) + P.ok(f"new {dkim_sign.KEY_BITS}-bit DKIM key for {domain}: publish the record")


def dkim_show(s: CliSession, args: list[str]) -> bytes:
    P.parameters(args)
    domain = _existing(s)
    selector = dkim_sign.check_selector(s.view.setting("dkim.selector", domain=domain))
    key = dkim_sign.load(s.store, domain, selector)
    return _dkim_lines(key) + P.ok(f"DKIM key of {domain}")
