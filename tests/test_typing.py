"""The storage objects callers hold are typed, so mypy (strict over every package) checks each call.

Issue 10 asks for "no ``store: Any`` left": a parameter, attribute or variable named ``store`` (or
``*_store``) outside storage is annotated with ``storage.store.Store`` or a protocol of
``storage/contracts.py``, never ``Any``. Parsed with ``ast``, like tests/test_layers.py: nothing is imported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.test_layers import ROOT, discover, layer_of

#: names that hold a storage object wherever they appear
STORAGE_NAMES = ("store",)


def _holds_storage(name: str) -> bool:
    return any(name == n or name.endswith(f"_{n}") for n in STORAGE_NAMES)


def _untyped(annotation: ast.expr | None) -> bool:
    return annotation is not None and ast.unparse(annotation) in ("Any", "typing.Any", "'Any'", '"Any"')


def any_typed_storage(path: Path, root: Path) -> Iterator[str]:
    """``path:line: name`` for every storage name annotated ``Any`` in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and _holds_storage(node.arg) and _untyped(node.annotation):
            yield f"{path.relative_to(root)}:{node.lineno}: {node.arg}"
        elif isinstance(node, ast.AnnAssign) and _untyped(node.annotation):
            target = node.target
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            if _holds_storage(name):
                yield f"{path.relative_to(root)}:{node.lineno}: {name}"


def test_no_store_typed_any_outside_storage() -> None:
    found = [
        line
        for module, path in sorted(discover(ROOT).items())
        if layer_of(module) != "storage"
        for line in any_typed_storage(path, ROOT)
    ]
    assert not found, (
        "annotate these with storage.store.Store or a storage.contracts protocol:\n" + "\n".join(found)
    )


def test_the_checker_finds_parameters_and_attributes(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "from typing import Any\n"
        "def f(store: Any, other: Any, user_store: 'Any') -> None: ...\n"
        "class C:\n"
        "    store: Any\n"
        "    def __init__(self) -> None:\n"
        "        self.blob_store: Any = None\n"
        "        self.storehouse: Any = None\n"
        "def g(store: Store) -> None: ...\n"
    )
    assert sorted(any_typed_storage(module, tmp_path)) == [
        "m.py:2: store",
        "m.py:2: user_store",
        "m.py:4: store",
        "m.py:6: blob_store",
    ]
