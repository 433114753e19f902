"""The ``fieldpost`` commands that administer domains, accounts, groups, settings and the queue act
through the admin facade (``store.for_admin``, storage.adminview), whose every call checks the
administrator's scope in storage, never through the unchecked system components. WebAdmin and the CLI
service (issue 12) share that one checked layer; a command calling ``store.accounts.delete`` directly
would be a way around it."""

from __future__ import annotations

import ast

import pytest

from tests.fieldpost.conftest import REPO

#: the command modules that administer the directory, settings and queue
ADMIN_COMMANDS = ("directory", "settings", "queue", "dkim", "admins")
#: the system components an administrator reaches only through ``store.for_admin``
ADMINISTERED = frozenset({"domains", "accounts", "groups", "forwarders", "settings", "queue", "admins"})


def system_component_calls(source: str) -> list[str]:
    """Lines and names of every ``store.<administered component>.<name>`` in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)):
            continue
        holder = node.value.value
        holder_name = holder.attr if isinstance(holder, ast.Attribute) else getattr(holder, "id", "")
        if holder_name == "store" and node.value.attr in ADMINISTERED:
            found.append(f"{node.lineno} {node.value.attr}.{node.attr}")
    return found


def test_the_guard_finds_system_calls() -> None:
    source = "def f(store, admin):\n    store.accounts.delete('a@b')\n    return admin.list_domains()\n"
    assert system_component_calls(source) == ["2 accounts.delete"]


@pytest.mark.parametrize("module", ADMIN_COMMANDS)
def test_admin_commands_act_through_the_admin_facade(module: str) -> None:
    source = (REPO / "fieldpost" / "commands" / f"{module}.py").read_text()
    assert system_component_calls(source) == [], "administer through opened_admin (store.for_admin)"
    assert "opened_admin(" in source and "opened_store(" not in source
