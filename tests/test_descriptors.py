"""τ4, τ4′, τ5, ⟨λ⟩, σ², Halcrow's φ/θ, bite angles: hand derivations, published angles, OctaDist.

Expected values come from hand derivations written next to each assertion, from the
authors' own ``_geom_angle`` loops of published CIFs (read here with gemmi), and from
OctaDist 3.0.0 run on its own bpp examples by ``tests/support/octadist_halcrow_reference.py``.
"""

from __future__ import annotations

import math
from pathlib import Path

import gemmi
import numpy as np
import pytest

from coordgeo import descriptors as D
from coordgeo import distortion
from coordgeo.coordination import coordination_spheres
from coordgeo.esd import parse_su
from coordgeo.geometry import FINITE_DIFFERENCE_STEP, Atom, cartesian, su_of_function
from coordgeo.io.cif import read_cif
from coordgeo.symmetry import SymmetryCode

TET = math.degrees(math.acos(-1.0 / 3.0))  # 109.4712206…°


def unit(polar: float, azimuth: float) -> list[float]:
    t, p = math.radians(polar), math.radians(azimuth)
    return [math.sin(t) * math.cos(p), math.sin(t) * math.sin(p), math.cos(t)]


TETRAHEDRON = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) / math.sqrt(3.0)
SQUARE = np.array([[1.0, 0, 0], [0, 1, 0], [-1, 0, 0], [0, -1, 0]])
# seesaw: an octahedron without two cis donors: angles 180° (axial) and 120° would need a
# trigonal bipyramid; the C2v seesaw of Yang et al. is a TBP missing one equatorial donor.
SEESAW = np.array([[0, 0, 1.0], [0, 0, -1.0], unit(90, 0), unit(90, 120)])
# trigonal pyramid: a TBP missing one axial donor (three 120° and three 90° angles).
TRIGONAL_PYRAMID = np.array([[0, 0, 1.0], unit(90, 0), unit(90, 120), unit(90, 240)])
TBP = np.array([[0, 0, 1.0], [0, 0, -1.0], unit(90, 0), unit(90, 120), unit(90, 240)])
SQUARE_PYRAMID = np.array([[0, 0, 1.0], [1.0, 0, 0], [0, 1, 0], [-1, 0, 0], [0, -1, 0]])
OCTAHEDRON = np.vstack([np.eye(3), -np.eye(3)])


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    return q * np.sign(np.diag(r))


# --- τ4, τ4′, τ5 -----------------------------------------------------------------------------


def test_tau4_and_tau4_prime_of_ideal_geometries() -> None:
    # τ4 = (360 − α − β)/141 and τ4′ = (β − α)/(360 − θ) + (180 − β)/(180 − θ), θ = 109.47°:
    # tetrahedron α = β = 109.47°: τ4 = (360 − 218.94)/141 = 1.000408, τ4′ = 0 + 1 = 1;
    # square plane α = β = 180°: both 0;
    # seesaw β = 180°, α = 120°: τ4 = 60/141 = 0.4255, τ4′ = 60/250.53 = 0.2395;
    # trigonal pyramid α = β = 120°: τ4 = 120/141 = 0.8511, τ4′ = 60/70.53 = 0.8507.
    cases = {
        "tetrahedron": (TETRAHEDRON, (360 - 2 * TET) / 141, 1.0),
        "square": (SQUARE, 0.0, 0.0),
        "seesaw": (SEESAW, 60 / 141, 60 / (360 - TET)),
        "trigonal pyramid": (TRIGONAL_PYRAMID, 120 / 141, 60 / (180 - TET)),
    }
    rng = np.random.default_rng(3)
    for name, (donors, t4, t4p) in cases.items():
        rot, shift, scale = random_rotation(rng), rng.normal(size=3) * 5, 2.1
        center, ligands = shift, scale * donors @ rot.T + shift
        assert D.tau4(center, ligands) == pytest.approx(t4, abs=1e-9), name
        assert D.tau4_prime(center, ligands) == pytest.approx(t4p, abs=1e-9), name
    assert round(60 / 141, 4) == 0.4255 and round(60 / (360 - TET), 4) == 0.2395


