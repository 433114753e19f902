"""Store-backed commands, driven through the ``fieldpost`` command in a subprocess.

Every test here needs ``storage.open_store`` and is skipped (marked ``needs_storage``) until it exists.
"""

from __future__ import annotations

import mailbox
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fieldpost.conftest import REPO, cli_env, needs_storage, run_cli

pytestmark = needs_storage


def fp(data: Path, *args: str, check: bool = True) -> str:
    return run_cli(*args, "--data", str(data), check=check).stdout


@pytest.fixture
def demo(data_dir: Path) -> Path:
    run_cli(
        "init", "--data", str(data_dir), "--demo", "--admin-password", "adminpass1", "--demo-password", "demopass1",
        "--hostname", "mail.example.test", check=True,
    )  # fmt: skip
    return data_dir


def test_init_demo_makes_a_complete_data_directory(demo: Path) -> None:
    for name in ("fieldpost.toml", "db.sqlite3", "blobs", "logs", "run", "tls/cert.pem", "tls/key.pem"):
        assert (demo / name).exists(), name
    assert (demo / "tls" / "key.pem").stat().st_mode & 0o777 == 0o600

    from storage import open_store

    store = open_store(f"sqlite:///{demo / 'db.sqlite3'}", demo / "blobs")
    try:
        assert store.admins.verify("admin", "adminpass1")
        assert not store.admins.verify("admin", "demopass1")
        stats = store.stats()
        org = store.for_user(store.accounts.get("alice@example.test").id).organizer
        held = {c.kind: [i.name for i in org.items(c.folder_id)] for c in org.collections()}
    finally:
        store.close()
    assert stats["domains"] == 1 and stats["messages"] >= 3
    assert {kind: len(names) for kind, names in held.items()} == {
        "calendar": 3,
        "contacts": 3,
        "journal": 1,
        "notes": 1,
        "tasks": 3,
    }
    assert "demo-standup@example.test.ics" in held["calendar"]

    accounts = fp(demo, "account", "list")
    for user in ("alice", "bob", "carol"):
        assert f"{user}@example.test" in accounts
    status = fp(demo, "status")
    assert "supervisor stopped" in status and "domains 1" in status


def test_domains(demo: Path) -> None:
    assert "domain other.test added" in fp(demo, "domain", "add", "other.test")
    assert "other.test" in fp(demo, "domain", "list")
    fp(demo, "domain", "rename", "other.test", "renamed.test")
    listing = fp(demo, "domain", "list")
    assert "renamed.test" in listing and "other.test" not in listing
    fp(demo, "domain", "delete", "renamed.test")
    assert "renamed.test" not in fp(demo, "domain", "list")
    dup = run_cli("domain", "add", "example.test", "--data", str(demo))
    assert dup.returncode == 1 and dup.stderr.startswith("fieldpost: error: ") and dup.stderr.count("\n") == 1


def test_accounts(demo: Path) -> None:
    fp(demo, "account", "add", "dave@example.test", "--password", "davepass1")
    assert "dave@example.test" in fp(demo, "account", "list", "--domain", "example.test")
    fp(demo, "account", "passwd", "dave@example.test", "--password", "newpass12")
    fp(demo, "account", "delete", "dave@example.test")
    assert "dave@example.test" not in fp(demo, "account", "list")
    gone = run_cli("account", "delete", "dave@example.test", "--data", str(demo))
    assert gone.returncode == 1 and gone.stderr.count("\n") == 1


def test_groups(demo: Path) -> None:
    fp(demo, "group", "add", "team@example.test")
    fp(demo, "group", "add-member", "team@example.test", "alice@example.test")
    fp(demo, "group", "add-member", "team@example.test", "bob@example.test")
    listing = fp(demo, "group", "list", "--domain", "example.test")
    assert (
        "team@example.test" in listing and "alice@example.test" in listing and "bob@example.test" in listing
    )
    fp(demo, "group", "remove-member", "team@example.test", "bob@example.test")
    assert "bob@example.test" not in fp(demo, "group", "list")
    fp(demo, "group", "delete", "team@example.test")
    assert "team@example.test" not in fp(demo, "group", "list")


