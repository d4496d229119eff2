"""Covalent bonds and metal coordination spheres.

Bond criterion
--------------
Two atoms are bonded when their distance is at most
r_cov(A) + r_cov(B) + ``tolerance`` (default 0.45 Å), with the covalent
radii of Cordero et al., Dalton Trans. 2008, 2832 (``gemmi.Element.covalent_r``;
low-spin radii for Mn, Fe, Co, so high-spin M–L bonds are still inside the
default tolerance: Fe–N 1.32 + 0.71 + 0.45 = 2.48 Å). Pairs are never bonded
when

* they belong to different disorder groups of the same disorder assembly
  (SHELXL PART 1 / PART 2: two alternative positions, not neighbours);
* they are symmetry mates within one negative PART (SHELXL PART −n: a
  group disordered about a symmetry element does not bond to its own image);
* either is a dummy site (centroids and the like);
* they are closer than 0.5 Å (two alternatives of one disordered atom).

Coordination spheres
--------------------
Every element that :attr:`gemmi.Element.is_metal` calls a metal is a
centre (so alkali and main-group metals too: no hard-coded list). Its donors
are the atoms bonded to it by the criterion above, including symmetry mates
and other metals (an M–M bond such as the Ru–Ru of a paddle-wheel counts).
H atoms count as donors only when they are hydrides, i.e. bonded to nothing
but metals; the H of a coordinated water or amine is not a donor.

Disorder: donors that exclude each other (different groups of one assembly,
or two positions closer than 0.8 Å) are never put in one sphere; the metal
gets one sphere per compatible set (maximal cliques of the compatibility
graph, via networkx), labelled with its disorder groups and with the lowest
occupancy of its atoms.
"""

from __future__ import annotations

from dataclasses import dataclass

import gemmi
import numpy as np
import pandas as pd

from coordgeo.geometry import Atom, atom_label, contacts, measure
from coordgeo.model import Structure
from coordgeo.symmetry import format_code, identity

DEFAULT_TOLERANCE = 0.45  # Å added to the sum of covalent radii
MIN_BOND = 0.5  # Å; shorter "bonds" are alternatives of one disordered atom
EXCLUSIVE_DISTANCE = 0.8  # Å; two donors this close cannot both be present


@dataclass(frozen=True)
class Sphere:
    """One coordination sphere: a metal site (untransformed) and its donors, nearest first."""

    metal: int
    donors: tuple[Atom, ...]
    distances: tuple[float, ...]
    distances_su: tuple[float, ...]
    configuration: str = ""  # disorder groups used, e.g. "A:1" ("" when ordered)
    occupancy: float = 1.0

    @property
    def coordination_number(self) -> int:
        return len(self.donors)


def covalent_radius(element: str) -> float:
    """Cordero 2008 covalent radius in Å (0 for dummy sites)."""
    return 0.0 if element == "X" else float(gemmi.Element(element).covalent_r)


def is_metal(element: str) -> bool:
    return element != "X" and bool(gemmi.Element(element).is_metal)


# --- bonds --------------------------------------------------------------------------------


def excluded_by_disorder(
    structure: Structure, i: np.ndarray, j: np.ndarray, same: np.ndarray
) -> np.ndarray:
    """True where sites ``i`` and ``j`` cannot be bonded because of disorder.

    Different groups of one assembly never bond; nor do two symmetry mates of one site
    in a negative PART (``same`` is False for such pairs of images). Used for bonds
    here and for D–H···A in :mod:`coordgeo.hbonds`; see the module docstring.
    """
    asm = np.array(structure.disorder_assembly, dtype=object)
    grp = np.array(structure.disorder_group, dtype=object)
    gi, gj = grp[i], grp[j]
    both = (gi != "") & (gj != "")
    different_groups = both & (asm[i] == asm[j]) & (gi != gj)
    negative = np.array([g.startswith("-") for g in grp], dtype=bool)
    mates_in_negative_part = negative[i] & negative[j] & (gi == gj) & ~same
    return different_groups | mates_in_negative_part


