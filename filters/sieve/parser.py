"""Sieve grammar (RFC 5228 8.2): tokens -> a tuple of ``ast.Command``. Pure; no registry knowledge.

Implementation notes:

* Recursive descent, but the depth is bounded: more than ``MAX_NESTING`` nested blocks or test lists is
  a ``validation`` error raised before Python's recursion limit can be reached.
* ``MAX_NODES`` commands plus tests and ``MAX_LIST`` strings per list bound the work per script; beyond
  them the script is refused with a ``validation`` error.
* Grammar mistakes are ``parse`` errors at the unexpected token.
"""

from __future__ import annotations

from typing import Final

from filters import SieveError
from filters.sieve import ast
from filters.sieve.lexer import EOF, IDENT, NUMBER, PUNCT, STRING, TAG, Token, tokenize

MAX_NESTING: Final = 32
MAX_NODES: Final = 10_000
MAX_LIST: Final = 1024


def parse(text: str) -> tuple[ast.Command, ...]:
    """Parse a whole script.

    Raises:
        SieveError: ``syntax`` (lexer), ``parse`` (grammar) or ``validation`` (limits).
    """
    return _Parser(tokenize(text)).script()


def _describe(token: Token) -> str:
    if token.kind == EOF:
        return "end of script"
    if token.kind == STRING:
        return "a string"
    if token.kind == TAG:
        return f"tag :{token.value}"
    return repr(str(token.value))


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.nodes = 0

    # -- token helpers

    def peek(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        token = self.tokens[self.i]
        if token.kind != EOF:
            self.i += 1
        return token

    def is_punct(self, char: str) -> bool:
        token = self.tokens[self.i]
        return token.kind == PUNCT and token.value == char

    def expect_punct(self, char: str, what: str) -> Token:
        token = self.peek()
        if not self.is_punct(char):
            raise SieveError("parse", token.line, token.column, f"expected {what}, found {_describe(token)}")
        return self.next()

    def count(self, token: Token) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise SieveError(
                "validation", token.line, token.column, f"more than {MAX_NODES} commands and tests"
            )

    # -- grammar

    def script(self) -> tuple[ast.Command, ...]:
        commands = self.commands(0)
        token = self.peek()
        if token.kind != EOF:
            raise SieveError("parse", token.line, token.column, f"unexpected {_describe(token)}")
        return commands

    def commands(self, depth: int) -> tuple[ast.Command, ...]:
        result: list[ast.Command] = []
        while self.peek().kind == IDENT:
            result.append(self.command(depth))
        return tuple(result)

    def command(self, depth: int) -> ast.Command:
        name = self.next()
        self.count(name)
        arguments, tests, is_list = self.arguments(depth)
        token = self.peek()
        block: tuple[ast.Command, ...] | None = None
        if self.is_punct(";"):
            self.next()
        elif self.is_punct("{"):
            if depth + 1 > MAX_NESTING:
                raise SieveError(
                    "validation", token.line, token.column, f"blocks nested deeper than {MAX_NESTING}"
                )
            self.next()
            block = self.commands(depth + 1)
            self.expect_punct("}", "'}' or a command")
        else:
            raise SieveError(
                "parse",
                token.line,
                token.column,
                f"expected ';' or '{{' after {name.value}, found {_describe(token)}",
            )
        return ast.Command(str(name.value), arguments, tests, block, name.line, name.column, is_list)

    def arguments(self, depth: int) -> tuple[tuple[ast.Argument, ...], tuple[ast.Test, ...], bool]:
        args: list[ast.Argument] = []
        while True:
            token = self.peek()
            if token.kind == TAG:
                self.next()
                args.append(ast.Tag(str(token.value), token.line, token.column))
            elif token.kind == NUMBER:
                self.next()
                assert isinstance(token.value, int)
                args.append(ast.Number(token.value, token.line, token.column))
            elif token.kind == STRING:
                self.next()
                args.append(ast.StringList((str(token.value),), False, token.line, token.column))
            elif self.is_punct("["):
                args.append(self.string_list())
            else:
                break
        token = self.peek()
        if token.kind == IDENT:
            return tuple(args), (self.test(depth),), False
        if self.is_punct("("):
            return tuple(args), self.test_list(depth), True
        return tuple(args), (), False

    def string_list(self) -> ast.StringList:
        start = self.next()
        values: list[str] = []
        while True:
            token = self.next()
            if token.kind != STRING:
                raise SieveError(
                    "parse", token.line, token.column, f"expected a string, found {_describe(token)}"
                )
            values.append(str(token.value))
            if len(values) > MAX_LIST:
                raise SieveError(
                    "validation", start.line, start.column, f"string list longer than {MAX_LIST} items"
                )
            if self.is_punct(","):
                self.next()
                continue
            self.expect_punct("]", "',' or ']'")
            return ast.StringList(tuple(values), True, start.line, start.column)

    def test_list(self, depth: int) -> tuple[ast.Test, ...]:
        self.next()
        tests = [self.test(depth)]
        while self.is_punct(","):
            self.next()
            tests.append(self.test(depth))
        self.expect_punct(")", "',' or ')'")
        return tuple(tests)

    def test(self, depth: int) -> ast.Test:
        name = self.next()
        if name.kind != IDENT:
            raise SieveError("parse", name.line, name.column, f"expected a test, found {_describe(name)}")
        if depth + 1 > MAX_NESTING:
            raise SieveError("validation", name.line, name.column, f"tests nested deeper than {MAX_NESTING}")
        self.count(name)
        arguments, tests, is_list = self.arguments(depth + 1)
        return ast.Test(str(name.value), arguments, tests, name.line, name.column, is_list)
