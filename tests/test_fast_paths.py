"""The fast paths of issue 16 against the plain algorithms they replace, on the corpus.

Each fast path keeps the slow one as its fallback (or as the rule it restates); here the
two run side by side on every published structure and must agree exactly:

* bonds kept once: keyed by (i, j, operator, shift) with each operator's inverse looked
  up in the list (``coordination._one_direction``) against keyed by the matrices R, t
  (``_one_direction_by_matrices``);
* unit-cell images of each site: duplicates removed only for sites that may lie on a
  special position, pairwise (``geometry.unit_cell_images``), against the image-by-image
  comparison of every site, written out below;
* the derivatives of the orthogonalisation matrix, twelve cells at once, against twelve
  calls of :func:`coordgeo.model.orthogonalization_matrix`; the moved positions (∂M/∂p) x
  of the su propagation as one (n, 3)·(3, 18) product against a row-by-matrix product
  per atom and parameter; the su propagation (Mᵀ∇f of every atom as one product) against
  differences of each value in the CIF's fractional coordinates;
* vector lengths √((x² + y²) + z²) against ``np.linalg.norm`` (bit for bit);
* the neighbour search measuring only the lattice translations that can be within reach
  (``geometry._possible_trials``) against all 27 trials around every image of the unit
  cell, each centre against each image, no cell list;
* the neighbour search's candidates from gemmi's cell list against every centre–image
  pair (``geometry.DENSE_PAIRS``), and the search for sites listed twice
  (``symmetry.symmetry_duplicates``) by a grid against every pair of one kind;
* the bond table assembled from its column arrays against ``pd.DataFrame`` of them; the
  H-bond table likewise.
"""

from __future__ import annotations

import contextlib
import importlib
import warnings

import numpy as np
import pytest

from coordgeo.coordination import (
    _one_direction,
    _one_direction_by_matrices,
    bond_contacts,
)
from coordgeo.errors import InputError
from coordgeo.geometry import (
    _GRADIENTS,
    _derivative_columns,
    _orthogonalization_derivatives,
    cartesian_of,
    contacts,
    image_fract,
    unit_cell_images,
)
from coordgeo.io.cif import read_cif_blocks
from coordgeo.model import orthogonalization_matrix
from coordgeo.symmetry import vector_lengths


@pytest.fixture(scope="module")
def structures(published_cifs):
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in published_cifs:
            if path.name == "2104374.cif":  # 20 000 disorder configurations: slow, no new case
                continue
            try:
                out += [s for s in read_cif_blocks(path) if not isinstance(s, InputError)]
            except InputError:
                continue
    assert len(out) > 150
    return out


def _images_one_by_one(structure) -> np.ndarray:
    """Image j of a site is dropped when it is within 1e-5 (fractional, modulo the lattice)
    of an earlier image that was kept: the rule of unit_cell_images, image by image."""
    images = np.einsum("kij,nj->nki", structure.rotations, structure.fract)
    images = images + structure.translations
    inside = images - np.floor(images + 1e-9)
    inside[inside >= 1.0 - 1e-9] = 0.0
    n, k = inside.shape[:2]
    keep = np.ones((n, k), dtype=bool)
    for i in range(n):
        for j in range(1, k):
            d = inside[i, :j] - inside[i, j]
            d -= np.round(d)
            keep[i, j] = not np.any(np.all(np.abs(d) < 1e-5, axis=1) & keep[i, :j])
    return keep


def test_unit_cell_images_equal_image_by_image(structures, report_figure):
    special = 0
    for s in structures:
        if len(s) * len(s.symops) > 4000:  # the reference loop is slow; the big ones add nothing
            continue
        site, op, _, _ = unit_cell_images(s)
        keep = _images_one_by_one(s)
        want_site, want_op = np.nonzero(keep)
        np.testing.assert_array_equal(site, want_site, err_msg=s.block)
        np.testing.assert_array_equal(op, want_op, err_msg=s.block)
        special += int((~keep).any())
    report_figure(f"unit-cell images: {special} structures with special positions, all equal")
    assert special > 20  # the corpus has them: the pairwise path was exercised


