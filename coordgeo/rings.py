"""Rings of a crystal structure: 5- and 6-membered rings, their centroids Cg and mean planes.

Perception
----------
Rings are found on the bond graph of :mod:`coordgeo.graph` (covalent and coordination bonds
by the criterion of :mod:`coordgeo.coordination`), whose molecules are grown from the
asymmetric unit into symmetry images, so a ring that lies across an inversion centre or a
mirror (half of it in the asymmetric unit) is found whole. Every simple cycle of 5 or 6
non-hydrogen atoms without a chord (no bond between two non-adjacent ring atoms) is a ring;
rings through a bond to another lattice translate of a polymer are not searched. Rings that
symmetry maps onto each other are one ring: each is kept once, as the copy whose first atom
(below) is the untransformed site of the asymmetric unit.

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
No bond orders are stored in a CIF, so "aromatic" is judged from the geometry: a planar ring
of C, N, O, S or Se atoms (no metal), each C and N with at most three bonded neighbours (an
sp² atom; H atoms and metals counted), and every ring bond shorter than the sum of the
Cordero covalent radii of sp² atoms plus 0.04 Å (gemmi's radii: C 0.73, N 0.71, O 0.66,
S 1.05 Å; so C–C < 1.50 Å, C–N < 1.48 Å, C–O < 1.43 Å, C–S < 1.82 Å; benzene 1.39 Å,
pyridine C–N 1.34 Å, the fused C–C of quinoline 1.42–1.45 Å). The neighbour count is what
rules out sp³ rings (cyclohexane, a chair of a saturated chelate); the bond test rules out
rings closed by unusually long bonds. ``heteroaromatic`` marks aromatic rings with a ring atom other than C.
Chelate rings (a metal in the ring) are listed with ``metal`` set and are never aromatic.

Standard uncertainties
----------------------
The centroid's fractional coordinates are linear in the atoms' coordinates: their su's
follow from the coordinates' covariance exactly. The normal's Cartesian components and
the deviations from the plane get their su's by linear propagation of the coordinate and
cell su's, with the gradient by central differences (:func:`coordgeo.geometry.su_of_function`),
as every other coordgeo quantity.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from coordgeo.coordination import DEFAULT_TOLERANCE, covalent_radius
from coordgeo.geometry import Atom, atom_label, image_fract, propagate_su, su_of_function
from coordgeo.model import Structure
from coordgeo.symmetry import SymmetryCode

#: Largest distance (Å) of a ring atom from the mean plane for the ring to count as planar.
DEFAULT_PLANARITY = 0.10
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
    centroid_fract_su: np.ndarray
    normal: np.ndarray
    normal_su: np.ndarray
    max_deviation: float
    rms_deviation: float
    rms_deviation_su: float

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
    c = x.mean(axis=-2)
    d = x - c[..., None, :]
    scatter = np.einsum("...ki,...kj->...ij", d, d)
    _, vectors = np.linalg.eigh(scatter)
    n = vectors[..., :, 0]
    ref = np.cross(d[..., 0, :], d[..., 1, :])
    sign = np.where(np.sum(n * ref, axis=-1) < 0, -1.0, 1.0)
    return c, n * sign[..., None]


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
    maps: tuple[np.ndarray, ...]  # 4×4 affine map of each atom's code (first: identity)
    codes: tuple[SymmetryCode, ...]


_CACHE: weakref.WeakKeyDictionary[Structure, dict[tuple, list[Ring]]] = weakref.WeakKeyDictionary()


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
        per[key] = _perceive(structure, tolerance, planarity)
    return per[key]


def _perceive(structure: Structure, tolerance: float, planarity: float) -> list[Ring]:
    if len(structure) == 0:
        return []
    from coordgeo.graph import _Builder  # networkx comes with coordgeo.graph: import late

    b = _Builder(structure, tolerance)
    b.build()
    elements = structure.elements
    keys = list(b.atoms)
    index = {k: i for i, k in enumerate(keys)}
    sites = [b.atoms[k]["site"] for k in keys]
    heavy = [elements[s] not in ("H", "D", "X") for s in sites]
    adj: list[set[int]] = [set() for _ in keys]
    for e in b.edges.values():
        if e["kind"] == "hbond" or any(e["translation"]):
            continue
        i, j = index[e["a"]], index[e["b"]]
        if heavy[i] and heavy[j]:
            adj[i].add(j)
            adj[j].add(i)
    _prune(adj)
    found: dict[tuple, _Found] = {}
    for cycle in _cycles(adj, RING_SIZES):
        ring = _canonical(structure, b, [keys[i] for i in cycle])
        if ring is not None:
            key, f = ring
            found.setdefault(key, f)
    ordered = sorted(found.values(), key=lambda f: f.sites)
    degree = np.array([len(bonds) for bonds in b.bonds])
    return _describe(structure, ordered, degree, b.metal, planarity)


def _prune(adj: list[set[int]]) -> None:
    """Remove atoms with fewer than two ring-able bonds, repeatedly (chains, terminal atoms)."""
    stack = [i for i, n in enumerate(adj) if len(n) < 2]
    while stack:
        i = stack.pop()
        for j in list(adj[i]):
            adj[j].discard(i)
            if len(adj[j]) < 2:
                stack.append(j)
        adj[i].clear()


def _cycles(adj: list[set[int]], sizes: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Chordless simple cycles with the given numbers of atoms, each once.

    A cycle is found from its smallest node v, through nodes larger than v, in the
    direction whose second node is smaller than its last.
    """
    longest = max(sizes)
    out: list[tuple[int, ...]] = []
    for v in range(len(adj)):
        if len(adj[v]) < 2:
            continue
        path = [v]
        on = {v}

        def extend(path: list[int], on: set[int], v: int = v) -> None:
            for w in adj[path[-1]]:
                if w == v:
                    if len(path) in sizes and path[1] < path[-1]:
                        out.append(tuple(path))
                elif w > v and w not in on and len(path) < longest:
                    path.append(w)
                    on.add(w)
                    extend(path, on)
                    on.discard(w)
                    path.pop()

        extend(path, on)
    return [c for c in out if not _has_chord(c, adj)]


