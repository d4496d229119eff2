"""Octahedral distortion parameters: ⟨d⟩, ζ, Δ, Σ, Θ, polyhedron volume and trans angles.

Every function takes the metal position ``center`` with shape ``(..., 3)`` and
its donor atoms ``ligands`` with shape ``(..., n, 3)`` (Cartesian, Å) and
returns an array of shape ``(...)``: leading dimensions are a batch, so the
finite-difference su estimate can evaluate all perturbed copies of one
polyhedron in a single vectorised call. Σ, Θ and the trans angles are
defined for six donors only and are NaN otherwise; :func:`defined_parameters`
and :func:`undefined_reason` say what is defined for a coordination number.

Σ and Θ follow OctaDist 3.x (Ketkaew et al., *Dalton Trans.* 2021, **50**,
1086) exactly, including how the trans pairs, the eight faces and the
projections are chosen, so that values agree with OctaDist to rounding.
The choices are made from the geometry (largest L–M–L angles), so a small
perturbation does not change them except in truly degenerate polyhedra.

>>> import numpy as np
>>> octahedron = 2.0 * np.vstack([np.eye(3), -np.eye(3)])
>>> round(float(sigma(np.zeros(3), octahedron)), 9), round(float(theta(np.zeros(3), octahedron)), 9)
(0.0, 0.0)
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np

from coordgeo.symmetry import cross3

__all__ = [
    "PARAMETERS",
    "OctahedralDistortion",
    "bond_lengths",
    "cis_angles",
    "d_mean",
    "defined_parameters",
    "delta",
    "distortion_jacobians",
    "distortion_parameters",
    "ligand_angles",
    "octahedral_distortion",
    "octahedral_volume",
    "polyhedron_volume",
    "polyhedron_volume_jacobian",
    "sigma",
    "theta",
    "trans_angles",
    "trans_pairs",
    "undefined_reason",
    "zeta",
]

PARAMETERS = ("d_mean", "zeta", "delta", "sigma", "theta", "volume", "trans_angles")

# Coplanarity threshold for the hull volume, relative to the cube of the donors' extent.
_FLAT = 1e-9


def _prepare(center: np.ndarray, ligands: np.ndarray) -> tuple[tuple[int, ...], np.ndarray]:
    """Batch shape and metal→donor vectors flattened to (B, n, 3).

    ``center`` (..., 3) and ``ligands`` (..., n, 3) broadcast against each
    other. Every parameter here depends on these vectors only.
    """
    c = np.asarray(center, dtype=float)
    lig = np.asarray(ligands, dtype=float)
    if c.ndim < 1 or c.shape[-1] != 3:
        raise ValueError(f"center must have shape (..., 3), got {c.shape}")
    if lig.ndim < 2 or lig.shape[-1] != 3:
        raise ValueError(f"ligands must have shape (..., n, 3), got {lig.shape}")
    v = lig - c[..., None, :]
    batch = v.shape[:-2]
    if c.shape[:-1] != batch:  # ligands broadcast against a batch of centres
        batch = np.broadcast_shapes(c.shape[:-1], lig.shape[:-2])
        v = np.broadcast_to(v, (*batch, *v.shape[-2:]))
    return batch, v.reshape(math.prod(batch), *v.shape[-2:])


_cross = cross3  # np.cross and np.stack are slow on small arrays


def _norm(a: np.ndarray) -> np.ndarray:
    return np.sqrt((a * a).sum(axis=-1))


def defined_parameters(n: int) -> tuple[str, ...]:
    """Names of the parameters of :data:`PARAMETERS` that are defined for ``n`` donors.

    ⟨d⟩, ζ and Δ need at least one donor; the volume needs four (and is NaN
    anyway when the donors are coplanar, which only the geometry can tell);
    Σ, Θ and the trans angles are octahedral parameters, defined for six.

    >>> defined_parameters(5)
    ('d_mean', 'zeta', 'delta', 'volume')
    """
    names: list[str] = []
    if n >= 1:
        names += ["d_mean", "zeta", "delta"]
    if n >= 4:
        names.append("volume")
    if n == 6:
        names[3:3] = ["sigma", "theta"]
        names.append("trans_angles")
    return tuple(names)


@functools.lru_cache(maxsize=64)
def undefined_reason(n: int) -> str:
    """Why some parameters are NaN for a site with ``n`` donors ("" when all are defined).
    Kept per n: every row of a site table asks.

    >>> undefined_reason(4)
    'Σ, Θ and the trans angles are defined for six-coordinate sites only (this site has 4 donors)'
    """
    if n <= 0:
        return "the site has no donors"
    reasons = []
    if n != 6:
        reasons.append(
            "Σ, Θ and the trans angles are defined for six-coordinate sites only "
            f"(this site has {n} donor{'s' if n != 1 else ''})"
        )
    if n < 4:
        reasons.append("the polyhedron volume needs at least four donors")
    return "; ".join(reasons)


def bond_lengths(center: np.ndarray, ligands: np.ndarray) -> np.ndarray:
    """Metal–donor distances dᵢ = |Lᵢ − M| in Å, shape ``(..., n)``."""
    batch, v = _prepare(center, ligands)
    return _norm(v).reshape(*batch, v.shape[1])


# np.mean costs ~10 µs a call on small arrays; sum()/n is the same number.
def _d_mean(d: np.ndarray) -> np.ndarray:
    n = d.shape[-1]
    return d.sum(axis=-1) / n if n else np.full(d.shape[:-1], np.nan)


def _zeta(d: np.ndarray) -> np.ndarray:
    if not d.shape[-1]:
        return np.full(d.shape[:-1], np.nan)
    return np.abs(d - _d_mean(d)[..., None]).sum(axis=-1)


def _delta(d: np.ndarray) -> np.ndarray:
    if not d.shape[-1]:
        return np.full(d.shape[:-1], np.nan)
    mean = _d_mean(d)[..., None]
    return _d_mean(((d - mean) / mean) ** 2)


def d_mean(center: np.ndarray, ligands: np.ndarray) -> np.ndarray:
    """Mean metal–donor distance ⟨d⟩ = (1/n) Σᵢ dᵢ, in Å.

    The usual spin-state indicator of Fe(II)/Fe(III) spin-crossover
    complexes (about 0.2 Å longer in the high-spin state of Fe(II)).

    >>> float(d_mean([0, 0, 0], [[2, 0, 0], [0, 2.2, 0]]))
    2.1
    """
    return _d_mean(bond_lengths(center, ligands))


def zeta(center: np.ndarray, ligands: np.ndarray) -> np.ndarray:
    """Bond-length distortion ζ = Σᵢ |dᵢ − ⟨d⟩|, in Å.

    M. Buron-Le Cointe et al., *Phys. Rev. B* 2012, **85**, 064114; as
    implemented in OctaDist (Ketkaew et al., *Dalton Trans.* 2021, **50**,
    1086). Defined for any number of donors.

    >>> round(float(zeta([0, 0, 0], [[2, 0, 0], [0, 2.2, 0]])), 12)
    0.2
    """
    return _zeta(bond_lengths(center, ligands))


def delta(center: np.ndarray, ligands: np.ndarray) -> np.ndarray:
    """Tetragonal (bond-length) distortion Δ = (1/n) Σᵢ ((dᵢ − ⟨d⟩)/⟨d⟩)², dimensionless.

    M. W. Lufaso, P. M. Woodward, *Acta Cryst.* 2004, **B60**, 10;
    Buron-Le Cointe et al., *Phys. Rev. B* 2012, **85**, 064114; OctaDist
    (Ketkaew et al., *Dalton Trans.* 2021, **50**, 1086), there with n = 6.
    Generalised here with 1/n for any number of donors.

    >>> round(float(delta([0, 0, 0], [[1.9, 0, 0], [0, 2.1, 0]])), 12)
    0.0025
    """
    return _delta(bond_lengths(center, ligands))


def _angles(v: np.ndarray) -> np.ndarray:
    """(B, n, n) L–M–L angles in degrees, as OctaDist computes them (normalise, dot, arccos)."""
    u = v / _norm(v)[..., None]
    return np.degrees(np.arccos(np.clip(u @ u.transpose(0, 2, 1), -1.0, 1.0)))


def ligand_angles(center: np.ndarray, ligands: np.ndarray) -> np.ndarray:
    """All L–M–L angles φᵢⱼ = arccos(ûᵢ·ûⱼ) in degrees, shape ``(..., n, n)``.

    ûᵢ is the unit vector from the metal to donor i; computed as OctaDist
    does (normalise, dot, clip, arccos) so that Σ and Θ agree with it to
    rounding.
    """
    batch, v = _prepare(center, ligands)
    n = v.shape[1]
    return _angles(v).reshape(*batch, n, n)


_PAIRS6 = np.triu_indices(6, k=1)


def _cis(angles: np.ndarray) -> np.ndarray:
    """The 12 smallest of the 15 angles, ascending (OctaDist's cis angles)."""
    return np.sort(angles[:, _PAIRS6[0], _PAIRS6[1]], axis=-1)[:, :12]


def _sigma(angles: np.ndarray) -> np.ndarray:
    """Σ (B,) of (B, 6, 6) angles, its 12 terms summed in one order whatever B (a contiguous
    row: the cis angles of a batch come out of the fancy index column by column, which
    numpy summed in another order than the one row of a single site, so Σ of one polyhedron
    changed in its last bit with the number of sites evaluated with it)."""
    return np.ascontiguousarray(np.abs(90.0 - _cis(angles))).sum(axis=-1)


def cis_angles(center: np.ndarray, ligands: np.ndarray) -> np.ndarray:
    """The 12 cis L–M–L angles of an octahedron, ascending, shape ``(..., 12)``.

    As in OctaDist, these are the 12 smallest of the 15 L–M–L angles (the
    three largest being the trans angles). NaN unless there are six donors.
    """
    batch, v = _prepare(center, ligands)
    if v.shape[1] != 6:
        return np.full((*batch, 12), np.nan)
    return _cis(_angles(v)).reshape(*batch, 12)


def sigma(center: np.ndarray, ligands: np.ndarray) -> np.ndarray:
    """Angular distortion Σ = Σᵢ₌₁¹² |90° − φᵢ| over the 12 cis angles, in degrees.

    J. K. McCusker, A. L. Rheingold, D. N. Hendrickson, *Inorg. Chem.* 1996,
    **35**, 2100; computed as OctaDist 3.x does (the cis angles are the 12
    smallest of the 15 L–M–L angles). 0 for a regular octahedron; NaN unless
    there are six donors.

    >>> import numpy as np
    >>> oc = np.vstack([np.eye(3), -np.eye(3)])
    >>> oc[0] = [np.cos(np.radians(10)), np.sin(np.radians(10)), 0]  # bend one donor by 10°
    >>> round(float(sigma(np.zeros(3), oc)), 9)
    20.0
    """
    return np.abs(90.0 - cis_angles(center, ligands)).sum(axis=-1)


def _octadist_order(angles: np.ndarray) -> np.ndarray:
    """OctaDist's ordering of six donors: positions (0, 4), (1, 5), (2, 3) are trans pairs.

    Follows ``CalcDistortion.determine_faces`` of OctaDist 3.x: the donor
    making the largest angle with the donor at position 0 is swapped into
    position 4, then the one trans to position 1 into position 5, then the
    one trans to position 2 into position 3. ``angles`` is (B, 6, 6) in
    donor order; returns (B, 6) donor indices by position.
    """
    rows = np.arange(len(angles))
    order = np.tile(np.arange(6), (len(angles), 1))
    for pos, slot in ((0, 4), (1, 5), (2, 3)):
        # Angles between the donor at ``pos`` and the donors at each position.
        by_position = angles[rows, order[:, pos]][rows[:, None], order]
        # np.argmax keeps the first maximum, as OctaDist's strict ">" scan does.
        best = np.argmax(by_position, axis=-1)
        moved = order[rows, best]
        order[rows, best] = order[:, slot]
        order[:, slot] = moved
    return order


def _face_cycle() -> np.ndarray:
    """The eight (face, projected) position tuples OctaDist's ``calc_theta`` visits.

    Positions 0–2 form the face and 3, 4, 5 are the donors trans to 2, 0, 1,
    to be projected between 0–1, 1–2 and 2–0. The four faces around position
    0 come first, then (after swapping every trans pair) the four opposite
    faces.
    """
    pos = [0, 1, 2, 3, 4, 5]
    faces = []
    for r in range(8):
        faces.append(tuple(pos))
        pos = [pos[0], pos[3], pos[1], pos[5], pos[4], pos[2]]
        if r == 3:
            pos = [pos[4], pos[5], pos[3], pos[2], pos[0], pos[1]]
    return np.array(faces)


_FACES = _face_cycle()
# Around a face the donors alternate with the projections of their trans partners.
_AROUND = np.array([0, 3, 1, 4, 2, 5])
_NEXT = np.roll(_AROUND, -1)


def _theta(v: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Θ of (B, 6, 3) metal→donor vectors for OctaDist's donor ``order`` (B, 6)."""
    pts = v[np.arange(len(v))[:, None, None], order[:, _FACES]]  # (B, 8, 6, 3)
    # Orthonormal basis of each face plane (Gram–Schmidt on two edges). Dotting
    # with it projects orthogonally onto the plane, the metal (origin) going to
    # (0, 0), so the angles around the projected metal are differences of
    # polar angles in the plane.
    e1 = pts[:, :, 1] - pts[:, :, 0]
    e1 /= _norm(e1)[..., None]
    e2 = pts[:, :, 2] - pts[:, :, 0]
    e2 -= (e2 * e1).sum(axis=-1, keepdims=True) * e1
    e2 /= _norm(e2)[..., None]
    phi = np.degrees(np.arctan2(pts @ e2[..., None], pts @ e1[..., None]))[..., 0]  # (B, 8, 6)

    def turn(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Angle from polar angle a to b, in [-180, 180)."""
        return (b - a + 180.0) % 360.0 - 180.0

    # OctaDist orients the plane by v0 × v1 when ∠(v0, v1) < ∠(v0, v2), else by v2 × v0.
    t01 = turn(phi[..., 0], phi[..., 1])
    t20 = turn(phi[..., 2], phi[..., 0])
    sense = np.where(np.abs(t01) < np.abs(t20), t01, t20)[..., None]
    # Face donors alternate with the projected trans donors: 0, 3, 1, 4, 2, 5.
    around = turn(phi[..., _AROUND], phi[..., _NEXT])
    signed = np.where(sense < 0, -around, around)
    # one order of summation per polyhedron whatever the batch (the 48 terms as one
    # contiguous row, the eight faces of each angle position together): numpy's order over
    # the strided result of the fancy index depended on the batch size, so Θ of one
    # polyhedron changed in its last bit with the number of sites evaluated with it
    terms = np.ascontiguousarray(np.abs(signed - 60.0).transpose(0, 2, 1))
    return terms.reshape(len(terms), 48).sum(axis=-1) / 2.0


def theta(center: np.ndarray, ligands: np.ndarray) -> np.ndarray:
    """Trigonal distortion Θ = Σⱼ₌₁²⁴ |60° − θⱼ|, in degrees.

    M. Marchivie, P. Guionneau, J.-F. Létard, D. Chasseau, *Acta Cryst.*
    2003, **B59**, 479 (the definition) and 2005, **B61**, 25 (the form
    OctaDist implements). θⱼ are the 24 angles between the donors of a face
    and those of the opposite face, seen along the face normal: 0 for a
    regular octahedron, large towards a trigonal prism.

    Implemented exactly as OctaDist 3.x (``CalcDistortion.calc_theta``;
    Ketkaew et al., *Dalton Trans.* 2021, **50**, 1086): the trans pairs are
    found by largest angle (see :func:`trans_pairs`); for each of the eight
    faces the metal and the three donors trans to the face are projected
    orthogonally onto the plane of the face, the six signed angles around
    the projected metal (face donor → projected donor → face donor …) are
    measured, and Θ is half the sum of |θ − 60°| over the 8 × 6 angles
    (each of the four pairs of opposite faces is visited twice). Older
    OctaDist releases (≤ 2.x) projected differently and gave other numbers.
    NaN unless there are six donors.
    """
    batch, v = _prepare(center, ligands)
    if v.shape[1] != 6:
        return np.full(batch, np.nan)
    return _theta(v, _octadist_order(_angles(v))).reshape(batch)


def _sorted_trans_pairs(angles: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Trans pairs (B, 3, 2), each (i < j), in ascending order of angle; and the angles (B, 3)."""
    pairs = np.sort(order[:, [[0, 4], [1, 5], [2, 3]]], axis=-1)
    rows = np.arange(len(order))[:, None]
    values = angles[rows, pairs[..., 0], pairs[..., 1]]
    rank = np.argsort(values, axis=-1, kind="stable")
    return pairs[rows, rank], values[rows, rank]


def trans_pairs(center: np.ndarray, ligands: np.ndarray) -> np.ndarray:
    """Which donors are trans: indices ``(..., 3, 2)``, ordered as :func:`trans_angles`.

    The donor trans to donor 0 is the one making the largest angle with it,
    and so on (OctaDist's rule, see :func:`theta`). Each pair is (i, j) with
    i < j; the three pairs are in ascending order of their L–M–L angle.
    Only for six donors (ValueError otherwise: indices have no NaN).
    """
    batch, v = _prepare(center, ligands)
    if v.shape[1] != 6:
        raise ValueError(f"trans pairs are defined for six donors, got {v.shape[1]}")
    angles = _angles(v)
    return _sorted_trans_pairs(angles, _octadist_order(angles))[0].reshape(*batch, 3, 2)


def trans_angles(center: np.ndarray, ligands: np.ndarray) -> np.ndarray:
    """The three trans L–M–L angles in degrees, ascending, shape ``(..., 3)``.

    The angles of the pairs of :func:`trans_pairs` (180° each in a regular
    octahedron). Whenever the three largest of the 15 angles pair off the
    six donors, which is the case for any recognisable octahedron, these are
    OctaDist's ``trans_angle``. NaN unless there are six donors.
    """
    batch, v = _prepare(center, ligands)
    if v.shape[1] != 6:
        return np.full((*batch, 3), np.nan)
    angles = _angles(v)
    return _sorted_trans_pairs(angles, _octadist_order(angles))[1].reshape(*batch, 3)


def _volume_with_faces(v: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Volumes of (m, n, 3) point sets bounded by triangles ``faces``, and whether they fit.

    ``faces`` is (F, 3) for all sets or (m, F, 3) per set. The triangles
    bound the convex hull when every point lies on the inner side of every
    triangle (within rounding); then V = Σ |a·(b × c)|/6 with the vertices
    taken from the centroid, which is inside. One triangulation serves the
    slightly perturbed copies of a finite-difference batch.
    """
    x = v - v.sum(axis=1, keepdims=True) / v.shape[1]
    if faces.ndim == 2:
        a, b, c = x[:, faces[:, 0]], x[:, faces[:, 1]], x[:, faces[:, 2]]
    else:
        rows = np.arange(len(x))[:, None]
        a, b, c = x[rows, faces[..., 0]], x[rows, faces[..., 1]], x[rows, faces[..., 2]]
    normal = _cross(b - a, c - a)  # (m, F, 3)
    offset = (normal * a).sum(axis=-1)  # a·(b × c); > 0 when the normal points outwards
    size = np.abs(offset)
    # Height of every point over every face, positive outside: (m, n, F).
    height = (x @ normal.transpose(0, 2, 1)) * np.sign(offset)[:, None, :] - size[:, None, :]
    scale = _norm(normal) * np.abs(x).max(axis=(1, 2))[:, None]
    fits = (height.max(axis=1) <= 1e-9 * scale).all(axis=1)
    return size.sum(axis=-1) / 6.0, fits


def _hull_faces(points: np.ndarray) -> np.ndarray | None:
    """Triangles of the convex hull of (n, 3) points; None when the points are coplanar."""
    from scipy.spatial import ConvexHull, QhullError  # rarely needed: keep start-up fast

    try:
        return ConvexHull(points - points.mean(axis=0)).simplices
    except QhullError:  # coplanar or collinear donors
        return None


@functools.cache
def _triangles(n: int) -> np.ndarray:
    """(C(n, 3), 3) every triangle of n points, and for each the n − 3 other points."""
    return np.array(list(itertools.combinations(range(n), 3)), dtype=np.intp)


# Polyhedra per vectorised hull search: its arrays are (chunk, C(n, 3), n).
_HULL_CHUNK = 256
# The search costs O(n⁴) a set: up to 12 donors it is faster than a Qhull call (~3 µs for
# 4 donors, ~80 µs for 12, against ~80 µs), above Qhull is.
_SEARCH_MAX = 12


def _general_hull_faces(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hull triangles (B, F, 3) of (B, n, 3) point sets in general position, and which are.

    A triangle of three points is a face of the convex hull when every other point lies
    strictly on one side of its plane; with no four points coplanar (within 1e-9 of the
    sets' extent) those triangles are the hull's faces, the ones Qhull would give. Sets
    with four points (nearly) coplanar on a candidate plane are not in general position
    (``False``): their triangulation is Qhull's to choose. Unused rows of ``faces`` are
    (0, 0, 0), a triangle of no volume. Vectorised: no Qhull call per set.
    """
    b, n = v.shape[:2]
    tri = _triangles(n)
    width = 2 * n - 4  # faces of a simplicial polytope with n vertices (Euler)
    faces = np.zeros((b, width, 3), dtype=np.intp)
    general = np.zeros(b, dtype=bool)
    own = np.zeros((len(tri), n), dtype=bool)
    own[np.arange(len(tri))[:, None], tri] = True
    for lo in range(0, b, _HULL_CHUNK):
        x = v[lo : lo + _HULL_CHUNK]
        x = x - x.sum(axis=1, keepdims=True) / n
        a, p, q = x[:, tri[:, 0]], x[:, tri[:, 1]], x[:, tri[:, 2]]  # (c, T, 3)
        normal = _cross(p - a, q - a)
        height = x @ normal.transpose(0, 2, 1) - (normal * a).sum(axis=-1)[:, None, :]  # (c, n, T)
        scale = _norm(normal) * np.abs(x).max(axis=(1, 2))[:, None]  # (c, T)
        tol = 1e-9 * scale[:, None, :]
        others = ~own.T[None]  # (1, n, T)
        above = ((height > tol) & others).any(axis=1)
        below = ((height < -tol) & others).any(axis=1)
        flat = ((np.abs(height) <= tol) & others).any(axis=1)
        face = above != below  # all other points on one side
        ok = ~(flat & ~(above & below)).any(axis=1) & (face.sum(axis=1) <= width)
        ok &= scale.min(axis=1) > 0
        # the faces first, in the order of the triangles; pad with the unused rows
        picked = np.argsort(~face, axis=1, kind="stable")[:, :width]
        rows = np.take_along_axis(face, picked, axis=1)
        chosen = np.where(rows[..., None], tri[picked], 0)
        faces[lo : lo + _HULL_CHUNK] = chosen
        general[lo : lo + _HULL_CHUNK] = ok
    return faces, general


def _hulls(v: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
    """Triangles (B, F, 3) bounding the convex hull of each of (B, n, 3) donor sets.

    One hull per set, in time linear in the number of sets: an octahedron's faces from
    its trans pairs (``order`` (B, 6)) when they bound it, the vectorised search of
    :func:`_general_hull_faces` for sets of up to 12 points in general position, and one
    Qhull call per set for the rest (coplanar faces: a square pyramid's base, a cube).
    Rows of (0, 0, 0) are unused; a coplanar set gets only those (no volume).
    """
    b, n = v.shape[:2]
    width = 2 * n - 4
    faces = np.zeros((b, max(width, 8), 3), dtype=np.intp)
    todo = np.ones(b, dtype=bool)
    if order is not None:
        # An octahedron's faces take one donor from each trans pair: no search needed.
        proposed = order[:, _FACES[:, :3]]
        fits = _volume_with_faces(v, proposed)[1]
        faces[fits, :8] = proposed[fits]
        todo = ~fits
    if todo.any():
        idx = np.flatnonzero(todo)
        general = np.zeros(len(idx), dtype=bool)
        if n <= _SEARCH_MAX:
            found, general = _general_hull_faces(v[idx])
            faces[idx[general], :width] = found[general]
        for i in idx[~general].tolist():
            hull = _hull_faces(v[i])
            if hull is not None:
                faces[i, : len(hull)] = hull
    return faces


def _volume(v: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
    """Hull volumes of (B, n, 3) donor sets; ``order`` (B, 6) proposes octahedral faces."""
    return _volume_of_hulls(v, _hulls(v, order))


def _volume_of_hulls(v: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """V = Σ |a·(b × c)|/6 over the hull triangles (from :func:`_hulls`), NaN when flat."""
    out = _volume_with_faces(v, faces)[0]
    extent = (v.max(axis=1) - v.min(axis=1)).max(axis=-1)
    return np.where(out > _FLAT * extent**3, out, np.nan)


def polyhedron_volume(center: np.ndarray, ligands: np.ndarray) -> np.ndarray:
    """Volume of the coordination polyhedron, the convex hull of the donors, in Å³.

    V = Σ_faces |a · (b × c)|/6 over the triangles of the hull, vertices
    taken from the donors' centroid (for an octahedron the eight faces given by
    the trans pairs; up to 12 donors in general position the triangles with
    every other donor on one side, found for all sites at once; otherwise
    ``scipy.spatial.ConvexHull``, one call per site). For an
    octahedron this is the octahedral volume V_oct used to follow spin
    crossover (e.g. P. Guionneau, *Dalton Trans.* 2014, **43**, 382: ~10 Å³
    for LS and ~12–13 Å³ for HS Fe(II)N6). NaN with fewer than four donors
    or coplanar donors (volume below 1e-9 of the cube of their extent).

    >>> import numpy as np
    >>> round(float(polyhedron_volume(np.zeros(3), np.vstack([np.eye(3), -np.eye(3)]))), 9)  # 4r³/3
    1.333333333
    """
    batch, v = _prepare(center, ligands)
    n = v.shape[1]
    if n < 4:
        return np.full(batch, np.nan)
    order = _octadist_order(_angles(v)) if n == 6 else None
    return _volume(v, order).reshape(batch)


def polyhedron_volume_jacobian(
    center: np.ndarray, ligands: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`polyhedron_volume` and its Jacobian ∂V/∂x, shape (..., n + 1, 3), metal first.

    V = Σ_faces |a·(b × c)|/6 over the hull triangles (vertices from the donors'
    centroid) at fixed triangles: ∂V = Σ_faces sign·(b × c, c × a, a × b)/6 for the
    corners a, b, c (the closed form of :func:`distortion_jacobians`). The metal does
    not enter (its row is 0). NaN where the volume is undefined.
    """
    batch, v = _prepare(center, ligands)
    n = v.shape[1]
    if n < 4:
        return np.full(batch, np.nan), np.full((*batch, n + 1, 3), np.nan)
    order = _octadist_order(_angles(v)) if n == 6 else None
    faces = _hulls(v, order)
    volume = _volume_of_hulls(v, faces).reshape(batch)
    return volume, _volume_grad(v, faces).reshape(*batch, n + 1, 3)


octahedral_volume = polyhedron_volume
"""Alias of :func:`polyhedron_volume` under the name used in the spin-crossover literature."""


@dataclass(frozen=True)
class OctahedralDistortion:
    """Distortion parameters of one metal site (NaN where undefined, see ``reason``).

    ``trans_pairs`` are donor indices (in the order the donors were given)
    of the trans pairs, matching ``trans_angles``; both are empty/NaN unless
    the site is six-coordinate.
    """

    n: int
    d_mean: float  # Å
    zeta: float  # Å
    delta: float
    sigma: float  # degrees
    theta: float  # degrees
    volume: float  # Å³
    trans_angles: tuple[float, float, float]  # degrees, ascending
    trans_pairs: tuple[tuple[int, int], ...]
    reason: str = ""

    def as_dict(self) -> dict[str, float]:
        """Scalar parameters as a flat dict (trans angles as trans_angle_1…3)."""
        out = {
            "n": float(self.n),
            "d_mean": self.d_mean,
            "zeta": self.zeta,
            "delta": self.delta,
            "sigma": self.sigma,
            "theta": self.theta,
            "volume": self.volume,
        }
        for k, value in enumerate(self.trans_angles, start=1):
            out[f"trans_angle_{k}"] = value
        return out


def _all(v: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """Every parameter of (B, n, 3) metal→donor vectors; and the trans pairs (B, 3, 2) for n = 6."""
    b, n = v.shape[:2]
    d = _norm(v)
    out = {"d_mean": _d_mean(d), "zeta": _zeta(d), "delta": _delta(d)}
    pairs = order = None
    if n == 6:
        angles = _angles(v)
        order = _octadist_order(angles)
        out["sigma"] = _sigma(angles)
        out["theta"] = _theta(v, order)
        pairs, out["trans_angles"] = _sorted_trans_pairs(angles, order)
    else:
        out["sigma"] = out["theta"] = np.full(b, np.nan)
        out["trans_angles"] = np.full((b, 3), np.nan)
    out["volume"] = _volume(v, order) if n >= 4 else np.full(b, np.nan)
    return out, pairs


def distortion_parameters(center: np.ndarray, ligands: np.ndarray) -> dict[str, np.ndarray]:
    """All of :data:`PARAMETERS` at once, batched: {name: array of shape (...)}.

    ``trans_angles`` has shape (..., 3). The same numbers as the separate
    functions, sharing the angles and the trans pairs: the call to use for
    the finite-difference batch of a site.
    """
    batch, v = _prepare(center, ligands)
    out, _ = _all(v)
    return {k: x.reshape((*batch, *x.shape[1:])) for k, x in out.items()}


# --- Jacobians ------------------------------------------------------------------------------


def _to_atoms(gv: np.ndarray) -> np.ndarray:
    """Gradients with respect to the metal→donor vectors (..., n, 3) → with respect to the
    atoms (..., n + 1, 3), the metal first: every parameter depends on vᵢ = Lᵢ − M only."""
    out = np.empty((*gv.shape[:-2], gv.shape[-2] + 1, 3))
    out[..., 0, :] = -gv.sum(axis=-2)
    out[..., 1:, :] = gv
    return out


def _abs_sum_grad(x: np.ndarray, g: np.ndarray, kink_step: float) -> np.ndarray:
    """Gradient of Σₜ |xₜ| from the terms' values x (B, T) and gradients g (B, T, m, 3).

    Away from a kink, d|x| = sign(x)·dx. With ``kink_step`` δ > 0 each coordinate's
    derivative is the central difference of the linearised term over ±δ,
    (|x + δg| − |x − δg|)/2δ = g·clip(x/(δ|g|), −1, 1): the same as sign(x)·g unless
    |x| < δ|g|, where a term sitting on its kink (an angle of exactly 90° in a
    symmetric octahedron) contributes x/δ·sign(g) ≈ 0, as central differences do.
    """
    if kink_step > 0:
        size = np.abs(g)
        with np.errstate(invalid="ignore", divide="ignore"):
            weight = np.clip(x[..., None, None] / (kink_step * size), -1.0, 1.0)
        return np.where(size > 0, weight * g, 0.0).sum(axis=1)
    return (np.sign(x)[..., None, None] * g).sum(axis=1)


def _angle_grads(v: np.ndarray, i: np.ndarray, j: np.ndarray, d: np.ndarray) -> tuple:
    """∂φᵢⱼ/∂vᵢ and ∂φᵢⱼ/∂vⱼ in degrees per Å for L–M–L angles φᵢⱼ = arccos(ûᵢ·ûⱼ).

    ``i``, ``j`` (B, T) donor indices; ``d`` (B, n) bond lengths. From
    ∂φ/∂vᵢ = −(ûⱼ − cos φ ûᵢ)/(dᵢ sin φ).
    """
    rows = np.arange(len(v))[:, None]
    ui = v[rows, i] / d[rows, i][..., None]
    uj = v[rows, j] / d[rows, j][..., None]
    cos = np.clip((ui * uj).sum(axis=-1), -1.0, 1.0)[..., None]
    sin = np.sqrt(np.maximum(1.0 - cos * cos, 0.0))
    safe = np.where(sin > 1e-12, sin, np.inf)
    scale = -np.degrees(1.0) / safe
    gi = scale * (uj - cos * ui) / d[rows, i][..., None]
    gj = scale * (ui - cos * uj) / d[rows, j][..., None]
    return gi, gj


def _sigma_grad(v: np.ndarray, angles: np.ndarray, d: np.ndarray, kink_step: float):
    """∂Σ/∂(metal, donors) (B, 7, 3) at the cis angles' selection (the 12 smallest)."""
    b = len(v)
    pick = np.argsort(angles[:, _PAIRS6[0], _PAIRS6[1]], axis=-1, kind="stable")[:, :12]
    i, j = _PAIRS6[0][pick], _PAIRS6[1][pick]  # (B, 12)
    rows = np.arange(b)[:, None]
    gi, gj = _angle_grads(v, i, j, d)
    term = np.zeros((b, 12, 6, 3))
    t = np.arange(12)[None, :]
    term[rows, t, i] -= gi  # x = 90° − φ
    term[rows, t, j] -= gj
    x = 90.0 - angles[rows, i, j]
    return _abs_sum_grad(x, _to_atoms(term), kink_step)


def _turn_terms(a, b, n):
    """a·n, b·n, a × b, y = n·(a × b) and x = a·b − (a·n)(b·n) of :func:`_turn_grads`."""
    an = (a * n).sum(axis=-1, keepdims=True)
    bn = (b * n).sum(axis=-1, keepdims=True)
    axb = _cross(a, b)
    y = (n * axb).sum(axis=-1, keepdims=True)
    x = (a * b).sum(axis=-1, keepdims=True) - an * bn
    return an, bn, axb, y, x


def _turn(a, b, n):
    """The signed angle of :func:`_turn_grads` alone (radians): no gradient is needed to
    choose a face's orientation."""
    _, _, _, y, x = _turn_terms(a, b, n)
    return np.arctan2(y, x)[..., 0]


def _turn_grads(a, b, n):
    """Signed angle T from the projections of a to b on the plane of unit normal n, radians,
    and ∂T/∂a, ∂T/∂b, ∂T/∂n.

    T = atan2(n·(a × b), a·b − (a·n)(b·n)): the projections a′, b′ have
    a′ × b′ = (n·(a × b)) n and a′·b′ = a·b − (a·n)(b·n).
    """
    an, bn, axb, y, x = _turn_terms(a, b, n)
    r2 = x * x + y * y
    r2 = np.where(r2 > 0, r2, np.inf)
    ga = (x * _cross(b, n) - y * (b - bn * n)) / r2
    gb = (x * _cross(n, a) - y * (a - an * n)) / r2
    gn = (x * axb + y * (an * b + bn * a)) / r2
    return np.arctan2(y, x)[..., 0], ga, gb, gn


def _theta_grad(v: np.ndarray, order: np.ndarray, kink_step: float) -> np.ndarray:
    """∂Θ/∂(metal, donors) (B, 7, 3) for OctaDist's ``order`` (see :func:`_theta`).

    Θ = ½ Σ_faces Σₖ |s·Tₖ − 60°|, Tₖ the turn between the projections of consecutive
    donors around the face (:func:`_turn_grads`, on the plane through the face's three
    donors, unit normal n ∝ (p₁ − p₀) × (p₂ − p₀)) and s = ±1 the face's orientation.
    The ordering, the faces and s are fixed by the geometry; then every term is smooth.
    """
    bsz = len(v)
    rows = np.arange(bsz)[:, None, None]
    pts = v[rows, order[:, _FACES]]  # (B, 8, 6, 3) by position
    e = pts[:, :, 1] - pts[:, :, 0]
    f = pts[:, :, 2] - pts[:, :, 0]
    c = _cross(e, f)
    size = _norm(c)[..., None]
    n = c / size
    a, bb = pts[:, :, _AROUND], pts[:, :, _NEXT]  # (B, 8, 6, 3)
    nk = np.broadcast_to(n[:, :, None, :], a.shape)
    turn, ga, gb, gn = _turn_grads(a, bb, nk)
    t01 = _turn(pts[:, :, 0], pts[:, :, 1], n)
    t20 = _turn(pts[:, :, 2], pts[:, :, 0], n)
    sense = np.where(np.abs(t01) < np.abs(t20), t01, t20)
    s = np.where(sense < 0, -1.0, 1.0)[..., None]  # (B, 8, 1)
    x = s * np.degrees(turn) - 60.0  # (B, 8, 6)
    k = np.arange(6)
    term = np.zeros((bsz, 8, 6, 6, 3))  # (B, face, term, position, xyz)
    term[:, :, k, _AROUND] += ga
    term[:, :, k, _NEXT] += gb
    # through the normal: n = c/|c|, c = (p₁ − p₀) × (p₂ − p₀)
    gc = (gn - (gn * nk).sum(axis=-1, keepdims=True) * nk) / size[:, :, None, :]
    g1 = _cross(f[:, :, None, :], gc)
    g2 = _cross(gc, e[:, :, None, :])
    term[:, :, :, 1] += g1
    term[:, :, :, 2] += g2
    term[:, :, :, 0] -= g1 + g2
    term *= np.degrees(1.0) * s[..., None, None]
    # positions → donors: each face visits the six donors once
    inverse = np.argsort(order[:, _FACES], axis=-1)  # (B, 8, 6): position of donor d
    term = np.take_along_axis(term, inverse[:, :, None, :, None], axis=3)
    atoms = _to_atoms(term.reshape(bsz, 48, 6, 3))
    return 0.5 * _abs_sum_grad(x.reshape(bsz, 48), atoms, kink_step)


def _volume_grad(v: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """∂V/∂(metal, donors) (B, n + 1, 3) of V = Σ |a·(b × c)|/6 at fixed hull triangles."""
    bsz, n = v.shape[:2]
    x = v - v.sum(axis=1, keepdims=True) / n
    rows = np.arange(bsz)[:, None]
    a, b, c = x[rows, faces[..., 0]], x[rows, faces[..., 1]], x[rows, faces[..., 2]]
    bxc = _cross(b, c)
    sign = np.sign((a * bxc).sum(axis=-1))[..., None] / 6.0
    # Σ over the faces at each corner: one bincount, which adds in input order as three
    # np.add.at calls (corner 0, 1, 2) did, so every sum is the same number
    parts = sign[:, None] * np.stack([bxc, _cross(c, a), _cross(a, b)], axis=1)  # (B, 3, F, 3)
    vertex = rows[:, :, None] * n + faces.transpose(0, 2, 1)  # (B, 3, F)
    index = (vertex[..., None] * 3 + np.arange(3)).ravel()
    g = np.bincount(index, weights=parts.ravel(), minlength=bsz * n * 3).reshape(bsz, n, 3)
    g -= g.sum(axis=1, keepdims=True) / n  # through the centroid (zero for a closed hull)
    return _to_atoms(g)


def distortion_jacobians(
    center: np.ndarray, ligands: np.ndarray, *, kink_step: float = 0.0
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every parameter of :data:`PARAMETERS` and the Jacobians of the scalar ones.

    Returns ``(values, gradients)``: ``values`` as :func:`distortion_parameters`;
    ``gradients[name]`` of shape (..., n + 1, 3) holds ∂p/∂x for the Cartesian
    coordinates x of the metal (row 0) and the donors (rows 1…n), for p in ⟨d⟩, ζ, Δ, Σ,
    Θ and the volume (units of p per Å; NaN rows where p is undefined). With
    dᵢ = |vᵢ|, ûᵢ = vᵢ/dᵢ, vᵢ = Lᵢ − M, m = ⟨d⟩, eᵢ = dᵢ − m, and ∂/∂M = −Σᵢ ∂/∂Lᵢ:

    - ∂⟨d⟩/∂Lᵢ = ûᵢ/n;
    - ∂ζ/∂Lⱼ = Σᵢ sign(eᵢ)(δᵢⱼ − 1/n) ûⱼ;
    - ∂Δ/∂Lⱼ = 2/(n m²) · (eⱼ − Σᵢeᵢ²/(n m)) ûⱼ;
    - Σ: −Σ sign(90° − φ) ∂φ over the 12 cis angles, ∂φᵢⱼ/∂vᵢ = −(ûⱼ − cos φ ûᵢ)/(dᵢ sin φ);
    - Θ: through the face planes and projections (:func:`_theta_grad`), at OctaDist's
      trans pairs and faces;
    - V: Σ_faces sign · (b × c, c × a, a × b)/6 for the corners a, b, c of each hull
      triangle (from the donors' centroid).

    The discrete choices (cis angles, trans pairs, faces, hull triangles) are those of
    the polyhedron itself, as for every small displacement of it. ``kink_step`` δ > 0
    treats the kinks of the |·| in ζ, Σ and Θ as a central difference over ±δ Å does
    (:func:`_abs_sum_grad`), so the gradients equal those of central differences with
    step δ (the su's of a polyhedron with an angle of exactly 90° do not depend on the
    sign of a rounding error); 0 gives the one-sided sign.
    """
    batch, v = _prepare(center, ligands)
    bsz, n = v.shape[:2]
    d = _norm(v)
    values = {"d_mean": _d_mean(d), "zeta": _zeta(d), "delta": _delta(d)}
    nan = np.full((bsz, n + 1, 3), np.nan)
    grads: dict[str, np.ndarray] = {}
    if n:
        u = v / d[..., None]
        m = values["d_mean"][:, None]
        e = d - m
        grads["d_mean"] = _to_atoms(u / n)
        terms = (np.eye(n) - 1.0 / n)[None, :, :, None] * u[:, None, :, :]
        grads["zeta"] = _abs_sum_grad(e, _to_atoms(terms), kink_step)
        coef = 2.0 / (n * m * m) * (e - (e * e).sum(axis=1, keepdims=True) / (n * m))
        grads["delta"] = _to_atoms(coef[..., None] * u)
    else:
        grads["d_mean"] = grads["zeta"] = grads["delta"] = nan
    order = None
    if n == 6:
        angles = _angles(v)
        order = _octadist_order(angles)
        values["sigma"] = _sigma(angles)
        values["theta"] = _theta(v, order)
        values["trans_angles"] = _sorted_trans_pairs(angles, order)[1]
        grads["sigma"] = _sigma_grad(v, angles, d, kink_step)
        grads["theta"] = _theta_grad(v, order, kink_step)
    else:
        values["sigma"] = values["theta"] = np.full(bsz, np.nan)
        values["trans_angles"] = np.full((bsz, 3), np.nan)
        grads["sigma"] = grads["theta"] = nan
    if n >= 4:
        faces = _hulls(v, order)
        values["volume"] = _volume_of_hulls(v, faces)
        grads["volume"] = _volume_grad(v, faces)
    else:
        values["volume"] = np.full(bsz, np.nan)
        grads["volume"] = nan
    values = {k: x.reshape((*batch, *x.shape[1:])) for k, x in values.items()}
    grads = {k: g.reshape(*batch, n + 1, 3) for k, g in grads.items()}
    return values, grads


def octahedral_distortion(center: np.ndarray, ligands: np.ndarray) -> OctahedralDistortion:
    """All distortion parameters of one site: ``center`` (3,), ``ligands`` (n, 3) in Å.

    Never raises for an unusual coordination number: what is undefined is
    NaN and ``reason`` says why.

    >>> import numpy as np
    >>> site = octahedral_distortion(np.zeros(3), np.vstack([np.eye(3), -np.eye(3)]))
    >>> round(site.sigma, 9), round(site.theta, 9), site.trans_angles
    (0.0, 0.0, (180.0, 180.0, 180.0))
    """
    c = np.asarray(center, dtype=float)
    lig = np.asarray(ligands, dtype=float).reshape(-1, 3)
    if c.shape != (3,):
        raise ValueError(f"one site: center must have shape (3,), got {c.shape}")
    n = len(lig)
    values, pairs = _all((lig - c)[None])
    reason = undefined_reason(n)
    volume = float(values["volume"][0])
    if n >= 4 and not np.isfinite(volume):
        reason = "; ".join(filter(None, [reason, "the donors are coplanar: no polyhedron volume"]))
    return OctahedralDistortion(
        n=n,
        d_mean=float(values["d_mean"][0]),
        zeta=float(values["zeta"][0]),
        delta=float(values["delta"][0]),
        sigma=float(values["sigma"][0]),
        theta=float(values["theta"][0]),
        volume=volume,
        trans_angles=tuple(float(x) for x in values["trans_angles"][0]),  # type: ignore[arg-type]
        trans_pairs=() if pairs is None else tuple((int(i), int(j)) for i, j in pairs[0]),
        reason=reason,
    )