def test_tau5_of_ideal_geometries() -> None:
    # TBP: β = 180°, α = 120° → τ5 = 60/60 = 1. Square pyramid with the metal in the basal
    # plane: two trans basal pairs at 180° → τ5 = 0; lifting the apex angle to 104.48° (SHAPE's
    # spherical SPY-5) keeps the two trans angles equal (151.04° each) → still 0.
    assert D.tau5(np.zeros(3), TBP) == pytest.approx(1.0, abs=1e-12)
    assert D.tau5(np.zeros(3), SQUARE_PYRAMID) == pytest.approx(0.0, abs=1e-12)
    polar = math.degrees(math.acos(-0.25))
    spy = np.array([[0, 0, 1.0], *[unit(polar, phi) for phi in (0, 90, 180, 270)]])
    assert D.tau5(np.zeros(3), spy) == pytest.approx(0.0, abs=1e-12)


def test_undefined_for_other_coordination_numbers() -> None:
    assert np.isnan(D.tau4(np.zeros(3), OCTAHEDRON))
    assert np.isnan(D.tau5(np.zeros(3), TETRAHEDRON))
    assert np.isnan(D.quadratic_elongation(np.zeros(3), TBP))
    assert np.isnan(D.bond_angle_variance(np.zeros(3), TBP))
    value, jac = D.tau5(np.zeros(3), OCTAHEDRON, with_jacobian=True)
    assert np.isnan(value) and jac.shape == (7, 3) and np.isnan(jac).all()
    assert D.undefined_reason("tau4", 6) == (
        "τ4 is defined for four-coordinate sites only (this site has 6 donors)"
    )
    assert D.undefined_reason("bond_angle_variance", 5) == (
        "σ² is defined for four-coordinate and six-coordinate sites only (this site has 5 donors)"
    )
    assert D.undefined_reason("tau5", 5) == ""
    with pytest.raises(ValueError, match="unknown descriptor"):
        D.undefined_reason("tau6", 6)


def sphere_positions(path: Path, metal: str) -> tuple[np.ndarray, list[str]]:
    """[metal, donors…] Cartesian positions of the metal's sphere and the donor labels."""
    structure = read_cif(path)[0]
    sphere = next(s for s in coordination_spheres(structure) if structure.labels[s.metal] == metal)
    identity = SymmetryCode(op=structure.identity_op, shift=(0, 0, 0))
    atoms = [Atom(sphere.metal, identity), *sphere.donors]
    return cartesian(structure, atoms), [structure.labels[a.site] for a in sphere.donors]


def published_angles(path: Path, metal: str) -> list[tuple[float, float]]:
    """(value, su) of every _geom_angle row with the metal in the middle, read with gemmi."""
    block = gemmi.cif.read(str(path)).sole_block()
    table = block.find("", ["_geom_angle_atom_site_label_2", "_geom_angle"])
    out = []
    for row in table:
        if row[0] == metal:
            value, su = parse_su(row[1])
            out.append((value, su or 0.0))
    return out


@pytest.mark.parametrize(
    ("name", "metal", "n"),
    [
        ("4502879.cif", "Co1", 4),  # tetrahedral Co(II) O2N2
        ("4308312-audit-dict-name.cif", "Pd1", 4),  # square-planar Pd(II) N2Cl2
        ("1501469.cif", "Cu", 5),  # square-pyramidal Cu(II) O4N
    ],
)
def test_tau_indices_from_the_authors_angles(shared: Path, name: str, metal: str, n: int) -> None:
    # The expected τ comes from the two largest L–M–L angles of the CIF's own _geom_angle loop
    # (all n(n−1)/2 angles at the metal are listed); coordgeo recomputes them from the rounded
    # coordinates, so the two agree within the angles' su's.
    path = shared / "cifs" / "published" / name
    x, _ = sphere_positions(path, metal)
    assert len(x) == n + 1
    angles = sorted(published_angles(path, metal))
    assert len(angles) == n * (n - 1) // 2
    (alpha, su_a), (beta, su_b) = angles[-2], angles[-1]
    if n == 4:
        expected = {
            "tau4": ((360 - alpha - beta) / 141, (su_a + su_b) / 141),
            "tau4_prime": (
                (beta - alpha) / (360 - TET) + (180 - beta) / (180 - TET),
                su_a / (360 - TET) + su_b * (1 / (180 - TET) - 1 / (360 - TET)),
            ),
        }
    else:
        expected = {"tau5": ((beta - alpha) / 60, (su_a + su_b) / 60)}
    for key, (value, tolerance) in expected.items():
        ours = float(getattr(D, key)(x[0], x[1:]))
        assert ours == pytest.approx(value, abs=tolerance), (name, key)


# --- ⟨λ⟩ and σ² ----------------------------------------------------------------------------------


