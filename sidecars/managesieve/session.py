"""The ManageSieve state machine (RFC 5804) for account-level Sieve scripts.

Implementation notes:
- No I/O: the server glue hands ``receive`` raw bytes in any chunking and writes back ``Output.data``;
  ``close`` and ``start_tls`` say what to do with the connection afterwards. After the TLS handshake
  the glue writes what ``tls_started`` returns (the capabilities again, RFC 5804 2.2).
- ``COMMANDS`` below is the protocol's surface: per command the handler, whether it needs an
  authenticated session, and the RFC 5804 section.
- Scripts are the logged-in account's own, through ``store.for_user(id).scripts`` (no other account's
  are reachable); PUTSCRIPT/CHECKSCRIPT compile with the Sieve engine first, so only valid scripts are
  ever stored.
- SASL comes from :mod:`sidecars.sasl`; challenges and responses are base64 in strings (RFC 5804 2.1).
  Password mechanisms are offered only over TLS unless ``allow_plaintext`` (the smtp rule).
- Limits: a command line of ``MAX_LINE`` octets outside literals; literals up to the account's
  ``sieve.max_script_bytes`` plus ``LITERAL_SLACK`` (``PREAUTH_LITERAL`` before login). An oversized
  literal is skipped and answered NO (QUOTA/MAXSIZE); an overlong line gets BYE and the end.
- Storage errors other than the expected ones answer NO (TRYLATER); the session goes on.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from filters import SieveError
from filters.sieve import EXTENSIONS, compile_script
from sidecars import sasl
from sidecars.managesieve import parser as P
from storage.errors import (
    AlreadyExists,
    AppPasswordRequired,
    AuthFailed,
    InvalidInput,
    NotFound,
    StorageError,
    Throttled,
)
from storage.models import Account
from storage.scripts import AccountScripts, ScriptTooLarge, TooManyScripts

if TYPE_CHECKING:
    from storage.store import Store

MAX_LINE = 8 * 1024
LITERAL_SLACK = 16 * 1024
PREAUTH_LITERAL = 8 * 1024
DEFAULT_SCRIPT_BYTES = 64 * 1024
MAX_ERRORS = 10
MAX_AUTH_FAILURES = 3
AUTH_SERVICE = "imap"  # ManageSieve logins follow the services.imap switch (the imap service runs it)


@dataclass(frozen=True)
class SessionContext:
    store: Store
    hostname: str
    peer_ip: str
    session_id: str
    tls_active: bool
    tls_available: bool
    log: logging.LoggerAdapter[Any] | logging.Logger
    allow_plaintext: bool = False
    allow_cram: bool = False


@dataclass(frozen=True)
class Output:
    data: bytes = b""
    close: bool = False
    start_tls: bool = False


@dataclass(frozen=True)
class Command:
    handler: Callable[[ManageSieveSession, list[P.Token]], Output]
    needs_auth: bool | None  # True: authenticated only; False: before login only; None: any state
    rfc: str


def ok(text: str | None = None, code: str | None = None) -> bytes:
    return P.response("OK", code, text)


def no(text: str | None = None, code: str | None = None) -> bytes:
    return P.response("NO", code, text)


def bye(text: str | None = None, code: str | None = None) -> bytes:
    return P.response("BYE", code, text)


class _ArgError(Exception):
    pass


def _strings(args: list[P.Token], count: int, optional: int = 0) -> list[str]:
    if not count <= len(args) <= count + optional:
        raise _ArgError(
            f"expected {count} argument{'s' if count != 1 else ''}"
            if not optional
            else f"expected {count} to {count + optional} arguments"
        )
    out = []
    for arg in args:
        if not isinstance(arg, P.String):
            raise _ArgError("arguments must be quoted strings or literals")
        out.append(arg.value)
    return out


def sieve_error_text(exc: SieveError) -> str:
    message = str(getattr(exc, "message", "") or exc)
    return f"line {exc.line}: {exc.kind} error: {message}"


class ManageSieveSession:
    def __init__(self, context: SessionContext) -> None:
        self.ctx = context
        self.store = context.store
        self.tls_active = context.tls_active
        self.account: Account | None = None
        self.reader = P.Reader(MAX_LINE, PREAUTH_LITERAL)
        self.mechanism: sasl.Mechanism | None = None
        self.final_pending: bytes | None = None  # SCRAM: server data sent with OK (SASL ...)
        self.errors = 0
        self.auth_failures = 0
        self.closed = False

    # -- greeting and capabilities -----------------------------------------------------------------

    def mechanisms(self) -> list[str]:
        if not (self.tls_active or self.ctx.allow_plaintext):
            return []
        return sasl.offered(self.tls_active, self.ctx.allow_plaintext, self.ctx.allow_cram)

    def capabilities(self) -> bytes:
        caps: list[tuple[str, str | None]] = [
            ("IMPLEMENTATION", "Fieldpost"),
            ("SASL", " ".join(self.mechanisms()) if self.account is None else ""),
            ("SIEVE", " ".join(sorted(EXTENSIONS))),
        ]
        if self.ctx.tls_available and not self.tls_active and self.account is None:
            caps.append(("STARTTLS", None))
        if self.account is not None:
            caps.append(("OWNER", self.account.address))
        caps += [("UNAUTHENTICATE", None), ("VERSION", "1.0")]
        return P.capability_lines(caps)

    def banner(self) -> bytes:
        return self.capabilities() + ok(f"{self.ctx.hostname} Fieldpost ManageSieve ready")

    def tls_started(self) -> bytes:
        self.tls_active = True
        self.reader = P.Reader(MAX_LINE, PREAUTH_LITERAL)
        return self.capabilities() + ok("TLS negotiation successful")

    def connection_lost(self) -> None:
        self.closed = True

    # -- input -------------------------------------------------------------------------------------

    def receive(self, data: bytes) -> Output:
        if self.closed:
            return Output(close=True)
        out = b""
        for item in self.reader.feed(data):
            if isinstance(item, P.Bad):
                result = self._bad(item)
            elif self.mechanism is not None:
                result = self._sasl_response(item.tokens)
            else:
                result = self._command(item.tokens)
            out += result.data
            if result.close:
                self.closed = True
                return Output(out, close=True)
            if result.start_tls:
                self.reader = P.Reader(MAX_LINE, PREAUTH_LITERAL)  # pipelined bytes are dropped
                return Output(out, start_tls=True)
        return Output(out)

    def _bad(self, item: P.Bad) -> Output:
        if item.fatal:
            return Output(bye(item.reason), close=True)
        if self.mechanism is not None:
            self.mechanism = None
            return self._auth_failed(f"authentication aborted: {item.reason}")
        if item.too_large:
            return Output(no(item.reason, "QUOTA/MAXSIZE"))
        return self._error(f"syntax error: {item.reason}")

    def _error(self, text: str) -> Output:
        self.errors += 1
        if self.errors >= MAX_ERRORS:
            return Output(no(text) + bye("too many errors"), close=True)
        return Output(no(text))

    def _command(self, tokens: tuple[P.Token, ...]) -> Output:
        if not tokens:
            return self._error("empty command")
        first = tokens[0]
        if not isinstance(first, P.Atom):
            return self._error("a command name must be an atom")
        name = first.value.upper()
        command = COMMANDS.get(name)
        if command is None:
            return self._error(f"unknown command {first.value[:40]}")
        if command.needs_auth is True and self.account is None:
            return self._error(f"{name} needs an authenticated session")
        if command.needs_auth is False and self.account is not None:
            return self._error(f"{name} is not allowed after authentication")
        try:
            return command.handler(self, list(tokens[1:]))
        except _ArgError as exc:
            return self._error(f"{name}: {exc}")
        except InvalidInput as exc:
            return Output(no(str(exc)))
        except NotFound as exc:
            return Output(no(str(exc), "NONEXISTENT"))
        except AlreadyExists as exc:
            return Output(no(str(exc), "ALREADYEXISTS"))
        except ScriptTooLarge as exc:
            return Output(no(str(exc), "QUOTA/MAXSIZE"))
        except TooManyScripts as exc:
            return Output(no(str(exc), "QUOTA/MAXSCRIPTS"))
        except StorageError as exc:
            self.ctx.log.warning("storage error in %s: %s", name, exc)
            return Output(no("temporary storage failure, try again later", "TRYLATER"))

    # -- commands ------------------------------------------------------------------------------------

    def cmd_capability(self, args: list[P.Token]) -> Output:
        _strings(args, 0)
        return Output(self.capabilities() + ok("CAPABILITY completed"))

    def cmd_logout(self, args: list[P.Token]) -> Output:
        _strings(args, 0)
        return Output(ok("Logout completed"), close=True)

    def cmd_noop(self, args: list[P.Token]) -> Output:
        values = _strings(args, 0, 1)
        code = f"TAG {P.string(values[0]).decode('utf-8')}" if values else None
        return Output(ok("NOOP completed", code))

    def cmd_starttls(self, args: list[P.Token]) -> Output:
        _strings(args, 0)
        if self.tls_active or not self.ctx.tls_available:
            return self._error("STARTTLS is not available")
        return Output(ok("Begin TLS negotiation now"), start_tls=True)

    def cmd_authenticate(self, args: list[P.Token]) -> Output:
        values = _strings(args, 1, 1)
        mechanism = values[0].upper()
        offered = self.mechanisms()
        if not offered:
            return Output(no("authentication requires TLS; use STARTTLS first", "ENCRYPT-NEEDED"))
        if mechanism not in offered:
            return self._error(f"mechanism {values[0][:40]} is not offered")
        initial: bytes | None = None
        if len(values) == 2:
            try:
                initial = base64.b64decode(values[1], validate=True)
            except (binascii.Error, ValueError):
                return self._auth_failed("initial response is not valid base64")
        self.mechanism = sasl.new(
            mechanism, self.store, ip=self.ctx.peer_ip, service=AUTH_SERVICE, hostname=self.ctx.hostname
        )
        return self._sasl_step(lambda m: m.start(initial))

    def _sasl_response(self, tokens: tuple[P.Token, ...]) -> Output:
        if len(tokens) != 1 or not isinstance(tokens[0], P.String):
            self.mechanism = None
            return self._auth_failed("a SASL response must be one string")
        text = tokens[0].value
        if text == "*":
            self.mechanism = None
            return Output(no("authentication cancelled"))
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            self.mechanism = None
            return self._auth_failed("SASL response is not valid base64")
        return self._sasl_step(lambda m: m.step(data))

    def _sasl_step(self, advance: Callable[[sasl.Mechanism], sasl.Step]) -> Output:
        mechanism = self.mechanism
        assert mechanism is not None
        try:
            step = advance(mechanism)
        except Throttled:
            self.mechanism = None
            return Output(no("too many failed attempts, try again later", "TRYLATER"))
        except AppPasswordRequired as exc:  # two-step sign-in: say what to do (storage/auth.py)
            self.mechanism = None
            return self._auth_failed(str(exc))
        except (AuthFailed, InvalidInput, NotFound):
            self.mechanism = None
            return self._auth_failed("authentication failed")
        if not step.done:
            challenge = base64.b64encode(step.challenge or b"").decode()
            return Output(P.string(challenge) + b"\r\n")
        self.mechanism = None
        if step.account is None:
            return self._auth_failed("authentication failed")
        self._logged_in(step.account)
        code = None
        if step.challenge:
            code = "SASL " + P.quoted(base64.b64encode(step.challenge).decode()).decode()
        return Output(ok("Logged in", code))

    def _auth_failed(self, text: str) -> Output:
        self.auth_failures += 1
        if self.auth_failures >= MAX_AUTH_FAILURES:
            return Output(no(text) + bye("too many failed authentications"), close=True)
        return Output(no(text))

    def _logged_in(self, account: Account) -> None:
        self.account = account
        limit = DEFAULT_SCRIPT_BYTES
        try:
            limit = self.scripts.max_script_bytes()
        except StorageError as exc:
            self.ctx.log.warning("cannot read sieve.max_script_bytes: %s", exc)
        self.reader.max_literal = limit + LITERAL_SLACK
        self.ctx.log.info("authenticated as %s", account.address)

    def cmd_unauthenticate(self, args: list[P.Token]) -> Output:
        _strings(args, 0)
        self.account = None
        self.reader.max_literal = PREAUTH_LITERAL
        return Output(ok("Unauthenticate completed"))

    @property
    def established(self) -> bool:
        """The client has logged in: the listener's long idle time applies (sidecars.net.standing)."""
        return self.account is not None

    @property
    def scripts(self) -> AccountScripts:
        """The logged-in account's own scripts: the only ones a session can reach (storage checks it)."""
        assert self.account is not None
        return self.store.for_user(self.account.id).scripts

    def _compile(self, text: str) -> bytes | None:
        try:
            compile_script(text)
        except SieveError as exc:
            return no(sieve_error_text(exc))
        return None

    def cmd_havespace(self, args: list[P.Token]) -> Output:
        if len(args) != 2 or not isinstance(args[0], P.String) or not isinstance(args[1], P.Atom):
            raise _ArgError("expected a script name and a number")
        if not args[1].value.isdigit() or len(args[1].value) > 10:
            raise _ArgError("the size must be a number")
        self.scripts.check_space(args[0].value, int(args[1].value))
        return Output(ok("Putscript would succeed"))

    def cmd_putscript(self, args: list[P.Token]) -> Output:
        name, text = _strings(args, 2)
        refusal = self._compile(text)
        if refusal is not None:
            return Output(refusal)
        self.scripts.put(name, text)
        return Output(ok("PUTSCRIPT completed"))

    def cmd_checkscript(self, args: list[P.Token]) -> Output:
        (text,) = _strings(args, 1)
        refusal = self._compile(text)
        return Output(refusal if refusal is not None else ok("Script is valid"))

    def cmd_listscripts(self, args: list[P.Token]) -> Output:
        _strings(args, 0)
        out = b""
        for info in self.scripts.list():
            out += P.string(info.name) + (b" ACTIVE" if info.active else b"") + b"\r\n"
        return Output(out + ok("LISTSCRIPTS completed"))

    def cmd_setactive(self, args: list[P.Token]) -> Output:
        (name,) = _strings(args, 1)
        self.scripts.activate(name or None)
        return Output(ok("SETACTIVE completed" if name else "all scripts deactivated"))

    def cmd_getscript(self, args: list[P.Token]) -> Output:
        (name,) = _strings(args, 1)
        info = self.scripts.get(name)
        return Output(P.literal(info.content or "") + b"\r\n" + ok("GETSCRIPT completed"))

    def cmd_deletescript(self, args: list[P.Token]) -> Output:
        (name,) = _strings(args, 1)
        info = self.scripts.get(name)
        if info.active:
            return Output(no(f"script {name!r} is active; deactivate it first", "ACTIVE"))
        self.scripts.delete(name)
        return Output(ok("DELETESCRIPT completed"))

    def cmd_renamescript(self, args: list[P.Token]) -> Output:
        old, new = _strings(args, 2)
        self.scripts.rename(old, new)
        return Output(ok("RENAMESCRIPT completed"))


