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
