"""The static configuration of the server WebAdmin administers: its listeners (with the port offset the
services run with), its log directory, its services.

Read once per app from ``DATA_DIR`` (the supervisor's port offset from the environment), or taken ready
from ``app.config["FIELDPOST_CONFIG"]`` (tests). An app run on a bare Store has none: pages that need it
say so instead of failing (:class:`NoConfig`).
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from fieldpost import config as configuration

CONFIG_KEY = "FIELDPOST_CONFIG"


class NoConfig(LookupError):
    """WebAdmin runs without a data directory (a test app on a bare Store)."""


def server_config() -> configuration.Config:
    """The Config of this server.

    Raises:
        NoConfig: there is no data directory to read it from.
    """
    found = current_app.config.get(CONFIG_KEY)
    if found is None:
        data_dir = current_app.config.get("DATA_DIR")
        if not data_dir:
            raise NoConfig("WebAdmin runs without a data directory")
        found = configuration.load(Path(data_dir), configuration.environment_port_offset())
        current_app.config[CONFIG_KEY] = found
    if not isinstance(found, configuration.Config):
        raise NoConfig(f"{CONFIG_KEY} is not a Config")
    return found
