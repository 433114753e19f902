"""IMPORT ACCOUNTS (a CSV file on the server, a report line per line), IMPORT MBOX and EXPORT MBOX (an
account's folder from and to an mbox file on the server): bad paths and files, and only server-wide
administrators."""

from __future__ import annotations

from pathlib import Path

from storage.store import Store
from tests.sidecars.cli.conftest import Client, MakeClient, table

DOMAIN = "<domain#> "


def in_domain(client: Client, name: str = "example.test") -> None:
    assert client.cmd(f"UPDATE DOMAIN name {name}").endswith(DOMAIN)


def test_import_accounts(store: Store, admin: Client, tmp_path: Path) -> None:
    csv = tmp_path / "people.csv"
    csv.write_text(
        "address,password,display_name\n"
        "dan,danpass123,Dan Dee\n"
        "bob,bobpass999,Taken\n"
        "eve@other.test,evepass123,\n"
        "fay,,Fay\n"
        "gus,short,\n"
    )
    in_domain(admin)
    reply = admin.cmd(f"IMPORT ACCOUNTS file {csv}")
    assert reply.endswith("+OK: 2 account(s) added, 3 refused\r\n" + DOMAIN)
    rows = table(reply)
    assert rows[0] == ["2", "dan@example.test", "added"]
    assert rows[1][:3] == ["3", "bob@example.test", "refused"] and "already taken" in rows[1][3]
    assert rows[2] == ["4", "eve@other.test", "refused", "eve@other.test is not in domain example.test"]
    assert rows[3][:3] == ["5", "fay@example.test", "added"] and rows[3][3].startswith("password: ")
    assert rows[4][:3] == ["6", "gus@example.test", "refused"]
    assert store.accounts.get("dan@example.test").display_name == "Dan Dee"
    password = rows[3][3].removeprefix("password: ")
    store.auth.verify("fay@example.test", password)  # AuthFailed unless the shown password works
    assert "eve@other.test" not in [a.address for a in store.accounts.list("other.test")]


def test_import_accounts_bad_input(admin: Client, tmp_path: Path) -> None:
    in_domain(admin)
    assert admin.cmd("IMPORT ACCOUNTS").startswith("-ERR: IMPORT ACCOUNTS: missing parameter file")
    assert admin.cmd("IMPORT ACCOUNTS file people.csv") == (
        "-ERR: people.csv: give an absolute path (the file is on the server)\r\n" + DOMAIN
    )
    missing = tmp_path / "none.csv"
    assert (
        admin.cmd(f"IMPORT ACCOUNTS file {missing}")
        == f"-ERR: {missing}: no such file on the server\r\n" + DOMAIN
    )
    assert (
        admin.cmd(f"IMPORT ACCOUNTS file {tmp_path}")
        == f"-ERR: {tmp_path} is not a regular file\r\n" + DOMAIN
    )
    assert admin.cmd("IMPORT ACCOUNTS file /dev/zero") == "-ERR: /dev/zero is not a regular file\r\n" + DOMAIN
    big = tmp_path / "big.csv"
    big.write_bytes(b"address\n" + b"x" * (1024 * 1024))
    assert admin.cmd(f"IMPORT ACCOUNTS file {big}") == f"-ERR: {big} is larger than 1024 KiB\r\n" + DOMAIN
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("mail,pass\nx,y\n")
    assert admin.cmd(f"IMPORT ACCOUNTS file {wrong}").startswith("-ERR: unknown column 'mail' in the header")
    admin.cmd("BACK")
    assert admin.cmd(f"IMPORT ACCOUNTS file {wrong}").startswith(
        "-ERR: IMPORT ACCOUNTS is not available here"
    )


def test_import_accounts_needs_a_server_wide_administrator(
    store: Store, make_client: MakeClient, tmp_path: Path
) -> None:
    server = store.for_admin("admin")
    server.admins.add("dora", "dorapass12")
    server.admins.grant("example.test", admin="dora", rights="all")
    csv = tmp_path / "people.csv"
    csv.write_text("address,password\ndan,danpass123\n")
    dora = make_client()
    dora.login("dora", "dorapass12")
    in_domain(dora)
    assert (
        dora.cmd(f"IMPORT ACCOUNTS file {csv}")
        == "-ERR: only a server administrator may do this\r\n" + DOMAIN
    )
    assert dora.cmd("IMPORT ACCOUNTS file relative.csv").startswith("-ERR: only a server administrator")
    assert "IMPORT ACCOUNTS" not in dora.cmd("HELP")
    assert [a.address for a in store.accounts.list("example.test") if a.address.startswith("dan")] == []


