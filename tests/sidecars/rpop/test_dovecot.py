"""Fetching from Debian's Dovecot (POP3 and IMAP, over TLS) on loopback: Remote POP against another
implementation than ours."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.dovecot import NOBODY, Dovecot, dovecot_binary
from fieldpost.tls import make_self_signed
from storage.remote_accounts import RemoteSpec
from tests.fieldpost.conftest import pick_port_offset
from tests.sidecars.rpop.conftest import ME, Local, message

USER, PASSWORD = "carol@elsewhere.test", "dovecot-pw-1"


@pytest.fixture
def dovecot(tmp_path: Path) -> Iterator[Dovecot]:
    if dovecot_binary() is None or not Path("/usr/lib/dovecot/pop3").exists():
        pytest.skip("dovecot-imapd and dovecot-pop3d are not installed (make deps installs them)")
    cert, key = make_self_signed(tmp_path / "tls", "localhost")
    offset = pick_port_offset()
    peer = Dovecot(
        {USER: PASSWORD}, cert, key, 1143 + offset, 1993 + offset, pop3_ports=(1110 + offset, 1995 + offset)
    )
    new = peer.maildir(USER) / "new"
    for sub in ("cur", "new", "tmp"):
        (peer.maildir(USER) / sub).mkdir()
        os.chown(peer.maildir(USER) / sub, NOBODY, NOBODY)
    for n in range(1, 4):
        path = new / f"17000000{n:02d}.M{n}P1.remote"
        path.write_bytes(message(n))
        os.chown(path, NOBODY, NOBODY)
    with peer:
        yield peer


def maildir_count(peer: Dovecot) -> int:
    return sum(len(list((peer.maildir(USER) / sub).iterdir())) for sub in ("cur", "new"))


@pytest.mark.parametrize(
    ("protocol", "keep"), [("pop3", True), ("pop3", False), ("imap", True), ("imap", False)]
)
def test_fetch_from_dovecot(local: Local, dovecot: Dovecot, protocol: str, keep: bool) -> None:
    local.store.settings.set("rpop.ca_file", str(dovecot.cafile))
    port = dovecot.pop3_ports[1] if protocol == "pop3" else dovecot.imaps_port  # type: ignore[index]
    spec = RemoteSpec(
        protocol=protocol, host="127.0.0.1", port=port, username=USER, password=PASSWORD, keep_on_server=keep
    )
    mine = local.store.for_user(local.store.accounts.get(ME).id).remote_accounts
    rid = mine.add(spec).id
    local.run()
    assert mine.get(rid).last_error is None, dovecot.log_text()[-2000:]
    subjects = sorted(raw.split(b"Subject: ", 1)[1].split(b"\r\n", 1)[0] for raw in local.folder())
    assert subjects == [b"remote message 1", b"remote message 2", b"remote message 3"]
    assert maildir_count(dovecot) == (3 if keep else 0)
    mine.fetch_now(rid)
    local.run()
    assert len(local.folder()) == 3  # kept mail is not fetched twice; deleted mail is gone
