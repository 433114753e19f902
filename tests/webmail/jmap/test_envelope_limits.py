"""The envelope's limits against hostile requests found in review: result references that multiply a
response, and array indexes in a reference's path that are not ASCII digits."""

from __future__ import annotations

from typing import Any

from tests.webmail.jmap.conftest import Jmap


def reference(call_id: str, path: str = "") -> dict[str, str]:
    return {"resultOf": call_id, "name": "Core/echo", "path": path}


def test_an_index_of_non_ascii_digits_is_an_invalid_reference(jmap: Jmap) -> None:
    calls: list[list[Any]] = [["Core/echo", {"l": ["a", "b"]}, "c0"]]
    for n, index in enumerate(["\u00b2", "\u0661", "1"]):  # superscript two, Arabic-Indic one, one
        calls.append(["Core/echo", {"#v": reference("c0", f"/l/{index}")}, f"r{n}"])
    responses = jmap.call(calls)["methodResponses"]
    assert [r[0] for r in responses[1:3]] == ["error", "error"]
    assert {r[1]["type"] for r in responses[1:3]} == {"invalidResultReference"}
    assert responses[3] == ["Core/echo", {"v": "b"}, "r2"]
