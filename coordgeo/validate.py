"""Validating a published SI table against the CIF(s) it was made from.

Every distance, angle, torsion and H-bond number of a table read by
:func:`coordgeo.io.sitables.read_si_tables` is mapped onto a structure and
recomputed with its su (:func:`coordgeo.geometry.measure`):

* atoms by label, through the readings sitables gives (``Fe(1)`` → ``Fe1``,
  ``O(3B)`` → O3 with code B when B is a legend key, else the label ``O3B``),
  a case-insensitive match, and the label fallbacks of :mod:`coordgeo.check`
  (parentheses, ``N1'``-style symmetry-mate marks);
* each letter through the legend to its operator. The operator fixes rotation
  and translation, but papers are sloppy about lattice translations, so when
  the printed translation does not bring the atom into contact with its
  partner (the atom it is bonded to in the row: the other end of a distance,
  the vertex of an angle, the neighbour in a torsion), the lattice translation
  of the same operator that does is used, and the note says so.

An atom is *in contact* with its partner when their distance is at least
0.5 Å (not the same atom) and at most r_cov + r_cov + 0.45 Å (the bond
criterion of :mod:`coordgeo.coordination`) + :data:`CONTACT_MARGIN`; for a
distance row also when it is within :data:`LONG_CONTACT` of the published
distance (``Fe1…Fe2 4.994``); for angles and torsions also when it is within
:data:`LONG_CONTACT` of the nearest approach of any image of that site to the
partner (second-sphere angles such as ``Fe2-Fe1-Fe2A``).

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
    :func:`coordgeo.tablecheck.check_operator` when it is no crystallographic
    operation at all) and ``suggestion`` gives the operator of the space group
    with the same rotation whose translation makes the contact, written in the
    legend's own style; ``calculated`` is the value with that operator.
``not-a-contact``
    the atoms exist and the code is an operation of the group, but no lattice
    translation of it brings the atom into contact with its partner;
    ``calculated`` is the value the printed code gives.
``unknown-atom``
    a label names no site of the structure under any reading.
``no-structure``
    no structure was matched to the row's column (see :func:`match_columns`).
``not-checked``
    the row names no atoms (an average, a Σ, a thermodynamic value): nothing to
    recompute. It does not count against the table.

:func:`validate_table` gives one row per table row and value column with the
columns :data:`COLUMNS` followed by :data:`EXTRA_COLUMNS`. Without a CIF,
:func:`check_tables` gathers what the table alone can be checked for
(:func:`coordgeo.tablecheck.check_table`, with every row of the core
reconstruction). :func:`table_from_structure` prints an SI table from a
structure in the two published layouts (tab-separated with the legend under
it, or markdown with two side-by-side groups and a ``Symmetry codes:``
sentence); the tests use it to make tables with known answers.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import gemmi
import numpy as np
import pandas as pd

from coordgeo.check import MATE_MARK, judge, label_sites, rounding_effect
from coordgeo.coordination import (
    DEFAULT_TOLERANCE,
    coordination_spheres,
    covalent_radius,
    sphere_geometry,
)
from coordgeo.errors import InputError
from coordgeo.esd import decimals_of, format_su
from coordgeo.geometry import contacts, measure
from coordgeo.io.sitables import SITable, operator_from_text, read_si_tables
from coordgeo.model import Structure
from coordgeo.symmetry import (
    SymmetryCode,
    code_operator,
    find_operator,
    format_code,
)
from coordgeo.tablecheck import check_operator, check_reconstruction, check_table
from coordgeo.tables import si_table

__all__ = [
    "COLUMNS",
    "CONTACT_MARGIN",
    "EXTRA_COLUMNS",
    "FINDING_COLUMNS",
    "LONG_CONTACT",
    "STATUSES",
    "TEMPERATURE_TOLERANCE",
    "ColumnMatch",
    "check_tables",
    "failed",
    "format_operator",
    "match_columns",
    "select_columns",
    "select_tables",
    "table_from_structure",
    "validate_document",
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

CONTACT_MARGIN = 0.25  # Å beyond the bond criterion still counted as a contact
LONG_CONTACT = 0.5  # Å: a long contact is within this of the published/nearest distance
SAME_ATOM = 0.5  # Å: closer than this, two images are one atom
TEMPERATURE_TOLERANCE = 10.0  # K between a column header and a CIF's temperature
_MAX_OPTIONS = 256  # readings × images tried per row

_RANK = {s: k for k, s in enumerate(STATUSES)}
_STEPS = np.array(np.meshgrid([-1, 0, 1], [-1, 0, 1], [-1, 0, 1], indexing="ij")).reshape(3, -1).T


# =========================================================================== columns ↔ CIFs


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
        matches = []
        for name in wanted:
            found = None
            for key, structure in structures.items():
                same_name = _column_key(key) == _column_key(name)
                t_key = _temperature_of(key)
                same_t = (
                    t_key is not None
                    and temperature[name] is not None
                    and abs(t_key - temperature[name]) < 1e-6
                )
                if same_name or same_t:
                    found = structure
                    break
            how = "named" if found is not None else "no structure was given for this column"
            matches.append(ColumnMatch(name, temperature[name], found, how))
        return matches

    given = [structures] if isinstance(structures, Structure) else list(structures)
    data_set = _data_sets(table)
    sets = list(dict.fromkeys(data_set.values()))  # in column order
    set_temperature = {d: (d[1] if d[0] == "T" else None) for d in sets}
    wanted_sets = {data_set[c] for c in wanted}
    paired: dict[tuple, tuple[Structure, str]] = {}
    used: set[int] = set()
    # 1. by temperature, nearest pairs first
    pairs = sorted(
        (abs(set_temperature[d] - s.temperature), j, i, d)  # type: ignore[operator]
        for i, d in enumerate(sets)
        for j, s in enumerate(given)
        if set_temperature[d] is not None and s.temperature is not None
    )
    for delta, j, _, d in pairs:
        if delta <= TEMPERATURE_TOLERANCE and d not in paired and j not in used:
            paired[d] = (given[j], f"by temperature ({set_temperature[d]:g} K)")
            used.add(j)
    left_sets = [d for d in sets if d not in paired]
    left = [s for j, s in enumerate(given) if j not in used]

    def compatible(d: tuple, structure: Structure) -> bool:
        t, u = set_temperature[d], structure.temperature
        return t is None or u is None or abs(t - u) <= TEMPERATURE_TOLERANCE

    # 2. what is left: in order, or the one structure to the data set(s) asked for
    if left and len(left) == len(left_sets):
        for d, structure in zip(left_sets, left, strict=True):
            if compatible(d, structure):
                paired[d] = (structure, "in the order given")
    elif len(left) == 1:
        targets = [d for d in left_sets if d in wanted_sets]
        if column is not None or all(set_temperature[d] is None for d in left_sets):
            for d in targets:
                if compatible(d, left[0]):
                    paired[d] = (left[0], "the only structure")

    matches = []
    for name in wanted:
        d = data_set[name]
        if d in paired:
            structure, how = paired[d]
            matches.append(ColumnMatch(name, temperature[name], structure, how))
            continue
        at = f" at {temperature[name]:g} K" if temperature[name] is not None else ""
        listed = ", ".join(_describe(s) for s in given) or "none"
        if not given:
            why = "no structure given"
        elif temperature[name] is not None and all(not compatible(d, s) for s in left):
            why = f"no structure{at} (given: {listed})"
        else:
            why = (
                f"nothing says which structure belongs to this column (given: {listed}); "
                "choose with --block, --column or one --cif per column"
            )
        matches.append(ColumnMatch(name, temperature[name], None, why))
    return matches


# =========================================================================== operators


def format_operator(op: gemmi.Op, like: str = "x,y,z") -> str:
    """An operator written in the style of ``like``: ``-x+1/2,y-1/2,-z+3/2`` (gemmi's) or,
    like ``1/2 - x, -1/2 + y, 2/3 - z``, constant first and spaced: ``1/2 - x, -1/2 + y,
    3/2 - z``."""
    constant_first = bool(re.search(r"(?:^|,)\s*[+-]?\s*\d[\d/.]*\s*[+-]\s*[xyzXYZ]", like))
    spaced = bool(re.search(r"\s[+-]\s", like))
    separator = ", " if re.search(r",\s", like) else ","

    def joiner(sign: str) -> str:
        return f" {sign} " if spaced else sign

    parts = []
    for row, tran in zip(op.rot, op.tran, strict=True):
        letters = ""
        for axis, coefficient in enumerate(row):
            c = coefficient // gemmi.Op.DEN
            if not c:
                continue
            term = ("" if abs(c) == 1 else str(abs(c))) + "xyz"[axis]
            if not letters:
                letters = ("-" if c < 0 else "") + term
            else:
                letters += joiner("-" if c < 0 else "+") + term
        constant = Fraction(tran, gemmi.Op.DEN)
        if constant == 0:
            parts.append(letters or "0")
        elif not letters:
            parts.append(str(constant))
        elif constant_first:
            negative = letters.startswith("-")
            parts.append(str(constant) + joiner("-" if negative else "+") + letters.lstrip("-"))
        else:
            parts.append(letters + joiner("-" if constant < 0 else "+") + str(abs(constant)))
    return separator.join(parts)


def _op_parts(op: gemmi.Op) -> tuple[np.ndarray, np.ndarray]:
    rot = np.array(op.rot, dtype=int) // gemmi.Op.DEN
    tran = np.array(op.tran, dtype=float) / gemmi.Op.DEN
    return rot, tran


# =========================================================================== row resolution


@dataclass(frozen=True)
class _Reading:
    """One way of reading one atom of a row: a site and the legend key of its code."""

    label: str
    key: str
    site: int
    rank: int
    note: str = ""
    mate: bool = False  # a mark such as N1' with no legend key: its image is searched


@dataclass
class _Combo:
    """One reading of a whole row: its status before measuring, and the images to try."""

    readings: tuple[_Reading, ...]
    status: str | None = None  # None: measure and judge
    options: list[tuple[SymmetryCode, ...]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    suggestion: str = ""
    best: tuple[tuple[SymmetryCode, ...], float, float] | None = None
    judged: tuple[str, str] = ("", "")

    @property
    def rank(self) -> int:
        return sum(r.rank for r in self.readings)


# chain of bonded atoms in a row; the root is placed as printed, the others near their
# partner (the neighbour towards the root)
_ROOT_PREFERENCE = {2: (0, 1), 3: (1, 0, 2), 4: (1, 2, 0, 3)}


class _Validator:
    """Validates the rows of one table column against one structure."""

    def __init__(self, structure: Structure, table: SITable) -> None:
        self.s = structure
        self.table = table
        self.m = structure.cell.orthogonalization
        self.frac = structure.cell.fractionalization
        self.radius = np.array([covalent_radius(e) for e in structure.elements])
        self.legend_ops = {k: operator_from_text(v) for k, v in table.legend.items()}
        # legend keys by the code they are in this structure, for hints
        self.key_of: dict[SymmetryCode, str] = {}
        for key, op in self.legend_ops.items():
            if op is None:
                continue
            found = find_operator(*_op_parts(op), structure)
            if found is not None:
                self.key_of.setdefault(SymmetryCode(found[0], found[1]), key)
        self._verdicts: dict[str, tuple[str, str | None, str]] = {}

    # --- positions and images

    def position(self, site: int, code: SymmetryCode) -> np.ndarray:
        f = (
            self.s.rotations[code.op] @ self.s.fract[site]
            + self.s.translations[code.op]
            + np.asarray(code.shift, dtype=float)
        )
        return self.m @ f

    def images_near(
        self, site: int, point: np.ndarray, ops: Sequence[int] | None = None
    ) -> list[tuple[float, SymmetryCode]]:
        """Images of a site under the given operators (all by default) near a point, with
        the lattice translations around the nearest one: (distance, code), nearest first."""
        ops = list(range(len(self.s.symops))) if ops is None else list(ops)
        if not ops:
            return []
        x = self.s.fract[site]
        y = np.einsum("kij,j->ki", self.s.rotations[ops], x) + self.s.translations[ops]
        target = self.frac @ point
        base = np.round(target - y)
        shifts = base[:, None, :] + _STEPS[None]  # (k, 27, 3)
        d = np.linalg.norm((y[:, None, :] + shifts - target) @ self.m.T, axis=-1)
        out = []
        for a, b in np.ndindex(d.shape):
            shift = tuple(int(v) for v in shifts[a, b])
            out.append((float(d[a, b]), SymmetryCode(ops[a], shift)))  # type: ignore[arg-type]
        out.sort(key=lambda item: (item[0], item[1]))
        return out

    def bond_limit(self, a: int, b: int) -> float:
        return float(self.radius[a] + self.radius[b] + DEFAULT_TOLERANCE + CONTACT_MARGIN)

    def contact_test(self, site: int, partner: int, point: np.ndarray, row, m: int):
        """A test d (Å) → in contact with the partner?, and the largest distance it accepts."""
        bond = self.bond_limit(site, partner)
        if m == 2:
            pub = float(row.published)
            limit = max(bond, pub + LONG_CONTACT)

            def test(d: float) -> bool:
                return d >= SAME_ATOM and (d <= bond or abs(d - pub) <= LONG_CONTACT)

            return test, limit
        near = [d for d, _ in self.images_near(site, point) if d >= SAME_ATOM]
        reference = near[0] if near else math.inf
        limit = max(bond, reference + LONG_CONTACT)

        def test(d: float) -> bool:
            return SAME_ATOM <= d <= limit

        return test, limit

    # --- naming

    def image_name(self, site: int, code: SymmetryCode, like: str = "x,y,z") -> str:
        label = self.s.labels[site]
        key = self.key_of.get(code)
        if code.op == self.s.identity_op and code.shift == (0, 0, 0):
            return label
        if key:
            return f"{label} ({key})"
        text = format_operator(code_operator(code, self.s), like)
        return f"{label} ({text}, {format_code(code, self.s)})"

    def operator_verdict(self, key: str) -> tuple[str, str | None, str]:
        """Why a legend entry is not an operation of this space group, from the table alone:
        (why, the table-only suggestion, the rest of :func:`check_operator`'s advice)."""
        if key in self._verdicts:  # one legend entry serves many rows
            return self._verdicts[key]
        text = self.table.legend.get(key, "")
        if self.legend_ops.get(key) is None:
            verdict: tuple[str, str | None, str] = ("it cannot be read as an operator", None, "")
        else:
            context = {k: o for k, o in self.legend_ops.items() if k != key and o is not None}
            result = check_operator(text, context)
            if result.status == "ok":
                verdict = (f"it is a {result.element}, but not one of this group", None, "")
            else:
                why, _, advice = result.note.removeprefix("invalid: ").partition(". ")
                verdict = (why, result.suggestion, advice)
        self._verdicts[key] = verdict
        return verdict

    # --- one row

    def readings(self, row) -> list[list[_Reading]] | str:
        """Per atom, the readings that name a site; or why an atom names none."""
        per_atom: list[list[_Reading]] = []
        for candidates in row.candidates:
            found: list[_Reading] = []
            for rank, (label, key) in enumerate(candidates):
                sites, note, mate = _sites_for(self.s, label)
                for site in sites:
                    found.append(_Reading(label, key, site, rank, note, mate and not key))
            if not found:
                tried = " or ".join(
                    f"{label} with code {key}" if key else label for label, key in candidates
                )
                return f"no atom {tried} in data_{self.s.block}"
            per_atom.append(found)
        return per_atom

    def combos(self, row) -> list[_Combo] | str:
        per_atom = self.readings(row)
        if isinstance(per_atom, str):
            return per_atom
        out = []
        for readings in itertools.islice(itertools.product(*per_atom), 64):
            out.append(self.resolve(row, readings))
        return out

    def resolve(self, row, readings: tuple[_Reading, ...]) -> _Combo:
        s = self.s
        m = len(readings)
        combo = _Combo(readings)
        combo.notes.extend(r.note for r in readings if r.note)
        # what each atom's code is: ('code', SymmetryCode) | ('invalid', op|None) | ('mate',)
        kinds: list[tuple] = []
        for r in readings:
            if r.mate:
                kinds.append(("mate",))
            elif not r.key:
                kinds.append(("code", SymmetryCode(s.identity_op)))
            else:
                op = self.legend_ops.get(r.key)
                found = None if op is None else find_operator(*_op_parts(op), s)
                if found is None:
                    kinds.append(("invalid", op))
                else:
                    kinds.append(("code", SymmetryCode(found[0], found[1])))
        invalid = [i for i, k in enumerate(kinds) if k[0] == "invalid"]

        order = _ROOT_PREFERENCE[m]
        identity = SymmetryCode(s.identity_op)
        root = next((i for i in order if kinds[i] == ("code", identity)), None)
        if root is None:
            root = next((i for i in order if kinds[i][0] == "code"), None)
        if root is None:
            root = next((i for i in order if kinds[i][0] == "mate"), None)
            if root is not None:
                kinds[root] = ("code", identity)
        if root is None:  # every atom's operator is invalid: nothing to place them against
            combo.status = "code-invalid"
            self.explain_invalid(combo, readings, invalid, {})
            return combo

        partials: list[dict[int, SymmetryCode]] = [{root: kinds[root][1]}]
        sequence = sorted(range(m), key=lambda i: abs(i - root))
        failure = ""
        # legend key → (suggestion, how it was found, contact it makes)
        found: dict[str, list[tuple[str, str, str]]] = {}
        # legend key → (the translation that makes the contact, its n_klm, the contact)
        moved: dict[str, list[tuple[str, str, str]]] = {}
        for i in sequence[1:]:
            parent = i + 1 if i < root else i - 1
            extended: list[dict[int, SymmetryCode]] = []
            info: dict[str, str] = {}
            for n, partial in enumerate(partials):
                point = self.position(readings[parent].site, partial[parent])
                codes, found_here = self.candidates(row, readings, kinds, i, parent, point, m)
                if n == 0:  # notes come from the first placement of the partner
                    info = found_here
                extended.extend({**partial, i: c} for c in codes)
                if len(extended) > _MAX_OPTIONS:
                    break
            if not extended:
                failure = info.get("failure", "")
                break
            key = readings[i].key
            if info.get("moved"):
                moved.setdefault(key, []).append((info["moved"], info["code"], info["contact"]))
            if info.get("suggestion"):
                found.setdefault(key, []).append((info["suggestion"], info["how"], info["contact"]))
            partials = extended[:_MAX_OPTIONS]

        for key, items in moved.items():
            printed = f"code {key} ({self.table.legend[key]})" if key else "no code"
            contacts_made = "; ".join(
                f"{contact} by {text} ({code})" for text, code, contact in items
            )
            combo.notes.append(
                f"lattice translation corrected: with {printed} the atom is not in contact; "
                + contacts_made
            )
        if invalid:
            self.explain_invalid(combo, readings, invalid, found)
        if failure:
            combo.notes.append(failure)
            if invalid:
                combo.status = "code-invalid"
                return combo
            combo.status = "not-a-contact"
            literal = tuple(k[1] if k[0] == "code" else identity for k in kinds)
            combo.options = [literal]
            return combo
        combo.options = [tuple(p[i] for i in range(m)) for p in partials]
        if invalid:
            combo.status = "code-invalid"
        return combo

    def explain_invalid(
        self,
        combo: _Combo,
        readings: tuple[_Reading, ...],
        invalid: list[int],
        found: Mapping[str, list[tuple[str, str, str]]],
    ) -> None:
        """One note per legend key this space group lacks, and the row's suggestion."""
        group = self.s.space_group or "this space group"
        for key in dict.fromkeys(readings[i].key for i in invalid):
            text = self.table.legend.get(key, "")
            why, table_only, advice = self.operator_verdict(key)
            note = f"legend {key} {text} is not an operation of {group}: {why}"
            suggestions = list(dict.fromkeys(s for s, _, _ in found.get(key, [])))
            if suggestions:
                how = found[key][0][1]
                contact = " and ".join(c for _, _, c in found[key])
                suggested = " or ".join(suggestions)
                note += f"; with the CIF: suggest {key} {suggested} ({how} {contact})"
                if table_only:
                    typo = re.search(r"a typo \(([^)]*)\)", advice)
                    same = _same_operator(table_only, suggestions[0])
                    note += (
                        "; the table alone suggests the same"
                        if same
                        else f"; the table alone would suggest {table_only}"
                    ) + (f" ({typo.group(1)})" if typo else "")
                combo.suggestion = combo.suggestion or suggestions[0]
            elif advice:
                note += f"; from the table alone: {advice}"
                combo.suggestion = combo.suggestion or (table_only or "")
            combo.notes.append(note)

    def candidates(
        self,
        row,
        readings: tuple[_Reading, ...],
        kinds: list[tuple],
        i: int,
        parent: int,
        point: np.ndarray,
        m: int,
    ) -> tuple[list[SymmetryCode], dict[str, str]]:
        """Images of atom i that are in contact with its partner at ``point``."""
        s = self.s
        site, partner = readings[i].site, readings[parent].site
        test, limit = self.contact_test(site, partner, point, row, m)
        label, partner_label = s.labels[site], s.labels[partner]
        info: dict[str, str] = {}
        kind = kinds[i]
        if kind[0] == "code":
            code = kind[1]
            d_literal = float(np.linalg.norm(self.position(site, code) - point))
            if test(d_literal):
                return [code], info
            images = [(d, c) for d, c in self.images_near(site, point, [code.op]) if test(d)]
            key = readings[i].key
            printed = self.table.legend.get(key, "x,y,z") if key else "x,y,z"
            what = f"{label} with code {key} ({printed})" if key else f"{label} (no code)"
            if images:
                d, best = images[0]
                if m == 2:  # the translation that gives the published distance
                    d, best = min(images, key=lambda item: abs(item[0] - float(row.published)))
                info["moved"] = format_operator(code_operator(best, s), printed)
                info["code"] = format_code(best, s)
                info["contact"] = f"{label} {d_literal:.2f} → {d:.3f} Å from {partner_label}"
                return [c for _, c in images], info
            nearest = [d for d, _ in self.images_near(site, point, [code.op]) if d >= SAME_ATOM]
            where = (
                f"is {partner_label} itself (a zero distance)"
                if d_literal < SAME_ATOM
                else f"is {d_literal:.2f} Å from {partner_label}"
            )
            if nearest:
                where += f"; its nearest lattice translation {nearest[0]:.2f} Å"
            hint = self.contact_hint(site, point, test, printed)
            info["failure"] = f"not in contact: {what} {where} (contact limit {limit:.2f} Å)" + (
                f"; in contact with {partner_label}: {hint}" if hint else ""
            )
            return [], info
        if kind[0] == "mate":
            # a mark with no legend entry (N1'): its images in contact, nearest value wins
            images = [(d, c) for d, c in self.images_near(site, point) if test(d)]
            if not images:
                info["failure"] = f"no image of {label} is in contact with {partner_label}"
            return [c for _, c in images[:12]], info
        # an operator this space group lacks: the group's operator with the same rotation
        # whose translation makes the contact (nearest the printed translation)
        op = kind[1]
        key = readings[i].key
        printed = self.table.legend.get(key, "")
        if op is None:
            info["failure"] = f"legend {key} cannot be read as an operator"
            return [], info
        rot, tran = _op_parts(op)
        same = [k for k in range(len(s.symops)) if np.array_equal(s.rotations[k], rot.astype(int))]
        images = [(d, c) for d, c in self.images_near(site, point, same) if test(d)]
        group = s.space_group or "the space group"
        if images:

            def offset(item: tuple[float, SymmetryCode]) -> tuple[float, float]:
                c = item[1]
                t = s.translations[c.op] + np.asarray(c.shift, dtype=float)
                return float(np.linalg.norm(t - tran)), item[0]

            d, best = min(images, key=offset)
            info["suggestion"] = format_operator(code_operator(best, s), printed)
            info["contact"] = f"{label} to {d:.3f} Å from {partner_label}"
            info["how"] = (
                f"{format_code(best, s)}: the operator of {group} with this rotation whose "
                "translation brings"
            )
            return [best], info
        images = [(d, c) for d, c in self.images_near(site, point) if test(d)]
        if images:
            d, best = images[0]
            info["suggestion"] = format_operator(code_operator(best, s), printed)
            info["contact"] = f"{label} to {d:.3f} Å from {partner_label}"
            info["how"] = (
                f"{format_code(best, s)}: no operator of {group} has this rotation; the "
                "nearest image in contact brings"
            )
            return [best], info
        info["failure"] = f"no image of {label} is in contact with {partner_label}"
        return [], info

    def contact_hint(self, site: int, point: np.ndarray, test, like: str) -> str:
        near = [(d, c) for d, c in self.images_near(site, point) if test(d)]
        names = []
        for d, c in near[:3]:
            names.append(f"{self.image_name(site, c, like)} {d:.3f} Å")
        return ", ".join(names)

    def at_distance(self, row, sites: Sequence[int]) -> str:
        """Atoms at the published distance from the first atom of a distance row."""
        pub, su = float(row.published), row.published_su
        tol = max(3 * su if su > 0 else 0.0, 0.005)
        found = contacts(self.s, pub + tol, centers=[sites[0]], min_distance=SAME_ATOM)
        hits = []
        for d, j, code in zip(found.distance, found.site, found.codes(), strict=True):
            if abs(d - pub) <= tol:
                hits.append(f"{self.image_name(int(j), code)} {d:.3f} Å")
        if not hits:
            return ""
        label = self.s.labels[sites[0]]
        return f"at {row.text} Å from {label}: " + ", ".join(hits[:3])


def _same_operator(a: str, b: str) -> bool:
    op_a, op_b = operator_from_text(a), operator_from_text(b)
    return op_a is not None and op_b is not None and op_a.triplet() == op_b.triplet()


@dataclass(frozen=True)
class _Unresolved:
    status: str
    note: str


def _sites_for(structure: Structure, label: str) -> tuple[list[int], str, bool]:
    """Sites a label from a table may mean, how it was read, and whether it marks a
    symmetry mate: check.py's fallbacks (exact, case-insensitive, parentheses, marks such
    as ``N1'``), then CIF labels that carry parentheses themselves (``P(2)`` for ``P2``
    and ``P2'``)."""
    sites, note, mate = label_sites(structure, label)
    if sites:
        return sites, note, mate

    def bare(text: str) -> str:
        return text.replace("(", "").replace(")", "").casefold()

    by_bare: dict[str, list[int]] = {}
    for i, name in enumerate(structure.labels):
        by_bare.setdefault(bare(name), []).append(i)
    found = by_bare.get(bare(label), [])
    if found:  # the same label with or without parentheses: nothing to say
        return found, "", False
    base = MATE_MARK.sub("", label)
    found = by_bare.get(bare(base), []) if base != label else []
    if found:
        return found, f"{label} read as a symmetry mate of {structure.labels[found[0]]}", True
    return [], "", False


# =========================================================================== tables


def _no_structure_records(table: SITable, rows: pd.DataFrame, match: ColumnMatch) -> list[dict]:
    return [
        _record(table, r, status="no-structure", note=f"column {match.column}: {match.how}")
        for r in rows.itertuples()
    ]


def _record(table: SITable, r, **values) -> dict:
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


def validate_table(
    table: SITable,
    structures: Mapping[str, Structure] | Structure | Sequence[Structure],
    column: str | None = None,
) -> pd.DataFrame:
    """Every number of ``table`` recomputed from the structure of its column.

    ``structures``: one structure, several (paired with the columns by temperature or
    in order, see :func:`match_columns`), or a mapping column → structure. ``column``
    restricts the validation to one column (``100 K``, ``100K`` or ``100``).
    Returns one row per table row and value column, columns :data:`COLUMNS` +
    :data:`EXTRA_COLUMNS`, column after column; statuses as in the module docstring.
    """
    records: list[dict] = []
    for match in match_columns(table, structures, column):
        rows = table.rows[table.rows["column"] == match.column]
        if match.structure is None:
            records.extend(_no_structure_records(table, rows, match))
            continue
        records.extend(_validate_rows(table, rows, match.structure))
    frame = pd.DataFrame.from_records(records, columns=COLUMNS + EXTRA_COLUMNS)
    return frame.astype({"published": float, "calculated": float, "z": float})


def _validate_rows(table: SITable, rows: pd.DataFrame, structure: Structure) -> list[dict]:
    v = _Validator(structure, table)
    # per row: its readings, or why there are none (no atoms named; an unknown label)
    prepared: list[tuple[object, list[_Combo] | _Unresolved]] = []
    for r in rows.itertuples():
        if r.kind not in ("distance", "angle", "torsion") or not r.atoms:
            reason = _Unresolved("not-checked", "names no atoms: nothing to recompute")
            prepared.append((r, reason))
            continue
        combos = v.combos(r)
        prepared.append(
            (r, _Unresolved("unknown-atom", combos) if isinstance(combos, str) else combos)
        )

    # measure every image option of every reading in one call per number of atoms
    keys: dict[int, list[tuple[int, int, int]]] = {}
    for p, (_, combos) in enumerate(prepared):
        if isinstance(combos, _Unresolved):
            continue
        for c, combo in enumerate(combos):
            for o, option in enumerate(combo.options):
                keys.setdefault(len(option), []).append((p, c, o))
    values: dict[tuple[int, int, int], tuple[float, float]] = {}
    for group in keys.values():
        sites, ops, shifts = [], [], []
        for p, c, o in group:
            combo = prepared[p][1][c]  # type: ignore[index]
            option = combo.options[o]
            sites.append([rd.site for rd in combo.readings])
            ops.append([code.op for code in option])
            shifts.append([code.shift for code in option])
        v_all, su_all = measure(
            structure, np.array(sites), np.array(ops), np.array(shifts, dtype=float)
        )
        for key, value, su in zip(group, v_all.tolist(), su_all.tolist(), strict=True):
            values[key] = (value, su)

    # the option nearest the published value, per reading; then the rounding effect
    chosen: list[tuple[int, int]] = []
    for p, (r, combos) in enumerate(prepared):
        if isinstance(combos, _Unresolved):
            continue
        for c, combo in enumerate(combos):
            if not combo.options:
                continue
            scored = []
            for o, option in enumerate(combo.options):
                value, su = values[(p, c, o)]
                value = _unwrap(r, value)
                scored.append((abs(value - float(r.published)), o, value, su, option))
            _, o, value, su, option = min(scored, key=lambda item: item[:2])
            combo.best = (option, value, su)
            chosen.append((p, c))
    rounding: dict[tuple[int, int], float] = {}
    by_size: dict[int, list[tuple[int, int]]] = {}
    for p, c in chosen:
        by_size.setdefault(len(prepared[p][1][c].readings), []).append((p, c))  # type: ignore[index]
    for group in by_size.values():
        combos = [prepared[p][1][c] for p, c in group]  # type: ignore[index]
        sites = np.array([[rd.site for rd in combo.readings] for combo in combos])
        ops = np.array([[code.op for code in combo.best[0]] for combo in combos])
        shifts = np.array([[code.shift for code in combo.best[0]] for combo in combos], float)
        for key, value in zip(group, rounding_effect(structure, sites, ops, shifts), strict=True):
            rounding[key] = float(value)

    records = []
    for p, (r, combos) in enumerate(prepared):
        if isinstance(combos, _Unresolved):
            records.append(
                _record(table, r, status=combos.status, block=structure.block, note=combos.note)
            )
            continue
        for c, combo in enumerate(combos):
            if combo.status is None and combo.best is not None:
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
                    rounding[(p, c)],
                )
                combo.status = combo.judged[0]
        best = min(
            combos,
            key=lambda cb: (
                _RANK[cb.status or "mismatch"],
                cb.rank,
                abs(cb.best[1] - float(r.published)) if cb.best else math.inf,
            ),
        )
        records.append(_finish(v, table, r, best))
    return records


def _unwrap(row, value: float) -> float:
    """A torsion of −179° is +181°: the one nearest the published value."""
    if row.kind == "torsion" and abs(value - float(row.published)) > 180:
        value -= 360.0 * math.copysign(1.0, value - float(row.published))
    return value


def _finish(v: _Validator, table: SITable, r, combo: _Combo) -> dict:
    s = v.s
    status = combo.status or "mismatch"
    notes = list(dict.fromkeys(n for n in combo.notes if n))
    preferred = r.candidates
    for position, reading in enumerate(combo.readings):
        if reading.rank > 0:
            first = preferred[position][0]
            was = f"{first[0]} with code {first[1]}" if first[1] else first[0]
            now = f"{reading.label} with code {reading.key}" if reading.key else reading.label
            notes.insert(0, f"read as {now}, not {was}")
    calculated = calculated_su = z = math.nan
    atoms = "-".join(s.labels[rd.site] for rd in combo.readings)
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
    if status in ("mismatch", "not-a-contact") and r.kind == "distance":
        hint = v.at_distance(r, [rd.site for rd in combo.readings])
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
        atoms=atoms,
        symmetry_codes=codes,
        z=z,
        suggestion=combo.suggestion if status == "code-invalid" else "",
    )