def _sorted_rows(center, site, op, shift, distance) -> np.ndarray:
    rows = np.column_stack([center, site, op, shift, distance]).astype(float)
    return rows[np.lexsort(rows.T[::-1])]


def _contacts_every_image(structure, limit: float) -> np.ndarray:
    """Rows (centre, site, operator, shift, distance) of every unit-cell image at every
    lattice translation that can reach, within ``limit`` (and beyond 0.01 Å), sorted:
    what the search must find, by measuring every pair."""
    site, op, shift, fract = unit_cell_images(structure)
    diff = fract[None, :, :] - structure.fract[:, None, :]  # (centre, image, 3)
    # every lattice translation that can reach: |n_a| ≤ limit/d_a + 1 along each axis
    # (d_a the spacing of the axis' lattice planes), not only the 27 around the nearest
    spacing = 1.0 / np.sqrt((structure.cell.fractionalization**2).sum(axis=1))
    n = [int(np.ceil(limit / d)) + 1 for d in spacing]
    steps = (
        np.array(np.meshgrid(*[np.arange(-k, k + 1) for k in n], indexing="ij")).reshape(3, -1).T
    )
    trial = -np.round(diff)[:, :, None, :] + steps  # (centre, image, translations, 3)
    dist = vector_lengths((diff[:, :, None, :] + trial) @ structure.cell.orthogonalization.T)
    c, k, t = np.nonzero((dist <= limit) & (dist >= 0.01))
    return _sorted_rows(c, site[k], op[k], shift[k] + trial[c, k, t], dist[c, k, t])


def _assert_same_rows(found, want, block: str) -> None:
    """Two neighbour searches (geometry.Contacts) list the same rows, bit for bit, in order."""
    for name in ("center", "site", "op", "shift", "distance"):
        np.testing.assert_array_equal(
            getattr(found, name), getattr(want, name), err_msg=f"{block} {name}"
        )


def test_contacts_equal_every_image_measured(structures):
    checked = 0
    for s in structures:
        if len(s) ** 2 * len(s.symops) > 30_000:  # the reference measures every pair
            continue
        for limit in (3.3, 6.0):
            got = contacts(s, limit)
            have = _sorted_rows(got.center, got.site, got.op, got.shift, got.distance)
            np.testing.assert_array_equal(have, _contacts_every_image(s, limit), err_msg=s.block)
        checked += 1
    assert checked > 100


def test_contacts_cell_list_equals_every_pair(structures, monkeypatch):
    """The two candidate searches of geometry.contacts give the same rows in the same order
    (gemmi's cell list, and every centre–image pair screened axis by axis)."""
    from coordgeo import geometry

    for s in structures:
        got = []
        for dense in (0, 10**9):
            monkeypatch.setattr(geometry, "DENSE_PAIRS", dense)
            found = contacts(s, 3.3)
            got.append(np.column_stack([found.center, found.site, found.op, found.shift]))
            got.append(found.distance)
        np.testing.assert_array_equal(got[0], got[2], err_msg=s.block)
        np.testing.assert_array_equal(got[1], got[3], err_msg=s.block)


def test_contacts_of_some_sites_are_those_rows_of_every_site(structures, monkeypatch):
    """``targets`` (the images of some sites only, as the centroid search of X–H···π asks)
    gives the rows of the unrestricted search whose site is one of them, in its order, on
    both candidate searches."""
    from coordgeo import geometry

    checked = 0
    for s in structures:
        centers = np.arange(0, len(s), 2)  # every other site around, the third ones sought
        targets = np.arange(1, len(s), 3)
        for dense in (0, 10**9):
            monkeypatch.setattr(geometry, "DENSE_PAIRS", dense)
            every = contacts(s, 4.0, centers)
            every = every.take(np.isin(every.site, targets))
            some = contacts(s, 4.0, centers, targets=targets)
            _assert_same_rows(some, every, s.block)
        checked += len(every) > 0
    assert checked > 100


