"""Simulated powder patterns (coordgeo.pxrd), measured patterns (coordgeo.io.xy), ``coordgeo pxrd``.

Structures, read in place from ../shared/cifs/published/:

* cubic: 2240655.cif, Na2MoO4 spinel, F d -3 m (origin choice 2), a = 9.10888(3) Å,
  every site special and anisotropic;
* low symmetry: 2201319.cif, [Eu(H2O)…Fe(CN)…] (C18H36EuFeN10O8), P 21/n, 66 sites,
  264 atoms in the cell.

Independent reference: pymatgen's ``XRDCalculator`` (its own CIF reader, its own form
factors, its own reflection enumeration). Its peaks for both structures with λ =
1.540593 Å, 2θ 3–50°, no Debye–Waller factor, were produced once with pymatgen
2026.10.24 (pymatgen-core 2026.10.16) by :func:`pymatgen_peaks` and are stored below,
so the comparison runs without pymatgen; with pymatgen installed it is also rerun live.
"""

from __future__ import annotations

import io
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from coordgeo import read
from coordgeo.cli.app import app
from coordgeo.errors import InputError
from coordgeo.io.xy import MeasuredPattern, parse_xy, read_xy
from coordgeo.pxrd import (
    CU_KALPHA1,
    CU_KALPHA2,
    PEAK_COLUMNS,
    agreement,
    lorentz_polarisation,
    parse_radiation,
    peak_profile,
    plot_pattern,
    powder_pattern,
    pseudo_voigt,
    reflections,
    small_structure,
)

CUBIC = "cifs/published/2240655.cif"
MONOCLINIC = "cifs/published/2201319.cif"
OTHER = "cifs/published/ic0485312si20041025_103940_5.cif"  # a different Fe compound, P 21/c
# C10H14O5 with the centring x+1/4,y+1/2,z+3/4 ("X c"): a setting gemmi does not know
NONSTANDARD = "cifs/published/2105506-superspacegroup.cif"

# pymatgen 2026.10.24 XRDCalculator(wavelength=1.540593).get_pattern(s, two_theta_range=(3, 50))
# on Structure.from_file(cif): (2θ, intensity) of every peak ≥ 10 (strongest = 100).
PYMATGEN_STRONG = {
    CUBIC: [(16.845, 52.29), (27.6771, 82.06), (32.5767, 100.0), (48.9485, 30.47)],
    MONOCLINIC: [
        (7.0892, 32.12), (8.9623, 20.75), (10.0822, 35.24), (10.9192, 100.0),
        (12.2307, 40.92), (12.7672, 55.78), (14.2057, 36.72), (14.5528, 40.36),
        (15.206, 54.33), (16.7687, 15.54), (17.0962, 20.61), (17.9801, 13.0),
        (18.3146, 42.45), (18.8396, 14.16), (20.3406, 13.2), (20.5915, 37.53),
        (21.3779, 29.35), (22.3038, 17.57), (22.6049, 18.64), (22.7418, 11.1),
        (23.7849, 13.88), (25.6963, 15.39), (25.8687, 14.75), (30.5135, 10.87),
        (36.4066, 12.79),
    ],
    NONSTANDARD: [
        (9.3292, 43.64), (15.8628, 100.0), (19.3521, 23.08), (20.3992, 69.29),
        (20.6966, 34.19), (21.46, 23.63), (23.4444, 12.39), (23.5019, 75.99),
        (24.2122, 81.52), (25.9985, 13.62), (28.0475, 15.51), (28.2418, 15.08),
        (30.2154, 13.13), (30.7815, 11.57), (32.0403, 26.13), (36.5635, 14.43),
        (37.5341, 21.03), (38.9268, 10.06),
    ],
}  # fmt: skip

runner = CliRunner()


def structure(shared: Path, name: str):
    return read(shared / name)[0]


