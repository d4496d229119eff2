r"""Spin state, oxidation state and γ_HS of Fe, Co, Mn, Cr and Ni sites, from their structure.

What is assigned, and from what
-------------------------------
For every metal site the module weighs hypotheses h = (oxidation state, spin state),
spin ∈ {LS, HS, intermediate}, for Fe(II)/Fe(III), Co(II)/Co(III), Mn(II)/Mn(III),
Cr(II)/Cr(III) and Ni(II)/Ni(III), coordination numbers 4–8 and any donor set of N, O, S,
C (cyanide, isocyanide, carbonyl), P, H⁻ and halides. Each h predicts a range of ⟨M–L⟩:

* the literature ranges of :data:`REFERENCES` for the donor sets of spin-crossover
  chemistry (Fe N6, N4O2, N2O2S2; Co N6, N4O2, N2O4; six-coordinate), sources in
  ``docs/spin.md``;
* elsewhere the Shannon model: ⟨M–L⟩ = r(M, state, VI) + δ(CN) + mean r(donor) ± 0.05 Å,
  with Shannon's effective ionic radii of the metal (Acta Cryst. A 1976, 32, 751;
  :data:`SHANNON_RADII`), his change of radius with coordination number
  (:data:`CN_SHIFT`) and donor radii (:data:`DONOR_RADII`) that reproduce the reference
  ⟨M–L⟩ of well-known complexes (O²⁻: Shannon's 1.36 Å for two- and three-coordinate O;
  N, S, C, P, halides: see ``docs/spin.md``).

Chemistry rules remove hypotheses that do not occur (:func:`_allowed`):

* a weak-field donor set (only O and halide donors) never gives LS Fe(II), Fe(III),
  Co(II), Mn(II), Mn(III) or Cr(II): Fe/Co O6 and O7 sites are HS;
* Co(III) is LS except with F donors only ([CoF6]³⁻ is the classic HS Co(III));
* Ni(II) is d⁸: six or more donors give S = 1 in any field (t2g⁶eg², HS); a square-planar
  CN 4 site (not tetrahedral by its shape) is diamagnetic (LS; the empty x²−y² orbital
  points at the donors), a tetrahedral one HS; CN 5 may be either. Shannon's Ni²⁺ radii:
  VI 0.69 Å, IV square planar 0.49 Å (the LS radius of the model, 0.65 Å at VI, gives it
  with the CN 4 shift); Ni³⁺ LS 0.56, HS 0.60 Å. Ni(II) was "no spin-state model", so a
  square-planar Ni(II) and an octahedral one were equally ``unknown`` (Halcrow's "Ni(II)
  planar vs octahedral" question is a spin question: S = 0 against S = 1);
* Ni(III) is d⁷ and low spin (S = 1/2, t2g⁶eg¹, Jahn–Teller elongated) in practice, in
  N6, O6 and F6 alike (Haines & McAuley, Coord. Chem. Rev. 1981, 39, 77): LS only;
* Cr(III) is d³ (t2g³, S = 3/2) in any field: one spin state, reported as HS. Cr(III) is
  by far the commonest chromium; without it every Cr(III) complex ([CrCl2(cyclam)]⁺,
  [CrCl2(phen)(H2O)2]⁺ of the shared corpus) came out as LS Cr(II), "only state";
* a tetrahedral CN 4 site (S(T-4) ≤ 3) is HS (Δt = 4/9·Δo is far below the pairing
  energy of a 3d ion);
* three or more cyanide, isocyanide or carbonyl C donors (the strong-field end of the
  spectrochemical series) make a LS site; their M–C bonds are shortened by π back-donation,
  so the oxidation state of a site with C donors is never read from its bond lengths;
* C donors that are not cyanide, isocyanide or carbonyl (π-bound rings, alkyls,
  carbenes), and CN 4 without a shape to tell tetrahedral from square planar, leave the
  site ``unknown``: organometallic spin states are not a matter of bond lengths.

Likelihoods and posterior
-------------------------
1. ⟨M–L⟩ = d under a range [lo, hi]: a uniform density blurred by a Gaussian of width
   σ = √(0.015² + su(d)²):  L_d = [Φ((hi − d)/σ) − Φ((lo − d)/σ)]/(hi − lo).
   ``intermediate`` is the gap between the LS and HS ranges (at least 0.03 Å wide): an
   averaged LS/HS site or a true intermediate spin.
2. Bond-valence sums V = Σ exp[(R₀ − dᵢ)/b], b = 0.37 Å (Brown & Altermatt, Acta Cryst.
   B 1985, 41, 244), R₀ of :data:`BV_PARAMETERS`; N(V; n, s) with s = 0.25 v.u. for HS,
   0.6 intermediate, 1.0 LS: the parameters are calibrated on high-spin sites, and a
   LS site's V lies far above its oxidation state (LS Fe(II) N6 at 1.97 Å gives 3.5).
   BVS enters the decision for Fe only (one fit to complexes, Liu & Thorp 1993).
3. Priors LS : HS : intermediate = 1 : 1 : 0.5; equal priors for oxidation states.

The posterior is normalised per site; a site whose ⟨M–L⟩ is more than 4σ outside every
range is ``unknown``. ``spin_state`` is the most probable spin when its probability
reaches 0.6 (else ``unknown``), ``spin_confidence`` that probability.

Oxidation state
---------------
Taken, in this order, from (``oxidation_state_source``):

1. ``user`` — ``assign(..., oxidation_states={"Fe1": 2})`` (or one int for all sites);
2. ``formula moiety`` — the charge of the metal's moiety in ``_chemical_formula_moiety``
   (``C30 H30 Fe N6 2+, 2(B F4 1-)``) minus the charges of its donors, when the moiety
   holds that one metal atom and every donor is of a kind whose charge is certain
   (water/alcohol/ether O, amine N, pyridine/imine N, nitrile N 0; terminal halide,
   NCS⁻/NCSe⁻/NCO⁻ N, cyanide C, carboxylate and nitrate (once per anion) −1) — and the
   geometry does not rule that state out (posterior ≥ 0.02). A moiety without any charge
   that is one complex beside common neutral solvents only (:data:`NEUTRAL_SOLVENTS`) is
   a neutral molecule (the IUCr core dictionary writes charges for ions):
   ``C26 H16 Fe N6 S2, C H4 O``, [Fe(NCS)₂(phen)₂]·MeOH, gives Fe(II) also when it is low
   spin, where ⟨Fe–N⟩ cannot tell Fe(II) from Fe(III). Any other uncharged part may be an
   ion whose charge was left out (``C10 H24 Cl2 Cr1 N4,Br1`` is [CrCl₂(cyclam)]Br), so the
   moiety is then not used; nor is a value outside the modelled states (no note);
3. ``atom type`` — the oxidation number the CIF declares for the metal's site:
   ``_atom_type_oxidation_number`` of its ``_atom_site_type_symbol``, else the charge in
   the symbol (``Fe3+``, ``Co3+``; 0 is no statement). Like the chemical name it is the
   authors' (or the database's) statement and is kept against the bond lengths, with a
   note. A declared state outside the states with references (Mn⁴⁺ in MnO₂) is not used:
   the note says so, and the geometry may still propose one of the modelled states;
4. ``chemical name`` — one oxidation state written for the metal in
   ``_chemical_name_systematic`` / ``_common`` (``iron(II)``, ``Fe^II^``): the authors'
   statement, kept even where ⟨M–L⟩ alone would say otherwise (then with a note: the
   Shannon-model ranges outside the reference donor sets are ±0.05 Å approximations;
   K[Fe(III)(urea tripod)(NHAr)], CSD TAVHOO, read as Fe(II) from ⟨Fe–N⟩ 2.053 Å);
5. the geometry: the posterior oxidation state, ``BVS`` for a HS Fe site (probability ≥
   0.7), ``bond lengths`` otherwise (probability ≥ 0.7 for HS, ≥ 0.9 for LS or
   intermediate sites: LS Fe(II) and LS Fe(III) have nearly the same bond lengths, and a
   LS site's high BVS says nothing about Fe(III));
6. ``series`` — :func:`fill_from_series`: a site left open in one structure of a series
   takes the oxidation state that the other structures assign with confidence (spin
   crossover does not change it).

Otherwise ``oxidation_state`` is empty. ``oxidation_state_bvs`` is the BVS for the
assigned state (for the most probable one when none is assigned).

γ_HS
----
From one structure γ_HS is reported only where it means something: 0 or 1 for a pure
LS or HS assignment with confidence ≥ 0.9, and for an ``intermediate`` site the linear
interpolation (d − d_LS)/(d_HS − d_LS) between the midpoints of the LS and HS ranges of
its (known) oxidation state, with the pair named in ``gamma_hs_basis``. Otherwise it is
empty. Series: :func:`gamma_hs_series`.

Σ and CShM do not move the assignment (their LS and HS values depend on the ligand
more than on the metal; Halcrow, Chem. Soc. Rev. 2011, 40, 4119), except that a LS
assignment of a site with S(OC-6) > 3 keeps its label with confidence × 0.75 and a note.

Everything is vectorised over sites: the hypotheses of all sites are flat numpy arrays
built from dictionary lookups, likelihoods are numpy, per-site sums ``np.bincount``.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from coordgeo.coordination import DEFAULT_TOLERANCE, Sphere, bond_contacts, coordination_spheres
from coordgeo.elements import is_metal
from coordgeo.model import Structure

SPIN_STATES = ("LS", "HS", "intermediate")
#: Columns that ``coordgeo octahedra`` appends to its output (the command-line contract).
CONTRACT_COLUMNS = ["spin_state", "spin_confidence", "oxidation_state_bvs", "gamma_hs"]
#: Everything :func:`assign` returns, in order.
COLUMNS = [
    *CONTRACT_COLUMNS,
    "oxidation_state",
    "oxidation_state_source",
    "oxidation_state_confidence",
    "oxidation_state_method",
    "bvs_ii",
    "bvs_iii",
    "reference",
    "spin_note",
    "gamma_hs_basis",
]

BV_B = 0.37  # Å, Brown & Altermatt, Acta Cryst. B 1985, 41, 244
REFERENCE_SIGMA = 0.015  # Å, blur of the edges of every reference range
PRIORS = {"LS": 1.0, "HS": 1.0, "intermediate": 0.5}
BVS_SPREAD = {"HS": 0.25, "intermediate": 0.6, "LS": 1.0}  # v.u.
MIN_GAP = 0.03  # Å, narrowest "intermediate" range
CSHM_OCTAHEDRAL = 3.0  # S(OC-6) beyond which a LS assignment is trusted less
CSHM_TETRAHEDRAL = 3.0  # S(T-4) up to which a CN 4 site is tetrahedral
LS_DISTORTED_FACTOR = 0.75
SPIN_MIN = 0.6  # spin reported from this probability on
OX_MIN_HS = 0.7  # geometric oxidation state of a HS site reported from this probability
OX_MIN_LS = 0.9  # … of a LS or intermediate site
OUTSIDE_SIGMAS = 4.0  # ⟨M–L⟩ this far outside every range: unknown
GAMMA_CONFIDENT = 0.9
MOIETY_MIN_POSTERIOR = 0.02
SHANNON_HALF_WIDTH = 0.05  # Å
STRONG_FIELD_C = 3  # cyanide/isocyanide/carbonyl donors from which a site is LS

#: Shannon (1976) effective ionic radii, CN VI, Å: (metal, oxidation state, spin) → r.
SHANNON_RADII: Mapping[tuple[str, int, str], float] = {
    ("Fe", 2, "LS"): 0.61, ("Fe", 2, "HS"): 0.78,
    ("Fe", 3, "LS"): 0.55, ("Fe", 3, "HS"): 0.645,
    ("Co", 2, "LS"): 0.65, ("Co", 2, "HS"): 0.745,
    ("Co", 3, "LS"): 0.545, ("Co", 3, "HS"): 0.61,
    ("Mn", 2, "LS"): 0.67, ("Mn", 2, "HS"): 0.83,
    ("Mn", 3, "LS"): 0.58, ("Mn", 3, "HS"): 0.645,
    ("Cr", 2, "LS"): 0.73, ("Cr", 2, "HS"): 0.80,
    ("Cr", 3, "HS"): 0.615,  # d3 (t2g³): one spin state, S = 3/2
    # Ni²⁺ HS VI 0.69; LS = IV square planar 0.49 + 0.16 (the CN 4 shift); Ni³⁺ LS/HS
    ("Ni", 2, "LS"): 0.65, ("Ni", 2, "HS"): 0.69,
    ("Ni", 3, "LS"): 0.56, ("Ni", 3, "HS"): 0.60,
}  # fmt: skip
#: Change of the radius with coordination number (Shannon 1976, HS ions: Fe²⁺ IV 0.63,
#: VIII 0.92; Co²⁺ IV 0.58, V 0.67, VIII 0.90; Mn²⁺ IV 0.66, V 0.75, VII 0.90, VIII 0.96;
#: Fe³⁺ IV 0.49, V 0.58, VIII 0.78 against their VI radii), Å.
CN_SHIFT: Mapping[int, float] = {4: -0.16, 5: -0.075, 6: 0.0, 7: 0.07, 8: 0.14}
#: Donor radii (Å) added to the metal radius; see docs/spin.md for their anchors.
DONOR_RADII: Mapping[str, float] = {
    "O": 1.36, "N": 1.39, "S": 1.70, "C": 1.34, "P": 1.65,
    "F": 1.29, "Cl": 1.70, "Br": 1.85, "H": 0.95,
}  # fmt: skip
WEAK_FIELD = frozenset({"O", "F", "Cl", "Br", "I"})
OXIDATION_STATES: Mapping[str, tuple[int, ...]] = {
    "Fe": (2, 3),
    "Co": (2, 3),
    "Mn": (2, 3),
    "Cr": (2, 3),
    "Ni": (2, 3),
}
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


@dataclass(frozen=True)
class Reference:
    """Literature ⟨M–L⟩ ranges (Å) of one metal, oxidation state and donor set."""

    metal: str
    oxidation_state: int
    donor_set: str
    ls: tuple[float, float] | None
    hs: tuple[float, float] | None
    source: str

    def describe(self) -> str:
        roman = _ROMAN[self.oxidation_state]
        parts = []
        if self.ls:
            parts.append(f"LS {self.ls[0]:.2f}–{self.ls[1]:.2f}")
        if self.hs:
            parts.append(f"HS {self.hs[0]:.2f}–{self.hs[1]:.2f}")
        return f"{self.metal}({roman}) {self.donor_set}: {', '.join(parts)} Å"


# Every number below is documented, with its derivation, in docs/spin.md.
REFERENCES: tuple[Reference, ...] = (
    # Fe(II) N6: LS Fe–N 1.95–2.00, HS 2.15–2.20 Å, Δr ≈ 0.2 Å (Halcrow, Chem. Soc. Rev.
    # 2011, 40, 4119; Gütlich & Goodwin, Top. Curr. Chem. 2004, 233, 1); amine donors are
    # longer: [Fe(2-pic)3]Cl2·EtOH 2.032 Å LS (115 K), 2.199 Å HS (227 K) (IUPAC Gold Book,
    # "spin crossover", PAC 1999, 71, 1963) — hence LS up to 2.04 Å.
    Reference("Fe", 2, "N6", (1.93, 2.04), (2.12, 2.22),
              "Halcrow 2011; Gütlich & Goodwin 2004; IUPAC Gold Book ST07104"),
    # Fe(II) N4O2 (Jäger-type N2O2 Schiff-base-like + two axial N): B. Weber,
    # Coord. Chem. Rev. 2009, 253, 2432 (average bond lengths LS ≈ 1.91–2.01, HS ≈ 2.08–2.18 Å).
    Reference("Fe", 2, "N4O2", (1.91, 2.01), (2.08, 2.18), "Weber 2009"),
    # Fe(III) N6: LS from Nihei, Shiga, Maeda, Oshio, Coord. Chem. Rev. 2007, 251, 2606;
    # HS = LS + Δr(Fe(III)) ≈ 0.12–0.15 Å (Gütlich & Goodwin 2004; Harding et al. 2016).
    Reference("Fe", 3, "N6", (1.92, 2.00), (2.04, 2.14),
              "Nihei et al. 2007; HS derived with Δr 0.12–0.15 Å (Gütlich & Goodwin 2004)"),
    # Fe(III) N4O2 (qsal, sal2trien type): Harding, Harding, Phonsri, Murray, Coord. Chem.
    # Rev. 2016, 313, 38; per-bond ranges LS/HS Fe–O(phenolate) 1.85–1.89/1.89–1.93,
    # Fe–N(imine) 1.92–1.96/2.09–2.15, Fe–N(amine) 2.02–2.08/2.18–2.26 Å combined for
    # 2 O + 2 N(imine) + 2 N(imine or amine).
    Reference("Fe", 3, "N4O2", (1.90, 1.98), (2.02, 2.11),
              "Harding et al. 2016; Nihei et al. 2007; per-bond Fe(III)-O/N ranges"),
    # Fe(III) N2O2S2 (bis(thiosemicarbazonato), [Fe(thsa)2]−): LS Fe–S 2.22–2.26,
    # Fe–N 1.90–1.95, Fe–O 1.92–1.96; HS Fe–S 2.40–2.45, Fe–N 2.06–2.12, Fe–O 1.93–1.99 Å
    # (Harding et al. 2016, section on thiosemicarbazones; Floquet et al., New J. Chem.
    # 2003, 27, 341; Powell et al., Acta Cryst. C 2015, 71, 169 and 2020, 76, 625).
    Reference("Fe", 3, "N2O2S2", (1.99, 2.07), (2.11, 2.20),
              "Harding et al. 2016; Floquet et al. 2003; Powell et al. 2015, 2020"),
    # Co(II) N6: LS (Jahn–Teller) ⟨Co–N⟩ ≈ 1.96–2.06, HS ≈ 2.08–2.17 Å; Δr ≈ 0.07–0.11 Å
    # (Krivokapic et al., Coord. Chem. Rev. 2007, 251, 364; Hayami et al., Coord. Chem.
    # Rev. 2011, 255, 1981; [Co(tpy)2]2+: Δd 0.12 (central), 0.05 Å (distal) between 90 and
    # 400 K, Crystals 2018, 8, 155).
    Reference("Co", 2, "N6", (1.96, 2.06), (2.08, 2.17),
              "Krivokapic et al. 2007; Hayami et al. 2011; Crystals 2018, 8, 155"),
    # Co(III) (d6) is low spin with N and O donors; ls-Co(III)–N 1.932–1.964 Å in
    # [Co(diox)2L2] valence tautomers, 1.96–1.98 Å for amines: 1.88–1.99 Å.
    Reference("Co", 3, "N6", (1.88, 1.99), None,
              "Tezgerevska et al. 2014 (ls-Co(III)-N 1.932-1.964 Å); ammine/amine complexes"),
    # Co valence tautomers [Co(diox)2L2]: ls-Co(III): Co–N 1.932–1.964, Co–O 1.888–1.898;
    # hs-Co(II): Co–N 2.118–2.161, Co–O 2.010–2.057 Å (compilation of [Co(SQ)(Cat)L2] /
    # [Co(SQ)2L2] structures; Tezgerevska, Alley, Boskovic, Coord. Chem. Rev. 2014, 268, 23).
    # N2O4 = (2 N + 4 O)/6, N4O2 = (4 N + 2 O)/6, widened by 0.01 Å.
    Reference("Co", 3, "N2O4", (1.89, 1.93), None, "Tezgerevska et al. 2014 (VT compilation)"),
    Reference("Co", 2, "N2O4", None, (2.04, 2.10), "Tezgerevska et al. 2014 (VT compilation)"),
    Reference("Co", 3, "N4O2", (1.90, 1.96), None,
              "derived from the VT per-bond ranges (Tezgerevska et al. 2014)"),
    Reference("Co", 2, "N4O2", None, (2.07, 2.14),
              "derived from the VT per-bond ranges (Tezgerevska et al. 2014)"),
)  # fmt: skip


@dataclass(frozen=True)
class BVParameter:
    """R₀ (Å) of a bond-valence parameter, b = 0.37 Å, and where it comes from."""

    r0: float
    source: str
    used: bool  # enters the oxidation-state decision


_LT = "Liu & Thorp, Inorg. Chem. 1993, 32, 4102 (transition-metal complexes)"
_BA = "Brown & Altermatt, Acta Cryst. B 1985, 41, 244 (oxides)"
_WP = "Wood & Palenik, Inorg. Chem. 1998, 37, 4149 (transition-metal complexes)"
_BO = "Brese & O'Keeffe, Acta Cryst. B 1991, 47, 192 (any oxidation state)"
_ID = "I. D. Brown, private communication, 'unchecked' in the IUCr bvparm table"

#: (metal, oxidation state, donor element) → R₀, as listed in the IUCr accumulated table
#: of bond-valence parameters (I. D. Brown; reference letters j, i, b, e there).
BV_PARAMETERS: Mapping[tuple[str, int, str], BVParameter] = {
    ("Fe", 2, "N"): BVParameter(1.769, _LT, True),
    ("Fe", 2, "O"): BVParameter(1.700, _LT, True),
    ("Fe", 2, "S"): BVParameter(2.125, _LT, True),
    ("Fe", 3, "N"): BVParameter(1.815, _LT, True),
    ("Fe", 3, "O"): BVParameter(1.765, _LT, True),
    ("Fe", 3, "S"): BVParameter(2.134, _LT, True),
    ("Co", 2, "O"): BVParameter(1.685, _WP, False),
    ("Co", 2, "N"): BVParameter(1.84, _BO, False),
    ("Co", 2, "S"): BVParameter(2.06, _BO, False),
    ("Co", 3, "O"): BVParameter(1.637, _WP, False),
    ("Co", 3, "N"): BVParameter(1.75, _ID, False),
    ("Co", 3, "S"): BVParameter(2.06, _BO, False),
    ("Mn", 2, "O"): BVParameter(1.790, _BA, False),
    ("Mn", 3, "O"): BVParameter(1.760, _BA, False),
    ("Cr", 2, "O"): BVParameter(1.73, _BA, False),
}


_BY_KEY: dict[tuple[str, int, str], Reference] = {
    (r.metal, r.oxidation_state, r.donor_set): r for r in REFERENCES
}


def reference_table() -> pd.DataFrame:
    """:data:`REFERENCES` as a table (one row per metal, oxidation state, donor set)."""
    return pd.DataFrame(
        {
            "metal": [r.metal for r in REFERENCES],
            "oxidation_state": [r.oxidation_state for r in REFERENCES],
            "donor_set": [r.donor_set for r in REFERENCES],
            "ls_min": [r.ls[0] if r.ls else np.nan for r in REFERENCES],
            "ls_max": [r.ls[1] if r.ls else np.nan for r in REFERENCES],
            "hs_min": [r.hs[0] if r.hs else np.nan for r in REFERENCES],
            "hs_max": [r.hs[1] if r.hs else np.nan for r in REFERENCES],
            "source": [r.source for r in REFERENCES],
        }
    )


def bond_valence_sums(
    element: Sequence[str] | np.ndarray,
    oxidation_state: int,
    bond_lengths: np.ndarray,
    bond_elements: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """V = Σ exp[(R₀ − d)/b] per site for one assumed oxidation state (vectorised).

    ``bond_lengths`` (n, m) in Å, NaN-padded; ``bond_elements`` (n, m) donor element
    symbols, '' where padded. Returns (V, used): V is NaN where a donor has no parameter
    in :data:`BV_PARAMETERS`; ``used`` says whether the parameters enter the
    oxidation-state decision.
    """
    element = np.asarray(element, dtype=object)
    d = np.asarray(bond_lengths, dtype=float)
    el = np.asarray(bond_elements, dtype=object)
    r0 = np.full(d.shape, np.nan)
    used = np.ones(len(element), dtype=bool)
    # one look-up per bond (a few per site), not one array comparison per parameter
    for i, (metal, donors) in enumerate(zip(element.tolist(), el.tolist(), strict=True)):
        for j, donor in enumerate(donors):
            p = BV_PARAMETERS.get((metal, oxidation_state, donor))
            if p is not None:
                r0[i, j] = p.r0
                used[i] &= p.used
    present = el != ""
    missing = present & np.isnan(r0)
    with np.errstate(invalid="ignore"):
        terms = np.where(present, np.exp((r0 - d) / BV_B), 0.0)
    v = terms.sum(axis=1)
    v[missing.any(axis=1) | ~present.any(axis=1)] = np.nan
    return v, used & np.isfinite(v)


@functools.lru_cache(maxsize=1024)
def _donor_counts(donor_set: str) -> Counter:
    """``N4O2`` → Counter({'N': 4, 'O': 2}); one Counter per donor set, kept (its
    callers only read it)."""
    out: Counter = Counter()
    for symbol, count in re.findall(r"([A-Z][a-z]?)(\d*)", donor_set or ""):
        out[symbol] += int(count or 1)
    return out


def _ranges(
    metal: str, ox: int, donor_set: str, cn: int, donors: Counter
) -> tuple[dict[str, tuple[float, float]], str]:
    """LS/HS ⟨M–L⟩ ranges of one (metal, oxidation state) for a site, and their source."""
    ref = _BY_KEY.get((metal, ox, donor_set)) if cn == 6 else None
    if ref is not None:
        out = {k: v for k, v in (("LS", ref.ls), ("HS", ref.hs)) if v is not None}
        return out, ref.describe()
    n = sum(donors.values())
    if n == 0 or cn not in CN_SHIFT or any(e not in DONOR_RADII for e in donors):
        return {}, ""
    mean_donor = sum(DONOR_RADII[e] * c for e, c in donors.items()) / n
    out = {}
    for spin in ("LS", "HS"):
        r = SHANNON_RADII.get((metal, ox, spin))
        if r is not None:
            mid = r + CN_SHIFT[cn] + mean_donor
            out[spin] = (round(mid - SHANNON_HALF_WIDTH, 3), round(mid + SHANNON_HALF_WIDTH, 3))
    parts = [f"{k} {lo:.2f}–{hi:.2f}" for k, (lo, hi) in out.items()]
    text = f"{metal}({_ROMAN[ox]}) {donor_set} CN {cn} (Shannon radii): {', '.join(parts)} Å"
    return out, text


def _allowed(metal: str, ox: int, donors: Counter, tetrahedral: bool, cn: int = 6) -> set[str]:
    """Spin states that occur for this ion, donor set and coordination number (module
    docstring)."""
    elements = set(donors)
    weak = bool(elements) and elements <= WEAK_FIELD
    if metal == "Ni" and ox == 2 and cn != 5:  # d8: S = 1 unless square planar
        return {"LS"} if cn == 4 and not tetrahedral else {"HS"}
    if metal == "Ni" and ox == 3:  # d7: LS (S = 1/2, Jahn–Teller) in practice
        return {"LS"}
    if metal == "Co" and ox == 3:
        return {"HS"} if elements == {"F"} else {"LS"}
    if metal == "Cr" and ox == 3:  # d3: t2g³ whatever the field, three unpaired electrons
        return {"HS"}
    states = {"LS", "HS"}
    if weak or tetrahedral:
        states = {"HS"}
    elif donors.get("C", 0) >= STRONG_FIELD_C:
        states = {"LS"}
    return states


def _site_hypotheses(metal, ox_choices, donor_set, cn, donors, tetrahedral):
    """Hypothesis rows (ox, spin, lo, hi, reference text) of one site; '' note when any."""
    rows = []
    for ox in ox_choices:
        ranges, text = _ranges(metal, ox, donor_set, cn, donors)
        allowed = _allowed(metal, ox, donors, tetrahedral, cn)
        ranges = {k: v for k, v in ranges.items() if k in allowed}
        if "LS" in ranges and "HS" in ranges:
            lo, hi = ranges["LS"][1], ranges["HS"][0]
            if hi - lo < MIN_GAP:
                mid = 0.5 * (lo + hi)
                lo, hi = mid - MIN_GAP / 2, mid + MIN_GAP / 2
            ranges["intermediate"] = (lo, hi)
        for spin, (lo, hi) in ranges.items():
            rows.append((ox, spin, lo, hi, text))
    return rows


@functools.lru_cache(maxsize=1024)
def _hypotheses(
    metal: str, ox_choices: tuple[int, ...], donor_set: str, cn: int, tetrahedral: bool
):
    """:func:`_site_hypotheses` of a site, kept per (metal, oxidation states, donor set,
    coordination number, tetrahedral): a few kinds of site in a structure or a batch."""
    donors = _donor_counts(donor_set)
    return tuple(_site_hypotheses(metal, ox_choices, donor_set, cn, donors, tetrahedral))


def _why_unknown(metal: str, cn: int, donors: Counter, organometallic: bool, tetra) -> str:
    if metal not in OXIDATION_STATES:
        return f"no spin-state model for {metal}"
    if organometallic:
        return "organometallic donors (C other than cyanide, isocyanide, carbonyl)"
    if cn == 4 and tetra is None:
        return "CN 4 without a shape measure: tetrahedral or square planar?"
    if cn not in CN_SHIFT:
        return f"coordination number {cn} is outside 4–8"
    missing = sorted(e for e in donors if e not in DONOR_RADII)
    if missing:
        return f"no reference distances for {metal}–{'/'.join(missing)} bonds"
    return f"no reference distances for {metal} {''.join(sorted(donors))}"


def classify(
    element: Sequence[str],
    donor_set: Sequence[str],
    coordination_number: Sequence[int],
    d_mean: Sequence[float],
    d_mean_su: Sequence[float] | None = None,
    cshm_oc6: Sequence[float] | None = None,
    bond_lengths: np.ndarray | None = None,
    bond_elements: np.ndarray | None = None,
    oxidation_state: Sequence[float] | None = None,
    *,
    oxidation_source: Sequence[str] | None = None,
    cshm_t4: Sequence[float] | None = None,
    organometallic: Sequence[bool] | None = None,
) -> pd.DataFrame:
    """Spin and oxidation state of n sites from arrays (the vectorised core of :func:`assign`).

    ``bond_lengths``/``bond_elements`` (n, m), NaN/''-padded, give the bond-valence sums
    (omitted: no BVS evidence); ``oxidation_state`` fixes it per site (NaN: determine),
    ``oxidation_source`` says where a fixed one comes from (default ``user``);
    ``cshm_t4`` tells tetrahedral CN 4 sites; ``organometallic`` marks sites whose C
    donors are not cyanide/isocyanide/carbonyl. Returns a DataFrame of :data:`COLUMNS`,
    one row per site in input order.
    """
    post = _posterior(
        element, donor_set, coordination_number, d_mean, d_mean_su, bond_lengths,
        bond_elements, oxidation_state, cshm_t4, organometallic,
    )  # fmt: skip
    return _decide(post, cshm_oc6, oxidation_source)


@dataclass
class _Posterior:
    n: int
    element: np.ndarray
    sets: np.ndarray
    cn: np.ndarray
    d: np.ndarray
    given: np.ndarray
    s: np.ndarray  # hypothesis → site
    ox: np.ndarray
    spin: np.ndarray  # index into SPIN_STATES
    lo: np.ndarray
    hi: np.ndarray
    text: np.ndarray
    post: np.ndarray
    has: np.ndarray
    bvs: dict
    bvs_used: dict
    note: np.ndarray
    p_ox: np.ndarray  # (n, 2): oxidation states 2, 3
    carbon: np.ndarray  # C donors: no oxidation state from bond lengths


# the metals of BV_PARAMETERS: a site of any other metal has no bond-valence sum (NaN)
_BV_METALS = frozenset(metal for metal, _, _ in BV_PARAMETERS)


def _bond_valences(element, bond_lengths, bond_elements) -> tuple[dict, dict]:
    """:func:`bond_valence_sums` of every site for oxidation states 2 and 3 ({ox: V},
    {ox: used}); NaN and unused without bonds."""
    n = len(element)
    bvs: dict[int, np.ndarray] = {}
    bvs_used: dict[int, np.ndarray] = {}
    for ox in (2, 3):
        if bond_lengths is None or bond_elements is None:
            bvs[ox], bvs_used[ox] = np.full(n, np.nan), np.zeros(n, dtype=bool)
        else:
            bvs[ox], bvs_used[ox] = bond_valence_sums(element, ox, bond_lengths, bond_elements)
    return bvs, bvs_used


def _posterior(
    element, donor_set, coordination_number, d_mean, d_mean_su, bond_lengths, bond_elements,
    oxidation_state, cshm_t4, organometallic, valences=None,
) -> _Posterior:  # fmt: skip
    """The hypotheses of every site and their posterior probabilities (module docstring).
    ``valences``: :func:`_bond_valences` of the bonds when known (they do not depend on
    the oxidation states given), in place of ``bond_lengths`` and ``bond_elements``."""
    element = np.asarray(element, dtype=object)
    n = len(element)
    sets = np.asarray(donor_set, dtype=object)
    cn = np.asarray(coordination_number, dtype=float)
    d = np.asarray(d_mean, dtype=float)
    su = np.zeros(n) if d_mean_su is None else np.nan_to_num(np.asarray(d_mean_su, float))
    given = np.full(n, np.nan) if oxidation_state is None else np.asarray(oxidation_state, float)
    t4 = np.full(n, np.nan) if cshm_t4 is None else np.asarray(cshm_t4, dtype=float)
    organo = np.zeros(n, bool) if organometallic is None else np.asarray(organometallic, bool)
    if valences is None:
        valences = _bond_valences(element, bond_lengths, bond_elements)
    bvs, bvs_used = valences

    rows_s, rows = [], []
    note = np.full(n, "", dtype=object)
    carbon = np.zeros(n, dtype=bool)
    # per site in plain Python floats (the same comparisons as numpy's on its scalars)
    for k, (metal, donor_set, cn_k, t4_k, d_k, given_k, organo_k) in enumerate(
        zip(element.tolist(), sets.tolist(), cn.tolist(), t4.tolist(), d.tolist(),
            given.tolist(), organo.tolist(), strict=True)
    ):  # fmt: skip
        metal, donor_set = str(metal), str(donor_set)
        c = int(cn_k) if math.isfinite(cn_k) else 0
        donors = _donor_counts(donor_set)
        carbon[k] = donors.get("C", 0) > 0
        tetra = None if not math.isfinite(t4_k) else bool(t4_k <= CSHM_TETRAHEDRAL)
        if c == 4 and tetra is None and set(donors) <= WEAK_FIELD and donors:
            tetra = True  # O/halide CN 4: weak field, HS whatever the shape
        usable = (
            metal in OXIDATION_STATES and not organo_k and math.isfinite(d_k)
            and not (c == 4 and tetra is None)
        )  # fmt: skip
        hyps: tuple = ()
        if usable:
            choices = OXIDATION_STATES[metal]
            if math.isfinite(given_k):
                choices = tuple(x for x in choices if x == int(given_k))
            hyps = _hypotheses(metal, choices, donor_set, c, bool(tetra))
        if not hyps:
            note[k] = _why_unknown(metal, c, donors, bool(organo_k), tetra)
            if usable and math.isfinite(given_k):
                note[k] = f"no reference distances for {metal}({_ROMAN.get(int(given_k), '?')})"
            continue
        rows_s.extend([k] * len(hyps))
        rows.extend(hyps)
    s = np.array(rows_s, dtype=int)
    ox = np.array([r[0] for r in rows], dtype=int)
    spin = np.array([SPIN_STATES.index(r[1]) for r in rows], dtype=int)
    lo = np.array([r[2] for r in rows], dtype=float)
    hi = np.array([r[3] for r in rows], dtype=float)
    text = np.array([r[4] for r in rows], dtype=object)
    sigma = np.sqrt(REFERENCE_SIGMA**2 + su[s] ** 2)
    like = (_normal_cdf((hi - d[s]) / sigma) - _normal_cdf((lo - d[s]) / sigma)) / (hi - lo)
    # ⟨M–L⟩ far outside every range: no hypothesis describes the site
    outside = np.maximum(lo - d[s], d[s] - hi) / sigma
    nearest = np.full(n, np.inf)
    np.minimum.at(nearest, s, outside)
    v = np.where(ox == 2, bvs[2][s], bvs[3][s])
    use_bvs = np.where(ox == 2, bvs_used[2][s], bvs_used[3][s])
    prior = np.array([PRIORS[SPIN_STATES[i]] for i in spin])
    spread = np.array([BVS_SPREAD[SPIN_STATES[i]] for i in spin])
    z = np.where(use_bvs, (v - ox) / spread, 0.0)
    weight = prior * like * np.exp(-0.5 * np.nan_to_num(z) ** 2)
    total = np.bincount(s, weights=weight, minlength=n)
    post = weight / np.where(total[s] > 0, total[s], 1.0)
    has = (total > 0) & (nearest <= OUTSIDE_SIGMAS)
    far = (total > 0) & ~has
    note[far] = "<M-L> is outside every reference range"
    p_ox = np.zeros((n, 2))
    np.add.at(p_ox, (s, ox - 2), post)
    return _Posterior(n, element, sets, cn, d, given, s, ox, spin, lo, hi, text, post, has,
                      bvs, bvs_used, note, p_ox, carbon)  # fmt: skip


def _ndtr(z: float) -> float:
    x = z * math.sqrt(0.5)
    if abs(x) < math.sqrt(0.5):
        return 0.5 + 0.5 * math.erf(x)
    y = 0.5 * math.erfc(abs(x))
    return 1.0 - y if x > 0 else y


_NDTR = np.frompyfunc(_ndtr, 1, 1)


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    """Φ(z), the standard normal distribution function, by the formulas of Cephes'
    ``ndtr`` (what ``scipy.special.ndtr`` computes) with the C library's erf and erfc:
    scipy.special costs ~0.2 s to import, more than a one-file command's analysis."""
    return _NDTR(np.asarray(z, dtype=float)).astype(float)


