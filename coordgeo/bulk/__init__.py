"""Many CIF files → one dataset: coordination geometry of every metal site as Parquet tables.

``run(paths, out)`` analyses every data block of every input file (coordination
spheres, distortion and shape parameters with su's, spin-state assignment, hydrogen
bonds) in parallel and streams the results to ``out`` as five partitioned Parquet
datasets, one folder each::

    out/files/part-000000.parquet    one row per input file: status, error, sha256, time
    out/blocks/…                     one row per data block with a structure
    out/sites/…                      one row per coordination sphere (site_parameters + spin)
    out/bonds/…                      one row per metal–donor bond (coordination.spheres_frame)
    out/hbonds/…                     one row per D–H···A (hbonds.hbonds)

Every table starts with ``path`` and ``sha256``, which join them. Nothing is lost:
a file that cannot be read, is empty, binary, a directory, or crashes the analysis
still has its row in ``files`` with ``status`` = ``error`` and the reason; a file
with a bad block is ``partial``.

Part files are written whole under a temporary name and renamed, ``files`` last, so
a run killed at any moment leaves only complete parts; ``resume=True`` then skips
every file whose path and content hash are already recorded (see ``docs/bulk.md``).
A run holds ``out/_bulk.lock`` (:mod:`coordgeo.bulk.lock`): a second run on the same
folder is refused with the first one named; its workers end with it, even after a
``kill -9``; parts are written at least every 5 s, so a kill loses little.

Read the results with :func:`load` (a DataFrame per table) or :func:`query`; or
directly, ``pandas.read_parquet(out / "sites")``, DuckDB, Spark, ….

The stages, one module each, in the order data flows::

    inputs    paths, folders, globs → the files to analyse (discover)
    analyse   one worker's batch of files → Arrow tables (analyse_file, analyse_batch)
    engines   where batches run: this process, a process pool, a Dask cluster
    dataset   numbered Parquet parts written atomically; load, query, export_csv
    lock      one run per dataset folder
    progress  a rich bar on a terminal, log lines otherwise
    runner    run(): all of it, with progress and a Summary
    schema    the tables' columns, the options and tasks sent to workers
"""

from coordgeo.extras import require

# pyarrow is the 'bulk' extra: without it, one line and the pip command (exit 2), not a traceback
require("bulk", "pyarrow", what="coordgeo.bulk")

from coordgeo.bulk.analyse import analyse_batch, analyse_file  # noqa: E402
from coordgeo.bulk.dataset import export_csv, load, query, sigma_vs_d_figure  # noqa: E402
from coordgeo.bulk.inputs import discover  # noqa: E402
from coordgeo.bulk.runner import Interrupted, Summary, run  # noqa: E402
from coordgeo.bulk.schema import BULK_SHAPES, TABLES, Options, Task, schemas  # noqa: E402

__all__ = [
    "BULK_SHAPES",
    "TABLES",
    "Interrupted",
    "Options",
    "Summary",
    "Task",
    "analyse_batch",
    "analyse_file",
    "discover",
    "export_csv",
    "load",
    "query",
    "run",
    "schemas",
    "sigma_vs_d_figure",
]
