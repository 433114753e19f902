"""``fieldpost admin ...`` driven through the command's own ``main()`` (as the shell runs it, in-process
to spare a Python start per step), checked against what the store then holds and what a delegated
administrator then reaches."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from fieldpost.cli import main
from tests.fieldpost.conftest import needs_storage

pytestmark = needs_storage

Run = Callable[..., str]


@pytest.fixture
def fp(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    data = tmp_path / "data"

    def run(*args: str) -> str:
        capsys.readouterr()
        assert main([*args, "--data", str(data)]) == 0
        return capsys.readouterr().out

    run("init", "--admin-password", "adminpass1", "--hostname", "mail.example.test")
    run("domain", "add", "example.test")
    run("domain", "add", "other.test")
    return run


def fails(capsys: pytest.CaptureFixture[str], fp: Run, *args: str) -> str:
    with pytest.raises(SystemExit) as exited:
        fp(*args)
    assert exited.value.code == 1
    return capsys.readouterr().err.strip()


def opened(tmp_path: Path) -> object:
    from storage import open_store

    data = tmp_path / "data"
    return open_store(f"sqlite:///{data / 'db.sqlite3'}", data / "blobs")


def test_delegated_administration_from_the_command_line(
    fp: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "administrator dora added (delegated)" in fp(
        "admin", "add", "dora", "--password", "dora-pass-1", "--rights", "queue"
    )
    granted = fp(
        "admin", "grant", "dora", "example.test", "--rights", "accounts,groups",
        "--max-accounts", "5", "--max-quota-mb", "100",
    )  # fmt: skip
    assert granted.strip() == (
        "granted to administrator dora: example.test (accounts,groups; max 5 accounts, max 100 MB per mailbox)"
    )
    listing = fp("admin", "list").splitlines()
    assert listing == [
        "admin  server-wide",
        "dora  delegated  rights: queue  domains: example.test (accounts,groups; max 5 accounts, "
        "max 100 MB per mailbox)",
    ]
    assert "added" in fp("admin", "group", "add", "helpdesk", "--rights", "logs")
    fp("admin", "group", "add-member", "helpdesk", "dora")
    fp("admin", "group", "grant", "helpdesk", "other.test", "--rights", "none")
    assert fp("admin", "group", "members", "helpdesk").split() == ["dora"]
    assert fp("admin", "group", "list").strip() == (
        "helpdesk  rights: logs  members: dora  domains: other.test (none)"
    )
    assert "groups: helpdesk" in fp("admin", "show", "dora")

    from storage.store import Store

    store = opened(tmp_path)
    assert isinstance(store, Store)
    try:
        dora = store.for_admin("dora")
        assert [d.name for d in dora.list_domains()] == ["example.test", "other.test"]
        scope = dora.scope()
        assert scope.server_rights == {"queue", "logs"}
        assert store.admins.verify("dora", "dora-pass-1")
    finally:
        store.close()

    assert "disabled" in fp("admin", "disable", "dora")
    assert "delegated  disabled" in fp("admin", "show", "dora")
    fp("admin", "enable", "dora")
    fp("admin", "passwd", "dora", "--password", "dora-pass-2")
    assert "rights: logs,reports" in fp("admin", "rights", "dora", "--set", "logs reports")
    assert fp("admin", "rights", "dora", "--server-wide").startswith("dora  server-wide")
    assert fp("admin", "rights", "dora", "--delegated").startswith("dora  delegated  rights: logs,reports")
    fp("admin", "revoke", "dora", "example.test")
    fp("admin", "group", "revoke", "helpdesk", "other.test")
    fp("admin", "group", "remove-member", "helpdesk", "dora")
    assert fp("admin", "show", "dora").strip() == "dora  delegated  rights: logs,reports"
    fp("admin", "group", "delete", "helpdesk")
    assert fp("admin", "group", "list") == ""

    store = opened(tmp_path)
    assert isinstance(store, Store)
    try:
        assert store.admins.verify("dora", "dora-pass-2")
        assert store.for_admin("dora").list_domains() == []
    finally:
        store.close()
    fp("admin", "delete", "dora")
    assert fp("admin", "list").strip() == "admin  server-wide"


def test_admin_command_errors_are_one_clear_line(fp: Run, capsys: pytest.CaptureFixture[str]) -> None:
    assert "last enabled server-wide administrator" in fails(capsys, fp, "admin", "delete", "admin")
    assert "last enabled server-wide administrator" in fails(capsys, fp, "admin", "disable", "admin")
    assert "last enabled server-wide administrator" in fails(
        capsys, fp, "admin", "rights", "admin", "--delegated"
    )
    fp("admin", "add", "dora", "--password", "dora-pass-1")
    assert fails(capsys, fp, "admin", "grant", "dora", "nowhere.test") == (
        "fieldpost: error: domain nowhere.test does not exist"
    )
    assert "unknown permission 'root'" in fails(capsys, fp, "admin", "rights", "dora", "--set", "root")
    assert "unknown permission 'everything'" in fails(
        capsys, fp, "admin", "grant", "dora", "example.test", "--rights", "everything"
    )
    assert "administrator 'nobody' does not exist" in fails(capsys, fp, "admin", "show", "nobody")
    assert "already exists" in fails(capsys, fp, "admin", "add", "dora", "--password", "dora-pass-1")
    assert "--rights is for delegated" in fails(
        capsys,
        fp,
        "admin",
        "add",
        "root2",
        "--password",
        "root2-pass-1",
        "--server-wide",
        "--rights",
        "queue",
    )
    assert "not granted" in fails(capsys, fp, "admin", "revoke", "dora", "example.test")
    out = fp("admin", "permissions")
    assert "server permissions:" in out and "  accounts " in out and "  admins " in out


def test_the_commands_keep_working_once_admin_is_replaced(fp: Run) -> None:
    fp("admin", "add", "root2", "--password", "root2-pass-1", "--server-wide")
    fp("admin", "rights", "admin", "--delegated")
    fp("admin", "delete", "admin")
    assert fp("admin", "list").strip() == "root2  server-wide"
    assert "example.test" in fp("domain", "list")
