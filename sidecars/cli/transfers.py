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

from typing import TYPE_CHECKING

from sidecars.cli import parser as P
from sidecars.cli import server_files
from sidecars.cli.state import WrongUse
from storage import account_import

if TYPE_CHECKING:
    from sidecars.cli.session import CliSession


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
