r"""Simulated X-ray powder pattern of a :class:`~coordgeo.model.Structure`, and its
agreement with a measured pattern.

The question this answers is the one every SI asks with "experimental and simulated
PXRD patterns": is the bulk powder the phase of the single crystal?

Calculation
-----------
1. **Structure → gemmi.** The asymmetric unit becomes a :class:`gemmi.SmallStructure`
   (element, fractional coordinates, occupancy, U_iso or the six U^ij of the CIF). The
   space group is found from the CIF's own operators with
   ``gemmi.find_spacegroup_by_ops``; when gemmi does not know the setting, the
   unit-cell contents are generated from the operators and used in P1 (with U^ij
   rotated to each image: U*' = R U* Rᵀ, U* = N U^CIF N, N = diag(a*, b*, c*)).
   Occupancies are made crystallographic (divided by the order of the site symmetry,
   ``change_occupancies_to_crystallographic`` with coordgeo's 0.05 Å special-position
   tolerance). Dummy sites (element X) are left out; hydrogen atoms are kept. An
   operator list that is not a group (a singular operator, a typing error) is an
   :class:`~coordgeo.errors.InputError`.
2. **Reflections.** Every reflection with 2θ in range is enumerated once per
   Laue-equivalent family (``gemmi.make_miller_array`` over gemmi's reciprocal
   asymmetric unit; systematic absences removed with ``GroupOps``). The powder
   multiplicity m is the number of distinct h·R over the rotations R of the Laue
   group (the point group plus the inversion, so Friedel pairs count as a powder
   sees them: I(h) = I(−h) without anomalous scattering). The h k l listed is the
   member of the family with the fewest negative indices, then the largest h, k, l.
3. **Structure factors.** F(h) = Σ_j occ_j f_j(s) T_j(h) exp(2πi h·x_j), summed over
   every atom of the cell by ``gemmi.StructureFactorCalculatorX`` with the IT92 X-ray
   form factors of neutral atoms (International Tables Vol. C, Table 6.1.1.4; four
   Gaussians + c), s = sin θ/λ = 1/(2d). Debye–Waller factor T = exp(−8π² U_iso s²)
   (B = 8π²U) or exp(−2π² hᵀ U* h) with the anisotropic U*. Sites without displacement
   parameters get U_iso = :data:`DEFAULT_U_ISO`. Anomalous dispersion is left out by
   default, as in Mercury and pymatgen; ``anomalous=True`` adds the real part f′
   (Cromer–Liberman, ``Addends.add_cl_fprime``) but not f″.
4. **Integrated intensity** of a reflection: I = m |F|² LP with the Lorentz–polarisation
   factor of a Bragg–Brentano (or Debye–Scherrer) laboratory diffractometer
   (International Tables Vol. C, ch. 6.2):

   .. math:: LP = \frac{1 + \cos^2 2\theta \, \cos^2 2\theta_m}
                       {\sin^2\theta \, \cos\theta \, (1 + \cos^2 2\theta_m)}

   where 2θ_m is the diffraction angle of a monochromator crystal (0 for none, e.g. a
   Ni filter or a mirror: then LP = (1 + cos² 2θ)/(2 sin²θ cos θ), pymatgen's factor
   divided by 2). Absorption (constant for a thick Bragg–Brentano sample), preferred
   orientation and extinction are not modelled.
5. **Profile.** Each reflection gives a pseudo-Voigt peak of unit area,
   pV = η L + (1 − η) G, with a common FWHM Γ (Young & Wiles 1982, J. Appl. Cryst.
   15, 430):

   .. math:: G = \frac{2}{\Gamma}\sqrt{\frac{\ln 2}{\pi}}
                 \exp\left(-4\ln 2\,\frac{x^2}{\Gamma^2}\right), \quad
             L = \frac{2}{\pi\Gamma}\frac{1}{1 + 4x^2/\Gamma^2}

   Γ is constant (degrees 2θ) or follows Caglioti, Paoletti & Ricci (1958),
   Γ² = U tan²θ + V tanθ + W. Peaks are cut off at ±20 Γ. With a Kα doublet every
   reflection appears at the Kα1 and Kα2 angles (Bragg's law, λ = 2d sin θ) with
   I(Kα2)/I(Kα1) = 0.5; wavelengths from Hölzer et al. (1997), Phys. Rev. A 56, 4554
   (Cu) and Deslattes et al. (2003), Rev. Mod. Phys. 75, 35 (Mo).

The peak list gives one row per reflection family at the Kα1 (or single-line) angle,
its relative intensity scaled so that the strongest reflection is 100; the profile is
scaled so that its highest point is 100.

Agreement with a measurement
----------------------------
:func:`agreement` scales the calculated profile onto a measured one by weighted least
squares, y_o ≈ k·y_c(2θ − Δ) + background (Chebyshev polynomial, linear by default),
refines the zero shift Δ, and reports

.. math:: R_{wp} = \sqrt{\frac{\sum w (y_o - y_c)^2}{\sum w\, y_o^2}}, \quad
          w = 1/\sigma^2 \text{ (esd column) or } 1/y_o

(Young (ed.), *The Rietveld Method*, IUCr/OUP 1993; Toby 2006, Powder Diffr. 21, 67),
with the calculated peaks above 5 % that have no measured peak within the matching
tolerance (missing) and the measured peaks above 5 % that no calculated peak explains
(impurity, another phase, or a wrong cell). Peaks are found with
``scipy.signal.find_peaks`` on both curves (the measured one smoothed with a
Savitzky–Golay filter about one FWHM wide, prominence at least 1 % of the highest peak
and 3 noise σ).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import gemmi
import numpy as np
import pandas as pd

from coordgeo.errors import InputError
from coordgeo.io.xy import MeasuredPattern
from coordgeo.model import Structure
from coordgeo.options import check_profile_points, check_reflections, validate_wavelength
from coordgeo.symmetry import SPECIAL_POSITION_TOLERANCE

DEFAULT_U_ISO = 0.03  # Å², B = 2.4 Å²: a molecular crystal near 150–200 K
KALPHA2_RATIO = 0.5  # I(Kα2)/I(Kα1)
PEAK_WINDOW = 20.0  # profile cut-off, in FWHM either side of a peak
PEAK_COLUMNS = ("two_theta", "d", "h", "k", "l", "multiplicity", "f_squared", "intensity")
MISSING_THRESHOLD = 5.0  # % of the strongest peak


# --- radiation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Radiation:
    """X-ray lines: wavelengths (Å) and intensities relative to the first line."""

    name: str
    wavelengths: tuple[float, ...]
    ratios: tuple[float, ...] = (1.0,)

    @property
    def wavelength(self) -> float:
        """The first (Kα1) wavelength: the one of the peak list."""
        return self.wavelengths[0]

    @property
    def is_doublet(self) -> bool:
        return len(self.wavelengths) > 1

    def describe(self) -> str:
        lam = ", ".join(f"{w:.6f}".rstrip("0") for w in self.wavelengths)
        text = f"{self.name} (λ = {lam} Å"
        if self.is_doublet:
            text += f"; I(Kα2)/I(Kα1) = {self.ratios[1]:g}"
        return text + ")"


# Cu: Hölzer et al. (1997); Mo: Deslattes et al. (2003). The values GSAS-II uses.
CU_KALPHA1, CU_KALPHA2 = 1.540593, 1.544427
MO_KALPHA1, MO_KALPHA2 = 0.709317, 0.713607

RADIATIONS: dict[str, Radiation] = {
    "CuKa": Radiation("Cu Kα1,2", (CU_KALPHA1, CU_KALPHA2), (1.0, KALPHA2_RATIO)),
    "CuKa1": Radiation("Cu Kα1", (CU_KALPHA1,)),
    "MoKa": Radiation("Mo Kα1,2", (MO_KALPHA1, MO_KALPHA2), (1.0, KALPHA2_RATIO)),
    "MoKa1": Radiation("Mo Kα1", (MO_KALPHA1,)),
}


def parse_radiation(spec: str | float | Radiation) -> Radiation:
    """``"CuKa"`` (Kα1 + Kα2), ``"CuKa1"``, ``"MoKa"``, ``"MoKa1"`` or a wavelength in Å."""
    if isinstance(spec, Radiation):
        return spec
    if isinstance(spec, int | float):
        wavelength = float(spec)
    else:
        key = re.sub(r"[\s_\-]", "", str(spec)).replace("α", "a").lower()
        for name, rad in RADIATIONS.items():
            if key == name.lower():
                return rad
        try:  # the sign is kept: "-1" is a negative wavelength, not 1 Å
            number = re.sub(r"\s", "", str(spec)).lower().removesuffix("å").removesuffix("a")
            wavelength = float(number)
        except ValueError:
            names = ", ".join(RADIATIONS)
            raise InputError(
                f"unknown radiation {spec!r}: give {names} or a wavelength in Å"
            ) from None
    wavelength = validate_wavelength(wavelength)  # 0.1–5 Å, finite
    return Radiation(f"λ = {wavelength:g} Å", (wavelength,))


# --- the pattern --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PowderPattern:
    """A calculated powder pattern.

    ``peaks``: one row per reflection family in the 2θ range, at the Kα1 (or only)
    wavelength, with the columns of :data:`PEAK_COLUMNS` (``intensity`` relative,
    strongest = 100) and ``lorentz_polarisation``. ``lines``: every peak of the
    profile (each reflection once per wavelength, including those just outside the
    range whose tails reach into it): ``two_theta``, ``area``, ``fwhm``, ``line``
    (0 = Kα1, 1 = Kα2) and ``reflection`` (row of ``peaks``, −1 outside the range).
    ``two_theta``/``intensity``: the profile on a uniform grid, highest point = 100.
    """

    peaks: pd.DataFrame
    lines: pd.DataFrame
    two_theta: np.ndarray
    intensity: np.ndarray
    radiation: Radiation
    two_theta_range: tuple[float, float]
    fwhm: float | tuple[float, float, float]
    eta: float
    monochromator: float
    profile_scale: float  # intensity = profile_scale · Σ area·pV
    source: str = ""
    notes: tuple[str, ...] = field(default=())

    def profile(self, two_theta: np.ndarray | Sequence[float]) -> np.ndarray:
        """The profile at any 2θ values (same scale as :attr:`intensity`)."""
        x = np.asarray(two_theta, dtype=float)
        order = np.argsort(x, kind="stable")
        y = np.empty_like(x)
        y[order] = self.profile_scale * peak_profile(
            x[order],
            self.lines["two_theta"].to_numpy(),
            self.lines["area"].to_numpy(),
            self.lines["fwhm"].to_numpy(),
            self.eta,
        )
        return y

    def profile_frame(self) -> pd.DataFrame:
        """The profile as ``two_theta,intensity``."""
        return pd.DataFrame({"two_theta": self.two_theta, "intensity": self.intensity})

    def describe(self) -> str:
        lo, hi = self.two_theta_range
        if isinstance(self.fwhm, tuple):
            width = "FWHM² = {:g} tan²θ + {:g} tanθ + {:g}".format(*self.fwhm)
        else:
            width = f"FWHM {self.fwhm:g}°"
        mono = f", monochromator 2θm {self.monochromator:g}°" if self.monochromator else ""
        return (
            f"{self.radiation.describe()}, 2θ {lo:g}–{hi:g}°, {width}, "
            f"pseudo-Voigt η {self.eta:g}{mono}"
        )


def powder_pattern(
    structure: Structure,
    radiation: str | float | Radiation = "CuKa",
    two_theta_range: tuple[float, float] = (3.0, 50.0),
    *,
    fwhm: float | tuple[float, float, float] = 0.1,
    eta: float = 0.5,
    step: float = 0.02,
    monochromator: float = 0.0,
    displacement: bool = True,
    default_u_iso: float = DEFAULT_U_ISO,
    anomalous: bool = False,
) -> PowderPattern:
    """The powder pattern of ``structure`` (see the module doc for every formula).

    Parameters
    ----------
    radiation
        ``"CuKa"`` (Kα1 + Kα2, ratio 0.5), ``"CuKa1"``, ``"MoKa"``, ``"MoKa1"``, a
        wavelength in Å (one line) or a :class:`Radiation`.
    two_theta_range
        (from, to) in degrees 2θ.
    fwhm
        Peak FWHM in degrees 2θ, or Caglioti (U, V, W) in deg²:
        FWHM² = U tan²θ + V tanθ + W.
    eta
        Lorentzian fraction of the pseudo-Voigt (0 = Gaussian, 1 = Lorentzian).
    step
        Step of the profile grid, degrees 2θ.
    monochromator
        2θ_m of a monochromator crystal in degrees (0: none; graphite 002 with Cu Kα:
        26.6).
    displacement
        Apply Debye–Waller factors (False: atoms at rest, as pymatgen's default).
    default_u_iso
        U_iso (Å²) for sites without displacement parameters.
    anomalous
        Add f′ (Cromer–Liberman) to the form factors.
    """
    rad = parse_radiation(radiation)
    lo, hi = _check_range(two_theta_range)
    _check_profile_options(fwhm, eta, step)
    check_profile_points((lo, hi), step)  # a step of 1e-9° would be 10¹⁰ points
    half_window = PEAK_WINDOW * _max_fwhm(fwhm, hi)
    # every reflection whose Kα1 or Kα2 peak reaches into the range
    wide_lo = max(lo - half_window, 0.5) * min(rad.wavelengths) / max(rad.wavelengths)
    wide_hi = min(hi + half_window, 179.0)
    table, notes = reflections(
        structure,
        rad.wavelength,
        (wide_lo, wide_hi),
        monochromator=monochromator,
        displacement=displacement,
        default_u_iso=default_u_iso,
        anomalous=anomalous,
    )
    d = table["d"].to_numpy()
    m_f2 = table["multiplicity"].to_numpy() * table["f_squared"].to_numpy()
    inside = (table["two_theta"] >= lo) & (table["two_theta"] <= hi)
    peaks = table[inside].reset_index(drop=True)
    strongest = peaks["intensity_abs"].max() if len(peaks) else 1.0
    peaks["intensity"] = 100.0 * peaks["intensity_abs"] / (strongest or 1.0)
    peaks = peaks[[*PEAK_COLUMNS, "lorentz_polarisation"]]
    reflection_row = np.full(len(table), -1)
    reflection_row[inside.to_numpy()] = np.arange(len(peaks))

    frames = []
    for k, (lam, ratio) in enumerate(zip(rad.wavelengths, rad.ratios, strict=True)):
        sin_theta = lam / (2.0 * d)
        ok = sin_theta < 1.0
        tt = np.degrees(2.0 * np.arcsin(sin_theta[ok]))
        area = ratio * m_f2[ok] * lorentz_polarisation(tt, monochromator)
        frames.append(
            pd.DataFrame(
                {
                    "two_theta": tt,
                    "area": area / (strongest or 1.0),
                    "fwhm": _fwhm_at(fwhm, tt),
                    "line": k,
                    "reflection": reflection_row[ok],
                }
            )
        )
    lines = pd.concat(frames, ignore_index=True)
    keep = (lines["two_theta"] >= lo - half_window) & (lines["two_theta"] <= hi + half_window)
    lines = lines[keep].sort_values("two_theta", kind="stable").reset_index(drop=True)

    grid = np.round(np.arange(lo, hi + 0.5 * step, step), 10)
    raw = peak_profile(
        grid,
        lines["two_theta"].to_numpy(),
        lines["area"].to_numpy(),
        lines["fwhm"].to_numpy(),
        eta,
    )
    top = raw.max() if raw.size else 0.0
    scale = 100.0 / top if top > 0 else 1.0
    source = f"{structure.path} data_{structure.block}" if structure.path else structure.block
    return PowderPattern(
        peaks=peaks,
        lines=lines,
        two_theta=grid,
        intensity=raw * scale,
        radiation=rad,
        two_theta_range=(lo, hi),
        fwhm=fwhm,
        eta=eta,
        monochromator=monochromator,
        profile_scale=scale,
        source=source,
        notes=tuple(notes),
    )


def reflections(
    structure: Structure,
    wavelength: float,
    two_theta_range: tuple[float, float],
    *,
    monochromator: float = 0.0,
    displacement: bool = True,
    default_u_iso: float = DEFAULT_U_ISO,
    anomalous: bool = False,
) -> tuple[pd.DataFrame, list[str]]:
    """Every reflection family in the range at one wavelength, sorted by 2θ, and notes.

    Columns: ``two_theta, d, h, k, l, multiplicity, f_squared`` (|F|² with occupancies
    and Debye–Waller factors), ``lorentz_polarisation``, ``intensity_abs``
    (m·|F|²·LP) and ``intensity`` (relative, strongest = 100).
    """
    if not 0.0 <= monochromator < 180.0:  # inf made cos² a math domain error
        raise InputError(f"monochromator 2θm {monochromator:g}° is not between 0 and 180°")
    small, space_group, notes = small_structure(
        structure, displacement=displacement, default_u_iso=default_u_iso
    )
    lo, hi = two_theta_range
    d_min = wavelength / (2.0 * math.sin(math.radians(min(hi, 179.9)) / 2.0))
    d_max = wavelength / (2.0 * math.sin(math.radians(lo) / 2.0))
    check_reflections(
        structure.cell.volume,
        d_min,
        d_max,
        len(laue_rotations(structure)),
        len(structure) * len(structure.symops),
    )
    hkl, multiplicity = unique_reflections(structure, small.cell, space_group, d_min, d_max)
    d = np.asarray(small.cell.calculate_d_array(hkl), dtype=float) if len(hkl) else np.empty(0)
    sin_theta = wavelength / (2.0 * d)
    two_theta = np.degrees(2.0 * np.arcsin(np.clip(sin_theta, 0.0, 1.0)))
    inside = (sin_theta < 1.0) & (two_theta >= lo) & (two_theta <= hi)
    hkl, multiplicity, d, two_theta = (
        hkl[inside],
        multiplicity[inside],
        d[inside],
        two_theta[inside],
    )
    f_squared = structure_factors_squared(small, hkl, wavelength if anomalous else None)
    if anomalous:
        notes.append("anomalous dispersion: f′ (Cromer–Liberman) added, f″ left out")
    lp = lorentz_polarisation(two_theta, monochromator)
    intensity = multiplicity * f_squared * lp
    order = np.lexsort((hkl[:, 2], hkl[:, 1], hkl[:, 0], two_theta))
    strongest = intensity.max() if intensity.size else 1.0
    table = pd.DataFrame(
        {
            "two_theta": two_theta[order],
            "d": d[order],
            "h": hkl[order, 0],
            "k": hkl[order, 1],
            "l": hkl[order, 2],
            "multiplicity": multiplicity[order],
            "f_squared": f_squared[order],
            "lorentz_polarisation": lp[order],
            "intensity_abs": intensity[order],
            "intensity": 100.0 * intensity[order] / (strongest or 1.0),
        }
    )
    return table, notes


def lorentz_polarisation(two_theta: np.ndarray, monochromator: float = 0.0) -> np.ndarray:
    """LP = (1 + cos²2θ cos²2θm) / (sin²θ cosθ (1 + cos²2θm)); angles in degrees.

    International Tables Vol. C, ch. 6.2: Lorentz factor 1/(sin²θ cosθ) of a powder
    (ring fraction × scan), polarisation of an unpolarised tube beam, with a
    monochromator crystal at 2θm (0: none).
    """
    tt = np.radians(np.asarray(two_theta, dtype=float))
    theta = tt / 2.0
    cos2m = math.cos(math.radians(monochromator)) ** 2
    return (1.0 + np.cos(tt) ** 2 * cos2m) / (np.sin(theta) ** 2 * np.cos(theta) * (1.0 + cos2m))


# --- structure → gemmi --------------------------------------------------------------------


def small_structure(
    structure: Structure,
    *,
    displacement: bool = True,
    default_u_iso: float = DEFAULT_U_ISO,
) -> tuple[gemmi.SmallStructure, gemmi.SpaceGroup | None, list[str]]:
    """The structure as a :class:`gemmi.SmallStructure` with crystallographic occupancies.

    Returns the SmallStructure (cell images set up), the space group found from the
    CIF's operators (None when gemmi does not know the setting: the SmallStructure
    then holds the whole unit cell in P1) and notes for the user.
    """
    check_operators(structure)
    notes: list[str] = []
    keep = [i for i, e in enumerate(structure.elements) if e != "X"]
    if len(keep) < len(structure):
        notes.append(f"{len(structure) - len(keep)} dummy site(s) left out")
    if not keep:
        raise InputError(
            "no atoms to scatter (only dummy sites)", path=structure.path, block=structure.block
        )
    u_iso, u_aniso, n_default = _displacements(structure, displacement, default_u_iso)
    if n_default:
        notes.append(
            f"{n_default} site(s) without displacement parameters: U_iso = {default_u_iso:g} Å²"
        )
    small = gemmi.SmallStructure()
    small.name = structure.block
    small.cell = gemmi.UnitCell(*structure.cell.parameters)
    space_group = _space_group(structure)
    if space_group is not None:
        small.spacegroup = space_group
        fract = structure.fract[keep]
        sites = keep
        aniso = u_aniso[keep]
    else:
        notes.append(
            "gemmi does not know the space-group setting of these operators: "
            "the unit cell was generated from them and used in P1"
        )
        small.spacegroup = gemmi.find_spacegroup_by_name("P 1")
        fract, sites, aniso = _unit_cell_contents(structure, keep, u_aniso)
    for f, i, u in zip(fract, sites, aniso, strict=True):
        site = gemmi.SmallStructure.Site()
        site.label = structure.labels[i]
        site.element = gemmi.Element(structure.elements[i])
        site.fract = gemmi.Fractional(*(float(x) for x in f))
        site.occ = float(structure.occupancy[i])
        site.u_iso = float(u_iso[i])
        if np.all(np.isfinite(u)):
            site.aniso = gemmi.SMat33d(*(float(x) for x in u))
        small.add_site(site)
    small.setup_cell_images()
    # CIF occupancies are chemical: divide by the order of the site symmetry. coordgeo
    # has already snapped sites within 0.05 Å onto their special positions, so the same
    # tolerance counts exactly the images that coincide.
    small.change_occupancies_to_crystallographic(max_dist=SPECIAL_POSITION_TOLERANCE)
    return small, space_group, notes


def check_operators(structure: Structure) -> None:
    """Raise :class:`InputError` unless the CIF's operators form a space group.

    Every rotation must have determinant ±1, and the list must be closed under
    composition (modulo lattice translations): a typing error in one operator (``x,y,x``,
    or ``y,-x,z`` in a trigonal list) would otherwise put atoms where the crystal has
    none and give a pattern that looks plausible but is wrong.
    """
    for op, det in zip(structure.symops, np.linalg.det(structure.rotations), strict=True):
        if abs(abs(det) - 1.0) > 1e-6:
            raise InputError(
                f"symmetry operator {op.triplet!r} is not a rotation or reflection "
                f"(determinant {det:g}): cannot calculate a powder pattern",
                path=structure.path,
                block=structure.block,
            )
    group = gemmi.GroupOps([_gemmi_op(op.rotation, op.translation) for op in structure.symops])
    listed = len(group)
    try:
        group.add_missing_elements()
        closed = len(group) == listed
    except RuntimeError:  # gemmi: "Too many elements in the group - bad generators"
        closed = False
    if not closed:
        raise InputError(
            f"the CIF's {len(structure.symops)} symmetry operators do not form a group "
            "(products of two of them are missing from the list): cannot calculate a powder "
            "pattern from an inconsistent operator list",
            path=structure.path,
            block=structure.block,
        )


def _space_group(structure: Structure) -> gemmi.SpaceGroup | None:
    ops = [_gemmi_op(op.rotation, op.translation) for op in structure.symops]
    try:
        return gemmi.find_spacegroup_by_ops(gemmi.GroupOps(ops))
    except (RuntimeError, ValueError):
        return None


def _gemmi_op(rotation: np.ndarray, translation: np.ndarray) -> gemmi.Op:
    op = gemmi.Op()
    op.rot = [[int(v) * gemmi.Op.DEN for v in row] for row in rotation]
    op.tran = [round(float(t) * gemmi.Op.DEN) % gemmi.Op.DEN for t in translation]
    return op


def _displacements(
    structure: Structure, displacement: bool, default_u_iso: float
) -> tuple[np.ndarray, np.ndarray, int]:
    """U_iso per site and U^ij (nan rows where isotropic); count of sites given the default."""
    n = len(structure)
    if not displacement:
        return np.zeros(n), np.full((n, 6), np.nan), 0
    u_aniso = np.array(structure.u_aniso, dtype=float).reshape(n, 6)
    has_aniso = np.all(np.isfinite(u_aniso), axis=1) & np.any(u_aniso != 0, axis=1)
    u_aniso[~has_aniso] = np.nan
    u_iso = np.array(structure.u_iso, dtype=float)
    missing = ~np.isfinite(u_iso) & ~has_aniso & (np.array(structure.elements) != "X")
    u_iso[~np.isfinite(u_iso)] = default_u_iso  # on anisotropic sites gemmi does not use it
    return u_iso, u_aniso, int(missing.sum())


def _unit_cell_contents(
    structure: Structure, keep: list[int], u_aniso: np.ndarray
) -> tuple[np.ndarray, list[int], np.ndarray]:
    """Every atom of the unit cell: images of each site under the CIF's operators, with the
    images that coincide (within the special-position tolerance) kept once."""
    rot = structure.rotations.astype(float)
    tran = structure.translations
    orth = structure.cell.orthogonalization
    recip = np.linalg.norm(structure.cell.fractionalization, axis=1)  # a*, b*, c*
    fract_out, site_out, aniso_out = [], [], []
    for i in keep:
        images = np.einsum("kij,j->ki", rot, structure.fract[i]) + tran
        images -= np.floor(images)
        chosen: list[int] = []
        for k in range(len(images)):
            if chosen:
                diff = images[chosen] - images[k]
                diff -= np.round(diff)
                if np.min(np.linalg.norm(diff @ orth.T, axis=1)) < SPECIAL_POSITION_TOLERANCE:
                    continue
            chosen.append(k)
        u = u_aniso[i]
        for k in chosen:
            fract_out.append(images[k])
            site_out.append(i)
            if np.all(np.isfinite(u)):
                u_cif = _voigt_to_matrix(u)
                u_star = recip[:, None] * u_cif * recip[None, :]
                u_star = rot[k] @ u_star @ rot[k].T
                aniso_out.append(_matrix_to_voigt(u_star / recip[:, None] / recip[None, :]))
            else:
                aniso_out.append(np.full(6, np.nan))
    return np.array(fract_out), site_out, np.array(aniso_out).reshape(-1, 6)


def _voigt_to_matrix(u: np.ndarray) -> np.ndarray:
    u11, u22, u33, u12, u13, u23 = u
    return np.array([[u11, u12, u13], [u12, u22, u23], [u13, u23, u33]])


def _matrix_to_voigt(m: np.ndarray) -> np.ndarray:
    return np.array([m[0, 0], m[1, 1], m[2, 2], m[0, 1], m[0, 2], m[1, 2]])


# --- reflections --------------------------------------------------------------------------


def laue_rotations(structure: Structure) -> np.ndarray:
    """(n, 3, 3) rotations of the Laue group: the operators' rotations and their negatives."""
    rots = np.concatenate([structure.rotations, -structure.rotations]).astype(int)
    return np.unique(rots.reshape(len(rots), 9), axis=0).reshape(-1, 3, 3)


