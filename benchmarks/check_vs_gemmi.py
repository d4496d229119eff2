"""Time `coordgeo check` over a CIF corpus against a bare gemmi parse of the same files.

Both are timed in the same process and run, interleaved over several rounds, by CPU time
(``time.process_time``: other jobs on a shared machine count little), so the ratio is
meaningful on a noisy machine; absolute times are printed for context only. The per-file
ratios of every stage, ``check`` among them, are in ``stages_vs_gemmi.py``.

    python benchmarks/check_vs_gemmi.py [DIR_OR_FILES ...]   # default: ../shared/cifs/published
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import time
from pathlib import Path

import gemmi

from coordgeo.check import check
from coordgeo.errors import InputError
from coordgeo.io.cif import read_cif_blocks


def files_from(args: list[str]) -> list[Path]:
    if not args:
        args = [str(Path(__file__).resolve().parents[1].parent / "shared/cifs/published")]
    out: list[Path] = []
    for a in args:
        p = Path(a)
        out.extend(sorted(p.rglob("*.cif")) if p.is_dir() else [p])
    return out


def bare_parse(files: list[Path]) -> None:
    """The floor of stages_vs_gemmi.py: gemmi's CIF parse and a SmallStructure of each block."""
    for f in files:
        with contextlib.suppress(RuntimeError, ValueError):
            for block in gemmi.cif.read(str(f)):
                with contextlib.suppress(RuntimeError, ValueError):
                    gemmi.make_small_structure_from_block(block)


def full_check(files: list[Path]) -> int:
    rows = 0
    for f in files:
        try:
            results = read_cif_blocks(f)
        except InputError:
            continue
        for item in results:
            if not isinstance(item, InputError):
                rows += len(check(item))
    return rows


def main() -> None:
    files = files_from(sys.argv[1:])
    megabytes = sum(f.stat().st_size for f in files) / 1e6
    full_check(files[:5])  # warm imports and caches
    ratios, t_gemmi, t_check = [], [], []
    rows = 0
    clock = time.process_time
    for _ in range(3):
        t0 = clock()
        bare_parse(files)
        t1 = clock()
        rows = full_check(files)
        t2 = clock()
        t_gemmi.append(t1 - t0)
        t_check.append(t2 - t1)
        ratios.append((t2 - t1) / (t1 - t0))
    g, c = statistics.median(t_gemmi), statistics.median(t_check)
    print(f"{len(files)} files, {megabytes:.1f} MB, {rows} _geom_* rows checked")
    print(f"bare gemmi parse : {len(files) / g:8.0f} files/CPU s  {megabytes / g:6.1f} MB/CPU s")
    print(f"coordgeo check   : {len(files) / c:8.0f} files/CPU s  {megabytes / c:6.1f} MB/CPU s")
    print(
        f"ratio check/parse: median {statistics.median(ratios):.1f} "
        f"(min {min(ratios):.1f}, max {max(ratios):.1f}) over {len(ratios)} rounds"
    )


if __name__ == "__main__":
    main()
