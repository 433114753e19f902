"""fieldpost.config: defaults, the file, port offsets, validation, the data directory fallback."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from fieldpost import config as configuration
from fieldpost.config import ConfigError
from fieldpost.processes import service_argv


def write_config(data: Path, text: str) -> None:
    data.mkdir(parents=True, exist_ok=True)
    (data / configuration.CONFIG_FILE).write_text(text)


def test_defaults_from_an_empty_file(data_dir: Path) -> None:
    write_config(data_dir, "")
    cfg = configuration.load(data_dir)
    assert cfg.database_url == f"sqlite:///{data_dir / 'db.sqlite3'}"
    assert cfg.blob_dir == data_dir / "blobs"
    assert cfg.log_dir == data_dir / "logs"
    assert cfg.run_dir == data_dir / "run"
    assert cfg.services == configuration.SERVICES
    assert cfg.log_level("imap") == 15
    ports = {listener.name: listener.port for listener in cfg.listeners()}
    assert ports["smtp"] == 2525 and ports["imap"] == 1143 and ports["webmail"] == 8000
    assert ports["webadmin"] == 9000 and ports["cli"] == 7000 and ports["managesieve"] == 4190
    assert {listener.host for listener in cfg.listeners()} == {"127.0.0.1"}
    assert cfg.liveness_seconds == 30


def test_liveness_limit_from_the_supervisor_table(data_dir: Path) -> None:
    write_config(data_dir, "[supervisor]\nliveness_seconds = 0")  # 0: no liveness check
    assert configuration.load(data_dir).liveness_seconds == 0


def test_worker_pools_default_to_the_cpu_count(data_dir: Path) -> None:
    """Issue 10: imap and smtp run as pools; [workers] sizes them, one process per CPU otherwise."""
    write_config(data_dir, "[workers]\nimap = 3")
    cfg = configuration.load(data_dir)
    assert cfg.worker_count("imap") == 3
    assert cfg.worker_count("smtp") == (os.cpu_count() or 1)
    assert cfg.worker_count("processing") == 1  # not a pool
    assert cfg.worker_count("web") == 1  # gunicorn's own pool: one worker unless [workers] web says
    assert service_argv(cfg, "web")[4:7] == ["gevent", "--workers", "1"]
    write_config(data_dir, "[workers]\nweb = 3")
    assert service_argv(configuration.load(data_dir), "web")[4:7] == ["gevent", "--workers", "3"]
    rendered = configuration.render("mail.example.test")
    assert "# [workers]" in rendered  # documented, commented out: appending a [workers] table stays valid
    assert (
        configuration.from_mapping(data_dir, tomllib.loads(rendered + "[workers]\nsmtp = 2\n")).worker_count(
            "smtp"
        )
        == 2
    )


def test_the_port_table_of_the_design() -> None:
    expected = {
        "smtp": 2525, "submission": 2587, "submissions": 2465, "imap": 1143, "imaps": 1993,
        "pop3": 1110, "pop3s": 1995, "ftp": 2121, "managesieve": 4190, "cli": 7000, "clis": 7443,
        "webmail": 8000, "webadmin": 9000, "log": 2000,
    }  # fmt: skip
    assert {name: spec.port for name, spec in configuration.LISTENERS.items()} == expected
    assert configuration.LISTENERS["log"].proto == "udp"


def test_port_offset_is_added_to_every_listener(data_dir: Path) -> None:
    write_config(data_dir, "[ports]\nsmtp = 25\n")
    cfg = configuration.load(data_dir, port_offset=20000)
    ports = {listener.name: listener.port for listener in cfg.listeners()}
    assert ports["smtp"] == 20025
    assert ports["imap"] == 21143
    assert [listener.name for listener in cfg.listeners("web")] == ["webmail", "webadmin"]
    assert cfg.listeners("processing") == []


def test_port_offset_too_large(data_dir: Path) -> None:
    write_config(data_dir, "")
    with pytest.raises(ConfigError, match="too large"):
        configuration.load(data_dir, port_offset=60000)


def test_render_round_trips(data_dir: Path) -> None:
    text = configuration.render("mail.example.org", {"accounts": "a@x.test", "password": 'p"w\\'})
    write_config(data_dir, text)
    cfg = configuration.load(data_dir)
    assert cfg.hostname == "mail.example.org"
    assert cfg.demo == {"accounts": "a@x.test", "password": 'p"w\\'}
    assert cfg.log_levels == {service: 15 for service in configuration.SERVICES}
    assert tomllib.loads(text)["services"] == list(configuration.SERVICES)


def test_postgresql_url_and_levels(data_dir: Path) -> None:
    write_config(
        data_dir,
        '[storage]\ndatabase_url = "postgresql+psycopg://fp@127.0.0.1/fp"\n[logging.levels]\nsmtp = 31\n',
    )
    cfg = configuration.load(data_dir)
    assert cfg.database_url == "postgresql+psycopg://fp@127.0.0.1/fp"
    assert cfg.log_level("smtp") == 31 and cfg.log_level("imap") == 15


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('services = ["smtp", "gopher"]', "unknown service"),
        ("[logging.levels]\nimap = 32", "0-31"),
        ("[logging.levels]\nnews = 1", "unknown service"),
        ("[ports]\nimap = 70000", "1-65535"),
        ("[ports]\nnntp = 119", "unknown listener"),
        ('[storage]\ndatabase_url = "mysql://x"', "database_url"),
        ("hostname = ", "fieldpost.toml"),
        ('[supervisor]\nliveness_seconds = "soon"', "liveness_seconds"),
        ("[supervisor]\nliveness_seconds = -1", "liveness_seconds"),
        ("[workers]\nimap = 0", r"\[workers\] imap must be 1-255"),
        ("[workers]\nsmtp = 256", r"\[workers\] smtp must be 1-255"),
        ("[workers]\nimap = true", r"\[workers\] imap must be"),
        ("[workers]\nprocessing = 2", "only smtp, imap, pop3, web run as worker pools"),
        ("[workers]\nweb = 0", r"\[workers\] web must be 1-255"),
    ],
)
def test_invalid_files(data_dir: Path, text: str, message: str) -> None:
    write_config(data_dir, text)
    with pytest.raises(ConfigError, match=message):
        configuration.load(data_dir)


def test_missing_file_names_the_init_command(data_dir: Path) -> None:
    with pytest.raises(ConfigError, match="fieldpost init"):
        configuration.load(data_dir)


def test_data_dir_from_argument_then_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(configuration.DATA_ENV, str(tmp_path / "from-env"))
    assert configuration.resolve_data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert configuration.resolve_data_dir(None) == tmp_path / "from-env"
    monkeypatch.delenv(configuration.DATA_ENV)
    with pytest.raises(ConfigError, match="--data"):
        configuration.resolve_data_dir(None)


def test_child_environment_carries_the_data_dir(data_dir: Path) -> None:
    write_config(data_dir, "")
    env = configuration.load(data_dir).child_environment()
    assert env[configuration.DATA_ENV] == str(data_dir)


def test_service_user_is_checked_against_the_system(data_dir: Path) -> None:
    write_config(data_dir, "")
    assert configuration.load(data_dir).user is None
    write_config(data_dir, 'user = "nobody"\n')
    assert configuration.load(data_dir).user == "nobody"
    write_config(data_dir, 'user = "no-such-user-here"\n')
    with pytest.raises(ConfigError, match="does not exist"):
        configuration.load(data_dir)
