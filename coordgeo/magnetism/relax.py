r"""HS → LS relaxation after light-induced excited spin-state trapping (LIESST).

At constant temperature the photo-induced HS fraction γ(t) decays to the LS state. The
measured χMT(t) = χMT_LS + γ(t)(χMT_HS − χMT_LS) (or γ itself) is fitted with

- **single exponential** (no cooperativity): y = y∞ + (y₀ − y∞) e^{−kt};
- **stretched exponential** (a distribution of rates, Kohlrausch–Williams–Watts):
  y = y∞ + (y₀ − y∞) exp[−(kt)^β], 0 < β ≤ 1 (G. Williams, D. C. Watts, *Trans.
  Faraday Soc.* 1970, **66**, 80; used for LIESST relaxation in Hauser 2004);
- **self-accelerated sigmoidal** (cooperative, A. Hauser, *Top. Curr. Chem.* 2004,
  **234**, 155–198, eqs. 4–5; A. Hauser, *Chem. Phys. Lett.* 1992, **192**, 65):

  .. math::

      \frac{dγ}{dt} = -k_{HL}(T, γ)\,γ, \qquad
      k_{HL}(T, γ) = k_{HL}(T)\,\exp[α(T)(1 - γ)], \qquad α(T) = \frac{E_a^*}{k_B T},

  whose solution is implicit: k t = e^{−α}[Ei(αγ₀) − Ei(αγ)] (Ei the exponential
  integral), solved for γ at each t by bracketing in ln γ between
  ln γ₀ − kt·e^{α} and ln γ₀ − kt·e^{α(1−γ₀)}. This model needs χMT_LS and χMT_HS
  (or γ data) because the acceleration depends on γ itself.

k is refined as ln k; su's as in :mod:`coordgeo.magnetism.engine`. Rates at several
temperatures give the Arrhenius law k(T) = k∞ exp(−E_a/RT) (:func:`arrhenius`); at low
temperature the relaxation becomes temperature independent (tunnelling, Hauser 2004),
where Arrhenius no longer applies.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.constants import Avogadro, h, speed_of_light

from coordgeo.errors import InputError
from coordgeo.magnetism.data import MAX_FIT_POINTS, bin_points, check_range, information_criteria
from coordgeo.magnetism.engine import propagate, refine
from coordgeo.magnetism.sd import R_GAS, solve_bracketed

MODELS = ("exponential", "stretched", "sigmoidal")
#: 1 kJ mol⁻¹ in cm⁻¹: 10³/(N_A h c) per metre, /100.
KJ_MOL_TO_CM = 1e3 / (Avogadro * h * speed_of_light) / 100.0
_TIME_UNITS = {"s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0, "hr": 3600.0, "ms": 1e-3}
# "time", "Time (min)", "t (s)", "t/h", "t" — but not "T (K)" or "Temperature"
_TIME_NAME = re.compile(r"(?i)^\s*(time\b.*|t\s*([(\[]\s*|/\s*)(s|sec|min|h|hr|ms)\b.*|t)\s*$")
_TEMPERATURE_NAMES = ("temperature_k", "temperature (k)", "temperature", "t (k)", "t/k")


@dataclass(frozen=True, eq=False)
class RelaxationFit:
    """One relaxation curve fitted with one model (units in the names; nan where n/a).

    ``k_s`` is the rate constant (s⁻¹) — for the sigmoidal law k_HL(T) at γ = 1 —
    ``beta`` the stretching exponent, ``alpha`` the self-acceleration α(T) and
    ``Ea_star_kJ_mol`` = α·R·T; ``y0``, ``y_inf`` the fitted start and end values in the
    data's units (``gamma0`` the start HS fraction when χMT_LS/HS are known).
    """

    model: str
    temperature_K: float
    k_s: float
    k_su: float
    beta: float
    beta_su: float
    alpha: float
    alpha_su: float
    Ea_star_kJ_mol: float
    Ea_star_su: float
    gamma0: float
    gamma0_su: float
    y0: float
    y0_su: float
    y_inf: float
    y_inf_su: float
    chi2_red: float
    rms: float
    chi2: float
    aic: float
    bic: float
    n_points: int
    n_parameters: int
    quantity: str
    path: str | None
    notes: tuple[str, ...]
    curve: pd.DataFrame = field(repr=False)  # time_s, value, value_calc, residual
    _model: Callable[[np.ndarray], np.ndarray] | None = field(default=None, repr=False)

    @property
    def lifetime_s(self) -> float:
        """τ = 1/k in s."""
        return 1.0 / self.k_s

    def values(self, time_s: np.ndarray) -> np.ndarray:
        """The fitted curve at any times (s from the start)."""
        if self._model is None:
            raise ValueError("no model function stored")
        return self._model(np.asarray(time_s, dtype=float))

    def as_dict(self) -> dict[str, float | int | str | None]:
        out = {
            name: getattr(self, name)
            for name in self.__dataclass_fields__
            if name not in ("curve", "_model", "notes")
        }
        out["lifetime_s"] = self.lifetime_s
        out["Ea_star_cm"] = self.Ea_star_kJ_mol * KJ_MOL_TO_CM
        out["notes"] = "; ".join(self.notes)
        return out


@dataclass(frozen=True, eq=False)
class ArrheniusFit:
    """k(T) = k∞ exp(−Ea/RT) from rates at several temperatures (:func:`arrhenius`)."""

    k_inf_s: float
    k_inf_su: float
    ln_k_inf: float
    ln_k_inf_su: float
    Ea_kJ_mol: float
    Ea_su: float
    correlation: float
    chi2_red: float
    n_temperatures: int
    Ea_star_kJ_mol: float
    Ea_star_su: float
    table: pd.DataFrame = field(repr=False)  # temperature_K, k_s, k_su, model

    def k(self, T: np.ndarray) -> np.ndarray:
        return self.k_inf_s * np.exp(-1e3 * self.Ea_kJ_mol / (R_GAS * np.asarray(T, float)))

    def as_dict(self) -> dict[str, float | int]:
        out = {n: getattr(self, n) for n in self.__dataclass_fields__ if n != "table"}
        out["Ea_cm"] = self.Ea_kJ_mol * KJ_MOL_TO_CM
        out["Ea_cm_su"] = self.Ea_su * KJ_MOL_TO_CM
        return out


# --------------------------------------------------------------------------- data


def _time_scale(name: str) -> float:
    unit = re.search(r"[(\[]\s*([a-zA-Z]+)\s*[)\]]", name)
    if unit and unit.group(1).lower() in _TIME_UNITS:
        return _TIME_UNITS[unit.group(1).lower()]
    return 1.0


def as_relaxation_frame(
    data: pd.DataFrame | str | Path,
    *,
    time_column: str | None = None,
    value_column: str | None = None,
) -> pd.DataFrame:
    """Relaxation data as ``time_s`` (from the first point) and ``value`` (+ ``temperature_K``).

    A DataFrame from :func:`coordgeo.io.magnetometer.read_magnetometer` (``time_s``,
    ``chi_mt``, ``temperature_K``) is used as is; a plain table takes its time from the
    first column named time/t (unit in brackets: s, min, h; default s; not "T (K)"), its
    temperature from a Temperature (K)/T (K) column, and its value from ``value_column``
    or the first of chi_mt/χMT/gamma columns, else the second column.
    ``attrs['quantity']`` is ``'gamma_hs'`` when the values are γ.
    """
    if isinstance(data, str | Path):
        from coordgeo.io.magnetometer import read_columns

        data = read_columns(data)
    where = data.attrs.get("path")
    columns = [str(c) for c in data.columns]
    t_col = time_column or next(
        (c for c in columns if c in ("time_s", "Time Stamp (sec)") or _TIME_NAME.match(c)),
        columns[0],
    )
    if t_col not in data.columns:
        raise InputError(f"no time column {t_col!r}", path=where)
    preferred = ("chi_mt", "gamma_hs", "gamma")
    v_col = (
        value_column
        or next((c for c in preferred if c in columns), None)
        or next((c for c in columns if re.search(r"(?i)chi|χ|gamma|γ", c) and c != t_col), None)
    )
    if v_col is None:
        others = [c for c in columns if c != t_col]
        if not others:
            raise InputError("relaxation data need a time and a value column", path=where)
        v_col = others[0]
    if v_col not in data.columns:
        raise InputError(f"no column {v_col!r}; columns: {', '.join(columns)}", path=where)
    t = pd.to_numeric(data[t_col], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(data[v_col], errors="coerce").to_numpy(dtype=float)
    keep = np.isfinite(t) & np.isfinite(y)
    if keep.sum() < 5:
        raise InputError(
            f"{int(keep.sum())} rows with a time and a {v_col} value; a fit needs more",
            path=where,
        )
    t = (t[keep] - np.min(t[keep])) * (1.0 if t_col == "time_s" else _time_scale(t_col))
    y = y[keep]
    check_range(t, "time (s)", 0.0, 1e10, where)
    check_range(y, v_col, -1e6, 1e6, where)
    out = pd.DataFrame({"time_s": t, "value": y})
    t_name = next((c for c in columns if c.strip().lower() in _TEMPERATURE_NAMES), None)
    if t_name is not None and t_name != t_col:
        temps = pd.to_numeric(data[t_name], errors="coerce").to_numpy(dtype=float)
        out["temperature_K"] = temps[keep]
    out = out.sort_values("time_s", kind="stable").reset_index(drop=True)
    out.attrs.update(path=where, column=v_col)
    out.attrs["quantity"] = "gamma_hs" if re.search(r"(?i)gamma|γ", v_col) else "chi_mt"
    return out


# --------------------------------------------------------------------------- models


def hauser_gamma(time_s: np.ndarray, k: float, alpha: float, gamma0: float = 1.0) -> np.ndarray:
    """γ(t) of the self-accelerated law dγ/dt = −kγ exp[α(1 − γ)] (module docstring)."""
    from scipy.special import expi

    t = np.asarray(time_s, dtype=float)
    a = max(float(alpha), 1e-12)
    target = k * t
    ei0 = expi(a * gamma0)

    def f(u: np.ndarray, target: np.ndarray) -> np.ndarray:
        return math.exp(-a) * (ei0 - expi(a * np.exp(u))) - target

    def fprime(u: np.ndarray, target: np.ndarray) -> np.ndarray:
        return -math.exp(-a) * np.exp(a * np.exp(u))  # d Ei(a e^u)/du = exp(a e^u)

    out = np.full(t.shape, float(gamma0))
    moving = target > 0
    if moving.any():
        lg0 = math.log(gamma0)
        lo = np.maximum(lg0 - target[moving] * math.exp(a), -700.0)
        hi = np.maximum(lg0 - target[moving] * math.exp(a * (1.0 - gamma0)), lo)
        f_lo = f(lo, target[moving])
        done = (hi - lo <= 1e-14 * (1 + np.abs(lo))) | (f_lo <= 0)  # underflow: γ → 0
        u = np.where(done, lo, hi)
        todo = ~done
        if todo.any():
            u[todo] = solve_bracketed(
                f, fprime, lo[todo], hi[todo], (target[moving][todo],), increasing=False
            )
        out[moving] = np.exp(u)
    return out


def _model_function(
    model: str, names: list[str], fixed: dict[str, float], y_ls: float, y_hs: float
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    def values(p: np.ndarray) -> dict[str, float]:
        v = dict(fixed)
        v.update(zip(names, np.asarray(p, dtype=float).tolist(), strict=True))
        return v

    def curve(p: np.ndarray, t: np.ndarray) -> np.ndarray:
        v = values(p)
        k = math.exp(v["ln_k"])
        if model == "sigmoidal":
            return y_ls + (y_hs - y_ls) * hauser_gamma(t, k, v["alpha"], v["gamma0"])
        shape = np.exp(-k * t) if model == "exponential" else np.exp(-((k * t) ** v["beta"]))
        return v["y_inf"] + (v["y0"] - v["y_inf"]) * shape

    curve.values = values  # type: ignore[attr-defined]
    return curve


def _half_time(t: np.ndarray, y: np.ndarray, y0: float, y_inf: float) -> float:
    """Time at which y has covered half its way from y0 to y_inf (or a bound from the span)."""
    half = 0.5 * (y0 + y_inf)
    past = (y - half) * np.sign(y0 - y_inf) <= 0
    if past.any() and np.argmax(past) > 0:
        return float(t[np.argmax(past)])
    return float(np.ptp(t) or 1.0)


def fit_relaxation(
    data: pd.DataFrame | str | Path,
    model: str = "exponential",
    *,
    temperature_K: float | None = None,
    chi_mt_ls: float | None = None,
    chi_mt_hs: float | None = None,
    max_points: int = MAX_FIT_POINTS,
) -> RelaxationFit:
    """Fit one relaxation curve y(t) at constant temperature with ``model`` (module docstring).

    Parameters
    ----------
    data
        :func:`as_relaxation_frame` input: ``time_s`` and χMT (or γ) values.
    model
        ``'exponential'``, ``'stretched'`` or ``'sigmoidal'``.
    temperature_K
        The relaxation temperature; default the mean of a ``temperature_K`` column.
    chi_mt_ls, chi_mt_hs
        χMT of the LS and HS states (cm³ K mol⁻¹). With χMT_LS the end value y∞ is held
        at it; the sigmoidal model needs both (γ data: 0 and 1 by default).
    """
    if model not in MODELS:
        raise InputError(f"unknown relaxation model {model!r}; use one of {', '.join(MODELS)}")
    df = as_relaxation_frame(data)
    where = df.attrs.get("path")
    quantity = df.attrs.get("quantity", "chi_mt")
    if quantity == "gamma_hs":
        chi_mt_ls = 0.0 if chi_mt_ls is None else chi_mt_ls
        chi_mt_hs = 1.0 if chi_mt_hs is None else chi_mt_hs
    temperature = _temperature(df, temperature_K, where)
    t, y, _, rel_su, note = bin_points(
        df["time_s"].to_numpy(float), df["value"].to_numpy(float),
        np.zeros(len(df), dtype=object), max_points, unit="s",
    )  # fmt: skip
    notes = [note] if note else []
    if np.ptp(y) <= 0:
        raise InputError("the values do not change with time: no relaxation to fit", path=where)
    k = max(3, t.size // 20)
    y0_guess, y_end = float(np.median(y[:k])), float(np.median(y[-k:]))
    fixed: dict[str, float] = {}
    if model == "sigmoidal":
        if chi_mt_ls is None or chi_mt_hs is None or chi_mt_hs == chi_mt_ls:
            raise InputError(
                "the sigmoidal (Hauser) model needs χMT of the LS and HS states (or γ data)",
                path=where,
            )
        y_ls, y_hs = float(chi_mt_ls), float(chi_mt_hs)
        names = ["ln_k", "alpha", "gamma0"]
        lower, upper = [-60.0, 0.0, 1e-6], [20.0, 40.0, 1.0]
    else:
        y_ls = y_hs = math.nan
        names = ["ln_k", "y0"] + (["beta"] if model == "stretched" else [])
        lower, upper = (
            [-60.0, -np.inf] + ([0.05] if model == "stretched" else []),
            [
                20.0,
                np.inf,
            ]
            + ([1.5] if model == "stretched" else []),
        )
        if chi_mt_ls is not None:
            fixed["y_inf"] = float(chi_mt_ls)
        else:
            names.append("y_inf")
            lower.append(-np.inf)
            upper.append(np.inf)
    if t.size < len(names) + 3:
        raise InputError(f"only {t.size} points for {len(names)} parameters", path=where)
    curve = _model_function(model, names, fixed, y_ls, y_hs)
    starts = _relax_starts(model, names, t, y, y0_guess, fixed.get("y_inf", y_end), y_ls, y_hs)

    def residuals(p: np.ndarray) -> np.ndarray:
        return (curve(p, t) - y) / rel_su

    ref = refine(residuals, starts, lower, upper, names, what=f"{model} relaxation fit",
                 where=where)  # fmt: skip

    def report(p: np.ndarray) -> dict[str, float]:
        v = curve.values(p)  # type: ignore[attr-defined]
        k_rate = math.exp(v["ln_k"])
        out = {"k": k_rate, "beta": v.get("beta", math.nan), "alpha": v.get("alpha", math.nan)}
        out["Ea_star"] = v.get("alpha", math.nan) * R_GAS * temperature / 1e3
        if model == "sigmoidal":
            out |= {"gamma0": v["gamma0"], "y0": y_ls + (y_hs - y_ls) * v["gamma0"], "y_inf": y_ls}
        else:
            out |= {"y0": v["y0"], "y_inf": v["y_inf"]}
            out["gamma0"] = (
                (v["y0"] - chi_mt_ls) / (chi_mt_hs - chi_mt_ls)
                if chi_mt_ls is not None and chi_mt_hs is not None and chi_mt_hs != chi_mt_ls
                else math.nan
            )
        return out

    q, su, _ = propagate(ref, report)
    calc = curve(ref.x, t)
    if ref.at_bound:
        notes.append(f"fit stopped at a bound of {', '.join(ref.at_bound)}")
    if ref.null.size:
        notes.append("the data do not determine all parameters (infinite su's)")
    aic, bic = information_criteria(ref.chi2, ref.n, ref.p)
    x_best = ref.x.copy()
    return RelaxationFit(
        model=model,
        temperature_K=temperature,
        k_s=q["k"],
        k_su=su["k"],
        beta=q["beta"],
        beta_su=su["beta"],
        alpha=q["alpha"],
        alpha_su=su["alpha"],
        Ea_star_kJ_mol=q["Ea_star"],
        Ea_star_su=su["Ea_star"],
        gamma0=q["gamma0"],
        gamma0_su=su["gamma0"],
        y0=q["y0"],
        y0_su=su["y0"],
        y_inf=q["y_inf"],
        y_inf_su=su["y_inf"],
        chi2_red=ref.chi2_red,
        rms=float(np.sqrt(np.mean((y - calc) ** 2))),
        chi2=ref.chi2,
        aic=aic,
        bic=bic,
        n_points=ref.n,
        n_parameters=ref.p,
        quantity=quantity,
        path=where,
        notes=tuple(notes),
        curve=pd.DataFrame({"time_s": t, "value": y, "value_calc": calc, "residual": y - calc}),
        _model=lambda times: curve(x_best, times),
    )


def _temperature(df: pd.DataFrame, given: float | None, where: str | None) -> float:
    if given is not None:
        if not (math.isfinite(given) and given > 0):
            raise InputError(f"relaxation temperature must be positive (K), got {given}")
        return float(given)
    if "temperature_K" in df.columns and df["temperature_K"].notna().any():
        return float(df["temperature_K"].mean())
    return math.nan


def _relax_starts(
    model: str,
    names: list[str],
    t: np.ndarray,
    y: np.ndarray,
    y0: float,
    y_inf: float,
    y_ls: float,
    y_hs: float,
) -> list[list[float]]:
    t_half = max(_half_time(t, y, y0, y_inf), 1e-9)
    starts = []
    if model == "sigmoidal":
        from scipy.special import expi

        g0 = float(np.clip((y0 - y_ls) / (y_hs - y_ls), 0.02, 1.0))
        for alpha in (0.5, 2.0, 4.0, 7.0):
            k = math.exp(-alpha) * (expi(alpha * g0) - expi(alpha * g0 / 2)) / t_half
            starts.append([math.log(max(k, 1e-25)), alpha, g0])
        return starts
    for beta in (1.0, 0.6) if model == "stretched" else (1.0,):
        start = {"ln_k": math.log(math.log(2.0) / t_half), "y0": y0, "y_inf": y_inf, "beta": beta}
        starts.append([start[n] for n in names])
    return starts


# --------------------------------------------------------------------------- Arrhenius


def arrhenius(fits: Sequence[RelaxationFit]) -> ArrheniusFit:
    r"""Arrhenius law from rates at several temperatures: ln k = ln k∞ − Ea/(RT).

    Weighted linear least squares in (1/T, ln k) with σ(ln k) = su(k)/k; the covariance
    (XᵀWX)⁻¹ uses these propagated su's and is scaled up by the reduced χ² when that
    exceeds 1 (Birge ratio; R. T. Birge, *Phys. Rev.* 1932, **40**, 207). Needs two
    temperatures, three for an su. Sigmoidal fits also give the mean E_a* (weighted).
    """
    rows = [f for f in fits if math.isfinite(f.temperature_K)]
    if len({round(f.temperature_K, 6) for f in rows}) < 2:
        raise InputError("the Arrhenius law needs rates at two or more temperatures")
    T = np.array([f.temperature_K for f in rows])
    k = np.array([f.k_s for f in rows])
    sk = np.array([f.k_su for f in rows])
    s = np.where(np.isfinite(sk) & (sk > 0), sk / k, 1.0)
    X = np.column_stack([np.ones_like(T), -1e3 / (R_GAS * T)])
    W = 1.0 / s**2
    normal = X.T @ (X * W[:, None])
    cov = np.linalg.inv(normal)
    beta = cov @ (X.T @ (W * np.log(k)))
    dof = len(rows) - 2
    chi2_red = float(np.sum(W * (np.log(k) - X @ beta) ** 2) / dof) if dof > 0 else math.nan
    if dof > 0 and chi2_red > 1:
        cov = cov * chi2_red
    if dof == 0:
        cov = np.full_like(cov, np.nan)
    ln_k_inf, ea = float(beta[0]), float(beta[1])
    su_ln, su_ea = (float(math.sqrt(v)) if v >= 0 else math.nan for v in np.diag(cov))
    corr = float(cov[0, 1] / (su_ln * su_ea)) if dof > 0 else math.nan
    sig = [f for f in rows if f.model == "sigmoidal" and math.isfinite(f.Ea_star_su)]
    ea_star = ea_star_su = math.nan
    if sig:
        w = np.array([1.0 / max(f.Ea_star_su, 1e-12) ** 2 for f in sig])
        ea_star = float(np.sum(w * [f.Ea_star_kJ_mol for f in sig]) / np.sum(w))
        ea_star_su = float(1.0 / math.sqrt(np.sum(w)))
    table = pd.DataFrame(
        {"temperature_K": T, "k_s": k, "k_su": sk, "model": [f.model for f in rows]}
    )
    return ArrheniusFit(
        k_inf_s=math.exp(ln_k_inf),
        k_inf_su=math.exp(ln_k_inf) * su_ln,
        ln_k_inf=ln_k_inf,
        ln_k_inf_su=su_ln,
        Ea_kJ_mol=ea,
        Ea_su=su_ea,
        correlation=corr,
        chi2_red=chi2_red,
        n_temperatures=len(rows),
        Ea_star_kJ_mol=ea_star,
        Ea_star_su=ea_star_su,
        table=table,
    )