def powder_multiplicity(hkl: np.ndarray, laue: np.ndarray) -> np.ndarray:
    """Number of distinct reflections h·R, R in the Laue group: the powder multiplicity."""
    keys = _orbit_keys(hkl, laue)
    keys.sort(axis=1)
    return 1 + np.count_nonzero(np.diff(keys, axis=1), axis=1)


def _orbit_keys(hkl: np.ndarray, laue: np.ndarray) -> np.ndarray:
    """(N, n_laue) distinct integer keys of the equivalents h·R of every reflection.

    Ordered so that the largest key of a family is its conventional representative:
    the fewest negative indices first (1 1 0 rather than 2 −1 0 on hexagonal axes),
    then the largest h, k, l.
    """
    images = np.einsum("ni,rij->nrj", hkl, laue).astype(np.int64)
    offset = int(np.abs(images).max(initial=0)) + 1  # hexagonal axes: |h·R| up to 2 max|h|
    base = 2 * offset + 1
    shifted = images + offset
    key = (shifted[..., 0] * base + shifted[..., 1]) * base + shifted[..., 2]
    return key - (images < 0).sum(axis=-1) * base**3


def unique_reflections(
    structure: Structure,
    cell: gemmi.UnitCell,
    space_group: gemmi.SpaceGroup | None,
    d_min: float,
    d_max: float,
) -> tuple[np.ndarray, np.ndarray]:
    """One reflection per Laue family with d_min ≤ d ≤ d_max, not systematically absent, and
    its powder multiplicity.

    With a space group gemmi enumerates its reciprocal asymmetric unit; without one
    every reflection of a P1 half-sphere is reduced to one representative per family.
    Either way the representative is the member with the fewest negative indices, then
    the largest h, k, l, and the CIF's operators decide the systematic absences.
    """
    laue = laue_rotations(structure)
    p1 = gemmi.find_spacegroup_by_name("P 1")
    sg = space_group if space_group is not None else p1
    hkl = np.asarray(gemmi.make_miller_array(cell, sg, d_min, d_max, True), dtype=int)
    hkl = hkl.reshape(-1, 3)
    if len(hkl):
        keys = _orbit_keys(hkl, laue)
        canonical = keys.max(axis=1)
        _, first = np.unique(canonical, return_index=True)
        hkl = hkl[np.sort(first)]
        # the representative of each family: its largest key, the same on both paths
        best = np.argmax(_orbit_keys(hkl, laue), axis=1)
        hkl = np.einsum("ni,nij->nj", hkl, laue[best])
    ops = gemmi.GroupOps([_gemmi_op(op.rotation, op.translation) for op in structure.symops])
    if len(hkl):
        absent = np.asarray(ops.systematic_absences(hkl.astype(np.int32)), dtype=bool)
        hkl = hkl[~absent]
    return hkl, powder_multiplicity(hkl, laue)


