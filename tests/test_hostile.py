"""Hostile input never crashes, hangs or eats the machine (issue 17).

A corpus of hostile inputs is written by :mod:`support.hostile` (every input class of
the issue, plus seeded random mutations of a small CIF) and every per-file command runs
on each in-process through typer's CliRunner: the exit status must be 0, 1 or 2, no
exception may escape (``result.exception`` is None or SystemExit), and each run must end
within a time limit. Inputs that must be refused end with status 2 and a line naming
the file, block, tag and line; inputs that must be read give the same bonds as the
untouched structure. Property tests (hypothesis, seeded) mutate small CIFs and a few
shared ones. ``pytest --slow`` runs the full cross product and more examples.

Every expected value is derived in the comments: the base structure [Fe(H₂O)₆]Cl₂ is
built by hand in :mod:`support.hostile` (Fe–O 2.080 Å along the axes of an 8 Å cubic
P-1 cell), and the lines of offending values are found in the files' own text.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest
import typer
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordgeo.cli.app import app
from coordgeo.errors import InputError
from coordgeo.io.cif import read_cif, read_cif_blocks
from coordgeo.io.files import DecodingWarning, read_bytes, read_text, safe_filename
from coordgeo.options import LIMITS, TOLERANCE_RANGE, check_work_bounds, validate_tolerance

from support.hostile import C2C, FE_AQUA, Case, mutate, mutations, write_corpus

COMMANDS = (
    "bonds",
    "angles",
    "sphere",
    "octahedra",
    "hbonds",
    "check",
    "graph",
    "pxrd",
    "validate",
)
TIME_LIMIT = 30.0  # s per in-process run; the subprocess benchmark uses 60 s

# typer builds the click command on every CliRunner.invoke (~80 ms); build it once
COMMAND = typer.main.get_command(app)
runner = CliRunner()


class _TimeLimit(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise _TimeLimit in the main thread after ``seconds`` (a hang becomes a failure)."""

    def handler(signum, frame):
        raise _TimeLimit(f"still running after {seconds:g} s")

    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run(*args: object, limit: float = TIME_LIMIT):
    """Run one command in-process; returns (result, seconds)."""
    start = time.perf_counter()
    with time_limit(limit), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = runner.invoke(COMMAND, [str(a) for a in args])
    return result, time.perf_counter() - start


def problems_of(result, seconds: float, label: str, limit: float = TIME_LIMIT) -> list[str]:
    """What is wrong with a run: an escaped exception, a status other than 0/1/2, a slow run,
    or a status-2 run that did not say why on stderr."""
    found = []
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        found.append(f"{label}: {type(exc).__name__}: {exc}"[:400])
    if result.exit_code not in (0, 1, 2):
        found.append(f"{label}: exit status {result.exit_code}")
    if "Traceback (most recent call last)" in result.output:
        found.append(f"{label}: a traceback in the output")
    if seconds > limit:
        found.append(f"{label}: {seconds:.1f} s")
    if result.exit_code == 2 and "error" not in result.stderr:
        found.append(f"{label}: status 2 without an error line")
    return found


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Case]:
    folder = tmp_path_factory.mktemp("hostile")
    return {f"{c.kind}:{c.name}": c for c in write_corpus(folder)}


@pytest.fixture(scope="module")
def table(corpus) -> Path:
    return corpus["table:good"].path


def command_args(command: str, path: Path, table: Path, out: Path) -> list[object]:
    if command == "graph":
        return ["graph", path, "--out", out / "graph.graphml"]
    if command == "validate":
        return ["validate", table, "--cif", path]
    return [command, path]


def cif_cases(corpus: dict[str, Case], expect: str | None = None) -> list[Case]:
    return [c for c in corpus.values() if c.kind == "cif" and expect in (None, c.expect)]


def fast_and_slow(corpus: dict[str, Case], command: str, slow: bool) -> list[Case]:
    """Inputs a command runs on: every input that must be refused (they end while reading),
    and of the others a third, rotating with the command, so that every input meets
    three commands and every command a third of the inputs; ``--slow`` runs them all."""
    cases = cif_cases(corpus)
    if slow:
        return cases
    k = COMMANDS.index(command)
    return [c for i, c in enumerate(cases) if c.expect == "error" or (i + k) % 3 == 0]


# --- every command, every input -------------------------------------------------------------


