"""What one recipient's actions do to its copy of the message, read without running any filter.

The filter chain (``filters.chain``) decides actions; this module says what they amount to, so the
processing worker, WebMail's "test this filter" and any other caller read a verdict the same way:

* a ``Reject`` refuses the message for the recipient (the first one's text goes to the sender) and
  nothing else of its actions applies;
* each ``Redirect`` sends a copy to its address;
* ``Keep`` and ``FileInto`` ask for local copies, one ``Target`` per distinct folder (keep is INBOX, RFC
  5228 4.3); the IMAP flags of two actions for one folder are merged (RFC 5232 5) and ``:create`` (RFC
  5490 3.2) holds if either asked for it;
* ``AddHeader`` fields go on every local copy (RFC 5293);
* with no keep, fileinto, discard or redirect, the implicit keep files the copy into INBOX (RFC 5228
  2.10.2); a ``Discard`` alone leaves no copy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from filters.actions import Action, AddHeader, Discard, FileInto, Keep, Redirect, Reject
from storage.errors import InvalidInput
from storage.names import folder_path

__all__ = ["INBOX", "Disposition", "Target", "disposition_of", "targets_of"]

INBOX = "INBOX"


class Target(NamedTuple):
    """One local copy: recipients with equal targets share one stored message."""

    folder: str
    headers: tuple[tuple[str, str], ...] = ()
    flags: tuple[str, ...] = ()
    create: bool = False


class Disposition(NamedTuple):
    """What a recipient's actions amount to (see the module docstring for the rules)."""

    reject: str | None  # the refusal text when the recipient is rejected; None otherwise
    redirects: tuple[str, ...]  # addresses a copy is redirected to
    targets: tuple[Target, ...]  # local copies (also the copy a remote recipient is kept for)
    discard: bool  # an explicit discard (so "no copy" is a discard, not a redirect only)


def _merge(first: tuple[str, ...], second: Iterable[str]) -> tuple[str, ...]:
    """``first`` plus the flags of ``second`` it lacks (flag names compare case-insensitively)."""
    merged = list(first)
    seen = {f.lower() for f in first}
    for flag in second:
        if flag.lower() not in seen:
            seen.add(flag.lower())
            merged.append(flag)
    return tuple(merged)


def targets_of(actions: Sequence[Action], headers: tuple[tuple[str, str], ...]) -> list[Target]:
    """The local copies a recipient's actions ask for, one per folder (empty when none is asked)."""
    by_folder: dict[str, Target] = {}
    for action in actions:
        if isinstance(action, FileInto):
            folder, create = action.folder, bool(getattr(action, "create", False))
        elif isinstance(action, Keep):
            folder, create = INBOX, False
        else:
            continue
        try:
            key = folder_path(folder)
        except InvalidInput:
            key = folder
        flags = tuple(getattr(action, "flags", ()))
        before = by_folder.get(key)
        if before is None:
            by_folder[key] = Target(key, headers, flags, create)
        else:
            by_folder[key] = Target(key, headers, _merge(before.flags, flags), before.create or create)
    return list(by_folder.values())


def disposition_of(actions: Sequence[Action]) -> Disposition:
    """Read one recipient's actions (as ``Verdict.for_recipient`` gives them) into a ``Disposition``."""
    rejects = [a for a in actions if isinstance(a, Reject)]
    if rejects:
        return Disposition(rejects[0].text, (), (), False)
    headers = tuple((a.name, a.value) for a in actions if isinstance(a, AddHeader))
    redirects = tuple(a.address for a in actions if isinstance(a, Redirect))
    targets = targets_of(actions, headers)
    discard = any(isinstance(a, Discard) for a in actions)
    if not targets and not discard and not redirects:
        targets = [Target(INBOX, headers)]  # implicit keep (RFC 5228 2.10.2)
    return Disposition(None, redirects, tuple(targets), discard)
