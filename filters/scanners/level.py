"""The scanner level of the filter chain: anti-virus, anti-spam and milters, before any other level.

Per queued message (not per recipient: the content is the same for all), in this order:

1. clamd (``scan.clamd.*``): a signature found gives virus level 5 (4 for heuristic/PUA names) and the
   ``scan.virus.action``; a message clamd cannot scan gets ``scan.unscannable.action``. An infected
   message is not sent on to spamd or milters.
2. spamd (``scan.spamd.*``): SYMBOLS gives a score, mapped to our spam level 1-10
   (``spamd.spam_level``); at or above ``scan.spam.threshold_level`` the ``scan.spam.action`` applies,
   except for recipients whose sender is trusted (``filters.lists.spam_exempt``: white list, safe
   senders). A message over ``scan.spamd.max_bytes`` is not spam-scanned (spamd's own client does the
   same: big mail is rarely spam and costly to grade) and gets no spam level.
3. each milter of ``scan.milters``: its reject, discard, quarantine and edits apply; a tempfail keeps
   the message queued.

The message handed to the later levels and delivered carries our fields: ``X-Fieldpost-Spam-Level``,
``X-Fieldpost-Virus-Level`` (read by Sieve's spamtest/virustest), ``X-Fieldpost-Spam-Report`` and
``X-Fieldpost-Virus``. When a field is already there (a copy we scanned before, re-queued), the higher
level is kept, as the manual asks of a tool assigning a level.

Blocking decisions (virus reject/discard/quarantine, spam reject/discard, milter reject/discard) are
marked ``filters.actions.Final``, so no later level (a user's Sieve ``keep``) can undo them. Filing into Junk is
not final: a user's script may move the message elsewhere ("the last one wins").

Failsafe: a scanner that is down or answers garbage raises ``FilterUnavailable`` (the message stays
queued and the whole chain runs again later). A scanner that failed is remembered as down; until it
answers its ping (spamd/clamd PING, milter option negotiation) no message is sent to it, so while it is
down each attempt costs one cheap probe.

Quarantine sends the message, as scanned, to ``scan.quarantine_address`` (queued with origin
``quarantine_for``, which this level does not scan again) and drops it for the recipients; without an
address it is a discard.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from filters import FilterUnavailable, lists
from filters import actions as act
from filters.headers import SCANNER_FIELDS, without_fields
from filters.scanners import Unscannable, clamd, milter, spamd

if TYPE_CHECKING:
    from storage.queue import QueuedMessage
    from storage.store import Store

log = logging.getLogger("fieldpost.filters.scanners")

SPAM_LEVEL, VIRUS_LEVEL = "X-Fieldpost-Spam-Level", "X-Fieldpost-Virus-Level"
SPAM_REPORT, VIRUS_NAME = "X-Fieldpost-Spam-Report", "X-Fieldpost-Virus"
OUR_FIELDS: Final = (*SCANNER_FIELDS, SPAM_REPORT.lower(), VIRUS_NAME.lower())

SETTINGS: Final = (
    "scan.spamd.enabled",
    "scan.spamd.address",
    "scan.spamd.timeout_seconds",
    "scan.spamd.max_bytes",
    "scan.spam.threshold_level",
    "scan.spam.action",
    "scan.spam.folder",
    "scan.clamd.enabled",
    "scan.clamd.address",
    "scan.clamd.timeout_seconds",
    "scan.clamd.max_bytes",
    "scan.virus.action",
    "scan.unscannable.action",
    "scan.quarantine_address",
    "scan.milters",
    "scan.milter.timeout_seconds",
)
PING_TIMEOUT: Final = 5.0
SPAM_REFUSAL: Final = "The message was refused as spam"
VIRUS_REFUSAL: Final = "The message was refused because it contains a virus ({name})"
UNSCANNABLE_REFUSAL: Final = "The message was refused because it could not be scanned for viruses"

Actions = dict[str, tuple[act.Action, ...]]
_LEADING_NUMBER = re.compile(r"\s*(\d+)")


class Health:
    """Scanners that failed, by address: each is pinged before it gets another message (failsafe)."""

    def __init__(self) -> None:
        self._down: dict[str, float] = {}
        self._lock = threading.Lock()

    def is_down(self, address: str) -> bool:
        with self._lock:
            return address in self._down

    def mark_down(self, address: str) -> None:
        with self._lock:
            self._down.setdefault(address, time.monotonic())

    def mark_up(self, address: str) -> float | None:
        """Forget a failure; returns how long the scanner was down (seconds) or None."""
        with self._lock:
            since = self._down.pop(address, None)
        return None if since is None else time.monotonic() - since

    def clear(self) -> None:
        with self._lock:
            self._down.clear()


HEALTH = Health()


@dataclass
class Scan:
    """What the scanners found out about one message."""

    message: bytes
    spam_level: int | None = None
    virus_level: int | None = None
    spam_report: str = ""
    virus: str | None = None
    unscannable: str | None = None
    milter: list[tuple[str, milter.Outcome]] = field(default_factory=list)


def _guarded(kind: str, address: str, probe: Callable[[], None], work: Callable[[], Any]) -> Any:
    """Run ``work`` against a scanner; while it is known to be down, ``probe`` it first."""
    if HEALTH.is_down(address):
        try:
            probe()
        except FilterUnavailable as exc:
            raise type(exc)(f"{kind} at {address} is still down (probe failed: {exc})") from exc
        took = HEALTH.mark_up(address)
        log.warning("%s at %s answers again after %.0f s; scanning resumes", kind, address, took or 0)
    try:
        return work()
    except FilterUnavailable as exc:
        HEALTH.mark_down(address)
        log.warning("%s at %s is unavailable, messages wait in the queue: %s", kind, address, exc)
        raise type(exc)(f"{kind}: {exc}") from exc


def _envelope(msg: QueuedMessage, recipients: Sequence[str]) -> milter.Envelope:
    origin = getattr(msg, "origin", None) or {}
    return milter.Envelope(
        sender=msg.sender or "",
        recipients=list(recipients),
        client_ip=origin.get("ip"),
        client_port=int(origin.get("port") or 0),
        helo=str(origin.get("helo") or ""),
        queue_id=str(msg.id),
    )


def scan(values: dict[str, Any], msg: QueuedMessage, raw: bytes, recipients: Sequence[str]) -> Scan:
    """Run the enabled scanners on ``raw``.

    Raises:
        FilterUnavailable: a scanner is down, too slow, answered garbage, or a milter said tempfail.
    """
    result = Scan(message=raw)
    if values["scan.clamd.enabled"]:
        address, timeout = values["scan.clamd.address"], float(values["scan.clamd.timeout_seconds"])
        try:
            found: clamd.Result = _guarded(
                "clamd",
                address,
                lambda: clamd.ping(address, timeout=PING_TIMEOUT),
                lambda: clamd.scan(address, raw, timeout=timeout, max_bytes=values["scan.clamd.max_bytes"]),
            )
        except Unscannable as exc:
            result.unscannable = str(exc)
            if values["scan.unscannable.action"] != "deliver":
                return result  # decided: not worth a spam scan
        else:
            result.virus_level, result.virus = found.level, found.virus
    if result.virus is None and values["scan.spamd.enabled"] and len(raw) <= values["scan.spamd.max_bytes"]:
        address, timeout = values["scan.spamd.address"], float(values["scan.spamd.timeout_seconds"])
        try:
            reply: spamd.Reply = _guarded(
                "spamd",
                address,
                lambda: spamd.ping(address, timeout=PING_TIMEOUT),
                lambda: spamd.call(address, "SYMBOLS", raw, timeout=timeout),
            )
        except Unscannable as exc:
            log.warning("queue %s: spamd could not grade the message: %s", msg.id, exc)
        else:
            result.spam_level = spamd.spam_level(reply.score, reply.threshold)
            tests = ",".join(reply.symbols) or "none"
            result.spam_report = f"score={reply.score:.1f} required={reply.threshold:.1f} tests={tests}"
    if result.virus is None:
        timeout = float(values["scan.milter.timeout_seconds"])
        for address in values["scan.milters"]:
            outcome = _milter(address, _envelope(msg, recipients), result.message, timeout)
            if outcome.verdict == "tempfail":
                raise FilterUnavailable(f"milter at {address} asked to try later: {outcome.reply}")
            result.milter.append((address, outcome))
            result.message = milter.apply_edits(result.message, outcome)
            if outcome.verdict in ("reject", "discard") or outcome.quarantine:
                break
    return result


def _milter(address: str, env: milter.Envelope, raw: bytes, timeout: float) -> milter.Outcome:
    outcome: milter.Outcome = _guarded(
        "milter",
        address,
        lambda: milter.ping(address, timeout=PING_TIMEOUT),
        lambda: milter.check(address, env, raw, timeout=timeout),
    )
    return outcome


def _existing_level(raw: bytes, name: str) -> int | None:
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].decode("latin-1")
    m = re.search(rf"(?im)^{re.escape(name)}:(.*)$", head)
    number = _LEADING_NUMBER.match(m.group(1)) if m else None
    return int(number.group(1)) if number else None


def stamped(scan_: Scan) -> bytes:
    """The scanned message with our fields on top (a higher level already there is kept)."""
    raw = scan_.message
    fields: list[tuple[str, str]] = []
    for name, level, limit in ((SPAM_LEVEL, scan_.spam_level, 10), (VIRUS_LEVEL, scan_.virus_level, 5)):
        before = _existing_level(raw, name)
        if level is not None or before is not None:
            fields.append((name, str(min(limit, max(level or 0, before or 0)))))
    if scan_.spam_report:
        fields.append((SPAM_REPORT, scan_.spam_report))
    if scan_.virus:
        fields.append((VIRUS_NAME, scan_.virus))
    if not fields:
        return raw
    clean = without_fields(raw, tuple(name.lower() for name, _v in fields))
    return b"".join(f"{n}: {v}\r\n".encode("utf-8", "replace") for n, v in fields) + clean


def quarantine(store: Store, msg: QueuedMessage, raw: bytes, address: str, reason: str) -> None:
    """Queue the scanned message for the quarantine mailbox (never scanned again)."""
    if not address:
        log.warning(
            "queue %s: quarantine asked (%s) but scan.quarantine_address is empty: dropped", msg.id, reason
        )
        return
    store.queue.enqueue(raw, msg.sender or "", [address], origin={"quarantine_for": msg.id, "reason": reason})
    log.info("queue %s: quarantined to %s: %s", msg.id, address, reason)


def _blocking(
    store: Store, msg: QueuedMessage, message: bytes, action: str, text: str, values: dict[str, Any], why: str
) -> tuple[act.Action, ...]:
    """The actions for a virus/unscannable/milter decision that ends the message's way."""
    if action == "reject":
        return (act.Reject(text), act.Final())
    if action == "quarantine":
        quarantine(store, msg, message, values["scan.quarantine_address"], why)
    return (act.Discard(), act.Final())


