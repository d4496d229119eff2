"""Reading CIFs into Structures, and what happens with bad input."""

from __future__ import annotations

import gemmi
import numpy as np
import pytest

from coordgeo.errors import InputError
from coordgeo.io.cif import _cif_number, read_cif, read_cif_blocks
from coordgeo.symmetry import check_operator_group

from cifs_for_tests import C2C, C2C_OPS, NO_SYMOP_LOOP, P1BAR_SYMOPS, cubic_cif, write


def test_model_fields(qsal_cif):
    blocks = read_cif(qsal_cif)
    assert [b.block for b in blocks] == ["wp91ltb", "wp91-rt2", "wp91-mt2"]
    s = blocks[0]
    assert s.temperature == 163 and s.temperature_su == 2
    assert s.cell.a == pytest.approx(12.2488) and s.cell.su[0] == pytest.approx(0.0005)
    assert [op.triplet for op in s.symops] == ["x, y, z", "-x, -y, -z"]
    fe = s.index("Fe1")
    assert s.elements[fe] == "Fe"
    # Fe1 1.12029(16) 0.21563(16) -0.03950(15) in the CIF
    assert list(s.fract[fe]) == pytest.approx([1.12029, 0.21563, -0.03950])
    assert list(s.fract_su[fe]) == pytest.approx([0.00016, 0.00016, 0.00015])
    h2 = s.index("H2")
    assert s.calc[h2] and s.elements[h2] == "H"
    assert s.geom["bond"].frame().iloc[0].tolist()[:3] == ["Fe1", "O1", "1.874(8)"]


def test_geom_loops_as_printed_through_pickles_and_copies(qsal_cif):
    # the authors' _geom_ loops of every block, compared with gemmi's own reading of the
    # file (an independent parse): the same kinds, columns, values and lines, whether read
    # first after a pickle, a deepcopy or on the structure itself (the reader copies each
    # loop's values out of the parsed file on first use)
    import copy
    import pickle

    doc = gemmi.cif.read(str(qsal_cif))
    tags = {"bond": "_geom_bond_distance", "angle": "_geom_angle", "hbond": None}
    for s in read_cif(qsal_cif):
        block = doc[s.block]
        expected = {}
        for kind, tag in tags.items():
            item = block.find_loop_item(tag) if tag else None
            if item is not None:
                expected[kind] = (tuple(item.loop.values), item.line_number, item.loop.tags)
        assert set(s.geom) == set(expected) and "torsion" not in s.geom
        assert len(expected["bond"][0]) > 100 and "hbond" not in s.geom
        views = (pickle.loads(pickle.dumps(s)).geom, copy.deepcopy(s).geom, s.geom)
        for geom in views:
            for kind, (values, line, loop_tags) in expected.items():
                assert geom[kind].values == values and geom[kind].line == line
                assert len(geom[kind].columns) == len(loop_tags)
            assert geom["bond"].columns[:3] == (
                "atom_site_label_1",
                "atom_site_label_2",
                "distance",
            )


def test_op_ids_and_centred_cell(tmp_path):
    s = read_cif(write(tmp_path, "c2c.cif", C2C))[0]
    assert [op.id for op in s.symops] == [str(k) for k in range(1, 9)]
    assert s.space_group == "C 1 2/c 1" and s.crystal_system == "monoclinic"


def test_symbol_only_and_p1(tmp_path):
    hm, p1 = read_cif(write(tmp_path, "x.cif", NO_SYMOP_LOOP))
    assert len(hm.symops) == 4  # P21/c generated from the symbol
    assert any("lists no symmetry operators" in n for n in hm.notes)
    assert len(p1.symops) == 1 and any("P1" in n for n in p1.notes)
    assert hm.elements == ("Cu", "O")  # from the labels (no type symbols)


def test_malformed_files_give_one_line_with_location(shared):
    for path in sorted((shared / "cifs" / "malformed").glob("*.cif")):
        try:
            results = read_cif_blocks(path)
        except InputError as exc:
            message = str(exc)
        else:
            errors = [r for r in results if isinstance(r, InputError)]
            assert errors, f"{path.name} should report a problem"
            message = str(errors[0])
        assert "\n" not in message and str(path) in message


def test_syntax_error_names_the_line(shared):
    with pytest.raises(InputError) as info:
        read_cif_blocks(shared / "cifs/malformed/2009397-syntax-error.cif")
    assert info.value.line == 34


