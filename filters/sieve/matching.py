"""Sieve comparators and match types: what "does this value match that key" means.

* Comparators (RFC 4790 9): ``i;octet`` compares code points (the order of the UTF-8 octets);
  ``i;ascii-casemap`` first maps a-z to A-Z and nothing else; ``i;ascii-numeric`` compares the number
  the leading ASCII digits spell, a string without a leading digit being positive infinity.
* Match types: ``:is``, ``:contains``, ``:matches`` (RFC 5228 2.7.1), ``:regex``
  (draft-ietf-sieve-regex: POSIX extended), ``:value`` and ``:count`` (RFC 5231).
* Match variables (RFC 5229 3.2) and the ``set`` modifiers (RFC 5229 4.1).

Implementation notes:

* ``:matches`` is not compiled to a regular expression: the key is split at its ``*`` into fixed-width
  segments (literals and ``?``), the first anchored at the start, the last at the end, each middle one
  placed as early as possible. That is linear in the value for each segment, never backtracks, and
  gives every ``*`` but the last the shortest text that lets the whole key match, as RFC 5229 3.2's
  examples require ("[*] *" on "[acme-users] [fwd] version 1.0 is out" puts "acme-users" in ${1}).
* ``:regex`` keys are parsed here (POSIX ERE plus GNU's \\w \\W \\s \\S \\b \\B \\< \\>), never handed to
  ``re`` as written. Refused with ``MatchError``: keys over 1000 characters, back-references, a
  quantifier on a quantified or empty-matching group ("(a+)*", "()*"), stacked quantifiers ("a**").
  A translated ``re`` pattern runs when its worst-case backtracking cost on this value is small; other
  cases (several unbounded repeats on a long value, alternation inside a repeat) run on a Pike VM that
  is linear in the value, so no key and value pair can hang the interpreter.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Union

COMPARATORS = ("i;octet", "i;ascii-casemap", "i;ascii-numeric")
MATCH_TYPES = ("is", "contains", "matches", "regex", "value", "count")
RELATIONS = ("gt", "ge", "lt", "le", "eq", "ne")

MAX_REGEX_LENGTH = 1000
_DUP_MAX = 255  # RE_DUP_MAX: the largest bound of an interval expression
_BACKTRACK_BUDGET = 2_000_000  # estimated steps above which a key runs on the linear-time VM

_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


class MatchError(Exception):
    """A key or argument the match cannot be evaluated with (bad regex, unknown comparator or relation)."""


# -- comparators (RFC 4790 9)


def _check_comparator(comparator: str) -> None:
    if comparator not in COMPARATORS:
        raise MatchError(f"unknown comparator {comparator!r}")


def _fold(text: str, comparator: str) -> str:
    return text.translate(_UPPER) if comparator == "i;ascii-casemap" else text


def _numeric(text: str) -> tuple[int, str] | None:
    """The leading digits as a sortable (length, digits) pair, leading zeros dropped; None is infinity."""
    end = 0
    while end < len(text) and "0" <= text[end] <= "9":
        end += 1
    if end == 0:
        return None
    digits = text[:end].lstrip("0")
    return (len(digits), digits)


def _compare(value: str, key: str, comparator: str) -> int:
    """-1, 0 or 1 as ``value`` sorts before, with or after ``key`` under ``comparator``."""
    if comparator == "i;ascii-numeric":
        a, b = _numeric(value), _numeric(key)
        if a is None or b is None:
            return 0 if a is b else (1 if a is None else -1)
        return (a > b) - (a < b)
    x, y = _fold(value, comparator), _fold(key, comparator)
    return (x > y) - (x < y)


def _relate(value: str, key: str, relation: str | None, comparator: str) -> bool:
    """RFC 5231 4: ``value <relation> key`` under the comparator's ordering."""
    order = _compare(value, key, comparator)
    if relation == "gt":
        return order > 0
    if relation == "ge":
        return order >= 0
    if relation == "lt":
        return order < 0
    if relation == "le":
        return order <= 0
    if relation == "eq":
        return order == 0
    if relation == "ne":
        return order != 0
    raise MatchError(f"unknown relational operator {relation!r}")


# -- :matches (RFC 5228 2.7.1, RFC 5229 3.2)

_LITERAL, _ONE, _STAR = 0, 1, 2


