"""Where the batches run: in this process, a local process pool, or a Dask cluster.

Pool workers never outlive the run (:func:`_init_worker`): each ignores SIGINT (the run
stops them itself), asks the kernel for SIGKILL when its parent ends (Linux,
``PR_SET_PDEATHSIG``) and watches the run's process from a thread, so that after a
``kill -9`` of the run its workers end within a second instead of finishing their
batches. Workers are forked from the run itself where that is safe (:func:`pool_context`),
else from a forkserver, which also dies with the run (:mod:`coordgeo.bulk._forkserver`).
Workers tell the run which file they start, for the progress display. Each worker's BLAS
uses its share of the cores (:func:`limit_blas_threads`), not a thread per core.

The pool is this module's own (:class:`Pool`), not ``concurrent.futures``: two pipes per
worker, served only by the run's main thread, which never waits to send.
``ProcessPoolExecutor`` reads results in a thread of its own; a worker killed on Ctrl-C
half-way through sending its tables left that thread waiting for the rest of the message
(the run holds the pipe's other end, so no end of file comes), and the interpreter
waited for the thread at exit: the run hung after printing that it was interrupted (1
run in 25 under load). Here nothing waits on a killed worker, and a worker that dies
ends only its own pipe: only its batch is redone.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import pickle
import selectors
import signal
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import pyarrow as pa

try:
    import fcntl
except ImportError:  # pragma: no cover (Windows)
    fcntl = None

from coordgeo.bulk import analyse
from coordgeo.bulk.analyse import Collected, analyse_batch, crashed_rows, to_tables
from coordgeo.bulk.inputs import with_bytes
from coordgeo.bulk.schema import TABLES, Options, Task, describe, schemas

# A task holds at most this many bytes of CIF: the largest files go (nearly) alone, so
# that a few giant structures neither end up in one worker's task (and run one after
# another while the other workers idle) nor pile up their results in its memory.
TASK_BYTES = 512_000


def make_batches(tasks: Iterable[Task], size: int, jobs: int = 0) -> Iterator[list[Task]]:
    """Batches of ``size`` files, cut earlier so a batch holds at most ~0.5 MB of CIF.

    With ``jobs`` (the number of workers), a batch also holds at most 1/(2·jobs) of the
    bytes of CIF not yet in a batch (guided self-scheduling, C. D. Polychronopoulos and
    D. J. Kuck, IEEE Trans. Comput. 36 (1987) 1425, with file size as the measure of
    work): the last batches shrink, down to one file, so that the workers end together
    instead of one analysing a last batch of ~60 small files (~0.6 s) alone.
    """
    tasks = list(tasks)
    remaining = sum(max(task.size, 0) for task in tasks)

    def limit() -> int:
        return min(TASK_BYTES, remaining // (2 * jobs)) if jobs else TASK_BYTES

    batch: list[Task] = []
    volume = 0
    most = limit()
    for task in tasks:
        if batch and (len(batch) >= size or volume + max(task.size, 0) > most):
            yield batch
            remaining -= volume
            batch, volume = [], 0
            most = limit()
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
    out = Collected(batched=True)  # the sites of all its files together
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
    """How pool workers start: forked from this process, warmed up first, where that is
    safe (Linux, no other Python thread); else from a forkserver (spawn without one).

    A fork from the run costs no interpreter start and no imports: the run has imported
    pandas and pyarrow already, and :func:`coordgeo.bulk.warmup.warm` adds what the
    analysis needs (~0.8 s of CPU that a single-process run spends too). A forkserver
    is a new interpreter that imports all of it before the first worker can start
    (~1.2 s, while the run's core waits). Fork is unsafe when another Python thread
    (the progress bar's, a caller's) may hold a lock the child would need: then the
    forkserver, whose workers never inherit the run's threads. The libraries' own
    native threads (OpenBLAS, jemalloc) have their fork handlers.
    """
    methods = multiprocessing.get_all_start_methods()
    if (
        sys.platform.startswith("linux")
        and "fork" in methods
        and threading.current_thread() is threading.main_thread()
        and threading.active_count() == 1
    ):
        from coordgeo.bulk.warmup import warm

        warm()
        return multiprocessing.get_context("fork")
    if "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    # the server ends with the run (coordgeo.bulk._forkserver)
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


#: The signals a run handles itself (:mod:`coordgeo.bulk.runner`); a forked worker must
#: not run the run's handlers for them, so they are blocked while it is forked.
_RUN_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def _run_signals_blocked(block: bool) -> Iterator[None]:
    """Block SIGINT and SIGTERM in this thread for the block (a fork inherits the mask,
    so a forked worker cannot get them before :func:`_init_worker` ignores them)."""
    if not block or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _RUN_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def blas_threads(jobs: int) -> int:
    """The BLAS threads each of ``jobs`` pool workers may use: its share of the cores."""
    return max(1, (os.cpu_count() or 1) // max(jobs, 1))


def limit_blas_threads(threads: int) -> None:
    """Let the BLAS libraries loaded in this process (numpy's and scipy's OpenBLAS) use
    at most ``threads`` threads (``threadpoolctl``).

    OpenBLAS starts a thread per core for a large enough product (the stacked pairing
    products of the shape measures are) and its threads spin while they wait for more:
    ``jobs`` workers on as many cores, each with a thread per core, fight over the cores.
    Measured on the corpus ×5 with 2 workers on 2 cores: 15.4 and 14.0 s of worker CPU
    with OpenBLAS's own threads, 11.9 and 12.7 s with one each, for the same tables (a
    product is cut among threads by blocks of its result, each entry summed by one
    thread in one order, so the values do not change).
    """
    from coordgeo.blas import limit_threads

    limit_threads(threads)


def _init_worker(run_pid: int, run_start: str | None, threads: int) -> None:
    limit_blas_threads(threads)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the run's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked worker had the run's handler
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _RUN_SIGNALS)
    die_with_parent()
    threading.Thread(target=_watch, args=(run_pid, run_start), daemon=True).start()


# --- the pool: one process and two pipes per worker, all served by the run's main thread ----
#
# Messages are pickled tuples. A worker sends ("ready",) once, ("file", path, time) before
# each file and ("done", tables) or ("failed", reason) after each batch on its result pipe
# (multiprocessing's framing), the tables as Arrow IPC streams (:func:`_tables_payload`);
# the run sends (tasks, options) or None (stop) on its task
# pipe, each framed by its length (:data:`_LENGTH`). The run never waits to send: its end
# of a task pipe is non-blocking, and what the pipe cannot take at once stays with the run
# until the worker has read more (the selector says when). So whatever a pipe holds (64 kB
# on Linux, 16 kB or less elsewhere), the run always goes back to reading the workers, and
# a worker that waits to report is read: the two cannot wait on each other. No thread of
# the run reads a pipe: a worker killed half-way through a message (Ctrl-C) leaves nothing
# waiting on it, and its result pipe ends (EOF) when it dies, since the run keeps only its
# own ends.

_LENGTH = struct.Struct("!Q")
#: Batches a worker holds: the one it runs and the next, so that it never waits for the run.
DEPTH = 2
#: The size to give each pipe (Linux ``F_SETPIPE_SZ``), None for the system's own (64 kB on
#: Linux) and :data:`RESULT_PIPE_SIZE` for the result pipes. Tests give them one page,
#: less than any system's default.
PIPE_SIZE: int | None = None
#: What a result pipe asks to hold (Linux ``F_SETPIPE_SZ``; the system may refuse, then
#: its own size stays): 1 MB, Linux's default ``pipe-max-size``, takes a whole batch's
#: tables (0.1–0.4 MB), so that a worker goes on with its next batch at once instead of
#: waiting for the run to read, e.g. while the run writes a part (~0.1 s).
RESULT_PIPE_SIZE = 1 << 20
#: What the result pipes of one pool ask for together: a user's pipes beyond Linux's
#: ``pipe-user-pages-soft`` (64 MB) are cut to one page, his other programs' included, so
#: many workers share 32 MB rather than taking 1 MB each.
RESULT_PIPES_TOTAL = 32 << 20


def result_pipe_size(jobs: int) -> int:
    """What each of ``jobs`` workers' result pipes asks to hold: :data:`RESULT_PIPE_SIZE`,
    less with more than 32 workers (a multiple of 64 kB, at least 64 kB)."""
    share = RESULT_PIPES_TOTAL // max(jobs, 1)
    return max(64 << 10, min(RESULT_PIPE_SIZE, share - share % (64 << 10)))


def _send(connection, message: Any) -> None:
    connection.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def _tables_payload(tables: dict[str, pa.Table]) -> bytes:
    """A batch's tables as one message: an Arrow IPC stream per table, in :data:`TABLES`
    order. Writing and reading them costs ~10× less CPU than pickling the tables (each
    column of each table a Python object to pickle; ~0.2 ms against ~2 ms a batch)."""
    sink = pa.BufferOutputStream()
    for name in TABLES:
        table = tables[name]
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _payload_tables(payload: bytes) -> dict[str, pa.Table]:
    """The tables of :func:`_tables_payload`, read without copying their buffers."""
    reader = pa.BufferReader(payload)
    return {name: pa.ipc.open_stream(reader).read_all() for name in TABLES}


def _receive(fd: int) -> Any:
    """The next message on task pipe ``fd`` (waits for it); EOFError when the run has gone."""

    def exactly(n: int) -> bytes:
        chunks = []
        while n:
            chunk = os.read(fd, min(n, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    (length,) = _LENGTH.unpack(exactly(_LENGTH.size))
    return pickle.loads(exactly(length))


def _worker_main(
    tasks,
    results,
    run_pid: int,
    run_start: str | None,
    inherited: tuple[int, ...],
    threads: int,
) -> None:
    """A pool worker: batches from the run, their tables back, until None or EOF.

    ``inherited``: file descriptors a forked worker got from the run and closes (the run's
    ends of the pipes, the dataset's lock), so that only the run holds them; ``threads``:
    the BLAS threads it may use (:func:`blas_threads`)."""
    for fd in inherited:
        with contextlib.suppress(OSError):
            os.close(fd)
    _init_worker(run_pid, run_start, threads)

    def tell(path: str) -> None:
        _send(results, ("file", path, time.time()))

    try:
        _send(results, ("ready",))
        while True:
            message = _receive(tasks.fileno())
            if message is None:
                return
            batch, options = message
            try:
                result = ("done", _tables_payload(run_batch(batch, options, tell)))
            except Exception as exc:  # analyse_file records a file's errors; this is a bug
                result = ("failed", "{}: {}".format(*describe(exc)))
            _send(results, result)
    except (EOFError, OSError):
        return  # the run has gone (Ctrl-C, killed): no one to tell, nothing to print


def _pipe(context, size: int | None = None) -> tuple[Any, Any]:
    """A one-way pipe (read end, write end), of :data:`PIPE_SIZE` where it is set, else
    of ``size`` where the system grants it, else of the system's size."""
    read, write = context.Pipe(duplex=False)
    if hasattr(fcntl, "F_SETPIPE_SZ"):
        if PIPE_SIZE is not None:
            fcntl.fcntl(write.fileno(), fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        elif size is not None:
            with contextlib.suppress(OSError):  # beyond pipe-max-size or the user's pages
                fcntl.fcntl(write.fileno(), fcntl.F_SETPIPE_SZ, size)
    return read, write


class _Worker:
    """One pool process, the run's ends of its pipes, the bytes waiting to be sent to it
    and the batches sent to it, oldest (the one it runs) first."""

    def __init__(
        self,
        context,
        run_pid: int,
        run_start: str | None,
        private: Sequence[int],
        result_size: int = RESULT_PIPE_SIZE,
        threads: int = 1,
    ) -> None:
        task_read, task_write = _pipe(context)
        result_read, result_write = _pipe(context, result_size)
        forked = context.get_start_method() == "fork"
        inherited = (task_write.fileno(), result_read.fileno(), *private) if forked else ()
        self.process = context.Process(
            target=_worker_main,
            args=(task_read, result_write, run_pid, run_start, inherited, threads),
            daemon=True,
        )
        # the run's objects (imports, shape tables) frozen for the fork: the worker's
        # collector never scans them (CPU) nor writes to their pages (copy-on-write); not
        # when a caller has frozen objects itself (unfreeze would thaw them too)
        freeze = forked and gc.get_freeze_count() == 0
        if freeze:
            gc.freeze()
        try:
            with _run_signals_blocked(forked):
                self.process.start()
        finally:
            if freeze:
                gc.unfreeze()  # the run's own collector goes on as before
        task_read.close()  # the worker holds the only other ends: its death is EOF here
        result_write.close()
        os.set_blocking(task_write.fileno(), False)
        self.tasks = task_write
        self.connection = result_read
        self.name = f"pid {self.process.pid}"
        self.batches: deque[list[Task]] = deque()
        self.unsent = memoryview(b"")
        self.asked = self.stopped = False

    def fds(self) -> tuple[int, ...]:
        """The run's file descriptors for this worker (which a later fork inherits)."""
        return (self.tasks.fileno(), self.connection.fileno(), self.process.sentinel)

    def send(self, batch: list[Task], options: Options) -> None:
        """Queue ``batch`` and send what the task pipe takes of it now."""
        self.batches.append(batch)
        self._put((batch, options))

    def _put(self, message: Any) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self.unsent = memoryview(bytes(self.unsent) + _LENGTH.pack(len(data)) + data)
        self.flush()

    def flush(self) -> None:
        """Write what the task pipe takes now without waiting; the rest stays in
        ``unsent``. A dead worker's bytes are dropped (the run sees its death by EOF)."""
        while self.unsent:
            try:
                written = os.write(self.tasks.fileno(), self.unsent)
            except BlockingIOError:
                return
            except OSError:  # EPIPE: it died
                self.unsent = memoryview(b"")
                return
            self.unsent = self.unsent[written:]

    def receive(self) -> tuple:
        """The next message (the result pipe is readable or the worker has ended: this
        does not wait on a silent worker); ("lost",) when it has died."""
        try:
            return pickle.loads(self.connection.recv_bytes())
        except (EOFError, OSError):
            return ("lost",)

    def ask_to_stop(self) -> None:
        """Send the stop message (the worker ends once it has read it)."""
        self._put(None)
        self.asked = True

    def stop(self, now: bool) -> None:
        """End the process: at once (``now``, Ctrl-C: its batches are abandoned) or
        after it reads the stop message (sent here unless :meth:`ask_to_stop` did); the
        pipes are closed."""
        if not now:
            if not self.asked:
                self.ask_to_stop()
            if not self.unsent:  # else it cannot be waiting to read: it is killed
                self.process.join(timeout=5)
        if self.process.exitcode is None:
            with contextlib.suppress(Exception):
                self.process.kill()
            self.process.join(timeout=5)
        self.tasks.close()
        self.connection.close()
        with contextlib.suppress(ValueError):
            self.process.close()
        self.stopped = True


class Pool:
    """``jobs`` worker processes, started at once (before the run starts other threads,
    such as the progress bar's, so that they can be forked: :func:`pool_context`).

    ``private``: file descriptors of the run that no worker may keep (the dataset's lock).
    Use as a context manager; :meth:`run` runs the batches. On leaving, the workers are
    stopped, at once (killed) if the block raised (Ctrl-C): nothing of the run waits on them.
    """

    def __init__(self, jobs: int, private: Sequence[int] = ()) -> None:
        self.private = tuple(private)
        self.run_pid = os.getpid()
        self.run_start = _start_time(self.run_pid)
        self.selector = selectors.DefaultSelector()
        self.workers: list[_Worker] = []
        self.context = pool_context()
        self.result_size = result_pipe_size(jobs)
        self.threads = blas_threads(jobs)
        try:
            for _ in range(jobs):
                self.workers.append(self._spawn())
        except BaseException:
            self.close(now=True)
            raise

    def _spawn(self) -> _Worker:
        if self.context.get_start_method() == "fork" and threading.active_count() > 1:
            self.context = pool_context()  # a replacement, now that the run has threads
        inherited = [fd for w in self.workers if not w.stopped for fd in w.fds()]
        worker = _Worker(
            self.context,
            self.run_pid,
            self.run_start,
            [*self.private, *inherited],
            self.result_size,
            self.threads,
        )
        self.selector.register(worker.connection, selectors.EVENT_READ, worker)
        self.selector.register(worker.process.sentinel, selectors.EVENT_READ, worker)
        return worker

    def _retire(self, worker: _Worker, now: bool) -> None:
        if worker.stopped:
            return
        for fileobj in (worker.connection, worker.process.sentinel, worker.tasks):
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(fileobj)
        worker.stop(now)

    def _send(self, worker: _Worker, batch: list[Task], options: Options) -> None:
        worker.send(batch, options)
        if worker.unsent:  # the rest when the worker has read enough
            with contextlib.suppress(KeyError):
                self.selector.register(worker.tasks, selectors.EVENT_WRITE, worker)

    def ask_to_stop(self) -> None:
        """Send every worker the stop message (they end side by side, while the run goes
        on; :meth:`close` waits for them)."""
        for worker in self.workers:
            if not (worker.stopped or worker.asked):
                worker.ask_to_stop()

    def close(self, now: bool = True) -> None:
        """Stop the workers (``now``: kill them); closing again does nothing."""
        if not now:
            self.ask_to_stop()
        for worker in self.workers:
            self._retire(worker, now)
        self.workers = []
        if self.selector.get_map() is not None:
            self.selector.close()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        self.close(now=kind is not None)

    def run(
        self,
        batches: Iterable[list[Task]],
        options: Options,
        consume: Consume,
        *,
        started: Started | None = None,
        idle: Idle | None = None,
    ) -> None:
        """Run ``batches``; a worker that dies (segfault, out of memory) costs only its file.

        Each worker holds up to :data:`DEPTH` batches. When a worker dies, the batch it
        was running is rerun one file per batch (the ones it had not started are run as
        they were), and it is replaced; a file that kills its worker when alone is
        recorded as an error. ``started`` hears which file each worker starts; ``idle``
        is called every :data:`IDLE_SECONDS` while the pool runs, whatever messages
        arrive (so that parts are flushed and progress logged on time).
        """
        iterator = iter(batches)
        again: deque[list[Task]] = deque()  # batches to run (again) before the iterator's
        alone: set[str] = set()  # files rerun alone after a worker died with them
        ever_ready = False
        exhausted = False
        last_idle = time.monotonic()
        while True:
            for worker in self.workers:
                while len(worker.batches) < DEPTH:
                    if again:
                        batch = again.popleft()
                    elif exhausted:
                        break
                    else:
                        batch = next(iterator, None)
                        if batch is None:
                            exhausted = True
                            break
                    self._send(worker, batch, options)
            if not any(w.batches for w in self.workers):
                return
            # idle() is due every IDLE_SECONDS, however many messages arrive meanwhile
            # (each file a worker starts is one)
            waited = time.monotonic() - last_idle
            if waited >= IDLE_SECONDS:
                if idle is not None:
                    idle()
                last_idle = time.monotonic()
                waited = 0.0
            for key, _ in self.selector.select(timeout=IDLE_SECONDS - waited):
                worker = key.data
                if worker not in self.workers:
                    continue  # it died earlier in this round
                if key.fileobj is worker.tasks:
                    worker.flush()
                    if not worker.unsent:
                        self.selector.unregister(worker.tasks)
                    continue
                message = worker.receive()
                kind = message[0]
                if kind == "file":
                    if started is not None:
                        started(worker.name, message[1], message[2])
                elif kind == "ready":
                    ever_ready = True
                elif kind == "done":
                    batch = worker.batches.popleft()
                    if started is not None:
                        started(worker.name, None, time.time())
                    consume(_payload_tables(message[1]), len(batch))
                elif kind == "failed":
                    batch = worker.batches.popleft()
                    _blame(batch, message[1], options, consume, again, alone)
                else:  # the worker died: the batch it ran is suspect, the others go back
                    held = list(worker.batches)
                    worker.batches.clear()
                    if not ever_ready:
                        # workers cannot even start (e.g. a __main__ read from stdin, which
                        # spawned processes cannot import): not the files' fault
                        held += [b for w in self.workers if w is not worker for b in w.batches]
                        self.close(now=True)
                        print(
                            "coordgeo bulk: warning: worker processes could not start; "
                            "running in this process (one core)",
                            file=sys.stderr,
                        )
                        run_serial([*held, *again, *iterator], options, consume, started)
                        return
                    if started is not None:
                        started(worker.name, None, time.time())
                    self._retire(worker, now=True)
                    why = "the analysis killed its worker process (crash or out of memory)"
                    if held:
                        again.extendleft(reversed(held[1:]))
                        _blame(held[0], why, options, consume, again, alone)
                    self.workers[self.workers.index(worker)] = self._spawn()


def run_pool(
    batches: Iterable[list[Task]],
    options: Options,
    consume: Consume,
    jobs: int,
    *,
    started: Started | None = None,
    idle: Idle | None = None,
) -> None:
    """:meth:`Pool.run` on a pool of ``jobs`` processes started for it."""
    with Pool(jobs) as pool:
        pool.run(batches, options, consume, started=started, idle=idle)


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