ACCOUNT = "<domain-account#> "
MBOX = (
    b"From a@far.test Mon Jan  5 10:00:00 2026\n"
    b"From: a@far.test\nSubject: first\nStatus: RO\n\nhello\n>From the start\n\n"
    b"From b@far.test Tue Jan  6 11:00:00 2026\n"
    b"From: b@far.test\nSubject: second\n\nbye\n\n"
)


def in_account(client: Client, name: str = "alice") -> None:
    in_domain(client)
    assert client.cmd(f"UPDATE ACCOUNT name {name}").endswith(ACCOUNT)


def test_import_and_export_mbox(store: Store, admin: Client, tmp_path: Path) -> None:
    source = tmp_path / "old.mbox"
    source.write_bytes(MBOX)
    in_account(admin)
    assert admin.cmd(f"IMPORT MBOX file {source} into Archive/2026") == (
        "+OK: 2 message(s) imported into alice@example.test/Archive/2026\r\n" + ACCOUNT
    )
    messages = store.mail.iter_raw("alice@example.test", "Archive/2026")
    raws = [raw for _uid, raw, _date, _flags in messages]
    assert (
        len(raws) == 2 and b"Subject: first" in raws[0] and b"\nFrom the start" in raws[0].replace(b"\r", b"")
    )
    out = tmp_path / "out.mbox"
    assert admin.cmd(f"EXPORT MBOX folder Archive/2026 file {out}") == (
        f"+OK: 2 message(s) of alice@example.test/Archive/2026 exported to {out}\r\n" + ACCOUNT
    )
    written = out.read_bytes()
    assert written.count(b"\nFrom ") + written.startswith(b"From ") == 2
    assert b"Subject: second" in written and b"\n>From the start" in written and b"Status: RO" in written
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    assert admin.cmd(f"EXPORT MBOX folder Archive/2026 file {out}") == (
        f"-ERR: {out} exists already; name a new file\r\n" + ACCOUNT
    )
    assert out.read_bytes() == written


def test_mbox_bad_input(store: Store, admin: Client, tmp_path: Path) -> None:
    in_account(admin)
    assert admin.cmd("IMPORT MBOX file /x.mbox").startswith("-ERR: IMPORT MBOX: missing parameter into")
    assert admin.cmd("IMPORT MBOX file old.mbox into INBOX") == (
        "-ERR: old.mbox: give an absolute path (the file is on the server)\r\n" + ACCOUNT
    )
    assert admin.cmd(f"IMPORT MBOX file {tmp_path} into INBOX") == (
        f"-ERR: {tmp_path} is not a regular file\r\n" + ACCOUNT
    )
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"just some notes\n")
    assert admin.cmd(f"IMPORT MBOX file {notes} into INBOX").startswith(
        f"-ERR: 0 message(s) imported; message 1: {notes} is not an mbox file"
    )
    empty = tmp_path / "empty.mbox"
    empty.write_bytes(b"")
    assert (
        admin.cmd(f"IMPORT MBOX file {empty} into INBOX") == f"-ERR: {empty} holds no messages\r\n" + ACCOUNT
    )
    assert admin.cmd(f"EXPORT MBOX folder Nowhere file {tmp_path / 'x.mbox'}").startswith("-ERR: ")
    assert not (tmp_path / "x.mbox").exists()
    assert admin.cmd(f"EXPORT MBOX folder INBOX file {tmp_path / 'no' / 'x.mbox'}") == (
        f"-ERR: {tmp_path / 'no'}: no such directory on the server\r\n" + ACCOUNT
    )
    assert admin.cmd("EXPORT MBOX folder INBOX file out.mbox").startswith(
        "-ERR: out.mbox: give an absolute path"
    )
    admin.cmd("BACK")
    assert admin.cmd(f"IMPORT MBOX file {empty} into INBOX").startswith(
        "-ERR: IMPORT MBOX is not available here"
    )


