"""Intermolecular contacts: π–π stacking, X–H···π, and hydrogen bonds with or without H.

Rings and their centroids Cg come from :mod:`coordgeo.rings`: the 5- and 6-membered rings
that are aromatic by geometry (planar, sp² atoms, short bonds), so that the planar faces
of boron cages and clusters are not "π" rings; every planar ring with ``aromatic=False``,
planar chelate rings (with a metal) with ``chelate=True``. Contacts to symmetry images are found
with the periodic neighbour search of :mod:`coordgeo.geometry` (gemmi's cell lists) with
the centroids added as dummy sites, so every image is found once with its symmetry code
(CIF ``n_klm``, relative to the untransformed first partner).

π–π stacking (``kind = "pi-pi"``)
--------------------------------
For ring I and an image of ring J, with centroids Cg(I), Cg(J), unit normals n_I, n_J of
the mean planes and v = Cg(J) − Cg(I), the quantities of PLATON's ring–ring analysis
(Spek, Acta Cryst. D 2009, 65, 148; PLATON manual, CALC GEOM):

* ``cg_cg`` = |v|, the centroid–centroid distance;
* ``alpha`` = ∠(n_I, n_J), the dihedral angle between the planes (0–90°);
* ``beta`` = ∠(v, n_I) and ``gamma`` = ∠(v, n_J) (0–90°), the angles of the Cg–Cg vector
  with the normals of ring I and ring J;
* ``cg1_perp`` = |v·n_J|, the perpendicular distance of Cg(I) from the plane of ring J, and
  ``cg2_perp`` = |v·n_I|, of Cg(J) from the plane of ring I;
* ``slippage`` = |v × n_I| = |v| sin β, the distance between Cg(I) and the perpendicular
  projection of Cg(J) onto the plane of ring I.

A pair is listed when Cg···Cg ≤ ``max_distance`` (default 4.0 Å), α ≤ ``max_alpha``
(default 30°) and both β and γ ≤ ``max_beta`` (default 60°). Janiak (J. Chem. Soc.,
Dalton Trans. 2000, 3885) surveys π–π stacking of aromatic N-heterocycles in metal
complexes and finds centroid–centroid distances of about 3.3–3.8 Å for significant
stacking, with near-parallel rings offset (slipped) against each other; 4.0 Å leaves room
for the longer contacts authors still show. PLATON lists ring pairs up to 6.0 Å with
β < 60°; its limit for β is the default here, and α ≤ 30° is the upper end of the
"near-parallel" range of 20–30° used in the literature. Two rings that share an atom
(fused rings) are not a pair; a ring and its own symmetry image are, each such pair once.

X–H···π (``kind = "ch-pi"``)
---------------------------
For an H atom bonded to X (the donor rule of :mod:`coordgeo.hbonds`: the nearest bonded
non-metal; X ∈ C, N, O, S by default) and a ring image with centroid Cg and normal n:
``d_ha`` = H···Cg, ``d_da`` = X···Cg, ``angle_dha`` = ∠X–H···Cg, ``d_dh`` = X–H,
``h_perp`` = |(H − Cg)·n| (H's distance from the ring plane), ``gamma`` = ∠(H − Cg, n) (how
far H is off the ring normal) and ``angle_xh_pi`` = the angle between the X–H bond and the
ring plane (90° when X–H points straight at the ring). Listed when H···Cg ≤ ``max_h_cg``
(default 3.0 Å) and γ ≤ ``max_gamma`` (default 30°), PLATON's criteria for X–H···Cg(π)
(Spek 2009), and ∠X–H···Cg ≥ ``min_angle`` (default 100°, the limit coordgeo uses for
hydrogen bonds, so that an H pointing away from the ring is not listed). X must not be an
atom of the ring.

Hydrogen bonds (``kind = "hbond"``)
-----------------------------------
The D–H···A bonds of :func:`coordgeo.hbonds.hbonds` (H located, its criteria), and
**possible hydrogen bonds whose H was not located**: a donor D (N or O) with no H atom
bonded to it that would carry one, listed with every acceptor A (N, O, S, F, Cl, Br, I)
at D···A < r_vdW(D) + r_vdW(A) − ``da_margin`` (Bondi radii as for H-bonds; default margin
0, i.e. O···O < 3.04 Å, N···O < 3.07 Å). These rows have ``h_located`` False, no H and no
angle, and ``note`` = "H not located". A donor "would carry" an H when it has no H bonded
and at most one bond to a non-metal, a single bond (at least r_cov + r_cov − 0.04 Å long:
C–O ≥ 1.35 Å, C–N ≥ 1.40 Å; so water, hydroxide, alcohols, amines and ammines qualify,
while carbonyl, carboxylate, phenolate, nitrate, sulfonate O and nitrile, imine N do not),
and is bonded to at most one metal, at 1.85 Å or more (oxo and μ-oxo ligands are not
donors). An acceptor N must not be bonded to a metal (its lone pair is used) and must
have fewer than four neighbours; A is not bonded to D and not bonded to an atom bonded to
D (no 1,3 contacts, e.g. two cis ligands of one metal). A pair of two such donors is
listed once.

Standard uncertainties
----------------------
Every quantity is a function of the atoms' coordinates (ring atoms for a centroid or a
normal): its su comes from the coordinate and cell su's by linear propagation
(:func:`coordgeo.geometry.su_from_gradients`). The gradient: the centroids move with
the mean of their atoms and the normals by the analytic derivative of the plane fit's
eigenvector (:func:`coordgeo.rings.normal_jacobian`); the lengths and angles of these
are then differenced centrally over ±10⁻⁵ Å of each atom coordinate, carried through
those derivatives (:func:`_differences_along`), so that the kinks of their magnitudes
(α = 0) get what central differences give there and every other point its derivative
(the su's of the displaced copies of :func:`coordgeo.geometry.su_of_function`, which
this replaces, to 10⁻⁹ relative). As for
hydrogen bonds, quantities that involve a riding H (H···Cg, H-perp, γ, angles, X–H) have
no su (NaN); X···Cg and Cg···Cg always have one. Angles between unit normals are
magnitudes: near 0° (two rings related by an inversion centre are exactly parallel, with
α = 0 and su 0) the linearised su understates the spread.

Columns
-------
Every table has :data:`COMMON`: ``block, kind, partner1, hydrogen, partner2,
symmetry_code, distance, distance_su, intramolecular`` — ``partner1`` is ``Cg1`` (π–π) or
the donor label, ``partner2`` a ``Cg`` or the acceptor label, ``symmetry_code`` the
partner2's code relative to the untransformed partner1 and H, and ``distance`` the
contact's headline distance: Cg···Cg for π–π, X/D···Cg/A for the others (the one with an
su when H rides). ``intramolecular`` is True when both partners belong to one molecule
(the test of :mod:`coordgeo.hbonds`). Kind-specific columns follow (:data:`PI_PI`,
:data:`CH_PI`, :data:`HBOND`); :func:`contacts` returns the union, :data:`ALL_COLUMNS`.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Sequence
from dataclasses import fields

import numpy as np
import pandas as pd

from coordgeo.coordination import (
    DEFAULT_TOLERANCE,
    _radii,
    excluded_by_disorder,
)
from coordgeo.errors import InputError
from coordgeo.geometry import (
    FINITE_DIFFERENCE_STEP,
    Atom,
    image_fract,
    measure,
    su_from_gradients,
)
from coordgeo.geometry import contacts as _neighbours
from coordgeo.hbonds import COLUMNS as _HBOND_COLUMNS
from coordgeo.hbonds import (
    DEFAULT_ACCEPTORS,
    DEFAULT_HA_MARGIN,
    DEFAULT_MIN_ANGLE,
    covalent_bonds,
    hbond_columns,
    hydrogen_donors,
    intramolecular,
    site_masks,
    vdw_radius,
)
from coordgeo.model import Structure, read_only
from coordgeo.options import (
    DEFAULT_DA_MARGIN,
    DEFAULT_MAX_ALPHA,
    DEFAULT_MAX_BETA,
    DEFAULT_MAX_CG_CG,
    DEFAULT_MAX_GAMMA,
    DEFAULT_MAX_H_CG,
    DEFAULT_MIN_XH_CG_ANGLE,
    validate_in_range,
)
from coordgeo.rings import (
    DEFAULT_PLANARITY,
    Ring,
    aromatic_rings,
    centroid_and_normal,
    find_rings,
    may_have_aromatic_rings,
    normal_jacobian,
)
from coordgeo.symmetry import (
    SymmetryCode,
    affine,
    compose,
    cross3,
    format_code,
    operation_code,
    vector_lengths,
)

#: X–H···π donors X.
DEFAULT_PI_DONORS = ("C", "N", "O", "S")
#: D···A without H: donor elements.
DEFAULT_NO_H_DONORS = ("N", "O")
#: A bond from a donor to a metal shorter than this (Å) is an oxo/nitrido, not a donor.
OXO_LIMIT = 1.85
#: A single bond is at least r_cov + r_cov − this (Å).
SINGLE_BOND_MARGIN = 0.04

KINDS = ("pi-pi", "ch-pi", "hbond")
H_NOT_LOCATED = "H not located"

COMMON = [
    "block",
    "kind",
    "partner1",
    "hydrogen",
    "partner2",
    "symmetry_code",
    "distance",
    "distance_su",
    "intramolecular",
    "dx",
    "dy",
    "dz",
]
PI_PI = [
    *COMMON,
    "ring1",
    "ring2",
    "cg_cg",
    "cg_cg_su",
    "alpha",
    "alpha_su",
    "beta",
    "beta_su",
    "gamma",
    "gamma_su",
    "cg1_perp",
    "cg1_perp_su",
    "cg2_perp",
    "cg2_perp_su",
    "slippage",
    "slippage_su",
]
#: The D–H, H···A, D···A and ∠D–H···A columns of :data:`coordgeo.hbonds.COLUMNS`.
_HB_VALUES = [c for c in _HBOND_COLUMNS if c.startswith(("d_", "angle_"))]
CH_PI = [
    *COMMON,
    "ring2",
    *_HB_VALUES,
    "h_perp",
    "h_perp_su",
    "gamma",
    "gamma_su",
    "angle_xh_pi",
    "angle_xh_pi_su",
    "riding",
]
HBOND = [*COMMON, *_HB_VALUES, "riding", "h_located", "note"]
ALL_COLUMNS = list(dict.fromkeys([*PI_PI, *CH_PI, *HBOND]))

TEXT_COLUMNS = {
    "block",
    "kind",
    "partner1",
    "hydrogen",
    "partner2",
    "symmetry_code",
    "ring1",
    "ring2",
    "note",
}
BOOL_COLUMNS = {"intramolecular", "riding", "h_located"}


def _empty(columns: list[str]) -> pd.DataFrame:
    """The table without rows: a copy of one built once per column list (most structures
    have no contacts of some kind, and building a 40-column DataFrame costs ~3 ms)."""
    return _empty_template(tuple(columns)).copy()


@functools.lru_cache(maxsize=8)
def _empty_template(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            c: pd.Series(
                [], dtype=object if c in TEXT_COLUMNS else bool if c in BOOL_COLUMNS else float
            )
            for c in columns
        }
    )


# --- ring images ----------------------------------------------------------------------------


def _points(structure: Structure, fract: np.ndarray, labels: Sequence[str]) -> Structure:
    """A structure of dummy sites (element X) at ``fract`` in the cell and space group of
    ``structure``: the centroids (and the atoms searched around) for the neighbour search,
    which then visits only these points, not every atom of the crystal.

    What ``dataclasses.replace`` of the site fields makes (every array read-only), built
    without it (~15 us), and with the structure's cached operator arrays
    (:data:`_OPERATOR_VALUES`: the same symops), which the search would work out again."""
    k = len(fract)
    points = object.__new__(Structure)
    values = vars(structure)
    vars(points).update({name: values[name] for name in _STRUCTURE_FIELDS})
    vars(points).update({name: values[name] for name in _OPERATOR_VALUES if name in values})
    vars(points).update(
        labels=tuple(labels),
        elements=("X",) * k,
        fract=read_only(np.asarray(fract, dtype=float).reshape(k, 3)),
        disorder_assembly=("",) * k,
        disorder_group=("",) * k,
        **_dummy_site_fields(k),
    )
    return points


def _dummy_site_fields(k: int) -> dict[str, np.ndarray]:
    """The per-site arrays of k dummy sites of :func:`_points` (no su's, full occupancy, no
    displacement, general positions): read-only, so the dummy structures of any size-k
    search share them, remembered for up to 2048 sites (~265 B a site; 16 lists of 20 000
    would hold ~85 MB in a bulk worker)."""
    return _new_dummy_site_fields(k) if k > 2048 else _shared_dummy_site_fields(k)


def _new_dummy_site_fields(k: int) -> dict[str, np.ndarray]:
    return {
        "fract_su": read_only(np.zeros((k, 3))),
        "fract_cov": read_only(np.zeros((k, 3, 3))),
        "fract_rounding": read_only(np.zeros((k, 3))),
        "occupancy": read_only(np.ones(k)),
        "u_iso": read_only(np.full(k, np.nan)),
        "u_aniso": read_only(np.full((k, 6), np.nan)),
        "calc": read_only(np.zeros(k, dtype=bool)),
        "site_symmetry_order": read_only(np.ones(k, dtype=int)),
        "site_projector": read_only(np.broadcast_to(np.eye(3), (k, 3, 3)).copy()),
    }


_shared_dummy_site_fields = functools.lru_cache(maxsize=16)(_new_dummy_site_fields)


_STRUCTURE_FIELDS = tuple(f.name for f in fields(Structure))
#: Cached values of a :class:`~coordgeo.model.Structure` that depend on its operators alone.
_OPERATOR_VALUES = ("rotations", "rotations_float", "translations", "identity_op")


class _Images:
    """Ring atoms carried into a symmetry image, with composed codes cached."""

    def __init__(self, structure: Structure) -> None:
        self.s = structure
        self.ident = structure.identity_op
        self._cache: dict[tuple[SymmetryCode, SymmetryCode], SymmetryCode | None] = {}
        self._inverses: dict[SymmetryCode, SymmetryCode | None] = {}

    def compose(self, first: SymmetryCode, then: SymmetryCode) -> SymmetryCode | None:
        if first.op == self.ident and first.shift == (0, 0, 0):
            return then
        key = (first, then)
        if key not in self._cache:
            try:
                self._cache[key] = compose(first, then, self.s)
            except ValueError:  # the CIF's operators are not a group
                self._cache[key] = None
        return self._cache[key]

    def ring(self, ring: Ring, code: SymmetryCode) -> list[Atom] | None:
        out = []
        for a in ring.atoms:
            c = self.compose(a.code, code)
            if c is None:
                return None
            out.append(Atom(a.site, c))
        return out

    def inverse(self, code: SymmetryCode) -> SymmetryCode | None:
        if code not in self._inverses:  # each ring's own images, found from both ends
            r = self.s.rotations[code.op]
            t = self.s.translations[code.op] + np.asarray(code.shift, dtype=float)
            ri = np.rint(np.linalg.inv(r)).astype(int)
            self._inverses[code] = operation_code(ri, -ri @ t, self.s)
        return self._inverses[code]

    def listed_once(self, code: SymmetryCode) -> bool:
        """Whether a partner's contact with its own image ``code`` is the one listed.

        The neighbour search finds such a pair twice, through g and through g⁻¹: the one
        with the smaller (operator, translation) is kept (none when g⁻¹ is not an
        operation the CIF can express).
        """
        inverse = self.inverse(code)
        return inverse is not None and (inverse.op, inverse.shift) >= (code.op, code.shift)


# The centroids (with the atoms searched around) as dummy sites, per structure (weak keys).
_PSEUDO: weakref.WeakKeyDictionary[Structure, dict] = weakref.WeakKeyDictionary()


def _centroids_near(
    structure: Structure,
    rings: Sequence[Ring],
    reach: float,
    centers: Sequence[int] | np.ndarray | None = None,
) -> list[tuple[int, int, SymmetryCode]]:
    """Ring images whose centroid is within ``reach`` Å of each centre: (centre, ring, code).

    The neighbour search (:func:`coordgeo.geometry.contacts`) runs over a structure of
    dummy sites (:func:`_points`): the centres (in site order), then the centroids; so
    each image is found once, with its code relative to the centre, and the other atoms
    of the crystal are not visited. ``centers`` are atom sites; None: the centroids
    themselves (the centre is then a ring index too). Rows are ordered by centre (site
    order), then distance, as the search orders them.
    """
    if centers is None:
        return _near_centroids(structure, rings, None, 0.0, reach)[0]
    return _near_centroids(structure, rings, centers, reach, None)[1]


def _near_centroids(
    structure: Structure,
    rings: Sequence[Ring],
    centers: Sequence[int] | np.ndarray | None,
    atom_reach: float,
    ring_reach: float | None,
) -> tuple[list | None, list | None]:
    """:func:`_centroids_near` of the centroids themselves within ``ring_reach`` (None:
    not sought) and of the atoms ``centers`` within ``atom_reach`` (None: not sought),
    from one neighbour search when both are sought (π–π and X–H···π of one structure:
    each search of a few centroids costs its fixed overhead, not its work). Returns
    (ring rows, atom rows), None where not sought.

    The search orders rows by centre, then distance (ties by site, operator and
    translation), each centre's rows whatever the other centres are, so the rows of
    each part are those of its own search. When the search of both is refused (the work
    bound of :func:`coordgeo.options.check_work_bounds`, checked before any work), each
    is sought in its own, which then passes or fails as it would alone.
    """
    if centers is None:
        order = np.zeros(0, dtype=int)
        sites = order
    else:
        sites = np.asarray(centers, dtype=int).reshape(-1)
        order = np.argsort(sites, kind="stable")
        sites = sites[order]
    n0 = len(sites)
    key = (tuple(id(r) for r in rings), tuple(sites.tolist()))
    per = _PSEUDO.setdefault(structure, {})
    if key not in per:
        if len(per) >= 4:  # π–π, X–H···π, …: a few; not one per H of resolve_centroid
            per.pop(next(iter(per)))
        # the rings are kept with their copy so that their ids stay unique; neither the
        # copy nor the rings hold the structure (weak key)
        fract = np.concatenate([structure.fract[sites], [r.centroid_fract for r in rings]])
        labels = [structure.labels[i] for i in sites.tolist()] + [r.name for r in rings]
        per[key] = (_points(structure, fract, labels), rings)
    pseudo = per[key][0]
    rings_at = n0 + np.arange(len(rings))
    atoms_at = np.arange(n0) if centers is not None else None
    # only the centroids' images are sought: the centres' own (every H's around every H,
    # for X–H···π) would be measured for nothing
    parts = [(atoms_at, atom_reach), (None if ring_reach is None else rings_at, ring_reach)]
    parts = [(c, r) for c, r in parts if c is not None]
    try:
        found = _neighbours(
            pseudo,
            np.concatenate([np.full(len(c), r, dtype=float) for c, r in parts]),
            centers=np.concatenate([c for c, _ in parts]),
            targets=rings_at,
        )
    except InputError:  # the work bound (before any work): each alone, as without the other
        if len(parts) == 1:
            raise
        return (
            _near_centroids(structure, rings, None, 0.0, ring_reach)[0],
            _near_centroids(structure, rings, centers, atom_reach, None)[1],
        )
    codes = [
        SymmetryCode(o, (a, b, c))
        for o, (a, b, c) in zip(found.op.tolist(), found.shift.tolist(), strict=True)
    ]
    is_atom = found.center < n0
    center = found.center - n0  # a ring's index, or an atom's site:
    center[is_atom] = sites[found.center[is_atom]]
    rows = list(zip(center.tolist(), (found.site - n0).tolist(), codes, strict=True))
    at_atom = is_atom.tolist()
    ring_rows = [r for r, atom in zip(rows, at_atom, strict=True) if not atom]
    atom_rows = [r for r, atom in zip(rows, at_atom, strict=True) if atom]
    return (
        ring_rows if ring_reach is not None else None,
        atom_rows if centers is not None else None,
    )


def _pair_arrays(
    sites: np.ndarray, ops: np.ndarray, shifts: np.ndarray, rows: np.ndarray, second: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Atoms 0 and ``second`` of the chosen rows of :func:`_code_arrays` output (for
    :func:`coordgeo.hbonds.intramolecular`)."""
    pick = np.ix_(rows, [0, second])
    return sites[pick], ops[pick], shifts[pick]


