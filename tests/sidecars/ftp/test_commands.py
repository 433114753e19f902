"""The FTP backup service command by command, with Python's ftplib against a real server process."""

from __future__ import annotations

import ftplib
import io
import json
import socket
from pathlib import Path

import pytest

from tests.sidecars.ftp.conftest import ADMIN, Connect, store_of

ALICE = "/example.test/accounts/alice"
INBOX = f"{ALICE}/folders/INBOX"


def fetch(ftp: ftplib.FTP, path: str, rest: int | None = None) -> bytes:
    out = io.BytesIO()
    ftp.retrbinary(f"RETR {path}", out.write, rest=rest)
    return out.getvalue()


def test_login_needs_tls_and_the_right_password(ftp_port: int, connect: Connect) -> None:
    plain = ftplib.FTP()
    plain.connect("127.0.0.1", ftp_port, timeout=30)
    with pytest.raises(ftplib.error_perm, match="530 Log in over TLS"):
        plain.login(ADMIN, "adminpass1")
    plain.close()
    ftp = connect(login=False)
    with pytest.raises(ftplib.error_perm, match="530 Login incorrect"):
        ftp.login(ADMIN, "wrong")
    with pytest.raises(ftplib.error_perm, match="530 Login incorrect"):
        ftp.login("alice@example.test", "demopass1")  # a mailbox user is no administrator
    with pytest.raises(ftplib.error_perm, match="530 Please log in"):
        ftp.sendcmd("PWD")
    assert connect().pwd() == "/"


def test_too_many_bad_commands_end_the_session(connect: Connect) -> None:
    ftp = connect()
    replies = []
    for _ in range(12):
        try:
            replies.append(ftp.sendcmd("BOGUS"))
        except ftplib.error_perm as exc:
            replies.append(str(exc))
        except (ftplib.error_temp, EOFError, OSError) as exc:
            replies.append(f"end {exc}")
            break
    assert replies[0].startswith("500 BOGUS not understood")
    assert any("421" in r or r.startswith("end") for r in replies)


def test_feat_syst_help_stat_noop(connect: Connect) -> None:
    ftp = connect()
    feat = ftp.sendcmd("FEAT")
    for word in ("EPSV", "MLST type*;size*;modify*;perm*;", "REST STREAM", "AUTH TLS", "SIZE", "MDTM"):
        assert word in feat
    assert ftp.sendcmd("SYST").startswith("215 UNIX")
    assert "RETR" in ftp.sendcmd("HELP")
    assert "Administrator: admin" in ftp.sendcmd("STAT")
    assert ftp.voidcmd("NOOP").startswith("200")
    assert ftp.sendcmd("OPTS UTF8 ON").startswith("200")


def test_tree_listings(connect: Connect) -> None:
    ftp = connect()
    assert ftp.nlst("/") == ["example.test"]
    top = dict(ftp.mlsd("/example.test"))
    assert top["domain.json"]["type"] == "file"
    assert {"accounts", "groups", "forwarders", "public", "sieve"} <= {
        n for n, f in top.items() if f["type"] == "dir"
    }
    assert {"alice", "bob", "carol", "postmaster"} <= set(ftp.nlst("/example.test/accounts"))
    folders = dict(ftp.mlsd(f"{ALICE}/folders"))
    assert folders["INBOX"]["type"] == "dir" and "Sent" in folders
    messages = dict(ftp.mlsd(INBOX))
    assert messages and all(name.endswith(".eml") and f["type"] == "file" for name, f in messages.items())
    lines: list[str] = []
    ftp.retrlines(f"LIST {INBOX}", lines.append)
    assert len(lines) == len(messages) and lines[0].startswith("-rw-r--r--")
    assert "messages.tar" not in messages  # downloadable by name, never listed (mirrors copy once)


