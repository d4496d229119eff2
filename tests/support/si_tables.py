"""SI tables printed from structures, in the two published layouts, for tests.

:func:`table_from_structure` makes tables with known answers: its numbers are the CIF's
own, so an untouched table must validate all ``ok``, and an altered one shows what the
validator says about each kind of mistake. Only tests use it, so it lives here and not in
the package.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import gemmi
import numpy as np
import pandas as pd

from coordgeo.coordination import coordination_spheres, sphere_geometry
from coordgeo.errors import InputError
from coordgeo.model import Structure
from coordgeo.sitables import format_operator
from coordgeo.symmetry import format_code
from coordgeo.tables import si_table

__all__ = ["table_from_structure"]


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
    # TODO(issue 12): build the multi-temperature rows with coordgeo.series.table_s1 (the
    # compare atom pairing) once it exists, instead of matching by atoms and codes here.
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
