"""SI tables validated against CIFs (coordgeo.sitables, ``coordgeo validate``).

The seeds' structures are not in ../shared, so most tables here are generated: from a
published CIF with :func:`support.si_tables.table_from_structure` (its numbers are the
CIF's own, so an untouched table must come out all ``ok``), or from the authors'
``_geom_*`` loops of a CIF (published numbers, an independent source). Expected statuses
of altered tables, seed tables and column mappings are derived by hand in the comments.
"""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path

import gemmi
import pandas as pd
import pytest
from typer.testing import CliRunner

from coordgeo.check import _LAYOUT
from coordgeo.cli.app import app
from coordgeo.io.cif import read_cif
from coordgeo.io.sitables import SITable, read_si_tables
from coordgeo.model import Structure
from coordgeo.sitables import (
    COLUMNS,
    EXTRA_COLUMNS,
    STATUSES,
    check_tables,
    format_operator,
    match_columns,
    validate_table,
)
from coordgeo.symmetry import code_to_triplet, is_identity, letters, parse_code

from support.si_tables import table_from_structure

SEED_000 = "seeds/000_fb352ce30e6fcf84.txt"
SEED_003 = "seeds/003_e508494d7d1ed216.txt"
REPO_CIFS = Path(__file__).resolve().parents[1] / "cifs"

runner = CliRunner()


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def co2(shared: Path) -> Structure:
    # [Co(…)2] chain compound, P 1 2/n 1: Co1 on the inversion centre (0, 1/2, 1/2) and
    # Co2 on (-1/2, 0, 1/2), each with three independent donors and their inverses
    (structure,) = read_cif(shared / "cifs" / "published" / "7051424.cif")
    return structure


@pytest.fixture(scope="module")
def qsal(qsal_cif: Path) -> list[Structure]:
    return read_cif(qsal_cif)  # 163 K (wp91ltb), 293 K (wp91-rt2), 230 K (wp91-mt2)


def one_table(text: str) -> SITable:
    (table,) = read_si_tables(text)
    return table


def statuses(frame: pd.DataFrame) -> dict[str, int]:
    return frame["status"].value_counts().to_dict()


# --------------------------------------------------------------------------- generated tables

# The original B of 7051424 is the inversion -x,-y,-z moved by (-1, 0, 1): the centre at
# (-1/2, 0, 1/2) on which Co2 sits. Its corruption puts 2/3 in the z translation: an
# inversion centre at z = 1/3 occurs in no space group.
CORRUPT = {
    "tab": ("B -x-1,-y,-z+1", "B -x-1,-y,-z+2/3"),
    "markdown": ("B -1 - x, -y, 1 - z", "B -1 - x, -y, 2/3 - z"),
}
ALTER = {  # Co1–N1, 2.144(4) in the CIF's _geom_bond loop (2.143 from the coordinates),
    # printed 0.020 Å (5 su) too long
    "tab": ("Co1-N1\t2.144(4)", "Co1-N1\t2.163(4)"),
    "markdown": ("| Co(1)–N(1) | 2.144(4) |", "| Co(1)–N(1) | 2.163(4) |"),
}


@pytest.mark.parametrize("layout", ["tab", "markdown"])
def test_generated_table_validates_all_ok(co2: Structure, layout: str) -> None:
    text = table_from_structure(co2, layout=layout, values="auto")
    table = one_table(text)
    assert table.layout == ("tsv" if layout == "tab" else "markdown")
    # Co1 and Co2: 6 bonds + 15 angles each
    assert len(table.rows) == 42 and table.rows["row"].nunique() == (42 if layout == "tab" else 21)
    # A, B: the inversions through Co1 (0, 1/2, 1/2) and Co2 (-1/2, 0, 1/2)
    ops = {k: op.triplet() for k, op in table.operators.items()}
    assert ops == {"A": "-x,-y+1,-z+1", "B": "-x-1,-y,-z+1"}
    if layout == "markdown":
        assert table.legend["A"] == "-x, 1 - y, 1 - z"  # the seed-003 style
        assert "Co(1)–O(3A)" in set(table.rows["label"])
    result = validate_table(table, co2)
    assert list(result.columns) == COLUMNS + EXTRA_COLUMNS
    assert statuses(result) == {"ok": 42}
    # each letter goes to operator 3 (-x,-y,-z) of the CIF with its lattice translation
    coded = result[result["label"].str.contains("O3A|O\\(3A\\)")]
    assert set(coded["symmetry_codes"]) <= {". 3_566", ". . 3_566", "3_566 . .", "3_566 . 3_566"}
    coded = result[result["label"].str.contains("N2B|N\\(2B\\)")]
    assert all("3_456" in c for c in coded["symmetry_codes"])