S = ManageSieveSession
COMMANDS: dict[str, Command] = {
    "AUTHENTICATE": Command(S.cmd_authenticate, False, "RFC 5804 2.1"),
    "STARTTLS": Command(S.cmd_starttls, False, "RFC 5804 2.2"),
    "LOGOUT": Command(S.cmd_logout, None, "RFC 5804 2.3"),
    "CAPABILITY": Command(S.cmd_capability, None, "RFC 5804 2.4"),
    "HAVESPACE": Command(S.cmd_havespace, True, "RFC 5804 2.5"),
    "PUTSCRIPT": Command(S.cmd_putscript, True, "RFC 5804 2.6"),
    "LISTSCRIPTS": Command(S.cmd_listscripts, True, "RFC 5804 2.7"),
    "SETACTIVE": Command(S.cmd_setactive, True, "RFC 5804 2.8"),
    "GETSCRIPT": Command(S.cmd_getscript, True, "RFC 5804 2.9"),
    "DELETESCRIPT": Command(S.cmd_deletescript, True, "RFC 5804 2.10"),
    "RENAMESCRIPT": Command(S.cmd_renamescript, True, "RFC 5804 2.11.1"),
    "CHECKSCRIPT": Command(S.cmd_checkscript, True, "RFC 5804 2.12"),
    "NOOP": Command(S.cmd_noop, None, "RFC 5804 2.13"),
    "UNAUTHENTICATE": Command(S.cmd_unauthenticate, True, "RFC 5804 2.14.1"),
}