def bond_contacts(
    structure: Structure, tolerance: float = DEFAULT_TOLERANCE, centers: np.ndarray | None = None
):
    """All bonds from each site of the asymmetric unit (or of ``centers``), as geometry.Contacts.

    Bonds between two sites appear once from each end.
    """
    radii = _radii(structure)
    centers = np.arange(len(structure)) if centers is None else np.asarray(centers, dtype=int)
    if len(radii) == 0 or len(centers) == 0:
        return contacts(structure, 0.0, centers=[])
    reach = radii[centers] + radii.max() + tolerance
    found = contacts(structure, reach, centers=centers, min_distance=MIN_BOND)
    i, j = found.center, found.site
    ok = found.distance <= radii[i] + radii[j] + tolerance
    ok &= (radii[i] > 0) & (radii[j] > 0)
    identity_op = structure.identity_op
    same = (found.op == identity_op) & ~found.shift.any(axis=1)
    ok &= ~excluded_by_disorder(structure, i, j, same)
    hydrogen = np.array([e == "H" for e in structure.elements], dtype=bool)
    ok &= ~(hydrogen[i] & hydrogen[j])
    return found.take(ok)


def _radii(structure: Structure) -> np.ndarray:
    cache = {e: covalent_radius(e) for e in set(structure.elements)}
    return np.array([cache[e] for e in structure.elements])


def _metal_mask(structure: Structure) -> np.ndarray:
    cache = {e: is_metal(e) for e in set(structure.elements)}
    return np.array([cache[e] for e in structure.elements], dtype=bool)


def bonds(structure: Structure, tolerance: float = DEFAULT_TOLERANCE) -> pd.DataFrame:
    """Every covalent and coordination bond of the structure, each once.

    Columns ``block, atom1, atom2, symmetry_code, distance, distance_su, kind``:
    atom1 is untransformed, ``symmetry_code`` (CIF n_klm, ``.`` for the
    identity) applies to atom2; ``kind`` is ``coordination`` for bonds to a
    metal, ``covalent`` otherwise. A bond between two sites of the asymmetric
    unit is listed from the site that comes first in the CIF.
    """
    found = bond_contacts(structure, tolerance)
    keep = _one_direction(structure, found)
    found = found.take(keep)
    n = len(found)
    sites = np.stack([found.center, found.site], axis=1)
    ops = np.stack([np.full(n, structure.identity_op), found.op], axis=1)
    shifts = np.stack([np.zeros((n, 3)), found.shift.astype(float)], axis=1)
    values, sus = measure(structure, sites, ops, shifts)
    metal = _metal_mask(structure)
    return pd.DataFrame(
        {
            "block": structure.block,
            "atom1": [structure.labels[a] for a in found.center],
            "atom2": [structure.labels[b] for b in found.site],
            "symmetry_code": [format_code(c, structure) for c in found.codes()],
            "distance": values,
            "distance_su": sus,
            "kind": np.where(metal[found.center] | metal[found.site], "coordination", "covalent"),
        }
    )


def _one_direction(structure: Structure, found) -> np.ndarray:
    """Keep one of the two directions of each bond (i→j·g and j→i·g⁻¹ are the same bond)."""
    seen: set = set()
    keep = np.zeros(len(found), dtype=bool)
    rot, tran = structure.rotations, structure.translations
    for k, (i, j, op, shift) in enumerate(
        zip(found.center, found.site, found.op, found.shift, strict=True)
    ):
        i, j = int(i), int(j)
        r = rot[op]
        t = tran[op] + shift
        key = (i, j, tuple(r.ravel()), tuple(np.round(t, 6)))
        # the reverse bond: j at identity, i transformed by g⁻¹ = (R⁻¹, −R⁻¹t)
        ri = np.rint(np.linalg.inv(r)).astype(int)
        rkey = (j, i, tuple(ri.ravel()), tuple(np.round(-ri @ t, 6) + 0.0))
        if rkey in seen or key in seen:
            continue
        seen.add(key)
        keep[k] = True
    return keep


