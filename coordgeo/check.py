"""Recompute the rows of the authors' own ``_geom_bond/angle/hbond/torsion`` loops.

For every row of those loops the atoms and symmetry codes are mapped onto
the structure, the value is recomputed from the coordinates with its su
(:mod:`coordgeo.geometry`), and the row gets a status:

``ok``
    |calculated − published| ≤ 2·su(published) + half a unit of the last
    printed digit of the published value + the effect of the coordinates'
    own rounding (which matters for riding H atoms printed without su).
    Rows published without su are judged on the rounding terms alone, with
    2·su(calculated) added, since those values carry the su of the
    coordinates they came from.
``mismatch``
    the value does not follow from the coordinates; ``reason`` says by how
    many su's and names likely causes (a riding H, a site with rounded
    coordinates, a torsion sign).
``unresolved``
    the row cannot be recomputed: unknown label (with the site labels it may
    mean, :func:`suggest_labels`), a symmetry code naming no operator of the CIF,
    a '?' code that no image explains, a block that could not be read; ``reason``
    says which.
``undefined``
    the quantity has no value for this geometry: a torsion through three
    collinear atoms (a bond angle within max(3 su, :data:`LINEAR_ANGLE`) of 180°),
    where the authors' program printed a number from rounding noise.

The comparison tolerance is therefore the one a referee would use: the su
the authors printed, plus rounding of the printed numbers.
"""

from __future__ import annotations

import itertools
import re
import weakref
from dataclasses import replace
from functools import lru_cache
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from coordgeo.errors import InputError
from coordgeo.esd import decimals_of, format_su, parse_su
from coordgeo.frames import frame_of_arrays, text_columns
from coordgeo.geometry import (
    _GRADIENTS,
    cartesian_of,
    contacts,
    image_fract,
    measure,
    propagate_su,
)
from coordgeo.io import labels as _labels
from coordgeo.io.cif import plain_numbers_with_su
from coordgeo.model import Structure
from coordgeo.symmetry import (
    SymmetryCode,
    compose,
    format_code,
    identity,
    parse_code,
    read_code,
)

if TYPE_CHECKING:  # pandas loads where a DataFrame is made (start-up time)
    import pandas as pd

COLUMNS = [
    "block",
    "kind",
    "atoms",
    "symmetry_codes",
    "published",
    "published_su",
    "calculated",
    "calculated_su",
    "status",
    "reason",
]

#: (label columns, symmetry-code columns by atom position, value columns) per loop.
_LAYOUT = {
    "bond": (
        ["atom_site_label_1", "atom_site_label_2"],
        {0: "site_symmetry_1", 1: "site_symmetry_2"},
        ["distance"],
    ),
    "angle": (
        ["atom_site_label_1", "atom_site_label_2", "atom_site_label_3"],
        {0: "site_symmetry_1", 1: "site_symmetry_2", 2: "site_symmetry_3"},
        ["value"],
    ),
    "torsion": (
        ["atom_site_label_1", "atom_site_label_2", "atom_site_label_3", "atom_site_label_4"],
        {0: "site_symmetry_1", 1: "site_symmetry_2", 2: "site_symmetry_3", 3: "site_symmetry_4"},
        ["value"],
    ),
    "hbond": (
        ["atom_site_label_D", "atom_site_label_H", "atom_site_label_A"],
        {0: "site_symmetry_D", 1: "site_symmetry_H", 2: "site_symmetry_A"},
        ["distance_DH", "distance_HA", "distance_DA", "angle_DHA"],
    ),
}
# which atoms of an H-bond row each value is measured between
_HBOND_PARTS = {
    "distance_DH": (0, 1),
    "distance_HA": (1, 2),
    "distance_DA": (0, 2),
    "angle_DHA": (0, 1, 2),
}
_KIND_NAME = {
    "distance_DH": "D-H",
    "distance_HA": "H...A",
    "distance_DA": "D...A",
    "angle_DHA": "D-H...A",
}


class _Row(NamedTuple):
    """One value of a loop row, as printed (an H-bond row gives one per value)."""

    kind: str
    atoms: tuple[str, ...]
    code_texts: tuple[str, ...]
    value_text: str
    part: str = ""  # which value of an H-bond row
    has_codes: bool = True  # does the loop have symmetry-code columns at all

    @property
    def published(self) -> tuple[float | None, float]:
        """(value, su) as printed; su is nan when none is printed."""
        return _published_value(self.value_text)


class _Candidates(NamedTuple):
    """Readings of one row: (sites, codes) options, and which atoms have no usable code.

    ``options`` hold the literal readings (one per way of reading repeated
    labels), with the identity standing in for codes that are unknown;
    ``unknown`` lists those atom positions, whose images are searched when
    the literal reading does not give the published value.
    """

    options: tuple[tuple[tuple[int, ...], tuple[SymmetryCode, ...]], ...]
    unknown: tuple[int, ...] = ()
    note: str = ""
    codes_text: str | None = None  # the codes of ``options[0]`` as n_klm, when known


#: Columns of :func:`resolve`: :data:`COLUMNS`, then how each row was read.
RESOLVED_COLUMNS = [*COLUMNS, "value_text", "sites", "codes"]

#: Degrees: a bond angle of a torsion's atoms within max(3 su, this) of 180° (or 0°) makes
#: the torsion undefined (the plane through three collinear atoms is not defined).
LINEAR_ANGLE = 1e-3


def check(structure: Structure) -> pd.DataFrame:
    """One row per published ``_geom_*`` row (H-bond rows give one row per value).

    Columns: ``block, kind, atoms, symmetry_codes, published, published_su,
    calculated, calculated_su, status, reason``. ``kind`` is ``bond``,
    ``angle``, ``torsion`` or ``hbond``; ``atoms`` is the labels joined by
    ``-`` (the four values of an H-bond row are told apart in ``atoms``,
    e.g. ``O1-H1...N4 [H...A]``); ``symmetry_codes`` the codes of the atoms
    as n_klm, space separated.

    Where a code is missing or cannot be read (``?``, a loop without code
    columns, a label marked as a symmetry mate such as ``P(2')``, operators
    the CIF does not list) and the identity does not give the published
    value, the images of the atom near its bonded partner are searched for
    the one that does, and the reason says so. Codes are read as CIF n_klm, else as
    GSAS-II writes them (:func:`coordgeo.symmetry.read_code`). A torsion whose atoms
    1-2-3 or 2-3-4 are collinear is ``undefined`` (see :data:`LINEAR_ANGLE`), whatever
    its published value.
    """
    import pandas as pd

    rows = _published_rows(structure.geom)
    if not rows:
        return pd.DataFrame(columns=RESOLVED_COLUMNS)[COLUMNS]
    return _frame(_resolve_columns(structure, rows, readings=False))


def resolve(structure: Structure, select=None) -> pd.DataFrame:
    """:func:`check`, with how each row was read: the one matching of loop rows to atoms.

    ``select(kind, labels)``, when given, keeps only the loop rows it returns True for
    (``kind`` ``bond``/``angle``/``torsion``/``hbond``, ``labels`` the row's atom labels as
    printed), so a caller that needs a few rows does not pay for the whole loop.
    Columns :data:`RESOLVED_COLUMNS`: those of :func:`check`, then ``value_text`` (the
    value exactly as printed, ``1.948(9)``), ``sites`` (tuple of site indices of the
    reading kept) and ``codes`` (tuple of :class:`~coordgeo.symmetry.SymmetryCode`);
    both None for a row that could not be read (``unresolved``) or whose acceptor is a
    ring centroid.
    """
    import pandas as pd

    columns = resolve_columns(structure, select)
    if columns is None:
        return pd.DataFrame(columns=RESOLVED_COLUMNS)
    return _frame(columns)


