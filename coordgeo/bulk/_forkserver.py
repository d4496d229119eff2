"""What a pool worker needs before its first file (:func:`warm`), and the forkserver's set-up.

:func:`warm` is run once by the run itself before it forks its workers
(:func:`coordgeo.bulk.engines.pool_context`), or by the forkserver, where the workers
come from one. Preloaded by the forkserver, this module asks Linux to SIGKILL the
server when the run that started it ends (``PR_SET_PDEATHSIG``; the server is the run's
child). Otherwise a ``kill -9`` of the run leaves the server waiting, and, since the
server forks every worker, nothing would stop it. Imported anywhere else (the server is
recognised by the ``multiprocessing.forkserver.main`` frame that imports it) importing
it does nothing. In the server it also makes SIGINT ignored, so that the workers it
forks ignore it too, and warms up once for every worker it forks.
"""

from __future__ import annotations

import importlib
import sys

#: What the analysis of a file imports inside its functions (so that the CLI starts
#: fast), beyond :mod:`coordgeo.bulk.analyse`: ~0.45 s of CPU in every worker, once in
#: the server instead (tests/test_bulk_concurrency.py checks that a worker needs no more).
WORKER_MODULES = (
    "coordgeo.pipeline",
    "coordgeo.io.cif",
    "coordgeo.io.files",
    "coordgeo.polyhedra",
    "coordgeo.shape",
    "coordgeo.distortion",
    "coordgeo.descriptors",
    "coordgeo.spin",
    "coordgeo.hbonds",
    "coordgeo.rings",
    "coordgeo.contacts",
    "networkx",
    "scipy.spatial",
    "scipy.sparse.csgraph",
    "charset_normalizer",
)


def warm() -> None:
    """Import :data:`WORKER_MODULES` and build the pairing tables of the default shapes
    (:func:`coordgeo.shape.shape_candidates` on each ideal polyhedron: ~0.35 s of CPU
    that each worker would spend on its first sites of each coordination number)."""
    for name in WORKER_MODULES:
        importlib.import_module(name)
    from coordgeo.bulk.schema import BULK_SHAPES
    from coordgeo.geometry import FINITE_DIFFERENCE_STEP
    from coordgeo.shape import ideal_polyhedron, shape_candidates

    by_size: dict[int, list[str]] = {}
    for label in BULK_SHAPES:
        by_size.setdefault(len(ideal_polyhedron(label).vertices), []).append(label)
    for labels in by_size.values():
        ideal = ideal_polyhedron(labels[0])
        shape_candidates(
            ideal.center[None], ideal.vertices[None], tuple(labels), FINITE_DIFFERENCE_STEP
        )


def _in_forkserver() -> bool:
    frame = sys._getframe()
    while frame is not None:
        if (
            frame.f_code.co_name == "main"
            and frame.f_globals.get("__name__") == "multiprocessing.forkserver"
        ):
            return True
        frame = frame.f_back
    return False


if _in_forkserver():
    import signal

    from coordgeo.bulk.engines import die_with_parent

    die_with_parent()
    # the server gives each worker it forks the signal handlers it had before its main
    # loop, i.e. these: a worker ignores Ctrl-C (the run's to handle) from its first
    # instruction, not only once it has set itself up
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    warm()
