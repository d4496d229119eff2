"""Rings: perception, Cg numbering, centroids and mean planes with su's (issue 15)."""

from __future__ import annotations

import itertools

import gemmi
import networkx as nx
import numpy as np
import pytest

from coordgeo import rings as rings_module
from coordgeo.geometry import cartesian_elementwise
from coordgeo.io.cif import read_cif
from coordgeo.model import orthogonalization_matrix
from coordgeo.rings import (
    aromatic_rings,
    centroid_label,
    find_rings,
    may_have_aromatic_rings,
    normal_jacobian,
    rings,
)

from cifs_for_tests import P1BAR_SYMOPS, cell_cif, write


def cif_text(atoms, cell=(20.0, 20.0, 20.0, 90.0, 90.0, 90.0), ops=("x,y,z",), su="") -> str:
    """A CIF of ``atoms`` = [(label, element, (x, y, z) fractional)], coordinates printed to
    6 decimals followed by ``su`` (e.g. ``"(5)"``: 5e-6 in the last digit)."""
    lines = [
        "data_test",
        *(f"_cell_{n} {v}" for n, v in zip(
            ("length_a", "length_b", "length_c", "angle_alpha", "angle_beta", "angle_gamma"),
            cell, strict=True,
        )),
        "loop_",
        "_space_group_symop_id",
        "_space_group_symop_operation_xyz",
        *(f"{k + 1} '{op}'" for k, op in enumerate(ops)),
        "loop_",
        "_atom_site_label",
        "_atom_site_type_symbol",
        "_atom_site_fract_x",
        "_atom_site_fract_y",
        "_atom_site_fract_z",
    ]  # fmt: skip
    for label, element, xyz in atoms:
        s = su if element != "H" else ""
        lines.append(f"{label} {element} " + " ".join(f"{v:.6f}{s}" for v in xyz))
    return "\n".join(lines) + "\n"


def hexagon(center, radius, z_offsets=(0, 0, 0, 0, 0, 0), start=0.0):
    """Cartesian vertices of a hexagon in the xy plane around ``center`` (Å), counter-
    clockwise from angle ``start``, each lifted by its z offset."""
    angles = start + np.radians(60.0 * np.arange(6))
    return [
        np.asarray(center) + np.array([radius * np.cos(a), radius * np.sin(a), dz])
        for a, dz in zip(angles, z_offsets, strict=True)
    ]


def chair_atoms(a: float) -> list:
    """A cyclohexane chair C21-C26 around (3, 10, 10) Å (projected radius 1.45 Å, z = ±0.25
    Å) with two H on each C, as fractional atoms of a cubic cell of edge ``a`` Å."""
    atoms = []
    chair = hexagon((3, 10, 10), 1.45, z_offsets=(0.25, -0.25, 0.25, -0.25, 0.25, -0.25))
    for k, x in enumerate(chair):
        atoms.append((f"C{k + 21}", "C", x / a))
        out = (x - np.array([3, 10, 10])) * np.array([1, 1, 0])
        out = out / np.linalg.norm(out)
        for j, up in enumerate((1.0, -1.0)):
            h = x + 0.6 * out + np.array([0, 0, up * 0.9])
            atoms.append((f"H{k + 21}{'AB'[j]}", "H", h / a))
    return atoms


