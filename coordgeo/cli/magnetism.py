"""``coordgeo fit-sd``, ``relax``, ``transition``: spin-crossover magnetism and other observables.

``fit-sd`` fits the Slichter–Drickamer model to χMT(T) (plain files or Quantum Design
``.dat`` magnetometer files), ``relax`` the HS→LS relaxation after LIESST and T(LIESST),
``transition`` any observable against temperature.
"""

from __future__ import annotations

import math
import warnings
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from coordgeo.cli.app import Format, FormatOption, app, emit, error, warn
from coordgeo.cli.sdfit_options import (
    ChiHsOption,
    ChiLsOption,
    FixOption,
    GammaOption,
    NonSwitchingOption,
    StepsOption,
    Sweep,
    SweepOption,
    TipOption,
    sd_fit_options,
)
from coordgeo.errors import InputError
from coordgeo.figures import check_figure_path

if TYPE_CHECKING:  # pandas loads inside the commands (start-up time)
    import pandas as pd


class RelaxModel(StrEnum):
    all = "all"
    exponential = "exponential"
    stretched = "stretched"
    sigmoidal = "sigmoidal"


class Baseline(StrEnum):
    linear = "linear"
    constant = "constant"


KJ, JK, EMU = "kJ mol⁻¹", "J mol⁻¹ K⁻¹", "cm³ K mol⁻¹"

# --- options shared by the commands that read magnetometer files ---------------------------
MassOption = Annotated[
    float | None,
    typer.Option("--mass", help="Sample mass in mg (default: the .dat header's SAMPLE_MASS)."),
]
MolarMassOption = Annotated[
    float | None,
    typer.Option(
        "--molar-mass",
        help="Molar mass in g/mol per formula unit (default: --formula, --cif or the header).",
    ),
]
CifOption = Annotated[
    Path | None,
    typer.Option("--cif", help="CIF whose _chemical_formula_weight/_sum give M and the formula."),
]
FormulaOption = Annotated[
    str | None,
    typer.Option("--formula", help="Formula (C24H24FeN6O2) for M and Pascal's constants."),
]
ChiDiaOption = Annotated[
    str | None,
    typer.Option(
        "--chi-dia",
        help="Diamagnetic correction: a number in cm³/mol (e.g. -4.2e-4), 'pascal' (from the "
        "formula) or 'approx' (-M/2·10⁻⁶, the default).",
    ),
]
HolderOption = Annotated[
    float, typer.Option("--holder-chi", help="Sample-holder susceptibility (emu/Oe) to subtract.")
]
EicosaneOption = Annotated[
    float, typer.Option("--eicosane", help="Mass of eicosane (mg) around the sample, subtracted.")
]
FieldOption = Annotated[
    float | None, typer.Option("--field", help="Field in Oe when the file has no field column.")
]


def _sample(mass, molar_mass, cif, formula, chi_dia, holder_chi, eicosane, field):
    """The :class:`coordgeo.io.magnetometer.Sample` of the command-line options."""
    from coordgeo.io.magnetometer import Sample, formula_mass, parse_chi_dia, sample_from_cif

    if cif is not None:
        cif_mass, cif_formula = sample_from_cif(cif)
        formula = formula or cif_formula
        molar_mass = molar_mass or cif_mass
    if molar_mass is None and formula:
        molar_mass = formula_mass(formula)
    return Sample(
        mass_mg=mass,
        molar_mass=molar_mass,
        formula=formula,
        chi_dia=parse_chi_dia(chi_dia),
        holder_chi_emu_oe=holder_chi,
        eicosane_mg=eicosane,
        field_oe=field,
    )


def _read_chimt(paths: list[Path], cooling: Path | None, heating: Path | None, sample):
    """χMT(T) of plain files and magnetometer files, with the reader's notes."""
    import pandas as pd

    from coordgeo.io.magdata import read_chimt
    from coordgeo.io.magnetometer import is_qd_file, read_magnetometer

    items = [(p, None) for p in paths]
    items += [(p, "cooling") for p in [cooling] if p is not None]
    items += [(p, "heating") for p in [heating] if p is not None]
    frames, notes = [], []
    for path, branch in items:
        if is_qd_file(path):
            df = read_magnetometer(path, sample, branch=branch)
            notes += [f"{path}: {n}" for n in df.attrs.get("notes", [])]
        else:
            df = read_chimt(path, branch=branch)
        frames.append(df[["temperature_K", "chi_mt", "branch"]])
    df = pd.concat(frames, ignore_index=True)
    df.attrs["path"] = ", ".join(str(p) for p, _ in items)
    return df, notes


