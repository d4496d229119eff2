"""CIF → :class:`~coordgeo.model.Structure`, one per data block.

gemmi does the tokenising (``gemmi.cif``) and the operator parsing
(``gemmi.Op``); this module only maps CIF items onto the model:

* the cell with su's;
* the symmetry operators in the CIF's own order and numbering
  (``_space_group_symop_id`` / ``_symmetry_equiv_pos_site_id``); when the
  CIF lists none, the operators of its space-group symbol (gemmi's order,
  with a note), and P1 when it has no symmetry information at all;
* the sites: label, element, fractional coordinates with su's, occupancy,
  Uiso/Uani, disorder assembly/group, calc flag; coordinates at special
  positions are snapped (see :func:`coordgeo.symmetry.snap_special_positions`);
* the temperature, a few crystal-data items for reports, and the authors'
  own ``_geom_bond``, ``_geom_angle``, ``_geom_hbond`` and ``_geom_torsion``
  loops (as printed) for :mod:`coordgeo.check`.

Errors are :class:`~coordgeo.errors.InputError` naming file, block and line.
A block that fails does not stop the others (:func:`read_cif_blocks`); a
file gemmi cannot tokenise is split at its ``data_`` headers so the blocks
that are readable still are.
"""

from __future__ import annotations

import collections
import contextlib
import math
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import gemmi
import numpy as np

from coordgeo.elements import (
    FORMULA_TERM,
    atomic_number,
    covalent_radius,
    element_from_label,
    is_metal,
)
from coordgeo.errors import InputError
from coordgeo.io.files import read_text, text_of
from coordgeo.model import (
    CRYSTAL_SYSTEMS,
    Cell,
    Deferred,
    GeomLoop,
    Structure,
    SymOp,
    read_only,
)
from coordgeo.options import DEFAULT_TOLERANCE, check_limit
from coordgeo.options import limit as limit_in_force
from coordgeo.symmetry import (
    DUPLICATE_TOLERANCE,
    SPECIAL_POSITION_TOLERANCE,
    check_operator_group,
    operator_keys,
    site_images,
    snap_special_positions,
    symmetry_duplicates,
    vector_lengths,
)

_OP_LOOPS = (
    ("_space_group_symop_operation_xyz", "_space_group_symop_id", ""),
    ("_symmetry_equiv_pos_as_xyz", "_symmetry_equiv_pos_site_id", ""),
    # a modulated structure gives only its superspace operators (x1,x2,x3,x4 …)
    ("_space_group_symop_ssg_operation_algebraic", "_space_group_symop_ssg_id", "superspace"),
    # a magnetic CIF (mCIF) gives x,y,z,±1 (time reversal last) and its centrings apart
    ("_space_group_symop_magn_operation.xyz", "_space_group_symop_magn_operation.id", "magnetic"),
    ("_space_group_symop.magn_operation_xyz", "_space_group_symop.magn_id", "magnetic"),
)
_MAGNETIC_CENTRING_TAGS = (
    "_space_group_symop_magn_centering.xyz",
    "_space_group_symop.magn_centering_xyz",
)
_SG_NAME_TAGS = (
    "_space_group_name_H-M_alt",
    "_symmetry_space_group_name_H-M",
    "_space_group_name_Hall",
    "_symmetry_space_group_name_Hall",
)
_SG_NUMBER_TAGS = ("_space_group_IT_number", "_symmetry_Int_Tables_number")
_INFO_TAGS = {
    "formula_sum": "_chemical_formula_sum",
    "formula_moiety": "_chemical_formula_moiety",
    "formula_weight": "_chemical_formula_weight",
    "name_systematic": "_chemical_name_systematic",
    "name_common": "_chemical_name_common",
    "Z": "_cell_formula_units_Z",
    "cell_volume": "_cell_volume",
    "R1": "_refine_ls_R_factor_gt",
    "R_all": "_refine_ls_R_factor_all",
    "wR2": "_refine_ls_wR_factor_ref",
    "goof": "_refine_ls_goodness_of_fit_ref",
    "wavelength": "_diffrn_radiation_wavelength",
    "radiation": "_diffrn_radiation_type",
    "ccdc": "_database_code_depnum_ccdc_archive",
    "cod": "_cod_database_code",
    "density": "_exptl_crystal_density_diffrn",
}
_GEOM_LOOPS = {
    "bond": ("_geom_bond_distance", "_geom_bond_"),
    "angle": ("_geom_angle", "_geom_angle_"),
    "hbond": ("_geom_hbond_distance_DA", "_geom_hbond_"),
    "torsion": ("_geom_torsion", "_geom_torsion_"),
}
_DUMMY_FLAGS = {"dum", "dummy"}
_CALC_FLAGS = {"calc", "c", "riding"}

#: A number as CIF writes it (CIF 1.1 syntax, §2.2.7.4.8): no nan, inf, hex or ``1_000``.
_CIF_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SU_DIGITS = re.compile(r"[0-9]+")
#: More su digits than this is not a standard uncertainty (SHELXL prints 1–2, the rule of
#: 19; a few programs print up to 4).
MAX_SU_DIGITS = 6
#: Cell edges longer than this (1 µm) are not a crystal's repeat but a typing error; the
#: largest known cells (virus crystals) are ~2000 Å.
MAX_CELL_LENGTH = 10_000.0
#: Atoms per Å³ (occupancy-weighted) above which a cell is refused: more than twice the
#: densest solids (diamond 0.18, metal hydrides ~0.2 atoms/Å³).
MAX_DENSITY = 0.5
#: More operators than this are refused (a space group has at most 192 in a conventional
#: setting; the closure check compares every product of two).
MAX_OPERATORS = 768
#: Fractional coordinates further than this from the origin cell are typing errors
#: (±1e10 would also lose every digit of precision in the geometry).
MAX_FRACTIONAL = 100.0


# --- public API ---------------------------------------------------------------------------


def read_cif(path: str | Path, block: str | None = None) -> list[Structure]:
    """Read every data block with a structure (or only ``block``); raise on the first bad block.

    Use :func:`read_cif_blocks` to keep going past bad blocks.
    """
    results = read_cif_blocks(path)
    structures = []
    for item in results:
        if block is not None and item.block != block:
            continue
        if isinstance(item, InputError):
            raise item
        structures.append(item)
    if block is not None and not structures:
        names = ", ".join(str(r.block) for r in results)
        raise InputError(f"no data block {block!r} (blocks: {names})", path=str(path))
    return structures


#: Tags that mark a block as another kind of CIF than a small-molecule structure (coreCIF
#: ``_cell_length_a``, ``_atom_site_fract_x``), with what it is.
_OTHER_CIF_KINDS = (
    ("_atom_site.cartn_x", "an mmCIF/PDBx macromolecular model (_atom_site.Cartn_x)"),
    ("_atom_site.fract_x", "written with CIF2/DDLm tag names (_atom_site.fract_x)"),
    ("_cell.length_a", "written with CIF2/DDLm or mmCIF tag names (_cell.length_a)"),
    ("_chem_comp_atom.atom_id", "a chemical-component definition (_chem_comp_atom), no crystal"),
    ("_refln_index_h", "reflection data (_refln_index_h)"),
    ("_refln.index_h", "reflection data (_refln.index_h)"),
    ("_diffrn_refln_index_h", "reflection data (_diffrn_refln_index_h)"),
    ("_diffrn_refln.index_h", "reflection data (_diffrn_refln.index_h)"),
    ("_pd_meas_2theta_scan", "a powder pattern (_pd_meas_2theta_scan) without a structure"),
    ("_pd_proc_2theta_corrected", "a powder pattern without a structure"),
)


def _no_structure_reason(docs) -> str:
    """Why no block of a file was read: what kind of CIF it is when it is another kind
    (an mmCIF model, reflections, a powder pattern, a chemical component), else that no
    block has a unit cell or atom sites."""
    for doc, _, error in docs:
        if error is not None:
            continue
        for block in doc:
            for tag, kind in _OTHER_CIF_KINDS:
                if block.find_value(tag) is not None or block.find_loop(tag):
                    return (
                        f"data_{block.name} is {kind}: coordgeo reads small-molecule "
                        "structures with coreCIF 1.1 tag names (_cell_length_a…, "
                        "_atom_site_fract_x…)"
                    )
    return "no data block with a unit cell or atom sites"


def read_cif_blocks(path: str | Path, data: bytes | None = None) -> list[Structure | InputError]:
    """One entry per data block with a structure: the Structure, or the error that stopped it.

    Blocks with neither a cell nor atom sites (publication or ``global``
    blocks of a multi-block CIF) are skipped. A file with no structure at
    all raises :class:`InputError`. ``data``: the file's bytes when the caller has read
    them already (``coordgeo bulk`` hashes them first); they are read as the file's
    (:func:`coordgeo.io.files.text_of`), and the file is not opened again.
    """
    path = Path(path)
    docs, lines, file_notes = _parse_document(path, data)
    results: list[Structure | InputError] = []
    first_line: dict[str, int | None] = {}  # block names are case-insensitive (CIF 1.1)
    for doc, line_offset, doc_error in docs:
        if doc_error is not None:
            results.append(doc_error)
            continue
        for block in doc:
            if not _describes_structure(block):
                continue
            header = _block_line(block)
            header = header + line_offset if header else None
            key = block.name.lower()
            if key in first_line:
                seen = first_line[key]
                error = InputError(
                    f"data block name data_{block.name} is used again"
                    + (f" (first at line {seen})" if seen else "")
                    + ": block names must be unique in a CIF; rename it to read it",
                    path=str(path),
                    block=block.name,
                    line=header,
                )
                error.geom = {}
                results.append(error)
                continue
            first_line[key] = header
            try:
                results.append(
                    structure_from_block(
                        block,
                        path=str(path),
                        line_offset=line_offset,
                        lines=lines,
                        notes=file_notes,
                    )
                )
            except InputError as exc:
                failed = exc.located(path=str(path), block=block.name)
                # so check can still list its rows (none from a loop over geom_rows)
                with contextlib.suppress(InputError):
                    failed.geom = _read_geom(block, line_offset)
                results.append(failed)
    if not results:
        raise InputError(_no_structure_reason(docs), path=str(path))
    return results


def structure_from_block(
    block: gemmi.cif.Block,
    path: str = "",
    line_offset: int = 0,
    *,
    lines: Sequence[str] | None = None,
    notes: Sequence[str] = (),
) -> Structure:
    """Build a :class:`Structure` from one gemmi CIF block.

    ``lines`` (the file's text, split into lines) lets an error name the line of the
    offending value rather than that of its loop; ``notes`` are prepended to the
    structure's notes (what reading the file involved, e.g. a non-UTF-8 encoding).
    """
    notes = list(notes)
    where = _Where(block, lines, line_offset)
    cell = _read_cell(block, where)
    sites = _read_sites(block, notes, where)
    _refuse_composite(block)
    symops, sg_name, sg, rotations, translations = _read_symops(block, notes, cell, sites)
    crystal_system = _crystal_system(block, sg)
    # as floats (exact) for the products with coordinates below, made once
    rotations_float = read_only(rotations.astype(float))
    # each listed site is at least one atom of the cell: an impossible density is refused
    # before the duplicate search, whose work grows with the atoms per Å³
    _check_density(cell, sites, None, len(symops))
    # R·x + t of every site, made once: both the duplicate search and the snap measure them
    images = site_images(sites["fract"], rotations_float, translations)
    sites, duplicates, images = _without_symmetry_duplicates(
        sites, rotations_float, translations, cell, notes, images
    )
    snapped, order, projector = snap_special_positions(
        sites["fract"],
        rotations_float,
        translations,
        cell.orthogonalization,
        SPECIAL_POSITION_TOLERANCE,
        images,
    )
    _check_density(cell, sites, order, len(symops))
    special = bool((order > 1).any())
    if special:
        moved = vector_lengths((snapped - sites["fract"]) @ cell.orthogonalization.T)
        snaps = [
            f"{sites['labels'][i]} ({order[i]}, {moved[i]:.4f} Å)"
            for i in np.flatnonzero((order > 1) & (moved > 1e-4)).tolist()
        ]
        if snaps:  # one note per block, however many sites (a warning line each was noise)
            notes.append(
                "snapped onto special positions (order of the site symmetry, distance moved): "
                + ", ".join(snaps)
            )
    # Covariance of each site's fractional coordinates: independent su's
    # (no covariance is in a CIF), projected onto the special position.
    var = np.einsum("ni,nj->nij", sites["fract_su"], sites["fract_su"]) * np.eye(3)[None]
    # with every site on a general position each projector is the unit matrix, and the
    # products give var exactly (1·x + 0·y + 0·z is x)
    cov = projector @ var @ np.transpose(projector, (0, 2, 1)) if special else var
    fract_su = np.sqrt(np.einsum("nii->ni", cov))
    occupancy = _occupancy_as_multiplicity(
        block, sites, order, len(symops), notes, (rotations_float, translations, cell)
    )
    over = np.flatnonzero(occupancy > 1.0)
    if over.size:  # a site holds at most one atom (IUCr core dictionary, _atom_site_occupancy)
        listed = ", ".join(f"{sites['labels'][i]} {occupancy[i]:g}" for i in over[:5].tolist())
        more = f" and {over.size - 5} more" if over.size > 5 else ""
        notes.append(
            f"occupancy above 1 ({listed}{more}): a site holds at most one atom; used as "
            "written (a free-refined occupancy, or a value in the wrong column?)"
        )
    temperature, temperature_su = _read_temperature(block, notes)
    header_line = _block_line(block)
    structure = Structure(
        path=path,
        block=block.name,
        cell=cell,
        symops=tuple(symops),
        labels=tuple(sites["labels"]),
        elements=tuple(sites["elements"]),
        fract=snapped,
        fract_su=fract_su,
        fract_cov=cov,
        fract_rounding=sites["fract_rounding"],
        occupancy=occupancy,
        u_iso=sites["u_iso"],
        u_aniso=sites["u_aniso"],
        disorder_assembly=tuple(sites["assembly"]),
        disorder_group=tuple(sites["group"]),
        calc=sites["calc"],
        site_symmetry_order=order,
        site_projector=projector,
        space_group=sg_name,
        crystal_system=crystal_system,
        temperature=temperature,
        temperature_su=temperature_su,
        line=header_line + line_offset if header_line else None,
        info=_read_info(block),
        geom=_read_geom(block, line_offset, lazy=True),
        notes=tuple(notes),
        duplicates=duplicates,
    )
    # the operator arrays just built are what Structure.rotations/translations would build
    structure.__dict__["rotations"] = read_only(rotations.reshape(-1, 3, 3))
    structure.__dict__["rotations_float"] = read_only(rotations_float.reshape(-1, 3, 3))
    structure.__dict__["translations"] = read_only(translations.reshape(-1, 3))
    return structure


