"""The column-wise number reader of the CIF reader against the token-by-token one.

``coordgeo.io.cif._plain_numbers`` reads a whole loop column at once from the characters'
codes (issue 16); ``_cif_number`` reads one token with ``float`` and its own checks. For
every token the two must give the same value, su and rounding bit for bit, and every
token the column reader leaves to its caller must not be of the plain form (or overflow).
"""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

from coordgeo.io.cif import _cif_number, _plain_numbers

#: The plain form, restated from CIF 1.1 §2.2.7.4.8: digits with at most one point, an
#: optional sign, an su of 1–6 digits in parentheses, nothing else.
PLAIN = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)(\([0-9]{1,6}\))?")
ODD = ["?", ".", "'0.5'", "1e5", "-2.5E-3(4)", "nan", "inf", "1_0", "0.5(1234567)", "-", "1.2(3",
       "٣.5", "1.5(٣)", "0x1A", " 1.5", "1.5 ", "+", "(3)", "1.2(3)(4)", "1..2", "1(", "1)",
       "+-1", "1-", "1.(2)", ".(2)", "1(12)3", "1((2))", "1.5(3.)", "1.5(+3)", "-.",
       "1(0)"]  # fmt: skip


def _random_token(rng: random.Random) -> str:
    if rng.random() < 0.05:
        return rng.choice(ODD)
    sign = rng.choice(["", "", "-", "+"])
    whole = "".join(rng.choices("0123456789", k=rng.choice([0, 1, 1, 2, 3, 5, 17, 30])))
    dot = rng.random() < 0.85
    part = "".join(rng.choices("0123456789", k=rng.choice([0, 1, 2, 4, 5, 6, 15, 17, 23, 400])))
    if not whole and not (dot and part):
        whole = "7"
    text = sign + whole + ("." if dot else "") + part
    if rng.random() < 0.6:
        text += "(" + "".join(rng.choices("0123456789", k=rng.randint(1, 6))) + ")"
    return text


@pytest.mark.parametrize("seed", range(4))
def test_column_reader_equals_token_reader(seed):
    rng = random.Random(seed)
    for _ in range(300):
        tokens = [_random_token(rng) for _ in range(rng.randint(1, 30))]
        values, sus, rounding, others = _plain_numbers(tokens)
        for k, token in enumerate(tokens):
            if k in others:  # read token by token by the caller: not digits(su digits)
                assert not PLAIN.fullmatch(token) or not np.isfinite(float(token.split("(")[0]))
                continue
            if token in ("?", "."):
                assert np.isnan(values[k])
                continue
            value, su, half = _cif_number(token)
            assert values[k] == value and np.signbit(values[k]) == np.signbit(value), token
            assert sus[k] == (su or 0.0), token
            assert rounding[k] == half, token


def test_column_reader_by_hand():
    # 0.21563(16): su 16·10⁻⁵; -1.5: no su, half a unit of the first decimal; 12: integer
    values, sus, rounding, others = _plain_numbers(["0.21563(16)", "-1.5", "12", "?", "1e3"])
    np.testing.assert_array_equal(values[:3], [0.21563, -1.5, 12.0])
    assert np.isnan(values[3]) and np.isnan(values[4])
    np.testing.assert_array_equal(sus[:3], [16 * 1e-5, 0.0, 0.0])
    np.testing.assert_array_equal(rounding[:3], [0.5 * 1e-5, 0.5 * 0.1, 0.5])
    assert others == [4]


def test_failing_column_of_long_numbers_is_read():
    # 60 numbers of 30 digits and one word: a column pattern that can split "123…" in
    # several ways would backtrack 2^60 times before it fails; the reader must not
    tokens = ["123456789012345678901234567890"] * 60 + ["x"]
    values, _, _, others = _plain_numbers(tokens)
    assert others == [60]
    assert np.all(values[:60] == float(tokens[0]))
