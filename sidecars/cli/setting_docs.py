"""``HELP SETTING name`` / ``SHOW SETTINGDOC name``: a setting's reference entry from the one registry
(storage.settings) -- ``fieldpost settings docs`` on the console, one entry or one section at a time (``storage.settings.reference()``, as WebAdmin's reference page).

The registry is documentation (docs/settings.md is generated from it), so any logged-in administrator
may read it, in any context; values in force are ``SHOW``'s business, which storage checks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sidecars.cli import parser as P
from sidecars.cli.state import CommandFailed
from storage import settings as registry

if TYPE_CHECKING:
    from sidecars.cli.session import CliSession


def setting_doc(s: CliSession, args: list[str]) -> bytes:
    """One setting's entry (``quota.messages``), or the settings of a section (``quota``)."""
    if len(args) != 1:
        raise P.ParseError("give one setting name (quota.messages) or section (quota)")
    name = args[0].strip()
    if "." not in name:
        entries = sorted(
            (st for st in registry.REGISTRY.values() if st.section == name), key=lambda st: st.name
        )
        if not entries:
            sections = sorted({st.section for st in registry.REGISTRY.values()})
            raise CommandFailed(f"no setting section {name[:40]!r} (sections: {', '.join(sections)})")
        rows = [(st.name, st.help) for st in entries]
        return P.table(("setting", "help"), rows) + P.ok(f"{len(rows)} setting(s) in section {name}")
    section = registry.get(name).section
    entry = next(row for row in registry.reference()[section] if row.name == name)
    rows = [
        ("setting", entry.name),
        ("type", entry.kind),
        ("levels", entry.levels),
        ("default", entry.default),
        ("limits", entry.limits.replace("`", "") or "-"),
        ("help", entry.help),
    ]
    return P.table(("field", "value"), rows) + P.ok(f"{entry.name} described")
