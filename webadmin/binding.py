"""What a WebAdmin request is bound to: the process's Store and the signed-in administrator's view.

Every page reaches storage through :func:`admin_view` -- ``store.for_admin(name)``, whose every call decides
in storage what this administrator may see and change (storage/adminscope.py). A page never touches the
system path (``store.domains``, ``store.accounts``...): those check nothing.

The Store is opened once per process (lazily, so gunicorn opens it in each worker after the fork) from
``DATA_DIR`` or ``$FIELDPOST_DATA``, or taken ready-made from ``app.config["STORE"]`` (tests). This is a
copy of WebMail's small binding on purpose: the two web packages may not import each other.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, g

from fieldpost import config as configuration
from storage.adminview import AdminView
from storage.store import Store, open_store

EXTENSION = "fieldpost.webadmin.store"


class StoreBinding:
    """Holds the app's Store: given by the tests, or opened from the data directory on first use."""

    def __init__(self, store: Store | None, data_dir: Path | None) -> None:
        self._store = store
        self._data_dir = data_dir
        self._owned = store is None

    def get(self) -> Store:
        if self._store is None:
            config = (
                configuration.load(self._data_dir) if self._data_dir else configuration.from_environment()
            )
            self._store = open_store(config.database_url, config.blob_dir)
        return self._store

    def close(self) -> None:
        if self._owned and self._store is not None:
            self._store.close()
            self._store = None


def init_app(app: Flask) -> None:
    data_dir = app.config.get("DATA_DIR")
    app.extensions[EXTENSION] = StoreBinding(app.config.get("STORE"), Path(data_dir) if data_dir else None)
    app.teardown_appcontext(_forget_request_state)


def _forget_request_state(_exc: BaseException | None) -> None:
    g.pop("fieldpost_admin", None)
    g.pop("fieldpost_admin_view", None)


def current_store() -> Store:
    """The Store (sign-in and the session checks only; pages use :func:`admin_view`)."""
    binding: StoreBinding = current_app.extensions[EXTENSION]
    return binding.get()


def current_admin() -> str:
    """The signed-in administrator's name (pages behind the blueprint's guard only).

    Raises:
        RuntimeError: nobody is signed in (a route forgot the guard).
    """
    name = g.get("fieldpost_admin")
    if not isinstance(name, str):
        raise RuntimeError("no administrator is signed in for this request")
    return name


def admin_view() -> AdminView:
    """The signed-in administrator's view of the store (one object per request)."""
    if "fieldpost_admin_view" not in g:
        g.fieldpost_admin_view = current_store().for_admin(current_admin())
    view: AdminView = g.fieldpost_admin_view
    return view