def merged_peaks(table: pd.DataFrame, tol: float = 1e-4) -> pd.DataFrame:
    """Reflections at the same 2θ (within tol) summed, as pymatgen reports them; max = 100."""
    t = table.sort_values("two_theta")
    group = np.concatenate([[0], np.cumsum(np.diff(t["two_theta"].to_numpy()) > tol)])
    merged = (
        t.assign(group=group)
        .groupby("group")
        .agg(two_theta=("two_theta", "mean"), intensity=("intensity_abs", "sum"))
    )
    merged["intensity"] *= 100.0 / merged["intensity"].max()
    return merged.reset_index(drop=True)


def pymatgen_peaks(path: Path, wavelength: float = CU_KALPHA1) -> pd.DataFrame:
    """How the stored reference values were made (needs pymatgen)."""
    from pymatgen.analysis.diffraction.xrd import XRDCalculator
    from pymatgen.core import Structure as PymatgenStructure

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = PymatgenStructure.from_file(str(path))
    pattern = XRDCalculator(wavelength=wavelength).get_pattern(s, two_theta_range=(3, 50))
    return pd.DataFrame({"two_theta": pattern.x, "intensity": pattern.y})


def compare(ours: pd.DataFrame, reference: pd.DataFrame, strong: float = 10.0):
    """(max |Δ2θ| over reference peaks ≥ 1 %, max |ΔI| over reference peaks ≥ strong)."""
    ref = reference[reference["intensity"] >= 1.0]
    tt = ours["two_theta"].to_numpy()
    nearest = np.abs(tt[None, :] - ref["two_theta"].to_numpy()[:, None]).argmin(axis=1)
    d_tt = np.abs(tt[nearest] - ref["two_theta"].to_numpy())
    d_int = np.abs(ours["intensity"].to_numpy()[nearest] - ref["intensity"].to_numpy())
    return float(d_tt.max()), float(d_int[ref["intensity"].to_numpy() >= strong].max())


# --- cross-check with pymatgen ------------------------------------------------------------


@pytest.mark.parametrize("name", [CUBIC, MONOCLINIC, NONSTANDARD])
def test_positions_and_intensities_match_stored_pymatgen(shared, name):
    table, notes = reflections(structure(shared, name), CU_KALPHA1, (3, 50), displacement=False)
    assert any("P1" in n for n in notes) == (name == NONSTANDARD)
    ours = merged_peaks(table)
    reference = pd.DataFrame(PYMATGEN_STRONG[name], columns=["two_theta", "intensity"])
    d_tt, d_int = compare(ours, reference)
    assert d_tt < 0.01  # degrees 2θ (rounding of the stored values: 5e-5)
    assert d_int < 2.0  # % of the strongest peak (form factors differ: IT92 vs pymatgen's)
    # and no strong peak of ours is absent from pymatgen's list
    strong = ours[ours["intensity"] >= 12.0]["two_theta"].to_numpy()
    assert (
        np.abs(strong[:, None] - reference["two_theta"].to_numpy()[None, :]).min(axis=1).max()
        < 0.01
    )


@pytest.mark.parametrize("name", [CUBIC, MONOCLINIC, NONSTANDARD])
def test_matches_pymatgen_live(shared, name):
    pytest.importorskip("pymatgen.analysis.diffraction.xrd", reason="pymatgen not installed")
    table, _ = reflections(structure(shared, name), CU_KALPHA1, (3, 50), displacement=False)
    ours = merged_peaks(table)
    reference = pymatgen_peaks(shared / name)
    d_tt, d_int = compare(ours, reference)
    assert d_tt < 0.01
    assert d_int < 2.0
    # pymatgen drops peaks below 0.001 %; every peak of ours above 0.1 % is in its list
    visible = ours[ours["intensity"] >= 0.1]["two_theta"].to_numpy()
    ref_tt = reference["two_theta"].to_numpy()
    assert np.abs(visible[:, None] - ref_tt[None, :]).min(axis=1).max() < 0.01


