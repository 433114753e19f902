"""``fieldpost account import FILE --domain D``: the CSV bulk import from the console, with the same
per-line report as WebAdmin's (storage.account_import)."""

from __future__ import annotations

from pathlib import Path

from tests.fieldpost.conftest import needs_storage, run_cli

pytestmark = needs_storage


def test_importing_accounts_from_the_console(data_dir: Path) -> None:
    run_cli(
        "init", "--data", str(data_dir), "--demo", "--admin-password", "adminpass1", "--demo-password", "demopass1",
        "--hostname", "mail.example.test", check=True,
    )  # fmt: skip
    csv_file = data_dir.parent / "people.csv"
    csv_file.write_text("address,password,display_name\nhal,hal-password-1,Hal\nalice,x,\nivy,,Ivy\n")
    done = run_cli("account", "import", str(csv_file), "--domain", "example.test", "--data", str(data_dir))
    lines = done.stdout.splitlines()
    assert done.returncode == 1  # one line was refused
    assert lines[0] == "2 hal@example.test added"
    assert lines[1] == "3 alice@example.test refused: address alice is already taken in this domain"
    assert lines[2].startswith("4 ivy@example.test added  password: ")
    assert lines[3] == "2 added, 1 refused"
    password = lines[2].rpartition(" ")[2]

    from storage import open_store

    store = open_store(f"sqlite:///{data_dir / 'db.sqlite3'}", data_dir / "blobs")
    try:
        store.auth.verify("ivy@example.test", password)
        store.auth.verify("hal@example.test", "hal-password-1")
    finally:
        store.close()
    csv_file.write_text("who\nx\n")
    refused = run_cli("account", "import", str(csv_file), "--domain", "example.test", "--data", str(data_dir))
    assert refused.returncode != 0 and "unknown column 'who'" in refused.stderr + refused.stdout