def structure_factors_squared(
    small: gemmi.SmallStructure, hkl: np.ndarray, fprime_wavelength: float | None = None
) -> np.ndarray:
    """|F(hkl)|² by direct summation (gemmi.StructureFactorCalculatorX, IT92 form factors).

    ``fprime_wavelength``: add the Cromer–Liberman f′ for this wavelength (Å).
    """
    calc = gemmi.StructureFactorCalculatorX(small.cell)
    if fprime_wavelength is not None:
        calc.addends.add_cl_fprime(gemmi.hc / fprime_wavelength)
    try:
        f = np.array(
            [calc.calculate_sf_from_small_structure(small, [int(x) for x in h]) for h in hkl],
            dtype=complex,
        )
    except RuntimeError as exc:  # e.g. "Missing scattering factor for Es"
        raise InputError(f"cannot calculate structure factors: {exc}") from None
    return (f * f.conjugate()).real if len(f) else np.empty(0)


# --- profile ------------------------------------------------------------------------------


def pseudo_voigt(x: np.ndarray, fwhm: np.ndarray | float, eta: float) -> np.ndarray:
    """Unit-area pseudo-Voigt η L + (1 − η) G at offsets ``x`` from the peak (degrees)."""
    z = (2.0 * x / fwhm) ** 2
    gauss = (2.0 / fwhm) * math.sqrt(math.log(2.0) / math.pi) * np.exp(-math.log(2.0) * z)
    lorentz = (2.0 / (math.pi * fwhm)) / (1.0 + z)
    return eta * lorentz + (1.0 - eta) * gauss