def test_benzene_pyridine_and_chair_by_hand(tmp_path):
    # Benzene (C–C 1.39 Å) around (10, 10, 10) Å in a 20 Å cubic P1 cell, C–H 1.08 Å;
    # pyridine (one C replaced by N) around (10, 10, 2); a cyclohexane chair around
    # (3, 10, 10) with C–C 1.53 Å projected radius and z = ±0.25 Å, two H on each C.
    a = 20.0
    atoms = []
    for k, x in enumerate(hexagon((10, 10, 10), 1.39)):
        atoms.append((f"C{k + 1}", "C", x / a))
    for k, x in enumerate(hexagon((10, 10, 10), 1.39 + 1.08)):
        atoms.append((f"H{k + 1}", "H", x / a))
    for k, x in enumerate(hexagon((10, 10, 2), 1.39)):
        atoms.append(("N11" if k == 0 else f"C{k + 11}", "N" if k == 0 else "C", x / a))
    atoms += chair_atoms(a)
    s = read_cif(write(tmp_path, "x.cif", cif_text(atoms, su="(5)")))[0]
    found = find_rings(s)
    by_labels = {" ".join(r.labels): r for r in found}
    assert set(by_labels) == {
        "C1 C2 C3 C4 C5 C6",
        "N11 C12 C13 C14 C15 C16",
        "C21 C22 C23 C24 C25 C26",
    }
    # numbered by CIF order of the first atom: C1 (site 0), N11 (site 12), C21 (site 18)
    assert [r.name for r in found] == ["Cg1", "Cg2", "Cg3"]
    benzene, pyridine, chair = found
    assert benzene.aromatic and not benzene.heteroaromatic and benzene.planar
    assert pyridine.aromatic and pyridine.heteroaromatic
    assert not chair.aromatic and not chair.planar  # every C has four neighbours; puckered
    # the chair's mean plane is z = 10 Å: every atom 0.25 Å off it
    assert chair.max_deviation == pytest.approx(0.25, abs=1e-5)
    assert chair.rms_deviation == pytest.approx(0.25, abs=1e-5)
    # benzene: centroid the hexagon's centre, normal +z (atoms counter-clockwise seen from +z)
    np.testing.assert_allclose(benzene.centroid_fract, [0.5, 0.5, 0.5], atol=1e-6)
    np.testing.assert_allclose(benzene.normal, [0, 0, 1], atol=1e-6)
    assert benzene.max_deviation == pytest.approx(0.0, abs=1e-5)
    # su of the centroid's fractional x: the mean of six independent x with su 5e-6 each,
    # σ = 5e-6 / √6
    np.testing.assert_allclose(benzene.centroid_fract_su, 5e-6 / np.sqrt(6), rtol=1e-6)
    table = rings(s)
    assert list(table["cg"]) == ["Cg1", "Cg2", "Cg3"]
    assert table.loc[0, "x"] == pytest.approx(0.5, abs=1e-6)


def test_quick_aromatic_check_by_hand(tmp_path):
    # A cyclohexane chair alone (every C with two C and two H neighbours: four, not sp²)
    # cannot hold an aromatic ring; with a benzene beside it, it can.
    a = 20.0
    atoms = chair_atoms(a)
    alone = read_cif(write(tmp_path, "chair.cif", cif_text(atoms)))[0]
    assert not may_have_aromatic_rings(alone)
    assert [r.aromatic for r in find_rings(alone)] == [False]  # the chair is still a ring
    atoms += [(f"C{k + 1}", "C", x / a) for k, x in enumerate(hexagon((10, 10, 10), 1.39))]
    both = read_cif(write(tmp_path, "both.cif", cif_text(atoms)))[0]
    assert may_have_aromatic_rings(both)
    assert [r.aromatic for r in find_rings(both)] == [False, True]  # C21 is listed first


def _corpus_blocks(published_cifs):
    """(path, structure) of every readable block of the published corpus but 2104374.cif
    (no rings, test_an_intermetallic_has_no_rings, and slow to read)."""
    for path in published_cifs:
        if path.name == "2104374.cif":
            continue
        try:
            blocks = read_cif(path)
        except Exception:  # unreadable files are another test's business
            continue
        for s in blocks:
            yield path, s


