"""The storage questions MAIL, RCPT and VRFY ask: who may send as whom (``mailflow.submission``), which
recipients are ours, who may relay, and the reply each answer earns.

They are kept out of session.py because they are policy lookups, not protocol state (DESIGN 9: a session
asks storage, it never decides what happens to mail). Lookup failures other than NotFound/InvalidInput
propagate, and the session answers 451.
"""

from __future__ import annotations

import enum
import ipaddress
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from filters import identity
from mailflow import submission
from sidecars.smtp import parser as P
from sidecars.smtp import replies as R
from storage.errors import InvalidInput, NotFound
from storage.models import Account
from storage.recipients import Destination

if TYPE_CHECKING:
    from storage.store import Store


class Recipient(enum.Enum):
    LOCAL = "local"  # one of our domains, and the address resolves
    UNKNOWN = "unknown"  # one of our domains, nobody by that name
    INVALID = "invalid"  # one of our domains, the address cannot be resolved (detail says why)
    REMOTE = "remote"  # not one of our domains: relaying


@dataclass(frozen=True)
class RecipientAnswer:
    """What storage says of one RCPT address: whether it is ours and resolves (``detail``: the
    InvalidInput text, else ""), and the smallest size limit of the local accounts it reaches (None
    when not asked or it reaches none)."""

    kind: Recipient
    detail: str = ""
    size_limit: int | None = None


def look_up_recipient(store: Store, address: str, *, size_limit: bool = False) -> RecipientAnswer:
    """Classify ``address`` and, with ``size_limit`` (the MX asks it), read the smallest
    ``mail.max_message_bytes`` of the accounts it reaches, both in one storage call."""
    if identity.known_confirmation_address(store, address):  # answers to identity challenges
        return RecipientAnswer(Recipient.LOCAL)
    found = store.recipients.rcpt(address, size_limit=size_limit)
    if found.destination is Destination.LOCAL:
        return RecipientAnswer(Recipient.LOCAL, size_limit=found.max_message_bytes)
    if found.destination is Destination.UNKNOWN:
        return RecipientAnswer(Recipient.UNKNOWN)
    if found.destination is Destination.INVALID:
        return RecipientAnswer(Recipient.INVALID, found.detail)
    return RecipientAnswer(Recipient.REMOTE)  # not ours, or not a domain name at all


def postmaster_address(store: Store, hostname: str) -> str:
    """RFC 5321 4.5.1: <postmaster> without a domain reaches the postmaster of the server's own domain
    (storage decides which: ``store.domains.primary``); with no domain at all, the host's name."""
    domain = store.domains.primary(hostname)
    return f"postmaster@{domain or hostname.lower()}"


def in_trusted_networks(
    peer_ip: str, networks: Iterable[str], log: logging.LoggerAdapter[Any] | logging.Logger
) -> bool:
    """Whether the peer is in smtp.trusted_networks (which may relay without AUTH)."""
    try:
        ip = ipaddress.ip_address(peer_ip)
    except ValueError:
        return False
    for net in networks:
        try:
            if ip in ipaddress.ip_network(net, strict=False):
                return True
        except ValueError:
            log.warning("smtp.trusted_networks: %r is not a network", net)
    return False


def sender_refusal(store: Store, account: Account | None, address: str) -> R.Reply | None:
    """RFC 5321 4.1.1.2 with anti-impersonation (``mailflow.submission`` asks storage): NOT_OWNED, or None
    when ``address`` may be used."""
    refused = submission.sender_refusal(store, account, address)
    if refused is None:
        return None
    return R.NOT_OWNED.format(address=address, user=account.address if account else "")


def recipient_refusal(answer: RecipientAnswer, address: str, *, may_relay: bool) -> R.Reply | None:
    """RFC 5321 4.1.1.3: an unknown local user, an address that cannot resolve, or relaying refused."""
    if answer.kind is Recipient.UNKNOWN:
        return R.UNKNOWN_USER.format(address=address)
    if answer.kind is Recipient.INVALID:
        return R.BAD_RECIPIENT_SYNTAX.format(text=answer.detail)
    if answer.kind is Recipient.REMOTE and not may_relay:
        return R.RELAY_DENIED.format(address=address)
    return None


def verify(store: Store, argument: str) -> tuple[R.Reply, bool]:
    """RFC 5321 4.1.1.6 / 3.5.3 when VRFY is on: the reply, and whether it counts as an error."""
    text = argument.strip()
    text = text[1:-1] if text.startswith("<") and text.endswith(">") else text
    try:
        address = P.parse_mailbox(text, utf8=True, recipient=True)
    except P.ParseError as exc:
        return exc.reply, True
    try:
        store.recipients.resolve(address)
    except (NotFound, InvalidInput):
        return R.UNKNOWN_USER.format(address=address), True
    return R.VRFY_OK.format(address=address), False