def _spam_exempt(store: Store, msg: QueuedMessage, raw: bytes, recipient: str) -> bool:
    return bool(lists.spam_exempt(store, msg, raw, recipient))


def decide(
    store: Store,
    msg: QueuedMessage,
    found: Scan,
    recipients: Sequence[str],
    values: dict[str, Any],
    actions: Actions,
) -> Actions:
    """Per recipient actions from what the scanners found."""
    result = dict(actions)
    message = stamped(found)
    block: tuple[act.Action, ...] | None = None
    if found.virus is not None:
        text = VIRUS_REFUSAL.format(name=found.virus)
        block = _blocking(
            store, msg, message, values["scan.virus.action"], text, values, f"virus {found.virus}"
        )
    elif found.unscannable is not None and values["scan.unscannable.action"] != "deliver":
        block = _blocking(
            store,
            msg,
            message,
            values["scan.unscannable.action"],
            UNSCANNABLE_REFUSAL,
            values,
            found.unscannable,
        )
    for address, outcome in found.milter:
        if block is not None:
            break
        if outcome.quarantine:
            block = _blocking(
                store, msg, message, "quarantine", "", values, f"milter {address}: {outcome.quarantine}"
            )
        elif outcome.verdict == "reject":
            block = (act.Reject(_refusal_text(outcome.reply)), act.Final())
        elif outcome.verdict == "discard":
            block = (act.Discard(), act.Final())
        for rcpt, reply in outcome.rejected_recipients.items():
            if rcpt in result:
                result[rcpt] = (act.Reject(_refusal_text(reply)), act.Final())
    spam = found.spam_level is not None and found.spam_level >= values["scan.spam.threshold_level"]
    for rcpt in recipients:
        if any(isinstance(a, act.Final) for a in result.get(rcpt, ())):
            continue
        if block is not None:
            result[rcpt] = block
        elif spam and not _spam_exempt(store, msg, message, rcpt):
            result[rcpt] = _spam_actions(values, result.get(rcpt) or (act.Keep(),))
    return result