def test_quick_aromatic_check_never_misses_a_ring(published_cifs, report_figure):
    # Whenever the check says "no aromatic ring possible" (and the π contacts skip the ring
    # search), the full perception finds none, at the default planarity limit and at a
    # limit no ring exceeds; the check must also rule out a fair share of the corpus.
    ruled_out = with_aromatic = 0
    for path, s in _corpus_blocks(published_cifs):
        aromatic = any(r.aromatic for r in find_rings(s, planarity=5.0))
        with_aromatic += aromatic
        if not may_have_aromatic_rings(s):
            ruled_out += 1
            assert not aromatic, f"{path.name} {s.block}"
    assert ruled_out >= 40 and with_aromatic >= 40
    report_figure(f"aromatic rings possible: ruled out in {ruled_out} blocks; "
                  f"{with_aromatic} blocks have one")  # fmt: skip


def test_small_searches_walked_path_by_path_find_the_vectorised_cycles(
    published_cifs, monkeypatch, report_figure
):
    # A small ring search walks its paths in Python (rings._walk_plain with every bond in
    # the asymmetric unit, rings._walk_images with bonds into a few symmetry images); the
    # vectorised search (the walks switched off) must give the same cycles and maps, in the
    # same order, whole and as may_have_aromatic_rings' small search (its path limit), on
    # every structure of the corpus, with the walks where they are chosen and wherever
    # they can run (up to 128 bonds, any number of maps).
    walked = {"_walk_plain": 0, "_walk_images": 0}
    for name in walked:
        walk = getattr(rings_module, name)

        def counted(*args, _walk=walk, _name=name):
            out = _walk(*args)
            walked[_name] += out is not None
            return out

        monkeypatch.setattr(rings_module, name, counted)
    chosen = {
        k: getattr(rings_module, k) for k in ("_WALK_BONDS", "_WALK_IMAGE_BONDS", "_WALK_MAPS")
    }
    settings = [
        {"_WALK_BONDS": 0, "_WALK_IMAGE_BONDS": 0},  # vectorised
        chosen,
        {"_WALK_BONDS": 128, "_WALK_IMAGE_BONDS": 128, "_WALK_MAPS": 10**6},
    ]
    for path, s in _corpus_blocks(published_cifs):
        edges, metal = rings_module._ring_bonds(s, rings_module.DEFAULT_TOLERANCE)
        if len(edges) == 0:
            continue
        for limit in (0, rings_module._SMALL_SEARCH):
            args = (s, edges, metal, rings_module.DEFAULT_TOLERANCE, limit)
            found = []
            for setting in settings:
                for key, value in setting.items():
                    monkeypatch.setattr(rings_module, key, value)
                found.append(rings_module._cycles(*args))
            (cycles, complete), *walks = found
            for again, complete_again in walks:
                assert complete_again == complete, f"{path.name} {s.block}"
                assert len(again) == len(cycles), f"{path.name} {s.block}"
                for (sites, maps), (sites_again, maps_again) in zip(cycles, again, strict=True):
                    assert sites_again.tolist() == sites.tolist(), f"{path.name} {s.block}"
                    assert (maps is None) == (maps_again is None)
                    if maps is not None:
                        assert np.array_equal(maps, maps_again)
    assert walked["_walk_plain"] >= 60 and walked["_walk_images"] >= 60
    report_figure(f"ring searches walked path by path: {walked['_walk_plain']} plain, "
                  f"{walked['_walk_images']} into images; cycles as vectorised")  # fmt: skip


def test_ring_across_an_inversion_centre_is_whole(tmp_path):
    # P-1, benzene centred on the inversion centre (1/2, 1/2, 1/2): the CIF holds C1-C3;
    # C4-C6 are their images -x+1,-y+1,-z+1 (code 2_666). One ring, centroid exactly there.
    a = 12.0
    ring = hexagon((6, 6, 6), 1.39)
    atoms = [(f"C{k + 1}", "C", ring[k] / a) for k in range(3)]
    atoms += [(f"H{k + 1}", "H", x / a) for k, x in enumerate(hexagon((6, 6, 6), 2.47)[:3])]
    s = read_cif(
        write(tmp_path, "x.cif", cif_text(atoms, (a, a, a, 90, 90, 90), ("x,y,z", "-x,-y,-z")))
    )[0]
    found = find_rings(s)
    assert len(found) == 1
    r = found[0]
    assert r.labels == ("C1", "C2", "C3", "C1", "C2", "C3")
    assert [str(a.code.shift) for a in r.atoms[3:]] == ["(1, 1, 1)"] * 3
    np.testing.assert_allclose(r.centroid_fract, [0.5, 0.5, 0.5], atol=1e-9)
    assert r.aromatic


