"""What one processing pass found out, recipient by recipient, and how it is written back to the queue.

Implementation notes:

* A recipient ends a pass in one of: ``delivered`` (already marked ``sent``, by local delivery's own
  transaction or by the relay step), ``failed`` (permanent: reported, then ``local-error`` /
  ``relay-error`` or the filter state in ``silent``), ``silent`` (a final state without a report),
  ``temporary`` (``send-failure``, attempt count raised) or ``waiting`` (held back by a virtual queue,
  not attempted, so its attempt count stays).
* ``retry_later`` is the one place a temporary failure is turned into a retry time, a delay warning, or,
  past the retry lifetime, a permanent failure with the same status class raised to 5.
* ``record`` runs after the reports are queued, so a crash in between repeats a report rather than
  losing it; it ends with ``finish`` when no recipient is left, else ``defer`` to the earliest retry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from mailflow import reports
from mailflow.recipients import TEMPORARY_STATE, domain_of
from sidecars.processing.schedule import RetryPolicy
from storage.queue import QueuedRecipient

if TYPE_CHECKING:
    from storage.store import Store


@dataclass
class Pass:
    """One pass over one message: the retry policy and clock it runs under, and each recipient's outcome."""

    policy: RetryPolicy
    received_at: datetime
    now: datetime
    warning_after: int | None  # queue.delay_warning_seconds of the sender's domain
    failed: dict[str, reports.RecipientStatus] = field(default_factory=dict)  # permanent, to report
    silent: dict[str, str] = field(default_factory=dict)  # address -> final state, no report
    delivered: set[str] = field(default_factory=set)
    temporary: dict[str, tuple[str, int]] = field(default_factory=dict)  # address -> (reason, failures)
    waiting: dict[str, datetime] = field(default_factory=dict)  # held back, not attempted: until
    warn: dict[str, reports.RecipientStatus] = field(default_factory=dict)
    queue_finished: bool = False  # local delivery already removed the message (nothing else was left)

    def retry_later(self, r: QueuedRecipient, reply: str, status: str, host: str | None = None) -> datetime:
        """A temporary failure of ``r``: when to try again (now when the message's lifetime is over and
        the failure became permanent); a delay warning is due once ``warning_after`` has passed.

        Args:
            reply: the text the sender is shown (the remote server's reply, or ours).
            status: its RFC 3463 status ("4.2.2"), given by whoever failed, never parsed back from the text.
        """
        failures = r.attempts + 1
        if self.policy.give_up(failures, self.received_at, self.now):
            final = "5" + status[1:]
            self.failed[r.address] = reports.RecipientStatus(
                r.address, final, f"{reply} (gave up after {failures} attempt(s))", host, reports.orcpt(r)
            )
            return self.now
        self.temporary[r.address] = (reply, failures)
        if self.policy.warn_now(failures, self.warning_after):
            self.warn[r.address] = reports.RecipientStatus(r.address, status, reply, host, reports.orcpt(r))
        return self.now + timedelta(seconds=self.policy.delay(failures))

    def expire_waiting(self, by_rcpt: dict[str, QueuedRecipient]) -> None:
        """Recipients held back by a virtual queue fail for good once the message's lifetime is over."""
        for address in list(self.waiting):
            if self.policy.give_up(0, self.received_at, self.now):
                reply = f"451 4.4.1 {domain_of(address)} stayed unreachable until the message expired"
                self.failed[address] = reports.RecipientStatus(
                    address, "5.4.7", reply, None, reports.orcpt(by_rcpt[address])
                )
                del self.waiting[address]

    def failure_report(self, by_rcpt: dict[str, QueuedRecipient]) -> list[reports.RecipientStatus]:
        """The failures the sender asked to hear of (RFC 3461 NOTIFY); a discard is never reported."""
        return [
            s
            for a, s in self.failed.items()
            if self.silent.get(a) != "filter-discard" and reports.wants(by_rcpt[a], "FAILURE")
        ]

    def delay_report(self, by_rcpt: dict[str, QueuedRecipient]) -> list[reports.RecipientStatus]:
        """The delay warnings due, unless the sender's NOTIFY leaves DELAY out (it is on by default)."""
        return [s for a, s in self.warn.items() if reports.wants(by_rcpt[a], "DELAY", default=True)]

    def record(
        self,
        store: Store,
        msg_id: int,
        by_rcpt: dict[str, QueuedRecipient],
        is_local: Callable[[str], bool],
    ) -> None:
        """Write each recipient's state, then finish the message or defer it to its next retry time."""
        if self.queue_finished:  # every recipient delivered, and the message removed, in that commit
            return
        for address, status in self.failed.items():
            state = self.silent.get(address) or ("local-error" if is_local(address) else "relay-error")
            store.queue.set_recipient(msg_id, address, state, status.diagnostic)
        for address, state in self.silent.items():
            if address not in self.failed:
                store.queue.set_recipient(msg_id, address, state)
        for address, (reply, _n) in self.temporary.items():
            store.queue.set_recipient(msg_id, address, TEMPORARY_STATE, reply)
        left = [
            a for a in by_rcpt if a not in self.delivered and a not in self.failed and a not in self.silent
        ]
        if not left:
            store.queue.finish(msg_id)
            return
        now = self.now
        times = [now + timedelta(seconds=self.policy.delay(n)) for _r, n in self.temporary.values()]
        times += list(self.waiting.values())
        when = min(times) if times else now + timedelta(seconds=self.policy.first)
        errors = "; ".join(f"{a}: {r}" for a, (r, _n) in self.temporary.items())
        if self.waiting and not errors:
            errors = (
                "waiting for "
                + ", ".join(sorted({domain_of(a) for a in self.waiting}))
                + " to be reachable again"
            )
        store.queue.defer(msg_id, when, state=TEMPORARY_STATE, error=errors[:2000] or None)
