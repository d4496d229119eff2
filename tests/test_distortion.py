"""Octahedral distortion parameters against OctaDist's published values and hand derivations."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from coordgeo import distortion as D
from coordgeo.io.xyz import read_xyz

OCTAHEDRON = np.vstack([np.eye(3), -np.eye(3)])  # unit vectors ±x, ±y, ±z


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q *= np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


def distorted_octahedron(rng: np.random.Generator, noise: float = 0.08) -> np.ndarray:
    return 2.0 * OCTAHEDRON + rng.normal(0.0, noise, (6, 3))


# --- OctaDist's published values -------------------------------------------------------------


def published_rows(shared: Path) -> list[dict[str, str]]:
    path = shared / "xyz" / "octadist" / "octadist_published_values.csv"
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def published_site(shared: Path, row: dict[str, str]):
    """The polyhedron a published row refers to (see the CSV's notes column)."""
    folder = shared / "xyz" / "octadist"
    if row["file"] == "atom-octa.txt":
        # Not in ../shared: the notes say these 7 atoms are the Fe block of Multiple-metals.xyz.
        return next(p for p in read_xyz(folder / "Multiple-metals.xyz") if p.metal == "Fe")
    index = int(row["ref_index"].split()[0])  # "0 (extract_octa default …)" → 0
    sites = [p for p in read_xyz(folder / row["file"]) if p.metal_index == index]
    assert len(sites) == 1 and sites[0].metal == row["metal"]
    return sites[0]


PUBLISHED_COLUMNS = {
    "d_mean_A": D.d_mean,
    "zeta_A": D.zeta,
    "Delta": D.delta,
    "Sigma_deg": D.sigma,
    "Theta_deg": D.theta,
}


def test_published_octadist_values(shared: Path) -> None:
    # OctaDist's docs/benchmarks.rst print 6 decimals; the example scripts print full doubles.
    rows = published_rows(shared)
    assert len(rows) == 7
    checked = 0
    for row in rows:
        site = published_site(shared, row)
        assert site.n == 6
        for column, function in PUBLISHED_COLUMNS.items():
            if not row[column]:
                continue
            expected = float(row[column])
            decimals = len(row[column].split(".")[1]) if "." in row[column] else 0
            tolerance = 0.5 * 10.0**-decimals + 1e-9 if decimals <= 8 else 1e-9 * max(1, expected)
            value = float(function(site.center, site.ligands))
            assert value == pytest.approx(expected, abs=tolerance), (row["file"], column)
            checked += 1
    assert checked == 32


def test_published_theta_is_the_current_algorithm(shared: Path) -> None:
    # [Fe(1-bpp)2][BF4]2 LS: OctaDist ≥ 3 gives Θ = 281.231091°, the older algorithm 271.388567°.
    row = next(r for r in published_rows(shared) if r["file"].endswith("LS-Full.xyz"))
    site = published_site(shared, row)
    value = float(D.theta(site.center, site.ligands))
    assert value == pytest.approx(281.231091, abs=1e-6)
    assert abs(value - 271.388567) > 5


# --- hand derivations -----------------------------------------------------------------------


def test_regular_octahedron() -> None:
    # Regular octahedron of radius r: all d = r, cis angles 90°, trans 180°, twist angles 60°,
    # so ζ = Δ = Σ = Θ = 0; volume = 8 faces × r³/6 = 4r³/3.
    r = 1.95
    center = np.array([1.0, -2.0, 3.0])
    ligands = center + r * OCTAHEDRON
    assert D.d_mean(center, ligands) == pytest.approx(r)
    assert D.zeta(center, ligands) == pytest.approx(0.0, abs=1e-12)
    assert D.delta(center, ligands) == pytest.approx(0.0, abs=1e-15)
    assert D.sigma(center, ligands) == pytest.approx(0.0, abs=1e-9)
    assert D.theta(center, ligands) == pytest.approx(0.0, abs=1e-9)
    assert D.polyhedron_volume(center, ligands) == pytest.approx(4.0 * r**3 / 3.0)
    assert D.trans_angles(center, ligands) == pytest.approx([180.0, 180.0, 180.0])
    pairs = {tuple(p) for p in D.trans_pairs(center, ligands).tolist()}
    assert pairs == {(0, 3), (1, 4), (2, 5)}


def test_bond_length_distortion_by_hand() -> None:
    # Tetragonal elongation: 2 × 2.2 Å + 4 × 2.0 Å. ⟨d⟩ = 12.4/6; every |dᵢ − ⟨d⟩| = 0.4/3 (axial)
    # or 0.2/3 (equatorial), so ζ = 2·0.4/3 + 4·0.2/3 = 1.6/3;
    # Δ = (1/6)[2(0.4/3)² + 4(0.2/3)²]/⟨d⟩². All angles stay 90°/180°: Σ = 0.
    ligands = OCTAHEDRON * np.array([2.0, 2.0, 2.2, 2.0, 2.0, 2.2])[:, None]
    mean = 12.4 / 6
    assert D.d_mean(np.zeros(3), ligands) == pytest.approx(mean)
    assert D.zeta(np.zeros(3), ligands) == pytest.approx(1.6 / 3)
    expected = (2 * (0.4 / 3) ** 2 + 4 * (0.2 / 3) ** 2) / 6 / mean**2
    assert D.delta(np.zeros(3), ligands) == pytest.approx(expected)
    assert D.sigma(np.zeros(3), ligands) == pytest.approx(0.0, abs=1e-9)


def test_sigma_by_hand() -> None:
    # Tilt the +x donor by 10° towards +y in the xy plane: its angle to +y becomes 80°, to −y
    # 100°, to ±z stays 90°, to −x becomes 170° (trans). Σ = |90 − 80| + |90 − 100| = 20°.
    ligands = OCTAHEDRON.copy()
    ligands[0] = [math.cos(math.radians(10)), math.sin(math.radians(10)), 0.0]
    assert D.sigma(np.zeros(3), ligands) == pytest.approx(20.0)
    assert D.trans_angles(np.zeros(3), ligands) == pytest.approx([170.0, 180.0, 180.0])


def test_theta_of_a_twisted_antiprism_face() -> None:
    # Rotate the lower triangle of an octahedron (seen along a C3 axis) by τ about that axis.
    # On the two faces perpendicular to the axis the six twist angles become 60 ± τ, so those
    # two faces contribute 2 × 6τ to the 8-face sum; Θ = sum/2 ≥ 6τ and grows with τ.
    axis = np.ones(3) / math.sqrt(3.0)
    upper, lower = OCTAHEDRON[:3], OCTAHEDRON[3:]

    def twisted(tau: float) -> np.ndarray:
        t = math.radians(tau)
        k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
        rot = np.eye(3) + math.sin(t) * k + (1 - math.cos(t)) * k @ k
        return np.vstack([upper, lower @ rot.T])

    thetas = [float(D.theta(np.zeros(3), twisted(tau))) for tau in (0.0, 5.0, 10.0, 20.0)]
    assert thetas[0] == pytest.approx(0.0, abs=1e-9)
    assert thetas[1] >= 6 * 5.0 - 1e-9
    assert thetas[1] < thetas[2] < thetas[3]


# --- invariances, batching, smoothness ------------------------------------------------------


def test_invariant_under_rotation_translation_and_ligand_order() -> None:
    rng = np.random.default_rng(11)
    for _ in range(20):
        center = rng.normal(size=3)
        ligands = center + distorted_octahedron(rng)
        rot, shift, perm = random_rotation(rng), rng.normal(size=3) * 5, rng.permutation(6)
        moved_center = center @ rot.T + shift
        moved = (ligands @ rot.T + shift)[perm]
        for function in (D.d_mean, D.zeta, D.delta, D.sigma, D.theta, D.polyhedron_volume):
            assert function(moved_center, moved) == pytest.approx(
                function(center, ligands), rel=1e-9, abs=1e-9
            ), function.__name__
        np.testing.assert_allclose(
            D.trans_angles(moved_center, moved), D.trans_angles(center, ligands), atol=1e-9
        )
        # The same physical pairs, renumbered by the permutation.
        original = {frozenset(p) for p in D.trans_pairs(center, ligands).tolist()}
        renamed = {frozenset(perm[p]) for p in D.trans_pairs(moved_center, moved).tolist()}
        assert original == renamed


def test_batched_equals_one_by_one() -> None:
    rng = np.random.default_rng(5)
    centers = rng.normal(size=(3, 4, 3))
    ligands = centers[..., None, :] + np.stack(
        [np.stack([distorted_octahedron(rng, 0.15) for _ in range(4)]) for _ in range(3)]
    )
    functions = (
        D.d_mean,
        D.zeta,
        D.delta,
        D.sigma,
        D.theta,
        D.polyhedron_volume,
        D.trans_angles,
        D.trans_pairs,
        D.cis_angles,
    )
    for function in functions:
        batched = function(centers, ligands)
        assert batched.shape[:2] == (3, 4)
        for i in range(3):
            for j in range(4):
                np.testing.assert_allclose(
                    batched[i, j], function(centers[i, j], ligands[i, j]), rtol=1e-12, atol=1e-12
                )


def test_all_parameters_at_once_equal_the_separate_functions() -> None:
    rng = np.random.default_rng(12)
    for n in (4, 6, 8):
        ligands = rng.normal(size=(2, 3, n, 3)) + 2.0 * np.sign(rng.normal(size=(2, 3, n, 3)))
        if n == 6:
            ligands = np.stack([[distorted_octahedron(rng) for _ in range(3)] for _ in range(2)])
        together = D.distortion_parameters(np.zeros(3), ligands)
        assert set(together) == set(D.PARAMETERS)
        separate = {
            "d_mean": D.d_mean,
            "zeta": D.zeta,
            "delta": D.delta,
            "sigma": D.sigma,
            "theta": D.theta,
            "volume": D.polyhedron_volume,
            "trans_angles": D.trans_angles,
        }
        for name, function in separate.items():
            np.testing.assert_allclose(together[name], function(np.zeros(3), ligands), rtol=1e-14)
        single = D.distortion_parameters(np.zeros(3), ligands[1, 2])
        site = D.octahedral_distortion(np.zeros(3), ligands[1, 2])
        assert single["volume"].shape == () and single["trans_angles"].shape == (3,)
        for name in ("d_mean", "zeta", "delta", "sigma", "theta", "volume"):
            np.testing.assert_allclose(single[name], together[name][1, 2], rtol=1e-14)
            np.testing.assert_allclose(getattr(site, name), together[name][1, 2], rtol=1e-14)


def test_one_center_broadcasts_against_many_ligand_sets() -> None:
    rng = np.random.default_rng(8)
    ligands = np.stack([distorted_octahedron(rng) for _ in range(5)])
    np.testing.assert_allclose(
        D.theta(np.zeros(3), ligands), D.theta(np.zeros((5, 3)), ligands), rtol=1e-14
    )


def test_finite_difference_batch_is_smooth() -> None:
    # The core perturbs each coordinate by ±h in one batched call; choices of trans pairs,
    # faces and hull triangulation must not flip, so the central differences converge.
    rng = np.random.default_rng(3)
    center, ligands = np.zeros(3), distorted_octahedron(rng)
    points = np.vstack([center, ligands])
    gradients: dict[tuple[str, float], np.ndarray] = {}
    for h in (1e-4, 1e-5):
        steps = np.zeros((2, 7, 3, 7, 3))
        for k in range(7):
            for a in range(3):
                steps[0, k, a, k, a], steps[1, k, a, k, a] = h, -h
        copies = points + steps  # (2, 7, 3, 7, 3): ± h on each coordinate of each atom
        for function in (D.sigma, D.theta, D.polyhedron_volume, D.zeta):
            values = function(copies[..., 0, :], copies[..., 1:, :])
            assert values.shape == (2, 7, 3)
            gradients[function.__name__, h] = (values[0] - values[1]) / (2 * h)
    for name in ("sigma", "theta", "polyhedron_volume", "zeta"):
        coarse, fine = gradients[name, 1e-4], gradients[name, 1e-5]
        assert np.all(np.abs(fine - coarse) <= 1e-3 * (1 + np.abs(coarse))), name


def test_volume_of_mixed_batch_by_hand() -> None:
    # Regular octahedron of radius 2: 4·2³/3. Trigonal prism with equilateral triangles of side
    # a = 2√3 (circumradius 2) and height h = 3: V = (√3/4)·a²·h = 9√3. Cube of edge 2: 8.
    # One batch of six-donor sets mixes an octahedron and a prism (whose hull has square faces,
    # so the octahedral faces of the trans pairs do not bound it).
    ring = np.array(
        [[2 * math.cos(t), 2 * math.sin(t), 0.0] for t in (0, 2 * math.pi / 3, 4 * math.pi / 3)]
    )
    lift = np.array([0.0, 0.0, 1.5])
    prism = np.vstack([ring + lift, ring - lift])
    volumes = D.polyhedron_volume(np.zeros(3), np.stack([2.0 * OCTAHEDRON, prism, prism + 0.01]))
    np.testing.assert_allclose(volumes, [32 / 3, 9 * math.sqrt(3), 9 * math.sqrt(3)], rtol=1e-12)
    cube = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=float)
    assert D.polyhedron_volume(np.zeros(3), cube) == pytest.approx(8.0)