def test_contacts_within_pair_limits_are_those_rows_of_the_longer_search(structures, monkeypatch):
    """``pair_limits`` (each pair's own limit, as the bond search's r_i + r_j + tolerance)
    gives the rows of the search to the centres' limits that are within their pair's
    limit, in its order, on both candidate searches; a limit below ``min_distance`` (H···H
    here) gives no row."""
    from coordgeo import geometry
    from coordgeo.elements import covalent_radius

    checked = 0
    for s in structures:
        radius = np.array([covalent_radius(e) for e in s.elements])
        hydrogen = np.array([e == "H" for e in s.elements])

        def limits(i, j, radius=radius, hydrogen=hydrogen):
            limit = np.minimum(radius[i] + radius[j] + 0.45, 3.3)
            return np.where(hydrogen[i] & hydrogen[j], -1.0, limit)

        for dense in (0, 10**9):
            monkeypatch.setattr(geometry, "DENSE_PAIRS", dense)
            every = contacts(s, 3.3, min_distance=0.5)
            lim = limits(every.center, every.site)
            every = every.take((every.distance <= lim) & (lim >= 0.5))
            some = contacts(s, 3.3, min_distance=0.5, pair_limits=limits)
            _assert_same_rows(some, every, s.block)
        checked += len(every) > 0
    assert checked > 100


def test_a_pair_limit_beyond_its_centres_is_the_centres(structures, monkeypatch):
    """A pair limit longer than its centre's ``max_distance`` reaches no farther than the
    centre's (review 11: a 6 Å pair limit in a 2 Å search gave 112 of 238 rows beyond 2 Å,
    those the 2 Å candidate search happened to list), on both candidate searches."""
    from coordgeo import geometry

    for s in structures[:20]:
        for dense in (0, 10**9):
            monkeypatch.setattr(geometry, "DENSE_PAIRS", dense)
            plain = contacts(s, 2.0)
            longer = contacts(s, 2.0, pair_limits=lambda i, j: np.full(len(i), 6.0))
            assert longer.distance.max(initial=0.0) <= 2.0, s.block
            _assert_same_rows(longer, plain, s.block)


def test_bonds_of_centres_searched_in_turn_are_those_of_one_search(structures):
    """bond_contacts searches only the centres it has not searched yet and merges their rows
    in by centre (the spheres ask for the metals and the H atoms bonded to them, the H-bonds
    then for every site): after the metals, every other site and every site, each answer is
    the rows of one search of its centres on a structure searched for nothing before."""
    import copy

    from coordgeo.coordination import _metal_mask

    checked = 0
    for s in structures:
        n = len(s)
        asked = [np.flatnonzero(_metal_mask(s)), np.arange(0, n, 2), np.arange(n)[-3:], None]
        turn = copy.copy(s)  # a structure of its own: no bonds kept yet
        got = [bond_contacts(turn, 0.45, centers) for centers in asked]
        for centers, found in zip(asked, got, strict=True):
            want = bond_contacts(copy.copy(s), 0.45, centers)
            _assert_same_rows(found, want, s.block)
        checked += bool(len(asked[0])) and len(got[1]) < len(got[3])
    assert checked > 100


def test_a_row_of_cartesian_differences_has_the_same_bits_in_any_batch_of_two_or_more():
    """What the bonds of centres searched in turn rest on (test above, and review 11): the
    distance of a pair comes from its row of (p, 3) @ (3, 3), so each row must have the same
    bits whatever other rows are multiplied with it. numpy hands p ≥ 2 rows to BLAS gemm
    and one row to gemv, which may round otherwise (geometry.contacts doubles a lone row);
    a BLAS whose gemm kernels round a row otherwise by batch size would make a centre's
    bonds depend, in the last bit, on which centres were searched before it."""
    rng = np.random.default_rng(11)
    rows = rng.uniform(-1.5, 1.5, (4099, 3))
    matrix = np.array([[10.2, -3.1, 0.7], [0.0, 12.9, -2.2], [0.0, 0.0, 15.3]]).T
    whole = rows @ matrix
    for size in (2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 257, 1000, 4098):
        for start in (0, 1, 2, 5, 4099 - size):
            part = rows[start : start + size] @ matrix
            np.testing.assert_array_equal(part, whole[start : start + size], err_msg=str(size))


