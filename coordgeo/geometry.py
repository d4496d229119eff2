"""Distances, angles and torsions between atoms of a crystal, with su's, and neighbour search.

An atom of the crystal is a site of the asymmetric unit plus a
:class:`~coordgeo.symmetry.SymmetryCode`. The vectorised functions take
arrays: ``sites`` (n, m) site indices, ``ops`` (n, m) operator indices and
``shifts`` (n, m, 3) lattice translations for n measurements of m atoms each.

Standard uncertainties
----------------------
No covariance is stored in a CIF, so su's are propagated as PLATON does
(Spek, Acta Cryst. D 2009, 65, 148) by linearisation:

    σ²(f) = Σ_s g_sᵀ C_s g_s + Σ_p (∂f/∂p)² σ_p²

where g_s = Σ_{atoms a of site s} (∂f/∂x_a)·M·R_a is the gradient with
respect to the fractional coordinates of site s (an atom and its symmetry
image share one site, so their contributions add before squaring), C_s the
3×3 covariance of the site's coordinates (independent su's projected onto
its special position), M the orthogonalisation matrix, R_a the rotation of
the atom's operator, and p the cell parameters with their su's. Cell
parameters tied by the lattice (a = b = c in cubic, a = b in tetragonal and
hexagonal) vary together, as in SHELXL. Analytic gradients are used for
distances, angles and torsions, and :func:`su_from_gradients` takes any
other function's analytic Jacobian (⟨d⟩, ζ, Δ, Σ, Θ, volumes and shape
measures: :mod:`coordgeo.polyhedra`); a function without one gets its
gradient by central finite differences through :func:`su_by_finite_differences`.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import gemmi
import numpy as np

from coordgeo.errors import InputError
from coordgeo.model import Structure
from coordgeo.options import check_work_bounds, search_grid_spacing
from coordgeo.symmetry import (
    SymmetryCode,
    check_operator_group,
    cross3,
    format_code,
    vector_lengths,
)

FINITE_DIFFERENCE_STEP = 1e-5  # Å


@dataclass(frozen=True, order=True)
class Atom:
    """One atom of the crystal: site ``site`` of the asymmetric unit transformed by ``code``."""

    site: int
    code: SymmetryCode


def atom_label(structure: Structure, atom: Atom) -> str:
    """``N1`` for an untransformed site, ``N1_2_655`` otherwise (CIF n_klm)."""
    code = format_code(atom.code, structure)
    label = structure.labels[atom.site]
    return label if code == "." else f"{label}_{code}"


def _arrays(structure: Structure, atoms: Sequence[Sequence[Atom]]):
    sites = np.array([[a.site for a in row] for row in atoms], dtype=int)
    ops = np.array([[a.code.op for a in row] for row in atoms], dtype=int)
    shifts = np.array([[a.code.shift for a in row] for row in atoms], dtype=float)
    return sites, ops, shifts.reshape(*sites.shape, 3)


def image_fract(
    structure: Structure, sites: np.ndarray, ops: np.ndarray, shifts: np.ndarray
) -> np.ndarray:
    """Fractional coordinates R·x + t + shift for arrays of sites, operators and shifts.

    R·x + t of the structure's every site and operator is worked out once
    (:func:`_images_of_sites`) and looked up from then on (the same sums); only a few atoms
    of a large crystal (fewer than 1/64 of its site images), asked before that, are worked
    out alone rather than the whole table.
    """
    table = _IMAGE_TABLES.get(structure)
    if table is None:
        if np.size(sites) * 64 < len(structure.fract) * len(structure.symops):
            x = structure.fract[sites]
            rot = structure.rotations_float[ops]
            return np.einsum("...ij,...j->...i", rot, x) + structure.translations[ops] + shifts
        table = _images_of_sites(structure)
    return table[sites, ops] + shifts


def _images_of_sites(structure: Structure) -> np.ndarray:
    """(n, k, 3) R·x + t of every site x under every operator (R, t), unreduced: the one
    expansion of the asymmetric unit, kept per structure (weakly: a bulk run forgets each
    structure) for :func:`image_fract` and :func:`unit_cell_images`. Read-only."""
    table = _IMAGE_TABLES.get(structure)
    if table is None:
        rot = structure.rotations_float
        table = np.einsum("kij,nj->nki", rot, structure.fract) + structure.translations
        table.flags.writeable = False
        _IMAGE_TABLES[structure] = table
    return table


_IMAGE_TABLES: weakref.WeakKeyDictionary[Structure, np.ndarray] = weakref.WeakKeyDictionary()


def cartesian_of(structure: Structure, fract: np.ndarray) -> np.ndarray:
    """Cartesian coordinates (Å) of fractional ones (..., 3): M·x of each, as one (k, 3)
    by (3, 3) product (one BLAS call; a stack of (m, 3) blocks is a call per block, with
    the same three-term sums: tests/test_fast_paths.py)."""
    return (fract.reshape(-1, 3) @ structure.cell.orthogonalization.T).reshape(fract.shape)


def cartesian_elementwise(fract: np.ndarray, orthogonalization: np.ndarray) -> np.ndarray:
    """Cartesian coordinates (..., 3) of fractional ones as elementwise sums,
    x_j = (M_j0 f_0 + M_j1 f_1) + M_j2 f_2: the same bits whatever the array's shape.

    :func:`cartesian_of` is one BLAS product, whose last bit depends on the product's
    shape and kernel (a (p, 1, 3) stack and an (n, 3) matrix differ in most triclinic
    cells). Where a position decides something at a boundary from arrays of different
    shapes, the decision must not depend on them: the ring search, its walks and its
    last chord test (:mod:`coordgeo.rings`) compare the same distances with a bond's
    reach, so they take their positions from here (review 9 found a chord at exactly
    r + r + tolerance that one counted and another did not).
    """
    m = orthogonalization
    return (fract[..., 0:1] * m[:, 0] + fract[..., 1:2] * m[:, 1]) + fract[..., 2:3] * m[:, 2]


def cartesian(structure: Structure, atoms: Sequence[Atom]) -> np.ndarray:
    """(n, 3) Cartesian coordinates (Å) of atoms."""
    sites, ops, shifts = _arrays(structure, [atoms])
    return image_fract(structure, sites[0], ops[0], shifts[0]) @ structure.cell.orthogonalization.T


# --- values and analytic gradients --------------------------------------------------------


def _distance_grad(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = x[..., 1, :] - x[..., 0, :]
    r = vector_lengths(d)
    u = d / np.where(r > 0, r, 1.0)[..., None]
    return r, np.stack([-u, u], axis=-2)


def _angle_grad(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    u = x[..., 0, :] - x[..., 1, :]
    v = x[..., 2, :] - x[..., 1, :]
    lu = vector_lengths(u)[..., None]
    lv = vector_lengths(v)[..., None]
    # an arm of zero length (two labels of one position in a _geom_angle row) has no
    # angle: NaN, silently; check reports such a row as unresolved
    with np.errstate(invalid="ignore", divide="ignore"):
        uh, vh = u / lu, v / lv
        cos = np.clip(np.sum(uh * vh, axis=-1), -1.0, 1.0)
        sin = vector_lengths(cross3(uh, vh))
        theta = np.arctan2(sin, cos)
        # dθ/du = (û cosθ − v̂) / (|u| sinθ); zero where the angle is exactly 0 or 180°
        safe = np.where(sin > 1e-10, sin, np.inf)[..., None]
        ga = (uh * cos[..., None] - vh) / (lu * safe)
        gc = (vh * cos[..., None] - uh) / (lv * safe)
    grad = np.stack([ga, -(ga + gc), gc], axis=-2)
    return np.degrees(theta), np.degrees(grad)


def _torsion_grad(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    b1 = x[..., 1, :] - x[..., 0, :]
    b2 = x[..., 2, :] - x[..., 1, :]
    b3 = x[..., 3, :] - x[..., 2, :]
    n1 = cross3(b1, b2)
    n2 = cross3(b2, b3)
    lb2 = np.linalg.norm(b2, axis=-1)
    phi = np.arctan2(lb2 * np.sum(b1 * n2, axis=-1), np.sum(n1 * n2, axis=-1))
    # a bond of zero length (one atom named twice in a row, two labels of one position)
    # has no torsion: NaN, as for such an angle, not arctan2(0, 0) = 0
    zero = (vector_lengths(b1) == 0) | (lb2 == 0) | (vector_lengths(b3) == 0)
    phi = np.where(zero, np.nan, phi)
    # Blondel & Karplus, J. Comput. Chem. 1996, 17, 1132
    # collinear atoms have no torsion: inf keeps the gradient (and su) at zero there
    n1sq = np.sum(n1 * n1, axis=-1)[..., None]
    n2sq = np.sum(n2 * n2, axis=-1)[..., None]
    n1sq = np.where(n1sq > 1e-12, n1sq, np.inf)
    n2sq = np.where(n2sq > 1e-12, n2sq, np.inf)
    g1 = -lb2[..., None] * n1 / n1sq
    g4 = lb2[..., None] * n2 / n2sq
    with np.errstate(invalid="ignore", divide="ignore"):  # lb2 = 0: phi is NaN already
        f12 = (np.sum(b1 * b2, axis=-1) / lb2**2)[..., None]
        f32 = (np.sum(b3 * b2, axis=-1) / lb2**2)[..., None]
    g2 = -(1.0 + f12) * g1 + f32 * g4
    g3 = f12 * g1 - (1.0 + f32) * g4
    return np.degrees(phi), np.degrees(np.stack([g1, g2, g3, g4], axis=-2))


_GRADIENTS: dict[int, Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]] = {
    2: _distance_grad,
    3: _angle_grad,
    4: _torsion_grad,
}


def measure(
    structure: Structure, sites: np.ndarray, ops: np.ndarray, shifts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Distances (m = 2), angles (m = 3, vertex in the middle) or torsions (m = 4) with su's.

    Arrays are (n, m), (n, m) and (n, m, 3); returns (values, su's), each (n,),
    in Å or degrees.
    """
    sites = np.asarray(sites, dtype=int)
    ops = np.asarray(ops, dtype=int)
    shifts = np.asarray(shifts, dtype=float)
    if sites.shape[0] == 0:
        return np.zeros(0), np.zeros(0)
    f = image_fract(structure, sites, ops, shifts)
    x = cartesian_of(structure, f)
    values, grad = _GRADIENTS[sites.shape[1]](x)
    return values, propagate_su(structure, sites, ops, f, grad)


