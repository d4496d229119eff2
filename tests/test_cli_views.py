"""Table views print value(su); csv/json stay numeric; several files; unresolved spheres
are named (issue 19 item 3).

Expected printed values come from the authors' own text in the CIFs (``_geom_bond``,
``_geom_angle``, ``_cell_*``, read here with gemmi, independently of coordgeo's reader),
from hand derivations written beside them, and, for "the table shows what the csv holds",
from the csv of the same command formatted by the IUCr rule of 19.
"""

from __future__ import annotations

import io
import json
import math
import shutil

import gemmi
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from coordgeo.cli.app import app
from coordgeo.esd import format_su, parse_su
from coordgeo.tables import readable, su_view

from cifs_for_tests import C2C, write

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def csv_of(*args) -> pd.DataFrame:
    result = run(*args, "-f", "csv")
    assert result.exit_code == 0, result.output
    return pd.read_csv(io.StringIO(result.stdout), keep_default_na=False)


def markdown_rows(text: str) -> list[dict[str, str]]:
    """The first pipe table of a markdown text as {header: cell} rows."""
    lines = [line for line in text.splitlines() if line.startswith("|")]
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    header, body = cells[0], cells[2:]
    return [dict(zip(header, row, strict=True)) for row in body]


def table_lines(text: str, *tokens: str) -> list[list[str]]:
    """The lines of a text table holding every token, split on whitespace."""
    return [line.split() for line in text.splitlines() if all(t in line.split() for t in tokens)]


def rule_of_19(text: str) -> bool:
    """A CIF value printed as the IUCr rule of 19 prints it (su 2–19 in its last digits)."""
    if "(" not in text:
        return False
    digits = int(text.split("(")[1].rstrip(")"))
    return 2 <= digits <= 19


def cif_loop(path, block: str, prefix: str, tags: list[str]) -> list[list[str]]:
    """Rows of a CIF loop as text (``tags`` appended to ``prefix``; "" for the prefix tag
    itself, as ``_geom_angle``)."""
    table = gemmi.cif.read(str(path)).find_block(block).find(prefix, tags)
    return [[gemmi.cif.as_string(v) for v in row] for row in table]


# --- the one formatter ------------------------------------------------------------------


def test_readable_formats_values_with_their_su():
    frame = pd.DataFrame(
        {
            "label": ["Fe1-N21", "O1-Fe1-O20", "C1-H1", "missing"],
            "x": [1.94905921905579, 87.6543, 0.95, np.nan],
            "x_su": [0.01414, 0.123, np.nan, 0.01],
            "change": [-0.0117, np.nan, 0.0, 0.1],
            "change_su": [0.0049, np.nan, np.nan, np.nan],
            "sig": [-2.34, np.nan, np.nan, np.nan],
            "n": [1, 2, 3, 4],
        }
    )
    shown = readable(
        frame,
        {
            "label": None,
            "x": ("x_su", [4, 1, 4, 4]),
            "change": ("change_su", 4, "sig"),
            "n": None,
        },
        names={"x": "value"},
    )
    assert list(shown.columns) == ["label", "value", "change", "n"]
    # su 0.01414: 14 in the 3rd decimal (14 ≤ 19, two digits) → 1.949(14);
    # su 0.123: 12 in the 2nd decimal → 87.65(12); no su: SHELXL's 4 decimals → 0.9500
    assert list(shown["value"]) == ["1.949(14)", "87.65(12)", "0.9500", ""]
    # -0.0117 ± 0.0049: su 5 in the 3rd decimal → -0.012(5); significance -2.34 → -2.3σ
    assert shown["change"][0] == "-0.012(5) [-2.3σ]"
    assert shown["change"][2] == "0.0000" and shown["change"][3] == "0.1000"
    assert list(shown["n"]) == [1, 2, 3, 4]
    with pytest.raises(ValueError, match="decimals"):
        readable(frame, {"x": ("x_su", [4, 1])})
    # su_view pairs every quantity with its _su column and hides the su column
    spec = su_view(frame.rename(columns={"x": "d_mean", "x_su": "d_mean_su"}))
    assert spec["d_mean"] == ("d_mean_su", 4) and "d_mean_su" not in spec
    assert spec["label"] is None


