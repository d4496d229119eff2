"""Spin-crossover magnetism: from the magnetometer's χMT(T) to thermodynamics and kinetics.

===================================== =====================================================
module                                what it holds
===================================== =====================================================
:mod:`coordgeo.magnetism.sd`          the Slichter–Drickamer model: γHS(T), χMT(T),
                                      spinodals, two-site two-step γ, :class:`SDParameters`,
                                      the gas constant :data:`R_GAS`
:mod:`coordgeo.magnetism.sdfit`       least-squares SD fits (:func:`fit_sd`,
                                      :func:`fit_sd_two_step`): TIP, LS baseline, fixed
                                      ΔH/ΔS, runs test, AIC/BIC (:func:`compare_models`)
:mod:`coordgeo.magnetism.ions`        χMT of non-switching ions (the LS baseline)
:mod:`coordgeo.magnetism.derivative`  T½ from d(χMT)/dT, T(LIESST)
:mod:`coordgeo.magnetism.relax`       HS→LS relaxation: exponential, stretched, Hauser
                                      sigmoidal; Arrhenius
:mod:`coordgeo.magnetism.transition`  any observable vs T: T½↑, T½↓, width, abruptness
:mod:`coordgeo.magnetism.plots`       the figures
:mod:`coordgeo.magnetism.engine`      weighted least squares with su's (shared)
:mod:`coordgeo.magnetism.data`        input checks, binning of huge files, runs test
===================================== =====================================================

Units throughout: ΔH, Γ, E_a in kJ mol⁻¹; ΔS in J mol⁻¹ K⁻¹; T in K; χMT in cm³ K mol⁻¹;
TIP in cm³ mol⁻¹; time in s; rate constants in s⁻¹. Magnetometer files are read by
:mod:`coordgeo.io.magnetometer`, plain χMT files by :mod:`coordgeo.io.magdata`.
"""

from coordgeo.magnetism.derivative import (
    DerivativeTHalf,
    LiesstTemperature,
    derivative_extremum,
    t_half_derivative,
    t_liesst,
)
from coordgeo.magnetism.ions import CURIE_CONSTANT, ION_SPINS, ion_chi_mt, non_switching_chi_mt
from coordgeo.magnetism.plots import plot_relaxation, plot_sd_fit, plot_t_liesst, plot_transitions
from coordgeo.magnetism.relax import (
    KJ_MOL_TO_CM,
    ArrheniusFit,
    RelaxationFit,
    arrhenius,
    fit_relaxation,
    hauser_gamma,
)
from coordgeo.magnetism.sd import (
    R_GAS,
    Branch,
    SDParameters,
    chi_mt_sd,
    gamma_hs,
    gamma_two_step,
    parse_fixed,
    spinodal_temperatures,
    temperature_of_gamma,
)
from coordgeo.magnetism.sdfit import (
    SDFit,
    SDFitOptions,
    TwoStepSDFit,
    compare_models,
    fit_models,
    fit_sd,
    fit_sd_two_step,
)
from coordgeo.magnetism.transition import Transition, analyse_transition

__all__ = [
    "CURIE_CONSTANT",
    "ION_SPINS",
    "KJ_MOL_TO_CM",
    "R_GAS",
    "ArrheniusFit",
    "Branch",
    "DerivativeTHalf",
    "LiesstTemperature",
    "RelaxationFit",
    "SDFit",
    "SDFitOptions",
    "SDParameters",
    "Transition",
    "TwoStepSDFit",
    "analyse_transition",
    "arrhenius",
    "chi_mt_sd",
    "compare_models",
    "derivative_extremum",
    "fit_models",
    "fit_relaxation",
    "fit_sd",
    "fit_sd_two_step",
    "gamma_hs",
    "gamma_two_step",
    "hauser_gamma",
    "ion_chi_mt",
    "non_switching_chi_mt",
    "parse_fixed",
    "plot_relaxation",
    "plot_sd_fit",
    "plot_t_liesst",
    "plot_transitions",
    "spinodal_temperatures",
    "t_half_derivative",
    "t_liesst",
    "temperature_of_gamma",
]