def test_quadratic_elongation_and_angle_variance_of_a_tetragonal_octahedron() -> None:
    # Donors at ±a z and ±b x, ±b y: all angles 90° → σ² = 0. Volume (4/3)·a·b² (an octahedron
    # with half-diagonals a, b, b), so l₀³ = a b² and ⟨λ⟩ = (2a² + 4b²) / (6 (a b²)^(2/3)).
    a, b = 2.3, 2.0
    donors = np.array([[0, 0, a], [0, 0, -a], [b, 0, 0], [-b, 0, 0], [0, b, 0], [0, -b, 0]])
    expected = (2 * a * a + 4 * b * b) / (6 * (a * b * b) ** (2 / 3))
    assert D.quadratic_elongation(np.zeros(3), donors) == pytest.approx(expected, rel=1e-12)
    assert D.bond_angle_variance(np.zeros(3), donors) == pytest.approx(0.0, abs=1e-20)
    assert D.quadratic_elongation(np.zeros(3), 2.0 * OCTAHEDRON) == pytest.approx(1.0, abs=1e-12)


def test_angle_variance_of_a_trigonally_twisted_octahedron() -> None:
    # Equal bonds, squashed along a C3 axis: the three angles within each of the two opposite
    # faces become 90° + δ and the six between them 90° − δ (trans angles stay 180°), so over
    # the 12 cis angles σ² = 12δ²/11. The donors are at polar angles t and 180° − t with
    # cos(90° + δ) = (3cos²t − 1)/2 for two donors of one face (azimuths 120° apart).
    delta = 6.0
    cos_t = math.sqrt((2 * math.cos(math.radians(90 + delta)) + 1) / 3)
    t = math.degrees(math.acos(cos_t))
    donors = np.array(
        [unit(t, phi) for phi in (0, 120, 240)] + [unit(180 - t, phi) for phi in (60, 180, 300)]
    )
    assert D.bond_angle_variance(np.zeros(3), donors) == pytest.approx(12 * delta**2 / 11)


def test_quadratic_elongation_and_angle_variance_of_a_flattened_tetrahedron() -> None:
    # Donors (±a, 0, c) and (0, ±a, −c): two skew edges 2a long, 2c apart, so the volume is
    # (1/6)·|d₁ × d₂ · w| = (1/6)·4a²·2c = (4/3)a²c and l₀ = (9√3 V/8)^⅓; every bond is
    # √(a² + c²), so ⟨λ⟩ = (a² + c²)/l₀². Angles: the two within a pair have
    # cos θ₁ = (c² − a²)/(a² + c²), the four across cos θ₂ = −c²/(a² + c²);
    # σ² = [2(θ₁ − 109.47)² + 4(θ₂ − 109.47)²]/5. c = a/√2 is the regular tetrahedron.
    a, c = 1.6, 0.8
    donors = np.array([[a, 0, c], [-a, 0, c], [0, a, -c], [0, -a, -c]])
    l0 = (9 * math.sqrt(3) * (4 / 3) * a * a * c / 8) ** (1 / 3)
    assert D.quadratic_elongation(np.zeros(3), donors) == pytest.approx((a * a + c * c) / l0**2)
    t1 = math.degrees(math.acos((c * c - a * a) / (a * a + c * c)))
    t2 = math.degrees(math.acos(-c * c / (a * a + c * c)))
    sigma2 = (2 * (t1 - TET) ** 2 + 4 * (t2 - TET) ** 2) / 5
    assert D.bond_angle_variance(np.zeros(3), donors) == pytest.approx(sigma2)
    regular = np.array([[a, 0, a / math.sqrt(2)], [-a, 0, a / math.sqrt(2)],
                        [0, a, -a / math.sqrt(2)], [0, -a, -a / math.sqrt(2)]])  # fmt: skip
    assert D.quadratic_elongation(np.zeros(3), regular) == pytest.approx(1.0, abs=1e-12)
    assert D.bond_angle_variance(np.zeros(3), regular) == pytest.approx(0.0, abs=1e-18)


# --- Halcrow's φ and θ on OctaDist's bpp examples -------------------------------------------

