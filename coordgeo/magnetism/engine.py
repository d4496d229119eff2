r"""Weighted least squares with standard uncertainties, shared by every fit of the package.

:func:`refine` minimises Σ r_i(p)² over box bounds with ``scipy.optimize.least_squares``
(trust-region reflective, central-difference Jacobian J of the weighted residuals) from
several starts and keeps the lowest χ². The covariance of the refined parameters is

.. math::

    V = s^2 (J^\mathsf{T} J)^{+}, \qquad s^2 = \frac{\sum r_i^2}{n - p}

(pseudo-inverse by SVD; s² the reduced χ², so su's are scaled by the goodness of fit as
in ``curve_fit(absolute_sigma=False)``; W. H. Press et al., *Numerical Recipes*, 3rd
ed., §15.4–15.5). Directions with zero singular values are not determined by the data.
:func:`propagate` gives any reported quantities q(p) with V_q = A V Aᵀ, A = ∂q/∂p by
central differences; quantities that do not depend on refined parameters (fixed ones)
get su nan, those leaning on an undetermined direction su inf.

Failures are :class:`coordgeo.errors.InputError` with the reason, never a traceback:
a model that cannot be evaluated at a start (non-finite residuals) skips that start; no
usable start or no convergence ends the fit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from coordgeo.errors import InputError

_NUMERIC_ERRORS = (ValueError, ArithmeticError)  # InputError is a ValueError too
#: Model evaluations one refinement may spend over all its starts.
EVALUATION_BUDGET = 6000


@dataclass(frozen=True, eq=False)
class Refinement:
    """The best least-squares solution and its covariance (module docstring)."""

    names: tuple[str, ...]
    x: np.ndarray
    cov: np.ndarray
    null: np.ndarray  # rows: parameter-space directions the data do not determine
    residual: np.ndarray  # weighted residuals at x
    chi2: float
    chi2_red: float
    n: int
    at_bound: tuple[str, ...]

    @property
    def p(self) -> int:
        return len(self.names)


def refine(
    residuals: Callable[[np.ndarray], np.ndarray],
    starts: Sequence[Sequence[float]],
    lower: Sequence[float],
    upper: Sequence[float],
    names: Sequence[str],
    *,
    what: str = "fit",
    where: str | None = None,
    budget: int = EVALUATION_BUDGET,
) -> Refinement:
    """Least squares of ``residuals(p)`` from each start; the lowest converged χ² wins.

    The starts share ``budget`` model evaluations (Jacobian columns included), so that
    data the model cannot describe (noise) end in bounded time with "did not converge".
    """
    from scipy.optimize import least_squares

    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    size, big = [0], [0.0]  # residual count and penalty once a start has been evaluated

    def safe(p: np.ndarray) -> np.ndarray:
        try:
            with np.errstate(all="ignore"):
                r = np.asarray(residuals(p), dtype=float)
        except _NUMERIC_ERRORS:
            r = None
        if r is None or not np.all(np.isfinite(r)):
            # outside the model's domain: a large constant keeps the solver bounded
            return np.full(size[0], big[0]) if size[0] else np.array([np.nan])
        return r

    with np.errstate(invalid="ignore"):  # starts strictly inside finite bounds
        inner_lo = np.where(np.isfinite(lo), lo + 1e-9 * (1.0 + np.abs(lo)), lo)
        inner_hi = np.where(np.isfinite(hi), hi - 1e-9 * (1.0 + np.abs(hi)), hi)
    best, reason = None, "no start given"
    per_start = max(20, budget // ((2 * lo.size + 1) * max(1, len(starts))))
    for start in starts:
        p0 = np.clip(np.asarray(start, dtype=float), inner_lo, inner_hi)
        size[0] = 0
        r0 = safe(p0)
        if r0.size == 0 or not np.all(np.isfinite(r0)):
            reason = "the model gives non-finite residuals at the start point"
            continue
        size[0], big[0] = r0.size, 1e3 * (1.0 + float(np.max(np.abs(r0))))
        try:
            with np.errstate(all="ignore"):
                res = least_squares(
                    safe, p0, bounds=(lo, hi), jac="3-point", x_scale="jac",
                    xtol=1e-12, ftol=1e-12, gtol=1e-12, max_nfev=per_start,
                )  # fmt: skip
        except (*_NUMERIC_ERRORS, np.linalg.LinAlgError) as exc:
            reason = str(exc) or type(exc).__name__
            continue
        if not (np.all(np.isfinite(res.x)) and math.isfinite(res.cost)):
            reason = "the solution is not finite"
            continue
        if res.status <= 0:
            reason = f"did not converge within {per_start} iterations from any start"
            continue
        if best is None or res.cost < best.cost:
            best = res
    if best is None:
        raise InputError(f"{what} failed: {reason}", path=where)
    return _covariance(best, tuple(names), lo, hi, what, where)


def _covariance(best, names, lo, hi, what, where) -> Refinement:
    n, p = best.fun.size, best.x.size
    if n <= p:
        raise InputError(f"{what}: {n} points for {p} parameters", path=where)
    chi2 = 2.0 * float(best.cost)
    chi2_red = chi2 / (n - p)
    jac = np.asarray(best.jac, dtype=float)
    if not np.all(np.isfinite(jac)):
        raise InputError(f"{what}: the Jacobian at the solution is not finite", path=where)
    try:
        _, s, vt = np.linalg.svd(jac, full_matrices=False)
    except np.linalg.LinAlgError as exc:
        raise InputError(f"{what}: no covariance ({exc})", path=where) from None
    keep = s > np.finfo(float).eps * max(jac.shape) * (s[0] if s.size else 0.0)
    if s.size == 0 or s[0] == 0:
        keep = np.zeros(s.size, dtype=bool)
    cov = (vt[keep].T / s[keep] ** 2) @ vt[keep] * chi2_red
    at_bound = tuple(
        name
        for name, x, low, high in zip(names, best.x, lo, hi, strict=True)
        if np.isclose(x, low) or np.isclose(x, high)
    )
    return Refinement(names, best.x, cov, vt[~keep], best.fun, chi2, chi2_red, n, at_bound)


def propagate(
    ref: Refinement, report: Callable[[np.ndarray], dict[str, float]]
) -> tuple[dict[str, float], dict[str, float], pd.DataFrame]:
    """Reported quantities, their su's and covariance from a refinement (module docstring)."""
    values = report(ref.x)
    keys = list(values)
    A = np.zeros((len(keys), ref.p))
    for j in range(ref.p):
        h = 1e-7 * max(abs(ref.x[j]), 1.0)
        up, down = ref.x.copy(), ref.x.copy()
        up[j] += h
        down[j] -= h
        with np.errstate(all="ignore"):
            q_up, q_down = report(up), report(down)
        A[:, j] = [(q_up[k] - q_down[k]) / (2.0 * h) for k in keys]
    A = np.where(np.isfinite(A), A, 0.0)
    cov = A @ ref.cov @ A.T
    su = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    if ref.null.size:
        leak = np.linalg.norm(A @ ref.null.T, axis=1) > 1e-6 * np.linalg.norm(A, axis=1)
        su = np.where(leak, math.inf, su)
    refined = np.any(A != 0, axis=1)
    su = np.where(refined, su, math.nan)
    su = np.where(np.isfinite([values[k] for k in keys]), su, math.nan)
    frame = pd.DataFrame(cov, index=keys, columns=keys)
    return values, dict(zip(keys, su.tolist(), strict=True)), frame


def correlation(cov: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Correlation matrix of ``names`` (those present) from a covariance frame."""
    present = [n for n in names if n in cov.index]
    sub = cov.loc[present, present].to_numpy(dtype=float)
    d = np.sqrt(np.diag(sub))
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.DataFrame(sub / np.outer(d, d), index=present, columns=present)
