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

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "PARAMETERS",
    "OctahedralDistortion",
    "bond_lengths",
    "cis_angles",
    "d_mean",
    "defined_parameters",
    "delta",
    "distortion_parameters",
    "ligand_angles",
    "octahedral_distortion",
    "octahedral_volume",
    "polyhedron_volume",
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


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cross product over the last axis (np.cross and np.stack are slow on small arrays)."""
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    out = np.empty(np.broadcast_shapes(a.shape, b.shape))
    out[..., 0] = a1 * b2 - a2 * b1
    out[..., 1] = a2 * b0 - a0 * b2
    out[..., 2] = a0 * b1 - a1 * b0
    return out


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


def undefined_reason(n: int) -> str:
    """Why some parameters are NaN for a site with ``n`` donors ("" when all are defined).

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
    return np.abs(signed - 60.0).sum(axis=(-1, -2)) / 2.0


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


def _volume(v: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
    """Hull volumes of (B, n, 3) donor sets; ``order`` (B, 6) proposes octahedral faces."""
    out = np.full(len(v), np.nan)
    todo = np.ones(len(v), dtype=bool)
    if order is not None:
        # An octahedron's faces take one donor from each trans pair: no Qhull call needed.
        volume, fits = _volume_with_faces(v, order[:, _FACES[:, :3]])
        out[fits], todo = volume[fits], ~fits
    while todo.any():
        first = int(np.argmax(todo))
        faces = _hull_faces(v[first])
        if faces is None:
            todo[first] = False
            continue
        idx = np.flatnonzero(todo)
        volume, fits = _volume_with_faces(v[idx], faces)
        fits[idx == first] = True
        out[idx[fits]] = volume[fits]
        todo[idx[fits]] = False
    extent = (v.max(axis=1) - v.min(axis=1)).max(axis=-1)
    return np.where(out > _FLAT * extent**3, out, np.nan)


def polyhedron_volume(center: np.ndarray, ligands: np.ndarray) -> np.ndarray:
    """Volume of the coordination polyhedron, the convex hull of the donors, in Å³.

    V = Σ_faces |a · (b × c)|/6 over the triangles of the hull, vertices
    taken from the donors' centroid (faces from ``scipy.spatial.ConvexHull``,
    or for an octahedron the eight faces given by the trans pairs). For an
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
        out["sigma"] = np.abs(90.0 - _cis(angles)).sum(axis=-1)
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
