"""A one-line progress bar for long local jobs, drawn only on a terminal.

Progress is measured in input bytes read (compressed bytes for .gz files), which is
known up front without a first pass over the lines. On a pipe or a file it prints
nothing, so logs and captured output stay clean.
"""

from __future__ import annotations

import time
from typing import TextIO

_WIDTH = 30
# Redraw at most this often: a terminal write per mini-batch would cost more than it shows.
_REDRAW_SECONDS = 0.1


class Progress:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._total = 0
        self._done_before = 0
        self._last_position = 0
        self._lines = 0
        self._started = self._drawn = 0.0

    @classmethod
    def for_terminal(cls, stream: TextIO) -> Progress | None:
        return cls(stream) if stream.isatty() else None

    def start(self, total_bytes: int) -> None:
        self._total = max(total_bytes, 1)
        self._started = time.monotonic()

    def next_file(self) -> None:
        self._done_before += self._last_position
        self._last_position = 0

    def update(self, position: int, lines: int) -> None:
        """`position`: bytes read of the current file so far; `lines`: lines just done."""
        self._last_position = position
        self._lines += lines
        now = time.monotonic()
        if now - self._drawn >= _REDRAW_SECONDS:
            self._drawn = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        share = min((self._done_before + self._last_position) / self._total, 1.0)
        filled = int(share * _WIDTH)
        elapsed = max(now - self._started, 1e-9)
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (_WIDTH - filled)}] {share:4.0%} "
            f"{self._lines:,} lines, {self._lines / elapsed:,.0f}/s"
        )
        self.stream.flush()

    def finish(self) -> None:
        self._draw(time.monotonic())
        self.stream.write("\n")
        self.stream.flush()
