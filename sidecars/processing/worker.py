"""The queue worker: takes due messages from the queue and gets each recipient to a final state.

Implementation notes:

* One pass over a message: delayed-delivery rules -> split recipients (local, remote, unknown;
  ``recipients``) -> the filter chain (``filters.chain.run``) -> where each copy goes (``routing``) ->
  footer -> local delivery (``delivery``: one ``store.mail.deliver`` per target folder, so one stored copy
  for all local recipients) -> relay per destination domain (``outbound``) -> reports -> ``finish`` when
  no recipient is left, else ``defer`` to the earliest retry time (``outcome.Pass.record``).
* Recipient states: pending ones are anything not in ``recipients.DONE``; a delivered recipient becomes
  ``sent``, a returned one ``local-error``/``relay-error``, filter outcomes ``filter-reject``/
  ``filter-discard``; a temporary failure leaves it ``send-failure`` with its attempt count raised by one.
* Exactly-once local delivery: ``store.mail.deliver(..., queue_id=, mark_sent=)`` marks each
  recipient ``sent`` in the same transaction that stores its (last) copy, so a crash at any point later
  in the pass (relay, reports, finish) or in between never delivers it again, and one before the commit
  loses nothing.
* Reports are queued/delivered before the recipients' final states are written: a crash in between
  repeats a report rather than losing it.
* A ``FilterUnavailable`` from the chain leaves the message untouched (state ``processed``) and due
  again after the retry interval; the whole chain runs again then (failsafe).
* Origin keys read from the queued message (written by SMTP receiving / WebMail): ``auth`` or
  ``auth_user`` (the authenticated sender, enables the footer), ``ret``, ``envid``, ``body``
  (``8BITMIME``), ``smtputf8``; per recipient ``dsn``: ``notify``, ``orcpt`` (RFC 3461).
* A claimed batch is worked on by up to ``queue.processing_threads`` threads (``lanes``): messages that
  share a recipient address go to the same thread, in queue order, so each mailbox still gets its UIDs
  in the order the messages were queued; the others run side by side, so their deliveries share group
  commits (storage.group_commit on SQLite; PostgreSQL merges concurrent commits' WAL flushes). Each
  thread has its own relay connection. The service stops between batches, after every thread is done.
* The clock is injectable (``clock()`` returns an aware UTC datetime), so tests drive the retry schedule.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from filters import FilterUnavailable, chain, identity
from filters.disposition import INBOX
from mailflow import bounces, recipients, reports
from mailflow.recipients import DONE, domain_of
from sidecars.processing import content, delivery, outbound, routing
from sidecars.processing.outcome import Pass
from sidecars.processing.redirects import redirected_copy
from sidecars.processing.schedule import SETTINGS as SCHEDULE_SETTINGS
from sidecars.processing.schedule import DomainHolds, RetryPolicy
from sidecars.relay import Relay, relay_from_settings
from storage.errors import InvalidInput, NotFound
from storage.names import utcnow
from storage.queue import QueuedMessage, QueuedRecipient

if TYPE_CHECKING:
    from storage.store import Store

LEASE = timedelta(minutes=10)
DOMAIN_SETTINGS = (
    *reports.SETTINGS,
    "queue.delay_warning_seconds",
    "appender.footer_text",
    "appender.footer_html",
    "relay.source_address",
)


class Worker:
    def __init__(
        self,
        store: Store,
        *,
        hostname: str,
        clock: Callable[[], datetime] = utcnow,
        relay_factory: Callable[[], Relay] | None = None,
        holds: DomainHolds | None = None,
        log: Any = None,
    ) -> None:
        self.store = store
        self.hostname = hostname
        self.clock = clock
        self.relay_factory = relay_factory or (lambda: relay_from_settings(store, hostname, log))
        self.holds = holds or DomainHolds()
        self.log = log
        self._local = threading.local()  # each lane thread's relay connection
        self.policy = RetryPolicy()
        # a domain's settings read once per claimed batch (``_domain_settings``), not per message
        self._batch_settings: dict[tuple[str, bool], dict[str, Any]] = {}

    # -- the loop ---------------------------------------------------------------------------------

    def run_once(self) -> int:
        """Process one batch of due messages; returns how many were taken."""
        self.policy = RetryPolicy.from_settings(
            self.store.settings.effective_many(SCHEDULE_SETTINGS), self.log
        )
        batch = self.store.queue.claim(limit=self.policy.batch_size, lease=LEASE)
        self._batch_settings = {}  # read again for each batch, as the policy above is
        split = lanes(batch, self.policy.threads)
        if len(split) <= 1:
            for lane in split:
                self._run_lane(lane)
        else:
            with ThreadPoolExecutor(len(split), thread_name_prefix="queue-lane") as pool:
                for done in [pool.submit(self._run_lane, lane) for lane in split]:
                    done.result()
        return len(batch)

    def _run_lane(self, messages: Sequence[QueuedMessage]) -> None:
        """Process messages one after the other (one lane of a batch), then close this thread's relay."""
        try:
            for msg in messages:
                try:
                    self.process(msg)
                except Exception as exc:  # one broken message must not stop the queue
                    self._warn("queue %d: processing failed: %r", msg.id, exc)
                    try:
                        self._retry(msg, self.clock(), "processed", f"processing failed: {exc}")
                    except Exception as again:  # the database is away: the lease brings it back
                        self._warn("queue %d: cannot defer: %r", msg.id, again)
        finally:
            relay: Relay | None = getattr(self._local, "relay", None)
            if relay is not None:
                relay.close()
                self._local.relay = None

    def relay(self) -> Relay:
        relay: Relay | None = getattr(self._local, "relay", None)
        if relay is None:
            relay = self._local.relay = self.relay_factory()
        return relay

    def _retry(self, msg: QueuedMessage, now: datetime, state: str, error: str) -> None:
        """The message is due again after the retry interval of its attempt count; its recipients that are
        not done yet are tried then (a broken message, unreadable text, a filter that is down)."""
        self.store.queue.defer(
            msg.id, now + timedelta(seconds=self.policy.delay(msg.attempts)), state=state, error=error
        )

    def _warn(self, fmt: str, *args: Any) -> None:
        if self.log is not None:
            self.log.warning(fmt, *args)

    # -- one message ------------------------------------------------------------------------------

    def process(self, msg: QueuedMessage) -> None:
        now = self.clock()
        pending = [r for r in msg.recipients if r.state not in DONE]
        if not pending:
            self.store.queue.finish(msg.id)
            return
        hold = self.policy.hold_until(msg.sender, [r.address for r in pending], msg.size, msg.received_at)
        if hold is not None and hold > now:
            self.store.queue.defer(
                msg.id,
                hold,
                state=msg.state if msg.state != "processing" else "received",
                error="held by a delayed delivery rule",
            )
            return
        try:
            raw = self.store.queue.raw(msg.id)
        except (NotFound, OSError) as exc:
            self._retry(msg, now, "io-error", f"cannot read the message: {exc}")
            return
        local, remote, unknown = recipients.split(self.store, pending)
        answers = identity.answers(self.store, [r.address for r in pending])  # to challenge addresses
        local = [a for a in local if a not in answers]
        unknown = {a: why for a, why in unknown.items() if a not in answers}
        try:
            verdict = chain.run(self.store, msg, raw, recipients=local + remote)
        except FilterUnavailable as exc:
            self._retry(msg, now, "processed", f"filter unavailable: {exc}")
            return
        if verdict.message is not None:  # the scanners' level fields and milter edits
            raw = verdict.message
        sender_settings = self._domain_settings(domain_of(msg.sender) if msg.sender else "")
        warning_after = int(sender_settings["queue.delay_warning_seconds"])
        out = Pass(self.policy, msg.received_at, now, warning_after)
        for address in answers:
            self._answer(msg, raw, address, out)
        for address, reason in unknown.items():
            out.failed[address] = reports.RecipientStatus(address, "5.1.1", f"550 5.1.1 {reason}")
        body = self._with_footer(msg, raw)
        by_rcpt = {r.address: r for r in pending}
        routes = routing.route(self.store, verdict, local, remote, out, raw, msg.id, self.log)
        keep_folder = msg.origin.get("keep_folder")
        if isinstance(keep_folder, str) and keep_folder and keep_folder != INBOX:
            # mail fetched from a remote mailbox for a folder of its own (sidecars/rpop): what the
            # filters keep goes there instead of INBOX; what they file elsewhere stays where they put it
            routes = routes._replace(local=routing.keep_into(routes.local, keep_folder))
        if routes.redirects:
            to = sorted(set(routes.redirects))
            copy = redirected_copy(raw, msg.sender, self.hostname, msg.id, to, now)
            self.store.queue.enqueue(copy, msg.sender, to, origin={"redirected_from": msg.id})
        delivery.deliver_local(
            self.store,
            msg,
            body,
            routes.local,
            by_rcpt,
            out,
            self.log,
            self.hostname,
            may_finish=not routes.remote,
        )
        source_address = sender_settings.get("relay.source_address") or None
        outbound.relay_remote(
            self.store, self.relay, self.holds, msg, body, routes.remote, by_rcpt, out, source_address
        )
        self._conclude(msg, raw, by_rcpt, out, sender_settings)

    def _answer(self, msg: QueuedMessage, raw: bytes, address: str, out: Pass) -> None:
        """A message to an identity confirmation address: confirm its sender (``filters.identity``)."""
        outcome = identity.confirm_by_message(self.store, msg, raw, address, log=self.log)
        if outcome.refusal:  # the sender learns why (a failure report), unless it was a bounce
            out.failed[address] = reports.RecipientStatus(address, "5.7.1", f"550 5.7.1 {outcome.refusal}")
            out.silent[address] = "filter-reject"
        else:
            out.silent[address] = "sent" if outcome.confirmed else "filter-discard"

    def _with_footer(self, msg: QueuedMessage, raw: bytes) -> bytes:
        user = msg.origin.get("auth") or msg.origin.get("auth_user")
        if not user or "@" not in str(user):
            return raw
        values = self._domain_settings(domain_of(str(user)), local_only=True)
        if not values:
            return raw
        return content.add_footer(raw, values["appender.footer_text"], values["appender.footer_html"])

    def _domain_settings(self, domain: str, local_only: bool = False) -> dict[str, Any]:
        """The delivery settings of a (sender's or author's) domain, read once per claimed batch: most
        messages of a batch share their sender domain, and each read was two read transactions (the
        domain's id, then its settings). A change applies from the next batch, as the policy's do."""
        key = (domain, local_only)
        values = self._batch_settings.get(key)
        if values is None:
            values = self._batch_settings[key] = self._read_domain_settings(domain, local_only)
        return dict(values)

    def _read_domain_settings(self, domain: str, local_only: bool) -> dict[str, Any]:
        domain_id = None
        if domain:
            try:
                domain_id = self.store.domains.id_by_name(domain)
            except (NotFound, InvalidInput):
                if local_only:
                    return {}
        elif local_only:
            return {}
        return dict(self.store.settings.effective_many(DOMAIN_SETTINGS, domain_id=domain_id))

    # -- after delivery ---------------------------------------------------------------------------

    def _conclude(
        self,
        msg: QueuedMessage,
        raw: bytes,
        by_rcpt: dict[str, QueuedRecipient],
        out: Pass,
        values: dict[str, Any],
    ) -> None:
        """Reports first, then the recipients' states (a crash in between repeats a report)."""
        out.expire_waiting(by_rcpt)  # held back by the virtual queue: past the lifetime?
        to_report = out.failure_report(by_rcpt)
        if to_report and msg.sender:
            self._send_report(reports.FAILED, msg, raw, to_report, values, out.now)
        warn = out.delay_report(by_rcpt)
        if warn and msg.sender:
            self._send_report(reports.DELAYED, msg, raw, warn, values, out.now)
        out.record(self.store, msg.id, by_rcpt, lambda address: recipients.is_local(self.store, address))

    def _send_report(
        self,
        action: str,
        msg: QueuedMessage,
        raw: bytes,
        statuses: list[reports.RecipientStatus],
        values: dict[str, Any],
        now: datetime,
    ) -> None:
        bounces.send_report(
            self.store,
            action,
            msg,
            raw,
            statuses,
            values,
            hostname=self.hostname,
            retry_until=self.policy.retry_until(msg.received_at),
            now=now,
            log=self.log,
        )


def lanes(batch: Sequence[QueuedMessage], threads: int) -> list[list[QueuedMessage]]:
    """Split a claimed batch into at most ``threads`` lanes to be worked on side by side.

    Messages that share a recipient address (case-insensitive), directly or through a chain of other
    messages, land in the same lane, in batch (queue) order: a mailbox gets its copies one after the
    other, so its UIDs follow the queue. Whole groups are dealt to the lane holding the fewest
    messages so far. (Two addresses that are aliases of one mailbox may still go to different lanes:
    both copies are delivered, their order among themselves is then not the queue's.)
    """
    parent = list(range(len(batch)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for i, msg in enumerate(batch):
        for r in msg.recipients:
            j = first.setdefault(r.address.lower(), i)
            a, b = root(i), root(j)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for i in range(len(batch)):
        groups.setdefault(root(i), []).append(i)
    out: list[list[int]] = [[] for _ in range(max(1, min(threads, len(groups))))]
    for group in sorted(groups.values(), key=len, reverse=True):
        min(out, key=len).extend(group)
    return [[batch[i] for i in sorted(lane)] for lane in out if lane]
