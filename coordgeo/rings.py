"""Rings of a crystal structure: 5- and 6-membered rings, their centroids Cg and mean planes.

Perception
----------
Rings are found on the crystal's bonds (covalent and coordination bonds by the criterion of
:mod:`coordgeo.coordination`, :func:`~coordgeo.coordination.bond_contacts`), each bond
followed into the symmetry image it reaches, so a ring that lies across an inversion
centre or a mirror (half of it in the asymmetric unit) or runs through a polymer's
translation is found whole. Every closed path of 5 or 6 distinct non-hydrogen atoms
without a chord (a bond between two non-adjacent ring atoms) is a ring; at most one of
its atoms is a metal (a chelate ring), since M–X–M–X… cycles of oxides, clusters and
intermetallics are not rings in the chemist's sense. The search extends all paths at
once, one bond per step, in numpy (a small search, most molecules, walks the same paths
one by one in Python, which costs fewer calls), and drops a path as soon as no ring can
come of it (it is too far from its start to close in the steps left, or its new atom is
within bonding distance of an earlier atom that cannot be its ring neighbour: a chord),
so it costs about a ms per structure, disordered tangles included. A chord is a distance
at most r + r + tolerance, measured from positions of one arithmetic
(:func:`coordgeo.geometry.cartesian_elementwise`) in the search, its walks and the last
test, so they agree; the bond list of :mod:`coordgeo.coordination` measures the same
distance its own way, and a pair within ~1e-15 Å of its reach may be a bond there and no
chord here. Rings that
symmetry maps onto each other are one ring: each is kept once, as the copy whose first
atom (below) is the untransformed site of the asymmetric unit.

Numbering (Cg1, Cg2, …)
-----------------------
Within a ring the atoms are listed from the atom that comes first in the CIF's atom list,
going round towards its ring neighbour that comes first. Rings are numbered in the order of
these atom lists compared position by position by CIF order (the ring of the earliest atom
first; two rings through that atom ordered by their second atoms, …). The numbering
therefore depends only on the CIF's atom order and is the same for every block of a
temperature series written with the same labels. PLATON numbers the rings it finds in the
order of its own ring search over the atom list, which usually, not always, gives the same
order.

Centroid, mean plane, planarity
-------------------------------
The centroid is the unweighted mean of the ring atoms' positions, Cg = (1/m) Σ x_k; the
mean plane is the unweighted least-squares plane through them (as PLATON's CALC PLANES,
Spek, Acta Cryst. D 2009, 65, 148): its normal n is the eigenvector of the smallest
eigenvalue of the scatter matrix Σ (x_k − Cg)(x_k − Cg)ᵀ, oriented so that n points along
(x_1 − Cg) × (x_2 − Cg) for the ring's atom order. A ring is ``planar`` when no atom lies
more than ``planarity`` (default 0.10 Å) from the plane.

Aromatic rings (by geometry)
----------------------------
No bond orders are stored in a CIF, so "aromatic" is judged from the geometry: a planar
ring of C, N, O, S or Se atoms (no metal), each C and N with at most three bonded
neighbours (an sp² atom; H atoms and metals counted, each neighbour by its occupancy, so
that the two alternative positions of a disordered substituent, 0.6 + 0.4, are one), and
every ring bond shorter than the sum of the Cordero covalent radii of sp² atoms plus
0.04 Å (gemmi's radii: C 0.73, N 0.71, O 0.66, S 1.05 Å; so C–C < 1.50 Å, C–N < 1.48 Å,
C–O < 1.43 Å, C–S < 1.82 Å; benzene 1.39 Å, pyridine C–N 1.34 Å, the fused C–C of
quinoline 1.42–1.45 Å). The neighbour count is what rules out sp³ rings (cyclohexane, a
chair of a saturated chelate); the bond test rules out rings closed by unusually long
bonds. ``heteroaromatic`` marks aromatic rings with a ring atom other than C. Chelate
rings (a metal in the ring) are listed with ``metal`` set and are never aromatic.

Standard uncertainties
----------------------
The centroid's fractional coordinates are linear in the atoms' coordinates: their su's
follow from the coordinates' covariance exactly. The normal's Cartesian components and
the deviations from the plane get their su's by linear propagation of the coordinate and
cell su's, with the gradient by central differences (:func:`coordgeo.geometry.su_of_function`),
as every other coordgeo quantity.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from coordgeo.coordination import DEFAULT_TOLERANCE, _radii
from coordgeo.geometry import (
    Atom,
    atom_label,
    cartesian_elementwise,
    image_fract,
    su_of_function,
)
from coordgeo.model import Structure
from coordgeo.options import DEFAULT_PLANARITY
from coordgeo.symmetry import SymmetryCode, affine, cross3, operation_code, vector_lengths

#: Ring sizes searched.
RING_SIZES = (5, 6)
#: Elements of an aromatic ring.
AROMATIC_ELEMENTS = frozenset({"C", "N", "O", "S", "Se"})
#: An aromatic ring bond is shorter than r_cov(A) + r_cov(B) + this (Å).
AROMATIC_BOND_MARGIN = 0.04

_POSITION_DECIMALS = 4  # fractional coordinates equal to 1e-4 are one atom


@dataclass(frozen=True, eq=False)
class Ring:
    """One ring of the structure (one per symmetry-equivalent set) and its mean plane.

    ``atoms`` are in ring order (module docstring) with their symmetry codes; the first
    is untransformed. ``centroid`` and ``normal`` are Cartesian (Å, coordgeo's
    orthogonal frame: **a** along x, **b** in the xy plane), ``centroid_fract`` and its su
    fractional; ``max_deviation`` and ``rms_deviation`` are the atoms' distances from the
    mean plane (Å).
    """

    number: int
    atoms: tuple[Atom, ...]
    labels: tuple[str, ...]
    elements: tuple[str, ...]
    metal: bool
    planar: bool
    aromatic: bool
    heteroaromatic: bool
    centroid: np.ndarray
    centroid_fract: np.ndarray
    normal: np.ndarray
    max_deviation: float
    rms_deviation: float
    # su's are computed on first use, for all rings of the structure at once: finding
    # contacts needs the rings, not their su's (~15 % of a small structure's contacts)
    _sus: _RingSus = field(repr=False)
    _su_row: int = field(repr=False)

    @property
    def centroid_fract_su(self) -> np.ndarray:
        """su's of ``centroid_fract`` (coordinate su's only: it does not depend on the cell)."""
        return self._sus.values()[0][self._su_row]

    @property
    def normal_su(self) -> np.ndarray:
        """su's of the components of ``normal`` (coordinates and cell)."""
        return self._sus.values()[1][self._su_row, :3]

    @property
    def rms_deviation_su(self) -> float:
        """su of ``rms_deviation`` (Å)."""
        return float(self._sus.values()[1][self._su_row, 3])

    @property
    def name(self) -> str:
        """``Cg1``, ``Cg2``, …"""
        return f"Cg{self.number}"

    @property
    def size(self) -> int:
        return len(self.atoms)

    @property
    def key(self) -> str:
        """The ring's atom labels, sorted and space separated: its name across a series."""
        return " ".join(sorted(self.labels))

    @property
    def sites(self) -> np.ndarray:
        return np.array([a.site for a in self.atoms], dtype=int)

    @property
    def ops(self) -> np.ndarray:
        return np.array([a.code.op for a in self.atoms], dtype=int)

    @property
    def shifts(self) -> np.ndarray:
        return np.array([a.code.shift for a in self.atoms], dtype=float)


