"""Byte-exact transcripts of LIST/LSUB against the sans-IO session: atoms with every ATOM-CHAR (RFC 3501
9) and the RECURSIVEMATCH examples of RFC 5258 5 (examples 8, 9 and 10).

How the server's answers differ from the RFC's example text, all as the RFC allows: mailbox names go out
as atoms when they are atoms; \\HasChildren / \\HasNoChildren are sent even when CHILDREN was not asked
(RFC 5258 4: "a server MAY provide it even if the option is not specified"); responses come in name
order; parents always exist in this storage (CREATE makes them), so "qux2" of example 9 is a mailbox.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import open_store
from storage.store import Store
from tests.sidecars.imap.test_session_transcript import ALICE, PASSWORD, Client

EVERY_ATOM_CHAR = "!#$&'+,-.0123456789:;<=>?@^_`|[}"  # the compliance suite's name (RFC 3501 9 ATOM-CHAR)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("imap-list-template")
    store = open_store(f"sqlite:///{root / 'db.sqlite3'}", root / "blobs")
    store.domains.add("example.test")
    store.accounts.add(ALICE, PASSWORD)
    store.close()
    return root


@pytest.fixture
def store(template: Path, tmp_path: Path) -> Iterator[Store]:
    shutil.copyfile(template / "db.sqlite3", tmp_path / "db.sqlite3")
    shutil.copytree(template / "blobs", tmp_path / "blobs")
    opened = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "blobs")
    yield opened
    opened.close()


@pytest.fixture
def alice(store: Store) -> Client:
    client = Client(store)
    client.login()
    return client


def setup(c: Client, folders: list[str], subscribed: list[str]) -> None:
    """Create the folders, then subscribe exactly the given names (the standard folders unsubscribed)."""
    for name in folders:
        assert c.cmd(f"c CREATE {name}") == "c OK CREATE completed\r\n", name
    for name in ("INBOX", "Archive", "Drafts", "Junk", "Sent", "Trash"):
        assert c.cmd(f"u UNSUBSCRIBE {name}") == "u OK UNSUBSCRIBE completed\r\n"
    for name in subscribed:
        assert c.cmd(f"s SUBSCRIBE {name}") == "s OK SUBSCRIBE completed\r\n", name


# -- RFC 3501 9: "[" is an ATOM-CHAR, "]" an ASTRING-CHAR -------------------------------------------------


def test_select_of_a_name_with_every_atom_char_is_no(alice: Client) -> None:
    reply = alice.cmd(f"a SELECT {EVERY_ATOM_CHAR}")
    # the name parses (no BAD) and names no mailbox; "&'" is not modified UTF-7, which the text may say
    assert reply.startswith("a NO [NONEXISTENT] ") and reply.count("\r\n") == 1, reply
    assert alice.cmd("b SELECT a]b") == "b NO [NONEXISTENT] no such mailbox\r\n"
    assert alice.cmd("c NOOP") == "c OK NOOP completed\r\n"


def test_list_of_a_pattern_with_every_atom_char_and_wildcards_is_ok_and_empty(alice: Client) -> None:
    assert alice.cmd(f'a LIST "" {EVERY_ATOM_CHAR}%*') == "a OK LIST completed\r\n"
    assert alice.cmd(f'b LSUB "" {EVERY_ATOM_CHAR}%*') == "b OK LSUB completed\r\n"
    assert alice.cmd('c LIST "" ]%') == "c OK LIST completed\r\n"
    assert not alice.last_close
    assert alice.cmd("d NOOP") == "d OK NOOP completed\r\n"


def test_brackets_in_mailbox_names_round_trip(alice: Client) -> None:
    assert alice.cmd("a CREATE x[1") == "a OK CREATE completed\r\n"
    assert alice.cmd("b CREATE BODY[") == "b OK CREATE completed\r\n"
    assert alice.cmd('c LIST "" x[%') == '* LIST (\\HasNoChildren) "/" x[1\r\nc OK LIST completed\r\n'
    assert alice.cmd('d LIST "" BODY[') == '* LIST (\\HasNoChildren) "/" BODY[\r\nd OK LIST completed\r\n'
    assert alice.cmd("e EXAMINE x[1").endswith("e OK [READ-ONLY] EXAMINE completed\r\n")


# -- RFC 5258 5, example 8 ---------------------------------------------------------------------------------

EXAMPLE_8 = ["Foo", "Foo/Bar", "Foo/Baz", "Moo"]


def test_rfc5258_example_8a_unsubscribed_parent_of_a_subscribed_child(alice: Client) -> None:
    setup(alice, EXAMPLE_8, ["Foo/Baz"])
    assert alice.cmd('C02 LIST (SUBSCRIBED) "" "*"') == (
        '* LIST (\\HasNoChildren \\Subscribed) "/" Foo/Baz\r\nC02 OK LIST completed\r\n'
    )
    assert alice.cmd('C03 LIST (SUBSCRIBED) "" "%"') == "C03 OK LIST completed\r\n"
    assert alice.cmd('C04 LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"') == (
        '* LIST (\\HasChildren) "/" Foo ("CHILDINFO" ("SUBSCRIBED"))\r\nC04 OK LIST completed\r\n'
    )


def test_rfc5258_example_8a1_subscribed_parent_keeps_childinfo(alice: Client) -> None:
    setup(alice, EXAMPLE_8, ["Foo/Baz", "Foo"])
    assert alice.cmd('C04 LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"') == (
        '* LIST (\\HasChildren \\Subscribed) "/" Foo ("CHILDINFO" ("SUBSCRIBED"))\r\nC04 OK LIST completed\r\n'
    )


def test_rfc5258_example_8a2_missing_parent_is_nonexistent(alice: Client) -> None:
    setup(alice, EXAMPLE_8, ["Foo/Baz"])
    for name in ("Foo/Bar", "Foo/Baz", "Foo"):
        assert alice.cmd(f"d DELETE {name}") == "d OK DELETE completed\r\n"
    assert alice.cmd('C04 LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"') == (
        '* LIST (\\NonExistent \\HasNoChildren) "/" Foo ("CHILDINFO" ("SUBSCRIBED"))\r\n'
        "C04 OK LIST completed\r\n"
    )
    # RFC 3501 6.3.9: LSUB "%" shows the missing parent of a subscribed name as \Noselect
    assert alice.cmd('L LSUB "" "%"') == '* LSUB (\\Noselect) "/" Foo\r\nL OK LSUB completed\r\n'


def test_rfc5258_example_8b_nothing_subscribed_lists_nothing(alice: Client) -> None:
    setup(alice, EXAMPLE_8, [])
    assert alice.cmd('C04 LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"') == "C04 OK LIST completed\r\n"


def test_rfc5258_example_8c_subscribed_parents_without_subscribed_children(alice: Client) -> None:
    setup(alice, EXAMPLE_8, ["Foo", "Moo"])
    assert alice.cmd('C04 LIST (SUBSCRIBED RECURSIVEMATCH) "" "%" RETURN (CHILDREN)') == (
        '* LIST (\\HasChildren \\Subscribed) "/" Foo\r\n'
        '* LIST (\\HasNoChildren \\Subscribed) "/" Moo\r\n'
        "C04 OK LIST completed\r\n"
    )


# -- RFC 5258 5, example 9 ---------------------------------------------------------------------------------

EXAMPLE_9 = ["foo2/bar1", "foo2/bar2", "baz2/bar2", "baz2/bar22", "baz2/bar222", "eps2/mamba", "qux2/bar2"]
EXAMPLE_9_SUBSCRIBED = [*EXAMPLE_9, "eps2"]


def test_rfc5258_example_9_childinfo_only_where_a_subscribed_child_is_not_returned(alice: Client) -> None:
    """foo2 is listed for its subscribed child foo2/bar1 that "*2" does not match; baz2 (and qux2) are not,
    as all their subscribed children are returned themselves (RFC 5258 3.5: servers SHOULD suppress
    redundant CHILDINFO, the lines the example says would violate that are absent); eps2 is subscribed
    and has a subscribed child, so it carries CHILDINFO too."""
    setup(alice, EXAMPLE_9, EXAMPLE_9_SUBSCRIBED)
    assert alice.cmd('D03 LIST (RECURSIVEMATCH SUBSCRIBED) "" "*2"') == (
        '* LIST (\\HasNoChildren \\Subscribed) "/" baz2/bar2\r\n'
        '* LIST (\\HasNoChildren \\Subscribed) "/" baz2/bar22\r\n'
        '* LIST (\\HasNoChildren \\Subscribed) "/" baz2/bar222\r\n'
        '* LIST (\\HasChildren \\Subscribed) "/" eps2 ("CHILDINFO" ("SUBSCRIBED"))\r\n'
        '* LIST (\\HasChildren) "/" foo2 ("CHILDINFO" ("SUBSCRIBED"))\r\n'
        '* LIST (\\HasNoChildren \\Subscribed) "/" foo2/bar2\r\n'
        '* LIST (\\HasNoChildren \\Subscribed) "/" qux2/bar2\r\n'
        "D03 OK LIST completed\r\n"
    )


def test_rfc5258_example_9_star_returns_every_subscribed_name(alice: Client) -> None:
    """With "*" every subscribed child is returned, so only the subscribed parent eps2 carries CHILDINFO
    (the example's foo2 and baz2 lines are the redundant kind 3.5 says servers SHOULD suppress)."""
    setup(alice, EXAMPLE_9, EXAMPLE_9_SUBSCRIBED)
    assert alice.cmd('D04 LIST (RECURSIVEMATCH SUBSCRIBED) "" "*"') == (
        '* LIST (\\HasNoChildren \\Subscribed) "/" baz2/bar2\r\n'
        '* LIST (\\HasNoChildren \\Subscribed) "/" baz2/bar22\r\n'
        '* LIST (\\HasNoChildren \\Subscribed) "/" baz2/bar222\r\n'
        '* LIST (\\HasChildren \\Subscribed) "/" eps2 ("CHILDINFO" ("SUBSCRIBED"))\r\n'
        '* LIST (\\HasNoChildren \\Subscribed) "/" eps2/mamba\r\n'
        '* LIST (\\HasNoChildren \\Subscribed) "/" foo2/bar1\r\n'
        '* LIST (\\HasNoChildren \\Subscribed) "/" foo2/bar2\r\n'
        '* LIST (\\HasNoChildren \\Subscribed) "/" qux2/bar2\r\n'
        "D04 OK LIST completed\r\n"
    )


# -- RFC 5258 5, example 10: several patterns --------------------------------------------------------------


@pytest.fixture
def example_10(alice: Client) -> Client:
    """foo exists without children; foo/bar is subscribed but no longer exists."""
    setup(alice, ["foo/bar"], ["foo/bar"])
    assert alice.cmd("d DELETE foo/bar") == "d OK DELETE completed\r\n"
    return alice


def test_rfc5258_example_10(example_10: Client) -> None:
    c = example_10
    assert (
        c.cmd('a1 LIST "" ("foo" "foo/*")') == '* LIST (\\HasNoChildren) "/" foo\r\na1 OK LIST completed\r\n'
    )
    assert c.cmd('a2 LIST (SUBSCRIBED) "" "foo/*"') == (
        '* LIST (\\NonExistent \\HasNoChildren \\Subscribed) "/" foo/bar\r\na2 OK LIST completed\r\n'
    )
    # byte for byte the RFC's answer: CHILDINFO without \HasChildren
    assert c.cmd('a3 LIST (SUBSCRIBED RECURSIVEMATCH) "" foo RETURN (CHILDREN)') == (
        '* LIST (\\HasNoChildren) "/" foo ("CHILDINFO" ("SUBSCRIBED"))\r\na3 OK LIST completed\r\n'
    )


def test_recursivematch_with_a_pattern_list_that_returns_the_child_omits_the_parent(
    example_10: Client,
) -> None:
    """Issue 15.8: RFC 5258 3.3 rule 2B lists a parent that does not meet the criteria only for a
    descendant the pattern list does not return; here "foo/*" returns foo/bar itself."""
    assert example_10.cmd('a4 LIST (SUBSCRIBED RECURSIVEMATCH) "" ("foo" "foo/*")') == (
        '* LIST (\\NonExistent \\HasNoChildren \\Subscribed) "/" foo/bar\r\na4 OK LIST completed\r\n'
    )


def test_return_subscribed_alone_does_not_list_names_that_do_not_exist(example_10: Client) -> None:
    """RFC 5258 5 example 6: RETURN (SUBSCRIBED) adds the attribute to existing mailboxes; only the
    SUBSCRIBED selection option lists subscribed names that are not mailboxes."""
    assert example_10.cmd('a5 LIST "" "foo*" RETURN (SUBSCRIBED)') == (
        '* LIST (\\HasNoChildren) "/" foo\r\na5 OK LIST completed\r\n'
    )
