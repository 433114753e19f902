"""Console commands on a domain's groups (and their members), forwarders and account classes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sidecars.cli import parser as P
from sidecars.cli.accounts import in_domain
from sidecars.cli.state import CLASS, GROUP, CommandFailed, Context, WrongUse
from storage.models import Group

if TYPE_CHECKING:
    from sidecars.cli.session import CliSession

MAX_TARGETS = 100


def _domain(s: CliSession) -> str:
    if s.here.domain is None or s.here.pending is not None:
        raise WrongUse("COMMIT the new domain first")
    return s.here.domain


# -- groups ---------------------------------------------------------------------------------------------


def list_groups(s: CliSession, args: list[str]) -> bytes:
    P.parameters(args)
    groups = s.view.list_groups(_domain(s))
    rows = [(g.address, str(len(g.members))) for g in groups]
    return P.table(("address", "members"), rows) + P.ok(f"{len(rows)} group(s)")


def add_group(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["name"], ["displayName"])
    address = in_domain(s, params["name"])
    s.view.add_group(address, params.get("displayname") or None)
    return P.ok(f"group {address} created")


def remove_group(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["name"])
    address = in_domain(s, params["name"])
    s.view.delete_group(address)
    return P.ok(f"group {address} removed")


def _group(s: CliSession, address: str) -> Group:
    domain = address.rpartition("@")[2]
    for group in s.view.list_groups(domain):
        if group.address == address:
            return group
    raise CommandFailed(f"group {address} does not exist")


def update_group(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["name"])
    group = _group(s, in_domain(s, params["name"]))
    s.enter(Context(GROUP, group.address, s.here.domain))
    return P.ok(f"in group {group.address}")


def list_members(s: CliSession, args: list[str]) -> bytes:
    P.parameters(args)
    assert s.here.name is not None
    group = _group(s, s.here.name)
    return P.table(("member",), [(m,) for m in group.members]) + P.ok(f"{len(group.members)} member(s)")


def _member(s: CliSession, name: str) -> str:
    return name.strip().lower() if "@" in name else in_domain(s, name)


def add_member(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["name"])
    assert s.here.name is not None
    member = _member(s, params["name"])
    s.view.add_group_member(s.here.name, member)
    return P.ok(f"{member} added to {s.here.name}")


def remove_member(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["name"])
    assert s.here.name is not None
    member = _member(s, params["name"])
    s.view.remove_group_member(s.here.name, member)
    return P.ok(f"{member} removed from {s.here.name}")


# -- forwarders -----------------------------------------------------------------------------------------


def list_forwarders(s: CliSession, args: list[str]) -> bytes:
    P.parameters(args)
    forwarders = s.view.list_forwarders(_domain(s))
    rows = [(f.address, ", ".join(f.targets)) for f in forwarders]
    return P.table(("address", "forwards_to"), rows) + P.ok(f"{len(rows)} forwarder(s)")


def add_forwarder(s: CliSession, args: list[str]) -> bytes:
    """ADD FORWARDER name F to "a@x, b@y"."""
    params = P.parameters(args, ["name", "to"])
    address = in_domain(s, params["name"])
    targets = [t.strip() for t in params["to"].split(",") if t.strip()]
    if not targets:
        raise CommandFailed("a forwarder needs at least one address to forward to")
    if len(targets) > MAX_TARGETS:
        raise CommandFailed(f"at most {MAX_TARGETS} addresses per forwarder")
    forwarder = s.view.add_forwarder(address, targets)
    return P.ok(f"forwarder {forwarder.address} created ({len(forwarder.targets)} target(s))")


def remove_forwarder(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["name"])
    address = in_domain(s, params["name"])
    s.view.delete_forwarder(address)
    return P.ok(f"forwarder {address} removed")


# -- account classes ------------------------------------------------------------------------------------


def add_class(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["name"])
    domain = _domain(s)
    s.view.add_account_class(domain, params["name"])
    return P.ok(f"account class {params['name']} created in {domain}")


def update_class(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["name"])
    domain = _domain(s)
    s.view.explicit_settings(domain=domain, account_class=params["name"])  # NotFound when there is none
    s.enter(Context(CLASS, params["name"], domain))
    return P.ok(f"in account class {params['name']} of {domain}")