def _authors_rings(structure) -> set[frozenset[str]]:
    """5- and 6-membered chordless cycles of the authors' own _geom_bond loop (bonds
    between untransformed atoms only): rings found without coordgeo's bond criterion."""
    frame = structure.geom["bond"].frame()
    code = frame.get("site_symmetry_2", None)
    g = nx.Graph()
    for _, row in frame.iterrows():
        if code is not None and row["site_symmetry_2"] not in (".", "1_555", "?"):
            continue
        a, b = row["atom_site_label_1"], row["atom_site_label_2"]
        if "H" in (structure.elements[structure.index(a)], structure.elements[structure.index(b)]):
            continue
        g.add_edge(a, b)
    out = set()
    for cycle in nx.simple_cycles(g, length_bound=6):
        if len(cycle) in (5, 6):
            sub = g.subgraph(cycle)
            if sub.number_of_edges() == len(cycle):  # chordless
                out.add(frozenset(cycle))
    return out


@pytest.mark.parametrize(
    "name",
    [
        "spin-crossover/Fe_qsal-I_2_OTf_MeOH_163K_293K_230K.cif",
        "published/2000724.cif",
        "published/2222274.cif",
        "published/7052868.cif",
        "published/2013611.cif",
    ],
)
def test_rings_equal_those_of_the_authors_bond_list(shared, name, report_figure):
    s = read_cif(shared / "cifs" / name)[0]
    ours = {
        frozenset(r.labels)
        for r in find_rings(s)
        if all(a.code.op == s.identity_op and a.code.shift == (0, 0, 0) for a in r.atoms)
    }
    theirs = _authors_rings(s)
    assert theirs, "the authors' bond list closes no ring"
    assert ours == theirs
    report_figure(f"rings {name.split('/')[-1]}: {len(ours)} = the authors' bond list's")


def test_centroids_and_normals_equal_an_svd_of_gemmi_coordinates(qsal_cif):
    # Independent: gemmi reads the block, the ring's centroid is the mean of its atoms and
    # the normal the last right-singular vector of the centred coordinates (numpy SVD).
    doc = gemmi.cif.read(str(qsal_cif))
    for block in doc:
        small = gemmi.make_small_structure_from_block(block)
        xyz = {site.label: np.array(small.cell.orthogonalize(site.fract).tolist()) for site in
               small.sites}  # fmt: skip
        s = read_cif(qsal_cif, block.name)[0]
        found = find_rings(s)
        assert len(found) == 10  # per qsal-I ligand: phenolate, 2 quinoline, 2 chelate rings
        for r in found:
            x = np.array([xyz[label] for label in r.labels])
            c = x.mean(axis=0)
            n = np.linalg.svd(x - c)[2][-1]
            np.testing.assert_allclose(r.centroid, c, atol=1e-9)
            assert abs(float(n @ r.normal)) == pytest.approx(1.0, abs=1e-10)
            assert r.max_deviation == pytest.approx(np.abs((x - c) @ n).max(), abs=1e-9)
        aromatic = {" ".join(sorted(r.labels)) for r in found if r.aromatic}
        assert len(aromatic) == 6 and not any(r.aromatic for r in found if r.metal)