def caglioti_fwhm(two_theta: np.ndarray, u: float, v: float, w: float) -> np.ndarray:
    """FWHM = sqrt(U tan²θ + V tanθ + W) (Caglioti, Paoletti & Ricci 1958), degrees."""
    t = np.tan(np.radians(np.asarray(two_theta, dtype=float)) / 2.0)
    return np.sqrt(np.maximum(u * t * t + v * t + w, 1e-8))


def peak_profile(
    grid: np.ndarray,
    centres: np.ndarray,
    areas: np.ndarray,
    fwhm: np.ndarray,
    eta: float,
    window: float = PEAK_WINDOW,
    chunk: int = 4096,
) -> np.ndarray:
    """Σ_k area_k · pV(2θ − 2θ_k) on an increasing grid, each peak cut off at ±window·FWHM.

    Vectorised over blocks of peaks: every peak gets the same number of grid points
    (the widest window of its block), masked where outside its own window or the grid.
    """
    grid = np.asarray(grid, dtype=float)
    out = np.zeros(len(grid))
    if len(centres) == 0 or len(grid) == 0:
        return out
    for start in range(0, len(centres), chunk):
        c = centres[start : start + chunk]
        a = areas[start : start + chunk]
        g = fwhm[start : start + chunk]
        half = window * g
        first = np.searchsorted(grid, c - half, side="left")
        last = np.searchsorted(grid, c + half, side="right")
        width = int((last - first).max(initial=0))
        if width == 0:
            continue
        idx = first[:, None] + np.arange(width)[None, :]
        valid = idx < last[:, None]
        idx = np.where(valid, idx, 0)
        values = a[:, None] * pseudo_voigt(grid[idx] - c[:, None], g[:, None], eta)
        out += np.bincount(idx[valid], weights=values[valid], minlength=len(grid))
    return out


