"""coordgeo against its peers on the same sites, in one run, as CPU-time ratios to a bare parse.

Three comparisons, each of the same work on the same inputs (read in place), timed with
``time.process_time()`` per file, interleaved with the floor of
``benchmarks/stages_vs_gemmi.py`` (``gemmi.cif.read`` + ``make_small_structure_from_block``
of every block) over several rounds; each figure is the median over rounds:

1. **Octahedra** (every six-coordinate sphere coordgeo finds in the CIFs, and the
   octahedra of OctaDist's own xyz examples): coordgeo's values
   (:func:`coordgeo.distortion.distortion_parameters`, one vectorised call per structure:
   ⟨d⟩, ζ, Δ, Σ, Θ and the volume), coordgeo's values with su's
   (:func:`coordgeo.polyhedra.site_parameters` with ``shapes=()``: the same plus every
   su, as ``coordgeo octahedra`` computes them) and OctaDist 3.0.0's ``CalcDistortion``
   (⟨d⟩, ζ, Δ, Σ, Θ; one object per octahedron). The values are checked equal: the
   largest |coordgeo − OctaDist| of each parameter is printed.
2. **Shape measures** (every sphere of 4 to 8 donors, every reference shape of its
   coordination number): coordgeo's :func:`coordgeo.shape.shape_measures` (values, one
   call per structure and coordination number), coordgeo's
   :func:`coordgeo.shape.shape_measures_with_gradients` (values and the gradients the
   su's are propagated from) and cosymlib's ``Shape(points).measure(label,
   central_atom=…)`` (one ``Shape`` per site, every label). The largest |ΔCShM| is
   printed.
3. **Read and coordination spheres**: ``coordgeo.read`` + ``coordination_spheres`` of
   every block, against pymatgen's ``CifParser(path).parse_structures(primitive=False)``
   + ``CrystalNN().get_nn_info`` of one site per metal label that coordgeo finds a sphere
   for (the asymmetric unit's metals, as coordgeo does). The two tools define a sphere
   differently (bond-valence/covalent radii against Voronoi solid angles), so the
   coordination numbers are compared for information only; "like for like" are the files
   where pymatgen parses the file and CrystalNN answers for every metal.

Per comparison: sites, CPU seconds, µs per site, the per-file median and the ratio of
the sums to the floor, and each peer's cost as a multiple of coordgeo's. Also the load
average at start and end. A tool that raises on a file, or runs past ``--timeout``
seconds (wall) in the warm-up round, leaves that file out of its comparison (counted).

Peers: ``cosymlib`` (test extra), ``pymatgen`` (pymatgen extra) and OctaDist 3.0.0.
OctaDist cannot be installed with its dependencies: it pins ``pymatgen<=2021.3.3``, which
conflicts with the pymatgen extra and whose C sources do not compile on Python 3.11 (they
include ``longintrepr.h``), and its package ``__init__`` imports its GUI (tkinter, rmsd,
plotly). Its ``CalcDistortion`` needs only
numpy and scipy, so it is loaded from its own wheel's ``octadist/src`` without the
package ``__init__``: from ``--octadist DIR`` (an unpacked wheel), else from an
``octadist`` installed with ``pip install --no-deps octadist==3.0.0``, else from the wheel
``pip download --no-deps octadist==3.0.0`` fetches into ``~/.cache/coordgeo-bench``.

    python benchmarks/peers.py [DIR] [--xyz DIR] [--rounds 3] [--parts octahedra,shape,spheres]
        [--exclude 2104374.cif] [--timeout 120] [--octadist DIR] [--csv out.csv]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
import types
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stages_vs_gemmi import DEFAULT_DIR, bare_parse, clock

import coordgeo
from coordgeo import distortion, shape
from coordgeo.coordination import coordination_spheres
from coordgeo.errors import InputError
from coordgeo.geometry import Atom, cartesian
from coordgeo.io.xyz import read_xyz
from coordgeo.polyhedra import site_parameters
from coordgeo.symmetry import SymmetryCode

DEFAULT_XYZ = DEFAULT_DIR.parents[1] / "xyz" / "octadist"
PARTS = ("octahedra", "shape", "spheres")
SHAPE_CN = (4, 5, 6, 7, 8)
#: coordgeo's site_parameters column ↔ OctaDist's CalcDistortion attribute
OCTADIST = {
    "d_mean": "d_mean",
    "zeta": "zeta",
    "Delta": "delta",
    "Sigma": "sigma",
    "Theta": "theta",
}
CACHE = Path.home() / ".cache" / "coordgeo-bench"


# --- the peers ----------------------------------------------------------------------------


def octadist_calc(root: str | None):
    """OctaDist 3.0.0's ``calc`` module (``CalcDistortion``), without its GUI ``__init__``."""
    if root is None:
        spec = importlib.util.find_spec("octadist")
        if spec is not None and spec.submodule_search_locations:
            root = str(Path(next(iter(spec.submodule_search_locations))).parent)
    if root is None:
        wheel_dir = CACHE / "octadist-3.0.0"
        if not (wheel_dir / "octadist" / "src" / "calc.py").exists():
            wheel_dir.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "octadist==3.0.0",
                    "--no-deps",
                    "-d",
                    str(wheel_dir),
                ],
                check=True,
                capture_output=True,
            )
            with zipfile.ZipFile(next(wheel_dir.glob("octadist-3.0.0-*.whl"))) as wheel:
                wheel.extractall(wheel_dir)
        root = str(wheel_dir)
    package = types.ModuleType("octadist")
    package.__path__ = [str(Path(root) / "octadist")]
    sys.modules["octadist"] = package
    from octadist.src import calc

    return calc


