"""Fixtures of the JMAP Mail tests: a ``jmap`` helper that runs one method as an account would.

Until the JMAP endpoint (the envelope) is on main, the tests call the registered handlers directly with a
:class:`Call` bound to the account's user facade, which is exactly what the envelope hands them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from flask.testing import FlaskClient

import webmail.jmap.mail  # noqa: F401  (registers the methods)
from storage.store import Store
from tests.webmail.conftest import Seeded
from tests.webmail.jmap.conftest import Jmap as HttpJmap
from webmail.jmap.registry import CORE, MAIL, METHODS, Call, MethodError


@dataclass
class Jmap:
    store: Store
    created_ids: dict[str, str] = field(default_factory=dict)

    def call_for(self, address: str) -> Call:
        account = self.store.accounts.get(address)
        return Call(
            user=self.store.for_user(account.id),
            account_id=f"a{account.id}",
            address=account.address,
            using=frozenset({CORE, MAIL}),
            created_ids=self.created_ids,
        )

    def __call__(
        self, name: str, args: dict[str, Any] | None = None, *, who: str = "alice"
    ) -> dict[str, Any]:
        """The response arguments of ``name``; a method error is raised as MethodError."""
        call = self.call_for(f"{who}@example.test")
        body = {"accountId": call.account_id, **(args or {})}
        return METHODS[name].handler(call, body)

    def error(self, name: str, args: dict[str, Any] | None = None, *, who: str = "alice") -> str:
        """The type of the method error ``name`` answers."""
        with pytest.raises(MethodError) as caught:
            self(name, args, who=who)
        return caught.value.type


@pytest.fixture
def jmap(seeded: Seeded) -> Jmap:
    return Jmap(seeded.store)


@pytest.fixture
def endpoint(client: FlaskClient, seeded: Seeded) -> HttpJmap:
    """The JMAP endpoint through the WebMail app's test client (tests/webmail/jmap/conftest.py)."""
    return HttpJmap(client, seeded)