def _wildcard_tokens(key: str) -> list[tuple[int, str]]:
    tokens: list[tuple[int, str]] = []
    i = 0
    while i < len(key):
        c = key[i]
        if c == "\\" and i + 1 < len(key):  # \* \? \\ (and any other escaped character) are literal
            tokens.append((_LITERAL, key[i + 1]))
            i += 2
            continue
        tokens.append((_STAR, c) if c == "*" else (_ONE, c) if c == "?" else (_LITERAL, c))
        i += 1
    return tokens


def _segment_at(segment: list[tuple[int, str]], text: str, pos: int) -> bool:
    if pos + len(segment) > len(text):
        return False
    return all(kind == _ONE or text[pos + k] == c for k, (kind, c) in enumerate(segment))


def _find_segment(segment: list[tuple[int, str]], text: str, pos: int) -> int:
    if all(kind == _LITERAL for kind, _ in segment):
        return text.find("".join(c for _, c in segment), pos)
    for start in range(pos, len(text) - len(segment) + 1):
        if _segment_at(segment, text, start):
            return start
    return -1


def _wildcard_match(value: str, key: str, comparator: str) -> list[str] | None:
    tokens = _wildcard_tokens(key)
    text = _fold(value, comparator)
    tokens = [(kind, _fold(c, comparator)) for kind, c in tokens]
    segments: list[list[tuple[int, str]]] = [[]]
    for token in tokens:
        if token[0] == _STAR:
            segments.append([])
        else:
            segments[-1].append(token)
    if len(segments) == 1:
        if len(segments[0]) != len(text) or not _segment_at(segments[0], text, 0):
            return None
        starts = [0]
    else:
        if not _segment_at(segments[0], text, 0):
            return None
        starts = [0]
        pos = len(segments[0])
        for segment in segments[1:-1]:
            found = _find_segment(segment, text, pos)
            if found < 0:
                return None
            starts.append(found)
            pos = found + len(segment)
        last = len(text) - len(segments[-1])
        if last < pos or not _segment_at(segments[-1], text, last):
            return None
        starts.append(last)
    captures = [value]
    for index, segment in enumerate(segments):
        if index > 0:  # the star before this segment: from the previous segment's end to this start
            captures.append(value[starts[index - 1] + len(segments[index - 1]) : starts[index]])
        captures.extend(value[starts[index] + k] for k, (kind, _) in enumerate(segment) if kind == _ONE)
    return captures


# -- :regex (draft-ietf-sieve-regex): a POSIX ERE parser, a translation to ``re`` and a Pike VM


@dataclass(frozen=True)
class _Lit:
    char: str


@dataclass(frozen=True)
class _Any:
    pass


@dataclass(frozen=True)
class _Set:
    negated: bool
    chars: frozenset[str]
    ranges: tuple[tuple[str, str], ...]

    def has(self, c: str, fold: bool) -> bool:
        candidates = {c, c.translate(_UPPER), c.lower() if c.isascii() else c} if fold else {c}
        found = any(x in self.chars or any(lo <= x <= hi for lo, hi in self.ranges) for x in candidates)
        return found != self.negated


@dataclass(frozen=True)
class _Assert:
    kind: str  # "bol" "eol" "word" "nonword" "wstart" "wend"


@dataclass(frozen=True)
class _Group:
    index: int
    body: _Node


@dataclass(frozen=True)
class _Cat:
    items: tuple[_Node, ...]


@dataclass(frozen=True)
class _Alt:
    options: tuple[_Node, ...]


@dataclass(frozen=True)
class _Repeat:
    body: _Node
    low: int
    high: int | None


_Node = Union[_Lit, _Any, _Set, _Assert, _Group, _Cat, _Alt, _Repeat]  # noqa: UP007 (runtime alias)

