"""Remote POP: other mailboxes (a POP3 or IMAP account elsewhere) fetched into a local account.

Two doors:

* ``store.for_user(account_id).remote_accounts`` (:class:`AccountRemotes`): the owner lists, adds,
  changes, deletes their remote mailboxes and asks for a fetch now (WebMail settings). The limits are
  settings of the account (``rpop.max_accounts``, ``rpop.min_interval``, ``rpop.allow_plaintext``).
* ``store.remote_accounts`` (:class:`RemoteAccounts`): the fetcher (sidecars/rpop) and administrators
  (through the admin facade). ``due`` hands out the mailboxes whose turn has come with the remote
  password opened; ``claim`` moves a mailbox's next turn forward in one conditional UPDATE, so two
  fetchers never work on the same one; ``unseen``/``record`` keep which remote messages were taken
  (a POP3 UIDL, or IMAP's ``UIDVALIDITY.UID``) so a message left on the server is fetched once.

The remote password is sealed under the store's key (storage.passwords.SecretBox): it must be replayed to
the remote server, so a hash will not do; it is never shown back to anyone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from sqlalchemy import Connection, and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from storage import schema as s
from storage import settings as registry
from storage.errors import InvalidInput, NotFound, PermissionDenied, QuotaExceeded
from storage.names import as_utc, utcnow

if TYPE_CHECKING:
    from storage.store import Store

PROTOCOLS: Final = ("pop3", "imap")
TLS_MODES: Final = ("implicit", "starttls", "none")
DEFAULT_PORTS: Final = {
    "pop3": {"implicit": 995, "starttls": 110, "none": 110},
    "imap": {"implicit": 993, "starttls": 143, "none": 143},
}
MAX_ERROR: Final = 500
_HOST = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[?[0-9A-Fa-f:.]{2,45}\]?"
)


@dataclass(frozen=True)
class Template:
    """A well-known provider's settings, offered when adding a remote mailbox."""

    label: str
    protocol: str
    host: str
    port: int
    tls_mode: str


TEMPLATES: Final = {
    "gmail": Template("Gmail", "imap", "imap.gmail.com", 993, "implicit"),
    "yahoo": Template("Yahoo Mail", "imap", "imap.mail.yahoo.com", 993, "implicit"),
    "outlook": Template("Outlook.com", "imap", "outlook.office365.com", 993, "implicit"),
    "gmail-pop": Template("Gmail (POP3)", "pop3", "pop.gmail.com", 995, "implicit"),
}


@dataclass(frozen=True)
class RemoteSpec:
    """What a user fills in; ``password`` None keeps the stored one (on a change)."""

    protocol: str
    host: str
    username: str
    password: str | None
    port: int | None = None  # None: the protocol's port for the TLS mode
    tls_mode: str = "implicit"
    folder: str = "INBOX"
    interval_seconds: int = 600
    keep_on_server: bool = True
    enabled: bool = True


@dataclass(frozen=True)
class RemoteAccount:
    id: int
    account_id: int
    protocol: str
    host: str
    port: int
    tls_mode: str
    username: str
    folder: str
    interval_seconds: int
    keep_on_server: bool
    enabled: bool
    next_run_at: datetime
    last_run_at: datetime | None
    last_error: str | None

    @property
    def label(self) -> str:
        return f"{self.username}@{self.host} ({self.protocol.upper()})"


@dataclass(frozen=True)
class DueFetch:
    """A remote mailbox whose turn has come, with what the fetcher needs to log in and deliver."""

    remote: RemoteAccount
    address: str  # the local account, the delivery's recipient
    password: str


def _row(row: object) -> RemoteAccount:
    r = row._mapping  # type: ignore[attr-defined]
    return RemoteAccount(
        id=int(r["id"]),
        account_id=int(r["account_id"]),
        protocol=str(r["protocol"]),
        host=str(r["host"]),
        port=int(r["port"]),
        tls_mode=str(r["tls_mode"]),
        username=str(r["username"]),
        folder=str(r["folder"]),
        interval_seconds=int(r["interval_seconds"]),
        keep_on_server=bool(r["keep_on_server"]),
        enabled=bool(r["enabled"]),
        next_run_at=as_utc(r["next_run_at"]) or utcnow(),
        last_run_at=as_utc(r["last_run_at"]),
        last_error=r["last_error"],
    )


_COLUMNS = [c for c in s.remote_accounts.c if c.name != "sealed_password"]


