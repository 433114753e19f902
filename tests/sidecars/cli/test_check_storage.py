"""CHECK STORAGE: the read-only consistency check on the console; a problem is listed and left alone;
only server-wide administrators may run it."""

from __future__ import annotations

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
