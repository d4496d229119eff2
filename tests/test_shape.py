"""Continuous shape measures: literature values, hand derivations, invariances, batching,
cosymlib's values for seven to nine donors, and the closed-form gradient."""

from __future__ import annotations

import itertools
import math
import os
from pathlib import Path

import numpy as np
import pytest

from coordgeo import shape as S


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    return q * np.sign(np.diag(r))


def distorted(label: str, rng: np.random.Generator, noise: float = 0.1):
    ideal = S.ideal_polyhedron(label)
    return ideal.center + rng.normal(0, noise / 3, 3), 2.0 * ideal.vertices + rng.normal(
        0, noise, ideal.vertices.shape
    )


def every_permutation(n: int) -> np.ndarray:
    """All n! permutations of range(n), in lexicographic order (itertools' order)."""
    return np.array(list(itertools.permutations(range(n))), dtype=np.int64)


def symmetry_permutations(vertices: np.ndarray, perms: np.ndarray) -> np.ndarray:
    """The permutations σ of ``perms`` keeping every vᵢ·vⱼ to 1e-9 of the largest: the
    symmetry group tested on all N! permutations (the construction of the pairing tables
    before the backtracking search)."""
    gram = vertices @ vertices.T
    permuted = gram[perms[:, :, None], perms[:, None, :]]
    keep = np.abs(permuted - gram).max(axis=(1, 2)) < 1e-9 * np.abs(gram).max()
    return perms[keep]


def pairings_by_enumeration(label: str) -> np.ndarray:
    """The pairing table of ``label`` as coordgeo built it until 2026-12-05: every one of
    the N! permutations π, kept when it is the lexicographically smallest σ∘π over the
    group, the group itself found by testing all N! permutations."""
    ideal = S.ideal_polyhedron(label)
    n = ideal.n
    perms = every_permutation(n)
    group = symmetry_permutations(ideal.vertices, perms)
    weights = n ** np.arange(n - 1, -1, -1, dtype=np.int64)
    own = perms @ weights
    canonical = own.copy()
    for sigma in group:
        np.minimum(canonical, sigma[perms] @ weights, out=canonical)
    reps = perms[own == canonical]
    points = np.vstack([ideal.vertices, ideal.center[None, :]])
    points = points - points.mean(axis=0)
    points /= np.linalg.norm(points)
    return np.concatenate([points[reps], np.broadcast_to(points[-1], (len(reps), 1, 3))], axis=1)


def test_every_ideal_polyhedron_measures_zero_against_itself() -> None:
    # By definition S = 0 for the ideal shape, whatever its size, position, orientation and
    # the order of its vertices.
    rng = np.random.default_rng(0)
    for label in S.shape_labels():
        ideal = S.ideal_polyhedron(label)
        rot, shift, scale = random_rotation(rng), rng.normal(size=3) * 10, 2.3
        center = scale * ideal.center @ rot.T + shift
        vertices = (scale * ideal.vertices @ rot.T + shift)[rng.permutation(ideal.n)]
        assert S.cshm(center, vertices, label) == pytest.approx(0.0, abs=1e-9), label


def test_octahedron_versus_trigonal_prism_literature_value() -> None:
    # The octahedron and the trigonal prism are 16.737 apart (S_OC-6(TPR-6) = S_TPR-6(OC-6);
    # S. Alvarez et al., Coord. Chem. Rev. 2005, 249, 1693; J. Cirera, E. Ruiz, S. Alvarez,
    # Organometallics 2005, 24, 1556, where θ = arcsin(√16.737/10) defines the Bailar path).
    oc, tpr = S.ideal_polyhedron("OC-6"), S.ideal_polyhedron("TPR-6")
    assert S.cshm(tpr.center, tpr.vertices, "OC-6") == pytest.approx(16.737, abs=5e-4)
    assert S.cshm(oc.center, oc.vertices, "TPR-6") == pytest.approx(16.737, abs=5e-4)


