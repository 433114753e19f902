"""The administrator's console: login, contexts and the dispatch of every command line.

Implementation notes:
- No I/O: the server glue hands ``receive`` raw bytes in any chunking and writes back ``Output.data``;
  ``close`` and ``start_tls`` say what to do with the connection afterwards. After the TLS handshake the
  glue writes what ``tls_started`` returns (the login prompt again).
- ``sidecars.cli.commands.COMMANDS`` is the surface: per command (one to three words) its handler, the
  contexts it is allowed in, its syntax and help. Lookup takes the longest phrase that matches.
- Every change goes through ``store.for_admin(name)`` (storage.adminview): the administrator's scope is
  decided in storage on each call, so a delegated administrator reaches nothing outside their domains
  whatever they type, and an administrator deleted meanwhile is stopped at their next command (the
  session ends). This module only maps storage's refusals to ``-ERR`` lines, in ``_run``.
- Login: ``USER name`` then the password on the next line (it is never logged nor parsed as words), then,
  for an administrator who turned two-step sign-in on, a code at the ``<code>`` prompt.
  Passwords are taken only over TLS (STARTTLS or the TLS listener) unless ``cli.allow_plaintext_auth``
  is on; the check is storage.admin_login's (shared throttle, disabled administrators refused), and
  failed logins also count in the session's error control.
- Limits: ``MAX_LINE`` octets per line (parser), ``max_commands`` lines per session, ``net.cli.max_errors``
  protocol errors (unknown command, wrong context, bad syntax) and ``net.cli.max_auth_failures`` failed
  logins, after which the session ends with ``-ERR``. Refusals from storage (no such domain, not allowed)
  are answers, not protocol errors.
"""

from __future__ import annotations

from collections.abc import Callable

from mailflow.queue_ops import Busy
from sidecars.cli import parser as P
from sidecars.cli.commands import COMMANDS, lookup
from sidecars.cli.state import (
    LOGIN,
    SERVER,
    SERVER_WIDE,
    CommandFailed,
    Context,
    Output,
    SessionContext,
    WrongUse,
)
from sidecars.net.errorcontrol import DROP, ErrorControl
from storage.admin_login import sign_in
from storage.adminscope import NO_SUCH_ADMIN, Scope
from storage.adminview import AdminView
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

CLOSING = "closing the connection"


def _holds(scope: Scope, right: str) -> bool:
    """Whether HELP shows a command needing ``right`` (``SERVER_WIDE``: server-wide administrators only)."""
    return scope.is_server if right == SERVER_WIDE else scope.has(right)


