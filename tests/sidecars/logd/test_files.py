"""Rotating log files: by size, by period, keeping ``keep`` old files."""

from __future__ import annotations

import time
from pathlib import Path

from sidecars.logd.files import MAX_OPEN, LogFiles


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_lines_are_appended_and_flushed(tmp_path: Path) -> None:
    files = LogFiles(tmp_path, 4096, 0, 3)
    files.write("imap.log", "one")
    files.write("imap.log", "two")
    files.flush()
    assert (tmp_path / "imap.log").read_text() == "one\ntwo\n"
    files.close()


def test_rotation_by_size_keeps_the_newest_files(tmp_path: Path) -> None:
    files = LogFiles(tmp_path, 100, 0, 2)
    for n in range(12):
        files.write("smtp.log", f"line {n:02d} " + "x" * 40)  # 49 bytes: two lines per file
    files.close()
    assert names(tmp_path) == ["smtp.log", "smtp.log.1", "smtp.log.2"]
    assert (tmp_path / "smtp.log").read_text().splitlines()[0].startswith("line 10")
    assert (tmp_path / "smtp.log.1").read_text().splitlines()[0].startswith("line 08")
    assert (tmp_path / "smtp.log.2").read_text().splitlines()[0].startswith("line 06")


def test_rotation_by_period(tmp_path: Path) -> None:
    start = time.mktime((2026, 12, 7, 23, 59, 0, 0, 0, -1))  # local time, like the files' periods
    clock = Clock(start)
    files = LogFiles(tmp_path, 10**6, 86400, 5, clock=clock)
    files.write("imap.log", "before midnight")
    clock.now = start + 30
    files.write("imap.log", "still the same day")
    clock.now = start + 120
    files.write("imap.log", "next day")
    files.close()
    assert (tmp_path / "imap.log.1").read_text() == "before midnight\nstill the same day\n"
    assert (tmp_path / "imap.log").read_text() == "next day\n"


def test_a_file_found_at_start_keeps_its_period(tmp_path: Path) -> None:
    old = tmp_path / "imap.log"
    old.write_text("from yesterday\n")
    yesterday = time.time() - 86400
    import os

    os.utime(old, (yesterday, yesterday))
    files = LogFiles(tmp_path, 10**6, 86400, 5)
    files.write("imap.log", "today")
    files.close()
    assert (tmp_path / "imap.log.1").read_text() == "from yesterday\n"
    assert (tmp_path / "imap.log").read_text() == "today\n"


def test_open_files_are_capped(tmp_path: Path) -> None:
    files = LogFiles(tmp_path, 10**6, 0, 1)
    for n in range(MAX_OPEN + 10):
        files.write(f"svc{n}.log", "x")
    assert len(files.open) == MAX_OPEN
    files.write("svc0.log", "again")
    files.close()
    assert (tmp_path / "svc0.log").read_text() == "x\nagain\n"
