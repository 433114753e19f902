"""WebAdmin pages act only through the signed-in administrator's view (``admin_view()``), never through
the Store itself, whose components check nothing (tests/fieldpost/test_admin_path.py holds the same rule
for the ``fieldpost`` commands)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PAGES = Path(__file__).resolve().parents[2] / "webadmin" / "pages"


def store_uses(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and node.id in ("current_store", "open_store"):
            found.append(f"{node.lineno} {node.id}")
        if isinstance(node, ast.Attribute) and node.attr in ("db", "for_user"):
            found.append(f"{node.lineno} .{node.attr}")
    return found


def test_the_guard_finds_store_use() -> None:
    assert store_uses("from x import current_store\ncurrent_store().domains.add('a')\n") == [
        "2 current_store"
    ]


@pytest.mark.parametrize("module", sorted(p.name for p in PAGES.glob("*.py")))
def test_pages_act_through_admin_view(module: str) -> None:
    assert store_uses((PAGES / module).read_text()) == [], "use webadmin.binding.admin_view()"