def test_normal_jacobian_equals_differences_of_an_svd_normal():
    """∂n/∂x of the plane normal against central differences (10⁻⁶ Å) of the normal of
    numpy's SVD of the centred coordinates (its last right singular vector), for a
    puckered, tilted hexagon of 1.40 Å sides."""
    rng = np.random.default_rng(7)
    angle = np.radians(60.0 * np.arange(6))
    x = np.stack([1.4 * np.cos(angle), 1.4 * np.sin(angle), 0.03 * (-1.0) ** np.arange(6)], -1)
    x = x @ np.linalg.qr(rng.normal(size=(3, 3)))[0] + np.array([2.0, -1.0, 0.5])

    def svd_normal(y):
        n = np.linalg.svd(y - y.mean(axis=0))[2][-1]
        return n if n @ np.cross(y[0] - y.mean(0), y[1] - y.mean(0)) > 0 else -n

    c, n, jacobian = normal_jacobian(x)
    assert np.allclose(c, x.mean(axis=0)) and np.allclose(n, svd_normal(x))
    h = 1e-6
    for k, j in itertools.product(range(6), range(3)):
        up, down = x.copy(), x.copy()
        up[k, j] += h
        down[k, j] -= h
        expected = (svd_normal(up) - svd_normal(down)) / (2 * h)
        assert jacobian[k, :, j] == pytest.approx(expected, abs=1e-7)


def test_normal_and_centroid_su_match_monte_carlo(qsal_cif, report_figure):
    # Sample coordinates and cell from their su's (no linearisation) and compare the spread
    # of the normal's components and of the fractional centroid with the propagated su's.
    s = read_cif(qsal_cif, "wp91ltb")[0]
    ring = next(r for r in find_rings(s) if r.labels[0] == "C8")
    rng = np.random.default_rng(7)
    params, sig = np.array(s.cell.parameters), np.array(s.cell.su)
    normals, centroids = [], []
    for _ in range(4000):
        x = s.fract[ring.sites] + rng.normal(0, 1, (ring.size, 3)) * s.fract_su[ring.sites]
        m = orthogonalization_matrix(params + rng.normal(0, 1, 6) * sig)
        f = np.einsum("kij,kj->ki", s.rotations[ring.ops], x) + s.translations[ring.ops]
        f = f + ring.shifts
        c = (f @ m.T).mean(axis=0)
        n = np.linalg.svd(f @ m.T - c)[2][-1]
        normals.append(n if n @ ring.normal > 0 else -n)
        centroids.append(f.mean(axis=0))
    mc_n = np.std(normals, axis=0)
    mc_c = np.std(centroids, axis=0)
    np.testing.assert_allclose(ring.normal_su, mc_n, rtol=0.08)
    np.testing.assert_allclose(ring.centroid_fract_su, mc_c, rtol=0.08)
    report_figure(
        "ring C8-C13 normal su (linearised / Monte Carlo): "
        + ", ".join(f"{a:.5f}/{b:.5f}" for a, b in zip(ring.normal_su, mc_n, strict=True))
    )


def test_an_intermetallic_has_no_rings(shared):
    # Al-Cu-Ta, F-43m, thousands of metal-metal bonds: no ring has at most one metal
    s = read_cif(shared / "cifs" / "published" / "2104374.cif")[0]
    assert find_rings(s) == []


@pytest.mark.parametrize(
    ("text", "number"),
    [("Cg1", 1), ("Cg(1)", 1), ("CG12", 12), ("Cg", 0), ("Cg2'", 2), ("C1", None), ("Cl1", None)],
)
def test_centroid_labels(text, number):
    assert centroid_label(text) == number