def _decide(p: _Posterior, cshm_oc6, oxidation_source, extra_notes=None, index=None):
    """:func:`_decide_columns` as a DataFrame with ``index``."""
    return pd.DataFrame(_decide_columns(p, cshm_oc6, oxidation_source, extra_notes), index=index)


def _decide_columns(p: _Posterior, cshm_oc6, oxidation_source, extra_notes=None) -> dict:
    """The :data:`COLUMNS` of every site from the posterior (module docstring)."""
    n, s, has = p.n, p.s, p.has
    shape = np.full(n, np.nan) if cshm_oc6 is None else np.asarray(cshm_oc6, dtype=float)
    source_given = (
        np.full(n, "user", dtype=object)
        if oxidation_source is None
        else np.asarray(oxidation_source, dtype=object)
    )
    p_spin = np.zeros((n, len(SPIN_STATES)))
    np.add.at(p_spin, (s, p.spin), p.post)
    n_ox = np.zeros((n, 2), dtype=bool)
    n_ox[s, p.ox - 2] = True
    best_spin = np.argmax(p_spin, axis=1)
    conf = np.where(has, p_spin[np.arange(n), best_spin], np.nan)
    note = p.note.copy()
    spin_label = np.array(SPIN_STATES, dtype=object)[best_spin]
    # a LS d5/d6 ion keeps a regular octahedron: a strongly distorted LS site is trusted less
    distorted = has & (shape > CSHM_OCTAHEDRAL) & (spin_label == "LS")
    conf = np.where(distorted, conf * LS_DISTORTED_FACTOR, conf)
    note[distorted] = "S(OC-6) > 3: a distortion unusual for low spin"
    sure = has & (conf >= SPIN_MIN)
    spin = np.where(sure, spin_label, "unknown")
    note[has & ~sure] = np.where(
        note[has & ~sure] == "", "no spin state reaches probability 0.6", note[has & ~sure]
    )

    best_ox = np.argmax(p.p_ox, axis=1)
    ox_conf = p.p_ox[np.arange(n), best_ox]
    several = n_ox.sum(axis=1) > 1
    given = np.isfinite(p.given)
    hs = spin == "HS"
    fe = p.element == "Fe"
    bvs_decides = hs & fe & np.isfinite(p.bvs[2]) & np.isfinite(p.bvs[3])
    threshold = np.where(hs, OX_MIN_HS, OX_MIN_LS)
    geometric = has & ~given & (~several | ((ox_conf >= threshold) & ~p.carbon))
    ox_state = np.where(given & has, p.given, np.where(geometric, best_ox + 2, np.nan))
    source = np.where(
        given & has,
        source_given,
        np.where(
            geometric,
            np.where(~several, "only state", np.where(bvs_decides, "BVS", "bond lengths")),
            "",
        ),
    )
    method = np.where(
        ~has,
        "",
        np.where(
            given,
            "given",
            np.where(
                ~several,
                "assumed: the only oxidation state with references for this donor set",
                np.where(
                    bvs_decides,
                    "BVS + <M-L>",
                    "<M-L> (BVS only weak evidence: parameters are calibrated on HS sites)",
                ),
            ),
        ),
    )
    undecided = has & ~given & several & ~geometric
    method = np.where(undecided, method.astype(object) + "; undetermined", method)
    ox_conf = np.where(given | ~several | ~has, np.nan, ox_conf)
    assumed = np.where(np.isfinite(ox_state), ox_state, best_ox + 2)
    bvs_assigned = np.where(assumed == 2, p.bvs[2], np.where(assumed == 3, p.bvs[3], np.nan))
    bvs_assigned = np.where(has, bvs_assigned, np.nan)

    # reference text and γ_HS of the assigned (or most probable) oxidation state
    refs = np.full(n, "", dtype=object)
    d_ls = np.full(n, np.nan)
    d_hs = np.full(n, np.nan)
    pick = has[s] & (p.ox == assumed[s])
    for k, sp, lo, hi, t in zip(
        s[pick].tolist(), p.spin[pick].tolist(),
        p.lo[pick].tolist(), p.hi[pick].tolist(), p.text[pick].tolist(), strict=True,
    ):  # fmt: skip
        refs[k] = t
        if SPIN_STATES[sp] == "LS":
            d_ls[k] = 0.5 * (lo + hi)
        elif SPIN_STATES[sp] == "HS":
            d_hs[k] = 0.5 * (lo + hi)
    gamma = np.full(n, np.nan)
    basis = np.full(n, "", dtype=object)
    confident = sure & (conf >= GAMMA_CONFIDENT)
    gamma[confident & (spin == "LS")] = 0.0
    gamma[confident & (spin == "HS")] = 1.0
    basis[confident & ((spin == "LS") | (spin == "HS"))] = "pure state"
    mixed = sure & (spin == "intermediate") & np.isfinite(ox_state) & np.isfinite(d_ls)
    mixed &= np.isfinite(d_hs)
    if mixed.any():
        with np.errstate(invalid="ignore", divide="ignore"):
            gamma = np.where(mixed, np.clip((p.d - d_ls) / (d_hs - d_ls), 0.0, 1.0), gamma)
    for k in np.flatnonzero(mixed).tolist():
        basis[k] = f"interpolated between {d_ls[k]:.3f} (LS) and {d_hs[k]:.3f} Å (HS): {refs[k]}"
    for k, extra in enumerate(extra_notes or ()):
        if extra:
            note[k] = f"{note[k]}; {extra}" if note[k] else extra
    return {
            "spin_state": spin,
            "spin_confidence": conf,
            "oxidation_state_bvs": bvs_assigned,
            "gamma_hs": gamma,
            "oxidation_state": pd.arrays.IntegerArray(
                np.where(np.isfinite(ox_state), ox_state, 0).astype(np.int64),
                ~np.isfinite(ox_state),
            ),
            "oxidation_state_source": source,
            "oxidation_state_confidence": ox_conf,
            "oxidation_state_method": method,
            "bvs_ii": p.bvs[2],
            "bvs_iii": p.bvs[3],
            "reference": refs,
            "spin_note": note,
            "gamma_hs_basis": basis,
        }  # fmt: skip


