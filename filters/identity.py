"""Identity confirmation (challenge/response): mail from unknown senders waits until they confirm once.

For each recipient account with ``identity.enabled`` (account, class, domain or server level), the chain
level ``run_level`` lets a message through when its envelope sender is known, and otherwise files it into
"Unconfirmed Messages" (made on demand) and challenges the sender (``filters.challenge``):

* known: confirmed earlier (``store.confirmations``), written to by the account (mail it sends while
  authenticated confirms its recipients), on the account's safe senders or the server white list
  (``filters.lists.trusted``, matched on the From address), in the account's own domain, or sent by an
  authenticated user of this server. Fieldpost has no address book yet: the confirmed senders are the
  account's "collected addresses"; when the contacts component lands, confirming will also add a contact
  to a "Collected Addresses" contacts folder, and every address-book entry will count as known.
* let through without asking: bounces (null sender; a user must see the reports on the mail they sent),
  and mail an earlier level already took out of INBOX (the scanners filed spam into Junk, say): a spammer
  is not challenged.
* held without a challenge: list, bulk and automatic mail (``challenge.automatic``); nobody there could
  answer. Users add such senders to their safe senders.
* held and challenged: everything else. One challenge per sender per ``identity.challenge_days``, however
  many messages arrive (``store.confirmations.challenge_due`` decides atomically).

The hold is final (``filters.actions.Final``): Sieve scripts do not run on held mail, so no vacation reply answers
an unknown sender either. Answers (``answers``, ``confirm_by_message``) are recognised by the processing
service before delivery: a message to ``LOCAL+CODE@DOMAIN`` confirms the sender that holds the code when
it comes from that sender (envelope or From), and the sender's held messages move to INBOX.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from filters import actions as act
from filters import challenge, lists
from filters.sieve.actions import FileInto
from storage.errors import InvalidInput, NotFound, StorageError

if TYPE_CHECKING:
    from storage.contracts import WithSettings
    from storage.queue import QueuedMessage
    from storage.store import Store

_log = logging.getLogger(__name__)

UNCONFIRMED: Final = "Unconfirmed Messages"
INBOX: Final = "INBOX"
ACCOUNT_SETTINGS: Final = ("identity.enabled", "identity.challenge_days")
HEADER_BYTES: Final = 64 * 1024  # how much of a held message is read to find its sender
DEFAULT_LOCAL_PART: Final = "confirm"
_LOCAL_PART: Final = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,38}[a-z0-9])?$")

Actions = dict[str, tuple[act.Action, ...]]


# -- answers to challenges --------------------------------------------------------------------------


def _local_part(store: WithSettings) -> str:
    """``identity.local_part``; a value that cannot make an address (a space, a "+") is replaced by the
    default and logged, so challenges always carry an address that works."""
    value = (
        str(store.settings.effective_many(("identity.local_part",))["identity.local_part"]).strip().lower()
    )
    if not _LOCAL_PART.match(value):
        _log.warning("identity.local_part %r cannot be an address; using %r", value, DEFAULT_LOCAL_PART)
        return DEFAULT_LOCAL_PART
    return value


def confirmation_token(store: Store, address: str) -> str | None:
    """The code in ``address`` when it is a confirmation address of a local domain, else None."""
    parts = challenge.split_answer_address(address)
    if parts is None:
        return None
    local, code, domain = parts
    if local != _local_part(store):
        return None
    try:
        store.domains.id_by_name(domain)
    except (NotFound, InvalidInput):
        return None
    return code


def known_confirmation_address(store: Store, address: str) -> bool:
    """For SMTP RCPT: a confirmation address whose code is current (pending or already confirmed)."""
    code = confirmation_token(store, address)
    if code is None:
        return False
    try:
        store.confirmations.by_token(code)
    except NotFound:
        return False
    return True


def answers(store: Store, addresses: Iterable[str]) -> set[str]:
    """Those of ``addresses`` that are confirmation addresses (the worker handles them itself)."""
    return {a for a in addresses if confirmation_token(store, a) is not None}


@dataclass(frozen=True)
class Answer:
    confirmed: bool  # the sender is confirmed now (or already was)
    refusal: str = ""  # why the answer was refused, for the failure report; "" when silently ignored
    released: int = 0  # held messages moved to INBOX


def confirm_by_message(
    store: Store, queued_message: QueuedMessage, raw: bytes, address: str, log: Any = None
) -> Answer:
    """Handle a message to the confirmation ``address``: confirm its sender and release the held mail."""
    log = log or _log
    code = confirmation_token(store, address)
    if code is None:
        return Answer(False, "this is not a confirmation address")
    sender = (queued_message.sender or "").strip().lower()
    why_not = challenge.is_answer(raw, sender)
    if why_not:
        log.info("queue %s to %s ignored: %s", queued_message.id, address, why_not)
        return Answer(False)
    try:
        record = store.confirmations.by_token(code)
    except NotFound:
        return Answer(False, "this confirmation code is unknown or has expired")
    if record.sender not in {sender, *lists.from_addresses(raw)}:
        return Answer(False, f"the confirmation must come from {record.sender}, the address that was asked")
    store.confirmations.confirm_token(code)
    released = release(store, record.account_id, record.sender, log)
    log.info(
        "account %d confirmed %s; %d held message(s) released", record.account_id, record.sender, released
    )
    return Answer(True, "", released)


def _held_sender(head: bytes) -> set[str]:
    """The envelope sender (Return-Path) and From addresses of a held message's header."""
    found = set(lists.from_addresses(head))
    for line in head.split(b"\n"):
        if line[:12].lower() == b"return-path:":
            found.add(line[12:].decode("ascii", "replace").strip().strip("<>").strip().lower())
            break
    return found


