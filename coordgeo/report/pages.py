"""Page text: Markdown (with a little HTML) built from DataFrames, nothing computed here.

Every function returns a string and reads only its arguments, so pages can be tested
without files. Tables follow the layout of a supporting-information document: a
numbered caption above ("**Table 2.** Selected bond lengths [Å] and angles [°] for …
at 163 K."), values as ``1.994(4)``, the symmetry legend underneath, and a CSV
download of the same rows beside the page. File names of the figures and CSVs a page
links to are fixed here (:data:`CSV_FILES`, :func:`sphere_stem`) and written by
:mod:`coordgeo.report.site`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from coordgeo.esd import format_su
from coordgeo.report.collect import (
    R1,
    SPACE_GROUP,
    StructureTables,
    esc,
    html_id,
    html_text,
    plain,
    slugify,
)
from coordgeo.report.series import (
    Series,
    member_headers,
    parameter_rows,
    series_crystal,
    series_geometry,
    series_parameters,
    site_key,
    temperatures_text,
)
from coordgeo.series import pivot_formatted
from coordgeo.tables import RECOMPUTED_MARK, RECOMPUTED_NOTE, legend_sentence

_BASE64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")

#: CSV downloads of a structure page, by table.
CSV_FILES = {
    "crystal": "crystal_data.csv",
    "geometry": "bonds_angles.csv",
    "legend": "symmetry_codes.csv",
    "parameters": "distortion_shape.csv",
    "hbonds": "hbonds.csv",
    "hbond_legend": "hbond_symmetry_codes.csv",
    "sphere_atoms": "sphere_coordinates.csv",
    "contacts": "contacts.csv",
    "contact_legend": "contact_symmetry_codes.csv",
    "rings": "rings.csv",
    "pxrd_peaks": "pxrd_peaks.csv",
    "pxrd_profile": "pxrd_profile.csv",
}
#: CSV downloads of a series page.
SERIES_CSV_FILES = {
    "crystal": "crystal_data.csv",
    "geometry": "bonds_angles.csv",
    "legend": "symmetry_codes.csv",
    "parameters": "distortion_shape.csv",
    "contacts": "contact_changes.csv",
}
#: CSV downloads of a magnetism page.
MAGNETISM_CSV_FILES = {
    "chimt": "chimt_data.csv",
    "sd_fit": "sd_fit.csv",
    "sd_curve": "sd_curve.csv",
    "derivative": "dchimt_dT.csv",
    "gamma": "gamma_hs.csv",
}
PXRD_STEM = "pxrd"
MAGNETISM_STEM = "chimt_sd_fit"

DEFINITIONS = (
    "⟨d(M–L)⟩: mean metal–donor distance; ζ = Σ|d<sub>i</sub> − ⟨d⟩| over the six bonds; "
    "Δ = (1/6) Σ[(d<sub>i</sub> − ⟨d⟩)/⟨d⟩]²; Σ = Σ|90° − φ<sub>i</sub>| over the 12 cis "
    "L–M–L angles; Θ = Σ|60° − θ<sub>j</sub>| over the 24 trigonal twist angles of the "
    "eight faces (as in OctaDist, Ketkaew et al., Dalton Trans. 2021, 50, 1086); "
    "V<sub>p</sub>: volume of the coordination polyhedron; S(X): continuous shape measure "
    "relative to the ideal polyhedron X with the metal at its centre (0 = ideal; Pinsky & "
    "Avnir, Inorg. Chem. 1998, 37, 5575; Alvarez et al., Coord. Chem. Rev. 2005, 249, "
    "1693). Standard uncertainties are propagated linearly from the coordinate and cell "
    "su's."
)
#: Definitions of the descriptors, said under the parameters table when it shows them
#: (coordgeo.descriptors; docs/distortion.md).
DESCRIPTOR_DEFINITIONS = {
    "tau4": "τ<sub>4</sub> = (360° − α − β)/141°, α, β the two largest angles (0 square "
    "plane, 1 tetrahedron; Yang, Powell & Houser, Dalton Trans. 2007, 955)",
    "tau4_prime": "τ<sub>4</sub>′ = (β − α)/(360° − θ) + (180° − β)/(180° − θ), θ = 109.5° "
    "(Okuniewski et al., Polyhedron 2015, 90, 47)",
    "tau5": "τ<sub>5</sub> = (β − α)/60° (0 square pyramid, 1 trigonal bipyramid; Addison "
    "et al., J. Chem. Soc., Dalton Trans. 1984, 1349)",
    "quadratic_elongation": "⟨λ⟩ = (1/n) Σ(l<sub>i</sub>/l<sub>0</sub>)², l<sub>0</sub> "
    "of the regular polyhedron of the same volume; σ² = Σ(θ<sub>i</sub> − θ<sub>0</sub>)²/"
    "(m − 1) over the cis angles (Robinson, Gibbs & Ribbe, Science 1971, 172, 567)",
    "halcrow_phi": "φ: the angle at the metal between the central donors of the two "
    "meridional tridentate ligands (180° undistorted); θ: the angle between the two "
    "ligands' donor planes (90° undistorted) (Halcrow, Coord. Chem. Rev. 2009, 253, 2493)",
}


def descriptor_definitions(parameters: pd.DataFrame) -> str:
    """The :data:`DESCRIPTOR_DEFINITIONS` of the descriptors ``parameters`` shows."""
    shown = {column for column, _, _ in parameter_rows(parameters)}
    shown |= {"quadratic_elongation"} if "bond_angle_variance" in shown else set()
    shown |= {"halcrow_phi"} if "halcrow_theta" in shown else set()
    said = [text for column, text in DESCRIPTOR_DEFINITIONS.items() if column in shown]
    return "; ".join(said) + "." if said else ""


CONTACT_CRITERIA = (
    "Rings: 5- and 6-membered, planar within 0.10 Å, aromatic by geometry; Cg = centroid. "
    "π–π: Cg···Cg ≤ 4.0 Å, interplanar angle α ≤ 30°, β and γ (angles of Cg→Cg with the "
    "ring normals) ≤ 60°; slippage = Cg(I) to the projection of Cg(J) on ring I (Janiak, "
    "J. Chem. Soc., Dalton Trans. 2000, 3885; PLATON, Spek, Acta Cryst. 2009, D65, 148). "
    "X–H···π: H···Cg ≤ 3.0 Å, angle of H→Cg with the ring normal γ ≤ 30°, ∠X–H···Cg ≥ "
    "100°. D···A without H: N/O donors that would carry an H but have none in the model, "
    "D···A below the sum of the van der Waals radii."
)
HBOND_CRITERIA = (
    "D = N, O; A = N, O, S, F, Cl, Br, I; d(H···A) below the sum of the van der Waals "
    "radii (Bondi) and ∠D–H···A > 100°. Values involving riding H atoms are given "
    "without su."
)


# --- Markdown building blocks -------------------------------------------------------------


#: Characters a YAML stream may not hold (YAML 1.1 §5.1, PyYAML's reader).
_NOT_YAML = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def front_matter(title: str, *, wide: bool = False) -> str:
    """YAML front matter: the page's title (plain text; MkDocs puts it into ``<title>`` and
    the header as HTML, so it is escaped here with :func:`html_text`) and, for pages with
    wide tables, no right-hand table of contents.

    Without a title here, Material would take the first heading and pass it through
    Jinja's ``striptags``, which turns ``&lt;`` back into ``<`` inside ``<title>``.
    """
    # a JSON string is a YAML one; raw (not \u-escaped: PyYAML does not pair surrogate
    # escapes, an emoji would become two lone surrogates), without what YAML refuses
    text = _NOT_YAML.sub(" ", html_text(title))
    lines = ["---", f"title: {json.dumps(text, ensure_ascii=False)}"]
    if wide:
        lines += ["hide:", "  - toc"]
    return "\n".join([*lines, "---", ""])


def alt_text(text: str) -> str:
    """Text for an image's alt attribute: letters, digits, spaces and ``. , ; / %`` only
    (Markdown puts the alt text into the attribute without reading entities)."""
    kept = "".join(c if c.isalnum() or c in " .,;/%" else " " for c in plain(text))
    return " ".join(kept.split())


def md_table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> str:
    """A Markdown table; ``align`` one letter per column (``l``, ``r``, ``c``; default ``l``).

    Cells are used as given (escape CIF text with :func:`esc` first); a line break in a
    cell would end the table, so it becomes a space.
    """
    width = len(header)
    align = (align or "l" * width).ljust(width, "l")
    rule = {"l": ":--", "r": "--:", "c": ":-:"}
    lines = [
        "| " + " | ".join(str(h) for h in header) + " |",
        "|" + "|".join(rule[a] for a in align) + "|",
    ]
    for row in rows:
        cells = [str(c).replace("\n", " ") for c in row]
        cells += [""] * (width - len(cells))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def caption(kind: str, number: int, text: str) -> str:
    return f"**{kind} {number}.** {text}\n"


def figure(svg: str, png: str, text: str, alt: str, viewer: str = "") -> str:
    """An SVG figure with its caption and a link to the PNG version.

    ``viewer``: a 3D view (:func:`coordgeo.report.views.encode`, base64) that the page's
    viewer script draws in place of the picture; the SVG stays as the fallback and is
    linked in the caption.
    """
    if viewer and not set(viewer) <= _BASE64:
        raise ValueError("a 3D view must be base64 (coordgeo.report.views.encode)")
    attributes = f' class="cg-3d" data-viewer="{viewer}"' if viewer else ""
    return (
        f'<figure markdown="span"{attributes}>\n'
        f"  ![{alt_text(alt)}]({svg}){{ loading=lazy }}\n"
        f'  <figcaption markdown="span">{text} [PNG]({png}) · [SVG]({svg})</figcaption>\n'
        "</figure>\n"
    )


def view_figure(viewer: str, text: str) -> str:
    """A 3D view without a static picture (the complex); without WebGL the caption says so."""
    if not viewer or not set(viewer) <= _BASE64:
        raise ValueError("a 3D view must be base64 (coordgeo.report.views.encode)")
    return (
        f'<figure markdown="span" class="cg-3d" data-viewer="{viewer}">\n'
        f'  <figcaption markdown="span">{text}</figcaption>\n'
        "</figure>\n"
    )


def legend_line(legend: pd.DataFrame) -> str:
    """The symmetry-code sentence under a table (:func:`coordgeo.tables.legend_sentence`,
    escaped), '' for an empty legend."""
    sentence = legend_sentence(legend) if len(legend) else ""
    return f"{esc(sentence)}\n" if sentence else ""


def recomputed_line(formatted: Sequence[str]) -> str:
    """:data:`coordgeo.tables.RECOMPUTED_NOTE` when a table mixes the CIF's own values with
    recomputed ones (marked :data:`coordgeo.tables.RECOMPUTED_MARK`), else ''."""
    if any(str(f).endswith(RECOMPUTED_MARK) for f in formatted):
        return f"{esc(RECOMPUTED_NOTE)}\n"
    return ""


def change_scale(scale: float, first: str, last: str) -> str:
    """The colour key of a view whose bonds are coloured by their change in length."""
    return (
        f"Bonds coloured by Δd = d({esc(last)}) − d({esc(first)}): "
        f'<span class="cg-scale"></span> from blue (−{scale:.3f} Å or shorter) through grey '
        f"(unchanged) to red (+{scale:.3f} Å or longer)."
    )


def downloads(items: Sequence[tuple[str, str]]) -> str:
    """A list of ``[file](file) — what it holds`` lines (``file`` a path made by
    :func:`slugify` and fixed names; the description is escaped, it may name a label)."""
    return "".join(f"- [{esc(name)}]({name}) — {esc(text)}\n" for name, text in items)


def admonition(kind: str, title: str, lines: Sequence[str]) -> str:
    body = "".join(f"    {line}\n\n" for line in lines)
    return f'!!! {kind} "{title}"\n\n{body}'


def site_anchor(metal: str, configuration: str = "") -> str:
    """The id of a metal site's section on a structure page (``site-Fe1``)."""
    return "site-" + html_id(f"{metal} {configuration}".strip())


