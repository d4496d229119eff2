"""Validating a published SI table against the CIF(s) it was made from.

Every distance, angle, torsion and H-bond number of a table read by
:func:`coordgeo.io.sitables.read_si_tables` is mapped onto a structure
(:mod:`coordgeo.sitables.resolve`: labels, legend codes, lattice translations that make
the contact) and recomputed with its su (:func:`coordgeo.geometry.measure`). Which
structure goes with which value column is decided by
:func:`coordgeo.sitables.columns.match_columns`.

Statuses, one per table row and value column:

``ok``
    the recomputed value agrees with the published one by the rule of
    :mod:`coordgeo.check`: |calc − pub| ≤ 2·su(pub) + half a unit of the last
    printed digit + the effect of rounded coordinates (riding H); rows printed
    without su get 2·su(calc) instead of 2·su(pub).
``mismatch``
    the atoms and codes resolve, but the value does not follow from the
    coordinates; the note gives the difference in su's and likely causes.
``code-invalid``
    a legend operator is not an operation of the structure's space group
    (or cannot be read). The note says why (from
    :func:`coordgeo.sitables.operators.check_operator` when it is no crystallographic
    operation at all) and ``suggestion`` gives the operator of the space group
    with the same rotation whose translation makes the contact, written in the
    legend's own style; ``calculated`` is the value with that operator.
``not-a-contact``
    the atoms exist and the code is an operation of the group, but as printed it does
    not bring the atom into contact with its partner; ``calculated`` is the value the
    printed code gives. When another lattice translation of the same operator makes the
    contact (a legend entry off by a lattice vector, ``x-2`` for ``x-1``), the note
    names it and ``suggestion`` holds that operator in the legend's style.
``unknown-atom``
    a label names no site of the structure under any reading.
``no-structure``
    no structure was matched to the row's column (see
    :func:`coordgeo.sitables.columns.match_columns`).
``not-checked``
    the row names no atoms (an average, a Σ, a thermodynamic value): nothing to
    recompute. It does not count against the table.

:func:`validate_table` gives one row per table row and value column with the
columns :data:`COLUMNS` followed by :data:`EXTRA_COLUMNS`. Without a CIF,
:func:`check_tables` gathers what the table alone can be checked for
(:func:`coordgeo.sitables.selfcheck.check_table`, with every row of the core
reconstruction).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coordgeo.check import judge, rounding_effect
from coordgeo.esd import decimals_of, format_su
from coordgeo.geometry import measure
from coordgeo.io.sitables import SITable, read_si_tables, split_label
from coordgeo.model import Structure
from coordgeo.sitables.columns import ColumnMatch, match_columns, select_columns, select_tables
from coordgeo.sitables.labels import resolve_atom
from coordgeo.sitables.reconstruct import check_reconstruction, reconstruct_cores
from coordgeo.sitables.resolve import Combo, RowResolver
from coordgeo.sitables.selfcheck import check_table
from coordgeo.symmetry import format_code

__all__ = [
    "COLUMNS",
    "EXTRA_COLUMNS",
    "FAILING",
    "FINDINGS_FAILING",
    "FINDING_COLUMNS",
    "STATUSES",
    "check_tables",
    "failed",
    "validate_document",
    "validate_matches",
    "validate_table",
]

COLUMNS = [
    "row",
    "label",
    "column",
    "published",
    "published_su",
    "calculated",
    "calculated_su",
    "status",
    "note",
]
#: After :data:`COLUMNS`: the table, the data block, what was measured, the atoms and
#: codes used (CIF labels; n_klm), z = (calc − pub)/√(su_pub² + su_calc²), the operator
#: suggested for a ``code-invalid`` row, and the printed cell and its line.
EXTRA_COLUMNS = [
    "table",
    "block",
    "quantity",
    "atoms",
    "symmetry_codes",
    "z",
    "suggestion",
    "text",
    "line",
]
STATUSES = (
    "ok",
    "mismatch",
    "code-invalid",
    "not-a-contact",
    "unknown-atom",
    "no-structure",
    "not-checked",
)
#: Statuses that make ``coordgeo validate`` exit with 1.
FAILING = frozenset({"mismatch", "code-invalid", "not-a-contact", "unknown-atom", "no-structure"})
#: Columns of :func:`check_tables` (the table-only checks).
FINDING_COLUMNS = ["table", "check", "subject", "column", "row", "status", "note"]
#: Statuses of :func:`check_tables` that make ``coordgeo validate`` (without a CIF) exit 1.
FINDINGS_FAILING = frozenset({"invalid", "inconsistent"})

_RANK = {s: k for k, s in enumerate(STATUSES)}


@dataclass(frozen=True)
class _Unresolved:
    status: str
    note: str


@dataclass
class _Row:
    """One printed value and its readings, or why it has none."""

    printed: Any  # a row of SITable.rows (itertuples)
    combos: list[Combo] | _Unresolved


# =========================================================================== tables


def validate_table(
    table: SITable,
    structures: Mapping[str, Structure] | Structure | Sequence[Structure],
    column: str | Sequence[str] | None = None,
    named: Mapping[str, Structure] | None = None,
) -> pd.DataFrame:
    """Every number of ``table`` recomputed from the structure of its column.

    ``structures``: one structure, several (paired with the columns by temperature and
    compound, else in order, see :func:`coordgeo.sitables.columns.match_columns`), or a
    mapping column → structure. ``column`` restricts the validation to some columns
    (``100 K``, ``100K`` or ``100``; one name or several); ``named`` gives the structure
    of some columns outright (``{"100 K": core}``), the others being matched among
    ``structures``. Returns one row per table row and value column, columns
    :data:`COLUMNS` + :data:`EXTRA_COLUMNS`, column after column; statuses as in the
    module docstring.
    """
    return validate_matches(table, match_columns(table, structures, column, named))


def validate_matches(table: SITable, matches: Sequence[ColumnMatch]) -> pd.DataFrame:
    """:func:`validate_table` for columns already matched to structures
    (:func:`coordgeo.sitables.columns.match_columns`). A column matched although its
    temperature and the structure's differ carries that in every row's note."""
    records: list[dict] = []
    for match in matches:
        rows = table.rows[table.rows["column"] == match.column]
        if match.structure is None:
            records.extend(_no_structure_records(table, rows, match))
            continue
        found = _validate_rows(table, rows, match.structure)
        _, _, differ = match.how.partition("; temperatures differ: ")
        for record in found if differ else ():
            record["note"] = "; ".join(
                n for n in (f"temperatures differ: {differ}", record["note"]) if n
            )
        records.extend(found)
    frame = pd.DataFrame.from_records(records, columns=COLUMNS + EXTRA_COLUMNS)
    return frame.astype({"published": float, "calculated": float, "z": float})


def _no_structure_records(table: SITable, rows: pd.DataFrame, match: ColumnMatch) -> list[dict]:
    return [
        _record(table, r, status="no-structure", note=f"column {match.column}: {match.how}")
        for r in rows.itertuples()
    ]


def _record(table: SITable, r: Any, **values: Any) -> dict:
    """One output row for the printed value ``r``, with ``values`` filled in."""
    base = {
        "row": int(r.row),
        "label": r.label,
        "column": r.column,
        "published": float(r.published),
        "published_su": float(r.published_su),
        "calculated": math.nan,
        "calculated_su": math.nan,
        "status": "",
        "note": "",
        "table": table.name,
        "block": "",
        "quantity": r.quantity,
        "atoms": "",
        "symmetry_codes": "",
        "z": math.nan,
        "suggestion": "",
        "text": r.text,
        "line": int(r.line),
    }
    return base | values


def _validate_rows(table: SITable, rows: pd.DataFrame, structure: Structure) -> list[dict]:
    """Resolve, measure and judge the printed values of one column against a structure."""
    resolver = RowResolver(structure, table)
    prepared = [_prepare(resolver, r) for r in rows.itertuples()]
    resolved = [(p, c, combo) for p, row in enumerate(prepared) for c, combo in _combos(row)]
    _choose_options(structure, prepared, resolved)
    chosen = [(p, c, combo) for p, c, combo in resolved if combo.best is not None]
    rounding = dict(zip([(p, c) for p, c, _ in chosen], _rounding(structure, chosen), strict=True))
    records = []
    for p, row in enumerate(prepared):
        r = row.printed
        if isinstance(row.combos, _Unresolved):
            status, note = row.combos.status, row.combos.note
            records.append(_record(table, r, status=status, block=structure.block, note=note))
            continue
        for c, combo in enumerate(row.combos):
            if combo.status is None and combo.best is not None:
                _judge(structure, r, combo, rounding[(p, c)])
        best = min(
            row.combos,
            key=lambda cb: (
                _RANK[cb.status or "mismatch"],
                cb.rank,
                abs(cb.best[1] - float(r.published)) if cb.best else math.inf,
            ),
        )
        records.append(_finish(resolver, table, r, best))
    return records


def _prepare(resolver: RowResolver, r: Any) -> _Row:
    """A printed value with its readings, or why there are none (no atoms named; an
    unknown label)."""
    if r.kind not in ("distance", "angle", "torsion") or not r.atoms:
        r = _labels_of_the_structure(resolver, r)
        if isinstance(r, _Row):
            return r
    combos = resolver.combos(r)
    return _Row(r, _Unresolved("unknown-atom", combos) if isinstance(combos, str) else combos)


_GEOMETRIC = {2: "distance", 3: "angle", 4: "torsion"}


def _labels_of_the_structure(resolver: RowResolver, r: Any) -> Any:
    """A row of a geometry table whose label the reader could not read as atoms
    (``Ow-Cu1`` with a site labelled ``Ow``): looked up token by token among the
    structure's labels first. Every token a site: the row, now naming those atoms; some
    tokens sites: ``unknown-atom`` naming the others; none: ``not-checked``."""
    nothing = _Row(r, _Unresolved("not-checked", "names no atoms: nothing to recompute"))
    if resolver.table.kind != "geometry" or r.kind != "value":
        return nothing
    tokens = split_label(r.label)
    if len(tokens) not in _GEOMETRIC:
        return nothing
    found = [resolve_atom(resolver.s, token.strip("()")) for token in tokens]
    if not any(f.resolved for f in found):
        return nothing
    missing = [f for f in found if not f.resolved]
    if missing:
        why = "; ".join(f.unresolved_note() for f in missing)
        return _Row(r, _Unresolved("unknown-atom", f"no atom in data_{resolver.s.block}: {why}"))
    kind = _GEOMETRIC[len(tokens)]
    labels = tuple(f.label for f in found)
    return r._replace(
        kind=kind,
        quantity=kind,
        atoms=labels,
        codes=("",) * len(labels),
        candidates=tuple(((label, ""),) for label in labels),
        tokens=tuple(tokens),
    )


def _combos(row: _Row) -> list[tuple[int, Combo]]:
    return [] if isinstance(row.combos, _Unresolved) else list(enumerate(row.combos))


def _choose_options(
    structure: Structure, prepared: Sequence[_Row], resolved: Sequence[tuple[int, int, Combo]]
) -> None:
    """Measure every image option of every reading (one call per number of atoms) and
    keep, per reading, the option nearest the published value in ``combo.best``."""
    by_size: dict[int, list[tuple[int, int]]] = {}
    for k, (_, _, combo) in enumerate(resolved):
        for o, option in enumerate(combo.options):
            by_size.setdefault(len(option), []).append((k, o))
    values: dict[tuple[int, int], tuple[float, float]] = {}
    for group in by_size.values():
        options = [(resolved[k][2], resolved[k][2].options[o]) for k, o in group]
        value, su = _measure(structure, options)
        for key, v, s in zip(group, value, su, strict=True):
            values[key] = (v, s)
    for k, (p, _, combo) in enumerate(resolved):
        if not combo.options:
            continue
        r = prepared[p].printed
        scored = []
        for o, option in enumerate(combo.options):
            value = _unwrap(r, values[k, o][0])
            scored.append((abs(value - float(r.published)), o, value, values[k, o][1], option))
        _, _, value, su, option = min(scored, key=lambda item: item[:2])
        combo.best = (option, value, su)


def _measure(structure: Structure, options: Sequence[tuple[Combo, tuple]]) -> tuple[list, list]:
    """Values and su's of (reading, image option) pairs with the same number of atoms."""
    sites = np.array([[rd.site for rd in combo.readings] for combo, _ in options])
    ops = np.array([[code.op for code in option] for _, option in options])
    shifts = np.array([[code.shift for code in option] for _, option in options], dtype=float)
    value, su = measure(structure, sites, ops, shifts)
    return value.tolist(), su.tolist()


