"""Where the batches run: in this process, a local process pool, or a Dask cluster.

Pool workers never outlive the run (:func:`_init_worker`): each ignores SIGINT (the run
stops them itself), asks the kernel for SIGKILL when its parent ends (Linux,
``PR_SET_PDEATHSIG``) and watches the run's process from a thread, so that after a
``kill -9`` of the run its workers, and then the forkserver (which lives as long as
any worker holds its pipe), end within a second instead of finishing their batches.
The forkserver itself also dies with the run (:mod:`coordgeo.bulk._forkserver`).
Workers tell the run which file they start (:func:`pool_batch`), for the progress
display.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import pyarrow as pa

from coordgeo.bulk import analyse
from coordgeo.bulk.analyse import Collected, analyse_batch, crashed_rows, to_tables
from coordgeo.bulk.inputs import with_bytes
from coordgeo.bulk.schema import Options, Task, describe, schemas

# A task holds at most this many bytes of CIF: the largest files go (nearly) alone, so
# that a few giant structures neither end up in one worker's task (and run one after
# another while the other workers idle) nor pile up their results in its memory.
TASK_BYTES = 512_000


def make_batches(tasks: Iterable[Task], size: int) -> Iterator[list[Task]]:
    """Batches of ``size`` files, cut earlier so a batch holds at most ~0.5 MB of CIF."""
    batch: list[Task] = []
    volume = 0
    for task in tasks:
        if batch and (len(batch) >= size or volume + max(task.size, 0) > TASK_BYTES):
            yield batch
            batch, volume = [], 0
        batch.append(task)
        volume += max(task.size, 0)
    if batch:
        yield batch


Consume = Callable[[dict[str, pa.Table], int], None]
#: ``started(worker, path or None, time.time())``: a worker starts a file (None: it is idle).
Started = Callable[[str, str | None, float], None]
#: Called every :data:`IDLE_SECONDS` while the run waits for results (flush, progress).
Idle = Callable[[], None]
IDLE_SECONDS = 0.5


def run_batch(
    tasks: Iterable[Task], options: Options, on_file: Callable[[str], None] | None = None
) -> dict[str, pa.Table]:
    """:func:`coordgeo.bulk.analyse.analyse_batch`, calling ``on_file(path)`` before each
    file (the progress display shows a file that takes long)."""
    out = Collected()
    for task in tasks:
        if on_file is not None:
            on_file(task.path)
        analyse.analyse_file(task.path, options, out, task)  # looked up at call time
    return to_tables(out, schemas(options.shapes))


def run_serial(
    batches: Iterable[list[Task]],
    options: Options,
    consume: Consume,
    started: Started | None = None,
) -> None:
    me = f"pid {os.getpid()}"

    def tell(path: str) -> None:
        if started is not None:
            started(me, path, time.time())

    for batch in batches:
        result = run_batch(batch, options, tell)
        if started is not None:
            started(me, None, time.time())
        consume(result, len(batch))


def pool_context():
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    # forkserver: workers never inherit the parent's threads (the progress bar's), and
    # fork from a server that has imported coordgeo once, so they start at once; the
    # server ends with the run (coordgeo.bulk._forkserver)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["coordgeo.bulk._forkserver", "coordgeo.bulk.analyse"])
    return context


# --- worker processes never outlive the run ------------------------------------------------

_STARTS = None  # the queue a pool worker tells the run which file it starts on


def _start_time(pid: int) -> str | None:
    """The start time of process ``pid`` (Linux ``/proc``), to tell it from a later
    process that got the same pid; None where there is no ``/proc``."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    return fields[19].decode() if fields[0] != b"Z" else "zombie"


def process_alive(pid: int, start: str | None = None) -> bool:
    """Whether process ``pid`` (started at ``start``, see :func:`_start_time`) still runs."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    now_start = _start_time(pid)
    return now_start != "zombie" and (start is None or now_start is None or now_start == start)


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent ends (``PR_SET_PDEATHSIG``)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)


def _watch(pid: int, start: str | None) -> None:
    while process_alive(pid, start):
        time.sleep(0.2)
    os.kill(os.getpid(), signal.SIGKILL)  # the run is gone: so is its work


def _init_worker(run_pid: int, run_start: str | None, starts) -> None:
    global _STARTS
    _STARTS = starts
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the run's to handle
    die_with_parent()
    threading.Thread(target=_watch, args=(run_pid, run_start), daemon=True).start()


def pool_batch(tasks: list[Task], options: Options) -> dict[str, pa.Table]:
    """What a pool worker runs: :func:`run_batch`, telling the run each file it starts."""
    me = f"pid {os.getpid()}"

    def tell(path: str | None) -> None:
        if _STARTS is not None:
            with contextlib.suppress(OSError, ValueError):
                _STARTS.put((me, path, time.time()))

    try:
        return run_batch(tasks, options, tell)
    finally:
        tell(None)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """End the pool's workers now (Ctrl-C): their batches are abandoned, not awaited."""
    terminate = getattr(pool, "terminate_workers", None)  # Python ≥ 3.14
    if terminate is not None:
        with contextlib.suppress(Exception):
            terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(Exception):
            process.kill()


