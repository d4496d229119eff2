"""Reading a measured powder pattern: 2θ (degrees), intensity and, optionally, its esd.

File format
-----------
Plain text, one point per line, two or three columns separated by spaces, tabs,
commas or semicolons; the exports of the usual programs read as they are::

    'Id: "sample 12" Comment: "" Operator: …      <- header lines (any text) skipped
    # or ! comment lines skipped, so are GSAS /* … */ blocks
    5.0000 1234                                 <- Bruker EVA .xy: 2θ, counts
    5.0000 1234.0 35.13                         <- GSAS .xye: 2θ, counts, esd
    Angle,Intensity                             <- PANalytical .csv after [Scan points]
    5.0000,1234
    5,0000;1234                                 <- semicolon-separated with decimal commas

1. 2θ in degrees (0 < 2θ < 180), increasing or decreasing (sorted on reading);
2. intensity (counts or any linear scale; negative values of background-subtracted
   data are kept);
3. optional: the esd of the intensity. A third column that is not a positive,
   varying number is not an esd (Rigaku ``.ras`` files put an attenuator factor
   there): it is ignored, with a note.

Lines that do not start with a number are header or footer lines and are skipped.
A line that starts with a number but does not give two or three numbers, a
repeated 2θ, or a file with fewer than 10 points raises
:class:`coordgeo.errors.InputError` naming the file and the line. The file is opened by
:func:`coordgeo.io.files.read_text` (regular files within the size limit; UTF-8, else
CP1252/Latin-1 with a warning); a file of more than 200 000 lines is refused
(``COORDGEO_MAX_PATTERN_POINTS``, :mod:`coordgeo.options`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from coordgeo.errors import InputError
from coordgeo.io.files import read_text
from coordgeo.options import check_limit

MIN_POINTS = 10

_SPLIT = re.compile(r"[\s,]+")
_DECIMAL_COMMA = re.compile(r"^[-+]?\d+,\d+(?:[eE][-+]?\d+)?$")


@dataclass(frozen=True, eq=False)
class MeasuredPattern:
    """A measured powder pattern on increasing 2θ.

    ``esd`` is None when the file gives none; ``notes`` says what the reader
    did that a user should know (sorting, an ignored third column, …).
    """

    two_theta: np.ndarray  # degrees, strictly increasing
    intensity: np.ndarray
    esd: np.ndarray | None = None
    path: str = ""
    notes: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.two_theta)

    @property
    def weights(self) -> np.ndarray:
        """Least-squares weights w: 1/σ² from the esd column, else 1/y_o (counting statistics).

        Points with y_o ≤ 0 (or σ ≤ 0) get the weight of the smallest positive
        intensity, so that background-subtracted data do not divide by zero.
        """
        if self.esd is not None:
            variance = self.esd.astype(float) ** 2
        else:
            variance = self.intensity.astype(float).copy()
        positive = variance[variance > 0]
        floor = positive.min() if positive.size else 1.0
        return 1.0 / np.maximum(variance, floor)


def read_xy(path: str | Path) -> MeasuredPattern:
    """Read a measured powder pattern (.xy, .xye, .csv, .dat, .txt, …); see the module doc."""
    name = str(path)
    try:  # regular files only, the size limit, UTF-8 else CP1252/Latin-1 (coordgeo.io.files)
        text = read_text(path, what="powder pattern").text
    except InputError as exc:
        if "binary" not in exc.message:
            raise
        raise InputError(
            "a binary file (export the pattern as text: .xy, .xye or .csv)", path=name
        ) from None
    return parse_xy(text, path=name)


def parse_xy(text: str, path: str = "") -> MeasuredPattern:
    """Parse the text of a measured pattern (the work of :func:`read_xy`)."""
    rows: list[tuple[float, ...]] = []
    lines: list[int] = []
    width = 0
    in_block_comment = False
    notes: list[str] = []
    text_lines = text.splitlines()
    check_limit("pattern_points", len(text_lines), path=path or None, context="lines")
    for number, line in enumerate(text_lines, start=1):
        stripped = line.strip().lstrip("\ufeff")
        if in_block_comment:
            if "*/" in stripped:
                in_block_comment = False
            continue
        if stripped.startswith("/*"):
            in_block_comment = "*/" not in stripped
            continue
        stripped = re.split(r"[#!]", stripped, maxsplit=1)[0].strip()
        if not stripped:
            continue
        fields = _fields(stripped)
        if not fields or not _is_number(fields[0]):
            continue  # header or footer text
        try:
            values = tuple(float(f) for f in fields)
        except ValueError:
            raise InputError(
                f"expected numbers (2θ, intensity[, esd]), got {stripped[:60]!r}",
                path=path,
                line=number,
            ) from None
        if len(values) == 1:
            if rows:
                raise InputError(
                    f"only one number {stripped!r}: expected 2θ and intensity",
                    path=path,
                    line=number,
                )
            continue  # a point count or similar before the data
        values = values[:3]
        if rows and len(values) != width:
            raise InputError(
                f"{len(values)} columns where the lines before have {width}",
                path=path,
                line=number,
            )
        width = len(values)
        if not all(np.isfinite(values)):
            raise InputError(f"not a finite number in {stripped[:60]!r}", path=path, line=number)
        rows.append(values)
        lines.append(number)
    if len(rows) < MIN_POINTS:
        raise InputError(
            f"{len(rows)} data points found: a powder pattern needs two columns "
            "(2θ in degrees, intensity) and at least 10 points",
            path=path,
        )
    data = np.array(rows, dtype=float)
    line_of = np.array(lines)
    two_theta = data[:, 0]
    bad = np.flatnonzero((two_theta <= 0) | (two_theta >= 180))
    if bad.size:
        raise InputError(
            f"2θ = {two_theta[bad[0]]:g} is not an angle in degrees between 0 and 180",
            path=path,
            line=int(line_of[bad[0]]),
        )
    step = np.diff(two_theta)
    if np.all(step < 0):
        data, line_of = data[::-1], line_of[::-1]
        notes.append("2θ decreases in the file; the points were reversed")
    elif not np.all(step > 0):
        order = np.argsort(two_theta, kind="stable")
        sorted_tt = two_theta[order]
        repeat = np.flatnonzero(np.diff(sorted_tt) == 0)
        if repeat.size:
            raise InputError(
                f"2θ = {sorted_tt[repeat[0]]:g} appears twice (two scans in one file?)",
                path=path,
                line=int(line_of[order[repeat[0] + 1]]),
            )
        data, line_of = data[order], line_of[order]
        notes.append("2θ is not in order in the file; the points were sorted")
    intensity = data[:, 1]
    if not np.any(intensity != 0):
        raise InputError("every intensity is zero", path=path)
    esd = None
    if width == 3:
        third = data[:, 2]
        if np.all(third > 0) and np.ptp(third) > 0:
            esd = third
        else:
            notes.append("the third column is not an esd (not positive and varying): ignored")
    if np.any(intensity < 0):
        notes.append(f"{int((intensity < 0).sum())} negative intensities (background subtracted?)")
    return MeasuredPattern(
        two_theta=data[:, 0].copy(),
        intensity=intensity.copy(),
        esd=None if esd is None else esd.copy(),
        path=path,
        notes=tuple(notes),
    )


def _fields(line: str) -> list[str]:
    """Split a data line; ``;`` separates fields whose decimal separator may be a comma."""
    if ";" in line:
        parts = [p.strip() for p in line.split(";")]
        fields: list[str] = []
        for part in parts:
            if not part:
                continue
            if _DECIMAL_COMMA.match(part):
                fields.append(part.replace(",", "."))
            else:
                fields.extend(p for p in part.split() if p)
        return fields
    return [p for p in _SPLIT.split(line) if p]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
