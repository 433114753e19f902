"""JSON Pointer (RFC 6901) as JMAP result references use it (RFC 8620 3.7), pure and fuzzable.

The JMAP extension: a ``*`` token where the current value is an array applies the rest of the pointer
to every item, and the results are joined into one array -- an item result that is itself an array is
spliced in (so ``/list/*/mailboxIds`` style paths on arrays of arrays give one flat list). ``~1`` and
``~0`` unescape to ``/`` and ``~`` in that order. Anything that does not resolve raises
:class:`PointerError` (the envelope answers invalidResultReference).
"""

from __future__ import annotations

import re
from typing import Any

#: An array index (RFC 6901 4): ASCII digits without a leading zero. ``str.isdigit`` would also take
#: "²" (int() then fails) and "١" (int() reads it as 1).
_INDEX = re.compile(r"0|[1-9][0-9]*")


class PointerError(ValueError):
    pass


def tokens(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PointerError(f"a JSON pointer starts with '/': {pointer!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def evaluate(document: Any, pointer: str) -> Any:
    """The value at ``pointer`` in ``document``, with the ``*`` array extension."""
    if not isinstance(pointer, str):
        raise PointerError("the path must be a string")
    return _walk(document, tokens(pointer))


def _walk(value: Any, rest: list[str]) -> Any:
    for i, token in enumerate(rest):
        if isinstance(value, dict):
            if token not in value:
                raise PointerError(f"no property {token!r}")
            value = value[token]
        elif isinstance(value, list):
            if token == "*":
                out: list[Any] = []
                for item in value:
                    found = _walk(item, rest[i + 1 :])
                    if isinstance(found, list):
                        out.extend(found)
                    else:
                        out.append(found)
                return out
            if not _INDEX.fullmatch(token):
                raise PointerError(f"{token!r} is not an array index")
            index = int(token)
            if index >= len(value):
                raise PointerError(f"index {index} is past the array's end")
            value = value[index]
        else:
            raise PointerError(f"cannot descend into a {type(value).__name__} with {token!r}")
    return value