def sphere_stem(index: int, metal: str) -> str:
    """File stem of a coordination-sphere figure (``sphere_1_Fe1``)."""
    return f"sphere_{index + 1}_{slugify(metal)}"


def series_stem(site: str) -> str:
    return f"compare_{slugify(site)}"


def _value_or_blank(value: object, su: object = None, decimals: int = 3) -> str:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return esc(value) if value is not None else ""
    if not math.isfinite(v):
        return ""
    try:
        s = float(su) if su is not None else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        s = None
    text = format_su(v, s if s is not None and math.isfinite(s) else None, decimals)
    return text[1:] if text.startswith("-") and float(text.split("(")[0]) == 0 else text


# --- structure page -----------------------------------------------------------------------


@dataclass
class _Counter:
    table: int = 0
    figure: int = 0

    def next_table(self) -> int:
        self.table += 1
        return self.table

    def next_figure(self) -> int:
        self.figure += 1
        return self.figure


def subject(t: StructureTables) -> str:
    """``compound 1 (data_x) at 100 K``: who a caption is about."""
    return f"{t.compound_md} (data\\_{esc(t.block)}) at {t.temperature_text}"


def spheres_of(t: StructureTables) -> list[tuple[int, str, str]]:
    """(sphere index, metal, configuration) in page order."""
    atoms = t.sphere_atoms.drop_duplicates("sphere")
    return [
        (int(r.sphere), str(r.metal), str(r.configuration))
        for r in atoms[["sphere", "metal", "configuration"]].itertuples()
    ]


