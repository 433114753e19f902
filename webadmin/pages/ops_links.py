"""Links from the operations pages (services, security) to the generated settings pages of a section.

The settings pages belong to webadmin/pages/settings.py (endpoint ``pages.server_settings``, one section per
page); a link is drawn only when that page exists, so an operations page never points at nothing.
"""

from __future__ import annotations

from flask import current_app, url_for

SETTINGS_ENDPOINT = "pages.server_settings"


def settings_link(section: str) -> str | None:
    """The server settings page of ``section`` ("net", "greylist"...), or None without settings pages."""
    if SETTINGS_ENDPOINT not in current_app.view_functions:
        return None
    return url_for(SETTINGS_ENDPOINT, section=section)
