"""``coordgeo pxrd``: simulated powder pattern of a CIF, optionally against a measured one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from coordgeo.cli.app import (
    BlockOption,
    Failures,
    Format,
    FormatOption,
    app,
    emit,
    error,
    load,
    warn,
)
from coordgeo.errors import InputError
from coordgeo.tables import render

PLOT_SUFFIXES = (".png", ".svg", ".pdf")
ROUNDING = {"two_theta": 4, "d": 5, "f_squared": 3, "intensity": 3}


def _numbers(text: str, option: str, count: tuple[int, ...]) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.replace(";", ",").split(",") if v.strip())
    except ValueError:
        raise InputError(f"{option} {text!r}: expected numbers separated by commas") from None
    if len(values) not in count:
        wanted = " or ".join(str(n) for n in count)
        raise InputError(f"{option} {text!r}: expected {wanted} number(s)")
    return values


def _rounded(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = df[columns].copy()
    for name, decimals in ROUNDING.items():
        if name in out:
            out[name] = out[name].round(decimals)
    return out


@app.command("pxrd")
def pxrd_command(
    file: Annotated[Path, typer.Argument(help="CIF file.", show_default=False)],
    block: BlockOption = None,
    radiation: Annotated[
        str,
        typer.Option(
            "--radiation",
            "-r",
            help="CuKa (Kα1+Kα2, 0.5), CuKa1, MoKa, MoKa1, or a wavelength in Å (one line).",
        ),
    ] = "CuKa",
    two_theta_range: Annotated[
        str, typer.Option("--range", help="2θ range in degrees: FROM,TO.")
    ] = "3,50",
    fwhm: Annotated[
        str,
        typer.Option("--fwhm", help="Peak FWHM in °2θ, or Caglioti U,V,W (deg²)."),
    ] = "0.1",
    eta: Annotated[
        float, typer.Option("--eta", help="Pseudo-Voigt Lorentzian fraction (0 Gauss … 1 Lorentz).")
    ] = 0.5,
    step: Annotated[float, typer.Option("--step", help="Profile step, °2θ.")] = 0.02,
    monochromator: Annotated[
        float,
        typer.Option(
            "--monochromator",
            help="2θ of a monochromator crystal in degrees for the polarisation factor "
            "(0: none; graphite 002 with Cu Kα: 26.6).",
        ),
    ] = 0.0,
    measured: Annotated[
        Path | None,
        typer.Option("--measured", help="Measured pattern (.xy/.xye/.csv: 2θ, intensity[, esd])."),
    ] = None,
    profile: Annotated[
        Path | None, typer.Option("--profile", help="Write the profile as CSV two_theta,intensity.")
    ] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write a plot to FILE.png/.svg/.pdf.")
    ] = None,
    min_intensity: Annotated[
        float,
        typer.Option("--min-intensity", help="List only reflections of at least this % intensity."),
    ] = 0.0,
    fmt: FormatOption = Format.table,
) -> None:
    """Simulated X-ray powder pattern: reflections with multiplicities, |F|², LP, relative
    intensities; with --measured, the agreement (Rwp, missing and unexplained peaks)."""
    from coordgeo.pxrd import PEAK_COLUMNS, agreement, plot_pattern, powder_pattern

    if plot is not None and plot.suffix.lower() not in PLOT_SUFFIXES:
        error(f"{plot}: plot file must end in {', '.join(PLOT_SUFFIXES)}")
        raise typer.Exit(2)
    failures = Failures()
    try:
        lo, hi = _numbers(two_theta_range, "--range", (2,))
        widths = _numbers(fwhm, "--fwhm", (1, 3))
    except InputError as exc:
        failures.add(exc)
        failures.exit_if_any()
        return
    structures = load([file], block, failures)
    failures.exit_if_any()
    if len(structures) != 1:
        names = ", ".join(s.block for s in structures)
        error(f"{file}: {len(structures)} data blocks ({names}): choose one with --block")
        raise typer.Exit(2)
    structure = structures[0]
    try:
        pattern = powder_pattern(
            structure,
            radiation,
            (lo, hi),
            fwhm=widths[0] if len(widths) == 1 else widths,
            eta=eta,
            step=step,
            monochromator=monochromator,
        )
        fit = None
        if measured is not None:
            from coordgeo.io.xy import read_xy

            fit = agreement(pattern, read_xy(measured))
    except InputError as exc:
        failures.add(exc.located(path=str(file)))
        failures.exit_if_any()
        return
    for note in (*structure.notes, *pattern.notes, *(fit.notes if fit else ())):
        warn(f"{file}: {note}")

    try:
        if profile is not None:
            profile.write_text(
                _rounded(pattern.profile_frame(), ["two_theta", "intensity"]).to_csv(index=False)
            )
        if plot is not None:
            plot_pattern(pattern, measured=fit, path=plot)
    except OSError as exc:
        error(f"{exc.filename or profile or plot}: cannot write: {exc.strerror or exc}")
        raise typer.Exit(2) from None

    peaks = pattern.peaks[pattern.peaks["intensity"] >= min_intensity]
    table = _rounded(peaks, list(PEAK_COLUMNS))
    if fmt == Format.json:
        payload = {
            "source": pattern.source,
            "radiation": {
                "name": pattern.radiation.name,
                "wavelengths": list(pattern.radiation.wavelengths),
                "ratios": list(pattern.radiation.ratios),
            },
            "peaks": json.loads(table.to_json(orient="records", double_precision=10)),
        }
        if fit is not None:
            payload["agreement"] = {
                "measured": fit.path,
                "rwp": fit.rwp,
                "scale": fit.scale,
                "zero_shift": fit.zero_shift,
                "missing": fit.missing.to_dict("records"),
                "unexplained": fit.unexplained.to_dict("records"),
            }
        emit(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return
    if fmt == Format.csv:
        emit(table, fmt)
        if fit is not None:
            typer.echo(f"coordgeo pxrd: {fit.path}: {fit.summary()}", err=True)
        return
    markdown = fmt == Format.markdown
    title = f"{pattern.source}: {pattern.describe()}\n\n"
    emit(("**" + title.strip() + "**\n\n") if markdown else title)
    emit(render(table, fmt.value))
    if fit is not None:
        emit(f"\nAgreement with {fit.path}: {fit.summary()}\n")
        for name, frame in (
            ("Calculated peaks missing in the measurement", fit.missing),
            ("Measured peaks not explained by the structure", fit.unexplained),
        ):
            if len(frame):
                emit(f"\n{name} (% of the strongest peak):\n\n")
                emit(render(frame.round(3), fmt.value))
