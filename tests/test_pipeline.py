"""One pipeline, one answer: every door gives what :func:`coordgeo.pipeline.analyse_structure`
gives, and options are checked in one place (issue 12)."""

from __future__ import annotations

import io
import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

import coordgeo
from coordgeo.cli import app
from coordgeo.errors import InputError
from coordgeo.pipeline import analyse_structure, make_options

runner = CliRunner()


def test_hbonds_facade_works_twice(qsal_cif):
    # the lazy `from coordgeo.hbonds import hbonds` used to rebind coordgeo.hbonds to the
    # submodule, so the second call raised "'module' object is not callable"
    first = coordgeo.hbonds(qsal_cif)
    second = coordgeo.hbonds(qsal_cif)
    assert callable(coordgeo.hbonds) and callable(coordgeo.check)
    pd.testing.assert_frame_equal(first, second)
    assert len(first) > 0


def test_public_namespace_is_the_api():
    public = {name for name in dir(coordgeo) if not name.startswith("_")}
    # submodules are attributes of a package once imported; everything else is in __all__
    import types

    leaked = {n for n in public if not isinstance(getattr(coordgeo, n), types.ModuleType)}
    assert leaked <= set(coordgeo.__all__), leaked - set(coordgeo.__all__)
    assert not {"pd", "Path", "Iterable"} & public


def test_octahedra_takes_every_cli_option(qsal_cif):
    wide = coordgeo.octahedra(qsal_cif, tolerance=0.45, shapes="OC-6")
    assert "cshm_oc6" in wide and "cshm_tpr6" not in wide.columns.str.fullmatch("cshm_tpr6")
    # the same through the CLI, as csv
    result = runner.invoke(
        app, ["octahedra", str(qsal_cif), "-f", "csv", "--shapes", "OC-6", "-t", "0.45"]
    )
    assert result.exit_code == 0, result.output
    cli = pd.read_csv(io.StringIO(result.stdout))
    assert list(cli["d_mean"].round(10)) == list(wide["d_mean"].round(10))


@pytest.mark.parametrize("shapes", ["OC6", "OC-6,XX-9", ""])
def test_unknown_shape_is_exit_2_everywhere(qsal_cif, tmp_path, shapes):
    with pytest.raises(InputError, match="shape"):
        make_options(shapes=shapes)
    with pytest.raises(InputError):
        coordgeo.octahedra(qsal_cif, shapes=shapes)
    result = runner.invoke(app, ["octahedra", str(qsal_cif), "--shapes", shapes])
    assert result.exit_code == 2
    assert "shape" in result.output and "Traceback" not in result.output
    result = runner.invoke(
        app, ["bulk", str(qsal_cif), "--out", str(tmp_path / "ds"), "--shapes", shapes]
    )
    assert result.exit_code == 2, result.output


@pytest.mark.parametrize("tolerance", ["30", "inf", "nan", "-5"])
def test_tolerance_out_of_range_is_exit_2(qsal_cif, tolerance):
    for command in ("bonds", "sphere", "octahedra", "hbonds"):
        result = runner.invoke(app, [command, str(qsal_cif), "-t", tolerance])
        assert result.exit_code == 2, (command, result.output)
        assert "tolerance" in result.output


def test_folder_with_upper_case_suffix_is_found_by_every_command(qsal_cif, tmp_path):
    # a folder holding only A.CIF gave an empty table and exit 0 from `coordgeo bonds d/`
    folder = tmp_path / "d"
    folder.mkdir()
    shutil.copy(qsal_cif, folder / "A.CIF")
    direct = runner.invoke(app, ["bonds", str(qsal_cif), "-f", "csv"])
    via_folder = runner.invoke(app, ["bonds", str(folder), "-f", "csv"])
    assert via_folder.exit_code == 0, via_folder.output
    assert len(via_folder.stdout.splitlines()) == len(direct.stdout.splitlines()) > 10
    from coordgeo.bulk import discover
    from coordgeo.report.site import expand_inputs

    assert [p.name for p in expand_inputs([folder])[0]] == ["A.CIF"]
    assert [p.rsplit("/", 1)[-1] for p in discover([str(folder)])[0]] == ["A.CIF"]


