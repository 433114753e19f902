"""JSON Pointer (RFC 6901) with JMAP's ``*`` rule (RFC 8620 3.7), on plain data."""

from __future__ import annotations

from typing import Any

import pytest

from webmail.jmap.pointer import PointerError, evaluate

DOC: dict[str, Any] = {
    "list": [{"id": "1", "ids": ["a", "b"]}, {"id": "2", "ids": ["c"]}],
    "a/b": 1,
    "m~n": 2,
    "": 3,
}


@pytest.mark.parametrize(
    ("path", "found"),
    [
        ("", DOC),
        ("/list/0/id", "1"),
        ("/list/*/id", ["1", "2"]),
        ("/list/*/ids", ["a", "b", "c"]),
        ("/a~1b", 1),
        ("/m~0n", 2),
        ("/", 3),
    ],
)
def test_pointers_resolve(path: str, found: Any) -> None:
    assert evaluate(DOC, path) == found


@pytest.mark.parametrize(
    "path", ["list", "/nope", "/list/2", "/list/01", "/list/-", "/list/0/id/x", "/a~1b/*"]
)
def test_pointers_that_do_not_resolve_raise(path: str) -> None:
    with pytest.raises(PointerError):
        evaluate(DOC, path)
