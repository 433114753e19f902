"""The strings of the Ajax organizer views' Import and Export (skins/base/static/ajax/transfer.js),
worded as the Standard import page words them (webmail/pim_transfer_routes.py)."""

from __future__ import annotations

from flask_babel import gettext as _


def transfer_strings() -> dict[str, str]:
    return {
        "import": _("Import"),
        "export": _("Export"),
        "import_into": _("Into the folder"),
        "import_file": _("File (.ics for calendars, tasks, notes and journal; .vcf for contacts)"),
        "import_drop": _("Drop a file here or choose one."),
        "import_choose_file": _("Choose a file to import."),
        "import_report": _(
            "%(file)s into %(folder)s: %(added)s added, %(updated)s updated, %(failed)s refused."
        ),
        "import_item": _("Item"),
        "import_why": _("Why it was refused"),
        "import_no": _("No. %(n)s"),
    }