def crystal_rows(crystal: pd.DataFrame) -> list[list[str]]:
    """(quantity, value) rows of :func:`coordgeo.report.collect.crystal_data` as Markdown
    (its ``markdown`` column: formulas with subscripts, the space group typeset)."""
    return [[esc(q), v] for q, v in zip(crystal["quantity"], crystal["markdown"], strict=True)]


def geometry_table(rows: pd.DataFrame) -> str:
    """Bonds then angles of one sphere, two columns, as printed in an SI."""
    bonds = rows[rows["kind"] == "bond"]
    angles = rows[rows["kind"] == "angle"]
    body = [[esc(r.label), esc(r.formatted)] for r in bonds.itertuples()]
    if len(angles):
        body.append(["**Angle**", "**[°]**"])
        body.extend([esc(r.label), esc(r.formatted)] for r in angles.itertuples())
    return md_table(["Bond", "Length [Å]"], body, "lr")


def parameters_table(parameters: pd.DataFrame) -> str:
    """Parameters as rows, one column per metal site (values with su's)."""
    sites = [site_key(r) for _, r in parameters.iterrows()]
    body = [
        ["CN / donor set"]
        + [
            f"{int(r['coordination_number'])} / {esc(r.get('donor_set', ''))}"
            for _, r in parameters.iterrows()
        ]
    ]
    for column, heading, decimals in parameter_rows(parameters):
        body.append(
            [heading]
            + [
                _value_or_blank(r.get(column), r.get(f"{column}_su"), decimals)
                for _, r in parameters.iterrows()
            ]
        )
    return md_table(["Parameter", *map(esc, sites)], body, "l" + "r" * len(sites))


def hbond_table_md(hb: pd.DataFrame) -> str:
    body = [
        [esc(r.label), r.d_dh_text, r.d_ha_text, r.d_da_text, r.angle_dha_text]
        for r in hb.itertuples()
    ]
    header = ["D–H···A", "d(D–H) [Å]", "d(H···A) [Å]", "d(D···A) [Å]", "∠D–H···A [°]"]
    return md_table(header, body, "lrrrr")


#: Contact tables of a structure page: (kind, H located) → heading, caption and header.
CONTACT_TABLES: tuple[tuple[str, bool, str, str, tuple[str, ...]], ...] = (
    (
        "pi-pi",
        True,
        "π–π stacking",
        "π–π stacking interactions",
        ("Cg(I)···Cg(J)", "Cg···Cg [Å]", "α [°]", "β [°]", "γ [°]",
         "Cg(I)⊥ [Å]", "Cg(J)⊥ [Å]", "Slippage [Å]"),
    ),
    (
        "ch-pi",
        True,
        "X–H···π contacts",
        "X–H···π interactions",
        ("X–H···Cg", "X–H [Å]", "H···Cg [Å]", "X···Cg [Å]", "∠X–H···Cg [°]", "H⊥ [Å]",
         "γ [°]"),
    ),
    (
        "hbond",
        False,
        "Possible hydrogen bonds, H not located",
        "D···A contacts of donors whose H atoms are not in the model (possible hydrogen "
        "bonds, H not located)",
        ("D···A", "d(D···A) [Å]"),
    ),
)  # fmt: skip


def rings_table(rings: pd.DataFrame) -> str:
    """Cg number, ring atoms, size and kind, the centroid (fractional, with su's) and the
    r.m.s. deviation of the ring atoms from their mean plane."""

    def kind(r) -> str:
        if r.metal:
            return "chelate ring"
        if r.heteroaromatic:
            return "heteroaromatic"
        return "aromatic" if r.aromatic else "planar"

    body = [
        [
            esc(r.cg),
            esc(r.atoms),
            str(r.size),
            kind(r),
            ", ".join(_value_or_blank(getattr(r, c), getattr(r, f"{c}_su"), 4) for c in "xyz"),
            _value_or_blank(r.rms_deviation, r.rms_deviation_su, 3),
        ]
        for r in rings.itertuples()
    ]
    header = ["Cg", "Ring atoms", "Size", "Ring", "Centroid (x, y, z)", "r.m.s. dev. [Å]"]
    return md_table(header, body, "llrlrr")


def contacts_section(t: StructureTables, n: _Counter) -> list[str]:
    """The contacts section of a structure page: the rings and their centroids, π–π
    stacking, X–H···π and the D···A contacts whose H was not located (the hydrogen bonds
    with H have their own section), with one symmetry legend and the criteria."""
    a = t.slug
    out = ["## Intermolecular contacts\n"]
    rows = t.contact_rows if t.contact_rows is not None else pd.DataFrame()
    rings = t.rings if t.rings is not None else pd.DataFrame()
    if len(rings):
        out.append(
            caption(
                "Table",
                n.next_table(),
                f"Planar 5- and 6-membered rings of {subject(t)} and their centroids Cg "
                "(fractional coordinates).",
            )
        )
        out.append(rings_table(rings))
    shown = 0
    for kind, located, _heading, text, header in CONTACT_TABLES:
        if not len(rows):
            continue
        part = rows[(rows["kind"] == kind) & (rows["h_located"] == located)]
        if not len(part):
            continue
        values = [f"v{k}" for k in range(len(header) - 1)]
        body = [[esc(r["label"]), *(r[v] for v in values)] for _, r in part.iterrows()]
        out.append(caption("Table", n.next_table(), f"{text} in {subject(t)}."))
        out.append(md_table(list(header), body, "l" + "r" * len(values)))
        shown += 1
    if shown:
        legend = t.contact_legend if t.contact_legend is not None else pd.DataFrame()
        out.append(legend_line(legend))
        out.append(
            "α: angle between the ring planes; β, γ: angles between Cg(I)→Cg(J) and the "
            "normals of rings I and J; Cg(I)⊥: distance of Cg(I) from the plane of ring J "
            "and Cg(J)⊥ of Cg(J) from ring I; H⊥: distance of H from the ring plane. "
            "Values involving a riding H are given without su.\n"
        )
    else:
        out.append("No π–π stacking, X–H···π contacts or D···A contacts without H found.\n")
    out.append(f"Criteria: {CONTACT_CRITERIA}\n")
    links = [f"[CSV of all contacts]({a}/{CSV_FILES['contacts']})"]
    if t.contact_legend is not None and len(t.contact_legend):
        links.append(f"[symmetry codes]({a}/{CSV_FILES['contact_legend']})")
    if len(rings):
        links.append(f"[rings]({a}/{CSV_FILES['rings']})")
    out.append(" · ".join(links) + "\n")
    return out


