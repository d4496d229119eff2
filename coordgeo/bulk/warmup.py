"""What a pool worker needs before its first file: :func:`warm` imports it and builds the
shape tables once, in the run before it forks its workers
(:func:`coordgeo.bulk.engines.pool_context`) or in the forkserver they come from
(:mod:`coordgeo.bulk._forkserver`). Its own module so that the two import it without
importing each other.
"""

from __future__ import annotations

import importlib

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
    "charset_normalizer",
    "threadpoolctl",  # each worker limits its BLAS threads (coordgeo.blas)
)


def warm() -> None:
    """Import :data:`WORKER_MODULES` and build the pairing tables of the default shapes
    (:func:`coordgeo.shape.shape_candidates` on each ideal polyhedron: the tables, from
    the symmetry groups' cosets, ~0.04 s of CPU, and ``scipy.optimize`` for the searched
    shapes, ~0.09 s, that each worker would spend on its first sites)."""
    for name in WORKER_MODULES:
        importlib.import_module(name)
    from coordgeo.blas import controller

    controller()  # the BLAS libraries found once (~6 ms), not in every worker
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