def reference_distances(element: str, oxidation_state: int, donor_set: str) -> tuple[float, float]:
    """(d_LS, d_HS) midpoints of the literature ranges; NaN where a state has none."""
    r = _BY_KEY.get((element, oxidation_state, donor_set))
    if r is None:
        return np.nan, np.nan
    return (
        float(np.mean(r.ls)) if r.ls else np.nan,
        float(np.mean(r.hs)) if r.hs else np.nan,
    )


# --- evidence from the CIF: formula moiety, chemical name -----------------------------------

_CHARGE = re.compile(r"^(\d*)([+-])$")
_TERM = re.compile(r"^([A-Z][a-z]?)(\d*\.?\d*)$")


def parse_moiety(text: str) -> list[tuple[Counter, int | None]]:
    """``C30 H30 Fe N6 2+, 2(B F4 1-)`` → [(Counter(C=30, …, Fe=1), 2), (Counter(B=1, F=4), -1)].

    The charge is None when the part gives none; a part that cannot be read ends the
    parse with an empty list (no evidence rather than wrong evidence).
    """
    out: list[tuple[Counter, int | None]] = []
    for _, body in _moiety_parts(text):
        counts: Counter = Counter()
        charge: int | None = None
        for token in body.split():
            c = _CHARGE.match(token)
            t = _TERM.match(token)
            if c:
                charge = int(c.group(1) or 1) * (1 if c.group(2) == "+" else -1)
            elif t:
                counts[t.group(1)] += float(t.group(2) or 1)
            else:
                return []
        out.append((counts, charge))
    return out