def test_rounding_noise_is_no_su(tmp_path):
    # [Co(CN)6]3- on the m-3m site of Fm-3m (CSD CSCNCC01): the TPR-6 shape measure of a
    # perfect octahedron is fixed by symmetry; its propagated su came out 6.4e-17 and was
    # printed as 16.7367553607686723(6). An su under 1e-10 × max(1, |value|) is noise.
    assert format_su(16.7367553607686, 6.4e-17, 3) == "16.737"
    assert format_su(0.0, 5e-17, 4) == "0.0000"
    assert format_su(1.0001, 5e-35, 4) == "1.0001"  # λ, su 5e-35
    # real su's are untouched, however small the value: Δ = 3(2)e-6
    assert format_su(3e-6, 2e-6) == "0.000003(2)"
    assert format_su(1.94905921905579, 0.01414) == "1.949(14)"
    cif = write(
        tmp_path,
        "co.cif",
        "data_co\n_cell_length_a 12.592(2)\n_cell_length_b 12.592(2)\n"
        "_cell_length_c 12.592(2)\n_cell_angle_alpha 90\n_cell_angle_beta 90\n"
        "_cell_angle_gamma 90\n_symmetry_space_group_name_H-M 'F m -3 m'\nloop_\n"
        "_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n"
        "_atom_site_fract_y\n_atom_site_fract_z\nCo1 Co 0 0 0\n"
        "C1 C 0.149(1) 0 0\nN2 N 0.242(1) 0 0\n",
    )
    result = runner.invoke(app, ["octahedra", str(cif)])
    assert result.exit_code == 0, result.output
    assert "16.737 " in result.output and "16.7367" not in result.output


# --- bonds, angles, check ----------------------------------------------------------------


def test_bonds_and_angles_print_value_su(qsal_cif):
    args = (qsal_cif, "--block", "wp91ltb")
    numbers = csv_of("bonds", *args)
    text = run("bonds", *args).stdout
    assert "1.94905921905579"[:8] not in text  # no raw float
    for r in numbers.itertuples():
        expected = format_su(r.distance, r.distance_su, 4)
        assert table_lines(text, r.atom1, r.atom2, expected), (r.atom1, r.atom2, expected)
    # the authors print Fe1–O1 1.874(8): the value is theirs, the su (from the coordinates'
    # su's, without covariance) within a few units of the last digit
    (row,) = table_lines(text, "Fe1", "O1")
    value, su = parse_su(row[-1])
    assert value == 1.874 and abs(su - 0.008) <= 0.002
    angles = csv_of("angles", *args)
    text = run("angles", *args).stdout
    for r in angles.itertuples():
        expected = format_su(r.angle, r.angle_su, 1)
        assert table_lines(text, r.atom1, r.atom2, r.atom3, expected)
    # _geom_angle O1 Fe1 O20 of the CIF: the value within the su's
    (printed,) = [
        a for a1, a2, a3, a in cif_loop(qsal_cif, "wp91ltb", "_geom_angle", [
            "_atom_site_label_1", "_atom_site_label_2", "_atom_site_label_3", ""])
        if (a1, a2, a3) == ("O1", "Fe1", "O20")
    ]  # fmt: skip
    (row,) = table_lines(text, "O1", "Fe1", "O20")
    ours, ours_su = parse_su(row[-1])
    theirs, theirs_su = parse_su(printed)
    assert abs(ours - theirs) <= 3 * math.hypot(ours_su, theirs_su)


def test_check_prints_published_and_calculated_side_by_side(qsal_cif, report_figure):
    args = (qsal_cif, "--block", "wp91ltb")
    md = markdown_rows(run("check", *args, "-f", "markdown").stdout)
    numbers = csv_of("check", *args)
    assert len(md) == len(numbers) > 100
    by_atoms = {(r["kind"], r["atoms"]): r for r in md}
    # the published cells are the authors' own text (rule-of-19 values round-trip)
    compared = 0
    for prefix, kind, tags in (
        ("_geom_bond_", "bond", ["atom_site_label_1", "atom_site_label_2", "distance"]),
        ("_geom_angle", "angle",
         ["_atom_site_label_1", "_atom_site_label_2", "_atom_site_label_3", ""]),
    ):  # fmt: skip
        for *labels, value in cif_loop(qsal_cif, "wp91ltb", prefix, tags):
            row = by_atoms.get((kind, "-".join(labels)))
            if row is None or not rule_of_19(value):
                continue
            assert row["published"] == value, (labels, row)
            compared += 1
    assert compared > 150
    for r, cells in zip(numbers.itertuples(), md, strict=True):
        angle = r.kind in ("angle", "torsion") or r.atoms.endswith("[D-H...A]")
        assert cells["calculated"] == format_su(
            float(r.calculated), float(r.calculated_su or "nan"), 1 if angle else 4
        )
    report_figure(f"check table view: {compared} published cells equal the CIF's own text")
    # csv stays numeric and complete
    assert pd.to_numeric(numbers["calculated"]).notna().all()
    assert pd.to_numeric(numbers["calculated_su"]).gt(0).all()