def test_tetrahedron_versus_square_by_hand() -> None:
    # A unit tetrahedron (±1, ±1, ±1)/√3 (even sign patterns) is a square (±1, ±1)/√3 in the
    # xy plane lifted by z = ±1/√3. Fitting the square (centre at the origin) leaves only the
    # four heights: S = 100 · 4·(1/3) / (4·1 + 0) = 100/3 (SHAPE also tabulates 33.33).
    tetra = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) / math.sqrt(3)
    assert S.cshm(np.zeros(3), tetra, "SP-4") == pytest.approx(100 / 3, abs=1e-9)


def test_octahedron_versus_hexagon_by_hand() -> None:
    # Seen along a C3 axis the six vertices of a unit octahedron project onto a regular hexagon
    # of radius √(2/3) and sit at heights ±1/√3. With the centre at the origin the best planar
    # hexagon is that projection: S = 100 · 6·(1/3) / 6 = 100/3.
    oc = S.ideal_polyhedron("OC-6")
    assert S.cshm(oc.center, oc.vertices, "HP-6") == pytest.approx(100 / 3, abs=1e-9)


def test_central_atom_is_part_of_the_measure() -> None:
    # The metal is the seventh point, paired with the centre of the ideal octahedron: moving
    # it off the centre of a perfect octahedron makes S > 0, growing with the displacement.
    oc = S.ideal_polyhedron("OC-6")
    shifted = [oc.center + np.array([0.0, 0.0, d]) for d in (0.0, 0.1, 0.2)]
    values = [float(S.cshm(c, oc.vertices, "OC-6")) for c in shifted]
    assert values[0] == pytest.approx(0.0, abs=1e-12)
    assert 0 < values[1] < values[2]


def test_permutation_classes_follow_the_symmetry_group() -> None:
    # One pairing per coset of the symmetry group: 6!/|Oh| = 720/48 = 15 for OC-6,
    # 720/|D3h| = 720/12 = 60 for TPR-6, 4!/|Td| = 1 for T-4; planar D4h acts on the square's
    # vertices as D4 (σh moves none): 4!/8 = 3 for SP-4.
    counts = {"OC-6": 15, "TPR-6": 60, "T-4": 1, "SP-4": 3, "TBPY-5": 10, "CU-8": 840}
    for label, count in counts.items():
        assert len(S._pairings(label)) == count, label


def test_pairing_tables_are_those_of_the_enumeration_of_all_permutations() -> None:
    # The tables now come from the symmetry group found by backtracking and its cosets,
    # built position by position; they must be the very arrays that testing all N!
    # permutations gave (same pairings, same order, same bits), for every shape whose
    # pairings can be enumerated (up to eight vertices: EXHAUSTIVE_MAX).
    labels = [label for label in S.shape_labels() if S.ideal_polyhedron(label).n <= 8]
    assert len(labels) == 41
    for label in labels:
        new, old = S._pairings(label), pairings_by_enumeration(label)
        assert new.shape == old.shape and new.dtype == old.dtype, label
        assert new.tobytes() == old.tobytes(), label


def test_invariances() -> None:
    rng = np.random.default_rng(4)
    for label in ("OC-6", "TPR-6", "TBPY-5", "T-4", "SAPR-8"):
        center, ligands = distorted(label, rng)
        reference = S.shape_measures(center, ligands)
        rot, shift, scale = random_rotation(rng), rng.normal(size=3) * 3, 0.7
        moved = S.shape_measures(
            scale * center @ rot.T + shift,
            (scale * ligands @ rot.T + shift)[rng.permutation(len(ligands))],
        )
        mirrored = S.shape_measures(-center, -ligands)
        for key, value in reference.items():
            assert moved[key] == pytest.approx(value, abs=1e-9), (label, key)
            assert mirrored[key] == pytest.approx(value, abs=1e-9), (label, key)


def test_batched_equals_one_by_one() -> None:
    rng = np.random.default_rng(9)
    pairs = [distorted("OC-6", rng, 0.25) for _ in range(6)]
    centers = np.array([c for c, _ in pairs]).reshape(2, 3, 3)
    ligands = np.array([lig for _, lig in pairs]).reshape(2, 3, 6, 3)
    batched = S.shape_measures(centers, ligands)
    deviation = S.path_deviation(centers, ligands)
    coordinate = S.generalized_coordinate(centers, ligands)
    for i in range(2):
        for j in range(3):
            single = S.shape_measures(centers[i, j], ligands[i, j])
            for key, value in single.items():
                assert batched[key][i, j] == pytest.approx(float(value), abs=1e-10)
            assert deviation[i, j] == pytest.approx(
                float(S.path_deviation(centers[i, j], ligands[i, j])), abs=1e-9
            )
            assert coordinate[i, j] == pytest.approx(
                float(S.generalized_coordinate(centers[i, j], ligands[i, j])), abs=1e-9
            )


