"""The authors' own numbers for Table S1: the CIF's ``_geom_bond``/``_geom_angle`` rows of
each coordination sphere, matched to the recomputed sphere geometry.

A refinement program prints a bond as ``1.948(9)`` from the full covariance matrix of the
least-squares refinement; recomputing it from the coordinates and their su's alone (what
:func:`coordgeo.coordination.sphere_geometry` can do with a CIF) gives a larger su
(``1.949(14)``, a median 1.3× on published structures) and sometimes another last digit.
A Table S1 should print what the refinement printed wherever the CIF has it.

Matching
--------
The loop rows are read by :func:`coordgeo.check.resolve`, the one reader of ``_geom_*``
rows (labels with parentheses, marks such as ``N1'``, codes as CIF n_klm or GSAS-II's,
images searched for rows without codes). A bond row matches a sphere bond when it names
the same metal site and donor site and puts the donor at the same place relative to the
metal: with the metal's code g = (R, t) and the donor at fractional position p, the
donor's position in the metal's frame R⁻¹(p − t) must be the sphere donor's, on a grid of
:data:`POSITION_TOLERANCE` (2⁻¹⁴ of the cell edges, a grid that coordinates printed in
decimals never fall half-way on). Two labels at one position (a mixed site such as
``M7A``/``M7C``) are one donor. So ``Fe1 N1 . 2_655`` and
``N1 Fe1 2_455 .`` (the same bond seen from N1) both match, and so does a code that
names another operator giving the same image (a metal on a special position). An angle
row matches when its vertex is the metal and its two ends are the sphere angle's two
donors, in either order.

Each matched row keeps the value exactly as printed (``value_text``), its number and su,
and the check status of the row (``ok`` when the published value follows from the
coordinates, :mod:`coordgeo.check`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from coordgeo.check import label_sites, resolve_columns
from coordgeo.geometry import Atom
from coordgeo.model import Structure
from coordgeo.symmetry import SymmetryCode, is_identity

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["COLUMNS", "POSITION_TOLERANCE", "VALUES", "published_columns", "published_geometry"]

#: Fractional-coordinate distance within which two images are the same atom: positions
#: are compared on a grid of 1/2¹⁴ (6·10⁻⁵) of the cell edges.
_GRID = 2**14
POSITION_TOLERANCE = 1.0 / _GRID

#: Which numbers a Table S1 prints: ``auto`` the CIF's own where its loop has the row and
#: the row agrees with the coordinates (:func:`coordgeo.check.check` status ``ok``), the
#: recomputed ones elsewhere; ``published`` only the CIF's own (rows it lacks left empty);
#: ``recomputed`` every number from the coordinates.
VALUES = ("auto", "published", "recomputed")

#: Columns of :func:`published_geometry`.
COLUMNS = ["published_text", "published", "published_su", "published_status", "published_codes"]


def _places(
    structure: Structure,
    sites: np.ndarray,
    ops: np.ndarray,
    shifts: np.ndarray,
    frame_ops: np.ndarray,
    frame_shifts: np.ndarray,
) -> np.ndarray:
    """(n, 3) integer positions of sites under codes (ops, shifts), in the frames where the
    codes (frame_ops, frame_shifts) are the identity, R⁻¹(p − t), on the grid of
    :data:`POSITION_TOLERANCE`: coordinates printed in decimals never fall half-way
    between its points, so the same atom reached two ways lands on the same point."""
    if not len(sites):
        return np.zeros((0, 3), dtype=np.int64)
    rot, tran = structure.rotations, structure.translations
    inverse = np.rint(np.linalg.inv(rot.astype(float))).astype(int)
    p = np.einsum("nij,nj->ni", rot[ops], structure.fract[sites]) + tran[ops] + shifts
    local = np.einsum("nij,nj->ni", inverse[frame_ops], p - tran[frame_ops] - frame_shifts)
    return np.rint(local * _GRID).astype(np.int64)


def _code_arrays(codes: list[SymmetryCode]) -> tuple[np.ndarray, np.ndarray]:
    ops = np.fromiter((c.op for c in codes), dtype=int, count=len(codes))
    shifts = np.array([c.shift for c in codes], dtype=float).reshape(-1, 3)
    return ops, shifts


def _colocated(structure: Structure) -> np.ndarray:
    """Per site, the first site at the same position (itself unless a mixed site: two
    labels with the same coordinates, whose bonds are the same bonds)."""
    fract = np.round(structure.fract / POSITION_TOLERANCE).astype(np.int64)
    first: dict[tuple, int] = {}
    out = np.arange(len(fract))
    for i, key in enumerate(map(tuple, fract)):
        out[i] = first.setdefault(key, i)
    return out


def published_geometry(structure: Structure, geometry: pd.DataFrame) -> pd.DataFrame:
    """The CIF's own value of each row of ``geometry``, where its loops have it.

    Parameters
    ----------
    structure
        The structure whose ``_geom_bond``/``_geom_angle`` loops are read.
    geometry
        :func:`coordgeo.coordination.sphere_geometry` of its spheres (rows ``bond``:
        metal, donor; ``angle``: donor, metal, donor).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``geometry``, columns :data:`COLUMNS`: ``published_text`` the value
        exactly as the CIF prints it (``1.948(9)``; '' where the loop has no such row),
        ``published`` and ``published_su`` its number and su (NaN where none),
        ``published_status`` the :func:`coordgeo.check.check` status of the loop row
        (``ok``, ``mismatch``, …; '' where none) and ``published_codes`` the loop row's
        symmetry codes as read (n_klm). See the module docstring for the matching rule.
        The table of :func:`published_columns`.
    """
    import pandas as pd

    out = pd.DataFrame(
        {
            "published_text": "",
            "published": np.nan,
            "published_su": np.nan,
            "published_status": "",
            "published_codes": "",
        },
        index=geometry.index,
        columns=COLUMNS,
    )
    if geometry.empty:
        return out
    found = _matches(structure, list(geometry["kind"]), list(geometry["atoms"]))
    if found is None:
        return out
    where, hits = found
    for j, name in enumerate(COLUMNS):
        out.iloc[where, j] = hits[name]
    return out


def published_columns(structure: Structure, geometry: dict[str, list]) -> dict[str, list]:
    """:func:`published_geometry` of the rows of
    :func:`coordgeo.coordination.sphere_geometry_columns`, as columns (lists, keys
    :data:`COLUMNS`), for a caller that needs no DataFrame."""
    n = len(geometry["kind"])
    nan = float("nan")
    out = {
        "published_text": [""] * n,
        "published": [nan] * n,
        "published_su": [nan] * n,
        "published_status": [""] * n,
        "published_codes": [""] * n,
    }
    found = _matches(structure, geometry["kind"], geometry["atoms"]) if n else None
    if found is not None:
        where, hits = found
        for name in COLUMNS:
            column = out[name]
            for k, value in zip(where.tolist(), hits[name], strict=True):
                column[k] = value
    return out


def _matches(structure: Structure, kinds: list[str], all_atoms: list[tuple]):
    """Rows of the sphere geometry (``kinds``, ``all_atoms``) the CIF's loops have (module
    docstring): their positions and the loop rows' :data:`COLUMNS` (text stripped, numbers
    as floats), or None when no row matches."""
    if not any(k in structure.geom for k in ("bond", "angle")):
        return None
    is_bond = np.array([kind == "bond" for kind in kinds], dtype=bool)
    metal_atoms = [a[0] if b else a[1] for a, b in zip(all_atoms, is_bond, strict=True)]
    metals = {a.site for a in metal_atoms}
    label_cache: dict[str, set[int]] = {}

    def names_metal(label: str) -> bool:
        if label not in label_cache:
            label_cache[label] = set(label_sites(structure, label)[0])
        return bool(label_cache[label] & metals)

    def select(kind: str, labels: tuple[str, ...]) -> bool:
        if kind == "bond" and len(labels) == 2:
            return names_metal(labels[0]) or names_metal(labels[1])
        return kind == "angle" and len(labels) == 3 and names_metal(labels[1])

    resolved = resolve_columns(structure, select=select)
    if resolved is None:
        return None
    # the loop rows as (metal, donor, donor) atoms; a bond between two metals twice
    loop_kind, loop_atoms, loop_row = [], [], []
    for k, (kind, sites, codes) in enumerate(
        zip(resolved["kind"], resolved["sites"], resolved["codes"], strict=True)
    ):
        if sites is None:  # a row that could not be read
            continue
        atoms = [Atom(site, code) for site, code in zip(sites, codes, strict=True)]
        if kind == "bond":
            for m in (0, 1):
                if sites[m] in metals:
                    loop_kind.append(True)
                    loop_atoms.append((atoms[m], atoms[1 - m], atoms[1 - m]))
                    loop_row.append(k)
        elif sites[1] in metals:
            loop_kind.append(False)
            loop_atoms.append((atoms[1], atoms[0], atoms[2]))
            loop_row.append(k)
    if not loop_row:
        return None
    keys = _match_keys(structure, np.array(loop_kind), loop_atoms)
    # where the loop prints one bond twice (seen from the metal and from a metal image,
    # sometimes with different last digits), the row with the metal untransformed wins
    moved = [not is_identity(a[0].code, structure) for a in loop_atoms]
    first: dict[tuple, int] = {}
    for i in sorted(range(len(loop_row)), key=moved.__getitem__):  # stable: moved last
        first.setdefault(keys[i], loop_row[i])
    mine = _match_keys(
        structure,
        is_bond,
        [
            (m, a[1], a[1]) if b else (m, a[0], a[2])
            for a, m, b in zip(all_atoms, metal_atoms, is_bond, strict=True)
        ],
    )
    where, hit_rows = [], []
    for position, key in enumerate(mine):
        row = first.get(key)
        if row is not None:
            where.append(position)
            hit_rows.append(row)
    if not where:
        return None
    hits = {
        "published_text": [str(resolved["value_text"][r]).strip() for r in hit_rows],
        "published": np.array([resolved["published"][r] for r in hit_rows], dtype=float),
        "published_su": np.array([resolved["published_su"][r] for r in hit_rows], dtype=float),
        "published_status": [resolved["status"][r] for r in hit_rows],
        "published_codes": [resolved["symmetry_codes"][r] for r in hit_rows],
    }
    return np.array(where, dtype=np.intp), hits


_KEY_COLUMNS = ["bond", "metal", "s1", "x1", "y1", "z1", "s2", "x2", "y2", "z2"]


def _match_keys(structure: Structure, is_bond: np.ndarray, atoms: list[tuple]) -> list[tuple]:
    """Integer match keys of (metal, donor, donor) atoms (module docstring): the kind,
    the metal site, then per donor the first site at its position and its place in the
    metal's frame (:func:`_places`); the two donors of an angle in sorted order, the
    second 'donor' of a bond repeated."""
    n = len(atoms)
    flat = [a for row in atoms for a in row]
    site = np.fromiter((a.site for a in flat), dtype=int, count=3 * n).reshape(n, 3)
    ops = np.fromiter((a.code.op for a in flat), dtype=int, count=3 * n).reshape(n, 3)
    shifts = np.fromiter((v for a in flat for v in a.code.shift), dtype=float, count=9 * n).reshape(
        n, 3, 3
    )
    same_site = _colocated(structure)
    ends = []
    for j in (1, 2):
        place = _places(structure, site[:, j], ops[:, j], shifts[:, j], ops[:, 0], shifts[:, 0])
        ends.append(np.column_stack([same_site[site[:, j]], place]))
    first, second = ends
    diff = first - second
    nonzero = diff != 0
    lead = np.where(nonzero.any(axis=1), nonzero.argmax(axis=1), 0)
    swap = diff[np.arange(n), lead] > 0
    first[swap], second[swap] = second[swap], first[swap].copy()
    data = np.column_stack([is_bond.astype(np.int64), site[:, 0], first, second])
    return list(map(tuple, data.tolist()))
