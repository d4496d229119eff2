"""Checking and thinning measured curves before a fit: ranges, binning, runs test.

Every fit of :mod:`coordgeo.magnetism` goes through here, so hostile input (millions of
rows, noise without a transition, absurd numbers) meets one set of bounds:

- temperatures must lie in (0, :data:`MAX_TEMPERATURE_K`] K and values be finite;
- more than :data:`MAX_FIT_POINTS` points are averaged in equal-width bins of the
  abscissa (per branch) down to that number, the bin means weighted by √(points in the
  bin) (the su of a mean of k equally noisy points is σ/√k), and a note says so.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from coordgeo.errors import InputError

#: Largest number of points a fit works on; more are binned (see the module docstring).
MAX_FIT_POINTS = 3000
#: Upper limit of a plausible measurement temperature (K).
MAX_TEMPERATURE_K = 5000.0


def as_chimt_frame(data: pd.DataFrame | str | Path) -> pd.DataFrame:
    """χMT(T) data as a checked DataFrame (``temperature_K``, ``chi_mt``, ``branch``).

    A path is read with :func:`coordgeo.io.magnetometer.read_susceptibility` (plain χMT
    files and Quantum Design ``.dat`` files with their header's mass and molar mass).
    """
    if isinstance(data, str | Path):
        from coordgeo.io.magnetometer import read_susceptibility

        data = read_susceptibility(data)
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
    check_range(t, "temperature_K", 1e-3, MAX_TEMPERATURE_K, df.attrs.get("path"))
    check_range(chi, "chi_mt", -1e6, 1e6, df.attrs.get("path"))
    df["temperature_K"] = t
    df["chi_mt"] = chi
    return df


def check_range(values: np.ndarray, name: str, low: float, high: float, where: str | None) -> None:
    """InputError naming the first row outside [low, high]."""
    outside = (values < low) | (values > high)
    if outside.any():
        i = int(np.argmax(outside))
        raise InputError(
            f"row {i}: {name} = {values[i]:.4g} is outside the plausible range [{low:g}, {high:g}]",
            path=where,
        )


def bin_points(
    x: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    max_points: int = MAX_FIT_POINTS,
    *,
    sigma: np.ndarray | None = None,
    unit: str = "K",
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str | None]:
    """Average (x, y) in equal-width x bins per group when there are more than ``max_points``.

    Returns ``x, y, groups, su, note``: ``su`` is the relative su of each point — 1 for
    unbinned points, 1/√k for the mean of k points, or, with ``sigma``, √(Σσ²)/k — and
    ``note`` says what was done (None when nothing was).
    """
    n = x.size
    su = np.ones(n) if sigma is None else np.asarray(sigma, dtype=float)
    if n <= max_points:
        return x, y, groups, su, None
    xs, ys, gs, ss = [], [], [], []
    names = pd.unique(groups)
    widths = []
    for name in names:
        sel = groups == name
        share = max(8, int(max_points * sel.sum() / n))
        xg, yg, sg = x[sel], y[sel], su[sel]
        lo, hi = float(xg.min()), float(xg.max())
        if hi <= lo:
            bins = np.zeros(xg.size, dtype=int)
            share = 1
        else:
            bins = np.minimum(((xg - lo) / (hi - lo) * share).astype(int), share - 1)
            widths.append((hi - lo) / share)
        count = np.bincount(bins, minlength=share)
        used = count > 0
        mean_x = np.bincount(bins, weights=xg, minlength=share)[used] / count[used]
        mean_y = np.bincount(bins, weights=yg, minlength=share)[used] / count[used]
        var = np.bincount(bins, weights=sg * sg, minlength=share)[used]
        xs.append(mean_x)
        ys.append(mean_y)
        gs.append(np.full(mean_x.size, name, dtype=object))
        ss.append(np.sqrt(var) / count[used])
    x_b, y_b = np.concatenate(xs), np.concatenate(ys)
    width = f" of {min(widths):.3g} {unit}" if widths else ""
    note = f"{n} points averaged in {x_b.size} bins{width} (fits use at most {max_points})"
    return x_b, y_b, np.concatenate(gs), np.concatenate(ss), note


def runs_test(
    residual: np.ndarray, order: np.ndarray, groups: np.ndarray
) -> tuple[int, float, float, float]:
    r"""Wald–Wolfowitz runs test on the signs of residuals, per group in ``order``.

    For n₊ positive and n₋ negative residuals (zeros dropped) in a random order the
    number of runs R has mean μ = 2n₊n₋/n + 1 and variance
    σ² = 2n₊n₋(2n₊n₋ − n)/[n²(n − 1)] (A. Wald, J. Wolfowitz, *Ann. Math. Stat.*
    1940, **11**, 147–162); groups (branches) add their runs, means and variances.
    Returns ``(R, μ, σ, z)`` with z = (R − μ)/σ; z ≪ 0 (too few runs) means the
    residuals come in long same-sign stretches: the model misses a feature of the
    curve. nan when there are too few residuals of either sign.
    """
    runs, mean, var = 0, 0.0, 0.0
    for name in pd.unique(groups):
        sel = groups == name
        r = residual[sel][np.argsort(order[sel], kind="stable")]
        signs = r[r != 0] > 0
        n1, n2 = int(signs.sum()), int((~signs).sum())
        n = n1 + n2
        if n1 < 2 or n2 < 2:
            continue
        runs += 1 + int(np.count_nonzero(signs[1:] != signs[:-1]))
        mean += 2.0 * n1 * n2 / n + 1.0
        var += 2.0 * n1 * n2 * (2.0 * n1 * n2 - n) / (n * n * (n - 1.0))
    if var <= 0:
        return runs, math.nan, math.nan, math.nan
    sd = math.sqrt(var)
    return runs, mean, sd, (runs - mean) / sd


def von_neumann_test(
    residual: np.ndarray, order: np.ndarray, groups: np.ndarray
) -> tuple[float, float]:
    r"""Von Neumann ratio of successive residuals, per group in ``order``: (η, z).

    η = Σ(r_i − r_{i−1})² / Σ(r_i − r̄)², differences taken within each group (branch).
    For independent residuals η ≈ 2 with variance 4(n − 2)/(n² − 1) (J. von Neumann,
    *Ann. Math. Stat.* 1941, **12**, 367–395); a smooth misfit makes neighbours alike
    and η ≪ 2 (z ≪ 0). Unlike the runs test it weighs residuals by their size, so the
    tiny same-sign misfits of a far more precisely measured region (an LS plateau under
    relative noise, fitted with unit weights) do not count as systematic.
    """
    num = den = 0.0
    n = 0
    for name in pd.unique(groups):
        sel = groups == name
        r = residual[sel][np.argsort(order[sel], kind="stable")]
        if r.size < 3:
            continue
        num += float(np.sum(np.diff(r) ** 2))
        den += float(np.sum((r - r.mean()) ** 2))
        n += r.size
    if n < 8 or den <= 0:
        return math.nan, math.nan
    ratio = num / den
    return ratio, (ratio - 2.0) / math.sqrt(4.0 * (n - 2) / (n * n - 1.0))


def information_criteria(chi2: float, n: int, k: int) -> tuple[float, float]:
    r"""(AIC, BIC) of a least-squares fit: n ln(χ²/n) + 2k and n ln(χ²/n) + k ln n.

    χ² is the weighted sum of squared residuals, k the number of refined parameters
    (the common noise variance, the same for every model of one data set, is left
    out). Lower is better; differences of more than ~10 are decisive (K. P. Burnham,
    D. R. Anderson, *Model Selection and Multimodel Inference*, 2nd ed., Springer 2002,
    §2.2 and §6.4; G. Schwarz, *Ann. Stat.* 1978, **6**, 461).
    """
    rss = max(chi2, np.finfo(float).tiny * n)
    base = n * math.log(rss / n)
    return base + 2.0 * k, base + k * math.log(n)