def _fwhm_at(fwhm: float | tuple[float, float, float], two_theta: np.ndarray) -> np.ndarray:
    if isinstance(fwhm, tuple):
        return caglioti_fwhm(two_theta, *fwhm)
    return np.full(len(two_theta), float(fwhm))


def _max_fwhm(fwhm: float | tuple[float, float, float], two_theta_max: float) -> float:
    if isinstance(fwhm, tuple):
        return float(caglioti_fwhm(np.linspace(0.0, two_theta_max, 200), *fwhm).max())
    return float(fwhm)


def _check_range(two_theta_range: tuple[float, float]) -> tuple[float, float]:
    lo, hi = (float(v) for v in two_theta_range)
    if not (0.0 < lo < hi < 180.0):
        raise InputError(f"2θ range {lo:g}–{hi:g}° is not 0 < from < to < 180")
    return lo, hi


def _check_profile_options(fwhm: float | tuple[float, float, float], eta: float, step: float):
    if isinstance(fwhm, tuple):
        if len(fwhm) != 3:
            raise InputError("Caglioti widths need three numbers U,V,W")
        if _fwhm_at(fwhm, np.array([5.0, 90.0])).min() <= 1e-3:
            raise InputError(f"Caglioti U,V,W {fwhm} give no positive FWHM")
    elif not 0.0 < float(fwhm) <= 5.0:
        raise InputError(f"FWHM {fwhm:g}° is not between 0 and 5° 2θ")
    if not 0.0 <= eta <= 1.0:
        raise InputError(f"pseudo-Voigt η {eta:g} is not between 0 (Gaussian) and 1 (Lorentzian)")
    if not 0.0 < step <= 0.5:
        raise InputError(f"step {step:g}° is not between 0 and 0.5° 2θ")


