"""Reading the supporting-information tables of the seed documents (../shared/seeds).

Expected counts and values were read off the seed text by hand; the line numbers are
those of the seed files.
"""

from __future__ import annotations

import math
import time
import warnings
from pathlib import Path

import pytest

from coordgeo.errors import InputError
from coordgeo.io.cif import read_cif
from coordgeo.io.labels import resolve_label
from coordgeo.io.sitables import (
    ROW_COLUMNS,
    SITable,
    atom_readings,
    normalise_atom,
    parse_label,
    parse_legend,
    parse_value,
    printed_reading_note,
    read_si_tables,
)

SEED_000 = "seeds/000_fb352ce30e6fcf84.txt"
SEED_003 = "seeds/003_e508494d7d1ed216.txt"
SEED_004 = "seeds/004_8df7b8245e7dc961.txt"


@pytest.fixture(scope="module")
def seed000(shared: Path) -> list[SITable]:
    return read_si_tables(shared / SEED_000)


@pytest.fixture(scope="module")
def seed003(shared: Path) -> list[SITable]:
    return read_si_tables(shared / SEED_003)


def row(table: SITable, label: str, column: str | None = None, quantity: str | None = None):
    rows = table.rows[table.rows["label"] == label]
    if column is not None:
        rows = rows[rows["column"] == column]
    if quantity is not None:
        rows = rows[rows["quantity"] == quantity]
    assert len(rows) == 1, (label, column, quantity, rows)
    return rows.iloc[0]


# --------------------------------------------------------------------------- row counts


def test_seed000_every_table_found(seed000: list[SITable]) -> None:
    # Tables S1–S6 in document order: S1/S3 tab-separated geometry, S2/S4 H-bonds,
    # S5 cyclic voltammetry, S6 thermodynamics; captions S1/S3 sit below their tables,
    # S2/S4/S5/S6 above.
    assert [t.name for t in seed000] == [f"Table S{i}" for i in range(1, 7)]
    assert [t.kind for t in seed000] == [
        "geometry",
        "hbond",
        "geometry",
        "hbond",
        "other",
        "thermo",
    ]
    assert [t.compounds for t in seed000] == [("1",), ("1",), ("2",), ("2",), ("2",), ("1", "2")]


@pytest.mark.parametrize(
    ("index", "printed_rows", "values"),
    [
        # S1: 10 distance rows (lines 14–23) + 12 angle rows (24–35), two temperatures
        (0, 22, 44),
        # S2: five H-bonds (lines 44–48), four numbers each
        (1, 5, 20),
        # S3: 10 distance rows (51–60) + 12 angle rows (61–72), two temperatures
        (2, 22, 44),
        # S4: three H-bonds (lines 81–83)
        (3, 3, 12),
        # S5: three redox couples; E_pa, E_pc, E_1/2 each, ΔE only in the second: 3+4+3
        (4, 3, 10),
        # S6: compounds 1 and 2, ΔH, ΔS, T½, Γ each
        (5, 2, 8),
    ],
)
def test_seed000_row_counts(
    seed000: list[SITable], index: int, printed_rows: int, values: int
) -> None:
    table = seed000[index]
    assert table.rows["row"].nunique() == printed_rows
    assert len(table.rows) == values
    assert list(table.rows.columns) == list(ROW_COLUMNS)


def test_seed000_geometry_split(seed000: list[SITable]) -> None:
    for table in (seed000[0], seed000[2]):
        per_row = table.rows.drop_duplicates("row")
        assert (per_row["kind"] == "distance").sum() == 10
        assert (per_row["kind"] == "angle").sum() == 12


def test_seed003_side_by_side(seed003: list[SITable]) -> None:
    (table,) = seed003
    # 12 printed data lines (10 under "Selected bond distances", 2 under "angles");
    # group 1 holds Ru(1) 6 + P(1) 4 distances and 2 angles, group 2 Cu(1) 5 + P(2) 4
    # distances and 2 angles: 23 values.
    assert table.kind == "geometry" and table.layout == "markdown"
    assert table.rows["row"].nunique() == 12
    assert len(table.rows) == 23
    assert (table.rows["group"] == 1).sum() == 12
    assert (table.rows["group"] == 2).sum() == 11
    assert table.rows.groupby("kind").size().to_dict() == {"angle": 4, "distance": 19}
    assert set(table.rows["section"]) == {"Selected bond distances (Å)", "Selected bond angles (°)"}
    # blank headers: both groups continue one list, one data set
    assert table.columns == ("value",)


