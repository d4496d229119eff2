"""Where the batches run: in this process, a local process pool, or a Dask cluster."""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import pyarrow as pa

from coordgeo.bulk.analyse import analyse_batch, crashed_rows
from coordgeo.bulk.inputs import with_bytes
from coordgeo.bulk.schema import Options, Task, describe

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


def run_serial(batches: Iterable[list[Task]], options: Options, consume: Consume) -> None:
    for batch in batches:
        consume(analyse_batch(batch, options), len(batch))


def pool_context():
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    # forkserver: workers never inherit the parent's threads (the progress bar's), and
    # fork from a server that has imported coordgeo once, so they start at once
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["coordgeo.bulk.analyse"])
    return context


def run_pool(batches: Iterable[list[Task]], options: Options, consume: Consume, jobs: int) -> None:
    """A process pool; a worker that dies (segfault, out of memory) costs only its file.

    When a worker dies the pool breaks and every batch in flight fails with it; those
    files are then rerun one at a time, alone in a fresh pool, so that the one that
    kills its worker again is recorded as an error and the others get their results.
    """
    iterator = iter(batches)
    suspects: list[list[Task]] = []
    alone: set[str] = set()  # files being rerun alone after a worker died
    while True:
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=pool_context())
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
            run_serial(([t] for batch in suspects for t in batch), options, consume)
            run_serial(iterator, options, consume)
            return
        running: dict = {}
        broken = False
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
                    running[pool.submit(analyse_batch, batch, options)] = batch
                if not running:
                    return
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
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
        finally:
            pool.shutdown(wait=not broken, cancel_futures=True)


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
