"""The API endpoint's envelope (RFC 8620 3): request checks, errors, dispatch, result references."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.webmail.jmap.conftest import CORE, MAIL, Jmap
from webmail.jmap import registry
from webmail.jmap.registry import Args, Call, MethodError


def problem(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.mimetype == "application/problem+json"
    body: dict[str, Any] = json.loads(answer.get_data())
    return body


def test_echo_answers_its_arguments_and_the_session_state(jmap: Jmap) -> None:
    session = jmap.get("/jmap/session").get_json()
    answer = jmap.call([["Core/echo", {"hello": True, "high": 5}, "b3ff"]])
    assert answer == {
        "methodResponses": [["Core/echo", {"hello": True, "high": 5}, "b3ff"]],
        "sessionState": session["state"],
    }


@pytest.mark.parametrize(
    ("body", "content_type", "urn"),
    [
        (b"{not json", "application/json", "notJSON"),
        (b'{"using": [], "using": [], "methodCalls": []}', "application/json", "notJSON"),
        (b'{"using": [], "methodCalls": [], "x": NaN}', "application/json", "notJSON"),
        (b"\xff\xfe", "application/json", "notJSON"),
        (b'{"using": [], "methodCalls": []}', "text/plain", "notJSON"),
        (b"[1, 2]", "application/json", "notRequest"),
        (b'{"using": "core", "methodCalls": []}', "application/json", "notRequest"),
        (b'{"using": [], "methodCalls": [["Core/echo", {}]]}', "application/json", "notRequest"),
        (b'{"using": [], "methodCalls": [["Core/echo", [], "c"]]}', "application/json", "notRequest"),
        (b'{"using": [], "methodCalls": [], "createdIds": []}', "application/json", "notRequest"),
        (b'{"using": ["urn:example:nope"], "methodCalls": []}', "application/json", "unknownCapability"),
    ],
)
def test_request_level_errors_are_problem_details(
    jmap: Jmap, body: bytes, content_type: str, urn: str
) -> None:
    found = problem(jmap.post(body, content_type=content_type))
    assert found["type"] == f"urn:ietf:params:jmap:error:{urn}"
    assert found["status"] == 400
    assert found["detail"]


def test_too_many_calls_is_the_limit_error_naming_the_limit(jmap: Jmap) -> None:
    session = jmap.get("/jmap/session").get_json()
    most = session["capabilities"][CORE]["maxCallsInRequest"]
    calls = [["Core/echo", {}, str(i)] for i in range(most + 1)]
    found = problem(jmap.post(json.dumps({"using": [CORE], "methodCalls": calls})))
    assert found["type"] == "urn:ietf:params:jmap:error:limit"
    assert found["limit"] == "maxCallsInRequest"
    assert len(jmap.call(calls[:most])["methodResponses"]) == most


def test_a_body_over_max_size_request_is_refused_before_it_is_run(jmap: Jmap) -> None:
    session = jmap.get("/jmap/session").get_json()
    most = session["capabilities"][CORE]["maxSizeRequest"]
    padding = "x" * most
    body = json.dumps({"using": [CORE], "methodCalls": [["Core/echo", {"p": padding}, "0"]]})
    found = problem(jmap.post(body))
    assert found["limit"] == "maxSizeRequest"


def test_unknown_method_and_missing_capability_are_method_errors_and_later_calls_run(jmap: Jmap) -> None:
    answer = jmap.call(
        [
            ["Nope/get", {}, "a"],
            ["Core/echo", {"n": 1}, "b"],
        ]
    )
    assert answer["methodResponses"] == [
        ["error", {"type": "unknownMethod", "description": "unknown method Nope/get"}, "a"],
        ["Core/echo", {"n": 1}, "b"],
    ]
    without_core = jmap.call([["Core/echo", {}, "c"]], using=(MAIL,))
    assert without_core["methodResponses"][0][0] == "error"
    assert without_core["methodResponses"][0][1]["type"] == "unknownMethod"


@pytest.fixture
def foo_methods() -> Iterator[list[tuple[str, Args]]]:
    """Test-only methods shaped like RFC 8620 3.7's examples; removed afterwards."""
    seen: list[tuple[str, Args]] = []

    def changes(call: Call, args: Args) -> Args:
        seen.append(("Foo/changes", args))
        return {
            "accountId": "A1",
            "oldState": "abcdef",
            "newState": "bcdefg",
            "hasMoreChanges": False,
            "created": ["f1", "f4"],
            "updated": [],
            "destroyed": [],
        }

    def get(call: Call, args: Args) -> Args:
        seen.append(("Foo/get", args))
        return {"list": [{"id": i, "threadId": f"T{i}"} for i in args.get("ids") or []], "notFound": []}

    def query(call: Call, args: Args) -> Args:
        return {"ids": ["m1", "m2"]}

    def threads(call: Call, args: Args) -> Args:
        return {"list": [{"id": "T1", "emailIds": ["e1", "e2"]}, {"id": "T2", "emailIds": ["e3"]}]}

    def fail(call: Call, args: Args) -> Args:
        raise KeyError("a bug")

    def implicit(call: Call, args: Args) -> Args:
        call.created_ids["k1"] = "made1"
        call.implicit.append(("Foo/get", {"list": [], "notFound": []}))
        return {"created": {"k1": {"id": "made1"}}}

    def refuse(call: Call, args: Args) -> Args:
        raise MethodError("invalidArguments", "no", arguments=["x"])

    table = {
        "Foo/changes": changes,
        "Foo/get": get,
        "Foo/query": query,
        "Thread/get-test": threads,
        "Foo/fail": fail,
        "Foo/set": implicit,
        "Foo/refuse": refuse,
    }
    for name, handler in table.items():
        registry.METHODS[name] = registry.Method(name, CORE, handler)
    try:
        yield seen
    finally:
        for name in table:
            del registry.METHODS[name]


