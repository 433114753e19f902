"""When to try again: the retry policy, delayed-delivery (hold) rules, and per-domain availability.

* Retries: the n-th temporary failure of a recipient waits ``queue.retry_first_seconds * 2**(n-1)``,
  capped at ``queue.retry_max_interval_seconds``. A recipient is given up (returned to the sender) once
  it has failed ``queue.max_retries`` times (when that is not 0) or the message is older than
  ``queue.max_lifetime_seconds``.
* The delay warning goes out once, on the failure whose scheduled waits add up to at least
  ``queue.delay_warning_seconds``; it is derived from the attempt count, so it needs no stored flag.
* Hold rules (``queue.hold_rules``, ``FIELD:PATTERN:MINUTES``) keep a matching message in the queue until
  that long after it was queued.
* ``DomainHolds`` are the "virtual queues": after a domain-level temporary failure (no host reachable,
  4xx greeting, DNS trouble) every message for that domain waits until the domain's retry time instead of
  trying on its own; it lives in the processing process's memory (a restart forgets it, and the first
  due message probes the domain again).
* Housekeeping (``housekeeping_jobs``, ``run_due``): jobs the service runs every so often between queue
  runs, such as removing expired greylisting rows, vacation reply records past the longest vacation
  period, identity challenges nobody answered within ``identity.pending_days``, change-feed rows
  older than ``changes.retention_seconds`` and temporary aliases past their expiry; and, every minute,
  the reminder mails of events and tasks whose alarm is due (``mailflow.meetings.reminders``).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mailflow.meetings import reminders

if TYPE_CHECKING:
    from storage.store import Store

SETTINGS = (
    "queue.retry_first_seconds",
    "queue.retry_max_interval_seconds",
    "queue.max_lifetime_seconds",
    "queue.max_retries",
    "queue.delay_warning_seconds",
    "queue.hold_rules",
    "queue.batch_size",
    "queue.processing_threads",
)


@dataclass(frozen=True)
class HoldRule:
    field: str  # sender | recipient | size
    pattern: str
    minutes: int
    min_size: int = 0

    def matches(self, sender: str, recipients: list[str], size: int) -> bool:
        if self.field == "size":
            return size >= self.min_size
        if self.field == "sender":
            return fnmatch.fnmatchcase(sender.lower(), self.pattern)
        return any(fnmatch.fnmatchcase(r.lower(), self.pattern) for r in recipients)


def parse_hold_rule(text: str) -> HoldRule:
    """``sender:*@news.test:30``, ``recipient:all@example.test:10``, ``size:10M:60``.

    Raises:
        ValueError: the rule cannot be read.
    """
    field, sep1, rest = text.strip().partition(":")
    pattern, sep2, minutes = rest.rpartition(":")
    field = field.lower()
    if not (sep1 and sep2) or field not in ("sender", "recipient", "size") or not pattern:
        raise ValueError(f"hold rule {text!r}: expected sender|recipient|size:PATTERN:MINUTES")
    if not minutes.isdigit():
        raise ValueError(f"hold rule {text!r}: minutes must be a whole number")
    if field == "size":
        m = re.fullmatch(r"(\d+)([kmg]?)b?", pattern.strip().lower())
        if not m:
            raise ValueError(f"hold rule {text!r}: {pattern!r} is not a size (examples: 500K, 10M)")
        size = int(m.group(1)) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[m.group(2)]
        return HoldRule(field, pattern, int(minutes), size)
    return HoldRule(field, pattern.lower(), int(minutes))


@dataclass(frozen=True)
class RetryPolicy:
    first: int = 60
    max_interval: int = 3600
    lifetime: int = 5 * 86400
    max_retries: int = 0
    delay_warning: int = 4 * 3600
    hold_rules: tuple[HoldRule, ...] = ()
    batch_size: int = 20
    threads: int = 1

    @classmethod
    def from_settings(cls, values: Mapping[str, Any], log: Any = None) -> RetryPolicy:
        rules = []
        for text in values["queue.hold_rules"]:
            try:
                rules.append(parse_hold_rule(text))
            except Exception as exc:  # one bad rule must not stop the queue
                if log is not None:
                    log.error("%s", exc)
        return cls(
            first=int(values["queue.retry_first_seconds"]),
            max_interval=int(values["queue.retry_max_interval_seconds"]),
            lifetime=int(values["queue.max_lifetime_seconds"]),
            max_retries=int(values["queue.max_retries"]),
            delay_warning=int(values["queue.delay_warning_seconds"]),
            hold_rules=tuple(rules),
            batch_size=int(values["queue.batch_size"]),
            threads=int(values["queue.processing_threads"]),
        )

    def delay(self, failures: int) -> int:
        """Seconds to wait after the ``failures``-th temporary failure (1-based)."""
        n = max(1, failures)
        return min(self.first * (1 << min(n - 1, 40)), self.max_interval)

    def give_up(self, failures: int, received_at: datetime, now: datetime) -> bool:
        if self.max_retries and failures >= self.max_retries:
            return True
        return now - received_at >= timedelta(seconds=self.lifetime)

    def retry_until(self, received_at: datetime) -> datetime:
        return received_at + timedelta(seconds=self.lifetime)

    def warn_now(self, failures: int, after: int | None = None) -> bool:
        """Whether the ``failures``-th failure is the one after which the sender hears of the delay
        (``after``: the warning delay in seconds for this sender's domain; default the server's)."""
        after = self.delay_warning if after is None else after
        if not after or failures < 1:
            return False
        waited_before = sum(self.delay(i) for i in range(1, failures))
        return waited_before < after <= waited_before + self.delay(failures)

    def hold_until(
        self, sender: str, recipients: list[str], size: int, received_at: datetime
    ) -> datetime | None:
        minutes = max((r.minutes for r in self.hold_rules if r.matches(sender, recipients, size)), default=0)
        return received_at + timedelta(minutes=minutes) if minutes else None


class DomainHolds:
    """Per-destination-domain availability (virtual queues), in this process's memory."""

    def __init__(self) -> None:
        self._until: dict[str, datetime] = {}
        self._troubled: set[str] = set()  # a temporary failure since the last success

    def held_until(self, domain: str, now: datetime) -> datetime | None:
        until = self._until.get(domain)
        if until is None or until <= now:
            return None
        return until

    def hold(self, domain: str, until: datetime) -> None:
        self._until[domain] = until
        self._troubled.add(domain)

    def trouble(self, domain: str) -> None:
        """A recipient-level temporary failure: the domain is up, but some mail for it waits."""
        self._troubled.add(domain)

    def succeeded(self, domain: str) -> bool:
        """Record a delivery; True when messages waiting for the domain should be released now."""
        self._until.pop(domain, None)
        if domain in self._troubled:
            self._troubled.discard(domain)
            return True
        return False