@pytest.mark.parametrize("name", [CUBIC, MONOCLINIC])
def test_anisotropic_debye_waller_matches_pymatgen(shared, name):
    """Displacement parameters on: gemmi's exp(−2π² hᵀU*h) against pymatgen's, given the
    unit cell generated here with U rotated to every image (U*' = R U* Rᵀ)."""
    pytest.importorskip("pymatgen.analysis.diffraction.xrd", reason="pymatgen not installed")
    from pymatgen.analysis.diffraction.xrd import XRDCalculator
    from pymatgen.core import Lattice
    from pymatgen.core import Structure as PymatgenStructure

    from coordgeo.pxrd import DEFAULT_U_ISO, _displacements, _unit_cell_contents

    s = structure(shared, name)
    u_iso, u_aniso, _ = _displacements(s, True, DEFAULT_U_ISO)
    fract, sites, aniso = _unit_cell_contents(s, list(range(len(s))), u_aniso)
    g_star = s.cell.fractionalization @ s.cell.fractionalization.T  # reciprocal metric
    recip = np.sqrt(np.diag(g_star))
    props: dict[str, list[float]] = {f"U{ij}_cif": [] for ij in (11, 22, 33, 12, 13, 23)}
    for i, u in zip(sites, aniso, strict=True):
        if not np.all(np.isfinite(u)):  # U_iso as a tensor: U* = U_iso G*
            m = u_iso[i] * g_star / np.outer(recip, recip)
            u = [m[0, 0], m[1, 1], m[2, 2], m[0, 1], m[0, 2], m[1, 2]]
        for key, value in zip(props, u, strict=True):
            props[key].append(float(value))
    species = [{s.elements[i]: float(s.occupancy[i])} for i in sites]
    ps = PymatgenStructure(
        Lattice.from_parameters(*s.cell.parameters), species, fract, site_properties=props
    )
    pattern = XRDCalculator(wavelength=CU_KALPHA1).get_pattern(ps, two_theta_range=(3, 50))
    reference = pd.DataFrame({"two_theta": pattern.x, "intensity": pattern.y})
    table, _ = reflections(s, CU_KALPHA1, (3, 50))
    d_tt, d_int = compare(merged_peaks(table), reference)
    assert d_tt < 0.01 and d_int < 2.0


# --- symmetry, occupancy, multiplicity -----------------------------------------------------


def test_cubic_multiplicities_and_absences(shared):
    table, notes = reflections(structure(shared, CUBIC), CU_KALPHA1, (3, 50))
    assert notes == []
    found = {(r.h, r.k, r.l): r.multiplicity for r in table.itertuples()}
    # m-3m: {111} 8, {220} 12, {311} 24, {222} 8, {400} 6, {331} 24, {422} 24;
    # F-centring and the d-glide remove 200 (mixed parity) and 420 … 002 (4n+2 along axes)
    assert found == {
        (1, 1, 1): 8,
        (2, 2, 0): 12,
        (3, 1, 1): 24,
        (2, 2, 2): 8,
        (4, 0, 0): 6,
        (3, 3, 1): 24,
        (4, 2, 2): 24,
    }
    # d(311) = a/√11
    row = table[(table.h == 3) & (table.k == 1) & (table.l == 1)].iloc[0]
    assert row.d == pytest.approx(9.10888 / math.sqrt(11), abs=1e-5)


def test_occupancies_made_crystallographic(shared):
    s = structure(shared, CUBIC)
    small, space_group, _ = small_structure(s)
    assert space_group is not None and space_group.xhm() == "F d -3 m:2"
    # O on 32e, Mo on 8b, Na on 16c of 192 general positions: occupancy / site symmetry order
    assert [site.occ for site in small.sites] == pytest.approx(
        list(s.occupancy / s.site_symmetry_order)
    )
    assert list(s.site_symmetry_order) == [6, 24, 12]


