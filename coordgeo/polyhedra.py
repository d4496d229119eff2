"""Per-site table of a coordination polyhedron: distortion and shape parameters with su's.

This is where the array functions of :mod:`coordgeo.distortion` and
:mod:`coordgeo.shape` meet the crystal: each coordination sphere from
:mod:`coordgeo.coordination` gives the Cartesian positions of the metal and
its donors, every parameter is evaluated on them, and its su is propagated
from the coordinate and cell su's by central finite differences
(:func:`coordgeo.geometry.su_of_function`; linearisation, like the bond and
angle su's). One vectorised call per coordination number (in chunks of
:data:`_CHUNK` spheres) evaluates the spheres and all their displaced copies;
the copies' shape measures are taken over the only pairings that can be the
best that close to the sphere (:func:`coordgeo.shape.shape_measures_with_copies`).

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

import functools
from collections import Counter

import numpy as np
import pandas as pd

from coordgeo import distortion, shape
from coordgeo.coordination import DEFAULT_TOLERANCE, Sphere, coordination_spheres, donor_labels
from coordgeo.geometry import (
    FINITE_DIFFERENCE_STEP,
    displaced_copies,
    image_fract,
    su_from_differences,
)
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
                cols.extend(_path_columns(measures))
        return np.stack(cols, axis=-1)

    return func


@functools.cache
def _bailar_angle() -> float:
    """θ_AB of the OC-6 → TPR-6 path: arcsin(√S_TPR-6(ideal OC-6)/10), radians."""
    return np.arcsin(np.sqrt(shape.cshm(*_ideal("OC-6"), "TPR-6")) / 10.0)


def _path_columns(measures: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Path deviation and generalised coordinate (percent) along OC-6 → TPR-6."""
    a, b = measures["OC-6"], measures["TPR-6"]
    total = np.arcsin(np.sqrt(a) / 10.0) + np.arcsin(np.sqrt(b) / 10.0)
    theta_ab = _bailar_angle()
    return [100.0 * (total / theta_ab - 1.0), 100.0 * np.arcsin(np.sqrt(a) / 10.0) / theta_ab]


def _ideal(label: str) -> tuple[np.ndarray, np.ndarray]:
    p = shape.ideal_polyhedron(label)
    return p.center, p.vertices