# --- other coordination numbers -------------------------------------------------------------


def test_tetrahedron_gives_what_is_defined() -> None:
    # Regular tetrahedron of radius r: edge a = r√(8/3), V = a³/(6√2) = 8r³/(9√3).
    r = 2.0
    ligands = r * np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) / math.sqrt(3)
    site = D.octahedral_distortion(np.zeros(3), ligands)
    assert site.n == 4
    assert site.d_mean == pytest.approx(r)
    assert site.zeta == pytest.approx(0.0, abs=1e-12)
    assert site.volume == pytest.approx(8 * r**3 / (9 * math.sqrt(3)))
    assert math.isnan(site.sigma) and math.isnan(site.theta)
    assert all(math.isnan(x) for x in site.trans_angles) and site.trans_pairs == ()
    assert "six-coordinate" in site.reason and "4 donors" in site.reason


def test_square_planar_has_no_volume() -> None:
    site = D.octahedral_distortion(np.zeros(3), 2.0 * OCTAHEDRON[[0, 1, 3, 4]])
    assert math.isnan(site.volume) and "coplanar" in site.reason
    assert site.d_mean == pytest.approx(2.0)
    assert math.isnan(D.polyhedron_volume(np.zeros(3), 2.0 * OCTAHEDRON[[0, 1, 3, 4]]))