@pytest.mark.parametrize("name", [CUBIC, MONOCLINIC])
def test_p1_unit_cell_gives_the_same_pattern(shared, name, monkeypatch):
    """The fallback for settings gemmi does not know (whole cell in P1, own Laue orbits)."""
    import coordgeo.pxrd as pxrd

    s = structure(shared, name)
    with_group, _ = reflections(s, CU_KALPHA1, (3, 50))
    monkeypatch.setattr(pxrd, "_space_group", lambda structure: None)
    in_p1, notes = reflections(s, CU_KALPHA1, (3, 50))
    assert any("P1" in n for n in notes)
    cols = ["h", "k", "l", "multiplicity"]
    assert (with_group[cols].to_numpy() == in_p1[cols].to_numpy()).all()
    assert np.allclose(with_group["f_squared"], in_p1["f_squared"], rtol=1e-6, atol=1e-6)


def test_inconsistent_operators_are_an_input_error(shared, tmp_path):
    # 2009397.cif (R 3) lists y,-x,z+… where -x+y,-x,z+… belongs: not a group. The CIF
    # reader refuses such lists (symmetry.check_operator_group), so no pattern is made
    with pytest.raises(InputError, match="do not form a group"):
        structure(shared, "cifs/published/2009397.cif")
    # 2001507: the operator 'x,y,x'
    with pytest.raises(InputError, match="'x,y,x' is not invertible"):
        structure(shared, "cifs/published/2001507_temperature_ambiant.cif")
    result = run("pxrd", shared / "cifs/published/2009397.cif")
    assert result.exit_code == 2 and "2009397.cif" in result.stderr


# --- formulas -----------------------------------------------------------------------------


def test_lorentz_polarisation():
    # 2θ = 90°: cos 2θ = 0, sin²45° cos45° = 0.35355 → LP = 1/(0.35355·2) = 1.41421
    assert lorentz_polarisation(np.array([90.0]))[0] == pytest.approx(math.sqrt(2), rel=1e-9)
    # pymatgen's (1 + cos²2θ)/(sin²θ cosθ) is twice ours without monochromator, at any angle
    tt = np.array([10.0, 35.0, 70.0])
    theta = np.radians(tt / 2)
    pmg = (1 + np.cos(2 * theta) ** 2) / (np.sin(theta) ** 2 * np.cos(theta))
    assert np.allclose(lorentz_polarisation(tt), pmg / 2)
    # graphite monochromator (2θm = 26.6°) damps high angles less than it damps low ones
    ratio = lorentz_polarisation(tt, 26.6) / lorentz_polarisation(tt)
    c2m = math.cos(math.radians(26.6)) ** 2
    expect = (1 + np.cos(np.radians(tt)) ** 2 * c2m) / (1 + np.cos(np.radians(tt)) ** 2)
    assert np.allclose(ratio, expect * 2 / (1 + c2m))


@pytest.mark.parametrize("eta", [0.0, 0.5, 1.0])
def test_pseudo_voigt_area_and_width(eta):
    x = np.linspace(-50, 50, 2_000_001)
    y = pseudo_voigt(x, 0.2, eta)
    assert np.trapezoid(y, x) == pytest.approx(1.0, abs=2e-3)  # Lorentz tails beyond ±50°
    half = pseudo_voigt(np.array([0.1]), 0.2, eta)[0] / pseudo_voigt(np.array([0.0]), 0.2, eta)[0]
    assert half == pytest.approx(0.5)


def test_profile_cut_off_window():
    grid = np.arange(0.0, 20.0, 0.01)
    y = peak_profile(grid, np.array([10.0]), np.array([1.0]), np.array([0.1]), 0.5)
    assert np.trapezoid(y, grid) == pytest.approx(1.0, abs=0.01)
    assert y[(grid < 7.9) | (grid > 12.1)].max() == 0.0  # ±20 FWHM
    assert grid[np.argmax(y)] == pytest.approx(10.0)