@pytest.mark.parametrize("layout", ["tab", "markdown"])
def test_altered_value_and_corrupted_operator(co2: Structure, layout: str) -> None:
    text = table_from_structure(co2, layout=layout, values="auto")
    for old, new in (ALTER[layout], CORRUPT[layout]):
        assert text.count(old) == 1
        text = text.replace(old, new)
    table = one_table(text)
    result = validate_table(table, co2)
    uses_b = result.index[[("B" in codes) for codes in table.rows["codes"]]]
    # B is used by Co2's three inverted donors: 3 bonds and the 12 of 15 angles that are
    # not between two of O6, N2, O4
    assert len(uses_b) == 15
    assert set(result.index[result["status"] == "code-invalid"]) == set(uses_b)
    mismatch = result[result["status"] == "mismatch"]
    assert list(mismatch["label"]) == [ALTER[layout][1].strip("| ").split(" |")[0].split("\t")[0]]
    # 2.163 − 2.143 = 0.020 Å = 5 su of the printed 0.004
    assert mismatch.iloc[0]["z"] < -3 and "(5.0 su)" in mismatch.iloc[0]["note"]
    assert (result.drop(index=[*uses_b, *mismatch.index])["status"] == "ok").all()
    # the suggestion is the original operator, in the legend's own style
    suggestions = set(result.loc[uses_b, "suggestion"])
    assert len(suggestions) == 1
    suggestion = suggestions.pop()
    assert gemmi.Op(suggestion.replace(" ", "")).triplet() == "-x-1,-y,-z+1"
    assert suggestion == CORRUPT[layout][0].removeprefix("B ")
    note = result.loc[uses_b[0], "note"]
    assert "not an operation of P 1 2/n 1" in note and "with the CIF: suggest B" in note
    # the value with the suggested operator is given, and agrees
    assert result.loc[uses_b, "calculated"].notna().all()


def test_wrong_translation_wrong_letter_unknown_atom(co2: Structure) -> None:
    text = table_from_structure(co2, layout="tab", values="auto")
    # A printed without its lattice translation: -x,-y,-z is still operator 3 of the CIF,
    # but puts O3 ~21 Å from Co1; the translation (0, 1, 1) makes the bond. The legend is
    # wrong as printed: every row through A is not-a-contact, with the right translation
    text = text.replace("A -x,-y+1,-z+1", "A -x,-y,-z")
    # C: the 2-fold axis -x+1/2,y,-z+1/2 of P 1 2/n 1. Its axes run at x = 1/4 + k/2,
    # z = 1/4 + l/2; Co1 at x = 0, z = 1/2 is √((a/4)² + (c/4)²) = √(2.96² + 4.86²) = 5.7 Å
    # from the nearest, so every image of O1 (2.15 Å from Co1) lies ≥ 2·5.7 − 2.15 = 9.2 Å
    # from Co1 whatever the lattice translation: not a contact, and nothing to suggest
    co1_o1 = next(line for line in text.splitlines() if line.startswith("Co1-O1\t"))
    text = text.replace(co1_o1, co1_o1.replace("Co1-O1", "Co1-O1C")) + "C -x+1/2,y,-z+1/2\n"
    co2_o4 = next(line for line in text.splitlines() if line.startswith("Co2-O4\t"))
    text = text.replace(co2_o4, co2_o4.replace("Co2-O4", "Co2-O99"))
    table = one_table(text)
    result = validate_table(table, co2).set_index("label")
    # A serves Co1's three inverted donors: 3 bonds and the 12 of 15 angles not between
    # two of O3, N1, O1
    uses_a = [r.label for r in table.rows.itertuples() if "A" in r.codes]
    assert len(uses_a) == 15
    assert statuses(result) == {"ok": 25, "not-a-contact": 16, "unknown-atom": 1}
    assert set(result.index[result["status"] == "not-a-contact"]) == {*uses_a, "Co1-O1C"}
    moved = result.loc["Co1-O3A"]
    assert moved["symmetry_codes"] == ". 3_555"  # as printed: 21.4 Å, not a bond
    assert moved["calculated"] > 20 and moved["suggestion"] == "-x,-y+1,-z+1"
    assert "the lattice translation is wrong: A -x,-y+1,-z+1 (3_566" in moved["note"]
    assert set(result.loc[uses_a, "suggestion"]) == {"-x,-y+1,-z+1"}
    far = result.loc["Co1-O1C"]
    assert far["suggestion"] == ""
    # the hint names the images of O1 bonded to Co1: O1 itself and its inverse through Co1
    # (not "A" here: A was printed without its translation above)
    assert "in contact with Co1: O1 2.154 Å, O1 (-x,-y+1,-z+1, 3_566) 2.154 Å" in far["note"]
    assert result.loc["Co2-O99", "status"] == "unknown-atom"
    # no close spelling: the O sites nearest in number are named
    assert "no atom O99 in data_7051424: no site O99 (nearest: O6" in result.loc["Co2-O99", "note"]


