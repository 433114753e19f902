"""The Sieve level of the filter chain: server, domain and account scripts for each local recipient.

For every recipient that is an account (or an address of one), ``store.scripts.chain_for`` gives its
active server, domain and account scripts; each is compiled (cached by the SHA-256 of its text) and run
on a ``MessageView`` of the message, in that order. Combination (the manual's "Filtering priorities":
if several levels set a destination, the last one wins):

* destinations (keep, fileinto, discard, redirect, reject) of a level that sets any explicitly replace
  everything decided before (earlier levels, scanners); a level that only implicitly keeps leaves them;
* ``AddHeader`` actions of all levels accumulate;
* a script that fails to compile or fails at run time is logged and counts as an implicit keep;
* a ``Vacation`` action is answered here (once per sender, handle and period, tracked by
  ``store.scripts.vacation_due``) by queueing the reply with a null envelope sender (RFC 5230 5).
* mail to ``user+detail@`` runs the scripts of ``user@``'s account (RFC 5233): the detail is there for
  the script's ``:detail`` tests (the envelope it sees keeps the address as sent), not a way round them.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING, Any, Final

from filters import SieveError
from filters import actions as act
from filters.sieve import Keep, MessageView, Script, Vacation, compile_script, evaluate
from storage.errors import InvalidInput, NotFound
from storage.mime import decode_header_text, parse_message
from storage.names import utcnow

if TYPE_CHECKING:
    from storage.contracts import WithFolders
    from storage.queue import QueuedMessage
    from storage.store import Store

log = logging.getLogger(__name__)

CACHE_SIZE: Final = 256
_cache: dict[str, Script | SieveError] = {}
_DESTINATIONS = (act.Keep, act.FileInto, act.Discard, act.Redirect, act.Reject)
_LEVEL_NUMBER = re.compile(r"\s*(\d+)")

Actions = dict[str, tuple[act.Action, ...]]


def compiled(text: str) -> Script:
    """``compile_script(text)``, cached by SHA-256 (errors too); at most ``CACHE_SIZE`` entries.

    Raises:
        SieveError: the script does not compile.
    """
    key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    result = _cache.get(key)
    if result is None:
        try:
            result = compile_script(text)
        except SieveError as exc:
            result = exc
        while len(_cache) >= CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = result
    if isinstance(result, SieveError):
        raise result
    return result


def _score(headers: list[tuple[str, str]], name: str) -> int | None:
    for key, value in headers:
        if key.lower() == name:
            m = _LEVEL_NUMBER.match(value)
            return int(m.group(1)) if m else None
    return None


def message_view(raw: bytes, sender: str, recipient: str) -> MessageView:
    """What a script sees of ``raw`` sent by ``sender`` to ``recipient``."""
    parsed = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    headers = [
        (str(k), decode_header_text(re.sub(r"\r?\n(?=[ \t])", "", str(v))).strip()) for k, v in parsed.items()
    ]
    return MessageView(
        raw=raw,
        envelope_from=sender,
        envelope_to=recipient,
        headers=headers,
        body_text=parse_message(raw).search_text,
        size=len(raw),
        spam_score=_score(headers, "x-fieldpost-spam-level"),
        virus_score=_score(headers, "x-fieldpost-virus-level"),
        now=utcnow(),
    )


def script_owner(store: Store, recipient: str) -> tuple[str, list[Any]] | None:
    """(the account address whose scripts run for ``recipient``, those scripts); None: not an account.

    ``recipient`` itself (an account or an alias of one), else, for ``user+detail@domain``, ``user@domain``.
    """
    local, _, domain = recipient.rpartition("@")
    candidates = [recipient]
    if "+" in local:
        candidates.append(f"{local.split('+', 1)[0]}@{domain}")
    for address in candidates:
        try:
            return address, store.scripts.chain_for(address)
        except (NotFound, InvalidInput):  # not an account of ours: no scripts
            continue
    return None


def send_vacation(
    store: Store, queued_message: QueuedMessage, recipient: str, action: Vacation, account: str | None = None
) -> None:
    """Queue ``action``'s reply unless ``recipient`` (of ``account``, if it is a subaddress) already
    answered this sender within its days."""
    account_id = store.accounts.id_by_address(account or recipient)
    if not action.to or not store.scripts.vacation_due(account_id, action.handle, action.to, action.days):
        return
    reply = EmailMessage(policy=email.policy.SMTP)
    reply["From"] = action.from_ or recipient
    reply["To"] = action.to
    reply["Subject"] = action.subject
    reply["Date"] = formatdate(localtime=False)
    reply["Message-ID"] = make_msgid(domain=recipient.rpartition("@")[2] or None)
    if action.in_reply_to:
        reply["In-Reply-To"] = action.in_reply_to
        reply["References"] = action.in_reply_to
    reply["Auto-Submitted"] = "auto-replied"
    if action.mime:  # the reason is a whole MIME entity: its headers follow ours
        head = reply.as_bytes(policy=email.policy.SMTP).rstrip(b"\r\n") + b"\r\n"
        entity = action.reason.replace("\r\n", "\n").replace("\n", "\r\n").encode()
        raw = head + b"MIME-Version: 1.0\r\n" + entity
    else:
        reply.set_content(action.reason)
        raw = reply.as_bytes(policy=email.policy.SMTP)
    store.queue.enqueue(raw, "", [action.to], origin={"vacation_for": queued_message.id})


def folder_lookup(store: WithFolders, recipient: str) -> Callable[[str], bool]:
    """The ``mailboxexists`` test (RFC 5490 3.1) for one recipient: its account has every named folder."""

    def exists(name: str) -> bool:
        try:
            store.folders.get(recipient, name)
        except (NotFound, InvalidInput):
            return False
        return True

    return exists


def _flagged(
    action: act.Keep | act.FileInto | act.Discard | act.Reject | act.Redirect,
    flags: tuple[str, ...],
) -> act.Keep | act.FileInto | act.Discard | act.Reject | act.Redirect:
    """A plain keep of an earlier level, carrying the implicit keep's flags of this one."""
    if type(action) is act.Keep:
        return Keep(flags=flags)
    return action


