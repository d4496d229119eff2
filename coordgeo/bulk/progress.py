"""Progress of a bulk run: a rich bar on a terminal, log lines otherwise."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterable


class Progress:
    """A rich progress bar on a terminal; otherwise a log line now and then on stderr."""

    def __init__(self, total: int, mode: str, every_files: int = 0, every_seconds: float = 10.0):
        self.total = total
        self.mode = mode
        self.done = 0
        self.counts = {"ok": 0, "partial": 0, "error": 0, "skipped": 0}
        self.started = time.monotonic()
        self.every_files = every_files or max(100, total // 20)
        self.every_seconds = every_seconds
        self.last_log = (0, self.started)
        self._bar = None
        if mode == "bar":
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("[bold]bulk"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[counts]}"),
                console=Console(stderr=True),
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task("bulk", total=total, rate="", counts="")

    def _rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return (self.done - self.counts["skipped"]) / elapsed if elapsed > 0 else 0.0

    def _counts(self) -> str:
        return " ".join(f"{k} {v}" for k, v in self.counts.items() if v)

    def update(self, statuses: Iterable[str], skipped: int = 0) -> None:
        n = skipped
        self.counts["skipped"] += skipped
        for status in statuses:
            self.counts[status] = self.counts.get(status, 0) + 1
            n += 1
        self.done += n
        if self._bar is not None:
            self._bar.update(
                self._task, advance=n, rate=f"{self._rate():7.1f} files/s", counts=self._counts()
            )
        elif self.mode == "log":
            now = time.monotonic()
            files, when = self.last_log
            if self.done - files >= self.every_files or now - when >= self.every_seconds:
                self.log()

    def log(self) -> None:
        now = time.monotonic()
        rate = self._rate()
        left = (self.total - self.done) / rate if rate > 0 else math.nan
        eta = f", {_duration(left)} left" if math.isfinite(left) else ""
        percent = 100.0 * self.done / self.total if self.total else 100.0
        print(
            f"coordgeo bulk: {self.done}/{self.total} files ({percent:.1f} %), "
            f"{rate:.1f} files/s{eta}; {self._counts()}",
            file=sys.stderr,
            flush=True,
        )
        self.last_log = (self.done, now)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
        elif self.mode == "log" and self.last_log[0] != self.done:
            self.log()


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m" if h else (f"{m}m{s:02d}s" if m else f"{s}s")
