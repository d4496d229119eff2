"""Start-up of the command line: ``coordgeo --help`` and a one-file command, wall and CPU.

Each command line runs ``--runs`` times (default 10) as a fresh process, interleaved
round by round with the others so that a change of load hits them alike; printed per
line: the median and the minimum wall time and the median CPU time (user + system of
the child, which counts little of the other jobs of a shared machine), with the load
average before and after. Reference lines give the floor: the interpreter alone, and
importing numpy, pandas and gemmi (what a one-file command cannot avoid today).

The console script is the one beside this interpreter (``bin/coordgeo``), not a shim
on PATH (a pyenv shim adds ~0.35 s of bash before Python starts). Note whether the
package's bytecode is cached: with ``PYTHONDONTWRITEBYTECODE=1`` an editable install
compiles every module it imports on every run (``--compile`` writes the caches first).

    python benchmarks/startup.py [CIF] [--runs 10] [--compile]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CIF = ROOT.parent / "shared/cifs/spin-crossover/Fe_qsal-I_2_OTf_MeOH_163K_293K_230K.cif"


def one_run(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``argv`` (output discarded)."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cif", nargs="?", default=str(DEFAULT_CIF))
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--compile", action="store_true", help="write coordgeo's .pyc first")
    args = parser.parse_args()
    python = sys.executable
    script = str(Path(python).with_name("coordgeo"))
    if args.compile:
        import compileall

        compileall.compile_dir(ROOT / "coordgeo", quiet=1)
    lines = {
        "python -c pass": [python, "-c", "pass"],
        "import numpy, gemmi": [python, "-c", "import numpy, gemmi"],
        "import pandas": [python, "-c", "import pandas"],
        "coordgeo --help": [script, "--help"],
        "coordgeo sphere one.cif": [script, "sphere", args.cif],
        "coordgeo sphere --format csv": [script, "sphere", args.cif, "--format", "csv"],
        "coordgeo octahedra one.cif": [script, "octahedra", args.cif],
    }
    for argv in lines.values():  # warm the file cache
        one_run(argv)
    load_before = os.getloadavg()
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in lines}
    for _ in range(args.runs):
        for name, argv in lines.items():
            times[name].append(one_run(argv))
    load_after = os.getloadavg()
    cached = any((ROOT / "coordgeo" / "__pycache__").glob("pipeline.*.pyc"))
    print(f"{args.runs} runs each; load average before {load_before[0]:.2f}, "
          f"after {load_after[0]:.2f}; coordgeo .pyc present: {cached}")  # fmt: skip
    print(f"{'command':32} {'wall median':>12} {'wall min':>9} {'CPU median':>11}")
    for name, runs in times.items():
        walls, cpus = zip(*runs, strict=True)
        print(
            f"{name:32} {statistics.median(walls):11.3f}s {min(walls):8.3f}s"
            f" {statistics.median(cpus):10.3f}s"
        )


if __name__ == "__main__":
    main()
