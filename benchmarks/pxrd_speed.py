"""Time ``coordgeo pxrd`` (read the CIF + powder pattern, Cu Kα1,2, 3–50° 2θ) against a bare
gemmi parse of the same CIF.

Default structure: 4319975.cif of ../shared/cifs/published (a Ni complex, P 1 21/c 1,
125 sites, 500 atoms in the cell, V = 5010 Å³). Also timed: the same 500 atoms as a P1
structure (every atom independent, Laue group −1: twice the unique reflections), the
worst case for a cell of that size. Runs are interleaved over several rounds so the
ratio is meaningful on a noisy machine; absolute times are printed for context only.

    python benchmarks/pxrd_speed.py [FILE.cif]
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import time
from pathlib import Path

import gemmi
import numpy as np

from coordgeo.io.cif import read_cif
from coordgeo.model import Structure, SymOp
from coordgeo.pxrd import DEFAULT_U_ISO, _displacements, _unit_cell_contents, powder_pattern

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared/cifs/published/4319975.cif"


def as_p1(s: Structure) -> Structure:
    """The unit-cell contents of ``s`` as a P1 structure."""
    _, u_aniso, _ = _displacements(s, True, DEFAULT_U_ISO)
    fract, sites, aniso = _unit_cell_contents(s, list(range(len(s))), u_aniso)
    n = len(sites)
    pick = np.array(sites)
    identity = SymOp("1", "x,y,z", np.eye(3, dtype=int), np.zeros(3))
    return dataclasses.replace(
        s,
        symops=(identity,),
        labels=tuple(f"{s.labels[i]}_{k}" for k, i in enumerate(sites)),
        elements=tuple(s.elements[i] for i in sites),
        fract=fract,
        fract_su=np.zeros((n, 3)),
        fract_cov=np.zeros((n, 3, 3)),
        fract_rounding=np.zeros((n, 3)),
        occupancy=s.occupancy[pick],
        u_iso=s.u_iso[pick],
        u_aniso=aniso,
        disorder_assembly=tuple(s.disorder_assembly[i] for i in sites),
        disorder_group=tuple(s.disorder_group[i] for i in sites),
        calc=s.calc[pick],
        site_symmetry_order=np.ones(n, dtype=int),
        site_projector=np.repeat(np.eye(3)[None], n, axis=0),
        space_group="P 1",
    )


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    structure = read_cif(path)[0]
    p1 = as_p1(structure)
    atoms = len(p1)
    powder_pattern(structure)  # warm imports
    t_parse, t_pxrd, t_p1 = [], [], []
    reflections = reflections_p1 = 0
    for _ in range(5):
        t0 = time.perf_counter()
        gemmi.cif.read(str(path))
        t1 = time.perf_counter()
        pattern = powder_pattern(read_cif(path)[0])
        t2 = time.perf_counter()
        pattern_p1 = powder_pattern(p1)
        t3 = time.perf_counter()
        t_parse.append(t1 - t0)
        t_pxrd.append(t2 - t1)
        t_p1.append(t3 - t2)
        reflections, reflections_p1 = len(pattern.peaks), len(pattern_p1.peaks)
    parse = statistics.median(t_parse)
    print(f"{path.name}: {structure.space_group}, {len(structure)} sites, {atoms} atoms in cell")
    print(f"bare gemmi parse                 : {1000 * parse:7.1f} ms (context only)")
    for name, times, n in (
        (structure.space_group, t_pxrd, reflections),
        ("same cell in P1", t_p1, reflections_p1),
    ):
        median = statistics.median(times)
        print(
            f"pxrd {name:<28}: ratio to parse {median / parse:6.0f}  "
            f"({1000 * median:.0f} ms, {n} reflections, 3–50° Cu Kα1,2)"
        )


if __name__ == "__main__":
    main()
