"""``coordgeo report``: CIFs (and χMT data) → a MkDocs site with SI-style tables and figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coordgeo.cli.app import app, error, path_argument, warn
from coordgeo.cli.core import ToleranceOption
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
from coordgeo.options import DEFAULT_TOLERANCE


@app.command("report")
def report_command(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="CIF files, or folders searched recursively for *.cif.",
            metavar="INPUT...",
            parser=path_argument,
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Folder for the MkDocs project; the HTML goes to OUT/site. A previous "
            "report there is replaced; any other non-empty folder is refused.",
            show_default=False,
        ),
    ],
    magnetism: Annotated[
        list[str] | None,
        typer.Option(
            "--magnetism",
            "-m",
            help="χMT(T) file (two/three columns) or Quantum Design .dat file (MPMS3, "
            "MPMS-XL, PPMS VSM/ACMS) to fit (Slichter–Drickamer) on a magnetism page of its "
            "compound: DATA, or NAME=DATA with NAME a series, data block or CIF file name "
            "when there are several compounds. Repeat for several compounds.",
            metavar="[NAME=]DATA",
        ),
    ] = None,
    mass: Annotated[
        float | None,
        typer.Option(
            "--mass",
            help="Sample mass in mg for --magnetism .dat files whose header has no "
            "SAMPLE_MASS (the molar mass comes from the header, else from the CIF).",
        ),
    ] = None,
    molar_mass: Annotated[
        float | None,
        typer.Option(
            "--molar-mass",
            help="Molar mass in g/mol for --magnetism .dat files (default: the header's "
            "SAMPLE_MOLECULAR_WEIGHT, else the CIF's _chemical_formula_weight).",
        ),
    ] = None,
    chi_dia: Annotated[
        str | None,
        typer.Option(
            "--chi-dia",
            help="Diamagnetic correction for --magnetism .dat files: a number in cm³/mol, "
            "'pascal' (from the CIF formula) or 'approx' (-M/2·10⁻⁶, the default).",
        ),
    ] = None,
    series: Annotated[
        list[str] | None,
        typer.Option(
            "--series",
            help="Comma-separated CIF files or data blocks forming one comparison series "
            "(otherwise structures are grouped by formula and unit cell). Repeatable.",
            metavar="A.cif,B.cif",
        ),
    ] = None,
    title: Annotated[
        str, typer.Option("--title", help="Title of the site.")
    ] = "Crystal structure report",
    pxrd: Annotated[
        bool,
        typer.Option("--pxrd/--no-pxrd", help="Simulate the powder pattern of each structure."),
    ] = True,
    build: Annotated[
        bool,
        typer.Option(
            "--build/--no-build",
            help="Build the HTML (mkdocs build --strict); --no-build writes the project only.",
        ),
    ] = True,
    tolerance: ToleranceOption = DEFAULT_TOLERANCE,
    tip: TipOption = False,
    gamma: GammaOption = None,
    fix: FixOption = None,
    steps: StepsOption = 1,
    sweep: SweepOption = Sweep.cooling,
    chi_ls_pure: ChiLsOption = 0.0,
    non_switching: NonSwitchingOption = None,
    chi_hs_pure: ChiHsOption = None,
) -> None:
    """Write a browsable HTML report (MkDocs site) of CIFs and χMT data, with CSV downloads.

    One page per data block: crystal data, SI-style bond/angle tables with esds and the
    symmetry legend, distortion and shape parameters, H bonds, π–π and X–H···π contacts,
    an interactive 3D view of each coordination sphere and of the complex, and the
    simulated powder pattern (none for models). One page per comparison series (one
    compound at several temperatures: changes of bonds, parameters and contacts) and a
    magnetism page with the Slichter–Drickamer fit of --magnetism (fitted as coordgeo
    fit-sd fits, with the same --tip, --steps, --fix, --non-switching… options). Works
    offline.

    Inputs that cannot be read are listed on stderr and on the index page, the others
    are reported, and the exit status is 2.
    """
    from coordgeo.extras import require

    require("report", "yaml", *(("mkdocs", "material") if build else ()), what="coordgeo report")
    from coordgeo.io.magnetometer import parse_chi_dia
    from coordgeo.report import Magnetism, ReportBuildError, build_report

    groups = [[e.strip() for e in text.split(",") if e.strip()] for text in series or []]
    fit = sd_fit_options(tip=tip, gamma=gamma, fix=fix, steps=steps, sweep=sweep,
                         chi_ls_pure=chi_ls_pure, non_switching=non_switching,
                         chi_hs_pure=chi_hs_pure)  # fmt: skip
    sample = {"mass_mg": mass, "chi_dia": parse_chi_dia(chi_dia), "molar_mass": molar_mass}
    items = [Magnetism.parse(m, fit=fit, **sample) for m in magnetism or []]
    try:
        report = build_report(
            inputs,
            out,
            magnetism=items,
            series=groups,
            title=title,
            build=build,
            pxrd=pxrd,
            tolerance=tolerance,
        )
    except ReportBuildError as exc:  # our bug, not the user's: say so in one line
        error(f"{exc} (please report this)")
        raise typer.Exit(1) from None
    for exc in report.errors:
        error(str(exc))
    for note in report.notes:
        warn(note)
    where = report.index_html if report.index_html is not None else report.out / "mkdocs.yml"
    typer.echo(
        f"{len(report.structures)} structure(s), {len(report.series)} series, "
        f"{len(report.pages)} pages in {report.seconds:.1f} s: {where}"
    )
    if report.errors:
        raise typer.Exit(2)