def test_seed004_has_no_tables(shared: Path) -> None:
    # seed 004 is experimental prose and figure captions only
    assert read_si_tables(shared / SEED_004) == []


# --------------------------------------------------------------------------- values


def test_table_s1_values(seed000: list[SITable]) -> None:
    s1 = seed000[0]
    # "290 К" is printed with a Cyrillic К
    assert s1.columns == ("100 K", "290 K")
    assert s1.temperatures == (100.0, 290.0)
    assert s1.caption.startswith("Table S1 Selected bond lengths")
    assert dict(s1.legend) == {"A": "-x+1,y,-z+1/2"}
    assert s1.legend_line == 39
    r = row(s1, "Fe1-N1", "290 K")
    assert (r["published"], r["published_su"], r["text"], r["line"]) == (
        2.153,
        0.004,
        "2.153(4)",
        14,
    )
    assert r["atoms"] == ("Fe1", "N1") and r["codes"] == ("", "")
    r = row(s1, "N3A-Fe1-N1", "100 K")
    assert r["atoms"] == ("N3", "Fe1", "N1") and r["codes"] == ("A", "", "")
    assert r["kind"] == "angle" and r["published"] == 92.7 and r["temperature"] == 100.0
    assert row(s1, "Fe2-C16", "290 K")["published_su"] == pytest.approx(0.006)


def test_table_s3_legend(seed000: list[SITable]) -> None:
    s3 = seed000[2]
    assert s3.columns == ("100 K", "300 K")
    assert dict(s3.legend) == {"A": "-x+1,y,-z+3/2"}
    assert s3.operators["A"].triplet() == "-x+1,y,-z+3/2"


def test_hbond_tables(seed000: list[SITable]) -> None:
    s2, s4 = seed000[1], seed000[3]
    # temperature from the caption "… in 1 at 100 K."
    assert set(s2.rows["temperature"]) == {100.0}
    # OCR "01-H1B …N4": digit zero read as O; each number its own distance/angle row
    assert row(s2, "01-H1B …N4", quantity="D-H")["atoms"] == ("O1", "H1B")
    assert row(s2, "01-H1B …N4", quantity="H...A")["atoms"] == ("H1B", "N4")
    d_a = row(s2, "01-H1B …N4", quantity="D...A")
    assert d_a["atoms"] == ("O1", "N4") and d_a["published"] == 3.07 and d_a["published_su"] == 0.02
    angle = row(s2, "01-H1B …N4", quantity="D-H...A")
    assert angle["atoms"] == ("O1", "H1B", "N4") and angle["kind"] == "angle"
    assert math.isnan(angle["published_su"]) and angle["published"] == 120
    # "04-H4A …05" in Table S4
    assert row(s4, "04-H4A …05", quantity="D-H...A")["atoms"] == ("O4", "H4A", "O5")


def test_thermo_table(seed000: list[SITable]) -> None:
    s6 = seed000[5]
    # header printed as "<i>Т</i> <sub>1/2</sub> (К)" and "<i>Г</i>" with Cyrillic letters
    assert s6.columns == ("ΔH (kJ mol⁻¹)", "ΔS (J mol⁻¹ K⁻¹)", "T1/2 (K)", "Γ (kJ mol⁻¹)")
    values = {(r.label, r.quantity): (r.published, r.unit) for r in s6.rows.itertuples()}
    assert values[("1", "delta_h")] == (21.87, "kJ/mol")
    assert values[("1", "delta_s")] == (87.46, "J/(mol K)")
    assert values[("2", "t_half")] == (182.0, "K")
    assert values[("2", "gamma")] == (-0.84, "kJ/mol")
    # no column temperature: "K⁻¹" in the ΔS header is a unit, not 1 K
    assert s6.temperatures == (None, None, None, None)


def test_cv_table(seed000: list[SITable]) -> None:
    s5 = seed000[4]
    assert s5.columns == ("Epa [V]", "Epc [V]", "E1/2 [V]", "ΔE [V]")
    # E1/2 of the three couples (lines 88–90) and the one ΔE (line 89)
    assert list(s5.rows[s5.rows["column"] == "E1/2 [V]"]["published"]) == [-0.673, -0.19, 0.348]
    assert list(s5.rows[s5.rows["column"] == "ΔE [V]"]["published"]) == [0.538]
    assert set(s5.rows["unit"]) == {"V"}


