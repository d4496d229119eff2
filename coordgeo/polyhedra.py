"""Per-site table of a coordination polyhedron: distortion and shape parameters with su's.

This is where the array functions of :mod:`coordgeo.distortion` and
:mod:`coordgeo.shape` meet the crystal: each coordination sphere from
:mod:`coordgeo.coordination` gives the Cartesian positions of the metal and
its donors, every parameter is evaluated on them, and its su is propagated
from the coordinate and cell su's by central finite differences
(:func:`coordgeo.geometry.su_of_function`; linearisation, like the bond and
angle su's). One vectorised call per coordination number evaluates all
spheres and all their displaced copies.

Columns of :func:`site_parameters` (one row per sphere), in this order:
``block, metal, coordination_number, donors, d_mean, d_mean_su, zeta,
zeta_su, Delta, Delta_su, Sigma, Sigma_su, Theta, Theta_su, volume,
cshm_oc6, cshm_tpr6``, then ``volume_su, cshm_oc6_su, cshm_tpr6_su``, the
other shape measures of the site's coordination number (``cshm_hp6``,
``cshm_t4`` …, each with ``_su``), ``path_deviation_oc6_tpr6`` and
``generalized_coordinate_oc6_tpr6`` (percent, Cirera/Ruiz/Alvarez 2005),
``trans_angle_1..3`` (ascending), ``donor_set`` (``N4O2``),
``configuration`` (disorder groups), ``occupancy``, ``reason`` (which
parameters are undefined for this coordination number, and why).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from coordgeo import distortion, shape
from coordgeo.coordination import DEFAULT_TOLERANCE, Sphere, coordination_spheres, donor_labels
from coordgeo.geometry import image_fract, su_of_function
from coordgeo.model import Structure

CONTRACT_COLUMNS = [
    "block",
    "metal",
    "coordination_number",
    "donors",
    "d_mean",
    "d_mean_su",
    "zeta",
    "zeta_su",
    "Delta",
    "Delta_su",
    "Sigma",
    "Sigma_su",
    "Theta",
    "Theta_su",
    "volume",
    "cshm_oc6",
    "cshm_tpr6",
]
_DISTORTION = [("d_mean", "d_mean"), ("zeta", "zeta"), ("delta", "Delta"), ("sigma", "Sigma"),
               ("theta", "Theta"), ("volume", "volume")]  # fmt: skip


def shape_column(label: str) -> str:
    """``OC-6`` → ``cshm_oc6``."""
    return "cshm_" + label.lower().replace("-", "")


def donor_set(structure: Structure, sphere: Sphere) -> str:
    """Donor atoms as a formula, heaviest-first by convention of the field: ``N4O2``, ``N6``."""
    counts = Counter(structure.elements[a.site] for a in sphere.donors)
    return "".join(f"{el}{n if n > 1 else ''}" for el, n in sorted(counts.items()))


def _evaluator(n: int, shapes: tuple[str, ...], path: bool):
    """func(x (..., n+1, 3)) → (..., q) with every parameter of a sphere of n donors."""

    def func(x: np.ndarray) -> np.ndarray:
        center, ligands = x[..., 0, :], x[..., 1:, :]
        params = distortion.distortion_parameters(center, ligands)
        cols = [params[name] for name, _ in _DISTORTION]
        if shapes:
            measures = shape.shape_measures(center, ligands, shapes)
            cols.extend(measures[label] for label in shapes)
            if path:
                a, b = measures["OC-6"], measures["TPR-6"]
                total = np.arcsin(np.sqrt(a) / 10.0) + np.arcsin(np.sqrt(b) / 10.0)
                theta_ab = np.arcsin(np.sqrt(shape.cshm(*_ideal("OC-6"), "TPR-6")) / 10.0)
                cols.append(100.0 * (total / theta_ab - 1.0))
                cols.append(100.0 * np.arcsin(np.sqrt(a) / 10.0) / theta_ab)
        return np.stack(cols, axis=-1)

    return func


def _ideal(label: str) -> tuple[np.ndarray, np.ndarray]:
    p = shape.ideal_polyhedron(label)
    return p.center, p.vertices


def site_parameters(
    structure: Structure,
    spheres: list[Sphere] | None = None,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    shapes: str | tuple[str, ...] = "all",
) -> pd.DataFrame:
    """Distortion and shape parameters, with su's, of every coordination sphere.

    ``shapes`` is ``"all"`` (every ideal polyhedron of the site's
    coordination number) or a tuple of labels such as ``("OC-6", "TPR-6")``;
    shapes of another coordination number are ignored for a site.
    See the module docstring for the columns.
    """
    if spheres is None:
        spheres = coordination_spheres(structure, tolerance)
    rows: list[dict] = []
    by_n: dict[int, list[int]] = {}
    for k, sp in enumerate(spheres):
        rows.append(
            {
                "block": structure.block,
                "metal": structure.labels[sp.metal],
                "coordination_number": sp.coordination_number,
                "donors": " ".join(donor_labels(structure, sp)),
                "donor_set": donor_set(structure, sp),
                "configuration": sp.configuration,
                "occupancy": sp.occupancy,
                "reason": distortion.undefined_reason(sp.coordination_number),
            }
        )
        by_n.setdefault(sp.coordination_number, []).append(k)
    for n, members in by_n.items():
        if n == 0:
            continue
        available = shape.shape_labels(n)
        wanted = available if shapes == "all" else tuple(s for s in shapes if s in available)
        path = "OC-6" in wanted and "TPR-6" in wanted
        names = [col for _, col in _DISTORTION] + [shape_column(s) for s in wanted]
        if path:
            names += ["path_deviation_oc6_tpr6", "generalized_coordinate_oc6_tpr6"]
        sites = np.array(
            [[spheres[k].metal] + [a.site for a in spheres[k].donors] for k in members]
        )
        ops = np.array(
            [[structure.identity_op] + [a.code.op for a in spheres[k].donors] for k in members]
        )
        shifts = np.array(
            [[(0, 0, 0)] + [a.code.shift for a in spheres[k].donors] for k in members], dtype=float
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            values, sus = su_of_function(structure, sites, ops, shifts, _evaluator(n, wanted, path))
            trans = distortion.trans_angles(*_positions(structure, sites, ops, shifts))
        for row_index, k in enumerate(members):
            row = rows[k]
            for q, name in enumerate(names):
                row[name] = values[row_index, q]
                if not name.startswith(("path_", "generalized_")):
                    row[f"{name}_su"] = sus[row_index, q]
            if n == 6:
                for t in range(3):
                    row[f"trans_angle_{t + 1}"] = trans[row_index, t]
    frame = pd.DataFrame(rows)
    for col in CONTRACT_COLUMNS:
        if col not in frame:
            frame[col] = np.nan
    ordered = [*CONTRACT_COLUMNS, "volume_su", "cshm_oc6_su", "cshm_tpr6_su"]
    rest = [c for c in frame.columns if c not in ordered]
    tail = ["donor_set", "configuration", "occupancy", "reason"]
    middle = [c for c in rest if c not in tail]
    return frame.reindex(columns=[*ordered, *middle, *tail])


def _positions(structure: Structure, sites, ops, shifts) -> tuple[np.ndarray, np.ndarray]:
    x = image_fract(structure, sites, ops, shifts) @ structure.cell.orthogonalization.T
    return x[:, 0, :], x[:, 1:, :]


def xyz_parameters(polyhedra, shapes: str | tuple[str, ...] = "all") -> pd.DataFrame:
    """The same table for polyhedra read from xyz files (:func:`coordgeo.io.xyz.read_xyz`).

    xyz coordinates carry no su's, so every ``_su`` column is empty; ``block``
    holds the file name and molecule title, ``donors`` element+index labels
    (``N2`` = atom 2 of the molecule, 1-based, as OctaDist numbers them).
    """
    rows = []
    for p in polyhedra:
        n = p.n
        available = shape.shape_labels(n)
        wanted = available if shapes == "all" else tuple(s for s in shapes if s in available)
        path = "OC-6" in wanted and "TPR-6" in wanted
        x = np.vstack([p.center[None], p.ligands])
        with np.errstate(invalid="ignore", divide="ignore"):
            values = _evaluator(n, wanted, path)(x)
        names = [col for _, col in _DISTORTION] + [shape_column(s) for s in wanted]
        if path:
            names += ["path_deviation_oc6_tpr6", "generalized_coordinate_oc6_tpr6"]
        row = {
            "block": f"{p.path}:{p.title}" if p.title else p.path,
            "metal": f"{p.metal}{p.metal_index + 1}",
            "coordination_number": n,
            "donors": " ".join(
                f"{el}{i + 1}" for el, i in zip(p.ligand_elements, p.ligand_indices, strict=True)
            ),
            "donor_set": "".join(
                f"{el}{c if c > 1 else ''}" for el, c in sorted(Counter(p.ligand_elements).items())
            ),
            "configuration": "",
            "occupancy": 1.0,
            "reason": distortion.undefined_reason(n),
        }
        row.update({name: float(v) for name, v in zip(names, values, strict=True)})
        row.update(
            {f"{name}_su": np.nan for name in names if not name.startswith(("path_", "gen"))}
        )
        if n == 6:
            trans = distortion.trans_angles(p.center, p.ligands)
            row.update({f"trans_angle_{t + 1}": float(trans[t]) for t in range(3)})
        rows.append(row)
    frame = pd.DataFrame(rows)
    ordered = [*CONTRACT_COLUMNS, "volume_su", "cshm_oc6_su", "cshm_tpr6_su"]
    tail = ["donor_set", "configuration", "occupancy", "reason"]
    middle = [c for c in frame.columns if c not in ordered and c not in tail]
    return frame.reindex(columns=[*ordered, *middle, *tail])
