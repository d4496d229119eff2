"""Time ``coordgeo bulk`` over a CIF corpus against a bare gemmi parse; workers and memory.

All measurements in one run on the same files (read in place):

1. **Per file, one core, CPU time.** :func:`stages_vs_gemmi.measure` (the same floor,
   ``gemmi.cif.read`` + ``make_small_structure_from_block``, interleaved over
   ``--rounds`` rounds, warm): bulk's whole analysis of each file
   (:func:`coordgeo.bulk.analyse_file` and its share of the batch's stacked sites and
   Arrow tables) and
   the stages it is made of (read, spheres, site parameters with su's, spin, H-bonds),
   each as a ratio to the floor: median and 90th percentile over files, ratio of the
   sums, the slowest files.
2. **End to end.** ``bulk.run`` with 1 and 2 worker processes over the corpus (Parquet
   written to a temporary folder), each run in a fresh Python process of its own (so
   that what this one holds does not count): files/s, MB/s and wall time of
   ``bulk.run`` (imports excluded), CPU seconds of the run's whole process tree, peak
   memory; and the start-up (a one-file run), which is not a per-file cost.
3. **Scaling.** The same with the corpus repeated ``--scale`` times (symbolic links
   under other names), so that start-up is amortised and one slow file cannot decide
   the wall time alone: files/s with 1 and 2 workers and their ratio. On a shared
   machine the wall-time ratio depends on the other jobs, so the load average at the
   start and end of each run is printed with it, and so is the CPU time of the process
   tree (which other jobs hardly change): equal CPU seconds at 1 and 2 workers mean
   the parallel run does no extra work. A timeline from the ``files`` table (each file's
   end and analysis time, and its worker): when the first file started, the share of
   jobs × wall time the workers spent analysing files, and when each worker's last file
   ended (the end-of-run imbalance). Where the time went, from the kernel's
   ``/proc/PID/schedstat`` (read every 50 ms; a process loses at most its last 50 ms):
   for the run and each worker, the seconds on a CPU, waiting for a CPU (other jobs, and
   the run's own work while both workers run) and asleep (a worker waiting for the run:
   the pool's own idle gaps). From these, an estimate of the wall time on an idle
   machine: the wall time less the waits for a CPU on the critical path (the run's until
   the first file, then the worker that ends last), plus the run's CPU while the
   workers ran divided among them (it would still take that from them), with the
   workers' mean seconds on a CPU and asleep in place of those of the worker that ended
   last (they take tasks as they finish them: under load the one that waited more for a
   CPU did less of the work, and on an idle machine each does its share; the estimate
   with the slowest worker's own CPU, as this benchmark gave it before 2026-12-05, is
   printed beside it), and the speed-up of the two estimates. It is an estimate, not a
   measurement: the wall-time ratio on a quiet machine is the figure. The run's CPU
   before the first file (the serial start-up every worker waits for; from the 50 ms
   samples) is printed with the part of it spent in :func:`coordgeo.bulk.warmup.warm`
   (exact: the run times its own call). ``--repeat N`` runs the pair N times, one after
   the other, and lists every round's ratios and loads at the end: on a shared machine
   one pair says little.
   These runs sample memory every 0.5 s, RSS only: the sampler itself (reading
   ``smaps`` and listing the processes every 50 ms) took ~8 % of a core, which a
   2-worker run on 2 cores pays and a 1-worker run does not.
4. **Memory against corpus size.** Peak memory at 1× and 10× the corpus (jobs=2): it
   should not grow with the number of files. Memory is sampled every 50 ms over the run's
   process and all its descendants (the forkserver and the workers): the sum of their
   RSS (which counts pages the forked workers share once per process) and of their PSS
   (shared pages divided among the processes sharing them: the tree's real footprint).

Every run prints its ok/partial/error counts; the k× runs must count k times the 1×
ones (the same files), else the line says so (e.g. the code changed under the run).

``--exclude NAME`` leaves files out, e.g. the giant-cell intermetallic 2104374.cif.
``--scaling-only`` runs 3 and 4 alone (the corpus analysed 21 times over: 1.5–2.5 min on
the shared 2-core machine at load 2–4, 2026-12-04): the command for a quiet machine.
With ``PYTHONDONTWRITEBYTECODE=1`` (set on the shared machine) every run compiles the
coordgeo modules it imports from source, as an installed package would not;
``--compile`` writes their caches first (as ``startup.py --compile`` does).

    python benchmarks/bulk_vs_gemmi.py [DIR] [--rounds 3] [--scale 5] [--exclude 2104374.cif]
                                       [--no-10x] [--per-file-only] [--scaling-only]
                                       [--repeat 1] [--compile]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stages_vs_gemmi import DEFAULT_DIR, bare_parse, measure, summary

STAGES = ["read", "spheres", "sites", "spin", "hbonds", "bulk"]


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f} (5 min {five:.2f})"


#: The run under measurement, in its own process (so that what this one holds does not
#: count, and each run starts as a user's would): argv = list of paths, out, jobs.
CHILD = """
import json, sys, time, warnings
warnings.simplefilter("ignore")
from coordgeo import bulk
from coordgeo.bulk import warmup
warm_cpu = []  # the serial warm-up before the fork (engines.pool_context), CPU seconds
_warm = warmup.warm
def timed_warm():
    t = time.process_time()
    _warm()
    warm_cpu.append(time.process_time() - t)