def test_multi_column_table_maps_columns_to_blocks(qsal: list[Structure]) -> None:
    ltb, rt2, mt2 = qsal
    table = one_table(table_from_structure([ltb, rt2], layout="tab", values="auto"))
    assert table.columns == ("163 K", "293 K")
    result = validate_table(table, qsal)  # all three blocks: the 230 K one is not used
    assert statuses(result) == {"ok": 42}
    assert result.groupby("column")["block"].unique().map(list).to_dict() == {
        "163 K": ["wp91ltb"],
        "293 K": ["wp91-rt2"],
    }
    # Fe(III) low spin at 163 K, high spin at 293 K: Fe1–N2 1.939 vs 2.145 Å, so the
    # columns given the wrong blocks cannot pass
    swapped = validate_table(table, {"163 K": rt2, "293 K": ltb})
    assert (swapped["status"] == "mismatch").sum() > 20
    # temperature, not order: columns 230 K then 163 K are blocks 3 and 1
    reverse = one_table(table_from_structure([mt2, ltb], layout="markdown", values="auto"))
    matches = {m.column: m.structure.block for m in match_columns(reverse, qsal)}
    assert matches == {"230 K": "wp91-mt2", "163 K": "wp91ltb"}
    assert statuses(validate_table(reverse, qsal)) == {"ok": 42}
    # one block for a two-column table: the other column has no structure, and says so
    single = validate_table(table, [ltb])
    assert statuses(single) == {"ok": 21, "no-structure": 21}
    assert "no structure at 293 K" in single[single["column"] == "293 K"].iloc[0]["note"]
    # --column picks one column; one structure then serves it
    only = validate_table(table, rt2, column="293K")
    assert set(only["column"]) == {"293 K"} and statuses(only) == {"ok": 21}


def test_columns_in_order_without_temperatures(qsal: list[Structure]) -> None:
    ltb, rt2, _ = qsal
    table = one_table(table_from_structure([ltb, rt2], layout="tab", values="auto"))
    bare = [dataclasses.replace(s, temperature=None) for s in (ltb, rt2)]
    matches = match_columns(table, bare)
    # both blocks name every atom of the table (one compound): the order decides
    assert [(m.column, m.structure.block, m.how) for m in matches] == [
        ("163 K", "wp91ltb", "in the order given and compound (21 of 21 rows name its atoms)"),
        ("293 K", "wp91-rt2", "in the order given and compound (21 of 21 rows name its atoms)"),
    ]


def seed000_cores() -> list[Structure]:
    return [read_cif(path)[0] for path in sorted(REPO_CIFS.glob("seed000_*_core.cif"))]