# Printed by tests/support/octadist_halcrow_reference.py, which runs OctaDist 3.0.0 (PyPI wheel):
# φ = max(CalcDistortion.trans_angle); θ(donors) = linear.angle_btw_planes of the planes that
# plane.find_fit_plane fits to each ligand's three donors; θ(ligands) the same for the 16 C/N
# atoms of each ligand. Groups are 1-based donor rows of the xyz file (the metal is row 0).
OCTADIST = {
    "[Fe(1-bpp)2][BF4]2-HS-Full.xyz": ([[1, 2, 4], [3, 5, 6]], 172.98787004498442,
                                       89.42448292537264, 89.74858244431306),
    "[Fe(1-bpp)2][BF4]2-LS-Full.xyz": ([[1, 2, 3], [4, 5, 6]], 178.15714357583508,
                                       89.97717476229484, 89.36724783474531),
    "[Fe(1-bpp)2][ClO4]2.xyz": ([[1, 2, 3], [4, 5, 6]], 155.64753290672442, 67.72813666071173,
                                None),
    "[Fe(1-bpp)2][I3]2.xyz": ([[2, 3, 4], [1, 5, 6]], 171.07218046139795, 89.840224306234, None),
    "[Fe(1-bpp)2][PF6]2.xyz": ([[1, 2, 3], [4, 5, 6]], 154.18319923521014, 65.69065888746303,
                               None),
    "[Fe(1-bpp)2][SbF6]2.xyz": ([[1, 2, 3], [4, 5, 6]], 154.40250071931283, 65.20215449374868,
                                None),
    "[Fe(1-bpp)2]I0.5[I3]1.xyz": ([[1, 2, 3], [4, 5, 6]], 155.95900426132008,
                                  89.12134682220115, None),
}  # fmt: skip


def read_xyz(path: Path) -> tuple[list[str], np.ndarray]:
    lines = path.read_text().splitlines()
    rows = [line.split() for line in lines[2 : 2 + int(lines[0])]]
    return [r[0] for r in rows], np.array([[float(v) for v in r[1:4]] for r in rows])


def ligand_atoms(elements: list[str], x: np.ndarray, donors: list[int]) -> list[int]:
    """C and N atoms bonded (< 1.7 Å) into one ligand with ``donors`` (rows of x)."""
    found, todo = set(donors), list(donors)
    while todo:
        i = todo.pop()
        for j, element in enumerate(elements):
            if j and element in ("C", "N") and j not in found and np.linalg.norm(x[i] - x[j]) < 1.7:
                found.add(j)
                todo.append(j)
    return sorted(found)


def test_halcrow_phi_and_theta_equal_octadist_on_its_bpp_examples(shared: Path) -> None:
    # φ is OctaDist's own angle arithmetic: equal to rounding. θ through three donors is the
    # exact plane whatever the fit, so it equals OctaDist's to the tolerance of its
    # scipy.optimize.minimize plane fit (~1e-5°). Through a ligand's 16 C/N atoms OctaDist fits
    # z = ax + by + c (vertical residuals) where coordgeo takes orthogonal residuals (the mean
    # plane of crystallographic programs): the two planes differ by up to ~0.2° here.
    # (OctaDist's Jahn–Teller dialog prints another number, the angle between (a, b, c)
    # vectors, which changes when the molecule is translated; the support script shows it.)
    folder = shared / "xyz" / "octadist"
    for name, (groups, phi, theta_donors, theta_ligands) in OCTADIST.items():
        elements, x = read_xyz(folder / name)
        partition = [[k - 1 for k in g] for g in groups]
        assert D.halcrow_phi(x[0], x[1:7], partition) == pytest.approx(phi, abs=1e-9), name
        assert D.halcrow_theta(x[0], x[1:7], partition) == pytest.approx(theta_donors, abs=1e-4)
        if theta_ligands is not None:
            a, b = (ligand_atoms(elements, x, g) for g in groups)
            assert len(a) == len(b) == 16  # C11H9N5: 11 C + 5 N
            assert D.plane_angle(x[a], x[b]) == pytest.approx(theta_ligands, abs=0.25), name


def test_central_donors_and_partition_checks() -> None:
    # A D2d bis(tridentate) model: ligand A in the xz plane (central donor on +z, terminal
    # donors at ±75° from it), ligand B in the yz plane (central donor on −z). φ = 180°,
    # θ = 90°; the central donors are 0 and 3 whatever the order the donors are listed in.
    a = [unit(0, 0), unit(75, 0), unit(75, 180)]
    b = [unit(180, 0), unit(105, 90), unit(105, 270)]
    donors = np.array(a + b)
    partition = [[2, 0, 1], [5, 4, 3]]
    assert list(D.central_donors(np.zeros(3), donors, partition)) == [0, 3]
    assert D.halcrow_phi(np.zeros(3), donors, partition) == pytest.approx(180.0)
    assert D.halcrow_theta(np.zeros(3), donors, partition) == pytest.approx(90.0)
    with pytest.raises(ValueError, match="six different donors"):
        D.halcrow_phi(np.zeros(3), donors, [[0, 1, 2], [2, 3, 4]])
    with pytest.raises(ValueError, match="two ligands"):
        D.halcrow_theta(np.zeros(3), donors, [[0, 1], [2, 3]])