warmup.warm = timed_warm
paths = open(sys.argv[1]).read().splitlines()
def sched():
    return [int(v) / 1e9 for v in open("/proc/self/schedstat").read().split()[:2]]
t0, began, (cpu0, wait0) = time.perf_counter(), time.time(), sched()
s = bulk.run(paths, sys.argv[2], jobs=int(sys.argv[3]), progress=False)
seconds, (cpu1, wait1) = time.perf_counter() - t0, sched()
files = bulk.load(sys.argv[2], "files")
end = files["finished"].map(lambda t: t.timestamp()).to_numpy() - began
start = end - files["seconds"].to_numpy()
last = {}
for w, e in zip(files["worker"], end):
    last[w] = max(last.get(w, e), float(e))
print(json.dumps({"seconds": seconds, "began": began, "run cpu": cpu1 - cpu0,
                  "cpu at start": cpu0, "warm cpu": sum(warm_cpu),
                  "run wait": wait1 - wait0, "files": s.files, "MB": s.megabytes,
                  "counts": [s.ok, s.partial, s.error], "first": float(start.min()),
                  "busy": float(files["seconds"].sum()), "last": sorted(last.values())}))
"""


def _schedstat(pid: int) -> tuple[float, float, float] | None:
    """(seconds on a CPU, seconds waiting for one, seconds since it started) of process
    ``pid`` (Linux; its start from ``/proc/PID/stat`` in clock ticks since boot, against
    ``CLOCK_BOOTTIME``: psutil's ``create_time`` adds the boot time in whole seconds)."""
    try:
        with open(f"/proc/{pid}/schedstat") as handle:
            run, wait = handle.read().split()[:2]
        with open(f"/proc/{pid}/stat", "rb") as handle:
            ticks = int(handle.read().rsplit(b")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None
    age = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
    return int(run) / 1e9, int(wait) / 1e9, age


class Tree:
    """Peak memory, CPU time and scheduling of a process and all its descendants.

    Every ``memory_every`` seconds (the descendants are listed again then): ``peak_rss``/
    ``peak_pss``, the largest sum over the tree of RSS/PSS at one sample (PSS only with
    ``pss``: reading ``smaps`` costs ~1 ms a process); ``peak_run``: the largest RSS of
    the process itself (the run, which collects the workers' tables and writes the
    Parquet parts); ``peak_worker``: the largest RSS of one of its descendants
    (forkserver, workers). Every 50 ms, ``/proc/PID/schedstat`` of each process:
    ``sched[(pid, created)]`` is its last (time, on CPU, waiting for a CPU, age) and
    ``root_series`` the run's (time, on CPU, waiting) at each sample. ``cpu``: user +
    system seconds of every process of the tree from its last sample (a process loses at
    most its last 50 ms; :func:`end_to_end` takes the exact figure from ``getrusage``
    where it is larger).
    """

    def __init__(self, pid: int, memory_every: float = 0.05, pss: bool = True) -> None:
        self.root = psutil.Process(pid)
        self.memory_every = memory_every
        self.pss = pss
        self.peak_rss = self.peak_pss = self.peak_worker = self.peak_run = 0
        self.sched: dict[tuple[int, float], tuple[float, float, float, float]] = {}
        self.root_series: list[tuple[float, float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        procs: list[psutil.Process] = []
        last_memory = -np.inf
        while not self._stop.is_set():
            now = time.time()
            if now - last_memory >= self.memory_every:
                last_memory = now
                try:
                    procs = [self.root, *self.root.children(recursive=True)]
                except psutil.Error:
                    break
                self._memory(procs)
            for proc in procs:
                times = _schedstat(proc.pid)
                if times is None:
                    continue
                try:
                    key = (proc.pid, proc.create_time())
                except psutil.Error:
                    continue
                self.sched[key] = (now, *times)
                if proc.pid == self.root.pid:
                    self.root_series.append((now, *times[:2]))
            time.sleep(0.05)

    def _memory(self, procs: list[psutil.Process]) -> None:
        rss = pss = 0
        for proc in procs:
            try:
                mem = proc.memory_full_info() if self.pss else proc.memory_info()
            except psutil.Error:
                continue
            rss += mem.rss
            pss += getattr(mem, "pss", 0)
            if proc.pid == self.root.pid:
                self.peak_run = max(self.peak_run, mem.rss)
            else:
                self.peak_worker = max(self.peak_worker, mem.rss)
        self.peak_rss = max(self.peak_rss, rss)
        self.peak_pss = max(self.peak_pss, pss)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.cpu = sum(cpu for _, cpu, _, _ in self.sched.values())

    def root_at(self, when: float) -> tuple[float, float]:
        """The run's (on CPU, waiting) at time ``when`` (its last sample before)."""
        before = [(cpu, wait) for t, cpu, wait in self.root_series if t <= when]
        return before[-1] if before else (np.nan, np.nan)

    def workers(self) -> list[dict]:
        """Each descendant's seconds on a CPU, waiting for one, and asleep (alive and
        neither), up to its last sample, and when it was created (time.time())."""
        out = []
        for (pid, created), (last, cpu, wait, life) in sorted(self.sched.items()):
            if pid == self.root.pid:
                continue
            out.append({"created": created, "last": last, "cpu": cpu, "wait": wait,
                        "asleep": max(life - cpu - wait, 0.0)})  # fmt: skip
        return out


def end_to_end(paths: list[str], jobs: int, memory: bool = True) -> dict:
    """``bulk.run`` of ``paths`` with ``jobs`` workers in a fresh process, measured
    (``memory``: PSS too, every 50 ms; else RSS every 0.5 s, for the scaling runs)."""
    start = load()
    with tempfile.TemporaryDirectory(prefix="bulk-bench-") as tmp:
        listing = Path(tmp) / "paths.txt"
        listing.write_text("\n".join(paths))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(listing), str(Path(tmp) / "out"), str(jobs)],
            stdout=subprocess.PIPE,
            text=True,
        )
        tree = Tree(child.pid, *((0.05, True) if memory else (0.5, False)))
        output, _ = child.communicate()
        tree.stop()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if child.returncode != 0:
        raise SystemExit(f"the bulk run failed (status {child.returncode})")
    result = json.loads(output.strip().splitlines()[-1])
    reaped = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    wall = result["seconds"]
    return {
        **idle_estimate(result, tree, jobs),
        "jobs": jobs,
        "files": result["files"],
        "MB": result["MB"],
        "seconds": wall,
        "files/s": result["files"] / wall,
        "MB/s": result["MB"] / wall,
        "cpu": max(reaped, tree.cpu),
        "peak RSS": tree.peak_rss / 1e6,
        "peak PSS": tree.peak_pss / 1e6,
        "peak worker": tree.peak_worker / 1e6,
        "peak run": tree.peak_run / 1e6,
        "counts": tuple(result["counts"]),
        "load": f"{start} → {load()}",
        "first": result["first"],
        "busy": result["busy"] / (jobs * wall),
        "last": result["last"],
    }


def idle_estimate(result: dict, tree: Tree, jobs: int) -> dict:
    """Where the wall time went (see the module's docstring, 3.) and the estimate of
    the wall time on an idle machine."""
    wall, began = result["seconds"], result["began"]
    out = {
        "run cpu": result["run cpu"],
        "run wait": result["run wait"],
        "warm cpu": result.get("warm cpu", 0.0),
    }
    workers = [w for w in tree.workers() if w["created"] >= began - 1]
    if jobs == 1 or not workers:
        out["idle"] = wall - result["run wait"]
        out["workers"] = []
        return out
    first = began + result["first"]  # the first file started: the workers are forked
    end = began + max(result["last"])  # the last file ended
    cpu_first, wait_first = tree.root_at(first)
    cpu_end, _ = tree.root_at(end)
    _, wait_start = tree.root_at(began)
    critical = max(workers, key=lambda w: w["cpu"] + w["asleep"])
    during = cpu_end - cpu_first  # the run's CPU while the workers ran
    out["idle slowest"] = wall - (wait_first - wait_start) - critical["wait"] + during / jobs
    # the workers take their tasks as they finish the last ones: one that waited longer
    # for a CPU analysed fewer files, and without the waits each would have had its share
    # of the work, the mean, not the CPU of the one that ended last as the load had it
    own = [w["cpu"] + w["asleep"] for w in workers]
    out["idle"] = out["idle slowest"] - max(own) + sum(own) / len(own)
    out["run during"] = during
    out["run before"] = cpu_first - result["cpu at start"]
    out["workers"] = workers
    return out


def report(r: dict, base: dict | None = None) -> None:
    ok, partial, error = r["counts"]
    print(
        f"   jobs={r['jobs']}, {r['files']} files: {r['seconds']:.1f} s wall, "
        f"{r['files/s']:.1f} files/s, {r['MB/s']:.2f} MB/s, CPU {r['cpu']:.1f} s "
        f"({r['cpu'] / r['files'] * 1e3:.0f} ms/file, imports included); peak memory of the tree "
        f"RSS {r['peak RSS']:.0f} MB, "
        + (f"PSS {r['peak PSS']:.0f} MB " if r["peak PSS"] else "PSS not sampled ")
        + f"(run process {r['peak run']:.0f} MB, largest worker {r['peak worker']:.0f} MB); "
        f"ok/partial/error {ok}/{partial}/{error}; "
        f"{r['load']}"
    )
    print(
        f"   timeline: first file started {r['first']:.2f} s into bulk.run; the workers "
        f"analysed files {100 * r['busy']:.1f} % of jobs × wall (the rest: start-up, "
        f"waiting, tables, the end); their last files ended at "
        f"{', '.join(f'{t:.2f}' for t in r['last'])} s of {r['seconds']:.2f} s"
    )
    workers = "; ".join(
        f"{w['cpu']:.2f} / {w['wait']:.2f} / {w['asleep']:.2f}" for w in r["workers"]
    )
    print(
        f"   seconds on a CPU / waiting for a CPU: the run {r['run cpu']:.2f} / "
        f"{r['run wait']:.2f}"
        + (
            f" ({r['run before']:.2f} before the first file, of which the warm-up "
            f"{r['warm cpu']:.2f}; {r['run during']:.2f} while the workers ran)"
            if r["workers"]
            else ""
        )
        + (f"; workers (on a CPU / waiting / asleep) {workers}" if workers else "")
        + f"; estimate on an idle machine {r['idle']:.2f} s"
        + (f" ({r['idle slowest']:.2f} s with the slowest worker's CPU)" if r["workers"] else "")
    )
    if base is not None:
        k = r["files"] // base["files"]
        if tuple(k * c for c in base["counts"]) != r["counts"]:
            print(
                f"   WARNING: {k}× the corpus should count {k}× the 1× run's ok/partial/error "
                f"{'/'.join(map(str, base['counts']))}: results differ between runs"
            )


def scaling(scaled: dict[int, dict]) -> None:
    """The speed-up line of one pair of scaling runs (1 and 2 workers)."""
    print(
        f"   files/s 2 workers / 1 worker: {scaled[2]['files/s'] / scaled[1]['files/s']:.2f}× "
        f"({os.cpu_count()} CPUs, target ≥ 1.8× on an idle machine); CPU of the tree 2 / 1: "
        f"{scaled[2]['cpu'] / scaled[1]['cpu']:.2f}× (the parallel run's extra work; on two "
        f"idle cores the speed-up is at most 2 / that = "
        f"{2 * scaled[1]['cpu'] / scaled[2]['cpu']:.2f}×, noise aside); estimated on an idle "
        f"machine (not measured): {scaled[1]['idle'] / scaled[2]['idle']:.2f}× "
        f"({scaled[1]['idle'] / scaled[2]['idle slowest']:.2f}× with the slowest worker's CPU)"
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


def per_file(files: list[str], rounds: int) -> None:
    """Section 1: stages_vs_gemmi's per-file CPU ratios of bulk and its stages."""
    times = measure(files, STAGES, rounds)
    floor = np.median(times["floor"], axis=1)
    print(
        f"\n1. one core, per file, CPU time (median of {rounds} interleaved rounds, warm); "
        f"floor median {np.median(floor) * 1e3:.2f} ms/file, sum {floor.sum():.2f} s:"
    )
    print(f"   {'stage':8s} {'median':>8s} {'p90':>8s} {'sum':>8s}  (× the floor)  max CPU s")
    for name, (med, p90, total, worst) in summary(times, np.ones(len(files), bool)).items():
        print(f"   {name:8s} {med:7.1f}× {p90:7.1f}× {total:7.1f}×  {worst:17.3f}")
    bulk_s = np.median(times["bulk"], axis=1)
    for i in np.argsort(bulk_s)[::-1][:3]:
        print(
            f"   slowest: {Path(files[i]).name}: {bulk_s[i]:.2f} s CPU "
            f"({bulk_s[i] / floor[i]:.0f}× its floor)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=str(DEFAULT_DIR))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--exclude", action="append", default=[], help="file name to leave out")
    parser.add_argument("--scale", type=int, default=5, help="corpus copies for the scaling")
    parser.add_argument("--no-10x", action="store_true", help="skip the 10× memory run")
    parser.add_argument("--per-file-only", action="store_true", help="only measurement 1")
    parser.add_argument("--scaling-only", action="store_true", help="only measurements 3 and 4")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the scaling runs")
    parser.add_argument("--compile", action="store_true", help="write coordgeo's .pyc first")
    args = parser.parse_args()
    # the CIFs' own warnings (not UTF-8, …), here and in the workers, are not the benchmark's
    warnings.simplefilter("ignore")
    os.environ["PYTHONWARNINGS"] = "ignore"
    files = sorted(str(f) for f in Path(args.folder).glob("*.cif") if f.name not in args.exclude)
    if args.compile:
        import compileall

        import coordgeo

        compileall.compile_dir(Path(coordgeo.__file__).parent, quiet=1)
    megabytes = sum(os.path.getsize(f) for f in files) / 1e6
    print(f"{len(files)} files, {megabytes:.1f} MB in {args.folder}", end="")
    print(f" (excluding {', '.join(args.exclude)})" if args.exclude else "")
    print(f"{os.cpu_count()} CPUs; {load()} at start")
    if sys.dont_write_bytecode and not args.compile:
        print(
            "PYTHONDONTWRITEBYTECODE is set: unless their .pyc exist (--compile), coordgeo's "
            "modules are compiled from source in every run, before the first file (~0.1 s)"
        )

    if not args.scaling_only:
        per_file(files, args.rounds)
    if args.per_file_only:
        print(f"\n{load()} at end")
        return

    runs: dict[int, dict] = {}
    if not args.scaling_only:
        print("\n2. end to end (bulk.run, Parquet written):")
        t0 = time.process_time()
        for f in files:
            bare_parse(f)
        parse_cpu = time.process_time() - t0
        print(
            f"   bare gemmi parse, one core: {len(files) / parse_cpu:.0f} files/s, "
            f"{megabytes / parse_cpu:.1f} MB/s (CPU)"
        )
        startup = {jobs: end_to_end(files[:1], jobs)["seconds"] for jobs in (1, 2)}
        print(
            f"   start-up (a one-file run): jobs=1 {startup[1]:.2f} s, jobs=2 {startup[2]:.2f} s "
            "(worker processes, imports)"
        )
        runs = {jobs: end_to_end(files, jobs) for jobs in (1, 2)}
        for r in runs.values():
            report(r)
        print(f"   speed-up 2 workers / 1: {runs[1]['seconds'] / runs[2]['seconds']:.2f}×")

    # 3. scaling with start-up amortised and the slowest file repeated too
    if 2 not in runs:  # the 1× reference of the counts and of the memory
        runs[2] = end_to_end(files, 2)
    with tempfile.TemporaryDirectory(prefix="bulk-scale-") as tmp:
        many = repeated(files, args.scale, Path(tmp))
        print(f"\n3. scaling: the corpus {args.scale}× ({len(many)} files, symbolic links):")
        rounds = []
        for k in range(args.repeat):
            if args.repeat > 1:
                print(f"   round {k + 1} of {args.repeat}:")
            scaled = {}
            for jobs in (1, 2):
                scaled[jobs] = end_to_end(many, jobs, memory=False)
                report(scaled[jobs], runs[2])
            scaling(scaled)
            rounds.append(scaled)
    if len(rounds) > 1:
        print(f"   all {len(rounds)} rounds (files/s 2 workers / 1 worker; idle estimate; load):")
        for k, scaled in enumerate(rounds, 1):
            print(
                f"   {k}: {scaled[2]['files/s'] / scaled[1]['files/s']:.2f}× "
                f"({scaled[1]['seconds']:.1f} s / {scaled[2]['seconds']:.1f} s); estimate "
                f"{scaled[1]['idle'] / scaled[2]['idle']:.2f}× "
                f"({scaled[1]['idle'] / scaled[2]['idle slowest']:.2f}× slowest worker); "
                f"{scaled[1]['load']}, {scaled[2]['load']}"
            )

    # 4. memory against corpus size
    if not args.no_10x:
        print("\n4. memory: 1× and 10× the corpus (files repeated via symbolic links), jobs=2:")
        with tempfile.TemporaryDirectory(prefix="bulk-10x-") as tmp:
            big = end_to_end(repeated(files, 10, Path(tmp)), 2)
        print("   1× ", end="")
        report(runs[2])
        print("   10×", end="")
        report(big, runs[2])
        one = runs[2]
        print(
            f"   peak memory 10× / 1×: tree RSS {big['peak RSS'] / one['peak RSS']:.2f}×, "
            f"tree PSS {big['peak PSS'] / one['peak PSS']:.2f}×, run process "
            f"{big['peak run'] / one['peak run']:.2f}×, largest worker "
            f"{big['peak worker'] / one['peak worker']:.2f}× (target: flat)"
        )
    print(f"\n{load()} at end")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