def model_admonition(t: StructureTables) -> str:
    """The warning a model gets in place of its crystal data."""
    from coordgeo.report.markup import cif_html

    return admonition(
        "warning",
        "Model, not a measured crystal structure",
        [
            "This data block is a model (its CIF says so), not a crystal structure "
            "determined by diffraction: its cell, space group and coordinates only place "
            "the atoms. It has no crystal-data table and no simulated powder pattern; "
            "the bond lengths and angles below are those of the model.",
            cif_html(t.model),
        ],
    )


def structure_page(
    t: StructureTables,
    *,
    series: Sequence[tuple[str, str]] = (),
    index_link: str = "../index.md",
    views: dict | None = None,
) -> str:
    """The Markdown of one structure page; assets are in the folder ``t.slug`` beside it.

    ``series``: (title, relative link) of the series pages this structure is part of.
    ``views``: 3D views (base64, :func:`coordgeo.report.views.encode`): ``spheres``
    (sphere index → view) drawn in place of the sphere pictures, ``complex`` (a list,
    one per metal-containing molecule) and ``notes``.
    """
    views = views or {}
    a = t.slug  # the page's asset folder
    n = _Counter()
    out = [
        front_matter(f"{t.block}: {t.compound} at {t.temperature_text}"),
        f"# {esc(t.block)}: {t.compound_md} at {t.temperature_text}\n",
    ]
    where = f"Data block <code>data\\_{esc(t.block)}</code> of <code>{esc(t.path)}</code>"
    out.append(where + "." + "".join(f" Part of the series [{s}]({link})." for s, link in series))
    out.append(f" [All structures]({index_link}).\n")
    notes = []
    if not t.has_su:
        notes.append(
            "The CIF gives no standard uncertainties for the coordinates or the cell, "
            "so values are printed without esds."
        )
    notes.extend(esc(x) for x in t.notes)
    if notes:
        out.append(admonition("note", "Notes", notes))

    if t.is_model:
        out.append("## Model\n")
        out.append(model_admonition(t))
    else:
        out.append("## Crystal data\n")
        out.append(
            caption(
                "Table", n.next_table(), f"Crystal data and structure refinement for {subject(t)}."
            )
        )
        rows = crystal_rows(t.crystal)  # the first row (the data block) heads the table
        out.append(md_table(rows[0], rows[1:], "ll"))
        out.append(f"\n[CSV]({a}/{CSV_FILES['crystal']})\n")

    out.append("## Coordination spheres\n")
    spheres = spheres_of(t)
    if not spheres:
        out.append("No metal atom in this structure.\n")
    sphere_views = views.get("spheres", {})
    for k, metal, configuration in spheres:
        rows = t.geometry[
            (t.geometry["metal"] == metal) & (t.geometry["configuration"] == configuration)
        ]
        heading = esc(metal) + (
            f" (disorder configuration {esc(configuration)})" if configuration else ""
        )
        out.append(f"### {heading} {{#{site_anchor(metal, configuration)}}}\n")
        number = n.next_table()
        out.append(
            caption(
                "Table",
                number,
                f"Selected bond lengths [Å] and angles [°] for {esc(metal)} in {subject(t)}.",
            )
        )
        codes = set(" ".join(rows["symmetry_codes"]).split())
        stem = sphere_stem(k, metal)
        # table and picture side by side (Material's grid; stacked on narrow screens)
        out.append('<div class="grid" markdown>\n\n<div markdown>\n')
        out.append(geometry_table(rows))
        out.append("\n" + legend_line(t.legend[t.legend["symmetry_code"].isin(codes)]))
        out.append(recomputed_line(rows["formatted"]))
        out.append("\n</div>\n\n<div markdown>\n")
        view = sphere_views.get(k, "")
        out.append(
            figure(
                f"{a}/{stem}.svg",
                f"{a}/{stem}.png",
                f"**Figure {n.next_figure()}.** Coordination sphere of {esc(metal)} in "
                f"{subject(t)}; symmetry-generated atoms lettered as in Table {number}"
                + ("; drag to rotate." if view else "."),
                f"Coordination sphere of {metal}",
                viewer=view,
            )
        )
        out.append("\n</div>\n\n</div>\n")
    if len(t.geometry):
        out.append(
            f"\n[CSV of all bonds and angles]({a}/{CSV_FILES['geometry']}) · "
            f"[symmetry codes]({a}/{CSV_FILES['legend']}) · "
            f"[sphere coordinates]({a}/{CSV_FILES['sphere_atoms']})\n"
        )
    complexes = views.get("complex", [])
    if complexes or views.get("notes"):
        out.append("## The complex in 3D\n")
        for view in complexes:
            out.append(
                view_figure(
                    view,
                    f"**Figure {n.next_figure()}.** Metal complex of {subject(t)} as in the "
                    "crystal (atoms of symmetry images primed); drag to rotate, wheel to "
                    "zoom, point at a bond for its length. Needs JavaScript and WebGL.",
                )
            )
        for note in views.get("notes", []):
            out.append(f"\n{esc(note)}.\n")

    if len(t.parameters) and "d_mean" in t.parameters:
        out.append("## Distortion and shape parameters\n")
        out.append(
            caption(
                "Table",
                n.next_table(),
                f"Distortion parameters and continuous shape measures of the metal sites of "
                f"{subject(t)}.",
            )
        )
        out.append(parameters_table(t.parameters))
        reasons = {
            site_key(r): r["reason"]
            for _, r in t.parameters.iterrows()
            if isinstance(r.get("reason"), str) and r["reason"]
        }
        out.append("\n" + DEFINITIONS + "\n")
        if more := descriptor_definitions(t.parameters):
            out.append("\n" + more + "\n")
        for site, reason in reasons.items():
            out.append(f"\n{esc(site)}: {esc(reason)}\n")
        out.append(f"\n[CSV]({a}/{CSV_FILES['parameters']})\n")

    out.append("## Hydrogen bonds\n")
    if len(t.hbonds):
        out.append(
            caption("Table", n.next_table(), f"Hydrogen-bond geometry [Å, °] for {subject(t)}.")
        )
        out.append(hbond_table_md(t.hbonds))
        out.append("\n" + legend_line(t.hbond_legend))
        out.append(f"\nCriteria: {HBOND_CRITERIA}\n")
        links = f"\n[CSV]({a}/{CSV_FILES['hbonds']})"
        if len(t.hbond_legend):
            links += f" · [symmetry codes]({a}/{CSV_FILES['hbond_legend']})"
        out.append(links + "\n")
    else:
        out.append(f"No D–H···A hydrogen bonds found. Criteria: {HBOND_CRITERIA}\n")

    if t.contacts is not None:
        out.extend(contacts_section(t, n))

    if not t.is_model:
        out.append("## Simulated powder pattern\n")
        if t.pattern is not None:
            out.append(
                figure(
                    f"{a}/{PXRD_STEM}.svg",
                    f"{a}/{PXRD_STEM}.png",
                    f"**Figure {n.next_figure()}.** Simulated powder pattern of {subject(t)} "
                    f"({esc(t.pattern.describe())}).",
                    "Simulated powder pattern",
                )
            )
            out.append(
                f"\n[Peak list (CSV)]({a}/{CSV_FILES['pxrd_peaks']}) · "
                f"[profile (CSV)]({a}/{CSV_FILES['pxrd_profile']})\n"
            )
        else:
            out.append("Not computed (see the notes above).\n")

    out.append("## Downloads\n")
    out.append(downloads([(f"{a}/{name}", text) for name, text in structure_downloads(t)]))
    return "\n".join(out)