def _rounding(structure: Structure, chosen: Sequence[tuple[int, int, Combo]]) -> list[float]:
    """The effect of rounded coordinates on each chosen option's value, in order."""
    by_size: dict[int, list[int]] = {}
    for k, (_, _, combo) in enumerate(chosen):
        by_size.setdefault(len(combo.readings), []).append(k)
    effect = [0.0] * len(chosen)
    for group in by_size.values():
        combos = [chosen[k][2] for k in group]
        sites = np.array([[rd.site for rd in combo.readings] for combo in combos])
        ops = np.array([[code.op for code in combo.best[0]] for combo in combos])  # type: ignore[index]
        shifts = np.array([[code.shift for code in combo.best[0]] for combo in combos], float)  # type: ignore[index]
        for k, value in zip(group, rounding_effect(structure, sites, ops, shifts), strict=True):
            effect[k] = float(value)
    return effect


def _judge(structure: Structure, r: Any, combo: Combo, rounding: float) -> None:
    """ok or mismatch for a measured reading, by :func:`coordgeo.check.judge`."""
    assert combo.best is not None
    _, value, su = combo.best
    combo.judged = judge(
        structure,
        "torsion" if r.kind == "torsion" else "bond",
        r.text,
        [rd.site for rd in combo.readings],
        float(r.published),
        float(r.published_su),
        value,
        su,
        rounding,
    )
    combo.status = combo.judged[0]