# --- octahedra ---------------------------------------------------------------------------


def test_octahedra_table_shows_spin_oxidation_state_and_gamma(qsal_cif):
    args = (qsal_cif, "--oxidation-state", "Fe1=2")
    table = run("octahedra", *args)
    assert table.exit_code == 0, table.output
    for header in ("spin", "ox. state", "γHS", "<d>/Å", "OC-6", "TPR-6"):
        assert header in table.stdout
    md = markdown_rows(run("octahedra", *args, "-f", "markdown").stdout)
    numbers = csv_of("octahedra", *args)
    assert len(numbers.columns) > 40 and 10 < len(md[0]) <= 16  # the readable subset
    assert "zeta_su" in numbers and "zeta_su" not in md[0]
    for r, cells in zip(numbers.itertuples(), md, strict=True):
        assert cells["<d>/Å"] == format_su(r.d_mean, r.d_mean_su, 4)
        assert cells["Σ/°"] == format_su(r.Sigma, r.Sigma_su, 2)
        assert cells["ox. state"] == "2 (user)"  # what was given, and where it came from
        assert cells["γHS"] == ("" if r.gamma_hs == "" else f"{float(r.gamma_hs):.2f}")
        assert cells["<d>/Å"] in table.stdout
    # ⟨Fe–L⟩ of the authors' loop: 1.934 Å at 163 K (1.874, 1.878, 1.939, 1.948, 1.965,
    # 2.010 Å), low spin; the 293 K block is the high-spin one of this spin-crossover pair
    spins = {cells["block"]: cells["spin (p)"].split()[0] for cells in md}
    assert spins["wp91ltb"] == "LS" and spins["wp91-rt2"] in ("HS", "intermediate")


# --- compare, query ----------------------------------------------------------------------


def test_compare_cell_table_prints_the_cifs_cell(qsal_cif):
    result = run("compare", qsal_cif)
    assert result.exit_code == 0, result.output
    doc = gemmi.cif.read(str(qsal_cif))
    for block in ("wp91ltb", "wp91-mt2", "wp91-rt2"):
        values = [
            doc.find_block(block).find_value(f"_cell_{tag}")
            for tag in ("length_a", "length_b", "length_c", "angle_alpha", "angle_beta",
                        "angle_gamma")
        ]  # fmt: skip
        (row,) = table_lines(result.stdout, block)
        assert all(v in row for v in values), (block, values, row)
    # site changes: ⟨M–L⟩ with su and the change's significance
    assert "[+" in result.stdout and "σ]" in result.stdout
    assert "1.94905921905579"[:9] not in result.stdout


def test_query_table_prints_value_su(qsal_cif, tmp_path):
    pytest.importorskip("pyarrow")
    out = tmp_path / "out"
    done = run("bulk", qsal_cif, "--out", out, "--jobs", "1", "--quiet")
    assert done.exit_code == 0, done.output
    numbers = csv_of("query", out)
    text = run("query", out).stdout
    for r in numbers.itertuples():
        for value in (
            format_su(r.d_mean, r.d_mean_su, 4),
            format_su(r.Sigma, r.Sigma_su, 2),
            format_su(r.Theta, r.Theta_su, 2),
        ):
            assert table_lines(text, r.block, value), (r.block, value)


# --- unresolved spheres ------------------------------------------------------------------