def angles(structure: Structure, tolerance: float = DEFAULT_TOLERANCE) -> pd.DataFrame:
    """Every bond angle: for each site, all pairs of atoms bonded to it.

    Columns ``block, atom1, atom2, atom3, symmetry_code_1, symmetry_code_3,
    angle, angle_su``; atom2 is the (untransformed) vertex, the codes apply
    to atoms 1 and 3.
    """
    found = bond_contacts(structure, tolerance)
    rows_i, rows_a, rows_b = [], [], []
    order = np.argsort(found.center, kind="stable")
    centers = found.center[order]
    starts = np.searchsorted(centers, np.arange(len(structure)))
    ends = np.searchsorted(centers, np.arange(len(structure)), side="right")
    for v in range(len(structure)):
        idx = order[starts[v] : ends[v]]
        for x in range(len(idx)):
            for y in range(x + 1, len(idx)):
                rows_i.append(v)
                rows_a.append(idx[x])
                rows_b.append(idx[y])
    a = np.array(rows_a, dtype=int)
    b = np.array(rows_b, dtype=int)
    n = len(a)
    ident = structure.identity_op
    sites = np.stack([found.site[a], np.array(rows_i, dtype=int), found.site[b]], axis=1).reshape(
        n, 3
    )
    ops = np.stack([found.op[a], np.full(n, ident), found.op[b]], axis=1).reshape(n, 3)
    shifts = np.stack([found.shift[a], np.zeros((n, 3)), found.shift[b]], axis=1).reshape(n, 3, 3)
    values, sus = measure(structure, sites, ops, shifts.astype(float))
    codes = found.codes()
    return pd.DataFrame(
        {
            "block": structure.block,
            "atom1": [structure.labels[s] for s in sites[:, 0]],
            "atom2": [structure.labels[s] for s in sites[:, 1]],
            "atom3": [structure.labels[s] for s in sites[:, 2]],
            "symmetry_code_1": [format_code(codes[k], structure) for k in a],
            "symmetry_code_3": [format_code(codes[k], structure) for k in b],
            "angle": values,
            "angle_su": sus,
        }
    )


# --- coordination spheres -----------------------------------------------------------------


def coordination_spheres(
    structure: Structure,
    tolerance: float = DEFAULT_TOLERANCE,
    metals: list[int] | None = None,
) -> list[Sphere]:
    """Coordination sphere(s) of every metal site (or of the sites in ``metals``).

    See the module docstring for the criteria. A metal with disordered
    donors gets one sphere per compatible donor set.
    """
    metal_mask = _metal_mask(structure)
    metals = np.flatnonzero(metal_mask) if metals is None else np.asarray(metals, dtype=int)
    if len(metals) == 0:
        return []
    hydrogen = np.array([e == "H" for e in structure.elements], dtype=bool)
    centers = np.union1d(metals, np.flatnonzero(hydrogen))
    found = bond_contacts(structure, tolerance, centers=centers)
    # an H is a donor only as a hydride: bonded to metals alone
    h_bonded_to_nonmetal = np.zeros(len(structure), dtype=bool)
    from_h = hydrogen[found.center]
    np.logical_or.at(h_bonded_to_nonmetal, found.center[from_h], ~metal_mask[found.site[from_h]])
    found = found.take(np.isin(found.center, metals))
    found = found.take(~(hydrogen[found.site] & h_bonded_to_nonmetal[found.site]))
    n = len(found)
    sites = np.stack([found.center, found.site], axis=1)
    ops = np.stack([np.full(n, structure.identity_op), found.op], axis=1)
    shifts = np.stack([np.zeros((n, 3)), found.shift.astype(float)], axis=1)
    d_all, su_all = measure(structure, sites, ops, shifts)
    mate = (found.op != structure.identity_op) | found.shift.any(axis=1)
    # per metal: nearest first; equal bonds (symmetry mates): the untransformed donor first
    order = np.lexsort((mate, np.round(d_all, 6), found.center))
    found, d_all, su_all = found.take(order), d_all[order], su_all[order]
    starts = np.searchsorted(found.center, metals)
    ends = np.searchsorted(found.center, metals, side="right")
    codes = found.codes()
    spheres: list[Sphere] = []
    for m, a, b in zip(metals.tolist(), starts.tolist(), ends.tolist(), strict=True):
        for subset, configuration in _compatible_sets(structure, found.take(np.arange(a, b))):
            idx = a + np.sort(subset)
            atoms = tuple(Atom(int(found.site[k]), codes[k]) for k in idx)
            occ = min([structure.occupancy[m]] + [structure.occupancy[x.site] for x in atoms])
            spheres.append(
                Sphere(
                    m,
                    atoms,
                    tuple(d_all[idx].tolist()),
                    tuple(su_all[idx].tolist()),
                    configuration,
                    float(occ),
                )
            )
    return spheres


