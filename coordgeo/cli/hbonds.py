"""``coordgeo hbonds``: D–H···A hydrogen bonds, as an SI table or as data."""

from __future__ import annotations

from typing import Annotated

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
)
from coordgeo.cli.core import Codes, CodesOption
from coordgeo.options import DEFAULT_HA_MARGIN, DEFAULT_MIN_ANGLE, DEFAULT_TOLERANCE

#: What ``--format json`` adds to the csv columns (scalars only).
JSON_EXTRA = ["donor_code", "intramolecular", "riding"]


@app.command("hbonds")
def hbonds_command(
    files: CifArgument,
    block: BlockOption = None,
    fmt: FormatOption = Format.table,
    margin: Annotated[
        float,
        typer.Option(
            "--margin",
            help="H···A < r_vdW(H) + r_vdW(A) − MARGIN (Å, Bondi radii); PLATON uses 0.12.",
        ),
    ] = DEFAULT_HA_MARGIN,
    min_angle: Annotated[
        float, typer.Option("--min-angle", help="D–H···A angle > MIN_ANGLE (degrees).")
    ] = DEFAULT_MIN_ANGLE,
    include_c: Annotated[
        bool, typer.Option("--include-c", help="C–H donors too (C–H···O, C–H···N, …).")
    ] = False,
    include_s: Annotated[bool, typer.Option("--include-s", help="S–H donors too.")] = False,
    tolerance: Annotated[
        float,
        typer.Option(
            "--tolerance",
            "-t",
            help="Covalent bonds (which H belongs to which donor): r_cov + r_cov + TOLERANCE.",
        ),
    ] = DEFAULT_TOLERANCE,
    codes: CodesOption = Codes.letters,
    out: OutOption = None,
) -> None:
    """Hydrogen bonds D–H···A with su's and the acceptor's symmetry code (Table S2 layout).

    Donors N and O (C, S with the flags), acceptors N O S F Cl Br I; H···A shorter
    than the sum of van der Waals radii minus MARGIN and D–H···A above MIN_ANGLE.
    Values of riding H atoms have no su. csv columns: block, donor, hydrogen,
    acceptor, acceptor_code, d_dh, d_dh_su, d_ha, d_ha_su, d_da, d_da_su, angle_dha,
    angle_dha_su (acceptor_code in CIF n_klm, relative to the untransformed D and H).
    --codes sets how symmetry-generated atoms are marked in the tables; --format docx
    (with --out) and latex give one Table S2 per structure.
    """
    import pandas as pd

    from coordgeo.hbonds import COLUMNS
    from coordgeo.pipeline import analyse_structure, make_options
    from coordgeo.tables import HBOND_HEADER, DocTable, hbond_doc_table, hbond_table, hbond_text

    options = make_options(
        ha_margin=margin,
        min_angle=min_angle,
        include_c=include_c,
        include_s=include_s,
        tolerance=tolerance,
    )
    failures = Failures()
    frames, texts, payload, docs = [], [], [], []
    for structure in load(files, block, failures):
        found = analyse_structure(structure, options).hbonds
        frames.append(found)
        temperature = f", {structure.temperature:g} K" if structure.temperature else ""
        title = f"{structure.path}  data_{structure.block}{temperature}: hydrogen bonds"
        if fmt in (Format.table, Format.markdown, Format.docx, Format.latex):
            if found.empty:
                texts.append(f"{title}: none found\n\n")
                caption = f"Table S2. Hydrogen bonds in {title.removesuffix(': hydrogen bonds')}."
                none = ("No hydrogen bond meets the criteria.",)
                docs.append(DocTable(caption, HBOND_HEADER, (), notes=none))
                continue
            rows, legend = hbond_table(structure, found, codes=codes.value)
            if fmt in (Format.docx, Format.latex):
                caption = f"Table S2. Hydrogen bonds in {title.removesuffix(': hydrogen bonds')}."
                docs.append(hbond_doc_table(caption, rows, legend, codes.value))
            else:
                md = fmt == Format.markdown
                texts.append(hbond_text(title, rows, legend, markdown=md, codes=codes.value))
        elif fmt == Format.json:
            _, legend = hbond_table(structure, found, codes=codes.value)
            payload.append(
                {
                    "block": structure.block,
                    "path": structure.path,
                    "rows": found[COLUMNS + JSON_EXTRA].to_dict("records"),
                    "legend": legend.to_dict("records"),
                }
            )
    if fmt in (Format.docx, Format.latex):
        emit(docs, fmt, out)
    elif fmt in (Format.table, Format.markdown):
        emit("".join(texts), Format.table, out)
    elif fmt == Format.csv:
        frames = [f[COLUMNS] for f in frames if len(f)]
        table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
        emit(table, fmt, out)
    else:
        emit(pd.Series(payload, dtype=object).to_json(orient="values", indent=2) + "\n", fmt, out)
    failures.exit_if_any()
