"""``coordgeo validate``: an SI table against the CIF(s) it was made from, or on its own."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from coordgeo.cli.app import BlockOption, Failures, Format, FormatOption, app, emit, error, warn
from coordgeo.errors import InputError
from coordgeo.esd import decimals_of, format_su

if TYPE_CHECKING:  # the SI-table readers and pandas load inside the command (start-up time)
    import pandas as pd

    from coordgeo.io.sitables import SITable
    from coordgeo.sitables import ColumnMatch

TableArgument = Annotated[
    Path,
    typer.Argument(
        help="SI document as text or markdown (tab-separated or pipe tables).",
        metavar="TABLE",
        show_default=False,
    ),
]
CifsOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--cif",
        help="CIF of the structure; repeat for one per column. Columns are matched to "
        "data blocks by temperature, else in the order given.",
        metavar="FILE",
        show_default=False,
    ),
]
ColumnOption = Annotated[
    list[str] | None,
    typer.Option(
        "--column",
        "-c",
        metavar="NAME[=FILE[:BLOCK]]",
        help="Only this column: its header (100K) or temperature; repeatable. "
        "NAME=FILE[:BLOCK] also says which CIF (and data block) the column is checked "
        "against, e.g. --column '100 K'=cores.cif:compound2_100K.",
        show_default=False,
    ),
]
TableOption = Annotated[
    str | None,
    typer.Option("--table", metavar="NAME", help="Only this table: S1, 'Table S1' or 'line 13'."),
]


@app.command("validate")
def validate_command(
    document: TableArgument,
    cifs: CifsOption = None,
    column: ColumnOption = None,
    block: BlockOption = None,
    table: TableOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Recompute every number of an SI table from its CIF(s); without --cif, check it alone.

    Each row and column gets: ok, mismatch, code-invalid (a legend operator
    the space group lacks, with the operator to use instead), not-a-contact,
    unknown-atom, no-structure or not-checked.

    Without a CIF: legend operators, labels, duplicates, angles around each
    metal, H-bond triangles, T½ = ΔH/ΔS and the core reconstruction.

    Columns go with CIF data blocks by temperature and compound (the labels the
    table names), else in the order given; --column NAME=FILE[:BLOCK] says it.

    Exit status: 0 when every row is ok, 1 when any is not, 2 when an input
    cannot be read.
    """
    from coordgeo.io.sitables import read_si_tables
    from coordgeo.sitables import select_columns, select_tables

    if fmt in (Format.docx, Format.latex):  # they printed the text table without a word
        error(f"validate prints table, markdown, csv or json, not --format {fmt.value}")
        raise typer.Exit(2)
    names = [c.split("=", 1)[0].strip() for c in column or []] or None
    try:
        tables = read_si_tables(document)
        if not tables:
            raise InputError("no tables found", path=str(document))
        tables = select_tables(tables, table)
        for name in names or []:
            if not any(select_columns(t, name) for t in tables):
                columns = sorted({c for t in tables for c in t.columns})
                raise InputError(
                    f"no table has a column {name!r} (columns: {', '.join(columns)})",
                    path=str(document),
                )
    except InputError as exc:
        error(str(exc))
        raise typer.Exit(2) from None

    named_specs = [c for c in column or [] if "=" in c]
    if not cifs and not named_specs:
        _without_cif(tables, names, fmt)
    else:
        _with_cifs(tables, cifs or [], names, named_specs, block, fmt)


def _named_structures(specs: Sequence[str], failures: Failures) -> dict:
    """``--column NAME=FILE[:BLOCK]`` → {NAME: structure}. A file with several blocks
    needs its block named; a block or file that cannot be read is a failure (exit 2)."""
    from coordgeo.cli.app import read_structures

    named = {}
    for spec in specs:
        name, _, target = (part.strip() for part in spec.partition("="))
        path, block = target, None
        if ":" in target and not os.path.exists(target):  # False for a name too long
            path, _, block = target.rpartition(":")
            block = block.removeprefix("data_") or None
        found, errors = read_structures([path], block)
        for exc in errors:
            failures.add(exc)
        if errors:
            continue
        if len(found) != 1:
            blocks = ", ".join(s.block for s in found) or "none"
            failures.add(
                InputError(
                    f"--column {name}={target}: {len(found)} data blocks ({blocks}); "
                    f"name one as FILE:BLOCK",
                    path=path,
                )
            )
            continue
        named[name] = found[0]
    return named


def _with_cifs(
    tables: Sequence[SITable],
    cifs: list[Path],
    column: list[str] | None,
    named_specs: Sequence[str],
    block: str | None,
    fmt: Format,
) -> None:
    """Every geometry and H-bond table against the structures of the CIFs (and those
    ``--column NAME=FILE[:BLOCK]`` names)."""
    import pandas as pd

    from coordgeo.cli.app import load
    from coordgeo.sitables import (
        COLUMNS,
        EXTRA_COLUMNS,
        failed,
        match_columns,
        select_columns,
        validate_matches,
    )

    failures = Failures()
    structures = load(cifs, block, failures) if cifs else []
    named = _named_structures(named_specs, failures)
    failures.exit_if_any()  # a missing block or file would shift the column mapping
    if cifs and not structures:
        error(f"{', '.join(str(c) for c in cifs)}: no structure to validate against")
        raise typer.Exit(2)

    frames: list[pd.DataFrame] = []
    groups: list[tuple[SITable, ColumnMatch, pd.DataFrame]] = []
    for t in tables:
        if t.kind not in ("geometry", "hbond"):
            warn(
                f"{t.name} ({t.kind}) names no atoms: not validated against the CIF "
                "(run without --cif for its own checks)"
            )
            continue
        if column is not None and not any(select_columns(t, c) for c in column):
            continue
        matches = match_columns(t, structures, column, named)
        result = validate_matches(t, matches)
        frames.append(result)
        for match in matches:
            if match.structure is None:
                warn(f"{t.name}, column {match.column}: {match.how}")
            elif "temperatures differ" in match.how:
                warn(f"{t.name}, column {match.column}: {match.how.partition('; ')[2]}")
            groups.append((t, match, result[result["column"] == match.column]))
    frames = [f for f in frames if len(f)]
    result = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=COLUMNS + EXTRA_COLUMNS)
    )
    if fmt == Format.csv:
        emit(result[COLUMNS], fmt)  # the contract's nine columns; json carries the rest
    elif fmt == Format.json:
        emit(result, fmt)
    else:
        emit(_readable(groups, fmt))
    _summary(result, len({t.name for t, _, _ in groups}))
    if failed(result) or not len(result):
        raise typer.Exit(1)


