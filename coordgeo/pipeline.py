"""One analysis of one structure, behind every door (API, CLI, compare, bulk, report).

:func:`analyse_structure` runs, with one validated set of :class:`Options`,

    coordination spheres → per-site distortion and shape parameters → spin and
    oxidation state → hydrogen bonds

and returns an :class:`Analysis`. What is not needed by every caller (the Table S1
geometry of the spheres, the structure graph) is computed on first use and kept.
Everything that shows or stores these results (``coordgeo octahedra``, ``coordgeo
hbonds``, ``coordgeo compare``, ``coordgeo bulk``, ``coordgeo report``) reads them from
here, so the same question gets the same answer through every door.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from coordgeo.coordination import Sphere, coordination_spheres, is_information
from coordgeo.errors import InputError
from coordgeo.model import Structure
from coordgeo.options import (
    DEFAULT_HA_MARGIN,
    DEFAULT_MIN_ANGLE,
    DEFAULT_TOLERANCE,
    validate_in_range,
    validate_tolerance,
)

if TYPE_CHECKING:  # pandas loads where a DataFrame is made (start-up time)
    import pandas as pd

__all__ = [
    "Analysis",
    "Options",
    "analyse",
    "analyse_structure",
    "make_options",
    "parse_oxidation_states",
    "parse_shapes",
    "site_columns_of",
]


def parse_shapes(shapes: str | Iterable[str] | None) -> str | tuple[str, ...]:
    """``"all"`` or a tuple of SHAPE labels, checked against :func:`coordgeo.shape.shape_labels`.

    Accepts ``"all"``, a comma list (``"OC-6,TPR-6"``, any case, spaces ignored) or an
    iterable of labels. An unknown label is an InputError naming the known ones, so
    ``OC6`` is never silently an empty column.
    """
    from coordgeo.shape import shape_labels

    if shapes is None:
        return "all"
    if isinstance(shapes, str):
        if shapes.strip().lower() == "all":
            return "all"
        items = shapes.split(",")
    else:
        items = list(shapes)
    given = [str(s).strip() for s in items if str(s).strip()]
    if not given:
        raise InputError("no shape given: use 'all' or labels such as OC-6,TPR-6")
    known = shape_labels()
    # any case: SHAPE's own labels mix cases (vOC-5, vTBPY-4, mvOC-3), so the upper-cased
    # text of a user is matched to the label it spells, never compared as typed
    by_upper = {label.upper(): label for label in known}
    unknown = [s for s in given if s.upper() not in by_upper]
    if unknown:
        raise InputError(
            f"unknown shape {', '.join(unknown)}; known shapes: {', '.join(known)} (or 'all')"
        )
    return tuple(dict.fromkeys(by_upper[s.upper()] for s in given))


def parse_oxidation_states(
    given: str | Mapping[str, int] | Iterable[str] | None,
) -> dict[str, int]:
    """Oxidation states a user states per metal label: ``"Fe1=2,Co1=3"`` or a mapping.

    Returns ``{label: state}`` (empty when nothing is given). Each state is an integer
    from −4 to +8, the range of known oxidation states.
    """
    if given is None:
        return {}
    if isinstance(given, Mapping):
        pairs = list(given.items())
    else:
        texts = given.split(",") if isinstance(given, str) else list(given)
        pairs = []
        for text in (t for part in texts for t in str(part).split(",")):
            label, sep, value = text.strip().partition("=")
            if not sep or not label.strip():
                raise InputError(f"oxidation state {text.strip()!r}: write LABEL=STATE, e.g. Fe1=2")
            pairs.append((label.strip(), value.strip()))
    out: dict[str, int] = {}
    for label, value in pairs:
        try:
            state = int(str(value).lstrip("+"))
        except ValueError:
            raise InputError(f"oxidation state of {label}: {value!r} is not an integer") from None
        if not -4 <= state <= 8:
            raise InputError(f"oxidation state of {label}: {state} is outside −4 … +8")
        out[str(label)] = state
    return out


@dataclass(frozen=True)
class Options:
    """Every option of the analysis, checked once when made (:func:`make_options`).

    ``tolerance``: Å added to the sum of covalent radii for a bond.
    ``shapes``: ``"all"`` or SHAPE labels for the continuous shape measures.
    ``ha_margin``, ``min_angle``, ``include_c``, ``include_s``: the hydrogen-bond
    criteria of :func:`coordgeo.hbonds.hbonds`. ``oxidation_states``: metal label →
    oxidation state stated by the user (``(("Fe1", 2),)``), which the spin assignment
    takes as given.
    """

    tolerance: float = DEFAULT_TOLERANCE
    shapes: str | tuple[str, ...] = "all"
    ha_margin: float = DEFAULT_HA_MARGIN
    min_angle: float = DEFAULT_MIN_ANGLE
    include_c: bool = False
    include_s: bool = False
    oxidation_states: tuple[tuple[str, int], ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "tolerance", validate_tolerance(self.tolerance))
        object.__setattr__(
            self, "ha_margin", validate_in_range(self.ha_margin, "--margin", -3.0, 3.0, " Å")
        )
        object.__setattr__(
            self, "min_angle", validate_in_range(self.min_angle, "--min-angle", 0.0, 180.0, "°")
        )
        object.__setattr__(self, "shapes", parse_shapes(self.shapes))
        states = parse_oxidation_states(dict(self.oxidation_states))
        object.__setattr__(self, "oxidation_states", tuple(sorted(states.items())))

    @property
    def hbond_criteria(self) -> dict:
        """Keyword arguments of :func:`coordgeo.hbonds.hbonds`."""
        return {
            "ha_margin": self.ha_margin,
            "min_angle": self.min_angle,
            "include_c": self.include_c,
            "include_s": self.include_s,
            "tolerance": self.tolerance,
        }


def make_options(
    options: Options | None = None,
    *,
    oxidation_states: str | Mapping[str, int] | Iterable[str] | None = None,
    **values,
) -> Options:
    """:class:`Options` from keyword values (``tolerance=0.4, shapes="OC-6"``), or ``options``
    with those values replaced. Unknown names are a TypeError, bad values an InputError."""
    base = options or Options()
    fields = {**base.__dict__, **{k: v for k, v in values.items() if v is not None}}
    if oxidation_states is not None:
        fields["oxidation_states"] = tuple(parse_oxidation_states(oxidation_states).items())
    unknown = set(fields) - set(Options.__dataclass_fields__)
    if unknown:
        raise TypeError(f"unknown option(s): {', '.join(sorted(unknown))}")
    return Options(**fields)


@dataclass(frozen=True, eq=False)
class Analysis:
    """Everything :func:`analyse_structure` found in one structure.

    ``spheres``: :func:`coordgeo.coordination.coordination_spheres`; ``unresolved``: the
    spheres that are disorder the rules could not resolve (anion donors and CN > 12), kept
    apart and named in ``notes``, never shown as coordination spheres. ``sites``: one row per
    sphere, :func:`coordgeo.polyhedra.site_parameters` followed by the columns of
    :func:`coordgeo.spin.assign` and ``element`` (the metal's). ``hbonds``:
    :func:`coordgeo.hbonds.hbonds`. Everything but the spheres is computed on first use
    and kept, so a caller pays only for what it reads.
    """

    structure: Structure
    options: Options
    spheres: list[Sphere]
    unresolved: list[Sphere] = field(default_factory=list)

    @property
    def notes(self) -> list[str]:
        """What a reader must be told: spheres that are unresolved disorder (not printed as
        coordination spheres) and what the sphere rules did (:attr:`Sphere.notes`)."""
        out = [sp.problem for sp in self.unresolved if sp.problem]
        out += [note for sp in self.spheres for note in getattr(sp, "notes", ())]
        return list(dict.fromkeys(out))

    @property
    def warnings(self) -> list[str]:
        """:attr:`notes` a user is warned of (stderr): all but the information on routine
        chemistry (:func:`coordgeo.coordination.is_information`, the Cu···Cu of a
        paddle-wheel), which the sphere and site tables show under them."""
        return [note for note in self.notes if not is_information(note)]

    @property
    def information(self) -> list[str]:
        """:attr:`notes` that are information, not warnings (:attr:`warnings`)."""
        return [note for note in self.notes if is_information(note)]

    @cached_property
    def sites(self) -> pd.DataFrame:
        """Per-site parameters with su's, then spin and oxidation state (class docstring)."""
        import pandas as pd

        if not self.spheres:
            from coordgeo.polyhedra import site_parameters

            return site_parameters(self.structure, self.spheres, shapes=self.options.shapes)
        return pd.DataFrame(self.site_columns)

    @cached_property
    def site_columns(self) -> dict:
        """:attr:`sites` as columns in order ({} without spheres), for bulk, which stores
        them without making a DataFrame."""
        return site_columns_of([self])[0]

    @cached_property
    def hbonds(self) -> pd.DataFrame:
        """D–H···A hydrogen bonds with the options' criteria."""
        from coordgeo.hbonds import frame_of_hbonds

        return frame_of_hbonds(self.hbond_columns)

    @cached_property
    def hbond_columns(self) -> dict | None:
        """:attr:`hbonds` as columns (:func:`coordgeo.hbonds.hbond_columns`; None: no
        H-bonds), for bulk and the contacts table, which need no DataFrame."""
        from coordgeo.hbonds import hbond_columns

        return hbond_columns(self.structure, **self.options.hbond_criteria)

    @cached_property
    def contacts(self) -> pd.DataFrame:
        """π–π stacking, X–H···π and hydrogen bonds (also D···A whose H was not located),
        with su's: :func:`coordgeo.contacts.contacts` with the options' bond tolerance and
        H-bond criteria, every other criterion at its documented default."""
        from coordgeo.contacts import frame_of_contacts

        return frame_of_contacts(self.contact_columns)

    @cached_property
    def contact_columns(self) -> dict | None:
        """:attr:`contacts` as columns (:func:`coordgeo.contacts.contact_columns`; None:
        no contacts), for bulk, which stores them without making a DataFrame."""
        from coordgeo.contacts import contact_columns

        o = self.options
        return contact_columns(
            self.structure,
            "all",
            ha_margin=o.ha_margin,
            min_angle=o.min_angle,
            include_c=o.include_c,
            include_s=o.include_s,
            tolerance=o.tolerance,
            # the same criteria: one search for both ({}: none, not to be sought again)
            hbond_table={} if self.hbond_columns is None else self.hbond_columns,
        )

    @cached_property
    def geometry(self) -> pd.DataFrame:
        """M–L bonds and L–M–L angles of every sphere with su's
        (:func:`coordgeo.coordination.sphere_geometry`), the table of :attr:`geometry_columns`."""
        from coordgeo.coordination import frame_of_sphere_geometry

        return frame_of_sphere_geometry(self.structure, self.geometry_columns)

    @cached_property
    def geometry_columns(self) -> dict[str, list]:
        """:attr:`geometry` as columns (:func:`coordgeo.coordination.sphere_geometry_columns`),
        for a command that prints them without making a DataFrame (``coordgeo sphere``)."""
        from coordgeo.coordination import sphere_geometry_columns

        return sphere_geometry_columns(self.structure, self.spheres)

    @cached_property
    def graph(self):
        """The structure graph with H-bond edges (:func:`coordgeo.graph.structure_graph`)."""
        from coordgeo.graph import structure_graph

        return structure_graph(self.structure, tolerance=self.options.tolerance, hbonds=self.hbonds)

    def __repr__(self) -> str:
        return (
            f"Analysis({self.structure.block!r}: {len(self.spheres)} metal sites, "
            f"{len(self.hbonds)} H-bonds)"
        )


#: Parameters that symmetry can fix at exactly zero, with the scale :func:`snap_zero` compares
#: them to (``"n_d"``: coordination number × ⟨d⟩, for ζ in Å).
_ZERO_SCALES = {"zeta": "n_d", "Delta": 1.0, "Sigma": 180.0, "Theta": 180.0}


def _snap_zeros(columns: dict) -> dict:
    """Values symmetry fixes at zero become 0 with su 0 (printed ``0``, not ``0.00000(5)``)."""
    from coordgeo.descriptors import SNAP_TOLERANCE, snap_zero

    scales: dict = dict(_ZERO_SCALES)
    scales.update(
        {c: 100.0 for c in columns if c.startswith("cshm_") and c.endswith(tuple("0123456789"))}
    )
    scales = {c: scale for c, scale in scales.items() if c in columns and f"{c}_su" in columns}
    if not scales:
        return columns
    if "n_d" in scales.values():
        n_d = np.asarray(columns["coordination_number"], dtype=float) * np.asarray(
            columns["d_mean"], dtype=float
        )
        scales = {c: n_d if scale == "n_d" else scale for c, scale in scales.items()}
    # one test of the columns with a fixed scale first: most sites have nothing to snap
    fixed = [c for c, scale in scales.items() if isinstance(scale, float)]
    values = np.stack([np.asarray(columns[c], dtype=float) for c in fixed])
    bounds = SNAP_TOLERANCE * np.abs(np.array([scales[c] for c in fixed]))
    near_zero = bool((np.abs(values) <= bounds[:, None]).any())
    for c, scale in scales.items():  # ζ, compared to n·⟨d⟩ of each site
        if not isinstance(scale, float):
            near_zero |= bool((np.abs(columns[c]) <= SNAP_TOLERANCE * np.abs(scale)).any())
    if not near_zero:
        return columns
    for column, scale in scales.items():
        columns[column], columns[f"{column}_su"] = snap_zero(
            columns[column], columns[f"{column}_su"], scale
        )
    return columns


def site_columns_of(analyses: list[Analysis]) -> list[dict]:
    """:attr:`Analysis.site_columns` of several analyses with the same ``shapes`` and
    ``tolerance`` options: their polyhedra and descriptors in stacked evaluations, one per
    coordination number for all of them (:func:`coordgeo.polyhedra.site_columns_of`,
    :func:`coordgeo.descriptors.site_descriptors_of`), then the spin assignment of all of
    them in one posterior (:func:`coordgeo.spin.assign_columns_of`; what each CIF states
    about oxidation states is read per structure). What a bulk worker does for the
    structures of all the files of its batch; the attribute is the same call with one
    analysis. ``{}`` for an analysis without spheres.
    """
    from coordgeo import spin
    from coordgeo.descriptors import site_descriptors_of
    from coordgeo.polyhedra import site_columns_of as polyhedra_of

    measured = [a for a in analyses if a.spheres]
    if not measured:
        return [{} for _ in analyses]
    if len({(a.options.shapes, a.options.tolerance) for a in measured}) > 1:
        raise ValueError("site_columns_of: analyses with different shapes or tolerance")
    options = measured[0].options
    jobs = [(a.structure, a.spheres) for a in measured]
    # columns first, one DataFrame at the end: a DataFrame per step (and a concat, an
    # assign, a column set per zero snapped) cost more than the numbers of a small site
    volumes: list[dict | None] = [{} for _ in measured]  # the site table's hulls serve ⟨λ⟩
    points: list[dict | None] = [{} for _ in measured]  # and its positions the descriptors
    tables = [_snap_zeros(t) for t in polyhedra_of(jobs, options.shapes, volumes, points)]
    for table, found in zip(
        tables, site_descriptors_of(jobs, options.tolerance, volumes, points), strict=True
    ):
        table.update(found)
    # the spin states of all of them in one posterior (spin.assign_columns_of)
    states = spin.assign_columns_of(
        [
            (a.structure, columns, a.spheres, dict(a.options.oxidation_states) or None)
            for a, columns in zip(measured, tables, strict=True)
        ],
        options.tolerance,  # the bonds of the evidence (formula moiety, donor charges) too
    )
    done = iter(zip(tables, states, strict=True))
    out = []
    for analysis in analyses:
        if not analysis.spheres:
            out.append({})
            continue
        columns, assigned = next(done)
        structure, spheres = analysis.structure, analysis.spheres
        columns["element"] = np.array(
            [structure.elements[sp.metal] for sp in spheres], dtype=object
        )
        # the contract columns of `coordgeo octahedra` stay last, the other spin columns before
        for c in assigned:
            if c not in spin.CONTRACT_COLUMNS:
                columns[c] = assigned[c]
        for c in spin.CONTRACT_COLUMNS:
            columns[c] = assigned[c]
        out.append(columns)
    return out


def analyse_structure(structure: Structure, options: Options | None = None) -> Analysis:
    """Spheres, site parameters with spin states, and hydrogen bonds of one structure."""
    options = options or Options()
    found = coordination_spheres(structure, options.tolerance, unresolved=True)
    return Analysis(
        structure,
        options,
        [sp for sp in found if not sp.problem],
        [sp for sp in found if sp.problem],
    )


def analyse(structures: Iterable[Structure], options: Options | None = None) -> list[Analysis]:
    """:func:`analyse_structure` of each structure with the same options."""
    return [analyse_structure(s, options) for s in structures]
