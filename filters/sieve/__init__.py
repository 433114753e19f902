"""The Sieve engine (RFC 5228 and extensions): compile a script, evaluate it on a message, get actions.

Public API::

    script = compile_script(text)                 # SieveError(kind, line, column, message) if wrong
    outcome = evaluate(script, MessageView(...))  # never raises; runtime errors land in outcome.errors

The engine decides; the caller (processing, WebMail's "test this filter") applies ``outcome.actions``
(``filters.actions`` types, or their subclasses in ``filters.sieve.actions``) and the implicit keep.
Vacation replies are deduplicated by the caller per (recipient, ``Vacation.to``, ``Vacation.handle``)
over ``Vacation.days`` days.

Limits (beyond them: a ``validation`` error, never a hang): script size ``MAX_SCRIPT_BYTES``, nesting
``parser.MAX_NESTING``, ``parser.MAX_NODES`` commands and tests, ``parser.MAX_LIST`` strings per list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from filters import SieveError
from filters.sieve.actions import Ereject, FileInto, Keep, Redirect, Vacation
from filters.sieve.ast import Call
from filters.sieve.commands import EXTENSIONS
from filters.sieve.interpreter import MessageView, Outcome, evaluate
from filters.sieve.parser import parse
from filters.sieve.validator import validate

__all__ = [
    "EXTENSIONS",
    "MAX_SCRIPT_BYTES",
    "Ereject",
    "FileInto",
    "Keep",
    "MessageView",
    "Outcome",
    "Redirect",
    "Script",
    "SieveError",
    "Vacation",
    "compile_script",
    "evaluate",
]

MAX_SCRIPT_BYTES: Final = 1 << 20


@dataclass(frozen=True)
class Script:
    """A compiled script: validated commands and the extensions it required."""

    commands: tuple[Call, ...]
    extensions: frozenset[str]


def compile_script(text: str, *, extensions: frozenset[str] | None = None) -> Script:
    """Lex, parse and validate ``text``.

    Args:
        text: the script.
        extensions: the extensions this caller allows (default: all of ``EXTENSIONS``).

    Raises:
        SieveError: kind ``syntax``, ``parse``, ``semantic`` or ``validation``, with line and column.
    """
    if len(text) > MAX_SCRIPT_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_SCRIPT_BYTES:
        raise SieveError("validation", 1, 1, f"script larger than {MAX_SCRIPT_BYTES} bytes")
    commands, required = validate(parse(text), extensions)
    return Script(commands, required)