def test_spheres_that_skip_the_donor_tests_are_those_the_tests_leave_whole(structures):
    """coordination_spheres calls _behind_donors and _compatible_sets only for the metals
    whose donors _donor_pairs flags (every metal's donor pairs at once): for every other
    metal of the corpus the two tests, run anyway, remove no donor and keep one set of all."""
    from coordgeo.coordination import (
        _behind_donors,
        _compatible_sets,
        _donor_pairs,
        _metal_mask,
        measure,
    )

    skipped = flagged = 0
    for s in structures:
        metals = np.flatnonzero(_metal_mask(s))
        found = bond_contacts(s, 0.45, centers=metals)
        if not len(found):
            continue
        starts = np.searchsorted(found.center, metals)
        ends = np.searchsorted(found.center, metals, side="right")
        bonded, close = _donor_pairs(s, found, starts, ends, 0.45)
        n = len(found)
        sites = np.stack([found.center, found.site], axis=1)
        ops = np.stack([np.full(n, s.identity_op), found.op], axis=1)
        shifts = np.stack([np.zeros((n, 3)), found.shift.astype(float)], axis=1)
        distance = measure(s, sites, ops, shifts)[0]
        for k, (m, a, b) in enumerate(zip(metals, starts, ends, strict=True)):
            if b - a < 2:
                continue
            donors = found.take(np.arange(a, b))
            if not bonded[k]:
                assert not _behind_donors(s, m, donors, distance[a:b], 0.45).any(), s.block
            if not close[k]:
                (only,) = _compatible_sets(s, donors, 0.45)
                assert list(only[0]) == list(range(b - a)) and only[1] == "", s.block
            skipped += not bonded[k] and not close[k]
            flagged += bool(bonded[k] or close[k])
    assert skipped > 100 and flagged > 20


def test_molecules_of_identity_bonds_skip_the_tree_and_get_its_answer(structures):
    """A molecule whose bonds all map by the identity gets the identity as its own symmetry
    and identity tree maps without the breadth-first tree (hbonds._Molecules.plain): on
    every component of the corpus the representatives, lattice and maps are those of the
    tree walked for every component. The bonds taken as mapped by the identity (from their
    operators and shifts) are those whose 4×4 map is the identity."""
    from coordgeo.hbonds import _bond_maps, _Molecules, covalent_bonds

    plain = 0
    for s in structures:
        bonded = covalent_bonds(s)
        fast, walked = _Molecules(s, bonded), _Molecules(s, bonded)
        by_map = (_bond_maps(s, bonded) == np.eye(4)).all(axis=(1, 2))
        np.testing.assert_array_equal(fast.plain, by_map, err_msg=s.block)
        walked.plain_component = np.zeros_like(walked.plain_component)  # all by the tree
        for comp in np.unique(fast.component).tolist():
            reps, lattice = fast.symmetry(s, comp)
            want_reps, want_lattice = walked.symmetry(s, comp)
            np.testing.assert_array_equal(reps, want_reps, err_msg=s.block)
            assert lattice == want_lattice, s.block
            every_plain = bool(fast.plain[(fast.component == comp)[bonded.center]].all())
            assert fast.plain_component[comp] == every_plain, s.block
            plain += every_plain
        np.testing.assert_array_equal(fast.maps, walked.maps, err_msg=s.block)
    assert plain > 300


