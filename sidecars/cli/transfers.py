"""Console commands that move data between a file on the server and the store: ``IMPORT ACCOUNTS``
(``fieldpost account import``) in a domain, ``IMPORT MBOX`` / ``EXPORT MBOX`` (``fieldpost import mbox``
/ ``export mbox``) in an account.

The files are on the server's disk (sidecars.cli.server_files), so only server-wide administrators may
use these commands; storage is asked before any file is opened (``view.maintenance.check_allowed()``),
and the work itself goes through the administrator's view as in WebAdmin (storage.account_import,
``view.mailboxes``). They run in the session: file and store work does not give way to other sessions,
so the console service answers nobody else until a command is done (docs/cli.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from fieldpost import mailfiles
from sidecars.cli import parser as P
from sidecars.cli import server_files
from sidecars.cli.state import CommandFailed, WrongUse
from storage import account_import
from storage.errors import PermissionDenied, QuotaExceeded

if TYPE_CHECKING:
    from sidecars.cli.session import CliSession

#: Largest mbox file IMPORT MBOX reads (the console waits while it runs; larger files: ``fieldpost import
#: mbox`` on the server).
MAX_MBOX_FILE = 1024 * 1024 * 1024


def _domain(s: CliSession) -> str:
    if s.here.domain is None or s.here.pending is not None:
        raise WrongUse("COMMIT the new domain first")
    return s.here.domain


def import_accounts(s: CliSession, args: list[str]) -> bytes:
    """IMPORT ACCOUNTS file PATH: the accounts of a CSV file on the server, one report line per line."""
    path = P.parameters(args, ["file"])["file"]
    domain = _domain(s)
    s.view.maintenance.check_allowed()
    data = server_files.read_bytes(path, account_import.MAX_BYTES)
    report = account_import.import_accounts(s.view, data, domain=domain)
    rows = [
        (
            str(line.line),
            line.address,
            "added" if line.added else "refused",
            (f"password: {line.password}" if line.password else "") if line.added else line.status,
        )
        for line in report.lines
    ]
    return P.table(("line", "address", "result", "detail"), rows) + P.ok(
        f"{report.added} account(s) added, {report.failed} refused"
    )


def _account(s: CliSession) -> str:
    if s.here.name is None or s.here.pending is not None:
        raise WrongUse("COMMIT the new account first")
    return s.here.name


def import_mbox(s: CliSession, args: list[str]) -> bytes:
    """IMPORT MBOX file PATH into FOLDER: the messages of an mbox file on the server appended to a folder
    of this account (made with its parents if missing), flags and dates kept as the file has them."""
    params = P.parameters(args, ["file", "into"])
    address, folder = _account(s), params["into"].strip()
    if not folder:
        raise CommandFailed("name the folder to import into")
    s.view.maintenance.check_allowed()
    s.view.mailboxes.check_backup(address)
    path = server_files.regular_file(params["file"], MAX_MBOX_FILE)
    count = 0
    try:
        for message in mailfiles.read_mbox(path):
            s.view.mailboxes.import_message(
                address, folder, message.raw, message.flags, message.internal_date
            )
            count += 1
    except OSError as exc:
        raise CommandFailed(f"{count} message(s) imported, then {path}: {exc.strerror or exc}") from None
    except (QuotaExceeded, PermissionDenied) as exc:
        raise CommandFailed(f"{count} message(s) imported, then: {exc}") from None
    except ValueError as exc:  # InvalidInput too: a message the store refuses, or not an mbox file
        raise CommandFailed(f"{count} message(s) imported; message {count + 1}: {exc}") from None
    if count == 0:
        raise CommandFailed(f"{path} holds no messages")
    return P.ok(f"{count} message(s) imported into {address}/{folder}")


def import_maildir(s: CliSession, args: list[str]) -> bytes:
    """IMPORT MAILDIR dir PATH into FOLDER: a Maildir on the server (its Maildir++ subfolders below
    FOLDER) appended to this account, flags from the file names and dates from the files' times."""
    params = P.parameters(args, ["dir", "into"])
    address, folder = _account(s), params["into"].strip()
    if not folder:
        raise CommandFailed("name the folder to import into")
    s.view.maintenance.check_allowed()
    s.view.mailboxes.check_backup(address)
    path = server_files.directory(params["dir"])
    count = 0
    try:
        for message in mailfiles.read_maildir(path):
            target = f"{folder}/{message.folder}" if message.folder else folder
            s.view.mailboxes.import_message(
                address, target, message.raw, message.flags, message.internal_date
            )
            count += 1
    except OSError as exc:
        raise CommandFailed(f"{count} message(s) imported, then {path}: {exc.strerror or exc}") from None
    except (QuotaExceeded, PermissionDenied) as exc:
        raise CommandFailed(f"{count} message(s) imported, then: {exc}") from None
    except ValueError as exc:  # not a Maildir, or a message the store refuses
        raise CommandFailed(f"{count} message(s) imported; {exc}") from None
    if count == 0:
        raise CommandFailed(f"{path} holds no messages")
    return P.ok(f"{count} message(s) imported into {address}/{folder}")


def export_mbox(s: CliSession, args: list[str]) -> bytes:
    """EXPORT MBOX folder F file PATH: a folder of this account written to a new mbox file on the server."""
    params = P.parameters(args, ["folder", "file"])
    address = _account(s)
    s.view.maintenance.check_allowed()
    path = server_files.new_file(params["file"])
    messages = s.view.mailboxes.export(address, params["folder"])
    count = 0

    def write(fh: BinaryIO) -> None:
        nonlocal count
        for raw, internal_date, flags in messages:
            mailfiles.write_mbox_message(fh, raw, internal_date, flags)
            count += 1

    server_files.write_new(path, write)
    return P.ok(f"{count} message(s) of {address}/{params['folder']} exported to {path}")
