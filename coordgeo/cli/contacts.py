"""``coordgeo contacts``: π–π stacking, X–H···π and hydrogen bonds (with D···A whose H was
not located), as SI tables with symmetry legends or as data."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from coordgeo import options
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
from coordgeo.cli.core import Codes, CodesOption, ToleranceOption

if TYPE_CHECKING:  # the analyses load inside the command (start-up time)
    import pandas as pd


class Kind(StrEnum):
    pi_pi = "pi-pi"
    ch_pi = "ch-pi"
    hbond = "hbond"
    all = "all"


def csv_columns(kind: str) -> list[str]:
    """csv columns of ``--kind`` (:mod:`coordgeo.contacts`' column lists)."""
    from coordgeo.contacts import ALL_COLUMNS, CH_PI, HBOND, PI_PI

    return {"pi-pi": PI_PI, "ch-pi": CH_PI, "hbond": HBOND, "all": ALL_COLUMNS}[kind]


_TITLES = {
    "pi-pi": "π–π stacking",
    "ch-pi": "X–H···π contacts",
    "hbond": "hydrogen bonds",
}
_CAPTIONS = {
    "pi-pi": "π–π stacking interactions (Cg = ring centroid)",
    "ch-pi": "X–H···π interactions (Cg = ring centroid)",
    "hbond": "Hydrogen bonds",
}
_HEADERS = {
    "pi-pi": (
        "Cg(I)···Cg(J)",
        "Cg···Cg [Å]",
        "α [°]",
        "β [°]",
        "γ [°]",
        "Cg(I)_perp [Å]",
        "Cg(J)_perp [Å]",
        "Slippage [Å]",
    ),
    "ch-pi": (
        "X–H···Cg",
        "X–H [Å]",
        "H···Cg [Å]",
        "X···Cg [Å]",
        "∠X–H···Cg [°]",
        "H_perp [Å]",
        "γ [°]",
    ),
    "hbond": ("D–H···A", "D–H [Å]", "H···A [Å]", "D···A [Å]", "∠D–H···A [°]"),
}
_NOTES = {
    "pi-pi": (
        "α: angle between the ring planes; β, γ: angles between Cg(I)→Cg(J) and the normals "
        "of rings I and J; Cg(I)_perp: distance of Cg(I) from the plane of ring J, "
        "Cg(J)_perp of Cg(J) from ring I; slippage: Cg(I) to the projection of Cg(J) on "
        "ring I (PLATON's definitions)."
    ),
    "ch-pi": (
        "H_perp: distance of H from the ring plane; γ: angle between H→Cg and the ring "
        "normal. Values involving a riding H have no su."
    ),
    "hbond": "Values involving a riding H have no su.",
}
_NOT_LOCATED_NOTE = (
    "† {mark}: a donor that would carry an H has none in the model; D···A is "
    "shorter than the sum of the van der Waals radii (a possible hydrogen bond)."
)


def contact_tables(structure, frame: pd.DataFrame, kind: str, codes: str = "letters"):
    """SI rows of one kind of :func:`coordgeo.contacts.contacts` output.

    The cells come from :func:`coordgeo.tables.contact_table`, the formatter the report
    uses too. Returns ``(header, rows, legend, notes)``: ``rows`` a list of cell tuples
    (label, formatted values; ``—`` where a value is missing), ``legend`` the marks of the
    symmetry codes used (``letter, operator, symmetry_code``), ``notes`` the lines under
    the table (ring definitions for π contacts, the "H not located" mark).
    """
    from coordgeo.contacts import H_NOT_LOCATED
    from coordgeo.tables import CONTACT_VALUES, contact_table

    sub = frame[frame["kind"] == kind]
    cells, legend = contact_table(structure, sub, codes)
    n = len(CONTACT_VALUES[kind])
    rows = []
    for cell in cells.to_dict("records"):
        label = cell["label"] if cell["h_located"] else f"{cell['label']} †"
        rows.append((label, *(cell[f"v{k}"] or "—" for k in range(n))))
    used_rings: dict[str, str] = {}
    for r in sub.to_dict("records"):
        if kind == "pi-pi":
            used_rings[r["partner1"]] = r["ring1"]
        if kind in ("pi-pi", "ch-pi"):
            used_rings[r["partner2"]] = r["ring2"]
    notes = [_NOTES[kind]]
    if used_rings:
        by_number = sorted(used_rings.items(), key=lambda kv: int(kv[0][2:]))
        notes.insert(0, "; ".join(f"{cg}: {atoms}" for cg, atoms in by_number) + ".")
    if not cells["h_located"].all():
        notes.append(_NOT_LOCATED_NOTE.format(mark=H_NOT_LOCATED))
    return _HEADERS[kind], rows, legend, notes


def _text(title: str, header, rows, legend, notes, codes: str, markdown: bool) -> str:
    from coordgeo.tables import legend_sentence

    out = []
    if markdown:
        out.append(f"**{title}**\n")
        out.append("| " + " | ".join(header) + " |")
        out.append("|---|" + "---:|" * (len(header) - 1))
        out.extend("| " + " | ".join(row) + " |" for row in rows)
        sentence = legend_sentence(legend, codes)
        tail = [sentence] if sentence else []
        out.extend(["", *tail, *notes])
    else:
        out.append(title)
        widths = [max(len(str(row[k])) for row in [header, *rows]) for k in range(len(header))]
        line = [f"  {header[0]:<{widths[0]}}"] + [
            f"  {h:>{w}}" for h, w in zip(header[1:], widths[1:], strict=True)
        ]
        out.append("".join(line))
        for row in rows:
            out.append(
                f"  {row[0]:<{widths[0]}}"
                + "".join(f"  {c:>{w}}" for c, w in zip(row[1:], widths[1:], strict=True))
            )
        if len(legend):
            out.append("  " + legend_sentence(legend, codes))
            if codes != "nklm":
                pairs = (f"{r.letter} = {r.symmetry_code}" for r in legend.itertuples())
                out.append("  (n_klm: " + ", ".join(pairs) + ")")
        out.extend(f"  {n}" for n in notes)
    return "\n".join(out) + "\n\n"


@app.command("contacts")
def contacts_command(
    files: CifArgument,
    kind: Annotated[
        Kind,
        typer.Option(
            "--kind",
            "-k",
            help="pi-pi (ring stacking), ch-pi (X–H···π), hbond (D–H···A and D···A "
            "without located H), or all.",
            case_sensitive=False,
        ),
    ] = Kind.all,
    block: BlockOption = None,
    fmt: FormatOption = Format.table,
    codes: CodesOption = Codes.letters,
    out: OutOption = None,
    max_cg_cg: Annotated[
        float, typer.Option("--max-cg-cg", help="π–π: Cg···Cg ≤ MAX_CG_CG (Å).")
    ] = options.DEFAULT_MAX_CG_CG,
    max_alpha: Annotated[
        float, typer.Option("--max-alpha", help="π–π: interplanar angle α ≤ MAX_ALPHA (°).")
    ] = options.DEFAULT_MAX_ALPHA,
    max_beta: Annotated[
        float, typer.Option("--max-beta", help="π–π: β and γ ≤ MAX_BETA (°; PLATON: 60).")
    ] = options.DEFAULT_MAX_BETA,
    max_h_cg: Annotated[
        float, typer.Option("--max-h-cg", help="X–H···π: H···Cg ≤ MAX_H_CG (Å; PLATON: 3.0).")
    ] = options.DEFAULT_MAX_H_CG,
    max_gamma: Annotated[
        float,
        typer.Option("--max-gamma", help="X–H···π: angle H→Cg to the normal ≤ MAX_GAMMA (°)."),
    ] = options.DEFAULT_MAX_GAMMA,
    min_xh_angle: Annotated[
        float, typer.Option("--min-xh-angle", help="X–H···π: X–H···Cg ≥ MIN_XH_ANGLE (°).")
    ] = options.DEFAULT_MIN_XH_CG_ANGLE,
    margin: Annotated[
        float,
        typer.Option("--margin", help="H-bonds: H···A < r_vdW(H) + r_vdW(A) − MARGIN (Å)."),
    ] = options.DEFAULT_HA_MARGIN,
    min_angle: Annotated[
        float, typer.Option("--min-angle", help="H-bonds: D–H···A > MIN_ANGLE (°).")
    ] = options.DEFAULT_MIN_ANGLE,
    da_margin: Annotated[
        float,
        typer.Option(
            "--da-margin",
            help="H not located: D···A < r_vdW(D) + r_vdW(A) − DA_MARGIN (Å).",
        ),
    ] = options.DEFAULT_DA_MARGIN,
    include_c: Annotated[
        bool, typer.Option("--include-c", help="H-bonds: C–H donors too.")
    ] = False,
    include_s: Annotated[bool, typer.Option("--include-s", help="H-bonds: S–H donors too.")] = (
        False
    ),
    chelate: Annotated[
        bool,
        typer.Option("--chelate", help="π contacts of planar chelate rings (with a metal) too."),
    ] = False,
    planarity: Annotated[
        float,
        typer.Option("--planarity", help="A ring is planar when no atom is > PLANARITY Å off."),
    ] = options.DEFAULT_PLANARITY,
    tolerance: ToleranceOption = options.DEFAULT_TOLERANCE,
) -> None:
    """π–π stacking, X–H···π contacts and hydrogen bonds with su's and symmetry codes.

    Rings are the 5- and 6-membered aromatic rings (Cg1, Cg2, … in the order of the CIF's
    atoms; the tables list which atoms each Cg is). π–π: Cg···Cg, α, β, γ,
    perpendicular distances and slippage (PLATON's quantities; defaults Cg···Cg ≤ 4.0 Å,
    α ≤ 30°, β, γ ≤ 60°). X–H···π: H···Cg ≤ 3.0 Å, γ ≤ 30° (PLATON). Hydrogen bonds as
    ``coordgeo hbonds``, plus D···A of N/O donors whose H was not located (marked †).
    csv columns: block, kind, partner1, hydrogen, partner2, symmetry_code, distance,
    distance_su, intramolecular, dx, dy, dz, then those of the kind (see docs/contacts.md).
    """
    import pandas as pd

    from coordgeo.contacts import contacts
    from coordgeo.tables import DocTable, legend_sentence

    kinds = ["pi-pi", "ch-pi", "hbond"] if kind == Kind.all else [kind.value]
    failures = Failures()
    frames, texts, docs, payload = [], [], [], []
    for structure in load(files, block, failures):
        found = contacts(
            structure,
            kinds,
            max_cg_cg=max_cg_cg,
            max_alpha=max_alpha,
            max_beta=max_beta,
            max_h_cg=max_h_cg,
            max_gamma=max_gamma,
            min_xh_cg_angle=min_xh_angle,
            ha_margin=margin,
            min_angle=min_angle,
            include_c=include_c,
            include_s=include_s,
            da_margin=da_margin,
            chelate=chelate,
            tolerance=tolerance,
            planarity=planarity,
        )
        frames.append(found)
        temperature = f", {structure.temperature:g} K" if structure.temperature else ""
        where = f"{structure.path}  data_{structure.block}{temperature}"
        for k in kinds:
            if fmt == Format.csv:
                break
            header, rows, legend, notes = contact_tables(structure, found, k, codes.value)
            if fmt in (Format.table, Format.markdown):
                title = f"{where}: {_TITLES[k]}"
                if not rows:
                    texts.append(f"{title}: none found\n\n")
                    continue
                md = fmt == Format.markdown
                texts.append(_text(title, header, rows, legend, notes, codes.value, md))
            elif fmt in (Format.docx, Format.latex):
                if rows:
                    docs.append(
                        DocTable(
                            caption=f"{_CAPTIONS[k]} in {structure.block}{temperature}.",
                            header=header,
                            rows=tuple(rows),
                            legend=legend_sentence(legend, codes.value),
                            notes=tuple(notes),
                            numeric=(False, *([True] * (len(header) - 1))),
                        )
                    )
            elif fmt == Format.json:
                sub = found[found["kind"] == k]
                payload.append(
                    {
                        "block": structure.block,
                        "path": structure.path,
                        "kind": k,
                        "rows": sub[csv_columns(k)].to_dict("records"),
                        "legend": legend.to_dict("records"),
                        "rings": _rings_payload(structure, sub, planarity, tolerance),
                    }
                )
    if fmt in (Format.table, Format.markdown):
        emit("".join(texts), fmt, out)
    elif fmt == Format.csv:
        columns = csv_columns(kind.value)
        frames = [f.reindex(columns=columns) for f in frames if len(f)]
        table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
        emit(table, fmt, out)
    elif fmt in (Format.docx, Format.latex):
        if docs:
            emit(docs, fmt, out)
        else:
            emit("no contacts found\n", Format.table, out)
    else:
        emit(pd.Series(payload, dtype=object).to_json(orient="values", indent=2) + "\n", fmt, out)
    failures.exit_if_any()


def _rings_payload(structure, frame: pd.DataFrame, planarity: float, tolerance: float) -> list:
    from coordgeo.rings import find_rings

    names = set(frame["partner2"]) | set(frame["partner1"])
    out = []
    for r in find_rings(structure, tolerance=tolerance, planarity=planarity):
        if r.name in names:
            out.append(
                {
                    "cg": r.name,
                    "atoms": list(r.labels),
                    "aromatic": r.aromatic,
                    "centroid_fract": [float(v) for v in r.centroid_fract],
                    "centroid_fract_su": [float(v) for v in r.centroid_fract_su],
                }
            )
    return out