def structure_downloads(t: StructureTables) -> list[tuple[str, str]]:
    """(file name in the asset folder, description) of every file a structure page offers."""
    items = [] if t.is_model else [(CSV_FILES["crystal"], "crystal data")]
    if len(t.geometry):
        items += [
            (CSV_FILES["geometry"], "M–L bonds and L–M–L angles with su's (SI rows)"),
            (CSV_FILES["legend"], "symmetry codes of the lettered atoms"),
            (CSV_FILES["sphere_atoms"], "Cartesian coordinates of each coordination sphere"),
        ]
    if len(t.parameters) and "d_mean" in t.parameters:
        items.append((CSV_FILES["parameters"], "distortion and shape parameters with su's"))
    items.append((CSV_FILES["hbonds"], "hydrogen bonds with su's"))
    if len(t.hbond_legend):
        items.append((CSV_FILES["hbond_legend"], "symmetry codes of the hydrogen-bond table"))
    if t.contacts is not None:
        items.append((CSV_FILES["contacts"], "π–π, X–H···π and hydrogen-bond contacts with su's"))
        if t.contact_legend is not None and len(t.contact_legend):
            items.append((CSV_FILES["contact_legend"], "symmetry codes of the contact tables"))
    if t.rings is not None and len(t.rings):
        items.append((CSV_FILES["rings"], "rings: centroids and mean planes with su's"))
    if t.pattern is not None:
        items += [
            (CSV_FILES["pxrd_peaks"], "powder pattern: reflections"),
            (CSV_FILES["pxrd_profile"], "powder pattern: profile"),
        ]
    for k, metal, _ in spheres_of(t):
        stem = sphere_stem(k, metal)  # the description is escaped by downloads()
        items += [(f"{stem}.svg", f"figure of {metal} (SVG)"), (f"{stem}.png", "(PNG)")]
    if t.pattern is not None:
        items += [(f"{PXRD_STEM}.svg", "powder pattern (SVG)"), (f"{PXRD_STEM}.png", "(PNG)")]
    return items


# --- series page --------------------------------------------------------------------------


@dataclass
class MagnetismSection:
    """What the magnetism page shows of χMT(T) data: the fit, d(χMT)/dT and the structural
    γHS, as tables, and what the reader and the fit said (``notes``)."""

    source: str
    fit: pd.DataFrame  # coordgeo.tables.sd_fit_table: quantity, value, unit
    gamma: pd.DataFrame | None  # coordgeo.compare.link_magnetism: block, site, gamma_hs, …
    notes: list[str] = field(default_factory=list)
    reader: list[str] = field(default_factory=list)  # how χMT was made from the raw file
    derivative: bool = False  # a d(χMT)/dT curve was computed
    model: str = "one-step"  # the model of ``fit``, drawn solid and linked to the structures
    others: list[tuple[str, pd.DataFrame]] = field(default_factory=list)  # (model, table)
    comparison: pd.DataFrame | None = None  # coordgeo.magnetism.compare_models


def series_crystal_table(members: Sequence[StructureTables], shown: Sequence[str]) -> str:
    """Crystal data side by side (Markdown); a model's column says so instead of values."""
    crystal = series_crystal(members, column="markdown")
    rows = [[esc(q), *row] for q, *row in crystal.to_numpy().tolist()]
    if any(m.is_model for m in members):
        kinds = ["model" if m.is_model else "measured" for m in members]
        rows.insert(1, ["Structure", *kinds])
    return md_table(["", *shown], rows, "l" + "l" * len(shown))


def contact_changes_table(changes: pd.DataFrame) -> str:
    """Contacts that form, break or change across a series (rows of
    :func:`coordgeo.contacts.series_contacts` other than ``unchanged``)."""
    kinds = {"pi-pi": "π–π", "ch-pi": "X–H···π", "hbond": "H bond"}
    body = []
    for r in changes.to_dict("records"):
        delta = (
            _value_or_blank(r["delta"], r["delta_su"], 3)
            if r["status"] in ("changed", "unchanged")
            else ""
        )
        if delta and not delta.startswith("-"):
            delta = "+" + delta
        body.append(
            [
                esc(f"{r['before']} → {r['after']}"),
                esc(r["contact"]),
                kinds.get(r["kind"], esc(r["kind"])),
                esc(r["status"]),
                _value_or_blank(r["distance_before"], r["distance_before_su"], 3),
                _value_or_blank(r["distance_after"], r["distance_after_su"], 3),
                delta,
            ]
        )
    header = ["Step", "Contact", "Kind", "Status", "d before [Å]", "d after [Å]", "Δd [Å]"]
    return md_table(header, body, "lllrrrr")