# --- agreement with a measured pattern ----------------------------------------------------


@dataclass(frozen=True, eq=False)
class Agreement:
    """A calculated pattern scaled onto a measured one (see :func:`agreement`).

    Arrays are on the measured 2θ points inside the calculated range: ``observed``,
    ``calculated`` (k·y_c(2θ − Δ) + background), ``background``, ``weights``.

    ``missing``: calculated peaks of at least ``threshold`` % of the strongest
    calculated peak where the measurement shows less than ``explained`` of the expected
    height within ±``tolerance`` (``two_theta, hkl, intensity, measured``: the
    calculated and the measured height above background, both in % of the strongest
    calculated peak after scaling). ``unexplained``: measured peaks of at least
    ``threshold`` % of the strongest measured peak of which the scaled calculated
    pattern accounts for less than ``explained`` within ±``tolerance`` (``two_theta, d,
    intensity, calculated``, in % of the strongest measured peak above background).
    ``calculated_peaks`` and ``measured_peaks`` list every maximum found on either
    curve, with the same columns.
    """

    rwp: float  # fraction: 0.08 = 8 %
    scale: float
    zero_shift: float  # degrees: measured peaks at 2θ_calc + zero_shift
    background_coefficients: np.ndarray  # Chebyshev, on the compared 2θ range mapped to [-1, 1]
    two_theta: np.ndarray
    observed: np.ndarray
    calculated: np.ndarray
    background: np.ndarray
    weights: np.ndarray
    calculated_peaks: pd.DataFrame
    measured_peaks: pd.DataFrame
    missing: pd.DataFrame
    unexplained: pd.DataFrame
    tolerance: float
    threshold: float
    explained: float
    path: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def difference(self) -> np.ndarray:
        return self.observed - self.calculated

    def summary(self) -> str:
        """One line: Rwp, zero shift, where peaks are missing or unexplained."""
        terms = len(self.background_coefficients)
        text = (
            f"Rwp {100 * self.rwp:.1f} % (scale, zero shift {self.zero_shift:+.3f}° and "
            f"{terms}-term background refined); "
            f"{len(self.missing)} calculated peak(s) ≥ {self.threshold:g} % missing"
        )
        if len(self.missing):
            text += " at 2θ " + ", ".join(f"{x:.2f}" for x in self.missing["two_theta"])
        text += f"; {len(self.unexplained)} measured peak(s) ≥ {self.threshold:g} % unexplained"
        if len(self.unexplained):
            text += " at 2θ " + ", ".join(f"{x:.2f}" for x in self.unexplained["two_theta"])
        return text