def resolve_columns(structure: Structure, select=None) -> dict[str, list | np.ndarray] | None:
    """The table of :func:`resolve` as columns (lists, or float arrays for the numbers;
    keys :data:`RESOLVED_COLUMNS`; None when no loop row is selected), for a caller that
    needs no DataFrame."""
    rows = _published_rows(structure.geom)
    if select is not None:
        rows = [r for r in rows if select(r.kind, r.atoms)]
    if not rows:
        return None
    return _resolve_columns(structure, rows)


_TEXT = ("block", "kind", "atoms", "symmetry_codes", "status", "reason", "value_text")
_NUMBERS = ("published", "published_su", "calculated", "calculated_su")


def _frame(columns: dict[str, list | np.ndarray]) -> pd.DataFrame:
    """The table of :func:`_resolve_columns`, each column made with its dtype at once (the
    dtypes pandas infers from the lists: text as pandas' text column, numbers as float,
    a column of published values that are all None as object; a float array as it is)."""
    names = [name for name in columns if name in _TEXT]
    data = {}
    if names:  # one column of all the text, each column a slice of it
        data.update(zip(names, text_columns([columns[name] for name in names]), strict=True))
    for name, values in columns.items():
        if name in data:
            continue
        if values.__class__ is np.ndarray:
            data[name] = values
        elif name in _NUMBERS and any(v is not None for v in values):
            data[name] = np.array(values, dtype=float)
        else:
            data[name] = values
    return frame_of_arrays({name: data[name] for name in columns})


def _resolve_columns(
    structure: Structure, rows: list[_Row], readings: bool = True
) -> dict[str, list]:
    """The columns of :func:`resolve` for ``rows``, loop by loop as arrays.

    Labels and codes are read once per distinct text, every reading of every row is
    measured in one call per number of atoms (:func:`_evaluate`), and the rows are
    judged together (:func:`_judge_rows`); only rows that do not fit go row by row.
    ``readings``: also the columns ``value_text``, ``sites`` and ``codes`` of :func:`resolve`.
    """
    n = len(rows)
    published, pub_values, pub_sus = _published_columns([r.value_text for r in rows])
    read = _Reader(structure)
    candidates = read.candidates(rows)
    rounding = _rounding(structure)
    best, linear, row_arrays = _evaluate(structure, rows, candidates, rounding, published, read)
    judged = _judge_rows(
        structure, rounding, rows, best, published, pub_values, pub_sus, row_arrays
    )
    # second pass: search the images for rows whose codes are unknown and did not fit
    retry = [
        k
        for k, (cand, judgement) in enumerate(zip(candidates, judged, strict=True))
        if judgement is not _OK  # most rows: ok, and judged so on arrays
        and judgement[0] != "ok"
        and isinstance(cand, _Candidates)
        and cand.unknown
    ]
    searched: set[int] = set()
    if retry:
        near = _neighbour_images(structure, candidates, retry)
        expanded = {k: _image_options(structure, rows[k], candidates[k], near) for k in retry}
        second, second_linear, _ = _evaluate(
            structure,
            [rows[k] for k in retry],
            [expanded[k] for k in retry],
            rounding,
            [published[k] for k in retry],
        )
        _fill_rounding(structure, rounding, second, range(len(second)))
        for i, (k, res) in enumerate(zip(retry, second, strict=True)):
            if res is not None:
                best[k] = res
                if i in second_linear:
                    linear[k] = second_linear[i]
                judged[k] = _judge_row(structure, rows[k], res)
                searched.add(k)
    centroid = _centroid_rows(structure, rows)
    undefined = _undefined_torsions(structure, rows, best, linear)
    nan = np.nan
    kinds = [row.kind for row in rows]
    labels = [
        "-".join(row.atoms) if kind != "hbond" else _hbond_label(row)
        for row, kind in zip(rows, kinds, strict=True)
    ]
    # the usual row, column by column: one reading, its codes known as text, nothing to note
    usual = [
        res is not None
        and pub is not None
        and not cand.note
        and cand.codes_text is not None
        and res[0] is cand.options[0]
        for cand, res, (pub, _) in zip(candidates, best, published, strict=True)
    ]
    special = centroid.keys() | undefined.keys() | searched
    for k in special:
        usual[k] = False
    statuses = list(map(_FIRST, judged))
    reasons = list(map(_SECOND, judged))
    readings_sites: list = [None] * n
    readings_codes: list = [None] * n
    if all(usual):  # every row the usual one: the columns at once
        code_texts = list(map(_CODES_TEXT, candidates))
        if row_arrays is not None:  # best's values and su's as arrays
            calcs, calc_sus = row_arrays[0], row_arrays[1]
        else:
            calcs = np.fromiter(map(_SECOND, best), dtype=float, count=n)
            calc_sus = np.fromiter(map(_THIRD, best), dtype=float, count=n)
        if readings:
            readings_sites = [tuple(map(int, res[0][0])) for res in best]
            readings_codes = [tuple(res[0][1]) for res in best]
        usual = []  # nothing left to do row by row
    else:
        code_texts = [c.codes_text if u else None for c, u in zip(candidates, usual, strict=True)]
        calcs = [res[1] if u else nan for res, u in zip(best, usual, strict=True)]
        calc_sus = [res[2] if u else nan for res, u in zip(best, usual, strict=True)]
    code_text: dict[SymmetryCode, str] = {}

    def formatted(code: SymmetryCode) -> str:
        text = code_text.get(code)
        if text is None:
            text = code_text[code] = format_code(code, structure)
        return text

    for k, u in enumerate(usual):
        if u:
            if readings:
                sites, codes = best[k][0]
                readings_sites[k] = tuple(map(int, sites))
                readings_codes[k] = tuple(codes)
            continue
        row, cand, pub = rows[k], candidates[k], published[k][0]
        if k in centroid:
            codes_text, calc, calc_su, status, reason = centroid[k]
        elif isinstance(cand, str):
            codes_text, calc, calc_su = _printed_codes(row.code_texts), nan, nan
            status, reason = "unresolved", cand
        elif pub is None:
            codes_text, calc, calc_su = _printed_codes(row.code_texts), nan, nan
            status, reason = "unresolved", f"published value {row.value_text!r} is not a number"
        else:
            reading, calc, calc_su, _ = best[k]
            sites, codes = reading
            if cand.codes_text is not None and reading is cand.options[0]:
                codes_text = cand.codes_text
            else:
                codes_text = " ".join([formatted(c) for c in codes])
            status, reason = judged[k]
            note = cand.note
            if k in undefined:
                status, reason = "undefined", undefined[k]
            if k in searched:
                note += (
                    f": image {codes_text} gives the published value"
                    if status == "ok"
                    else f": no image gives the published value (nearest {codes_text})"
                )
            if note:
                reason = f"{note}; {reason}" if reason else note
            if readings:
                readings_sites[k] = tuple(map(int, sites))
                readings_codes[k] = tuple(codes)
        code_texts[k], calcs[k], calc_sus[k] = codes_text, calc, calc_su
        statuses[k], reasons[k] = status, reason
    out = {
        "block": [structure.block] * n,
        "kind": kinds,
        "atoms": labels,
        "symmetry_codes": code_texts,
        # the arrays are the floats of the lists (all numbers when they are given)
        "published": [p[0] for p in published] if pub_values is None else pub_values,
        "published_su": [p[1] for p in published] if pub_sus is None else pub_sus,
        "calculated": calcs,
        "calculated_su": calc_sus,
        "status": statuses,
        "reason": reasons,
    }
    if readings:
        out["value_text"] = [row.value_text for row in rows]
        out["sites"] = readings_sites
        out["codes"] = readings_codes
    return out


