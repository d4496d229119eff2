"""The molecules of a bond graph, found in numpy, equal scipy's connected components
(the peer the numpy version replaced to spare one-file commands its import)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components as connected_components_scipy

from coordgeo.geometry import connected_components
from coordgeo.hbonds import covalent_bonds, ligand_bonds
from coordgeo.io.cif import read_cif_blocks


def test_components_equal_scipy_on_the_corpus(shared: Path):
    checked = 0
    for path in sorted((shared / "cifs" / "published").glob("*.cif"))[::4]:
        for s in read_cif_blocks(path):
            if isinstance(s, Exception):
                continue
            for bonds in (covalent_bonds(s), ligand_bonds(s)):
                n = len(s)
                graph = csr_matrix((np.ones(len(bonds)), (bonds.center, bonds.site)), shape=(n, n))
                _, expected = connected_components_scipy(graph, directed=False)
                assert np.array_equal(connected_components(n, bonds.center, bonds.site), expected)
                checked += 1
    assert checked > 80


def test_components_of_a_chain_and_isolated_nodes():
    # by hand: 0–3–5 a chain (given out of order), 1 and 4 alone, 2–6 a pair
    a = np.array([5, 3, 2])
    b = np.array([3, 0, 6])
    labels = connected_components(7, np.concatenate([a, b]), np.concatenate([b, a]))
    assert labels.tolist() == [0, 1, 2, 0, 3, 0, 2]
