"""``fieldpost import mbox|maildir PATH --to ADDRESS[/FOLDER]`` and ``export mbox``."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from fieldpost import mailfiles
from fieldpost.commands import CommandError, load_config, opened_store, split_target
from fieldpost.progress import ProgressBar

if TYPE_CHECKING:
    from storage.store import Store


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser("import", help="import an mbox file or a Maildir into a folder")
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="FORMAT")
    for kind in ("mbox", "maildir"):
        sub = kinds.add_parser(kind, parents=[common], help=f"import from {kind}")
        sub.add_argument("path", metavar="PATH")
        sub.add_argument(
            "--to", required=True, metavar="ADDRESS[/FOLDER]", help="target (default folder INBOX)"
        )
        sub.set_defaults(func=import_mail)

    parser = subparsers.add_parser("export", help="export a folder to an mbox file")
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="FORMAT")
    sub = kinds.add_parser("mbox", parents=[common], help="export to mbox (mboxrd)")
    sub.add_argument("--from", dest="source", required=True, metavar="ADDRESS[/FOLDER]")
    sub.add_argument(
        "--out", required=True, metavar="FILE", help="the mbox file to write ('-' is not allowed)"
    )
    sub.set_defaults(func=export_mbox)


def import_mail(args: argparse.Namespace) -> int:
    config = load_config(args)
    address, folder = split_target(args.to)
    path = Path(args.path)
    if not path.exists():
        raise CommandError(f"{path}: no such file or directory")
    if args.kind == "mbox":
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        total, messages = mailfiles.count_mbox(path), mailfiles.read_mbox(path)
    else:
        if not path.is_dir():
            raise CommandError(f"{path} is not a directory")
        total, messages = mailfiles.count_maildir(path), mailfiles.read_maildir(path)

    with opened_store(config) as store:
        store.accounts.get(address)  # fail early, before the bar, on an unknown account
        count = _append_all(store, address, folder, messages, ProgressBar(total, f"import {path.name}"))
    print(f"imported {count} message(s) into {address}/{folder}")
    return 0


def _append_all(
    store: Store, address: str, folder: str, messages: Iterator[mailfiles.MailFile], bar: ProgressBar
) -> int:
    from storage import errors

    known: set[str] = set()
    count = 0
    with bar:
        for message in messages:
            target = f"{folder}/{message.folder}" if message.folder else folder
            if target not in known:
                try:
                    store.folders.get(address, target)
                except errors.NotFound:
                    store.folders.create(address, target)
                known.add(target)
            store.mail.append(address, target, message.raw, message.flags, message.internal_date)
            count += 1
            bar.advance()
    return count


def export_mbox(args: argparse.Namespace) -> int:
    config = load_config(args)
    address, folder = split_target(args.source)
    out = Path(args.out)
    if args.out == "-" or out.is_dir():
        raise CommandError(f"--out must name a file, not {args.out!r}")
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    count = 0
    with opened_store(config) as store:
        try:
            with open(tmp, "wb") as fh:
                for _uid, raw, internal_date, flags in store.mail.iter_raw(address, folder):
                    mailfiles.write_mbox_message(fh, raw, internal_date, flags)
                    count += 1
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
    print(f"exported {count} message(s) from {address}/{folder} to {out}")
    return 0