def distance(structure: Structure, a: Atom, b: Atom) -> tuple[float, float]:
    """Distance a–b in Å and its su."""
    v, s = measure(structure, *_arrays(structure, [[a, b]]))
    return float(v[0]), float(s[0])


def angle(structure: Structure, a: Atom, b: Atom, c: Atom) -> tuple[float, float]:
    """Angle a–b–c (vertex b) in degrees and its su."""
    v, s = measure(structure, *_arrays(structure, [[a, b, c]]))
    return float(v[0]), float(s[0])


def torsion(structure: Structure, a: Atom, b: Atom, c: Atom, d: Atom) -> tuple[float, float]:
    """Torsion angle a–b–c–d in degrees (IUPAC/IUCr sign convention) and its su."""
    v, s = measure(structure, *_arrays(structure, [[a, b, c, d]]))
    return float(v[0]), float(s[0])


# --- su propagation -----------------------------------------------------------------------


def tied_cell_groups(structure: Structure) -> list[list[int]]:
    """Which of (a, b, c, α, β, γ) vary together, from the crystal system (as SHELXL does)."""
    system = structure.crystal_system
    cell = structure.cell
    if system == "cubic":
        return [[0, 1, 2]]
    if system == "trigonal" and abs(cell.gamma - 120.0) > 1e-3:  # rhombohedral axes
        return [[0, 1, 2], [3, 4, 5]]
    if system in ("tetragonal", "trigonal", "hexagonal"):
        return [[0, 1], [2]]
    return [[0], [1], [2], [3], [4], [5]]