def _unwrap(row: Any, value: float) -> float:
    """A torsion of −179° is +181°: the one nearest the published value."""
    if row.kind == "torsion" and abs(value - float(row.published)) > 180:
        value -= 360.0 * math.copysign(1.0, value - float(row.published))
    return value


def _finish(resolver: RowResolver, table: SITable, r: Any, combo: Combo) -> dict:
    """The output row of the best reading of a printed value."""
    s = resolver.s
    status = combo.status or "mismatch"
    notes = list(dict.fromkeys(n for n in combo.notes if n))
    for position, reading in enumerate(combo.readings):
        if reading.rank > 0:
            first = r.candidates[position][0]
            was = f"{first[0]} with code {first[1]}" if first[1] else first[0]
            now = f"{reading.label} with code {reading.key}" if reading.key else reading.label
            notes.insert(0, f"read as {now}, not {was}")
    calculated = calculated_su = z = math.nan
    codes = ""
    if combo.best is not None:
        option, calculated, calculated_su = combo.best
        codes = " ".join(format_code(code, s) for code in option)
        pub_su = float(r.published_su) if r.published_su > 0 else 0.0
        scale = math.hypot(pub_su, calculated_su)
        if scale > 0 and status != "not-a-contact":  # no z for a pair that is not one
            z = (calculated - float(r.published)) / scale
    if status in ("ok", "mismatch") and combo.judged[1]:
        notes.append(combo.judged[1])
    lost = status == "not-a-contact" and not combo.suggestion  # no translation helps
    if (status == "mismatch" or lost) and r.kind == "distance":
        hint = resolver.at_distance(r, [rd.site for rd in combo.readings])
        if hint:
            notes.append(hint)
    if status == "not-a-contact" and combo.best is not None:
        notes.append(f"the printed code gives {format_su(calculated, calculated_su)}")
    return _record(
        table,
        r,
        calculated=calculated,
        calculated_su=calculated_su,
        status=status,
        note="; ".join(notes),
        block=s.block,
        atoms="-".join(s.labels[rd.site] for rd in combo.readings),
        symmetry_codes=codes,
        z=z,
        suggestion=combo.suggestion if status in ("code-invalid", "not-a-contact") else "",
    )


