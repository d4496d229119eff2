"""The coordination spheres a printed table describes, read off its rows.

How rows are read. An atom of a row is an *image*: its label and the legend operator of
its code (``N1A`` → (N1, ``-x+1,y,-z+1/2``)). A legend operator g is taken to be in the
site symmetry of metal M when the table quotes, around M (M with no code), both an atom X
and its image Xg — ``N1-Fe1-N1A`` puts Fe1 on the 2-fold axis of A — unless the numbers
say otherwise (a bridged pair M(μ-X)2M' quotes X and XA around M too: M–X ≠ M–XA, or
X–M–XA ≠ 180° for an inversion, rules A out). Donors of M are the atoms of M–X rows no
longer than r_cov(M) + r_cov(X) + :data:`BOND_SLACK`, with their site-symmetry images.
:func:`spheres` gives one :class:`Sphere` per metal; the table checks
(:mod:`coordgeo.sitables.selfcheck`) and the core reconstruction
(:mod:`coordgeo.sitables.reconstruct`) build on it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import gemmi
import numpy as np
import pandas as pd

from coordgeo.elements import covalent_radius, is_metal
from coordgeo.esd import decimals_of
from coordgeo.io.sitables import SITable, element_of_label
from coordgeo.sitables.operators import IDENTITY
from coordgeo.symmetry import op_parts

__all__ = [
    "BOND_SLACK",
    "Image",
    "Sphere",
    "act",
    "bond_limit",
    "centred_images",
    "column_rows",
    "compose",
    "effective_su",
    "equivalence_key",
    "geometry_rows",
    "image",
    "image_name",
    "is_metal_label",
    "metal_spheres",
]

BOND_SLACK = 0.6  # Å beyond the sum of covalent radii still counted as a bond


Image = tuple[str, str]  # (label, operator triplet) — the atom label after applying the op


@dataclass(frozen=True)
class Sphere:
    """A metal's coordination sphere as the table describes it."""

    metal: str
    site_ops: tuple[gemmi.Op, ...]  # the site group (identity first)
    site_keys: tuple[str, ...]  # legend keys whose operators are in the site group
    donors: tuple[Image, ...]  # all donor images, closed under the site group
    rows: tuple[int, ...]  # indices into table.rows of rows centred on the metal
    has_angles: bool
    notes: tuple[str, ...] = ()  # legend operators considered and ruled out, and why


def _site_evidence_against(
    rows: pd.DataFrame,
    centred: Mapping[int, list[Image]],
    metal: str,
    op: gemmi.Op,
    paired: set[str],
) -> str:
    """Why ``op`` cannot fix ``metal`` by the printed numbers ('' when nothing says so)."""
    image = op.triplet()
    by_atom: dict[tuple[Image, str], tuple[float, float, str]] = {}
    for index, images in centred.items():
        row = rows.loc[index]
        if row["kind"] == "distance":
            su = effective_su(row["published_su"], row["text"])
            by_atom[images[1], row["column"]] = (row["published"], su, row["label"])
        elif row["kind"] == "angle" and np.allclose(op_parts(op)[0], -np.eye(3)):
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


def compose(a: gemmi.Op, b: gemmi.Op) -> gemmi.Op:
    """a∘b: apply b, then a."""
    return a.combine(b)


def image(label: str, code: str, ops: Mapping[str, gemmi.Op]) -> Image:
    """(label, operator triplet) of an atom printed with legend key ``code`` ('' for none);
    an unreadable key gives the triplet ``?key``."""
    if not code:
        return label, IDENTITY
    op = ops.get(code)
    return label, op.triplet() if op is not None else f"?{code}"


def act(g: gemmi.Op, image: Image) -> Image:
    """The image moved by ``g`` (g applied after the image's own operator)."""
    label, triplet = image
    if triplet.startswith("?"):
        return image
    return label, compose(g, gemmi.Op(triplet)).triplet()


def image_name(image: Image, ops: Mapping[str, gemmi.Op]) -> str:
    """``N1A`` when a legend key gives the image's operator, else ``N1[-x+1,y,-z+1/2]``."""
    label, triplet = image
    if triplet == IDENTITY:
        return label
    for key, op in ops.items():
        if op.triplet() == triplet:
            return label + key
    return f"{label}[{triplet}]"


def _group_closure(generators: Iterable[gemmi.Op], limit: int = 48) -> list[gemmi.Op] | None:
    """The finite group the operators generate (identity first), or None when it exceeds
    ``limit`` elements."""
    group = {IDENTITY: gemmi.Op(IDENTITY)}
    frontier = list(generators)
    while frontier:
        op = frontier.pop()
        if op.triplet() in group:
            continue
        group[op.triplet()] = op
        if len(group) > limit:
            return None  # no common fixed point: the operators generate translations
        frontier.extend(compose(op, other) for other in list(group.values()))
        frontier.extend(compose(other, op) for other in list(group.values()))
    return list(group.values())


def is_metal_label(label: str) -> bool:
    """Whether a printed label names a metal."""
    element = element_of_label(label)
    return bool(element) and is_metal(element)


def bond_limit(a: str, b: str) -> float:
    """r_cov(a) + r_cov(b) + :data:`BOND_SLACK` for two labels (carbon when no element)."""
    ea, eb = element_of_label(a) or "C", element_of_label(b) or "C"
    return covalent_radius(ea) + covalent_radius(eb) + BOND_SLACK


