"""``compare`` (structures of one compound side by side, linked to χMT) and ``graph`` (export)."""

from __future__ import annotations

import json
import warnings
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
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
    error,
    load,
    per_structure_paths,
    warn,
)
from coordgeo.cli.core import Codes, CodesOption, ToleranceOption, Values, ValuesOption
from coordgeo.errors import InputError
from coordgeo.figures import check_figure_path
from coordgeo.options import DEFAULT_TOLERANCE

if TYPE_CHECKING:  # the analyses load inside the commands (start-up time)
    import pandas as pd

# Table views (coordgeo.tables.readable): column → (su column, decimals[, significance]).
#: Per-site values and their change from the previous structure, ``-0.011(5) [+2.2σ]``.
SITE_VIEW = {
    "site": None,
    "temperature_K": None,
    "d_mean": ("d_mean_su", 4),
    "d_mean_change": ("d_mean_change_su", 4, "d_mean_significance"),
    "Sigma": ("Sigma_su", 2),
    "Sigma_change": ("Sigma_change_su", 2, "Sigma_significance"),
    "Theta": ("Theta_su", 2),
    "Theta_change": ("Theta_change_su", 2, "Theta_significance"),
    "cshm_oc6": ("cshm_oc6_su", 3),
    "spin_state": None,
    "spin_confidence": (None, 2),
    "gamma_hs": ("gamma_hs_su", 2),
}
SITE_NAMES = {"temperature_K": "T/K", "d_mean": "<M-L>/Å", "d_mean_change": "Δ<M-L>",
              "Sigma": "Σ/°", "Sigma_change": "ΔΣ", "Theta": "Θ/°", "Theta_change": "ΔΘ",
              "cshm_oc6": "CShM", "spin_state": "spin", "spin_confidence": "conf",
              "gamma_hs": "γ_HS"}  # fmt: skip
#: Cell parameters with su's; the volume's change with its significance.
CELL_VIEW = {
    "block": None,
    "temperature_K": None,
    "a": ("a_su", 4),
    "b": ("b_su", 4),
    "c": ("c_su", 4),
    "alpha": ("alpha_su", 3),
    "beta": ("beta_su", 3),
    "gamma": ("gamma_su", 3),
    "volume": ("volume_su", 2),
    "volume_change": (None, 2, "volume_significance"),
}
CELL_NAMES = {"temperature_K": "T/K", "a": "a/Å", "b": "b/Å", "c": "c/Å", "alpha": "α/°",
              "beta": "β/°", "gamma": "γ/°", "volume": "V/Å³",
              "volume_change": "ΔV/Å³"}  # fmt: skip
HBOND_VIEW = {
    "temperature_from_K": None,
    "temperature_to_K": None,
    "donor": None,
    "hydrogen": None,
    "acceptor": None,
    "d_da_from": ("d_da_from_su", 3),
    "d_da_to": ("d_da_to_su", 3),
    "change": ("change_su", 3, "significance"),
    "status": None,
}
CONTACT_VIEW = {
    "before": None,
    "after": None,
    "kind": None,
    "contact": None,
    "status": None,
    "distance_before": ("distance_before_su", 3),
    "distance_after": ("distance_after_su", 3),
    "delta": ("delta_su", 3),
}
LINK_VIEW = {
    "block": None,
    "temperature_K": None,
    "site": None,
    "spin_state": None,
    "gamma_hs": ("gamma_hs_su", 2),
    "gamma_hs_magnetic": (None, 2),
    "difference": (None, 2),
    "consistent": None,
    "branch": None,
    "note": None,
}


class Branch(StrEnum):
    cooling = "cooling"
    heating = "heating"
    equilibrium = "equilibrium"


def _sd_parameters(magnetism: Path | None, sd_params: str | None):
    """SDParameters from a χMT file (fitted) or from --sd-params; None without either."""
    from coordgeo.io.magdata import ChiMWarning
    from coordgeo.magnetism import SDParameters, fit_sd

    if magnetism is not None and sd_params is not None:
        raise InputError("give either --magnetism or --sd-params, not both")
    if sd_params is not None:
        try:
            return SDParameters.parse(sd_params, source="--sd-params")
        except InputError as exc:
            raise InputError(f"--sd-params: {exc.message}") from None
    if magnetism is None:
        return None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ChiMWarning)
        fit = fit_sd(magnetism)
    for item in caught:
        warn(str(item.message))
    for note in fit.notes:
        warn(f"{magnetism}: {note}")
    return SDParameters.from_fit(fit)


