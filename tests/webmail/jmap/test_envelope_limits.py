"""The envelope's limits against hostile requests found in review: result references that multiply a
response, and array indexes in a reference's path that are not ASCII digits."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.webmail.jmap.conftest import CORE, Jmap


def reference(call_id: str, path: str = "") -> dict[str, str]:
    return {"resultOf": call_id, "name": "Core/echo", "path": path}


def test_references_cannot_double_a_response_call_after_call(jmap: Jmap) -> None:
    """Each echo takes the previous answer twice: 2**40 copies unless the server bounds what references
    bring in. The request is answered quickly, with the calls past the bound refused."""
    calls: list[list[Any]] = [["Core/echo", {"x": "y" * 1000}, "c0"]]
    for i in range(1, 41):
        calls.append(["Core/echo", {"#a": reference(f"c{i - 1}"), "#b": reference(f"c{i - 1}")}, f"c{i}"])
    started = time.monotonic()
    answer = jmap.post(json.dumps({"using": [CORE], "methodCalls": calls}))
    assert time.monotonic() - started < 30
    assert answer.status_code == 200
    assert len(answer.get_data()) < 64 * 1024 * 1024
    responses = answer.get_json()["methodResponses"]
    assert len(responses) == 41
    assert responses[1] == ["Core/echo", {"a": {"x": "y" * 1000}, "b": {"x": "y" * 1000}}, "c1"]
    refused = [r for r in responses if r[0] == "error"]
    assert refused and refused[-1] == responses[-1]
    assert {r[1]["type"] for r in refused} == {"invalidResultReference"}
    assert "maxSizeRequest" in refused[0][1]["description"]


def test_an_index_of_non_ascii_digits_is_an_invalid_reference(jmap: Jmap) -> None:
    calls: list[list[Any]] = [["Core/echo", {"l": ["a", "b"]}, "c0"]]
    for n, index in enumerate(["\u00b2", "\u0661", "1"]):  # superscript two, Arabic-Indic one, one
        calls.append(["Core/echo", {"#v": reference("c0", f"/l/{index}")}, f"r{n}"])
    responses = jmap.call(calls)["methodResponses"]
    assert [r[0] for r in responses[1:3]] == ["error", "error"]
    assert {r[1]["type"] for r in responses[1:3]} == {"invalidResultReference"}
    assert responses[3] == ["Core/echo", {"v": "b"}, "r2"]


def test_a_request_nested_too_deep_is_not_request_and_a_deep_one_within_the_bound_is_answered(
    jmap: Jmap,
) -> None:
    """Python's JSON reads 900 levels but then failed to encode the answer (a 500): the bound says no first,
    and echo chains over the deepest request allowed still encode."""

    def request(depth: int) -> str:
        nested = "[" * depth + "]" * depth
        calls: list[list[Any]] = [
            ["Core/echo", {"#a": reference(f"c{i - 1}")}, f"c{i}"] for i in range(1, 64)
        ]
        rest = json.dumps(calls)[1:-1]
        return f'{{"using": ["{CORE}"], "methodCalls": [["Core/echo", {{"a": {nested}}}, "c0"], {rest}]}}'

    for depth in (61, 62, 900):
        answer = jmap.post(request(depth))
        assert answer.status_code == 400
        found = answer.get_json()
        assert found["type"] == "urn:ietf:params:jmap:error:notRequest"
        assert "64 levels" in found["detail"]
    answer = jmap.post(request(60))
    assert answer.status_code == 200
    assert len(answer.get_json()["methodResponses"]) == 64
