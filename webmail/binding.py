"""What a request is bound to: the process's Store, the logged-in user and that user's mail.

Every page reaches storage through the accessors here, never through ``current_app.config``:

* :func:`user_mail` -- the signed-in user's :class:`storage.usermail.UserMail`, the only way a page
  reads or changes mail (each call is checked by the ACL engine in its own transaction);
* :func:`current_user_account` -- the :class:`WebUser` flask-login loaded for the request;
* :func:`current_store` -- the Store itself, for what is not a user's mail (login, settings, domains).
  ``store.mail`` and ``store.folders`` are the system path and no user-facing route may touch them.

The Store is opened once per process (lazily, on first use, so gunicorn opens it in each worker after
the fork rather than in the master) from the data directory the supervisor names in ``$FIELDPOST_DATA``,
or taken ready-made from ``app.config["STORE"]`` (tests). The teardown forgets what a request cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app, g
from flask_login import UserMixin, current_user

from fieldpost import config as configuration
from storage.store import Store, open_store
from storage.usermail import UserMail

EXTENSION = "fieldpost.store"


@dataclass(frozen=True, eq=False)
class WebUser(UserMixin):  # type: ignore[misc]  # flask-login ships no type hints
    """The signed-in account as flask-login holds it for one request."""

    account_id: int
    address: str
    display_name: str
    domain: str
    password_generation: int = 0

    def get_id(self) -> str:
        return str(self.account_id)


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
    """Bind the Store: ``STORE`` (a ready Store) or ``DATA_DIR`` from the app config, else the data
    directory of ``$FIELDPOST_DATA``."""
    data_dir = app.config.get("DATA_DIR")
    app.extensions[EXTENSION] = StoreBinding(app.config.get("STORE"), Path(data_dir) if data_dir else None)
    app.teardown_appcontext(_forget_request_state)


def _forget_request_state(_exc: BaseException | None) -> None:
    g.pop("fieldpost_user_mail", None)
    g.pop("fieldpost_user_settings", None)


def current_store() -> Store:
    binding: StoreBinding = current_app.extensions[EXTENSION]
    return binding.get()


def current_user_account() -> WebUser:
    """The signed-in user (pages behind ``require_login`` only).

    Raises:
        RuntimeError: nobody is signed in (a route forgot its login guard).
    """
    user = current_user._get_current_object()
    if not isinstance(user, WebUser):
        raise RuntimeError("no user is signed in for this request")
    return user


def user_mail() -> UserMail:
    """The signed-in user's mail, every call checked by the ACL engine (one object per request)."""
    if "fieldpost_user_mail" not in g:
        g.fieldpost_user_mail = current_store().for_user(current_user_account().account_id)
    mine: UserMail = g.fieldpost_user_mail
    return mine
