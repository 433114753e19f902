"""``fieldpost queue list|show|retry|delete|bounce``: look at and act on the mail queue.

The work is ``mailflow.queue_ops``' (WebAdmin will share it); this module parses the arguments and
prints. The commands act as the server administrator (``opened_admin``: the queue of
``store.for_admin``, checked in storage) on the store directly (the processing service need not run);
``bounce`` writes the same report a failed delivery produces.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from fieldpost.commands import CommandError, load_config, opened_admin


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser("queue", help="list, show, retry, delete or bounce queued messages")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", parents=[common], help="list queued messages")
    listing.add_argument("--sender", metavar="S", help="sender contains S")
    listing.add_argument("--recipient", metavar="R", help="a recipient contains R")
    listing.add_argument("--state", metavar="ST", action="append", help="in this state (repeatable)")
    listing.add_argument("--min-size", metavar="N", type=_size, help="at least N bytes (K, M suffixes)")
    listing.add_argument("--failure", metavar="TEXT", help="last error contains TEXT")
    listing.set_defaults(func=queue_list)
    show = actions.add_parser("show", parents=[common], help="envelope, recipients and header of one message")
    show.add_argument("id", type=int, metavar="ID")
    show.set_defaults(func=queue_show)
    retry = actions.add_parser("retry", parents=[common], help="make messages due now")
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("id", type=int, nargs="?", metavar="ID")
    which.add_argument("--all", action="store_true", help="every queued message")
    retry.set_defaults(func=queue_retry)
    delete = actions.add_parser("delete", parents=[common], help="remove a message without telling anyone")
    delete.add_argument("id", type=int, metavar="ID")
    delete.set_defaults(func=queue_delete)
    bounce = actions.add_parser("bounce", parents=[common], help="return a message to its sender now")
    bounce.add_argument("id", type=int, metavar="ID")
    bounce.set_defaults(func=queue_bounce)


def _size(text: str) -> int:
    from storage import settings as registry

    try:
        return int(registry.validate("mail.max_message_bytes", text)) if not text.isdigit() else int(text)
    except Exception:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size (examples: 2048, 500K, 10M)") from None


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def queue_list(args: argparse.Namespace) -> int:
    from mailflow import queue_ops  # storage loads only for the commands that use it

    with opened_admin(load_config(args)) as (admin, _):
        messages = queue_ops.list_messages(
            admin,
            sender=args.sender,
            recipient=args.recipient,
            states=args.state,
            min_size=args.min_size,
            failure=args.failure,
        )
    for m in messages:
        rcpts = ", ".join(r.address for r in m.recipients)
        error = f"  error: {m.last_error[:120]}" if m.last_error else ""
        print(
            f"{m.id}  {m.state}  {m.size}B  received {_when(m.received_at)}  next {_when(m.next_attempt_at)}"
            f"  from <{m.sender}>  to {rcpts}{error}"
        )
    print(f"{len(messages)} message(s)")
    return 0


def queue_show(args: argparse.Namespace) -> int:
    from mailflow import queue_ops

    with opened_admin(load_config(args)) as (admin, _):
        shown = queue_ops.show(admin, args.id)
    m = shown.message
    print(f"id: {m.id}")
    print(f"state: {m.state}")
    print(f"sender: <{m.sender}>")
    print(f"size: {m.size}")
    print(f"received: {_when(m.received_at)}")
    print(f"next attempt: {_when(m.next_attempt_at)}")
    print(f"attempts: {m.attempts}")
    if m.last_error:
        print(f"last error: {m.last_error}")
    if m.origin:
        print("origin: " + ", ".join(f"{k}={v}" for k, v in sorted(m.origin.items()) if "pass" not in k))
    print("recipients:")
    for r in m.recipients:
        error = f"  ({r.last_error})" if r.last_error else ""
        print(f"  {r.address}  {r.state}  attempts {r.attempts}{error}")
    print("header:")
    for line in shown.header.splitlines():
        print(f"  {line}")
    return 0


def queue_retry(args: argparse.Namespace) -> int:
    from mailflow import queue_ops

    with opened_admin(load_config(args)) as (admin, _):
        try:
            count = queue_ops.retry(admin, None if args.all else args.id)
        except queue_ops.Busy as exc:
            raise CommandError(str(exc)) from None
    print(f"{count} message(s) due for delivery now")
    return 0


def queue_delete(args: argparse.Namespace) -> int:
    from mailflow import queue_ops

    with opened_admin(load_config(args)) as (admin, _):
        queue_ops.delete(admin, args.id)
    print(f"queued message {args.id} deleted")
    return 0


def queue_bounce(args: argparse.Namespace) -> int:
    from mailflow import queue_ops

    config = load_config(args)
    with opened_admin(config) as (admin, store):
        hostname = admin.setting("server.hostname") or config.hostname
        count = queue_ops.bounce(store, args.id, hostname=hostname, queue=admin.queue)
    print(f"queued message {args.id} returned to its sender ({count} recipient(s) reported)")
    return 0