# =========================================================================== documents


def _tables_of(source: str | Path | SITable | Iterable[SITable]) -> list[SITable]:
    if isinstance(source, SITable):
        return [source]
    if isinstance(source, str | Path):
        return read_si_tables(source)
    return list(source)


def validate_document(
    source: str | Path | SITable | Iterable[SITable],
    structures: Mapping[str, Structure] | Structure | Sequence[Structure],
    *,
    column: str | Sequence[str] | None = None,
    table: str | None = None,
    named: Mapping[str, Structure] | None = None,
) -> pd.DataFrame:
    """:func:`validate_table` for every geometry and H-bond table of a document.

    ``table`` picks one table (``S1``); ``column`` some columns, in the tables that have
    them; ``named`` the structures of some columns (:func:`validate_table`). Tables of
    other kinds (thermodynamic, CV) name no atoms and are left out.
    """
    tables = select_tables(_tables_of(source), table)
    frames = []
    for t in tables:
        if t.kind not in ("geometry", "hbond"):
            continue
        if column is not None and not _has_columns(t, column):
            continue
        frames.append(validate_table(t, structures, column, named))
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=COLUMNS + EXTRA_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def _has_columns(table: SITable, column: str | Sequence[str]) -> bool:
    names = [column] if isinstance(column, str) else column
    return any(select_columns(table, name) for name in names)


