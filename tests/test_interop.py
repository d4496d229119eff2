"""gemmi, ase and pymatgen objects in and out (coordgeo.interop).

The geometry an object carries must survive the trip: the coordination spheres of the
qsal series (three data blocks, Fe(III) at 163, 293 and 230 K) read from the CIF, and
read from the same CIF by gemmi, ase and pymatgen or exported to them and back, have the
same bond lengths to 1e-6 Å; and those agree with the authors' own ``_geom_bond`` rows.
"""

from __future__ import annotations

import warnings

import ase
import ase.io
import gemmi
import numpy as np
import pytest

import coordgeo
from coordgeo.coordination import coordination_spheres
from coordgeo.errors import InputError
from coordgeo.esd import parse_su
from coordgeo.interop import (
    as_structures,
    from_ase,
    from_cif_text,
    to_ase,
    to_gemmi,
    to_pymatgen,
)
from coordgeo.io.cif import read_cif

from cifs_for_tests import C2C, write

BLOCKS = ["wp91ltb", "wp91-rt2", "wp91-mt2"]


@pytest.fixture(scope="module")
def qsal(qsal_cif):
    return read_cif(qsal_cif)


def _spheres(structure):
    """Each metal's donor distances (sorted) with its element, configuration and occupancy."""
    return sorted(
        (
            structure.elements[sp.metal],
            sp.configuration,
            round(sp.occupancy, 9),
            tuple(sorted(sp.distances)),
        )
        for sp in coordination_spheres(structure)
    )


