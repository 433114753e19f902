"""Transcript tests of the sans-IO IMAP session over a real SQLite store: lines in, responses out."""

from __future__ import annotations

import base64
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sidecars.imap.session import ImapSession, SessionContext
from storage import open_store
from storage.store import Store

ALICE, BOB, PASSWORD = "alice@example.test", "bob@example.test", "alicepass1"
MESSAGE = b"From: Bob <bob@example.test>\r\nTo: alice@example.test\r\nSubject: %s\r\n\r\nHello %s\r\n"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("imap-template")
    st_ = open_store(f"sqlite:///{root / 'db.sqlite3'}", root / "blobs")
    st_.domains.add("example.test")
    st_.accounts.add(ALICE, PASSWORD)
    st_.accounts.add(BOB, PASSWORD)
    for word in (b"one", b"two", b"M\xc3\xbcller"):
        st_.mail.deliver(MESSAGE % (word, word), [ALICE])
    st_.close()
    return root


@pytest.fixture
def store(template: Path, tmp_path: Path) -> Iterator[Store]:
    shutil.copyfile(template / "db.sqlite3", tmp_path / "db.sqlite3")
    shutil.copytree(template / "blobs", tmp_path / "blobs")
    st_ = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "blobs")
    yield st_
    st_.close()


class Client:
    def __init__(self, store: Store, *, tls: bool = True) -> None:
        ctx = SessionContext(
            store, "mail.example.test", "127.0.0.1", "00000001", tls, not tls, logging.getLogger("t")
        )
        self.session = ImapSession(ctx)
        self.banner = self.session.banner().decode()
        self.last_close = False

    def send(self, data: bytes) -> str:
        out = self.session.receive(data)
        text = out.data()
        while out.more:
            out = self.session.receive(b"")
            text += out.data()
        self.last_close = out.close
        return text.decode("utf-8", "replace")

    def cmd(self, line: str) -> str:
        return self.send(line.encode() + b"\r\n")

    def login(self, user: str = ALICE) -> None:
        assert " OK " in self.cmd(f"L LOGIN {user} {PASSWORD}")


def test_greeting_and_logindisabled_without_tls(store: Store) -> None:
    c = Client(store, tls=False)
    assert c.banner.startswith("* OK [CAPABILITY IMAP4rev1 ")
    assert "STARTTLS" in c.banner and "LOGINDISABLED" in c.banner and "AUTH=PLAIN" not in c.banner
    assert c.cmd(f"a LOGIN {ALICE} {PASSWORD}") == (
        "a NO [PRIVACYREQUIRED] plaintext login is disabled without TLS; use STARTTLS first\r\n"
    )
    assert c.cmd("b STARTTLS") == "b OK Begin TLS negotiation now\r\n"


def test_login_failure_then_success_and_state_errors(store: Store) -> None:
    c = Client(store)
    assert c.cmd("a SELECT INBOX").startswith("a BAD SELECT needs an authenticated session")
    assert c.cmd(f"b LOGIN {ALICE} wrong") == "b NO [AUTHENTICATIONFAILED] authentication failed\r\n"
    reply = c.cmd(f'c LOGIN "{ALICE}" {{{len(PASSWORD)}+}}\r\n{PASSWORD}')
    assert reply.startswith("c OK [CAPABILITY IMAP4rev1 ") and "COMPRESS=DEFLATE" in reply
    assert c.cmd("d FETCH 1 FLAGS").startswith("d BAD FETCH needs a selected mailbox")


def test_authenticate_plain_with_continuation_and_with_initial_response(store: Store) -> None:
    token = base64.b64encode(f"\0{ALICE}\0{PASSWORD}".encode()).decode()
    c = Client(store)
    assert c.cmd("a AUTHENTICATE PLAIN") == "+ \r\n"
    assert c.cmd(token).startswith("a OK [CAPABILITY ")
    c2 = Client(store)
    assert c2.cmd(f"b AUTHENTICATE PLAIN {token}").startswith("b OK [CAPABILITY ")
    c3 = Client(store)
    c3.cmd("x AUTHENTICATE PLAIN")
    assert c3.cmd("*") == "x BAD authentication cancelled\r\n"


