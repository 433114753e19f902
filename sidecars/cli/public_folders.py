"""Console commands on a domain's public folders and folder recipients (addresses whose mail goes into a
public folder), over ``view.public_folders`` (storage/admin_public_folders.py: the domain permission
``public_folders``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sidecars.cli import parser as P
from sidecars.cli.accounts import in_domain
from sidecars.cli.state import WrongUse

if TYPE_CHECKING:
    from sidecars.cli.session import CliSession


def _domain(s: CliSession) -> str:
    if s.here.domain is None or s.here.pending is not None:
        raise WrongUse("COMMIT the new domain first")
    return s.here.domain


def list_public_folders(s: CliSession, args: list[str]) -> bytes:
    P.parameters(args)
    folders = s.view.public_folders.list(_domain(s))
    rows = [
        (f.path, f.kind, str(f.message_count), str(f.total_bytes), ", ".join(f.recipients) or "-")
        for f in folders
    ]
    headers = ("path", "kind", "messages", "bytes", "recipients")
    return P.table(headers, rows) + P.ok(f"{len(rows)} public folder(s)")


def add_public_folder(s: CliSession, args: list[str]) -> bytes:
    """ADD PUBLICFOLDER path P [kind K] (mail, or a PIM kind: calendar, contacts, tasks, notes, journal)."""
    params = P.parameters(args, ["path"], ["kind"])
    domain = _domain(s)
    s.view.public_folders.create(domain, params["path"], kind=params.get("kind", "mail"))
    return P.ok(f"public folder {params['path']} created in {domain}")


def rename_public_folder(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["path", "newPath"])
    s.view.public_folders.rename(_domain(s), params["path"], params["newpath"])
    return P.ok(f"public folder {params['path']} renamed to {params['newpath']}")


def remove_public_folder(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["path"])
    s.view.public_folders.delete(_domain(s), params["path"])
    return P.ok(f"public folder {params['path']}, its subfolders and their messages removed")


def add_folder_recipient(s: CliSession, args: list[str]) -> bytes:
    """ADD FOLDERRECIPIENT name A folder P: mail to A is delivered into public folder P."""
    params = P.parameters(args, ["name", "folder"])
    _domain(s)
    made = s.view.public_folders.add_recipient(in_domain(s, params["name"]), params["folder"])
    return P.ok(f"mail to {made.address} goes into public folder {made.folder}")


def remove_folder_recipient(s: CliSession, args: list[str]) -> bytes:
    params = P.parameters(args, ["name"])
    address = in_domain(s, params["name"])
    s.view.public_folders.remove_recipient(address)
    return P.ok(f"folder recipient {address} removed")
