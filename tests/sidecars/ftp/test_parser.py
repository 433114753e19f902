"""FTP text (sidecars/ftp/parser.py): command lines, addresses, times, facts and message file names."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sidecars.ftp import parser as P


def test_command_lines() -> None:
    assert P.parse_line(b"retr 1,S.eml") == P.Command("RETR", "1,S.eml")
    assert P.parse_line(b"PWD") == P.Command("PWD", "")
    assert P.parse_line("CWD /é/x y".encode()) == P.Command("CWD", "/é/x y")
    for bad in (b"", b" NOOP", b"NO0P", b"RETR a\x00b", b"\xff\xfe", b"X" * (P.MAX_LINE + 1)):
        with pytest.raises(P.ParseError):
            P.parse_line(bad)


@given(st.binary(max_size=200))
def test_any_line_parses_or_is_refused_cleanly(data: bytes) -> None:
    try:
        command = P.parse_line(data)
    except P.ParseError as exc:
        assert str(exc)
        return
    assert command.verb.isupper() and command.verb.isalpha()


@given(st.text(max_size=60))
def test_resolved_paths_never_climb_above_the_root(arg: str) -> None:
    path = P.resolve(("a", "b"), arg)
    assert all(part not in ("", ".", "..") and "/" not in part for part in path)


def test_paths() -> None:
    assert P.resolve(("d",), "accounts/alice") == ("d", "accounts", "alice")
    assert P.resolve(("d", "x"), "../../..") == ()
    assert P.resolve(("d",), "/e//f/./g") == ("e", "f", "g")
    assert P.quoted(("a", 'q"t')) == '"/a/q""t"'


def test_data_addresses() -> None:
    assert P.parse_port("127,0,0,1,4,1") == ("127.0.0.1", 1025)
    assert P.format_pasv("127.0.0.1", 1025) == "127,0,0,1,4,1"
    assert P.parse_eprt("|1|127.0.0.1|6275|") == ("127.0.0.1", 6275)
    assert P.parse_eprt("!2!::1!6275!") == ("::1", 6275)
    assert P.format_epsv(6446) == "Entering Extended Passive Mode (|||6446|)"
    for bad in ("1,2,3", "256,0,0,1,1,1", "127,0,0,1,0,0", "a,b,c,d,e,f"):
        with pytest.raises(P.ParseError):
            P.parse_port(bad)
    for bad in ("|3|x|1|", "|1|::1|80|", "|1|1.2.3.4|0|", "|1|1.2.3.4|99999|", "x"):
        with pytest.raises(P.ParseError):
            P.parse_eprt(bad)


def test_times() -> None:
    when = datetime(2024, 2, 29, 13, 5, 9, tzinfo=UTC)
    assert P.format_time(when) == "20240229130509"
    assert P.parse_time("20240229130509") == when
    assert P.parse_time("20240229130509.123") == when
    for bad in ("2024", "20230229130509", "x0240229130509"):
        with pytest.raises(P.ParseError):
            P.parse_time(bad)


def test_facts_and_list_lines() -> None:
    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert (
        P.facts(P.Entry("1,S.eml", False, 42, when))
        == "type=file;size=42;modify=20240102030405;perm=rw; 1,S.eml"
    )
    assert P.facts(P.Entry("INBOX", True, 0, when)).startswith("type=dir;")
    line = P.list_line(P.Entry("x.json", False, 7, when), when)
    assert line.startswith("-rw-r--r--") and line.endswith(" x.json")


def test_message_names_round_trip() -> None:
    flags = frozenset({"\\Seen", "\\Flagged", "$Label1", "a.b", "x%y"})
    name = P.message_name(12, flags)
    assert name == "12,SF,$Label1.a%2Eb.x%25y.eml"
    assert P.parse_message_name(name) == (12, flags)
    assert P.parse_message_name("7,.eml") == (7, frozenset())
    assert P.parse_message_name("holiday.eml") == (None, frozenset())  # a message to add with a new UID
    assert P.parse_message_name("account.json") is None


@given(
    st.integers(1, 10**12),
    st.sets(
        st.sampled_from(
            ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft", "$Junk", "Work.2", "a-b_c"]
        )
    ),
)
def test_any_flags_survive_the_name(uid: int, flags: set[str]) -> None:
    assert P.parse_message_name(P.message_name(uid, frozenset(flags))) == (uid, frozenset(flags))
