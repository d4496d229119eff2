"""Checking a published SI table on its own, without the CIF it came from.

What a table alone can be checked for:

* :func:`check_legend` — every symmetry-code legend entry must be a crystallographic
  operation. The reference is the set of every (rotation, translation mod 1) pair that
  occurs in any of gemmi's 564 tabulated settings of the 230 space groups
  (:func:`reference_operations`), so the rules (which translations a rotation may carry:
  halves along reversed axes, quarters only with d-glides/F-centring, thirds and sixths
  only with 3- and 6-fold axes of hexagonal settings …) are read off the groups, not
  guessed. An invalid entry gets the nearest valid operator, plausible typos first
  (digits of a fraction swapped ``2/3``→``3/2``, a sign slip, a dropped term), ranked by
  whether it makes the whole legend fit one space group.
* :func:`check_labels` — labels that cannot be right (``Fe1-Fe1`` with no code).
* :func:`check_duplicates` — one bond or angle quoted twice (directly or through the site
  symmetry of the metal: Fe1 on the 2-fold axis A makes Fe1–N1A the same bond as
  Fe1–N1) must agree within the su's.
* :func:`check_coordination` — per metal and column: the angles around the metal,
  completed by its site symmetry, must be realisable by unit vectors in 3-D (Gram matrix
  positive semidefinite and of rank ≤ 3 within the su's); for an octahedron with all 15
  angles the three trans angles (> 150° expected) and Σ = Σ|90 − φ| over the 12 cis angles.
* :func:`check_hbonds` — D···A from D–H, H···A and the D–H···A angle (law of cosines).
* :func:`check_thermo` — T½ = ΔH/ΔS against the printed T½, within the rounding of the
  printed numbers.
* :func:`reconstruct_cores` / :func:`check_reconstruction` — the coordination core that
  best fits the table: least squares over the Cartesian positions of the donors around the
  metal, with the metal's site symmetry (from the legend) imposed; every distance and
  angle row of the metal gets its reconstructed value and residual (calc − published)/su.
  :func:`write_core_cif` writes a fitted core as a model CIF.

Each check returns a :class:`pandas.DataFrame` with a ``status`` and a one-line ``note``
per row; :func:`check_table` gathers them. Statuses: ``ok``; ``warning`` (possible but
unusual, or a residual between 2 and 3 su); ``inconsistent`` (the numbers cannot all hold,
or a residual above 3 su); ``invalid`` (an item that cannot be right as printed);
``incomplete`` (too little in the table to check); ``not-reconstructed``.

How rows are read (site symmetry, donors). A legend operator g is taken to be in the site
symmetry of metal M when the table quotes, around M (M with no code), both an atom X and
its image Xg — ``N1-Fe1-N1A`` puts Fe1 on the 2-fold axis of A. Donors of M are the atoms
of M–X rows no longer than r_cov(M) + r_cov(X) + 0.6 Å, with their site-symmetry images.
Rows that involve atoms beyond the first sphere (``C14-N3-Fe1``, ``Fe2-Fe1-Fe2A``) are
reported ``not-reconstructed``: such an atom would enter the fit as a free point that
reproduces any printed value exactly, so those rows carry no test.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path

import gemmi
import numpy as np
import pandas as pd

from coordgeo.elements import is_metal
from coordgeo.errors import InputError
from coordgeo.esd import decimals_of
from coordgeo.io.sitables import (
    SITable,
    clean_text,
    element_of_label,
    operator_from_text,
    read_si_tables,
)
from coordgeo.model import orthogonalization_matrix


def _chi2_sf(chi2: float, dof: int) -> float:
    """P(χ² ≥ chi2) for dof degrees of freedom (scipy imported on first use: slow to load)."""
    from scipy.special import chdtrc

    return float(chdtrc(dof, chi2))


__all__ = [
    "CoreFit",
    "OperatorCheck",
    "check_coordination",
    "check_duplicates",
    "check_hbonds",
    "check_labels",
    "check_legend",
    "check_operator",
    "check_reconstruction",
    "check_table",
    "check_thermo",
    "compatible_settings",
    "describe_operation",
    "reconstruct_core",
    "reconstruct_cores",
    "reference_operations",
    "write_core_cif",
    "write_seed_cores",
]

IDENTITY = "x,y,z"
MODEL_EDGE = 30.0  # Å, model-cell edge: copies of the core stay > 15 Å apart
R_GAS = 8.314462618  # J mol⁻¹ K⁻¹
BOND_SLACK = 0.6  # Å beyond the sum of covalent radii still counted as a bond
TRANS_MIN = 150.0  # degrees; a trans angle below this is unusual for an octahedron

_Key = tuple[tuple[tuple[int, ...], ...], tuple[int, ...]]


# =========================================================================== operators


def _key(op: gemmi.Op) -> _Key:
    """(rotation, translation mod 1) of an operator, in gemmi's 1/24 units."""
    return tuple(tuple(r) for r in op.rot), tuple(t % op.DEN for t in op.tran)


@cache
def reference_operations() -> dict[_Key, tuple[str, ...]]:
    """Every (rotation, translation mod 1) pair of the tabulated settings → setting names.

    Built from ``gemmi.spacegroup_table()`` (all 230 groups in their 564 tabulated
    settings, centring translations included).
    """
    found: dict[_Key, list[str]] = {}
    for sg in gemmi.spacegroup_table():
        for op in sg.operations():
            found.setdefault(_key(op), []).append(sg.xhm())
    return {k: tuple(v) for k, v in found.items()}


@cache
def _settings() -> tuple[tuple[str, int, int, frozenset[_Key]], ...]:
    """(xhm, number, order, operator keys) of every tabulated setting."""
    out = []
    for sg in gemmi.spacegroup_table():
        keys = frozenset(_key(op) for op in sg.operations())
        out.append((sg.xhm(), sg.number, len(keys), keys))
    return tuple(out)


@cache
def _translations_of() -> dict[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]]:
    by_rotation: dict[tuple[tuple[int, ...], ...], set[tuple[int, ...]]] = {}
    for rot, tran in reference_operations():
        by_rotation.setdefault(rot, set()).add(tran)
    return {rot: tuple(sorted(t)) for rot, t in by_rotation.items()}


def compatible_settings(ops: Iterable[gemmi.Op]) -> list[str]:
    """Tabulated settings (xhm) that contain every operator (mod lattice translations).

    Ordered by group order, then space-group number.
    """
    keys = {_key(op) for op in ops}
    found = [
        (order, number, xhm) for xhm, number, order, all_keys in _settings() if keys <= all_keys
    ]
    return [xhm for _, _, xhm in sorted(found)]


def _fraction(value: float | Fraction, limit: int = 48) -> str:
    f = Fraction(value).limit_denominator(limit)
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def _vector(values: Iterable[float]) -> str:
    return "(" + ", ".join(_fraction(v) for v in values) + ")"


def _direction(vector: np.ndarray) -> str:
    """Smallest integer direction [u v w] along ``vector``."""
    v = vector / np.max(np.abs(vector))
    if v[np.flatnonzero(np.abs(v) > 1e-9)[0]] < 0:
        v = -v  # [1 1 1], not [-1 -1 -1]
    for scale in range(1, 7):
        w = v * scale
        if np.allclose(w, np.round(w), atol=1e-6):
            ints = [round(x) for x in w]
            return "[" + " ".join(str(i) for i in ints) + "]"
    return "[" + " ".join(f"{x:.2f}" for x in v) + "]"


def _rotation_order(rot: np.ndarray) -> int | None:
    power = np.eye(3)
    for n in range(1, 13):
        power = power @ rot
        if np.allclose(power, np.eye(3)):
            return n
    return None


def describe_operation(op: gemmi.Op) -> str:
    """The symmetry element of an operator in words.

    ``-x+1,y,-z+1/2`` → ``2-fold rotation axis ∥ [0 1 0] through (1/2, 0, 1/4)``.
    """
    rot = np.array(op.rot, dtype=float) / op.DEN
    t = np.array(op.tran, dtype=float) / op.DEN
    det = round(float(np.linalg.det(rot)))
    order = _rotation_order(rot)
    if order is None or abs(det) != 1:
        return f"not a crystallographic point operation (det {det}, infinite order)"
    intrinsic = sum(np.linalg.matrix_power(rot, k) for k in range(order)) @ t / order
    location = t - intrinsic
    point = np.linalg.lstsq(np.eye(3) - rot, location, rcond=None)[0]
    if order == 1:
        if np.allclose(t, 0):
            return "identity"
        return f"lattice translation {_vector(t)}"
    if det == 1:
        axis = _direction(np.linalg.eig(rot)[1][:, np.argmin(abs(np.linalg.eig(rot)[0] - 1))].real)
        kind = (
            f"{order}-fold rotation axis"
            if np.allclose(intrinsic, 0)
            else f"{order}-fold screw axis"
        )
        extra = "" if np.allclose(intrinsic, 0) else f" (screw {_vector(intrinsic)})"
        return f"{kind} ∥ {axis}{extra} through {_vector(point)}"
    if order == 2 and np.allclose(rot, -np.eye(3)):
        return f"inversion centre at {_vector(point)}"
    if order == 2:
        values, vectors = np.linalg.eig(rot)
        normal = _direction(vectors[:, np.argmin(abs(values + 1))].real)
        if np.allclose(intrinsic, 0):
            return f"mirror plane ⊥ {normal} through {_vector(point)}"
        return f"glide plane ⊥ {normal} (glide {_vector(intrinsic)}) through {_vector(point)}"
    values, vectors = np.linalg.eig(-rot)
    axis = _direction(vectors[:, np.argmin(abs(values - 1))].real)
    fold = _rotation_order(-rot)  # -3 = 1̄∘3 has matrix order 6; its rotation part has 3
    return f"-{fold} rotoinversion axis ∥ {axis}, centre at {_vector(point)}"


