"""ACL and RIGHTS (RFC 4314): GETACL, SETACL, DELETEACL, LISTRIGHTS, MYRIGHTS.

The rules live in storage (``s.mine``: the "a" right to read or change entries, the owner's implicit
rights, a replacement keeping the mailbox-level digits); this module only translates. Identifiers are
``anyone``, a user or group address, ``@domain`` (every user of a domain), and a leading "-" names a
deny entry (RFC 4314 2). The owner's implicit rights (everything) are shown as an entry for the owner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sidecars.imap import response as R
from sidecars.imap.contract import Bad, Done, No
from sidecars.imap.parser import Command
from sidecars.imap.selected import resolve_folder, resolve_with_rights
from storage import acl as acl_rules
from storage.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from sidecars.imap.session import ImapSession

ALL_RIGHTS = acl_rules.FOLDER_RIGHTS  # what RIGHTS= and LISTRIGHTS advertise
# RFC 4314 2.1.1: the RFC 2086 rights "c" and "d" are still accepted in SETACL (as k+x and e+t). Storage's
# mailbox-level digits ("0" send as, "1" free/busy) are granted through the CLI or WebAdmin, not here:
# over IMAP they are rights the server does not advertise, so SETACL refuses them with BAD (RFC 4314 3.1).
SETACL_RIGHTS = ALL_RIGHTS + "cd"


def getacl(s: ImapSession, cmd: Command) -> Done:
    # RFC 4314 3.3
    folder, where = resolve_folder(s, cmd.spec.mailbox)
    entries = s.mine.acl_entries(folder.id)
    items = []
    if not where.owner.startswith("@"):
        items.append(R.astring(where.owner).decode() + " " + ALL_RIGHTS)
    for entry in entries:
        if entry.name == where.owner and entry.allow:
            continue
        name = ("" if entry.allow else "-") + entry.name
        items.append(R.astring(name).decode() + " " + _letters(str(entry.rights)))
    line = "ACL " + R.astring(cmd.spec.mailbox).decode() + "".join(" " + i for i in items)
    return Done([R.untagged(line)], "GETACL completed")


def _letters(rights: str) -> str:
    return "".join(c for c in rights if c in ALL_RIGHTS) or '""'


def setacl(s: ImapSession, cmd: Command) -> Done:
    # RFC 4314 3.1: rights prefixed with + or - modify the current entry
    identifier, spec = cmd.spec.identifier, cmd.spec.rights
    bad = [c for c in spec.lstrip("+-") if c not in SETACL_RIGHTS]
    if bad:
        raise Bad(f"unknown right {bad[0]!r}")
    folder, _ = resolve_folder(s, cmd.spec.mailbox)
    try:
        s.mine.change_entry(folder.id, identifier.lstrip("-"), spec, allow=not identifier.startswith("-"))
    except InvalidInput as exc:
        raise No(str(exc), "CANNOT") from None
    except NotFound as exc:
        if str(exc) == acl_rules.NO_SUCH_FOLDER:
            raise
        raise No(f"cannot set rights for {identifier}: {exc}", "NONEXISTENT") from None
    return Done([], "SETACL completed")


def deleteacl(s: ImapSession, cmd: Command) -> Done:
    # RFC 4314 3.2
    identifier = cmd.spec.identifier
    folder, _ = resolve_folder(s, cmd.spec.mailbox)
    try:
        s.mine.delete_entry(folder.id, identifier.lstrip("-"), allow=not identifier.startswith("-"))
    except InvalidInput as exc:
        raise No(str(exc), "CANNOT") from None
    except NotFound as exc:
        if str(exc) == acl_rules.NO_SUCH_FOLDER:
            raise
        raise No(f"no such identifier {identifier}: {exc}", "NONEXISTENT") from None
    return Done([], "DELETEACL completed")


def listrights(s: ImapSession, cmd: Command) -> Done:
    # RFC 4314 3.4: nothing is always granted; every right can be granted on its own
    folder, where = resolve_folder(s, cmd.spec.mailbox)
    s.mine.may_administer(folder.id)
    identifier = cmd.spec.identifier
    mailbox = R.astring(cmd.spec.mailbox).decode()
    if identifier.lower() == where.owner:
        line = f"LISTRIGHTS {mailbox} {R.astring(identifier).decode()} {ALL_RIGHTS}"
    else:
        line = f'LISTRIGHTS {mailbox} {R.astring(identifier).decode()} "" ' + " ".join(ALL_RIGHTS)
    return Done([R.untagged(line)], "LISTRIGHTS completed")


def myrights(s: ImapSession, cmd: Command) -> Done:
    # RFC 4314 3.5: any right at all lets the user ask; without "l" the mailbox does not exist for them
    _, _, rights = resolve_with_rights(s, cmd.spec.mailbox)
    line = f"MYRIGHTS {R.astring(cmd.spec.mailbox).decode()} {_letters(rights)}"
    return Done([R.untagged(line)], "MYRIGHTS completed")
