"""Rooms and equipment that answer invitations themselves (setting ``organizer.resource_policy``).

An account whose policy is ``accept_if_free`` accepts a REQUEST when its calendar is free for every
asked occurrence and declines it on any conflict; ``always_accept`` accepts whatever is asked (a
projector lent to whoever asks, say); ``none`` (the default) leaves the answer to a person.

What counts as a conflict is storage's (``store.pim_system.conflicts``, storage/pim/system.py): a busy
period of the resource's calendars (transparent and cancelled events block nothing) that overlaps an
occurrence of the request still to come, recurrences expanded for a year ahead at most; the resource's
own copy of the same meeting (same UID) never conflicts with itself, so an organizer who moves a booked
meeting to a free time gets ACCEPTED again. This module only turns that into an answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

POLICY_SETTING = "organizer.resource_policy"
POLICIES = ("none", "accept_if_free", "always_accept")


class Period(Protocol):
    """A busy period (storage's ``Busy`` fits)."""

    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...


@dataclass(frozen=True)
class Decision:
    partstat: str  # ACCEPTED | DECLINED
    conflict: tuple[datetime, datetime] | None  # the first busy period in the way (DECLINED)


def needs_calendar(policy: str) -> bool:
    """Whether deciding needs the resource's calendar (the conflicts)."""
    return policy == "accept_if_free"


def decide(policy: str, conflicts: Sequence[Period]) -> Decision | None:
    """The resource's answer, or None when the policy leaves it to a person."""
    if policy == "always_accept":
        return Decision("ACCEPTED", None)
    if policy != "accept_if_free":
        return None
    if conflicts:
        first = min(conflicts, key=lambda p: p.start)
        return Decision("DECLINED", (first.start, first.end))
    return Decision("ACCEPTED", None)