def test_broken_block_does_not_stop_the_others(shared):
    # b008262g: six blocks, an unterminated string in block (5)
    results = read_cif_blocks(shared / "cifs/malformed/b008262g-missing-closing-quote.cif")
    good = [r.block for r in results if not isinstance(r, InputError)]
    bad = [r for r in results if isinstance(r, InputError)]
    assert good == ["(1)", "(2)", "(3)", "(4)", "(6)"]
    assert len(bad) == 1 and bad[0].block == "(5)" and bad[0].line == 1667
    # Carbó: a duplicate tag in data_2a only
    results = read_cif_blocks(shared / "cifs/malformed/Carbó_2002_p305_crude.cif")
    assert [getattr(r, "block", None) for r in results] == ["1a", "2a"]
    assert isinstance(results[1], InputError) and "duplicate tag" in str(results[1])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary\x00" * 10, "binary"),
        (b"data_x\n_cell_length_a 5\n", "no _cell_length_b"),
        (
            b"data_x\n_cell_length_a 5\n_cell_length_b 5\n_cell_length_c 5\n"
            b"loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n"
            b"_atom_site_fract_y\n_atom_site_fract_z\nQq1 Qq 0 0 0\n",
            "unknown element",
        ),
        (b"data_x\n_publ_author_name 'Nobody'\n", "no data block with a unit cell"),
    ],
)
def test_bad_input(tmp_path, content, message):
    path = tmp_path / "bad.cif"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_cif(path)


def test_fraction_coordinates_and_misspelled_tag(shared):
    # 2009306 writes V1 at 1/4 1/4 1/4: exact fractions are read
    (s,) = read_cif(shared / "cifs/published/2009306-xyz-simple-fract.cif")
    assert list(s.fract[s.index("V1")]) == pytest.approx([0.25, 0.25, 0.25], abs=1e-12)
    # 4303187 has __atom_site_fract_y: the error says what was found
    with pytest.raises(InputError, match="misspelled"):
        read_cif(shared / "cifs/published/4303187-multiple-underscores.cif")


# --- hostile and odd input (issue 17): numbers, lines, operators -----------------------------


@pytest.mark.parametrize(
    ("text", "value", "su", "rounding"),
    [
        # 0.21563(16): su 16 in the 5th decimal; half a unit of that decimal
        ("0.21563(16)", 0.21563, 0.00016, 0.000005),
        ("-0.0395(15)", -0.0395, 0.0015, 0.00005),
        ("12.2488(5)", 12.2488, 0.0005, 0.00005),
        ("1.5e-3(2)", 0.0015, 0.0002, 0.00005),  # last digit at 10^(-3-1): su 2e-4
        ("120", 120.0, None, 0.5),
        ("0.035(4", 0.035, 0.004, 0.0005),  # a missing ")" as 4302333 prints it
        ("?", None, None, 0.0),
    ],
)
def test_cif_numbers(text, value, su, rounding):
    got_value, got_su, got_rounding = _cif_number(text)
    assert got_value == pytest.approx(value) if value is not None else got_value is None
    assert got_su == pytest.approx(su) if su is not None else got_su is None
    assert got_rounding == pytest.approx(rounding)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("nan", "is not a number"),
        ("inf", "is not a number"),
        ("1_000", "is not a number"),
        ("1.2e400", "outside the range of floating-point numbers"),
        ("0e400", "exponent out of range"),
        ("0.1(" + "9" * 7 + ")", "su of 7 digits"),
        ("0.1(x)", "not digits in parentheses"),
    ],
)
def test_not_cif_numbers(text, why):
    with pytest.raises(ValueError, match=why):
        _cif_number(text)


def test_unreadable_u_is_a_note_with_the_lines(shared):
    # 2010442 prints riding-H U's as 0.08*: read as not given, and the note names the lines
    # of the rows, which span several lines each in this file (H(11A) is on line 84)
    (s,) = read_cif(shared / "cifs/published/2010442-Uiso-value-bug.cif")
    assert np.isnan(s.u_iso[s.index("H(11A)")])
    note = next(n for n in s.notes if "_atom_site_U_iso_or_equiv" in n)
    assert "H(11A) ('0.08*', line 84)" in note and "H(11B) ('0.08*', line 85)" in note