def test_radiation_names():
    assert parse_radiation("CuKa").wavelengths == (1.540593, 1.544427)
    assert parse_radiation("Cu Kα1").wavelengths == (1.540593,)
    assert parse_radiation("MoKa").wavelengths == (0.709317, 0.713607)
    assert parse_radiation("1.5406").wavelengths == (1.5406,)
    assert parse_radiation(0.7).wavelength == 0.7
    with pytest.raises(InputError, match="unknown radiation"):
        parse_radiation("CoKa")
    with pytest.raises(InputError, match="not an X-ray wavelength"):
        parse_radiation("50")


def test_kalpha_doublet(shared):
    """311 of Na2MoO4, by hand: d = 9.10888/√11 = 2.746431 Å;
    Kα1: sin θ = 1.540593/(2·2.746431) = 0.280472 → 2θ = 32.5767°;
    Kα2: sin θ = 1.544427/(2·2.746431) = 0.281170 → 2θ = 32.6601°;
    separation 0.0833° (≈ 2 tan θ Δλ/λ = 2 · 0.2922 · 0.003834/1.540593 rad).
    Areas: 0.5 · LP(32.6601°)/LP(32.5767°) = 0.5 · 0.99448 = 0.4972 (LP falls with 2θ)."""
    pattern = powder_pattern(structure(shared, CUBIC), "CuKa", (30, 35), fwhm=0.01, step=0.001)
    row = int(pattern.peaks.index[(pattern.peaks.h == 3) & (pattern.peaks.l == 1)][0])
    pair = pattern.lines[pattern.lines.reflection == row].sort_values("line")
    assert list(pair["line"]) == [0, 1]
    assert pair["two_theta"].iloc[0] == pytest.approx(32.5767, abs=1e-4)
    assert pair["two_theta"].iloc[1] - pair["two_theta"].iloc[0] == pytest.approx(0.0833, abs=1e-4)
    assert pair["area"].iloc[1] / pair["area"].iloc[0] == pytest.approx(0.4972, abs=1e-4)
    # the profile shows both maxima, heights in the ratio of the areas (same width)
    from scipy.signal import find_peaks

    idx, _ = find_peaks(pattern.intensity, prominence=5)
    near = idx[np.abs(pattern.two_theta[idx] - 32.62) < 0.1]
    assert len(near) == 2
    assert pattern.two_theta[near[1]] - pattern.two_theta[near[0]] == pytest.approx(
        0.0833, abs=2e-3
    )
    heights = pattern.intensity[near]
    assert heights[1] / heights[0] == pytest.approx(0.4972, abs=0.01)
    # single line: no Kα2
    single = powder_pattern(structure(shared, CUBIC), "CuKa1", (30, 35), fwhm=0.01, step=0.001)
    assert set(single.lines["line"]) == {0}
    assert CU_KALPHA2 > CU_KALPHA1


def test_options_caglioti_monochromator_anomalous(shared):
    s = structure(shared, CUBIC)
    plain = powder_pattern(s, "CuKa1")
    widths = powder_pattern(s, "CuKa1", fwhm=(0.01, 0.0, 0.01)).lines
    assert widths["fwhm"].is_monotonic_increasing  # sorted by 2θ; FWHM grows with tan θ
    mono = powder_pattern(s, "CuKa1", monochromator=26.6)

    def ratio(p):  # 422 at 48.9° over 111 at 16.8°
        i = p.peaks.set_index(["h", "k", "l"])["intensity"]
        return i[(4, 2, 2)] / i[(1, 1, 1)]

    # LP(mono)/LP(none) = 2(1 + cos²2θ cos²2θm)/((1 + cos²2θ)(1 + cos²2θm)) grows with 2θ
    lp = lorentz_polarisation(np.array([48.9485, 16.8450]), 26.6) / lorentz_polarisation(
        np.array([48.9485, 16.8450])
    )
    assert ratio(mono) / ratio(plain) == pytest.approx(lp[0] / lp[1], rel=1e-6)
    anomalous = powder_pattern(s, "CuKa1", anomalous=True)
    assert any("f′" in n for n in anomalous.notes)
    assert not np.allclose(anomalous.peaks["f_squared"], plain.peaks["f_squared"])
    result = run("pxrd", shared / CUBIC, "--fwhm", "0.01,-0.005,0.01", "-r", "1.5406", "-f", "csv")
    assert result.exit_code == 0, result.output


