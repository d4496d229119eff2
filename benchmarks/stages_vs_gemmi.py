"""CPU time of every stage of coordgeo per file, as a ratio to a bare gemmi parse of that file.

The floor is what any CIF tool must do: ``gemmi.cif.read`` of the file and
``gemmi.make_small_structure_from_block`` of each of its blocks. Every stage below is
timed with ``time.process_time()`` (CPU time of this process, so other jobs on a shared
machine count little) on the same file, in the same process, interleaved with the floor
over several rounds; each file's ratio is the median over rounds of stage / floor.
Imports and one-off caches are warmed first (they are not per-file costs).

Stages (each on freshly read structures; the read is not part of the stage unless said):

- ``read``: :func:`coordgeo.io.cif.read_cif_blocks` (what ``coordgeo.read`` does);
- ``spheres``: :func:`coordgeo.coordination.coordination_spheres`;
- ``sites``: :func:`coordgeo.polyhedra.site_parameters` with su's (given the spheres);
- ``spin``: :func:`coordgeo.spin.assign` (given the spheres and the site table);
- ``hbonds``: :func:`coordgeo.hbonds.hbonds` after the spheres (as in the pipeline,
  which shares the neighbour search);
- ``analyse``: :func:`coordgeo.pipeline.analyse_structure` with its ``sites`` and
  ``hbonds`` (the whole analysis of a read structure);
- ``contacts``: :attr:`coordgeo.pipeline.Analysis.contact_columns` (π–π, X–H···π and
  hydrogen-bond contacts, rings included) after the analysis and its H-bonds, as bulk
  asks for them;
- ``octahedra``: ``coordgeo.octahedra(path)`` (read included);
- ``bonds``: ``coordgeo.bonds(path)`` (read included);
- ``check``: ``coordgeo.check(path)`` (read included);
- ``bulk``: :func:`coordgeo.bulk.analyse_file` into a batched
  :class:`~coordgeo.bulk.analyse.Collected` (read, hash, spheres, bonds, H-bond and
  contact tables of the file; its sites wait for the batch), plus its share of its
  batch's batched work, as a bulk worker does it: the files are collected in batches of
  ``--bulk-batch`` files (default 64, the runner's largest task; corpus order here, where
  the runner takes the largest files first), and each batch goes once through
  :func:`coordgeo.bulk.analyse.to_tables`, which evaluates the sites of all its files in
  one stacked call per coordination number (:func:`coordgeo.pipeline.site_columns_of`)
  and converts the rows to Arrow tables. The CPU time of the stacked call is shared
  among the files of the batch in proportion to their coordination spheres (as bulk's
  ``seconds`` column shares it: a file without a metal site adds nothing to it), that of
  the conversion equally (it costs mostly per column and batch). A
  ``--heavy`` file is a batch of its own: its stacked work (2104374.cif has 387
  spheres) would otherwise be charged to the 63 files batched with it, and the figures
  without it would still carry it.

Prints, per stage, the median, the 90th percentile and the ratio of the sums over the
corpus, with and without ``--heavy`` files (default ``2104374.cif``, a giant-cell
intermetallic with thousands of disorder configurations, capped at 64 per metal), the
slowest files, and the load average of the machine. docs/performance.md has a run.

    python benchmarks/stages_vs_gemmi.py [DIR_OR_FILES ...] [--rounds 3]
        [--stages read,spheres,...] [--heavy 2104374.cif] [--bulk-batch 64] [--csv out.csv]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import gemmi
import numpy as np

import coordgeo
from coordgeo import spin
from coordgeo.coordination import coordination_spheres
from coordgeo.errors import InputError
from coordgeo.hbonds import hbonds
from coordgeo.io.cif import read_cif_blocks
from coordgeo.pipeline import Options, analyse_structure
from coordgeo.polyhedra import site_parameters

DEFAULT_DIR = Path(__file__).resolve().parents[1].parent / "shared/cifs/published"
STAGES = ("read", "spheres", "sites", "spin", "hbonds", "analyse", "contacts", "octahedra",
          "bonds", "check", "bulk")  # fmt: skip
TARGETS = {"bulk": 15.0, "octahedra": 20.0, "read": 5.0, "bonds": 10.0, "check": 12.0}
clock = time.process_time


def bare_parse(path: str) -> float:
    """CPU seconds of the floor: gemmi's CIF parse and a SmallStructure of every block."""
    t0 = clock()
    with contextlib.suppress(RuntimeError, ValueError):
        for block in gemmi.cif.read(path):
            with contextlib.suppress(RuntimeError, ValueError):
                gemmi.make_small_structure_from_block(block)
    return clock() - t0


def structures(path: str) -> list:
    try:
        return [s for s in read_cif_blocks(path) if not isinstance(s, InputError)]
    except InputError:
        return []


def _quietly(func: Callable[[], object]) -> None:
    with contextlib.suppress(InputError):
        func()