def _compatible_sets(structure: Structure, donors) -> list[tuple[np.ndarray, str]]:
    """Split donors into sets that can coexist (one per disorder configuration)."""
    n = len(donors)
    if n == 0:
        return [(np.zeros(0, dtype=int), "")]
    sites = donors.site
    asm = [structure.disorder_assembly[s] for s in sites]
    grp = [structure.disorder_group[s] for s in sites]
    if n == 1:
        return [(np.arange(1), _configuration(asm, grp, range(1)))]
    x = (
        np.einsum("kij,kj->ki", structure.rotations[donors.op], structure.fract[sites])
        + structure.translations[donors.op]
        + donors.shift
    ) @ structure.cell.orthogonalization.T
    close = np.linalg.norm(x[:, None] - x[None], axis=-1) < EXCLUSIVE_DISTANCE
    conflict = np.zeros((n, n), dtype=bool)
    for a in range(n):
        for b in range(a + 1, n):
            different_group = grp[a] and grp[b] and asm[a] == asm[b] and grp[a] != grp[b]
            if different_group or close[a, b]:
                conflict[a, b] = conflict[b, a] = True
    if not conflict.any():
        return [(np.arange(n), _configuration(asm, grp, range(n)))]
    import networkx as nx  # only disordered spheres need it: keep start-up fast

    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from((a, b) for a in range(n) for b in range(a + 1, n) if not conflict[a, b])
    cliques = sorted((sorted(c) for c in nx.find_cliques(graph)), key=lambda c: (-len(c), c))
    return [(np.array(c, dtype=int), _configuration(asm, grp, c)) for c in cliques]


def _configuration(asm: list[str], grp: list[str], members) -> str:
    used = sorted({f"{asm[k] or '.'}:{grp[k]}" for k in members if grp[k]})
    return " ".join(used)


# --- tables -------------------------------------------------------------------------------


def spheres_frame(structure: Structure, spheres: list[Sphere]) -> pd.DataFrame:
    """One row per metal–donor bond, with the donor's symmetry code and the distance (+su)."""
    if not any(sp.donors for sp in spheres):
        return pd.DataFrame([])
    # column lists rather than a dict per row: the same frame, built faster
    labels, elements = structure.labels, structure.elements
    per_bond = [sp for sp in spheres for _ in sp.donors]
    donors = [atom for sp in spheres for atom in sp.donors]
    return pd.DataFrame(
        {
            "block": [structure.block] * len(donors),
            "metal": [labels[sp.metal] for sp in per_bond],
            "configuration": [sp.configuration for sp in per_bond],
            "donor": [labels[a.site] for a in donors],
            "donor_element": [elements[a.site] for a in donors],
            "symmetry_code": [format_code(a.code, structure) for a in donors],
            "distance": [d for sp in spheres for d in sp.distances],
            "distance_su": [su for sp in spheres for su in sp.distances_su],
            "occupancy": [sp.occupancy for sp in per_bond],
        }
    )


def donor_labels(structure: Structure, sphere: Sphere) -> list[str]:
    """``N1``, ``N1_2_655`` … for each donor of a sphere."""
    return [atom_label(structure, a) for a in sphere.donors]


def metal_atom(structure: Structure, sphere: Sphere) -> Atom:
    """The untransformed metal of a sphere as an :class:`Atom`."""
    return Atom(sphere.metal, identity(structure))


def sphere_geometry(structure: Structure, spheres: list[Sphere]) -> pd.DataFrame:
    """M–L bonds and L–M–L angles of each sphere, with su's, as in Table S1 of an SI.

    Columns ``block, metal, configuration, kind, atoms, value, value_su``:
    ``kind`` is ``bond`` or ``angle``; ``atoms`` a tuple of
    :class:`~coordgeo.geometry.Atom` (bond: metal, donor; angle: donor,
    metal, donor). Bonds come nearest first; angles for every donor pair.
    """
    records = []
    for sp in spheres:
        metal = metal_atom(structure, sp)
        for donor, d, su in zip(sp.donors, sp.distances, sp.distances_su, strict=True):
            records.append((sp, "bond", (metal, donor), d, su))
        pairs = [
            (sp.donors[a], metal, sp.donors[b])
            for a in range(len(sp.donors))
            for b in range(a + 1, len(sp.donors))
        ]
        if pairs:
            sites = np.array([[x.site for x in p] for p in pairs])
            ops = np.array([[x.code.op for x in p] for p in pairs])
            shifts = np.array([[x.code.shift for x in p] for p in pairs], dtype=float)
            values, sus = measure(structure, sites, ops, shifts)
            for p, v, s in zip(pairs, values.tolist(), sus.tolist(), strict=True):
                records.append((sp, "angle", p, v, s))
    return pd.DataFrame(
        {
            "block": structure.block,
            "metal": [structure.labels[r[0].metal] for r in records],
            "configuration": [r[0].configuration for r in records],
            "kind": [r[1] for r in records],
            "atoms": [r[2] for r in records],
            "value": [r[3] for r in records],
            "value_su": [r[4] for r in records],
        },
        columns=["block", "metal", "configuration", "kind", "atoms", "value", "value_su"],
    )
