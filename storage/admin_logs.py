"""The services' log files as an administrator may read them (``view.logs``).

Reading is :mod:`fieldpost.log_reader`'s (from the end, bounded); what is decided here is whether this
administrator may read logs at all: a server administrator, or one holding the "logs" server permission
(log lines name every domain's users, so a domain administrator without it reads none). The check runs in
its own short transaction, the file is read after it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fieldpost import log_reader
from storage.errors import InvalidInput

if TYPE_CHECKING:
    from storage.adminview import AdminView


class AdminLogs:
    """Log listing and paging for an administrator with the "logs" permission."""

    def __init__(self, view: AdminView) -> None:
        self.view = view

    def check(self) -> None:
        with self.view.acting() as scope:
            scope.require("logs")

    def services(self, log_dir: Path) -> list[str]:
        """Services with a log file in ``log_dir``."""
        self.check()
        return log_reader.log_services(log_dir)

    def page(
        self,
        log_dir: Path,
        service: str,
        query: log_reader.LogQuery,
        *,
        before: int | None = None,
        limit: int = 100,
    ) -> log_reader.LogPage:
        """The newest records of ``service``'s log matching ``query``, older than offset ``before``.

        Raises:
            InvalidInput: not a service name, a negative offset, or a text filter that is too long.
            PermissionDenied: neither a server administrator nor the "logs" permission.
        """
        if before is not None and before < 0:
            raise InvalidInput("the page offset must not be negative")
        if len(query.text) > log_reader.MAX_TEXT:
            raise InvalidInput(f"the text filter is longer than {log_reader.MAX_TEXT} characters")
        try:
            path = log_reader.log_path(log_dir, service)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        self.check()
        return log_reader.read_page(path, query, before=before, limit=limit)
