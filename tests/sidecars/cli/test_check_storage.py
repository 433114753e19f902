"""CHECK STORAGE: the read-only consistency check on the console; a problem is listed and left alone;
only server-wide administrators may run it."""

from __future__ import annotations

import hashlib
import re

import pytest

from sidecars.cli import maintenance
from storage.store import Store
from tests.sidecars.cli.conftest import Client, MakeClient

TOP = "<#> "


def test_a_consistent_store(admin: Client) -> None:
    assert re.fullmatch(
        r"\+OK: store is consistent \(checked in \d+\.\d s\)\r\n<#> ", admin.cmd("CHECK STORAGE")
    )
    assert admin.cmd("CHECK STORAGE now").startswith("-ERR: CHECK STORAGE: parameter 'now' has no value")


def test_a_problem_is_listed_and_left_alone(store: Store, admin: Client) -> None:
    sha = store.blobs.put(b"Subject: nobody's\r\n\r\nan orphan blob file\r\n")
    reply = admin.cmd("CHECK STORAGE")
    lines = reply.split("\r\n")
    assert any(line.startswith("problem: ") and sha[:12] in line and "orphan" in line for line in lines)
    assert re.search(r"\+OK: 1 problem\(s\) found in \d+\.\d s; nothing was changed", reply)
    assert reply.endswith(TOP)
    assert store.blobs.exists(sha)


def test_the_listing_is_capped(store: Store, admin: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(3):
        store.blobs.put(f"Subject: orphan {n}\r\n\r\nx\r\n".encode())
    monkeypatch.setattr(maintenance, "MAX_PROBLEMS", 2)
    reply = admin.cmd("CHECK STORAGE")
    assert sum(line.startswith("problem: ") for line in reply.split("\r\n")) == 2
    assert "3 problem(s) found" in reply and "the first 2 shown" in reply


def test_only_server_wide_administrators(store: Store, make_client: MakeClient) -> None:
    server = store.for_admin("admin")
    server.admins.add("ops", "opspass123", server_rights="all")
    ops = make_client()
    assert ops.login("ops", "opspass123").endswith(TOP)
    assert ops.cmd("CHECK STORAGE") == "-ERR: only a server administrator may do this\r\n" + TOP
    assert "CHECK STORAGE" not in ops.cmd("HELP")


def test_repair_storage(store: Store, admin: Client) -> None:
    sha = store.blobs.put(b"Subject: nobody's\r\n\r\nan orphan blob file\r\n")
    reply = admin.cmd("REPAIR STORAGE")
    lines = reply.split("\r\n")
    assert any(line.startswith("repaired: ") and sha[:12] in line for line in lines), reply
    assert re.search(r"\+OK: 1 repair\(s\) made in \d+\.\d s; the store is consistent\r\n<#> $", reply)
    assert not store.blobs.exists(sha)
    assert re.fullmatch(
        r"\+OK: 0 repair\(s\) made in \d+\.\d s; the store is consistent\r\n<#> ", admin.cmd("REPAIR STORAGE")
    )
    assert admin.cmd("REPAIR STORAGE now").startswith("-ERR: REPAIR STORAGE: parameter 'now' has no value")


def test_reindex_storage(store: Store, admin: Client) -> None:
    store.mail.append("alice@example.test", "INBOX", b"Subject: Muller report\r\n\r\nthe figures\r\n")
    reply = admin.cmd("REINDEX STORAGE")
    assert re.fullmatch(
        r"\+OK: search index and cached envelopes rebuilt: 1 message bodies parsed in \d+\.\d s\r\n<#> ",
        reply,
    )
    assert admin.cmd("REINDEX STORAGE all yes").startswith("-ERR: REINDEX STORAGE: unknown parameter 'all'")
    admin.cmd("UPDATE DOMAIN name example.test")
    assert admin.cmd("REINDEX STORAGE").startswith("-ERR: REINDEX STORAGE is not available here")


def test_repair_and_reindex_need_a_server_wide_administrator(store: Store, make_client: MakeClient) -> None:
    server = store.for_admin("admin")
    server.admins.add("ops", "opspass123", server_rights="all")
    server.admins.add("dora", "dorapass12")
    server.admins.grant("example.test", admin="dora", rights="all")
    sha = store.blobs.put(b"Subject: nobody's\r\n\r\nan orphan blob file\r\n")
    for name, password in (("ops", "opspass123"), ("dora", "dorapass12")):
        client = make_client()
        assert client.login(name, password).endswith(TOP)
        for line in ("REPAIR STORAGE", "REINDEX STORAGE"):
            assert client.cmd(line) == "-ERR: only a server administrator may do this\r\n" + TOP
        assert "STORAGE" not in client.cmd("HELP")
    assert store.blobs.exists(sha)


def test_repair_says_what_it_cannot_mend(store: Store, admin: Client) -> None:
    raw = b"Subject: lost\r\n\r\nits file goes missing\r\n"
    store.mail.append("alice@example.test", "INBOX", raw)
    sha = hashlib.sha256(raw).hexdigest()
    store.blobs.path(sha).unlink()
    reply = admin.cmd("REPAIR STORAGE")
    assert f"problem: body {sha[:12]}: blob file missing" in reply
    assert re.search(
        r"\+OK: 0 repair\(s\) made in \d+\.\d s; 1 problem\(s\) remain that no repair can mend", reply
    )
