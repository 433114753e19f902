"""Where a local copy goes and how it is marked: the filter actions' folder, ``:create`` and IMAP flags.

The filter chain says "file into Projects, flagged"; this module turns that into storage calls the worker
makes around ``store.mail.deliver``:

* ``filters.disposition.targets_of`` reads a recipient's actions into ``Target`` entries (folder, added
  headers, flags, create), one per distinct folder; keep is INBOX (RFC 5228 4.3).
* ``prepare_folder`` makes sure the folder exists for every account the recipients reach: a missing one is
  created when the action asked for it (``fileinto :create``, RFC 5490 3.2; the blocked-senders Trash and
  "Unconfirmed Messages" ask too); otherwise delivery falls back to INBOX (storage does that) and a line
  is logged, so a typo in a script is visible to the operator.
* ``apply_flags`` sets the flags on the delivered messages (RFC 5232 5), after the delivery committed.
  Flags that are not valid IMAP flags are left out and logged. A crash between delivery and flagging
  leaves the message delivered without its flags: mail is never lost or repeated for a flag.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from filters.disposition import INBOX, Target
from storage import flags as fl
from storage.errors import InvalidInput, StorageError

if TYPE_CHECKING:
    from storage.store import Store


def valid_flags(flags: Iterable[str], log: Any = None, where: str = "") -> tuple[str, ...]:
    """The flags storage can keep; the others are dropped with a log line."""
    kept: list[str] = []
    for flag in flags:
        try:
            fl.encode([flag])
        except InvalidInput as exc:
            if log is not None:
                log.warning("%s: flag %r left out: %s", where, flag, exc)
            continue
        kept.append(flag)
    return tuple(kept)


def prepare_folder(store: Store, addresses: Sequence[str], target: Target, log: Any = None) -> None:
    """Create ``target.folder`` where it is missing and asked for; log where it is missing otherwise."""
    if target.folder == INBOX:
        return
    check = store.recipients.accounts_without_folder(addresses, target.folder)
    if log is not None:
        for address, why in check.invalid:
            log.warning("fileinto %r for %s: %s; delivering to INBOX", target.folder, address, why)
    for owner in check.missing:
        if not target.create:
            if log is not None:
                log.warning("fileinto %r: %s has no such folder; delivering to INBOX", target.folder, owner)
            continue
        try:
            store.folders.create(owner, target.folder)
            if log is not None:
                log.info("fileinto :create made folder %r for %s", target.folder, owner)
        except StorageError as exc:  # raced with another delivery, folder quota, bad name
            if log is not None:
                log.warning(
                    "folder %r for %s not created (%s); delivering where possible", target.folder, owner, exc
                )


def apply_flags(
    store: Store, delivered: dict[str, tuple[int, int]], target: Target, log: Any = None, where: str = ""
) -> None:
    """Add ``target.flags`` to each delivered copy ((folder id, uid) per recipient)."""
    flags = valid_flags(target.flags, log, where)
    if not flags:
        return
    for folder_id, uid in set(delivered.values()):
        try:
            store.mail.set_flags(folder_id, [uid], flags, "add")
        except StorageError as exc:
            if log is not None:
                log.warning("%s: flags %s not set on message %d: %s", where, " ".join(flags), uid, exc)
