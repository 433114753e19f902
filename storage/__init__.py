"""Fieldpost storage: the single source of truth for every entity, message, blob, ACL and setting.

Public entry points: ``open_store`` and the ``errors`` family. See docs/storage.md for the model.
"""

from storage import errors
from storage.store import Store, open_store

__all__ = ["Store", "errors", "open_store"]
