"""Comparison series: structures of one compound at several temperatures, and their tables.

Grouping (:func:`group_series`)
-------------------------------
1. Files or data blocks named together with ``--series A.cif,B.cif`` (``explicit``)
   form one series, whatever they contain.
2. The other structures are grouped when they are the same compound: the same formula
   (``_chemical_formula_sum``; when a CIF gives none, the composition of its asymmetric
   unit without H) and the same metal complexes (:func:`coordgeo.series.compound_key`,
   heavy-atom formulas of the molecules of the structure graph). The cell is not part of
   the rule, so a crystallographic phase transition (a cell angle that changes by 11°,
   a new space group) keeps one compound in one series; it is named in the series'
   ``notes`` (:func:`coordgeo.series.cell_change`).

Blocks of one multi-block file are grouped by the same rule (a paper's combined CIF
often holds several compounds). Members are ordered by temperature (unknown last).
Groups of one structure are returned too; pages are written for groups of two or more
(and for a group that χMT data are attached to).

The series tables (:func:`series_geometry`, :func:`series_parameters`,
:func:`series_crystal`) are functions of the members' :class:`StructureTables`; the
bonds and angles are paired by :mod:`coordgeo.series`, as ``coordgeo compare`` pairs them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from coordgeo.esd import format_su
from coordgeo.model import Structure
from coordgeo.report.collect import (
    StructureTables,
    composition,
    esc,
    formula_markdown,
    info_value,
    parse_formula,
    slugify,
    temperature_text,
)
from coordgeo.report.markup import cif_html
from coordgeo.series import cell_change, compound_key


@dataclass(frozen=True)
class Series:
    """Indices (into the structure list) of one compound's structures, ordered by T."""

    slug: str
    name: str  # plain text
    name_md: str  # the same as Markdown
    members: tuple[int, ...]
    reason: str  # why these belong together, in words
    notes: tuple[str, ...] = ()  # phase transitions between members


def formula_key(structure: Structure) -> tuple[tuple[str, float], ...]:
    """What identifies the compound: the CIF formula, else the asymmetric unit's composition."""
    formula = parse_formula(info_value(structure.info, "formula_sum"))
    if formula:
        return (("formula", 1.0), *sorted(formula.items()))
    return (("sites", 1.0), *sorted(composition(structure).items()))


def _by_temperature(structures: Sequence[Structure], members: list[int]) -> tuple[int, ...]:
    def key(i: int) -> tuple[bool, float, int]:
        t = structures[i].temperature
        known = t is not None and math.isfinite(t)
        return (not known, t if known else 0.0, i)

    return tuple(sorted(members, key=key))


def _matches(structure: Structure, entry: str) -> bool:
    """A ``--series`` entry names a file (path or name) or a data block."""
    if entry == structure.block:
        return True
    path = Path(structure.path)
    candidate = Path(entry)
    try:
        return path.resolve() == candidate.resolve() or (
            candidate.name == path.name and len(candidate.parts) == 1
        )
    except OSError:
        return False


def series_name(structures: Sequence[Structure], members: Sequence[int]) -> tuple[str, str]:
    """The shared name of the compound (common/systematic name, else formula, else blocks),
    as plain text and as Markdown (CIF markup rendered, :mod:`coordgeo.report.markup`)."""
    for key in ("name_common", "name_systematic", "formula_moiety", "formula_sum"):
        names = {info_value(structures[i].info, key) for i in members}
        if len(names) == 1 and (name := names.pop()):
            if key.startswith("formula"):  # C34H24F3FeI2N4O6S in titles and file names
                return "".join(name.split()), formula_markdown(name)
            return name, cif_html(structures[members[0]].info.get(key, ""))
    name = " / ".join(structures[i].block for i in members)
    return name, esc(name)


