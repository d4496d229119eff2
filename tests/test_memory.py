"""Caches keyed by a structure must let it go: bulk workers analyse thousands of files.

coordgeo keeps per-structure work (neighbour searches, bonds, rings, molecules) in
weakly keyed caches. A cached value that refers to its own key keeps the key alive,
and a worker's memory then grows with every file it has analysed (found by
benchmarks/bulk_vs_gemmi.py: the largest worker grew 229 → 413 MB from 1× to 10× the
corpus). After every door that caches has seen a structure, dropping the last reference
must free it.
"""

from __future__ import annotations

import gc
import sys
import weakref

from coordgeo.io.cif import read_cif_blocks
from coordgeo.pipeline import analyse_structure

from cifs_for_tests import cubic_cif


def _weak_caches() -> list[weakref.WeakKeyDictionary]:
    return [
        value
        for name, module in list(sys.modules.items())
        if name.startswith("coordgeo")
        for value in list(vars(module).values())
        if isinstance(value, weakref.WeakKeyDictionary)
    ]


def test_analysed_structures_are_freed(qsal_cif, shared) -> None:
    # qsal: rings, π–π and C–H···π contacts, H-bonds, molecules; 4502879: a CN-4 Co
    from coordgeo import bulk
    from coordgeo.bulk import analyse
    from coordgeo.check import check
    from coordgeo.rings import rings

    paths = [str(qsal_cif), str(shared / "cifs/published/4502879.cif")]
    refs = []
    for path in paths:
        for s in read_cif_blocks(path):
            a = analyse_structure(s)
            a.sites, a.hbonds, a.contacts, a.geometry, a.graph  # noqa: B018 (computed on use)
            rings(s)  # the rings' su's too
            check(s)
            refs.append(weakref.ref(s))
            del a, s
    out = analyse.Collected()
    for path in paths:
        assert analyse.analyse_file(path, bulk.Options(), out)
    caches = _weak_caches()
    assert len(caches) >= 4  # the caches this test is about exist
    gc.collect()
    alive = [r() for r in refs if r() is not None]
    assert not alive, f"{len(alive)} of {len(refs)} structures kept alive"
    assert all(len(c) == 0 for c in caches), [len(c) for c in caches]


def test_structures_of_a_batch_are_freed_once_its_tables_are_made(qsal_cif, shared, monkeypatch):
    # a worker's batch (Collected(batched=True)) keeps every structure until its sites are
    # evaluated together at to_tables; then nothing may keep them: the tables are columns
    from coordgeo import bulk
    from coordgeo.bulk import analyse
    from coordgeo.io import cif

    refs = []
    real = cif.read_cif_blocks

    def spy(*args, **kwargs):
        found = real(*args, **kwargs)
        refs.extend(weakref.ref(s) for s in found if not isinstance(s, Exception))
        return found

    monkeypatch.setattr(cif, "read_cif_blocks", spy)
    names = ["4502879.cif", "1101169.cif", "bs5068.cif"]  # 1, 1 and 7 blocks
    paths = [str(qsal_cif), *(str(shared / "cifs/published" / n) for n in names)]
    out = analyse.Collected(batched=True)
    for path in paths:
        assert analyse.analyse_file(path, bulk.Options(), out)
    gc.collect()
    assert len(refs) == 3 + 1 + 1 + 7  # qsal: 3 temperatures
    assert all(r() is not None for r in refs)  # held for the stacked sites, as they must be
    tables = analyse.to_tables(out, bulk.schemas(bulk.Options().shapes))
    assert len(tables["sites"]) > 0 and not out.pending
    caches = _weak_caches()
    assert len(caches) >= 4
    gc.collect()
    alive = [r() for r in refs if r() is not None]
    assert not alive, f"{len(alive)} of {len(refs)} structures kept alive"
    assert all(len(c) == 0 for c in caches), [len(c) for c in caches]


def _cif_with_operators(path, operators: list[str]) -> str:
    rows = "\n".join(f"{k + 1} '{op}'" for k, op in enumerate(operators))
    loop = f"loop_\n_symmetry_equiv_pos_site_id\n_symmetry_equiv_pos_as_xyz\n{rows}\n"
    path.write_text(cubic_cif("x", "Fe1 Fe 0.1 0.2 0.3\nO1 O 0.3 0.2 0.1\n", between=loop))
    return str(path)


def test_the_process_wide_operator_cache_is_bounded(tmp_path, monkeypatch) -> None:
    # the reader keeps each x,y,z operator list it has read (a space group's list recurs in
    # file after file): a list the group check refuses is never kept, and a stream of
    # files each with its own list stops filling the cache at its bound (in operators)
    from coordgeo.errors import InputError
    from coordgeo.io import cif

    monkeypatch.setattr(cif, "_SYMOP_LISTS", {})
    monkeypatch.setattr(cif, "_symop_cached", [0])
    monkeypatch.setattr(cif, "_SYMOP_CACHE_OPERATORS", 6)
    # x,y,z and x+1/3,y,z are not closed (x+2/3,y,z is missing): refused, not kept
    bad = _cif_with_operators(tmp_path / "bad.cif", ["x,y,z", "x+1/3,y,z"])
    (refused,) = read_cif_blocks(bad)  # a block's error is returned, not raised
    assert isinstance(refused, InputError) and "do not form a group" in str(refused)
    assert cif._SYMOP_LISTS == {}
    # five distinct spellings of P-1 (2 operators each): three fit in 6 operators
    for k in range(5):
        spelled = ["x,y,z", "-x,-y,-z" + " " * k]
        read_cif_blocks(_cif_with_operators(tmp_path / f"p{k}.cif", spelled))
    assert cif._symop_cached[0] == sum(map(len, cif._SYMOP_LISTS.values())) == 6
    assert len(cif._SYMOP_LISTS) == 3


def test_a_remembered_operator_list_gives_what_its_first_read_gave(tmp_path, monkeypatch):
    # a list is read once per process, its arrays made and group-checked once: a later
    # block listing it gets the same operators, arrays and notes. '-x,-y,-z' alone lacks
    # the identity: each block adds x,y,z first, with its note, and has P -1's two
    # operators (rotations diag(1,1,1) and diag(-1,-1,-1), no translation)
    import numpy as np

    from coordgeo.io import cif

    monkeypatch.setattr(cif, "_SYMOP_LISTS", {})
    monkeypatch.setattr(cif, "_SYMOP_ARRAYS", {})
    monkeypatch.setattr(cif, "_symop_cached", [0])
    reads = [
        read_cif_blocks(_cif_with_operators(tmp_path / f"p{k}.cif", ["-x,-y,-z"]))[0]
        for k in range(3)
    ]
    assert len(cif._SYMOP_LISTS) == 1 and len(cif._SYMOP_ARRAYS) == 1
    for s in reads:
        assert [op.triplet for op in s.symops] == ["x,y,z", "-x,-y,-z"]
        assert "the operator list has no identity; x,y,z added" in s.notes
        np.testing.assert_array_equal(s.rotations, [np.eye(3), -np.eye(3)])
        np.testing.assert_array_equal(s.translations, np.zeros((2, 3)))
        assert s.rotations.dtype == int and not s.rotations.flags.writeable
        # the two sites and their inversion images: a general position each
        assert s.site_symmetry_order.tolist() == [1, 1]