def test_intramolecular_of_molecules_of_identity_bonds_is_the_general_test(structures, monkeypatch):
    """Where every molecule asked about has bonds mapped by the identity alone,
    hbonds._intramolecular compares d_map⁻¹·x(A) with x_A directly; on the pairs of every
    structure of the corpus (each site and its neighbours within 3.2 Å, either as the
    donor) its answers are those of the general test (coset representatives and tree
    maps) that it takes when the components are not marked plain."""
    from coordgeo import geometry

    hb = importlib.import_module("coordgeo.hbonds")  # (coordgeo.hbonds is also a function)
    direct = 0
    for s in structures:
        bonded = hb.covalent_bonds(s)
        found = geometry.contacts(s, 3.2)
        zero = np.zeros_like(found.op)
        for sites, ops, order in (
            (np.column_stack([found.center, found.site]), np.column_stack([zero, found.op]), 1),
            (np.column_stack([found.site, found.center]), np.column_stack([found.op, zero]), 0),
        ):
            shifts = np.zeros((len(found), 2, 3))
            shifts[:, order] = found.shift  # the image is the second atom, then the first
            fast = hb.intramolecular(s, bonded, sites, ops, shifts)
            general = hb._Molecules(s, bonded)
            general.plain_component = np.zeros_like(general.plain_component)
            with monkeypatch.context() as m:
                m.setattr(hb, "_molecules", lambda *_, g=general: g)
                want = hb.intramolecular(s, bonded, sites, ops, shifts)
            np.testing.assert_array_equal(fast, want, err_msg=s.block)
            molecules = hb._molecules(s, bonded)
            same = molecules.component[sites[:, 0]] == molecules.component[sites[:, 1]]
            asked = molecules.component[sites[same, 0]]
            direct += bool(same.any() and molecules.plain_component[asked].all())
    assert direct > 100  # (structure, direction) cases that took the shortcut


def test_cell_list_finds_an_image_a_rounding_error_below_zero(shared, monkeypatch):
    """Two ring centroids of 4301885 (I2/a): an image of the second lands at
    y = −3.8e-18, which unit_cell_images keeps as the origin plane and gemmi's cell list
    binned out of the cell, so the π–π pair at 3.499 Å went missing. The search must
    find what measuring every image at every translation finds."""
    from coordgeo import geometry
    from coordgeo.contacts import _points

    (s,) = read_cif_blocks(shared / "cifs/published/4301885-I12slash1-spacegroup.cif")
    fract = np.array(
        [
            [-0.13778333333333337, 0.2885833333333333, 0.12154166666666665],
            [-0.3480166666666667, -3.837775338459471e-18, 0.04919999999999999],
        ]
    )
    points = _points(s, fract, ["Cg1", "Cg2"])
    assert (unit_cell_images(points)[3] < 0).any()  # the case: an image just below 0
    want = _contacts_every_image(points, 4.0)
    assert len(want) == 1 and abs(want[0, -1] - 3.4989) < 1e-4
    monkeypatch.setattr(geometry, "DENSE_PAIRS", 0)  # gemmi's cell list
    got = contacts(points, 4.0)
    have = _sorted_rows(got.center, got.site, got.op, got.shift, got.distance)
    np.testing.assert_array_equal(have, want)


def test_symmetry_duplicates_grid_equals_every_pair(published_cifs, monkeypatch):
    """Sites listed twice found by the grid and by measuring every pair of one kind: the
    same answer on every block of the corpus (one of which lists a molecule twice)."""
    from coordgeo import symmetry
    from coordgeo.io import cif

    calls = []
    real = symmetry.symmetry_duplicates
    monkeypatch.setattr(cif, "symmetry_duplicates", lambda *a: calls.append(a) or real(*a))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in published_cifs:
            if path.name != "2104374.cif":
                with contextlib.suppress(InputError):
                    read_cif_blocks(path)
    answers = []
    for limit in (0, 10**9):
        monkeypatch.setattr(symmetry, "DENSE_DUPLICATE_PAIRS", limit)
        answers.append([real(*a) for a in calls])
    assert len(calls) > 150
    assert sum(bool((out >= 0).any()) for out in answers[0]) >= 1
    for grid_out, pair_out in zip(*answers, strict=True):
        np.testing.assert_array_equal(grid_out, pair_out)