def agreement(
    pattern: PowderPattern,
    measured: MeasuredPattern,
    *,
    background: int | None = 1,
    refine_zero: bool = True,
    max_zero_shift: float = 0.5,
    tolerance: float | None = None,
    threshold: float = MISSING_THRESHOLD,
    explained: float = 0.3,
) -> Agreement:
    """Scale ``pattern`` onto ``measured``; Rwp, missing and unexplained peaks.

    Parameters
    ----------
    background
        Order of the Chebyshev background refined with the scale (1: linear; 0:
        constant; None: no background).
    refine_zero
        Refine a zero shift Δ within ±``max_zero_shift`` degrees (scan in steps of
        FWHM/4, then bounded Brent), y_o(2θ) ≈ k·y_c(2θ − Δ) + background.
    tolerance
        Half-width of the window (degrees 2θ, after the zero shift) in which a peak
        looks for its counterpart; default max(0.15°, 1.5 FWHM).
    threshold
        Peaks below this % of the strongest peak of their own curve are not reported.
    explained
        A peak is accounted for when the other curve reaches this fraction of its
        height (above background) within the window. 0.3 lets preferred orientation
        change an intensity threefold before a peak is called missing or unexplained.
    """
    from scipy.optimize import minimize_scalar

    lo, hi = pattern.two_theta_range
    tt = measured.two_theta
    inside = (tt >= lo) & (tt <= hi)
    if inside.sum() < 10:
        raise InputError(
            f"the measured pattern ({tt.min():g}–{tt.max():g}° 2θ) hardly overlaps the "
            f"calculated range {lo:g}–{hi:g}°",
            path=measured.path,
        )
    x = tt[inside]
    y_obs = measured.intensity[inside].astype(float)
    w = measured.weights[inside]
    fwhm_min = float(pattern.lines["fwhm"].min()) if len(pattern.lines) else 0.1
    fwhm_ref = _max_fwhm(pattern.fwhm, hi)
    limit = max_zero_shift if refine_zero else 0.0
    fine_step = max(min(fwhm_min / 20.0, 0.01), 0.001)
    fine = np.arange(x[0] - limit - fine_step, x[-1] + limit + 2 * fine_step, fine_step)
    y_fine = pattern.profile(fine)
    basis = _background_basis(x, background)
    sw = np.sqrt(w)

    def fit(shift: float) -> tuple[float, np.ndarray, np.ndarray]:
        yc = np.interp(x - shift, fine, y_fine)
        design = np.column_stack([yc, basis])
        coef, *_ = np.linalg.lstsq(design * sw[:, None], y_obs * sw, rcond=None)
        model = design @ coef
        return math.sqrt(np.sum(w * (y_obs - model) ** 2) / np.sum(w * y_obs**2)), coef, model

    shift = 0.0
    if refine_zero and limit > 0:
        coarse = max(fwhm_min / 4.0, 0.005)
        shifts = np.arange(-limit, limit + 0.5 * coarse, coarse)
        scores = [fit(s)[0] for s in shifts]
        shift = float(shifts[int(np.argmin(scores))])
        result = minimize_scalar(
            lambda s: fit(s)[0],
            bounds=(max(shift - coarse, -limit), min(shift + coarse, limit)),
            method="bounded",
            options={"xatol": 1e-4},
        )
        if result.fun <= min(scores):
            shift = float(result.x)
    rwp, coef, model = fit(shift)
    scale, bg_coef = float(coef[0]), coef[1:]
    bg_curve = basis @ bg_coef
    notes = list(measured.notes)
    if scale <= 0:
        notes.append("the best scale is not positive: the patterns do not match at all")

    tol = tolerance if tolerance is not None else max(0.15, 1.5 * fwhm_ref)
    # both curves above background, on the measured points (calculated: scaled, shifted)
    calc_curve = scale * np.interp(x - shift, fine, y_fine)
    obs_curve = _smooth(x, y_obs - bg_curve, fwhm_ref)
    calc_peaks = _calculated_peaks(pattern, fine + shift, scale * y_fine, shift, tol)
    calc_peaks = calc_peaks[(calc_peaks["two_theta"] >= x[0]) & (calc_peaks["two_theta"] <= x[-1])]
    calc_top = max(float(calc_curve.max()), 1e-300)
    calc_peaks = calc_peaks.assign(
        intensity=100.0 * calc_peaks["height"] / calc_top,
        measured=100.0 * _window_max(x, obs_curve, calc_peaks["two_theta"], tol) / calc_top,
    )
    meas_peaks = _measured_peaks(x, y_obs - bg_curve, obs_curve)
    obs_top = max(float(meas_peaks["height"].max()) if len(meas_peaks) else 0.0, 1e-300)
    meas_peaks = meas_peaks.assign(
        d=pattern.radiation.wavelength / (2.0 * np.sin(np.radians(meas_peaks["two_theta"]) / 2)),
        intensity=100.0 * meas_peaks["height"] / obs_top,
        calculated=100.0 * _window_max(x, calc_curve, meas_peaks["two_theta"], tol) / obs_top,
    )
    missing = calc_peaks[
        (calc_peaks["intensity"] >= threshold)
        & (calc_peaks["measured"] < explained * calc_peaks["intensity"])
    ]
    unexplained = meas_peaks[
        (meas_peaks["intensity"] >= threshold)
        & (meas_peaks["calculated"] < explained * meas_peaks["intensity"])
    ]
    calc_columns = ["two_theta", "hkl", "intensity", "measured"]
    meas_columns = ["two_theta", "d", "intensity", "calculated"]
    return Agreement(
        rwp=rwp,
        scale=scale,
        zero_shift=shift,
        background_coefficients=np.asarray(bg_coef),
        two_theta=x,
        observed=y_obs,
        calculated=model,
        background=bg_curve,
        weights=w,
        calculated_peaks=calc_peaks[calc_columns].reset_index(drop=True),
        measured_peaks=meas_peaks[meas_columns].reset_index(drop=True),
        missing=missing[calc_columns].reset_index(drop=True),
        unexplained=unexplained[meas_columns].reset_index(drop=True),
        tolerance=tol,
        threshold=threshold,
        explained=explained,
        path=measured.path,
        notes=tuple(notes),
    )


def _background_basis(x: np.ndarray, order: int | None) -> np.ndarray:
    """Chebyshev polynomials T_0 … T_order of 2θ mapped onto [−1, 1] (no column for None)."""
    if order is None or order < 0:
        return np.empty((len(x), 0))
    u = 2.0 * (x - x[0]) / (x[-1] - x[0]) - 1.0 if x[-1] > x[0] else np.zeros_like(x)
    return np.polynomial.chebyshev.chebvander(u, int(order))


def _smooth(x: np.ndarray, y: np.ndarray, fwhm: float) -> np.ndarray:
    """Savitzky–Golay smoothing (quadratic) over about one FWHM, at least 5 points."""
    from scipy.signal import savgol_filter

    step = float(np.median(np.diff(x))) if len(x) > 1 else fwhm
    window = max(5, round(fwhm / step) | 1)
    return savgol_filter(y, window, 2) if len(y) > window + 2 else y.astype(float).copy()


def _calculated_peaks(
    pattern: PowderPattern, two_theta: np.ndarray, y: np.ndarray, shift: float, tol: float
) -> pd.DataFrame:
    """Maxima of the calculated profile (height above zero) and the strongest reflection there.

    A maximum must stand out by 0.1 % of the highest one (drops numerical ripples).
    """
    from scipy.signal import find_peaks

    top = float(y.max()) if y.size else 0.0
    if top <= 0:
        return pd.DataFrame({"two_theta": [], "hkl": [], "height": []})
    idx, _ = find_peaks(y, prominence=1e-3 * top)
    positions = _vertex(two_theta, y, idx)
    lines = pattern.lines[pattern.lines["reflection"] >= 0]
    centres = lines["two_theta"].to_numpy() + shift
    hkl = pattern.peaks[["h", "k", "l"]].to_numpy(dtype=int)
    labels = []
    for pos in positions:
        near = np.flatnonzero(np.abs(centres - pos) <= min(tol, lines["fwhm"].max()))
        if near.size:
            best = near[np.argmax(lines["area"].to_numpy()[near])]
            labels.append(" ".join(str(i) for i in hkl[int(lines["reflection"].iloc[best])]))
        else:
            labels.append("")
    return pd.DataFrame({"two_theta": positions, "hkl": labels, "height": y[idx]})


