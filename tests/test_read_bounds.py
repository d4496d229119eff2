"""Reading stays bounded on a cell that cannot hold its atoms.

A nearly flat cell (a = b = c = 10 Å, α = β = γ = 119.9999°: V = 2.6 Å³) is accepted by
the cell checks; 2000 sites in it are 767 atoms per Å³. Before the density check came
first, the search for symmetry duplicates paired every site with every image 27 times
over (11 s and 1.4 GB for 1000 sites, killed at 120 s for 2000).
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from coordgeo.errors import InputError
from coordgeo.io.cif import read_cif_blocks


def test_flat_cell_with_many_sites_is_refused_at_once(tmp_path: Path):
    rnd = random.Random(1)
    rows = "\n".join(
        f"C{i} C {rnd.random():.5f} {rnd.random():.5f} {rnd.random():.5f}" for i in range(2000)
    )
    path = tmp_path / "flat.cif"
    path.write_text(
        "data_flat\n_cell_length_a 10\n_cell_length_b 10\n_cell_length_c 10\n"
        "_cell_angle_alpha 119.9999\n_cell_angle_beta 119.9999\n_cell_angle_gamma 119.9999\n"
        "_symmetry_space_group_name_H-M 'P 1'\nloop_\n_atom_site_label\n_atom_site_type_symbol\n"
        "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n" + rows + "\n"
    )
    start = time.process_time()
    (result,) = read_cif_blocks(path)
    assert time.process_time() - start < 2.0
    assert isinstance(result, InputError)
    assert "atoms in 2.608 Å³" in str(result) and "block flat" in str(result)


@pytest.mark.parametrize("grid", [True, False], ids=["grid", "every-pair"])
def test_symmetry_duplicates_with_one_grid_cell_per_axis(grid, monkeypatch):
    """A cell thinner than twice the tolerance in every direction is one grid cell: each
    pair is measured once (not 27 times) and the answer equals the brute force, by the
    grid and by measuring every pair of one kind (what a few sites get)."""
    import numpy as np

    from coordgeo import symmetry
    from coordgeo.symmetry import symmetry_duplicates

    monkeypatch.setattr(symmetry, "DENSE_DUPLICATE_PAIRS", 0 if grid else 10**9)

    fract = np.array([[0.1, 0.1, 0.1], [0.1 + 1e-4, 0.1, 0.1], [0.6, 0.6, 0.6], [0.6, 0.6, 0.1]])
    tiny = np.diag([0.03, 0.03, 0.03])  # a 0.03 Å cube (tolerance 0.02 Å)
    out = symmetry_duplicates(fract, ["C"] * 4, np.eye(3)[None], np.zeros((1, 3)), tiny)
    # by hand: site 1 is 3e-6 Å from site 0; site 2 is 0.5 of each axis away from site 0,
    # 0.015·√3 = 0.026 Å > 0.02; site 3 is 0.015·√2 = 0.0212 Å from sites 0 and 1 (kept
    # apart) but 0.5·0.03 = 0.015 Å from site 2 along z: it repeats site 2
    assert out.tolist() == [-1, 0, -1, 2]