def test_import_mbox_and_export_round_trip(demo: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.mbox"
    box = mailbox.mbox(source)
    for n in range(5):
        box.add(f"From: x{n}@example.org\nSubject: message {n}\n\nFrom the start\nbody {n}\n".encode())
    box.flush()
    box.close()
    proc = run_cli(
        "import", "mbox", str(source), "--to", "bob@example.test/Archive/2024", "--data", str(demo)
    )
    assert proc.returncode == 0, proc.stderr
    assert "imported 5 message(s)" in proc.stdout
    assert "5/5" in proc.stderr  # the progress bar's last state

    out = tmp_path / "out.mbox"
    fp(demo, "export", "mbox", "--from", "bob@example.test/Archive/2024", "--out", str(out))
    exported = mailbox.mbox(out)
    subjects = sorted(message["subject"] for message in exported)
    assert subjects == [f"message {n}" for n in range(5)]
    assert all(">From the start" in message.get_payload() for message in exported)


def test_import_maildir_with_subfolders(demo: Path, tmp_path: Path) -> None:
    md = mailbox.Maildir(tmp_path / "Maildir")
    seen = mailbox.MaildirMessage(b"Subject: read\n\nhello\n")
    seen.set_subdir("cur")
    seen.set_flags("S")
    md.add(seen)
    md.add_folder("Lists").add(b"Subject: list mail\n\nhi\n")
    proc = run_cli(
        "import", "maildir", str(tmp_path / "Maildir"), "--to", "carol@example.test/Old", "--data", str(demo)
    )
    assert proc.returncode == 0, proc.stderr
    assert "imported 2 message(s)" in proc.stdout
    out = tmp_path / "lists.mbox"
    fp(demo, "export", "mbox", "--from", "carol@example.test/Old/Lists", "--out", str(out))
    assert [m["subject"] for m in mailbox.mbox(out)] == ["list mail"]
    fp(demo, "export", "mbox", "--from", "carol@example.test/Old", "--out", str(out))
    (message,) = list(mailbox.mbox(out))
    assert message["subject"] == "read" and "R" in message["status"]


def test_import_into_an_unknown_account(demo: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.mbox"
    source.write_bytes(b"From a@b Mon Jan  1 00:00:00 2024\nSubject: x\n\nx\n")
    proc = run_cli("import", "mbox", str(source), "--to", "nobody@example.test", "--data", str(demo))
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_storage_check(demo: Path) -> None:
    assert "store is consistent" in fp(demo, "storage", "check")
    # a message's blob, not the store's own marker files (".shards" says the shard directories exist)
    blobs = [p for p in (demo / "blobs").rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert blobs
    blobs[0].unlink()
    proc = run_cli("storage", "check", "--data", str(demo))
    assert proc.returncode == 1
    assert "problem: " in proc.stdout


def test_password_is_asked_on_a_terminal(demo: Path) -> None:
    primary, secondary = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "fieldpost", "account", "add", "erin@example.test", "--data", str(demo)],
        cwd=REPO, env=cli_env(), stdin=secondary, stdout=secondary, stderr=secondary, start_new_session=True,
    )  # fmt: skip
    os.close(secondary)
    output = b""
    try:
        for answer in (b"erinpass1\n", b"erinpass1\n"):
            while b"assword" not in output.rsplit(b"\n", 1)[-1]:
                ready, _, _ = select.select([primary], [], [], 10)
                assert ready, output
                output += os.read(primary, 1024)
            os.write(primary, answer)
            output += b"\n"
        assert proc.wait(timeout=30) == 0, output
    finally:
        os.close(primary)
    assert b"erinpass1" not in output  # not echoed
    assert "erin@example.test" in fp(demo, "account", "list")