_DIGIT = (("0", "9"),)
_CLASSES: dict[str, tuple[frozenset[str], tuple[tuple[str, str], ...]]] = {
    "alpha": (frozenset(), (("a", "z"), ("A", "Z"))),
    "digit": (frozenset(), _DIGIT),
    "alnum": (frozenset(), (("a", "z"), ("A", "Z"), ("0", "9"))),
    "upper": (frozenset(), (("A", "Z"),)),
    "lower": (frozenset(), (("a", "z"),)),
    "space": (frozenset(" \t\n\r\f\v"), ()),
    "blank": (frozenset(" \t"), ()),
    "punct": (frozenset(), (("!", "/"), (":", "@"), ("[", "`"), ("{", "~"))),
    "print": (frozenset(), ((" ", "~"),)),
    "graph": (frozenset(), (("!", "~"),)),
    "cntrl": (frozenset("\x7f"), (("\x00", "\x1f"),)),
    "xdigit": (frozenset(), (("0", "9"), ("a", "f"), ("A", "F"))),
}
_WORD = (frozenset("_"), (("a", "z"), ("A", "Z"), ("0", "9")))
_ESCAPE_SETS = {"w": (False, _WORD), "W": (True, _WORD), "s": (False, _CLASSES["space"])}
_ESCAPE_SETS["S"] = (True, _CLASSES["space"])
_ESCAPE_ASSERTS = {"b": "word", "B": "nonword", "<": "wstart", ">": "wend", "`": "bol", "'": "eol"}
_INTERVAL = re.compile(r"\{(\d{1,4})(,(\d{0,4}))?\}")


def _quantified(node: _Node) -> bool:
    if isinstance(node, _Repeat):
        return True
    if isinstance(node, _Group):
        return _quantified(node.body)
    if isinstance(node, _Cat):
        return any(_quantified(n) for n in node.items)
    if isinstance(node, _Alt):
        return any(_quantified(n) for n in node.options)
    return False


def _nullable(node: _Node) -> bool:
    if isinstance(node, _Assert):
        return True
    if isinstance(node, _Group):
        return _nullable(node.body)
    if isinstance(node, _Cat):
        return all(_nullable(n) for n in node.items)
    if isinstance(node, _Alt):
        return any(_nullable(n) for n in node.options)
    if isinstance(node, _Repeat):
        return node.low == 0 or _nullable(node.body)
    return False


