r"""Least-squares Slichter–Drickamer fits of χMT(T): one or two steps, TIP, baselines.

Models (units of :mod:`coordgeo.magnetism.sd`)
------------------------------------------------

- one step (:func:`fit_sd`): χMT = χMT_LS + γ(T; ΔH, ΔS, Γ)(χMT_HS − χMT_LS) [+ TIP·T];
- two steps (:func:`fit_sd_two_step`): γ = f·γ₁(T; ΔH₁, ΔS₁, Γ₁) + (1 − f)·γ₂(T; ΔH₂,
  ΔS₂, Γ₂) (:func:`coordgeo.magnetism.sd.gamma_two_step`), step 1 the one at lower T.

γ is taken on each point's branch (cooling/heating; ``sweep`` for unlabelled points).
Each step is refined as (T½, ΔH) with ΔS = ΔH/T½, which removes most of the ΔH–ΔS
correlation from the minimisation (the reported covariances do not depend on it). Any
parameter can be held fixed (``fix``), e.g. ΔH and ΔS from calorimetry (DSC); T½, ΔH
and ΔS are tied, so at most two of them can be fixed.

TIP. A temperature-independent paramagnetism (or an error in the diamagnetic
correction) adds TIP·T; left out, it tilts both plateaus and biases ΔH and ΔS. Without
``tip`` the fit regresses its residuals on T over each plateau (γ ≤ 0.03 and γ ≥ 0.97,
separate intercepts, inverse-variance weighted common slope) and notes a slope beyond
:data:`TIP_T_LIMIT` su's.

LS baseline. ``chi_mt_ls_pure`` is χMT of the sample entirely LS: the non-switching ions
of the formula (e.g. two LS Fe(III), :func:`coordgeo.magnetism.ions.non_switching_chi_mt`)
plus the switching ion's own LS value (0 for Fe(II), ≈ 0.4 for Co(II)). It is the
baseline of the HS residual fraction r = (χMT_LS − baseline)/(χMT_HS,pure − baseline),
reported as ``chi_mt_non_switching``. To force the low-T plateau onto the baseline (no
residue), fix ``chi_mt_ls`` too.

Model checks. The residuals, in temperature order per branch, go through the von Neumann
ratio of successive differences (:func:`coordgeo.magnetism.data.von_neumann_test`); z
below −:data:`SERIAL_Z_LIMIT` (neighbouring residuals far more alike than noise makes
them) is noted as systematic misfit — for a one-step fit typically a second step. The
note also gives the Wald–Wolfowitz runs test of the residual signs
(:func:`coordgeo.magnetism.data.runs_test`), which is not used alone: with unit weights
and relative noise, a precisely measured LS plateau shows long same-sign runs of
misfits far below the fit's noise level. On synthetic curves with 1 % noise the ratio
gives z = −11 for a one-step fit of a two-step curve and |z| < 3 for correct models.
:func:`compare_models` puts AIC, BIC and reduced χ² of fits of the same data side by side.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from coordgeo.errors import InputError
from coordgeo.magnetism.data import (
    MAX_FIT_POINTS,
    as_chimt_frame,
    bin_points,
    information_criteria,
    runs_test,
    von_neumann_test,
)
from coordgeo.magnetism.derivative import crossing, derivative_extremum, t_half_derivative
from coordgeo.magnetism.engine import Refinement, correlation, propagate, refine
from coordgeo.magnetism.ions import non_switching_chi_mt
from coordgeo.magnetism.sd import (
    _BRANCHES,
    R_GAS,
    Branch,
    SDParameters,
    chi_mt_sd,
    gamma_hs,
    gamma_two_step,
    parse_fixed,
    spinodal_temperatures,
)

#: A von Neumann z below −SERIAL_Z_LIMIT is noted as systematic misfit.
SERIAL_Z_LIMIT = 3.0
#: A plateau slope of more than TIP_T_LIMIT su's without TIP is noted.
TIP_T_LIMIT = 4.0

_INF = math.inf
_BOUNDS = {
    "T_half": (1.0, 5000.0),
    "dH": (0.05, 400.0),
    "dS": (0.1, 2000.0),
    "Gamma": (-100.0, 100.0),
    "chi_mt_ls": (-_INF, _INF),
    "chi_mt_hs": (-_INF, _INF),
    "tip": (-_INF, _INF),
    "fraction": (0.0, 1.0),
}
_SCALE = {"tip": 1e-3}  # TIP is refined in 10⁻³ cm³ mol⁻¹ so that all steps are similar


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class SDFit:
    """Result of :func:`fit_sd`: parameters with su's, regime, fitted curve.

    Values are in the units of their names (kJ mol⁻¹, J mol⁻¹ K⁻¹, K, cm³ K mol⁻¹;
    ``tip`` in cm³ mol⁻¹). Each ``*_su`` is the standard uncertainty from the
    least-squares Jacobian scaled by the reduced χ² (:mod:`coordgeo.magnetism.engine`);
    fixed parameters have su nan, parameters the data do not determine su inf.
    ``notes`` lists caveats (a parameter at its bound, T½ outside the data, binned
    data, systematic residuals, a missing TIP) in words. ``chi2`` is the weighted sum
    of squared residuals, ``aic``/``bic`` the information criteria
    (:func:`coordgeo.magnetism.data.information_criteria`), ``runs_z`` the runs-test z,
    ``serial_z`` the von Neumann z and ``tip_trend_t`` the plateau slope in su's (nan
    when TIP is refined).
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
    chi_mt_non_switching: float
    chi2: float
    aic: float
    bic: float
    runs_z: float
    serial_z: float
    tip_trend_t: float
    fixed: tuple[str, ...]
    correlation: pd.DataFrame = field(repr=False)
    curve: pd.DataFrame = field(repr=False)
    model_name: str = "one-step"

    @property
    def regime(self) -> str:
        """``'gradual'`` (Γ < 2RT½) or ``'first-order (hysteresis)'`` (Γ > 2RT½)."""
        return "first-order (hysteresis)" if self.hysteresis else "gradual"

    def parameters(self) -> SDParameters:
        """ΔH, ΔS, Γ with su's as :class:`coordgeo.magnetism.SDParameters`."""
        return SDParameters.from_fit(self)

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

    def gamma(self, T: ArrayLike, branch: Branch | ArrayLike = "cooling") -> np.ndarray:
        """The fitted γ_HS at any temperatures."""
        return gamma_hs(T, self.dH_kJ_mol, self.dS_J_mol_K, self.Gamma_kJ_mol, branch=branch)

    def as_dict(self) -> dict[str, float | int | bool | str | None]:
        """Every scalar result, plus ``corr_<p>_<q>`` for the pairs of ΔH, ΔS, Γ."""
        out = _scalars(self)
        out["Gamma_over_2RT_half"] = float(self.Gamma_kJ_mol / self.Gamma_critical_kJ_mol)
        out["regime"] = self.regime
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