def peers(octadist_root: str | None) -> dict[str, object]:
    """{name: the peer's entry point, or the reason it is missing (a str)}."""
    out: dict[str, object] = {}
    try:
        out["octadist"] = octadist_calc(octadist_root).CalcDistortion
    except Exception as exc:
        out["octadist"] = f"OctaDist not available: {type(exc).__name__}: {exc}"
    try:
        from cosymlib.shape import Shape

        out["cosymlib"] = Shape
    except ImportError as exc:
        out["cosymlib"] = f"cosymlib not available ({exc}); pip install cosymlib"
    try:
        from pymatgen.analysis.local_env import CrystalNN
        from pymatgen.io.cif import CifParser

        out["pymatgen"] = (CifParser, CrystalNN)
    except ImportError as exc:
        out["pymatgen"] = f"pymatgen not available ({exc}); pip install pymatgen"
    return out


# --- the inputs, prepared untimed ---------------------------------------------------------


@dataclass
class Group:
    """k spheres of one coordination number of one structure: positions (centre first)."""

    structure: object
    spheres: list
    center: np.ndarray  # (k, 3)
    ligands: np.ndarray  # (k, n, 3)


@dataclass
class Subject:
    """One input file and what coordgeo finds in it (prepared once, outside the timing)."""

    path: str
    xyz: bool = False
    octahedra: list[Group] = field(default_factory=list)
    shapes: list[Group] = field(default_factory=list)
    metal_labels: list[list[str]] = field(default_factory=list)  # per block
    coordination: dict[str, set[int]] = field(default_factory=dict)  # label → coordgeo's CNs

    @property
    def name(self) -> str:
        return Path(self.path).name

    def sites(self, part: str) -> int:
        groups = self.octahedra if part == "octahedra" else self.shapes
        return sum(len(g.spheres) for g in groups) if part != "spheres" else self.n_metals

    @property
    def n_metals(self) -> int:
        return sum(len(labels) for labels in self.metal_labels)


