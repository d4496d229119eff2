"""`coordgeo validate` on SI tables in the layouts journals print, made from published CIFs.

The tables are printed by :mod:`support.si_layouts` from a CIF's own ``_geom_bond``,
``_geom_angle`` and ``_geom_hbond`` loops (the authors' values, su's and ``n_klm`` codes,
read with gemmi alone, independent of coordgeo's geometry) in one family of layouts
each: tab-separated, pipe and space-aligned (pdftotext ``-layout``) columns, one or two
label/value pairs a row; codes as letters, SHELXL ``#1``, roman numerals (``^i``,
``<sup>i</sup>``, and plain ``N1ii`` where text extraction lost the superscript), primes,
Olex2 ``$1`` and Olex2 report tables (``Atom | Atom | Length/Å``, ``O8¹``); legends
and operators in the matching styles; values ``1.994 (4)``,
``178.0(2)°`` or without su; unit headers ``(Å)``, ``[Å]``, ``/Å``.

An untouched table validates ``ok`` value for value. Then, one at a time: a distance
moved by 10 of its su's (0.05 Å without su) is the only ``mismatch``; the first legend
operator moved by the longest lattice vector makes every row that uses its mark, and only
those, ``not-a-contact`` (the image moves ≥ 7.6 Å from the partner it was bonded to, beyond
every contact limit); the same operator with 1/3 added to its z translation is no
operation of the group (operations with one rotation differ by lattice and centring
vectors, and no centring vector is (0, 0, 1/3)), so exactly those rows are
``code-invalid``. Before the reader's fixes each family lost rows or passed wrong legends
(see the per-test comments).
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import gemmi
import pandas as pd
import pytest
from typer.testing import CliRunner

from coordgeo.cli.app import app
from coordgeo.io.cif import read_cif
from coordgeo.io.sitables import parse_label, parse_legend, parse_value, read_si_tables
from coordgeo.sitables import check_tables, match_columns, validate_document

from support.si_layouts import (
    STYLES,
    Printed,
    alter_legend,
    alter_value,
    hbond_rows,
    metal_rows,
    render,
    series_rows,
    symmetry_operators,
)

# Al1 of 1000000 (P -1, 296 K): AlO4 with O8 and the Al–O–P angles through images
# (-x+1,-y+2,-z and -x,-y+2,-z), 15 rows
GEOMETRY_CIF = "1000000.cif"
# Ni1 of 2218529 (R -3 c, thirds in its operators): N-H···O and O-H···N H-bonds, 7 of
# the 12 acceptors an image
HBOND_CIF = "2218529.cif"


def _setup(shared: Path, name: str, block_name: str | None = None):
    path = shared / "cifs" / "published" / name
    doc = gemmi.cif.read(str(path))
    block = doc[block_name] if block_name else doc[0]
    structure = next(s for s in read_cif(path) if s.block == block.name)
    return path, block, structure


def _flagged(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return {(r.label, r.status) for r in frame[frame["status"] != "ok"].itertuples()}


def _validate(tmp_path: Path, text: str, structure, name: str) -> pd.DataFrame:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return validate_document(read_si_tables(path), [structure])


def _check_all(printed: Printed, structure, tmp_path: Path, values: int) -> None:
    """Untouched all ok; one altered value, one shifted and one impossible operator flag
    exactly their rows."""
    frame = _validate(tmp_path, printed.text, structure, "si.txt")
    assert len(frame) == values
    assert set(frame["status"]) == {"ok"}, frame[frame["status"] != "ok"].to_string()

    text, label = alter_value(printed)
    assert _flagged(_validate(tmp_path, text, structure, "value.txt")) == {(label, "mismatch")}

    lengths = structure.cell.parameters[:3]
    k = max(range(3), key=lambda i: lengths[i])
    assert lengths[k] > 7.6
    longest = tuple(gemmi.Op.DEN if i == k else 0 for i in range(3))
    third = (0, 0, gemmi.Op.DEN // 3)
    for move, status in ((longest, "not-a-contact"), (third, "code-invalid")):
        text, key = alter_legend(printed, move)
        want = {(label, status) for label, used, *_ in printed.rows if key in used}
        assert want
        assert _flagged(_validate(tmp_path, text, structure, "legend.txt")) == want


@pytest.mark.parametrize("name", sorted(STYLES))
def test_layout_families_validate_and_flag_exactly_the_mistakes(
    name: str, shared: Path, tmp_path: Path
) -> None:
    # Before the fixes: space-aligned tables were not found at all (0 of 15 values);
    # `^i` after `O(8)` and `<sup>i</sup>` marks left the labels unread; `108.9(2)°` was
    # an InputError; a legend of primes `(') 1-x, …` was not read; and `#1`/`$1` marks
    # whose legend entry was wrong still came out ok (read as "some symmetry mate");
    # Olex2's report tables (one cell per atom, `O8¹`, legend `¹1-X,2-Y,-Z`) named no atoms;
    # a pipe table without its |---| line made the whole document an InputError (its
    # header read as a row of values).
    _, block, structure = _setup(shared, GEOMETRY_CIF)
    metal, rows = metal_rows(block)
    assert metal == "Al1" and len(rows) == 15
    style = STYLES[name]
    column = f"{structure.temperature:g} K" if style.header == "temperature" else "value"
    printed = render(rows, symmetry_operators(block), style, columns=(column,))
    tables = read_si_tables(printed.text)
    assert len(tables) == 1 and tables[0].layout == {"tsv": "tsv", "pipe": "markdown",
                                                     "spaces": "spaces"}[style.layout]  # fmt: skip
    assert set(tables[0].legend) == set(printed.legend)
    _check_all(printed, structure, tmp_path, len(printed.rows))
    # the table alone: no finding says the authors' own numbers are inconsistent
    found = check_tables(tables)
    assert not found["status"].isin(["invalid", "inconsistent"]).any(), found.to_string()


@pytest.mark.parametrize("name", ["seed000-tsv", "pipe-primes", "spaces-pairs-roman", "olex-bonds"])
def test_hbond_tables_in_three_styles(name: str, shared: Path, tmp_path: Path) -> None:
    # D–H···A with the acceptor's code (A, ', ^i, ¹); headers D–H (Å), D···A/Å,
    # ∠D–H···A (°); Olex2's D | H | A | d(D-H)/Å | … cells, which were read as a table of
    # one-atom labels (nothing to validate) before the atom columns were joined
    _, block, structure = _setup(shared, HBOND_CIF)
    rows = hbond_rows(block)
    assert len(rows) == 12
    style = replace(
        STYLES[name], header="unit_slash" if name.startswith("spaces") else "name", kinds=()
    )
    printed = render(rows, symmetry_operators(block), style)
    (table,) = read_si_tables(printed.text)
    assert table.kind == "hbond"
    assert set(table.rows["quantity"]) == {"D-H", "H...A", "D...A", "D-H...A"}
    _check_all(printed, structure, tmp_path, 4 * len(printed.rows))


@pytest.mark.parametrize(
    ("name", "block_name", "kind", "style"),
    [
        # Sr and an N site alone: its images printed NA, NB, ND were read as sodium,
        # niobium and neodymium (unknown-atom); so were SB (antimony) and OG
        ("2204347.cif", None, "geometry", "seed000-tsv"),
        ("wrong-multiplicity.cif", None, "geometry", "spaces-letters"),
        # SHELXL residue numbers: O9_14 with code A printed O9_14A, H3W_1: the H-bonds
        # named no atoms (not-checked, silently)
        ("bs5069-estimated-sg.cif", "FeZprime8", "hbond", "seed000-tsv"),
        ("bs5068-estimated-sg.cif", "2b", "hbond", "spaces-pairs-roman"),
        # a prime that is the label's, then a code: O2'^i
        ("bs5068-estimated-sg.cif", "3", "hbond", "spaces-pairs-roman"),
        # letters and digits after the number: H6W1_1, H1w1 (named no atoms)
        ("bs5068-estimated-sg.cif", "6", "hbond", "spaces-pairs-roman"),
        ("2205051_cif_molecule.cif", None, "hbond", "pipe-primes"),
        # roman codes run into an element-only label: Bri (Br + i), Nii (N + ii), read
        # as no atoms before; Ni, Si stay the elements where the legend has no i
        ("1100977.cif", None, "geometry", "tsv-roman-plain"),
        ("2204347.cif", None, "geometry", "tsv-roman-plain"),
        ("2020013.cif", None, "geometry", "tsv-roman-plain"),  # Kviii: K + viii
        # C1-H1···O1^i at 2.52 Å while O1 itself is 1.87 Å from H1: the angle row's
        # acceptor was not-a-contact, though the row's own H···A puts it there
        ("2205750.cif", None, "hbond", "seed000-tsv"),
    ],
)
def test_label_and_contact_families(
    name: str, block_name: str | None, kind: str, style: str, shared: Path, tmp_path: Path
) -> None:
    _, block, structure = _setup(shared, name, block_name)
    rows = metal_rows(block)[1] if kind == "geometry" else hbond_rows(block)
    assert rows
    printed = render(rows, symmetry_operators(block), replace(STYLES[style], kinds=()))
    per_row = 4 if kind == "hbond" else 1
    _check_all(printed, structure, tmp_path, per_row * len(printed.rows))


def test_centroid_with_a_code_is_not_checked(shared: Path, tmp_path: Path) -> None:
    # 2222274's own H-bond loop has C14-H14B···Cg1 with code 2_...: printed
    # C14-H14B···Cg1^ii, the centroid was looked up as an atom Cg1 (unknown-atom); now
    # not-checked, as Cg1 without a code always was
    _, block, structure = _setup(shared, "2222274.cif")
    rows = hbond_rows(block)
    style = replace(STYLES["seed000-tsv"], marks="roman_caret", legend="sentence")
    printed = render(rows, symmetry_operators(block), style)
    frame = _validate(tmp_path, printed.text, structure, "cg.txt")
    centroid = frame["label"].str.contains("Cg1")
    assert centroid.sum() == 4 and set(frame[centroid]["label"]) == {"C14-H14B···Cg1^ii"}
    assert set(frame[centroid]["status"]) == {"not-checked"}
    assert set(frame[~centroid]["status"]) == {"ok"} and (~centroid).sum() == 12


def test_columns_named_by_compound_number(shared: Path, tmp_path: Path) -> None:
    # `\t1\t1·MeOH`: a header of compound numbers was read as a row of values (its
    # label cell empty) and the columns had no names; two structures in the order given
    path, block, structure = _setup(shared, GEOMETRY_CIF)
    _, rows = metal_rows(block)
    style = replace(STYLES["tsv-sharp-shelxl"], header="temperature")
    printed = render(rows, symmetry_operators(block), style, columns=("1", "2"))
    (table,) = read_si_tables(printed.text)
    assert table.columns == ("1", "2")
    copy = tmp_path / "copy.cif"
    copy.write_text(path.read_text(encoding="utf-8", errors="replace"), encoding="utf-8")
    (other,) = read_cif(copy)[:1]
    frame = validate_document(table, [structure, other])
    assert len(frame) == 2 * len(rows) and set(frame["status"]) == {"ok"}
    matched = {m.column: m.structure for m in match_columns(table, [structure, other])}
    assert matched["1"] is structure and matched["2"] is other


def test_space_aligned_prose_is_no_table() -> None:
    # pdftotext -layout justifies prose with runs of spaces; a line of words with one
    # number in it must not start a table (nor make the document unreadable)
    text = (
        "Synthesis  was  done  in  3  steps  and  the  yield  was  40  %  after  2  days.\n"
        "The  powder  was  dried  in  N2  for  12  h  and  kept  at  4  degrees.\n"
        "\n"
        "Bond            Distance (Å)\n"
        "Fe1–N1          1.994(4)\n"
        "Fe1–N2          2.059 (4)\n"
    )
    (table,) = read_si_tables(text)
    assert table.layout == "spaces" and list(table.rows["label"]) == ["Fe1–N1", "Fe1–N2"]
    assert list(table.rows["published_su"]) == pytest.approx([0.004, 0.004])


def test_marks_and_units_as_printed() -> None:
    # one reader for every spelling of a code mark and a unit after the number
    assert parse_value("178.0(2)°") == pytest.approx((178.0, 0.2))
    assert parse_value("1.994 (4) Å") == pytest.approx((1.994, 0.004))
    for printed in ("O(8)^i–Al(1)", "O8<sup>i</sup>–Al1", "O(8)<sup> i </sup>–Al(1)",
                    "O8^{i}–Al1", "O8i–Al1"):  # fmt: skip
        atoms, codes, _ = parse_label(printed, ["i", "ii"])
        assert (atoms, codes) == (("O8", "Al1"), ("i", "")), printed


def test_cli_exit_status_on_a_space_aligned_table(shared: Path, tmp_path: Path) -> None:
    path, block, _ = _setup(shared, GEOMETRY_CIF)
    _, rows = metal_rows(block)
    printed = render(rows, symmetry_operators(block), STYLES["spaces-letters"])
    document = tmp_path / "si.txt"
    document.write_text(printed.text, encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(document), "--cif", str(path), "-f", "json"])
    assert result.exit_code == 0, result.output
    frame = pd.read_json(io.StringIO(result.stdout))
    assert len(frame) == len(printed.rows) and set(frame["status"]) == {"ok"}
    text, _ = alter_legend(printed, (0, 0, gemmi.Op.DEN // 3))
    document.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(document), "--cif", str(path)])
    assert result.exit_code == 1


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # IUCr journals through HTML: the keys as superscripts, the minus sign U+2212
        (
            "Symmetry codes: <sup>i</sup> −x+1, y, −z+1/2; <sup>ii</sup> x, y+1, z.",
            {"i": "−x+1, y, −z+1/2", "ii": "x, y+1, z"},
        ),
        ("^i 1-x, y, z; ^ii x, 1+y, z", {"i": "1-x, y, z", "ii": "x, 1+y, z"}),
        # entries separated by commas only, or by nothing
        (
            "Symmetry codes: (i) x+1/2, -y+1/2, z+1/2, (ii) -x, -y, -z",
            {"i": "x+1/2, -y+1/2, z+1/2", "ii": "-x, -y, -z"},
        ),
        ("Symmetry-generated atoms: A -x,y,z B x,1+y,z", {"A": "-x,y,z", "B": "x,1+y,z"}),
        # Olex2: a superscript number before the operator
        ("¹1-X,2-Y,-Z; ²-X,2-Y,-Z", {"1": "1-X,2-Y,-Z", "2": "-X,2-Y,-Z"}),
        (
            "Symmetry codes: (') 1-y, x-y, z; ('') 1-x+y, 1-x, z.",
            {"'": "1-y, x-y, z", "''": "1-x+y, 1-x, z"},
        ),
        ("The A and B sites are x, y, z", {}),  # prose is no legend
    ],
)
def test_legend_spellings(line: str, expected: dict[str, str]) -> None:
    # before: all but the last gave {} (the codes of the table then went unexplained)
    assert parse_legend(line) == expected


def test_mixed_site_labels_are_no_error_of_the_table(shared: Path, tmp_path: Path) -> None:
    # 2104374 labels mixed sites M9, M12: the self-check called every row naming M9A
    # `invalid` (no element symbol) and exited 1 on the authors' own numbers; the CIF
    # resolves them, and without it they are a warning
    _, block, structure = _setup(shared, "2104374.cif")
    _, rows = metal_rows(block)
    printed = render(rows, symmetry_operators(block), STYLES["seed000-tsv"])
    assert any("M9A" in label for label, *_ in printed.rows)
    frame = _validate(tmp_path, printed.text, structure, "si.txt")
    assert len(frame) == len(printed.rows) and set(frame["status"]) == {"ok"}
    found = check_tables(read_si_tables(printed.text))
    assert not found["status"].isin(["invalid", "inconsistent"]).any(), found.to_string()
    warned = found[found["note"].str.contains("no element symbol", regex=False)]
    assert len(warned) and set(warned["status"]) == {"warning"}


@pytest.mark.parametrize("style", ["seed000-tsv", "spaces-letters", "pipe-primes"])
def test_one_column_per_temperature(style: str, shared: Path, tmp_path: Path) -> None:
    # the three data blocks of the spin-crossover CIF (163, 293, 230 K), printed as
    # columns `230(2) K`, `163(2) K`, `293(2) K` (a temperature with its su was no
    # temperature before): each column goes to its block, every value ok
    path = next((shared / "cifs" / "spin-crossover").glob("*.cif"))
    blocks = list(gemmi.cif.read(str(path)))
    structures = read_cif(path)
    rows, per_block = series_rows(blocks)
    assert len(rows) >= 20
    order = [2, 0, 1]
    columns = [f"{structures[k].temperature:g}(2) K" for k in order]
    printed = render(
        rows,
        symmetry_operators(blocks[0]),
        replace(STYLES[style], header="temperature", pairs=1),
        columns=columns,
        values=[per_block[k] for k in order],
    )
    (table,) = read_si_tables(printed.text)
    assert table.temperatures == tuple(structures[k].temperature for k in order)
    frame = validate_document(table, structures)
    assert len(frame) == 3 * len(printed.rows) and set(frame["status"]) == {"ok"}
    blocks_of = {c: structures[k].block for c, k in zip(columns, order, strict=True)}
    assert (frame["block"] == frame["column"].map(blocks_of)).all()


@pytest.mark.parametrize("name", sorted(STYLES))
def test_a_misprinted_value_is_an_error_on_its_line(
    name: str, shared: Path, tmp_path: Path
) -> None:
    path, block, _ = _setup(shared, GEOMETRY_CIF)
    # Before the fix a space-aligned row with an unreadable value (`Fe1–O2  2.08OO(2)`)
    # was no row but the header of the rows under it; the row above it was lost and the
    # table validated "all ok" (exit 0). A label naming atoms makes a row whatever its
    # values are: the first and last row misprinted (`.` → `.O`) stop the document.
    _, rows = metal_rows(block)
    printed = render(rows, symmetry_operators(block), STYLES[name])
    lines = printed.text.split("\n")
    values = [next(iter(cells.values()))[0] for _, _, cells, _ in printed.rows]
    unique = [v for v in values if sum(v in line for line in lines) == 1]
    document = tmp_path / "si.txt"
    for value in (unique[0], unique[-1]):
        at = next(n for n, line in enumerate(lines) if value in line)
        bad = [*lines[:at], lines[at].replace(value, value.replace(".", ".O", 1), 1)]
        document.write_text("\n".join(bad + lines[at + 1 :]), encoding="utf-8")
        result = CliRunner().invoke(app, ["validate", str(document), "--cif", str(path)])
        assert result.exit_code == 2, result.output
        assert f"line {at + 1}: cannot read {value.replace('.', '.O', 1)!r}" in result.output