@dataclass(frozen=True)
class OperatorCheck:
    """The verdict on one printed symmetry operator."""

    text: str
    triplet: str | None
    status: str  # ok | invalid
    element: str
    suggestion: str | None
    note: str


# One printed term of an operator component: an optional sign and a fraction, decimal,
# integer or coordinate letter.
_TERM = re.compile(r"(?P<sign>[+\-−–]?)\s*(?P<body>\d+\s*/\s*\d+|\d*\.\d+|\d+|[xyzXYZ])")


def _typo_variants(text: str) -> list[tuple[int, str, str]]:
    """Single-edit variants of a printed operator: (priority, description, text).

    Priority 0: the digits of a fraction swapped (2/3 → 3/2); 1: a sign slip;
    2: a dropped constant or one digit of a fraction changed. Only the edited characters
    change, so the variant keeps the printed spacing.
    """
    variants = []
    for match in _TERM.finditer(text):
        sign, body = match["sign"], match["body"]
        s0, s1 = match.span("sign")
        b0, b1 = match.span("body")

        def edit(
            new_sign: str, new_body: str, s0: int = s0, s1: int = s1, b0: int = b0, b1: int = b1
        ) -> str:
            return text[:s0] + new_sign + text[s1:b0] + new_body + text[b1:]

        fraction = re.fullmatch(r"(\d+)\s*/\s*(\d+)", body)
        if fraction and int(fraction[2]) % int(fraction[1]) != 0:  # 1/3 → 3/1 is no fraction
            swapped = f"{fraction[2]}/{fraction[1]}"
            variants.append((0, f"digits swapped: {body} → {swapped}", edit(sign, swapped)))
        if sign:
            first = not text[:s0].strip() or text[:s0].rstrip().endswith(",")
            flipped = "+" if sign not in "+" else "-"
            flipped = "" if first and flipped == "+" else flipped
            variants.append(
                (1, f"sign slip: {sign}{body} → {flipped or '+'}{body}", edit(flipped, body))
            )
        else:
            variants.append((1, f"sign slip: {body} → -{body}", edit("-", body)))
        if not body.strip().isalpha():
            variants.append((2, f"term dropped: {sign}{body}", text[:s0] + text[b1:]))
        if fraction:
            p, q = int(fraction[1]), int(fraction[2])
            for new_p, new_q in sorted(
                {(p2, q) for p2 in range(1, 10)} | {(p, q2) for q2 in (2, 3, 4, 6)}
            ):
                if (new_p, new_q) != (p, q):
                    new = f"{new_p}/{new_q}"
                    variants.append((2, f"digit misread: {body} → {new}", edit(sign, new)))
    return variants


def _circular_distance(a: Sequence[int], b: Sequence[int], den: int = 24) -> float:
    d = [(x - y) % den for x, y in zip(a, b, strict=True)]
    return math.sqrt(sum(min(v, den - v) ** 2 for v in d)) / den


def _nearest_same_rotation(op: gemmi.Op) -> gemmi.Op | None:
    rot = tuple(tuple(r) for r in op.rot)
    allowed = _translations_of().get(rot)
    if not allowed:
        return None
    tran = tuple(op.tran)
    best = min(allowed, key=lambda t: _circular_distance(tran, t))
    # keep the printed lattice part: move each component by the smallest amount
    new = []
    for printed, target in zip(tran, best, strict=True):
        shift = (target - printed) % 24
        new.append(printed + (shift if shift <= 12 else shift - 24))
    return _op_from(op.rot, new)


def _op_from(rot: Sequence[Sequence[int]], tran: Sequence[int]) -> gemmi.Op:
    op = gemmi.Op()
    op.rot = [list(r) for r in rot]
    op.tran = list(tran)
    return op


def check_operator(text: str, context: Mapping[str, gemmi.Op] | None = None) -> OperatorCheck:
    """Is a printed operator a crystallographic operation? If not, the nearest one.

    ``context`` holds the other operators of the same legend (key → op): a suggestion that
    makes the whole legend fit one tabulated setting is preferred, and its note says when
    the corrected operator equals another entry up to a lattice translation.
    """
    op = operator_from_text(text)
    if op is None:
        return OperatorCheck(text, None, "invalid", "", None, "gemmi cannot read it as an operator")
    element = describe_operation(op)
    settings = reference_operations().get(_key(op))
    if settings:
        return OperatorCheck(
            text,
            op.triplet(),
            "ok",
            element,
            None,
            f"{element}; occurs in {len(settings)} tabulated settings",
        )
    rot = np.array(op.rot, dtype=float) / op.DEN
    order = _rotation_order(rot)
    rotation_ok = tuple(tuple(r) for r in op.rot) in _translations_of()
    if not rotation_ok:
        why = (
            f"rotation part is not a crystallographic point operation "
            f"(det {np.linalg.det(rot):.0f}, order {order or '∞'})"
        )
    else:
        why = (
            f"translation {_vector(np.array(op.tran) / op.DEN)} never occurs with this "
            f"rotation in any tabulated setting of the 230 space groups ({element})"
        )
    # only the valid entries of the legend can vouch for a correction
    others = [
        o
        for o in (context or {}).values()
        if o.triplet() != op.triplet() and _key(o) in reference_operations()
    ]
    candidates = []
    for priority, what, variant in _typo_variants(text):
        new = operator_from_text(variant)
        if new is None or _key(new) not in reference_operations():
            continue
        fits_legend = bool(compatible_settings([new, *others])) if others else True
        distance = _circular_distance(op.tran, new.tran) + float(new.rot != op.rot)
        candidates.append(
            (priority, not fits_legend, distance, " ".join(variant.split()), what, new)
        )
    if candidates:
        priority, misfit, _, suggestion, what, new = min(candidates, key=lambda c: c[:3])
        note = f"invalid: {why}. "
        # "almost certainly" only for a single-character slip that no other slip rivals
        rivals = {c[3] for c in candidates if c[:2] == (priority, misfit)}
        if priority <= 1 and not misfit and len(rivals) == 1:
            note += f"Almost certainly a typo ({what}); suggest {suggestion}"
        else:
            note += f"Possibly a typo ({what}); suggest {suggestion}"
        same = [
            key
            for key, other in (context or {}).items()
            if other.triplet() != op.triplet() and _key(other) == _key(new)
        ]
        if same:
            lattice = np.array(new.tran) - np.array(context[same[0]].tran)  # type: ignore[index]
            note += (
                f", which equals {same[0]} up to the lattice translation {_vector(lattice / 24)}"
            )
        if others:
            fitting = compatible_settings([new, *others])
            if fitting:
                note += f"; with it the legend fits {fitting[0]}"
        return OperatorCheck(text, op.triplet(), "invalid", element, suggestion, note)
    nearest = _nearest_same_rotation(op) if rotation_ok else None
    if nearest is not None:
        return OperatorCheck(
            text,
            op.triplet(),
            "invalid",
            element,
            nearest.triplet(),
            f"invalid: {why}. Nearest valid operator with the same rotation: {nearest.triplet()}",
        )
    return OperatorCheck(text, op.triplet(), "invalid", element, None, f"invalid: {why}")


def _legend_of(table: SITable | Mapping[str, str]) -> Mapping[str, str]:
    return table.legend if isinstance(table, SITable) else table


def check_legend(table: SITable | Mapping[str, str]) -> pd.DataFrame:
    """One row per legend entry: code, operator, triplet, element, status, suggestion, note.

    A last row (code ``*``) says whether the legend as a whole fits one tabulated setting.
    """
    legend = _legend_of(table)
    ops = {k: op for k, text in legend.items() if (op := operator_from_text(text)) is not None}
    records = []
    for key, text in legend.items():
        result = check_operator(text, {k: o for k, o in ops.items() if k != key})
        records.append(
            {
                "code": key,
                "operator": text,
                "triplet": result.triplet,
                "element": result.element,
                "status": result.status,
                "suggestion": result.suggestion,
                "note": result.note,
            }
        )
    if legend:
        fitting = compatible_settings(ops.values())
        if fitting:
            status = "ok"
            note = (
                f"all entries fit {len(fitting)} tabulated settings, e.g. {', '.join(fitting[:3])}"
            )
        else:
            status = "invalid"
            note = "no tabulated setting contains all the entries together"
            valid = [r["code"] for r in records if r["status"] == "ok"]
            fixed = [r["suggestion"] for r in records if r["status"] != "ok" and r["suggestion"]]
            without = compatible_settings(ops[k] for k in valid)
            if without and len(valid) < len(ops):
                note += f"; without the invalid entries they fit {without[0]}"
            repaired = [operator_from_text(t) for t in fixed]
            if fixed and all(repaired):
                with_fix = compatible_settings([*(ops[k] for k in valid), *repaired])  # type: ignore[list-item]
                if with_fix:
                    note += f", and with the suggested corrections {with_fix[0]}"
        records.append(
            {
                "code": "*",
                "operator": "; ".join(legend.values()),
                "triplet": None,
                "element": "",
                "status": status,
                "suggestion": None,
                "note": note,
            }
        )
    columns = ["code", "operator", "triplet", "element", "status", "suggestion", "note"]
    return pd.DataFrame.from_records(records, columns=columns)


