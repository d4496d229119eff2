"""HS → LS relaxation after LIESST, the Arrhenius law and T(LIESST) (coordgeo.magnetism.relax).

Synthetic decays are made here from known parameters: the exponential and stretched
exponential from their closed forms, the self-accelerated (Hauser) law by integrating
dγ/dt = −kγ exp[α(1 − γ)] numerically with scipy's LSODA (an independent route from the
module's implicit exponential-integral solution). The T(LIESST) warming curve integrates
first-order relaxation with an Arrhenius rate under a linear ramp; its steepest fall is
located independently by the Kissinger condition (derived in the test).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq
from typer.testing import CliRunner

import coordgeo.cli.magnetism  # noqa: F401  (registers relax)
from coordgeo.cli.app import app
from coordgeo.errors import InputError
from coordgeo.magnetism import arrhenius, fit_relaxation, hauser_gamma, t_liesst

R = 8.314462618  # J mol⁻¹ K⁻¹
CHI_LS, CHI_HS = 0.10, 3.50  # cm³ K mol⁻¹
NOISE = 0.01  # cm³ K mol⁻¹, absolute (a SQUID's χMT scatter at low T)
SEEDS = range(5)


def integrate_hauser(t: np.ndarray, k: float, alpha: float, gamma0: float) -> np.ndarray:
    sol = solve_ivp(lambda _, g: -k * g * np.exp(alpha * (1.0 - g)), (0.0, float(t[-1])),
                    [gamma0], t_eval=t, method="LSODA", rtol=1e-11, atol=1e-13)  # fmt: skip
    return sol.y[0]


def decay(model: str, k: float, seed: int, *, beta=0.7, alpha=3.0, gamma0=0.9, span=5.0):
    """χMT(t) over ``span`` lifetimes in 300 points, with absolute noise."""
    t = np.linspace(0.0, span / k, 300)
    if model == "exponential":
        gamma = gamma0 * np.exp(-k * t)
    elif model == "stretched":
        gamma = gamma0 * np.exp(-((k * t) ** beta))
    else:
        gamma = integrate_hauser(t, k, alpha, gamma0)
    chi = CHI_LS + gamma * (CHI_HS - CHI_LS)
    chi = chi + NOISE * np.random.default_rng(seed).standard_normal(t.size)
    return pd.DataFrame({"time_s": t, "chi_mt": chi})


def check(report_figure, name, rows):
    z = np.array([v for r in rows for v in r.values()])
    share = float(np.mean(np.abs(z) <= 2.0))
    report_figure(f"relaxation {name}: {share:.0%} of {z.size} estimates within 2 su, "
                  f"max |Δ|/su = {np.max(np.abs(z)):.2f}")  # fmt: skip
    assert share >= 0.8 and np.max(np.abs(z)) <= 4.0, rows


def test_implicit_hauser_solution_matches_the_integrated_ode():
    t = np.linspace(0.0, 4e4, 400)
    for alpha, gamma0 in ((0.0, 1.0), (2.5, 0.95), (7.0, 0.6)):
        expected = integrate_hauser(t, 2e-4, alpha, gamma0)
        assert hauser_gamma(t, 2e-4, alpha, gamma0) == pytest.approx(expected, abs=1e-8)


def test_exponential_and_stretched_decays_within_su(report_figure):
    rows_exp, rows_str = [], []
    for seed in SEEDS:
        f = fit_relaxation(decay("exponential", 3e-4, seed), "exponential")
        rows_exp.append({"k": (f.k_s - 3e-4) / f.k_su, "y0": (f.y0 - 0.1 - 0.9 * 3.4) / f.y0_su,
                         "y_inf": (f.y_inf - CHI_LS) / f.y_inf_su})  # fmt: skip
        g = fit_relaxation(decay("stretched", 3e-4, seed), "stretched", chi_mt_ls=CHI_LS,
                           chi_mt_hs=CHI_HS)  # fmt: skip
        assert np.isnan(g.y_inf_su)  # held at χMT_LS
        rows_str.append({"k": (g.k_s - 3e-4) / g.k_su, "beta": (g.beta - 0.7) / g.beta_su,
                         "gamma0": (g.gamma0 - 0.9) / g.gamma0_su})  # fmt: skip
    check(report_figure, "exponential", rows_exp)
    check(report_figure, "stretched exponential", rows_str)


def test_sigmoidal_decay_within_su(report_figure):
    rows = []
    for seed in SEEDS:
        f = fit_relaxation(decay("sigmoidal", 2e-4, seed, alpha=3.0, gamma0=0.9), "sigmoidal",
                           temperature_K=50.0, chi_mt_ls=CHI_LS, chi_mt_hs=CHI_HS)  # fmt: skip
        rows.append({"k": (f.k_s - 2e-4) / f.k_su, "alpha": (f.alpha - 3.0) / f.alpha_su,
                     "gamma0": (f.gamma0 - 0.9) / f.gamma0_su})  # fmt: skip
        # Ea* = α R T = 3 × 8.3145 × 50 J/mol = 1.247 kJ/mol
        assert f.Ea_star_kJ_mol == pytest.approx(f.alpha * R * 50.0 / 1e3)
    check(report_figure, "sigmoidal (Hauser)", rows)
    # the sigmoidal law needs the LS and HS χMT
    with pytest.raises(InputError, match="needs χMT of the LS and HS states"):
        fit_relaxation(decay("sigmoidal", 2e-4, 0), "sigmoidal")


# Arrhenius: k(T) = k∞ exp(−Ea/RT) with k∞ = 100 s⁻¹ and Ea = 5.0 kJ/mol gives
# k(50 K) = 100 exp(−5000/(8.3145 × 50)) = 5.98e-4 s⁻¹, k(55 K) = 1.78e-3, k(60 K) = 4.44e-3;
# the self-acceleration Ea* = 1.2 kJ/mol gives α = 1200/(R T) = 2.89, 2.62, 2.41.
K_INF, EA, EA_STAR = 100.0, 5.0, 1.2


def test_arrhenius_from_three_temperatures_within_su(report_figure):
    rows = []
    for seed in SEEDS:
        fits = []
        for i, T in enumerate((50.0, 55.0, 60.0)):
            k = K_INF * math.exp(-1e3 * EA / (R * T))
            data = decay("sigmoidal", k, 10 * seed + i, alpha=1e3 * EA_STAR / (R * T))
            fits.append(fit_relaxation(data, "sigmoidal", temperature_K=T, chi_mt_ls=CHI_LS,
                                       chi_mt_hs=CHI_HS))  # fmt: skip
        a = arrhenius(fits)
        assert a.n_temperatures == 3
        rows.append({"Ea": (a.Ea_kJ_mol - EA) / a.Ea_su,
                     "ln_k_inf": (a.ln_k_inf - math.log(K_INF)) / a.ln_k_inf_su,
                     "Ea_star": (a.Ea_star_kJ_mol - EA_STAR) / a.Ea_star_su})  # fmt: skip
    check(report_figure, "Arrhenius (three temperatures)", rows)
    with pytest.raises(InputError, match="two or more temperatures"):
        arrhenius(fits[:1])


def ramp_curve(beta_K_s: float, k_inf: float, ea: float, seed: int) -> tuple[pd.DataFrame, float]:
    """Warming at β K/s from 10 K of a fully photo-excited sample relaxing with k(T).

    γ(T) = exp[−(1/β) ∫₁₀ᵀ k(T′) dT′] by quadrature; χMT = 0.10 + 3.40 γ + noise.
    d²γ/dT² = 0 where k′ = k²/β, i.e. β Ea/(R T²) = k∞ exp(−Ea/RT) (the Kissinger
    condition, H. E. Kissinger, Anal. Chem. 1957, 29, 1702): that T is the minimum of
    dγ/dT, hence of d(χMT)/dT, solved here by brentq.
    """
    T = np.arange(10.0, 120.0 + 1e-9, 0.2)
    fine = np.linspace(10.0, 120.0, 200001)
    rate = k_inf * np.exp(-1e3 * ea / (R * fine))
    integral = np.concatenate([[0.0], np.cumsum(0.5 * (rate[1:] + rate[:-1]) * np.diff(fine))])
    gamma = np.exp(-np.interp(T, fine, integral) / beta_K_s)
    chi = 0.10 + 3.40 * gamma + 0.005 * np.random.default_rng(seed).standard_normal(T.size)

    def kissinger(t: float) -> float:
        return beta_K_s * 1e3 * ea / (R * t * t) - k_inf * math.exp(-1e3 * ea / (R * t))

    t_min = brentq(kissinger, 20.0, 110.0)
    return pd.DataFrame({"temperature_K": T, "chi_mt": chi, "branch": "heating"}), t_min


def test_t_liesst_within_one_kelvin():
    # 0.3 K/min = 0.005 K/s (Létard's protocol); k∞ = 1e4 s⁻¹, Ea = 6 kJ/mol: the Kissinger
    # condition 0.005 × 6000/(R T²) = 1e4 exp(−6000/RT) holds at T = 46.27 K
    for seed in range(3):
        data, expected = ramp_curve(0.005, 1e4, 6.0, seed)
        assert 40.0 < expected < 90.0
        found = t_liesst(data)
        assert found.T_liesst_K == pytest.approx(expected, abs=1.0)
        assert found.dchi_mt_dT_min < 0


# --------------------------------------------------------------------------- command line


def write_decay(path, df: pd.DataFrame, temperature: float | None = None) -> str:
    columns = {"time (s)": df["time_s"], "chiMT (cm3 K/mol)": df["chi_mt"]}
    if temperature is not None:
        columns["Temperature (K)"] = temperature
    pd.DataFrame(columns).to_csv(path, index=False)
    return str(path)


def test_cli_relax_all_models_arrhenius_liesst_and_plot(tmp_path):
    files = []
    for i, T in enumerate((50.0, 55.0, 60.0)):
        k = K_INF * math.exp(-1e3 * EA / (R * T))
        data = decay("sigmoidal", k, i, alpha=1e3 * EA_STAR / (R * T))
        files.append(write_decay(tmp_path / f"relax{T:.0f}.csv", data, T))
    warm, expected = ramp_curve(0.005, 1e4, 6.0, 0)
    warm_file = tmp_path / "warm.csv"
    warm[["temperature_K", "chi_mt"]].to_csv(warm_file, index=False, header=["T (K)", "chiMT"])
    plot = tmp_path / "relax.svg"
    args = ["relax", *files, "--chi-ls", str(CHI_LS), "--chi-hs", str(CHI_HS),
            "--liesst", str(warm_file), "--plot", str(plot)]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    for text in ("Relaxation fits", "sigmoidal", "stretched", "Arrhenius law (sigmoidal)",
                 "T(LIESST)", "Ea*"):  # fmt: skip
        assert text in result.stdout
    assert plot.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    records = json.loads(CliRunner().invoke(app, [*args[:-2], "-f", "json"]).stdout)
    sig = next(r for r in records if r.get("model") == "arrhenius (sigmoidal)")
    assert abs(sig["Ea_kJ_mol"] - EA) <= 3 * sig["Ea_su"]
    liesst = next(r for r in records if r.get("model") == "T(LIESST)")
    assert liesst["T_liesst_K"] == pytest.approx(expected, abs=1.0)
    only = CliRunner().invoke(app, ["relax", files[0]])  # no χMT_LS/HS: no sigmoidal fit
    assert only.exit_code == 0 and "no sigmoidal fit" in only.stderr
    liesst_plot = tmp_path / "liesst.png"
    alone = CliRunner().invoke(app, ["relax", "--liesst", str(warm_file), "--plot",
                                     str(liesst_plot)])  # fmt: skip
    assert alone.exit_code == 0 and liesst_plot.read_bytes()[:4] == b"\x89PNG"


def test_relax_hostile_input_is_bounded(tmp_path):
    # 10⁶ readings: binned to 3000 with a note; pure noise: a clean result or one line;
    # absurd times: one line.
    t = np.linspace(0.0, 2e4, 1_000_000)
    chi = CHI_LS + 3.0 * np.exp(-2e-4 * t) + 0.01 * np.random.default_rng(0).standard_normal(t.size)
    big = tmp_path / "big.csv"
    np.savetxt(big, np.column_stack([t, chi]), fmt="%.3f, %.5f", header="time (s), chiMT",
               comments="")  # fmt: skip
    result = CliRunner().invoke(app, ["relax", str(big), "--model", "exponential", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    (fit,) = json.loads(result.stdout)
    assert fit["n_points"] <= 3000 and "1000000 points averaged" in result.stderr
    assert abs(fit["k_s"] - 2e-4) <= 3 * fit["k_su"]
    rng = np.random.default_rng(5)
    noise = tmp_path / "noise.csv"
    pd.DataFrame({"t (s)": np.sort(rng.uniform(0, 1e4, 400)),
                  "chiMT": rng.normal(2.0, 1.0, 400)}).to_csv(noise, index=False)  # fmt: skip
    result = CliRunner().invoke(app, ["relax", str(noise), "--chi-ls", "0.1", "--chi-hs", "3.5"])
    assert result.exit_code in (0, 2) and "Traceback" not in result.stderr + result.stdout
    if result.exit_code == 2:
        assert len(result.stderr.strip().splitlines()) == 1
    absurd = tmp_path / "absurd.csv"
    absurd.write_text("t (s),chiMT\n0,3\n1e300,2\n2e300,1\n3e300,0.5\n4e300,0.3\n5e300,0.2\n")
    result = CliRunner().invoke(app, ["relax", str(absurd)])
    assert result.exit_code == 2 and "outside the plausible range" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
