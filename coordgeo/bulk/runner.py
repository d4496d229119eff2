"""``run``: inputs → engine → dataset, with progress and a summary.

A run holds the lock of its dataset folder from start to end (:mod:`coordgeo.bulk.lock`:
a second run on the same ``out`` is refused). SIGINT and SIGTERM stop it cleanly: never
in the middle of writing a part, what is finished is written, the workers are stopped,
and :class:`Interrupted` (a ``KeyboardInterrupt``) carries the summary; ``resume=True``
goes on from there.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from coordgeo.bulk.analyse import Collected, rows_table, to_tables
from coordgeo.bulk.dataset import (
    DEFAULT_FLUSH_SECONDS,
    DEFAULT_PART_SIZE,
    PartWriter,
    export_csv,
    prepare_out,
)
from coordgeo.bulk.engines import Pool, make_batches, run_dask, run_serial
from coordgeo.bulk.inputs import discover, read_list
from coordgeo.bulk.lock import hold
from coordgeo.bulk.progress import Progress
from coordgeo.bulk.schema import BULK_SHAPES, TABLES, Options, Task, now, schemas, storable
from coordgeo.coordination import DEFAULT_TOLERANCE
from coordgeo.errors import InputError
from coordgeo.options import validate_count, validate_positive

#: Whether :class:`coordgeo.bulk.engines.Pool` can run here (POSIX pipes and selectors).
LOCAL_POOL_WORKS = os.name == "posix"


@dataclass(frozen=True)
class Summary:
    """What a run did (``str()`` is one line for the log)."""

    out: str
    files: int
    analysed: int
    skipped: int
    ok: int
    partial: int
    error: int
    blocks: int
    sites: int
    bonds: int
    hbonds: int
    megabytes: float
    seconds: float
    parts: int
    run: str

    @property
    def files_per_second(self) -> float:
        return self.analysed / self.seconds if self.seconds > 0 else math.nan

    def __str__(self) -> str:
        return (
            f"{self.files} files ({self.analysed} analysed, {self.skipped} already done): "
            f"{self.ok} ok, {self.partial} partial, {self.error} error; {self.blocks} blocks, "
            f"{self.sites} sites, {self.bonds} M–L bonds, {self.hbonds} H-bonds; "
            f"{self.seconds:.1f} s, {self.files_per_second:.1f} files/s → {self.out}"
        )

    def as_dict(self) -> dict:
        return asdict(self) | {"files_per_second": self.files_per_second}


class Interrupted(KeyboardInterrupt):
    """The run was stopped (SIGINT, SIGTERM); ``summary`` is what it had written."""

    def __init__(self, summary: Summary) -> None:
        super().__init__(f"interrupted: {summary}")
        self.summary = summary


class _Signals:
    """SIGINT and SIGTERM become KeyboardInterrupt, but not inside :meth:`shield` (writing
    a part, counting a batch): there the signal waits for the block to end."""

    def __init__(self) -> None:
        self.depth = 0
        self.pending = False
        self.previous: dict[int, Any] = {}

    def _handler(self, signum, frame) -> None:
        if self.depth:
            self.pending = True
            return
        raise KeyboardInterrupt

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # signals reach the main thread only: leave them alone
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            self.previous[sig] = signal.signal(sig, self._handler)
        try:
            yield
        finally:
            for sig, handler in self.previous.items():
                signal.signal(sig, handler)

    @contextlib.contextmanager
    def shield(self) -> Iterator[None]:
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
            if not self.depth and self.pending:
                self.pending = False
                raise KeyboardInterrupt


def run(
    paths: Iterable[str | os.PathLike] | str | os.PathLike,
    out: str | os.PathLike,
    *,
    jobs: int | None = None,
    engine: str = "local",
    scheduler: Any = None,
    resume: bool = False,
    csv: bool = False,
    pattern: str = "*.cif",
    files_from: str | os.PathLike | None = None,
    shapes: str | Sequence[str] = BULK_SHAPES,
    tolerance: float = DEFAULT_TOLERANCE,
    timeout: float | None = None,
    max_size: int | None = None,
    send_bytes: bool = False,
    part_size: int = DEFAULT_PART_SIZE,
    flush_seconds: float = DEFAULT_FLUSH_SECONDS,
    task_size: int | None = None,
    progress: bool | str | None = None,
) -> Summary:
    """Analyse every data block of every file under ``paths`` into Parquet tables in ``out``.

    Parameters
    ----------
    paths
        Files, folders (searched recursively for ``pattern``, case-insensitive) and
        globs (``**`` allowed); ``files_from`` adds files listed one per line (taken
        as they are: a folder listed there is an error row, not searched).
    out
        The dataset folder: ``out/<table>/part-NNNNNN.parquet`` for each of
        :data:`TABLES` (and ``out/<table>.csv`` with ``csv=True``).
    jobs
        Worker processes (default: every core); 1 runs in this process.
    engine
        ``"local"`` (process pool) or ``"dask"``: the same work on a Dask cluster at
        ``scheduler`` (an address such as ``tcp://host:8786`` or a ``Client``);
        ``send_bytes`` ships each file's bytes with its task, for workers without the
        client's filesystem.
    resume
        Continue the dataset in ``out``: files already recorded with the same content
        (sha256) are skipped; files that failed to be read, or changed, are redone.
    shapes
        Shape measures: :data:`BULK_SHAPES` (default), ``"all"``, or labels.
    tolerance
        Bond criterion (Å), as everywhere in coordgeo.
    timeout, max_size
        Per-file limits (seconds, bytes): a file beyond them is an ``error`` row.
        ``timeout`` needs the local engine.
    part_size, flush_seconds, task_size
        Files per part file, the longest wait between parts (what a killed run can
        lose, with the batches in flight), files per worker task (default: up to 64,
        the last tasks of a pool smaller, so that the workers end together).
    progress
        ``None`` (a bar on a terminal, else log lines on stderr), ``True``, ``"log"``,
        or ``False`` (silent).

    Raises
    ------
    InputError
        Bad options or inputs; ``out`` is not a dataset folder, cannot be written
        (read-only) or is in use by another run (named in the message).
    Interrupted
        SIGINT or SIGTERM: the finished files are written, ``resume=True`` continues.
    """
    started = time.monotonic()
    out = Path(out)
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    paths = list(paths)
    try:
        listed = read_list(files_from) if files_from is not None else []
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise InputError(f"cannot read the list of files: {why}", path=str(files_from)) from None
    jobs = None if jobs is None else validate_count(jobs, "--jobs", "workers")
    timeout = None if timeout is None else validate_positive(timeout, "--timeout")
    max_size = None if max_size is None else validate_count(max_size, "max_size (bytes)")
    part_size = validate_count(part_size, "--part-size")
    if engine not in ("local", "dask"):
        raise InputError(f"unknown engine {engine!r}: use 'local' or 'dask'")
    if engine == "dask" and scheduler is None:
        raise InputError("the dask engine needs a scheduler address (--scheduler)")
    from coordgeo.pipeline import make_options
    from coordgeo.shape import shape_labels

    checked = make_options(tolerance=tolerance, shapes=shapes)  # the one validation
    wanted = shape_labels() if checked.shapes == "all" else checked.shapes
    tolerance = checked.tolerance
    run_id = f"{now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    options = Options(
        tolerance=tolerance, shapes=tuple(wanted), timeout=timeout, max_size=max_size, run=run_id
    )
    signals = _Signals()
    with hold(out, run_id) as dataset_lock, signals.installed():
        try:
            return _run_locked(
                paths, out, listed, options, signals, started, dataset_lock.fd, jobs=jobs,
                engine=engine,
                scheduler=scheduler, resume=resume, csv=csv, pattern=pattern,
                send_bytes=send_bytes, part_size=part_size, flush_seconds=flush_seconds,
                task_size=task_size, progress=progress,
            )  # fmt: skip
        except Interrupted:
            raise
        except KeyboardInterrupt:  # before any file was analysed (finding the files, …)
            nothing = dict.fromkeys(Summary.__dataclass_fields__, 0)
            nothing |= {"out": str(out), "seconds": time.monotonic() - started, "run": run_id}
            raise Interrupted(Summary(**nothing)) from None


def _run_locked(
    paths: list,
    out: Path,
    listed: list[str],
    options: Options,
    signals: _Signals,
    started: float,
    lock_fd: int | None,
    *,
    jobs: int | None,
    engine: str,
    scheduler: Any,
    resume: bool,
    csv: bool,
    pattern: str,
    send_bytes: bool,
    part_size: int,
    flush_seconds: float,
    task_size: int | None,
    progress: bool | str | None,
) -> Summary:
    run_id = options.run
    first_part, done = prepare_out(out, options, resume)
    schema = schemas(options.shapes)

    found, problems = discover(paths, pattern, listed)
    sizes = []
    for p in found:
        try:
            sizes.append(os.stat(p).st_size)
        except OSError:
            sizes.append(-1)
    # largest first: the long files start early instead of ending the run alone
    order = sorted(range(len(found)), key=lambda k: (-sizes[k], found[k]))
    tasks = [Task(found[k], sizes[k], done.get(storable(found[k]))) for k in order]
    asked, jobs = jobs, max(1, jobs or os.cpu_count() or 1)
    if engine == "local" and jobs > 1 and not LOCAL_POOL_WORKS:
        # the pool's non-blocking pipes and selector need POSIX file descriptors; Windows
        # pipes are handles, which a selector does not take. Said only to who asked for
        # workers (the default, every core, is not a request)
        if asked is not None:
            sys.stderr.write(
                "coordgeo: warning: local worker processes need Linux or macOS; analysing "
                "in this process (--engine dask runs workers here)\n"
            )
        jobs = 1
    guided = task_size is None  # the last tasks shrink (engines.make_batches)
    if task_size is None:
        # big enough to spread the per-task costs (spin assignment, IPC), small enough
        # to keep every worker busy to the end
        task_size = max(1, min(64, len(tasks) // (8 * jobs) or 1))

    # the workers start before anything else of the run (the progress bar's thread, the
    # first part): forked from this process, warmed up once (engines.pool_context)
    pool = None
    if engine == "local" and jobs > 1 and tasks:
        pool = Pool(jobs, private=[] if lock_fd is None else [lock_fd])

    mode = progress
    if mode is None or mode is True:
        mode = "bar" if sys.stderr.isatty() else "log"
    elif mode is False:
        mode = "off"
    try:
        reporter = Progress(len(tasks) + len(problems), mode, jobs=jobs)
    except BaseException:
        if pool is not None:
            pool.close(now=True)
        raise
    writer = PartWriter(out, schema, first_part, part_size, flush_seconds)
    totals = {"analysed": 0, "skipped": 0, "ok": 0, "partial": 0, "error": 0, "bytes": 0}

    def consume(tables: dict[str, pa.Table], n_tasks: int) -> None:
        with signals.shield():  # a batch is counted and buffered whole, parts written whole
            files = tables["files"]
            statuses = files.column("status").to_pylist()
            skipped = n_tasks - files.num_rows
            totals["analysed"] += files.num_rows
            totals["skipped"] += skipped
            for status in statuses:
                totals[status] += 1
            sizes = files.column("size").to_pylist()
            totals["bytes"] += sum(s for s in sizes if s)
            writer.add(tables)
            reporter.update(statuses, skipped, files.column("path").to_pylist())

    def idle() -> None:
        with signals.shield():
            writer.flush_if_due()
        reporter.tick()

    def summary() -> Summary:
        return Summary(
            out=str(out),
            files=len(tasks) + len(problems),
            analysed=totals["analysed"],
            skipped=totals["skipped"],
            ok=totals["ok"],
            partial=totals["partial"],
            error=totals["error"],
            blocks=writer.rows["blocks"],
            sites=writer.rows["sites"],
            bonds=writer.rows["bonds"],
            hbonds=writer.rows["hbonds"],
            megabytes=totals["bytes"] / 1e6,
            seconds=time.monotonic() - started,
            parts=writer.parts_written,
            run=run_id,
        )

    try:
        if problems:
            for row in problems:
                row["run"] = run_id
            tables = to_tables(Collected(), schema)
            tables["files"] = rows_table(problems, schema["files"])
            consume(tables, len(problems))
        batches = make_batches(tasks, task_size, jobs if guided and pool is not None else 0)
        if engine == "dask":
            run_dask(batches, options, consume, scheduler, send_bytes)
        elif pool is None:
            run_serial(batches, options, consume, reporter.started)
        else:
            pool.run(batches, options, consume, started=reporter.started, idle=idle)
            pool.ask_to_stop()  # the workers end while the last part is written
        with signals.shield():
            writer.flush()
        if pool is not None:
            pool.close(now=False)
    except KeyboardInterrupt:
        signals.depth += 1  # a second Ctrl-C must not cut this short
        if pool is not None:
            pool.close(now=True)  # the workers first: nothing waits on them
        writer.flush()  # what is complete is kept: --resume goes on from there
        reporter.close()
        raise Interrupted(summary()) from None
    finally:
        if pool is not None:
            pool.close(now=True)  # (done already unless the run failed)
        reporter.close()
    if csv:
        for table in TABLES:
            export_csv(out, table, schema[table])
    return summary()
