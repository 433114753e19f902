"""The /set shapes Identity, EmailSubmission and VacationResponse share (RFC 8620 5.3): the ``ifInState``
check and SetError objects of any type (``common.set_error`` maps storage's exceptions; these methods
also answer the RFC 8621 types: forbiddenFrom, tooManyRecipients, singleton...)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from webmail.jmap.mail.common import wanted_properties
from webmail.jmap.registry import Args, MethodError


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


def shown(args: Args, known: Iterable[str]) -> list[str]:
    """The properties a /get asks for (all of ``known`` when null; ``id`` always).

    Raises:
        MethodError: invalidArguments for a property the type does not have.
    """
    return wanted_properties(args, known, known)


def pick(obj: Args, properties: list[str]) -> Args:
    return {p: obj[p] for p in properties}
