"""What the relay is asked to send and what it reports back, per recipient."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Outcome(Enum):
    """What became of one recipient: the caller branches on this, never on the reply text."""

    DELIVERED = "delivered"  # 2xx after DATA
    TEMPORARY = "temporary"  # 4xx, timeouts, unreachable hosts, DNS trouble: retry later
    PERMANENT = "permanent"  # 5xx, no such domain, null MX: return to sender


DELIVERED, TEMPORARY, PERMANENT = Outcome.DELIVERED, Outcome.TEMPORARY, Outcome.PERMANENT


@dataclass(frozen=True)
class OutboundEnvelope:
    """One message for the recipients of one destination domain.

    ``dsn`` maps a recipient to its RFC 3461 parameters as the receiving side queued them
    (``{"notify": "FAILURE,DELAY", "orcpt": "rfc822;a@b"}``); ``ret``/``envid`` are the MAIL FROM ones.
    """

    sender: str
    recipients: tuple[str, ...]
    dsn: dict[str, dict[str, Any]] = field(default_factory=dict)
    ret: str | None = None
    envid: str | None = None
    smtputf8: bool = False
    body_8bit: bool = False


@dataclass(frozen=True)
class RecipientResult:
    address: str
    outcome: Outcome
    code: int  # the SMTP reply code, or 451/550 made up for local reasons (DNS, connection)
    reply: str  # the server's text, or why no server answered
    host: str | None = None  # the remote host that answered, if any

    @property
    def status(self) -> str:
        """RFC 3463 status (from the reply's enhanced code when it has one)."""
        words = self.reply.split()
        if len(words) > 1 and re.fullmatch(r"[245]\.\d{1,3}\.\d{1,3}", words[1]):
            return words[1]
        return {DELIVERED: "2.0.0", TEMPORARY: "4.0.0", PERMANENT: "5.0.0"}[self.outcome]


@dataclass
class DomainResult:
    domain: str
    results: dict[str, RecipientResult] = field(default_factory=dict)
    #: no host of the domain took a transaction (unreachable, refused, 4xx greeting...): hold the domain back
    unavailable: bool = False

    def all(
        self, outcome: Outcome, code: int, reply: str, recipients: tuple[str, ...], host: str | None = None
    ) -> None:
        for r in recipients:
            self.results.setdefault(r, RecipientResult(r, outcome, code, reply, host))
