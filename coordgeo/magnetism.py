r"""Spin-crossover thermodynamics from χMT(T): Slichter–Drickamer fits and d(χMT)/dT maxima.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.optimize import brentq, least_squares
from scipy.signal import savgol_filter
from scipy.special import expit

from coordgeo.errors import InputError
from coordgeo.io.magdata import read_chimt

try:  # vectorised Chandrupatla bracketing (SciPy ≥ 1.15)
    from scipy.optimize.elementwise import find_root as _find_root
except ImportError:  # older SciPy: one brentq per temperature
    _find_root = None

R_GAS = 8.314462618  # J mol⁻¹ K⁻¹ (CODATA 2018, exact)

Branch = Literal["cooling", "heating", "equilibrium"]
_BRANCHES = ("cooling", "heating", "equilibrium")


# --------------------------------------------------------------------------- model


def _check_units(dH: float, Gamma: float) -> None:
    # SCO enthalpies are 5–50 kJ/mol; a value in the thousands was given in J/mol.
    if abs(dH) > 500 or abs(Gamma) > 500:
        raise ValueError("dH and Gamma are in kJ/mol (e.g. dH=21.87, not 21870)")


def _sd_function(x: np.ndarray, a: np.ndarray, c: np.ndarray) -> np.ndarray:
    """F(x) = x + c - 2aγ(x), x = ln[γ/(1-γ)], a = Γ/RT, c = (ΔH+Γ)/RT - ΔS/R."""
    return x + c - 2.0 * a * expit(x)


def _solve(lo: np.ndarray, hi: np.ndarray, a: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Root of F in each bracket [lo, hi] (F(lo) ≤ 0 ≤ F(hi))."""
    if _find_root is not None:
        res = _find_root(_sd_function, (lo, hi), args=(a, c))
        return np.asarray(res.x, dtype=float)
    out = np.empty(lo.shape)
    for i in np.ndindex(lo.shape):
        out[i] = brentq(_sd_function, lo[i], hi[i], args=(a[i], c[i]), xtol=1e-12)
    return out


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
    return expit(_solve(lo, hi, a, c))


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


# --------------------------------------------------------------------------- fit


