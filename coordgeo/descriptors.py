"""Geometric descriptors the coordination-chemistry literature asks for, with Jacobians for su's.

τ4 and τ4′ (four-coordinate), τ5 (five-coordinate), the quadratic elongation ⟨λ⟩ and
bond-angle variance σ² (tetrahedra and octahedra, as VESTA prints them), Halcrow's φ and θ
for bis(tridentate) complexes, the angle between two least-squares planes and chelate bite
angles.

Every function follows :mod:`coordgeo.distortion`: the metal ``center`` has shape
``(..., 3)``, its donors ``ligands`` ``(..., n, 3)`` (Cartesian, Å), leading axes are a
batch, and a quantity undefined for the site's coordination number is NaN
(:func:`undefined_reason` says why). With ``with_jacobian=True`` a function returns
``(values, jacobian)``: the derivatives of the values with respect to the coordinates,
shape ``(..., n + 1, 3)`` (per value), rows in the order **centre first, then the donors**,
the order :func:`coordgeo.geometry.displaced_copies` perturbs ``[centre, donors]`` in. Each
docstring says whether its Jacobian is analytic or a vectorised central finite difference
(step :data:`coordgeo.geometry.FINITE_DIFFERENCE_STEP`).

su's come from the Jacobian by linearisation, as everywhere in coordgeo
(:mod:`coordgeo.geometry`): :func:`su_in_structure` for atoms of a crystal structure (the
symmetry images of one site share its covariance, cell su's included: it is
:func:`coordgeo.geometry.propagate_su`), :func:`propagate_su` for plain Cartesian
covariances. :func:`snap_zero` turns a value that symmetry fixes at zero, and its rounding-
level su, into an exact 0 with su 0.

>>> import numpy as np
>>> tetrahedron = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) / np.sqrt(3)
>>> t = np.zeros(3), tetrahedron
>>> round(float(tau4(*t)), 6), round(float(tau4_prime(*t)), 6)
(1.000408, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from coordgeo.geometry import (
    FINITE_DIFFERENCE_STEP,
    _angle_grad,
    connected_components,
    displaced_copies,
)
from coordgeo.shape import site_points

__all__ = [
    "DESCRIPTORS",
    "TETRAHEDRAL_ANGLE",
    "bite_angles",
    "bond_angle_variance",
    "central_donors",
    "finite_difference_jacobian",
    "halcrow_phi",
    "halcrow_theta",
    "plane_angle",
    "propagate_su",
    "quadratic_elongation",
    "site_descriptors",
    "snap_zero",
    "su_in_structure",
    "tau4",
    "tau4_prime",
    "tau5",
    "undefined_reason",
]

#: The tetrahedral angle arccos(−1/3) = 109.4712…°.
TETRAHEDRAL_ANGLE = math.degrees(math.acos(-1.0 / 3.0))

#: Descriptor → the coordination numbers it is defined for (None: any, given its inputs).
DESCRIPTORS: dict[str, tuple[int, ...] | None] = {
    "tau4": (4,),
    "tau4_prime": (4,),
    "tau5": (5,),
    "quadratic_elongation": (4, 6),
    "bond_angle_variance": (4, 6),
    "halcrow_phi": (6,),
    "halcrow_theta": (6,),
    "bite_angles": None,
}

_NAMES = {
    "tau4": "τ4",
    "tau4_prime": "τ4′",
    "tau5": "τ5",
    "quadratic_elongation": "⟨λ⟩",
    "bond_angle_variance": "σ²",
    "halcrow_phi": "Halcrow's φ",
    "halcrow_theta": "Halcrow's θ",
}


def undefined_reason(name: str, n: int) -> str:
    """Why descriptor ``name`` is empty for a site with ``n`` donors ("" when it is defined).

    >>> undefined_reason("tau5", 6)
    'τ5 is defined for five-coordinate sites only (this site has 6 donors)'
    >>> undefined_reason("tau4", 4)
    ''
    """
    if name not in DESCRIPTORS:
        raise ValueError(f"unknown descriptor {name!r}; known: {', '.join(DESCRIPTORS)}")
    allowed = DESCRIPTORS[name]
    if allowed is None or n in allowed:
        return ""
    words = {4: "four", 5: "five", 6: "six"}
    sites = " and ".join(f"{words[k]}-coordinate" for k in allowed)
    return f"{_NAMES[name]} is defined for {sites} sites only (this site has {n} donors)"


# --- shared machinery -----------------------------------------------------------------------


def _angles_with_gradients(x: np.ndarray, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """L–M–L angles (°) of donor ``pairs`` (p, 2) and their gradients (..., p, n + 1, 3).

    ``x`` (..., n + 1, 3) has the centre first; donor i is row i + 1. The
    analytic angle gradient of :mod:`coordgeo.geometry` (°/Å).
    """
    pairs = np.asarray(pairs, dtype=int).reshape(-1, 2)
    trio = np.stack([x[..., pairs[:, 0] + 1, :], x[..., [0] * len(pairs), :],
                     x[..., pairs[:, 1] + 1, :]], axis=-2)  # fmt: skip
    values, grad = _angle_grad(trio)  # (..., p), (..., p, 3, 3)
    jac = np.zeros((*x.shape[:-2], len(pairs), x.shape[-2], 3))
    rows = np.arange(len(pairs))
    jac[..., rows, pairs[:, 0] + 1, :] += grad[..., 0, :]
    jac[..., rows, 0, :] += grad[..., 1, :]
    jac[..., rows, pairs[:, 1] + 1, :] += grad[..., 2, :]
    return values, jac


def _all_pairs(n: int) -> np.ndarray:
    i, j = np.triu_indices(n, k=1)
    return np.stack([i, j], axis=-1)


def _sorted_angles(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every L–M–L angle of each site in ascending order (stable), with its gradient:
    (..., p) and (..., p, n + 1, 3), p = n(n − 1)/2."""
    angles, grads = _angles_with_gradients(x, _all_pairs(x.shape[-2] - 1))
    order = np.argsort(angles, axis=-1, kind="stable")
    angles = np.take_along_axis(angles, order, axis=-1)
    return angles, np.take_along_axis(grads, order[..., None, None], axis=-3)


