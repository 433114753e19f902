"""Transcripts of the rights checks a client can observe (issue 9): no answer tells a mailbox the user may
not look up from one that does not exist, or from another user that does not exist; no answer names an
internal id; SETACL refuses rights the server does not advertise; DELETEACL of the owner says NO; a
session whose rights are withdrawn while it has the mailbox selected loses them at once."""

from __future__ import annotations

import re

import pytest

from storage.store import Store
from tests.sidecars.imap import test_session_transcript as transcript
from tests.sidecars.imap.test_session_transcript import ALICE, BOB, MESSAGE, Client

# the transcript suite's fixtures: a real SQLite store with alice (three messages in INBOX) and bob
template = transcript.template
store = transcript.store

HIDDEN = f"Other Users/{ALICE}/Sent"  # exists, bob holds nothing on it
HIDDEN_WITH_RIGHTS = f"Other Users/{ALICE}/Drafts"  # exists, bob holds "rsk" but not "l"
MISSING = f"Other Users/{ALICE}/Nope"  # alice has no such folder
NO_USER = "Other Users/nobody@example.test/INBOX"  # no such user
NO_DOMAIN = "Other Users/nobody@nowhere.test/INBOX"  # no such domain
PROBES = (HIDDEN, HIDDEN_WITH_RIGHTS, MISSING, NO_USER, NO_DOMAIN)

# Every command that names a mailbox; "{m}" is the probed name. COPY and MOVE run with bob's INBOX
# selected (it holds one message).
COMMANDS = (
    'SELECT "{m}"',
    'EXAMINE "{m}"',
    'STATUS "{m}" (MESSAGES UIDNEXT)',
    'CREATE "{m}"',
    'CREATE "{m}/x"',
    'DELETE "{m}"',
    'RENAME "{m}" "{m}2"',
    'RENAME "Mine" "{m}/x"',
    'SUBSCRIBE "{m}"',
    'GETACL "{m}"',
    'SETACL "{m}" anyone lr',
    'DELETEACL "{m}" anyone',
    'LISTRIGHTS "{m}" anyone',
    'MYRIGHTS "{m}"',
    'GETQUOTAROOT "{m}"',
    'LIST "" "{m}"',
    'APPEND "{m}" {{5+}}\r\nHello',
    'COPY 1 "{m}"',
    'MOVE 1 "{m}"',
    'UID COPY 1:* "{m}"',
)


def untagged_and_tail(text: str) -> str:
    """The reply without the command's tag (the tag is the only part that may differ)."""
    return re.sub(r"^T\d+ ", "T ", text, flags=re.M)


@pytest.fixture
def bob(store: Store) -> Client:
    store.folders.create(BOB, "Mine")
    store.mail.deliver(MESSAGE % (b"for bob", b"bob"), [BOB])
    store.acl.grant(ALICE, "Drafts", BOB, "rsk")  # rights, but no "l": the folder still does not exist
    c = Client(store)
    c.login(BOB)
    assert " OK " in c.cmd("S SELECT INBOX")
    return c


@pytest.mark.parametrize("command", COMMANDS)
def test_hidden_missing_and_unknown_user_answer_the_same(bob: Client, command: str) -> None:
    replies = {}
    for n, probe in enumerate(PROBES):
        replies[probe] = untagged_and_tail(bob.cmd(f"T{n} " + command.format(m=probe)))
    assert len(set(replies.values())) == 1, replies
    reply = replies[HIDDEN]
    assert not re.search(r"(folder|account|mailbox) \d", reply), reply
    if not command.startswith("LIST"):
        assert " NO " in reply, reply  # refused, not done
    assert bob.cmd("N NOOP").endswith("N OK NOOP completed\r\n")  # the session lives on


