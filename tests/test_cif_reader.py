"""Reading CIFs into Structures, and what happens with bad input."""

from __future__ import annotations

import pytest

from coordgeo.errors import InputError
from coordgeo.io.cif import read_cif, read_cif_blocks

from cifs_for_tests import C2C, NO_SYMOP_LOOP, write


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
