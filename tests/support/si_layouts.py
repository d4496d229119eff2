"""SI tables as journals print them, made from a CIF's own ``_geom_*`` loops.

:func:`loop_rows` reads a data block's ``_geom_bond``, ``_geom_angle`` and ``_geom_hbond``
loops with gemmi alone (values, su's and ``n_klm`` symmetry codes as the authors'
refinement program printed them, independent of coordgeo's geometry), and
:func:`render` prints the rows of one metal (or of the H-bonds) in one of the layouts
real supporting information uses, after text extraction from PDF or Word:

* ``tsv`` (tab-separated), ``pipe`` (markdown pipe tables), ``spaces`` (pdftotext
  ``-layout``: columns aligned by runs of spaces); one or two label/value pairs a row;
* labels ``Fe1``, ``Fe(1)``, ``Fe01``; dashes ``-``, ``–``, ``—``, ``−``; contacts
  ``···``, ``…``, ``...``; angles with the metal in the middle or first;
* codes as letters (``N1A``, ``N(1A)``), SHELXL's ``#1``, roman numerals (``^i``,
  ``<sup>i</sup>``), primes (``N1'``), Olex2's ``$1``; the legend in the matching style
  (``Symmetry codes: (i) 1-x, y, 1/2-z; …``, ``Symmetry transformations used to
  generate equivalent atoms:`` then ``#1 -x+1,y,-z+1/2 …``), operators written
  variable-first, constant-first, spaced, with decimals or Olex2's ``1-X,+Y,1/2-Z``;
* values with or without su, ``1.994 (4)``, ``178.0(2)°``; header units ``(Å)``,
  ``[Å]``, ``/Å``; a column per temperature or compound; captions before or after.

Every printed row remembers its printed label, the legend keys it uses and its value
cells (:class:`Printed`), so a test can alter one value or one legend entry and know
exactly which rows must be flagged. Only tests and the sweep in
``benchmarks/validate_layouts.py`` use it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import gemmi

__all__ = [
    "STYLES",
    "GeomRow",
    "Printed",
    "Style",
    "alter_legend",
    "alter_value",
    "code_operator",
    "format_op",
    "hbond_rows",
    "loop_rows",
    "metal_rows",
    "render",
    "series_rows",
    "symmetry_operators",
]

_UNITS = ["", "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix"]
_ROMAN = [("x" * (n // 10)) + _UNITS[n % 10] for n in range(1, 40)]  # i … xxxix
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


@dataclass(frozen=True)
class GeomRow:
    """One row of a CIF ``_geom_*`` loop: ``kind`` (distance/angle/hbond), the site
    labels, their ``n_klm`` codes ('' for the identity) and the value texts as printed
    (four for an H-bond: D–H, H···A, D···A, D–H···A)."""

    kind: str
    atoms: tuple[str, ...]
    codes: tuple[str, ...]
    values: tuple[str, ...]


def _loop(block: gemmi.cif.Block, prefix: str, tags: Sequence[str]) -> list[list[str]]:
    """Rows of the loop with these tags (a tag starting with ``?`` may be absent)."""
    table = block.find(prefix, list(tags))
    out = []
    for row in table:
        cells: list[str | None] = []
        for k in range(len(tags)):
            # row.str reads "?" as "" (gemmi's null): the raw "?" says "not given"
            raw = row[k] if table.has_column(k) else None
            cells.append(None if raw is None else ("?" if raw == "?" else row.str(k)))
        out.append(cells)
    return out


def _code(text: str | None) -> str:
    """``n_klm`` of a loop's symmetry cell, '' for the identity, ``?`` when unknown (a
    ``?`` cell: the authors did not say which image)."""
    if text is None:
        return ""
    text = text.strip()
    if text in ("", ".", "1_555", "1555", "1"):
        return ""
    if re.fullmatch(r"\d+_\d{3}", text):
        return text
    if re.fullmatch(r"\d{4,}", text):  # old SHELXL 2655
        return f"{text[:-3]}_{text[-3:]}"
    return "?"


def loop_rows(block: gemmi.cif.Block) -> list[GeomRow]:
    """The bond, angle and H-bond rows of a block's ``_geom_*`` loops (rows with a code
    that is not ``n_klm`` or a value that is not a number are left out)."""
    number = re.compile(r"^-?\d+(\.\d+)?(\(\d+\))?$")
    rows = []
    for cells in _loop(
        block,
        "_geom_bond_",
        ["atom_site_label_1", "atom_site_label_2", "distance", "?site_symmetry_1",
         "?site_symmetry_2"],
    ):  # fmt: skip
        codes = (_code(cells[3]), _code(cells[4]))
        if cells[3] is None and cells[4] is None:
            break  # no symmetry columns: which image each row means is not said
        if number.match(cells[2]) and "?" not in codes:
            rows.append(GeomRow("distance", (cells[0], cells[1]), codes, (cells[2],)))
    for cells in _loop(
        block,
        "_geom_angle",
        ["_atom_site_label_1", "_atom_site_label_2", "_atom_site_label_3", "",
         "?_site_symmetry_1", "?_site_symmetry_2", "?_site_symmetry_3"],
    ):  # fmt: skip
        codes = (_code(cells[4]), _code(cells[5]), _code(cells[6]))
        if cells[4] is None and cells[5] is None and cells[6] is None:
            break
        if number.match(cells[3]) and "?" not in codes:
            rows.append(GeomRow("angle", tuple(cells[:3]), codes, (cells[3],)))
    for cells in _loop(
        block,
        "_geom_hbond_",
        ["atom_site_label_D", "atom_site_label_H", "atom_site_label_A", "distance_DH",
         "distance_HA", "distance_DA", "angle_DHA", "?site_symmetry_A"],
    ):  # fmt: skip
        code = _code(cells[7])
        if cells[7] is None:
            break
        if all(number.match(v) for v in cells[3:7]) and code != "?":
            rows.append(GeomRow("hbond", tuple(cells[:3]), ("", "", code), tuple(cells[3:7])))
    return rows


def symmetry_operators(block: gemmi.cif.Block) -> list[str]:
    """The block's operator list, in its order (n of ``n_klm`` is 1-based)."""
    for tag in ("_space_group_symop_operation_xyz", "_symmetry_equiv_pos_as_xyz"):
        values = list(block.find_values(tag))
        if values:
            return [gemmi.cif.as_string(v) for v in values]
    return []