def ba14_cif(tmp_path):
    """Ba with 14 O at 3.00 Å (axes and cube diagonals; closest O···O 2.76 Å), all within
    r_cov(Ba) 2.15 + r_cov(O) 0.66 + 0.45 = 3.26 Å: CN 14 with anion donors, which the
    sphere rules call unresolved disorder (as in test_spheres_chemistry)."""
    dirs = [sign * v for v in np.eye(3) for sign in (1, -1)]
    dirs += [np.array([1 if b else -1 for b in c]) / math.sqrt(3) for c in np.ndindex(2, 2, 2)]
    atoms = [("Ba1", "Ba", np.zeros(3))] + [(f"O{k}", "O", 3.0 * d) for k, d in enumerate(dirs)]
    rows = "\n".join(
        f"{lab} {el} {0.5 + x[0] / 20:.6f} {0.5 + x[1] / 20:.6f} {0.5 + x[2] / 20:.6f}"
        for lab, el, x in atoms
    )
    return write(
        tmp_path,
        "ba.cif",
        "data_ba\n_cell_length_a 20\n_cell_length_b 20\n_cell_length_c 20\n"
        "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
        "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n"
        f"_atom_site_fract_y\n_atom_site_fract_z\n{rows}\n",
    )


@pytest.mark.parametrize("command", ["sphere", "octahedra"])
def test_unresolved_sphere_is_one_warning_line(command, tmp_path):
    ba, c2c = ba14_cif(tmp_path), write(tmp_path, "c2c.cif", C2C)
    result = run(command, ba, c2c)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if "unresolved disorder" in line]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("coordgeo: warning: ") and "Ba1" in lines[0]
    assert "data_ba" in lines[0] and "14 donors" in lines[0]
    # the resolved sphere of the other file is printed: Fe1–N1 = 1.82209 Å by hand
    assert "1.822(" in result.stdout
    assert "Ba1" not in result.stdout


# --- several files -----------------------------------------------------------------------


def test_every_structure_command_takes_several_files_and_folders(qsal_cif, tmp_path):
    folder = tmp_path / "inputs"
    folder.mkdir()
    shutil.copy(qsal_cif, folder / "qsal.cif")
    c2c = write(tmp_path, "c2c.cif", C2C)
    # the blocks, as gemmi reads them: one of C2C and the three of the qsal file
    blocks = {b.name for path in (c2c, qsal_cif) for b in gemmi.cif.read(str(path))}
    assert blocks == {"c2c", "wp91ltb", "wp91-rt2", "wp91-mt2"}
    graph = tmp_path / "g.graphml"
    for command, extra in (
        ("bonds", ()),
        ("angles", ()),
        ("sphere", ()),
        ("octahedra", ()),
        ("hbonds", ()),
        ("contacts", ()),
        ("check", ()),
        ("pxrd", ("--min-intensity", "50")),
        ("graph", ("--out", graph)),
    ):
        result = run(command, c2c, folder, *extra, "-f", "csv")
        assert result.exit_code in (0, 1), (command, result.output)  # check: 1 on a mismatch
        table = pd.read_csv(io.StringIO(result.stdout), keep_default_na=False, dtype=str)
        found = set(table["block"]) - {""}
        if command in ("hbonds", "contacts"):  # C2C has no H-bond or ring
            assert found == blocks - {"c2c"}, command
        else:
            assert found == blocks, (command, found)
    # one graph file per structure beside --out
    names = sorted(p.name for p in tmp_path.glob("g_*.graphml"))
    assert names == sorted(f"g_{b}.graphml" for b in blocks)


def test_pxrd_of_several_structures(qsal_cif, tmp_path):
    c2c = write(tmp_path, "c2c.cif", C2C)
    payload = json.loads(run("pxrd", c2c, qsal_cif, "-f", "json", "--min-intensity", "50").stdout)
    assert [p["block"] for p in payload] == ["c2c", "wp91ltb", "wp91-rt2", "wp91-mt2"]
    assert all(max(peak["intensity"] for peak in p["peaks"]) == 100.0 for p in payload)
    # one structure: the documented single object and csv columns, unchanged
    one = json.loads(run("pxrd", c2c, "-f", "json").stdout)
    assert isinstance(one, dict) and "block" not in one
    assert "block" not in csv_of("pxrd", c2c).columns
    # profiles: one file per structure
    run("pxrd", c2c, qsal_cif, "--profile", tmp_path / "p.csv")
    assert len(list(tmp_path.glob("p_*.csv"))) == 4


def test_octahedra_reads_a_folder_of_xyz_files(shared):
    folder = shared / "xyz" / "octadist"
    files = sorted(p for p in folder.iterdir() if p.suffix == ".xyz")
    table = csv_of("octahedra", folder)
    # each OctaDist example file gives its sites (block: the path, then the xyz title)
    for path in files:
        assert table["block"].str.startswith(str(path)).any(), path.name
    assert len(table) >= len(files)
