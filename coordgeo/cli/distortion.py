"""``octahedra``: distortion and shape parameters of every metal site, with su's."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from coordgeo import spin
from coordgeo.cli.app import (
    BlockOption,
    Failures,
    Format,
    FormatOption,
    OutOption,
    app,
    emit,
    load,
)
from coordgeo.cli.core import ToleranceOption
from coordgeo.coordination import DEFAULT_TOLERANCE
from coordgeo.errors import InputError
from coordgeo.esd import format_su
from coordgeo.pipeline import analyse_structure, make_options
from coordgeo.polyhedra import xyz_parameters
from coordgeo.tables import frame_doc_table

ShapesOption = Annotated[
    str,
    typer.Option(
        "--shapes",
        help="'all' ideal polyhedra of each site's coordination number, or a comma list "
        "such as OC-6,TPR-6.",
    ),
]

OxidationOption = Annotated[
    str | None,
    typer.Option(
        "--oxidation-state",
        help="Oxidation states you know, by metal label: Fe1=2,Co1=3 (taken as given).",
        show_default=False,
    ),
]


@app.command()
def octahedra(
    files: Annotated[list[Path], typer.Argument(help="CIF or OctaDist-style xyz file(s).")],
    block: BlockOption = None,
    fmt: FormatOption = Format.table,
    tolerance: ToleranceOption = DEFAULT_TOLERANCE,
    shapes: ShapesOption = "all",
    oxidation_state: OxidationOption = None,
    out: OutOption = None,
) -> None:
    """⟨d⟩, ζ, Δ, Σ, Θ, volume and continuous shape measures of every metal site, with su's.

    xyz input (metal first, then its ligands, as OctaDist reads it) gives the same
    parameters without su's. --format docx (with --out) and latex give the readable
    table (values as 1.994(4)) as a Word or LaTeX table.
    """
    from coordgeo.io.xyz import read_xyz

    options = make_options(tolerance=tolerance, shapes=shapes, oxidation_states=oxidation_state)
    failures = Failures()
    frames = []
    cifs = [f for f in files if f.suffix.lower() != ".xyz"]
    for path in (f for f in files if f.suffix.lower() == ".xyz"):
        try:
            polyhedra = read_xyz(path)
            table = xyz_parameters(polyhedra, shapes=options.shapes)
            frames.append(spin.with_spin_columns(table, spin.assign_polyhedra(polyhedra, table)))
        except InputError as exc:
            failures.add(exc)
    for structure in load(cifs, block, failures):
        frames.append(analyse_structure(structure, options).sites)
    frames = [f for f in frames if len(f)]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if fmt == Format.table and len(table):
        emit(_readable(table), fmt, out)
    elif fmt in (Format.docx, Format.latex) and len(table):
        readable = _readable_frame(table)
        notes = tuple(
            f"{r.block} {r.metal}: {r.reason}"
            for r in table[table["reason"].astype(str) != ""][["block", "metal", "reason"]]
            .drop_duplicates()
            .itertuples()
        )
        doc = frame_doc_table(
            "Table S3. Distortion parameters and continuous shape measures of the metal sites.",
            readable,
        )
        numeric = tuple(c not in ("block", "metal", "donors") for c in readable.columns)
        emit([replace(doc, numeric=numeric, notes=notes)], fmt, out)
    else:
        emit(table, fmt, out)
    failures.exit_if_any()


def _readable(table: pd.DataFrame) -> str:
    """Values as 1.994(4), one line per site, the main parameters only."""
    text = _readable_frame(table).to_string(index=False) + "\n"
    notes = table[table["reason"].astype(str) != ""][["block", "metal", "reason"]].drop_duplicates()
    for r in notes.itertuples():
        text += f"  {r.block} {r.metal}: {r.reason}\n"
    return text


def _readable_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The main parameters of each site as text cells (``1.994(4)``)."""
    return pd.DataFrame(
        {
            "block": table["block"],
            "metal": table["metal"],
            "CN": table["coordination_number"],
            "donors": table["donor_set"],
            "<d>/Å": [
                format_su(v, s, 4) for v, s in zip(table.d_mean, table.d_mean_su, strict=True)
            ],
            "ζ/Å": [format_su(v, s, 4) for v, s in zip(table.zeta, table.zeta_su, strict=True)],
            "Δ": [format_su(v, s, 6) for v, s in zip(table.Delta, table.Delta_su, strict=True)],
            "Σ/°": [format_su(v, s, 2) for v, s in zip(table.Sigma, table.Sigma_su, strict=True)],
            "Θ/°": [format_su(v, s, 2) for v, s in zip(table.Theta, table.Theta_su, strict=True)],
            "V/Å³": [
                format_su(v, s, 3) for v, s in zip(table.volume, table.volume_su, strict=True)
            ],
            "OC-6": [
                format_su(v, s, 3) for v, s in zip(table.cshm_oc6, table.cshm_oc6_su, strict=True)
            ],
            "TPR-6": [
                format_su(v, s, 3) for v, s in zip(table.cshm_tpr6, table.cshm_tpr6_su, strict=True)
            ],
        }
    )