def test_single_shape_equals_joint_evaluation() -> None:
    rng = np.random.default_rng(1)
    center, ligands = distorted("PPY-6", rng, 0.2)
    joint = S.shape_measures(center, ligands)
    for label in S.shape_labels(6):
        assert S.cshm(center, ligands, label) == pytest.approx(float(joint[label]), abs=1e-10)


def test_measure_is_smooth_under_small_perturbations() -> None:
    # A 1e-5 Å shift changes S by O(1e-5 · dS/dx), never by a jump to another pairing.
    rng = np.random.default_rng(6)
    center, ligands = distorted("OC-6", rng, 0.15)
    shifts = rng.normal(0, 1e-5, (50, 6, 3))
    values = S.shape_measures(center, ligands + shifts, ("OC-6", "TPR-6"))
    base = S.shape_measures(center, ligands, ("OC-6", "TPR-6"))
    for key in values:
        assert np.abs(values[key] - base[key]).max() < 1e-3


def test_path_deviation_and_generalized_coordinate() -> None:
    # On the ideal end points: S_A = 0 and S_B = S_B(A), so Δ = 0 and φ = 0 (at A) or 100 (at B).
    oc, tpr = S.ideal_polyhedron("OC-6"), S.ideal_polyhedron("TPR-6")
    assert S.path_deviation(oc.center, oc.vertices) == pytest.approx(0.0, abs=1e-4)
    assert S.path_deviation(tpr.center, tpr.vertices) == pytest.approx(0.0, abs=1e-4)
    assert S.generalized_coordinate(oc.center, oc.vertices) == pytest.approx(0.0, abs=1e-4)
    assert S.generalized_coordinate(tpr.center, tpr.vertices) == pytest.approx(100.0, abs=1e-4)
    # Off the path (a squashed octahedron is neither on the way to a prism): Δ > 0.
    squashed = oc.vertices * np.array([1.0, 1.0, 0.6])
    assert S.path_deviation(oc.center, squashed) > 1.0


def test_degenerate_and_mismatched_input() -> None:
    assert np.isnan(S.cshm(np.zeros(3), np.zeros((6, 3)), "OC-6"))
    with pytest.raises(ValueError, match="vertices"):
        S.cshm(np.zeros(3), np.ones((5, 3)), "OC-6")
    with pytest.raises(ValueError, match="unknown shape"):
        S.ideal_polyhedron("XX-6")
    assert S.shape_labels(6) == ("HP-6", "PPY-6", "OC-6", "TPR-6", "JPPY-6")


@pytest.mark.parametrize(("label", "noise"), [("OC-6", 0.0), ("OC-6", 0.1), ("TBPY-5", 0.2),
                                              ("T-4", 0.05), ("SAPR-8", 0.15)])  # fmt: skip
def test_copies_use_only_pairings_that_can_win_and_lose_nothing(label, noise) -> None:
    # Reference: every pairing of every shape on every displaced copy (shape_measures).
    # An undistorted OC-6 (noise 0) is the hardest case: 48 pairings tie at S = 0.
    from coordgeo.geometry import displaced_copies

    rng = np.random.default_rng(11)
    pairs = [distorted(label, rng, noise) for _ in range(3)]
    center = np.array([c for c, _ in pairs])
    ligands = np.array([lig for _, lig in pairs])
    x = np.concatenate([center[:, None], ligands], axis=1)
    copies = displaced_copies(x, 1e-5)
    n = ligands.shape[1]
    # every shape up to six donors; for eight, three enumerated shapes and a searched one (a
    # searched shape costs a search on every one of the 54 copies of the reference below)
    labels = S.shape_labels(n) if n <= 6 else ("SAPR-8", "TDD-8", "CU-8", "BTPR-8")
    values, moved = S.shape_measures_with_copies(center, ligands, copies, labels, 1e-5)
    full = S.shape_measures(copies[..., 0, :], copies[..., 1:, :], labels)
    plain = S.shape_measures(center, ligands, labels)
    for key in labels:
        np.testing.assert_allclose(values[key], plain[key], atol=1e-12)
        np.testing.assert_allclose(moved[key], full[key], atol=1e-9)


