"""Distances, angles, torsions and their su's."""

from __future__ import annotations

import numpy as np
import pytest

from coordgeo.coordination import coordination_spheres
from coordgeo.geometry import (
    Atom,
    angle,
    distance,
    image_fract,
    measure,
    su_by_finite_differences,
    su_from_gradients,
    torsion,
)
from coordgeo.io.cif import read_cif
from coordgeo.model import orthogonalization_matrix
from coordgeo.symmetry import SymmetryCode

from cifs_for_tests import C2C, P63M, write


def test_hand_derived_values(tmp_path):
    s = read_cif(write(tmp_path, "c2c.cif", C2C))[0]
    fe, n1 = s.index("Fe1"), s.index("N1")
    d, _ = distance(s, Atom(fe, SymmetryCode(0)), Atom(n1, SymmetryCode(0)))
    assert d == pytest.approx(np.sqrt(3.32), abs=1e-9)  # derivation in cifs_for_tests.C2C
    d2, _ = distance(s, Atom(fe, SymmetryCode(0)), Atom(n1, SymmetryCode(1)))
    assert d2 == pytest.approx(d, abs=1e-12)
    a, _ = angle(s, Atom(n1, SymmetryCode(0)), Atom(fe, SymmetryCode(0)), Atom(n1, SymmetryCode(1)))
    assert a == pytest.approx(np.degrees(np.arccos(-2.6 / 3.32)), abs=1e-9)


def test_hand_derived_su_orthorhombic(tmp_path):
    # Two atoms along a in an orthorhombic cell: d = a (x2 - x1), so
    # var(d) = a^2 (sx1^2 + sx2^2) + (x2 - x1)^2 sa^2.
    text = """data_x
_cell_length_a 10.00(1)
_cell_length_b 10.00
_cell_length_c 10.00
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_space_group_name_H-M_alt 'P 1'
loop_
_atom_site_label
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
C1 0.1000(3) 0.5 0.5
C2 0.2500(4) 0.5 0.5
"""
    s = read_cif(write(tmp_path, "x.cif", text))[0]
    d, su = distance(s, Atom(0, SymmetryCode(0)), Atom(1, SymmetryCode(0)))
    assert d == pytest.approx(1.5)
    expected = np.sqrt(100 * (0.0003**2 + 0.0004**2) + 0.15**2 * 0.01**2)
    assert su == pytest.approx(expected, rel=1e-6)


def _monte_carlo_su(structure, atoms, n=4000, seed=1):
    """su of a measurement by sampling coordinates and cell from their su's (no linearisation)."""
    rng = np.random.default_rng(seed)
    sites = sorted({a.site for a in atoms})
    params = np.array(structure.cell.parameters)
    sig = np.array(structure.cell.su)
    values = []
    for _ in range(n):
        x = structure.fract.copy()
        for i in sites:
            x[i] = x[i] + rng.normal(0, 1, 3) * structure.fract_su[i]
        m = orthogonalization_matrix(params + rng.normal(0, 1, 6) * sig)
        pts = []
        for a in atoms:
            f = structure.rotations[a.code.op] @ x[a.site] + structure.translations[a.code.op]
            pts.append(m @ (f + np.array(a.code.shift)))
        p = np.array(pts)
        if len(atoms) == 2:
            values.append(np.linalg.norm(p[1] - p[0]))
        elif len(atoms) == 3:
            u, v = p[0] - p[1], p[2] - p[1]
            values.append(np.degrees(np.arccos(u @ v / np.linalg.norm(u) / np.linalg.norm(v))))
        else:
            b1, b2, b3 = p[1] - p[0], p[2] - p[1], p[3] - p[2]
            n1, n2 = np.cross(b1, b2), np.cross(b2, b3)
            values.append(np.degrees(np.arctan2(np.linalg.norm(b2) * b1 @ n2, n1 @ n2)))
    return float(np.std(values))