def release(store: Store, account_id: int, sender: str, log: Any = None) -> int:
    """Move the account's held messages from ``sender`` to INBOX; returns how many moved."""
    log = log or _log
    try:
        owner = store.accounts.by_id(account_id).address
        held = store.folders.get(owner, UNCONFIRMED)
        inbox = store.folders.get(owner, INBOX)
    except NotFound:
        return 0
    uids = []
    for info in store.mail.info(held.id, with_structure=False):
        try:
            head = store.mail.raw(held.id, info.uid, end=HEADER_BYTES)
        except (NotFound, OSError):
            continue
        if sender in _held_sender(head.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]):
            uids.append(info.uid)
    if not uids:
        return 0
    try:
        return len(store.mail.move(held.id, uids, inbox.id))
    except StorageError as exc:  # over quota, say: they stay where the user can see them
        log.warning("held mail of %s for %s not moved to INBOX: %s", sender, owner, exc)
        return 0


# -- the chain level --------------------------------------------------------------------------------


def _only_kept(before: Sequence[act.Action]) -> bool:
    """Whether earlier levels left the message bound for INBOX (nothing filed, dropped or refused)."""
    return all(isinstance(a, (act.Keep, act.AddHeader)) for a in before)


def _own_domains(store: Store, account_id: int, recipient: str) -> set[str]:
    domains = {recipient.rpartition("@")[2].lower()}
    domains.add(store.accounts.by_id(account_id).address.rpartition("@")[2].lower())
    return domains


def send_challenge(
    store: Store, queued_message: QueuedMessage, recipient: str, code: str, original: bytes
) -> None:
    """Queue the challenge for ``queued_message``'s sender (see ``filters.challenge``)."""
    domain = recipient.rpartition("@")[2].lower()
    address = f"{_local_part(store)}+{code}@{domain}"
    raw = challenge.compose(
        sender=queued_message.sender,
        recipient=recipient,
        address=address,
        original=original,
        hostname_domain=domain,
    )
    store.queue.enqueue(raw, address, [queued_message.sender], origin={"challenge_for": queued_message.id})


def _collect_recipients(store: Store, user: str, recipients: Sequence[str]) -> None:
    """An account with identity confirmation on that writes to someone confirms them: their replies
    must not be held."""
    account_id = lists.account_for(store, user)
    if account_id is None:
        return
    if not store.settings.effective_many(("identity.enabled",), account_id=account_id)["identity.enabled"]:
        return
    for recipient in recipients:
        if lists.account_for(store, recipient) == account_id:
            continue
        try:
            store.confirmations.confirm(account_id, recipient)
        except (InvalidInput, StorageError) as exc:
            _log.warning("%s wrote to %s, not recorded as known: %s", user, recipient, exc)


def run_level(
    store: Store, queued_message: QueuedMessage, raw: bytes, recipients: Sequence[str], actions: Actions
) -> Actions:
    """The chain level (see ``filters.chain.Level``)."""
    sender = (queued_message.sender or "").strip().lower()
    if not sender or "@" not in sender:
        return actions  # bounces always go through
    origin = getattr(queued_message, "origin", None) or {}
    user = origin.get("auth") or origin.get("auth_user")
    if user:  # an authenticated user of this server: never held; the people it writes to become known
        _collect_recipients(store, str(user), recipients)
        return actions
    result = dict(actions)
    from_ = lists.from_addresses(raw, sender)
    for recipient in recipients:
        account_id = lists.account_for(store, recipient)
        if account_id is None:
            continue
        wanted = store.settings.effective_many(ACCOUNT_SETTINGS, account_id=account_id)
        before = result.get(recipient) or (act.Keep(),)
        if not wanted["identity.enabled"] or not _only_kept(before):
            continue
        if sender.rpartition("@")[2] in _own_domains(store, account_id, recipient):
            continue
        if store.confirmations.is_confirmed(account_id, sender) or lists.trusted(store, from_, account_id):
            continue
        headers = tuple(a for a in before if isinstance(a, act.AddHeader))
        result[recipient] = (FileInto(UNCONFIRMED, create=True), *headers, act.Final())
        automatic = challenge.automatic(raw)
        if automatic:
            _log.info(
                "queue %s: held for %s without a challenge: %s", queued_message.id, recipient, automatic
            )
            continue
        try:
            days = timedelta(days=int(wanted["identity.challenge_days"]))
            code = store.confirmations.challenge_due(account_id, sender, days)
            if code is not None:
                send_challenge(store, queued_message, recipient, code, raw)
        except (InvalidInput, StorageError, OSError) as exc:  # the mail is held either way
            _log.warning("queue %s: no challenge to %s for %s: %s", queued_message.id, sender, recipient, exc)
    return result
