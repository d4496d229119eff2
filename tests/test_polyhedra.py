"""Per-site distortion and shape table with su's, and the `octahedra` command."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from coordgeo import distortion, shape
from coordgeo.cli.app import app
from coordgeo.coordination import coordination_spheres
from coordgeo.io.cif import read_cif
from coordgeo.model import orthogonalization_matrix
from coordgeo.polyhedra import CONTRACT_COLUMNS, site_parameters


def _sampled_su(structure, sphere, func, n=3000, seed=7):
    """su of func(center, ligands) by sampling coordinates and cell from their su's."""
    rng = np.random.default_rng(seed)
    atoms = [(sphere.metal, 0, np.zeros(3))] + [
        (a.site, a.code.op, np.array(a.code.shift, dtype=float)) for a in sphere.donors
    ]
    sites = sorted({a[0] for a in atoms})
    params, sig = np.array(structure.cell.parameters), np.array(structure.cell.su)
    values = []
    for _ in range(n):
        x = structure.fract.copy()
        for i in sites:
            x[i] = x[i] + rng.normal(0, 1, 3) * structure.fract_su[i]
        m = orthogonalization_matrix(params + rng.normal(0, 1, 6) * sig)
        rot, tran = structure.rotations, structure.translations
        pts = np.array([m @ (rot[o] @ x[s] + tran[o] + t) for s, o, t in atoms])
        values.append(float(func(pts[0], pts[1:])))
    return float(np.std(values))


def test_su_of_sigma_theta_and_cshm_match_sampling(qsal_cif):
    # Nobody publishes an su for Σ or Θ, so the independent check is sampling the
    # coordinates and cell from their su's and taking the spread of the result.
    s = read_cif(qsal_cif, "wp91-rt2")[0]
    (sphere,) = coordination_spheres(s)
    row = site_parameters(s, [sphere]).iloc[0]
    for column, func in (
        ("Sigma", distortion.sigma),
        ("Theta", distortion.theta),
        ("zeta", distortion.zeta),
        ("cshm_oc6", lambda c, lig: shape.cshm(c, lig, "OC-6")),
    ):
        assert row[f"{column}_su"] == pytest.approx(_sampled_su(s, sphere, func), rel=0.1), column


def test_contract_columns_and_values(qsal_cif, shared):
    s = read_cif(qsal_cif, "wp91ltb")[0]
    table = site_parameters(s)
    assert list(table.columns[: len(CONTRACT_COLUMNS)]) == CONTRACT_COLUMNS
    # OctaDist 3.0 / cosymlib 0.12 values for this site in the shared reference
    with open(shared / "reference/octahedra_octadist_cosymlib.csv") as f:
        (ref,) = [r for r in csv.DictReader(f) if r["block"] == "wp91ltb"]
    row = table.iloc[0]
    assert row.Sigma == pytest.approx(float(ref["Sigma"]), abs=1e-3)
    assert row.Theta == pytest.approx(float(ref["Theta"]), abs=1e-3)
    assert row.cshm_oc6 == pytest.approx(float(ref["CShM_OC6"]), abs=1e-3)
    assert row.donors.split() == ["O1", "O20", "N2", "N21", "N1", "N20"]
    assert row.donor_set == "N4O2"
    assert all(row[f"{c}_su"] > 0 for c in ("d_mean", "zeta", "Delta", "Sigma", "Theta", "volume"))


@pytest.mark.parametrize(
    ("name", "metal", "n", "shapes"),
    [
        ("1100974-wr-factor.cif", "Zn", 4, ("cshm_t4", "cshm_sp4")),
        ("1101137-r-factor.cif", "Pt", 5, ("cshm_tbpy5", "cshm_spy5")),
    ],
)
def test_other_coordination_numbers(shared, name, metal, n, shapes):
    (s,) = read_cif(shared / "cifs/published" / name)
    table = site_parameters(s)
    row = table[table.metal == metal].iloc[0]
    assert row.coordination_number == n
    assert np.isfinite(row.d_mean) and row.d_mean_su > 0
    assert np.isnan(row.Sigma) and np.isnan(row.Theta)
    assert "six-coordinate" in row.reason
    for col in shapes:
        assert 0 <= row[col] <= 100 and row[f"{col}_su"] >= 0


def test_cli_octahedra_csv_and_xyz(qsal_cif, shared):
    runner = CliRunner()
    result = runner.invoke(app, ["octahedra", str(qsal_cif), "--format", "csv"])
    assert result.exit_code == 0, result.output
    df = pd.read_csv(io.StringIO(result.stdout), keep_default_na=False)
    assert list(df.columns[: len(CONTRACT_COLUMNS)]) == CONTRACT_COLUMNS
    assert list(df.block) == ["wp91ltb", "wp91-rt2", "wp91-mt2"]
    # xyz input, OctaDist's example: its published <d> 1.958109, Sigma 86.081494, Theta 281.231091
    xyz = shared / "xyz/octadist/[Fe(1-bpp)2][BF4]2-LS-Full.xyz"
    result = runner.invoke(app, ["octahedra", str(xyz), "-f", "csv"])
    row = pd.read_csv(io.StringIO(result.stdout)).iloc[0]
    assert row.d_mean == pytest.approx(1.958109, abs=1e-6)
    assert row.Sigma == pytest.approx(86.081494, abs=1e-5)
    assert row.Theta == pytest.approx(281.231091, abs=1e-5)
    assert np.isnan(row.Sigma_su)  # xyz coordinates carry no su


