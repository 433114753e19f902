"""Store maintenance as an administrator may ask for it (``view.maintenance``): the read-only consistency
check of ``fieldpost storage check`` (storage.check), for WebAdmin.

Only a server-wide administrator may run it: it reads every domain's messages, blobs and counters, and
its report names them. It never repairs (``fieldpost storage repair`` does, on the server). The check
runs outside the administrator's transaction (it reads in short transactions of its own, as the command
does), after the permission was checked in one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.models import CheckReport

if TYPE_CHECKING:
    from storage.adminview import AdminView


class AdminMaintenance:
    def __init__(self, view: AdminView) -> None:
        self.view = view
        self.store = view.store

    def check_allowed(self) -> None:
        """Raises PermissionDenied (``SERVER_ONLY``) for anyone but a server-wide administrator."""
        with self.view.acting() as scope:
            scope.require_server()

    def check_store(self) -> CheckReport:
        """What ``fieldpost storage check`` finds (nothing is changed).

        Raises:
            PermissionDenied: not a server-wide administrator.
        """
        self.check_allowed()
        return self.store.check(repair=False)