def _affine_in_two_largest(
    center: np.ndarray,
    ligands: np.ndarray,
    n: int,
    coefficients: tuple[float, float, float],
    with_jacobian: bool,
    angles: tuple[np.ndarray, np.ndarray] | None = None,
):
    """c + b·β + a·α of the two largest L–M–L angles β ≥ α, NaN unless there are n donors.

    ``coefficients`` are (c, b, a). τ4, τ4′ and τ5 are all of this form, so their
    analytic Jacobian is b·∇β + a·∇α (angle gradients of :func:`_sorted_angles`).
    ``angles``: :func:`_sorted_angles` of these points when known (not worked out again).
    """
    constant, d_beta, d_alpha = coefficients
    x = site_points(center, ligands)
    if x.shape[-2] != n + 1:
        return _undefined(x, with_jacobian)
    angles, grads = _sorted_angles(x) if angles is None else angles
    values = constant + d_beta * angles[..., -1] + d_alpha * angles[..., -2]
    if not with_jacobian:
        return values
    return values, d_beta * grads[..., -1, :, :] + d_alpha * grads[..., -2, :, :]


def _undefined(x: np.ndarray, with_jacobian: bool, extra: tuple[int, ...] = ()):
    values = np.full((*x.shape[:-2], *extra), np.nan)
    if not with_jacobian:
        return values
    return values, np.full((*x.shape[:-2], *extra, *x.shape[-2:]), np.nan)


def finite_difference_jacobian(
    func: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    step: float = FINITE_DIFFERENCE_STEP,
) -> tuple[np.ndarray, np.ndarray]:
    """Values and central-difference Jacobian of ``func`` of positions ``x`` (..., m, 3).

    ``func`` maps (..., m, 3) to (...) or (..., q) and is vectorised: it is
    called once on ``x`` and once on all 6m copies of
    :func:`coordgeo.geometry.displaced_copies`. Returns the values and
    ∂f/∂x, shape (..., m, 3) or (..., q, m, 3).
    """
    x = np.asarray(x, dtype=float)
    batch, m = x.shape[:-2], x.shape[-2]
    flat = x.reshape(-1, m, 3)
    values = np.asarray(func(x), dtype=float)
    moved = np.asarray(func(displaced_copies(flat, step)), dtype=float)  # (B, 6m[, q])
    grad = (moved[:, 0::2] - moved[:, 1::2]) / (2.0 * step)  # (B, 3m[, q])
    grad = grad.reshape(len(flat), m, 3, *grad.shape[2:])
    if grad.ndim == 4:  # (B, m, 3, q) → (B, q, m, 3)
        grad = np.moveaxis(grad, -1, 1)
    return values, grad.reshape(*batch, *grad.shape[1:])


# --- τ4, τ4′, τ5 ----------------------------------------------------------------------------


def tau4(
    center: np.ndarray,
    ligands: np.ndarray,
    *,
    with_jacobian: bool = False,
    angles: tuple[np.ndarray, np.ndarray] | None = None,
):
    """Four-coordinate geometry index τ4 = (360° − (α + β)) / 141°.

    α and β are the two largest L–M–L angles (L. Yang, D. R. Powell, R. P.
    Houser, *Dalton Trans.* 2007, 955). 0 for a square plane, 1.0004 for a
    regular tetrahedron (2·109.47° leaves 141.06°, and the authors divide by
    141), 0.43 for a seesaw (C2v, 180° and 120°), 0.85 for a trigonal
    pyramid. NaN unless there are four donors.

    Jacobian: analytic, −(∇α + ∇β)/141° (1/Å), from the angle gradients;
    where the two largest angles tie with a third (a regular tetrahedron)
    τ4 has a kink and this is the gradient of one choice.

    Parameters
    ----------
    center : array_like, shape (..., 3)
        The metal, Cartesian Å.
    ligands : array_like, shape (..., n, 3)
        Its donors.
    with_jacobian : bool
        Also return the Jacobian.
    angles : tuple of ndarray, optional
        Every L–M–L angle of these points in ascending order, (..., p), and its gradient,
        (..., p, n + 1, 3), as :func:`_sorted_angles` gives them, when they are known
        already (τ4, τ4′ and σ² of one site share them); not worked out again.

    Returns
    -------
    value : ndarray, shape (...)
        τ4, dimensionless; NaN unless n = 4.
    jacobian : ndarray, shape (..., n + 1, 3)
        ∂value/∂x, rows centre first (only with ``with_jacobian``).
    """
    # (360° − α − β)/141°
    return _affine_in_two_largest(
        center, ligands, 4, (360.0 / 141.0, -1.0 / 141.0, -1.0 / 141.0), with_jacobian, angles
    )


def tau4_prime(
    center: np.ndarray,
    ligands: np.ndarray,
    *,
    with_jacobian: bool = False,
    angles: tuple[np.ndarray, np.ndarray] | None = None,
):
    """Improved four-coordinate index τ4′ = (β − α)/(360° − θ) + (180° − β)/(180° − θ).

    β ≥ α are the two largest L–M–L angles and θ = arccos(−1/3) ≈ 109.5° the
    tetrahedral angle (A. Okuniewski, D. Rosiak, J. Chojnacki, B. Becker,
    *Polyhedron* 2015, **90**, 47). 0 for a square plane, 1 for a regular
    tetrahedron, 0.24 for a seesaw (180°, 120°); unlike τ4 it tells a seesaw
    from a trigonal pyramid. NaN unless there are four donors.

    Jacobian: analytic, ∇β·(1/(360° − θ) − 1/(180° − θ)) − ∇α/(360° − θ).

    Parameters
    ----------
    center : array_like, shape (..., 3)
        The metal, Cartesian Å.
    ligands : array_like, shape (..., n, 3)
        Its donors.
    with_jacobian : bool
        Also return the Jacobian.
    angles : tuple of ndarray, optional
        Every L–M–L angle of these points in ascending order, (..., p), and its gradient,
        (..., p, n + 1, 3), as :func:`_sorted_angles` gives them, when they are known
        already (τ4, τ4′ and σ² of one site share them); not worked out again.

    Returns
    -------
    value : ndarray, shape (...)
        τ4′, dimensionless; NaN unless n = 4.
    jacobian : ndarray, shape (..., n + 1, 3)
        ∂value/∂x, rows centre first (only with ``with_jacobian``).
    """
    wide, narrow = 360.0 - TETRAHEDRAL_ANGLE, 180.0 - TETRAHEDRAL_ANGLE
    # (β − α)/wide + (180° − β)/narrow
    coefficients = (180.0 / narrow, 1.0 / wide - 1.0 / narrow, -1.0 / wide)
    return _affine_in_two_largest(center, ligands, 4, coefficients, with_jacobian, angles)


