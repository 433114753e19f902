"""The log files the log service keeps: appended line by line, started anew by size or by period.

Rotation renames ``NAME.log`` to ``NAME.log.1`` (older ones move up to ``NAME.log.<keep>``; the oldest
beyond ``keep`` is deleted), then opens a new ``NAME.log``. A file's period is the one its first line was
written in (for a file found at start, the period of its last change), so a "daily" file holds one day.
At most ``MAX_OPEN`` files are open at once (least recently written closed first): remote hosts may name
services we do not have.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

MAX_OPEN = 64


@dataclass
class _Open:
    handle: TextIO
    size: int
    period: int


class LogFiles:
    """Append-only, rotating files in one directory (see the module docstring)."""

    def __init__(
        self,
        directory: Path,
        rotate_bytes: int,
        rotate_seconds: int,
        keep: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = directory
        self.rotate_bytes = rotate_bytes
        self.rotate_seconds = rotate_seconds
        self.keep = keep
        self.clock = clock
        self.open: OrderedDict[str, _Open] = OrderedDict()
        directory.mkdir(parents=True, exist_ok=True)

    def _period(self, at: float) -> int:
        # periods in local time, so "daily" turns over at local midnight as an operator expects
        if not self.rotate_seconds:
            return 0
        offset = time.localtime(at).tm_gmtoff
        return int((at + offset) // self.rotate_seconds)

    def write(self, name: str, line: str) -> None:
        """Append one line (a newline is added) to ``name``, rotating first if it is due."""
        data = line + "\n"
        size = len(data.encode("utf-8"))
        entry = self._entry(name)
        now = self.clock()
        if entry.size and (entry.size + size > self.rotate_bytes or self._period(now) != entry.period):
            self._rotate(name)
            entry = self._entry(name)
        entry.handle.write(data)
        entry.size += size

    def _entry(self, name: str) -> _Open:
        entry = self.open.get(name)
        if entry is not None:
            self.open.move_to_end(name)
            return entry
        path = self.directory / name
        handle = open(path, "a", encoding="utf-8")  # noqa: SIM115 - kept open across writes
        stat = os.fstat(handle.fileno())
        period = self._period(stat.st_mtime) if stat.st_size else self._period(self.clock())
        entry = _Open(handle, stat.st_size, period)
        self.open[name] = entry
        while len(self.open) > MAX_OPEN:
            _, oldest = self.open.popitem(last=False)
            oldest.handle.close()
        return entry

    def _rotate(self, name: str) -> None:
        entry = self.open.pop(name)
        entry.handle.close()
        base = self.directory / name
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{base}.{self.keep}")
        for n in range(self.keep - 1, 0, -1):
            with contextlib.suppress(FileNotFoundError):
                os.rename(f"{base}.{n}", f"{base}.{n + 1}")
        with contextlib.suppress(FileNotFoundError):
            os.rename(base, f"{base}.1")

    def flush(self) -> None:
        for entry in self.open.values():
            entry.handle.flush()

    def close(self) -> None:
        for entry in self.open.values():
            entry.handle.close()
        self.open.clear()