def _moiety_parts(text: str) -> list[tuple[int, str]]:
    """(multiplier, body) of each comma-separated part of a formula moiety:
    ``2(B F4 1-)`` → (2, ``B F4 1-``), ``C30 H30 Fe N6 2+`` → (1, itself)."""
    out = []
    for part in (p.strip() for p in (text or "").split(",")):
        if part:
            m = re.match(r"^(\d+)\s*\((.*)\)$", part)
            out.append((int(m.group(1)), m.group(2)) if m else (1, part))
    return out


_NAMES = {"Fe": "iron", "Co": "cobalt", "Mn": "manganese", "Cr": "chromium", "Ni": "nickel"}


def oxidation_state_from_name(name: str, metal: str) -> int | None:
    """The one oxidation state a chemical name gives the metal (``iron(II)``, ``Fe^II^``)."""
    pattern = rf"(?:{_NAMES.get(metal, metal)}|\b{metal})\s*[\(\^]\s*(I{{1,3}}|IV)\s*[\)\^]"
    found = {m.upper() for m in re.findall(pattern, name or "", flags=re.IGNORECASE)}
    states = {{"I": 1, "II": 2, "III": 3, "IV": 4}[f] for f in found}
    return states.pop() if len(states) == 1 else None


#: Hill formulas of the neutral solvents of crystallisation that a formula moiety lists
#: beside a neutral complex: water, methanol, ethanol, propanols, acetonitrile,
#: nitromethane, acetone, DMF, DMSO, dichloromethane, chloroform, diethyl ether, THF,
#: dioxane, benzene, toluene, pyridine.
NEUTRAL_SOLVENTS = frozenset(
    frozenset(Counter(dict(t)).items())
    for t in (
        {"H": 2, "O": 1}, {"C": 1, "H": 4, "O": 1}, {"C": 2, "H": 6, "O": 1},
        {"C": 3, "H": 8, "O": 1}, {"C": 2, "H": 3, "N": 1}, {"C": 1, "H": 3, "N": 1, "O": 2},
        {"C": 3, "H": 6, "O": 1}, {"C": 3, "H": 7, "N": 1, "O": 1},
        {"C": 2, "H": 6, "O": 1, "S": 1}, {"C": 1, "H": 2, "Cl": 2}, {"C": 1, "H": 1, "Cl": 3},
        {"C": 4, "H": 10, "O": 1}, {"C": 4, "H": 8, "O": 1}, {"C": 4, "H": 8, "O": 2},
        {"C": 6, "H": 6}, {"C": 7, "H": 8}, {"C": 5, "H": 5, "N": 1},
    )
)  # fmt: skip