# =========================================================================== spheres

_Image = tuple[str, str]  # (label, operator triplet) — the atom label after applying the op


@dataclass(frozen=True)
class _Sphere:
    metal: str
    site_ops: tuple[gemmi.Op, ...]  # the site group (identity first)
    site_keys: tuple[str, ...]  # legend keys whose operators are in the site group
    donors: tuple[_Image, ...]  # all donor images, closed under the site group
    rows: tuple[int, ...]  # indices into table.rows of rows centred on the metal
    has_angles: bool
    notes: tuple[str, ...] = ()  # legend operators considered and ruled out, and why


def _site_evidence_against(
    rows: pd.DataFrame,
    centred: Mapping[int, list[_Image]],
    metal: str,
    op: gemmi.Op,
    paired: set[str],
) -> str:
    """Why ``op`` cannot fix ``metal`` by the printed numbers ('' when nothing says so)."""
    image = op.triplet()
    by_atom: dict[tuple[_Image, str], tuple[float, float, str]] = {}
    for index, images in centred.items():
        row = rows.loc[index]
        if row["kind"] == "distance":
            su = _effective_su(row["published_su"], row["text"])
            by_atom[images[1], row["column"]] = (row["published"], su, row["label"])
        elif row["kind"] == "angle" and np.allclose(np.array(op.rot) / op.DEN, -np.eye(3)):
            ends = {images[0], images[2]}
            pair = any(ends == {(x, IDENTITY), (x, image)} for x in paired)
            if pair and abs(row["published"] - 180.0) > 10.0:
                return f"{row['label']} is {row['text']}°, not 180° as an inversion needs"
    for (atom, column), (value, su, label) in by_atom.items():
        if atom[1] != IDENTITY or atom[0] not in paired:
            continue
        other = by_atom.get(((atom[0], image), column))
        if other and abs(other[0] - value) > 3 * math.hypot(su, other[1]):
            return f"{label} and {other[2]} differ ({value:g} vs {other[0]:g} Å)"
    return ""


def _compose(a: gemmi.Op, b: gemmi.Op) -> gemmi.Op:
    """a∘b: apply b, then a."""
    return a.combine(b)


def _ops_of(table: SITable) -> dict[str, gemmi.Op]:
    return table.operators


def _image(label: str, code: str, ops: Mapping[str, gemmi.Op]) -> _Image:
    if not code:
        return label, IDENTITY
    op = ops.get(code)
    return label, op.triplet() if op is not None else f"?{code}"


def _act(g: gemmi.Op, image: _Image) -> _Image:
    label, triplet = image
    if triplet.startswith("?"):
        return image
    return label, _compose(g, gemmi.Op(triplet)).triplet()


def _image_name(image: _Image, ops: Mapping[str, gemmi.Op]) -> str:
    label, triplet = image
    if triplet == IDENTITY:
        return label
    for key, op in ops.items():
        if op.triplet() == triplet:
            return label + key
    return f"{label}[{triplet}]"


def _group_closure(generators: Iterable[gemmi.Op], limit: int = 48) -> list[gemmi.Op] | None:
    group = {IDENTITY: gemmi.Op(IDENTITY)}
    frontier = list(generators)
    while frontier:
        op = frontier.pop()
        if op.triplet() in group:
            continue
        group[op.triplet()] = op
        if len(group) > limit:
            return None  # no common fixed point: the operators generate translations
        frontier.extend(_compose(op, other) for other in list(group.values()))
        frontier.extend(_compose(other, op) for other in list(group.values()))
    return list(group.values())


def _is_metal(label: str) -> bool:
    element = element_of_label(label)
    return bool(element) and is_metal(element)


def _bond_limit(a: str, b: str) -> float:
    ea, eb = element_of_label(a) or "C", element_of_label(b) or "C"
    return gemmi.Element(ea).covalent_r + gemmi.Element(eb).covalent_r + BOND_SLACK


def _geometry_rows(table: SITable) -> pd.DataFrame:
    rows = table.rows
    return rows[rows["kind"].isin(["distance", "angle", "torsion"])]


def _centred(row: pd.Series, metal: str, ops: Mapping[str, gemmi.Op]) -> list[_Image] | None:
    """The row's atom images with the metal as the plain (identity) atom, or None when the
    row is not centred on this metal (distance with it at one end, angle with it at the
    vertex)."""
    atoms, codes = row["atoms"], row["codes"]
    if row["kind"] == "distance":
        positions = [i for i, a in enumerate(atoms) if a == metal]
    elif row["kind"] == "angle":
        positions = [1] if atoms[1] == metal else []
    else:
        return None
    if not positions:
        return None
    images = [_image(a, c, ops) for a, c in zip(atoms, codes, strict=True)]
    plain = [i for i in positions if images[i][1] == IDENTITY]
    if plain:
        centre = plain[0]
    else:
        centre = positions[0]
        if images[centre][1].startswith("?"):
            return None
        inverse = gemmi.Op(images[centre][1]).inverse()
        images = [_act(inverse, im) for im in images]
    if row["kind"] == "distance" and centre == 1:
        images = images[::-1]
    return images


def _spheres(table: SITable) -> dict[str, _Sphere]:
    ops = _ops_of(table)
    rows = _geometry_rows(table)
    metals = sorted({a for atoms in rows["atoms"] for a in atoms if _is_metal(a)})
    spheres = {}
    for metal in metals:
        centred = {}
        for index, row in rows.iterrows():
            images = _centred(row, metal, ops)
            if images is not None:
                centred[index] = images
        if not centred:
            continue
        # site symmetry: legend operators that take an atom quoted around the metal to
        # another atom quoted around it (N1 and N1A at Fe1)
        quoted = {im for images in centred.values() for im in images if im[0] != metal}
        self_images = {
            im[1]
            for images in centred.values()
            for im in images
            if im[0] == metal and im[1] != IDENTITY
        }
        bonded = {
            images[1][0]
            for index, images in centred.items()
            if rows.loc[index, "kind"] == "distance"
            and images[1][0] != metal
            and rows.loc[index, "published"] <= _bond_limit(metal, images[1][0])
        }
        generators, keys, notes = [], [], []
        for key, op in ops.items():
            if op.triplet() in self_images or op.triplet() == IDENTITY:
                continue
            paired = {
                label
                for label, _ in quoted
                if (label, IDENTITY) in quoted and (label, op.triplet()) in quoted
            }
            if not paired:
                continue
            # A bridged pair M(μ-X)2M' also quotes X and XA around M without M on the
            # element of A; unless every donor comes with its image, believe the
            # numbers: M–X ≠ M–XA, or X–M–XA ≠ 180° for an inversion, rule A out.
            if not bonded <= paired:
                against = _site_evidence_against(rows, centred, metal, op, paired)
                if against:
                    notes.append(f"{key} not taken as site symmetry of {metal}: {against}")
                    continue
            generators.append(op)
            keys.append(key)
        group = _group_closure(generators) or [gemmi.Op(IDENTITY)]
        if len(group) == 1:
            keys = []
        # donors: short enough M–X distance rows, with their site-symmetry images (N3A)
        donors: set[_Image] = set()
        for index, images in centred.items():
            row = rows.loc[index]
            if row["kind"] != "distance" or images[1] == (metal, IDENTITY):
                continue
            value = rows[(rows["line"] == row["line"]) & (rows["label"] == row["label"])][
                "published"
            ].min()
            if value <= _bond_limit(metal, images[1][0]):
                donors.update(_act(g, images[1]) for g in group)
        has_angles = False
        sphere_rows = []
        for index, images in centred.items():
            row = rows.loc[index]
            if row["kind"] == "distance":
                if images[1] in donors:
                    sphere_rows.append(index)
            elif images[0] in donors and images[2] in donors and images[0] != images[2]:
                sphere_rows.append(index)
                has_angles = True
        spheres[metal] = _Sphere(
            metal=metal,
            site_ops=tuple(group),
            site_keys=tuple(keys),
            donors=tuple(sorted(donors, key=lambda im: (im[0], im[1] != IDENTITY, im[1]))),
            rows=tuple(sphere_rows),
            has_angles=has_angles,
            notes=tuple(notes),
        )
    return spheres


def _canonical(
    images: Sequence[_Image], group: Sequence[gemmi.Op], ordered: bool, metal: str = ""
) -> tuple:
    """A key equal for rows the site group (and reading the label backwards) make equal.

    The metal's own images under its site group are the metal itself.
    """
    in_group = {g.triplet() for g in group}
    keys = []
    for g in group:
        moved = [_act(g, im) for im in images]
        moved = [(m, IDENTITY) if m == metal and t in in_group else (m, t) for m, t in moved]
        keys.append(tuple(min(moved, moved[::-1]) if ordered else sorted(moved)))
    return min(keys)


def _effective_su(su: float, text: str) -> float:
    """The su, or half a unit of the last printed digit when none is printed."""
    if su > 0 and math.isfinite(su):
        return float(su)
    return 0.5 * 10.0 ** (-decimals_of(text))


