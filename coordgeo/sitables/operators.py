"""Symmetry-code legends: is each printed operator a crystallographic operation?

The reference is the set of every (rotation, translation mod 1) pair that occurs in any
of gemmi's 564 tabulated settings of the 230 space groups (:func:`reference_operations`),
so the rules (which translations a rotation may carry: halves along reversed axes,
quarters only with d-glides/F-centring, thirds and sixths only with 3- and 6-fold axes of
hexagonal settings …) are read off the groups, not guessed. An invalid entry gets the
nearest valid operator, plausible typos first (digits of a fraction swapped ``2/3`` →
``3/2``, a sign slip, a dropped term), ranked by whether it makes the whole legend fit
one space group (:func:`check_operator`, :func:`check_legend`).
:func:`describe_operation` names the symmetry element of an operator in words and
:func:`format_operator` writes an operator in the style of a printed legend.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import gemmi
import numpy as np
import pandas as pd

from coordgeo.io.sitables import SITable, operator_from_text
from coordgeo.symmetry import op_from_parts, op_parts

__all__ = [
    "IDENTITY",
    "OperatorCheck",
    "check_legend",
    "check_operator",
    "compatible_settings",
    "describe_operation",
    "format_operator",
    "operation_key",
    "reference_operations",
    "same_operator",
    "tabulated_settings",
]

IDENTITY = "x,y,z"

_Key = tuple[tuple[tuple[int, ...], ...], tuple[int, ...]]


def operation_key(op: gemmi.Op) -> _Key:
    """(rotation, translation mod 1) of an operator, in gemmi's 1/24 units: equal for
    operators that differ by a lattice translation."""
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
            found.setdefault(operation_key(op), []).append(sg.xhm())
    return {k: tuple(v) for k, v in found.items()}


@cache
def tabulated_settings() -> tuple[tuple[str, int, int, frozenset[_Key]], ...]:
    """(xhm, number, order, :func:`operation_key` of every operator) of each tabulated
    setting, in gemmi's table order."""
    out = []
    for sg in gemmi.spacegroup_table():
        keys = frozenset(operation_key(op) for op in sg.operations())
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
    keys = {operation_key(op) for op in ops}
    found = [
        (order, number, xhm)
        for xhm, number, order, all_keys in tabulated_settings()
        if keys <= all_keys
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
    rot, t = op_parts(op)
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
    return op_from_parts(op_parts(op)[0], np.array(new) / op.DEN)


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
    settings = reference_operations().get(operation_key(op))
    if settings:
        note = f"{element}; occurs in {len(settings)} tabulated settings"
        return OperatorCheck(text, op.triplet(), "ok", element, None, note)
    rotation_ok = tuple(tuple(r) for r in op.rot) in _translations_of()
    why = _why_invalid(op, element, rotation_ok)
    typo = _typo_correction(text, op, context or {})
    if typo is not None:
        suggestion, advice = typo
        return OperatorCheck(
            text, op.triplet(), "invalid", element, suggestion, f"invalid: {why}. {advice}"
        )
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


def _why_invalid(op: gemmi.Op, element: str, rotation_ok: bool) -> str:
    """Why an operator of no tabulated setting is not a crystallographic operation."""
    rot = op_parts(op)[0]
    if not rotation_ok:
        order = _rotation_order(rot)
        return (
            f"rotation part is not a crystallographic point operation "
            f"(det {np.linalg.det(rot):.0f}, order {order or '∞'})"
        )
    return (
        f"translation {_vector(op_parts(op)[1])} never occurs with this "
        f"rotation in any tabulated setting of the 230 space groups ({element})"
    )


def _typo_correction(
    text: str, op: gemmi.Op, context: Mapping[str, gemmi.Op]
) -> tuple[str, str] | None:
    """The most plausible one-edit correction of a printed operator and the advice that
    goes with it, or None when no single edit gives a tabulated operation.

    Only the valid entries of the legend (``context``) can vouch for a correction: one
    that makes the legend fit a tabulated setting is preferred.
    """
    others = [
        o
        for o in context.values()
        if o.triplet() != op.triplet() and operation_key(o) in reference_operations()
    ]
    candidates = []
    for priority, what, variant in _typo_variants(text):
        new = operator_from_text(variant)
        if new is None or operation_key(new) not in reference_operations():
            continue
        fits_legend = bool(compatible_settings([new, *others])) if others else True
        distance = _circular_distance(op.tran, new.tran) + float(new.rot != op.rot)
        candidates.append(
            (priority, not fits_legend, distance, " ".join(variant.split()), what, new)
        )
    if not candidates:
        return None
    priority, misfit, _, suggestion, what, new = min(candidates, key=lambda c: c[:3])
    # "almost certainly" only for a single-character slip that no other slip rivals
    rivals = {c[3] for c in candidates if c[:2] == (priority, misfit)}
    certain = priority <= 1 and not misfit and len(rivals) == 1
    advice = (
        f"{'Almost certainly' if certain else 'Possibly'} a typo ({what}); suggest {suggestion}"
    )
    same = [
        key
        for key, other in context.items()
        if other.triplet() != op.triplet() and operation_key(other) == operation_key(new)
    ]
    if same:
        lattice = np.array(new.tran) - np.array(context[same[0]].tran)
        advice += f", which equals {same[0]} up to the lattice translation {_vector(lattice / 24)}"
    fitting = compatible_settings([new, *others]) if others else []
    if fitting:
        advice += f"; with it the legend fits {fitting[0]}"
    return suggestion, advice


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
        status, note = _legend_as_a_whole(ops, records)
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


def _legend_as_a_whole(ops: Mapping[str, gemmi.Op], records: Sequence[dict]) -> tuple[str, str]:
    """(status, note) of a whole legend: do its entries fit one tabulated setting, and
    would they without the invalid ones or with the suggested corrections?"""
    fitting = compatible_settings(ops.values())
    if fitting:
        return (
            "ok",
            f"all entries fit {len(fitting)} tabulated settings, e.g. {', '.join(fitting[:3])}",
        )
    note = "no tabulated setting contains all the entries together"
    valid = [r["code"] for r in records if r["status"] == "ok"]
    fixed = [r["suggestion"] for r in records if r["status"] != "ok" and r["suggestion"]]
    without = compatible_settings(ops[k] for k in valid)
    if without and len(valid) < len(ops):
        note += f"; without the invalid entries they fit {without[0]}"
    repaired = [operator_from_text(t) for t in fixed]
    if fixed and all(op is not None for op in repaired):
        with_fix = compatible_settings([*(ops[k] for k in valid), *repaired])  # type: ignore[list-item]
        if with_fix:
            note += f", and with the suggested corrections {with_fix[0]}"
    return "invalid", note


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


def same_operator(a: str, b: str) -> bool:
    """Whether two printed operators are the same operation (lattice part included)."""
    op_a, op_b = operator_from_text(a), operator_from_text(b)
    return op_a is not None and op_b is not None and op_a.triplet() == op_b.triplet()
