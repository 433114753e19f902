"""The JMAP request envelope (RFC 8620 3.3-3.7): parse and check a Request, run its method calls in
order, and build the Response.

Implementation notes:

* The body must be I-JSON (RFC 7493): UTF-8, no duplicate member names, no NaN or Infinity; else the
  request-level ``notJSON``. A body that is JSON but not a Request object is ``notRequest``; a
  capability in ``using`` that this server does not have is ``unknownCapability``; more calls than
  ``maxCallsInRequest`` is ``limit``; arrays and objects nested deeper than ``limits.MAX_DEPTH_REQUEST``
  are ``notRequest``. These refuse the whole request (webmail/jmap/problems.py).
* Each call is looked up in ``registry.METHODS``; a name not there, or one whose capability the request
  is not ``using``, answers ``unknownMethod`` (RFC 8620 3.6.2) and the next call still runs.
* Arguments whose name starts with ``#`` are result references (3.7), resolved before the handler runs
  against the responses so far (webmail/jmap/pointer.py for the path); ``foo`` and ``#foo`` together are
  ``invalidArguments``, an unresolvable reference ``invalidResultReference``.
* What references bring into one request is bounded: their values together may be at most
  ``maxSizeRequest`` bytes of JSON (:class:`ReferenceBudget`); a reference past that is
  ``invalidResultReference``. Without it, Core/echo taking the previous answer twice doubles the response
  with every call (2**64 copies in 64 calls: the process hangs and runs out of memory).
* One ``created_ids`` dict is shared by every call of the request (seeded from the request's
  ``createdIds``); the response carries ``createdIds`` only when the request did (3.3).
* A handler's own responses come first, then what it put in ``Call.implicit`` (same call id).
* A handler that raises anything but MethodError is a bug: it is logged with its traceback and the call
  answers ``serverFail``; the other calls and the request go on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from webmail.jmap import limits, pointer, problems, registry
from webmail.jmap.problems import Problem
from webmail.jmap.registry import Args, Call, MethodError

log = logging.getLogger("fieldpost.jmap")

#: Response = [name, arguments, call id]
Invocation = list[Any]


def known_capabilities() -> frozenset[str]:
    return frozenset(
        {
            registry.CORE,
            registry.MAIL,
            registry.SUBMISSION,
            registry.VACATION,
            *registry.ACCOUNT_CAPABILITIES,
            *registry.SERVER_CAPABILITIES,
        }
    )


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate member name {key!r}")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not I-JSON")


def parse(body: bytes) -> Any:
    """The JSON of a request body, or the notJSON problem."""
    try:
        return json.loads(body.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Problem(problems.NOT_JSON, 400, f"the request body is not I-JSON: {exc}") from None


def check_depth(value: Any, most: int = limits.MAX_DEPTH_REQUEST) -> None:
    """notRequest when arrays and objects nest deeper than ``most`` levels (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        elif not isinstance(item, list):
            continue
        if depth > most:
            raise Problem(problems.NOT_REQUEST, 400, f"the request nests deeper than {most} levels")
        stack.extend((inner, depth + 1) for inner in item if isinstance(inner, (dict, list)))


def check_request(value: Any) -> tuple[frozenset[str], list[Invocation], dict[str, str] | None]:
    """(using, methodCalls, createdIds or None) of a Request object, or the problem it has."""
    if not isinstance(value, dict):
        raise Problem(problems.NOT_REQUEST, 400, "the request is not a JSON object")
    check_depth(value)
    using = value.get("using")
    calls = value.get("methodCalls")
    created = value.get("createdIds")
    if not isinstance(using, list) or not all(isinstance(u, str) for u in using):
        raise Problem(problems.NOT_REQUEST, 400, "'using' must be an array of capability strings")
    if not isinstance(calls, list):
        raise Problem(problems.NOT_REQUEST, 400, "'methodCalls' must be an array")
    for call in calls:
        if (
            not isinstance(call, list)
            or len(call) != 3
            or not isinstance(call[0], str)
            or not isinstance(call[1], dict)
            or not isinstance(call[2], str)
        ):
            raise Problem(problems.NOT_REQUEST, 400, "each method call is [name, arguments object, call id]")
    if created is not None and (
        not isinstance(created, dict)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in created.items())
    ):
        raise Problem(problems.NOT_REQUEST, 400, "'createdIds' must map creation ids to ids")
    unknown = sorted(set(using) - known_capabilities())
    if unknown:
        raise Problem(problems.UNKNOWN_CAPABILITY, 400, f"this server does not support {', '.join(unknown)}")
    if len(calls) > limits.MAX_CALLS_IN_REQUEST:
        raise problems.limit(
            "maxCallsInRequest", f"at most {limits.MAX_CALLS_IN_REQUEST} method calls in one request"
        )
    return frozenset(using), calls, created