def tau5(center: np.ndarray, ligands: np.ndarray, *, with_jacobian: bool = False):
    """Five-coordinate geometry index τ5 = (β − α)/60°.

    β ≥ α are the two largest L–M–L angles (A. W. Addison, T. N. Rao,
    J. Reedijk, J. van Rijn, G. C. Verschoor, *J. Chem. Soc., Dalton Trans.*
    1984, 1349): 0 for a square pyramid (two trans basal pairs, equal
    angles), 1 for a trigonal bipyramid (180° axial, 120° equatorial). NaN
    unless there are five donors.

    Jacobian: analytic, (∇β − ∇α)/60.

    Parameters
    ----------
    center : array_like, shape (..., 3)
        The metal, Cartesian Å.
    ligands : array_like, shape (..., n, 3)
        Its donors.
    with_jacobian : bool
        Also return the Jacobian.

    Returns
    -------
    value : ndarray, shape (...)
        τ5, dimensionless; NaN unless n = 5.
    jacobian : ndarray, shape (..., n + 1, 3)
        ∂value/∂x, rows centre first (only with ``with_jacobian``).
    """
    # (β − α)/60°
    return _affine_in_two_largest(center, ligands, 5, (0.0, 1.0 / 60.0, -1.0 / 60.0), with_jacobian)


# --- ⟨λ⟩ and σ² (Robinson, Gibbs & Ribbe 1971) ------------------------------------------------


def _ideal_radius(volume: np.ndarray, n: int) -> np.ndarray:
    """l₀: centre-to-vertex distance of the regular polyhedron with ``volume``.

    Octahedron V = (4/3) l₀³; tetrahedron (edge l₀√(8/3)) V = 8 l₀³/(9√3).
    """
    if n == 6:
        return np.cbrt(0.75 * volume)
    return np.cbrt(9.0 * math.sqrt(3.0) * volume / 8.0)


def _elongation(x: np.ndarray, volume: np.ndarray | None = None) -> np.ndarray:
    """⟨λ⟩ of sites x (..., n + 1, 3); ``volume``: their hull volumes, when known."""
    from coordgeo.distortion import polyhedron_volume

    n = x.shape[-2] - 1
    d2 = ((x[..., 1:, :] - x[..., :1, :]) ** 2).sum(axis=-1)
    if volume is None:
        volume = polyhedron_volume(x[..., 0, :], x[..., 1:, :])
    with np.errstate(invalid="ignore"):
        l0 = _ideal_radius(volume, n)
    return d2.sum(axis=-1) / n / (l0 * l0)


