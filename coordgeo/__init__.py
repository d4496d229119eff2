"""coordgeo: coordination geometry and spin-crossover analysis from CIF files.

Everything the command line does is one or two calls here, returning
pandas DataFrames::

    import coordgeo
    structures = coordgeo.read("compound.cif")   # one Structure per data block
    coordgeo.bonds(structures)                    # every bond, with su's
    coordgeo.spheres(structures)                  # metal–donor bonds
    coordgeo.octahedra(structures)                # ⟨d⟩, ζ, Δ, Σ, Θ, CShM with su's, spin state
    coordgeo.hbonds(structures)                   # D–H···A with su's
    coordgeo.check("compound.cif")                # the CIF's own _geom_* rows, recomputed
    coordgeo.analyse(structures)                  # all of it, one Analysis per structure

The functions accept a path, CIF text, a Structure or a list of Structures, a
``gemmi.SmallStructure``, an ``ase.Atoms`` or a pymatgen ``Structure``
(:func:`coordgeo.interop.as_structures`), and the options of
:class:`coordgeo.pipeline.Options` as keywords (``tolerance=0.4, shapes="OC-6"``), checked
in one place whatever door they come in by.
"""

import sys as _sys
import types as _types

from coordgeo.errors import InputError


class _Package(_types.ModuleType):
    """The package module. Its API functions ``check`` and ``hbonds`` share their names with
    submodules; importing such a submodule (anywhere, at any time) would rebind the
    package attribute from the function to the module, so that ``coordgeo.hbonds(s)``
    worked only until then. Here a submodule never replaces a function of the facade."""

    def __setattr__(self, name: str, value) -> None:
        current = self.__dict__.get(name)
        if isinstance(value, _types.ModuleType) and isinstance(current, _types.FunctionType):
            return
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package

#: Names of the API that live in heavier modules, imported on first use (PEP 562), so that
#: ``import coordgeo`` and ``coordgeo --help`` do not pay for pandas and scipy.
_LAZY = {
    "Structure": "coordgeo.model",
    "Analysis": "coordgeo.pipeline",
    "Options": "coordgeo.pipeline",
    "read_cif_blocks": "coordgeo.io.cif",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'coordgeo' has no attribute {name!r}")


__version__ = "0.1.0"

__all__ = [
    "Analysis",
    "InputError",
    "Options",
    "Structure",
    "analyse",
    "angles",
    "bonds",
    "check",
    "contacts",
    "hbonds",
    "octahedra",
    "read",
    "read_cif_blocks",
    "spheres",
    "structures_of",
]


def read(path, block: str | None = None):
    """Read a CIF: one :class:`~coordgeo.model.Structure` per data block (or only ``block``)."""
    from coordgeo.io.cif import read_cif

    return read_cif(path, block)


def structures_of(source):
    """Whatever the API accepts → a list of Structures (:func:`coordgeo.interop.as_structures`):
    a path, CIF text, a Structure or several, a ``gemmi.SmallStructure``, an ``ase.Atoms``
    with a cell, a pymatgen ``Structure``."""
    from coordgeo.interop import as_structures

    return as_structures(source)


def _frame(frames):
    import pandas as pd

    frames = list(frames)
    full = [f for f in frames if len(f)]
    if len(full) == 1 and full[0].index.equals(pd.RangeIndex(len(full[0]))):
        return full[0]  # one block: its table as it is (a concat would only copy it)
    if full:
        return pd.concat(full, ignore_index=True)
    # nothing found: an empty table that still has the columns
    return frames[0].iloc[:0].reset_index(drop=True) if frames else pd.DataFrame()


def analyse(source, **options):
    """:func:`coordgeo.pipeline.analyse_structure` of every structure of ``source``."""
    from coordgeo.pipeline import analyse_structure, make_options

    opts = make_options(**options)
    return [analyse_structure(s, opts) for s in structures_of(source)]


def bonds(source, **options):
    """Every covalent and coordination bond with su (see :func:`coordgeo.coordination.bonds`)."""
    from coordgeo.coordination import bonds as find
    from coordgeo.pipeline import make_options

    tolerance = make_options(**options).tolerance
    return _frame(find(s, tolerance=tolerance) for s in structures_of(source))


def angles(source, **options):
    """Every bond angle with su (see :func:`coordgeo.coordination.angles`)."""
    from coordgeo.coordination import angles as find
    from coordgeo.pipeline import make_options

    tolerance = make_options(**options).tolerance
    return _frame(find(s, tolerance=tolerance) for s in structures_of(source))


def spheres(source, **options):
    """Metal–donor bonds of every coordination sphere, one row per bond."""
    from coordgeo.coordination import spheres_frame

    return _frame(spheres_frame(a.structure, a.spheres) for a in analyse(source, **options))


def octahedra(source, **options):
    """Distortion and shape parameters with su's of every metal site, its spin and
    oxidation state: what ``coordgeo octahedra`` prints (:attr:`Analysis.sites`)."""
    return _frame(a.sites for a in analyse(source, **options))


def hbonds(source, **options):
    """D–H···A hydrogen bonds with su's (see :func:`coordgeo.hbonds.hbonds`)."""
    return _frame(a.hbonds for a in analyse(source, **options))


def contacts(source, kind="all", **criteria):
    """π–π stacking, X–H···π and hydrogen bonds (D···A without located H too) with su's:
    ``kind`` is ``"pi-pi"``, ``"ch-pi"``, ``"hbond"`` or ``"all"``; ``criteria`` are the
    keywords of :func:`coordgeo.contacts.contacts` (``max_cg_cg=3.8``, …)."""
    from coordgeo.contacts import contacts as find

    return _frame(find(s, kind, **criteria) for s in structures_of(source))


def check(source):
    """The CIF's own ``_geom_*`` rows recomputed (see :mod:`coordgeo.check`)."""
    from coordgeo.check import check as recompute

    return _frame(recompute(s) for s in structures_of(source))
