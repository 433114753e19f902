"""SORT ordering (RFC 5256 section 3, RFC 5957 DISPLAYFROM/DISPLAYTO)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sidecars.imap.sorting import SortInput, display_key, mailbox_key, parse_criteria, sort
from sidecars.imap.threads import base_subject
from storage.mime import Address

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def m(num: int, **kw: object) -> SortInput:
    """A message arriving ``num`` minutes after T0, with its Date equal to its arrival by default."""
    arrival = T0 + timedelta(minutes=num)
    fields: dict[str, object] = {"internal_date": arrival, "date": arrival, "size": 100}
    fields.update(kw)
    return SortInput(num=num, **fields)  # type: ignore[arg-type]


def minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


def test_rfc_example_subject_reverse_date() -> None:
    # RFC 5256 section 6 answers "SORT (SUBJECT REVERSE DATE)" with "5 3 4 1 2"
    msgs = [
        m(1, subject="c", date=minutes(50)),
        m(2, subject="Re: c", date=minutes(40)),
        m(3, subject="b", date=minutes(30)),
        m(4, subject="[list] B", date=minutes(20)),
        m(5, subject="a", date=minutes(10)),
    ]
    assert sort(msgs, ["SUBJECT", "REVERSE", "DATE"]) == [5, 3, 4, 1, 2]


def test_reverse_reverses_one_key_and_not_the_sequence_tie_break() -> None:
    msgs = [m(1, subject="x"), m(2, subject="y"), m(3, subject="x"), m(4, subject="y")]
    assert sort(msgs, ["SUBJECT"]) == [1, 3, 2, 4]
    assert sort(msgs, ["REVERSE", "SUBJECT"]) == [2, 4, 1, 3]  # not [4, 2, 3, 1]


def test_arrival_uses_internal_date_only() -> None:
    msgs = [m(1, internal_date=minutes(9), date=minutes(1)), m(2, internal_date=minutes(5), date=minutes(30))]
    assert sort(msgs, ["ARRIVAL"]) == [2, 1]
    assert sort(msgs, ["DATE"]) == [1, 2]


def test_date_falls_back_to_internal_date_and_compares_in_utc() -> None:
    plus5 = timezone(timedelta(hours=5))
    msgs = [
        m(1, date=datetime(2024, 3, 1, 16, 0, tzinfo=plus5)),  # 11:00 UTC
        m(2, date=None, internal_date=minutes(-30)),  # no Date header: 11:30 UTC
        m(3, date=datetime(2024, 3, 1, 11, 45)),  # naive: taken as UTC
        m(4, date=minutes(-60)),  # 11:00 UTC, same instant as 1
    ]
    assert sort(msgs, ["DATE"]) == [1, 4, 2, 3]
    assert sort(msgs, ["REVERSE", "DATE"]) == [3, 2, 1, 4]


def test_size_and_multiple_keys() -> None:
    msgs = [m(1, size=300), m(2, size=100), m(3, size=300, subject="a"), m(4, size=200)]
    assert sort(msgs, ["SIZE"]) == [2, 4, 1, 3]
    assert sort(msgs, ["REVERSE", "SIZE", "SUBJECT"]) == [1, 3, 4, 2]
    assert sort(msgs, ["reverse", "size", "reverse", "subject"]) == [3, 1, 4, 2]


def test_subject_uses_base_subject_and_ascii_casemap() -> None:
    msgs = [
        m(1, subject="Re: banana"),
        m(2, subject="=?UTF-8?Q?=C3=A9clair?="),  # "éclair": non-ASCII sorts after ASCII letters
        m(3, subject="[shop] Apple"),
        m(4, subject="cherry (fwd)"),
        m(5, subject=None),
        m(6, subject="BANANA"),
        m(7, subject="Éclair"),  # "É" (C3 89) is not folded and sorts before "é" (C3 A9)
        m(8, subject="zebra"),
    ]
    assert sort(msgs, ["SUBJECT"]) == [5, 3, 1, 6, 4, 8, 7, 2]


def box(*specs: str) -> tuple[Address, ...]:
    """ENVELOPE addresses from short specs: "name|local@host", "local@host", "Team:" (group start),
    ";" (group end)."""
    out = []
    for spec in specs:
        if spec == ";":
            out.append(Address(None, None, None, None))
        elif spec.endswith(":"):
            out.append(Address(None, None, spec[:-1], None))
        else:
            name, _, addr = spec.rpartition("|")
            local, _, host = addr.rpartition("@")
            out.append(Address(name or None, None, local, host))
    return tuple(out)


def test_address_keys_compare_the_mailbox_of_the_first_address() -> None:
    msgs = [
        m(1, from_=box("zed@aaa.example"), to=box("b@x"), cc=()),
        m(2, from_=box("Amy@zzz.example"), to=box("a@y"), cc=box("c@x")),
        m(3, from_=(), to=box("A@z"), cc=box("b@x")),
        m(4, from_=box("bob@mmm.example"), to=(), cc=box('odd@"local@x')),
    ]
    assert sort(msgs, ["FROM"]) == [3, 2, 4, 1]
    assert sort(msgs, ["TO"]) == [4, 2, 3, 1]
    assert sort(msgs, ["CC"]) == [1, 3, 2, 4]
    assert sort(msgs, ["REVERSE", "FROM"]) == [1, 4, 2, 3]
    # ENVELOPE mailboxes are unquoted (RFC 3501 9 addr-mailbox): 'y"z' < 'yz' < 'zz'
    quoted = [m(1, from_=box("zz@a")), m(2, from_=box('y"z@a')), m(3, from_=box("yz@a"))]
    assert sort(quoted, ["FROM"]) == [2, 3, 1]


def test_cc_key_is_the_first_address_structure_so_a_group_sorts_by_its_name() -> None:
    # RFC 5256 3: "addr-mailbox of the first cc address"; RFC 3501 7.4.2: a group's first address
    # is its start marker, whose addr-mailbox is the group name
    msgs = [
        m(1, cc=box("Zeta|carol@x")),  # the display name does not count: "CAROL"
        m(2, cc=box("undisclosed-recipients:", ";")),  # "UNDISCLOSED-RECIPIENTS"
        m(3, cc=()),  # no Cc: ""
        m(4, cc=box("Team:", "aaron@x", ";")),  # "TEAM", not "AARON"
        m(5, cc=box("Bob@x", "aaron@x")),  # only the first address: "BOB"
    ]
    assert sort(msgs, ["CC"]) == [3, 5, 1, 4, 2]


def test_display_keys_use_the_name_else_the_addr_spec_else_the_group_name() -> None:
    msgs = [
        m(1, from_=box("Adam Zed|zoe@example.com")),
        m(2, from_=box("bob@example.com")),
        m(3, from_=box("  |al@example.com")),  # a non-empty name counts, even blank (RFC 5957 3)
        m(4, from_=()),
        m(5, from_=box("Ángel|x@example.com")),
        m(6, from_=box("=?utf-8?q?Carl?=|a@example.com")),  # RFC 2047 words decoded first
    ]
    assert sort(msgs, ["DISPLAYFROM"]) == [4, 3, 1, 2, 6, 5]
    to = [
        m(1, to=box("Carol|b@x")),
        m(2, to=box("carol|d@x")),
        m(3, to=box("a@x")),
        m(4, to=box("Team:", "Aaron|aaron@x", ";")),  # the group marker is the first address: "TEAM"
        m(5, to=box("Zed|z@x", "Adam|a@x")),
        m(6, to=()),
        m(7, to=box("undisclosed-recipients:", ";")),
    ]
    assert sort(to, ["DISPLAYTO"]) == [6, 3, 1, 2, 4, 7, 5]
    assert display_key(box("=?utf-8?q?=C3=A9mile?=|e@x")) == "éMILE"
    assert display_key(box("Team:", ";")) == "TEAM"
    assert mailbox_key(box("Name|Mixed.Case@x")) == "MIXED.CASE"


def test_empty_input() -> None:
    assert sort([], ["DATE"]) == []


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        ([], "at least one"),
        (["REVERSE"], "followed by a sort key"),
        (["REVERSE", "REVERSE", "DATE"], "not another REVERSE"),
        (["DATE", "REVERSE"], "followed by a sort key"),
        (["BOGUS"], "unknown sort key"),
        (["SUBJECT", "ALL"], "unknown sort key"),
    ],
)
def test_bad_criteria_are_rejected_with_a_reason(criteria: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sort([m(1)], criteria)


def test_parse_criteria() -> None:
    assert parse_criteria(["Reverse", "Date", "displayFrom"]) == [("DATE", True), ("DISPLAYFROM", False)]


KEYS = ["ARRIVAL", "DATE", "SIZE", "SUBJECT", "FROM", "TO", "CC", "DISPLAYFROM", "DISPLAYTO"]
names = st.sampled_from(["", "a", "B", "b", "Re: a", "é", None])
addr_lists = st.sampled_from(
    [(), box("a@x"), box("A@y"), box("b@x"), box("é@x"), box("Z|b@x"), box("a|c@x"), box("T:", "b@x", ";")]
)
messages = st.lists(
    st.builds(
        lambda num, arrival, date, size, subject, f, t, c: m(
            num,
            internal_date=minutes(arrival),
            date=None if date is None else minutes(date),
            size=size,
            subject=subject,
            from_=f,
            to=t,
            cc=c,
        ),
        st.integers(1, 10**6),
        st.integers(0, 3),
        st.one_of(st.none(), st.integers(0, 3)),
        st.integers(0, 3),
        names,
        addr_lists,
        addr_lists,
        addr_lists,
    ),
    max_size=15,
    unique_by=lambda x: x.num,
)
criteria_lists = st.lists(st.tuples(st.booleans(), st.sampled_from(KEYS)), min_size=1, max_size=4)


def _subject_key(s: str | None) -> str:
    return base_subject(s).translate(
        str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    )


def _key(msg: SortInput, key: str) -> object:
    """An independent statement of each key, for checking adjacent pairs of the output."""
    up = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")

    def local(lst: tuple[Address, ...]) -> str:
        return (lst[0].mailbox or "").translate(up) if lst else ""

    def display(lst: tuple[Address, ...]) -> str:
        if not lst:
            return ""
        a = lst[0]
        spec = f"{a.mailbox}@{a.host}" if a.host is not None else a.mailbox or ""
        return (a.name or spec).translate(up)

    return {
        "ARRIVAL": msg.internal_date,
        "DATE": msg.date or msg.internal_date,
        "SIZE": msg.size,
        "SUBJECT": _subject_key(msg.subject),
        "FROM": local(msg.from_),
        "TO": local(msg.to),
        "CC": local(msg.cc),
        "DISPLAYFROM": display(msg.from_),
        "DISPLAYTO": display(msg.to),
    }[key]


@given(messages, criteria_lists)
def test_every_adjacent_pair_is_in_criteria_order(
    msgs: list[SortInput], crit: list[tuple[bool, str]]
) -> None:
    words = [w for reverse, key in crit for w in (["REVERSE", key] if reverse else [key])]
    result = sort(msgs, words)
    assert sorted(result) == sorted(x.num for x in msgs)
    by_num = {x.num: x for x in msgs}
    for a, b in zip(result, result[1:], strict=False):
        for reverse, key in crit:
            ka, kb = _key(by_num[a], key), _key(by_num[b], key)
            if ka != kb:
                assert (ka > kb) if reverse else (ka < kb), (key, reverse, ka, kb)  # type: ignore[operator]
                break
        else:
            assert a < b
