"""How many threads numpy's BLAS may use for coordgeo's own products (``threadpoolctl``).

numpy's OpenBLAS cuts a large enough matrix product among a thread per core, and its
threads then spin while they wait for the next one. coordgeo's large products have a tiny
inner dimension: the shape measures' stacked pairing products are (3k × N+1)·(N+1 × 3K)
with N + 1 ≤ 13 (:func:`coordgeo.shape._pair_products`), so extra threads gain little and
their spinning costs CPU that other work (another bulk worker, another program) could
have had. Measured on the 197 published CIFs of the test corpus without 2104374.cif,
``coordgeo.octahedra`` of every file took 3.7–4.2 s of CPU with OpenBLAS's own threads
(2 cores) and 3.0–3.2 s with one thread inside the pairing products (2.9 s with one
thread everywhere), for the same values: a product is cut among threads by blocks of its
result, and each entry is summed by one thread in one order.

:func:`one_thread` limits BLAS to one thread for the duration of a block and then
restores what was set before (``threadpool_limits`` of the caller's own,
``OPENBLAS_NUM_THREADS``), through threadpoolctl's own context manager, so that its
bookkeeping of which thread controls OpenBLAS's process-wide pool is kept. One block at a
time sets the limit: a nested block, or one in another thread while a block runs, leaves
it as it is (the pool is process-wide: that thread's products have one thread too, until
the first block ends). Two threads that each saved and restored the limit would restore
each other's "1" for good.
:func:`limit_threads` sets a process-wide limit (a bulk worker's share of the cores).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

_owner = threading.Lock()  # held by the one block that sets the limit
_local = threading.local()  # .inside: this thread is in a block
_controller: Any = None  # threadpoolctl.ThreadpoolController, made on first use (~6 ms)


def _after_fork_in_child() -> None:
    # a fork from inside a block of another thread must not leave the child's lock held
    global _owner, _local
    _owner, _local = threading.Lock(), threading.local()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def controller() -> Any:
    """The process's ``threadpoolctl.ThreadpoolController`` (the BLAS libraries loaded)."""
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run the block with BLAS limited to one thread, then restore the limit it had."""
    if getattr(_local, "inside", False) or not _owner.acquire(blocking=False):
        yield  # nested, or another thread's block has set the limit
        return
    _local.inside = True
    try:
        with controller().limit(limits=1, user_api="blas"):
            yield
    finally:
        _local.inside = False
        _owner.release()


def limit_threads(threads: int) -> None:
    """Let the BLAS libraries of this process use at most ``threads`` threads from now on
    (a bulk worker's share of the cores: :func:`coordgeo.bulk.engines.blas_threads`).
    Every BLAS loaded by then (scipy's own OpenBLAS too), found afresh: the controller of
    :func:`one_thread` knows only those loaded when it was made (numpy's, which its
    products use)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads, user_api="blas")