class _Intramolecular:
    """:func:`coordgeo.hbonds.intramolecular` of the atom pairs of several contact kinds of
    one structure in one call (each call costs its fixed overhead, not its pairs): each
    kind adds its pairs and keeps where their answers will be; the answers are worked out
    when first asked for, after the last kind has added its pairs (a pair's answer does
    not depend on the pairs asked with it)."""

    def __init__(self, structure: Structure, bonded) -> None:
        self.structure, self.bonded = structure, bonded
        self.pairs: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.count = 0
        self.answers: np.ndarray | None = None

    def add(self, sites: np.ndarray, ops: np.ndarray, shifts: np.ndarray) -> list[int]:
        """Where the answers of these pairs ((k, 2) sites and operators, (k, 2, 3) shifts)
        will be."""
        if self.answers is not None:
            raise RuntimeError("pairs added after the answers were worked out")
        self.pairs.append((sites, ops, shifts))
        self.count += len(sites)
        return list(range(self.count - len(sites), self.count))

    def answer(self, where: Sequence[int]) -> np.ndarray:
        """The answers (bool) at ``where`` (from :meth:`add`)."""
        if self.answers is None:
            if not self.pairs:
                self.answers = np.zeros(0, dtype=bool)
            else:
                joined = [np.concatenate([p[k] for p in self.pairs]) for k in range(3)]
                self.answers = intramolecular(self.structure, self.bonded, *joined)
        return self.answers[np.asarray(where, dtype=int)]


