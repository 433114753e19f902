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
from tests.sidecars.imap.test_session_transcript import ALICE, HUBS, PASSWORD, Client

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
    hub = HUBS.pop(id(opened), None)
    if hub is not None:
        hub.close()
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
    assert alice.cmd("b SELECT a]b") == "b NO [NONEXISTENT] no mailbox named a]b\r\n"
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