def _hbond_label(row: _Row) -> str:
    """``O1-H1...N4 [H...A]``: an H-bond row's atoms and which of its values it is."""
    atoms = row.atoms
    return f"{atoms[0]}-{atoms[1]}...{atoms[2]} [{_KIND_NAME[row.part]}]"


def _printed_codes(code_texts: tuple[str, ...]) -> str:
    return " ".join(t if t not in ("", "?") else "." for t in code_texts)


def unresolved_rows(geom, block: str, reason: str) -> pd.DataFrame:
    """Rows for the ``_geom_*`` loops of a block that could not be read at all."""
    import pandas as pd

    records = []
    for row in _published_rows(geom):
        pub, pub_su = _published_value(row.value_text)
        atoms, codes = "-".join(row.atoms), " ".join(row.code_texts)
        records.append(
            [block, row.kind, atoms, codes, pub, pub_su, np.nan, np.nan, "unresolved", reason]
        )
    return pd.DataFrame(records, columns=COLUMNS)


def agreement(table: pd.DataFrame, kinds: tuple[str, ...] = ("bond", "angle")) -> dict[str, float]:
    """Share of rows with a published su that are ``ok``, overall and per kind."""
    with_su = table[table["kind"].isin(kinds) & (table["published_su"] > 0)]
    result = {"rows": float(len(with_su)), "ok": float((with_su["status"] == "ok").sum())}
    result["fraction_ok"] = result["ok"] / result["rows"] if len(with_su) else float("nan")
    return result


# --- reading the loops --------------------------------------------------------------------