def _has_alternation(node: _Node) -> bool:
    if isinstance(node, _Alt):
        return True
    if isinstance(node, _Group):
        return _has_alternation(node.body)
    if isinstance(node, _Cat):
        return any(_has_alternation(n) for n in node.items)
    return False


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.pos = 0
        self.groups = 0

    def parse(self) -> _Node:
        node = self.alternation()
        if self.pos < len(self.text):
            raise MatchError("regex: unmatched )")
        return node

    def alternation(self) -> _Node:
        options = [self.branch()]
        while self.pos < len(self.text) and self.text[self.pos] == "|":
            self.pos += 1
            options.append(self.branch())
        return options[0] if len(options) == 1 else _Alt(tuple(options))

    def branch(self) -> _Node:
        items: list[_Node] = []
        while self.pos < len(self.text) and self.text[self.pos] not in "|)":
            atom = self.atom()
            while (bounds := self.quantifier()) is not None:
                if isinstance(atom, _Assert):
                    raise MatchError("regex: an anchor cannot be repeated")
                if isinstance(atom, _Repeat):
                    raise MatchError("regex: a quantifier cannot follow another quantifier")
                if _quantified(atom):
                    raise MatchError("regex: nested quantifiers risk catastrophic backtracking")
                if _nullable(atom):
                    raise MatchError("regex: a repeated group must not match the empty string")
                atom = _Repeat(atom, *bounds)
            items.append(atom)
        return items[0] if len(items) == 1 else _Cat(tuple(items))

    def quantifier(self) -> tuple[int, int | None] | None:
        if self.pos >= len(self.text):
            return None
        c = self.text[self.pos]
        if c in "*+?":
            self.pos += 1
            return {"*": (0, None), "+": (1, None), "?": (0, 1)}[c]
        if c == "{" and (m := _INTERVAL.match(self.text, self.pos)):
            low = int(m.group(1))
            high = low if m.group(2) is None else (int(m.group(3)) if m.group(3) else None)
            if low > _DUP_MAX or (high is not None and (high > _DUP_MAX or high < low)):
                raise MatchError("regex: invalid interval")
            self.pos = m.end()
            return (low, high)
        return None

    def atom(self) -> _Node:
        text = self.text
        c = text[self.pos]
        self.pos += 1
        if c in "*+?" or (c == "{" and _INTERVAL.match(text, self.pos - 1)):
            raise MatchError("regex: quantifier without anything to repeat")
        if c == "(":
            self.groups += 1
            index = self.groups
            body = self.alternation()
            if self.pos >= len(text) or text[self.pos] != ")":
                raise MatchError("regex: unmatched (")
            self.pos += 1
            return _Group(index, body)
        if c == ".":
            return _Any()
        if c == "^":
            return _Assert("bol")
        if c == "$":
            return _Assert("eol")
        if c == "[":
            return self.bracket()
        if c == "\\":
            if self.pos >= len(text):
                raise MatchError("regex: trailing backslash")
            e = text[self.pos]
            self.pos += 1
            if e in _ESCAPE_SETS:
                negated, (chars, ranges) = _ESCAPE_SETS[e]
                return _Set(negated, chars, ranges)
            if e in _ESCAPE_ASSERTS:
                return _Assert(_ESCAPE_ASSERTS[e])
            if "1" <= e <= "9":
                raise MatchError("regex: back-references are not supported")
            return _Lit(e)
        return _Lit(c)

    def bracket(self) -> _Set:
        text = self.text
        negated = self.pos < len(text) and text[self.pos] == "^"
        self.pos += negated
        chars: set[str] = set()
        ranges: list[tuple[str, str]] = []
        first = True
        while True:
            if self.pos >= len(text):
                raise MatchError("regex: unmatched [")
            c = text[self.pos]
            if c == "]" and not first:
                self.pos += 1
                return _Set(negated, frozenset(chars), tuple(ranges))
            first = False
            if c == "[" and text[self.pos + 1 : self.pos + 2] in (":", "=", "."):
                kind = text[self.pos + 1]
                end = text.find(kind + "]", self.pos + 2)
                if end < 0:
                    raise MatchError("regex: unterminated [: [= or [. in a bracket expression")
                name = text[self.pos + 2 : end]
                self.pos = end + 2
                if kind == ":":
                    if name not in _CLASSES:
                        raise MatchError(f"regex: unknown character class [:{name}:]")
                    chars.update(_CLASSES[name][0])
                    ranges.extend(_CLASSES[name][1])
                    continue
                if len(name) != 1:
                    raise MatchError("regex: only single-character collating elements are supported")
                c = name
            else:
                self.pos += 1
            if text[self.pos : self.pos + 1] == "-" and text[self.pos + 1 : self.pos + 2] not in ("]", ""):
                high = text[self.pos + 1]
                self.pos += 2
                if high == "[" and text[self.pos : self.pos + 1] == ".":
                    end = text.find(".]", self.pos + 1)
                    if end != self.pos + 2:
                        raise MatchError("regex: bad collating element in a range")
                    high = text[self.pos + 1]
                    self.pos = end + 2
                if high < c:
                    raise MatchError("regex: invalid range end")
                ranges.append((c, high))
            else:
                chars.add(c)


def _python_source(node: _Node) -> str:
    if isinstance(node, _Lit):
        return re.escape(node.char)
    if isinstance(node, _Any):
        return "."
    if isinstance(node, _Set):
        body = "".join(re.escape(c) for c in sorted(node.chars))
        body += "".join(f"{re.escape(lo)}-{re.escape(hi)}" for lo, hi in node.ranges)
        return f"[{'^' if node.negated else ''}{body}]"
    if isinstance(node, _Assert):
        return {
            "bol": r"\A",
            "eol": r"\Z",
            "word": r"\b",
            "nonword": r"\B",
            "wstart": r"\b(?=\w)",
            "wend": r"\b(?<=\w)",
        }[node.kind]
    if isinstance(node, _Group):
        return f"({_python_source(node.body)})"
    if isinstance(node, _Cat):
        return "".join(
            f"(?:{_python_source(n)})" if isinstance(n, _Alt) else _python_source(n) for n in node.items
        )
    if isinstance(node, _Alt):
        return "|".join(_python_source(n) for n in node.options)
    body = _python_source(node.body)
    if not isinstance(node.body, (_Lit, _Any, _Set, _Group)):
        body = f"(?:{body})"
    low, high = node.low, node.high
    suffix = {(0, None): "*", (1, None): "+", (0, 1): "?"}.get((low, high))
    if suffix is None:
        suffix = f"{{{low},}}" if high is None else f"{{{low},{high}}}"
    return body + suffix


