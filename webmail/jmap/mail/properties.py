"""Argument and answer shapes the standard methods share (RFC 8620 5.1-5.3), for Identity,
EmailSubmission and VacationResponse: the ``ids`` and ``properties`` of a /get, ``ifInState``, SetError
objects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from webmail.jmap.registry import Args, MethodError


def wanted_ids(args: Args, created_ids: dict[str, str]) -> list[str] | None:
    """A /get's ``ids`` (None: all), a ``#creationId`` replaced by the id it was created as.

    Raises:
        MethodError: invalidArguments when ``ids`` is not null or a list of strings.
    """
    ids = args.get("ids")
    if ids is None:
        return None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise MethodError("invalidArguments", "ids must be null or a list of ids", arguments=["ids"])
    return [created_ids.get(i[1:], i) if i.startswith("#") else i for i in ids if isinstance(i, str)]


def pick(obj: Args, properties: Any, known: Sequence[str]) -> Args:
    """The object with only the asked ``properties`` (and always its id); all of them when null.

    Raises:
        MethodError: invalidArguments for a property this type does not have.
    """
    if properties is None:
        return obj
    if not isinstance(properties, list) or not all(isinstance(p, str) for p in properties):
        raise MethodError("invalidArguments", "properties must be null or a list", arguments=["properties"])
    unknown = [p for p in properties if p not in known]
    if unknown:
        raise MethodError(
            "invalidArguments", f"unknown properties: {', '.join(unknown)}", arguments=["properties"]
        )
    return {p: obj[p] for p in ("id", *properties) if p in obj}


def check_state(args: Args, state: str) -> None:
    """RFC 8620 5.3 ``ifInState``: refuse the whole /set when it is given and not the current state."""
    wanted = args.get("ifInState")
    if wanted is not None and wanted != state:
        raise MethodError("stateMismatch", "the state is no longer the one given in ifInState")


def set_error(type_: str, description: str | None = None, **extra: Any) -> Args:
    """A SetError object (RFC 8620 5.3)."""
    body: Args = {"type": type_, **extra}
    if description:
        body["description"] = description
    return body
