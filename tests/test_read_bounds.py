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


def test_duplicate_search_memory_grows_with_pairs_not_sites_squared():
    """20 000 sites of 19 999 kinds (every partly occupied site is a kind of its own) have
    one pair to measure: the search must not build a 20 000 × 20 000 mask (400 MB of
    booleans; review of 243a093 measured 1.2 GB RSS for such a CIF). Expected: the one
    pair, sites 0 and 1, is found as a duplicate (site 1 is site 0 moved by x+1/2)."""
    import tracemalloc

    import numpy as np

    from coordgeo.symmetry import symmetry_duplicates

    n = 20_000
    rng = np.random.default_rng(7)
    fract = rng.random((n, 3))
    fract[1] = (fract[0] + [0.5, 0.0, 0.0]) % 1.0
    kinds = ["C", "C", *(f"C{k}" for k in range(2, n))]
    rotations = np.array([np.eye(3, dtype=int)] * 2)
    translations = np.array([[0.0, 0.0, 0.0], [0.5, 0.0, 0.0]])
    tracemalloc.start()
    out = symmetry_duplicates(fract, kinds, rotations, translations, np.eye(3) * 300.0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert out[1] == 0 and (out[2:] == -1).all() and out[0] == -1
    assert peak < 50e6, f"{peak / 1e6:.0f} MB"


def test_pairs_of_one_kind_by_hand():
    """Sites 0, 2, 4 are of kind 0, sites 1, 5 of kind 1, site 3 alone: the pairs i < j
    of one kind are (0, 2), (0, 4), (2, 4) and (1, 5), each once."""
    import numpy as np

    from coordgeo.symmetry import _pairs_of_one_kind

    kind = np.array([0, 1, 0, 2, 0, 1])
    first, site = _pairs_of_one_kind(kind, np.bincount(kind))
    got = sorted(zip(first.tolist(), site.tolist(), strict=True))
    assert got == [(0, 2), (0, 4), (1, 5), (2, 4)]


@pytest.mark.parametrize(
    ("space_group", "sites", "refused"),
    [
        # P 1, a 10 Å cube (1000 Å³): 500 sites are 0.5 atoms per Å³, at the limit (read);
        # 501 are 0.501, over it
        ("P 1", 500, None),
        ("P 1", 501, "501 atoms in 1000 Å³ (0.501 per Å³"),
        # P -1 on general positions: two atoms per site, 250 sites are 500 atoms (read),
        # 251 sites 502 (refused by the count with the site symmetry, after the first
        # count of one atom per site let them through)
        ("P -1", 250, None),
        ("P -1", 251, "502 atoms in 1000 Å³ (0.502 per Å³"),
    ],
)
def test_density_limit_at_its_edge(tmp_path: Path, space_group, sites, refused):
    # sites on a 0.125 grid (8 × 8 × 8 points) offset from the inversion centres
    # (x, y, z ∈ {0, ½}) so that each is on a general position and no site is the image
    # of another: in P -1 the image of (x, y, z) is (-x, -y, -z) ≡ (1-x, 1-y, 1-z), a grid
    # point only when 2·0.03 + (k + m)/8 = 1 (0.04 and 0.05 for y and z), which no k, m give
    points = [(i, j, k) for i in range(8) for j in range(8) for k in range(8)][:sites]
    rows = "\n".join(
        f"C{n + 1} C {0.03 + i / 8:.5f} {0.04 + j / 8:.5f} {0.05 + k / 8:.5f}"
        for n, (i, j, k) in enumerate(points)
    )
    ops = "x,y,z" if space_group == "P 1" else "x,y,z\n-x,-y,-z"
    path = tmp_path / "edge.cif"
    path.write_text(
        "data_edge\n_cell_length_a 10\n_cell_length_b 10\n_cell_length_c 10\n"
        "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
        f"_symmetry_space_group_name_H-M '{space_group}'\n"
        f"loop_\n_symmetry_equiv_pos_as_xyz\n{ops}\n"
        "loop_\n_atom_site_label\n_atom_site_type_symbol\n"
        "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n" + rows + "\n"
    )
    (result,) = read_cif_blocks(path)
    if refused is None:
        assert not isinstance(result, InputError), result
        assert len(result) == sites and not result.duplicates
        assert (result.site_symmetry_order == 1).all()
    else:
        assert isinstance(result, InputError)
        assert refused in str(result) and "more than 0.5" in str(result)


@pytest.mark.parametrize("tag", ["_atom_site_disorder_group", "_ATOM_SITE_Disorder_Group"])
def test_a_site_column_outside_the_site_loop(tmp_path: Path, tag):
    # one site in the loop and its disorder group as a pair item (tag names are
    # case-insensitive in CIF 1.1): the group is the site's; a loop of another category
    # with no such tag changes nothing
    path = tmp_path / "one.cif"
    path.write_text(
        "data_one\n_cell_length_a 10\n_cell_length_b 10\n_cell_length_c 10\n"
        "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
        f"_symmetry_space_group_name_H-M 'P 1'\n{tag} 2\n"
        "loop_\n_atom_type_symbol\n_atom_type_oxidation_number\nFe 3\n"
        "loop_\n_atom_site_label\n_atom_site_type_symbol\n"
        "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nFe1 Fe 0.1 0.2 0.3\n"
    )
    (s,) = read_cif_blocks(path)
    assert s.labels == ("Fe1",) and s.disorder_group == ("2",) and s.disorder_assembly == ("",)