def _has_chord(cycle: tuple[int, ...], adj: list[set[int]]) -> bool:
    m = len(cycle)
    for a in range(m):
        for c in range(a + 2, m):
            if a == 0 and c == m - 1:
                continue
            if cycle[c] in adj[cycle[a]]:
                return True
    return False


def _canonical(structure: Structure, b, keys: list) -> tuple[tuple, _Found] | None:
    """The ring in its canonical copy and atom order, and a key shared by its images."""
    atoms = [b.atoms[k] for k in keys]
    sites = [a["site"] for a in atoms]
    m = len(atoms)
    best = None
    first_site = min(sites)
    for start in (k for k in range(m) if sites[k] == first_site):
        to_unit = np.linalg.inv(atoms[start]["map"])
        for step in (1, -1):
            order = [(start + step * r) % m for r in range(m)]
            maps = [to_unit @ atoms[k]["map"] for k in order]
            fract = [
                mp[:3, :3] @ structure.fract[sites[k]] + mp[:3, 3]
                for mp, k in zip(maps, order, strict=True)
            ]
            positions = tuple(
                sorted(_position(sites[k], f) for k, f in zip(order, fract, strict=True))
            )
            candidate = (tuple(sites[k] for k in order), positions)
            if best is None or candidate < best[0]:
                best = (candidate, order, maps)
    (ring_sites, positions), order, maps = best
    codes = []
    for mp in maps:
        code = b.code(mp)
        if code is None:
            return None  # an image the CIF's operator list cannot express
        codes.append(code)
    return positions, _Found(ring_sites, tuple(maps), tuple(codes))


def _position(site: int, fract: np.ndarray) -> tuple[int, int, int, int]:
    p = np.round(np.asarray(fract) * 10**_POSITION_DECIMALS).astype(np.int64)
    return (site, int(p[0]), int(p[1]), int(p[2]))


def _describe(
    structure: Structure,
    found: list[_Found],
    degree: np.ndarray,
    metal: np.ndarray,
    planarity: float,
) -> list[Ring]:
    if not found:
        return []
    out: list[Ring] = []
    no_cell_su = replace(structure, cell=replace(structure.cell, su=(0.0,) * 6))
    fractionalization = structure.cell.fractionalization
    for size in sorted({len(f.sites) for f in found}):
        group = [k for k, f in enumerate(found) if len(f.sites) == size]
        sites = np.array([found[k].sites for k in group])
        ops = np.array([[c.op for c in found[k].codes] for k in group])
        shifts = np.array([[c.shift for c in found[k].codes] for k in group], dtype=float)
        values, sus = su_of_function(structure, sites, ops, shifts, _plane_quantities)
        f = image_fract(structure, sites, ops, shifts)
        x = f @ structure.cell.orthogonalization.T
        c, _ = centroid_and_normal(x)
        dev = plane_deviations(x)
        # fractional centroid: linear in the coordinates, no cell term
        n = len(group)
        grad = np.broadcast_to(fractionalization[None, None] / size, (n, size, 3, 3))
        c_fract_su = np.stack(
            [
                propagate_su(no_cell_su, sites, ops, f, np.ascontiguousarray(grad[..., i, :]))
                for i in range(3)
            ],
            axis=1,
        )
        for row, k in enumerate(group):
            r = found[k]
            elems = tuple(structure.elements[s] for s in r.sites)
            has_metal = bool(metal[list(r.sites)].any())
            max_dev = float(np.abs(dev[row]).max())
            planar = max_dev <= planarity
            aromatic = (
                planar
                and not has_metal
                and all(e in AROMATIC_ELEMENTS for e in elems)
                and all(
                    degree[s] <= 3 for s, e in zip(r.sites, elems, strict=True) if e in ("C", "N")
                )
                and _short_bonds(x[row], elems)
            )
            out.append(
                Ring(
                    number=0,
                    atoms=tuple(Atom(s, code) for s, code in zip(r.sites, r.codes, strict=True)),
                    labels=tuple(structure.labels[s] for s in r.sites),
                    elements=elems,
                    metal=has_metal,
                    planar=bool(planar),
                    aromatic=bool(aromatic),
                    heteroaromatic=bool(aromatic and any(e != "C" for e in elems)),
                    centroid=c[row],
                    centroid_fract=c[row] @ fractionalization.T,
                    centroid_fract_su=c_fract_su[row],
                    normal=values[row, :3],
                    normal_su=sus[row, :3],
                    max_deviation=max_dev,
                    rms_deviation=float(values[row, 3]),
                    rms_deviation_su=float(sus[row, 3]),
                )
            )
    out.sort(key=lambda r: tuple(a.site for a in r.atoms))
    return [replace(r, number=k + 1) for k, r in enumerate(out)]


def _short_bonds(x: np.ndarray, elements: tuple[str, ...]) -> bool:
    m = len(elements)
    for k in range(m):
        a, b = elements[k], elements[(k + 1) % m]
        limit = covalent_radius(a) + covalent_radius(b) + AROMATIC_BOND_MARGIN
        if np.linalg.norm(x[(k + 1) % m] - x[k]) >= limit:
            return False
    return True


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
    "centroid_and_normal",
    "centroid_label",
    "find_rings",
    "plane_deviations",
    "rings",
]