def _answer_intramolecular(columns: dict | None, pairs: _Intramolecular) -> dict | None:
    """``columns`` of a π kind with its ``intramolecular`` column (where the answers are,
    :meth:`_Intramolecular.add`) made the answers."""
    if columns is not None:
        columns["intramolecular"] = [bool(a) for a in pairs.answer(columns["intramolecular"])]
    return columns


def _fract(structure: Structure, atoms: Sequence[Atom]) -> np.ndarray:
    sites = np.array([a.site for a in atoms])
    ops = np.array([a.code.op for a in atoms])
    shifts = np.array([a.code.shift for a in atoms], dtype=float).reshape(-1, 3)
    return image_fract(structure, sites, ops, shifts)


def _position_keys(structure: Structure, atoms: Sequence[Atom]) -> set[tuple]:
    """(site, fractional coordinates × 10⁴ rounded) of each atom: atoms equal to 1e-4."""
    return _position_key_sets(structure, [atoms])[0]


def _position_key_sets(structure: Structure, groups: Sequence[Sequence[Atom]]) -> list[set]:
    """:func:`_position_keys` of each group of atoms, from one look-up of all their
    coordinates (each atom's R·x + t + shift whatever the others)."""
    atoms = [a for group in groups for a in group]
    if not atoms:
        return [set() for _ in groups]
    f = np.round(_fract(structure, atoms) * 1e4).astype(np.int64).tolist()
    out, start = [], 0
    for group in groups:
        keys = f[start : start + len(group)]
        out.append({(a.site, *p) for a, p in zip(group, keys, strict=True)})
        start += len(group)
    return out


def _donor_in_ring(
    structure: Structure, donor_of, rings: Sequence[Ring], near: list[tuple[int, int, SymmetryCode]]
) -> list[bool]:
    """For each (H, ring, code) of :func:`_centroids_near`: whether H's donor X
    (``donor_of``: :func:`coordgeo.hbonds.hydrogen_donors`) is an atom of that ring image,
    at the same position to 1e-6 (fractional). Only the ring atoms of X's site are
    compared, all candidates in one product."""
    if not near:
        return []
    row_of_h = {hh: k for k, hh in enumerate(donor_of.center.tolist())}
    donor_site = donor_of.site.tolist()
    which, ring_atom = [], []  # (candidate, ring atom) pairs of X's site
    for k, (hh, j, _) in enumerate(near):
        site = donor_site[row_of_h[hh]]
        for atom in rings[j].atoms:
            if atom.site == site:
                which.append(k)
                ring_atom.append(atom)
    out = np.zeros(len(near), dtype=bool)
    if not which:
        return out.tolist()
    row = np.array([row_of_h[near[k][0]] for k in which])
    x = image_fract(structure, donor_of.site[row], donor_of.op[row], donor_of.shift[row])
    code = [near[k][2] for k in which]
    op = np.array([c.op for c in code])
    shift = np.array([c.shift for c in code], dtype=float)
    f = np.einsum("kij,kj->ki", structure.rotations_float[op], _fract(structure, ring_atom))
    f += structure.translations[op] + shift
    same = (np.abs(f - x) < 1e-6).all(axis=-1)
    out[np.array(which)[same]] = True
    return out.tolist()


def _disorder_clash(structure: Structure, first: Sequence[Atom], second: Sequence[Atom]) -> bool:
    """Whether two groups of atoms cannot coexist (different parts of one disorder assembly)."""
    groups = structure.disorder_group
    if not any(groups[a.site] for a in first) and not any(groups[a.site] for a in second):
        return False  # (the test most pairs end at: before any array is made)
    i = np.repeat([a.site for a in first], len(second))
    j = np.tile([a.site for a in second], len(first))
    same = np.array([a.code == b.code for a in first for b in second], dtype=bool)
    return bool(excluded_by_disorder(structure, i, j, same).any())


