"""fieldpost/log_reader.py: pages of a service log read from the end, on files the real formatter wrote."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from fieldpost import config as configuration
from fieldpost import log_reader
from fieldpost.log_reader import LogQuery, read_page
from fieldpost.logs import service_logger, session_logger


def write_log(tmp_path: Path, lines: int) -> Path:
    """``lines`` records through the real service logger, one of them multi-line."""
    config = configuration.from_mapping(tmp_path, {"hostname": "mx.example.test"})
    log = service_logger(config, "smtp")
    for n in range(lines):
        slog = session_logger(log, 0xA3F1 if n % 10 == 0 else 0x1234)
        if n == 5:
            slog.error("boom %d\ntraceback line 1\ntraceback line 2", n)
        elif n % 3 == 0:
            slog.warning("warned %d", n)
        else:
            slog.info("line %d", n)
    for handler in logging.getLogger("fieldpost.smtp").handlers:
        handler.flush()
    return config.log_dir / "smtp.log"


def texts(page: log_reader.LogPage) -> list[str]:
    return [r.text for r in page.records]


def test_newest_first_and_paged_back_to_the_start(tmp_path: Path) -> None:
    path = write_log(tmp_path, 25)
    first = read_page(path, LogQuery(), limit=10)
    assert texts(first)[:2] == ["warned 24", "line 23"] and len(first.records) == 10
    assert first.records[0].service == "smtp"
    assert first.records[0].session == "00001234" and first.records[0].level_name == "warning"
    seen = texts(first)
    before = first.older
    while before is not None:
        page = read_page(path, LogQuery(), before=before, limit=10)
        seen += texts(page)
        before = page.older
    assert len(seen) == 25 and seen[-1] == "warned 0"
    assert "boom 5\ntraceback line 1\ntraceback line 2" in seen  # continuation lines stay with their record


def test_filters(tmp_path: Path) -> None:
    path = write_log(tmp_path, 40)
    by_session = read_page(path, LogQuery(session=log_reader.session_filter("A3F1")), limit=100)
    assert texts(by_session) == ["warned 30", "line 20", "line 10", "warned 0"]
    errors = read_page(path, LogQuery(levels=2), limit=100)
    assert [r.level for r in errors.records] == [2] and errors.older is None
    text = read_page(path, LogQuery(text="TRACEBACK LINE 2"), limit=100)
    assert [r.text.split("\n")[0] for r in text.records] == ["boom 5"]
    with pytest.raises(ValueError, match="hexadecimal"):
        log_reader.session_filter("xyz")


def test_a_large_log_is_read_from_its_end_only(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    line = b"12-07 02:00:00 +0000 08 mx.example.test SMTP:00001234: " + b"x" * 90 + b"\n"
    with path.open("wb") as fh:
        fh.write(line * 400_000)  # about 58 MB
        fh.write(b"12-07 02:00:01 +0000 02 mx.example.test SMTP:0000beef: the newest error\n")
    started = time.monotonic()
    page = read_page(path, LogQuery(), limit=100)
    assert page.records[0].text == "the newest error" and len(page.records) == 100
    assert page.scanned < 2 * log_reader.BLOCK  # a page costs a block or two, not the file
    rare = read_page(path, LogQuery(text="never there"), limit=100)
    assert rare.records == [] and rare.exhausted and rare.scanned <= log_reader.MAX_SCAN
    assert rare.older is not None and rare.older > path.stat().st_size - log_reader.MAX_SCAN - len(line)
    assert time.monotonic() - started < 20


def test_unknown_shapes_and_names(tmp_path: Path) -> None:
    path = tmp_path / "odd.log"
    path.write_bytes(
        b"    orphan continuation\nnot a log line\n12-07 02:00:00 +0000 08 h SMTP:00000000: ok\n"
    )
    page = read_page(path, LogQuery(), limit=10)
    assert texts(page) == ["ok", "not a log line", "orphan continuation"] and page.older is None
    assert read_page(tmp_path / "missing.log", LogQuery()).records == []
    with pytest.raises(ValueError):
        log_reader.log_path(tmp_path, "../etc/passwd")
    assert log_reader.log_services(tmp_path) == ["odd"]