def test_select_fetch_store_expunge_transcript(store: Store) -> None:
    c = Client(store)
    c.login()
    select = c.cmd("s SELECT INBOX")
    assert "* 3 EXISTS\r\n" in select and "* OK [UIDVALIDITY " in select and "* OK [UNSEEN 1]" in select
    assert select.endswith("s OK [READ-WRITE] SELECT completed\r\n")
    fetch = c.cmd("f FETCH 2 (UID FLAGS BODY.PEEK[HEADER.FIELDS (Subject)])")
    assert fetch.startswith(
        "* 2 FETCH (UID 2 FLAGS (\\Recent) BODY[HEADER.FIELDS (SUBJECT)] {16}\r\nSubject: two\r\n\r\n)"
    )
    body = c.cmd("g FETCH 1 BODY[TEXT]")
    assert "BODY[TEXT] {11}\r\nHello one\r\n" in body and "FLAGS (\\Recent \\Seen)" in body
    assert c.cmd("h STORE 2 +FLAGS (\\Deleted)") == (
        "* 2 FETCH (FLAGS (\\Deleted \\Recent))\r\nh OK STORE completed\r\n"
    )
    assert c.cmd("i EXPUNGE") == "* 2 EXPUNGE\r\ni OK EXPUNGE completed\r\n"
    assert c.cmd("j SEARCH ALL") == "* SEARCH 1 2\r\nj OK SEARCH completed\r\n"
    assert c.cmd("k UID SEARCH TEXT muller") == "* SEARCH 3\r\nk OK UID SEARCH completed\r\n"


def test_other_session_expunge_waits_for_an_allowed_point(store: Store) -> None:
    a, b = Client(store), Client(store)
    a.login()
    b.login()
    a.cmd("s SELECT INBOX")
    b.cmd("s SELECT INBOX")
    b.cmd("t STORE 1 +FLAGS.SILENT (\\Deleted)")
    b.cmd("u EXPUNGE")
    a.session.selection.dirty = True  # what the change feed's wake-up does
    fetch = a.cmd("f FETCH 1:* (UID)")
    assert "* 1 EXPUNGE" not in fetch  # RFC 3501 7.4.1: not during FETCH
    # RFC 2180 4.1.1: the expunged message keeps its number and its data until the session is told
    assert fetch == "* 1 FETCH (UID 1)\r\n* 2 FETCH (UID 2)\r\n* 3 FETCH (UID 3)\r\nf OK FETCH completed\r\n"
    assert a.cmd("g FETCH 1 (FLAGS BODY.PEEK[TEXT])") == (
        "* 1 FETCH (FLAGS (\\Deleted \\Recent) BODY[TEXT] {11}\r\nHello one\r\n)\r\ng OK FETCH completed\r\n"
    )
    assert a.cmd("n NOOP") == "* 1 EXPUNGE\r\nn OK NOOP completed\r\n"
    assert a.cmd("f2 FETCH 1:* (UID)").startswith("* 1 FETCH (UID 2)\r\n* 2 FETCH (UID 3)\r\n")


def test_idle_reports_appends_and_ends_with_done(store: Store) -> None:
    a, b = Client(store), Client(store)
    a.login()
    b.login()
    a.cmd("s SELECT INBOX")
    assert a.cmd("i IDLE") == "+ idling\r\n"
    assert a.session.idling
    b.send(b"p APPEND INBOX {21+}\r\nSubject: pushed\r\n\r\nx\r\n")
    a.session.wake()
    assert a.session.idle_updates().data() == b"* 4 EXISTS\r\n* 4 RECENT\r\n"
    assert a.cmd("DONE") == "i OK IDLE terminated\r\n"


