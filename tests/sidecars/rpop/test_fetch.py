"""Fetching from another Fieldpost's POP3 and IMAP over TLS, into the queue, through the filters."""

from __future__ import annotations

import pytest

from storage.remote_accounts import RemoteSpec
from tests.sidecars.rpop.conftest import ALICE, ME, REMOTE_PASSWORD, Local, Remote, message


def add(local: Local, remote: Remote, protocol: str, *, trust: bool = True, **changes: object) -> int:
    """A remote mailbox on ``remote`` for the local account; ``trust``: its certificate is trusted."""
    local.store.settings.set("rpop.ca_file", str(remote.data / "tls" / "cert.pem") if trust else "")
    port = {"pop3": remote.pop3_tls, "imap": remote.imap_tls}[protocol]
    base = RemoteSpec(
        protocol=protocol, host="127.0.0.1", port=port, username=ALICE, password=REMOTE_PASSWORD
    )
    spec = RemoteSpec(**{**base.__dict__, **changes})  # type: ignore[arg-type]
    account = local.store.accounts.get(ME)
    return local.store.for_user(account.id).remote_accounts.add(spec).id


def again(local: Local, remote_id: int) -> None:
    local.store.for_user(local.store.accounts.get(ME).id).remote_accounts.fetch_now(remote_id)
    local.run()


def subjects(raws: list[bytes]) -> list[str]:
    return sorted(
        line.decode().split(": ", 1)[1]
        for raw in raws
        for line in raw.split(b"\r\n")
        if line.startswith(b"Subject: ")
    )


def last_error(local: Local, remote_id: int) -> str | None:
    return local.store.for_user(local.store.accounts.get(ME).id).remote_accounts.get(remote_id).last_error


@pytest.mark.parametrize("protocol", ["pop3", "imap"])
def test_leave_on_server_fetches_each_message_once(local: Local, remote_inbox: Remote, protocol: str) -> None:
    rid = add(local, remote_inbox, protocol)
    local.run()
    got = local.folder()
    assert subjects(got) == ["remote message 1", "remote message 2", "remote message 3"]
    assert last_error(local, rid) is None
    # traced: the remote server named in Received, over TLS
    assert all(raw.startswith(b"Return-Path: <>\r\nReceived: from 127.0.0.1 ([127.0.0.1])") for raw in got)
    assert all(f"with {protocol.upper()}S id".encode() in raw for raw in got)
    assert len(remote_inbox.inbox()) == 3
    again(local, rid)
    assert len(local.folder()) == 3  # nothing twice
    remote_inbox.add(message(4))
    again(local, rid)
    assert subjects(local.folder())[-1] == "remote message 4"
    if protocol == "imap":  # BODY.PEEK: the remote copies stay unread
        assert all("\\Seen" not in flags for _raw, flags in remote_inbox.inbox())


@pytest.mark.parametrize("protocol", ["pop3", "imap"])
def test_delete_from_server_empties_the_remote_mailbox(
    local: Local, remote_inbox: Remote, protocol: str
) -> None:
    rid = add(local, remote_inbox, protocol, keep_on_server=False)
    local.run()
    assert len(local.folder()) == 3
    assert remote_inbox.inbox() == []
    assert last_error(local, rid) is None


def test_mail_goes_to_the_chosen_folder_and_through_the_accounts_filters(
    local: Local, remote_inbox: Remote
) -> None:
    local.store.folders.create(ME, "From Remote")
    local.store.folders.create(ME, "Filtered")
    script = 'require "fileinto";\nif header :contains "subject" "message 2" { fileinto "Filtered"; }\n'
    local.store.scripts.put("account", ME, "rules", script)
    local.store.scripts.activate("account", ME, "rules")
    add(local, remote_inbox, "imap", folder="From Remote")
    local.run()
    assert subjects(local.folder("From Remote")) == ["remote message 1", "remote message 3"]
    assert subjects(local.folder("Filtered")) == ["remote message 2"]
    assert local.folder() == []


def test_a_wrong_password_is_recorded_for_the_user(local: Local, remote_inbox: Remote) -> None:
    rid = add(local, remote_inbox, "pop3", password="not-the-password")
    local.run()
    error = last_error(local, rid)
    assert error is not None and error.startswith("login refused")
    assert local.folder() == []


def test_an_untrusted_certificate_stops_the_run(local: Local, remote_inbox: Remote) -> None:
    rid = add(local, remote_inbox, "imap", trust=False)
    local.run()
    error = last_error(local, rid)
    assert error is not None and "certificate is not trusted" in error
    assert local.folder() == []


def test_starttls_on_the_plain_ports(local: Local, remote_inbox: Remote) -> None:
    pop = add(local, remote_inbox, "pop3", tls_mode="starttls", port=remote_inbox.pop3_plain)
    imap = add(local, remote_inbox, "imap", tls_mode="starttls", port=remote_inbox.imap_plain)
    local.run()
    assert last_error(local, pop) is None and last_error(local, imap) is None
    assert len(local.folder()) == 6  # each remote mailbox counts its own messages


def test_a_server_that_is_not_there(local: Local, remote_inbox: Remote) -> None:
    rid = add(local, remote_inbox, "pop3", port=1)
    local.run()
    error = last_error(local, rid)
    assert error is not None and error.startswith("cannot reach 127.0.0.1:1")
