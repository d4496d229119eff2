r"""The Slichter–Drickamer model of a thermal spin transition: γHS(T), χMT(T), spinodals.

The Slichter–Drickamer (regular-solution, mean-field) model
------------------------------------------------------------
For a high-spin (HS) fraction γ, the Gibbs energy per mole of switching centres is

.. math::

    G(γ) = γΔH + Γγ(1-γ) - T[γΔS + S_\mathrm{mix}(γ)],\qquad
    S_\mathrm{mix} = -R[γ\ln γ + (1-γ)\ln(1-γ)],

and ∂G/∂γ = 0 gives the equation of state

.. math::

    \ln\frac{1-γ}{γ} = \frac{ΔH + Γ(1-2γ)}{RT} - \frac{ΔS}{R},

with ΔH, ΔS the enthalpy and entropy of the LS → HS change and Γ the interaction
(cooperativity) parameter. γ = ½ at T½ = ΔH/ΔS for every Γ. The measured curve is

.. math::

    χ_MT(T) = χ_MT^\mathrm{LS} + γ(T)\,[χ_MT^\mathrm{HS} - χ_MT^\mathrm{LS}]
              \;(+\;\mathrm{TIP}\cdot T),

where χMT^LS is the low-temperature plateau (LS centres plus any HS residue and other
paramagnetic ions) and χMT^HS the high-temperature plateau.

Cooperativity and hysteresis. Written in x = ln[γ/(1-γ)] the equation reads
F(x) = x + (ΔH+Γ)/RT - ΔS/R - 2(Γ/RT)γ(x) = 0 with F'(x) = 1 - 2(Γ/RT)γ(1-γ). For
Γ < 2RT½ F is monotonic near T½ and γ(T) is a gradual, continuous curve; at Γ = 2RT½
it is vertical at T½; for Γ > 2RT½ the equation has three roots between the spinodal
temperatures T↓ < T½ < T↑ (where F has a double root, γ(1-γ) = RT/2Γ): a first-order
transition with a thermal hysteresis loop. :func:`gamma_hs` then returns, for
``branch='cooling'``, the root continuing from the high-temperature (HS) side — the
HS-rich root as long as it exists, down to T↓ — and for ``branch='heating'`` the root
continuing from the low-temperature (LS) side up to T↑; the loop width of this
mean-field (spinodal) model is T↑ - T↓ (:func:`spinodal_temperatures`). The
``'equilibrium'`` branch takes the root of lowest G (LS-rich below T½, HS-rich above),
i.e. a step at T½ without hysteresis.

References
----------
- C. P. Slichter, H. G. Drickamer, *J. Chem. Phys.* 1972, **56**, 2142–2160.
- O. Kahn, *Molecular Magnetism*, VCH, New York, 1993, ch. 4 (spin transition, regular
  solution model, Γ > 2RT½ for hysteresis).
- P. Gütlich, H. A. Goodwin (eds.), *Spin Crossover in Transition Metal Compounds I*,
  Top. Curr. Chem. 2004, **233**, 1–47 (P. Gütlich, H. A. Goodwin, "Spin crossover—an
  overall perspective"), and P. Gütlich, A. Hauser, H. Spiering, *Angew. Chem. Int. Ed.
  Engl.* 1994, **33**, 2024–2054.

Units used throughout (as in SI tables, e.g. Table S6 of the seed paper): ΔH and Γ in
kJ mol⁻¹, ΔS in J mol⁻¹ K⁻¹, T in K, χMT in cm³ K mol⁻¹, TIP in cm³ mol⁻¹.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.constants import R as _R

from coordgeo.errors import InputError

#: The molar gas constant R = N_A·k_B in J mol⁻¹ K⁻¹, from ``scipy.constants.R``: the CODATA
#: 2018 value 8.314462618… (exact, N_A and k_B being defined constants of the 2019 SI).
#: The one definition in coordgeo; every module needing R imports it from here.
R_GAS: float = _R

Branch = Literal["cooling", "heating", "equilibrium"]
_BRANCHES = ("cooling", "heating", "equilibrium")


# --------------------------------------------------------------------------- model


def _check_units(dH: float, Gamma: float) -> None:
    # SCO enthalpies are 5–50 kJ/mol; a value in the thousands was given in J/mol.
    if abs(dH) > 500 or abs(Gamma) > 500:
        raise ValueError("dH and Gamma are in kJ/mol (e.g. dH=21.87, not 21870)")


def _expit(x: np.ndarray) -> np.ndarray:
    global _expit_ufunc
    if _expit_ufunc is None:
        from scipy.special import expit

        _expit_ufunc = expit
    return _expit_ufunc(x)


_expit_ufunc = None  # scipy.special.expit, imported on first use


def _sd_function(x: np.ndarray, a: np.ndarray, c: np.ndarray) -> np.ndarray:
    """F(x) = x + c - 2aγ(x), x = ln[γ/(1-γ)], a = Γ/RT, c = (ΔH+Γ)/RT - ΔS/R."""
    return x + c - 2.0 * a * _expit(x)


def solve_bracketed(
    f: Callable,
    fprime: Callable,
    lo: np.ndarray,
    hi: np.ndarray,
    args: tuple = (),
    *,
    increasing: bool = True,
    xtol: float = 1e-13,
    max_iter: int = 200,
) -> np.ndarray:
    """Root of a monotonic ``f(x, *args)`` in each bracket [lo, hi], vectorised.

    Safeguarded Newton: a Newton step from the current point when it stays inside the
    shrinking bracket, else bisection (W. H. Press et al., *Numerical Recipes*, 3rd ed.,
    §9.4, ``rtsafe``). ``increasing`` says whether f rises across the brackets (f(lo) ≤ 0
    ≤ f(hi)) or falls. Converges to ``xtol``·(1 + |x|) in a handful of numpy passes,
    where a scalar root finder per element would cost one Python call each.
    """
    shape = np.shape(lo)
    lo = np.array(lo, dtype=float, copy=True).ravel()
    hi = np.array(hi, dtype=float, copy=True).ravel()
    args = tuple(np.broadcast_to(np.asarray(a, dtype=float), shape).ravel() for a in args)
    sign = 1.0 if increasing else -1.0
    x = 0.5 * (lo + hi)
    active = np.arange(x.size)
    for _ in range(max_iter):
        xa, la, ha = x[active], lo[active], hi[active]
        sub = tuple(a[active] for a in args)
        fx = sign * f(xa, *sub)
        below = fx < 0
        la = np.where(below, xa, la)
        ha = np.where(below, ha, xa)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = fx / (sign * fprime(xa, *sub))
        newton = xa - step
        inside = np.isfinite(newton) & (newton >= la) & (newton <= ha)
        x[active] = np.where(inside, newton, 0.5 * (la + ha))
        lo[active], hi[active] = la, ha
        tol = xtol * (1.0 + np.abs(xa))
        done = (fx == 0) | (inside & (np.abs(step) <= tol)) | (ha - la <= tol)
        x[active[fx == 0]] = xa[fx == 0]
        active = active[~done]
        if active.size == 0:
            break
    return x.reshape(shape)


def _sd_derivative(x: np.ndarray, a: np.ndarray, c: np.ndarray) -> np.ndarray:
    g = _expit(x)
    return 1.0 - 2.0 * a * g * (1.0 - g)


def _solve(lo: np.ndarray, hi: np.ndarray, a: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Root of F in each bracket [lo, hi] (F(lo) ≤ 0 ≤ F(hi), F increasing there)."""
    return solve_bracketed(_sd_function, _sd_derivative, lo, hi, (a, c))