def _run_command_on_corpus(command: str, corpus, table, tmp_path, slow: bool) -> None:
    problems: list[str] = []
    for case in fast_and_slow(corpus, command, slow):
        out = tmp_path / case.name
        out.mkdir()
        result, seconds = run(*command_args(command, case.path, table, out))
        label = f"{command} {case.kind}:{case.name} ({case.what})"
        problems += problems_of(result, seconds, label)
        if case.expect == "error" and result.exit_code != 2:
            problems.append(f"{label}: must be refused (status 2), got {result.exit_code}")
        # nothing is written outside --out (graph writes one file per block inside it)
        written = [p for p in out.rglob("*") if p.is_file()]
        assert all(out in p.parents for p in written)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_on_hostile_cifs(command, corpus, table, tmp_path):
    _run_command_on_corpus(command, corpus, table, tmp_path, slow=False)


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_on_every_hostile_cif(command, corpus, table, tmp_path):
    _run_command_on_corpus(command, corpus, table, tmp_path, slow=True)


def test_other_inputs_of_the_corpus(corpus):
    """χMT files (fit-sd), measured patterns (pxrd --measured), SI tables (validate)."""
    base = corpus["cif:base"].path
    problems = []
    for case in corpus.values():
        if case.kind == "chimt":
            args = ["fit-sd", case.path]
        elif case.kind == "xy":
            args = ["pxrd", base, "--measured", case.path]
        elif case.kind == "table":
            args = ["validate", case.path, "--cif", base]
        else:
            continue
        result, seconds = run(*args)
        label = f"{args[0]} {case.kind}:{case.name} ({case.what})"
        problems += problems_of(result, seconds, label)
        if case.expect == "error" and result.exit_code != 2:
            problems.append(f"{label}: must be refused (status 2), got {result.exit_code}")
        if case.expect == "ok" and result.exit_code not in (0, 1):
            problems.append(f"{label}: must be read, got {result.exit_code}: {result.stderr}")
    assert not problems, "\n".join(problems)


# --- what must be read is read --------------------------------------------------------------


def bonds_of(path: Path) -> pd.DataFrame:
    result, _ = run("bonds", path, "-f", "csv")
    assert result.exit_code == 0, result.output
    return pd.read_csv(io.StringIO(result.stdout), keep_default_na=False)


def bond_set(df: pd.DataFrame) -> list[tuple[str, str, float, float]]:
    """Bonds as sorted (atom, atom, distance, su): the order of the atom lines decides which
    atom of a bond is atom1, not which bonds there are."""
    return sorted(
        (*sorted((a, b)), round(d, 6), round(s, 6))
        for a, b, d, s in zip(df.atom1, df.atom2, df.distance, df.distance_su, strict=True)
    )


@pytest.mark.parametrize(
    "name", ["bom", "latin1", "cp1252", "utf16", "crlf", "shuffled_atoms", "uiso_1e400"]
)
def test_inputs_that_must_be_read_give_the_base_bonds(corpus, name):
    # the encoding, the line ends, the order of the atom lines and an unreadable U do not
    # change a bond: Fe1–O 2.080 Å (built so) and the O–H bonds of the base
    base = bonds_of(corpus["cif:base"].path)
    fe = base[base.atom1 == "Fe1"]
    assert len(fe) == 6 and (fe.distance.round(4) == 2.08).all()
    assert bond_set(bonds_of(corpus[f"cif:{name}"].path)) == bond_set(base)


def test_latin1_is_read_with_a_warning_and_a_note(corpus):
    path = corpus["cif:latin1"].path
    with pytest.warns(DecodingWarning, match="not UTF-8"):
        (structure,) = read_cif(path)
    assert structure.info["name_common"] == "hexaaquafer(II), 25 °C, µ-free, é"
    # the first byte that is not UTF-8 is the ° of line 2 (_chemical_name_common)
    assert any("line 2" in note and "Windows-1252" in note for note in structure.notes)
    assert read_text(corpus["cif:utf16"].path).text.startswith("data_fe_aqua")


def test_labels_and_block_names_that_are_not_file_names(corpus, tmp_path):
    # two blocks named '../../escape' and 'a/b/<script>…': one graph file each, inside --out
    result, _ = run("graph", corpus["cif:path_block_names"].path, "--out", tmp_path / "g.json")
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 2 and all("/" not in f and ".." not in f for f in files)
    assert all(f.startswith("g_") and f.endswith(".json") for f in files)
    # a label with a space and @ is a label like any other
    df = bonds_of(corpus["cif:label_space_at"].path)
    assert "O 1@x" in set(df.atom2) | set(df.atom1)