# --- plane geometry (vectorised over leading axes) ----------------------------------------


def centroid_and_normal(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centroid (..., 3) and unit mean-plane normal (..., 3) of ring atoms x (..., m, 3).

    Cg = (1/m) Σ x_k; n = eigenvector of the smallest eigenvalue of
    S = Σ (x_k − Cg)(x_k − Cg)ᵀ (unweighted least-squares plane), oriented along
    (x_1 − Cg) × (x_2 − Cg).
    """
    c, _, _, _, n = _plane_fit(x)
    return c, n


def _plane_fit(x: np.ndarray) -> tuple[np.ndarray, ...]:
    """Centroid, deviations d_k = x_k − Cg, eigenvalues and eigenvectors of the scatter
    matrix, and the oriented unit normal (:func:`centroid_and_normal`)."""
    c = x.mean(axis=-2)
    d = x - c[..., None, :]
    scatter = np.einsum("...ki,...kj->...ij", d, d)
    values, vectors = np.linalg.eigh(scatter)
    n = vectors[..., :, 0]
    ref = cross3(d[..., 0, :], d[..., 1, :])
    sign = np.where(np.sum(n * ref, axis=-1) < 0, -1.0, 1.0)
    return c, d, values, vectors, n * sign[..., None]


def normal_jacobian(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`centroid_and_normal` of ring atoms x (..., m, 3) and the derivatives of the
    unit normal n with respect to the atoms' Cartesian coordinates: (..., m, 3, 3), element
    [..., k, i, j] = ∂n_i/∂x_kj.

    First-order perturbation of the eigenvector of the smallest eigenvalue λ₀ of the
    scatter matrix S = Σ d_k d_kᵀ (d_k = x_k − Cg, Σ d_k = 0): moving atom k by δ changes
    S by δ d_kᵀ + d_k δᵀ, so dn = −P (δ d_kᵀ + d_k δᵀ) n, with P = Σ_{j=1,2} v_j v_jᵀ /
    (λ_j − λ₀) the inverse of S − λ₀ on the plane (v_j the other eigenvectors), i.e.
    ∂n/∂x_k = −P [(d_k · n) I + d_k nᵀ] (e.g. Golub & Van Loan, *Matrix Computations*,
    4th ed., §8.1.2). Exact for distinct λ₀ < λ₁ (a ring's atoms are not on a line); the
    sign convention of n (fixed along (x_1 − Cg) × (x_2 − Cg)) does not change it.
    """
    c, d, values, vectors, n = _plane_fit(x)
    other = vectors[..., :, 1:] / (values[..., None, 1:] - values[..., None, :1])
    p = other @ vectors[..., :, 1:].swapaxes(-1, -2)  # (..., 3, 3)
    along = np.einsum("...ki,...i->...k", d, n)  # d_k · n
    pd = np.einsum("...ij,...kj->...ki", p, d)  # P d_k
    first = along[..., None, None] * p[..., None, :, :]  # (d_k · n) P
    second = pd[..., :, :, None] * n[..., None, None, :]  # (P d_k) nᵀ
    return c, n, -(first + second)


def plane_deviations(x: np.ndarray) -> np.ndarray:
    """Signed distances (..., m) of ring atoms x (..., m, 3) from their mean plane (Å)."""
    c, n = centroid_and_normal(x)
    return np.einsum("...ki,...i->...k", x - c[..., None, :], n)


def _plane_quantities(x: np.ndarray) -> np.ndarray:
    """Normal components and rms deviation, (..., 4): what su_of_function differentiates."""
    c, n = centroid_and_normal(x)
    dev = np.einsum("...ki,...i->...k", x - c[..., None, :], n)
    rms = np.sqrt(np.mean(dev**2, axis=-1))
    return np.concatenate([n, rms[..., None]], axis=-1)


# --- perception ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    sites: tuple[int, ...]
    codes: tuple[SymmetryCode, ...]


# per structure: {(tolerance, planarity): rings, ("aromatic rings", tolerance, planarity):
# the aromatic ones alone, ("found", tolerance): the rings found and the metal mask,
# ("aromatic atoms", tolerance): mask,
# ("aromatic possible", tolerance): bool, ("ring bonds", tolerance): (bonds, metal mask),
# ("cycles", tolerance): the ring search's cycles until find_rings takes them}
_CACHE: weakref.WeakKeyDictionary[Structure, dict[tuple, object]] = weakref.WeakKeyDictionary()


def find_rings(
    structure: Structure,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    planarity: float = DEFAULT_PLANARITY,
) -> list[Ring]:
    """Every 5- and 6-membered ring of the structure, numbered Cg1, Cg2, … (module docstring).

    Parameters
    ----------
    tolerance
        Covalent-bond tolerance (Å) of :mod:`coordgeo.coordination`.
    planarity
        A ring is planar when every atom is within ``planarity`` Å of the mean plane.
    """
    per = _CACHE.setdefault(structure, {})
    key = (float(tolerance), float(planarity))
    if key not in per:
        found, metal = _found_rings(structure, tolerance)
        per[key] = _describe(structure, found, metal, tolerance, planarity)
    return per[key]


def aromatic_rings(
    structure: Structure,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    planarity: float = DEFAULT_PLANARITY,
) -> list[Ring]:
    """The aromatic rings of :func:`find_rings` (module docstring), numbered as there: the
    rings π contacts are sought for. A ring with a metal or with an atom that cannot be
    aromatic (:func:`_aromatic_atoms`) is not described at all (its mean plane and Ring
    are work no contact uses); each other ring's values are those find_rings gives it
    (its plane fit does not depend on the rings fitted with it), its su's included.
    Taken from find_rings' rings when it has them."""
    per = _CACHE.setdefault(structure, {})
    key = (float(tolerance), float(planarity))
    if key in per:
        return [r for r in per[key] if r.aromatic]
    mine = ("aromatic rings", *key)
    if mine not in per:
        found, metal = _found_rings(structure, tolerance)
        keep: set[int] = set()
        if found:
            ok = _aromatic_atoms(structure, tolerance)  # no metal among them
            keep = {k for k, f in enumerate(found) if all(ok[s] for s in f.sites)}
        rings = _describe(structure, found, metal, tolerance, planarity, keep)
        per[mine] = [r for r in rings if r.aromatic]
    return per[mine]


def _found_rings(structure: Structure, tolerance: float) -> tuple[list[_Found], np.ndarray | None]:
    """The rings found (:func:`_perceive`) and the metal mask, cached per structure and
    bond tolerance (find_rings of several planarity limits, aromatic_rings)."""
    per = _CACHE.setdefault(structure, {})
    key = ("found", float(tolerance))
    if key not in per:
        per[key] = _perceive(structure, tolerance)
    return per[key]


def _perceive(structure: Structure, tolerance: float) -> tuple[list[_Found], np.ndarray | None]:
    """Every ring once (sites and codes of its canonical copy), in the order of their
    sites (their numbers), and the metal mask."""
    n = len(structure)
    if n == 0:
        return [], None
    edges, metal = _ring_bonds(structure, tolerance)
    if len(edges) == 0:
        return [], metal
    cycles = _CACHE.setdefault(structure, {}).pop(("cycles", float(tolerance)), None)
    if cycles is None:  # not found already by may_have_aromatic_rings
        cycles, _ = _cycles(structure, edges, metal, tolerance)
    found: dict[tuple, _Found | None] = {}
    codes: dict[bytes, SymmetryCode | None] = {}
    plain: list = []  # the code of the identity map, looked up once
    for key, ring_sites, moved, rounded in _canonical(structure, cycles):
        if key in found:
            continue
        if moved is None:  # every atom untransformed: each code that of the identity map
            if not plain:
                identity = np.eye(4)
                plain.append(
                    _with_codes(
                        structure, (0,), identity[None], np.round(identity[:3], 6)[None], codes
                    )
                )
            one = plain[0]
            found[key] = None if one is None else _Found(ring_sites, one.codes * len(ring_sites))
        else:
            found[key] = _with_codes(structure, ring_sites, moved, rounded, codes)
    ordered = sorted((f for f in found.values() if f is not None), key=lambda f: f.sites)
    return ordered, metal


def _ring_bonds(structure: Structure, tolerance: float):
    """The bonds the ring search follows (between non-H atoms, not metal–metal; of sites
    with two or more of them, :func:`_prune`), and the metal mask."""
    per = _CACHE.setdefault(structure, {})
    key = ("ring bonds", float(tolerance))
    if key not in per:  # asked for by may_have_aromatic_rings, then by the ring search
        # the bonds of the structure, cached for H-bonds and contacts too
        from coordgeo.hbonds import covalent_bonds, site_masks

        bonded = covalent_bonds(structure, tolerance)  # through invertible operators
        metal = site_masks(structure)[2]
        heavy = np.array([e not in ("H", "D", "X") for e in structure.elements], dtype=bool)
        i, j = bonded.center, bonded.site
        edges = bonded.take(heavy[i] & heavy[j] & ~(metal[i] & metal[j]))
        per[key] = (_prune(edges, len(structure)), metal)
    return per[key]


def _aromatic_atoms(structure: Structure, tolerance: float) -> np.ndarray:
    """Sites an aromatic ring may contain (module docstring): C, N, O, S or Se, no metal,
    and C and N sp², with at most three bonded neighbours, H and metals too, counted by
    occupancy (two alternative positions of a disordered substituent, 0.6 + 0.4, are
    one neighbour). Cached per structure and bond tolerance."""
    per = _CACHE.setdefault(structure, {})
    key = ("aromatic atoms", float(tolerance))
    if key not in per:
        from coordgeo.hbonds import covalent_bonds, site_masks

        bonded = covalent_bonds(structure, tolerance)
        occupancy = np.asarray(structure.occupancy, dtype=float)
        if not np.isfinite(occupancy).all():  # (np.nan_to_num costs more than the test)
            occupancy = np.nan_to_num(occupancy, nan=1.0)
        n = len(structure)
        degree = np.bincount(bonded.center, weights=occupancy[bonded.site], minlength=n)
        # a comparison per site (np.isin sorts object arrays)
        sp3_possible = np.array([e in ("C", "N") for e in structure.elements], dtype=bool)
        element = np.array([e in AROMATIC_ELEMENTS for e in structure.elements], dtype=bool)
        metal = site_masks(structure)[2]
        per[key] = element & ~metal & (~sp3_possible | (degree <= 3.05))
    return per[key]


def may_have_aromatic_rings(structure: Structure, *, tolerance: float = DEFAULT_TOLERANCE) -> bool:
    """False when the structure cannot have an aromatic ring, whatever the planarity limit.

    Every atom of an aromatic ring is one of :func:`_aromatic_atoms` with two ring bonds
    to others of them, each shorter than r_cov + r_cov + :data:`AROMATIC_BOND_MARGIN`;
    when pruning those bonds (:func:`_prune`) leaves none, no ring of them exists, and
    the π contacts need no ring search (most metal complexes without aromatic ligands:
    their chelate rings have a metal). When they are at most half the bonds the ring
    search follows (an inorganic network with a few O–O or C–O bonds, disordered split
    sites), the search runs over them alone: an aromatic ring is a cycle of theirs, so
    finding none (with every path followed) rules the rings out, while the whole search
    could cost tens of ms. That is when the whole search is large: it is tried first
    with at most :data:`_SMALL_SEARCH` paths of one length, and when it completes (every
    molecular structure of the shared corpus) its cycles are kept for :func:`find_rings`,
    which would search again, and decide: an aromatic ring is one of them with every atom
    an aromatic one (~0.5 ms saved where find_rings follows, as it nearly always does).
    True means only that :func:`find_rings` must look.
    """
    per = _CACHE.setdefault(structure, {})
    key = ("aromatic possible", float(tolerance))
    if key not in per:
        from coordgeo.hbonds import covalent_bonds

        bonded = covalent_bonds(structure, tolerance)
        ok = _aromatic_atoms(structure, tolerance)
        i, j = bonded.center, bonded.site
        radius = _radii(structure)  # per list of elements, cached
        # 1e-6 Å of slack: the ring's bond lengths are measured again from its atoms
        short = bonded.distance < radius[i] + radius[j] + AROMATIC_BOND_MARGIN + 1e-6
        edges = _prune(bonded.take(ok[i] & ok[j] & short), len(structure))
        possible = len(edges) > 0
        if possible:
            every, metal = _ring_bonds(structure, tolerance)
            if 2 * len(edges) <= len(every):
                cycles, complete = _cycles(structure, every, metal, tolerance, _SMALL_SEARCH)
                if complete:
                    per[("cycles", float(tolerance))] = cycles  # for _perceive
                    possible = any(bool(ok[sites].all()) for sites, _ in cycles)
                else:
                    cycles, complete = _cycles(structure, edges, metal, tolerance)
                    possible = bool(cycles) or not complete
        per[key] = possible
    return per[key]


def _prune(edges, n: int):
    """Drop bonds of sites with fewer than two ring-able bonds, repeatedly (chains, ends)."""
    while len(edges):
        count = np.bincount(edges.center, minlength=n)
        ok = (count[edges.center] >= 2) & (count[edges.site] >= 2)
        if ok.all():
            break
        edges = edges.take(ok)
    return edges


def _cycles(
    structure: Structure, edges, metal: np.ndarray, tolerance: float, limit: int = 0
) -> tuple[list[tuple[np.ndarray, np.ndarray]], bool]:
    """Closed paths of 5 or 6 distinct atoms through the crystal's bonds, vectorised (a
    small search walks the same paths in Python: :func:`_walk_plain`, :func:`_walk_images`).

    Paths start at the untransformed site s, go only through sites ≥ s (s is the
    ring's first site in CIF order) and through at most one metal, and follow each bond
    into its symmetry image (4×4 maps composed along the path). A path is dropped when
    its last atom is farther from s than the steps left times the longest bond, or lies
    within bonding distance of a path atom other than its neighbours and s (a chord of
    every ring through it). Each ring is found
    several times (both directions, every copy of its first site); the caller keeps one.
    A plain search (every map the identity) follows each ring one way round only: it
    keeps the closed paths whose second site is below their last (the other way round
    has it above), and drops a path at its second atom when no site bonded to the start
    is above it (no ring closes that way), about half of its paths. Through symmetry
    images both ways are kept: the two ways round one ring can reach an atom on a special
    position through different operators, and the first found decides the codes listed.
    Returns (sites, maps) per cycle: (m,) sites and (m, 4, 4) maps (None when every bond
    is within the asymmetric unit: every map is the identity); and whether every path was
    followed (False when a dense tangle passed ``limit`` paths of one length,
    default :data:`_MAX_PATHS`).
    """
    limit = limit or _MAX_PATHS
    n = len(structure)
    order = np.argsort(edges.center, kind="stable")
    e_center = edges.center[order]
    e_site = edges.site[order]
    if len(e_center) <= _WALK_BONDS:
        walked = _walk_plain(structure, edges, e_center, e_site, metal, tolerance, limit)
        if walked is not None:
            return walked, True
    e_map = affine(
        structure.rotations[edges.op[order]].astype(float),
        structure.translations[edges.op[order]] + edges.shift[order],
    )
    if len(e_center) <= _WALK_IMAGE_BONDS and _bond_maps(edges) <= _WALK_MAPS:  # not plain
        walked = _walk_images(structure, edges, e_center, e_site, e_map, metal, tolerance, limit)
        if walked is not None:
            return walked, True
    starts = np.searchsorted(e_center, np.arange(n))
    counts = np.searchsorted(e_center, np.arange(n), side="right") - starts
    # the bonds of each site as a row of their indices (−1: none), so that a step takes
    # the bonds of every path's last atom in one look-up: np.nonzero lists them path by
    # path, each site's bonds in order (as np.repeat of the counts and offsets did)
    bonds_of = np.full((n, int(counts.max())), -1)
    bonds_of[e_center, np.arange(len(e_center)) - starts[e_center]] = np.arange(len(e_center))
    x = structure.fract
    # every bond within the asymmetric unit (most molecular structures): every map is
    # the identity, so a path's atoms are the sites where they are, a site met again is
    # the same atom, and no map needs composing (the same positions, bit for bit)
    plain = bool((e_map == np.eye(4)).all())
    if plain:
        top = np.full(n, -1)  # the greatest site bonded to each
        np.maximum.at(top, e_center, e_site)
    # paths: sites (p, L), positions (p, L, 3), the bonds taken (p, L − 1), the map of the
    # last atom (p, 4, 4) and the number of metals (p,); the maps of every atom are
    # composed again only for the paths that close a ring
    first = np.unique(e_center)
    sites = first[:, None]
    taken = np.zeros((len(first), 0), dtype=int)
    last_map = np.broadcast_to(np.eye(4), (len(first), 4, 4)).copy()
    pos = x[first][:, None, :].copy()
    n_metal = metal[first].astype(int)
    # no bond to a metal (organic molecules): no path has one, nothing to count
    with_metal = bool(metal[e_center].any() or metal[e_site].any())
    out: list[tuple[np.ndarray, np.ndarray]] = []
    radius = _radii(structure)  # per list of elements, cached
    longest = max(RING_SIZES)
    longest_bond = float(edges.distance.max()) + 1e-6
    orthogonalization = structure.cell.orthogonalization
    for length in range(1, longest + 1):
        last = sites[:, -1]
        cells = len(sites) * bonds_of.shape[1]  # of the look-up table of the paths' bonds
        if cells > min(limit, _LOOKUP_CELLS):
            k = counts[last]
            total = int(k.sum())
            if total > limit:  # a dense tangle of disordered images: stop growing
                return out, False
        if cells <= _LOOKUP_CELLS:
            step_bonds = bonds_of[last]
            path, column = np.nonzero(step_bonds >= 0)  # the k[p] bonds of each last atom
            edge = step_bonds[path, column]
        else:  # the same bonds in the same order, without a table of mostly −1
            path = np.repeat(np.arange(len(sites)), k)
            edge = np.repeat(starts[last] - np.cumsum(k) + k, k) + np.arange(total)
        if len(path) == 0:
            break
        new_site = e_site[edge]
        if plain:
            new_pos = x[new_site]
        else:
            new_map = last_map[path] @ e_map[edge]
            new_pos = np.einsum("pij,pj->pi", new_map[:, :3, :3], x[new_site])
            new_pos += new_map[:, :3, 3]
        path_sites = sites[path]
        start = path_sites[:, 0]
        # an atom already on the path: the same site at the same position (two sites at
        # one position are two atoms; a cycle through both has a chord of length ~0)
        same_as = path_sites == new_site[:, None]  # (p, L)
        if not plain:
            r, c = np.nonzero(same_as)
            same_as[r, c] = np.all(np.abs(pos[path[r], c] - new_pos[r]) < _SAME, axis=-1)
        closes = same_as[:, 0]  # back at the start (same site, same position)
        if length in RING_SIZES and closes.any():
            done = path[closes]
            if plain:
                done = done[sites[done, 1] < sites[done, -1]]  # one way round (docstring)
            if len(done):
                keep = _chordless(structure, sites[done], pos[done], radius, tolerance)
                keep &= _first_of_each(sites[done], pos[done])
                done = done[keep]
            if len(done):
                if plain:  # every map the identity: None
                    out.extend((ring, None) for ring in sites[done])
                else:
                    out.extend(zip(sites[done], _compose(e_map, taken[done]), strict=True))
        if length == longest:
            break
        grow = (new_site >= start) & ~same_as.any(axis=1)
        if plain and length == 1:  # no ring closes that way round (docstring)
            grow &= new_site < top[start]
        if with_metal:
            metals = n_metal[path] + metal[new_site]
            grow &= metals <= 1
        # the ring must close within the steps left: no farther from the start than
        # that many of the longest bonds (exact; it cuts the paths that wander off). A
        # path of L ≤ longest − L bonds is never that far (each bond is shorter than
        # longest_bond by its 1e-6 Å of slack, far beyond rounding): not measured
        if 2 * length > longest:
            back = (new_pos - pos[path, 0]) @ orthogonalization.T
            bound = ((longest - length) * longest_bond) ** 2
            grow &= np.einsum("pi,pi->p", back, back) <= bound
        if length >= 3:
            # a chord from the new atom to atoms 1 … L − 2 of the path, which are not its
            # ring neighbours whatever the ring's size: every ring through it has the
            # chord, and _chordless would drop it (exact; it cuts disordered tangles)
            mid = slice(1, length - 1)
            d = vector_lengths(
                cartesian_elementwise(pos[path, mid], orthogonalization)
                - cartesian_elementwise(new_pos, orthogonalization)[:, None]
            )
            reach = radius[path_sites[:, mid]] + radius[new_site][:, None] + tolerance
            grow &= ~(d <= reach).any(axis=1)
        path, new_site, edge = path[grow], new_site[grow], edge[grow]
        sites = np.concatenate([path_sites[grow], new_site[:, None]], axis=1)
        pos = np.concatenate([pos[path], new_pos[grow][:, None]], axis=1)
        if not plain:
            taken = np.concatenate([taken[path], edge[:, None]], axis=1)
            last_map = new_map[grow]
        if with_metal:
            n_metal = metals[grow]
        if len(sites) == 0:
            break
    return out, True


def _walk_plain(
    structure: Structure,
    edges,
    e_center: np.ndarray,
    e_site: np.ndarray,
    metal: np.ndarray,
    tolerance: float,
    limit: int,
) -> list[tuple[np.ndarray, None]] | None:
    """:func:`_cycles` of a small plain search (every bond within the asymmetric unit, at
    most :data:`_WALK_BONDS` bonds ``e_center`` → ``e_site`` in the order of their centres),
    path by path in Python: each step of the vectorised search costs ~25 numpy calls on a
    few dozen paths, where a walk of a few hundred steps costs less. The same paths, cuts
    and order: the paths start at each site with a bond in turn and take each site's bonds
    in their order (depth first, so each length's closed paths come in the order of the
    vectorised search, path by path and bond by bond); a path goes only to sites ≥ its
    start and not on it, through at most one metal, not farther from its start than the
    steps left times the longest bond (+1e-6 Å; squared length of (x_new − x_start)·Oᵀ),
    and without a chord from its new atom to atoms 1 … L − 2 (|x_a·Oᵀ − x_b·Oᵀ| ≤ r_a + r_b
    + ``tolerance``); the closed paths of each size then pass the tests of
    :func:`_chordless` and :func:`_first_of_each` as one batch, as there (in Python: of
    the chords only the start's are left to test). The two distances are the search's
    expressions, worked out once per pair of ring sites (products of other shapes can
    differ in the last bit, which decides only a path whose distance equals its bound to
    ~1e-16 Å). None when a bond leaves the asymmetric unit (the search is not plain) or
    some length has more than ``limit`` paths' bonds to follow (the vectorised search
    then stops as it does).
    """
    op = edges.op
    rotation = structure.rotations[op]
    if not (
        (rotation == np.eye(3)).all() and (structure.translations[op] + edges.shift == 0).all()
    ):
        return None  # some map is not the identity (affine of these, as _cycles builds)
    longest = max(RING_SIZES)
    longest_bond = float(edges.distance.max()) + 1e-6
    x = structure.fract
    site, local = np.unique(np.concatenate([e_center, e_site]), return_inverse=True)
    orthogonalization_t = structure.cell.orthogonalization.T
    f = x[site]
    back = (f[None, :, :] - f[:, None, :]) @ orthogonalization_t  # [start, atom]
    far = np.einsum("abi,abi->ab", back, back).tolist()
    cart = cartesian_elementwise(f, structure.cell.orthogonalization)
    radius = _radii(structure)  # per list of elements, cached
    r = radius[site]
    near = (
        vector_lengths(cart[:, None, :] - cart[None, :, :]) <= (r[:, None] + r[None, :]) + tolerance
    ).tolist()
    bound = [((longest - length) * longest_bond) ** 2 for length in range(longest)]
    k = len(e_center)
    bonds: list[list[int]] = [[] for _ in range(len(site))]
    for a, b in zip(local[:k].tolist(), local[k:].tolist(), strict=True):
        bonds[a].append(b)
    is_metal = metal[site].tolist()
    with_metal = any(is_metal)
    closed: dict[int, list[list[int]]] = {m: [] for m in RING_SIZES}
    followed = [0] * (longest + 1)
    top = [max(b, default=-1) for b in bonds]  # the greatest site bonded to each

    def walk(path: list[int], n_metal: int) -> bool:
        length = len(path)
        start = path[0]
        step = bonds[path[-1]]
        followed[length] += len(step)
        if followed[length] > limit:
            return False
        for new in step:
            if new == start:
                if length in closed and path[1] < path[-1]:  # one way round (_cycles)
                    closed[length].append(path)
                continue
            if length == longest or new < start or new in path:
                continue
            if length == 1 and new >= top[start]:
                continue  # no ring closes that way round (_cycles)
            metals = n_metal + is_metal[new] if with_metal else 0
            if metals > 1:
                continue
            if 2 * length > longest and far[start][new] > bound[length]:
                continue
            if length >= 3 and any(near[new][a] for a in path[1 : length - 1]):
                continue
            if not walk([*path, new], metals):
                return False
        return True

    for start in sorted(set(local[:k].tolist())):
        if not walk([start], int(is_metal[start])):
            return None
    # each size's closed paths as _chordless and _first_of_each take them in one batch,
    # in Python on the walk's chords: a path has none between atoms other than its start
    # (each new atom was tested against atoms 1 … L − 2), so only the start's to atoms
    # 2 … m − 2 are left (the same distances and reaches); the first of the paths of the
    # same atoms (chords or not) is kept, by the same atom keys
    atom = _atom_keys(site, f).tolist()
    out: list[tuple[np.ndarray, None]] = []
    for m in RING_SIZES:
        kept, seen = [], set()
        for path in closed[m]:
            key = tuple(sorted(atom[a] for a in path))
            first = key not in seen
            seen.add(key)
            if first and not any(near[path[0]][a] for a in path[2 : m - 1]):
                kept.append(path)
        if kept:
            out.extend((ring, None) for ring in site[np.array(kept)])
    return out


def _walk_images(
    structure: Structure,
    edges,
    e_center: np.ndarray,
    e_site: np.ndarray,
    e_map: np.ndarray,
    metal: np.ndarray,
    tolerance: float,
    limit: int,
) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """:func:`_walk_plain` of a small search some of whose bonds lead into symmetry images
    (``e_map``: each bond's 4×4 map, in the order of ``e_center``): each atom of a path is
    a site under the map composed along the path (one 4×4 product per map and bond, worked
    out once), at its position there (every ring site under each map at once: R·x + t,
    then Cartesian). An atom already on the path is the same site under the same map, or
    within :data:`_SAME` of the same position; the far and chord distances are the
    vectorised search's expressions, here in Python on those positions, and the closed
    paths of each size pass :func:`_chordless` and :func:`_first_of_each` as one batch
    with those positions. These positions can differ from the vectorised search's (its
    products of other shapes) in the last bit, which decides nothing: they are compared
    to 1e-4 of a cell edge and to bond reaches. The closed paths' maps are composed by
    :func:`_compose` from the bonds taken, the same batch as there, so the same to the
    last bit. None when some length has more than ``limit`` paths' bonds to follow.
    """
    longest = max(RING_SIZES)
    longest_bond = float(edges.distance.max()) + 1e-6
    x = structure.fract
    site, local = np.unique(np.concatenate([e_center, e_site]), return_inverse=True)
    x_ring = x[site]
    orthogonalization = structure.cell.orthogonalization
    o = orthogonalization.tolist()
    radius = _radii(structure)  # per list of elements, cached
    r = radius[site].tolist()
    bound = [((longest - length) * longest_bond) ** 2 for length in range(longest)]
    k = len(e_center)
    bonds: list[list[tuple[int, int]]] = [[] for _ in range(len(site))]
    for e, (a, b) in enumerate(zip(local[:k].tolist(), local[k:].tolist(), strict=True)):
        bonds[a].append((e, b))
    is_metal = metal[site].tolist()
    with_metal = any(is_metal)
    maps: list[np.ndarray] = []
    fract: list[list[list[float]]] = []  # [map][ring site] fractional position
    cart: list[list[list[float]]] = []  # [map][ring site] Cartesian position
    atom: list[list[int]] = []  # [map][ring site] key of _first_of_each
    map_of: dict[bytes, int] = {}
    then: dict[tuple[int, int], int] = {}

    def known(mp: np.ndarray) -> int:
        key = mp.tobytes()
        if key not in map_of:
            map_of[key] = len(maps)
            maps.append(mp)
            f = x_ring @ mp[:3, :3].T + mp[:3, 3]
            fract.append(f.tolist())
            cart.append(cartesian_elementwise(f, orthogonalization).tolist())
            atom.append(_atom_keys(site, f).tolist())
        return map_of[key]

    identity = known(np.eye(4))
    same_place: dict[tuple[int, int, int], bool] = {}

    def coincide(a: int, m: int, other: int) -> bool:
        key = (a, m, other)
        if key not in same_place:
            p, q = fract[m][a], fract[other][a]
            same_place[key] = all(abs(u - v) < _SAME for u, v in zip(p, q, strict=True))
        return same_place[key]

    closed: dict[int, list[tuple[list, list, list]]] = {m: [] for m in RING_SIZES}
    followed = [0] * (longest + 1)

    def walk(
        path: list[tuple[int, int]], on_path: list[int], taken: list[int], n_metal: int
    ) -> bool:
        length = len(path)
        start = on_path[0]
        last_map = path[-1][1]
        step = bonds[on_path[-1]]
        followed[length] += len(step)
        if followed[length] > limit:
            return False
        for e, new in step:
            new_map = then.get((last_map, e))
            if new_map is None:
                new_map = then[last_map, e] = known(maps[last_map] @ e_map[e])
            if new in on_path:  # the same atom: the same site within _SAME of its position
                same = -1
                for c, (a, m) in enumerate(path):
                    if a == new and (m == new_map or coincide(a, m, new_map)):
                        same = c
                        break
                if same == 0:  # back at the start
                    if length in closed:
                        closed[length].append((path, on_path, taken))
                    continue
                if same > 0:
                    continue
            if length == longest or new < start:
                continue
            metals = n_metal + is_metal[new] if with_metal else 0
            if metals > 1:
                continue
            if 2 * length > longest:
                p = fract[new_map][new]
                u = [p[0] - f0[start][0], p[1] - f0[start][1], p[2] - f0[start][2]]
                back = [row[0] * u[0] + row[1] * u[1] + row[2] * u[2] for row in o]
                if back[0] * back[0] + back[1] * back[1] + back[2] * back[2] > bound[length]:
                    continue
            if length >= 3:
                q = cart[new_map][new]
                chord = False
                for a, m in path[1 : length - 1]:
                    c = cart[m][a]
                    dx, dy, dz = c[0] - q[0], c[1] - q[1], c[2] - q[2]
                    if math.sqrt((dx * dx + dy * dy) + dz * dz) <= (r[a] + r[new]) + tolerance:
                        chord = True
                        break
                if chord:
                    continue
            if not walk([*path, (new, new_map)], [*on_path, new], [*taken, e], metals):
                return False
        return True

    f0 = fract[identity]

    def _chord_from_start(path: list[tuple[int, int]], m: int) -> bool:
        q = cart[identity][path[0][0]]
        for a, mp in path[2 : m - 1]:
            c = cart[mp][a]
            dx, dy, dz = c[0] - q[0], c[1] - q[1], c[2] - q[2]
            if math.sqrt((dx * dx + dy * dy) + dz * dz) <= (r[a] + r[path[0][0]]) + tolerance:
                return True
        return False

    for start in sorted(set(local[:k].tolist())):
        if not walk([(start, identity)], [start], [], int(is_metal[start])):
            return None
    # each size's closed paths through the tests of _chordless and _first_of_each, as
    # _walk_plain does them: the start's chords to atoms 2 … m − 2 (the walk tested the
    # others), the first of the paths of the same atoms by the atom keys at their positions
    out: list[tuple[np.ndarray, np.ndarray]] = []
    for m in RING_SIZES:
        kept, seen = [], set()
        for path, on_path, taken in closed[m]:
            key = tuple(sorted(atom[mp][a] for a, mp in path))
            first = key not in seen
            seen.add(key)
            if first and not _chord_from_start(path, m):
                kept.append((on_path, taken))
        if kept:
            sites = site[np.array([on_path for on_path, _ in kept])]
            taken = np.array([t for _, t in kept], dtype=int).reshape(len(kept), m - 1)
            out.extend(zip(sites, _compose(e_map, taken), strict=True))
    return out


def _compose(e_map: np.ndarray, taken: np.ndarray) -> np.ndarray:
    """(p, L, 4, 4) maps of the atoms of paths that took the bonds ``taken`` (p, L − 1):
    the identity for the first atom, then the bonds' maps composed along the path."""
    p, steps = taken.shape
    maps = np.empty((p, steps + 1, 4, 4))
    maps[:, 0] = np.eye(4)
    for step in range(steps):
        maps[:, step + 1] = maps[:, step] @ e_map[taken[:, step]]
    return maps


_SAME = 1e-4  # fractional coordinates closer than this are one atom
#: Bonds (both directions) up to which a plain ring search walks its paths in Python
#: (:func:`_walk_plain`); larger ones are vectorised (one way round and the start's chords
#: alone, the walk costs less up to ~90 bonds: 1a.cif, 70 bonds, 0.51 ms vectorised and
#: 0.32 ms walked; bs5068's block 2b, 90 bonds, 0.21 and 0.30 ms).
_WALK_BONDS = 88
#: Bonds and distinct bond maps up to which a search through symmetry images walks its
#: paths (:func:`_walk_images`): a molecule on a symmetry element has two or three maps;
#: an inorganic network through many operators composes many more, each a few numpy calls
#: (2105798.cif, 15 maps: 0.27 ms vectorised, 1.4 ms walked; 1512297.cif, 2 maps: 0.60
#: and 0.37 ms).
_WALK_IMAGE_BONDS = 48
_WALK_MAPS = 3


def _bond_maps(edges) -> int:
    """How many distinct maps (operator, lattice translation) the bonds take."""
    return len(set(zip(edges.op.tolist(), map(tuple, edges.shift.tolist()), strict=True)))


_MAX_PATHS = 2_000_000  # paths of one length; organic structures need thousands
_LOOKUP_CELLS = 100_000  # bonds looked up by table per step (paths × most bonds of a site)
#: Paths of one length up to which may_have_aromatic_rings runs the whole ring search
#: (every structure of the shared corpus needs fewer but sn5033sup1's dense tangle of
#: split P and O sites, which passes it in ~0.5 ms and is then searched over its
#: aromatic bonds alone, ~1 ms, where the whole search takes ~130 ms).
_SMALL_SEARCH = 2_000


def _chordless(
    structure: Structure, sites: np.ndarray, fract: np.ndarray, radius: np.ndarray, tolerance: float
) -> np.ndarray:
    """Which cycles (c, m) have no chord: no two non-adjacent atoms within bonding distance
    (the rule of :mod:`coordgeo.coordination`)."""
    x = cartesian_elementwise(fract, structure.cell.orthogonalization)
    d = vector_lengths(x[:, :, None] - x[:, None])
    near = d <= radius[sites][:, :, None] + radius[sites][:, None, :] + tolerance
    m = sites.shape[1]
    gap = np.abs(np.arange(m)[:, None] - np.arange(m)[None])
    far = (gap > 1) & (gap < m - 1)
    return ~(near & far[None]).any(axis=(1, 2))


def _atom_keys(sites: np.ndarray, fract: np.ndarray) -> np.ndarray:
    """An integer per atom (site, fractional coordinates × 10⁴ rounded) that tells atoms
    apart for :func:`_first_of_each`."""
    keys = np.round(fract * 10**_POSITION_DECIMALS).astype(np.int64)
    return sites * 1_000_003 + keys[..., 0] * 1_000_033 + keys[..., 1] * 10_007 + keys[..., 2]


def _first_of_each(sites: np.ndarray, fract: np.ndarray) -> np.ndarray:
    """First of the cycles (c, m) made of the same atoms (one ring walked both ways)."""
    atom = _atom_keys(sites, fract)
    keep = np.zeros(len(sites), dtype=bool)
    seen: set[tuple[int, ...]] = set()
    for k, row in enumerate(np.sort(atom, axis=1).tolist()):
        row = tuple(row)
        if row not in seen:
            seen.add(row)
            keep[k] = True
    return keep


def _canonical(structure: Structure, cycles: list[tuple[np.ndarray, np.ndarray]]) -> list[tuple]:
    """(key, sites, maps, rounded maps) of each cycle in its canonical copy and order, in
    the order of ``cycles``; images of one ring share the key.

    The canonical copy starts at an occurrence of the ring's first (smallest) site, moved
    to the untransformed site, and goes the way round whose (sites, sorted atom positions)
    compares smallest (the first such when two tie); the key is the sorted positions
    (site, fractional coordinates × 10⁴ rounded) of that copy. All cycles of one size are
    done at once: every start and both directions are candidates.
    """
    scale = 10**_POSITION_DECIMALS
    if cycles and cycles[0][1] is None:  # _cycles' plain search: no map, none moves
        return _canonical_in_place(structure, cycles, scale)
    out: list[tuple] = [None] * len(cycles)  # type: ignore[list-item]
    by_size: dict[int, list[int]] = {}
    for k, (sites, _) in enumerate(cycles):
        by_size.setdefault(len(sites), []).append(k)
    for m, members in by_size.items():
        sites = np.array([cycles[k][0] for k in members])  # (c, m)
        maps = np.array([cycles[k][1] for k in members])  # (c, m, 4, 4)
        cycle, start = np.nonzero(sites == sites.min(axis=1, keepdims=True))
        cycle, start = np.repeat(cycle, 2), np.repeat(start, 2)  # forwards, then backwards
        step = np.ones(len(cycle), dtype=int)
        step[1::2] = -1  # forwards, backwards, … (np.tile costs more)
        order = (start[:, None] + step[:, None] * np.arange(m)) % m  # (K, m)
        seq = sites[cycle[:, None], order]
        if (maps == np.eye(4)).all():
            # rings within the asymmetric unit (_cycles' plain search): nothing moves
            moved = maps[cycle[:, None], order]
            f = structure.fract[seq]
        else:
            moved = np.linalg.inv(maps[cycle, start])[:, None] @ maps[cycle[:, None], order]
            f = np.einsum("kaij,kaj->kai", moved[..., :3, :3], structure.fract[seq])
            f += moved[..., :3, 3]
        keys = np.round(f * scale).astype(np.int64)
        # each cycle's smallest candidate, (sites, sorted atoms (site, key)) compared as
        # tuples compare (integers: in Python, a few candidates per cycle); the first of
        # equals is kept
        best: dict[int, tuple[tuple, int]] = {}
        candidates = zip(cycle.tolist(), seq.tolist(), keys.tolist(), strict=True)
        for j, (c, ring_sites, key) in enumerate(candidates):
            atoms = tuple(sorted((a, *k) for a, k in zip(ring_sites, key, strict=True)))
            candidate = (tuple(ring_sites), atoms)
            if c not in best or candidate < best[c][0]:
                best[c] = (candidate, j)
        pick = [best[c][1] for c in range(len(members))]  # one per cycle, in their order
        chosen = moved[pick]
        rounded = np.round(chosen[..., :3, :], 6)  # the code of each map, to look up once
        for c, k in enumerate(members):
            ring_sites, positions = best[c][0]
            out[k] = (positions, ring_sites, chosen[c], rounded[c])
    return out


def _canonical_in_place(structure: Structure, cycles: list[tuple], scale: int) -> list[tuple]:
    """:func:`_canonical` of cycles within the asymmetric unit (maps None, every atom a
    distinct site where it is): the candidates of a cycle are its two directions from its
    smallest site, whose sorted atoms are the same, so the smaller site sequence is the
    canonical one (the other direction differs from it at the second atom). Returns
    (key, sites, None, None) per cycle: the codes are all the identity's."""
    keys = np.round(structure.fract * scale).astype(np.int64).tolist()
    out = []
    for sites, _ in cycles:
        ring = sites.tolist()
        first = ring.index(min(ring))
        forwards = ring[first:] + ring[:first]
        backwards = forwards[:1] + forwards[:0:-1]
        ring = min(forwards, backwards)
        key = tuple((site, *keys[site]) for site in sorted(ring))
        out.append((key, tuple(ring), None, None))
    return out


def _with_codes(
    structure: Structure, sites: tuple[int, ...], maps: np.ndarray, rounded: np.ndarray, cache: dict
) -> _Found | None:
    """The ring with each atom's map as a symmetry code (None: the CIF cannot express one).

    ``rounded`` are the maps' first three rows rounded to 1e-6, the cache's keys."""
    codes = []
    for mp, key in zip(maps, rounded, strict=True):
        key = key.tobytes()
        if key not in cache:
            cache[key] = operation_code(np.rint(mp[:3, :3]).astype(int), mp[:3, 3], structure)
        if cache[key] is None:
            return None
        codes.append(cache[key])
    return _Found(sites, tuple(codes))


class _RingSus:
    """su's of the centroids, normals and rms deviations of a structure's rings of one size,
    by linear propagation of the coordinate (and cell) su's
    (:func:`coordgeo.geometry.su_of_function`), computed for all of them at once on first
    use (the same batch whether the rings were all described or not: :func:`aromatic_rings`).

    The rings are cached per structure, weakly keyed: this holds a copy of the structure
    (the same arrays under another object), never the structure itself, or the cache
    would keep every structure alive."""

    def __init__(self, copy: Structure, found: list[_Found]) -> None:
        # ``copy``: ``_copy(structure)``, one per structure's rings; ``found``: the rings
        self._args = (copy, found)
        self._values: tuple[np.ndarray, np.ndarray] | None = None

    def values(self) -> tuple[np.ndarray, np.ndarray]:
        """(centroid_fract su's (k, 3), normal and rms deviation su's (k, 4))."""
        if self._values is None:
            structure, found = self._args
            sites, ops, shifts = _ring_arrays(found)
            no_cell_su = replace(structure, cell=replace(structure.cell, su=(0.0,) * 6))
            fractionalization = structure.cell.fractionalization
            _, sus = su_of_function(structure, sites, ops, shifts, _plane_quantities)
            # the fractional centroid does not depend on the cell: no cell term in its su
            _, c_fract_su = su_of_function(
                no_cell_su, sites, ops, shifts, lambda x: x.mean(axis=-2) @ fractionalization.T
            )
            self._values = (c_fract_su, sus)
            self._args = None
        return self._values


def _ring_arrays(found: list[_Found]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sites, operators (k, m) and lattice translations (k, m, 3) of k rings of m atoms."""
    sites = np.array([f.sites for f in found])
    ops = np.array([[c.op for c in f.codes] for f in found])
    shifts = np.array([[c.shift for c in f.codes] for f in found], dtype=float)
    return sites, ops, shifts


def _describe(
    structure: Structure,
    found: list[_Found],
    metal: np.ndarray | None,
    tolerance: float,
    planarity: float,
    keep: set[int] | None = None,
) -> list[Ring]:
    """The :class:`Ring` of each ring ``found`` (in the order of their sites, numbered 1,
    2, …; only those of the indices ``keep`` when given): mean planes, aromaticity and
    su's, by ring size."""
    if not found:
        return []
    aromatic_atom = _aromatic_atoms(structure, tolerance)
    out: list[Ring] = []
    fractionalization = structure.cell.fractionalization
    radius = _radii(structure)  # per list of elements, cached
    copy = _copy(structure)  # for the su's of all sizes (_RingSus)
    labels, elements = structure.labels, structure.elements
    for size in sorted({len(f.sites) for f in found}):
        group = [k for k, f in enumerate(found) if len(f.sites) == size]
        sus = _RingSus(copy, [found[k] for k in group])  # of every ring of the size
        rows = list(range(len(group))) if keep is None else [
            row for row, k in enumerate(group) if k in keep
        ]  # fmt: skip
        if not rows:
            continue
        sites, ops, shifts = _ring_arrays([found[group[row]] for row in rows])
        f = image_fract(structure, sites, ops, shifts)
        x = f @ structure.cell.orthogonalization.T
        # plane_deviations and _plane_quantities of x, from one plane fit (its centroid
        # c and deviations x − c)
        c, d, _, _, normal = _plane_fit(x)
        dev = np.einsum("...ki,...i->...k", d, normal)
        rms = np.sqrt(np.mean(dev**2, axis=-1))
        max_dev = np.abs(dev).max(axis=1)
        planar = max_dev <= planarity
        has_metal = metal[sites].any(axis=1)
        aromatic = planar & ~has_metal & aromatic_atom[sites].all(axis=1)
        if aromatic.any():  # (the bond lengths of no other ring matter)
            aromatic &= _short_bonds(x, radius[sites])
        for j, row in enumerate(rows):
            k = group[row]
            r = found[k]
            out.append(
                Ring(
                    number=k + 1,  # ``found`` is in the order of the rings' sites
                    atoms=tuple(map(Atom, r.sites, r.codes)),
                    labels=tuple(labels[s] for s in r.sites),
                    elements=tuple(elements[s] for s in r.sites),
                    metal=bool(has_metal[j]),
                    planar=bool(planar[j]),
                    aromatic=bool(aromatic[j]),
                    heteroaromatic=bool(aromatic[j]) and any(elements[s] != "C" for s in r.sites),
                    centroid=c[j],
                    centroid_fract=c[j] @ fractionalization.T,
                    normal=normal[j],
                    max_deviation=float(max_dev[j]),
                    rms_deviation=float(rms[j]),
                    _sus=sus,
                    _su_row=row,
                )
            )
    out.sort(key=lambda r: r.number)
    return out


def _copy(structure: Structure) -> Structure:
    """Another object with the same fields and cached values (the same read-only arrays):
    what ``dataclasses.replace(structure)`` makes, without building and freezing every
    field again (~20 us)."""
    copy = object.__new__(Structure)
    vars(copy).update(vars(structure))
    return copy


def _short_bonds(x: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """Whether every bond of each ring (k, m, 3 Cartesian; atoms' covalent radii k, m) is
    shorter than r_cov(A) + r_cov(B) + :data:`AROMATIC_BOND_MARGIN`."""
    after = np.arange(1, x.shape[1] + 1) % x.shape[1]  # the next atom round the ring
    length = vector_lengths(x[:, after] - x)  # np.linalg.norm's sums, bit for bit
    return (length < radius + radius[:, after] + AROMATIC_BOND_MARGIN).all(axis=1)


# --- tables -------------------------------------------------------------------------------

#: Columns of :func:`rings`.
COLUMNS = [
    "block",
    "cg",
    "atoms",
    "size",
    "metal",
    "planar",
    "aromatic",
    "heteroaromatic",
    "x",
    "x_su",
    "y",
    "y_su",
    "z",
    "z_su",
    "normal_x",
    "normal_x_su",
    "normal_y",
    "normal_y_su",
    "normal_z",
    "normal_z_su",
    "rms_deviation",
    "rms_deviation_su",
    "max_deviation",
]


def rings(
    structure: Structure,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    planarity: float = DEFAULT_PLANARITY,
) -> pd.DataFrame:
    """The rings of :func:`find_rings` as a table, one row per ring (Cg1, Cg2, …).

    Columns: ``block, cg, atoms`` (ring order, ``C3_2_655`` for an atom in a symmetry
    image), ``size, metal, planar, aromatic, heteroaromatic``, the centroid's fractional
    coordinates ``x, y, z`` with su's, the mean plane's unit normal ``normal_x/y/z``
    (Cartesian: **a** along x, **b** in the xy plane) with su's, and the atoms'
    ``rms_deviation`` (with su) and ``max_deviation`` from the plane (Å).
    """
    found = find_rings(structure, tolerance=tolerance, planarity=planarity)
    records = []
    for r in found:
        records.append(
            [
                structure.block,
                r.name,
                " ".join(atom_label(structure, a) for a in r.atoms),
                r.size,
                r.metal,
                r.planar,
                r.aromatic,
                r.heteroaromatic,
                r.centroid_fract[0],
                r.centroid_fract_su[0],
                r.centroid_fract[1],
                r.centroid_fract_su[1],
                r.centroid_fract[2],
                r.centroid_fract_su[2],
                r.normal[0],
                r.normal_su[0],
                r.normal[1],
                r.normal_su[1],
                r.normal[2],
                r.normal_su[2],
                r.rms_deviation,
                r.rms_deviation_su,
                r.max_deviation,
            ]
        )
    return pd.DataFrame(records, columns=COLUMNS)


def centroid_label(text: str) -> int | None:
    """The ring number of a centroid label as authors print it, else None.

    ``Cg1``, ``Cg(1)``, ``CG1``, ``Cg1'`` → 1; ``Cg`` → 0 (a centroid, number not given);
    ``C1``, ``Cl1`` → None.
    """
    t = text.strip().strip("'\"").rstrip("'*").replace("(", "").replace(")", "")
    if len(t) < 2 or t[:2].lower() != "cg":
        return None
    rest = t[2:]
    if rest == "":
        return 0
    return int(rest) if rest.isdigit() else None


__all__ = [
    "AROMATIC_BOND_MARGIN",
    "COLUMNS",
    "DEFAULT_PLANARITY",
    "RING_SIZES",
    "Ring",
    "aromatic_rings",
    "centroid_and_normal",
    "centroid_label",
    "find_rings",
    "may_have_aromatic_rings",
    "normal_jacobian",
    "plane_deviations",
    "rings",
]
