"""The ``ifInState`` check of /set (RFC 8620 5.3) for Identity, EmailSubmission and VacationResponse,
whose states are computed by the type (the argument shapes are webmail/jmap/standard_methods.py's)."""

from __future__ import annotations

from webmail.jmap.registry import MethodError


def check_state(if_in_state: str | None, state: str) -> None:
    """Refuse the whole /set when ``ifInState`` is given and is not the current state."""
    if if_in_state is not None and if_in_state != state:
        raise MethodError("stateMismatch", "the state is no longer the one given in ifInState")
