"""Hostile input at the doors test_hostile.py does not open: magnetism files, SI tables
against CIFs, compare, bulk, query, report, paths and the Python API.

Each test writes the generated input it needs into tmp_path and runs the command in
process (typer's CliRunner): the run must end with status 0, 1 or 2, no exception but
SystemExit may escape, and a refusal (status 2) is one line on stderr naming the file
and, where known, the line. Each case was found by a fuzz run of generated inputs (the
families of the hostile-input brief) and crashed before its fix; the comment of each
test says how it failed. Expected values are derived in the comments.
"""

from __future__ import annotations

import io
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from click.testing import CliRunner

from coordgeo.cli.app import app
from coordgeo.errors import InputError
from coordgeo.io.cif import read_cif

from support.hostile import FE_AQUA, base_table

COMMAND = typer.main.get_command(app)
runner = CliRunner()


def run(*args: object):
    """One command in process; fails the test on an escaped exception or a bad status."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = runner.invoke(COMMAND, [str(a) for a in args])
    exc = result.exception
    assert exc is None or isinstance(exc, SystemExit), f"{type(exc).__name__}: {exc}"
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code == 2:
        errors = [line for line in result.stderr.splitlines() if "error:" in line]
        assert len(errors) == 1, result.stderr
    return result


def refusal(result) -> str:
    """The one error line of a status-2 run."""
    assert result.exit_code == 2, result.output
    (line,) = [line for line in result.stderr.splitlines() if "error:" in line]
    return line


# --- magnetism data files -------------------------------------------------------------------


def test_a_column_named_twice_is_refused_at_its_header_line(tmp_path):
    # pandas refuses duplicate names with a ValueError ("Duplicate names are not
    # allowed."), which escaped every magnetism door as a traceback
    plain = tmp_path / "chimt.csv"
    plain.write_text("T,chiMT,T\n100,1.0,100\n200,2.0,200\n")
    line = refusal(run("transition", plain, "-c", "chiMT"))
    assert str(plain) in line and "line 1" in line and "'T' twice (columns 1 and 3)" in line
    # a Quantum Design file: [Header] is line 1, [Data] line 2, the column line is line 3
    qd = tmp_path / "mpms.dat"
    qd.write_text("[Header]\n[Data]\nTemperature (K),Temperature (K),DC Moment (emu)\n100,100,1\n")
    for args in (["fit-sd", qd], ["relax", qd, "--temperature", "10"], ["transition", qd]):
        if args[0] == "transition":
            args += ["-c", "DC Moment"]
        line = refusal(run(*args))
        assert str(qd) in line and "line 3" in line and "'Temperature (K)' twice" in line


def test_two_step_fit_when_the_plateaus_have_one_level(tmp_path):
    # a bump: χMT = 1 + exp(-((T - 200)/30)²) at 21 points from 50 to 350 K. The medians
    # of the three coldest and the three hottest points (the plateau guesses) are both
    # 1.0000 (exp(-16) at 80 K), and the start fraction (mid - χLS)/(χHS - χLS) divided
    # by zero (ZeroDivisionError). Γ fixed at 0 keeps the fit short
    t = np.linspace(50.0, 350.0, 21)
    chi = 1.0 + np.exp(-(((t - 200.0) / 30.0) ** 2))
    data = tmp_path / "bump.csv"
    data.write_text(
        "T (K), chiMT (cm3 K/mol)\n"
        + "".join(f"{a:.1f}, {b:.4f}\n" for a, b in zip(t, chi, strict=True))
    )
    result = run("fit-sd", data, "--steps", "2", "--gamma", "0", "-f", "csv")
    assert result.exit_code in (0, 1)
    assert "two-step" in result.stdout


# --- SI tables against a CIF ----------------------------------------------------------------


@pytest.fixture
def base_cif(tmp_path):
    path = tmp_path / "base.cif"
    path.write_text(FE_AQUA)
    return path


def test_a_label_with_thousands_of_digits(tmp_path, base_cif):
    # 'Fe' + 5000 ones: the label resolver read the number with int(), which refuses
    # more than 4300 digits (ValueError). Such a label names no site: unknown-atom, status 1
    table = tmp_path / "table.txt"
    table.write_text(base_table().replace("Fe1", "Fe" + "1" * 5000))
    result = run("validate", table, "--cif", base_cif, "-f", "csv")
    assert result.exit_code == 1
    assert "unknown-atom" in result.stdout


@pytest.mark.parametrize("printed", ["-2.08", "1e300"])
def test_a_printed_distance_that_is_no_distance_is_a_mismatch(tmp_path, base_cif, printed):
    # Fe1–O1 is 2.080 Å (built so). A printed -2.08 sent a neighbour search of radius
    # -2.07 Å for the "atoms at the printed distance" hint, refused as if the CIF were
    # bad (status 2); 1e300 overflowed (r + 1)³ in the work bound (OverflowError). Both
    # are a mismatch of that row, calculated 2.0800 Å as for the printed 2.0800(2)
    table = tmp_path / "table.txt"
    table.write_text(base_table().replace("Fe1-O1\t2.0800(2)", f"Fe1-O1\t{printed}"))
    result = run("validate", table, "--cif", base_cif, "-f", "csv")
    assert result.exit_code == 1
    df = pd.read_csv(io.StringIO(result.stdout))
    (row,) = df[df.label == "Fe1-O1"].itertuples()
    assert row.status == "mismatch" and row.published == float(printed)
    assert round(row.calculated, 4) == 2.08


def test_the_work_bound_of_an_unbounded_search_radius(base_cif):
    # the cell holds 21 atoms (11 sites × 2 operators, Fe1 on the inversion centre
    # counted once) in V Å³; a search to r Å around one centre finds about
    # 21/V·(4π/3)·r³ atoms: 20 Å is a few thousand rows, every one within 20 Å; 1e4 Å
    # would be ~10¹¹ rows and 1e300 Å overflowed (r + 1)³ (OverflowError): both refused
    from coordgeo.geometry import contacts

    (structure,) = read_cif(base_cif)
    near = contacts(structure, 20.0, centers=[0])
    expected = 21 / structure.cell.volume * 4 / 3 * math.pi * 20.0**3
    assert 0.8 * expected < len(near.distance) < 1.2 * expected
    assert float(near.distance.max()) <= 20.0
    for radius in (1e4, 1e300):
        with pytest.raises(InputError, match="neighbour-search volume"):
            contacts(structure, radius, centers=[0])


def test_long_search_in_a_small_cell_finds_every_image(tmp_path):
    """One atom in a 5 Å cube searched to 12 Å: the lattice points n ≠ 0 with 5|n| ≤ 12,
    i.e. |n|² ≤ 5.76: 6 + 12 + 8 + 6 + 24 = 56 (|n|² = 1, 2, 3, 4, 5). Only ±1 translation
    around the nearest image gave 26."""
    from coordgeo.geometry import contacts

    path = tmp_path / "cube.cif"
    path.write_text(
        "data_cube\n_cell_length_a 5\n_cell_length_b 5\n_cell_length_c 5\n"
        "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
        "_symmetry_space_group_name_H-M 'P 1'\nloop_\n_atom_site_label\n"
        "_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n"
        "_atom_site_fract_z\nNa1 Na 0.1 0.2 0.3\n"
    )
    (structure,) = read_cif(path)
    found = contacts(structure, 12.0)
    assert len(found.distance) == 56
    assert sorted(set(np.round(found.distance**2 / 25).astype(int).tolist())) == [1, 2, 3, 4, 5]


def test_a_file_name_longer_than_the_system_allows(tmp_path, base_cif):
    # a 300-character name (the limit of one name is 255 bytes): Path.is_dir() and
    # Path.exists() raise OSError (ENAMETOOLONG) where os.path's answer False; octahedra
    # and validate --column NAME=FILE:BLOCK let it escape. Now the file's reader says it
    # cannot open it
    name = tmp_path / ("a" * 300 + ".cif")
    line = refusal(run("octahedra", name))
    assert str(name) in line and "cannot" in line
    table = tmp_path / "table.txt"
    table.write_text(base_table())
    line = refusal(run("validate", table, "--cif", base_cif, "--column", f"100 K={name}:x"))
    assert "a" * 255 in line


# --- bulk and query -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """A bulk dataset of one structure: the base [Fe(H2O)6]Cl2, one Fe site."""
    folder = tmp_path_factory.mktemp("bulk")
    (folder / "base.cif").write_text(FE_AQUA)
    out = folder / "ds"
    result = run("bulk", folder / "base.cif", "-o", out, "-j", "1", "-q")
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("sigma.txt", "must end in .png, .svg, .pdf, not .txt"),
        ("no/such/sigma.png", "cannot write"),
    ],
)
def test_query_plot_to_a_file_that_cannot_be_a_figure(dataset, tmp_path, name, message):
    # query --plot handed the name to matplotlib: a .txt plot was a ValueError ("Format
    # 'txt' is not supported"), a missing folder a FileNotFoundError
    line = refusal(run("query", dataset, "--plot", tmp_path / name))
    assert str(tmp_path / name) in line and message in line
    assert not (tmp_path / name).exists()


@pytest.mark.parametrize("manifest", ["[1, 2, 3]", '{"settings": {}}', "null"])
def test_resume_of_a_dataset_whose_manifest_is_not_one(dataset, tmp_path, manifest):
    # _bulk.json replaced by other JSON: .get of a list was an AttributeError, a missing
    # "runs" a KeyError at the end of the run; the damage is named, the dataset untouched
    import shutil

    damaged = tmp_path / "ds"
    shutil.copytree(dataset, damaged)
    (damaged / "_bulk.json").write_text(manifest)
    result = run("bulk", dataset.parent / "base.cif", "-o", damaged, "--resume", "-j", "1", "-q")
    line = refusal(result)
    assert "_bulk.json is not a coordgeo bulk manifest" in line
    assert (damaged / "_bulk.json").read_text() == manifest


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        # -j 0 meant every core, -j 100000 started that many processes, -j 10^20
        # overflowed a C int in multiprocessing (OverflowError)
        ("-j", "0", "--jobs 0 must be more than 0"),
        ("-j", "100000", "100 000 worker processes (--jobs): more than the limit of 256"),
        ("-j", "99999999999999999999", "COORDGEO_MAX_WORKERS"),
        # --max-size nan and 1e999 (inf) failed int(MB · 10⁶) (ValueError, OverflowError);
        # 0 meant no limit at all
        ("--max-size", "nan", "--max-size nan is not a finite number"),
        ("--max-size", "1e999", "--max-size inf is not a finite number"),
        ("--max-size", "0", "--max-size 0 must be more than 0"),
        # --timeout inf, nan, 0 or -1 made every file an error row, and the run status 0
        ("--timeout", "inf", "--timeout inf is not a finite number"),
        ("--timeout", "0", "--timeout 0 must be more than 0"),
        ("--timeout", "-1", "--timeout -1 must be more than 0"),
        ("--part-size", "0", "--part-size 0 must be more than 0"),
    ],
)
def test_bulk_option_values_that_cannot_be_meant(tmp_path, base_cif, option, value, message):
    out = tmp_path / "ds"
    line = refusal(run("bulk", base_cif, "-o", out, "-q", option, value))
    assert message in line
    assert not out.exists()  # refused before the dataset folder is made


@pytest.mark.parametrize("content", ["/dev/zero", b"\0" * 64, "ok\n" * 2000 + "a\0b\n"])
def test_bulk_files_from_that_is_not_a_list(tmp_path, base_cif, content):
    # the list was read with Path.read_text: /dev/zero never ended (2 GB and on), a
    # NUL in a line reached os.stat (ValueError: embedded null byte). The list is now
    # opened as every user file is (regular files, size limit, binary refused), and a
    # NUL past the first 4 kB is named by its line (2001: after 2000 lines 'ok')
    if content == "/dev/zero":
        listing, where = Path("/dev/zero"), "character device"
        if not listing.exists():
            pytest.skip("no /dev/zero")
    else:
        listing = tmp_path / "list.txt"
        listing.write_bytes(content if isinstance(content, bytes) else content.encode())
        where = "binary data" if isinstance(content, bytes) else "line 2001: a NUL byte"
    line = refusal(run("bulk", "-o", tmp_path / "ds", "-q", "--files-from", listing))
    assert str(listing) in line and where in line


# --- the Python API -------------------------------------------------------------------------


@pytest.mark.parametrize("door", ["read", "octahedra", "bonds", "check", "contacts"])
def test_api_path_with_a_nul_byte(door):
    # os.open refuses a NUL in a name with ValueError ("embedded null byte"), which every
    # door let out; it is the user's input (a path read from a damaged list): InputError
    import coordgeo

    with pytest.raises(coordgeo.InputError, match="a NUL byte in its name") as info:
        getattr(coordgeo, door)("a\0b.cif")
    assert info.value.path == "a\\0b.cif" and "\n" not in str(info.value)


# --- option values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("inf", "--monochromator inf is not a finite number"),
        ("-inf", "--monochromator -inf is not a finite number"),
        ("-1", "monochromator 2θm -1° is not between 0 and 180°"),
        ("180", "monochromator 2θm 180° is not between 0 and 180°"),
    ],
)
def test_pxrd_monochromator_outside_its_range(base_cif, value, message):
    # the polarisation factor takes cos²(2θm): cos(inf) is a math domain error
    # (ValueError); a monochromator crystal diffracts at 0 < 2θm < 180°. The command line
    # refuses inf itself; pxrd.reflections refuses the rest (and inf from the API)
    line = refusal(run("pxrd", base_cif, "--monochromator", value))
    assert message in line
    from coordgeo.pxrd import reflections

    (structure,) = read_cif(base_cif)
    with pytest.raises(InputError, match="is not between 0 and 180"):
        reflections(structure, 1.5406, (5.0, 50.0), monochromator=float(value))


@pytest.mark.parametrize("value", ["0", "-0.0"])
def test_fit_sd_pure_hs_at_the_ls_baseline(tmp_path, value):
    # the residual fractions divide by χMT(HS pure) − χMT(LS baseline): --chi-hs-pure 0
    # with the default baseline 0 divided by zero (ZeroDivisionError). (nan, which gave
    # nan fractions without a word, is refused by the command line's finite-number
    # check.) The curve: a step from 0.1 to 3.5 at 200 K
    t = np.linspace(50.0, 350.0, 31)
    chi = 0.1 + 3.4 / (1.0 + np.exp(-(t - 200.0) / 5.0))
    data = tmp_path / "step.csv"
    data.write_text(
        "T (K), chiMT\n" + "".join(f"{a:.1f}, {b:.4f}\n" for a, b in zip(t, chi, strict=True))
    )
    line = refusal(run("fit-sd", data, "--gamma", "0", "--chi-hs-pure", value))
    assert "--chi-hs-pure" in line and "other than the LS baseline 0" in line


def test_geom_loops_are_bounded(tmp_path, monkeypatch):
    # a 10⁶-row _geom_angle loop (18 MB) took sphere 28 s of CPU and 2.4 GB: each row is
    # resolved and measured with su's. The base CIF's _geom_bond loop has 3 rows (Fe1–O1,
    # O2, O3), its loop_ on the first line of 'loop_\n_geom_bond_atom_site_label_1'
    path = tmp_path / "base.cif"
    path.write_text(FE_AQUA)
    loop_line = FE_AQUA[: FE_AQUA.index("loop_\n_geom_bond")].count("\n") + 1
    monkeypatch.setenv("COORDGEO_MAX_GEOM_ROWS", "2")
    for command in ("bonds", "sphere", "check"):
        line = refusal(run(command, path))
        assert f"line {loop_line}: 3 rows of one _geom_* loop (_geom_bond_distance)" in line
        assert "COORDGEO_MAX_GEOM_ROWS" in line
    monkeypatch.setenv("COORDGEO_MAX_GEOM_ROWS", "3")  # at the limit: read
    assert run("check", path).exit_code == 0


@pytest.mark.parametrize("printed", ["0", "1e300"])
def test_core_reconstruction_from_a_distance_that_is_none(tmp_path, printed):
    # validate without a CIF fits the Fe1 core to the printed rows, each donor started at
    # its printed distance: a donor started at 0 Å has no direction, its angles are nan and
    # scipy's least_squares raised "Residuals are not finite in the initial point."
    # (ValueError). A distance that is none starts at 2 Å; the run lists its findings
    table = tmp_path / "table.txt"
    table.write_text(base_table().replace("Fe1-O1\t2.0800(2)", f"Fe1-O1\t{printed}"))
    result = run("validate", table)
    assert result.exit_code in (0, 1)
    assert any(" Fe1-O1 " in line for line in result.stdout.splitlines())


@pytest.mark.parametrize(
    ("args", "option"),
    [
        # each was accepted and gave a quiet, meaningless answer: no H-bond passes an
        # angle test against nan; an infinite smoothing window flattens the curve
        (["hbonds", "{cif}", "--min-angle", "nan"], "--min-angle nan"),
        (["hbonds", "{cif}", "--margin", "inf"], "--margin inf"),
        (["contacts", "{cif}", "--max-cg-cg", "-inf"], "--max-cg-cg -inf"),
        (["pxrd", "{cif}", "--min-intensity", "nan"], "--min-intensity nan"),
        (["fit-sd", "{chi}", "--window", "inf"], "--window inf"),
        (["relax", "{chi}", "--temperature", "10", "--temperature", "nan"], "--temperature nan"),
    ],
)
def test_number_options_that_are_not_finite(tmp_path, base_cif, args, option):
    chi = tmp_path / "chi.csv"
    chi.write_text("T, chiMT\n" + "".join(f"{50 + 10 * k}, {1 + k % 3}\n" for k in range(20)))
    args = [str(a).format(cif=base_cif, chi=chi) for a in args]
    line = refusal(run(*args))
    assert line.endswith(f"error: {option} is not a finite number")


@pytest.mark.parametrize("fmt", ["docx", "latex"])
def test_validate_formats_it_does_not_write(tmp_path, base_cif, fmt):
    # validate has no --out and no Word or LaTeX form of its findings: -f docx and
    # -f latex printed the text table, status 0, as if the option had been obeyed
    table = tmp_path / "table.txt"
    table.write_text(base_table())
    line = refusal(run("validate", table, "--cif", base_cif, "-f", fmt))
    assert f"not --format {fmt}" in line
