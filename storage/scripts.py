"""Sieve scripts at three levels (server, domain, account).

Storage only keeps scripts: the caller (ManageSieve, WebMail's rules wizard, the CLI) validates the Sieve
text with ``filters`` before ``put``, and processing evaluates what ``chain_for`` returns. The operations
follow RFC 5804 (ManageSieve) so its commands map one to one: PUTSCRIPT -> ``put``, GETSCRIPT -> ``get``,
LISTSCRIPTS -> ``list``, SETACTIVE -> ``activate``, RENAMESCRIPT -> ``rename``, DELETESCRIPT ->
``delete``, HAVESPACE -> ``check_space``.

Implementation notes:

* A scope is ``("server", None)``, ``("domain", "example.com")`` or ``("account", "alice@example.com")``;
  rows keep ``scope_id`` (0, the domain id or the account id) and repeat it in ``domain_id``/``account_id``
  so that deleting a domain or an account deletes its scripts by foreign-key cascade.
* At most one script per scope is active. That is kept here, not by a constraint: every write to a
  scope's scripts first takes the scope's lock (SQLite: the database write lock ``BEGIN IMMEDIATE`` already
  holds; PostgreSQL: a transaction-scoped advisory lock per scope), so activations, and the script-count
  quota check, cannot interleave.
* Script names are RFC 5804 1.6 names: 1-128 characters, no control characters (C0, DEL, C1) and no
  U+2028/U+2029; they are kept in Unicode NFC, so two spellings of one name are one script.
* Limits come from the settings ``sieve.max_script_bytes`` (UTF-8 size of one script) and
  ``sieve.max_scripts`` (scripts per scope), effective for the scope (server, domain, or the account's
  domain). Breaking either raises a ``QuotaExceeded`` subclass that says which (RFC 5804 QUOTA/MAXSIZE,
  QUOTA/MAXSCRIPTS).
* ``store.scripts`` also answers ``vacation_due`` and ``prune_vacation``: they live in storage.vacation.
"""

from __future__ import annotations

import builtins
import hashlib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update

from storage import dialect
from storage import schema as s
from storage.errors import AlreadyExists, InvalidInput, NotFound, QuotaExceeded, StorageError
from storage.names import as_utc, utcnow
from storage.vacation import VacationReplies

if TYPE_CHECKING:
    from storage.store import Store

LEVELS = ("server", "domain", "account")  # the order scripts run in
MAX_NAME_LENGTH = 128  # RFC 5804 1.6: servers MUST allow 128 characters; we allow no more
_FORBIDDEN_IN_NAME = frozenset(
    [*map(chr, range(0x00, 0x20)), "\x7f", *map(chr, range(0x80, 0xA0)), "\u2028", "\u2029"]
)


class ScriptTooLarge(QuotaExceeded):
    """The script is larger than ``sieve.max_script_bytes`` (RFC 5804: QUOTA/MAXSIZE)."""


class TooManyScripts(QuotaExceeded):
    """The scope already holds ``sieve.max_scripts`` scripts (RFC 5804: QUOTA/MAXSCRIPTS)."""


class ScriptChanged(StorageError):
    """A conditional ``put`` found the script other than the caller last read it (another client wrote)."""


class _Any:
    """The type of ``ANY``: "whatever the script holds now" for a ``put`` without a condition."""


ANY = _Any()


@dataclass(frozen=True)
class ScriptInfo:
    id: int
    level: str
    scope_id: int
    name: str
    active: bool
    size: int  # bytes of the UTF-8 text
    updated_at: datetime
    content: str | None = None  # None in listings


@dataclass(frozen=True)
class _Scope:
    level: str
    scope_id: int
    domain_id: int | None
    account_id: int | None


#: Resolves the scope an operation works on, inside the operation's transaction.
ScopeOf = Callable[[Connection], _Scope]


