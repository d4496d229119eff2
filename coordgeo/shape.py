"""Continuous shape measures (CShM) of coordination polyhedra, with the central atom.

The continuous shape measure of a problem structure Q relative to an ideal
polyhedron P (H. Zabrodsky, S. Peleg, D. Avnir, *J. Am. Chem. Soc.* 1992,
**114**, 7843; M. Pinsky, D. Avnir, *Inorg. Chem.* 1998, **37**, 5575;
S. Alvarez, D. Avnir, M. Llunell, M. Pinsky, *New J. Chem.* 2002, **26**,
996) is

    S_P(Q) = min 100 · Σᵢ |qᵢ − pᵢ|² / Σᵢ |qᵢ − q₀|²,

the minimum over rotations, translations and scalings of P and over the
pairings of the vertices, q₀ being the centroid of Q. As in SHAPE 2.1
(Llunell, Casanova, Cirera, Alemany, Alvarez, *SHAPE* manual, Universitat
de Barcelona, 2013) and cosymlib, the structure has N + 1 points: the N
donors and the central atom, which is always paired with the centre of the
ideal polyhedron. S = 0 for the ideal shape and at most 100; as a rough
guide, below 0.1 a polyhedron is practically ideal and above 3 clearly
distorted (Alvarez, Alemany, Casanova, Cirera, Llunell, Avnir, *Coord.
Chem. Rev.* 2005, **249**, 1693).

Implementation. For a fixed pairing, translation and scale have closed
forms and the best orthogonal transform gives
S = 100 · (1 − ν² / (|P′|²|Q′|²)), where P′, Q′ are the centred point sets
and ν is the sum of the singular values of the 3×3 matrix P′ᵀQ′ (Kabsch /
Umeyama, improper rotations allowed). All the reference polyhedra are
achiral, so allowing reflections gives the same minimum as SHAPE's proper
rotations over all pairings, and pairings that differ by a symmetry
operation of the ideal polyhedron give the same value: only one pairing per
coset of its symmetry group is evaluated (OC-6: 720/48 = 15, TPR-6:
720/12 = 60), all at once, and the table is cached per shape. The choice
of pairing is the minimum over all of them, so it follows the geometry and
does not depend on the order in which donors are given.

>>> import numpy as np
>>> prism = ideal_polyhedron("TPR-6")
>>> round(float(cshm(prism.center, prism.vertices, "OC-6")), 3)
16.737
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np

__all__ = [
    "IdealPolyhedron",
    "cshm",
    "generalized_coordinate",
    "ideal_polyhedron",
    "path_deviation",
    "shape_labels",
    "shape_measures",
]


@dataclass(frozen=True, eq=False)
class IdealPolyhedron:
    """An ideal reference polyhedron as SHAPE defines it, centre at the origin.

    ``vertices`` (N, 3) are the donor positions and ``center`` the position
    of the central atom (the origin), scaled so that the N + 1 points have
    unit root-mean-square distance from their centroid (SHAPE's and
    cosymlib's normalisation; scale does not affect the measure).
    """

    label: str
    name: str
    point_group: str
    vertices: np.ndarray
    center: np.ndarray

    @property
    def n(self) -> int:
        return len(self.vertices)


def _unit(polar: float, azimuth: float) -> list[float]:
    t, p = np.radians(polar), np.radians(azimuth)
    return [np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)]


def _ring(k: int, polar: float = 90.0, phase: float = 0.0) -> list[list[float]]:
    """k unit vectors at one polar angle, evenly spaced in azimuth."""
    return [_unit(polar, phase + 360.0 * j / k) for j in range(k)]


_UP, _DOWN = [[0.0, 0.0, 1.0]], [[0.0, 0.0, -1.0]]
# Pentagonal Johnson solids (J2, J13): equilateral triangles on a pentagon of
# unit circumradius put the apex 1/φ from the pentagon's centre.
_J_APEX = np.sqrt((2.0 * np.sin(np.radians(36.0))) ** 2 - 1.0)

# label: (name, point group, vertex directions and distances from the centre).
# The centre is where SHAPE puts the central atom: equidistant from all
# vertices for the "spherical" shapes, at the centre of the polygon for the
# pyramids of Johnson solids (JPPY-6, JPBPY-7) and at the shared face of J12.
_DEFINITIONS: dict[str, tuple[str, str, list[list[float]]]] = {
    "SP-4": ("square", "D4h", _ring(4)),
    "T-4": (
        "tetrahedron",
        "Td",
        (np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) / np.sqrt(3.0)).tolist(),
    ),
    "SS-4": ("seesaw (cis-divacant octahedron)", "C2v", _UP + _DOWN + _ring(4)[:2]),
    "vTBPY-4": ("axially vacant trigonal bipyramid", "C3v", _UP + _ring(3)),
    "PP-5": ("pentagon", "D5h", _ring(5)),
    "vOC-5": ("vacant octahedron (Johnson square pyramid J1)", "C4v", _UP + _ring(4)),
    "TBPY-5": ("trigonal bipyramid", "D3h", _UP + _DOWN + _ring(3)),
    # Spherical square pyramid: basal donors at cos θ = −1/4 from the apex axis.
    "SPY-5": ("spherical square pyramid", "C4v", _UP + _ring(4, np.degrees(np.arccos(-0.25)))),
    "JTBPY-5": (
        "Johnson trigonal bipyramid (J12)",
        "D3h",
        [[0.0, 0.0, np.sqrt(2.0)], [0.0, 0.0, -np.sqrt(2.0)], *_ring(3)],
    ),
    "HP-6": ("hexagon", "D6h", _ring(6)),
    "PPY-6": ("pentagonal pyramid", "C5v", _UP + _ring(5)),
    "OC-6": ("octahedron", "Oh", _UP + _DOWN + _ring(4)),
    # Regular (equilateral) trigonal prism: side √3 and height √3 for unit circumradius in plane.
    "TPR-6": (
        "trigonal prism",
        "D3h",
        [[x, y, s * np.sqrt(3.0) / 2.0] for s in (1, -1) for x, y, _ in _ring(3)],
    ),
    "JPPY-6": ("Johnson pentagonal pyramid (J2)", "C5v", [[0.0, 0.0, _J_APEX], *_ring(5)]),
    "HP-7": ("heptagon", "D7h", _ring(7)),
    "HPY-7": ("hexagonal pyramid", "C6v", _UP + _ring(6)),
    "PBPY-7": ("pentagonal bipyramid", "D5h", _UP + _DOWN + _ring(5)),
    # SHAPE's spherical capped octahedron and capped trigonal prism are tabulated
    # numerically; these polar angles reproduce its coordinates to ~1e-7.
    "COC-7": (
        "capped octahedron",
        "C3v",
        _UP + _ring(3, 77.8700017, 90.0) + _ring(3, 133.4759981, 30.0),
    ),
    "CTPR-7": (
        "capped trigonal prism",
        "C2v",
        _UP + _ring(4, 76.2662520, 45.0) + _ring(2, 141.8669984),
    ),
    "JPBPY-7": (
        "Johnson pentagonal bipyramid (J13)",
        "D5h",
        [[0.0, 0.0, _J_APEX], [0.0, 0.0, -_J_APEX], *_ring(5)],
    ),
    "OP-8": ("octagon", "D8h", _ring(8)),
    "HPY-8": ("heptagonal pyramid", "C7v", _UP + _ring(7)),
    "HBPY-8": ("hexagonal bipyramid", "D6h", _UP + _DOWN + _ring(6)),
    "CU-8": (
        "cube",
        "Oh",
        _ring(4, np.degrees(np.arccos(1 / np.sqrt(3.0))), 45.0)
        + _ring(4, 180.0 - np.degrees(np.arccos(1 / np.sqrt(3.0))), 45.0),
    ),
    # Square antiprism with all edges equal: tan²θ = 2√2 for the polar angle θ.
    "SAPR-8": (
        "square antiprism",
        "D4d",
        _ring(4, np.degrees(np.arctan(np.sqrt(2.0 * np.sqrt(2.0)))), 45.0)
        + _ring(4, 180.0 - np.degrees(np.arctan(np.sqrt(2.0 * np.sqrt(2.0))))),
    ),
    # SHAPE's triangular dodecahedron (D2d, S4 axis along z): two sets of four
    # donors at polar angles 36.8496° and 69.4595°, the second 0.99996541 as far.
    "TDD-8": (
        "triangular dodecahedron",
        "D2d",
        _ring(2, 36.8495856)
        + _ring(2, 143.1504144, 90.0)
        + (0.99996541 * np.array(_ring(2, 69.4595029, 90.0) + _ring(2, 110.5404971))).tolist(),
    ),
}


def shape_labels(n: int | None = None) -> tuple[str, ...]:
    """SHAPE labels of the available ideal polyhedra, all or those with ``n`` vertices.

    >>> shape_labels(6)
    ('HP-6', 'PPY-6', 'OC-6', 'TPR-6', 'JPPY-6')
    """
    labels = tuple(_DEFINITIONS)
    if n is None:
        return labels
    return tuple(label for label in labels if len(_DEFINITIONS[label][2]) == n)


@functools.cache
def ideal_polyhedron(label: str) -> IdealPolyhedron:
    """The ideal polyhedron with SHAPE label ``label`` (e.g. ``"OC-6"``), normalised.

    Vertices come from the geometric definition of each shape, with the
    central atom where SHAPE puts it (see the module source for each one).
    """
    try:
        name, group, directions = _DEFINITIONS[label]
    except KeyError:
        raise ValueError(f"unknown shape {label!r}; known: {', '.join(_DEFINITIONS)}") from None
    points = np.vstack([np.asarray(directions, dtype=float), np.zeros((1, 3))])
    points = points - points.mean(axis=0)
    points /= np.sqrt((points**2).sum(axis=1).mean())
    vertices, center = points[:-1] - points[-1], points[-1] - points[-1]
    vertices.setflags(write=False)
    center.setflags(write=False)
    return IdealPolyhedron(label, name, group, vertices, center)


def _symmetry_permutations(vertices: np.ndarray, perms: np.ndarray) -> np.ndarray:
    """Vertex permutations σ that are symmetry operations (those keeping all vᵢ·vⱼ)."""
    gram = vertices @ vertices.T
    permuted = gram[perms[:, :, None], perms[:, None, :]]
    keep = np.abs(permuted - gram).max(axis=(1, 2)) < 1e-6 * np.abs(gram).max()
    return perms[keep]


@functools.cache
def _permutations(n: int) -> np.ndarray:
    perms = np.array(list(itertools.permutations(range(n))), dtype=np.int64)
    perms.setflags(write=False)
    return perms


@functools.cache
def _pairings(label: str) -> np.ndarray:
    """One donor → vertex pairing per coset of the symmetry group: (k, N+1, 3) references.

    Row k holds the ideal polyhedron's points in the order paired with the
    problem's donors (vertex π(i) for donor i), then its centre; centred and
    scaled to unit Frobenius norm.
    """
    ideal = ideal_polyhedron(label)
    n = ideal.n
    perms = _permutations(n)
    group = _symmetry_permutations(ideal.vertices, perms)
    # Canonical member of the orbit {σ∘π}: the lexicographically smallest one.
    weights = n ** np.arange(n - 1, -1, -1, dtype=np.int64)
    own = perms @ weights
    canonical = own.copy()
    for sigma in group:
        np.minimum(canonical, sigma[perms] @ weights, out=canonical)
    reps = perms[own == canonical]
    points = np.vstack([ideal.vertices, ideal.center[None, :]])
    points = points - points.mean(axis=0)
    points /= np.linalg.norm(points)
    table = np.concatenate([points[reps], np.broadcast_to(points[-1], (len(reps), 1, 3))], axis=1)
    table.setflags(write=False)
    return table


def _prepare(center: np.ndarray, ligands: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(..., N+1, 3) problem points (donors, then the centre), centred; and Σ|q − q₀|²."""
    c = np.asarray(center, dtype=float)
    lig = np.asarray(ligands, dtype=float)
    if c.ndim < 1 or c.shape[-1] != 3:
        raise ValueError(f"center must have shape (..., 3), got {c.shape}")
    if lig.ndim < 2 or lig.shape[-1] != 3:
        raise ValueError(f"ligands must have shape (..., n, 3), got {lig.shape}")
    batch = np.broadcast_shapes(c.shape[:-1], lig.shape[:-2])
    q = np.empty((*batch, lig.shape[-2] + 1, 3))
    q[..., :-1, :] = lig
    q[..., -1, :] = c
    q -= q.sum(axis=-2, keepdims=True) / q.shape[-2]
    return q, (q * q).sum(axis=(-1, -2))


def _best_nuclear_norms(r: np.ndarray, starts: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """max over each shape's pairings of ν = σ₁ + σ₂ + σ₃ = max over O(3) of tr(R·H).

    ``r`` (..., 3, 3, K) holds the K matrices (all pairings of all shapes)
    transposed, r[..., b, a, k] = H_ab; ``starts`` says where each shape's
    pairings begin and ``owner`` (K,) the shape of each pairing; returns
    (..., n_shapes).

    A batched SVD of 3×3 matrices costs microseconds per matrix; instead ν is
    the largest root of f(ν) = (ν² − t₁)² − 8|det H|·ν − 4t₂, where
    t₁ = Σσᵢ² and t₂ = Σᵢ<ⱼ σᵢ²σⱼ² are invariants of HᵀH (the quaternion
    characteristic polynomial of D. L. Theobald, *Acta Cryst.* 2005, **A61**,
    478, here for O(3)). From Σσᵢσⱼ ≤ √(3t₂) and (Σσᵢσⱼ)² = t₂ + 2|det H|ν
    ≥ t₂ + 2|det H|√t₁ the root lies in [L, U] with
    L = √(t₁ + 2√(t₂ + 2|det H|√t₁)) and U = √(t₁ + 2√(3t₂)): pairings whose
    U is below the best L of their shape cannot win and are dropped, and
    Newton's method from U, which decreases monotonically onto the root
    (f is convex there) and is exact at once for a perfect fit, polishes
    the rest. Agrees with the SVD to ~1e-15 relative.
    """
    m = np.einsum("...bak,...cak->...bck", r, r)  # HᵀH
    t1 = m[..., 0, 0, :] + m[..., 1, 1, :] + m[..., 2, 2, :]
    t2 = np.maximum(0.5 * (t1 * t1 - (m * m).sum(axis=(-3, -2))), 0.0)
    g = [[r[..., b, a, :] for b in range(3)] for a in range(3)]  # g[a][b] = H_ab
    e3 = np.abs(
        g[0][0] * (g[1][1] * g[2][2] - g[1][2] * g[2][1])
        + g[0][1] * (g[1][2] * g[2][0] - g[1][0] * g[2][2])
        + g[0][2] * (g[1][0] * g[2][1] - g[1][1] * g[2][0])
    )
    floor = np.sqrt(t1)  # ν² = t₁ + 2Σσᵢσⱼ ≥ t₁
    lower = np.sqrt(t1 + 2.0 * np.sqrt(t2 + 2.0 * e3 * floor))
    upper = np.sqrt(t1 + 2.0 * np.sqrt(3.0 * t2))
    best_lower = np.maximum.reduceat(lower, starts, axis=-1)[..., owner]
    keep = np.nonzero(upper >= best_lower)
    t1, t2, e8, floor, nu = t1[keep], 4.0 * t2[keep], 8.0 * e3[keep], floor[keep], upper[keep]
    for _ in range(100):
        u = nu * nu - t1
        slope = 4.0 * nu * u - e8
        # f ≥ 0 and slope > 0 right of the root; rounding aside, so guard both.
        step = np.maximum(u * u - e8 * nu - t2, 0.0) / np.where(slope > 0, slope, np.inf)
        new = np.maximum(nu - step, floor)
        if not (nu - new > 4e-16 * nu).any():
            nu = new
            break
        nu = new
    out = lower.copy()
    out[keep] = nu
    return np.maximum.reduceat(out, starts, axis=-1)


@functools.cache
def _stacked(labels: tuple[str, ...], n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairings of several shapes as one (N+1, 3K) matrix; where each shape starts; owners."""
    tables = []
    for label in labels:
        table = _pairings(label)
        if table.shape[1] != n + 1:
            raise ValueError(f"{label} has {table.shape[1] - 1} vertices, the site has {n} donors")
        tables.append(table)
    stacked = np.concatenate(tables, axis=0)  # (K, N+1, 3)
    # Columns ordered (coordinate a, pairing k) so that Qᵀ·flat holds each H_ab as a slab.
    flat = np.ascontiguousarray(stacked.transpose(1, 2, 0).reshape(n + 1, -1))
    starts = np.cumsum([0] + [len(t) for t in tables[:-1]])
    owner = np.repeat(np.arange(len(tables)), [len(t) for t in tables])
    flat.setflags(write=False)
    return flat, starts, owner


def shape_measures(
    center: np.ndarray, ligands: np.ndarray, shapes: tuple[str, ...] | list[str] | None = None
) -> dict[str, np.ndarray]:
    """CShM of a coordination polyhedron relative to several ideal shapes at once.

    ``center`` (..., 3) is the central atom and ``ligands`` (..., N, 3) its
    donors; ``shapes`` defaults to every shape with N vertices
    (:func:`shape_labels`). Returns {label: array of shape (...)}. One
    matrix product and one vectorised optimal-rotation step serve all shapes,
    so asking for several at once costs little more than for one.

    >>> import numpy as np
    >>> oc = ideal_polyhedron("OC-6")
    >>> {k: round(float(v), 3) for k, v in shape_measures(oc.center, oc.vertices).items()}
    {'HP-6': 33.333, 'PPY-6': 30.437, 'OC-6': 0.0, 'TPR-6': 16.737, 'JPPY-6': 34.028}
    """
    q, norm2 = _prepare(center, ligands)
    n = q.shape[-2] - 1
    labels = shape_labels(n) if shapes is None else tuple(shapes)
    if not labels:
        return {}
    flat, starts, owner = _stacked(labels, n)
    # H_k = P_kᵀ Q for every pairing k of every shape, all from one (3 × N+1)·(N+1 × 3K)
    # product, kept transposed as (..., b, a, k) so that every component is contiguous.
    r = (q.swapaxes(-1, -2) @ flat).reshape(*q.shape[:-2], 3, 3, flat.shape[1] // 3)
    best = _best_nuclear_norms(r, starts, owner)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = 100.0 * (1.0 - best * best / norm2[..., None])
    s = np.where(norm2[..., None] > 0, np.clip(s, 0.0, 100.0), np.nan)
    return {label: s[..., k] for k, label in enumerate(labels)}


# A 1e-5 Å move of one coordinate changes the shape measure of any one pairing by less than
# 100·(2√3 + 2)·step/|Q′| (|Q′|: root of Σ|q − q₀|²; ν is √3-Lipschitz, |P′| = 1), so only
# pairings within twice that of the best one can be the best for a displaced copy.
_PAIRING_MARGIN = 2000.0


def shape_measures_with_copies(
    center: np.ndarray,
    ligands: np.ndarray,
    displaced: np.ndarray,
    labels: tuple[str, ...],
    step: float,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Shape measures of k polyhedra and of their displaced copies (for finite differences).

    ``center`` (k, 3) and ``ligands`` (k, n, 3) are the polyhedra, ``displaced``
    (k, c, n+1, 3) c copies of each (centre first) with one coordinate moved by
    ``step`` Å. The polyhedra get :func:`shape_measures`, every pairing of every
    shape. A copy displaced by ``step`` can only be best fitted by a pairing whose
    measure on the undisplaced polyhedron is within :data:`_PAIRING_MARGIN`·step/|Q′|
    of the best one; the copies are measured with those pairings only (usually one
    per shape, out of up to 5040 for an eight-coordinate shape), which is the same
    minimum: the finite-difference su's do not change (to rounding).
    """
    values = shape_measures(center, ligands, labels)
    q, norm2 = _prepare(center, ligands)
    dq, dnorm2 = _prepare(displaced[..., 0, :], displaced[..., 1:, :])
    k, n = ligands.shape[:2]
    with np.errstate(invalid="ignore", divide="ignore"):
        margin = _PAIRING_MARGIN * step / np.sqrt(norm2) + 1e-9
    chosen, counts = [], []
    for label in labels:
        table = _pairings(label)  # (K, n+1, 3)
        flat, _, _ = _stacked((label,), n)
        every = np.arange(len(table))
        r = (q.swapaxes(-1, -2) @ flat).reshape(k, 3, 3, len(table))
        nu = _best_nuclear_norms(r, every, every)  # each pairing on its own
        with np.errstate(invalid="ignore", divide="ignore"):
            measure = 100.0 * (1.0 - nu * nu / norm2[:, None])
        best = measure.min(axis=1)
        near = measure <= (best + margin)[:, None]
        near[~(np.isfinite(best) & np.isfinite(margin))] = True  # degenerate: all of them
        count = near.sum(axis=1)
        width = int(count.max())
        picked = np.argsort(~near, axis=1, kind="stable")[:, :width]  # the near ones first
        # pad with a repeat of the site's first pairing: repeats do not change a maximum
        picked = np.where(np.arange(width)[None] < count[:, None], picked, picked[:, :1])
        chosen.append(table[picked])  # (k, width, n+1, 3)
        counts.append(width)
    references = np.concatenate(chosen, axis=1)
    starts = np.cumsum([0, *counts[:-1]])
    owner = np.repeat(np.arange(len(labels)), counts)
    # H = Pᵀ Q for each copy and chosen pairing, laid out (…, b, a, pairing) as shape does
    r = np.einsum("kcpa,kdpb->kdbac", references, dq)
    best_nu = _best_nuclear_norms(r, starts, owner)
    with np.errstate(invalid="ignore", divide="ignore"):
        moved = 100.0 * (1.0 - best_nu * best_nu / dnorm2[..., None])
    moved = np.where(dnorm2[..., None] > 0, np.clip(moved, 0.0, 100.0), np.nan)
    return values, {label: moved[..., j] for j, label in enumerate(labels)}


def cshm(center: np.ndarray, ligands: np.ndarray, shape: str) -> np.ndarray:
    """Continuous shape measure S_shape of a polyhedron with its central atom, shape (...).

    S = min 100 Σᵢ|qᵢ − pᵢ|² / Σᵢ|qᵢ − q₀|² over the N donors and the
    central atom (paired with the centre of the ideal polyhedron), minimised
    over rotation, translation, scale and donor pairings (Zabrodsky, Peleg,
    Avnir, *J. Am. Chem. Soc.* 1992, **114**, 7843; Pinsky, Avnir, *Inorg.
    Chem.* 1998, **37**, 5575; SHAPE 2.1 and cosymlib with the central atom).

    >>> import numpy as np
    >>> oc = ideal_polyhedron("OC-6")
    >>> round(float(cshm(oc.center + 5.0, 2.0 * oc.vertices + 5.0, "OC-6")), 9)
    0.0
    """
    return shape_measures(center, ligands, (shape,))[shape]


@functools.cache
def _path_angle(shape_a: str, shape_b: str) -> float:
    """θ_AB = arcsin(√S_B(A)/10): the ideal A measured against B (radians)."""
    ideal = ideal_polyhedron(shape_a)
    return float(np.arcsin(np.sqrt(cshm(ideal.center, ideal.vertices, shape_b)) / 10.0))


def path_deviation(
    center: np.ndarray, ligands: np.ndarray, shape_a: str = "OC-6", shape_b: str = "TPR-6"
) -> np.ndarray:
    """Deviation from the minimal distortion path between shapes A and B, in percent.

    Δ = 100 · ([arcsin(√S_A/10) + arcsin(√S_B/10)] / θ_AB − 1), with
    θ_AB = arcsin(√S_B(A)/10) the measure of ideal A relative to B
    (Cirera, Ruiz, Alvarez, *Organometallics* 2005, **24**, 1556; reported
    in percent by SHAPE and cosymlib). 0 on the path; the default pair is
    the Bailar (octahedron ↔ trigonal prism) path.

    >>> prism = ideal_polyhedron("TPR-6")
    >>> round(float(path_deviation(prism.center, prism.vertices)), 4)
    0.0
    """
    measures = shape_measures(center, ligands, (shape_a, shape_b))
    total = np.arcsin(np.sqrt(measures[shape_a]) / 10.0) + np.arcsin(
        np.sqrt(measures[shape_b]) / 10.0
    )
    return 100.0 * (total / _path_angle(shape_a, shape_b) - 1.0)


def generalized_coordinate(
    center: np.ndarray, ligands: np.ndarray, shape_a: str = "OC-6", shape_b: str = "TPR-6"
) -> np.ndarray:
    """Generalised coordinate along the A → B minimal distortion path, in percent.

    φ = 100 · arcsin(√S_A/10) / θ_AB: 0 at the ideal A, 100 at the ideal B
    (Cirera, Ruiz, Alvarez, *Organometallics* 2005, **24**, 1556; cosymlib's
    ``generalized_coordinate``, which rounds it to 0.1). Meaningful when the
    path deviation is small.
    """
    s_a = cshm(center, ligands, shape_a)
    return 100.0 * np.arcsin(np.sqrt(s_a) / 10.0) / _path_angle(shape_a, shape_b)