def _values(table: SITable, column: str, indices: Iterable[int]) -> pd.DataFrame:
    rows = table.rows.loc[list(indices)]
    return rows[rows["column"] == column]


# =========================================================================== label checks


def check_labels(table: SITable) -> pd.DataFrame:
    """Rows that cannot be right as printed, one row per problem: a label without an element,
    a code whose operator is unreadable, one atom named twice (``Fe1-Fe1``: a zero distance,
    also when the code's operator fixes the atom), an angle outside 0–180°."""
    columns = ["row", "label", "column", "status", "note"]
    if table.kind not in ("geometry", "hbond"):
        return pd.DataFrame(columns=columns)
    ops = _ops_of(table)
    spheres = _spheres(table) if table.kind == "geometry" else {}
    rows = _geometry_rows(table)
    records = []
    for (number, label), group in rows.groupby(["row", "label"], sort=True):
        first = group.iloc[0]
        atoms, codes = first["atoms"], first["codes"]
        printed = ", ".join(group["text"])

        def add(note: str, column: str = "", number: int = number, label: str = label) -> None:
            records.append((number, label, column, "invalid", note))

        for atom in atoms:
            if element_of_label(atom) is None:
                add(f"{atom}: no element symbol")
        for code in codes:
            if code and code not in ops:
                add(f"code {code}: its legend operator is unreadable")
        images = [_image(a, c, ops) for a, c in zip(atoms, codes, strict=True)]
        site = spheres[atoms[0]].site_ops if atoms[0] in spheres else (gemmi.Op(IDENTITY),)
        if first["kind"] == "distance" and any(_act(g, images[0]) == images[1] for g in site):
            others = [m for m in _related_metals(table, atoms[0]) if m != atoms[0]]
            hint = (
                f"; probably {atoms[0]}–{others[0]} (the other metal in the table)"
                if others
                else ""
            )
            how = (
                f"with code {codes[1]}, whose operator fixes {atoms[0]}"
                if codes[1]
                else "with no symmetry code"
            )
            add(f"names {atoms[0]} twice {how}: a zero distance, printed as {printed} Å{hint}")
        if first["kind"] == "angle" and images[0] == images[2]:
            add("the same atom at both ends of the angle")
        if first["kind"] == "angle":
            for row in group.itertuples():
                if not 0 < row.published <= 180:
                    add(f"{row.text}° is not an angle", row.column)
    return pd.DataFrame.from_records(records, columns=columns)


def _related_metals(table: SITable, metal: str) -> list[str]:
    """Other metals of the table, those quoted in an angle at ``metal`` first."""
    rows = _geometry_rows(table)
    near = [
        a
        for atoms, kind in zip(rows["atoms"], rows["kind"], strict=True)
        if kind == "angle" and atoms[1] == metal
        for a in (atoms[0], atoms[2])
        if a != metal and _is_metal(a)
    ]
    others = sorted({a for atoms in rows["atoms"] for a in atoms if _is_metal(a) and a != metal})
    return list(dict.fromkeys([*near, *others]))


# =========================================================================== duplicates


def check_duplicates(table: SITable) -> pd.DataFrame:
    """Pairs of rows that quote one bond or angle twice, and whether they agree.

    Two rows are the same quantity when they name the same atoms (in either order) or
    when the metal's site symmetry maps one onto the other (Fe1 on the 2-fold axis of A:
    Fe1–N1A ≡ Fe1–N1, N1–Fe1–N2A ≡ N1A–Fe1–N2). They agree when they differ by at most
    2·√(su₁² + su₂²).
    """
    columns = ["column", "rows", "labels", "values", "difference", "tolerance", "status", "note"]
    if table.kind != "geometry":
        return pd.DataFrame(columns=columns)
    ops = _ops_of(table)
    spheres = _spheres(table)
    rows = _geometry_rows(table)
    keyed: dict[tuple, list[int]] = {}
    for index, row in rows.iterrows():
        images = [_image(a, c, ops) for a, c in zip(row["atoms"], row["codes"], strict=True)]
        group: Sequence[gemmi.Op] = (gemmi.Op(IDENTITY),)
        centre = ""
        for metal, sphere in spheres.items():
            centred = _centred(row, metal, ops)
            if centred is not None:
                images, group, centre = centred, sphere.site_ops, metal
                break
        ordered = row["kind"] != "distance"
        key = (row["column"], row["kind"], _canonical(images, group, ordered, centre))
        keyed.setdefault(key, []).append(index)
    records = []
    for (column, _, _), indices in keyed.items():
        if len(indices) < 2:
            continue
        for i, j in itertools.combinations(indices, 2):
            a, b = rows.loc[i], rows.loc[j]
            su_a = _effective_su(a["published_su"], a["text"])
            su_b = _effective_su(b["published_su"], b["text"])
            difference = float(b["published"] - a["published"])
            tolerance = 2 * math.hypot(su_a, su_b)
            agree = abs(difference) <= tolerance
            records.append(
                {
                    "column": column,
                    "rows": (int(a["row"]), int(b["row"])),
                    "labels": f"{a['label']} / {b['label']}",
                    "values": f"{a['text']} / {b['text']}",
                    "difference": difference,
                    "tolerance": tolerance,
                    "status": "ok" if agree else "inconsistent",
                    "note": (
                        f"{a['label']} and {b['label']} are the same "
                        f"{a['kind']} and {'agree' if agree else 'disagree'}: "
                        f"{a['text']} vs {b['text']} (Δ = {difference:+.4g}, 2σ = {tolerance:.2g})"
                    ),
                }
            )
    return pd.DataFrame.from_records(records, columns=columns)


# =========================================================================== coordination


def _angle_table(
    table: SITable, sphere: _Sphere, column: str
) -> dict[tuple, tuple[float, float, int]]:
    """Canonical donor pair → (angle, su, row) for one column."""
    ops = _ops_of(table)
    known: dict[tuple, tuple[float, float, int]] = {}
    for index, row in _values(table, column, sphere.rows).iterrows():
        if row["kind"] != "angle":
            continue
        images = _centred(row, sphere.metal, ops)
        assert images is not None
        key = _canonical([images[0], images[2]], sphere.site_ops, ordered=False)
        su = _effective_su(row["published_su"], row["text"])
        known.setdefault(key, (float(row["published"]), su, index))
    return known


def _octahedron(
    donors: Sequence[_Image],
    angle: dict[tuple[int, int], float],
    su: dict[tuple[int, int], float],
    multiplicity: Mapping[tuple[int, int], tuple],
) -> tuple[list[tuple[int, int]], float, float]:
    """Trans pairs (best perfect matching), Σ and its su for six donors."""
    best: tuple[float, list[tuple[int, int]]] | None = None
    for matching in _perfect_matchings(list(range(len(donors)))):
        total = sum(angle[p] for p in matching)
        if best is None or total > best[0]:
            best = (total, matching)
    assert best is not None
    trans = best[1]
    cis = [p for p in angle if p not in trans]
    sigma = sum(abs(90.0 - angle[p]) for p in cis)
    # symmetry-equivalent angles are one printed number: their errors add linearly
    by_source: dict[tuple, float] = {}
    for p in cis:
        by_source[multiplicity[p]] = by_source.get(multiplicity[p], 0.0) + su[p]
    sigma_su = math.sqrt(sum(v * v for v in by_source.values()))
    return trans, sigma, sigma_su


def _perfect_matchings(items: list[int]) -> Iterable[list[tuple[int, int]]]:
    if not items:
        yield []
        return
    first = items[0]
    for k in range(1, len(items)):
        pair = (first, items[k])
        rest = items[1:k] + items[k + 1 :]
        for matching in _perfect_matchings(rest):
            yield [pair, *matching]


