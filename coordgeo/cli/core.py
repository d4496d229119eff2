"""Core commands: ``sphere``, ``bonds``, ``angles``, ``check``."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from coordgeo.cli.app import (
    BlockOption,
    CifArgument,
    Failures,
    Format,
    FormatOption,
    OutOption,
    app,
    emit,
    load,
    read_structures,
    warn,
)
from coordgeo.options import DEFAULT_TOLERANCE

if TYPE_CHECKING:  # the analyses load inside the commands (start-up time)
    import pandas as pd

ToleranceOption = Annotated[
    float,
    typer.Option(
        "--tolerance",
        "-t",
        help="Bond criterion: d ≤ r_cov(A) + r_cov(B) + TOLERANCE (Å, Cordero 2008 radii).",
    ),
]


class Values(StrEnum):
    auto = "auto"
    published = "published"
    recomputed = "recomputed"


class Codes(StrEnum):
    letters = "letters"
    shelx = "shelx"
    roman = "roman"
    nklm = "nklm"


ValuesOption = Annotated[
    Values,
    typer.Option(
        "--values",
        help="auto: the CIF's own _geom_bond/_geom_angle value(su) where its loop has the row "
        "(recomputed elsewhere, marked *); published: only the CIF's; recomputed: all from "
        "the coordinates.",
        case_sensitive=False,
    ),
]
CodesOption = Annotated[
    Codes,
    typer.Option(
        "--codes",
        help="Symmetry-generated atoms as N1A (letters), N1#1 (shelx), N1^i (roman, IUCr) or "
        "N1_2_655 (nklm), with that style's legend.",
        case_sensitive=False,
    ),
]


def _sphere_title(structure, spheres, metal: tuple[str, str], rows) -> str:
    """``FILE  data_BLOCK, T K  Fe1, CN 6 (N4O2)`` over a sphere's rows (columns of
    :func:`coordgeo.tables.si_columns` or a DataFrame of :func:`~coordgeo.tables.si_table`)."""
    from coordgeo.polyhedra import donor_set

    temperature = f", {structure.temperature:g} K" if structure.temperature else ""
    donors = {
        (structure.labels[sp.metal], sp.configuration): donor_set(structure, sp) for sp in spheres
    }
    label = metal[0] + (f" (disorder {metal[1]})" if metal[1] else "")
    n = sum(kind == "bond" for kind in rows["kind"])
    label += f", CN {n} ({donors.get(metal, '')})"
    return f"{structure.path}  data_{structure.block}{temperature}  {label}"


def _per_sphere(rows: dict[str, Sequence], legend: dict[str, list]):
    """(metal, configuration), its rows and the legend of the codes they use, per sphere
    in order of first appearance (columns of :func:`coordgeo.tables.si_columns`)."""
    groups: dict[tuple[str, str], list[int]] = {}
    for k, key in enumerate(zip(rows["metal"], rows["configuration"], strict=True)):
        groups.setdefault(key, []).append(k)
    for key, positions in groups.items():
        sub = {c: [values[k] for k in positions] for c, values in rows.items()}
        used = set(" ".join(sub["symmetry_codes"]).split())
        keep = [code in used for code in legend["symmetry_code"]]
        leg = {
            c: [v for v, kept in zip(values, keep, strict=True) if kept]
            for c, values in legend.items()
        }
        yield key, sub, leg


@app.command()
def sphere(
    files: CifArgument,
    block: BlockOption = None,
    fmt: FormatOption = Format.table,
    tolerance: ToleranceOption = DEFAULT_TOLERANCE,
    values: ValuesOption = Values.auto,
    codes: CodesOption = Codes.letters,
    out: OutOption = None,
) -> None:
    """Metal–ligand bonds and L–M–L angles of every metal, as in Table S1 of an SI.

    Values are the CIF's own _geom_bond/_geom_angle value(su), exactly as printed, where
    its loops have the row and it follows from the coordinates, and recomputed from the
    coordinates elsewhere (csv column source; * in the tables). --format docx (with
    --out) and latex give one table per metal site. A sphere the disorder rules could not
    resolve is not printed; a warning line on stderr names it. Information on routine
    chemistry (the Cu···Cu of a paddle-wheel) is printed under the sphere's table.
    """
    from coordgeo.pipeline import analyse_structure, make_options

    options = make_options(tolerance=tolerance)
    failures = Failures()
    analyses = [analyse_structure(s, options) for s in load(files, block, failures)]
    for analysis in analyses:
        warn_notes(analysis)
    if fmt in (Format.table, Format.markdown):
        # the text is made from columns: no DataFrame, so no pandas (start-up time)
        emit("".join(_sphere_texts(a, values.value, codes.value, fmt) for a in analyses), fmt, out)
    else:
        _sphere_tables(analyses, fmt, out, values.value, codes.value)
    failures.exit_if_any()


def _sphere_texts(analysis, values: str, codes: str, fmt: Format) -> str:
    """``coordgeo sphere`` as text or markdown: :func:`coordgeo.tables.si_text` per sphere."""
    from coordgeo.tables import si_columns, si_text

    structure = analysis.structure
    rows, legend = si_columns(structure, analysis.geometry_columns, values=values, codes=codes)
    if not rows["kind"]:
        return f"{no_metal_sites(structure)}\n\n"
    md = fmt == Format.markdown
    text = "".join(
        si_text(_sphere_title(structure, analysis.spheres, key, sub), sub, leg, md, codes)
        for key, sub, leg in _per_sphere(rows, legend)
    )
    shown = information_lines(analysis)
    return text + "".join(f"  {line}\n" for line in shown) + ("\n" if shown else "")


def _sphere_tables(analyses: list, fmt: Format, out, values: str, codes: str) -> None:
    """``coordgeo sphere`` as csv, json, Word or LaTeX, from :func:`coordgeo.tables.si_table`."""
    import pandas as pd

    from coordgeo.tables import SI_COLUMNS, DocTable, si_doc_table, si_table

    frames, legends, docs = [], [], []
    for analysis in analyses:
        structure = analysis.structure
        rows, legend = si_table(structure, analysis.geometry, values=values, codes=codes)
        if fmt in (Format.docx, Format.latex):
            if rows.empty:
                caption = f"{no_metal_sites(structure)}."
                docs.append(DocTable(caption, ("Atoms", "Distance (Å) / angle (°)"), ()))
                continue
            for metal, sub in rows.groupby(["metal", "configuration"], sort=False):
                title = _sphere_title(structure, analysis.spheres, metal, sub)
                used = set(" ".join(sub["symmetry_codes"]).split())
                leg = legend[legend["symmetry_code"].isin(used)]
                caption = f"Table S1. Bond lengths (Å) and angles (°) around {title}."
                docs.append(si_doc_table(caption, sub, leg, codes))
        frames.append(rows)
        legends.append(legend.assign(block=structure.block))
    if fmt in (Format.docx, Format.latex):
        emit(docs, fmt, out)
    elif fmt == Format.csv:
        table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        table = table.reindex(columns=SI_COLUMNS)
        legend_rows = pd.concat(legends, ignore_index=True) if legends else pd.DataFrame()
        if len(legend_rows):
            legend_rows = pd.DataFrame(
                {
                    "block": legend_rows["block"],
                    "kind": "legend",
                    "label": legend_rows["letter"],
                    "symmetry_codes": legend_rows["symmetry_code"],
                    "formatted": legend_rows["operator"],
                }
            )
            table = pd.concat([table, legend_rows], ignore_index=True)
        emit(table, fmt, out)
    else:
        payload = [
            {
                "block": r["block"].iloc[0] if len(r) else None,
                "rows": r.to_dict("records"),
                "legend": lg.to_dict("records"),
            }
            for r, lg in zip(frames, legends, strict=True)
        ]
        emit(pd.Series(payload, dtype=object).to_json(orient="values", indent=2) + "\n", fmt, out)


@app.command("bonds")
def bonds_command(
    files: CifArgument,
    block: BlockOption = None,
    fmt: FormatOption = Format.table,
    tolerance: ToleranceOption = DEFAULT_TOLERANCE,
    out: OutOption = None,
) -> None:
    """Every covalent and coordination bond; symmetry_code applies to atom2.

    The table shows each distance with its su, 1.949(14); csv and json give distance and
    distance_su as numbers.
    """
    columns = ["block", "atom1", "atom2", "symmetry_code", "distance", "distance_su"]
    _every_structure("bonds", files, block, fmt, tolerance, out, columns, BOND_VIEW)


@app.command("angles")
def angles_command(
    files: CifArgument,
    block: BlockOption = None,
    fmt: FormatOption = Format.table,
    tolerance: ToleranceOption = DEFAULT_TOLERANCE,
    out: OutOption = None,
) -> None:
    """Every bond angle; atom2 is the vertex, the symmetry codes apply to atoms 1 and 3.

    The table shows each angle with its su, 87.65(12); csv and json give angle and
    angle_su as numbers.
    """
    columns = ["block", "atom1", "atom2", "atom3", "symmetry_code_1", "symmetry_code_3",
               "angle", "angle_su"]  # fmt: skip
    _every_structure("angles", files, block, fmt, tolerance, out, columns, ANGLE_VIEW)


def _every_structure(what, files, block, fmt, tolerance, out, columns, view) -> None:
    """``coordination.bonds`` or ``coordination.angles`` of every structure, as one table."""
    from coordgeo import coordination
    from coordgeo.pipeline import make_options

    tolerance = make_options(tolerance=tolerance).tolerance
    failures = Failures()
    find = getattr(coordination, what)
    frames = [find(s, tolerance) for s in load(files, block, failures)]
    emit(_concat(frames, columns), fmt, out, view=view)
    failures.exit_if_any()


@app.command("check")
def check_command(
    files: CifArgument,
    block: BlockOption = None,
    fmt: FormatOption = Format.table,
    out: OutOption = None,
) -> None:
    """Recompute every row of the CIF's own _geom_bond/_geom_angle/_geom_hbond/_geom_torsion loops.

    Exit status: 0 when every row is ok (or undefined: a torsion through three collinear
    atoms), 1 when any is a mismatch or unresolved, 2 when an input could not be read
    (its rows are listed as unresolved). Codes are CIF n_klm or GSAS-II's
    ±(100·centring + operator)_klm; an unknown label is listed with the labels it may mean.
    The table shows the published and the calculated value(su) side by side.
    """
    from coordgeo.check import COLUMNS as CHECK_COLUMNS
    from coordgeo.check import check as check_structure
    from coordgeo.check import unresolved_rows

    failures = Failures()
    structures, errors = read_structures(files, block)
    frames = [check_structure(s) for s in structures]
    for exc in errors:
        failures.add(exc)
        if exc.block is not None:  # a block not read still lists its loop's rows
            frames.append(
                unresolved_rows(
                    getattr(exc, "geom", {}), exc.block, f"block not read: {exc.message}"
                )
            )
    table = _concat(frames, CHECK_COLUMNS)
    emit(table, fmt, out, view=check_view(table))
    counts = table["status"].value_counts().to_dict() if len(table) else {}
    kinds = ("ok", "mismatch", "unresolved", "undefined")
    summary = ", ".join(f"{counts.get(k, 0)} {k}" for k in kinds)
    typer.echo(f"coordgeo check: {len(table)} rows: {summary}", err=True)
    failures.exit_if_any()
    if counts.get("mismatch", 0) or counts.get("unresolved", 0):
        raise typer.Exit(1)


#: Table views (:func:`coordgeo.tables.readable`): value(su), SHELXL's decimals without su.
BOND_VIEW = {
    "block": None,
    "atom1": None,
    "atom2": None,
    "symmetry_code": None,
    "distance": ("distance_su", 4),
}
ANGLE_VIEW = {
    "block": None,
    "atom1": None,
    "atom2": None,
    "atom3": None,
    "symmetry_code_1": None,
    "symmetry_code_3": None,
    "angle": ("angle_su", 1),
}


def check_view(table: pd.DataFrame) -> dict:
    """The table view of ``coordgeo check``: published and calculated value(su) side by
    side, distances to 4 decimals and angles (bond, torsion and D–H···A angles) to 1 when
    a value has no su."""
    from coordgeo.tables import ANGLE_DECIMALS, DISTANCE_DECIMALS

    places = [
        ANGLE_DECIMALS
        if kind in ("angle", "torsion") or str(atoms).endswith("[D-H...A]")
        else DISTANCE_DECIMALS
        for kind, atoms in zip(table["kind"], table["atoms"], strict=True)
    ]
    return {
        "block": None,
        "kind": None,
        "atoms": None,
        "symmetry_codes": None,
        "published": ("published_su", places),
        "calculated": ("calculated_su", places),
        "status": None,
        "reason": None,
    }


def no_metal_sites(structure) -> str:
    """``FILE data_BLOCK: no metal sites``: what a site command says of a structure without
    a metal (coordgeo sphere, coordgeo octahedra), instead of an empty table."""
    return f"{structure.path} data_{structure.block}: no metal sites"


def warn_notes(analysis) -> None:
    """One warning line per sphere the pipeline could not resolve, and per note of its
    sphere rules (:attr:`coordgeo.pipeline.Analysis.warnings`); the information on routine
    chemistry (:func:`information_lines`) is shown under the tables instead."""
    structure = analysis.structure
    for note in analysis.warnings:
        warn(f"{structure.path} data_{structure.block}: {note}")


def information_lines(analysis) -> list[str]:
    """``block note`` for each note of :attr:`coordgeo.pipeline.Analysis.information`
    (the Cu···Cu of a paddle-wheel): printed under the table of ``coordgeo sphere`` and
    ``coordgeo octahedra``, as the sites' reasons are, not as warnings on stderr."""
    return [f"{analysis.structure.block} {note}" for note in analysis.information]


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    import pandas as pd

    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]