def test_seed000_columns_matched_by_compound(shared: Path) -> None:
    # Four cores: Fe1 + N1-N3 of compound 1 (100 K, 290 K), Co1 + N1-N3 of compound 2
    # (100 K, 300 K). Table S3 (compound 2) names Co1, N1-N3, Fe1, N6 … and its 100 K
    # column has two cores at 100 K: compound 1's names none of its rows' atoms together
    # (every row has Co1, or an atom such as N6 or C14 the core lacks), compound 2's
    # names the 12 rows of Co1–N1/N2/N3 and the 9 N–Co1–N angles
    tables = read_si_tables(shared / SEED_000)
    s1, s3 = tables[0], tables[2]
    cores = seed000_cores()
    blocks = {m.column: m.structure.block for m in match_columns(s3, cores)}
    assert blocks == {
        "100 K": "seed000_compound2_100K_core",
        "300 K": "seed000_compound2_300K_core",
    }
    blocks = {m.column: m.structure.block for m in match_columns(s1, cores)}
    assert blocks == {
        "100 K": "seed000_compound1_100K_core",
        "290 K": "seed000_compound1_290K_core",
    }
    # per column: 12 ok; the 6 Fe1 bonds, Fe1-Co1, C14-N3-Co1, N3-C14-Fe1 and
    # Fe1-Co1-Fe1A name atoms the core lacks
    assert statuses(validate_table(s3, cores)) == {"ok": 24, "unknown-atom": 20}
    # only the two 100 K cores, given compound 2 first or last: the same choice
    at_100 = [c for c in cores if c.temperature == 100]
    for given in (at_100, at_100[::-1]):
        (match,) = match_columns(s3, given, column="100 K")
        assert match.structure.block == "seed000_compound2_100K_core"
        assert match.how == "by temperature (100 K) and compound (12 of 22 rows name its atoms)"
    # the 300 K column has no core of compound 2 at 300 K here: not compound 1's either
    no = next(m for m in match_columns(s3, at_100) if m.column == "300 K")
    assert no.structure is None and "no structure at 300 K" in no.how
    # compound 1's core alone at 100 K with compound 2's at 300 K: S3's 100 K column is
    # left without a structure rather than given the wrong compound
    wrong = [c for c in cores if c.block.endswith(("compound1_100K_core", "compound2_300K_core"))]
    no = next(m for m in match_columns(s3, wrong) if m.column == "100 K")
    assert no.structure is None and "no structure of this compound at 100 K" in no.how


def test_one_cif_one_column_whatever_the_header(co2: Structure) -> None:
    # the table says 150 K, the CIF 296 K: one structure and one column go together,
    # every value checked, with the difference in each note
    text = table_from_structure(co2, layout="tab", values="auto").replace(
        "\t296 K\n", "\t150 K\n", 1
    )
    table = one_table(text)
    assert table.columns == ("150 K",)
    (match,) = match_columns(table, co2)
    assert match.how == (
        "the only structure and the only column; temperatures differ: column 150 K, CIF 296 K"
    )
    result = validate_table(table, [co2])
    assert statuses(result) == {"ok": 42}
    assert result["note"].str.startswith("temperatures differ: column 150 K, CIF 296 K").all()


def test_cli_column_names_its_cif(shared: Path, tmp_path: Path, qsal_cif: Path) -> None:
    cif = REPO_CIFS / "seed000_compound2_100K_core.cif"
    result = run("validate", shared / SEED_000, "--table", "S3", "--column", f"100 K={cif}")
    # 12 ok, 10 unknown-atom (the atoms the core lacks): exit 1, every row reported
    assert result.exit_code == 1, result.output
    assert "22 values in 1 table(s): 12 ok, 10 unknown-atom" in result.stderr
    assert "column 100 K ← seed000_compound2_100K_core.cif" in result.stdout
    assert "matched named" in result.stdout
    # the same file named for the 300 K column: checked, with the temperature note
    result = run("validate", shared / SEED_000, "--table", "S3", "--column", f"300K={cif}:")
    assert "temperatures differ: column 300 K, CIF 100 K" in result.stderr
    # a file of three blocks needs its block; a block that does not exist is exit 2
    (ltb, rt2, _) = read_cif(qsal_cif)
    table = tmp_path / "si.txt"
    table.write_text(
        table_from_structure([ltb, rt2], layout="tab", values="auto"), encoding="utf-8"
    )
    result = run("validate", table, "--column", f"163 K={qsal_cif}")
    assert result.exit_code == 2 and "3 data blocks" in result.stderr
    result = run("validate", table, "--column", f"163 K={qsal_cif}:nope")
    assert result.exit_code == 2 and "no data block 'nope'" in result.stderr
    result = run(
        "validate", table, "-c", f"163 K={qsal_cif}:wp91ltb", "-c", f"293K={qsal_cif}:wp91-rt2"
    )
    assert result.exit_code == 0, result.output
    assert "42 values in 1 table(s): 42 ok" in result.stderr