def test_pattern_contract(shared):
    pattern = powder_pattern(structure(shared, MONOCLINIC))
    assert list(pattern.peaks.columns[: len(PEAK_COLUMNS)]) == list(PEAK_COLUMNS)
    assert pattern.peaks["intensity"].max() == pytest.approx(100.0)
    assert pattern.intensity.max() == pytest.approx(100.0)
    assert pattern.two_theta[0] == 3.0 and pattern.two_theta[-1] == pytest.approx(50.0)
    assert pattern.peaks["two_theta"].between(3, 50).all()
    assert np.allclose(pattern.profile(pattern.two_theta[::7]), pattern.intensity[::7])
    # the strongest reflection of the low-angle region of this P 21/n cell
    top = pattern.peaks.loc[pattern.peaks["intensity"].idxmax()]
    assert (top.h, top.k, top.l, top.multiplicity) == (0, 1, 1, 4)


# --- measured patterns: agreement ---------------------------------------------------------

IMPURITY = 27.43  # degrees 2θ


def synthetic_measurement(pattern, *, seed=7, zero=0.04, scale=50.0, drop_hkl=None):
    """A 'measured' pattern: the calculated profile shifted by ``zero``, scaled, on a sloping
    background, with an impurity peak at 27.43° and Poisson noise (fixed seed)."""
    rng = np.random.default_rng(seed)
    tt = np.round(np.arange(5.0, 45.0, 0.02), 4)
    lines = pattern.lines
    if drop_hkl is not None:
        row = pattern.peaks.index[
            (pattern.peaks.h == drop_hkl[0])
            & (pattern.peaks.k == drop_hkl[1])
            & (pattern.peaks.l == drop_hkl[2])
        ][0]
        lines = lines[lines.reflection != row]
    y = pattern.profile_scale * peak_profile(
        tt - zero,
        lines["two_theta"].to_numpy(),
        lines["area"].to_numpy(),
        lines["fwhm"].to_numpy(),
        pattern.eta,
    )
    y = scale * y + 200.0 + 2.0 * (tt - 5.0)
    bump = pseudo_voigt(tt - IMPURITY, 0.12, 0.5) / pseudo_voigt(np.array([0.0]), 0.12, 0.5)
    y += 0.25 * y.max() * bump
    return MeasuredPattern(tt, rng.poisson(y).astype(float), path="synthetic.xy")


def test_measured_overlay_right_structure(shared):
    pattern = powder_pattern(structure(shared, MONOCLINIC))
    fit = agreement(pattern, synthetic_measurement(pattern))
    assert fit.rwp < 0.12  # counting noise and the impurity
    assert fit.zero_shift == pytest.approx(0.04, abs=0.005)
    assert fit.scale == pytest.approx(50.0, rel=0.03)
    assert len(fit.missing) == 0
    assert len(fit.unexplained) == 1
    assert fit.unexplained["two_theta"].iloc[0] == pytest.approx(IMPURITY, abs=0.03)
    assert fit.unexplained["d"].iloc[0] == pytest.approx(
        CU_KALPHA1 / (2 * math.sin(math.radians(IMPURITY / 2))), abs=0.01
    )
    # noise-free, no impurity, no shift: the calculated pattern fits itself exactly
    clean = MeasuredPattern(pattern.two_theta, 3 * pattern.intensity + 10)
    exact = agreement(pattern, clean)
    assert exact.rwp < 1e-4 and abs(exact.zero_shift) < 1e-3
    assert len(exact.missing) == 0 and len(exact.unexplained) == 0