def _group(structure, spheres: list) -> Group:
    x = np.stack(
        [
            cartesian(
                structure,
                [Atom(sp.metal, SymmetryCode(structure.identity_op, (0, 0, 0))), *sp.donors],
            )
            for sp in spheres
        ]
    )
    return Group(structure, spheres, x[:, 0], x[:, 1:])


def prepare_cif(path: str) -> Subject:
    subject = Subject(path)
    try:
        structures = coordgeo.read(path)
    except InputError:
        return subject
    for s in structures:
        spheres = coordination_spheres(s)
        labels: list[str] = []
        for sp in spheres:
            label = s.labels[sp.metal]
            if label not in labels:
                labels.append(label)
            subject.coordination.setdefault(label, set()).add(sp.coordination_number)
        subject.metal_labels.append(labels)
        for n in SHAPE_CN:
            members = [sp for sp in spheres if sp.coordination_number == n]
            if members:
                group = _group(s, members)
                subject.shapes.append(group)
                if n == 6:
                    subject.octahedra.append(group)
    return subject


def prepare_xyz(path: str) -> Subject:
    polyhedra = [p for p in read_xyz(path) if p.n == 6]
    subject = Subject(path, xyz=True)
    if polyhedra:
        group = Group(
            None,
            polyhedra,
            np.stack([p.center for p in polyhedra]),
            np.stack([p.ligands for p in polyhedra]),
        )
        subject.octahedra.append(group)
        subject.shapes.append(group)
    return subject


# --- the timed work -----------------------------------------------------------------------


class Timeout(Exception):
    pass


def _alarm(*_) -> None:
    raise Timeout


def timed(func: Callable[[], object]) -> tuple[float, object]:
    t0 = clock()
    result = func()
    return clock() - t0, result


class Work:
    """One function per (part, tool): Subject → result (the timed call and nothing else)."""

    def __init__(self, found: dict[str, object]) -> None:
        self.found = found
        self.crystal_nn = found["pymatgen"][1]() if not isinstance(found["pymatgen"], str) else None

    def tools(self, part: str) -> dict[str, Callable[[Subject], object]]:
        table = {
            "octahedra": {
                "coordgeo values": self.oct_values,
                "coordgeo values + su's": self.oct_with_su,
                "OctaDist CalcDistortion": self.octadist,
            },
            "shape": {
                "coordgeo values": self.shape_values,
                "coordgeo values + gradients": self.shape_gradients,
                "cosymlib Shape": self.cosymlib,
            },
            "spheres": {
                "coordgeo read + spheres": self.coordgeo_spheres,
                "pymatgen CifParser + CrystalNN": self.crystal_nn_spheres,
            },
        }[part]
        peer = {
            "OctaDist CalcDistortion": "octadist",
            "cosymlib Shape": "cosymlib",
            "pymatgen CifParser + CrystalNN": "pymatgen",
        }
        return {
            name: func
            for name, func in table.items()
            if name not in peer or not isinstance(self.found[peer[name]], str)
        }

    # octahedra
    @staticmethod
    def oct_values(subject: Subject) -> list[dict[str, np.ndarray]]:
        return [distortion.distortion_parameters(g.center, g.ligands) for g in subject.octahedra]

    @staticmethod
    def oct_with_su(subject: Subject):
        if subject.xyz:  # no su's without a crystal: the values are all there is
            return None
        return [site_parameters(g.structure, g.spheres, shapes=()) for g in subject.octahedra]

    def octadist(self, subject: Subject) -> list:
        calc = self.found["octadist"]
        return [
            calc(np.vstack([c[None], x]))
            for g in subject.octahedra
            for c, x in zip(g.center, g.ligands, strict=True)
        ]

    # shape measures
    @staticmethod
    def shape_values(subject: Subject) -> list[dict[str, np.ndarray]]:
        return [
            shape.shape_measures(g.center, g.ligands, shape.shape_labels(g.ligands.shape[1]))
            for g in subject.shapes
        ]

    @staticmethod
    def shape_gradients(subject: Subject) -> list:
        return [
            shape.shape_measures_with_gradients(
                g.center, g.ligands, shape.shape_labels(g.ligands.shape[1])
            )
            for g in subject.shapes
        ]

    def cosymlib(self, subject: Subject) -> list[dict[str, float]]:
        peer = self.found["cosymlib"]
        out = []
        for g in subject.shapes:
            n = g.ligands.shape[1]
            for c, x in zip(g.center, g.ligands, strict=True):
                fitted = peer(np.vstack([x, c[None]]))
                out.append(
                    {s: fitted.measure(s, central_atom=n + 1) for s in shape.shape_labels(n)}
                )
        return out

    # read + spheres
    @staticmethod
    def coordgeo_spheres(subject: Subject) -> list:
        return [coordination_spheres(s) for s in coordgeo.read(subject.path)]

    def crystal_nn_spheres(self, subject: Subject) -> dict[str, int]:
        parser = self.found["pymatgen"][0]
        structures = parser(subject.path).parse_structures(primitive=False)
        out: dict[str, int] = {}
        for structure, wanted in zip(structures, subject.metal_labels, strict=False):
            for label in wanted:
                i = next((i for i, site in enumerate(structure) if site.label == label), None)
                if i is None:
                    raise LookupError(f"no site {label} in pymatgen's structure")
                out[label] = len(self.crystal_nn.get_nn_info(structure, i))
        if len(structures) != len(subject.metal_labels):
            raise LookupError(
                f"{len(structures)} structures, coordgeo read {len(subject.metal_labels)} blocks"
            )
        return out