def test_square_pyramid_volume() -> None:
    # Base: square with diagonal 2r (area 2r²); apex at height r: V = (1/3)·2r²·r.
    r = 2.1
    site = D.octahedral_distortion(np.zeros(3), r * OCTAHEDRON[[0, 1, 2, 3, 4]])
    assert site.volume == pytest.approx(2 * r**3 / 3)
    assert math.isnan(site.sigma) and "5 donors" in site.reason


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 8])
def test_other_coordination_numbers_never_raise(n: int) -> None:
    rng = np.random.default_rng(n)
    ligands = rng.normal(size=(n, 3)) + 2.0
    site = D.octahedral_distortion(np.zeros(3), ligands)
    assert site.n == n and np.isfinite(site.d_mean) and np.isfinite(site.zeta)
    assert math.isnan(site.sigma) and math.isnan(site.theta) and site.reason
    assert np.isfinite(site.volume) == (n >= 4)
    batch = np.stack([ligands, ligands + 0.01])
    assert np.isnan(D.sigma(np.zeros(3), batch)).all()
    assert np.isnan(D.theta(np.zeros(3), batch)).all()
    assert np.isnan(D.trans_angles(np.zeros(3), batch)).all()
    with pytest.raises(ValueError):
        D.trans_pairs(np.zeros(3), ligands)


