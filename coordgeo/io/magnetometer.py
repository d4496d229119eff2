r"""Quantum Design magnetometer files (``.dat``) → molar susceptibility χM and χMT.

Instruments and layouts
-----------------------
All Quantum Design MultiVu data files share one layout: a ``[Header]`` section of
comma-separated ``KEY,…`` lines (``TITLE``, ``BYAPP``, ``FILEOPENTIME``, ``INFO`` …)
and a ``[Data]`` section whose first line names the columns, then one comma-separated
row per measurement, with empty fields where a column does not apply::

    [Header]
    ; MPMS3 Data File (default extension .dat)
    BYAPP,SQUID VSM,1.0
    INFO,12.30,SAMPLE_MASS                  <- MPMS3, PPMS VSM/ACMS: INFO,value,KEY
    INFO,843.2,SAMPLE_MOLECULAR_WEIGHT
    [Data]
    Comment,Time Stamp (sec),Temperature (K),Magnetic Field (Oe),Moment (emu),M. Std. Err. (emu),…
    ,3764745666.8,300.01,5000.0,0.0231,2.1E-6,…

=========== ================================= ============================================
instrument  recognised by                     moment column (first one with a value)
=========== ================================= ============================================
MPMS3       ``MPMS3`` in the header           ``Moment (emu)`` (VSM mode), else
                                              ``DC Moment Free Ctr (emu)`` (DC scan)
PPMS VSM    ``VSM`` data file / ``BYAPP,VSM`` ``Moment (emu)``
PPMS ACMS   ``ACMS`` in the header            ``DC Moment (emu)``
MPMS-XL     ``Long Moment (emu)`` column,     ``Long Moment (emu)``
            ``INFO, WEIGHT, 48.4`` style info
=========== ================================= ============================================

The MPMS-XL (MultiVu for MPMS/MPMS-XL) writes its INFO lines the other way round,
``INFO, KEY, value``; both orders are read. Temperature is ``Temperature (K)``, field
``Magnetic Field (Oe)`` (MPMS-XL: ``Field (Oe)``), time ``Time Stamp (sec)`` (``Time``).

From moment to χMT (CGS-emu units)
----------------------------------
With the sample mass m (mg; MultiVu's SAMPLE_MASS / WEIGHT, or given), its molar mass
M (g mol⁻¹; SAMPLE_MOLECULAR_WEIGHT, a formula, a CIF's ``_chemical_formula_weight``,
or given) and the field H (Oe):

.. math::

    n = \frac{m \cdot 10^{-3}}{M}, \qquad
    χ_M = \frac{μ - μ_\mathrm{holder}}{H\,n} - χ_\mathrm{dia}, \qquad
    χ_M T = χ_M \cdot T

in cm³ mol⁻¹ (= emu Oe⁻¹ mol⁻¹) and cm³ K mol⁻¹, μ the moment in emu. The holder
moment μ_holder = (χ_holder + m_eicosane·χ_g,eicosane)·H takes a measured holder
susceptibility χ_holder (emu Oe⁻¹) and/or the mass of eicosane used to fix the powder,
with χ_M(eicosane, C20H42) = −243.06 × 10⁻⁶ cm³ mol⁻¹ from Pascal's constants
(20 × −6.00 + 42 × −2.93; the value MagnetoPy uses) and M = 282.55 g mol⁻¹. The
diamagnetic correction χ_dia of the sample itself (negative) is

- a given number (cm³ mol⁻¹), measured or tabulated;
- ``'pascal'``: the sum of Pascal's atomic constants over the formula
  (:func:`pascal_chi_dia`; G. A. Bain, J. F. Berry, *J. Chem. Educ.* 2008, **85**,
  532–536, Table 1; metal ions at their M(II)/M(III) values, constitutive corrections
  for bonds not included, typically a few per cent of the total);
- ``'approx'``: the rule of thumb χ_dia ≈ −M/2 × 10⁻⁶ cm³ mol⁻¹ (Bain & Berry 2008),
  the default when the molar mass is known and nothing else is said — the notes say
  which correction was applied.

Heating and cooling sweeps are told apart by the temperature trend in measurement
order (:func:`coordgeo.io.magdata.sweep_labels`). Rows without temperature, field or
moment (e.g. centring scans) are skipped, and the notes count them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from coordgeo.elements import FORMULA_TERM
from coordgeo.errors import InputError
from coordgeo.io.magdata import (
    negative_chi_mt,
    parse_table_rows,
    read_chimt,
    read_table,
    read_text,
    sweep_labels,
)

#: Pascal's constants of atoms, 10⁻⁶ cm³ mol⁻¹ (Bain & Berry, J. Chem. Educ. 2008, 85, 532,
#: Table 1; open-chain values). Metals at the ion values of their common SCO oxidation
#: state (Fe(II), Co(II), Ni(II), Mn(II), Cu(II), Zn(II), Cr(III)); other charges differ by
#: ≤ 3 × 10⁻⁶, far below the uncertainty of the constitutive corrections left out.
PASCAL_CONSTANTS: dict[str, float] = {
    "H": -2.93,
    "C": -6.00,
    "N": -5.57,
    "O": -4.6,
    "F": -6.3,
    "Cl": -20.1,
    "Br": -30.6,
    "I": -44.6,
    "S": -15.0,
    "Se": -23.0,
    "P": -26.3,
    "B": -7.0,
    "Si": -13.0,
    "Li": -1.0,
    "Na": -6.8,
    "K": -14.9,
    "Rb": -22.5,
    "Cs": -35.0,
    "Mg": -5.0,
    "Ca": -10.4,
    "Cr": -11.0,
    "Mn": -14.0,
    "Fe": -13.0,
    "Co": -12.0,
    "Ni": -12.0,
    "Cu": -11.0,
    "Zn": -15.0,
    "Ag": -28.0,
    "Cd": -24.0,
}

#: Eicosane C20H42: χM from Pascal's constants (cm³ mol⁻¹) and molar mass (g mol⁻¹).
EICOSANE_CHI_M = -243.06e-6
EICOSANE_MOLAR_MASS = 282.55

#: Moment columns, in order of preference, with their su column.
MOMENT_COLUMNS = (
    ("Moment (emu)", "M. Std. Err. (emu)"),
    ("DC Moment Free Ctr (emu)", "DC Moment Err Free Ctr (emu)"),
    ("DC Moment Fixed Ctr (emu)", "DC Moment Err Fixed Ctr (emu)"),
    ("DC Moment (emu)", "DC Std. Err. (emu)"),
    ("Long Moment (emu)", None),
    ("Long Moment [w/o ABS] (emu)", None),
)
TEMPERATURE_COLUMNS = ("Temperature (K)", "Temperature", "Average Temp (K)")
FIELD_COLUMNS = ("Magnetic Field (Oe)", "Field (Oe)")
TIME_COLUMNS = ("Time Stamp (sec)", "Time")
_ZERO_FIELD_OE = 0.5  # |H| below this gives no susceptibility

# INFO keys written as the last field (MPMS3, PPMS): INFO,value,KEY
_TRAILING_KEY = re.compile(r"^(SAMPLE_[A-Z_]+|APPNAME|MOMENT_UNITS|COIL_SERIAL_NUMBER|[A-Z_]+_ID)$")


@dataclass(frozen=True)
class Sample:
    """What turns a moment into χM: the sample and the corrections (units in the names).

    ``chi_dia`` is a number (cm³ mol⁻¹, negative), ``'pascal'`` (from ``formula``),
    ``'approx'`` (−M/2 × 10⁻⁶) or None (``'approx'`` when the molar mass is known).
    Values left None are taken from the file's header where it has them.
    """

    mass_mg: float | None = None
    molar_mass: float | None = None
    formula: str | None = None
    chi_dia: float | str | None = None
    holder_chi_emu_oe: float = 0.0
    eicosane_mg: float = 0.0
    field_oe: float | None = None

    def __post_init__(self) -> None:
        for name in ("mass_mg", "molar_mass", "field_oe"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise InputError(f"{name.replace('_', ' ')} must be a positive number, got {value}")
        if not (math.isfinite(self.eicosane_mg) and self.eicosane_mg >= 0):
            raise InputError(f"eicosane mass must be ≥ 0 mg, got {self.eicosane_mg}")
        if not math.isfinite(self.holder_chi_emu_oe):
            raise InputError("holder susceptibility must be a finite number (emu/Oe)")
        if isinstance(self.chi_dia, str) and self.chi_dia not in ("pascal", "approx"):
            raise InputError(
                f"diamagnetic correction must be a number (cm³/mol), 'pascal' or 'approx', "
                f"got {self.chi_dia!r}"
            )
        if isinstance(self.chi_dia, float | int) and not (
            math.isfinite(self.chi_dia) and abs(self.chi_dia) < 0.1
        ):
            raise InputError(
                f"diamagnetic correction is in cm³/mol (e.g. -4.2e-4), got {self.chi_dia}"
            )


@dataclass(frozen=True, eq=False)
class QDFile:
    """A parsed Quantum Design ``.dat`` file: header information and the raw data table."""

    path: str
    instrument: str
    info: dict[str, str]
    header: tuple[str, ...]
    data: pd.DataFrame
    row_lines: np.ndarray  # file line (1-based) of each data row


# --------------------------------------------------------------------------- formulas


def parse_formula(formula: str) -> dict[str, float]:
    """``'C20 H42'`` or ``'C24H24FeN6O2'`` → ``{'C': 20, 'H': 42}`` (counts may be decimal)."""
    text = formula.replace(" ", "")
    tokens = FORMULA_TERM.findall(text)
    if not tokens or "".join(e + n for e, n in tokens) != text:
        raise InputError(
            f"cannot read the formula {formula!r}: write element symbols and counts, e.g. C20H42"
        )
    counts: dict[str, float] = {}
    for element, number in tokens:
        counts[element] = counts.get(element, 0.0) + (float(number) if number else 1.0)
    return counts


def formula_mass(formula: str) -> float:
    """Molar mass (g mol⁻¹) of a formula from gemmi's standard atomic weights."""
    import gemmi

    total = 0.0
    for element, count in parse_formula(formula).items():
        known = gemmi.Element(element)
        if known.name != element or not known.weight > 0:
            raise InputError(f"unknown element {element!r} in formula {formula!r}")
        total += count * known.weight
    return total


