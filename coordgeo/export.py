"""Export to ase: a whole crystal or one coordination sphere as :class:`ase.Atoms`.

So a structure can go on to ase's own tools (viewers, calculators, file
writers for POSCAR, xyz, …) without coordgeo writing any format itself.
"""

from __future__ import annotations

import ase
import numpy as np

from coordgeo.coordination import Sphere
from coordgeo.geometry import Atom, atom_label, cartesian, unit_cell_images
from coordgeo.model import Structure
from coordgeo.symmetry import identity


def to_ase(structure: Structure) -> ase.Atoms:
    """The full unit-cell contents (every symmetry image in the cell), periodic.

    Dummy sites are left out. Per-atom arrays: ``labels`` (site label),
    ``occupancy``, ``u_iso`` (Å², nan when not given), ``disorder_assembly`` and
    ``disorder_group`` ("" when ordered), ``site`` (index in the asymmetric unit),
    ``operator`` (index in the CIF's operator list). :func:`coordgeo.interop.from_ase`
    reads the occupancies and disorder back.
    """
    site, op, _, fract = unit_cell_images(structure)
    real = np.array([structure.elements[s] != "X" for s in site], dtype=bool)
    site, op, fract = site[real], op[real], fract[real]
    atoms = ase.Atoms(
        symbols=[structure.elements[s] for s in site],
        scaled_positions=fract,
        cell=structure.cell.orthogonalization.T,  # ase rows are the cell vectors
        pbc=True,
        info={"block": structure.block, "space_group": structure.space_group},
    )
    atoms.set_array("labels", np.array([structure.labels[s] for s in site], dtype=object))
    atoms.set_array("occupancy", structure.occupancy[site])
    atoms.set_array("u_iso", structure.u_iso[site])
    for name in ("disorder_assembly", "disorder_group"):
        values = getattr(structure, name)
        atoms.set_array(name, np.array([values[s] for s in site], dtype=object))
    atoms.set_array("site", site)
    atoms.set_array("operator", op)
    return atoms


def sphere_to_ase(structure: Structure, sphere: Sphere) -> ase.Atoms:
    """The metal and its donors (Cartesian, Å, metal first: OctaDist's xyz order), not periodic.

    ``labels`` holds ``Fe1``, ``N1``, ``N1_2_655`` … (site label + n_klm code).
    """
    atoms_list = [Atom(sphere.metal, identity(structure)), *sphere.donors]
    positions = cartesian(structure, atoms_list)
    atoms = ase.Atoms(
        symbols=[structure.elements[a.site] for a in atoms_list],
        positions=positions,
        pbc=False,
        info={"block": structure.block, "metal": structure.labels[sphere.metal]},
    )
    atoms.set_array(
        "labels", np.array([atom_label(structure, a) for a in atoms_list], dtype=object)
    )
    return atoms