#: The contact changes a table view shows (``--tables`` and json keep every column).
CONTACT_COLUMNS = ["before", "after", "kind", "contact", "status", "distance_before",
                   "distance_after", "delta", "delta_su"]  # fmt: skip


def _write_tables(directory: Path, tables: dict[str, pd.DataFrame]) -> None:
    from coordgeo.tables import render

    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, frame in tables.items():
            (directory / f"{name}.csv").write_text(render(frame, "csv"))
    except OSError as exc:
        raise InputError(
            f"cannot write tables: {exc.strerror or exc}", path=str(directory)
        ) from None


@app.command()
def compare(
    files: CifArgument,
    block: BlockOption = None,
    magnetism: Annotated[
        Path | None,
        typer.Option(
            "--magnetism",
            help="χMT(T) file: fit the Slichter–Drickamer model and compare its γHS(T) "
            "with the structural γHS of each structure.",
        ),
    ] = None,
    sd_params: Annotated[
        str | None,
        typer.Option(
            "--sd-params",
            help="Use these Slichter–Drickamer parameters instead of a fit: "
            "dH,dS,Gamma (kJ/mol, J/mol/K, kJ/mol), as fit-sd reports them.",
        ),
    ] = None,
    branch: Annotated[
        Branch,
        typer.Option("--branch", help="SD branch for γHS(T) when Γ > 2RT½.", case_sensitive=False),
    ] = Branch.cooling,
    tables: Annotated[
        Path | None,
        typer.Option("--tables", help="Write every table as CSV into this directory."),
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Plot structural and magnetic γHS(T) to FILE.png/.svg/.pdf."),
    ] = None,
    fmt: FormatOption = Format.table,
    tolerance: ToleranceOption = DEFAULT_TOLERANCE,
    force: Annotated[
        bool,
        typer.Option("--force", help="Compare even when the structures are not one compound."),
    ] = False,
    values: ValuesOption = Values.auto,
    codes: CodesOption = Codes.letters,
    out: OutOption = None,
) -> None:
    """Compare structures of one compound (e.g. a variable-temperature series), ordered by T.

    Structures that are not one compound (different metal complexes) are refused with
    exit status 1 unless forced (option "--force"); a phase transition (space group or cell
    change) is noted.

    Atoms are paired by label, or by graph isomorphism when the labels differ; per metal
    site ⟨M–L⟩, every M–L bond, Σ, Θ, CShM, volume with su's and the significance of each
    change; cell and H-bond changes; spin state and γHS; with --magnetism or --sd-params
    the structural γHS beside the magnetic one.

    Table S1 prints each CIF's own _geom_bond/_geom_angle values where it has them
    (--values; recomputed ones marked *), symmetry codes in the --codes style; --format
    docx (with --out) and latex give it as one table per metal site with a column per
    temperature, followed by the per-site changes.
    """
    from coordgeo.compare import (
        SITE_COLUMNS,
        UnrelatedStructures,
        link_magnetism,
        plot_link,
    )
    from coordgeo.compare import (
        compare as run_compare,
    )
    from coordgeo.tables import frame_doc_table, readable, render, series_doc_tables, series_text

    if plot is not None:
        check_figure_path(plot)
    if plot is not None and magnetism is None and sd_params is None:
        error("--plot needs --magnetism or --sd-params (it plots structural and magnetic γHS)")
        raise typer.Exit(2)
    failures = Failures()
    try:
        sd = _sd_parameters(magnetism, sd_params)
    except InputError as exc:
        error(str(exc))
        raise typer.Exit(2) from None
    structures = load(files, block, failures)
    if len(structures) < 2:
        failures.exit_if_any()
        error(f"compare needs at least two structures, got {len(structures)}")
        raise typer.Exit(2)
    try:
        result = run_compare(
            structures, tolerance=tolerance, force=force, values=values.value, codes=codes.value
        )
    except UnrelatedStructures as exc:
        error(str(exc))
        raise typer.Exit(1) from None
    for note in result.notes:
        warn(note)
    if result.sites.empty:
        warn("no metal site could be paired across the structures")
    for r in result.unpaired.itertuples(index=False):
        warn(f"{r.structure} block {r.block}: {r.label} ({r.element}) not paired: {r.reason}")
    link = link_magnetism(result, sd, branch=branch.value) if sd is not None else None
    if plot is not None and link is not None:
        try:
            plot_link(link, sd, plot, branch=branch.value)
        except OSError as exc:
            error(f"{plot}: cannot write plot: {exc.strerror or exc}")
            raise typer.Exit(2) from None
    frames = {
        "sites": result.sites,
        "bonds": result.bonds,
        "hbonds": result.hbonds,
        "cell": result.structures,
        "pairing": result.pairing,
        "unpaired": result.unpaired,
        "table_s1": result.table,
        "legend": result.legend,
        "contacts": result.contacts,
    }
    if link is not None:
        frames["magnetism"] = link
    if tables is not None:
        try:
            _write_tables(tables, frames)
        except InputError as exc:
            error(str(exc))
            raise typer.Exit(2) from None
    if fmt == Format.csv:
        emit(result.sites.reindex(columns=SITE_COLUMNS), fmt, out)
    elif fmt == Format.json:
        payload = {
            name: json.loads(frame.to_json(orient="records")) for name, frame in frames.items()
        }
        emit(json.dumps(payload, indent=2) + "\n", fmt, out)
    elif fmt in (Format.docx, Format.latex):
        headers = ", ".join(c for c in result.table.columns if c not in ("metal", "kind", "label"))
        caption = f"Table S1. Bond lengths (Å) and angles (°) at {headers} around"
        docs = series_doc_tables(result.table, result.legend, caption, codes.value)
        for title, frame, view, names in _views(result, link):
            if title.startswith("Changes") or title.startswith("Cell"):
                shown = readable(frame, view, names=names)
                numeric = tuple(view[c] is not None for c in view if c in frame.columns)
                doc = frame_doc_table(title, shown)
                docs.append(replace(doc, numeric=numeric))
        emit(docs, fmt, out)
    else:
        md = fmt == Format.markdown
        parts = [series_text(result.table, result.legend, markdown=md, codes=codes.value)]
        for _, frame, view, names in _views(result, link):
            parts.append(render(readable(frame, view, names=names), fmt.value))
        emit("\n".join(parts), fmt, out)
    failures.exit_if_any()


