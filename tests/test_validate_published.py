"""SI tables printed from published CIFs, validated by ``coordgeo validate`` (issue 14).

Each table is printed from a CIF of ../shared/cifs/published with
:func:`support.si_tables.table_from_structure` in both published layouts: tab-separated
with the CIF's own temperature in the header (``\\t293 K``), and markdown with two groups
side by side. Its numbers are those of the CIF (the authors' ``_geom_bond``/``_geom_angle``
values where the loop has the row, else recomputed from the coordinates), so the untouched
table must validate all ``ok`` with exit status 0. Then one mistake at a time:

* one value moved by 10 of its su's (0.05 Å or 0.5° when printed without su): that value,
  and only it, is ``mismatch``;
* one legend operator shifted by the longest lattice vector of the cell: every value of a
  row that uses its letter, and only those, is ``not-a-contact`` — the image moves by at
  least that vector's length (≥ 7.9 Å for these cells) away from the partner it was
  bonded to, beyond every contact limit (r_cov + r_cov + 0.7 Å, or 0.5 Å around the
  published distance), and the note names the translation that restores the bond;
* one legend operator given an extra 1/3 in its z translation: the operations of a
  space group with one rotation differ in translation by lattice vectors and centring
  vectors only, and no centring vector is (0, 0, 1/3) (they are combinations of halves,
  or the (2/3, 1/3, 1/3)-type thirds of R, with x and y non-zero), so the operator is no
  operation of the CIF's group and every value of a row that uses the letter, and only
  those, is ``code-invalid``.

Every mistake makes the command exit with 1. The labels cover those the issue names: an
element symbol alone (``Ni`` of bs5068, ``Zn``, ``Cu``, ``Co``; ``V`` of a copy of 2219463
whose only V site is renamed from ``V1``), an ``M1``-style label (a copy of 7204861 whose
Cu1 is renamed M1, as mixed-metal sites are named), parenthesised ``Fe(1)`` and ``Ru(1)``,
and water ``O1W`` (with its image printed ``O1W_A``).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import gemmi
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from coordgeo.cli.app import app
from coordgeo.esd import decimals_of, parse_su
from coordgeo.io.cif import read_cif
from coordgeo.io.sitables import SITable, read_si_tables
from coordgeo.sitables import format_operator

from support.si_tables import table_from_structure

runner = CliRunner()

#: CIF (a file of ../shared/cifs/published, or (file, old label, new label) for a copy
#: with one site renamed), and the labels its table must show.
CASES = {
    "Ni": ("bs5068.cif", "Ni-O7"),  # Ni alone, 90 K, no symmetry-generated donor
    "V": (("2219463_decomposition_temperature.cif", "V1", "V"), "V-O1"),  # 180 K
    "Zn": ("1100974-wr-factor.cif", "Zn-Cl2A"),  # 273 K, Zn on a 2-fold axis
    "Cu-O1W": ("1101073-r-factor.cif", "Cu-O1W"),  # water O1W, N4A_A
    "Co-O1W": ("2204271.cif", "Co-O1W_A"),  # Co alone, water O1W and its image
    "Fe(1)": ("2010793.cif", "Fe(1)-O(1)"),  # parenthesised labels, 6 letters
    "Ru(1)": ("ja063963ssi20060606_082513.cif", "Ru(1)-"),  # 117.1 K
    "M1": (("7204861.cif", "Cu1", "M1"), "M1-N11A"),  # an M1-style site label
    "Ni1": ("2218529.cif", "Ni1-"),  # R -3 c: thirds in the letters' operators
    "Co1": ("4301885-I12slash1-spacegroup.cif", "Co1-"),  # I 1 2/m 1, 180 K
}


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def cif_for(shared: Path, tmp_path_factory, source) -> Path:
    """The CIF of a case: the published file itself, or a copy with one label renamed
    (every occurrence of the label as a whole word: atom sites, anisotropic and _geom_
    loops)."""
    published = shared / "cifs" / "published"
    if isinstance(source, str):
        return published / source
    name, old, new = source
    text = (published / name).read_text(encoding="utf-8", errors="replace")
    renamed = re.sub(rf"(?<![\w()]){re.escape(old)}(?![\w()])", new, text)
    path = tmp_path_factory.mktemp("renamed") / f"{Path(name).stem}_{new}.cif"
    path.write_text(renamed, encoding="utf-8")
    return path


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request, shared: Path, tmp_path_factory) -> tuple[str, Path]:
    return request.param, cif_for(shared, tmp_path_factory, CASES[request.param][0])


def write(tmp_path: Path, text: str, name: str = "si.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def validate_json(document: Path, cif: Path) -> tuple[int, pd.DataFrame]:
    result = run("validate", document, "--cif", cif, "-f", "json")
    assert result.exit_code in (0, 1), result.output
    frame = pd.read_json(io.StringIO(result.stdout), dtype={"column": str})
    return result.exit_code, frame


def altered_value(text: str, table: SITable) -> tuple[str, int, str]:
    """The document with the first distance printed without a letter moved by 10 su
    (0.05 Å without su), and that value's (row, column)."""
    rows = table.rows[(table.rows["kind"] == "distance")]
    r = next(r for r in rows.itertuples() if not any(r.codes))
    value, su = parse_su(r.text)
    decimals = decimals_of(r.text)
    step = 10 * su if su else 0.05
    new = f"{value + step:.{decimals}f}" + (r.text[r.text.index("(") :] if "(" in r.text else "")
    pattern = re.compile(re.escape(r.label) + r"(\t| \| )" + re.escape(r.text))
    assert len(pattern.findall(text)) == 1, (r.label, r.text)
    return pattern.sub(lambda m: r.label + m.group(1) + new, text), int(r.row), r.column


