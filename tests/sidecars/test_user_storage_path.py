"""Protocol sessions act for a user, so they reach mail only through ``store.for_user`` (storage.usermail),
whose every call asks the ACL engine. ``store.mail`` is the system path (delivery, Sieve, the CLI) and
checks nothing: a session calling it would skip the rights check by omission (issue 9 item 2)."""

from __future__ import annotations

import ast

import pytest

from tests.fieldpost.conftest import REPO

USER_SESSIONS = ("sidecars/imap", "sidecars/managesieve")


def system_mail_calls(source: str) -> list[str]:
    """Lines and names of every ``<x>.store.mail.<name>`` / ``store.mail.<name>`` in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)):
            continue
        holder = node.value.value
        holder_name = holder.attr if isinstance(holder, ast.Attribute) else getattr(holder, "id", "")
        if node.value.attr == "mail" and holder_name == "store":
            found.append(f"{node.lineno} {node.attr}")
    return found


def test_the_guard_finds_system_calls() -> None:
    source = "def f(s, store):\n    s.store.mail.raw(1, 2)\n    return store.mail.flags(1)\n"
    assert system_mail_calls(source) == ["2 raw", "3 flags"]
    assert system_mail_calls("def f(s):\n    return s.mine.reader(1).raw(2)\n") == []


@pytest.mark.parametrize("package", USER_SESSIONS)
def test_sessions_never_use_the_unchecked_system_mail_path(package: str) -> None:
    modules = sorted((REPO / package).glob("*.py"))
    assert modules, package
    calls = [f"{m.relative_to(REPO)}:{c}" for m in modules for c in system_mail_calls(m.read_text())]
    assert calls == [], "a user session must use s.mine (store.for_user), not store.mail"