def test_measured_overlay_missing_peak(shared):
    """A strong reflection absent from the 'measurement' (e.g. a wrong cell) is reported."""
    pattern = powder_pattern(structure(shared, MONOCLINIC))
    fit = agreement(pattern, synthetic_measurement(pattern, drop_hkl=(3, 1, -1)))
    assert list(fit.missing["hkl"]) == ["3 1 -1"]
    assert fit.missing["two_theta"].iloc[0] == pytest.approx(18.3146 + 0.04, abs=0.02)


def test_measured_overlay_wrong_structure(shared):
    right = powder_pattern(structure(shared, MONOCLINIC))
    measured = synthetic_measurement(right)
    wrong = agreement(powder_pattern(structure(shared, OTHER)), measured)
    assert wrong.rwp > 0.3
    assert len(wrong.unexplained) > 10
    cubic = agreement(powder_pattern(structure(shared, CUBIC)), measured)
    assert cubic.rwp > 0.3


def test_plots(shared, tmp_path):
    from matplotlib.figure import Figure

    pattern = powder_pattern(structure(shared, MONOCLINIC))
    fig = plot_pattern(pattern, path=tmp_path / "calc.png")
    assert isinstance(fig, Figure) and (tmp_path / "calc.png").stat().st_size > 10_000
    measured = synthetic_measurement(pattern)
    fig = plot_pattern(pattern, measured=measured, path=tmp_path / "overlay.svg")
    assert (tmp_path / "overlay.svg").read_text().lstrip().startswith("<?xml")
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert {"measured", "calculated", "difference", "unexplained"} <= set(labels)
    # drawing into the caller's axes (the report site's layout)
    other = Figure()
    ax = other.add_subplot()
    assert plot_pattern(pattern, ax=ax) is other


# --- measured patterns: reader ------------------------------------------------------------


def points(n: int = 12, sep: str = " ", third: str | None = None) -> str:
    rows = []
    for i in range(n):
        fields = [f"{5 + 0.02 * i:.2f}", f"{100 + i}"]
        if third is not None:
            fields.append(third.format(i=i))
        rows.append(sep.join(fields))
    return "\n".join(rows) + "\n"


def test_reader_bruker_xy_with_header():
    text = '\'Id: "sample" Comment: "" Operator: "x"\n' + points()
    m = parse_xy(text, "a.xy")
    assert len(m) == 12 and m.esd is None
    assert m.two_theta[0] == 5.0 and m.intensity[-1] == 111
    assert np.allclose(m.weights, 1 / m.intensity)


def test_reader_gsas_xye_and_comments():
    text = "/* GSAS\n   exported */\n# comment\n! another\n" + points(third="{i}.5")
    m = parse_xy(text, "a.xye")
    assert m.esd is not None and m.esd[1] == 1.5
    assert np.allclose(m.weights, 1 / m.esd**2)


def test_reader_panalytical_csv_and_semicolons():
    text = "[Measurement conditions]\nK-Alpha1,1.540598\n[Scan points]\nAngle,Intensity\n"
    m = parse_xy(text + points(sep=","), "a.csv")
    assert len(m) == 12
    european = points(sep=";").replace(".", ",")
    m = parse_xy("2Theta;Counts\n" + european, "b.csv")
    assert m.two_theta[1] == pytest.approx(5.02)