def _measured_peaks(x: np.ndarray, y: np.ndarray, smooth: np.ndarray) -> pd.DataFrame:
    """Maxima of the smoothed measured curve standing out by 3 noise σ (and 1 % of the top).

    σ from the median absolute deviation of the raw points from the smoothed curve.
    """
    from scipy.signal import find_peaks

    residual = y - smooth
    noise = 1.4826 * float(np.median(np.abs(residual - np.median(residual))))
    top = float(smooth.max()) if smooth.size else 0.0
    if top <= 0:
        return pd.DataFrame({"two_theta": [], "height": []})
    idx, _ = find_peaks(smooth, prominence=max(0.01 * top, 3.0 * noise))
    return pd.DataFrame({"two_theta": _vertex(x, smooth, idx), "height": smooth[idx]})


def _vertex(x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Peak positions between grid points: vertex of the parabola through the three points
    around each maximum."""
    idx = np.asarray(idx, dtype=int)
    inner = (idx > 0) & (idx < len(x) - 1)
    out = x[idx].astype(float)
    i = idx[inner]
    x0, x1, x2 = x[i - 1], x[i], x[i + 1]
    y0, y1, y2 = y[i - 1], y[i], y[i + 1]
    denom = (x0 - x1) * (x0 - x2) * (x1 - x2)
    a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / np.where(denom == 0, 1, denom)
    b = (x2**2 * (y0 - y1) + x1**2 * (y2 - y0) + x0**2 * (y1 - y2)) / np.where(denom == 0, 1, denom)
    ok = a < 0
    vertex = np.where(ok, -b / (2 * np.where(ok, a, -1)), x1)
    out[inner] = np.clip(vertex, x0, x2)
    return out


def _window_max(x: np.ndarray, y: np.ndarray, centres: pd.Series, tol: float) -> np.ndarray:
    """The highest value of y within ±tol of each centre (0 when no point is there)."""
    c = centres.to_numpy(dtype=float)
    first = np.searchsorted(x, c - tol, side="left")
    last = np.searchsorted(x, c + tol, side="right")
    return np.array([y[a:b].max() if b > a else 0.0 for a, b in zip(first, last, strict=True)])


# --- plot ---------------------------------------------------------------------------------


def plot_pattern(
    pattern: PowderPattern,
    ax=None,
    measured: MeasuredPattern | Agreement | None = None,
    path: str | Path | None = None,
    *,
    title: str | None = None,
):
    """Plot the calculated pattern with reflection ticks; with ``measured``, the measured
    pattern, the scaled calculated one and their difference (a Rietveld-style plot),
    with unexplained measured peaks marked ▼ and missing calculated peaks marked ×.

    ``measured`` is a :class:`~coordgeo.io.xy.MeasuredPattern` (scaled here with
    :func:`agreement`) or an :class:`Agreement` already computed. Draws on ``ax`` when
    given, else on a new headless :class:`matplotlib.figure.Figure` (no pyplot, works
    without a display); saves to ``path`` when given (the suffix picks PNG, SVG or PDF).
    Returns the Figure (the Axes is ``ax`` or ``fig.axes[0]``).
    """
    if ax is None:
        from coordgeo.figures import new_figure

        fig = new_figure(7.0, 4.0)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    fit = agreement(pattern, measured) if isinstance(measured, MeasuredPattern) else measured
    ticks = pattern.peaks.loc[pattern.peaks["intensity"] >= 0.5, "two_theta"].to_numpy()
    xlim = pattern.two_theta_range
    if fit is None:
        ax.plot(pattern.two_theta, pattern.intensity, "-", color="C3", lw=0.9, label="calculated")
        tick_y = (-9.0, -3.0)
        ax.set_ylim(-12.0, 105.0)
        ax.set_yticks([0, 25, 50, 75, 100])
        ax.set_ylabel("relative intensity")
    else:
        top = float(max(fit.observed.max(), fit.calculated.max()))
        low = float(min(fit.observed.min(), fit.calculated.min(), 0.0))
        span = top - low
        diff = fit.difference
        offset = low - 0.12 * span - float(diff.max())
        tick_y = (low - 0.10 * span, low - 0.04 * span)
        ax.plot(fit.two_theta, fit.observed, "-", color="k", lw=0.7, label="measured")
        ax.plot(fit.two_theta, fit.calculated, "-", color="C3", lw=0.8, label="calculated")
        ax.plot(fit.two_theta, diff + offset, "-", color="C0", lw=0.6, label="difference")
        for table, marker, label in (
            (fit.unexplained, "v", "unexplained"),
            (fit.missing, "x", "missing"),
        ):
            if len(table):
                where = table["two_theta"].to_numpy()
                y = np.interp(where, fit.two_theta, np.maximum(fit.observed, fit.calculated))
                ax.plot(where, y + 0.04 * span, marker, color="C1", ms=5, label=label)
        ax.set_ylim(offset + float(diff.min()) - 0.03 * span, top + 0.08 * span)
        ax.set_yticks([])
        ax.set_ylabel("intensity")
        ticks = ticks + fit.zero_shift
        xlim = (float(fit.two_theta[0]), float(fit.two_theta[-1]))
        ax.text(
            0.99,
            0.97,
            f"Rwp = {100 * fit.rwp:.1f} %, zero shift {fit.zero_shift:+.3f}°",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=8,
        )
    ticks = ticks[(ticks >= xlim[0]) & (ticks <= xlim[1])]
    ax.vlines(ticks, *tick_y, color="C2", lw=0.6, label="reflections")
    ax.set_xlim(*xlim)
    lam = f"{pattern.radiation.wavelength:.6f}".rstrip("0")
    ax.set_xlabel(f"2θ / ° ({pattern.radiation.name}, λ = {lam} Å)")
    ax.legend(fontsize=7, loc="upper left", frameon=False)
    if title is None:
        title = Path(pattern.source).name if pattern.source else ""
    if title:
        ax.set_title(title, fontsize=8)
    if path is not None:
        from coordgeo.figures import save_figure

        save_figure(fig, path)
    return fig