def test_published_operator_lists_that_are_not_groups(shared):
    # 2001925 lists x,y,z, x-1,y-1,z and x-1,y,z: one operation three times, which made every
    # site a special position of order 3; 2005206 (P 1 21/n 1) lists four operators that
    # are not closed
    with pytest.raises(InputError, match="'x-1,y-1,z' is listed twice") as info:
        read_cif(shared / "cifs/published/2001925.cif")
    assert info.value.line == 92  # the loop_ of _symmetry_equiv_pos_as_xyz
    with pytest.raises(InputError, match="do not form a group"):
        read_cif(shared / "cifs/published/2005206.cif")


@pytest.mark.parametrize(
    ("ops", "message"),
    [
        (["x,y,z", "-x,-y,-z"], None),
        (C2C_OPS, None),
        (["x,y,z", "-y,x-y,z", "-x+y,-x,z"], None),  # P3
        (["x,y,z", "x,x,z"], "'x,x,z' is not invertible"),
        (["x,y,z", "-x,-y,-z", "x+1,y,z"], r"'x\+1,y,z' is listed twice"),
        (["x,y,z", "-y,x,z"], "do not form a group"),  # a 4-fold needs -x,-y,z and y,-x,z
    ],
)
def test_check_operator_group(ops, message):
    parsed = [gemmi.Op(op) for op in ops]
    rot = np.array([op.rot for op in parsed]) / gemmi.Op.DEN
    tran = np.array([op.tran for op in parsed]) / gemmi.Op.DEN
    if message is None:
        check_operator_group(rot, tran, ops)
    else:
        with pytest.raises(InputError, match=message):
            check_operator_group(rot, tran, ops)


# A CSD export lists a molecule on an inversion centre whole: N1A–N3A are the images of
# N1–N3 under -x,-y,-z (printed to 4 decimals, as CSD does). Hand derivation: cubic
# cell a = 10 Å, Fe at the origin, N1 at (0.2, 0, 0) → Fe–N1 = 0.2 × 10 = 2.000 Å; N1A at
# (-0.2000, 0, 0) is -x,-y,-z of N1: the same point as N1 under operator 2. Expanded with
# both operators, each N point would carry two atoms (CN 12, 2^6 "disorder
# configurations"); read once, Fe has six N at 2.000 Å and 90/180° angles.
CSD_EXPANDED = """data_csd_expanded
_cell_length_a 10
_cell_length_b 10
_cell_length_c 10
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
loop_
_symmetry_equiv_pos_site_id
_symmetry_equiv_pos_as_xyz
1 x,y,z
2 -x,-y,-z
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
Fe1 Fe 0.00000 0.00000 0.00000
N1 N 0.2000(2) 0.0000(2) 0.0000(2)
N2 N 0.0000(2) 0.2000(2) 0.0000(2)
N3 N 0.0000(2) 0.0000(2) 0.2000(2)
N1A N -0.2000 0.0000 0.0000
N2A N 0.0000 -0.2000 0.0000
N3A N 0.0000 0.0000 0.8000
loop_
_geom_bond_atom_site_label_1
_geom_bond_atom_site_label_2
_geom_bond_distance
_geom_bond_site_symmetry_1
_geom_bond_site_symmetry_2
Fe1 N1 2.000 1_555 1_555
N1A Fe1 2.000 1_555 1_555
Fe1 N3A 2.000 1_555 1_555
"""


def test_sites_listed_twice_by_symmetry_are_read_once(tmp_path):
    import coordgeo
    from coordgeo.coordination import coordination_spheres

    (s,) = read_cif(write(tmp_path, "csd.cif", CSD_EXPANDED))
    assert s.labels == ("Fe1", "N1", "N2", "N3")
    assert dict(s.duplicates) == {"N1A": "N1", "N2A": "N2", "N3A": "N3"}
    assert any("3 sites are symmetry images of other sites" in n for n in s.notes)
    (sphere,) = coordination_spheres(s)
    assert sphere.coordination_number == 6
    assert sphere.distances == pytest.approx([2.0] * 6, abs=1e-9)
    # the CIF's own rows name the dropped labels: read as images of the kept sites
    table = coordgeo.check(str(write(tmp_path, "csd2.cif", CSD_EXPANDED)))
    assert list(table.status) == ["ok", "ok", "ok"]
    assert "N1A read as a symmetry mate of N1" in table.reason.iloc[1]