# --- value checks -------------------------------------------------------------------------


def octahedra_deviations(subject: Subject, results: dict[str, object]) -> dict[str, float]:
    """Largest |coordgeo − OctaDist| per parameter, and values vs values + su's."""
    out: dict[str, float] = {}
    peer = results.get("OctaDist CalcDistortion")
    ours = results["coordgeo values"]
    flat = {col: np.concatenate([p[OCTADIST[col].lower()] for p in ours]) for col in OCTADIST}
    if peer is not None:
        for col, attr in OCTADIST.items():
            theirs = np.array([getattr(p, attr) for p in peer])
            out[col] = float(np.nanmax(np.abs(flat[col] - theirs)))
    tables = results.get("coordgeo values + su's")
    if tables:
        both = np.concatenate([t[list(OCTADIST)].to_numpy() for t in tables])
        mine = np.stack([flat[col] for col in OCTADIST], axis=1)
        out["values vs with su's"] = float(np.nanmax(np.abs(both - mine)))
    return out


def shape_deviations(subject: Subject, results: dict[str, object]) -> dict[str, float]:
    out: dict[str, float] = {}
    ours = results["coordgeo values"]
    withgrad = results.get("coordgeo values + gradients")
    rows = [
        (g.ligands.shape[1], {s: float(v[i]) for s, v in m.items()})
        for g, m in zip(subject.shapes, ours, strict=True)
        for i in range(len(g.spheres))
    ]
    peer = results.get("cosymlib Shape")
    if peer is not None:
        for (n, mine), theirs in zip(rows, peer, strict=True):
            d = max(abs(mine[s] - theirs[s]) for s in mine)
            out[f"CN {n}"] = max(out.get(f"CN {n}", 0.0), d)
    if withgrad is not None:
        d = max(
            float(np.nanmax(np.abs(m[s] - w[s][0]), initial=0.0))
            for m, w in zip(ours, withgrad, strict=True)
            for s in m
        )
        out["values vs with gradients"] = d
    return out


def spheres_agreement(subject: Subject, results: dict[str, object]) -> dict[str, float]:
    theirs = results.get("pymatgen CifParser + CrystalNN")
    if theirs is None:
        return {}
    same = sum(cn in subject.coordination.get(label, set()) for label, cn in theirs.items())
    return {"metals": len(theirs), "same CN": same}


# --- the run ------------------------------------------------------------------------------