def quadratic_elongation(
    center: np.ndarray,
    ligands: np.ndarray,
    *,
    with_jacobian: bool = False,
    volume: tuple[np.ndarray, np.ndarray] | None = None,
):
    """Quadratic elongation ⟨λ⟩ = (1/n) Σᵢ (lᵢ/l₀)², dimensionless, 1 for a regular polyhedron.

    lᵢ are the centre–donor distances and l₀ the centre-to-vertex distance of
    the regular polyhedron of the same volume (K. Robinson, G. V. Gibbs,
    P. H. Ribbe, *Science* 1971, **172**, 567), the volume being that of the
    convex hull of the donors (:func:`coordgeo.distortion.polyhedron_volume`):
    l₀ = (3V/4)^⅓ for an octahedron, (9√3 V/8)^⅓ for a tetrahedron. This is
    VESTA's "quadratic elongation". NaN unless there are four or six donors
    (and for coplanar donors, which have no volume).

    Jacobian: analytic. With S = Σᵢ lᵢ² and l₀² = (cV)^⅔,
    ∂⟨λ⟩ = ∂S/(n l₀²) − (2/3)·⟨λ⟩·∂V/V, where ∂S/∂Lᵢ = 2(Lᵢ − M),
    ∂S/∂M = −Σᵢ 2(Lᵢ − M) and ∂V is the closed form of the hull volume at fixed
    triangles (:func:`coordgeo.distortion.polyhedron_volume_jacobian`).

    Parameters
    ----------
    center : array_like, shape (..., 3)
        The metal, Cartesian Å.
    ligands : array_like, shape (..., n, 3)
        Its donors.
    with_jacobian : bool
        Also return the Jacobian.
    volume : tuple of ndarray, optional
        The hull volume V (...) and its Jacobian ∂V/∂x (..., n + 1, 3) of these points,
        as :func:`coordgeo.distortion.polyhedron_volume_jacobian` gives them, when they
        are known already (the site table has them); used with ``with_jacobian``.

    Returns
    -------
    value : ndarray, shape (...)
        ⟨λ⟩, dimensionless; NaN unless n is 4 or 6.
    jacobian : ndarray, shape (..., n + 1, 3)
        ∂value/∂x, rows centre first (only with ``with_jacobian``).
    """
    x = site_points(center, ligands)
    if x.shape[-2] - 1 not in (4, 6):
        return _undefined(x, with_jacobian)
    if not with_jacobian:
        return _elongation(x)
    from coordgeo.distortion import polyhedron_volume_jacobian

    n = x.shape[-2] - 1
    if volume is None:
        volume = polyhedron_volume_jacobian(x[..., 0, :], x[..., 1:, :])
    volume, d_volume = volume
    value = _elongation(x, volume)  # one hull for the value and its Jacobian
    bond = x[..., 1:, :] - x[..., :1, :]
    d_sum = np.concatenate([-2.0 * bond.sum(axis=-2, keepdims=True), 2.0 * bond], axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        l0 = _ideal_radius(volume, n)
        jac = d_sum / (n * l0 * l0)[..., None, None]
        jac = jac - (2.0 / 3.0) * (value / volume)[..., None, None] * d_volume
    return value, jac


def bond_angle_variance(
    center: np.ndarray,
    ligands: np.ndarray,
    *,
    with_jacobian: bool = False,
    angles: tuple[np.ndarray, np.ndarray] | None = None,
):
    """Bond-angle variance σ² = Σᵢ (θᵢ − θ₀)² / (m − 1), in degrees².

    K. Robinson, G. V. Gibbs, P. H. Ribbe, *Science* 1971, **172**, 567, as
    VESTA prints it: for an octahedron the m = 12 cis L–M–L angles (the 12
    smallest of the 15, as for Σ) with θ₀ = 90°, for a tetrahedron all m = 6
    angles with θ₀ = arccos(−1/3) = 109.47°. 0 for the regular polyhedron.
    NaN unless there are four or six donors.

    Jacobian: analytic, Σᵢ 2(θᵢ − θ₀)∇θᵢ/(m − 1).

    Parameters
    ----------
    center : array_like, shape (..., 3)
        The metal, Cartesian Å.
    ligands : array_like, shape (..., n, 3)
        Its donors.
    with_jacobian : bool
        Also return the Jacobian.
    angles : tuple of ndarray, optional
        Every L–M–L angle of these points in ascending order, (..., p), and its gradient,
        (..., p, n + 1, 3), as :func:`_sorted_angles` gives them, when they are known
        already (τ4, τ4′ and σ² of one site share them); not worked out again.

    Returns
    -------
    value : ndarray, shape (...)
        σ² in degrees²; NaN unless n is 4 or 6.
    jacobian : ndarray, shape (..., n + 1, 3)
        ∂value/∂x, rows centre first (only with ``with_jacobian``).
    """
    x = site_points(center, ligands)
    n = x.shape[-2] - 1
    if n not in (4, 6):
        return _undefined(x, with_jacobian)
    angles, grads = _sorted_angles(x) if angles is None else angles
    if n == 6:  # the 12 cis angles: the 12 smallest of the 15
        ideal, angles, grads = 90.0, angles[..., :12], grads[..., :12, :, :]
    else:
        ideal = TETRAHEDRAL_ANGLE
    m = angles.shape[-1]
    deviation = angles - ideal
    values = (deviation * deviation).sum(axis=-1) / (m - 1)
    if not with_jacobian:
        return values
    return values, (2.0 * deviation[..., None, None] * grads).sum(axis=-3) / (m - 1)


# --- Halcrow's φ and θ, planes, bite angles -------------------------------------------------------


def _partition(partition: Sequence[Sequence[int]], n: int) -> np.ndarray:
    groups = np.asarray(partition, dtype=int)
    if groups.shape != (2, 3):
        raise ValueError("partition must be two ligands of three donors: ((i, j, k), (l, m, n))")
    if len(set(groups.ravel().tolist())) != 6 or groups.min() < 0 or groups.max() >= n:
        raise ValueError(f"partition must name six different donors among {n}, got {partition}")
    return groups


def central_donors(
    center: np.ndarray, ligands: np.ndarray, partition: Sequence[Sequence[int]]
) -> np.ndarray:
    """Index of the central donor of each of two meridional tridentate ligands, (..., 2).

    The central donor is the one not in the ligand's widest L–M–L pair: the
    two terminal donors of a mer-tridentate ligand are roughly trans to each
    other (about 145–160° in [Fe(bpp)₂]²⁺), each about 75–80° from the
    central one.
    """
    x = site_points(center, ligands)
    groups = _partition(partition, x.shape[-2] - 1)
    out = []
    for g in groups:
        pairs = np.array([[g[1], g[2]], [g[0], g[2]], [g[0], g[1]]])  # pair k leaves out g[k]
        angles, _ = _angles_with_gradients(x, pairs)
        out.append(g[np.argmax(angles, axis=-1)])
    return np.stack(out, axis=-1)


def halcrow_phi(
    center: np.ndarray,
    ligands: np.ndarray,
    partition: Sequence[Sequence[int]],
    *,
    with_jacobian: bool = False,
):
    """Halcrow's φ: the trans angle between the central donors of two tridentate ligands (°).

    For a bis(meridional tridentate) complex such as [Fe(bpp)₂]²⁺, φ is the
    N{central}–M–N{central} angle (N{pyridyl}–Fe–N{pyridyl}): 180° in the
    undistorted D2d structure, smaller in the angular Jahn–Teller distortion
    of high-spin Fe(II) (J. M. Holland, J. A. McAllister, C. A. Kilner,
    M. Thornton-Pett, A. J. Bridgeman, M. A. Halcrow, *J. Chem. Soc., Dalton
    Trans.* 2002, 548; M. A. Halcrow, *Coord. Chem. Rev.* 2009, **253**,
    2493). ``partition`` names the donors of the two ligands,
    ``((i, j, k), (l, m, n))`` (indices into ``ligands``, any order); the
    central donor of each is found by :func:`central_donors`. NaN unless
    there are six donors.

    Jacobian: analytic (the angle gradient).

    Parameters
    ----------
    center : array_like, shape (..., 3)
        The metal, Cartesian Å.
    ligands : array_like, shape (..., n, 3)
        Its donors.
    partition : sequence of two sequences of three ints
        The donors (indices into ``ligands``) of each tridentate ligand.
    with_jacobian : bool
        Also return the Jacobian.

    Returns
    -------
    value : ndarray, shape (...)
        φ in degrees; NaN unless n = 6.
    jacobian : ndarray, shape (..., n + 1, 3)
        ∂value/∂x, rows centre first (only with ``with_jacobian``).
    """
    x = site_points(center, ligands)
    if x.shape[-2] != 7:
        return _undefined(x, with_jacobian)
    middle = central_donors(x[..., 0, :], x[..., 1:, :], partition)
    flat = x.reshape(-1, 7, 3)
    pairs = middle.reshape(-1, 2)
    values = np.empty(len(flat))
    jac = np.empty((len(flat), 7, 3))
    for b in range(len(flat)):  # the pair can differ between sites of a batch
        v, g = _angles_with_gradients(flat[b], pairs[b][None])
        values[b], jac[b] = v[0], g[0]
    values = values.reshape(x.shape[:-2])
    if not with_jacobian:
        return values
    return values, jac.reshape(x.shape)


def _normal(points: np.ndarray) -> np.ndarray:
    """Unit normal of the least-squares plane of (..., k, 3) points (orthogonal distances)."""
    centred = points - points.mean(axis=-2, keepdims=True)
    return np.linalg.svd(centred)[2][..., -1, :]


def _plane_angle(points_a: np.ndarray, points_b: np.ndarray) -> np.ndarray:
    cosine = np.abs((_normal(points_a) * _normal(points_b)).sum(axis=-1))
    return np.degrees(np.arccos(np.clip(cosine, 0.0, 1.0)))


def plane_angle(points_a: np.ndarray, points_b: np.ndarray, *, with_jacobian: bool = False):
    """Angle between the least-squares planes of two sets of atoms, 0–90°.

    Each plane minimises the sum of squared orthogonal distances of its
    atoms (normal: the right singular vector of the centred coordinates with
    the smallest singular value; the usual "mean plane" of crystallographic
    programs, V. Schomaker, J. Waser, R. E. Marsh, G. Bergman, *Acta Cryst.*
    1959, **12**, 600). θ = arccos |n_a · n_b|. ``points_a`` (..., ka, 3) and
    ``points_b`` (..., kb, 3), ka, kb ≥ 3.

    Jacobian: central finite differences.

    Parameters
    ----------
    points_a, points_b : array_like, shapes (..., ka, 3) and (..., kb, 3)
        The atoms of each plane, Cartesian Å.
    with_jacobian : bool
        Also return the Jacobian.

    Returns
    -------
    value : ndarray, shape (...)
        The angle in degrees.
    jacobian : ndarray, shape (..., ka + kb, 3)
        ∂value/∂x, rows ``points_a`` then ``points_b`` (only with ``with_jacobian``).
    """
    a = np.asarray(points_a, dtype=float)
    b = np.asarray(points_b, dtype=float)
    if a.shape[-2] < 3 or b.shape[-2] < 3:
        raise ValueError("a least-squares plane needs at least three atoms")
    if not with_jacobian:
        return _plane_angle(a, b)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, (*batch, *a.shape[-2:]))
    b = np.broadcast_to(b, (*batch, *b.shape[-2:]))
    ka = a.shape[-2]
    joined = np.concatenate([a, b], axis=-2)
    return finite_difference_jacobian(
        lambda x: _plane_angle(x[..., :ka, :], x[..., ka:, :]), joined
    )