def series_page(
    series: Series,
    members: Sequence[StructureTables],
    member_links: Sequence[str],
    magnetism: MagnetismSection | None = None,
    *,
    spin: pd.DataFrame | None = None,
    index_link: str = "../index.md",
    views: dict | None = None,
    contacts: pd.DataFrame | None = None,
    magnetism_link: str = "",
) -> str:
    """The Markdown of one series page (members ordered by temperature; assets in the
    folder ``series.slug`` beside the page).

    ``spin``: per-site spin state and structural γHS (``block, site, gamma_hs`` and
    optionally ``spin_state``; :attr:`coordgeo.compare.Comparison.sites`), shown under
    each site's parameter table when given. ``views``: 3D views of the first structure
    with bonds coloured by their change (``spheres``: (metal, configuration) → (view,
    scale); ``complex``: [(view, scale)]; ``first``, ``last``: the column headings
    compared). ``contacts``: :func:`coordgeo.contacts.series_contacts` of the members.
    ``magnetism``: the Slichter–Drickamer fit, summarised here, in full on the page
    ``magnetism_link``.
    """
    views = views or {}
    a = series.slug
    n = _Counter()
    headers = member_headers(members)  # plain text: keys of the tables below
    shown = [esc(h) for h in headers]  # … as Markdown (a heading may name a data block)
    name = series.name_md
    temps = temperatures_text(members)
    out = [
        front_matter(f"{series.name}: structures at {temps}", wide=True),
        f"# {name}: structures at {temps}\n",
    ]
    listing = ", ".join(
        f"[data\\_{esc(m.block)}]({link}) ({m.temperature_text})"
        for m, link in zip(members, member_links, strict=True)
    )
    out.append(f"{len(members)} structure(s), {esc(series.reason)}: {listing}. ")
    out.append(f"[All structures]({index_link}).\n")
    if series.notes:
        out.append(admonition("warning", "Phase transition", [esc(x) for x in series.notes]))

    if all(m.is_model for m in members):
        out.append("## Models\n")
        out.append(
            admonition(
                "warning",
                "Models, not measured crystal structures",
                [
                    "Every structure of this series is a model (its CIF says so), not a "
                    "crystal structure determined by diffraction: no crystal data are "
                    "compared. See each structure's page for what the model is."
                ],
            )
        )
    else:
        out.append("## Crystal data\n")
        out.append(caption("Table", n.next_table(), f"Crystal data of {name} at {temps}."))
        out.append(series_crystal_table(members, shown))
        out.append(f"\n[CSV]({a}/{SERIES_CSV_FILES['crystal']})\n")

    long, legend = series_geometry(members)
    params = series_parameters(members)
    sites = list(dict.fromkeys(params["site"])) if len(params) else []
    geometry_sites = list(dict.fromkeys(zip(long["metal"], long["configuration"], strict=True)))
    first, last = views.get("first", ""), views.get("last", "")
    out.append("## Metal sites\n")
    if not geometry_sites:
        out.append("No metal atom in these structures.\n")
    for metal, configuration in geometry_sites:
        site = f"{metal} ({configuration})" if configuration else metal
        out.append(f"### {esc(site)} {{#{site_anchor(metal, configuration)}}}\n")
        rows = long[(long["metal"] == metal) & (long["configuration"] == configuration)]
        wide = pivot_formatted(rows, headers)
        number = n.next_table()
        out.append(
            caption(
                "Table",
                number,
                f"Bond lengths [Å] and angles [°] of {esc(site)} in {name} at {temps}.",
            )
        )
        body = []
        bonds = wide[wide["kind"] == "bond"]
        angles = wide[wide["kind"] == "angle"]
        body += [[esc(r["label"]), *(esc(r[h]) for h in headers)] for _, r in bonds.iterrows()]
        if len(angles):
            body.append(["**Angle [°]**", *([""] * len(headers))])
            body += [[esc(r["label"]), *(esc(r[h]) for h in headers)] for _, r in angles.iterrows()]
        out.append(md_table(["Bond [Å]", *shown], body, "l" + "r" * len(headers)))
        codes = set(" ".join(rows["symmetry_codes"]).split())
        out.append("\n" + legend_line(legend[legend["symmetry_code"].isin(codes)]))
        out.append(recomputed_line(rows["formatted"]))
        site_params = params[params["site"] == site] if site in sites else params.iloc[0:0]
        if len(site_params):
            out.append(
                "\n"
                + caption(
                    "Table",
                    n.next_table(),
                    f"Distortion parameters and continuous shape measures of {esc(site)} in "
                    f"{name} at {temps}.",
                )
            )
            order = list(dict.fromkeys(site_params["heading"]))
            table = site_params.pivot_table(
                index="heading", columns="header", values="formatted", aggfunc="first"
            ).reindex(index=order, columns=headers)
            out.append(
                md_table(
                    ["Parameter", *shown],
                    [[h, *table.loc[h].fillna("").tolist()] for h in order],
                    "l" + "r" * len(headers),
                )
            )
            if spin is not None and len(spin):
                g = spin[spin["site"] == metal]
                if len(g):
                    out.append("\n" + _spin_rows(g, members, headers))
        view, scale = views.get("spheres", {}).get((metal, configuration), ("", 0.0))
        pictures = figure(
            f"{a}/{series_stem(site)}.svg",
            f"{a}/{series_stem(site)}.png",
            f"**Figure {n.next_figure()}.** {esc(site)} in {name}: M–L distances "
            f"(markers with su bars; dashed lines ⟨d⟩), Σ and Θ at {temps} "
            f"(blue: lowest, red: highest temperature).",
            f"Comparison of {site}",
        )
        if view:
            out.append('\n<div class="grid cg-wide-first" markdown>\n\n<div markdown>\n')
            out.append(pictures)
            out.append("\n</div>\n\n<div markdown>\n")
            out.append(
                view_figure(
                    view,
                    f"**Figure {n.next_figure()}.** Coordination sphere of {esc(site)} at "
                    f"{esc(first)} in 3D; {change_scale(scale, first, last)} Drag to "
                    "rotate; point at a bond for its change.",
                )
            )
            out.append("\n</div>\n\n</div>\n")
        else:
            out.append("\n" + pictures)
    if len(long):
        out.append(
            f"\n[CSV of all bonds and angles]({a}/{SERIES_CSV_FILES['geometry']}) · "
            f"[symmetry codes]({a}/{SERIES_CSV_FILES['legend']}) · "
            f"[parameters]({a}/{SERIES_CSV_FILES['parameters']})\n"
        )
        out.append("\n" + DEFINITIONS + "\n")

    complexes = views.get("complex", [])
    if complexes or views.get("notes"):
        out.append("## The complex across the series\n")
        for view, scale in complexes:
            out.append(
                view_figure(
                    view,
                    f"**Figure {n.next_figure()}.** Metal complex of {name} at {esc(first)} "
                    f"(atoms of symmetry images primed); {change_scale(scale, first, last)} "
                    "Drag to rotate, wheel to zoom; point at a bond for its change. Needs "
                    "JavaScript and WebGL.",
                )
            )
        for note in views.get("notes", []):
            out.append(f"\n{esc(note)}.\n")

    if contacts is not None:
        out.extend(_contacts_across(contacts, name, temps, n, a))

    if magnetism is not None:
        out.append("## Magnetic data\n")
        out.append(
            caption(
                "Table",
                n.next_table(),
                f"Slichter–Drickamer fit of χMT(T) of {name} ({esc(magnetism.source)}).",
            )
        )
        out.append(
            md_table(
                ["", "", ""],
                [[q, esc(v), u] for q, v, u in magnetism.fit.to_numpy()],
                "lrl",
            )
        )
        if magnetism_link:
            out.append(
                f"\nThe data, the fit with its residuals, d(χMT)/dT and γHS of each structure: "
                f"[magnetism of {name}]({magnetism_link}).\n"
            )

    out.append("## Downloads\n")
    out.append(downloads([(f"{a}/{f}", text) for f, text in series_downloads(members, contacts)]))
    return "\n".join(out)