def parse_chi_dia(text: str | None) -> float | str | None:
    """The diamagnetic correction as written on the command line (``--chi-dia``): a
    number in cm³ mol⁻¹, ``'pascal'`` or ``'approx'`` (any case); None stays None. The
    value is checked further by :class:`Sample`."""
    if text is None:
        return None
    word = text.strip().lower()
    if word in ("pascal", "approx"):
        return word
    try:
        return float(word)
    except ValueError:
        raise InputError(
            f"--chi-dia takes a number (cm³/mol), 'pascal' or 'approx', got {text!r}"
        ) from None


def pascal_chi_dia(formula: str) -> float:
    """Diamagnetic χM (cm³ mol⁻¹) as the sum of Pascal's constants over the formula.

    χ_dia = Σ n_i χ_i with χ_i from :data:`PASCAL_CONSTANTS` (Bain & Berry 2008,
    Table 1), without constitutive (bond) corrections. E.g. eicosane C20H42:
    20 × −6.00 + 42 × −2.93 = −243.06 × 10⁻⁶ cm³ mol⁻¹.
    """
    total = 0.0
    for element, count in parse_formula(formula).items():
        if element not in PASCAL_CONSTANTS:
            raise InputError(
                f"no Pascal constant for {element} (formula {formula!r}); give the diamagnetic "
                "correction as a number or use the −M/2 × 10⁻⁶ approximation"
            )
        total += count * PASCAL_CONSTANTS[element]
    return total * 1e-6