# =========================================================================== documents


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
    column: str | None = None,
    table: str | None = None,
) -> pd.DataFrame:
    """:func:`validate_table` for every geometry and H-bond table of a document.

    ``table`` picks one table (``S1``); ``column`` one column, in the tables that have it.
    Tables of other kinds (thermodynamic, CV) name no atoms and are left out.
    """
    tables = select_tables(_tables_of(source), table)
    frames = []
    for t in tables:
        if t.kind not in ("geometry", "hbond"):
            continue
        if column is not None and not select_columns(t, column):
            continue
        frames.append(validate_table(t, structures, column))
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=COLUMNS + EXTRA_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def check_tables(source: str | Path | SITable | Iterable[SITable]) -> pd.DataFrame:
    """What the tables alone can be checked for, without a CIF.

    :func:`coordgeo.tablecheck.check_table` for each table (legend operators, labels,
    duplicates, coordination angles, H-bond triangles, T½ = ΔH/ΔS, core
    reconstruction), followed by every distance and angle row of the reconstruction
    (:func:`coordgeo.tablecheck.check_reconstruction`) with its status: ``ok`` within
    2 su of the reconstructed core, ``warning`` 2–3 su, ``inconsistent`` beyond, or
    ``not-reconstructed`` and why. Columns :data:`FINDING_COLUMNS`.
    """
    frames = []
    for t in _tables_of(source):
        found = check_table(t)
        found = found[found["check"] != "reconstruction row"].assign(row=pd.NA)
        frames.append(found)
        if t.kind == "geometry":
            rows = check_reconstruction(t)
            if len(rows):
                notes = [
                    (
                        f"printed {text}, reconstructed {calc:.{decimals_of(text) + 1}f}: {note}"
                        if math.isfinite(calc)
                        else note
                    )
                    for text, calc, note in zip(
                        t.rows.loc[rows.index, "text"],
                        rows["calculated"],
                        rows["note"],
                        strict=True,
                    )
                ]
                frames.append(
                    pd.DataFrame(
                        {
                            "table": t.name,
                            "check": "reconstruction row",
                            "subject": rows["label"],
                            "column": rows["column"],
                            "row": rows["row"],
                            "status": rows["status"],
                            "note": notes,
                        }
                    )
                )
    frames = [f[FINDING_COLUMNS] for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def failed(frame: pd.DataFrame) -> bool:
    """Whether a :func:`validate_table` or :func:`check_tables` frame has rows that are not ok."""
    failing = FINDINGS_FAILING if "check" in frame.columns else FAILING
    return bool(frame["status"].isin(failing).any())


# =========================================================================== generated tables


def _parenthesised(label: str) -> str:
    """``Co1`` → ``Co(1)``, ``O1W`` → ``O(1W)`` (the seed-003 style)."""
    match = re.fullmatch(r"([A-Za-z]+)(\d.*)", label)
    return f"{match.group(1)}({match.group(2)})" if match else label


def table_from_structure(
    structure: Structure | Sequence[Structure],
    metal: str | Sequence[str] | None = None,
    layout: str = "tab",
    *,
    caption: str | None = None,
) -> str:
    """An SI table of M–L bonds and L–M–L angles printed from structure(s), as papers do.

    ``layout="tab"`` is the seed-000 layout: a temperature header (``\\t100 K\\t290 K``),
    ``Fe1-N1\\t1.994(4)`` rows, the caption under the table and one legend line per
    letter (``A -x+1,y,-z+1/2``). ``layout="markdown"`` is the seed-003 layout:
    parenthesised labels with en dashes (``| Ru(1)–O(1) | 1.988(4) | Cu(1)–O(4) |
    1.944(4) |``), sections for distances and angles, the spheres of two metals (or the
    two halves of one) side by side, and a ``Symmetry codes: A -x, 1 - y, 2 - z; …``
    sentence with constant-first operators; with several structures, one column per
    temperature instead. Several structures (one per temperature) give one column
    each; their rows are matched to the first structure's by atoms and codes.
    Values come from :func:`coordgeo.coordination.sphere_geometry` with
    :func:`coordgeo.tables.si_table` (letters in order of first use).
    """
    if layout not in ("tab", "markdown"):
        raise ValueError(f"layout must be 'tab' or 'markdown', not {layout!r}")
    given = [structure] if isinstance(structure, Structure) else list(structure)
    wanted = None if metal is None else ({metal} if isinstance(metal, str) else set(metal))

    def geometry_of(s: Structure) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        spheres = [
            sp
            for sp in coordination_spheres(s)
            if (wanted is None or s.labels[sp.metal] in wanted) and not sp.configuration
        ]
        geometry = sphere_geometry(s, spheres)
        rows, legend = si_table(s, geometry)
        return geometry, rows, legend

    def key(s: Structure, kind: str, atoms) -> tuple:
        named = [(s.labels[a.site], format_code(a.code, s)) for a in atoms]
        if kind == "bond":
            return kind, named[0], named[1]
        return kind, named[1], frozenset([named[0], named[2]])

    first = given[0]
    geometry, rows, legend = geometry_of(first)
    if rows.empty:
        raise InputError("no metal coordination sphere to print", path=first.path)
    columns: list[list[str]] = [list(rows["formatted"])]
    for other in given[1:]:
        g, r, _ = geometry_of(other)
        by_key = {
            key(other, k, a): text
            for k, a, text in zip(g["kind"], g["atoms"], r["formatted"], strict=True)
        }
        columns.append(
            [
                by_key.get(key(first, k, a), "")
                for k, a in zip(geometry["kind"], geometry["atoms"], strict=True)
            ]
        )
    temperatures = [f"{s.temperature:g} K" if s.temperature is not None else "" for s in given]
    letters = dict(zip(legend["letter"], legend["operator"], strict=True))
    if caption is None:
        at = f" at {given[0].temperature:g} K" if len(given) == 1 and given[0].temperature else ""
        caption = f"Table S1 Selected bond lengths [Å] and bond angles [°] for 1{at}."

    if layout == "tab":
        lines = ["\t" + "\t".join(temperatures)]
        for index, label in enumerate(rows["label"]):
            lines.append("\t".join([label, *(col[index] for col in columns)]))
        lines += ["", f" {caption}", ""]
        lines += [f"{letter} {op}" for letter, op in letters.items()]
        return "\n".join(lines) + "\n"

    # markdown: parenthesised labels with the letter inside (O(3B)), en dashes
    letter_of = dict(zip(legend["symmetry_code"], legend["letter"], strict=True))

    def printed(index: int) -> str:
        parts = []
        for atom in geometry["atoms"].iloc[index]:
            text = _parenthesised(first.labels[atom.site])
            letter = letter_of.get(format_code(atom.code, first), "")
            parts.append(text[:-1] + letter + ")" if text.endswith(")") else text + letter)
        return "–".join(parts)

    out = [caption, ""]
    sections = (("Selected bond distances (Å)", "bond"), ("Selected bond angles (°)", "angle"))
    if len(given) > 1:
        out.append("| | " + " | ".join(temperatures) + " |")
        out.append("|" + "---|" * (len(given) + 1))
        for title, kind in sections:
            out.append(f"| {title} |" + " |" * len(given))
            for index in np.flatnonzero(rows["kind"].to_numpy() == kind):
                cells = [printed(index), *(c[index] for c in columns)]
                out.append("| " + " | ".join(cells) + " |")
    else:
        metals = list(dict.fromkeys(rows["metal"]))
        out.append(f"| {sections[0][0]} | | | |")
        out.append("|---|---|---|---|")
        for n, (title, kind) in enumerate(sections):
            if n:
                out.append(f"| {title} | | | |")
            of_kind = np.flatnonzero(rows["kind"].to_numpy() == kind)
            if len(metals) >= 2:
                on_first = rows["metal"].to_numpy()[of_kind] == metals[0]
                left, right = of_kind[on_first], of_kind[~on_first]
            else:
                half = (len(of_kind) + 1) // 2
                left, right = of_kind[:half], of_kind[half:]
            for k in range(max(len(left), len(right))):
                cells = []
                for side in (left, right):
                    if k < len(side):
                        cells += [printed(side[k]), columns[0][side[k]]]
                    else:
                        cells += ["", ""]
                out.append("| " + " | ".join(cells) + " |")
    if letters:
        style = "1/2 - x, -1/2 + y, 3/2 - z"  # the seed-003 legend's style
        entries = [
            f"{letter} {format_operator(gemmi.Op(op), style)}" for letter, op in letters.items()
        ]
        out += ["", "Symmetry codes: " + "; ".join(entries) + "."]
    return "\n".join(out) + "\n"
