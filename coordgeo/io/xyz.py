"""Reading xyz files as OctaDist takes them: metal complexes, one polyhedron per metal.

File format
-----------
The standard xyz format, one or more molecules one after the other::

    7                                  <- number of atoms
    Fe complex, from OctaDist          <- title (anything)
    Fe   2.298354   5.161785   7.971898
    O    1.885657   4.804777   6.183726
    …

Each atom line is an element symbol (any case, trailing digits of a label
such as ``Fe1`` ignored) or an atomic number, then x y z in Å; columns are
separated by any mix of spaces and tabs and further columns are ignored.
OctaDist's files put the metal first, and a file may hold a whole complex
or several complexes (OctaDist's ``Multiple-metals.xyz``).

The coordination polyhedron of a metal is, as in OctaDist's
``extract_octa``, the metal and its ``n`` nearest atoms (ties in file
order). Metals are the d- and f-block elements (Z = 21–30, 39–48, 57–80,
89–109; OctaDist's ``find_metal``).

Anything malformed (a count line that is not a number, fewer atom lines
than the count, a coordinate that is not a number, an unknown element)
raises :class:`coordgeo.errors.InputError` naming the file and the line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import gemmi
import numpy as np

from coordgeo.elements import is_transition_metal
from coordgeo.errors import InputError

__all__ = [
    "XyzMolecule",
    "XyzPolyhedron",
    "extract_octahedron",
    "metal_indices",
    "read_xyz",
    "read_xyz_molecules",
]

_LABEL = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True, eq=False)
class XyzMolecule:
    """One molecule of an xyz file: elements and Cartesian coordinates (Å)."""

    path: str
    title: str
    elements: tuple[str, ...]
    coords: np.ndarray  # (N, 3)
    line: int  # 1-based line of the count line
    index: int = 0  # position of the molecule in the file

    def atom_line(self, i: int) -> int:
        """1-based line number of atom ``i`` (0-based) in the file."""
        return self.line + 2 + i


@dataclass(frozen=True, eq=False)
class XyzPolyhedron:
    """A metal and its donors: the coordination polyhedron of one site.

    ``ligands`` are sorted by distance from the metal; ``metal_index`` and
    ``ligand_indices`` are 0-based atom indices in the molecule, ``line``
    the 1-based file line of the metal (None when not read from a file).
    """

    title: str
    metal: str
    metal_index: int
    center: np.ndarray  # (3,)
    ligand_elements: tuple[str, ...]
    ligand_indices: tuple[int, ...]
    ligands: np.ndarray  # (n, 3)
    path: str = ""
    line: int | None = None
    molecule: int = 0

    @property
    def n(self) -> int:
        return len(self.ligand_elements)

    @property
    def distances(self) -> np.ndarray:
        """Metal–donor distances in Å, ascending."""
        return np.linalg.norm(self.ligands - self.center, axis=1)


def _element(token: str) -> str | None:
    """Element symbol of an xyz atom token (symbol, label or atomic number); None if unknown."""
    if token.isdigit():
        element = gemmi.Element(int(token))
        return element.name if element.atomic_number > 0 else None
    match = _LABEL.match(token)
    if match is None or len(match.group()) > 2:
        return None
    symbol = match.group().capitalize()
    element = gemmi.Element(symbol)
    return element.name if element.atomic_number > 0 and element.name == symbol else None


def metal_indices(elements: Sequence[str]) -> list[int]:
    """0-based indices of the polyhedron centres, in file order: the d- and f-block metals
    (:func:`coordgeo.elements.is_transition_metal`, OctaDist's ``find_metal``)."""
    return [i for i, element in enumerate(elements) if is_transition_metal(element)]


def _read_text(path: str | Path) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path=str(path)) from None
    if b"\0" in data:
        raise InputError("not an xyz file (binary data)", path=str(path))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _parse_atom(text: str, where: dict) -> tuple[str, tuple[float, float, float]]:
    fields = text.split()
    if len(fields) < 4:
        raise InputError(
            f"expected an atom line 'element x y z', found {text.strip()!r}"
            if fields
            else "expected an atom line 'element x y z', found a blank line",
            **where,
        )
    element = _element(fields[0])
    if element is None:
        raise InputError(f"unknown element {fields[0]!r}", **where)
    xyz = []
    for f in fields[1:4]:
        try:
            xyz.append(float(f))
        except ValueError:
            raise InputError(f"coordinate {f!r} is not a number", **where) from None
    if not all(math.isfinite(x) for x in xyz):
        raise InputError(f"coordinate is not finite in {text.strip()!r}", **where)
    return element, tuple(xyz)  # type: ignore[return-value]