def test_create_in_a_hidden_tree_names_no_folder_id(bob: Client) -> None:
    # the reproduction: "missing right(s) k on folder 16" / "folder 14" / "no such user"
    answers = {
        untagged_and_tail(bob.cmd(f'T1 CREATE "{name}/x"'))
        for name in (HIDDEN, MISSING, "Other Users/nobody@example.test/Sent")
    }
    assert answers == {"T NO [NOPERM] permission denied: you may not create a mailbox there\r\n"}


@pytest.fixture
def alice(store: Store) -> Client:
    c = Client(store)
    c.login(ALICE)
    return c


def test_setacl_with_a_right_not_advertised_is_bad(alice: Client) -> None:
    # RFC 4314 3.1: an unrecognised right is BAD; the server advertises RIGHTS=texk and LISTRIGHTS
    # lists l r s w i p k x t e a, so the storage-only digits "0" (send as) and "1" are unknown here
    assert alice.cmd(f"A1 SETACL INBOX {BOB} +0") == "A1 BAD unknown right '0'\r\n"
    assert alice.cmd(f"A2 SETACL INBOX {BOB} lr1") == "A2 BAD unknown right '1'\r\n"
    assert alice.cmd(f"A3 SETACL INBOX {BOB} lrz") == "A3 BAD unknown right 'z'\r\n"
    assert alice.cmd("A4 GETACL INBOX") == f"* ACL INBOX {ALICE} lrswipkxtea\r\nA4 OK GETACL completed\r\n"
    # the RFC 2086 rights are still understood (RFC 4314 2.1.1): c = k x, d = e t
    assert alice.cmd(f"A5 SETACL INBOX {BOB} lrcd") == "A5 OK SETACL completed\r\n"
    assert f"{BOB} lrkxte\r\n" in alice.cmd("A6 GETACL INBOX")


def test_setacl_replacement_keeps_the_send_as_grant(store: Store, alice: Client) -> None:
    store.acl.grant(ALICE, "INBOX", BOB, "lr0")  # "send as", granted through storage (CLI/WebAdmin)
    assert alice.cmd(f"A1 SETACL INBOX {BOB} lrs") == "A1 OK SETACL completed\r\n"
    assert str(store.acl.rights(BOB, ALICE, "INBOX")) == "lrs0"


def test_deleteacl_of_the_owner_is_no(store: Store, alice: Client) -> None:
    # RFC 4314 3.2: the owner's rights are implicit; "OK" while nothing changes would be a lie
    reply = alice.cmd(f"A1 DELETEACL INBOX {ALICE}")
    assert reply == "A1 NO [CANNOT] the owner's rights are implicit and cannot be changed or removed\r\n"
    assert alice.cmd(f"A2 DELETEACL INBOX -{ALICE}").startswith("A2 NO [CANNOT] ")
    assert alice.cmd(f"A3 SETACL INBOX {ALICE} l").startswith("A3 NO [CANNOT] ")
    assert str(store.acl.rights(ALICE, ALICE, "INBOX")) == "lrswipkxtea012"