def _assert_same_spheres(got, want, copies=1):
    """``got`` holds each sphere of ``want`` ``copies`` times (a P1 cell holds every image)."""
    got, want = _spheres(got), _spheres(want)
    assert len(got) == copies * len(want)
    for k, sphere in enumerate(got):
        expected = want[k // copies]
        assert sphere[:3] == expected[:3]
        assert sphere[3] == pytest.approx(expected[3], abs=1e-6)


def test_authors_bond_lengths(qsal):
    # the anchor: coordgeo's Fe1 spheres against the authors' _geom_bond rows. The authors
    # computed from unrounded coordinates; the printed ones (4-5 decimals) move a bond by
    # up to ~1e-3 Å, so agreement is to the printed digit plus that.
    for s in qsal:
        rows = s.geom["bond"].frame()
        printed = sorted(parse_su(v)[0] for v in rows[rows.atom_site_label_1 == "Fe1"]["distance"])
        ((_, _, _, distances),) = _spheres(s)
        assert distances == pytest.approx(printed, abs=1.5e-3)


@pytest.mark.parametrize("index", range(3))
def test_ase_round_trip(qsal, index):
    s = qsal[index]
    atoms = to_ase(s)
    (back,) = as_structures(atoms)
    # P-1 with Fe1 on a general position: two Fe in the cell, two identical spheres
    _assert_same_spheres(back, s, copies=2)
    assert back.space_group == "P 1" and len(back) == len(atoms)
    assert back.block == s.block  # to_ase puts the block name in atoms.info
    assert not back.fract_su.any()  # su's are what an Atoms cannot carry


@pytest.mark.parametrize("index", range(3))
def test_pymatgen_round_trip(qsal, index):
    pytest.importorskip("pymatgen.core", reason="the pymatgen extra is not installed")
    s = qsal[index]
    pmg = to_pymatgen(s)
    assert len(pmg) == len(to_ase(s))  # the same cell contents as to_ase
    assert pmg.lattice.abc == pytest.approx(s.cell.parameters[:3])
    (back,) = as_structures(pmg)
    _assert_same_spheres(back, s, copies=2)


@pytest.mark.parametrize("index", range(3))
def test_gemmi_round_trip(qsal, index):
    s = qsal[index]
    small = to_gemmi(s)
    assert [site.label for site in small.sites] == list(s.labels)
    assert list(small.symops) == [op.triplet.replace(" ", "") for op in s.symops]
    (back,) = as_structures(small)
    # the asymmetric unit and its symmetry survive: the same single sphere, same labels
    _assert_same_spheres(back, s)
    assert back.labels == s.labels and back.space_group == s.space_group
    assert back.occupancy == pytest.approx(s.occupancy)
    assert back.u_iso == pytest.approx(s.u_iso, nan_ok=True)


def test_objects_read_by_the_peer_libraries(qsal_cif, qsal):
    """What gemmi, ase and pymatgen read from the CIF themselves gives the same spheres."""
    doc = gemmi.cif.read(str(qsal_cif))
    small = [gemmi.make_small_structure_from_block(b) for b in doc if b.name in BLOCKS]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the readers' notes on the CIF's dialect
        atoms = ase.io.read(qsal_cif, index=":")
    assert len(small) == len(atoms) == 3
    for k, s in enumerate(qsal):
        _assert_same_spheres(as_structures(small[k])[0], s)
        _assert_same_spheres(as_structures(atoms[k])[0], s, copies=2)
    pymatgen_cif = pytest.importorskip("pymatgen.io.cif", reason="pymatgen not installed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pymatgen_cif.CifParser(qsal_cif).parse_structures(primitive=False)
    for k, s in enumerate(qsal):
        _assert_same_spheres(as_structures(parsed[k])[0], s, copies=2)


def test_facade_takes_an_ase_atoms(qsal):
    s = qsal[0]
    from_cif = coordgeo.octahedra(s)
    from_atoms = coordgeo.octahedra(to_ase(s))
    assert len(from_cif) == 1 and len(from_atoms) == 2  # Fe1 and its inversion image
    for column in ("d_mean", "zeta", "Delta", "Sigma", "Theta", "cshm_oc6"):
        assert from_atoms[column].to_numpy() == pytest.approx(
            [from_cif[column].iloc[0]] * 2, abs=1e-6
        )
    assert (from_atoms["spin_state"] == from_cif["spin_state"].iloc[0]).all()


def test_cif_text_and_mixtures(qsal_cif, qsal):
    text = qsal_cif.read_text()
    from_text = as_structures(text)
    assert [s.block for s in from_text] == BLOCKS
    assert all(s.path == "<CIF text>" for s in from_text)
    for got, want in zip(from_text, qsal, strict=True):
        _assert_same_spheres(got, want)
        assert np.array_equal(got.fract_su, want.fract_su)  # text keeps the su's
    assert [s.block for s in as_structures(text.encode())] == BLOCKS
    mixed = as_structures([qsal_cif, qsal[1], to_gemmi(qsal[2]), to_ase(qsal[0])])
    assert [s.block for s in mixed] == [*BLOCKS, "wp91-rt2", "wp91-mt2", "wp91ltb"]
    assert as_structures(str(qsal_cif))[0].block == "wp91ltb"
    assert len(as_structures(s for s in qsal)) == 3  # any iterable


# A hand-made disordered site (after tests/test_coordination.py's): Fe at the centre of a
# 20 Å cube, four N at 0.1 × 20 = 2.0 Å; O1A/O2A (group 1, 0.6) at 2.0 Å, O1B/O2B (group 2,
# 0.4) at (0.03, 0, 0.095) × 20 = (0.6, 0, 1.9) Å, |d| = sqrt(3.97) = 1.992486 Å.
DISORDERED = """data_dis
_cell_length_a 20
_cell_length_b 20
_cell_length_c 20
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_occupancy
_atom_site_disorder_assembly
_atom_site_disorder_group
Fe1 Fe 0.5 0.5 0.5 1 . .
N1 N 0.6 0.5 0.5 1 . .
N2 N 0.4 0.5 0.5 1 . .
N3 N 0.5 0.6 0.5 1 . .
N4 N 0.5 0.4 0.5 1 . .
O1A O 0.5 0.5 0.6 0.6 A 1
O1B O 0.53 0.5 0.595 0.4 A 2
O2A O 0.5 0.5 0.4 0.6 A 1
O2B O 0.47 0.5 0.405 0.4 A 2
"""
HAND = {
    ("A:1", 0.6): [2.0] * 6,
    ("A:2", 0.4): [np.sqrt(3.97)] * 2 + [2.0] * 4,
}


def _configurations(structure):
    return {(c, occ): list(d) for _, c, occ, d in _spheres(structure)}


def test_disorder_survives_ase_and_pymatgen():
    (s,) = from_cif_text(DISORDERED)
    for got in (_configurations(s), _configurations(as_structures(to_ase(s))[0])):
        assert got.keys() == HAND.keys()
        for key, distances in HAND.items():
            assert got[key] == pytest.approx(distances, abs=1e-6)
    pytest.importorskip("pymatgen.core", reason="the pymatgen extra is not installed")
    assert _configurations(as_structures(to_pymatgen(s))[0]).keys() == HAND.keys()


def test_ase_readers_occupancies(tmp_path):
    # ase's own CIF reader keeps occupancies in info["occupancy"]; they must come through
    path = write(tmp_path, "dis.cif", DISORDERED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        atoms = ase.io.read(path)
    s = from_ase(atoms)
    assert sorted(np.round(s.occupancy, 6)) == sorted([1.0] * 5 + [0.6, 0.4, 0.6, 0.4])


def test_ase_labels(tmp_path):
    s = read_cif(write(tmp_path, "c2c.cif", C2C))[0]
    atoms = to_ase(s)  # 4 Fe1 and 8 N1 images: repeated labels are replaced, in order
    assert from_ase(atoms).labels == ("Fe1", "Fe2", "Fe3", "Fe4", *(f"N{i}" for i in range(1, 9)))
    atoms.set_array("labels", np.array([f"A{i}" for i in range(len(atoms))], dtype=object))
    assert from_ase(atoms).labels[:2] == ("A0", "A1")  # unique labels are kept


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (42, "cannot read structures from a int"),
        ({"a": 1}, "cannot read structures from a dict"),
        (ase.Atoms("Fe"), "without a 3D unit cell"),
        (ase.Atoms("Fe", cell=[5, 5, 5], pbc=[True, True, False]), "without a 3D unit cell"),
        ("data_x\n_cell_length_a 5\nloop_\n", "CIF syntax"),
        ("data_x\n_cell_length_a 5\n", "no data block with atom sites"),
        ("no-such-file.cif", "no-such-file.cif"),
        ([1.0], "cannot read structures from a float"),
        (gemmi.Structure(), "macromolecular"),
    ],
)
def test_unsupported_inputs(source, message):
    with pytest.raises(InputError, match=message):
        as_structures(source)


def test_unsupported_by_the_facade():
    with pytest.raises(InputError, match="give a CIF path or CIF text"):
        coordgeo.octahedra(3.5)


def test_pymatgen_molecule_is_refused():
    core = pytest.importorskip("pymatgen.core", reason="the pymatgen extra is not installed")
    with pytest.raises(InputError, match="no unit cell"):
        as_structures(core.Molecule(["Fe"], [[0, 0, 0]]))
