"""Mobile pages of the organizer's items: tasks, notes, journal (webmail/task_routes.py,
webmail/journal_routes.py) and importing/exporting organizer folders
(webmail/pim_transfer_routes.py)."""

from __future__ import annotations

from webmail.journal_routes import add_journal_routes
from webmail.mobile.blueprint import bp
from webmail.pim_transfer_routes import add_transfer_routes
from webmail.task_routes import add_task_routes

add_task_routes(bp)
add_journal_routes(bp)
add_transfer_routes(bp)