def approximate_chi_dia(molar_mass: float) -> float:
    """χ_dia ≈ −(M/2) × 10⁻⁶ cm³ mol⁻¹ (Bain & Berry 2008), M in g mol⁻¹."""
    return -0.5e-6 * molar_mass


def sample_from_cif(path: str | Path) -> tuple[float | None, str | None]:
    """(``_chemical_formula_weight``, ``_chemical_formula_sum``) of the first block having them.

    The molar mass is per formula unit as the CIF gives it; when that unit holds several
    switching centres, χMT is per formula unit too.
    """
    import gemmi

    where = str(path)
    try:
        doc = gemmi.cif.read(where)
    except (OSError, ValueError, RuntimeError) as exc:
        raise InputError(f"cannot read CIF: {exc}", path=where) from None
    for block in doc:
        weight = block.find_value("_chemical_formula_weight")
        formula = block.find_value("_chemical_formula_sum")
        mass = None
        if weight and not gemmi.cif.is_null(weight):
            try:
                mass = float(gemmi.cif.as_string(weight).split("(")[0])
            except ValueError:
                raise InputError(
                    f"_chemical_formula_weight is not a number: {weight!r}", path=where
                ) from None
        text = gemmi.cif.as_string(formula) if formula and not gemmi.cif.is_null(formula) else None
        if mass is not None or text:
            return mass, text
    raise InputError("no _chemical_formula_weight or _chemical_formula_sum in the CIF", path=where)