def geometry_rows(table: SITable) -> pd.DataFrame:
    """The table's distance, angle and torsion rows."""
    rows = table.rows
    return rows[rows["kind"].isin(["distance", "angle", "torsion"])]


def centred_images(row: pd.Series, metal: str, ops: Mapping[str, gemmi.Op]) -> list[Image] | None:
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
    images = [image(a, c, ops) for a, c in zip(atoms, codes, strict=True)]
    plain = [i for i in positions if images[i][1] == IDENTITY]
    if plain:
        centre = plain[0]
    else:
        centre = positions[0]
        if images[centre][1].startswith("?"):
            return None
        inverse = gemmi.Op(images[centre][1]).inverse()
        images = [act(inverse, im) for im in images]
    if row["kind"] == "distance" and centre == 1:
        images = images[::-1]
    return images


def metal_spheres(table: SITable) -> dict[str, Sphere]:
    """The coordination sphere of every metal the table quotes rows around, by label."""
    ops = table.operators
    rows = geometry_rows(table)
    metals = sorted({a for atoms in rows["atoms"] for a in atoms if is_metal_label(a)})
    found = {}
    for metal in metals:
        centred_rows = {}
        for index, row in rows.iterrows():
            images = centred_images(row, metal, ops)
            if images is not None:
                centred_rows[index] = images
        if centred_rows:
            found[metal] = _sphere(rows, centred_rows, metal, ops)
    return found


def _sphere(
    rows: pd.DataFrame,
    centred_rows: Mapping[int, list[Image]],
    metal: str,
    ops: Mapping[str, gemmi.Op],
) -> Sphere:
    """One metal's sphere from the rows centred on it (row index → atom images)."""
    generators, keys, notes = _site_generators(rows, centred_rows, metal, ops)
    group = _group_closure(generators) or [gemmi.Op(IDENTITY)]
    if len(group) == 1:
        keys = []
    donors = _donors(rows, centred_rows, metal, group)
    sphere_rows, has_angles = [], False
    for index, images in centred_rows.items():
        if rows.loc[index, "kind"] == "distance":
            if images[1] in donors:
                sphere_rows.append(index)
        elif images[0] in donors and images[2] in donors and images[0] != images[2]:
            sphere_rows.append(index)
            has_angles = True
    return Sphere(
        metal=metal,
        site_ops=tuple(group),
        site_keys=tuple(keys),
        donors=tuple(sorted(donors, key=lambda im: (im[0], im[1] != IDENTITY, im[1]))),
        rows=tuple(sphere_rows),
        has_angles=has_angles,
        notes=tuple(notes),
    )


def _site_generators(
    rows: pd.DataFrame,
    centred_rows: Mapping[int, list[Image]],
    metal: str,
    ops: Mapping[str, gemmi.Op],
) -> tuple[list[gemmi.Op], list[str], list[str]]:
    """Legend operators taken as site symmetry of the metal: (operators, keys, notes on
    those ruled out).

    An operator is a candidate when it takes an atom quoted around the metal to another
    atom quoted around it (N1 and N1A at Fe1).
    """
    quoted = {im for images in centred_rows.values() for im in images if im[0] != metal}
    self_images = {
        im[1]
        for images in centred_rows.values()
        for im in images
        if im[0] == metal and im[1] != IDENTITY
    }
    bonded = {
        images[1][0]
        for index, images in centred_rows.items()
        if rows.loc[index, "kind"] == "distance"
        and images[1][0] != metal
        and rows.loc[index, "published"] <= bond_limit(metal, images[1][0])
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
            against = _site_evidence_against(rows, centred_rows, metal, op, paired)
            if against:
                notes.append(f"{key} not taken as site symmetry of {metal}: {against}")
                continue
        generators.append(op)
        keys.append(key)
    return generators, keys, notes


def _donors(
    rows: pd.DataFrame,
    centred_rows: Mapping[int, list[Image]],
    metal: str,
    group: Sequence[gemmi.Op],
) -> set[Image]:
    """Atoms of short enough M–X distance rows, with their site-symmetry images (N3A)."""
    donors: set[Image] = set()
    for index, images in centred_rows.items():
        row = rows.loc[index]
        if row["kind"] != "distance" or images[1] == (metal, IDENTITY):
            continue
        same_label = (rows["line"] == row["line"]) & (rows["label"] == row["label"])
        if rows.loc[same_label, "published"].min() <= bond_limit(metal, images[1][0]):
            donors.update(act(g, images[1]) for g in group)
    return donors


def equivalence_key(
    images: Sequence[Image], group: Sequence[gemmi.Op], ordered: bool, metal: str = ""
) -> tuple:
    """A key equal for rows the site group (and reading the label backwards) make equal.

    The metal's own images under its site group are the metal itself.
    """
    in_group = {g.triplet() for g in group}
    keys = []
    for g in group:
        moved = [act(g, im) for im in images]
        moved = [(m, IDENTITY) if m == metal and t in in_group else (m, t) for m, t in moved]
        keys.append(tuple(min(moved, moved[::-1]) if ordered else sorted(moved)))
    return min(keys)


def effective_su(su: float, text: str) -> float:
    """The su, or half a unit of the last printed digit when none is printed."""
    if su > 0 and math.isfinite(su):
        return float(su)
    return 0.5 * 10.0 ** (-decimals_of(text))


def column_rows(table: SITable, column: str, indices: Iterable[int]) -> pd.DataFrame:
    """The rows of ``indices`` (table.rows index) that are in value column ``column``."""
    rows = table.rows.loc[list(indices)]
    return rows[rows["column"] == column]