@pytest.mark.parametrize("module", ["coordination", "check"])
def test_frames_from_arrays_equal_pandas_own(structures, module):
    """The bond and check tables assembled from their column arrays
    (:func:`coordgeo.frames.frame_of_arrays`) are the DataFrames pandas makes of the same
    columns: values, dtypes, column index and row index; and so is the public
    constructor's frame, which a pandas without ``DataFrame._from_arrays`` would get."""
    import importlib

    import pandas as pd

    from coordgeo import coordination, frames

    target = importlib.import_module(f"coordgeo.{module}")
    made = []
    real = frames.frame_of_arrays
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(target, "frame_of_arrays", lambda c: made.append(c) or real(c))
        for s in structures[:40]:
            coordination.bonds(s) if module == "coordination" else target.check(s)
    assert len(made) >= 20
    with pytest.MonkeyPatch.context() as patch:
        patch.delattr(pd.DataFrame, "_from_arrays")
        public = [real(columns) for columns in made]

    def other_signature(arrays, columns, index, dtype=None, verify_integrity=True):
        raise TypeError("a pandas whose internal constructor takes other arguments")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pd.DataFrame, "_from_arrays", staticmethod(other_signature))
        changed = [real(columns) for columns in made]
    for columns, fallback, changed_one in zip(made, public, changed, strict=True):
        want = pd.DataFrame(columns)
        one, two = real(columns), real(columns)
        one.columns.name = "renamed"  # tables share no column index
        assert two.columns.name is None and real(columns).columns.name is None
        for got in (two, fallback, changed_one):
            pd.testing.assert_frame_equal(got, want, check_exact=True)
            assert got.columns.dtype == want.columns.dtype
            assert type(got.index) is type(want.index) and got.index.equals(want.index)
            assert list(got.dtypes) == list(want.dtypes)


def test_hbond_table_equals_pandas_of_its_columns(structures):
    """The H-bond table assembled from its columns (:func:`coordgeo.hbonds.frame_of_hbonds`)
    is the DataFrame pandas makes of the same columns: values, dtypes (text as pandas'
    text, the atoms as objects), column and row index."""
    import importlib

    import pandas as pd

    hbonds = importlib.import_module("coordgeo.hbonds")
    compared = 0
    for s in structures:
        columns = hbonds.hbond_columns(s)
        if columns is None:
            continue
        got = hbonds.frame_of_hbonds(columns)
        want = pd.DataFrame(columns, columns=hbonds.ALL_COLUMNS)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        assert list(got.dtypes) == list(want.dtypes)
        assert type(got.index) is type(want.index) and got.index.equals(want.index)
        compared += 1
    assert compared > 40


def test_one_direction_equals_matrix_keys(structures):
    for s in structures:
        found = bond_contacts(s)
        np.testing.assert_array_equal(
            _one_direction(s, found), _one_direction_by_matrices(s, found), err_msg=s.block
        )


def test_orthogonalization_derivatives_equal_one_cell_at_a_time(structures):
    for s in structures[:60]:
        params = s.cell.parameters
        want = np.empty((6, 3, 3))
        for k in range(6):
            h = 1e-6 * (params[k] if k < 3 else 1.0)
            up, down = list(params), list(params)
            up[k] += h
            down[k] -= h
            want[k] = (orthogonalization_matrix(up) - orthogonalization_matrix(down)) / (2 * h)
        np.testing.assert_array_equal(_orthogonalization_derivatives.__wrapped__(params), want)


def test_moved_positions_as_one_product_equal_one_per_atom(structures):
    """(∂M/∂p_k) x of every atom of every bond (and bond angle) of the corpus: one matrix
    product x·D (``geometry._derivative_columns``) gives the floats of the 6·n products of
    a row and a 3×3 matrix that the su propagation made before.

    Equal here to the last bit with OpenBLAS; another BLAS may order a product's three
    terms differently, so the test allows a few ulp (the values are the same quantity,
    not a tie broken one way on one machine)."""

    for s, (sites, ops, shifts) in _bond_and_angle_atoms(structures):
        fract = image_fract(s, sites, ops, shifts)
        dm = _orthogonalization_derivatives(s.cell.parameters)
        want = (fract[:, :, None, None, :] @ dm.swapaxes(-1, -2))[:, :, :, 0, :]
        got = (fract.reshape(-1, 3) @ _derivative_columns(s.cell.parameters)).reshape(want.shape)
        _same_to_a_few_ulp(got, want, s.block)