# --- seven to nine donors: the alternating Hungarian/Kabsch search -----------------------------


def cosymlib_shape():
    """cosymlib's Shape class (the peer: SHAPE's algorithm and reference polyhedra).

    cosymlib is in the test extra; without it these tests skip, except under CI=true.
    """
    try:
        from cosymlib.shape import Shape
    except ImportError:
        message = "cosymlib is not installed (pip install cosymlib; it is in the test extra)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return Shape


def peer_measures(center: np.ndarray, ligands: np.ndarray, labels) -> dict[str, float]:
    """cosymlib's CShM with the central atom (given last, numbered from 1)."""
    shape = cosymlib_shape()
    points = np.vstack([ligands, center[None]])
    return {label: shape(points).measure(label, central_atom=len(points)) for label in labels}


def test_every_ideal_polyhedron_is_cosymlibs() -> None:
    # cosymlib measures each of coordgeo's ideal polyhedra (four to nine vertices, with the
    # central atom) against its own reference shape of that label: 0 to rounding.
    for label in S.shape_labels():
        ideal = S.ideal_polyhedron(label)
        value = peer_measures(ideal.center, ideal.vertices, [label])[label]
        assert abs(value) < 1e-6, label


def sphere_positions(path: Path, metal: str) -> np.ndarray:
    from coordgeo.coordination import coordination_spheres
    from coordgeo.geometry import Atom, cartesian
    from coordgeo.io.cif import read_cif
    from coordgeo.symmetry import SymmetryCode

    structure = read_cif(path)[0]
    sphere = next(s for s in coordination_spheres(structure) if structure.labels[s.metal] == metal)
    identity = SymmetryCode(op=structure.identity_op, shift=(0, 0, 0))
    return cartesian(structure, [Atom(sphere.metal, identity), *sphere.donors])


# Seven- to nine-coordinate metal sites of the published CIFs (coordgeo's own spheres).
PUBLISHED_SITES = [
    ("4320780-negative-value.cif", "U1", 7),
    ("2009228.cif", "Ca", 7),
    ("2014429-greek-chemname.cif", "Dy1", 8),
    ("2201319.cif", "Eu1", 8),
    ("1101171-enums-varnings.cif", "Nd2", 9),
    ("2104374.cif", "Al36", 9),
]


def test_seven_to_nine_donors_equal_cosymlib_on_published_sites(shared, report_figure) -> None:
    # Every reference shape of the site's coordination number, against cosymlib 0.12.1.
    worst = 0.0
    for name, metal, n in PUBLISHED_SITES:
        x = sphere_positions(shared / "cifs" / "published" / name, metal)
        assert len(x) == n + 1, name
        ours = S.shape_measures(x[0], x[1:])
        peer = peer_measures(x[0], x[1:], S.shape_labels(n))
        for label, value in peer.items():
            assert float(ours[label]) == pytest.approx(value, abs=1e-2), (name, label)
            worst = max(worst, abs(float(ours[label]) - value))
    report_figure(
        f"CShM of {len(PUBLISHED_SITES)} published CN 7-9 sites, every shape of their CN: "
        f"largest difference from cosymlib {worst:.1e}"
    )


def test_seven_to_nine_donors_equal_cosymlib_on_distorted_polyhedra() -> None:
    rng = np.random.default_rng(17)
    for n in (7, 8, 9):
        labels = S.shape_labels(n)
        for noise in (0.1, 0.4, 1.5):
            ideal = S.ideal_polyhedron(str(rng.choice(labels)))
            center = rng.normal(0, noise / 3, 3)
            ligands = 2.0 * ideal.vertices + rng.normal(0, noise, ideal.vertices.shape)
            ours = S.shape_measures(center, ligands)
            for label, value in peer_measures(center, ligands, labels).items():
                assert float(ours[label]) == pytest.approx(value, abs=1e-2), (n, noise, label)