@lru_cache(maxsize=64)
def _orthogonalization_derivatives(params: tuple[float, ...]) -> np.ndarray:
    """dM/dp for p = (a, b, c, α, β, γ), angles in degrees: (6, 3, 3), by central differences.

    The twelve displaced cells go through :func:`_orthogonalization_matrices` at once (the
    same floating-point operations as :func:`~coordgeo.model.orthogonalization_matrix`).
    """
    p = np.array([float(x) for x in params])
    h = np.array([1e-6 * (params[k] if k < 3 else 1.0) for k in range(6)])
    up = np.repeat(p[None], 6, axis=0)
    down = up.copy()
    k = np.arange(6)
    up[k, k] += h
    down[k, k] -= h
    matrices = _orthogonalization_matrices(np.concatenate([up, down]))
    return (matrices[:6] - matrices[6:]) / (2 * h)[:, None, None]


@lru_cache(maxsize=64)
def _derivative_columns(params: tuple[float, ...]) -> np.ndarray:
    """:func:`_orthogonalization_derivatives` as one (3, 18) matrix D, D[i, 3p + j] =
    ∂M_ji/∂p: the moved positions (∂M/∂p) x of n atoms for the six p are then one product
    x·D of an (n, 3) and a (3, 18) matrix, not 6n products of a row and a 3×3 matrix
    (the same three-term sums, in the same order). Read-only."""
    dm = _orthogonalization_derivatives(params)
    out = np.ascontiguousarray(dm.transpose(2, 0, 1).reshape(3, 18))
    out.flags.writeable = False
    return out


def _orthogonalization_matrices(params: np.ndarray) -> np.ndarray:
    """:func:`~coordgeo.model.orthogonalization_matrix` of (m, 6) cells: (m, 3, 3)."""
    a, b, c, al, be, ga = params.T
    ca, cb, cg = np.cos(np.radians(np.stack([al, be, ga]))).reshape(3, -1)
    sg = np.sin(np.radians(ga))
    v = np.sqrt(np.maximum(1.0 - ca * ca - cb * cb - cg * cg + 2.0 * ca * cb * cg, 0.0))
    out = np.zeros((len(params), 3, 3))
    out[:, 0, 0] = a
    out[:, 0, 1] = b * cg
    out[:, 0, 2] = c * cb
    out[:, 1, 1] = b * sg
    out[:, 1, 2] = c * (ca - cb * cg) / sg
    out[:, 2, 2] = c * v / sg
    return out


def propagate_su(
    structure: Structure,
    sites: np.ndarray,
    ops: np.ndarray,
    fract: np.ndarray,
    grad_cart: np.ndarray,
) -> np.ndarray:
    """su of n functions of m atoms each, from their Cartesian gradients (n, m, 3).

    ``fract`` (n, m, 3) are the fractional coordinates of the atoms (after
    symmetry); see the module docstring for the formula.
    """
    return _propagate_su_columns(structure, sites, ops, fract, grad_cart[..., None])[:, 0]


def su_by_finite_differences(
    structure: Structure,
    atoms: Sequence[Sequence[Atom]],
    func: Callable[[np.ndarray], np.ndarray],
    step: float = FINITE_DIFFERENCE_STEP,
) -> tuple[np.ndarray, np.ndarray]:
    """Value and su of ``func`` of atom positions, for n groups of m atoms.

    ``func`` maps Cartesian coordinates of shape (..., m, 3) to (...) and must
    be vectorised over the leading axes: it is called once on the n groups
    and once on all 2·3·m displaced copies of each. The gradient comes from
    central differences with ``step`` Å; it then goes through
    :func:`propagate_su`. Returns (values, su's), each (n,); nan values give
    nan su's.
    """
    sites, ops, shifts = _arrays(structure, atoms)
    return su_of_function(structure, sites, ops, shifts, func, step)