@dataclass(frozen=True, eq=False)
class SDFit:
    """Result of :func:`fit_sd`: parameters with su's, regime, fitted curve.

    Values are in the units of their names (kJ mol⁻¹, J mol⁻¹ K⁻¹, K, cm³ K mol⁻¹;
    ``tip`` in cm³ mol⁻¹). Each ``*_su`` is the standard uncertainty from the
    least-squares Jacobian scaled by the reduced χ² (see :func:`fit_sd`); fixed
    parameters have su nan, parameters the data do not determine su inf. ``notes``
    lists such caveats (a parameter at its bound, T½ outside the data) in words.
    """

    dH_kJ_mol: float
    dH_su: float
    dS_J_mol_K: float
    dS_su: float
    Gamma_kJ_mol: float
    Gamma_su: float
    T_half_K: float
    T_half_su: float
    chi_mt_ls: float
    chi_mt_ls_su: float
    chi_mt_hs: float
    chi_mt_hs_su: float
    tip: float
    tip_su: float
    hs_residual_fraction: float
    hs_residual_fraction_su: float
    ls_residual_fraction: float
    ls_residual_fraction_su: float
    Gamma_critical_kJ_mol: float
    hysteresis: bool
    T_down_K: float
    T_up_K: float
    hysteresis_width_K: float
    chi2_red: float
    rms: float
    n_points: int
    n_parameters: int
    sweep: str
    path: str | None
    notes: tuple[str, ...]
    correlation: pd.DataFrame = field(repr=False)
    curve: pd.DataFrame = field(repr=False)

    @property
    def regime(self) -> str:
        """``'gradual'`` (Γ < 2RT½) or ``'first-order (hysteresis)'`` (Γ > 2RT½)."""
        return "first-order (hysteresis)" if self.hysteresis else "gradual"

    def model(self, T: ArrayLike, branch: Branch | ArrayLike = "cooling") -> np.ndarray:
        """The fitted χMT at any temperatures."""
        return chi_mt_sd(
            T,
            self.dH_kJ_mol,
            self.dS_J_mol_K,
            self.Gamma_kJ_mol,
            self.chi_mt_ls,
            self.chi_mt_hs,
            self.tip,
            branch=branch,
        )

    def as_dict(self) -> dict[str, float | int | bool | str | None]:
        """Every scalar result, plus ``corr_<p>_<q>`` for the pairs of ΔH, ΔS, Γ."""
        out: dict[str, float | int | bool | str | None] = {}
        for name in self.__dataclass_fields__:
            if name in ("correlation", "curve", "notes"):
                continue
            out[name] = getattr(self, name)
        out["Gamma_over_2RT_half"] = float(self.Gamma_kJ_mol / self.Gamma_critical_kJ_mol)
        out["regime"] = self.regime
        out["notes"] = "; ".join(self.notes)
        keys = ("dH", "dS", "Gamma")
        for i, p in enumerate(keys):
            for q in keys[i + 1 :]:
                if p in self.correlation.index and q in self.correlation.columns:
                    out[f"corr_{p}_{q}"] = float(self.correlation.loc[p, q])
                else:
                    out[f"corr_{p}_{q}"] = math.nan
        return out

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame of :meth:`as_dict` (value and ``_su`` columns side by side)."""
        return pd.DataFrame([self.as_dict()])


_PARAMETERS = ("dH", "dS", "Gamma", "T_half", "chi_mt_ls", "chi_mt_hs", "tip")


def _as_frame(data: pd.DataFrame | str | Path) -> pd.DataFrame:
    if isinstance(data, str | Path):
        return read_chimt(data)
    if not {"temperature_K", "chi_mt"} <= set(data.columns):
        raise InputError("χMT(T) data need columns temperature_K and chi_mt")
    df = data.copy()
    if "branch" not in df.columns:
        df["branch"] = "unspecified"
    df.attrs = dict(data.attrs)
    t = pd.to_numeric(df["temperature_K"], errors="coerce").to_numpy(dtype=float)
    chi = pd.to_numeric(df["chi_mt"], errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(t) & (t > 0) & np.isfinite(chi))
    if bad.any():
        raise InputError(
            f"row {int(np.argmax(bad))}: temperature_K must be positive and chi_mt finite",
            path=df.attrs.get("path"),
        )
    return df


def _crossing(t: np.ndarray, chi: np.ndarray, level: float) -> float:
    """First temperature (from low T) where χMT crosses ``level``, by linear interpolation."""
    above = chi >= level
    idx = np.flatnonzero(above[1:] != above[:-1])
    if idx.size == 0:
        return math.nan
    i = idx[0]
    return float(t[i] + (level - chi[i]) * (t[i + 1] - t[i]) / (chi[i + 1] - chi[i]))


def _initial_guess(t: np.ndarray, chi: np.ndarray, branch: np.ndarray) -> tuple[float, ...]:
    """T½, ΔH (kJ/mol), χMT_LS, χMT_HS from the 25/50/75 % crossings, assuming Γ = 0."""
    order = np.argsort(t, kind="stable")
    k = max(3, t.size // 20)
    chi_ls = float(np.median(chi[order[:k]]))
    chi_hs = float(np.median(chi[order[-k:]]))
    levels = {q: chi_ls + q * (chi_hs - chi_ls) for q in (0.25, 0.5, 0.75)}
    crossings: dict[float, list[float]] = {q: [] for q in levels}
    for name in np.unique(branch):
        sel = branch == name
        o = np.argsort(t[sel], kind="stable")
        for q, level in levels.items():
            value = _crossing(t[sel][o], chi[sel][o], level)
            if math.isfinite(value):
                crossings[q].append(value)
    t_half = float(np.mean(crossings[0.5])) if crossings[0.5] else float(np.median(t))
    dh = 20.0
    if crossings[0.25] and crossings[0.75]:
        t25, t75 = np.mean(crossings[0.25]), np.mean(crossings[0.75])
        if t75 > t25:
            # Γ = 0: ΔH/RT − ΔS/R = ±ln 3 at γ = ¼, ¾  ⇒  ΔH = 2R ln3 / (1/T¼ − 1/T¾)
            dh = 2.0 * R_GAS * math.log(3.0) / (1.0 / t25 - 1.0 / t75) / 1e3
    return t_half, float(np.clip(dh, 2.0, 150.0)), chi_ls, chi_hs


def _loop_starts(df: pd.DataFrame, t_half0: float) -> list[tuple[float, float, float]]:
    """Starts (T½, ΔH, Γ) whose spinodal loop has the width seen in the data.

    The jumps of a hysteresis loop move with the parameters without a useful gradient,
    so the fit must start with a loop of about the right width: for a few typical ΔS
    (50, 80, 110 J mol⁻¹ K⁻¹) Γ is solved from T↑ − T↓ = the d(χMT)/dT loop width.
    """
    try:
        width = t_half_derivative(df).hysteresis_width_K
    except InputError:
        return []
    if not width > 0:
        return []
    starts = []
    for dS0 in (50.0, 80.0, 110.0):
        dh0 = dS0 * t_half0 / 1e3
        gamma_c = 2.0 * R_GAS * t_half0 / 1e3

        def excess(g: float, dh0: float = dh0, dS0: float = dS0) -> float:
            t_down, t_up = spinodal_temperatures(dh0, dS0, g)
            return t_up - t_down - width

        g_hi = 4.0 * gamma_c
        g0 = g_hi if excess(g_hi) < 0 else brentq(excess, gamma_c * (1 + 1e-6), g_hi, xtol=1e-6)
        starts.append((t_half0, dh0, g0))
    return starts


def fit_sd(
    data: pd.DataFrame | str | Path,
    *,
    tip: bool = False,
    Gamma: float | None = None,
    sweep: Branch = "cooling",
    sigma: ArrayLike | None = None,
    chi_mt_ls_pure: float = 0.0,
    chi_mt_hs_pure: float | None = None,
) -> SDFit:
    r"""Least-squares fit of the Slichter–Drickamer model to χMT(T).

    Model (module docstring; Slichter & Drickamer 1972, Kahn 1993):
    χMT = χMT_LS + γ(T; ΔH, ΔS, Γ)(χMT_HS - χMT_LS) [+ TIP·T], γ from :func:`gamma_hs`
    on each point's branch. Refined: T½, ΔH, Γ, χMT_LS, χMT_HS (and TIP); ΔS = ΔH/T½.
    Refining T½ rather than ΔS removes most of the ΔH–ΔS correlation from the
    minimisation; the reported covariances do not depend on this choice.

    Standard uncertainties: ``scipy.optimize.least_squares`` (trust-region reflective,
    central-difference Jacobian J of the weighted residuals) gives
    V = s²(JᵀJ)⁻¹ (pseudo-inverse by SVD), s² = Σr²/(n - p) the reduced χ², so su's
    are scaled by the goodness of fit as in ``curve_fit(absolute_sigma=False)``. ΔS,
    T½, the residual fractions and the correlation matrix follow from V by linear
    propagation, V' = A V Aᵀ with A the derivatives of the reported quantities.
    Several starts (Γ = 0 and, for a loop in the data, Γ beyond 2RT½) are tried and
    the lowest χ² is kept. For a loop, the temperatures of the jumps move stepwise
    between data points and carry no Jacobian information: the su's then reflect the
    smooth parts of the branches only, and the model loop T↓, T↑ has no su.

    Parameters
    ----------
    data
        DataFrame from :func:`coordgeo.io.magdata.read_chimt` (``temperature_K``,
        ``chi_mt``, optional ``branch``) or a path to read.
    tip
        Also refine a temperature-independent paramagnetism term TIP·T (cm³ mol⁻¹).
    Gamma
        Fix Γ (kJ mol⁻¹) instead of refining it, e.g. 0 for the ideal-solution model.
    sweep
        Model branch for points whose branch is ``'unspecified'`` (matters only when
        Γ > 2RT½): ``'cooling'`` (default; SI fits are usually of the cooling curve),
        ``'heating'`` or ``'equilibrium'``.
    sigma
        Per-point su of χMT (weights 1/σ²); default unit weights.
    chi_mt_ls_pure, chi_mt_hs_pure
        χMT of a sample entirely LS / entirely HS (same units), used for the residual
        fractions. Defaults: 0 for pure LS (Fe(II); use ~0.4 for LS Co(II), S = ½, and
        add other paramagnetic ions of the formula) and the fitted χMT_HS for pure HS.

    Returns
    -------
    SDFit
        ``hs_residual_fraction`` = (χMT_LS - χ_LS,pure)/(χ_HS,pure - χ_LS,pure) is the HS
        fraction left at low T; ``ls_residual_fraction`` = (χ_HS,pure - χMT_HS)/(…) the
        LS fraction left at high T (nan without ``chi_mt_hs_pure``). ``hysteresis`` is
        Γ > 2RT½, with the model's loop T↓, T↑ (:func:`spinodal_temperatures`).

    Raises
    ------
    coordgeo.errors.InputError
        Too few points, or a fit that does not converge.
    """
    df = _as_frame(data)
    where = df.attrs.get("path")
    if sweep not in _BRANCHES:
        raise ValueError(f"sweep must be one of {_BRANCHES}, got {sweep!r}")
    t = df["temperature_K"].to_numpy(dtype=float)
    chi = df["chi_mt"].to_numpy(dtype=float)
    labels = df["branch"].astype(str).to_numpy()
    model_branch = np.where(np.isin(labels, ("cooling", "heating")), labels, sweep)
    weights = np.ones_like(chi) if sigma is None else 1.0 / np.asarray(sigma, dtype=float)
    if weights.shape != chi.shape or not np.all(np.isfinite(weights) & (weights > 0)):
        raise ValueError("sigma must give one positive su per data point")

    names = ["T_half", "dH"] + (["Gamma"] if Gamma is None else []) + ["chi_mt_ls", "chi_mt_hs"]
    names += ["tip"] if tip else []
    n_min = len(names) + 3
    if t.size < n_min:
        raise InputError(
            f"only {t.size} data points; the Slichter–Drickamer fit of {len(names)} "
            f"parameters needs at least {n_min}",
            path=where,
        )
    if np.ptp(chi) <= 0:
        raise InputError(
            "χMT does not change with temperature: no spin transition to fit", path=where
        )

    def unpack(p: np.ndarray) -> dict[str, float]:
        values = dict(zip(names, p, strict=True))
        values.setdefault("Gamma", Gamma if Gamma is not None else 0.0)
        values.setdefault("tip", 0.0)
        return values

    def residuals(p: np.ndarray) -> np.ndarray:
        v = unpack(p)
        dS = 1e3 * v["dH"] / v["T_half"]
        calc = chi_mt_sd(
            t, v["dH"], dS, v["Gamma"], v["chi_mt_ls"], v["chi_mt_hs"], v["tip"] * 1e-3,
            branch=model_branch,
        )  # fmt: skip
        return (calc - chi) * weights

    t_half0, dh0, chi_ls0, chi_hs0 = _initial_guess(t, chi, labels)
    bounds_by_name = {
        "T_half": (1.0, 5000.0),
        "dH": (0.05, 400.0),
        "Gamma": (-100.0, 100.0),
        "chi_mt_ls": (-np.inf, np.inf),
        "chi_mt_hs": (-np.inf, np.inf),
        "tip": (-np.inf, np.inf),  # refined in 10⁻³ cm³ mol⁻¹ for scaling
    }
    lower = np.array([bounds_by_name[n][0] for n in names])
    upper = np.array([bounds_by_name[n][1] for n in names])

    starts = [(t_half0, dh0, 0.0 if Gamma is None else Gamma)]
    if Gamma is None and {"cooling", "heating"} <= set(labels):
        starts += _loop_starts(df, t_half0)
    best = None
    last_error = "no start converged"
    for t_half_start, dh_start, gamma_start in starts:
        start = {"T_half": t_half_start, "dH": dh_start, "Gamma": gamma_start}
        start |= {"chi_mt_ls": chi_ls0, "chi_mt_hs": chi_hs0, "tip": 0.0}
        p0 = np.clip([start[n] for n in names], lower + 1e-9, upper - 1e-9)
        try:
            res = least_squares(
                residuals, p0, bounds=(lower, upper), jac="3-point", x_scale="jac",
                xtol=1e-12, ftol=1e-12, gtol=1e-12, max_nfev=400 * len(names),
            )  # fmt: skip
        except ValueError as exc:  # non-finite residuals from a runaway start
            last_error = str(exc)
            continue
        if best is None or res.cost < best.cost:
            best = res
    if best is None or not np.all(np.isfinite(best.x)):
        raise InputError(f"Slichter–Drickamer fit failed: {last_error}", path=where)
    if best.status <= 0:
        raise InputError(f"Slichter–Drickamer fit did not converge: {best.message}", path=where)

    n, p = t.size, len(names)
    chi2_red = 2.0 * best.cost / (n - p)
    _, s, vt = np.linalg.svd(best.jac, full_matrices=False)
    keep = s > np.finfo(float).eps * max(best.jac.shape) * s[0]
    cov_p = (vt[keep].T / s[keep] ** 2) @ vt[keep] * chi2_red

    v = unpack(best.x)
    dS = 1e3 * v["dH"] / v["T_half"]
    chi_ls_pure = chi_mt_ls_pure
    chi_hs_pure = v["chi_mt_hs"] if chi_mt_hs_pure is None else chi_mt_hs_pure
    span = chi_hs_pure - chi_ls_pure

    # reported quantities q and their derivatives A = ∂q/∂p (linear su propagation)
    index = {name: i for i, name in enumerate(names)}
    reported = [*_PARAMETERS, "hs_residual", "ls_residual"]
    A = np.zeros((len(reported), p))

    def set_row(row: str, derivatives: dict[str, float]) -> None:
        for name, value in derivatives.items():
            if name in index:
                A[reported.index(row), index[name]] = value

    set_row("dH", {"dH": 1.0})
    set_row("dS", {"dH": 1e3 / v["T_half"], "T_half": -dS / v["T_half"]})
    set_row("Gamma", {"Gamma": 1.0})
    set_row("T_half", {"T_half": 1.0})
    set_row("chi_mt_ls", {"chi_mt_ls": 1.0})
    set_row("chi_mt_hs", {"chi_mt_hs": 1.0})
    set_row("tip", {"tip": 1e-3})
    hs_residual = (v["chi_mt_ls"] - chi_ls_pure) / span
    if chi_mt_hs_pure is None:
        # f = (χ_LS − a)/(χ_HS − a): both from the fit
        set_row("hs_residual", {"chi_mt_ls": 1.0 / span, "chi_mt_hs": -hs_residual / span})
        ls_residual = math.nan
    else:
        set_row("hs_residual", {"chi_mt_ls": 1.0 / span})
        ls_residual = (chi_hs_pure - v["chi_mt_hs"]) / span
        set_row("ls_residual", {"chi_mt_hs": -1.0 / span})
    cov = A @ cov_p @ A.T
    su = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    refined = np.any(A != 0, axis=1)
    # directions the data do not determine (zero singular values) have infinite su
    null = vt[~keep]
    if null.size:
        leak = np.linalg.norm(A @ null.T, axis=1) > 1e-6 * np.linalg.norm(A, axis=1)
        su = np.where(leak, math.inf, su)
    su = np.where(refined, su, math.nan)
    if chi_mt_hs_pure is None:
        su[reported.index("ls_residual")] = math.nan

    corr_names = [q for q in _PARAMETERS if refined[reported.index(q)]]
    idx = [reported.index(q) for q in corr_names]
    sub = cov[np.ix_(idx, idx)]
    d = np.sqrt(np.diag(sub))
    with np.errstate(divide="ignore", invalid="ignore"):
        correlation = pd.DataFrame(sub / np.outer(d, d), index=corr_names, columns=corr_names)

    notes = []
    if null.size:
        notes.append("the data do not determine all parameters (infinite su's)")
    at_bound = [n for n, x, lo, hi in zip(names, best.x, lower, upper, strict=True)
                if np.isclose(x, lo) or np.isclose(x, hi)]  # fmt: skip
    if at_bound:
        notes.append(f"fit stopped at a bound of {', '.join(at_bound)}")
    if not t.min() <= v["T_half"] <= t.max():
        notes.append(f"T½ = {v['T_half']:.0f} K lies outside the measured range")
    t_down, t_up = spinodal_temperatures(v["dH"], dS, v["Gamma"])
    gamma_c = float(2.0 * R_GAS * v["T_half"] / 1e3)
    calc = residuals(best.x) / weights + chi
    curve = pd.DataFrame(
        {
            "temperature_K": t,
            "branch": model_branch,
            "chi_mt": chi,
            "chi_mt_calc": calc,
            "gamma_hs": gamma_hs(t, v["dH"], dS, v["Gamma"], branch=model_branch),
            "residual": chi - calc,
        }
    )

    values = {
        "dH": v["dH"],
        "dS": dS,
        "Gamma": v["Gamma"],
        "T_half": v["T_half"],
        "chi_mt_ls": v["chi_mt_ls"],
        "chi_mt_hs": v["chi_mt_hs"],
        "tip": v["tip"] * 1e-3,
        "hs_residual": hs_residual,
        "ls_residual": ls_residual,
    }

    def pair(name: str) -> tuple[float, float]:
        return float(values[name]), float(su[reported.index(name)])

    return SDFit(
        *pair("dH"),
        *pair("dS"),
        *pair("Gamma"),
        *pair("T_half"),
        *pair("chi_mt_ls"),
        *pair("chi_mt_hs"),
        *pair("tip"),
        *pair("hs_residual"),
        *pair("ls_residual"),
        Gamma_critical_kJ_mol=gamma_c,
        hysteresis=bool(v["Gamma"] > gamma_c),
        T_down_K=float(t_down),
        T_up_K=float(t_up),
        hysteresis_width_K=float(t_up - t_down),
        chi2_red=float(chi2_red),
        rms=float(np.sqrt(np.mean((chi - calc) ** 2))),
        n_points=int(n),
        n_parameters=int(p),
        sweep=sweep,
        path=where,
        notes=tuple(notes),
        correlation=correlation,
        curve=curve,
    )


# --------------------------------------------------------------------------- d(χMT)/dT


@dataclass(frozen=True, eq=False)
class DerivativeTHalf:
    """T½ from the maximum of d(χMT)/dT, per branch (as in Fig. S11 of the seed paper).

    ``T_half_down_K`` is the cooling-branch value (T½↓), ``T_half_up_K`` the heating one
    (T½↑), ``hysteresis_width_K`` = T½↑ - T½↓ (nan unless both branches were measured),
    and ``T_half_K`` the mean over the branches. ``branches`` has one row per branch,
    ``curve`` the smoothed derivative for plotting.
    """

    T_half_K: float
    T_half_down_K: float
    T_half_up_K: float
    hysteresis_width_K: float
    branches: pd.DataFrame = field(repr=False)
    curve: pd.DataFrame = field(repr=False)

    def as_dict(self) -> dict[str, float]:
        return {
            "T_half_deriv_K": self.T_half_K,
            "T_half_deriv_down_K": self.T_half_down_K,
            "T_half_deriv_up_K": self.T_half_up_K,
            "deriv_hysteresis_width_K": self.hysteresis_width_K,
        }

    def to_frame(self) -> pd.DataFrame:
        return self.branches.copy()


def _default_window(t: np.ndarray, chi: np.ndarray, step: float) -> float:
    """Half the 25–75 % width of the transition, at least 5 grid steps.

    Scaling the window with the transition keeps the smoothing bias a small, fixed
    fraction of the peak width while averaging the noise of gradual curves over many
    points; an abrupt step keeps the narrow 5-point window.
    """
    low, high = np.median(chi[:3]), np.median(chi[-3:])
    t25 = _crossing(t, chi, low + 0.25 * (high - low))
    t75 = _crossing(t, chi, low + 0.75 * (high - low))
    spread = abs(t75 - t25) if math.isfinite(t25) and math.isfinite(t75) else 0.0
    return max(5.0 * step, 0.5 * spread)


def t_half_derivative(
    data: pd.DataFrame | str | Path, *, window_K: float | None = None
) -> DerivativeTHalf:
    """T½ as the temperature of maximum d(χMT)/dT on each branch.

    Each branch is sorted by T (duplicates averaged), interpolated linearly onto an
    even grid of its median step, and differentiated with a Savitzky–Golay filter
    (local quadratic, ``scipy.signal.savgol_filter``) over ``window_K`` kelvin
    (default: half the 25–75 % width of the transition, at least 5 points); the
    maximum is refined by a parabola through the three highest points. For an abrupt
    (hysteretic) transition this is the temperature of the step. For a gradual one it
    is *not* ΔH/ΔS: for Γ = 0, dγ/dT = γ(1-γ)ΔH/RT² peaks where 1 - 2γ = 2RT/ΔH, a
    little below T½ (≈ 7 K for ΔH = 21.9 kJ mol⁻¹, T½ = 250 K).
    """
    df = _as_frame(data)
    where = df.attrs.get("path")
    rows = []
    curves = []
    for name, part in df.groupby(df["branch"].astype(str), sort=True):
        mean = part.groupby("temperature_K", sort=True)["chi_mt"].mean()
        t, chi = mean.index.to_numpy(dtype=float), mean.to_numpy(dtype=float)
        if t.size < 5:
            raise InputError(
                f"{name} branch has {t.size} temperatures; d(χMT)/dT needs at least 5",
                path=where,
            )
        step = float(np.median(np.diff(t)))
        grid = np.arange(t[0], t[-1] + 0.5 * step, step)
        on_grid = np.interp(grid, t, chi)
        width = _default_window(grid, on_grid, step) if window_K is None else window_K
        points = max(5, round(width / step) | 1)
        points = min(points, grid.size if grid.size % 2 else grid.size - 1)
        if points < 3:
            raise InputError(f"{name} branch too short for d(χMT)/dT", path=where)
        slope = savgol_filter(on_grid, points, min(2, points - 1), deriv=1, delta=step)
        # χMT rises with T for a normal (LS → HS on warming) transition
        trend = 1.0 if on_grid[-1] >= on_grid[0] else -1.0
        i = int(np.argmax(trend * slope))
        t_max = float(grid[i])
        if 0 < i < grid.size - 1:
            y0, y1, y2 = trend * slope[i - 1 : i + 2]
            curvature = y0 - 2.0 * y1 + y2
            if curvature < 0:
                t_max += step * 0.5 * (y0 - y2) / curvature
        rows.append(
            {
                "branch": name,
                "T_half_K": t_max,
                "dchi_mt_dT_max": float(slope[i]),
                "n_points": int(t.size),
                "window_K": points * step,
            }
        )
        curves.append(pd.DataFrame({"branch": name, "temperature_K": grid, "dchi_mt_dT": slope}))
    branches = pd.DataFrame(rows)
    by_branch = dict(zip(branches["branch"], branches["T_half_K"], strict=True))
    down = by_branch.get("cooling", math.nan)
    up = by_branch.get("heating", math.nan)
    return DerivativeTHalf(
        T_half_K=float(branches["T_half_K"].mean()),
        T_half_down_K=down,
        T_half_up_K=up,
        hysteresis_width_K=up - down,
        branches=branches,
        curve=pd.concat(curves, ignore_index=True),
    )


# --------------------------------------------------------------------------- plot

_COLOURS = {"cooling": "tab:blue", "heating": "tab:red", "equilibrium": "tab:green"}


def plot_sd_fit(fit: SDFit, path: str | Path | None = None):
    """χMT(T) data (points) and the fitted SD curve (lines, per branch); save to ``path``.

    Uses :class:`matplotlib.figure.Figure` directly (no pyplot, no GUI backend), so it
    works in scripts, notebooks and headless servers. Returns the Figure.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.5, 4.0), layout="constrained")
    FigureCanvasAgg(fig)  # headless; savefig still picks the SVG/PDF writer by suffix
    ax = fig.add_subplot()
    curve = fit.curve
    t_dense = np.linspace(curve["temperature_K"].min(), curve["temperature_K"].max(), 600)
    for name, part in curve.groupby("branch", sort=True):
        colour = _COLOURS.get(str(name), "k")
        ax.plot(part["temperature_K"], part["chi_mt"], "o", ms=3, mfc="none", color=colour,
                label=f"data ({name})")  # fmt: skip
        ax.plot(t_dense, fit.model(t_dense, branch=str(name)), "-", color=colour,
                label=f"SD fit ({name})")  # fmt: skip
    ax.set_xlabel("T / K")
    ax.set_ylabel("χMT / cm³ K mol⁻¹")
    ax.set_title(
        f"ΔH = {fit.dH_kJ_mol:.2f} kJ/mol, ΔS = {fit.dS_J_mol_K:.1f} J/mol/K, "
        f"Γ = {fit.Gamma_kJ_mol:.2f} kJ/mol, T½ = {fit.T_half_K:.1f} K",
        fontsize=8,
    )
    ax.legend(fontsize=7)
    if path is not None:
        fig.savefig(path, dpi=150)
    return fig
