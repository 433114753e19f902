"""The components a Store hands out, on both backends, have exactly the methods of storage/contracts.py.

mypy checks the classes against the protocols statically; this checks the objects callers actually get
(``store.mail``, ``store.for_user(id)``, its ``reader``...) on SQLite and PostgreSQL, parameter by
parameter (names, kinds and defaults), so a keyword renamed on one side only fails here too.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from storage import contracts
from tests.storage.conftest import Demo

COMPONENTS = [
    ("mail", contracts.MailReading),
    ("folders", contracts.FolderDirectory),
    ("accounts", contracts.AccountDirectory),
    ("senders", contracts.SenderRights),
    ("settings", contracts.SettingsReading),
]


def _methods(protocol: type) -> dict[str, Any]:
    return {
        name: value
        for name, value in vars(protocol).items()
        if inspect.isfunction(value) and not name.startswith("_")
    }


def _parameters(fn: Any) -> list[tuple[str, Any, Any]]:
    """(name, kind, default) of every parameter after ``self``; annotations are strings on both sides."""
    signature = inspect.signature(fn)
    return [(p.name, p.kind, p.default) for p in list(signature.parameters.values())[1:]]


def _differences(implementation: object, protocol: type) -> list[str]:
    found = []
    for name, declared in _methods(protocol).items():
        actual = getattr(type(implementation), name, None)
        if actual is None:
            found.append(f"{type(implementation).__name__}.{name} is missing")
        elif _parameters(actual) != _parameters(declared):
            found.append(
                f"{type(implementation).__name__}.{name}{inspect.signature(actual)} is not {name}{inspect.signature(declared)}"
            )
    return found


def test_every_protocol_names_methods() -> None:
    """The check below would pass vacuously on an empty protocol."""
    for _attribute, protocol in [*COMPONENTS, ("", contracts.UserMailbox), ("", contracts.MessageReading)]:
        assert _methods(protocol), protocol


@pytest.mark.parametrize(("attribute", "protocol"), COMPONENTS, ids=[a for a, _ in COMPONENTS])
def test_store_components_follow_the_contract(demo: Demo, attribute: str, protocol: type) -> None:
    assert _differences(getattr(demo.store, attribute), protocol) == []


def test_the_user_facade_and_its_reader_follow_the_contract(demo: Demo) -> None:
    user = demo.store.for_user(demo.alice.id)
    assert _differences(user, contracts.UserMailbox) == []
    assert user.account_id == demo.alice.id
    reader = user.reader(demo.folder("alice@example.test").id)
    assert _differences(reader, contracts.MessageReading) == []


def test_a_drifted_implementation_is_reported() -> None:
    class Drifted:
        def may_send_as(self, account: int, address: str) -> bool:
            return False

    assert _differences(Drifted(), contracts.SenderRights) == [
        "Drifted.may_send_as(self, account: 'int', address: 'str') -> 'bool' is not "
        "may_send_as(self, account_id: 'int', address: 'str') -> 'bool'",
        "Drifted.foreign_header_from is missing",
        "Drifted.addresses_for is missing",
        "Drifted.on_behalf_of is missing",
    ]
