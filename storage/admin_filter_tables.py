"""The data behind the connection-time checks as an administrator may change it (``view.filter_tables``):
the IP-to-country table and greylisting's memory, and the settings a DNSBL lookup needs. What ``fieldpost
filters countries|greylist|dnsbl`` does, for WebAdmin.

Every method needs a server administrator or the server permission "security" (storage.adminscope),
checked in the transaction of the work: loading a country table is one transaction with the check, all or
nothing as ``storage.countries`` makes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from storage.countries import CountryRange
from storage.errors import InvalidInput
from storage.greylist import GreylistPolicy

if TYPE_CHECKING:
    from storage.adminview import AdminView

SECURITY = "security"
#: Settings sections a DNSBL lookup reads (the lists and the resolver's nameservers and timeout).
LOOKUP_SECTIONS = frozenset({"dnsbl", "dns"})


class AdminFilterTables:
    def __init__(self, view: AdminView) -> None:
        self.view = view
        self.store = view.store

    def check(self) -> None:
        """Raises PermissionDenied unless a server administrator or one holding "security"."""
        with self.view.acting() as scope:
            scope.require(SECURITY)

    def load_countries(self, lines: Iterable[str]) -> int:
        """Replace the country table by a CSV file's lines (formats: storage.countries); the ranges stored.

        Raises:
            PermissionDenied: no "security". InvalidInput: not a country table (the table is unchanged).
        """
        with self.view.acting() as scope:
            scope.require(SECURITY)
            return self.store.countries.replace(lines)

    def country_of(self, ip: str) -> CountryRange | None:
        with self.view.acting() as scope:
            scope.require(SECURITY)
            return self.store.countries.lookup(ip)

    def clear_countries(self) -> int:
        with self.view.acting() as scope:
            scope.require(SECURITY)
            return self.store.countries.clear()

    def prune_greylist(self, policy: GreylistPolicy) -> int:
        """Delete the greylisting rows expired under ``policy`` now; how many."""
        with self.view.acting() as scope:
            scope.require(SECURITY)
            return self.store.greylist.prune(policy)

    def clear_greylist(self) -> int:
        """Forget every triplet and client network (every sender is greylisted afresh)."""
        with self.view.acting() as scope:
            scope.require(SECURITY)
            return self.store.greylist.clear()

    def lookup_settings(self, names: Iterable[str]) -> dict[str, Any]:
        """Server-level values of DNSBL and resolver settings (:data:`LOOKUP_SECTIONS`) for a lookup.

        Raises:
            PermissionDenied: no "security". InvalidInput: a setting of another section.
        """
        wanted = list(names)
        for name in wanted:
            if name.partition(".")[0] not in LOOKUP_SECTIONS:
                raise InvalidInput(f"{name} is not a DNSBL lookup setting")
        with self.view.acting() as scope:
            scope.require(SECURITY)
            return self.store.settings.effective_many(wanted)