def code_operator(code: str, operators: Sequence[str]) -> gemmi.Op:
    """The operation of an ``n_klm`` code: operator n, translated by (k−5, l−5, m−5)."""
    n, klm = code.split("_")
    op = gemmi.Op(operators[int(n) - 1].replace(" ", ""))
    moved = gemmi.Op(op.triplet())
    moved.tran = [t + (int(d) - 5) * gemmi.Op.DEN for t, d in zip(op.tran, klm, strict=True)]
    return moved


def site_types(block: gemmi.cif.Block) -> dict[str, str]:
    """Site label → element symbol (``_atom_site_type_symbol``, else the label's letters)."""
    labels = [gemmi.cif.as_string(v) for v in block.find_values("_atom_site_label")]
    types = [gemmi.cif.as_string(v) for v in block.find_values("_atom_site_type_symbol")]
    out = {}
    for k, label in enumerate(labels):
        text = types[k] if k < len(types) else label
        letters = re.match(r"[A-Za-z]{1,2}", text)
        symbol = letters.group(0) if letters else ""
        element = gemmi.Element(symbol)
        if element.atomic_number == 0 or element.name != symbol.capitalize():
            element = gemmi.Element(symbol[:1])
        out[label] = element.name
    return out


def metal_rows(block: gemmi.cif.Block, limit: int = 36) -> tuple[str | None, list[GeomRow]]:
    """The metal with most bond rows, and its bonds (metal first when it carries no code),
    its L–M–L angles and some M–L–X angles (metal first): what a Table S1 quotes.
    Rows whose printed label would repeat, or with codes on both ends of a bond, are
    left out; at most ``limit`` rows."""
    types = site_types(block)
    count_ops = len(symmetry_operators(block))
    rows = [r for r in loop_rows(block) if all(_known(c, count_ops) for c in r.codes)]
    count: dict[str, int] = {}
    for r in rows:
        if r.kind == "distance":
            for a in r.atoms:
                if gemmi.Element(types.get(a, "X")).is_metal:
                    count[a] = count.get(a, 0) + 1
    if not count:
        return None, []
    metal = max(count, key=lambda a: (count[a], -list(count).index(a)))
    bonds, angles, outer = [], [], []
    for r in rows:
        if r.kind == "distance" and metal in r.atoms and "" in r.codes:
            if r.atoms[1] == metal and r.codes[1] == "":
                r = GeomRow(r.kind, r.atoms[::-1], r.codes[::-1], r.values)
            bonds.append(r)
        elif r.kind == "angle" and r.codes[1] == "":
            if r.atoms[1] == metal:
                angles.append(r)
            elif r.atoms[2] == metal:
                outer.append(GeomRow(r.kind, r.atoms[::-1], r.codes[::-1], r.values))
            elif r.atoms[0] == metal:
                outer.append(r)
    chosen = bonds[: limit // 3] + angles[: limit // 2] + outer[:4]
    return metal, chosen


def series_rows(blocks: Sequence[gemmi.cif.Block]) -> tuple[list[GeomRow], list[list[GeomRow]]]:
    """The first block's metal rows that every block's loops have (one compound at
    several temperatures), and per block those rows with its own values."""
    _, rows = metal_rows(blocks[0])
    per_block = []
    for block in blocks:
        found = {(r.kind, r.atoms, r.codes): r for r in metal_rows(block, limit=999)[1]}
        per_block.append([found.get((r.kind, r.atoms, r.codes)) for r in rows])
    keep = [k for k in range(len(rows)) if all(b[k] is not None for b in per_block)]
    return [rows[k] for k in keep], [[b[k] for k in keep] for b in per_block]  # type: ignore[misc]


def hbond_rows(block: gemmi.cif.Block, limit: int = 12) -> list[GeomRow]:
    count_ops = len(symmetry_operators(block))
    rows = [r for r in loop_rows(block) if r.kind == "hbond"]
    return [r for r in rows if all(_known(c, count_ops) for c in r.codes)][:limit]


def _known(code: str, count_ops: int) -> bool:
    """Whether an ``n_klm`` code names an operator of the block's list."""
    return not code or 1 <= int(code.split("_")[0]) <= count_ops


# --------------------------------------------------------------------------- styles


@dataclass(frozen=True)
class Style:
    """How one table is printed (see the module docstring for each choice)."""

    layout: str = "tsv"  # tsv | pipe | spaces
    pairs: int = 1  # label/value pairs per printed row
    labels: str = "plain"  # plain | paren | padded
    dash: str = "-"
    contact: str = "···"
    marks: str = "letters"  # letters | sharp | roman_sup | roman_caret | roman_plain | primes
    #                         | dollar
    legend: str = "lines"  # lines | sentence | shelxl | olex | olex_sup | sup_keys | comma_sep
    #                       | letters_run
    operators: str = "vf"  # vf | const | spaced | decimal | olex | vf_spaced | unicode
    values: str = "su"  # su | space | degree | nosu
    header: str = "temperature"  # temperature | unit_paren | unit_bracket | unit_slash | name
    column_names: tuple[str, ...] = ()  # one per column (several structures)
    caption: str = "after"  # before | after
    separator: bool = True  # pipe tables: the |---| line under the header
    legend_in_caption: bool = False  # "Table S1 … for 1. Symmetry codes: (i) …" above
    split_atoms: bool = False  # Olex2 report: one cell per atom (Atom | Atom | Length/Å)
    kinds: tuple[str, ...] = ()  # only rows of these kinds (Olex2: bonds, angles apart)
    sections: bool = False  # "Bond lengths (Å)" / "Angles (°)" section rows


STYLES: dict[str, Style] = {
    "seed000-tsv": Style(),
    "tsv-paren-roman": Style(labels="paren", dash="–", marks="roman_caret", legend="sentence",
                             operators="const", values="space", header="unit_bracket"),
    "tsv-sharp-shelxl": Style(marks="sharp", legend="shelxl", header="unit_paren", dash="–",
                              caption="before"),
    "tsv-pairs-sup": Style(pairs=2, marks="roman_sup", legend="sup_keys", operators="unicode",
                           dash="—", values="degree", header="unit_slash"),
    "pipe-seed003": Style(layout="pipe", pairs=2, labels="paren", dash="–", legend="sentence",
                          operators="spaced", header="name", sections=True),
    "pipe-primes": Style(layout="pipe", marks="primes", legend="sentence", dash="−",
                         operators="decimal", values="nosu", caption="before"),
    "pipe-dollar-olex": Style(layout="pipe", marks="dollar", legend="olex", operators="olex",
                              header="unit_paren", separator=False),
    "spaces-letters": Style(layout="spaces", labels="paren", dash="–", legend="letters_run",
                            operators="const", header="unit_paren", caption="before"),
    "spaces-pairs-roman": Style(layout="spaces", pairs=2, marks="roman_caret",
                                legend="comma_sep", operators="vf_spaced", values="space",
                                header="unit_slash", sections=True),
    "tsv-roman-plain": Style(marks="roman_plain", legend="sentence", operators="decimal",
                             header="unit_bracket"),
    "olex-bonds": Style(split_atoms=True, kinds=("distance",), marks="olex_sup",
                        legend="olex_sup", operators="olex", header="unit_slash",
                        caption="before"),
    "olex-angles": Style(split_atoms=True, kinds=("angle",), marks="olex_sup",
                         legend="olex_sup", operators="olex", header="unit_slash",
                         caption="before"),
    "caption-legend": Style(marks="sharp", legend="shelxl", legend_in_caption=True,
                            caption="before", labels="paren", header="unit_bracket"),
    "spaces-sharp-padded": Style(layout="spaces", labels="padded", marks="sharp",
                                 legend="shelxl", dash="−", values="degree"),
}  # fmt: skip


def _frac(t: int) -> Fraction:
    return Fraction(t, gemmi.Op.DEN)


def _number(f: Fraction, decimal: bool) -> str:
    if decimal and f.denominator != 1:
        return f"{float(f):g}"
    return str(f)


def format_op(op: gemmi.Op, style: str) -> str:
    """An operator as one of the printed styles (the generator's own writer, so a reader
    bug cannot hide behind a shared formatter)."""
    parts = []
    for row, tran in zip(op.rot, op.tran, strict=True):
        terms = []
        for coef, name in zip(row, "xyz", strict=True):
            c = coef // gemmi.Op.DEN
            if c:
                terms.append(("-" if c < 0 else "+") + ("" if abs(c) == 1 else str(abs(c))) + name)
        var = "".join(terms).lstrip("+")
        f = _frac(tran)
        if style == "olex":
            var = "".join(terms).upper()
            part = (_number(f, False) + var) if f else var
        elif not f:
            part = var
        elif style in ("const", "spaced", "decimal"):
            const = ("-" if f < 0 else "") + _number(abs(f), style == "decimal")
            if style == "spaced":
                joined = " ".join(f"{t[0]} {t[1:]}" for t in terms)
                part = f"{const} {joined}"
            else:
                part = const + "".join(terms)
        else:
            part = var + ("+" if f > 0 else "-") + _number(abs(f), False)
        parts.append(part)
    sep = ", " if style in ("const", "spaced", "decimal", "vf_spaced", "unicode") else ","
    text = sep.join(parts)
    return text.replace("-", "−") if style == "unicode" else text  # IUCr: the minus sign


def _mark_names(style: str, n: int) -> str:
    if style == "letters":
        return chr(ord("A") + n) if n < 26 else "A" + chr(ord("A") + n - 26)
    if style == "sharp":
        return f"#{n + 1}"
    if style == "dollar":
        return f"${n + 1}"
    if style == "olex_sup":
        return str(n + 1)
    if style == "primes":
        return "'" * (n + 1)
    return _ROMAN[n]


def _atom(label: str, mark: str, style: Style) -> str:
    """One printed atom: the label in the style, with its mark."""
    match = re.fullmatch(r"([A-Za-z]+)(\d+)(.*)", label)
    text = label
    if match and style.labels == "padded" and len(match.group(2)) == 1 and not match.group(3):
        text = f"{match.group(1)}0{match.group(2)}"
    if not mark:
        if match and style.labels == "paren":
            return f"{match.group(1)}({match.group(2)}{match.group(3)})"
        return text
    if style.marks == "letters" and match and style.labels == "paren":
        return f"{match.group(1)}({match.group(2)}{match.group(3)}{mark})"
    if match and style.labels == "paren":
        text = f"{match.group(1)}({match.group(2)}{match.group(3)})"
    if style.marks == "roman_sup":
        return f"{text}<sup>{mark}</sup>"
    if style.marks == "roman_caret":
        return f"{text}^{mark}"
    if style.marks == "olex_sup":
        return text + mark.translate(_SUPERSCRIPT)
    return text + mark  # roman_plain: N1ii, the superscript lost in text extraction


def _value(text: str, kind: str, style: Style) -> str:
    if style.values == "nosu":
        return re.sub(r"\(\d+\)$", "", text)
    if style.values == "space":
        return re.sub(r"\((\d+)\)$", r" (\1)", text)
    if style.values == "degree" and kind == "angle":
        return text + "°"
    return text


@dataclass
class Printed:
    """A printed table: its text, and per printed row the label, the legend keys used,
    the value cells (column name → text) and the row's kind."""

    text: str
    rows: list[tuple[str, tuple[str, ...], dict[str, str], str]] = field(default_factory=list)
    legend: dict[str, str] = field(default_factory=dict)  # key → printed operator
    columns: tuple[str, ...] = ()


def _header_cell(kind_unit: str, style: Style, name: str) -> str:
    if style.header == "unit_paren":
        return f"{name} ({kind_unit})"
    if style.header == "unit_bracket":
        return f"{name} [{kind_unit}]"
    if style.header == "unit_slash":
        return f"{name}/{kind_unit}"
    return name


def render(
    rows: Sequence[GeomRow],
    operators: Sequence[str],
    style: Style,
    *,
    columns: Sequence[str] = ("value",),
    values: Sequence[Sequence[GeomRow]] | None = None,
    number: str = "S1",
    what: str = "Selected bond lengths and angles for 1",
) -> Printed:
    """One table of ``rows`` (of one kind family: geometry, or H-bonds) in ``style``.

    ``columns`` are the value-column names (``100 K``, ``HS``, ``1``); ``values`` gives per
    column the rows whose values it prints (the same rows of other data blocks), by
    default ``rows`` for every column.
    """
    if style.kinds:
        keep = [k for k, r in enumerate(rows) if r.kind in style.kinds]
        rows = [rows[k] for k in keep]
        values = [[v[k] for k in keep] for v in values] if values else None
    if not rows:
        raise ValueError("no rows of the kinds this style prints")
    values = values or [rows] * len(columns)
    hbond = rows and rows[0].kind == "hbond"
    keys: dict[str, str] = {}  # n_klm → mark
    legend: dict[str, str] = {}
    printed_rows = []
    for k, r in enumerate(rows):
        tokens = []
        used = []
        for atom, code in zip(r.atoms, r.codes, strict=True):
            mark = ""
            if code:
                if code not in keys:
                    keys[code] = _mark_names(style.marks, len(keys))
                    op_style = "olex" if style.operators == "olex" else style.operators
                    legend[keys[code]] = format_op(code_operator(code, operators), op_style)
                mark = keys[code]
                used.append(mark)
            tokens.append(_atom(atom, mark, style))
        if style.split_atoms:
            label = "\x1f".join(tokens)  # one cell per atom; printed as joined by "-"
        elif hbond:
            label = f"{tokens[0]}{style.dash}{tokens[1]}{style.contact}{tokens[2]}"
        else:
            label = style.dash.join(tokens)
        cells = {}
        for name, data in zip(columns, values, strict=True):
            cells[name] = [_value(v, "angle" if (r.kind == "angle" or (hbond and i == 3))
                                  else "distance", style)
                           for i, v in enumerate(data[k].values)]  # fmt: skip
        printed_rows.append((label, tuple(used), cells, r.kind))
    # drop rows whose printed label repeats (a loop listing one bond twice)
    seen, unique = set(), []
    for pr in printed_rows:
        if pr[0] not in seen:
            seen.add(pr[0])
            unique.append(pr)
    printed_rows = unique
    body = _body(printed_rows, columns, style, hbond)
    caption = f"Table {number} {what}."
    if style.legend_in_caption and legend:
        caption += " " + " ".join(_legend_lines(legend, style))
    lines = [caption, ""] if style.caption == "before" else []
    lines += body
    if style.caption == "after":
        lines += ["", caption]
    if legend and not style.legend_in_caption:
        lines += ["", *_legend_lines(legend, style)]
    flat = [(label.replace("\x1f", "-"), used, dict(cells), kind)
            for label, used, cells, kind in printed_rows]  # fmt: skip
    return Printed("\n".join(lines) + "\n", flat, legend, tuple(columns))


def _body(printed_rows, columns, style: Style, hbond: bool) -> list[str]:
    """The table's lines in the layout: a header, then the rows (pairs side by side)."""
    if hbond and style.split_atoms:  # Olex2: D | H | A | d(D-H)/Å | … | D-H-A/°
        header = ["D", "H", "A", "d(D-H)/Å", "d(H-A)/Å", "d(D-A)/Å", "D-H-A/°"]
        grid = [header] + [
            [*label.split("\x1f"), *cells[columns[0]]] for label, _, cells, _ in printed_rows
        ]
        return _lay_out(grid, style, header_rows=1)
    if hbond:
        c = style.contact
        d = style.dash
        names = [f"D{d}H (Å)", f"H{c}A (Å)", f"D{c}A (Å)", f"∠D{d}H{c}A (°)"]
        if style.header == "unit_bracket":
            names = [f"d(D{d}H) [Å]", f"d(H{c}A) [Å]", f"d(D{c}A) [Å]", "∠(DHA) [°]"]
        elif style.header == "unit_slash":
            names = [f"D{d}H/Å", f"H{c}A/Å", f"D{c}A/Å", f"D{d}H{c}A/°"]
        header = [f"D{d}H{c}A", *names]
        grid = [header] + [[label, *cells[columns[0]]] for label, _, cells, _ in printed_rows]
        return _lay_out(grid, style, header_rows=1)
    ncol = len(columns)
    if style.split_atoms:
        width = max(label.count("\x1f") + 1 for label, *_ in printed_rows)
        unit = "Å" if width == 2 else "°"
        name = "Length" if width == 2 else "Angle"
        grid = [["Atom"] * width + [_header_cell(unit, style, name)]]
        for label, _, cells, _ in printed_rows:
            grid.append([*label.split("\x1f"), *(cells[c][0] for c in columns)])
        return _lay_out(grid, style, header_rows=1)
    if style.header == "temperature" or style.header == "name":
        names = list(columns)
    else:
        unit_names = list(columns) if ncol > 1 else ["Distance"]
        names = [_header_cell("Å", style, n) for n in unit_names]
    sections = {"distance": "Bond lengths (Å)", "angle": "Angles (°)"}
    items: list[list[str] | str] = []
    current = None
    for label, _, cells, kind in printed_rows:
        if style.sections and kind != current:
            items.append(sections[kind])
            current = kind
        items.append([label, *(cells[c][0] for c in columns)])
    width = 1 + ncol
    grid: list[list[str]] = []
    pairs = style.pairs if ncol == 1 else 1
    head = ["Bond" if style.header != "temperature" else "", *names]
    grid.append(head * pairs)
    # pairs side by side: each section's rows split into halves
    blocks: list[tuple[str | None, list[list[str]]]] = []
    for item in items:
        if isinstance(item, str):
            blocks.append((item, []))
        else:
            if not blocks:
                blocks.append((None, []))
            blocks[-1][1].append(item)
    for title, block_rows in blocks:
        if title is not None:
            grid.append([title] + [""] * (width * pairs - 1))
        half = (len(block_rows) + pairs - 1) // pairs
        for k in range(half):
            line = []
            for p in range(pairs):
                idx = k + p * half
                line += block_rows[idx] if idx < len(block_rows) else [""] * width
            grid.append(line)
    return _lay_out(grid, style, header_rows=1)


def _lay_out(grid: list[list[str]], style: Style, header_rows: int) -> list[str]:
    if style.layout == "tsv":
        return ["\t".join(row).rstrip("\t") if row[0] else "\t".join(row) for row in grid]
    if style.layout == "pipe":
        out = []
        for n, row in enumerate(grid):
            out.append("| " + " | ".join(row) + " |")
            if n == header_rows - 1 and style.separator:
                out.append("|" + "---|" * len(row))
        return out
    widths = [max(_width(row[j]) for row in grid if j < len(row)) for j in range(len(grid[0]))]
    out = []
    for row in grid:
        cells = [row[j] + " " * (widths[j] - _width(row[j]) + 3) for j in range(len(row))]
        out.append("".join(cells).rstrip())
    return out


def _width(text: str) -> int:
    return len(re.sub(r"</?sup>", "", text))


def _legend_lines(legend: dict[str, str], style: Style) -> list[str]:
    if style.legend == "shelxl":
        entries = "    ".join(f"{k} {op}" for k, op in legend.items())
        return ["Symmetry transformations used to generate equivalent atoms:", entries]
    if style.legend == "sup_keys":  # IUCr journals as extracted to HTML-ish text
        entries = "; ".join(f"<sup>{k}</sup> {op}" for k, op in legend.items())
        return [f"Symmetry codes: {entries}."]
    if style.legend == "comma_sep":  # entries separated by commas only
        return ["Symmetry codes: " + ", ".join(f"({k}) {op}" for k, op in legend.items())]
    if style.legend == "letters_run":  # letters one after another, no separator
        return ["Symmetry-generated atoms: " + " ".join(f"{k} {op}" for k, op in legend.items())]
    if style.legend == "olex_sup":
        return ["; ".join(f"{k.translate(_SUPERSCRIPT)}{op}" for k, op in legend.items())]
    if style.legend == "olex":
        return [f"{k}{op}" if False else f"{k} {op}" for k, op in legend.items()]
    if style.legend == "sentence":

        def key(k: str) -> str:
            romans = ("roman_sup", "roman_caret", "roman_plain", "primes")
            return f"({k})" if style.marks in romans else k

        entries = "; ".join(f"{key(k)} {op}" for k, op in legend.items())
        return [f"Symmetry codes: {entries}."]
    return [f"{k} {op}" for k, op in legend.items()]


def alter_value(printed: Printed) -> tuple[str, str] | None:
    """The text with the first distance value of a row without codes (else with; of an H-bond, its
    D···A: heavy atoms, whose su is small even when none is printed; the first angle in a
    table of angles) moved by 10 su (0.05 Å or 0.5° without su), and that row's label."""
    distances = [r for r in printed.rows if r[3] in ("distance", "hbond")]
    rows = distances or printed.rows  # a table of angles: 10 su or 0.5°
    uncoded = [r for r in rows if not r[1]]
    for label, _, cells, kind in uncoded or rows:  # rows without codes first
        index = 2 if kind == "hbond" else 0
        text = next(iter(cells.values()))[index]
        m = re.match(r"^(-?\d+)\.(\d+)( ?\(\d+\))?(.*)$", text)
        if not m:
            continue
        decimals = len(m.group(2))
        su = re.search(r"\((\d+)\)", text)
        step = 10 * int(su.group(1)) * 10**-decimals if su else (0.5 if kind == "angle" else 0.05)
        value = float(f"{m.group(1)}.{m.group(2)}") + step
        new = f"{value:.{decimals}f}" + (m.group(3) or "") + m.group(4)
        lines = printed.text.split("\n")
        printed_label = re.escape(label).replace(r"\-", r"[-\t]")  # Olex2: atoms in cells
        at = [
            n
            for n, line in enumerate(lines)
            if re.match(r"^\|?\s*" + printed_label + r"(?=\s|\|)", line)
        ]
        if len(at) != 1:
            continue
        line = lines[at[0]]
        rest = re.match(r"^\|?\s*" + printed_label, line).end()
        found = [
            rest + mm.start()
            for mm in re.finditer(r"(?<![\d.])" + re.escape(text) + r"(?![\d(])", line[rest:])
        ]
        if len(found) != 1:  # the value is printed once after the label (not twice in a row)
            continue
        lines[at[0]] = line[: found[0]] + new + line[found[0] + len(text) :]
        return "\n".join(lines), label
    return None


def alter_legend(printed: Printed, shift: tuple[int, int, int]) -> tuple[str, str] | None:
    """The text with the first legend key's operator translated by ``shift`` (1/24ths),
    written as the generator writes it, and the key."""
    if not printed.legend:
        return None
    key, op_text = next(iter(printed.legend.items()))
    style = _op_style(op_text)
    op = gemmi.Op(op_text.replace(" ", "").replace("−", "-").lower())
    moved = gemmi.Op(op.triplet())
    moved.tran = [t + d for t, d in zip(op.tran, shift, strict=True)]
    new = format_op(moved, style)
    keys = ((f"({key})", " "), (f"<sup>{key}</sup>", " "), (key, " "))
    for old_key, sep in (*keys, (key.translate(_SUPERSCRIPT), "")):
        old = f"{old_key}{sep}{op_text}"
        if printed.text.count(old) == 1:
            return printed.text.replace(old, f"{old_key}{sep}{new}"), key
    return None


def _op_style(text: str) -> str:
    if "−" in text:
        return "unicode"
    if "X" in text or "Y" in text or "Z" in text:
        return "olex"
    if re.search(r"\d\.\d", text):
        return "decimal"
    if re.search(r"\d - |[-+] [xyz]", text):
        return "spaced"
    if ", " in text:
        return "const" if re.match(r"-?\d", text) or re.search(r", -?\d", text) else "vf_spaced"
    return "vf"
