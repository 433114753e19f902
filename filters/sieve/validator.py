"""Checks a parsed script against the registry and resolves it into ``ast.Call`` trees.

Implementation notes:

* ``require`` may appear only before every other command, at the top level (RFC 5228 3.2); each
  extension it names must be one this engine offers (and the caller allows).
* Using a command, test or tag of an extension that was not required is a ``validation`` error, as are
  wrong argument types or counts, duplicate or conflicting tags, an unknown comparator or relation, and
  a comparator other than ``i;octet``/``i;ascii-casemap`` without its ``comparator-*`` require.
* Unknown commands or tests and ``elsif``/``else`` that do not follow an ``if`` are ``semantic`` errors.
* Tagged arguments come before positional ones (RFC 5228 2.6.2).
"""

from __future__ import annotations

import re
from typing import Any

from filters import SieveError
from filters.sieve import ast
from filters.sieve.commands import (
    BUILTIN_COMPARATORS,
    COMMANDS,
    COMPARATORS,
    DATE_PARTS,
    EXTENSIONS,
    IMPLIES,
    NUMBER,
    RELATIONS,
    STRING,
    STRING_LIST,
    TESTS,
    Spec,
)

_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_TYPE_NAMES = {STRING: "a string", STRING_LIST: "a string list", NUMBER: "a number"}


def validate(
    commands: tuple[ast.Command, ...], allowed: frozenset[str] | None = None
) -> tuple[tuple[ast.Call, ...], frozenset[str]]:
    """Validate and resolve; returns (calls, the extensions required).

    Raises:
        SieveError: ``semantic`` or ``validation``.
    """
    offered = EXTENSIONS if allowed is None else EXTENSIONS & allowed
    checker = _Validator(offered)
    calls = checker.block(commands, top=True)
    return calls, frozenset(checker.required)


def _error(kind: str, node: ast.Command | ast.Test | ast.Argument, message: str) -> SieveError:
    return SieveError(kind, node.line, node.column, message)