def _neutral_molecule_moiety(parts: list[tuple[Counter, int | None]]) -> bool:
    """A formula moiety without charges that is one metal complex beside neutral solvents
    only (:data:`NEUTRAL_SOLVENTS`): the complex is then a neutral molecule (the IUCr core
    dictionary writes a charge for ions). Any other uncharged part may be an ion whose
    charge was left out: 'C10 H24 Cl2 Cr1 N4,Br1' is [CrCl2(cyclam)]Br (COD 2000507), where
    a neutral complex would make the Cr divalent."""
    metal_parts = [c for c, _ in parts if any(is_metal(e) for e in c)]
    others = [c for c, _ in parts if not any(is_metal(e) for e in c)]
    return len(metal_parts) == 1 and all(
        frozenset((e, float(n)) for e, n in c.items()) in _SOLVENT_KEYS for c in others
    )


_SOLVENT_KEYS = {frozenset((e, float(n)) for e, n in key) for key in NEUTRAL_SOLVENTS}


#: H and D, left out where the moiety is compared with the model (not always located).
_HYDROGEN = frozenset({"H", "D"})


def _proportional(counts: Counter, part: frozenset) -> bool:
    """Whether ``counts`` (element → atoms) is ``part`` ((element, atoms) pairs) times one
    factor: the same elements in the same ratios."""
    wanted = dict(part)
    if set(counts) != set(wanted):
        return False
    ratios = [counts[e] / wanted[e] for e in wanted]
    return max(ratios) - min(ratios) <= 1e-6 * max(ratios)


