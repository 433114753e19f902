"""The actions a Sieve script can produce, beyond the base types of ``filters.actions``.

``Keep``, ``FileInto`` and ``Redirect`` here subclass the base types of the same name, so the
processing worker, which honours ``filters.actions`` types, honours these too; they add what the
extensions carry: IMAP flags (RFC 5232, folded in at the time of the action), ``:copy`` (RFC 3894) and
``:create`` (RFC 5490). ``Discard`` and ``Reject`` are the base ones. ``Ereject`` (RFC 5429) and
``Vacation`` (RFC 5230) are new.

Vacation tracking: the engine decides whether the message deserves an answer at all (not to lists,
bulk, junk or auto-submitted mail, not to MAILER-DAEMON/owner-/-request senders, only when one of the
recipient's addresses is in To/Cc/Bcc/Resent-To/Resent-Cc). Whether *this sender* already had a reply
within ``days`` is the caller's call: it keeps a record keyed by (recipient, ``to``, ``handle``) and
sends only when no reply went out in the last ``days`` days.
"""

from __future__ import annotations

from dataclasses import dataclass

from filters import actions as base
from filters.actions import AddHeader, Discard, Reject

__all__ = ["Action", "AddHeader", "Discard", "Ereject", "FileInto", "Keep", "Redirect", "Reject", "Vacation"]


@dataclass(frozen=True)
class Keep(base.Keep):
    """Keep in INBOX with these IMAP flags (RFC 5228 4.3, RFC 5232 5)."""

    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileInto(base.FileInto):
    """File into ``folder`` (RFC 5228 4.1); ``copy``: RFC 3894; ``create``: RFC 5490 3.2; ``flags``: RFC 5232."""

    copy: bool = False
    create: bool = False
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Redirect(base.Redirect):
    """Redirect to ``address`` (RFC 5228 4.2); ``copy`` keeps the implicit keep (RFC 3894)."""

    copy: bool = False


@dataclass(frozen=True)
class Ereject(base.Reject):
    """Refuse at SMTP time when possible, else like ``Reject`` (RFC 5429 2.1)."""


@dataclass(frozen=True)
class Vacation:
    """Send one auto-reply to ``to`` (RFC 5230 4); the caller enforces once per ``days`` per ``handle``.

    ``subject`` is final (default "Auto: " plus the original subject); ``from_`` is empty for the
    recipient's own address; ``mime``: ``reason`` is a whole MIME entity (headers and body).
    """

    reason: str
    subject: str
    from_: str
    addresses: tuple[str, ...]
    days: int
    handle: str
    mime: bool
    to: str = ""
    in_reply_to: str = ""


Action = (
    Keep | FileInto | Discard | Reject | Redirect | AddHeader | Ereject | Vacation | base.Keep | base.FileInto
)


class Conflict(Exception):
    """Two actions of one run cannot both happen (the interpreter turns it into a runtime error)."""


_DELIVERIES = (base.Keep, base.FileInto, base.Redirect)


class ActionSet:
    """The actions of one run, with the interaction rules applied as they are added.

    * keep, fileinto and redirect without ``:copy``, discard, reject and ereject cancel the implicit
      keep (RFC 5228 2.10.2, RFC 3894 3); ``stop`` leaves it as it is.
    * A second keep, a fileinto to a folder already filed into, a redirect to an address already
      redirected to, collapse into the first (RFC 5228 2.10.3, 4.2); a later ``:copy``-less one still
      cancels the implicit keep, and flags of the later one are added to the first.
    * reject/ereject are incompatible with keep, fileinto, redirect, vacation and another reject
      (RFC 5429 2.1-2.2, the manual's interaction table); vacation may be executed once (RFC 5230).
    * discard only cancels the implicit keep: an explicit keep or fileinto still delivers.
    """

    def __init__(self) -> None:
        self.actions: list[Action] = []
        self.implicit_keep = True
        self.discarded = False
        self.vacation_seen = False

    def _find(self, predicate: type) -> list[Action]:
        return [a for a in self.actions if isinstance(a, predicate)]

    def _check_reject(self, name: str) -> None:
        if self._find(base.Reject):
            raise Conflict(f"{name} is incompatible with an earlier reject")

    def keep(self, flags: tuple[str, ...]) -> None:
        self._check_reject("keep")
        self.implicit_keep = False
        for i, action in enumerate(self.actions):
            if type(action) is Keep or type(action) is base.Keep:
                self.actions[i] = Keep(flags=_merge(getattr(action, "flags", ()), flags))
                return
        self.actions.append(Keep(flags=flags))

    def fileinto(self, folder: str, *, copy: bool, create: bool, flags: tuple[str, ...]) -> None:
        self._check_reject("fileinto")
        if not copy:
            self.implicit_keep = False
        for i, action in enumerate(self.actions):
            if isinstance(action, FileInto) and action.folder == folder:
                self.actions[i] = FileInto(
                    folder,
                    copy=action.copy and copy,
                    create=action.create or create,
                    flags=_merge(action.flags, flags),
                )
                return
        self.actions.append(FileInto(folder, copy=copy, create=create, flags=flags))

    def redirect(self, address: str, *, copy: bool) -> None:
        self._check_reject("redirect")
        if not copy:
            self.implicit_keep = False
        for i, action in enumerate(self.actions):
            if isinstance(action, Redirect) and action.address.lower() == address.lower():
                self.actions[i] = Redirect(action.address, copy=action.copy and copy)
                return
        self.actions.append(Redirect(address, copy=copy))

    def discard(self) -> None:
        self.implicit_keep = False
        self.discarded = True

    def reject(self, text: str, *, extended: bool) -> None:
        name = "ereject" if extended else "reject"
        self._check_reject(name)
        for action in self.actions:
            if isinstance(action, (*_DELIVERIES, Vacation)):
                raise Conflict(f"{name} is incompatible with an earlier {type(action).__name__.lower()}")
        self.implicit_keep = False
        self.actions.append(Ereject(text) if extended else Reject(text))

    def vacation(self, action: Vacation | None) -> None:
        """``None``: vacation ran but decided not to answer (still counts as the one vacation)."""
        self._check_reject("vacation")
        if self.vacation_seen:
            raise Conflict("vacation executed twice")
        self.vacation_seen = True
        if action is not None:
            self.actions.append(action)

    def result(self) -> tuple[Action, ...]:
        """The final list: a ``Discard`` appears when discard ran and nothing delivers the message."""
        actions = list(self.actions)
        delivers = any(isinstance(a, (*_DELIVERIES, base.Reject)) for a in actions)
        if self.discarded and not self.implicit_keep and not delivers:
            actions.append(Discard())
        return tuple(actions)


def _merge(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    seen = {f.lower() for f in first}
    return first + tuple(f for f in second if f.lower() not in seen)