def test_mbox_quota_stops_the_import(store: Store, admin: Client, tmp_path: Path) -> None:
    source = tmp_path / "old.mbox"
    source.write_bytes(MBOX)
    in_account(admin)
    assert admin.cmd("SET quota.messages 1").startswith("+OK")
    reply = admin.cmd(f"IMPORT MBOX file {source} into INBOX")
    assert reply.startswith("-ERR: 1 message(s) imported, then: ") and reply.endswith(ACCOUNT)


def test_mbox_needs_a_server_wide_administrator(
    store: Store, make_client: MakeClient, tmp_path: Path
) -> None:
    server = store.for_admin("admin")
    server.admins.add("dora", "dorapass12")
    server.admins.grant("example.test", admin="dora", rights="all")
    source = tmp_path / "old.mbox"
    source.write_bytes(MBOX)
    dora = make_client()
    dora.login("dora", "dorapass12")
    in_account(dora)
    refused = "-ERR: only a server administrator may do this\r\n" + ACCOUNT
    assert dora.cmd(f"IMPORT MBOX file {source} into INBOX") == refused
    assert dora.cmd(f"EXPORT MBOX folder INBOX file {tmp_path / 'out.mbox'}") == refused
    assert not (tmp_path / "out.mbox").exists()
    assert "MBOX" not in dora.cmd("HELP")
    assert [f.path for f in store.folders.list("alice@example.test") if f.path == "INBOX"]
    assert list(store.mail.iter_raw("alice@example.test", "INBOX")) == []


def _maildir(root: Path) -> Path:
    """A Maildir with one new and one seen message, and a Maildir++ subfolder .Lists.Work with one."""
    for folder in (root, root / ".Lists.Work"):
        for sub in ("cur", "new", "tmp"):
            (folder / sub).mkdir(parents=True)
    (root / "new" / "1700000001.M1P1.host").write_bytes(b"Subject: fresh\n\nnew one\n")
    (root / "cur" / "1700000002.M2P1.host:2,S").write_bytes(b"Subject: read\n\nseen one\n")
    (root / ".Lists.Work" / "cur" / "1700000003.M3P1.host:2,FS").write_bytes(b"Subject: listed\n\nwork\n")
    return root


def test_import_maildir_keeps_subfolders_and_flags(store: Store, admin: Client, tmp_path: Path) -> None:
    source = _maildir(tmp_path / "Maildir")
    in_account(admin)
    assert admin.cmd(f"IMPORT MAILDIR dir {source} into Old") == (
        "+OK: 3 message(s) imported into alice@example.test/Old\r\n" + ACCOUNT
    )
    top = {
        raw.split(b"\r\n", 1)[0]: flags
        for _uid, raw, _d, flags in store.mail.iter_raw("alice@example.test", "Old")
    }
    assert top == {b"Subject: fresh": frozenset(), b"Subject: read": frozenset({"\\Seen"})}
    (listed,) = list(store.mail.iter_raw("alice@example.test", "Old/Lists/Work"))
    assert listed[1].startswith(b"Subject: listed\r\n") and listed[3] == frozenset({"\\Flagged", "\\Seen"})


def test_import_maildir_bad_input_and_who_may(
    store: Store, admin: Client, make_client: MakeClient, tmp_path: Path
) -> None:
    in_account(admin)
    assert admin.cmd("IMPORT MAILDIR dir Maildir into INBOX") == (
        "-ERR: Maildir: give an absolute path (the file is on the server)\r\n" + ACCOUNT
    )
    assert admin.cmd(f"IMPORT MAILDIR dir {tmp_path / 'none'} into INBOX") == (
        f"-ERR: {tmp_path / 'none'}: no such directory on the server\r\n" + ACCOUNT
    )
    plain = tmp_path / "plain"
    plain.mkdir()
    assert admin.cmd(f"IMPORT MAILDIR dir {plain} into INBOX") == (
        f"-ERR: 0 message(s) imported; {plain} is not a Maildir (no cur/ or new/ inside)\r\n" + ACCOUNT
    )
    server = store.for_admin("admin")
    server.admins.add("dora", "dorapass12")
    server.admins.grant("example.test", admin="dora", rights="all")
    dora = make_client()
    dora.login("dora", "dorapass12")
    in_account(dora)
    source = _maildir(tmp_path / "Maildir")
    assert dora.cmd(f"IMPORT MAILDIR dir {source} into INBOX") == (
        "-ERR: only a server administrator may do this\r\n" + ACCOUNT
    )
    assert list(store.mail.iter_raw("alice@example.test", "INBOX")) == []
