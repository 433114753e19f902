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