def halcrow_theta(
    center: np.ndarray,
    ligands: np.ndarray,
    partition: Sequence[Sequence[int]],
    *,
    with_jacobian: bool = False,
):
    """Halcrow's θ: the angle between the planes of two tridentate ligands (°), 90° when ideal.

    θ is the dihedral angle between the least-squares planes of the two
    ligands of a bis(tridentate) complex (Holland et al., *J. Chem. Soc.,
    Dalton Trans.* 2002, 548; Halcrow, *Coord. Chem. Rev.* 2009, **253**,
    2493); here each plane is that of the ligand's three donors (exact for
    three atoms), the ligands being ``partition`` as in :func:`halcrow_phi`.
    For the plane of a ligand's whole backbone pass its atoms to
    :func:`plane_angle`. NaN unless there are six donors.

    Jacobian: central finite differences, (..., 7, 3), centre row zero.

    Parameters
    ----------
    center : array_like, shape (..., 3)
        The metal, Cartesian Å.
    ligands : array_like, shape (..., n, 3)
        Its donors.
    partition : sequence of two sequences of three ints
        The donors (indices into ``ligands``) of each tridentate ligand.
    with_jacobian : bool
        Also return the Jacobian.

    Returns
    -------
    value : ndarray, shape (...)
        θ in degrees (0–90); NaN unless n = 6.
    jacobian : ndarray, shape (..., n + 1, 3)
        ∂value/∂x, rows centre first (only with ``with_jacobian``).
    """
    x = site_points(center, ligands)
    if x.shape[-2] != 7:
        return _undefined(x, with_jacobian)
    groups = _partition(partition, 6) + 1  # rows of x

    def func(y: np.ndarray) -> np.ndarray:
        return _plane_angle(y[..., groups[0], :], y[..., groups[1], :])

    if not with_jacobian:
        return func(x)
    return finite_difference_jacobian(func, x)


