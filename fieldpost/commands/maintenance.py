"""``fieldpost storage check [--repair]`` (and ``storage repair``)."""

from __future__ import annotations

import argparse

from fieldpost.commands import load_config, opened_store


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser("storage", help="verify (and repair) the store")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser("check", parents=[common], help="verify blobs, references, counters, indexes")
    check.add_argument("--repair", action="store_true", help="fix what can be fixed")
    check.set_defaults(func=storage_check)
    repair = actions.add_parser("repair", parents=[common], help="same as: check --repair")
    repair.set_defaults(func=storage_check, repair=True)
    reindex = actions.add_parser(
        "reindex", parents=[common], help="parse stored messages again: search index and cached envelopes"
    )
    reindex.set_defaults(func=storage_reindex)


def storage_check(args: argparse.Namespace) -> int:
    """Exit 0 when the store is consistent (after repairs, if asked), else 1 with one problem a line."""
    with opened_store(load_config(args)) as store:
        report = store.check(repair=args.repair)
        for item in report.repaired:
            print(f"repaired: {item}")
        # after repairing, a second pass tells what is really left
        remaining = store.check(repair=False).problems if args.repair else report.problems
    for problem in remaining:
        print(f"problem: {problem}")
    if remaining:
        print(f"{len(remaining)} problem(s) remain")
        return 1
    print("store is consistent")
    return 0


def storage_reindex(args: argparse.Namespace) -> int:
    """Rebuild the search index and the cached parse (envelope, structure) from the stored messages
    (after an upgrade whose parser changed, or to reclaim index space)."""
    with opened_store(load_config(args)) as store:
        count = store.mail.reindex()
    print(f"search index and cached envelopes rebuilt: {count} message bodies parsed")
    return 0
