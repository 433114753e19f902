"""FTP session transcripts: lines in, replies out, against FtpSession over a real store and fake data
ports (no sockets): states, sequences, TLS, pipelining, error control; and the tree's paged listings."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from sidecars.ftp import tree as tree_module
from sidecars.ftp.session import FtpSession, Output, SessionContext
from sidecars.ftp.tree import BackupTree
from sidecars.net.errorcontrol import ErrorLimits
from storage import open_store
from storage.store import Store

ADMIN, ADMIN_PW = "admin", "adminpass1"


class FakeData:
    """Data ports that only record what the session asked for."""

    local_host = "127.0.0.1"

    def __init__(self) -> None:
        self.asked: list[object] = []

    def passive(self) -> int:
        self.asked.append("passive")
        return 50001

    def active(self, host: str, port: int) -> None:
        if host != "192.0.2.10":
            raise ValueError("Data connections go to the client's own address only")
        self.asked.append((host, port))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ftp-session")
    st = open_store(f"sqlite:///{root / 'db.sqlite3'}", root / "blobs")
    st.admins.set_password(ADMIN, ADMIN_PW)
    st.domains.add("example.test")
    st.accounts.add("alice@example.test", None)
    for i in range(7):
        st.mail.append(
            "alice@example.test", "INBOX", b"Subject: %d\r\n\r\nbody\r\n" % i, ["\\Seen"] if i % 2 else []
        )
    st.close()
    return root


@pytest.fixture
def store(template: Path, tmp_path: Path) -> Iterator[Store]:
    shutil.copyfile(template / "db.sqlite3", tmp_path / "db.sqlite3")
    shutil.copytree(template / "blobs", tmp_path / "blobs")
    st = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "blobs")
    yield st
    st.close()


class Client:
    def __init__(self, store: Store, *, plaintext: bool = False, max_errors: int = 10) -> None:
        self.data = FakeData()
        self.session = FtpSession(
            SessionContext(
                store=store,
                hostname="mail.example.test",
                peer_ip="192.0.2.10",
                session_id="t1",
                data=self.data,
                log=logging.getLogger("test.ftp"),
                tls_available=True,
                allow_plaintext=plaintext,
                errors=ErrorLimits(max_errors=max_errors, max_auth_failures=2),
            )
        )

    def send(self, data: bytes) -> list[Output]:
        self.session.feed(data)
        outs = []
        while (out := self.session.step()) is not None:
            outs.append(out)
        return outs

    def cmd(self, line: str) -> str:
        outs = self.send(line.encode() + b"\r\n")
        assert len(outs) == 1, outs
        return outs[0].data.decode()

    def login(self) -> None:
        assert self.cmd(f"USER {ADMIN}").startswith("331")
        assert self.cmd(f"PASS {ADMIN_PW}").startswith("230")


def test_banner_and_commands_before_login(store: Store) -> None:
    c = Client(store)
    assert c.session.banner().startswith(b"220 mail.example.test ")
    assert c.cmd("USER admin").startswith("530 Log in over TLS")  # no password in clear
    assert c.cmd("PWD").startswith("530 Please log in")
    assert c.cmd("PASS x").startswith("503 Login with USER first")
    assert c.cmd("SYST") == "215 UNIX Type: L8\r\n"
    assert c.cmd("FEAT").startswith("211-Features:")
    assert c.cmd("XYZZY").startswith("500 XYZZY not understood")


def test_auth_tls_then_pbsz_then_prot(store: Store) -> None:
    c = Client(store)
    assert c.cmd("PBSZ 0").startswith("503 PBSZ needs AUTH TLS")
    assert c.cmd("PROT P").startswith("503 PROT needs PBSZ")
    outs = c.send(b"AUTH TLS\r\nUSER injected\r\n")  # a command pipelined in clear behind AUTH TLS
    assert outs[0].data.startswith(b"234") and outs[0].start_tls
    c.session.tls_started()
    assert c.session.step() is None  # ... is dropped with the handshake (RFC 4217)
    assert c.cmd("AUTH TLS").startswith("503 TLS is already active")
    assert c.cmd("PBSZ x").startswith("501")
    assert c.cmd("PBSZ 0") == "200 PBSZ=0\r\n"
    assert c.cmd("PROT S").startswith("536")
    assert c.cmd("PROT P").startswith("200")
    c.login()
    assert c.cmd("USER again").startswith("503 Already logged in")


def test_data_commands_and_transfers(store: Store) -> None:
    c = Client(store, plaintext=True)
    c.login()
    assert c.cmd("RETR /example.test/accounts/alice/account.json").startswith("425 Use PASV")
    assert c.cmd("PASV") == "227 Entering Passive Mode (127,0,0,1,195,81)\r\n"
    c.session.feed(b"RETR /example.test/accounts/alice/account.json\r\nNOOP\r\n")
    first = c.session.step()  # the glue runs the transfer before it asks for the next answer
    assert first is not None and first.data.startswith(b"150") and first.transfer is not None
    transfer = first.transfer
    assert transfer.send is not None and b'"address": "alice@example.test"' in b"".join(transfer.send)
    assert transfer.finish(None, None).startswith(b"226")
    assert transfer.finish(None, "Data connection lost, transfer aborted").startswith(b"426")
    noop = c.session.step()
    assert noop is not None and noop.data == b"200 OK\r\n"
    assert c.cmd("EPRT |1|203.0.113.9|2000|").startswith("504")  # no bounce to a third party
    assert c.cmd("EPRT |1|192.0.2.10|2000|").startswith("200")
    assert c.data.asked == ["passive", ("192.0.2.10", 2000)]
    assert c.cmd("REST x").startswith("501")
    assert c.cmd("REST 5").startswith("350")
    assert c.cmd("STOR /example.test/accounts/alice/folders/INBOX/9,S.eml").startswith(
        "550 Uploads are whole"
    )
    outs = c.send(b"STOR /example.test/accounts/alice/folders/INBOX/20,S.eml\r\n")
    upload = outs[0].transfer
    assert upload is not None and upload.send is None and upload.receive_limit > 0
    assert b"UID 20" in upload.finish(b"Subject: up\r\n\r\nx\r\n", None)
    assert c.cmd("MLST /example.test/accounts/alice/folders/INBOX/20,S.eml").startswith("250-Listing")
    assert c.cmd("STOR /example.test/nothing.bin").startswith("553 nothing can be uploaded")


def test_failed_logins_and_bad_commands_end_the_session(store: Store) -> None:
    c = Client(store, plaintext=True)
    c.cmd("USER admin")
    assert c.cmd("PASS wrong").startswith("530 Login incorrect")
    c.cmd("USER admin")
    out = c.send(b"PASS wrong\r\n")[0]
    assert out.close and b"421 " in out.data
    d = Client(store, plaintext=True, max_errors=3)
    d.cmd("BAD1")
    d.cmd("BAD2")
    assert d.send(b"BAD3\r\n")[0].close
    e = Client(store)
    assert e.send(b"A" * 5000)[0].data.startswith(b"500 Command line too long")


def test_folder_listing_reads_pages(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tree_module, "MAX_PAGE", 3)
    tree = BackupTree(store.for_admin(ADMIN).backup, store.blobs)
    names = [e.name for e in tree.listing(("example.test", "accounts", "alice", "folders", "INBOX"))]
    assert names == ["1,.eml", "2,S.eml", "3,.eml", "4,S.eml", "5,.eml", "6,S.eml", "7,.eml"]
    whole = b"".join(tree.read(("example.test", "accounts", "alice", "folders", "INBOX", "messages.tar")))
    import io
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(whole)) as tar:
        assert tar.getnames() == names