def _published_rows(geom) -> list[_Row]:
    rows: list[_Row] = []
    for kind, (label_cols, code_cols, value_cols) in _LAYOUT.items():
        loop = geom.get(kind)
        if loop is None:
            continue
        columns = list(loop.columns)
        width = len(columns)
        index = {c.lower(): i for i, c in enumerate(columns)}
        try:
            label_idx = [index[c.lower()] for c in label_cols]
        except KeyError:
            continue  # a loop without its labels cannot be checked
        code_idx = [index.get(code_cols[p].lower()) for p in range(len(label_idx))]
        has_codes = any(v is not None for v in code_idx)
        value_idx = [
            (index[vc.lower()], vc if kind == "hbond" else "")
            for vc in value_cols
            if vc.lower() in index
        ]
        values = loop.values
        if len(values) % width:  # a last row cut short: row by row, as far as it goes
            values = [_unquoted(v) for v in values]
            rows.extend(_rows_of(kind, values, width, label_idx, code_idx, value_idx, has_codes))
            continue
        # the columns read: labels, codes and values (not, e.g., _geom_bond_publ_flag)
        used = {*label_idx, *[i for i in code_idx if i is not None], *[i for i, _ in value_idx]}
        cols = {i: _unquoted_column(values[i::width]) for i in used}
        atoms = zip(*[cols[i] for i in label_idx], strict=True)
        dots = ["."] * (len(values) // width)
        codes = zip(*[cols[i] if i is not None else dots for i in code_idx], strict=True)
        if len(value_idx) == 1:
            ((vi, part),) = value_idx
            rows.extend(
                [
                    _new_row(_Row, (kind, a, c, v, part, has_codes))
                    for a, c, v in zip(atoms, codes, cols[vi], strict=True)
                ]
            )
            continue
        for a, c, *vs in zip(atoms, codes, *[cols[vi] for vi, _ in value_idx], strict=True):
            for v, (_, part) in zip(vs, value_idx, strict=True):
                rows.append(_Row(kind, a, c, v, part, has_codes))
    return [row for row in rows if not _NULL.issuperset(row.atoms)]


#: CIF's null values (IUCr CIF 1.1 syntax: '?' unknown, '.' inapplicable). A loop row whose
#: atom labels are all null names no atom: it is the placeholder row that templates leave
#: in empty loops (Jana2006 writes `? ? ? ? ? ?` under every _geom_ loop it did not fill),
#: not a row to check. A row with one null label among real ones is still unresolved.
_NULL = frozenset({"?", "."})


def _unquoted(value: str) -> str:
    """A cell without the quotes around it (``'N1'`` → ``N1``)."""
    return value[1:-1] if value[:1] in "'\"" and value[-1:] == value[:1] else value


def _unquoted_column(values) -> list[str]:
    """:func:`_unquoted` of every cell of a column (at once when no cell has a quote)."""
    joined = "".join(values)
    if "'" not in joined and '"' not in joined and all(values):
        return list(values)
    return [_unquoted(v) for v in values]


_new_row = tuple.__new__  # _Row from a tuple of all its fields, without the keyword parser


def _rows_of(kind, values, width, label_idx, code_idx, value_idx, has_codes) -> list[_Row]:
    rows = []
    for r in range(0, len(values), width):
        cells = values[r : r + width]
        atoms = tuple(cells[i] for i in label_idx)
        codes = tuple(cells[i] if i is not None else "." for i in code_idx)
        for vi, part in value_idx:
            rows.append(_Row(kind, atoms, codes, cells[vi], part, has_codes))
    return rows


def _published_values(texts: list[str]) -> list[tuple[float | None, float]]:
    """:func:`_published_value` of every row, a column of plain numbers at once (most
    printed values differ, so a cache of texts seldom helps)."""
    return _published_columns(texts)[0]


def _published_columns(
    texts: list[str],
) -> tuple[list[tuple[float | None, float]], np.ndarray | None, np.ndarray | None]:
    """:func:`_published_values`, and the values and su's as arrays when every text is a
    plain number (None otherwise)."""
    read = plain_numbers_with_su(texts)
    if read is None:
        return [_published_value(t) for t in texts], None, None
    values, sus = read
    return list(zip(values.tolist(), sus.tolist(), strict=True)), values, sus


@lru_cache(maxsize=4096)
def _published_value(text: str) -> tuple[float | None, float]:
    try:
        value, su = parse_su(text)
    except ValueError:
        return None, np.nan
    return value, (su if su is not None else np.nan)


# --- mapping a row onto the structure -----------------------------------------------------

# marks some programs add to a label to say "a symmetry mate of": N1', N(1''), C12*, O1#2, O1$3
MATE_MARK = _labels.MATE_MARK
# which atom an atom of a row is bonded to (to search its images near that partner)
_PARTNER = {
    ("bond", 2): {0: 1, 1: 0},
    ("angle", 3): {0: 1, 1: 0, 2: 1},
    ("torsion", 4): {0: 1, 1: 2, 2: 1, 3: 2},
    ("hbond", 2): {0: 1, 1: 0},
    ("hbond", 3): {0: 1, 1: 0, 2: 1},
}
# the atom a loop without code columns is measured from (the others are searched around it)
_REFERENCE = {"bond": 0, "angle": 1, "torsion": 1, "hbond": 0}
_MAX_OPTIONS = 4096


def label_sites(structure: Structure, label: str) -> tuple[list[int], str, bool]:
    """Sites a printed label may mean, how it was read, and whether it marks a symmetry mate:
    the one label resolver, :func:`coordgeo.io.labels.resolve_label` (exact, any case,
    parentheses, symmetry-mate marks; no pattern guesses for a CIF's own loops)."""
    found = _labels.resolve_label(structure, label)
    return list(found.sites), found.note, found.mate


def suggest_labels(structure: Structure, label: str, n: int = 3) -> list[str]:
    """Site labels a label that names no site probably means, the likeliest first
    (:func:`coordgeo.io.labels.suggest_labels`)."""
    return _labels.suggest_labels(structure, label, n)


class _Reader:
    """Literal readings of rows of one structure, each label and code read once.

    A loop repeats few labels and codes: an atom's reading (its sites, the code or why it
    has none, the notes) depends only on its label, its code text and whether the loop
    leaves it without a code, so it is worked out once per distinct combination.
    """

    def __init__(self, structure: Structure) -> None:
        self.structure = structure
        self.ops_from_cif = not any("lists no symmetry operators" in n for n in structure.notes)
        self.code_cache: dict[str, tuple[SymmetryCode, str] | str] = {}
        self.n_klm: dict[SymmetryCode, str] = {}
        self.label_cache: dict[str, tuple[list[int], str, bool]] = {}
        self.single = _labels.single_sites(structure)
        self.atom_cache: dict[tuple[str, str, bool], tuple | str] = {}
        self.code_ids: dict[SymmetryCode, int] = {}  # the codes of the entries, numbered
        #: (first row, row after the last, sites (n, m), code numbers (n, m)) of the runs of
        #: rows read as columns whose atoms are one site each (:meth:`candidates`)
        self.runs: list[tuple[int, int, np.ndarray, np.ndarray]] = []

    def atom(self, label: str, text: str, no_code: bool) -> tuple | str:
        """(sites, notes, code, unknown) of one atom of a row, or why it cannot be read.

        ``no_code``: the loop has no code columns and the atom is not the one measured
        from. ``code`` is the identity where ``unknown`` (the image is to be searched)."""
        structure = self.structure
        found = self.label_cache.get(label)
        if found is None:
            site = self.single.get(label)  # label_sites' answer for most labels
            found = ([site], "", False) if site is not None else label_sites(structure, label)
            self.label_cache[label] = found
        sites, note, is_mate = found
        if not sites:
            near = suggest_labels(structure, label)
            hint = f" (the CIF has {', '.join(near)})" if near else ""
            return f"unknown atom label {label!r}{hint}"
        notes = [note] if note else []
        text = text.strip()
        reading = None
        if text == "?":
            reading = "symmetry code '?'"
        elif is_mate:
            reading = ""
        elif no_code:
            reading = "the loop has no symmetry codes"
        elif not self.ops_from_cif and text not in ("", "."):
            reading = "the CIF lists no symmetry operators, so its codes cannot be read"
        if reading is not None:
            if reading:
                notes.append(reading)
            return sites, notes, identity(structure), True
        found = self.code_cache.get(text)
        if found is None:
            try:
                found = read_code(text, structure)
            except InputError as exc:
                found = exc.message
            self.code_cache[text] = found
        if isinstance(found, str):
            return found
        code, how = found
        if how:
            notes.append(how)
        return sites, notes, code, False

    def entry(self, key: tuple[str, str, bool]) -> tuple:
        """:meth:`atom` of ``key`` as kept in the cache: ``(plain, sites, notes, code,
        unknown, site, code as n_klm, one site, code number)``, ``plain`` when the atom is
        one site with a known code and nothing to note; ``(False, why, (), None, False,
        None, None, False, None)`` when it cannot be read. The code number is the code's
        place in :attr:`code_ids` (:meth:`code_arrays`)."""
        label, text, no_code = key
        site = self.single.get(label)
        if site is not None and not no_code:  # the usual atom: one site, a code read plainly
            text = text.strip()
            read = self.code_cache.get(text)
            if (
                read is not None
                and read.__class__ is tuple
                and not read[1]
                and text != "?"
                and (self.ops_from_cif or text in ("", "."))
            ):
                code = read[0]
                n_klm = self.n_klm.get(code)
                if n_klm is None:
                    n_klm = self.n_klm[code] = format_code(code, self.structure)
                number = self.code_ids.setdefault(code, len(self.code_ids))
                entry = (True, [site], (), code, False, site, n_klm, True, number)
                self.atom_cache[key] = entry
                return entry
        found = self.atom(*key)
        if isinstance(found, str):
            entry: tuple = (False, found, (), None, False, None, None, False, None)
        else:
            sites, notes, code, unknown = found
            one = len(sites) == 1
            n_klm = self.n_klm.get(code)
            if n_klm is None:
                n_klm = self.n_klm[code] = format_code(code, self.structure)
            entry = (one and not notes and not unknown, sites, tuple(notes), code, unknown)
            entry += (sites[0], n_klm, one, self.code_ids.setdefault(code, len(self.code_ids)))
        self.atom_cache[key] = entry
        return entry

    def candidates(self, rows: list[_Row]) -> list[_Candidates | str]:
        """Literal readings of every row's atoms (several when a label repeats), or why
        there is none, row by row.

        Loop by loop, the atoms of each position are looked up as a column; when every
        atom of the loop is one site with a code or a known lack of one, the rows' readings
        are made as columns too; otherwise row by row (:meth:`reading`)."""
        out: list[_Candidates | str] = []
        for (kind, has_codes), run in itertools.groupby(rows, key=_KIND_CODES):
            run = list(run)
            flags = _NO_CODE[(kind, has_codes)]
            labels = list(zip(*map(_ATOMS, run), strict=True))
            texts = list(zip(*map(_CODE_TEXTS, run), strict=True))
            cols = [self.column(labels[p], texts[p], flag) for p, flag in enumerate(flags)]
            if kind == "hbond" or not all(map(all, (map(_ONE, col) for col in cols))):
                out.extend(map(self.reading, run, zip(*cols, strict=True)))
                continue

            def get(field, cols=cols):
                return zip(*[map(field, col) for col in cols], strict=True)

            # the run's sites and code numbers as (n, m) arrays, for _evaluate
            start = len(out)
            site_array = np.array([list(map(_SITE, col)) for col in cols], dtype=int).T.copy()
            numbers = np.array([list(map(_NUMBER, col)) for col in cols], dtype=int).T.copy()
            self.runs.append((start, start + len(run), site_array, numbers))
            sites, codes = get(_SITE), get(_CODE)
            code_texts = map(" ".join, get(_N_KLM))
            if all(map(all, (map(_FIRST, col) for col in cols))):  # plain atoms only
                out.extend(map(_plain_reading, sites, codes, code_texts))
            else:
                unknown = map(_unknown_positions, get(_UNKNOWN))
                notes = map(_joined_notes, get(_NOTES))
                out.extend(map(_one_reading, sites, codes, unknown, notes, code_texts))
        return out

    def code_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Operator indices (k,) and lattice shifts (k, 3) of the codes of :attr:`code_ids`,
        in their order (:func:`_code_arrays` of them)."""
        return _code_arrays(list(self.code_ids))

    def column(self, labels: tuple[str, ...], texts: tuple[str, ...], flag: bool) -> list:
        """:meth:`entry` of the atoms of one position of a loop's rows."""
        cache = self.atom_cache
        keys = list(zip(labels, texts, itertools.repeat(flag)))
        found = list(map(cache.get, keys))
        if None in found:
            for i, e in enumerate(found):
                if e is None:
                    found[i] = cache.get(keys[i]) or self.entry(keys[i])
        return found

    def reading(self, row: _Row, found: tuple) -> _Candidates | str:
        """The readings of one row from the :meth:`entry` of each of its atoms."""
        if all(e[0] for e in found):  # one site each, codes read: one plain reading
            if row.kind == "hbond":
                found = [found[i] for i in _HBOND_PARTS[row.part]]
            reading = (tuple([e[5] for e in found]), tuple([e[3] for e in found]))
            return _Candidates((reading,), (), "", " ".join([e[6] for e in found]))
        for e in found:
            if isinstance(e[1], str):
                return e[1]
        if row.kind == "hbond":
            part = _HBOND_PARTS[row.part]
            notes = [n for e in found for n in e[2]]
            unknown = tuple([part.index(i) for i in part if found[i][4]])
            found = [found[i] for i in part]
        else:
            notes = [n for e in found for n in e[2]]
            unknown = tuple([i for i, e in enumerate(found) if e[4]])
        note = "; ".join(dict.fromkeys(notes)) if notes else ""
        codes = tuple([e[3] for e in found])
        if all(len(e[1]) == 1 for e in found):
            return _Candidates(((tuple([e[5] for e in found]), codes),), unknown, note)
        options = tuple(
            (tuple(sites), codes) for sites in itertools.product(*[e[1] for e in found])
        )[:_MAX_OPTIONS]
        return _Candidates(options, unknown, note)


def _plain_reading(sites: tuple[int, ...], codes: tuple, codes_text: str) -> _Candidates:
    """The one reading of a row whose atoms are all plain (:meth:`_Reader.entry`)."""
    return _new_row(_Candidates, (((sites, codes),), (), "", codes_text))


def _one_reading(sites, codes, unknown, note, codes_text) -> _Candidates:
    """The one reading of a row whose atoms are one site each."""
    return _new_row(_Candidates, (((sites, codes),), unknown, note, codes_text))


@lru_cache(maxsize=256)
def _unknown_positions(flags: tuple[bool, ...]) -> tuple[int, ...]:
    return tuple(i for i, unknown in enumerate(flags) if unknown)


@lru_cache(maxsize=1024)
def _joined_notes(notes: tuple[tuple[str, ...], ...]) -> str:
    """The notes of a row's atoms, each once, in order."""
    return "; ".join(dict.fromkeys(n for atom in notes for n in atom))


_KIND_CODES = itemgetter(0, 5)  # _Row: kind, has_codes
_SECOND, _THIRD = itemgetter(1), itemgetter(2)
_CODES_TEXT = attrgetter("codes_text")
_ATOMS = itemgetter(1)
_CODE_TEXTS = itemgetter(2)
# _Reader.entry: plain, notes, code, unknown, site, code as n_klm, one site
_FIRST, _NOTES, _CODE, _UNKNOWN = itemgetter(0), itemgetter(2), itemgetter(3), itemgetter(4)
_SITE, _N_KLM, _ONE, _NUMBER = itemgetter(5), itemgetter(6), itemgetter(7), itemgetter(8)


# per (kind, loop has code columns): which atoms are read without a code (all but the
# one a loop without code columns is measured from)
_NO_CODE = {
    (kind, has_codes): tuple(not has_codes and pos != _REFERENCE[kind] for pos in range(m))
    for kind, (labels, _, _) in _LAYOUT.items()
    for m in [len(labels)]
    for has_codes in (True, False)
}


def _neighbour_images(structure: Structure, candidates: list, retry: list[int]):
    """Images of every site within the search radius of each partner site, in one search."""
    centers = sorted({s for k in retry for sites, _ in candidates[k].options for s in sites})
    found = contacts(structure, _SEARCH_RADIUS, centers=centers, min_distance=0.0)
    near: dict[tuple[int, int], list[SymmetryCode]] = {}
    for c, s, code in zip(found.center, found.site, found.codes(), strict=True):
        near.setdefault((int(c), int(s)), []).append(code)
    return near


def _image_options(structure: Structure, row: _Row, cand: _Candidates, near) -> _Candidates:
    """Readings where each unknown code is one of the images near the atom's bonded partner."""
    options = []
    for sites, codes in cand.options:
        partner = _PARTNER[(row.kind, len(sites))]
        choices: list[list[SymmetryCode]] = []
        for i, code in enumerate(codes):
            j = partner[i]
            if i not in cand.unknown or i == j:
                choices.append([code])
                continue
            images = [compose(c, codes[j], structure) for c in near.get((sites[j], sites[i]), [])]
            choices.append(list(dict.fromkeys(images)) or [code])
        options.extend((sites, combo) for combo in itertools.product(*choices))
        if len(options) > _MAX_OPTIONS:
            break
    return _Candidates(tuple(options[:_MAX_OPTIONS]), cand.unknown, cand.note)


_SEARCH_RADIUS = 4.5  # Å: bonds, angles and H-bonds reach their partner within this


def _evaluate(
    structure: Structure,
    rows: list[_Row],
    candidates: list,
    rounding=None,
    published=None,
    reader: _Reader | None = None,
):
    """Measure every reading of every row in batches; keep the one closest to the published value.

    One call per number of atoms measures every reading of every row with that many
    (:func:`_measure`); a row read one way keeps that reading, a row read several ways
    the one closest to the published value (the first of equals). The bond angles 1-2-3
    and 2-3-4 of every torsion reading are measured with the angles, each distinct angle
    once. ``rounding`` is :func:`_rounding` of ``structure`` (made here when not given);
    ``published`` the rows' :func:`_published_value` (read here when not given);
    ``reader`` the :class:`_Reader` that read ``candidates``, whose runs of rows read as
    columns come as arrays (:attr:`_Reader.runs`) instead of row by row.

    Returns ``(best, linear, arrays)``: per row ``((sites, codes), value, su, rounding)``
    or None, where ``rounding`` is None while it is not yet computed (it is then finite and
    ≥ 0, and matters only for a row that does not fit without it: :func:`_fill_rounding`);
    per torsion row with a reading, ``(angle 1-2-3, its su, angle 2-3-4, its su)`` of that
    reading (:func:`_undefined_torsions`); and, when every row has one reading, the values,
    su's and rounding su's (0 where not yet computed) of ``best`` as arrays (else None).
    """
    # per number of atoms: pieces (row keys, sites, ops, shifts) in the order of the rows
    pieces: dict[int, list[tuple[list[int], np.ndarray, np.ndarray, np.ndarray]]] = {}
    runs = reader.runs if reader is not None else []
    if runs:
        code_ops, code_shifts = reader.code_arrays()
    k = 0
    for start, stop, sites, numbers in [*runs, (len(candidates), len(candidates), None, None)]:
        if k < start:  # the rows before the run, reading by reading
            _group_readings(candidates, k, start, pieces)
        if stop > start:
            pieces.setdefault(sites.shape[1], []).append(
                (list(range(start, stop)), sites, code_ops[numbers], code_shifts[numbers])
            )
        k = stop
    best: list = [None] * len(rows)
    linear: dict[int, tuple[float, float, float, float]] = {}
    if not pieces:
        return best, linear, None
    if rounding is None:
        rounding = _rounding(structure)
    groups: dict[int, tuple[list[int]]] = {}
    arrays = {}
    for m, parts in pieces.items():
        if len(parts) == 1:
            keys, sites, ops, shifts = parts[0]
        else:
            keys = [k for part in parts for k in part[0]]
            sites, ops, shifts = (np.concatenate(x) for x in list(zip(*parts, strict=True))[1:])
        groups[m] = (keys,)
        arrays[m] = (sites, ops, shifts)
    measured = {m: _measure(structure, rounding, *arrays[m]) for m in arrays if m != 3}
    # angles: the angle readings, then the two bond angles of every torsion reading
    n3 = len(groups[3][0]) if 3 in groups else 0
    parts = [arrays[3]] if 3 in arrays else []
    if 4 in arrays:
        s4, o4, h4 = arrays[4]
        parts += [(s4[:, 0:3], o4[:, 0:3], h4[:, 0:3]), (s4[:, 1:4], o4[:, 1:4], h4[:, 1:4])]
    if parts:
        s3, o3, h3 = (np.concatenate(x) for x in zip(*parts, strict=True))
        if 4 in arrays:  # each distinct angle once: torsions share their bond angles
            key = np.concatenate([s3, o3, h3.reshape(len(s3), 9).astype(np.int64)], axis=1)
            rows_as_bytes = key.view(np.dtype((np.void, key.itemsize * 15))).ravel()
            _, first, inverse = np.unique(rows_as_bytes, return_index=True, return_inverse=True)
            inverse = inverse.reshape(-1)
            once = _measure(structure, rounding, s3[first], o3[first], h3[first])
            angles = tuple(x[inverse] for x in once)
        else:
            angles = _measure(structure, rounding, s3, o3, h3)
        if 3 in arrays:
            measured[3] = tuple(x[:n3] for x in angles)
        if 4 in arrays:
            n4 = len(groups[4][0])
            a0, a1 = angles[0][n3 : n3 + n4].tolist(), angles[0][n3 + n4 :].tolist()
            u0, u1 = angles[1][n3 : n3 + n4].tolist(), angles[1][n3 + n4 :].tolist()
    # the rows' values as arrays while every row has one reading
    row_arrays = [np.full(len(rows), np.nan) for _ in range(3)]
    for m, (keys,) in groups.items():
        v, su, rnd, lazy = measured[m]
        if m == 4:  # torsions: the value on the published side of ±180°
            if published is None:
                published = [row.published for row in rows]
            pub = np.array([p if (p := published[k][0]) is not None else np.nan for k in keys])
            with np.errstate(invalid="ignore"):
                turn = np.abs(v - pub) > 180
            if turn.any():
                v = np.where(turn, v - 360 * np.sign(v - pub), v)
        vs, sus = v.tolist(), su.tolist()
        if not lazy.any():
            rnds = rnd.tolist()
        elif lazy.all():
            rnds = [None] * len(keys)
        else:
            rnds = [None if z else r for r, z in zip(rnd.tolist(), lazy.tolist(), strict=True)]
        readings = [candidates[k].options for k in keys]
        one = keys[-1] - keys[0] + 1 == len(keys)  # the rows k0…k1, one reading each
        if one or len(readings) == len(set(keys)):  # one reading per row: keep it
            if one:
                best[keys[0] : keys[-1] + 1] = zip(
                    map(_FIRST, readings), vs, sus, rnds, strict=True
                )
            else:
                entries = zip(map(_FIRST, readings), vs, sus, rnds, strict=True)
                for k, entry in zip(keys, entries, strict=True):
                    best[k] = entry
            if m == 4:
                linear.update(zip(keys, zip(a0, u0, a1, u1, strict=True), strict=True))
            if row_arrays is not None:
                where = slice(keys[0], keys[-1] + 1) if one else keys
                row_arrays[0][where], row_arrays[1][where] = v, su
                row_arrays[2][where] = np.where(lazy, 0.0, rnd)
            continue
        row_arrays = None
        i = 0
        while i < len(keys):
            k = keys[i]
            options = candidates[k].options
            o = 0
            if len(options) > 1:
                pub = rows[k].published[0]
                scored = [
                    (abs(vs[i + o] - pub) if pub is not None else float(o), o)
                    for o in range(len(options))
                ]
                _, o = min(scored)
            best[k] = (options[o], vs[i + o], sus[i + o], rnds[i + o])
            if m == 4:
                linear[k] = (a0[i + o], u0[i + o], a1[i + o], u1[i + o])
            i += len(options)
    return best, linear, row_arrays


def _group_readings(candidates: list, first: int, stop: int, pieces: dict) -> None:
    """Add the readings of the rows ``first`` … ``stop - 1`` to ``pieces`` of
    :func:`_evaluate`, one piece per number of atoms: (row of each reading, sites, ops,
    shifts)."""
    groups: dict[int, tuple[list[int], list[tuple[int, ...]], list[SymmetryCode]]] = {}
    for k in range(first, stop):
        cand = candidates[k]
        if cand.__class__ is _Candidates:
            for sites, codes in cand.options:
                group = groups.get(len(sites))
                if group is None:
                    group = groups[len(sites)] = ([], [], [])
                group[0].append(k)
                group[1].append(sites)
                group[2].extend(codes)
    for m, (keys, sites_list, codes) in groups.items():
        sites = np.fromiter(
            itertools.chain.from_iterable(sites_list), dtype=int, count=m * len(sites_list)
        ).reshape(-1, m)
        ops, shifts = _code_arrays(codes)
        pieces.setdefault(m, []).append((keys, sites, ops.reshape(-1, m), shifts.reshape(-1, m, 3)))


def _code_arrays(codes: list[SymmetryCode]) -> tuple[np.ndarray, np.ndarray]:
    """Operator indices (n,) and lattice shifts (n, 3) of codes."""
    ops = np.fromiter(map(_OP, codes), dtype=int, count=len(codes))
    shifts = np.fromiter(
        itertools.chain.from_iterable(map(_SHIFT, codes)), dtype=float, count=3 * len(codes)
    )
    return ops, shifts.reshape(-1, 3)


_OP, _SHIFT = attrgetter("op"), attrgetter("shift")


def _measure(
    structure: Structure,
    rounding: tuple,
    sites: np.ndarray,
    ops: np.ndarray,
    shifts: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Values, su's and :func:`rounding_effect` of n readings of m atoms.

    As :func:`coordgeo.geometry.measure` on ``structure`` and on the rounded structure of
    ``rounding`` (:func:`_rounding`: the same coordinates, their rounding as their only
    error), with the positions and gradients worked out once for both. The rounding su
    is left to be computed (``lazy``, value nan) where it is finite and ≥ 0: where the
    gradient and the rounded covariances are finite and some coordinate is rounded.
    Returns ``(values, su, rounding, lazy)``.
    """
    rounded, any_rounded, cov_finite = rounding
    n = sites.shape[0]
    if n == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool)
    f = image_fract(structure, sites, ops, shifts)
    x = cartesian_of(structure, f)
    values, grad = _GRADIENTS[sites.shape[1]](x)
    su = propagate_su(structure, sites, ops, f, grad)
    finite = np.isfinite(grad).all(axis=(-2, -1))
    if not any_rounded:  # no coordinate is rounded: zero wherever the gradient is finite
        return values, su, np.where(finite, 0.0, np.nan), np.zeros(n, dtype=bool)
    lazy = finite & cov_finite[sites].all(axis=-1)
    rnd = np.full(n, np.nan)
    now = ~lazy
    if now.any():
        rnd[now] = propagate_su(rounded, sites[now], ops[now], f[now], grad[now])
    return values, su, rnd, lazy


def _fill_rounding(structure: Structure, rounding: tuple, best: list, keys) -> None:
    """Compute the rounding su's :func:`_evaluate` left for later, for the rows ``keys``."""
    keys = [k for k in keys if best[k] is not None and best[k][3] is None]
    by_size: dict[int, list[int]] = {}
    for k in keys:
        by_size.setdefault(len(best[k][0][0]), []).append(k)
    for m, ks in by_size.items():
        sites = np.array([best[k][0][0] for k in ks], dtype=int)
        ops, shifts = _code_arrays([c for k in ks for c in best[k][0][1]])
        ops, shifts = ops.reshape(-1, m), shifts.reshape(-1, m, 3)
        f = image_fract(structure, sites, ops, shifts)
        _, grad = _GRADIENTS[m](cartesian_of(structure, f))
        rnd = propagate_su(rounding[0], sites, ops, f, grad)
        for k, r in zip(ks, rnd.tolist(), strict=True):
            best[k] = (*best[k][:3], r)


def _judge_row(structure: Structure, row: _Row, result) -> tuple[str, str]:
    pub, pub_su = row.published
    if result is None or pub is None:
        return "unresolved", ""
    (sites, _), calc, calc_su, rounding = result
    return judge(
        structure, row.kind, row.value_text, list(sites), pub, pub_su, calc, calc_su, rounding
    )


def _judge_rows(
    structure: Structure,
    rounding: tuple,
    rows: list[_Row],
    best: list,
    published: list,
    pub_values: np.ndarray | None = None,
    pub_sus: np.ndarray | None = None,
    row_arrays: list[np.ndarray] | None = None,
) -> list[tuple[str, str]]:
    """:func:`_judge_row` of every row: the test of :func:`judge` on arrays, then
    :func:`judge` itself (for the reason) only for the rows that are not ``ok``.

    The tolerance of :func:`judge` is a sum of terms ≥ 0, and floating-point addition is
    monotonic, so a row within a tolerance without some of them is within with them: the
    first test leaves out half a unit of the printed last digit and a rounding su not yet
    computed; only the rows that fail it get the half digit, then the rounding su
    (:func:`_fill_rounding`), and go through :func:`judge`. ``pub_values``, ``pub_sus``:
    ``published`` as arrays, when every row's value is a number (:func:`_published_columns`);
    ``row_arrays``: the values, su's and rounding su's (0 where not yet computed) of
    ``best`` as arrays, when every row has one reading (:func:`_evaluate`).
    """
    n = len(rows)
    if pub_values is not None and None not in best:  # every row, its numbers as arrays
        keys: list[int] | range = range(n)
        chosen, pub, pub_su = best, pub_values, pub_sus
    elif None not in best and None not in [pub for pub, _ in published]:  # every row
        keys = range(n)
        chosen, pubs = best, published
        pub, pub_su = np.array(pubs, dtype=float).T
    else:
        keys = [
            k
            for k, res, (pub, _) in zip(range(n), best, published, strict=True)
            if res is not None and pub is not None
        ]
        if not keys:
            return [("unresolved", "")] * n
        chosen, pubs = [best[k] for k in keys], [published[k] for k in keys]
        pub, pub_su = np.array(pubs, dtype=float).T
    if row_arrays is not None and len(keys) == n:
        calc, calc_su, rnd = row_arrays
    else:
        _, calc, calc_su, rnd = zip(*chosen, strict=True)
        calc, calc_su = np.array(calc, dtype=float), np.array(calc_su, dtype=float)
        rnd = np.array([0.0 if r is None else r for r in rnd], dtype=float)
    with np.errstate(invalid="ignore"):
        has_su = np.isfinite(pub_su) & (pub_su > 0)
        su_term = np.where(has_su, 2.0 * pub_su, 2.0 * np.where(np.isfinite(calc_su), calc_su, 0.0))
        diff = np.abs(calc - pub)
        # judge's tolerance is ((half + 2·rounding) + 1e-9) + 2·su: here without the half
        ok = diff <= (2.0 * rnd + 1e-9) + su_term
        near = np.flatnonzero(~ok)
        if len(near):
            half = [_half_digit(rows[keys[i]].value_text) for i in near.tolist()]
            ok[near] = diff[near] <= ((np.array(half) + 2.0 * rnd[near]) + 1e-9) + su_term[near]
    if len(keys) == n:
        out = [_OK] * n
    else:
        out = [("unresolved", "")] * n
        for k in keys:
            out[k] = _OK
    misfits = [keys[i] for i in np.flatnonzero(~ok).tolist()]
    if misfits:
        _fill_rounding(structure, rounding, best, misfits)
        for k in misfits:
            out[k] = _judge_row(structure, rows[k], best[k])
    return out


_OK = ("ok", "")


@lru_cache(maxsize=4096)
def _half_digit(value_text: str) -> float:
    """Half a unit of the last printed digit of a value (:func:`judge`)."""
    return 0.5 * 10.0 ** (-decimals_of(value_text))


def _undefined_torsions(
    structure: Structure, rows: list[_Row], best, linear: dict | None = None
) -> dict[int, str]:
    """Torsion rows through three collinear atoms, and why each is undefined.

    A torsion a-b-c-d is the angle between the planes (a, b, c) and (b, c, d); when the
    bond angle a-b-c or b-c-d is 180° (or 0°) within max(3 su, :data:`LINEAR_ANGLE`),
    one plane does not exist and any value is rounding noise. ``linear`` holds the two
    angles already measured (:func:`_evaluate`); the others are measured in one call.
    """
    linear = {} if linear is None else linear
    keys = [
        k
        for k, (row, res) in enumerate(zip(rows, best, strict=True))
        if row.kind == "torsion" and res is not None
    ]
    if not keys:
        return {}
    missing = [k for k in keys if k not in linear]
    if missing:
        sites = np.array([best[k][0][0] for k in missing], dtype=int)
        ops, shifts = _code_arrays([c for k in missing for c in best[k][0][1]])
        ops, shifts = ops.reshape(-1, 4), shifts.reshape(-1, 4, 3)
        n = len(missing)
        angle, su = measure(
            structure,
            np.concatenate([sites[:, 0:3], sites[:, 1:4]]),
            np.concatenate([ops[:, 0:3], ops[:, 1:4]]),
            np.concatenate([shifts[:, 0:3], shifts[:, 1:4]]),
        )
        a, u = angle.tolist(), su.tolist()
        linear = {**linear, **{k: (a[i], u[i], a[n + i], u[n + i]) for i, k in enumerate(missing)}}
    found = np.array([linear[k] for k in keys], dtype=float).reshape(-1, 4)
    out: dict[int, str] = {}
    for first in (0, 1):
        angle, su = found[:, 2 * first], found[:, 2 * first + 1]
        off = np.minimum(angle, 180.0 - angle)
        limit = np.fmax(3.0 * su, LINEAR_ANGLE)  # an angle without su (nan): LINEAR_ANGLE
        for i in np.flatnonzero(off <= limit):
            k = keys[i]
            if k in out:
                continue
            names = "-".join(rows[k].atoms[first : first + 3])
            out[k] = (
                f"{names} is linear ({format_su(float(angle[i]), float(su[i]), 2)}°): "
                "a torsion through three collinear atoms is undefined"
            )
    return out


# --- judging ------------------------------------------------------------------------------


def rounding_effect(
    structure: Structure, sites: np.ndarray, ops: np.ndarray, shifts: np.ndarray
) -> np.ndarray:
    """How much the coordinates' print rounding can move each value, as an su.

    Rounding to the last printed digit is a uniform error of half-width h,
    i.e. a standard deviation of h/√3. Only coordinates printed without su
    (riding H) count, so ordinary rows are unaffected.
    """
    return measure(_rounded_structure(structure), sites, ops, shifts)[1]


def _rounded_structure(structure: Structure) -> Structure:
    """The structure with the coordinates' rounding as their only error (rounding_effect)."""
    return _rounding(structure)[0]


def _rounding(structure: Structure) -> tuple[Structure, bool, np.ndarray]:
    """:func:`_rounded_structure`, whether any of its coordinates carries a rounding error,
    and which of its sites have finite covariances.

    Made once per structure (kept while the structure lives and its coordinates' su's,
    rounding and cell are the same objects)."""
    key = (structure.fract_su, structure.fract_rounding, structure.site_projector, structure.cell)
    found = _ROUNDED.get(structure)
    if found is not None and all(a is b for a, b in zip(found[0], key, strict=True)):
        return found[1]
    h = np.where(structure.fract_su > 0, 0.0, structure.fract_rounding) / np.sqrt(3.0)
    p = structure.site_projector  # coordinates fixed by symmetry are exact, not rounded
    if (p == _UNIT).all():  # every site on a general position: P h² Pᵀ is diag(h²) exactly
        cov = np.zeros(p.shape)
        cov[:, _DIAGONAL, _DIAGONAL] = h**2
    else:
        cov = np.einsum("nij,nj,nkj->nik", p, h**2, p)
    cell = replace(structure.cell, su=(0.0,) * 6)
    # the same cell parameters and operators: what the structure worked out from them holds
    cell.__dict__["orthogonalization"] = structure.cell.orthogonalization
    rounded = replace(structure, fract_cov=cov, cell=cell)
    for name in ("rotations", "rotations_float", "translations"):
        if name in structure.__dict__:
            rounded.__dict__[name] = structure.__dict__[name]
    made = (rounded, bool(np.any(cov != 0)), np.isfinite(cov).all(axis=(-2, -1)))
    _ROUNDED[structure] = (key, made)
    return made


_ROUNDED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_UNIT = np.eye(3)
_DIAGONAL = np.arange(3)


# --- ring centroids as H-bond acceptors ---------------------------------------------------

# which atoms of an H-bond row with a centroid acceptor each value is measured between:
# 0 = D, 1 = H, 2 = the ring
_CENTROID_ATOMS = {
    "distance_DH": (0, 1),
    "distance_HA": (1, 2),
    "distance_DA": (0, 2),
    "angle_DHA": (0, 1, 2),
}


def _centroid_rows(structure: Structure, rows: list[_Row]) -> dict[int, tuple]:
    """H-bond rows whose acceptor is a ring centroid (``Cg1``, ``Cg(1)``, ``Cg``).

    Authors' ring numbers are their own, so the ring is the one whose image reproduces
    the published D···Cg (:func:`coordgeo.contacts.resolve_centroid`); the four values
    are then recomputed and judged as any other H-bond value. Returns, per row index,
    ``(symmetry codes, calculated, su, status, reason)``.
    """
    # a centroid label has "cg" in it, parentheses aside (centroid_label): most CIFs need
    # neither the ring search nor its imports
    if not any(
        row.kind == "hbond" and "cg" in re.sub(r"[()]", "", row.atoms[2]).lower() for row in rows
    ):
        return {}
    from coordgeo.contacts import centroid_hbond_values, resolve_centroid
    from coordgeo.geometry import Atom
    from coordgeo.rings import centroid_label

    groups: dict[tuple, list[int]] = {}
    for k, row in enumerate(rows):
        acceptor = row.atoms[2] if row.kind == "hbond" else ""
        # a centroid the CIF lists as a dummy site is an ordinary atom
        if (
            acceptor
            and centroid_label(acceptor) is not None
            and not structure.sites_with_label(acceptor)
        ):
            groups.setdefault((row.atoms, row.code_texts), []).append(k)
    out: dict[int, tuple] = {}
    rounded = None
    for (atoms, code_texts), ks in groups.items():
        codes_text = " ".join(t if t not in ("", "?") else "." for t in code_texts)
        published = {
            rows[k].part: rows[k].published[0] for k in ks if rows[k].published[0] is not None
        }
        resolved, why = None, ""
        try:
            ends = []
            for label, text in zip(atoms[:2], code_texts[:2], strict=True):
                sites, _, _ = label_sites(structure, label)
                if not sites:
                    raise InputError(f"unknown atom label {label!r}")
                ends.append(Atom(sites[0], parse_code(text, structure)))
            text = code_texts[2].strip()
            code = None if text == "?" or not rows[ks[0]].has_codes else parse_code(text, structure)
            resolved = resolve_centroid(structure, ends[0], ends[1], code, published)
            if resolved is None:
                why = "no ring in the structure reproduces the centroid acceptor"
        except InputError as exc:
            why = exc.message
        if resolved is None:
            for k in ks:
                out[k] = (codes_text, np.nan, np.nan, "unresolved", why)
            continue
        _, image_code, ring_atoms, note = resolved
        values, sus = centroid_hbond_values(structure, ends[0], ends[1], ring_atoms)
        if rounded is None:
            rounded = _rounded_structure(structure)
        _, rounding = centroid_hbond_values(rounded, ends[0], ends[1], ring_atoms)
        codes_text = " ".join(
            format_code(c, structure) for c in (ends[0].code, ends[1].code, image_code)
        )
        groups_of_sites = ([ends[0].site], [ends[1].site], [a.site for a in ring_atoms])
        for k in ks:
            row = rows[k]
            pub, pub_su = row.published
            if pub is None:
                reason = f"published value {row.value_text!r} is not a number"
                out[k] = (codes_text, values[row.part], sus[row.part], "unresolved", reason)
                continue
            sites = [s for g in _CENTROID_ATOMS[row.part] for s in groups_of_sites[g]]
            status, reason = judge(
                structure,
                "hbond",
                row.value_text,
                sites,
                pub,
                pub_su,
                values[row.part],
                sus[row.part],
                rounding[row.part],
            )
            reason = f"{note}; {reason}" if reason else note
            out[k] = (codes_text, values[row.part], sus[row.part], status, reason)
    return out


def judge(
    structure: Structure,
    kind: str,
    value_text: str,
    sites: list[int],
    pub: float,
    pub_su: float,
    calc: float,
    calc_su: float,
    rounding: float,
) -> tuple[str, str]:
    """Status (``ok``/``mismatch``) and reason for one recomputed value (module docstring).

    ``kind`` is ``bond``/``angle``/``torsion``/``hbond``, ``value_text`` the
    published value as printed (its decimals set the rounding term), ``sites``
    the atoms measured, ``rounding`` the su-like effect of rounded coordinates
    (:func:`rounding_effect`).
    """
    if not np.isfinite(calc):  # an angle or torsion with a bond of zero length
        return "unresolved", "the value is undefined: two of its atoms are at one position"
    half_digit = 0.5 * 10.0 ** (-decimals_of(value_text))
    diff = calc - pub
    has_su = np.isfinite(pub_su) and pub_su > 0
    tolerance = half_digit + 2.0 * rounding + 1e-9
    tolerance += 2.0 * pub_su if has_su else 2.0 * (calc_su if np.isfinite(calc_su) else 0.0)
    if abs(diff) <= tolerance:
        return "ok", ""
    scale = pub_su if has_su else (calc_su if calc_su > 0 else np.nan)
    causes = []
    riding = [
        structure.labels[s] for s in sites if structure.calc[s] and structure.elements[s] == "H"
    ]
    if riding:
        causes.append(f"riding H {', '.join(dict.fromkeys(riding))} with no su")
    # coordinates the site symmetry fixes have no su by right; only free ones count
    free = np.einsum("nii->ni", structure.site_projector) > 1e-6
    no_su = [
        structure.labels[s]
        for s in sites
        if structure.elements[s] != "H" and (free[s] & (structure.fract_su[s] == 0)).any()
    ]
    if no_su:
        causes.append(f"coordinates of {', '.join(dict.fromkeys(no_su))} printed without su")
    if kind == "torsion" and abs(calc + pub) <= tolerance:
        causes.append("opposite sign: the authors' torsion sign convention differs")
    if np.isfinite(calc_su) and calc_su < 1e-9 and not any(structure.calc[s] for s in sites):
        special = [structure.labels[s] for s in sites if structure.site_symmetry_order[s] > 1]
        causes.append(
            "the value is fixed by symmetry"
            + (f" ({', '.join(dict.fromkeys(special))} on a special position)" if special else "")
            + "; the published one was computed from coordinates off it"
        )
    elif has_su and np.isfinite(calc_su) and abs(diff) <= 2.0 * calc_su + half_digit:
        causes.append(
            f"within 2 su of the recomputed value (su {calc_su:.2g} from the coordinates): "
            "the published su is smaller than the coordinates support, as for a restrained "
            "or constrained geometry"
        )
    size = f"{abs(diff) / scale:.1f} su" if np.isfinite(scale) and scale > 0 else "no su"
    reason = f"differs by {diff:+.4g} ({size})"
    if causes:
        reason += "; " + "; ".join(causes)
    return "mismatch", reason
