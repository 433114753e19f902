"""fieldpost.logs: the manual's line format and the per-service level bitmask."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from fieldpost import config as configuration
from fieldpost import logs

LINE = re.compile(
    r"^(?P<date>\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}) (?P<level>01|02|04|08|16) (?P<host>\S+) "
    r"(?P<service>[A-Z0-9]+):(?P<session>[0-9a-f]{8}): (?P<text>.*)$"
)


def make_config(data: Path, levels: dict[str, int] | None = None) -> configuration.Config:
    raw = {"hostname": "mx.example.test", "logging": {"levels": levels or {}}}
    return configuration.from_mapping(data, raw)


def read_lines(cfg: configuration.Config, service: str) -> list[str]:
    for handler in logging.getLogger(f"fieldpost.{service}").handlers:
        handler.flush()
    path = cfg.log_dir / f"{service}.log"
    return path.read_text().splitlines() if path.exists() else []


def test_line_format(data_dir: Path) -> None:
    cfg = make_config(data_dir)
    log = logs.service_logger(cfg, "imap")
    log.info("listening on %s", "127.0.0.1:1143")
    logs.session_logger(log, 0xA3F1).warning("too many bad commands")
    first, second = read_lines(cfg, "imap")
    match = LINE.match(first)
    assert match, first
    assert match["level"] == "08"
    assert match["host"] == "mx.example.test"
    assert match["service"] == "IMAP"
    assert match["session"] == "00000000"
    assert match["text"] == "listening on 127.0.0.1:1143"
    match = LINE.match(second)
    assert match and match["level"] == "04" and match["session"] == "0000a3f1"


@pytest.mark.parametrize(
    ("levelno", "bit"),
    [
        (logging.CRITICAL, 1),
        (logging.ERROR, 2),
        (logging.WARNING, 4),
        (logging.INFO, 8),
        (logs.PROTOCOL_LEVEL, 16),
        (logging.DEBUG, 16),
    ],
)
def test_level_bits(levelno: int, bit: int) -> None:
    assert logs.level_bit(levelno) == bit


@pytest.mark.parametrize(
    ("mask", "expected"),
    [
        (0, []),
        (1, ["01"]),
        (15, ["01", "02", "04", "08"]),
        (16, ["16"]),
        (10, ["02", "08"]),
        (31, ["01", "02", "04", "08", "16"]),
    ],
)
def test_mask_selects_levels(data_dir: Path, mask: int, expected: list[str]) -> None:
    cfg = make_config(data_dir, {"smtp": mask})
    log = logs.session_logger(logs.service_logger(cfg, "smtp"), logs.new_session_id())
    log.critical("c")
    log.error("e")
    log.warning("w")
    log.info("i")
    log.protocol("S: 250 OK")
    levels = [LINE.match(line)["level"] for line in read_lines(cfg, "smtp")]  # type: ignore[index]
    assert levels == expected


def test_mask_out_of_range() -> None:
    with pytest.raises(ValueError):
        logs.LevelMaskFilter(32)


def test_multiline_text_stays_one_record(data_dir: Path) -> None:
    cfg = make_config(data_dir)
    log = logs.service_logger(cfg, "pop3")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("session failed")
    lines = read_lines(cfg, "pop3")
    assert LINE.match(lines[0]) and lines[0].endswith("session failed")
    assert all(line.startswith("    ") for line in lines[1:])
    assert "RuntimeError: boom" in lines[-1]


def test_session_ids_are_32_bit_and_non_zero() -> None:
    ids = {logs.new_session_id() for _ in range(100)}
    assert all(0 < value < 2**32 for value in ids)
    assert len(ids) > 90
