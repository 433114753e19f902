"""Console commands on two-step sign-in: whether an account uses it, and turning it off for a user (or an
administrator) who lost both their phone and their recovery codes -- ``fieldpost two-step`` on the console.

Through ``view.second_factors`` (storage/admin_second_factors.py): seeing an account's state needs only
the domain in scope, resetting it the domain permission ``accounts`` (the one that sets its password),
resetting an administrator's is the server-wide administrator's business only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sidecars.cli import accounts
from sidecars.cli import parser as P
from sidecars.cli.state import ACCOUNT, WrongUse

if TYPE_CHECKING:
    from sidecars.cli.session import CliSession


def _address(s: CliSession, args: list[str]) -> str:
    """The account named by ``name U`` (in a domain) or the current account (inside one)."""
    if s.here.kind == ACCOUNT:
        P.parameters(args)
        if s.here.pending is not None or s.here.name is None:
            raise WrongUse("COMMIT the new account first")
        return s.here.name
    return accounts.in_domain(s, P.parameters(args, ["name"])["name"])


def status(s: CliSession, args: list[str]) -> bytes:
    """TWOSTEP STATUS [name U]: on (since when, recovery codes left), being set up, or off."""
    address = _address(s, args)
    state = s.view.second_factors.account_state(address)
    if state.on:
        since = f"{state.confirmed_at:%Y-%m-%d %H:%M} UTC" if state.confirmed_at else "-"
        rows = [("two_step", "on"), ("since", since), ("recovery_codes_left", str(state.recovery_left))]
    elif state.pending:
        rows = [("two_step", "being set up (waiting for the first code)")]
    else:
        rows = [("two_step", "off")]
    return P.table(("property", "value"), [("account", address), *rows]) + P.ok(
        f"two-step sign-in of {address} shown"
    )


def reset(s: CliSession, args: list[str]) -> bytes:
    """TWOSTEP RESET [name U]: turn the account's two-step sign-in off (its app passwords go too)."""
    address = _address(s, args)
    if s.view.second_factors.reset_account(address):
        return P.ok(f"two-step sign-in of {address} turned off; its app passwords removed")
    return P.ok(f"two-step sign-in of {address} was not on")


def reset_admin(s: CliSession, args: list[str]) -> bytes:
    """TWOSTEP RESET ADMIN name N: turn an administrator's two-step sign-in off (server-wide only)."""
    name = P.parameters(args, ["name"])["name"]
    if s.view.second_factors.reset_admin(name):
        return P.ok(f"two-step sign-in of administrator {name} turned off")
    return P.ok(f"two-step sign-in of administrator {name} was not on")
