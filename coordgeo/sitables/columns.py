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
    "COMPOUND_SHARE",
    "TEMPERATURE_TOLERANCE",
    "ColumnMatch",
    "match_columns",
    "select_columns",
    "select_tables",
    "wanted_columns",
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


def wanted_columns(table: SITable, column: str | Sequence[str] | None) -> list[str]:
    """The table's value columns ``column`` names (one name or several, see
    :func:`select_columns`), in the table's order; every column when None. Raises
    InputError when names are given but none of them is a column of the table."""
    if column is None:
        return list(table.columns)
    names = [column] if isinstance(column, str) else list(column)
    chosen = {c for name in names for c in select_columns(table, name)}
    if not chosen:
        raise InputError(
            f"{table.name} has no column {' or '.join(repr(n) for n in names)} "
            f"(columns: {', '.join(table.columns)})",
            path=table.source,
        )
    return [c for c in table.columns if c in chosen]


def match_columns(
    table: SITable,
    structures: Mapping[str, Structure] | Structure | Sequence[Structure],
    column: str | Sequence[str] | None = None,
    named: Mapping[str, Structure] | None = None,
) -> list[ColumnMatch]:
    """Map the table's value columns (only those ``column`` names, see
    :func:`select_columns`) onto structures.

    * A mapping (``structures`` itself, or ``named``) names the structure of a column
      outright: keys are column names (``100 K`` ≡ ``100K``) or temperatures (every
      column at it); keys naming no column of this table are left alone (a mapping may
      serve several tables). ``named`` columns are taken out of the automatic pairing of
      the others with ``structures``; with a mapping as ``structures``, a column it
      does not name has no structure.
    * Otherwise the columns' data sets (the columns at one temperature) and the
      structures are paired by temperature **and compound**: temperatures within
      :data:`TEMPERATURE_TOLERANCE` when both are known, and the structure must be the
      table's compound — the share of the data set's rows whose atoms all name sites of
      it (:func:`coordgeo.sitables.labels.resolve_atom`) at least :data:`COMPOUND_SHARE`
      of the best share any structure given reaches, so a structure that names none of
      the table's atoms is another compound whenever one names some. Nearest
      temperatures first.
    * The data sets and structures left over are paired in the order given (``--cif A
      --cif B`` in column order) when there are as many of each; else one structure left
      over goes to the data sets asked for with ``column`` (or ``named``), or to every
      data set when none gives a temperature.
    * One structure and one data set (after ``column``) go together whatever the
      temperatures say, with a note when they differ.
    """
    wanted = wanted_columns(table, column)
    temperature = dict(zip(table.columns, table.temperatures, strict=True))
    mapping = dict(named or {})
    only_named = isinstance(structures, Mapping)
    if isinstance(structures, Mapping):
        mapping = {**structures, **mapping}
        structures = []
    fixed: dict[str, ColumnMatch] = {}
    for key, structure in mapping.items():
        for name in select_columns(table, key):
            how = "named" + _temperature_note(temperature[name], structure)
            fixed[name] = ColumnMatch(name, temperature[name], structure, how)
    if only_named:
        return [
            fixed.get(c)
            or ColumnMatch(c, temperature[c], None, "no structure was given for this column")
            for c in wanted
        ]

    given = [structures] if isinstance(structures, Structure) else list(structures)
    data_set = _data_sets(table)
    sets = list(dict.fromkeys(data_set[c] for c in table.columns if c not in fixed))
    wanted_sets = {data_set[c] for c in wanted if c not in fixed}
    shares = _compound_shares(table, data_set, sets, given)
    paired, left = _pair_data_sets(
        sets, given, wanted_sets, shares, asked=column is not None or bool(fixed)
    )
    matches = []
    for name in wanted:
        d = data_set[name]
        if name in fixed:
            matches.append(fixed[name])
        elif d in paired:
            structure, how = paired[d]
            matches.append(ColumnMatch(name, temperature[name], structure, how))
        else:
            why = _why_unmatched(temperature[name], d, given, left, shares)
            matches.append(ColumnMatch(name, temperature[name], None, why))
    return matches


#: A structure is the table's compound for a data set when the share of the data set's
#: rows whose atoms it names is at least this fraction of the best share reached by any
#: structure given.
COMPOUND_SHARE = 0.5

_Shares = Mapping[tuple[tuple, int], tuple[int, int]]


def _compound_shares(
    table: SITable, data_set: Mapping[str, tuple], sets: Sequence[tuple], given: Sequence[Structure]
) -> dict[tuple[tuple, int], tuple[int, int]]:
    """(data set, structure index) → (rows whose atoms all name sites of the structure,
    rows that name atoms). Computed only when it can decide something (two or more
    structures); {} otherwise."""
    if len(given) < 2:
        return {}
    from coordgeo.sitables.labels import resolve_atom

    rows = table.rows[table.rows["kind"].isin(("distance", "angle", "torsion"))]
    per_set = {
        d: {
            cand
            for cand, c in zip(rows["candidates"], rows["column"], strict=True)
            if data_set[c] == d
        }
        for d in sets
    }
    out: dict[tuple[tuple, int], tuple[int, int]] = {}
    for j, structure in enumerate(given):
        cache: dict[str, bool] = {}
        for d in sets:
            resolved = 0
            for candidates in per_set[d]:
                ok = True
                for readings in candidates:
                    found = False
                    for label, _ in readings:
                        if label not in cache:
                            cache[label] = resolve_atom(structure, label).resolved
                        found = found or cache[label]
                    ok = ok and found
                resolved += ok
            out[d, j] = (resolved, len(per_set[d]))
    return out


