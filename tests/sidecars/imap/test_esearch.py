"""ESEARCH (RFC 4731): SEARCH RETURN (MIN MAX COUNT ALL), the ``* ESEARCH (TAG "...")`` reply and its UID
form, and that no plain ``* SEARCH`` comes with it."""

from __future__ import annotations

import pytest

from tests.sidecars.imap.conftest import Raw, fetches, parse, plain


def seq_set(value: object) -> list[int]:
    out: list[int] = []
    for part in str(value).split(","):
        lo, _, hi = part.partition(":")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


@pytest.fixture
def box(client: Raw, folder: str) -> Raw:
    client.append(folder, plain("e1"), flags="\\Seen")
    for n in range(2, 6):
        client.append(folder, plain(f"e{n}"))
    client.append(folder, plain("e6"), flags="\\Seen")
    client.select(folder)
    return client


def esearch(conn: Raw, command: str) -> tuple[bytes, dict[str, object], list[object]]:
    tag = conn.next_tag()
    reply = conn.command(command, tag=tag)
    assert reply.ok, reply
    assert not reply.named("SEARCH"), reply  # RFC 4731 3.1: ESEARCH replaces SEARCH
    (line,) = reply.named("ESEARCH")
    values = parse(line)
    assert values[:2] == ["*", "ESEARCH"] and values[2] == ["TAG", tag.encode()], line
    rest = values[3:]
    uid = bool(rest) and rest[0] == "UID"
    if uid:
        rest = rest[1:]
    items = {str(rest[i]).upper(): rest[i + 1] for i in range(0, len(rest), 2)}
    return line, items, ["UID"] if uid else []


def test_min_max_count_all(box: Raw) -> None:
    _, items, uid = esearch(box, "SEARCH RETURN (MIN MAX COUNT ALL) UNSEEN")
    assert not uid
    assert items["MIN"] == 2 and items["MAX"] == 5 and items["COUNT"] == 4
    assert seq_set(items["ALL"]) == [2, 3, 4, 5]


def test_exact_reply_form(box: Raw) -> None:
    tag = box.next_tag()
    reply = box.command("SEARCH RETURN (COUNT) SEEN", tag=tag)
    assert reply.named("ESEARCH") == [f'* ESEARCH (TAG "{tag}") COUNT 2'.encode()]


def test_empty_return_means_all(box: Raw) -> None:
    _, items, _ = esearch(box, "SEARCH RETURN () SEEN")
    assert set(items) == {"ALL"} and seq_set(items["ALL"]) == [1, 6]  # RFC 4731 3.1


def test_no_match_gives_count_zero_only(box: Raw) -> None:
    _, items, _ = esearch(box, "SEARCH RETURN (MIN MAX COUNT ALL) SUBJECT nothing-like-this")
    assert items == {"COUNT": 0}  # RFC 4731 3.1: MIN, MAX and ALL are left out


def test_uid_esearch(box: Raw) -> None:
    uids = {seq: items["UID"] for seq, items in fetches(box.command("FETCH 1:* UID")).items()}
    _, items, uid = esearch(box, "UID SEARCH RETURN (MIN MAX) SEEN")
    assert uid == ["UID"]
    assert items == {"MIN": uids[1], "MAX": uids[6]}


def test_unknown_return_option_is_bad(box: Raw) -> None:
    assert box.command("SEARCH RETURN (BOGUS) ALL").status == "BAD"


def test_searchres_save_and_dollar(box: Raw) -> None:
    reply = box.command("SEARCH RETURN (SAVE) UNSEEN")
    assert reply.ok and not reply.named("ESEARCH") and not reply.named("SEARCH"), reply  # RFC 5182 2.1
    assert sorted(fetches(box.command("FETCH $ UID"))) == [2, 3, 4, 5]
    _, items, _ = esearch(box, "SEARCH RETURN (SAVE MIN) SEEN")
    assert items == {"MIN": 1}
    assert sorted(fetches(box.command("FETCH $ UID"))) == [1, 6]


def test_modseq_is_that_of_the_messages_returned(box: Raw) -> None:
    """RFC 7162 3.1.5 with RFC 4731: MIN and MAX report their message's mod-sequence (the higher of the
    two with both), ALL and COUNT the highest of every match."""
    box.command("FETCH 1 MODSEQ")  # turns CONDSTORE on
    for seq in (1, 3, 2, 4):  # flag changes in this order: modseq(2) > modseq(3) > modseq(1)
        assert box.command(f"STORE {seq} +FLAGS.SILENT ($Mark)").ok
    values = {seq: items["MODSEQ"][0] for seq, items in fetches(box.command("FETCH 1:4 MODSEQ")).items()}  # type: ignore[index]
    low = values[1]
    expected = {
        "RETURN (MIN) 1:3": f"MIN 1 MODSEQ {values[1]}",
        "RETURN (MAX) 1:3": f"MAX 3 MODSEQ {values[3]}",
        "RETURN () 1:3": f"ALL 1:3 MODSEQ {values[2]}",
        "RETURN (MIN MAX) 2:3": f"MIN 2 MAX 3 MODSEQ {values[2]}",
        "RETURN (COUNT) 1:3": f"COUNT 3 MODSEQ {values[2]}",
        "RETURN (MIN COUNT) 1,3": f"MIN 1 COUNT 2 MODSEQ {values[3]}",
    }
    for criteria, answer in expected.items():
        tag = box.next_tag()
        options, _, keys = criteria.partition(") ")
        reply = box.command(f"SEARCH {options}) {keys} MODSEQ {low}", tag=tag)
        assert reply.untagged == [f'* ESEARCH (TAG "{tag}") {answer}'.encode()], (criteria, reply)
