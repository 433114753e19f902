"""``fieldpost rpop``: an account's remote mailboxes from the command line."""

from __future__ import annotations

from pathlib import Path

from tests.fieldpost.conftest import run_cli


def test_add_list_fetch_delete(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    run_cli(
        "init",
        "--data",
        data,
        "--demo",
        "--admin-password",
        "adminpw1",
        "--demo-password",
        "demopass1",
        check=True,
    )
    added = run_cli(
        "rpop", "add", "alice@example.test", "--data", data, "--template", "yahoo", "--user", "alice.y",
        "--password", "remote-pw", "--every", "30", "--delete", check=True,
    )  # fmt: skip
    assert added.stdout.startswith("remote mailbox 1 added: alice.y@imap.mail.yahoo.com (IMAP)")
    listed = run_cli("rpop", "list", "alice@example.test", "--data", data, check=True).stdout
    assert (
        "1  imap://alice.y@imap.mail.yahoo.com:993 (implicit)  -> INBOX  every 30 min, delete, on" in listed
    )
    assert "remote-pw" not in listed
    assert run_cli("rpop", "fetch", "alice@example.test", "1", "--data", data, check=True).returncode == 0
    run_cli("rpop", "delete", "alice@example.test", "1", "--data", data, check=True)
    assert "fetches no remote mailbox" in run_cli("rpop", "list", "alice@example.test", "--data", data).stdout


def test_bad_input_is_one_line_and_status_1(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    run_cli(
        "init",
        "--data",
        data,
        "--demo",
        "--admin-password",
        "adminpw1",
        "--demo-password",
        "demopass1",
        check=True,
    )
    for args, words in [
        (["--host", "h.example", "--every", "1"], "interval must be 5 minutes to 7 days"),
        (["--template", "aol"], "unknown template 'aol'; known: gmail, yahoo, outlook, gmail-pop"),
        ([], "--host (or --template) is required"),
        (["--host", "h.example", "--security", "none"], "remote mailboxes without TLS are not allowed here"),
    ]:
        proc = run_cli(
            "rpop", "add", "alice@example.test", "--data", data, "--user", "u", "--password", "p", *args
        )
        assert proc.returncode == 1, args
        assert proc.stderr == f"fieldpost: error: {words}\n", proc.stderr
    missing = run_cli("rpop", "delete", "alice@example.test", "7", "--data", data)
    assert (missing.returncode, missing.stderr) == (1, "fieldpost: error: no such remote mailbox\n")