def test_search_equals_every_pairing_for_seven_and_eight_donors() -> None:
    # The exhaustive enumeration (one pairing per coset of the exact symmetry group) is the
    # reference; the search, forced here, must reach the same minimum.
    rng = np.random.default_rng(23)
    for n in (7, 8):
        labels = S.shape_labels(n)
        for noise in (0.05, 0.3, 1.0, 3.0):
            for _ in range(2):
                ideal = S.ideal_polyhedron(str(rng.choice(labels)))
                center = rng.normal(0, noise / 3, 3)
                ligands = 2.0 * ideal.vertices + rng.normal(0, noise, ideal.vertices.shape)
                search = S.shape_measures(center, ligands, method="hungarian")
                every = S.shape_measures(center, ligands, method="exhaustive")
                for label in labels:
                    difference = float(search[label] - every[label])
                    assert abs(difference) < 1e-8, (n, noise, label, difference)


def test_symmetry_groups_by_backtracking() -> None:
    # The backtracking search finds the same permutations as testing all N! (up to eight
    # vertices), except where SHAPE's tabulated coordinates are symmetric only to ~1e-7–1e-4:
    # at its loose tolerance (1e-3) JSD-8 gets all of D2d (8), TT-8 all of Td (24) and
    # ETBPY-8 all of D3h (12), where the enumeration's exact test (1e-9) keeps 4, 2 and 4.
    loose = {"JSD-8": (8, 4), "TT-8": (24, 2), "ETBPY-8": (12, 4)}
    for n in range(4, 9):
        perms = every_permutation(n)
        for label in S.shape_labels(n):
            group = S._symmetry_group(label)
            if label in loose:
                exact = symmetry_permutations(S.ideal_polyhedron(label).vertices, perms)
                assert (len(group), len(exact)) == loose[label], label
                continue
            exact = symmetry_permutations(S.ideal_polyhedron(label).vertices, perms)
            assert sorted(map(tuple, group)) == sorted(map(tuple, exact)), label
    assert len(S._symmetry_group("CSAPR-9")) == 8  # C4v
    assert len(S._symmetry_group("MFF-9")) == 2  # Cs


def test_reference_polyhedra_are_achiral() -> None:
    # Allowing improper rotations is the same as SHAPE's proper ones only for achiral shapes:
    # each non-planar reference has a symmetry permutation realised by an improper orthogonal
    # map (a planar one is its own mirror image).
    for label in S.shape_labels():
        v = S.ideal_polyhedron(label).vertices
        if np.linalg.matrix_rank(v, tol=1e-6) < 3:
            continue
        mirrored = False
        for sigma in S._symmetry_group(label):
            m, *_ = np.linalg.lstsq(v, v[sigma], rcond=None)
            if np.abs(v @ m - v[sigma]).max() < 2e-3 and np.linalg.det(m) < 0:
                mirrored = True
                break
        assert mirrored, label


def test_search_measures_with_copies_for_nine_donors() -> None:
    from coordgeo.geometry import displaced_copies

    rng = np.random.default_rng(4)
    ideal = S.ideal_polyhedron("CSAPR-9")
    center = rng.normal(0, 0.03, (1, 3))
    ligands = 2.0 * ideal.vertices[None] + rng.normal(0, 0.1, (1, 9, 3))
    copies = displaced_copies(np.concatenate([center[:, None], ligands], axis=1), 1e-5)
    labels = ("CSAPR-9", "TCTPR-9", "MFF-9")
    values, moved = S.shape_measures_with_copies(center, ligands, copies, labels, 1e-5)
    full = S.shape_measures(copies[..., 0, :], copies[..., 1:, :], labels)
    plain = S.shape_measures(center, ligands, labels)
    for key in labels:
        np.testing.assert_allclose(values[key], plain[key], atol=1e-12)
        np.testing.assert_allclose(moved[key], full[key], atol=1e-9)