def test_empty_folder_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["bonds", str(tmp_path / "empty")])
    assert result.exit_code == 2
    assert "no *.cif files" in result.output


def test_analysis_is_what_the_facade_returns(qsal_cif):
    structures = coordgeo.read(qsal_cif)
    options = make_options(tolerance=0.4)
    for s, sites, hb in zip(
        structures,
        [coordgeo.octahedra(s, tolerance=0.4) for s in structures],
        [coordgeo.hbonds(s, tolerance=0.4) for s in structures],
        strict=True,
    ):
        a = analyse_structure(s, options)
        pd.testing.assert_frame_equal(a.sites, sites)
        pd.testing.assert_frame_equal(a.hbonds.reset_index(drop=True), hb)


def test_spin_evidence_uses_the_options_tolerance(shared):
    # The spin states' evidence (the formula moiety's donor charges, the whole-model check)
    # searches bonds; the pipeline gave it the default tolerance whatever its options said.
    # In bs5069's FeZprime8 block two Fe sites take their oxidation state from the chemical
    # name rather than the formula moiety when bonds are sought with a 0.9 Å tolerance
    # (found by comparing spin.evidence at 0.45 and 0.9 Å over the shared corpus).
    from coordgeo import spin

    s = next(
        b
        for b in coordgeo.read(shared / "cifs/published/bs5069-estimated-sg.cif")
        if b.block == "FeZprime8"
    )
    a = analyse_structure(s, make_options(tolerance=0.9))
    alone = spin.assign_columns(s, a.site_columns, a.spheres, tolerance=0.9)
    sources = list(a.site_columns["oxidation_state_source"])
    assert sources == list(alone["oxidation_state_source"])
    assert "chemical name" in sources


def test_structure_repr_is_short(qsal_cif):
    s = coordgeo.read(qsal_cif)[0]
    text = repr(s)
    assert len(text) < 300 and s.block in text


def test_report_uses_its_tolerance_for_hbonds_too(qsal_cif):
    # the report's structure page ran H-bonds with the default tolerance whatever it was
    # given; now it is the pipeline's answer with the same options as `coordgeo hbonds`
    from coordgeo.report.collect import structure_tables

    for tolerance in (-0.3, 0.45):
        for s in coordgeo.read(qsal_cif):
            page = structure_tables(s, tolerance=tolerance, pxrd=False)
            expected = coordgeo.hbonds(s, tolerance=tolerance)
            assert len(page.hbonds) == len(expected)
            assert list(page.hbonds["d_da"]) == list(expected["d_da"])


def _renamed_block(source, block, tmp_path):
    """``source`` with every atom label of ``block`` renamed (N1 → N1r …), as a re-refinement
    that renumbered its atoms would give: no label pairs with the other blocks."""
    import gemmi

    doc = gemmi.cif.read(str(source))
    b = doc.find_block(block)
    for item in b:
        if item.loop is None:
            continue
        for tag in item.loop.tags:
            if "label" not in tag or "symmetry" in tag or "type_symbol" in tag:
                continue
            column = b.find_values(tag)
            for i in range(len(column)):
                if column[i] not in ("?", "."):
                    column[i] = column[i] + "r"
    out = tmp_path / "renamed.cif"
    doc.write_file(str(out))
    return out