@dataclass(frozen=True, eq=False)
class TwoStepSDFit:
    """Result of :func:`fit_sd_two_step` (attributes as in :class:`SDFit`).

    ``steps`` has one row per step (1 = lower T½): ``fraction`` (share of the
    switching centres), ``dH_kJ_mol``, ``dS_J_mol_K``, ``Gamma_kJ_mol``, ``T_half_K``,
    each with ``_su``, and ``Gamma_critical_kJ_mol``, ``hysteresis``, ``T_down_K``,
    ``T_up_K``. ``fraction`` is the share of step 1 (the plateau between the steps
    lies at γ = fraction).
    """

    steps: pd.DataFrame
    fraction: float
    fraction_su: float
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
    chi2_red: float
    rms: float
    n_points: int
    n_parameters: int
    sweep: str
    path: str | None
    notes: tuple[str, ...]
    chi_mt_non_switching: float
    chi2: float
    aic: float
    bic: float
    runs_z: float
    serial_z: float
    tip_trend_t: float
    fixed: tuple[str, ...]
    correlation: pd.DataFrame = field(repr=False)
    curve: pd.DataFrame = field(repr=False)
    model_name: str = "two-step"

    def step_parameters(self, step: int) -> SDParameters:
        """ΔH, ΔS, Γ of step 1 or 2 with su's."""
        row = self.steps.loc[step]
        return SDParameters(
            float(row["dH_kJ_mol"]),
            float(row["dS_J_mol_K"]),
            float(row["Gamma_kJ_mol"]),
            float(row["dH_su"]),
            float(row["dS_su"]),
            float(row["Gamma_su"]),
            f"step {step} of the fit of {self.path}" if self.path else f"step {step}",
        )

    def gamma(self, T: ArrayLike, branch: Branch | ArrayLike = "cooling") -> np.ndarray:
        """The fitted γ_HS (both steps) at any temperatures."""
        s1, s2 = self.step_parameters(1), self.step_parameters(2)
        steps = tuple((s.dH_kJ_mol, s.dS_J_mol_K, s.Gamma_kJ_mol) for s in (s1, s2))
        return gamma_two_step(T, steps, self.fraction, branch=branch)

    def model(self, T: ArrayLike, branch: Branch | ArrayLike = "cooling") -> np.ndarray:
        """The fitted χMT at any temperatures."""
        T = np.asarray(T, dtype=float)
        span = self.chi_mt_hs - self.chi_mt_ls
        return self.chi_mt_ls + self.gamma(T, branch) * span + self.tip * T

    def as_dict(self) -> dict[str, float | int | bool | str | None]:
        """Every scalar result; step values as ``dH1_kJ_mol``, ``dH1_su``, … ``T_half2_K``."""
        out = _scalars(self, skip=("steps",))
        for step, row in self.steps.iterrows():
            for name, value in row.items():
                unit = name.split("_", 1)
                key = f"{unit[0]}{step}_{unit[1]}" if len(unit) == 2 else f"{name}{step}"
                out[key] = value.item() if hasattr(value, "item") else value
        return out

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.as_dict()])