def check_coordination(table: SITable) -> pd.DataFrame:
    """Angles around each metal, per column: completeness, Gram-matrix test, trans angles, Σ.

    With n donors and all n(n−1)/2 angles known (printed, or equal to a printed one by
    the site symmetry), G_ij = cos φ_ij must be the Gram matrix of n unit vectors in 3-D:
    positive semidefinite and of rank ≤ 3. Both are tested against a tolerance
    ‖E‖_F with E_ij = 2 sin φ_ij σ(φ_ij) (eigenvalues move by at most ‖E‖, Weyl).
    For six donors, the trans pairs are the perfect matching with the largest angles and
    Σ = Σ_cis |90° − φ| (McCusker et al., Inorg. Chem. 1996, 35, 2100) with su from the
    printed su's (equal angles counted once, with their multiplicity).
    """
    columns = [
        "metal", "column", "temperature", "site_symmetry", "n_donors", "donors",
        "angles_known", "angles_needed", "sigma", "sigma_su", "trans_angles",
        "gram_min", "gram_rank3", "gram_tolerance", "status", "note",
    ]  # fmt: skip
    if table.kind != "geometry":
        return pd.DataFrame(columns=columns)
    ops = _ops_of(table)
    records = []
    for metal, sphere in _spheres(table).items():
        donors = list(sphere.donors)
        names = [_image_name(d, ops) for d in donors]
        n = len(donors)
        for column, temperature in zip(table.columns, table.temperatures, strict=True):
            known = _angle_table(table, sphere, column)
            angle, su, source = {}, {}, {}
            for i, j in itertools.combinations(range(n), 2):
                key = _canonical([donors[i], donors[j]], sphere.site_ops, ordered=False)
                if key in known:
                    angle[i, j], su[i, j], source[i, j] = known[key][0], known[key][1], key
            record = {
                "metal": metal,
                "column": column,
                "temperature": temperature,
                "site_symmetry": "".join(sphere.site_keys),
                "n_donors": n,
                "donors": " ".join(names),
                "angles_known": len(angle),
                "angles_needed": n * (n - 1) // 2,
                "sigma": math.nan,
                "sigma_su": math.nan,
                "trans_angles": "",
                "gram_min": math.nan,
                "gram_rank3": math.nan,
                "gram_tolerance": math.nan,
            }
            printed = len(known)
            caveat = "; ".join(sphere.notes)
            if n < 2 or len(angle) < n * (n - 1) // 2:
                missing = n * (n - 1) // 2 - len(angle)
                records.append(
                    record
                    | {
                        "status": "incomplete",
                        "note": (
                            f"{metal}: {n} donors, {printed} angles printed, "
                            f"{len(angle)} of {n * (n - 1) // 2} known with the site symmetry; "
                            f"{missing} missing" + (f"; {caveat}" if caveat else "")
                        ),
                    }
                )
                continue
            gram = np.eye(n)
            error = np.zeros((n, n))
            for (i, j), value in angle.items():
                gram[i, j] = gram[j, i] = math.cos(math.radians(value))
                error[i, j] = error[j, i] = (
                    2 * math.sin(math.radians(value)) * math.radians(su[i, j])
                )
            eigen = np.sort(np.linalg.eigvalsh(gram))[::-1]
            tolerance = float(np.linalg.norm(error))
            rank3 = float(np.max(np.abs(eigen[3:]))) if n > 3 else 0.0
            record |= {
                "gram_min": float(eigen[-1]),
                "gram_rank3": rank3,
                "gram_tolerance": tolerance,
            }
            notes, status = [], "ok"
            if eigen[-1] < -tolerance:
                status = "inconsistent"
                notes.append(
                    f"angles not realisable by unit vectors (Gram eigenvalue {eigen[-1]:.3f})"
                )
            elif rank3 > tolerance:
                status = "inconsistent"
                notes.append(
                    f"angles need more than 3 dimensions (4th Gram eigenvalue {rank3:.3f})"
                )
            if n == 6:
                trans, sigma, sigma_su = _octahedron(donors, angle, su, source)
                trans_values = [angle[p] for p in trans]
                record |= {
                    "sigma": sigma,
                    "sigma_su": sigma_su,
                    "trans_angles": ", ".join(
                        f"{names[i]}-{metal}-{names[j]} {angle[i, j]:.1f}" for i, j in trans
                    ),
                }
                notes.append(f"Σ = {sigma:.1f}({max(1, round(sigma_su * 10))})°")
                low = [v for v in trans_values if v < TRANS_MIN]
                if low and status == "ok":
                    status = "warning"
                    notes.append(f"trans angle {min(low):.1f}° < {TRANS_MIN:.0f}°")
                else:
                    notes.append(f"trans angles {min(trans_values):.1f}–{max(trans_values):.1f}°")
            if status == "ok":
                notes.insert(
                    0, f"{n} donors, all {len(angle)} angles ({printed} printed) consistent"
                )
            records.append(record | {"status": status, "note": "; ".join([*notes, *sphere.notes])})
    return pd.DataFrame.from_records(records, columns=columns)


# =========================================================================== H-bonds


def check_hbonds(table: SITable) -> pd.DataFrame:
    """D···A against √(d² + h² − 2dh cos θ) from D–H = d, H···A = h, angle θ.

    The tolerance adds, linearly, the effect of the su (or rounding half-unit) of each of
    d, h, θ, plus twice the su of the printed D···A.
    """
    columns = ["row", "label", "d_a", "d_a_calc", "tolerance", "status", "note"]
    if table.kind != "hbond":
        return pd.DataFrame(columns=columns)
    records = []
    for (row, label), group in table.rows.groupby(["row", "label"], sort=True):
        values = {q: r for q, r in zip(group["quantity"], group.itertuples(), strict=True)}
        if not {"D-H", "H...A", "D...A", "D-H...A"} <= set(values):
            continue
        d, h, a = (values[q].published for q in ("D-H", "H...A", "D-H...A"))
        s_d, s_h, s_a, s_da = (
            _effective_su(values[q].published_su, values[q].text)
            for q in ("D-H", "H...A", "D-H...A", "D...A")
        )
        theta = math.radians(a)
        calc = math.sqrt(d * d + h * h - 2 * d * h * math.cos(theta))
        tolerance = (
            abs(d - h * math.cos(theta)) / calc * s_d
            + abs(h - d * math.cos(theta)) / calc * s_h
            + d * h * math.sin(theta) / calc * math.radians(s_a)
            + 2 * s_da
        )
        printed = values["D...A"].published
        ok = abs(calc - printed) <= tolerance
        records.append(
            {
                "row": row,
                "label": label,
                "d_a": printed,
                "d_a_calc": calc,
                "tolerance": tolerance,
                "status": "ok" if ok else "inconsistent",
                "note": (
                    f"D···A from D–H, H···A and the angle: {calc:.3f} Å vs printed "
                    f"{values['D...A'].text} ({'agrees' if ok else 'disagrees'}, ±{tolerance:.3f})"
                ),
            }
        )
    return pd.DataFrame.from_records(records, columns=columns)


# =========================================================================== thermodynamics


_ENERGY = {"kJ/mol": 1000.0, "J/mol": 1.0}
_ENTROPY = {"J/(mol K)": 1.0, "kJ/(mol K)": 1000.0}


def check_thermo(table: SITable) -> pd.DataFrame:
    """T½ = ΔH/ΔS (ΔH in kJ mol⁻¹ → J mol⁻¹) against the printed T½, for each compound.

    The printed numbers are rounded: each lies within half a unit of its last digit. ΔH/ΔS
    then lies in [(ΔH−h)/(ΔS+s), (ΔH+h)/(ΔS−s)] and the true T½ within half a unit of
    the printed one; the row is ``ok`` when the two intervals overlap. So 15.42/84.49 →
    182.51 K (182.44–182.58 K) is ``ok`` against a printed 182 K (181.5–182.5 K): a
    value between 182.44 and 182.5 K is consistent with all three printed numbers.
    Γ (Slichter–Drickamer cooperativity) is compared with 2RT½: above it the model gives
    a first-order transition with hysteresis, below it a gradual one.
    """
    columns = [
        "compound", "delta_h", "delta_s", "t_half", "t_half_calc", "t_half_calc_min",
        "t_half_calc_max", "gamma", "status", "note",
    ]  # fmt: skip
    if table.kind != "thermo":
        return pd.DataFrame(columns=columns)
    records = []
    for (_, compound), group in table.rows.groupby(["row", "label"], sort=True):
        got = {q: r for q, r in zip(group["quantity"], group.itertuples(), strict=True)}
        if not {"delta_h", "delta_s", "t_half"} <= set(got):
            continue
        dh, ds, th = got["delta_h"], got["delta_s"], got["t_half"]
        e_factor = _ENERGY.get(dh.unit, 1000.0)
        s_factor = _ENTROPY.get(ds.unit, 1.0)
        h, s, t = (_effective_su(r.published_su, r.text) for r in (dh, ds, th))
        h_j, s_j = dh.published * e_factor, ds.published * s_factor
        calc = h_j / s_j
        low = (dh.published - h) * e_factor / ((ds.published + s) * s_factor)
        high = (dh.published + h) * e_factor / ((ds.published - s) * s_factor)
        overlap = low <= th.published + t and high >= th.published - t
        note = (
            f"ΔH/ΔS = {dh.text} kJ mol⁻¹ / {ds.text} J mol⁻¹ K⁻¹ = {calc:.2f} K "
            f"({low:.2f}–{high:.2f} K from the rounding) vs printed {th.text} K "
            f"({th.published - t:g}–{th.published + t:g} K): "
        )
        if overlap and abs(calc - th.published) <= t:
            note += "agrees"
        elif overlap:
            note += "agrees only at the edge of the rounding"
        else:
            note += "disagrees"
        gamma = math.nan
        if "gamma" in got:
            gamma = got["gamma"].published
            critical = 2 * R_GAS * th.published / 1000.0
            g_kj = gamma * _ENERGY.get(got["gamma"].unit, 1000.0) / 1000.0
            note += (
                f"; Γ = {got['gamma'].text} kJ mol⁻¹ {'>' if g_kj > critical else '<'} 2RT½ = "
                f"{critical:.2f} kJ mol⁻¹: "
                + ("abrupt, with hysteresis" if g_kj > critical else "gradual, no hysteresis")
                + " (Slichter–Drickamer)"
            )
        records.append(
            {
                "compound": compound,
                "delta_h": dh.published,
                "delta_s": ds.published,
                "t_half": th.published,
                "t_half_calc": calc,
                "t_half_calc_min": low,
                "t_half_calc_max": high,
                "gamma": gamma,
                "status": "ok" if overlap else "inconsistent",
                "note": note,
            }
        )
    return pd.DataFrame.from_records(records, columns=columns)


# =========================================================================== reconstruction