# Review 9's chords at their reach: coordinates chosen to the last bit so that a distance
# between two non-adjacent ring atoms equals r + r + tolerance within rounding, and a BLAS
# product of one shape puts it inside, of another outside. The search and its walks then
# listed different rings (a 6-ring with its C2–C4 chord in one, not in the other).
_CELL = """_cell_length_a 10.0
_cell_length_b 11.0
_cell_length_c 12.0
_cell_angle_alpha 80.0
_cell_angle_beta 105.0
_cell_angle_gamma 95.0
"""
_CHORD_AT_REACH = {
    "chord": (
        "loop_\n_symmetry_equiv_pos_as_xyz\nx,y,z\n",
        """C1 C 0.4636978718389182 0.2924810844242419 0.4367830460379634 1
C2 C 0.5480921135605501 0.41212624796648306 0.40013333631776116 1
C3 C 0.7005124225014543 0.42927435137673997 0.4367830460379634 1
C4 C 0.6866978718389183 0.2924810844242419 0.4367830460379634 1
C5 C 0.6742833211763822 0.15568781747174393 0.4367830460379634 1
C6 C 0.5253814303392865 0.18613209551836543 0.43795514067035557 1
""",
    ),
    "chord_inv": (
        P1BAR_SYMOPS,
        """Te1 Te 0.18578916126541756 -0.011152236363624122 0.04740007000403632 1
C1 C 0.04807125039373166 0.12302322001117277 -0.054312350069620485 1
C2 C -0.01942840139048948 0.11450551504752515 0.04390947782456531 1
""",
    ),
}


@pytest.mark.parametrize("block", sorted(_CHORD_AT_REACH))
def test_a_chord_at_its_reach_is_decided_alike_by_the_search_and_its_walks(
    block, tmp_path, monkeypatch
):
    path = tmp_path / f"{block}.cif"
    symops, rows = _CHORD_AT_REACH[block]
    path.write_text(cell_cif(block, _CELL, rows, columns=("occupancy",), between=symops))
    s = read_cif(path)[0]
    found = []
    for walks in (0, 128):  # the vectorised search alone; the walks wherever they can run
        monkeypatch.setattr(rings_module, "_WALK_BONDS", walks)
        monkeypatch.setattr(rings_module, "_WALK_IMAGE_BONDS", walks)
        monkeypatch.setattr(rings_module, "_WALK_MAPS", 10**6 if walks else 3)
        rings_module._CACHE.pop(s, None)  # search again
        found.append([(r.number, r.labels, r.atoms) for r in find_rings(s)])
    assert found[0] == found[1]


def test_cartesian_positions_do_not_depend_on_the_array_shape() -> None:
    # the chord tests take their positions from geometry.cartesian_elementwise: a stack of
    # (p, 1, 3) and an (n, 3) matrix must give the same bits (BLAS products did not, review 9)
    rng = np.random.default_rng(9)
    o = orthogonalization_matrix((10.0, 11.0, 12.0, 80.0, 105.0, 95.0))
    f = rng.uniform(-1, 1, (2000, 3))
    flat = cartesian_elementwise(f, o)
    assert np.array_equal(cartesian_elementwise(f[:, None, :], o)[:, 0], flat)
    assert np.array_equal(cartesian_elementwise(f.reshape(40, 50, 3), o).reshape(-1, 3), flat)
    np.testing.assert_allclose(flat, f @ o.T, rtol=0, atol=1e-12)


def test_aromatic_rings_alone_are_find_rings_aromatic_ones(published_cifs, report_figure):
    # rings.aromatic_rings (what the π contacts take) describes only the rings that can be
    # aromatic: each must be the Ring find_rings gives, number, atoms, values and su's to
    # the last bit, on every block of the corpus (asked first, on a structure not searched)
    def fields(r):
        return (r.number, r.atoms, r.labels, r.elements, r.metal, r.planar, r.aromatic,
                r.heteroaromatic, r.max_deviation, r.rms_deviation, r.rms_deviation_su,
                *(tuple(v.tolist()) for v in (r.centroid, r.centroid_fract, r.normal,
                                               r.centroid_fract_su, r.normal_su)))  # fmt: skip

    skipped = aromatic = 0
    for path, s in _corpus_blocks(published_cifs):
        alone = aromatic_rings(s)
        every = find_rings(s)
        expected = [r for r in every if r.aromatic]
        assert [fields(r) for r in alone] == [fields(r) for r in expected], f"{path.name}"
        aromatic += len(expected)
        skipped += sum(not r.aromatic for r in every)
    assert aromatic >= 100 and skipped >= 100
    report_figure(f"aromatic rings alone: {aromatic} as find_rings gives them; "
                  f"{skipped} other rings not described")  # fmt: skip