def su_of_function(
    structure: Structure,
    sites: np.ndarray,
    ops: np.ndarray,
    shifts: np.ndarray,
    func: Callable[[np.ndarray], np.ndarray],
    step: float = FINITE_DIFFERENCE_STEP,
    values: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Array form of :func:`su_by_finite_differences`.

    ``func`` may return (...) or (..., k) for k quantities at once; the
    values and su's then have shape (n,) or (n, k). ``values``: ``func`` at
    these atoms when the caller has evaluated it already (not evaluated again).
    """
    f = image_fract(structure, sites, ops, shifts)
    x = f @ structure.cell.orthogonalization.T
    if values is None:
        values = np.asarray(func(x), dtype=float)
    out = np.asarray(func(displaced_copies(x, step)), dtype=float)  # (n, 6m[, q])
    return values, su_from_differences(structure, sites, ops, f, values, out, step)


def displaced_copies(x: np.ndarray, step: float = FINITE_DIFFERENCE_STEP) -> np.ndarray:
    """(n, 6m, m, 3): each of the 3m coordinates of (n, m, 3) positions moved by +step, −step."""
    m = x.shape[1]
    displaced = np.repeat(x[:, None], 2 * 3 * m, axis=1)  # (n, 6m, m, 3)
    k = np.arange(3 * m)
    displaced[:, 2 * k, k // 3, k % 3] += step
    displaced[:, 2 * k + 1, k // 3, k % 3] -= step
    return displaced


def su_from_differences(
    structure: Structure,
    sites: np.ndarray,
    ops: np.ndarray,
    fract: np.ndarray,
    values: np.ndarray,
    out: np.ndarray,
    step: float = FINITE_DIFFERENCE_STEP,
) -> np.ndarray:
    """su's from a function's ``values`` (n[, q]) and its values ``out`` (n, 6m[, q]) on the
    :func:`displaced_copies`: central differences, then :func:`propagate_su`."""
    n, m = sites.shape
    grad = (out[:, 0::2] - out[:, 1::2]) / (2 * step)  # (n, 3m[, q])
    if values.ndim == 1:
        su = propagate_su(structure, sites, ops, fract, np.nan_to_num(grad.reshape(n, m, 3)))
        return np.where(np.isfinite(values), su, np.nan)
    # every quantity at once: one set of einsums instead of one per quantity
    g = np.nan_to_num(grad.reshape(n, m, 3, values.shape[1]))
    su = _propagate_su_columns(structure, sites, ops, fract, g)
    return np.where(np.isfinite(values), su, np.nan)


def su_from_gradients(
    structure: Structure,
    sites: np.ndarray,
    ops: np.ndarray,
    fract: np.ndarray,
    values: np.ndarray,
    grad_cart: np.ndarray,
) -> np.ndarray:
    """su's (n, q) of q functions of n groups of m atoms from their Cartesian Jacobians.

    ``values`` (n, q), ``grad_cart`` (n, m, 3, q): ∂fₖ/∂x of each atom (after symmetry),
    e.g. analytic gradients. As :func:`su_from_differences` with the gradient given
    instead of differenced: NaN gradients count as zero, NaN values give NaN su's.
    """
    su = _propagate_su_columns(structure, sites, ops, fract, np.nan_to_num(grad_cart))
    return np.where(np.isfinite(values), su, np.nan)


def _propagate_su_columns(
    structure: Structure,
    sites: np.ndarray,
    ops: np.ndarray,
    fract: np.ndarray,
    grad_cart: np.ndarray,
) -> np.ndarray:
    """:func:`propagate_su` of q functions at once: ``grad_cart`` (n, m, 3, q) → (n, q).

    Products of 3×3 blocks as batched matmuls: a numpy einsum of three or four operands
    runs as one nested loop, ~10× slower for the few rows of a typical structure.
    """
    n, m, _, q = grad_cart.shape
    # g = Rᵀ Mᵀ ∇f: the gradient with respect to the site's fractional coordinates. Mᵀ∇f
    # of every atom and quantity as one (n·m·q, 3)·M product: the same three-term sums
    # as a product per atom, in one BLAS call instead of n·m (tests/test_fast_paths.py)
    rows = grad_cart.reshape(n * m, 3) if q == 1 else grad_cart.swapaxes(-1, -2).reshape(-1, 3)
    mg = rows @ structure.cell.orthogonalization
    mg = (
        mg.reshape(n, m, 3, 1)
        if q == 1
        else np.ascontiguousarray(mg.reshape(n, m, q, 3).swapaxes(-1, -2))
    )
    g = structure.rotations_float[ops].swapaxes(-1, -2) @ mg
    h = structure.fract_cov[sites] @ g  # C g (C symmetric)
    same = sites[:, :, None] == sites[:, None, :]
    if same.sum() == same.shape[0] * same.shape[1]:  # every atom its own site
        var = (h * g).sum(axis=(1, 2))
    else:
        # an atom and its symmetry mates are one site: their terms couple through its
        # covariance, Σₐᵦ [a, b one site] gₐᵀ C gᵦ
        pair = np.moveaxis(h, -1, 1) @ np.moveaxis(g, -1, 1).swapaxes(-1, -2)  # (n, q, a, b)
        var = (pair * same[:, None]).sum(axis=(-1, -2))
    tied = _tied_cell_su(tuple(structure.cell.su), tuple(map(tuple, tied_cell_groups(structure))))
    if tied:
        # ∂f/∂p_k = Σₐ ∇ₐf · (∂M/∂p_k) xₐ
        moved = fract.reshape(n * m, 3) @ _derivative_columns(structure.cell.parameters)
        dfdp = (moved.reshape(n, m, 6, 3) @ grad_cart).sum(axis=1)  # (n, 6, q)
        for group, s in tied:
            # a group of one parameter: its own column (the sum of one term is that term)
            term = dfdp[:, group[0]] if len(group) == 1 else dfdp[:, list(group)].sum(axis=1)
            var = var + (term * s) ** 2
    return np.sqrt(np.maximum(var, 0.0))


@lru_cache(maxsize=64)
def _tied_cell_su(
    su: tuple[float, ...], groups: tuple[tuple[int, ...], ...]
) -> tuple[tuple[tuple[int, ...], float], ...]:
    """The groups of cell parameters that vary together (:func:`tied_cell_groups`) whose su
    is not zero, each with its su, the largest of the group's: the cell's terms of
    :func:`_propagate_su_columns`, worked out once per cell."""
    sigma = np.asarray(su, dtype=float)
    if not sigma.any():
        return ()
    found = ((group, sigma[list(group)].max()) for group in groups)
    return tuple((group, float(s)) for group, s in found if s > 0)


# --- neighbour search ---------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Contacts:
    """Pairs (center site → atom) found by :func:`contacts`; parallel arrays."""

    center: np.ndarray  # (k,) site index of the untransformed center
    site: np.ndarray  # (k,) site index of the neighbour
    op: np.ndarray  # (k,) operator index of the neighbour
    shift: np.ndarray  # (k, 3) int lattice translation of the neighbour
    distance: np.ndarray  # (k,) Å

    def __len__(self) -> int:
        return len(self.center)

    def codes(self) -> list[SymmetryCode]:
        return [
            SymmetryCode(int(o), (int(s[0]), int(s[1]), int(s[2])))
            for o, s in zip(self.op, self.shift, strict=True)
        ]

    def take(self, mask: np.ndarray) -> Contacts:
        return Contacts(
            self.center[mask], self.site[mask], self.op[mask], self.shift[mask], self.distance[mask]
        )


@dataclass(eq=False)
class _UnitCell:
    """Distinct images of every site inside the unit cell, and gemmi's search over them
    (built when a search first needs it: :func:`_cell_list`)."""

    site: np.ndarray
    op: np.ndarray
    shift: np.ndarray  # lattice translation that brought R·x + t into [0, 1)
    fract: np.ndarray
    search: gemmi.NeighborSearch | None = None
    small: gemmi.SmallStructure | None = None  # the cell the search refers to
    radius: float = 0.0  # the cell list's spacing (Å), 0 before it is built


def unit_cell_images(structure: Structure) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every distinct image of every site in the unit cell: (site, op, shift, fract) arrays.

    A site on a special position has fewer images than there are operators;
    of the operators giving the same image, the first in the CIF's list is kept.
    """
    images = _images_of_sites(structure)
    wrap = images + 1e-9  # −⌊x + 1e-9⌋, in place
    np.floor(wrap, out=wrap)
    np.negative(wrap, out=wrap)
    inside = images + wrap
    inside[inside >= 1.0 - 1e-9] = 0.0  # 0.9999999999 and 1.0 are the origin
    n, k = inside.shape[:2]
    keep = np.ones((n, k), dtype=bool)
    rows = _maybe_special(structure, images)
    if (
        len(rows) * k * k > 60_000
    ):  # many operators: image by image (k steps), as for an unclean row
        # axis by axis (3, rows, k), each axis' differences contiguous: the same
        # differences and tests, ~2x faster than on (rows, k, 3) strided by 3
        sub = np.ascontiguousarray(inside[rows].transpose(2, 0, 1))
        kept = keep[rows]
        for j in range(1, k):
            d = sub[:, :, :j] - sub[:, :, j : j + 1]
            d -= d.round()
            np.abs(d, out=d)
            dup = (d[0] < 1e-5) & (d[1] < 1e-5) & (d[2] < 1e-5) & kept[:, :j]
            kept[:, j] = ~dup.any(axis=1)
        keep[rows] = kept
        rows = rows[:0]
    step = max(1, 2_000_000 // (3 * k * k))  # rows per chunk: ~50 MB at most
    later = _later_pairs(k) if len(rows) else None  # pairs i < j
    for start in range(0, len(rows), step):
        chunk = rows[start : start + step]
        sub = inside[chunk]
        d = sub[:, :, None, :] - sub[:, None, :, :]  # d[r, i, j] = image i − image j
        d -= d.round()
        np.abs(d, out=d)
        gap = np.maximum(np.maximum(d[..., 0], d[..., 1]), d[..., 2])  # max over x, y, z
        close = gap < 1e-5
        # images either coincide (to rounding) or are apart: "close" is then transitive and
        # an image goes when it is close to any earlier one (the first of its kind stays)
        clean = ~np.any((gap >= 1e-7) & (gap < 1e-5 + 2e-7), axis=(1, 2))
        keep[chunk[clean]] = ~np.any(close[clean] & later, axis=1)
        for r in np.flatnonzero(~clean).tolist():  # otherwise image by image
            for j in range(1, k):
                dup = close[r, :j, j] & keep[chunk[r], :j]
                keep[chunk[r], j] = not dup.any()
    if keep.all():  # no site on a special position: every image, in site order
        site, op = np.divmod(np.arange(n * k), k)
        fract, images = inside.reshape(-1, 3), images.reshape(-1, 3)
    else:
        site, op = np.nonzero(keep)
        fract, images = inside[site, op], images[site, op]
    shift = fract - images
    return site, op, shift.round(out=shift).astype(int), fract


def _largest_row_sum(rotations: np.ndarray) -> int:
    """max(1, the largest row sum of |R| over the operators), remembered per operator list
    (a space group's list recurs in file after file; the memory is bounded)."""
    key = rotations.tobytes()
    found = _ROW_SUMS.get(key)
    if found is None:
        found = max(1, int(np.abs(rotations).sum(axis=2).max()))
        if len(_ROW_SUMS) < 1024:
            _ROW_SUMS[key] = found
    return found


_ROW_SUMS: dict[bytes, int] = {}


@lru_cache(maxsize=32)
def _later_pairs(k: int) -> np.ndarray:
    """(k, k) mask of the pairs i < j (read-only; one per number of operators)."""
    later = np.triu(np.ones((k, k), dtype=bool), 1)
    later.flags.writeable = False
    return later


def _maybe_special(structure: Structure, images: np.ndarray) -> np.ndarray:
    """Sites that may have two images within 1e-5 (fractional) of each other: all of them
    unless the operators form a group; otherwise those with an image other than their own
    within 1e-4·w of the site (w: the largest row sum of |R|).

    If g_a·x and g_b·x are within ε of each other (modulo the lattice), g_b⁻¹g_a, an
    operator of the group, moves x by at most w·ε: a site on a general position, whose
    every other image is farther than that, has none to remove.
    """
    rot = structure.rotations_float  # exact floats: the group check's own numbers
    try:
        check_operator_group(rot, structure.translations)  # remembered once it passed
    except InputError:
        return np.arange(len(structure))
    reach = 1e-4 * _largest_row_sum(rot)
    d = images - structure.fract[:, None, :]
    d -= d.round()
    np.abs(d, out=d)
    near = np.maximum(np.maximum(d[..., 0], d[..., 1]), d[..., 2]) < reach
    return (near.sum(axis=1) > 1).nonzero()[0]


# The images of each structure, and gemmi's search over them once one is needed; weak keys
# so bulk runs do not accumulate them.
_SEARCH_CACHE: weakref.WeakKeyDictionary[Structure, _UnitCell] = weakref.WeakKeyDictionary()


def _unit_cell(structure: Structure) -> _UnitCell:
    cached = _SEARCH_CACHE.get(structure)
    if cached is None:
        cached = _UnitCell(*unit_cell_images(structure))
        _SEARCH_CACHE[structure] = cached
    return cached


def _cell_list(structure: Structure, uc: _UnitCell, radius: float) -> gemmi.NeighborSearch:
    """gemmi's cell-list search over the unit-cell images, with a spacing of at least
    ``radius``; a longer search later builds a coarser list of the same images."""
    if uc.search is not None and uc.radius >= radius:
        return uc.search
    small = gemmi.SmallStructure()
    small.cell = gemmi.UnitCell(*structure.cell.parameters)
    # a generous cell-list radius so later, longer searches (H-bonds) reuse it
    radius = search_grid_spacing(structure.cell.volume, radius)  # ≥ 4 Å, bounded cell count
    search = gemmi.NeighborSearch(small, radius)
    # add_site(site, n) is what populate() does for site n of a SmallStructure; one Site
    # object (gemmi copies it) and no SmallStructure.sites list make it ~4× faster
    atom = gemmi.SmallStructure.Site()
    # an image a rounding error below 0 (−4e-18, kept as the origin plane) is binned by
    # gemmi out of its cell and never found: gemmi gets it at 0 (the distances are
    # measured from the images as they are)
    for i, f in enumerate(np.maximum(uc.fract, 0.0).tolist()):
        atom.fract = gemmi.Fractional(*f)
        search.add_site(atom, i)
    uc.search, uc.small, uc.radius = search, small, radius
    return search


#: Centre–image pairs up to which :func:`contacts` takes every pair as a candidate and
#: keeps, in numpy, those that some lattice translation can bring within reach
#: (:func:`_pairs_in_reach`); beyond it gemmi's cell list gives each centre's candidates
#: (:func:`_cell_list_pairs`: a call per centre, but work that grows with the atoms in
#: reach only). At 40 000 pairs the screening costs about what building the cell list
#: (a call per image) and querying it cost, and about what a second query of a built
#: list costs (CPU time on the shared corpus).
DENSE_PAIRS = 40_000


def contacts(
    structure: Structure,
    max_distance: float | np.ndarray,
    centers: Sequence[int] | np.ndarray | None = None,
    min_distance: float = 0.01,
    targets: Sequence[int] | np.ndarray | None = None,
    *,
    pair_limits: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> Contacts:
    """All atoms of the crystal within ``max_distance`` Å of each center site.

    ``max_distance`` is one number or one per center. Periodic images and
    symmetry mates are included, each with its symmetry code (operator in
    the CIF's numbering plus lattice translation); the center itself is
    excluded by ``min_distance``. The candidates are the unit-cell images
    that can be in reach: of every centre–image pair when there are at most
    :data:`DENSE_PAIRS` (:func:`_pairs_in_reach`), else from gemmi's cell-list
    search (:func:`_cell_list_pairs`); exact translations are then resolved in
    numpy, so a neighbour appearing at two lattice translations (small cells)
    is reported twice. ``targets``: the sites whose images are sought (None: every
    site); the rows are those of the other sites left out, found without measuring them.
    ``pair_limits``: given the centre and neighbour sites of candidate pairs (two (k,)
    arrays), the limit of each pair (a bond's r_i + r_j + tolerance; below
    ``min_distance``: never a row; above its centre's ``max_distance``: that one); the
    rows are those of the pairs beyond their limit left out, found without measuring them.

    Rows come by centre, then by distance; exact ties (symmetry mates of one
    atom at one distance, common around special positions) by site, operator
    and lattice translation. The order is thus a function of the structure
    alone: gemmi's cell list yields candidates in an order that depends on its
    spacing, which a longer search made earlier on the same structure changes
    (:func:`_cell_list` keeps the coarser list), and a small structure takes every
    centre–image pair as a candidate instead.
    """
    given_centers = centers
    centers = np.arange(len(structure)) if centers is None else np.asarray(centers, dtype=int)
    limits = np.asarray(max_distance, dtype=float)
    if limits.shape != centers.shape:  # one number for every centre
        limits = np.full(centers.shape, limits)
    if len(centers) == 0:
        empty = np.zeros(0, dtype=int)
        return Contacts(empty, empty, empty, np.zeros((0, 3), dtype=int), np.zeros(0))
    check_work_bounds(structure, float(limits.max()), len(centers))  # before gigabytes
    uc = _unit_cell(structure)
    images = None  # every image of the unit cell
    if targets is not None:  # the images of the target sites, in order
        targeted = np.zeros(len(structure), dtype=bool)
        targeted[np.asarray(targets, dtype=int)] = True
        images = targeted[uc.site].nonzero()[0]
    # ‖F_a‖ of each row of the fractionalization: Å of reach → cell fractions per axis
    per_angstrom = structure.cell.reciprocal_lengths
    if len(centers) * (len(uc.fract) if images is None else len(images)) <= DENSE_PAIRS:
        cc, ci = _pairs_in_reach(structure, uc, centers, limits, images, per_angstrom)
    else:
        cc, ci = _cell_list_pairs(structure, uc, centers, limits)
        if targets is not None:
            keep = targeted[uc.site[ci]]
            cc, ci = cc[keep], ci[keep]
    if not len(cc):
        empty = np.zeros(0, dtype=int)
        return Contacts(empty, empty, empty, np.zeros((0, 3), dtype=int), np.zeros(0))
    if (
        given_centers is None
        or bool((centers[1:] > centers[:-1]).all())  # increasing (np.flatnonzero's): distinct
        or len(np.unique(centers)) == len(centers)
    ):
        limit_at = np.empty(len(structure))
        limit_at[centers] = limits
        lim = limit_at[cc]
    else:  # a center given twice: its last limit counts
        limit_of = dict(zip(centers.tolist(), limits.tolist(), strict=True))
        lim = np.array([limit_of[c] for c in cc])
    if pair_limits is not None:  # each pair's own limit, within its centre's (the
        # candidates are those within the centre's: a longer pair limit cannot reach more)
        lim = np.minimum(pair_limits(cc, uc.site[ci]), lim)
        sought = lim >= min_distance
        if not sought.all():
            cc, ci, lim = cc[sought], ci[sought], lim[sought]
    # exact lattice translations: those around the minimum image that can be in reach
    diff = uc.fract[ci] - structure.fract[cc]
    base = diff.round()
    np.negative(base, out=base)
    hit_k, step = _possible_trials(diff + base, lim, per_angstrom)
    trial = base[hit_k] + step  # (p, 3)
    apart = diff[hit_k] + trial
    if len(apart) == 1:  # numpy multiplies one row by BLAS gemv, which may round the last
        # bit otherwise than gemm does for that row in a longer search: a row's distance
        # must not depend on which other centres were searched (coordination.bond_contacts)
        apart = np.repeat(apart, 2, axis=0)
    dist = vector_lengths(apart @ structure.cell.orthogonalization.T)[: len(hit_k)]
    near = (dist <= lim[hit_k]) & (dist >= min_distance)
    hit_k, trial, dist = hit_k[near], trial[near], dist[near]
    image = ci[hit_k]
    center, site, op = cc[hit_k], uc.site[image], uc.op[image]
    shift = (uc.shift[image] + trial).astype(int)
    # by centre, then distance; exact ties (symmetry mates at one distance) by site,
    # operator and translation, so the order is the structure's, not the search's (the
    # last five keys sorted only when some centre has two rows at one distance)
    order = np.lexsort((dist, center))
    ranked_center, ranked_dist = center[order], dist[order]
    if ((ranked_center[1:] == ranked_center[:-1]) & (ranked_dist[1:] == ranked_dist[:-1])).any():
        order = np.lexsort((shift[:, 2], shift[:, 1], shift[:, 0], op, site, dist, center))
        ranked_center, ranked_dist = center[order], dist[order]
    return Contacts(
        center=ranked_center,
        site=site[order],
        op=op[order],
        shift=shift[order],
        distance=ranked_dist,
    )


def _cell_list_pairs(
    structure: Structure, uc: _UnitCell, centers: np.ndarray, limits: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(centre, image) candidates from gemmi's cell list: the images with some lattice
    translation within each centre's limit (+1e-6 Å)."""
    cand_center: list[int] = []
    cand_image: list[int] = []
    query = gemmi.SmallStructure.Site()  # one query object: gemmi reads it, never keeps it
    find = _cell_list(structure, uc, float(limits.max())).find_site_neighbors
    fract = structure.fract.tolist()
    for c, limit in zip(centers.tolist(), limits.tolist(), strict=True):
        query.fract = gemmi.Fractional(*fract[c])
        found = {m.atom_idx for m in find(query, 0.0, limit + 1e-6)}
        cand_center.extend([c] * len(found))
        cand_image.extend(found)
    return np.asarray(cand_center, dtype=int), np.asarray(cand_image, dtype=int)


def _pairs_in_reach(
    structure: Structure,
    uc: _UnitCell,
    centers: np.ndarray,
    limits: np.ndarray,
    images,
    per_angstrom: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(centre, image) candidates from every pair of a centre and one of ``images``
    (indices of the unit-cell images; None: every one), axis by axis: those whose fractional
    difference u_a (modulo the lattice, |u_a| ≤ ½) can be within the centre's limit,
    min(|u_a|, 1 − |u_a|) ≤ ‖F_a‖·limit along each axis a (the bound of
    :func:`_possible_trials`, widened by 1e-6 relative and absolute so that rounding never
    drops a pair that it keeps). ``per_angstrom``: ‖F_a‖ (3,), F the fractionalization."""
    reach = limits[:, None] * per_angstrom
    reach = reach * (1 + 1e-6) + 1e-6  # (centre, 3)
    centre = structure.fract[centers]
    every = images is None
    # the axis whose reach is shortest (in cell fractions: fewest pairs left; the smallest
    # ‖F_a‖, as every centre's reach is its limit times ‖F_a‖) on the (centre, image) grid
    # at once, without index arrays of every pair; np.nonzero lists its survivors centre by
    # centre, images in order, and the other two axes keep that order (the pairs kept and
    # their order do not depend on which axis goes first; |u_a| after taking the nearest
    # integer is at most ½, so min(|u_a|, 1 − |u_a|) is |u_a|)
    # (array methods, not the np.* functions that call them: the same numbers without the
    # dispatch overhead, which is most of a short search's fixed cost)
    first = int(per_angstrom.argmin())
    u = (uc.fract[:, first] if every else uc.fract[images, first])[None, :] - centre[:, first, None]
    u -= u.round()
    np.abs(u, out=u)
    c, i = (u <= reach[:, first, None]).nonzero()
    if not every:
        i = images[i]
    for a in _OTHER_AXES[first]:
        u = uc.fract[i, a] - centre[c, a]
        u -= u.round()
        np.abs(u, out=u)
        keep = u <= reach[c, a]
        c, i = c[keep], i[keep]
    return centers[c], i


#: The two axes other than each one, in order (:func:`_pairs_in_reach`).
_OTHER_AXES = ((1, 2), (0, 2), (0, 1))


def connected_components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected component of each of ``n`` nodes joined by the edges (a, b) (either
    direction), numbered in the order of their lowest node, as scipy's
    ``connected_components`` numbers them. The one component search of the package: the
    molecules of a bond graph, a metal's ligands, donors bonded to each other. In numpy,
    because importing ``scipy.sparse.csgraph`` (~0.1 s) would outweigh a one-file command.

    Each node takes the lowest label among itself and its neighbours, then its label's
    label (pointer jumping), until nothing changes: the lowest node of a component
    keeps its own index, which the rest then carry.
    """
    labels = np.arange(n)
    while True:
        low = labels.copy()
        np.minimum.at(low, a, labels[b])
        np.minimum.at(low, b, labels[a])
        low = low[low]
        if np.array_equal(low, labels):
            break
        labels = low
    return np.unique(labels, return_inverse=True)[1]


def _possible_trials(
    near_image: np.ndarray, limit: np.ndarray, per_angstrom: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(candidate, translation) pairs: the lattice translations around each candidate's
    nearest image that can be within its limit; ``translation`` (p, 3) float.

    A vector r of length d has fractional components f_a = F_a·r with |f_a| ≤ ‖F_a‖·d
    (Cauchy–Schwarz; F the fractionalization matrix, F_a its row a, ``per_angstrom`` the
    three ‖F_a‖), so a translation s whose |u_a + s_a| exceeds ‖F_a‖·limit = ρ_a on some
    axis (u = ``near_image``, the fractional difference at the nearest image, in [−½, ½])
    is farther than the limit; the others are measured. The bound is widened by 1e-9
    (relative and absolute), far beyond rounding, so no pair within the limit is left out
    (and a translation at the bound itself, whichever way rounding takes it, is farther than
    the limit and dropped when measured). Along an axis the translations within reach
    are the integers of [−ρ_a − u_a, ρ_a − u_a]: ±1 (27 translations) unless a limit
    exceeds about 1.5 spacings of that axis' lattice planes, which a long search in a
    small cell does.
    """
    # (each step in place, in the order of ρ·(1 + 1e-9) + 1e-9, ⌈−ρ − u⌉ and
    # max(⌊ρ − u⌋ − first + 1, 0): the same numbers without a (k, 3) temporary per step)
    reach = limit[:, None] * per_angstrom
    reach *= 1 + 1e-9
    reach += 1e-9
    # each candidate's trials are the product of three runs of consecutive translations,
    # enumerated first axis slowest (as np.nonzero lists the product of three masks)
    first = np.negative(reach)
    first -= near_image
    np.ceil(first, out=first)  # (k, 3) the first translation of each run
    count = reach - near_image
    np.floor(count, out=count)
    count -= first
    count += 1
    np.maximum(count, 0, out=count)
    count = count.astype(np.int64)
    trials = count[:, 0] * count[:, 1] * count[:, 2]
    if trials.max(initial=0) <= 1:  # at most one translation each (a short limit): its first
        hit_k = trials.nonzero()[0]
        return hit_k, first[hit_k] + 0.0  # + 0.0: −0.0 becomes 0.0, as the sums below make it
    hit_k = np.repeat(np.arange(len(near_image)), trials)
    t = np.arange(len(hit_k)) - np.repeat(np.cumsum(trials) - trials, trials)
    t01, i2 = np.divmod(t, count[hit_k, 2])
    i0, i1 = np.divmod(t01, count[hit_k, 1])
    step = first[hit_k]  # a copy: the run's first translation, plus its place in the run
    step[:, 0] += i0
    step[:, 1] += i1
    step[:, 2] += i2
    return hit_k, step