def test_no_donors_and_empty_batches() -> None:
    site = D.octahedral_distortion(np.zeros(3), np.zeros((0, 3)))
    assert site.n == 0 and math.isnan(site.d_mean) and site.reason == "the site has no donors"
    assert D.theta(np.zeros((0, 3)), np.zeros((0, 6, 3))).shape == (0,)
    assert D.polyhedron_volume(np.zeros((0, 3)), np.zeros((0, 6, 3))).shape == (0,)


def test_defined_parameters() -> None:
    assert D.defined_parameters(0) == ()
    assert D.defined_parameters(3) == ("d_mean", "zeta", "delta")
    assert set(D.defined_parameters(6)) == set(D.PARAMETERS)
    assert "sigma" not in D.defined_parameters(7) and "volume" in D.defined_parameters(7)
    assert D.undefined_reason(6) == ""
    assert "no donors" in D.undefined_reason(0)


def test_site_dataclass_matches_array_functions() -> None:
    rng = np.random.default_rng(2)
    center, ligands = rng.normal(size=3), distorted_octahedron(rng)
    ligands = ligands + center
    site = D.octahedral_distortion(center, ligands)
    assert site.reason == ""
    assert site.sigma == pytest.approx(float(D.sigma(center, ligands)), rel=1e-13)
    assert site.theta == pytest.approx(float(D.theta(center, ligands)), rel=1e-13)
    assert site.volume == pytest.approx(float(D.polyhedron_volume(center, ligands)), rel=1e-13)
    assert site.trans_angles == pytest.approx(tuple(D.trans_angles(center, ligands)))
    assert site.as_dict()["trans_angle_3"] == site.trans_angles[2]
    with pytest.raises(AttributeError):
        site.sigma = 0.0  # type: ignore[misc]