# --- document level -----------------------------------------------------------------------


_Chunks = list[tuple[gemmi.cif.Document | None, int, InputError | None]]


class _Lines(Sequence[str]):
    """The file's lines, split on first use: only a message naming a value's line needs
    them, and most files have none."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines: list[str] | None = None

    def _split(self) -> list[str]:
        if self._lines is None:
            self._lines = self._text.split("\n")
        return self._lines

    def __len__(self) -> int:
        return len(self._split())

    def __getitem__(self, index):  # type: ignore[override]
        return self._split()[index]


def _parse_document(
    path: Path, data: bytes | None = None
) -> tuple[_Chunks, Sequence[str], tuple[str, ...]]:
    """Parse the file; on a syntax error, parse each ``data_`` chunk on its own.

    Returns the parsed chunks (document, line offset, error), the file's lines and the
    notes of reading it. The file is opened by :func:`coordgeo.io.files.read_text`:
    regular files only, within the size limit, UTF-8 (a byte-order mark is fine) or,
    with a note, Windows-1252/Latin-1; ``data``, the file's bytes read by the caller,
    go through the same checks (:func:`coordgeo.io.files.text_of`).
    """
    name = str(path)
    decoded = read_text(path, what="CIF") if data is None else text_of(data, path, what="CIF")
    text = decoded.text
    if not text.strip():
        raise InputError("file is empty", path=name)
    try:
        return [(gemmi.cif.read_string(text), 0, None)], _Lines(text), decoded.notes
    except (RuntimeError, ValueError) as exc:
        lines = text.split("\n")
        first_error = _with_hint(_gemmi_error(exc, name), lines)
    # Salvage what can be read: split at data_ headers, parse each chunk.
    starts = [i for i, line in enumerate(lines) if line[:5].lower() == "data_"]
    if len(starts) < 2:
        raise first_error
    chunks: _Chunks = []
    if starts[0] > 0 and "".join(lines[: starts[0]]).strip():
        head = "\n".join(lines[: starts[0]])
        try:
            gemmi.cif.read_string(head + "\ndata_x\n")
        except (RuntimeError, ValueError) as exc:
            chunks.append((None, 0, _gemmi_error(exc, name)))
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        chunk = "\n".join(lines[start:end])
        block_name = lines[start][5:].strip()
        try:
            chunks.append((gemmi.cif.read_string(chunk), start, None))
        except (RuntimeError, ValueError) as exc:
            err = _with_hint(_gemmi_error(exc, name, line_offset=start), lines, start, end)
            chunks.append((None, start, err.located(block=block_name)))
    return chunks, lines, decoded.notes


def _check_density(cell: Cell, sites: dict, order: np.ndarray | None, n_ops: int) -> None:
    """Refuse a cell holding more than :data:`MAX_DENSITY` atoms per Å³ (occupancy-weighted).

    The cell holds Σ occupancy·n_ops/order atoms (a site on a special position of order
    k has n_ops/k images; ``order`` None: each site one atom, order n_ops). Diamond has
    0.18 atoms/Å³ and metal hydrides ~0.2; more than 0.5 means a wrong cell, wrong
    operators (a space-group symbol that does not fit the coordinates) or atoms on top of
    each other, and would make every neighbour list explode.

    Each term is at most n_ops (occupancy clipped into [0, 1], order ≥ 1), 1 with ``order``
    None: a cell whose N sites could not reach the limit even so (N·n_ops, or N, under
    MAX_DENSITY·V with a margin far above the sum's rounding) is let through without the
    sum, which nearly every crystal is (~0.1 atoms/Å³).
    """
    n = len(sites["occupancy"])
    if n * (1 if order is None else n_ops) * (1.0 + 1e-6) <= MAX_DENSITY * cell.volume:
        return
    if order is None:
        order = np.full(n, n_ops)
    occupancy = np.asarray(sites["occupancy"], dtype=float)
    # NaN as 1, then clipped into [0, 1] (np.minimum/np.maximum: np.clip's numbers, and
    # none of its Python overhead)
    occupancy = np.minimum(np.maximum(np.where(np.isnan(occupancy), 1.0, occupancy), 0), 1)
    atoms = float(np.sum(occupancy * n_ops / np.maximum(order, 1)))
    density = atoms / cell.volume
    if density > MAX_DENSITY:
        raise InputError(
            f"the unit cell would hold {atoms:.4g} atoms in {cell.volume:.4g} Å³ "
            f"({density:.3g} per Å³, more than {MAX_DENSITY:g}; diamond has 0.18): check the "
            "cell, the symmetry operators and the coordinates"
        )


def _with_hint(
    error: InputError, lines: list[str], start: int = 0, end: int | None = None
) -> InputError:
    """Add to a syntax error the first unquoted non-ASCII value (``Clé1``), which CIF 1.1
    does not allow and gemmi reports only as a loop with a wrong number of values."""
    for k in range(start, len(lines) if end is None else end):
        if lines[k].isascii():
            continue
        for token in _TOKEN.findall(lines[k]):
            if token.startswith("#"):
                break
            if not token.isascii() and token[0] not in "'\"" and not lines[k].startswith(";"):
                error.message += (
                    f" (line {k + 1} has {_shown(token)} unquoted: CIF 1.1 allows characters "
                    "other than ASCII only inside quotes)"
                )
                return InputError(
                    error.message, path=error.path, block=error.block, line=error.line
                )
    return error


_GEMMI_LOCATION = re.compile(
    r"^(?:.*?):(\d+)(?::\d+(?:\(\d+\))?)?(?: in data_(\S+))?:\s*(.*)$", re.S
)


def _gemmi_error(exc: Exception, path: str, line_offset: int = 0) -> InputError:
    """Turn gemmi's ``file:line:col(offset): message`` into an InputError."""
    text = str(exc).strip()
    # an OctaDist-style xyz given to a command that reads CIFs (compare, sphere, check …)
    hint = (
        " (an .xyz file: `coordgeo octahedra` reads OctaDist-style xyz; this command needs a CIF)"
        if str(path).lower().endswith(".xyz")
        else ""
    )
    m = _GEMMI_LOCATION.match(text)
    if m:
        line, block, message = m.groups()
        return InputError(
            f"CIF syntax: {message}{hint}", path=path, block=block, line=int(line) + line_offset
        )
    return InputError(f"CIF syntax: {text}{hint}", path=path)


def _describes_structure(block: gemmi.cif.Block) -> bool:
    return bool(
        block.find_value("_cell_length_a")
        or block.find_values("_atom_site_label")
        or block.find_values("_atom_site_fract_x")
    )


def _block_line(block: gemmi.cif.Block) -> int | None:
    for item in block:
        return max(int(item.line_number) - 1, 1)  # the data_ line is just above its first item
    return None


def _item_line(block: gemmi.cif.Block, tag: str) -> int | None:
    item = block.find_loop_item(tag.lower()) or block.find_pair_item(tag.lower())
    return int(item.line_number) if item is not None else None


_TOKEN = re.compile(r"'[^']*'(?=\s|$)|\"[^\"]*\"(?=\s|$)|#.*|\S+")  # values and comments


class _Where:
    """Where a value of a block is in the file, for messages that name its line."""

    def __init__(self, block: gemmi.cif.Block, lines: Sequence[str] | None, offset: int) -> None:
        self.block = block
        self.lines = lines
        self.offset = offset

    def tag_line(self, tag: str) -> int | None:
        line = _item_line(self.block, tag)
        return line + self.offset if line else None

    def row_line(self, tag: str, row: int) -> int | None:
        """The line where row ``row`` of the loop holding ``tag`` starts (counting values
        from the loop's first; a ``;`` text field is one value); the loop's line when the
        text is not at hand or the count runs out."""
        item = self.block.find_loop_item(tag.lower())
        if item is None or item.loop is None:
            return self.tag_line(tag)
        loop_line = int(item.line_number) + self.offset
        if self.lines is None:
            return loop_line
        width = len(item.loop.tags)
        lines = self.lines
        i = loop_line  # 0-based index of the line after loop_: skip the tags
        while i < len(lines) and lines[i].strip()[:1] in ("_", "#", ""):
            i += 1
        wanted = row * width  # index of the row's first value
        count = 0
        while i < len(lines):
            text = lines[i]
            if text.startswith(";"):  # a text field: one value up to the closing ;
                if count == wanted:
                    return i + 1
                count += 1
                i += 1
                while i < len(lines) and not lines[i].startswith(";"):
                    i += 1
                text = lines[i][1:] if i < len(lines) else ""
            for token in _TOKEN.findall(text):
                if token.startswith("#"):
                    break
                if token.startswith("_") or token.lower().startswith(("loop_", "data_")):
                    return loop_line  # the loop ended before the row
                if count == wanted:
                    return i + 1
                count += 1
            i += 1
        return loop_line


def _cif_number(text: str) -> tuple[float | None, float | None, float]:
    """``(value, su, rounding)`` of a CIF number such as ``0.21563(16)``.

    ``su`` is None when none is printed; ``rounding`` is half a unit of the last printed
    digit. ``?``, ``.`` and empty text give ``(None, None, 0)``. Raises ValueError, with
    what is wrong, for text that is not a CIF number (``nan``, ``inf``, ``1_0``, ``1e400``
    out of float range, an su of more than :data:`MAX_SU_DIGITS` digits).
    """
    text = text.strip()
    if text in ("", "?", "."):
        return None, None, 0.0
    head, paren, tail = text.partition("(")
    head = head.strip()
    if not _CIF_NUMBER.fullmatch(head):
        raise ValueError("is not a number")
    value = float(head)
    if not math.isfinite(value):
        raise ValueError("is outside the range of floating-point numbers (±1.8e308)")
    mantissa, e, power = head.lower().partition("e")
    dot = mantissa.find(".")
    if len(power) > 6:
        raise ValueError("has an exponent out of range")
    exponent = (int(power) if e else 0) - (len(mantissa) - dot - 1 if dot >= 0 else 0)
    if exponent > 300:
        raise ValueError("has an exponent out of range")
    su = None
    if paren:
        digits = tail.rstrip(")").strip()
        if not _SU_DIGITS.fullmatch(digits):
            raise ValueError("has an su that is not digits in parentheses")
        if len(digits) > MAX_SU_DIGITS:
            raise ValueError(
                f"has an su of {len(digits)} digits, not a standard uncertainty "
                f"(at most {MAX_SU_DIGITS})"
            )
        su = int(digits) * 10.0**exponent
        if not math.isfinite(su):
            raise ValueError("has an su outside the range of floating-point numbers")
    return value, su, 0.5 * 10.0**exponent


# --- cell, symmetry -----------------------------------------------------------------------


def _read_cell(block: gemmi.cif.Block, where: _Where) -> Cell:
    values, sus = [], []
    for tag in (
        "_cell_length_a",
        "_cell_length_b",
        "_cell_length_c",
        "_cell_angle_alpha",
        "_cell_angle_beta",
        "_cell_angle_gamma",
    ):
        text = block.find_value(tag)
        if text is None:
            if "angle" in tag:  # some CIFs omit 90° angles
                values.append(90.0)
                sus.append(0.0)
                continue
            raise InputError(f"no {tag}: the block has no unit cell")
        try:
            value, su, _ = _cif_number(gemmi.cif.as_string(text))
        except ValueError as exc:
            raise InputError(f"{tag} {_shown(text)} {exc}", line=where.tag_line(tag)) from None
        if value is None or value <= 0:
            raise InputError(
                f"{tag} is missing or not positive ({_shown(text)})", line=where.tag_line(tag)
            )
        if "angle" in tag and not value < 180.0:
            raise InputError(
                f"{tag} {_shown(text)} is not a cell angle (0 to 180°)", line=where.tag_line(tag)
            )
        if "length" in tag and value > MAX_CELL_LENGTH:
            raise InputError(
                f"{tag} {_shown(text)} Å is longer than any crystal's repeat (coordgeo reads "
                f"cells up to {MAX_CELL_LENGTH:g} Å)",
                line=where.tag_line(tag),
            )
        values.append(value)
        sus.append(su or 0.0)
    cell = Cell(*values, su=tuple(sus))  # type: ignore[arg-type]
    if not np.isfinite(cell.volume) or cell.volume < 1.0:
        raise InputError(f"the cell {values} has no volume")
    return cell


def _read_symops(
    block: gemmi.cif.Block, notes: list[str], cell: Cell, sites: dict
) -> tuple[list[SymOp], str, gemmi.SpaceGroup | None, np.ndarray, np.ndarray]:
    """The operators, the space group's name and gemmi's group (None when unknown), and
    the (k, 3, 3) int rotations and (k, 3) translations of the operators, read-only."""
    symops: list[SymOp] = []
    op_line = None
    listed_once = False  # a remembered list: its operators are known to be distinct
    known_key = None  # its key in _SYMOP_LISTS
    to_remember = None
    op_kind = ""
    for xyz_tag, id_tag, kind in _OP_LOOPS:
        column = block.find_values(xyz_tag)
        if len(column) == 0:
            continue
        ids = block.find_values(id_tag)
        op_kind = kind
        line = op_line = _item_line(block, xyz_tag)
        if len(column) > MAX_OPERATORS:
            raise InputError(
                f"{len(column)} symmetry operators: a space group has at most 192 in its "
                f"conventional setting, and coordgeo reads at most {MAX_OPERATORS}",
                line=line,
            )
        key = (tuple(column), tuple(ids) if len(ids) == len(column) else None)
        known = None if kind else _SYMOP_LISTS.get(key)  # x,y,z loops (no notes to add)
        if known is not None:
            symops, listed_once, known_key = list(known), True, key
            break
        for k in range(len(column)):
            triplet = gemmi.cif.as_string(column[k])
            op_id = gemmi.cif.as_string(ids[k]) if len(ids) == len(column) else str(k + 1)
            if kind:
                triplet = _three_dimensional(triplet, kind, line)
            try:
                rot, tran = _operator_parts(triplet)
            except (RuntimeError, ValueError) as exc:
                raise InputError(
                    f"cannot read symmetry operator {triplet!r}: {exc}", line=line
                ) from None
            symops.append(
                SymOp(
                    id=(op_id or str(k + 1)).strip(),
                    triplet=triplet.strip(),
                    rotation=rot,
                    translation=tran,
                )
            )
        if kind == "magnetic":
            symops = _with_magnetic_centrings(block, symops, line)
        if kind:
            notes.append(_BASIC_STRUCTURE_NOTE[kind])
        elif len(symops) <= 192 and len(set(_operation_keys(symops))) == len(symops):
            to_remember = (key, tuple(symops))  # once the group check has passed
        break
    sg_name = ""
    for tag in _SG_NAME_TAGS:
        value = block.find_value(tag)
        if value and not gemmi.cif.is_null(value):
            sg_name = gemmi.cif.as_string(value).strip()
            break
    sg = _find_spacegroup(block, sg_name)
    if not listed_once:
        symops = _operations_listed_once(symops, sg, notes, op_kind)
    if not symops:
        if sg is not None:
            sg, why = _choose_setting(sg, cell, sites)
            for k, op in enumerate(sg.operations()):
                symops.append(_symop(str(k + 1), op.triplet(), op))
            notes.append(
                f"the CIF lists no symmetry operators; used those of {sg.xhm()}{why} "
                "in gemmi's order, which n_klm codes in the CIF may not follow"
            )
        else:
            symops.append(_symop("1", "x,y,z", gemmi.Op("x,y,z")))
            notes.append("no symmetry operators or space group: treated as P1")
    if not any(op.is_identity for op in symops):
        symops.insert(0, _symop("1", "x,y,z", gemmi.Op("x,y,z")))
        notes.append("the operator list has no identity; x,y,z added")
    arrays = _SYMOP_ARRAYS.get(known_key) if known_key is not None else None
    if arrays is not None:  # a remembered list: its arrays, and it passed the group check
        rotations, translations = arrays
    else:
        # the structure's operator arrays (coordgeo.model.read_only: they become its own)
        rotations = read_only(np.array([op.rotation for op in symops], dtype=int))
        translations = read_only(np.array([op.translation for op in symops], dtype=float))
        try:
            check_operator_group(rotations, translations, [op.triplet for op in symops])
        except InputError as exc:
            raise exc.located(line=op_line) from None
    if to_remember is not None:
        _remember_symops(*to_remember, (rotations, translations))
    if sg is None:
        try:
            sg = gemmi.find_spacegroup_by_ops(gemmi.GroupOps([_gemmi_op(op) for op in symops]))
        except (RuntimeError, ValueError):
            sg = None
    if not sg_name and sg is not None:
        sg_name = sg.hm
    return symops, sg_name, sg, rotations, translations


def _operations_listed_once(
    symops: list[SymOp], sg: gemmi.SpaceGroup | None, notes: list[str], kind: str = ""
) -> list[SymOp]:
    """The operator list with a list repeated by the program that wrote it read once.

    Some writers print the whole list k ≥ 2 times, every operator identical to the
    character's value (same rotation, same translation, not merely equal modulo a lattice
    translation): Jana2006 and GSAS-II exports (Ba₆Co₆ClO₁₆ in P -6 m 2 lists its 12
    operators twice, LaMnO₃ in P n m a its 8), and teXsan CIFs of the 1990s, where every
    line of C 1 2/c 1 appears twice with its centring translation lost (COD 7008984).
    Each such list is read once, with one note:

    * the distinct operators, when no space group is named or the named group has as many
      operations (International Tables Vol. A: a space group lists each coset
      representative once);
    * the named group's operations (gemmi's order, ids 1…n), when every listed operator is
      one of them and the file's line count k·n equals the named group's order: the
      repeats stood for the lost centring translations.

    Superspace or magnetic operators (``kind``) that differ only in their internal
    components (an X centring x1,x2,x3,x4+1/2) or their time reversal (x,y,z,+1 and
    x,y,z,-1) are one operator of the basic structure: the note says so.

    Anything else — one operator twice, a repeat equal only modulo a lattice translation
    (COD 2001925 lists x,y,z as x-1,y-1,z and x-1,y,z under P 1 21/n 1) — is left for
    :func:`coordgeo.symmetry.check_operator_group` to reject.
    """
    if len(symops) < 2:
        return symops
    keys = _operation_keys(symops)
    counts: dict = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    repeats = set(counts.values())
    if len(counts) == len(symops) or len(repeats) != 1:
        return symops
    k = repeats.pop()
    once: list[SymOp] = []
    for op, key in zip(symops, keys, strict=True):
        if counts[key]:
            once.append(op)
            counts[key] = 0
    n = len(once)
    order = len(sg.operations()) if sg is not None else n
    if order == n:
        why = _WHY_REPEATED.get(kind, "as some refinement programs write it")
        notes.append(
            f"the operator list gives each of its {n} operators {k} times ({why}); "
            "each is used once"
        )
        return once
    if order != k * n:
        return symops
    named = [_symop(str(m + 1), op.triplet(), op) for m, op in enumerate(sg.operations())]
    named_keys = set(
        operator_keys(
            np.array([op.rotation for op in named]), np.array([op.translation for op in named])
        ).tolist()
    )
    listed_keys = operator_keys(
        np.array([op.rotation for op in once]), np.array([op.translation for op in once])
    )
    if not all(key in named_keys for key in listed_keys.tolist()):
        return symops
    notes.append(
        f"the operator list gives each of {n} operators {k} times ({k * n} lines, the order "
        f"of {sg.xhm()}, whose operations include them): the repeats stand for lost "
        f"centring translations, so the {order} operations of {sg.xhm()} were used in "
        "gemmi's order, which n_klm codes in the CIF may not follow"
    )
    return named


def _operation_keys(symops: list[SymOp]) -> list[tuple]:
    """Each operator as (rotation, translation·2400 rounded): equal keys are one operator
    written twice (not merely equal modulo a lattice translation)."""
    return [
        (
            tuple(np.asarray(op.rotation, dtype=int).ravel()),
            tuple(np.round(np.asarray(op.translation) * 2400).astype(int)),
        )
        for op in symops
    ]


def _choose_setting(sg: gemmi.SpaceGroup, cell: Cell, sites: dict) -> tuple[gemmi.SpaceGroup, str]:
    """For a symbol with two settings (origin choices 1/2, rhombohedral H/R axes), pick the one
    the coordinates fit: the one whose symmetry images do not collide.

    A CIF that gives only "F d -3 m" leaves the origin open; placing the
    atoms with the wrong origin's operators puts symmetry mates on top of
    each other, which is how a crystallographer would notice.
    """
    name = sg.hm
    if sg.ext in ("H", "R"):
        axes = "H" if abs(cell.gamma - 120.0) < 0.5 else "R"
        other = gemmi.find_spacegroup_by_name(f"{name}:{axes}")
        return (
            other or sg
        ), f" ({'hexagonal' if axes == 'H' else 'rhombohedral'} axes, from the cell)"
    options = [gemmi.find_spacegroup_by_name(f"{name}:{ext}") for ext in ("2", "1")]
    options = [o for o in options if o is not None]
    if len(options) < 2:
        return sg, ""
    scores = [_collisions(o, cell, sites) for o in options]
    best = min(
        range(len(options)), key=lambda k: scores[k]
    )  # ties: origin choice 2 (centre at origin)
    return options[best], (
        f" (origin choice {options[best].ext}: {scores[best]} close contacts between "
        f"symmetry mates against {scores[1 - best]} with origin choice {options[1 - best].ext})"
    )


def _collisions(sg: gemmi.SpaceGroup, cell: Cell, sites: dict) -> int:
    """Contacts shorter than 60 % of the covalent-radius sum between a site (of the first
    64) and any symmetry image of one of them.

    Every pair of colliding images is a symmetry copy of such a pair (apply the inverse
    of the first image's operator), so comparing the asymmetric unit with all images
    scores a setting as the full image-to-image comparison does, in N·N·|G| rather than
    (N·|G|)² memory: the full comparison took gigabytes for 200 sites in F d -3 m. The
    wrong origin puts nearly every atom on a mate, so 64 sites tell the choices apart.
    """
    ops = list(sg.operations())
    rot = np.array([op.rot for op in ops], dtype=float) / gemmi.Op.DEN
    tran = np.array([op.tran for op in ops], dtype=float) / gemmi.Op.DEN
    x = sites["fract"][:64]
    radii = np.array(
        [gemmi.Element(e).covalent_r if e != "X" else 0.0 for e in sites["elements"][:64]]
    )
    images = (np.einsum("kij,nj->nki", rot, x) + tran[None]).reshape(-1, 3)
    owner_radius = np.repeat(radii, len(ops))
    count = 0
    for start in range(0, len(x), 16):  # 16 sites × 12 288 images × 3 at most: ~5 MB
        d = images[None, :, :] - x[start : start + 16, None, :]
        d -= np.round(d)
        dist = np.linalg.norm(d @ cell.orthogonalization.T, axis=-1)
        limit = 0.6 * (radii[start : start + 16, None] + owner_radius[None, :])
        count += int(((dist < limit) & (dist > 1e-3)).sum())
    return count


#: Why a superspace or magnetic list gives a basic-structure operator more than once.
_WHY_REPEATED = {
    "superspace": (
        "its superspace operators differ only in the internal coordinates x4 …, e.g. a "
        "centring x4+1/2"
    ),
    "magnetic": "its magnetic operators differ only in their time reversal",
}

_BASIC_STRUCTURE_NOTE = {
    "superspace": (
        "the CIF gives superspace operators (a modulated structure): read as the operators "
        "of its basic structure (x1, x2, x3 as x, y, z); the coordinates are the average "
        "structure and the modulation is not applied"
    ),
    "magnetic": (
        "the CIF gives magnetic operators: read without their time reversal (the last "
        "component), combined with the magnetic centrings; the magnetic moments are not used"
    ),
}


#: One internal component of a superspace operator: signed terms, each an integer multiple
#: of a coordinate x1 … (``2x4``, ``-x1+x4``) or a rational or decimal translation (``+1/2``).
_SUPERSPACE_COMPONENT = re.compile(
    r"[+-]?(?:\d*\*?x\d+|\d+/\d+|\d*\.?\d+)(?:[+-](?:\d*\*?x\d+|\d+/\d+|\d*\.?\d+))*"
)


def _refuse_composite(block: gemmi.cif.Block) -> None:
    """Refuse a composite (intergrowth) crystal: two or more subsystems
    (``_cell_subsystems_number`` > 1, or more than one ``_cell_subsystem_code`` or
    ``_atom_site_subsystem_code``).

    Subsystem ν has its own basic cell and its own superspace operators, those of the
    block transformed by its matrix W^ν (van Smaalen, *Incommensurate Crystallography*,
    2007, ch. 4; ``_cell_subsystem_matrix_W_*``); coordgeo reads one set of operators for
    all sites, which is wrong for every subsystem but the first.
    """
    codes = 0
    tag = "_cell_subsystems_number"
    value = block.find_value(tag)
    if value and not gemmi.cif.is_null(value):
        try:
            codes = int(float(gemmi.cif.as_string(value)))
        except ValueError:
            codes = 0
    for code_tag in ("_cell_subsystem_code", "_atom_site_subsystem_code"):
        column = block.find_values(code_tag)
        distinct = {gemmi.cif.as_string(v) for v in column if not gemmi.cif.is_null(v)}
        if len(distinct) > codes:
            codes, tag = len(distinct), code_tag
    if codes > 1:
        raise InputError(
            f"a composite crystal of {codes} subsystems ({tag}): the sites of each subsystem "
            "need its own W-transformed superspace operators, which coordgeo does not apply",
            line=_item_line(block, tag),
        )


def _three_dimensional(text: str, kind: str, line: int | None) -> str:
    """The x,y,z operator of a superspace or magnetic operator.

    A superspace operator of a (3+d)-dimensional modulated structure, ``-x2,x1-x2,x3,x4+1/3``
    (IUCr CIF dictionary for modulated structures, ``_space_group_symop_ssg_operation_algebraic``),
    acts on the basic structure through its first three components, which may not involve the
    internal coordinates x4 … (a superspace group's point group keeps the internal space
    apart: Janssen, Janner, Looijenga-Vos & de Wolff, *International Tables* Vol. C, 9.8): its
    3D part is ``-y,x-y,z``. A magnetic operator ``x,y,z,-1`` (magCIF,
    ``_space_group_symop_magn_operation.xyz``) is the operator x,y,z with time reversal −1;
    its 3D part is ``x,y,z``.
    """
    parts = [p.strip() for p in text.split(",")]
    if kind == "superspace":
        if len(parts) < 4:
            raise InputError(
                f"cannot read superspace operator {text!r}: a (3+d)-dimensional operator has "
                "at least four components (x1, x2, x3, x4 …)",
                line=line,
            )
        if any(re.search(r"x(?:[4-9]|\d\d)", p) for p in parts[:3]):
            raise InputError(
                f"cannot read superspace operator {text!r}: its first three components must "
                "be in x1, x2, x3 only",
                line=line,
            )
        for p in parts[3:]:
            indices = [int(k) for k in re.findall(r"x(\d+)", p)]
            if (
                not _SUPERSPACE_COMPONENT.fullmatch(p.replace(" ", ""))
                or not any(k >= 4 for k in indices)
                or any(not 1 <= k <= len(parts) for k in indices)
            ):
                raise InputError(
                    f"cannot read superspace operator {text!r}: its component {p!r} is not "
                    f"a sum of ±x1 … ±x{len(parts)} that involves "
                    f"{'x4' if len(parts) == 4 else f'one of x4 … x{len(parts)}'}, "
                    "and a fraction",
                    line=line,
                )
        out = []
        for p in parts[:3]:
            for k, axis in (("x1", "x"), ("x2", "y"), ("x3", "z")):
                p = p.replace(k, axis)
            out.append(p)
        return ",".join(out)
    if len(parts) != 4 or parts[3].lstrip("+") not in ("1", "-1"):
        raise InputError(
            f"cannot read magnetic operator {text!r}: expected x,y,z and a time reversal ±1",
            line=line,
        )
    return ",".join(parts[:3])


def _with_magnetic_centrings(
    block: gemmi.cif.Block, symops: list[SymOp], line: int | None
) -> list[SymOp]:
    """The magnetic operators g combined with the magnetic centrings c of the block,
    c·g = (R_c R_g, R_c t_g + t_c) for every pair (magCIF lists the two apart); ids 1…n
    in the order c₁g₁, c₁g₂ … The first centring is the identity in every magCIF."""
    for tag in _MAGNETIC_CENTRING_TAGS:
        column = block.find_values(tag)
        if len(column) > 1:
            break
    else:
        return symops
    if len(column) * len(symops) > MAX_OPERATORS:
        raise InputError(
            f"{len(column)} magnetic centrings × {len(symops)} operators: coordgeo reads at "
            f"most {MAX_OPERATORS} operators",
            line=line,
        )
    out: list[SymOp] = []
    for k in range(len(column)):
        centring = _three_dimensional(gemmi.cif.as_string(column[k]), "magnetic", line)
        try:
            rc, tc = _operator_parts(centring)
        except (RuntimeError, ValueError) as exc:
            raise InputError(
                f"cannot read magnetic centring {gemmi.cif.as_string(column[k])!r} ({tag}): "
                f"{str(exc).rstrip(': ')}",
                line=_item_line(block, tag),
            ) from None
        for g in symops:
            rot = rc @ g.rotation
            tran = (rc @ g.translation + tc) % 1.0
            op = gemmi.Op()
            op.rot = [[int(v) * gemmi.Op.DEN for v in row] for row in rot]
            op.tran = [round(float(t) * gemmi.Op.DEN) for t in tran]
            out.append(_symop(str(len(out) + 1), op.triplet(), op))
    return out


#: The operators read from each x,y,z operator loop whose operators are distinct (no list
#: written twice: :func:`_operations_listed_once` has nothing to do), keyed by the loop's
#: values as written and its ids: a space group's list recurs in file after file. SymOps
#: are frozen and their arrays read-only, so the lists share them. Bounded.
_SYMOP_LISTS: dict[tuple, tuple[SymOp, ...]] = {}
#: The (rotations, translations) arrays of each list of :data:`_SYMOP_LISTS` as a block
#: uses it (with x,y,z first when the list lacks it: the same for every block that lists
#: it), read-only, made and checked once: the group check passed before it was kept.
_SYMOP_ARRAYS: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
#: The bound of :data:`_SYMOP_LISTS`, in operators (~1 kB each with their key): the 230
#: space groups in a few settings each fit; a stream of files each with its own list (or a
#: hostile one) stops filling it at a few MB.
_SYMOP_CACHE_OPERATORS = 16_384
_symop_cached = [0]  # operators held now


def _remember_symops(
    key: tuple, symops: tuple[SymOp, ...], arrays: tuple[np.ndarray, np.ndarray]
) -> None:
    """Keep an operator list that has passed the group check (a list of at most 192
    operators: a space group's in its conventional setting) and its block's operator
    arrays, within the cache's bound."""
    if key in _SYMOP_LISTS or _symop_cached[0] + len(symops) > _SYMOP_CACHE_OPERATORS:
        return
    _SYMOP_LISTS[key] = symops
    _SYMOP_ARRAYS[key] = arrays
    _symop_cached[0] += len(symops)


@lru_cache(maxsize=4096)
def _operator_parts(triplet: str) -> tuple[np.ndarray, np.ndarray]:
    """(rotation, translation) of an operator string, parsed by gemmi once per process
    (the same few hundred strings recur in file after file); read-only arrays."""
    op = gemmi.Op(triplet)
    rot = np.array(op.rot, dtype=int) // gemmi.Op.DEN
    tran = np.array(op.tran, dtype=float) / gemmi.Op.DEN
    rot.setflags(write=False)
    tran.setflags(write=False)
    return rot, tran


def _symop(op_id: str, triplet: str, op: gemmi.Op) -> SymOp:
    rot = np.array(op.rot, dtype=int) // gemmi.Op.DEN
    tran = np.array(op.tran, dtype=float) / gemmi.Op.DEN
    return SymOp(id=op_id.strip(), triplet=triplet.strip(), rotation=rot, translation=tran)


def _gemmi_op(op: SymOp) -> gemmi.Op:
    g = gemmi.Op()
    g.rot = [[int(v) * gemmi.Op.DEN for v in row] for row in op.rotation]
    g.tran = [round(float(t) * gemmi.Op.DEN) for t in op.translation]
    return g


def _find_spacegroup(block: gemmi.cif.Block, name: str) -> gemmi.SpaceGroup | None:
    if name:
        try:
            sg = gemmi.find_spacegroup_by_name(name)
        except (RuntimeError, ValueError):
            sg = None
        if sg is not None:
            return sg
    for tag in _SG_NUMBER_TAGS:
        value = block.find_value(tag)
        if value and not gemmi.cif.is_null(value):
            try:
                return gemmi.find_spacegroup_by_number(int(gemmi.cif.as_number(value)))
            except (RuntimeError, ValueError, OverflowError, TypeError):  # nan, inf, 1e300
                return None
    return None


def _crystal_system(block: gemmi.cif.Block, sg: gemmi.SpaceGroup | None) -> str:
    if sg is not None:
        return sg.crystal_system_str()
    for tag in ("_space_group_crystal_system", "_symmetry_cell_setting"):
        value = block.find_value(tag)
        if value:
            text = gemmi.cif.as_string(value).strip().lower()
            if text in CRYSTAL_SYSTEMS:
                return text
            if text == "rhombohedral":
                return "trigonal"
    return ""


# --- sites --------------------------------------------------------------------------------


def _read_sites(block: gemmi.cif.Block, notes: list[str], where: _Where) -> dict:
    """Read the ``_atom_site_`` loop column by column (fast for bulk runs).

    Refused, naming the site, tag and line: more sites than the ``sites`` limit, a
    label used twice (labels that repeat as bare element symbols are numbered instead:
    :func:`_unique_labels`), a coordinate, occupancy or U that is not a CIF number (``nan``,
    ``inf``, out of float range, an su of more than :data:`MAX_SU_DIGITS` digits), a
    coordinate beyond ±:data:`MAX_FRACTIONAL`, a negative occupancy.
    """
    site_loop = _LoopColumns(block, "_atom_site_fract_x")
    labels_raw = site_loop["_atom_site_label"]
    xyz_raw = [site_loop[f"_atom_site_fract_{c}"] for c in "xyz"]
    if len(xyz_raw[0]) == 0 or any(len(col) != len(xyz_raw[0]) for col in xyz_raw):
        if block.find_values("_atom_site_Cartn_x"):
            raise InputError(
                "atom sites are given only in Cartesian coordinates; coordgeo needs fractional ones"
            )
        missing = [
            f"_atom_site_fract_{c}" for c, col in zip("xyz", xyz_raw, strict=True) if not col
        ]
        hint = ""
        for tag in missing:
            for item in block:
                if item.loop is not None:
                    odd = [
                        t for t in item.loop.tags if t.strip("_").lower() == tag.strip("_").lower()
                    ]
                    if odd:
                        hint = f" (found {odd[0]}: misspelled?)"
        raise InputError(
            f"no atom sites: {', '.join(missing) or '_atom_site_fract_x/y/z'} missing{hint}"
        )
    n = len(xyz_raw[0])
    if n > limit_in_force("sites"):  # the loop's line only then (and for an unknown element)
        check_limit("sites", n, line=where.tag_line("_atom_site_fract_x"))
    labels = _unquoted(labels_raw) if len(labels_raw) == n else [str(i + 1) for i in range(n)]
    written = labels
    labels = _unique_labels(labels, block, where, notes)
    columns = {
        name: _column(site_loop[f"_atom_site_{name}"], n)
        for name in (
            "type_symbol",
            "calc_flag",
            "refinement_flags",
            "refinement_flags_posn",
            "disorder_assembly",
            "disorder_group",
        )
    }
    fract = np.empty((n, 3))
    fract_su = np.zeros((n, 3))
    rounding = np.empty((n, 3))
    # the numbers of x, y, z, occupancy, U and the U_ij in one pass; read (and checked)
    # column by column below, in that order
    number_tags = ("_atom_site_occupancy", "_atom_site_U_iso_or_equiv")
    tokens = [*xyz_raw, *(site_loop[t] for t in number_tags)]
    aniso_loop = _LoopColumns(block, "_atom_site_aniso_label")
    aniso_labels = aniso_loop["_atom_site_aniso_label"]
    aniso_tokens = [aniso_loop[tag] for tag in _ANISO_TAGS] if aniso_labels else []
    aniso_present = [k for k, col in enumerate(aniso_tokens) if len(col) == len(aniso_labels)]
    # U_ij in the plain form (or null) can give no note: read on first use (bulk never)
    later = bool(aniso_present) and _plain_or_null([aniso_tokens[k] for k in aniso_present])
    plain = _plain_columns(tokens + ([] if later else [aniso_tokens[k] for k in aniso_present]))
    for c in range(3):
        tag = f"_atom_site_fract_{'xyz'[c]}"
        fract[:, c], fract_su[:, c], rounding[:, c] = _numbers_with_su(
            tokens[c], labels, tag, where, plain[c]
        )
        far = np.flatnonzero(np.abs(fract[:, c]) > MAX_FRACTIONAL)
        if far.size:
            k = int(far[0])
            raise InputError(
                f"site {labels[k]}: {tag} {fract[k, c]:g} is more than {MAX_FRACTIONAL:g} cells "
                "from the origin (a typing error?)",
                line=where.row_line(tag, k),
            )
    located = np.all(np.isfinite(fract), axis=1)
    no_su = ~fract_su.any(axis=1)
    all_caps = not any(ch.islower() for ch in set("".join(labels)))  # each character once
    # each distinct flag and type symbol once, then a lookup per site
    flags = columns["calc_flag"]
    dummy = {f: f.lower() in _DUMMY_FLAGS for f in set(flags)}
    # a type symbol with letters names the element whatever the label (None: read the label)
    type_symbols = columns["type_symbol"]
    composition_like = {t for t in set(type_symbols) if _COMPOSITION_LIKE.search(t)}
    by_symbol = {
        t: None if t in composition_like else element_from_label("", t, all_caps)
        for t in set(type_symbols)
    }
    mixed = _composition_symbols([t for t, e in by_symbol.items() if e is None])
    if mixed:
        by_symbol.update(mixed)
        shown = sorted(
            {f"{labels[i]} ({type_symbols[i]})" for i in range(n) if type_symbols[i] in mixed}
        )
        notes.append(
            "type symbols that give a site's composition (SpringerMaterials / Pauling File): "
            f"read as the element of the largest fraction: {', '.join(shown)}"
        )
    if not any(dummy.values()) and all(by_symbol.values()):  # each symbol names its element
        elements: list[str] = list(map(by_symbol.__getitem__, type_symbols))
    else:
        elements = [
            "X"
            if dummy[f]
            else by_symbol[t]
            or (None if t in composition_like else element_from_label(label, t, all_caps))
            for f, t, label in zip(flags, type_symbols, labels, strict=True)
        ]
    if None in elements:  # a site no symbol or label names: a dummy when it has no position
        for i in [i for i, e in enumerate(elements) if e is None]:
            if located[i]:
                raise InputError(
                    f"site {labels[i]}: unknown element {type_symbols[i] or labels[i]!r}",
                    line=where.tag_line("_atom_site_fract_x"),
                )
            elements[i] = "X"
    # calculated: a calc flag, an R (riding) or G (rigid group) refinement flag, or an H
    # without su's
    calc_flag = {f: f.lower() in _CALC_FLAGS for f in set(flags)}
    calc = np.fromiter(map(calc_flag.__getitem__, flags), dtype=bool, count=n)
    for name in ("refinement_flags", "refinement_flags_posn"):
        riding = {r: "R" in r.upper() or "G" in r.upper() for r in set(columns[name])}
        if any(riding.values()):
            calc |= np.fromiter(map(riding.__getitem__, columns[name]), dtype=bool, count=n)
    if no_su.any():
        calc |= no_su & np.fromiter(map("H".__eq__, elements), dtype=bool, count=n)
    occupancy = _site_numbers(
        block, "_atom_site_occupancy", n, 1.0, labels, where, column=(tokens[3], plain[3])
    )
    negative = np.flatnonzero(occupancy < 0)
    if negative.size:
        k = int(negative[0])
        raise InputError(
            f"site {labels[k]}: _atom_site_occupancy {occupancy[k]:g} is negative",
            line=where.row_line("_atom_site_occupancy", k),
        )
    u_iso = _site_numbers(
        block,
        "_atom_site_U_iso_or_equiv",
        n,
        np.nan,
        labels,
        where,
        notes,
        column=(tokens[4], plain[4]),
    )
    keep = np.flatnonzero(located)
    if len(keep) < n:
        notes.append(
            "sites without coordinates ignored: "
            + ", ".join(labels[i] for i in range(n) if not located[i])
        )
    if len(keep) == 0:
        raise InputError("no atom site has coordinates")
    listed = labels
    if len(keep) < n:  # the located sites (all of them, as a rule: nothing to copy)
        labels = [labels[i] for i in keep.tolist()]
        elements = [elements[i] for i in keep.tolist()]
        fract, fract_su, rounding = fract[keep], fract_su[keep], rounding[keep]
        occupancy, u_iso, calc = occupancy[keep], u_iso[keep], calc[keep]
    dummies = [lab for lab, el in zip(labels, elements, strict=True) if el == "X"]
    if dummies:
        notes.append(f"dummy sites kept for geometry only: {', '.join(dummies)}")
    # the U_ij of every listed site, matched by its label as numbered (an aniso row may
    # name a site without coordinates), kept with the sites
    if later:
        u_aniso: np.ndarray | Deferred = Deferred(
            _deferred_aniso,
            tuple(listed),
            tuple(written) if written is not listed else None,
            aniso_labels,
            [aniso_tokens[k] if k in aniso_present else [] for k in range(len(aniso_tokens))],
            aniso_present,
        )
    else:
        u_aniso = _read_aniso(
            listed,
            written,
            aniso_labels,
            aniso_tokens,
            dict(zip(aniso_present, plain[5:], strict=True)),
            where,
            notes,
        )
    return {
        "labels": labels,
        "elements": elements,
        "fract": fract,
        "fract_su": fract_su,
        "fract_rounding": rounding,
        "occupancy": occupancy,
        "u_iso": u_iso,
        "u_aniso": (u_aniso.take(keep) if later else u_aniso[keep]) if len(keep) < n else u_aniso,
        "calc": calc,
        "assembly": _kept_text(columns["disorder_assembly"], keep, n),
        "group": _kept_text(columns["disorder_group"], keep, n),
    }


def _kept_text(column: list[str], keep: np.ndarray, n: int) -> list[str]:
    """The rows ``keep`` of a text column of :func:`_column`, '' for a null (a quoted ``'?'``
    included)."""
    if len(keep) < n:
        column = [column[i] for i in keep.tolist()]
    if _NULLS.isdisjoint(column):
        return list(column)
    return [_null_to_empty(text) for text in column]


_NULLS = frozenset(("?", "."))
_QUOTES = frozenset("'\";")


def _unquote(token: str) -> str:
    return gemmi.cif.as_string(token) if token[:1] in ("'", '"', ";") else token


def _unquoted(tokens) -> list[str]:
    """:func:`_unquote` of each token of a column; the tokens as they are (one scan of
    their joined text) when no quote or ``;`` is in any."""
    tokens = list(tokens)
    text = "".join(tokens)
    if "'" in text or '"' in text or ";" in text:
        return [gemmi.cif.as_string(v) if v[:1] in _QUOTES else v for v in tokens]
    return tokens


class _LoopColumns:
    """The columns of the loop holding ``tag`` as lists of their tokens (as
    ``list(block.find_values(tag))`` gives them), cut from one copy of the loop's values:
    converting a column value by value costs ~10 times what its share of the loop's
    values costs. A tag outside that loop is looked up in the block."""

    def __init__(self, block: gemmi.cif.Block, tag: str) -> None:
        self.block = block
        item = block.find_loop_item(tag)
        self.loop = item.loop if item is not None else None
        # gemmi refuses a tag given twice in a block (case-insensitively): a tag of the
        # loop is found there and nowhere else
        self.index = (
            {t.lower(): k for k, t in enumerate(self.loop.tags)} if self.loop is not None else {}
        )
        self.width = self.loop.width() if self.loop is not None else 0
        self.values: list[str] | None = None

    def __getitem__(self, tag: str) -> list[str]:
        lower = tag.lower()
        k = self.index.get(lower)
        if k is None:
            block = self.block
            if block.find_pair_item(lower) is None and block.find_loop_item(lower) is None:
                return []  # in no pair and no loop (two lookups: ~4× faster than a column)
            return list(block.find_values(tag))
        if self.values is None:
            self.values = self.loop.values
        return self.values[k :: self.width]


def _column(raw: list[str], n: int) -> list[str]:
    """A loop column's tokens as unquoted strings, '' for null; all '' when absent (when
    there are not ``n``)."""
    if len(raw) != n:
        return [""] * n
    values = raw
    text = "".join(values)
    if "'" not in text and '"' not in text and ";" not in text:  # nothing quoted
        nulls = values.count("?") + values.count(".")
        if not nulls:
            return values
        if nulls == n:  # a column of nulls (an ordered structure's disorder groups)
            return [""] * n
        return ["" if v in _NULLS else v for v in values]
    return [
        "" if v in _NULLS else (gemmi.cif.as_string(v).strip() if v[0] in _QUOTES else v)
        for v in values
    ]


def _shown(text: str) -> str:
    """A value for a message: quoted, and cut short when it is long (a 400-digit su)."""
    return repr(text if len(text) <= 40 else text[:30] + "…")


def _numbered_labels(labels: list[str]) -> list[str] | None:
    """Labels that repeat only as bare element symbols, numbered in file order; else None.

    P1 exports that name each atom by its element (the ``data_crystal`` CIFs of Zeo++ and
    of the CoRE MOF tools, e.g. CSD AXIPEE in mofchecker's tests: eight sites ``Fe``, 16
    ``Au``, …) give one label to many sites. Where every repeated label is an element
    symbol (``Fe``, ``C``: a label that names nothing else), the k-th site of label ``Fe``
    becomes ``Fe<k>``, skipping a name the block already uses; labels that occur once are
    kept. None when the labels are unique or a repeated label is not a bare symbol
    (``Fe1`` twice is a typing error, not a convention).
    """
    repeated = {label for label, count in collections.Counter(labels).items() if count > 1}
    if not repeated or not all(
        _BARE_SYMBOL.match(label) and atomic_number(label) > 0 for label in repeated
    ):
        return None
    taken = set(labels)
    next_number = dict.fromkeys(repeated, 0)
    out = []
    for label in labels:
        if label not in repeated:
            out.append(label)
            continue
        number = next_number[label] + 1
        while f"{label}{number}" in taken:
            number += 1
        next_number[label] = number
        out.append(f"{label}{number}")
        taken.add(out[-1])
    return out


#: A site label that is only an element symbol (``Fe``, ``C``; not ``Fe1``).
_BARE_SYMBOL = re.compile(r"^[A-Z][a-z]?$")


def _unique_labels(
    labels: list[str], block: gemmi.cif.Block, where: _Where, notes: list[str]
) -> list[str]:
    """The block's site labels, each naming one site: as written when they are unique;
    numbered with a note when they repeat only as bare element symbols
    (:func:`_numbered_labels`) and no ``_geom_*`` loop of the block names a repeated one
    (its rows could not tell the sites apart); refused otherwise
    (:func:`_check_unique_labels`)."""
    numbered = _numbered_labels(labels) if len(set(labels)) < len(labels) else None
    if numbered is None:
        _check_unique_labels(labels, where)
        return labels
    repeated = sorted({a for a, b in zip(labels, numbered, strict=True) if a != b})
    named = _geom_labels(block) & set(repeated)
    if named:
        _check_unique_labels(labels, where)  # raises: the loops name sites by these labels
    aniso = _unquoted(block.find_values("_atom_site_aniso_label"))
    # U_ij rows of a label given as often as its sites are numbered in the same file
    # order (_read_aniso); fewer rows (some of those atoms isotropic) cannot be matched
    # to their sites: their U_ij are left out, which no geometry needs
    unmatched = [label for label in repeated if aniso.count(label) not in (0, labels.count(label))]
    counts = ", ".join(f"{label} ×{labels.count(label)}" for label in repeated)
    matched = set(aniso) & set(repeated) - set(unmatched)
    notes.append(
        f"site labels repeat as bare element symbols ({counts}), as P1 exports that name "
        "each atom by its element write them: numbered in file order "
        f"({repeated[0]} → {repeated[0]}1, {repeated[0]}2, …"
        + (", as are their _atom_site_aniso rows)" if matched else ")")
    )
    for label in unmatched:
        notes.append(
            f"_atom_site_aniso_label gives {label!r} {aniso.count(label)} times for "
            f"{labels.count(label)} sites: which sites those U_ij belong to is not written, "
            f"so the {label} sites have no anisotropic U"
        )
    return numbered


def _geom_labels(block: gemmi.cif.Block) -> set[str]:
    """Every label the block's ``_geom_*`` loops name."""
    out: set[str] = set()
    for item in block:
        if item.loop is not None and item.loop.tags[0].lower().startswith("_geom_"):
            for k, tag in enumerate(item.loop.tags):
                if "atom_site_label" in tag.lower():
                    width = item.loop.width()
                    out.update(
                        gemmi.cif.as_string(item.loop.values[row * width + k])
                        for row in range(item.loop.length())
                    )
    return out


def _check_unique_labels(labels: list[str], where: _Where) -> None:
    """Two sites with one label would be mixed up by every table and by the CIF's own
    ``_geom_*`` loops, which name sites by label: refuse the block, naming both lines."""
    if len(set(labels)) == len(labels):
        return
    first: dict[str, int] = {}
    for k, label in enumerate(labels):
        if label in first:
            before = where.row_line("_atom_site_label", first[label])
            raise InputError(
                f"site label {label!r} is used twice in _atom_site_label"
                + (f" (first on line {before})" if before else "")
                + ": labels must be unique in a data block",
                line=where.row_line("_atom_site_label", k),
            )
        first[label] = k


def _site_numbers(
    block: gemmi.cif.Block | None,
    tag: str,
    n: int,
    default: float,
    labels: list[str],
    where: _Where,
    notes: list[str] | None = None,
    *,
    column: tuple[list[str], _Plain] | None = None,
) -> np.ndarray:
    """A numeric column of the site loop (su's dropped); ``default`` for ?, . or no column.

    A value that is not a CIF number is an :class:`InputError`, or, when ``notes`` is
    given, ``default`` with a note naming the sites (for U values, which old programs
    print as ``0.08*`` and which only the powder pattern uses). ``column``: the column's
    tokens and their :func:`_plain_numbers`, when the caller read them already.
    """
    if column is not None:
        tokens, parsed = column
    else:
        assert block is not None
        tokens, parsed = list(block.find_values(tag)), None
    if len(tokens) != n:
        return np.full(n, default, dtype=float)
    unread: list[tuple[int, str]] = []
    plain, _, _, others = parsed if parsed is not None else _plain_numbers(tokens)
    # the numbers read, ``default`` where none was (NaN: the values as they are)
    out = plain.copy() if math.isnan(default) else np.where(np.isnan(plain), default, plain)
    for k in others:  # the tokens in another form, one by one, with every check
        token = tokens[k]
        try:
            value = _cif_number(_unquote(token))[0]
        except ValueError as exc:
            if notes is None:
                raise InputError(
                    f"site {labels[k]}: {tag} {_shown(token)} {exc}", line=where.row_line(tag, k)
                ) from None
            unread.append((k, token))
            continue
        if value is not None:
            out[k] = value
    if unread:  # lines of the first five only: finding a row's line reads the loop
        shown = ", ".join(
            f"{labels[k]} ({_shown(token)}, line {where.row_line(tag, k)})"
            for k, token in unread[:5]
        ) + (f" and {len(unread) - 5} more" if len(unread) > 5 else "")
        notes.append(f"{tag} is not a number for {shown}: taken as not given")
    return out


# A CIF number in its plain form, ``-0.21563(16)``: no exponent, no quotes, an su of at most
# MAX_SU_DIGITS digits. Nearly every token of a site loop; the rest go through _cif_number.
_PLAIN_NUMBER = re.compile(
    rf"([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))(?:\(([0-9]{{1,{MAX_SU_DIGITS}}})\))?"
)


#: 10^−k for k decimals, as Python computes ``10.0 ** -k`` (0.0 beyond float range).
_TENTHS = np.array([10.0**-k for k in range(400)])
#: 10^k, exact in binary floating point up to k = 22.
_TENS = np.array([10.0**k for k in range(23)])
_NEWLINE, _DOT, _OPEN, _CLOSE, _PLUS, _MINUS, _ZERO = (ord(c) for c in "\n.()+-0")
#: Every digit as 0 (bytes.translate): a token's shape, ``-0.00000(00)``, which
#: :data:`_PLAIN_NUMBER` matches exactly when it matches the token.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_PLAIN_SHAPE = re.compile(_PLAIN_NUMBER.pattern.encode("ascii"))

_Plain = tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]


