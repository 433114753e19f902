"""What a user may change about their own account: preferences, sender lists, password; and what they may
see of it: their addresses and their quota.

Got from ``store.for_user(account_id).preferences``; WebMail's settings pages (and later JMAP) use it.

Why an allow-list: the settings registry holds the administrator's settings and the user's side by side,
and most may be set at account level (by the administrator). A user must only reach the few that are
theirs, so ``set`` refuses any name not in ``USER_SETTINGS`` with ``PermissionDenied``, whatever the
registry says about levels. Values go through the registry's validation, plus the checks below that the
registry cannot express (a real IANA time zone, a locale tag, sender patterns).

Implementation notes:

* Every method opens its own transaction and works on this account only (the id given to
  ``store.for_user``); a missing account raises ``NotFound``.
* A password change asks for the old password and counts a wrong one as a failed login against the
  account (storage.throttle), so a stolen session cannot be used to guess the password; the new one goes
  through the same policy (``auth.password_min_length``) and the same write as an administrator's change,
  which bumps ``password_generation`` so every process's login cache and every web session made with the
  old password stop working.
"""

from __future__ import annotations

import json
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, select

from storage import passwords
from storage import schema as s
from storage import settings as reg
from storage.errors import AuthFailed, InvalidInput, NotFound, PermissionDenied, Throttled

if TYPE_CHECKING:
    from storage.store import Store

#: The settings a user may change for themselves (docs/webmail-settings.md); everything else is the
#: administrator's.
USER_SETTINGS: Final = ("user.language", "user.timezone", "webmail.skin", "webmail.signatures")
SIGNATURES: Final = "webmail.signatures"  # JSON: sending address (or "*" for the others) -> text
MAX_SIGNATURE_LENGTH: Final = 4000
#: The sender lists a user keeps (filters/lists.py reads them).
SENDER_LISTS: Final = ("lists.blocked_senders", "lists.safe_senders")
MAX_LIST_ENTRIES: Final = 1000  # per list: every message is compared with every entry
MAX_PATTERN_LENGTH: Final = 320  # the longest address

_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:[_-][A-Za-z0-9]{2,8}){0,2}$")
_PATTERN_LOCAL = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~.?*-]+$")
_PATTERN_DOMAIN = re.compile(r"^[a-z0-9.*?-]+$")


@dataclass(frozen=True)
class Profile:
    """Who the user is, as the settings pages and the out-of-office script need it."""

    account_id: int
    address: str
    domain: str
    domain_aliases: tuple[str, ...]  # other names of the account's domain (mail from them is internal)
    aliases: tuple[str, ...]  # the account's other addresses, temporary ones included while they live
    display_name: str | None


@dataclass(frozen=True)
class QuotaMeter:
    """Mailbox use against its limits (0: no limit) and the warning levels in percent."""

    used_bytes: int
    limit_bytes: int
    messages: int
    limit_messages: int
    warn_percent: tuple[int, ...]

    @property
    def percent(self) -> int:
        """The larger use of the two limits, in whole percent (0 without limits)."""
        shares = [
            used * 100 // limit
            for used, limit in ((self.used_bytes, self.limit_bytes), (self.messages, self.limit_messages))
            if limit > 0
        ]
        return max(shares, default=0)

    @property
    def warning(self) -> int | None:
        """The highest warning level reached (a percent of ``warn_percent``), or None."""
        reached = [level for level in self.warn_percent if self.percent >= level]
        return max(reached) if reached else None

    @property
    def over(self) -> bool:
        """At or over a limit: new mail is refused."""
        return (self.limit_bytes > 0 and self.used_bytes >= self.limit_bytes) or (
            self.limit_messages > 0 and self.messages >= self.limit_messages
        )


def sender_pattern(entry: str) -> str:
    """The stored form of one blocked- or safe-sender entry (filters/lists.py's language).

    ``*`` and ``?`` are wildcards; an entry without ``@`` names a whole domain. Lower-cased.

    Raises:
        InvalidInput: empty, longer than 320 characters, with spaces or commas, or not shaped like an
            address or domain pattern.
    """
    text = entry.strip().lower()
    if not text:
        raise InvalidInput("an empty sender entry")
    if len(text) > MAX_PATTERN_LENGTH:
        raise InvalidInput(f"sender entry {entry!r} is longer than {MAX_PATTERN_LENGTH} characters")
    local, at, domain = text.rpartition("@")
    if not at:
        local, domain = "*", text
    bad = (
        f"{entry!r} is not an address or a domain (examples: pest@spam.example, *@spam.example, spam.example)"
    )
    if not local or not _PATTERN_LOCAL.match(local) or not domain or not _PATTERN_DOMAIN.match(domain):
        raise InvalidInput(bad)
    if domain.strip("*?") and "." not in domain and "*" not in domain:
        raise InvalidInput(bad)
    return text


