"""SI tables for documents (issue 14, items 5 and 6): symmetry-code styles with their legend
sentences, Word tables (python-docx) and LaTeX (booktabs + siunitx).

Expected values come from the CIFs' own _geom_bond/_geom_angle loops, read here with gemmi,
and from the hand-made C2C structure of tests/cifs_for_tests.py (Fe1 on the two-fold axis,
N1 and its image under operator 2, -x,y,-z+1/2).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import gemmi
import pandas as pd
import pytest
from typer.testing import CliRunner

from coordgeo.cli import app
from coordgeo.io.cif import read_cif
from coordgeo.io.sitables import parse_legend
from coordgeo.pipeline import analyse_structure
from coordgeo.tables import (
    DocTable,
    code_marks,
    legend_sentence,
    roman,
    si_table,
    styled_label,
    to_docx,
    to_latex,
)

from cifs_for_tests import C2C, write

docx = pytest.importorskip("docx", reason="python-docx is the 'docx' extra")
runner = CliRunner()


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


# --- code styles --------------------------------------------------------------------------


def test_roman_numerals():
    # by hand: 1 i, 4 iv, 9 ix, 14 xiv, 40 xl, 1994 mcmxciv
    assert [roman(n) for n in (1, 2, 4, 9, 14, 40, 1994)] == [
        "i", "ii", "iv", "ix", "xiv", "xl", "mcmxciv",
    ]  # fmt: skip


def test_styles_label_and_legend(tmp_path):
    s = read_cif(write(tmp_path, "c2c.cif", C2C))[0]
    geometry = analyse_structure(s).geometry
    expected = {  # the image of N1 under operator 2 of the CIF's list, -x,y,-z+1/2
        "letters": ("Fe1-N1A", "N1-Fe1-N1A", "Symmetry codes: A -x,y,-z+1/2."),
        "shelx": (
            "Fe1-N1#1",
            "N1-Fe1-N1#1",
            "Symmetry transformations used to generate equivalent atoms: #1 -x,y,-z+1/2.",
        ),
        "roman": ("Fe1-N1^i", "N1-Fe1-N1^i", "Symmetry codes: (i) -x,y,-z+1/2."),
        "nklm": ("Fe1-N1_2_555", "N1-Fe1-N1_2_555", None),
    }
    for style, (bond, angle, sentence) in expected.items():
        rows, legend = si_table(s, geometry, codes=style)
        assert list(rows.label) == ["Fe1-N1", bond, angle], style
        text = legend_sentence(legend)  # the style is read from the marks
        assert text == legend_sentence(legend, style)
        if sentence is None:
            assert text.startswith("Symmetry codes (n_klm") and "2_555 = -x,y,-z+1/2." in text
        else:
            assert text == sentence
            # the package's own SI-table reader reads the sentence back
            ((key, op),) = parse_legend(text).items()
            assert gemmi.Op(op).triplet() == "-x,y,-z+1/2"
            assert key == {"letters": "A", "shelx": "#1", "roman": "i"}[style]


def test_marks_in_order_of_first_use(tmp_path):
    s = read_cif(write(tmp_path, "c2c.cif", C2C))[0]
    from coordgeo.symmetry import SymmetryCode

    codes = [SymmetryCode(1), SymmetryCode(0, (1, 0, 0)), SymmetryCode(1), SymmetryCode(0)]
    assert list(code_marks(codes, s, "letters").values()) == ["A", "B"]
    assert list(code_marks(codes, s, "shelx").values()) == ["#1", "#2"]
    assert list(code_marks(codes, s, "roman").values()) == ["i", "ii"]
    assert list(code_marks(codes, s, "nklm").values()) == ["2_555", "1_655"]
    assert styled_label("Fe(1)", "A", "letters") == "Fe(1A)"
    assert styled_label("C12B", "A", "letters") == "C12B_A"
    assert styled_label("O1W", "ii", "roman") == "O1W^ii"


def test_sphere_codes_cli(tmp_path):
    path = write(tmp_path, "c2c.cif", C2C)
    out = run("sphere", path, "--codes", "shelx").stdout
    assert "Fe1-N1#1" in out and "#1 -x,y,-z+1/2   (2_555)" in out
    assert "Symmetry transformations used to generate equivalent atoms:" in out
    md = run("sphere", path, "--codes", "roman", "-f", "markdown").stdout
    assert "| N1-Fe1-N1<sup>i</sup> |" in md
    assert "Symmetry codes: (i) -x,y,-z+1/2." in md


# --- Word ---------------------------------------------------------------------------------


def loop_values(path: Path) -> dict[float, dict[frozenset | tuple, str]]:
    """Per block temperature, the Fe1 rows of the _geom_bond/_geom_angle loops as printed:
    ('Fe1', donor) → text and frozenset of the two angle ends → text (identity codes only,
    as the qsal CIF has)."""
    out = {}
    for block in gemmi.cif.read(str(path)):
        t = gemmi.cif.as_number(block.find_value("_diffrn_ambient_temperature"))
        values: dict = {}
        for r in block.find("_geom_bond_", ["atom_site_label_1", "atom_site_label_2", "distance"]):
            if r[0] == "Fe1":
                values[("Fe1", r[1])] = r[2]
        angle_tags = [f"_geom_angle_atom_site_label_{k}" for k in (1, 2, 3)] + ["_geom_angle"]
        for r in block.find(angle_tags):
            if r[1] == "Fe1":
                values[frozenset((r[0], r[2]))] = r[3]
        out[t] = values
    return out


def test_docx_of_the_qsal_series(qsal_cif, tmp_path):
    path = tmp_path / "qsal.docx"
    result = run("compare", qsal_cif, "--format", "docx", "--out", path)
    assert result.exit_code == 0, result.output
    document = docx.Document(str(path))
    table = document.tables[0]
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells[0] == ["Fe1", "163 K", "230 K", "293 K"]
    assert table.rows[0].cells[1].paragraphs[0].runs[0].bold
    expected = loop_values(qsal_cif)
    body = cells[1:]
    assert len(body) == 6 + 15  # six Fe1 bonds and fifteen angles
    for row in body:
        atoms = row[0].split("–")
        key = ("Fe1", atoms[1]) if len(atoms) == 2 else frozenset((atoms[0], atoms[2]))
        for t, text in zip((163.0, 230.0, 293.0), row[1:], strict=True):
            assert text == expected[t][key], (row[0], t)
    texts = [p.text for p in document.paragraphs]
    assert any(t.startswith("Table S1. Bond lengths (Å) and angles (°) at 163 K") for t in texts)
    # the site changes follow as a second table
    assert [c.text for c in document.tables[1].rows[0].cells][:3] == ["site", "T/K", "<M-L>/Å"]


def test_docx_superscripts_and_legend(tmp_path):
    path = write(tmp_path, "c2c.cif", C2C)
    out = tmp_path / "s1.docx"
    result = run("sphere", path, "-f", "docx", "--codes", "roman", "--out", out)
    assert result.exit_code == 0, result.output
    document = docx.Document(str(out))
    (table,) = document.tables
    label = table.rows[2].cells[0].paragraphs[0]  # Fe1–N1 with superscript i
    assert [(r.text, bool(r.font.superscript)) for r in label.runs] == [
        ("Fe1–N1", False),
        ("i", True),
    ]
    assert table.rows[2].cells[1].text == "1.822(4)"  # the CIF's _geom_bond value
    texts = [p.text for p in document.paragraphs]
    assert "Symmetry codes: (i) -x,y,-z+1/2." in texts
    assert any(t.startswith("Table S1.") for t in texts)


def test_docx_needs_a_file(tmp_path):
    path = write(tmp_path, "c2c.cif", C2C)
    result = run("sphere", path, "-f", "docx")
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "--out" in result.stderr
    bad = run("sphere", path, "-f", "docx", "--out", tmp_path / "no" / "such" / "dir.docx")
    assert bad.exit_code == 2 and "cannot write" in bad.stderr


# --- LaTeX --------------------------------------------------------------------------------


def tabulars(text: str) -> list[tuple[str, list[list[str]]]]:
    """(column spec, rows of cells) of every tabular, found by parsing the LaTeX with
    pylatexenc (which raises on unbalanced braces or environments)."""
    from pylatexenc.latexwalker import (
        LatexEnvironmentNode,
        LatexGroupNode,
        LatexMacroNode,
        LatexWalker,
    )

    nodes, _, _ = LatexWalker(text, tolerant_parsing=False).get_latex_nodes()
    found = []

    def visit(items):
        for node in items or []:
            if isinstance(node, LatexEnvironmentNode) and node.environmentname == "tabular":
                spec = node.nodeargd.argnlist[-1].latex_verbatim()[1:-1]
                body = "".join(n.latex_verbatim() for n in node.nodelist)
                rows = []
                for line in body.split(r"\\"):
                    line = re.sub(r"\\(toprule|midrule|bottomrule)", "", line).strip()
                    if line:
                        rows.append([c.strip() for c in line.split("&")])
                found.append((spec, rows))
            elif isinstance(node, LatexEnvironmentNode | LatexGroupNode):
                visit(node.nodelist)
            elif isinstance(node, LatexMacroNode) and node.nodeargd is not None:
                visit([a for a in node.nodeargd.argnlist if a is not None])

    visit(nodes)
    return found


def test_latex_of_a_table_s1(tmp_path):
    path = write(tmp_path, "c2c.cif", C2C)
    result = run("sphere", path, "-f", "latex", "--codes", "roman")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith(r"\documentclass") and r"\usepackage{siunitx}" in text
    assert r"\usepackage{booktabs}" in text
    ((spec, rows),) = tabulars(text)
    # values 1.822(4) and 141.55(15): at most 3 integer digits, 3 decimals, 2 su digits
    assert spec == "l S[table-format=3.3(2)]"
    assert rows == [
        ["Atoms", r"{Distance (\AA{}) / angle (\textdegree{})}"],
        ["Fe1--N1", "1.822(4)"],
        [r"Fe1--N1\textsuperscript{i}", "1.822(4)"],
        [r"N1--Fe1--N1\textsuperscript{i}", "141.55(15)"],
    ]
    assert r"Symmetry codes: (i) -x,y,-z+1/2." in text


def test_latex_of_the_qsal_series_and_marks(qsal_cif, tmp_path):
    out = tmp_path / "series.tex"
    result = run("compare", qsal_cif, "-f", "latex", "--out", out, "--codes", "shelx")
    assert result.exit_code == 0, result.output
    text = out.read_text()
    (spec, rows), *_ = tabulars(text)
    assert spec.startswith("l S[table-format=")
    assert rows[0] == ["Fe1", "{163 K}", "{230 K}", "{293 K}"]
    expected = loop_values(qsal_cif)
    assert rows[1][1:] == [expected[t][("Fe1", "O1")] for t in (163.0, 230.0, 293.0)]


def test_latex_escapes_and_recomputed_marks(tmp_path):
    table = DocTable(
        caption="Table S9. 50 % of C_1 & #2",
        header=("D-H…A", "d/Å"),
        rows=(("O1-H1…N4#1", "2.765(13)"), ("O2-H2…O3^ii", "2.9(1)*"), ("x", "")),
        legend="Symmetry codes: #1 x,y+1,z.",
        numeric=(False, True),
    )
    text = to_latex([table], standalone=False)
    ((spec, rows),) = tabulars(text)
    assert spec == "l S[table-format=1.3(2),table-space-text-post={*}]"
    assert rows[1] == [r"O1-H1\ldots{}N4\#1", "2.765(13)"]
    assert rows[2] == [r"O2-H2\ldots{}O3\textsuperscript{ii}", "2.9(1){*}"]
    assert r"\caption*{Table S9. 50 \% of C\_1 \& \#2}" in text
    path = to_docx([table], tmp_path / "t.docx")
    document = docx.Document(str(path))
    assert document.tables[0].rows[2].cells[1].text == "2.9(1)*"


def test_every_command_writes_latex_and_docx(tmp_path):
    path = write(tmp_path, "c2c.cif", C2C)
    for command in ("octahedra", "hbonds", "bonds", "check"):
        result = run(command, path, "-f", "latex")
        assert result.exit_code == 0, (command, result.output)
        assert tabulars(result.stdout) or "none found" in result.stdout, command
        out = tmp_path / f"{command}.docx"
        result = run(command, path, "-f", "docx", "--out", out)
        assert result.exit_code == 0 and out.exists(), (command, result.output)
    octahedra = docx.Document(str(tmp_path / "octahedra.docx")).tables[0]
    assert [c.text for c in octahedra.rows[0].cells][:3] == ["block", "metal", "CN"]
    # the check table as a plain table: one row per published row
    check = docx.Document(str(tmp_path / "check.docx")).tables[0]
    assert len(check.rows) == 1 + 3


ESCAPES = DocTable(
    caption="Table S9. 50 % of C_1 & #2",
    header=("D-H…A", "d/Å", "∠/°"),
    rows=(("O1-H1…N4#1", "2.765(13)", "170(2)"), ("O2-H2…O3^ii", "2.9(1)*", "-12.5(3)")),
    legend="Symmetry codes: #1 x,y+1,z; (ii) -x,-y,-z.",
    notes=("* recomputed",),
    numeric=(False, True, True),
)


def test_latex_compiles(qsal_cif, tmp_path):
    """The documents of sphere, hbonds, octahedra and compare, and one with every escape,
    compile with pdflatex (booktabs, caption, siunitx, textcomp)."""
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        pytest.skip("pdflatex is not installed here; the LaTeX is checked by parsing above")
    c2c = write(tmp_path, "c2c.cif", C2C)
    documents = {
        "sphere": run("sphere", c2c, "-f", "latex", "--codes", "roman").stdout,
        "octahedra": run("octahedra", qsal_cif, "-f", "latex").stdout,
        "compare": run("compare", qsal_cif, "-f", "latex").stdout,
        "escapes": to_latex([ESCAPES]),
    }
    for name, text in documents.items():
        tex = tmp_path / f"{name}.tex"
        tex.write_text(text)
        done = subprocess.run(
            [pdflatex, "-interaction=nonstopmode", "-halt-on-error", tex.name],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, (name, done.stdout[-3000:])
        assert (tmp_path / f"{name}.pdf").stat().st_size > 1000


def test_series_table_frame_is_unchanged_by_style(qsal_cif):
    """compare's API: the same Table S1 values whatever the code style."""
    from coordgeo.compare import compare
    from coordgeo.io.cif import read_cif_blocks

    structures = [s for s in read_cif_blocks(qsal_cif) if not isinstance(s, Exception)]
    a = compare(structures).table
    b = compare(structures, codes="nklm").table
    pd.testing.assert_frame_equal(a.drop(columns="label"), b.drop(columns="label"))