# --- what must be refused names what and where ----------------------------------------------


def line_of(path: Path, start: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line of the file starting with ``start``."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    hits = [k + 1 for k, line in enumerate(lines) if line.startswith(start)]
    return hits[occurrence - 1]


@pytest.mark.parametrize(
    ("name", "message", "row"),
    [
        ("coord_1e400", "site O1: _atom_site_fract_x '1.2e400' is outside the range", "O1 "),
        ("su_400_digits", "has an su of 400 digits", "O1 "),
        ("su_20_digits", "has an su of 20 digits", "O1 "),
        ("coord_nan", "site O3: _atom_site_fract_z 'nan' is not a number", "O3 "),
        ("coord_inf", "'inf' is not a number", "O3 "),
        ("coord_1e10", "site O2: _atom_site_fract_y 1e+10 is more than 100 cells", "O2 "),
        ("coord_-1e308", "site O2: _atom_site_fract_y '-1e308' has an exponent out", "O2 "),
        ("coord_-1e10", "site O2: _atom_site_fract_y -1e+10 is more than 100 cells", "O2 "),
        ("occupancy_negative", "site Cl1: _atom_site_occupancy -0.5 is negative", "Cl1 "),
        ("occupancy_1e400", "_atom_site_occupancy '1e400' is outside the range", "Cl1 "),
        ("dup_label", "site label 'Fe1' is used twice", "Fe1 Cl"),
        ("cell_1e400", "_cell_length_a '1.2e400' is outside the range", "_cell_length_a"),
        ("cell_1e5", "longer than any crystal's repeat", "_cell_length_a"),
        ("angle_1e308", "_cell_angle_beta '1e308' has an exponent out", "_cell_angle_beta"),
        ("angle_180", "_cell_angle_beta '180' is not a cell angle", "_cell_angle_beta"),
        ("op_singular", "'x,x,z' is not invertible (its rotation part has determinant 0", None),
        ("op_zero", "'0,0,0' is not invertible", None),
        ("op_duplicated", "'-x,-y,-z' is listed twice", None),
        ("op_typo", "do not form a group", None),
        ("fd3m_no_ops", "per Å³, more than 0.5", None),
        ("dense_5000", "per Å³, more than 0.5", None),
        ("latin1_label", "has 'Clé1' unquoted", None),
    ],
)
def test_refusals_name_block_tag_and_line(corpus, name, message, row):
    path = corpus[f"cif:{name}"].path
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            results = read_cif_blocks(path)
        except InputError as exc:
            error = exc
        else:
            (error,) = results
    assert time.perf_counter() - start < 5.0  # Fd-3m without operators took 4 GB and minutes
    assert isinstance(error, InputError) and message in str(error), str(error)
    assert error.path == str(path) and "\n" not in str(error)
    if name != "latin1_label":
        assert error.block == "fe_aqua" or name == "dense_5000"
    if row is not None:  # the line of the offending value itself, found in the file's text
        assert error.line == line_of(path, row), str(error)


def test_not_a_group_quotes_the_operators(corpus):
    # C2/c without -x,-y,-z: x+1/2,y+1/2,z then -x,y,-z+1/2 gives -x+1/2,y+1/2,-z+1/2 (op 4,
    # present); the first missing product, in list order, involves the lost inversion:
    # -x,y,-z+1/2 then x,-y,z+1/2 gives -x,-y,-z (R: diag(-1,1,-1)·diag(1,-1,1) = -1;
    # t: diag(-1,1,-1)·(0,0,1/2) + (0,0,1/2) = 0)
    with pytest.raises(InputError, match="do not form a group") as info:
        read_cif(corpus["cif:op_not_group"].path)
    assert "'-x,-y,-z', which is not in the list" in str(info.value)


def test_duplicate_block_names_are_told_apart(corpus):
    # the second data_fe_aqua (and data_FE_AQUA: CIF names ignore case) is reported, the
    # first is read
    for name in ("dup_block", "dup_block_case"):
        path = corpus[f"cif:{name}"].path
        first, second = read_cif_blocks(path)
        assert not isinstance(first, InputError) and len(first) == 11
        assert isinstance(second, InputError)
        assert "is used again (first at line 1)" in str(second)
        assert second.line == line_of(path, "data_", 2)


@pytest.mark.parametrize("name", ["fifo", "urandom", "zero", "null", "link_to_urandom"])
def test_special_files_are_refused_at_once(corpus, name):
    key = f"cif:{name}"
    if key not in corpus:
        pytest.skip(f"no {name} on this system")
    path = corpus[key].path
    start = time.perf_counter()
    with time_limit(10):
        with pytest.raises(InputError, match="not a regular CIF file") as info:
            read_bytes(path, what="CIF")
        result, _ = run("bonds", path, limit=10)
    assert time.perf_counter() - start < 5
    kind = "named pipe" if name == "fifo" else "character device"
    assert kind in str(info.value)
    assert result.exit_code == 2 and kind in result.stderr


def test_a_directory_given_as_a_file(corpus):
    with pytest.raises(InputError, match="a directory, not a regular CIF file"):
        read_bytes(corpus["cif:directory"].path, what="CIF")
    result, _ = run("pxrd", corpus["cif:directory"].path)  # a folder of no CIFs
    assert result.exit_code == 2 and "cif_dir.cif" in result.stderr


def test_size_limit_and_how_to_raise_it(corpus, monkeypatch):
    # a 3 GB sparse file is refused from its size alone, before reading
    start = time.perf_counter()
    result, _ = run("bonds", corpus["cif:sparse_huge"].path)
    assert result.exit_code == 2 and time.perf_counter() - start < 5
    assert "3 000 000 000 bytes in one input file" in result.stderr
    assert "COORDGEO_MAX_BYTES" in result.stderr
    # the base CIF is ~1.4 kB: refused with a 1000-byte limit, read when it is raised
    base = corpus["cif:base"].path
    size = base.stat().st_size
    monkeypatch.setenv("COORDGEO_MAX_BYTES", "1000")
    with pytest.raises(InputError, match=f"{size:,} bytes".replace(",", " ")):
        read_cif(base)
    with pytest.raises(InputError, match="more than the limit"):
        read_bytes(base, max_bytes=size - 1)
    assert len(read_bytes(base, max_bytes=size)) == size
    monkeypatch.setenv("COORDGEO_MAX_BYTES", str(size))
    assert len(read_cif(base)[0]) == 11
    monkeypatch.setenv("COORDGEO_MAX_BYTES", "lots")
    with pytest.raises(InputError, match="COORDGEO_MAX_BYTES must be a positive number"):
        read_cif(base)


def _outcome(path: Path, data: bytes | None = None) -> list:
    """What reading a CIF gives, compared field by field: each block's error (message,
    path, block, line) or its structure's arrays, notes and _geom_ loops."""
    try:
        found = read_cif_blocks(path, data)
    except InputError as exc:
        return [("error", str(exc), exc.path, exc.block, exc.line)]
    out = []
    for item in found:
        if isinstance(item, InputError):
            out.append(("error", str(item), item.path, item.block, item.line))
            continue
        geom = {k: (g.columns, g.values, g.line) for k, g in item.geom.items()}
        arrays = [item.fract.tobytes(), item.fract_su.tobytes(), item.occupancy.tobytes()]
        out.append((item.path, item.block, item.line, item.labels, item.notes, geom, arrays))
    return out


def test_bytes_read_by_the_caller_are_read_as_the_file(corpus, monkeypatch):
    # bulk reads each file once, for its sha256 and its parse: every hostile CIF of the
    # corpus (regular files; the 3 GB sparse one below) gives through its bytes exactly
    # what reading the file gives, errors (message, file, block, line) included
    compared = 0
    for key, case in corpus.items():
        if not key.startswith("cif:") or not case.path.is_file():
            continue
        if case.path.stat().st_size > LIMITS["bytes"].value():
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DecodingWarning)
            assert _outcome(case.path, case.path.read_bytes()) == _outcome(case.path), key
        compared += 1
    assert compared > 50
    # the size limit holds for bytes given too, with the same message
    base = corpus["cif:base"].path
    monkeypatch.setenv("COORDGEO_MAX_BYTES", "1000")
    with pytest.raises(InputError) as from_file:
        read_cif_blocks(base)
    with pytest.raises(InputError) as from_bytes:
        read_cif_blocks(base, base.read_bytes())
    assert str(from_bytes.value) == str(from_file.value)
    assert "more than the limit of 1 000" in str(from_bytes.value)


