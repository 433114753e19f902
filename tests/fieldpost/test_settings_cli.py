"""``fieldpost settings``: values at every level through the command, and the generated reference."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fieldpost.conftest import REPO, run_cli


def fp(data: Path, *args: str, check: bool = True):
    return run_cli(*args, "--data", str(data), check=check)


@pytest.fixture
def demo(data_dir: Path) -> Path:
    run_cli(
        "init", "--data", str(data_dir), "--demo", "--admin-password", "adminpass1", "--demo-password", "demopass1",
        check=True,
    )  # fmt: skip
    return data_dir


def test_levels_override_and_clear_falls_back(demo: Path) -> None:
    alice = "alice@example.test"
    assert fp(demo, "settings", "get", "quota.storage_bytes", "--account", alice).stdout.strip() == "0"
    fp(demo, "settings", "set", "quota.storage_bytes", "1G")
    fp(demo, "settings", "set", "quota.storage_bytes", "200M", "--domain", "example.test")
    assert fp(demo, "settings", "get", "quota.storage_bytes", "--account", alice).stdout.strip() == "200M"
    fp(demo, "settings", "set", "quota.storage_bytes", "5M", "--account", alice)
    assert fp(demo, "settings", "get", "quota.storage_bytes", "--account", alice).stdout.strip() == "5M"
    assert (
        fp(demo, "settings", "get", "quota.storage_bytes", "--account", "bob@example.test").stdout.strip()
        == "200M"
    )
    fp(demo, "settings", "clear", "quota.storage_bytes", "--account", alice)
    assert fp(demo, "settings", "get", "quota.storage_bytes", "--account", alice).stdout.strip() == "200M"
    listing = fp(demo, "settings", "list", "--account", alice).stdout
    assert "quota.storage_bytes = 200M" in listing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("set", "quota.storage_bytes", "lots"), "not a size"),
        (("set", "no.such.setting", "1"), "no.such.setting"),
        (("set", "quota.storage_bytes", "1G", "--domain", "nope.test"), "nope.test"),
        (("clear", "quota.storage_bytes"), "no value"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(demo: Path, args: tuple[str, ...], message: str) -> None:
    proc = fp(demo, "settings", *args, check=False)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fieldpost: error:") and message in lines[0]


def test_reference_in_docs_is_the_generated_one() -> None:
    generated = run_cli("settings", "docs", check=True).stdout
    assert (REPO / "docs" / "settings.md").read_text() == generated, (
        "run: fieldpost settings docs > docs/settings.md"
    )
