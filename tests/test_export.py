"""Export to ase.Atoms."""

from __future__ import annotations

import numpy as np
import pytest

from coordgeo.coordination import coordination_spheres
from coordgeo.export import sphere_to_ase, to_ase
from coordgeo.io.cif import read_cif

from cifs_for_tests import C2C, write


def test_unit_cell_contents(tmp_path):
    s = read_cif(write(tmp_path, "c2c.cif", C2C))[0]
    atoms = to_ase(s)
    # C2/c, Z = 8 general positions: N1 has 8 images; Fe1 on the 2-fold axis has 4
    assert sorted(atoms.get_chemical_symbols()).count("N") == 8
    assert atoms.get_chemical_symbols().count("Fe") == 4
    assert atoms.cell.cellpar() == pytest.approx([10, 12, 14, 90, 90, 90])
    # ase's own distance between Fe1 and the untransformed N1 (minimum image) is the bond
    fe = int(np.flatnonzero(atoms.get_array("labels") == "Fe1")[0])
    d = atoms.get_distances(fe, range(len(atoms)), mic=True)
    assert np.sort(d)[1] == pytest.approx(np.sqrt(3.32))  # hand value, cifs_for_tests.C2C
    # what from_ase reads back: C2C gives Uiso 0.02 for both sites and no disorder
    assert atoms.get_array("u_iso") == pytest.approx([0.02] * 12)
    assert (
        set(atoms.get_array("disorder_group")) == set(atoms.get_array("disorder_assembly")) == {""}
    )


def test_sphere_export(qsal_cif):
    s = read_cif(qsal_cif, "wp91ltb")[0]
    (sphere,) = coordination_spheres(s)
    atoms = sphere_to_ase(s, sphere)
    assert atoms.get_chemical_symbols()[0] == "Fe" and len(atoms) == 7
    assert atoms.get_distances(0, range(1, 7)) == pytest.approx(sphere.distances)
    assert list(atoms.get_array("labels")[:2]) == ["Fe1", "O1"]
