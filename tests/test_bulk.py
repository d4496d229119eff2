"""coordgeo bulk: many CIFs to one dataset, nothing lost, resumable, the same on Dask.

Inputs are built in ``tmp_path`` from ``../shared`` files (copied there, never into the
repository). Expected statuses come from what the reader itself reports for each file
(:func:`coordgeo.io.cif.read_cif_blocks`), and expected values from the analysis
functions called directly: bulk must add nothing of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from coordgeo import bulk, spin
from coordgeo.bulk import analyse, engines
from coordgeo.bulk.schema import storable
from coordgeo.cli.app import app
from coordgeo.coordination import coordination_spheres
from coordgeo.errors import InputError
from coordgeo.io.cif import read_cif_blocks
from coordgeo.polyhedra import site_parameters
from coordgeo.shape import shape_labels

# small published CIFs with metal sites (and H-bonds), quick to analyse
PUBLISHED = [
    "1101073-r-factor.cif",
    "2008199-decomposition.cif",
    "1100974-wr-factor.cif",
    "4302333-Ortho-and-missing-braces.cif",
]
VOLATILE = ["seconds", "finished", "run", "worker"]  # differ from run to run


def reader_status(path: Path) -> str:
    """What the reader says of a file: ok, partial (some blocks fail) or error."""
    try:
        results = read_cif_blocks(path)
    except InputError:
        return "error"
    bad = sum(isinstance(r, InputError) for r in results)
    return "ok" if bad == 0 else ("error" if bad == len(results) else "partial")


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """A table without the run-dependent columns, in a canonical row order."""
    frame = frame.drop(columns=[c for c in VOLATILE if c in frame.columns])
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


@pytest.fixture
def mixed(tmp_path: Path, shared: Path, qsal_cif: Path) -> dict[str, str | None]:
    """A folder of everything a collection can hold; {path: expected status} (None: decide
    from the reader)."""
    root = tmp_path / "in"
    sub = root / "sub" / "deeper"
    sub.mkdir(parents=True)
    expected: dict[str, str | None] = {}

    def put(target: Path, source: Path | None = None, data: bytes | None = None, status=None):
        if source is not None:
            shutil.copyfile(source, target)
        elif data is not None:
            target.write_bytes(data)
        expected[str(target)] = status
        return target

    for f in sorted((shared / "cifs" / "malformed").glob("*.cif")):
        put(root / f.name, f)
    for name in PUBLISHED[:2]:
        put(root / name, shared / "cifs" / "published" / name)
    put(sub / PUBLISHED[2], shared / "cifs" / "published" / PUBLISHED[2])
    put(root / "Fé-ü_ñame.cif", shared / "cifs" / "published" / PUBLISHED[3])  # non-ASCII
    put(root / "qsal.cif", qsal_cif, status="ok")  # three blocks, all readable
    text = qsal_cif.read_text(encoding="utf-8").replace(
        "_cell_length_a                   11.7726(4)", "_cell_length_a                   ?"
    )
    put(root / "qsal-one-block-broken.cif", data=text.encode(), status="partial")
    put(root / "empty.cif", data=b"", status="error")
    put(root / "binary.cif", data=bytes(range(256)) * 40, status="error")
    put(root / "blank.cif", data=b"\n   \n", status="error")
    (root / "not-a-cif.txt").write_text("ignored: not *.cif")  # not an input
    (root / "folder.cif").mkdir()  # a folder named like a file: walked, not an input
    put(root / "folder.cif" / "inner.CIF", shared / "cifs" / "published" / PUBLISHED[0])
    os.mkfifo(root / "pipe.cif")  # must be recorded without being read (it would block)
    expected[str(root / "pipe.cif")] = "error"
    (root / "gone.cif").symlink_to(root / "no-such-file.cif")  # dangling link
    expected[str(root / "gone.cif")] = "error"
    undecodable = os.fsencode(str(root)) + b"/latin1-\xe9.cif"  # not UTF-8
    with open(undecodable, "wb") as handle:
        handle.write((shared / "cifs" / "published" / PUBLISHED[1]).read_bytes())
    expected[os.fsdecode(undecodable)] = None
    for path, status in expected.items():
        if status is None:
            expected[path] = reader_status(Path(path))
    return expected


def test_mixed_folder_one_row_per_input_nothing_lost(mixed, tmp_path):
    root = tmp_path / "in"
    listing = tmp_path / "list.txt"
    listing.write_text(f"{root / 'sub'}\n")  # a folder listed as a file
    summary = bulk.run(
        [root, tmp_path / "nothing-*.cif"],
        tmp_path / "out",
        jobs=1,
        files_from=listing,
        progress=False,
    )
    files = bulk.load(tmp_path / "out", "files")
    extra = {str(tmp_path / "nothing-*.cif"), str(root / "sub")}
    assert len(files) == len(mixed) + len(extra) == summary.files
    assert not files["path"].duplicated().any()
    got = dict(zip(files["path"], files["status"], strict=True))
    for path in extra:
        assert got.pop(path) == "error"
    by_path = {storable(p): status for p, status in mixed.items()}
    assert got == by_path
    by_name = files.assign(name=files["path"].map(lambda p: Path(p).name)).set_index("name")
    assert "empty" in by_name.loc["empty.cif", "error"]
    assert "binary" in by_name.loc["binary.cif", "error"]
    assert "regular file" in by_name.loc["pipe.cif", "error"]
    assert by_name.loc["gone.cif", "error_type"] == "FileNotFoundError"
    assert by_name.loc["sub", "error_type"] == "IsADirectoryError"
    assert "syntax" in by_name.loc["2009397-syntax-error.cif", "error"]
    assert by_name.loc["qsal.cif", "n_blocks"] == 3
    broken = by_name.loc["qsal-one-block-broken.cif"]
    assert (broken["n_blocks"], broken["n_blocks_ok"]) == (3, 2)
    assert "wp91-rt2" in broken["error"] and "_cell_length_a" in broken["error"]
    # every file that could be read has its content hash; the others have none
    readable = files["status"] != "error"
    assert files.loc[readable, "sha256"].str.fullmatch("[0-9a-f]{64}").all()
    assert (summary.ok, summary.partial, summary.error) == tuple(
        (files["status"] == s).sum() for s in ("ok", "partial", "error")
    )
    # blocks: one row per block the reader returned, the broken one as an error
    blocks = bulk.load(tmp_path / "out", "blocks")
    qsal_blocks = blocks[blocks["path"] == str(root / "qsal-one-block-broken.cif")]
    assert dict(zip(qsal_blocks["block"], qsal_blocks["status"], strict=True)) == {
        "wp91ltb": "ok",
        "wp91-rt2": "error",
        "wp91-mt2": "ok",
    }
    # every table joins on (path, sha256) to an ok/partial file
    good = set(zip(files["path"], files["sha256"], strict=True))
    for table in ("blocks", "sites", "bonds", "hbonds"):
        frame = bulk.load(tmp_path / "out", table)
        assert set(zip(frame["path"], frame["sha256"], strict=True)) <= good, table


def test_unexpected_exceptions_are_recorded_and_the_run_goes_on(tmp_path, shared, monkeypatch):
    import coordgeo.io.cif as cif

    folder = tmp_path / "in"
    folder.mkdir()
    for name in PUBLISHED[:3]:
        shutil.copyfile(shared / "cifs" / "published" / name, folder / name)
    import coordgeo.pipeline as pipeline

    real_read, real_spheres = cif.read_cif_blocks, pipeline.coordination_spheres

    def read(path, data=None):  # the whole analysis of one file crashes
        if Path(path).name == PUBLISHED[0]:
            raise ZeroDivisionError("boom in the reader")
        return real_read(path, data)

    def spheres(structure, tolerance, **kw):  # one block's analysis crashes
        if Path(structure.path).name == PUBLISHED[1]:
            raise KeyError("boom in the spheres")
        return real_spheres(structure, tolerance, **kw)

    monkeypatch.setattr(cif, "read_cif_blocks", read)
    monkeypatch.setattr(pipeline, "coordination_spheres", spheres)  # the one analysis
    bulk.run([folder], tmp_path / "out", jobs=1, progress=False)
    files = bulk.load(tmp_path / "out", "files")
    files.index = files["path"].map(lambda p: Path(p).name)
    assert files.loc[PUBLISHED[0], "status"] == "error"
    assert files.loc[PUBLISHED[0], "error_type"] == "ZeroDivisionError"
    assert "boom in the reader" in files.loc[PUBLISHED[0], "error"]
    assert files.loc[PUBLISHED[1], "status"] == "error"  # its only block failed
    assert "KeyError" in files.loc[PUBLISHED[1], "error"]
    assert files.loc[PUBLISHED[2], "status"] == "ok"
    sites = bulk.load(tmp_path / "out", "sites")
    assert set(sites["path"].map(lambda p: Path(p).name)) == {PUBLISHED[2]}


def test_timeout_makes_an_error_row(tmp_path, shared, monkeypatch):
    source = shared / "cifs" / "published" / PUBLISHED[0]

    def slow(structure, tolerance, **kw):
        time.sleep(5)

    import coordgeo.pipeline as pipeline

    monkeypatch.setattr(pipeline, "coordination_spheres", slow)
    t0 = time.perf_counter()
    bulk.run([source], tmp_path / "out", jobs=1, timeout=0.3, progress=False)
    assert time.perf_counter() - t0 < 4
    row = bulk.load(tmp_path / "out", "files").iloc[0]
    assert row["status"] == "error" and "longer than 0.3 s" in row["error"]


def test_sites_are_site_parameters_and_spin_unchanged(qsal_cif, tmp_path):
    bulk.run([qsal_cif], tmp_path / "out", jobs=1, progress=False)
    sites = bulk.load(tmp_path / "out", "sites")
    expected = []
    for s in read_cif_blocks(qsal_cif):
        spheres = coordination_spheres(s)
        table = site_parameters(s, spheres, shapes=bulk.BULK_SHAPES)
        expected.append(spin.with_spin_columns(table, spin.assign(s, table, spheres)))
        assert (sites.loc[sites["block"] == s.block, "temperature"] == s.temperature).all()
    expected = pd.concat(expected, ignore_index=True)
    assert set(expected.columns) <= set(sites.columns)
    got = sites[list(expected.columns)]
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert list(sites["spin_state"]) == ["LS", "HS", "LS"]  # 163, 293, 230 K, as published
    assert (sites["metal_element"] == "Fe").all()
    bonds = bulk.load(tmp_path / "out", "bonds")
    assert len(bonds) == 18 and set(bonds["donor_element"]) == {"N", "O"}
    assert np.allclose(
        bonds.groupby("block")["distance"].mean().loc[list(sites["block"])], sites["d_mean"]
    )


def test_bulk_tables_are_the_pipeline_tables(qsal_cif, shared):
    """bulk stores the pipeline's site and contact columns without making DataFrames: the
    stored rows must be those of Analysis.sites and Analysis.contacts (one answer through
    every door), for structures whose sites have different coordination numbers (so each
    block has other shape columns) and contacts of every kind (the qsal π–π and C–H···π;
    4502879 has a four-coordinate Co, 1000000 H-bonds)."""
    from coordgeo.pipeline import analyse_structure

    paths = [
        str(qsal_cif),
        *(str(shared / "cifs/published" / n) for n in ("4502879.cif", "1000000.cif")),
    ]
    options = bulk.Options()
    out = analyse.Collected()
    for path in paths:
        assert analyse.analyse_file(path, options, out)
    tables = analyse.to_tables(out, bulk.schemas(options.shapes))
    for table, attribute in (("sites", "sites"), ("contacts", "contacts")):
        expected = pd.concat(
            [
                getattr(analyse_structure(s, options.analysis), attribute)
                for path in paths
                for s in read_cif_blocks(path)
            ],
            ignore_index=True,
        )
        got = tables[table].to_pandas()
        assert len(got) == len(expected) > 0, table
        columns = [c for c in expected.columns if c in got.columns]
        assert len(columns) >= 40, table
        for c in columns:
            want = expected[c]
            if want.dtype.kind in "fiu":
                assert np.allclose(
                    got[c].to_numpy(float), want.to_numpy(float), equal_nan=True, rtol=0, atol=0
                ), c
            else:
                assert [None if pd.isna(v) else v for v in got[c]] == [
                    None if pd.isna(v) else v for v in want
                ], (table, c)


def test_schema_holds_every_column_of_the_site_table(qsal_cif, shared):
    # bulk stores what `coordgeo octahedra` shows: τ4 of a four-coordinate Co (4502879),
    # the spin notes and BVS, not only the site parameters
    from coordgeo.pipeline import analyse_structure

    options = bulk.Options()
    names = set(bulk.schemas(options.shapes)["sites"].names)
    for path in (qsal_cif, shared / "cifs/published/4502879.cif"):
        for s in read_cif_blocks(path):
            columns = set(analyse_structure(s, options.analysis).sites.columns)
            assert columns - names == {"element"}  # stored as metal_element
    out = analyse.Collected()
    assert analyse.analyse_file(str(shared / "cifs/published/4502879.cif"), options, out)
    sites = analyse.to_tables(out, bulk.schemas(options.shapes))["sites"].to_pandas()
    assert sites["tau4"].notna().any() and sites["tau4_su"].notna().any()


def test_schema_holds_every_column_of_site_parameters(qsal_cif):
    s = read_cif_blocks(qsal_cif)[0]
    for shapes in (bulk.BULK_SHAPES, "all"):
        wanted = shape_labels() if shapes == "all" else shapes
        table = site_parameters(s, coordination_spheres(s), shapes=shapes)
        assert set(table.columns) <= set(bulk.schemas(wanted)["sites"].names)


def published_folder(tmp_path: Path, shared: Path, n_copies: int = 2) -> Path:
    """A few small published CIFs, each under several names: enough files for parts."""
    folder = tmp_path / "in"
    folder.mkdir()
    for k in range(n_copies):
        for name in PUBLISHED:
            shutil.copyfile(shared / "cifs" / "published" / name, folder / f"{k}-{name}")
    return folder


def test_resume_after_a_partial_run_recomputes_nothing(tmp_path, shared):
    folder = published_folder(tmp_path, shared)
    files = sorted(folder.glob("*.cif"))
    first = bulk.run(files[:3], tmp_path / "out", jobs=1, part_size=2, progress=False)
    done = bulk.load(tmp_path / "out", "files")
    with pytest.raises(InputError, match="resume"):
        bulk.run([folder], tmp_path / "out", jobs=1, progress=False)
    second = bulk.run([folder], tmp_path / "out", jobs=1, resume=True, progress=False)
    assert (second.skipped, second.analysed) == (3, len(files) - 3)
    after = bulk.load(tmp_path / "out", "files")
    assert len(after) == len(files) and not after["path"].duplicated().any()
    kept = after.set_index("path").loc[done["path"]]
    assert (kept["run"] == first.run).all()  # not recomputed: the first run's records
    assert (kept["finished"].to_numpy() == done.set_index("path")["finished"].to_numpy()).all()
    clean = bulk.run([folder], tmp_path / "clean", jobs=1, progress=False)
    assert clean.files == len(files)
    for table in bulk.TABLES:
        pd.testing.assert_frame_equal(
            comparable(bulk.load(tmp_path / "out", table)),
            comparable(bulk.load(tmp_path / "clean", table)),
        )
    # nothing left to do
    third = bulk.run([folder], tmp_path / "out", jobs=1, resume=True, progress=False)
    assert (third.skipped, third.analysed, third.parts) == (len(files), 0, 0)


def test_resume_of_a_dataset_with_other_columns_is_refused(tmp_path, qsal_cif):
    # a dataset written before the sites table held τ4 & co.: Parquet readers take one
    # part's schema for the table, so mixing them would silently drop columns
    import pyarrow.parquet as pq

    bulk.run([qsal_cif], tmp_path / "out", jobs=1, progress=False)
    part = sorted((tmp_path / "out" / "sites").glob("*.parquet"))[0]
    old = pq.read_table(part)
    pq.write_table(old.drop_columns(["tau4", "tau4_su"]), part)
    with pytest.raises(InputError, match=r"another version of coordgeo bulk.*no column tau4"):
        bulk.run([qsal_cif], tmp_path / "out", jobs=1, resume=True, progress=False)
    result = CliRunner().invoke(
        app, ["bulk", str(qsal_cif), "--out", str(tmp_path / "out"), "--resume"]
    )
    assert result.exit_code == 2 and "another version" in result.output


def test_resume_after_a_killed_run(tmp_path, shared):
    folder = published_folder(tmp_path, shared, n_copies=3)
    files = sorted(folder.glob("*.cif"))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "coordgeo", "bulk", str(folder), "--out", str(out),
               "--jobs", "1", "--part-size", "2", "--quiet"]  # fmt: skip
    process = subprocess.Popen(command, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill it once two parts are committed
        parts = list((out / "files").glob("part-*.parquet")) if (out / "files").is_dir() else []
        if len(parts) >= 2 or process.poll() is not None:
            break
        time.sleep(0.02)
    process.kill()
    process.wait()
    before = bulk.load(out, "files")
    assert 0 < len(before) < len(files), "the run should have been stopped half-way"
    # what a kill in the middle of writing a batch leaves: a temporary and orphan parts
    (out / "sites" / ".part-000099.parquet.123.tmp").write_bytes(b"partial")
    shutil.copyfile(
        next((out / "sites").glob("part-*.parquet")), out / "sites" / "part-000099.parquet"
    )
    summary = bulk.run([folder], out, jobs=1, resume=True, progress=False)
    assert summary.skipped == len(before) and summary.analysed == len(files) - len(before)
    assert not (out / "sites" / "part-000099.parquet").exists()
    assert not list(out.rglob("*.tmp"))
    after = bulk.load(out, "files").set_index("path")
    assert len(after) == len(files)
    first_run = before.set_index("path")
    assert (after.loc[first_run.index, "run"] == first_run["run"]).all()  # not recomputed
    clean = tmp_path / "clean"
    bulk.run([folder], clean, jobs=1, progress=False)
    for table in bulk.TABLES:
        pd.testing.assert_frame_equal(
            comparable(bulk.load(out, table)), comparable(bulk.load(clean, table))
        )


def test_changed_file_is_redone_and_only_its_latest_record_read(tmp_path, shared):
    folder = published_folder(tmp_path, shared, n_copies=1)
    target = folder / f"0-{PUBLISHED[0]}"
    bulk.run([folder], tmp_path / "out", jobs=1, progress=False)
    target.write_bytes((shared / "cifs" / "published" / PUBLISHED[2]).read_bytes())
    again = bulk.run([folder], tmp_path / "out", jobs=1, resume=True, progress=False)
    assert (again.analysed, again.skipped) == (1, len(PUBLISHED) - 1)
    files = bulk.load(tmp_path / "out", "files")
    assert len(files) == len(PUBLISHED)
    sha = files.set_index("path").loc[str(target), "sha256"]
    sites = bulk.load(tmp_path / "out", "sites")
    assert set(sites.loc[sites["path"] == str(target), "sha256"]) == {sha}
    raw = pq.read_table(tmp_path / "out" / "files").num_rows
    assert raw == len(PUBLISHED) + 1  # the old record stays on disk, superseded


def test_dask_engine_gives_the_same_tables(mixed, tmp_path):
    from dask.distributed import Client, LocalCluster

    root = tmp_path / "in"
    local = bulk.run([root], tmp_path / "local", jobs=1, progress=False)
    with (
        # worker processes of their own, talking TCP on loopback, as on a real cluster
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        on_dask = bulk.run(
            [root], tmp_path / "dask", engine="dask", scheduler=cluster.scheduler_address,
            progress=False,
        )  # fmt: skip
        sent = bulk.run(
            [root], tmp_path / "sent", engine="dask", scheduler=client, send_bytes=True,
            progress=False,
        )  # fmt: skip
    assert local.files == on_dask.files == sent.files == len(mixed)
    for table in bulk.TABLES:
        reference = comparable(bulk.load(tmp_path / "local", table))
        for other in ("dask", "sent"):
            frame = comparable(bulk.load(tmp_path / other, table))
            pd.testing.assert_frame_equal(frame, reference, obj=f"{other} {table}")


def test_process_pool_gives_the_same_tables_and_survives_a_dying_worker(
    tmp_path, shared, monkeypatch
):
    import multiprocessing

    folder = published_folder(tmp_path, shared, n_copies=1)
    serial = bulk.run([folder], tmp_path / "serial", jobs=1, progress=False)
    pooled = bulk.run([folder], tmp_path / "pool", jobs=2, task_size=1, progress=False)
    assert serial.files == pooled.files == len(PUBLISHED)
    for table in bulk.TABLES:
        pd.testing.assert_frame_equal(
            comparable(bulk.load(tmp_path / "pool", table)),
            comparable(bulk.load(tmp_path / "serial", table)),
        )
    # a file that kills its worker (segfault, out of memory): simulated with os._exit in
    # forked workers, which inherit this monkeypatch
    victim = str(folder / f"0-{PUBLISHED[1]}")
    real = analyse.analyse_file

    def dying(path, options, out, task=None):
        if path == victim:
            os._exit(1)
        return real(path, options, out, task)

    monkeypatch.setattr(analyse, "analyse_file", dying)
    monkeypatch.setattr(engines, "pool_context", lambda: multiprocessing.get_context("fork"))
    bulk.run([folder], tmp_path / "crash", jobs=2, task_size=2, progress=False)
    files = bulk.load(tmp_path / "crash", "files").set_index("path")
    assert len(files) == len(PUBLISHED)
    assert files.loc[victim, "error_type"] == "WorkerCrash"
    assert (files.drop(index=victim)["status"] == "ok").all()


def test_cli_writes_parquet_and_csv_and_query_finds_the_sites(tmp_path, qsal_cif, shared):
    runner = CliRunner()
    out = tmp_path / "out"
    inputs = [str(qsal_cif), str(shared / "cifs" / "published" / PUBLISHED[3])]
    result = runner.invoke(
        app, ["bulk", *inputs, "--out", str(out), "--format", "csv", "--jobs", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "2 files" in result.stderr
    for table in bulk.TABLES:
        parquet = pd.read_parquet(out / table)
        csv = pd.read_csv(out / f"{table}.csv")
        assert len(parquet) == len(csv), table
    assert len(pd.read_csv(out / "files.csv")) == 2
    # Fe N4O2 sites with 1.93 ≤ ⟨Fe–L⟩ ≤ 1.95 Å: the two low-spin structures of qsal
    expected = []
    for s in read_cif_blocks(qsal_cif):
        table = site_parameters(s, coordination_spheres(s), shapes=("OC-6", "TPR-6"))
        expected += list(table.loc[table["d_mean"].between(1.93, 1.95), "block"])
    assert sorted(expected) == ["wp91-mt2", "wp91ltb"]
    found = bulk.query(out, metal="Fe", donors="N4O2", d_mean=(1.93, 1.95))
    assert sorted(found["block"]) == sorted(expected)
    assert len(bulk.query(out, donors="N6")) == 1  # the Co N6 site of the other file
    plot = tmp_path / "sigma.png"
    result = runner.invoke(
        app,
        ["query", str(out), "--metal", "Fe", "--donors", "N4O2", "--d-mean", "1.93,1.95",
         "--format", "csv", "--plot", str(plot)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = pd.read_csv(pd.io.common.StringIO(result.stdout))
    assert sorted(rows["block"]) == sorted(expected)
    assert plot.stat().st_size > 1000 and plot.read_bytes()[:4] == b"\x89PNG"
    result = runner.invoke(app, ["query", str(out), "--d-mean", "two"])
    assert result.exit_code == 2 and "--d-mean wants LOW,HIGH" in result.output


def test_progress_is_log_lines_when_not_a_terminal(tmp_path, shared, capsys):
    folder = published_folder(tmp_path, shared, n_copies=1)
    bulk.run([folder], tmp_path / "out", jobs=1)
    err = capsys.readouterr().err
    assert f"coordgeo bulk: {len(PUBLISHED)}/{len(PUBLISHED)} files (100.0 %)" in err
    assert "files/s" in err and "\x1b[" not in err  # no terminal control codes


def test_bad_dataset_folders_and_lists_exit_2_with_one_line(tmp_path, qsal_cif):
    runner = CliRunner()
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("x")
    damaged = tmp_path / "damaged"
    (damaged / "sites").mkdir(parents=True)
    (damaged / "sites" / "part-000000.parquet").write_bytes(b"junk")
    good = tmp_path / "good"
    bulk.run([qsal_cif], good, jobs=1, progress=False)
    cases = [
        (["bulk", str(qsal_cif), "--out", str(not_a_folder)], str(not_a_folder)),
        (["bulk", "--files-from", str(tmp_path / "no-list.txt"), "--out", str(tmp_path / "o")],
         "no-list.txt"),
        (["query", str(damaged)], str(damaged)),
        (["query", str(good), "--columns", "d_mean,nosuch"], "no column nosuch"),
    ]  # fmt: skip
    for args, named in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and named in lines[0], (args, lines)
        assert "Traceback" not in result.output
    (good / "_bulk.json").write_text("{broken")
    result = runner.invoke(app, ["bulk", str(qsal_cif), "--out", str(good), "--resume"])
    assert result.exit_code == 2 and str(good) in result.stderr


def test_parts_are_written_on_time_while_the_run_waits(tmp_path, qsal_cif):
    """A finished batch waits at most ``flush_seconds`` for its part, also when no other
    result comes (the run calls flush_if_due while it waits on a slow file)."""
    from coordgeo.bulk.dataset import PartWriter, prepare_out
    from coordgeo.bulk.schema import Options, Task, schemas

    options = Options(run="t")
    out = tmp_path / "out"
    first, _ = prepare_out(out, options, resume=False)
    tables = analyse.analyse_batch([Task(str(qsal_cif))], options)
    writer = PartWriter(out, schemas(options.shapes), first, part_size=1000, flush_seconds=0.3)
    writer.add(tables)
    writer.flush_if_due()
    assert not list((out / "files").glob("part-*.parquet"))  # not yet due
    time.sleep(0.35)
    writer.flush_if_due()
    assert [p.name for p in (out / "files").glob("part-*.parquet")] == ["part-000000.parquet"]
    assert bulk.load(out, "files")["path"].tolist() == [str(qsal_cif)]


def test_a_part_is_written_once_its_tables_hold_part_bytes(tmp_path, qsal_cif, monkeypatch):
    """The run's buffer is bounded in bytes too, not only in files: with the limit at the
    tables of two batches (their Arrow bytes, summed by hand here), the second batch
    writes the part, long before ``part_size`` files or ``flush_seconds``; nothing is lost."""
    from coordgeo.bulk import dataset
    from coordgeo.bulk.dataset import PartWriter, prepare_out
    from coordgeo.bulk.schema import TABLES, Options, Task, schemas

    options = Options(run="t")
    out = tmp_path / "out"
    first, _ = prepare_out(out, options, resume=False)
    tables = analyse.analyse_batch([Task(str(qsal_cif))], options)
    one_batch = sum(tables[name].nbytes for name in TABLES if tables[name].num_rows)
    monkeypatch.setattr(dataset, "PART_BYTES", 2 * one_batch)
    writer = PartWriter(out, schemas(options.shapes), first, part_size=1000, flush_seconds=600)
    writer.add(tables)
    assert not list((out / "files").glob("part-*.parquet"))  # one batch: below the limit
    writer.add(tables)
    assert [p.name for p in (out / "files").glob("part-*.parquet")] == ["part-000000.parquet"]
    assert bulk.load(out, "files")["path"].tolist() == [str(qsal_cif)] * 2
    assert len(bulk.load(out, "bonds")) == 2 * tables["bonds"].num_rows > 0


def test_without_posix_pipes_the_local_engine_runs_in_this_process(
    qsal_cif, tmp_path, monkeypatch, capsys
):
    """Where the pool's pipes cannot work (Windows: handles, not selectable descriptors)
    ``jobs=2`` analyses in the run's own process, says so in one line, and loses nothing:
    the tables equal those of a ``jobs=1`` run; without ``jobs`` (every core) it says
    nothing."""
    from coordgeo.bulk import runner

    def no_pool(*args, **kwargs):
        raise AssertionError("a pool was started")

    bulk.run([qsal_cif], tmp_path / "one", jobs=1, progress=False)
    monkeypatch.setattr(runner, "LOCAL_POOL_WORKS", False)
    monkeypatch.setattr(runner, "Pool", no_pool)
    capsys.readouterr()
    bulk.run([qsal_cif], tmp_path / "two", jobs=2, progress=False)
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "coordgeo: warning: local worker processes need Linux or macOS; analysing "
        "in this process (--engine dask runs workers here)"
    ]
    bulk.run([qsal_cif], tmp_path / "default", progress=False)  # every core: not asked
    assert capsys.readouterr().err == ""
    for table in ("sites", "bonds"):
        pd.testing.assert_frame_equal(
            bulk.load(tmp_path / "one", table).drop(columns=["run"], errors="ignore"),
            bulk.load(tmp_path / "two", table).drop(columns=["run"], errors="ignore"),
        )


def test_a_batch_evaluates_its_sites_together_with_the_values_of_each_file_alone(shared):
    # a worker evaluates the sites of all the files of its task in one stacked call per
    # coordination number (Collected(batched=True), at to_tables); every table must be what
    # the files give one at a time: several octahedra per structure (1101169, bs5068),
    # seven- to nine-coordinate sites with the pairing search (7114517, 4320780)
    names = ["1101169.cif", "bs5068.cif", "7114517.cif", "4320780-negative-value.cif",
             "2000507.cif", *PUBLISHED]  # fmt: skip
    paths = [str(shared / "cifs/published" / n) for n in names]
    options = bulk.Options()
    alone, together = analyse.Collected(), analyse.Collected(batched=True)
    for path in paths:
        assert analyse.analyse_file(path, options, alone)
        assert analyse.analyse_file(path, options, together)
    assert not alone.pending and len(together.pending) == len(paths)  # sites still to do
    assert together.frames["sites"] == [] and alone.frames["sites"]
    one = analyse.to_tables(alone, bulk.schemas(options.shapes))
    batch = analyse.to_tables(together, bulk.schemas(options.shapes))
    assert not together.pending
    assert len(batch["sites"]) >= 50
    for name in one:
        a, b = one[name], batch[name]
        if name == "files":
            a, b = a.drop_columns(VOLATILE), b.drop_columns(VOLATILE)
        assert a.equals(b), name


def test_a_file_whose_sites_fail_in_a_batch_gets_its_partial_row_alone(shared, monkeypatch):
    # the stacked call of a batch fails because of one structure: each file is then
    # evaluated on its own, so the culprit gets the partial row (with its "sites:" problem)
    # it gets when analysed alone and the other files' sites are all there
    from coordgeo import polyhedra

    paths = [str(shared / "cifs/published" / n) for n in PUBLISHED]
    victim = read_cif_blocks(paths[1])[0].block
    assert all(s.block != victim for p in paths if p != paths[1] for s in read_cif_blocks(p))
    real = polyhedra.site_columns_of

    def failing(jobs, *args, **kwargs):
        if any(s.block == victim for s, _ in jobs):
            raise RuntimeError("a site that cannot be measured")
        return real(jobs, *args, **kwargs)

    monkeypatch.setattr(polyhedra, "site_columns_of", failing)
    options = bulk.Options()
    schema = bulk.schemas(options.shapes)
    tables = {}
    for batched in (False, True):
        out = analyse.Collected(batched=batched)
        for path in paths:
            analyse.analyse_file(path, options, out)
        tables[batched] = analyse.to_tables(out, schema)
    files = tables[True]["files"].to_pandas().set_index("path")
    assert files.loc[paths[1], "status"] == "partial"
    assert files.loc[paths[1], "error"].startswith(f"block {victim}: sites: RuntimeError: a site")
    assert files.loc[paths[1], "n_sites"] == 0
    assert (files.drop(index=paths[1])["status"] == "ok").all()
    sites = tables[True]["sites"].to_pandas()
    assert set(sites["path"]) == set(paths) - {paths[1]}
    assert (tables[True]["bonds"].to_pandas()["path"] == paths[1]).any()  # its other tables
    for name in tables[True]:
        a, b = tables[False][name], tables[True][name]
        if name == "files":
            a, b = a.drop_columns(VOLATILE), b.drop_columns(VOLATILE)
        assert a.equals(b), name


def _batched_and_alone(paths: list[str], options: bulk.Options) -> dict[bool, dict]:
    """The tables of ``paths`` with their sites evaluated together (batched) and alone."""
    tables = {}
    for batched in (False, True):
        out = analyse.Collected(batched=batched)
        for path in paths:
            analyse.analyse_file(path, options, out)
        tables[batched] = analyse.to_tables(out, bulk.schemas(options.shapes))
    return tables


def test_timeout_bounds_slow_sites_whatever_the_batch(shared, monkeypatch):
    # the site evaluation of one file takes 5 s (a sleep) against a 1 s --timeout: alone or
    # batched with others, it gets the same partial row (its bonds kept, no sites) within
    # its 1 s, and the files batched with it the same ok rows and sites as alone
    import coordgeo.pipeline as pipeline

    names = ["1101169.cif", "4502879.cif", "7114517.cif"]  # 22, 1, 6 spheres
    paths = [str(shared / "cifs/published" / n) for n in names]
    victim = read_cif_blocks(paths[1])[0].block
    real = pipeline.site_columns_of

    def slow(analyses):
        if any(a.structure.block == victim for a in analyses):
            time.sleep(5)
        return real(analyses)

    monkeypatch.setattr(pipeline, "site_columns_of", slow)
    options = bulk.Options(timeout=1.0)
    t0 = time.perf_counter()
    tables = _batched_and_alone(paths, options)
    assert time.perf_counter() - t0 < 6  # no 5 s sleep ran to its end
    for batched, found in tables.items():
        files = found["files"].to_pandas().set_index("path")
        assert list(files["status"]) == ["ok", "partial", "ok"], batched
        row = files.loc[paths[1]]
        assert row["error"] == f"block {victim}: sites: _Timeout: analysis took longer than 1 s"
        assert row["n_sites"] == 0 and row["n_blocks_ok"] == 1
        # its time was spent (the reading, analysis and then the sites until the alarm),
        # and not more: the alarm fires when what is left of its 1 s is spent (the old
        # retry with the same time left gave ~2 s; 0.6 s of slack for a loaded machine)
        assert 0.95 <= row["seconds"] <= 1.6, (batched, row["seconds"])
        assert set(found["sites"].to_pandas()["path"]) == {paths[0], paths[2]}
        assert (found["bonds"].to_pandas()["path"] == paths[1]).sum() == 4  # CN-4 Co
    for name in tables[True]:
        a, b = tables[False][name], tables[True][name]
        if name == "files":
            a, b = a.drop_columns(VOLATILE), b.drop_columns(VOLATILE)
        assert a.equals(b), name


def test_seconds_charge_the_stacked_sites_by_spheres(shared, monkeypatch):
    # the stacked evaluation of a batch costs 50 ms per coordination sphere (a sleep):
    # 1101169 (22 spheres) is charged 22/23 of it, ≥ 1.05 s, and 4502879 (1 sphere) 1/23,
    # ~50 ms plus its own reading and analysis (tens of ms alone): an equal share would be
    # ~0.58 s each
    import coordgeo.pipeline as pipeline

    paths = [str(shared / "cifs/published" / n) for n in ["1101169.cif", "4502879.cif"]]
    real = pipeline.site_columns_of

    def costly(analyses):
        time.sleep(0.05 * sum(len(a.spheres) for a in analyses))
        return real(analyses)

    monkeypatch.setattr(pipeline, "site_columns_of", costly)
    files = _batched_and_alone(paths, bulk.Options())[True]["files"].to_pandas()
    seconds = files.set_index("path")["seconds"]
    assert seconds[paths[0]] >= 22 * 0.05, seconds
    assert seconds[paths[1]] < 0.45, seconds  # an equal share alone would be 0.58 s
