r"""Transition temperatures from derivative extrema: T½ from d(χMT)/dT, T(LIESST).

The derivative of a measured curve y(x) is taken by sorting the points (duplicates
averaged), interpolating them linearly onto an even grid of their median step (at most
:data:`MAX_GRID` nodes) and differentiating with a Savitzky–Golay filter (local
quadratic, ``scipy.signal.savgol_filter``; A. Savitzky, M. J. E. Golay, *Anal. Chem.*
1964, **36**, 1627) over a window that scales with the transition (half its 25–75 %
width, at least 5 grid points). The extremum is refined by a parabola through the three
grid points around it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from coordgeo.errors import InputError
from coordgeo.magnetism.data import as_chimt_frame

#: Most grid nodes a derivative is evaluated on.
MAX_GRID = 20000


def crossing(t: np.ndarray, chi: np.ndarray, level: float) -> float:
    """First abscissa (from the start) where ``chi`` crosses ``level``, linearly interpolated."""
    above = chi >= level
    idx = np.flatnonzero(above[1:] != above[:-1])
    if idx.size == 0:
        return math.nan
    i = idx[0]
    return float(t[i] + (level - chi[i]) * (t[i + 1] - t[i]) / (chi[i + 1] - chi[i]))


def default_window(t: np.ndarray, chi: np.ndarray, step: float) -> float:
    """Half the 25–75 % width of the transition, at least 5 grid steps.

    Scaling the window with the transition keeps the smoothing bias a small, fixed
    fraction of the peak width while averaging the noise of gradual curves over many
    points; an abrupt step keeps the narrow 5-point window.
    """
    low, high = np.median(chi[:3]), np.median(chi[-3:])
    t25 = crossing(t, chi, low + 0.25 * (high - low))
    t75 = crossing(t, chi, low + 0.75 * (high - low))
    spread = abs(t75 - t25) if math.isfinite(t25) and math.isfinite(t75) else 0.0
    return max(5.0 * step, 0.5 * spread)


@dataclass(frozen=True)
class Extremum:
    """An extremum of a smoothed derivative: position, slope there, and the curve."""

    x: float
    slope: float
    window: float
    grid: np.ndarray
    derivative: np.ndarray
    values: np.ndarray


def derivative_extremum(
    x: np.ndarray,
    y: np.ndarray,
    *,
    sign: float | None = None,
    window: float | None = None,
    what: str = "curve",
    where: str | None = None,
) -> Extremum:
    """Position of the largest ``sign``·dy/dx of a measured curve (module docstring).

    ``sign`` +1 finds the steepest rise, −1 the steepest fall; None takes the overall
    trend (sign of the last minus the first values). ``window`` in units of x (default:
    :func:`default_window`).
    """
    from scipy.signal import savgol_filter

    mean = pd.Series(y).groupby(np.asarray(x, dtype=float), sort=True).mean()
    t, v = mean.index.to_numpy(dtype=float), mean.to_numpy(dtype=float)
    if t.size < 5:
        raise InputError(f"{what} has {t.size} distinct points; a derivative needs 5", path=where)
    step = max(float(np.median(np.diff(t))), float(t[-1] - t[0]) / MAX_GRID)
    grid = np.arange(t[0], t[-1] + 0.5 * step, step)
    on_grid = np.interp(grid, t, v)
    width = default_window(grid, on_grid, step) if window is None else float(window)
    if not (math.isfinite(width) and width > 0):
        raise InputError(f"derivative window must be positive, got {window}", path=where)
    points = max(5, round(width / step) | 1)
    points = min(points, grid.size if grid.size % 2 else grid.size - 1)
    if points < 3:
        raise InputError(f"{what} too short for a derivative", path=where)
    slope = savgol_filter(on_grid, points, min(2, points - 1), deriv=1, delta=step)
    trend = (1.0 if on_grid[-1] >= on_grid[0] else -1.0) if sign is None else float(sign)
    i = int(np.argmax(trend * slope))
    x_max = float(grid[i])
    if 0 < i < grid.size - 1:
        y0, y1, y2 = trend * slope[i - 1 : i + 2]
        curvature = y0 - 2.0 * y1 + y2
        if curvature < 0:
            x_max += step * 0.5 * (y0 - y2) / curvature
    return Extremum(x_max, float(slope[i]), points * step, grid, slope, on_grid)


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


def t_half_derivative(
    data: pd.DataFrame | str | Path, *, window_K: float | None = None
) -> DerivativeTHalf:
    """T½ as the temperature of maximum d(χMT)/dT on each branch.

    Each branch is differentiated as described in the module docstring over
    ``window_K`` kelvin (default: half the 25–75 % width of the transition, at least 5
    points). For an abrupt (hysteretic) transition this is the temperature of the step.
    For a gradual one it is *not* ΔH/ΔS: for Γ = 0, dγ/dT = γ(1-γ)ΔH/RT² peaks where
    1 - 2γ = 2RT/ΔH, a little below T½ (≈ 7 K for ΔH = 21.9 kJ mol⁻¹, T½ = 250 K).
    """
    df = as_chimt_frame(data)
    where = df.attrs.get("path")
    rows = []
    curves = []
    for name, part in df.groupby(df["branch"].astype(str), sort=True):
        found = derivative_extremum(
            part["temperature_K"].to_numpy(dtype=float),
            part["chi_mt"].to_numpy(dtype=float),
            window=window_K,
            what=f"{name} branch",
            where=where,
        )
        rows.append(
            {
                "branch": name,
                "T_half_K": found.x,
                "dchi_mt_dT_max": found.slope,
                "n_points": int(part["temperature_K"].nunique()),
                "window_K": found.window,
            }
        )
        curves.append(
            pd.DataFrame(
                {"branch": name, "temperature_K": found.grid, "dchi_mt_dT": found.derivative}
            )
        )
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


@dataclass(frozen=True, eq=False)
class LiesstTemperature:
    """T(LIESST): the temperature of the minimum of d(χMT)/dT on the warming curve."""

    T_liesst_K: float
    dchi_mt_dT_min: float
    window_K: float
    n_points: int
    path: str | None
    curve: pd.DataFrame = field(repr=False)  # temperature_K, chi_mt (on the grid), dchi_mt_dT

    def as_dict(self) -> dict[str, float | int | str | None]:
        return {
            "T_liesst_K": self.T_liesst_K,
            "dchi_mt_dT_min": self.dchi_mt_dT_min,
            "window_K": self.window_K,
            "n_points": self.n_points,
            "path": self.path,
        }


def t_liesst(
    data: pd.DataFrame | str | Path, *, window_K: float | None = None
) -> LiesstTemperature:
    """T(LIESST) from a warming curve χMT(T) recorded after irradiation at low temperature.

    T(LIESST) is the temperature of the minimum of ∂χMT/∂T of the warming curve (usually
    at 0.3 K min⁻¹ after irradiation at 10 K), where the light-induced HS state relaxes
    fastest (J.-F. Létard, P. Guionneau, L. Rabardel, J. A. K. Howard, A. E. Goeta,
    D. Chasseau, O. Kahn, *Inorg. Chem.* 1998, **37**, 4432–4441; J.-F. Létard,
    *J. Mater. Chem.* 2006, **16**, 2550). The derivative is taken as in the module
    docstring. Points labelled ``'cooling'`` are left out; all others (heating or
    unspecified) form the warming curve.
    """
    df = as_chimt_frame(data)
    where = df.attrs.get("path")
    warm = df[df["branch"].astype(str) != "cooling"]
    if warm.empty:
        raise InputError("no warming (heating) points for T(LIESST)", path=where)
    found = derivative_extremum(
        warm["temperature_K"].to_numpy(dtype=float),
        warm["chi_mt"].to_numpy(dtype=float),
        sign=-1.0,
        window=window_K,
        what="warming curve",
        where=where,
    )
    curve = pd.DataFrame(
        {"temperature_K": found.grid, "chi_mt": found.values, "dchi_mt_dT": found.derivative}
    )
    return LiesstTemperature(found.x, found.slope, found.window, len(warm), where, curve)