def _cost_factors(node: _Node) -> tuple[int, int, bool]:
    """(unbounded repeats, product of the choices of bounded repeats and alternations, whether a repeat
    holds an alternation): what bounds a backtracking engine's work per start position."""
    cap = _BACKTRACK_BUDGET + 1
    if isinstance(node, _Repeat):
        choices = 1 if node.high is None else node.high - node.low + 1
        return (1 if node.high is None else 0), choices, _has_alternation(node.body)
    children: tuple[_Node, ...] = ()
    choices = 1
    if isinstance(node, _Group):
        children = (node.body,)
    elif isinstance(node, _Cat):
        children = node.items
    elif isinstance(node, _Alt):
        children = node.options
        choices = len(node.options)
    unbounded, risky = 0, False
    for child in children:
        u, c, r = _cost_factors(child)
        unbounded, choices, risky = unbounded + u, min(choices * c, cap), risky or r
    return unbounded, choices, risky


# Pike VM instructions: (opcode, argument, second argument)
_CHAR, _ANYCHAR, _CLASS, _SPLIT, _JMP, _SAVE, _ASSERT, _MATCH = range(8)
_Instruction = tuple[int, object, int]


def _emit(node: _Node, program: list[_Instruction]) -> None:
    if isinstance(node, _Lit):
        program.append((_CHAR, node.char, 0))
    elif isinstance(node, _Any):
        program.append((_ANYCHAR, None, 0))
    elif isinstance(node, _Set):
        program.append((_CLASS, node, 0))
    elif isinstance(node, _Assert):
        program.append((_ASSERT, node.kind, 0))
    elif isinstance(node, _Group):
        program.append((_SAVE, None, 2 * node.index))
        _emit(node.body, program)
        program.append((_SAVE, None, 2 * node.index + 1))
    elif isinstance(node, _Cat):
        for item in node.items:
            _emit(item, program)
    elif isinstance(node, _Alt):
        jumps: list[int] = []
        for k, option in enumerate(node.options):
            if k < len(node.options) - 1:
                split = len(program)
                program.append((_SPLIT, None, 0))
                _emit(option, program)
                jumps.append(len(program))
                program.append((_JMP, None, 0))
                program[split] = (_SPLIT, split + 1, len(program))
            else:
                _emit(option, program)
        for j in jumps:
            program[j] = (_JMP, None, len(program))
    else:
        for _ in range(node.low):
            _emit(node.body, program)
        if node.high is None:  # L: split body, out; body; jmp L
            loop = len(program)
            program.append((_SPLIT, None, 0))
            _emit(node.body, program)
            program.append((_JMP, None, loop))
            program[loop] = (_SPLIT, loop + 1, len(program))
        else:
            splits: list[int] = []
            for _ in range(node.high - node.low):
                splits.append(len(program))
                program.append((_SPLIT, None, 0))
                _emit(node.body, program)
            for s in splits:
                program[s] = (_SPLIT, s + 1, len(program))


def _is_word(text: str, pos: int) -> bool:
    return 0 <= pos < len(text) and (text[pos] == "_" or (text[pos].isascii() and text[pos].isalnum()))


def _assertion(kind: str, text: str, pos: int) -> bool:
    if kind == "bol":
        return pos == 0
    if kind == "eol":
        return pos == len(text)
    before, after = _is_word(text, pos - 1), _is_word(text, pos)
    if kind == "word":
        return before != after
    if kind == "nonword":
        return before == after
    return after and not before if kind == "wstart" else before and not after