# --------------------------------------------------------------------------- authors' loops


def geom_table(structure: Structure, kind: str, caption: str) -> str:
    """An SI table (tab layout, letters, legend under it) from a CIF's own _geom_* loop:
    the published numbers with the codes turned into letters."""
    labels, codes, values = _LAYOUT[kind]
    frame = structure.geom[kind].frame()
    columns = {c.lower(): c for c in frame.columns}
    keys: dict = {}
    header = "\t" + (
        "\t".join(["D-H [Å]", "H…A [Å]", "D…A [Å]", "∠D-H…A [°]"])
        if kind == "hbond"
        else (f"{structure.temperature:g} K" if structure.temperature else "")
    )
    lines = [caption, "", header]
    for _, row in frame.iterrows():
        atoms = []
        for position, label in enumerate(labels):
            column = columns.get(codes[position].lower())
            code = parse_code(row[column] if column else ".", structure)
            key = ""
            if not is_identity(code, structure):
                key = keys.setdefault(code, letters(len(keys) + 1)[-1])
            atoms.append(row[columns[label.lower()]] + key)
        label = "-".join(atoms) if kind != "hbond" else f"{atoms[0]}-{atoms[1]}…{atoms[2]}"
        lines.append("\t".join([label, *(row[columns[v.lower()]] for v in values)]))
    lines += ["", *(f"{k} {code_to_triplet(c, structure)}" for c, k in keys.items())]
    return "\n".join(lines) + "\n"


def test_hbond_table_from_the_authors_loop(shared: Path) -> None:
    (structure,) = read_cif(shared / "cifs" / "published" / "4318422.cif")
    text = geom_table(structure, "hbond", "Table S2 Hydrogen bonds for 1 at 148 K.")
    table = one_table(text)
    assert table.kind == "hbond" and len(table.legend) == 5  # five distinct acceptor codes
    result = validate_table(table, structure)
    # nine H-bonds of the authors' loop, four numbers each, all recomputed within su
    assert statuses(result) == {"ok": 36}
    # the first: N1-H1…O3 with O3 at 2_546 (-x, -y-1, -z+1), H…A 2.16(3) Å
    first = result[(result["row"] == 1) & (result["quantity"] == "H...A")].iloc[0]
    assert first["symmetry_codes"] == ". 2_546" and first["published"] == 2.16


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        # F d d d origin 2: d-glide operators with quarter translations, 17 torsions
        ("2213608", "torsion", {"ok": 17}),
        # R -3 c (hexagonal axes): thirds and sixths in 12 letters, 46 bonds
        ("2218529", "bond", {"ok": 46}),
        # I 41/a c d, labels P(1), N(1') in the CIF: mate marks searched near the vertex
        ("2101258", "angle", {"ok": 15}),
    ],
)
def test_geometry_tables_from_the_authors_loops(
    shared: Path, name: str, kind: str, expected: dict[str, int]
) -> None:
    (structure,) = read_cif(shared / "cifs" / "published" / f"{name}.cif")
    # `coordgeo check` finds every row of these loops ok against the coordinates
    table = one_table(geom_table(structure, kind, "Table S7 Selected geometry."))
    assert statuses(validate_table(table, structure)) == expected


def test_seed000_table_s1_against_its_core_models(shared: Path) -> None:
    # cifs/seed000_compound1_{100,290}K_core.cif hold only Fe1 and its six N donors,
    # fitted to Table S1, with Fe1 on the 2-fold axis of A (-x+1,y,-z+1/2)
    s1 = read_si_tables(shared / SEED_000)[0]
    cores = [read_cif(REPO_CIFS / f"seed000_compound1_{t}_core.cif")[0] for t in ("290K", "100K")]
    result = validate_table(s1, cores)  # given in the wrong order: matched by temperature
    assert result.groupby("column")["block"].first().to_dict() == {
        "100 K": "seed000_compound1_100K_core",
        "290 K": "seed000_compound1_290K_core",
    }
    # per column: Fe1–N1/N2/N3 and the 9 N–Fe1–N angles (N1A … N3A through A) are ok;
    # the 6 Fe2 rows, C14-N3-Fe1, N3-C14-Fe2 and Fe2-Fe1-Fe2A name atoms the model lacks;
    # Fe1-Fe1 with no code is a zero distance
    assert statuses(result) == {"ok": 24, "unknown-atom": 18, "not-a-contact": 2}
    fe1fe1 = result[result["label"] == "Fe1-Fe1"].iloc[0]
    assert "is Fe1 itself (a zero distance)" in fe1fe1["note"]


