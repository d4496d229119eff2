"""Start-up of the command line: ``coordgeo --help`` and a one-file command, wall and CPU.

Each command line runs ``--runs`` times (default 10) as a fresh process, interleaved
round by round with the others so that a change of load hits them alike; printed per
line: the median and the minimum wall time and the median CPU time (user + system of
the child, which counts little of the other jobs of a shared machine), with the load
average before and after. Reference lines give the floor: the interpreter alone,
importing numpy and gemmi (and typer: what a command that prints without pandas, such as
``coordgeo sphere``'s text, cannot avoid), and pandas (what a command printing a
DataFrame adds).

The console script is the one beside this interpreter (``bin/coordgeo``), not a shim
on PATH (a pyenv shim adds ~0.35 s of bash before Python starts). Note whether the
package's bytecode is cached: with ``PYTHONDONTWRITEBYTECODE=1`` an editable install
compiles every module it imports on every run (``--compile`` writes the caches first).

``--baseline DIR`` adds each coordgeo line run from another source tree (``PYTHONPATH=DIR``,
e.g. an export of main: ``git archive main | tar -x -C DIR``), interleaved with this
tree's runs, so that a change is measured against its base under the same load.

    python benchmarks/startup.py [CIF] [--runs 10] [--compile] [--baseline DIR]
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


def one_run(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``argv`` (output discarded)."""
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    if done.returncode not in (0, 1):  # a command that failed to start is no timing
        raise SystemExit(f"{' '.join(argv)}: exit {done.returncode}\n{done.stderr.decode()}")
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
    parser.add_argument("--baseline", type=Path, help="another source tree to run alongside")
    args = parser.parse_args()
    python = sys.executable
    script = str(Path(python).with_name("coordgeo"))
    if args.compile:
        import compileall

        for tree in (ROOT, args.baseline):
            if tree is not None:
                compileall.compile_dir(tree / "coordgeo", quiet=1)
    lines = {
        "python -c pass": [python, "-c", "pass"],
        "import numpy, gemmi": [python, "-c", "import numpy, gemmi"],
        # the floor of a command that needs no pandas (coordgeo sphere's text)
        "import numpy, gemmi, typer": [python, "-c", "import numpy, gemmi, typer, typer._coercion"],
        "import pandas": [python, "-c", "import pandas"],
        "coordgeo --help": [script, "--help"],
        "coordgeo sphere one.cif": [script, "sphere", args.cif],
        "coordgeo sphere --format csv": [script, "sphere", args.cif, "--format", "csv"],
        "coordgeo octahedra one.cif": [script, "octahedra", args.cif],
    }
    here = {**os.environ, "PYTHONPATH": str(ROOT)}
    envs = dict.fromkeys(lines, here)
    if args.baseline is not None:
        base = {**os.environ, "PYTHONPATH": str(args.baseline.resolve())}
        for name in [n for n in lines if n.startswith("coordgeo")]:
            lines[f"{name} [baseline]"] = lines[name]
            envs[f"{name} [baseline]"] = base
    for name, argv in lines.items():  # warm the file cache
        one_run(argv, envs[name])
    load_before = os.getloadavg()
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in lines}
    for _ in range(args.runs):
        for name, argv in lines.items():
            times[name].append(one_run(argv, envs[name]))
    load_after = os.getloadavg()
    cached = any((ROOT / "coordgeo" / "__pycache__").glob("pipeline.*.pyc"))
    print(f"{args.runs} runs each; load average before {load_before[0]:.2f}, "
          f"after {load_after[0]:.2f}; coordgeo .pyc present: {cached}")  # fmt: skip
    print(f"{'command':43} {'wall median':>12} {'wall min':>9} {'CPU median':>11}")
    order = [n for n in times if not n.endswith("[baseline]")]
    order = [m for n in order for m in (n, f"{n} [baseline]") if m in times]
    for name, runs in ((n, times[n]) for n in order):
        walls, cpus = zip(*runs, strict=True)
        print(
            f"{name:43} {statistics.median(walls):11.3f}s {min(walls):8.3f}s"
            f" {statistics.median(cpus):10.3f}s"
        )


if __name__ == "__main__":
    main()