def test_series_table_pairs_a_renumbered_structure_by_graph(qsal_cif, tmp_path):
    # with the 293 K block renumbered, compare paired all 21 rows (6 Fe–L bonds, 15 cis and
    # trans angles) by graph while the report's series table gave 42 unpaired rows
    from coordgeo.compare import compare
    from coordgeo.report.collect import structure_tables
    from coordgeo.report.series import series_geometry
    from coordgeo.series import temperature_order

    renamed = _renamed_block(qsal_cif, "wp91-rt2", tmp_path)
    structures = coordgeo.read(renamed)
    assert "Fe1r" in structures[1].labels
    table = compare(structures).table
    assert len(table) == 21
    assert (table[["163 K", "230 K", "293 K"]] != "").all().all()
    ordered = [structures[k] for k in temperature_order(structures)]
    long, _ = series_geometry([structure_tables(s, pxrd=False) for s in ordered])
    assert long["key"].nunique() == 21
    assert (long.groupby("key")["header"].nunique() == 3).all()


def test_site_table_has_the_descriptors_with_sus(shared):
    # 4502879 Co1 is four-coordinate; its authors' _geom_angle loop gives the two largest
    # L–Co–L angles O2–Co1–N1 118.78(14)° and N3–Co1–N1 112.78(15)°, so by hand
    # τ4 = (360 − 118.78 − 112.78)/141 = 0.91092. The CIF's coordinates, printed to 4–5
    # decimals, reproduce the two angles to ~0.02° (their sum to 231.544°): 2e-4 in τ4 is
    # 0.028° of angle sum, a tenth of the angles' su's
    sites = coordgeo.octahedra(shared / "cifs" / "published" / "4502879.cif")
    co = sites[sites["metal"] == "Co1"].iloc[0]
    assert co["tau4"] == pytest.approx((360 - 118.78 - 112.78) / 141, abs=2e-4)
    # su: two angle su's of ~0.14° propagate to ≈ √(0.14² + 0.15²)/141 ≈ 0.0015
    assert 0.0005 < co["tau4_su"] < 0.003
    assert pd.isna(co["tau5"])  # defined for CN 5 only


def test_values_symmetry_fixes_at_zero_print_as_zero(shared):
    # Cr1 of 2218662 sits on a 3̄ site: its six Cr–O bonds are symmetry images of one, so
    # ζ = Σ|dᵢ − ⟨d⟩| and Δ are exactly 0; they were printed 0.00000000(5)
    sites = coordgeo.octahedra(shared / "cifs" / "published" / "2218662.cif")
    cr = sites[sites["metal"] == "Cr1"].iloc[0]
    assert (cr["zeta"], cr["zeta_su"], cr["Delta"], cr["Delta_su"]) == (0.0, 0.0, 0.0, 0.0)
    assert cr["Sigma"] > 1 and cr["Sigma_su"] > 0  # not every parameter vanishes there


def test_bulk_blocks_carry_the_analysis_notes(tmp_path):
    # a Ba with 14 O donors is unresolved disorder by the sphere rules (anion donors and
    # CN > 12): the pipeline names it in Analysis.notes, and bulk's blocks table must too
    from test_cli_views import ba14_cif  # tests/ is on the path (pytest's rootdir import)

    from coordgeo import bulk

    path = ba14_cif(tmp_path)
    expected = [n for a in coordgeo.analyse(path) for n in a.notes]
    assert expected and "14 donors" in expected[0]
    bulk.run([path], tmp_path / "out", jobs=1, progress=False)
    notes = " ".join(bulk.load(tmp_path / "out", "blocks")["notes"].dropna())
    assert all(n in notes for n in expected)


def test_zero_by_symmetry_prints_as_zero_in_the_table_view(shared):
    # issue 13 item 6: ζ and Δ of the Cr on a 3̄ site print "0", not "0.0000" or "0.00000(5)"
    result = runner.invoke(app, ["octahedra", str(shared / "cifs" / "published" / "2218662.cif")])
    assert result.exit_code == 0, result.output
    header, row = result.stdout.splitlines()[:2]
    cells = dict(zip(header.split(), row.split(), strict=False))
    assert cells["ζ/Å"] == "0" and cells["Δ"] == "0"