def _views(result, link) -> list[tuple[str, pd.DataFrame, dict, dict]]:
    """The tables of compare's table view, each ``(title, frame, view, names)``: per-site
    changes, cell parameters, H-bond changes, contacts that changed, the magnetism link."""
    out = []
    if not result.sites.empty:
        out.append(
            (
                "Changes of the metal sites between consecutive structures "
                "(significance in combined su's).",
                result.sites,
                SITE_VIEW,
                SITE_NAMES,
            )
        )
    out.append(("Cell parameters.", result.structures, CELL_VIEW, CELL_NAMES))
    if not result.hbonds.empty:
        out.append(("Hydrogen bonds.", result.hbonds, HBOND_VIEW, {}))
    changed = result.contacts[result.contacts["status"] != "unchanged"]
    if len(changed):
        out.append(("Contacts that changed.", changed, CONTACT_VIEW, {}))
    if link is not None:
        out.append(("Structural and magnetic γHS.", link, LINK_VIEW, {}))
    return out


@app.command("graph")
def graph_command(
    files: CifArgument,
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Output FILE.graphml or FILE.json (node-link)."),
    ],
    block: BlockOption = None,
    fmt: FormatOption = Format.table,
    tolerance: ToleranceOption = DEFAULT_TOLERANCE,
) -> None:
    """Export the structure graph (atoms, covalent/coordination/H-bond edges) of CIFs.

    One structure gives FILE; several (data blocks of one or more CIFs) give one file each,
    FILE_<block>.graphml (FILE_<cif name>_<block>.graphml when two CIFs share a block
    name), beside FILE. The molecules of each structure are listed on stdout.
    """
    import pandas as pd

    from coordgeo.graph import GRAPH_SUFFIXES, molecules, structure_graph, write_graph

    if out.suffix.lower() not in GRAPH_SUFFIXES:
        error(f"{out}: graph file must end in {' or '.join(GRAPH_SUFFIXES)}")
        raise typer.Exit(2)
    failures = Failures()
    structures = load(files, block, failures)
    frames = []
    for s, path in zip(structures, per_structure_paths(out, structures), strict=True):
        g = structure_graph(s, tolerance=tolerance)
        try:
            write_graph(g, path)
        except InputError as exc:
            failures.add(exc)
            continue
        m = molecules(g).drop(columns=["nodes"])
        m.insert(0, "block", s.block)
        m.insert(1, "file", str(path))
        frames.append(m)
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    emit(table, fmt, view=True)
    failures.exit_if_any()
