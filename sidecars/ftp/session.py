"""The FTP control-connection state machine (RFC 959, 2428, 3659, 4217) of the backup service.

Implementation notes:
- No I/O: the server glue hands ``feed`` raw bytes in any chunking and calls ``step`` for one answer at
  a time (``None``: a whole line is still missing). An :class:`Output` may ask the glue to close, to
  start TLS on the control connection, or to run a data :class:`Transfer`; the glue runs it, then hands
  the outcome to ``Transfer.finish`` for the final reply. Commands the client pipelined behind a
  transfer wait until it is over. Bytes sent in clear behind AUTH TLS are dropped (``tls_started``).
- Data connections are the glue's (:class:`DataPorts`): PASV/EPSV ask it to listen, PORT/EPRT to
  connect back later; the session keeps only the protection level (PROT) and the restart offset (REST).
- ``COMMANDS`` is the protocol's surface: per command its handler, the states that allow it, the RFC
  section, and its HELP text.
- Only administrators log in (USER/PASS through storage.admin_login: the shared login throttle, a
  disabled administrator refused like a wrong password);
  before TLS only when ``ftp.allow_plaintext_auth`` is on. Everything after login goes through
  ``store.for_admin(name).backup`` (sidecars/ftp/tree.py), which checks the administrator's scope on
  every call: a delegated administrator sees and restores only their domains.
- Errors: storage errors map to replies in ``_storage_reply`` only; syntax and sequence errors count
  toward ``net.ftp.max_errors``, failed logins toward ``net.ftp.max_auth_failures``; past either, 421
  and the end of the session.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from sidecars.ftp import parser as P
from sidecars.ftp.tree import BackupTree
from sidecars.net.errorcontrol import DROP, ErrorControl, ErrorLimits
from storage import admin_login
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

if TYPE_CHECKING:
    from storage.store import Store

DEFAULT_MAX_UPLOAD = 256 * 1024**2


class DataPorts(Protocol):
    """The data-connection side the glue provides (sidecars/ftp/server.py; a fake in transcripts)."""

    def passive(self) -> int:
        """Listen for the client's data connection; the port (on the control connection's address)."""
        ...

    def active(self, host: str, port: int) -> None:
        """Connect to ``host:port`` for the next transfer. Raises ValueError when not allowed."""
        ...

    @property
    def local_host(self) -> str: ...


@dataclass(frozen=True)
class SessionContext:
    store: Store
    hostname: str
    peer_ip: str
    session_id: str
    data: DataPorts
    log: logging.LoggerAdapter[Any] | logging.Logger
    tls_available: bool = False
    allow_plaintext: bool = False
    max_upload: int = DEFAULT_MAX_UPLOAD
    errors: ErrorLimits = field(default_factory=ErrorLimits)


@dataclass(frozen=True)
class Transfer:
    """A data transfer for the glue to run: ``send`` (to the client) or an upload of at most
    ``receive_limit`` bytes; ``finish(received, failure)`` gives the final reply."""

    send: Iterator[bytes] | None
    receive_limit: int
    protect: bool
    finish: Callable[[bytes | None, str | None], bytes]


@dataclass(frozen=True)
class Output:
    data: bytes = b""
    close: bool = False
    start_tls: bool = False
    transfer: Transfer | None = None


@dataclass(frozen=True)
class Command:
    handler: Callable[[FtpSession, str], Output]
    login: bool | None  # True: logged in only; False: before login only; None: any state
    rfc: str
    help: str


def r(code: int, text: str) -> Output:
    return Output(P.reply(code, text))


NOT_LOGGED_IN = r(530, "Please log in with USER and PASS")
CLOSING = r(421, "Too many errors, closing control connection")
FEATURES = [
    "AUTH TLS",
    "EPRT",
    "EPSV",
    "MDTM",
    "MFMT",
    "MLST type*;size*;modify*;perm*;",
    "PASV",
    "PBSZ",
    "PROT",
    "REST STREAM",
    "SIZE",
    "TVFS",
    "UTF8",
]


class FtpSession:
    """One control connection (see the module docstring)."""

    def __init__(self, context: SessionContext) -> None:
        self.context = context
        self.store = context.store
        self.errors = ErrorControl(context.errors)
        self.buffer = b""
        self.tls_active = False
        self.pbsz = False
        self.protect = False
        self.user: str | None = None
        self.admin: str | None = None
        self.tree: BackupTree | None = None
        self.cwd: P.Path = ()
        self.rest = 0
        self.data_ready = False
        self.closed = False

    # -- the glue's side ------------------------------------------------------------------------------

    def banner(self) -> bytes:
        return P.reply(220, f"{self.context.hostname} Fieldpost FTP backup service ready")

    @property
    def established(self) -> bool:
        return self.admin is not None

    def feed(self, data: bytes) -> None:
        self.buffer += data

    def step(self) -> Output | None:
        """The answer to the next whole command line, or None when no whole line is buffered."""
        if self.closed:
            return None
        end = self.buffer.find(b"\n")
        if end < 0:
            if len(self.buffer) > P.MAX_LINE:
                self.buffer = b""
                return self._error(500, "Command line too long")
            return None
        line, self.buffer = self.buffer[:end].rstrip(b"\r"), self.buffer[end + 1 :]
        try:
            command = P.parse_line(line)
        except P.ParseError as exc:
            return self._error(500, str(exc).capitalize())
        return self.dispatch(command)

    def tls_started(self) -> None:
        self.buffer = b""  # RFC 4217 / RFC 3207 5.2: nothing sent in clear counts after the handshake
        self.tls_active = True

    def dispatch(self, command: P.Command) -> Output:
        shown = "****" if command.verb == "PASS" else command.arg
        self.context.log.debug("command %s %s", command.verb, shown)  # never a password
        entry = COMMANDS.get(command.verb)
        if entry is None:
            return self._error(500, f"{command.verb} not understood")
        if entry.login is True and self.admin is None:
            return self._counted(NOT_LOGGED_IN)
        if entry.login is False and self.admin is not None:
            return self._error(503, "Already logged in")
        try:
            return entry.handler(self, command.arg)
        except P.ParseError as exc:
            return self._error(501, str(exc))
        except StorageError as exc:
            return self.storage_reply(exc)

    def _error(self, code: int, text: str) -> Output:
        return self._counted(r(code, text))

    def _counted(self, out: Output) -> Output:
        if self.errors.protocol_error() == DROP:
            self.closed = True
            return Output(out.data + CLOSING.data, close=True)
        return out

    def storage_reply(self, exc: StorageError) -> Output:
        """The one place storage errors become replies."""
        if isinstance(exc, QuotaExceeded):
            return r(552, f"Storage quota exceeded: {exc}")
        if isinstance(exc, (NotFound, PermissionDenied)):
            return r(550, str(exc))
        if isinstance(exc, (InvalidInput, AlreadyExists)):
            return r(553, str(exc))
        self.context.log.error("storage error: %s", exc)
        return r(451, "Local error, try again later")

    # -- login (RFC 959 4.1.1, RFC 4217 4 and 5) -----------------------------------------------------------

    def _user(self, arg: str) -> Output:
        if not arg:
            raise P.ParseError("USER wants a name")
        if not self.tls_active and not self.context.allow_plaintext:
            return self._counted(r(530, "Log in over TLS: AUTH TLS first"))
        self.user = arg
        return r(331, "Password required")

    def _pass(self, arg: str) -> Output:
        if self.user is None:
            return self._error(503, "Login with USER first")
        name, self.user = self.user, None
        try:
            admin_login.sign_in(self.store, name, arg, ip=self.context.peer_ip)
        except Throttled:
            return r(421, "Too many failed logins, try again later")
        except AuthFailed:
            self.context.log.info("login failed for administrator %s", name)
            if self.errors.auth_failure() == DROP:
                self.closed = True
                return Output(P.reply(530, "Login incorrect") + CLOSING.data, close=True)
            return r(530, "Login incorrect")
        view = self.store.for_admin(name)
        view.scope()  # the administrator still exists (PermissionDenied otherwise)
        self.admin = name
        self.tree = BackupTree(view.backup, self.store.blobs)
        self.context.log.info("administrator %s logged in", name)
        return r(230, "Logged in, backup tree ready")

    def _auth(self, arg: str) -> Output:
        if arg.upper() not in ("TLS", "TLS-C", "SSL"):
            return r(504, "Only AUTH TLS is supported")
        if self.tls_active:
            return self._error(503, "TLS is already active")
        if not self.context.tls_available:
            return r(431, "TLS is not available")
        self.user = None
        return Output(P.reply(234, "Proceed with TLS negotiation"), start_tls=True)

    def _pbsz(self, arg: str) -> Output:
        if not self.tls_active:
            return self._error(503, "PBSZ needs AUTH TLS first")
        if not arg.isdigit():
            raise P.ParseError("PBSZ wants a number")
        self.pbsz = True
        return r(200, "PBSZ=0")

    def _prot(self, arg: str) -> Output:
        if not self.pbsz:
            return self._error(503, "PROT needs PBSZ first")
        level = arg.strip().upper()
        if level not in ("C", "P"):
            return r(536, "Only PROT C and PROT P are supported")
        self.protect = level == "P"
        return r(200, f"Protection level {level}")

    # -- informational (RFC 959 4.1.3, RFC 2389, RFC 3659 7) -------------------------------------------------

    def _quit(self, _arg: str) -> Output:
        self.closed = True
        return Output(P.reply(221, "Goodbye"), close=True)

    def _noop(self, _arg: str) -> Output:
        return r(200, "OK")

    def _syst(self, _arg: str) -> Output:
        return r(215, "UNIX Type: L8")

    def _feat(self, _arg: str) -> Output:
        return Output(P.multiline(211, "Features:", FEATURES, "End"))

    def _opts(self, arg: str) -> Output:
        what = arg.strip().upper()
        if what in ("UTF8 ON", "UTF8", "UTF-8 ON") or what.startswith("MLST"):
            return r(200, "OK")
        return r(501, f"Option not understood: {arg}")

    def _help(self, _arg: str) -> Output:
        lines = [f"{name:<5} {cmd.help}" for name, cmd in sorted(COMMANDS.items())]
        return Output(P.multiline(214, "Commands:", lines, "End"))

    def _stat(self, arg: str) -> Output:
        if arg:
            return r(502, "STAT with a path is not supported; use MLST")
        who = self.admin or "not logged in"
        return Output(
            P.multiline(211, "Status:", [f"Administrator: {who}", f"TLS: {self.tls_active}"], "End")
        )

    def _type(self, arg: str) -> Output:
        kind = arg.strip().upper()
        if kind in ("A", "A N", "I", "L 8"):
            return r(200, f"Type set to {kind}")
        return r(504, "Only TYPE A and TYPE I are supported")

    def _mode(self, arg: str) -> Output:
        return r(200, "Mode S") if arg.strip().upper() == "S" else r(504, "Only stream mode")

    def _stru(self, arg: str) -> Output:
        return r(200, "Structure F") if arg.strip().upper() == "F" else r(504, "Only file structure")

    def _allo(self, _arg: str) -> Output:
        return r(202, "No storage allocation necessary")

    def _abor(self, _arg: str) -> Output:
        return r(226, "No transfer to abort")

    def _refused(self, _arg: str) -> Output:
        return r(550, "Nothing is deleted or renamed through the backup service")

    # -- navigation (RFC 959 4.1.1, 4.1.3) -----------------------------------------------------------------

    @property
    def _tree(self) -> BackupTree:
        assert self.tree is not None
        return self.tree

    def _path(self, arg: str) -> P.Path:
        return P.resolve(self.cwd, arg.strip() if arg.strip() else ".")

    def _pwd(self, _arg: str) -> Output:
        return r(257, f"{P.quoted(self.cwd)} is the current directory")

    def _cwd(self, arg: str) -> Output:
        path = self._path(arg)
        if not self._tree.stat(path).is_dir:
            return r(550, "Not a directory")
        self.cwd = path
        return r(250, f"Directory changed to {P.show(path)}")

    def _cdup(self, _arg: str) -> Output:
        return self._cwd("..")

    def _mkd(self, arg: str) -> Output:
        path = self._path(arg)
        self._tree.mkdir(path)
        return r(257, f"{P.quoted(path)} created")

    def _size(self, arg: str) -> Output:
        entry = self._tree.stat(self._path(arg))
        if entry.is_dir:
            return r(550, "Not a plain file")
        return r(213, str(entry.size))

    def _mdtm(self, arg: str) -> Output:
        entry = self._tree.stat(self._path(arg))
        return r(213, P.format_time(entry.modified))

    def _mfmt(self, arg: str) -> Output:  # draft-somers-ftp-mfxx
        stamp, _, name = arg.partition(" ")
        when = P.parse_time(stamp)
        if not name:
            raise P.ParseError("MFMT wants a time and a path")
        self._tree.set_time(self._path(name), when)
        return r(213, f"Modify={P.format_time(when)}; {name}")

    def _mlst(self, arg: str) -> Output:  # RFC 3659 7.2
        path = self._path(arg)
        entry = self._tree.stat(path)
        line = P.facts(entry).rpartition("; ")[0] + "; " + P.show(path)
        return Output(P.multiline(250, "Listing", [line], "End"))

    # -- data connections (RFC 959 4.1.2, RFC 2428) --------------------------------------------------------

    def _pasv(self, _arg: str) -> Output:
        host = self.context.data.local_host
        if ":" in host:
            return r(425, "PASV is IPv4 only; use EPSV")
        port = self.context.data.passive()
        self.data_ready = True
        return r(227, f"Entering Passive Mode ({P.format_pasv(host, port)})")

    def _epsv(self, arg: str) -> Output:
        if arg.strip().upper() == "ALL":
            return r(200, "EPSV ALL accepted")
        port = self.context.data.passive()
        self.data_ready = True
        return r(229, P.format_epsv(port))

    def _port(self, arg: str) -> Output:
        return self._active(*P.parse_port(arg))

    def _eprt(self, arg: str) -> Output:
        return self._active(*P.parse_eprt(arg))

    def _active(self, host: str, port: int) -> Output:
        try:
            self.context.data.active(host, port)
        except ValueError as exc:
            return r(504, str(exc))
        self.data_ready = True
        return r(200, "Data connection address accepted")

    def _rest(self, arg: str) -> Output:
        if not arg.strip().isdigit():
            raise P.ParseError("REST wants a byte offset")
        self.rest = int(arg.strip())
        return r(350, f"Restarting at {self.rest}; send RETR")

    def _transfer(
        self,
        opening: str,
        send: Iterator[bytes] | None,
        done: Callable[[bytes | None], bytes],
        limit: int = 0,
    ) -> Output:
        if not self.data_ready:
            return self._error(425, "Use PASV, EPSV, PORT or EPRT first")
        self.data_ready = False

        def finish(received: bytes | None, failure: str | None) -> bytes:
            if failure is not None:
                return P.reply(426 if "lost" in failure else 425, failure)
            try:
                return done(received)
            except StorageError as exc:
                return self.storage_reply(exc).data

        return Output(P.reply(150, opening), transfer=Transfer(send, limit, self.protect, finish))

    def _listing(self, arg: str, render: Callable[[P.Entry], str]) -> Output:
        args = [a for a in arg.split() if not a.startswith("-")]  # "LIST -la" from some clients
        path = self._path(args[0] if args else "")
        entry = self._tree.stat(path)
        entries: Iterator[P.Entry] = self._tree.listing(path) if entry.is_dir else iter([entry])
        lines = (f"{render(e)}\r\n".encode() for e in entries)
        return self._transfer(
            "Opening data connection for the listing", lines, lambda _: P.reply(226, "Listing sent")
        )

    def _list(self, arg: str) -> Output:
        now = datetime.now(UTC)
        return self._listing(arg, lambda e: P.list_line(e, now))

    def _nlst(self, arg: str) -> Output:
        return self._listing(arg, lambda e: e.name)

    def _mlsd(self, arg: str) -> Output:  # RFC 3659 7.1
        path = self._path(arg)
        if not self._tree.stat(path).is_dir:
            return r(501, "MLSD lists directories; use MLST for a file")
        return self._listing(arg, P.facts)

    def _retr(self, arg: str) -> Output:
        path = self._path(arg)
        if self._tree.stat(path).is_dir:
            return r(550, "Not a plain file")
        offset, self.rest = self.rest, 0
        chunks = self._tree.read(path, offset)
        return self._transfer(
            f"Opening data connection for {path[-1]}", chunks, lambda _: P.reply(226, "Transfer complete")
        )

    def _stor(self, arg: str) -> Output:
        path = self._path(arg)
        if not path:
            return r(553, "A file name is needed")
        if self.rest:
            self.rest = 0
            return r(550, "Uploads are whole files; REST is for downloads")
        tree = self._tree
        tree.check_writable(path)

        def done(received: bytes | None) -> bytes:
            what = tree.write(path, received or b"")
            self.context.log.info("restore by %s: %s (%s)", self.admin, P.show(path), what)
            return P.reply(226, f"Transfer complete: {what}")

        return self._transfer(f"Ready to receive {path[-1]}", None, done, self.context.max_upload)


S = FtpSession
COMMANDS: dict[str, Command] = {
    "USER": Command(S._user, False, "RFC 959 4.1.1", "<name>: an administrator's name"),
    "PASS": Command(S._pass, False, "RFC 959 4.1.1", "<password>"),
    "AUTH": Command(S._auth, None, "RFC 4217 4", "TLS: protect the control connection"),
    "PBSZ": Command(S._pbsz, None, "RFC 4217 8", "0"),
    "PROT": Command(S._prot, None, "RFC 4217 9", "C|P: clear or protected data connections"),
    "QUIT": Command(S._quit, None, "RFC 959 4.1.1", "end the session"),
    "NOOP": Command(S._noop, None, "RFC 959 4.1.3", "do nothing"),
    "SYST": Command(S._syst, None, "RFC 959 4.1.3", "the system type"),
    "FEAT": Command(S._feat, None, "RFC 2389 3", "the extensions offered"),
    "OPTS": Command(S._opts, None, "RFC 2389 4", "UTF8 ON | MLST facts"),
    "HELP": Command(S._help, None, "RFC 959 4.1.3", "this list"),
    "STAT": Command(S._stat, None, "RFC 959 4.1.3", "the session's status"),
    "TYPE": Command(S._type, True, "RFC 959 4.1.2", "A|I (files are sent as stored)"),
    "MODE": Command(S._mode, True, "RFC 959 4.1.2", "S"),
    "STRU": Command(S._stru, True, "RFC 959 4.1.2", "F"),
    "ALLO": Command(S._allo, True, "RFC 959 4.1.3", "accepted, nothing to do"),
    "ABOR": Command(S._abor, True, "RFC 959 4.1.3", "abort (transfers end before the next command)"),
    "PWD": Command(S._pwd, True, "RFC 959 4.1.3", "the current directory"),
    "XPWD": Command(S._pwd, True, "RFC 775", "as PWD"),
    "CWD": Command(S._cwd, True, "RFC 959 4.1.1", "<dir>"),
    "XCWD": Command(S._cwd, True, "RFC 775", "as CWD"),
    "CDUP": Command(S._cdup, True, "RFC 959 4.1.1", "to the parent directory"),
    "XCUP": Command(S._cdup, True, "RFC 775", "as CDUP"),
    "MKD": Command(S._mkd, True, "RFC 959 4.1.3", "<dir>: create a domain, an account or a folder"),
    "XMKD": Command(S._mkd, True, "RFC 775", "as MKD"),
    "RMD": Command(S._refused, True, "RFC 959 4.1.3", "refused: nothing is deleted"),
    "DELE": Command(S._refused, True, "RFC 959 4.1.3", "refused: nothing is deleted"),
    "RNFR": Command(S._refused, True, "RFC 959 4.1.3", "refused: nothing is renamed"),
    "RNTO": Command(S._refused, True, "RFC 959 4.1.3", "refused: nothing is renamed"),
    "SIZE": Command(S._size, True, "RFC 3659 4", "<file>: its size in octets"),
    "MDTM": Command(S._mdtm, True, "RFC 3659 3", "<file>: its time"),
    "MFMT": Command(S._mfmt, True, "draft-somers-ftp-mfxx 3", "<time> <file>: a message's internal date"),
    "MLST": Command(S._mlst, True, "RFC 3659 7", "<path>: its facts"),
    "MLSD": Command(S._mlsd, True, "RFC 3659 7", "<dir>: its entries with facts"),
    "LIST": Command(S._list, True, "RFC 959 4.1.3", "<dir>: a long listing"),
    "NLST": Command(S._nlst, True, "RFC 959 4.1.3", "<dir>: names only"),
    "PASV": Command(S._pasv, True, "RFC 959 4.1.2", "passive data connection (IPv4)"),
    "EPSV": Command(S._epsv, True, "RFC 2428 3", "extended passive data connection"),
    "PORT": Command(S._port, True, "RFC 959 4.1.2", "h1,h2,h3,h4,p1,p2: active data connection"),
    "EPRT": Command(S._eprt, True, "RFC 2428 2", "|proto|address|port|: active data connection"),
    "REST": Command(S._rest, True, "RFC 3659 5", "<offset>: the next RETR starts there"),
    "RETR": Command(S._retr, True, "RFC 959 4.1.3", "<file>: download"),
    "STOR": Command(S._stor, True, "RFC 959 4.1.3", "<file>: upload, restoring what it describes"),
}