def _moiety_is_the_model(structure: Structure, tolerance: float) -> bool:
    """Whether an uncharged formula moiety accounts for the whole model, so that its one
    metal part may be read as a neutral molecule (:func:`_neutral_molecule_moiety`).

    Every modelled molecule (a connected set of bonded sites, each counted once per
    molecule: 1/(order of its site symmetry)) must have the proportions of one moiety
    part, the metal-bearing molecules those of the complex part, compared by their heavy
    (non-H) atoms: hydroxyl and water H are often not located, and a model that lacks
    them (methanol C–O without its O–H) is still the moiety's; and
    ``_chemical_formula_sum``, when given, must equal the sum of the parts (each times
    its multiplier ``2(H2 O)``). A moiety that writes only the cation
    (``H12 Cl2 Fe N4`` for [FeCl2(NH3)4]Cl with the Cl⁻ modelled) or folds the anion
    into the complex's part (``H12 Cl3 Co N4``) leaves a modelled Cl⁻ unaccounted:
    nothing is read from it.
    """
    parts = []
    total: Counter = Counter()
    for times, body in _moiety_parts(structure.info.get("formula_moiety", "")):
        parsed = parse_moiety(body)
        if len(parsed) != 1:
            return False
        counts = parsed[0][0]
        parts.append(frozenset((e, float(n)) for e, n in counts.items() if e not in _HYDROGEN))
        for e, n in counts.items():
            total[e] += n * times
    if not any(is_metal(e) for p in parts for e, _ in p):
        return False
    formula_sum = parse_moiety(structure.info.get("formula_sum", ""))
    if structure.info.get("formula_sum", "").strip():
        if len(formula_sum) != 1:
            return False
        given = formula_sum[0][0]
        if any(abs(given.get(e, 0) - total.get(e, 0)) > 1e-3 for e in set(given) | set(total)):
            return False
    from coordgeo.geometry import connected_components
    from coordgeo.hbonds import covalent_bonds

    complex_part = next(p for p in parts if any(is_metal(e) for e, _ in p))
    bonded = covalent_bonds(structure, tolerance)
    fragment = connected_components(len(structure), bonded.center, bonded.site)
    # each site once per molecule: 1 / (order of its site symmetry), so that the
    # asymmetric part of a molecule on a special position has the molecule's proportions
    weight = 1.0 / np.asarray(structure.site_symmetry_order, dtype=float)
    for k in range(int(fragment.max()) + 1 if len(fragment) else 0):
        counts: Counter = Counter()
        for i in np.flatnonzero(fragment == k).tolist():
            if structure.elements[i] not in _HYDROGEN:
                counts[structure.elements[i]] += weight[i]
        if not counts:  # an H bonded to no heavy atom: not a molecule of its own
            continue
        metal = any(is_metal(e) for e in counts)
        if not any(_proportional(counts, p) for p in ([complex_part] if metal else parts)):
            return False
    return True


def _donor_charges(
    structure: Structure, spheres: Sequence[Sphere], tolerance: float, charges_wanted: bool
):
    """Per sphere: the summed charge of its donors, None when any donor's charge is unsure;
    and whether it has organometallic C donors. Without ``charges_wanted`` only the C
    donors are looked at (the neighbour search is the costly part)."""
    elements = structure.elements
    sites = sorted(
        {a.site for sp in spheres for a in sp.donors if charges_wanted or elements[a.site] == "C"}
    )
    if not sites:
        return [None] * len(spheres), [False] * len(spheres)
    metal = np.array([is_metal(e) for e in elements], dtype=bool)
    neighbours: dict[int, list[int]] = {k: [] for k in sites}
    if sites:
        found = bond_contacts(structure, tolerance, centers=np.array(sites))
        for c, j in zip(found.center.tolist(), found.site.tolist(), strict=True):
            if not metal[j]:
                neighbours[c].append(j)
    if charges_wanted:
        need = {j for nb in neighbours.values() for j in nb}
    else:  # C donors only: kind() reads the bonds of a lone N or O neighbour, no others
        need = {
            nb[0] for nb in neighbours.values() if len(nb) == 1 and elements[nb[0]] in ("N", "O")
        }
    second: dict[int, list[int]] = {}
    if need:
        found = bond_contacts(structure, tolerance, centers=np.array(sorted(need)))
        for c, j in zip(found.center.tolist(), found.site.tolist(), strict=True):
            second.setdefault(c, []).append(j)

    def kind(site: int) -> tuple[float | None, tuple | None, bool]:
        """(charge, unit key counted once, organometallic C)."""
        e = elements[site]
        nb = neighbours.get(site, [])
        nb_el = [elements[j] for j in nb]
        if e in ("F", "Cl", "Br", "I"):
            return (-1.0, None, False) if not nb else (None, None, False)
        if e == "H":
            return (-1.0, None, False) if not nb else (None, None, False)
        if e == "O":
            if len(nb) == 2:
                return 0.0, None, False
            if len(nb) == 1:
                x = nb[0]
                beyond = [j for j in second.get(x, []) if j != site and not metal[j]]
                terminal_o = [
                    j for j in beyond
                    if elements[j] == "O" and all(metal[q] or q == x for q in second.get(j, []))
                ]  # fmt: skip
                if elements[x] == "C" and len(beyond) == 2 and len(terminal_o) == 1:
                    return -1.0, ("carboxylate", x), False
                if elements[x] == "N" and len(beyond) == 2 and len(terminal_o) == 2:
                    return -1.0, ("nitrate", x), False
            return None, None, False
        if e == "N":
            if len(nb) == 3:
                return 0.0, None, False
            if len(nb) == 2 and all(x == "C" for x in nb_el):
                for x in nb:
                    for j in second.get(x, []):
                        if elements[j] == "O" and len(second.get(j, [])) <= 1:
                            return None, None, False  # amide N: maybe deprotonated
                return 0.0, None, False
            if len(nb) == 1 and nb_el[0] == "C":
                beyond = [j for j in second.get(nb[0], []) if j != site]
                if len(beyond) == 1 and elements[beyond[0]] in ("S", "Se", "O", "B"):
                    return -1.0, None, False  # NCS⁻, NCSe⁻, NCO⁻, NCBH3⁻
                if len(beyond) == 1 and elements[beyond[0]] == "C":
                    return 0.0, None, False  # nitrile
            return None, None, False
        if e == "C":
            if len(nb) == 1 and nb_el[0] in ("N", "O"):
                beyond = [j for j in second.get(nb[0], []) if j != site and not metal[j]]
                if nb_el[0] == "O" and not beyond:
                    return 0.0, None, False  # carbonyl
                if nb_el[0] == "N" and not beyond:
                    return -1.0, None, False  # cyanide
                if nb_el[0] == "N" and len(beyond) == 1:
                    return 0.0, None, False  # isocyanide
            return None, None, True
        if e == "S" and len(nb) == 2:
            return 0.0, None, False
        if e == "P" and len(nb) == 3:
            return 0.0, None, False
        return None, None, False

    kinds = {k: kind(k) for k in sites}
    charges: list[float | None] = []
    organo: list[bool] = []
    for sp in spheres:
        total: float | None = 0.0 if charges_wanted else None
        units = set()
        org = False
        for a in sp.donors:
            if a.site not in kinds:
                continue
            charge, unit, o = kinds[a.site]
            org |= o
            if charge is None or total is None:
                total = None
                continue
            if unit is not None:
                if unit in units:
                    continue
                units.add(unit)
            total += charge
        charges.append(total)
        organo.append(org)
    return charges, organo


