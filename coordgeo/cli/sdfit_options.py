"""The Slichter–Drickamer fit options, declared once for ``coordgeo fit-sd`` and
``coordgeo report --magnetism`` (no command of its own; typer and the bottom layer only,
so a command that imports it loads nothing else)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer


class Sweep(StrEnum):
    cooling = "cooling"
    heating = "heating"
    equilibrium = "equilibrium"


TipOption = Annotated[bool, typer.Option("--tip", help="Also refine a TIP·T term.")]
GammaOption = Annotated[
    float | None,
    typer.Option("--gamma", help="Fix Γ (kJ/mol) instead of refining it (0: ideal solution)."),
]
FixOption = Annotated[
    str | None,
    typer.Option(
        "--fix",
        help="Hold parameters fixed, e.g. 'dH=21.9,dS=87.5' from DSC (names dH, dS, Gamma, "
        "T_half, chi_mt_ls, chi_mt_hs, tip; with --steps 2: dH1, Gamma2, fraction, …).",
    ),
]
StepsOption = Annotated[
    int,
    typer.Option(
        "--steps", min=1, max=2, help="2: also fit the two-step model and compare (AIC/BIC)."
    ),
]
SweepOption = Annotated[
    Sweep,
    typer.Option(
        "--sweep",
        help="Model branch for points without a sweep direction (matters when Γ > 2RT½).",
        case_sensitive=False,
    ),
]
ChiLsOption = Annotated[
    float,
    typer.Option(
        "--chi-ls",
        "--chi-ls-pure",
        help="LS baseline: χMT of the sample entirely LS, non-switching ions included "
        "(for the HS residual fraction).",
    ),
]
NonSwitchingOption = Annotated[
    str | None,
    typer.Option(
        "--non-switching",
        help="Non-switching ions of the formula unit, e.g. '2*Fe(III)LS' (spin-only, "
        "g = 2) or '2*0.62' (χMT per ion): sets the LS baseline.",
    ),
]
ChiHsOption = Annotated[
    float | None,
    typer.Option(
        "--chi-hs-pure", help="χMT of the pure HS sample (default: the fitted HS plateau)."
    ),
]


def sd_fit_options(
    *,
    tip: bool,
    gamma: float | None,
    fix: str | None,
    steps: int,
    sweep: Sweep,
    chi_ls_pure: float,
    non_switching: str | None,
    chi_hs_pure: float | None,
):
    """The :class:`coordgeo.magnetism.SDFitOptions` of the options above."""
    from coordgeo.magnetism.sdfit import SDFitOptions

    return SDFitOptions(
        tip=tip,
        Gamma=gamma,
        fix=fix,
        sweep=sweep.value,
        chi_mt_ls_pure=chi_ls_pure,
        chi_mt_hs_pure=chi_hs_pure,
        non_switching=non_switching,
        steps=steps,
    )
