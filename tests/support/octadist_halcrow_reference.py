"""Reference values for Halcrow's φ and θ on OctaDist's [Fe(1-bpp)2]2+ examples, from OctaDist.

Produces the numbers that ``tests/test_descriptors.py`` compares coordgeo with. It runs
OctaDist 3.0.0's own code (the wheel from PyPI, GPL-3, used unchanged and not copied here)
on the bpp example files of ``../shared/xyz/octadist/``:

- φ: the largest of OctaDist's three trans angles (``CalcDistortion.trans_angle``, which
  for a bis(tridentate) bpp complex is the N{pyridyl}–Fe–N{pyridyl} angle);
- θ (donor planes): OctaDist's least-squares plane fit (``plane.find_fit_plane``) of each
  ligand's three donors and ``linear.angle_btw_planes`` of the fitted planes, folded to
  0–90°. A plane through three atoms is exact, so OctaDist's fit (vertical residuals) and
  coordgeo's (orthogonal residuals) describe the same plane;
- θ (ligand planes, the two full-complex files only): the same for each ligand's 16 C and
  N atoms. Here OctaDist's vertical-residual fit and coordgeo's orthogonal one differ by a
  few tenths of a degree;
- OctaDist's Jahn–Teller dialog itself (``tools.CalcJahnTeller.plot_fit_plane``) passes
  the fitted plane's intercept c of z = ax + by + c to ``angle_btw_planes`` in place of the
  normal's z component −1, so the angle it prints changes when the molecule is translated;
  it is printed here for the record (``dialog`` and ``dialog_shifted``, the molecule moved by
  (10, −5, 3) Å) and not used as a reference.

Usage (downloads the wheel with pip when no path is given; needs numpy and scipy)::

    python tests/support/octadist_halcrow_reference.py [path/to/unpacked/octadist-3.0.0]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import types
import zipfile
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[3] / "shared" / "xyz" / "octadist"
FILES = [
    "[Fe(1-bpp)2][BF4]2-HS-Full.xyz",
    "[Fe(1-bpp)2][BF4]2-LS-Full.xyz",
    "[Fe(1-bpp)2][ClO4]2.xyz",
    "[Fe(1-bpp)2][I3]2.xyz",
    "[Fe(1-bpp)2][PF6]2.xyz",
    "[Fe(1-bpp)2][SbF6]2.xyz",
    "[Fe(1-bpp)2]I0.5[I3]1.xyz",
]


def octadist_modules(root: Path | None):
    """OctaDist's calc, plane and linear modules, without its GUI package __init__."""
    if root is None:
        tmp = Path(tempfile.mkdtemp())
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "octadist==3.0.0", "--no-deps", "-d", tmp],
            check=True,
            capture_output=True,
        )
        with zipfile.ZipFile(next(tmp.glob("octadist-3.0.0-*.whl"))) as wheel:
            wheel.extractall(tmp)
        root = tmp
    package = types.ModuleType("octadist")
    package.__path__ = [str(root / "octadist")]
    sys.modules["octadist"] = package
    from octadist.src import calc, linear, plane

    return calc, plane, linear


def read_xyz(path: Path) -> tuple[list[str], np.ndarray]:
    lines = path.read_text().splitlines()
    n = int(lines[0])
    rows = [line.split() for line in lines[2 : 2 + n]]
    return [r[0] for r in rows], np.array([[float(v) for v in r[1:4]] for r in rows])


def bpp_groups(x: np.ndarray) -> tuple[int, int, list[list[int]]]:
    """Donor rows (1–6) of the two ligands: the central pair is the widest trans angle, each
    central donor's two nearest donors (by angle) are its ligand's terminal donors."""
    v = x[1:7] - x[0]
    u = v / np.linalg.norm(v, axis=1)[:, None]
    angles = np.degrees(np.arccos(np.clip(u @ u.T, -1, 1)))
    a, b = np.unravel_index(np.argmax(angles), angles.shape)
    groups = []
    for c in (a, b):
        others = [k for k in range(6) if k not in (a, b)]
        terminal = sorted(others, key=lambda k: angles[c, k])[:2]
        groups.append(sorted([c, *terminal]))
    return int(a), int(b), [[int(k) + 1 for k in g] for g in groups]


def ligand_atoms(elements: list[str], x: np.ndarray, donors: list[int]) -> list[int]:
    """The C and N atoms bonded (< 1.7 Å) into one ligand with ``donors``."""
    heavy = [i for i, e in enumerate(elements) if e in ("C", "N") and i > 0]
    found, todo = set(donors), list(donors)
    while todo:
        i = todo.pop()
        for j in heavy:
            if j not in found and np.linalg.norm(x[i] - x[j]) < 1.7:
                found.add(j)
                todo.append(j)
    return sorted(found)


def main(root: Path | None = None) -> None:
    calc, plane, linear = octadist_modules(root)

    def theta(points_a: np.ndarray, points_b: np.ndarray) -> float:
        *_, (a1, b1, _, _) = plane.find_fit_plane(points_a)
        *_, (a2, b2, _, _) = plane.find_fit_plane(points_b)
        angle = linear.angle_btw_planes(a1, b1, -1.0, a2, b2, -1.0)  # normals of z = ax + by + c
        return min(angle, 180.0 - angle)

    def dialog(points_a: np.ndarray, points_b: np.ndarray) -> float:
        *_, (a1, b1, c1, _) = plane.find_fit_plane(points_a)
        *_, (a2, b2, c2, _) = plane.find_fit_plane(points_b)
        return linear.angle_btw_planes(a1, b1, c1, a2, b2, c2)

    for name in FILES:
        elements, x = read_xyz(SHARED / name)
        trans = calc.CalcDistortion(x[:7].copy()).trans_angle  # it reorders its input
        groups = bpp_groups(x)[2]
        row = {
            "file": name,
            "groups": groups,
            "phi": float(max(trans)),
            "theta_donors": float(theta(x[groups[0]], x[groups[1]])),
        }
        if len(x) > 7:
            atoms = [ligand_atoms(elements, x, g) for g in groups]
            shift = np.array([10.0, -5.0, 3.0])
            row["n_ligand_atoms"] = [len(a) for a in atoms]
            row["theta_ligands"] = float(theta(x[atoms[0]], x[atoms[1]]))
            row["dialog"] = float(dialog(x[atoms[0]], x[atoms[1]]))
            row["dialog_shifted"] = float(dialog(x[atoms[0]] + shift, x[atoms[1]] + shift))
        print(row)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