def gamma_hs(
    T: ArrayLike,
    dH: float,
    dS: float,
    Gamma: float = 0.0,
    *,
    branch: Branch | ArrayLike = "cooling",
) -> np.ndarray:
    """High-spin fraction γ(T) of the Slichter–Drickamer model (vectorised over T).

    Solves ln[(1-γ)/γ] = [ΔH + Γ(1-2γ)]/RT - ΔS/R for γ at each temperature with a
    bracketing root finder in x = ln[γ/(1-γ)] (accurate also for γ ~ 10⁻²⁰). Every root
    lies in [min(0, 2a) - c, max(0, 2a) - c] (a = Γ/RT, c = (ΔH+Γ)/RT - ΔS/R); when
    Γ/RT > 2 the brackets are split at the spinodal points x± = ±2 artanh√(1 - 2RT/Γ)
    and the root of the requested branch is taken (see the module docstring).

    Parameters
    ----------
    T
        Temperatures in K (> 0).
    dH, dS, Gamma
        ΔH in kJ mol⁻¹, ΔS in J mol⁻¹ K⁻¹, Γ in kJ mol⁻¹.
    branch
        ``'cooling'`` (HS-side root in the bistable window), ``'heating'`` (LS side) or
        ``'equilibrium'`` (lowest Gibbs energy); or an array of these, one per T.

    Returns
    -------
    numpy.ndarray
        γ_HS with the shape of ``T``.
    """
    _check_units(dH, Gamma)
    T = np.asarray(T, dtype=float)
    if np.any(~(T > 0)):
        raise ValueError("temperatures must be positive (K)")
    branches = np.broadcast_to(np.asarray(branch, dtype=object), T.shape)
    unknown = set(np.unique(branches.astype(str))) - set(_BRANCHES)
    if unknown:
        raise ValueError(f"unknown branch {sorted(unknown)}; use one of {_BRANCHES}")
    rt = R_GAS * T
    a = 1e3 * Gamma / rt
    c = 1e3 * (dH + Gamma) / rt - dS / R_GAS
    lo = np.minimum(0.0, 2.0 * a) - c - 1.0
    hi = np.maximum(0.0, 2.0 * a) - c + 1.0
    bistable = a > 2.0
    s = np.sqrt(np.where(bistable, 1.0 - 2.0 / np.where(bistable, a, 4.0), 0.0))
    x_plus = 2.0 * np.arctanh(s)
    high_exists = _sd_function(x_plus, a, c) <= 0.0  # local minimum of F at x+
    low_exists = _sd_function(-x_plus, a, c) >= 0.0  # local maximum at x−
    take_high = np.where(
        branches == "cooling",
        high_exists,
        np.where(branches == "heating", ~low_exists, c - a < 0.0),  # c - a < 0 ⇔ T > T½
    )
    lo = np.where(bistable & take_high, x_plus, lo)
    hi = np.where(bistable & ~take_high, -x_plus, hi)
    return _expit(_solve(lo, hi, a, c))


