"""Rights withdrawn while another user has the mailbox selected (issue 9 item 2, RFC 4314 4), seen by
real imaplib clients over TLS: the owner's session changes the ACL and appends, the processing path
delivers from another process, and the guest's open session must obey the rights in force *now*."""

from __future__ import annotations

import imaplib
from collections.abc import Iterator

import pytest

from tests.sidecars.imap.conftest import Closed, ImapService, plain
from tests.sidecars.imap.test_idle import start_idle, stop_idle, wait_for


def shared_inbox(owner: str) -> str:
    return f'"Other Users/{owner}/INBOX"'


@pytest.fixture
def owner(imap_service: ImapService) -> str:
    return imap_service.new_account("alice")


@pytest.fixture
def alice(imap_service: ImapService, owner: str) -> Iterator[imaplib.IMAP4_SSL]:
    """The owner's session: it changes the ACL and appends."""
    client = imap_service.imaplib(owner)
    yield client
    client.logout()


@pytest.fixture
def bob_address(imap_service: ImapService) -> str:
    return imap_service.new_account("bob")


def login(imap_service: ImapService, user: str) -> imaplib.IMAP4_SSL:
    return imap_service.imaplib(user)


def test_withdrawn_read_right_hides_new_mail_and_refuses_reads(
    imap_service: ImapService, owner: str, alice: imaplib.IMAP4_SSL, bob_address: str
) -> None:
    assert alice.setacl("INBOX", bob_address, "lr")[0] == "OK"
    assert alice.append("INBOX", None, None, plain("before", "before the revocation"))[0] == "OK"
    bob = login(imap_service, bob_address)
    try:
        typ, data = bob.select(shared_inbox(owner), readonly=True)
        assert (typ, data) == ("OK", [b"1"])
        bob.response("EXISTS")  # imaplib keeps SELECT's EXISTS; take it so only new ones show below
        typ, data = bob.fetch("1", "(BODY.PEEK[TEXT])")
        assert typ == "OK" and b"before the revocation" in data[0][1]

        assert alice.setacl("INBOX", bob_address, "l")[0] == "OK"  # r withdrawn, l kept
        assert alice.append("INBOX", None, None, plain("appended", "appended after"))[0] == "OK"
        result = imap_service.store.mail.deliver(plain("delivered", "delivered after"), [owner])
        _, new_uid = result.delivered[owner]

        bob.noop()
        assert bob.response("EXISTS") == ("EXISTS", [None])  # no EXISTS for the new mail
        told = bob.untagged_responses.get("NO", [])
        assert told == [b"[NOPERM] read access to the selected mailbox was withdrawn"]

        refused = (
            bob.fetch("1", "(BODY.PEEK[])"),
            bob.uid("FETCH", str(new_uid), "(BODY.PEEK[])"),
            bob.search(None, "ALL"),
            bob.uid("SEARCH", "TEXT", "after"),
            bob.copy("1", "INBOX"),
            bob.status(shared_inbox(owner), "(MESSAGES)"),
        )
        for typ, data in refused:  # imaplib returns a tagged NO as ("NO", [text])
            assert (typ, data) == ("NO", [b"[NOPERM] permission denied: missing right(s) r"])
        assert bob.noop()[0] == "OK"  # the session lives on
    finally:
        bob.logout()


def test_withdrawn_lookup_right_makes_the_mailbox_gone(
    imap_service: ImapService, owner: str, alice: imaplib.IMAP4_SSL, bob_address: str
) -> None:
    assert alice.setacl("INBOX", bob_address, "lr")[0] == "OK"
    assert alice.append("INBOX", None, None, plain("first"))[0] == "OK"
    idle_side, busy_side = login(imap_service, bob_address), login(imap_service, bob_address)
    try:
        for session in (idle_side, busy_side):
            assert session.select(shared_inbox(owner), readonly=True)[0] == "OK"

        assert alice.deleteacl("INBOX", bob_address)[0] == "OK"
        # a session that only waits learns it from the next update: BYE, as for a deleted mailbox
        imap_service.store.mail.deliver(plain("after"), [owner])
        with pytest.raises(imaplib.IMAP4.abort, match="no longer exists"):
            for _ in range(50):  # the change reaches the service a moment after the delivery
                idle_side.noop()
        # a session that reads right away is told the same
        with pytest.raises(imaplib.IMAP4.abort, match="no longer exists"):
            busy_side.fetch("1", "(BODY.PEEK[])")
    finally:
        for session in (idle_side, busy_side):
            session.shutdown()

    bob = login(imap_service, bob_address)
    try:
        gone = bob.select(shared_inbox(owner))
        missing = bob.select(f'"Other Users/{owner}/NoSuchFolder"')
        assert gone == missing == ("NO", [b"[NONEXISTENT] no such mailbox"])
    finally:
        bob.logout()


def test_idle_session_is_told_of_withdrawn_rights_not_of_new_mail(
    imap_service: ImapService, owner: str, alice: imaplib.IMAP4_SSL, bob_address: str
) -> None:
    assert alice.setacl("INBOX", bob_address, "lr")[0] == "OK"
    bob = imap_service.login(bob_address)
    try:
        bob.select(shared_inbox(owner))
        tag = start_idle(bob)
        assert alice.setacl("INBOX", bob_address, "l")[0] == "OK"
        imap_service.store.mail.deliver(plain("while idle", "secret while idle"), [owner])
        seen = wait_for(bob, rb"\* NO \[NOPERM\] read access to the selected mailbox was withdrawn")
        assert not [line for line in seen if line.endswith(b"EXISTS")], seen
        stop_idle(bob, tag)

        tag = start_idle(bob)
        assert alice.deleteacl("INBOX", bob_address)[0] == "OK"
        imap_service.store.mail.deliver(plain("gone", "after l"), [owner])
        wait_for(bob, rb"\* BYE the selected mailbox no longer exists")
    finally:
        bob.close()


def test_idle_session_gets_bye_when_lookup_right_goes_with_no_other_change(
    imap_service: ImapService, owner: str, alice: imaplib.IMAP4_SSL, bob_address: str
) -> None:
    """The ACL change alone wakes the idling guest (it is in the change feed): no delivery, no command
    of his is needed for BYE (RFC 4314 4, RFC 2180 3.3)."""
    assert alice.setacl("INBOX", bob_address, "lr")[0] == "OK"
    bob = imap_service.login(bob_address)
    try:
        bob.select(shared_inbox(owner))
        start_idle(bob)
        assert alice.setacl("INBOX", bob_address, "r")[0] == "OK"  # "l" withdrawn, "r" kept
        wait_for(bob, rb"\* BYE the selected mailbox no longer exists")
        bob.sock.settimeout(5)
        with pytest.raises((Closed, OSError)):  # and the server ends the connection
            bob.read_line()
    finally:
        bob.close()


def test_idle_session_is_told_at_once_when_read_right_goes(
    imap_service: ImapService, owner: str, alice: imaplib.IMAP4_SSL, bob_address: str
) -> None:
    assert alice.setacl("INBOX", bob_address, "lr")[0] == "OK"
    bob = imap_service.login(bob_address)
    try:
        bob.select(shared_inbox(owner))
        tag = start_idle(bob)
        assert alice.setacl("INBOX", bob_address, "l")[0] == "OK"
        wait_for(bob, rb"\* NO \[NOPERM\] read access to the selected mailbox was withdrawn")
        stop_idle(bob, tag)
    finally:
        bob.close()