class Stages:
    """One timing function per stage: path → CPU seconds (work outside the stage untimed).

    The ``bulk`` stage times a file's own analysis; :meth:`bulk_conversion` times the
    batched work of the files collected since its last call (one batch): their sites in
    stacked calls and the conversion to Arrow tables."""

    def __init__(self) -> None:
        from coordgeo import bulk, pipeline
        from coordgeo.bulk import analyse

        self.options = Options()
        self.bulk_options = bulk.Options()
        self.schema = bulk.schemas(self.bulk_options.shapes)
        self._bulk, self._analyse = bulk, analyse
        self._batch = analyse.Collected(batched=True)
        self._spheres: list[int] = []  # per file of the batch, in order
        self._stacked = 0.0  # CPU seconds in the stacked site evaluation
        # instrumentation only: the batch's stacked call is timed apart from the
        # conversion so that it can be shared by spheres (bulk looks it up at call time)
        stacked = pipeline.site_columns_of

        def timed(analyses):
            t0 = clock()
            try:
                return stacked(analyses)
            finally:
                self._stacked += clock() - t0

        pipeline.site_columns_of = timed

    def read(self, path: str) -> float:
        t0 = clock()
        _quietly(lambda: read_cif_blocks(path))
        return clock() - t0

    def spheres(self, path: str) -> float:
        total = 0.0
        for s in structures(path):
            t0 = clock()
            coordination_spheres(s, self.options.tolerance)
            total += clock() - t0
        return total

    def sites(self, path: str) -> float:
        total = 0.0
        for s in structures(path):
            spheres = coordination_spheres(s, self.options.tolerance)
            t0 = clock()
            site_parameters(s, spheres, shapes=self.options.shapes)
            total += clock() - t0
        return total

    def spin(self, path: str) -> float:
        total = 0.0
        for s in structures(path):
            spheres = coordination_spheres(s, self.options.tolerance)
            table = site_parameters(s, spheres, shapes=self.options.shapes)
            if not len(table):
                continue
            t0 = clock()
            spin.assign(s, table, spheres)
            total += clock() - t0
        return total

    def hbonds(self, path: str) -> float:
        total = 0.0
        for s in structures(path):
            coordination_spheres(s, self.options.tolerance)
            t0 = clock()
            hbonds(s, **self.options.hbond_criteria)
            total += clock() - t0
        return total

    def analyse(self, path: str) -> float:
        total = 0.0
        for s in structures(path):
            t0 = clock()
            a = analyse_structure(s, self.options)
            a.sites  # noqa: B018 (computed on first use)
            a.hbonds  # noqa: B018
            total += clock() - t0
        return total

    def contacts(self, path: str) -> float:
        total = 0.0
        for s in structures(path):
            a = analyse_structure(s, self.options)
            a.hbond_columns  # noqa: B018 (the hbonds stage; contacts take its table)
            t0 = clock()
            a.contact_columns  # noqa: B018
            total += clock() - t0
        return total

    def octahedra(self, path: str) -> float:
        t0 = clock()
        _quietly(lambda: coordgeo.octahedra(path))
        return clock() - t0

    def bonds(self, path: str) -> float:
        t0 = clock()
        _quietly(lambda: coordgeo.bonds(path))
        return clock() - t0

    def check(self, path: str) -> float:
        t0 = clock()
        _quietly(lambda: coordgeo.check(path))
        return clock() - t0

    def bulk(self, path: str) -> float:
        waiting = len(self._batch.pending)
        t0 = clock()
        self._bulk.analyse_file(path, self.bulk_options, self._batch)
        spent = clock() - t0
        new = self._batch.pending[waiting:]  # none for a file that failed or has no block
        self._spheres.append(sum(len(b.analysis.spheres) for p in new for b in p.blocks))
        return spent

    def bulk_conversion(self) -> np.ndarray:
        """CPU seconds charged to each file analysed since the last call for one
        ``to_tables`` of them: the stacked evaluation of their sites in proportion to
        their coordination spheres (as bulk's ``seconds`` column shares it), the rest
        (the conversion to Arrow tables) in equal shares."""
        batch, self._batch = self._batch, self._analyse.Collected(batched=True)
        spheres, self._spheres = self._spheres, []
        self._stacked = 0.0
        t0 = clock()
        self._analyse.to_tables(batch, self.schema)
        total, stacked = clock() - t0, self._stacked
        shares = np.array(self._analyse.sphere_shares(spheres))
        return (total - stacked) / len(spheres) + stacked * shares


