"""DataFrames assembled from finished column arrays: the one place that does it.

A table per structure is small, and for small tables pandas' dict constructor costs
more than the columns themselves: it infers the dtype of the column names and of every
list again, and checks every column. The tables of :mod:`coordgeo.coordination` and
:mod:`coordgeo.check` are built as arrays of their final dtypes (float arrays, text as
pandas' own text column), so they are assembled as they are.

``DataFrame._from_arrays`` is pandas' internal constructor (pandas 2.1 to 3.x take
``(arrays, columns, index, verify_integrity)``); where a pandas lacks it or takes other
arguments (a TypeError), or a column is
still a plain list (whose dtype pandas must infer), the public constructor makes the
frame: the same frame, only slower. ``tests/test_fast_paths.py`` compares the two.

pandas is imported only when a frame or a text column is made (one-file commands that
print from columns never load it).
"""

from __future__ import annotations

import sys
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


@lru_cache(maxsize=1)
def text_dtype():
    """The dtype pandas infers for a column of text, or None when it is plain ``object``
    (pandas < 3, or pandas without its Arrow string storage). Read once per process
    (pandas 3 deprecated changing it with the option ``future.infer_string``)."""
    import pandas as pd

    dtype = pd.Series(["text"]).dtype
    return None if isinstance(dtype, np.dtype) else dtype


@lru_cache(maxsize=1)
def _arrow_text():
    """pandas' text dtype and the pyarrow module when that dtype is Arrow-backed (pandas
    ≥ 3 with pyarrow, which pandas has then loaded itself), else None."""
    import pandas as pd

    dtype = text_dtype()
    arrow = sys.modules.get("pyarrow")  # not an import: only what pandas already uses
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow" and arrow is not None:
        return dtype, arrow
    return None


def text_column(values: list[str]):
    """A column of text as pandas stores it (:func:`text_dtype`), built by Arrow at once
    rather than inferred value by value where that storage is Arrow's; elsewhere (text as
    ``object``, or pandas' Python-backed strings without pyarrow) the list itself, which
    :func:`frame_of_arrays` then leaves to pandas' own inference."""
    import pandas as pd

    arrow = _arrow_text()
    if arrow is None:
        return values
    dtype, pa = arrow
    return pd.arrays.ArrowStringArray(pa.array(values, type=pa.large_string()), dtype=dtype)


def text_columns(columns: list[list[str]]) -> list:
    """:func:`text_column` of several columns of one length, made as one column and cut
    into slices: the cost of making a text column is mostly per call, not per value."""
    if not columns:
        return []
    n = len(columns[0])
    every = text_column([value for column in columns for value in column])
    return [every[i * n : (i + 1) * n] for i in range(len(columns))]


@lru_cache(maxsize=32)
def _column_index(names: tuple[str, ...]) -> pd.Index:
    """The column index pandas makes of these names (made once; a view of it per frame)."""
    import pandas as pd

    return pd.DataFrame(columns=list(names)).columns


def frame_of_arrays(columns: dict[str, object]) -> pd.DataFrame:
    """``pd.DataFrame(columns)`` with a RangeIndex, assembled from the arrays as they are.

    Parameters
    ----------
    columns
        Column name → float/int/bool array or :func:`text_column` (used as they are), or a
        list (its dtype inferred by pandas, so the whole frame goes through the public
        constructor). All of one length, at least one column.
    """
    import pandas as pd

    arrays = list(columns.values())
    make = getattr(pd.DataFrame, "_from_arrays", None)
    if make is not None and not any(a.__class__ is list for a in arrays):
        try:
            return make(
                arrays,
                columns=_column_index(tuple(columns)).view(),
                index=pd.RangeIndex(len(arrays[0])),
                verify_integrity=False,
            )
        except TypeError:  # an internal signature that changed: the public way below
            pass
    return pd.DataFrame(columns, copy=False)
