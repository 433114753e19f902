"""Console commands on an account's remote mailboxes (POP3/IMAP mailboxes fetched into it by the rpop
service) -- ``fieldpost rpop`` on the console, inside an account (``<domain-account#>``).

Through ``view.remote_accounts`` (storage/admin_remote_accounts.py): listing needs the domain in scope,
adding, removing and fetching now the domain permission ``accounts``. Storage checks every field and the
``rpop.*`` settings (how many per account, shortest interval, whether plain text is allowed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sidecars.cli import parser as P
from sidecars.cli.admins import switch
from sidecars.cli.state import WrongUse
from storage.remote_accounts import RemoteSpec

if TYPE_CHECKING:
    from sidecars.cli.session import CliSession

DEFAULT_EVERY = 10  # minutes between fetches when ADD REMOTEMAILBOX leaves ``every`` out


def _account(s: CliSession) -> str:
    if s.here.pending is not None or s.here.name is None:
        raise WrongUse("COMMIT the new account first")
    return s.here.name


def _number(params: dict[str, str], key: str) -> int:
    value = params[key]
    if not value.isdigit() or len(value) > 9:
        raise P.ParseError(f"{key} is a number, not {value[:40]!r}")
    return int(value)


def list_remote_mailboxes(s: CliSession, args: list[str]) -> bytes:
    """LIST REMOTEMAILBOXES: each remote mailbox with its server, folder, schedule and last run."""
    P.parameters(args)
    address = _account(s)
    rows = [
        (
            str(r.id),
            r.protocol,
            f"{r.host}:{r.port}",
            r.tls_mode,
            r.username,
            r.folder,
            str(r.interval_seconds // 60),
            "keep" if r.keep_on_server else "delete",
            "on" if r.enabled else "off",
            f"{r.last_run_at:%Y-%m-%d %H:%M}" if r.last_run_at else "never",
            r.last_error or "",
        )
        for r in s.view.remote_accounts.list(address)
    ]
    headers = (
        *("id", "protocol", "server", "security", "user", "folder"),
        *("every_min", "fetched", "state", "last_run", "last_error"),
    )
    return P.table(headers, rows) + P.ok(f"{len(rows)} remote mailbox(es) of {address}")


def add_remote_mailbox(s: CliSession, args: list[str]) -> bytes:
    """ADD REMOTEMAILBOX protocol P host H user U password P [port N] [security S] [folder F]
    [every MINUTES] [delete yes]."""
    params = P.parameters(
        args, ["protocol", "host", "user", "password"], ["port", "security", "folder", "every", "delete"]
    )
    address = _account(s)
    every = _number(params, "every") if "every" in params else DEFAULT_EVERY
    spec = RemoteSpec(
        protocol=params["protocol"].lower(),
        host=params["host"],
        username=params["user"],
        password=params["password"],
        port=_number(params, "port") if "port" in params else None,
        tls_mode=params.get("security", "implicit").lower(),
        folder=params.get("folder", "INBOX"),
        interval_seconds=every * 60,
        keep_on_server=not switch(params.get("delete", "no")),
    )
    added = s.view.remote_accounts.add(address, spec)
    return P.ok(f"remote mailbox {added.id} added: {added.label}, first fetch due now")


def remove_remote_mailbox(s: CliSession, args: list[str]) -> bytes:
    """REMOVE REMOTEMAILBOX id N: stop fetching it (the mail fetched so far stays)."""
    params = P.parameters(args, ["id"])
    address = _account(s)
    remote_id = _number(params, "id")
    s.view.remote_accounts.delete(address, remote_id)
    return P.ok(f"remote mailbox {remote_id} of {address} removed; the mail fetched from it stays")


def fetch_remote_mailbox(s: CliSession, args: list[str]) -> bytes:
    """FETCH REMOTEMAILBOX id N: make the next fetch due now (the rpop service looks every few seconds)."""
    params = P.parameters(args, ["id"])
    address = _account(s)
    remote_id = _number(params, "id")
    s.view.remote_accounts.fetch_now(address, remote_id)
    return P.ok(f"remote mailbox {remote_id} of {address} is due now")
