"""Which tables and value columns a user means, and which structure each column is
validated against (:func:`match_columns`)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from coordgeo.errors import InputError
from coordgeo.io.sitables import SITable
from coordgeo.model import Structure

__all__ = [
    "TEMPERATURE_TOLERANCE",
    "ColumnMatch",
    "match_columns",
    "select_columns",
    "select_tables",
]

TEMPERATURE_TOLERANCE = 10.0  # K between a column header and a CIF's temperature


@dataclass(frozen=True, eq=False)
class ColumnMatch:
    """Which structure a value column is validated against, and how that was decided.

    ``structure`` is None when none matches; ``how`` then says why.
    """

    column: str
    temperature: float | None
    structure: Structure | None
    how: str


def _column_key(text: str) -> str:
    return re.sub(r"\s+", "", str(text)).casefold()


def _temperature_of(text: str) -> float | None:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*K?\s*", str(text), re.IGNORECASE)
    return float(match.group(1)) if match else None


def select_columns(table: SITable, column: str) -> list[str]:
    """The table's value columns meant by ``column``: the one of that name (``100K`` ≡
    ``100 K``), else every column at that temperature (``148`` or ``148 K`` picks all four
    columns of an H-bond table measured at 148 K). [] when none."""
    for name in table.columns:
        if _column_key(name) == _column_key(column):
            return [name]
    wanted = _temperature_of(column)
    if wanted is None:
        return []
    return [
        name
        for name, temperature in zip(table.columns, table.temperatures, strict=True)
        if temperature is not None and abs(temperature - wanted) < 1e-6
    ]


def _data_sets(table: SITable) -> dict[str, tuple]:
    """Column → the data set it belongs to: columns at one temperature are one data set
    (the D–H, H···A, D···A and angle columns of an H-bond table; the two side-by-side
    groups of a table); so are all the columns of an H-bond table without temperatures."""
    out = {}
    for name, temperature in zip(table.columns, table.temperatures, strict=True):
        if temperature is not None:
            out[name] = ("T", temperature)
        elif table.kind == "hbond":
            out[name] = ("hbond",)
        else:
            out[name] = ("column", name)
    return out


def _describe(structure: Structure) -> str:
    """``file.cif data_block (100 K)``."""
    where = f"{Path(structure.path).name} data_{structure.block}" if structure.path else ""
    where = where or f"data_{structure.block}"
    if structure.temperature is not None:
        where += f" ({structure.temperature:g} K)"
    return where


def match_columns(
    table: SITable,
    structures: Mapping[str, Structure] | Structure | Sequence[Structure],
    column: str | None = None,
) -> list[ColumnMatch]:
    """Map the table's value columns (only those ``column`` names, see
    :func:`select_columns`) onto structures.

    * A mapping names the structure of each column (keys are column names such as
      ``100 K``/``100K``, or temperatures).
    * Otherwise the columns' data sets (the columns at one temperature) and the
      structures are paired by temperature first (the column header's or caption's
      against ``_diffrn_ambient_temperature``, nearest first, within
      :data:`TEMPERATURE_TOLERANCE`), so every block of a multi-block CIF goes to the
      columns of its temperature. The data sets and structures left over are paired in
      the order given (``--cif A --cif B`` in column order) when there are as many of
      each; else one structure left over goes to the data set asked for with ``column``,
      or to every data set when none gives a temperature. A pair whose temperatures
      are both known and differ is never made.
    """
    wanted = list(table.columns)
    if column is not None:
        wanted = select_columns(table, column)
        if not wanted:
            raise InputError(
                f"{table.name} has no column {column!r} (columns: {', '.join(table.columns)})",
                path=table.source,
            )
    temperature = dict(zip(table.columns, table.temperatures, strict=True))
    if isinstance(structures, Mapping):
        return [_named_match(name, temperature[name], structures) for name in wanted]

    given = [structures] if isinstance(structures, Structure) else list(structures)
    data_set = _data_sets(table)
    paired, left = _pair_data_sets(
        list(dict.fromkeys(data_set.values())),  # in column order
        given,
        {data_set[c] for c in wanted},
        asked=column is not None,
    )
    matches = []
    for name in wanted:
        d = data_set[name]
        if d in paired:
            structure, how = paired[d]
            matches.append(ColumnMatch(name, temperature[name], structure, how))
        else:
            why = _why_unmatched(temperature[name], d, given, left)
            matches.append(ColumnMatch(name, temperature[name], None, why))
    return matches


def _named_match(
    name: str, temperature: float | None, structures: Mapping[str, Structure]
) -> ColumnMatch:
    """The structure a mapping gives a column: by its name (``100K`` ≡ ``100 K``) or
    its temperature."""
    for key, structure in structures.items():
        t_key = _temperature_of(key)
        same_t = t_key is not None and temperature is not None and abs(t_key - temperature) < 1e-6
        if _column_key(key) == _column_key(name) or same_t:
            return ColumnMatch(name, temperature, structure, "named")
    return ColumnMatch(name, temperature, None, "no structure was given for this column")


def _set_temperature(data_set: tuple) -> float | None:
    return data_set[1] if data_set[0] == "T" else None


def _compatible(data_set: tuple, structure: Structure) -> bool:
    """Whether a data set and a structure may be paired: not both temperatures known and
    further apart than :data:`TEMPERATURE_TOLERANCE`."""
    t, u = _set_temperature(data_set), structure.temperature
    return t is None or u is None or abs(t - u) <= TEMPERATURE_TOLERANCE


def _pair_data_sets(
    sets: Sequence[tuple], given: Sequence[Structure], wanted: set[tuple], *, asked: bool
) -> tuple[dict[tuple, tuple[Structure, str]], list[Structure]]:
    """Data set → (structure, how it was matched), and the structures left unpaired.

    1. By temperature, nearest pairs first; 2. what is left in order when there are as
    many of each, or the one structure left to the data sets asked for (``asked``: a
    column was named) or to every data set when none has a temperature.
    """
    paired: dict[tuple, tuple[Structure, str]] = {}
    used: set[int] = set()
    pairs = sorted(
        (abs(_set_temperature(d) - s.temperature), j, i, d)  # type: ignore[operator]
        for i, d in enumerate(sets)
        for j, s in enumerate(given)
        if _set_temperature(d) is not None and s.temperature is not None
    )
    for delta, j, _, d in pairs:
        if delta <= TEMPERATURE_TOLERANCE and d not in paired and j not in used:
            paired[d] = (given[j], f"by temperature ({_set_temperature(d):g} K)")
            used.add(j)
    left_sets = [d for d in sets if d not in paired]
    left = [s for j, s in enumerate(given) if j not in used]
    if left and len(left) == len(left_sets):
        for d, structure in zip(left_sets, left, strict=True):
            if _compatible(d, structure):
                paired[d] = (structure, "in the order given")
    elif len(left) == 1 and (asked or all(_set_temperature(d) is None for d in left_sets)):
        for d in left_sets:
            if d in wanted and _compatible(d, left[0]):
                paired[d] = (left[0], "the only structure")
    return paired, left


def _why_unmatched(
    temperature: float | None,
    data_set: tuple,
    given: Sequence[Structure],
    left: Sequence[Structure],
) -> str:
    """Why no structure was matched to a column."""
    if not given:
        return "no structure given"
    listed = ", ".join(_describe(s) for s in given) or "none"
    if temperature is not None and all(not _compatible(data_set, s) for s in left):
        return f"no structure at {temperature:g} K (given: {listed})"
    return (
        f"nothing says which structure belongs to this column (given: {listed}); "
        "choose with --block, --column or one --cif per column"
    )


def select_tables(tables: Sequence[SITable], name: str | None) -> list[SITable]:
    """The tables called ``name`` (``S1``, ``Table S1``, ``line 13``), or all when None."""
    if name is None:
        return list(tables)
    key = _column_key(name)
    found = []
    for t in tables:
        names = {t.name, t.number or "", f"table {t.number}", f"line {t.first_line}"}
        if key in {_column_key(n) for n in names if n}:
            found.append(t)
    if not found:
        names = ", ".join(t.name for t in tables) or "none"
        source = tables[0].source if tables else None
        raise InputError(f"no table {name!r} (tables: {names})", path=source)
    return found
