"""The Sieve syntax tree (RFC 5228 8.2), as the parser builds it and the validator checks it.

A node keeps the raw argument list (tags, numbers, string lists in source order); the validator
resolves it against the command registry into a ``Call`` with named tags and positional values, which
is what the interpreter runs. Every node carries the 1-based line and column of its first token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Tag:
    name: str  # lower case, without the colon
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Number:
    value: int
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class StringList:
    values: tuple[str, ...]
    is_list: bool  # written with brackets (a one-element list is still a list)
    line: int
    column: int


Argument = Tag | Number | StringList


@dataclass(frozen=True, slots=True)
class Test:
    name: str
    arguments: tuple[Argument, ...]
    tests: tuple[Test, ...]
    line: int
    column: int
    test_list: bool = False  # the tests were written as a parenthesised list


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    arguments: tuple[Argument, ...]
    tests: tuple[Test, ...]
    block: tuple[Command, ...] | None  # None: the command ended with ";"
    line: int
    column: int
    test_list: bool = False  # the tests were written as a parenthesised list


@dataclass(frozen=True, slots=True)
class Call:
    """A validated command or test: tags by name (value or ``True``), positional values in order."""

    name: str
    tags: dict[str, Any]
    positional: tuple[Any, ...]
    tests: tuple[Call, ...]
    block: tuple[Call, ...] | None
    line: int
    column: int
    extra: dict[str, Any] = field(default_factory=dict)  # validator's notes (e.g. parsed :days)
