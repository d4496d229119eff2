"""Hydrogen bonds D–H···A, intra- and intermolecular, with symmetry-generated acceptors.

Criteria (defaults; every one is a keyword of :func:`hbonds`)
--------------------------------------------------------------
A contact D–H···A is listed when

* **H** is a hydrogen atom with coordinates, covalently bonded (criterion of
  :mod:`coordgeo.coordination`: d ≤ r_cov + r_cov + 0.45 Å, Cordero 2008 radii) to a
  non-metal **D**; when H is bonded to several non-metals the nearest is D. H atoms
  bonded to nothing, or only to metals (hydrides), have no donor and are skipped;
* **D** is N or O (``donors``), plus C with ``include_c`` and S with ``include_s``;
* **A** is N, O, S, F, Cl, Br or I (``acceptors``), any symmetry image of any site,
  except an N with three bonded non-metal neighbours in a plane (nitrate, nitro, amide,
  pyrrole N–H: its lone pair is in the π system; :func:`planar_nitrogen`) and the
  central S, Se or Cl of a sulfate, sulfonate, sulfone, dithionate or perchlorate
  (four bonded non-metal neighbours, two or more of them O: no lone pair;
  :func:`oxo_anion_centre`);
* d(H···A) < r_vdW(H) + r_vdW(A) − ``ha_margin``, with ``ha_margin`` = 0 Å by default:
  H and A closer than the sum of their van der Waals radii. PLATON's CALC HBOND asks
  for 0.12 Å less (Spek, Acta Cryst. D 2009, 65, 148); that finds 93 % of the N–H···A
  and O–H···A bonds authors publish, the vdW sum itself 98.6 % (the rest are mostly
  water H···O of 2.62–2.72 Å), hence the default here (see ``docs/hbonds.md``).
  Jeffrey (1997) and Steiner (2002) both warn that a van der Waals cut-off is, if
  anything, too strict for weak hydrogen bonds;
* ∠D–H···A > ``min_angle`` = 100°, PLATON's limit (Steiner 2002 counts angles down to
  90° as weak hydrogen bonds; authors tabulate contacts from 102° up);
* A is not D and not bonded to D (a 1,3 contact H–D–A, whose short H···A the D–H and
  D–A bonds impose; PLATON leaves them out too). Contacts further along the bonds are
  kept: the 1,4 contact of a coordinated water H with a cis ligand (H–O–M–A) is the
  classic intramolecular hydrogen bond of a complex. A second atom within covalent
  distance of H is kept as an acceptor: that is a short, strong (e.g. symmetric
  O···H···O) hydrogen bond, not a second donor;
* H, D and A can coexist: no two of them belong to different disorder groups of one
  disorder assembly, nor are symmetry mates within one negative PART (the rules of
  :func:`coordgeo.coordination.excluded_by_disorder`).

van der Waals radii are gemmi's ``Element.vdw_r``. gemmi's table combines Bondi
(J. Phys. Chem. 1964, 68, 441) and Mantina et al. (J. Phys. Chem. A 2009, 113, 5806);
for H, C, N, O, F, S, Cl, Br and I its values are Bondi's: 1.20, 1.70, 1.55, 1.52, 1.47,
1.80, 1.75, 1.85 and 1.98 Å (not Mantina's H 1.10 or Br 1.83, nor Alvarez 2013).

Symmetry codes and "intramolecular"
-----------------------------------
H is the untransformed site of the CIF; ``acceptor_code`` (and ``donor_code``, "." unless
the CIF's asymmetric unit puts H next to an image of its donor) is the CIF ``n_klm`` code
of A relative to it. A contact is ``intramolecular`` when A belongs to the same
covalently bonded molecule as D: the set of atoms reachable from D through bonds
(coordination bonds included, so a complex ion is one molecule), symmetry images
included, so that a hydrogen bond inside a molecule lying on an inversion centre is
intramolecular although A carries a code.

Standard uncertainties
----------------------
su's are propagated from the coordinates and the cell as for every other quantity
(:mod:`coordgeo.geometry`). A riding H (calc flag, refinement flag R/G, or printed
without su) has no independent su: its position is computed from D and D's neighbours.
Quantities that involve it (D–H, H···A, ∠D–H···A) are then given without su (NaN), as
SHELXL prints them in ``_geom_hbond`` and as SI tables do (``0.84``, ``2.56``, ``120``);
the su of the hydrogen bond is that of D···A, which comes from D and A only.

References: G. A. Jeffrey, *An Introduction to Hydrogen Bonding*, OUP 1997;
T. Steiner, Angew. Chem. Int. Ed. 2002, 41, 48; A. L. Spek, PLATON, Acta Cryst. D 2009,
65, 148.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Sequence
from functools import lru_cache

import gemmi
import numpy as np
import pandas as pd

from coordgeo.coordination import (
    DEFAULT_TOLERANCE,
    bond_contacts,
    excluded_by_disorder,
    is_metal,
)
from coordgeo.frames import frame_of_arrays, text_columns
from coordgeo.geometry import (
    Atom,
    Contacts,
    connected_components,
    contacts,
    image_fract,
    measure,
)
from coordgeo.model import Structure
from coordgeo.options import DEFAULT_HA_MARGIN, DEFAULT_MIN_ANGLE
from coordgeo.symmetry import SymmetryCode, affine, format_codes, vector_lengths

DEFAULT_DONORS = ("N", "O")
DEFAULT_ACCEPTORS = ("N", "O", "S", "F", "Cl", "Br", "I")
HYDROGEN = ("H", "D")

#: The command-line contract (``coordgeo hbonds --format csv``).
COLUMNS = [
    "block",
    "donor",
    "hydrogen",
    "acceptor",
    "acceptor_code",
    "d_dh",
    "d_dh_su",
    "d_ha",
    "d_ha_su",
    "d_da",
    "d_da_su",
    "angle_dha",
    "angle_dha_su",
]
#: Everything :func:`hbonds` returns: the contract plus what tables and analyses need.
ALL_COLUMNS = [
    *COLUMNS,
    "donor_code",
    "intramolecular",
    "riding",
    "donor_atom",
    "hydrogen_atom",
    "acceptor_atom",
]

_POSITION_DECIMALS = 4  # fractional coordinates equal to 1e-4 are the same atom


@lru_cache(maxsize=256)
def vdw_radius(element: str) -> float:
    """Van der Waals radius (Å) from gemmi: Bondi 1964 for H and the main-group non-metals.
    Kept per element (a hydrogen-bond search asks once per site and candidate)."""
    return float(gemmi.Element(element).vdw_r)


def hbonds(structure: Structure, **criteria) -> pd.DataFrame:
    """Every hydrogen bond D–H···A of the structure (criteria in the module docstring).

    The DataFrame of :func:`hbond_columns` (``criteria`` are its keywords): one row per
    hydrogen bond, ordered by H (CIF order) then by H···A, with :data:`ALL_COLUMNS`.
    """
    return frame_of_hbonds(hbond_columns(structure, **criteria))


#: The columns of text (:func:`frame_of_hbonds` makes them as pandas stores text).
TEXT_COLUMNS = ("block", "donor", "hydrogen", "acceptor", "acceptor_code", "donor_code")


def frame_of_hbonds(columns: dict | None) -> pd.DataFrame:
    """The table of :func:`hbond_columns` output (None: the table without rows).

    The frame ``pd.DataFrame(columns, columns=ALL_COLUMNS)`` gives, assembled from its
    columns (:func:`coordgeo.frames.frame_of_arrays`; text as pandas' text column, made
    at once): pandas' constructor inferred every column of a per-structure table again.
    """
    if columns is None:
        return _empty()
    data = dict(
        zip(
            TEXT_COLUMNS,
            text_columns([columns[c].tolist() for c in TEXT_COLUMNS]),
            strict=True,
        )
    )
    # the numbers of one dtype become one block, a copy: the frame shares no array with
    # ``columns`` (the contacts and bulk tables read them)
    return frame_of_arrays({c: data[c] if c in data else columns[c] for c in ALL_COLUMNS})


def hbond_columns(
    structure: Structure,
    *,
    ha_margin: float = DEFAULT_HA_MARGIN,
    min_angle: float = DEFAULT_MIN_ANGLE,
    donors: Sequence[str] = DEFAULT_DONORS,
    acceptors: Sequence[str] = DEFAULT_ACCEPTORS,
    include_c: bool = False,
    include_s: bool = False,
    tolerance: float = DEFAULT_TOLERANCE,
) -> dict[str, np.ndarray] | None:
    """Every hydrogen bond D–H···A of the structure (criteria in the module docstring), as
    columns: {name: array} for :data:`ALL_COLUMNS`, None when there is none.

    Parameters
    ----------
    ha_margin
        d(H···A) < r_vdW(H) + r_vdW(A) − ``ha_margin`` (Å, Bondi radii). 0 by default;
        PLATON uses 0.12.
    min_angle
        ∠D–H···A > ``min_angle`` (degrees); 100 as in PLATON.
    donors, include_c, include_s
        Donor elements; ``include_c``/``include_s`` add C and S (C–H···A, S–H···A).
    acceptors
        Acceptor elements.
    tolerance
        Covalent-bond tolerance (Å) used to find each H's donor and the 1,3 exclusions.

    Returns
    -------
    One row per hydrogen bond, ordered by H (CIF order) then by H···A: the
    :data:`COLUMNS` of the command-line contract (distances in Å, angle in degrees,
    ``acceptor_code`` in CIF ``n_klm`` relative to the untransformed H; su's NaN for
    quantities that involve a riding H), then ``donor_code``, ``intramolecular``,
    ``riding`` and the three atoms as :class:`~coordgeo.geometry.Atom`.
    """
    donor_set = {e.capitalize() for e in donors}
    if include_c:
        donor_set.add("C")
    if include_s:
        donor_set.add("S")
    acceptor_set = {e.capitalize() for e in acceptors}
    elements = np.array(structure.elements, dtype=object)
    n_sites = len(structure)
    if n_sites == 0:
        return None
    bonded = covalent_bonds(structure, tolerance)
    donor_of = hydrogen_donors(structure, bonded, donor_set)
    if len(donor_of.center) == 0:
        return None
    hyd = donor_of.center
    # --- H···A candidates: one neighbour search around the H atoms with donors
    # a comparison per site (np.isin sorts object arrays)
    is_acceptor = np.array([e in acceptor_set for e in structure.elements], dtype=bool)
    is_acceptor &= ~planar_nitrogen(structure, bonded)
    is_acceptor &= ~oxo_anion_centre(structure, bonded)
    if not is_acceptor.any():
        return None
    radii = np.array(
        [vdw_radius(e) if a else 0.0 for e, a in zip(elements, is_acceptor, strict=True)]
    )
    reach = vdw_radius("H") + radii.max() - ha_margin
    if reach <= 0:
        return None
    # the images of acceptor sites only: the rows of the others left out, unmeasured
    found = contacts(
        structure, np.full(len(hyd), reach), centers=hyd, targets=np.flatnonzero(is_acceptor)
    )
    found = found.take(_regular(structure)[found.op])
    h_radius = np.zeros(n_sites)
    h_radius[hyd] = [vdw_radius(e) for e in elements[hyd].tolist()]
    keep = found.distance < h_radius[found.center] + radii[found.site] - ha_margin
    found = found.take(keep)
    if len(found) == 0:
        return None
    # the donor of each candidate's H (one per H, so index by H site)
    row_of_h = np.full(n_sites, -1)
    row_of_h[hyd] = np.arange(len(hyd))
    k = row_of_h[found.center]
    d_site, d_op, d_shift = donor_of.site[k], donor_of.op[k], donor_of.shift[k]
    ident = structure.identity_op
    a_fract = image_fract(structure, found.site, found.op, found.shift.astype(float))
    # --- exclusions: A = D, A bonded to D (1,3 contacts), and disorder
    excluded = _keys(*_excluded_acceptors(structure, bonded, donor_of))
    keep = ~_isin(_keys(found.center, found.site, a_fract), excluded)
    # "same" marks atoms of one asymmetric-unit copy (for negative PARTs): same code
    a_is_identity = (found.op == ident) & ~found.shift.any(axis=1)
    keep &= ~excluded_by_disorder(structure, found.center, found.site, a_is_identity)
    same_da = (d_op == found.op) & np.all(d_shift == found.shift, axis=1)
    keep &= ~excluded_by_disorder(structure, d_site, found.site, same_da)
    found = found.take(keep)
    d_site, d_op, d_shift = d_site[keep], d_op[keep], d_shift[keep]
    n = len(found)
    if n == 0:
        return None
    # --- the angle first (it rejects most candidates), then the distances: two calls
    sites3 = np.stack([d_site, found.center, found.site], axis=1)
    ops3 = np.stack([d_op, np.full(n, ident), found.op], axis=1)
    shifts3 = np.stack([d_shift, np.zeros((n, 3), dtype=int), found.shift], axis=1).astype(float)
    angle, angle_su = measure(structure, sites3, ops3, shifts3)
    ok = angle > min_angle
    if not ok.any():
        return None
    sites3, ops3, shifts3 = sites3[ok], ops3[ok], shifts3[ok]
    angle, angle_su = angle[ok], angle_su[ok]
    found = found.take(ok)
    n = len(found)
    pairs = [(0, 1), (1, 2), (0, 2)]  # D–H, H···A, D···A
    sites2 = np.concatenate([sites3[:, p] for p in pairs])
    ops2 = np.concatenate([ops3[:, p] for p in pairs])
    shifts2 = np.concatenate([shifts3[:, p] for p in pairs])
    dist, dist_su = measure(structure, sites2, ops2, shifts2)
    d_dh, d_ha, d_da = dist.reshape(3, n)
    d_dh_su, d_ha_su, d_da_su = dist_su.reshape(3, n)
    # a riding H has no su of its own (module docstring): no su for what involves it
    riding = np.asarray(structure.calc, dtype=bool)[found.center]
    d_dh_su = np.where(riding, np.nan, d_dh_su)
    d_ha_su = np.where(riding, np.nan, d_ha_su)
    angle_su = np.where(riding, np.nan, angle_su)
    intra = intramolecular(
        structure, bonded, sites3[:, [0, 2]], ops3[:, [0, 2]], shifts3[:, [0, 2]]
    )
    h_site = found.center
    order = np.lexsort((np.round(d_ha, 6), h_site))
    a_codes = found.codes()
    d_codes = [
        SymmetryCode(int(o), (int(s[0]), int(s[1]), int(s[2])))
        for o, s in zip(ops3[:, 0], shifts3[:, 0].astype(int), strict=True)
    ]
    h_code = SymmetryCode(ident)
    labels = np.array(structure.labels, dtype=object)
    columns = {
        "block": np.full(n, structure.block, dtype=object),
        "donor": labels[sites3[:, 0]],
        "hydrogen": labels[h_site],
        "acceptor": labels[found.site],
        "acceptor_code": _objects(format_codes(structure, found.op, found.shift)),
        "d_dh": d_dh,
        "d_dh_su": d_dh_su,
        "d_ha": d_ha,
        "d_ha_su": d_ha_su,
        "d_da": d_da,
        "d_da_su": d_da_su,
        "angle_dha": angle,
        "angle_dha_su": angle_su,
        "donor_code": _objects(format_codes(structure, ops3[:, 0], shifts3[:, 0].astype(int))),
        "intramolecular": np.asarray(intra, dtype=bool),
        "riding": np.asarray(riding, dtype=bool),
        "donor_atom": _objects(
            [Atom(int(s), c) for s, c in zip(sites3[:, 0], d_codes, strict=True)]
        ),
        "hydrogen_atom": _objects([Atom(int(s), h_code) for s in h_site]),
        "acceptor_atom": _objects(
            [Atom(int(s), c) for s, c in zip(found.site, a_codes, strict=True)]
        ),
    }
    return {c: columns[c][order] for c in ALL_COLUMNS}


def _objects(items: list) -> np.ndarray:
    """A 1-d object array of ``items`` (np.array would unpack tuples into a 2-d array)."""
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _empty() -> pd.DataFrame:
    """The table without rows (a copy of one built once: most structures have no H-bonds)."""
    global _EMPTY
    if _EMPTY is None:
        dtypes = dict.fromkeys(ALL_COLUMNS, object)
        dtypes |= {c: float for c in COLUMNS if c.startswith(("d_", "angle"))}
        dtypes |= {"intramolecular": bool, "riding": bool}
        _EMPTY = pd.DataFrame({c: np.array([], dtype=t) for c, t in dtypes.items()})
    return _EMPTY.copy()


_EMPTY: pd.DataFrame | None = None


# --- bonds, donors, exclusions ------------------------------------------------------------

# bond_contacts is the costly part of a small structure; hbonds() of one structure with
# several criteria (CLI options, tests) reuses it.
_BONDS_CACHE: weakref.WeakKeyDictionary[Structure, dict[object, Contacts]] = (
    weakref.WeakKeyDictionary()
)


def covalent_bonds(structure: Structure, tolerance: float = DEFAULT_TOLERANCE) -> Contacts:
    """Every bond of the structure (covalent and coordination), both directions, cached.

    :func:`coordgeo.coordination.bond_contacts` with ``tolerance`` (Å), keeping the bonds
    through invertible operators only (a CIF may list a singular one such as ``x,y,x``).
    The result is kept per structure and tolerance, so H-bonds, contacts and rings of
    one structure share one bond search. The bonds from which :func:`hydrogen_donors`,
    :func:`intramolecular` and :func:`coordgeo.rings.find_rings` start.
    """
    per = _BONDS_CACHE.setdefault(structure, {})
    if tolerance not in per:
        found = bond_contacts(structure, tolerance)
        per[tolerance] = found.take(_regular(structure)[found.op])
    return per[tolerance]


def ligand_bonds(structure: Structure, tolerance: float = DEFAULT_TOLERANCE) -> Contacts:
    """The bonds of :func:`covalent_bonds` between two atoms that are not metals: the
    ligands without the metals that hold them. Atoms of one ligand are one molecule of
    these bonds (:func:`intramolecular`), however many metals the ligand binds. Cached as
    :func:`covalent_bonds` is."""
    per = _BONDS_CACHE.setdefault(structure, {})
    key = ("ligands", tolerance)
    if key not in per:
        bonds = covalent_bonds(structure, tolerance)
        _, _, metal = site_masks(structure)
        per[key] = bonds.take(~metal[bonds.center] & ~metal[bonds.site])
    return per[key]


def _regular(structure: Structure) -> np.ndarray:
    """Which operators are invertible: a CIF may list a singular one (``x,y,x``)."""
    return np.abs(np.linalg.det(structure.rotations)) > 0.5


def site_masks(structure: Structure) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per site: its element (object array), whether it is H (or D), whether it is a metal.

    Metals by :func:`coordgeo.coordination.is_metal`, the rule of the bond search.
    Read-only arrays, made once per list of elements (H-bonds, rings, π and D···A
    contacts of one structure ask about five times).
    """
    return _site_masks(structure.elements)


