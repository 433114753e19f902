"""The filter chain's verdict turned into where each recipient's copy goes.

``route`` reads every recipient's actions (``filters.disposition`` says what they amount to) and sorts
the recipients into local targets (folder, added headers, flags; one stored copy per target), remote
recipients by destination domain, and addresses to redirect to. A reject or a discard takes the recipient
out here and records it in the pass. Redirects of a message that has gone round too often are dropped and
logged (``redirects``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from filters.actions import Redirect, Verdict
from filters.disposition import INBOX, Target, disposition_of
from mailflow import reports
from mailflow.recipients import domain_of
from sidecars.processing.outcome import Pass
from sidecars.processing.redirects import loop_suspected

if TYPE_CHECKING:
    from storage.store import Store


class Routes(NamedTuple):
    local: dict[Target, list[str]]  # target -> local recipients getting that copy
    remote: dict[str, list[str]]  # destination domain -> remote recipients
    redirects: list[str]  # addresses a redirected copy goes to


def route(
    store: Store,
    verdict: Verdict,
    local: list[str],
    remote: list[str],
    out: Pass,
    raw: bytes,
    msg_id: int,
    log: Any = None,
) -> Routes:
    """Filter actions -> ``Routes``; rejected and discarded recipients are recorded in ``out``."""
    groups: dict[Target, list[str]] = {}
    by_domain: dict[str, list[str]] = {}
    redirects: list[str] = []
    loop: bool | None = None
    for address in local + remote:
        actions = verdict.for_recipient(address)
        if any(isinstance(a, Redirect) for a in actions):
            loop = loop_suspected(store, raw) if loop is None else loop
            if loop:
                dropped = ", ".join(a.address for a in actions if isinstance(a, Redirect))
                if log is not None:
                    log.warning(
                        "queue %d: mail loop suspected, redirect of %s to %s not done",
                        msg_id,
                        address,
                        dropped,
                    )
                actions = tuple(a for a in actions if not isinstance(a, Redirect))
        disposition = disposition_of(actions)
        if disposition.reject is not None:
            out.failed[address] = reports.RecipientStatus(address, "5.7.1", f"550 5.7.1 {disposition.reject}")
            out.silent[address] = "filter-reject"
            continue
        redirects += disposition.redirects
        if not disposition.targets:  # discarded, or redirected only
            out.silent[address] = "filter-discard" if disposition.discard else "sent"
            continue
        if address in remote:
            by_domain.setdefault(domain_of(address), []).append(address)
            continue
        for target in disposition.targets:
            groups.setdefault(target, []).append(address)
    return Routes(groups, by_domain, redirects)


def keep_into(local: dict[Target, list[str]], folder: str) -> dict[Target, list[str]]:
    """``local`` with the INBOX targets (the keep) moved to ``folder``, which must exist (else INBOX)."""
    moved: dict[Target, list[str]] = {}
    for target, addresses in local.items():
        if target.folder == INBOX:
            target = target._replace(folder=folder)
        moved.setdefault(target, []).extend(addresses)
    return moved