# --- bite angles and su's against the authors' own loop --------------------------------------


def test_bite_angle_and_its_su_equal_the_cif(shared: Path) -> None:
    # [PdCl2(N^N)] of 4308312: the chelate's N3–Pd1–N1 bite angle is printed as 85.92(14)°.
    # coordgeo recomputes it from the rounded coordinates and propagates their su's with the
    # analytic Jacobian: value within the printed su, su within one unit of its last digit.
    path = shared / "cifs" / "published" / "4308312-audit-dict-name.cif"
    structure = read_cif(path)[0]
    sphere = next(s for s in coordination_spheres(structure) if structure.labels[s.metal] == "Pd1")
    labels = [structure.labels[a.site] for a in sphere.donors]
    identity = SymmetryCode(op=structure.identity_op, shift=(0, 0, 0))
    atoms = [Atom(sphere.metal, identity), *sphere.donors]
    x = cartesian(structure, atoms)
    pair = [labels.index("N3"), labels.index("N1")]
    value, jac = D.bite_angles(x[0], x[1:], [pair], with_jacobian=True)
    sites = np.array([[a.site for a in atoms]])
    ops = np.array([[a.code.op for a in atoms]])
    shifts = np.array([[a.code.shift for a in atoms]], dtype=float)
    su = D.su_in_structure(structure, sites, ops, shifts, jac[None])
    assert value[0] == pytest.approx(85.92, abs=0.14)
    assert su[0, 0] == pytest.approx(0.14, abs=0.01)


def test_analytic_jacobians_equal_central_differences() -> None:
    rng = np.random.default_rng(21)
    step = 1e-6
    checks = [
        (D.tau4, TETRAHEDRON, {}),
        (D.tau4_prime, TETRAHEDRON, {}),
        (D.tau5, TBP, {}),
        (D.bond_angle_variance, OCTAHEDRON, {}),
        (D.bond_angle_variance, TETRAHEDRON, {}),
        (D.quadratic_elongation, OCTAHEDRON, {}),
        (D.quadratic_elongation, TETRAHEDRON, {}),
        (D.halcrow_phi, OCTAHEDRON, {"partition": [[0, 1, 4], [3, 2, 5]]}),
        (D.bite_angles, OCTAHEDRON, {"pairs": [[0, 1], [2, 4], [5, 3]]}),
    ]
    for func, ideal, kwargs in checks:
        center = rng.normal(0, 0.05, 3)
        ligands = 2.0 * ideal + rng.normal(0, 0.12, ideal.shape)
        x = np.vstack([center, ligands])
        value, jac = func(center, ligands, with_jacobian=True, **kwargs)
        numeric = np.zeros_like(np.asarray(jac))
        for atom in range(len(x)):
            for axis in range(3):
                up, down = x.copy(), x.copy()
                up[atom, axis] += step
                down[atom, axis] -= step
                diff = (func(up[0], up[1:], **kwargs) - func(down[0], down[1:], **kwargs)) / (
                    2 * step
                )
                numeric[..., atom, axis] = diff
        np.testing.assert_allclose(jac, numeric, atol=2e-5 * max(1.0, np.abs(numeric).max()))
        assert np.allclose(np.asarray(value), func(center, ligands, **kwargs))


