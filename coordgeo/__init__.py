"""coordgeo: coordination geometry and spin-crossover analysis from CIF files.

Everything the command line does is one or two calls here, returning
pandas DataFrames::

    import coordgeo
    structures = coordgeo.read("compound.cif")   # one Structure per data block
    coordgeo.bonds(structures)                    # every bond, with su's
    coordgeo.spheres(structures)                  # metal–donor bonds
    coordgeo.octahedra(structures)                # ⟨d⟩, ζ, Δ, Σ, Θ, CShM with su's
    coordgeo.hbonds(structures)                   # D–H···A with su's
    coordgeo.check("compound.cif")                # the CIF's own _geom_* rows, recomputed

The functions accept a path, a Structure or a list of Structures.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from coordgeo import check as _check
from coordgeo import coordination as _coordination
from coordgeo.errors import InputError
from coordgeo.io.cif import read_cif, read_cif_blocks
from coordgeo.model import Structure

__version__ = "0.1.0"

StructureLike = str | Path | Structure | Iterable[Structure]


def read(path: str | Path, block: str | None = None) -> list[Structure]:
    """Read a CIF: one :class:`Structure` per data block (or only ``block``)."""
    return read_cif(path, block)


def structures_of(source: StructureLike) -> list[Structure]:
    """A path, one Structure or several → a list of Structures."""
    if isinstance(source, str | Path):
        return read_cif(source)
    if isinstance(source, Structure):
        return [source]
    return list(source)


def _each(source: StructureLike, func, **kwargs) -> pd.DataFrame:
    frames = [func(s, **kwargs) for s in structures_of(source)]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def bonds(
    source: StructureLike, tolerance: float = _coordination.DEFAULT_TOLERANCE
) -> pd.DataFrame:
    """Every covalent and coordination bond with su (see :func:`coordgeo.coordination.bonds`)."""
    return _each(source, _coordination.bonds, tolerance=tolerance)


def angles(
    source: StructureLike, tolerance: float = _coordination.DEFAULT_TOLERANCE
) -> pd.DataFrame:
    """Every bond angle with su (see :func:`coordgeo.coordination.angles`)."""
    return _each(source, _coordination.angles, tolerance=tolerance)


def spheres(
    source: StructureLike, tolerance: float = _coordination.DEFAULT_TOLERANCE
) -> pd.DataFrame:
    """Metal–donor bonds of every coordination sphere, one row per bond."""

    def one(s: Structure, tolerance: float) -> pd.DataFrame:
        return _coordination.spheres_frame(s, _coordination.coordination_spheres(s, tolerance))

    return _each(source, one, tolerance=tolerance)


def octahedra(source: StructureLike, shapes: str | tuple[str, ...] = "all") -> pd.DataFrame:
    """Distortion and shape parameters with su's of every metal site, and its spin state.

    What ``coordgeo octahedra`` prints (see :func:`coordgeo.spin.site_table`).
    """
    from coordgeo.spin import site_table

    return _each(source, site_table, shapes=shapes)


def hbonds(source: StructureLike) -> pd.DataFrame:
    """D–H···A hydrogen bonds with su's (see :func:`coordgeo.hbonds.hbonds`)."""
    from coordgeo.hbonds import hbonds as find

    return _each(source, find)


def check(source: StructureLike) -> pd.DataFrame:
    """The CIF's own ``_geom_*`` rows recomputed (see :mod:`coordgeo.check`)."""
    return _each(source, _check.check)


__all__ = [
    "InputError",
    "Structure",
    "angles",
    "bonds",
    "check",
    "hbonds",
    "octahedra",
    "read",
    "read_cif_blocks",
    "spheres",
    "structures_of",
]