def _temperature_note(temperature: float | None, structure: Structure) -> str:
    """``; temperatures differ: column 293 K, CIF 150 K`` when both are known and further
    apart than :data:`TEMPERATURE_TOLERANCE`."""
    t = structure.temperature
    if temperature is None or t is None or abs(temperature - t) <= TEMPERATURE_TOLERANCE:
        return ""
    return f"; temperatures differ: column {temperature:g} K, CIF {t:g} K"


def _set_temperature(data_set: tuple) -> float | None:
    return data_set[1] if data_set[0] == "T" else None


def _compatible(data_set: tuple, structure: Structure) -> bool:
    """Whether a data set and a structure may be paired: not both temperatures known and
    further apart than :data:`TEMPERATURE_TOLERANCE`."""
    t, u = _set_temperature(data_set), structure.temperature
    return t is None or u is None or abs(t - u) <= TEMPERATURE_TOLERANCE


def _same_compound(d: tuple, j: int, shares: _Shares) -> bool:
    """Whether structure j may be the compound of data set d (:data:`COMPOUND_SHARE`);
    always when shares were not computed or no structure names any of the atoms."""
    if not shares:
        return True
    best = max((n / m if m else 0.0) for (e, _), (n, m) in shares.items() if e == d)
    n, m = shares[d, j]
    return best == 0 or (m > 0 and n / m >= COMPOUND_SHARE * best)


def _compound_how(d: tuple, j: int, shares: _Shares) -> str:
    """`` and compound (12 of 22 rows name its atoms)`` when compounds were compared."""
    if not shares:
        return ""
    n, m = shares[d, j]
    return f" and compound ({n} of {m} rows name its atoms)"


def _pair_data_sets(
    sets: Sequence[tuple],
    given: Sequence[Structure],
    wanted: set[tuple],
    shares: _Shares,
    *,
    asked: bool,
) -> tuple[dict[tuple, tuple[Structure, str]], list[Structure]]:
    """Data set → (structure, how it was matched), and the structures left unpaired.

    1. By temperature and compound (:func:`match_columns`), nearest pairs first; 2. what
    is left in order when there are as many of each, or the one structure left to the
    data sets asked for (``asked``: a column was named) or to every data set when none
    has a temperature; 3. one structure and one wanted data set whatever the temperatures.
    """
    paired: dict[tuple, tuple[Structure, str]] = {}
    used: set[int] = set()
    pairs = sorted(
        (abs(_set_temperature(d) - s.temperature), j, i, d)  # type: ignore[operator]
        for i, d in enumerate(sets)
        for j, s in enumerate(given)
        if _set_temperature(d) is not None
        and s.temperature is not None
        and _same_compound(d, j, shares)
    )
    for delta, j, _, d in pairs:
        if delta <= TEMPERATURE_TOLERANCE and d not in paired and j not in used:
            how = f"by temperature ({_set_temperature(d):g} K)" + _compound_how(d, j, shares)
            paired[d] = (given[j], how)
            used.add(j)
    left_sets = [d for d in sets if d not in paired]
    left_index = [j for j in range(len(given)) if j not in used]
    left = [given[j] for j in left_index]
    if left and len(left) == len(left_sets):
        for d, j in zip(left_sets, left_index, strict=True):
            if _compatible(d, given[j]) and _same_compound(d, j, shares):
                paired[d] = (given[j], "in the order given" + _compound_how(d, j, shares))
    elif len(left) == 1 and (asked or all(_set_temperature(d) is None for d in left_sets)):
        for d in left_sets:
            if d in wanted and _compatible(d, left[0]):
                paired[d] = (left[0], "the only structure")
    if len(given) == 1 and len(wanted) == 1:
        (d,) = wanted
        if d not in paired:  # one CIF, one column: together whatever the header says
            note = _temperature_note(_set_temperature(d), given[0])
            paired[d] = (given[0], "the only structure and the only column" + note)
            left = []
    return paired, left


def _why_unmatched(
    temperature: float | None,
    data_set: tuple,
    given: Sequence[Structure],
    left: Sequence[Structure],
    shares: _Shares,
) -> str:
    """Why no structure was matched to a column."""
    if not given:
        return "no structure given"
    listed = ", ".join(_describe(s) for s in given) or "none"
    at_t = [j for j, s in enumerate(given) if _compatible(data_set, s)]
    if at_t and not any(_same_compound(data_set, j, shares) for j in at_t):
        counts = ", ".join(
            f"{_describe(given[j])} {shares[data_set, j][0]} of {shares[data_set, j][1]}"
            for j in at_t
        )
        at = f" at {temperature:g} K" if temperature is not None else ""
        return (
            f"no structure of this compound{at}: those at this temperature name too few of "
            f"the table's atoms (rows naming its atoms: {counts}; given: {listed})"
        )
    if temperature is not None and all(not _compatible(data_set, s) for s in left):
        return f"no structure at {temperature:g} K (given: {listed})"
    return (
        f"nothing says which structure belongs to this column (given: {listed}); "
        "choose with --block, --column NAME=FILE[:BLOCK] or one --cif per column"
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