def test_finite_difference_jacobians_along_random_directions() -> None:
    # θ has a central-difference Jacobian (step 1e-5 Å per coordinate), ⟨λ⟩ an analytic
    # one; check them against a directional difference with another step along random
    # directions.
    rng = np.random.default_rng(8)
    cases = [
        (D.quadratic_elongation, OCTAHEDRON, {}),
        (D.quadratic_elongation, TETRAHEDRON, {}),
        (D.halcrow_theta, OCTAHEDRON, {"partition": [[0, 1, 4], [3, 2, 5]]}),
    ]
    for func, ideal, kwargs in cases:
        center = rng.normal(0, 0.05, 3)
        ligands = 2.0 * ideal + rng.normal(0, 0.12, ideal.shape)
        _, jac = func(center, ligands, with_jacobian=True, **kwargs)
        for _ in range(3):
            d = rng.normal(size=(len(ideal) + 1, 3))
            h = 3e-5
            plus = func(center + h * d[0], ligands + h * d[1:], **kwargs)
            minus = func(center - h * d[0], ligands - h * d[1:], **kwargs)
            assert (jac * d).sum() == pytest.approx((plus - minus) / (2 * h), rel=1e-5, abs=1e-8)
    a, b = rng.normal(size=(5, 3)), rng.normal(size=(4, 3))
    value, jac = D.plane_angle(a, b, with_jacobian=True)
    assert jac.shape == (9, 3) and value == pytest.approx(D.plane_angle(a, b))


def test_propagated_su_matches_monte_carlo() -> None:
    # Independent isotropic errors of 0.005 Å on every atom: the linearised su of each
    # descriptor equals the spread of the descriptor over 4000 perturbed copies within 5 %.
    rng = np.random.default_rng(5)
    sigma = 0.005
    cases = [
        (D.tau4, TETRAHEDRON * 2 + rng.normal(0, 0.1, (4, 3)), {}),
        # a square pyramid half-way to a TBP (trans angles 160° and 140°, τ5 = 1/3): no angle
        # near 180°, where an angle is not smooth enough for linearisation at this noise
        (
            D.tau5,
            2 * np.array([[0, 0, 1.0], unit(100, 0), unit(100, 180), unit(110, 90), unit(110, 270)])
            + rng.normal(0, 0.05, (5, 3)),
            {},
        ),
        (D.quadratic_elongation, OCTAHEDRON * 2 + rng.normal(0, 0.1, (6, 3)), {}),
        (D.bond_angle_variance, OCTAHEDRON * 2 + rng.normal(0, 0.1, (6, 3)), {}),
    ]
    for func, ligands, kwargs in cases:
        center = np.zeros(3)
        _, jac = func(center, ligands, with_jacobian=True, **kwargs)
        cov = np.broadcast_to(np.eye(3) * sigma**2, (len(ligands) + 1, 3, 3))
        su = float(D.propagate_su(jac, cov))
        noise = rng.normal(0, sigma, (4000, len(ligands) + 1, 3))
        sample = func(center + noise[:, 0], ligands + noise[:, 1:], **kwargs)
        assert su == pytest.approx(float(np.std(sample)), rel=0.05), func.__name__
        joint = np.eye(3 * (len(ligands) + 1)) * sigma**2  # the same as one joint covariance
        assert float(D.propagate_su(jac, joint)) == pytest.approx(su, rel=1e-12)
    with pytest.raises(ValueError, match="covariance must be"):
        D.propagate_su(jac, np.eye(4))


def test_propagate_su_with_several_values_and_batches() -> None:
    rng = np.random.default_rng(2)
    ligands = 2.0 * OCTAHEDRON + rng.normal(0, 0.1, (3, 6, 3))
    pairs = [[0, 1], [1, 3], [4, 5]]
    _, jac = D.bite_angles(np.zeros((3, 3)), ligands, pairs, with_jacobian=True)  # (3, 3, 7, 3)
    cov = np.broadcast_to(np.eye(3) * 1e-6, (3, 7, 3, 3))
    su = D.propagate_su(jac, cov)
    assert su.shape == (3, 3)
    for site in range(3):
        for k in range(3):
            one = D.propagate_su(jac[site, k], cov[site])
            assert su[site, k] == pytest.approx(float(one), rel=1e-12)


def test_su_in_structure_equals_geometry_finite_differences(shared: Path) -> None:
    # The same propagation as coordgeo.geometry's: τ4′ su's from the analytic Jacobian equal
    # those of geometry.su_of_function (central differences through propagate_su).
    path = shared / "cifs" / "published" / "4502879.cif"
    structure = read_cif(path)[0]
    sphere = next(s for s in coordination_spheres(structure) if structure.labels[s.metal] == "Co1")
    identity = SymmetryCode(op=structure.identity_op, shift=(0, 0, 0))
    atoms = [Atom(sphere.metal, identity), *sphere.donors]
    sites = np.array([[a.site for a in atoms]])
    ops = np.array([[a.code.op for a in atoms]])
    shifts = np.array([[a.code.shift for a in atoms]], dtype=float)
    x = cartesian(structure, atoms)
    for func in (D.tau4, D.tau4_prime, D.bond_angle_variance, D.quadratic_elongation):
        _, jac = func(x[0], x[1:], with_jacobian=True)
        ours = D.su_in_structure(structure, sites, ops, shifts, jac[None])
        _, fd = su_of_function(
            structure, sites, ops, shifts, lambda y, f=func: f(y[..., 0, :], y[..., 1:, :])
        )
        assert ours[0] == pytest.approx(fd[0], rel=1e-4), func.__name__
        assert ours[0] > 0


