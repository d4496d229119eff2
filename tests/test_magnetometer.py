"""Quantum Design magnetometer files → χMT → Slichter–Drickamer fit (coordgeo.io.magnetometer).

The .dat files are written here in the layouts of the instruments' MultiVu software
(MPMS3, MPMS-XL, PPMS VSM: header, INFO lines in the instrument's order, comma-separated
data with empty fields), from known Slichter–Drickamer parameters, sample mass, molar mass
and diamagnetic correction. The expected χMT comes from the ideal-solution (Γ = 0) closed
form γ = 1/(1 + exp(ΔH/RT − ΔS/R)), derived by hand from ln[(1−γ)/γ] = ΔH/RT − ΔS/R, not
from the module under test.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import coordgeo.cli.magnetism  # noqa: F401  (registers fit-sd)
from coordgeo.cli.app import app
from coordgeo.errors import InputError
from coordgeo.io.magdata import read_table, sweep_labels
from coordgeo.io.magnetometer import (
    EICOSANE_CHI_M,
    Sample,
    approximate_chi_dia,
    formula_mass,
    parse_formula,
    pascal_chi_dia,
    read_magnetometer,
    read_qd,
    read_susceptibility,
)

R = 8.314462618  # J mol⁻¹ K⁻¹
DH, DS = 21.87, 87.46  # kJ/mol, J/mol/K: Table S6 of seed 000, compound 1; T½ = 250.06 K
CHI_LS, CHI_HS = 0.10, 3.50  # cm³ K mol⁻¹
MASS_MG, MOLAR_MASS = 12.30, 843.2  # mg, g/mol
CHI_DIA = -4.5e-4  # cm³ mol⁻¹ (≈ −M/2 × 10⁻⁶ for M = 843: −4.2e-4)
FIELD = 5000.0  # Oe (5 kOe, as in the seed's PPMS VSM measurements)


def chi_mt_ideal(T: np.ndarray) -> np.ndarray:
    gamma = 1.0 / (1.0 + np.exp(1e3 * DH / (R * T) - DS / R))
    return CHI_LS + gamma * (CHI_HS - CHI_LS)


def sweep(seed: int = 7, noise: float = 0.005) -> pd.DataFrame:
    """Cooling 350 → 50 K then heating 50 → 350 K in 2 K steps; moments with relative noise.

    moment = (χMT/T + χdia)·H·n with n = m/M (mol): the inverse of the conversion.
    """
    cool = np.arange(350.0, 50.0 - 1e-9, -2.0)
    T = np.concatenate([cool, cool[::-1][1:]])
    T = T + 0.02 * np.random.default_rng(seed + 1).standard_normal(T.size)  # thermometer
    moles = MASS_MG * 1e-3 / MOLAR_MASS
    moment = (chi_mt_ideal(T) / T + CHI_DIA) * FIELD * moles
    moment *= 1.0 + noise * np.random.default_rng(seed).standard_normal(T.size)
    time = 3.7e9 + 60.0 * np.arange(T.size)
    return pd.DataFrame({"time": time, "T": T, "moment": moment})


MPMS3_COLUMNS = (
    "Comment,Time Stamp (sec),Temperature (K),Magnetic Field (Oe),Moment (emu),"
    "M. Std. Err. (emu),Transport Action,Averaging Time (sec),Frequency (Hz),"
    "Peak Amplitude (mm),Center Position (mm),Lockin Signal' (V),Lockin Signal (V),Range,"
    "Min. Temperature (K),Max. Temperature (K),Min. Field (Oe),Max. Field (Oe),Mass (grams),"
    "Motor Lag (deg),Pressure (Torr),DC Moment Fixed Ctr (emu),DC Moment Err Fixed Ctr (emu),"
    "DC Moment Free Ctr (emu),DC Moment Err Free Ctr (emu),DC Fixed Fit,DC Free Fit"
)


def write_mpms3(path, data: pd.DataFrame, *, mode: str = "VSM", mass: str = "12.30") -> str:
    header = [
        "[Header]",
        "; MPMS3 Data File (default extension .dat)",
        "; Copyright (c) 2007, Quantum Design, Inc. All rights reserved.",
        "TITLE,",
        "FILEOPENTIME,3764744147.23462,04/18/2019,11:16 am",
        "BYAPP,SQUID VSM,1.0",
        "INFO,MPMS3 Measurement Release 1.1.16 Build 399, MultiVu Release 2.3.4.15,APPNAME",
        "INFO,0,MOMENT_UNITS",
        "INFO,[Fe(bztpen)(NCS)2],SAMPLE_MATERIAL",
        "INFO,yellow powder in a gelatine capsule,SAMPLE_COMMENT",
        f"INFO,{mass},SAMPLE_MASS",
        "INFO,,SAMPLE_VOLUME",
        f"INFO,{MOLAR_MASS},SAMPLE_MOLECULAR_WEIGHT",
        "INFO,,SAMPLE_SIZE",
        "INFO,,SAMPLE_SHAPE",
        "INFO,Straw,SAMPLE_HOLDER",
        "INFO,Standard,SAMPLE_HOLDER_DETAIL",
        "INFO,66.44,SAMPLE_OFFSET",
        "DATATYPE,COMMENT,1",
        "DATATYPE,TIME,2",
        "STARTUPAXIS,X,2",
        "STARTUPAXIS,Y1,5",
        "FIELDGROUP, VSM,2,3,4,5,6,8,9,10,11,14,15",
        "STARTUPGROUP, All",
        "[Data]",
        MPMS3_COLUMNS,
    ]
    n_extra = MPMS3_COLUMNS.count(",") - 5  # fields after M. Std. Err.
    rows = []
    # an auto-centring row first: no moment, as MultiVu writes it
    rows.append(f",{data['time'][0] - 30:.3f},{data['T'][0]:.4f},{FIELD},,,2" + "," * (n_extra - 1))
    for r in data.itertuples():
        err = abs(r.moment) * 0.004
        if mode == "VSM":
            tail = ["6", "2", "", "", "30.54", "", "", "10"] + [""] * (n_extra - 8)
            rows.append(
                f",{r.time:.3f},{r.T:.5f},{FIELD},{r.moment:.6E},{err:.3E}," + ",".join(tail)
            )
        else:  # DC scan: the moment sits in the DC Moment Free Ctr column
            tail = ["6", "", "", "", "30.54", "", "", "10"] + [""] * (n_extra - 14)
            tail += [f"{r.moment * 1.001:.6E}", f"{err:.3E}", f"{r.moment:.6E}", f"{err:.3E}",
                     "0.96", "0.97"]  # fmt: skip
            rows.append(f",{r.time:.3f},{r.T:.5f},{FIELD},,," + ",".join(tail))
    path.write_text("\n".join(header + rows) + "\n", encoding="utf-8")
    return str(path)


XL_COLUMNS = (
    "Time,Comment,Field (Oe),Temperature (K),Long Moment (emu),Long Scan Std Dev,Long Algorithm,"
    "Long Reg Fit,Long Percent Error (%),Trans Moment (emu),Trans Scan Std Dev,Trans Algorithm,"
    "Trans Reg Fit,Trans Percent Error (%),Points per Scan,Scans per Measurement,"
    "Scan Length (cm),Delta Temp (K),Rot Position (deg),Error,EC Comp. Running,Using ABS,"
)


def write_mpms_xl(path, data: pd.DataFrame) -> str:
    header = [
        "[Header]",
        "TITLE,MPMS DC Measurement",
        "BYAPP,MPMS Measurement,2.1,Summary",
        "FILEOPENTIME, 1480485262.746000 11/29/2016, 9:54:22 PM",
        "",
        "INFO, APPNAME, MPMS MultiVu Application, Revision 1.60,  Build 081",
        "",
        "INFO, NAME, Fe(bztpen)(NCS)2",
        f"INFO, WEIGHT, {MASS_MG:.3f}",
        "INFO, AREA, 0.000",
        "INFO, LENGTH, 0.000",
        "INFO, SHAPE, 0",
        "INFO, COMMENT, ",
        "INFO, SEQUENCE FILE: sco.seq",
        "",
        "INFO, BACKGROUND DATA FILE:, None",
        "",
        "STARTUPAXIS,X,4,LINEAR,AUTO,0.000000,0.000000",
        "STARTUPGROUP,Longitudinal",
        "PLOT_APPEARANCE,ALL,HORZ_GRID_ON,VERT_GRID_ON,MARKERS_AND_LINES",
        "",
        "[Data]",
        XL_COLUMNS,
    ]
    rows = [
        f"{r.time:.3f},,{FIELD:.6e},{r.T:.6e},{r.moment:.6e},0.000000e+000,3,9.885179e-001,"
        "0.000000e+000,,,,,,32,1,4.000000e+000,1.5e-003,0.000000e+000,0,0,0,"
        for r in data.itertuples()
    ]
    path.write_text("\n".join(header + rows) + "\n", encoding="utf-8")
    return str(path)


def write_vsm(path, data: pd.DataFrame) -> str:
    header = [
        "[Header]",
        "; VSM Data File (default extension .dat)",
        "; Copyright (c) 2003, Quantum Design, Inc. All rights reserved.",
        "TITLE,SCO sample M vs T",
        "FILEOPENTIME,2827018.81,06/20/2017,5:24 pm",
        "BYAPP,VSM,1.0,1.0",
        "INFO,PPMS VSM Option Release 1.3.7 Build 2,APPNAME",
        "INFO,171,COIL_SERIAL_NUMBER",
        "INFO,0,MOMENT_UNITS",
        "INFO,Fe(bztpen)(NCS)2,SAMPLE_MATERIAL",
        "INFO,,SAMPLE_COMMENT",
        f"INFO,{MASS_MG},SAMPLE_MASS",
        "INFO,,SAMPLE_VOLUME",
        f"INFO,{MOLAR_MASS},SAMPLE_MOLECULAR_WEIGHT",
        "INFO,,SAMPLE_SIZE",
        "INFO,,SAMPLE_SHAPE",
        "INFO,35.03,SAMPLE_OFFSET",
        "DATATYPE,COMMENT,1",
        "DATATYPE,TIME,2",
        "STARTUPAXIS,X,2",
        "STARTUPAXIS,Y1,5",
        "[Data]",
        "Comment,Time Stamp (sec),Temperature (K),Magnetic Field (Oe),Moment (emu),"
        "M. Std. Err. (emu),Transport Action,Averaging Time (sec),Frequency (Hz),"
        "Peak Amplitude (mm),Center Position (mm),Coil Signal' (mV),Coil Signal\" (mV),"
        "Range (mV),M. Quad. Signal (emu),Min. Temperature (K),Max. Temperature (K)",
    ]
    rows = [
        f",{r.time:.2f},{r.T:.5f},{FIELD:.3f},{r.moment:.8E},{abs(r.moment) * 3e-3:.5E},1,"
        f"0.999,40.03,1.98,9.28,,,0.25,,{r.T - 0.01:.4f},{r.T + 0.01:.4f}"
        for r in data.itertuples()
    ]
    path.write_text("\n".join(header + rows) + "\n", encoding="utf-8")
    return str(path)


# --------------------------------------------------------------------------- conversion


def test_mpms3_moment_becomes_the_chi_mt_it_was_made_from(tmp_path):
    data = sweep(noise=0.0)
    path = write_mpms3(tmp_path / "run.dat", data)
    df = read_magnetometer(path, Sample(chi_dia=CHI_DIA))
    assert df.attrs["instrument"] == "MPMS3"
    assert df.attrs["mass_mg"] == MASS_MG and df.attrs["molar_mass"] == MOLAR_MASS
    assert len(df) == len(data)  # the centring row without a moment is skipped
    assert any("1 rows without temperature, field or moment" in n for n in df.attrs["notes"])
    # printed with 7 significant digits: χMT back to ~1e-6 relative
    assert df["chi_mt"].to_numpy() == pytest.approx(chi_mt_ideal(data["T"].to_numpy()), rel=2e-6)
    # the sweep 350 → 50 → 350 K: cooling until the turning point, heating after it
    assert (df["branch"] == "cooling").sum() == 151 and (df["branch"] == "heating").sum() == 150
    assert df["line"].iloc[0] == 28  # 26 header lines, the column line, the centring row


def test_dc_scan_moment_column_and_approximate_diamagnetism(tmp_path):
    data = sweep(noise=0.0)
    path = write_mpms3(tmp_path / "dc.dat", data, mode="DC")
    df = read_magnetometer(path)  # no χdia given: −M/2 × 10⁻⁶ = −4.216e-4 cm³/mol
    assert df.attrs["moment_column"] == "DC Moment Free Ctr (emu)"
    assert df.attrs["chi_dia"] == pytest.approx(-0.5e-6 * MOLAR_MASS)
    assert "approximation" in df.attrs["notes"][0]
    # χM(reported) = χM(true) + χdia(true) − χdia(approx): a constant offset of χM
    offset = CHI_DIA - (-0.5e-6 * MOLAR_MASS)
    expected = chi_mt_ideal(data["T"].to_numpy()) + offset * data["T"].to_numpy()
    assert df["chi_mt"].to_numpy() == pytest.approx(expected, rel=2e-6)


def test_holder_and_eicosane_corrections(tmp_path):
    # 5.00 mg eicosane: χ = 5e-3 g × (−243.06e-6 / 282.55) cm³/g = −4.301e-9 emu/Oe,
    # plus a holder of −2.0e-9 emu/Oe: the file's moments carry both times H.
    data = sweep(noise=0.0)
    holder = -2.0e-9 + 5.0e-3 * (-243.06e-6 / 282.55)
    shifted = data.assign(moment=data["moment"] + holder * FIELD)
    path = write_mpms3(tmp_path / "holder.dat", shifted)
    df = read_magnetometer(path, Sample(chi_dia=CHI_DIA, holder_chi_emu_oe=-2.0e-9,
                                        eicosane_mg=5.0))  # fmt: skip
    assert df["chi_mt"].to_numpy() == pytest.approx(chi_mt_ideal(data["T"].to_numpy()), rel=1e-5)
    assert any("holder correction" in n for n in df.attrs["notes"])


def test_xl_and_vsm_layouts_read_the_same_numbers(tmp_path):
    data = sweep(noise=0.0)
    xl = read_magnetometer(write_mpms_xl(tmp_path / "xl.dat", data),
                           Sample(molar_mass=MOLAR_MASS, chi_dia=CHI_DIA))  # fmt: skip
    vsm = read_magnetometer(write_vsm(tmp_path / "vsm.dat", data), Sample(chi_dia=CHI_DIA))
    assert xl.attrs["instrument"] == "MPMS-XL" and vsm.attrs["instrument"] == "PPMS-VSM"
    assert xl.attrs["mass_mg"] == MASS_MG  # from "INFO, WEIGHT, 12.300"
    expected = chi_mt_ideal(data["T"].to_numpy())
    assert xl["chi_mt"].to_numpy() == pytest.approx(expected, rel=2e-6)
    assert vsm["chi_mt"].to_numpy() == pytest.approx(expected, rel=2e-6)
    info = read_qd(tmp_path / "xl.dat").info
    assert info["NAME"] == "Fe(bztpen)(NCS)2" and info["WEIGHT"] == "12.300"


def test_pascal_constants_and_formula_mass():
    # eicosane C20H42: 20 × −6.00 + 42 × −2.93 = −243.06 × 10⁻⁶ cm³/mol, the value MagnetoPy
    # uses for eicosane (RinehartGroup/MagnetoPy, experiments/utils.py: −0.00024306 emu/mol)
    assert pascal_chi_dia("C20 H42") == pytest.approx(-243.06e-6, abs=1e-12)
    assert pytest.approx(pascal_chi_dia("C20H42")) == EICOSANE_CHI_M
    # 20 × 12.011 + 42 × 1.008 = 282.556 (IUPAC conventional weights)
    assert formula_mass("C20H42") == pytest.approx(282.55, abs=0.02)
    assert parse_formula("C24 H24 Fe N6 O2") == {"C": 24, "H": 24, "Fe": 1, "N": 6, "O": 2}
    # [Fe(phen)2(NCS)2], C26H16FeN6S2, M = 532.4: Pascal 26(−6.00) + 16(−2.93) − 13 + 6(−5.57)
    # + 2(−15.0) = −279.3e-6 and −M/2 = −266.2e-6: the rule of thumb is within 5 %.
    pascal = pascal_chi_dia("C26H16FeN6S2")
    assert pascal == pytest.approx(-279.30e-6, abs=1e-10)
    assert approximate_chi_dia(formula_mass("C26H16FeN6S2")) == pytest.approx(pascal, rel=0.05)
    with pytest.raises(InputError, match="no Pascal constant for Xe"):
        pascal_chi_dia("XeF2")
    with pytest.raises(InputError, match="cannot read the formula"):
        parse_formula("C20-H42")
    # a lone '.' after a symbol is no count (float('.') was a ValueError traceback)
    with pytest.raises(InputError, match="cannot read the formula"):
        parse_formula("Fe. O2")
    assert parse_formula("Fe O2.5 H.5") == {"Fe": 1, "O": 2.5, "H": 0.5}


def test_sweep_labels_cut_at_turning_points():
    # settle mode: three readings per temperature with ±0.05 K scatter, 300 → 100 → 300 K
    steps = np.concatenate([np.arange(300, 99, -10.0), np.arange(110, 301, 10.0)])
    T = np.repeat(steps, 3) + 0.05 * np.random.default_rng(0).standard_normal(steps.size * 3)
    labels = sweep_labels(T)
    assert set(labels[: 21 * 3]) == {"cooling"} and set(labels[21 * 3 :]) == {"heating"}
    assert set(sweep_labels(20.0 + 0.01 * np.arange(50) % 0.03)) == {"unspecified"}


def test_plain_files_pass_through_and_tables_read(tmp_path):
    plain = tmp_path / "chimt.csv"
    plain.write_text("T (K), chiMT\n300, 3.4\n250, 1.8\n", encoding="utf-8")
    assert read_susceptibility(plain)["chi_mt"].tolist() == [3.4, 1.8]
    table = tmp_path / "r.txt"
    table.write_text("# Wheatstone bridge\nT (K)  R (Ohm)  sweep\n300 1.5e6 down\n299 1.6e6 down\n")
    df = read_table(table)
    assert list(df.columns) == ["T (K)", "R (Ohm)", "sweep"]
    assert df["R (Ohm)"].tolist() == [1.5e6, 1.6e6] and df["sweep"].tolist() == ["down", "down"]


@pytest.mark.parametrize(
    ("name", "text", "message", "line"),
    [
        ("nodata.dat", "[Header]\nINFO,1,SAMPLE_MASS\n", "without a [Data] section", 2),
        ("nocols.dat", "[Header]\n[Data]\n\n", "without a column line", 2),
        ("extra.dat", "[Header]\n[Data]\nComment,Temperature (K),Magnetic Field (Oe),"
         "Moment (emu)\n,300,5000,0.01\n,290,5000,0.01,7,8\n", "row has 6 fields", 5),
        ("nomass.dat", "[Header]\nINFO,,SAMPLE_MASS\nINFO,800,SAMPLE_MOLECULAR_WEIGHT\n[Data]\n"
         "Comment,Temperature (K),Magnetic Field (Oe),Moment (emu)\n,300,5000,0.01\n",
         "sample mass unknown", None),
        ("zero.dat", "[Header]\nINFO,5,SAMPLE_MASS\nINFO,800,SAMPLE_MOLECULAR_WEIGHT\n[Data]\n"
         "Comment,Temperature (K),Magnetic Field (Oe),Moment (emu)\n,300,0,0.01\n",
         "non-zero field", None),
        ("negT.dat", "[Header]\nINFO,5,SAMPLE_MASS\nINFO,800,SAMPLE_MOLECULAR_WEIGHT\n[Data]\n"
         "Comment,Temperature (K),Magnetic Field (Oe),Moment (emu)\n,300,50,0.01\n,-3,50,0.01\n",
         "temperature must be positive", 7),
    ],
)  # fmt: skip
def test_bad_files_exit_2_with_one_line(tmp_path, name, text, message, line):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["fit-sd", str(path)])
    assert result.exit_code == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and message in lines[0], result.stderr
    if line is not None:
        assert f"line {line}" in lines[0]
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- through fit-sd


@pytest.mark.parametrize("layout", ["MPMS3", "MPMS3-DC", "MPMS-XL", "PPMS-VSM"])
def test_dat_file_comes_back_through_fit_sd_within_su(tmp_path, layout, report_figure):
    data = sweep()
    writers = {
        "MPMS3": lambda p: write_mpms3(p, data),
        "MPMS3-DC": lambda p: write_mpms3(p, data, mode="DC"),
        "MPMS-XL": lambda p: write_mpms_xl(p, data),
        "PPMS-VSM": lambda p: write_vsm(p, data),
    }
    path = writers[layout](tmp_path / "sco.dat")
    args = ["fit-sd", path, "--chi-dia", str(CHI_DIA), "--format", "json"]
    if layout == "MPMS-XL":  # the XL header has no molar mass
        args += ["--molar-mass", str(MOLAR_MASS)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    (fit,) = json.loads(result.stdout)
    t_half = 1e3 * DH / DS
    deviations = {
        "dH": (fit["dH_kJ_mol"] - DH) / fit["dH_su"],
        "dS": (fit["dS_J_mol_K"] - DS) / fit["dS_su"],
        "Gamma": (fit["Gamma_kJ_mol"] - 0.0) / fit["Gamma_su"],
        "T_half": (fit["T_half_K"] - t_half) / fit["T_half_su"],
        "chi_mt_ls": (fit["chi_mt_ls"] - CHI_LS) / fit["chi_mt_ls_su"],
        "chi_mt_hs": (fit["chi_mt_hs"] - CHI_HS) / fit["chi_mt_hs_su"],
    }
    report_figure(
        f"magnetometer {layout}: (fit − true)/su = "
        + ", ".join(f"{k} {v:+.2f}" for k, v in deviations.items())
    )
    assert all(abs(v) <= 2.0 for v in deviations.values()), deviations
    assert fit["n_points"] == 301 and "Γ" not in fit["fixed"]
    assert "systematic" not in fit["notes"]


def test_mass_and_molar_mass_from_the_command_line_and_a_cif(tmp_path):
    data = sweep()
    path = write_mpms3(tmp_path / "nomass.dat", data, mass="")
    cif = tmp_path / "sco.cif"
    cif.write_text(
        "data_sco\n_chemical_formula_sum 'C40 H40 Fe N8 S2'\n"
        f"_chemical_formula_weight {MOLAR_MASS}\n"
    )
    args = ["fit-sd", path, "--mass", str(MASS_MG), "--cif", str(cif), "--chi-dia", str(CHI_DIA)]
    result = CliRunner().invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    (fit,) = json.loads(result.stdout)
    assert abs(fit["T_half_K"] - 1e3 * DH / DS) <= 2 * fit["T_half_su"]
    missing = CliRunner().invoke(app, ["fit-sd", path])
    assert missing.exit_code == 2 and "sample mass unknown" in missing.stderr


def test_relaxation_at_constant_temperature_from_a_dat_file(tmp_path):
    # χMT(t) = 0.10 + 3.20 exp(−kt), k = 2.0e-4 s⁻¹, at 20 K after irradiation; moments
    # with 0.5 % noise: relax reads time, temperature and χMT from the MPMS3 file.
    t = np.arange(0.0, 20000.0, 60.0)
    T = 20.0 + 0.01 * np.random.default_rng(4).standard_normal(t.size)
    chi_mt = 0.10 + 3.20 * np.exp(-2.0e-4 * t)
    moles = MASS_MG * 1e-3 / MOLAR_MASS
    moment = (chi_mt / T + CHI_DIA) * FIELD * moles
    moment *= 1.0 + 0.005 * np.random.default_rng(5).standard_normal(t.size)
    path = write_mpms3(tmp_path / "relax.dat", pd.DataFrame({"time": 3.7e9 + t, "T": T,
                                                             "moment": moment}))  # fmt: skip
    args = ["relax", path, "--chi-dia", str(CHI_DIA), "--model", "exponential", "-f", "json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    (fit,) = json.loads(result.stdout)
    assert fit["temperature_K"] == pytest.approx(20.0, abs=0.01)
    assert abs(fit["k_s"] - 2.0e-4) <= 2 * fit["k_su"]
    assert "MPMS3 file" in result.stderr
