"""The command-line contract of the core commands."""

from __future__ import annotations

import io

import pandas as pd
from typer.testing import CliRunner

from coordgeo.cli.app import app

from cifs_for_tests import C2C, write

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_bonds_csv_contract(qsal_cif):
    result = run("bonds", qsal_cif, "--format", "csv")
    assert result.exit_code == 0, result.output
    df = pd.read_csv(io.StringIO(result.stdout), keep_default_na=False)
    assert list(df.columns) == [
        "block",
        "atom1",
        "atom2",
        "symmetry_code",
        "distance",
        "distance_su",
    ]
    assert set(df.block) == {"wp91ltb", "wp91-rt2", "wp91-mt2"}
    # Fe1-O1 1.874(8) in the authors' loop at 163 K
    fe_o1 = df[(df.block == "wp91ltb") & (df.atom1 == "Fe1") & (df.atom2 == "O1")].iloc[0]
    assert abs(fe_o1.distance - 1.874) < 0.0005 and fe_o1.symmetry_code == "."


def test_angles_and_check_contract(qsal_cif):
    result = run("angles", qsal_cif, "--block", "wp91-rt2", "-f", "csv")
    df = pd.read_csv(io.StringIO(result.stdout), keep_default_na=False)
    assert list(df.columns) == [
        "block",
        "atom1",
        "atom2",
        "atom3",
        "symmetry_code_1",
        "symmetry_code_3",
        "angle",
        "angle_su",
    ]
    assert set(df.block) == {"wp91-rt2"}
    result = run("check", qsal_cif, "-f", "csv")
    df = pd.read_csv(io.StringIO(result.stdout), keep_default_na=False)
    assert list(df.columns) == [
        "block",
        "kind",
        "atoms",
        "symmetry_codes",
        "published",
        "published_su",
        "calculated",
        "calculated_su",
        "status",
        "reason",
    ]
    assert set(df.kind) <= {"bond", "angle", "hbond", "torsion"}


def test_sphere_si_layout(tmp_path):
    path = write(tmp_path, "c2c.cif", C2C)
    result = run("sphere", path)
    assert result.exit_code == 0, result.output
    # hand values from cifs_for_tests.C2C: Fe1-N1 1.82209 A, N1-Fe1-N1' 141.548 deg;
    # the su's come from 0.0003 on N1 and 0.0002 on Fe1 y and the cell su's
    assert "Fe1-N1 " in result.stdout and "Fe1-N1A" in result.stdout
    assert "1.822(" in result.stdout
    # the CIF's own _geom_angle value is printed (issue 14); recomputed on request
    assert "N1-Fe1-N1A" in result.stdout and "141.55(15)" in result.stdout
    assert "141.5(3)" in run("sphere", path, "--values", "recomputed").stdout
    assert "A -x,y,-z+1/2" in result.stdout  # the legend line under the table
    md = run("sphere", path, "--format", "markdown").stdout
    assert "| Fe1-N1A |" in md and "Symmetry codes: A -x,y,-z+1/2." in md
    csv = pd.read_csv(io.StringIO(run("sphere", path, "-f", "csv").stdout), keep_default_na=False)
    assert set(csv.kind) == {"bond", "angle", "legend"}


def test_user_errors_exit_2_one_line(shared, tmp_path):
    for bad in (shared / "cifs/malformed/2009397-syntax-error.cif", tmp_path / "missing.cif"):
        result = run("bonds", bad)
        assert result.exit_code == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and str(bad) in lines[0]
        assert "Traceback" not in result.output


def test_partial_file_still_gives_results(shared):
    result = run("bonds", shared / "cifs/malformed/b008262g-missing-closing-quote.cif", "-f", "csv")
    assert result.exit_code == 2
    df = pd.read_csv(io.StringIO(result.stdout), keep_default_na=False)
    assert set(df.block) == {"(1)", "(2)", "(3)", "(4)", "(6)"}
    assert "block (5)" in result.stderr


def test_check_exit_status(tmp_path):
    assert run("check", write(tmp_path, "ok.cif", C2C)).exit_code == 0
    altered = write(tmp_path, "bad.cif", C2C.replace("141.55(15)", "143.00(15)"))
    assert run("check", altered).exit_code == 1


def test_reader_notes_are_warned_beside_every_table(tmp_path):
    """A CIF without operators or space group is read as P1 (io.cif's rule, with a note):
    each table command says so on stderr, once per block, and still prints its table."""
    head, rest = C2C.split("_space_group_name_H-M_alt", 1)
    text = head + "loop_\n_atom_site_label" + rest.split("loop_\n_atom_site_label", 1)[1]
    assert "_space_group" not in text and "symop" not in text
    path = write(tmp_path, "no_symmetry.cif", text)
    for command in ("sphere", "octahedra", "bonds", "check", "hbonds"):
        result = run(command, path)
        assert result.exit_code in (0, 1), (command, result.output)
        notes = [line for line in result.stderr.splitlines() if "treated as P1" in line]
        assert notes == [
            f"coordgeo: warning: {path} data_c2c: no symmetry operators or space group: "
            "treated as P1"
        ], (command, result.stderr)


def test_a_note_of_the_whole_file_is_said_once(tmp_path):
    """A two-block CIF with one Windows-1252 byte (° as 0xB0 in a text value): the reader
    notes it for each block; the command says it once, in its own one-line form (not
    also as Python's two-line DecodingWarning)."""
    second = C2C.replace("data_c2c", "data_c2d")
    text = C2C.replace("_diffrn_ambient_temperature 100(2)", "_diffrn_ambient_temperature 100(2)\n"
                       "_exptl_crystal_description 'needle, 100 \xb0C'")  # fmt: skip
    path = tmp_path / "cp1252.cif"
    path.write_bytes((text + second).encode("cp1252"))
    import warnings

    for command in ("bonds", "check"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = run(command, path)
        assert not [w for w in caught if "UTF-8" in str(w.message)], command
        lines = [line for line in result.stderr.splitlines() if "UTF-8" in line]
        assert len(lines) == 1 and lines[0].startswith(f"coordgeo: warning: {path} data_c2c: "), (
            command,
            result.stderr,
        )


def test_ctrl_c_while_a_command_loads_is_one_line_and_130(monkeypatch, capsys):
    """A KeyboardInterrupt before the command runs (its modules loading: app.only) ends
    as one line and status 130, the shell's code for SIGINT, not a traceback."""
    import contextlib

    import pytest

    from coordgeo import cli

    @contextlib.contextmanager
    def interrupted(argv):
        raise KeyboardInterrupt
        yield

    monkeypatch.setattr(cli.app, "only", interrupted)
    with pytest.raises(SystemExit) as stop:
        cli.main(["sphere", "x.cif"])
    assert stop.value.code == 130
    assert capsys.readouterr().err == "coordgeo: error: interrupted\n"
