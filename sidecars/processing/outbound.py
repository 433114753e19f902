"""Remote recipients: one relay attempt per destination domain, and the virtual queue around it.

Implementation notes:

* The copy that leaves has no Return-Path (a relay does not pass it on, RFC 5321 4.4) and, for mail of
  local users, a DKIM signature (``filters.dkim_sign``). SMTPUTF8 and 8BITMIME are asked for when the
  origin said so or when the envelope or the text needs them.
* Virtual queue (``schedule.DomainHolds``): a domain held as unreachable is not even tried; its recipients
  wait (no attempt counted) until the hold ends. A domain that answered "unavailable" is held until the
  earliest retry; the first success after trouble makes every message waiting for it due now.
* Per recipient: delivered -> ``sent`` at once; permanent -> a failure to report (``relay-error``);
  temporary -> ``Pass.retry_later`` with the remote host named in the report.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from filters import dkim_sign
from mailflow import reports
from mailflow.recipients import DONE, TEMPORARY_STATE, domain_of
from sidecars.processing import content
from sidecars.processing.outcome import Pass
from sidecars.processing.schedule import DomainHolds
from sidecars.relay import DELIVERED, PERMANENT, OutboundEnvelope, Relay
from storage.queue import QueuedMessage, QueuedRecipient

if TYPE_CHECKING:
    from storage.store import Store


def relay_remote(
    store: Store,
    relay: Callable[[], Relay],
    holds: DomainHolds,
    msg: QueuedMessage,
    body: bytes,
    by_domain: dict[str, list[str]],
    by_rcpt: dict[str, QueuedRecipient],
    out: Pass,
    source_address: str | None,
) -> None:
    """Send ``body`` to each destination domain's recipients (``relay()`` opens the relay on first use)."""
    origin = msg.origin
    now = out.now
    smtputf8 = bool(origin.get("smtputf8")) or not (msg.sender + "".join(by_rcpt)).isascii()
    body_8bit = str(origin.get("body", "")).upper() == "8BITMIME" or not body.isascii()
    if not by_domain:
        return
    # a relay does not pass Return-Path on (RFC 5321 4.4); local users' mail leaves DKIM-signed
    outgoing = dkim_sign.sign_outgoing(store, origin, content.without_return_path(body))
    for domain, addresses in by_domain.items():
        until = holds.held_until(domain, now)
        if until is not None:  # virtual queue: the domain is down, do not even try
            for a in addresses:
                out.waiting[a] = until
            continue
        envelope = OutboundEnvelope(
            sender=msg.sender,
            recipients=tuple(addresses),
            dsn={a: by_rcpt[a].dsn for a in addresses},
            ret=origin.get("ret"),
            envid=origin.get("envid"),
            smtputf8=smtputf8,
            body_8bit=body_8bit,
        )
        result = relay().send(domain, envelope, outgoing, source_address=source_address)
        next_try: datetime | None = None
        for a in addresses:
            r = result.results[a]
            if r.outcome == DELIVERED:
                store.queue.set_recipient(msg.id, a, "sent", r.reply)
                out.delivered.add(a)
            elif r.outcome == PERMANENT:
                out.failed[a] = reports.RecipientStatus(
                    a, r.status, r.reply, r.host, reports.orcpt(by_rcpt[a])
                )
                out.silent.setdefault(a, "relay-error")
            else:
                when = out.retry_later(by_rcpt[a], r.reply, r.status, r.host)
                next_try = when if next_try is None else min(next_try, when)
        if result.unavailable and next_try is not None:
            holds.hold(domain, next_try)
        elif next_try is not None:
            holds.trouble(domain)
        if any(result.results[a].outcome == DELIVERED for a in addresses) and holds.succeeded(domain):
            release(store, domain, msg.id, now)


def release(store: Store, domain: str, current: int, now: datetime) -> None:
    """The first success after trouble: messages waiting for the domain are due now."""
    for other in store.queue.list(recipient="@" + domain, states=[TEMPORARY_STATE], limit=10_000):
        if other.id == current or other.next_attempt_at <= now:
            continue
        if any(domain_of(r.address) == domain and r.state not in DONE for r in other.recipients):
            store.queue.defer(other.id, now, state=TEMPORARY_STATE, error=other.last_error)
