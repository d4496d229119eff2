"""The structure model: what a CIF data block says, as small frozen objects over arrays.

A :class:`Structure` is one data block: its cell (with su's), the symmetry
operators in the CIF's own order and numbering, and the sites of the
asymmetric unit as parallel arrays (label, element, fractional coordinates
with su's, occupancy, displacement parameters, disorder, calc flag). It is
produced by :func:`coordgeo.io.cif.read_cif` and never modified afterwards;
every later stage (geometry, coordination, distortion, …) takes it as input.
Its arrays are read-only (:func:`read_only`): per-structure caches (the R·x + t image
table of :mod:`coordgeo.geometry`, the bonds, rings and H-bonds kept per structure) hold
values derived from them, so a coordinate changed in place would leave those stale. A
changed structure is a new one: ``dataclasses.replace(s, fract=new_fract)``.

Arrays rather than a list of site objects keep the geometry vectorised;
:meth:`Structure.site` gives a readable per-site view when one is wanted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pandas loads where a DataFrame is made (start-up time)
    import pandas as pd

CRYSTAL_SYSTEMS = (
    "triclinic",
    "monoclinic",
    "orthorhombic",
    "tetragonal",
    "trigonal",
    "hexagonal",
    "cubic",
)


@dataclass(frozen=True)
class Cell:
    """Unit cell: lengths in Å, angles in degrees, each with its su (0 when not given)."""

    a: float
    b: float
    c: float
    alpha: float
    beta: float
    gamma: float
    su: tuple[float, float, float, float, float, float] = (0.0,) * 6

    @property
    def parameters(self) -> tuple[float, float, float, float, float, float]:
        return (self.a, self.b, self.c, self.alpha, self.beta, self.gamma)

    def __setstate__(self, state: dict) -> None:
        _set_frozen_state(self, state)

    @cached_property
    def orthogonalization(self) -> np.ndarray:
        """3×3 M with cart = M @ fract (gemmi/PDB convention: a along x, b in the xy plane).
        Read-only, as every array of a structure."""
        return read_only(orthogonalization_matrix(self.parameters))

    @cached_property
    def fractionalization(self) -> np.ndarray:
        return read_only(np.linalg.inv(self.orthogonalization))

    @cached_property
    def volume(self) -> float:
        return float(abs(np.linalg.det(self.orthogonalization)))

    @cached_property
    def reciprocal_lengths(self) -> np.ndarray:
        """|a*|, |b*|, |c*| in Å⁻¹: the lengths √(Σⱼ Fₐⱼ²) of the rows of
        :attr:`fractionalization` F (the reciprocal basis vectors), i.e. the cell fraction
        along each axis that one Å can span at most. Read-only."""
        return read_only(np.sqrt((self.fractionalization**2).sum(axis=1)))


def read_only(array: np.ndarray) -> np.ndarray:
    """``array`` made read-only (``setflags(write=False)``), or a read-only copy of it when
    it is a view of memory that something else may still write (a slice of a writable
    array, a buffer): frozen in place, a view would still change through its base.

    Parameters
    ----------
    array : numpy.ndarray
        The array a frozen object (:class:`Structure`, :class:`SymOp`, :class:`Cell`) is to
        hold; an array that owns its memory is frozen in place, not copied, so whoever
        built it must not write into it afterwards (numpy then raises ``ValueError:
        assignment destination is read-only``).
    """
    base = array.base
    while isinstance(base, np.ndarray) and not base.flags.writeable:
        base = base.base
    if base is not None:  # a writable array (or a foreign buffer) under the view
        array = array.copy()
    array.setflags(write=False)
    return array


def orthogonalization_matrix(params: tuple[float, ...] | np.ndarray) -> np.ndarray:
    """Orthogonalization matrix for cell parameters (a, b, c, α, β, γ), angles in degrees.

    Same convention as gemmi and the PDB: **a** along x, **b** in the xy plane,
    **c*** along z.
    """
    a, b, c, al, be, ga = (float(p) for p in params)
    ca, cb, cg = np.cos(np.radians([al, be, ga]))
    sg = np.sin(np.radians(ga))
    v = np.sqrt(max(1.0 - ca * ca - cb * cb - cg * cg + 2.0 * ca * cb * cg, 0.0))
    return np.array(
        [
            [a, b * cg, c * cb],
            [0.0, b * sg, c * (ca - cb * cg) / sg],
            [0.0, 0.0, c * v / sg],
        ]
    )


@dataclass(frozen=True, eq=False)
class SymOp:
    """One symmetry operator of the CIF, x' = R·x + t.

    ``id`` is the CIF's own identifier (``_space_group_symop_id`` or
    ``_symmetry_equiv_pos_site_id``; the 1-based position in the list when
    the CIF gives none). It is what ``n`` means in an ``n_klm`` code.
    """

    id: str
    triplet: str
    rotation: np.ndarray  # (3, 3) int, read-only
    translation: np.ndarray  # (3,) float, as written (not reduced modulo 1), read-only

    def __post_init__(self) -> None:
        _freeze_arrays(self)

    def __setstate__(self, state: dict) -> None:
        _set_frozen_state(self, state)

    @cached_property
    def is_identity(self) -> bool:
        """Whether R is the unit matrix and t zero (worked out once: the arrays are
        read-only, and a space group's operators are shared by the structures that list
        them)."""
        return bool(
            np.array_equal(self.rotation, np.eye(3, dtype=int)) and not self.translation.any()
        )


class Deferred:
    """An array a reader leaves to be made on first use: ``function(*args)``, made once
    (read-only, :func:`read_only`) and shared by every structure that holds this object
    (a copy made with ``vars(copy).update(vars(s))``, say). Give it as the value of a
    :class:`_DeferredField` of a structure (:attr:`Structure.u_aniso`); ``rows`` selects
    rows of the array when it is made.

    The function must depend on nothing but its arguments and must neither fail nor
    report anything (a note, a warning): the reader decides, when it reads the file, that
    it cannot, and otherwise makes the array at once.
    """

    __slots__ = ("_value", "_work")

    def __init__(self, function, *args, rows: np.ndarray | None = None) -> None:
        # one attribute, read and cleared at once: a thread that finds it gone finds the
        # array made by another
        self._work: tuple | None = (function, args, rows)
        self._value: np.ndarray | None = None

    def take(self, rows: np.ndarray) -> Deferred:
        """The rows ``rows`` of the array, made on first use too."""
        work = self._work
        if work is None:
            return Deferred(read_only, self.value()[rows])
        function, args, before = work
        return Deferred(function, *args, rows=rows if before is None else before[rows])

    def value(self) -> np.ndarray:
        work = self._work
        if work is not None:
            function, args, rows = work
            value = function(*args)
            self._value = read_only(value if rows is None else value[rows])
            self._work = None  # what it was made from may go
        assert self._value is not None
        return self._value


class _DeferredField:
    """A field of a frozen dataclass whose value may be given as a :class:`Deferred`: the
    first read makes it and keeps the array in its place (so ``vars`` and pickles hold
    arrays from then on; :meth:`Structure.__getstate__` makes every one first)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:  # on the class: no default value (dataclasses asks this)
            raise AttributeError(self.name)
        value = obj.__dict__[self.name]
        if type(value) is Deferred:
            value = obj.__dict__[self.name] = value.value()
        return value

    def __set__(self, obj, value) -> None:  # the dataclass __init__ (frozen: nobody else)
        obj.__dict__[self.name] = value