def test_linearised_su_matches_sampling(qsal_cif):
    # The triclinic qsal structure at 163 K: cell su's and coordinate su's both matter.
    s = read_cif(qsal_cif, "wp91ltb")[0]
    ident = SymmetryCode(0)
    fe, n1, o1, c1 = (Atom(s.index(x), ident) for x in ("Fe1", "N1", "O1", "C1"))
    for atoms, func in (
        ((fe, n1), distance),
        ((n1, fe, o1), angle),
        ((n1, fe, o1, c1), torsion),
    ):
        _, su = func(s, *atoms)
        assert su == pytest.approx(_monte_carlo_su(s, atoms), rel=0.08)


def test_symmetry_mates_share_their_site_error(tmp_path):
    # Fe1...Fe1 across the inversion centre: both ends are the same site, so the
    # coordinate error enters twice, coherently: su(d) = 2 * su(x) * a for a pair along x.
    text = """data_x
_cell_length_a 10.0
_cell_length_b 10.0
_cell_length_c 10.0
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
loop_
_symmetry_equiv_pos_as_xyz
x,y,z
-x,-y,-z
loop_
_atom_site_label
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
Fe1 0.2000(5) 0 0
"""
    s = read_cif(write(tmp_path, "x.cif", text))[0]
    d, su = distance(s, Atom(0, SymmetryCode(0)), Atom(0, SymmetryCode(1)))
    assert d == pytest.approx(4.0)
    assert su == pytest.approx(2 * 0.0005 * 10.0)


def test_finite_difference_su_equals_analytic(qsal_cif):
    s = read_cif(qsal_cif, "wp91ltb")[0]
    ident = SymmetryCode(0)
    atoms = [Atom(s.index("Fe1"), ident), Atom(s.index("N1"), ident)]
    _, su = distance(s, *atoms)
    _, su_fd = su_by_finite_differences(
        s, [atoms], lambda x: np.linalg.norm(x[..., 1, :] - x[..., 0, :], axis=-1)
    )
    assert su_fd[0] == pytest.approx(su, rel=1e-5)


def test_su_from_gradients_equals_measure(qsal_cif):
    # Several functions at once from their Jacobians (n, m, 3, q): a bond length (its
    # gradient ±û by hand) and twice that bond; su's as measure() gives, the second doubled,
    # and a NaN value gives a NaN su.
    s = read_cif(qsal_cif, "wp91ltb")[0]
    sites = np.array([[s.index("Fe1"), s.index("N1")], [s.index("Fe1"), s.index("O1")]])
    ops = np.zeros((2, 2), dtype=int)
    shifts = np.zeros((2, 2, 3))
    values, sus = measure(s, sites, ops, shifts)
    f = image_fract(s, sites, ops, shifts)
    x = f @ s.cell.orthogonalization.T
    u = (x[:, 1] - x[:, 0]) / values[:, None]
    grad = np.stack([-u, u], axis=1)[..., None] * np.array([1.0, 2.0])  # (2, 2, 3, 2)
    both = np.stack([values, 2 * values], axis=1)
    both[1, 1] = np.nan
    out = su_from_gradients(s, sites, ops, f, both, grad)
    np.testing.assert_allclose(out[:, 0], sus, rtol=1e-12)
    assert out[0, 1] == pytest.approx(2 * sus[0], rel=1e-12) and np.isnan(out[1, 1])


def test_special_position_bonds_identical(tmp_path):
    s = read_cif(write(tmp_path, "p63m.cif", P63M))[0]
    (sphere,) = coordination_spheres(s)
    assert sphere.coordination_number == 6
    # six images of one N under the -6 site symmetry: identical lengths after snapping
    assert max(sphere.distances) - min(sphere.distances) < 1e-12


def test_measure_vectorised_matches_scalar(qsal_cif):
    s = read_cif(qsal_cif, "wp91ltb")[0]
    sites = np.array([[0, 3], [0, 4]])
    ops = np.zeros((2, 2), dtype=int)
    shifts = np.zeros((2, 2, 3))
    v, su = measure(s, sites, ops, shifts)
    d, dsu = distance(s, Atom(0, SymmetryCode(0)), Atom(4, SymmetryCode(0)))
    assert v[1] == pytest.approx(d) and su[1] == pytest.approx(dsu)