def test_rfc_8620_3_7_result_reference_example(jmap: Jmap, foo_methods: list[tuple[str, Args]]) -> None:
    answer = jmap.call(
        [
            ["Foo/changes", {"accountId": "A1", "sinceState": "abcdef"}, "t0"],
            [
                "Foo/get",
                {"accountId": "A1", "#ids": {"resultOf": "t0", "name": "Foo/changes", "path": "/created"}},
                "t1",
            ],
        ]
    )
    assert foo_methods[1] == ("Foo/get", {"accountId": "A1", "ids": ["f1", "f4"]})
    assert [r[2] for r in answer["methodResponses"]] == ["t0", "t1"]
    assert answer["methodResponses"][1][1]["list"][0] == {"id": "f1", "threadId": "Tf1"}


def test_star_paths_flatten_arrays_as_rfc_8620_3_7_shows(
    jmap: Jmap, foo_methods: list[tuple[str, Args]]
) -> None:
    answer = jmap.call(
        [
            ["Foo/query", {}, "t0"],
            ["Foo/get", {"#ids": {"resultOf": "t0", "name": "Foo/query", "path": "/ids"}}, "t1"],
            ["Thread/get-test", {}, "t2"],
            [
                "Core/echo",
                {
                    "#threadIds": {"resultOf": "t1", "name": "Foo/get", "path": "/list/*/threadId"},
                    "#emailIds": {"resultOf": "t2", "name": "Thread/get-test", "path": "/list/*/emailIds"},
                },
                "t3",
            ],
        ]
    )
    echoed = answer["methodResponses"][3][1]
    assert echoed == {"threadIds": ["Tm1", "Tm2"], "emailIds": ["e1", "e2", "e3"]}


@pytest.mark.parametrize(
    "reference",
    [
        {"resultOf": "missing", "name": "Foo/changes", "path": "/created"},
        {"resultOf": "t0", "name": "Foo/get", "path": "/created"},
        {"resultOf": "t0", "name": "Foo/changes", "path": "/nothing/here"},
        {"resultOf": "t0", "name": "Foo/changes", "path": "created"},
        {"resultOf": "t0", "name": "Foo/changes"},
        "t0",
    ],
)
def test_a_bad_result_reference_is_invalid_result_reference(
    jmap: Jmap, foo_methods: list[tuple[str, Args]], reference: Any
) -> None:
    answer = jmap.call(
        [["Foo/changes", {}, "t0"], ["Foo/get", {"#ids": reference}, "t1"]],
    )
    assert answer["methodResponses"][1][0] == "error"
    assert answer["methodResponses"][1][1]["type"] == "invalidResultReference"
    assert answer["methodResponses"][1][2] == "t1"


def test_a_name_and_its_reference_together_are_invalid_arguments(
    jmap: Jmap, foo_methods: list[tuple[str, Args]]
) -> None:
    ref = {"resultOf": "t0", "name": "Foo/changes", "path": "/created"}
    answer = jmap.call([["Foo/changes", {}, "t0"], ["Foo/get", {"ids": [], "#ids": ref}, "t1"]])
    assert answer["methodResponses"][1][1]["type"] == "invalidArguments"


def test_a_failing_method_is_server_fail_and_the_request_goes_on(
    jmap: Jmap, foo_methods: list[tuple[str, Args]], caplog: pytest.LogCaptureFixture
) -> None:
    answer = jmap.call([["Foo/fail", {}, "a"], ["Foo/refuse", {}, "b"], ["Core/echo", {"ok": 1}, "c"]])
    assert answer["methodResponses"] == [
        ["error", {"type": "serverFail", "description": "the server failed on this call"}, "a"],
        ["error", {"type": "invalidArguments", "arguments": ["x"], "description": "no"}, "b"],
        ["Core/echo", {"ok": 1}, "c"],
    ]
    assert "Foo/fail" in caplog.text and "KeyError" in caplog.text


def test_implicit_responses_follow_and_created_ids_come_back_when_sent(
    jmap: Jmap, foo_methods: list[tuple[str, Args]]
) -> None:
    answer = jmap.call([["Foo/set", {}, "s"]], created_ids={"old": "x1"})
    assert answer["methodResponses"] == [
        ["Foo/set", {"created": {"k1": {"id": "made1"}}}, "s"],
        ["Foo/get", {"list": [], "notFound": []}, "s"],
    ]
    assert answer["createdIds"] == {"old": "x1", "k1": "made1"}
    assert "createdIds" not in jmap.call([["Foo/set", {}, "s"]])