# --- Jacobians (the su's of coordgeo.polyhedra) ---------------------------------------------

JACOBIAN_PARAMETERS = ("d_mean", "zeta", "delta", "sigma", "theta", "volume")


def central_differences(center: np.ndarray, ligands: np.ndarray, h: float) -> dict:
    """∂p/∂x of every parameter by central differences of distortion_parameters, (B, n+1, 3)."""
    x = np.concatenate([center[:, None], ligands], axis=1)
    b, m = x.shape[:2]
    out = {name: np.zeros((b, m, 3)) for name in JACOBIAN_PARAMETERS}
    for atom in range(m):
        for axis in range(3):
            up, down = x.copy(), x.copy()
            up[:, atom, axis] += h
            down[:, atom, axis] -= h
            p_up = D.distortion_parameters(up[:, 0], up[:, 1:])
            p_down = D.distortion_parameters(down[:, 0], down[:, 1:])
            for name in JACOBIAN_PARAMETERS:
                out[name][:, atom, axis] = (p_up[name] - p_down[name]) / (2 * h)
    return out


@pytest.mark.parametrize("n", [4, 5, 6, 7, 8, 9])
def test_jacobians_equal_central_differences(n: int) -> None:
    # Distorted polyhedra (octahedra for n = 6, random donors on a sphere otherwise) with the
    # metal off-centre: the closed-form Jacobians against central differences of the values.
    rng = np.random.default_rng(100 + n)
    b = 12
    if n == 6:
        ligands = np.stack([distorted_octahedron(rng, 0.15) for _ in range(b)])
    else:
        directions = rng.normal(size=(b, n, 3))
        directions /= np.linalg.norm(directions, axis=-1, keepdims=True)
        ligands = directions * rng.uniform(1.9, 2.3, (b, n, 1))
    center = rng.normal(0.0, 0.05, (b, 3))
    ligands = ligands + center[:, None]
    values, grads = D.distortion_jacobians(center, ligands)
    reference = D.distortion_parameters(center, ligands)
    for name, value in reference.items():
        np.testing.assert_allclose(values[name], value, rtol=1e-13, atol=1e-13, err_msg=name)
    numeric = central_differences(center, ligands, 1e-6)
    for name in JACOBIAN_PARAMETERS:
        assert grads[name].shape == (b, n + 1, 3)
        if name not in D.defined_parameters(n):
            assert np.isnan(grads[name]).all(), name
            continue
        scale = np.abs(numeric[name]).max()
        assert np.abs(grads[name] - numeric[name]).max() <= 1e-6 * scale, name
        # every parameter depends on the metal→donor vectors only
        np.testing.assert_allclose(grads[name].sum(axis=1), 0.0, atol=1e-9 * scale)