# --------------------------------------------------------------------------- reading


def is_qd_file(path: str | Path) -> bool:
    """True when the file starts (after blank lines) with ``[Header]``."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    text = head.decode("latin-1").lstrip("\ufeff\xef\xbb\xbf \t\r\n")
    return text.startswith("[Header]")


def _info_entry(fields: list[str]) -> tuple[str, str] | None:
    """(KEY, value) of an INFO line in either order (``INFO,value,KEY`` or ``INFO, KEY, value``)."""
    parts = [f.strip() for f in fields[1:]]
    if len(parts) < 2:
        return None
    if _TRAILING_KEY.match(parts[-1]):
        return parts[-1], ",".join(parts[:-1]).strip()
    if re.fullmatch(r"[A-Z][A-Z ]*[A-Z]:?", parts[0]):
        return parts[0].rstrip(":"), ",".join(parts[1:]).strip()
    return parts[-1].upper(), ",".join(parts[:-1]).strip()


def _instrument(header: list[str], info: dict[str, str], columns: list[str]) -> str:
    text = "\n".join(header).upper()
    if "MPMS3" in text or "SQUID VSM" in text:
        return "MPMS3"
    if "ACMS" in text:
        return "PPMS-ACMS"
    if "VSM" in text:
        return "PPMS-VSM"
    if "Long Moment (emu)" in columns or "MPMS" in text:
        return "MPMS-XL"
    return "Quantum Design"


def read_qd(path: str | Path) -> QDFile:
    """Parse a Quantum Design ``.dat`` file (MPMS3, MPMS-XL, PPMS VSM/ACMS) without converting.

    Raises
    ------
    coordgeo.errors.InputError
        No ``[Header]`` or ``[Data]`` section, no column line, or a malformed row; the
        message names the file and line.
    """
    where = str(path)
    text = read_text(path, "magnetometer file")
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip()]
    if not starts or lines[starts[0]].strip() != "[Header]":
        raise InputError("not a Quantum Design .dat file (no [Header] line)", path=where, line=1)
    data_at = next((i for i, line in enumerate(lines) if line.strip() == "[Data]"), None)
    if data_at is None:
        raise InputError(
            "Quantum Design file without a [Data] section", path=where, line=len(lines)
        )
    header = [line.strip() for line in lines[starts[0] + 1 : data_at] if line.strip()]
    info: dict[str, str] = {}
    for line in header:
        fields = line.split(",")
        key = fields[0].strip().upper()
        if key == "INFO":
            entry = _info_entry(fields)
            if entry:
                info[entry[0].upper()] = entry[1]
        elif key in ("TITLE", "BYAPP") and len(fields) > 1:
            info[key] = ",".join(fields[1:]).strip()
    column_at = next((i for i in range(data_at + 1, len(lines)) if lines[i].strip()), None)
    if column_at is None:
        raise InputError("[Data] section without a column line", path=where, line=data_at + 1)
    names = [n.strip() for n in lines[column_at].split(",")]
    while names and not names[-1]:
        names.pop()
    if len(names) < 3:
        raise InputError(
            f"[Data] column line names {len(names)} columns: {lines[column_at][:60]!r}",
            path=where,
            line=column_at + 1,
        )
    body_lines = lines[column_at + 1 :]
    data = parse_table_rows("\n".join(body_lines), ",", names, where, column_at + 2)
    row_lines = column_at + 2 + np.flatnonzero([bool(line.strip()) for line in body_lines])
    if data.empty:
        raise InputError("[Data] section has no rows", path=where, line=column_at + 1)
    instrument = _instrument(header, info, names)
    return QDFile(where, instrument, info, tuple(header), data, row_lines[: len(data)])


def _first_column(df: pd.DataFrame, candidates: tuple[str, ...]) -> str | None:
    return next((c for c in candidates if c in df.columns), None)


def _info_number(info: dict[str, str], *keys: str) -> float | None:
    for key in keys:
        text = info.get(key, "").strip()
        try:
            value = float(text)
        except ValueError:
            continue
        if math.isfinite(value) and value > 0:
            return value
    return None


def resolve_sample(qd: QDFile, sample: Sample) -> tuple[Sample, float, str]:
    """Fill mass and molar mass from the file; return (sample, χ_dia, how χ_dia was chosen)."""
    mass = sample.mass_mg or _info_number(qd.info, "SAMPLE_MASS", "WEIGHT")
    molar = sample.molar_mass
    if molar is None and sample.formula:
        molar = formula_mass(sample.formula)
    molar = molar or _info_number(qd.info, "SAMPLE_MOLECULAR_WEIGHT")
    if mass is None:
        raise InputError(
            "sample mass unknown: the header has no SAMPLE_MASS (or WEIGHT); give it in mg",
            path=qd.path,
        )
    if molar is None:
        raise InputError(
            "molar mass unknown: the header has no SAMPLE_MOLECULAR_WEIGHT; give it in g/mol, "
            "a formula, or a CIF with _chemical_formula_weight",
            path=qd.path,
        )
    chi_dia, how = _chi_dia(sample, molar)
    return replace(sample, mass_mg=mass, molar_mass=molar), chi_dia, how


def _chi_dia(sample: Sample, molar_mass: float) -> tuple[float, str]:
    if isinstance(sample.chi_dia, float | int):
        return float(sample.chi_dia), f"χdia = {sample.chi_dia:.4g} cm³/mol (given)"
    if sample.chi_dia == "pascal":
        if not sample.formula:
            raise InputError("Pascal's constants need the formula (or a CIF)")
        value = pascal_chi_dia(sample.formula)
        return value, f"χdia = {value:.4g} cm³/mol from Pascal's constants of {sample.formula}"
    value = approximate_chi_dia(molar_mass)
    return value, f"χdia = −M/2 × 10⁻⁶ = {value:.4g} cm³/mol (approximation, M = {molar_mass:g})"


def read_magnetometer(
    path: str | Path,
    sample: Sample | None = None,
    *,
    branch: str | None = None,
    moment_column: str | None = None,
) -> pd.DataFrame:
    """Read a Quantum Design ``.dat`` file into χMT(T) (formulas in the module docstring).

    Parameters
    ----------
    path
        MPMS3, MPMS-XL or PPMS VSM/ACMS data file.
    sample
        Mass, molar mass, formula and corrections (:class:`Sample`); unset values come
        from the file's header.
    branch
        Force every row to ``'cooling'`` or ``'heating'``; default: from the temperature
        trend in measurement order.
    moment_column
        Use this column as the moment (emu) instead of the instrument's default.

    Returns
    -------
    pandas.DataFrame
        ``temperature_K, chi_mt, branch`` (the columns of
        :func:`coordgeo.io.magdata.read_chimt`), then ``time_s, field_Oe, moment_emu,
        moment_su_emu, chi_m, chi_mt_su, line``. ``attrs``: ``path``, ``instrument``,
        ``mass_mg``, ``molar_mass``, ``chi_dia``, ``moment_column`` and ``notes`` (the
        corrections applied and the rows skipped, in words).
    """
    qd = read_qd(path)
    sample, chi_dia, how = resolve_sample(qd, sample or Sample())
    df = qd.data
    notes = [f"{qd.instrument} file; {how}"]
    t_col = _first_column(df, TEMPERATURE_COLUMNS)
    if t_col is None:
        raise InputError("no 'Temperature (K)' column in [Data]", path=qd.path)
    moment, moment_su, used = _moment(df, qd.path, moment_column)
    h_col = _first_column(df, FIELD_COLUMNS)
    if h_col is None and sample.field_oe is None:
        raise InputError("no 'Magnetic Field (Oe)' column; give the field in Oe", path=qd.path)
    field = (
        np.full(len(df), float(sample.field_oe))
        if sample.field_oe is not None
        else pd.to_numeric(df[h_col], errors="coerce").to_numpy(dtype=float)
    )
    temperature = pd.to_numeric(df[t_col], errors="coerce").to_numpy(dtype=float)
    time_col = _first_column(df, TIME_COLUMNS)
    time = (
        pd.to_numeric(df[time_col], errors="coerce").to_numpy(dtype=float)
        if time_col
        else np.arange(len(df), dtype=float)
    )
    usable = np.isfinite(temperature) & np.isfinite(field) & np.isfinite(moment)
    if usable.sum() < len(df):
        notes.append(f"{len(df) - int(usable.sum())} rows without temperature, field or moment")
    bad_t = usable & ~(temperature > 0)
    if bad_t.any():
        i = int(np.argmax(bad_t))
        raise InputError(
            f"temperature must be positive (kelvin), got {temperature[i]:g}",
            path=qd.path,
            line=int(qd.row_lines[i]),
        )
    zero = usable & (np.abs(field) < _ZERO_FIELD_OE)
    if zero.any():
        notes.append(f"{int(zero.sum())} rows at zero field (χ = M/H undefined) skipped")
    keep = usable & ~zero
    if not keep.any():
        raise InputError("no row has a temperature, a non-zero field and a moment", path=qd.path)
    out = convert_moment(
        temperature[keep],
        field[keep],
        moment[keep],
        sample,
        chi_dia=chi_dia,
        moment_su=moment_su[keep],
    )
    negative = negative_chi_mt(out["chi_mt"], qd.row_lines[keep])
    if negative:
        notes.append(negative)
    if sample.holder_chi_emu_oe or sample.eicosane_mg:
        notes.append(
            f"holder correction: χ_holder = {sample.holder_chi_emu_oe:.4g} emu/Oe, eicosane "
            f"{sample.eicosane_mg:g} mg"
        )
    labels = (
        np.full(int(keep.sum()), _forced(branch, qd.path), dtype=object)
        if branch
        else sweep_labels(temperature[keep])
    )
    frame = pd.DataFrame(
        {
            "temperature_K": temperature[keep],
            "chi_mt": out["chi_mt"],
            "branch": labels,
            "time_s": time[keep],
            "field_Oe": field[keep],
            "moment_emu": moment[keep],
            "moment_su_emu": moment_su[keep],
            "chi_m": out["chi_m"],
            "chi_mt_su": out["chi_mt_su"],
            "line": qd.row_lines[keep],
        }
    )
    frame.attrs.update(
        path=qd.path,
        instrument=qd.instrument,
        mass_mg=sample.mass_mg,
        molar_mass=sample.molar_mass,
        chi_dia=chi_dia,
        moment_column=used,
        notes=notes,
    )
    return frame


def _forced(branch: str, where: str) -> str:
    from coordgeo.io.magdata import sweep_direction

    value = sweep_direction(branch)
    if value is None:
        raise InputError(f"unknown sweep direction {branch!r}; use cooling or heating", path=where)
    return value


def _moment(df: pd.DataFrame, where: str, column: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    """Moment and its su (emu) per row: the first preferred column with a value in that row."""
    if column is not None:
        if column not in df.columns:
            raise InputError(f"no column {column!r} in [Data]", path=where)
        values = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float)
        return values, np.full(values.size, np.nan), column
    moment = np.full(len(df), np.nan)
    su = np.full(len(df), np.nan)
    used = []
    for name, su_name in MOMENT_COLUMNS:
        if name not in df.columns:
            continue
        values = pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=float)
        fill = np.isnan(moment) & np.isfinite(values)
        if fill.any():
            used.append(name)
            moment[fill] = values[fill]
            if su_name in df.columns:
                su[fill] = pd.to_numeric(df[su_name], errors="coerce").to_numpy(dtype=float)[fill]
    if not used:
        names = ", ".join(n for n, _ in MOMENT_COLUMNS[:5])
        raise InputError(f"no moment column with values (looked for {names})", path=where)
    return moment, su, " / ".join(used)


def convert_moment(
    temperature: np.ndarray,
    field_oe: np.ndarray,
    moment_emu: np.ndarray,
    sample: Sample,
    *,
    chi_dia: float,
    moment_su: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """χM, χMT and su(χMT) from moments (formulas in the module docstring).

    ``sample`` must carry the mass (mg) and molar mass (g mol⁻¹); ``chi_dia`` in cm³ mol⁻¹.
    """
    if sample.mass_mg is None or sample.molar_mass is None:
        raise InputError("the conversion needs the sample mass and molar mass")
    moles = sample.mass_mg * 1e-3 / sample.molar_mass
    eicosane = sample.eicosane_mg * 1e-3 * EICOSANE_CHI_M / EICOSANE_MOLAR_MASS
    holder = (sample.holder_chi_emu_oe + eicosane) * field_oe
    chi_m = (moment_emu - holder) / (field_oe * moles) - chi_dia
    su = np.full(np.shape(moment_emu), np.nan) if moment_su is None else moment_su
    return {
        "chi_m": chi_m,
        "chi_mt": chi_m * temperature,
        "chi_mt_su": np.abs(su / (field_oe * moles)) * temperature,
    }


def read_susceptibility(
    path: str | Path, sample: Sample | None = None, *, branch: str | None = None
) -> pd.DataFrame:
    """χMT(T) from a Quantum Design ``.dat`` file or a plain two/three-column χMT file."""
    if is_qd_file(path):
        return read_magnetometer(path, sample, branch=branch)
    return read_chimt(path, branch=branch)


def read_columns(path: str | Path) -> pd.DataFrame:
    """All columns of a Quantum Design ``.dat`` file's [Data], or of a plain text table
    (:func:`coordgeo.io.magdata.read_table`); ``attrs['path']`` and, for QD files,
    ``attrs['instrument']``."""
    if is_qd_file(path):
        qd = read_qd(path)
        df = qd.data.copy()
        df.attrs.update(path=qd.path, instrument=qd.instrument)
        return df
    return read_table(path)