@pytest.mark.parametrize("label", ["TBPY-5", "OC-6", "TPR-6", "PBPY-7", "SAPR-8", "CSAPR-9"])
def test_cshm_gradient_equals_central_differences(label) -> None:
    # ∂S/∂x in closed form (envelope theorem) against central differences of S itself.
    rng = np.random.default_rng(31)
    ideal = S.ideal_polyhedron(label)
    center = rng.normal(0, 0.05, 3)
    ligands = 2.0 * ideal.vertices + rng.normal(0, 0.15, ideal.vertices.shape)
    value, grad = S.cshm_gradient(center, ligands, label)
    assert value == pytest.approx(float(S.cshm(center, ligands, label)), abs=1e-10)
    assert grad.shape == (ideal.n + 1, 3)
    x = np.vstack([center, ligands])
    step = 1e-6
    numeric = np.zeros_like(x)
    for atom in range(len(x)):
        for axis in range(3):
            up, down = x.copy(), x.copy()
            up[atom, axis] += step
            down[atom, axis] -= step
            numeric[atom, axis] = (
                S.cshm(up[0], up[1:], label) - S.cshm(down[0], down[1:], label)
            ) / (2 * step)
    np.testing.assert_allclose(grad, numeric, atol=1e-5 * max(1.0, np.abs(numeric).max()))
    # translation invariance: the rows sum to zero
    assert np.abs(grad.sum(axis=0)).max() < 1e-9


@pytest.mark.parametrize("label", ["OC-6", "SAPR-8"])
def test_cshm_gradient_batched_and_zero_at_the_ideal_shape(label) -> None:
    rng = np.random.default_rng(2)
    ideal = S.ideal_polyhedron(label)
    n = ideal.n
    value, grad = S.cshm_gradient(ideal.center, 2.0 * ideal.vertices, label)
    assert value == pytest.approx(0.0, abs=1e-9)
    assert np.abs(grad).max() < 1e-6
    centers = rng.normal(0, 0.05, (2, 3))
    ligands = 2.0 * ideal.vertices + rng.normal(0, 0.1, (2, n, 3))
    values, grads = S.cshm_gradient(centers, ligands, label)
    assert values.shape == (2,) and grads.shape == (2, n + 1, 3)
    for k in range(2):
        one_value, one_grad = S.cshm_gradient(centers[k], ligands[k], label)
        assert values[k] == pytest.approx(float(one_value), abs=1e-12)
        np.testing.assert_allclose(grads[k], one_grad, atol=1e-12)
    with pytest.raises(ValueError, match="vertices"):
        S.cshm_gradient(np.zeros(3), np.ones((n - 1, 3)), label)
    value, grad = S.cshm_gradient(np.zeros(3), np.zeros((n, 3)), label)  # all points coincide
    assert np.isnan(value) and np.isnan(grad).all()


def test_measures_with_gradients_equal_the_separate_functions() -> None:
    rng = np.random.default_rng(9)
    for n in (6, 7):
        ideal = S.ideal_polyhedron(S.shape_labels(n)[2])
        center = rng.normal(0, 0.05, (3, 3))
        ligands = 2.0 * ideal.vertices + rng.normal(0, 0.2, (3, n, 3))
        both = S.shape_measures_with_gradients(center, ligands)
        plain = S.shape_measures(center, ligands)
        assert tuple(both) == S.shape_labels(n)
        for label, (values, grads) in both.items():
            np.testing.assert_allclose(values, plain[label], atol=1e-10)
            np.testing.assert_allclose(grads, S.cshm_gradient(center, ligands, label)[1])


def test_method_choices() -> None:
    prism = S.ideal_polyhedron("TPR-6")
    assert S.shape_measures(prism.center, prism.vertices, ("OC-6",), method="hungarian")[
        "OC-6"
    ] == pytest.approx(16.737, abs=5e-4)
    with pytest.raises(ValueError, match="unknown method"):
        S.shape_measures(prism.center, prism.vertices, method="greedy")
    nine = S.ideal_polyhedron("MFF-9")
    with pytest.raises(ValueError, match="limited to 8"):
        S.shape_measures(nine.center, nine.vertices, method="exhaustive")