def legend_changed(text: str, table: SITable, shift: tuple[int, int, int]) -> tuple[str, str]:
    """The document with the translation of the first legend letter's operator moved by
    ``shift`` (in 1/24ths of the cell, gemmi's unit), written in the legend's own style,
    and that letter."""
    key, printed = next(iter(table.legend.items()))
    op = gemmi.Op(printed.replace(" ", ""))
    moved = gemmi.Op(op.triplet())
    moved.tran = [t + d for t, d in zip(op.tran, shift, strict=True)]
    old = f"{key} {printed}"
    assert text.count(old) == 1, old
    return text.replace(old, f"{key} {format_operator(moved, printed)}"), key


def longest_axis(cif: Path) -> tuple[tuple[int, int, int], float]:
    """One lattice vector along the longest cell axis (in 1/24ths), and its length."""
    (structure,) = read_cif(cif)[:1]
    lengths = structure.cell.parameters[:3]
    k = int(np.argmax(lengths))
    shift = tuple(gemmi.Op.DEN if i == k else 0 for i in range(3))
    return shift, float(lengths[k])  # type: ignore[return-value]


def uses(table: SITable, key: str, labels: set[str]) -> set[tuple[int, str]]:
    """The values of rows with an atom that carries the letter ``key`` — unless that atom
    printed with its letter is itself a site label of the CIF (1101073 has sites N3A and
    N3B: ``Cu-N3A`` is that site, not N3 under legend A)."""
    out = set()
    for r in table.rows.itertuples():
        for readings in r.candidates:
            if readings[0][1] == key and not any(not k and lab in labels for lab, k in readings):
                out.add((int(r.row), r.column))
    return out


def flagged(frame: pd.DataFrame) -> dict[tuple[int, str], str]:
    bad = frame[frame["status"] != "ok"]
    return {(int(r.row), str(r.column)): r.status for r in bad.itertuples()}


@pytest.mark.parametrize("layout", ["tab", "markdown"])
def test_published_tables_validate_and_flag_exactly_the_mistakes(
    case: tuple[str, Path], layout: str, tmp_path: Path, report_figure
) -> None:
    name, cif = case
    (structure,) = read_cif(cif)[:1]
    text = table_from_structure(structure, layout=layout, values="auto")
    table = read_si_tables(text)[0]
    assert table.layout == ("tsv" if layout == "tab" else "markdown")
    # the CIF's own temperature heads the value column (tab) or the caption (markdown)
    t = f"{structure.temperature:g} K"
    assert table.columns == ((t,) if layout == "tab" else ("value",))
    assert (table.temperatures[0] or 0) == pytest.approx(structure.temperature)
    label = CASES[name][1]
    shown = set(table.rows["label"])
    if layout == "markdown":  # Cu(1)–O(1WA): the seed-003 style parenthesises numbers
        shown = {re.sub(r"[()_]", "", s).replace("–", "-") for s in shown}
        label = re.sub(r"[()_]", "", label)
    assert any(s.startswith(label) for s in shown), (label, sorted(shown)[:5])

    # untouched: every value ok, exit 0
    code, frame = validate_json(write(tmp_path, text), cif)
    assert code == 0 and len(frame) == len(table.rows)
    assert set(frame["status"]) == {"ok"}, frame[frame["status"] != "ok"].to_string()

    # one value 10 su off: exactly that one is a mismatch
    bad, row, column = altered_value(text, table)
    code, frame = validate_json(write(tmp_path, bad, "value.txt"), cif)
    assert code == 1 and flagged(frame) == {(row, column): "mismatch"}

    if not table.legend:  # every donor in the asymmetric unit: no letters to get wrong
        assert name in ("Ni", "V")
        return
    # a letter's operator shifted by the longest lattice vector: exactly its rows
    shift, length = longest_axis(cif)
    assert length > 7.9
    bad, key = legend_changed(text, table, shift)
    code, frame = validate_json(write(tmp_path, bad, "shifted.txt"), cif)
    expected = uses(table, key, set(structure.labels))
    assert code == 1 and flagged(frame) == dict.fromkeys(expected, "not-a-contact")
    first = frame[frame["status"] == "not-a-contact"].iloc[0]
    assert "the lattice translation is wrong" in first["note"]
    # the suggested operator is the one the table was printed with
    original = gemmi.Op(table.legend[key].replace(" ", ""))
    assert gemmi.Op(first["suggestion"].replace(" ", "")) == original

    # a letter's operator with 1/3 added to its z translation: exactly its rows
    bad, key = legend_changed(text, table, (0, 0, gemmi.Op.DEN // 3))
    code, frame = validate_json(write(tmp_path, bad, "corrupt.txt"), cif)
    corrupted = uses(table, key, set(structure.labels))
    assert code == 1 and flagged(frame) == dict.fromkeys(corrupted, "code-invalid")
    report_figure(
        f"validate {name} ({layout}): {len(table.rows)} values ok; 1 altered, "
        f"{len(expected)} shifted, {len(corrupted)} corrupted values flagged exactly"
    )