class CliSession:
    def __init__(self, context: SessionContext) -> None:
        self.ctx = context
        self.store = context.store
        self.tls_active = context.tls_active
        self.reader = P.LineReader()
        self.errors = ErrorControl(context.errors)
        self.commands = 0
        self.user: str | None = None  # the name given with USER, while the password is awaited
        self.second_step: str | None = None  # the name whose password was right, while a code is awaited
        self.admin: str | None = None
        self._view: AdminView | None = None
        self.stack: list[Context] = []
        self.closed = False

    # -- what the glue calls ------------------------------------------------------------------------

    def banner(self) -> bytes:
        tls = " STARTTLS is offered." if self.ctx.tls_available and not self.tls_active else ""
        return (
            P.ok(f"{self.ctx.hostname} Fieldpost administration console ready.{tls} Log in with USER name")
            + self.prompt()
        )

    def tls_started(self) -> bytes:
        self.tls_active = True
        self.reader = P.LineReader()
        return self.prompt()

    def connection_lost(self) -> None:
        self.closed = True

    @property
    def established(self) -> bool:
        """Logged in: the listener's long idle time applies (sidecars.net.standing)."""
        return self.admin is not None

    def receive(self, data: bytes) -> Output:
        if self.closed:
            return Output(close=True)
        out = b""
        for item in self.reader.feed(data):
            result = self._line(item)
            out += result.data
            if result.close:
                self.closed = True
                return Output(out, close=True)
            if result.start_tls:
                self.reader = P.LineReader()  # bytes pipelined before the handshake are dropped
                return Output(out, start_tls=True)
        return Output(out)

    # -- where the administrator stands --------------------------------------------------------------

    @property
    def view(self) -> AdminView:
        assert self._view is not None, "a command that needs a login ran before it"
        return self._view

    @property
    def here(self) -> Context:
        return self.stack[-1]

    @property
    def where(self) -> str:
        return LOGIN if self.admin is None else self.here.kind

    def prompt(self) -> bytes:
        if self.admin is None:
            if self.second_step is not None:
                return b"<code> "
            return b"<password> " if self.user is not None else b"<login> "
        return P.prompt([c.kind for c in self.stack[1:]])

    def help_rows(self, wanted: tuple[str, ...]) -> list[tuple[str, str]]:
        """(syntax, help) of the commands allowed here whose words start with ``wanted`` (those needing a
        server permission the administrator lacks are left out; storage would refuse them anyway)."""
        scope = self.view.scope() if self.admin is not None else None
        return [
            (command.syntax, command.help)
            for phrase, command in COMMANDS.items()
            if self.where in command.contexts
            and phrase[: len(wanted)] == wanted
            and (scope is None or command.server_right is None or _holds(scope, command.server_right))
        ]

    def enter(self, context: Context) -> None:
        self.stack.append(context)

    def leave(self) -> Context:
        if len(self.stack) < 2:
            raise WrongUse("already at the top context")
        return self.stack.pop()

    # -- one line ----------------------------------------------------------------------------------

    def _line(self, item: bytes | P.TooLong) -> Output:
        self.commands += 1
        if self.ctx.max_commands and self.commands > self.ctx.max_commands:
            return Output(
                P.err(f"more than {self.ctx.max_commands} commands in one session; {CLOSING}"), True
            )
        if isinstance(item, P.TooLong):
            self.user = self.second_step = None
            return self._protocol_error(f"line longer than {P.MAX_LINE} octets ignored")
        if self.second_step is not None:
            return self._code(item)
        if self.user is not None and self.admin is None:
            return self._password(item)
        try:
            words = P.words(P.decode(item))
        except P.ParseError as exc:
            return self._protocol_error(str(exc))
        if not words:
            return Output(self.prompt())
        found = lookup(words)
        if found is None:
            # the word is not logged: a password typed at the wrong prompt must not land in the log
            return self._protocol_error(
                f"unknown command {words[0][:40]!r}; HELP lists the commands", logged="unknown command"
            )
        phrase, args = found
        command = COMMANDS[phrase]
        if self.where not in command.contexts:
            return self._protocol_error(
                f"{' '.join(phrase)} is not available here ({self._where_text()}); HELP lists what is"
            )
        return self._run(" ".join(phrase), lambda: command.handler(self, args))

    def _where_text(self) -> str:
        if self.admin is None:
            return "not logged in"
        return self.prompt().decode().strip()

    def _run(self, name: str, call: Callable[[], bytes | Output]) -> Output:
        try:
            data = call()
            if self.admin is not None:
                self.ctx.log.info("%s: %s done", self.admin, name)  # never the parameters: passwords
            if isinstance(data, Output):
                return data
            return Output(data + self.prompt())
        except (P.ParseError, WrongUse) as exc:
            # a syntax error may quote a word of the line, perhaps a misplaced password: not logged
            logged = f"{name}: syntax error" if isinstance(exc, P.ParseError) else None
            return self._protocol_error(f"{name}: {exc}", logged)
        except CommandFailed as exc:
            return self._answer(name, str(exc))
        except PermissionDenied as exc:
            if str(exc) == NO_SUCH_ADMIN:
                self.ctx.log.info("administrator %s no longer exists; session ended", self.admin)
                return Output(P.err(f"administrator {self.admin} no longer exists; {CLOSING}"), close=True)
            return self._answer(name, str(exc))
        except (NotFound, InvalidInput, AlreadyExists, QuotaExceeded, Busy) as exc:
            return self._answer(name, str(exc))
        except StorageError as exc:
            self.ctx.log.warning("storage error in %s: %s", name, exc)
            return self._answer(name, "temporary storage failure, try again later")

    def _answer(self, name: str, text: str) -> Output:
        self.ctx.log.info("%s: %s refused: %s", self.admin or "-", name, text)
        return Output(P.err(text) + self.prompt())

    def _protocol_error(self, text: str, logged: str | None = None) -> Output:
        self.ctx.log.info("protocol error: %s", logged or text)
        if self.errors.protocol_error() == DROP:
            return Output(P.err(f"{text}; too many errors, {CLOSING}"), close=True)
        return Output(P.err(text) + self.prompt())

    # -- login ---------------------------------------------------------------------------------------

    def may_send_password(self) -> bool:
        return self.tls_active or self.ctx.allow_plaintext

    def begin_login(self, name: str) -> bytes:
        if not self.may_send_password():
            raise CommandFailed(
                "passwords are taken only over TLS: use STARTTLS first (or the TLS listener)"
                if self.ctx.tls_available
                else "passwords are taken only over TLS: connect to the TLS listener"
            )
        self.user = name
        return b""

    def _password(self, line: bytes) -> Output:
        name, self.user = self.user or "", None
        try:
            password = line.decode("utf-8")
        except UnicodeDecodeError:
            password = ""
        try:
            sign_in(self.store, name, password, ip=self.ctx.peer_ip)
        except Throttled:
            return self._login_failed("too many failed logins; try again later")
        except (AuthFailed, StorageError):
            return self._login_failed("authentication failed")
        try:
            two_step = self.store.second_factors.for_admin(name).state().on
        except StorageError:
            return self._login_failed("authentication failed")
        if two_step:
            self.second_step = name
            return Output(self.prompt())
        return self._logged_in(name)

    def _code(self, line: bytes) -> Output:
        """The second step of an administrator who turned two-step sign-in on: a current code of their
        authenticator app or one of their recovery codes (storage.second_factor)."""
        name, self.second_step = self.second_step or "", None
        code = line.decode("utf-8", "replace").strip()
        try:
            self.store.second_factors.for_admin(name).verify(code, ip=self.ctx.peer_ip)
        except Throttled:
            return self._login_failed("too many failed logins; try again later")
        except (AuthFailed, StorageError):
            return self._login_failed("authentication failed")
        return self._logged_in(name)

    def _logged_in(self, name: str) -> Output:
        self.admin = name
        self._view = self.store.for_admin(name)
        self.stack = [Context(SERVER)]
        self.ctx.log.info("administrator %s logged in", name)
        return Output(P.ok(f"logged in as {name}") + self.prompt())

    def _login_failed(self, text: str) -> Output:
        self.ctx.log.info("login failed: %s", text)
        if self.errors.auth_failure() == DROP:
            return Output(P.err(f"{text}; too many failed logins, {CLOSING}"), close=True)
        return Output(P.err(text) + self.prompt())