def test_alternative_positions_are_not_duplicates(tmp_path):
    # two half-occupied O of one disordered water 0.5 Å apart, and a full O whose
    # inversion image is 0.01 Å from a half-occupied one: different occupancy, so not
    # one point listed twice (only same element, occupancy and disorder group are)
    text = CSD_EXPANDED.split("loop_\n_atom_site_label")[0] + (
        "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n"
        "_atom_site_fract_y\n_atom_site_fract_z\n_atom_site_occupancy\n"
        "O1 O 0.3000 0.3000 0.3000 0.5\nO2 O 0.3500 0.3000 0.3000 0.5\n"
        "O3 O -0.3010 -0.3000 -0.3000 1\n"
    )
    (s,) = read_cif(write(tmp_path, "alt.cif", text))
    assert s.labels == ("O1", "O2", "O3")
    assert not s.duplicates


@pytest.mark.parametrize(("occupancy", "kept"), [("0.333", 3), ("1", 1)])
def test_partial_images_on_a_threefold_axis_are_kept(tmp_path, occupancy, kept):
    # SHELXL writes a methyl H on a threefold axis as H6A, H6B, H6C of occupancy 1/3,
    # each the image of the others under x,y,z / -y,x-y,z / -x+y,-x,z (COD 2205573):
    # their occupancies add up to one H at each of the three points, so none may go.
    # Written fully occupied (a CSD export), H6B and H6C are the same points listed twice.
    text = (
        "data_p3\n_cell_length_a 10\n_cell_length_b 10\n_cell_length_c 10\n"
        "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 120\n"
        "loop_\n_symmetry_equiv_pos_as_xyz\nx,y,z\n-y,x-y,z\n-x+y,-x,z\n"
        "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n"
        "_atom_site_fract_y\n_atom_site_fract_z\n_atom_site_occupancy\n"
        "C6 C 0 0 0.2 1\n"
        f"H6A H 0.0600 0.0000 0.3 {occupancy}\nH6B H 0.0000 0.0600 0.3 {occupancy}\n"
        f"H6C H -0.0600 -0.0600 0.3 {occupancy}\n"
    )
    (s,) = read_cif(write(tmp_path, "p3.cif", text))
    assert sum(label.startswith("H") for label in s.labels) == kept


def test_sites_snapped_onto_special_positions_are_one_note(tmp_path):
    """Fe1 printed at (0.0001, 0.1, 0.2501) and N2 at (0.5001, 0.2, 0.2501), each 0.0001
    off the two-fold axis (x, y, 1/4 with x = 0 or 1/2) of C2/c: both are snapped onto it,
    moved by sqrt((0.0001·10)² + (0.0001·14)²) = 0.00172 Å (a = 10, c = 14 Å, β = 90°),
    and the reader says so in one note for the block, not a note per site."""
    text = C2C.format(ops="\n".join(f"{k} '{op}'" for k, op in enumerate(C2C_OPS, 1)))
    text = text.replace("Fe1 Fe 0.0000 0.1000(2) 0.2500", "Fe1 Fe 0.0001 0.1000(2) 0.2501")
    text = text.replace("N1 N 0.1000(3)", "N2 N 0.5001 0.2000 0.2501 0.02 1 d\nN1 N 0.1000(3)")
    path = tmp_path / "snapped.cif"
    path.write_text(text)
    (structure,) = read_cif_blocks(path)
    snapped = [note for note in structure.notes if "snapped" in note]
    assert snapped == [
        "snapped onto special positions (order of the site symmetry, distance moved): "
        "Fe1 (2, 0.0017 Å), N2 (2, 0.0017 Å)"
    ]


def test_site_without_coordinates_beside_an_aniso_loop(tmp_path):
    """A site whose coordinates are ``?`` is left out with a note; the U_ij rows of the
    others stay theirs, and a U_ij row naming the left-out site is dropped with it (this
    block raised ``ValueError: zip() argument 2 is shorter`` before). The U_ij are the
    printed ones: Fe1 0.011 … 0.001, O1 0.021 … 0.004."""
    text = C2C.format(ops="\n".join(f"{k} '{op}'" for k, op in enumerate(C2C_OPS, 1)))
    text = text.replace("N1 N 0.1000(3)", "Q1 Fe ? ? ? 0.02 1 d\nN1 N 0.1000(3)")
    text = text.split("loop_\n_geom_bond")[0] + (
        "loop_\n_atom_site_aniso_label\n_atom_site_aniso_U_11\n_atom_site_aniso_U_22\n"
        "_atom_site_aniso_U_33\n_atom_site_aniso_U_12\n_atom_site_aniso_U_13\n"
        "_atom_site_aniso_U_23\n"
        "Fe1 0.011 0.012 0.013 0 0.001 0\nQ1 0.031 0.032 0.033 0 0 0\n"
        "N1 0.021 0.022 0.023 0.002 0.003 0.004\n"
    )
    (s,) = read_cif(write(tmp_path, "nocoord.cif", text))
    assert s.labels == ("Fe1", "N1")
    assert "sites without coordinates ignored: Q1" in s.notes
    np.testing.assert_array_equal(
        s.u_aniso, [[0.011, 0.012, 0.013, 0, 0.001, 0], [0.021, 0.022, 0.023, 0.002, 0.003, 0.004]]
    )


