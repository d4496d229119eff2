r"""A spin transition followed through any observable: resistance, colour, χMT, … vs T.

The same transition shows in the electrical resistance (a Wheatstone-bridge voltage),
optical reflectivity or colour, DSC or χMT. :func:`analyse_transition` treats one
column of a table against temperature, per sweep direction (a ``branch``/``sweep``
column, else the temperature trend in measurement order,
:func:`coordgeo.io.magdata.sweep_labels`):

- **T½ from the derivative**: the extremum of dy/dT (:mod:`coordgeo.magnetism.derivative`),
  on the branch's own trend;
- **T½ from a sigmoid fit** with su's: on each branch

  .. math::

      y(T) = [a_L + b_L(T - T_0)]\,(1 - f) + [a_H + b_H(T - T_0)]\,f, \qquad
      f = \frac{1}{1 + e^{-(T - T_{1/2})/w}},

  a logistic step between linear baselines of the low- and high-temperature states
  (T₀ the derivative T½); ``baseline='constant'`` drops the slopes b;
- **normalised transition fraction** f(T) = (y − y_L(T))/(y_H(T) − y_L(T)) with the
  fitted baselines, 0 in the low-temperature state and 1 in the high-temperature one;
- **hysteresis width** T½↑ − T½↓ (heating minus cooling) with su √(su↑² + su↓²);
- **abruptness** ΔT₁₀₋₉₀ = 2w ln 9, the interval in which f goes from 10 % to 90 %.

``log=True`` analyses log₁₀ of the column (resistances spanning decades).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from coordgeo.errors import InputError
from coordgeo.io.magdata import sweep_direction, sweep_labels
from coordgeo.magnetism.data import MAX_FIT_POINTS, bin_points, check_range
from coordgeo.magnetism.derivative import derivative_extremum
from coordgeo.magnetism.engine import propagate, refine

LN9 = math.log(9.0)
_T_NAMES = ("temperature_k", "temperature (k)", "temperature", "t (k)", "t/k", "t", "temp (k)")


@dataclass(frozen=True, eq=False)
class Transition:
    """Transition temperatures of one observable (units in the names; nan where n/a).

    ``T_half_up_K``/``T_half_down_K`` (heating/cooling) come from the sigmoid fits with
    su's, ``*_deriv_K`` from the derivative extrema; ``hysteresis_width_K`` = T½↑ − T½↓.
    ``branches`` holds one row per branch; ``curve`` the points with their normalised
    fraction and the fitted curve.
    """

    column: str
    path: str | None
    log: bool
    T_half_up_K: float
    T_half_up_su: float
    T_half_down_K: float
    T_half_down_su: float
    hysteresis_width_K: float
    hysteresis_width_su: float
    T_half_up_deriv_K: float
    T_half_down_deriv_K: float
    hysteresis_width_deriv_K: float
    notes: tuple[str, ...]
    branches: pd.DataFrame = field(repr=False)
    curve: pd.DataFrame = field(repr=False)

    def as_dict(self) -> dict[str, float | str | bool | None]:
        out = {
            n: getattr(self, n)
            for n in self.__dataclass_fields__
            if n not in ("branches", "curve", "notes")
        }
        for row in self.branches.itertuples():
            out[f"dT_10_90_{row.branch}_K"] = row.dT_10_90_K
            out[f"dT_10_90_{row.branch}_su"] = row.dT_10_90_su
        out["notes"] = "; ".join(self.notes)
        return out


def _match(columns: list[str], name: str, where: str | None) -> str:
    if name in columns:
        return name
    low = name.strip().lower()
    for c in columns:
        if c.lower() == low:
            return c
    bare = [c for c in columns if re.split(r"\s*[(\[]", c.lower())[0].strip() == low]
    if len(bare) == 1:
        return bare[0]
    raise InputError(f"no column {name!r}; columns: {', '.join(columns)}", path=where)


def _temperature_column(columns: list[str], given: str | None, where: str | None) -> str:
    if given:
        return _match(columns, given, where)
    for c in columns:
        if c.strip().lower() in _T_NAMES:
            return c
    for c in columns:
        if c.strip().lower().startswith(("temperature", "temp")):
            return c
    raise InputError(
        f"no temperature column (looked for Temperature (K), T, …); columns: {', '.join(columns)}",
        path=where,
    )


def _branches(df: pd.DataFrame, t: np.ndarray, where: str | None) -> np.ndarray:
    for c in df.columns:
        if str(c).strip().lower() in ("branch", "sweep", "direction"):
            words = df[c].astype(str).to_numpy()
            labels = np.array([sweep_direction(w) or "" for w in words], dtype=object)
            if np.all(labels != ""):
                return labels
            bad = words[np.argmax(labels == "")]
            raise InputError(f"{c}: unknown sweep direction {bad!r}", path=where)
    return sweep_labels(t)


def _sigmoid(
    t: np.ndarray, t_half: float, w: float, aL: float, bL: float, aH: float, bH: float, t0: float
) -> tuple[np.ndarray, np.ndarray]:
    from scipy.special import expit

    f = expit((t - t_half) / w)
    return (aL + bL * (t - t0)) * (1 - f) + (aH + bH * (t - t0)) * f, f


def _fit_branch(
    t: np.ndarray, y: np.ndarray, su: np.ndarray, name: str, baseline: str, where: str | None,
    window: float | None,
) -> tuple[dict[str, float], np.ndarray, np.ndarray, list[str]]:  # fmt: skip
    """Derivative and sigmoid T½ of one branch: (row, fraction, y_calc, notes)."""
    notes: list[str] = []
    order = np.argsort(t, kind="stable")
    t, y, su = t[order], y[order], su[order]
    k = max(3, t.size // 10)
    low, high = float(np.median(y[:k])), float(np.median(y[-k:]))
    found = derivative_extremum(
        t, y, sign=1.0 if high >= low else -1.0, window=window, what=f"{name} branch", where=where
    )
    amplitude = high - low
    w0 = abs(amplitude) / (4.0 * abs(found.slope)) if found.slope else 0.05 * np.ptp(t)
    span = float(np.ptp(t))
    w0 = float(np.clip(w0, 1e-3 * span, 0.5 * span))
    t0 = found.x
    names = ["T_half", "w", "aL", "aH"] + (["bL", "bH"] if baseline == "linear" else [])
    lower = [t.min(), 1e-4 * span, -np.inf, -np.inf] + [-np.inf] * (len(names) - 4)
    upper = [t.max(), span, np.inf, np.inf] + [np.inf] * (len(names) - 4)

    def values(p: np.ndarray) -> dict[str, float]:
        v = {"bL": 0.0, "bH": 0.0}
        v.update(zip(names, np.asarray(p, float).tolist(), strict=True))
        return v

    def residuals(p: np.ndarray) -> np.ndarray:
        v = values(p)
        calc, _ = _sigmoid(t, v["T_half"], v["w"], v["aL"], v["bL"], v["aH"], v["bH"], t0)
        return (calc - y) / su

    start = {"T_half": t0, "w": w0, "aL": low, "aH": high, "bL": 0.0, "bH": 0.0}
    row = {
        "branch": name,
        "T_half_deriv_K": found.x,
        "slope_extremum": found.slope,
        "window_K": found.window,
        "n_points": int(t.size),
    }
    nan_row = dict.fromkeys(("T_half_K", "T_half_su", "width_K", "width_su", "dT_10_90_K",
                             "dT_10_90_su", "amplitude", "chi2_red"), math.nan)  # fmt: skip
    if t.size < len(names) + 3:
        notes.append(f"{name}: {t.size} points are too few for a sigmoid fit")
        return row | nan_row, np.full(t.size, np.nan), np.full(t.size, np.nan), notes
    try:
        ref = refine(residuals, [[start[n] for n in names]], lower, upper, names,
                     what=f"sigmoid fit of the {name} branch", where=where)  # fmt: skip
    except InputError as exc:
        notes.append(str(exc))
        return row | nan_row, np.full(t.size, np.nan), np.full(t.size, np.nan), notes

    def report(p: np.ndarray) -> dict[str, float]:
        v = values(p)
        return {"T_half": v["T_half"], "w": v["w"], "dT": 2.0 * v["w"] * LN9,
                "amplitude": v["aH"] - v["aL"]}  # fmt: skip

    q, s, _ = propagate(ref, report)
    v = values(ref.x)
    calc, _ = _sigmoid(t, v["T_half"], v["w"], v["aL"], v["bL"], v["aH"], v["bH"], t0)
    base_l = v["aL"] + v["bL"] * (t - t0)
    base_h = v["aH"] + v["bH"] * (t - t0)
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = (y - base_l) / (base_h - base_l)
    if ref.at_bound:
        notes.append(f"{name}: sigmoid fit stopped at a bound of {', '.join(ref.at_bound)}")
    row |= {
        "T_half_K": q["T_half"],
        "T_half_su": s["T_half"],
        "width_K": q["w"],
        "width_su": s["w"],
        "dT_10_90_K": q["dT"],
        "dT_10_90_su": s["dT"],
        "amplitude": q["amplitude"],
        "chi2_red": ref.chi2_red,
    }
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    return row, fraction[inverse], calc[inverse], notes


def analyse_transition(
    data: pd.DataFrame | str | Path,
    column: str,
    *,
    temperature_column: str | None = None,
    log: bool = False,
    baseline: str = "linear",
    window_K: float | None = None,
    max_points: int = MAX_FIT_POINTS,
) -> Transition:
    """T½↑, T½↓, hysteresis width and abruptness of ``column`` vs temperature (module docstring).

    Parameters
    ----------
    data
        A table (DataFrame or a file read by :func:`coordgeo.io.magnetometer.read_columns`:
        plain delimited text with a header, or a Quantum Design ``.dat``).
    column
        The observable; matched exactly, case-insensitively, or without its unit
        (``Resistance`` finds ``Resistance (Ohm)``).
    temperature_column
        Default: ``temperature_K``, ``Temperature (K)``, ``T``, … whichever comes first.
    log
        Analyse log₁₀ of the column (positive values only).
    baseline
        ``'linear'`` (default) or ``'constant'`` baselines of the sigmoid fit.
    window_K
        Smoothing window of the derivative (default adaptive).
    """
    if baseline not in ("linear", "constant"):
        raise InputError(f"baseline must be 'linear' or 'constant', got {baseline!r}")
    if isinstance(data, str | Path):
        from coordgeo.io.magnetometer import read_columns

        data = read_columns(data)
    where = data.attrs.get("path")
    columns = [str(c) for c in data.columns]
    t_col = _temperature_column(columns, temperature_column, where)
    y_col = _match(columns, column, where)
    t_all = pd.to_numeric(data[t_col], errors="coerce").to_numpy(dtype=float)
    y_all = pd.to_numeric(data[y_col], errors="coerce").to_numpy(dtype=float)
    keep = np.isfinite(t_all) & np.isfinite(y_all)
    notes = []
    if log:
        keep &= y_all > 0
    if keep.sum() < len(data):
        notes.append(f"{len(data) - int(keep.sum())} rows without a usable {y_col} or T skipped")
    if keep.sum() < 8:
        raise InputError(f"{int(keep.sum())} usable rows of {y_col}; at least 8 needed", path=where)
    labels = _branches(data, t_all, where)[keep]
    t, y = t_all[keep], y_all[keep]
    check_range(t, t_col, 1e-3, 5000.0, where)
    if log:
        y = np.log10(y)
    check_range(y, y_col, -1e300, 1e300, where)
    if np.ptp(y) <= 0:
        raise InputError(f"{y_col} does not change: no transition to analyse", path=where)
    t, y, labels, su, note = bin_points(t, y, labels, max_points)
    if note:
        notes.append(note)
    rows, parts = [], []
    for name in pd.unique(labels):
        sel = labels == name
        row, fraction, calc, branch_notes = _fit_branch(
            t[sel], y[sel], su[sel], str(name), baseline, where, window_K
        )
        rows.append(row)
        notes += branch_notes
        parts.append(pd.DataFrame({"temperature_K": t[sel], "branch": name, "value": y[sel],
                                   "fraction": fraction, "value_calc": calc}))  # fmt: skip
    branches = pd.DataFrame(rows)
    get = branches.set_index("branch")

    def pick(branch: str, key: str) -> float:
        return float(get.loc[branch, key]) if branch in get.index else math.nan

    up, up_su = pick("heating", "T_half_K"), pick("heating", "T_half_su")
    down, down_su = pick("cooling", "T_half_K"), pick("cooling", "T_half_su")
    up_d, down_d = pick("heating", "T_half_deriv_K"), pick("cooling", "T_half_deriv_K")
    return Transition(
        column=y_col,
        path=where,
        log=log,
        T_half_up_K=up,
        T_half_up_su=up_su,
        T_half_down_K=down,
        T_half_down_su=down_su,
        hysteresis_width_K=up - down,
        hysteresis_width_su=math.hypot(up_su, down_su),
        T_half_up_deriv_K=up_d,
        T_half_down_deriv_K=down_d,
        hysteresis_width_deriv_K=up_d - down_d,
        notes=tuple(notes),
        branches=branches,
        curve=pd.concat(parts, ignore_index=True),
    )
