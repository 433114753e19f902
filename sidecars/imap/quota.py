"""QUOTA (RFC 9208): GETQUOTA, GETQUOTAROOT, SETQUOTA over the account's quota settings.

One quota root per mailbox owner: "" for the user's own mailbox. Resources: STORAGE (in units of
1024 octets, from ``quota.storage_bytes``), MESSAGE (``quota.messages``) and MAILBOX
(``quota.folders``); a resource without a limit (0) is not reported (RFC 9208 4.2). Limits are set by
the administrator (CLI or WebAdmin), so SETQUOTA is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sidecars.imap import response as R
from sidecars.imap.contract import Done, No
from sidecars.imap.parser import Command
from sidecars.imap.selected import resolve_folder

if TYPE_CHECKING:
    from sidecars.imap.session import ImapSession


def _quota_line(s: ImapSession) -> bytes:
    account = s.store.accounts.by_id(s.account_id)
    get = s.store.settings.get
    limits = {
        "STORAGE": int(get("quota.storage_bytes", account=account.address)),
        "MESSAGE": int(get("quota.messages", account=account.address)),
        "MAILBOX": int(get("quota.folders", account=account.address)),
    }
    used = {
        "STORAGE": (account.used_bytes + 1023) // 1024,
        "MESSAGE": account.message_count,
        "MAILBOX": account.folder_count,
    }
    items = []
    for name, limit in limits.items():
        if limit:
            shown = (limit + 1023) // 1024 if name == "STORAGE" else limit
            items.append(f"{name} {used[name]} {shown}")
    return R.untagged(f'QUOTA "" ({" ".join(items)})')


def getquota(s: ImapSession, cmd: Command) -> Done:
    # RFC 9208 4.2
    if cmd.spec.mailbox != "":
        raise No(f"no quota root named {cmd.spec.mailbox}", "NONEXISTENT")
    return Done([_quota_line(s)], "GETQUOTA completed")


def getquotaroot(s: ImapSession, cmd: Command) -> Done:
    # RFC 9208 4.3
    _, where = resolve_folder(s, cmd.spec.mailbox)
    name = R.astring(cmd.spec.mailbox).decode()
    if where.owner != s.user:
        return Done([R.untagged(f"QUOTAROOT {name}")], "GETQUOTAROOT completed")
    return Done([R.untagged(f'QUOTAROOT {name} ""'), _quota_line(s)], "GETQUOTAROOT completed")


def setquota(s: ImapSession, cmd: Command) -> Done:
    # RFC 9208 4.1
    raise No("quotas are set by the administrator", "NOPERM")