def run_level(
    store: Store, queued_message: QueuedMessage, raw: bytes, recipients: Sequence[str], actions: Actions
) -> Actions:
    """The chain level (see ``filters.chain.Level``): apply each recipient's Sieve scripts."""
    result = dict(actions)
    for recipient in recipients:
        found = script_owner(store, recipient)
        if found is None or not found[1]:
            continue
        owner, scripts = found
        view = message_view(raw, queued_message.sender, recipient)
        exists = folder_lookup(store, owner)
        before = result.get(recipient) or (act.Keep(),)
        destinations = [a for a in before if isinstance(a, _DESTINATIONS)]
        headers = [a for a in before if isinstance(a, act.AddHeader)]
        for info in scripts:
            where = f"{info.level} script {info.name!r} for {recipient} (queue {queued_message.id})"
            try:
                outcome = evaluate(compiled(info.content or ""), view, mailbox_exists=exists)
            except SieveError as exc:
                log.warning("%s does not compile, keeping: %s", where, exc)
                continue
            for error in outcome.errors:
                log.warning("%s failed at run time, keeping: %s", where, error)
            headers += [a for a in outcome.actions if isinstance(a, act.AddHeader)]
            if any(isinstance(a, _DESTINATIONS) for a in outcome.actions):
                destinations = [a for a in outcome.deliveries() if isinstance(a, _DESTINATIONS)]
            elif outcome.implicit_keep and outcome.keep_flags:  # RFC 5232 3: flags for the implicit keep
                destinations = [_flagged(a, outcome.keep_flags) for a in destinations]
            for vacation in (a for a in outcome.actions if isinstance(a, Vacation)):
                try:
                    send_vacation(store, queued_message, recipient, vacation, owner)
                except Exception:  # a reply that cannot go must not hold the message back
                    log.exception("%s: vacation reply to %s not sent", where, vacation.to)
        result[recipient] = (*destinations, *headers)
    return result