def _contacts_across(
    contacts: pd.DataFrame, name: str, temps: str, n: _Counter, a: str
) -> list[str]:
    out = ["## Contacts across the series\n"]
    moved = contacts[contacts["status"] != "unchanged"] if len(contacts) else contacts
    if not len(moved):
        out.append(
            "No π–π, X–H···π or hydrogen-bond contact forms, breaks or changes beyond 3 su "
            "between the structures.\n"
        )
    else:
        out.append(
            caption(
                "Table",
                n.next_table(),
                f"Contacts of {name} that form, break or change (|Δd| > 3 su(Δd), or > 0.05 Å "
                f"without su's) between the structures at {temps}: each step, then the "
                "first against the last; largest changes first.",
            )
        )
        out.append(contact_changes_table(moved))
    unchanged = int((contacts["status"] == "unchanged").sum()) if len(contacts) else 0
    out.append(
        f"\n{unchanged} pairing(s) of a contact found in both structures of a step are "
        "unchanged. Contacts are paired by their partners' labels and the vector between "
        f"them ([CSV of every pairing]({a}/{SERIES_CSV_FILES['contacts']})).\n"
    )
    return out


def _spin_rows(gamma: pd.DataFrame, members: Sequence[StructureTables], headers) -> str:
    """Spin state and γHS per structure under a site's parameter table."""
    by_block = {r.block: r for r in gamma.itertuples()}
    cells_state, cells_gamma = [], []
    for m in members:
        r = by_block.get(m.block)
        cells_state.append(esc(getattr(r, "spin_state", "")) if r is not None else "")
        value = getattr(r, "gamma_hs", math.nan) if r is not None else math.nan
        cells_gamma.append(f"{value:.2f}" if math.isfinite(value) else "")
    return md_table(
        ["", *(esc(h) for h in headers)],
        [["spin state", *cells_state], ["γHS (structure)", *cells_gamma]],
        "l" + "r" * len(headers),
    )


def series_downloads(
    members: Sequence[StructureTables], contacts: pd.DataFrame | None = None
) -> list[tuple[str, str]]:
    items = []
    if not all(m.is_model for m in members):
        items.append((SERIES_CSV_FILES["crystal"], "crystal data side by side"))
    items += [
        (SERIES_CSV_FILES["geometry"], "bonds and angles of every structure, paired"),
        (SERIES_CSV_FILES["legend"], "symmetry codes"),
        (SERIES_CSV_FILES["parameters"], "distortion and shape parameters of every structure"),
    ]
    if contacts is not None:
        items.append((SERIES_CSV_FILES["contacts"], "contacts paired across the series"))
    return items


# --- magnetism page -----------------------------------------------------------------------


def magnetism_page(
    series: Series,
    magnetism: MagnetismSection,
    *,
    series_link: str,
    index_link: str = "../index.md",
) -> str:
    """The magnetism page of a compound: χMT(T) data with the Slichter–Drickamer fit, its
    residuals and d(χMT)/dT (one figure), the fitted parameters, the structural γHS at
    each structure's temperature beside γHS of the fit, and how χMT was made from the
    instrument's file. Assets in the folder ``series.slug`` beside the page."""
    a = series.slug
    n = _Counter()
    name = series.name_md
    out = [
        front_matter(f"{series.name}: magnetism"),
        f"# {name}: magnetic susceptibility\n",
        f"χMT(T) of {name} from <code>{esc(magnetism.source)}</code>. "
        f"[Structures of the series]({series_link}) · [All structures]({index_link}).\n",
    ]
    if magnetism.reader:
        out.append(
            admonition(
                "note", "From the instrument's file to χMT", [esc(x) for x in magnetism.reader]
            )
        )
    several = bool(magnetism.others)
    out.append("## Slichter–Drickamer fits\n" if several else "## Slichter–Drickamer fit\n")
    for model, table in [(magnetism.model, magnetism.fit), *magnetism.others]:
        which = f"{model} " if several else ""
        out.append(
            caption(
                "Table",
                n.next_table(),
                f"Slichter–Drickamer {which}fit of χMT(T) of {name} (value(su)).",
            )
        )
        out.append(
            md_table(
                ["Quantity", "Value", "Unit"],
                [[q, esc(v), u] for q, v, u in table.to_numpy()],
                "lrl",
            )
        )
    if magnetism.comparison is not None:
        c = magnetism.comparison
        out.append(
            caption(
                "Table",
                n.next_table(),
                "The models compared on the same points (lower AIC/BIC is better; Δ to the "
                "lowest).",
            )
        )
        out.append(
            md_table(
                ["Model", "Parameters", "reduced χ²", "AIC", "BIC", "ΔAIC", "ΔBIC"],
                [
                    [esc(r.model), str(r.n_parameters), f"{r.chi2_red:.3g}", f"{r.aic:.1f}",
                     f"{r.bic:.1f}", f"{r.delta_aic:.1f}", f"{r.delta_bic:.1f}"]
                    for r in c.itertuples()
                ],
                "lrrrrrr",
            )
        )  # fmt: skip
    gamma = magnetism.gamma is not None and len(magnetism.gamma)
    panels = (
        f"points: data; solid lines: the {magnetism.model} fit; dashed: the "
        f"{', '.join(m for m, _ in magnetism.others)} fit; middle panel: residuals of the "
        f"{magnetism.model} fit"
        if several
        else "points: data; lines: the fit; middle panel: residuals (data − fit)"
    )
    if magnetism.derivative:
        panels += "; bottom panel: d(χMT)/dT with T½ of each branch (dotted)"
    if gamma:
        panels += "; diamonds: γHS from each structure at its temperature (right axis)"
    out.append(
        "\n"
        + figure(
            f"{a}/{MAGNETISM_STEM}.svg",
            f"{a}/{MAGNETISM_STEM}.png",
            f"**Figure {n.next_figure()}.** χMT(T) of {name} ({panels}).",
            "χMT(T), Slichter–Drickamer fit, residuals and derivative",
        )
    )
    out.append("## High-spin fraction from the structures\n")
    if gamma:
        out.append(
            caption(
                "Table",
                n.next_table(),
                "High-spin fraction from the structures and from the fit at each "
                "structure's temperature.",
            )
        )
        g = magnetism.gamma
        fitted = f"γHS ({magnetism.model} SD fit)" if magnetism.others else "γHS (SD fit)"
        out.append(
            md_table(
                ["Structure", "T [K]", "Site", "γHS (structure)", fitted, "difference", ""],
                [
                    [
                        esc(r["block"]),
                        f"{r['temperature_K']:g}",
                        esc(r["site"]),
                        _value_or_blank(r["gamma_hs"], r.get("gamma_hs_su"), 2),
                        _value_or_blank(r.get("gamma_hs_magnetic"), None, 2),
                        _value_or_blank(r.get("difference"), None, 2),
                        esc(r.get("note", "")),
                    ]
                    for _, r in g.iterrows()
                ],
                "lrlrrrl",
            )
        )
    for note in magnetism.notes:
        out.append(f"\n{esc(note)}\n")
    out.append("## Downloads\n")
    out.append(downloads([(f"{a}/{f}", text) for f, text in magnetism_downloads(magnetism)]))
    return "\n".join(out)


