"""A spin transition followed through any observable (coordgeo.magnetism.transition).

The synthetic curves imitate seed 004 (an Fe-triazole/polycarbonate monolith whose
transition shows in the resistance of a Wheatstone bridge and in its colour): on each
branch log₁₀R switches between two sloped baselines through a logistic step of known
T½ and width; noise is 1 % of R. The expected values are the generating parameters.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import coordgeo.cli.magnetism  # noqa: F401  (registers transition)
from coordgeo.cli.app import app
from coordgeo.errors import InputError
from coordgeo.magnetism import analyse_transition

T_UP, T_DOWN, WIDTH = 366.0, 351.0, 1.2  # K: heating and cooling T½, logistic width w


def logistic(T: np.ndarray, t_half: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(T - t_half) / WIDTH))


def loop(seed: int, step: float = 0.25) -> pd.DataFrame:
    """Cooling 400 → 320 K then heating back, in measurement order.

    log₁₀R = (6.0 − 0.004(T − 360))(1 − f) + (4.5 − 0.002(T − 360)) f: a semiconducting LS
    state about 30× more resistive than the HS state; the bridge voltage (a second
    observable) is a colour-like signal rising from 0.2 to 0.9 with the HS fraction.
    """
    rng = np.random.default_rng(seed)
    cool = np.arange(400.0, 320.0, -step)
    T = np.concatenate([cool, cool[::-1]])
    f = np.concatenate([logistic(cool, T_DOWN), logistic(cool[::-1], T_UP)])
    log_r = (6.0 - 0.004 * (T - 360)) * (1 - f) + (4.5 - 0.002 * (T - 360)) * f
    r = 10**log_r * (1 + 0.01 * rng.standard_normal(T.size))
    colour = 0.2 + 0.7 * f + 0.005 * rng.standard_normal(T.size)
    return pd.DataFrame({"Temperature (K)": T, "Resistance (Ohm)": r, "Reflectance": colour})


def test_hysteretic_resistance_within_one_kelvin(report_figure):
    worst = 0.0
    for seed in range(4):
        result = analyse_transition(loop(seed), "Resistance", log=True)
        errors = {
            "T½↑": result.T_half_up_K - T_UP,
            "T½↓": result.T_half_down_K - T_DOWN,
            "width": result.hysteresis_width_K - (T_UP - T_DOWN),
            "T½↑ (derivative)": result.T_half_up_deriv_K - T_UP,
            "T½↓ (derivative)": result.T_half_down_deriv_K - T_DOWN,
        }
        assert all(abs(e) <= 1.0 for e in errors.values()), errors
        assert abs(result.T_half_up_K - T_UP) <= 4 * result.T_half_up_su
        assert abs(result.hysteresis_width_K - 15.0) <= 4 * result.hysteresis_width_su
        # abruptness: ΔT(10–90 %) = 2 w ln 9 = 2 × 1.2 × 2.197 = 5.27 K
        for row in result.branches.itertuples():
            assert row.dT_10_90_K == pytest.approx(5.27, abs=0.3)
        fractions = result.curve["fraction"].to_numpy()
        assert np.nanmedian(fractions[result.curve["temperature_K"] > 385]) == pytest.approx(
            1, abs=0.05
        )
        assert np.nanmedian(fractions[result.curve["temperature_K"] < 335]) == pytest.approx(
            0, abs=0.05
        )
        worst = max(worst, *(abs(e) for e in errors.values()))
    report_figure(f"transition (synthetic resistance loop): worst |T½ − true| = {worst:.2f} K")


def test_branches_from_a_sweep_column_and_linear_values():
    data = loop(1)
    data["sweep"] = np.where(np.arange(len(data)) < len(data) // 2, "down", "up")
    data = data.sample(frac=1.0, random_state=0)  # order no longer tells the branch
    result = analyse_transition(data, "reflectance", baseline="constant")
    assert result.T_half_up_K == pytest.approx(T_UP, abs=1.0)
    assert result.T_half_down_K == pytest.approx(T_DOWN, abs=1.0)
    data["sweep"] = "sideways"
    with pytest.raises(InputError, match="unknown sweep direction"):
        analyse_transition(data, "Reflectance")


def test_cli_two_observables_one_plot(tmp_path):
    path = tmp_path / "bridge.csv"
    loop(2).to_csv(path, index=False)
    plot = tmp_path / "transition.svg"
    args = ["transition", str(path), "--column", "Resistance", "--column", "Reflectance"]
    result = CliRunner().invoke(app, [*args, "--log", "--plot", str(plot)])
    assert result.exit_code == 0, result.stderr
    assert "Resistance (Ohm) (log10)" in result.stdout and "Reflectance" in result.stdout
    assert plot.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    # log₁₀R and the linear reflectance are the observables made with a logistic step (the
    # midpoint of R itself lies elsewhere, R being exponential in the fraction)
    (resistance,) = json.loads(CliRunner().invoke(app, [*args[:4], "--log", "-f", "json"]).stdout)
    (colour,) = json.loads(CliRunner().invoke(app, [*args[:2], *args[4:], "-f", "json"]).stdout)
    assert [resistance["column"], colour["column"]] == ["Resistance (Ohm)", "Reflectance"]
    for r in (resistance, colour):
        assert abs(r["T_half_up_K"] - T_UP) <= 1.0 and abs(r["T_half_down_K"] - T_DOWN) <= 1.0
    missing = CliRunner().invoke(app, ["transition", str(path), "--column", "Colour"])
    assert missing.exit_code == 2 and "no column 'Colour'" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1


def test_transition_hostile_input_is_bounded(tmp_path):
    # 10⁶ rows (a 0.00016 K step): binned with a note, T½ still within 1 K
    big = loop(3, step=80.0 / 500_000)
    path = tmp_path / "big.csv"
    big.to_csv(path, index=False, float_format="%.6g")
    result = CliRunner().invoke(app, ["transition", str(path), "-c", "Resistance", "--log",
                                      "-f", "json"])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    (record,) = json.loads(result.stdout)
    assert "1000000 points averaged" in result.stderr
    assert abs(record["T_half_up_K"] - T_UP) <= 1.0 and abs(record["T_half_down_K"] - T_DOWN) <= 1.0
    rng = np.random.default_rng(9)
    noise = tmp_path / "noise.csv"
    pd.DataFrame({"T (K)": rng.uniform(300, 400, 300), "V": rng.normal(0, 1, 300)}).to_csv(
        noise, index=False
    )
    result = CliRunner().invoke(app, ["transition", str(noise), "-c", "V"])
    assert result.exit_code in (0, 2) and "Traceback" not in result.stderr + result.stdout
    flat = tmp_path / "flat.csv"
    pd.DataFrame({"T": np.arange(300.0, 320.0), "V": 1.0}).to_csv(flat, index=False)
    result = CliRunner().invoke(app, ["transition", str(flat), "-c", "V"])
    assert result.exit_code == 2 and "does not change" in result.stderr
    absurd = tmp_path / "absurd.csv"
    pd.DataFrame({"T": np.arange(300.0, 320.0), "V": np.r_[1e308, np.ones(19)]}).to_csv(
        absurd, index=False
    )
    result = CliRunner().invoke(app, ["transition", str(absurd), "-c", "V", "--log"])
    assert result.exit_code in (0, 2) and "Traceback" not in result.stderr + result.stdout
