"""coordgeo.blas: one BLAS thread inside coordgeo's products, the caller's limit restored.

The shape measures' stacked pairing products run with one BLAS thread (their inner
dimension is N + 1 ≤ 13; OpenBLAS's threads would mostly spin). What the caller set must
come back after the block, also when blocks nest.
"""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from coordgeo import blas, shape


def _blas_threads() -> set[int]:
    """Threads of the BLAS libraries coordgeo.blas limits: those loaded when its controller
    was made, numpy's among them (scipy may load its own later, which numpy's products
    do not use)."""
    return {i["num_threads"] for i in blas.controller().info() if i["user_api"] == "blas"}


@pytest.fixture
def two_threads():
    """The caller's own limit of 2 BLAS threads (as on a 2-core machine), restored after."""
    if not _blas_threads():
        pytest.fail("numpy has no BLAS that threadpoolctl can see")
    with threadpool_limits(limits=2, user_api="blas"):
        yield


def test_one_thread_inside_the_block_and_the_callers_limit_after(two_threads):
    assert _blas_threads() == {2}
    with blas.one_thread():
        assert _blas_threads() == {1}
        with blas.one_thread():  # nested: still one, and the outer block restores
            assert _blas_threads() == {1}
        assert _blas_threads() == {1}
    assert _blas_threads() == {2}


def test_pairing_products_equal_a_sum_written_out(two_threads):
    # Qᵀ·flat entry by entry as Python sums of products over the N + 1 = 7 points: the
    # one-thread product gives the same numbers (to 4 ulp of the largest term; a BLAS
    # kernel may fuse multiply and add), and no BLAS limit is left behind.
    rng = np.random.default_rng(7)
    q = rng.normal(size=(40, 7, 3))
    flat = rng.normal(size=(7, 3 * 30))
    got = shape._pair_products(q, flat)
    want = np.array(
        [
            [[sum(q[k, p, b] * flat[p, j] for p in range(7)) for j in range(90)] for b in range(3)]
            for k in range(40)
        ]
    )
    scale = np.abs(q).max() * np.abs(flat).max() * 7
    assert np.abs(got - want).max() <= 4 * np.finfo(float).eps * scale
    assert _blas_threads() == {2}
