"""The queue worker: takes due messages from the queue and gets each recipient to a final state.

Implementation notes:

* One pass over a message: delayed-delivery rules -> split recipients (local, remote, unknown) -> the
  filter chain (``filters.chain.run``) -> footer -> local delivery (one ``store.mail.deliver`` per target
  folder, so one stored copy for all local recipients) -> relay per destination domain -> reports ->
  ``finish`` when no recipient is left, else ``defer`` to the earliest retry time.
* Recipient states: pending ones are anything not in ``DONE``; a delivered recipient becomes ``sent``,
  a returned one ``local-error``/``relay-error``, filter outcomes ``filter-reject``/``filter-discard``;
  a temporary failure leaves it ``send-failure`` with its attempt count raised by one.
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
* The clock is injectable (``clock()`` returns an aware UTC datetime), so tests drive the retry schedule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from filters import FilterUnavailable, chain, dkim_sign, identity
from sidecars.processing import content, reports, targets
from sidecars.processing.redirects import loop_suspected, redirected_copy
from sidecars.processing.schedule import SETTINGS as SCHEDULE_SETTINGS
from sidecars.processing.schedule import DomainHolds, RetryPolicy
from sidecars.relay import DELIVERED, PERMANENT, OutboundEnvelope, Relay, relay_from_settings
from storage.errors import InvalidInput, NotFound, StorageError
from storage.groups import resolve
from storage.names import utcnow
from storage.queue import QueuedMessage, QueuedRecipient

DONE = frozenset({"sent", "relay-error", "local-error", "filter-reject", "filter-discard", "removed"})
TEMPORARY_STATE = "send-failure"
LEASE = timedelta(minutes=10)
DOMAIN_SETTINGS = (
    "ndr.sender",
    "ndr.subject",
    "ndr.text",
    "ndr.delay_subject",
    "ndr.delay_text",
    "ndr.attach",
    "queue.delay_warning_seconds",
    "appender.footer_text",
    "appender.footer_html",
    "relay.source_address",
)


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


@dataclass
class Pass:
    """What one processing pass found out, recipient by recipient."""

    failed: dict[str, reports.RecipientStatus] = field(default_factory=dict)  # permanent, to report
    silent: dict[str, str] = field(default_factory=dict)  # address -> final state, no report
    delivered: set[str] = field(default_factory=set)
    temporary: dict[str, tuple[str, int]] = field(default_factory=dict)  # address -> (reason, failures)
    waiting: dict[str, datetime] = field(default_factory=dict)  # held back, not attempted: until
    warn: dict[str, reports.RecipientStatus] = field(default_factory=dict)


class Worker:
    def __init__(
        self,
        store: Any,
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
        self._relay: Relay | None = None
        self.policy = RetryPolicy()
        self._warning_after: int | None = None

    # -- the loop ---------------------------------------------------------------------------------

    def run_once(self) -> int:
        """Process one batch of due messages; returns how many were taken."""
        with self.store.db.read() as conn:
            self.policy = RetryPolicy.from_settings(
                self.store.settings_many(conn, SCHEDULE_SETTINGS), self.log
            )
        batch = self.store.queue.claim(limit=self.policy.batch_size, lease=LEASE)
        try:
            for msg in batch:
                try:
                    self.process(msg)
                except Exception as exc:  # one broken message must not stop the queue
                    self._warn("queue %d: processing failed: %r", msg.id, exc)
                    self.store.queue.defer(
                        msg.id,
                        self.clock() + timedelta(seconds=self.policy.delay(msg.attempts)),
                        state="processed",
                        error=f"processing failed: {exc}",
                    )
        finally:
            if self._relay is not None:
                self._relay.close()
                self._relay = None
        return len(batch)

    def relay(self) -> Relay:
        if self._relay is None:
            self._relay = self.relay_factory()
        return self._relay

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
            self.store.queue.defer(
                msg.id,
                now + timedelta(seconds=self.policy.delay(msg.attempts)),
                state="io-error",
                error=f"cannot read the message: {exc}",
            )
            return
        local, remote, unknown = self._split(pending)
        answers = identity.answers(self.store, [r.address for r in pending])  # to challenge addresses
        local = [a for a in local if a not in answers]
        unknown = {a: why for a, why in unknown.items() if a not in answers}
        try:
            verdict = chain.run(self.store, msg, raw, recipients=local + remote)
        except FilterUnavailable as exc:
            self.store.queue.defer(
                msg.id,
                now + timedelta(seconds=self.policy.delay(msg.attempts)),
                state="processed",
                error=f"filter unavailable: {exc}",
            )
            return
        if verdict.message is not None:  # the scanners' level fields and milter edits
            raw = verdict.message
        sender_settings = self._domain_settings(domain_of(msg.sender) if msg.sender else "")
        self._warning_after = int(sender_settings["queue.delay_warning_seconds"])
        out = Pass()
        for address in answers:
            self._answer(msg, raw, address, out)
        for address, reason in unknown.items():
            out.failed[address] = reports.RecipientStatus(address, "5.1.1", f"550 5.1.1 {reason}")
        body = self._with_footer(msg, raw)
        by_rcpt = {r.address: r for r in pending}
        local_targets, relay_targets, redirects = self._apply(verdict, local, remote, out, msg, raw)
        if redirects:
            to = sorted(set(redirects))
            copy = redirected_copy(raw, msg.sender, self.hostname, msg.id, to, now)
            self.store.queue.enqueue(copy, msg.sender, to, origin={"redirected_from": msg.id})
        self._deliver_local(msg, body, local_targets, by_rcpt, out, now)
        self._relay_remote(msg, body, relay_targets, by_rcpt, out, now, sender_settings)
        self._conclude(msg, raw, by_rcpt, out, now, sender_settings)

    def bounce(self, qid: int, reason: str = "returned to the sender by the postmaster") -> int:
        """Give up on a queued message now: report its pending recipients to the sender, then remove it.
        Returns how many recipients were reported.

        Raises:
            storage.NotFound: no such queued message.
        """
        msg = self.store.queue.get(qid)
        now = self.clock()
        values = self._domain_settings(domain_of(msg.sender) if msg.sender else "")
        pending = [r for r in msg.recipients if r.state not in DONE]
        statuses = [
            reports.RecipientStatus(
                r.address, "5.0.0", f"{reason}; last error: {r.last_error or 'none'}", None, reports.orcpt(r)
            )
            for r in pending
        ]
        if statuses and msg.sender:
            self._send_report(reports.FAILED, msg, self.store.queue.raw(qid), statuses, values, now)
        for r in pending:
            state = "local-error" if self._is_local(r.address) else "relay-error"
            self.store.queue.set_recipient(qid, r.address, state, reason)
        self.store.queue.finish(qid)
        return len(statuses)

    def _split(self, pending: list[QueuedRecipient]) -> tuple[list[str], list[str], dict[str, str]]:
        local: list[str] = []
        remote: list[str] = []
        unknown: dict[str, str] = {}
        with self.store.db.read() as conn:
            for r in pending:
                try:
                    self.store.domains.id_of(conn, domain_of(r.address))
                except NotFound:
                    remote.append(r.address)
                    continue
                except InvalidInput as exc:
                    unknown[r.address] = str(exc)
                    continue
                try:
                    resolve(self.store, conn, r.address)
                    local.append(r.address)
                except (NotFound, InvalidInput) as exc:
                    unknown[r.address] = str(exc)
        return local, remote, unknown

    def _answer(self, msg: QueuedMessage, raw: bytes, address: str, out: Pass) -> None:
        """A message to an identity confirmation address: confirm its sender (``filters.identity``)."""
        outcome = identity.confirm_by_message(self.store, msg, raw, address, log=self.log)
        if outcome.refusal:  # the sender learns why (a failure report), unless it was a bounce
            out.failed[address] = reports.RecipientStatus(address, "5.7.1", f"550 5.7.1 {outcome.refusal}")
            out.silent[address] = "filter-reject"
        else:
            out.silent[address] = "sent" if outcome.confirmed else "filter-discard"

    def _apply(
        self,
        verdict: chain.Verdict,
        local: list[str],
        remote: list[str],
        out: Pass,
        msg: QueuedMessage,
        raw: bytes,
    ) -> tuple[dict[targets.Target, list[str]], dict[str, list[str]], list[str]]:
        """Filter actions -> (local groups by target: folder, headers, flags; remote by domain, redirects).

        Redirects of a message that has gone round too often are dropped (``redirects`` module).
        """
        groups: dict[targets.Target, list[str]] = {}
        by_domain: dict[str, list[str]] = {}
        redirects: list[str] = []
        loop: bool | None = None
        for address in local + remote:
            actions = verdict.for_recipient(address)
            if any(isinstance(a, chain.Redirect) for a in actions):
                loop = loop_suspected(self.store, raw) if loop is None else loop
                if loop:
                    dropped = ", ".join(a.address for a in actions if isinstance(a, chain.Redirect))
                    self._warn(
                        "queue %d: mail loop suspected, redirect of %s to %s not done",
                        msg.id,
                        address,
                        dropped,
                    )
                    actions = tuple(a for a in actions if not isinstance(a, chain.Redirect))
            headers = tuple((a.name, a.value) for a in actions if isinstance(a, chain.AddHeader))
            rejects = [a for a in actions if isinstance(a, chain.Reject)]
            if rejects:
                out.failed[address] = reports.RecipientStatus(
                    address, "5.7.1", f"550 5.7.1 {rejects[0].text}"
                )
                out.silent[address] = "filter-reject"
                continue
            redirects += [a.address for a in actions if isinstance(a, chain.Redirect)]
            folders = targets.targets_of(actions, headers)
            discard = any(isinstance(a, chain.Discard) for a in actions)
            if not folders and not discard and not any(isinstance(a, chain.Redirect) for a in actions):
                folders = [targets.Target(targets.INBOX, headers)]  # implicit keep (RFC 5228 2.10.2)
            if not folders:  # discarded, or redirected only
                out.silent[address] = "filter-discard" if discard else "sent"
                continue
            if address in remote:
                by_domain.setdefault(domain_of(address), []).append(address)
                continue
            for target in folders:
                groups.setdefault(target, []).append(address)
        return groups, by_domain, redirects

    def _with_footer(self, msg: QueuedMessage, raw: bytes) -> bytes:
        user = msg.origin.get("auth") or msg.origin.get("auth_user")
        if not user or "@" not in str(user):
            return raw
        values = self._domain_settings(domain_of(str(user)), local_only=True)
        if not values:
            return raw
        return content.add_footer(raw, values["appender.footer_text"], values["appender.footer_html"])

    def _domain_settings(self, domain: str, local_only: bool = False) -> dict[str, Any]:
        with self.store.db.read() as conn:
            domain_id = None
            if domain:
                try:
                    domain_id = self.store.domains.id_of(conn, domain)
                except (NotFound, InvalidInput):
                    if local_only:
                        return {}
            elif local_only:
                return {}
            return dict(self.store.settings_many(conn, DOMAIN_SETTINGS, domain_id=domain_id))

    # -- delivery ---------------------------------------------------------------------------------

    def _deliver_local(
        self,
        msg: QueuedMessage,
        body: bytes,
        groups: dict[targets.Target, list[str]],
        by_rcpt: dict[str, QueuedRecipient],
        out: Pass,
        now: datetime,
    ) -> None:
        remaining = {a: sum(1 for g in groups.values() if a in g) for g in groups.values() for a in g}
        external: list[str] = []
        for target, addresses in groups.items():
            todo = [a for a in addresses if a not in out.failed and a not in out.temporary]
            if not todo:
                continue
            folder = target.folder
            targets.prepare_folder(self.store, todo, target, self.log)
            copy = content.with_return_path(content.with_headers(body, target.headers), msg.sender)
            last_copy = [a for a in todo if remaining[a] == 1]  # done once this delivery commits
            try:
                result = self.store.mail.deliver(copy, todo, folder, queue_id=msg.id, mark_sent=last_copy)
            except StorageError as exc:
                for a in todo:
                    self._temporary(msg, by_rcpt[a], f"451 4.3.0 local delivery failed: {exc}", out, now)
                continue
            external += result.external
            targets.apply_flags(self.store, result.delivered, target, self.log, f"queue {msg.id}")
            for a in todo:
                remaining[a] -= 1
                reason = result.failed.get(a)
                if reason is None:
                    if remaining[a] == 0:  # marked "sent" inside deliver's transaction
                        out.delivered.add(a)
                elif reason.startswith("mailbox full"):
                    self._temporary(msg, by_rcpt[a], f"452 4.2.2 {reason}", out, now)
                else:
                    out.failed[a] = reports.RecipientStatus(a, "5.1.1", f"550 5.1.1 {reason}")
        if external:  # forwarders and groups with outside members: a new queued message for them
            self.store.queue.enqueue(
                body, msg.sender, sorted(set(external)), origin={"forwarded_from": msg.id}
            )

    def _relay_remote(
        self,
        msg: QueuedMessage,
        body: bytes,
        by_domain: dict[str, list[str]],
        by_rcpt: dict[str, QueuedRecipient],
        out: Pass,
        now: datetime,
        sender_settings: dict[str, Any],
    ) -> None:
        origin = msg.origin
        smtputf8 = bool(origin.get("smtputf8")) or not (msg.sender + "".join(by_rcpt)).isascii()
        body_8bit = str(origin.get("body", "")).upper() == "8BITMIME" or not body.isascii()
        if not by_domain:
            return
        # a relay does not pass Return-Path on (RFC 5321 4.4); local users' mail leaves DKIM-signed
        outgoing = dkim_sign.sign_outgoing(self.store, origin, content.without_return_path(body))
        for domain, addresses in by_domain.items():
            until = self.holds.held_until(domain, now)
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
            result = self.relay().send(
                domain,
                envelope,
                outgoing,
                source_address=sender_settings.get("relay.source_address") or None,
            )
            next_try: datetime | None = None
            for a in addresses:
                r = result.results[a]
                if r.outcome == DELIVERED:
                    self.store.queue.set_recipient(msg.id, a, "sent", r.reply)
                    out.delivered.add(a)
                elif r.outcome == PERMANENT:
                    out.failed[a] = reports.RecipientStatus(
                        a, r.status, r.reply, r.host, reports.orcpt(by_rcpt[a])
                    )
                    out.silent.setdefault(a, "relay-error")
                else:
                    when = self._temporary(msg, by_rcpt[a], r.reply, out, now, r.host)
                    next_try = when if next_try is None else min(next_try, when)
            if result.unavailable and next_try is not None:
                self.holds.hold(domain, next_try)
            elif next_try is not None:
                self.holds.trouble(domain)
            if any(result.results[a].outcome == DELIVERED for a in addresses) and self.holds.succeeded(
                domain
            ):
                self._release(domain, msg.id, now)

    def _temporary(
        self,
        msg: QueuedMessage,
        r: QueuedRecipient,
        reply: str,
        out: Pass,
        now: datetime,
        host: str | None = None,
    ) -> datetime:
        failures = r.attempts + 1
        status = reports.status_of(reply, "4.0.0")
        if self.policy.give_up(failures, msg.received_at, now):
            final = "5" + status[1:]
            out.failed[r.address] = reports.RecipientStatus(
                r.address, final, f"{reply} (gave up after {failures} attempt(s))", host, reports.orcpt(r)
            )
            return now
        out.temporary[r.address] = (reply, failures)
        if self.policy.warn_now(failures, self._warning_after):
            out.warn[r.address] = reports.RecipientStatus(r.address, status, reply, host, reports.orcpt(r))
        return now + timedelta(seconds=self.policy.delay(failures))

    def _release(self, domain: str, current: int, now: datetime) -> None:
        """The first success after trouble: messages waiting for the domain are due now."""
        for other in self.store.queue.list(recipient="@" + domain, states=[TEMPORARY_STATE], limit=10_000):
            if other.id == current or other.next_attempt_at <= now:
                continue
            if any(domain_of(r.address) == domain and r.state not in DONE for r in other.recipients):
                self.store.queue.defer(other.id, now, state=TEMPORARY_STATE, error=other.last_error)

    # -- after delivery ---------------------------------------------------------------------------

    def _conclude(
        self,
        msg: QueuedMessage,
        raw: bytes,
        by_rcpt: dict[str, QueuedRecipient],
        out: Pass,
        now: datetime,
        values: dict[str, Any],
    ) -> None:
        for address in list(out.waiting):  # held back by the virtual queue: past the lifetime?
            if self.policy.give_up(0, msg.received_at, now):
                reply = f"451 4.4.1 {domain_of(address)} stayed unreachable until the message expired"
                out.failed[address] = reports.RecipientStatus(
                    address, "5.4.7", reply, None, reports.orcpt(by_rcpt[address])
                )
                del out.waiting[address]
        waiting = out.waiting
        to_report = [
            s
            for a, s in out.failed.items()
            if out.silent.get(a) != "filter-discard" and reports.wants(by_rcpt[a], "FAILURE")
        ]
        if to_report and msg.sender:
            self._send_report(reports.FAILED, msg, raw, to_report, values, now)
        warn = [s for a, s in out.warn.items() if reports.wants(by_rcpt[a], "DELAY", default=True)]
        if warn and msg.sender:
            self._send_report(reports.DELAYED, msg, raw, warn, values, now)
        for address, status in out.failed.items():
            state = out.silent.get(address) or ("local-error" if self._is_local(address) else "relay-error")
            self.store.queue.set_recipient(msg.id, address, state, status.diagnostic)
        for address, state in out.silent.items():
            if address not in out.failed:
                self.store.queue.set_recipient(msg.id, address, state)
        for address, (reply, _n) in out.temporary.items():
            self.store.queue.set_recipient(msg.id, address, TEMPORARY_STATE, reply)
        left = [a for a in by_rcpt if a not in out.delivered and a not in out.failed and a not in out.silent]
        if not left:
            self.store.queue.finish(msg.id)
            return
        times = [now + timedelta(seconds=self.policy.delay(n)) for _r, n in out.temporary.values()]
        times += list(waiting.values())
        when = min(times) if times else now + timedelta(seconds=self.policy.first)
        errors = "; ".join(f"{a}: {r}" for a, (r, _n) in out.temporary.items())
        if waiting and not errors:
            errors = (
                "waiting for " + ", ".join(sorted({domain_of(a) for a in waiting})) + " to be reachable again"
            )
        self.store.queue.defer(msg.id, when, state=TEMPORARY_STATE, error=errors[:2000] or None)

    def _is_local(self, address: str) -> bool:
        with self.store.db.read() as conn:
            try:
                self.store.domains.id_of(conn, domain_of(address))
            except (NotFound, InvalidInput):
                return False
            return True

    def _send_report(
        self,
        action: str,
        msg: QueuedMessage,
        raw: bytes,
        statuses: list[reports.RecipientStatus],
        values: dict[str, Any],
        now: datetime,
    ) -> None:
        report = reports.compose(
            action,
            values,
            hostname=self.hostname,
            msg=msg,
            raw=raw,
            statuses=statuses,
            retry_until=self.policy.retry_until(msg.received_at),
            now=now,
        )
        local = self._is_local(msg.sender)
        if local:
            try:
                result = self.store.mail.deliver(content.with_return_path(report, ""), [msg.sender])
                if result.delivered:
                    return
                if msg.sender in result.failed and "does not exist" in result.failed[msg.sender]:
                    self._warn(
                        "queue %d: report to %s dropped: %s", msg.id, msg.sender, result.failed[msg.sender]
                    )
                    return
            except StorageError as exc:
                self._warn("queue %d: report to %s not delivered now: %s", msg.id, msg.sender, exc)
        self.store.queue.enqueue(report, "", [msg.sender], origin={"report_for": msg.id})