def test_every_limit_names_its_variable():
    for name, lim in LIMITS.items():
        assert lim.env.startswith("COORDGEO_MAX_") and lim.default >= 1, name
        with pytest.raises(InputError) as info:
            lim.check(lim.default + 1)
        assert lim.env in str(info.value) and f"{lim.default + 1:,}".replace(",", " ") in str(
            info.value
        )
        lim.check(lim.default)  # at the limit is allowed


# --- options and bounds on work -------------------------------------------------------------


@pytest.mark.parametrize("value", ["30", "inf", "-inf", "nan", "1e308", "-5", "1.51", "-1.01"])
def test_tolerance_outside_the_range_is_refused(corpus, value):
    for command in ("bonds", "sphere", "hbonds", "graph"):
        args = [command, corpus["cif:base"].path, "--tolerance", value]
        if command == "graph":
            args += ["--out", corpus["cif:base"].path.with_name("tol.graphml")]
        result, _ = run(*args)
        assert result.exit_code == 2, (command, value, result.output)
        assert "--tolerance" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_tolerance_range_ends_are_allowed():
    lo, hi = TOLERANCE_RANGE
    assert (lo, hi) == (-1.0, 1.5)
    assert validate_tolerance(lo) == lo and validate_tolerance(hi) == hi
    assert validate_tolerance("0.45") == 0.45


