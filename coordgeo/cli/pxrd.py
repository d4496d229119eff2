"""``coordgeo pxrd``: simulated powder pattern of a CIF, optionally against a measured one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from coordgeo.cli.app import (
    BlockOption,
    CifArgument,
    Failures,
    Format,
    FormatOption,
    app,
    emit,
    error,
    load,
    per_structure_paths,
    warn,
)
from coordgeo.errors import InputError
from coordgeo.figures import check_figure_path

if TYPE_CHECKING:  # the pattern code loads inside the command (start-up time)
    import pandas as pd

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
    files: CifArgument,
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
        typer.Option(
            "--measured",
            help="Measured pattern (.xy/.xye/.csv: 2θ, intensity[, esd]), compared with "
            "each structure's.",
        ),
    ] = None,
    profile: Annotated[
        Path | None,
        typer.Option(
            "--profile",
            help="Write the profile as CSV two_theta,intensity (one FILE_<block>.csv per "
            "structure when there are several).",
        ),
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            help="Write a plot to FILE.png/.svg/.pdf (FILE_<block>.png per structure when "
            "there are several).",
        ),
    ] = None,
    min_intensity: Annotated[
        float,
        typer.Option("--min-intensity", help="List only reflections of at least this % intensity."),
    ] = 0.0,
    fmt: FormatOption = Format.table,
) -> None:
    """Simulated X-ray powder pattern: reflections with multiplicities, |F|², LP, relative
    intensities; with --measured, the agreement (Rwp, missing and unexplained peaks).

    Every data block of every CIF (or folder) given gets its pattern; with several, csv
    rows start with the block, json is a list (one object per structure) and the table
    view has one section per structure.
    """
    from coordgeo.pxrd import PEAK_COLUMNS

    if plot is not None:
        check_figure_path(plot)
    failures = Failures()
    try:
        lo, hi = _numbers(two_theta_range, "--range", (2,))
        widths = _numbers(fwhm, "--fwhm", (1, 3))
    except InputError as exc:
        failures.add(exc)
        failures.exit_if_any()
        return
    measured_pattern = None
    if measured is not None:
        from coordgeo.io.xy import read_xy

        try:
            measured_pattern = read_xy(measured)
        except InputError as exc:
            failures.add(exc)
            failures.exit_if_any()
    structures = load(files, block, failures)
    if not structures:
        failures.exit_if_any()
        error("no structure to simulate")
        raise typer.Exit(2)
    several = len(structures) > 1
    profiles = per_structure_paths(profile, structures) if profile else [None] * len(structures)
    plots = per_structure_paths(plot, structures) if plot else [None] * len(structures)
    results = []
    for structure, profile_path, plot_path in zip(structures, profiles, plots, strict=True):
        try:
            pattern, fit = _simulate(
                structure,
                radiation,
                (lo, hi),
                widths,
                eta=eta,
                step=step,
                monochromator=monochromator,
                measured=measured_pattern,
            )
        except InputError as exc:
            failures.add(exc.located(path=str(structure.path)))
            continue
        where = f"{structure.path}" + (f" data_{structure.block}" if several else "")
        for note in (*pattern.notes, *(fit.notes if fit else ())):  # the reader's: load()
            warn(f"{where}: {note}")
        _write_files(pattern, fit, profile_path, plot_path)
        peaks = pattern.peaks[pattern.peaks["intensity"] >= min_intensity]
        results.append((structure, pattern, fit, _rounded(peaks, list(PEAK_COLUMNS))))
    if results:
        _emit_patterns(results, fmt, several)
    failures.exit_if_any()


def _simulate(structure, radiation, two_theta, widths, *, eta, step, monochromator, measured):
    """One structure's pattern and, with a measured one, their agreement."""
    from coordgeo.pxrd import agreement, powder_pattern

    pattern = powder_pattern(
        structure,
        radiation,
        two_theta,
        fwhm=widths[0] if len(widths) == 1 else widths,
        eta=eta,
        step=step,
        monochromator=monochromator,
    )
    fit = agreement(pattern, measured) if measured is not None else None
    return pattern, fit


def _write_files(pattern, fit, profile: Path | None, plot: Path | None) -> None:
    from coordgeo.pxrd import plot_pattern

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


def _payload(structure, pattern, fit, table: pd.DataFrame, several: bool) -> dict:
    payload = {"source": pattern.source}
    if several:
        payload.update(path=str(structure.path), block=structure.block)
    payload["radiation"] = {
        "name": pattern.radiation.name,
        "wavelengths": list(pattern.radiation.wavelengths),
        "ratios": list(pattern.radiation.ratios),
    }
    payload["peaks"] = json.loads(table.to_json(orient="records", double_precision=10))
    if fit is not None:
        payload["agreement"] = {
            "measured": fit.path,
            "rwp": fit.rwp,
            "scale": fit.scale,
            "zero_shift": fit.zero_shift,
            "missing": fit.missing.to_dict("records"),
            "unexplained": fit.unexplained.to_dict("records"),
        }
    return payload


def _emit_patterns(results: list, fmt: Format, several: bool) -> None:
    """Every structure's peaks in ``fmt``: one json object or csv table for one structure
    (the documented contract), a list / rows with a block column for several."""
    import pandas as pd

    from coordgeo.tables import render

    if fmt == Format.json:
        payloads = [_payload(*r, several) for r in results]
        data = payloads if several else payloads[0]
        emit(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return
    if fmt == Format.csv:
        tables = [t.assign(block=s.block)[["block", *t.columns]] if several else t
                  for s, _, _, t in results]  # fmt: skip
        emit(pd.concat(tables, ignore_index=True), fmt)
        for s, _, fit, _ in results:
            if fit is not None:
                where = f" data_{s.block}" if several else ""
                typer.echo(f"coordgeo pxrd: {fit.path}{where}: {fit.summary()}", err=True)
        return
    markdown = fmt == Format.markdown
    sections = []
    for _, pattern, fit, table in results:
        title = f"{pattern.source}: {pattern.describe()}"
        parts = [f"**{title}**\n\n" if markdown else f"{title}\n\n", render(table, fmt.value)]
        if fit is not None:
            parts.append(f"\nAgreement with {fit.path}: {fit.summary()}\n")
            for name, frame in (
                ("Calculated peaks missing in the measurement", fit.missing),
                ("Measured peaks not explained by the structure", fit.unexplained),
            ):
                if len(frame):
                    parts.append(f"\n{name} (% of the strongest peak):\n\n")
                    parts.append(render(frame.round(3), fmt.value))
        sections.append("".join(parts))
    emit("\n".join(sections))
