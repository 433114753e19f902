"""The POP3 state machine (RFC 1939, CAPA RFC 2449, AUTH RFC 5034, STLS RFC 2595).

Implementation notes:
- No I/O: the server glue hands ``receive`` raw bytes in any chunking and writes ``Output.parts`` in
  order; a part is bytes or a lazy iterable of bytes (RETR and TOP bodies, read from the blob store
  chunk by chunk as the client takes them). After a streamed answer the session stops with
  ``more=True`` and the glue calls ``receive(b"")`` once the body is written, so pipelined commands
  (RFC 2449 6.6) never run ahead of a body still being sent.
- ``COMMANDS`` below is the protocol's surface: per command the handler, the states that allow it,
  whether it is allowed before TLS, its syntax and its RFC section.
- The maildrop is a snapshot taken at login (storage.maildrop): message n is the n-th UID of the folder
  as it was then, sizes from the index, never from bodies. DELE only marks; RSET unmarks; the marked
  messages are removed at QUIT in one transaction (RFC 1939 6, UPDATE). A message that vanished meanwhile
  (expunged over IMAP or WebMail) is a zombie: its number stays, RETR and TOP of it fail, and LIST
  and STAT count it with size 0 from then on. Bodies are read by the blob names of the snapshot;
  expunges and the rights are looked up again at most every ``REFRESH_SECONDS`` before a read
  (storage.maildrop explains the trade). The lock RFC 1939 asks for is not taken: sessions on the same
  folder do not exclude each other, and whatever one removes is simply gone for the others.
- RETR sets \\Seen (storage needs the "s" right); TOP does not. The flags are written in batches: when
  ``SEEN_BATCH`` messages are pending, ``SEEN_DELAY`` seconds after the first, at QUIT, and when the
  connection ends any other way, so a 10,000-message download costs tens of writes, not 10,000.
- Storage calls that can take long (the snapshot, writes) go through ``ctx.offload`` (the hub's
  threadpool in the server; inline in tests); password checks go off the hub inside sidecars.sasl.
- Error control (sidecars.net.errorcontrol): bad or misplaced commands and failed logins are counted;
  past ``net.pop3.max_errors`` / ``max_auth_failures`` the session is answered and closed.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sidecars import sasl
from sidecars.net.errorcontrol import DROP, ErrorControl, ErrorLimits
from sidecars.pop3 import parser as P
from storage.blobs import BlobReader
from storage.errors import (
    AppPasswordRequired,
    AuthFailed,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StorageError,
    Throttled,
)
from storage.maildrop import REFRESH_SECONDS, DropSnapshot, Maildrop
from storage.models import Account

if TYPE_CHECKING:
    from storage.store import Store

AUTHORIZATION = "AUTHORIZATION"
TRANSACTION = "TRANSACTION"
SERVICE = "pop3"
SEEN_BATCH = 256
SEEN_DELAY = 2.0
FOLDER_MARK = "+"
T = TypeVar("T")


def _inline(fn: Callable[[], T]) -> T:
    return fn()


@dataclass
class SessionContext:
    store: Store
    hostname: str
    peer_ip: str
    session_id: str
    tls_active: bool
    tls_available: bool
    log: logging.LoggerAdapter[Any] | logging.Logger
    allow_plaintext: bool = False
    allow_cram: bool | None = None  # CRAM-MD5 offered (on for the server or some domain); None: look it up
    errors: ErrorLimits = field(default_factory=ErrorLimits)
    offload: Callable[[Callable[[], Any]], Any] = _inline


Part = bytes | Iterable[bytes]


@dataclass(frozen=True)
class Output:
    parts: tuple[Part, ...] = ()
    close: bool = False
    start_tls: bool = False
    more: bool = False

    @property
    def data(self) -> bytes:
        """Every part joined (tests and short answers; the server streams ``parts`` instead)."""
        return b"".join(p if isinstance(p, bytes) else b"".join(p) for p in self.parts)


@dataclass(frozen=True)
class Command:
    handler: Callable[[Pop3Session, P.Command], Output]
    states: frozenset[str]
    before_tls: bool  # allowed on a plain connection that has not done STLS
    syntax: str
    rfc: str


class _Refused(Exception):
    """A command refused with a counted protocol error (its text goes to the client)."""


class Pop3Session:
    def __init__(self, context: SessionContext) -> None:
        self.ctx = context
        self.store = context.store
        self.tls_active = context.tls_active
        self.state = AUTHORIZATION
        self.reader = P.Reader()
        self.errors = ErrorControl(context.errors)
        self.timestamp = f"<{os.getpid()}.{time.time_ns() // 1000}.{context.session_id}@{context.hostname}>"
        self.user: str | None = None  # USER given, PASS expected
        self.account: Account | None = None
        self.folder = "INBOX"
        self.drop: DropSnapshot | None = None
        self.deleted: set[int] = set()  # message numbers marked by DELE
        self.vanished: set[int] = set()  # message numbers found expunged by someone else
        self.seen_pending: list[int] = []  # UIDs retrieved whose \Seen is not written yet
        self.seen_since = 0.0
        self.mechanism: sasl.Mechanism | None = None
        self.final_pending = False  # SASL: additional data sent, the client's empty line expected
        self.cram: bool | None = self.ctx.allow_cram
        self.closed = False
        self.retrieved = 0
        self.refreshed = 0.0  # time.monotonic() of the last Maildrop.refresh

    # -- greeting and capabilities ---------------------------------------------------------------

    def banner(self) -> bytes:
        # RFC 1939 4 and 7: the greeting carries the APOP timestamp
        return P.ok(f"{self.ctx.hostname} Fieldpost POP3 ready {self.timestamp}")

    def tls_started(self) -> bytes | None:
        self.tls_active = True
        self.reader = P.Reader()
        return None  # RFC 2595 4: the client speaks first after STLS

    @property
    def established(self) -> bool:
        """The client has logged in: the listener's long idle time applies (sidecars.net.standing)."""
        return self.account is not None

    def passwords_allowed(self) -> bool:
        return self.tls_active or self.ctx.allow_plaintext

    def mechanisms(self) -> list[str]:
        if self.cram is None:
            self.cram = self._cram_anywhere()
        return sasl.offered(self.tls_active, self.ctx.allow_plaintext, self.cram)

    def _cram_anywhere(self) -> bool:
        """CRAM-MD5 is offered when ``auth.allow_cram`` is on at server level or in any domain (the
        exchange refuses accounts whose domain keeps no secret), as IMAP does."""
        try:
            return self.store.settings.on_for_any_domain("auth.allow_cram")
        except Exception:
            return False

    def capabilities(self) -> list[str]:
        caps = ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "EXPIRE NEVER"]
        if self.state == AUTHORIZATION:
            if self.passwords_allowed():
                caps.append("USER")
            mechs = self.mechanisms()
            if mechs:
                caps.append("SASL " + " ".join(mechs))
            if self.ctx.tls_available and not self.tls_active:
                caps.append("STLS")
        caps.append("IMPLEMENTATION Fieldpost")
        return caps

    # -- input -------------------------------------------------------------------------------------

    def receive(self, data: bytes) -> Output:
        if self.closed:
            return Output(close=True)
        parts: list[Part] = []
        for item in self.reader.feed(data):
            if isinstance(item, P.TooLong):
                result = self._error(f"line longer than {item.limit} octets")
            elif self.mechanism is not None or self.final_pending:
                result = self._sasl_response(item.text)
            else:
                result = self._line(item.text)
            parts.extend(result.parts)
            if result.close:
                self.closed = True
                return Output(tuple(parts), close=True)
            if result.start_tls:
                self.reader = P.Reader()  # bytes pipelined before the handshake are dropped
                return Output(tuple(parts), start_tls=True)
            if any(not isinstance(p, bytes) for p in result.parts):
                # a streamed answer: later lines stay in the reader's buffer for receive(b"")
                return Output(tuple(parts), more=True)
        return Output(tuple(parts))

    def connection_lost(self) -> None:
        """The connection ended without QUIT: nothing is removed (RFC 1939 6); what was retrieved is
        marked read."""
        self.closed = True
        self._flush_seen(force=True)

    def _error(self, text: str, code: str | None = None) -> Output:
        if self.errors.protocol_error() == DROP:
            self.ctx.log.info("closing: %s", self.errors.reason)
            return Output((P.err(text, code), P.err("too many errors, closing connection")), close=True)
        return Output((P.err(text, code),))

    def _line(self, text: bytes) -> Output:
        try:
            command = P.parse(text)
        except P.BadCommand as exc:
            return self._error(str(exc))
        if command.name not in ("USER", "PASS"):
            self.user = None  # RFC 1939 7: PASS must follow USER at once
        spec = COMMANDS.get(command.name)
        if spec is None:
            return self._error(f"unknown command {command.name}")
        if self.state not in spec.states:
            return self._error(f"{command.name} is not allowed in the {self.state} state")
        if not spec.before_tls and not self.passwords_allowed():
            return self._error(f"{command.name} needs TLS first: use STLS", "AUTH")
        try:
            out = spec.handler(self, command)
        except _Refused as exc:
            return self._error(str(exc))
        except P.BadCommand as exc:
            return self._error(f"{command.name}: {exc}; syntax: {spec.syntax}")
        except StorageError as exc:
            self.ctx.log.warning("storage error in %s: %s", command.name, exc)
            return Output((P.err("temporary storage failure, try again later", "SYS/TEMP"),))
        if self.state == TRANSACTION and command.name not in ("QUIT",):
            self._flush_seen()
        return out

    # -- AUTHORIZATION (RFC 1939 4, 7; RFC 5034; RFC 2595) ----------------------------------------

    def cmd_capa(self, command: P.Command) -> Output:
        # RFC 2449 5
        _no_args(command)
        return Output((P.ok("capability list follows"), P.multiline(self.capabilities())))

    def cmd_stls(self, command: P.Command) -> Output:
        # RFC 2595 4
        _no_args(command)
        if self.tls_active or not self.ctx.tls_available:
            raise _Refused("STLS is not available" + (" (TLS is already active)" if self.tls_active else ""))
        return Output((P.ok("begin TLS negotiation"),), start_tls=True)

    def cmd_user(self, command: P.Command) -> Output:
        # RFC 1939 7 USER
        if not command.argument or len(command.argument) > 320:
            raise P.BadCommand("a user name is needed")
        self.user = command.argument
        return Output((P.ok("send your password"),))

    def cmd_pass(self, command: P.Command) -> Output:
        # RFC 1939 7 PASS: the whole rest of the line is the password (it may hold spaces)
        if self.user is None:
            raise _Refused("send USER first")
        user, self.user = self.user, None
        if not command.argument:
            raise P.BadCommand("a password is needed")
        name, folder = split_login(user)
        mechanism = sasl.new(
            sasl.PLAIN, self.store, ip=self.ctx.peer_ip, service=SERVICE, hostname=self.ctx.hostname
        )
        return self._login(lambda: mechanism.start(f"\0{name}\0{command.argument}".encode()).account, folder)

    def cmd_apop(self, command: P.Command) -> Output:
        # RFC 1939 7 APOP name digest
        args = command.args
        if len(args) != 2:
            raise P.BadCommand("expected a name and a digest")
        name, folder = split_login(args[0])

        def verify() -> Account:
            return sasl.verify_apop(
                self.store,
                ip=self.ctx.peer_ip,
                service=SERVICE,
                timestamp=self.timestamp,
                user=name,
                digest=args[1],
            )

        return self._login(verify, folder)

    def cmd_auth(self, command: P.Command) -> Output:
        # RFC 5034 4 (no argument: the list of mechanisms, as RFC 1734 clients ask)
        args = command.args
        mechs = self.mechanisms()
        if not args:
            return Output((P.ok("mechanisms follow"), P.multiline(mechs)))
        if len(args) > 2:
            raise P.BadCommand("expected a mechanism and an optional initial response")
        name = args[0].upper()
        if name not in mechs:
            raise _Refused(f"mechanism {args[0][:40]} is not offered")
        initial: bytes | None = None
        if len(args) == 2:
            if args[1] == "=":
                initial = b""
            else:
                try:
                    initial = base64.b64decode(args[1], validate=True)
                except (binascii.Error, ValueError):
                    return self._auth_failed("the initial response is not valid base64")
        self.mechanism = sasl.new(
            name, self.store, ip=self.ctx.peer_ip, service=SERVICE, hostname=self.ctx.hostname
        )
        return self._sasl_step(lambda m: m.start(initial))

    def _sasl_response(self, text: bytes) -> Output:
        if self.final_pending:
            self.final_pending = False
            if text:
                return self._auth_failed("expected an empty response after the server's final data")
            return self._logged_in_reply()
        if text == b"*":
            self.mechanism = None
            return Output((P.err("authentication cancelled", "AUTH"),))
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            self.mechanism = None
            return self._auth_failed("the response is not valid base64")
        return self._sasl_step(lambda m: m.step(data))

    def _sasl_step(self, advance: Callable[[sasl.Mechanism], sasl.Step]) -> Output:
        mechanism = self.mechanism
        assert mechanism is not None
        try:
            step = advance(mechanism)
        except Throttled:
            self.mechanism = None
            return Output((P.err("too many failed logins, try again later", "LOGIN-DELAY"),))
        except AppPasswordRequired as exc:  # two-step sign-in: say what to do (storage/auth.py)
            self.mechanism = None
            return self._auth_failed(str(exc))
        except (AuthFailed, InvalidInput, NotFound):
            self.mechanism = None
            return self._auth_failed("authentication failed")
        if not step.done:
            return Output((P.continuation(base64.b64encode(step.challenge or b"").decode()),))
        self.mechanism = None
        if step.account is None:
            return self._auth_failed("authentication failed")
        failure = self._open(step.account, "INBOX")
        if failure is not None:
            return failure
        if step.challenge:  # RFC 5034 4: additional data with success goes as one more challenge
            self.final_pending = True
            return Output((P.continuation(base64.b64encode(step.challenge).decode()),))
        return self._logged_in_reply()

    def _login(self, verify: Callable[[], Account | None], folder: str) -> Output:
        try:
            account = verify()
        except Throttled:
            return Output((P.err("too many failed logins, try again later", "LOGIN-DELAY"),))
        except AppPasswordRequired as exc:
            return self._auth_failed(str(exc))
        except (AuthFailed, InvalidInput, NotFound):
            account = None
        if account is None:
            return self._auth_failed("authentication failed")
        failure = self._open(account, folder)
        return failure if failure is not None else self._logged_in_reply()

    def _open(self, account: Account, folder: str) -> Output | None:
        """Take the snapshot of the folder (RFC 1939 4: the maildrop is opened at login)."""
        try:
            drop = self.ctx.offload(
                lambda: self.store.for_user(account.id).maildrop.open(account.address, folder)
            )
        except (NotFound, InvalidInput, PermissionDenied):
            return Output((P.err(f"no readable folder {folder!r}", "SYS/PERM"),))
        except StorageError as exc:
            self.ctx.log.warning("cannot open the maildrop of %s: %s", account.address, exc)
            return Output((P.err("the mailbox cannot be opened now, try again later", "SYS/TEMP"),))
        self.account, self.drop, self.folder, self.state = account, drop, folder, TRANSACTION
        self.refreshed = time.monotonic()
        self.ctx.log.info(
            "authenticated as %s, folder %s, %d messages", account.address, drop.path, len(drop.uids)
        )
        return None

    def _logged_in_reply(self) -> Output:
        drop = self.drop
        assert drop is not None
        return Output((P.ok(f"{len(drop.uids)} messages ({drop.total_bytes} octets)"),))

    def _auth_failed(self, text: str) -> Output:
        self.ctx.log.info("authentication failed")
        if self.errors.auth_failure() == DROP:
            return Output(
                (P.err(text, "AUTH"), P.err("too many failed logins, closing connection")), close=True
            )
        return Output((P.err(text, "AUTH"),))

    # -- TRANSACTION (RFC 1939 5) ------------------------------------------------------------------

    @property
    def snapshot(self) -> DropSnapshot:
        assert self.drop is not None
        return self.drop

    def _message(self, text: str) -> int:
        """A message number that exists and is not deleted (RFC 1939 5: otherwise -ERR)."""
        n = P.number(text)
        if n > len(self.snapshot.uids):
            raise _Refused(f"no message {n}: there are {len(self.snapshot.uids)}")
        if n in self.deleted:
            raise _Refused(f"message {n} is deleted")
        return n

    def _size(self, n: int) -> int:
        return 0 if n in self.vanished else self.snapshot.sizes[n - 1]

    def cmd_stat(self, command: P.Command) -> Output:
        # RFC 1939 5 STAT: deleted messages are not counted
        _no_args(command)
        self._refresh()
        count = len(self.snapshot.uids) - len(self.deleted)
        total = self.snapshot.total_bytes - sum(
            self.snapshot.sizes[n - 1] for n in self.deleted | self.vanished
        )
        return Output((P.ok(f"{count} {total}"),))

    def cmd_list(self, command: P.Command) -> Output:
        # RFC 1939 5 LIST [msg]
        args = command.args
        if len(args) > 1:
            raise P.BadCommand("at most one message number")
        self._refresh()
        if args:
            n = self._message(args[0])
            return Output((P.ok(f"{n} {self._size(n)}"),))
        count = len(self.snapshot.uids) - len(self.deleted)
        return Output((P.ok(f"{count} messages"), self._listing(lambda n: str(self._size(n)))))

    def cmd_uidl(self, command: P.Command) -> Output:
        # RFC 1939 7 UIDL [msg]: "<UIDVALIDITY>.<UID>", the same for as long as the folder exists
        args = command.args
        if len(args) > 1:
            raise P.BadCommand("at most one message number")
        if args:
            n = self._message(args[0])
            return Output((P.ok(f"{n} {self._uidl(n)}"),))
        return Output((P.ok("unique-id listing follows"), self._listing(self._uidl)))

    def _uidl(self, n: int) -> str:
        return f"{self.snapshot.uidvalidity}.{self.snapshot.uids[n - 1]}"

    def _listing(self, value: Callable[[int], str]) -> Iterator[bytes]:
        """``n value`` for every message not deleted, in batches (100,000 messages are ~2 MB)."""
        batch: list[bytes] = []
        for n in range(1, len(self.snapshot.uids) + 1):
            if n in self.deleted:
                continue
            batch.append(f"{n} {value(n)}\r\n".encode())
            if len(batch) >= 4096:
                yield b"".join(batch)
                batch.clear()
        batch.append(P.TERMINATOR)
        yield b"".join(batch)

    def cmd_retr(self, command: P.Command) -> Output:
        # RFC 1939 5 RETR msg; the message is marked \Seen once it has been sent
        args = command.args
        if len(args) != 1:
            raise P.BadCommand("one message number")
        n = self._message(args[0])
        reader = self._body(n)
        if reader is None:
            return Output((P.err(f"message {n} was removed meanwhile", "SYS/PERM"),))
        uid = self.snapshot.uids[n - 1]

        def body() -> Iterator[bytes]:
            try:
                yield from P.dot_stuffed(reader.chunks(0, reader.size))
            finally:
                reader.close()
            self.retrieved += 1
            if self.snapshot.may_mark_seen:
                if not self.seen_pending:
                    self.seen_since = time.monotonic()
                self.seen_pending.append(uid)

        return Output((P.ok(f"{reader.size} octets"), body()))

    def cmd_top(self, command: P.Command) -> Output:
        # RFC 1939 7 TOP msg n: header, blank line, n body lines; \Seen is not set
        args = command.args
        if len(args) != 2:
            raise P.BadCommand("a message number and a line count")
        n = self._message(args[0])
        lines = P.number(args[1], zero=True)
        reader = self._body(n)
        if reader is None:
            return Output((P.err(f"message {n} was removed meanwhile", "SYS/PERM"),))

        def body() -> Iterator[bytes]:
            try:
                yield from P.dot_stuffed(P.top_lines(reader.chunks(0, reader.size), lines))
            finally:
                reader.close()

        return Output((P.ok("top of message follows"), body()))

    def _body(self, n: int) -> BlobReader | None:
        """The message's blob reader, or None for a zombie (expunged elsewhere since the snapshot)."""
        self._refresh()
        if n in self.vanished:
            return None
        try:
            return self._maildrop().body(self.snapshot, n - 1)
        except NotFound:
            self.vanished.add(n)
            return None

    def _refresh(self) -> None:
        """Learn other clients' expunges (and check the rights again) at most every REFRESH_SECONDS.

        Raises:
            _Refused: the folder was withdrawn from the user.
        """
        now = time.monotonic()
        if now - self.refreshed < REFRESH_SECONDS:
            return
        try:
            gone = self._maildrop().refresh(self.snapshot)
        except (NotFound, PermissionDenied) as exc:
            raise _Refused(f"the folder is no longer readable: {exc}") from None
        self.refreshed = now
        uids = self.snapshot.uids
        for uid in gone:
            index = bisect.bisect_left(uids, uid)
            if index < len(uids) and uids[index] == uid:
                self.vanished.add(index + 1)

    def _maildrop(self) -> Maildrop:
        assert self.account is not None
        return self.store.for_user(self.account.id).maildrop

    def cmd_dele(self, command: P.Command) -> Output:
        # RFC 1939 5 DELE msg: marked now, removed at QUIT
        args = command.args
        if len(args) != 1:
            raise P.BadCommand("one message number")
        n = self._message(args[0])
        if not self.snapshot.may_remove:
            return Output((P.err("you may not delete messages in this folder", "SYS/PERM"),))
        self.deleted.add(n)
        return Output((P.ok(f"message {n} deleted"),))

    def cmd_noop(self, command: P.Command) -> Output:
        # RFC 1939 5 NOOP
        _no_args(command)
        return Output((P.ok(),))

    def cmd_rset(self, command: P.Command) -> Output:
        # RFC 1939 5 RSET: every deletion mark is removed
        _no_args(command)
        self.deleted.clear()
        count = len(self.snapshot.uids)
        return Output((P.ok(f"{count} messages ({self.snapshot.total_bytes} octets)"),))

    def cmd_quit(self, command: P.Command) -> Output:
        # RFC 1939 4 QUIT (AUTHORIZATION) and 6 (UPDATE)
        self.user = None
        if self.state != TRANSACTION:
            return Output((P.ok(f"{self.ctx.hostname} closing connection"),), close=True)
        drop = self.snapshot
        account = self.account
        assert account is not None
        self.seen_pending = [uid for uid in self.seen_pending if uid not in self._deleted_uids()]
        self._flush_seen(force=True)
        uids = sorted(self._deleted_uids())
        try:
            removed = self.ctx.offload(
                lambda: self.store.for_user(account.id).maildrop.remove(drop.folder_id, uids)
            )
        except (StorageError, PermissionDenied, NotFound) as exc:
            self.ctx.log.warning("UPDATE failed, nothing removed: %s", exc)
            return Output(
                (P.err("some deleted messages not removed, try again later", "SYS/TEMP"),), close=True
            )
        self.ctx.log.info(
            "quit: %d retrieved, %d deleted, %d removed", self.retrieved, len(uids), len(removed)
        )
        left = len(drop.uids) - len(uids)
        return Output((P.ok(f"{self.ctx.hostname} closing connection ({left} messages left)"),), close=True)

    def _deleted_uids(self) -> set[int]:
        return {self.snapshot.uids[n - 1] for n in self.deleted}

    def _flush_seen(self, *, force: bool = False) -> None:
        """Write the pending \\Seen flags (see the module notes for when)."""
        if not self.seen_pending or self.drop is None or self.account is None:
            return
        if (
            not force
            and len(self.seen_pending) < SEEN_BATCH
            and time.monotonic() - self.seen_since < SEEN_DELAY
        ):
            return
        uids, self.seen_pending = self.seen_pending, []
        maildrop = self.store.for_user(self.account.id).maildrop
        folder_id = self.drop.folder_id
        try:
            self.ctx.offload(lambda: maildrop.mark_seen(folder_id, uids))
        except (StorageError, PermissionDenied, NotFound) as exc:
            self.ctx.log.warning("cannot mark %d retrieved messages read: %s", len(uids), exc)