# --------------------------------------------------------------------------- without a CIF


def test_seed003_legend_b_without_cif(shared: Path) -> None:
    findings = check_tables(shared / SEED_003)
    b = findings[(findings["check"] == "legend") & findings["subject"].str.startswith("B ")]
    assert list(b["status"]) == ["invalid"]
    # 2/3 - z is no translation a 2_1 screw axis ∥ b can have; the digits swapped give D
    assert "suggest 1/2 - x, -1/2 + y, 3/2 - z" in b.iloc[0]["note"]
    result = run("validate", shared / SEED_003)
    assert result.exit_code == 1
    assert "Almost certainly a typo (digits swapped: 2/3 → 3/2)" in result.stdout


@pytest.fixture(scope="module")
def seed000_csv(shared: Path) -> pd.DataFrame:
    result = run("validate", shared / SEED_000, "-f", "csv")
    # exit 1: the Fe1-Fe1 row of Table S1 cannot be right as printed
    assert result.exit_code == 1, result.output
    return pd.read_csv(io.StringIO(result.stdout), keep_default_na=False)


def test_seed000_table_s6_consistency(shared: Path, seed000_csv: pd.DataFrame) -> None:
    s6 = seed000_csv[seed000_csv["table"] == "Table S6"]
    # T½ = ΔH/ΔS: 21.87/87.46 → 250.06 K vs 250; 15.42/84.49 → 182.51 K vs 182
    assert list(s6["check"]) == ["thermo", "thermo"] and set(s6["status"]) == {"ok"}
    assert "250.06 K" in s6.iloc[0]["note"] and "182.51 K" in s6.iloc[1]["note"]
    text = run("validate", shared / SEED_000, "--table", "S6").stdout
    assert text.startswith("Table S6 (thermo") and "agrees" in text


def test_seed000_table_s1_reconstruction(seed000_csv: pd.DataFrame) -> None:
    rows = seed000_csv[
        (seed000_csv["table"] == "Table S1") & (seed000_csv["check"] == "reconstruction row")
    ]
    assert len(rows) == 44  # 22 printed rows × 2 temperatures
    # Fe1: 3 Fe1–N distances and 9 N–Fe1–N angles per column, reproduced within 2 su;
    # the rest (Fe2 distances without angles, second-sphere angles, Fe1-Fe1) cannot be
    # reconstructed and say why
    assert rows["status"].value_counts().to_dict() == {"ok": 24, "not-reconstructed": 20}
    assert (rows.loc[rows["status"] == "not-reconstructed", "note"] != "").all()
    fe1_n1 = rows[(rows["subject"] == "Fe1-N1") & (rows["column"] == "100 K")].iloc[0]
    assert fe1_n1["note"].startswith("printed 1.994(4), reconstructed 1.994")


# --------------------------------------------------------------------------- operators


@pytest.mark.parametrize(
    ("op", "like", "expected"),
    [
        ("-x+1/2,y-1/2,-z+3/2", "1/2 - x, -1/2 + y, 2/3 - z", "1/2 - x, -1/2 + y, 3/2 - z"),
        ("-x,-y+1,-z+2", "-x, 1 - y, 2 - z", "-x, 1 - y, 2 - z"),
        ("x,y-1,z", "x, -1 + y, z", "x, -1 + y, z"),
        ("-x+1,y,-z+1/2", "-x+1,y,-z+1/2", "-x+1,y,-z+1/2"),
        ("x-y,x,z+1/6", "x,y,z", "x-y,x,z+1/6"),
    ],
)
def test_format_operator(op: str, like: str, expected: str) -> None:
    assert format_operator(gemmi.Op(op), like) == expected


