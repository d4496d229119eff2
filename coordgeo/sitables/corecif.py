"""Writing a reconstructed coordination core as a model CIF.

:func:`write_core_cif` writes a :class:`coordgeo.sitables.reconstruct.CoreFit` in a large
model cell (edges ≥ 30 Å) whose space group is the smallest tabulated setting that holds
the metal's site symmetry, so the table's own symmetry codes generate the donors' images.
``cifs/seed000_*_core.cif`` were written this way by ``tools/write_example_cores.py``.
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import gemmi
import numpy as np

from coordgeo.errors import InputError
from coordgeo.io.sitables import element_of_label
from coordgeo.model import orthogonalization_matrix
from coordgeo.sitables.operators import operation_key, tabulated_settings
from coordgeo.sitables.reconstruct import CoreFit
from coordgeo.symmetry import op_parts

__all__ = ["write_core_cif"]


def _model_setting(site_ops: Sequence[gemmi.Op], cell: Sequence[float]) -> gemmi.SpaceGroup:
    """The smallest tabulated setting that contains the site operations and whose
    rotations keep the model cell's metric."""
    ortho = orthogonalization_matrix(tuple(cell))
    metric = ortho.T @ ortho
    keys = {operation_key(op) for op in site_ops}
    for xhm, _, _, all_keys in sorted(tabulated_settings(), key=lambda s: (s[2], s[1])):
        if not keys <= all_keys:
            continue
        sg = gemmi.SpaceGroup(xhm)
        rotations = [op_parts(op)[0] for op in sg.operations().sym_ops]
        if all(np.allclose(r.T @ metric @ r, metric, atol=1e-6) for r in rotations):
            return sg
    raise InputError("no tabulated space-group setting contains the site symmetry")


def _metal_position(
    site_ops: Sequence[gemmi.Op], sg: gemmi.SpaceGroup, ortho: np.ndarray
) -> np.ndarray:
    """A point fixed by the site operations (as printed: -x+1,y,-z+1/2 → x = 1/2, z = 1/4),
    with any free coordinate chosen on a 1/8 grid to keep the copies of the core far apart."""
    rows, rhs = [np.zeros((0, 3))], [np.zeros(0)]
    for op in site_ops:
        rot, tran = op_parts(op)
        rows.append(rot - np.eye(3))
        rhs.append(-tran)
    a, b = np.vstack(rows), np.concatenate(rhs)
    particular = np.linalg.lstsq(a, b, rcond=None)[0] if a.size else np.zeros(3)
    free = _free_directions(a)
    ops = list(sg.operations())
    best, best_distance = particular, -1.0
    for shift in itertools.product(np.arange(8) / 8, repeat=len(free)):
        point = particular + (np.array(shift) @ free if len(free) else 0)
        nearest = math.inf
        for op in ops:
            delta = np.array(op.apply_to_xyz(list(point))) - point
            delta -= np.round(delta)
            for lattice in itertools.product((-1, 0, 1), repeat=3):
                d = float(np.linalg.norm(ortho @ (delta + lattice)))
                if d > 1e-6:
                    nearest = min(nearest, d)
        if nearest > best_distance + 1e-9:
            best, best_distance = point, nearest
    return best


def _free_directions(a: np.ndarray) -> np.ndarray:
    """Orthonormal directions (rows) along which a point stays fixed by the site
    operations (the null space of ``a``), built from the projections of x, y, z in that
    order, so they do not depend on the LAPACK build (an SVD basis may flip or turn)."""
    projector = np.eye(3) - (np.linalg.pinv(a) @ a if a.size else np.zeros((3, 3)))
    basis: list[np.ndarray] = []
    for column in projector.T:
        rest = column - sum((column @ e) * e for e in basis)
        if np.linalg.norm(rest) > 1e-6:
            basis.append(rest / np.linalg.norm(rest))
    return np.array(basis).reshape(-1, 3)


def write_core_cif(
    fit: CoreFit, path: str | Path, *, block: str | None = None, citation: str | None = None
) -> Path:
    """Write a fitted core as a model CIF (gemmi's cif Document API).

    The cell is a large model cell (edges ≥ 30 Å) and the space group the smallest tabulated
    setting that contains the metal's site symmetry (P 1 2/c 1 for the 2-fold axis
    ``-x+1,y,-z+1/2``, the metal on that axis at x = 1/2, z = 1/4), so the printed symmetry
    codes generate the images. Coordinates carry no su's (a model, not a refinement) and no
    ``_geom_*`` loops are written; ``_publ_section_comment`` says what the file is and cites
    ``citation`` (the paper whose SI the table is from) when given.
    """
    path = Path(path)
    site_ops = [gemmi.Op(t) for t in fit.site_ops]
    sg = _model_setting(site_ops, fit.cell)
    ortho = orthogonalization_matrix(fit.cell)
    metal = _metal_position(site_ops, sg, ortho)
    metal = metal - np.floor(metal)  # into the first cell; the site operators stay as printed
    donors = [metal + np.linalg.solve(ortho, p) for p in fit.positions]
    _check_no_contacts(sg, ortho, [metal, *donors])

    document = gemmi.cif.Document()
    b = document.add_new_block(block or path.stem)
    source = Path(fit.source).name if fit.source else "the SI document"
    b.set_pair("_audit_creation_method", gemmi.cif.quote("coordgeo.sitables.write_core_cif"))
    b.set_pair(
        "_publ_section_comment", gemmi.cif.quote(_wrap(_ascii(_comment(fit, sg, source, citation))))
    )
    if fit.compound:
        b.set_pair(
            "_chemical_name_common",
            gemmi.cif.quote(f"compound {fit.compound}, coordination core model"),
        )
    if fit.temperature is not None:
        b.set_pair("_diffrn_ambient_temperature", f"{fit.temperature:g}")
    _add_cell_and_symmetry(b, fit.cell, sg)
    atoms = b.init_loop(
        "_atom_site_", ["label", "type_symbol", "fract_x", "fract_y", "fract_z", "occupancy"]
    )
    metal_element = element_of_label(fit.metal) or "X"
    for label, element, xyz in [
        (fit.metal, metal_element, metal),
        *zip(fit.labels, fit.elements, donors, strict=True),
    ]:
        atoms.add_row([label, element, *(f"{v:.6f}" for v in xyz), "1"])
    header = (
        f"# Coordination core of {fit.metal} reconstructed from {fit.table} ({fit.column}) "
        f"of {source}.\n"
        "# A model for examples and tests, NOT the published crystal structure.\n"
    )
    path.write_text(_ascii(header) + document.as_string(), encoding="ascii")
    return path


