"""The ``fieldpost`` command.

Every subcommand takes ``--data DIR`` (falling back to ``$FIELDPOST_DATA``). Expected failures print one
line, ``fieldpost: error: ...``, on stderr and exit 1; usage errors exit 2. No traceback for those.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from fieldpost.commands import (
    CommandError,
    directory,
    mailboxes,
    maintenance,
    queue,
    remote,
    server,
    settings,
    setup,
)
from fieldpost.commands import admins as admin_commands
from fieldpost.commands import filters as filter_commands
from fieldpost.commands import two_step as two_step_commands
from fieldpost.control import ControlError

PROG = "fieldpost"


class Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line (no usage block) and exit 2."""

    def error(self, message: str) -> NoReturn:
        fail(message, 2)


def fail(message: str, status: int = 1) -> NoReturn:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    sys.exit(status)


def build_parser() -> Parser:
    # default=SUPPRESS: --data may be given before or after the subcommand without one hiding the other
    common = Parser(add_help=False)
    common.add_argument(
        "--data", metavar="DIR", default=argparse.SUPPRESS, help="data directory (default: $FIELDPOST_DATA)"
    )
    parser = Parser(prog=PROG, parents=[common], description="Fieldpost mail server: setup, service, admin.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    for module in (
        setup,
        server,
        directory,
        mailboxes,
        maintenance,
        settings,
        queue,
        filter_commands,
        admin_commands,
        two_step_commands,
        remote,
    ):
        module.register(subparsers, common)
    return parser


def expected_errors() -> tuple[type[BaseException], ...]:
    from fieldpost.supervisor import SupervisorError  # asked only when a command failed

    errors: tuple[type[BaseException], ...] = (
        CommandError,
        ControlError,
        SupervisorError,
        ValueError,
        OSError,
    )
    try:
        from storage.errors import StorageError
    except ImportError:
        return errors
    return (StorageError, *errors)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not hasattr(args, "data"):
        args.data = None
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except expected_errors() as exc:
        fail(str(exc) or type(exc).__name__)


if __name__ == "__main__":
    sys.exit(main())