# -- periodic housekeeping: jobs the processing service runs every so often between queue runs


@dataclass
class PeriodicJob:
    """One housekeeping job; ``next_at`` lives in the process's memory (a restart runs it at once)."""

    name: str
    interval: timedelta
    run: Callable[[Any, datetime], object]  # called with the store and the time; a number returned is logged
    next_at: datetime | None = None


def _prune_greylist(store: Store, now: datetime) -> int:
    from filters.checks import greylist

    return greylist.prune(store, now=now)


#: Vacation reply records older than the longest period a script may ask for (RFC 5230 :days, clamped
#: to 1..45 by the Sieve engine) can no longer hold a reply back.
VACATION_KEEP = timedelta(days=46)


def _prune_vacation(store: Store, now: datetime) -> int:
    return int(store.scripts.prune_vacation(VACATION_KEEP, now=now))


def _expire_confirmations(store: Store, now: datetime) -> int:
    """Unanswered identity challenges older than ``identity.pending_days`` stop working."""
    days = int(store.settings.get("identity.pending_days"))
    return int(store.confirmations.expire_pending(timedelta(days=days), now=now))


def _prune_login_failures(store: Store, now: datetime) -> int:
    """Failed-login rows whose window and lock are over (a login service prunes too, but only when
    failures keep coming)."""
    return int(store.auth.throttle.prune(now=now))


def _release_expunged_holds(store: Store, now: datetime) -> int:
    """Expunged messages held for IMAP sessions (RFC 2180 4.1.1) whose imap.expunged_hold_seconds are
    over: their bodies are released, and collected when nothing else uses them (storage.holds)."""
    return int(store.holds.release_expired(now=now))


def _prune_change_feed(store: Store, now: datetime) -> int:
    """Change-feed rows older than ``changes.retention_seconds``: every process read them long ago."""
    keep = timedelta(seconds=int(store.settings.get("changes.retention_seconds")))
    return int(store.changes.prune(keep, now=now))


def _remove_expired_aliases(store: Store, now: datetime) -> int:
    """Temporary aliases past their expiry (lookups already refuse them; this frees their names)."""
    return int(store.accounts.remove_expired_aliases(now=now))


def _send_reminders(store: Store, now: datetime) -> int:
    """Reminder mails of events and tasks whose alarm is due (mailflow.meetings.reminders)."""
    return reminders.sweep(store, now)


def housekeeping_jobs() -> list[PeriodicJob]:
    """The periodic jobs of one processing process, each due at the first ``run_due``."""
    return [
        PeriodicJob("greylist prune", timedelta(hours=1), _prune_greylist),
        PeriodicJob("vacation replies prune", timedelta(hours=1), _prune_vacation),
        PeriodicJob("identity challenges expiry", timedelta(hours=1), _expire_confirmations),
        PeriodicJob("login failures prune", timedelta(hours=1), _prune_login_failures),
        PeriodicJob("expunged holds release", timedelta(minutes=10), _release_expunged_holds),
        PeriodicJob("change feed prune", timedelta(hours=1), _prune_change_feed),
        PeriodicJob("temporary aliases expiry", timedelta(hours=1), _remove_expired_aliases),
        PeriodicJob("reminder mails", timedelta(minutes=1), _send_reminders),
    ]


def run_due(jobs: list[PeriodicJob], store: Store, now: datetime, log: Any = None) -> list[str]:
    """Run the jobs that are due and schedule their next run; returns the names of those run. A job
    that fails is logged and tried again at its next interval: housekeeping must not stop the queue."""
    ran: list[str] = []
    for job in jobs:
        if job.next_at is not None and now < job.next_at:
            continue
        job.next_at = now + job.interval
        ran.append(job.name)
        try:
            result = job.run(store, now)
        except Exception as exc:
            if log is not None:
                log.error("%s failed: %r", job.name, exc)
            continue
        if log is not None and isinstance(result, int) and result:
            log.info("%s: %d rows", job.name, result)
    return ran