@dataclass(frozen=True, eq=False)
class GeomLoop:
    """One of the authors' ``_geom_*`` loops, as printed.

    ``columns`` are the tags without their category prefix (``atom_site_label_1``,
    ``distance``, ``site_symmetry_2``, …; the bare ``_geom_angle`` and
    ``_geom_torsion`` values are ``value``); ``values`` the cells as
    written (quotes removed by :meth:`frame`), row after row; ``line`` the
    line of the loop in the file.
    """

    columns: tuple[str, ...]
    values: tuple[str, ...]
    line: int | None = None

    def __len__(self) -> int:
        return len(self.values) // max(len(self.columns), 1)

    def frame(self) -> pd.DataFrame:
        import pandas as pd

        width = len(self.columns)
        cells = [_unquote(v) for v in self.values]
        rows = [cells[r : r + width] for r in range(0, len(cells), width)]
        return pd.DataFrame(rows, columns=list(self.columns), dtype=object)


def _unquote(token: str) -> str:
    if len(token) >= 2 and token[0] in "'\"" and token[-1] == token[0]:
        return token[1:-1]
    return token


@dataclass(frozen=True)
class Site:
    """A readable view of one site of the asymmetric unit (see :meth:`Structure.site`)."""

    index: int
    label: str
    element: str
    fract: tuple[float, float, float]
    fract_su: tuple[float, float, float]
    occupancy: float
    u_iso: float
    disorder_assembly: str
    disorder_group: str
    calc: bool
    site_symmetry_order: int