def _bond_and_angle_atoms(structures):
    """Per structure with bonds: (sites, ops, shifts) of the atoms i, j·g, k of every bond
    i–j·g of the corpus with a third atom (the bonds' sites in reverse order): each bond,
    and an angle at j of each."""
    for s in structures:
        found = bond_contacts(s)
        n = len(found)
        if n == 0:
            continue
        sites = np.stack([found.center, found.site, found.site[::-1]], axis=1)
        ops = np.stack([np.full(n, s.identity_op), found.op, found.op[::-1]], axis=1)
        shifts = np.stack([np.zeros((n, 3)), found.shift, found.shift[::-1]], axis=1)
        yield s, (sites, ops, shifts.astype(float))


def _same_to_a_few_ulp(got, want, block):
    ulp = 4 * np.finfo(float).eps  # of the largest term: a sum that cancels to ~0 too
    scale = float(np.abs(want).max()) if want.size else 0.0
    np.testing.assert_allclose(got, want, rtol=ulp, atol=ulp * scale, err_msg=block)


def test_cartesian_positions_as_one_product_equal_a_product_per_block(structures):
    """M·x of the atoms of every bond and bond angle of the corpus as one (k, 3)·(3, 3)
    product (``geometry.cartesian_of``, what ``measure`` and check's ``_measure`` take) gives
    the floats of the stacked (n, m, 3) @ Mᵀ that they made before (a product per block).

    Equal here to the last bit with OpenBLAS (the same three-term sums); another BLAS may
    order a product's terms differently, so the test allows a few ulp."""
    for s, (sites, ops, shifts) in _bond_and_angle_atoms(structures):
        for m in (2, 3):
            fract = image_fract(s, sites[:, :m], ops[:, :m], shifts[:, :m])
            _same_to_a_few_ulp(cartesian_of(s, fract), fract @ s.cell.orthogonalization.T, s.block)