# --- values that symmetry fixes at zero ----------------------------------------------------------


def test_snap_zero_on_an_ideal_centrosymmetric_octahedron() -> None:
    # A regular octahedron generated by inversion (donor i and −donor i) in a general
    # orientation: ζ, Δ, Σ, Θ are zero by symmetry, but floating point leaves ~1e-16 in the
    # values and their finite-difference su's. snap_zero makes them exactly 0 with su 0.
    rng = np.random.default_rng(12)
    rot = random_rotation(rng)
    half = 2.05 * np.eye(3) @ rot.T + np.array([0.3, -1.1, 2.2])
    centre = np.array([0.3, -1.1, 2.2])
    donors = np.vstack([half, 2 * centre - half])
    x = np.vstack([centre, donors])
    funcs = {
        "zeta": (distortion.zeta, 6 * 2.05),
        "delta": (distortion.delta, 1.0),
        "sigma": (distortion.sigma, 180.0),
        "theta": (distortion.theta, 180.0),
    }
    copies_step = FINITE_DIFFERENCE_STEP
    for name, (func, scale) in funcs.items():
        value, jac = D.finite_difference_jacobian(
            lambda y, f=func: f(y[..., 0, :], y[..., 1:, :]), x[None], copies_step
        )
        su = D.propagate_su(jac[0], np.broadcast_to(np.eye(3) * 1e-8, (7, 3, 3)))
        assert abs(float(value[0])) < 1e-9 * scale, name  # zero to rounding, not exactly
        snapped, snapped_su = D.snap_zero(value[0], su, scale)
        assert float(snapped) == 0.0 and float(snapped_su) == 0.0, name
    # A real distortion is left alone, and NaN stays NaN.
    assert D.snap_zero(0.0123, 0.0004, 12.0) == (0.0123, 0.0004)
    value, su = D.snap_zero(np.array([np.nan, 1e-18]), np.array([np.nan, 1e-9]), 12.0)
    assert np.isnan(value[0]) and np.isnan(su[0]) and value[1] == 0.0 and su[1] == 0.0
    # new arrays, never the caller's own (writing to a result must not change the input)
    given, given_su = np.array([0.02, 0.5]), np.array([0.003, 0.01])
    value, su = D.snap_zero(given, given_su, 12.0)
    value[0] = su[0] = -1.0
    assert given[0] == 0.02 and given_su[0] == 0.003


def test_snap_zero_on_a_site_where_symmetry_makes_all_bonds_equal(shared: Path) -> None:
    # 2218662: Cr1 on a 3̄ site, its six Cr–O bonds equal by symmetry. coordgeo's per-site
    # table gives ζ and Δ at rounding level with rounding-level su's; snapped they print as 0.
    from coordgeo.polyhedra import site_parameters

    structure = read_cif(shared / "cifs" / "published" / "2218662.cif")[0]
    table = site_parameters(structure, shapes=("OC-6",))
    row = table[table.metal == "Cr1"].iloc[0]
    n, d_mean = row.coordination_number, row.d_mean
    assert n == 6
    for name, scale in (("zeta", n * d_mean), ("Delta", 1.0)):
        assert abs(row[name]) < 1e-9 * scale
        value, su = D.snap_zero(row[name], row[f"{name}_su"], scale)
        assert float(value) == 0.0 and float(su) == 0.0


