"""The table of JMAP methods (RFC 8620 section 3): method modules register here, the envelope calls them.

Why a table of its own: the request envelope (``webmail/jmap/envelope.py``: the "using" check,
back-references, createdIds, the per-call error shape) must not know any data type, and a data type's
module (``webmail/jmap/mail/*.py``) must not know HTTP. A handler gets a :class:`Call` and the method's
arguments with every back-reference already resolved, and returns the response arguments. It never opens a
transaction or checks a right itself: ``call.user`` is the account's user-bound storage facade, which does
both (issue 10).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from storage.usermail import UserMail

#: A method's arguments or its response arguments: a JSON object.
Args = dict[str, Any]

#: The capabilities this server knows (RFC 8620 2, RFC 8621 1.3.1-1.3.3).
CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
SUBMISSION = "urn:ietf:params:jmap:submission"
VACATION = "urn:ietf:params:jmap:vacationresponse"
CALENDARS = "urn:ietf:params:jmap:calendars"  # draft-ietf-jmap-calendars-22 (webmail/jmap/calendars)


class MethodError(Exception):
    """A method-level error (RFC 8620 3.6.2), answered as ``["error", {"type": ..., ...}, callId]``.

    ``type`` is one of the RFC's names (``invalidArguments``, ``accountNotFound``, ``forbidden``,
    ``cannotCalculateChanges``, ``tooLarge``, ``unknownMethod``, ``stateMismatch``, ...); ``extra`` adds
    properties the RFC defines for some types (e.g. ``arguments`` for invalidArguments).
    """

    def __init__(self, type_: str, description: str | None = None, **extra: Any) -> None:
        super().__init__(description or type_)
        self.type = type_
        self.description = description
        self.extra = extra

    def as_args(self) -> Args:
        body: Args = {"type": self.type, **self.extra}
        if self.description:
            body["description"] = self.description
        return body


@dataclass(frozen=True)
class Client:
    """Where the HTTP request came from: what EmailSubmission writes into the Received field of the
    message it queues (the envelope fills it from the request; the defaults say "unknown")."""

    ip: str = ""
    port: int = 0
    tls: bool = False
    host: str = ""  # the Host the client asked for (our name when server.hostname is not set)


@dataclass
class Call:
    """What a handler gets besides its arguments; one per method call, sharing the request's state."""

    user: UserMail  # the signed-in account's facade: every read and write goes through it
    account_id: str  # the JMAP accountId of the signed-in account (also the only one in the session)
    address: str  # the account's primary address (Identity, EmailSubmission)
    using: frozenset[str]  # the request's capabilities
    created_ids: dict[str, str] = field(default_factory=dict)  # creation id -> server id, whole request
    #: Extra responses a method asks to add after its own (RFC 8620 5.3 onSuccessUpdate/Destroy, e.g. an
    #: implicit Email/set after EmailSubmission/set): (method name, response arguments).
    implicit: list[tuple[str, Args]] = field(default_factory=list)
    client: Client = field(default_factory=Client)  # the request's peer (EmailSubmission's trace)

    def account(self, args: Args) -> None:
        """Refuse a call for another account (RFC 8620 3.6.2 accountNotFound)."""
        if args.get("accountId") != self.account_id:
            raise MethodError("accountNotFound")


Handler = Callable[[Call, Args], Args]


@dataclass(frozen=True)
class Method:
    name: str  # "Email/get"
    capability: str  # the capability the request must be "using" for this method
    handler: Handler
    #: the argument names the method takes (RFC 8620 3.6.2: any other is ``invalidArguments``, answered by
    #: the envelope before the handler runs); None: the handler checks its arguments itself
    arguments: frozenset[str] | None = None


METHODS: dict[str, Method] = {}


def method(
    name: str, capability: str, arguments: Iterable[str] | None = None
) -> Callable[[Handler], Handler]:
    """Register ``handler`` as the JMAP method ``name`` (a module registers its methods on import), taking
    the ``arguments`` named (see :class:`Method`)."""

    def register(handler: Handler) -> Handler:
        if name in METHODS:
            raise RuntimeError(f"JMAP method {name} registered twice")
        METHODS[name] = Method(name, capability, handler, frozenset(arguments) if arguments else None)
        return handler

    return register


#: The capability objects of the data-type parts, by capability URI: what a data-type package puts in the
#: Session's ``accountCapabilities`` (e.g. RFC 8621 1.3.1 ``maxMailboxesPerEmail``...) and, for the few
#: capabilities that have server-wide values, in ``capabilities``. A package fills these on import; the
#: Session resource (webmail/jmap/session_resource.py) reads them on every request and shows ``{}`` for a
#: known capability nobody filled.
ACCOUNT_CAPABILITIES: dict[str, Args] = {}
SERVER_CAPABILITIES: dict[str, Args] = {}

#: Where push (webmail/jmap/push.py) learns the current state strings of the data types for one account:
#: each source takes the account's user-bound facade and answers {type name: state} for the types it
#: owns (e.g. {"Mailbox": ..., "Email": ..., "Thread": ...}). When the account changes, push calls every
#: source and sends a StateChange naming the types whose state moved; a type no source names is never
#: pushed. A source must be cheap (one read) and must not raise for an account without mail.
StateSource = Callable[[UserMail], dict[str, str]]
STATE_SOURCES: list[StateSource] = []


def state_source(source: StateSource) -> StateSource:
    """Register ``source`` in :data:`STATE_SOURCES` (once)."""
    if source not in STATE_SOURCES:
        STATE_SOURCES.append(source)
    return source
