"""Settings sheets: every setting of one level for one object, with where its inherited value comes from.

What WebAdmin's generated settings pages (and anything else that shows a level whole) need, as one
administrator may see and change it: ``admin_view.setting_sheets.read(...)`` and ``.apply(...)``. The
object is the server (no keyword), a domain, an account class of a domain, or an account; the scope rules
are adminscope's, decided in the transaction of the read or write, as for ``AdminView.setting``/
``set_setting``: reading a domain's, class's or account's sheet needs the object in scope, changing it the
domain permission ``settings``; the server's sheet needs the server permission ``config``. A delegated
administrator gets NotFound for another tenant's objects. A mailbox size stays within the grant's limit
(storage.adminlimits), reported like any other validation error.

Inheritance is the registry's (storage.settings): for each setting, the value set at this level (if any),
the value this level would inherit without it (the most specific explicit value above, else the default)
and which level that came from. A delegated administrator sees the inherited server values too: they are
what their domain runs with, even if only a server administrator may change them.

Why beside ``setting_levels`` (storage/admin_setting_levels.py, the CLI's ``SHOW``: the value in force and
whether it is set here): a form also shows what a level would inherit and from where, and saves several
fields at once, all or nothing.

``apply`` validates every change with the registry's own validation first and stores nothing unless all
pass, so a form with one bad field keeps the others as typed and reports each error next to its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from storage import adminlimits
from storage import schema as s
from storage import settings as reg
from storage.adminscope import Scope
from storage.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from storage.adminview import AdminView

DEFAULT = "default"


@dataclass(frozen=True)
class SheetRow:
    """One setting on a sheet."""

    setting: reg.Setting
    is_set: bool  # an explicit value at this level
    here: Any  # that value (None when not set)
    inherited: Any  # what this level gets without its own value
    inherited_from: str  # "default", "server", "domain" or "class"

    @property
    def effective(self) -> Any:
        return self.here if self.is_set else self.inherited


@dataclass(frozen=True)
class Sheet:
    level: str  # server, domain, class or account
    rows: tuple[SheetRow, ...]


class SettingSheets:
    """The sheets of one administrator's view (attached as ``AdminView.setting_sheets``)."""

    def __init__(self, view: AdminView) -> None:
        self.view = view
        self.store = view.store

    def read(
        self, *, domain: str | None = None, account_class: str | None = None, account: str | None = None
    ) -> Sheet:
        """Every setting of the level the keywords name (none: the server), sorted by name.

        Raises:
            NotFound: the domain, class or account does not exist or is outside the administrator's scope.
            PermissionDenied: the server's sheet, asked by a delegated administrator.
        """
        with self.view.acting() as scope, self.store.db.read() as conn:
            level, scopes = self._scopes(scope, conn, domain, account_class, account, None)
            stored = {lv: _explicit(conn, lv, sid) for lv, sid in scopes.items()}
        rows = []
        for setting in reg.settings_for_level(level):
            here = stored[level].get(setting.name, _UNSET)
            inherited, origin = setting.default, DEFAULT
            for above in reversed(reg.LEVELS[: reg.LEVELS.index(level)]):
                if above in setting.levels and setting.name in stored.get(above, {}):
                    inherited, origin = stored[above][setting.name], above
                    break
            rows.append(
                SheetRow(
                    setting,
                    is_set=here is not _UNSET,
                    here=None if here is _UNSET else here,
                    inherited=inherited,
                    inherited_from=origin,
                )
            )
        return Sheet(level, tuple(rows))

    def apply(
        self,
        changes: Mapping[str, Any],
        *,
        domain: str | None = None,
        account_class: str | None = None,
        account: str | None = None,
    ) -> dict[str, str]:
        """Set (a value, typed text accepted as on the CLI) or clear (``None``: inherit) settings of one
        level in one transaction. Returns the validation errors by setting name; when there is any,
        nothing is stored.

        Raises:
            NotFound / PermissionDenied: as for :meth:`read`.
        """
        try:
            with self.view.acting() as scope, self.store.db.read() as conn:
                level, scopes = self._scopes(scope, conn, domain, account_class, account, "settings")
                errors: dict[str, str] = {}
                clean: dict[str, Any] = {}
                for name, value in changes.items():
                    try:
                        setting = reg.get(name)
                        if level not in setting.levels:
                            raise InvalidInput(f"setting {name} cannot be set at {level} level")
                        clean[name] = None if value is None else reg.validate(name, value)
                    except (InvalidInput, NotFound) as exc:
                        errors[name] = str(exc)
                if errors:
                    return errors
                for name, value in clean.items():
                    if value is None:
                        reg.clear_value(conn, name, level, scopes[level])
                    else:
                        reg.set_value(conn, name, level, scopes[level], value)
                if adminlimits.QUOTA_SETTING in clean and level != "server":
                    self._check_quota(scope, conn, level, scopes, clean[adminlimits.QUOTA_SETTING])
        except _Refused as refused:
            return {refused.name: refused.message}
        return {}

    def _check_quota(
        self, scope: Scope, conn: Connection, level: str, scopes: dict[str, int], value: Any
    ) -> None:
        """A mailbox size given (or, once cleared, the size in force) stays within the grant's limit (as
        ``AdminView.set_setting`` / ``clear_setting`` check it), else everything is rolled back (raising
        out of the transaction) and the limit reported on the field."""
        try:
            if value is not None:
                adminlimits.check_quota_value(scope, scopes["domain"], value)
            elif level == "account":
                adminlimits.check_account_quota(self.store, conn, scope, scopes["domain"], scopes["account"])
            else:
                adminlimits.check_domain_quota(self.store, conn, scope, scopes["domain"])
        except InvalidInput as exc:
            raise _Refused(adminlimits.QUOTA_SETTING, str(exc)) from exc

    def _scopes(
        self,
        scope: Scope,
        conn: Connection,
        domain: str | None,
        account_class: str | None,
        account: str | None,
        right: str | None,
    ) -> tuple[str, dict[str, int]]:
        """The level named and the scope id of it and of every level above it; ``right`` is the domain
        permission the work needs (None: reading), the server level needs ``config`` either way."""
        if account is not None:
            scope.address(self.store, conn, account, right)
            aid = self.store.accounts.id_of(conn, account)
            a = s.accounts.c
            row = conn.execute(select(a.domain_id, a.account_class_id).where(a.id == aid)).one()
            scopes = {"server": 0, "domain": int(row.domain_id), "account": aid}
            if row.account_class_id is not None:
                scopes["class"] = int(row.account_class_id)
            return "account", scopes
        if domain is None:
            if account_class is not None:
                raise InvalidInput("an account class is named together with its domain")
            scope.require("config")
            return "server", {"server": 0}
        did = scope.domain(self.store, conn, domain, right)
        if account_class is None:
            return "domain", {"server": 0, "domain": did}
        c = s.account_classes.c
        cid = conn.execute(select(c.id).where(c.domain_id == did, c.name == account_class)).scalar()
        if cid is None:
            raise NotFound(f"account class {account_class!r} does not exist in {domain}")
        return "class", {"server": 0, "domain": did, "class": int(cid)}


_UNSET = object()


class _Refused(Exception):
    """Rolls back an apply whose result broke a limit; carries the field and the message."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


def _explicit(conn: Connection, level: str, scope_id: int) -> dict[str, Any]:
    """The registry's settings set at one scope, validated (a stale value counts as unset, as on read)."""
    found = {}
    for name, value in reg.explicit_values(conn, level, scope_id).items():
        setting = reg.REGISTRY.get(name)
        if setting is None or level not in setting.levels:
            continue
        try:
            found[name] = reg.coerce_value(setting, value)
        except InvalidInput:
            continue
    return found