def _comment(fit: CoreFit, sg: gemmi.SpaceGroup, source: str, citation: str | None) -> str:
    """The ``_publ_section_comment``: what the model is, where its numbers come from, the
    fit's χ²."""
    temperature = f" at {fit.temperature:g} K" if fit.temperature is not None else ""
    symmetry = (
        f" The site symmetry of {fit.metal} ("
        + ", ".join(f"{k} {fit.site_ops[1:][i]}" for i, k in enumerate(fit.site_keys))
        + f") is imposed; the space group {sg.xhm()} and the {fit.cell[0]:g} Å model cell only "
        "make the legend operator a symmetry operation and keep copies of the core apart."
        if fit.site_keys
        else f" The space group {sg.xhm()} and the model cell are arbitrary."
    )
    return (
        f"MODEL, NOT THE PUBLISHED STRUCTURE. Coordination core of {fit.metal}"
        f"{f' in compound {fit.compound}' if fit.compound else ''}{temperature}, reconstructed by "
        f"least squares from the '{fit.column}' column of {fit.table} of the supporting "
        f"information {f'of {citation} ' if citation else ''}(document {source}), "
        f"by coordgeo.sitables.reconstruct_core: only {fit.metal} and its donors, placed to "
        f"reproduce the published {fit.metal}-L distances and L-{fit.metal}-L angles, in the "
        "canonical orientation of coordgeo.sitables.canonical_orientation."
        + symmetry
        + f" Fit: chi2 = {fit.chi2:.3f} for {fit.dof} degrees of freedom ({fit.status}). "
        "Coordinates carry no standard uncertainties: they are a model, not a refinement."
    )


def _add_cell_and_symmetry(b: gemmi.cif.Block, cell: Sequence[float], sg: gemmi.SpaceGroup) -> None:
    """Cell parameters, the space group's names and its symmetry-operator loop."""
    for tag, value in zip(("a", "b", "c", "alpha", "beta", "gamma"), cell, strict=True):
        prefix = "_cell_length_" if len(tag) == 1 else "_cell_angle_"
        b.set_pair(prefix + tag, f"{value:.4f}")
    b.set_pair("_space_group_crystal_system", sg.crystal_system_str())
    b.set_pair("_space_group_IT_number", str(sg.number))
    b.set_pair("_space_group_name_H-M_alt", gemmi.cif.quote(sg.xhm()))
    b.set_pair("_space_group_name_Hall", gemmi.cif.quote(sg.hall))
    loop = b.init_loop("_space_group_symop_", ["id", "operation_xyz"])
    for i, op in enumerate(sg.operations(), 1):
        loop.add_row([str(i), gemmi.cif.quote(op.triplet())])


def _ascii(text: str) -> str:
    """CIF 1.1 text is ASCII: Å → A, other marks dropped after decomposition."""
    text = text.replace("Å", "A").replace("–", "-").replace("—", "-").replace("χ²", "chi2")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _wrap(text: str, width: int = 78) -> str:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lines)


def _check_no_contacts(
    sg: gemmi.SpaceGroup, ortho: np.ndarray, points: Sequence[np.ndarray]
) -> None:
    """No atom of one copy of the core within 4 Å of an atom of another copy."""
    base = np.array(points)
    centre = base[0]
    for op in sg.operations():
        image = np.array([op.apply_to_xyz(list(p)) for p in base])
        shift = np.round(centre - image[0])
        for lattice in itertools.product((-1, 0, 1), repeat=3):
            moved = image + shift + np.array(lattice)
            if np.allclose(moved, base, atol=1e-6) or np.allclose(moved[0], base[0], atol=1e-6):
                continue  # the core itself (the metal is on the site-symmetry element)
            d = np.linalg.norm((moved[:, None, :] - base[None, :, :]) @ ortho.T, axis=2)
            if d.min() < 4.0:
                raise InputError("model cell too small: copies of the core touch")