def magnetism_downloads(magnetism: MagnetismSection) -> list[tuple[str, str]]:
    items = [
        (MAGNETISM_CSV_FILES["chimt"], "χMT(T) data as read (and converted)"),
        (MAGNETISM_CSV_FILES["sd_fit"], "fitted parameters with su's"),
        (MAGNETISM_CSV_FILES["sd_curve"], "fitted curve and residuals"),
    ]
    if magnetism.derivative:
        items.append((MAGNETISM_CSV_FILES["derivative"], "smoothed d(χMT)/dT"))
    if magnetism.gamma is not None and len(magnetism.gamma):
        items.append((MAGNETISM_CSV_FILES["gamma"], "structural and fitted γHS"))
    items += [(f"{MAGNETISM_STEM}.svg", "figure (SVG)"), (f"{MAGNETISM_STEM}.png", "(PNG)")]
    return items


# --- index page ---------------------------------------------------------------------------


def index_page(
    title: str,
    structures: Sequence[StructureTables],
    structure_links: Sequence[str],
    series: Sequence[tuple[Series, str]],
    errors: Sequence[str] = (),
    *,
    version: str = "",
    inputs: Sequence[str] = (),
) -> str:
    """The front page: every structure, every series, every metal site, unread inputs."""
    out = [front_matter(title, wide=True), f"# {esc(title)}\n"]
    out.append(
        f"{len(structures)} structure(s) from {len(inputs)} file(s), {len(series)} comparison "
        f"series. Generated by coordgeo {esc(version)}. Every table can be downloaded as CSV "
        "from its page ([all metal sites](all_sites.csv), [structures](structures.csv)).\n"
    )
    out.append("## Structures\n")
    rows = []
    for t, link in zip(structures, structure_links, strict=True):
        info = dict(zip(t.crystal["quantity"], t.crystal["markdown"], strict=True))
        sites = ", ".join(
            f"[{esc(metal)}]({link}#{site_anchor(metal, conf)})" for _, metal, conf in spheres_of(t)
        )
        rows.append(
            [
                f"[{esc(t.block)}]({link})<br><small><code>{esc(t.path.rsplit('/', 1)[-1])}"
                "</code></small>",
                t.compound_md,
                f"{t.temperature:g}" if t.temperature is not None else "",
                "model" if t.is_model else info.get(SPACE_GROUP, ""),
                "" if t.is_model else info.get(R1, ""),
                sites,
            ]
        )
    out.append(
        md_table(
            [
                "Data block / file",
                "Compound",
                "T [K]",
                "Space group",
                "R<sub>1</sub>",
                "Metal sites",
            ],
            rows,
            "llrlrl",
        )
    )
    if series:
        out.append("## Comparison series\n")
        out.append(
            md_table(
                ["Series", "Structures", "Grouped by"],
                [
                    [
                        f"[{s.name_md}]({link})",
                        ", ".join(
                            f"{esc(structures[i].block)} ({structures[i].temperature_text})"
                            for i in s.members
                        ),
                        esc(s.reason),
                    ]
                    for s, link in series
                ],
                "lll",
            )
        )
    out.append("## Metal sites\n")
    site_rows = []
    for t, link in zip(structures, structure_links, strict=True):
        for _, r in t.parameters.iterrows():
            if "d_mean" not in r:
                continue
            anchor = site_anchor(r["metal"], r.get("configuration", ""))
            site_rows.append(
                [
                    f"[{esc(t.block)}]({link})",
                    f"[{esc(site_key(r))}]({link}#{anchor})",
                    f"{t.temperature:g}" if t.temperature is not None else "",
                    f"{int(r['coordination_number'])}",
                    esc(r.get("donor_set", "")),
                    _value_or_blank(r.get("d_mean"), r.get("d_mean_su"), 4),
                    _value_or_blank(r.get("Sigma"), r.get("Sigma_su"), 2),
                    _value_or_blank(r.get("Theta"), r.get("Theta_su"), 2),
                    _value_or_blank(r.get("cshm_oc6"), r.get("cshm_oc6_su"), 3),
                ]
            )
    if site_rows:
        out.append(
            md_table(
                [
                    "Structure",
                    "Site",
                    "T [K]",
                    "CN",
                    "Donors",
                    "⟨d⟩ [Å]",
                    "Σ [°]",
                    "Θ [°]",
                    "S(OC-6)",
                ],
                site_rows,
                "llrrlrrrr",
            )
        )
    else:
        out.append("No metal sites.\n")
    if errors:
        out.append("## Inputs that could not be read\n")
        out.extend(f"- {esc(e)}\n" for e in errors)
    return "\n".join(out)


def sites_frame(structures: Sequence[StructureTables]) -> pd.DataFrame:
    """Every metal site of every structure (the index page's CSV)."""
    frames = [
        t.parameters.assign(temperature_K=t.temperature, path=t.path)
        for t in structures
        if len(t.parameters) and "d_mean" in t.parameters
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def structures_frame(structures: Sequence[StructureTables]) -> pd.DataFrame:
    """One row per structure: block, file, compound, T and its crystal data (the index CSV)."""
    rows = []
    for t in structures:
        row = {
            "block": t.block,
            "path": t.path,
            "formula": t.formula,
            "temperature_K": t.temperature,
        }
        row.update(dict(zip(t.crystal["quantity"], t.crystal["value"], strict=True)))
        rows.append(row)
    return pd.DataFrame(rows)


def series_headers(members: Sequence[StructureTables]) -> list[str]:
    return member_headers(members)


__all__ = [
    "CSV_FILES",
    "SERIES_CSV_FILES",
    "MagnetismSection",
    "esc",
    "index_page",
    "md_table",
    "series_page",
    "site_anchor",
    "sphere_stem",
    "structure_page",
]