def measure(subjects: list[Subject], part: str, work: Work, rounds: int, timeout: float):
    """{tool: (files, rounds) CPU s}, 'floor' too; the files kept; failures; value checks."""
    tools = work.tools(part)
    kept, failures, checks, idle = [], {}, [], set()
    for subject in subjects:  # warm-up: imports, caches; finds the files each tool handles
        results, ok = {}, True
        for name, func in tools.items():
            signal.setitimer(signal.ITIMER_REAL, timeout)
            try:
                results[name] = func(subject)
            except Timeout:
                failures.setdefault(name, []).append(f"{subject.name} (over {timeout:g} s)")
                ok = False
            except Exception as exc:
                failures.setdefault(name, []).append(f"{subject.name} ({type(exc).__name__})")
                ok = False
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        if not ok:
            continue
        idle |= {(len(kept), name) for name, result in results.items() if result is None}
        kept.append(subject)
        check = {
            "octahedra": octahedra_deviations,
            "shape": shape_deviations,
            "spheres": spheres_agreement,
        }[part]
        checks.append(check(subject, results))
    times = {name: np.zeros((len(kept), rounds)) for name in ["floor", *tools]}
    for r in range(rounds):
        for i, subject in enumerate(kept):
            times["floor"][i, r] = np.nan if subject.xyz else bare_parse(subject.path)
            for name, func in tools.items():
                if (i, name) in idle:  # not applicable (su's of an xyz file)
                    times[name][i, r] = np.nan
                    continue
                times[name][i, r] = timed(lambda f=func, s=subject: f(s))[0]
    return times, kept, failures, checks


