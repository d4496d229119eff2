"""SI tables printed from structures, in the two published layouts, for tests.

:func:`table_from_structure` makes tables with known answers: its numbers are the CIF's
own, so an untouched table must validate all ``ok``, and an altered one shows what the
validator says about each kind of mistake. Only tests use it, so it lives here and not in
the package. The rows come from the one Table S1 builder of the package,
:func:`coordgeo.series.table_s1`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import gemmi
import numpy as np
import pandas as pd

from coordgeo.errors import InputError
from coordgeo.model import Structure
from coordgeo.pipeline import Analysis, Options, analyse_structure
from coordgeo.series import table_s1
from coordgeo.sitables import format_operator

__all__ = ["table_from_structure"]


def _parenthesised(token: str) -> str:
    """``Co1`` → ``Co(1)``, ``O1W`` → ``O(1W)``, ``N1A`` → ``N(1A)`` (the seed-003 style;
    a letter after an underscore, ``C12B_A``, goes inside as ``C(12BA)``)."""
    token = token.replace("_", "")
    match = re.fullmatch(r"([A-Za-z]+)(\d.*)", token)
    return f"{match.group(1)}({match.group(2)})" if match else token


def _analysis(structure: Structure, wanted: set[str] | None) -> Analysis:
    """The structure's spheres (of the ``wanted`` metals; ordered ones only)."""
    spheres = [
        sp
        for sp in analyse_structure(structure).spheres
        if (wanted is None or structure.labels[sp.metal] in wanted) and not sp.configuration
    ]
    return Analysis(structure, Options(), spheres)


def table_from_structure(
    structure: Structure | Sequence[Structure],
    metal: str | Sequence[str] | None = None,
    layout: str = "tab",
    *,
    values: str,
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
    temperature instead. Several structures (one per temperature) give one column each.
    Rows, labels (letters in order of first use) and the legend are those of
    :func:`coordgeo.series.table_s1`, the first structure being the reference.
    ``values`` says which numbers it prints, as :func:`coordgeo.tables.si_table` does:
    ``auto`` (the CIF's own ``_geom_bond``/``_geom_angle`` value where the loop has the
    row, else recomputed), ``published`` or ``recomputed``; every caller says which it
    needs, so a change of the package's default cannot change a test's numbers.
    """
    if layout not in ("tab", "markdown"):
        raise ValueError(f"layout must be 'tab' or 'markdown', not {layout!r}")
    given = [structure] if isinstance(structure, Structure) else list(structure)
    wanted = None if metal is None else ({metal} if isinstance(metal, str) else set(metal))
    analysed = [_analysis(s, wanted) for s in given]
    wide, legend = table_s1(analysed, values=values)
    wide = wide[~wide["label"].str.endswith("]")]  # rows the first structure lacks
    # metals in the order of the first structure's spheres (table_s1 sorts them by name)
    order = dict.fromkeys(given[0].labels[sp.metal] for sp in analysed[0].spheres)
    rank = {name: k for k, name in enumerate(order)} | {"bond": 0, "angle": 1}
    wide = wide.sort_values(["metal", "kind"], key=lambda c: c.map(rank), kind="stable")
    if wide.empty:
        raise InputError("no metal coordination sphere to print", path=given[0].path)
    columns = [list(wide[c]) for c in wide.columns[3:]]  # one per structure, in order
    temperatures = [f"{s.temperature:g} K" if s.temperature is not None else "" for s in given]
    letters = dict(zip(legend["letter"], legend["operator"], strict=True))
    if caption is None:
        at = f" at {given[0].temperature:g} K" if len(given) == 1 and given[0].temperature else ""
        caption = f"Table S1 Selected bond lengths [Å] and bond angles [°] for 1{at}."
    if layout == "tab":
        lines = ["\t" + "\t".join(temperatures)]
        for index, label in enumerate(wide["label"]):
            lines.append("\t".join([label, *(col[index] for col in columns)]))
        lines += ["", f" {caption}", ""]
        lines += [f"{letter} {op}" for letter, op in letters.items()]
        return "\n".join(lines) + "\n"
    out = [caption, "", *_markdown_rows(wide, columns, temperatures)]
    if letters:
        style = "1/2 - x, -1/2 + y, 3/2 - z"  # the seed-003 legend's style
        entries = [
            f"{letter} {format_operator(gemmi.Op(op), style)}" for letter, op in letters.items()
        ]
        out += ["", "Symmetry codes: " + "; ".join(entries) + "."]
    return "\n".join(out) + "\n"


def _markdown_rows(
    wide: pd.DataFrame, columns: list[list[str]], temperatures: list[str]
) -> list[str]:
    """The pipe-table lines: one column per temperature, or (one structure) the two
    metals — or the two halves of one metal's rows — side by side."""
    printed = ["–".join(_parenthesised(t) for t in label.split("-")) for label in wide["label"]]
    kinds = wide["kind"].to_numpy()
    sections = (("Selected bond distances (Å)", "bond"), ("Selected bond angles (°)", "angle"))
    out = []
    if len(columns) > 1:
        out.append("| | " + " | ".join(temperatures) + " |")
        out.append("|" + "---|" * (len(columns) + 1))
        for title, kind in sections:
            out.append(f"| {title} |" + " |" * len(columns))
            for index in np.flatnonzero(kinds == kind):
                out.append("| " + " | ".join([printed[index], *(c[index] for c in columns)]) + " |")
        return out
    metals = list(dict.fromkeys(wide["metal"]))
    out.append(f"| {sections[0][0]} | | | |")
    out.append("|---|---|---|---|")
    for n, (title, kind) in enumerate(sections):
        if n:
            out.append(f"| {title} | | | |")
        of_kind = np.flatnonzero(kinds == kind)
        if len(metals) >= 2:
            on_first = wide["metal"].to_numpy()[of_kind] == metals[0]
            left, right = of_kind[on_first], of_kind[~on_first]
        else:
            half = (len(of_kind) + 1) // 2
            left, right = of_kind[:half], of_kind[half:]
        for k in range(max(len(left), len(right))):
            cells = []
            for side in (left, right):
                cells += [printed[side[k]], columns[0][side[k]]] if k < len(side) else ["", ""]
            out.append("| " + " | ".join(cells) + " |")
    return out