class AccountRemotes:
    """One account's remote mailboxes (see the module notes); every call checks it is theirs."""

    def __init__(self, store: Store, account_id: int) -> None:
        self.store = store
        self.account_id = account_id

    def list(self) -> list[RemoteAccount]:
        r = s.remote_accounts.c
        with self.store.db.read() as conn:
            rows = conn.execute(select(*_COLUMNS).where(r.account_id == self.account_id).order_by(r.id))
            return [_row(row) for row in rows]

    def get(self, remote_id: int) -> RemoteAccount:
        with self.store.db.read() as conn:
            return self._get(conn, remote_id)

    def _get(self, conn: Connection, remote_id: int) -> RemoteAccount:
        r = s.remote_accounts.c
        row = conn.execute(
            select(*_COLUMNS).where(and_(r.id == remote_id, r.account_id == self.account_id))
        ).first()
        if row is None:
            raise NotFound("no such remote mailbox")
        return _row(row)

    def add(self, spec: RemoteSpec) -> RemoteAccount:
        """Add a remote mailbox; its first fetch is due at once.

        Raises:
            InvalidInput: a field is wrong (the message names it), or no password.
            PermissionDenied: plain-text access chosen where ``rpop.allow_plaintext`` is off.
            QuotaExceeded: the account has ``rpop.max_accounts`` already (0: the feature is off).
        """
        if not spec.password:
            raise InvalidInput("the remote password is required")
        now = utcnow()
        with self.store.db.write() as conn:
            spec = self._checked(conn, spec)
            limit = int(registry.effective(conn, "rpop.max_accounts", account_id=self.account_id))
            held = conn.execute(
                select(func.count())
                .select_from(s.remote_accounts)
                .where(s.remote_accounts.c.account_id == self.account_id)
            ).scalar_one()
            if held >= limit:
                raise QuotaExceeded(
                    "remote mailboxes are turned off for this account"
                    if limit == 0
                    else f"at most {limit} remote mailboxes per account"
                )
            assert spec.password is not None and spec.port is not None
            inserted = conn.execute(
                insert(s.remote_accounts).values(
                    account_id=self.account_id,
                    protocol=spec.protocol,
                    host=spec.host,
                    port=spec.port,
                    tls_mode=spec.tls_mode,
                    username=spec.username,
                    sealed_password=self.store.secret_box.seal(spec.password),
                    folder=spec.folder,
                    interval_seconds=spec.interval_seconds,
                    keep_on_server=spec.keep_on_server,
                    enabled=spec.enabled,
                    created_at=now,
                    next_run_at=now,
                )
            )
            assert inserted.inserted_primary_key is not None
            return self._get(conn, int(inserted.inserted_primary_key[0]))

    def change(self, remote_id: int, spec: RemoteSpec) -> RemoteAccount:
        """Change a remote mailbox (``spec.password`` None keeps the password); fetched soon after.

        Raises:
            NotFound: not one of this account's. Others as :meth:`add`.
        """
        with self.store.db.write() as conn:
            self._get(conn, remote_id)
            spec = self._checked(conn, spec)
            values: dict[str, object] = {
                "protocol": spec.protocol,
                "host": spec.host,
                "port": spec.port,
                "tls_mode": spec.tls_mode,
                "username": spec.username,
                "folder": spec.folder,
                "interval_seconds": spec.interval_seconds,
                "keep_on_server": spec.keep_on_server,
                "enabled": spec.enabled,
                "next_run_at": utcnow(),
                "last_error": None,
            }
            if spec.password:
                values["sealed_password"] = self.store.secret_box.seal(spec.password)
            conn.execute(
                update(s.remote_accounts).where(s.remote_accounts.c.id == remote_id).values(**values)
            )
            return self._get(conn, remote_id)

    def delete(self, remote_id: int) -> None:
        """Forget a remote mailbox and what was fetched from it (the fetched mail stays).

        Raises:
            NotFound: not one of this account's.
        """
        with self.store.db.write() as conn:
            self._get(conn, remote_id)
            conn.execute(delete(s.remote_accounts).where(s.remote_accounts.c.id == remote_id))

    def fetch_now(self, remote_id: int) -> None:
        """Bring the next fetch forward to now (the fetcher looks every few seconds)."""
        with self.store.db.write() as conn:
            self._get(conn, remote_id)
            conn.execute(
                update(s.remote_accounts)
                .where(s.remote_accounts.c.id == remote_id)
                .values(next_run_at=utcnow())
            )

    def _checked(self, conn: Connection, spec: RemoteSpec) -> RemoteSpec:
        if spec.protocol not in PROTOCOLS:
            raise InvalidInput(f"protocol must be one of {', '.join(PROTOCOLS)}")
        if spec.tls_mode not in TLS_MODES:
            raise InvalidInput(f"security must be one of {', '.join(TLS_MODES)}")
        host = spec.host.strip()
        if not _HOST.fullmatch(host):
            raise InvalidInput("server: not a host name or address")
        port = spec.port or DEFAULT_PORTS[spec.protocol][spec.tls_mode]
        if not 0 < port < 65536:
            raise InvalidInput("port must be 1-65535")
        user = spec.username.strip()
        if not user or len(user) > 255 or any(c in user for c in "\r\n\x00"):
            raise InvalidInput("user name: 1-255 characters, no line breaks")
        if spec.password is not None and (
            len(spec.password) > 1024 or any(c in spec.password for c in "\r\n\x00")
        ):
            raise InvalidInput("password: at most 1024 characters, no line breaks")
        folder = spec.folder.strip() or "INBOX"
        f = s.folders.c
        found = conn.execute(
            select(f.id).where(and_(f.namespace == f"a{self.account_id}", f.path == folder, f.kind == "mail"))
        ).first()
        if found is None:
            raise InvalidInput(f"folder {folder!r} does not exist in your mailbox")
        values = registry.effective_many(
            conn, ["rpop.min_interval", "rpop.allow_plaintext"], account_id=self.account_id
        )
        shortest = int(values["rpop.min_interval"])
        if not shortest <= spec.interval_seconds <= 7 * 86400:
            raise InvalidInput(f"interval must be {shortest // 60} minutes to 7 days")
        if spec.tls_mode == "none" and not values["rpop.allow_plaintext"]:
            raise PermissionDenied("remote mailboxes without TLS are not allowed here")
        return replace(spec, host=host, port=port, username=user, folder=folder)


