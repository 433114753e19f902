"""Subcommands of ``fieldpost``: one module per group, each with ``register(subparsers, common)``.

Storage is imported inside the command functions, so commands that do not touch the store (serve,
service, status of the supervisor) work on their own.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from fieldpost import config as configuration

if TYPE_CHECKING:
    from storage.adminview import AdminView
    from storage.store import Store

#: The server administrator ``fieldpost init`` makes. Whoever may run ``fieldpost`` on the data directory
#: holds the whole store anyway, so the commands act as this administrator (``opened_admin``).
SERVER_ADMIN = "admin"


class CommandError(Exception):
    """An expected failure: printed as one line, exit status 1."""


def load_config(args: argparse.Namespace, port_offset: int = 0) -> configuration.Config:
    return configuration.load(configuration.resolve_data_dir(args.data), port_offset)


@contextmanager
def opened_store(config: configuration.Config) -> Iterator[Store]:
    """The store of a data directory, closed on exit: the system path (set-up, status, mail import,
    maintenance). Administration goes through :func:`opened_admin`."""
    from storage import open_store

    store = open_store(config.database_url, config.blob_dir)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def opened_admin(config: configuration.Config) -> Iterator[tuple[AdminView, Store]]:
    """The server administrator's view of the store (``store.for_admin``: every call checks the scope in
    its own transaction) and the store itself for the system work a command also does; closed on exit.
    The view is ``admin``'s, or another enabled server-wide administrator's once ``admin`` is gone."""
    with opened_store(config) as store:
        yield store.for_admin(store.admins.operator(SERVER_ADMIN)), store


def password(value: str | None, option: str, prompt: str) -> str:
    """The password given on the command line, else asked for on the terminal (twice)."""
    if value is not None:
        if not value:
            raise CommandError(f"{option} must not be empty")
        return value
    if not sys.stdin.isatty():
        raise CommandError(f"{option} is required (no terminal to ask on)")
    first = getpass.getpass(f"{prompt}: ")
    if not first:
        raise CommandError("empty password")
    if getpass.getpass(f"{prompt} (again): ") != first:
        raise CommandError("the passwords do not match")
    return first


def split_target(target: str) -> tuple[str, str]:
    """``ADDRESS[/FOLDER]`` -> (address, folder); the folder defaults to INBOX."""
    address, _, folder = target.partition("/")
    if "@" not in address:
        raise CommandError(f"not an account address: {address!r}")
    return address, folder.strip("/") or "INBOX"