def measure(
    files: list[str],
    stages: list[str],
    rounds: int,
    bulk_batch: int = 64,
    alone: frozenset[int] = frozenset(),
) -> dict[str, np.ndarray]:
    """{stage: (files, rounds) CPU seconds}, and 'floor' the same for the bare parse.

    ``bulk``: each file's analysis plus its share of its batch's batched work (the
    stacked sites by coordination spheres, the conversion equally; batches of up to
    ``bulk_batch`` consecutive files; the files whose indices are in ``alone`` form a
    batch of their own, so that the figures without them carry none of their work)."""
    timer = Stages()
    for path in files:  # warm-up: imports, reference tables, shape pairings
        for name in stages:
            getattr(timer, name)(path)
    if "bulk" in stages:
        timer.bulk_conversion()
    out = {name: np.zeros((len(files), rounds)) for name in ["floor", *stages]}
    batches = []  # runs of consecutive file indices converted together
    for i in range(len(files)):
        if i in alone or not batches or batches[-1][-1] in alone:
            batches.append([i])
        elif len(batches[-1]) < bulk_batch:
            batches[-1].append(i)
        else:
            batches.append([i])
    last = {batch[-1]: batch for batch in batches}
    for r in range(rounds):
        for i, path in enumerate(files):
            out["floor"][i, r] = bare_parse(path)
            for name in stages:
                out[name][i, r] = getattr(timer, name)(path)
            if "bulk" in stages and i in last:
                out["bulk"][last[i], r] += timer.bulk_conversion()
    return out


def summary(times: dict[str, np.ndarray], keep: np.ndarray) -> dict[str, tuple[float, ...]]:
    """Per stage: (median ratio, 90th percentile ratio, ratio of the sums, max CPU s)."""
    floor = times["floor"][keep]
    out = {}
    for name, t in times.items():
        if name == "floor":
            continue
        ratio = np.median(t[keep] / floor, axis=1)
        total = np.median(t[keep], axis=1).sum() / np.median(floor, axis=1).sum()
        out[name] = (
            float(np.median(ratio)),
            float(np.percentile(ratio, 90)),
            float(total),
            float(np.median(t[keep], axis=1).max()),
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", default=[str(DEFAULT_DIR)])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--heavy", action="append", default=None,
                        help="file name reported apart (default 2104374.cif)")  # fmt: skip
    parser.add_argument("--bulk-batch", type=int, default=64,
                        help="files per converted bulk batch (default 64)")  # fmt: skip
    parser.add_argument("--csv", help="write per-file median CPU seconds here")
    args = parser.parse_args()
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = set(stages) - set(STAGES)
    if unknown:
        parser.error(f"unknown stage(s) {', '.join(sorted(unknown))}; known: {', '.join(STAGES)}")
    heavy = set(args.heavy or ["2104374.cif"])
    files: list[str] = []
    for p in map(Path, args.paths):
        files += sorted(str(f) for f in p.glob("*.cif")) if p.is_dir() else [str(p)]
    warnings.simplefilter("ignore")
    start = os.getloadavg()
    if args.bulk_batch < 1:
        parser.error("--bulk-batch must be at least 1")
    names = np.array([Path(f).name for f in files])
    alone = frozenset(np.flatnonzero(np.isin(names, list(heavy))).tolist())
    times = measure(files, stages, args.rounds, args.bulk_batch, alone)
    end = os.getloadavg()
    light = ~np.isin(names, list(heavy))
    floor = np.median(times["floor"], axis=1)
    print(
        f"{len(files)} files, {args.rounds} rounds; CPU time (time.process_time); "
        f"load average {start[0]:.2f} at start, {end[0]:.2f} at end, {os.cpu_count()} CPUs"
    )
    print(f"floor (gemmi.cif.read + make_small_structure_from_block): median "
          f"{np.median(floor) * 1e3:.3f} ms/file, sum {floor.sum():.3f} s")  # fmt: skip
    for title, keep in (("all files", np.ones(len(files), bool)),
                        (f"without {', '.join(sorted(heavy))}", light)):  # fmt: skip
        if title != "all files" and (keep.all() or not keep.any()):
            continue
        print(f"\n{title} ({int(keep.sum())}): ratio to the floor per file")
        print(f"  {'stage':10s} {'median':>8s} {'p90':>8s} {'sum':>8s} {'max CPU s':>10s} target")
        for name, (med, p90, tot, worst) in summary(times, keep).items():
            target = f"≤ {TARGETS[name]:g}×" if name in TARGETS else ""
            print(f"  {name:10s} {med:7.1f}× {p90:7.1f}× {tot:7.1f}× {worst:10.3f} {target}")
    for name in stages:
        per_file = np.median(times[name], axis=1)
        worst = np.argsort(per_file)[::-1][:3]
        shown = [f"{names[i]} {per_file[i]:.3f} s ({per_file[i] / floor[i]:.0f}×)" for i in worst]
        print(f"slowest {name}: " + ", ".join(shown))
    if args.csv:
        import pandas as pd

        table = {"file": names, "floor": floor}
        table.update({name: np.median(times[name], axis=1) for name in stages})
        pd.DataFrame(table).to_csv(args.csv, index=False)


if __name__ == "__main__":
    main()