def _without_cif(tables: Sequence[SITable], column: list[str] | None, fmt: Format) -> None:
    from coordgeo.sitables import FINDING_COLUMNS, check_tables, failed, select_columns

    findings = check_tables(tables)
    if column is not None:
        keep = {c for t in tables for name in column for c in select_columns(t, name)}
        findings = findings[findings["column"].isin(keep) | (findings["column"] == "")]
    if fmt in (Format.csv, Format.json):
        emit(findings[FINDING_COLUMNS], fmt)
    else:
        out = []
        for t in tables:
            mine = findings[findings["table"] == t.name]
            if not len(mine):
                continue
            where = f"{Path(t.source).name}, lines {t.first_line}–{t.last_line}" if t.source else ""
            title = f"{t.name} ({t.kind}{'; ' + where if where else ''}), without a CIF"
            shown = mine.assign(row=mine["row"].map(_integer))[
                ["check", "subject", "column", "row", "status", "note"]
            ]
            out.append(_section(title, shown, fmt))
        emit("".join(out))
    counts = findings["status"].value_counts()
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    typer.echo(f"coordgeo validate: {len(findings)} findings (no CIF): {summary}", err=True)
    if failed(findings):
        raise typer.Exit(1)


def _integer(value) -> str:
    import pandas as pd

    return "" if value is None or pd.isna(value) else str(int(value))


def _readable(groups: list[tuple[SITable, ColumnMatch, pd.DataFrame]], fmt: Format) -> str:
    """One section per table and column, headed by the structure it was matched to."""
    import pandas as pd

    out = []
    for t, match, rows in groups:
        if match.structure is None:
            title = f"{t.name}, column {match.column}: not validated, {match.how}"
            out.append(f"{title}\n\n" if fmt == Format.table else f"**{title}**\n\n")
            continue
        s = match.structure
        at = f" ({s.temperature:g} K)" if s.temperature is not None else ""
        title = (
            f"{t.name}, column {match.column} ← {Path(s.path).name} data_{s.block}{at}, "
            f"matched {match.how}"
        )
        shown = pd.DataFrame(
            {
                "row": rows["row"].astype(int),
                "label": rows["label"],
                "published": rows["text"],
                "calculated": [
                    _calculated(c, su, text)
                    for c, su, text in zip(
                        rows["calculated"], rows["calculated_su"], rows["text"], strict=True
                    )
                ],
                "z": [f"{z:+.1f}" if math.isfinite(z) else "" for z in rows["z"]],
                "status": rows["status"],
                "note": rows["note"],
            }
        )
        out.append(_section(title, shown, fmt))
    return "".join(out)


def _calculated(value: float, su: float, printed: str) -> str:
    if not math.isfinite(value):
        return ""
    return format_su(value, su, decimals_of(printed) + 1)


def _section(title: str, frame: pd.DataFrame, fmt: Format) -> str:
    if fmt == Format.markdown:
        # the cells are formatted already: tabulate must not turn "+0.0" into "0"
        return f"**{title}**\n\n{frame.to_markdown(index=False, disable_numparse=True)}\n\n"
    return f"{title}\n{_aligned(frame)}\n"


def _aligned(frame: pd.DataFrame) -> str:
    """Plain text columns: numbers right-aligned, text left-aligned, the last column free."""
    columns = list(frame.columns)
    cells = [[str(v) for v in frame[c]] for c in columns]
    widths = [max([len(c)] + [len(v) for v in col]) for c, col in zip(columns, cells, strict=True)]
    right = {"row", "published", "calculated", "z"}

    def line(values: list[str]) -> str:
        parts = []
        for k, (name, value) in enumerate(zip(columns, values, strict=True)):
            if k == len(columns) - 1:
                parts.append(value)
            elif name in right:
                parts.append(value.rjust(widths[k]))
            else:
                parts.append(value.ljust(widths[k]))
        return "  ".join(parts).rstrip()

    lines = [line(columns)]
    lines += [line([col[r] for col in cells]) for r in range(len(frame))]
    return "\n".join(lines) + "\n"


def _summary(result: pd.DataFrame, n_tables: int) -> None:
    from coordgeo.sitables import STATUSES

    counts = result["status"].value_counts().to_dict() if len(result) else {}
    parts = [f"{counts[s]} {s}" for s in STATUSES if counts.get(s)]
    typer.echo(
        f"coordgeo validate: {len(result)} values in {n_tables} table(s): "
        + (", ".join(parts) or "nothing validated"),
        err=True,
    )