def test_batched_equals_one_by_one() -> None:
    rng = np.random.default_rng(14)
    cases = [
        (D.tau4, TETRAHEDRON, {}),
        (D.tau4_prime, SQUARE, {}),
        (D.tau5, TBP, {}),
        (D.quadratic_elongation, OCTAHEDRON, {}),
        (D.bond_angle_variance, TETRAHEDRON, {}),
        (D.quadratic_elongation, OCTAHEDRON, {}),
        (D.quadratic_elongation, TETRAHEDRON, {}),
        (D.halcrow_phi, OCTAHEDRON, {"partition": [[0, 1, 4], [3, 2, 5]]}),
        (D.halcrow_theta, OCTAHEDRON, {"partition": [[0, 1, 4], [3, 2, 5]]}),
    ]
    for func, ideal, kwargs in cases:
        centers = rng.normal(0, 0.05, (2, 3, 3))
        ligands = 2.0 * ideal + rng.normal(0, 0.1, (2, 3, *ideal.shape))
        values, jac = func(centers, ligands, with_jacobian=True, **kwargs)
        assert values.shape == (2, 3) and jac.shape == (2, 3, len(ideal) + 1, 3)
        for i in range(2):
            for j in range(3):
                one, one_jac = func(centers[i, j], ligands[i, j], with_jacobian=True, **kwargs)
                assert values[i, j] == pytest.approx(float(one), abs=1e-12), func.__name__
                np.testing.assert_allclose(jac[i, j], one_jac, atol=1e-6)


def test_no_su_where_a_descriptor_has_no_value(shared: Path) -> None:
    # 2208504 Cu2 and Cu3 are square planar: four coplanar donors span no volume, so
    # ⟨λ⟩ is undefined; its su must be too (finite differences once gave 38–41 here)
    from coordgeo.coordination import coordination_spheres
    from coordgeo.io.cif import read_cif

    structure = read_cif(shared / "cifs/published/2208504.cif")[0]
    spheres = coordination_spheres(structure)
    out = D.site_descriptors(structure, spheres)
    planar = [
        i
        for i, sp in enumerate(spheres)
        if structure.labels[sp.metal] in ("Cu2", "Cu3") and sp.coordination_number == 4
    ]
    assert len(planar) == 2
    assert np.isnan(out["quadratic_elongation"][planar]).all()
    assert np.isnan(out["quadratic_elongation_su"][planar]).all()
    assert np.isfinite(out["bond_angle_variance_su"][planar]).all()  # σ² is defined


@pytest.mark.parametrize("name", ["2208504.cif", "1101101-enum-notes.cif"])
def test_hulls_handed_over_by_the_site_table_give_the_same_elongation(
    shared: Path, name: str
) -> None:
    # the pipeline hands ⟨λ⟩ the hull volumes and Jacobians the site table found
    # (polyhedra.site_columns); finding the hulls again must give the same numbers to the
    # last bit: square-planar Cu (coplanar donors, no volume) in 2208504, an octahedron
    # beside a five-coordinate site in 1101101
    from coordgeo.polyhedra import site_columns

    structure = read_cif(shared / "cifs/published" / name)[0]
    spheres = coordination_spheres(structure)
    volumes: dict = {}
    site_columns(structure, spheres, ("OC-6",), volumes)
    assert set(volumes) == {sp.coordination_number for sp in spheres}
    handed = D.site_descriptors(structure, spheres, volumes=volumes)
    found = D.site_descriptors(structure, spheres)
    for column in ("quadratic_elongation", "quadratic_elongation_su"):
        np.testing.assert_array_equal(handed[column], found[column])


def test_four_coordinate_descriptors_share_their_sorted_angles(shared: Path) -> None:
    # site_descriptors works out the sorted L–M–L angles of a group of four-coordinate
    # sites once for τ4, τ4′ and σ²; each must be what the function gives on its own, to
    # the last bit (7204861: two four-coordinate sites)
    structure = read_cif(shared / "cifs/published/7204861.cif")[0]
    spheres = [sp for sp in coordination_spheres(structure) if sp.coordination_number == 4]
    assert len(spheres) >= 1
    found = D.site_descriptors(structure, spheres)
    from coordgeo.geometry import image_fract

    # the positions as site_descriptors makes them (fractional images, then M·x)
    sites = np.array([[sp.metal] + [a.site for a in sp.donors] for sp in spheres])
    ops = np.array([[structure.identity_op] + [a.code.op for a in sp.donors] for sp in spheres])
    shifts = np.array([[(0, 0, 0)] + [a.code.shift for a in sp.donors] for sp in spheres], float)
    x = image_fract(structure, sites, ops, shifts) @ structure.cell.orthogonalization.T
    for name in ("tau4", "tau4_prime", "bond_angle_variance"):
        alone = getattr(D, name)(x[:, 0], x[:, 1:])
        np.testing.assert_array_equal(found[name], alone, err_msg=name)
        assert np.isfinite(alone).all()
    assert found["tau4"].min() >= 0.0 and found["tau4"].max() <= 1.01  # Yang et al.'s range
