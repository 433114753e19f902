"""The IMAP session (RFC 3501 3 states, 6 commands, 7 responses): sans-IO, one per connection.

Bytes go in through ``receive``; an :class:`Output` of response parts comes back (a part may be a lazy
iterable of bytes, so FETCH streams one message body at a time). ``COMMANDS`` is the protocol's surface:
every command, the states it is valid in, whether EXPUNGE responses may accompany it, and its RFC.

Implementation notes:
- States: NOT AUTHENTICATED -> AUTHENTICATED (LOGIN/AUTHENTICATE) <-> SELECTED (SELECT/EXAMINE,
  CLOSE/UNSELECT) -> LOGOUT. A command outside its states gets BAD with the states it needs.
- Two commands are multi-step: AUTHENTICATE (SASL challenges) and IDLE (until DONE). While one is
  pending, client lines go to it, not to the parser.
- Other sessions' changes arrive through the selection's subscription to storage's change feed as a
  mark (``wake``); they are read and reported before the tagged reply of the next command, never in the
  middle of one, and EXPUNGE is held back during FETCH, STORE, SEARCH, COPY, MOVE, SORT and THREAD by
  sequence number (RFC 3501 7.4.1, RFC 2180 4.1), keeping the sequence map consistent with what the
  client was told.
- Storage errors map to responses in one place (``_storage_error``); a bug in a handler is answered
  with NO [SERVERBUG] and logged, the session lives on.
- Rights: every read and write of mail goes through ``user_mail`` (``store.for_user``), which asks the
  ACL engine at that moment; nothing here decides a right. A selected mailbox the user can no longer
  look up ("l" withdrawn, or deleted) ends the session with BYE, as a deleted one does (RFC 2180 3.3).
- Nothing here blocks on the network; storage calls are short transactions.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sidecars.imap import response as R
from sidecars.imap.contract import AUTHENTICATED, NOT_AUTHENTICATED, SELECTED, Bad, Done, No, Wait
from sidecars.imap.parser import Command, parse_command
from sidecars.imap.reader import CommandLine, NeedContinuation, Reader, Refusal
from sidecars.imap.searchkeys import BadCharset
from sidecars.imap.tokens import ParseError
from sidecars.net.errorcontrol import DROP, ErrorControl, ErrorLimits
from storage.contracts import UserMailbox
from storage.errors import (
    AlreadyExists,
    AuthFailed,
    InvalidInput,
    NotFound,
    PermissionDenied,
    QuotaExceeded,
    StorageError,
    Throttled,
)
from storage.models import Account

if TYPE_CHECKING:
    from sidecars.imap.selected import Selection
    from storage.store import Store

PREAUTH_LITERAL = 64 * 1024  # a literal before login carries at most a name or a password


@dataclass
class Output:
    parts: list[bytes | Iterable[bytes]] = field(default_factory=list)
    close: bool = False
    start_tls: bool = False
    compress: bool = False
    more: bool = False  # commands are waiting: call receive(b"") once this output is written

    def data(self) -> bytes:
        """Everything as one bytes value (transcript tests)."""
        out = []
        for part in self.parts:
            out.append(part if isinstance(part, bytes) else b"".join(part))
        return b"".join(out)


@dataclass
class SessionContext:
    store: Store
    hostname: str
    peer_ip: str
    session_id: str
    tls_active: bool
    tls_available: bool
    log: Any
    allow_plaintext: bool = False
    allow_cram: bool | None = None  # CRAM-MD5 offered (on for the server or some domain); None: look it up
    wake: Callable[[], None] | None = None  # the connection's wake-up (IDLE)
    errors: ErrorLimits = field(default_factory=ErrorLimits)
    compress_available: bool = True
    # Runs a storage-heavy handler off the event loop (the server passes gevent's threadpool); None
    # runs it in place (transcript tests).
    offload: Callable[[Callable[[], Any]], Any] | None = None


@dataclass(frozen=True)
class Spec:
    handler: Callable[[ImapSession, Command], Done | Wait]
    states: frozenset[str]
    rfc: str
    expunge_ok: bool = True  # may EXPUNGE responses be sent with it (RFC 3501 7.4.1)
    offload: bool = False  # writes or long reads: run in a worker thread so other sessions go on


ANY = frozenset({NOT_AUTHENTICATED, AUTHENTICATED, SELECTED})
AUTH = frozenset({AUTHENTICATED, SELECTED})
SEL = frozenset({SELECTED})
PRE = frozenset({NOT_AUTHENTICATED})


class ImapSession:
    def __init__(self, context: SessionContext) -> None:
        self.ctx = context
        self.store = context.store
        self.tls_active = context.tls_active
        self.state = NOT_AUTHENTICATED
        self.account: Account | None = None
        self.user_mail: UserMailbox | None = None  # storage on behalf of the logged-in user (ACL-checked)
        self.reader = Reader(max_literal=PREAUTH_LITERAL)
        self.backlog: list[Any] = []  # read commands waiting for a lazy answer to be written
        self.errors = ErrorControl(context.errors)
        self.pending: Wait | None = None
        self.pending_tag = ""
        self.selection: Selection | None = None
        self.enabled: set[str] = set()
        self.utf8 = False
        self.condstore = False  # the client has used a CONDSTORE feature (RFC 7162 3.1)
        self.compressed = False
        self.saved: list[int] = []  # SEARCH RETURN (SAVE) result as UIDs (RFC 5182)
        self.client_id: dict[str, str | None] = {}
        self.closed = False
        self.cram: bool | None = self.ctx.allow_cram  # CRAM-MD5 offered (looked up once)
        self.drop = False  # end the session after this reply (error control)

    # -- what the connection calls ------------------------------------------------------------------

    def banner(self) -> bytes:
        from sidecars.imap.auth import capabilities

        return R.untagged(f"OK [CAPABILITY {capabilities(self)}] Fieldpost IMAP ready on {self.ctx.hostname}")

    def tls_started(self) -> bytes:
        self.tls_active = True
        return b""

    def connection_lost(self) -> None:
        self.leave_mailbox()
        self.closed = True

    def wake(self) -> None:
        """Called by the change feed (any thread): something changed in the selected folder."""
        if self.selection is not None:
            self.selection.dirty = True
        if self.ctx.wake is not None:
            self.ctx.wake()

    def idle_updates(self) -> Output:
        """While IDLE: report what changed (RFC 2177 3), EXPUNGE included."""
        if self.pending is None or self.selection is None or not self.selection.dirty:
            return Output()
        return Output(list(self.selection.updates(self, expunge_ok=True)), close=self.drop)

    @property
    def dirty_selection(self) -> bool:
        return self.selection is not None and bool(self.selection.dirty)

    @property
    def idling(self) -> bool:
        return self.pending is not None and self.pending.kind == "idle"

    def receive(self, data: bytes) -> Output:
        """Answer the commands in ``data``. A command whose answer is produced lazily (FETCH bodies)
        ends the batch: the rest waits in ``backlog`` until the connection has written that answer
        and calls ``receive(b"")`` again (``Output.more``), so pipelined commands see each other's
        effects in order (RFC 3501 5.5)."""
        out = Output()
        events = self.backlog + self.reader.feed(data) if data else self.backlog
        self.backlog = []
        for index, event in enumerate(events):
            if self.closed or out.start_tls or out.close:
                break  # bytes after STARTTLS's OK are the client's to resend over TLS (RFC 3501 6.2.1)
            if isinstance(event, NeedContinuation):
                out.parts.append(b"+ Ready for literal data\r\n")
            elif isinstance(event, Refusal):
                self._count_error(out)
                out.parts.append(
                    R.tagged(event.tag, "BAD", event.text, "TOOBIG" if "literal" in event.text else None)
                )
            elif isinstance(event, CommandLine):
                if self.pending is not None:
                    text, waiting = b"".join(event.texts), self.pending
                    self.pending = None
                    self._run(out, self.pending_tag, "", functools.partial(waiting.on_line, text), None)
                else:
                    self._command(out, event)
            if out.compress:
                break
            if index + 1 < len(events) and any(not isinstance(p, bytes) for p in out.parts):
                self.backlog = events[index + 1 :]
                out.more = True
                break
        return out

    # -- one command ----------------------------------------------------------------------------------

    def _command(self, out: Output, line: CommandLine) -> None:
        try:
            cmd = parse_command(line)
        except BadCharset as exc:
            out.parts.append(R.tagged(exc.tag, "NO", exc.text, "BADCHARSET (UTF-8 US-ASCII)"))
            return
        except ParseError as exc:
            self._count_error(out)
            out.parts.append(R.tagged(exc.tag, "BAD", exc.text))
            return
        spec = COMMANDS.get(cmd.name)
        if spec is None:  # parsed but not served (cannot happen unless the tables disagree)
            out.parts.append(R.tagged(cmd.tag, "BAD", f"unknown command {cmd.name}"))
            return
        if self.state not in spec.states:
            self._count_error(out)
            out.parts.append(R.tagged(cmd.tag, "BAD", _state_text(cmd.name, spec.states)))
            return
        self._run(out, cmd.tag, cmd.name, lambda: spec.handler(self, cmd), spec)

    def _run(
        self, out: Output, tag: str, name: str, step: Callable[[], Done | Wait], spec: Spec | None
    ) -> None:
        try:
            if spec is not None and spec.offload and self.ctx.offload is not None:
                result = self.ctx.offload(step)
            else:
                result = step()
        except No as exc:
            out.parts += self._updates(spec)
            out.parts.append(R.tagged(tag, "NO", exc.text, exc.code))
            if self.drop:
                out.parts.append(R.untagged("BYE too many failed authentications, closing connection"))
                out.close = True
                self.ctx.log.info("dropped: %s", self.errors.reason)
            return
        except Bad as exc:
            self._count_error(out)
            out.parts.append(R.tagged(tag, "BAD", exc.text, exc.code))
            return
        except (StorageError, ValueError) as exc:
            if isinstance(exc, NotFound) and self._selected_gone():
                # RFC 2180 3.3 / RFC 4314 4: the selected mailbox was deleted or its "l" withdrawn
                out.parts.append(R.untagged("BYE the selected mailbox no longer exists"))
                out.parts.append(R.tagged(tag, "NO", str(exc), "NONEXISTENT"))
                out.close = True
                self.leave_mailbox()
                return
            text, code = self._storage_error(exc)
            out.parts.append(R.tagged(tag, "NO", text, code))
            return
        except Exception:
            self.ctx.log.error("IMAP %s failed: %s", name, traceback.format_exc(limit=8).replace("\n", " | "))
            out.parts.append(
                R.tagged(tag, "NO", "internal server error; the problem was logged", "SERVERBUG")
            )
            return
        self._finish(out, tag, result, spec)

    def _finish(self, out: Output, tag: str, result: Done | Wait, spec: Spec | None) -> None:
        if isinstance(result, Wait):
            self.pending, self.pending_tag = result, tag
            out.parts += result.parts
            return
        self.pending = None
        out.parts += result.parts
        if not result.close:
            out.parts += self._updates(spec)
        out.parts.append(R.tagged(tag, result.status, result.text, result.code))
        out.close |= result.close or self.drop
        out.start_tls |= result.start_tls
        out.compress |= result.compress
        if result.start_tls:
            self.reader = Reader(max_literal=self.reader.max_literal)

    def _updates(self, spec: Spec | None) -> list[bytes | Iterable[bytes]]:
        if self.selection is None or self.state != SELECTED:
            return []
        expunge_ok = spec.expunge_ok if spec is not None else True
        return list(self.selection.updates(self, expunge_ok=expunge_ok)) if self.selection.dirty else []

    def _count_error(self, out: Output) -> None:
        if self.errors.protocol_error() == DROP:
            out.parts.append(R.untagged("BYE too many protocol errors, closing connection"))
            out.close = True
            self.ctx.log.info("dropped: %s", self.errors.reason)

    def _selected_gone(self) -> bool:
        """After a NotFound: is it the selected mailbox that the user can no longer see?"""
        if self.selection is None or self.user_mail is None:
            return False
        try:
            self.user_mail.rights(self.selection.id)
        except NotFound:
            return True
        return False

    def auth_failed(self) -> bool:
        """Count a failed login; True when the session must end."""
        return self.errors.auth_failure() == DROP

    def _storage_error(self, exc: Exception) -> tuple[str, str | None]:
        if isinstance(exc, NotFound):
            return f"{exc}", "NONEXISTENT"
        if isinstance(exc, PermissionDenied):
            return "permission denied: " + str(exc), "NOPERM"
        if isinstance(exc, QuotaExceeded):
            return str(exc), "OVERQUOTA"
        if isinstance(exc, AlreadyExists):
            return str(exc), "ALREADYEXISTS"
        if isinstance(exc, InvalidInput | ValueError):
            return str(exc), "CANNOT"
        if isinstance(exc, AuthFailed | Throttled):
            return "authentication failed", "AUTHENTICATIONFAILED"
        return f"storage error: {exc}", "SERVERBUG"

    # -- helpers for the handlers ---------------------------------------------------------------------

    def logged_in(self, account: Account) -> None:
        self.account = account
        self.user_mail = self.store.for_user(account.id)
        self.state = AUTHENTICATED
        try:
            self.reader.max_literal = int(
                self.store.settings.effective_many(["mail.max_message_bytes"], account_id=account.id)[
                    "mail.max_message_bytes"
                ]
            )
        except (StorageError, ValueError):
            self.reader.max_literal = 50 * 1024 * 1024
        self.ctx.log.info("authenticated as %s", account.address)

    @property
    def user(self) -> str:
        assert self.account is not None
        return self.account.address

    @property
    def mine(self) -> UserMailbox:
        """The logged-in user's mail, every call checked by storage's ACL engine."""
        assert self.user_mail is not None
        return self.user_mail

    @property
    def account_id(self) -> int:
        assert self.account is not None
        return self.account.id

    def leave_mailbox(self) -> None:
        if self.selection is not None:
            self.selection.release(self)
            self.selection = None
        if self.state == SELECTED:
            self.state = AUTHENTICATED


def _state_text(name: str, states: frozenset[str]) -> str:
    if states == PRE:
        return f"{name} is only valid before authentication"
    if states == SEL:
        return f"{name} needs a selected mailbox (SELECT or EXAMINE first)"
    if states == AUTH:
        return f"{name} needs an authenticated session (LOGIN or AUTHENTICATE first)"
    return f"{name} is not valid now"


def _table() -> dict[str, Spec]:
    from sidecars.imap import (
        acl,
        append,
        auth,
        fetch,
        idle,
        mailboxes,
        quota,
        search,
        selected,
        sortthread,
        store,
    )

    return {
        # RFC 3501 6.1: any state
        "CAPABILITY": Spec(auth.capability, ANY, "RFC 3501 6.1.1"),
        "NOOP": Spec(selected.noop, ANY, "RFC 3501 6.1.2"),
        "LOGOUT": Spec(auth.logout, ANY, "RFC 3501 6.1.3"),
        "ID": Spec(auth.id_command, ANY, "RFC 2971 3.1"),
        "COMPRESS": Spec(auth.compress, AUTH, "RFC 4978 3"),
        # RFC 3501 6.2: not authenticated
        "STARTTLS": Spec(auth.starttls, PRE, "RFC 3501 6.2.1"),
        "AUTHENTICATE": Spec(auth.authenticate, PRE, "RFC 3501 6.2.2, RFC 4959"),
        "LOGIN": Spec(auth.login, PRE, "RFC 3501 6.2.3"),
        # RFC 3501 6.3: authenticated
        "ENABLE": Spec(auth.enable, frozenset({AUTHENTICATED}), "RFC 5161 3.1"),
        "SELECT": Spec(selected.select, AUTH, "RFC 3501 6.3.1, RFC 7162 3.2.5", offload=True),
        "EXAMINE": Spec(selected.examine, AUTH, "RFC 3501 6.3.2", offload=True),
        "CREATE": Spec(mailboxes.create, AUTH, "RFC 3501 6.3.3, RFC 6154 3", offload=True),
        "DELETE": Spec(mailboxes.delete, AUTH, "RFC 3501 6.3.4", offload=True),
        "RENAME": Spec(mailboxes.rename, AUTH, "RFC 3501 6.3.5", offload=True),
        "SUBSCRIBE": Spec(mailboxes.subscribe, AUTH, "RFC 3501 6.3.6", offload=True),
        "UNSUBSCRIBE": Spec(mailboxes.unsubscribe, AUTH, "RFC 3501 6.3.7", offload=True),
        "LIST": Spec(
            mailboxes.list_command, AUTH, "RFC 3501 6.3.8, RFC 5258, RFC 5819, RFC 6154", offload=True
        ),
        "LSUB": Spec(mailboxes.list_command, AUTH, "RFC 3501 6.3.9", offload=True),
        "NAMESPACE": Spec(mailboxes.namespace, AUTH, "RFC 2342 5"),
        "STATUS": Spec(mailboxes.status, AUTH, "RFC 3501 6.3.10", offload=True),
        "APPEND": Spec(append.append, AUTH, "RFC 3501 6.3.11, RFC 4315 3", offload=True),
        "IDLE": Spec(idle.idle, AUTH, "RFC 2177 3"),
        "GETACL": Spec(acl.getacl, AUTH, "RFC 4314 3.3"),
        "SETACL": Spec(acl.setacl, AUTH, "RFC 4314 3.1", offload=True),
        "DELETEACL": Spec(acl.deleteacl, AUTH, "RFC 4314 3.2", offload=True),
        "LISTRIGHTS": Spec(acl.listrights, AUTH, "RFC 4314 3.4"),
        "MYRIGHTS": Spec(acl.myrights, AUTH, "RFC 4314 3.5"),
        "GETQUOTA": Spec(quota.getquota, AUTH, "RFC 9208 4.2"),
        "GETQUOTAROOT": Spec(quota.getquotaroot, AUTH, "RFC 9208 4.3"),
        "SETQUOTA": Spec(quota.setquota, AUTH, "RFC 9208 4.1"),
        # RFC 3501 6.4: selected
        "CHECK": Spec(selected.check, SEL, "RFC 3501 6.4.1"),
        "CLOSE": Spec(selected.close, SEL, "RFC 3501 6.4.2", offload=True),
        "UNSELECT": Spec(selected.unselect, SEL, "RFC 3691 2"),
        "EXPUNGE": Spec(selected.expunge, SEL, "RFC 3501 6.4.3", offload=True),
        "UID EXPUNGE": Spec(selected.expunge, SEL, "RFC 4315 2.1", offload=True),
        "SEARCH": Spec(
            search.search, SEL, "RFC 3501 6.4.4, RFC 4731, RFC 5182", expunge_ok=False, offload=True
        ),
        "UID SEARCH": Spec(search.search, SEL, "RFC 3501 6.4.8", offload=True),
        "SORT": Spec(sortthread.sort, SEL, "RFC 5256 3", expunge_ok=False, offload=True),
        "UID SORT": Spec(sortthread.sort, SEL, "RFC 5256 3", offload=True),
        "THREAD": Spec(sortthread.thread, SEL, "RFC 5256 3", expunge_ok=False, offload=True),
        "UID THREAD": Spec(sortthread.thread, SEL, "RFC 5256 3", offload=True),
        "FETCH": Spec(fetch.fetch, SEL, "RFC 3501 6.4.5, RFC 7162 3.1.4", expunge_ok=False, offload=True),
        "UID FETCH": Spec(fetch.fetch, SEL, "RFC 3501 6.4.8, RFC 7162 3.2.6", offload=True),
        "STORE": Spec(store.store, SEL, "RFC 3501 6.4.6, RFC 7162 3.1.3", expunge_ok=False, offload=True),
        "UID STORE": Spec(store.store, SEL, "RFC 3501 6.4.8", offload=True),
        "COPY": Spec(store.copy, SEL, "RFC 3501 6.4.7, RFC 4315 3", expunge_ok=False, offload=True),
        "UID COPY": Spec(store.copy, SEL, "RFC 4315 3", offload=True),
        "MOVE": Spec(store.move, SEL, "RFC 6851 3.1", expunge_ok=False, offload=True),
        "UID MOVE": Spec(store.move, SEL, "RFC 6851 3.2", offload=True),
    }


COMMANDS: dict[str, Spec] = {}


def _load_table() -> None:
    COMMANDS.update(_table())


_load_table()
