"""Continuous shape measures: literature values, hand derivations, invariances, batching."""

from __future__ import annotations

import math

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
    labels = S.shape_labels(ligands.shape[1])
    values, moved = S.shape_measures_with_copies(center, ligands, copies, labels, 1e-5)
    full = S.shape_measures(copies[..., 0, :], copies[..., 1:, :], labels)
    plain = S.shape_measures(center, ligands, labels)
    for key in labels:
        np.testing.assert_allclose(values[key], plain[key], atol=1e-12)
        np.testing.assert_allclose(moved[key], full[key], atol=1e-9)
