"""``fieldpost rpop ...``: an account's remote mailboxes (Remote POP), through the admin facade."""

from __future__ import annotations

import argparse

from fieldpost.commands import CommandError, load_config, opened_admin, password


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser("rpop", help="remote POP3/IMAP mailboxes fetched into accounts")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser(
        "list", parents=[common], help="an account's remote mailboxes and their state"
    )
    listing.add_argument("account")
    listing.set_defaults(func=rpop_list)
    add = actions.add_parser("add", parents=[common], help="fetch a remote mailbox into an account")
    add.add_argument("account")
    add.add_argument("--protocol", choices=("pop3", "imap"), default=None)
    add.add_argument("--template", help="gmail, yahoo, outlook or gmail-pop: server, port and security")
    add.add_argument("--host")
    add.add_argument("--port", type=int)
    add.add_argument("--security", choices=("implicit", "starttls", "none"), default=None)
    add.add_argument("--user", required=True, help="the user name on the remote server")
    add.add_argument("--password", help="the remote password (asked for when left out)")
    add.add_argument("--folder", default="INBOX", help="the local folder fetched mail goes to")
    add.add_argument("--every", type=int, default=10, metavar="MINUTES", help="minutes between fetches")
    add.add_argument("--delete", action="store_true", help="delete fetched mail from the remote server")
    add.set_defaults(func=rpop_add)
    delete = actions.add_parser("delete", parents=[common], help="stop fetching a remote mailbox")
    delete.add_argument("account")
    delete.add_argument("id", type=int)
    delete.set_defaults(func=rpop_delete)
    now = actions.add_parser("fetch", parents=[common], help="fetch a remote mailbox now (rpop service)")
    now.add_argument("account")
    now.add_argument("id", type=int)
    now.set_defaults(func=rpop_fetch)


def rpop_list(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        remotes = admin.remote_accounts.list(args.account)
    if not remotes:
        print(f"{args.account} fetches no remote mailbox")
    for r in remotes:
        state = "on" if r.enabled else "off"
        last = r.last_run_at.isoformat(timespec="seconds") if r.last_run_at else "never"
        keep = "keep" if r.keep_on_server else "delete"
        print(
            f"{r.id}  {r.protocol}://{r.username}@{r.host}:{r.port} ({r.tls_mode})  -> {r.folder}  "
            f"every {r.interval_seconds // 60} min, {keep}, {state}; last run {last}"
            + (f"; error: {r.last_error}" if r.last_error else "")
        )
    return 0


def rpop_add(args: argparse.Namespace) -> int:
    from storage.remote_accounts import TEMPLATES, RemoteSpec

    protocol, host, port, security = args.protocol, args.host, args.port, args.security
    if args.template:
        template = TEMPLATES.get(args.template)
        if template is None:
            raise CommandError(f"unknown template {args.template!r}; known: {', '.join(TEMPLATES)}")
        protocol = protocol or template.protocol
        host = host or template.host
        port = port or template.port
        security = security or template.tls_mode
    if not host:
        raise CommandError("--host (or --template) is required")
    secret = password(args.password, "--password", "Remote password")
    spec = RemoteSpec(
        protocol=protocol or "imap",
        host=host,
        username=args.user,
        password=secret,
        port=port,
        tls_mode=security or "implicit",
        folder=args.folder,
        interval_seconds=args.every * 60,
        keep_on_server=not args.delete,
    )
    with opened_admin(load_config(args)) as (admin, _):
        added = admin.remote_accounts.add(args.account, spec)
    print(f"remote mailbox {added.id} added: {added.label}, fetched within a minute by the rpop service")
    return 0


def rpop_delete(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        admin.remote_accounts.delete(args.account, args.id)
    print(f"remote mailbox {args.id} of {args.account} deleted")
    return 0


def rpop_fetch(args: argparse.Namespace) -> int:
    with opened_admin(load_config(args)) as (admin, _):
        admin.remote_accounts.fetch_now(args.account, args.id)
    print(f"remote mailbox {args.id} of {args.account} is due now")
    return 0
