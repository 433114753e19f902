"""Expected errors of the ``fieldpost`` command: one line on stderr, a non-zero exit, no traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fieldpost import config as configuration
from tests.fieldpost.conftest import cli_env, needs_storage, run_cli


def assert_one_error_line(proc: object, status: int, text: str) -> None:
    assert proc.returncode == status, (proc.stdout, proc.stderr)  # type: ignore[attr-defined]
    stderr = proc.stderr  # type: ignore[attr-defined]
    assert stderr.count("\n") == 1, stderr
    assert stderr.startswith("fieldpost: error: "), stderr
    assert text in stderr
    assert "Traceback" not in stderr


def test_unknown_command() -> None:
    assert_one_error_line(run_cli("frobnicate"), 2, "invalid choice: 'frobnicate'")


def test_no_command() -> None:
    assert_one_error_line(run_cli(), 2, "required")


def test_unknown_service_name(data_dir: Path) -> None:
    assert_one_error_line(run_cli("service", "restart", "gopher", "--data", str(data_dir)), 2, "gopher")


def test_missing_data_directory() -> None:
    assert_one_error_line(run_cli("account", "list"), 1, "--data DIR or set $FIELDPOST_DATA")


def test_data_directory_that_was_never_initialised(tmp_path: Path) -> None:
    assert_one_error_line(run_cli("status", "--data", str(tmp_path)), 1, "fieldpost init")


def test_data_directory_from_the_environment(tmp_path: Path) -> None:
    env = cli_env() | {configuration.DATA_ENV: str(tmp_path / "nowhere")}
    assert_one_error_line(run_cli("status", env=env), 1, str(tmp_path / "nowhere"))


def test_data_option_before_the_command(tmp_path: Path) -> None:
    assert_one_error_line(run_cli("--data", str(tmp_path), "status"), 1, str(tmp_path))


def test_bad_port_offset(tmp_path: Path) -> None:
    assert_one_error_line(run_cli("serve", "--data", str(tmp_path), "--port-offset", "x"), 2, "invalid int")


def test_password_required_without_a_terminal(data_dir: Path) -> None:
    proc = run_cli("init", "--data", str(data_dir), "--demo", "--demo-password", "x")
    assert_one_error_line(proc, 1, "--admin-password is required")
    assert not (data_dir / configuration.CONFIG_FILE).exists()


@needs_storage
def test_account_in_an_unknown_domain(data_dir: Path) -> None:
    run_cli("init", "--data", str(data_dir), "--admin-password", "adminpass1", check=True)
    proc = run_cli("account", "add", "dave@nowhere.test", "--password", "pw", "--data", str(data_dir))
    assert_one_error_line(proc, 1, "nowhere.test")


@needs_storage
def test_init_twice_is_refused(data_dir: Path) -> None:
    run_cli("init", "--data", str(data_dir), "--admin-password", "adminpass1", check=True)
    assert_one_error_line(
        run_cli("init", "--data", str(data_dir), "--admin-password", "adminpass1"), 1, "already"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_location(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        proc = run_cli("init", "--data", str(tmp_path / "d"), "--admin-password", "adminpass1")
    finally:
        tmp_path.chmod(0o700)
    assert_one_error_line(proc, 1, "ermission denied")
