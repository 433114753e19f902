"""A small progress bar for long commands (import), drawn on stderr.

On a terminal the bar is redrawn in place at most ten times a second; elsewhere (pipes, CI logs) only the
final line is printed, so logs stay readable.
"""

from __future__ import annotations

import sys
import time
from typing import IO


class ProgressBar:
    WIDTH = 30

    def __init__(self, total: int, label: str, stream: IO[str] | None = None) -> None:
        self.total = max(total, 0)
        self.label = label
        self.stream = stream or sys.stderr
        self.done = 0
        self.started = time.monotonic()
        self._drawn = 0.0
        self.live = self.stream.isatty()

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = time.monotonic()
        if self.live and (now - self._drawn >= 0.1 or self.done >= self.total):
            self._drawn = now
            self.stream.write("\r" + self.render())
            self.stream.flush()

    def render(self) -> str:
        total = max(self.total, self.done)
        fraction = self.done / total if total else 1.0
        filled = int(self.WIDTH * fraction)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        return f"{self.label} [{bar}] {self.done}/{total} {fraction:4.0%} {rate:.0f}/s"

    def close(self) -> None:
        self.stream.write(("\r" if self.live else "") + self.render() + "\n")
        self.stream.flush()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