def test_site_points_stacks_centre_first_or_last_and_broadcasts() -> None:
    # one centre for a batch of two donor sets: the centre is repeated, rows in order
    center = np.array([1.0, 2.0, 3.0])
    ligands = np.arange(12.0).reshape(2, 2, 3)
    first = S.site_points(center, ligands)
    last = S.site_points(center, ligands, center_first=False)
    assert first.shape == last.shape == (2, 3, 3)
    np.testing.assert_array_equal(first[:, 0], [center, center])
    np.testing.assert_array_equal(first[:, 1:], ligands)
    np.testing.assert_array_equal(last[:, :2], ligands)
    np.testing.assert_array_equal(last[:, 2], [center, center])
    with pytest.raises(ValueError, match="center must have shape"):
        S.site_points(np.zeros(2), ligands)
    with pytest.raises(ValueError, match="ligands must have shape"):
        S.site_points(center, np.zeros(3))


def noisy_sites(label: str, rng, k: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """k sites: centres (k, 3) anywhere and the ideal ``label`` at 2 Å about each, every
    donor moved by Gaussian noise of ``noise`` Å per coordinate (ligands (k, n, 3))."""
    ideal = S.ideal_polyhedron(label)
    center = rng.normal(size=(k, 3))
    noise_draw = noise * rng.normal(size=(k, ideal.n, 3))
    return center, 2.0 * ideal.vertices[None] + noise_draw + center[:, None]


def test_shape_measures_of_a_batch_are_those_of_each_polyhedron_alone() -> None:
    # bulk measures the sites of many structures in one call: a polyhedron's measures and
    # candidate pairings must not depend on the others (Newton's iterations on ν ran until
    # the slowest pairing of the batch converged, which moved the others by a bit or two),
    # and the search of several problems together gives each the local optima of its own
    from coordgeo.polyhedra import _shape_columns

    rng = np.random.default_rng(11)
    for label in ("OC-6", "SAPR-8", "CSAPR-9"):
        center, ligands = noisy_sites(label, rng, 12, 0.15)
        k, n = ligands.shape[:2]
        labels = S.shape_labels(n)
        values, grads = _shape_columns(center, ligands, labels, 1e-5)
        for i in range(k):
            one, d_one = _shape_columns(center[i : i + 1], ligands[i : i + 1], labels, 1e-5)
            for lab in labels:
                assert np.array_equal(one[lab], values[lab][i : i + 1]), (label, lab)
                assert np.array_equal(d_one[lab], grads[lab][i : i + 1]), (label, lab)
        q, _ = S._prepare(center, ligands)
        together = S._local_optima_of(q, "CSAPR-9" if n == 9 else labels[0]) if n == 9 else None
        if together is not None:
            for i in range(k):
                alone = S._local_optima(q[i], "CSAPR-9")
                assert np.array_equal(alone[0], together[i][0])
                assert np.array_equal(alone[1], together[i][1])


@pytest.mark.parametrize(
    ("seed", "ideal_label", "labels", "small_k"),
    [(5, "CSAPR-9", ("CSAPR-9",), 20), (8, "SAPR-8", ("CU-8", "SAPR-8", "TDD-8"), 7)],
)
def test_memory_of_the_shape_measures_does_not_grow_with_the_number_of_sites(
    seed, ideal_label, labels, small_k
) -> None:
    # Nine donors, the search: it scores every problem × 2·N_STARTS orientations × n × n
    # donor–vertex pairs in its first round. Searched all at once, 512 nine-donor sites of
    # a bulk batch (lanthanide complexes, a disordered intermetallic) held ~800 MB; a few
    # problems at a time (shape._SEARCH_BUDGET) keep the peak that of one such group. Hand
    # estimate: one problem's first-round scores are 600 × 9 × 9 × 8 B = 389 kB, so 240
    # problems at once would need ≥ 93 MB per array, and a group of ≤ 5 problems
    # (250 000 / (600 × 81)) ≤ 2 MB.
    # Eight donors, the enumeration: CU-8, SAPR-8 and TDD-8 have 8!/48 + 8!/16 + 8!/8 =
    # 840 + 2520 + 5040 = 8400 pairings. Each pass scores at most shape._ENUMERATION_BUDGET
    # sites × pairings (62 500: 7 sites, 7 × 9 × 8400 × 8 B = 4.2 MB per product array) and
    # keeps the measures, the near pairings and their order per pass too. Before, only the
    # products were chunked (250 000) and the (sites, pairings) measures were whole: a bulk
    # batch of 31 copies of one CIF peaked at 58 MB, and 240 sites need ≥ 16 MB per (sites,
    # pairings) array.
    import tracemalloc

    rng = np.random.default_rng(seed)
    ideal = S.ideal_polyhedron(ideal_label)
    n = len(ideal.vertices)

    def peak(k: int) -> int:
        center = rng.normal(0, 0.03, (k, 3))
        ligands = 2.0 * ideal.vertices[None] + rng.normal(0, 0.1, (k, n, 3))
        tracemalloc.start()
        try:
            S.shape_candidates(center, ligands, labels, 1e-5)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(small_k), peak(240)
    assert small < 40e6, small
    assert large < 1.5 * small, (small, large)


@pytest.mark.parametrize("label", ["PBPY-7", "CTPR-7", "SAPR-8", "CU-8", "TDD-8"])
def test_screen_on_t1_drops_no_pairing_that_can_win(label, monkeypatch) -> None:
    # The t₁ screen of _pairing_nuclear_norms (U² ≤ 3t₁ < L² of the pairing of largest t₁:
    # no win) must leave the measures and the candidate pairings of every site exactly as
    # scoring every pairing gives them (the screen off: _SCREEN_MIN above any K), for
    # distorted sites from nearly ideal to far from the shape, and with ties (noise 0).
    from coordgeo.polyhedra import _shape_columns

    rng = np.random.default_rng(7)
    ideal = S.ideal_polyhedron(label)
    n = ideal.n
    noise = np.repeat([0.0, 0.05, 0.3, 1.0], 4)[:, None, None]
    center = rng.normal(size=(len(noise), 3))
    ligands = 2.0 * ideal.vertices[None] + noise * rng.normal(size=(len(noise), n, 3))
    ligands += center[:, None]
    labels = S.shape_labels(n)
    screened = S.shape_candidates(center, ligands, labels, 1e-5)
    d_screened = _shape_columns(center, ligands, labels, 1e-5)[1]
    monkeypatch.setattr(S, "_SCREEN_MIN", 10**9)
    every = S.shape_candidates(center, ligands, labels, 1e-5)
    d_every = _shape_columns(center, ligands, labels, 1e-5)[1]
    for lab in labels:
        assert np.array_equal(screened[0][lab], every[0][lab]), lab
        if lab in every[1]:
            assert np.array_equal(screened[1][lab], every[1][lab]), lab
        assert np.array_equal(d_screened[lab], d_every[lab], equal_nan=True), lab


def test_search_reports_each_local_optimum_with_the_nu_of_its_own_fit() -> None:
    # _local_optima_of takes the ν of a local optimum (and of most images of the near ones)
    # from the round that fitted it rather than a second SVD: it must be the very number a
    # fresh fit of that pairing gives (the same H, the same SVD), for several problems
    # searched together
    rng = np.random.default_rng(3)
    for label in ("CSAPR-9", "MFF-9", "JSD-8"):
        q, _ = S._prepare(*noisy_sites(label, rng, 5, 0.3))
        for b, (pairings, nu) in enumerate(S._local_optima_of(q, label)):
            owner = np.full(len(pairings), b)
            fresh = S._fit_of(S._reference(label), q, pairings, owner, False)[0]
            assert np.array_equal(nu, fresh), label


def test_greedy_pairing_is_the_largest_free_score_first_with_ties_to_the_first() -> None:
    # _greedy takes the largest score left, rows and columns once each, the first in
    # row-major order among equal scores, and its last pick is the one row and column
    # left: compared with the rule written out in plain Python, on integer scores full of
    # ties and on real ones, for N = 1 to 9
    rng = np.random.default_rng(2)
    for n in range(1, 10):
        for w in (rng.integers(0, 3, size=(200, n, n)).astype(float), rng.normal(size=(200, n, n))):
            expected = np.empty((len(w), n), dtype=np.int64)
            for b, scores in enumerate(w.tolist()):
                free_rows, free_columns = set(range(n)), set(range(n))
                for _ in range(n):
                    _, i, j = max((scores[i][j], -i, -j) for i in free_rows for j in free_columns)
                    expected[b, -i] = -j
                    free_rows.discard(-i)
                    free_columns.discard(-j)
            assert np.array_equal(S._greedy(w), expected), n