# --------------------------------------------------------------------------- command line


def test_cli_csv_contract_and_exit_status(tmp_path: Path, co2: Structure) -> None:
    cif = co2.path
    good = tmp_path / "si.txt"
    good.write_text(table_from_structure(co2, layout="tab", values="auto"), encoding="utf-8")
    result = run("validate", good, "--cif", cif, "-f", "csv")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.stdout), keep_default_na=False)
    assert list(frame.columns) == COLUMNS  # exactly the csv contract
    assert len(frame) == 42 and set(frame["status"]) == {"ok"}  # one row per row and column
    assert "42 ok" in result.stderr
    bad = tmp_path / "bad.txt"
    bad.write_text(good.read_text(encoding="utf-8").replace(*ALTER["tab"]), encoding="utf-8")
    result = run("validate", bad, "--cif", cif)
    assert result.exit_code == 1
    assert "mismatch" in result.stdout and "41 ok, 1 mismatch" in result.stderr
    assert result.stdout.startswith("Table S1, column 296 K ← 7051424.cif data_7051424")
    result = run("validate", bad, "--cif", cif, "-f", "json")
    assert len(pd.read_json(io.StringIO(result.stdout))) == 42


def test_cli_unreadable_input(tmp_path: Path, co2: Structure, shared: Path) -> None:
    table = tmp_path / "si.txt"
    table.write_text(table_from_structure(co2, layout="tab", values="auto"), encoding="utf-8")
    missing = tmp_path / "missing.txt"
    result = run("validate", missing, "--cif", co2.path)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and str(missing) in result.stderr
    result = run("validate", table, "--cif", tmp_path / "missing.cif")
    assert result.exit_code == 2 and "missing.cif" in result.stderr
    assert result.stderr.count("\n") == 1
    malformed = sorted((shared / "cifs" / "malformed").glob("*.cif"))[0]
    result = run("validate", table, "--cif", malformed)
    assert result.exit_code == 2 and malformed.name in result.stderr
    garbled = tmp_path / "garbled.txt"
    garbled.write_text("\t100 K\nFe1-N1\t1.994(4)\nFe1-N2\tabc\nFe1-N3\t1.934(4)\n")
    result = run("validate", garbled, "--cif", co2.path)
    assert result.exit_code == 2 and "line 3" in result.stderr and "garbled.txt" in result.stderr


def test_statuses_documented() -> None:
    import coordgeo.sitables.validate as module

    for status in STATUSES:
        assert f"``{status}``" in module.__doc__


def test_labels_read_against_the_structure(shared: Path, tmp_path: Path) -> None:
    # 1501469: Cu (no number) with waters OW1, OW2. A table printing OW1 as "Ow" (no
    # number, no element symbol: no atom to the reader alone) is looked up among the
    # CIF's labels: absent there, its 5 rows (Cu-Ow and four angles) are unknown-atom
    # naming the nearest labels, exit 1 — not "names no atoms" with exit 0
    source = shared / "cifs" / "published" / "1501469.cif"
    (structure,) = read_cif(source)
    text = table_from_structure(structure, layout="tab", values="auto")
    assert text.count("OW1") == 5
    table_path = tmp_path / "si.txt"
    table_path.write_text(text.replace("OW1", "Ow"), encoding="utf-8")
    result = run("validate", table_path, "--cif", source, "-f", "json")
    assert result.exit_code == 1
    frame = pd.read_json(io.StringIO(result.stdout))
    unknown = frame[frame["status"] != "ok"]
    assert len(frame) == 15 and set(unknown["status"]) == {"unknown-atom"} and len(unknown) == 5
    assert unknown.iloc[0]["note"].endswith("no site Ow (nearest: OW1, OW2, OW3)")
    # the same CIF with its site renamed Ow: every row resolves and is ok
    cif = tmp_path / "renamed.cif"
    renamed = source.read_text(encoding="utf-8", errors="replace")
    cif.write_text(re.sub(r"(?<![\w])OW1(?![\w])", "Ow", renamed), encoding="utf-8")
    result = run("validate", table_path, "--cif", cif)
    assert result.exit_code == 0, result.output
    assert "15 values in 1 table(s): 15 ok" in result.stderr