def _pike_search(
    program: list[_Instruction], slots: int, text: str, fold: bool
) -> tuple[int | None, ...] | None:
    """Leftmost-first search (the same answer as a backtracking engine) in O(len(text) * len(program))."""

    def add(
        threads: list[tuple[int, tuple[int | None, ...]]],
        seen: set[int],
        pc: int,
        caps: tuple[int | None, ...],
        pos: int,
    ) -> None:
        stack = [(pc, caps)]
        while stack:
            pc, caps = stack.pop()
            if pc in seen:
                continue
            seen.add(pc)
            op, arg, target = program[pc]
            if op == _JMP:
                stack.append((target, caps))
            elif op == _SPLIT:
                assert isinstance(arg, int)
                stack.append((target, caps))
                stack.append((arg, caps))
            elif op == _SAVE:
                stack.append((pc + 1, caps[:target] + (pos,) + caps[target + 1 :]))
            elif op == _ASSERT:
                assert isinstance(arg, str)
                if _assertion(arg, text, pos):
                    stack.append((pc + 1, caps))
            else:
                threads.append((pc, caps))

    upper = text.translate(_UPPER) if fold else text
    start: tuple[int | None, ...] = (None,) * slots
    current: list[tuple[int, tuple[int | None, ...]]] = []
    seen: set[int] = set()
    found: tuple[int | None, ...] | None = None
    for pos in range(len(text) + 1):
        if found is None:
            add(current, seen, 0, start, pos)
        following: list[tuple[int, tuple[int | None, ...]]] = []
        following_seen: set[int] = set()
        for pc, caps in current:
            op, arg, _ = program[pc]
            if op == _MATCH:
                found = caps
                break  # threads after this one have lower priority
            if pos >= len(text):
                continue
            c = text[pos]
            if op == _CHAR:
                ok = (upper[pos] == arg) if fold else c == arg
            elif op == _ANYCHAR:
                ok = True
            else:
                assert isinstance(arg, _Set)
                ok = arg.has(c, fold)
            if ok:
                add(following, following_seen, pc + 1, caps, pos + 1)
        current, seen = following, following_seen
        if found is not None and not current:
            break
    return found


@dataclass(frozen=True)
class _Regex:
    compiled: re.Pattern[str]
    program: list[_Instruction]
    slots: int
    unbounded: int
    choices: int
    risky: bool


@lru_cache(maxsize=512)
def _compile_regex(key: str, fold: bool) -> _Regex:
    if len(key) > MAX_REGEX_LENGTH:
        raise MatchError(f"regex longer than {MAX_REGEX_LENGTH} characters")
    parser = _Parser(key)
    tree = parser.parse()
    flags = re.ASCII | re.DOTALL | (re.IGNORECASE if fold else 0)
    try:
        compiled = re.compile(_python_source(tree), flags)
    except (re.error, RecursionError, OverflowError) as exc:  # pragma: no cover - the parser vets syntax
        raise MatchError(f"regex: {exc}") from exc
    slots = 2 * (parser.groups + 1)
    program: list[_Instruction] = [(_SAVE, None, 0)]
    vm_tree = _fold_literals(tree) if fold else tree
    _emit(vm_tree, program)
    program += [(_SAVE, None, 1), (_MATCH, None, 0)]
    unbounded, choices, risky = _cost_factors(tree)
    return _Regex(compiled, program, slots, unbounded, choices, risky)


def _fold_literals(node: _Node) -> _Node:
    """The tree with literal characters mapped to upper case, for the VM's case-insensitive compare."""
    if isinstance(node, _Lit):
        return _Lit(node.char.translate(_UPPER))
    if isinstance(node, _Group):
        return _Group(node.index, _fold_literals(node.body))
    if isinstance(node, _Cat):
        return _Cat(tuple(_fold_literals(n) for n in node.items))
    if isinstance(node, _Alt):
        return _Alt(tuple(_fold_literals(n) for n in node.options))
    if isinstance(node, _Repeat):
        return _Repeat(_fold_literals(node.body), node.low, node.high)
    return node


def _regex_match(value: str, key: str, comparator: str) -> list[str] | None:
    regex = _compile_regex(key, comparator == "i;ascii-casemap")
    n = len(value) + 1
    cost = n * regex.choices * n**regex.unbounded if regex.unbounded < 8 else _BACKTRACK_BUDGET + 1
    if not regex.risky and cost <= _BACKTRACK_BUDGET:
        m = regex.compiled.search(value)
        return None if m is None else [m.group(0), *(g or "" for g in m.groups())]
    caps = _pike_search(regex.program, regex.slots, value, comparator == "i;ascii-casemap")
    if caps is None:
        return None
    out: list[str] = []
    for k in range(0, regex.slots, 2):
        start, end = caps[k], caps[k + 1]
        out.append(value[start:end] if start is not None and end is not None else "")
    return out


# -- the public entry points