def chi_mt_sd(
    T: ArrayLike,
    dH: float,
    dS: float,
    Gamma: float,
    chi_mt_ls: float,
    chi_mt_hs: float,
    tip: float = 0.0,
    *,
    branch: Branch | ArrayLike = "cooling",
) -> np.ndarray:
    """χMT(T) = χMT_LS + γ(T)(χMT_HS - χMT_LS) + TIP·T in cm³ K mol⁻¹ (γ from :func:`gamma_hs`)."""
    T = np.asarray(T, dtype=float)
    return chi_mt_ls + gamma_hs(T, dH, dS, Gamma, branch=branch) * (chi_mt_hs - chi_mt_ls) + tip * T


def temperature_of_gamma(gamma: ArrayLike, dH: float, dS: float, Gamma: float = 0.0) -> np.ndarray:
    """The explicit inverse of the SD equation, T(γ) = [ΔH + Γ(1-2γ)] / [ΔS + R ln((1-γ)/γ)].

    Every γ of every branch lies on this curve; where T(γ) is not monotonic
    (Γ > 2RT½) its turning points are the spinodal temperatures. Non-positive
    denominators (γ beyond the T → ∞ limit) give nan.
    """
    _check_units(dH, Gamma)
    g = np.asarray(gamma, dtype=float)
    denominator = dS + R_GAS * np.log((1.0 - g) / g)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = 1e3 * (dH + Gamma * (1.0 - 2.0 * g)) / denominator
    return np.where(denominator > 0, t, np.nan)


