"""``bulk``: many CIFs to Parquet tables; ``query``: questions to those tables."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from coordgeo.cli.app import Format, FormatOption, app, emit, forget_interrupt
from coordgeo.cli.core import ToleranceOption
from coordgeo.errors import InputError
from coordgeo.figures import save_figure
from coordgeo.options import DEFAULT_TOLERANCE


class BulkFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"


class Engine(StrEnum):
    local = "local"
    dask = "dask"


@app.command()
def bulk(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="CIF files, folders (searched recursively) and globs.", show_default=False
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Dataset folder to write.")] = Path(
        "coordgeo-bulk"
    ),
    fmt: Annotated[
        BulkFormat,
        typer.Option(
            "--format", "-f", help="parquet, or csv: Parquet and CSV too.", case_sensitive=False
        ),
    ] = BulkFormat.parquet,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", help="Worker processes (default: all cores).")
    ] = None,
    engine: Annotated[
        Engine, typer.Option("--engine", help="local process pool, or a Dask cluster.")
    ] = Engine.local,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Dask scheduler address (tcp://host:8786).")
    ] = None,
    send_bytes: Annotated[
        bool,
        typer.Option(
            "--send-bytes", help="Dask: send each file's bytes to the workers (no shared disk)."
        ),
    ] = False,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Continue the dataset in --out; skip files already done."),
    ] = False,
    pattern: Annotated[
        str, typer.Option("--pattern", help="File names to take from folders (case-insensitive).")
    ] = "*.cif",
    files_from: Annotated[
        Path | None, typer.Option("--files-from", help="A file listing input paths, one a line.")
    ] = None,
    shapes: Annotated[
        str,
        typer.Option(
            "--shapes",
            help="Shape measures: 'bulk' (main shapes of each CN), 'all', or e.g. OC-6,TPR-6.",
        ),
    ] = "bulk",
    tolerance: ToleranceOption = DEFAULT_TOLERANCE,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Seconds per file before it is an error.")
    ] = None,
    max_size: Annotated[
        float | None, typer.Option("--max-size", help="MB; larger files are errors, not read.")
    ] = None,
    part_size: Annotated[
        int, typer.Option("--part-size", help="Files per Parquet part file.")
    ] = 1000,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Every metal site of many CIFs into one dataset: files, blocks, sites, bonds, hbonds.

    Writes OUT/<table>/part-NNNNNN.parquet (read with pandas.read_parquet(OUT/"sites"),
    DuckDB, …; see docs/bulk.md). Every input gets a row in OUT/files with its status
    (ok/partial/error) and the reason; the run goes on past bad files.
    """
    from coordgeo.extras import require

    if not paths and files_from is None:
        raise InputError("no input: give files, folders or globs (or --files-from)")
    try:  # Ctrl-C at any moment, even while bulk is imported: one line, status 130
        require("bulk", "pyarrow", what="coordgeo bulk")
        from coordgeo import bulk as bulk_api

        # 'all' and label lists are checked by coordgeo.pipeline.parse_shapes, as everywhere
        wanted = bulk_api.BULK_SHAPES if shapes == "bulk" else shapes
        summary = bulk_api.run(
            paths or [],
            out,
            jobs=jobs,
            engine=engine.value,
            scheduler=scheduler,
            resume=resume,
            csv=fmt == BulkFormat.csv,
            pattern=pattern,
            files_from=files_from,
            shapes=wanted,
            tolerance=tolerance,
            timeout=timeout,
            max_size=None if max_size is None else _megabytes(max_size),
            send_bytes=send_bytes,
            part_size=part_size,
            progress=False if quiet else None,
        )
    except (
        KeyboardInterrupt
    ) as stop:  # bulk.Interrupted (Ctrl-C, kill): what is finished is written
        summary = getattr(stop, "summary", None)
        typer.echo(
            f"coordgeo bulk: interrupted; {summary.analysed if summary else 0} files written "
            f"to {out} this run; run the same command with --resume to continue",
            err=True,
        )
        forget_interrupt()  # status 130, not −2
        raise typer.Exit(130) from None
    typer.echo(f"coordgeo bulk: {summary}", err=True)


def _megabytes(value: float) -> int:
    """--max-size in MB as bytes (at least 1); nan, inf, 0 and negative sizes are refused."""
    from coordgeo.options import validate_positive

    return max(1, round(validate_positive(value, "--max-size") * 1e6))


QUERY_COLUMNS = [
    "path",
    "block",
    "temperature",
    "metal",
    "donor_set",
    "d_mean",
    "d_mean_su",
    "Sigma",
    "Sigma_su",
    "Theta",
    "Theta_su",
    "cshm_oc6",
    "cshm_oc6_su",
    "spin_state",
    "spin_confidence",
]


def _range(text: str | None) -> tuple[float, float] | None:
    if not text:
        return None
    try:
        lo, hi = (float(x) for x in text.split(","))
    except ValueError:
        raise InputError(f"--d-mean wants LOW,HIGH in Å (e.g. 2.0,2.1), not {text!r}") from None
    return (min(lo, hi), max(lo, hi))


@app.command()
def query(
    dataset: Annotated[Path, typer.Argument(help="A folder written by coordgeo bulk.")],
    metal: Annotated[str | None, typer.Option("--metal", help="Metal element, e.g. Fe.")] = None,
    donors: Annotated[
        str | None, typer.Option("--donors", help="Donor set as a formula, e.g. N6 or N4O2.")
    ] = None,
    d_mean: Annotated[
        str | None, typer.Option("--d-mean", help="⟨M–L⟩ range in Å: LOW,HIGH.")
    ] = None,
    spin_state: Annotated[
        str | None, typer.Option("--spin-state", help="LS, HS, intermediate or unknown.")
    ] = None,
    columns: Annotated[
        str | None, typer.Option("--columns", help="Comma list of columns ('all' for every one).")
    ] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Also draw Σ vs ⟨M–L⟩ by spin state to this file.")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Sites of a bulk dataset by metal, donor set, ⟨M–L⟩ range and spin state.

    Example: coordgeo query out --metal Fe --donors N6 --d-mean 2.0,2.1 --plot fe.png
    """
    from coordgeo.extras import require

    require("bulk", "pyarrow", what="coordgeo query")
    from coordgeo import bulk as bulk_api

    if columns == "all":
        wanted = None
    elif columns:
        wanted = [c.strip() for c in columns.split(",") if c.strip()]
    else:
        wanted = QUERY_COLUMNS
    plot_columns = ["d_mean", "d_mean_su", "Sigma", "Sigma_su", "spin_state"]
    read = None if wanted is None else list(dict.fromkeys([*wanted, *plot_columns]))
    found = bulk_api.query(
        dataset,
        metal=metal,
        donors=donors,
        d_mean=_range(d_mean),
        spin_state=spin_state,
        columns=read,
    )
    if plot is not None:
        what = " ".join(x for x in (metal, donors) if x) or "all sites"
        fig = bulk_api.sigma_vs_d_figure(found, title=f"{what} ({len(found)} sites)")
        save_figure(fig, plot)
        typer.echo(f"coordgeo query: wrote {plot}", err=True)
    emit(found if wanted is None else found[wanted], fmt, view=True)  # table: value(su)
    typer.echo(f"coordgeo query: {len(found)} sites", err=True)