def test_neighbour_search_bounds(monkeypatch, corpus):
    (structure,) = read_cif(corpus["cif:base"].path)
    check_work_bounds(structure, 4.0)
    # 11 sites × 2 operators = 22 atoms in 512 Å³; to 4 Å: 11 × 22/512 × 4π/3 × 5³ = 247.48
    monkeypatch.setenv("COORDGEO_MAX_SEARCH_ATOMS", "247")
    with pytest.raises(InputError, match=r"247\.5 atoms in the neighbour-search volume"):
        check_work_bounds(structure, 4.0)
    monkeypatch.setenv("COORDGEO_MAX_SEARCH_ATOMS", "248")
    check_work_bounds(structure, 4.0)
    monkeypatch.setenv("COORDGEO_MAX_CELL_ATOMS", "21")
    with pytest.raises(InputError, match="22 atoms in the unit cell"):
        check_work_bounds(structure, 4.0)
    with pytest.raises(InputError, match="not a finite distance"):
        check_work_bounds(structure, float("nan"))


def test_a_big_cell_is_searched_not_refused(corpus):
    # 11 atoms in a 5000 Å cube: the cell list grows with the cell (10⁶ cells of 500 Å,
    # not 2·10⁹ of 4 Å) and the bonds are those of the base scaled: none (Fe–O 1300 Å)
    result, seconds = run("bonds", corpus["cif:cell_5000"].path, "-f", "csv", limit=20)
    assert result.exit_code == 0 and seconds < 10
    assert pd.read_csv(io.StringIO(result.stdout)).empty


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--radiation", "0.01", "not an X-ray wavelength"),
        ("--radiation", "-1", "not an X-ray wavelength"),
        ("--radiation", "nan", "not a finite number"),
        ("--radiation", "1e308", "not an X-ray wavelength"),
        ("--step", "1e-9", "COORDGEO_MAX_PROFILE_POINTS"),
        ("--step", "0", "step"),
        ("--step", "nan", "step"),
    ],
)
def test_pxrd_options_are_bounded(corpus, option, value, message):
    result, seconds = run("pxrd", corpus["cif:base"].path, option, value, limit=20)
    assert result.exit_code == 2 and message in result.stderr, result.output
    assert seconds < 10


def test_pxrd_reflections_are_bounded(corpus):
    # a 5000 Å cube at Cu Kα to 50°: (4π/3)(1/1.82 Å)³ · 1.25·10¹¹ Å³ / 2 ≈ 4.8·10¹⁰ reflections
    result, seconds = run("pxrd", corpus["cif:cell_5000"].path, limit=20)
    assert result.exit_code == 2 and "COORDGEO_MAX_REFLECTIONS" in result.stderr
    assert seconds < 10


def test_rows_of_measured_and_table_files_are_bounded(corpus):
    base = corpus["cif:base"].path
    result, _ = run("pxrd", base, "--measured", corpus["xy:many_points"].path)
    assert result.exit_code == 2 and "COORDGEO_MAX_PATTERN_POINTS" in result.stderr
    result, _ = run("validate", corpus["table:many_rows"].path)
    assert result.exit_code == 2 and "COORDGEO_MAX_TABLE_LINES" in result.stderr


# --- names ----------------------------------------------------------------------------------


