"""``octahedra``: distortion and shape parameters of every metal site, with su's."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from coordgeo.cli.app import (
    BlockOption,
    Failures,
    Format,
    FormatOption,
    OutOption,
    app,
    emit,
    load,
    path_argument,
)
from coordgeo.cli.core import ToleranceOption, information_lines, no_metal_sites, warn_notes
from coordgeo.errors import InputError
from coordgeo.options import DEFAULT_TOLERANCE

if TYPE_CHECKING:  # the analyses load inside the command (start-up time)
    import pandas as pd

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

#: The table view of a site (:func:`coordgeo.tables.readable`): column → (su, decimals).
SITE_VIEW = {
    "block": None,
    "metal": None,
    "coordination_number": None,
    "donor_set": None,
    "d_mean": ("d_mean_su", 4),
    "zeta": ("zeta_su", 4),
    "Delta": ("Delta_su", 6),
    "Sigma": ("Sigma_su", 2),
    "Theta": ("Theta_su", 2),
    "volume": ("volume_su", 3),
}
SITE_NAMES = {
    "coordination_number": "CN",
    "donor_set": "donors",
    "d_mean": "<d>/Å",
    "zeta": "ζ/Å",
    "Delta": "Δ",
    "Sigma": "Σ/°",
    "Theta": "Θ/°",
    "volume": "V/Å³",
    "spin": "spin (p)",
    "oxidation": "ox. state",
    "gamma_hs": "γHS",
}


def shape_column(label: str) -> str:
    """The column of a shape measure: ``OC-6`` → ``cshm_oc6``."""
    return "cshm_" + label.lower().replace("-", "")


def site_view(table: pd.DataFrame, shapes: str | tuple[str, ...] = "all"):
    """The readable octahedra table: the main parameters with su's, the shape measures
    asked for (the main ones of each CN for ``all``), spin state with its probability,
    oxidation state with its source, and γHS.

    Returns ``(frame, spec, names)`` for :func:`coordgeo.tables.readable`: ``frame`` is
    ``table`` with the text columns ``spin`` and ``oxidation`` added.
    """
    import numpy as np

    from coordgeo.shape import COMMON_SHAPES

    labels = COMMON_SHAPES if shapes == "all" else tuple(shapes)
    spec: dict = dict(SITE_VIEW)
    names = dict(SITE_NAMES)
    for label in labels:
        column = shape_column(label)
        if column in table and np.isfinite(table[column].to_numpy(dtype=float)).any():
            spec[column] = (f"{column}_su", 3)
            names[column] = label
    frame = table.assign(
        spin=[_spin_text(r) for r in table.to_dict("records")],
        oxidation=[_oxidation_text(r) for r in table.to_dict("records")],
    )
    spec.update({"spin": None, "oxidation": None, "gamma_hs": (None, 2)})
    return frame, spec, names


def _missing(value) -> bool:
    import pandas as pd

    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return True
    return isinstance(value, str) and not value.strip()


def _spin_text(row: dict) -> str:
    """``LS (1.00)``: the spin state and its probability (empty when not assessed)."""
    state, p = row.get("spin_state"), row.get("spin_confidence")
    if _missing(state):
        return ""
    return f"{state} ({p:.2f})" if not _missing(p) else str(state)


def _oxidation_text(row: dict) -> str:
    """``2 (user)``, ``3 (BVS)``, ``2 (formula moiety)``: the oxidation state and where it
    comes from (empty when none is assigned)."""
    state, source = row.get("oxidation_state"), row.get("oxidation_state_source")
    if _missing(state):
        return ""
    return f"{int(state)} ({source})" if not _missing(source) else str(int(state))


@app.command()
def octahedra(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="CIF or OctaDist-style xyz files, or folders.",
            metavar="FILE",
            parser=path_argument,
            show_default=False,
        ),
    ],
    block: BlockOption = None,
    fmt: FormatOption = Format.table,
    tolerance: ToleranceOption = DEFAULT_TOLERANCE,
    shapes: ShapesOption = "all",
    oxidation_state: OxidationOption = None,
    out: OutOption = None,
) -> None:
    """⟨d⟩, ζ, Δ, Σ, Θ, volume and continuous shape measures of every metal site, with su's.

    The table (and markdown) shows the main parameters as value(su), the shape measures
    of each site's coordination number, spin state with its probability, oxidation state
    with its source (user, formula moiety, chemical name, BVS, bond lengths, series) and
    γHS; csv and json give every column as numbers. xyz input (metal first, then its
    ligands, as OctaDist reads it) gives the same parameters without su's. --format docx
    (with --out) and latex give the table view as a Word or LaTeX table. A sphere the
    disorder rules could not resolve is not a site; a warning line names it.
    """
    import pandas as pd

    from coordgeo import spin
    from coordgeo.io.xyz import read_xyz
    from coordgeo.pipeline import analyse_structure, make_options
    from coordgeo.polyhedra import xyz_parameters

    options = make_options(tolerance=tolerance, shapes=shapes, oxidation_states=oxidation_state)
    failures = Failures()
    frames = []
    cifs, xyzs = _split_inputs(files)
    for path in xyzs:
        try:
            polyhedra = read_xyz(path)
            table = xyz_parameters(polyhedra, shapes=options.shapes)
            frames.append(spin.with_spin_columns(table, spin.assign_polyhedra(polyhedra, table)))
        except InputError as exc:
            failures.add(exc)
    metal_free = []  # said as `coordgeo sphere` says it, not as an empty table
    information = []  # under the table, with the sites' reasons
    for structure in load(cifs, block, failures):
        analysis = analyse_structure(structure, options)
        warn_notes(analysis)
        information += information_lines(analysis)
        frames.append(analysis.sites)
        if not len(analysis.sites):
            metal_free.append(no_metal_sites(structure))
    frames = [f for f in frames if len(f)]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if fmt in (Format.csv, Format.json) or (not len(table) and fmt in (Format.docx, Format.latex)):
        emit(table, fmt, out)
    elif not len(table):
        emit("".join(f"{line}\n" for line in metal_free), fmt, out)
    else:
        _emit_view(table, options.shapes, fmt, out, [*information, *metal_free])
    failures.exit_if_any()


def _split_inputs(files: list[Path]) -> tuple[list[Path], list[Path]]:
    """CIF inputs (files, folders, globs: read by :func:`coordgeo.io.paths.read_structures`)
    and xyz files, a folder's *.xyz included; a folder of xyz files only is not a CIF input
    (it is no "folder holds no *.cif files" error)."""
    from coordgeo.io.paths import discover

    cifs, xyzs = [], []
    for path in files:
        if os.path.isdir(path):  # Path.is_dir raises for a name too long
            found = [Path(p) for p in discover([path], "*.xyz")[0]]
            xyzs += found
            if discover([path])[0] or not found:
                cifs.append(path)
        elif path.suffix.lower() == ".xyz":
            xyzs.append(path)
        else:
            cifs.append(path)
    return cifs, xyzs


def _emit_view(
    table: pd.DataFrame, shapes, fmt: Format, out: Path | None, more: Sequence[str] = ()
) -> None:
    """The table view (text, markdown, Word, LaTeX) with the sites' notes (and ``more``,
    e.g. the structures without metal sites) under it."""
    from dataclasses import replace

    from coordgeo.tables import frame_doc_table, readable

    frame, spec, names = site_view(table, shapes)
    notes = [*_reasons(table), *more]
    if fmt in (Format.docx, Format.latex):
        shown = readable(frame, spec, names=names)
        doc = frame_doc_table(
            "Table S3. Distortion parameters and continuous shape measures of the metal sites.",
            shown,
        )
        numeric = tuple(spec[c] is not None for c in spec if c in frame.columns)
        emit([replace(doc, numeric=numeric, notes=tuple(notes))], fmt, out)
        return
    from coordgeo.tables import render

    text = render(readable(frame, spec, names=names), fmt.value)
    text += "".join(f"  {n}\n" for n in notes)
    emit(text, fmt, out)


def _reasons(table: pd.DataFrame) -> list[str]:
    """``block metal: reason`` of each site with a note (a parameter not defined, …)."""
    if "reason" not in table:
        return []
    rows = table[table["reason"].astype(str) != ""][["block", "metal", "reason"]]
    return [f"{r.block} {r.metal}: {r.reason}" for r in rows.drop_duplicates().itertuples()]
