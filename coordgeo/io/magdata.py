"""Reading χMT(T) curves: temperature (K) and χMT (cm³ K mol⁻¹), optionally a sweep direction.

File format
-----------
One measurement per line, two or three columns separated by commas, semicolons,
tabs or spaces::

    # [Fe(bztpen)…] 1, 2 K/min        <- comment lines start with '#'
    T (K), chiMT (cm3 K/mol), sweep  <- one optional header line
    350.0, 3.512, cooling
    348.0, 3.509, cooling
    …
    50.0, 0.104, heating

1. temperature in kelvin (> 0);
2. χMT, the molar susceptibility times temperature, in cm³ K mol⁻¹. This is the
   same number as emu K mol⁻¹ (CGS-emu), so headers such as ``emu K/mol`` need no
   conversion. A header giving SI units (``m3 K mol-1``) is converted with
   χ(cm³) = χ(m³)/(4π × 10⁻⁶). Plain χM (cm³ mol⁻¹, not multiplied by T) is *not*
   converted: it is recognised from a header such as ``chi_M (emu/mol)`` or from
   values that fall roughly as 1/T, and a :class:`ChiMWarning` says to multiply by T;
3. optional: the sweep direction of that point, ``cooling``/``heating``
   (also ``cool``/``heat``, ``down``/``up``, ``c``/``h``, ``d``/``u``, ``↓``/``↑``,
   ``warming``, …), which makes two branches for hysteresis loops. Without it the
   branch is ``unspecified``; separate cooling and heating files are read with
   ``read_chimt(path, branch="cooling")`` or :func:`read_chimt_sweeps`.

Anything else (text in a data row, one column, a temperature ≤ 0, an unknown sweep
word, a file without data) raises :class:`coordgeo.errors.InputError` naming the
file and the line.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from coordgeo.errors import InputError

COLUMNS = ("temperature_K", "chi_mt", "branch")
#: Data files larger than this are refused (a χMT or transport file of 10⁶ rows is ~30 MB).
MAX_FILE_BYTES = 300_000_000
BRANCHES = ("cooling", "heating", "unspecified")
CHI_MT_UNITS = "cm³ K mol⁻¹"

# SI → CGS-emu molar susceptibility: χ(SI, m³ mol⁻¹) = 4π × 10⁻⁶ χ(cgs, cm³ mol⁻¹).
SI_TO_CGS = 1.0 / (4.0 * math.pi * 1e-6)

_SWEEP_WORDS = {
    "cooling": "cooling",
    "cool": "cooling",
    "cooled": "cooling",
    "c": "cooling",
    "down": "cooling",
    "dn": "cooling",
    "d": "cooling",
    "decreasing": "cooling",
    "↓": "cooling",
    "heating": "heating",
    "heat": "heating",
    "heated": "heating",
    "h": "heating",
    "warming": "heating",
    "warm": "heating",
    "w": "heating",
    "up": "heating",
    "u": "heating",
    "increasing": "heating",
    "↑": "heating",
    "unspecified": "unspecified",
}

# A whitespace-separated header keeps "chiMT (cm3 K/mol)" together with its unit.
_WS_FIELD = re.compile(r"\S+(?:\s*[(\[][^)\]]*[)\]])?")


class ChiMWarning(UserWarning):
    """The second column looks like χM (cm³ mol⁻¹) rather than χMT (cm³ K mol⁻¹)."""


class NegativeChiMTWarning(ChiMWarning):
    """Some χMT values are below zero (see :func:`negative_chi_mt`)."""


def negative_chi_mt(chi_mt: ArrayLike, lines: ArrayLike | None = None) -> str | None:
    """The note for χMT values below zero, or None when there are none.

    χMT = χM·T of a paramagnet is positive (Curie law, χM = C/T with C > 0; Kahn,
    *Molecular Magnetism*, VCH 1993, ch. 1); a negative value is noise around zero in a
    diamagnetic (LS Fe(II)) sample, or a diamagnetic correction that is too large, or a
    lost sign. They are used as written; the note names how many and the first
    (``lines``: the file's line of each value, when known).
    """
    chi = np.asarray(chi_mt, dtype=float)
    below = np.flatnonzero(chi < 0)
    if not below.size:
        return None
    first = int(below[0])
    where = f" (first on line {int(np.asarray(lines)[first])})" if lines is not None else ""
    return (
        f"{below.size} of {chi.size} χMT values are below zero, down to {chi.min():.4g} "
        f"{CHI_MT_UNITS}{where}: used as written; a paramagnet's χMT is positive (check the "
        "diamagnetic correction or the sign)"
    )


def sweep_direction(word: str) -> str | None:
    """Normalise a sweep word (``'Cooling'``, ``'down'``, ``'h'``, ``'↑'`` …) or return None."""
    return _SWEEP_WORDS.get(word.strip().strip("\"'").lower())


def _split(line: str) -> list[str]:
    for sep in (",", ";", "\t"):
        if sep in line:
            return [field.strip() for field in line.split(sep)]
    return line.split()


def _float(text: str) -> float | None:
    try:
        value = float(text.strip().strip("\"'"))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _chi_header(line: str) -> tuple[str, float]:
    """Classify the χ column of a header: (``'chi_mt'|'chi_m'|'unknown'``, scale to cm³ K mol⁻¹)."""
    if any(sep in line for sep in (",", ";", "\t")):
        fields = _split(line)
    else:
        fields = _WS_FIELD.findall(line)
    if len(fields) < 2:
        return "unknown", 1.0
    field = fields[1].lower()
    cut = re.search(r"[(\[/]", field)  # "chiMT (cm3 K/mol)", "χMT [emu K/mol]", "χMT/cm3 K mol-1"
    name, unit = (field[: cut.start()], field[cut.start() :]) if cut else (field, "")
    squeeze = re.sub(r"[\s_*·.^{}\\$-]", "", name)
    unit_squeeze = re.sub(r"[\s_*·.^{}\\$]", "", unit)
    scale = SI_TO_CGS if re.search(r"(?<![c])m(3|³)", unit_squeeze) else 1.0
    # a 'K' among the units (cm3 K mol-1, emu K/mol) or a T in the name (chiMT, χT) means χMT
    has_k = re.search(r"(?<![a-z])k(?![a-z])", field.replace("kg", "")) is not None
    if has_k or re.search(r"(chi|χ|x)m?t", squeeze):
        return "chi_mt", scale
    if re.fullmatch(r"(chi|χ|x)(m|mol|molar)?", squeeze) or (
        unit and ("emu" in unit or "m3" in unit)
    ):
        return "chi_m", scale
    return "unknown", scale


def read_chimt(path: str | Path, *, branch: str | None = None) -> pd.DataFrame:
    """Read a χMT(T) file into a DataFrame with columns ``temperature_K``, ``chi_mt``, ``branch``.

    Parameters
    ----------
    path
        Text file in the format described in :mod:`coordgeo.io.magdata`.
    branch
        Give every row this sweep direction (``'cooling'`` or ``'heating'``), e.g. for a
        file holding one sweep; a third column, if present, must then agree.

    Returns
    -------
    pandas.DataFrame
        One row per measurement in file order; ``branch`` is ``'cooling'``,
        ``'heating'`` or ``'unspecified'``. ``df.attrs['path']`` is the file name.

    Raises
    ------
    coordgeo.errors.InputError
        Unreadable file, no data rows, a row that is not two numbers (plus an optional
        sweep word), or a temperature that is not positive.
    """
    where = str(path)
    forced = None
    if branch is not None:
        forced = sweep_direction(branch)
        if forced is None:
            raise InputError(
                f"unknown sweep direction {branch!r}; use cooling or heating", path=where
            )
    text = read_text(path, "χMT(T) file")

    temperatures: list[float] = []
    chis: list[float] = []
    branches: list[str] = []
    lines: list[int] = []
    header: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        fields = _split(stripped)
        values = [_float(f) for f in fields[:2]]
        if header is None and not temperatures and values[0] is None:
            header = stripped  # the one header line allowed, before any data
            continue
        if len(fields) < 2:
            raise InputError(
                f"expected two columns (temperature in K, χMT in {CHI_MT_UNITS}), "
                f"found one: {stripped[:40]!r}",
                path=where,
                line=number,
            )
        if len(fields) > 3:
            raise InputError(
                f"expected 2 or 3 columns (temperature, χMT, sweep direction), found "
                f"{len(fields)}: {stripped[:40]!r}",
                path=where,
                line=number,
            )
        if values[0] is None or values[1] is None:
            bad = fields[0] if values[0] is None else fields[1]
            raise InputError(
                f"not a number: {bad[:30]!r} (expected temperature in K and χMT)",
                path=where,
                line=number,
            )
        if values[0] <= 0:
            raise InputError(
                f"temperature must be positive (kelvin), got {fields[0]}", path=where, line=number
            )
        row_branch = "unspecified"
        if len(fields) == 3:
            row_branch = sweep_direction(fields[2]) or ""
            if not row_branch:
                raise InputError(
                    f"third column must name the sweep direction (cooling/heating, down/up, "
                    f"c/h), got {fields[2][:30]!r}",
                    path=where,
                    line=number,
                )
        if forced is not None:
            if row_branch not in ("unspecified", forced):
                raise InputError(
                    f"row says {row_branch} but the file was given as {forced}",
                    path=where,
                    line=number,
                )
            row_branch = forced
        temperatures.append(values[0])
        chis.append(values[1])
        branches.append(row_branch)
        lines.append(number)

    if not temperatures:
        raise InputError("no data rows (expected temperature and χMT columns)", path=where)

    chi = np.asarray(chis, dtype=float)
    kind, scale = _chi_header(header) if header else ("unknown", 1.0)
    chi = chi * scale
    temperature = np.asarray(temperatures, dtype=float)
    if kind == "chi_m":
        warnings.warn(
            f"{where}: header {header!r} names χM; coordgeo expects χMT in {CHI_MT_UNITS} "
            "(multiply χM by T)",
            ChiMWarning,
            stacklevel=2,
        )
    elif kind == "unknown" and _falls_as_inverse_t(temperature, chi):
        warnings.warn(
            f"{where}: the second column falls roughly as 1/T, like χM; coordgeo expects "
            f"χMT in {CHI_MT_UNITS} (multiply χM by T)",
            ChiMWarning,
            stacklevel=2,
        )
    negative = negative_chi_mt(chi, lines)
    if negative:
        warnings.warn(f"{where}: {negative}", NegativeChiMTWarning, stacklevel=2)
    df = pd.DataFrame(
        {
            "temperature_K": temperature,
            "chi_mt": chi,
            "branch": pd.Series(branches, dtype="object"),
        }
    )
    df.attrs["path"] = where
    return df


def read_text(path: str | Path, what: str = "data file") -> str:
    """The text of a data file (UTF-8, else Latin-1), refusing binary and oversized files.

    Files larger than :data:`MAX_FILE_BYTES` are refused before reading: a measurement file
    of a few million rows is well under it, and anything larger is not a χMT curve.
    """
    # coordgeo.io.files: regular files only (a FIFO or device is refused before reading),
    # the size limit, UTF-8 (BOM or not) else CP1252/Latin-1 with a warning; then the
    # line limit of coordgeo.options ("magnetic_rows", COORDGEO_MAX_MAGNETIC_ROWS)
    from coordgeo.io.files import read_text as read_user_text
    from coordgeo.options import check_limit, limit

    text = read_user_text(path, max_bytes=max(MAX_FILE_BYTES, limit("bytes")), what=what).text
    check_limit("magnetic_rows", text.count("\n"), path=str(path))
    return text


def sweep_labels(temperature: ArrayLike, threshold_K: float | None = None) -> np.ndarray:
    """Label each point of a measurement sequence ``'cooling'``, ``'heating'`` or ``'unspecified'``.

    The temperatures are taken in measurement order and cut at their turning points: a
    turning point is a running extreme from which the temperature has moved back by at
    least ``threshold_K`` (default max(0.5 K, 1 % of the range), well above the ±0.05 K
    scatter of a settled or swept magnetometer temperature and below any sweep). Each
    segment is labelled by the sign of its net change; the extreme point closes the
    segment that reached it, as do the readings settled at that temperature (within a
    quarter of the threshold). A segment (or a whole file) that changes by less than the
    threshold, such as a relaxation at constant temperature, is ``'unspecified'``.
    """
    t = np.asarray(temperature, dtype=float)
    labels = np.full(t.size, "unspecified", dtype=object)
    if t.size < 2:
        return labels
    span = float(np.nanmax(t) - np.nanmin(t))
    thr = max(0.5, 0.01 * span) if threshold_K is None else float(threshold_K)
    turns = [0]
    values = t.tolist()
    direction, hi, lo, ext = 0, 0, 0, 0
    for i in range(1, len(values)):
        x = values[i]
        if direction == 0:
            if x > values[hi]:
                hi = i
            if x < values[lo]:
                lo = i
            if values[hi] - values[lo] >= thr:
                direction = 1 if hi > lo else -1
                ext = hi if direction == 1 else lo
        elif direction == 1:
            if x > values[ext]:
                ext = i
            elif values[ext] - x >= thr:
                turns.append(_turn(values, ext, i, thr))
                direction, ext = -1, i
        elif x < values[ext]:
            ext = i
        elif x - values[ext] >= thr:
            turns.append(_turn(values, ext, i, thr))
            direction, ext = 1, i
    turns.append(t.size - 1)
    for k in range(len(turns) - 1):
        start, end = turns[k], turns[k + 1]
        first = start if k == 0 else start + 1
        change = values[end] - values[start]
        if abs(change) >= thr:
            labels[first : end + 1] = "heating" if change > 0 else "cooling"
    return labels


def _turn(values: list[float], ext: int, stop: int, thr: float) -> int:
    """The last point after the extreme ``ext`` (before ``stop``) still at its temperature.

    Readings settled at the turning temperature (within a quarter of the threshold of the
    extreme) close the segment that reached it.
    """
    turn = ext
    while turn + 1 < stop and abs(values[turn + 1] - values[ext]) <= 0.25 * thr:
        turn += 1
    return turn


def read_table(path: str | Path, *, what: str = "data file") -> pd.DataFrame:
    """Read a delimited text table with one header line of column names.

    Separators: comma, semicolon, tab or runs of spaces (then a name may carry its unit
    in brackets, ``Temperature (K)``). Lines starting with ``#`` before the header are
    comments. Cells that are not numbers become NaN in numeric columns; a column without
    any number is kept as text (e.g. a sweep-direction column). ``df.attrs['path']`` is
    the file, ``df.attrs['first_data_line']`` the 1-based line of the first data row.

    Raises
    ------
    coordgeo.errors.InputError
        Unreadable file, no header, no data, or a row with more fields than the header.
    """
    where = str(path)
    text = read_text(path, what)
    lines = text.splitlines()
    header_index = next(
        (i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")),
        None,
    )
    if header_index is None:
        raise InputError(f"{what} has no header line naming the columns", path=where)
    header = lines[header_index].strip()
    sep = next((s for s in (",", ";", "\t") if s in header), None)
    if sep:
        names = [f.strip().strip("\"'") for f in header.split(sep)]
    else:
        names = _WS_FIELD.findall(header)
    while names and not names[-1]:  # "a,b," (QD files end the header with a comma)
        names.pop()
    if len(names) < 2 or all(_float(n) is not None for n in names):
        raise InputError(
            f"{what}: the first line must name at least two columns, got {header[:60]!r}",
            path=where,
            line=header_index + 1,
        )
    body = "\n".join(lines[header_index + 1 :])
    df = parse_table_rows(body, sep, names, where, header_index + 2)
    if df.empty:
        raise InputError(f"{what} has a header but no data rows", path=where)
    df.attrs["path"] = where
    df.attrs["first_data_line"] = header_index + 2
    return df


def parse_table_rows(
    body: str, sep: str | None, names: list[str], where: str, first_line: int
) -> pd.DataFrame:
    """Parse the rows below a header with pandas' C reader; errors name the file line.

    ``sep`` None means runs of whitespace; ``first_line`` is the file line of the first
    row. A trailing separator on every row (Quantum Design files) is allowed.
    """
    import io

    seen: dict[str, int] = {}
    for k, name in enumerate(names):
        if name in seen:
            raise InputError(
                f"the header names the column {name!r} twice (columns {seen[name] + 1} and "
                f"{k + 1}): rename one",
                path=where,
                line=first_line - 1,
            )
        seen[name] = k
    try:
        df = pd.read_csv(
            io.StringIO(body),
            sep=sep if sep else r"\s+",
            header=None,
            names=names,
            index_col=False,
            skip_blank_lines=True,
            engine="c",
            on_bad_lines="error",
        )
    except pd.errors.EmptyDataError:
        return pd.DataFrame(columns=names)
    except pd.errors.ParserError as exc:
        found = re.search(r"line (\d+), saw (\d+)", str(exc))
        if found:
            raise InputError(
                f"row has {found.group(2)} fields, the header names {len(names)}",
                path=where,
                line=first_line + int(found.group(1)) - 1,
            ) from None
        raise InputError(f"cannot parse the table: {exc}", path=where) from None
    out = {}
    for name in names:
        column = df[name]
        if column.dtype == object:
            text = column.astype(str).str.strip().str.strip("\"'")
            numbers = pd.to_numeric(text, errors="coerce")
            column = numbers if numbers.notna().any() else text
        out[name] = column
    return pd.DataFrame(out)


def _falls_as_inverse_t(temperature: np.ndarray, chi: np.ndarray) -> bool:
    """True when χ·T is flatter than χ on a log scale and χ falls with T (Curie-like χM)."""
    if temperature.size < 5 or np.any(chi <= 0) or np.ptp(temperature) <= 0:
        return False
    log_t, log_chi = np.log(temperature), np.log(chi)
    slope = np.polyfit(log_t, log_chi, 1)[0]
    return bool(slope < -0.5 and np.std(log_chi + log_t) < np.std(log_chi))


def read_chimt_sweeps(
    cooling: str | Path | None = None,
    heating: str | Path | None = None,
    *,
    data: Sequence[str | Path] = (),
) -> pd.DataFrame:
    """Read a cooling file, a heating file and/or further files into one DataFrame.

    ``read_chimt_sweeps("cool.dat", "heat.dat")`` gives the two branches of a loop.
    Files in ``data`` keep the sweep directions of their own third column.
    """
    frames = [read_chimt(p) for p in data]
    if cooling is not None:
        frames.append(read_chimt(cooling, branch="cooling"))
    if heating is not None:
        frames.append(read_chimt(heating, branch="heating"))
    if not frames:
        raise InputError("no χMT(T) file given")
    df = pd.concat(frames, ignore_index=True)
    df.attrs["path"] = ", ".join(f.attrs["path"] for f in frames)
    return df