def script_name(name: str) -> str:
    """The stored form (NFC) of an RFC 5804 script name.

    Raises:
        InvalidInput: empty, longer than 128 characters, or holding a control character.
    """
    if not isinstance(name, str):
        raise InvalidInput(f"script name must be text, not {type(name).__name__}")
    normal = unicodedata.normalize("NFC", name)
    if not normal:
        raise InvalidInput("a script name must not be empty")
    if len(normal) > MAX_NAME_LENGTH:
        raise InvalidInput(f"script name is longer than {MAX_NAME_LENGTH} characters")
    if any(c in _FORBIDDEN_IN_NAME for c in normal):
        raise InvalidInput(f"script name {name!r} contains a control character")
    return normal


def _script_bytes(content: str) -> int:
    if not isinstance(content, str):
        raise InvalidInput(f"script content must be text, not {type(content).__name__}")
    try:
        return len(content.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise InvalidInput("script content is not valid Unicode text") from exc


def _info(row: Any, with_content: bool) -> ScriptInfo:
    return ScriptInfo(
        id=int(row.id),
        level=row.level,
        scope_id=int(row.scope_id),
        name=row.name,
        active=bool(row.active),
        size=int(row.size),
        updated_at=as_utc(row.updated_at) or utcnow(),
        content=row.content if with_content else None,
    )


_LISTED = [c for c in s.sieve_scripts.c if c.name != "content"]


class Scripts(VacationReplies):
    """Sieve scripts per scope (RFC 5804 operations), and vacation reply tracking (storage.vacation)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- scopes -------------------------------------------------------------------------------------

    def _scope(self, conn: Connection, level: str, scope: str | None) -> _Scope:
        if level == "server":
            if scope is not None:
                raise InvalidInput("server-level scripts take no scope (None)")
            return _Scope("server", 0, None, None)
        if level not in LEVELS:
            raise InvalidInput(f"unknown script level {level!r}; expected one of {', '.join(LEVELS)}")
        if not scope:
            raise InvalidInput(f"{level}-level scripts need a {level} name")
        if level == "domain":
            did = self.store.domains.id_of(conn, scope)
            return _Scope("domain", did, did, None)
        aid = self.store.accounts.id_of(conn, scope)
        return _Scope("account", aid, None, aid)

    def _named(self, level: str, scope: str | None) -> ScopeOf:
        return lambda conn: self._scope(conn, level, scope)

    def _account(self, account_id: int) -> ScopeOf:
        def resolve(conn: Connection) -> _Scope:
            if conn.execute(select(s.accounts.c.id).where(s.accounts.c.id == account_id)).first() is None:
                raise NotFound("no such account")
            return _Scope("account", account_id, None, account_id)

        return resolve

    def for_account(self, account_id: int) -> AccountScripts:
        """The account-level scripts of one account, as that account manages them (ManageSieve): no
        level or scope is named, so a session can only ever reach its own account's scripts."""
        return AccountScripts(self, account_id)

    def _where(self, sc: _Scope) -> Any:
        t = s.sieve_scripts
        return and_(t.c.level == sc.level, t.c.scope_id == sc.scope_id)

    def _lock(self, conn: Connection, sc: _Scope) -> None:
        """Serialise writers of one scope (SQLite's write lock already does; see the module notes)."""
        digest = hashlib.blake2b(f"sieve/{sc.level}/{sc.scope_id}".encode(), digest_size=8).digest()
        key = int.from_bytes(digest, "big", signed=True)
        dialect.advisory_lock(conn, key)

    def _row(self, conn: Connection, sc: _Scope, name: str) -> Any:
        row = conn.execute(
            select(s.sieve_scripts).where(self._where(sc), s.sieve_scripts.c.name == name)
        ).first()
        if row is None:
            raise NotFound(f"script {name!r} does not exist")
        return row

    def _check_space(self, conn: Connection, sc: _Scope, name: str, size: int, *, replacing: bool) -> None:
        limits = self.store.settings_many(
            conn,
            ("sieve.max_script_bytes", "sieve.max_scripts"),
            account_id=sc.account_id,
            domain_id=sc.domain_id,
        )
        if size > limits["sieve.max_script_bytes"]:
            raise ScriptTooLarge(
                f"script {name!r} is {size} bytes; at most {limits['sieve.max_script_bytes']} are allowed"
            )
        if not replacing:
            count = conn.execute(
                select(func.count()).select_from(s.sieve_scripts).where(self._where(sc))
            ).scalar_one()
            if count >= limits["sieve.max_scripts"]:
                raise TooManyScripts(f"at most {limits['sieve.max_scripts']} scripts may be kept here")

    # -- RFC 5804 operations -------------------------------------------------------------------------

    def put(self, level: str, scope: str | None, name: str, content: str) -> ScriptInfo:
        """Store a script, replacing one of the same name (which stays active if it was; RFC 5804 2.6).

        Args:
            level: ``server``, ``domain`` or ``account``.
            scope: None for the server, a domain name, or an account address.
            name: the script name (RFC 5804 1.6).
            content: the Sieve text, already validated by the caller.

        Raises:
            InvalidInput: bad level, scope, name or content.
            NotFound: the domain or account does not exist.
            ScriptTooLarge: over ``sieve.max_script_bytes``.
            TooManyScripts: a new script beyond ``sieve.max_scripts`` in this scope.
        """
        return self._put(self._named(level, scope), name, content)

    def check_space(self, level: str, scope: str | None, name: str, size: int) -> None:
        """Whether ``put`` of a script of ``size`` bytes under ``name`` would fit (RFC 5804 2.5 HAVESPACE).

        Raises:
            InvalidInput, NotFound: as for ``put``.
            ScriptTooLarge, TooManyScripts: it would not fit.
        """
        self._have_space(self._named(level, scope), name, size)

    def get(self, level: str, scope: str | None, name: str) -> ScriptInfo:
        """One script with its content (RFC 5804 2.9 GETSCRIPT).

        Raises:
            InvalidInput: bad level, scope or name.
            NotFound: no such domain, account or script.
        """
        return self._get(self._named(level, scope), name)

    def list(self, level: str, scope: str | None) -> builtins.list[ScriptInfo]:
        """The scope's scripts by name, without content (RFC 5804 2.7 LISTSCRIPTS).

        Raises:
            InvalidInput: bad level or scope.
            NotFound: no such domain or account.
        """
        return self._list(self._named(level, scope))

    def activate(self, level: str, scope: str | None, name: str | None) -> None:
        """Make ``name`` the scope's one active script, or deactivate all with None (RFC 5804 2.8 SETACTIVE).

        Raises:
            InvalidInput: bad level, scope or name.
            NotFound: no such domain, account or script (nothing changes then).
        """
        self._activate(self._named(level, scope), name)

    def rename(self, level: str, scope: str | None, old: str, new: str) -> ScriptInfo:
        """Rename a script; an active script stays active (RFC 5804 2.11.1 RENAMESCRIPT).

        Raises:
            InvalidInput: bad level, scope or name.
            NotFound: no such domain, account or script ``old``.
            AlreadyExists: a script ``new`` exists (including ``new == old``).
        """
        return self._rename(self._named(level, scope), old, new)

    def delete(self, level: str, scope: str | None, name: str) -> None:
        """Delete a script that is not active (RFC 5804 2.10 DELETESCRIPT).

        Raises:
            InvalidInput: bad level, scope or name, or the script is the active one (RFC 5804: ACTIVE).
            NotFound: no such domain, account or script.
        """
        self._delete(self._named(level, scope), name)

    # -- the implementations, for a scope named (above) or for one account (AccountScripts) ----------

    def _put(
        self, scope_of: ScopeOf, name: str, content: str, *, expected: str | None | _Any = ANY
    ) -> ScriptInfo:
        name = script_name(name)
        size = _script_bytes(content)
        t = s.sieve_scripts
        with self.store.db.write() as conn:
            sc = scope_of(conn)
            self._lock(conn, sc)
            existing = conn.execute(select(t.c.id).where(self._where(sc), t.c.name == name)).scalar()
            if not isinstance(expected, _Any):
                current = conn.execute(select(t.c.content).where(t.c.id == existing)).scalar()
                if (existing is None) != (expected is None) or (expected is not None and current != expected):
                    raise ScriptChanged(f"script {name!r} was changed meanwhile")
            self._check_space(conn, sc, name, size, replacing=existing is not None)
            now = utcnow()
            if existing is not None:
                conn.execute(
                    update(t).where(t.c.id == existing).values(content=content, size=size, updated_at=now)
                )
            else:
                conn.execute(
                    insert(t).values(
                        level=sc.level,
                        scope_id=sc.scope_id,
                        domain_id=sc.domain_id,
                        account_id=sc.account_id,
                        name=name,
                        content=content,
                        active=False,
                        size=size,
                        updated_at=now,
                    )
                )
            return _info(self._row(conn, sc, name), with_content=True)

    def _have_space(self, scope_of: ScopeOf, name: str, size: int) -> None:
        name = script_name(name)
        if size < 0:
            raise InvalidInput("a script size cannot be negative")
        with self.store.db.read() as conn:
            sc = scope_of(conn)
            existing = conn.execute(
                select(s.sieve_scripts.c.id).where(self._where(sc), s.sieve_scripts.c.name == name)
            ).scalar()
            self._check_space(conn, sc, name, size, replacing=existing is not None)

    def _get(self, scope_of: ScopeOf, name: str) -> ScriptInfo:
        name = script_name(name)
        with self.store.db.read() as conn:
            return _info(self._row(conn, scope_of(conn), name), with_content=True)

    def _list(self, scope_of: ScopeOf) -> builtins.list[ScriptInfo]:
        with self.store.db.read() as conn:
            sc = scope_of(conn)
            rows = conn.execute(select(*_LISTED).where(self._where(sc)).order_by(s.sieve_scripts.c.name))
            return [_info(row, with_content=False) for row in rows]

    def _activate(self, scope_of: ScopeOf, name: str | None) -> None:
        wanted = None if name is None or name == "" else script_name(name)
        t = s.sieve_scripts
        with self.store.db.write() as conn:
            sc = scope_of(conn)
            self._lock(conn, sc)
            if wanted is None:
                conn.execute(update(t).where(self._where(sc), t.c.active.is_(True)).values(active=False))
                return
            row = self._row(conn, sc, wanted)
            conn.execute(
                update(t).where(self._where(sc), t.c.active.is_(True), t.c.id != row.id).values(active=False)
            )
            conn.execute(update(t).where(t.c.id == row.id).values(active=True))

    def active(self, level: str, scope: str | None) -> ScriptInfo | None:
        """The scope's active script with its content, or None.

        Raises:
            InvalidInput: bad level or scope.
            NotFound: no such domain or account.
        """
        with self.store.db.read() as conn:
            sc = self._scope(conn, level, scope)
            t = s.sieve_scripts
            row = conn.execute(
                select(t).where(self._where(sc), t.c.active.is_(True)).order_by(t.c.id).limit(1)
            ).first()
            return None if row is None else _info(row, with_content=True)

    def _rename(self, scope_of: ScopeOf, old: str, new: str) -> ScriptInfo:
        old, new = script_name(old), script_name(new)
        t = s.sieve_scripts
        with self.store.db.write() as conn:
            sc = scope_of(conn)
            self._lock(conn, sc)
            row = self._row(conn, sc, old)
            if conn.execute(select(t.c.id).where(self._where(sc), t.c.name == new)).first() is not None:
                raise AlreadyExists(f"script {new!r} already exists")
            conn.execute(update(t).where(t.c.id == row.id).values(name=new))
            return _info(self._row(conn, sc, new), with_content=False)

    def _delete(self, scope_of: ScopeOf, name: str) -> None:
        name = script_name(name)
        with self.store.db.write() as conn:
            sc = scope_of(conn)
            self._lock(conn, sc)
            row = self._row(conn, sc, name)
            if row.active:
                raise InvalidInput(f"script {name!r} is active; deactivate it before deleting it")
            conn.execute(delete(s.sieve_scripts).where(s.sieve_scripts.c.id == row.id))

    # -- what processing runs -----------------------------------------------------------------------

    def chain_for(self, account_address: str) -> builtins.list[ScriptInfo]:
        """The active server, domain and account scripts for mail to an account, in that order, with
        content; levels without an active script are left out.

        Raises:
            InvalidInput: malformed address.
            NotFound: no such account.
        """
        t = s.sieve_scripts
        with self.store.db.read() as conn:
            aid = self.store.accounts.id_of(conn, account_address)
            did = int(conn.execute(select(s.accounts.c.domain_id).where(s.accounts.c.id == aid)).scalar_one())
            rows = conn.execute(
                select(t).where(
                    t.c.active.is_(True),
                    or_(
                        and_(t.c.level == "server", t.c.scope_id == 0),
                        and_(t.c.level == "domain", t.c.scope_id == did),
                        and_(t.c.level == "account", t.c.scope_id == aid),
                    ),
                )
            ).all()
        infos = [_info(row, with_content=True) for row in rows]
        return sorted(infos, key=lambda info: (LEVELS.index(info.level), info.id))


class AccountScripts:
    """One account's own Sieve scripts (the ``account`` level, RFC 5804 operations) on its behalf.

    Got from ``store.for_user(account_id).scripts``. Every method works on the scripts of this account
    only: the scope is the account id, checked to exist in the operation's transaction, never an address
    or level taken from a client. The rules (names, limits, the active script) are ``Scripts``'.
    """

    def __init__(self, scripts: Scripts, account_id: int) -> None:
        self._scripts = scripts
        self._scope = scripts._account(account_id)
        self.account_id = account_id

    def max_script_bytes(self) -> int:
        """``sieve.max_script_bytes`` in force for the account (the largest script it may store).

        Raises:
            NotFound: the account no longer exists.
        """
        name = "sieve.max_script_bytes"
        return int(self._scripts.store.settings.effective_many((name,), account_id=self.account_id)[name])

    def check_space(self, name: str, size: int) -> None:
        """Whether ``put`` of ``size`` bytes under ``name`` would fit (RFC 5804 2.5 HAVESPACE).

        Raises:
            InvalidInput: bad name or a negative size.
            NotFound: the account no longer exists.
            ScriptTooLarge, TooManyScripts: it would not fit.
        """
        self._scripts._have_space(self._scope, name, size)

    def put(self, name: str, content: str, *, expected: str | None | _Any = ANY) -> ScriptInfo:
        """Store a script, replacing one of the same name (which stays active if it was; RFC 5804 2.6).

        Args:
            name: the script name (RFC 5804 1.6).
            content: the Sieve text, already compiled by the caller.
            expected: only write if the script now holds this text (None: only if there is no such
                script); the default writes whatever is there. WebMail uses it so that a ManageSieve
                client writing between its read and its write is never overwritten.

        Raises:
            InvalidInput: bad name or content.
            NotFound: the account no longer exists.
            ScriptTooLarge, TooManyScripts: over ``sieve.max_script_bytes`` or ``sieve.max_scripts``.
            ScriptChanged: ``expected`` was given and the script holds something else.
        """
        return self._scripts._put(self._scope, name, content, expected=expected)

    def list(self) -> builtins.list[ScriptInfo]:
        """The account's scripts by name, without content (RFC 5804 2.7 LISTSCRIPTS).

        Raises:
            NotFound: the account no longer exists.
        """
        return self._scripts._list(self._scope)

    def activate(self, name: str | None) -> None:
        """Make ``name`` the one active script, or deactivate all with None or "" (RFC 5804 2.8).

        Raises:
            InvalidInput: bad name.
            NotFound: no such script (nothing changes then), or the account no longer exists.
        """
        self._scripts._activate(self._scope, name)

    def get(self, name: str) -> ScriptInfo:
        """One script with its content (RFC 5804 2.9 GETSCRIPT).

        Raises:
            InvalidInput: bad name.
            NotFound: no such script of this account, or the account no longer exists.
        """
        return self._scripts._get(self._scope, name)

    def delete(self, name: str) -> None:
        """Delete a script that is not active (RFC 5804 2.10 DELETESCRIPT).

        Raises:
            InvalidInput: bad name, or the script is the active one.
            NotFound: no such script of this account, or the account no longer exists.
        """
        self._scripts._delete(self._scope, name)

    def rename(self, old: str, new: str) -> ScriptInfo:
        """Rename a script; an active script stays active (RFC 5804 2.11.1 RENAMESCRIPT).

        Raises:
            InvalidInput: bad name.
            NotFound: no script ``old`` of this account, or the account no longer exists.
            AlreadyExists: the account has a script ``new`` (including ``new == old``).
        """
        return self._scripts._rename(self._scope, old, new)
