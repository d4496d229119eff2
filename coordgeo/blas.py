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
restores what the caller had, whatever the caller set (``threadpool_limits`` of its
own, ``OPENBLAS_NUM_THREADS``). Blocks may nest and may run in several threads at once:
the limit is set when the first block is entered and restored when the last one is left,
so that two threads cannot leave the library at one thread for good.
:func:`limit_threads` sets a process-wide limit (a bulk worker's share of the cores).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

_lock = threading.Lock()
_depth = 0  # blocks of one_thread being run, in every thread
_controller: Any = None  # threadpoolctl.ThreadpoolController, made on first use (~6 ms)
_limited: Any = None  # the limit of the outermost block, restored when it ends


def controller() -> Any:
    """The process's ``threadpoolctl.ThreadpoolController`` (the BLAS libraries loaded)."""
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run the block with BLAS limited to one thread, then restore the caller's limit."""
    global _depth, _limited
    with _lock:
        if _depth == 0:
            _limited = controller().limit(limits=1, user_api="blas")
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _limited.restore_original_limits()
                _limited = None


def limit_threads(threads: int) -> None:
    """Let the BLAS libraries of this process use at most ``threads`` threads from now on
    (a bulk worker's share of the cores: :func:`coordgeo.bulk.engines.blas_threads`).
    Every BLAS loaded by then (scipy's own OpenBLAS too), found afresh: the controller of
    :func:`one_thread` knows only those loaded when it was made (numpy's, which its
    products use)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads, user_api="blas")
