"""Limits on input and work, and the validation of numeric options: one place for both.

Every bound that protects a run from hostile or mistaken input (a 1 GB file, a
10⁶-row χMT file, a 10⁵ Å cell, ``--tolerance 30``, ``--radiation 0.01``) is a
:class:`Limit` here, with a default, an environment variable that raises it and a
one-line message that names both. Exceeding a limit raises
:class:`~coordgeo.errors.InputError` (exit status 2 on the command line) *before*
the work starts. The table of limits is in ``docs/limits.md``.

This module is at the bottom of the package (it imports only :mod:`coordgeo.errors`)
so that readers, analyses and the command line validate options the same way.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

from coordgeo.errors import InputError

# --- analysis defaults ---------------------------------------------------------------------
# Defined here, at the bottom of the package, so that the analyses that use them and the
# command line that shows them in --help (without importing numpy or pandas) read one value.
# docs/coordination.md, docs/hbonds.md and docs/contacts.md state each with its source.

#: Bonds: d ≤ r_cov(A) + r_cov(B) + DEFAULT_TOLERANCE (Å; Cordero et al. 2008 radii).
DEFAULT_TOLERANCE = 0.45
#: H-bonds: Å subtracted from r_vdW(H) + r_vdW(A) for the longest H···A (0: the vdW sum).
DEFAULT_HA_MARGIN = 0.0
#: H-bonds: smallest D–H···A angle, degrees (PLATON's default).
DEFAULT_MIN_ANGLE = 100.0
#: π–π: largest Cg···Cg (Å).
DEFAULT_MAX_CG_CG = 4.0
#: π–π: largest interplanar angle α (degrees).
DEFAULT_MAX_ALPHA = 30.0
#: π–π: largest β and γ (degrees), PLATON's limit.
DEFAULT_MAX_BETA = 60.0
#: X–H···π: largest H···Cg (Å), PLATON's.
DEFAULT_MAX_H_CG = 3.0
#: X–H···π: largest angle γ between H–Cg and the ring normal (degrees), PLATON's.
DEFAULT_MAX_GAMMA = 30.0
#: X–H···π: smallest X–H···Cg angle (degrees).
DEFAULT_MIN_XH_CG_ANGLE = DEFAULT_MIN_ANGLE
#: D···A without H: Å subtracted from the vdW sum.
DEFAULT_DA_MARGIN = 0.0
#: Rings: largest distance (Å) of a ring atom from the mean plane for a planar ring.
DEFAULT_PLANARITY = 0.10


@dataclass(frozen=True)
class Limit:
    """A bound on input size or work: its default, the variable that raises it, its unit."""

    name: str
    default: int
    env: str
    what: str  # what is counted, in the user's words ("bytes in one input file")

    def value(self, override: int | None = None) -> int:
        """The limit in force: ``override`` when given, else the environment, else the default."""
        if override is not None:
            return _positive_int(override, f"limit {self.name}")
        text = os.environ.get(self.env, "").strip()
        if not text:
            return self.default
        return _positive_int(text.replace("_", ""), f"environment variable {self.env}")

    def check(
        self,
        count: float,
        *,
        override: int | None = None,
        path: str | None = None,
        block: str | None = None,
        line: int | None = None,
        context: str = "",
    ) -> None:
        """Raise :class:`InputError` when ``count`` is over the limit (message names the remedy)."""
        limit = self.value(override)
        if math.isfinite(count) and count <= limit:  # nan and inf counts are over
            return
        shown = _count(count)
        where = f" ({context})" if context else ""
        raise InputError(
            f"{shown} {self.what}{where}: more than the limit of {_count(limit)}; if the input "
            f"is meant, raise the limit with the environment variable {self.env}=N",
            path=path,
            block=block,
            line=line,
        )


def _count(value: float) -> str:
    """A count for a message: ``38 109 638``; an estimate below 1000 keeps one decimal."""
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 1e12:
        return f"{value:.3g}"
    if abs(value) < 1000 and value != round(value):
        return f"{value:.1f}"
    return f"{round(value):,}".replace(",", " ")


def _positive_int(value: object, what: str) -> int:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a positive number, got {value!r}") from None
    if not (math.isfinite(number) and number >= 1):
        raise InputError(f"{what} must be a positive number, got {value!r}")
    return int(number)


#: Every limit, by name. Defaults are far above any real input: a CIF with an embedded
#: hkl file is ~30 MB, a SQUID run a few thousand points, a laboratory powder pattern
#: ~10⁴ points and a synchrotron one ~10⁵.
LIMITS: Mapping[str, Limit] = {
    limit.name: limit
    for limit in (
        Limit("bytes", 200_000_000, "COORDGEO_MAX_BYTES", "bytes in one input file"),
        Limit(
            "magnetic_rows",
            5_000_000,
            "COORDGEO_MAX_MAGNETIC_ROWS",
            "lines of a magnetic data file",
        ),
        Limit(
            "pattern_points", 200_000, "COORDGEO_MAX_PATTERN_POINTS", "lines of a powder pattern"
        ),
        Limit("table_lines", 20_000, "COORDGEO_MAX_TABLE_LINES", "lines of SI tables"),
        Limit("sites", 20_000, "COORDGEO_MAX_SITES", "atom sites in one data block"),
        Limit("cell_atoms", 1_000_000, "COORDGEO_MAX_CELL_ATOMS", "atoms in the unit cell"),
        Limit(
            "search_atoms",
            1_000_000,
            "COORDGEO_MAX_SEARCH_ATOMS",
            "atoms in the neighbour-search volume",
        ),
        Limit("search_cells", 1_000_000, "COORDGEO_MAX_SEARCH_CELLS", "neighbour-search cells"),
        Limit("reflections", 300_000, "COORDGEO_MAX_REFLECTIONS", "reflections"),
        Limit(
            "structure_factor_terms",
            60_000_000,
            "COORDGEO_MAX_STRUCTURE_FACTOR_TERMS",
            "structure-factor terms (reflections × atoms in the cell)",
        ),
        Limit("profile_points", 2_000_000, "COORDGEO_MAX_PROFILE_POINTS", "profile points"),
        Limit("workers", 256, "COORDGEO_MAX_WORKERS", "worker processes"),
        Limit("geom_rows", 200_000, "COORDGEO_MAX_GEOM_ROWS", "rows of one _geom_* loop"),
    )
}


def limit(name: str, override: int | None = None) -> int:
    """The value in force of the limit ``name`` (see :data:`LIMITS`)."""
    return LIMITS[name].value(override)


def check_limit(name: str, count: float, **where) -> None:
    """Raise :class:`InputError` when ``count`` exceeds the limit ``name``.

    ``where`` takes ``override``, ``path``, ``block``, ``line`` and ``context`` (see
    :meth:`Limit.check`).
    """
    LIMITS[name].check(count, **where)


# --- option values ------------------------------------------------------------------------

#: Allowed bond tolerance (Å added to the sum of covalent radii). Below −1 Å not even a
#: short M–L bond of a low-spin ion is found; above 1.5 Å every non-bonded contact of a
#: molecular crystal (≈ r_vdW sums) becomes a "bond" and the neighbour search grows
#: with the cube of the radius.
TOLERANCE_RANGE = (-1.0, 1.5)

#: Allowed X-ray wavelengths, Å: from hard synchrotron radiation to Cr Kα and beyond.
WAVELENGTH_RANGE = (0.1, 5.0)


def _finite(value: object, option: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{option} {value!r} is not a number") from None
    if not math.isfinite(number):
        raise InputError(f"{option} {value!r} is not a finite number")
    return number


def validate_tolerance(value: object, option: str = "--tolerance") -> float:
    """The bond tolerance as a float, or :class:`InputError` outside :data:`TOLERANCE_RANGE`.

    The bond criterion is d ≤ r_cov(A) + r_cov(B) + tolerance (Cordero et al., Dalton
    Trans. 2008, 2832); see :mod:`coordgeo.coordination`.
    """
    number = _finite(value, option)
    lo, hi = TOLERANCE_RANGE
    if not lo <= number <= hi:
        raise InputError(
            f"{option} {number:g} Å is outside the allowed {lo:g} … {hi:g} Å "
            "(added to the sum of covalent radii; the default is 0.45)"
        )
    return number


def validate_in_range(value: object, option: str, lo: float, hi: float, unit: str = "") -> float:
    """A finite number from ``lo`` to ``hi``, or :class:`InputError` naming ``option``
    (``nan`` and ``inf`` are refused at every door, not only on the command line)."""
    number = _finite(value, option)
    if not lo <= number <= hi:
        raise InputError(f"{option} {number:g}{unit} is outside {lo:g} … {hi:g}{unit}")
    return number


def validate_positive(value: object, option: str) -> float:
    """A finite number above 0 (a time in seconds, a size in MB), or :class:`InputError`:
    ``nan``, ``inf``, 0 and negative values are refused."""
    number = _finite(value, option)
    if not number > 0:
        raise InputError(f"{option} {number:g} must be more than 0")
    return number


def validate_count(value: object, option: str, limit_name: str | None = None) -> int:
    """A whole number ≥ 1 (worker processes, files per part, bytes), or :class:`InputError`;
    with ``limit_name``, also at most that :data:`LIMITS` entry."""
    number = validate_positive(value, option)
    if number != int(number) or number < 1:
        raise InputError(f"{option} {number:g} must be a whole number of at least 1")
    if limit_name is not None:
        check_limit(limit_name, number, context=option)
    return int(number)


def validate_wavelength(value: object, option: str = "--radiation") -> float:
    """An X-ray wavelength in Å within :data:`WAVELENGTH_RANGE`, or :class:`InputError`."""
    number = _finite(value, option)
    lo, hi = WAVELENGTH_RANGE
    if not lo <= number <= hi:
        raise InputError(
            f"{option}: wavelength {number:g} Å is not an X-ray wavelength ({lo:g}–{hi:g} Å)"
        )
    return number


def check_profile_points(two_theta_range: tuple[float, float], step: float) -> None:
    """Bound the number of points of a calculated profile, (to − from)/step."""
    lo, hi = two_theta_range
    check_limit(
        "profile_points", (hi - lo) / step, context=f"2θ {lo:g}–{hi:g}° in steps of {step:g}°"
    )


def expected_reflections(cell_volume: float, d_min: float, d_max: float = math.inf) -> float:
    """Number of reciprocal-lattice points with d_min ≤ d ≤ d_max, from the sphere volume.

    N ≈ (4π/3)(1/d_min³ − 1/d_max³)·V: the reciprocal lattice has one point per 1/V of
    reciprocal space. Friedel pairs and symmetry reduce what is calculated, but the
    enumeration and the per-reflection arrays scale with this number.
    """
    inner = 0.0 if not math.isfinite(d_max) else 1.0 / d_max**3
    return 4.0 * math.pi / 3.0 * (1.0 / d_min**3 - inner) * cell_volume


def check_reflections(
    cell_volume: float,
    d_min: float,
    d_max: float = math.inf,
    laue_order: int = 2,
    cell_atoms: int = 0,
    **where,
) -> None:
    """Bound the reflections of a powder pattern: N/|Laue| of :func:`expected_reflections`.

    ``laue_order`` is the order of the Laue group (the point group with the inversion):
    one reflection per Laue family is enumerated and gets its structure factor, a sum
    over the ``cell_atoms`` atoms of the cell, so their product is bounded too (limit
    ``structure_factor_terms``; 5·10⁷ terms take ~15 s).
    """
    count = expected_reflections(cell_volume, d_min, d_max) / max(laue_order, 1)
    context = f"d ≥ {d_min:.3g} Å in a cell of {cell_volume:.4g} Å³"
    check_limit("reflections", count, context=context, **where)
    if cell_atoms > 0:
        check_limit(
            "structure_factor_terms",
            count * cell_atoms,
            context=f"{_count(count)} reflections × {cell_atoms} atoms",
            **where,
        )


def check_work_bounds(structure, radius: float, centres: int | None = None) -> None:
    """Refuse a neighbour search whose work would not fit in memory or time.

    A search for every atom within ``radius`` Å of each site first lists the atoms of
    the unit cell (sites × operators, each compared with the images before it), then
    visits, for each centre, the atoms of the cell list within ``radius``. The work is
    bounded by

    * atoms in the unit cell, N_cell = sites × operators (limit ``cell_atoms``);
    * atoms in the search volume, N_centres × (N_cell / V) × (4π/3)(radius + 1 Å)³
      (limit ``search_atoms``; N_centres = ``centres``, default every site): each is a
      row of the result, found among the lattice translations the radius reaches.

    The cell list itself is kept small by :func:`search_grid_spacing`. ``structure``
    needs ``cell.volume``, ``len()`` and ``symops`` (a :class:`~coordgeo.model.Structure`);
    the radius must be finite and not negative.
    """
    where = {"path": getattr(structure, "path", None), "block": getattr(structure, "block", None)}
    if not (math.isfinite(radius) and radius >= 0):
        raise InputError(f"neighbour-search radius {radius!r} Å is not a finite distance", **where)
    volume = float(structure.cell.volume)
    if not (math.isfinite(volume) and volume > 0):
        raise InputError(f"the cell volume {volume!r} Å³ is not a finite positive number", **where)
    n_ops = max(len(structure.symops), 1)
    atoms_in_cell = len(structure) * n_ops
    check_limit(
        "cell_atoms", atoms_in_cell, context=f"{len(structure)} sites × {n_ops} operators", **where
    )
    density = atoms_in_cell / volume
    # (r + 1)³ overflows past r ≈ 5·10¹⁰²; such a sphere holds every atom there is
    cube = (radius + 1.0) ** 3 if radius < 1e100 else math.inf
    per_centre = density * 4.0 * math.pi / 3.0 * cube
    n_centres = len(structure) if centres is None else centres
    check_limit(
        "search_atoms",
        n_centres * per_centre,
        context=f"{n_centres} sites searched to {radius:g} Å in {volume:.4g} Å³",
        **where,
    )


def search_grid_spacing(volume: float, radius: float) -> float:
    """Spacing of the neighbour-search cell list: at least ``radius`` and 4 Å, and coarse
    enough that V/spacing³ stays within the ``search_cells`` limit (a 10⁴ Å cell would
    otherwise need 10¹⁰ cells of 4 Å). A coarser list finds the same neighbours."""
    return max(radius, 4.0, (volume / limit("search_cells")) ** (1.0 / 3.0))