def check_tables(source: str | Path | SITable | Iterable[SITable]) -> pd.DataFrame:
    """What the tables alone can be checked for, without a CIF.

    :func:`coordgeo.sitables.selfcheck.check_table` for each table (legend operators,
    labels, duplicates, coordination angles, H-bond triangles, T½ = ΔH/ΔS, core
    reconstruction), followed by every distance and angle row of the reconstruction
    (:func:`coordgeo.sitables.reconstruct.check_reconstruction`) with its status: ``ok``
    within 2 su of the reconstructed core, ``warning`` 2–3 su, ``inconsistent`` beyond, or
    ``not-reconstructed`` and why. Columns :data:`FINDING_COLUMNS`.
    """
    frames = []
    for t in _tables_of(source):
        fits = reconstruct_cores(t)  # fitted once for both the summary and the rows
        found = check_table(t, fits)
        frames.append(found[found["check"] != "reconstruction row"].assign(row=pd.NA))
        if t.kind == "geometry":
            frames.append(_reconstruction_findings(t, check_reconstruction(t, fits)))
    frames = [f[FINDING_COLUMNS] for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def _reconstruction_findings(table: SITable, rows: pd.DataFrame) -> pd.DataFrame:
    """The reconstruction's rows as findings, the note led by the printed and the
    reconstructed value (one more decimal than printed)."""
    notes = [
        (
            f"printed {text}, reconstructed {calc:.{decimals_of(text) + 1}f}: {note}"
            if math.isfinite(calc)
            else note
        )
        for text, calc, note in zip(
            table.rows.loc[rows.index, "text"], rows["calculated"], rows["note"], strict=True
        )
    ]
    return pd.DataFrame(
        {
            "table": table.name,
            "check": "reconstruction row",
            "subject": rows["label"],
            "column": rows["column"],
            "row": rows["row"],
            "status": rows["status"],
            "note": notes,
        }
    )


def failed(frame: pd.DataFrame) -> bool:
    """Whether a :func:`validate_table` or :func:`check_tables` frame has rows that are not ok."""
    failing = FINDINGS_FAILING if "check" in frame.columns else FAILING
    return bool(frame["status"].isin(failing).any())