def test_reader_rigaku_attenuator_column_and_order():
    text = "*RAS_DATA_START\n*RAS_INT_START\n" + points(third="1.0000") + "*RAS_INT_END\n"
    m = parse_xy(text, "a.ras")
    assert m.esd is None and any("third column" in n for n in m.notes)
    rows = points().splitlines()[::-1]
    m = parse_xy("\n".join(rows), "d.xy")
    assert np.all(np.diff(m.two_theta) > 0) and any("reversed" in n for n in m.notes)


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        (points(5), "5 data points", None),
        (points() + "5.3 12 x 4\n", "expected numbers", 13),
        (points() + "5.3\n", "only one number", 13),
        (points() + "5.3 12 1 \n" * 1, "3 columns", 13),
        ("5 1\n" + points(), "appears twice", 2),
        (points().replace("5.00 100", "200 100"), "between 0 and 180", 1),
    ],
)
def test_reader_errors(text, message, line):
    with pytest.raises(InputError, match=message) as info:
        parse_xy(text, "bad.xy")
    assert info.value.line == line
    assert "\n" not in str(info.value)


def test_reader_binary_and_missing(tmp_path):
    path = tmp_path / "raw.brml"
    path.write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(InputError, match="binary"):
        read_xy(path)
    with pytest.raises(InputError, match="cannot read"):
        read_xy(tmp_path / "absent.xy")


# --- command line -------------------------------------------------------------------------


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_cli_csv_contract(shared, tmp_path):
    profile = tmp_path / "profile.csv"
    plot = tmp_path / "pattern.png"
    result = run("pxrd", shared / CUBIC, "--format", "csv", "--profile", profile, "--plot", plot)
    assert result.exit_code == 0, result.output
    df = pd.read_csv(io.StringIO(result.stdout))
    assert list(df.columns) == list(PEAK_COLUMNS)
    assert df["intensity"].max() == 100.0
    assert df[["h", "k", "l"]].head(3).to_numpy().tolist() == [[1, 1, 1], [2, 2, 0], [3, 1, 1]]
    prof = pd.read_csv(profile)
    assert list(prof.columns) == ["two_theta", "intensity"]
    assert len(prof) == 2351 and prof["intensity"].max() == pytest.approx(100.0)
    assert plot.stat().st_size > 10_000


def test_cli_measured(shared, tmp_path):
    pattern = powder_pattern(structure(shared, MONOCLINIC))
    measured = synthetic_measurement(pattern)
    path = tmp_path / "sample.xy"
    rows = [f"{a:.4f} {b:.0f}" for a, b in zip(measured.two_theta, measured.intensity, strict=True)]
    path.write_text('\'Id: "sample"\n' + "\n".join(rows) + "\n")
    result = run("pxrd", shared / MONOCLINIC, "--measured", path, "--min-intensity", "30")
    assert result.exit_code == 0, result.output
    assert "Rwp" in result.stdout and "unexplained at 2θ 27.4" in result.stdout
    result = run("pxrd", shared / MONOCLINIC, "--measured", path, "-f", "csv")
    assert result.exit_code == 0
    assert list(pd.read_csv(io.StringIO(result.stdout)).columns) == list(PEAK_COLUMNS)
    assert "Rwp" in result.stderr


def test_cli_errors_are_one_line(shared, tmp_path):
    bad = tmp_path / "bad.xy"
    bad.write_text(points() + "5.5 oops\n")
    for args in (
        ("--measured", bad),
        ("--radiation", "CoKa"),
        ("--range", "50,3"),
        ("--fwhm", "1,2"),
        ("--plot", tmp_path / "x.jpg"),
    ):
        result = run("pxrd", shared / CUBIC, *args)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    # several data blocks (issue 19): one pattern each, no longer a refusal
    result = run("pxrd", shared / "cifs/spin-crossover/Fe_qsal-I_2_OTf_MeOH_163K_293K_230K.cif")
    assert result.exit_code == 0, result.output
    assert [b in result.stdout for b in ("data_wp91ltb:", "data_wp91-rt2:", "data_wp91-mt2:")] == [
        True
    ] * 3
    result = run(
        "pxrd",
        shared / "cifs/spin-crossover/Fe_qsal-I_2_OTf_MeOH_163K_293K_230K.cif",
        "--block",
        "wp91ltb",
        "-f",
        "csv",
        "--radiation",
        "MoKa",
    )
    assert result.exit_code == 0, result.output