def _scalars(fit: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in fit.__dataclass_fields__:
        if name in ("correlation", "curve", "notes", "fixed", *skip):
            continue
        out[name] = getattr(fit, name)
    out["fixed"] = ", ".join(fit.fixed)
    out["notes"] = "; ".join(fit.notes)
    return out


def compare_models(*fits: SDFit | TwoStepSDFit) -> pd.DataFrame:
    """AIC, BIC and reduced χ² of fits of the same data, best (lowest AIC) first.

    Columns ``model, n_points, n_parameters, chi2, chi2_red, rms, aic, bic, delta_aic,
    delta_bic``; ΔAIC/ΔBIC are relative to the lowest value. The fits must have the same
    points (same data, same binning).
    """
    if len({f.n_points for f in fits}) > 1:
        raise InputError("models can only be compared on the same data points")
    rows = [
        {
            "model": f.model_name,
            "n_points": f.n_points,
            "n_parameters": f.n_parameters,
            "chi2": f.chi2,
            "chi2_red": f.chi2_red,
            "rms": f.rms,
            "aic": f.aic,
            "bic": f.bic,
        }
        for f in fits
    ]
    df = pd.DataFrame(rows)
    df["delta_aic"] = df["aic"] - df["aic"].min()
    df["delta_bic"] = df["bic"] - df["bic"].min()
    return df.sort_values("aic", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, eq=False)
class _Data:
    t: np.ndarray
    chi: np.ndarray
    labels: np.ndarray  # branch as measured (cooling/heating/unspecified)
    branch: np.ndarray  # model branch of each point
    weights: np.ndarray
    where: str | None
    notes: tuple[str, ...]
    frame: pd.DataFrame  # the (binned) points, for the d(χMT)/dT starts


def _prepare(
    data: pd.DataFrame | str | Path, sweep: str, sigma: ArrayLike | None, max_points: int
) -> _Data:
    if sweep not in _BRANCHES:
        raise ValueError(f"sweep must be one of {_BRANCHES}, got {sweep!r}")
    df = as_chimt_frame(data)
    where = df.attrs.get("path")
    t = df["temperature_K"].to_numpy(dtype=float)
    chi = df["chi_mt"].to_numpy(dtype=float)
    labels = df["branch"].astype(str).to_numpy()
    su = None
    if sigma is not None:
        su = np.asarray(sigma, dtype=float)
        if su.shape != chi.shape or not np.all(np.isfinite(su) & (su > 0)):
            raise ValueError("sigma must give one positive su per data point")
    t, chi, labels, rel_su, note = bin_points(t, chi, labels, max_points, sigma=su)
    notes = tuple(df.attrs.get("notes", ())) + ((note,) if note else ())
    branch = np.where(np.isin(labels, ("cooling", "heating")), labels, sweep)
    frame = pd.DataFrame({"temperature_K": t, "chi_mt": chi, "branch": labels})
    frame.attrs["path"] = where
    return _Data(t, chi, labels, branch, 1.0 / rel_su, where, notes, frame)


def _fixed(fix: str | dict | None, Gamma: float | None, steps: int) -> dict[str, float]:
    fixed = parse_fixed(fix, steps)
    if Gamma is not None:
        keys = ["Gamma"] if steps == 1 else ["Gamma1", "Gamma2"]
        for key in keys:
            if key in fixed and fixed[key] != Gamma:
                raise InputError(f"Γ given twice with different values ({fixed[key]}, {Gamma})")
            fixed[key] = float(Gamma)
    for sfx in [""] if steps == 1 else ["1", "2"]:
        tied = [n for n in ("T_half", "dH", "dS") if n + sfx in fixed]
        if len(tied) == 3:
            raise InputError("ΔH, ΔS and T½ are tied by T½ = ΔH/ΔS: fix at most two of them")
        if fixed.get("dS" + sfx, 1.0) <= 0 or fixed.get("T_half" + sfx, 1.0) <= 0:
            raise InputError("fixed ΔS and T½ must be positive")
        for name in ("dH", "Gamma"):
            if abs(fixed.get(name + sfx, 0.0)) > 500:
                raise InputError("ΔH and Γ are in kJ/mol (e.g. 21.87, not 21870)")
    return fixed


def _baseline(chi_mt_ls_pure: float, non_switching: str | float | None) -> float:
    if non_switching is None:
        return float(chi_mt_ls_pure)
    value = (
        float(non_switching)
        if isinstance(non_switching, int | float)
        else non_switching_chi_mt(non_switching)
    )
    if chi_mt_ls_pure not in (0.0, value):
        raise InputError(
            f"LS baseline given twice: {chi_mt_ls_pure} and non-switching ions = {value:.3f}"
        )
    return value


# --------------------------------------------------------------------------- parameters


def _base(name: str) -> str:
    return name.rstrip("12") if name not in ("chi_mt_ls", "chi_mt_hs") else name


def _step_refined(fixed: dict[str, float], sfx: str) -> list[str]:
    """The refined members of (T½, ΔH, ΔS) of one step (two of the three are free)."""
    have = [n for n in ("T_half", "dH", "dS") if n + sfx in fixed]
    if len(have) >= 2:
        return []
    if have == ["T_half"]:
        return ["dH" + sfx]
    if have:
        return ["T_half" + sfx]
    return ["T_half" + sfx, "dH" + sfx]


def _complete_step(v: dict[str, float], sfx: str) -> None:
    """Fill the third of T½ = 10³ΔH/ΔS from the other two."""
    th, dh, ds = "T_half" + sfx, "dH" + sfx, "dS" + sfx
    if th not in v:
        v[th] = 1e3 * v[dh] / v[ds]
    elif ds not in v:
        v[ds] = 1e3 * v[dh] / v[th]
    elif dh not in v:
        v[dh] = v[ds] * v[th] / 1e3
    v.setdefault("Gamma" + sfx, 0.0)


def _names(fixed: dict[str, float], tip: bool, steps: int) -> list[str]:
    sfxs = [""] if steps == 1 else ["1", "2"]
    names: list[str] = []
    for sfx in sfxs:
        names += _step_refined(fixed, sfx)
        names += [] if "Gamma" + sfx in fixed else ["Gamma" + sfx]
    if steps == 2 and "fraction" not in fixed:
        names.append("fraction")
    names += [n for n in ("chi_mt_ls", "chi_mt_hs") if n not in fixed]
    if tip and "tip" not in fixed:
        names.append("tip")
    return names


def _values_function(
    names: list[str], fixed: dict[str, float], steps: int
) -> Callable[[np.ndarray], dict[str, float]]:
    scales = np.array([_SCALE.get(_base(n), 1.0) for n in names])
    sfxs = [""] if steps == 1 else ["1", "2"]

    def values(p: np.ndarray) -> dict[str, float]:
        v = dict(fixed)
        v.update(zip(names, (np.asarray(p) * scales).tolist(), strict=True))
        v.setdefault("tip", 0.0)
        for sfx in sfxs:
            _complete_step(v, sfx)
        return v

    return values


def _bounds(names: list[str], fixed: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    lower, upper = [], []
    for name in names:
        lo, hi = _BOUNDS[_base(name)]
        sfx = name[-1] if name[-1] in "12" and name.startswith(("T_half", "dH")) else ""
        if name.startswith("T_half"):  # keep the derived ΔH or ΔS inside its own bounds
            if "dS" + sfx in fixed:
                hi = min(hi, 1e3 * _BOUNDS["dH"][1] / fixed["dS" + sfx])
            if "dH" + sfx in fixed:
                lo = max(lo, 1e3 * abs(fixed["dH" + sfx]) / _BOUNDS["dS"][1])
        lower.append(lo / _SCALE.get(_base(name), 1.0))
        upper.append(hi / _SCALE.get(_base(name), 1.0))
    return np.array(lower), np.array(upper)


def _check_size(d: _Data, names: list[str], what: str) -> None:
    n_min = len(names) + 3
    if d.t.size < n_min:
        raise InputError(
            f"only {d.t.size} data points; the {what} of {len(names)} parameters needs at "
            f"least {n_min}",
            path=d.where,
        )
    if np.ptp(d.chi) <= 0:
        raise InputError(
            "χMT does not change with temperature: no spin transition to fit", path=d.where
        )


@dataclass(frozen=True, eq=False)
class _Problem:
    """One fit set up: data, fixed values, LS baseline, refined names, their bounds."""

    d: _Data
    fixed: dict[str, float]
    baseline: float
    names: list[str]
    values: Callable[[np.ndarray], dict[str, float]]  # refined vector → every parameter
    lower: np.ndarray
    upper: np.ndarray
    what: str

    def refine(
        self, curve: Callable[[dict[str, float]], np.ndarray], starts: list[list[float]]
    ) -> Refinement:
        """Weighted least squares of ``curve`` (χMT of all parameters) from each start."""
        d, values = self.d, self.values

        def residuals(p: np.ndarray) -> np.ndarray:
            return (curve(values(p)) - d.chi) * d.weights

        return refine(
            residuals, starts, self.lower, self.upper, self.names, what=self.what, where=d.where
        )


def _set_up(
    data: pd.DataFrame | str | Path,
    steps: int,
    what: str,
    *,
    tip: bool,
    Gamma: float | None,
    fix: str | dict[str, float] | None,
    sweep: str,
    sigma: ArrayLike | None,
    chi_mt_ls_pure: float,
    non_switching: str | float | None,
    max_points: int,
) -> _Problem:
    """Read and check the data and the fixed parameters of a one- or two-step fit."""
    d = _prepare(data, sweep, sigma, max_points)
    fixed = _fixed(fix, Gamma, steps)
    baseline = _baseline(chi_mt_ls_pure, non_switching)
    names = _names(fixed, tip, steps)
    _check_size(d, names, what)
    values = _values_function(names, fixed, steps)
    lower, upper = _bounds(names, fixed)
    return _Problem(d, fixed, baseline, names, values, lower, upper, what)


# --------------------------------------------------------------------------- starts


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
            value = crossing(t[sel][o], chi[sel][o], level)
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
    from scipy.optimize import brentq

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
        if not (dh0 < 400 and 4.0 * gamma_c < 100):
            continue

        def excess(g: float, dh0: float = dh0, dS0: float = dS0) -> float:
            t_down, t_up = spinodal_temperatures(dh0, dS0, g)
            return t_up - t_down - width

        g_hi = 4.0 * gamma_c
        try:
            g0 = g_hi if excess(g_hi) < 0 else brentq(excess, gamma_c * (1 + 1e-6), g_hi, xtol=1e-6)
        except (ValueError, ArithmeticError):
            continue
        starts.append((t_half0, dh0, g0))
    return starts


def _start_vector(names: list[str], start: dict[str, float]) -> list[float]:
    return [start[n] / _SCALE.get(_base(n), 1.0) for n in names]


def _one_step_starts(d: _Data, names: list[str], fixed: dict[str, float]) -> list[list[float]]:
    t_half0, dh0, chi_ls0, chi_hs0 = _initial_guess(d.t, d.chi, d.labels)
    base = {"chi_mt_ls": chi_ls0, "chi_mt_hs": chi_hs0, "tip": 0.0, "Gamma": 0.0}
    if "T_half" in fixed:
        t_half0 = fixed["T_half"]
    triples = [(t_half0, dh0, fixed.get("Gamma", 0.0))]
    if "Gamma" in names and {"cooling", "heating"} <= set(d.labels):
        triples += _loop_starts(d.frame, t_half0)
    starts = []
    for t_half, dh, g in triples:
        start = base | {"T_half": t_half, "dH": dh, "Gamma": g}
        if "dS" in fixed and "T_half" not in fixed:
            start["T_half"] = t_half
        starts.append(_start_vector(names, start))
    return starts


def _two_step_guess(d: _Data) -> tuple[list[tuple[float, float]], float, float]:
    """Two T½ candidates from the two highest d(χMT)/dT peaks, with the plateau levels."""
    t_half0, _, chi_ls0, chi_hs0 = _initial_guess(d.t, d.chi, d.labels)
    try:
        found = derivative_extremum(d.t, d.chi, what="χMT(T)", where=d.where)
        slope = found.derivative * (1.0 if chi_hs0 >= chi_ls0 else -1.0)
        g = found.grid
        peak = (slope[1:-1] > slope[:-2]) & (slope[1:-1] >= slope[2:])
        idx = np.flatnonzero(peak) + 1
        idx = idx[slope[idx] > 0.1 * slope.max()]
        idx = idx[np.argsort(-slope[idx])]
        chosen = []
        for i in idx:
            if all(abs(g[i] - g[j]) > max(found.window, 5.0) for j in chosen):
                chosen.append(i)
            if len(chosen) == 2:
                break
        pairs = (
            [tuple(sorted((float(g[chosen[0]]), float(g[chosen[1]]))))] if len(chosen) == 2 else []
        )
    except InputError:
        pairs = []
    spread = max(10.0, 0.1 * t_half0)
    pairs.append((t_half0 - spread, t_half0 + spread))
    return pairs, chi_ls0, chi_hs0


def _two_step_starts(d: _Data, names: list[str], fixed: dict[str, float]) -> list[list[float]]:
    pairs, chi_ls0, chi_hs0 = _two_step_guess(d)
    order = np.argsort(d.t, kind="stable")
    starts = []
    for t1, t2 in pairs:
        mid = float(np.interp(0.5 * (t1 + t2), d.t[order], d.chi[order]))
        step = chi_hs0 - chi_ls0  # the plateau medians can coincide on noisy data
        f0 = float(np.clip((mid - chi_ls0) / step, 0.15, 0.85)) if step else 0.5
        for dS0 in (60.0, 100.0):
            start = {"chi_mt_ls": chi_ls0, "chi_mt_hs": chi_hs0, "tip": 0.0, "fraction": f0}
            for sfx, th in (("1", t1), ("2", t2)):
                th = fixed.get("T_half" + sfx, th)
                start |= {"T_half" + sfx: th, "dH" + sfx: dS0 * th / 1e3}
                start["Gamma" + sfx] = fixed.get("Gamma" + sfx, 0.0)
            starts.append(_start_vector(names, start))
    return starts


# --------------------------------------------------------------------------- diagnostics


def _tip_trend(d: _Data, calc: np.ndarray, gamma: np.ndarray, n_parameters: int) -> float:
    """Slope of the residuals on T over both plateaus, in su's (nan when not measurable).

    Each plateau (γ ≤ 0.03, γ ≥ 0.97; ≥ 8 points over ≥ 20 K) gets its own intercept;
    the slopes are combined with weights Sxx/s², s² the reduced χ² of the whole fit
    (the noise level the fit assumes), so that a plateau measured far more precisely
    than the rest cannot flag the tiny misfits the fit rightly ignores.
    """
    resid = (d.chi - calc) * d.weights
    dof = d.t.size - n_parameters
    s2 = float(np.sum(resid**2)) / dof if dof > 0 else math.nan
    if not s2 > 0:
        return math.nan
    numerator, information = 0.0, 0.0
    for sel in (gamma <= 0.03, gamma >= 0.97):
        if sel.sum() < 8 or np.ptp(d.t[sel]) < 20.0:
            continue
        x, y, w = d.t[sel], (d.chi - calc)[sel], d.weights[sel] ** 2
        xm = np.sum(w * x) / np.sum(w)
        ym = np.sum(w * y) / np.sum(w)
        sxx = float(np.sum(w * (x - xm) ** 2))
        slope = float(np.sum(w * (x - xm) * (y - ym))) / sxx
        numerator += slope * sxx / s2
        information += sxx / s2
    if information == 0.0:
        return math.nan
    return numerator / math.sqrt(information)  # (weighted mean slope) / its su


def _diagnose(
    d: _Data, calc: np.ndarray, gamma: np.ndarray, p: int, *, tip_free: bool, two_step: bool
) -> tuple[list[str], float, float, float]:
    notes = []
    trend = math.nan if tip_free else _tip_trend(d, calc, gamma, p)
    tip_missing = abs(trend) > TIP_T_LIMIT
    resid = (d.chi - calc) * d.weights
    runs, mean, sd, z = runs_test(resid, d.t, d.branch)
    ratio, serial_z = von_neumann_test(resid, d.t, d.branch)
    if serial_z < -SERIAL_Z_LIMIT:
        hint = ""
        if tip_missing:
            hint = "; a missing TIP term does this"
        elif not two_step:
            hint = "; the curve may have two steps (try the two-step model)"
        notes.append(
            f"residuals are systematic: neighbouring residuals are alike (von Neumann ratio "
            f"{ratio:.2f} where noise gives 2, z = {serial_z:.1f}; {runs} sign runs where "
            f"{mean:.0f} ± {sd:.0f} are expected, z = {z:.1f}){hint}"
        )
    if tip_missing:
        notes.append(
            f"the plateau residuals change linearly with T ({trend:+.1f} su): a TIP term "
            "(or a diamagnetic correction) may be missing"
        )
    return notes, z, serial_z, trend


def _fit_notes(ref: Refinement, d: _Data, t_halves: list[float]) -> list[str]:
    notes = list(d.notes)
    if ref.null.size:
        notes.append("the data do not determine all parameters (infinite su's)")
    if ref.at_bound:
        notes.append(f"fit stopped at a bound of {', '.join(ref.at_bound)}")
    for t_half in t_halves:
        if not d.t.min() <= t_half <= d.t.max():
            notes.append(f"T½ = {t_half:.0f} K lies outside the measured range")
    return notes


def _residual_fractions(
    v: dict[str, float], baseline: float, chi_mt_hs_pure: float | None
) -> tuple[float, float]:
    hs_pure = v["chi_mt_hs"] if chi_mt_hs_pure is None else chi_mt_hs_pure
    span = hs_pure - baseline
    if chi_mt_hs_pure is not None and not (math.isfinite(span) and span != 0.0):
        raise InputError(
            f"chi_mt_hs_pure (--chi-hs-pure) {chi_mt_hs_pure:g}: the χMT of the pure HS "
            f"sample must be a finite number other than the LS baseline {baseline:g} cm³ K mol⁻¹"
        )
    hs_res = (v["chi_mt_ls"] - baseline) / span
    ls_res = math.nan if chi_mt_hs_pure is None else (hs_pure - v["chi_mt_hs"]) / span
    return hs_res, ls_res


def _shared_results(
    problem: _Problem,
    ref: Refinement,
    calc: np.ndarray,
    gamma: np.ndarray,
    t_halves: list[float],
    cov: np.ndarray,
    refined: list[str],
    *,
    sweep: str,
    two_step: bool,
) -> dict[str, Any]:
    """The fields :class:`SDFit` and :class:`TwoStepSDFit` share: statistics, notes and
    model checks (:func:`_fit_notes`, :func:`_diagnose`), correlations and the curve."""
    d = problem.d
    notes = _fit_notes(ref, d, t_halves)
    tip_free = "tip" in problem.names
    checks, z, serial_z, trend = _diagnose(d, calc, gamma, ref.p, tip_free=tip_free,
                                           two_step=two_step)  # fmt: skip
    aic, bic = information_criteria(ref.chi2, ref.n, ref.p)
    return {
        "chi2_red": float(ref.chi2_red),
        "rms": float(np.sqrt(np.mean((d.chi - calc) ** 2))),
        "n_points": int(ref.n),
        "n_parameters": int(ref.p),
        "sweep": sweep,
        "path": d.where,
        "notes": tuple(notes + checks),
        "chi_mt_non_switching": problem.baseline,
        "chi2": float(ref.chi2),
        "aic": aic,
        "bic": bic,
        "runs_z": float(z),
        "serial_z": float(serial_z),
        "tip_trend_t": float(trend),
        "fixed": tuple(sorted(problem.fixed)),
        "correlation": correlation(cov, refined),
        "curve": _curve_frame(d, calc, gamma),
    }


# --------------------------------------------------------------------------- one step


def fit_sd(
    data: pd.DataFrame | str | Path,
    *,
    tip: bool = False,
    Gamma: float | None = None,
    fix: str | dict[str, float] | None = None,
    sweep: Branch = "cooling",
    sigma: ArrayLike | None = None,
    chi_mt_ls_pure: float = 0.0,
    chi_mt_hs_pure: float | None = None,
    non_switching: str | float | None = None,
    max_points: int = MAX_FIT_POINTS,
) -> SDFit:
    r"""Least-squares fit of the one-step Slichter–Drickamer model to χMT(T).

    Model, parameterisation, TIP check, baseline and runs test: module docstring.
    Refined: T½, ΔH, Γ, χMT_LS, χMT_HS (and TIP), less what is fixed; ΔS = ΔH/T½. Su's:
    :mod:`coordgeo.magnetism.engine`. Several starts (Γ = 0 and, for a loop in the data,
    Γ beyond 2RT½) are tried and the lowest χ² is kept. For a loop, the temperatures of
    the jumps move stepwise between data points and carry no Jacobian information: the
    su's then reflect the smooth parts of the branches only, and the model loop T↓, T↑
    has no su.

    Parameters
    ----------
    data
        DataFrame with ``temperature_K``, ``chi_mt``, optional ``branch``
        (:func:`coordgeo.io.magdata.read_chimt`,
        :func:`coordgeo.io.magnetometer.read_magnetometer`) or a path to read.
    tip
        Also refine a temperature-independent paramagnetism term TIP·T (cm³ mol⁻¹).
    Gamma
        Fix Γ (kJ mol⁻¹) instead of refining it, e.g. 0 for the ideal-solution model.
    fix
        Parameters held fixed: ``{'dH': 21.9, 'dS': 87.5}`` or ``'dH=21.9,dS=87.5'``
        (:func:`coordgeo.magnetism.sd.parse_fixed`; names dH, dS, Gamma, T_half,
        chi_mt_ls, chi_mt_hs, tip).
    sweep
        Model branch for points whose branch is ``'unspecified'`` (matters only when
        Γ > 2RT½): ``'cooling'`` (default; SI fits are usually of the cooling curve),
        ``'heating'`` or ``'equilibrium'``.
    sigma
        Per-point su of χMT (weights 1/σ²); default unit weights.
    chi_mt_ls_pure, chi_mt_hs_pure
        χMT of a sample entirely LS (the LS baseline, including non-switching ions) and
        entirely HS, for the residual fractions. Defaults: 0 and the fitted χMT_HS.
    non_switching
        The non-switching ions of the formula unit as text (``'2*Fe(III)LS'``,
        :func:`coordgeo.magnetism.ions.non_switching_chi_mt`) or their χMT: sets the
        LS baseline.
    max_points
        More points than this are binned first (:func:`coordgeo.magnetism.data.bin_points`).

    Returns
    -------
    SDFit
        ``hs_residual_fraction`` = (χMT_LS − baseline)/(χ_HS,pure − baseline) is the HS
        fraction left at low T; ``ls_residual_fraction`` = (χ_HS,pure − χMT_HS)/(…) the
        LS fraction left at high T (nan without ``chi_mt_hs_pure``). ``hysteresis`` is
        Γ > 2RT½, with the model's loop T↓, T↑ (:func:`spinodal_temperatures`).

    Raises
    ------
    coordgeo.errors.InputError
        Too few points, bad fixed parameters, or a fit that does not converge.
    """
    problem = _set_up(data, 1, "Slichter–Drickamer fit", tip=tip, Gamma=Gamma, fix=fix,
                      sweep=sweep, sigma=sigma, chi_mt_ls_pure=chi_mt_ls_pure,
                      non_switching=non_switching, max_points=max_points)  # fmt: skip
    d, values = problem.d, problem.values

    def curve(v: dict[str, float]) -> np.ndarray:
        return chi_mt_sd(d.t, v["dH"], v["dS"], v["Gamma"], v["chi_mt_ls"], v["chi_mt_hs"],
                         v["tip"], branch=d.branch)  # fmt: skip

    ref = problem.refine(curve, _one_step_starts(d, problem.names, problem.fixed))

    def report(p: np.ndarray) -> dict[str, float]:
        v = values(p)
        hs_res, ls_res = _residual_fractions(v, problem.baseline, chi_mt_hs_pure)
        keys = ("dH", "dS", "Gamma", "T_half", "chi_mt_ls", "chi_mt_hs", "tip")
        return {k: v[k] for k in keys} | {"hs_residual": hs_res, "ls_residual": ls_res}

    q, su, cov = propagate(ref, report)
    v = values(ref.x)
    calc = curve(v)
    gamma = gamma_hs(d.t, v["dH"], v["dS"], v["Gamma"], branch=d.branch)
    t_down, t_up = spinodal_temperatures(v["dH"], v["dS"], v["Gamma"])
    gamma_c = float(2.0 * R_GAS * v["T_half"] / 1e3)
    refined = [k for k in ("dH", "dS", "Gamma", "T_half", "chi_mt_ls", "chi_mt_hs", "tip")
               if math.isfinite(su[k]) or su[k] == _INF]  # fmt: skip
    return SDFit(
        **_pairs(q, su, tuple(_FIELDS)),
        Gamma_critical_kJ_mol=gamma_c,
        hysteresis=bool(v["Gamma"] > gamma_c),
        T_down_K=float(t_down),
        T_up_K=float(t_up),
        hysteresis_width_K=float(t_up - t_down),
        **_shared_results(
            problem, ref, calc, gamma, [v["T_half"]], cov, refined, sweep=sweep, two_step=False
        ),
    )


#: Reported quantity → (value attribute, su attribute) of the result dataclasses.
_FIELDS = {
    "dH": ("dH_kJ_mol", "dH_su"),
    "dS": ("dS_J_mol_K", "dS_su"),
    "Gamma": ("Gamma_kJ_mol", "Gamma_su"),
    "T_half": ("T_half_K", "T_half_su"),
    "chi_mt_ls": ("chi_mt_ls", "chi_mt_ls_su"),
    "chi_mt_hs": ("chi_mt_hs", "chi_mt_hs_su"),
    "tip": ("tip", "tip_su"),
    "hs_residual": ("hs_residual_fraction", "hs_residual_fraction_su"),
    "ls_residual": ("ls_residual_fraction", "ls_residual_fraction_su"),
}


def _pairs(q: dict[str, float], su: dict[str, float], keys: tuple[str, ...]) -> dict[str, float]:
    """``{'dH_kJ_mol': value, 'dH_su': su, …}`` for the result dataclasses."""
    out = {}
    for key in keys:
        value_name, su_name = _FIELDS[key]
        out[value_name] = float(q[key])
        out[su_name] = float(su[key])
    return out


def _curve_frame(d: _Data, calc: np.ndarray, gamma: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "temperature_K": d.t,
            "branch": d.branch,
            "chi_mt": d.chi,
            "chi_mt_calc": calc,
            "gamma_hs": gamma,
            "residual": d.chi - calc,
        }
    )


# --------------------------------------------------------------------------- two steps


def fit_sd_two_step(
    data: pd.DataFrame | str | Path,
    *,
    tip: bool = False,
    Gamma: float | None = None,
    fix: str | dict[str, float] | None = None,
    sweep: Branch = "cooling",
    sigma: ArrayLike | None = None,
    chi_mt_ls_pure: float = 0.0,
    chi_mt_hs_pure: float | None = None,
    non_switching: str | float | None = None,
    max_points: int = MAX_FIT_POINTS,
) -> TwoStepSDFit:
    r"""Least-squares fit of the two-step (two-site) Slichter–Drickamer model to χMT(T).

    χMT = χMT_LS + [f·γ₁(T) + (1 − f)·γ₂(T)]·(χMT_HS − χMT_LS) [+ TIP·T], each γ_i a
    Slichter–Drickamer step with its own ΔH_i, ΔS_i, Γ_i (module docstring). Refined:
    T½₁, ΔH₁, Γ₁, T½₂, ΔH₂, Γ₂, f, χMT_LS, χMT_HS (and TIP), less what is fixed
    (``fix`` names carry the step number: ``dH1``, ``Gamma2``; ``Gamma`` fixes both
    Γ's). Starts come from the two highest d(χMT)/dT maxima; the steps are reported in
    order of T½. Other parameters as in :func:`fit_sd`.
    """
    problem = _set_up(data, 2, "two-step Slichter–Drickamer fit", tip=tip, Gamma=Gamma,
                      fix=fix, sweep=sweep, sigma=sigma, chi_mt_ls_pure=chi_mt_ls_pure,
                      non_switching=non_switching, max_points=max_points)  # fmt: skip
    d, values = problem.d, problem.values

    def gamma_of(v: dict[str, float]) -> np.ndarray:
        steps = tuple((v[f"dH{i}"], v[f"dS{i}"], v[f"Gamma{i}"]) for i in (1, 2))
        return gamma_two_step(d.t, steps, v["fraction"], branch=d.branch)  # type: ignore[arg-type]

    def curve(v: dict[str, float]) -> np.ndarray:
        return v["chi_mt_ls"] + gamma_of(v) * (v["chi_mt_hs"] - v["chi_mt_ls"]) + v["tip"] * d.t

    ref = problem.refine(curve, _two_step_starts(d, problem.names, problem.fixed))

    def report(p: np.ndarray) -> dict[str, float]:
        v = values(p)
        first, second = ("1", "2") if v["T_half1"] <= v["T_half2"] else ("2", "1")
        frac = v["fraction"] if first == "1" else 1.0 - v["fraction"]
        out = {}
        for step, sfx in ((1, first), (2, second)):
            for key in ("dH", "dS", "Gamma", "T_half"):
                out[f"{key}{step}"] = v[key + sfx]
        hs_res, ls_res = _residual_fractions(v, problem.baseline, chi_mt_hs_pure)
        out |= {"fraction": frac, "chi_mt_ls": v["chi_mt_ls"], "chi_mt_hs": v["chi_mt_hs"]}
        return out | {"tip": v["tip"], "hs_residual": hs_res, "ls_residual": ls_res}

    q, su, cov = propagate(ref, report)
    v = values(ref.x)
    calc = curve(v)
    gamma = gamma_of(v)
    t_halves = [q["T_half1"], q["T_half2"]]
    rows = []
    for step in (1, 2):
        dh, ds, g, th = (q[f"{k}{step}"] for k in ("dH", "dS", "Gamma", "T_half"))
        t_down, t_up = spinodal_temperatures(dh, ds, g)
        gamma_c = 2.0 * R_GAS * th / 1e3
        share = q["fraction"] if step == 1 else 1.0 - q["fraction"]
        rows.append(
            {
                "step": step,
                "fraction": share,
                "fraction_su": su["fraction"],
                "dH_kJ_mol": dh,
                "dH_su": su[f"dH{step}"],
                "dS_J_mol_K": ds,
                "dS_su": su[f"dS{step}"],
                "Gamma_kJ_mol": g,
                "Gamma_su": su[f"Gamma{step}"],
                "T_half_K": th,
                "T_half_su": su[f"T_half{step}"],
                "Gamma_critical_kJ_mol": gamma_c,
                "hysteresis": bool(g > gamma_c),
                "T_down_K": float(t_down),
                "T_up_K": float(t_up),
            }
        )
    steps = pd.DataFrame(rows).set_index("step")
    refined = [k for k in q if k not in ("hs_residual", "ls_residual") and math.isfinite(su[k])]
    return TwoStepSDFit(
        steps=steps,
        fraction=float(q["fraction"]),
        fraction_su=float(su["fraction"]),
        **_pairs(q, su, ("chi_mt_ls", "chi_mt_hs", "tip", "hs_residual", "ls_residual")),
        **_shared_results(
            problem, ref, calc, gamma, t_halves, cov, refined, sweep=sweep, two_step=True
        ),
    )


@dataclass(frozen=True)
class SDFitOptions:
    """How χMT(T) is fitted, the same for ``coordgeo fit-sd`` and ``coordgeo report``.

    The fields are the keyword arguments of :func:`fit_sd` and :func:`fit_sd_two_step`
    (same names and units), plus ``steps``: 1 fits the one-step model; 2 fits it and the
    two-step model, which :func:`fit_models` returns last. Checked on creation (``steps``,
    ``sweep``); the rest is checked by the fit, which raises
    :class:`coordgeo.errors.InputError` with the option's name.
    """

    tip: bool = False
    Gamma: float | None = None
    fix: str | None = None
    sweep: Branch = "cooling"
    chi_mt_ls_pure: float = 0.0
    chi_mt_hs_pure: float | None = None
    non_switching: str | None = None
    steps: int = 1

    def __post_init__(self) -> None:
        if self.steps not in (1, 2):
            raise InputError(f"steps must be 1 or 2, got {self.steps!r}")
        if self.sweep not in _BRANCHES:
            raise InputError(f"sweep must be one of {', '.join(_BRANCHES)}, got {self.sweep!r}")

    def fit_arguments(self) -> dict[str, Any]:
        """The keyword arguments of :func:`fit_sd` (and :func:`fit_sd_two_step`)."""
        return {
            "tip": self.tip,
            "Gamma": self.Gamma,
            "fix": self.fix,
            "sweep": self.sweep,
            "chi_mt_ls_pure": self.chi_mt_ls_pure,
            "chi_mt_hs_pure": self.chi_mt_hs_pure,
            "non_switching": self.non_switching,
        }


def fit_models(
    data: pd.DataFrame | str | Path, options: SDFitOptions = SDFitOptions()
) -> tuple[SDFit] | tuple[SDFit, TwoStepSDFit]:
    """The Slichter–Drickamer fits ``options`` asks for: the one-step fit (:func:`fit_sd`)
    and, with ``steps=2``, the two-step fit (:func:`fit_sd_two_step`) of the same data with
    the same options, last. :func:`compare_models` puts them side by side (AIC/BIC)."""
    one = fit_sd(data, **options.fit_arguments())
    if options.steps == 1:
        return (one,)
    return one, fit_sd_two_step(data, **options.fit_arguments())
