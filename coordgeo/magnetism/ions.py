r"""χMT of paramagnetic ions that do not switch: the LS baseline of a spin-crossover curve.

A compound whose formula unit holds, besides the switching centre, ions that keep their
spin state (e.g. the two low-spin Fe(III) of a cyanide-bridged {Fe^III_2 Fe^II} cluster)
has a low-temperature plateau χMT_LS = χMT(non-switching ions) + residual HS. Counted as
HS residue, their χMT inflates the "HS residual fraction"; named as a baseline it is
taken out of the fraction (:func:`coordgeo.magnetism.fit_sd`, ``chi_mt_ls_pure``).

Per-ion values are the spin-only Curie constants

.. math::

    χ_MT = \frac{N_A μ_B^2}{3 k_B}\, g^2 S(S+1) = 0.12505\, g^2 S(S+1)
    \ \mathrm{cm^3\,K\,mol^{-1}}

(CGS-emu; O. Kahn, *Molecular Magnetism*, VCH 1993, eq. 1.14; R. L. Carlin,
*Magnetochemistry*, Springer 1986, ch. 1) with g = 2.00. Orbital contributions raise
some ions above spin-only: LS Fe(III) (²T₂g) typically gives 0.4–0.7 cm³ K mol⁻¹ and HS
Co(II) 2.5–3.4 (Kahn 1993, ch. 1–2; Carlin 1986, ch. 3); give the measured per-ion
value as a number when it is known (``2*0.62``).
"""

from __future__ import annotations

import re

from scipy.constants import N_A, Boltzmann, physical_constants

from coordgeo.errors import InputError

#: N_A μ_B² / 3k_B in cm³ K mol⁻¹ (CGS-emu): μ_B in erg/G = 10³ × J/T, k_B in erg/K = 10⁷ × J/K.
CURIE_CONSTANT = N_A * (physical_constants["Bohr magneton"][0] * 1e3) ** 2 / (3 * Boltzmann * 1e7)

#: Spin S of ions commonly found beside a switching centre (spin state in the name).
ION_SPINS: dict[str, float] = {
    "Fe(II)LS": 0.0,
    "Fe(II)HS": 2.0,
    "Fe(III)LS": 0.5,
    "Fe(III)HS": 2.5,
    "Co(II)LS": 0.5,
    "Co(II)HS": 1.5,
    "Co(III)LS": 0.0,
    "Co(III)HS": 2.0,
    "Mn(II)HS": 2.5,
    "Mn(III)HS": 2.0,
    "Mn(III)LS": 1.0,
    "Cr(III)": 1.5,
    "Ni(II)": 1.0,
    "Cu(II)": 0.5,
    "Cu(I)": 0.0,
    "Zn(II)": 0.0,
    "V(IV)": 0.5,
    "radical": 0.5,
}


def ion_chi_mt(ion: str, g: float = 2.0) -> float:
    """Spin-only χMT (cm³ K mol⁻¹) of one ion of :data:`ION_SPINS`: 0.12505 g² S(S+1)."""
    key = _ion_key(ion)
    s = ION_SPINS[key]
    return CURIE_CONSTANT * g * g * s * (s + 1.0)


def _ion_key(ion: str) -> str:
    squeezed = ion.replace(" ", "").replace("-", "").lower()
    for key in ION_SPINS:
        if key.lower() == squeezed:
            return key
    raise InputError(
        f"unknown ion {ion!r}; known: {', '.join(ION_SPINS)} (or give χMT per ion as a number)"
    )


def non_switching_chi_mt(text: str) -> float:
    """χMT of the non-switching ions of a formula unit: ``'2*Fe(III)LS'`` → 0.750.

    Terms joined by ``+``, each ``[COUNT*]ION`` (an ion of :data:`ION_SPINS`, spin-only,
    g = 2) or ``[COUNT*]VALUE`` (χMT per ion in cm³ K mol⁻¹): ``'2*Fe(III)LS + Cu(II)'``,
    ``'2*0.62'``.
    """
    total = 0.0
    terms = [t.strip() for t in re.split(r"\+(?![^(]*\))", text) if t.strip()]
    if not terms:
        raise InputError(f"no ions in {text!r}; write e.g. 2*Fe(III)LS")
    for term in terms:
        count_text, star, what = term.partition("*")
        if not star:
            count_text, what = "1", term
        try:
            count = float(count_text)
        except ValueError:
            raise InputError(f"{term!r}: the count before '*' must be a number") from None
        try:
            per_ion = float(what)
        except ValueError:
            per_ion = ion_chi_mt(what)
        if not (count >= 0 and per_ion >= 0):
            raise InputError(f"{term!r}: counts and χMT values must be ≥ 0")
        total += count * per_ion
    return total
