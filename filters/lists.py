"""Sender lists: the server's black and white lists and each account's blocked and safe senders.

The lists are settings (``lists.*``, see docs/filters.md): the server lists are set by the operator, an
account's lists by its user (``fieldpost settings set --account ADDRESS lists.safe_senders ...``; WebMail
will offer a page). Every entry is an address pattern matched case-insensitively against the address(es)
of the message's From header field, as the queue processor sees it; ``*`` and ``?`` are wildcards, and an
entry without ``@`` stands for the whole domain (``spam.example`` is ``*@spam.example``). A message without
a usable From address is judged by its envelope sender instead.

What each list does (the chain level ``run_level``, plus two questions other levels ask):

* server black list: the recipient is refused (``Reject``, the sender gets a failure report) or the
  message dropped (``Discard``), per ``lists.server_blacklist_action``, for every recipient, local or not;
  the decision is final (``filters.actions.Final``): no Sieve script can let the message through.
* an account's blocked senders: the message goes to the account's Trash (made again if it was deleted);
  also final, so the user's own filters cannot pull it back into INBOX by accident.
* server white list and an account's safe senders: nothing happens here; ``trusted`` tells identity
  confirmation to let the sender through, ``spam_exempt`` tells the scanners to skip their spam actions.

Black beats white at each level (an operator can white-list a partner's domain and still refuse one
mailbox there), and an account's blocked senders apply even to server-white-listed senders: they are the
user's own choice for the user's own mailbox.
"""

from __future__ import annotations

import email.parser
import email.policy
import fnmatch
import logging
from collections.abc import Iterable, Sequence
from email.utils import getaddresses
from typing import TYPE_CHECKING, Any, Final

from filters import actions as act
from filters.sieve.actions import FileInto
from storage.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from storage.contracts import WithSettings
    from storage.queue import QueuedMessage
    from storage.store import Store

log = logging.getLogger(__name__)

TRASH: Final = "Trash"
SERVER_SETTINGS: Final = ("lists.server_blacklist", "lists.server_whitelist", "lists.server_blacklist_action")
ACCOUNT_SETTINGS: Final = ("lists.blocked_senders", "lists.safe_senders")
REFUSAL: Final = "mail from {sender} is refused by this server's sender black list"

Actions = dict[str, tuple[act.Action, ...]]


def from_addresses(raw: bytes, envelope_sender: str = "") -> tuple[str, ...]:
    """The lower-cased addresses of the From field(s) of ``raw``; the envelope sender when there is none."""
    head = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    values = [str(v) for v in head.get_all("From") or []]
    found = [addr.strip().lower() for _name, addr in getaddresses(values) if "@" in addr]
    if not found and "@" in envelope_sender:
        found = [envelope_sender.strip().lower()]
    return tuple(dict.fromkeys(found))


def _pattern(entry: str) -> str:
    entry = entry.strip().lower()
    return entry if "@" in entry else "*@" + entry.lstrip("@.")


def matches(patterns: Iterable[str], addresses: Iterable[str]) -> bool:
    """Whether any address matches any pattern (see the module notes for the pattern language)."""
    compiled = [_pattern(p) for p in patterns if p and p.strip()]
    return any(fnmatch.fnmatchcase(a, p) for a in addresses for p in compiled)


def account_for(store: Store, recipient: str) -> int | None:
    """The account a recipient address names (directly, by an alias, or as ``user+detail@``); None for
    remote addresses, groups and forwarders, which have no lists of their own."""
    local, _, domain = recipient.rpartition("@")
    candidates = [recipient]
    if "+" in local:
        candidates.append(f"{local.split('+', 1)[0]}@{domain}")
    for candidate in candidates:
        try:
            return store.accounts.id_by_address(candidate)
        except (NotFound, InvalidInput):
            continue
    return None


def _server_lists(store: WithSettings) -> dict[str, Any]:
    return dict(store.settings.effective_many(SERVER_SETTINGS))


def _account_lists(store: WithSettings, account_id: int) -> dict[str, Any]:
    return dict(store.settings.effective_many(ACCOUNT_SETTINGS, account_id=account_id))


def trusted(store: Store, addresses: Sequence[str], account_id: int | None) -> bool:
    """Whether these From addresses are trusted for the account: on the server white list (and not on
    the black list) or on the account's safe senders (and not on its blocked senders)."""
    server = _server_lists(store)
    if matches(server["lists.server_blacklist"], addresses):
        return False
    if account_id is not None:
        mine = _account_lists(store, account_id)
        if matches(mine["lists.blocked_senders"], addresses):
            return False
        if matches(mine["lists.safe_senders"], addresses):
            return True
    return matches(server["lists.server_whitelist"], addresses)


def spam_exempt(store: Store, queued_message: QueuedMessage, raw: bytes, recipient: str) -> bool:
    """For the scanners: skip the spam actions for this recipient's copy (a trusted sender)."""
    addresses = from_addresses(raw, getattr(queued_message, "sender", "") or "")
    return trusted(store, addresses, account_for(store, recipient))


def run_level(
    store: Store, queued_message: QueuedMessage, raw: bytes, recipients: Sequence[str], actions: Actions
) -> Actions:
    """The chain level (see ``filters.chain.Level``): server black list, then blocked senders."""
    addresses = from_addresses(raw, queued_message.sender or "")
    if not addresses:
        return actions
    result = dict(actions)
    server = _server_lists(store)
    if matches(server["lists.server_blacklist"], addresses):
        shown = addresses[0]
        log.info("queue %s: %s is on the server black list", queued_message.id, shown)
        verdict: act.Action = (
            act.Discard()
            if server["lists.server_blacklist_action"] == "discard"
            else act.Reject(REFUSAL.format(sender=shown))
        )
        return {**result, **{r: (verdict, act.Final()) for r in recipients}}
    for recipient in recipients:
        account_id = account_for(store, recipient)
        if account_id is None:
            continue
        if matches(_account_lists(store, account_id)["lists.blocked_senders"], addresses):
            kept = tuple(a for a in result.get(recipient, ()) if isinstance(a, act.AddHeader))
            result[recipient] = (FileInto(TRASH, create=True), *kept, act.Final())
    return result
