"""Addresses in ENVELOPE, SEARCH FROM/TO/CC/BCC and SORT CC/DISPLAYTO, byte for byte (issue 15, 5-7).

Transcript tests against the sans-IO session over a real SQLite store, one end-to-end case through a
socket. The oracles: RFC 3501 7.4.2 and 9 (ENVELOPE addresses: raw, RFC 2047 words not decoded,
quoting removed, groups as start/end markers), RFC 3501 6.4.4 (SEARCH: a substring of the envelope
field, case-insensitive; names decoded as the project folds them, so "muller" finds "Müller"),
RFC 5256 3 (SORT CC: the addr-mailbox of the first Cc address, i;ascii-casemap) and RFC 5957 3-4
(DISPLAYTO: the first To address's decoded name, else mailbox@host, else the group name).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from sidecars.imap.session import ImapSession, SessionContext
from storage import open_store
from storage.store import Store
from tests.sidecars.imap.conftest import ImapService

ALICE, PASSWORD = "alice@example.test", "alicepass1"

#: Delivered in this order: UIDs and sequence numbers 1..4.
MESSAGES = [
    b"From: user@domain (Real Name)\r\nTo: Team: a@x, Bee <b@y>;\r\nCc: zed@x\r\n\r\none\r\n",
    b"From: Real Name <user@domain>\r\nTo: =?utf-8?q?=C3=89mile?= <emile@x>\r\n"
    b"Cc: undisclosed-recipients:;\r\n\r\ntwo\r\n",
    b"From: =?utf-8?q?M=C3=BCller,_Hans?= <hans@x>\r\nTo: carol@x\r\n\r\nthree\r\n",
    b'From: "john doe"@x (=?utf-8?b?SsO2cmc=?=)\r\nCc: Bob <bob@x>, aaron@x\r\n'
    b"Bcc: secret@y (The Boss)\r\n\r\nfour\r\n",
]

REAL_NAME = '(("Real Name" NIL "user" "domain"))'
ENVELOPES = [
    f"* 1 FETCH (ENVELOPE (NIL NIL {REAL_NAME} {REAL_NAME} {REAL_NAME} "
    '((NIL NIL "Team" NIL)(NIL NIL "a" "x")("Bee" NIL "b" "y")(NIL NIL NIL NIL)) '
    '((NIL NIL "zed" "x")) NIL NIL NIL))',
    f"* 2 FETCH (ENVELOPE (NIL NIL {REAL_NAME} {REAL_NAME} {REAL_NAME} "
    '(("=?utf-8?q?=C3=89mile?=" NIL "emile" "x")) '
    '((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) NIL NIL NIL))',
    '* 3 FETCH (ENVELOPE (NIL NIL (("=?utf-8?q?M=C3=BCller,_Hans?=" NIL "hans" "x")) '
    '(("=?utf-8?q?M=C3=BCller,_Hans?=" NIL "hans" "x")) (("=?utf-8?q?M=C3=BCller,_Hans?=" NIL "hans" "x")) '
    '((NIL NIL "carol" "x")) NIL NIL NIL NIL))',
    '* 4 FETCH (ENVELOPE (NIL NIL (("=?utf-8?b?SsO2cmc=?=" NIL "john doe" "x")) '
    '(("=?utf-8?b?SsO2cmc=?=" NIL "john doe" "x")) (("=?utf-8?b?SsO2cmc=?=" NIL "john doe" "x")) '
    'NIL (("Bob" NIL "bob" "x")(NIL NIL "aaron" "x")) (("The Boss" NIL "secret" "y")) NIL NIL))',
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    root: Path = tmp_path_factory.mktemp("imap-addresses")
    st_ = open_store(f"sqlite:///{root / 'db.sqlite3'}", root / "blobs")
    st_.domains.add("example.test")
    st_.accounts.add(ALICE, PASSWORD)
    for raw in MESSAGES:
        st_.mail.deliver(raw, [ALICE])
    yield st_
    st_.close()


@pytest.fixture(scope="module")
def client(store: Store) -> Iterator[Client]:
    c = Client(store)
    assert " OK " in c.cmd(f"L LOGIN {ALICE} {PASSWORD}")
    assert c.cmd("E EXAMINE INBOX").endswith("E OK [READ-ONLY] EXAMINE completed\r\n")
    yield c


class Client:
    def __init__(self, store: Store) -> None:
        ctx = SessionContext(
            store, "mail.example.test", "127.0.0.1", "00000001", True, False, logging.getLogger("t")
        )
        self.session = ImapSession(ctx)
        self.session.banner()

    def cmd(self, line: str) -> str:
        out = self.session.receive(line.encode() + b"\r\n")
        text = out.data()
        while out.more:
            out = self.session.receive(b"")
            text += out.data()
        return text.decode("utf-8", "replace")


# --- item 5: ENVELOPE -------------------------------------------------------------------------------------


@pytest.mark.parametrize("seq", [1, 2, 3, 4])
def test_envelope_addresses_byte_exact(client: Client, seq: int) -> None:
    assert client.cmd(f"f FETCH {seq} ENVELOPE") == f"{ENVELOPES[seq - 1]}\r\nf OK FETCH completed\r\n"


# --- item 6: SEARCH FROM/TO/CC/BCC --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ('FROM "real name"', "1 2"),  # 1 has it only as a comment
        ("FROM REAL", "1 2"),
        ("FROM domain", "1 2"),
        ("FROM user@domain", "1 2"),
        ('FROM "Name <user@"', "1 2"),  # the header as a reader writes it
        ("FROM muller", "3"),  # RFC 2047 word decoded, diacritics folded
        ('FROM "müller, hans"', "3"),
        ("FROM hans@x", "3"),
        ("FROM jorg", "4"),  # an encoded word in a comment name
        ('FROM "john doe"', "4"),
        ("TO team", "1"),
        ("TO bee", "1"),
        ("TO b@y", "1"),
        ("TO émile", "2"),
        ("TO EMILE", "2"),
        ("TO carol", "3"),
        ("CC undisclosed", "2"),
        ("CC zed", "1"),
        ("CC bob", "4"),
        ("CC aaron@x", "4"),
        ("BCC boss", "4"),
        ("BCC secret@", "4"),
        ("FROM nobody", ""),
        ("NOT TO x", "4"),
    ],
)
def test_search_address_keys(client: Client, criteria: str, expected: str) -> None:
    if criteria.isascii():
        reply = client.cmd(f"s SEARCH {criteria}")
    else:  # 8-bit text goes in a literal (RFC 3501 6.4.4)
        key, _, value = criteria.partition(" ")
        value = value.strip('"')
        reply = client.cmd(f"s SEARCH CHARSET UTF-8 {key} {{{len(value.encode())}+}}\r\n{value}")
    line = f"* SEARCH {expected}" if expected else "* SEARCH"
    assert reply == f"{line}\r\ns OK SEARCH completed\r\n"


# --- item 7: SORT ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        # CC: "" (no Cc) < BOB < UNDISCLOSED-RECIPIENTS (the group name) < ZED
        ("CC", "3 4 2 1"),
        ("REVERSE CC", "1 2 4 3"),
        # DISPLAYTO: "" (no To) < CAROL@X (no name) < TEAM (group marker first) < ÉMILE (decoded, non-ASCII last)
        ("DISPLAYTO", "4 3 1 2"),
        # DISPLAYFROM: JÖRG (comment name, decoded) < MÜLLER, HANS < REAL NAME (comment) = REAL NAME
        ("DISPLAYFROM", "4 3 1 2"),
        # FROM: the unquoted local part
        ("FROM", "3 4 1 2"),
        ("TO", "4 3 2 1"),  # "" < CAROL < EMILE < TEAM (the group name)
    ],
)
def test_sort_address_keys(client: Client, criteria: str, expected: str) -> None:
    assert client.cmd(f"o SORT ({criteria}) UTF-8 ALL") == f"* SORT {expected}\r\no OK SORT completed\r\n"


# --- the same through a socket ------------------------------------------------------------------------------


def test_end_to_end_envelope_search_and_sort(imap_service: ImapService, worker_account: str) -> None:
    conn = imap_service.login(worker_account)
    try:
        folder = f"Addr{secrets.token_hex(4)}"
        assert conn.command(f"CREATE {folder}").ok
        for raw in MESSAGES:
            conn.append(folder, raw)
        conn.select(folder)
        reply = conn.command("FETCH 1 ENVELOPE")
        assert reply.untagged == [ENVELOPES[0].encode()]
        assert conn.command('SEARCH FROM "real name"').untagged == [b"* SEARCH 1 2"]
        assert conn.command("SEARCH FROM muller").untagged == [b"* SEARCH 3"]
        assert conn.command("SORT (CC) UTF-8 ALL").untagged == [b"* SORT 3 4 2 1"]
        assert conn.command("SORT (DISPLAYTO) UTF-8 ALL").untagged == [b"* SORT 4 3 1 2"]
    finally:
        conn.close()


def test_lists_of_addresses_and_of_bodies_have_no_space_between_items() -> None:
    # RFC 3501 9: env-from = "(" 1*address ")"; body-type-mpart = 1*body SP media-subtype
    from sidecars.imap.response import value

    assert value([None, [["A", None, "a", "x"], [None, None, "b", "y"]], None]) == (
        b'(NIL (("A" NIL "a" "x")(NIL NIL "b" "y")) NIL)'
    )
    text = ["TEXT", "PLAIN", ["CHARSET", "us-ascii"], None, None, "7BIT", 3, 1]
    assert value([text, text, "MIXED"]) == (
        b'(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 3 1)'
        b'("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 3 1) "MIXED")'
    )