def test_cwd_pwd_cdup_and_bad_paths(connect: Connect) -> None:
    ftp = connect()
    assert ftp.cwd(INBOX).startswith("250")
    assert ftp.pwd() == INBOX
    ftp.sendcmd("CDUP")
    assert ftp.pwd() == f"{ALICE}/folders"
    ftp.cwd("../../../../..")
    assert ftp.pwd() == "/"
    for bad in ("/nowhere.test", f"{ALICE}/folders/NoSuch", "/example.test/accounts/nobody"):
        with pytest.raises(ftplib.error_perm, match="550"):
            ftp.cwd(bad)
    with pytest.raises(ftplib.error_perm, match="550 Not a directory"):
        ftp.cwd(f"{ALICE}/account.json")


def test_retr_size_mdtm_mlst_and_rest(connect: Connect) -> None:
    ftp = connect()
    name = ftp.nlst(INBOX)[0].rpartition("/")[2]
    path = f"{INBOX}/{name}"
    body = fetch(ftp, path)
    assert body.startswith(b"From: ") or b"\r\n\r\n" in body
    assert ftp.size(path) == len(body)
    assert ftp.sendcmd(f"MDTM {path}").startswith("213 20")
    assert "type=file;size=" in ftp.sendcmd(f"MLST {path}")
    assert fetch(ftp, path, rest=10) == body[10:]
    doc = json.loads(fetch(ftp, f"{ALICE}/account.json"))
    assert doc["address"] == "alice@example.test" and doc["credentials"]["password_hash"].startswith(
        "$argon2"
    )
    with pytest.raises(ftplib.error_perm, match="550"):
        fetch(ftp, f"{INBOX}/999999,.eml")
    with pytest.raises(ftplib.error_perm, match="550 Not a plain file"):
        ftp.size(INBOX)


def test_stor_restores_a_message_with_its_uid_and_flags(connect: Connect) -> None:
    ftp = connect()
    raw = b"From: x@example.test\r\nSubject: restored\r\n\r\nhello\r\n"
    reply = ftp.storbinary(f"STOR {ALICE}/folders/Archive/40,SF,$Label1.eml", io.BytesIO(raw))
    assert reply.startswith("226") and "UID 40" in reply
    assert dict(ftp.mlsd(f"{ALICE}/folders/Archive")).keys() == {"40,SF,$Label1.eml"}
    assert fetch(ftp, f"{ALICE}/folders/Archive/40,SF.eml") == raw  # found by UID whatever the flags
    ftp.sendcmd(f"MFMT 20200102030405 {ALICE}/folders/Archive/40,SF,$Label1.eml")
    assert ftp.sendcmd(f"MDTM {ALICE}/folders/Archive/40,SF,$Label1.eml") == "213 20200102030405"
    assert "UID 41" in ftp.storbinary(f"STOR {ALICE}/folders/Archive/note.eml", io.BytesIO(raw))
    with pytest.raises(ftplib.error_perm, match="553"):
        ftp.storbinary(f"STOR {ALICE}/folders/Archive/empty.eml", io.BytesIO(b""))
    with pytest.raises(ftplib.error_perm, match="553"):
        ftp.storbinary(f"STOR {ALICE}/account.json", io.BytesIO(b"{not json"))
    with pytest.raises(ftplib.error_perm, match="553"):
        ftp.storbinary(f"STOR {ALICE}/nothing.txt", io.BytesIO(b"x"))


def test_mkd_makes_accounts_and_folders_and_nothing_is_deleted(connect: Connect) -> None:
    ftp = connect()
    assert ftp.mkd("/example.test/accounts/dave") == "/example.test/accounts/dave"
    assert "dave" in ftp.nlst("/example.test/accounts")
    ftp.mkd("/example.test/accounts/dave/folders/Projects/2025")
    assert ftp.nlst("/example.test/accounts/dave/folders/Projects") == ["2025"] or ftp.nlst(
        "/example.test/accounts/dave/folders/Projects"
    ) == ["/example.test/accounts/dave/folders/Projects/2025"]
    for command in (f"DELE {ALICE}/account.json", f"RMD {INBOX}", f"RNFR {INBOX}"):
        with pytest.raises(ftplib.error_perm, match="550"):
            ftp.sendcmd(command)


