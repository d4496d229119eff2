"""Families found running every door on published CIFs coordgeo had not seen (COD
entries of cod-tools' polymer test set: Ag₀.₂₆V₆S₈, a Cu paddle-wheel MOF, an Eu–W
octacyanotungstate chain, Ag(I) nets). Each test writes a small CIF whose expected values
are derived by hand in its comment."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from coordgeo import check
from coordgeo.cli.app import app
from coordgeo.coordination import bond_contacts, bonds, coordination_spheres
from coordgeo.errors import InputError
from coordgeo.io.cif import read_cif
from coordgeo.io.paths import discover

from cifs_for_tests import CUBIC_10, cubic_cif, write

runner = CliRunner()


# Three Ag sites and nothing else in a cubic P1 cell, a = 10 Å, so a fractional step of
# 0.01 is 0.1 Å. Ag1 (0, 0, 0) and Ag2 (0, 0, 0.1) are 1.00 Å apart with occupancies
# 0.5 + 0.5: two positions of one disordered Ag. Ag3 (0.28, 0, 0) is 2.80 Å from Ag1 and
# sqrt(2.8² + 1.0²) = 2.973 Å from Ag2. The general criterion allows Ag–Ag up to
# 1.45 + 1.45 + 0.45 = 3.35 Å (Cordero radii), so before rule 4 held without anion donors
# the 1.00 Å pair was an Ag–Ag "bond" (it is above MIN_BOND, 0.5 Å).
PARTIAL_AG = cubic_cif(
    "ag", "Ag1 Ag 0 0 0 0.5\nAg2 Ag 0 0 0.1 0.5\nAg3 Ag 0.28 0 0 1\n", columns=("occupancy",)
)


def test_metal_positions_closer_than_any_metal_metal_bond_are_never_bonded(tmp_path):
    s = read_cif(write(tmp_path, "ag.cif", PARTIAL_AG))[0]
    b = bonds(s)
    rows = zip(b.atom1, b.atom2, b.distance, strict=True)
    pairs = {tuple(sorted(p)): round(d, 3) for *p, d in rows}
    assert ("Ag1", "Ag2") not in pairs
    assert pairs[("Ag1", "Ag3")] == 2.8
    assert pairs[("Ag2", "Ag3")] == 2.973


def test_an_empty_path_is_refused_not_read_as_the_working_folder(tmp_path, monkeypatch):
    # A CIF in the working folder that `coordgeo sphere ""` used to find and analyse.
    write(tmp_path, "here.cif", PARTIAL_AG)
    monkeypatch.chdir(tmp_path)
    for command in ("sphere", "octahedra", "report"):
        result = runner.invoke(app, [command, ""])
        assert result.exit_code == 2, (command, result.output)
        assert "an empty path names no file" in result.output
        assert "Ag1" not in result.output
    result = runner.invoke(app, ["sphere", "."])
    assert result.exit_code == 0 and "Ag3" in result.output


def test_bulk_discovery_refuses_an_empty_path(tmp_path, monkeypatch):
    # bulk takes its paths as text: "" was os.path.abspath("") = the working folder.
    monkeypatch.chdir(tmp_path)
    files, problems = discover(["", "  "])
    assert files == []
    assert [(p.path, p.message) for p in problems] == [
        ("", "an empty path names no file"),
        ("  ", "an empty path names no file"),
    ]


def test_octahedra_table_shows_the_shape_measures_of_nine_coordinate_sites(tmp_path):
    # A La site with nine O at 2.5 Å along the vertices of the ideal tricapped trigonal
    # prism (TCTPR-9 of SHAPE 2.1): by the definition of a continuous shape measure
    # (Alvarez et al., Coord. Chem. Rev. 2005, 249, 1693) its TCTPR-9 value is 0 and the
    # other CN 9 shapes are > 0. The table used to show the CN 8 columns only (the Eu of
    # the Eu–W chain COD 4333364 had no shape measure in `coordgeo octahedra`).
    import numpy as np

    from coordgeo.shape import ideal_polyhedron

    ideal = ideal_polyhedron("TCTPR-9")
    unit = ideal.vertices - ideal.center
    unit /= np.linalg.norm(unit, axis=1)[:, None]
    rows = ["La1 La 0.5 0.5 0.5"] + [
        f"O{k} O {0.5 + x / 20:.8f} {0.5 + y / 20:.8f} {0.5 + z / 20:.8f}"
        for k, (x, y, z) in enumerate(2.5 * unit, start=1)
    ]
    head = PARTIAL_AG.split("loop_")[0].replace("10\n", "20\n").replace("data_ag", "data_la")
    atoms = "loop_\n_atom_site_label\n_atom_site_type_symbol\n"
    atoms += "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n"
    path = write(tmp_path, "la.cif", head + atoms + "\n".join(rows) + "\n")
    result = runner.invoke(app, ["octahedra", str(path)])
    assert result.exit_code == 0, result.output
    header, row = result.stdout.splitlines()[:2]
    assert header.split()[-8:-4] == ["CSAPR-9", "TCTPR-9", "MFF-9", "spin"], header
    # the row ends: V, CSAPR-9, TCTPR-9, MFF-9, spin 'unknown'
    *_, csapr, tctpr, mff, spin = row.split()
    assert spin == "unknown"
    assert float(tctpr) == 0 and float(csapr) > 0 and float(mff) > 0, row


def test_an_occupancy_above_one_is_used_but_noted(tmp_path):
    # _atom_site_occupancy is the fraction of the site occupied (IUCr core dictionary):
    # at most 1. Ag3 written as 1.25 is read as written, with a note naming it.
    text = PARTIAL_AG.replace("Ag3 Ag 0.28 0 0 1\n", "Ag3 Ag 0.28 0 0 1.25\n")
    s = read_cif(write(tmp_path, "occ.cif", text))[0]
    assert s.occupancy.tolist() == [0.5, 0.5, 1.25]
    (note,) = [n for n in s.notes if "occupancy above 1" in n]
    assert "Ag3 1.25" in note and "Ag1" not in note
    assert not any(
        "occupancy above 1" in n for n in read_cif(write(tmp_path, "ok.cif", PARTIAL_AG))[0].notes
    )


def test_negative_chi_mt_values_are_used_but_noted(tmp_path):
    # χMT = χM·T of a paramagnet is positive; -0.03 and -0.01 (lines 3 and 4 of the file:
    # line 1 a comment, line 2 the header) are kept and counted: 2 of 5 values.
    import pytest

    from coordgeo.io.magdata import NegativeChiMTWarning, negative_chi_mt, read_chimt

    path = write(
        tmp_path, "chi.txt", "# LS Fe(II)\nT chiMT\n5 -0.03\n50 -0.01\n100 0.02\n200 1.5\n300 3.3\n"
    )
    with pytest.warns(
        NegativeChiMTWarning, match=r"2 of 5 χMT values are below zero, down to -0\.03 .*line 3"
    ):
        df = read_chimt(path)
    assert df.chi_mt.tolist() == [-0.03, -0.01, 0.02, 1.5, 3.3]
    assert negative_chi_mt([0.0, 0.1, 3.2]) is None


def test_a_misprinted_first_row_with_element_labels_is_an_error_on_its_line(tmp_path):
    # A headerless table of one metal labelled by element symbols only (V–O, V–N, V–Cl).
    # Its first value misprinted (2.08OO(2): '.' → '.O') made the first line the header:
    # the row was dropped and validate went on (exit 0). It is now an error on line 1.
    for name, sep in (("tab", "\t"), ("spaces", "      ")):
        rows = [f"V–O{sep}2.08OO(2)", f"V–N{sep}2.100(3)", f"V–Cl{sep}2.391(1)"]
        path = write(tmp_path, f"{name}.txt", "\n".join(rows) + "\n")
        result = runner.invoke(app, ["validate", str(path)])
        assert result.exit_code == 2, (name, result.output)
        assert "line 1: cannot read '2.08OO(2)' as a number" in result.output, name
    # Headings stay headings: a bond heading over temperatures, or a label that is no bond.
    for text in ("Fe–N\t100 K\t300 K\nFe1–N1\t1.95(2)\t2.15(2)\n", "Bond\tÅ\nV1–O1\t2.080(2)\n"):
        result = runner.invoke(app, ["validate", str(write(tmp_path, "h.txt", text))])
        assert result.exit_code in (0, 1) and "cannot read" not in result.output, text


def test_two_and_three_coordinate_sites_have_shape_measures_equal_to_cosymlibs(tmp_path):
    # Ag(I) sites of the unseen CIFs are two- or three-coordinate (COD 7051216: N–Ag–N
    # 180°, O–Ag–N 155.6°; COD 4514366: AgS3 pyramids) and had no shape measure. Here an
    # Ag with two N 2.15 Å apart at 180° (L-2 = 0 by definition) and one with three S at
    # 2.5 Å, all 100° apart (a trigonal pyramid): coordgeo's values are cosymlib's
    # (SHAPE's algorithm and references, the peer) for every CN 2 and CN 3 shape.
    import math

    import numpy as np
    from test_shape import peer_measures

    from coordgeo.geometry import Atom, cartesian
    from coordgeo.pipeline import analyse_structure, make_options
    from coordgeo.shape import shape_labels
    from coordgeo.symmetry import SymmetryCode

    c = math.cos(math.radians(100.0))
    # three unit vectors at 100° to each other: about the z axis at polar angle θ with
    # cos 100° = cos²θ − sin²θ/2 (120° apart in azimuth) → cos²θ = (1 + 2 cos 100°)/3
    cos_t = math.sqrt((1 + 2 * c) / 3)
    sin_t = math.sqrt(1 - cos_t**2)
    pyramid = [
        (
            2.5 * sin_t * math.cos(math.radians(a)),
            2.5 * sin_t * math.sin(math.radians(a)),
            2.5 * cos_t,
        )
        for a in (0, 120, 240)
    ]
    rows = ["Ag1 Ag 0.25 0.25 0.25", "N1 N 0.25 0.25 0.3575", "N2 N 0.25 0.25 0.1425"]
    rows += ["Ag2 Ag 0.75 0.75 0.75"] + [
        f"S{k} S {0.75 + x / 20:.8f} {0.75 + y / 20:.8f} {0.75 + z / 20:.8f}"
        for k, (x, y, z) in enumerate(pyramid, start=1)
    ]
    head = PARTIAL_AG.split("loop_")[0].replace("10\n", "20\n")
    atoms = "loop_\n_atom_site_label\n_atom_site_type_symbol\n"
    atoms += "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n"
    s = read_cif(write(tmp_path, "ag23.cif", head + atoms + "\n".join(rows) + "\n"))[0]
    analysis = analyse_structure(s, make_options(shapes="all"))
    sites = analysis.sites.set_index("metal")
    assert (
        sites.loc["Ag1", "coordination_number"] == 2
        and sites.loc["Ag2", "coordination_number"] == 3
    )
    assert sites.loc["Ag1", "cshm_l2"] == 0
    for metal, n in (("Ag1", 2), ("Ag2", 3)):
        (sphere,) = [sp for sp in analysis.spheres if s.labels[sp.metal] == metal]
        identity = SymmetryCode(op=s.identity_op, shift=(0, 0, 0))
        xyz = cartesian(s, [Atom(sphere.metal, identity), *sphere.donors])
        peer = peer_measures(xyz[0], xyz[1:], shape_labels(n))
        for label, value in peer.items():
            column = "cshm_" + label.lower().replace("-", "")
            assert abs(sites.loc[metal, column] - value) < 1e-6, (metal, label)
    assert (
        np.isfinite(sites.loc["Ag2", "cshm_vt3"])
        and sites.loc["Ag2", "cshm_vt3"] < sites.loc["Ag2", "cshm_tp3"]
    )


def test_shape_labels_of_mixed_case_are_accepted_in_any_case():
    # SHAPE's labels vOC-5 and vTBPY-4 (and the CN 2-3 vT-2, mvOC-3) have lower-case
    # letters: `--shapes vOC-5` was upper-cased to VOC-5 and refused as unknown.
    from coordgeo.errors import InputError
    from coordgeo.pipeline import parse_shapes

    assert parse_shapes("vOC-5, oc-6,MVOC-3") == ("vOC-5", "OC-6", "mvOC-3")
    assert parse_shapes(["vtbpy-4", "vOC-5", "VOC-5"]) == ("vTBPY-4", "vOC-5")
    with pytest.raises(InputError, match="unknown shape OC6"):
        parse_shapes("OC6")


# An operator list written twice over, as Jana2006 / GSAS-II exports and teXsan CIFs do.
# Cubic cell a = 10 Å; Ni at the origin and O at (0.2, 0, 0). In P -1 (x,y,z; -x,-y,-z) the
# O and its inverse image are both 2.000 Å from Ni (0.2 × 10 Å), so Ni has CN 2 with
# O–Ni–O 180°. Written once per line pair ("x,y,z", "-x,-y,-z", "x,y,z", "-x,-y,-z") the
# list was refused as "listed twice"; read once it gives that same sphere.
TWICE_P1BAR = cubic_cif(
    "twice",
    "Ni1 Ni 0 0 0\nO1 O 0.2 0 0\n",
    between="_symmetry_space_group_name_H-M 'P -1'\nloop_\n_symmetry_equiv_pos_as_xyz\n{ops}\n",
)


def test_a_list_written_twice_is_read_once(tmp_path):
    ops = "\n".join(["x,y,z", "-x,-y,-z", "x,y,z", "-x,-y,-z"])
    (s,) = read_cif(write(tmp_path, "twice.cif", TWICE_P1BAR.format(ops=ops)))
    assert [op.triplet for op in s.symops] == ["x,y,z", "-x,-y,-z"]
    assert any("each of its 2 operators 2 times" in n for n in s.notes)
    b = bonds(s)
    ni_o = b[(b.atom1 == "Ni1") & (b.atom2 == "O1")]
    assert len(ni_o) == 2 and ni_o.distance.round(6).tolist() == [2.0, 2.0]


def test_a_list_with_its_centring_lost_takes_the_named_group(tmp_path):
    # C 1 2/c 1 has 8 operations: 4 coset representatives × the C centring (x+1/2,y+1/2,z).
    # teXsan wrote each representative twice, the centring translation dropped (COD 7008984):
    # 8 lines, 4 distinct operators, all of them operations of C 1 2/c 1 → its 8 are used.
    text = TWICE_P1BAR.replace("'P -1'", "'C 1 2/c 1'").replace("O1 O 0.2 0 0", "O1 O 0.2 0 0.1")
    reps = ["x,y,z", "-x,y,1/2-z", "-x,-y,-z", "x,-y,1/2+z"]
    ops = "\n".join(op for rep in reps for op in (rep, rep))
    (s,) = read_cif(write(tmp_path, "centring.cif", text.format(ops=ops)))
    assert len(s.symops) == 8
    assert any("x+1/2" in op.triplet for op in s.symops)
    assert any("lost centring translations" in n for n in s.notes)


@pytest.mark.parametrize(
    ("ops", "message"),
    [
        # one operator twice: not a repeated list; the same text, so no "also as"
        (["x,y,z", "-x,-y,-z", "-x,-y,-z"], "'-x,-y,-z' is listed twice: a space group"),
        # equal only modulo a lattice translation (COD 2001925): the message names both
        (
            ["x,y,z", "x-1,y-1,z"],
            "'x-1,y-1,z' is listed twice (also as 'x,y,z', equal up to a lattice translation)",
        ),
    ],
)
def test_other_repeats_are_still_refused(tmp_path, ops, message):
    path = write(tmp_path, "bad.cif", TWICE_P1BAR.format(ops="\n".join(ops)))
    with pytest.raises(InputError) as exc:
        read_cif(path)
    assert message in str(exc.value)


def test_a_list_repeated_under_a_wrong_group_name_says_listed_twice_only(tmp_path):
    # P -1's two operators written twice under 'P 4': 4 lines = the order of P 4, but
    # -x,-y,-z is no operation of P 4, so the list is not read as a lost centring and the
    # group check refuses it. x,y,z is written again as x,y,z (the same operator, not one
    # equal up to a lattice translation): the message says "listed twice" only.
    text = TWICE_P1BAR.replace("'P -1'", "'P 4'")
    ops = "\n".join(["x,y,z", "-x,-y,-z", "x,y,z", "-x,-y,-z"])
    with pytest.raises(InputError) as exc:
        read_cif(write(tmp_path, "wrongname.cif", text.format(ops=ops)))
    assert "'x,y,z' is listed twice: a space group lists each operation once" in str(exc.value)


@pytest.mark.parametrize(
    "symbol",
    [
        "'0.4Zz + 0.6Fe'",  # Zz names no element: was read as Fe, the largest fraction
        "'nan Fe + 0.1 Co'",  # no fraction: was read as Na from its leading letters
    ],
)
def test_composition_symbols_with_unknown_parts_are_refused(tmp_path, symbol):
    text = OCTAHEDRON.format(symbol=symbol, types="")
    with pytest.raises(InputError, match="unknown element") as exc:
        read_cif(write(tmp_path, "comp.cif", text))
    assert symbol.strip("'") in str(exc.value) and exc.value.line is not None


def test_placeholder_rows_of_null_labels_are_not_rows(tmp_path, shared):
    # Jana2006 leaves "? ? ? ? ? ?" under every _geom_ loop it did not fill: a row that names
    # no atom. Before, each such row was an "unresolved" row ("unknown atom label '?'") and
    # check exited 1 on a file with nothing to check. The Ni/O cell of TWICE_P1BAR with one
    # real bond row, Ni1–O1 2.000 (0.2 × 10 Å, exact: the coordinates carry no su), and one
    # placeholder row: one row, ok.
    text = TWICE_P1BAR.format(ops="x,y,z\n-x,-y,-z") + (
        "loop_\n_geom_bond_atom_site_label_1\n_geom_bond_atom_site_label_2\n"
        "_geom_bond_site_symmetry_2\n_geom_bond_distance\n_geom_bond_publ_flag\n"
        "Ni1 O1 . 2.000 ?\n? ? ? ? ?\n"
        "loop_\n_geom_angle_atom_site_label_1\n_geom_angle_atom_site_label_2\n"
        "_geom_angle_atom_site_label_3\n_geom_angle\n? ? ? ?\n"
    )
    table = check(write(tmp_path, "jana.cif", text))
    assert table[["kind", "atoms", "status"]].values.tolist() == [["bond", "Ni1-O1", "ok"]]
    # one label null among real ones is still a row, and unresolved
    half = text.replace("? ? ? ? ?\n", "Ni1 ? . 2.000 ?\n")
    rows = check(write(tmp_path, "half.cif", half))
    assert rows.status.tolist() == ["ok", "unresolved"]
    # COD 2000728 (shared corpus) ends its torsion loop with the same placeholder row
    published = check(shared / "cifs/published/2000728-atom-type-questionmarks.cif")
    assert not (published.atoms.str.replace("-", "").str.strip("?.") == "").any()
    assert "torsion" not in set(published.kind)


# Modulated and magnetic CIFs give their operators in loops of their own. COD 2310060
# (CaCu0.25Mn6.75O12, an incommensurate helical magnet) lists only
# _space_group_symop_ssg_operation_algebraic (x1,x2,x3,x4 …); coordgeo took the block as P1
# and Mn got CN 0 or 2. The Ni/O cell of TWICE_P1BAR with the P -1 operators written as
# superspace operators gives the sphere of P -1: Ni–O 2.000 Å twice (0.2 × 10 Å).
def _with_loop(loop: str) -> str:
    text = TWICE_P1BAR.replace("loop_\n_symmetry_equiv_pos_as_xyz\n{ops}\n", loop)
    return text.replace("_symmetry_space_group_name_H-M 'P -1'\n", "")


def test_superspace_operators_are_read_as_the_basic_structure(tmp_path):
    loop = (
        "loop_\n_space_group_symop_ssg_id\n_space_group_symop_ssg_operation_algebraic\n"
        "1 x1,x2,x3,x4\n2 -x1,-x2,-x3,-x4\n"
    )
    (s,) = read_cif(write(tmp_path, "ssg.cif", _with_loop(loop)))
    assert [op.triplet for op in s.symops] == ["x,y,z", "-x,-y,-z"]
    assert any("superspace operators" in n for n in s.notes)
    b = bonds(s)
    assert b[(b.atom1 == "Ni1") & (b.atom2 == "O1")].distance.round(6).tolist() == [2.0, 2.0]
    # a first component that involves the internal coordinate is no basic-structure operator
    bad = loop.replace("2 -x1,-x2,-x3,-x4", "2 -x1+x4,-x2,-x3,-x4")
    with pytest.raises(InputError, match="superspace operator"):
        read_cif(write(tmp_path, "bad.cif", _with_loop(bad)))


def test_magnetic_operators_with_centrings(tmp_path):
    # magCIF: two operators (time reversal +1) × two centrings, the second x+1/2,y+1/2,z
    # with time reversal −1 (an anti-translation). 2 × 2 = 4 operators: x,y,z; -x,-y,-z;
    # x+1/2,y+1/2,z; -x+1/2,-y+1/2,-z.
    loop = (
        "loop_\n_space_group_symop_magn_operation.id\n_space_group_symop_magn_operation.xyz\n"
        "1 x,y,z,+1\n2 -x,-y,-z,+1\n"
        "loop_\n_space_group_symop_magn_centering.id\n_space_group_symop_magn_centering.xyz\n"
        "1 x,y,z,+1\n2 x+1/2,y+1/2,z,-1\n"
    )
    (s,) = read_cif(write(tmp_path, "mcif.cif", _with_loop(loop)))
    triplets = sorted(op.triplet for op in s.symops)
    assert triplets == sorted(["x,y,z", "-x,-y,-z", "x+1/2,y+1/2,z", "-x+1/2,-y+1/2,-z"])
    assert any("magnetic operators" in n for n in s.notes)


def test_bad_superspace_magnetic_and_composite_input_is_one_line(tmp_path):
    ssg = (
        "loop_\n_space_group_symop_ssg_id\n_space_group_symop_ssg_operation_algebraic\n"
        "1 x1,x2,x3,x4\n2 -x1,-x2,-x3,-x4\n"
    )
    # the internal component must be a sum of ±x1 … ±x4 involving x4, and a fraction
    for junk in ("junk", "-x1", "-x5", "-x4+", "1/2"):
        bad = ssg.replace("2 -x1,-x2,-x3,-x4", f"2 -x1,-x2,-x3,{junk}")
        with pytest.raises(InputError, match="its component") as exc:
            read_cif(write(tmp_path, "ssg_junk.cif", _with_loop(bad)))
        assert exc.value.line is not None
    # an X centring (x1,x2,x3,x4+1/2) repeats each basic-structure operator: P -1 twice,
    # 4 superspace lines → 2 operators, and the note names the internal coordinates
    x_centred = ssg + "3 x1,x2,x3,x4+1/2\n4 -x1,-x2,-x3,-x4+1/2\n"
    (s,) = read_cif(write(tmp_path, "ssg_x.cif", _with_loop(x_centred)))
    assert [op.triplet for op in s.symops] == ["x,y,z", "-x,-y,-z"]
    (note,) = [n for n in s.notes if "2 times" in n]
    assert "internal coordinates" in note and "refinement programs" not in note
    # a magnetic centring that gemmi cannot parse (empty y) is an InputError naming its tag
    mag = (
        "loop_\n_space_group_symop_magn_operation.id\n_space_group_symop_magn_operation.xyz\n"
        "1 x,y,z,+1\n2 -x,-y,-z,+1\n"
        "loop_\n_space_group_symop_magn_centering.id\n_space_group_symop_magn_centering.xyz\n"
        "1 x,y,z,+1\n2 x+1/2,,z,-1\n"
    )
    path = write(tmp_path, "mag_cent_junk.cif", _with_loop(mag))
    with pytest.raises(InputError, match=r"magn_centering\.xyz"):
        read_cif(path)
    result = CliRunner().invoke(app, ["sphere", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    # a composite crystal: two subsystems, each with its own W-transformed operators
    for extra in (
        "_cell_subsystems_number 2\n",
        "loop_\n_cell_subsystem_code\n_cell_subsystem_description\n1 Ni\n2 O\n",
    ):
        composite = _with_loop(ssg) + extra
        with pytest.raises(InputError, match="composite crystal of 2 subsystems"):
            read_cif(write(tmp_path, "composite.cif", composite))
    sites = _with_loop(ssg).replace(
        "_atom_site_fract_z\nNi1 Ni 0 0 0\nO1 O 0.2 0 0\n",
        "_atom_site_fract_z\n_atom_site_subsystem_code\nNi1 Ni 0 0 0 1\nO1 O 0.2 0 0 2\n",
    )
    with pytest.raises(InputError, match="_atom_site_subsystem_code"):
        read_cif(write(tmp_path, "composite_sites.cif", sites))
    # one subsystem is no composite: the block reads as before
    (s,) = read_cif(write(tmp_path, "one.cif", _with_loop(ssg) + "_cell_subsystems_number 1\n"))
    assert len(s.symops) == 2


def test_modulated_blocks_of_the_shared_corpus(shared):
    # sn5033sup1 (α-Cr2P2O7, Acta B) gives two of its three blocks as superspace models. Read
    # as P1 their Cr had CN 2 and 1. As the basic structure (x1..x3 → x, y, z) the α2 block's
    # average has Cr and its alternative Cr(a) (occupancy 0.5 each) among split O3 / O3(a) /
    # O3(b) positions without PART labels: Cr is six-coordinate (CrO6) in every
    # configuration and Cr(a) five-coordinate, the 5+1 of Cr(II) in this pyrophosphate.
    import coordgeo

    structures = coordgeo.read(shared / "cifs/published/sn5033sup1.cif")
    alpha2 = [s for s in structures if s.block == "_alpha2-Cr2P2O7"]
    assert alpha2 and any("superspace operators" in n for n in alpha2[0].notes)
    table = coordgeo.octahedra(alpha2)
    cn = table.groupby("metal").coordination_number.agg(set).to_dict()
    assert cn == {"Cr": {6}, "Cr(a)": {5}}


# Large cations: K⁺, Rb⁺, Cs⁺, Sr²⁺, Ba²⁺, Pb²⁺ to anions within 1.10 × the Shannon
# radius sum (cation at CN XII; Pb²⁺ at CN VIII). Cubic CsSnCl3 (Pm-3m, a = 5.56 Å): Cs at
# the body centre has twelve Cl at a/√2 = 3.9315 Å, beyond the covalent limit
# 2.44 + 1.02 + 0.45 = 3.91 Å (Cordero) and within 1.10 × (1.88 + 1.81) = 4.059 Å; Sn at
# the corner has six Cl at a/2 = 2.78 Å (covalent limit 1.39 + 1.02 + 0.45 = 2.86 Å).
CSSNCL3 = """data_CsSnCl3
_cell_length_a 5.56
_cell_length_b 5.56
_cell_length_c 5.56
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_symmetry_space_group_name_H-M 'P m -3 m'
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
Cs1 Cs 0.5 0.5 0.5
Sn1 Sn 0 0 0
Cl1 Cl 0.5 0 0
"""


def test_large_cations_bond_by_their_ionic_radii(tmp_path):
    import coordgeo

    table = coordgeo.octahedra(coordgeo.read(write(tmp_path, "cssncl3.cif", CSSNCL3)))
    row = table.set_index("metal")
    assert row.loc["Cs1", "coordination_number"] == 12
    assert round(row.loc["Cs1", "d_mean"], 4) == 3.9315  # 5.56/√2
    assert row.loc["Sn1", "coordination_number"] == 6


@pytest.mark.parametrize(
    ("cation", "anion", "d", "bonded"),
    [
        # Pb–O 2.83 Å (Pb²⁺ in Cs2PbCu(NO2)6): covalent 1.46 + 0.66 + 0.45 = 2.57; ionic
        # 1.10 × (1.29 + 1.40) = 2.959 (Pb²⁺ at CN VIII)
        ("Pb", "O", 2.83, True),
        # Pb–O 3.10 (a water beside a hemidirected Pb(II)): beyond 2.959, though within the
        # 1.10 × (1.49 + 1.40) = 3.179 of Pb²⁺ at CN XII
        ("Pb", "O", 3.10, False),
        # K–O 3.30: covalent 2.03 + 0.66 + 0.45 = 3.14; ionic 1.10 × (1.64 + 1.40) = 3.344
        ("K", "O", 3.30, True),
        ("K", "O", 3.40, False),  # beyond both
        ("Na", "O", 2.90, False),  # Na is no large cation: covalent 1.66 + 0.66 + 0.45 = 2.77
    ],
)
def test_ionic_limit_pairs(tmp_path, cation, anion, d, bonded):
    # two atoms in a 20 Å cubic P1 cell, d Å apart along a (no other contact within 10 Å)
    text = TWICE_P1BAR.replace("10\n", "20\n").replace("'P -1'", "'P 1'")
    text = text.format(ops="x,y,z").replace("Ni1 Ni 0 0 0", f"M1 {cation} 0 0 0")
    text = text.replace("O1 O 0.2 0 0", f"X1 {anion} {d / 20:.6f} 0 0")
    b = bonds(read_cif(write(tmp_path, "pair.cif", text))[0])
    assert ((b.atom1 == "M1") & (b.atom2 == "X1")).any() == bonded


@pytest.mark.parametrize(
    ("cation", "anion", "d", "partner", "d_partner", "bonded"),
    [
        # K–O 3.30 Å: beyond the covalent limit 2.03 + 0.66 + 0.45 = 3.14, within the ionic
        # 1.10 × (1.64 + 1.40) = 3.344. The O of water (H at 0.96 Å) is an anion atom and
        # bonds; the O of THF (C at 1.43 Å, within 0.66 + 0.76 + 0.45) does not.
        ("K", "O", 3.30, "H", 0.96, True),
        ("K", "O", 3.30, "C", 1.43, False),
        # K–Cl 3.70: covalent 2.03 + 1.02 + 0.45 = 3.50, ionic 1.10 × (1.64 + 1.81) = 3.795.
        # A chloride ion (nothing within 3 Å but K) bonds; the Cl of CH2Cl2 (C–Cl 1.77) not.
        ("K", "Cl", 3.70, None, 0.0, True),
        ("K", "Cl", 3.70, "C", 1.77, False),
        # Ba–O 3.28: covalent 2.15 + 0.66 + 0.45 = 3.26, ionic 1.10 × (1.61 + 1.40) = 3.311.
        # The O of DMF (C=O 1.23 Å) is no anion; an O of nitrate (N–O 1.25 Å) is.
        ("Ba", "O", 3.28, "C", 1.23, False),
        ("Ba", "O", 3.28, "N", 1.25, True),
    ],
)
def test_ionic_rule_takes_anions_not_atoms_bonded_to_carbon(
    tmp_path, cation, anion, d, partner, d_partner, bonded
):
    # M at the origin of a 20 Å cubic P1 cell, the anion atom d Å along a, its partner
    # d_partner Å beyond it on the same line (M···partner > 4.4 Å: no bond of its own)
    text = TWICE_P1BAR.replace("10\n", "20\n").replace("'P -1'", "'P 1'")
    text = text.format(ops="x,y,z").replace("Ni1 Ni 0 0 0", f"M1 {cation} 0 0 0")
    text = text.replace("O1 O 0.2 0 0", f"X1 {anion} {d / 20:.6f} 0 0")
    if partner:
        text += f"P1 {partner} {(d + d_partner) / 20:.6f} 0 0\n"
    b = bonds(read_cif(write(tmp_path, "pair.cif", text))[0])
    assert ((b.atom1 == "M1") & (b.atom2 == "X1")).any() == bonded


def test_hemidirected_lead_keeps_its_four_n(tmp_path):
    # A hemidirected Pb(II) (reviewer's pb_solv): four N at 2.50 Å (covalent limit
    # 1.46 + 0.71 + 0.45 = 2.62) on one side; on the other a water O at 3.10 Å (beyond the
    # Pb²⁺ CN VIII ionic limit 1.10 × (1.29 + 1.40) = 2.959), the N of MeCN at 3.20 Å (N≡C
    # 1.14 Å: bonded to carbon; and beyond 1.10 × (1.29 + 1.46) = 3.025) and the Cl of
    # CHCl3 at 3.55 Å (C–Cl 1.76 Å; beyond 1.10 × (1.29 + 1.81) = 3.41). With Pb²⁺ at CN XII
    # (1.49 Å) and every O, N, Cl taken as an anion all three were bonded: CN 7. Now CN 4.
    # 20 Å P1 cell, Pb at the centre; fractional offsets × 20 Å give the distances
    # (nearest other pairs: N5···N1 and Cl1···N2 2.27 and 2.51 Å, no bonds).
    text = TWICE_P1BAR.replace("10\n", "20\n").replace("'P -1'", "'P 1'")
    text = text.format(ops="x,y,z").replace("Ni1 Ni 0 0 0\nO1 O 0.2 0 0\n", "")
    r = 2.50 / 20 / 2**0.5  # N at 45° below the equator: (±r, 0, -r) and (0, ±r, -r)
    sites = [
        ("Pb1", "Pb", 0.5, 0.5, 0.5),
        ("N1", "N", 0.5 + r, 0.5, 0.5 - r),
        ("N2", "N", 0.5 - r, 0.5, 0.5 - r),
        ("N3", "N", 0.5, 0.5 + r, 0.5 - r),
        ("N4", "N", 0.5, 0.5 - r, 0.5 - r),
        ("O1W", "O", 0.5, 0.5, 0.5 + 3.10 / 20),
        ("N5", "N", 0.5 + 3.20 / 20, 0.5, 0.5),
        ("C5", "C", 0.5 + 4.34 / 20, 0.5, 0.5),
        ("Cl1", "Cl", 0.5 - 3.55 / 20, 0.5, 0.5),
        ("C7", "C", 0.5 - 5.31 / 20, 0.5, 0.5),
    ]
    text += "".join(f"{a} {e} {x:.6f} {y:.6f} {z:.6f}\n" for a, e, x, y, z in sites)
    b = bonds(read_cif(write(tmp_path, "pb_solv.cif", text))[0])
    assert sorted(b[b.atom1 == "Pb1"].atom2) == ["N1", "N2", "N3", "N4"]


# The oxidation number a CIF declares for a site: `_atom_type_oxidation_number` of its type
# symbol, else the symbol's charge (ICSD, GSAS-II, Crystallographica: Cr3+, Co3+, Mn+0).
# Cr2WO6 (ICSD 20314) declares Cr3+ and was read "3 (bond lengths)"; TbMnO3 (ICSD 92078)
# writes Mn+0 beside an oxidation number of 3. One metal M at the centre of a 10 Å P1 cell
# with six O at 0.2 × 10 = 2.00 Å (M–O along ±a, ±b, ±c).
OCTAHEDRON = cubic_cif(
    "oct",
    "M1 {symbol} 0.5 0.5 0.5\nO1 O2- 0.7 0.5 0.5\nO2 O2- 0.3 0.5 0.5\nO3 O2- 0.5 0.7 0.5\n"
    "O4 O2- 0.5 0.3 0.5\nO5 O2- 0.5 0.5 0.7\nO6 O2- 0.5 0.5 0.3\n",
    between="{types}\n",
)


@pytest.mark.parametrize(
    ("symbol", "types", "state", "source", "note"),
    [
        ("Cr3+", "", 3, "atom type", ""),
        # the type's oxidation number wins over the symbol's charge (+0: no statement)
        (
            "Mn+0",
            "loop_\n_atom_type_symbol\n_atom_type_oxidation_number\nMn+0 3.000\nO2- -2.000",
            3,
            "atom type",
            "",
        ),
        ("Mn4+", "", None, None, "atom type gives Mn +4"),  # no references for Mn(IV)
    ],
)
def test_declared_oxidation_numbers(tmp_path, symbol, types, state, source, note):
    import coordgeo

    text = OCTAHEDRON.format(symbol=symbol, types=types)
    (row,) = coordgeo.octahedra(coordgeo.read(write(tmp_path, "oct.cif", text))).to_dict("records")
    if state is None:
        assert row["oxidation_state_source"] != "atom type"
        assert note in row["spin_note"] and "not used" in row["spin_note"]
    else:
        assert (row["oxidation_state"], row["oxidation_state_source"]) == (state, source)


def test_composition_type_symbols_read_as_the_majority_element(tmp_path):
    # SpringerMaterials / Pauling File (pymatgen's PF_sd_1622133, an orthopyroxene) writes
    # a mixed site's type symbol as its composition beside a label naming no element:
    # M1 '0.967(4)Mg + 0.033(4)Fe' was "unknown element" and the block was lost. Read as Mg
    # (0.967 the largest fraction); with six O at 2.00 Å (the OCTAHEDRON cell) it is CN 6.
    text = OCTAHEDRON.format(symbol="'0.967(4)Mg + 0.033(4)Fe'", types="")
    (s,) = read_cif(write(tmp_path, "pf.cif", text.replace("M1 ", "M1 ", 1)))
    assert s.elements[s.index("M1")] == "Mg"
    assert any("M1 (0.967(4)Mg + 0.033(4)Fe)" in n for n in s.notes)
    import coordgeo

    (row,) = coordgeo.octahedra([s]).to_dict("records")
    assert row["coordination_number"] == 6


def test_electropositive_metal_without_donors_in_a_salt_bonds_no_metal(tmp_path):
    # Rb2Pt(SCN)6 (COD 1010600, 1928) gives the thiocyanate C and N as dummy sites, so Rb had
    # no anion donor and took three Rb at 3.90 Å as "bonds" (the intermetallic rule).
    # Two Rb 3.90 Å apart in a 20 Å P1 cell (covalent limit 2.20 + 2.20 + 0.45 = 4.85 Å):
    # bonded when they are all there is (a metal), not when an S sits 10 Å away (a salt
    # whose anions are out of reach).
    rb = "Rb1 Rb 0 0 0\nRb2 Rb 0.195 0 0\n"  # 0.195 × 20 Å = 3.90 Å
    metal = TWICE_P1BAR.replace("10\n", "20\n").replace("'P -1'", "'P 1'").format(ops="x,y,z")
    metal = metal.replace("Ni1 Ni 0 0 0\nO1 O 0.2 0 0\n", rb)
    b = bonds(read_cif(write(tmp_path, "rb.cif", metal))[0])
    assert ((b.atom1 == "Rb1") & (b.atom2 == "Rb2")).any()
    salt = metal + "S1 S 0.5 0.5 0.5\n"  # 17.3 Å from Rb1, 15.6 Å from Rb2
    b = bonds(read_cif(write(tmp_path, "salt.cif", salt))[0])
    assert not ((b.atom1 == "Rb1") & (b.atom2 == "Rb2")).any()


def test_electropositive_metal_bonds_a_zintl_anion(tmp_path):
    # A Zintl salt with an organic cation (reviewer's k_zintl_en): K at the centre of a 20 Å
    # P1 cell with six Sn at 0.18 × 20 = 3.60 Å (±a, ±b, ±c; covalent limit
    # 2.03 + 1.39 + 0.45 = 3.87 Å; Sn···Sn 3.60·√2 = 5.09 Å, no bond), an ethylenediamine
    # N–C–C–N 7 Å away. K has no anion donor and the structure has non-metals, but Sn is a
    # Zintl-anion metal: CN 6 (Sn6), as before aa759bd. The same K with six Rb instead of
    # Sn (3.60 Å, limit 2.03 + 2.20 + 0.45 = 4.68 Å) bonds none of them.
    text = TWICE_P1BAR.replace("10\n", "20\n").replace("'P -1'", "'P 1'").format(ops="x,y,z")
    r = 0.18
    shell = [(0.5 + r, 0.5, 0.5), (0.5 - r, 0.5, 0.5), (0.5, 0.5 + r, 0.5)]
    shell += [(0.5, 0.5 - r, 0.5), (0.5, 0.5, 0.5 + r), (0.5, 0.5, 0.5 - r)]
    organic = "N1 N 0.85 0.85 0.85\nC1 C 0.85 0.85 0.9235\nC2 C 0.85 0.92 0.945\n"
    organic += "N2 N 0.85 0.99 0.93\n"
    for element, bonded in (("Sn", True), ("Rb", False)):
        sites = "K1 K 0.5 0.5 0.5\n" + "".join(
            f"{element}{k + 1} {element} {x} {y} {z}\n" for k, (x, y, z) in enumerate(shell)
        )
        cif = text.replace("Ni1 Ni 0 0 0\nO1 O 0.2 0 0\n", sites + organic)
        b = bonds(read_cif(write(tmp_path, f"k_{element}.cif", cif))[0])
        partners = sorted(b[b.atom1 == "K1"].atom2)
        assert partners == ([f"{element}{k}" for k in range(1, 7)] if bonded else [])


def test_cation_with_anion_donors_bonds_the_atoms_of_a_zintl_polyanion(tmp_path):
    # Zintl–Klemm: the alkali of a crown-ether or cryptand salt of a Zintl anion (or of a
    # KSnAs-type salt) is bonded ionically to the polyanion's atoms. K at the centre of a
    # 20 Å P1 cell: four O (of the crown) at 0.14 × 20 = 2.80 Å along ±a, ±b (covalent limit
    # 2.03 + 0.66 + 0.45 = 3.14 Å; O···O 3.96 Å), two Sn at 0.18 × 20 = 3.60 Å along ±c
    # (limit 2.03 + 1.39 + 0.45 = 3.87 Å; Sn···Sn 7.2 Å). K had its O donors, so its K–Sn
    # were "cation–cation" and it had CN 4: now CN 6 (O4Sn2). An Sn bonded to As (a
    # pnictide polyanion: 0.135 × 20 = 2.70 Å ≤ 1.39 + 1.19 + 0.45 = 3.03 Å, K···As 6.30 Å)
    # is still an anion atom: CN 6, and so is one bonded to P at the same 2.70 Å (≤ 1.39 +
    # 1.07 + 0.45 = 2.91 Å): P and As form the same pnictidostannate(IV) anions (the
    # [Sn₂P₆]¹⁰⁻ of Na₂K₃[SnP₃]; Pauling electronegativity P 2.19, As 2.18), and the P one
    # had K–Sn as cation–cation contacts (CN 4) before review 7. An Sn bonded to Cl
    # (2.40 Å ≤ 1.39 + 1.02 + 0.45 = 2.86; K···Cl 6.00 Å) is a cation (a chlorostannate,
    # as the Sn(IV) of SrSnO₃ or K₂SnCl₆): K–Sn stays no bond, CN 4.
    cell = CUBIC_10.replace("10\n", "20\n")
    sites = (
        "K1 K 0.5 0.5 0.5\nO1 O 0.64 0.5 0.5\nO2 O 0.36 0.5 0.5\nO3 O 0.5 0.64 0.5\n"
        "O4 O 0.5 0.36 0.5\nSn1 Sn 0.5 0.5 0.68\nSn2 Sn 0.5 0.5 0.32\n"
    )
    head = "".join(
        f"_atom_site_{n}\n" for n in ("label", "type_symbol", "fract_x", "fract_y", "fract_z")
    )
    oxygen = ["O1", "O2", "O3", "O4"]
    for name, partners, expected in (
        ("crown", "", [*oxygen, "Sn1", "Sn2"]),
        ("arsenide", "As1 As 0.5 0.5 0.815\nAs2 As 0.5 0.5 0.185\n", [*oxygen, "Sn1", "Sn2"]),
        ("phosphide", "P1 P 0.5 0.5 0.815\nP2 P 0.5 0.5 0.185\n", [*oxygen, "Sn1", "Sn2"]),
        ("chloride", "Cl1 Cl 0.5 0.5 0.8\nCl2 Cl 0.5 0.5 0.2\n", oxygen),
    ):
        text = f"data_{name}\n{cell}loop_\n{head}{sites}{partners}"
        b = bonds(read_cif(write(tmp_path, f"{name}.cif", text))[0])
        k = b[b.atom1 == "K1"]
        assert sorted(k.atom2) == expected, name
        assert sorted(k.distance) == pytest.approx([2.8] * 4 + [3.6] * (len(expected) - 4))


def test_hydridometallate_is_no_zintl_polyanion(tmp_path):
    # K⁺ beside a [GaH₄]⁻ tetrahedron (potassium gallate, K[GaH₄]; the Ga–H bonds are
    # covalent and K⁺ is ionic to the H, as in the alanates: a Ga bonded to H or C is the
    # centre of a hydrido- or organometallate, no Zintl polyanion atom). 10 Å P1 cell
    # (Cartesian = 10 × fractional): K (5, 5, 5), Ga (8.225, 5, 5): K···Ga 3.225 Å, within
    # 2.03 + 1.22 + 0.45 = 3.70 Å but no bond; H1, H2 (7.319, 5 ± 1.282, 5) and H3, H4
    # (9.131, 5, 5 ± 1.282): Ga–H = √(0.906² + 1.282²) = √2.464360 = 1.569828 Å,
    # K–H1 = K–H2 = √(2.319² + 1.282²) = √7.021285 = 2.649771 Å (≤ 2.03 + 0.31 + 0.45),
    # K···H3 = √(4.131² + 1.282²) = 4.325 Å. Expected: K CN 2 (H1, H2), Ga CN 4 (H1–H4);
    # the Zintl rule of dcab49d had K–Ga bonded (K CN 3, Ga CN 5).
    rows = "K1 K 0.5 0.5 0.5\nGa1 Ga 0.8225 0.5 0.5\nH1 H 0.7319 0.6282 0.5\n"
    rows += "H2 H 0.7319 0.3718 0.5\nH3 H 0.9131 0.5 0.6282\nH4 H 0.9131 0.5 0.3718\n"
    (s,) = read_cif(write(tmp_path, "kgah4.cif", cubic_cif("kgah4", rows)))
    spheres = {s.labels[sp.metal]: sp for sp in coordination_spheres(s)}
    assert [s.labels[a.site] for a in spheres["K1"].donors] == ["H1", "H2"]
    assert spheres["K1"].distances == pytest.approx((2.649771,) * 2, abs=1e-6)
    assert sorted(s.labels[a.site] for a in spheres["Ga1"].donors) == ["H1", "H2", "H3", "H4"]
    assert spheres["Ga1"].distances == pytest.approx((1.569828,) * 4, abs=1e-6)


def test_zintl_verdict_does_not_depend_on_the_centres_asked_for(tmp_path):
    # Cubic perovskite SrSnO₃ (Pm-3m, a = 4.03 Å; Sr at ½ ½ ½, Sn at 0 0 0, O at ½ 0 0):
    # Sr–O = a/√2 = 2.849640 Å (twelve), Sn–O = a/2 = 2.015 Å (six), Sr···Sn = a√3/2 =
    # 3.490 Å (eight, within 1.95 + 1.39 + 0.45 = 3.79 Å). Sn bonded to O is a cation
    # (stannate): Sr–Sn is a cation–cation contact whether Sn was searched as a centre or
    # not. bond_contacts(s, centers=[Sr]) gave 12 O + 8 Sn (Sn, not searched, counted as a
    # polyanion atom), the full search 12 O.
    text = (
        "data_srsno3\n"
        + CUBIC_10.replace("10\n", "4.03\n")
        + "_symmetry_space_group_name_H-M 'P m -3 m'\nloop_\n_atom_site_label\n"
        "_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n"
        "_atom_site_fract_z\nSr1 Sr 0.5 0.5 0.5\nSn1 Sn 0 0 0\nO1 O 0.5 0 0\n"
    )
    path = write(tmp_path, "srsno3.cif", text)
    rows = []
    for centers in ([0], None):  # a fresh structure each: no list of every bond kept
        (s,) = read_cif(path)
        found = bond_contacts(s, centers=centers)
        found = found.take(found.center == 0)
        rows.append(
            sorted(zip(found.site.tolist(), found.codes(), found.distance.tolist(), strict=True))
        )
        assert [s.elements[k] for k, _, _ in rows[-1]] == ["O"] * 12
        assert [d for _, _, d in rows[-1]] == pytest.approx([2.849640] * 12, abs=1e-6)
    assert rows[0] == rows[1]


def test_unlabelled_disorder_configurations_are_numbered(tmp_path):
    # Ni at the centre of a 10 Å P1 cell, O1 2.00 Å along +a, and one O disordered over two
    # unlabelled positions (occupancy 0.5 each) 2.00 Å along −a and ±0.05 × 10 = ±0.5 Å in b:
    # 1.00 Å apart, occupancies adding to 1, not bonded (1.00 < 0.85 × 2 × 0.66 Å): two
    # alternatives, so two spheres {O1, O2A} and {O1, O2B}, each Ni–O 2.000 and
    # √(2.0² + 0.5²) = 2.062 Å. Both had configuration "", and `coordgeo sphere` printed them
    # as one sphere of CN 4 (Ba3 of Ba6Co6ClO16: eight configurations, "CN 96").
    text = cubic_cif(
        "alt",
        "Ni1 Ni 0.5 0.5 0.5 1\nO1 O 0.7 0.5 0.5 1\n"
        "O2A O 0.3 0.55 0.5 0.5\nO2B O 0.3 0.45 0.5 0.5\n",
        columns=("occupancy",),
    )
    import coordgeo

    path = write(tmp_path, "alt.cif", text)
    table = coordgeo.octahedra(coordgeo.read(path))
    assert sorted(table.configuration) == ["#1", "#2"]
    assert set(table.coordination_number) == {2}
    result = runner.invoke(app, ["sphere", str(path)])
    assert result.exit_code == 0
    assert "Ni1 (disorder #1), CN 2" in result.output and "Ni1 (disorder #2), CN 2" in result.output