def test_errors_end_the_session_at_the_limit(store: Store) -> None:
    c = Client(store)
    replies = [c.cmd(f"x{i} BOGUS") for i in range(10)]
    assert replies[0] == "x0 BAD unknown command BOGUS\r\n"
    assert "* BYE too many protocol errors" in replies[-1] and c.last_close


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_random_bytes_after_login_never_break_the_session(store: Store, data: bytes) -> None:
    c = Client(store)
    c.login()
    c.cmd("s SELECT INBOX")
    c.send(data + b"\r\n")
    c.session.pending = None
    assert c.cmd("z NOOP").endswith("z OK NOOP completed\r\n") or c.last_close


def test_modified_utf7_names_and_utf8_accept(store: Store) -> None:
    c = Client(store)
    c.login()
    assert c.cmd("a CREATE Entw&APw-rfe") == "a OK CREATE completed\r\n"  # RFC 3501 5.1.3
    assert '* LIST (\\HasNoChildren) "/" Entw&APw-rfe\r\n' in c.cmd('b LIST "" "Entw*"')
    assert c.cmd("c CREATE Bad&Name").startswith("c NO [CANNOT] mailbox name is not valid modified UTF-7")
    assert c.cmd("d ENABLE UTF8=ACCEPT") == "* ENABLED UTF8=ACCEPT\r\nd OK ENABLE completed\r\n"
    assert '* LIST (\\HasNoChildren) "/" "Entwürfe"\r\n' in c.cmd('e LIST "" "Entw*"')


def test_shared_folder_appears_under_other_users_per_acl(store: Store) -> None:
    alice, bob = Client(store), Client(store)
    alice.login()
    bob.login(BOB)
    assert "Other Users" not in bob.cmd('a LIST "" "*"')
    assert bob.cmd('b SELECT "Other Users/alice@example.test/INBOX"').startswith("b NO [NONEXISTENT]")
    assert alice.cmd("c SETACL INBOX bob@example.test lr") == "c OK SETACL completed\r\n"
    listing = bob.cmd('d LIST "" "*"')
    assert '* LIST (\\Noselect \\HasChildren) "/" "Other Users"\r\n' in listing
    assert '* LIST (\\HasNoChildren) "/" "Other Users/alice@example.test/INBOX"\r\n' in listing
    select = bob.cmd('e EXAMINE "Other Users/alice@example.test/INBOX"')
    assert "* 3 EXISTS\r\n" in select and select.endswith("e OK [READ-ONLY] EXAMINE completed\r\n")
    assert bob.cmd("f STORE 1 +FLAGS (\\Flagged)").startswith("f NO [READ-ONLY]")
    assert bob.cmd('g MYRIGHTS "Other Users/alice@example.test/INBOX"').startswith(
        '* MYRIGHTS "Other Users/alice@example.test/INBOX" lr\r\n'
    )
    assert bob.cmd('h GETACL "Other Users/alice@example.test/INBOX"').startswith("h NO [NOPERM]")


def test_namespace_and_quota_root(store: Store) -> None:
    c = Client(store)
    c.login()
    assert c.cmd("a NAMESPACE") == (
        '* NAMESPACE (("" "/")) (("Other Users/" "/")) (("Public Folders/" "/"))\r\na OK NAMESPACE completed\r\n'
    )
    assert c.cmd("b GETQUOTAROOT INBOX") == (
        '* QUOTAROOT INBOX ""\r\n* QUOTA "" ()\r\nb OK GETQUOTAROOT completed\r\n'
    )
    assert c.cmd('c SETQUOTA "" (STORAGE 10)').startswith("c NO [NOPERM]")


def test_pipelined_commands_see_each_other_in_order(store: Store) -> None:
    c = Client(store)
    c.login()
    c.cmd("s SELECT INBOX")
    out = c.send(
        b"a STORE 1 +FLAGS.SILENT (\\Flagged)\r\nb FETCH 1 (FLAGS)\r\nc STORE 1 -FLAGS.SILENT (\\Flagged)\r\n"
    )
    assert "* 1 FETCH (FLAGS (\\Flagged \\Recent))\r\nb OK FETCH completed\r\n" in out  # RFC 3501 5.5
    assert out.endswith("c OK STORE completed\r\n")
