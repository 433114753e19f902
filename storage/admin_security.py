"""Security and filtering state as an administrator may see it (``view.security``): greylisting and the
IP-to-country table (read-only figures), and the right to manage a domain's DKIM key.

The settings of these features (DNSBL, greylisting, country filtering, SPF/DKIM/DMARC) are ordinary
registry settings, changed through ``view.set_setting``. What this facet adds is the check, in storage, that
the administrator may look at server-wide filtering state: a server administrator, or one holding the
"security" server permission. A domain's DKIM key is that domain's: :meth:`AdminSecurity.dkim_domain`
admits a domain administrator for a domain in their scope too, and answers NotFound for another tenant's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from storage.errors import InvalidInput
from storage.greylist import GreylistPolicy, GreylistStats

if TYPE_CHECKING:
    from storage.adminview import AdminView


#: Settings sections of the connection and message checks this facet reads for the "security" permission.
SECTIONS = frozenset(
    {
        "net",
        "dns",
        "dnsbl",
        "rdns",
        "country",
        "greylist",
        "mx_check",
        "spf",
        "dkim",
        "dmarc",
        "lists",
        "scan",
    }
)


@dataclass(frozen=True)
class FilteringState:
    greylist: GreylistStats
    country_ranges: int


class AdminSecurity:
    def __init__(self, view: AdminView) -> None:
        self.view = view
        self.store = view.store

    def check(self) -> None:
        with self.view.acting() as scope:
            scope.require("security")

    def state(self, policy: GreylistPolicy) -> FilteringState:
        """Live greylisting counts under ``policy`` and the number of loaded country ranges.

        Raises:
            PermissionDenied: neither a server administrator nor the "security" permission.
        """
        self.check()
        return FilteringState(self.store.greylist.stats(policy), self.store.countries.count())

    def settings(self, names: Iterable[str]) -> dict[str, Any]:
        """Server-level effective values of settings of the filtering sections (:data:`SECTIONS`), for an
        administrator who may see filtering state but not every server setting.

        Raises:
            PermissionDenied: neither a server administrator nor the "security" permission.
            InvalidInput: a setting outside those sections.
        """
        wanted = list(names)
        for name in wanted:
            if name.partition(".")[0] not in SECTIONS:
                raise InvalidInput(f"{name} is not a filtering setting")
        self.check()
        return {name: self.store.settings.get(name) for name in wanted}

    def dkim_domain(self, domain: str) -> str:
        """The canonical name of ``domain`` if this administrator may manage its DKIM key.

        Raises:
            NotFound: no such domain, or one outside the scope.
        """
        with self.view.acting() as scope, self.store.db.read() as conn:
            scope.domain(self.store, conn, domain)
            return self.store.domains.get(domain).name