@pytest.mark.parametrize("u33", ["0.0130(4)", "0.013*"])
def test_u_aniso_as_printed_read_at_once_or_on_first_use(tmp_path, u33):
    """The U_ij as printed (Fe1 0.0110(3) 0.012 U33 0 0.001 0; N1 0.021 ? 0.023 0.002
    0.003 0.004, '?' not given: NaN), read on first use when every value is a plain
    number or null (no note can come of them), at once when one is not ('0.013*', an old
    program's flag: a note and NaN). The same through a pickle, a deep copy and a copy of
    the fields made before the first use."""
    import copy
    import pickle

    from coordgeo.model import Deferred

    text = C2C.format(ops="\n".join(f"{k} '{op}'" for k, op in enumerate(C2C_OPS, 1)))
    text = text.split("loop_\n_geom_bond")[0] + (
        "loop_\n_atom_site_aniso_label\n_atom_site_aniso_U_11\n_atom_site_aniso_U_22\n"
        "_atom_site_aniso_U_33\n_atom_site_aniso_U_12\n_atom_site_aniso_U_13\n"
        "_atom_site_aniso_U_23\n"
        f"Fe1 0.0110(3) 0.012 {u33} 0 0.001 0\nN1 0.021 ? 0.023 0.002 0.003 0.004\n"
    )
    (s,) = read_cif(write(tmp_path, "aniso.cif", text))
    plain = u33 == "0.0130(4)"
    assert isinstance(vars(s)["u_aniso"], Deferred) == plain
    noted = [note for note in s.notes if "_atom_site_aniso_U_33 is not a number" in note]
    assert noted == ([] if plain else [noted[0]]) and (plain or "Fe1 ('0.013*'" in noted[0])
    fe, n1 = s.index("Fe1"), s.index("N1")
    nan = float("nan")
    expected = {
        fe: [0.011, 0.012, 0.013 if plain else nan, 0, 0.001, 0],
        n1: [0.021, nan, 0.023, 0.002, 0.003, 0.004],
    }
    shallow = object.__new__(type(s))
    vars(shallow).update(vars(s))  # the fields as they are (rings' copies)
    for view in (pickle.loads(pickle.dumps(s)), copy.deepcopy(s), shallow, s):
        u = view.u_aniso
        assert u.shape == (len(s), 6) and not u.flags.writeable
        for i, row in expected.items():
            np.testing.assert_array_equal(u[i], row)
        others = [i for i in range(len(s)) if i not in expected]
        assert np.isnan(u[others]).all()
    assert isinstance(vars(s)["u_aniso"], np.ndarray)  # made once, kept


def test_an_unreadable_formula_count_is_no_traceback(tmp_path):
    # '_chemical_formula_sum Fe. O2' (a lone '.' after Fe) with a half-occupied Fe on an
    # inversion centre: the 1/multiplicity occupancy check reads the formula, and
    # float('.') stopped the block with a ValueError traceback (review 10). Fe without a
    # count is one Fe: the block reads as with the formula written 'Fe O2'.
    rows = "Fe1 Fe 0 0 0 0.5\nO1 O 0.2 0 0 1\n"
    occupancies = []
    for formula in ("'Fe. O2'", "'Fe O2'"):
        between = f"_chemical_formula_sum {formula}\n_cell_formula_units_Z 1\n" + P1BAR_SYMOPS
        text = cubic_cif("fe_o2", rows, columns=("occupancy",), between=between)
        occupancies.append(list(read_cif(write(tmp_path, "f.cif", text))[0].occupancy))
    assert occupancies[0] == occupancies[1]
