"""Structure → the DataFrames a report page shows (the only part of the report that computes).

:func:`structure_tables` runs the analyses of the package on one data block and
returns a :class:`StructureTables`: crystal data, the SI-style coordination table
and its symmetry legend (:func:`coordgeo.tables.si_table`), the distortion and
shape parameters (:func:`coordgeo.polyhedra.site_parameters`), the hydrogen
bonds (:func:`coordgeo.hbonds.hbonds`, :func:`coordgeo.tables.hbond_table`), the
atoms of each coordination sphere (:func:`coordgeo.export.sphere_to_ase`) and the
simulated powder pattern (:func:`coordgeo.pxrd.powder_pattern`). Everything
after this step (pages, figures) is a function of these tables.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from coordgeo.coordination import DEFAULT_TOLERANCE
from coordgeo.elements import FORMULA_TERM
from coordgeo.errors import InputError
from coordgeo.esd import format_su
from coordgeo.export import sphere_to_ase
from coordgeo.hbonds import COLUMNS as HBOND_COLUMNS
from coordgeo.model import Structure
from coordgeo.pipeline import Analysis, analyse_structure, make_options
from coordgeo.pxrd import PowderPattern, powder_pattern
from coordgeo.report.markup import (
    MARKUP_CHARACTERS,
    cif_html,
    cif_plain,
    plain,
    space_group_html,
    space_group_plain,
)
from coordgeo.symmetry import format_code
from coordgeo.tables import contact_table, hbond_table, si_table

#: Quantities of :func:`crystal_data` that pages look up.
FORMULA = "Empirical formula"
SPACE_GROUP = "Space group"
R1 = "R₁ [I > 2σ(I)]"


@dataclass(frozen=True, eq=False)
class StructureTables:
    """What one structure page shows, as DataFrames.

    ``crystal``: ``quantity, value`` (text as printed). ``geometry``/``legend``:
    :func:`coordgeo.tables.si_table` of all coordination spheres (one letter per
    operator on the whole page).
    ``parameters``: :func:`coordgeo.polyhedra.site_parameters`.
    ``hbonds``: the numeric columns of :func:`coordgeo.hbonds.hbonds` plus the ``label``
    and formatted values of :func:`coordgeo.tables.hbond_table` (``d_dh_text`` …);
    ``hbond_legend`` its legend. ``sphere_atoms``: one row per atom of each sphere
    (``sphere, metal, configuration, atom, symmetry_code, element, x, y, z``, Cartesian Å
    with the metal at the origin, metal first). ``pattern``: the simulated powder
    pattern, or None when it could not be computed (the reason is in ``notes``) or the
    structure is a model. ``model``: '' for a measured structure, else what the CIF says
    the model is (:func:`model_note`). ``contacts``: π–π, X–H···π and hydrogen-bond
    contacts (:attr:`coordgeo.pipeline.Analysis.contacts`), ``contact_rows`` and
    ``contact_legend`` their SI rows (:func:`contact_table`), ``rings`` the rings and
    their centroids Cg (:func:`coordgeo.rings.rings`).
    """

    slug: str
    block: str
    path: str
    compound: str  # plain text
    compound_md: str  # the same as Markdown (formula subscripts, CIF text escaped)
    formula: str
    temperature: float | None
    crystal: pd.DataFrame
    geometry: pd.DataFrame
    legend: pd.DataFrame
    parameters: pd.DataFrame
    hbonds: pd.DataFrame
    hbond_legend: pd.DataFrame
    sphere_atoms: pd.DataFrame
    pattern: PowderPattern | None
    has_su: bool
    notes: tuple[str, ...] = ()
    analysis: Analysis | None = None  # what the tables were made from
    model: str = ""  # '' for a measured structure, else what the model is (model_note)
    contacts: pd.DataFrame | None = None  # Analysis.contacts (numbers, every column)
    contact_rows: pd.DataFrame | None = None  # contact_table: SI rows of the contacts
    contact_legend: pd.DataFrame | None = None  # its symmetry legend
    rings: pd.DataFrame | None = None  # coordgeo.rings.rings

    @property
    def is_model(self) -> bool:
        return bool(self.model)

    @property
    def temperature_text(self) -> str:
        return temperature_text(self.temperature)


def temperature_text(temperature: float | None) -> str:
    """``163 K``; ``T unknown`` when the CIF gives none."""
    if temperature is None or not math.isfinite(temperature):
        return "T unknown"
    return f"{temperature:g} K"


def cif_text(text: str) -> str:
    """CIF text with its markup as plain Unicode (``CuK\\a`` → ``CuKα``, ``\\m~2~`` →
    ``μ₂``; :func:`coordgeo.report.markup.cif_plain`); '?' and '.' give ''."""
    return cif_plain(text)


def info_value(info: Mapping[str, str], key: str) -> str:
    """An item of :attr:`Structure.info` as text, '' when absent or CIF-unknown."""
    return cif_text(str(info.get(key, "")))


#: ASCII characters that mean something in Markdown (emphasis, links, code, tables,
#: headings, lists, ``{: …}`` attribute lists) or in HTML (tags, entities, attribute
#: quotes): :func:`esc` writes them as numeric character references.
_MARKUP = MARKUP_CHARACTERS


def esc(text: object) -> str:
    """Text from a CIF (labels, names, block names, free text) made literal in Markdown and
    in HTML, inside a table cell, a heading, a link text or an HTML attribute.

    Every ASCII character with a meaning in Markdown or HTML (``< > & " ' \\ ` * _ { } [ ]
    ( ) | # ! ~ ^ $ = + - : @``) becomes a numeric character reference (``<`` → ``&#60;``),
    which Python-Markdown and the browser both show as the character itself and never
    read as markup: no tag, attribute, link, emphasis, table cell or ``{: …}`` attribute
    list can come from the text, and it never starts a list (``1.`` at its start is
    escaped too). Line breaks and control characters become spaces (:func:`plain`).
    Letters, digits, spaces, ``. , ; / % ? …`` and every non-ASCII character are kept as
    they are.
    """
    out = "".join(f"&#{ord(c)};" if c in _MARKUP else c for c in plain(text))
    # "1. x" at the start of a line would open a numbered list
    return re.sub(r"^([0-9]+)\.", r"\1&#46;", out)


def html_text(text: object) -> str:
    """Text from a CIF or the command line for a place where MkDocs puts it into HTML
    unchanged (navigation titles, the site name, page titles in front matter): ``& < > " '``
    as character references, control characters as spaces (:func:`plain`)."""
    import html

    return html.escape(plain(text), quote=True)


_FORMULA_TOKEN = re.compile(
    r"(?P<pre>[0-9]*[(\[]*)(?P<element>[A-Z][a-z]?)(?P<count>[0-9]*(?:\.[0-9]+)?)"
    r"(?P<post>[)\]]*[0-9]*[+-]*[,;]?)"
)


def formula_markdown(formula: str) -> str:
    """``C34 H24 F3 Fe`` → ``C<sub>34</sub>H<sub>24</sub>F<sub>3</sub>Fe`` (Hill order kept).

    Moiety formulas too: ``C36 H26 Fe I2 N4 O4, C F3 O3 S`` keeps the comma and the
    space after it, ``(C2 H3 N)+`` its brackets and charge; any other token is text
    (escaped with :func:`esc`).
    """
    parts: list[str] = []
    joined = False  # the previous token ended with an element or its count
    for token in formula.split():
        match = _FORMULA_TOKEN.fullmatch(token)
        if match is None:
            parts.append((" " if parts else "") + esc(token))
            joined = False
            continue
        pre, element, count, post = match.group("pre", "element", "count", "post")
        text = esc(pre) + element + (f"<sub>{count}</sub>" if count and count != "1" else "")
        parts.append(("" if joined and not pre else " " if parts else "") + text + esc(post))
        joined = not post
    return "".join(parts)


def composition(structure: Structure) -> dict[str, float]:
    """Element → count per asymmetric unit (occupancy ÷ site-symmetry order), without H.

    H is left out because whether it was located differs between refinements of one
    compound; the rest identifies the compound when the CIF gives no formula.
    """
    counts: Counter[str] = Counter()
    for element, occ, order in zip(
        structure.elements, structure.occupancy, structure.site_symmetry_order, strict=True
    ):
        if element not in ("H", "D", "X"):
            counts[element] += float(occ) / max(int(order), 1)
    return {el: round(n, 2) for el, n in sorted(counts.items())}


def parse_formula(formula: str) -> dict[str, float]:
    """``'C34 H24 F3 Fe'`` → ``{'C': 34, 'H': 24, 'F': 3, 'Fe': 1}`` ({} when unreadable)."""
    out: dict[str, float] = {}
    for token in formula.split():
        match = FORMULA_TERM.fullmatch(token)
        if match is None:
            continue
        element, count = match.groups()
        try:
            out[element] = out.get(element, 0.0) + (float(count) if count else 1.0)
        except ValueError:
            return {}
    return out


def compound_name(structure: Structure) -> tuple[str, str]:
    """The name a caption uses, as plain text and as Markdown: the CIF's common or systematic
    name (its CIF markup rendered, :mod:`coordgeo.report.markup`), else the formula (with
    subscripts), else the data block."""
    for key in ("name_common", "name_systematic"):
        raw = str(structure.info.get(key, ""))
        name = info_value(structure.info, key)
        if name:
            return name, cif_html(raw)
    for key in ("formula_moiety", "formula_sum"):
        formula = info_value(structure.info, key)
        if formula:
            return formula, formula_markdown(formula)
    return f"data_{structure.block}", esc(f"data_{structure.block}")


def slugify(text: str, max_len: int = 60) -> str:
    """A file name and URL part made from CIF text (a block name, an atom label):
    :func:`coordgeo.io.files.safe_filename` (letters, digits, ``. _ + -``; anything else,
    or a name longer than ``max_len``, gets a stable hash suffix, so two texts never share
    a name and nothing can point outside its folder)."""
    from coordgeo.io.files import safe_filename

    return safe_filename(text, max_len=max_len)


def html_id(text: str, max_len: int = 40) -> str:
    """An HTML id (a link target) made from CIF text: letters, digits and ``-`` only (an
    ``_`` or ``*`` would be read as emphasis in a ``{#id}`` attribute list), with 8 hex
    digits of the text's SHA-256 when anything had to change, so two labels never share
    an id."""
    import hashlib

    base = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")
    if base == text and 0 < len(base) <= max_len:
        return base
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{base[: max_len - 9].strip('-') or 'x'}-{digest}"


# --- crystal data -------------------------------------------------------------------------


def _cell_value(value: float, su: float, decimals: int) -> str:
    # SHELXL prints angles fixed by the lattice (su 0) as plain 90 / 120
    if not su > 0 and decimals == 3 and abs(value - round(value)) < 1e-9:
        return f"{value:.0f}"
    return format_su(value, su, decimals)


def crystal_data(structure: Structure) -> pd.DataFrame:
    """Crystal data and refinement summary (``quantity, value, markdown``), as in Table S1
    of an SI.

    ``value`` is plain text (CIF markup as Unicode: Mo Kα, the space group as P2₁/c);
    ``markdown`` the same for a page (formulas with subscripts, the space group in
    italics with its screw-axis subscripts and overbars, CIF markup rendered; CIF text
    escaped, :mod:`coordgeo.report.markup`). Values are the CIF's own where it gives them
    (volume, R factors, as printed); the cell comes with its su's; rows the CIF does not
    fill are left out.
    """
    info = structure.info
    cell = structure.cell
    rows: list[tuple[str, str, str]] = []

    def add(quantity: str, value: str, markdown: str | None = None) -> None:
        if value:
            rows.append((quantity, value, esc(value) if markdown is None else markdown))

    add("Identification code", f"data_{structure.block}")
    formula = info_value(info, "formula_sum")
    add(FORMULA, formula, formula_markdown(formula))
    moiety = info_value(info, "formula_moiety")
    add("Moiety formula", moiety, formula_markdown(moiety))
    add("Formula weight [g mol⁻¹]", info_value(info, "formula_weight"))
    if structure.temperature is not None:
        add("Temperature [K]", format_su(structure.temperature, structure.temperature_su, 0))
    add("Crystal system", structure.crystal_system)
    if structure.space_group:
        add(
            SPACE_GROUP,
            space_group_plain(structure.space_group),
            space_group_html(structure.space_group),
        )
    names = ("a [Å]", "b [Å]", "c [Å]", "α [°]", "β [°]", "γ [°]")
    for k, (name, value, su) in enumerate(zip(names, cell.parameters, cell.su, strict=True)):
        add(name, _cell_value(value, su, 4 if k < 3 else 3))
    volume = info_value(info, "cell_volume")
    add("V [Å³]", volume or f"{cell.volume:.1f}")
    add("Z", info_value(info, "Z"))
    add("Density (calc.) [g cm⁻³]", info_value(info, "density"))
    radiation = info_value(info, "radiation")
    wavelength = info_value(info, "wavelength")
    if radiation or wavelength:
        shown = [cif_html(info.get("radiation", ""))] if radiation else []
        add(
            "Radiation, λ [Å]",
            ", ".join(x for x in (radiation, wavelength) if x),
            ", ".join([*shown, *([esc(wavelength)] if wavelength else [])]),
        )
    add(R1, info_value(info, "R1"))
    add("wR₂ (all data)", info_value(info, "wR2"))
    add("Goodness of fit on F²", info_value(info, "goof"))
    add("CCDC", info_value(info, "ccdc").removeprefix("CCDC").strip())
    add("COD", info_value(info, "cod"))
    return pd.DataFrame(rows, columns=["quantity", "value", "markdown"])


# --- models -------------------------------------------------------------------------------

#: A CIF data item that marks a block as a model, not a measured structure (``yes``, or
#: a sentence saying what the model is; ``no`` marks a measured one).
MODEL_FLAG = "_coordgeo_model"
#: ``_audit_creation_method`` of the reconstructed coordination cores that
#: :func:`coordgeo.sitables.write_core_cif` writes (the bundled ``cifs/``).
MODEL_WRITER = "coordgeo.sitables.write_core_cif"
_NO = ("no", "n", "false", "0", "?", ".", "")
#: What a model keeps of its crystal data (its cell and space group only place the atoms).
MODEL_CRYSTAL = ("Identification code", FORMULA, "Moiety formula", "Formula weight [g mol⁻¹]",
                 "Temperature [K]")  # fmt: skip


def model_note(structure: Structure) -> str:
    """'' for a measured structure; for a model, what its CIF says it is.

    A block is a model when it carries :data:`MODEL_FLAG` (any value but ``no``) or was
    written by :data:`MODEL_WRITER` (``_audit_creation_method``). The note is the
    block's ``_publ_section_comment`` (else the flag's text, else a generic sentence).
    The CIF is read again only when its text names one of the two markers.
    """
    import gemmi

    try:
        raw = Path(structure.path).read_bytes()
    except (OSError, ValueError):
        return ""
    if MODEL_FLAG.encode() not in raw.lower() and MODEL_WRITER.encode() not in raw:
        return ""
    try:
        doc = gemmi.cif.read_string(raw.decode("utf-8", errors="replace"))
        block = doc.find_block(structure.block)
    except (RuntimeError, ValueError):
        return ""
    if block is None:
        return ""

    def item(tag: str) -> str:
        value = block.find_value(tag)
        return "" if value is None else " ".join(gemmi.cif.as_string(value).split())

    flag = item(MODEL_FLAG)
    written = item("_audit_creation_method").startswith(MODEL_WRITER)
    if not written and flag.lower() in _NO:
        return ""
    comment = item("_publ_section_comment")
    generic = (
        "This block is a model ("
        + (f"{MODEL_FLAG} {flag}" if flag.lower() not in _NO else f"written by {MODEL_WRITER}")
        + "), not a measured crystal structure."
    )
    return comment or (flag if len(flag) > 3 else "") or generic


# --- the page's tables --------------------------------------------------------------------


def sphere_atoms(structure: Structure, spheres) -> pd.DataFrame:
    """Metal and donors of each sphere, Cartesian with the metal at the origin (metal first)."""
    rows = []
    for k, sphere in enumerate(spheres):
        atoms = sphere_to_ase(structure, sphere)
        positions = atoms.positions - atoms.positions[0]
        codes = ["."] + [format_code(a.code, structure) for a in sphere.donors]
        sites = [sphere.metal] + [a.site for a in sphere.donors]
        for site, code, element, xyz in zip(
            sites, codes, atoms.get_chemical_symbols(), positions, strict=True
        ):
            rows.append(
                {
                    "sphere": k,
                    "metal": structure.labels[sphere.metal],
                    "configuration": sphere.configuration,
                    "atom": structure.labels[site],
                    "symmetry_code": code,
                    "element": element,
                    "x": float(xyz[0]),
                    "y": float(xyz[1]),
                    "z": float(xyz[2]),
                }
            )
    columns = ["sphere", "metal", "configuration", "atom", "symmetry_code", "element", "x", "y"]
    return pd.DataFrame(rows, columns=[*columns, "z"])


def hbond_frame(structure: Structure, found: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hydrogen bonds ``found`` in ``structure``: numeric columns, SI label and formatted
    values; and the legend."""
    rows, legend = hbond_table(structure, found)
    frame = found[[*HBOND_COLUMNS, "intramolecular"]].copy()
    frame.insert(1, "label", rows["label"].to_numpy() if len(rows) else [])
    for column in ("d_dh", "d_ha", "d_da", "angle_dha"):
        frame[f"{column}_text"] = rows[column].to_numpy() if len(rows) else []
    return frame.reset_index(drop=True), legend


def structure_tables(
    structure: Structure,
    slug: str | None = None,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    pxrd: bool = True,
) -> StructureTables:
    """Run every analysis a structure page needs (see the module docstring): one
    :func:`coordgeo.pipeline.analyse_structure`, as every other command.

    Table S1 prints the CIF's own ``_geom_bond``/``_geom_angle`` values where it has them
    and recomputed ones elsewhere, marked ``*`` among published ones
    (:func:`coordgeo.tables.si_table` ``values="auto", mark=True``). A model
    (:func:`model_note`) gets no powder pattern.
    """
    from coordgeo.rings import rings

    notes = list(structure.notes)
    model = model_note(structure)
    analysis = analyse_structure(structure, make_options(tolerance=tolerance))
    spheres = analysis.spheres
    measured = analysis.geometry
    geometry, legend = si_table(structure, measured, values="auto", mark=True)
    parameters = analysis.sites if spheres else pd.DataFrame(columns=["metal"])
    hb, hb_legend = hbond_frame(structure, analysis.hbonds)
    pattern = None
    if pxrd and not model:
        try:
            pattern = powder_pattern(structure)
        except (InputError, ValueError, RuntimeError) as exc:  # a page without it still helps
            notes.append(f"powder pattern not computed: {exc}")
    found = analysis.contacts
    contact_rows, contact_legend = contact_table(structure, found)
    crystal = crystal_data(structure)
    has_su = bool(np.any(structure.fract_su > 0) or any(s > 0 for s in structure.cell.su))
    formula = info_value(structure.info, "formula_sum")
    compound, compound_md = compound_name(structure)
    return StructureTables(
        slug=slug or slugify(structure.block),
        block=structure.block,
        path=structure.path,
        compound=compound,
        compound_md=compound_md,
        formula=formula,
        temperature=structure.temperature,
        crystal=crystal if not model else crystal[crystal["quantity"].isin(MODEL_CRYSTAL)],
        geometry=geometry,
        legend=legend,
        parameters=parameters,
        hbonds=hb,
        hbond_legend=hb_legend,
        sphere_atoms=sphere_atoms(structure, spheres),
        pattern=pattern,
        has_su=has_su,
        notes=tuple(notes),
        analysis=analysis,
        model=model,
        contacts=found,
        contact_rows=contact_rows,
        contact_legend=contact_legend,
        rings=rings(structure, tolerance=tolerance),
    )