class RemoteAccounts:
    """The fetcher's side (see the module notes)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def for_account(self, account_id: int) -> AccountRemotes:
        return AccountRemotes(self.store, account_id)

    def due(self, now: datetime | None = None, limit: int = 50) -> list[DueFetch]:
        """Enabled remote mailboxes of enabled accounts whose turn has come, oldest turn first."""
        now = now or utcnow()
        r, a, d = s.remote_accounts.c, s.accounts.c, s.domains.c
        with self.store.db.read() as conn:
            rows = conn.execute(
                select(*_COLUMNS, r.sealed_password, a.local_part, d.name.label("domain"))
                .join(s.accounts, a.id == r.account_id)
                .join(s.domains, d.id == a.domain_id)
                .where(
                    and_(r.enabled.is_(True), a.enabled.is_(True), d.enabled.is_(True), r.next_run_at <= now)
                )
                .order_by(r.next_run_at)
                .limit(limit)
            ).all()
        out = []
        for row in rows:
            try:
                password = self.store.secret_box.open(row.sealed_password)
            except ValueError:
                self.finish(int(row.id), "the stored password cannot be opened with this server's key")
                continue
            out.append(DueFetch(_row(row), f"{row.local_part}@{row.domain}", password))
        return out

    def claim(self, remote: RemoteAccount, now: datetime | None = None) -> bool:
        """Take this turn: move the next one an interval ahead, unless another fetcher already did (then
        the mailbox is no longer due, and this answers False)."""
        now = now or utcnow()
        r = s.remote_accounts.c
        with self.store.db.write() as conn:
            done = conn.execute(
                update(s.remote_accounts)
                .where(and_(r.id == remote.id, r.next_run_at <= now))
                .values(next_run_at=now + timedelta(seconds=remote.interval_seconds))
            )
            return done.rowcount == 1

    def unseen(self, remote_id: int, uids: Iterable[str]) -> list[str]:
        """Of ``uids`` (in the server's order), those not fetched before, in the same order."""
        wanted = list(uids)
        seen: set[str] = set()
        f = s.remote_fetched.c
        with self.store.db.read() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                seen.update(
                    conn.execute(
                        select(f.remote_uid).where(and_(f.remote_id == remote_id, f.remote_uid.in_(chunk)))
                    ).scalars()
                )
        return [uid for uid in wanted if uid not in seen]

    def record(self, remote_id: int, uid: str) -> None:
        """Note that the remote message ``uid`` was taken (after it is safely queued)."""
        try:
            with self.store.db.write() as conn:
                conn.execute(
                    insert(s.remote_fetched).values(remote_id=remote_id, remote_uid=uid, fetched_at=utcnow())
                )
        except IntegrityError:
            pass  # noted already (a fetch that ran twice): nothing more to note

    def forget_gone(self, remote_id: int, present: Iterable[str]) -> int:
        """Drop the notes of messages no longer on the server (so the table does not grow forever)."""
        keep = set(present)
        f = s.remote_fetched.c
        with self.store.db.write() as conn:
            known = conn.execute(select(f.remote_uid).where(f.remote_id == remote_id)).scalars().all()
            gone = [uid for uid in known if uid not in keep]
            for start in range(0, len(gone), 500):
                conn.execute(
                    delete(s.remote_fetched).where(
                        and_(f.remote_id == remote_id, f.remote_uid.in_(gone[start : start + 500]))
                    )
                )
            return len(gone)

    def finish(self, remote_id: int, error: str | None) -> None:
        """Record how a run ended: ``error`` None for success, else what went wrong (shown to the user)."""
        with self.store.db.write() as conn:
            conn.execute(
                update(s.remote_accounts)
                .where(s.remote_accounts.c.id == remote_id)
                .values(last_run_at=utcnow(), last_error=error[:MAX_ERROR] if error else None)
            )