def _structure_arrays(s) -> dict[str, np.ndarray]:
    """Every array field of a Structure (10), the arrays it derives and keeps, its cell's
    matrices and its operators' rotations and translations, by name."""
    import dataclasses

    arrays = {
        f.name: getattr(s, f.name)
        for f in dataclasses.fields(s)
        if isinstance(getattr(s, f.name), np.ndarray)
    }
    assert len(arrays) == 10
    for name in ("rotations", "rotations_float", "translations", "cartesian"):
        arrays[name] = getattr(s, name)
    arrays["orthogonalization"] = s.cell.orthogonalization
    arrays["fractionalization"] = s.cell.fractionalization
    for k, op in enumerate(s.symops):
        arrays[f"rotation {k}"] = op.rotation
        arrays[f"translation {k}"] = op.translation
    return arrays


def test_structure_arrays_are_read_only_and_replace_makes_a_new_structure(tmp_path):
    """Per-structure caches (the R·x + t image table here, bonds, rings, H-bonds) hold values
    derived from a structure's arrays, so writing into them in place would leave those
    stale: every array of a Structure, its cell's and its operators' is read-only. A new
    structure with other coordinates comes from dataclasses.replace. C2C (cifs_for_tests):
    Fe1–N1 is (1.0, 0.6, −1.4) Å, 1.82209 Å; N1 moved to x = 0.12 makes it (1.2, 0.6, −1.4),
    √3.76 = 1.93907 Å, in the new structure only."""
    import dataclasses

    from coordgeo.coordination import bonds

    (s,) = read_cif(write(tmp_path, "c2c.cif", C2C))
    fe_n = bonds(s).query("atom1 == 'Fe1' and atom2 == 'N1'").distance
    assert fe_n.tolist() == pytest.approx([1.82209] * 2, abs=1e-5)
    arrays = _structure_arrays(s)
    for name, array in arrays.items():
        with pytest.raises(ValueError, match="read-only"):
            array[0] = array[0]  # the same value: only the write itself is refused
        with pytest.raises(ValueError, match="read-only"):
            array += 0
        assert not array.flags.writeable, name
    moved = s.fract.copy()  # a writable copy is the caller's own
    moved[s.index("N1"), 0] = 0.12
    t = dataclasses.replace(s, fract=moved)
    assert not t.fract.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        moved[0, 0] = 0.5  # given to the new structure: frozen, not silently shared
    new = bonds(t).query("atom1 == 'Fe1' and atom2 == 'N1'").distance
    assert new.tolist() == pytest.approx([1.93907] * 2, abs=1e-5)
    assert bonds(s).query("atom1 == 'Fe1' and atom2 == 'N1'").distance.tolist() == (fe_n.tolist())
    # a view of a writable array is copied: writing through its base changes nothing
    base = np.array(s.occupancy, dtype=float)
    u = dataclasses.replace(s, occupancy=base[:])
    base[:] = 0.25
    assert u.occupancy.tolist() == s.occupancy.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_structure_arrays_stay_read_only_through_pickle_and_deepcopy(tmp_path, how):
    """pickle and copy.deepcopy rebuild a Structure (and its Cell and SymOps) from its
    __dict__ without __post_init__ and give back writable arrays: each must be read-only
    again, cached ones (cartesian, the cell's matrices) included, with the same values:
    C2C Fe1–N1 1.82209 Å (cifs_for_tests) in the copy."""
    import copy
    import pickle

    from coordgeo.coordination import bonds

    (s,) = read_cif(write(tmp_path, "c2c.cif", C2C))
    cached = (s.cartesian, s.rotations, s.cell.fractionalization)  # kept before the copy
    assert all(not a.flags.writeable for a in cached)
    t = pickle.loads(pickle.dumps(s)) if how == "pickle" else copy.deepcopy(s)
    assert t is not s and t.fract is not s.fract
    arrays = _structure_arrays(t)
    for name, array in arrays.items():
        assert not array.flags.writeable, name
        with pytest.raises(ValueError, match="read-only"):
            array[0] = array[0]
    assert np.array_equal(t.fract, s.fract) and np.array_equal(t.cartesian, s.cartesian)
    fe_n = bonds(t).query("atom1 == 'Fe1' and atom2 == 'N1'").distance
    assert fe_n.tolist() == pytest.approx([1.82209] * 2, abs=1e-5)
