"""``coordgeo fit-sd``: Slichter–Drickamer fit of χMT(T) and T½ from the d(χMT)/dT maximum."""

from __future__ import annotations

import math
import warnings
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from coordgeo.cli.app import Format, FormatOption, app, emit, error, warn
from coordgeo.errors import InputError
from coordgeo.esd import format_su
from coordgeo.tables import render


class Sweep(StrEnum):
    cooling = "cooling"
    heating = "heating"
    equilibrium = "equilibrium"


PLOT_SUFFIXES = (".png", ".svg", ".pdf")


def _summary(fit, deriv) -> pd.DataFrame:
    """The readable (quantity, value, unit) table of a fit and its derivative T½."""

    def su_text(value: float, su: float, decimals: int = 3) -> str:
        return format_su(value, su if math.isfinite(su) else None, decimals)

    kj, jk, emu = "kJ mol⁻¹", "J mol⁻¹ K⁻¹", "cm³ K mol⁻¹"
    rows = [
        ("ΔH", su_text(fit.dH_kJ_mol, fit.dH_su, 2), kj),
        ("ΔS", su_text(fit.dS_J_mol_K, fit.dS_su, 1), jk),
        ("Γ", su_text(fit.Gamma_kJ_mol, fit.Gamma_su, 2), kj),
        ("T½ = ΔH/ΔS", su_text(fit.T_half_K, fit.T_half_su, 1), "K"),
        ("2RT½ (Γ of an abrupt transition)", f"{fit.Gamma_critical_kJ_mol:.2f}", kj),
        ("regime", f"{fit.regime} (Γ {'>' if fit.hysteresis else '≤'} 2RT½)", ""),
    ]
    if fit.hysteresis:
        rows += [
            ("T↓ (model, cooling branch ends)", f"{fit.T_down_K:.1f}", "K"),
            ("T↑ (model, heating branch ends)", f"{fit.T_up_K:.1f}", "K"),
            ("loop width T↑ − T↓ (model)", f"{fit.hysteresis_width_K:.1f}", "K"),
        ]
    rows += [
        ("χMT_LS (low-T plateau)", su_text(fit.chi_mt_ls, fit.chi_mt_ls_su), emu),
        ("χMT_HS (high-T plateau)", su_text(fit.chi_mt_hs, fit.chi_mt_hs_su), emu),
    ]
    if math.isfinite(fit.tip_su):
        rows.append(("TIP", su_text(fit.tip, fit.tip_su, 6), "cm³ mol⁻¹"))
    hs_res = su_text(fit.hs_residual_fraction, fit.hs_residual_fraction_su)
    rows.append(("HS residual fraction (low T)", hs_res, ""))
    if math.isfinite(fit.ls_residual_fraction):
        ls_res = su_text(fit.ls_residual_fraction, fit.ls_residual_fraction_su)
        rows.append(("LS residual fraction (high T)", ls_res, ""))
    if deriv is not None:
        for record in deriv.branches.itertuples():
            rows.append((f"T½ at max d(χMT)/dT ({record.branch})", f"{record.T_half_K:.1f}", "K"))
        if math.isfinite(deriv.hysteresis_width_K):
            rows.append(("ΔT = T½↑ − T½↓ (d(χMT)/dT)", f"{deriv.hysteresis_width_K:.1f}", "K"))
    rows += [
        ("reduced χ²", f"{fit.chi2_red:.3g}", ""),
        ("rms residual", f"{fit.rms:.3g}", emu),
        ("points / parameters", f"{fit.n_points} / {fit.n_parameters}", ""),
    ]
    return pd.DataFrame(rows, columns=["quantity", "value", "unit"])


def _record(fit, deriv) -> pd.DataFrame:
    """One wide row (value and _su columns) for csv/json."""
    record = fit.as_dict()
    if deriv is not None:
        record |= deriv.as_dict()
    return pd.DataFrame([record])


@app.command("fit-sd")
def fit_sd_command(
    data: Annotated[
        list[Path] | None,
        typer.Argument(
            help="χMT(T) file(s): temperature (K), χMT (cm³ K mol⁻¹), optional sweep "
            "direction (cooling/heating, down/up, c/h); comma, tab or space separated.",
            metavar="DATA",
            show_default=False,
        ),
    ] = None,
    cooling: Annotated[
        Path | None, typer.Option("--cooling", help="A file measured on cooling.")
    ] = None,
    heating: Annotated[
        Path | None, typer.Option("--heating", help="A file measured on heating.")
    ] = None,
    tip: Annotated[bool, typer.Option("--tip", help="Also refine a TIP·T term.")] = False,
    gamma: Annotated[
        float | None,
        typer.Option("--gamma", help="Fix Γ (kJ/mol) instead of refining it (0: ideal solution)."),
    ] = None,
    sweep: Annotated[
        Sweep,
        typer.Option(
            "--sweep",
            help="Model branch for points without a sweep direction (matters when Γ > 2RT½).",
            case_sensitive=False,
        ),
    ] = Sweep.cooling,
    chi_ls_pure: Annotated[
        float,
        typer.Option("--chi-ls-pure", help="χMT of the pure LS sample, for residual fractions."),
    ] = 0.0,
    chi_hs_pure: Annotated[
        float | None,
        typer.Option(
            "--chi-hs-pure", help="χMT of the pure HS sample (default: the fitted HS plateau)."
        ),
    ] = None,
    window: Annotated[
        float | None,
        typer.Option("--window", help="Smoothing window (K) for d(χMT)/dT (default: adaptive)."),
    ] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write data and fit to FILE.png/.svg/.pdf.")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Fit the Slichter–Drickamer model to χMT(T): ΔH, ΔS, Γ, T½ with su's; T½ from d(χMT)/dT."""
    from coordgeo.io.magdata import ChiMWarning, read_chimt_sweeps
    from coordgeo.magnetism import fit_sd, plot_sd_fit, t_half_derivative

    if not data and cooling is None and heating is None:
        error("give a χMT(T) file (DATA, --cooling or --heating)")
        raise typer.Exit(2)
    if plot is not None and plot.suffix.lower() not in PLOT_SUFFIXES:
        error(f"{plot}: plot file must end in {', '.join(PLOT_SUFFIXES)}")
        raise typer.Exit(2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ChiMWarning)
        try:
            df = read_chimt_sweeps(cooling, heating, data=data or [])
            fit = fit_sd(
                df,
                tip=tip,
                Gamma=gamma,
                sweep=sweep.value,
                chi_mt_ls_pure=chi_ls_pure,
                chi_mt_hs_pure=chi_hs_pure,
            )
        except InputError as exc:
            error(str(exc))
            raise typer.Exit(2) from None
    for item in caught:
        warn(str(item.message))
    for note in fit.notes:
        warn(f"{fit.path}: {note}")
    try:
        deriv = t_half_derivative(df, window_K=window)
    except InputError as exc:  # the fit stands without it
        warn(f"no T½ from d(χMT)/dT: {exc}")
        deriv = None

    if plot is not None:
        try:
            plot_sd_fit(fit, plot)
        except OSError as exc:
            error(f"{plot}: cannot write plot: {exc.strerror or exc}")
            raise typer.Exit(2) from None

    if fmt in (Format.csv, Format.json):
        emit(_record(fit, deriv), fmt)
        return
    emit(_summary(fit, deriv), fmt)
    emit("\nCorrelation matrix\n" if fmt == Format.table else "\n**Correlation matrix**\n\n")
    corr = fit.correlation.round(3).reset_index(names="")
    emit(render(corr, fmt.value))
