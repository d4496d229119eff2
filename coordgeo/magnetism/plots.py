"""Figures of the magnetism analyses (matplotlib, headless Agg canvas; PNG/SVG/PDF by suffix).

Every function builds a :class:`matplotlib.figure.Figure` directly (no pyplot, no GUI
backend), saves it when given a path and returns it, so it works in scripts, notebooks,
headless servers and the report site. The first axes (``fig.axes[0]``) is always the
main panel.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

_COLOURS = {"cooling": "tab:blue", "heating": "tab:red", "equilibrium": "tab:green"}
_MODEL_STYLE = {"exponential": "--", "stretched": "-.", "sigmoidal": "-"}


def _figure(size: tuple[float, float], rows: int = 1, ratios: Sequence[float] | None = None):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)  # headless; savefig still picks the SVG/PDF writer by suffix
    if rows == 1:
        return fig, [fig.add_subplot()]
    axes = fig.subplots(rows, 1, sharex=True, gridspec_kw={"height_ratios": ratios})
    return fig, list(axes)


def _save(fig: Any, path: str | Path | None) -> Any:
    if path is not None:
        fig.savefig(path, dpi=150)
    return fig


def plot_sd_fit(
    fit: Any,
    path: str | Path | None = None,
    *,
    others: Sequence[Any] = (),
    derivative: Any = None,
    residuals: bool = True,
):
    """χMT(T) data (points), the fitted SD curve (lines, per branch) and the residuals.

    ``fit`` is an :class:`~coordgeo.magnetism.SDFit` or
    :class:`~coordgeo.magnetism.TwoStepSDFit`; ``others`` are further fits of the same
    data drawn dashed (e.g. the one-step fit beside the two-step one); ``derivative``
    (:class:`~coordgeo.magnetism.DerivativeTHalf`) adds a d(χMT)/dT panel. The LS
    baseline of non-switching ions, when set, is a dotted line. Returns the Figure.
    """
    rows = 1 + int(residuals) + int(derivative is not None)
    ratios = [3.0] + [1.0] * int(residuals) + [1.3] * int(derivative is not None)
    fig, axes = _figure((5.5, 4.0 + 1.2 * (rows - 1)), rows, ratios)
    ax = axes[0]
    curve = fit.curve
    t_dense = np.linspace(curve["temperature_K"].min(), curve["temperature_K"].max(), 600)
    for name, part in curve.groupby("branch", sort=True):
        colour = _COLOURS.get(str(name), "k")
        ax.plot(part["temperature_K"], part["chi_mt"], "o", ms=3, mfc="none", color=colour,
                label=f"data ({name})")  # fmt: skip
        ax.plot(t_dense, fit.model(t_dense, branch=str(name)), "-", color=colour,
                label=f"{fit.model_name} SD fit ({name})")  # fmt: skip
        for other in others:
            ax.plot(t_dense, other.model(t_dense, branch=str(name)), "--", color=colour, lw=1,
                    label=f"{other.model_name} SD fit ({name})")  # fmt: skip
    if getattr(fit, "chi_mt_non_switching", 0.0):
        ax.axhline(fit.chi_mt_non_switching, ls=":", color="grey",
                   label="LS baseline (non-switching ions)")  # fmt: skip
    ax.set_ylabel("χMT / cm³ K mol⁻¹")
    ax.set_title(_sd_title(fit), fontsize=8)
    ax.legend(fontsize=6)
    k = 1
    if residuals:
        res = axes[k]
        for name, part in curve.groupby("branch", sort=True):
            res.plot(part["temperature_K"], part["residual"], ".", ms=2,
                     color=_COLOURS.get(str(name), "k"))  # fmt: skip
        res.axhline(0.0, color="k", lw=0.5)
        res.set_ylabel("residual")
        k += 1
    if derivative is not None:
        dax = axes[k]
        for name, part in derivative.curve.groupby("branch", sort=True):
            dax.plot(part["temperature_K"], part["dchi_mt_dT"], "-",
                     color=_COLOURS.get(str(name), "k"), label=str(name))  # fmt: skip
        for row in derivative.branches.itertuples():
            dax.axvline(row.T_half_K, ls=":", color=_COLOURS.get(str(row.branch), "k"))
        dax.set_ylabel("d(χMT)/dT")
    axes[-1].set_xlabel("T / K")
    return _save(fig, path)


def _sd_title(fit: Any) -> str:
    if getattr(fit, "model_name", "one-step") == "two-step":
        parts = [
            f"T½{i} = {row.T_half_K:.1f} K (ΔH {row.dH_kJ_mol:.1f}, f {row.fraction:.2f})"
            for i, row in fit.steps.iterrows()
        ]
        return "; ".join(parts)
    return (
        f"ΔH = {fit.dH_kJ_mol:.2f} kJ/mol, ΔS = {fit.dS_J_mol_K:.1f} J/mol/K, "
        f"Γ = {fit.Gamma_kJ_mol:.2f} kJ/mol, T½ = {fit.T_half_K:.1f} K"
    )


def plot_relaxation(fits: Sequence[Any], path: str | Path | None = None, *, arrhenius: Any = None):
    """Relaxation curves (points) with each fitted model (lines), per temperature.

    ``fits`` are :class:`~coordgeo.magnetism.RelaxationFit` (several models and/or
    temperatures); ``arrhenius`` (:class:`~coordgeo.magnetism.ArrheniusFit`) adds an
    ln k vs 1/T panel. Returns the Figure.
    """
    panels = 1 + int(arrhenius is not None)
    fig, axes = _figure((5.5 * panels, 4.0), 1) if panels == 1 else _wide(panels)
    ax = axes[0]
    seen: dict[tuple, str] = {}
    colours = iter(f"C{i}" for i in range(100))
    for fit in fits:
        key = (fit.path, round(fit.temperature_K, 3) if np.isfinite(fit.temperature_K) else None)
        if key not in seen:
            seen[key] = next(colours)
            c = fit.curve
            label = f"{fit.temperature_K:.1f} K" if np.isfinite(fit.temperature_K) else "data"
            ax.plot(c["time_s"], c["value"], "o", ms=2, mfc="none", color=seen[key], label=label)
        t = np.linspace(0.0, float(fit.curve["time_s"].max()), 400)
        ax.plot(t, fit.values(t), _MODEL_STYLE.get(fit.model, "-"), color=seen[key], lw=1.2,
                label=f"{fit.model}")  # fmt: skip
    ax.set_xlabel("t / s")
    ax.set_ylabel("γHS" if fits and fits[0].quantity == "gamma_hs" else "χMT / cm³ K mol⁻¹")
    ax.legend(fontsize=6)
    if arrhenius is not None:
        a = axes[1]
        tab = arrhenius.table
        inv = 1.0 / tab["temperature_K"].to_numpy(float)
        err = (tab["k_su"] / tab["k_s"]).to_numpy(float)
        a.errorbar(inv, np.log(tab["k_s"].to_numpy(float)), yerr=np.nan_to_num(err), fmt="o",
                   capsize=3)  # fmt: skip
        grid = np.linspace(inv.min(), inv.max(), 50)
        a.plot(grid, np.log(arrhenius.k(1.0 / grid)), "-", color="k",
               label=f"Ea = {arrhenius.Ea_kJ_mol:.2f} kJ/mol")  # fmt: skip
        a.set_xlabel("1/T / K⁻¹")
        a.set_ylabel("ln(k / s⁻¹)")
        a.legend(fontsize=7)
    return _save(fig, path)


def _wide(panels: int):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.0 * panels, 4.0), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, list(fig.subplots(1, panels))


def plot_t_liesst(result: Any, path: str | Path | None = None):
    """Warming curve χMT(T) after irradiation and its d(χMT)/dT with T(LIESST) marked."""
    fig, axes = _figure((5.5, 5.0), 2, [2.0, 1.2])
    c = result.curve
    axes[0].plot(c["temperature_K"], c["chi_mt"], "-", color="tab:red", label="warming")
    axes[0].set_ylabel("χMT / cm³ K mol⁻¹")
    axes[0].set_title(f"T(LIESST) = {result.T_liesst_K:.1f} K", fontsize=9)
    axes[1].plot(c["temperature_K"], c["dchi_mt_dT"], "-", color="k")
    for ax in axes:
        ax.axvline(result.T_liesst_K, ls=":", color="grey")
    axes[1].set_ylabel("d(χMT)/dT")
    axes[1].set_xlabel("T / K")
    return _save(fig, path)


def plot_transitions(results: Sequence[Any], path: str | Path | None = None):
    """Several observables of one transition: the first one's values with its sigmoid fits
    (top), and every observable's normalised fraction on one axis (bottom)."""
    fig, axes = _figure((5.5, 6.0), 2, [1.4, 1.6])
    first = results[0]
    for name, part in first.curve.groupby("branch", sort=True):
        colour = _COLOURS.get(str(name), "k")
        part = part.sort_values("temperature_K")
        axes[0].plot(part["temperature_K"], part["value"], "o", ms=2, mfc="none", color=colour,
                     label=str(name))  # fmt: skip
        axes[0].plot(part["temperature_K"], part["value_calc"], "-", color=colour, lw=1)
    axes[0].set_ylabel(("log₁₀ " if first.log else "") + first.column)
    axes[0].legend(fontsize=7)
    markers = iter("os^vDx+*")
    for result in results:
        marker = next(markers, "o")
        for name, part in result.curve.groupby("branch", sort=True):
            part = part.sort_values("temperature_K")
            axes[1].plot(part["temperature_K"], part["fraction"], marker, ms=2, mfc="none",
                         color=_COLOURS.get(str(name), "k"),
                         label=f"{result.column} ({name})")  # fmt: skip
    axes[1].set_ylabel("transition fraction")
    axes[1].set_ylim(-0.15, 1.15)
    axes[1].set_xlabel("T / K")
    axes[1].legend(fontsize=6)
    return _save(fig, path)
