"""``fieldpost init``: make a data directory (config, TLS pair, store, optional demo content)."""

from __future__ import annotations

import argparse
import os
import platform
import re
import tomllib

from fieldpost import config as configuration
from fieldpost.commands import SERVER_ADMIN, CommandError, opened_store, password

ADMIN = SERVER_ADMIN
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser("init", parents=[common], help="make a new data directory")
    parser.add_argument(
        "--demo", action="store_true", help="add example.test with alice, bob, carol and mail"
    )
    parser.add_argument("--admin-password", metavar="P", help="password of the administrator 'admin'")
    parser.add_argument("--demo-password", metavar="P", help="password of the demo accounts")
    parser.add_argument("--hostname", metavar="H", help="this server's host name (default: the machine's)")
    parser.set_defaults(func=init)


def init(args: argparse.Namespace) -> int:
    from fieldpost import demo, tls  # cryptography and the demo's mail load only for ``init``

    data = configuration.resolve_data_dir(args.data)
    if (data / configuration.CONFIG_FILE).exists():
        raise CommandError(f"{data} is already a Fieldpost data directory")
    hostname = (args.hostname or platform.node() or "localhost").lower()
    if not _HOSTNAME.match(hostname):
        raise CommandError(f"not a valid host name: {hostname!r}")
    admin_password = password(
        args.admin_password, "--admin-password", "Password for the administrator 'admin'"
    )
    demo_settings: dict[str, str] = {}
    if args.demo:
        demo_password = password(args.demo_password, "--demo-password", "Password for the demo accounts")
        demo_settings = {
            "accounts": ",".join(demo.ACCOUNTS),
            "password": demo_password,
            "admin_password": admin_password,
        }

    text = configuration.render(hostname, demo_settings)
    config = configuration.from_mapping(data, tomllib.loads(text))
    data.mkdir(parents=True, exist_ok=True)
    os.chmod(data, 0o700)
    for directory in (config.blob_dir, config.log_dir, config.run_dir):
        directory.mkdir(parents=True, exist_ok=True)
    cert, key = tls.make_self_signed(config.tls_dir, hostname)

    with opened_store(config) as store:
        store.admins.set_password(ADMIN, admin_password)
        if args.demo:
            demo.populate(store, demo_settings["password"])

    # written last: its presence marks a complete, usable data directory
    fd = os.open(config.config_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)

    print(f"Initialised {data} (host name {hostname})")
    print(f"  TLS certificate {cert} (self-signed), key {key}")
    if args.demo:
        print(f"  demo accounts {', '.join(demo.ACCOUNTS)} with the demo password")
    print(f"Start it with: fieldpost serve --data {data}")
    return 0
