"""Mapping one printed row of an SI table onto atoms and symmetry images of a structure.

Every atom of a row is read in each way the table allows (``Fe(1)`` → ``Fe1``, ``O(3B)``
→ O3 with code B when B is a legend key, else the label ``O3B``) and found among the
structure's sites (:func:`coordgeo.sitables.labels.resolve_atom`). Each letter goes
through the legend to its operator, rotation and translation as printed. When the printed
translation does not bring the atom into contact with its partner (the atom it is bonded
to in the row: the other end of a distance, the vertex of an angle, the neighbour in a
torsion), the row is ``not-a-contact``: the legend is wrong as printed, whatever was
meant. The note and the ``suggestion`` give the lattice translation of the same operator
that does make the contact (for a distance, the one nearest the published value).

An atom is *in contact* with its partner when their distance is at least
:data:`SAME_ATOM` (not the same atom) and at most r_cov + r_cov + 0.45 Å (the bond
criterion of :mod:`coordgeo.coordination`) + :data:`CONTACT_MARGIN`; for a distance row
also when it is within :data:`LONG_CONTACT` of the published distance (``Fe1…Fe2
4.994``); for angles and torsions also when it is within :data:`LONG_CONTACT` of the
nearest approach of any image of that site to the partner (second-sphere angles such as
``Fe2-Fe1-Fe2A``).

A legend operator the structure's space group lacks makes the row ``code-invalid``: the
operator of the group with the same rotation whose translation makes the contact is
suggested, in the legend's own style. :class:`RowResolver` gives, per reading of a row,
the image options to measure (:class:`Combo`); :mod:`coordgeo.sitables.validate` measures
and judges them.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coordgeo.coordination import DEFAULT_TOLERANCE
from coordgeo.elements import covalent_radius
from coordgeo.errors import InputError
from coordgeo.geometry import contacts
from coordgeo.io.sitables import SITable, operator_from_text
from coordgeo.model import Structure
from coordgeo.sitables.labels import resolve_atom
from coordgeo.sitables.operators import check_operator, format_operator, same_operator
from coordgeo.symmetry import (
    SymmetryCode,
    apply,
    code_operator,
    format_code,
    op_parts,
    operation_code,
)

__all__ = [
    "CONTACT_MARGIN",
    "LONG_CONTACT",
    "SAME_ATOM",
    "Combo",
    "Reading",
    "RowResolver",
]

CONTACT_MARGIN = 0.25  # Å beyond the bond criterion still counted as a contact
LONG_CONTACT = 0.5  # Å: a long contact is within this of the published/nearest distance
SAME_ATOM = 0.5  # Å: closer than this, two images are one atom
_MAX_OPTIONS = 256  # readings × images tried per row

_STEPS = np.array(np.meshgrid([-1, 0, 1], [-1, 0, 1], [-1, 0, 1], indexing="ij")).reshape(3, -1).T

# chain of bonded atoms in a row; the root is placed as printed, the others near their
# partner (the neighbour towards the root)
_ROOT_PREFERENCE = {2: (0, 1), 3: (1, 0, 2), 4: (1, 2, 0, 3)}

#: What the code of one atom of a row is: ("code", SymmetryCode) for an operation of the
#: space group, ("invalid", gemmi.Op | None) for a legend operator the group lacks (None:
#: unreadable), ("mate",) for a mark such as N1' that no legend key explains.
_Kind = tuple


@dataclass(frozen=True)
class Reading:
    """One way of reading one atom of a row: a site and the legend key of its code."""

    label: str
    key: str
    site: int
    rank: int
    note: str = ""
    mate: bool = False  # a mark such as N1' with no legend key: its image is searched


@dataclass
class Combo:
    """One reading of a whole row: its status before measuring, and the images to try."""

    readings: tuple[Reading, ...]
    status: str | None = None  # None: measure and judge
    options: list[tuple[SymmetryCode, ...]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    suggestion: str = ""
    best: tuple[tuple[SymmetryCode, ...], float, float] | None = None
    judged: tuple[str, str] = ("", "")

    @property
    def rank(self) -> int:
        """How far from the preferred readings this one is (0: all preferred)."""
        return sum(r.rank for r in self.readings)


@dataclass
class _Placement:
    """The images of a row placed atom by atom from the root, and what was found on the
    way: legend key → (suggestion, how, contact) for operators the group lacks; for a row
    that fails, why and the operator whose translation would make the contact."""

    partials: list[dict[int, SymmetryCode]]
    failure: str = ""
    corrected: str = ""
    found: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)


class RowResolver:
    """Resolves the rows of one table against one structure: atoms, codes and images."""

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
            code = self.code_of(op)
            if code is not None:
                self.key_of.setdefault(code, key)
        self._verdicts: dict[str, tuple[str, str | None, str]] = {}
        # the published H···A of each H-bond (its row, group and temperature): the acceptor
        # of its D–H···A angle is in contact at that distance, even when another image of
        # the acceptor's site is nearer the H (an intramolecular O1 beside the H-bond's O1^i)
        rows = table.rows
        ha = rows[rows["quantity"] == "H...A"] if len(rows) else rows
        self.hbond_ha: dict[tuple, float] = {
            self._hbond_key(r): float(r.published) for r in ha.itertuples()
        }

    # --- positions and images

    def code_of(self, op: Any) -> SymmetryCode | None:
        """The structure's code of a legend operator (None: not an operation of the group,
        or unreadable)."""
        return None if op is None else operation_code(*op_parts(op), self.s)

    def position(self, site: int, code: SymmetryCode) -> np.ndarray:
        """Cartesian position of the image ``code`` of a site."""
        return self.m @ apply(code, self.s.fract[site], self.s)

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
        """The longest distance between sites a and b still counted as a contact."""
        return float(self.radius[a] + self.radius[b] + DEFAULT_TOLERANCE + CONTACT_MARGIN)

    @staticmethod
    def _hbond_key(row: Any) -> tuple:
        """The four numbers of one printed H-bond share row, group and temperature."""
        t = float(row.temperature)
        return int(row.row), int(row.group), None if math.isnan(t) else t

    def contact_test(
        self, site: int, partner: int, point: np.ndarray, row: Any, m: int, position: int = -1
    ) -> tuple[Callable[[float], bool], float]:
        """A test d (Å) → in contact with the partner?, and the largest distance it accepts.

        ``position`` is the atom's place in the row; the acceptor (2) of a D–H···A angle is
        also in contact within :data:`LONG_CONTACT` of the row's published H···A."""
        bond = self.bond_limit(site, partner)
        if m == 2:
            pub = float(row.published)

            def near_published(d: float) -> bool:
                return d >= SAME_ATOM and (d <= bond or abs(d - pub) <= LONG_CONTACT)

            return near_published, max(bond, pub + LONG_CONTACT)
        near = [d for d, _ in self.images_near(site, point) if d >= SAME_ATOM]
        limit = max(bond, (near[0] if near else math.inf) + LONG_CONTACT)
        ha = math.nan
        if m == 3 and position == 2 and getattr(row, "quantity", "") == "D-H...A":
            ha = self.hbond_ha.get(self._hbond_key(row), math.nan)

        def within(d: float) -> bool:
            return SAME_ATOM <= d <= limit or abs(d - ha) <= LONG_CONTACT

        return within, limit if math.isnan(ha) else max(limit, ha + LONG_CONTACT)

    # --- naming

    def image_name(self, site: int, code: SymmetryCode, like: str = "x,y,z") -> str:
        """``N1``, ``N1 (A)`` when a legend key gives the code, else the operator and n_klm."""
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

    def readings(self, row: Any) -> list[list[Reading]] | str:
        """Per atom, the readings that name a site; or why an atom names none (with the
        site labels it probably means)."""
        per_atom: list[list[Reading]] = []
        tokens = tuple(getattr(row, "tokens", ()) or ())
        for position, candidates in enumerate(row.candidates):
            printed = tokens[position] if position < len(tokens) else ""
            found: list[Reading] = []
            misses = []
            coded = any(key for _, key in candidates)
            for rank, (label, key) in enumerate(candidates):
                match = resolve_atom(self.s, label, printed)
                if match.mate and coded:
                    continue  # N1#1 under a legend with #1: the legend says which image
                if not match.resolved:
                    misses.append(match)
                for site in match.sites:
                    found.append(
                        Reading(label, key, site, rank, match.note, match.mate and not key)
                    )
            if not found:
                tried = " or ".join(
                    f"{label} with code {key}" if key else label for label, key in candidates
                )
                why = "; ".join(dict.fromkeys(m.unresolved_note() for m in misses))
                return f"no atom {tried} in data_{self.s.block}: {why}"
            per_atom.append(found)
        return per_atom

    def combos(self, row: Any) -> list[Combo] | str:
        """Every reading of the row (at most 64) resolved; or why an atom names no site."""
        per_atom = self.readings(row)
        if isinstance(per_atom, str):
            return per_atom
        return [
            self.resolve(row, readings)
            for readings in itertools.islice(itertools.product(*per_atom), 64)
        ]

    def resolve(self, row: Any, readings: tuple[Reading, ...]) -> Combo:
        """The image options of one reading of a row, or the status that rules it out."""
        combo = Combo(readings)
        combo.notes.extend(r.note for r in readings if r.note)
        kinds = [self.kind_of(r) for r in readings]
        invalid = [i for i, k in enumerate(kinds) if k[0] == "invalid"]
        root = self.root(kinds)
        if root is None:  # every atom's operator is invalid: nothing to place them against
            combo.status = "code-invalid"
            self.explain_invalid(combo, readings, invalid, {})
            return combo
        placed = self.place(row, readings, kinds, root)
        if invalid:
            self.explain_invalid(combo, readings, invalid, placed.found)
        if placed.failure:
            combo.notes.append(placed.failure)
            if invalid:
                combo.status = "code-invalid"
                return combo
            combo.status = "not-a-contact"
            combo.suggestion = placed.corrected
            identity = SymmetryCode(self.s.identity_op)
            combo.options = [tuple(k[1] if k[0] == "code" else identity for k in kinds)]
            return combo
        combo.options = [tuple(p[i] for i in range(len(readings))) for p in placed.partials]
        if invalid:
            combo.status = "code-invalid"
        return combo

    def kind_of(self, reading: Reading) -> _Kind:
        """What the code of one atom is (see ``_Kind``)."""
        if reading.mate:
            return ("mate",)
        if not reading.key:
            return ("code", SymmetryCode(self.s.identity_op))
        op = self.legend_ops.get(reading.key)
        code = self.code_of(op)
        return ("invalid", op) if code is None else ("code", code)

    def root(self, kinds: list[_Kind]) -> int | None:
        """The atom placed as printed: the identity atom nearest the middle of the chain,
        else one with a valid code, else a mate (then taken as printed, the identity).
        None when every code is invalid."""
        order = _ROOT_PREFERENCE[len(kinds)]
        identity = ("code", SymmetryCode(self.s.identity_op))
        for wanted in (lambda k: k == identity, lambda k: k[0] == "code", lambda k: k[0] == "mate"):
            found = next((i for i in order if wanted(kinds[i])), None)
            if found is not None:
                if kinds[found][0] == "mate":
                    kinds[found] = identity
                return found
        return None

    def place(
        self, row: Any, readings: tuple[Reading, ...], kinds: list[_Kind], root: int
    ) -> _Placement:
        """Place the atoms outwards from the root, each near its partner (the neighbour
        towards the root), keeping at most :data:`_MAX_OPTIONS` image combinations."""
        m = len(readings)
        placed = _Placement([{root: kinds[root][1]}])
        for i in sorted(range(m), key=lambda i: abs(i - root))[1:]:
            parent = i + 1 if i < root else i - 1
            extended: list[dict[int, SymmetryCode]] = []
            info: dict[str, str] = {}
            for n, partial in enumerate(placed.partials):
                point = self.position(readings[parent].site, partial[parent])
                codes, found_here = self.candidates(row, readings, kinds, i, parent, point)
                if n == 0:  # notes come from the first placement of the partner
                    info = found_here
                extended.extend({**partial, i: c} for c in codes)
                if len(extended) > _MAX_OPTIONS:
                    break
            if not extended:
                placed.failure = info.get("failure", "")
                placed.corrected = info.get("corrected", "")
                return placed
            key = readings[i].key
            if info.get("suggestion"):
                placed.found.setdefault(key, []).append(
                    (info["suggestion"], info["how"], info["contact"])
                )
            placed.partials = extended[:_MAX_OPTIONS]
        return placed

    def explain_invalid(
        self,
        combo: Combo,
        readings: tuple[Reading, ...],
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
                    note += (
                        "; the table alone suggests the same"
                        if same_operator(table_only, suggestions[0])
                        else f"; the table alone would suggest {table_only}"
                    ) + (f" ({typo.group(1)})" if typo else "")
                combo.suggestion = combo.suggestion or suggestions[0]
            elif advice:
                note += f"; from the table alone: {advice}"
                combo.suggestion = combo.suggestion or (table_only or "")
            combo.notes.append(note)

    def candidates(
        self,
        row: Any,
        readings: tuple[Reading, ...],
        kinds: list[_Kind],
        i: int,
        parent: int,
        point: np.ndarray,
    ) -> tuple[list[SymmetryCode], dict[str, str]]:
        """Images of atom i that are in contact with its partner at ``point``, and what
        was found on the way (``suggestion``/``how``/``contact`` for a replaced operator,
        or ``failure`` and, when a lattice translation would make the contact,
        ``corrected``: that operator in the legend's style)."""
        site, partner = readings[i].site, readings[parent].site
        test, limit = self.contact_test(site, partner, point, row, len(readings), i)
        kind = kinds[i]
        if kind[0] == "code":
            return self._printed_code(row, readings[i], kind[1], partner, point, test, limit)
        if kind[0] == "mate":
            # a mark with no legend entry (N1'): its images in contact, nearest value wins
            images = [(d, c) for d, c in self.images_near(site, point) if test(d)]
            if images:
                return [c for _, c in images[:12]], {}
            failure = (
                f"no image of {self.s.labels[site]} is in contact with {self.s.labels[partner]}"
            )
            return [], {"failure": failure}
        return self._replaced_code(readings[i], kind[1], partner, point, test)

    def _printed_code(
        self,
        row: Any,
        reading: Reading,
        code: SymmetryCode,
        partner: int,
        point: np.ndarray,
        test: Callable[[float], bool],
        limit: float,
    ) -> tuple[list[SymmetryCode], dict[str, str]]:
        """An operation of the group: the image as printed when it is in contact with its
        partner; else a failure naming the lattice translation of the same operator that
        is in contact (for a distance, the one nearest the published value), if any."""
        s, site = self.s, reading.site
        label, partner_label = s.labels[site], s.labels[partner]
        d_literal = float(np.linalg.norm(self.position(site, code) - point))
        if test(d_literal):
            return [code], {}
        near = self.images_near(site, point, [code.op])
        images = [(d, c) for d, c in near if test(d)]
        printed = self.table.legend.get(reading.key, "x,y,z") if reading.key else "x,y,z"
        what = (
            f"{label} with code {reading.key} ({printed})" if reading.key else f"{label} (no code)"
        )
        where = (
            f"is {partner_label} itself (a zero distance)"
            if d_literal < SAME_ATOM
            else f"is {d_literal:.2f} Å from {partner_label}"
        )
        failure = f"not in contact: {what} {where} (contact limit {limit:.2f} Å)"
        if images:
            d, best = images[0]
            if len(row.candidates) == 2:  # a distance: the translation that gives it
                d, best = min(images, key=lambda item: abs(item[0] - float(row.published)))
            corrected = format_operator(code_operator(best, s), printed)
            shift = np.asarray(best.shift) - np.asarray(code.shift)
            failure += (
                f"; the lattice translation is wrong: {reading.key or 'the atom'} "
                f"{corrected} ({format_code(best, s)}, shifted by "
                f"({', '.join(f'{int(v):+d}' for v in shift)})) puts {label} {d:.3f} Å "
                f"from {partner_label}"
            )
            return [], {"failure": failure, "corrected": corrected if reading.key else ""}
        nearest = [d for d, _ in near if d >= SAME_ATOM]
        if nearest:
            failure += f"; its nearest lattice translation {nearest[0]:.2f} Å"
        hint = self.contact_hint(site, point, test, printed)
        if hint:
            failure += f"; in contact with {partner_label}: {hint}"
        return [], {"failure": failure}

    def _replaced_code(
        self,
        reading: Reading,
        op: Any,
        partner: int,
        point: np.ndarray,
        test: Callable[[float], bool],
    ) -> tuple[list[SymmetryCode], dict[str, str]]:
        """A legend operator the group lacks: the group's operator with the same rotation
        whose translation makes the contact (nearest the printed translation), else the
        nearest image in contact under any operator."""
        s, site = self.s, reading.site
        label, partner_label = s.labels[site], s.labels[partner]
        if op is None:
            return [], {"failure": f"legend {reading.key} cannot be read as an operator"}
        rot, tran = op_parts(op)
        same = [k for k in range(len(s.symops)) if np.array_equal(s.rotations[k], rot)]
        group = s.space_group or "the space group"
        images = [(d, c) for d, c in self.images_near(site, point, same) if test(d)]
        if images:

            def offset(item: tuple[float, SymmetryCode]) -> tuple[float, float]:
                t = s.translations[item[1].op] + np.asarray(item[1].shift, dtype=float)
                return float(np.linalg.norm(t - tran)), item[0]

            d, best = min(images, key=offset)
            how = f"the operator of {group} with this rotation whose translation brings"
        else:
            images = [(d, c) for d, c in self.images_near(site, point) if test(d)]
            if not images:
                return [], {"failure": f"no image of {label} is in contact with {partner_label}"}
            d, best = images[0]
            how = f"no operator of {group} has this rotation; the nearest image in contact brings"
        printed = self.table.legend.get(reading.key, "")
        info = {
            "suggestion": format_operator(code_operator(best, s), printed),
            "contact": f"{label} to {d:.3f} Å from {partner_label}",
            "how": f"{format_code(best, s)}: {how}",
        }
        return [best], info

    def contact_hint(
        self, site: int, point: np.ndarray, test: Callable[[float], bool], like: str
    ) -> str:
        """Up to three images of a site that are in contact with ``point``."""
        near = [(d, c) for d, c in self.images_near(site, point) if test(d)]
        return ", ".join(f"{self.image_name(site, c, like)} {d:.3f} Å" for d, c in near[:3])

    def at_distance(self, row: Any, sites: Sequence[int]) -> str:
        """Atoms at the published distance from the first atom of a distance row."""
        pub, su = float(row.published), row.published_su
        tol = max(3 * su if su > 0 else 0.0, 0.005)
        if not (math.isfinite(pub + tol) and pub > 0):  # a printed -2.08 is no distance
            return ""
        try:
            found = contacts(self.s, pub + tol, centers=[sites[0]], min_distance=SAME_ATOM)
        except InputError:  # a printed 1e300 Å: the search is refused, the hint left out
            return ""
        hits = []
        for d, j, code in zip(found.distance, found.site, found.codes(), strict=True):
            if abs(d - pub) <= tol:
                hits.append(f"{self.image_name(int(j), code)} {d:.3f} Å")
        if not hits:
            return ""
        label = self.s.labels[sites[0]]
        return f"at {row.text} Å from {label}: " + ", ".join(hits[:3])