def bite_angles(
    center: np.ndarray,
    ligands: np.ndarray,
    pairs: Sequence[Sequence[int]],
    *,
    with_jacobian: bool = False,
):
    """Chelate bite angles: the L–M–L angle of each pair of donors of one chelate ring (°).

    ``pairs`` (p, 2) are donor indices into ``ligands`` (the two donors of a
    chelate ring, e.g. the two N of a bipyridine; the ring itself comes from
    the bond graph). The bite angle of a ligand is fixed largely by its
    backbone and bounds how regular the polyhedron can be (e.g. ~80° for
    2,2′-bipyridine, ~73–80° for the pyridyl–pyrazolyl chelates of bpp;
    P. W. N. M. van Leeuwen, P. C. J. Kamer, J. N. H. Reek, P. Dierkes,
    *Chem. Rev.* 2000, **100**, 2741).

    Jacobian: analytic (the angle gradient).

    Parameters
    ----------
    center : array_like, shape (..., 3)
        The metal, Cartesian Å.
    ligands : array_like, shape (..., n, 3)
        Its donors.
    pairs : sequence of pairs of ints, shape (p, 2)
        The two donors of each chelate ring, indices into ``ligands``.
    with_jacobian : bool
        Also return the Jacobian.

    Returns
    -------
    value : ndarray, shape (..., p)
        The bite angles in degrees.
    jacobian : ndarray, shape (..., p, n + 1, 3)
        ∂value/∂x, rows centre first (only with ``with_jacobian``).
    """
    x = site_points(center, ligands)
    pairs = np.asarray(pairs, dtype=int).reshape(-1, 2)
    n = x.shape[-2] - 1
    if len(pairs) and (pairs.min() < 0 or pairs.max() >= n or (pairs[:, 0] == pairs[:, 1]).any()):
        raise ValueError(f"bite-angle pairs must be two different donors among {n}, got {pairs}")
    values, jac = _angles_with_gradients(x, pairs)
    return (values, jac) if with_jacobian else values


# --- su's ------------------------------------------------------------------------------------