@lru_cache(maxsize=8)
def _site_masks(elements: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`site_masks` of a structure's elements."""
    metal_of = {e: is_metal(e) for e in set(elements)}
    out = (
        np.array(elements, dtype=object),
        # a comparison per element: np.isin sorts object arrays, ~50 µs a call
        np.array([e in HYDROGEN for e in elements], dtype=bool),
        np.array([metal_of[e] for e in elements], dtype=bool),
    )
    for array in out:
        array.flags.writeable = False
    return out


def hydrogen_donors(
    structure: Structure, bonded: Contacts, donor_set: set[str] | Sequence[str]
) -> Contacts:
    """The donor D of every H atom that has one, as Contacts from H (centre) to D (site).

    D is the nearest non-metal bonded to H (``bonded``: :func:`covalent_bonds`); of
    equidistant ones (H on a special position between two images of one atom) the
    untransformed one. H atoms bonded to nothing or only to metals (hydrides) have no
    donor; neither do H atoms whose D is not one of the elements ``donor_set``. The
    donor rule of :func:`hbonds` and of the X–H···π contacts of :mod:`coordgeo.contacts`.
    """
    kept = _DONORS.setdefault(structure, [])
    if kept and kept[0] is bonded:  # H-bonds and X–H···π ask with the same bonds
        cand = kept[1]
    else:
        cand = _nearest_partners(structure, bonded)
        kept[:] = [bonded, cand]
    wanted = set(donor_set)
    elements = structure.elements
    return cand.take(np.array([elements[j] in wanted for j in cand.site.tolist()], dtype=bool))


# per structure: [bonds, the nearest non-metal partner of each H through them]
_DONORS: weakref.WeakKeyDictionary[Structure, list] = weakref.WeakKeyDictionary()


def _nearest_partners(structure: Structure, bonded: Contacts) -> Contacts:
    """The nearest non-metal, non-H atom bonded to each H (:func:`hydrogen_donors`
    whatever the donor's element)."""
    _, is_h, metal = site_masks(structure)
    pick = is_h[bonded.center] & ~metal[bonded.site] & ~is_h[bonded.site]
    cand = bonded.take(pick)
    if len(cand) == 0:
        return cand
    # nearest partner first; of equidistant ones (H on a special position between two
    # images of one atom) the untransformed one
    mate = (cand.op != structure.identity_op) | cand.shift.any(axis=1)
    cand = cand.take(np.lexsort((mate, np.round(cand.distance, 4), cand.center)))
    first = np.ones(len(cand), dtype=bool)
    first[1:] = cand.center[1:] != cand.center[:-1]
    return cand.take(first)


#: Sum of the three bond angles at an N (degrees) from which it is planar: its lone pair
#: is in the π system (nitrate, nitro, amide, pyrrole N–H), not an acceptor. A tertiary
#: amine is pyramidal, ~330° (3 × 110°).
PLANAR_N_ANGLE_SUM = 350.0


#: Elements that are the central atom of a tetrahedral oxo group in crystal structures:
#: sulfate, sulfonate, sulfone, dithionate S(VI), selenate Se(VI), perchlorate Cl(VII). Not
#: Br or I: their covalent radii (1.20, 1.39 Å) put an iodide's water H and O within bond
#: reach of the bond search (CaAl(OH)₆ iodide hydrate, COD 2009228, whose authors list the
#: O–H···I bonds), and per-bromate and periodate are rare.
OXO_CENTRES = frozenset({"S", "Se", "Cl"})


def oxo_anion_centre(structure: Structure, bonded: Contacts) -> np.ndarray:
    """Per site: an S, Se or Cl with four bonded non-metal neighbours, at least two of
    them O (sulfate, sulfonate, triflate, sulfone, dithionate S; perchlorate Cl).

    Four σ bonds use every valence electron pair of such an atom: it has no lone pair, and
    its O atoms are the acceptors (G. A. Jeffrey, *An Introduction to Hydrogen Bonding*,
    OUP 1997, ch. 2; T. Steiner, Angew. Chem. Int. Ed. 2002, 41, 48). An N–H of an ammine
    under a dithionate or perchlorate is 2.1 Å from an O and so about 2.9 Å from the S or
    Cl, inside the H + S van der Waals sum (1.20 + 1.80 Å): without this rule every such
    N–H···O came with an N–H···S or N–H···Cl that no table lists (the sulfonate S of COD
    2006998 and the triflate S of the shared Fe(II) ic0485312 file, whose authors list
    only the O acceptors). Thiolate, thioether, thiocyanate, sulfite and sulfoxide S
    (fewer than four neighbours, or fewer than two O), chlorate Cl and halide ions keep
    their lone pairs and accept.

    The neighbours are counted within one disorder configuration (one group of each
    assembly beside the ordered atoms): a sulfoxide S whose O is split over PART 1 and 2
    has three neighbours in either, not four (a DMSO S with its O over two sites stays an
    acceptor).
    """
    elements, _, metal = site_masks(structure)
    out = np.zeros(len(structure), dtype=bool)
    centre = np.array([e in OXO_CENTRES for e in structure.elements], dtype=bool)
    if not centre.any():
        return out
    rows = centre[bonded.center] & ~metal[bonded.site]
    n = len(structure)
    neighbours = np.bincount(bonded.center[rows], minlength=n)
    oxygen = np.array([e == "O" for e in elements[bonded.site[rows]]], dtype=bool)
    oxygens = np.bincount(bonded.center[rows][oxygen], minlength=n)
    out = centre & (neighbours >= 4) & (oxygens >= 2)
    if any(structure.disorder_group):
        for k in np.flatnonzero(out).tolist():
            sites = bonded.site[rows][bonded.center[rows] == k].tolist()
            out[k] = _oxo_in_one_configuration(structure, sites)
    return out


def _oxo_in_one_configuration(structure: Structure, sites: list[int]) -> bool:
    """Whether some disorder configuration holds >= 4 of ``sites`` (the non-metal
    neighbours of one centre, an image per row), >= 2 of them O (:func:`oxo_anion_centre`)."""
    group, assembly = structure.disorder_group, structure.disorder_assembly
    choices: dict[str, set[str]] = {}
    for j in sites:
        if group[j]:
            choices.setdefault(assembly[j], set()).add(group[j])
    assemblies = sorted(choices)
    for picked in itertools.product(*(sorted(choices[a]) for a in assemblies)):
        chosen = dict(zip(assemblies, picked, strict=True))
        held = [j for j in sites if not group[j] or chosen[assembly[j]] == group[j]]
        if len(held) >= 4 and sum(structure.elements[j] == "O" for j in held) >= 2:
            return True
    return False


def planar_nitrogen(structure: Structure, bonded: Contacts) -> np.ndarray:
    """Per site: an N with exactly three bonded non-metal neighbours in a plane (the
    three X–N–Y angles add up to at least :data:`PLANAR_N_ANGLE_SUM`).

    Its lone pair is delocalised into the π system of a nitrate, nitro group, amide or
    pyrrole ring, so it accepts no hydrogen bond (G. A. Jeffrey, *An Introduction to
    Hydrogen Bonding*, OUP 1997, ch. 2; T. Steiner, Angew. Chem. Int. Ed. 2002, 41, 48):
    the O of a nitrate accepts, its N does not, and published tables never list the
    O–H···N(nitrate) contact the bifurcated O–H···O₂N geometry brings within the van der
    Waals sum. An N bound to a metal is not judged here (module docstring).
    """
    elements = structure.elements
    out = np.zeros(len(structure), dtype=bool)
    nitrogen = np.array([e == "N" for e in elements], dtype=bool)
    if not nitrogen.any():
        return out
    from_n = nitrogen[bonded.center]
    centre, site = bonded.center[from_n], bonded.site[from_n]
    counts = np.bincount(centre, minlength=len(structure))
    metal = site_masks(structure)[2][site]
    with_metal = np.zeros(len(structure), dtype=bool)
    with_metal[centre[metal]] = True
    candidates = np.flatnonzero(nitrogen & (counts == 3) & ~with_metal)
    if not len(candidates):
        return out
    judged = np.zeros(len(structure), dtype=bool)
    judged[candidates] = True  # a mask, not np.isin (which sorts both arrays)
    rows = np.flatnonzero(judged[bonded.center])
    rows = rows[np.argsort(bonded.center[rows], kind="stable")]  # three rows per N
    xyz = image_fract(structure, bonded.site[rows], bonded.op[rows], bonded.shift[rows])
    v = xyz @ structure.cell.orthogonalization.T - structure.cartesian[bonded.center[rows]]
    v = (v / vector_lengths(v)[:, None]).reshape(-1, 3, 3)  # (N, neighbour, xyz)
    cosines = np.einsum("nij,nkj->nik", v, v)[:, [0, 0, 1], [1, 2, 2]]
    total = np.degrees(np.arccos(np.clip(cosines, -1.0, 1.0))).sum(axis=1)
    out[bonded.center[rows[::3]]] = total >= PLANAR_N_ANGLE_SUM
    return out


def _excluded_acceptors(structure: Structure, bonded: Contacts, donor_of: Contacts):
    """Atoms that cannot be the acceptor of each H: D itself and D's bonded partners.

    A partner of D makes a 1,3 contact H–D–A whose short H···A the two bonds impose
    (PLATON leaves them out too); H itself is one of D's partners. A second atom bonded
    to H by the covalent criterion is *not* excluded: H···A ≤ r_cov + r_cov + 0.45 Å
    (1.42 Å for O) with another atom than D is the short, strong (often symmetric)
    hydrogen bond O–H···O. Returns (h site, atom site, fractional coordinates) in H's
    frame.
    """
    # D's partners, carried into H's frame by D's code: x = R_d (R_e x + t_e + n_e) + t_d + n_d
    order = np.argsort(bonded.center, kind="stable")
    centers = bonded.center[order]
    starts = np.searchsorted(centers, donor_of.site)
    ends = np.searchsorted(centers, donor_of.site, side="right")
    counts = ends - starts
    which = np.repeat(np.arange(len(donor_of)), counts)
    # starts[d] + 0 … counts[d] − 1 for each donor d, in donor order
    idx = order[np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())]
    f_e = image_fract(structure, bonded.site[idx], bonded.op[idx], bonded.shift[idx].astype(float))
    rot = structure.rotations[donor_of.op[which]]
    tran = structure.translations[donor_of.op[which]] + donor_of.shift[which]
    f_partners = np.einsum("kij,kj->ki", rot, f_e) + tran
    f_donor = image_fract(structure, donor_of.site, donor_of.op, donor_of.shift.astype(float))
    return (
        np.concatenate([donor_of.center, donor_of.center[which]]),
        np.concatenate([donor_of.site, bonded.site[idx]]),
        np.concatenate([f_donor, f_partners]),
    )