def run_pool(
    batches: Iterable[list[Task]],
    options: Options,
    consume: Consume,
    jobs: int,
    *,
    started: Started | None = None,
    idle: Idle | None = None,
) -> None:
    """A process pool; a worker that dies (segfault, out of memory) costs only its file.

    When a worker dies the pool breaks and every batch in flight fails with it; those
    files are then rerun one at a time, alone in a fresh pool, so that the one that
    kills its worker again is recorded as an error and the others get their results.
    ``started`` hears which file each worker starts; ``idle`` is called every
    :data:`IDLE_SECONDS` while no result comes (so that parts are flushed on time).
    On KeyboardInterrupt the workers are stopped at once.
    """
    iterator = iter(batches)
    suspects: list[list[Task]] = []
    alone: set[str] = set()  # files being rerun alone after a worker died
    me = os.getpid()
    while True:
        context = pool_context()
        starts = context.SimpleQueue()  # a new one per pool: a killed worker may hold its lock

        def drain(starts=starts) -> None:
            while not starts.empty():
                worker, path, when = starts.get()
                if started is not None:
                    started(worker, path, when)

        pool = ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=context,
            initializer=_init_worker,
            initargs=(me, _start_time(me), starts),
        )
        try:
            pool.submit(os.getpid).result()
        except BrokenProcessPool:
            # workers cannot even start (e.g. a __main__ read from stdin, which spawned
            # processes cannot import): not the files' fault, so do the work here
            pool.shutdown(wait=False, cancel_futures=True)
            print(
                "coordgeo bulk: warning: worker processes could not start; "
                "running in this process (one core)",
                file=sys.stderr,
            )
            run_serial(([t] for batch in suspects for t in batch), options, consume, started)
            run_serial(iterator, options, consume, started)
            return
        running: dict = {}
        broken = False
        interrupted = False
        try:
            while True:
                isolating = bool(suspects) or any(
                    len(b) == 1 and b[0].path in alone for b in running.values()
                )
                limit = 1 if isolating else 2 * jobs
                while len(running) < limit and not broken:
                    if suspects:
                        batch = suspects.pop()
                        alone.add(batch[0].path)
                    else:
                        batch = next(iterator, None)
                        if batch is None:
                            break
                    running[pool.submit(pool_batch, batch, options)] = batch
                if not running:
                    return
                finished, _ = wait(running, timeout=IDLE_SECONDS, return_when=FIRST_COMPLETED)
                drain()
                if not finished and idle is not None:
                    idle()
                for future in finished:
                    batch = running.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        broken = True
                        if len(batch) == 1 and batch[0].path in alone:
                            why = "the analysis killed its worker process (crash or out of memory)"
                            consume(crashed_rows(batch, options, why), 1)
                        else:
                            suspects.extend([t] for t in batch)
                        continue
                    consume(result, len(batch))
                if broken and not running:
                    break
        except KeyboardInterrupt:
            interrupted = True
            _stop_workers(pool)
            raise
        finally:
            pool.shutdown(wait=not (broken or interrupted), cancel_futures=True)


def run_dask(
    batches: Iterable[list[Task]],
    options: Options,
    consume: Consume,
    scheduler: Any,
    send_bytes: bool,
) -> None:
    """The same batches on a Dask cluster; results come back to this process, which writes."""
    from coordgeo.extras import require

    require("bulk", "dask.distributed", what="coordgeo bulk --engine dask")
    from dask.distributed import Client, as_completed

    own = not isinstance(scheduler, Client)
    client = Client(scheduler) if own else scheduler
    try:
        threads = max(sum(client.nthreads().values()), 1)
        iterator = iter(batches)

        batch_of: dict[str, list[Task]] = {}

        def submit(batch: list[Task]):
            sent = [with_bytes(t, options) for t in batch] if send_bytes else batch
            future = client.submit(analyse_batch, sent, options, pure=False)
            batch_of[future.key] = batch
            return future

        pending = as_completed()
        for batch in iterator:
            pending.add(submit(batch))
            if pending.count() >= 2 * threads:
                break
        for future in pending:
            batch = batch_of.pop(future.key)
            try:
                result = future.result()
            except Exception as exc:  # KilledWorker and the like
                result = crashed_rows(batch, options, "{}: {}".format(*describe(exc)))
            consume(result, len(batch))
            future.release()
            nxt = next(iterator, None)
            if nxt is not None:
                pending.add(submit(nxt))
    finally:
        if own:
            client.close()