def _finite_difference_sus(structure, spheres, shapes):
    """su's of every column by central differences of the values on displaced copies
    (geometry.su_of_function on the whole evaluator: the way they were computed before the
    Jacobians), by sphere row: {column: array}."""
    from coordgeo.geometry import su_of_function
    from coordgeo.polyhedra import _DISTORTION, _evaluator, shape_column

    out: dict[str, np.ndarray] = {}
    for n in sorted({sp.coordination_number for sp in spheres}):
        rows = [i for i, sp in enumerate(spheres) if sp.coordination_number == n]
        wanted = tuple(s for s in shapes if s in shape.shape_labels(n))
        group = [spheres[i] for i in rows]
        sites = np.array([[sp.metal] + [a.site for a in sp.donors] for sp in group])
        ops = np.array([[structure.identity_op] + [a.code.op for a in sp.donors] for sp in group])
        shifts = np.array(
            [[(0, 0, 0)] + [a.code.shift for a in sp.donors] for sp in group], dtype=float
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            _, sus = su_of_function(structure, sites, ops, shifts, _evaluator(n, wanted, False))
        names = [col for _, col in _DISTORTION] + [shape_column(s) for s in wanted]
        for q, name in enumerate(names):
            out.setdefault(name, np.full(len(spheres), np.nan))[rows] = sus[:, q]
    return out


@pytest.mark.parametrize(
    ("name", "block", "shapes"),
    [
        # a spin-crossover Fe(III) N4O2 octahedron: every shape of CN 6
        ("qsal", "wp91-rt2", ("HP-6", "PPY-6", "OC-6", "TPR-6", "JPPY-6")),
        # symmetric sites: a regular VO4 tetrahedron (SP-4, SS-4 fits tied by its symmetry;
        # ζ = 0 exactly) and Rb sites of CN 5, 8, 9
        ("2009306-xyz-simple-fract.cif", None, ("T-4", "SP-4", "SS-4", "SPY-5", "CU-8", "SAPR-8",
                                                "HBPY-8", "CSAPR-9")),
        # Ru/Co sites whose TPR-6 and PPY-6 fits have a second pairing within reach
        ("1518798.cif", None, ("OC-6", "TPR-6", "PPY-6", "JPPY-6")),
    ],
)  # fmt: skip
def test_sus_from_jacobians_equal_finite_differences(shared, qsal_cif, name, block, shapes):
    # The su's of site_parameters come from analytic Jacobians; here the same su's by central
    # differences of the values (±1e-5 Å on each coordinate of the metal and its donors, the
    # evaluation of every displaced copy from scratch, shape measures over all pairings).
    path = qsal_cif if name == "qsal" else shared / "cifs/published" / name
    s = read_cif(path, block)[0]
    spheres = coordination_spheres(s)
    table = site_parameters(s, spheres, shapes=shapes)
    reference = _finite_difference_sus(s, spheres, shapes)
    compared = 0
    for column, fd in reference.items():
        ours = table[f"{column}_su"].to_numpy()
        assert (np.isnan(ours) == np.isnan(fd)).all(), column
        ok = np.isfinite(fd)
        # 1e-6 absolute: where a value is 0 by symmetry (ζ of a regular site) central
        # differences give rounding noise of ~1e-7 and the Jacobian ~1e-12
        np.testing.assert_allclose(ours[ok], fd[ok], rtol=1e-3, atol=1e-6, err_msg=column)
        compared += int(ok.sum())
    assert compared >= 6


def test_shape_gradients_are_cshm_gradient_where_one_pairing_is_best():
    # Away from ties the gradient behind the CShM su's is shape.cshm_gradient's closed form
    # (one best pairing and rotation); seven-donor sites go through the pairing search.
    from coordgeo.polyhedra import _shape_columns

    rng = np.random.default_rng(5)
    for label in ("OC-6", "TPR-6", "T-4", "PBPY-7"):
        ideal = shape.ideal_polyhedron(label)
        ligands = 2.0 * ideal.vertices + rng.normal(0.0, 0.12, (6, ideal.n, 3))
        center = rng.normal(0.0, 0.05, (6, 3))
        values, grads = _shape_columns(center, ligands, (label,), 1e-5)
        s, g = shape.cshm_gradient(center, ligands, label)
        np.testing.assert_allclose(values[label], s, rtol=1e-10)
        np.testing.assert_allclose(grads[label], g, rtol=1e-7, atol=1e-9 * np.abs(g).max())


def test_disorder_configurations_are_capped_and_the_cap_is_stated(shared):
    # 2104374.cif (a giant-cell intermetallic with fractional occupancies) gives its Ta50 site
    # 5184 compatible donor sets. The spheres keep the MAX_CONFIGURATIONS with most donors,
    # and the analysis says so, so the site table stays bounded and nothing is cut silently.
    from coordgeo.coordination import MAX_CONFIGURATIONS
    from coordgeo.pipeline import analyse_structure

    (s,) = read_cif(shared / "cifs/published/2104374.cif")
    analysis = analyse_structure(s, None)
    ta50 = [sp for sp in analysis.spheres if s.labels[sp.metal] == "Ta50"]
    assert len(ta50) == MAX_CONFIGURATIONS == 64
    sizes = [sp.coordination_number for sp in ta50]
    assert sizes == sorted(sizes, reverse=True)
    notes = [n for n in analysis.notes if "disorder configurations" in n]
    assert any(n.startswith("Ta50: 5184 disorder configurations") for n in notes), notes
    assert all(any("Ta50: 5184" in n for n in sp.notes) for sp in ta50)
    table = site_parameters(s, analysis.spheres, shapes=("OC-6",))
    assert len(table) == len(analysis.spheres) < 1000