def match(
    value: str,
    key: str,
    *,
    comparator: str = "i;ascii-casemap",
    match_type: str = "is",
    relation: str | None = None,
) -> list[str] | None:
    """Whether ``value`` matches ``key``: None if not, else the match variables (RFC 5229 3.2).

    The list is ``[whole value, one entry per * and ? in order]`` for :matches, ``[whole match, group
    1, ...]`` for :regex (a group that took no part is ""), and ``[]`` for the other match types.

    Raises:
        MatchError: unknown comparator, match type or relation; a comparator that does not support the
            match type (i;ascii-numeric only compares: RFC 4790 9.1); a regex that is invalid or refused.
    """
    _check_comparator(comparator)
    if match_type == "is":  # RFC 5228 2.7.1
        if comparator == "i;ascii-numeric":
            return [] if _compare(value, key, comparator) == 0 else None
        return [] if _fold(value, comparator) == _fold(key, comparator) else None
    if match_type == "value":  # RFC 5231 4
        return [] if _relate(value, key, relation, comparator) else None
    if match_type == "count":
        raise MatchError(":count compares the number of values: use count_matches or any_match")
    if match_type not in MATCH_TYPES:
        raise MatchError(f"unknown match type {match_type!r}")
    if comparator == "i;ascii-numeric":
        raise MatchError(f"comparator i;ascii-numeric does not support :{match_type}")
    if match_type == "contains":
        return [] if _fold(key, comparator) in _fold(value, comparator) else None
    if match_type == "matches":
        return _wildcard_match(value, key, comparator)
    return _regex_match(value, key, comparator)


def count_matches(count: int, key: str, *, relation: str, comparator: str = "i;ascii-numeric") -> bool:
    """RFC 5231 4: ``:count relation``: the number of values (as a decimal string) against ``key``.

    Raises:
        MatchError: unknown comparator or relation.
    """
    _check_comparator(comparator)
    return _relate(str(count), key, relation, comparator)


def any_match(
    values: Sequence[str],
    keys: Sequence[str],
    *,
    comparator: str = "i;ascii-casemap",
    match_type: str = "is",
    relation: str | None = None,
) -> list[str] | None:
    """A test over lists (RFC 5228 2.7.1): the match variables of the first value, then key, that matches.

    With ``match_type="count"`` the number of values is compared with each key (RFC 5231 4).

    Raises:
        MatchError: as ``match``; for :count, a missing or unknown relation.
    """
    _check_comparator(comparator)
    if match_type == "count":
        if relation is None:
            raise MatchError(":count needs a relational operator")
        hit = any(count_matches(len(values), k, relation=relation, comparator=comparator) for k in keys)
        return [] if hit else None
    for value in values:
        for key in keys:
            found = match(value, key, comparator=comparator, match_type=match_type, relation=relation)
            if found is not None:
                return found
    return None


_MODIFIER_PRECEDENCE = {
    "lower": 40,
    "upper": 40,
    "lowerfirst": 30,
    "upperfirst": 30,
    "quotewildcard": 20,
    "length": 10,
}


def apply_modifiers(value: str, modifiers: Sequence[str]) -> str:
    """RFC 5229 4.1: ``value`` with the ``set`` modifiers applied, highest precedence first.

    Modifiers may be written with or without their colon (":lower" or "lower"), in any order.

    Raises:
        MatchError: an unknown modifier, or two of the same precedence (RFC 5229 4.1 calls it an error).
    """
    names = [m.lower().removeprefix(":") for m in modifiers]
    for name in names:
        if name not in _MODIFIER_PRECEDENCE:
            raise MatchError(f"unknown modifier :{name}")
    precedences = [_MODIFIER_PRECEDENCE[n] for n in names]
    if len(set(precedences)) != len(precedences):
        raise MatchError("two modifiers of the same precedence")
    for name in sorted(names, key=lambda n: -_MODIFIER_PRECEDENCE[n]):
        if name == "lower":
            value = value.lower()
        elif name == "upper":
            value = value.upper()
        elif name == "lowerfirst":
            value = value[:1].lower() + value[1:]
        elif name == "upperfirst":
            value = value[:1].upper() + value[1:]
        elif name == "quotewildcard":
            value = re.sub(r"([*?\\])", r"\\\1", value)
        else:
            value = str(len(value))
    return value