def test_seed003_labels(seed003: list[SITable]) -> None:
    (table,) = seed003
    assert list(table.legend) == ["A", "B", "C", "D", "E"]
    assert table.legend["B"] == "1/2 - x, -1/2 + y, 2/3 - z"
    r = row(table, "Cu(1)–O(3B)")
    assert r["atoms"] == ("Cu1", "O3") and r["codes"] == ("", "B")
    # the other reading stays available for the validator
    assert r["candidates"][1] == (("O3", "B"), ("O3B", ""))
    r = row(table, "Ru(1A)–Ru(1)–O(1)")
    assert r["atoms"] == ("Ru1", "Ru1", "O1") and r["codes"] == ("A", "", "")
    # hyphen instead of en dash in one row
    assert row(table, "Ru(1)-O(2A)")["atoms"] == ("Ru1", "O2")
    assert row(table, "Ru(1)–Ru(1A)")["published_su"] == pytest.approx(0.0008)


# --------------------------------------------------------------------------- labels


@pytest.mark.parametrize(
    ("printed", "keys", "atoms", "codes"),
    [
        ("Fe(1)-N(1)", [], ("Fe1", "N1"), ("", "")),
        ("Ru(1)–O(3B)", ["B"], ("Ru1", "O3"), ("", "B")),
        ("Ru(1)–O(3B)", [], ("Ru1", "O3B"), ("", "")),  # no legend letter B: a label
        ("01-Fe1", [], ("O1", "Fe1"), ("", "")),  # digit zero for O
        ("К1–О2", [], ("K1", "O2"), ("", "")),  # Cyrillic К and О
        ("CO(1)—N(2)", [], ("Co1", "N2"), ("", "")),  # element capitalised
        ("N1A-Fe1-N1", ["A"], ("N1", "Fe1", "N1"), ("A", "", "")),
        ("O1-H1…O2", [], ("O1", "H1", "O2"), ("", "", "")),
        ("O1−H1···O2#1", ["#1"], ("O1", "H1", "O2"), ("", "", "#1")),
        ("N1 ... N2", [], ("N1", "N2"), ("", "")),
        ("C1-C2-C3-C4", [], ("C1", "C2", "C3", "C4"), ("", "", "", "")),
        # labels without a number: an element symbol alone, perhaps with a legend key
        ("V-O6A", ["A"], ("V", "O6"), ("", "A")),
        ("Ni–O7", [], ("Ni", "O7"), ("", "")),
        ("NiA-O7", ["A"], ("Ni", "O7"), ("A", "")),
        # arbitrary site labels: mixed (M1) and tetrahedral (T52A) sites, water O1W
        ("M1-Ti02E", [], ("M1", "Ti02E"), ("", "")),
        ("Ta1-M7A_C", ["C"], ("Ta1", "M7A"), ("", "C")),
        ("Co-O1W_A", ["A"], ("Co", "O1W"), ("", "A")),
        ("O1W-Cu1-N1", [], ("O1W", "Cu1", "N1"), ("", "", "")),
    ],
)
def test_parse_label(printed: str, keys: list[str], atoms: tuple, codes: tuple) -> None:
    parsed = parse_label(printed, keys)
    assert parsed is not None
    assert parsed[:2] == (atoms, codes)


def test_label_readings() -> None:
    # ambiguous O(3B) under a legend with B: code reading first, the label kept as well
    assert atom_readings("O(3B)", ["A", "B"]) == [("O3", "B"), ("O3B", "")]
    # riding-H names end in letters: H1B prefers the plain label even when B is a code
    assert atom_readings("H1B", ["B"]) == [("H1B", ""), ("H1", "B")]
    assert normalise_atom("Fe(1)") == ("Fe1", "", "")
    assert normalise_atom("Fe (1)") == ("Fe1", "", "")
    assert normalise_atom("OW1") == ("OW1", "", "")  # not an element symbol: kept as printed
    assert normalise_atom("[Fe II 2Co II]") is None
    assert parse_label("Compound", []) is None
    assert parse_label("[Fe <sup>II</sup> 2Co]", []) is None
    # words are not atoms: no number, not an element symbol, or lower-case letters after one
    for word in ("Mean", "Sum", "Cg", "Range", "av", "b"):
        assert normalise_atom(word) is None, word
    assert parse_label("Fe-N (av.)", []) is None
    assert normalise_atom("N1′") == ("N1", "", "'")  # a typeset prime is the ASCII one
    assert (
        printed_reading_note("01") == "printed '01' read as O1 (the digit 0 read as the letter O)"
    )
    assert "Cyrillic" in printed_reading_note("О2")  # Cyrillic capital O
    assert printed_reading_note("Fe(1)") == ""  # parentheses are no OCR confusion