def spinodal_temperatures(dH: float, dS: float, Gamma: float) -> tuple[float, float]:
    """(T↓, T↑) in K: ends of the cooling (HS) and heating (LS) branches, nan when Γ ≤ 2RT½.

    At the spinodals the SD equation has a double root: F(x±) = 0 with
    γ±(1-γ±) = RT/2Γ. Below T↓ the HS-rich root no longer exists and the cooling
    branch drops to the LS side; above T↑ the heating branch jumps to the HS side.
    The mean-field loop width is T↑ - T↓. T↓ = 0 when the HS branch survives to 0 K.
    """
    _check_units(dH, Gamma)
    t_half = 1e3 * dH / dS
    if not Gamma * 1e3 > 2.0 * R_GAS * t_half:
        return math.nan, math.nan
    t_max = 1e3 * Gamma / (2.0 * R_GAS)  # a = Γ/RT = 2: spinodals merge

    def f_at(t: float, sign: float) -> float:
        a = 1e3 * Gamma / (R_GAS * t)
        c = 1e3 * (dH + Gamma) / (R_GAS * t) - dS / R_GAS
        x = sign * 2.0 * math.atanh(math.sqrt(max(1.0 - 2.0 / a, 0.0)))
        return float(_sd_function(np.float64(x), np.float64(a), np.float64(c)))

    from scipy.optimize import brentq

    # Heating: F(x−) > 0 (LS root present) from T½ up to T↑; at a = 2, F(0) = c − a < 0.
    t_up = brentq(f_at, t_half, t_max * (1 - 1e-12), args=(-1.0,), xtol=1e-10)
    # Cooling: F(x+) < 0 (HS root present) from T½ down to T↓, the first sign change
    # below T½; when Γ > ΔH it may never come (HS trapped down to 0 K: T↓ = 0).
    grid = t_half * np.geomspace(1.0, 1e-4, 400)[1:]
    above = np.array([f_at(t, 1.0) for t in grid]) >= 0.0
    if not above.any():
        return 0.0, t_up
    k = int(np.argmax(above))
    upper_t = t_half if k == 0 else grid[k - 1]
    t_down = brentq(f_at, grid[k], upper_t, args=(1.0,), xtol=1e-10)
    return t_down, t_up


def gamma_two_step(
    T: ArrayLike,
    steps: tuple[tuple[float, float, float], tuple[float, float, float]],
    fraction: float,
    *,
    branch: Branch | ArrayLike = "cooling",
) -> np.ndarray:
    r"""γ_HS(T) of two independent switching sites: γ = f·γ₁(T) + (1 − f)·γ₂(T).

    Each site follows its own Slichter–Drickamer equation (:func:`gamma_hs`) with
    ``steps[i] = (ΔH_i, ΔS_i, Γ_i)``; ``fraction`` f is the share of site 1. This is the
    two-sublattice model without inter-site coupling used for two-step transitions,
    e.g. A. Bousseksou, J. Nasser, J. Linares, K. Boukheddaden, F. Varret, *J. Phys. I*
    1992, **2**, 1381, in its decoupled limit; the plateau between the steps sits at
    γ = f (site 1 switching at the lower temperature).
    """
    (dH1, dS1, G1), (dH2, dS2, G2) = steps
    g1 = gamma_hs(T, dH1, dS1, G1, branch=branch)
    g2 = gamma_hs(T, dH2, dS2, G2, branch=branch)
    return fraction * g1 + (1.0 - fraction) * g2


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class SDParameters:
    """Slichter–Drickamer parameters: ΔH (kJ/mol), ΔS (J/mol/K), Γ (kJ/mol), and their su's.

    Checked on creation: finite numbers, ΔS > 0, and ΔH, Γ in kJ mol⁻¹ (|x| ≤ 500);
    a violation raises :class:`coordgeo.errors.InputError` with the reason in words.
    """

    dH_kJ_mol: float
    dS_J_mol_K: float
    Gamma_kJ_mol: float
    dH_su: float = math.nan
    dS_su: float = math.nan
    Gamma_su: float = math.nan
    source: str = "given"

    def __post_init__(self) -> None:
        values = (self.dH_kJ_mol, self.dS_J_mol_K, self.Gamma_kJ_mol)
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
            raise InputError(f"SD parameters must be finite numbers, got {values}")
        if self.dS_J_mol_K <= 0:
            raise InputError(f"ΔS must be positive (J/mol/K), got {self.dS_J_mol_K:g}")
        if abs(self.dH_kJ_mol) > 500 or abs(self.Gamma_kJ_mol) > 500:
            raise InputError("ΔH and Γ are in kJ/mol (e.g. 21.87, not 21870)")

    @property
    def T_half_K(self) -> float:
        """T½ = ΔH/ΔS in K."""
        return 1e3 * self.dH_kJ_mol / self.dS_J_mol_K

    @classmethod
    def from_fit(cls, fit: Any) -> SDParameters:
        """The ΔH, ΔS, Γ of a one-step :class:`coordgeo.magnetism.SDFit`."""
        return cls(
            fit.dH_kJ_mol,
            fit.dS_J_mol_K,
            fit.Gamma_kJ_mol,
            fit.dH_su,
            fit.dS_su,
            fit.Gamma_su,
            f"fit of {fit.path}" if fit.path else "fit",
        )

    @classmethod
    def parse(cls, text: str, source: str = "given") -> SDParameters:
        """``'dH,dS,Gamma'`` (kJ/mol, J/mol/K, kJ/mol), as ``coordgeo fit-sd`` reports them."""
        parts = [p for p in text.replace(";", ",").split(",") if p.strip()]
        try:
            values = [float(p) for p in parts]
        except ValueError:
            values = []
        if len(values) != 3 or not all(math.isfinite(v) for v in values):
            raise InputError(
                "SD parameters are three numbers dH,dS,Gamma (kJ/mol, J/mol/K, kJ/mol), "
                f"got {text!r}"
            )
        return cls(*values, source=source)

    def gamma(self, T: ArrayLike, branch: Branch | ArrayLike = "cooling") -> np.ndarray:
        """γ_HS(T) of these parameters (:func:`gamma_hs`)."""
        return gamma_hs(T, self.dH_kJ_mol, self.dS_J_mol_K, self.Gamma_kJ_mol, branch=branch)


