"""ACL and RIGHTS (RFC 4314): GETACL, SETACL, DELETEACL, LISTRIGHTS, MYRIGHTS.

The rules live in storage's ACL engine; this module only translates. Identifiers are ``anyone``, a
user or group address, ``@domain`` (every user of a domain), and a leading "-" names a deny entry
(RFC 4314 2). Changing or reading a folder's ACL needs the "a" right, which storage is asked for.
The owner's implicit rights (everything) are shown as an entry for the owner.
"""

from __future__ import annotations

from sidecars.imap import response as R
from sidecars.imap.parser import Command
from sidecars.imap.selected import resolve_with_rights
from sidecars.imap.session import Bad, Done, ImapSession, No
from storage import acl as acl_rules
from storage.errors import InvalidInput, NotFound

ALL_RIGHTS = "lrswipkxtea"  # what RIGHTS= and LISTRIGHTS advertise
# RFC 4314 2.1.1: the RFC 2086 rights "c" and "d" are still accepted in SETACL (as k+x and e+t). Storage's
# mailbox-level digits ("0" send as, "1" free/busy) are granted through the CLI or WebAdmin, not here:
# over IMAP they are rights the server does not advertise, so SETACL refuses them with BAD (RFC 4314 3.1).
SETACL_RIGHTS = ALL_RIGHTS + "cd"


def _folder_and_rights(s: ImapSession, mailbox: str, need_admin: bool) -> tuple[object, object, str]:
    folder, where, rights = resolve_with_rights(s, mailbox)
    if need_admin and "a" not in rights:
        raise No(f"you may not administer the ACL of {mailbox}", "NOPERM")
    return folder, where, rights


def _principal_name(s: ImapSession, principal: tuple[str, int]) -> str:
    kind, pid = principal
    if kind == "anyone":
        return "anyone"
    try:
        if kind == "user":
            return str(s.store.accounts.by_id(pid).address)
        with s.store.db.read() as conn:
            if kind == "group":
                return str(s.store.groups._load(conn, pid).address)
            return "@" + str(s.store.domains._load(conn, pid).name)
    except NotFound:
        return ""  # deleted meanwhile: left out of the listing (no internal id is ever shown)


def getacl(s: ImapSession, cmd: Command) -> Done:
    # RFC 4314 3.3
    folder, where, _ = _folder_and_rights(s, cmd.spec.mailbox, True)
    entries = s.store.acl.entries(where.owner, where.path)
    items = []
    if not where.owner.startswith("@"):
        items.append(R.astring(where.owner).decode() + " " + ALL_RIGHTS)
    for entry in entries:
        name = _principal_name(s, entry.principal)
        if not name or (name == where.owner and entry.allow):
            continue
        items.append(
            R.astring(("" if entry.allow else "-") + name).decode() + " " + _letters(str(entry.rights))
        )
    line = "ACL " + R.astring(cmd.spec.mailbox).decode() + "".join(" " + i for i in items)
    return Done([R.untagged(line)], "GETACL completed")


def _letters(rights: str) -> str:
    return "".join(c for c in rights if c in ALL_RIGHTS) or '""'


def setacl(s: ImapSession, cmd: Command) -> Done:
    # RFC 4314 3.1: rights prefixed with + or - modify the current entry
    _, where, _ = _folder_and_rights(s, cmd.spec.mailbox, True)
    identifier, spec = cmd.spec.identifier, cmd.spec.rights
    allow = not identifier.startswith("-")
    name = identifier.lstrip("-")
    letters = spec.lstrip("+-")
    bad = [c for c in letters if c not in SETACL_RIGHTS]
    if bad:
        raise Bad(f"unknown right {bad[0]!r}")
    if name.lower() == where.owner:
        raise No("the owner's rights cannot be changed", "CANNOT")
    try:
        current = acl_rules.NONE
        with s.store.db.read() as conn:
            principal = s.store.acl.principal(conn, name)
        for entry in s.store.acl.entries(where.owner, where.path):
            if entry.principal == principal and entry.allow == allow:
                current = entry.rights
        if spec[:1] in "+-" and spec:
            value = acl_rules.apply_modification(current, spec)
        else:  # a replacement keeps the digits IMAP cannot show or set (granted through the CLI)
            value = acl_rules.Rights.parse(letters) | (current - SETACL_RIGHTS)
        if value:
            s.store.acl.grant(where.owner, where.path, name, str(value), allow=allow)
        else:
            s.store.acl.revoke(where.owner, where.path, name, allow=allow)
    except (NotFound, InvalidInput) as exc:
        raise No(f"cannot set rights for {identifier}: {exc}", "NONEXISTENT") from None
    return Done([], "SETACL completed")


def deleteacl(s: ImapSession, cmd: Command) -> Done:
    # RFC 4314 3.2
    _, where, _ = _folder_and_rights(s, cmd.spec.mailbox, True)
    identifier = cmd.spec.identifier
    if identifier.lstrip("-").lower() == where.owner:
        # the owner's rights are implicit (storage.acl): there is no entry to delete, and none can be
        raise No("the owner's rights are implicit and cannot be removed", "CANNOT")
    try:
        s.store.acl.revoke(
            where.owner, where.path, identifier.lstrip("-"), allow=not identifier.startswith("-")
        )
    except (NotFound, InvalidInput) as exc:
        raise No(f"no such identifier {identifier}: {exc}", "NONEXISTENT") from None
    return Done([], "DELETEACL completed")


def listrights(s: ImapSession, cmd: Command) -> Done:
    # RFC 4314 3.4: nothing is always granted; every right can be granted on its own
    _, where, _ = _folder_and_rights(s, cmd.spec.mailbox, True)
    identifier = cmd.spec.identifier
    mailbox = R.astring(cmd.spec.mailbox).decode()
    if identifier.lower() == where.owner:
        line = f"LISTRIGHTS {mailbox} {R.astring(identifier).decode()} {ALL_RIGHTS}"
    else:
        line = f'LISTRIGHTS {mailbox} {R.astring(identifier).decode()} "" ' + " ".join(ALL_RIGHTS)
    return Done([R.untagged(line)], "LISTRIGHTS completed")


def myrights(s: ImapSession, cmd: Command) -> Done:
    # RFC 4314 3.5
    _, _, rights = _folder_and_rights(s, cmd.spec.mailbox, False)
    if not any(c in rights for c in "lrikxa"):
        raise No(f"no access to {cmd.spec.mailbox}", "NOPERM")
    line = f"MYRIGHTS {R.astring(cmd.spec.mailbox).decode()} {_letters(rights)}"
    return Done([R.untagged(line)], "MYRIGHTS completed")