# --------------------------------------------------------------------------- label resolver


@pytest.fixture(scope="module")
def vco(shared: Path):
    # V1, Co1, P1-P3, O1P …, C32-C36: one V and one Co site, three P sites
    (structure,) = read_cif(shared / "cifs" / "published" / "2219463_decomposition_temperature.cif")
    return structure


@pytest.mark.parametrize(
    ("label", "site", "how", "note"),
    [
        ("V1", "V1", "exact", ""),
        ("v1", "V1", "case", ""),
        ("O(1P)", "O1P", "normalised", ""),
        ("V1'", "V1", "mate", "V1' read as a symmetry mate of V1"),
        ("V", "V1", "pattern", "V read as V1 (the only V site)"),
        ("Co", "Co1", "pattern", "Co read as Co1 (the only Co site)"),
        ("C032", "C32", "pattern", "C032 read as C32 (leading zeros of the number)"),
    ],
)
def test_resolve_label(vco, label: str, site: str, how: str, note: str) -> None:
    found = resolve_label(vco, label, patterns=True)
    assert [vco.labels[i] for i in found.sites] == [site]
    assert (found.how, found.note) == (how, note)
    # a CIF's own loops (coordgeo check) get no pattern guesses
    assert resolve_label(vco, label).resolved == (how != "pattern")


def test_unresolved_labels_name_their_candidates(vco, tmp_path: Path) -> None:
    # three P sites: "P" alone cannot be resolved, and the note names all three
    found = resolve_label(vco, "P", patterns=True)
    assert not found.resolved and found.candidates == ("P1", "P2", "P3")
    assert "the CIF has 3 P sites (P1, P2, P3)" in found.note
    # O99: no close spelling, so the O sites nearest in number (O3, then O1P/O2 …)
    found = resolve_label(vco, "O99", patterns=True)
    assert not found.resolved and found.candidates[0] == "O3"
    assert found.unresolved_note().startswith("no site O99 (nearest: O3")
    # a site labelled K alone (2003120: K, As, F): K1 is read as it, with a note
    (kasf,) = read_cif(Path(vco.path).with_name("2003120.cif"))
    found = resolve_label(kasf, "K1", patterns=True)
    assert [kasf.labels[i] for i in found.sites] == ["K"] and "labelled without" in found.note
    assert not resolve_label(kasf, "K2", patterns=True).resolved  # only the number 1


def test_check_and_validate_share_the_resolver(vco) -> None:
    from coordgeo.check import label_sites
    from coordgeo.sitables.labels import sites_for_label

    for label in ("V1", "v1", "O(1P)", "V1'", "Xx9"):
        found = resolve_label(vco, label)
        assert label_sites(vco, label) == (list(found.sites), found.note, found.mate)
    # the table side adds the patterns and the OCR note of the printed token
    assert sites_for_label(vco, "O1", "01") == (
        [vco.labels.index("O1")],
        "printed '01' read as O1 (the digit 0 read as the letter O)",
        False,
    )


def test_parse_value() -> None:
    assert parse_value("1.994(4)") == (1.994, pytest.approx(0.004))
    assert parse_value("−0.84") == (-0.84, None)
    assert parse_value("93.54(19)") == (93.54, pytest.approx(0.19))
    assert parse_value("120*") == (120.0, None)  # footnote marker
    assert parse_value("") is None and parse_value("—") is None
    with pytest.raises(ValueError):
        parse_value("abc")


def test_parse_legend() -> None:
    assert parse_legend("A -x+1,y,-z+1/2") == {"A": "-x+1,y,-z+1/2"}
    assert parse_legend("Symmetry codes: A -x, 1 - y, 2 - z; B x, 1 + y, z;") == {
        "A": "-x, 1 - y, 2 - z",
        "B": "x, 1 + y, z",
    }
    shelx = (
        "Symmetry transformations used to generate equivalent atoms: "
        "#1 -x+1,y,-z+1/2    #2 -x,-y,-z"
    )
    assert parse_legend(shelx) == {"#1": "-x+1,y,-z+1/2", "#2": "-x,-y,-z"}
    assert parse_legend("Table S1 Selected bond lengths for 1, 2 and 3.") == {}