def test_safe_filename_examples():
    assert safe_filename("wp91ltb") == "wp91ltb"  # a clean name is kept as it is
    assert safe_filename("Fe_qsal-I.2") == "Fe_qsal-I.2"
    for text in ("../../etc/passwd", "a/b", "..", ".", "", "<script>", "con", "x" * 300):
        name = safe_filename(text)
        assert "/" not in name and ".." not in name and not name.startswith(".")
        assert 0 < len(name) <= 80 and name == safe_filename(text)  # stable
    # two texts that clean to the same characters stay apart by their hash
    assert safe_filename("a/b") != safe_filename("a b") != safe_filename("a_b")
    assert safe_filename("a/b").startswith("a_b-") and len(safe_filename("a/b")) == 12
    assert safe_filename("données").startswith("donnees-")
    assert len(safe_filename("x" * 300, max_len=40)) == 40


@settings(max_examples=200, derandomize=True, deadline=None)
@given(text=st.text(max_size=400), max_len=st.integers(16, 120))
def test_safe_filename_properties(text, max_len):
    name = safe_filename(text, max_len=max_len)
    assert 0 < len(name) <= max_len
    assert "/" not in name and "\\" not in name and "\0" not in name and ".." not in name
    assert not name.startswith(".") and name.isascii()
    assert name == safe_filename(text, max_len=max_len)
    if name == text:  # unchanged only when already safe
        assert all(ch.isalnum() or ch in "._+-" for ch in text)


# --- property tests: mutated CIFs -----------------------------------------------------------

STEPS = st.lists(
    st.tuples(st.sampled_from(mutations()), st.integers(0, 2**31 - 1)), min_size=1, max_size=4
)


def _small_bases() -> dict[str, str]:
    return {"fe_aqua": FE_AQUA, "c2c": C2C}


@pytest.fixture(scope="module")
def shared_texts(shared: Path) -> dict[str, str]:
    """A few shared CIFs: the three-temperature qsal CIF, a Co chain with a legend, a
    structure with disorder."""
    names = {
        "qsal": "cifs/spin-crossover/Fe_qsal-I_2_OTf_MeOH_163K_293K_230K.cif",
        "co_chain": "cifs/published/7051424.cif",
        "disorder": "cifs/published/7000165-disorder.cif",
    }
    return {k: (shared / rel).read_bytes().decode("utf-8", "replace") for k, rel in names.items()}


def _check_mutant(text: str, command: str, folder: Path, table: Path) -> None:
    path = folder / f"mutant_{abs(hash((text, command))) % 10**12}.cif"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    out = folder / (path.stem + "_out")
    out.mkdir(exist_ok=True)
    result, seconds = run(*command_args(command, path, table, out))
    problems = problems_of(result, seconds, f"{command} on a mutant")
    assert not problems, "\n".join(problems) + f"\n--- input ---\n{text[:3000]}"


@settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(base=st.sampled_from(sorted(_small_bases())), steps=STEPS, command=st.sampled_from(COMMANDS))
def test_mutated_small_cifs(base, steps, command, tmp_path_factory, table):
    folder = tmp_path_factory.mktemp("mutants", numbered=True)
    _check_mutant(mutate(_small_bases()[base], steps), command, folder, table)


@settings(
    max_examples=8,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    base=st.sampled_from(["qsal", "co_chain", "disorder"]),
    steps=STEPS,
    command=st.sampled_from(("bonds", "check", "sphere")),
)
def test_mutated_shared_cifs(base, steps, command, tmp_path_factory, table, shared_texts):
    folder = tmp_path_factory.mktemp("shared_mutants", numbered=True)
    _check_mutant(mutate(shared_texts[base], steps), command, folder, table)


@pytest.mark.slow
@settings(
    max_examples=400,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    base=st.sampled_from(["fe_aqua", "c2c", "qsal", "co_chain", "disorder"]),
    steps=STEPS,
    command=st.sampled_from(COMMANDS),
)
def test_mutated_cifs_long_run(base, steps, command, tmp_path_factory, table, shared_texts):
    texts = {**_small_bases(), **shared_texts}
    folder = tmp_path_factory.mktemp("long_mutants", numbered=True)
    _check_mutant(mutate(texts[base], steps), command, folder, table)


def test_read_text_never_blocks_on_a_fifo(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with time_limit(5), pytest.raises(InputError, match="named pipe"):
        read_text(fifo, what="SI table")
