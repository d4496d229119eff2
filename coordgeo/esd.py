"""Numbers with standard uncertainties: ``1.994(4)`` ⇄ ``(1.994, 0.004)``.

The bottom of the pipeline: every reader (CIF, SI tables) parses su's here and
every writer (tables, reports, bulk) formats them here. Numbers follow the
IUCr convention used by SHELXL ("rule of 19"): the su is printed with two
digits when they are 19 or less, otherwise with one, and the value is rounded
to the same last digit (IUCr, *Notes for authors*; Schwarzenbach et al.,
Acta Cryst. A45 (1989) 63).
"""

from __future__ import annotations

import math

#: Relative size below which an su is rounding noise, not an uncertainty: coordinates
#: are printed to 5–6 significant digits, so real su's are ≥ ~10⁻⁶ of the value; double
#: precision leaves ~10⁻¹⁶ of it where a derivative vanishes by symmetry.
NOISE_SU = 1e-10


def su_digits(su: float) -> tuple[int, int]:
    """Return ``(digits, exponent)`` so that su ≈ digits·10**exponent with 2 ≤ digits ≤ 19.

    >>> su_digits(0.0042)
    (4, -3)
    >>> su_digits(0.00016)
    (16, -5)
    """
    if not su > 0 or not math.isfinite(su):
        raise ValueError(f"su must be positive and finite, got {su!r}")
    exponent = math.floor(math.log10(su)) - 1
    digits = round(su / 10.0**exponent)
    if digits > 19:
        exponent += 1
        digits = round(su / 10.0**exponent)
    if digits < 2:  # only reachable through rounding at a decade boundary
        exponent -= 1
        digits = round(su / 10.0**exponent)
    return digits, exponent


def format_su(value: float | None, su: float | None = None, decimals: int = 4) -> str:
    """Format a value with its su in parentheses: ``format_su(1.99412, 0.0042) == '1.994(4)'``.

    Without an su (None, 0 or nan) the value is printed with ``decimals``
    decimals and no parentheses, as riding-H distances are in SHELXL tables.
    An su below :data:`NOISE_SU` × max(1, |value|) is floating-point noise of a quantity
    that symmetry fixes (the TPR-6 shape measure of an octahedron on an m-3m site came
    out as ``16.7367553607686723(6)``, su 6·10⁻¹⁷): no measurement has one, and it is
    printed as no su. An empty string stands for a missing value.
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if su is None or not (su > NOISE_SU * max(1.0, abs(value))) or not math.isfinite(su):
        return f"{value:.{decimals}f}"
    digits, exponent = su_digits(su)
    if exponent < 0:
        return f"{value:.{-exponent}f}({digits})"
    scale = 10**exponent
    return f"{round(value / scale) * scale:.0f}({digits * scale})"


def parse_su(text: str) -> tuple[float | None, float | None]:
    """Split ``'1.994(4)'`` into ``(1.994, 0.004)``; ``'0.84'`` gives ``(0.84, None)``.

    '?' and '.' (CIF unknown / not applicable) and empty text give ``(None, None)``.
    Raises ValueError for text that is not a number, and for values or su's outside the
    range of floating-point numbers (``1.2e400``, a 400-digit su), ``nan`` and ``inf``.
    """
    text = text.strip()
    if text in ("", "?", "."):
        return None, None
    if "(" in text:
        number, _, rest = text.partition("(")
        su_text = rest.rstrip(")").strip()
    else:
        number, su_text = text, ""
    number = number.strip()
    value = float(number)
    if not math.isfinite(value):
        raise ValueError(f"{number!r} is not a finite number")
    if not su_text:
        return value, None
    mantissa = number.lower().split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    exponent = int(number.lower().split("e")[1]) if "e" in number.lower() else 0
    try:
        su = int(su_text) * 10.0 ** (exponent - decimals)
    except OverflowError:  # a 400-digit su, or an exponent out of range
        raise ValueError(f"the su of {text[:40]!r} is out of range") from None
    if not math.isfinite(su):
        raise ValueError(f"the su of {text[:40]!r} is out of range")
    return value, su


def decimals_of(text: str) -> int:
    """Number of decimals printed in a number such as ``'1.994(4)'`` (→ 3)."""
    number = text.strip().split("(")[0].lower().split("e")[0]
    return len(number.split(".")[1]) if "." in number else 0
