r"""Spin state and oxidation state of six-coordinate Fe and Co sites, from their geometry.

What is assigned, and from what
-------------------------------
For every metal site the module weighs a small set of hypotheses
h = (oxidation state, spin state) with spin ∈ {LS, HS, intermediate}, each allowed
only where the literature gives reference ⟨M–L⟩ values for that metal, oxidation state
and donor set (:data:`REFERENCES`, sources in ``docs/spin.md``). Anything else (another
metal, donor set or coordination number) is ``unknown``: the module does not guess.

1. **⟨M–L⟩ against reference ranges.** Each spin state of a reference row is a range
   [lo, hi] of ⟨M–L⟩ in Å; ``intermediate`` is the gap between the LS and HS ranges (a
   site whose bonds are neither: a mixed/averaged LS–HS site or a true intermediate spin).
   The likelihood of ⟨M–L⟩ = d under a range is a uniform density on [lo, hi] blurred by
   a Gaussian of width σ = √(σ_ref² + su(d)²), σ_ref = 0.015 Å:

   .. math:: L_d = \frac{Φ((hi - d)/σ) - Φ((lo - d)/σ)}{hi - lo}.

2. **Bond-valence sums** (Brown & Altermatt, Acta Cryst. B 1985, 41, 244),
   V = Σᵢ exp[(R₀ − dᵢ)/b], b = 0.37 Å, with R₀ for the hypothesised oxidation state
   (:data:`BV_PARAMETERS`). The parameters were fitted to complexes that are mostly high
   spin; low-spin bonds are 0.1–0.2 Å shorter, so V of a LS site comes out far above its
   oxidation state (LS Fe(II) N6 at ⟨Fe–N⟩ = 1.97 Å gives V ≈ 3.5 with the Fe(II)
   R₀). BVS therefore cannot tell LS Fe(II) from Fe(III) and is *not allowed to*: the
   likelihood N(V; n, s) uses s = 0.25 v.u. for HS hypotheses, 0.6 for intermediate and
   1.0 for LS (nearly flat). BVS enters the decision for Fe only, whose parameters all
   come from one fit to transition-metal complexes (Liu & Thorp 1993); for Co it is
   reported but not used (no R₀ for Co(II)–N from complexes in the IUCr compilation).
3. **Priors.** LS : HS : intermediate = 1 : 1 : 0.5 for every oxidation state with a
   reference row (pure states are more common than mixed ones); equal priors for the
   oxidation states.

The posterior p(h) ∝ prior · L_d · L_BVS is normalised per site. The spin state is the
most probable spin marginal, ``spin_confidence`` its probability; the oxidation state is
the most probable oxidation-state marginal with its probability, and
``oxidation_state_method`` says how it was reached (``given``, ``assumed`` when only one
oxidation state has references, ``BVS + <M-L>`` for a HS assignment, ``<M-L>`` when the
site is LS or intermediate and BVS could only weigh in weakly). Σ and CShM do not move
the assignment of a single structure, because their LS and HS values depend on the
ligand far more than on the metal (Halcrow, Chem. Soc. Rev. 2011, 40, 4119). They are
used in one direction only: a LS ion (t2g⁶ Fe(II)/Co(III), t2g⁵ Fe(III)) keeps a nearly
regular octahedron, while HS ions are often strongly distorted (the HS [Fe(bpp)2]2+
salts reach S(OC-6) ≈ 5–8), so a LS assignment of a site with S(OC-6) > 3 keeps its
label with its confidence × 0.75 and a note. Within a series of structures of one
compound Σ does carry information: see :func:`gamma_hs_series`.

HS fraction
-----------
γ_HS = (d − d_LS)/(d_HS − d_LS), clipped to [0, 1]: the linear (Vegard-type)
interpolation of ⟨M–L⟩ between the LS and HS references. Single structures use the
midpoints of the literature ranges of the assigned oxidation state; a series uses its own
extremes (:func:`gamma_hs_series`).

Everything is vectorised over sites (one pandas merge of sites × hypotheses, numpy for the
likelihoods, ``np.bincount`` for the per-site sums) so that bulk runs over large CIF
collections stay cheap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from coordgeo.coordination import DEFAULT_TOLERANCE, Sphere, coordination_spheres
from coordgeo.model import Structure

SPIN_STATES = ("LS", "HS", "intermediate")
#: Columns that ``coordgeo octahedra`` appends to its output (the command-line contract).
CONTRACT_COLUMNS = ["spin_state", "spin_confidence", "oxidation_state_bvs", "gamma_hs"]
#: Everything :func:`assign` returns, in order.
COLUMNS = [
    *CONTRACT_COLUMNS,
    "oxidation_state",
    "oxidation_state_confidence",
    "oxidation_state_method",
    "bvs_ii",
    "bvs_iii",
    "reference",
    "spin_note",
]

BV_B = 0.37  # Å, Brown & Altermatt, Acta Cryst. B 1985, 41, 244
REFERENCE_SIGMA = 0.015  # Å, blur of the edges of every reference range
PRIORS = {"LS": 1.0, "HS": 1.0, "intermediate": 0.5}
BVS_SPREAD = {"HS": 0.25, "intermediate": 0.6, "LS": 1.0}  # v.u.
MIN_GAP = 0.03  # Å, narrowest "intermediate" range
CSHM_OCTAHEDRAL = 3.0  # S(OC-6) beyond which a LS assignment is trusted less
LS_DISTORTED_FACTOR = 0.75


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
        roman = {2: "II", 3: "III"}[self.oxidation_state]
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


def _hypotheses() -> pd.DataFrame:
    """Every (reference row, spin state) with its ⟨M–L⟩ range and prior."""
    rows = []
    for k, ref in enumerate(REFERENCES):
        ranges = {"LS": ref.ls, "HS": ref.hs}
        if ref.ls and ref.hs:
            lo, hi = ref.ls[1], ref.hs[0]
            if hi - lo < MIN_GAP:
                mid = 0.5 * (lo + hi)
                lo, hi = mid - MIN_GAP / 2, mid + MIN_GAP / 2
            ranges["intermediate"] = (lo, hi)
        for spin, rng in ranges.items():
            if rng is None:
                continue
            rows.append(
                {
                    "ref": k,
                    "element": ref.metal,
                    "donor_set": ref.donor_set,
                    "ox": ref.oxidation_state,
                    "spin": spin,
                    "lo": rng[0],
                    "hi": rng[1],
                    "prior": PRIORS[spin],
                    "bvs_spread": BVS_SPREAD[spin],
                }
            )
    return pd.DataFrame(rows)


_HYPOTHESES = _hypotheses()


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
    for (metal, ox, donor), p in BV_PARAMETERS.items():
        if ox != oxidation_state:
            continue
        hit = (element[:, None] == metal) & (el == donor)
        r0[hit] = p.r0
        if not p.used:
            used &= ~hit.any(axis=1)
    present = el != ""
    missing = present & np.isnan(r0)
    with np.errstate(invalid="ignore"):
        terms = np.where(present, np.exp((r0 - d) / BV_B), 0.0)
    v = terms.sum(axis=1)
    v[missing.any(axis=1) | ~present.any(axis=1)] = np.nan
    return v, used & np.isfinite(v)


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
) -> pd.DataFrame:
    """Spin and oxidation state of n sites from arrays (the vectorised core of :func:`assign`).

    ``bond_lengths``/``bond_elements`` (n, m), NaN/''-padded, give the bond-valence sums
    (omitted: no BVS evidence); ``oxidation_state`` fixes it per site (NaN: determine).
    Returns a DataFrame of :data:`COLUMNS`, one row per site in input order.
    """
    element = np.asarray(element, dtype=object)
    n = len(element)
    sets = np.asarray(donor_set, dtype=object)
    cn = np.asarray(coordination_number, dtype=float)
    d = np.asarray(d_mean, dtype=float)
    su = np.zeros(n) if d_mean_su is None else np.nan_to_num(np.asarray(d_mean_su, float))
    shape = np.full(n, np.nan) if cshm_oc6 is None else np.asarray(cshm_oc6, dtype=float)
    given = np.full(n, np.nan) if oxidation_state is None else np.asarray(oxidation_state, float)
    bvs: dict[int, np.ndarray] = {}
    bvs_used: dict[int, np.ndarray] = {}
    for ox in (2, 3):
        if bond_lengths is None or bond_elements is None:
            bvs[ox], bvs_used[ox] = np.full(n, np.nan), np.zeros(n, dtype=bool)
        else:
            bvs[ox], bvs_used[ox] = bond_valence_sums(element, ox, bond_lengths, bond_elements)

    sites = pd.DataFrame({"site": np.arange(n), "element": element, "donor_set": sets})
    ok = (cn == 6) & np.isfinite(d)
    long = sites[ok].merge(_HYPOTHESES, on=["element", "donor_set"], how="inner")
    s = long["site"].to_numpy(dtype=int)
    ox = long["ox"].to_numpy(dtype=int)
    keep = np.isnan(given[s]) | (given[s] == ox)
    long = long[keep]
    s, ox = s[keep], ox[keep]
    lo, hi = long["lo"].to_numpy(), long["hi"].to_numpy()
    sigma = np.sqrt(REFERENCE_SIGMA**2 + su[s] ** 2)
    from scipy.special import ndtr  # imported on use: scipy.special is slow to load

    like = (ndtr((hi - d[s]) / sigma) - ndtr((lo - d[s]) / sigma)) / (hi - lo)
    v = np.where(ox == 2, bvs[2][s], bvs[3][s])
    use_bvs = np.where(ox == 2, bvs_used[2][s], bvs_used[3][s])
    spread = long["bvs_spread"].to_numpy()
    z = np.where(use_bvs, (v - ox) / spread, 0.0)
    weight = long["prior"].to_numpy() * like * np.exp(-0.5 * np.nan_to_num(z) ** 2)
    total = np.bincount(s, weights=weight, minlength=n)
    post = weight / np.where(total[s] > 0, total[s], 1.0)
    spin_codes = long["spin"].map({k: i for i, k in enumerate(SPIN_STATES)}).to_numpy(dtype=int)

    p_spin = np.zeros((n, len(SPIN_STATES)))
    np.add.at(p_spin, (s, spin_codes), post)
    p_ox = np.zeros((n, 2))
    np.add.at(p_ox, (s, ox - 2), post)
    n_ox = np.zeros((n, 2), dtype=bool)
    n_ox[s, ox - 2] = True
    has = total > 0

    best_spin = np.argmax(p_spin, axis=1)
    best_ox = np.argmax(p_ox, axis=1)
    spin = np.where(has, np.array(SPIN_STATES, dtype=object)[best_spin], "unknown")
    conf = np.where(has, p_spin[np.arange(n), best_spin], np.nan)
    note = np.full(n, "", dtype=object)
    # a LS d5/d6 ion keeps a regular octahedron (all its electrons in t2g); a strongly
    # distorted LS assignment contradicts that and is trusted less
    distorted = has & (shape > CSHM_OCTAHEDRAL) & (spin == "LS")
    conf = np.where(distorted, conf * LS_DISTORTED_FACTOR, conf)
    note[distorted] = "S(OC-6) > 3: a distortion unusual for low spin"
    ox_state = np.where(has, best_ox + 2, np.nan)
    ox_conf = np.where(has, p_ox[np.arange(n), best_ox], np.nan)
    several = n_ox.sum(axis=1) > 1
    fe = element == "Fe"
    method = np.where(
        ~has,
        "",
        np.where(
            np.isfinite(given),
            "given",
            np.where(
                ~several,
                "assumed: the only oxidation state with references for this donor set",
                np.where(
                    (spin == "HS") & fe & np.isfinite(bvs[2]),
                    "BVS + <M-L>",
                    "<M-L> (BVS only weak evidence: parameters are calibrated on HS sites)",
                ),
            ),
        ),
    )
    ox_conf = np.where(np.isfinite(given) | ~several, np.nan, ox_conf)
    unknown = ~has
    note[unknown & (cn != 6)] = "coordination number is not 6"
    supported = pd.MultiIndex.from_frame(_HYPOTHESES[["element", "donor_set"]])
    no_ref = unknown & (cn == 6)
    no_ref &= ~pd.MultiIndex.from_arrays([element, sets]).isin(supported)
    note[no_ref] = (
        "no reference distances for "
        + pd.Series(element[no_ref]).astype(str)
        + (" " + pd.Series(sets[no_ref]).astype(str))
    )
    bvs_assigned = np.where(ox_state == 2, bvs[2], np.where(ox_state == 3, bvs[3], np.nan))

    # γ_HS between the midpoints of the LS and HS ranges of the assigned oxidation state
    picked = pd.DataFrame({"element": element, "ox": ox_state, "donor_set": sets}).merge(
        _REFERENCE_MIDPOINTS, on=["element", "ox", "donor_set"], how="left"
    )
    d_ls, d_hs = picked["d_ls"].to_numpy(float), picked["d_hs"].to_numpy(float)
    both = np.isfinite(d_ls) & np.isfinite(d_hs)
    with np.errstate(invalid="ignore", divide="ignore"):
        gamma = np.where(
            both,
            np.clip((d - d_ls) / (d_hs - d_ls), 0.0, 1.0),
            np.where(np.isfinite(d_hs), 1.0, np.where(np.isfinite(d_ls), 0.0, np.nan)),
        )
    refs = picked["describe"].fillna("").to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "spin_state": spin,
            "spin_confidence": conf,
            "oxidation_state_bvs": bvs_assigned,
            "gamma_hs": gamma,
            "oxidation_state": pd.Series(ox_state).astype("Int64").array,
            "oxidation_state_confidence": ox_conf,
            "oxidation_state_method": method,
            "bvs_ii": bvs[2],
            "bvs_iii": bvs[3],
            "reference": refs,
            "spin_note": note,
        }
    )


_REFERENCE_MIDPOINTS = pd.DataFrame(
    {
        "element": [r.metal for r in REFERENCES],
        "ox": [float(r.oxidation_state) for r in REFERENCES],
        "donor_set": [r.donor_set for r in REFERENCES],
        "d_ls": [float(np.mean(r.ls)) if r.ls else np.nan for r in REFERENCES],
        "d_hs": [float(np.mean(r.hs)) if r.hs else np.nan for r in REFERENCES],
        "describe": [r.describe() for r in REFERENCES],
    }
)


def reference_distances(element: str, oxidation_state: int, donor_set: str) -> tuple[float, float]:
    """(d_LS, d_HS) midpoints of the literature ranges; NaN where a state has none."""
    for r in REFERENCES:
        if (r.metal, r.oxidation_state, r.donor_set) == (element, oxidation_state, donor_set):
            return (
                float(np.mean(r.ls)) if r.ls else np.nan,
                float(np.mean(r.hs)) if r.hs else np.nan,
            )
    return np.nan, np.nan


def _bond_arrays(structure: Structure, spheres: Sequence[Sphere]) -> tuple[np.ndarray, np.ndarray]:
    m = max((sp.coordination_number for sp in spheres), default=0)
    lengths = np.full((len(spheres), m), np.nan)
    elements = np.full((len(spheres), m), "", dtype=object)
    for k, sp in enumerate(spheres):
        lengths[k, : sp.coordination_number] = sp.distances
        elements[k, : sp.coordination_number] = [structure.elements[a.site] for a in sp.donors]
    return lengths, elements


def _oxidation_array(
    labels: Sequence[str], oxidation_state: int | Mapping[str, int] | None
) -> np.ndarray | None:
    if oxidation_state is None:
        return None
    if isinstance(oxidation_state, int):
        return np.full(len(labels), float(oxidation_state))
    return np.array([float(oxidation_state.get(lab, np.nan)) for lab in labels])


def assign(
    structure: Structure,
    table: pd.DataFrame,
    spheres: Sequence[Sphere] | None = None,
    *,
    oxidation_state: int | Mapping[str, int] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> pd.DataFrame:
    """Spin state, oxidation state and γ_HS of every row of ``table``.

    ``table`` is :func:`coordgeo.polyhedra.site_parameters` of ``structure``, computed on
    ``spheres`` (default: :func:`~coordgeo.coordination.coordination_spheres` with
    ``tolerance``, which is what ``site_parameters`` uses). ``oxidation_state`` fixes it
    for all sites (int) or by metal label (mapping). Returns :data:`COLUMNS` with the
    index of ``table``; see the module docstring for the method.
    """
    if spheres is None:
        spheres = coordination_spheres(structure, tolerance)
    if len(spheres) != len(table):
        raise ValueError("table and spheres differ: pass the spheres site_parameters used")
    lengths, elements = _bond_arrays(structure, spheres)
    out = classify(
        [structure.elements[sp.metal] for sp in spheres],
        table["donor_set"].to_numpy(),
        table["coordination_number"].to_numpy(),
        table["d_mean"].to_numpy(),
        table["d_mean_su"].to_numpy(),
        table["cshm_oc6"].to_numpy() if "cshm_oc6" in table else None,
        lengths,
        elements,
        _oxidation_array(table["metal"].tolist(), oxidation_state),
    )
    out.index = table.index
    return out


def assign_polyhedra(polyhedra: Sequence, table: pd.DataFrame) -> pd.DataFrame:
    """The same for polyhedra read from xyz files (no su's: the edges of the ranges only)."""
    m = max((p.n for p in polyhedra), default=0)
    lengths = np.full((len(polyhedra), m), np.nan)
    elements = np.full((len(polyhedra), m), "", dtype=object)
    for k, p in enumerate(polyhedra):
        lengths[k, : p.n] = p.distances
        elements[k, : p.n] = p.ligand_elements
    out = classify(
        [p.metal for p in polyhedra],
        table["donor_set"].to_numpy(),
        table["coordination_number"].to_numpy(),
        table["d_mean"].to_numpy(),
        None,
        table["cshm_oc6"].to_numpy() if "cshm_oc6" in table else None,
        lengths,
        elements,
    )
    out.index = table.index
    return out


def with_spin_columns(table: pd.DataFrame, assigned: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the four contract columns of :data:`CONTRACT_COLUMNS` appended."""
    return pd.concat([table, assigned[CONTRACT_COLUMNS]], axis=1)


def gamma_hs_series(
    d_mean: Sequence[float],
    sigma: Sequence[float] | None = None,
    d_reference: tuple[float, float] | None = None,
) -> pd.DataFrame:
    r"""γ_HS of one site through a series of structures (temperatures) of one compound.

    From ⟨M–L⟩: γ = (d − d_min)/(d_max − d_min) with the series' own extremes taken as
    fully LS and fully HS, when the series spans at least half of the literature
    LS → HS change ``d_reference`` = (d_LS, d_HS) (it then contains both states);
    otherwise the literature midpoints are used (a series that stays in one state).
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
    own = np.isfinite(span) and (not np.isfinite(lit_span) or span >= 0.5 * lit_span) and span > 0
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
    if sigma is not None and own:
        sg = np.asarray(sigma, dtype=float)
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
    "COLUMNS",
    "CONTRACT_COLUMNS",
    "REFERENCES",
    "BVParameter",
    "Reference",
    "assign",
    "assign_polyhedra",
    "bond_valence_sums",
    "classify",
    "gamma_hs_series",
    "reference_distances",
    "reference_table",
    "with_spin_columns",
]
