"""Quantum Design MPMS3 ``.dat`` files written from known χMT(T), for the report's tests.

The layout is MultiVu's (``[Header]`` with ``INFO,value,KEY`` lines, ``[Data]`` with a
comma-separated header row and rows with empty fields; an auto-centring row without a
moment first). The moment is the inverse of the conversion documented in
:mod:`coordgeo.io.magnetometer`: μ = (χMT/T + χdia)·H·n with n = m/M (mol, m in g),
written by hand here, not by the module under test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

R = 8.314462618  # J mol⁻¹ K⁻¹
COLUMNS = (
    "Comment,Time Stamp (sec),Temperature (K),Magnetic Field (Oe),Moment (emu),"
    "M. Std. Err. (emu),Transport Action,Averaging Time (sec),Frequency (Hz),"
    "Peak Amplitude (mm),Center Position (mm),Range,Min. Temperature (K),Max. Temperature (K)"
)


def ideal_sd_chi_mt(t, dh_kj: float, ds_j: float, chi_ls: float, chi_hs: float):
    """χMT(T) of a spin transition without cooperativity (Γ = 0): from
    ln[(1 − γ)/γ] = ΔH/RT − ΔS/R, γHS = 1/(1 + exp(ΔH/RT − ΔS/R))."""
    t = np.asarray(t, dtype=float)
    gamma = 1.0 / (1.0 + np.exp(1e3 * dh_kj / (R * t) - ds_j / R))
    return chi_ls + gamma * (chi_hs - chi_ls)


def write_mpms3(
    path: Path,
    temperature,
    chi_mt,
    *,
    mass_mg: float,
    molar_mass: float,
    chi_dia: float,
    header_mass: bool = True,
    header_molar_mass: bool = True,
    field_oe: float = 5000.0,
    noise: float = 0.0,
    seed: int = 0,
) -> Path:
    """An MPMS3 (VSM mode) file of χMT(T) measured on a sample of ``mass_mg`` of molar mass
    ``molar_mass`` with diamagnetism ``chi_dia``; ``header_mass``/``header_molar_mass``
    False leave that INFO line empty, as MultiVu does when nothing was typed. ``noise``:
    relative Gaussian noise on the moment (seeded)."""
    temperature = np.asarray(temperature, dtype=float)
    moles = mass_mg * 1e-3 / molar_mass
    moment = (np.asarray(chi_mt) / temperature + chi_dia) * field_oe * moles
    moment = moment * (1.0 + noise * np.random.default_rng(seed).standard_normal(moment.size))
    header = [
        "[Header]",
        "; MPMS3 Data File (default extension .dat)",
        "TITLE,",
        "BYAPP,SQUID VSM,1.0",
        "INFO,MPMS3 Measurement Release 1.1.16 Build 399, MultiVu Release 2.3.4.15,APPNAME",
        "INFO,0,MOMENT_UNITS",
        "INFO,test sample,SAMPLE_MATERIAL",
        f"INFO,{mass_mg if header_mass else ''},SAMPLE_MASS",
        f"INFO,{molar_mass if header_molar_mass else ''},SAMPLE_MOLECULAR_WEIGHT",
        "INFO,Straw,SAMPLE_HOLDER",
        "DATATYPE,COMMENT,1",
        "[Data]",
        COLUMNS,
    ]
    time0 = 3.7e9
    rows = [f",{time0 - 30:.3f},{temperature[0]:.4f},{field_oe},,,2,,,,,,,"]
    for k, (t, m) in enumerate(zip(temperature, moment, strict=True)):
        rows.append(
            f",{time0 + 60 * k:.3f},{t:.5f},{field_oe},{m:.6E},{abs(m) * 0.004:.3E},"
            f"6,2,,,30.54,,{t - 0.01:.3f},{t + 0.01:.3f}"
        )
    path.write_text("\n".join(header + rows) + "\n", encoding="utf-8")
    return path


# A spin transition of the qsal compound (../shared/cifs/spin-crossover) measured as an
# MPMS3 file: known Slichter–Drickamer parameters (ideal solution, Γ = 0; T½ = ΔH/ΔS =
# 229.9 K), 12.3 mg of sample, the header without a molar mass (the report takes the
# CIF's _chemical_formula_weight), χdia = −M/2·10⁻⁶, 0.3 % noise on the moment.
QSAL_SD = {"dH": 20.0, "dS": 87.0, "chi_ls": 0.05, "chi_hs": 4.30}
QSAL_MASS_MG = 12.3


def qsal_dat(folder: Path, qsal_cif: Path) -> Path:
    """The qsal MPMS3 file in ``folder`` (cooling 350 → 80 K, heating back, 3 K steps)."""
    import gemmi

    weight = float(gemmi.cif.read(str(qsal_cif))[0].find_value("_chemical_formula_weight"))
    t = np.concatenate([np.arange(350.0, 80.0, -3.0), np.arange(80.0, 351.0, 3.0)])
    chi = ideal_sd_chi_mt(t, QSAL_SD["dH"], QSAL_SD["dS"], QSAL_SD["chi_ls"], QSAL_SD["chi_hs"])
    return write_mpms3(folder / "qsal_mpms3.dat", t, chi, mass_mg=QSAL_MASS_MG,
                       molar_mass=weight, chi_dia=-weight / 2e6, header_molar_mass=False,
                       noise=0.003, seed=0)  # fmt: skip
