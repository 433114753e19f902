"""Store maintenance as an administrator may ask for it (``view.maintenance``): the read-only consistency
check of ``fieldpost storage check`` (storage.check), its repair (``fieldpost storage repair``) and the
search-index rebuild (``fieldpost storage reindex``), for WebAdmin.

Only a server-wide administrator may run it: it reads every domain's messages, blobs and counters, and
its report names them, and a repair or a reindex changes every domain's data. Each runs outside the
administrator's transaction (in short transactions of its own, as the command does), after the permission
was checked in one.
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

    def repair_store(self) -> tuple[CheckReport, list[str]]:
        """What ``fieldpost storage repair`` does: repair what can be repaired, then check again.

        Returns the repair pass's report (what was repaired) and the problems a second, read-only pass
        still finds (a missing message file cannot be repaired), as the command prints them.

        Raises:
            PermissionDenied: not a server-wide administrator.
        """
        self.check_allowed()
        report = self.store.check(repair=True)
        return report, self.store.check(repair=False).problems

    def reindex(self) -> int:
        """What ``fieldpost storage reindex`` does: parse every stored body again (search index, cached
        envelopes); returns the number of bodies parsed.

        Raises:
            PermissionDenied: not a server-wide administrator.
        """
        self.check_allowed()
        return self.store.mail.reindex()
