"""Structures from and to the field's other libraries: gemmi, ase and pymatgen.

Every function of the API that takes structures (``coordgeo.octahedra(x)``, …) turns its
argument into :class:`~coordgeo.model.Structure` objects with :func:`as_structures`, which
accepts

* a path (``str`` or :class:`pathlib.Path`) of a CIF: one Structure per data block;
* CIF text (a ``str`` holding ``data_`` and a line break, or ``bytes``);
* a :class:`~coordgeo.model.Structure`, or any iterable of the accepted things;
* a ``gemmi.cif.Block`` or ``gemmi.cif.Document`` (what ``gemmi.cif.read`` returns);
* a ``gemmi.SmallStructure`` (:func:`from_gemmi`);
* an ``ase.Atoms`` with a unit cell, periodic in three dimensions (:func:`from_ase`);
* a pymatgen ``Structure`` (:func:`from_pymatgen`).

Each object is written as a CIF block by gemmi and read back by the one CIF reader
(:func:`coordgeo.io.cif.structure_from_block`), so special positions, riding hydrogens and
disorder get the same treatment as in a file. What each source cannot carry is lost
(``docs/interop.md`` has the table):

* gemmi ``SmallStructure``: every su (cell, coordinates), so the results' su's are 0;
  temperature, crystal data, the authors' ``_geom_*`` loops; disorder assemblies (gemmi
  keeps only the group, as a number).
* ``ase.Atoms`` and pymatgen ``Structure``: all the above, and the symmetry: the atoms of
  the whole cell become the sites of a P1 structure (Z metal sites where the CIF has one,
  with identical geometry); labels unless they are unique (else ``Fe1``, ``Fe2``, … in
  order, as ase's CIF writer names them); occupancies unless given (ase: an ``occupancy``
  array or the ``info["occupancy"]`` of ase's CIF reader; pymatgen: partial species
  occupancies); disorder groups unless given (``disorder_group``/``disorder_assembly``
  arrays or site properties, which :func:`to_ase` and :func:`to_pymatgen` write).

The other way, :func:`to_ase` (the cell contents, periodic), :func:`sphere_to_ase` (one
coordination sphere), :func:`to_pymatgen` (the cell contents, partial occupancies as
species occupancies) and :func:`to_gemmi` (the asymmetric unit with its symmetry
operators) hand a Structure to those libraries' viewers, calculators and writers.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import gemmi
import numpy as np

from coordgeo.errors import InputError
from coordgeo.export import sphere_to_ase, to_ase
from coordgeo.io.cif import read_cif, structure_from_block
from coordgeo.model import Structure

__all__ = [
    "as_structures",
    "from_ase",
    "from_cif_text",
    "from_gemmi",
    "from_pymatgen",
    "sphere_to_ase",
    "to_ase",
    "to_gemmi",
    "to_pymatgen",
]

ACCEPTED = (
    "a CIF path or CIF text, a coordgeo Structure, a gemmi.SmallStructure or gemmi.cif "
    "Block/Document, an ase.Atoms with a unit cell, a pymatgen Structure, or a list of them"
)

_CELL_TAGS = (
    "_cell_length_a",
    "_cell_length_b",
    "_cell_length_c",
    "_cell_angle_alpha",
    "_cell_angle_beta",
    "_cell_angle_gamma",
)
_ANISO = ("U_11", "U_22", "U_33", "U_12", "U_13", "U_23")


# --- what the API accepts -----------------------------------------------------------------


def as_structures(source: Any) -> list[Structure]:
    """Every accepted kind of input (see the module docstring) → a list of Structures.

    Raises
    ------
    coordgeo.errors.InputError
        A file that cannot be read, CIF text with an error, an object of another kind
        (the message lists the accepted ones), an ``ase.Atoms`` without a cell.
    """
    if isinstance(source, Structure):
        return [source]
    if isinstance(source, bytes):
        return from_cif_text(source.decode("utf-8", "replace"))
    if isinstance(source, str):
        if "data_" in source and "\n" in source:
            return from_cif_text(source)
        return read_cif(source)
    if isinstance(source, Path):
        return read_cif(source)
    if isinstance(source, gemmi.SmallStructure):
        return [from_gemmi(source)]
    if isinstance(source, gemmi.cif.Block):
        return [_from_block(source, path="<gemmi.cif.Block>")]
    if isinstance(source, gemmi.cif.Document):
        return _from_document(source, "<gemmi.cif.Document>")
    if _is(source, "ase.atoms", "Atoms"):
        return [from_ase(source)]
    if _is(source, "pymatgen.core.structure", "IStructure"):
        return [from_pymatgen(source)]
    if _is(source, "pymatgen.core.structure", "IMolecule"):
        raise InputError("a pymatgen Molecule has no unit cell: give a pymatgen Structure")
    if isinstance(source, gemmi.Structure):
        raise InputError(
            "a gemmi.Structure is a macromolecular model: read small molecules with "
            "gemmi.read_small_structure (a gemmi.SmallStructure) or give the CIF"
        )
    if isinstance(source, Iterable) and not isinstance(source, dict):
        return [s for item in source for s in as_structures(item)]
    raise InputError(f"cannot read structures from {_kind(source)}: give {ACCEPTED}")


def _is(obj: object, module: str, name: str) -> bool:
    """isinstance without importing ``module`` (an object of it means it is imported)."""
    loaded = sys.modules.get(module)
    cls = getattr(loaded, name, None) if loaded is not None else None
    return isinstance(cls, type) and isinstance(obj, cls)


def _kind(obj: object) -> str:
    cls = type(obj)
    module = cls.__module__
    return f"a {cls.__qualname__}" if module == "builtins" else f"a {module}.{cls.__qualname__}"


def from_cif_text(text: str, name: str = "<CIF text>") -> list[Structure]:
    """CIF text (not a file name) → one Structure per data block with atom sites.

    ``name`` stands for the path in the structures and in error messages.
    """
    try:
        doc = gemmi.cif.read_string(text)
    except (RuntimeError, ValueError) as exc:
        raise InputError(f"CIF syntax: {str(exc).strip()}", path=name) from None
    return _from_document(doc, name)


def _from_document(doc: gemmi.cif.Document, name: str) -> list[Structure]:
    structures = [
        _from_block(block, path=name) for block in doc if block.find_values("_atom_site_fract_x")
    ]
    if not structures:
        raise InputError("no data block with atom sites (_atom_site_fract_x)", path=name)
    return structures


def _from_block(block: gemmi.cif.Block, path: str, note: str = "") -> Structure:
    try:
        structure = structure_from_block(block, path=path)
    except InputError as exc:
        raise exc.located(path=path, block=block.name) from None
    if note:
        structure = dataclasses.replace(structure, notes=(*structure.notes, note))
    return structure


# --- the CIF block every import goes through ---------------------------------------------


def _number(x: float) -> str:
    """Full precision (shortest repr that round-trips), ``?`` when unknown."""
    x = float(x)
    return repr(x) if np.isfinite(x) else "?"


def _text(x: object) -> str:
    s = str(x).strip()
    return gemmi.cif.quote(s) if s else "."


@dataclasses.dataclass
class _Sites:
    """The atom-site columns of a CIF block, filled site by site."""

    labels: list[str] = dataclasses.field(default_factory=list)
    elements: list[str] = dataclasses.field(default_factory=list)
    fract: list[Sequence[float]] = dataclasses.field(default_factory=list)
    occupancy: list[float] = dataclasses.field(default_factory=list)
    u_iso: list[float] = dataclasses.field(default_factory=list)
    assembly: list[str] = dataclasses.field(default_factory=list)
    group: list[str] = dataclasses.field(default_factory=list)
    aniso: list[Sequence[float] | None] = dataclasses.field(default_factory=list)

    def add(
        self,
        label: str,
        element: str,
        fract: Sequence[float],
        occupancy: float = 1.0,
        u_iso: float = float("nan"),
        assembly: str = "",
        group: str = "",
        aniso: Sequence[float] | None = None,
    ) -> None:
        self.labels.append(label)
        self.elements.append(element)
        self.fract.append(fract)
        self.occupancy.append(occupancy)
        self.u_iso.append(u_iso)
        self.assembly.append(assembly)
        self.group.append(group)
        self.aniso.append(aniso)


def _unique_labels(labels: Sequence[str | None], elements: Sequence[str]) -> list[str]:
    """The labels when all are given and unique; else Fe1, Fe2, N1, … (ase's CIF writer)."""
    if all(labels) and len(set(labels)) == len(labels):
        return [str(label) for label in labels]
    count: dict[str, int] = {}
    out = []
    for element in elements:
        count[element] = count.get(element, 0) + 1
        out.append(f"{element}{count[element]}")
    return out


def _block(
    name: str,
    cell: Sequence[float],
    triplets: Sequence[str],
    sites: _Sites,
    space_group: str = "",
) -> tuple[gemmi.cif.Document, gemmi.cif.Block]:
    """A CIF block (and the document that owns it) of a cell, operators and sites."""
    doc = gemmi.cif.Document()
    block = doc.add_new_block("_".join(name.split()) or "structure")
    for tag, value in zip(_CELL_TAGS, cell, strict=True):
        block.set_pair(tag, _number(value))
    if space_group:
        block.set_pair("_space_group_name_H-M_alt", gemmi.cif.quote(space_group))
    ops = block.init_loop("_space_group_symop_", ["id", "operation_xyz"])
    for k, triplet in enumerate(triplets):
        ops.add_row([str(k + 1), gemmi.cif.quote(triplet.replace(" ", ""))])
    columns = ["label", "type_symbol", "fract_x", "fract_y", "fract_z", "U_iso_or_equiv"]
    columns += ["occupancy", "calc_flag", "disorder_assembly", "disorder_group"]
    loop = block.init_loop("_atom_site_", columns)
    for i, label in enumerate(sites.labels):
        element = sites.elements[i]
        loop.add_row(
            [
                _text(label),
                _text(element),
                *(_number(x) for x in sites.fract[i]),
                _number(sites.u_iso[i]),
                _number(sites.occupancy[i]),
                "dum" if element == "X" else ".",
                _text(sites.assembly[i]),
                _text(sites.group[i]),
            ]
        )
    aniso = [(i, u) for i, u in enumerate(sites.aniso) if u is not None and np.all(np.isfinite(u))]
    if aniso:
        loop = block.init_loop("_atom_site_aniso_", ["label", *_ANISO])
        for i, u in aniso:
            loop.add_row([_text(sites.labels[i]), *(_number(x) for x in u)])
    return doc, block


def _structure(
    path: str,
    name: str,
    cell: Sequence[float],
    triplets: Sequence[str],
    sites: _Sites,
    note: str,
    space_group: str = "",
) -> Structure:
    if not sites.labels:
        raise InputError("no atoms", path=path)
    _doc, block = _block(name, cell, triplets, sites, space_group)  # _doc keeps block alive
    return _from_block(block, path=path, note=note)


# --- gemmi --------------------------------------------------------------------------------


def from_gemmi(small: gemmi.SmallStructure, path: str = "<gemmi.SmallStructure>") -> Structure:
    """A ``gemmi.SmallStructure`` (asymmetric unit and symmetry) → Structure.

    Keeps labels, elements, coordinates, occupancies, Uiso/Uaniso, disorder groups and the
    symmetry operators (``small.symops``, else those of ``small.spacegroup_hm``); su's,
    temperature and crystal data are not in a SmallStructure.
    """
    triplets = [str(t) for t in small.symops]
    if not triplets:
        sg = small.find_spacegroup() if small.spacegroup_hm else None
        if small.spacegroup_hm and sg is None:
            raise InputError(f"unknown space group {small.spacegroup_hm!r}", path=path)
        triplets = [op.triplet() for op in sg.operations()] if sg is not None else ["x,y,z"]
    sites = _Sites()
    for site in small.sites:
        element = site.element.name if site.element.atomic_number else "X"
        u = site.aniso
        aniso = (u.u11, u.u22, u.u33, u.u12, u.u13, u.u23) if u.nonzero() else None
        group = str(site.disorder_group) if site.disorder_group else ""
        sites.add(
            site.label,
            element,
            (site.fract.x, site.fract.y, site.fract.z),
            site.occ,
            site.u_iso if site.u_iso else float("nan"),
            group=group,
            aniso=aniso,
        )
    cell = small.cell
    params = (cell.a, cell.b, cell.c, cell.alpha, cell.beta, cell.gamma)
    note = "read from a gemmi.SmallStructure: no su's"
    name = small.name or "gemmi"
    return _structure(path, name, params, triplets, sites, note, small.spacegroup_hm)


def to_gemmi(structure: Structure) -> gemmi.SmallStructure:
    """The asymmetric unit with the CIF's symmetry operators as a ``gemmi.SmallStructure``.

    Labels, elements, coordinates (full precision), occupancies, Uiso/Uaniso and numeric
    disorder groups; su's are not part of a SmallStructure. Dummy sites are left out.
    """
    sites = _Sites()
    for i in range(len(structure)):
        if structure.elements[i] == "X":
            continue
        sites.add(
            structure.labels[i],
            structure.elements[i],
            structure.fract[i],
            structure.occupancy[i],
            structure.u_iso[i],
            structure.disorder_assembly[i],
            structure.disorder_group[i],
            structure.u_aniso[i],
        )
    triplets = [op.triplet for op in structure.symops]
    _doc, block = _block(
        structure.block, structure.cell.parameters, triplets, sites, structure.space_group
    )
    small = gemmi.make_small_structure_from_block(block)
    small.name = structure.block
    return small


# --- ase ----------------------------------------------------------------------------------


def from_ase(atoms: Any, path: str = "<ase.Atoms>") -> Structure:
    """An ``ase.Atoms`` with a cell, periodic in 3D → a P1 Structure of its atoms.

    Per-atom arrays ``labels`` (used when unique), ``occupancy``, ``u_iso``,
    ``disorder_assembly`` and ``disorder_group`` are read when present (:func:`to_ase` writes
    them), and so is the ``info["occupancy"]`` that ase's CIF reader leaves.
    """
    if atoms.cell.rank < 3 or not all(atoms.pbc):
        raise InputError(
            f"an ase.Atoms without a 3D unit cell (pbc={list(map(bool, atoms.pbc))}, "
            f"cell rank {atoms.cell.rank}): coordgeo analyses crystals; set atoms.cell and "
            "atoms.pbc = True",
            path=path,
        )
    n = len(atoms)
    symbols = atoms.get_chemical_symbols()
    arrays = atoms.arrays
    labels = _unique_labels(
        [str(x) for x in arrays["labels"]] if "labels" in arrays else [None] * n, symbols
    )
    occupancy = np.ones(n)
    if "occupancy" in arrays:
        occupancy = np.asarray(arrays["occupancy"], dtype=float)
    elif isinstance(atoms.info.get("occupancy"), dict) and "spacegroup_kinds" in arrays:
        table = atoms.info["occupancy"]  # ase's CIF reader: {kind: {symbol: occupancy}}
        for i, (kind, symbol) in enumerate(zip(arrays["spacegroup_kinds"], symbols, strict=True)):
            occupancy[i] = float(table.get(str(kind), {}).get(symbol, 1.0))

    def column(name: str, default: object) -> list:
        return list(arrays[name]) if name in arrays else [default] * n

    u_iso = column("u_iso", float("nan"))
    assembly = column("disorder_assembly", "")
    group = column("disorder_group", "")
    fract = atoms.cell.scaled_positions(atoms.positions)
    sites = _Sites()
    for i in range(n):
        sites.add(labels[i], symbols[i], fract[i], occupancy[i], u_iso[i], assembly[i], group[i])
    name = str(atoms.info.get("block") or atoms.get_chemical_formula())
    note = "read from an ase.Atoms: the cell contents as P1, no su's"
    return _structure(path, name, atoms.cell.cellpar(), ["x,y,z"], sites, note)


# --- pymatgen -----------------------------------------------------------------------------


def from_pymatgen(structure: Any, path: str = "<pymatgen Structure>") -> Structure:
    """A pymatgen ``Structure`` → a P1 Structure of its sites.

    A site with several species (or a partial one) becomes one coordgeo site per species
    at the same place, its occupancy the species' amount. Site labels are kept when
    unique; site properties ``u_iso``, ``disorder_assembly`` and ``disorder_group`` are
    read when present (:func:`to_pymatgen` writes them).
    """
    props = structure.site_properties
    lattice = structure.lattice
    sites = _Sites()
    raw_labels: list[str | None] = []
    for i, site in enumerate(structure):
        species = list(site.species.items())
        for sp, amount in species:
            symbol = getattr(sp, "symbol", None) or str(sp)
            element = "X" if type(sp).__name__ == "DummySpecies" else symbol
            label = getattr(site, "label", None)
            raw_labels.append(f"{label}{sp}" if label and len(species) > 1 else label)
            sites.add(
                "",
                element,
                site.frac_coords,
                float(amount),
                float(props["u_iso"][i]) if "u_iso" in props else float("nan"),
                str(props["disorder_assembly"][i] or "") if "disorder_assembly" in props else "",
                str(props["disorder_group"][i] or "") if "disorder_group" in props else "",
            )
    sites.labels = _unique_labels(raw_labels, sites.elements)
    cell = (*lattice.abc, *lattice.angles)
    name = str(structure.composition.reduced_formula)
    note = "read from a pymatgen Structure: the cell contents as P1, no su's"
    return _structure(path, name, cell, ["x,y,z"], sites, note)


def to_pymatgen(structure: Structure) -> Any:
    """The unit-cell contents as a pymatgen ``Structure`` (needs the ``pymatgen`` extra).

    The same atoms as :func:`to_ase` (every symmetry image in the cell, dummies left out),
    a partial occupancy as the species' amount; labels (repeated for symmetry images) and
    site properties ``occupancy``, ``u_iso``, ``disorder_assembly``, ``disorder_group``.
    """
    from coordgeo.extras import require

    core = require("pymatgen", "pymatgen.core", what="coordgeo.interop.to_pymatgen")
    atoms = to_ase(structure)
    occupancy = atoms.get_array("occupancy")
    symbols = atoms.get_chemical_symbols()
    species = [
        sym if occ >= 1.0 else {sym: float(occ)}
        for sym, occ in zip(symbols, occupancy, strict=True)
    ]
    site = atoms.get_array("site")
    try:
        return core.Structure(
            core.Lattice(np.array(atoms.cell)),
            species,
            atoms.get_scaled_positions(wrap=False),
            labels=[str(x) for x in atoms.get_array("labels")],
            site_properties={
                "occupancy": [float(x) for x in occupancy],
                "u_iso": [float(structure.u_iso[s]) for s in site],
                "disorder_assembly": [structure.disorder_assembly[s] for s in site],
                "disorder_group": [structure.disorder_group[s] for s in site],
            },
        )
    except ValueError as exc:  # e.g. an occupancy above 1 in the CIF
        raise InputError(f"pymatgen refuses the structure: {exc}", path=structure.path) from None