def _refusal_text(reply: str) -> str:
    """A milter's "550 5.7.1 text" without the codes (the report adds its own)."""
    m = re.match(r"\d{3}(?:[ -]\d\.\d{1,3}\.\d{1,3})?[ -]?(.*)", reply)
    return (m.group(1) if m else reply).strip() or "The message was refused by a content filter"


def _spam_actions(values: dict[str, Any], before: tuple[act.Action, ...]) -> tuple[act.Action, ...]:
    action = values["scan.spam.action"]
    if action == "reject":
        return (act.Reject(SPAM_REFUSAL), act.Final())
    if action == "discard":
        return (act.Discard(), act.Final())
    if action == "junk":
        kept = tuple(a for a in before if not isinstance(a, act.Keep))
        return (act.FileInto(values["scan.spam.folder"]), *kept)
    return before  # tag: the fields say it, Sieve rules may act on them


def run_level(
    store: Store, queued_message: QueuedMessage, raw: bytes, recipients: Sequence[str], actions: Actions
) -> tuple[Actions, bytes]:
    """The chain level (see ``filters.chain.Level``): (actions, the message as scanned and stamped)."""
    if (queued_message.origin or {}).get("quarantine_for"):
        return actions, raw
    values = dict(store.settings.effective_many(SETTINGS))
    if not (values["scan.clamd.enabled"] or values["scan.spamd.enabled"] or values["scan.milters"]):
        return actions, raw
    found = scan(values, queued_message, raw, recipients)
    result = decide(store, queued_message, found, recipients, values, actions)
    log.info(
        "queue %s: scanned: spam level %s, virus level %s%s",
        queued_message.id,
        found.spam_level or "-",
        found.virus_level or "-",
        f" ({found.virus})"
        if found.virus
        else (f" (unscannable: {found.unscannable})" if found.unscannable else ""),
    )
    return result, stamped(found)
