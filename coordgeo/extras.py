"""Optional dependencies: which extra brings which package, and one clear error when it is missing.

``pip install coordgeo`` installs the core every analysis needs (gemmi, ase, numpy,
pandas, scipy, networkx, matplotlib, typer, rich, threadpoolctl). A few commands need more,
installed as extras::

    bulk       pyarrow, dask[distributed]   coordgeo bulk, coordgeo query, coordgeo.bulk
    report     mkdocs-material (+ mkdocs, PyYAML)   coordgeo report, coordgeo.report.build_site
    docx       python-docx                  Word export
    pymatgen   pymatgen                     coordgeo.interop.to_pymatgen
    all        every one of them

Code that needs an extra imports it inside the function that uses it, through
:func:`require`, so the core never loads those packages and a missing one ends as a
one-line :class:`MissingExtra` (an :class:`~coordgeo.errors.InputError`: the command
line prints it and exits with status 2)::

    coordgeo: error: coordgeo bulk needs the 'bulk' extra (No module named 'pyarrow'):
    pip install 'coordgeo[bulk]'

(one line on the terminal).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from coordgeo.errors import InputError

#: extra name → the distributions it installs (mirrors ``pyproject.toml``'s extras).
EXTRAS: dict[str, tuple[str, ...]] = {
    "bulk": ("pyarrow", "dask[distributed]"),
    "report": ("mkdocs-material", "mkdocs", "PyYAML"),
    "docx": ("python-docx",),
    "pymatgen": ("pymatgen",),
}


class MissingExtra(InputError):
    """An optional package is not installed; the message names the extra and the pip line."""

    def __init__(self, what: str, extra: str, reason: str) -> None:
        self.extra = extra
        self.install = f"pip install 'coordgeo[{extra}]'"
        super().__init__(f"{what} needs the '{extra}' extra ({reason}): {self.install}")


def require(extra: str, *modules: str, what: str | None = None) -> ModuleType:
    """Import ``modules`` (dotted names) of an extra; return the first.

    Parameters
    ----------
    extra
        The extra of ``pyproject.toml`` that installs them (a key of :data:`EXTRAS`).
    modules
        Module names to import, e.g. ``"pyarrow"``, ``"dask.distributed"``.
    what
        The command or function that needs them, for the message
        (``"coordgeo bulk"``); default ``"this feature"``.

    Raises
    ------
    MissingExtra
        When any of them cannot be imported: ``coordgeo bulk needs the 'bulk' extra
        (No module named 'pyarrow'): pip install 'coordgeo[bulk]'``.
    """
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}")  # a programming error, not user input
    if not modules:
        raise ValueError("require() needs at least one module name")
    loaded = []
    for name in modules:
        try:
            loaded.append(importlib.import_module(name))
        except ImportError as exc:
            reason = str(exc).split("\n")[0] or f"cannot import {name}"
            raise MissingExtra(what or "this feature", extra, reason) from None
    return loaded[0]


__all__ = ["EXTRAS", "MissingExtra", "require"]
