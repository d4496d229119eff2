"""Time ``coordgeo bulk`` over a CIF corpus against a bare gemmi parse of the same files.

All measurements in one run on the same files (read in place):

1. **Per file, one core.** For every file, interleaved over several rounds: a bare
   ``gemmi.cif.read`` (which reads the file too) and bulk's whole analysis of it
   (read + hash, coordination spheres, distortion and shape parameters with su's,
   spin state, M–L bonds, H-bonds, and its share of its batch's conversion to Arrow).
   Both are warm: imports and one-off caches are not per-file costs. Reports the
   ratio's distribution over files, the ratio of the sums, and where the time goes
   (the same stages timed on their own).
2. **End to end.** ``bulk.run`` with 1 and 2 worker processes over the corpus (Parquet
   written to a temporary folder): files/s, MB/s, wall time, peak memory of the whole
   process tree; and the worker start-up (a one-file run), which is not a per-file cost.
3. **Scaling.** The same with the corpus repeated ``--scale`` times (symbolic links under
   other names), so that start-up is amortised and one slow file cannot decide the wall
   time alone: files/s with 1 and 2 workers.
4. **Memory against corpus size.** Peak memory over 1× and 10× the corpus (jobs=2): it
   should not grow with the number of files.

``--exclude NAME`` leaves files out, e.g. the giant-cell intermetallic 2104374.cif, whose
disorder configurations (5184 for one Ta site; 64 per metal are kept since issue 16) took
most of the time of the whole corpus alone.

    python benchmarks/bulk_vs_gemmi.py [DIR] [--rounds 3] [--scale 5] [--exclude 2104374.cif]
                                       [--no-10x] [--per-file-only]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import gemmi
import pandas as pd
import psutil

from coordgeo import bulk
from coordgeo.bulk import analyse
from coordgeo.coordination import coordination_spheres, spheres_frame
from coordgeo.errors import InputError
from coordgeo.hbonds import hbonds
from coordgeo.io.cif import read_cif_blocks
from coordgeo.polyhedra import site_parameters

DEFAULT_DIR = Path(__file__).resolve().parents[1].parent / "shared/cifs/published"
BATCH = 64  # files per batch: the task size of a large bulk run


def bare_parse(path: str) -> None:
    with contextlib.suppress(RuntimeError, ValueError):
        gemmi.cif.read(path)


def per_file(files: list[str], rounds: int) -> pd.DataFrame:
    """Seconds per file: bare parse and bulk analysis, interleaved, median over rounds."""
    options = bulk.Options()
    schema = bulk.schemas(options.shapes)

    def timed(batch: list[str], out: dict[str, float]) -> None:
        collected = analyse.Collected()
        for path in batch:
            t0 = time.perf_counter()
            bulk.analyse_file(path, options, collected)
            out[path] = time.perf_counter() - t0
        t0 = time.perf_counter()
        analyse.to_tables(collected, schema)  # the batch's Arrow tables and spin assignment
        share = (time.perf_counter() - t0) / len(batch)
        for path in batch:
            out[path] += share

    for k in range(0, len(files), BATCH):  # warm-up: imports, pairing tables, caches
        timed(files[k : k + BATCH], {})
    samples = []
    for r in range(rounds):
        parse, full = {}, {}
        for k in range(0, len(files), BATCH):
            batch = files[k : k + BATCH]
            for path in batch:
                t0 = time.perf_counter()
                bare_parse(path)
                parse[path] = time.perf_counter() - t0
            timed(batch, full)
        samples += [(p, r, parse[p], full[p]) for p in files]
    frame = pd.DataFrame(samples, columns=["path", "round", "gemmi", "bulk"])
    frame = frame.groupby("path")[["gemmi", "bulk"]].median()
    frame["ratio"] = frame["bulk"] / frame["gemmi"]
    return frame


def stages(files: list[str]) -> pd.Series:
    """Where the time goes: each stage of the analysis timed on its own (seconds, summed)."""
    out = dict.fromkeys(["read", "spheres", "site_parameters", "bonds", "hbonds"], 0.0)
    for path in files:
        t0 = time.perf_counter()
        try:
            structures = [s for s in read_cif_blocks(path) if not isinstance(s, InputError)]
        except InputError:
            structures = []
        out["read"] += time.perf_counter() - t0
        for s in structures:
            t = [time.perf_counter()]
            spheres = coordination_spheres(s)
            t.append(time.perf_counter())
            site_parameters(s, spheres, shapes=bulk.BULK_SHAPES)
            t.append(time.perf_counter())
            spheres_frame(s, spheres)
            t.append(time.perf_counter())
            hbonds(s)
            t.append(time.perf_counter())
            for name, a, b in zip(list(out)[1:], t[:-1], t[1:], strict=True):
                out[name] += b - a
    return pd.Series(out)


class PeakMemory:
    """Peak resident memory of this process and all its descendants, sampled every 50 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self.peak_worker = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total, worker = 0, 0
            for proc in [me, *me.children(recursive=True)]:
                try:
                    rss = proc.memory_info().rss
                except psutil.Error:
                    continue
                total += rss
                if proc.pid != me.pid:
                    worker = max(worker, rss)
            self.peak = max(self.peak, total)
            self.peak_worker = max(self.peak_worker, worker)
            time.sleep(0.05)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def end_to_end(paths: list[str], jobs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bulk-bench-") as tmp, PeakMemory() as memory:
        t0 = time.perf_counter()
        summary = bulk.run(paths, Path(tmp) / "out", jobs=jobs, progress=False)
        wall = time.perf_counter() - t0
    return {
        "jobs": jobs,
        "files": summary.files,
        "MB": summary.megabytes,
        "seconds": wall,
        "files/s": summary.files / wall,
        "MB/s": summary.megabytes / wall,
        "peak MB (all processes)": memory.peak / 1e6,
        "peak MB (largest worker)": memory.peak_worker / 1e6,
        "ok/partial/error": f"{summary.ok}/{summary.partial}/{summary.error}",
    }


def report(r: dict) -> None:
    print(
        f"   jobs={r['jobs']}, {r['files']} files: {r['seconds']:.1f} s, {r['files/s']:.1f} "
        f"files/s, {r['MB/s']:.2f} MB/s, peak {r['peak MB (all processes)']:.0f} MB "
        f"(largest worker {r['peak MB (largest worker)']:.0f} MB), {r['ok/partial/error']}"
    )


def repeated(files: list[str], times: int, root: Path) -> list[str]:
    """``times`` copies of the corpus under other names (symbolic links to the files)."""
    out = []
    for k in range(times):
        folder = root / f"copy-{k:02d}"
        folder.mkdir()
        for f in files:
            link = folder / f"{k:02d}-{Path(f).name}"
            link.symlink_to(f)
            out.append(str(link))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=str(DEFAULT_DIR))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--exclude", action="append", default=[], help="file name to leave out")
    parser.add_argument("--scale", type=int, default=5, help="corpus copies for the scaling")
    parser.add_argument("--no-10x", action="store_true", help="skip the 10× memory run")
    parser.add_argument("--per-file-only", action="store_true", help="only measurement 1")
    args = parser.parse_args()
    files = sorted(str(f) for f in Path(args.folder).glob("*.cif") if f.name not in args.exclude)
    megabytes = sum(os.path.getsize(f) for f in files) / 1e6
    print(f"{len(files)} files, {megabytes:.1f} MB in {args.folder}", end="")
    print(f" (excluding {', '.join(args.exclude)})" if args.exclude else "")

    # 1. per file, one core
    frame = per_file(files, args.rounds)
    q = frame["ratio"].quantile([0.1, 0.25, 0.5, 0.75, 0.9])
    g, b = frame["gemmi"].sum(), frame["bulk"].sum()
    print(f"\n1. one core, per file (median of {args.rounds} interleaved rounds, warm):")
    print(
        f"   bare gemmi parse: median {frame['gemmi'].median() * 1e3:.2f} ms/file, "
        f"{len(files) / g:.0f} files/s, {megabytes / g:.1f} MB/s"
    )
    print(
        f"   bulk analysis   : median {frame['bulk'].median() * 1e3:.2f} ms/file, "
        f"{len(files) / b:.1f} files/s, {megabytes / b:.2f} MB/s"
    )
    print(
        f"   ratio bulk/parse per file: median {q[0.5]:.0f}× "
        f"(10–90 %: {q[0.1]:.0f}–{q[0.9]:.0f}×, quartiles {q[0.25]:.0f}–{q[0.75]:.0f}×); "
        f"ratio of the sums {b / g:.0f}×"
    )
    slowest = frame.sort_values("bulk").tail(3)
    for path, row in slowest.iterrows():
        print(f"   slowest: {Path(path).name}: {row['bulk']:.2f} s ({row['ratio']:.0f}× its parse)")
    parts = stages(files)
    parts["bare gemmi parse"] = g
    print("   where the time goes (each stage alone, summed over files):")
    for name, seconds in parts.items():
        print(f"     {name:16s} {seconds:7.2f} s  {seconds / g:6.1f}× the bare parse")

    if args.per_file_only:
        return

    # 2. end to end, 1 and 2 worker processes
    print("\n2. end to end (bulk.run, Parquet written):")
    t0 = time.perf_counter()
    for f in files:
        bare_parse(f)
    parse_wall = time.perf_counter() - t0
    print(
        f"   bare gemmi parse, one core: {len(files) / parse_wall:.0f} files/s, "
        f"{megabytes / parse_wall:.1f} MB/s"
    )
    startup = {jobs: end_to_end(files[:1], jobs)["seconds"] for jobs in (1, 2)}
    print(
        f"   start-up (a one-file run): jobs=1 {startup[1]:.2f} s, jobs=2 {startup[2]:.2f} s "
        "(worker processes, imports)"
    )
    runs = {jobs: end_to_end(files, jobs) for jobs in (1, 2)}
    for r in runs.values():
        report(r)
    print(f"   speed-up 2 cores / 1 core: {runs[1]['seconds'] / runs[2]['seconds']:.2f}×")

    # 3. scaling with start-up amortised and the slowest file repeated too
    with tempfile.TemporaryDirectory(prefix="bulk-scale-") as tmp:
        many = repeated(files, args.scale, Path(tmp))
        print(f"\n3. scaling: the corpus {args.scale}× ({len(many)} files, symbolic links):")
        scaled = {jobs: end_to_end(many, jobs) for jobs in (1, 2)}
    for r in scaled.values():
        report(r)
    print(
        f"   speed-up 2 cores / 1 core: {scaled[1]['seconds'] / scaled[2]['seconds']:.2f}× "
        f"({os.cpu_count()} cores on this machine)"
    )

    # 4. memory against corpus size
    if not args.no_10x:
        print("\n4. memory: 1× and 10× the corpus (files repeated via symbolic links), jobs=2:")
        with tempfile.TemporaryDirectory(prefix="bulk-10x-") as tmp:
            big = end_to_end(repeated(files, 10, Path(tmp)), 2)
        for label, r in (("1×", runs[2]), ("10×", big)):
            print(f"   {label:3s}", end="")
            report(r)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