def report(part: str, times, kept: list[Subject], failures, checks) -> list[dict]:
    """Print one table per comparison; return its rows (for --csv)."""
    sites = int(sum(s.sites(part) for s in kept))
    med = {name: np.median(t, axis=1) for name, t in times.items()}
    tools = [name for name in times if name != "floor"]
    ours = [name for name in tools if name.startswith("coordgeo")]
    cif = np.array([not s.xyz for s in kept])
    floor = med["floor"]
    if cif.any():
        print(
            f"  bare gemmi parse (the floor): median {np.median(floor[cif]) * 1e3:.2f} ms/file, "
            f"sum {floor[cif].sum():.3f} s"
        )
    heads = "".join(f" {'× ' + name[9:]:>22s}" for name in ours)
    print(
        f"  {'tool':31s} {'sites':>6s} {'CPU s':>7s} {'µs/site':>8s} {'Σ/floor':>8s} "
        f"{'median':>8s}{heads}"
    )
    rows = []
    for name in tools:
        t = med[name]
        if np.isnan(t).all():
            continue
        total = float(t.sum())
        row = {
            "part": part,
            "tool": name,
            "files": len(kept),
            "sites": sites,
            "cpu_s": total,
            "us_per_site": total / sites * 1e6,
        }
        if cif.any():
            row["floor_sum"] = float(t[cif].sum() / floor[cif].sum())
            row["floor_median"] = float(np.median(t[cif] / floor[cif]))
        line = f"  {name:31s} {sites:6d} {total:7.3f} {row['us_per_site']:8.1f} "
        if cif.any():
            line += f"{row['floor_sum']:7.1f}× {row['floor_median']:7.1f}×"
        else:
            line += f"{'–':>8s} {'–':>8s}"
        for other in ours:
            if np.isnan(med[other]).all():
                line += f" {'':>22s}"
                continue
            row[f"vs {other}"] = total / float(med[other].sum())
            row[f"vs {other} (median)"] = float(np.median(t / med[other]))
            line += f" {row[f'vs {other}']:6.2f}× (median {row[f'vs {other} (median)']:5.2f}×)"
        print(line)
        rows.append(row)
    for name, names in failures.items():
        kinds = Counter(n.split(" (")[1].rstrip(")") for n in names)
        print(
            f"  left out, {name} failed: {len(names)} file(s) "
            f"({', '.join(f'{k} {v}' for k, v in kinds.most_common())}), e.g. "
            f"{', '.join(n.split(' (')[0] for n in names[:3])}"
        )
    merged: dict[str, float] = {}
    for c in checks:
        for k, v in c.items():
            merged[k] = merged.get(k, 0) + v if part == "spheres" else max(merged.get(k, 0), v)
    if part == "spheres" and merged:
        print(
            f"  coordination numbers (information, different definitions): CrystalNN's equals "
            f"one of coordgeo's for {merged['same CN']:.0f} of {merged['metals']:.0f} metals"
        )
    elif merged:
        print(
            "  largest |difference| between tools: "
            + ", ".join(f"{k} {merged[k]:.1e}" for k in sorted(merged))
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=str(DEFAULT_DIR))
    parser.add_argument("--xyz", default=str(DEFAULT_XYZ), help="OctaDist's xyz examples")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--parts", default=",".join(PARTS))
    parser.add_argument(
        "--exclude",
        action="append",
        default=None,
        help="file name to leave out (default 2104374.cif; --exclude '' leaves none out)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="wall seconds of one tool on one file in the warm-up",
    )
    parser.add_argument("--octadist", help="an unpacked octadist-3.0.0 wheel")
    parser.add_argument("--csv", help="write the summary rows here")
    args = parser.parse_args()
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    if set(parts) - set(PARTS):
        parser.error(f"unknown part(s); known: {', '.join(PARTS)}")
    exclude = set(args.exclude if args.exclude is not None else ["2104374.cif"])
    warnings.simplefilter("ignore")
    signal.signal(signal.SIGALRM, _alarm)
    found = peers(args.octadist)
    for value in found.values():
        if isinstance(value, str):
            print(value)
    files = sorted(str(f) for f in Path(args.folder).glob("*.cif") if f.name not in exclude)
    xyz = sorted(str(f) for f in Path(args.xyz).glob("*.xyz")) if args.xyz else []
    subjects = [prepare_cif(f) for f in files]
    xyz_subjects = []
    for f in xyz:
        with contextlib.suppress(InputError):
            xyz_subjects.append(prepare_xyz(f))
    work = Work(found)
    start = os.getloadavg()
    print(
        f"{len(files)} CIFs in {args.folder}"
        + (f" (without {', '.join(sorted(exclude))})" if exclude else "")
        + f", {len(xyz_subjects)} xyz files; {args.rounds} rounds; CPU time "
        f"(time.process_time); floor = gemmi.cif.read + make_small_structure_from_block"
    )
    rows = []
    for part in parts:
        if part == "octahedra":
            sets = [
                ("CIFs", [s for s in subjects if s.octahedra]),
                (
                    "OctaDist's xyz examples (no CIF, no floor)",
                    [s for s in xyz_subjects if s.octahedra],
                ),
            ]
        elif part == "shape":
            sets = [("CIFs", [s for s in subjects if s.shapes])]
        else:
            sets = [("CIFs", [s for s in subjects if s.n_metals])]
        for title, chosen in sets:
            if not chosen:
                continue
            title = {
                "octahedra": "octahedra (CN 6): ⟨d⟩, ζ, Δ, Σ, Θ",
                "shape": "CShM, CN 4–8, every reference shape of the CN",
                "spheres": "read + coordination spheres of the metals",
            }[part] + f" — {title}"
            print(f"\n{title}, {len(chosen)} files:")
            result = measure(chosen, part, work, args.rounds, args.timeout)
            rows += report(part, *result)
    end = os.getloadavg()
    print(f"\nload average {start[0]:.2f} at start, {end[0]:.2f} at end, {os.cpu_count()} CPUs")
    if args.csv:
        import pandas as pd

        pd.DataFrame(rows).to_csv(args.csv, index=False)


if __name__ == "__main__":
    main()