@dataclass(frozen=True, eq=False)
class Structure:
    """One CIF data block as an asymmetric unit plus its symmetry.

    Site arrays are parallel, indexed by site number ``i`` in CIF order.
    ``fract`` holds coordinates already snapped onto special positions;
    ``fract_cov`` the 3×3 covariance of each site's fractional coordinates
    (from the CIF su's, projected onto the site's special-position subspace).
    ``fract_rounding`` is half a unit of the last printed digit of each
    coordinate, used to judge values computed from coordinates printed
    without su (riding H atoms).

    Every array is read-only (:func:`read_only`, applied by ``__post_init__``, so also to
    the arrays given to ``dataclasses.replace``): caches keyed by the structure hold
    values derived from them. ``u_aniso`` may be given as a :class:`Deferred`, made (and
    kept, read-only) on first use: the reader leaves the U_ij, which only powder patterns
    and exports read, for then.
    """

    path: str
    block: str
    cell: Cell
    symops: tuple[SymOp, ...]
    labels: tuple[str, ...]
    elements: tuple[str, ...]
    fract: np.ndarray  # (N, 3)
    fract_su: np.ndarray  # (N, 3), 0 where not given
    fract_cov: np.ndarray  # (N, 3, 3)
    fract_rounding: np.ndarray  # (N, 3)
    occupancy: np.ndarray  # (N,)
    u_iso: np.ndarray  # (N,), nan when not given
    # (N, 6) U11 U22 U33 U12 U13 U23, nan when not given; a reader may give a Deferred
    # (only powder patterns and exports read them, bulk never)
    u_aniso: np.ndarray = _DeferredField()  # type: ignore[assignment]
    disorder_assembly: tuple[str, ...]
    disorder_group: tuple[str, ...]  # "" when ordered
    calc: np.ndarray  # (N,) bool: calc/riding flag or no su on any coordinate of an H
    site_symmetry_order: np.ndarray  # (N,) int, 1 on a general position
    site_projector: np.ndarray  # (N, 3, 3) maps coordinate shifts onto each site's special position
    space_group: str = ""
    crystal_system: str = ""
    temperature: float | None = None  # K
    temperature_su: float | None = None
    line: int | None = None  # line of the data_ header
    info: Mapping[str, str] = field(default_factory=dict)  # crystal data for reports
    geom: Mapping[str, GeomLoop] = field(default_factory=dict)  # published _geom_* loops
    notes: tuple[str, ...] = ()  # what the reader did that a user should know
    #: labels of sites the CIF lists although they are symmetry images of another site
    #: (CSD exports list N1A … beside N1): dropped label → label of the site kept
    duplicates: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _freeze_arrays(self)

    def __getstate__(self) -> dict:
        """The fields and cached values, a :class:`Deferred` field made first (pickle,
        ``copy.deepcopy``)."""
        state = dict(vars(self))
        for name, value in state.items():
            if type(value) is Deferred:
                state[name] = getattr(self, name)
        return state

    def __setstate__(self, state: dict) -> None:
        _set_frozen_state(self, state)

    def __len__(self) -> int:
        return len(self.labels)

    @cached_property
    def _label_index(self) -> dict[str, int]:
        index: dict[str, int] = {}
        for i, label in enumerate(self.labels):
            index.setdefault(label, i)
        for i, label in enumerate(self.labels):
            index.setdefault(label.upper(), i)
        return index

    def index(self, label: str) -> int:
        """Site number of a label (exact match first, then case-insensitive); KeyError if absent."""
        idx = self._label_index.get(label)
        if idx is None:
            idx = self._label_index.get(label.upper())
        if idx is None:
            raise KeyError(label)
        return idx

    @cached_property
    def _label_sites(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for i, label in enumerate(self.labels):
            out.setdefault(label, []).append(i)
        return out

    def sites_with_label(self, label: str) -> list[int]:
        """Every site with this label (exact, else case-insensitive); CIFs do repeat labels."""
        found = self._label_sites.get(label)
        if found:
            return list(found)
        upper = label.upper()
        return [i for i, lab in enumerate(self.labels) if lab.upper() == upper]

    def __repr__(self) -> str:
        return (
            f"Structure(block={self.block!r}, path={self.path!r}, {len(self)} sites, "
            f"{self.space_group!r}, T={self.temperature})"
        )

    def site(self, i: int) -> Site:
        return Site(
            index=i,
            label=self.labels[i],
            element=self.elements[i],
            fract=tuple(float(x) for x in self.fract[i]),
            fract_su=tuple(float(x) for x in self.fract_su[i]),
            occupancy=float(self.occupancy[i]),
            u_iso=float(self.u_iso[i]),
            disorder_assembly=self.disorder_assembly[i],
            disorder_group=self.disorder_group[i],
            calc=bool(self.calc[i]),
            site_symmetry_order=int(self.site_symmetry_order[i]),
        )

    @property
    def sites(self) -> list[Site]:
        return [self.site(i) for i in range(len(self))]

    @cached_property
    def rotations(self) -> np.ndarray:
        """(n_ops, 3, 3) int rotation matrices in CIF order."""
        rotations = read_only(np.array([op.rotation for op in self.symops], dtype=int))
        return read_only(rotations.reshape(-1, 3, 3))  # a view of a read-only array

    @cached_property
    def rotations_float(self) -> np.ndarray:
        """:attr:`rotations` as floats (exact), for products with coordinates: numpy then
        need not convert the integers on every product."""
        return read_only(self.rotations.astype(float))

    @cached_property
    def translations(self) -> np.ndarray:
        """(n_ops, 3) translations in CIF order."""
        translations = read_only(np.array([op.translation for op in self.symops], dtype=float))
        return read_only(translations.reshape(-1, 3))

    @cached_property
    def identity_op(self) -> int:
        """Index of the identity operator in :attr:`symops`."""
        for k, op in enumerate(self.symops):
            if op.is_identity:
                return k
        raise ValueError("no identity operator")  # the reader guarantees one

    @cached_property
    def cartesian(self) -> np.ndarray:
        """(N, 3) Cartesian coordinates of the asymmetric unit, Å."""
        return read_only(self.fract @ self.cell.orthogonalization.T)

    def sites_frame(self) -> pd.DataFrame:
        """The asymmetric unit as a table (one row per site)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "label": self.labels,
                "element": self.elements,
                "x": self.fract[:, 0],
                "y": self.fract[:, 1],
                "z": self.fract[:, 2],
                "x_su": self.fract_su[:, 0],
                "y_su": self.fract_su[:, 1],
                "z_su": self.fract_su[:, 2],
                "occupancy": self.occupancy,
                "u_iso": self.u_iso,
                "disorder_assembly": self.disorder_assembly,
                "disorder_group": self.disorder_group,
                "calc": self.calc,
                "site_symmetry_order": self.site_symmetry_order,
            }
        )


def _freeze_arrays(obj: object) -> None:
    """Each array field of a frozen dataclass made read-only (:func:`read_only`); a copy
    is stored in its place where the array had to be copied. Called by ``__post_init__``,
    when the instance's ``__dict__`` holds its fields only (no cached property yet): one
    pass over it, ~3× cheaper than ``dataclasses.fields``; and by ``__setstate__`` (pickle,
    ``copy.deepcopy``), where it holds the cached properties too."""
    for name, value in list(vars(obj).items()):
        if isinstance(value, np.ndarray):
            frozen = read_only(value)
            if frozen is not value:
                object.__setattr__(obj, name, frozen)


def _set_frozen_state(obj: object, state: dict) -> None:
    """``__setstate__`` of :class:`Cell`, :class:`SymOp` and :class:`Structure`: pickle
    and ``copy.deepcopy`` rebuild an instance from its ``__dict__`` without
    ``__post_init__``, and give back writable arrays; the arrays of ``state`` (fields and
    cached properties such as :attr:`Structure.cartesian`) are made read-only again."""
    vars(obj).update(state)
    _freeze_arrays(obj)
