"""Every per-file command on ≥ 200 generated hostile inputs, as subprocesses (issue 17).

The inputs are those of the test suite's generator (``tests/support/hostile.py``) in its
large form: every hostile class of the issue (encodings, out-of-range numbers and su's,
singular and non-group operators, F d -3 m without operators, duplicate blocks and
labels, a FIFO, devices, a sparse 3 GB file, dense and huge cells, hostile block names,
χMT files of 10⁶ rows, powder patterns of 10⁶ points, SI tables of 2·10⁵ rows) plus
seeded random mutations of a small CIF, and hostile option values (``--tolerance 30``,
``--radiation 0.01``, ``--step 1e-9``, …).

Each CIF goes through ``bonds angles sphere octahedra hbonds check graph pxrd
validate``; χMT files through ``fit-sd``, patterns through ``pxrd --measured``, SI tables
through ``validate`` with and without ``--cif``. Every run is ``python -m coordgeo …`` with a
60 s timeout (the process group is killed after it), one BLAS thread, and an 8 GB
address-space cap so that a runaway cannot take the machine. The peak memory of each run
is the ``ru_maxrss`` of ``os.wait4`` for that child; ``getrusage(RUSAGE_CHILDREN)`` gives the
largest over all. Printed: runs, status counts, tracebacks, crashes (signals, statuses
other than 0/1/2), timeouts, peak memory, and the worst runs.

    python benchmarks/hostile_run.py [--jobs 2] [--mutants 100] [--csv runs.csv] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.hostile import HOSTILE_OPTIONS, Case, write_corpus  # noqa: E402

TIMEOUT = 60.0
ADDRESS_SPACE = 8 * 1024**3
CIF_COMMANDS = ("bonds", "angles", "sphere", "octahedra", "hbonds", "check", "graph", "pxrd")


@dataclass
class Run:
    case: str
    args: list[str]
    status: int | None
    seconds: float
    peak_mb: float
    traceback: bool
    timed_out: bool
    last_line: str


def runs_for(case: Case, out: Path, base: Path, table: Path) -> list[list[str]]:
    p = str(case.path)
    if case.kind == "cif":
        runs = [[c, p] for c in CIF_COMMANDS if c != "graph"]
        runs.append(["graph", p, "--out", str(out / "graph.graphml")])
        runs.append(["validate", str(table), "--cif", p])
        return runs
    if case.kind == "chimt":
        return [["fit-sd", p]]
    if case.kind == "xy":
        return [["pxrd", str(base), "--measured", p]]
    if case.kind == "table":
        return [["validate", p], ["validate", p, "--cif", str(base)]]
    return []


def option_runs(base: Path, out: Path) -> list[tuple[str, list[str]]]:
    runs = []
    for value in HOSTILE_OPTIONS["tolerance"]:
        for command in ("bonds", "angles", "sphere", "octahedra", "hbonds"):
            runs.append((f"--tolerance {value}", [command, str(base), "--tolerance", value]))
        graph = ["graph", str(base), "--out", str(out / "tol.graphml"), "--tolerance", value]
        runs.append((f"--tolerance {value}", graph))
    for value in HOSTILE_OPTIONS["radiation"]:
        runs.append((f"--radiation {value}", ["pxrd", str(base), "--radiation", value]))
    for value in HOSTILE_OPTIONS["step"]:
        runs.append((f"--step {value}", ["pxrd", str(base), "--step", value]))
    return runs


# python -m coordgeo with an address-space cap set in the child itself (no preexec_fn,
# which is unsafe with threads)
LAUNCH = (
    "import resource, runpy, sys; "
    f"resource.setrlimit(resource.RLIMIT_AS, ({ADDRESS_SPACE}, {ADDRESS_SPACE})); "
    "sys.argv = ['coordgeo', *sys.argv[1:]]; "
    "runpy.run_module('coordgeo', run_name='__main__', alter_sys=True)"
)


def run_one(label: str, args: list[str], workdir: Path) -> Run:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, *args],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            cwd=workdir,
            env=env,
            start_new_session=True,
        )
        timed_out = False
        while True:
            pid, wait_status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > TIMEOUT:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
                pid, wait_status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(wait_status)  # so Popen does not wait again
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    lines = [line for line in stderr.splitlines() if line.strip()]
    return Run(
        case=label,
        args=args,
        status=None if timed_out else proc.returncode,
        seconds=seconds,
        peak_mb=usage.ru_maxrss / 1024.0,  # kB on Linux
        traceback="Traceback (most recent call last)" in stderr,
        timed_out=timed_out,
        last_line=lines[-1][:200] if lines else "",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--mutants", type=int, default=100)
    parser.add_argument("--csv", type=Path)
    parser.add_argument("--keep", type=Path, help="write the inputs here and keep them")
    options = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        folder = options.keep or Path(tmp)
        t0 = time.perf_counter()
        cases = write_corpus(folder / "inputs", big=True, mutants=options.mutants)
        print(f"{len(cases)} hostile inputs written in {time.perf_counter() - t0:.0f} s")
        base = next(c.path for c in cases if c.kind == "cif" and c.name == "base")
        table = next(c.path for c in cases if c.kind == "table" and c.name == "good")
        jobs: list[tuple[str, list[str], Path]] = []
        for k, case in enumerate(cases):
            out = folder / "out" / f"{k:04d}"
            out.mkdir(parents=True, exist_ok=True)
            for args in runs_for(case, out, base, table):
                jobs.append((f"{case.kind}:{case.name}", args, out))
        out = folder / "out" / "options"
        out.mkdir(parents=True, exist_ok=True)
        jobs += [(label, args, out) for label, args in option_runs(base, out)]
        print(f"{len(jobs)} runs, {options.jobs} at a time, {TIMEOUT:.0f} s timeout each")

        done: list[Run] = []
        lock = threading.Lock()

        def task(job: tuple[str, list[str], Path]) -> Run:
            result = run_one(*job)
            with lock:
                done.append(result)
                if len(done) % 100 == 0:
                    print(f"  {len(done)}/{len(jobs)} runs", flush=True)
            return result

        t0 = time.perf_counter()
        with ThreadPoolExecutor(options.jobs) as pool:
            list(pool.map(task, jobs))
        wall = time.perf_counter() - t0

    children_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    statuses: dict[str, int] = {}
    for r in done:
        key = "timeout" if r.timed_out else str(r.status)
        statuses[key] = statuses.get(key, 0) + 1
    tracebacks = [r for r in done if r.traceback]
    crashes = [r for r in done if not r.timed_out and r.status not in (0, 1, 2)]
    timeouts = [r for r in done if r.timed_out]
    peak = max(done, key=lambda r: r.peak_mb)
    inputs = {r.case for r in done}
    print(f"\n{len(done)} runs on {len(inputs)} inputs in {wall / 60:.1f} min")
    print("exit statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
    print(f"tracebacks: {len(tracebacks)}")
    print(f"crashes (signal or status not 0/1/2): {len(crashes)}")
    print(f"timeouts (> {TIMEOUT:.0f} s): {len(timeouts)}")
    print(
        f"peak memory of one run: {peak.peak_mb:.0f} MB ({peak.case}: {' '.join(peak.args[:1])}); "
        f"getrusage(RUSAGE_CHILDREN) max: {children_peak:.0f} MB"
    )
    slowest = sorted(done, key=lambda r: -r.seconds)[:8]
    print("slowest runs: " + "; ".join(f"{r.case} {r.args[0]} {r.seconds:.1f} s" for r in slowest))
    biggest = sorted(done, key=lambda r: -r.peak_mb)[:5]
    print("largest runs: " + "; ".join(f"{r.case} {r.args[0]} {r.peak_mb:.0f} MB" for r in biggest))
    for r in (tracebacks + crashes + timeouts)[:30]:
        print(f"  PROBLEM {r.case}: {' '.join(r.args)[:120]} -> {r.status}: {r.last_line}")
    if options.csv:
        with open(options.csv, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["input", "command", "status", "seconds", "peak_mb", "traceback"])
            for r in done:
                writer.writerow(
                    [
                        r.case,
                        " ".join(r.args[:1]),
                        r.status,
                        f"{r.seconds:.2f}",
                        f"{r.peak_mb:.0f}",
                        r.traceback,
                    ]
                )
    return 1 if tracebacks or crashes or timeouts else 0


if __name__ == "__main__":
    sys.exit(main())