def test_su_propagation_of_cartesian_gradients_equals_differences_in_the_cif_coordinates(
    structures,
):
    """The production propagation (``geometry.su_from_gradients``: Rᵀ Mᵀ ∇f of every atom as
    one (n·m·q, 3)·M product, then gᵀ C g per site) against an independent derivation that
    never forms Mᵀ∇f: the derivative of f with respect to each site's *fractional*
    coordinates by central differences of the value itself. Moving site s by h·e_k moves
    each of its atoms in the group (an atom and its symmetry mates) by h·R[:, k]
    (x′ = R(x + h·e_k) + t), their Cartesian positions by M·h·R[:, k]; then
    σ² = Σ over distinct sites of (∂f/∂x_s)ᵀ C_s (∂f/∂x_s). The cell's su's are set to zero
    (their terms are another test's): only the coordinate term, where Mᵀ∇f is, counts.

    Every bond of the corpus (m = 2, a distance) and the angles centre–neighbour–centre′
    (m = 3, the reversed bond's atom: some with two atoms of one site; not within 0.5° of
    0 or 180°, where θ has no derivative), one quantity
    (q = 1) and three at once (q = 3: f, 0.37·f and −f, whose su's are 1, 0.37 and 1 × f's).
    Central differences with h = 1e-6 (fractional) agree to ~1e-8 relative."""
    from dataclasses import replace

    from coordgeo.geometry import su_from_gradients

    h = 1e-6
    checked = 0
    for s in structures:
        found = bond_contacts(s)
        n = len(found)
        if n == 0:
            continue
        no_cell_su = replace(s, cell=replace(s.cell, su=(0.0,) * 6))
        sites = np.stack([found.center, found.site, found.site[::-1]], axis=1)
        ops = np.stack([np.full(n, s.identity_op), found.op, found.op[::-1]], axis=1)
        shifts = np.stack([np.zeros((n, 3)), found.shift, found.shift[::-1]], axis=1)
        fract = image_fract(s, sites, ops, shifts.astype(float))
        m_orth = s.cell.orthogonalization
        for m in (2, 3):
            f_of = _GRADIENTS[m]
            x = fract[:, :m] @ m_orth.T
            with np.errstate(invalid="ignore", divide="ignore"):  # a reversed row: zero vector
                values, grad = f_of(x)
            ok = np.isfinite(values) & np.isfinite(grad).all(axis=(1, 2))
            if m == 3:  # θ = 0 or 180° has no derivative (the production gradient is 0 there)
                ok &= (values > 0.5) & (values < 179.5)
            if not ok.any():
                continue
            g_sites, g_ops, g_fract = sites[ok, :m], ops[ok, :m], fract[ok, :m]
            rot = s.rotations_float[g_ops]  # (n, m, 3, 3)
            same = g_sites[:, :, None] == g_sites[:, None, :]  # (n, a, b): one site
            var = np.zeros(ok.sum())
            for a in range(m):
                first = ~same[:, a, :a].any(axis=1)  # each site once
                dfdx = np.empty((ok.sum(), 3))
                for k in range(3):
                    move = h * same[:, a, :, None] * rot[:, :, :, k]  # each atom of site a
                    up = f_of((g_fract + move) @ m_orth.T)[0]
                    down = f_of((g_fract - move) @ m_orth.T)[0]
                    dfdx[:, k] = (up - down) / (2 * h)
                cov = s.fract_cov[g_sites[:, a]]
                var += first * np.einsum("ni,nij,nj->n", dfdx, cov, dfdx)
            want = np.sqrt(var)
            one = su_from_gradients(
                no_cell_su, g_sites, g_ops, g_fract, values[ok, None], grad[ok, :, :, None]
            )[:, 0]
            three = su_from_gradients(
                no_cell_su,
                g_sites,
                g_ops,
                g_fract,
                np.stack([values[ok]] * 3, axis=1),
                np.stack([grad[ok], 0.37 * grad[ok], -grad[ok]], axis=-1),
            )
            scale = max(float(want.max()), 1e-12)
            np.testing.assert_allclose(one, want, rtol=1e-6, atol=1e-8 * scale, err_msg=s.block)
            for col, factor in enumerate((1.0, 0.37, 1.0)):
                np.testing.assert_allclose(
                    three[:, col], factor * want, rtol=1e-6, atol=1e-8 * scale, err_msg=s.block
                )
            checked += int(ok.sum())
    assert checked > 10_000


def test_vector_lengths_equal_numpy_norm():
    # lengths of vectors from 1e-3 to 1e3 Å, and the trial translations of a real search
    rng = np.random.default_rng(16)
    v = (rng.random((20_000, 27, 3)) - 0.5) * rng.choice([1e-3, 1.0, 10.0, 1e3], (20_000, 27, 1))
    v = v @ np.array([[10.0, 2.0, 3.0], [0.0, 11.0, 1.5], [0.0, 0.0, 9.0]]).T
    np.testing.assert_array_equal(vector_lengths(v), np.linalg.norm(v, axis=-1))
    flat = v.reshape(-1, 3)[::7]  # strided rows too
    np.testing.assert_array_equal(vector_lengths(flat), np.linalg.norm(flat, axis=-1))


def test_cross3_equals_numpy_cross():
    # the products and differences of np.cross, bit for bit, with broadcasting
    from coordgeo.symmetry import cross3

    rng = np.random.default_rng(17)
    a = (rng.random((5_000, 6, 3)) - 0.5) * rng.choice([1e-3, 1.0, 1e3], (5_000, 6, 1))
    b = (rng.random((5_000, 6, 3)) - 0.5) * rng.choice([1e-3, 1.0, 1e3], (5_000, 6, 1))
    np.testing.assert_array_equal(cross3(a, b), np.cross(a, b))
    np.testing.assert_array_equal(cross3(a, b[:1, :1]), np.cross(a, b[:1, :1]))
    np.testing.assert_array_equal(cross3(a[::3, 2], b[1::3, 4]), np.cross(a[::3, 2], b[1::3, 4]))