def read_xyz_molecules(path: str | Path) -> list[XyzMolecule]:
    """All molecules of an xyz file (one, or several written one after the other)."""
    name = str(path)
    lines = _read_text(path).splitlines()
    molecules: list[XyzMolecule] = []
    i = 0
    while i < len(lines):
        if not lines[i].strip():  # blank lines between molecules and at the end
            i += 1
            continue
        count_line = i + 1
        fields = lines[i].split()
        try:
            count = int(fields[0])
        except ValueError:
            hint = (
                f" (does the count {len(molecules[-1].elements)} on line {molecules[-1].line}"
                " match the number of atom lines?)"
                if molecules
                else ""
            )
            raise InputError(
                f"expected the number of atoms, found {lines[i].strip()!r}{hint}",
                path=name,
                line=count_line,
            ) from None
        if count <= 0:
            raise InputError(
                f"the number of atoms must be positive, got {count}", path=name, line=count_line
            )
        title = lines[i + 1].strip() if i + 1 < len(lines) else ""
        elements: list[str] = []
        coords: list[tuple[float, float, float]] = []
        for k in range(count):
            j = i + 2 + k
            if j >= len(lines):
                raise InputError(
                    f"the file ends after {k} of the {count} atoms announced on line {count_line}",
                    path=name,
                    line=len(lines),
                )
            element, xyz = _parse_atom(lines[j], {"path": name, "line": j + 1})
            elements.append(element)
            coords.append(xyz)
        molecules.append(
            XyzMolecule(
                path=name,
                title=title,
                elements=tuple(elements),
                coords=np.array(coords, dtype=float),
                line=count_line,
                index=len(molecules),
            )
        )
        i += 2 + count
    if not molecules:
        raise InputError("empty xyz file: no atoms", path=name)
    return molecules


def extract_octahedron(
    elements: Sequence[str],
    coords: np.ndarray,
    metal_index: int = 0,
    n: int | None = 6,
    cutoff: float | None = None,
) -> XyzPolyhedron:
    """The metal ``metal_index`` (0-based atom index) and its ``n`` nearest atoms.

    As OctaDist's ``extract_octa`` (which uses a 2.8 Å cutoff): atoms sorted
    by distance from the metal, ties kept in input order. ``n=None`` takes
    every other atom; with ``cutoff`` (Å) only atoms that close are taken,
    so fewer than ``n`` may come back (as in OctaDist).

    >>> import numpy as np
    >>> site = extract_octahedron(["Fe", "N", "C", "N"], np.array(
    ...     [[0, 0, 0], [2.0, 0, 0], [3.0, 0, 0], [0, 2.1, 0]]), n=2)
    >>> site.ligand_elements, site.ligand_indices
    (('N', 'N'), (1, 3))
    """
    xyz = np.asarray(coords, dtype=float).reshape(-1, 3)
    if len(elements) != len(xyz):
        raise ValueError(f"{len(elements)} elements but {len(xyz)} coordinates")
    if not 0 <= metal_index < len(xyz):
        raise InputError(f"no atom {metal_index} (0-based) in a molecule of {len(xyz)} atoms")
    others = np.array([i for i in range(len(xyz)) if i != metal_index], dtype=int)
    dist = np.linalg.norm(xyz[others] - xyz[metal_index], axis=1)
    order = others[np.argsort(dist, kind="stable")]
    if cutoff is not None:
        order = order[np.linalg.norm(xyz[order] - xyz[metal_index], axis=1) <= cutoff]
    if n is not None:
        if cutoff is None and n > len(others):
            raise InputError(
                f"{elements[metal_index]} (atom {metal_index}) has only {len(others)} other atoms"
                f" in its molecule, {n} donors asked for"
            )
        order = order[:n]
    return XyzPolyhedron(
        title="",
        metal=elements[metal_index],
        metal_index=metal_index,
        center=xyz[metal_index].copy(),
        ligand_elements=tuple(elements[i] for i in order),
        ligand_indices=tuple(int(i) for i in order),
        ligands=xyz[order].copy(),
    )


def read_xyz(
    path: str | Path, *, n: int | None = 6, metal_index: int | None = None
) -> list[XyzPolyhedron]:
    """Coordination polyhedra of an xyz file: every metal of every molecule.

    ``n`` donors per metal (the nearest atoms, see :func:`extract_octahedron`;
    None for all other atoms of the molecule). ``metal_index`` (0-based atom
    index within each molecule) picks one central atom instead, e.g. a
    main-group centre. A molecule without any d- or f-block metal is an
    error unless ``metal_index`` is given.

    The polyhedra come in file order, each with the path, the molecule's
    title and the line of its metal.
    """
    name = str(path)
    polyhedra = []
    for molecule in read_xyz_molecules(path):
        centres = [metal_index] if metal_index is not None else metal_indices(molecule.elements)
        if not centres:
            raise InputError(
                "no d- or f-block metal atom in this molecule; choose the central atom"
                " with metal_index",
                path=name,
                line=molecule.line,
            )
        for centre in centres:
            where = molecule.atom_line(centre) if 0 <= centre < len(molecule.elements) else None
            try:
                site = extract_octahedron(molecule.elements, molecule.coords, centre, n)
            except InputError as exc:
                raise exc.located(path=name, line=where or molecule.line) from None
            polyhedra.append(
                XyzPolyhedron(
                    title=molecule.title,
                    metal=site.metal,
                    metal_index=site.metal_index,
                    center=site.center,
                    ligand_elements=site.ligand_elements,
                    ligand_indices=site.ligand_indices,
                    ligands=site.ligands,
                    path=name,
                    line=where,
                    molecule=molecule.index,
                )
            )
    return polyhedra