# --------------------------------------------------------------------------- errors


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_si_tables(tmp_path / "missing.txt")


def test_not_utf8(tmp_path: Path) -> None:
    # UTF-16 with a byte-order mark (Notepad's "Unicode") and Latin-1 are decoded
    # (coordgeo.io.files); a binary file is refused naming the file
    text = "Table S1. Bonds (Å).\n\t100 K\nFe1-N1\t1.994(4)\n"
    for encoding in ("utf-16", "latin-1"):
        path = tmp_path / f"{encoding}.txt"
        path.write_bytes(text.encode(encoding))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (table,) = read_si_tables(path)
        assert table.columns == ("100 K",) and len(table.rows) == 1
    path = tmp_path / "binary.txt"
    path.write_bytes(b"PK\x03\x04\x00\x00" + text.encode())
    with pytest.raises(InputError) as info:
        read_si_tables(path)
    assert info.value.path == str(path)


def test_unreadable_number_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "si.txt"
    path.write_text("Table S1 Bonds.\n\n\t100 K\nFe1-N1\t1.994(4)\nFe1-N2\tabc\nFe1-N3\t1.934(4)\n")
    with pytest.raises(InputError) as info:
        read_si_tables(path)
    assert info.value.line == 5 and info.value.path == str(path)
    assert "abc" in str(info.value) and "\n" not in str(info.value)


def test_text_input_is_read_as_a_document() -> None:
    (table,) = read_si_tables("\t100 K\t290 K\nFe1-N1\t1.994(4)\t2.153(4)\n\nA -x+1,y,-z+1/2\n")
    assert table.columns == ("100 K", "290 K") and len(table.rows) == 2
    assert dict(table.legend) == {"A": "-x+1,y,-z+1/2"}
    assert table.source is None


@pytest.mark.parametrize(
    ("line", "labels"),
    [
        ("The" + " " * 100_000 + "end", 2),  # prose: every legend, caption and row pattern
        ("x  A" + " " * 100_000 + "end", 2),  # a legend key before the run ("A -x,y,z")
        ("Symmetry codes" + " " * 100_000 + "end", 2),  # a legend prefix with no colon
        ("Fe1–N3\t1.960(4)" + " " * 100_000 + "Å", 3),  # a value cell of a third row
    ],
)
def test_a_long_run_of_spaces_reads_in_linear_time(line: str, labels: int) -> None:
    # `(?P<op>.+?)\s*[;.]?\s*$` in the legend-entry pattern backtracked in cubic time on
    # a run of spaces followed by text (1.1 s CPU at 1000 spaces, 8.7 s at 2000), and the
    # caption, label and legend patterns in quadratic time (14 s at 100 000); linear now,
    # a few hundredths of a second at 100 000 spaces
    text = "Table S1. Bond lengths (Å)\n\nFe1–N1\t1.994(4)\nFe1–N2\t1.975(4)\n" + line + "\n"
    start = time.process_time()
    (table,) = read_si_tables(text)
    assert time.process_time() - start < 1.0
    assert list(table.rows["label"]) == ["Fe1–N1", "Fe1–N2", "Fe1–N3"][:labels]
    assert table.rows["published"].tolist() == [1.994, 1.975, 1.960][:labels]


@pytest.mark.parametrize(
    "row",
    ["Fe1–O1\t{}", "| Fe1–O1 | {} |", "Fe1–O1        {}", "Fe1\tO1\t{}", "| Fe1 | O1 | {} |"],
)
def test_a_misprinted_first_row_is_no_header(row: str) -> None:
    # tables without a header line: a first row whose value is unreadable was taken for
    # the header (its label cell has atoms, a header's does not), so the row vanished
    # and the document read without an error; now line 3 is named
    other = row.replace("O1", "O{}")
    text = "Table S1. Selected bond lengths (Å)\n\n" + "\n".join(
        [row.format("2.08OO(2)"), other.format(2, "2.0800(2)"), other.format(3, "2.0800(2)")]
    )
    with pytest.raises(InputError, match=r"line 3: cannot read '2\.08OO\(2\)'"):
        read_si_tables(text)
    (table,) = read_si_tables(text.replace("2.08OO", "2.0800"))
    assert table.rows["published"].tolist() == [2.08, 2.08, 2.08]