def group_series(
    structures: Sequence[Structure],
    explicit: Sequence[Sequence[str]] = (),
) -> list[Series]:
    """Group structures into series (see the module docstring); every structure is in one."""
    assigned: set[int] = set()
    groups: list[tuple[list[int], str]] = []
    for entries in explicit:
        members = [
            i
            for i, s in enumerate(structures)
            if i not in assigned and any(_matches(s, e) for e in entries)
        ]
        if members:
            assigned.update(members)
            groups.append((members, "named together with --series"))
    keys = {}  # the compound of each structure, computed once

    def key(i: int) -> tuple:
        if i not in keys:
            keys[i] = (formula_key(structures[i]), compound_key(structures[i]))
        return keys[i]

    for i in range(len(structures)):
        if i in assigned:
            continue
        members = [i] + [
            j for j in range(i + 1, len(structures)) if j not in assigned and key(j) == key(i)
        ]
        assigned.update(members)
        groups.append((members, "same compound: formula and metal complexes"))
    out: list[Series] = []
    used: set[str] = set()
    for members, reason in groups:
        ordered = _by_temperature(structures, members)
        name, name_md = series_name(structures, ordered)
        notes = tuple(
            f"phase transition between {structures[a].block} and {structures[b].block}: {change}"
            for a, b in itertools.pairwise(ordered)
            if (change := cell_change(structures[a], structures[b]))
        )
        slug = base = slugify(name)
        n = 2
        while slug.casefold() in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug.casefold())
        out.append(Series(slug, name, name_md, ordered, reason, notes))
    return out


# --- tables across a series ---------------------------------------------------------------


def member_headers(members: Sequence[StructureTables]) -> list[str]:
    """Column headings: ``163 K``; the data block is added where temperatures repeat, and a
    number where block and temperature repeat too (two copies of one file), so that every
    member has its own column (:func:`coordgeo.series.distinct_headers`). Plain text
    (escape before putting it on a page)."""
    from coordgeo.series import distinct_headers

    return distinct_headers([m.temperature_text for m in members], [m.block for m in members])