def evidence(
    structure: Structure,
    spheres: Sequence[Sphere],
    tolerance: float = DEFAULT_TOLERANCE,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Oxidation states the CIF itself states, per sphere: (state or NaN, source, organometallic
    flags, notes). Sources ``formula moiety``, ``atom type`` and ``chemical name`` (module
    docstring)."""
    n = len(spheres)
    ox = np.full(n, np.nan)
    source = np.full(n, "", dtype=object)
    notes = [""] * n
    parts = parse_moiety(structure.info.get("formula_moiety", ""))
    charged = any(c is not None for _, c in parts)
    # no charge anywhere, one part holding metal and every other part a common neutral
    # solvent: the complex is a neutral molecule, e.g. [Fe(NCS)2(L)2]·MeOH
    # and the moiety accounts for every modelled molecule and the formula sum
    neutral = (
        not charged
        and _neutral_molecule_moiety(parts)
        and _moiety_is_the_model(structure, tolerance)
    )
    charges, organo = _donor_charges(structure, spheres, tolerance, charged or neutral)
    name = " ".join(structure.info.get(k, "") for k in ("name_systematic", "name_common"))
    declared = dict(
        pair.rsplit("=", 1) for pair in structure.info.get("oxidation_numbers", "").split()
    )
    for k, sp in enumerate(spheres):
        metal = structure.elements[sp.metal]
        if metal not in OXIDATION_STATES:
            continue
        holders = [
            (counts, c) for counts, c in parts
            if counts.get(metal, 0) > 0 and not any(is_metal(e) for e in counts if e != metal)
        ]  # fmt: skip
        if (charged or neutral) and len(holders) >= 1 and charges[k] is not None:
            values = {(c or 0) - charges[k] for counts, c in holders if counts.get(metal) == 1}
            if len(values) == 1 and len(holders) == 1:
                value = values.pop()
                if value in OXIDATION_STATES[metal]:
                    ox[k], source[k] = value, "formula moiety"
                    continue
                if charged:  # without charges an ion's may just be missing: no note
                    notes[k] = f"formula moiety gives {metal} {value:+g}: not used"
        stated = declared.get(structure.labels[sp.metal])
        if stated is not None:
            if int(stated) in OXIDATION_STATES[metal]:
                ox[k], source[k] = int(stated), "atom type"
                continue
            notes[k] = (
                f"atom type gives {metal} {int(stated):+d}, outside the states with "
                f"references ({', '.join(map(str, OXIDATION_STATES[metal]))}): not used"
            )
            continue
        from_name = oxidation_state_from_name(name, metal)
        if from_name in OXIDATION_STATES[metal]:
            ox[k], source[k] = from_name, "chemical name"
    return ox, source, np.array(organo, dtype=bool), notes


def _bond_arrays(
    distances: Sequence[Sequence[float]], donor_elements: Sequence[Sequence[str]]
) -> tuple[np.ndarray, np.ndarray]:
    """Bond lengths and donor elements of every site, padded with NaN and "" to the largest
    coordination number (the arrays :func:`classify` takes)."""
    m = max((len(d) for d in distances), default=0)
    lengths = np.full((len(distances), m), np.nan)
    elements = np.full((len(distances), m), "", dtype=object)
    for k, (d, e) in enumerate(zip(distances, donor_elements, strict=True)):
        lengths[k, : len(d)] = d
        elements[k, : len(e)] = list(e)
    return lengths, elements


def _oxidation_array(
    labels: Sequence[str], oxidation_state: int | Mapping[str, int] | None
) -> np.ndarray:
    if oxidation_state is None:
        return np.full(len(labels), np.nan)
    if isinstance(oxidation_state, int):
        return np.full(len(labels), float(oxidation_state))
    return np.array([float(oxidation_state.get(lab, np.nan)) for lab in labels])


def assign(
    structure: Structure,
    table: pd.DataFrame,
    spheres: Sequence[Sphere] | None = None,
    *,
    oxidation_state: int | Mapping[str, int] | None = None,
    oxidation_states: int | Mapping[str, int] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> pd.DataFrame:
    """Spin state, oxidation state and γ_HS of every row of ``table``.

    ``table`` is :func:`coordgeo.polyhedra.site_parameters` of ``structure``, computed on
    ``spheres`` (default: :func:`~coordgeo.coordination.coordination_spheres` with
    ``tolerance``). ``oxidation_states`` (or its older name ``oxidation_state``) fixes the
    oxidation state for all sites (int) or by metal label (``{"Fe1": 2}``); otherwise it
    comes from the formula moiety, the chemical name or the geometry, in that order.
    Returns :data:`COLUMNS` with the index of ``table``; see the module docstring.
    """
    if spheres is None:
        spheres = coordination_spheres(structure, tolerance)
    columns = assign_columns(
        structure,
        table,
        spheres,
        oxidation_states=oxidation_states if oxidation_states is not None else oxidation_state,
        tolerance=tolerance,
    )
    return pd.DataFrame(columns, index=table.index)


def assign_columns(
    structure: Structure,
    table: Mapping,
    spheres: Sequence[Sphere] | None = None,
    *,
    oxidation_states: int | Mapping[str, int] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> dict[str, np.ndarray]:
    """:func:`assign` as columns (numpy arrays), from a site table or the columns of one
    (any mapping of column name → values: what the pipeline passes before it makes one
    DataFrame of parameters, descriptors and spin states)."""
    if spheres is None:
        spheres = coordination_spheres(structure, tolerance)
    return assign_columns_of([(structure, table, spheres, oxidation_states)], tolerance)[0]


def _column(table: Mapping, name: str) -> np.ndarray:
    """A column of a site table as a numpy array: a DataFrame's Series by ``to_numpy``
    (the same array as ``np.asarray`` of it, in half the time), columns as they are."""
    values = table[name]
    return values.to_numpy() if hasattr(values, "to_numpy") else np.asarray(values)


def assign_columns_of(
    jobs: Sequence[tuple[Structure, Mapping, Sequence[Sphere], int | Mapping[str, int] | None]],
    tolerance: float = DEFAULT_TOLERANCE,
) -> list[dict[str, np.ndarray]]:
    """:func:`assign_columns` of several structures, ``jobs`` [(structure, table, spheres,
    oxidation_states)], one dict of columns per structure.

    What the CIF states (:func:`evidence`) and the bond-valence sums are per structure;
    the posterior and the decision are per-site arithmetic, so the sites of all the
    structures go through one call of each (a bulk batch: a few numpy calls per batch
    instead of per structure), and each structure's numbers are those it has alone.
    """
    if not jobs:
        return []
    parts = []
    for structure, table, spheres, user in jobs:
        labels = table["metal"]
        if len(spheres) != len(labels):
            raise ValueError("table and spheres differ: pass the spheres site_parameters used")
        given = _oxidation_array(labels, user)
        source = np.where(np.isfinite(given), "user", "").astype(object)
        element = [structure.elements[sp.metal] for sp in spheres]
        if any(e in OXIDATION_STATES for e in element):
            cif_ox, cif_source, organo, notes = evidence(structure, spheres, tolerance)
        else:  # no site with a spin-state model: what the CIF states would be read for none
            cif_ox, cif_source = np.full(len(spheres), np.nan), np.full(len(spheres), "", object)
            organo, notes = np.zeros(len(spheres), dtype=bool), [""] * len(spheres)
        args = (
            element,
            _column(table, "donor_set"),
            _column(table, "coordination_number"),
            _column(table, "d_mean"),
            _column(table, "d_mean_su"),
            None,
            None,
        )
        n = len(labels)
        t4 = _column(table, "cshm_t4") if "cshm_t4" in table else np.full(n, np.nan)
        shape = _column(table, "cshm_oc6") if "cshm_oc6" in table else np.full(n, np.nan)
        if _BV_METALS.isdisjoint(element):  # no site with bond-valence parameters: NaN sums
            valences = _bond_valences(element, None, None)
        else:
            # the sums of each structure's bonds, padded to its own largest coordination
            # number (a sum's rounding depends on the padded width)
            lengths, elements = _bond_arrays(
                [sp.distances for sp in spheres],
                [[structure.elements[a.site] for a in sp.donors] for sp in spheres],
            )
            valences = _bond_valences(np.asarray(element, dtype=object), lengths, elements)
        parts.append((args, t4, shape, organo, valences, given, source, cif_ox, cif_source,
                      notes))  # fmt: skip
    if len(parts) == 1:
        args, t4, shape, organo, valences, given, source, cif_ox, cif_source, notes = parts[0]
    else:
        args = tuple(
            None if i >= 5 else np.concatenate([np.asarray(p[0][i]) for p in parts])
            for i in range(7)
        )
        t4, shape, organo, given, source, cif_ox = (
            np.concatenate([p[i] for p in parts]) for i in (1, 2, 3, 5, 6, 7)
        )
        valences = tuple(
            {ox: np.concatenate([p[4][half][ox] for p in parts]) for ox in (2, 3)}
            for half in (0, 1)
        )
        cif_source = [x for p in parts for x in p[8]]
        notes = [x for p in parts for x in p[9]]
    # an oxidation state the authors wrote in the chemical name is theirs to state; one
    # derived from the formula moiety (donor charges assumed) must not contradict the
    # geometry (module docstring)
    use_cif = ~np.isfinite(given) & np.isfinite(cif_ox)
    if use_cif.any():
        free = _posterior(*args, None, t4, organo, valences)
        k = np.flatnonzero(use_cif)
        p_cif = free.p_ox[k, np.clip(cif_ox[k].astype(int) - 2, 0, 1)]
        ok = free.has[k] & (p_cif >= MOIETY_MIN_POSTERIOR)
        for i, good in zip(k.tolist(), ok.tolist(), strict=True):
            named = cif_source[i] in ("chemical name", "atom type")
            if good or named:
                given[i], source[i] = cif_ox[i], cif_source[i]
            if not good:
                verdict = (
                    "kept, against the bond lengths" if named else "contradicted by the geometry"
                )
                notes[i] = f"{cif_source[i]} says {int(cif_ox[i])}: {verdict}"
    post = _posterior(*args, given, t4, organo, valences)
    columns = _decide_columns(post, shape, source, notes)
    if len(parts) == 1:
        return [columns]
    out, lo = [], 0
    for p in parts:
        rows = slice(lo, lo + len(p[5]))
        lo = rows.stop
        out.append({c: v[rows] for c, v in columns.items()})
    return out


def assign_polyhedra(polyhedra: Sequence, table: pd.DataFrame) -> pd.DataFrame:
    """The same for polyhedra read from xyz files (no su's: the edges of the ranges only)."""
    lengths, elements = _bond_arrays(
        [p.distances for p in polyhedra], [p.ligand_elements for p in polyhedra]
    )
    out = classify(
        [p.metal for p in polyhedra],
        table["donor_set"].to_numpy(),
        table["coordination_number"].to_numpy(),
        table["d_mean"].to_numpy(),
        None,
        table["cshm_oc6"].to_numpy() if "cshm_oc6" in table else None,
        lengths,
        elements,
        cshm_t4=table["cshm_t4"].to_numpy() if "cshm_t4" in table else None,
    )
    out.index = table.index
    return out


def with_spin_columns(table: pd.DataFrame, assigned: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the four contract columns of :data:`CONTRACT_COLUMNS` appended."""
    return pd.concat([table, assigned[CONTRACT_COLUMNS]], axis=1)


def fill_from_series(frames: Sequence[pd.DataFrame], key: str = "metal") -> list[pd.DataFrame]:
    """Oxidation states across a series of structures of one compound.

    ``frames`` are :func:`assign` outputs joined to their site tables (they need ``key``
    and the :data:`COLUMNS`). A site left without an oxidation state in one structure
    takes the one the other structures assign to the same ``key`` when they all agree
    (spin crossover changes the spin, not the oxidation state); its source is then
    ``series``. γ_HS is left to :func:`gamma_hs_series`.
    """
    known: dict[str, set[int]] = {}
    for f in frames:
        for label, ox in zip(f[key], f["oxidation_state"], strict=True):
            if not pd.isna(ox):
                known.setdefault(label, set()).add(int(ox))
    out = []
    for f in frames:
        f = f.copy()
        for i, (label, ox) in enumerate(zip(f[key], f["oxidation_state"], strict=True)):
            states = known.get(label, set())
            if pd.isna(ox) and len(states) == 1:
                f.iloc[i, f.columns.get_loc("oxidation_state")] = next(iter(states))
                f.iloc[i, f.columns.get_loc("oxidation_state_source")] = "series"
        out.append(f)
    return out


def gamma_hs_series(
    d_mean: Sequence[float],
    sigma: Sequence[float] | None = None,
    d_reference: tuple[float, float] | None = None,
    spin_states: Sequence[str] | None = None,
) -> pd.DataFrame:
    r"""γ_HS of one site through a series of structures (temperatures) of one compound.

    From ⟨M–L⟩: γ = (d − d_min)/(d_max − d_min) with the series' own extremes taken as
    fully LS and fully HS, when the series spans at least half of the literature
    LS → HS change ``d_reference`` = (d_LS, d_HS) (it then contains both states);
    otherwise the literature midpoints are used (a series that stays in one state).
    Without a literature reference for the site's donor set, nothing says that the span
    is a spin transition rather than thermal contraction: the series' extremes are used
    only when the structures' own assignments ``spin_states`` differ (LS, HS or
    intermediate), else γ is NaN (basis ``none``). Two high-spin determinations of
    Mn₂(dobdc) (Mn-MOF-74, CSD ORIWET and COKNUN: MnO₅, ⟨Mn–O⟩ 2.194 and 2.122 Å, each
    HS with confidence 1.00) read γ_HS 1 and 0.
    From Σ (``gamma_hs_sigma``), the same interpolation of Σ between its series
    extremes, reported as a cross-check only: Σ of an averaged LS/HS site is not linear
    in γ, and a series that does not switch has no Σ scale (NaN). Returns
    ``gamma_hs, gamma_hs_su_scale, gamma_hs_sigma, gamma_basis`` per structure;
    ``gamma_hs_su_scale`` is 1/(d_HS − d_LS), the factor that turns su(⟨M–L⟩) into
    su(γ).
    """
    d = np.asarray(d_mean, dtype=float)
    lit = d_reference if d_reference is not None else (np.nan, np.nan)
    lit_span = lit[1] - lit[0]
    span = np.nanmax(d) - np.nanmin(d) if np.isfinite(d).any() else np.nan
    states = {str(x) for x in (spin_states if spin_states is not None else ())}
    switching = len(states & set(SPIN_STATES)) >= 2
    spans_reference = span >= 0.5 * lit_span if np.isfinite(lit_span) else switching
    own = bool(np.isfinite(span) and span > 0 and spans_reference)
    if own:
        lo, hi, basis = np.nanmin(d), np.nanmax(d), "series extremes"
    elif np.isfinite(lit_span) and lit_span > 0:
        lo, hi, basis = lit[0], lit[1], "literature references"
    else:
        lo, hi, basis = np.nan, np.nan, "none"
    with np.errstate(invalid="ignore", divide="ignore"):
        gamma = np.clip((d - lo) / (hi - lo), 0.0, 1.0)
        scale = np.full(len(d), 1.0 / (hi - lo))
    g_sigma = np.full(len(d), np.nan)
    sg = np.asarray(sigma if sigma is not None else [], dtype=float)
    if own and np.isfinite(sg).any():  # Σ is NaN for every site that is not CN 6
        s_lo, s_hi = np.nanmin(sg), np.nanmax(sg)
        if s_hi > s_lo:
            g_sigma = np.clip((sg - s_lo) / (s_hi - s_lo), 0.0, 1.0)
    return pd.DataFrame(
        {
            "gamma_hs": gamma,
            "gamma_hs_su_scale": scale,
            "gamma_hs_sigma": g_sigma,
            "gamma_basis": basis,
        }
    )


__all__ = [
    "BV_PARAMETERS",
    "CN_SHIFT",
    "COLUMNS",
    "CONTRACT_COLUMNS",
    "DONOR_RADII",
    "REFERENCES",
    "SHANNON_RADII",
    "BVParameter",
    "Reference",
    "assign",
    "assign_polyhedra",
    "bond_valence_sums",
    "classify",
    "evidence",
    "fill_from_series",
    "gamma_hs_series",
    "oxidation_state_from_name",
    "parse_moiety",
    "reference_distances",
    "reference_table",
    "with_spin_columns",
]