def _check_plot(plot: Path | None) -> None:
    if plot is not None:
        check_figure_path(plot)


def _save_plot(plot: Path | None, draw) -> None:
    if plot is None:
        return
    try:
        draw(plot)
    except OSError as exc:
        raise InputError(f"{plot}: cannot write plot: {exc.strerror or exc}") from None


def _su(value: float, su: float, decimals: int = 3) -> str:
    from coordgeo.tables import su_text  # pandas: only when a table is printed

    return su_text(value, su, decimals)


# --------------------------------------------------------------------------- fit-sd


@app.command("fit-sd")
def fit_sd_command(
    data: Annotated[
        list[Path] | None,
        typer.Argument(
            help="χMT(T) file(s): temperature (K), χMT (cm³ K mol⁻¹), optional sweep "
            "direction (cooling/heating, down/up, c/h); comma, tab or space separated. "
            "Quantum Design .dat files (MPMS3, MPMS-XL, PPMS VSM/ACMS) are converted "
            "from the moment with the sample options.",
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
    tip: TipOption = False,
    gamma: GammaOption = None,
    fix: FixOption = None,
    steps: StepsOption = 1,
    sweep: SweepOption = Sweep.cooling,
    chi_ls_pure: ChiLsOption = 0.0,
    non_switching: NonSwitchingOption = None,
    chi_hs_pure: ChiHsOption = None,
    window: Annotated[
        float | None,
        typer.Option("--window", help="Smoothing window (K) for d(χMT)/dT (default: adaptive)."),
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Write data, fit, residuals, d(χMT)/dT to FILE.png/.svg/.pdf."),
    ] = None,
    mass: MassOption = None,
    molar_mass: MolarMassOption = None,
    cif: CifOption = None,
    formula: FormulaOption = None,
    chi_dia: ChiDiaOption = None,
    holder_chi: HolderOption = 0.0,
    eicosane: EicosaneOption = 0.0,
    field: FieldOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Fit the Slichter–Drickamer model to χMT(T): ΔH, ΔS, Γ, T½ with su's; T½ from d(χMT)/dT.

    Raw magnetometer files are converted to χMT with the sample mass, molar mass, field and
    diamagnetic correction. TIP is refined with --tip; --non-switching/--chi-ls name the LS
    baseline, --fix holds parameters (e.g. ΔH, ΔS from DSC), --steps 2 adds the two-step
    model and an AIC/BIC comparison. Systematic residuals (runs test) and a missing TIP
    are reported as warnings.
    """
    import pandas as pd

    from coordgeo.io.magdata import ChiMWarning
    from coordgeo.magnetism import (
        compare_models,
        fit_models,
        plot_sd_fit,
        t_half_derivative,
    )
    from coordgeo.tables import render, sd_fit_table

    if not data and cooling is None and heating is None:
        error("give a χMT(T) file (DATA, --cooling or --heating)")
        raise typer.Exit(2)
    if plot is not None:
        check_figure_path(plot)
    options = sd_fit_options(tip=tip, gamma=gamma, fix=fix, steps=steps, sweep=sweep,
                             chi_ls_pure=chi_ls_pure, non_switching=non_switching,
                             chi_hs_pure=chi_hs_pure)  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ChiMWarning)
        try:
            sample = _sample(mass, molar_mass, cif, formula, chi_dia, holder_chi, eicosane, field)
            df, read_notes = _read_chimt(data or [], cooling, heating, sample)
            fits = list(fit_models(df, options))
        except InputError as exc:
            error(str(exc))
            raise typer.Exit(2) from None
    for item in caught:
        warn(str(item.message))
    for note in read_notes:
        warn(note)
    for fit in fits:
        for note in fit.notes:
            warn(
                f"{fit.path}: {fit.model_name} fit: {note}" if steps == 2 else f"{fit.path}: {note}"
            )
    try:
        deriv = t_half_derivative(df, window_K=window)
    except InputError as exc:  # the fit stands without it
        warn(f"no T½ from d(χMT)/dT: {exc}")
        deriv = None
    best = fits[-1]
    _save_plot(plot, lambda p: plot_sd_fit(best, p, others=fits[:-1], derivative=deriv))

    if fmt in (Format.csv, Format.json):
        records = [fit.as_dict() | (deriv.as_dict() if deriv is not None else {}) for fit in fits]
        emit(pd.DataFrame(records), fmt)
        return
    for k, fit in enumerate(fits):
        if steps == 2:
            emit(_heading(f"{fit.model_name} model", fmt, first=k == 0))
        emit(sd_fit_table(fit, deriv), fmt)
        emit(_heading("Correlation matrix", fmt))
        corr = fit.correlation.round(3).reset_index(names="")
        emit(render(corr, fmt.value))
    if steps == 2:
        emit(_heading("Model comparison (lower AIC/BIC is better)", fmt))
        table = compare_models(*fits).round({"chi2_red": 6, "aic": 1, "bic": 1})
        emit(render(table.round({"delta_aic": 1, "delta_bic": 1}), fmt.value))


def _heading(text: str, fmt: Format, first: bool = False) -> str:
    lead = "" if first else "\n"
    return f"{lead}{text}\n" if fmt == Format.table else f"{lead}**{text}**\n\n"


# --------------------------------------------------------------------------- relax


@app.command("relax")
def relax_command(
    data: Annotated[
        list[Path] | None,
        typer.Argument(
            help="χMT(t) (or γHS(t)) at constant temperature after irradiation: a table with a "
            "time column (s; '(min)'/'(h)' in its name converts) and χMT or gamma, or a "
            "Quantum Design .dat file. One file per temperature.",
            metavar="DATA",
            show_default=False,
        ),
    ] = None,
    model: Annotated[
        list[RelaxModel] | None,
        typer.Option(
            "--model",
            help="Relaxation law(s): exponential, stretched, sigmoidal (Hauser), or all "
            "(default; sigmoidal only with --chi-ls and --chi-hs or γ data).",
            case_sensitive=False,
        ),
    ] = None,
    temperature: Annotated[
        list[float] | None,
        typer.Option(
            "--temperature",
            help="Relaxation temperature (K) of each DATA file, in order (default: the mean "
            "of its temperature column).",
        ),
    ] = None,
    chi_ls: Annotated[
        float | None, typer.Option("--chi-ls", help="χMT of the LS state (the end of relaxation).")
    ] = None,
    chi_hs: Annotated[
        float | None, typer.Option("--chi-hs", help="χMT of the fully HS state.")
    ] = None,
    liesst: Annotated[
        Path | None,
        typer.Option(
            "--liesst",
            help="Warming curve χMT(T) after irradiation: T(LIESST) at the minimum of d(χMT)/dT.",
        ),
    ] = None,
    window: Annotated[
        float | None,
        typer.Option("--window", help="Smoothing window (K) for d(χMT)/dT of --liesst."),
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot", help="Write the decays with their fits (and Arrhenius) to FILE.png/.svg."
        ),
    ] = None,
    mass: MassOption = None,
    molar_mass: MolarMassOption = None,
    cif: CifOption = None,
    formula: FormulaOption = None,
    chi_dia: ChiDiaOption = None,
    holder_chi: HolderOption = 0.0,
    eicosane: EicosaneOption = 0.0,
    field: FieldOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Fit HS→LS relaxation kinetics (LIESST): k with su's; Arrhenius k∞, Ea; T(LIESST).

    Single exponential, stretched exponential and the self-accelerated sigmoidal law of
    Hauser (dγ/dt = −kγ exp[α(1 − γ)], α = Ea*/kBT) are fitted to each file; rates at
    several temperatures give k∞ and Ea. --liesst takes the warming curve after
    irradiation and reports T(LIESST).
    """
    from coordgeo.magnetism import arrhenius, fit_relaxation, plot_relaxation, plot_t_liesst

    if not data and liesst is None:
        raise InputError("give relaxation file(s) (DATA) or a warming curve (--liesst)")
    _check_plot(plot)
    temps = list(temperature or [])
    if temps and len(temps) != len(data or []):
        raise InputError(f"--temperature given {len(temps)} times for {len(data or [])} files")
    sample = _sample(mass, molar_mass, cif, formula, chi_dia, holder_chi, eicosane, field)
    chosen = [m.value for m in (model or [RelaxModel.all])]
    fits, notes = [], []
    for i, path in enumerate(data or []):
        frame = _relaxation_frame(path, sample)
        notes += [f"{path}: {n}" for n in frame.attrs.get("notes", [])]
        laws = _laws(chosen, frame, chi_ls, chi_hs)
        if ("sigmoidal" in chosen or "all" in chosen) and "sigmoidal" not in laws:
            notes.append(f"{path}: no sigmoidal fit without --chi-ls and --chi-hs")
        for law in laws:
            fit = fit_relaxation(frame, law, temperature_K=temps[i] if temps else None,
                                 chi_mt_ls=chi_ls, chi_mt_hs=chi_hs)  # fmt: skip
            fits.append(fit)
            notes += [f"{path}: {law}: {n}" for n in fit.notes]
    arr = _arrhenius_by_model(fits, arrhenius, notes)
    liesst_result = _t_liesst(liesst, sample, window) if liesst is not None else None
    for note in notes:
        warn(note)
    if fits:
        main_arr = next(iter(arr.values()), None)
        _save_plot(plot, lambda p: plot_relaxation(fits, p, arrhenius=main_arr))
    elif liesst_result is not None:
        _save_plot(plot, lambda p: plot_t_liesst(liesst_result, p))
    _emit_relax(fits, arr, liesst_result, fmt)


def _relaxation_frame(path: Path, sample) -> pd.DataFrame:
    from coordgeo.io.magnetometer import is_qd_file, read_magnetometer
    from coordgeo.magnetism.relax import as_relaxation_frame

    if is_qd_file(path):
        df = read_magnetometer(path, sample)
        frame = df[["time_s", "chi_mt", "temperature_K"]].copy()
        frame.attrs["path"] = str(path)
        out = as_relaxation_frame(frame)
        out.attrs["notes"] = list(df.attrs.get("notes", []))
        return out
    return as_relaxation_frame(path)


def _laws(chosen: list[str], frame: pd.DataFrame, chi_ls, chi_hs) -> list[str]:
    wanted = ["exponential", "stretched", "sigmoidal"] if "all" in chosen else chosen
    known = frame.attrs.get("quantity") == "gamma_hs" or (chi_ls is not None and chi_hs is not None)
    return [m for m in dict.fromkeys(wanted) if m != "sigmoidal" or known]


def _arrhenius_by_model(fits, arrhenius, notes) -> dict:
    out = {}
    for law in dict.fromkeys(f.model for f in fits):
        group = [f for f in fits if f.model == law and math.isfinite(f.temperature_K)]
        if len({round(f.temperature_K, 6) for f in group}) >= 2:
            out[law] = arrhenius(group)
        elif len(group) > 1:
            notes.append(f"{law}: all files at one temperature; no Arrhenius law")
    return out


def _t_liesst(path: Path, sample, window):
    from coordgeo.io.magdata import read_chimt
    from coordgeo.io.magnetometer import is_qd_file, read_magnetometer
    from coordgeo.magnetism import t_liesst

    df = read_magnetometer(path, sample) if is_qd_file(path) else read_chimt(path)
    return t_liesst(df, window_K=window)


def _emit_relax(fits, arr, liesst_result, fmt: Format) -> None:
    import pandas as pd

    from coordgeo.magnetism import KJ_MOL_TO_CM

    if fmt in (Format.csv, Format.json):
        records = [f.as_dict() for f in fits]
        records += [{"model": f"arrhenius ({law})"} | a.as_dict() for law, a in arr.items()]
        if liesst_result is not None:
            records.append({"model": "T(LIESST)"} | liesst_result.as_dict())
        emit(pd.DataFrame(records), fmt)
        return
    first = True
    if fits:
        rows = [
            {
                "file": Path(f.path).name if f.path else "",
                "T / K": f"{f.temperature_K:.1f}" if math.isfinite(f.temperature_K) else "",
                "model": f.model,
                "k / s⁻¹": _su(f.k_s, f.k_su, 6),
                "τ / s": f"{f.lifetime_s:.4g}",
                "β": _su(f.beta, f.beta_su) if math.isfinite(f.beta) else "",
                "α": _su(f.alpha, f.alpha_su) if math.isfinite(f.alpha) else "",
                "Ea* / kJ mol⁻¹": _su(f.Ea_star_kJ_mol, f.Ea_star_su)
                if math.isfinite(f.Ea_star_kJ_mol)
                else "",
                "χ²red": f"{f.chi2_red:.3g}",
                "AIC": f"{f.aic:.1f}",
            }
            for f in fits
        ]
        emit(_heading("Relaxation fits", fmt, first=True))
        emit(pd.DataFrame(rows), fmt)
        first = False
    for law, a in arr.items():
        emit(_heading(f"Arrhenius law ({law}): k = k∞ exp(−Ea/RT)", fmt, first=first))
        rows = [
            ("k∞", _su(a.k_inf_s, a.k_inf_su, 3), "s⁻¹"),
            ("ln k∞", _su(a.ln_k_inf, a.ln_k_inf_su, 3), ""),
            ("Ea", _su(a.Ea_kJ_mol, a.Ea_su, 3), KJ),
            ("Ea", _su(a.Ea_kJ_mol * KJ_MOL_TO_CM, a.Ea_su * KJ_MOL_TO_CM, 1), "cm⁻¹"),
            ("temperatures", str(a.n_temperatures), ""),
        ]
        if math.isfinite(a.Ea_star_kJ_mol):
            rows.append(("mean Ea* (self-acceleration)", _su(a.Ea_star_kJ_mol, a.Ea_star_su), KJ))
        emit(pd.DataFrame(rows, columns=["quantity", "value", "unit"]), fmt)
        first = False
    if liesst_result is not None:
        emit(_heading("T(LIESST)", fmt, first=first))
        rows = [
            ("T(LIESST) (min of d(χMT)/dT)", f"{liesst_result.T_liesst_K:.1f}", "K"),
            ("d(χMT)/dT there", f"{liesst_result.dchi_mt_dT_min:.4g}", "cm³ mol⁻¹"),
            ("smoothing window", f"{liesst_result.window_K:.2f}", "K"),
        ]
        emit(pd.DataFrame(rows, columns=["quantity", "value", "unit"]), fmt)


# --------------------------------------------------------------------------- transition


@app.command("transition")
def transition_command(
    data: Annotated[
        list[Path],
        typer.Argument(
            help="Table(s) of an observable against temperature: a header line naming the "
            "columns (comma, tab or space separated), or a Quantum Design .dat file.",
            metavar="DATA",
            show_default=False,
        ),
    ],
    column: Annotated[
        list[str],
        typer.Option(
            "--column",
            "-c",
            help="The observable column (repeatable; 'Resistance' finds 'Resistance (Ohm)').",
        ),
    ],
    temperature_column: Annotated[
        str | None,
        typer.Option("--temperature-column", help="Temperature column (default: T/Temperature)."),
    ] = None,
    log: Annotated[bool, typer.Option("--log", help="Analyse log10 of the observable.")] = False,
    baseline: Annotated[
        Baseline,
        typer.Option(
            "--baseline", help="Sigmoid baselines: linear or constant.", case_sensitive=False
        ),
    ] = Baseline.linear,
    window: Annotated[
        float | None,
        typer.Option("--window", help="Smoothing window (K) of the derivative (default adaptive)."),
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot", help="Write the observables and their transition fractions to FILE."
        ),
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """T½↑, T½↓, hysteresis width and abruptness of any observable vs temperature.

    Heating and cooling branches come from a sweep/branch column or the temperature trend.
    T½ per branch from the derivative extremum and from a sigmoid fit (with su's); the
    normalised transition fractions of all observables go on one plot.
    """
    import pandas as pd

    from coordgeo.io.magnetometer import read_columns
    from coordgeo.magnetism import analyse_transition, plot_transitions

    _check_plot(plot)
    results = []
    for path in data:
        table = read_columns(path)
        for name in column:
            if len(data) > 1 and not _has_column(table, name):
                continue
            results.append(analyse_transition(
                table, name, temperature_column=temperature_column, log=log,
                baseline=baseline.value, window_K=window,
            ))  # fmt: skip
    missing = [n for n in column if not any(_same(r.column, n) for r in results)]
    if missing:
        raise InputError(f"no file has the column(s) {', '.join(missing)}")
    for r in results:
        for note in r.notes:
            warn(f"{r.path}: {r.column}: {note}")
    _save_plot(plot, lambda p: plot_transitions(results, p))
    if fmt in (Format.csv, Format.json):
        emit(pd.DataFrame([r.as_dict() for r in results]), fmt)
        return
    rows = []
    for r in results:
        dt = {row.branch: row for row in r.branches.itertuples()}
        rows.append(
            {
                "observable": r.column + (" (log10)" if r.log else ""),
                "file": Path(r.path).name if r.path else "",
                "T½↑ / K": _su(r.T_half_up_K, r.T_half_up_su, 2),
                "T½↓ / K": _su(r.T_half_down_K, r.T_half_down_su, 2),
                "ΔT / K": _su(r.hysteresis_width_K, r.hysteresis_width_su, 2),
                "T½↑, T½↓ (derivative) / K": f"{r.T_half_up_deriv_K:.1f}, "
                f"{r.T_half_down_deriv_K:.1f}",
                "ΔT10–90 ↑, ↓ / K": ", ".join(
                    _su(dt[b].dT_10_90_K, dt[b].dT_10_90_su, 2) if b in dt else ""
                    for b in ("heating", "cooling")
                ),
            }
        )
    emit(pd.DataFrame(rows), fmt)


def _same(found: str, asked: str) -> bool:
    base = found.lower().split("(")[0].split("[")[0].strip()
    return found.lower() == asked.lower() or base == asked.lower().strip()


def _has_column(table: pd.DataFrame, name: str) -> bool:
    return any(_same(str(c), name) for c in table.columns)
