"""coordgeo.blas: one BLAS thread inside coordgeo's products, the previous limit restored.

The shape measures' stacked pairing products run with one BLAS thread (their inner
dimension is N + 1 ≤ 13; OpenBLAS's threads would mostly spin). What was set before
must come back after the block: when blocks nest, when a block raises, and when blocks
of two threads overlap; and a user's own limit in another thread must still work after
a block (threadpoolctl lets only one thread at a time control OpenBLAS's process-wide
pool, and hands control back only when its context manager is left).
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from coordgeo import blas, shape


def _blas_threads() -> set[int]:
    """Threads of the BLAS libraries coordgeo.blas limits: those loaded when its controller
    was made, numpy's among them (scipy may load its own later, which numpy's products
    do not use)."""
    return {i["num_threads"] for i in blas.controller().info() if i["user_api"] == "blas"}


def _in_thread(func):
    """``func()`` run in a thread of its own that has ended when this returns."""
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("value", func()))
    t.start()
    t.join(10)
    assert not t.is_alive(), "the thread did not end within 10 s"
    return out.get("value")


@pytest.fixture
def two_threads():
    """2 BLAS threads (as on a 2-core machine, whatever this one has), set by a thread that
    has ended (so that no thread holds control of OpenBLAS's pool); put back after."""
    before = _blas_threads()
    if not before:
        pytest.fail("numpy has no BLAS that threadpoolctl can see")
    layers = {i.get("threading_layer") for i in blas.controller().info() if i["user_api"] == "blas"}
    if layers != {"pthreads"}:
        # these tests are about OpenBLAS's one process-wide pthreads pool and who controls
        # it; an OpenMP-built BLAS keeps its limit per thread, so a limit set in another
        # thread is not seen here and the premise of each test does not hold
        pytest.skip(f"BLAS threading layer {sorted(map(str, layers))}, not pthreads")
    _in_thread(lambda: threadpool_limits(limits=2, user_api="blas"))
    assert _blas_threads() == {2}, "this BLAS keeps limits per thread (OpenMP layer)"
    yield
    _in_thread(lambda: threadpool_limits(limits=max(before), user_api="blas"))


def test_one_thread_inside_the_block_and_the_limit_before_after(two_threads):
    with blas.one_thread():
        assert _blas_threads() == {1}
        with blas.one_thread():  # nested: still one, and the outer block restores
            assert _blas_threads() == {1}
        assert _blas_threads() == {1}
    assert _blas_threads() == {2}
    with pytest.raises(ZeroDivisionError), blas.one_thread():
        1 / 0  # noqa: B018
    assert _blas_threads() == {2}


def test_a_users_limit_in_another_thread_works_after_a_block(two_threads):
    with blas.one_thread():
        pass

    def user():
        with threadpool_limits(limits=1, user_api="blas"):
            return _blas_threads()

    assert _in_thread(user) == {1}  # threadpoolctl ignored it while a block held control
    assert _blas_threads() == {2}


def test_overlapping_blocks_of_two_threads_leave_the_limit_before(two_threads):
    # A enters, B enters, A leaves (and stays alive, as a pool thread does), B leaves.
    # The events fix that order, so the test is deterministic. Each block saving and
    # restoring on its own left 1 thread for good (B restored the "1" it found).
    a_in, b_in, a_out, done = (threading.Event() for _ in range(4))
    seen = {}

    # every wait is bounded: a block that waits for another (a blocking lock) fails the
    # test in seconds instead of hanging it
    def a():
        with blas.one_thread():
            a_in.set()
            b_in.wait(10)
        a_out.set()
        done.wait(10)

    def b():
        a_in.wait(10)
        with blas.one_thread():
            seen["b inside, a inside"] = _blas_threads()
            b_in.set()
            a_out.wait(10)

    ta, tb = threading.Thread(target=a), threading.Thread(target=b)
    ta.start()
    tb.start()
    tb.join(30)
    assert not tb.is_alive(), "thread b is stuck"
    seen["both left, a alive"] = _blas_threads()
    done.set()
    ta.join(30)
    assert not ta.is_alive(), "thread a is stuck"
    assert seen == {"b inside, a inside": {1}, "both left, a alive": {2}}
    with blas.one_thread():  # and the main thread can still set it
        assert _blas_threads() == {1}
    assert _blas_threads() == {2}


def test_pairing_products_equal_a_sum_written_out(two_threads, monkeypatch):
    # Qᵀ·flat entry by entry as Python sums of products over the N + 1 = 7 points: the
    # one-thread product gives the same numbers (to 4 ulp of the largest term; a BLAS
    # kernel may fuse multiply and add), and no BLAS limit is left behind.
    rng = np.random.default_rng(7)
    q = rng.normal(size=(40, 7, 3))
    flat = rng.normal(size=(7, 3 * 30))
    inside = []  # the BLAS threads while the product runs

    @contextlib.contextmanager
    def recorded():
        with blas.one_thread():
            inside.append(_blas_threads())
            yield

    monkeypatch.setattr(shape, "one_thread", recorded)
    got = shape._pair_products(q, flat)
    assert inside == [{1}]
    want = np.array(
        [
            [[sum(q[k, p, b] * flat[p, j] for p in range(7)) for j in range(90)] for b in range(3)]
            for k in range(40)
        ]
    )
    scale = np.abs(q).max() * np.abs(flat).max() * 7
    assert np.abs(got - want).max() <= 4 * np.finfo(float).eps * scale
    assert _blas_threads() == {2}