def test_messages_tar_downloads_and_restores(connect: Connect) -> None:
    import tarfile

    ftp = connect()
    data = fetch(ftp, f"{INBOX}/messages.tar")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = tar.getnames()
    assert sorted(names) == sorted(n.rpartition("/")[2] for n in ftp.nlst(INBOX))
    reply = ftp.storbinary(f"STOR {ALICE}/folders/Archive/messages.tar", io.BytesIO(data))
    assert reply.startswith("226") and f"{len(names)} messages restored" in reply
    assert sorted(n.rpartition("/")[2] for n in ftp.nlst(f"{ALICE}/folders/Archive")) == sorted(names)


def test_epsv_eprt_port_and_wrong_sequences(connect: Connect) -> None:
    ftp = connect()
    with pytest.raises(ftplib.error_temp, match="425"):
        ftp.sendcmd(f"RETR {ALICE}/account.json")  # no PASV/PORT before it
    ftp.af = socket.AF_INET
    assert ftp.sendcmd("EPSV").startswith("229 Entering Extended Passive Mode (|||")
    ftp.set_pasv(False)  # PORT: the server connects back to us
    assert fetch(ftp, f"{ALICE}/account.json").startswith(b"{")
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    assert ftp.sendcmd(f"EPRT |1|127.0.0.1|{port}|").startswith("200")
    listener.close()
    with pytest.raises(ftplib.error_perm, match="504"):
        ftp.sendcmd("EPRT |1|192.0.2.1|2000|")  # never to a third party (RFC 2577)
    with pytest.raises(ftplib.error_perm, match="501"):
        ftp.sendcmd("PORT 1,2,3")
    with pytest.raises(ftplib.error_perm, match="503"):
        ftp.sendcmd("USER admin")  # already logged in
    assert ftp.sendcmd("TYPE I").startswith("200")
    with pytest.raises(ftplib.error_perm, match="504"):
        ftp.sendcmd("TYPE E")


def test_passive_port_range_and_upload_limit(ftp_data: Path, connect: Connect) -> None:
    with store_of(ftp_data) as st:  # read by each new connection
        st.settings.set("ftp.passive_ports", "41000-41009")
        st.settings.set("ftp.max_upload_bytes", 1024)
    ftp = connect()
    for _ in range(3):
        port = int(ftp.sendcmd("EPSV").split("|")[3])
        assert 41000 <= port <= 41009
    assert fetch(ftp, f"{ALICE}/account.json").startswith(b"{")
    with pytest.raises(ftplib.error_perm, match="552 Upload larger than 1024 bytes"):
        ftp.storbinary(
            f"{'STOR'} {ALICE}/folders/Archive/big.eml", io.BytesIO(b"Subject: x\r\n\r\n" + b"y" * 5000)
        )
    assert ftp.nlst(f"{ALICE}/folders/Archive") == []


def test_dkim_keys_travel_sealed(ftp_data: Path, connect: Connect) -> None:
    from filters import dkim_sign

    with store_of(ftp_data) as st:
        key = dkim_sign.generate(st, "example.test", "sel1")
        sealed = key.path.read_bytes()
    ftp = connect()
    assert ftp.nlst("/example.test/dkim") in (["sel1.key"], ["/example.test/dkim/sel1.key"])
    got = fetch(ftp, "/example.test/dkim/sel1.key")
    assert got.strip() == sealed.strip() and b"PRIVATE KEY" not in got  # never in clear
    assert "DKIM key sel2 restored" in ftp.storbinary("STOR /example.test/dkim/sel2.key", io.BytesIO(got))
    with store_of(ftp_data) as st:
        assert dkim_sign.load(st, "example.test", "sel2").private_pem == key.private_pem
    with pytest.raises(ftplib.error_perm, match="553 this DKIM key does not open here"):
        ftp.storbinary("STOR /example.test/dkim/sel3.key", io.BytesIO(b"gAAAAAnotatoken"))