def _code_arrays(rows: list[list[Atom]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sites = np.array([[a.site for a in r] for r in rows], dtype=int)
    ops = np.array([[a.code.op for a in r] for r in rows], dtype=int)
    shifts = np.array([[a.code.shift for a in r] for r in rows], dtype=float)
    return sites, ops, shifts.reshape(*sites.shape, 3)


def _values_and_sus(
    structure: Structure, sites, ops, shifts, parts_of, func, accept
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``func`` of k atom groups (``sites``, ``ops``, ``shifts``: (k, m)) and su's of the
    groups ``accept`` keeps: (fractional coordinates (k, m, 3), values (k, q), the rows
    kept, su's (k, q), NaN but in those rows: the candidates the criteria reject need
    none, most of them near a centroid).

    ``parts_of`` gives the smooth parts ``func`` takes (centroids, unit normals, atoms) of
    the groups' Cartesian positions and their derivatives with respect to the atoms
    (:func:`_pi_pi_parts`, :func:`_x_h_pi_parts`): the values are ``func`` of the parts,
    and the su's propagate (:func:`coordgeo.geometry.su_from_gradients`) the Jacobian of
    :func:`_differences_along` of the kept rows' parts. One plane fit per ring and group
    serves both (each group's fit, eigenvectors and derivatives do not depend on the
    other groups fitted with it: the same numbers as a fit of the kept rows alone)."""
    f = image_fract(structure, sites, ops, shifts)
    parts, derivatives = parts_of(f @ structure.cell.orthogonalization.T)
    values = np.asarray(func(*parts), dtype=float)
    rows = np.flatnonzero(accept(values))
    sus = np.full_like(values, np.nan)
    if len(rows):
        grad = _differences_along(func, [p[rows] for p in parts], [d[rows] for d in derivatives])
        sus[rows] = su_from_gradients(
            structure, sites[rows], ops[rows], f[rows], values[rows], grad
        )
    return f, values, rows, sus


def _ring_derivatives(x: np.ndarray) -> tuple[np.ndarray, ...]:
    """Centroid, unit normal (k, 3) of rings x (k, m, 3) and their derivatives
    (k, m, 3, 3), element [k, a, j, i] = ∂Cg_i/∂x_aj and ∂n_i/∂x_aj
    (:func:`coordgeo.rings.normal_jacobian`)."""
    c, n, dn = normal_jacobian(x)
    k, m = x.shape[:2]
    return c, n, np.broadcast_to(np.eye(3) / m, (k, m, 3, 3)), dn.swapaxes(-1, -2)


def _point_derivative(k: int) -> np.ndarray:
    """(k, 1, 3, 3) derivative of an atom's position with respect to itself."""
    return np.broadcast_to(np.eye(3), (k, 1, 3, 3))


def _differences_along(func, parts: list[np.ndarray], derivatives: list[np.ndarray]):
    """Central differences of ``func`` of smooth vector ``parts`` (k, 3) each, moved along
    their derivatives (k, m, 3, 3) by ±:data:`~coordgeo.geometry.FINITE_DIFFERENCE_STEP`
    per atom coordinate: the (k, m, 3, q) Jacobian of ``func`` with respect to the atoms.

    The parts (centroids, normals, atoms) carry the atoms' displacements to first order
    exactly (their analytic derivatives); the closed-form ``func`` of them (lengths and
    angles, with |·| whose kinks, e.g. α = 0 for two rings related by an inversion
    centre, have no derivative) is then differenced as the displaced copies of
    :func:`coordgeo.geometry.su_of_function` were, so that a kink gives what a central
    difference over ±step gives there, and every other point its exact derivative (to
    O(step²)) without fitting the planes of 6m displaced copies."""
    k, m = derivatives[0].shape[:2]
    step = np.array([FINITE_DIFFERENCE_STEP, -FINITE_DIFFERENCE_STEP])[None, None, :, None]
    moved = [
        p[:, None, None, :] + step * d.reshape(k, 3 * m, 1, 3)
        for p, d in zip(parts, derivatives, strict=True)
    ]
    out = func(*moved)  # (k, 3m, 2, q)
    grad = (out[:, :, 0] - out[:, :, 1]) / (2 * FINITE_DIFFERENCE_STEP)
    return grad.reshape(k, m, 3, -1)


def _pi_pi_parts(x: np.ndarray, m1: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Parts of :func:`_pi_pi_of_planes` (centroids and unit normals of both rings, (k, 3)
    each) of ring atoms x (k, m1 + m2, 3) and their derivatives (k, m1 + m2, 3, 3) with
    respect to the atoms (:func:`_ring_derivatives`; ring I does not move ring J)."""
    k = len(x)
    if 2 * m1 == x.shape[1]:  # two rings of one size: one plane fit for both
        c, n, dc, dn = _ring_derivatives(np.concatenate([x[:, :m1], x[:, m1:]]))
        c1, n1, dc1, dn1 = c[:k], n[:k], dc[:k], dn[:k]
        c2, n2, dc2, dn2 = c[k:], n[k:], dc[k:], dn[k:]
    else:
        c1, n1, dc1, dn1 = _ring_derivatives(x[:, :m1])
        c2, n2, dc2, dn2 = _ring_derivatives(x[:, m1:])
    zero1, zero2 = np.zeros_like(dc2), np.zeros_like(dc1)
    return (
        [c1, n1, c2, n2],
        [np.concatenate(pair, axis=1) for pair in
         ((dc1, zero1), (dn1, zero1), (zero2, dc2), (zero2, dn2))],
    )  # fmt: skip


def _x_h_pi_parts(x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Parts of :func:`_x_h_pi_of_plane` (X, H, the ring's centroid and unit normal,
    (k, 3) each) of atoms x (k, 2 + m, 3) and their derivatives (k, 2 + m, 3, 3)."""
    k, m = x.shape[0], x.shape[1] - 2
    c, n, dc, dn = _ring_derivatives(x[:, 2:])
    one = _point_derivative(k)
    none1, none_ring = np.zeros((k, 1, 3, 3)), np.zeros((k, m, 3, 3))
    return (
        [x[:, 0], x[:, 1], c, n],
        [np.concatenate(parts, axis=1) for parts in
         ((one, none1, none_ring), (none1, one, none_ring), (none1, none1, dc),
          (none1, none1, dn))],
    )  # fmt: skip


def _angle(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Angle between vectors (degrees, 0–180), well conditioned near 0 and 180."""
    return np.degrees(np.arctan2(vector_lengths(cross3(u, v)), np.sum(u * v, axis=-1)))


def _acute(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Angle between a vector and a line (or two lines), 0–90°."""
    return np.degrees(np.arctan2(vector_lengths(cross3(u, v)), np.abs(np.sum(u * v, axis=-1))))


# --- π–π ---------------------------------------------------------------------------------


def pi_pi_quantities(x: np.ndarray, m1: int) -> np.ndarray:
    """Cg···Cg, α, β, γ, Cg(I)-perp, Cg(J)-perp, slippage for ring atoms x (..., m1+m2, 3).

    The first ``m1`` atoms are ring I, the rest ring J; formulas in the module docstring.
    Returns (..., 7).
    """
    c1, n1 = centroid_and_normal(x[..., :m1, :])
    c2, n2 = centroid_and_normal(x[..., m1:, :])
    return _pi_pi_of_planes(c1, n1, c2, n2)


def _pi_pi_of_planes(c1: np.ndarray, n1: np.ndarray, c2: np.ndarray, n2: np.ndarray) -> np.ndarray:
    """:func:`pi_pi_quantities` of the two rings' centroids and unit normals (..., 3)."""
    v = c2 - c1
    # |v × n| and |v · n| of each normal once: β and γ (:func:`_acute`'s expressions) and
    # the slippage and perpendicular distances are made of them
    slip1, slip2 = vector_lengths(cross3(v, n1)), vector_lengths(cross3(v, n2))
    perp1, perp2 = np.abs(np.sum(v * n1, axis=-1)), np.abs(np.sum(v * n2, axis=-1))
    return np.stack(
        [
            vector_lengths(v),
            _acute(n1, n2),
            np.degrees(np.arctan2(slip1, perp1)),
            np.degrees(np.arctan2(slip2, perp2)),
            perp2,
            perp1,
            slip1,
        ],
        axis=-1,
    )


_PI_NAMES = ["cg_cg", "alpha", "beta", "gamma", "cg1_perp", "cg2_perp", "slippage"]


def _pi_rings(
    structure: Structure, tolerance: float, planarity: float, chelate: bool, aromatic: bool
) -> list[Ring]:
    """The rings π contacts are sought for (module docstring)."""
    if aromatic and not chelate:  # aromatic rings alone (aromatic implies planar, no metal)
        if not may_have_aromatic_rings(structure, tolerance=tolerance):
            return []  # no ring search: there can be none
        return aromatic_rings(structure, tolerance=tolerance, planarity=planarity)
    return [
        r
        for r in find_rings(structure, tolerance=tolerance, planarity=planarity)
        if r.planar and (chelate if r.metal else (r.aromatic or not aromatic))
    ]


def pi_stacking(
    structure: Structure,
    *,
    max_distance: float = DEFAULT_MAX_CG_CG,
    max_alpha: float = DEFAULT_MAX_ALPHA,
    max_beta: float = DEFAULT_MAX_BETA,
    chelate: bool = False,
    aromatic: bool = True,
    tolerance: float = DEFAULT_TOLERANCE,
    planarity: float = DEFAULT_PLANARITY,
) -> pd.DataFrame:
    """π–π stacking between planar rings and their symmetry images (module docstring).

    Parameters
    ----------
    max_distance, max_alpha, max_beta
        Cg···Cg ≤ max_distance (Å), α ≤ max_alpha and β, γ ≤ max_beta (degrees).
    chelate
        Include planar chelate rings (a metal in the ring).
    aromatic
        Only aromatic rings (by geometry, :mod:`coordgeo.rings`); False: every planar
        ring without a metal (boron cages, planar saturated rings too).
    tolerance, planarity
        Bond tolerance (Å) and planarity limit (Å) of :func:`coordgeo.rings.find_rings`.

    Returns
    -------
    :data:`PI_PI` columns, one row per pair, ordered by Cg(I), Cg(J) and Cg···Cg;
    ``partner1``/``partner2`` are ``Cg`` names, ``ring1``/``ring2`` their atoms, and
    ``symmetry_code`` the code of ring J.
    """
    return _table(
        _pi_stacking(structure, max_distance, max_alpha, max_beta, chelate, aromatic,
                     tolerance, planarity),
        PI_PI,
    )  # fmt: skip


def _pi_stacking(
    structure: Structure,
    max_distance: float,
    max_alpha: float,
    max_beta: float,
    chelate: bool,
    aromatic: bool,
    tolerance: float,
    planarity: float,
    near: list[tuple[int, int, SymmetryCode]] | None = None,
    pairs: _Intramolecular | None = None,
) -> dict[str, list] | None:
    """:func:`pi_stacking` as columns (None: no rows). ``near``: the
    :func:`_centroids_near` rows of the rings within ``max_distance`` when the caller
    has them (:func:`_pi_searches`); ``pairs``: the caller's intramolecular test, whose
    answers it fills in itself (the ``intramolecular`` column is then where they are)."""
    if pairs is None:
        pairs = _Intramolecular(structure, covalent_bonds(structure, tolerance))
        return _answer_intramolecular(
            _pi_stacking(structure, max_distance, max_alpha, max_beta, chelate, aromatic,
                         tolerance, planarity, near, pairs),
            pairs,
        )  # fmt: skip
    rings = _pi_rings(structure, tolerance, planarity, chelate, aromatic)
    if not rings or max_distance <= 0:
        return None
    if near is None:
        near = _centroids_near(structure, rings, max_distance)
    images = _Images(structure)
    found = []
    for i, j, code in near:
        if i > j:
            continue  # found from ring j too
        if i == j and not images.listed_once(code):
            continue  # a ring and its own image: one of g and g⁻¹
        ri, rj = rings[i], rings[j]
        image = images.ring(rj, code)
        if image is not None:
            found.append((i, ri, rj, code, image))
    # the position keys of each ring I's atoms and of every image at once
    first = list(dict.fromkeys(i for i, *_ in found))
    keys = _position_key_sets(structure, [rings[i].atoms for i in first] + [f[4] for f in found])
    keys_of = dict(zip(first, keys[: len(first)], strict=True))
    found_pairs: list[tuple[Ring, Ring, SymmetryCode, list[Atom]]] = []
    for n, (i, ri, rj, code, image) in enumerate(found):
        if keys_of[i] & keys[len(first) + n]:
            continue  # fused rings
        if _disorder_clash(structure, ri.atoms, image):
            continue
        found_pairs.append((ri, rj, code, image))
    if not found_pairs:
        return None
    records = []
    for m1, m2 in sorted({(p[0].size, p[1].size) for p in found_pairs}):
        group = [p for p in found_pairs if (p[0].size, p[1].size) == (m1, m2)]
        sites, ops, shifts = _code_arrays([list(p[0].atoms) + p[3] for p in group])
        f, values, idx, sus = _values_and_sus(
            structure, sites, ops, shifts, functools.partial(_pi_pi_parts, m1=m1),
            _pi_pi_of_planes,
            lambda v: (v[:, 0] <= max_distance) & (v[:, 1] <= max_alpha)
            & (v[:, 2] <= max_beta) & (v[:, 3] <= max_beta),
        )  # fmt: skip
        if not len(idx):
            continue
        intra = pairs.add(*_pair_arrays(sites, ops, shifts, idx, m1))
        vector = f[:, m1:].mean(axis=1) - f[:, :m1].mean(axis=1)
        for k, inside in zip(idx.tolist(), intra, strict=True):
            ri, rj, code, image = group[k]
            row = {
                "block": structure.block,
                "kind": "pi-pi",
                "partner1": ri.name,
                "hydrogen": "",
                "partner2": rj.name,
                "symmetry_code": format_code(code, structure),
                "distance": values[k, 0],
                "distance_su": sus[k, 0],
                "intramolecular": inside,  # where its answer will be
                "dx": vector[k, 0],
                "dy": vector[k, 1],
                "dz": vector[k, 2],
                "ring1": " ".join(ri.labels),
                "ring2": " ".join(rj.labels),
            }
            for q, name in enumerate(_PI_NAMES):
                row[name] = values[k, q]
                row[f"{name}_su"] = sus[k, q]
            records.append(((ri.number, rj.number, round(values[k, 0], 6)), row))
    if not records:
        return None
    records.sort(key=lambda r: r[0])
    return _columns([r for _, r in records], PI_PI)


# --- X–H···π -----------------------------------------------------------------------------


def x_h_pi_quantities(x: np.ndarray) -> np.ndarray:
    """X–H, H···Cg, X···Cg, ∠X–H···Cg, H-perp, γ, ∠(X–H, plane) for atoms x (..., 2+m, 3).

    Atom 0 is X, atom 1 H, the rest the ring. Returns (..., 7).
    """
    c, n = centroid_and_normal(x[..., 2:, :])
    return _x_h_pi_of_plane(x[..., 0, :], x[..., 1, :], c, n)


def _x_h_pi_of_plane(xx: np.ndarray, h: np.ndarray, c: np.ndarray, n: np.ndarray) -> np.ndarray:
    """:func:`x_h_pi_quantities` of X, H and the ring's centroid and unit normal (..., 3)."""
    hc = h - c
    xh = h - xx
    h_perp = np.abs(np.sum(hc * n, axis=-1))  # |(H − Cg)·n|, also γ's (:func:`_acute`)
    return np.stack(
        [
            vector_lengths(xh),
            vector_lengths(hc),
            vector_lengths(c - xx),
            _angle(xx - h, c - h),
            h_perp,
            np.degrees(np.arctan2(vector_lengths(cross3(hc, n)), h_perp)),
            90.0 - _acute(xh, n),
        ],
        axis=-1,
    )


_XH_NAMES = ["d_dh", "d_ha", "d_da", "angle_dha", "h_perp", "gamma", "angle_xh_pi"]
_XH_RIDING = {"d_dh", "d_ha", "angle_dha", "h_perp", "gamma", "angle_xh_pi"}


def x_h_pi(
    structure: Structure,
    *,
    max_h_cg: float = DEFAULT_MAX_H_CG,
    max_gamma: float = DEFAULT_MAX_GAMMA,
    min_angle: float = DEFAULT_MIN_XH_CG_ANGLE,
    donors: Sequence[str] = DEFAULT_PI_DONORS,
    chelate: bool = False,
    aromatic: bool = True,
    tolerance: float = DEFAULT_TOLERANCE,
    planarity: float = DEFAULT_PLANARITY,
) -> pd.DataFrame:
    """X–H···π contacts (C–H···π by default plus N, O, S–H···π; module docstring).

    Parameters
    ----------
    max_h_cg, max_gamma, min_angle
        H···Cg ≤ max_h_cg (Å), γ ≤ max_gamma and ∠X–H···Cg ≥ min_angle (degrees).
    donors
        Elements X of the X–H donors.
    chelate, tolerance, planarity
        As for :func:`pi_stacking`.

    Returns
    -------
    :data:`CH_PI` columns, one row per contact, ordered by H then H···Cg: ``partner1`` is
    X, ``partner2`` the ring's Cg, ``symmetry_code`` the ring image's code relative to
    the untransformed H; values in the hydrogen-bond columns (``d_dh`` X–H, ``d_ha``
    H···Cg, ``d_da`` X···Cg, ``angle_dha`` ∠X–H···Cg) and ``h_perp``, ``gamma``,
    ``angle_xh_pi``.
    """
    return _table(
        _x_h_pi(structure, max_h_cg, max_gamma, min_angle, donors, chelate, aromatic,
                tolerance, planarity),
        CH_PI,
    )  # fmt: skip


def _x_h_pi(
    structure: Structure,
    max_h_cg: float,
    max_gamma: float,
    min_angle: float,
    donors: Sequence[str],
    chelate: bool,
    aromatic: bool,
    tolerance: float,
    planarity: float,
    searched: tuple | None = None,
    pairs: _Intramolecular | None = None,
) -> dict[str, list] | None:
    """:func:`x_h_pi` as columns (None: no rows). ``searched``: the donors of the H atoms
    (:func:`coordgeo.hbonds.hydrogen_donors` of ``donors``) and their
    :func:`_centroids_near` rows within ``max_h_cg`` when the caller has them
    (:func:`_pi_searches`); ``pairs`` as for :func:`_pi_stacking`."""
    if pairs is None:
        pairs = _Intramolecular(structure, covalent_bonds(structure, tolerance))
        return _answer_intramolecular(
            _x_h_pi(structure, max_h_cg, max_gamma, min_angle, donors, chelate, aromatic,
                    tolerance, planarity, searched, pairs),
            pairs,
        )  # fmt: skip
    rings = _pi_rings(structure, tolerance, planarity, chelate, aromatic)
    if not rings or max_h_cg <= 0:
        return None
    bonded = covalent_bonds(structure, tolerance)
    if searched is None:
        donor_of = hydrogen_donors(structure, bonded, {e.capitalize() for e in donors})
        near = None
    else:
        donor_of, near = searched
    if len(donor_of) == 0:
        return None
    row_of_h = {int(h): k for k, h in enumerate(donor_of.center.tolist())}
    images = _Images(structure)
    ident = SymmetryCode(structure.identity_op)
    cands: list[tuple[Atom, Atom, Ring, SymmetryCode, list[Atom]]] = []
    if near is None:
        near = _centroids_near(structure, rings, max_h_cg, donor_of.center)
    # most candidates are the H atoms of the ring itself (H···Cg ~2.5 Å): drop them at
    # once (the test below would, one by one)
    own = _donor_in_ring(structure, donor_of, rings, near)
    near = [c for c, mine in zip(near, own, strict=True) if not mine]
    donor_sites, donor_ops = donor_of.site.tolist(), donor_of.op.tolist()
    donor_shifts = donor_of.shift.tolist()
    found = []
    for h, j, code in near:
        k = row_of_h[h]
        x_atom = Atom(
            donor_sites[k], SymmetryCode(donor_ops[k], tuple(int(t) for t in donor_shifts[k]))
        )
        ring = rings[j]
        image = images.ring(ring, code)
        if image is not None:
            found.append((x_atom, Atom(h, ident), ring, code, image))
    # the position keys of every candidate's X and ring image at once
    keys = _position_key_sets(structure, [g for c in found for g in ([c[0]], c[4])])
    for n, (x_atom, h_atom, ring, code, image) in enumerate(found):
        if keys[2 * n] & keys[2 * n + 1]:
            continue  # X belongs to the ring
        if _disorder_clash(structure, [x_atom, h_atom], image):
            continue
        cands.append((x_atom, h_atom, ring, code, image))
    if not cands:
        return None
    riding = np.asarray(structure.calc, dtype=bool)
    records = []
    for m in sorted({c[2].size for c in cands}):
        group = [c for c in cands if c[2].size == m]
        sites, ops, shifts = _code_arrays([[c[0], c[1], *c[4]] for c in group])
        f, values, idx, sus = _values_and_sus(
            structure, sites, ops, shifts, _x_h_pi_parts, _x_h_pi_of_plane,
            lambda v: (v[:, 1] <= max_h_cg) & (v[:, 5] <= max_gamma) & (v[:, 3] >= min_angle),
        )  # fmt: skip
        if not len(idx):
            continue
        intra = pairs.add(*_pair_arrays(sites, ops, shifts, idx, 2))
        vector = f[:, 2:].mean(axis=1) - f[:, 0]
        for k, inside in zip(idx.tolist(), intra, strict=True):
            x_atom, h_atom, ring, code, _ = group[k]
            rides = bool(riding[h_atom.site])
            row = {
                "block": structure.block,
                "kind": "ch-pi",
                "partner1": structure.labels[x_atom.site],
                "hydrogen": structure.labels[h_atom.site],
                "partner2": ring.name,
                "symmetry_code": format_code(code, structure),
                "distance": values[k, 2],
                "distance_su": sus[k, 2],
                "intramolecular": inside,  # where its answer will be
                "dx": vector[k, 0],
                "dy": vector[k, 1],
                "dz": vector[k, 2],
                "ring2": " ".join(ring.labels),
                "riding": rides,
            }
            for q, name in enumerate(_XH_NAMES):
                row[name] = values[k, q]
                row[f"{name}_su"] = np.nan if rides and name in _XH_RIDING else sus[k, q]
            records.append(((h_atom.site, round(values[k, 1], 6)), row))
    if not records:
        return None
    records.sort(key=lambda r: r[0])
    return _columns([r for _, r in records], CH_PI)


# --- hydrogen bonds, with and without H ---------------------------------------------------


def hbond_contacts(
    structure: Structure,
    *,
    ha_margin: float = DEFAULT_HA_MARGIN,
    min_angle: float = DEFAULT_MIN_ANGLE,
    include_c: bool = False,
    include_s: bool = False,
    da_margin: float = DEFAULT_DA_MARGIN,
    without_h: bool = True,
    tolerance: float = DEFAULT_TOLERANCE,
    found: pd.DataFrame | dict | None = None,
) -> pd.DataFrame:
    """Hydrogen bonds D–H···A (:func:`coordgeo.hbonds.hbonds`) and, with ``without_h``,
    the D···A contacts of donors whose H was not located (:func:`hbonds_without_h`).

    ``found``: the :func:`coordgeo.hbonds.hbonds` table of this structure with these
    criteria (or its :func:`~coordgeo.hbonds.hbond_columns`, ``{}`` when there are none),
    when the caller has it already (:class:`coordgeo.pipeline.Analysis`); None: it is
    computed here.

    Returns :data:`HBOND` columns: H-located rows first (ordered as by ``hbonds``), then
    the "H not located" rows.
    """
    return _table(
        _hbond_contacts(structure, ha_margin, min_angle, include_c, include_s, da_margin,
                        without_h, tolerance, found),
        HBOND,
    )  # fmt: skip


def _hbond_contacts(
    structure: Structure,
    ha_margin: float,
    min_angle: float,
    include_c: bool,
    include_s: bool,
    da_margin: float,
    without_h: bool,
    tolerance: float,
    found: pd.DataFrame | dict | None,
) -> dict[str, np.ndarray] | None:
    """:func:`hbond_contacts` as columns (None: no rows)."""
    if found is None:
        found = hbond_columns(
            structure,
            ha_margin=ha_margin,
            min_angle=min_angle,
            include_c=include_c,
            include_s=include_s,
            tolerance=tolerance,
        )
    elif isinstance(found, pd.DataFrame):
        found = {c: found[c].to_numpy() for c in found.columns} if len(found) else None
    elif not found:  # {}: the caller found none
        found = None
    parts = []
    if found is not None:
        vector = _fract(structure, list(found["acceptor_atom"])) - _fract(
            structure, list(found["donor_atom"])
        )
        column = found
        n = len(found["block"])
        parts.append(
            {
                "block": column["block"],
                "kind": np.full(n, "hbond", dtype=object),
                "partner1": column["donor"],
                "hydrogen": column["hydrogen"],
                "partner2": column["acceptor"],
                "symmetry_code": column["acceptor_code"],
                "distance": column["d_da"],
                "distance_su": column["d_da_su"],
                "intramolecular": column["intramolecular"].astype(bool),
                "dx": vector[:, 0],
                "dy": vector[:, 1],
                "dz": vector[:, 2],
                **{c: column[c] for c in _HB_VALUES},
                "riding": column["riding"].astype(bool),
                "h_located": np.ones(n, dtype=bool),
                "note": np.full(n, "", dtype=object),
            }
        )
    if without_h:
        missing = _hbonds_without_h(
            structure, da_margin, DEFAULT_NO_H_DONORS, DEFAULT_ACCEPTORS, tolerance
        )
        if missing is not None:
            parts.append(missing)
    if not parts:
        return None
    return {c: np.concatenate([np.asarray(part[c]) for part in parts]) for c in HBOND}


def _no_h_donors(structure: Structure, bonded, donors: set[str]) -> np.ndarray:
    """Boolean mask of the sites that would carry an H but have none (module docstring)."""
    n = len(structure)
    _, is_h, metal = site_masks(structure)
    i, j = bonded.center, bonded.site
    has_h = np.bincount(i[is_h[j]], minlength=n) > 0
    heavy = ~is_h[j] & ~metal[j]
    n_heavy = np.bincount(i[heavy], minlength=n)
    radius = _radii(structure)  # per list of elements, cached
    short = heavy & (bonded.distance < radius[i] + radius[j] - SINGLE_BOND_MARGIN)
    n_short = np.bincount(i[short], minlength=n)
    to_metal = metal[j]
    n_metal = np.bincount(i[to_metal], minlength=n)
    oxo = np.bincount(i[to_metal & (bonded.distance < OXO_LIMIT)], minlength=n) > 0
    # a comparison per site (np.isin sorts object arrays)
    return (
        np.array([e in donors for e in structure.elements], dtype=bool)
        & ~has_h
        & (n_heavy <= 1)
        & (n_short == 0)
        & (n_metal <= 1)
        & ~oxo
    )


def hbonds_without_h(
    structure: Structure,
    *,
    da_margin: float = DEFAULT_DA_MARGIN,
    donors: Sequence[str] = DEFAULT_NO_H_DONORS,
    acceptors: Sequence[str] = DEFAULT_ACCEPTORS,
    tolerance: float = DEFAULT_TOLERANCE,
) -> pd.DataFrame:
    """Possible hydrogen bonds D···A of donors whose H atoms were not located.

    Criteria in the module docstring: D···A < r_vdW(D) + r_vdW(A) − ``da_margin``.
    Returns :data:`HBOND` columns with ``hydrogen`` empty, ``h_located`` False and
    ``note`` "H not located"; ``distance`` = ``d_da``.
    """
    return _table(_hbonds_without_h(structure, da_margin, donors, acceptors, tolerance), HBOND)


def _hbonds_without_h(
    structure: Structure,
    da_margin: float,
    donors: Sequence[str],
    acceptors: Sequence[str],
    tolerance: float,
) -> dict[str, np.ndarray] | None:
    """:func:`hbonds_without_h` as columns (None: no rows)."""
    n = len(structure)
    if n == 0:
        return None
    bonded = covalent_bonds(structure, tolerance)
    donor_mask = _no_h_donors(structure, bonded, {e.capitalize() for e in donors})
    if not donor_mask.any():
        return None
    elements, _, metal = site_masks(structure)
    degree = np.bincount(bonded.center, minlength=n)
    n_metal = np.bincount(bonded.center[metal[bonded.site]], minlength=n)
    wanted = {e.capitalize() for e in acceptors}  # a comparison per site (np.isin sorts objects)
    acceptor_mask = np.array([e in wanted for e in structure.elements], dtype=bool)
    acceptor_mask &= ~((elements == "N") & ((n_metal > 0) | (degree >= 4)))
    if not acceptor_mask.any():
        return None
    radii = np.array([vdw_radius(e) if e != "X" else 0.0 for e in structure.elements])
    centers = np.flatnonzero(donor_mask)
    reach = radii[centers] + radii[acceptor_mask].max() - da_margin
    found = _neighbours(structure, reach, centers=centers)
    keep = acceptor_mask[found.site]
    keep &= found.distance < radii[found.center] + radii[found.site] - da_margin
    ident = structure.identity_op
    same = (found.op == ident) & ~found.shift.any(axis=1)
    keep &= ~excluded_by_disorder(structure, found.center, found.site, same)
    found = found.take(keep)
    if len(found) == 0:
        return None
    near = _bonded_positions(structure, bonded, np.unique(found.center))
    images = _Images(structure)
    a_fract = image_fract(structure, found.site, found.op, found.shift.astype(float))
    a_keys = np.round(a_fract * 1e4).astype(np.int64)
    rows = []
    for k, (d, a, code) in enumerate(
        zip(found.center.tolist(), found.site.tolist(), found.codes(), strict=True)
    ):
        if (a, *a_keys[k].tolist()) in near[d]:
            continue  # A bonded to D, or to an atom bonded to D
        # two donors without H: the pair is found from both ends; keep one
        both_ends = donor_mask[a] and acceptor_mask[d]
        if both_ends and (a < d or (a == d and not images.listed_once(code))):
            continue
        rows.append(k)
    if not rows:
        return None
    found = found.take(np.array(rows, dtype=int))
    m = len(found)
    sites = np.stack([found.center, found.site], axis=1)
    ops = np.stack([np.full(m, ident), found.op], axis=1)
    shifts = np.stack([np.zeros((m, 3)), found.shift.astype(float)], axis=1)
    d_da, d_da_su = measure(structure, sites, ops, shifts)
    a_fract = a_fract[rows]
    intra = intramolecular(structure, bonded, sites, ops, shifts)
    labels = np.array(structure.labels, dtype=object)
    nan = np.full(m, np.nan)
    columns = {
        "block": np.full(m, structure.block, dtype=object),
        "kind": np.full(m, "hbond", dtype=object),
        "partner1": labels[found.center],
        "hydrogen": np.full(m, "", dtype=object),
        "partner2": labels[found.site],
        "symmetry_code": np.array([format_code(c, structure) for c in found.codes()], dtype=object),
        "distance": d_da,
        "distance_su": d_da_su,
        "intramolecular": intra.astype(bool),
        "dx": a_fract[:, 0] - structure.fract[found.center, 0],
        "dy": a_fract[:, 1] - structure.fract[found.center, 1],
        "dz": a_fract[:, 2] - structure.fract[found.center, 2],
        "d_dh": nan,
        "d_dh_su": nan,
        "d_ha": nan,
        "d_ha_su": nan,
        "d_da": d_da,
        "d_da_su": d_da_su,
        "angle_dha": nan,
        "angle_dha_su": nan,
        "riding": np.zeros(m, dtype=bool),
        "h_located": np.zeros(m, dtype=bool),
        "note": np.full(m, H_NOT_LOCATED, dtype=object),
    }
    order = np.lexsort((np.round(d_da, 6), found.center))
    return {c: np.asarray(v)[order] for c, v in columns.items()}


def _bonded_positions(structure: Structure, bonded, donors: np.ndarray) -> dict[int, set]:
    """Per donor site: position keys of its bonded atoms and of theirs (1,2 and 1,3)."""
    order = np.argsort(bonded.center, kind="stable")
    centers = bonded.center[order]
    starts = np.searchsorted(centers, np.arange(len(structure)))
    ends = np.searchsorted(centers, np.arange(len(structure)), side="right")
    maps = affine(structure.rotations[bonded.op], structure.translations[bonded.op] + bonded.shift)
    out: dict[int, set] = {}
    for d in donors.tolist():
        keys: set = set()
        first = order[starts[d] : ends[d]]
        for e in first.tolist():
            m1 = maps[e]
            j = int(bonded.site[e])
            keys.add(_key(j, m1[:3, :3] @ structure.fract[j] + m1[:3, 3]))
            for f in order[starts[j] : ends[j]].tolist():
                m2 = m1 @ maps[f]
                k = int(bonded.site[f])
                keys.add(_key(k, m2[:3, :3] @ structure.fract[k] + m2[:3, 3]))
        out[d] = keys
    return out


def _key(site: int, fract: np.ndarray) -> tuple:
    return (site, *np.round(np.asarray(fract) * 1e4).astype(np.int64).tolist())


# --- everything ---------------------------------------------------------------------------


def contacts(structure: Structure, kind: str | Sequence[str] = "all", **criteria) -> pd.DataFrame:
    """π–π, X–H···π and hydrogen-bond contacts of one structure in one table.

    The DataFrame of :func:`contact_columns` (``kind`` and ``criteria`` as there), with
    :data:`ALL_COLUMNS`: text columns of Python strings ("" where a kind has none),
    boolean columns nullable (missing where a kind has none), the rest float.
    """
    return frame_of_contacts(contact_columns(structure, kind, **criteria))


def frame_of_contacts(columns: dict | None) -> pd.DataFrame:
    """The contacts table of :func:`contact_columns` output (None: no rows)."""
    if columns is None:
        return _empty(ALL_COLUMNS)
    data = {c: pd.Series(v, dtype=object) if c in TEXT_COLUMNS else v for c, v in columns.items()}
    return pd.DataFrame(data, columns=ALL_COLUMNS)


def contact_columns(
    structure: Structure,
    kind: str | Sequence[str] = "all",
    *,
    max_cg_cg: float = DEFAULT_MAX_CG_CG,
    max_alpha: float = DEFAULT_MAX_ALPHA,
    max_beta: float = DEFAULT_MAX_BETA,
    max_h_cg: float = DEFAULT_MAX_H_CG,
    max_gamma: float = DEFAULT_MAX_GAMMA,
    min_xh_cg_angle: float = DEFAULT_MIN_XH_CG_ANGLE,
    ha_margin: float = DEFAULT_HA_MARGIN,
    min_angle: float = DEFAULT_MIN_ANGLE,
    include_c: bool = False,
    include_s: bool = False,
    da_margin: float = DEFAULT_DA_MARGIN,
    without_h: bool = True,
    chelate: bool = False,
    aromatic: bool = True,
    tolerance: float = DEFAULT_TOLERANCE,
    planarity: float = DEFAULT_PLANARITY,
    hbond_table: pd.DataFrame | dict | None = None,
) -> dict[str, np.ndarray] | None:
    """π–π, X–H···π and hydrogen-bond contacts of one structure, as columns.

    ``kind`` is ``"pi-pi"``, ``"ch-pi"``, ``"hbond"``, ``"all"`` or a list of them. The
    keywords are those of :func:`pi_stacking` (``max_cg_cg`` = its ``max_distance``),
    :func:`x_h_pi` (``min_xh_cg_angle`` = its ``min_angle``) and :func:`hbond_contacts`
    (``hbond_table`` = its ``found``: the H-bonds as a table or as
    :func:`coordgeo.hbonds.hbond_columns`, ``{}`` when there are none).
    Returns {column: array} for :data:`ALL_COLUMNS` (object arrays of text, "" where a
    kind has no such column; ``pandas.arrays.BooleanArray`` for the boolean columns,
    missing where a kind has none; float arrays, NaN where a kind has none), rows grouped
    by kind in the order pi-pi, ch-pi, hbond; None when there are none.
    :func:`contacts` makes the DataFrame.
    """
    kinds = _kinds(kind)
    criteria = {
        "--max-cg-cg": (max_cg_cg, 0.0, 20.0, " Å"),
        "--max-h-cg": (max_h_cg, 0.0, 20.0, " Å"),
        "--max-alpha": (max_alpha, 0.0, 90.0, "°"),
        "--max-beta": (max_beta, 0.0, 90.0, "°"),
        "--max-gamma": (max_gamma, 0.0, 90.0, "°"),
        "--min-xh-angle": (min_xh_cg_angle, 0.0, 180.0, "°"),
        "--min-angle": (min_angle, 0.0, 180.0, "°"),
        "--margin": (ha_margin, -3.0, 3.0, " Å"),
        "--da-margin": (da_margin, -3.0, 3.0, " Å"),
        "--planarity": (planarity, 0.0, 5.0, " Å"),
    }
    for option, (value, lo, hi, unit) in criteria.items():  # every door, not only the CLI
        validate_in_range(value, option, lo, hi, unit)
    parts = []
    near_pi = searched_h = None
    if "pi-pi" in kinds and "ch-pi" in kinds:
        near_pi, searched_h = _pi_searches(structure, max_cg_cg, max_h_cg, DEFAULT_PI_DONORS,
                                       chelate, aromatic, tolerance, planarity)  # fmt: skip
    # the π kinds' intramolecular tests in one call, answered once both have asked
    pairs = _Intramolecular(structure, covalent_bonds(structure, tolerance))
    if "pi-pi" in kinds:
        parts.append(
            _pi_stacking(structure, max_cg_cg, max_alpha, max_beta, chelate, aromatic,
                         tolerance, planarity, near_pi, pairs)
        )  # fmt: skip
    if "ch-pi" in kinds:
        parts.append(
            _x_h_pi(structure, max_h_cg, max_gamma, min_xh_cg_angle, DEFAULT_PI_DONORS,
                    chelate, aromatic, tolerance, planarity, searched_h, pairs)
        )  # fmt: skip
    parts = [_answer_intramolecular(p, pairs) for p in parts]
    if "hbond" in kinds:
        parts.append(
            _hbond_contacts(structure, ha_margin, min_angle, include_c, include_s, da_margin,
                            without_h, tolerance, hbond_table)
        )  # fmt: skip
    parts = [p for p in parts if p is not None]
    return _union(parts) if parts else None


def _pi_searches(
    structure: Structure,
    max_cg_cg: float,
    max_h_cg: float,
    donors: Sequence[str],
    chelate: bool,
    aromatic: bool,
    tolerance: float,
    planarity: float,
) -> tuple[list | None, tuple | None]:
    """The ring images near each ring (π–π) and, with the donors, near each H of an X–H
    donor (X–H···π), from one neighbour search (:func:`_near_centroids`); (None, None)
    when either kind has nothing to search (each then does its own)."""
    rings = _pi_rings(structure, tolerance, planarity, chelate, aromatic)
    if not rings or max_cg_cg <= 0 or max_h_cg <= 0:
        return None, None
    bonded = covalent_bonds(structure, tolerance)
    donor_of = hydrogen_donors(structure, bonded, {e.capitalize() for e in donors})
    if len(donor_of) == 0:
        return None, None
    near_rings, near_h = _near_centroids(structure, rings, donor_of.center, max_h_cg, max_cg_cg)
    return near_rings, (donor_of, near_h)


def _columns(rows: list[dict], names: list[str]) -> dict[str, list] | None:
    """Row dicts → columns (each row has every name)."""
    return {c: [r[c] for r in rows] for c in names} if rows else None


def _table(columns: dict | None, names: list[str]) -> pd.DataFrame:
    """Columns of one kind → its table (no rows: the empty table with those columns)."""
    return _empty(names) if columns is None else pd.DataFrame(columns, columns=names)


def _union(parts: list[dict]) -> dict[str, np.ndarray]:
    """The rows of the kinds' columns under :data:`ALL_COLUMNS`: a column a kind does not
    have is "" (text), missing (boolean) or NaN. Built from numpy (a DataFrame per kind, a
    reindex, concat and astype per column cost more than finding the contacts)."""
    sizes = [len(next(iter(p.values()))) for p in parts]
    n = sum(sizes)
    # the number columns of all kinds as rows of one table, each part's as one block (a
    # conversion and a copy per column and part cost more than the rows' numbers)
    numbers = np.full((len(_NUMBER_COLUMNS), n), np.nan)
    start = 0
    for part, size in zip(parts, sizes, strict=True):
        rows = [k for k, c in enumerate(_NUMBER_COLUMNS) if c in part]
        if rows and size:
            block = np.array([part[_NUMBER_COLUMNS[k]] for k in rows], dtype=float)
            numbers[rows, start : start + size] = block
        start += size
    number_row = {c: k for k, c in enumerate(_NUMBER_COLUMNS)}
    data: dict[str, object] = {}
    # each text column starts as a copy of this (np.full per column costs more)
    no_text = np.full(n, "", dtype=object)
    for c in ALL_COLUMNS:
        if c in number_row:
            data[c] = numbers[number_row[c]]
            continue
        if c in TEXT_COLUMNS:
            values = no_text.copy()
        else:
            values, missing = np.zeros(n, dtype=bool), np.ones(n, dtype=bool)
        start = 0
        for part, size in zip(parts, sizes, strict=True):
            stop = start + size
            if c in part:
                if c in TEXT_COLUMNS:
                    column = np.asarray(part[c], dtype=object)
                    if not all(type(v) is str for v in column.tolist()):  # None, NaN: ""
                        column = np.where(pd.isna(column), "", column)
                    values[start:stop] = column
                else:
                    values[start:stop] = np.asarray(part[c], dtype=bool)
                    missing[start:stop] = False
            start = stop
        data[c] = pd.arrays.BooleanArray(values, missing) if c in BOOL_COLUMNS else values
    return data


#: The float columns of :data:`ALL_COLUMNS`, in its order.
_NUMBER_COLUMNS = [c for c in ALL_COLUMNS if c not in TEXT_COLUMNS and c not in BOOL_COLUMNS]


def _kinds(kind: str | Sequence[str]) -> list[str]:
    requested = [kind] if isinstance(kind, str) else list(kind)
    out: list[str] = []
    for k in requested:
        k = k.strip().lower()
        if k == "all":
            out.extend(KINDS)
        elif k in KINDS:
            out.append(k)
        else:
            raise InputError(f"unknown contact kind {k!r}; choose from {', '.join(KINDS)}, all")
    return list(dict.fromkeys(out))


# --- a temperature series: formed, broken, changed ----------------------------------------

#: A change larger than this many su's of Δ counts as ``changed``.
CHANGE_SIGMAS = 3.0
#: Without su's (riding H), a change larger than this (Å) counts as ``changed``.
CHANGE_WITHOUT_SU = 0.05


def contact_key(frame: pd.DataFrame) -> pd.Series:
    """The partners of each contact, by name that holds across structures of one compound.

    Rings are named by their sorted atom labels (Cg numbers may differ between blocks),
    atoms by label: ``pi-pi|C1 C2 …|C8 C9 …`` (the two rings in sorted order),
    ``ch-pi|C14|H14B|C1 C2 …``, ``hbond|O1|H1O|N2``. Which image of the partner is meant
    is not part of the key: blocks of one series often differ by their choice of
    asymmetric unit (coordinates shifted by a lattice vector), which changes the codes
    of the same contact; :func:`pair_contacts` tells images apart by the vector between
    the partners instead.
    """
    if frame.empty:
        return pd.Series([], dtype=object)
    keys = []
    for r in frame.to_dict("records"):
        if r["kind"] == "pi-pi":
            a, b = sorted((_ring_key(r["ring1"]), _ring_key(r["ring2"])))
            keys.append(f"pi-pi|{a}|{b}")
        elif r["kind"] == "ch-pi":
            keys.append(f"ch-pi|{r['partner1']}|{r['hydrogen']}|{_ring_key(r['ring2'])}")
        else:
            keys.append(f"hbond|{r['partner1']}|{r['hydrogen']}|{r['partner2']}")
    return pd.Series(keys, index=frame.index, dtype=object)


def _ring_key(text) -> str:
    return " ".join(sorted(str(text).split()))


def _vector(row) -> np.ndarray:
    """Fractional vector partner1 → partner2, for π–π in the order of the key's rings."""
    v = np.array([row["dx"], row["dy"], row["dz"]], dtype=float)
    if row["kind"] == "pi-pi" and _ring_key(row["ring2"]) < _ring_key(row["ring1"]):
        v = -v
    return v


PAIR_COLUMNS = [
    "kind",
    "key",
    "contact",
    "before",
    "after",
    "status",
    "symmetry_code_before",
    "symmetry_code_after",
    "distance_before",
    "distance_before_su",
    "distance_after",
    "distance_after_su",
    "delta",
    "delta_su",
]

#: Two contacts of the same partners are the same contact when the fractional vectors
#: between the partners differ by less than this in every component (another image
#: differs by a whole lattice vector, at least 1).
SAME_VECTOR = 0.3


def pair_contacts(
    before: pd.DataFrame,
    after: pd.DataFrame,
    *,
    names: tuple[str, str] = ("before", "after"),
    sigmas: float = CHANGE_SIGMAS,
    without_su: float = CHANGE_WITHOUT_SU,
) -> pd.DataFrame:
    """Pair the contacts of two structures of one compound (two temperatures, HS and LS).

    ``before`` and ``after`` are :func:`contacts` tables. Contacts are the same when their
    partners are (:func:`contact_key`: ring atom labels, atom labels) and the fractional
    vectors between the partners (``dx, dy, dz``) agree within :data:`SAME_VECTOR` in each
    component (a π–π pair of a ring with its own image matches with either sign); this
    survives a change of asymmetric unit between blocks, which changes symmetry codes.

    ``status`` is ``formed`` (only after), ``broken`` (only before), ``changed``
    (|Δ| > ``sigmas``·su(Δ), su(Δ)² = su₁² + su₂²; or |Δ| > ``without_su`` Å when the
    distances have no su) or ``unchanged``. Δ = distance(after) − distance(before) of the
    headline distance (Cg···Cg, X···Cg, D···A). Rows come formed, broken, changed,
    unchanged, and by |Δ|, largest first, within each.

    Returns :data:`PAIR_COLUMNS`: ``contact`` is a readable name (``Cg5···Cg8``,
    ``C14–H14B···Cg1``, ``O1–H1O···N2``, ``O1W···O2 (H not located)``) in the later
    structure's numbering where it has the contact, ``before``/``after`` the ``names``.
    """
    rows_a = _records(before)
    rows_b = _records(after)
    matched: list[tuple[int | None, int | None]] = []
    used_b: set[int] = set()
    by_key_b: dict[str, list[int]] = {}
    for j, r in enumerate(rows_b):
        by_key_b.setdefault(r["key"], []).append(j)
    costs = []
    for i, r in enumerate(rows_a):
        va = _vector(r)
        for j in by_key_b.get(r["key"], []):
            vb = _vector(rows_b[j])
            cost = float(np.abs(va - vb).max())
            if r["kind"] == "pi-pi" and _ring_key(r["ring1"]) == _ring_key(r["ring2"]):
                cost = min(cost, float(np.abs(va + vb).max()))
            if cost < SAME_VECTOR:
                costs.append((cost, i, j))
    used_a: set[int] = set()
    for _, i, j in sorted(costs):
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            matched.append((i, j))
    matched += [(i, None) for i in range(len(rows_a)) if i not in used_a]
    matched += [(None, j) for j in range(len(rows_b)) if j not in used_b]
    records = []
    for i, j in matched:
        ra = rows_a[i] if i is not None else None
        rb = rows_b[j] if j is not None else None
        ref = rb if rb is not None else ra
        d1, s1 = (float(ra["distance"]), float(ra["distance_su"])) if ra else (np.nan, np.nan)
        d2, s2 = (float(rb["distance"]), float(rb["distance_su"])) if rb else (np.nan, np.nan)
        delta = d2 - d1
        delta_su = float(np.hypot(s1, s2))
        if ra is None:
            status = "formed"
        elif rb is None:
            status = "broken"
        else:
            has_su = np.isfinite(delta_su) and delta_su > 0
            big = abs(delta) > sigmas * delta_su if has_su else abs(delta) > without_su
            status = "changed" if big else "unchanged"
        records.append(
            {
                "kind": ref["kind"],
                "key": ref["key"],
                "contact": _contact_name(ref),
                "before": names[0],
                "after": names[1],
                "status": status,
                "symmetry_code_before": ra["symmetry_code"] if ra else "",
                "symmetry_code_after": rb["symmetry_code"] if rb else "",
                "distance_before": d1,
                "distance_before_su": s1,
                "distance_after": d2,
                "distance_after_su": s2,
                "delta": delta,
                "delta_su": delta_su,
            }
        )
    if not records:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    out = pd.DataFrame(records, columns=PAIR_COLUMNS)
    rank = out["status"].map({"formed": 0, "broken": 1, "changed": 2, "unchanged": 3})
    size = -out["delta"].abs().fillna(0.0)
    order = np.lexsort((out["key"].to_numpy(), size.to_numpy(), rank.to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def _records(frame: pd.DataFrame | None) -> list[dict]:
    if frame is None or frame.empty:
        return []
    return frame.assign(key=contact_key(frame)).to_dict("records")


def _contact_name(row) -> str:
    if row["kind"] == "pi-pi":
        return f"{row['partner1']}···{row['partner2']}"
    if row["hydrogen"]:
        return f"{row['partner1']}–{row['hydrogen']}···{row['partner2']}"
    return f"{row['partner1']}···{row['partner2']} ({H_NOT_LOCATED})"


def series_contacts(
    frames: Sequence[pd.DataFrame],
    names: Sequence[str] | None = None,
    **options,
) -> pd.DataFrame:
    """Contacts across a series (e.g. one compound at 163, 230 and 293 K), step by step.

    ``frames`` are :func:`contacts` tables in series order (sort them by temperature
    first); ``names`` label them (default: each frame's block). Returns
    :func:`pair_contacts` of every consecutive pair, concatenated (``before``/``after``
    say which step), then ``first → last`` when there are three or more; ``options`` go
    to :func:`pair_contacts`.
    """
    frames = list(frames)
    if names is None:
        names = [str(f["block"].iloc[0]) if len(f) else f"#{k + 1}" for k, f in enumerate(frames)]
    names = list(names)
    if len(names) != len(frames):
        raise ValueError("one name per frame")
    steps = [(k, k + 1) for k in range(len(frames) - 1)]
    if len(frames) > 2:
        steps.append((0, len(frames) - 1))
    parts = [
        pair_contacts(frames[i], frames[j], names=(names[i], names[j]), **options) for i, j in steps
    ]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    return pd.concat(parts, ignore_index=True)


# --- centroid acceptors of the authors' _geom_hbond loops ---------------------------------

#: The four values of a _geom_hbond row with a centroid acceptor, as (name, index in the
#: output of :func:`x_h_pi_quantities`).
CENTROID_PARTS = {"distance_DH": 0, "distance_HA": 1, "distance_DA": 2, "angle_DHA": 3}


def centroid_hbond_values(
    structure: Structure, donor: Atom, hydrogen: Atom, ring_atoms: Sequence[Atom]
) -> tuple[dict[str, float], dict[str, float]]:
    """D–H, H···Cg, D···Cg and ∠D–H···Cg with su's, by the names of the _geom_hbond tags.

    ``ring_atoms`` are the ring's atoms in the image meant (codes composed already).
    """
    sites, ops, shifts = _code_arrays([[donor, hydrogen, *ring_atoms]])
    _, values, _, sus = _values_and_sus(
        structure, sites, ops, shifts, _x_h_pi_parts, _x_h_pi_of_plane,
        lambda v: np.ones(len(v), dtype=bool),
    )  # fmt: skip
    v = {name: float(values[0, q]) for name, q in CENTROID_PARTS.items()}
    s = {name: float(sus[0, q]) for name, q in CENTROID_PARTS.items()}
    return v, s


def resolve_centroid(
    structure: Structure,
    donor: Atom,
    hydrogen: Atom,
    code: SymmetryCode | None,
    published: dict[str, float],
    *,
    search: float = 1.0,
    tolerance: float = 0.02,
) -> tuple[Ring, SymmetryCode, list[Atom], str] | None:
    """Which ring image an authors' ``Cg`` acceptor is: the one that reproduces the row.

    Authors number their rings their own way (PLATON's order, or by hand), so the number
    in ``Cg1`` is not trusted. The candidates are every ring of
    :func:`coordgeo.rings.find_rings` (planar or not, chelate rings included) in the
    image ``code`` given with the row, and every ring image whose centroid lies within
    max(H···Cg, D···Cg + 1.2 Å) + ``search`` Å of H (published values). A candidate *fits* when its
    D···Cg is within ``tolerance`` Å of the published one (H···Cg when no D···Cg is
    published: D···Cg is the value with an su, and does not depend on where a riding H
    was put). Of the fitting candidates, a planar ring without metal is preferred, then
    the image given with the row, then the smallest |Δ(D···Cg)| + |Δ(H···Cg)|; when none
    fits, the candidate with the smallest such sum is returned and the note says so.

    ``published`` maps the _geom_hbond tags ``distance_HA``/``distance_DA`` to values.
    Returns ``(ring, code of the ring image, its atoms, note)``, or None when the
    structure has no ring or no distance is published. The note names the ring, and,
    when H···Cg does not fit but another H atom of the same donor gives it, that H.
    """
    rings = find_rings(structure)
    targets = {k: v for k, v in published.items() if k in ("distance_HA", "distance_DA")}
    if not rings or not targets:
        return None
    images = _Images(structure)
    orth = structure.cell.orthogonalization
    x_h = _fract(structure, [hydrogen])[0] @ orth.T
    x_d = _fract(structure, [donor])[0] @ orth.T
    fit_on = "distance_DA" if "distance_DA" in targets else "distance_HA"
    candidates: dict[tuple[int, SymmetryCode], bool] = {}  # (ring, image) → given with row
    if code is not None:
        for j in range(len(rings)):
            candidates[(j, code)] = True
    # a centroid at the published D···Cg of D is within D···Cg + D–H (< 1.2 Å) of H
    reach = max(targets.get("distance_HA", 0.0), targets.get("distance_DA", 0.0) + 1.2) + search
    for _, j, c in _centroids_near(structure, rings, reach, [hydrogen.site]):
        image_code = images.compose(c, hydrogen.code)  # into the frame of H's own code
        if image_code is not None:
            candidates.setdefault((j, image_code), False)
    scored = []
    for (j, image_code), given in candidates.items():
        atoms = images.ring(rings[j], image_code)
        if atoms is None:
            continue
        c = _fract(structure, atoms).mean(axis=0) @ orth.T
        calc = {"distance_HA": np.linalg.norm(c - x_h), "distance_DA": np.linalg.norm(c - x_d)}
        error = {k: abs(float(calc[k]) - v) for k, v in targets.items()}
        fits = error[fit_on] <= tolerance
        preferred = rings[j].planar and not rings[j].metal
        total = sum(error.values())
        scored.append(((not fits, not preferred, not given, total), j, image_code, atoms, error))
    if not scored:
        return None
    rank, j, image_code, atoms, error = min(scored, key=lambda s: (s[0], s[1], s[2]))
    ring = rings[j]
    text = format_code(image_code, structure)
    note = f"centroid of {' '.join(ring.labels)} (coordgeo {ring.name}) at {text}"
    if rank[0]:
        note += "; no ring image reproduces the published distances (nearest given)"
    if error.get("distance_HA", 0.0) > tolerance:
        other = _other_hydrogen(structure, donor, hydrogen, atoms, targets["distance_HA"])
        if other:
            note += (
                f"; the published H...Cg is that of {other}, another H of "
                f"{structure.labels[donor.site]}"
            )
    return ring, image_code, atoms, note


def _other_hydrogen(
    structure: Structure, donor: Atom, hydrogen: Atom, ring_atoms: list[Atom], h_cg: float
) -> str:
    """Label of another H bonded to the donor whose H···Cg is the published one, or ""."""
    bonded = covalent_bonds(structure, DEFAULT_TOLERANCE)
    images = _Images(structure)
    is_h = site_masks(structure)[1]
    pick = (bonded.center == donor.site) & is_h[bonded.site]
    c = _fract(structure, ring_atoms).mean(axis=0) @ structure.cell.orthogonalization.T
    for site, code in zip(bonded.site[pick].tolist(), bonded.take(pick).codes(), strict=True):
        if site == hydrogen.site:
            continue
        h_code = images.compose(code, donor.code)
        if h_code is None:
            continue
        x = _fract(structure, [Atom(site, h_code)])[0] @ structure.cell.orthogonalization.T
        if abs(float(np.linalg.norm(c - x)) - h_cg) <= 0.02:
            return structure.labels[site]
    return ""


__all__ = [
    "ALL_COLUMNS",
    "CENTROID_PARTS",
    "CH_PI",
    "COMMON",
    "HBOND",
    "H_NOT_LOCATED",
    "KINDS",
    "PAIR_COLUMNS",
    "PI_PI",
    "centroid_hbond_values",
    "contact_key",
    "contacts",
    "hbond_contacts",
    "hbonds_without_h",
    "pair_contacts",
    "pi_pi_quantities",
    "pi_stacking",
    "resolve_centroid",
    "series_contacts",
    "x_h_pi",
    "x_h_pi_quantities",
]