def _parse_plain_tokens(tokens: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """:func:`_parse_plain` of tokens that are all plain numbers; None when one is not (the
    form of :data:`_PLAIN_NUMBER`: a sign only first, digits with at least one before the
    su and at most one point, which is not in the su, and at most one su of 1–6 digits in
    parentheses at the end)."""
    joined = "\n".join(tokens) + "\n"
    if joined.count("\n") != len(tokens) or not joined.isascii():  # a text field, non-ASCII
        return None
    # a column has a few shapes of number (digits as 0): each is matched once
    shapes = set(joined.encode("ascii").translate(_DIGITS_AS_ZERO).split(b"\n")[:-1])
    if not all(map(_PLAIN_SHAPE.fullmatch, shapes)):
        return None
    return _parse_plain(joined, len(tokens))


def _plain_numbers(tokens: list[str]) -> _Plain:
    """:func:`_cif_number` of a loop column's plain numbers at once.

    Returns values (NaN for ``?``, ``.`` and the tokens in another form), su's (0 when
    none is printed), rounding half-units, and the indices of the tokens in another form
    (quoted, with an exponent, not a number, out of range), which the caller reads one
    by one with :func:`_cif_number` and its checks. The same numbers as
    :func:`_cif_number`: ``float`` of the printed digits, su = digits·10^−decimals.
    """
    n = len(tokens)
    values = np.full(n, np.nan)
    sus = np.zeros(n)
    rounding = np.zeros(n)
    if n == 0:
        return values, sus, rounding, []
    read = _parse_plain_tokens(tokens)  # the usual column: all plain?
    others: list[int] = []
    if read is not None:
        idx = np.arange(n)
    elif (
        (given := [k for k, t in enumerate(tokens) if t not in _NULLS])
        and len(given) < n
        and (read := _parse_plain_tokens([tokens[k] for k in given])) is not None
    ):  # plain numbers and nulls (an H's U as ?): the numbers at once
        idx = np.array(given)
    else:
        plain = [_PLAIN_NUMBER.fullmatch(t) is not None for t in tokens]
        others = [k for k in range(n) if not plain[k] and tokens[k] not in ("?", ".")]
        idx = np.flatnonzero(plain)
        if not len(idx):
            return values, sus, rounding, others
        read = _parse_plain("\n".join([tokens[k] for k in idx.tolist()]) + "\n", len(idx))
        assert read is not None
    parsed, decimals, digits = read
    scale = _TENTHS[np.minimum(decimals, len(_TENTHS) - 1)]
    scale[decimals >= len(_TENTHS)] = 0.0
    ok = np.isfinite(parsed)  # 400 digits overflow: _cif_number says so
    if len(idx) == n and ok.all():  # every token a plain number: the arrays as they come
        return parsed, np.where(digits >= 0, digits * scale, 0.0), 0.5 * scale, others
    if not ok.all():
        others = sorted(others + idx[~ok].tolist())
    values[idx[ok]] = parsed[ok]
    rounding[idx[ok]] = 0.5 * scale[ok]
    with_su = ok & (digits >= 0)
    sus[idx[with_su]] = digits[with_su] * scale[with_su]
    return values, sus, rounding, others


def _parse_plain(joined: str, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values, decimals and su digits (−1 when none) of n plain numbers, each ended by a
    newline (``0.21563(16)\\n-1.5\\n``), read from the characters' codes at once: every
    token has the form of :data:`_PLAIN_NUMBER` (the caller made sure of it).

    A number of at most 15 digits and 22 decimals is its digits as an integer m (exact in
    binary floating point) divided by 10^decimals (exact too): IEEE division rounds that
    quotient correctly, as ``float`` rounds the decimal text, so the two are the same
    number. Longer numbers are read by ``float``.
    """
    b = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    newline = b == _NEWLINE
    ends = np.flatnonzero(newline)  # token k ends before ends[k]
    token = np.cumsum(newline)  # the token of each character
    token -= newline
    head_end = ends.copy()
    opens = np.flatnonzero(b == _OPEN)
    head_end[token[opens]] = opens  # the number ends at its su's "("
    dots = np.flatnonzero(b == _DOT)
    dot = np.full(n, -1, dtype=np.int64)
    dot[token[dots]] = dots
    decimals = np.where(dot >= 0, head_end - dot - 1, 0)
    # every digit: its token, whether it is in the su, its power of ten
    digit = b - _ZERO  # 0–9 for digits; the other characters wrap round above 200
    pos = np.flatnonzero(digit <= 9)
    t = token[pos]
    in_su = pos > head_end[t]
    place = np.where(in_su, ends[t] - 2, head_end[t] - 1) - pos - (dot[t] > pos)
    weight = digit[pos] * _TENS[np.minimum(place, len(_TENS) - 1)]
    key = t + n * in_su  # the number's digits, then the su's
    counts = np.bincount(key, minlength=2 * n)
    starts = np.concatenate(([0], ends[:-1] + 1))
    sums = np.bincount(key, weights=weight, minlength=2 * n)
    digits = np.where(counts[n:] > 0, sums[n:], -1.0)
    values = sums[:n] / _TENS[np.minimum(decimals, len(_TENS) - 1)]
    values = np.where(b[starts] == _MINUS, -values, values)
    long = np.flatnonzero((counts[:n] > 15) | (decimals > 22))
    if len(long):  # beyond exact integers: as float reads them
        text = joined.split("\n")
        values[long] = [float(text[k][: head_end[k] - starts[k]]) for k in long.tolist()]
    return values, decimals, digits


def plain_numbers_with_su(tokens: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """Values and su's (NaN when none is printed) of tokens that are all plain numbers
    (``1.994(4)``, ``-0.5``: :data:`_PLAIN_NUMBER`), read at once from their characters;
    None when one is not (the caller reads those one by one). The numbers of
    :func:`coordgeo.esd.parse_su`: the printed value, su = digits·10^−decimals.
    """
    if len(tokens) == 0:
        return np.zeros(0), np.zeros(0)
    read = _parse_plain_tokens(tokens)
    if read is None:
        return None
    values, decimals, digits = read
    # 10^−d as Python's float power gives it (numpy's power can differ in the last bit)
    scale = np.array([10.0**-k for k in range(int(decimals.max()) + 1)])
    sus = np.where(digits >= 0, digits * scale[decimals], np.nan)
    return values, sus


def _plain_columns(columns: list[list[str]]) -> list[_Plain]:
    """:func:`_plain_numbers` of several columns, in one pass over all their tokens."""
    values, sus, rounding, others = _plain_numbers([t for column in columns for t in column])
    out = []
    lo = 0
    for column in columns:
        hi = lo + len(column)
        mine = [k - lo for k in others if lo <= k < hi] if others else []
        out.append((values[lo:hi], sus[lo:hi], rounding[lo:hi], mine))
        lo = hi
    return out


def _numbers_with_su(
    tokens: list[str], labels: list[str], tag: str, where: _Where, plain: _Plain | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values, su's (0 when not given) and rounding half-units of a numeric column; nan for ?/.

    ``plain``: the column's :func:`_plain_numbers`, when the caller read them already.
    """
    values, sus, rounding, others = plain if plain is not None else _plain_numbers(tokens)
    for k in others:  # the tokens in another form, one by one, with every check
        token = tokens[k]
        text = token.strip("'\"")
        try:
            value, su, half = _cif_number(text)
        except ValueError as exc:
            if "/" in text and "(" not in text:
                values[k] = _fraction(text, labels[k], tag, where.row_line(tag, k))
                continue  # exact fractions such as 1/4
            raise InputError(
                f"site {labels[k]}: {tag} {_shown(text)} {exc}", line=where.row_line(tag, k)
            ) from None
        if value is None:
            continue
        values[k], rounding[k] = value, half
        if su is not None:
            sus[k] = su
    return values, sus, rounding


def _fraction(text: str, label: str, tag: str, line: int | None) -> float:
    num, slash, den = text.partition("/")
    if slash and _CIF_NUMBER.fullmatch(num.strip()) and _CIF_NUMBER.fullmatch(den.strip()):
        with np.errstate(all="ignore"):
            value = float(num) / float(den) if float(den) != 0 else math.nan
        if math.isfinite(value):
            return value
    raise InputError(f"site {label}: {tag} {_shown(text)} is not a number", line=line)


def _null_to_empty(text: str) -> str:
    return "" if text in ("", ".", "?") else text


_ANISO_TAGS = tuple(
    f"_atom_site_aniso_{name}" for name in ("U_11", "U_22", "U_33", "U_12", "U_13", "U_23")
)


def _plain_or_null(columns: list[list[str]]) -> bool:
    """Whether every token of the columns is ``?``, ``.`` or a plain number
    (:data:`_PLAIN_NUMBER`) of at most 300 characters: tokens :func:`_plain_numbers` reads
    at once, none of which :func:`_site_numbers` reads one by one (so none gives a note;
    fewer than 309 digits cannot overflow a float)."""
    tokens = [t for column in columns for t in column]
    joined = "\n".join(tokens)
    if joined.count("\n") != len(tokens) - 1 or not joined.isascii():  # a text field
        return False
    shapes = set(joined.encode("ascii").translate(_DIGITS_AS_ZERO).split(b"\n"))
    shapes -= {b"?", b"."}
    return all(len(shape) <= 300 and _PLAIN_SHAPE.fullmatch(shape) for shape in shapes)


def _deferred_aniso(
    listed: tuple[str, ...],
    written: tuple[str, ...] | None,
    aniso_labels: list[str],
    tokens: list[list[str]],
    present: list[int],
) -> np.ndarray:
    """:func:`_read_aniso` of columns that :func:`_plain_or_null` passed, on first use of
    :attr:`Structure.u_aniso`: the same numbers (each token is read on its own), no note
    and no error possible (so no notes list and no lines to name)."""
    plain = _plain_columns([tokens[k] for k in present])
    return _read_aniso(
        listed,
        listed if written is None else written,
        aniso_labels,
        tokens,
        dict(zip(present, plain, strict=True)),
        None,
        [],
    )


def _read_aniso(
    labels: Sequence[str],
    written: Sequence[str],
    aniso_labels: list[str],
    tokens: list[list[str]],
    plain: dict[int, _Plain],
    where: _Where | None,
    notes: list[str],
) -> np.ndarray:
    """U11 … U23 of each site (NaN when not given): ``tokens`` the columns of
    :data:`_ANISO_TAGS`, ``plain`` the :func:`_plain_numbers` of those as long as
    ``aniso_labels``. ``written`` are the site labels as the file gives them: where
    :func:`_unique_labels` numbered a repeated bare symbol, the k-th aniso row of that
    label is its k-th site when both loops give the label equally often; otherwise those
    rows match no site (their sites' U are NaN, with :func:`_unique_labels`' note)."""
    out = np.full((len(labels), 6), np.nan)
    if len(aniso_labels) == 0:
        return out
    index = {label: i for i, label in enumerate(labels)}
    names = _unquoted(aniso_labels)
    if written is not labels:
        sites_of: dict[str, list[str]] = {}
        for w, label in zip(written, labels, strict=True):
            sites_of.setdefault(w, []).append(label)
        rows_of = collections.Counter(names)
        seen: dict[str, int] = {}
        for k, name in enumerate(names):
            # a label repeated as often as its sites: the k-th row is the k-th site; else
            # no site (_unique_labels noted that those U_ij are left out)
            if len(sites_of.get(name, ())) > 1 and rows_of[name] == len(sites_of[name]):
                names[k] = sites_of[name][seen.get(name, 0)]
                seen[name] = seen.get(name, 0) + 1
    rows = np.array([index.get(name, -1) for name in names])
    ok = rows >= 0
    target = rows[ok]
    if len(plain) == 6 and not any(parsed[3] for parsed in plain.values()):
        # the six columns all plain numbers (or nulls): their values at once
        values = np.stack([plain[k][0] for k in range(6)], axis=1)
        out[target] = values[ok]
        return out
    for k, parsed in plain.items():
        values = _site_numbers(
            None,
            _ANISO_TAGS[k],
            len(names),
            np.nan,
            names,
            where,
            notes,
            column=(tokens[k], parsed),
        )
        out[target, k] = values[ok]
    return out


# --- temperature, info, geom loops --------------------------------------------------------

_NUMBER_PREFIX = re.compile(r"^\s*([-+]?\d+(?:\.\d*)?)(?:\((\d+)\))?")


def _read_temperature(
    block: gemmi.cif.Block, notes: list[str]
) -> tuple[float | None, float | None]:
    for tag in ("_diffrn_ambient_temperature", "_cell_measurement_temperature"):
        value = block.find_value(tag)
        if not value or gemmi.cif.is_null(value):
            continue
        text = gemmi.cif.as_string(value)
        m = _NUMBER_PREFIX.match(text)
        if not m:
            notes.append(f"{tag} {text!r} is not a temperature")
            continue
        number = m.group(1) + (f"({m.group(2)})" if m.group(2) else "")
        try:
            t, su, _ = _cif_number(number)
        except ValueError as exc:
            notes.append(f"{tag} {_shown(text)} {exc}")
            continue
        if t is not None and t <= 0:
            notes.append(f"{tag} {text!r} is not a temperature in K")
            continue
        return t, su
    return None, None


def _occupancy_as_multiplicity(
    block: gemmi.cif.Block,
    sites: dict,
    order: np.ndarray,
    n_ops: int,
    notes: list[str],
    geometry: tuple[np.ndarray, np.ndarray, Cell],
) -> np.ndarray:
    """Occupancies, undoing the old convention that wrote the site multiplicity into them.

    Some old CIFs give a fully occupied atom on a special position of order k the
    "occupancy" 1/k (0.25 on a 222 site). When every site with occupancy·order = 1 on a
    special position is read as fully occupied, and that makes the cell contents equal
    ``_chemical_formula_sum`` × Z (within 2 %) while the occupancies as written do not,
    those occupancies are multiplied by the order, with a note. The same holds when the
    model lacks atoms the formula counts (H not located, a solvent not modelled): then
    only the elements of those special-position sites are compared, and read as fully
    occupied none may exceed the formula (2 %) and each must come closer to it. COD
    7051132, [Co(bpe)₂(NCS)₂]·CH₃OH (1 Co, 1 NCS on 4c and 2-fold sites as 0.25 and 0.5,
    no methanol in the model): Co 1 → 4 per cell = Z, N 20 → 24 = 6 Z, S 4 → 8 = 2 Z,
    C 100 → 104 = 27 Z − 1 Z (the methanol C). So at least one of those elements must
    then reach formula × Z (within 2 %) and each other fall short of it only by whole
    atoms per formula unit: a truly half-occupied water O on an inversion centre beside
    a SQUEEZEd methanol (formula O7.5, model O 6.5 → 7) stays half. A half-occupied
    solvent on a two-fold axis that the formula counts as half would exceed it, and
    stays half. The element that reaches the formula must have a suspect site that is
    evidence of the old convention: a metal, or an atom bonded to a heavy (non-H) atom
    (the N, C, S of 7051132's NCS), not a lone O without heavy-atom neighbours (a water
    whose H are not modelled): two truly half waters on inversion centres beside a
    SQUEEZEd water (formula O8, model O 7 → 8) stay half. A CIF that gives the site
    multiplicities (``_atom_site_site_symmetry_multiplicity`` of the core dictionary, or
    SHELXL's ``_atom_site_symmetry_multiplicity``) writes occupancies by the modern rule:
    there only the whole-cell match undoes them. Otherwise unchanged.

    ``geometry`` is (rotations, translations, cell) of the block's operators, for the
    neighbours of the suspect sites (covalent radii + ``DEFAULT_TOLERANCE``, as bonds).
    """
    occ = np.asarray(sites["occupancy"], dtype=float)
    suspect = (order > 1) & (occ < 0.99) & (np.abs(occ * order - 1.0) < 0.02)
    formula = block.find_value("_chemical_formula_sum")
    z_text = block.find_value("_cell_formula_units_Z")
    if not suspect.any() or not formula or not z_text:
        return occ
    z = gemmi.cif.as_number(z_text)
    expected: dict[str, float] = {}
    for element, count in FORMULA_TERM.findall(gemmi.cif.as_string(formula)):
        expected[element] = expected.get(element, 0.0) + float(count or 1) * z
    if not np.isfinite(z) or z <= 0 or not expected:
        return occ

    def mismatch(o: np.ndarray) -> float:
        found: dict[str, float] = {}
        for element, x, k in zip(sites["elements"], o, order, strict=True):
            found[element] = found.get(element, 0.0) + x * n_ops / k
        keys = set(found) | set(expected)
        return max(
            abs(found.get(e, 0.0) - expected.get(e, 0.0)) / max(expected.get(e, 0.0), 1.0)
            for e in keys
        )

    fixed = np.where(suspect, occ * order, occ)
    if mismatch(fixed) <= 0.02 < mismatch(occ):
        why = "the cell then matches the formula × Z"
    elif not any(block.find_values(tag) for tag in _SITE_MULTIPLICITY_TAGS) and (
        _closer_within_formula(
            sites["elements"],
            suspect & _bonded_or_metal(sites, suspect, *geometry),
            suspect,
            occ,
            fixed,
            order,
            n_ops,
            expected,
            z,
        )
    ):
        why = (
            "their elements then match the formula × Z, or fall short of it where the "
            "model lacks atoms"
        )
    else:
        return occ
    labels = [sites["labels"][i] for i in np.flatnonzero(suspect)]
    notes.append(
        "occupancies of " + ", ".join(labels) + " are 1/(site multiplicity), an old "
        f"convention: read as fully occupied ({why})"
    )
    return fixed


#: The site-multiplicity tags: the core dictionary's, and SHELXL's spelling (its CIFs
#: write ``_atom_site_symmetry_multiplicity``).
_SITE_MULTIPLICITY_TAGS = (
    "_atom_site_site_symmetry_multiplicity",
    "_atom_site_symmetry_multiplicity",
)


#: Site–image pairs that :func:`_bonded_or_metal` may test (non-metal suspect sites ×
#: sites × operators): beyond it only metals count as evidence, so that a hostile block
#: (thousands of suspect sites in a large group) stays bounded in time and memory.
_EVIDENCE_PAIRS = 20_000_000


def _bonded_or_metal(
    sites: dict, suspect: np.ndarray, rotations: np.ndarray, translations: np.ndarray, cell: Cell
) -> np.ndarray:
    """Which sites are metals or have a heavy-atom (not H, D or a dummy) neighbour
    closer than the sum of covalent radii (Cordero 2008) + ``DEFAULT_TOLERANCE`` (the
    bond rule of :mod:`coordgeo.coordination`), among any symmetry image of any site;
    computed for the ``suspect`` sites only (False elsewhere). Images closer than 0.5 Å
    (the site itself on its special position) are not neighbours. Operator by operator
    and in chunks of suspect sites (memory ~ sites, not sites × operators), and only
    metals when the pairs exceed :data:`_EVIDENCE_PAIRS`."""
    elements = sites["elements"]
    out = np.zeros(len(elements), dtype=bool)
    todo = []
    for i in np.flatnonzero(suspect).tolist():
        if is_metal(elements[i]):
            out[i] = True
        else:
            todo.append(i)
    n = len(elements)
    if not todo or len(todo) * n * len(rotations) > _EVIDENCE_PAIRS:
        return out
    heavy = np.array([e not in ("H", "D", "X") for e in elements])
    radii = np.array([covalent_radius(e) for e in elements])
    x = np.asarray(sites["fract"], dtype=float)
    found = np.zeros(len(todo), dtype=bool)
    chunk = max(1, 1_000_000 // n)
    for rotation, translation in zip(rotations, translations, strict=True):
        image = x @ rotation.T + translation  # (n, 3)
        for lo in range(0, len(todo), chunk):
            own = np.asarray(todo[lo : lo + chunk])
            d = image[None] - x[own][:, None]  # (c, n, 3)
            d -= np.round(d)
            dist = vector_lengths(d @ cell.orthogonalization.T)
            limit = radii[own][:, None] + radii[None] + DEFAULT_TOLERANCE
            found[lo : lo + chunk] |= (heavy[None] & (dist > 0.5) & (dist < limit)).any(axis=1)
    out[todo] = found
    return out


def _closer_within_formula(
    elements, evidence, suspect, occ, fixed, order, n_ops, expected, z
) -> bool:
    """Whether reading the suspect sites as fully occupied moves the cell contents of
    their elements toward ``expected`` (formula × Z) without exceeding it by more than
    2 %, for every such element, changes at least one by more than 2 %, makes at least
    one with an ``evidence`` site (a metal, or an atom bonded to a heavy atom) reach it
    (2 %), and leaves each other short of it by whole atoms per formula unit (an
    unmodelled H or solvent molecule; 2 % of the formula count) (see
    :func:`_occupancy_as_multiplicity`)."""
    kinds = {elements[i] for i in np.flatnonzero(suspect).tolist()}
    if not kinds <= set(expected):
        return False

    def counts(o: np.ndarray) -> dict[str, float]:
        found = dict.fromkeys(kinds, 0.0)
        for element, x, k in zip(elements, o, order, strict=True):
            if element in found:
                found[element] += x * n_ops / k
        return found

    before, after = counts(occ), counts(fixed)
    moved = reached = False
    for e in kinds:
        want = expected[e]
        if after[e] > want * 1.02 + 1e-9 or abs(after[e] - want) > abs(before[e] - want):
            return False
        moved |= abs(before[e] - want) > 0.02 * max(want, 1.0)
        short = (want - after[e]) / z  # atoms per formula unit not in the model
        if abs(short) <= 0.02 * max(want / z, 1.0):
            reached |= any(evidence[i] and elements[i] == e for i in range(len(elements)))
        elif abs(short - round(short)) > 0.02 * max(want / z, 1.0):
            return False
    return moved and reached


def _read_info(block: gemmi.cif.Block) -> dict[str, str]:
    info = {}
    for key, tag in _INFO_TAGS.items():
        value = block.find_value(tag)
        if value and not gemmi.cif.is_null(value):
            info[key] = " ".join(gemmi.cif.as_string(value).split())
    declared = _declared_oxidation_numbers(block)
    if declared:
        info["oxidation_numbers"] = declared
    return info


#: A type symbol's charge, either way round: ``Fe3+``, ``O2-``, ``Cu+`` or ``Fe+3``, ``Tb+0``.
_SYMBOL_CHARGE = re.compile(r"^[A-Za-z]{1,2}(?:(\d*)([+-])|([+-])(\d+))$")


#: One term of a composition type symbol: ``0.660Mg``, ``0.967(4)Mg``.
#: A type symbol with a second term after a "+" (``'nan Fe + 0.1 Co'``), not a charge
#: (``Fe3+``, ``Mn+0``): read as a composition or refused, never by its leading letters.
_COMPOSITION_LIKE = re.compile(r"\+\s*[0-9.()]*\s*[A-Za-z]")
_COMPOSITION_TERM = re.compile(r"^\s*([0-9]*\.?[0-9]+)(?:\([0-9]+\))?\s*([A-Z][a-z]?)\s*$")


def _composition_symbols(symbols: list[str]) -> dict[str, str]:
    """The element of the largest fraction of each type symbol that gives a composition.

    SpringerMaterials (Pauling File) CIFs write a mixed site's type symbol as its composition,
    ``'0.660Mg + 0.317Fe + 0.023Ca'`` or ``'0.967(4)Mg + 0.033(4)Fe'``, beside a label such as
    ``M2`` that names no element. Such a site is read as the element of the largest fraction
    (the first on a tie). Symbols that are not sums of fraction × element, or that name an
    unknown element in any term (``'0.4Zz + 0.6Fe'``), are left out (the site's element is
    then unknown: an input error).
    """
    out: dict[str, str] = {}
    for symbol in symbols:
        terms = [_COMPOSITION_TERM.match(t) for t in symbol.split("+")]
        if len(terms) < 2 or not all(terms):
            continue
        fractions = [(float(m.group(1)), element_from_label("", m.group(2), False)) for m in terms]
        if all(element is not None for _, element in fractions):
            out[symbol] = max(fractions, key=lambda f: f[0])[1]
    return out


def _declared_oxidation_numbers(block: gemmi.cif.Block) -> str:
    """The oxidation numbers the CIF declares for its sites, as ``label=+n`` pairs.

    Per site, from its ``_atom_site_type_symbol``: the ``_atom_type_oxidation_number`` of that
    type (IUCr core dictionary: "formal oxidation state of this atom type in the
    structure"), else the charge written in the symbol (``Fe3+``, ``O2-``; ``Fe+3`` as some
    programs write it). 0 is no statement (ICSD writes ``Tb+0`` beside an oxidation number
    of 3), so it is left out, as are sites without a type symbol.
    """
    labels = block.find_values("_atom_site_label")
    types = block.find_values("_atom_site_type_symbol")
    if len(labels) == 0 or len(types) != len(labels):
        return ""
    numbers: dict[str, float] = {}
    symbols = block.find_values("_atom_type_symbol")
    values = block.find_values("_atom_type_oxidation_number")
    if len(symbols) and len(values) == len(symbols):
        for symbol, value in zip(symbols, values, strict=True):
            number = gemmi.cif.as_number(value)
            if math.isfinite(number) and number == round(number):
                numbers[gemmi.cif.as_string(symbol).strip()] = number
    # a block has a few distinct type symbols: each is worked out once, not once per site
    of_token: dict[str, int] = {}
    for text in dict.fromkeys(types):
        symbol = gemmi.cif.as_string(text).strip()
        number = numbers.get(symbol)
        if number is None:
            m = _SYMBOL_CHARGE.match(symbol)
            if not m:
                continue
            digits, sign = (m.group(1), m.group(2)) if m.group(2) else (m.group(4), m.group(3))
            number = (1 if sign == "+" else -1) * int(digits or 1)
        if number:
            of_token[text] = int(number)
    if not of_token:
        return ""
    names = [gemmi.cif.as_string(label).strip() for label in labels]
    if len(set(names)) < len(names):  # the labels the sites get (_unique_labels)
        names = _numbered_labels(names) or names
    out = [
        f"{label}={of_token[text]:+d}"
        for label, text in zip(names, types, strict=True)
        if text in of_token
    ]
    return " ".join(out)


def _read_geom(
    block: gemmi.cif.Block, line_offset: int, *, lazy: bool = False
) -> Mapping[str, GeomLoop]:
    """The authors' ``_geom_*`` loops as printed, with the loop's line number.

    ``lazy``: each loop's values are made Python strings on first use (:class:`_GeomLoops`);
    which loops there are, their lines and the ``geom_rows`` limit are settled here either
    way."""
    out: dict[str, GeomLoop | tuple] = {}
    most_rows = None  # the geom_rows limit in force, looked up once per block
    copies: gemmi.cif.Document | None = None  # the loops kept for later (lazy)
    for kind, (value_tag, prefix) in _GEOM_LOOPS.items():
        item = block.find_loop_item(value_tag.lower())
        if item is not None:
            loop = item.loop
            rows = loop.length()  # its values ÷ its tags (gemmi refuses a partial row)
        else:
            item = block.find_pair_item(value_tag.lower())
            if item is None:
                continue
            loop = None
            pairs = [
                it.pair
                for it in block
                if it.pair is not None and it.pair[0].lower().startswith(prefix.rstrip("_").lower())
            ]
            tags = [p[0] for p in pairs]
            values = [p[1] for p in pairs]
            rows = len(values) // max(len(tags), 1)
        line = int(item.line_number) + line_offset
        # each row becomes a resolved, measured row with su's (~3 kB of work tables)
        if most_rows is None:
            most_rows = limit_in_force("geom_rows")
        if rows > most_rows:
            check_limit("geom_rows", rows, line=line, context=value_tag)
        if loop is None:
            out[kind] = GeomLoop(
                columns=tuple(_geom_column(t, prefix) for t in tags),
                values=tuple(values),
                line=line,
            )
        elif lazy:  # a copy of the loop alone in C++ (~3× faster than Python strings)
            if copies is None:
                copies = gemmi.cif.Document()
                copies.add_new_block("geom")
            copies[0].add_item(item)  # found again by its tag (adding moves the items)
            out[kind] = (value_tag, prefix, line)
        else:
            out[kind] = _geom_loop(loop, prefix, line)
    if copies is not None:
        return _GeomLoops(copies, out)
    return out  # type: ignore[return-value]


def _geom_loop(loop: gemmi.cif.Loop, prefix: str, line: int) -> GeomLoop:
    """One ``_geom_*`` loop of a parsed block as a :class:`GeomLoop` (its values copied)."""
    return GeomLoop(
        columns=tuple(_geom_column(t, prefix) for t in loop.tags),
        values=tuple(loop.values),
        line=line,
    )


class _GeomLoops(Mapping[str, GeomLoop]):
    """A block's ``_geom_*`` loops (:func:`_read_geom`), each loop's values made Python
    strings on first use: only ``check`` and the comparisons with published values read
    them, and making every printed bond, angle and torsion a Python string was ~5 % of
    reading a CIF (bulk never reads them). Until then the loops are held as gemmi copies
    in a document of their own (``document``: the file's parsed document may go; C++
    strings take less memory than Python's). Which loops there are and their lines are
    known from the start (``in`` and iteration make nothing). A pickle or copy holds the
    loops themselves (a plain dict)."""

    def __init__(self, document: gemmi.cif.Document, loops: dict[str, GeomLoop | tuple]) -> None:
        self._document: gemmi.cif.Document | None = document
        self._loops = loops

    def __getitem__(self, kind: str) -> GeomLoop:
        found = self._loops[kind]
        if isinstance(found, tuple):  # (the loop's value tag, tag prefix, line)
            value_tag, prefix, line = found
            assert self._document is not None
            loop = self._document[0].find_loop_item(value_tag.lower()).loop
            found = self._loops[kind] = _geom_loop(loop, prefix, line)
            if not any(isinstance(v, tuple) for v in self._loops.values()):
                self._document = None  # every loop made: the copies may go
        return found

    def __contains__(self, kind: object) -> bool:
        return kind in self._loops

    def __iter__(self):
        return iter(self._loops)

    def __len__(self) -> int:
        return len(self._loops)

    def __repr__(self) -> str:
        return repr(dict(self.items()))

    def __reduce__(self):
        return dict, (dict(self.items()),)


@lru_cache(maxsize=1024)
def _geom_column(tag: str, prefix: str) -> str:
    """``_geom_bond_distance`` → ``distance``; the bare angle/torsion tag → ``value``."""
    if tag.lower() == prefix.rstrip("_").lower():
        return "value"
    return tag[len(prefix) :] if tag.lower().startswith(prefix.lower()) else tag


def _without_symmetry_duplicates(
    sites: dict,
    rotations: np.ndarray,
    translations: np.ndarray,
    cell: Cell,
    notes: list[str],
    images: np.ndarray,
) -> tuple[dict, dict[str, str], np.ndarray]:
    """The sites without those that are symmetry images of an earlier fully occupied site
    of the same element and disorder group (:func:`coordgeo.symmetry.symmetry_duplicates`:
    a CSD export lists N1A, N1B … beside N1 and the operators that generate them), and
    each dropped label with the label of the site it repeats. The CIF's own ``_geom_*``
    rows still name the dropped labels: :func:`coordgeo.io.labels.resolve_label` reads
    them as symmetry mates of the kept site.

    Partially occupied sites are never dropped: SHELXL writes a methyl H on a threefold
    axis as H6A, H6B, H6C of occupancy 1/3, each the image of the others, whose
    occupancies add up to one H at each point (COD 2205573).

    ``images`` are the sites' :func:`coordgeo.symmetry.site_images`; the kept sites'
    images (the same rows) are returned third."""
    full = np.asarray(sites["occupancy"]) >= 0.99
    kinds: list[tuple] = list(
        zip(sites["elements"], sites["assembly"], sites["group"], strict=True)
    )
    for k in np.flatnonzero(~full).tolist():  # a partial site is a kind of its own
        kinds[k] = ("partial", k)
    first = symmetry_duplicates(
        sites["fract"],
        kinds,
        rotations,
        translations,
        cell.orthogonalization,
        DUPLICATE_TOLERANCE,
        images,
    )
    dropped = np.flatnonzero(first >= 0)
    if not dropped.size:
        return sites, {}, images
    labels = sites["labels"]
    duplicates = {labels[j]: labels[first[j]] for j in dropped.tolist()}
    shown = ", ".join(f"{a} = {b}" for a, b in list(duplicates.items())[:6])
    more = f" and {len(duplicates) - 6} more" if len(duplicates) > 6 else ""
    notes.append(
        f"{len(duplicates)} sites are symmetry images of other sites ({shown}{more}): "
        "each point is read once"
    )
    keep = np.flatnonzero(first < 0)
    kept = {
        key: value[keep]
        if isinstance(value, np.ndarray)
        else value.take(keep)
        if isinstance(value, Deferred)
        else [value[i] for i in keep]
        for key, value in sites.items()
    }
    return kept, duplicates, images[keep]
