"""``[logging]`` of fieldpost.toml: rotation, accepted senders and rules, with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldpost import config as configuration
from fieldpost.log_rules import LogRule


def load(tmp_path: Path, logging: dict[str, object]) -> configuration.Config:
    return configuration.from_mapping(tmp_path, {"logging": logging})


def test_defaults_keep_every_record_in_its_service_file(tmp_path: Path) -> None:
    settings = load(tmp_path, {}).logging
    assert settings.rules == (LogRule(),)
    assert settings.rules[0].file_name("IMAP") == "imap.log"
    assert (settings.rotate_bytes, settings.rotate_every, settings.keep) == (10 * 1024 * 1024, "daily", 7)
    assert settings.accepts("127.0.0.1") and settings.accepts("::1") and settings.accepts("::ffff:127.0.0.2")
    assert not settings.accepts("192.0.2.1")


def test_rules_match_on_service_level_and_host(tmp_path: Path) -> None:
    rules = [{"services": ["s*"], "levels": 3, "hosts": ["front*"], "target": "syslog://127.0.0.1:514"}]
    rule = load(tmp_path, {"rules": rules}).logging.rules[0]
    assert rule.matches("smtp", 2, "front1.example.org")
    assert not rule.matches("imap", 2, "front1.example.org")
    assert not rule.matches("smtp", 8, "front1.example.org")
    assert not rule.matches("smtp", 2, "back1.example.org")
    assert rule.remote() == ("syslog", "127.0.0.1", 514)
    assert rule.file_name("smtp") is None


@pytest.mark.parametrize(
    ("logging", "words"),
    [
        ({"rotate_bytes": 10}, "rotate_bytes must be an integer >= 4096"),
        ({"rotate_every": "monthly"}, "rotate_every must be one of never, hourly, daily, weekly"),
        ({"keep": 0}, "keep must be 1-1000"),
        ({"accept_from": ["not-an-address"]}, "accept_from: not an address or network"),
        ({"via_logd": "yes"}, "via_logd must be true or false"),
        ({"rules": [{"target": "file:../etc/passwd"}]}, "rules]] #1: target must be"),
        ({"rules": [{"target": "syslog://host:99999"}]}, "rules]] #1: target must be"),
        ({"rules": [{"levels": 0}]}, "rules]] #1: levels must be a mask 1-31"),
        ({"rules": [{"services": []}]}, "services must be a non-empty list"),
        ({"rules": [{"colour": "red"}]}, "unknown key(s) colour"),
        ({"rules": {"target": "file"}}, "must be an array of tables"),
    ],
)
def test_bad_values_are_named(tmp_path: Path, logging: dict[str, object], words: str) -> None:
    with pytest.raises(configuration.ConfigError) as caught:
        load(tmp_path, logging)
    assert words in str(caught.value)


def test_children_are_told_to_send_to_the_log_service_only_when_it_runs(tmp_path: Path) -> None:
    assert load(tmp_path, {}).child_environment()[configuration.LOG_TO_ENV] == "logd"
    alone = configuration.from_mapping(tmp_path, {"services": ["imap"]})
    assert configuration.LOG_TO_ENV not in alone.child_environment()
    off = load(tmp_path, {"via_logd": False})
    assert configuration.LOG_TO_ENV not in off.child_environment()
