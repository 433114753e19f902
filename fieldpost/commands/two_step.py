"""``fieldpost two-step ...``: see and reset two-step sign-in (docs/security.md, "Two-step sign-in and app
passwords") from the server's console -- for a user who lost their phone and recovery codes, and for the
administrator locked out of WebAdmin and the CLI service for the same reason.

Acts as the server administrator through the admin facade (``view.second_factors``,
storage/admin_second_factors.py), the same calls WebAdmin's "Two-step sign-in" page makes.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from fieldpost.commands import load_config, opened_admin

if TYPE_CHECKING:
    Parsers = argparse._SubParsersAction[argparse.ArgumentParser]


def register(subparsers: Parsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("two-step", help="two-step sign-in: show an account's, reset a lost one")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, func: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, parents=[common], help=help_)
        sub.set_defaults(func=func)
        return sub

    action("status", status, "whether an account uses two-step sign-in").add_argument("address")
    action("reset", reset, "turn an account's two-step sign-in off (its app passwords go too)").add_argument(
        "address"
    )
    action("reset-admin", reset_admin, "turn an administrator's two-step sign-in off").add_argument("name")


def status(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        state = admin.second_factors.account_state(args.address)
    if state.on:
        print(
            f"{args.address}: on since {state.confirmed_at:%Y-%m-%d %H:%M} UTC, {state.recovery_left} recovery codes left"
        )
    elif state.pending:
        print(f"{args.address}: being set up (waiting for the first code)")
    else:
        print(f"{args.address}: off")
    return 0


def reset(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        done = admin.second_factors.reset_account(args.address)
    print(f"{args.address}: two-step sign-in {'reset' if done else 'was not on'}")
    return 0


def reset_admin(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        done = admin.second_factors.reset_admin(args.name)
    print(f"administrator {args.name}: two-step sign-in {'reset' if done else 'was not on'}")
    return 0
