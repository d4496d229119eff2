"""Progress of a bulk run: a rich bar on a terminal, log lines otherwise.

The time left is the files not yet started divided by the rate so far, plus the
files being analysed. A file that has been running for :data:`SLOW_AFTER` seconds and
longer than :data:`SLOW_FACTOR` times the mean time per file is named with its time,
and the estimate becomes a lower bound (``left ≥ …``): nothing can tell how long a
slow file will take, and a run that waits on one file for minutes must not say
"1 s left" (issue 19, item 6).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

#: A file running this long (s) …
SLOW_AFTER = 5.0
#: … and this many times the mean time per file is shown by name.
SLOW_FACTOR = 3.0


class Progress:
    """A rich progress bar on a terminal; otherwise a log line now and then on stderr.

    ``started(worker, path, when)`` is told which file each worker starts (None: the
    worker is idle); ``update`` counts finished files; ``tick`` is called while the
    run waits. ``clock`` (seconds, :func:`time.time` by default, the clock the workers
    stamp their messages with) can be replaced in tests.
    """

    def __init__(
        self,
        total: int,
        mode: str,
        every_files: int = 0,
        every_seconds: float = 10.0,
        *,
        jobs: int = 1,
        clock: Callable[[], float] = time.time,
    ):
        self.total = total
        self.mode = mode
        self.jobs = max(1, jobs)
        self.clock = clock
        self.done = 0
        self.counts = {"ok": 0, "partial": 0, "error": 0, "skipped": 0}
        self.started_at = clock()
        self.every_files = every_files or max(100, total // 20)
        self.every_seconds = every_seconds
        self.last_log = (0, self.started_at)
        self.running: dict[str, tuple[str, float]] = {}  # worker → (path, since)
        self._bar = None
        self._closed = False
        if mode == "bar":
            self._start_bar()

    def _start_bar(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            ProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as RichProgress
        from rich.text import Text

        owner = self

        class Left(ProgressColumn):  # computed at each refresh, also while nothing ends
            def render(self, task) -> Text:
                return Text(owner.left_text())

        class Working(ProgressColumn):
            def render(self, task) -> Text:
                text = owner.slow_text(short=True)
                return Text(text, style="yellow", no_wrap=True, overflow="ellipsis")

        self._bar = RichProgress(
            TextColumn("[bold]bulk"),
            BarColumn(bar_width=20),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            Left(),
            Working(),
            TextColumn("{task.fields[counts]}"),
            console=Console(stderr=True),
            transient=False,
        )
        self._bar.start()
        self._task = self._bar.add_task("bulk", total=self.total, rate="", counts="")

    # --- what the run tells ----------------------------------------------------------------

    def started(self, worker: str, path: str | None, when: float | None = None) -> None:
        """``worker`` starts ``path`` at ``when`` (None: it has finished its batch)."""
        if path is None:
            self.running.pop(worker, None)
        else:
            self.running[worker] = (path, self.clock() if when is None else when)

    def update(self, statuses: Iterable[str], skipped: int = 0, paths: Iterable[str] = ()) -> None:
        """Files finished (``statuses`` of those analysed, ``skipped`` already done)."""
        n = skipped
        self.counts["skipped"] += skipped
        for status in statuses:
            self.counts[status] = self.counts.get(status, 0) + 1
            n += 1
        self.done += n
        finished = set(paths)
        for worker, (path, _) in list(self.running.items()):
            if path in finished:
                del self.running[worker]
        if self._bar is not None:
            self._bar.update(
                self._task, advance=n, rate=f"{self._rate():.1f} files/s", counts=self._counts()
            )
        elif self.mode == "log":
            self.tick()

    def tick(self) -> None:
        """A log line when ``every_files`` files or ``every_seconds`` have passed."""
        if self.mode != "log":
            return
        files, when = self.last_log
        if self.done - files >= self.every_files or self.clock() - when >= self.every_seconds:
            self.log()

    # --- what it shows ---------------------------------------------------------------------

    def _rate(self) -> float:
        elapsed = self.clock() - self.started_at
        return (self.done - self.counts["skipped"]) / elapsed if elapsed > 0 else 0.0

    def _counts(self) -> str:
        return " ".join(f"{k} {v}" for k, v in self.counts.items() if v)

    def mean_seconds(self) -> float:
        """Mean time one worker spends on one file so far (NaN before the first)."""
        analysed = self.done - self.counts["skipped"]
        elapsed = self.clock() - self.started_at
        return self.jobs * elapsed / analysed if analysed else math.nan

    def slow(self) -> list[tuple[str, float]]:
        """(path, seconds) of the files running longer than the slow limits, longest first."""
        now = self.clock()
        mean = self.mean_seconds()
        limit = max(SLOW_AFTER, SLOW_FACTOR * mean if math.isfinite(mean) else SLOW_AFTER)
        found = [(path, now - since) for path, since in self.running.values()]
        return sorted(((p, t) for p, t in found if t >= limit), key=lambda x: -x[1])

    def left_seconds(self) -> tuple[float, bool]:
        """(seconds left, whether that is only a lower bound because a file is slow)."""
        rate = self._rate()
        remaining = self.total - self.done
        slow = self.slow()
        if not slow:
            return (remaining / rate if rate > 0 else math.nan), False
        waiting = remaining - len(self.running)  # not started yet
        return (max(waiting, 0) / rate if rate > 0 else math.nan), True

    def left_text(self) -> str:
        seconds, bound = self.left_seconds()
        if not math.isfinite(seconds):
            return "left ?"
        return f"left {'≥ ' if bound else ''}{_duration(seconds)}"

    def slow_text(self, short: bool = False) -> str:
        """``working on giant.cif for 2m31s`` (``short``: ``slow: giant.cif 2m31s``)."""
        slow = self.slow()
        if not slow:
            return ""
        path, seconds = slow[0]
        more = f" (+{len(slow) - 1} more slow)" if len(slow) > 1 else ""
        if short:
            return f"slow: {Path(path).name} {_duration(seconds)}" + (
                f" +{len(slow) - 1}" if more else ""
            )
        return f"working on {Path(path).name} for {_duration(seconds)}{more}"

    def log(self) -> None:
        now = self.clock()
        rate = self._rate()
        percent = 100.0 * self.done / self.total if self.total else 100.0
        left = self.left_text()
        slow = self.slow_text()
        print(
            f"coordgeo bulk: {self.done}/{self.total} files ({percent:.1f} %), "
            f"{rate:.1f} files/s, {left}; {self._counts()}" + (f"; {slow}" if slow else ""),
            file=sys.stderr,
            flush=True,
        )
        self.last_log = (self.done, now)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._bar is not None:
            self._bar.stop()
        elif self.mode == "log" and self.last_log[0] != self.done:
            self.log()


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m" if h else (f"{m}m{s:02d}s" if m else f"{s}s")