def _keys(h: np.ndarray, site: np.ndarray, fract: np.ndarray) -> np.ndarray:
    """One integer row per (H, atom) pair, the atom named by site and position."""
    pos = np.round(np.asarray(fract) * 10**_POSITION_DECIMALS).astype(np.int64)
    return np.column_stack([np.asarray(h, dtype=np.int64), np.asarray(site, np.int64), pos])


# fixed odd multipliers: a row of small integers → one int64 (wrapping), for set operations
_HASH = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93] * 4,
    dtype=np.uint64,
).view(np.int64)


def _hash_rows(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.int64)
    return (rows * _HASH[: rows.shape[1]]).sum(axis=1)


def _isin(rows: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Which rows of ``rows`` occur in ``table`` (2-d int arrays of equal width)."""
    if len(table) == 0 or len(rows) == 0:
        return np.zeros(len(rows), dtype=bool)
    return np.isin(_hash_rows(rows), _hash_rows(table))


# --- molecules ----------------------------------------------------------------------------

_SAME_POSITION = 1e-4  # fractional
# translations of space-group operators are multiples of 1/12 (…, 1/4, 1/3, 1/6)
_TRANSLATION_SCALE = 12


def intramolecular(
    structure: Structure,
    bonded: Contacts,
    sites: np.ndarray,
    ops: np.ndarray,
    shifts: np.ndarray,
) -> np.ndarray:
    """Whether the two atoms of each pair belong to one covalently bonded molecule.

    ``sites``, ``ops`` (k, 2) and ``shifts`` (k, 2, 3) name the two atoms of k pairs
    (site, operator, lattice translation); ``bonded`` is :func:`covalent_bonds`. A
    molecule is the set of atoms reachable through bonds (coordination bonds included,
    so a complex ion is one molecule), symmetry images included: a hydrogen bond inside
    a molecule on an inversion centre is intramolecular although its acceptor carries a
    code. Exact, polymers included (:func:`_intramolecular`). Used for H-bonds (donor,
    acceptor) and π contacts (an atom of each partner).
    """
    sites = np.asarray(sites, dtype=int).reshape(-1, 2)
    ops = np.asarray(ops, dtype=int).reshape(-1, 2)
    shifts = np.asarray(shifts, dtype=float).reshape(-1, 2, 3)
    d_map = affine(structure.rotations[ops[:, 0]], structure.translations[ops[:, 0]] + shifts[:, 0])
    a_fract = image_fract(structure, sites[:, 1], ops[:, 1], shifts[:, 1])
    return _intramolecular(structure, bonded, sites[:, 0], d_map, sites[:, 1], a_fract)


def molecule_components(structure: Structure, bonded: Contacts) -> np.ndarray:
    """The connected component of every site in the graph of ``bonded`` (its bonds, any
    symmetry code): atoms of one molecule (:func:`intramolecular`) are in one component,
    so atoms of two components never are. The component search that
    :func:`intramolecular` makes: its own when it has the molecules already, else that
    search alone (not the tree maps and symmetry a caller that only rules pairs out does
    not need)."""
    for cached in _MOLECULES.get(structure, ()):
        if cached.bonded is bonded:
            return cached.component
    return connected_components(len(structure), bonded.center, bonded.site)


def _intramolecular(
    structure: Structure,
    bonded: Contacts,
    d_site: np.ndarray,
    d_map: np.ndarray,
    a_site: np.ndarray,
    a_fract: np.ndarray,
) -> np.ndarray:
    """True where the acceptor atom belongs to the donor atom's molecule.

    Sites are nodes and bonds edges (with their symmetry codes) of a graph. In each
    connected component a breadth-first tree gives every site t a map c(t) that puts
    the images c(t)·x_t into one molecule M. A bond that closes a cycle onto a
    different image of a site maps M onto itself; such maps generate the molecule's
    own symmetry G (a molecule on an inversion centre has G = {1, −1}; a polymer also
    has a lattice of translations L), and M = {h·c(t)·x_t : h ∈ G}. Molecules that
    share an atom are one molecule, so D (placed by the map ``d_map``) lies in
    d_map·c(D)⁻¹·M: A is intramolecular when q = c(D)·d_map⁻¹·x(A) equals h·c(A)·x_A
    for some h ∈ G, i.e. when q − r·c(A)·x_A ∈ L for one of the finitely many coset
    representatives r of G over L. The test is exact, polymers included.
    """
    out = np.zeros(len(d_site), dtype=bool)
    molecules = _molecules(structure, bonded)
    component = molecules.component
    same = np.flatnonzero(component[d_site] == component[a_site])
    if len(same) == 0:
        return out
    comp = component[d_site[same]]
    if molecules.plain_component[comp].all():
        # every molecule asked about has bonds mapped by the identity alone: G = {1} and
        # every tree map c(t) the identity (_Molecules.symmetry), so A is intramolecular
        # when q = d_map⁻¹·x(A) is x_A itself, within the tolerance below (|q − x_A| is
        # below it on each axis exactly when its nearest lattice vector is 0 and it is
        # within the tolerance of that)
        q = np.linalg.inv(d_map[same])
        q = _moved(q, a_fract[same])
        diff = (q - structure.fract[a_site[same]]) * _TRANSLATION_SCALE
        out[same] = np.all(np.abs(diff) < _SAME_POSITION * _TRANSLATION_SCALE, axis=-1)
        return out
    comps = np.unique(comp)
    # each component's symmetry first: it sets the tree maps of its sites
    symmetry = [molecules.symmetry(structure, int(c)) for c in comps.tolist()]
    maps = molecules.maps
    # every pair of every component at once; each component's coset representatives
    # padded to the most any has (identity rows, left out of the test)
    which = np.searchsorted(comps, comp)
    n_reps = np.array([len(reps) for reps, _ in symmetry])
    reps = np.tile(np.eye(4), (len(comps), int(n_reps.max()), 1, 1))
    for c, (r, _) in enumerate(symmetry):
        reps[c, : len(r)] = r
    reps = reps[which]  # (k, r, 4, 4)
    d, a = d_site[same], a_site[same]
    q = np.linalg.inv(d_map[same] @ np.linalg.inv(maps[d]))
    q = _moved(q, a_fract[same])
    y = _moved(maps[a], structure.fract[a])
    ry = np.einsum("krij,kj->kri", reps[..., :3, :3], y) + reps[..., :3, 3]  # (k, r, 3)
    diff = (q[:, None, :] - ry) * _TRANSLATION_SCALE
    whole = np.all(np.abs(diff - np.round(diff)) < _SAME_POSITION * _TRANSLATION_SCALE, -1)
    whole &= np.arange(reps.shape[1]) < n_reps[which][:, None]
    # a finite molecule (L = {0}): q must be r·c(A)·x_A itself
    finite = np.array([not lattice for _, lattice in symmetry], dtype=bool)[which]
    out[same[finite]] = (whole[finite] & np.all(np.round(diff[finite]) == 0, axis=-1)).any(axis=1)
    for kk, r in zip(*np.nonzero(whole & ~finite[:, None]), strict=True):
        lattice = symmetry[which[kk]][1]
        if not out[same[kk]] and _in_lattice(np.round(diff[kk, r]).astype(int), lattice):
            out[same[kk]] = True
    return out


def _moved(maps: np.ndarray, x: np.ndarray) -> np.ndarray:
    """M·x for each 4×4 affine map M (k, 4, 4) and fractional point x (k, 3)."""
    return np.einsum("kij,kj->ki", maps[:, :3, :3], x) + maps[:, :3, 3]


class _Molecules:
    """The molecules of one structure's bond graph (:func:`_intramolecular`): components,
    the tree map c(t) of every site and each component's own symmetry, worked out once per
    structure and bond set (H-bonds, π–π, X–H···π and D···A contacts all ask), each
    component's when a pair in it is first asked about. The bond maps and pair index that
    the breadth-first trees walk are made for the first component whose bonds are not all
    mapped by the identity (most structures have none). Kept in a cache keyed weakly by
    the structure, so it must not hold the structure itself."""

    def __init__(self, structure: Structure, bonded: Contacts) -> None:
        # in numpy, not scipy.sparse.csgraph, whose import (~0.1 s) a one-file command
        # (octahedra: Halcrow's ligands) would pay for a few dozen sites
        n = len(structure)
        self.bonded = bonded
        self.component = connected_components(n, bonded.center, bonded.site)
        self.maps = np.tile(np.eye(4), (n, 1, 1))
        # bonds mapped by the identity (their 4×4 map, _bond_maps, is the identity): an
        # identity rotation and a translation plus shift of zero, the same sums
        identity = (structure.rotations == np.eye(3)).all(axis=(1, 2))
        translation = structure.translations[bonded.op] + bonded.shift
        self.plain = identity[bonded.op] & (translation == 0).all(axis=1)
        # components all of whose bonds are plain (or that have none)
        other = np.bincount(self.component[bonded.center[~self.plain]], minlength=n)
        self.plain_component = other == 0
        self._tree_index: tuple[np.ndarray, ...] | None = None
        self._symmetry: dict[int, tuple[np.ndarray, list[list[int]]]] = {}

    def _index(self, structure: Structure) -> tuple[np.ndarray, ...]:
        """The map of every bond (:func:`_bond_maps`), the ordered (i, j) pairs with the
        first bond of each (the tree edges), each site's neighbours in increasing order
        (bonds go both ways) and where each site's start: made once, when first needed."""
        if self._tree_index is None:
            n, bonded = len(structure), self.bonded
            pair = bonded.center.astype(np.int64) * n + bonded.site
            pair_sorted, first = np.unique(pair, return_index=True)
            neighbour_start = np.searchsorted(pair_sorted // n, np.arange(n + 1))
            edge = _bond_maps(structure, bonded)
            self._tree_index = (edge, pair_sorted, first, pair_sorted % n, neighbour_start)
        return self._tree_index

    def symmetry(self, structure: Structure, comp: int) -> tuple[np.ndarray, list[list[int]]]:
        """Coset representatives and lattice of component ``comp`` (its tree maps set)."""
        if comp not in self._symmetry:
            n = len(structure)
            members = self.component == comp
            if self.plain_component[comp]:
                # every bond of the component maps by the identity: the tree maps are the
                # identity (as set) and no bond closes a cycle onto another image, so the
                # molecule's own symmetry is the identity alone (what the tree would give)
                self._symmetry[comp] = (np.eye(4)[None], [])
                return self._symmetry[comp]
            edge, pair_sorted, first, neighbours, start = self._index(structure)
            order, parent, ends = _breadth_first(neighbours, start, int(np.flatnonzero(members)[0]))
            maps = self.maps
            tree = order[1:]  # each site after the root, from its parent
            bond = first[np.searchsorted(pair_sorted, parent * n + tree)]
            # level by level, one stacked product each: a level's parents are all set
            for lo, hi in itertools.pairwise([0, *ends]):
                maps[tree[lo:hi]] = maps[parent[lo:hi]] @ edge[bond[lo:hi]]
            self._symmetry[comp] = _own_symmetry(structure, self.bonded, edge, maps, members)
        return self._symmetry[comp]


def _breadth_first(
    neighbours: np.ndarray, start: np.ndarray, root: int
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Sites of ``root``'s component in breadth-first order (neighbours in increasing
    order: site i's are ``neighbours[start[i]:start[i + 1]]``), the parent of each after
    the root, and where each level of those ends (levels 1, 2, … of the sites after the
    root: one bond farther each)."""
    order, parents, seen = [root], [], {root}
    ends, level_end = [], 1  # the current level's sites end at order[level_end]
    for k, i in enumerate(order):  # grows while it is read: the queue
        if k == level_end:  # the first site of a level: its children start the next
            ends.append(len(parents))
            level_end = len(order)
        for j in neighbours[start[i] : start[i + 1]].tolist():
            if j not in seen:
                seen.add(j)
                order.append(j)
                parents.append(i)
    if not ends or ends[-1] < len(parents):
        ends.append(len(parents))
    return np.array(order, dtype=np.int64), np.array(parents, dtype=np.int64), ends


_MOLECULES: weakref.WeakKeyDictionary[Structure, list[_Molecules]] = weakref.WeakKeyDictionary()


def _molecules(structure: Structure, bonded: Contacts) -> _Molecules:
    """The :class:`_Molecules` of ``bonded``, kept for the last two bond sets of a
    structure: every bond (H-bonds, contacts) and the ligands' own (:func:`ligand_bonds`)."""
    kept = _MOLECULES.setdefault(structure, [])
    for cached in kept:
        if cached.bonded is bonded:
            return cached
    cached = _Molecules(structure, bonded)
    kept[:] = [*kept[-1:], cached]
    return cached


def _bond_maps(structure: Structure, bonded: Contacts) -> np.ndarray:
    """(k, 4, 4) map of each bond's code: operator then lattice translation."""
    return affine(structure.rotations[bonded.op], structure.translations[bonded.op] + bonded.shift)


def _own_symmetry(
    structure: Structure,
    bonded: Contacts,
    edge: np.ndarray,
    maps: np.ndarray,
    members: np.ndarray,
) -> tuple[np.ndarray, list[list[int]]]:
    """A molecule's own symmetry: coset representatives (identity first) and lattice L.

    Generators come from the bonds that close a cycle onto another image of a site;
    the representatives are the distinct rotations they generate (a finite group), and
    L is spanned by the Schreier generators r'⁻¹·g·r (rotation-free by construction),
    in units of 1/12 and in echelon form; L is empty for a finite molecule.
    """
    k = np.flatnonzero(members[bonded.center])
    i, j = bonded.center[k], bonded.site[k]
    reached = maps[i] @ edge[k]  # where the bond puts site j, from the tree image of i
    x_j = structure.fract[j]
    p_reached = _moved(reached, x_j)
    p_tree = _moved(maps[j], x_j)
    closing = np.any(np.abs(p_reached - p_tree) > _SAME_POSITION, axis=1)
    if not closing.any():
        return np.eye(4)[None], []
    generators = reached[closing] @ np.linalg.inv(maps[j[closing]])
    generators = np.concatenate([generators, np.linalg.inv(generators)])
    # a polymer closes many cycles with one map: each distinct generator once (a repeat
    # adds no product and no lattice vector that its first occurrence did not)
    # (rows hashed as bytes, -0.0 made 0.0 so that equal maps are equal bytes: what
    # np.unique(axis=0) keeps, at a fraction of its cost)
    rows = (generators.reshape(len(generators), 16) + 0.0).tobytes()
    first: dict[bytes, int] = {}
    for g in range(len(generators)):
        first.setdefault(rows[128 * g : 128 * (g + 1)], g)
    generators = generators[list(first.values())]  # in their order
    # coset representatives: one element per rotation, by breadth-first products
    reps = {_rotation_key(np.eye(4)): np.eye(4)}
    frontier = [np.eye(4)]
    while frontier:
        new = []
        for r in frontier:
            products = generators @ r  # g·r for every generator g, in order
            for key, m in zip(_rotation_keys(products), products, strict=True):
                if key not in reps:
                    reps[key] = m
                    new.append(m)
        frontier = new
    # Schreier generators r'⁻¹·g·r, r' the representative of g·r's rotation
    inverse = dict(zip(reps, np.linalg.inv(np.array(list(reps.values()))), strict=True))
    vectors: dict[tuple[int, ...], None] = {}
    for r in reps.values():
        products = generators @ r
        back = np.stack([inverse[key] for key in _rotation_keys(products)])
        t = (back @ products)[:, :3, 3] * _TRANSLATION_SCALE
        vectors.update(dict.fromkeys(map(tuple, np.round(t).astype(int).tolist())))
    return np.array(list(reps.values())), _echelon([list(v) for v in vectors])


def _rotation_key(m: np.ndarray) -> tuple[int, ...]:
    return tuple(np.rint(m[:3, :3]).astype(int).ravel().tolist())


def _rotation_keys(ms: np.ndarray) -> list[tuple[int, ...]]:
    """:func:`_rotation_key` of a stack of (4, 4) maps."""
    return list(map(tuple, np.rint(ms[:, :3, :3]).astype(int).reshape(len(ms), 9).tolist()))


def _echelon(vectors: list[list[int]]) -> list[list[int]]:
    """Integer row-echelon basis of the lattice spanned by integer vectors (Hermite form)."""
    rows = [list(v) for v in vectors if any(v)]
    basis = []
    for col in range(3):
        # Euclid on this column until one row is left with a non-zero entry
        while True:
            live = [r for r in rows if r[col] != 0]
            if len(live) <= 1:
                break
            live.sort(key=lambda r: abs(r[col]))
            pivot = live[0]
            for r in live[1:]:
                f = r[col] // pivot[col]
                for c in range(3):
                    r[c] -= f * pivot[c]
            rows = [r for r in rows if any(r)]
        live = [r for r in rows if r[col] != 0]
        if live:
            pivot = live[0]
            if pivot[col] < 0:
                pivot = [-v for v in pivot]
            basis.append(pivot)
            rows = [r for r in rows if r[col] == 0 and any(r)]
    return basis


def _in_lattice(vector: np.ndarray, basis: list[list[int]]) -> bool:
    """Whether an integer vector is an integer combination of an echelon basis."""
    v = [int(x) for x in vector]
    for row in basis:
        col = next(c for c in range(3) if row[c] != 0)
        if v[col] % row[col]:
            return False
        f = v[col] // row[col]
        v = [a - f * b for a, b in zip(v, row, strict=True)]
    return not any(v)
