"""RFC 5256 base subject, ORDEREDSUBJECT and REFERENCES threading, and the THREAD response syntax."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sidecars.imap.threads import (
    Thread,
    ThreadInput,
    base_subject,
    extract_base_subject,
    format_threads,
    thread_orderedsubject,
    thread_references,
)

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)

SUBJECTS = [
    # (raw Subject, base subject, is reply or forward) -- RFC 5256 section 2.1 and section 5 ABNF
    ("hello", "hello", False),
    ("Re: hello", "hello", True),
    ("RE: Re: re: hello", "hello", True),
    ("re:re:hello", "hello", True),
    ("Re : hello", "hello", True),
    ("Fwd: hello", "hello", True),
    ("FW: hello", "hello", True),
    ("fw:hello", "hello", True),
    ("Re[2]: hello", "hello", True),
    ("Fwd [list]: hello", "hello", True),
    ("[PATCH] Re: hello", "hello", True),
    ("[a][b] Re: [c] hello", "hello", True),
    ("[PATCH] hello", "hello", False),
    ("[PATCH]", "[PATCH]", False),
    ("[a] [b]", "[b]", False),
    ("hello (fwd)", "hello", True),
    ("hello (fwd) (FWD)  ", "hello", True),
    ("hello (fwd) inside", "hello (fwd) inside", False),
    ("[Fwd: hello]", "hello", True),
    ("Re: [Fwd: hello]", "hello", True),
    ("[Fwd: Re: [list] hello (fwd)]", "hello", True),
    ("Re: [Fwd: [Fwd: x]]", "x", True),
    ("[fwd: x] y", "y", False),  # a subj-blob prefix, not a subj-fwd wrapper
    ("Reply: hello", "Reply: hello", False),
    ("Refactor: hello", "Refactor: hello", False),
    ("Re:", "", True),
    ("", "", False),
    ("   ", "", False),
    ("Re:\r\n\thello \t  world", "hello world", True),  # continuation, tab and space runs collapse
    ("=?UTF-8?Q?Re=3A_caf=C3=A9?=", "café", True),  # RFC 2047 decoding happens first
    ("=?ISO-8859-1?B?SGVsbG8gV/ZybGQ=?=", "Hello Wörld", False),
    ("Re: =?UTF-8?B?0J/RgNC40LLQtdGC?= (fwd)", "Привет", True),
]


@pytest.mark.parametrize(("raw", "base", "reply"), SUBJECTS)
def test_base_subject(raw: str, base: str, reply: bool) -> None:
    assert extract_base_subject(raw) == (base, reply)
    assert base_subject(raw) == base


def test_base_subject_of_missing_subject() -> None:
    assert extract_base_subject(None) == ("", False)


subject_text = st.text(st.sampled_from(list("Re:Fwd[]() ab\t")), max_size=30)


@given(subject_text)
def test_base_subject_is_idempotent_and_trimmed(raw: str) -> None:
    base = base_subject(raw)
    assert base_subject(base) == base
    assert base == base.strip(" ")
    assert "  " not in base and "\t" not in base


def reference_base_subject(subject: str) -> tuple[str, bool]:
    """RFC 5256 2.1 steps 2-7 read literally, one removal at a time on copies (quadratic; small inputs)."""
    blob = r"\[[^\[\]]*\] *"
    leader = re.compile(rf"(?:{blob})*(?:re|fwd?) *(?:{blob})?:| ", re.I | re.A)
    text, is_reply = re.sub(r"[ \t\r\n]+", " ", subject), False
    while True:
        while True:
            if text.endswith(" "):
                text = text[:-1]
            elif text[-5:].lower() == "(fwd)":
                text, is_reply = text[:-5], True
            else:
                break
        while True:
            m = leader.match(text)
            if m:
                is_reply, text = is_reply or m.group() != " ", text[m.end() :]
                continue
            m = re.match(blob, text)
            if m and m.end() < len(text):
                text = text[m.end() :]
                continue
            break
        if text[:5].lower() == "[fwd:" and text.endswith("]"):
            text, is_reply = text[5:-1], True
            continue
        return text, is_reply


subject_tokens = st.lists(
    st.sampled_from(
        ["Re", "re", "Fwd", "fw", ":", " ", "  ", "[a]", "[b] ", "[", "]", "(fwd)", "[Fwd:", "x"]
    ),
    max_size=14,
).map("".join)


@settings(max_examples=1500, deadline=None)
@given(subject_tokens)
def test_base_subject_agrees_with_the_step_by_step_reading(raw: str) -> None:
    assert extract_base_subject(raw) == reference_base_subject(raw)


@pytest.mark.parametrize(
    "raw",
    ["[a]" * 30000 + "x", "Re: " * 30000 + "x", "x" + " (fwd)" * 30000, "[Fwd: " * 30000 + "x" + "]" * 30000,
     "[a] " * 30000 + "Re x"],
)  # fmt: skip
def test_base_subject_of_a_huge_hostile_subject_is_fast(raw: str) -> None:
    """A sender writes the Subject; with a copy per removed blob, 16,000 "[a]"s took 18 s of the imap
    process for one SORT (SUBJECT) or THREAD."""
    started = time.monotonic()
    base_subject(raw)
    assert time.monotonic() - started < 1.0


# --- helpers for threading tests -------------------------------------------------------------


def msg(
    num: int,
    subject: str = "topic",
    *,
    minute: int | None = None,
    mid: str | None = "auto",
    refs: str = "",
    irt: str | None = None,
    date: datetime | None | str = "auto",
) -> ThreadInput:
    """A message whose sent date is T0 + ``minute`` (default: its number) minutes."""
    sent = T0 + timedelta(minutes=num if minute is None else minute)
    return ThreadInput(
        num=num,
        subject=subject,
        date=sent if date == "auto" else date,  # type: ignore[arg-type]
        internal_date=sent if date == "auto" else T0 + timedelta(days=1, minutes=num),
        message_id=f"<{num}@example.org>" if mid == "auto" else mid,
        in_reply_to=irt,
        references=tuple(refs.split()),
    )


def ids(*nums: int) -> str:
    return " ".join(f"<{n}@example.org>" for n in nums)


def refs_thread(msgs: list[ThreadInput]) -> bytes:
    return format_threads(thread_references(msgs))


def os_thread(msgs: list[ThreadInput]) -> bytes:
    return format_threads(thread_orderedsubject(msgs))


# --- the THREAD response syntax (RFC 5256 section 4) ----------------------------------------


def test_format_rfc_examples() -> None:
    rfc = [
        Thread(2),
        Thread(3, [Thread(6, [Thread(4, [Thread(23)]), Thread(44, [Thread(7, [Thread(96)])])])]),
    ]
    assert format_threads(rfc) == b"(2)(3 6 (4 23)(44 7 96))"
    assert format_threads([Thread(None, [Thread(3), Thread(5)])]) == b"((3)(5))"
    assert format_threads([]) == b""


# --- REFERENCES (RFC 5256 section 3) --------------------------------------------------------


def test_references_rebuilds_the_rfc_example_tree() -> None:
    msgs = [
        msg(2, "other"),
        msg(3),
        msg(6, "Re: topic", refs=ids(3)),
        msg(4, "Re: topic", minute=10, refs=ids(3, 6)),
        msg(23, "Re: topic", refs=ids(3, 6, 4)),
        msg(44, "Re: topic", minute=11, refs=ids(3, 6)),
        msg(7, "Re: topic", minute=50, refs=ids(3, 6, 44)),
        msg(96, "Re: topic", refs=ids(3, 6, 44, 7)),
    ]
    assert refs_thread(msgs) == b"(2)(3 6 (4 23)(44 7 96))"
    assert refs_thread(list(reversed(msgs))) == b"(2)(3 6 (4 23)(44 7 96))"


def test_siblings_sort_by_sent_date_not_by_number() -> None:
    msgs = [msg(1), msg(2, "Re: topic", minute=30, refs=ids(1)), msg(3, "Re: topic", minute=20, refs=ids(1))]
    assert refs_thread(msgs) == b"(1 (3)(2))"


def test_equal_dates_fall_back_to_sequence_order() -> None:
    msgs = [msg(5, "b", minute=0), msg(4, "a", minute=0), msg(6, "c", minute=0)]
    assert refs_thread(msgs) == b"(4)(5)(6)"


def test_missing_date_uses_internal_date() -> None:
    late = msg(1, "a", date=None)  # internal date is a day after T0
    assert refs_thread([late, msg(2, "b", minute=60)]) == b"(2)(1)"


def test_dates_compare_in_utc() -> None:
    plus2 = timezone(timedelta(hours=2))
    early = msg(1, "a", date=datetime(2024, 3, 1, 13, 30, tzinfo=plus2))  # 11:30 UTC
    assert refs_thread([msg(2, "b", minute=0), early]) == b"(1)(2)"


def test_two_replies_to_a_missing_parent_sit_under_a_dummy() -> None:
    msgs = [msg(3, "Re: gone", refs="<gone@x>"), msg(5, "Re: gone", refs="<gone@x>")]
    assert refs_thread(msgs) == b"((3)(5))"


def test_a_lone_child_of_a_missing_parent_is_promoted_to_the_top() -> None:
    assert refs_thread([msg(3, "Re: gone", refs="<gone@x>")]) == b"(3)"


def test_missing_message_in_the_middle_is_spliced_out() -> None:
    msgs = [
        msg(1),
        msg(2, "Re: topic", refs=ids(1) + " <lost@x>"),
        msg(3, "Re: topic", refs=ids(1) + " <lost@x>"),
    ]
    assert refs_thread(msgs) == b"(1 (2)(3))"


def test_in_reply_to_is_used_without_references_and_garbage_is_ignored() -> None:
    msgs = [msg(1), msg(2, "Re: topic", irt="<1@example.org> (Joe's message of <joe@example.com>)")]
    assert refs_thread(msgs) == b"(1 2)"
    no_valid_refs = [msg(1), msg(2, "Re: topic", refs="garbage words", irt="<1@example.org>")]
    assert refs_thread(no_valid_refs) == b"(1 2)"


def test_references_win_over_in_reply_to() -> None:
    msgs = [msg(1, "a"), msg(2, "b"), msg(3, "Re: b", refs=ids(2), irt="<1@example.org>")]
    assert refs_thread(msgs) == b"(1)(2 3)"


def test_duplicate_message_id_belongs_to_the_lowest_number() -> None:
    msgs = [
        msg(1, "a", mid="<dup@x>"),
        msg(2, "b", mid="<dup@x>"),
        msg(3, "Re: a", refs="<dup@x>"),
    ]
    assert refs_thread(msgs) == b"(1 3)(2)"


def test_messages_without_message_id_still_thread_by_their_references() -> None:
    msgs = [msg(1, "a"), msg(2, "x", mid=None, refs=ids(1)), msg(3, "y", mid="not an id", refs=ids(1))]
    assert refs_thread(msgs) == b"(1 (2)(3))"


def test_message_id_comparison_is_case_sensitive() -> None:
    msgs = [msg(1, "a", mid="<Case@x>"), msg(2, "b", refs="<case@x>")]
    assert refs_thread(msgs) == b"(1)(2)"


def test_reference_loops_are_not_created() -> None:
    msgs = [msg(1, "a", refs=ids(2)), msg(2, "b", refs=ids(1))]
    assert refs_thread(msgs) == b"(2 1)"
    assert refs_thread([msg(1, "a", refs=ids(1))]) == b"(1)"
    assert refs_thread([msg(1, "a"), msg(2, "b", refs=ids(1, 2, 1))]) == b"(1 2)"


def test_existing_parent_is_kept_for_truncated_references() -> None:
    msgs = [
        msg(1, "a"),
        msg(2, "b"),
        msg(3, "Re: a", refs=ids(1)),
        msg(4, "Re: b", refs=ids(2, 3)),  # claims 3 is a child of 2; 3's own header says 1
    ]
    assert refs_thread(msgs) == b"(1 3 4)(2)"


def test_own_references_replace_a_parent_guessed_from_another_message() -> None:
    # message 2 claims 3 is a child of 1; message 3 itself has no references, so it is a root
    msgs = [msg(1, "a"), msg(2, "Re: b", refs=ids(1, 3)), msg(3, "b")]
    assert refs_thread(msgs) == b"(1)(3 2)"
    # message 2 (a reply to 4) guesses 4 under 3; message 4's own References put it under 1
    msgs = [
        msg(1, "a"),
        msg(2, "Re: a", refs=ids(1, 3, 4)),
        msg(3, "Re: a", refs=ids(1)),
        msg(4, "Re: a", refs=ids(1)),
    ]
    assert refs_thread(msgs) == b"(1 (3)(4 2))"


def test_threads_with_the_same_subject_merge_under_the_original() -> None:
    msgs = [msg(1, "Re: lunch"), msg(2, "lunch", minute=5), msg(3, "Re: lunch", minute=9)]
    assert refs_thread(msgs) == b"(2 (1)(3))"


def test_two_originals_with_the_same_subject_share_a_dummy() -> None:
    assert refs_thread([msg(1, "lunch"), msg(2, "Lunch")]) == b"((1)(2))"
    assert refs_thread([msg(1, "Re: lunch"), msg(2, "re: lunch")]) == b"((1)(2))"


def test_a_dummy_thread_absorbs_same_subject_threads() -> None:
    msgs = [
        msg(3, "Re: gone", refs="<gone@x>"),
        msg(5, "Re: gone", refs="<gone@x>"),
        msg(7, "gone"),
        msg(8, "Re: gone", refs="<other@x>"),
        msg(9, "Re: gone", refs="<other@x>"),
    ]
    assert refs_thread(msgs) == b"((3)(5)(7)(8)(9))"


def test_empty_subjects_never_merge() -> None:
    assert refs_thread([msg(1, ""), msg(2, "Re:"), msg(3, "")]) == b"(1)(2)(3)"


def test_deep_chains_do_not_recurse() -> None:
    depth = 5000
    msgs = [msg(1)] + [msg(n, "Re: topic", refs=ids(n - 1)) for n in range(2, depth + 1)]
    assert refs_thread(msgs) == ("(" + " ".join(str(n) for n in range(1, depth + 1)) + ")").encode()
    # a binary-ish comb: every message has two replies, the later of which continues the chain
    comb = [msg(1)]
    for n in range(2, 4000, 2):
        comb += [
            msg(n, "Re: topic", refs=ids(n - 1 if n > 2 else 1)),
            msg(n + 1, "Re: topic", refs=ids(n - 1 if n > 2 else 1)),
        ]
    assert refs_thread(comb).count(b"(") == refs_thread(comb).count(b")")


# --- ORDEREDSUBJECT (RFC 5256 section 3) ----------------------------------------------------


def test_orderedsubject_rfc_style_example() -> None:
    msgs = [
        msg(174, "budget", minute=1),
        msg(175, "Re: budget", minute=2),
        msg(176, "RE: budget", minute=3),
        msg(178, "Fwd: budget", minute=4),
        msg(181, "re: Budget", minute=5),
        msg(180, "[team] budget", minute=6),
        msg(179, "solo", minute=7),
        msg(194, "pair", minute=8),
        msg(195, "Re: pair", minute=9),
    ]
    assert os_thread(msgs) == b"(174 (175)(176)(178)(181)(180))(179)(194 195)"


def test_orderedsubject_orders_threads_by_their_first_message() -> None:
    msgs = [msg(1, "b", minute=5), msg(2, "a", minute=9), msg(3, "Re: b", minute=1), msg(4, "c", minute=3)]
    assert os_thread(msgs) == b"(3 1)(4)(2)"


def test_orderedsubject_groups_empty_subjects_together() -> None:
    assert os_thread([msg(1, ""), msg(2, "x"), msg(3, "Re:")]) == b"(1 3)(2)"


# --- properties -----------------------------------------------------------------------------

_TOKEN = re.compile(rb"\d+|[() ]")


def parse_thread_list(data: bytes) -> list[int]:
    """A strict reader of RFC 5256 ``thread-list``s; returns the numbers in order of appearance."""
    pos = 0
    nums: list[int] = []

    def number() -> int:
        nonlocal pos
        m = re.compile(rb"[1-9]\d*").match(data, pos)
        assert m, f"number expected at {pos}: {data!r}"
        pos = m.end()
        return int(m.group())

    def thread_list() -> None:
        nonlocal pos
        assert data[pos : pos + 1] == b"(", data
        pos += 1
        if data[pos : pos + 1] == b"(":
            nested()
        else:
            nums.append(number())
            while data[pos : pos + 1] == b" ":
                pos += 1
                if data[pos : pos + 1] == b"(":
                    nested()
                    break
                nums.append(number())
        assert data[pos : pos + 1] == b")", data
        pos += 1

    def nested() -> None:
        count = 0
        while data[pos : pos + 1] == b"(":
            thread_list()
            count += 1
        assert count >= 2, f"thread-nested needs two thread-lists: {data!r}"

    while pos < len(data):
        thread_list()
    return nums


message_sets = st.lists(
    st.tuples(
        st.sampled_from(["a", "Re: a", "b", "Fwd: b", "", "[x] a"]),
        st.integers(0, 5),
        st.lists(st.integers(1, 12), max_size=4),
        st.booleans(),
        st.integers(1, 12),
    ),
    max_size=12,
)


def build(spec: list[tuple[str, int, list[int], bool, int]]) -> list[ThreadInput]:
    return [
        msg(n, subject, minute=minute, refs=ids(*refs), mid=f"<{mid}@example.org>" if own else None)
        for n, (subject, minute, refs, own, mid) in enumerate(spec, start=1)
    ]


@settings(max_examples=300)
@given(message_sets, st.randoms())
def test_references_output_is_well_formed_complete_and_order_independent(spec, rnd) -> None:  # type: ignore[no-untyped-def]
    msgs = build(spec)
    out = refs_thread(msgs)
    assert sorted(parse_thread_list(out)) == list(range(1, len(msgs) + 1))
    shuffled = list(msgs)
    rnd.shuffle(shuffled)
    assert refs_thread(shuffled) == out


@given(message_sets)
def test_orderedsubject_output_is_flat_well_formed_and_complete(spec) -> None:  # type: ignore[no-untyped-def]
    msgs = build(spec)
    threads = thread_orderedsubject(msgs)
    assert all(not child.children for t in threads for child in t.children)
    assert sorted(parse_thread_list(format_threads(threads))) == list(range(1, len(msgs) + 1))
    subjects = [base_subject(m.subject).upper() for m in msgs]
    assert len(threads) == len(set(subjects))
