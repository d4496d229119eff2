"""Symmetry codes: n_klm ⇄ operator strings ⇄ letters, special positions."""

from __future__ import annotations

import numpy as np
import pytest

from coordgeo.errors import InputError
from coordgeo.io.cif import read_cif
from coordgeo.symmetry import (
    SymmetryCode,
    assign_letters,
    code_to_triplet,
    format_code,
    legend,
    lettered_label,
    letters,
    operation_code,
    parse_code,
    parse_gsas2_code,
    read_code,
    triplet_to_code,
)

from cifs_for_tests import C2C, P63M, write


@pytest.fixture
def c2c(tmp_path):
    return read_cif(write(tmp_path, "c2c.cif", C2C))[0]


def test_nklm_forms(c2c):
    # operator 4 of C2/c is -x+1/2,y+1/2,-z+1/2; 4_565 adds +1 along b
    assert parse_code("4_565", c2c) == SymmetryCode(3, (0, 1, 0))
    assert parse_code("4 565", c2c) == SymmetryCode(3, (0, 1, 0))
    assert parse_code("'4_565'", c2c) == SymmetryCode(3, (0, 1, 0))
    assert parse_code(".", c2c) == SymmetryCode(0)
    assert parse_code("1_555", c2c) == SymmetryCode(0)
    assert parse_code("3", c2c) == SymmetryCode(2)
    # ORTEP klmnn: translation 5 5 6, operator 07
    assert parse_code("55607", c2c) == SymmetryCode(6, (0, 0, 1))
    # -n: the centrosymmetric mate of operator n; -(x+1/2, y+1/2, z) = op 7 shifted by (-1,-1,0)
    assert parse_code("-3_555", c2c) == SymmetryCode(6, (-1, -1, 0))


def test_code_round_trips(c2c):
    for text in ("4_565", "2_655", "5_444", "8_556", "."):
        assert format_code(parse_code(text, c2c), c2c) == text
    code = parse_code("4_565", c2c)
    assert code_to_triplet(code, c2c) == "-x+1/2,y+3/2,-z+1/2"
    assert triplet_to_code("-x+1/2,y+3/2,-z+1/2", c2c) == code
    # the seed's legend style, with spaces and the constant first
    assert triplet_to_code("1/2 - x, 3/2 + y, 1/2 - z", c2c) == code
    assert format_code(triplet_to_code("-x+1,y,-z+1/2", c2c), c2c) == "2_655"


def test_bad_codes_are_input_errors(c2c):
    with pytest.raises(InputError, match="names operator 9"):
        parse_code("9_555", c2c)
    with pytest.raises(InputError, match="not an operation"):
        triplet_to_code("-x, y, -z+2/3", c2c)  # not in C2/c whatever the translation
    with pytest.raises(InputError):
        parse_code("garbage", c2c)


def test_operation_code(c2c):
    # x -> -x + (1, 0, 0) is operator 5 (-x,-y,-z) of the C2/c list shifted by +a; a
    # four-fold rotation is no operation of a monoclinic group
    inversion = -np.eye(3, dtype=int)
    assert operation_code(inversion, [1, 0, 0], c2c) == SymmetryCode(4, (1, 0, 0))
    assert operation_code(inversion, [0.5, 0.5, 0], c2c) == SymmetryCode(6, (0, 0, 0))
    four = np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]])
    assert operation_code(four, [0, 0, 0], c2c) is None


def test_gsas2_codes(c2c):
    # GSAS-II's ±(100·C + n)_klm with the C2/c list above (GSAS-II's own operators first:
    # 1 x,y,z and 2 -x,y,-z+1/2; centring vector 1 of C is (1/2, 1/2, 0)):
    #   101_555  = x + (1/2, 1/2, 0)                  = operator 3 x+1/2,y+1/2,z
    #   -102_556 = -(-x, y, -z+1/2) + (1/2, 1/2, 0) + (0, 0, 1)
    #            = (x+1/2, -y+1/2, z+1/2)             = operator 8, no translation
    #   -1_655   = -x + (1, 0, 0)                     = operator 5 (-x,-y,-z) + a
    assert parse_gsas2_code("101_555", c2c) == SymmetryCode(2, (0, 0, 0))
    assert parse_gsas2_code("-102_556", c2c) == SymmetryCode(7, (0, 0, 0))
    assert parse_gsas2_code("-1_655", c2c) == SymmetryCode(4, (1, 0, 0))
    # the minus sign means the same as in the older CIF form -n_klm
    assert parse_gsas2_code("-2_555", c2c) == parse_code("-2_555", c2c)
    # read_code: n_klm first, GSAS-II's form only for what n_klm cannot be
    assert read_code("3_555", c2c) == (SymmetryCode(2, (0, 0, 0)), "")
    code, how = read_code("-102_556", c2c)
    assert code == SymmetryCode(7, (0, 0, 0)) and "GSAS-II" in how
    with pytest.raises(InputError, match="GSAS-II's names operator 9"):
        parse_gsas2_code("109_555", c2c)
    with pytest.raises(InputError, match="centring vector 3, but the structure has C lattice"):
        parse_gsas2_code("301_555", c2c)
    with pytest.raises(InputError, match="names operator 109"):
        read_code("109_555", c2c)  # neither reading: the n_klm error is the one reported


def test_letters_and_legend(c2c):
    assert letters(3) == ["A", "B", "C"]
    assert letters(28)[26:] == ["AA", "AB"]
    a, b = SymmetryCode(1, (1, 0, 0)), SymmetryCode(4)
    assigned = assign_letters([SymmetryCode(0), a, b, a], c2c)
    assert assigned == {a: "A", b: "B"}
    assert legend(assigned, c2c)[0] == ("A", "-x+1,y,-z+1/2", "2_655")
    assert lettered_label("N1", "A") == "N1A"
    assert lettered_label("Fe(1)", "A") == "Fe(1A)"  # as in seed 003: O(3B)
    assert lettered_label("C12B", "A") == "C12B_A"  # a label ending in a letter stays readable


def test_special_position_snapped(tmp_path):
    s = read_cif(write(tmp_path, "p63m.cif", P63M))[0]
    co = s.index("Co1")
    # 0.3333, 0.6667 are 1/3, 2/3 rounded; the -6 site has order 6 (hand: 3-fold x mirror)
    assert s.fract[co] == pytest.approx([1 / 3, 2 / 3, 0.25], abs=1e-12)
    assert s.site_symmetry_order[co] == 6
    assert any("snapped onto special positions" in n and "Co1 (6, " in n for n in s.notes)
    # a coordinate fixed by symmetry has no variance left
    assert np.allclose(s.fract_cov[co], 0.0)