def _parameters(
    structure: Structure,
    sites: np.ndarray,
    ops: np.ndarray,
    shifts: np.ndarray,
    shapes: tuple[str, ...],
    path: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values and su's (k, q) of every parameter of k spheres of one size; trans angles (k, 3).

    What :func:`~coordgeo.geometry.su_of_function` with :func:`_evaluator` gives, with
    the shape measures of the displaced copies restricted to the pairings that can win
    (:func:`coordgeo.shape.shape_measures_with_copies`).
    """
    step = FINITE_DIFFERENCE_STEP
    f = image_fract(structure, sites, ops, shifts)
    x = f @ structure.cell.orthogonalization.T
    displaced = displaced_copies(x, step)
    # the polyhedra and their displaced copies in one call, polyhedra first: each copy's
    # volume can use the convex-hull faces found for its polyhedron (half the Qhull calls)
    k, copies = displaced.shape[:2]
    both = np.concatenate([x, displaced.reshape(k * copies, *x.shape[1:])])
    together = distortion.distortion_parameters(both[:, 0, :], both[:, 1:, :])
    params = {name: value[:k] for name, value in together.items()}
    moved = {
        name: value[k:].reshape(k, copies, *value.shape[1:]) for name, value in together.items()
    }
    cols = [params[name] for name, _ in _DISTORTION]
    cols_moved = [moved[name] for name, _ in _DISTORTION]
    if shapes:
        measures, measures_moved = shape.shape_measures_with_copies(
            x[:, 0, :], x[:, 1:, :], displaced, shapes, step
        )
        cols.extend(measures[label] for label in shapes)
        cols_moved.extend(measures_moved[label] for label in shapes)
        if path:
            cols.extend(_path_columns(measures))
            cols_moved.extend(_path_columns(measures_moved))
    values = np.stack(cols, axis=-1)
    sus = su_from_differences(structure, sites, ops, f, values, np.stack(cols_moved, axis=-1), step)
    return values, sus, params["trans_angles"]


#: Spheres per vectorised evaluation. Bounds the memory of the finite-difference copies
#: and the hull search of :func:`coordgeo.distortion.polyhedron_volume`, whose cost grows
#: with the square of the number of differently shaped polyhedra in one call (20 000 sites
#: of a giant-cell intermetallic took hours in one call); octahedra need no hull search.
_CHUNK_OCTAHEDRA = 512
_CHUNK = 32


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
    k = len(spheres)
    if k == 0:
        empty = [*CONTRACT_COLUMNS, "volume_su", "cshm_oc6_su", "cshm_tpr6_su",
                 "donor_set", "configuration", "occupancy", "reason"]  # fmt: skip
        return pd.DataFrame({c: np.zeros(0) for c in empty}, index=pd.RangeIndex(0))
    labels = structure.labels
    base: dict[str, list] = {
        "block": [structure.block] * k,
        "metal": [labels[sp.metal] for sp in spheres],
        "coordination_number": [sp.coordination_number for sp in spheres],
        "donors": [" ".join(donor_labels(structure, sp)) for sp in spheres],
        "donor_set": [donor_set(structure, sp) for sp in spheres],
        "configuration": [sp.configuration for sp in spheres],
        "occupancy": [sp.occupancy for sp in spheres],
        "reason": [distortion.undefined_reason(sp.coordination_number) for sp in spheres],
    }
    by_n: dict[int, list[int]] = {}
    for i, sp in enumerate(spheres):
        by_n.setdefault(sp.coordination_number, []).append(i)
    columns: dict[str, np.ndarray] = {}  # in order of first appearance, as rows would give
    for n, members in by_n.items():
        if n == 0:
            continue
        available = shape.shape_labels(n)
        wanted = available if shapes == "all" else tuple(s for s in shapes if s in available)
        path = "OC-6" in wanted and "TPR-6" in wanted
        names = [col for _, col in _DISTORTION] + [shape_column(s) for s in wanted]
        if path:
            names += ["path_deviation_oc6_tpr6", "generalized_coordinate_oc6_tpr6"]
        for name in names:
            columns.setdefault(name, np.full(k, np.nan))
            if not name.startswith(("path_", "generalized_")):
                columns.setdefault(f"{name}_su", np.full(k, np.nan))
        if n == 6:
            for t in range(3):
                columns.setdefault(f"trans_angle_{t + 1}", np.full(k, np.nan))
        ident = structure.identity_op
        group = [spheres[i] for i in members]
        sites = np.array([[sp.metal] + [a.site for a in sp.donors] for sp in group])
        ops = np.array([[ident] + [a.code.op for a in sp.donors] for sp in group])
        shifts = np.array(
            [[(0, 0, 0)] + [a.code.shift for a in sp.donors] for sp in group], dtype=float
        )
        rows = np.asarray(members)
        chunk = _CHUNK_OCTAHEDRA if n == 6 else _CHUNK
        for lo in range(0, len(rows), chunk):
            part = slice(lo, lo + chunk)
            with np.errstate(invalid="ignore", divide="ignore"):
                values, sus, trans = _parameters(
                    structure, sites[part], ops[part], shifts[part], wanted, path
                )
            for q, name in enumerate(names):
                columns[name][rows[part]] = values[:, q]
                if not name.startswith(("path_", "generalized_")):
                    columns[f"{name}_su"][rows[part]] = sus[:, q]
            if n == 6:
                for t in range(3):
                    columns[f"trans_angle_{t + 1}"][rows[part]] = trans[:, t]
    ordered = [*CONTRACT_COLUMNS, "volume_su", "cshm_oc6_su", "cshm_tpr6_su"]
    tail = ["donor_set", "configuration", "occupancy", "reason"]
    middle = [c for c in columns if c not in ordered]
    data = {**base, **columns}
    return pd.DataFrame(
        {c: data[c] if c in data else np.full(k, np.nan) for c in [*ordered, *middle, *tail]}
    )


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
