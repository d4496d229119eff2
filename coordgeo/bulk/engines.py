"""Where the batches run: in this process, a local process pool, or a Dask cluster.

Pool workers never outlive the run (:func:`_init_worker`): each ignores SIGINT (the run
stops them itself), asks the kernel for SIGKILL when its parent ends (Linux,
``PR_SET_PDEATHSIG``) and watches the run's process from a thread, so that after a
``kill -9`` of the run its workers, and then the forkserver (which lives as long as
any worker holds its pipe), end within a second instead of finishing their batches.
The forkserver itself also dies with the run (:mod:`coordgeo.bulk._forkserver`).
Workers tell the run which file they start, for the progress display.

The pool is this module's own (:func:`run_pool`), not ``concurrent.futures``: one pipe
per worker, read only by the run's main thread. ``ProcessPoolExecutor`` reads results in
a thread of its own; a worker killed on Ctrl-C half-way through sending its tables left
that thread waiting for the rest of the message (the run holds the pipe's other end, so
no end of file comes), and the interpreter waited for the thread at exit: the run hung
after printing that it was interrupted (1 run in 25 under load). Here nothing waits on a
killed worker, and a worker that dies ends only its own pipe: only its batch is redone.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import wait as connection_wait
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
#: Called every :data:`IDLE_SECONDS` while the pool runs (flush, progress).
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


def _init_worker(run_pid: int, run_start: str | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the run's to handle
    die_with_parent()
    threading.Thread(target=_watch, args=(run_pid, run_start), daemon=True).start()


# --- the pool: one process and one pipe per worker, all read by the run's main thread ------
#
# Messages are pickled tuples; a worker sends ("ready",) once, ("file", path, time) before
# each file and ("done", tables) or ("failed", reason) after each batch; the run sends
# (tasks, options) or None (stop). No thread of the run reads a pipe: a worker killed
# half-way through a message (Ctrl-C) leaves nothing waiting on it, and its pipe ends
# (EOF) when it dies, since the run keeps only its own end.


def _send(connection, message: Any) -> None:
    connection.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def _worker_main(connection, run_pid: int, run_start: str | None) -> None:
    """A pool worker: batches from the run, their tables back, until None or EOF."""
    _init_worker(run_pid, run_start)

    def tell(path: str) -> None:
        _send(connection, ("file", path, time.time()))

    try:
        _send(connection, ("ready",))
        while True:
            message = pickle.loads(connection.recv_bytes())
            if message is None:
                return
            tasks, options = message
            try:
                result = ("done", run_batch(tasks, options, tell))
            except Exception as exc:  # analyse_file records a file's errors; this is a bug
                result = ("failed", "{}: {}".format(*describe(exc)))
            _send(connection, result)
    except (EOFError, OSError):
        return  # the run has gone (Ctrl-C, killed): no one to tell, nothing to print


#: Batches a worker holds: the one it runs and the next, so that it never waits for the run.
DEPTH = 2
#: … the second only if the pickled batches waiting unread in its pipe, this one counted,
#: stay within this many bytes: the pipe holds them (a Linux socket pair ~200 kB), so the
#: send returns at once. A send that had to wait for the worker to read would deadlock
#: when the worker, still on its first batch, waits in turn for the run to read its
#: ("file", …) messages or tables. A larger batch goes only to an idle worker (nothing in
#: flight), which is waiting to read it.
PIPE_BYTES = 64_000


class _Worker:
    """One pool process, the run's end of its pipe, and the batches sent to it, oldest
    (the one it runs) first."""

    def __init__(self, context, run_pid: int, run_start: str | None) -> None:
        here, there = context.Pipe(duplex=True)
        self.process = context.Process(
            target=_worker_main, args=(there, run_pid, run_start), daemon=True
        )
        self.process.start()
        there.close()  # the worker holds the only other end: its death is EOF here
        self.connection = here
        self.name = f"pid {self.process.pid}"
        self.ready = False
        self.batches: deque[tuple[list[Task], int]] = deque()  # (tasks, pickled bytes)

    def send(self, batch: list[Task], data: bytes) -> None:
        """Send ``batch``, pickled with its options as ``data``; only if :meth:`can_take`."""
        self.batches.append((batch, len(data)))
        with contextlib.suppress(OSError):  # it died: the run sees it by its sentinel
            self.connection.send_bytes(data)

    def can_take(self, size: int) -> bool:
        """Whether a batch of ``size`` pickled bytes can be sent without blocking: the
        worker is idle, or it runs one batch and the unread ones, this one counted, fit
        in :data:`PIPE_BYTES` (the batch it runs was read before it started)."""
        if not self.batches:
            return True
        waiting = sum(size for _, size in list(self.batches)[1:])
        return len(self.batches) < DEPTH and waiting + size <= PIPE_BYTES

    def messages(self) -> Iterator[tuple]:
        """The messages that have arrived; ("lost",) at the end when the worker has died."""
        while self.connection.poll():
            try:
                data = self.connection.recv_bytes()
            except (EOFError, OSError):
                yield ("lost",)
                return
            yield pickle.loads(data)

    def stop(self, now: bool) -> None:
        """End the process: at once (``now``, Ctrl-C: its batches are abandoned) or
        after it reads the stop message; the pipe is closed."""
        if not now:
            with contextlib.suppress(OSError):
                _send(self.connection, None)
            self.process.join(timeout=5)
        if self.process.exitcode is None:
            with contextlib.suppress(Exception):
                self.process.kill()
            self.process.join(timeout=5)
        self.connection.close()
        with contextlib.suppress(ValueError):
            self.process.close()


def run_pool(
    batches: Iterable[list[Task]],
    options: Options,
    consume: Consume,
    jobs: int,
    *,
    started: Started | None = None,
    idle: Idle | None = None,
) -> None:
    """A pool of ``jobs`` processes; a worker that dies (segfault, out of memory) costs
    only its file.

    Each worker holds up to :data:`DEPTH` batches. When a worker dies, the batch it
    was running is rerun one file per batch (the ones it had not started are run as
    they were), and it is replaced; a file that kills its worker when alone is recorded
    as an error. ``started`` hears which file each worker starts; ``idle`` is called
    every :data:`IDLE_SECONDS` while the pool runs, whatever messages arrive (so that
    parts are flushed and progress logged on time). On KeyboardInterrupt (or any error)
    the workers are killed at once: nothing of the run waits on them.
    """
    context = pool_context()
    me = os.getpid()
    me_start = _start_time(me)
    iterator = iter(batches)
    again: deque[list[Task]] = deque()  # batches to run (again) before the iterator's
    alone: set[str] = set()  # files rerun alone after a worker died with them
    workers: list[_Worker] = []
    ever_ready = False
    interrupted = True
    try:
        for _ in range(jobs):
            workers.append(_Worker(context, me, me_start))
        exhausted = False
        # the next batch, pickled, until a worker can take it without blocking
        ahead: tuple[list[Task], bytes] | None = None
        last_idle = time.monotonic()
        while True:
            for worker in workers:
                while len(worker.batches) < DEPTH:
                    if ahead is None:
                        if not again and exhausted:
                            break
                        batch = again.popleft() if again else next(iterator, None)
                        if batch is None:
                            exhausted = True
                            break
                        data = pickle.dumps((batch, options), protocol=pickle.HIGHEST_PROTOCOL)
                        ahead = (batch, data)
                    if not worker.can_take(len(ahead[1])):
                        break
                    worker.send(*ahead)
                    ahead = None
            busy = [w for w in workers if w.batches]
            if not busy:  # every worker idle: ``ahead`` was sent, if there was one
                interrupted = False
                return
            # idle() is due every IDLE_SECONDS, however many messages arrive meanwhile
            # (each file a worker starts is one)
            waited = time.monotonic() - last_idle
            if waited >= IDLE_SECONDS:
                if idle is not None:
                    idle()
                last_idle = time.monotonic()
                waited = 0.0
            waits = [w.connection for w in busy] + [w.process.sentinel for w in busy]
            ready = set(connection_wait(waits, timeout=IDLE_SECONDS - waited))
            if not ready:
                continue
            for worker in busy:
                if worker.connection not in ready and worker.process.sentinel not in ready:
                    continue
                lost = worker.process.sentinel in ready and not worker.connection.poll()
                for message in worker.messages():
                    kind = message[0]
                    if kind == "file":
                        if started is not None:
                            started(worker.name, message[1], message[2])
                    elif kind == "ready":
                        worker.ready = ever_ready = True
                    elif kind == "done":
                        batch, _ = worker.batches.popleft()
                        if started is not None:
                            started(worker.name, None, time.time())
                        consume(message[1], len(batch))
                    elif kind == "failed":
                        batch, _ = worker.batches.popleft()
                        _blame(batch, message[1], options, consume, again, alone)
                    else:
                        lost = True
                if not lost:
                    continue
                # the worker died: the batch it ran is suspect, the others go back
                if not ever_ready:
                    # workers cannot even start (e.g. a __main__ read from stdin, which
                    # spawned processes cannot import): not the files' fault
                    held = [b for w in workers for b, _ in w.batches]
                    if ahead is not None:
                        held.append(ahead[0])
                    for w in workers:
                        w.batches.clear()
                        w.stop(now=True)
                    workers = []
                    print(
                        "coordgeo bulk: warning: worker processes could not start; "
                        "running in this process (one core)",
                        file=sys.stderr,
                    )
                    run_serial([*held, *again, *iterator], options, consume, started)
                    interrupted = False
                    return
                if started is not None:
                    started(worker.name, None, time.time())
                held = [b for b, _ in worker.batches]
                worker.batches.clear()
                worker.stop(now=True)
                why = "the analysis killed its worker process (crash or out of memory)"
                if held:
                    again.extendleft(reversed(held[1:]))
                    _blame(held[0], why, options, consume, again, alone)
                workers[workers.index(worker)] = _Worker(context, me, me_start)
    finally:
        for worker in workers:
            worker.stop(now=interrupted)


def _blame(
    batch: list[Task],
    why: str,
    options: Options,
    consume: Consume,
    again: deque[list[Task]],
    alone: set[str],
) -> None:
    """A batch whose worker died (or failed): a file that was alone is recorded as an
    error; a larger batch is rerun one file per batch, first."""
    if len(batch) == 1 and batch[0].path in alone:
        consume(crashed_rows(batch, options, why), 1)
        return
    for task in reversed(batch):
        alone.add(task.path)
        again.appendleft([task])


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