class ReferenceBudget:
    """Bytes of JSON that result references may still bring into this request."""

    def __init__(self, most: int = limits.MAX_SIZE_REQUEST) -> None:
        self.left = most

    def spend(self, value: Any) -> None:
        """Count ``value``'s JSON size (roughly: strings, numbers and punctuation), stopping as soon as
        the budget is gone, so a value that shares one object many times costs no more than the budget."""
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                self.left -= len(item) + 3
            elif isinstance(item, dict):
                self.left -= 2
                for key, inner in item.items():
                    self.left -= len(key) + 4
                    stack.append(inner)
            elif isinstance(item, list):
                self.left -= 2
                stack.extend(item)
            else:
                self.left -= 8
            if self.left < 0:
                raise MethodError(
                    "invalidResultReference",
                    f"result references in one request may bring in at most {limits.MAX_SIZE_REQUEST} "
                    "bytes (maxSizeRequest)",
                )


def resolve_references(
    args: Args, responses: list[Invocation], budget: ReferenceBudget | None = None
) -> Args:
    """``args`` with every ``#name`` result reference replaced by ``name`` and its value (RFC 8620 3.7)."""
    budget = budget if budget is not None else ReferenceBudget()
    out: Args = {}
    for key, value in args.items():
        if not key.startswith("#"):
            out[key] = value
            continue
        plain = key[1:]
        if plain in args:
            raise MethodError("invalidArguments", f"both {plain!r} and {key!r} given")
        if (
            not isinstance(value, dict)
            or not isinstance(value.get("resultOf"), str)
            or not isinstance(value.get("name"), str)
            or not isinstance(value.get("path"), str)
        ):
            raise MethodError("invalidResultReference", f"{key!r} is not a ResultReference")
        found = next((r for r in responses if r[2] == value["resultOf"]), None)
        if found is None or found[0] != value["name"]:
            raise MethodError(
                "invalidResultReference",
                f"no {value['name']} response with call id {value['resultOf']!r} before this call",
            )
        try:
            out[plain] = pointer.evaluate(found[1], value["path"])
        except pointer.PointerError as exc:
            raise MethodError("invalidResultReference", f"{key!r}: {exc}") from None
        budget.spend(out[plain])
    return out


def run_call(
    name: str,
    args: Args,
    call_id: str,
    call: Call,
    responses: list[Invocation],
    budget: ReferenceBudget | None = None,
) -> list[Invocation]:
    """The responses of one method call: its own (or an error), then its implicit ones."""
    method = registry.METHODS.get(name)
    if method is None or method.capability not in call.using:
        return [["error", MethodError("unknownMethod", f"unknown method {name}").as_args(), call_id]]
    try:
        resolved = resolve_references(args, responses, budget)
        unknown = sorted(set(resolved) - method.arguments) if method.arguments is not None else []
        if unknown:
            raise MethodError(
                "invalidArguments", f"unknown arguments: {', '.join(unknown)}", arguments=unknown
            )
        result = method.handler(call, resolved)
        if not isinstance(result, dict):
            raise TypeError(f"{name} returned {type(result).__name__}, not a JSON object")
    except MethodError as exc:
        return [["error", exc.as_args(), call_id]]
    except Exception:
        log.exception("JMAP method %s failed", name)
        return [["error", {"type": "serverFail", "description": "the server failed on this call"}, call_id]]
    return [[name, result, call_id], *([n, a, call_id] for n, a in call.implicit)]


def process(
    body: bytes,
    make_call: Callable[[frozenset[str], dict[str, str]], Call],
    session_state: str,
) -> Args:
    """The Response object of one API request body; raises Problem for a request-level error."""
    using, calls, created = check_request(parse(body))
    created_ids: dict[str, str] = dict(created or {})
    responses: list[Invocation] = []
    budget = ReferenceBudget()
    for name, args, call_id in calls:
        responses.extend(run_call(name, args, call_id, make_call(using, created_ids), responses, budget))
    answer: Args = {"methodResponses": responses, "sessionState": session_state}
    if created is not None:
        answer["createdIds"] = created_ids
    return answer