def _no_args(command: P.Command) -> None:
    if command.argument:
        raise P.BadCommand("no arguments expected")


def split_login(name: str) -> tuple[str, str]:
    """``user+folder`` (``alice+Archive@example.test`` or ``alice@example.test+Archive``) ->
    (account name, folder); a plain name reads INBOX. Folder levels are separated by "/"."""
    local, at, domain = name.rpartition("@")
    if not at:
        local, domain = name, ""
    if FOLDER_MARK in domain:
        domain, _, folder = domain.partition(FOLDER_MARK)
        return (f"{local}@{domain}" if at else local), folder or "INBOX"
    if FOLDER_MARK in local:
        local, _, folder = local.partition(FOLDER_MARK)
        return (f"{local}@{domain}" if at else local), folder or "INBOX"
    return name, "INBOX"


S = Pop3Session
_AUTH = frozenset({AUTHORIZATION})
_TRANS = frozenset({TRANSACTION})
_ANY = frozenset({AUTHORIZATION, TRANSACTION})
COMMANDS: dict[str, Command] = {
    "CAPA": Command(S.cmd_capa, _ANY, True, "CAPA", "RFC 2449 5"),
    "STLS": Command(S.cmd_stls, _AUTH, True, "STLS", "RFC 2595 4"),
    "AUTH": Command(S.cmd_auth, _AUTH, True, "AUTH [mechanism [initial-response]]", "RFC 5034 4"),
    "USER": Command(S.cmd_user, _AUTH, False, "USER name", "RFC 1939 7"),
    "PASS": Command(S.cmd_pass, _AUTH, False, "PASS password", "RFC 1939 7"),
    "APOP": Command(S.cmd_apop, _AUTH, True, "APOP name digest", "RFC 1939 7"),
    "QUIT": Command(S.cmd_quit, _ANY, True, "QUIT", "RFC 1939 4, 6"),
    "STAT": Command(S.cmd_stat, _TRANS, True, "STAT", "RFC 1939 5"),
    "LIST": Command(S.cmd_list, _TRANS, True, "LIST [msg]", "RFC 1939 5"),
    "RETR": Command(S.cmd_retr, _TRANS, True, "RETR msg", "RFC 1939 5"),
    "DELE": Command(S.cmd_dele, _TRANS, True, "DELE msg", "RFC 1939 5"),
    "NOOP": Command(S.cmd_noop, _TRANS, True, "NOOP", "RFC 1939 5"),
    "RSET": Command(S.cmd_rset, _TRANS, True, "RSET", "RFC 1939 5"),
    "TOP": Command(S.cmd_top, _TRANS, True, "TOP msg n", "RFC 1939 7"),
    "UIDL": Command(S.cmd_uidl, _TRANS, True, "UIDL [msg]", "RFC 1939 7"),
}
