"""Sieve comparators, match types, match variables and set modifiers (RFC 4790, 5228 2.7, 5229, 5231, regex)."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filters.sieve.matching import (
    COMPARATORS,
    MATCH_TYPES,
    RELATIONS,
    MatchError,
    _compile_regex,
    _pike_search,
    any_match,
    apply_modifiers,
    count_matches,
    match,
)

OCTET, CASEMAP, NUMERIC = COMPARATORS

# (value, key, comparator, match_type, relation, expected: None = no match, else the match variables)
TABLE = [
    # :is (RFC 5228 2.7.1) under each comparator
    ("Frobnitzm", "frobnitzm", CASEMAP, "is", None, []),
    ("Frobnitzm", "frobnitzm", OCTET, "is", None, None),
    ("Frobnitzm", "Frobnitzm", OCTET, "is", None, []),
    ("Éa", "éA", CASEMAP, "is", None, None),  # only ASCII letters are case-mapped
    ("", "", CASEMAP, "is", None, []),
    ("10", "010", NUMERIC, "is", None, []),
    ("10", "10abc", NUMERIC, "is", None, []),  # leading digits only
    ("abc", "xyz", NUMERIC, "is", None, []),  # both +infinity
    ("abc", "0", NUMERIC, "is", None, None),
    (" 1", "1", NUMERIC, "is", None, None),  # no leading digit: infinity
    # :contains
    ("Hello World", "LO w", CASEMAP, "contains", None, []),
    ("Hello World", "LO w", OCTET, "contains", None, None),
    ("Hello World", "", OCTET, "contains", None, []),
    ("", "x", CASEMAP, "contains", None, None),
    # :matches (RFC 5228 2.7.1): "*" any run including empty, "?" exactly one, backslash escapes
    ("", "*", CASEMAP, "matches", None, ["", ""]),
    ("anything at all", "*", CASEMAP, "matches", None, ["anything at all", "anything at all"]),
    ("", "?", CASEMAP, "matches", None, None),
    ("a", "?", CASEMAP, "matches", None, ["a", "a"]),
    ("ab", "?", CASEMAP, "matches", None, None),
    ("ABC", "a?c", CASEMAP, "matches", None, ["ABC", "B"]),
    ("ABC", "a?c", OCTET, "matches", None, None),
    ("a*b", "a\\*b", OCTET, "matches", None, ["a*b"]),
    ("axb", "a\\*b", OCTET, "matches", None, None),
    ("a?b", "a\\?b", OCTET, "matches", None, ["a?b"]),
    ("axb", "a\\?b", OCTET, "matches", None, None),
    ("a\\b", "a\\\\b", OCTET, "matches", None, ["a\\b"]),
    ("frobnitzm", "frob*m", CASEMAP, "matches", None, ["frobnitzm", "nitz"]),
    ("frobnitzm", "*frob*", CASEMAP, "matches", None, ["frobnitzm", "", "nitzm"]),
    ("frobnitzm", "frob", CASEMAP, "matches", None, None),  # anchored at both ends
    ("xx", "*x*x*x*", CASEMAP, "matches", None, None),
    ("ab", "a**b", OCTET, "matches", None, ["ab", "", ""]),
    # RFC 5229 3.2's examples: each "*" but the last is as short as can be
    (
        "[acme-users] [fwd] version 1.0 is out",
        "[*] *",
        CASEMAP,
        "matches",
        None,
        ["[acme-users] [fwd] version 1.0 is out", "acme-users", "[fwd] version 1.0 is out"],
    ),
    (
        "coyote@ACME.Example.COM",
        "coyote@**.com",
        CASEMAP,
        "matches",
        None,
        ["coyote@ACME.Example.COM", "", "ACME.Example"],
    ),
    ("<list.example.org>", "*<*@*", CASEMAP, "matches", None, None),
    ("Joe <joe@x.org>", "*<*@*", CASEMAP, "matches", None, ["Joe <joe@x.org>", "Joe ", "joe", "x.org>"]),
    # :regex (POSIX ERE): ${0} whole match, then the groups ("" for a group that took no part)
    ("Hello World", "wor", CASEMAP, "regex", None, ["Wor"]),
    ("Hello World", "wor", OCTET, "regex", None, None),
    ("Hello World", "^h.*(o) (w)(x)?", CASEMAP, "regex", None, ["Hello W", "o", "W", ""]),
    ("abc\n", "c$", OCTET, "regex", None, None),  # $ is the end of the value only
    ("a\nb", "a.b", OCTET, "regex", None, ["a\nb"]),  # . matches a line break (no REG_NEWLINE)
    ("x123y", "[[:digit:]]{2,3}", OCTET, "regex", None, ["123"]),
    ("a]b", "[]]", OCTET, "regex", None, ["]"]),
    ("a-b", "[a-]+", OCTET, "regex", None, ["a-"]),
    ("A\\B", "[\\]", OCTET, "regex", None, ["\\"]),  # backslash is literal in brackets
    ("foo{bar", "o{b", OCTET, "regex", None, ["o{b"]),  # not an interval: literal
    ("the cat", "\\<cat\\>", OCTET, "regex", None, ["cat"]),
    ("concat", "\\<cat", OCTET, "regex", None, None),
    ("user.name@x", "\\w+\\.\\w+", OCTET, "regex", None, ["user.name"]),
    ("a+b", "a\\+b", OCTET, "regex", None, ["a+b"]),
    ("spam SPAM", "(sp|ham)am", CASEMAP, "regex", None, ["spam", "sp"]),
    # :value (RFC 5231 4) with each comparator's ordering
    ("b", "A", CASEMAP, "value", "gt", []),
    ("b", "A", OCTET, "value", "gt", []),
    ("B", "a", OCTET, "value", "gt", None),
    ("B", "a", CASEMAP, "value", "gt", []),
    ("_", "a", CASEMAP, "value", "gt", []),  # casemap maps to upper case: "_" > "A"
    ("abc", "ABC", CASEMAP, "value", "eq", []),
    ("abc", "ABC", CASEMAP, "value", "ne", None),
    ("abc", "abd", OCTET, "value", "lt", []),
    ("abc", "abc", OCTET, "value", "le", []),
    ("abc", "abc", OCTET, "value", "ge", []),
    ("10", "9", NUMERIC, "value", "gt", []),
    ("10", "9", CASEMAP, "value", "gt", None),  # as strings "10" < "9"
    ("9", "10", NUMERIC, "value", "lt", []),
    ("abc", "99999999999999999999", NUMERIC, "value", "gt", []),  # +infinity beats any number
    ("abc", "xyz", NUMERIC, "value", "eq", []),
    ("abc", "xyz", NUMERIC, "value", "gt", None),
    ("5", "x", NUMERIC, "value", "lt", []),
    ("007", "7", NUMERIC, "value", "eq", []),
    ("1" + "0" * 5000, "9" * 4999, NUMERIC, "value", "gt", []),  # past int()'s digit limit
]


@pytest.mark.parametrize(("value", "key", "comparator", "match_type", "relation", "expected"), TABLE)
def test_match_table(
    value: str, key: str, comparator: str, match_type: str, relation: str | None, expected: list[str] | None
) -> None:
    assert match(value, key, comparator=comparator, match_type=match_type, relation=relation) == expected


def test_every_match_type_and_comparator_is_covered() -> None:
    covered = {(c, m) for _, _, c, m, _, _ in TABLE}
    for comparator in COMPARATORS:
        for match_type in ("is", "contains", "matches", "regex", "value"):
            if comparator == NUMERIC and match_type in ("contains", "matches", "regex"):
                continue  # refused, see below
            assert (comparator, match_type) in covered, (comparator, match_type)
    assert {r for *_, r, _ in TABLE if r} == set(RELATIONS)


@pytest.mark.parametrize("match_type", ["contains", "matches", "regex"])
def test_ascii_numeric_only_compares(match_type: str) -> None:
    with pytest.raises(MatchError):
        match("1", "1", comparator=NUMERIC, match_type=match_type)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"comparator": "i;unicode-casemap"}, "comparator"),
        ({"match_type": "like"}, "match type"),
        ({"match_type": "value"}, "relational"),
        ({"match_type": "value", "relation": "gte"}, "relational"),
        ({"match_type": "count", "relation": "eq"}, "count"),
    ],
)
def test_bad_arguments(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(MatchError, match=message):
        match("a", "a", **kwargs)


@pytest.mark.parametrize(
    "key",
    [
        "(",
        "a)",
        "[abc",
        "*a",
        "a**",
        "a+?",
        "(?i)a",
        "(a+)+",
        "(a*)*b",
        "(x{2,3})*",
        "()*",
        "(a|)+",
        "(^)*",
        "^*",
        "\\1",
        "(a)\\1",
        "a\\",
        "a{3,2}",
        "a{256}",
        "[[:word:]]",
        "[z-a]",
        "x" * 1001,
    ],
)
def test_refused_regexes(key: str) -> None:
    with pytest.raises(MatchError):
        match("aaaa", key, match_type="regex")


@pytest.mark.parametrize(
    "key",
    [
        ".*.*.*.*.*x",
        "(a|aa)+b",
        "(a|a)(a|a)(a|a)(a|a)(a|a)(a|a)(a|a)(a|a)(a|a)(a|a)x",
        "a?" * 30 + "a" * 30 + "x",
    ],
)
def test_hostile_regexes_finish_quickly(key: str) -> None:
    started = time.monotonic()
    assert match("a" * 3000, key, match_type="regex") is None
    assert time.monotonic() - started < 30  # a hang guard (backtracking would take minutes), not a figure


def test_count() -> None:  # RFC 5231 4 and its examples
    assert count_matches(3, "2", relation="ge")
    assert not count_matches(3, "4", relation="ge")
    assert count_matches(10, "9", relation="gt")
    assert not count_matches(10, "9", relation="gt", comparator=CASEMAP)  # "10" < "9" as strings
    assert any_match(["a", "b", "c"], ["2"], match_type="count", relation="ge", comparator=NUMERIC) == []
    assert any_match(["a", "b", "c"], ["5", "3"], match_type="count", relation="eq", comparator=NUMERIC) == []
    assert any_match([], ["0"], match_type="count", relation="eq", comparator=NUMERIC) == []
    assert any_match(["a"], ["2"], match_type="count", relation="ge", comparator=NUMERIC) is None
    with pytest.raises(MatchError):
        any_match(["a"], ["1"], match_type="count")
    with pytest.raises(MatchError):
        count_matches(1, "1", relation="bigger")


def test_any_match_takes_the_first_value_then_key() -> None:
    values = ["nothing here", "Re: [list] one", "Re: [other] two"]
    assert any_match(values, ["*[*]*", "x*"], match_type="matches") == [
        "Re: [list] one",
        "Re: ",
        "list",
        " one",
    ]
    assert any_match(values, ["zzz"], match_type="contains") is None
    assert any_match([], ["*"], match_type="matches") is None
    assert any_match(["b"], ["a", "c"], match_type="value", relation="gt") == []


@pytest.mark.parametrize(
    ("value", "modifiers", "expected"),
    [
        ("juMBlEd lETteRS", [":upperfirst", ":lower"], "Jumbled letters"),  # RFC 5229 4.1's example
        ("juMBlEd lETteRS", ["lower", "upperfirst"], "Jumbled letters"),
        ("Hello", [":upper"], "HELLO"),
        ("Hello", [":lowerfirst"], "hello"),
        ("", [":upperfirst"], ""),
        ("a*b?c\\", [":quotewildcard"], "a\\*b\\?c\\\\"),
        ("a*b", [":length", ":quotewildcard"], "4"),  # quoting first, then the length
        ("Ünïcode", [":length"], "7"),  # characters, not octets
        ("x", [], "x"),
    ],
)
def test_modifiers(value: str, modifiers: list[str], expected: str) -> None:
    assert apply_modifiers(value, modifiers) == expected


def test_quotewildcard_output_matches_literally() -> None:
    text = "what? *really* \\o/"
    assert match(text, apply_modifiers(text, [":quotewildcard"]), match_type="matches") == [text]
    assert (
        match("what! xreallyx \\o/", apply_modifiers(text, [":quotewildcard"]), match_type="matches") is None
    )


@pytest.mark.parametrize(
    "modifiers", [[":lower", ":upper"], [":lowerfirst", ":upperfirst"], [":length", ":length"], [":shout"]]
)
def test_bad_modifiers(modifiers: list[str]) -> None:
    with pytest.raises(MatchError):
        apply_modifiers("x", modifiers)


# -- properties

_PATTERN_CHARS = st.sampled_from(list("ab.*+?|()[]^$\\{},-:0123x") + ["[:alpha:]", "\\w", "{1,2}"])


@settings(max_examples=400, deadline=None)
@given(
    value=st.text(max_size=40),
    key=st.one_of(st.text(max_size=30), st.lists(_PATTERN_CHARS, max_size=15).map("".join)),
    comparator=st.sampled_from(COMPARATORS + ("bogus",)),
    match_type=st.sampled_from(MATCH_TYPES),
    relation=st.one_of(st.none(), st.sampled_from(RELATIONS), st.text(max_size=3)),
)
def test_match_raises_only_match_error(
    value: str, key: str, comparator: str, match_type: str, relation: str | None
) -> None:
    try:
        result = match(value, key, comparator=comparator, match_type=match_type, relation=relation)
    except MatchError:
        return
    assert result is None or all(isinstance(v, str) for v in result)


@settings(max_examples=300, deadline=None)
@given(
    value=st.text(alphabet="abAB-_ \n", max_size=20),
    key=st.lists(
        st.sampled_from(list("aAb.*+?|()^$-_") + ["[ab]", "[^a]", "\\b", "\\w", "{1,2}"]), max_size=10
    ),
    fold=st.booleans(),
)
def test_linear_engine_agrees_with_re(value: str, key: list[str], fold: bool) -> None:
    """The Pike VM, used for costly keys, gives the same answer and groups as the ``re`` translation."""
    try:
        regex = _compile_regex("".join(key), fold)
    except MatchError:
        return
    m = regex.compiled.search(value)
    caps = _pike_search(regex.program, regex.slots, value, fold)
    if m is None:
        assert caps is None
        return
    assert caps is not None
    spans = [m.span(g) for g in range(regex.slots // 2)]
    assert [
        (-1, -1) if caps[2 * g] is None else (caps[2 * g], caps[2 * g + 1]) for g in range(len(spans))
    ] == spans


@given(st.text(max_size=30))
def test_quotewildcard_round_trip(text: str) -> None:
    assert match(text, apply_modifiers(text, ["quotewildcard"]), comparator=OCTET, match_type="matches") == [
        text
    ]


@given(st.text(alphabet="ab*?\\", max_size=8), st.text(alphabet="ab", max_size=8))
def test_matches_agrees_with_a_reference_translation(key: str, value: str) -> None:
    """:matches decides exactly as an anchored regex built from the key would."""
    pattern, i = "", 0
    while i < len(key):
        if key[i] == "\\" and i + 1 < len(key):
            pattern, i = pattern + re.escape(key[i + 1]), i + 2
            continue
        pattern += {"*": "(.*?)", "?": "(.)"}.get(key[i], re.escape(key[i]))
        i += 1
    expected = re.fullmatch(pattern, value, re.DOTALL)
    found = match(value, key, comparator=OCTET, match_type="matches")
    assert found == (None if expected is None else [value, *expected.groups()])