def series_geometry(members: Sequence[StructureTables]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every M–L bond and L–M–L angle of every member, paired across members; and the legend.

    :func:`coordgeo.series.geometry_long` of the members' analyses: rows are paired
    through the atom pairing of :func:`coordgeo.series.pair_series` (by label, else by
    graph isomorphism), as ``coordgeo compare`` pairs them, with the members' own column
    headings (:func:`member_headers`). Values are the CIFs' own where they have them,
    recomputed ones marked ``*`` (:data:`coordgeo.tables.RECOMPUTED_NOTE`), as in
    ``coordgeo compare``'s Table S1.
    """
    from coordgeo.series import geometry_long, temperature_headers

    analyses = [m.analysis for m in members]
    long, legend = geometry_long(analyses, values="auto", mark=True)
    own = dict(zip(temperature_headers(analyses), member_headers(members), strict=True))
    long["header"] = long["header"].map(own)
    return long, legend


#: Parameters of the site table (:func:`coordgeo.polyhedra.site_parameters` and
#: :func:`coordgeo.descriptors.site_descriptors`) shown in tables, with the heading and
#: the decimals printed when a value has no su; a row only where some site has a value
#: (τ4 for four-coordinate sites, φ and θ for two meridional tridentate ligands, …).
PARAMETERS: tuple[tuple[str, str, int], ...] = (
    ("d_mean", "⟨d(M–L)⟩ [Å]", 4),
    ("zeta", "ζ [Å]", 4),
    ("Delta", "Δ", 6),
    ("Sigma", "Σ [°]", 2),
    ("Theta", "Θ [°]", 2),
    ("volume", "V<sub>p</sub> [Å³]", 3),
    ("tau4", "τ<sub>4</sub>", 3),
    ("tau4_prime", "τ<sub>4</sub>′", 3),
    ("tau5", "τ<sub>5</sub>", 3),
    ("quadratic_elongation", "⟨λ⟩", 4),
    ("bond_angle_variance", "σ² [°²]", 2),
    ("halcrow_phi", "φ (Halcrow) [°]", 2),
    ("halcrow_theta", "θ (Halcrow) [°]", 2),
)
CSHM_DECIMALS = 3


def shape_heading(column: str) -> str:
    """``cshm_oc6`` → ``S(OC-6)``, with the label as :mod:`coordgeo.shape` writes it."""
    from coordgeo.polyhedra import shape_column
    from coordgeo.shape import shape_labels

    for label in shape_labels():
        if shape_column(label) == column:
            return f"S({label})"
    return column


def parameter_rows(parameters: pd.DataFrame) -> list[tuple[str, str, int]]:
    """(column, heading, decimals) of every parameter with a value in ``parameters``:
    the distortion parameters, then the shape measures (OC-6 and TPR-6 first)."""
    rows = []
    for column, heading, decimals in PARAMETERS:
        if column in parameters and parameters[column].notna().any():
            rows.append((column, heading, decimals))
    shapes = [c for c in parameters.columns if c.startswith("cshm_") and not c.endswith("_su")]
    shapes.sort(key=lambda c: (c not in ("cshm_oc6", "cshm_tpr6"), c != "cshm_oc6"))
    for column in shapes:
        if parameters[column].notna().any():
            rows.append((column, shape_heading(column), CSHM_DECIMALS))
    return rows


def formatted_parameter(row: pd.Series, column: str, decimals: int) -> str:
    value = row.get(column, math.nan)
    su = row.get(f"{column}_su", math.nan)
    if value is None or not np.isfinite(value):
        return ""
    return format_su(
        float(value), float(su) if su is not None and np.isfinite(su) else None, decimals
    )


def site_key(row: pd.Series) -> str:
    """``Fe1`` or ``Fe1 (A:1)`` for a disorder configuration."""
    return f"{row['metal']} ({row['configuration']})" if row.get("configuration") else row["metal"]


def series_parameters(members: Sequence[StructureTables]) -> pd.DataFrame:
    """Long table of the distortion/shape parameters of every member's sites.

    Columns ``block, temperature_K, header, site, parameter, heading, value, value_su,
    formatted``, one row per site, parameter and member.
    """
    rows = []
    for header, m in zip(member_headers(members), members, strict=True):
        p = m.parameters
        if not len(p) or "d_mean" not in p:
            continue
        for column, heading, decimals in parameter_rows(p):
            for _, r in p.iterrows():
                value = r.get(column, math.nan)
                su = r.get(f"{column}_su", math.nan)
                rows.append(
                    {
                        "block": m.block,
                        "temperature_K": m.temperature if m.temperature is not None else np.nan,
                        "header": header,
                        "site": site_key(r),
                        "parameter": column,
                        "heading": heading,
                        "value": value,
                        "value_su": su,
                        "formatted": formatted_parameter(r, column, decimals),
                    }
                )
    columns = ["block", "temperature_K", "header", "site", "parameter", "heading", "value"]
    return pd.DataFrame(rows, columns=[*columns, "value_su", "formatted"])


def series_crystal(members: Sequence[StructureTables], column: str = "value") -> pd.DataFrame:
    """Crystal data side by side: ``quantity`` then one column per member (blank if absent).

    ``column``: ``value`` (plain text, for CSV) or ``markdown`` (for a page) of
    :func:`coordgeo.report.collect.crystal_data`. A model (:attr:`StructureTables.model`)
    has only its name, temperature and formula here: its cell is not a measurement.
    """
    headers = member_headers(members)
    order: list[str] = []
    for m in members:
        order.extend(q for q in m.crystal["quantity"] if q not in order)
    table = pd.DataFrame({"quantity": order})
    for header, m in zip(headers, members, strict=True):
        values = dict(zip(m.crystal["quantity"], m.crystal[column], strict=True))
        table[header] = [values.get(q, "") for q in order]
    return table


def temperatures_text(members: Sequence[StructureTables]) -> str:
    """``163, 230 and 293 K``."""
    known = [m.temperature for m in members if m.temperature is not None]
    texts = [f"{t:g}" for t in known]
    if not texts:
        return "unknown temperatures"
    if len(texts) == 1:
        return f"{texts[0]} K"
    return ", ".join(texts[:-1]) + f" and {texts[-1]} K"


__all__ = [
    "PARAMETERS",
    "Series",
    "formula_key",
    "group_series",
    "member_headers",
    "parameter_rows",
    "series_crystal",
    "series_geometry",
    "series_parameters",
    "temperature_text",
    "temperatures_text",
]
