"""Fixtures of the JMAP Calendars tests: one store per module (alice, bob; each has the
default calendar "Calendar" every account starts with, alice also "Work"),
and ``cal(name, args, who=...)`` running one method as the envelope does (a ``Call`` bound to the
account's user facade, with the request's createdIds shared across calls of one test)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import webmail.jmap.calendars  # noqa: F401  (registers the methods)
from storage import passwords
from storage.pim.models import ItemPlace
from storage.store import Store, open_store
from tests.storage.conftest import _reused_demo_hash
from webmail.jmap.registry import CALENDARS, CORE, METHODS, Call, MethodError


@dataclass
class Cal:
    store: Store
    created_ids: dict[str, str] = field(default_factory=dict)

    def call_for(self, who: str) -> Call:
        account = self.store.accounts.get(f"{who}@example.test")
        return Call(
            self.store.for_user(account.id),
            f"a{account.id}",
            account.address,
            frozenset({CORE, CALENDARS}),
            created_ids=self.created_ids,
        )

    def __call__(
        self, name: str, args: dict[str, Any] | None = None, *, who: str = "alice"
    ) -> dict[str, Any]:
        call = self.call_for(who)
        return METHODS[name].handler(call, {"accountId": call.account_id, **(args or {})})

    def place(self, item_id: str, who: str = "alice") -> ItemPlace:
        """The folder and resource name of the item an id names, as storage says (ids carry neither)."""
        found = self.call_for(who).user.organizer.locate([int(item_id.removeprefix("v"))])
        assert len(found) == 1, item_id
        return found[0]

    def error(self, name: str, args: dict[str, Any] | None = None, *, who: str = "alice") -> str:
        with pytest.raises(MethodError) as caught:
            self(name, args, who=who)
        return caught.value.type


@pytest.fixture(scope="module")
def module_store(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp("jmap-calendars")
    shutil.copyfile(sqlite_template, folder / "db.sqlite3")
    store = open_store(f"sqlite:///{folder / 'db.sqlite3'}", folder / "blobs")
    store.domains.add("example.test")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "hash_password", _reused_demo_hash)
        for name in ("alice", "bob"):
            store.accounts.add(f"{name}@example.test", f"pass-{name}")
    alice = store.accounts.get("alice@example.test")
    store.for_user(alice.id).organizer.create_collection("Work", "calendar", "Work")
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def cal(module_store: Store) -> Cal:
    return Cal(module_store)