@dataclass(frozen=True, eq=False)
class CoreFit:
    """A coordination core reconstructed from one column of a table.

    ``positions`` are Cartesian (Å) in the model cell's frame, relative to the metal, one
    row per entry of ``labels`` (the asymmetric donors; their site-symmetry images follow
    from ``site_ops``). ``rows`` has one row per distance/angle row of the metal:
    published value, reconstructed value, residual (calc − published)/su, redundancy
    (1 − leverage: the share of the row that other rows check; 0 for a row nothing else
    constrains), normalised residual (residual/√redundancy), status and note.
    """

    table: str
    source: str | None
    compound: str | None
    metal: str
    column: str
    temperature: float | None
    site_keys: tuple[str, ...]
    site_ops: tuple[str, ...]
    labels: tuple[str, ...]
    elements: tuple[str, ...]
    positions: np.ndarray
    cell: tuple[float, float, float, float, float, float]
    rows: pd.DataFrame
    chi2: float
    dof: int
    status: str
    note: str

    @property
    def p_value(self) -> float:
        """P(χ² ≥ observed) for ``dof`` degrees of freedom (nan when dof = 0)."""
        return _chi2_sf(self.chi2, self.dof) if self.dof > 0 else math.nan

    def __repr__(self) -> str:
        return (
            f"CoreFit({self.table} {self.metal} {self.column}: χ² = {self.chi2:.3g} for "
            f"{self.dof} dof, {self.status})"
        )


def _model_metric(site_ops: Sequence[gemmi.Op]) -> tuple[float, float, float, float, float, float]:
    """Cell parameters (edges ≥ MODEL_EDGE) of a lattice the site operations are isometries of.

    The metric is the group average G = Σ Rᵀ R of the identity metric, which every R keeps.
    """
    rotations = [np.array(op.rot, dtype=float) / op.DEN for op in site_ops]
    metric = sum(r.T @ r for r in rotations) / len(rotations)
    edges = np.sqrt(np.diag(metric))
    scale = MODEL_EDGE / edges.min()
    a, b, c = edges * scale
    cosines = [
        metric[1, 2] / (edges[1] * edges[2]),
        metric[0, 2] / (edges[0] * edges[2]),
        metric[0, 1] / (edges[0] * edges[1]),
    ]
    alpha, beta, gamma = (math.degrees(math.acos(max(-1.0, min(1.0, x)))) for x in cosines)
    return (float(a), float(b), float(c), round(alpha, 6), round(beta, 6), round(gamma, 6))


def _angle(u: np.ndarray, v: np.ndarray) -> float:
    cosine = float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))
    return math.degrees(math.acos(max(-1.0, min(1.0, cosine))))


def reconstruct_core(
    table: SITable, metal: str, column: str, *, starts: int = 32, seed: int = 0
) -> CoreFit:
    """Least-squares coordination core of ``metal`` from one column of a geometry table.

    Parameters are the Cartesian positions (relative to the metal) of one donor per orbit
    of the site group; the others are their images, so the site symmetry holds exactly
    (Fe1 on the 2-fold axis of ``-x+1,y,-z+1/2``: N1A = 2_y(N1)). Residuals are
    (calc − published)/su for every M–L distance and L–M–L angle row of the metal
    (su = half a unit of the last digit when none is printed). The best of ``starts``
    random starts (fixed ``seed``) is kept. Degrees of freedom = rows − rank of the
    Jacobian (rotations that commute with the site group are not parameters).
    Raises InputError when the metal has no such rows in that column.
    """
    if table.kind != "geometry":
        raise InputError(f"{table.name} is not a table of distances and angles", path=table.source)
    sphere = _spheres(table).get(metal)
    if sphere is None or not sphere.rows:
        raise InputError(
            f"{table.name} has no distance or angle rows around {metal}", path=table.source
        )
    if column not in table.columns:
        raise InputError(f"{table.name} has no column {column!r}", path=table.source)
    ops = _ops_of(table)
    cell = _model_metric(sphere.site_ops)
    ortho = orthogonalization_matrix(cell)
    frac = np.linalg.inv(ortho)
    cart_ops = {
        op.triplet(): ortho @ (np.array(op.rot, dtype=float) / op.DEN) @ frac
        for op in sphere.site_ops
    }
    # one free point per donor orbit; every donor image is (representative, site op)
    representative: dict[_Image, tuple[int, str]] = {}
    labels: list[_Image] = []
    for donor in sphere.donors:
        if donor in representative:
            continue
        labels.append(donor)
        for g in sphere.site_ops:
            representative.setdefault(_act(g, donor), (len(labels) - 1, g.triplet()))

    data = _values(table, column, sphere.rows)
    observations = []
    for index, row in data.iterrows():
        images = _centred(row, metal, ops)
        assert images is not None
        su = _effective_su(row["published_su"], row["text"])
        others = [images[1]] if row["kind"] == "distance" else [images[0], images[2]]
        observations.append((index, row["kind"], others, float(row["published"]), su))
    if not observations:
        raise InputError(
            f"{table.name} has no rows around {metal} in column {column!r}", path=table.source
        )

    distance_of = {
        im: value for _, kind, ims, value, _ in observations if kind == "distance" for im in ims
    }

    # vectorised model: image positions = R_g · (free point k); residuals on arrays
    images = list(representative)
    slot = {im: i for i, im in enumerate(images)}
    image_point = np.array([representative[im][0] for im in images])
    image_rot = np.array([cart_ops[representative[im][1]] for im in images])
    is_distance = np.array([kind == "distance" for _, kind, _, _, _ in observations])
    first = np.array([slot[ims[0]] for _, _, ims, _, _ in observations])
    second = np.array([slot[ims[-1]] for _, _, ims, _, _ in observations])
    published = np.array([value for _, _, _, value, _ in observations])
    sus = np.array([su for _, _, _, _, su in observations])

    def positions(p: np.ndarray) -> np.ndarray:
        return np.einsum("nij,nj->ni", image_rot, p.reshape(-1, 3)[image_point])

    def residuals(p: np.ndarray) -> np.ndarray:
        pos = positions(p)
        u, v = pos[first], pos[second]
        nu, nv = np.linalg.norm(u, axis=1), np.linalg.norm(v, axis=1)
        cosine = np.clip(np.einsum("ni,ni->n", u, v) / (nu * nv), -1.0, 1.0)
        calc = np.where(is_distance, nu, np.degrees(np.arccos(cosine)))
        return (calc - published) / sus

    def jacobian(p: np.ndarray) -> np.ndarray:
        pos = positions(p)
        u, v = pos[first], pos[second]
        nu, nv = np.linalg.norm(u, axis=1), np.linalg.norm(v, axis=1)
        cosine = np.clip(np.einsum("ni,ni->n", u, v) / (nu * nv), -1.0, 1.0)
        sine = np.maximum(np.sqrt(1.0 - cosine**2), 1e-9)
        # d|u|/du = u/|u|;  dθ/du = −(v/(|u||v|) − cos θ·u/|u|²)/sin θ (in degrees)
        scale = np.degrees(-1.0 / sine)[:, None]
        d_u = np.where(
            is_distance[:, None],
            u / nu[:, None],
            scale * (v / (nu * nv)[:, None] - cosine[:, None] * u / (nu**2)[:, None]),
        )
        d_v = np.where(
            is_distance[:, None],
            0.0,
            scale * (u / (nu * nv)[:, None] - cosine[:, None] * v / (nv**2)[:, None]),
        )
        jac = np.zeros((len(published), p.size))
        rows = np.arange(len(published))
        for which, grad in ((first, d_u), (second, d_v)):
            # chain rule through the image: d(R·x)/dx = R, so the gradient is Rᵀ·grad
            back = np.einsum("nji,nj->ni", image_rot[which], grad)
            for axis in range(3):
                np.add.at(jac, (rows, 3 * image_point[which] + axis), back[:, axis])
        return jac / sus[:, None]

    rng = np.random.default_rng(seed)
    best = None
    for _ in range(starts):
        start = []
        for donor in labels:
            direction = rng.normal(size=3)
            start.extend(direction / np.linalg.norm(direction) * distance_of.get(donor, 2.0))
        from scipy.optimize import least_squares  # imported here: slow, and only fits need it

        fit = least_squares(
            residuals, np.array(start), jac=jacobian, method="trf", xtol=1e-12, ftol=1e-12
        )
        if best is None or fit.cost < best.cost - 1e-12:
            best = fit
    assert best is not None
    r = residuals(best.x)
    jac = jacobian(best.x)
    u, singular, _ = np.linalg.svd(jac, full_matrices=False)
    rank = int(np.sum(singular > 1e-6 * singular[0])) if singular.size else 0
    leverage = np.sum(u[:, :rank] ** 2, axis=1)
    redundancy = np.clip(1.0 - leverage, 0.0, 1.0)
    chi2 = float(np.sum(r**2))
    dof = len(observations) - rank

    pos = dict(zip(images, positions(best.x), strict=True))
    records = []
    for (index, kind, _, value, su), res, red in zip(observations, r, redundancy, strict=True):
        row = data.loc[index]
        calc = value + res * su
        normalised = res / math.sqrt(red) if red > 1e-6 else math.nan
        status = "ok" if abs(res) <= 2 else ("warning" if abs(res) <= 3 else "inconsistent")
        if red < 0.01 and abs(res) < 0.01:
            note = "reproduced exactly: no other row constrains it"
        else:
            note = f"{res:+.2f} su ({red:.0%} checked by other rows)"
        records.append(
            {
                "row": int(row["row"]),
                "label": row["label"],
                "column": column,
                "kind": kind,
                "metal": metal,
                "published": value,
                "published_su": row["published_su"],
                "calculated": calc,
                "residual": float(res),
                "redundancy": float(red),
                "normalised_residual": float(normalised),
                "status": status,
                "note": note,
            }
        )
    rows = pd.DataFrame.from_records(records, index=[o[0] for o in observations])
    p_value = _chi2_sf(chi2, dof) if dof > 0 else math.nan
    worst = rows.loc[rows["residual"].abs().idxmax()]
    if (rows["status"] == "inconsistent").any() or (dof > 0 and p_value < 1e-3):
        status = "inconsistent"
        # the outlier test statistic; a row nothing else checks can still be impossible
        score = rows["normalised_residual"].abs().fillna(rows["residual"].abs())
        suspect = rows.loc[score.idxmax()]
        note = (
            f"the rows cannot all hold: χ² = {chi2:.1f} for {dof} dof (p = {p_value:.1g}); "
            f"most likely misprinted: {suspect['label']} ({suspect['residual']:+.1f} su)"
        )
    elif (rows["status"] == "warning").any():
        status = "warning"
        note = (
            f"χ² = {chi2:.2f} for {dof} dof; "
            f"largest residual {worst['label']} {worst['residual']:+.1f} su"
        )
    else:
        status = "ok"
        if dof > 0:
            note = (
                f"all rows reproduced within 2 su: χ² = {chi2:.2f} for {dof} dof "
                f"(p = {p_value:.2f})"
            )
        else:
            note = "all rows reproduced, but the table does not over-determine the core (0 dof)"
    asym = [_image_name(im, ops) for im in labels]
    return CoreFit(
        table=table.name,
        source=table.source,
        compound=table.compound,
        metal=metal,
        column=column,
        temperature=table.temperatures[table.columns.index(column)],
        site_keys=sphere.site_keys,
        site_ops=tuple(op.triplet() for op in sphere.site_ops),
        labels=tuple(asym),
        elements=tuple(element_of_label(im[0]) or "X" for im in labels),
        positions=np.array([pos[im] for im in labels]),
        cell=cell,
        rows=rows,
        chi2=chi2,
        dof=dof,
        status=status,
        note=note,
    )


