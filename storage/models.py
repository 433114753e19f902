"""The values storage hands out: frozen, detached from any transaction, safe to cache or send."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum


@dataclass(frozen=True)
class Domain:
    id: int
    name: str
    enabled: bool
    aliases: tuple[str, ...] = ()
    account_count: int = 0


@dataclass(frozen=True)
class Account:
    id: int
    domain_id: int
    address: str
    enabled: bool
    display_name: str | None
    account_class: str | None
    used_bytes: int
    message_count: int
    folder_count: int
    quota_bytes: int = 0  # effective storage quota, 0 = unlimited
    aliases: tuple[str, ...] = ()
    password_generation: int = 0


@dataclass(frozen=True)
class Group:
    id: int
    address: str
    members: tuple[str, ...]  # account and group addresses, and outside addresses


@dataclass(frozen=True)
class Forwarder:
    id: int
    address: str
    targets: tuple[str, ...]


@dataclass(frozen=True)
class Folder:
    id: int
    namespace: str  # "a<account id>" or "p<domain id>"
    account_id: int | None
    domain_id: int
    parent_id: int | None
    path: str
    role: str | None
    kind: str
    uidvalidity: int
    uidnext: int
    highestmodseq: int
    message_count: int
    unseen_count: int
    total_bytes: int

    @property
    def name(self) -> str:
        return self.path.rpartition("/")[2]


@dataclass(frozen=True)
class MessageInfo:
    """What list views and IMAP FETCH of cached items need; never the body."""

    id: int
    folder_id: int
    uid: int
    modseq: int
    flags: frozenset[str]
    internal_date: datetime
    size: int
    body_id: int
    sha256: str
    structure: str  # storage.mime.to_json output
    subject: str = ""
    from_display: str = ""
    snippet: str = ""
    has_attachments: bool = False


@dataclass(frozen=True)
class FlagChange:
    uid: int
    flags: frozenset[str]
    modseq: int


class DeliveryProblem(Enum):
    """Why ``store.mail.deliver`` did not store a copy for a recipient: callers branch on this, never on
    the text (the queue worker retries a full mailbox and returns the others to the sender)."""

    NO_SUCH_ADDRESS = "no such address"  # in one of our domains, but it names nothing (NotFound)
    BAD_ADDRESS = "bad address"  # malformed, or group/forwarder expansion nests too deep (InvalidInput)
    MAILBOX_FULL = "mailbox full"  # a quota of the account (bytes, messages) is used up: may pass later


@dataclass(frozen=True)
class DeliveryFailure:
    """One recipient's failed delivery: what kind of failure, and the text for logs and reports."""

    problem: DeliveryProblem
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass
class DeliveryResult:
    sha256: str
    delivered: dict[str, tuple[int, int]] = field(default_factory=dict)  # address -> (folder id, uid)
    failed: dict[str, DeliveryFailure] = field(default_factory=dict)  # address -> why not
    external: list[str] = field(default_factory=list)  # outside addresses reached through forwarders/groups
    queue_finished: bool = False  # deliver(finish_queue=True) removed the queued message in its commit


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems
