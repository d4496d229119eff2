"""``coordgeo report``: CIFs (and χMT data) → a MkDocs site with SI-style tables and figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coordgeo.cli.app import app, error, warn
from coordgeo.cli.core import ToleranceOption
from coordgeo.cli.defaults import TOLERANCE as DEFAULT_TOLERANCE


@app.command("report")
def report_command(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="CIF files, or folders searched recursively for *.cif.",
            metavar="INPUT...",
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
            help="χMT(T) file to fit (Slichter–Drickamer) and show with its compound's "
            "series: DATA, or NAME=DATA with NAME a series, data block or CIF file name "
            "when there are several compounds. Repeat for several compounds.",
            metavar="[NAME=]DATA",
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
) -> None:
    """Write a browsable HTML report (MkDocs site) of CIFs and χMT data, with CSV downloads.

    One page per data block: crystal data, SI-style bond/angle tables with esds and the
    symmetry legend, distortion and shape parameters, H bonds, a picture of each
    coordination sphere and the simulated powder pattern. One page per comparison series
    (one compound at several temperatures) with the Slichter–Drickamer fit of --magnetism.

    Inputs that cannot be read are listed on stderr and on the index page, the others
    are reported, and the exit status is 2.
    """
    from coordgeo.extras import require

    require("report", "yaml", *(("mkdocs", "material") if build else ()), what="coordgeo report")
    from coordgeo.report import ReportBuildError, build_report

    groups = [[e.strip() for e in text.split(",") if e.strip()] for text in series or []]
    try:
        report = build_report(
            inputs,
            out,
            magnetism=magnetism or [],
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