def reconstruct_cores(table: SITable) -> list[CoreFit]:
    """Fits for every metal with at least one L–M–L angle row, for every column."""
    if table.kind != "geometry":
        return []
    fits = []
    for metal, sphere in _spheres(table).items():
        if not sphere.has_angles:
            continue
        for column in table.columns:
            if len(_values(table, column, sphere.rows)):
                fits.append(reconstruct_core(table, metal, column))
    return fits


def check_reconstruction(table: SITable, fits: Sequence[CoreFit] | None = None) -> pd.DataFrame:
    """Every geometry row of the table: its reconstructed value and residual, or the
    reason it is ``not-reconstructed``."""
    columns = [
        "row", "label", "column", "kind", "metal", "published", "published_su", "calculated",
        "residual", "redundancy", "normalised_residual", "status", "note",
    ]  # fmt: skip
    if table.kind != "geometry":
        return pd.DataFrame(columns=columns)
    fits = reconstruct_cores(table) if fits is None else fits
    spheres = _spheres(table)
    done = {index: f for fit in fits for index, f in fit.rows.iterrows()}
    ops = _ops_of(table)
    records = []
    for index, row in _geometry_rows(table).iterrows():
        if index in done:
            records.append(done[index].to_dict())
            continue
        records.append(
            {
                "row": int(row["row"]),
                "label": row["label"],
                "column": row["column"],
                "kind": row["kind"],
                "metal": "",
                "published": row["published"],
                "published_su": row["published_su"],
                "calculated": math.nan,
                "residual": math.nan,
                "redundancy": math.nan,
                "normalised_residual": math.nan,
                "status": "not-reconstructed",
                "note": _why_not(row, spheres, ops),
            }
        )
    return pd.DataFrame.from_records(records, columns=columns, index=_geometry_rows(table).index)


def _why_not(row: pd.Series, spheres: Mapping[str, _Sphere], ops: Mapping[str, gemmi.Op]) -> str:
    atoms = row["atoms"]
    metals = [a for a in atoms if a in spheres]
    if not metals:
        return "no metal in the row: not part of a coordination core"
    if row["kind"] == "distance" and atoms[0] == atoms[1]:
        return f"names {atoms[0]} twice (see the label check): a zero distance"
    for metal in metals:
        sphere = spheres[metal]
        images = _centred(row, metal, ops)
        if images is None:
            continue
        outside = [im for im in images if im[0] != metal and im not in sphere.donors]
        if row["kind"] == "distance" and outside:
            return (
                f"{_image_name(outside[0], ops)} at {row['published']:g} Å is beyond the "
                f"{metal} coordination sphere"
            )
        if outside:
            names = ", ".join(sorted({_image_name(im, ops) for im in outside}))
            return (
                f"not a donor of {metal}: {names} (no short {metal}–X row); as a free point it "
                "would fit any value, so the row carries no test"
            )
        if not sphere.has_angles:
            return (
                f"{metal} has no angle rows: any set of {metal}–L distances can be realised, "
                "nothing to reconstruct"
            )
    vertex = atoms[1] if row["kind"] == "angle" else ""
    return (
        f"angle at {vertex}, outside the coordination sphere of {', '.join(metals)}: it needs "
        "a second-sphere atom, which as a free point would fit any value"
        if vertex
        else "not a metal–donor row"
    )


# =========================================================================== model CIF


def _model_setting(site_ops: Sequence[gemmi.Op], cell: Sequence[float]) -> gemmi.SpaceGroup:
    """The smallest tabulated setting that contains the site operations and whose
    rotations keep the model cell's metric."""
    ortho = orthogonalization_matrix(tuple(cell))
    metric = ortho.T @ ortho
    keys = {_key(op) for op in site_ops}
    for xhm, _, _, all_keys in sorted(_settings(), key=lambda s: (s[2], s[1])):
        if not keys <= all_keys:
            continue
        sg = gemmi.SpaceGroup(xhm)
        rotations = [np.array(op.rot, dtype=float) / op.DEN for op in sg.operations().sym_ops]
        if all(np.allclose(r.T @ metric @ r, metric, atol=1e-6) for r in rotations):
            return sg
    raise InputError("no tabulated space-group setting contains the site symmetry")


def _metal_position(
    site_ops: Sequence[gemmi.Op], sg: gemmi.SpaceGroup, ortho: np.ndarray
) -> np.ndarray:
    """A point fixed by the site operations (as printed: -x+1,y,-z+1/2 → x = 1/2, z = 1/4),
    with any free coordinate chosen on a 1/8 grid to keep the copies of the core far apart."""
    rows, rhs = [np.zeros((0, 3))], [np.zeros(0)]
    for op in site_ops:
        rot = np.array(op.rot, dtype=float) / op.DEN
        rows.append(rot - np.eye(3))
        rhs.append(-np.array(op.tran, dtype=float) / op.DEN)
    a, b = np.vstack(rows), np.concatenate(rhs)
    particular = np.linalg.lstsq(a, b, rcond=None)[0] if a.size else np.zeros(3)
    _, singular, vt = np.linalg.svd(a if a.size else np.zeros((1, 3)))
    rank = int(np.sum(singular > 1e-9))
    free = vt[rank:]
    ops = list(sg.operations())
    best, best_distance = particular, -1.0
    for shift in itertools.product(np.arange(8) / 8, repeat=len(free)):
        point = particular + (np.array(shift) @ free if len(free) else 0)
        nearest = math.inf
        for op in ops:
            image = np.array(op.apply_to_xyz(list(point)))
            delta = image - point
            delta -= np.round(delta)
            for lattice in itertools.product((-1, 0, 1), repeat=3):
                d = float(np.linalg.norm(ortho @ (delta + lattice)))
                if d > 1e-6:
                    nearest = min(nearest, d)
        if nearest > best_distance + 1e-9:
            best, best_distance = point, nearest
    return best