def test_jacobians_at_kinks_are_the_central_differences() -> None:
    # A regular octahedron sits on the kinks of ζ (every dᵢ = ⟨d⟩), Σ (every cis angle 90°)
    # and Θ (every projected angle 60°). One-sided derivatives there depend on the sign of a
    # rounding error; with kink_step = h the Jacobian is the central difference over ±h,
    # which for these |·| terms is ~0, as central differences of the values give, to their
    # own O(h) curvature term (h·|∂²p|, ≲ 1e-5 of the one-sided gradient's size).
    h = 1e-5
    rng = np.random.default_rng(8)
    rotation = random_rotation(rng)
    center = np.array([[0.3, -0.2, 0.1]])
    ligands = (2.0 * OCTAHEDRON @ rotation.T + center)[None]
    numeric = central_differences(center, ligands, h)
    _, smooth = D.distortion_jacobians(center, ligands, kink_step=h)
    one_sided = D.distortion_jacobians(center, ligands)[1]  # sign of a rounding error
    for name in JACOBIAN_PARAMETERS:
        size = 1.0 + np.abs(one_sided[name]).max()
        np.testing.assert_allclose(smooth[name], numeric[name], atol=1e-5 * size, err_msg=name)
    for name in ("zeta", "sigma", "theta"):
        assert np.abs(smooth[name]).max() < 1e-6, name
    assert np.abs(one_sided["sigma"]).max() > 1.0
    # away from kinks the smoothing changes nothing
    bent = np.stack([distorted_octahedron(rng)])
    one_sided = D.distortion_jacobians(np.zeros((1, 3)), bent)[1]
    smoothed = D.distortion_jacobians(np.zeros((1, 3)), bent, kink_step=h)[1]
    for name in JACOBIAN_PARAMETERS:
        np.testing.assert_allclose(smoothed[name], one_sided[name], rtol=1e-12, err_msg=name)


def test_hull_volumes_equal_qhull_one_hull_per_set() -> None:
    # The vectorised hull search against scipy's ConvexHull volume, for sets in general
    # position (some with points inside the hull) and sets with coplanar faces (a cube, a
    # square pyramid, a square antiprism), which go to Qhull: the volumes must be Qhull's.
    from scipy.spatial import ConvexHull

    rng = np.random.default_rng(11)
    cube = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=float)
    square = np.array([[1, 0, 0], [0, 1, 0], [-1, 0, 0], [0, -1, 0]], dtype=float)
    turned = np.array([[math.cos(t), math.sin(t), 0.0] for t in np.radians([45, 135, 225, 315])])
    lift = np.array([0.0, 0.0, 0.6])
    antiprism = np.vstack([square + lift, turned - lift])
    for n in (4, 5, 6, 7, 8, 9, 10, 12):
        sets = rng.normal(size=(40, n, 3)) * [2.0, 1.5, 1.0]
        sets[:10, 0] *= 0.05  # a point inside the hull
        expected = [ConvexHull(p).volume for p in sets]
        np.testing.assert_allclose(D.polyhedron_volume(np.zeros(3), sets), expected, rtol=1e-12)
    for points in (cube, np.vstack([square, [[0, 0, 1.2]]]), antiprism):
        expected = ConvexHull(points).volume
        assert D.polyhedron_volume(np.zeros(3), points) == pytest.approx(expected, rel=1e-12)


def test_a_polyhedron_has_the_same_values_alone_and_in_a_batch() -> None:
    # one answer per polyhedron: bulk evaluates the sites of many structures in one call, so
    # nothing may depend on the other rows of the batch. Θ and Σ were summed in an order
    # that depended on the batch size (their last bit changed with the number of sites).
    rng = np.random.default_rng(5)
    centers = rng.normal(size=(40, 3))
    ligands = np.stack([distorted_octahedron(rng, noise=0.2) for _ in range(40)])
    ligands = ligands + centers[:, None]
    values, jacobians = D.distortion_jacobians(centers, ligands, kink_step=1e-5)
    for i in range(40):
        alone, d_alone = D.distortion_jacobians(
            centers[i : i + 1], ligands[i : i + 1], kink_step=1e-5
        )
        for name in alone:
            assert np.array_equal(alone[name], values[name][i : i + 1]), name
        for name in d_alone:
            assert np.array_equal(d_alone[name], jacobians[name][i : i + 1]), name
