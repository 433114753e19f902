"""Property tests: compile_script never raises anything but SieveError, and never takes long."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from filters import SieveError
from filters.sieve import compile_script, evaluate
from tests.filters.sieve.conftest import make_message
from tests.filters.sieve.test_parser import RFC5228_SECTION_9

# A hang guard, not a performance figure (those live in bench/): a hostile script must be refused in
# bounded time even on a loaded 2-core CI machine.
TIME_BOUND = 30.0

VALID = [
    RFC5228_SECTION_9,
    'require ["vacation", "variables"]; if header :matches "subject" "*" { vacation :days 3 "${1}"; }',
    'require ["imap4flags", "fileinto", "copy"]; addflag "\\\\Seen"; fileinto :copy :flags "a b" "X";',
    'require ["relational", "comparator-i;ascii-numeric", "spamtest"];\n'
    'if spamtest :value "ge" :comparator "i;ascii-numeric" "5" { discard; stop; }',
    'require "reject"; if size :over 1M { reject text:\nToo big.\n..\n.\n; }',
    'require ["body", "date"]; if allof (body :content "text" :contains "x", currentdate :is "year" "2025") { }',
]
ALPHABET = st.sampled_from(list('[](){},;:"\\#/*.\n \t') + ["text:", "if", "keep", "require", "anyof", "1K"])
PIECES = st.one_of(st.text(max_size=8), ALPHABET)


def _compile(text: str) -> None:
    started = time.monotonic()
    try:
        script = compile_script(text)
    except SieveError as error:
        assert error.kind in SieveError.KINDS
        assert error.line >= 1 and error.column >= 1
    else:
        evaluate(script, make_message())  # evaluating what compiled never raises either
    assert time.monotonic() - started < TIME_BOUND


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_random_text(text: str) -> None:
    _compile(text)


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=80))
def test_random_token_soup(pieces: list[str]) -> None:
    _compile("".join(pieces))


@settings(max_examples=600, deadline=None)
@given(
    st.sampled_from(VALID),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 3), PIECES), min_size=1, max_size=6),
)
def test_mutated_valid_scripts(script: str, edits: list[tuple[int, int, str]]) -> None:
    text = script
    for position, width, insert in edits:
        at = position % (len(text) + 1)
        text = text[:at] + insert + text[at + width :]
    _compile(text)


def test_hostile_sizes_are_fast_validation_errors() -> None:
    for text in (
        "if true {" * 100_000,
        "if " + "not " * 200_000 + "true {}",
        "if " + "anyof(" * 100_000,
        "keep;" * 200_000,
        "require [" + '"a",' * 100_000 + '"a"];',
        '"' + "x" * (1 << 20),
    ):
        started = time.monotonic()
        try:
            compile_script(text)
        except SieveError as error:
            assert error.kind == "validation", error
        else:
            raise AssertionError("hostile script compiled")
        assert time.monotonic() - started < TIME_BOUND