def test_withdrawn_read_right_stops_reads_of_a_selected_mailbox(store: Store, alice: Client) -> None:
    store.acl.grant(ALICE, "INBOX", BOB, "lrs")
    bob = Client(store)
    bob.login(BOB)
    shared = f'"Other Users/{ALICE}/INBOX"'
    assert "* 3 EXISTS\r\n" in bob.cmd(f"B1 SELECT {shared}")
    assert "B2 OK" in bob.cmd("B2 FETCH 1 BODY.PEEK[TEXT]")

    assert alice.cmd(f"A1 SETACL INBOX {BOB} l") == "A1 OK SETACL completed\r\n"
    store.mail.deliver(MESSAGE % (b"after", b"secret after revocation"), [ALICE])
    bob.session.wake()  # what the change hub does when the delivery's change arrives

    noop = bob.cmd("B3 NOOP")
    assert noop == (
        "* NO [NOPERM] read access to the selected mailbox was withdrawn\r\nB3 OK NOOP completed\r\n"
    )
    assert bob.cmd("B4 NOOP") == "B4 OK NOOP completed\r\n"  # told once
    denied = "NO [NOPERM] permission denied: missing right(s) r\r\n"
    assert bob.cmd("B5 FETCH 1:* (FLAGS BODY.PEEK[])") == "B5 " + denied
    assert bob.cmd("B6 UID FETCH 4 BODY.PEEK[]") == "B6 " + denied
    assert bob.cmd("B7 UID SEARCH ALL") == "B7 " + denied
    assert bob.cmd("B8 SEARCH TEXT secret") == "B8 " + denied
    assert bob.cmd("B9 UID COPY 1:* INBOX") == "B9 " + denied
    stored = bob.cmd("B10 STORE 1 +FLAGS (\\Seen)")  # flags of messages bob can no longer read
    assert stored == "B10 NO [NOPERM] permission denied: missing right(s) rs\r\n"
    assert bob.cmd(f"B11 STATUS {shared} (MESSAGES)") == "B11 " + denied
    assert "secret" not in bob.cmd("B12 NOOP")

    store.acl.grant(ALICE, "INBOX", BOB, "lrs")  # given back: the session sees the mailbox again
    assert "* 4 EXISTS\r\n" in bob.cmd("B13 NOOP")


def test_withdrawn_lookup_right_ends_the_session_like_a_deleted_mailbox(store: Store, alice: Client) -> None:
    store.acl.grant(ALICE, "INBOX", BOB, "lr")
    bob = Client(store)
    bob.login(BOB)
    assert " OK [READ-ONLY]" in bob.cmd(f'B1 SELECT "Other Users/{ALICE}/INBOX"')
    assert alice.cmd(f"A1 DELETEACL INBOX {BOB}") == "A1 OK DELETEACL completed\r\n"
    # no change was recorded for the selected mailbox: the next command finds out by itself
    assert bob.cmd("B2 FETCH 1 BODY.PEEK[]") == (
        "* BYE the selected mailbox no longer exists\r\nB2 NO [NONEXISTENT] no such mailbox\r\n"
    )
    assert bob.last_close


def test_withdrawn_lookup_right_seen_by_an_update(store: Store, alice: Client) -> None:
    store.acl.grant(ALICE, "INBOX", BOB, "lr")
    bob = Client(store)
    bob.login(BOB)
    bob.cmd(f'B1 SELECT "Other Users/{ALICE}/INBOX"')
    store.acl.revoke(ALICE, "INBOX", BOB)
    store.mail.deliver(MESSAGE % (b"after", b"after"), [ALICE])
    bob.session.wake()
    assert bob.cmd("B2 NOOP") == "* BYE the selected mailbox no longer exists\r\nB2 OK NOOP completed\r\n"
    assert bob.last_close


@pytest.mark.parametrize(
    ("rights", "permanent", "code"),
    [
        ("lr", "", "READ-ONLY"),
        ("lrs", "\\Seen", "READ-WRITE"),
        ("lrt", "\\Deleted", "READ-WRITE"),
        ("lrw", "\\Answered \\Flagged \\Draft \\*", "READ-WRITE"),
        ("lrswte", "\\Answered \\Flagged \\Draft \\Deleted \\Seen \\*", "READ-WRITE"),
    ],
)
def test_permanentflags_are_what_the_rights_let_the_user_change(
    store: Store, rights: str, permanent: str, code: str
) -> None:
    # RFC 3501 7.1 PERMANENTFLAGS, RFC 4314 4: \Seen needs s, \Deleted t, other flags and keywords w
    store.acl.grant(ALICE, "INBOX", BOB, rights)
    bob = Client(store)
    bob.login(BOB)
    reply = bob.cmd(f'B1 SELECT "Other Users/{ALICE}/INBOX"')
    assert f"* OK [PERMANENTFLAGS ({permanent})] " in reply, reply
    assert reply.endswith(f"B1 OK [{code}] SELECT completed\r\n"), reply