class _Validator:
    def __init__(self, offered: frozenset[str]) -> None:
        self.offered = offered
        self.required: set[str] = set()

    def block(self, commands: tuple[ast.Command, ...], *, top: bool = False) -> tuple[ast.Call, ...]:
        calls: list[ast.Call] = []
        previous: str | None = None
        requires_allowed = top
        for command in commands:
            name = command.name
            if name == "require":
                if not requires_allowed:
                    raise _error("semantic", command, "require must come before any other command")
            else:
                requires_allowed = False
            if name in ("elsif", "else") and previous not in ("if", "elsif"):
                raise _error("semantic", command, f"{name} without a preceding if")
            spec = COMMANDS.get(name)
            if spec is None:
                what = "a test, not a command" if name in TESTS else "unknown command"
                raise _error("semantic", command, f"{name}: {what}")
            call = self.resolve(command, spec, "command")
            if name == "require":
                self.require(command)
            calls.append(call)
            previous = name
        return tuple(calls)

    def require(self, command: ast.Command) -> None:
        argument = command.arguments[0]
        assert isinstance(argument, ast.StringList)
        for extension in argument.values:
            if extension not in self.offered:
                raise _error("validation", argument, f"unsupported extension {extension!r}")
            self.required.add(extension)
            self.required.update(IMPLIES.get(extension, ()))

    def test(self, node: ast.Test) -> ast.Call:
        spec = TESTS.get(node.name)
        if spec is None:
            what = "a command, not a test" if node.name in COMMANDS else "unknown test"
            raise _error("semantic", node, f"{node.name}: {what}")
        return self.resolve(node, spec, "test")

    def resolve(self, node: ast.Command | ast.Test, spec: Spec, what: str) -> ast.Call:
        name = node.name
        if spec.extensions and not spec.extensions & self.required:
            needed = " or ".join(f'"{e}"' for e in sorted(spec.extensions))
            raise _error("validation", node, f"{what} {name} needs require {needed}")
        tags: dict[str, Any] = {}
        groups: dict[str, str] = {}
        positional: list[ast.Argument] = []
        arguments = node.arguments
        i = 0
        while i < len(arguments):
            argument = arguments[i]
            i += 1
            if not isinstance(argument, ast.Tag):
                positional.append(argument)
                continue
            tag = spec.tags.get(argument.name)
            if tag is None:
                raise _error("validation", argument, f"{name} takes no :{argument.name}")
            if positional:
                raise _error(
                    "validation", argument, f":{argument.name} must come before {name}'s other arguments"
                )
            if tag.extension and tag.extension not in self.required:
                raise _error("validation", argument, f':{argument.name} needs require "{tag.extension}"')
            if argument.name in tags:
                raise _error("validation", argument, f":{argument.name} given twice")
            if tag.group:
                if tag.group in groups:
                    raise _error(
                        "validation", argument, f":{argument.name} conflicts with :{groups[tag.group]}"
                    )
                groups[tag.group] = argument.name
            if tag.takes is None:
                tags[argument.name] = True
                continue
            if i >= len(arguments):
                raise _error("validation", argument, f":{argument.name} needs {_TYPE_NAMES[tag.takes]}")
            tags[argument.name] = self.value(arguments[i], tag.takes, f":{argument.name}")
            i += 1
        for group in spec.required_groups - groups.keys():
            raise _error("validation", node, f"{name} needs one of its :{group} tags")
        total = len(spec.positional)
        if len(positional) not in (total, total - spec.optional_leading):
            expected = (
                str(total) if not spec.optional_leading else f"{total - spec.optional_leading} or {total}"
            )
            raise _error(
                "validation", node, f"{name} takes {expected} positional arguments, not {len(positional)}"
            )
        types = spec.positional[total - len(positional) :]
        values = tuple(self.value(arg, kind, name) for arg, kind in zip(positional, types, strict=True))
        if spec.optional_leading and len(positional) < total:
            values = (None,) * (total - len(positional)) + values
        self.check_values(node, name, tags, values)
        tests: tuple[ast.Call, ...] = tuple(self.test(t) for t in node.tests)
        if spec.tests == "none" and tests:
            raise _error("validation", node.tests[0], f"{name} takes no test")
        if spec.tests == "one" and (len(tests) != 1 or node.test_list):
            raise _error("validation", node, f"{name} needs exactly one test")
        if spec.tests == "list" and (not tests or not node.test_list):
            raise _error("validation", node, f"{name} needs a list of tests")
        block: tuple[ast.Call, ...] | None = None
        if isinstance(node, ast.Command):
            if spec.block and node.block is None:
                raise _error("validation", node, f"{name} needs a block")
            if not spec.block and node.block is not None:
                raise _error("validation", node, f"{name} takes no block")
            if node.block is not None:
                block = self.block(node.block)
        return ast.Call(name, tags, values, tests, block, node.line, node.column)

    def value(self, argument: ast.Argument, kind: str, owner: str) -> Any:
        if kind == NUMBER:
            if isinstance(argument, ast.Number):
                return argument.value
        elif isinstance(argument, ast.StringList):
            if kind == STRING_LIST:
                return argument.values
            if not argument.is_list:
                return argument.values[0]
        raise _error("validation", argument, f"{owner} needs {_TYPE_NAMES[kind]} here")

    def check_values(
        self, node: ast.Command | ast.Test, name: str, tags: dict[str, Any], values: tuple[Any, ...]
    ) -> None:
        comparator = tags.get("comparator")
        if comparator is not None:
            if comparator not in COMPARATORS:
                raise _error("validation", node, f"unknown comparator {comparator!r}")
            if comparator not in BUILTIN_COMPARATORS and f"comparator-{comparator}" not in self.required:
                raise _error(
                    "validation", node, f'comparator {comparator!r} needs require "comparator-{comparator}"'
                )
        for relational in ("value", "count"):
            relation = tags.get(relational)
            if relation is not None and relation.lower() not in RELATIONS:
                raise _error("validation", node, f"unknown relation {relation!r}")
        if name == "set" and not _VARIABLE_NAME.match(values[0]):
            raise _error("validation", node, f"invalid variable name {values[0]!r}")
        if name in ("date", "currentdate"):
            part = values[-2]
            if "${" not in part and part.lower() not in DATE_PARTS:
                raise _error("validation", node, f"unknown date part {part!r}")
        if name in ("setflag", "addflag", "removeflag", "hasflag") and values[0] is not None:
            names = [values[0]] if isinstance(values[0], str) else list(values[0])
            for variable in names:
                if not _VARIABLE_NAME.match(variable):
                    raise _error("validation", node, f"invalid variable name {variable!r}")