#: Names a fit can hold fixed (one step; a two-step fit adds the suffixes 1 and 2).
FIXABLE = ("dH", "dS", "Gamma", "T_half", "chi_mt_ls", "chi_mt_hs", "tip")
_ALIASES = {
    "dh": "dH",
    "ds": "dS",
    "gamma": "Gamma",
    "g": "Gamma",
    "t_half": "T_half",
    "thalf": "T_half",
    "t12": "T_half",
    "chi_ls": "chi_mt_ls",
    "chi_mt_ls": "chi_mt_ls",
    "chi_hs": "chi_mt_hs",
    "chi_mt_hs": "chi_mt_hs",
    "tip": "tip",
    "f": "fraction",
    "fraction": "fraction",
}


def parse_fixed(text: str | dict[str, float] | None, steps: int = 1) -> dict[str, float]:
    """``'dH=21.9,dS=87.5'`` → ``{'dH': 21.9, 'dS': 87.5}``, names checked.

    Units as everywhere: ΔH, Γ kJ mol⁻¹; ΔS J mol⁻¹ K⁻¹; T½ K; χMT cm³ K mol⁻¹; TIP
    cm³ mol⁻¹. For ``steps=2`` the step parameters carry the step number (``dH1``,
    ``Gamma2``) and ``fraction`` is the share of the low-temperature step.
    """
    if text is None:
        return {}
    if isinstance(text, dict):
        items = list(text.items())
    else:
        items = []
        for part in (p.strip() for p in text.replace(";", ",").split(",")):
            if not part:
                continue
            name, eq, value = part.partition("=")
            if not eq:
                raise InputError(f"fixed parameters are NAME=VALUE pairs, got {part!r}")
            try:
                number = float(value)
            except ValueError:
                raise InputError(
                    f"fixed parameter {name.strip()}: not a number: {value!r}"
                ) from None
            items.append((name.strip(), number))
    allowed = _allowed_names(steps)
    out: dict[str, float] = {}
    for raw, value in items:
        name = _canonical(str(raw), steps)
        if name not in allowed:
            raise InputError(f"cannot fix {raw!r}; fixable parameters are {', '.join(allowed)}")
        if not math.isfinite(float(value)):
            raise InputError(f"fixed parameter {name} must be finite, got {value}")
        out[name] = float(value)
    return out


def _allowed_names(steps: int) -> tuple[str, ...]:
    if steps == 1:
        return FIXABLE
    per_step = [f"{n}{i}" for i in (1, 2) for n in ("dH", "dS", "Gamma", "T_half")]
    return (*per_step, "fraction", "chi_mt_ls", "chi_mt_hs", "tip")


def _canonical(name: str, steps: int) -> str:
    key = name.strip()
    suffix = ""
    if steps == 2 and key[-1:] in ("1", "2") and key.lower() not in ("t12",):
        key, suffix = key[:-1], key[-1]
    base = _ALIASES.get(key.lower().replace("½", "_half"), key)
    return base + suffix
