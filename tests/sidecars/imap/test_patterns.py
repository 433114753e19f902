"""LIST/LSUB pattern matching (RFC 3501 6.3.8): the linear-time matcher against a brute-force reference,
its INBOX rule, and the wire fallback for patterns that are not modified UTF-7."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from sidecars.imap.names import list_patterns
from sidecars.imap.patterns import MailboxPattern


def reference_match(pattern: str, name: str) -> bool:
    """Straight from the RFC's words, by exhaustive recursion: "*" takes any number of characters, "%"
    any number of non-delimiter ones, anything else must be equal (exponential, for small inputs)."""
    if not pattern:
        return not name
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        return any(reference_match(rest, name[i:]) for i in range(len(name) + 1))
    if head == "%":
        i = 0
        while True:
            if reference_match(rest, name[i:]):
                return True
            if i == len(name) or name[i] == "/":
                return False
            i += 1
    return bool(name) and name[0] == head and reference_match(rest, name[1:])


NAME_CHARS = "ab/"
PATTERN_CHARS = "ab/*%"


@settings(max_examples=1500, deadline=None)
@given(st.text(PATTERN_CHARS, max_size=9), st.text(NAME_CHARS, max_size=10))
def test_matcher_agrees_with_the_brute_force_reference(pattern: str, name: str) -> None:
    assert MailboxPattern(pattern, inbox_prefix=False).matches(name) == reference_match(pattern, name)


@settings(max_examples=500, deadline=None)
@given(st.text(PATTERN_CHARS, max_size=8), st.text(NAME_CHARS, max_size=8), st.text(NAME_CHARS, max_size=4))
def test_may_match_under_is_true_exactly_when_some_continuation_matches(
    pattern: str, prefix: str, tail: str
) -> None:
    matcher = MailboxPattern(pattern, inbox_prefix=False)
    if reference_match(pattern, prefix + tail):
        assert matcher.may_match_under(prefix)
    if not matcher.may_match_under(prefix):
        assert not matcher.matches(prefix + tail)


@settings(max_examples=800, deadline=None)
@given(st.lists(st.text(PATTERN_CHARS, max_size=6), max_size=4), st.text(NAME_CHARS, max_size=8))
def test_several_patterns_match_like_any_of_them(patterns: list[str], name: str) -> None:
    """RFC 5258 3: a pattern list; the alternatives share one automaton."""
    matcher = MailboxPattern(*patterns, inbox_prefix=False)
    assert matcher.matches(name) == any(reference_match(p, name) for p in patterns)


def test_many_patterns_against_many_long_names_is_fast() -> None:
    """A 64 KiB LIST line holds 16,000 patterns; each name is read once, not once per pattern."""
    matcher = list_patterns("", ["*q"] * 8000 + [f"*{i}q" for i in range(8000)], utf8=False)
    started = time.monotonic()
    assert not any(matcher.matches(f"{i}" + "a" * 250) for i in range(200))
    assert time.monotonic() - started < 5.0


def test_percent_does_not_cross_the_delimiter() -> None:
    assert MailboxPattern("a/%").matches("a/b")
    assert not MailboxPattern("a/%").matches("a/b/c")
    assert MailboxPattern("a/*").matches("a/b/c")
    assert MailboxPattern("%/%").matches("a/b") and not MailboxPattern("%").matches("a/b")


def test_inbox_prefix_is_case_insensitive_and_the_rest_is_not() -> None:
    for pattern in ("inbox", "InBoX", "INBOX"):
        assert MailboxPattern(pattern).matches("INBOX"), pattern
    assert MailboxPattern("inbox/%").matches("INBOX/Lists")
    assert MailboxPattern("inbox*").matches("INBOX")
    assert not MailboxPattern("inbox/lists").matches("INBOX/Lists")  # only INBOX itself folds
    assert not MailboxPattern("inboxes").matches("INBOXES")  # "inboxes" is not INBOX
    assert not MailboxPattern("sent").matches("Sent")


def test_backtracking_pattern_on_a_long_name_is_fast() -> None:
    """Issue 9.1: as a regular expression this pair took minutes of CPU."""
    name = "a" * 250
    started = time.monotonic()
    assert not MailboxPattern("*a*a*a*a*a*a*a*a*b").matches(name)
    assert MailboxPattern("*a*a*a*a*a*a*a*a*").matches(name)
    assert not MailboxPattern("%a%a%a%a%a%a%a%a%b").matches(name)
    assert not MailboxPattern("*a" * 2000 + "b").matches(name * 8)
    assert time.monotonic() - started < 2.0


def test_reference_is_joined_with_the_delimiter() -> None:
    assert list_patterns("Work", ["%"], utf8=False).matches("Work/a")
    assert list_patterns("Work/", ["%"], utf8=False).matches("Work/a")
    assert not list_patterns("Work", ["%"], utf8=False).matches("Worka")


def test_modified_utf7_pattern_matches_decoded_names() -> None:
    assert list_patterns("", ["&AMQ-rger"], utf8=False).matches("Ärger")
    assert list_patterns("", ["Ärger"], utf8=True).matches("Ärger")


def test_pattern_that_is_not_modified_utf7_matches_the_wire_form() -> None:
    """RFC 3501 6.3.8 patterns are wire text; one that does not decode still matches what it spells."""
    assert list_patterns("", ["&*"], utf8=False).matches("Ärger")  # the wire name is "&AMQ-rger"
    assert not list_patterns("", ["&*"], utf8=False).matches("Arger")
    assert not list_patterns("", ["!#$&'+,-.0123456789:;<=>?@^_`|[}%*"], utf8=False).matches("INBOX")