def sender_patterns(entries: Iterable[str]) -> tuple[str, ...]:
    """Each entry checked by ``sender_pattern``, duplicates dropped, order kept.

    Raises:
        InvalidInput: a bad entry (the first one), or more than ``MAX_LIST_ENTRIES``.
    """
    clean = tuple(dict.fromkeys(sender_pattern(e) for e in entries if e.strip()))
    if len(clean) > MAX_LIST_ENTRIES:
        raise InvalidInput(f"a sender list holds at most {MAX_LIST_ENTRIES} entries")
    return clean


def check_user_value(name: str, value: Any) -> Any:
    """What ``set`` checks beyond the registry for ``name``; returns the value to store.

    Raises:
        PermissionDenied: not a user setting.
        InvalidInput: a bad value.
    """
    if name not in USER_SETTINGS:
        raise PermissionDenied(f"{name} is not a setting users may change")
    clean = reg.validate(name, value)
    if name == "user.timezone":
        try:
            zoneinfo.ZoneInfo(clean)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"{clean!r} is not a time zone (examples: Europe/Paris, UTC)") from None
    if name == "user.language" and not _LANGUAGE.match(clean):
        raise InvalidInput(f"{clean!r} is not a language tag (examples: en, pt-BR)")
    if name == SIGNATURES:
        clean = json.dumps(_signature_map(clean), ensure_ascii=False, sort_keys=True)
    return clean


def _signature_map(text: str) -> dict[str, str]:
    try:
        value = json.loads(text)
    except ValueError:
        raise InvalidInput("signatures must be a JSON object of address to text") from None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise InvalidInput("signatures must be a JSON object of address to text")
    for key, signature in value.items():
        if len(signature) > MAX_SIGNATURE_LENGTH:
            raise InvalidInput(f"the signature for {key} is longer than {MAX_SIGNATURE_LENGTH} characters")
    return {k.strip().lower(): v for k, v in value.items() if v.strip()}


