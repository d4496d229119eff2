"""Covalent bonds and metal coordination spheres.

Bond criterion
--------------
Two atoms are bonded when their distance is at most
r_cov(A) + r_cov(B) + ``tolerance`` (default 0.45 Å), with the covalent
radii of Cordero et al., Dalton Trans. 2008, 2832 (:func:`coordgeo.elements.covalent_radius`;
low-spin radii for Mn, Fe, Co, so high-spin M–L bonds are still inside the
default tolerance: Fe–N 1.32 + 0.71 + 0.45 = 2.48 Å). Pairs are never bonded
when

* they belong to different disorder groups of the same disorder assembly
  (SHELXL PART 1 / PART 2: two alternative positions, not neighbours);
* they are symmetry mates within one negative PART (SHELXL PART −n: a
  group disordered about a symmetry element does not bond to its own image).
  An atom of the group that lies *on* the symmetry element is its own image and
  belongs to both copies, and a fully occupied atom's images are all present: a
  metal and its coordinated waters on or about a two-fold axis in PART −1 stay bonded;
* either is a dummy site (centroids and the like);
* they are closer than 0.5 Å (two alternatives of one disordered atom);
* both are metals and the pair fails the metal–metal rule below.

A large cation (K⁺, Rb⁺, Cs⁺, Sr²⁺, Ba²⁺, Pb²⁺) and an anion (O, N, halide, chalcogen)
are also bonded within 1.10 × the sum of their Shannon ionic radii, the cation's at CN XII
(:func:`coordgeo.elements.ionic_bond_limit`): their ionic contacts are longer than
Cordero's covalent radii allow (Cs–Cl 3.93 Å in the A site of cubic CsSnCl₃ against
2.44 + 1.02 + 0.45 = 3.91 Å).

Metal–metal bonds
-----------------
Where a metal has non-metal neighbours ("anion donors": O, N, halides, C, S, H⁻ …) a
neighbouring metal M′ is bonded to it only when all five hold:

1. neither metal is electropositive (groups 1–3, lanthanides, actinides:
   :func:`coordgeo.elements.is_electropositive`); such metals are cations in every
   salt, oxide or complex, so Sr···Mo, Ba···Ti, K···K, Na···Na contacts are not bonds.
   The exception is an atom of a Zintl polyanion: a metal of :data:`ZINTL_ANION_METALS`
   whose non-metal neighbours are all :data:`ZINTL_METALLOIDS` (B, Si, P, As), i.e. one
   bonded to another such atom (Sn–Sn of Sn₉⁴⁻, Sn–As of the [SnAs]⁻ layers of KSnAs,
   Ga–Ga) or to nothing but metals. By the Zintl–Klemm concept (H. Schäfer, B. Eisenmann,
   W. Müller, *Angew. Chem. Int. Ed. Engl.* 1973, 12, 694; J. D. Corbett, *Chem. Rev.*
   1985, 85, 383) the electropositive metal has given its electrons to the polyanion and
   is bonded to it ionically, whether or not it also has O or N donors (a K⁺ in a crown
   ether or cryptand capping a face of Sn₉⁴⁻): such a pair is bonded within the general
   criterion r_cov + r_cov + tolerance (K–Sn 3.87 Å), as the K of K₄Sn₉. A Sn bonded to
   O, halide or chalcogen is a cation (SrSnO₃, K₂SnCl₆, K₄SnTe₄), and a Ga or Sn
   bonded to H or C is the centre of a hydrido- or organometallate ([GaH₄]⁻ of K[GaH₄],
   SnPh₃⁻), ionic to its own H or C: the pair is a cation–cation contact (K···Ga 3.225 Å
   beside [GaH₄]⁻ is no bond). Each atom is judged by its own bonds, whichever sites were
   asked for (:func:`bond_contacts` with ``centers`` gives the rows of the full search);
2. d(M–M′) ≤ r_cov(M) + r_cov(M′) + :data:`MM_TOLERANCE` (0.10 Å): Cordero's radii are
   single-bond radii derived from CSD M–M and M–X distances, so a bonded pair is at or
   below their sum (Ru–Ru 2.30 Å in a Ru₂ paddle-wheel against 2.92 Å; Rh–Rh 2.39 Å in
   Rh₂(O₂CMe)₄ against 2.84 Å), while the O-bridged Fe···Fe 3.086 Å of an
   Fe₂(μ-O)₂ dimer (2.64 Å) or the W···W 3.24–3.37 Å of polyoxotungstates are not;
3. no single-atom bridge X (other than C or H) that is a donor to both metals makes an
   angle M–X–M′ ≥ :data:`MM_BRIDGE_ANGLE` (80°). Two edge- or face-sharing
   polyhedra bring their metals close without any bond (Ta···Ta 2.97 Å in the
   face-sharing Ta₂O₉ dimers of Ba₄Ta₂O₉, Ta–O–Ta 86–89°; Ti···Ti 3.25–3.29 Å in a
   Ti₄ alkoxide, Ti–O–Ti 106–110°); a metal–metal bond pulls the bridge angle far below
   90° (face-sharing [W₂Cl₉]³⁻, W–Cl–W ≈ 58°; F. A. Cotton, C. A. Murillo, R. A. Walton,
   *Multiple Bonds between Metal Atoms*, 3rd ed., Springer 2005). Bridging carbonyls and
   hydrides (M–C–M 75–85°, M–H–M up to 130° in bonded pairs) are not tested;
4. d(M–M′) ≥ :data:`MM_SHORTEST` (1.75 Å): the shortest metal–metal bonds known, the
   Cr–Cr quintuple bonds, are 1.80–1.83 Å (Nguyen et al., Science 2005, 310, 844); two
   metal positions closer than that are alternatives of one disordered metal.
5. the pair is not two Cu bridged by at least two X–C–X ligands (:data:`CU_CU_NO_BOND`),
   tested last: a donor X of each Cu bonded to one C (carboxylate O–C–O, amidinate
   N–C–N; a paddle-wheel has four), whatever d(Cu···Cu). The Cu(II)···Cu(II) of a carboxylate
   paddle-wheel [Cu₂(O₂CR)₄L₂] (2.61–2.64 Å, inside rule 2's 2.74 Å) has bond order 0:
   the d⁹ magnetic orbitals (x²−y²) point at the O donors and the two Cu couple
   antiferromagnetically through the carboxylate bridges (B. Bleaney, K. D. Bowers, *Proc.
   R. Soc. A* 1952, 214, 451; P. J. Hay, J. C. Thibeault, R. Hoffmann, *J. Am. Chem. Soc.*
   1975, 97, 4884), so structure reports give a CuO₄L square pyramid with the Cu···Cu
   apart and SHAPE users measure SPY-5. The Cu(I)···Cu(I) of amidinate dimers
   [Cu(RNC(R′)NR)]₂ (2.41–2.50 Å) is a d¹⁰–d¹⁰ cuprophilic contact that the two
   three-atom bridges impose, not a bond (F. A. Cotton, X. Feng, M. Matusz, R. Poli,
   *J. Am. Chem. Soc.* 1988, 110, 7077: 2.497 Å; Z. Li, S. T. Barry, R. G. Gordon,
   *Inorg. Chem.* 2005, 44, 1728). The sphere of each Cu names the contact in its
   ``notes`` (information, not a warning). Any other Cu–Cu is decided by rules 1–4 as
   for every metal: the σ bond (bond order ½) of the mixed-valent [Cu₂]³⁺ core of
   octaazacryptates (2.36–2.42 Å, no bridge: Barr et al., *J. Chem. Soc., Chem.
   Commun.* 1993, 1649; Farrar et al., *J. Chem. Soc., Dalton Trans.* 1997, 4083), the
   Cu–Cu of centred phosphine clusters and of Cu(I) hydride clusters [(Ph₃P)CuH]₆
   (2.49–2.67 Å) are bonds.

A metal with no anion donor at all (an intermetallic, a bare cluster) keeps every
metal neighbour within the general criterion — except an electropositive metal (rule 1)
in a structure that has non-metal atoms: that is a salt whose anions are out of reach or
not located (the C and N of the thiocyanates of Rb₂Pt(SCN)₆, COD 1010600, are dummy
sites, which left Rb bonded to three Rb at 3.90 Å), and it bonds no metal but the atoms of a
Zintl polyanion (rule 1) — and except rule 4, which holds for every pair:
no element has M–M contacts that short (the shortest in any metal is Be–Be 2.22 Å), so
the partial Ag positions 0.83 and 1.65 Å apart along the channel of Ag₀.₂₆V₆S₈ (COD
8103385) are alternatives of one disordered Ag, not an Ag₃ "sphere".

Coordination spheres
--------------------
Every element that :func:`coordgeo.elements.is_metal` calls a metal is a
centre (alkali and main-group metals too). Its donors are the atoms bonded to it by
the criteria above, including symmetry mates and metals that pass the metal–metal
rule. H atoms count as donors only when they are hydrides, i.e. bonded to nothing
but metals; the H of a coordinated water or amine is not a donor. Further:

* **Atoms reached through a donor.** A non-metal X bonded to a donor Y (not C) of the same
  metal, farther from the metal than Y and with ∠M–Y–X ≥ :data:`THROUGH_DONOR_ANGLE`
  (80°) for every such Y, is not a donor: it is the central atom of a κ²-bound small
  anion (carbonate or carboxylate C at ~2.3–2.5 Å, nitrate N, sulfate S, borate B) or
  the second atom of a κ¹ donor that happens to be within reach of a large cation. In
  a four-membered κ² chelate ring the angle at the donor is ~88–95°; side-on (η) ligands
  have ∠M–Y–X ≈ 65–75° (η²-alkene, cyclopentadienyl) and keep all their atoms; C–C
  pairs are never tested (a slipped η²-arene on Ag(I) reaches ∠M–C–C ≈ 80°), and a C
  bonded to a C donor is never behind anything. For any other X only its non-C donor
  partners Y count: the Si of a bridging N(SiMe₃)₂ lies behind its N (∠M–N–Si ≈ 95°)
  even where a methyl C on that Si touches an alkali metal (Na···CH₃ 2.7 Å, CSD CIVREF:
  the Si at 3.15 Å was a donor, CN 6 with two Si).
* **Mixed sites.** Sites of different elements at one position (< 0.1 Å) whose
  occupancies add up to at most 1.05 (an Al/Ti or V/W substitution, or Li/Fe with
  vacancies as in (LiFe₁/₃)(IO₃)₂) are one site: the one
  with the larger occupancy is the centre or donor, and its sphere lists the
  ``element_fractions``; the other gets no sphere of its own.
* **Disorder.** Donors that exclude each other are never put in one sphere: different
  groups of one assembly, two positions closer than 0.8 Å, and — for disorder without
  PART labels — two partially occupied donors whose occupancies add up to at most
  1.02 and that are closer than :data:`UNLABELLED_CONTACT` (1.9 Å) without being bonded
  to each other (bonded: between 0.85·(r_a + r_b) and r_a + r_b + tolerance; two
  positions closer than 0.85 × the single-bond radius sum are alternatives; no two
  donors of one metal can coexist that close: the shortest
  non-bonded donor···donor distance, the bite of a κ²-nitrate, is ~2.1 Å). The metal
  gets one sphere per compatible set (maximal cliques of the compatibility graph: one
  choice per group of conflicting donors, or networkx's clique search), labelled with
  its disorder groups and the lowest occupancy of its atoms; at most
  :data:`MAX_CONFIGURATIONS` (64) per metal, those with the most donors, and a capped metal
  says so in its spheres' ``notes``.
  Unlabelled partial donors in two occupancy classes p ≠ q with p + q = 1 (± 0.02) are
  two orientations and never share a sphere; with p = q = 0.5 only the distance rule
  can tell them apart (each close pair is split, so several spheres may result).
* **Unresolved disorder.** A sphere with anion donors and more than
  :data:`MAX_COORDINATION` (12) points of attachment is no coordination sphere: it is
  disorder the rules above could not resolve. Donors bonded to each other count as one
  point (the five C of an η⁵-Cp, the six of an η⁶-arene: hapticity), so Cp₂Yb(THF)(η²-S₂)
  with 13 donor atoms and 4 points is a sphere. It keeps its donors but gets a ``problem``, and
  :func:`coordination_spheres` leaves it out unless asked (``unresolved=True``).
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from coordgeo.elements import (
    ANION_RADIUS,
    covalent_radius,
    ionic_bond_limit,
    is_electropositive,
    is_metal,
)
from coordgeo.frames import frame_of_arrays, text_columns
from coordgeo.geometry import (
    Atom,
    Contacts,
    atom_label,
    cartesian_of,
    connected_components,
    contacts,
    image_fract,
    measure,
)
from coordgeo.model import Structure
from coordgeo.options import DEFAULT_TOLERANCE, validate_tolerance
from coordgeo.symmetry import format_code, format_codes, identity, operator_keys, vector_lengths

if TYPE_CHECKING:  # pandas loads where a DataFrame is made (start-up time)
    import pandas as pd

MIN_BOND = 0.5  # Å; shorter "bonds" are alternatives of one disordered atom
EXCLUSIVE_DISTANCE = 0.8  # Å; two donors this close cannot both be present
MM_TOLERANCE = 0.10  # Å over r_cov(M) + r_cov(M′) for a metal–metal bond beside anion donors
MM_SHORTEST = 1.75  # Å; no M–M bond is shorter (Cr–Cr quintuple bonds: 1.80–1.83 Å)
MM_BRIDGE_ANGLE = 80.0  # degrees; a single-atom bridge this wide means no M–M bond
THROUGH_DONOR_ANGLE = 80.0  # degrees; ∠M–Y–X at least this: X is behind donor Y
SHORTEST_BOND_FACTOR = 0.85  # bonds are at least this × r_cov sum (double bonds ~0.87–0.9)
UNLABELLED_CONTACT = 1.9  # Å; closer non-bonded partial donors are alternatives
MAX_COORDINATION = 12  # more donors (with anions among them): unresolved disorder
#: Disorder configurations (compatible donor sets) kept per metal site, largest first. One
#: Ta site of a giant-cell intermetallic (2104374.cif) has 5184; no other structure of the
#: shared corpus has more than 8. A capped site says so in its spheres' ``notes``.
MAX_CONFIGURATIONS = 64
_CLIQUE_SEARCH = 100 * MAX_CONFIGURATIONS  # configurations enumerated at most to pick them
MIXED_SITE_DISTANCE = 0.1  # Å
#: Occupancies of one mixed site may add up to at most 1 + this (rounded refinements).
MIXED_SITE_OCCUPANCY_SLACK = 0.05
_NO_BRIDGE_TEST = ("C", "H")
#: p-block metals that form Zintl anions (Sn₉⁴⁻, Pb₉⁴⁻, Sb₇³⁻, Bi₂²⁻, Ga, In, Tl, Ge
#: clusters): an electropositive metal bonds to such an atom of a polyanion (one whose
#: non-metal neighbours are all :data:`ZINTL_METALLOIDS`), with or without anion donors of
#: its own, though it bonds no other metal (rule 1 of the module docstring).
ZINTL_ANION_METALS = frozenset({"Ga", "In", "Tl", "Ge", "Sn", "Pb", "Sb", "Bi"})
#: The non-metals a Zintl polyanion atom may be bonded to (Sn–As of KSnAs, Sn–Si, Sn–P):
#: the p-block metalloids other than Te, a chalcogen (K₄SnTe₄ is a tellurostannate), and
#: P, which forms the same pnictidostannate(IV) anions as As ([Sn₂P₆]¹⁰⁻ of Na₂K₃[SnP₃],
#: [SnBi₄] chains of Na₂K₃[SnBi₃]) with the same Pauling electronegativity (P 2.19,
#: As 2.18): a Sn–P anion is a polyanion exactly when its As analogue is.
ZINTL_METALLOIDS = frozenset({"B", "Si", "P", "As"})
#: Why the Cu···Cu of two Cu bridged by ≥ 2 X–C–X ligands is no bond (rule 5), whatever
#: the distance: the d⁹–d⁹ Cu(II) of a paddle-wheel (2.58–2.68 Å) or the d¹⁰–d¹⁰ Cu(I)
#: of an amidinate dimer (2.41–2.50 Å); a sphere of either Cu notes the contact. The
#: σ-bonded [Cu₂]³⁺ core (2.36–2.42 Å) has no such bridge and keeps its bond.
CU_CU_NO_BOND = (
    "Cu–Cu contact of a paddle-wheel or ligand-bridged pair (the two Cu bridged by "
    "≥ 2 X–C–X ligands: copper(II) d⁹–d⁹, or copper(I) d¹⁰–d¹⁰ cuprophilic): bond "
    "order 0, not a donor"
)

__all__ = [
    "DEFAULT_TOLERANCE",
    "MAX_COORDINATION",
    "MM_BRIDGE_ANGLE",
    "MM_TOLERANCE",
    "SPHERE_COLUMNS",
    "THROUGH_DONOR_ANGLE",
    "Sphere",
    "angles",
    "bond_contacts",
    "bonds",
    "coordination_spheres",
    "covalent_radius",
    "donor_labels",
    "excluded_by_disorder",
    "frame_of_sphere_geometry",
    "is_information",
    "is_metal",
    "metal_atom",
    "mixed_sites",
    "sphere_columns",
    "sphere_geometry",
    "sphere_geometry_columns",
    "spheres_frame",
]


@dataclass(frozen=True)
class Sphere:
    """One coordination sphere: a metal site (untransformed) and its donors, nearest first.

    ``element_fractions`` is set for a mixed site (``(("W", 0.683), ("V", 0.309))``);
    ``problem`` says why the sphere is not a coordination sphere (unresolved disorder);
    ``notes`` what the rules removed (``Fe1···Fe1 3.086 Å: …``).
    """

    metal: int
    donors: tuple[Atom, ...]
    distances: tuple[float, ...]
    distances_su: tuple[float, ...]
    configuration: str = ""  # disorder groups used, e.g. "A:1" ("" when ordered)
    occupancy: float = 1.0
    element_fractions: tuple[tuple[str, float], ...] = ()
    problem: str = ""
    notes: tuple[str, ...] = ()

    @property
    def coordination_number(self) -> int:
        return len(self.donors)


# --- bonds --------------------------------------------------------------------------------


def excluded_by_disorder(
    structure: Structure, i: np.ndarray, j: np.ndarray, same: np.ndarray
) -> np.ndarray:
    """True where sites ``i`` and ``j`` cannot be bonded because of disorder.

    Different groups of one assembly never bond; nor do two symmetry mates of one site
    in a negative PART (``same`` is False for such pairs of images: pass True where the
    image of ``j`` is ``j`` itself, e.g. an atom on the symmetry element). Used for bonds
    here and for D–H···A in :mod:`coordgeo.hbonds`; see the module docstring.
    """
    if not any(structure.disorder_group):  # no disorder group: nothing is excluded
        return np.zeros(np.broadcast_shapes(np.shape(i), np.shape(j), np.shape(same)), dtype=bool)
    asm = np.array(structure.disorder_assembly, dtype=object)
    grp = np.array(structure.disorder_group, dtype=object)
    gi, gj = grp[i], grp[j]
    both = (gi != "") & (gj != "")
    different_groups = both & (asm[i] == asm[j]) & (gi != gj)
    negative = np.array([g.startswith("-") for g in grp], dtype=bool)
    mates_in_negative_part = negative[i] & negative[j] & (gi == gj) & ~same
    return different_groups | mates_in_negative_part


def _same_copy(structure: Structure, found) -> np.ndarray:
    """True where centre and neighbour belong to one copy of a negative PART.

    The neighbour j·g is in the centre's copy when it is j itself (identity, or g fixes
    a site on the symmetry element) or when j is fully occupied (its images are all
    present, not alternatives); the same test for the centre under g⁻¹ (g fixes i, or
    i is fully occupied) keeps the rule symmetric. A water on a two-fold axis, or a
    fully occupied ligand atom beside a metal on the axis, stays bonded.
    """
    shift = found.shift.astype(float)
    x_j = image_fract(structure, found.site, found.op, shift)
    x_i = image_fract(structure, found.center, found.op, shift)
    fixed_j = np.all(np.abs(x_j - structure.fract[found.site]) < 1e-4, axis=1)
    fixed_i = np.all(np.abs(x_i - structure.fract[found.center]) < 1e-4, axis=1)
    full = structure.occupancy >= 0.99
    return (fixed_j | full[found.site]) & (fixed_i | full[found.center])


def bond_contacts(
    structure: Structure, tolerance: float = DEFAULT_TOLERANCE, centers: np.ndarray | None = None
):
    """All bonds from each site of the asymmetric unit (or of ``centers``), as geometry.Contacts.

    Bonds between two sites appear once from each end. Metal–metal contacts obey the
    metal–metal rule of the module docstring. The bonds found are kept per structure and
    tolerance: once the bonds of some centres are known, those of these centres are their
    rows (in the same order), not a new search, and a later search looks only for the
    centres not yet searched (the spheres search the metals, the H-bonds then every
    site: rows come by centre, and a centre's rows are the same whichever other centres
    were searched with it).
    """
    tolerance = validate_tolerance(tolerance)  # InputError outside −1 … 1.5 Å
    known = _ALL_BONDS.get(structure, {}).get(tolerance)
    if known is not None:
        if centers is None:
            return known
        asked = np.zeros(len(structure), dtype=bool)  # a mask, not np.isin (which sorts)
        asked[np.asarray(centers, dtype=int)] = True
        return known.take(asked[known.center])
    if centers is not None:
        centers = np.asarray(centers, dtype=int)
        if not bool((centers[1:] > centers[:-1]).all()):  # a centre twice, or out of order
            return _bond_contacts(structure, tolerance, centers)
    some = _SOME_BONDS.get(structure, {}).get(tolerance)
    if some is None:
        found = _bond_contacts(structure, tolerance, centers)
        if centers is None:
            _ALL_BONDS.setdefault(structure, {})[tolerance] = found
        else:
            searched = np.zeros(len(structure), dtype=bool)
            searched[centers] = True
            _SOME_BONDS.setdefault(structure, {})[tolerance] = (searched, found)
        return found
    searched, found = some
    wanted = np.ones(len(structure), dtype=bool)
    if centers is not None:
        wanted[:] = False
        wanted[centers] = True
    missing = np.flatnonzero(wanted & ~searched)
    if len(missing):  # the rows of the centres not yet searched, merged in by centre
        more = _bond_contacts(structure, tolerance, missing)
        found = _joined(found, more)
        searched = searched | wanted
        if searched.all():
            _ALL_BONDS.setdefault(structure, {})[tolerance] = found
            del _SOME_BONDS[structure][tolerance]
        else:
            _SOME_BONDS[structure][tolerance] = (searched, found)
    return found if centers is None else found.take(wanted[found.center])


def _joined(first: Contacts, second: Contacts) -> Contacts:
    """The rows of two searches from different centres, by centre (each centre's rows in
    their order): the rows of one search from the centres of both."""
    names = ("center", "site", "op", "shift", "distance")
    both = Contacts(*[np.concatenate([getattr(first, k), getattr(second, k)]) for k in names])
    return both.take(np.argsort(both.center, kind="stable"))


# The bonds of every site per structure (weak keys: a bulk worker forgets each structure)
# and tolerance. Rows from a centre are the same whether or not other sites were centres
# too: a metal–metal verdict reads the bonds of a partner that was not searched (rule 1's
# anion donors and Zintl polyanion atoms).
_ALL_BONDS: weakref.WeakKeyDictionary[Structure, dict[float, Contacts]] = (
    weakref.WeakKeyDictionary()
)
# The bonds of the centres searched so far (a mask of the sites) while some are not.
_SOME_BONDS: weakref.WeakKeyDictionary[Structure, dict[float, tuple[np.ndarray, Contacts]]] = (
    weakref.WeakKeyDictionary()
)
# Metal–metal contacts that are no bond but that a metal's sphere names (the Cu···Cu of a
# paddle-wheel: CU_CU_NO_BOND), per structure and tolerance: metal site → its notes.
_CONTACT_NOTES: weakref.WeakKeyDictionary[Structure, dict[float, dict[int, tuple[str, ...]]]] = (
    weakref.WeakKeyDictionary()
)


def _candidate_bonds(structure: Structure, tolerance: float, centers: np.ndarray | None):
    """The bonds from ``centers`` (every site when None) by the distance criteria, disorder
    and H···H rules, before the metal–metal rule (:func:`_bond_contacts`)."""
    radii = _radii(structure)
    every_site = centers is None  # each center once: contacts need not check
    centers = np.arange(len(structure)) if centers is None else np.asarray(centers, dtype=int)
    if len(radii) == 0 or len(centers) == 0:
        return contacts(structure, 0.0, centers=[])
    reach = radii[centers] + radii.max() + tolerance
    ionic = _ionic_limits(structure.elements)
    if ionic is not None:  # large cations and anions: the ionic rule may reach farther
        reach = np.maximum(reach, ionic.max(axis=1)[_element_index(structure.elements)[centers]])
    hydrogen = _per_element(structure.elements)[2]
    kind = _element_index(structure.elements)

    def pair_limits(i: np.ndarray, j: np.ndarray) -> np.ndarray:
        # each pair's own reach, the tests below: r_i + r_j + tolerance (or the ionic
        # limit); none for a dummy site or an H···H pair
        limit = radii[i] + radii[j] + tolerance
        if ionic is not None:
            limit = np.maximum(limit, ionic[kind[i], kind[j]])
        never = (radii[i] <= 0) | (radii[j] <= 0) | (hydrogen[i] & hydrogen[j])
        return np.where(never, -1.0, limit)

    found = contacts(
        structure,
        reach,
        centers=None if every_site else centers,
        min_distance=MIN_BOND,
        pair_limits=pair_limits,
    )
    i, j = found.center, found.site
    ok = found.distance <= radii[i] + radii[j] + tolerance
    if ionic is not None:
        by_ionic_rule = ~ok & (found.distance <= ionic[kind[i], kind[j]])
        if by_ionic_rule.any():
            ionic_anion = _ionic_anions(structure, tolerance)
            anion_end = np.where(_anion_element_mask(structure.elements)[j], j, i)
            ok |= by_ionic_rule & ionic_anion[anion_end]
    ok &= (radii[i] > 0) & (radii[j] > 0)
    # which images are one copy matters only within a negative PART
    negative_part = any(g.startswith("-") for g in set(structure.disorder_group))
    same = _same_copy(structure, found) if negative_part else np.ones(len(found), dtype=bool)
    ok &= ~excluded_by_disorder(structure, i, j, same)
    ok &= ~(hydrogen[i] & hydrogen[j])
    return found.take(ok)


def _bond_contacts(structure: Structure, tolerance: float, centers: np.ndarray | None):
    found = _candidate_bonds(structure, tolerance, centers)
    metal = _metal_mask(structure)
    mm = metal[found.center] & metal[found.site]
    noted: dict[int, list[str]] = {}
    if mm.any():
        keep = np.ones(len(found), dtype=bool)
        rows = np.flatnonzero(mm)
        verdicts = _metal_metal_verdicts(structure, found, metal, tolerance, centers)
        keep[rows] = [why == "" for why in verdicts]
        for k, why in zip(rows.tolist(), verdicts, strict=True):
            if why.endswith(CU_CU_NO_BOND):  # no bond, but the sphere names the contact
                i = int(found.center[k])
                partner = atom_label(
                    structure, Atom(int(found.site[k]), found.take([k]).codes()[0])
                )
                noted.setdefault(i, []).append(
                    f"{structure.labels[i]}···{partner} {float(found.distance[k]):.3f} Å: "
                    + CU_CU_NO_BOND
                )
        found = found.take(keep)
    if noted:
        known = _CONTACT_NOTES.setdefault(structure, {}).setdefault(tolerance, {})
        known.update((i, tuple(notes)) for i, notes in noted.items())
    return found


def is_information(note: str) -> bool:
    """Whether a sphere's note (:attr:`Sphere.notes`) is information on routine chemistry,
    shown with the sphere (its table, the report, bulk's ``notes``) and not as a warning:
    the Cu···Cu of a paddle-wheel (rule 5, :data:`CU_CU_NO_BOND`), one per Cu of a Cu-MOF.
    What a rule removed or could not resolve is a warning.

    Parameters
    ----------
    note : str
        One of :attr:`Sphere.notes` (or :attr:`coordgeo.pipeline.Analysis.notes`).
    """
    return note.endswith(CU_CU_NO_BOND)


def _polyanion_atoms(elements: tuple[str, ...], center: np.ndarray, site: np.ndarray):
    """Whether each site is an atom of a Zintl polyanion (rule 1), from the candidate bonds
    ``center`` → ``site`` (every bond of each site that matters): a metal of
    :data:`ZINTL_ANION_METALS` whose non-metal neighbours are all
    :data:`ZINTL_METALLOIDS`, i.e. bonded to other such atoms (Sn–Sn, Sn–As, Ga–Ga) or to
    metals only. One bonded to O, N, a halogen or chalcogen is a cation (SrSnO₃, K₂SnCl₆),
    one bonded to H or C the centre of a hydrido- or organometallate ([GaH₄]⁻, [AlH₄]⁻,
    SnPh₃⁻), ionic to its own H or C."""
    zintl, foreign = _zintl_masks(elements)
    polyanion = zintl.copy()
    np.logical_and.at(polyanion, center, ~foreign[site])
    return polyanion


@lru_cache(maxsize=8)
def _zintl_masks(elements: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Whether each site's element is a Zintl-anion metal, and whether it is a non-metal
    that a Zintl polyanion atom is never bonded to (anything but :data:`ZINTL_METALLOIDS`)."""
    zintl = np.array([e in ZINTL_ANION_METALS for e in elements], dtype=bool)
    metal = {e: is_metal(e) for e in set(elements)}
    foreign = np.array([not metal[e] and e not in ZINTL_METALLOIDS for e in elements], dtype=bool)
    zintl.flags.writeable = False
    foreign.flags.writeable = False
    return zintl, foreign


def _x_c_x_bridges(structure: Structure, i: int, partner_xyz: np.ndarray, tolerance: float):
    """How many C atoms bridge the Cu site ``i`` and the Cu at Cartesian ``partner_xyz`` as
    the middle atom of an X–C–X ligand (carboxylate O–C–O, amidinate N–C–N, …): a C bonded
    (r_cov + r_cov + ``tolerance``) to a donor X of each Cu, two different atoms, neither
    C nor H (rule 5)."""
    elements = structure.elements
    radii = _radii(structure)
    metal = _metal_mask(structure)
    targets = np.flatnonzero(~metal & (radii > 0))
    if not len(targets):
        return 0
    centre = structure.cartesian[i]
    cu = covalent_radius("Cu")
    r_max = radii[targets].max()
    donor_reach = cu + r_max + tolerance
    d = float(vector_lengths(partner_xyz - centre))
    reach = max(d + donor_reach, donor_reach + r_max + covalent_radius("C") + tolerance)
    near = contacts(structure, reach, centers=[i], min_distance=MIN_BOND, targets=targets)
    if not len(near):
        return 0
    xyz = cartesian_of(
        structure, image_fract(structure, near.site, near.op, near.shift.astype(float))
    )
    r = radii[near.site]
    element = np.array([elements[s] for s in near.site], dtype=object)
    carbon = element == "C"
    x = ~carbon & (element != "H")
    donor_i = x & (near.distance <= cu + r + tolerance)  # the search's own distances to i
    donor_j = x & (vector_lengths(xyz - partner_xyz) <= cu + r + tolerance)
    count = 0
    for c in np.flatnonzero(carbon).tolist():
        apart = vector_lengths(xyz - xyz[c])
        bonded = (apart >= MIN_BOND) & (apart <= r + radii[near.site[c]] + tolerance)
        ends_i = np.flatnonzero(bonded & donor_i)
        ends_j = np.flatnonzero(bonded & donor_j)
        if len(ends_i) and len(ends_j) and len(np.union1d(ends_i, ends_j)) >= 2:
            count += 1
    return count


def _metal_metal_verdicts(
    structure: Structure, found, metal: np.ndarray, tolerance: float, searched=None
):
    """'' for each metal–metal row of ``found`` (the candidate bonds from the sites
    ``searched``, None: every site) that is a bond, else the reason it is not."""
    elements = structure.elements
    rows = np.flatnonzero(metal[found.center] & metal[found.site])
    # each metal's own candidate bonds: those of a partner that was not searched too, so
    # that no verdict depends on which sites were asked for (bond_contacts(centers=…))
    center, site = found.center, found.site
    if searched is not None:
        partners = np.setdiff1d(found.site[rows], searched)
        if len(partners):
            theirs = _candidate_bonds(structure, tolerance, partners)
            center = np.concatenate([center, theirs.center])
            site = np.concatenate([site, theirs.site])
    anion = np.zeros(len(structure), dtype=bool)  # has a non-metal neighbour
    np.logical_or.at(anion, center, ~metal[site])
    polyanion = _polyanion_atoms(elements, center, site)
    xyz = image_fract(structure, found.site, found.op, found.shift.astype(float))
    xyz = xyz @ structure.cell.orthogonalization.T
    centre_xyz = structure.cartesian
    # a non-metal atom anywhere (dummy sites are no atoms): the structure is no intermetallic
    has_nonmetal = any(e not in ("X", "") and not metal[k] for k, e in enumerate(elements))
    out = []
    for k in rows.tolist():
        i, j, d = int(found.center[k]), int(found.site[k]), float(found.distance[k])
        ei, ej = elements[i], elements[j]
        pair = f"{structure.labels[i]}···{structure.labels[j]} {d:.3f} Å"
        if d < MM_SHORTEST:  # with or without anion donors (rule 4)
            out.append(f"{pair}: shorter than any metal–metal bond (alternative positions)")
            continue
        if (is_electropositive(ei) and polyanion[j]) or (is_electropositive(ej) and polyanion[i]):
            out.append("")  # a cation and an atom of a Zintl polyanion (K⁺ and Sn₉⁴⁻)
            continue
        if not (anion[i] or anion[j]):
            salt = (is_electropositive(ei) or is_electropositive(ej)) and has_nonmetal
            out.append(f"{pair}: cation–cation contact of an electropositive metal" if salt else "")
            continue
        if is_electropositive(ei) or is_electropositive(ej):
            out.append(f"{pair}: cation–cation contact of an electropositive metal")
            continue
        limit = covalent_radius(ei) + covalent_radius(ej) + MM_TOLERANCE
        if d > limit:
            out.append(f"{pair}: longer than r_cov + r_cov + {MM_TOLERANCE} = {limit:.2f} Å")
            continue
        rows = np.flatnonzero((found.center == i) & ~metal[found.site])
        bridge_el = np.array([elements[s] for s in found.site[rows]], dtype=object)
        rows = rows[~np.isin(bridge_el, _NO_BRIDGE_TEST)]
        if len(rows):
            x = xyz[rows]
            reach = np.array([covalent_radius(elements[s]) for s in found.site[rows]])
            near = np.linalg.norm(x - xyz[k], axis=1) <= reach + covalent_radius(ej) + tolerance
            if near.any():
                u = centre_xyz[i] - x[near]
                v = xyz[k] - x[near]
                cos = np.sum(u * v, axis=1) / np.linalg.norm(u, axis=1) / np.linalg.norm(v, axis=1)
                wide = np.degrees(np.arccos(np.clip(cos, -1, 1))).max()
                if wide >= MM_BRIDGE_ANGLE:
                    out.append(f"{pair}: bridged, M–X–M′ {wide:.0f}° ≥ {MM_BRIDGE_ANGLE:.0f}°")
                    continue
        # rule 5, last: a Cu···Cu that passes rules 1–4 bridged by >= 2 X–C–X ligands
        paddle_wheel = ei == ej == "Cu" and _x_c_x_bridges(structure, i, xyz[k], tolerance) >= 2
        out.append(f"{pair}: {CU_CU_NO_BOND}" if paddle_wheel else "")
    return out


@lru_cache(maxsize=8)
def _anion_element_mask(elements: tuple[str, ...]) -> np.ndarray:
    """Whether each site's element is one of :data:`coordgeo.elements.ANION_RADIUS`."""
    out = np.array([e in ANION_RADIUS for e in elements], dtype=bool)
    out.flags.writeable = False
    return out


def _ionic_anions(structure: Structure, tolerance: float) -> np.ndarray:
    """Whether each site is an anion atom for the large-cation ionic rule: an atom of
    :data:`~coordgeo.elements.ANION_RADIUS` not covalently bonded to carbon.

    An ion (F⁻, Cl⁻, O²⁻, S²⁻), the O of water or the O of an inorganic oxyanion (NO₂⁻,
    NO₃⁻, SO₄²⁻, ClO₄⁻, PO₄³⁻) carries the negative charge the long ionic contact of
    K⁺ … Pb²⁺ stands for; the O of an ether, THF or DMF, the N of MeCN and the Cl of
    CHCl₃ are neutral atoms of molecules, bonded to carbon within r_cov + r_cov +
    ``tolerance`` (the covalent rule of :func:`bonds`; disorder alternatives that cannot
    coexist do not count), and bond to the cation only by the covalent rule.
    """
    anion = np.array(_anion_element_mask(structure.elements))
    carbon = np.array([e == "C" for e in structure.elements], dtype=bool)
    sites = np.flatnonzero(anion)
    if not carbon.any() or not len(sites):
        return anion
    radii = _radii(structure)
    reach = radii[sites] + covalent_radius("C") + tolerance
    near = contacts(
        structure, reach, centers=sites, min_distance=MIN_BOND, targets=np.flatnonzero(carbon)
    )
    i, j = near.center, near.site
    bonded = (
        carbon[j]
        & (near.distance <= radii[i] + radii[j] + tolerance)
        & ~excluded_by_disorder(structure, i, j, np.ones(len(near), dtype=bool))
    )
    anion[i[bonded]] = False
    return anion


@lru_cache(maxsize=8)
def _element_index(elements: tuple[str, ...]) -> np.ndarray:
    """Each site's row in :func:`_ionic_limits` (the sorted distinct elements)."""
    kinds = sorted(set(elements))
    where = {e: k for k, e in enumerate(kinds)}
    out = np.array([where[e] for e in elements], dtype=int)
    out.flags.writeable = False
    return out


def _ionic_limits(elements: tuple[str, ...]) -> np.ndarray | None:
    """Element × element matrix of :func:`coordgeo.elements.ionic_bond_limit` (symmetric:
    cation–anion either way round), or None when no pair of the structure has one; rows
    and columns in :func:`_element_index` order. One matrix per set of elements (they
    recur from file to file)."""
    return _ionic_limits_of(tuple(sorted(set(elements))))


@lru_cache(maxsize=256)
def _ionic_limits_of(kinds: tuple[str, ...]) -> np.ndarray | None:
    """:func:`_ionic_limits` of the sorted distinct elements ``kinds``."""
    limits = np.array(
        [[max(ionic_bond_limit(a, b), ionic_bond_limit(b, a)) for b in kinds] for a in kinds]
    )
    if not limits.any():
        return None
    limits.flags.writeable = False
    return limits


def _radii(structure: Structure) -> np.ndarray:
    """Covalent radius of each site (read-only: one array per list of elements)."""
    return _per_element(structure.elements)[0]


def _metal_mask(structure: Structure) -> np.ndarray:
    """Whether each site is a metal (read-only: one array per list of elements)."""
    return _per_element(structure.elements)[1]


@lru_cache(maxsize=8)
def _per_element(elements: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Covalent radii, metal flags and hydrogen flags of a structure's elements, kept for
    the few latest structures: bonds, their metal–metal rule and the through-donor test
    each ask."""
    radius = {e: covalent_radius(e) for e in set(elements)}
    metal = {e: is_metal(e) for e in set(elements)}
    out = (
        np.array([radius[e] for e in elements]),
        np.array([metal[e] for e in elements], dtype=bool),
        np.array([e == "H" for e in elements], dtype=bool),
    )
    for array in out:
        array.flags.writeable = False
    return out


def bonds(structure: Structure, tolerance: float = DEFAULT_TOLERANCE) -> pd.DataFrame:
    """Every covalent and coordination bond of the structure, each once.

    Columns ``block, atom1, atom2, symmetry_code, distance, distance_su, kind``:
    atom1 is untransformed, ``symmetry_code`` (CIF n_klm, ``.`` for the
    identity) applies to atom2; ``kind`` is ``coordination`` for bonds to a
    metal, ``covalent`` otherwise. A bond between two sites of the asymmetric
    unit is listed from the site that comes first in the CIF. Metal–metal and
    through-donor contacts follow the rules of the module docstring.
    """
    import pandas as pd

    found = bond_contacts(structure, tolerance)
    found = found.take(~_through_donor_rows(structure, found, tolerance))
    keep = _one_direction(structure, found)
    found = found.take(keep)
    n = len(found)
    sites = np.stack([found.center, found.site], axis=1)
    ops = np.stack([np.full(n, structure.identity_op), found.op], axis=1)
    shifts = np.stack([np.zeros((n, 3)), found.shift.astype(float)], axis=1)
    values, sus = measure(structure, sites, ops, shifts)
    metal = _metal_mask(structure)
    if n == 0:  # the columns' dtypes as pandas infers them from no rows
        return pd.DataFrame(
            {
                "block": structure.block,
                "atom1": [],
                "atom2": [],
                "symmetry_code": [],
                "distance": values,
                "distance_su": sus,
                "kind": np.where(metal[found.center], "coordination", "covalent"),
            }
        )
    labels = structure.labels
    coordination = (metal[found.center] | metal[found.site]).tolist()
    block, atom1, atom2, symmetry_code, kind = text_columns(
        [
            [structure.block] * n,
            [labels[a] for a in found.center.tolist()],
            [labels[b] for b in found.site.tolist()],
            format_codes(structure, found.op, found.shift),
            ["coordination" if c else "covalent" for c in coordination],
        ]
    )
    return frame_of_arrays(
        {
            "block": block,
            "atom1": atom1,
            "atom2": atom2,
            "symmetry_code": symmetry_code,
            "distance": values,
            "distance_su": sus,
            "kind": kind,
        }
    )


def _through_donor_rows(structure: Structure, found, tolerance: float) -> np.ndarray:
    """Rows of ``found`` (both directions) that join a metal to an atom behind one of its donors."""
    metal = _metal_mask(structure)
    drop = np.zeros(len(found), dtype=bool)
    order = np.argsort(found.center, kind="stable")
    centers = found.center[order]
    metals = np.flatnonzero(metal)
    starts = np.searchsorted(centers, metals).tolist()
    ends = np.searchsorted(centers, metals, side="right").tolist()
    for m, a, b in zip(metals.tolist(), starts, ends, strict=True):
        rows = order[a:b]
        if len(rows) < 2:
            continue
        hit = _behind_donors(structure, m, found.take(rows), found.distance[rows], tolerance)
        drop[rows[hit]] = True
    if not drop.any():
        return drop
    # the same contacts seen from the other end (X → metal): same pair, inverse operator
    bad = {(int(found.site[k]), int(found.center[k]), round(float(found.distance[k]), 4))
           for k in np.flatnonzero(drop)}  # fmt: skip
    back = [
        (int(c), int(s), round(float(d), 4)) in bad
        for c, s, d in zip(found.center, found.site, found.distance, strict=True)
    ]
    return drop | np.array(back, dtype=bool)


def _one_direction(structure: Structure, found) -> np.ndarray:
    """Keep one of the two directions of each bond (i→j·g and j→i·g⁻¹ are the same bond).

    Each bond is keyed by (i, j, operator, shift), its reverse by (j, i, g⁻¹'s operator,
    its shift), with the operator of each inverse found once per structure; the first
    occurrence of each unordered key is kept. An operator list in which some inverse is
    missing (not a group) is keyed by the matrices instead (:func:`_one_direction_by_matrices`).
    """
    n = len(found)
    if n == 0:
        return np.zeros(0, dtype=bool)
    inverse = _inverse_operators(structure)
    shift = found.shift.astype(np.int64)
    bound = 1 << 19
    if inverse is None or len(structure) >= 1 << 21 or np.abs(shift).max() >= bound - 64:
        return _one_direction_by_matrices(structure, found)
    inv_op, inv_rot, offset = inverse
    rev_shift = offset[found.op] - np.einsum("kij,kj->ki", inv_rot[found.op], shift)
    sites, ops = len(structure), len(structure.symops)

    def keys(i, j, o, t):
        k1 = (i.astype(np.int64) * sites + j) * ops + o
        t = t + bound
        return k1, (t[:, 0] * (2 * bound) + t[:, 1]) * (2 * bound) + t[:, 2]

    f1, f2 = keys(found.center, found.site, found.op, shift)
    r1, r2 = keys(found.site, found.center, inv_op[found.op], rev_shift)
    use_rev = (r1 < f1) | ((r1 == f1) & (r2 < f2))
    k1, k2 = np.where(use_rev, r1, f1), np.where(use_rev, r2, f2)
    order = np.lexsort((k2, k1))  # stable: the first occurrence leads each run of equal keys
    k1, k2 = k1[order], k2[order]
    first = np.ones(n, dtype=bool)
    first[1:] = (k1[1:] != k1[:-1]) | (k2[1:] != k2[:-1])
    keep = np.zeros(n, dtype=bool)
    keep[order[first]] = True
    return keep


def _inverse_operators(structure: Structure):
    """For each operator g = (R, t): the index of the operator of g⁻¹ = (R⁻¹, −R⁻¹t) in the
    list, R⁻¹, and the lattice shift c with −R⁻¹t = t_inv + c; None when some inverse is
    not in the list (up to a lattice translation). Remembered per operator list (a space
    group's list recurs in file after file)."""
    rot, tran = structure.rotations, structure.translations
    seen = rot.tobytes() + tran.tobytes()
    if seen in _INVERSES:
        return _INVERSES[seen]
    det = np.linalg.det(rot.astype(float))
    found = None
    if np.all(np.abs(np.abs(det) - 1.0) <= 1e-6):
        inv_rot = np.rint(np.linalg.inv(rot.astype(float))).astype(np.int64)
        wanted = -np.einsum("kij,kj->ki", inv_rot, tran)
        index = {key: k for k, key in reversed(list(enumerate(operator_keys(rot, tran).tolist())))}
        inv_op = np.array([index.get(key, -1) for key in operator_keys(inv_rot, wanted).tolist()])
        if np.all(inv_op >= 0):
            diff = wanted - tran[inv_op]
            offset = np.rint(diff)
            if np.all(inv_rot == rot[inv_op]) and np.all(np.abs(diff - offset) < 1e-6):
                found = inv_op, inv_rot, offset.astype(np.int64)
    if len(_INVERSES) < 2048:
        _INVERSES[seen] = found
    return found


_INVERSES: dict[bytes, tuple | None] = {}


def _one_direction_by_matrices(structure: Structure, found) -> np.ndarray:
    """:func:`_one_direction` keyed by (i, j, R, t + shift), the reverse by
    (j, i, R⁻¹, −R⁻¹(t + shift)); an operator without an inverse (a singular matrix from a
    mistyped triplet such as ``x,y,x``) has no reverse bond."""
    n = len(found)
    if n == 0:
        return np.zeros(0, dtype=bool)
    rot = structure.rotations.astype(float)
    det = np.linalg.det(rot)
    regular = np.abs(det) > 0.5
    inv = np.zeros_like(rot)
    if regular.any():
        inv[regular] = np.linalg.inv(rot[regular])
    inv = np.rint(inv).astype(np.int64)
    r = structure.rotations[found.op].reshape(n, 9).astype(np.int64)
    t = structure.translations[found.op] + found.shift
    ri = inv[found.op]
    rt = -np.einsum("kij,kj->ki", ri, t)
    scale = 1e6
    fwd = np.column_stack(
        [found.center, found.site, r, np.rint(t * scale).astype(np.int64)]
    ).astype(np.int64)
    rev = np.column_stack(
        [found.site, found.center, ri.reshape(n, 9), np.rint(rt * scale).astype(np.int64)]
    ).astype(np.int64)
    rev[~regular[found.op]] = fwd[~regular[found.op]]
    # the unordered key: the lexicographically smaller of the two
    first_diff = np.argmax(fwd != rev, axis=1)
    rows = np.arange(n)
    use_rev = rev[rows, first_diff] < fwd[rows, first_diff]
    key = np.where(use_rev[:, None], rev, fwd)
    _, first = np.unique(key, axis=0, return_index=True)
    keep = np.zeros(n, dtype=bool)
    keep[first] = True
    return keep


def angles(structure: Structure, tolerance: float = DEFAULT_TOLERANCE) -> pd.DataFrame:
    """Every bond angle: for each site, all pairs of atoms bonded to it.

    Columns ``block, atom1, atom2, atom3, symmetry_code_1, symmetry_code_3,
    angle, angle_su``; atom2 is the (untransformed) vertex, the codes apply
    to atoms 1 and 3.
    """
    import pandas as pd

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
    *,
    unresolved: bool = False,
) -> list[Sphere]:
    """Coordination sphere(s) of every metal site (or of the sites in ``metals``).

    See the module docstring for the criteria. A metal with disordered donors gets one
    sphere per compatible donor set; the minor site of a mixed site gets none (the major
    one carries ``element_fractions``). Spheres of unresolved disorder (anion donors and
    CN > 12) are left out unless ``unresolved`` is True; they then carry a ``problem``.
    """
    metal_mask = _metal_mask(structure)
    every_metal = metals is None
    metals = np.flatnonzero(metal_mask) if every_metal else np.asarray(metals, dtype=int)
    if len(metals) == 0:
        return []
    fractions, minor = mixed_sites(structure)
    hydrogen = _per_element(structure.elements)[2]
    # every metal is a centre, so the metal–metal rule sees both ends of each contact
    found = bond_contacts(structure, tolerance, centers=np.flatnonzero(metal_mask))
    # an H is a donor only as a hydride: bonded to metals alone (the bonds of the H atoms
    # bonded to a metal tell)
    h_bonded_to_nonmetal = np.zeros(len(structure), dtype=bool)
    h_donors = np.unique(found.site[hydrogen[found.site]])
    if len(h_donors):
        from_h = bond_contacts(structure, tolerance, centers=h_donors)
        np.logical_or.at(h_bonded_to_nonmetal, from_h.center, ~metal_mask[from_h.site])
    asked = np.ones(len(found), dtype=bool) if every_metal else np.isin(found.center, metals)
    found = found.take(asked & ~minor[found.site])
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
    bonded_donors, close_donors = _donor_pairs(structure, found, starts, ends, tolerance)
    spheres: list[Sphere] = []
    each = zip(metals.tolist(), starts.tolist(), ends.tolist(), strict=True)
    for k_metal, (m, a, b) in enumerate(each):
        if minor[m]:
            continue
        rows = np.arange(a, b)
        notes: list[str] = list(_CONTACT_NOTES.get(structure, {}).get(tolerance, {}).get(m, ()))
        if len(rows) > 1 and bonded_donors[k_metal]:
            behind = _behind_donors(structure, m, found.take(rows), d_all[rows], tolerance)
            if behind.any():  # one note per sphere (a phosphate or carboxylate gives several)
                shown = [
                    f"{atom_label(structure, Atom(int(found.site[k]), codes[k]))} at "
                    f"{d_all[k]:.3f} Å"
                    for k in rows[behind].tolist()
                ]
                notes.append(
                    f"{', '.join(shown)} "
                    + (
                        "lies behind a donor bonded to it: not a donor"
                        if len(shown) == 1
                        else "lie behind donors bonded to them: not donors"
                    )
                )
            rows = rows[~behind]
        if len(rows) > 1 and not close_donors[k_metal]:
            sets = [(np.arange(len(rows)), "")]  # as _compatible_sets finds the usual sphere
        else:
            sets = _compatible_sets(structure, found.take(rows), tolerance)
        if len(sets) > MAX_CONFIGURATIONS:
            many = f"at least {len(sets)}" if len(sets) >= _CLIQUE_SEARCH else str(len(sets))
            notes.append(
                f"{structure.labels[m]}: {many} disorder configurations of its donors; only "
                f"the {MAX_CONFIGURATIONS} with the most donors are reported"
            )
            sets = sets[:MAX_CONFIGURATIONS]
        for subset, configuration in sets:
            idx = rows[np.sort(subset)]
            atoms = tuple(Atom(int(found.site[k]), codes[k]) for k in idx)
            occ = min([structure.occupancy[m]] + [structure.occupancy[x.site] for x in atoms])
            problem = ""
            anions = sum(not metal_mask[x.site] for x in atoms)
            if (
                len(atoms) > MAX_COORDINATION
                and anions
                and _attachment_points(structure, atoms, tolerance) > MAX_COORDINATION
            ):
                problem = (
                    f"unresolved disorder: {len(atoms)} donors around {structure.labels[m]} "
                    f"(more than {MAX_COORDINATION} with anion donors among them); no "
                    "coordination sphere is reported"
                )
            spheres.append(
                Sphere(
                    m,
                    atoms,
                    tuple(d_all[idx].tolist()),
                    tuple(su_all[idx].tolist()),
                    configuration,
                    float(occ),
                    fractions.get(m, ()),
                    problem,
                    tuple(notes),
                )
            )
    if unresolved:
        return spheres
    return [sp for sp in spheres if not sp.problem]


def _donor_pairs(
    structure: Structure, found, starts: np.ndarray, ends: np.ndarray, tolerance: float
) -> tuple[np.ndarray, np.ndarray]:
    """For the donors ``found[starts[k]:ends[k]]`` of each metal k: whether two of them may
    lie one behind the other (two non-metal, non-H donors bonded to each other, the test
    of :func:`_behind_donors`, with its positions and sums: where it finds none it has
    nothing to do), and whether they may be disordered (a PART label, a partial donor, or
    two donors closer than :data:`EXCLUSIVE_DISTANCE` + 1e-9 Å, a margin far beyond the
    rounding of :func:`_compatible_sets`' own positions: where none is, it keeps every
    donor in one set). Every pair of every metal's donors at once, not a call per metal."""
    count = ends - starts
    n_pairs = count * count
    owner = np.repeat(np.arange(len(count)), n_pairs)
    local = np.arange(int(n_pairs.sum())) - np.repeat(np.cumsum(n_pairs) - n_pairs, n_pairs)
    a, b = np.divmod(local, np.maximum(count, 1)[owner])
    a, b = a + starts[owner], b + starts[owner]
    apart = a != b
    x = image_fract(structure, found.site, found.op, found.shift.astype(float))
    x = x @ structure.cell.orthogonalization.T
    dd = vector_lengths(x[a] - x[b])
    radii, metal, hydrogen = _per_element(structure.elements)
    r = radii[found.site]
    candidate = ~metal[found.site] & ~hydrogen[found.site]
    bonded = (dd <= r[a] + r[b] + tolerance) & (dd >= EXCLUSIVE_DISTANCE)
    bonded &= candidate[a] & candidate[b] & apart
    close = apart & (dd < EXCLUSIVE_DISTANCE + 1e-9)
    # a PART label or a partial donor: the disorder rules decide (per row, then per metal)
    group = structure.disorder_group
    disordered = np.array([group[k] != "" for k in found.site.tolist()], dtype=bool)
    disordered |= structure.occupancy[found.site] < 0.995
    n = len(count)
    bonded_of = np.bincount(owner[bonded], minlength=n) > 0
    close_of = np.bincount(owner[close], minlength=n) > 0
    row_owner = np.repeat(np.arange(n), count)
    close_of |= np.bincount(row_owner[disordered], minlength=n) > 0
    return bonded_of, close_of


def mixed_sites(
    structure: Structure,
) -> tuple[dict[int, tuple[tuple[str, float], ...]], np.ndarray]:
    """Sites of different elements at one position whose occupancies add up to at most
    1.05: alternatives of one site, which may also be partly vacant. Li 0.5 + Fe 0.1667 on
    the 2a site of (LiFe₁/₃)(IO₃)₂ (COD 1100062; a third of the site is empty, for charge
    balance) is one site; asking for a sum of 1 ± 0.05 left them two, and each Fe
    "bonded" to its own images 2.54 Å away along c (an Fe₂O₃ sphere).

    Returns (element fractions of the major site of each group, by site index; a mask of
    the minor sites, which are not centres or donors of their own). The major site is
    the one with the larger occupancy (the first in the CIF on a tie).
    """
    minor = np.zeros(len(structure), dtype=bool)
    partial = np.flatnonzero(structure.occupancy < 0.995)
    if len(partial) < 2:
        return {}, minor
    # the images of partial sites only (the rows of the others left out, unmeasured)
    near = contacts(
        structure, MIXED_SITE_DISTANCE, centers=partial, min_distance=0.0, targets=partial
    )
    near = near.take(near.site != near.center)
    groups: dict[int, set[int]] = {}
    for i, j in zip(near.center.tolist(), near.site.tolist(), strict=True):
        group = groups.get(i, {i}) | groups.get(j, {j})
        for k in group:
            groups[k] = group
    fractions: dict[int, tuple[tuple[str, float], ...]] = {}
    for group in {frozenset(g) for g in groups.values()}:
        members = sorted(group, key=lambda k: (-structure.occupancy[k], k))
        elements = {structure.elements[k] for k in members}
        total = float(sum(structure.occupancy[k] for k in members))
        if len(elements) < 2 or total > 1.0 + MIXED_SITE_OCCUPANCY_SLACK:
            continue
        by_element: dict[str, float] = {}
        for k in members:
            e = structure.elements[k]
            by_element[e] = by_element.get(e, 0.0) + float(structure.occupancy[k])
        fractions[members[0]] = tuple(
            sorted(((e, round(f, 4)) for e, f in by_element.items()), key=lambda x: -x[1])
        )
        minor[members[1:]] = True
    return fractions, minor


def _behind_donors(structure: Structure, metal: int, donors, distance: np.ndarray, tolerance):
    """Mask of donors X that lie behind another donor Y bonded to them (module docstring)."""
    x = image_fract(structure, donors.site, donors.op, donors.shift.astype(float))
    x = x @ structure.cell.orthogonalization.T
    radii, metal_mask, hydrogen = _per_element(structure.elements)
    r = radii[donors.site]
    candidate = ~metal_mask[donors.site] & ~hydrogen[donors.site]
    dd = vector_lengths(x[:, None] - x[None])
    bonded = (dd <= r[:, None] + r[None] + tolerance) & (dd >= EXCLUSIVE_DISTANCE)
    bonded &= candidate[:, None] & candidate[None]
    if not bonded.any():  # the usual sphere: no two donors bonded to each other
        return np.zeros(len(donors), dtype=bool)
    elements = structure.elements
    el = np.array([elements[k] for k in donors.site], dtype=object)
    asm = np.array([structure.disorder_assembly[k] for k in donors.site], dtype=object)
    grp = np.array([structure.disorder_group[k] for k in donors.site], dtype=object)
    alternatives = (grp[:, None] != "") & (asm[:, None] == asm[None]) & (grp[:, None] != grp[None])
    alternatives &= grp[None] != ""
    bonded &= ~alternatives
    if not bonded.any():
        return np.zeros(len(el), dtype=bool)
    centre = structure.cartesian[metal]
    u = centre[None] - x  # Y → M
    out = np.zeros(len(el), dtype=bool)
    hetero = el != "C"  # C–C donor pairs are π ligands, bound side-on, however slipped
    for xi in np.flatnonzero(bonded.any(axis=1)).tolist():
        ys = np.flatnonzero(bonded[xi])
        if not hetero[xi]:  # a C: never behind a C donor (π ligand), else all Y tested
            if not hetero[ys].all():
                continue
        else:  # the Si of a silylamide: its methyl C donors (agostic) do not shield it
            ys = ys[hetero[ys]]
            if not len(ys):
                continue
        if not np.all(distance[xi] > distance[ys]):
            continue
        v = x[xi] - x[ys]  # Y → X
        cos = np.sum(u[ys] * v, axis=1) / np.linalg.norm(u[ys], axis=1) / np.linalg.norm(v, axis=1)
        if np.degrees(np.arccos(np.clip(cos, -1, 1))).min() >= THROUGH_DONOR_ANGLE:
            out[xi] = True
    return out


def _attachment_points(structure: Structure, atoms: tuple[Atom, ...], tolerance: float) -> int:
    """Donors counted by ligand attachment: donors bonded to each other (the C atoms of
    an η⁵-Cp or η⁶-arene, the two S of an η²-S₂) are one point (hapticity, IUPAC Red Book
    2005, IR-10.2.5.1), each other donor one. Bonded: 0.85·(r_a + r_b) ≤ d ≤ r_a + r_b +
    tolerance, non-metals other than H (the window of :func:`_compatible_sets`)."""
    sites = np.array([a.site for a in atoms])
    ops = np.array([a.code.op for a in atoms])
    shifts = np.array([a.code.shift for a in atoms], dtype=float)
    x = image_fract(structure, sites, ops, shifts) @ structure.cell.orthogonalization.T
    elements = [structure.elements[k] for k in sites.tolist()]
    r = np.array([covalent_radius(e) for e in elements])
    ligand = np.array([not is_metal(e) and e != "H" for e in elements], dtype=bool)
    dd = vector_lengths(x[:, None] - x[None])
    rsum = r[:, None] + r[None]
    bonded = (dd <= rsum + tolerance) & (dd >= SHORTEST_BOND_FACTOR * rsum)
    bonded &= ligand[:, None] & ligand[None]
    a, b = np.nonzero(bonded)  # the donor–donor bonds; each group of bonded donors is one
    return int(connected_components(len(atoms), a, b).max()) + 1


def _compatible_sets(
    structure: Structure, donors, tolerance: float = DEFAULT_TOLERANCE
) -> Sequence[tuple[np.ndarray, str]]:
    """Split donors into sets that can coexist (one per disorder configuration): a
    sequence of (donor indices, configuration label), a list or a lazy :class:`_ProductSets`
    (``len``, indexing, slicing and iteration; not list concatenation or equality).

    The sets are the maximal independent sets of the conflict graph (the maximal cliques of
    its complement, the compatibility graph), largest first, then by their donors in
    increasing order. Donors whose conflicts never touch choose independently: a
    maximal independent set is one of each connected component of the conflict graph
    and every combination is one, so the sets are counted as a product and made when
    read (:func:`_independent_product`, :class:`_ProductSets`; Ta50 of 2104374.cif has
    5184 of ten components, of which bulk keeps :data:`MAX_CONFIGURATIONS`). networkx's
    clique search serves the rest: a component of more than :data:`_SUBSETS_MAX` donors
    or with PART-labelled donors, or :data:`_CLIQUE_SEARCH` sets or more (its bounded
    search then picks the sets, as it always did).
    """
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
    dd = vector_lengths(x[:, None] - x[None])
    conflict = dd < EXCLUSIVE_DISTANCE
    np.fill_diagonal(conflict, False)
    occ = structure.occupancy[sites]
    if not conflict.any() and not any(grp) and bool((occ >= 0.995).all()):
        return [(np.arange(n), "")]  # the usual sphere: no PART label, no partial donor
    labelled = np.array([label != "" for label in grp], dtype=bool)
    if labelled.any():  # different groups of one assembly (object comparisons, n² of them)
        g = np.array(grp, dtype=object)
        a = np.array(asm, dtype=object)
        same_assembly = labelled[:, None] & labelled[None] & (a[:, None] == a[None])
        conflict |= same_assembly & (g[:, None] != g[None])
    # unlabelled disorder: complementary partial donors too close to coexist, not bonded
    unlabelled = (occ < 0.995) & ~labelled
    r = _radii(structure)[sites]
    rsum = r[:, None] + r[None]
    bonded = (dd <= rsum + tolerance) & (dd >= SHORTEST_BOND_FACTOR * rsum)
    both = unlabelled[:, None] & unlabelled[None]
    conflict |= both & (occ[:, None] + occ[None] <= 1.02) & (dd < UNLABELLED_CONTACT) & ~bonded
    # two occupancy classes p ≠ q with p + q = 1: two orientations, never mixed
    complementary = np.abs(occ[:, None] + occ[None] - 1.0) <= 0.02
    conflict |= both & complementary & (np.abs(occ[:, None] - occ[None]) > 0.02)
    np.fill_diagonal(conflict, False)
    if not conflict.any():
        return [(np.arange(n), _configuration(asm, grp, range(n)))]
    masks = _independent_product(conflict, labelled)
    if masks is not None:  # every donor with a PART label is in every set: one label
        return _ProductSets(masks, n, _configuration(asm, grp, range(n)))
    import networkx as nx  # only disordered spheres need it: keep start-up fast

    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    ia, ib = np.nonzero(np.triu(~conflict, 1))
    graph.add_edges_from(zip(ia.tolist(), ib.tolist(), strict=True))
    found = itertools.islice(nx.find_cliques(graph), _CLIQUE_SEARCH)  # bounded work
    cliques = sorted((sorted(c) for c in found), key=lambda c: (-len(c), c))
    return _numbered([(np.array(c, dtype=int), _configuration(asm, grp, c)) for c in cliques])


#: Most donors of one connected component of the conflict graph whose maximal independent
#: sets :func:`_independent_product` finds by testing every subset (2¹² = 4096).
_SUBSETS_MAX = 12


def _independent_product(conflict: np.ndarray, labelled: np.ndarray) -> np.ndarray | None:
    """The maximal independent sets of the conflict graph ``conflict`` (n, n) as bit masks
    (donor k is bit n − 1 − k), in the order of :func:`_compatible_sets`; or None where
    the clique search must find them (module constants there).

    A set is independent and maximal exactly when its part in each connected component is,
    so the sets are the combinations of one maximal independent set per component (those
    of a component found among its 2^s subsets: none of a subset's donors conflicts with
    another, every donor outside conflicts with one inside). For sets of one size, the
    first in increasing order of donors is the one with the larger mask: the smallest
    donor in one set and not in the other decides both orders.
    """
    n = len(conflict)
    if n > 62:  # the masks are int64
        return None
    ia, ib = np.nonzero(np.triu(conflict, 1))
    component = connected_components(n, ia, ib)
    sizes = np.bincount(component)
    weight = np.left_shift(np.int64(1), np.arange(n - 1, -1, -1, dtype=np.int64))
    lengths, masks = np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)
    for c in np.flatnonzero(sizes > 1).tolist():
        members = np.flatnonzero(component == c)
        if len(members) > _SUBSETS_MAX or labelled[members].any():
            return None
        s = len(members)
        subsets = (np.arange(1 << s)[:, None] >> np.arange(s)) & 1  # (2^s, s)
        inside = subsets > 0
        touched = (subsets @ conflict[np.ix_(members, members)].astype(np.int64)) > 0
        chosen = inside[~(inside & touched).any(axis=1) & (inside | touched).all(axis=1)]
        if len(lengths) * len(chosen) >= _CLIQUE_SEARCH:
            return None
        lengths = (lengths[:, None] + chosen.sum(axis=1)[None]).ravel()
        masks = (masks[:, None] + (chosen @ weight[members])[None]).ravel()
    alone = sizes[component] == 1  # in every set
    lengths += int(alone.sum())
    masks += weight[alone].sum()
    return masks[np.lexsort((-masks, -lengths))]


class _ProductSets(Sequence):
    """The sets of :func:`_independent_product` as :func:`_compatible_sets` gives them,
    ``(donor indices, configuration)``, each made when read (a capped metal reads 64 of
    thousands). They share one configuration label, so they are numbered ``#1``, ``#2``
    … in order as :func:`_numbered` numbers them."""

    def __init__(self, masks: np.ndarray, n: int, configuration: str) -> None:
        self._masks, self._n, self._configuration = masks, n, configuration

    def __len__(self) -> int:
        return len(self._masks)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        i = range(len(self))[i]  # IndexError past the end (the end of an iteration)
        mask, n = int(self._masks[i]), self._n
        members = np.array([k for k in range(n) if mask >> (n - 1 - k) & 1], dtype=int)
        if len(self) == 1:
            return members, self._configuration
        return members, f"{self._configuration} #{i + 1}".strip()


def _numbered(sets: list) -> list:
    """Donor sets whose configuration labels repeat get ``#1``, ``#2`` … in order (the sets
    of unlabelled disorder have no PART label to tell them apart, and every table keys a
    sphere by metal and configuration: Ba3 of Ba₆Co₆ClO₁₆ has eight configurations of its
    partial O4, which ``coordgeo sphere`` printed as one sphere of CN 96)."""
    counts: dict[str, int] = {}
    for _, configuration in sets:
        counts[configuration] = counts.get(configuration, 0) + 1
    if all(n == 1 for n in counts.values()):
        return sets
    seen: dict[str, int] = {}
    out = []
    for subset, configuration in sets:
        if counts[configuration] > 1:
            seen[configuration] = seen.get(configuration, 0) + 1
            configuration = f"{configuration} #{seen[configuration]}".strip()
        out.append((subset, configuration))
    return out


def _configuration(asm: list[str], grp: list[str], members) -> str:
    used = sorted({f"{asm[k] or '.'}:{grp[k]}" for k in members if grp[k]})
    return " ".join(used)


# --- tables -------------------------------------------------------------------------------


#: Columns of :func:`sphere_columns` (and of :func:`spheres_frame`, the bulk ``bonds`` table).
SPHERE_COLUMNS = (
    "block",
    "metal",
    "configuration",
    "donor",
    "donor_element",
    "symmetry_code",
    "distance",
    "distance_su",
    "occupancy",
)


def sphere_columns(structure: Structure, spheres: list[Sphere]) -> dict[str, np.ndarray] | None:
    """One row per metal–donor bond of ``spheres``, as columns ({name: array} for
    :data:`SPHERE_COLUMNS`); None when no sphere has a donor.

    Parameters
    ----------
    structure
        The structure the spheres were found in (labels, elements, symmetry operators).
    spheres
        :func:`coordination_spheres` output; rows follow the spheres, each nearest donor
        first.

    Returns
    -------
    ``block``, ``metal`` (label), ``configuration`` (disorder groups, "" when ordered),
    ``donor`` (label), ``donor_element``, ``symmetry_code`` (CIF n_klm of the donor,
    :func:`coordgeo.symmetry.format_codes`), ``distance`` d(M–L) (Å) and its su
    ``distance_su`` (σ(d) from the coordinate and cell su's, :func:`coordgeo.geometry.measure`),
    and the sphere's ``occupancy``. Object arrays for text, float64 for numbers: what the
    table of :func:`spheres_frame` and the bulk ``bonds`` table are made of.
    """
    counts = [len(sp.donors) for sp in spheres]
    n = sum(counts)
    if n == 0:
        return None
    donors = [atom for sp in spheres for atom in sp.donors]
    sites = np.fromiter((a.site for a in donors), dtype=int, count=n)
    ops = np.fromiter((a.code.op for a in donors), dtype=int, count=n)
    shifts = np.array([a.code.shift for a in donors], dtype=int).reshape(n, 3)
    labels = np.array(structure.labels, dtype=object)
    elements = np.array(structure.elements, dtype=object)
    per_sphere = np.array([sp.metal for sp in spheres], dtype=int)
    configurations = np.array([sp.configuration for sp in spheres], dtype=object)
    return {
        "block": np.full(n, structure.block, dtype=object),
        "metal": np.repeat(labels[per_sphere], counts),
        "configuration": np.repeat(configurations, counts),
        "donor": labels[sites],
        "donor_element": elements[sites],
        "symmetry_code": np.array(format_codes(structure, ops, shifts), dtype=object),
        "distance": np.array([d for sp in spheres for d in sp.distances], dtype=float),
        "distance_su": np.array([su for sp in spheres for su in sp.distances_su], dtype=float),
        "occupancy": np.repeat(np.array([sp.occupancy for sp in spheres], dtype=float), counts),
    }


def spheres_frame(structure: Structure, spheres: list[Sphere]) -> pd.DataFrame:
    """One row per metal–donor bond, with the donor's symmetry code and the distance (+su):
    the table of :func:`sphere_columns` (without columns when there is no bond)."""
    import pandas as pd

    columns = sphere_columns(structure, spheres)
    return pd.DataFrame([]) if columns is None else pd.DataFrame(columns)


def donor_labels(structure: Structure, sphere: Sphere) -> list[str]:
    """``N1``, ``N1_2_655`` … for each donor of a sphere."""
    return [atom_label(structure, a) for a in sphere.donors]


def metal_atom(structure: Structure, sphere: Sphere) -> Atom:
    """The untransformed metal of a sphere as an :class:`Atom`."""
    return Atom(sphere.metal, identity(structure))


#: Columns of :func:`sphere_geometry` (and keys of :func:`sphere_geometry_columns`).
SPHERE_GEOMETRY_COLUMNS = ["block", "metal", "configuration", "kind", "atoms", "value", "value_su"]


def sphere_geometry_columns(structure: Structure, spheres: list[Sphere]) -> dict[str, list]:
    """The rows of :func:`sphere_geometry` as columns (lists, keys
    :data:`SPHERE_GEOMETRY_COLUMNS`): what the table is made of, and what a one-file
    command prints from without making a DataFrame (``coordgeo sphere``)."""
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
    return {
        "block": [structure.block] * len(records),
        "metal": [structure.labels[r[0].metal] for r in records],
        "configuration": [r[0].configuration for r in records],
        "kind": [r[1] for r in records],
        "atoms": [r[2] for r in records],
        "value": [r[3] for r in records],
        "value_su": [r[4] for r in records],
    }


def sphere_geometry(structure: Structure, spheres: list[Sphere]) -> pd.DataFrame:
    """M–L bonds and L–M–L angles of each sphere, with su's, as in Table S1 of an SI.

    Columns ``block, metal, configuration, kind, atoms, value, value_su``:
    ``kind`` is ``bond`` or ``angle``; ``atoms`` a tuple of
    :class:`~coordgeo.geometry.Atom` (bond: metal, donor; angle: donor,
    metal, donor). Bonds come nearest first; angles for every donor pair.
    The table of :func:`sphere_geometry_columns`.
    """
    return frame_of_sphere_geometry(structure, sphere_geometry_columns(structure, spheres))


def frame_of_sphere_geometry(structure: Structure, columns: dict[str, list]) -> pd.DataFrame:
    """The table of :func:`sphere_geometry` from its columns
    (:func:`sphere_geometry_columns`)."""
    import pandas as pd

    # block as a scalar, as the table always had it (its dtype when there is no row)
    return pd.DataFrame({**columns, "block": structure.block}, columns=SPHERE_GEOMETRY_COLUMNS)