def propagate_su(jacobian: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """su of a function of m atoms from its Cartesian Jacobian and the atoms' covariances.

    σ²(f) = gᵀ C g, linearisation as in :mod:`coordgeo.geometry`.
    ``jacobian`` is (..., m, 3) for one value or (..., q, m, 3) for q values
    (as the descriptor functions return it); ``covariance`` is either one
    3×3 Cartesian covariance per atom, (..., m, 3, 3), for independent atoms
    (σ² = Σₐ gₐᵀ Cₐ gₐ, which is coordgeo.geometry's formula when every atom
    is its own site and the cell is exact), or the joint (..., 3m, 3m)
    covariance of all coordinates. Symmetry images of one crystallographic
    site are correlated: use :func:`su_in_structure` for atoms of a crystal.

    >>> import numpy as np
    >>> g = np.array([[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0]])  # d(x2 − x1)
    >>> float(propagate_su(g, np.stack([np.eye(3) * 0.01**2] * 2)))  # √2 · 0.01
    0.01414213562373095
    """
    g = np.asarray(jacobian, dtype=float)
    c = np.asarray(covariance, dtype=float)
    m = g.shape[-2]
    if c.shape[-2:] == (3, 3) and c.ndim >= 3 and c.shape[-3] == m:
        if g.ndim >= 3 and c.ndim < g.ndim + 1:  # q values: one covariance set for all
            c = np.expand_dims(c, axis=-4)
        var = np.einsum("...ai,...aij,...aj->...", g, c, g)
    elif c.shape[-2:] == (3 * m, 3 * m):
        flat = g.reshape(*g.shape[:-2], 3 * m)
        if flat.ndim >= 2 and c.ndim < flat.ndim + 1:
            c = np.expand_dims(c, axis=-3)
        var = np.einsum("...i,...ij,...j->...", flat, c, flat)
    else:
        raise ValueError(
            f"covariance must be (..., {m}, 3, 3) per atom or (..., {3 * m}, {3 * m}) joint, "
            f"got {c.shape}"
        )
    return np.sqrt(np.maximum(var, 0.0))


def su_in_structure(
    structure,
    sites: np.ndarray,
    ops: np.ndarray,
    shifts: np.ndarray,
    jacobian: np.ndarray,
) -> np.ndarray:
    """su's of descriptors of k polyhedra of a crystal structure, from their Jacobians.

    ``sites``, ``ops`` (k, n + 1) and ``shifts`` (k, n + 1, 3) give the
    atoms, centre first (the rows of the Jacobian), as
    :mod:`coordgeo.polyhedra` builds them from a sphere; ``jacobian`` is
    (k, n + 1, 3) or (k, q, n + 1, 3). The propagation is
    :func:`coordgeo.geometry.propagate_su`: an atom and its symmetry images
    share one site's covariance, special-position constraints and cell su's
    are included. Returns (k,) or (k, q).
    """
    from coordgeo.geometry import image_fract
    from coordgeo.geometry import propagate_su as propagate_in_structure

    sites = np.asarray(sites, dtype=int)
    ops = np.asarray(ops, dtype=int)
    fract = image_fract(structure, sites, ops, np.asarray(shifts, dtype=float))
    g = np.nan_to_num(np.asarray(jacobian, dtype=float))
    if g.ndim == 3:
        return propagate_in_structure(structure, sites, ops, fract, g)
    return np.stack(
        [propagate_in_structure(structure, sites, ops, fract, g[:, k]) for k in range(g.shape[1])],
        axis=-1,
    )


#: Relative size below which :func:`snap_zero` makes a value an exact zero.
SNAP_TOLERANCE = 1e-9


def snap_zero(
    value: np.ndarray | float,
    su: np.ndarray | float,
    scale: np.ndarray | float,
    tol: float = SNAP_TOLERANCE,
) -> tuple[np.ndarray, np.ndarray]:
    """Values that symmetry fixes at zero as an exact 0 with su 0, so they print as ``0``.

    On a site of high symmetry some parameters vanish exactly (ζ and Δ when
    symmetry makes all bonds equal, Σ and Θ on a regular octahedron, a shape
    measure of the ideal shape), but floating point leaves ~1e-16 in the
    value and its finite-difference su (``0.00000000(5)``). Where
    |value| ≤ ``tol``·``scale`` the value and the su become 0; elsewhere both
    are returned unchanged (NaN stays NaN). ``scale`` is the parameter's
    natural size — e.g. n·⟨d⟩ for ζ, 1 for Δ, 180° for angular sums,
    100 for a CShM; with the default tol = 1e-9 nothing a diffractometer
    can measure is snapped (coordinates have su's of ~1e-4 Å).

    >>> snap_zero(3e-17, 5e-8, 12.0)
    (array(0.), array(0.))
    >>> snap_zero(0.02, 0.003, 12.0)
    (array(0.02), array(0.003))
    """
    v = np.asarray(value, dtype=float)
    s = np.asarray(su, dtype=float)
    zero = np.abs(v) <= tol * np.abs(np.asarray(scale, dtype=float))
    return np.where(zero, 0.0, v), np.where(zero, 0.0, s)


#: Columns of :func:`site_descriptors`, each followed by its ``_su`` column.
SITE_COLUMNS = (
    "tau4",
    "tau4_prime",
    "tau5",
    "quadratic_elongation",
    "bond_angle_variance",
    "halcrow_phi",
    "halcrow_theta",
)

#: Smallest widest L–M–L angle (°) of a meridional tridentate ligand: its two terminal
#: donors are roughly trans (145–160° in [Fe(bpp)₂]²⁺, ~158° in LS [Fe(terpy)₂]²⁺); the
#: three donors of a facial ligand are mutually cis (≤ ~100°).
MERIDIONAL_ANGLE = 120.0


def bis_tridentate_partitions(structure, spheres, tolerance: float | None = None) -> dict:
    """The two meridional tridentate ligands of each six-coordinate sphere that has them.

    Two donors belong to one ligand when they are atoms of one molecule of the bonds
    between non-metal atoms (:func:`coordgeo.hbonds.ligand_bonds`, tested exactly with
    symmetry images by :func:`coordgeo.hbonds.intramolecular`): the metal itself and
    every other metal are left out, so a ligand bridging two metals is still one ligand.
    A sphere qualifies when its six donors fall into two ligands of three donors, each
    meridional (its widest L–M–L angle ≥ :data:`MERIDIONAL_ANGLE`): the
    [M(L-tridentate)₂] complexes of Halcrow's φ and θ ([Fe(bpp)₂]²⁺, [Fe(terpy)₂]²⁺,
    [Fe(qsal)₂]⁺). Returns ``{sphere index: ((i, j, k), (l, m, n))}``, donor indices.
    """
    from coordgeo.geometry import image_fract
    from coordgeo.hbonds import intramolecular, ligand_bonds, molecule_components
    from coordgeo.options import DEFAULT_TOLERANCE

    six = [i for i, sp in enumerate(spheres) if sp.coordination_number == 6]
    if not six:
        return {}
    bonds = ligand_bonds(structure, DEFAULT_TOLERANCE if tolerance is None else tolerance)
    # two donors of one ligand are in one component of the ligands' bond graph: a sphere
    # whose donors' components are not three and three, or all one, has no two tridentate
    # ligands, and its 15 pairs need no test of symmetry images
    component = molecule_components(structure, bonds)
    six = [i for i in six if _three_and_three(component[[d.site for d in spheres[i].donors]])]
    if not six:
        return {}
    a, b = np.triu_indices(6, 1)  # the 15 donor pairs of a sphere
    sites = np.array([[d.site for d in spheres[i].donors] for i in six])
    ops = np.array([[d.code.op for d in spheres[i].donors] for i in six])
    shifts = np.array([[d.code.shift for d in spheres[i].donors] for i in six], dtype=float)
    same = intramolecular(
        structure,
        bonds,
        np.stack([sites[:, a], sites[:, b]], -1),
        np.stack([ops[:, a], ops[:, b]], -1),
        np.stack([shifts[:, a], shifts[:, b]], -2),
    ).reshape(len(six), 15)
    out = {}
    for row, i in enumerate(six):
        groups = _ligands(same[row], a, b)
        if sorted(len(g) for g in groups) != [3, 3]:
            continue
        sp = spheres[i]
        x = (
            image_fract(
                structure,
                np.array([sp.metal, *sites[row]]),
                np.array([structure.identity_op, *ops[row]]),
                np.array([(0, 0, 0), *shifts[row]], dtype=float),
            )
            @ structure.cell.orthogonalization.T
        )
        partition = tuple(tuple(g) for g in groups)
        pairs = np.array([[g[p], g[q]] for g in partition for p, q in ((0, 1), (0, 2), (1, 2))])
        angles, _ = _angles_with_gradients(x, pairs)  # the three L–M–L of each ligand
        if angles.reshape(2, 3).max(axis=1).min() >= MERIDIONAL_ANGLE:
            out[i] = partition
    return out


def _three_and_three(labels: np.ndarray) -> bool:
    """Whether six donors' component labels are two groups of three, or one group."""
    counts = sorted(np.unique(labels, return_counts=True)[1].tolist())
    return counts in ([3, 3], [6])


def _ligands(same: np.ndarray, a: np.ndarray, b: np.ndarray) -> list[list[int]]:
    """Donors 0–5 grouped by the pairs that share a ligand (connected components), the
    group of the lowest donor first."""
    labels = connected_components(6, a[same], b[same])
    return [np.flatnonzero(labels == k).tolist() for k in range(labels.max() + 1)]


# descriptors that take the hull volume and its Jacobian when the site table has them
_HULL = ("quadratic_elongation",)
# descriptors that take the sorted L–M–L angles and their gradients (_sorted_angles)
_ANGLES = ("tau4", "tau4_prime", "bond_angle_variance")
# the columns of site_descriptors in order: each of SITE_COLUMNS, then its su
_SITE_AND_SU = tuple(c for name in SITE_COLUMNS for c in (name, f"{name}_su"))


def site_descriptors(
    structure,
    spheres,
    tolerance: float | None = None,
    volumes: dict[int, tuple[np.ndarray, np.ndarray]] | None = None,
) -> dict[str, np.ndarray]:
    """τ4, τ4′, τ5, ⟨λ⟩, σ² and Halcrow's φ and θ of every coordination sphere of a
    structure, with su's.

    Returns ``{column: values}`` for :data:`SITE_COLUMNS` and their ``_su`` columns, one
    value per sphere in order, NaN where a descriptor is undefined for the sphere's
    coordination number (:data:`DESCRIPTORS`). su's by :func:`su_in_structure` from the
    analytic Jacobians, as for the distortion parameters (no su where there is no
    value: coplanar donors have no ⟨λ⟩). φ (:func:`halcrow_phi`) and θ
    (:func:`halcrow_theta`, through the donors) are given for the spheres of two
    meridional tridentate ligands (:func:`bis_tridentate_partitions`, bonds with
    ``tolerance``, default that of the spheres' search), NaN elsewhere. Bite angles are
    per chelate ring, not per site: :func:`bite_angles`. ``volumes`` ({n: (V, ∂V/∂x)} of
    the spheres of each coordination number, in order, as
    :func:`coordgeo.polyhedra.site_columns` leaves them) spares ⟨λ⟩ a second hull.
    """
    return site_descriptors_of([(structure, spheres)], tolerance, [volumes])[0]


def site_descriptors_of(
    jobs: list[tuple],
    tolerance: float | None = None,
    volumes: list[dict | None] | None = None,
    points: list[dict | None] | None = None,
) -> list[dict[str, np.ndarray]]:
    """:func:`site_descriptors` of several structures ``jobs`` [(structure, spheres)], one
    dict per structure: the spheres of one coordination number of all of them go through
    one call of each descriptor, only the su's (each structure's su's) and the
    bis-tridentate ligands (each structure's bonds) are per structure. ``volumes`` one
    ``volumes`` argument of :func:`site_descriptors` (or None) per structure; ``points``
    the positions of each structure's spheres by coordination number, as
    :func:`coordgeo.polyhedra.site_columns_of` leaves them (or None: worked out here).
    """
    from coordgeo.geometry import image_fract
    from coordgeo.geometry import propagate_su as propagate_in_structure

    functions = {
        "tau4": tau4,
        "tau4_prime": tau4_prime,
        "tau5": tau5,
        "quadratic_elongation": quadratic_elongation,
        "bond_angle_variance": bond_angle_variance,
    }
    volumes = volumes or [None] * len(jobs)
    points = points or [None] * len(jobs)
    outs = []
    groups: dict[int, list[tuple]] = {}
    for j, (structure, spheres) in enumerate(jobs):
        k = len(spheres)
        # every column a row of one NaN block (one allocation per structure, not fourteen)
        block = np.full((2 * len(SITE_COLUMNS), k), np.nan)
        outs.append(dict(zip(_SITE_AND_SU, block, strict=True)))
        by_n: dict[int, list[int]] = {}
        for i, sp in enumerate(spheres):
            by_n.setdefault(sp.coordination_number, []).append(i)
        ident = structure.identity_op
        for n, members in by_n.items():
            if not any(n in DESCRIPTORS[m] for m in functions):
                continue
            known = points[j].get(n) if points[j] is not None else None
            if known is None:
                group = [spheres[i] for i in members]
                sites = np.array([[sp.metal] + [a.site for a in sp.donors] for sp in group])
                ops = np.array([[ident] + [a.code.op for a in sp.donors] for sp in group])
                shifts = np.array(
                    [[(0, 0, 0)] + [a.code.shift for a in sp.donors] for sp in group], dtype=float
                )
                fract = image_fract(structure, sites, ops, shifts)
                known = (sites, ops, fract, fract @ structure.cell.orthogonalization.T)
            groups.setdefault(n, []).append((j, np.asarray(members), *known))
    for n, parts in groups.items():
        names = [m for m in functions if n in DESCRIPTORS[m]]
        x = np.concatenate([part[-1] for part in parts]) if len(parts) > 1 else parts[0][-1]
        hulls = [volumes[part[0]] for part in parts]
        angles = None  # the sorted L–M–L angles, once for the descriptors that share them
        if sum(name in _ANGLES for name in names) > 1:
            with np.errstate(invalid="ignore", divide="ignore"):
                angles = _sorted_angles(site_points(x[:, 0], x[:, 1:]))
        for name in names:
            known = {}
            if name in _HULL and all(h is not None and n in h for h in hulls):
                known = {"volume": tuple(np.concatenate([h[n][c] for h in hulls]) for c in (0, 1))}
            if name in _ANGLES and angles is not None:
                known = {"angles": angles}
            with np.errstate(invalid="ignore", divide="ignore"):
                value, jacobian = functions[name](x[:, 0], x[:, 1:], with_jacobian=True, **known)
            lo = 0
            for j, rows, sites, ops, fract, _ in parts:
                part = slice(lo, lo + len(rows))
                lo += len(rows)
                with np.errstate(invalid="ignore", divide="ignore"):
                    # su_in_structure's propagation, the atoms' positions found once per group
                    su = propagate_in_structure(
                        jobs[j][0], sites, ops, fract, np.nan_to_num(jacobian[part])
                    )
                out = outs[j]
                out[name][rows] = value[part]
                out[f"{name}_su"][rows] = np.where(np.isfinite(value[part]), su, np.nan)
    for (structure, spheres), out in zip(jobs, outs, strict=True):
        ident = structure.identity_op
        for i, partition in bis_tridentate_partitions(structure, spheres, tolerance).items():
            sp = spheres[i]
            sites = np.array([[sp.metal] + [a.site for a in sp.donors]])
            ops = np.array([[ident] + [a.code.op for a in sp.donors]])
            shifts = np.array([[(0, 0, 0)] + [a.code.shift for a in sp.donors]], dtype=float)
            x = image_fract(structure, sites, ops, shifts) @ structure.cell.orthogonalization.T
            for name, function in (("halcrow_phi", halcrow_phi), ("halcrow_theta", halcrow_theta)):
                value, jacobian = function(x[:, 0], x[:, 1:], partition, with_jacobian=True)
                su = su_in_structure(structure, sites, ops, shifts, jacobian)
                out[name][i], out[f"{name}_su"][i] = float(value[0]), float(su[0])
    return outs