class UserPreferences:
    """One account's own settings, sender lists, password, addresses and quota (see the module notes)."""

    def __init__(self, store: Store, account_id: int) -> None:
        self.store = store
        self.account_id = account_id

    # -- preferences --------------------------------------------------------------------------------

    def get(self) -> dict[str, Any]:
        """The effective value of every ``USER_SETTINGS`` entry (the user's own or inherited)."""
        return dict(self.store.settings.effective_many(USER_SETTINGS, account_id=self.account_id))

    def set(self, name: str, value: Any) -> Any:
        """Set one user setting at account level; returns the stored value.

        Raises:
            PermissionDenied: ``name`` is not in ``USER_SETTINGS``.
            InvalidInput: a bad value (the message says why).
            NotFound: the account no longer exists.
        """
        clean = check_user_value(name, value)
        with self.store.db.write() as conn:
            self._exists(conn)
            return reg.set_value(conn, name, "account", self.account_id, clean)

    def reset(self, name: str) -> None:
        """Forget the user's own value so the domain's (or server's) applies again.

        Raises:
            PermissionDenied: ``name`` is not in ``USER_SETTINGS``.
        """
        if name not in USER_SETTINGS:
            raise PermissionDenied(f"{name} is not a setting users may change")
        with self.store.db.write() as conn:
            self._exists(conn)
            reg.clear_value(conn, name, "account", self.account_id)

    def signatures(self) -> dict[str, str]:
        """The signature per sending address ("*": every address without one of its own)."""
        raw = str(self.get()[SIGNATURES])
        try:
            return _signature_map(raw)
        except InvalidInput:
            return {}

    def set_signature(self, address: str, text: str) -> dict[str, str]:
        """Set (or, with empty ``text``, remove) the signature of one sending address, or of "*".

        Raises:
            InvalidInput: ``address`` is not "*" nor one the account may send as; ``text`` too long.
        """
        key = address.strip().lower()
        if key != "*" and key not in {a.lower() for a in self.store.senders.addresses_for(self.account_id)}:
            raise InvalidInput(f"{address} is not an address you may send as")
        current = self.signatures()
        current[key] = text
        self.set(SIGNATURES, json.dumps(current))
        return self.signatures()

    # -- sender lists -------------------------------------------------------------------------------

    def sender_list(self, name: str) -> tuple[str, ...]:
        """``lists.blocked_senders`` or ``lists.safe_senders`` of this account.

        Raises:
            PermissionDenied: another name.
        """
        self._list_name(name)
        return tuple(self.store.settings.effective_many((name,), account_id=self.account_id)[name])

    def set_sender_list(self, name: str, entries: Iterable[str]) -> tuple[str, ...]:
        """Replace a sender list with ``entries`` (see ``sender_patterns``); returns what was stored.

        Raises:
            PermissionDenied: ``name`` is not one of ``SENDER_LISTS``.
            InvalidInput: a bad entry, or too many.
        """
        self._list_name(name)
        clean = sender_patterns(entries)
        with self.store.db.write() as conn:
            self._exists(conn)
            return tuple(reg.set_value(conn, name, "account", self.account_id, list(clean)))

    @staticmethod
    def _list_name(name: str) -> None:
        if name not in SENDER_LISTS:
            raise PermissionDenied(f"{name} is not a sender list")

    # -- who and how much ---------------------------------------------------------------------------

    def profile(self) -> Profile:
        """The account's address, domain (with its aliases) and live aliases.

        Raises:
            NotFound: the account no longer exists.
        """
        account = self.store.accounts.by_id(self.account_id)
        domain = self.store.domains.get(account.address.rpartition("@")[2])
        return Profile(
            account_id=account.id,
            address=account.address,
            domain=domain.name,
            domain_aliases=domain.aliases,
            aliases=account.aliases,
            display_name=account.display_name,
        )

    def quota(self) -> QuotaMeter:
        """Use against ``quota.storage_bytes`` and ``quota.messages``, with ``quota.warn_percent``.

        Raises:
            NotFound: the account no longer exists.
        """
        names = ("quota.storage_bytes", "quota.messages", "quota.warn_percent")
        with self.store.db.read() as conn:
            row = conn.execute(
                select(s.accounts.c.used_bytes, s.accounts.c.message_count).where(
                    s.accounts.c.id == self.account_id
                )
            ).first()
            if row is None:
                raise NotFound("no such account")
            values = reg.effective_many(conn, list(names), account_id=self.account_id)
        return QuotaMeter(
            used_bytes=int(row.used_bytes),
            limit_bytes=int(values["quota.storage_bytes"]),
            messages=int(row.message_count),
            limit_messages=int(values["quota.messages"]),
            warn_percent=tuple(sorted(int(v) for v in values["quota.warn_percent"])),
        )

    # -- password -----------------------------------------------------------------------------------

    def change_password(self, old: str, new: str, *, ip: str | None = None) -> None:
        """Replace the password, the old one being known.

        Args:
            old: the current password.
            new: the new one; it must differ from the old one and from the account's address and local
                part, and meet the domain's ``auth.password_min_length``.
            ip: the client's address, counted with a wrong old password like a failed login.

        Raises:
            Throttled: too many failed logins or wrong old passwords for this account lately.
            AuthFailed: the old password is wrong.
            InvalidInput: the new password breaks the policy (the message says which rule).
            NotFound: the account no longer exists.
        """
        with self.store.db.read() as conn:
            row = conn.execute(
                select(s.accounts.c.password_hash).where(s.accounts.c.id == self.account_id)
            ).first()
            if row is None:
                raise NotFound("no such account")
        address = self.store.accounts.by_id(self.account_id).address
        throttle = self.store.auth.throttle
        seen = throttle.check(address, ip)
        if seen.retry_after > 0:
            raise Throttled("too many failed attempts; try again later", seen.retry_after)
        if row.password_hash is None or not passwords.verify_password(row.password_hash, old):
            throttle.record_failure(address, ip)
            raise AuthFailed("the current password is wrong")
        if new == old:
            raise InvalidInput("the new password must differ from the current one")
        lowered = new.strip().lower()
        if lowered in (address, address.partition("@")[0]):
            raise InvalidInput("the password must not be your address or user name")
        self.store.accounts.set_password(address, new)  # policy, generation bump, cache forgotten

    def _exists(self, conn: Connection) -> None:
        if conn.execute(select(s.accounts.c.id).where(s.accounts.c.id == self.account_id)).first() is None:
            raise NotFound("no such account")
