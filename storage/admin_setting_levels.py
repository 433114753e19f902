"""Every setting of one level as an administrator sees it: the value in force there and whether it is set
at that very level (else inherited). One transaction per call, scope checked in it.

Why a facet of its own: the CLI's ``SHOW`` and WebAdmin's settings forms list a whole level at once; a
call per setting through ``AdminView.setting`` would be a transaction per line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from storage import settings as reg
from storage.errors import InvalidInput

if TYPE_CHECKING:
    from storage.adminview import AdminView


@dataclass(frozen=True)
class LevelSetting:
    setting: reg.Setting
    value: Any  # in force at this level
    explicit: bool  # set at this level (False: inherited from a more general level or the default)


class SettingLevels:
    """``view.setting_levels.at(...)``: the settings of the server, a domain, an account class or an
    account. Scope rules as for ``AdminView.setting``: a delegated administrator reads the levels of the
    domains granted to them, and the server level only with the server permission ``config``."""

    def __init__(self, view: AdminView) -> None:
        self.view = view
        self.store = view.store

    def at(
        self, *, domain: str | None = None, account_class: str | None = None, account: str | None = None
    ) -> list[LevelSetting]:
        """The registry's settings of the level named (none: server), by name.

        Raises:
            NotFound: the domain, class or account does not exist (or is outside the scope).
            PermissionDenied: the server level, without the server permission ``config``.
            InvalidInput: a class without its domain.
        """
        with self.view.acting() as scope, self.store.db.read() as conn:
            if account is not None:
                scope.address(self.store, conn, account)
            if domain is not None:
                scope.domain(self.store, conn, domain)
            if account is None and domain is None:
                scope.require("config")
            level, scope_id = self.store.settings._scope(conn, domain, account_class, account)
            names = [st.name for st in reg.settings_for_level(level)]
            explicit = reg.explicit_values(conn, level, scope_id)
            if level == "class":
                assert domain is not None
                inherited = reg.effective_many(conn, names, domain_id=self.store.domains.id_of(conn, domain))
                values = {name: _own(name, explicit, inherited[name]) for name in names}
            elif level == "account":
                values = reg.effective_many(conn, names, account_id=scope_id)
            elif level == "domain":
                values = reg.effective_many(conn, names, domain_id=scope_id)
            else:
                values = reg.effective_many(conn, names)
            return [LevelSetting(reg.get(name), values[name], name in explicit) for name in names]


def _own(name: str, explicit: dict[str, Any], inherited: Any) -> Any:
    """A class's own value, or the inherited one when it has none (or a stale one that no longer passes)."""
    if name not in explicit:
        return inherited
    try:
        return reg.coerce_value(reg.get(name), explicit[name])
    except InvalidInput:
        return inherited