def write_core_cif(
    fit: CoreFit, path: str | Path, *, block: str | None = None, citation: str | None = None
) -> Path:
    """Write a fitted core as a model CIF (gemmi's cif Document API).

    The cell is a large model cell (edges ≥ 30 Å) and the space group the smallest tabulated
    setting that contains the metal's site symmetry (P 1 2/c 1 for the 2-fold axis
    ``-x+1,y,-z+1/2``, the metal on that axis at x = 1/2, z = 1/4), so the printed symmetry
    codes generate the images. Coordinates carry no su's (a model, not a refinement) and no
    ``_geom_*`` loops are written; ``_publ_section_comment`` says what the file is and cites
    ``citation`` (the paper whose SI the table is from) when given.
    """
    path = Path(path)
    site_ops = [gemmi.Op(t) for t in fit.site_ops]
    sg = _model_setting(site_ops, fit.cell)
    ortho = orthogonalization_matrix(fit.cell)
    frac = np.linalg.inv(ortho)
    metal = _metal_position(site_ops, sg, ortho)
    shift = np.floor(metal)  # into the first cell; the site operators are kept as printed
    metal = metal - shift
    donors = [metal + frac @ p for p in fit.positions]
    _check_no_contacts(sg, ortho, [metal, *donors])

    name = block or path.stem
    document = gemmi.cif.Document()
    b = document.add_new_block(name)
    source = Path(fit.source).name if fit.source else "the SI document"
    temperature = f" at {fit.temperature:g} K" if fit.temperature is not None else ""
    symmetry = (
        f" The site symmetry of {fit.metal} ("
        + ", ".join(f"{k} {fit.site_ops[1:][i]}" for i, k in enumerate(fit.site_keys))
        + f") is imposed; the space group {sg.xhm()} and the {fit.cell[0]:g} Å model cell only "
        "make the legend operator a symmetry operation and keep copies of the core apart."
        if fit.site_keys
        else f" The space group {sg.xhm()} and the model cell are arbitrary."
    )
    comment = (
        f"MODEL, NOT THE PUBLISHED STRUCTURE. Coordination core of {fit.metal}"
        f"{f' in compound {fit.compound}' if fit.compound else ''}{temperature}, reconstructed by "
        f"least squares from the '{fit.column}' column of {fit.table} of the supporting "
        f"information {f'of {citation} ' if citation else ''}(document {source}), "
        f"by coordgeo.tablecheck.reconstruct_core: only {fit.metal} and its donors, placed to "
        f"reproduce the published {fit.metal}-L distances and L-{fit.metal}-L angles."
        + symmetry
        + f" Fit: chi2 = {fit.chi2:.3f} for {fit.dof} degrees of freedom ({fit.status}). "
        "Coordinates carry no standard uncertainties: they are a model, not a refinement."
    )
    b.set_pair("_audit_creation_method", gemmi.cif.quote("coordgeo.tablecheck.write_core_cif"))
    b.set_pair("_publ_section_comment", gemmi.cif.quote(_wrap(_ascii(comment))))
    if fit.compound:
        b.set_pair(
            "_chemical_name_common",
            gemmi.cif.quote(f"compound {fit.compound}, coordination core model"),
        )
    if fit.temperature is not None:
        b.set_pair("_diffrn_ambient_temperature", f"{fit.temperature:g}")
    for tag, value in zip(("a", "b", "c", "alpha", "beta", "gamma"), fit.cell, strict=True):
        prefix = "_cell_length_" if len(tag) == 1 else "_cell_angle_"
        b.set_pair(prefix + tag, f"{value:.4f}")
    b.set_pair("_space_group_crystal_system", sg.crystal_system_str())
    b.set_pair("_space_group_IT_number", str(sg.number))
    b.set_pair("_space_group_name_H-M_alt", gemmi.cif.quote(sg.xhm()))
    b.set_pair("_space_group_name_Hall", gemmi.cif.quote(sg.hall))
    loop = b.init_loop("_space_group_symop_", ["id", "operation_xyz"])
    for i, op in enumerate(sg.operations(), 1):
        loop.add_row([str(i), gemmi.cif.quote(op.triplet())])
    atoms = b.init_loop(
        "_atom_site_", ["label", "type_symbol", "fract_x", "fract_y", "fract_z", "occupancy"]
    )
    metal_element = element_of_label(fit.metal) or "X"
    for label, element, xyz in [
        (fit.metal, metal_element, metal),
        *zip(fit.labels, fit.elements, donors, strict=True),
    ]:
        atoms.add_row([label, element, *(f"{v:.6f}" for v in xyz), "1"])
    header = (
        f"# Coordination core of {fit.metal} reconstructed from {fit.table} ({fit.column}) "
        f"of {source}.\n"
        "# A model for examples and tests, NOT the published crystal structure.\n"
    )
    path.write_text(_ascii(header) + document.as_string(), encoding="ascii")
    return path


def _ascii(text: str) -> str:
    """CIF 1.1 text is ASCII: Å → A, other marks dropped after decomposition."""
    text = text.replace("Å", "A").replace("–", "-").replace("—", "-").replace("χ²", "chi2")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _wrap(text: str, width: int = 78) -> str:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lines)


def _check_no_contacts(
    sg: gemmi.SpaceGroup, ortho: np.ndarray, points: Sequence[np.ndarray]
) -> None:
    """No atom of one copy of the core within 4 Å of an atom of another copy."""
    base = np.array(points)
    centre = base[0]
    for op in sg.operations():
        image = np.array([op.apply_to_xyz(list(p)) for p in base])
        shift = np.round(centre - image[0])
        for lattice in itertools.product((-1, 0, 1), repeat=3):
            moved = image + shift + np.array(lattice)
            if np.allclose(moved, base, atol=1e-6) or np.allclose(moved[0], base[0], atol=1e-6):
                continue  # the core itself (the metal is on the site-symmetry element)
            d = np.linalg.norm((moved[:, None, :] - base[None, :, :]) @ ortho.T, axis=2)
            if d.min() < 4.0:
                raise InputError("model cell too small: copies of the core touch")


def write_seed_cores(
    document: str | Path, out_dir: str | Path, *, prefix: str | None = None
) -> list[Path]:
    """Write the over-determined cores (dof > 0) of every geometry table of a document.

    Names are ``{prefix}_compound{c}_{T}K_core.cif`` (prefix ``seed000`` for
    ``000_….txt``); this is how ``cifs/seed000_*`` were made.
    """
    document = Path(document)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if prefix is None:
        digits = re.match(r"^(\d+)", document.name)
        prefix = f"seed{digits.group(1)}" if digits else document.stem
    citation = _document_citation(document.read_text(encoding="utf-8"))
    written = []
    for table in read_si_tables(document):
        fits = [f for f in reconstruct_cores(table) if f.dof > 0]
        metals = {f.metal for f in fits}
        for fit in fits:
            parts = [prefix]
            parts.append(
                f"compound{fit.compound}"
                if fit.compound
                else (table.number or f"line{table.first_line}")
            )
            if len(metals) > 1:
                parts.append(fit.metal)
            parts.append(
                f"{fit.temperature:g}K"
                if fit.temperature is not None
                else fit.column.replace(" ", "")
            )
            parts.append("core")
            path = out / ("_".join(parts) + ".cif")
            written.append(write_core_cif(fit, path, citation=citation))
    return written


def _document_citation(text: str) -> str | None:
    """'First Author et al., "Title"' from the head of an SI document, when it has one:
    the lines after 'Supporting Information' up to the author line."""
    lines = [line.strip() for line in text.splitlines()[:40]]
    start = next(
        (
            i
            for i, line in enumerate(lines)
            if re.search(r"supporting information|\bESI\b", line, re.I)
        ),
        None,
    )
    if start is None:
        return None
    title: list[str] = []
    for line in lines[start + 1 :]:
        if not line:
            continue
        if (
            "<sup>" in line
            or "\\*" in line
            or "*" in line
            or re.match(r"^[A-Z][\w-]+ [A-Z][\w-]+,", line)
        ):
            author = re.sub(r"<[^>]+>|[\\*]", "", line.split(",")[0]).strip()
            if not title:
                return None
            name = clean_text(" ".join(title))
            name = re.sub(r"\^\{([^}]*)\}", r"(\1)", name.replace("#", "").replace("*", ""))
            name = re.sub(r"_\{?([^}\s]*)\}?", r"\1", name).replace("$", "")
            name = re.sub(r"\{\s+", "{", re.sub(r"\s+\}", "}", name))
            return f'{author} et al., "{name}"'
        title.append(line)
        if len(title) > 4:
            return None
    return None


# =========================================================================== all checks


def check_table(table: SITable) -> pd.DataFrame:
    """Every table-only check of one table as findings: check, subject, column, status, note."""
    findings = []

    def add(check: str, subject: str, column: str, status: str, note: str) -> None:
        findings.append(
            {
                "table": table.name,
                "check": check,
                "subject": subject,
                "column": column,
                "status": status,
                "note": note,
            }
        )

    for r in check_legend(table).itertuples():
        add(
            "legend",
            f"{r.code} {r.operator}" if r.code != "*" else "legend as a whole",
            "",
            r.status,
            r.note,
        )
    for r in check_labels(table).itertuples():
        add("label", r.label, "", r.status, r.note)
    for r in check_duplicates(table).itertuples():
        add("duplicate", r.labels, r.column, r.status, r.note)
    for r in check_coordination(table).itertuples():
        add("coordination", r.metal, r.column, r.status, r.note)
    for r in check_hbonds(table).itertuples():
        add("hbond", r.label, "", r.status, r.note)
    for r in check_thermo(table).itertuples():
        add("thermo", f"compound {r.compound}", "", r.status, r.note)
    fits = reconstruct_cores(table)
    for fit in fits:
        add("reconstruction", fit.metal, fit.column, fit.status, fit.note)
    if fits:
        for r in check_reconstruction(table, fits).itertuples():
            if r.status in ("warning", "inconsistent"):
                add("reconstruction row", r.label, r.column, r.status, r.note)
    return pd.DataFrame.from_records(
        findings, columns=["table", "check", "subject", "column", "status", "note"]
    )


if __name__ == "__main__":  # python -m coordgeo.tablecheck SEED.txt OUT_DIR
    import sys

    for written in write_seed_cores(sys.argv[1], sys.argv[2]):
        print(written)
