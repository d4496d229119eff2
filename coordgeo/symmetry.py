"""Symmetry codes and special positions.

A symmetry code says which copy of a site is meant: operator *n* of the CIF's
own list, followed by a lattice translation. The same code is written three
ways, and this module converts between them:

``n_klm`` (CIF)
    ``2_655`` = operator 2 of the CIF's list, then +1 along **a** (k, l, m
    are the translations plus 5); ``.`` or ``1_555`` = identity. Variants
    met in real CIFs are read too: ``2 655``, ``3`` (no translation),
    ``55607`` (ORTEP ``klmnn``) and ``-4_555`` (the centrosymmetric mate of
    operator 4, written by some older programs).
operator string
    ``-x+1,y,-z+1/2``: the operator with the translation folded in.
paper letters
    ``N1A`` with a legend line ``A -x+1,y,-z+1/2`` under the table.

Operators are parsed by :class:`gemmi.Op`; nothing here tokenises a triplet
itself.
"""

from __future__ import annotations

import math
import re
import string
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import gemmi
import numpy as np

from coordgeo.errors import InputError

#: Default distance (Å) within which a site and one of its symmetry images are
#: taken to be the same point, i.e. the site lies on a special position.
SPECIAL_POSITION_TOLERANCE = 0.05
#: Distance (Å) within which a site and a symmetry image of another site of the same
#: element, occupancy and disorder group are one point listed twice
#: (:func:`symmetry_duplicates`). Coordinates a program generated from printed ones
#: agree to ~0.001 Å; two real atoms are never this close.
DUPLICATE_TOLERANCE = 0.02


@dataclass(frozen=True, order=True)
class SymmetryCode:
    """Operator index into ``Structure.symops`` (0-based) and a lattice translation."""

    op: int
    shift: tuple[int, int, int] = (0, 0, 0)


def identity(structure) -> SymmetryCode:
    """The code of the untransformed site."""
    return SymmetryCode(structure.identity_op)


def is_identity(code: SymmetryCode, structure) -> bool:
    return code.op == structure.identity_op and code.shift == (0, 0, 0)


# --- n_klm --------------------------------------------------------------------------------

_NKLM = re.compile(r"^(-?)(\d+)(?:[_ ](\d{3}))?$")
_ORTEP = re.compile(r"^(\d)(\d)(\d)(\d\d)$")


def parse_code(text: str, structure) -> SymmetryCode:
    """Read a CIF symmetry code (``2_655``, ``.``, ``3``, ``2 655``, ``55607``, ``-4_555``).

    Raises :class:`~coordgeo.errors.InputError` when the text is not a code or
    names an operator the structure does not have.
    """
    raw = text
    text = text.strip().strip("'\"").strip()
    if text in ("", "."):
        return identity(structure)
    if text == "?":
        raise InputError("symmetry code '?' (unknown)")
    m = _NKLM.match(text)
    if m and not (len(text) == 5 and "_" not in text and " " not in text):
        negative, number, klm = m.groups()
        shift = (0, 0, 0) if klm is None else tuple(int(c) - 5 for c in klm)
    else:
        m = _ORTEP.match(text)
        if not m:
            raise InputError(f"cannot read symmetry code {raw!r}")
        negative, number = "", str(int(m.group(4)))
        shift = tuple(int(c) - 5 for c in m.group(1, 2, 3))
    op = _listed_operator(number, raw, structure)
    if not negative:
        return SymmetryCode(op, shift)  # type: ignore[arg-type]
    # centrosymmetric mate of operator n: -(R x + t) + klm translation
    code = operation_code(*_signed_operator(op, "-", shift, structure), structure)
    if code is None:
        raise InputError(
            f"symmetry code {raw!r}: the structure has no operator "
            f"-({structure.symops[op].triplet})"
        )
    return code


def _listed_operator(number: str, raw: str, structure, how: str = "") -> int:
    """Index of the operator whose CIF id is ``number`` (InputError naming ``raw`` if none)."""
    ids = {op.id: k for k, op in enumerate(structure.symops)}
    if number not in ids:
        raise InputError(
            f"symmetry code {raw!r}{how} names operator {number}, but the CIF lists "
            f"{len(structure.symops)} (ids {', '.join(op.id for op in structure.symops)})"
        )
    return ids[number]


def _signed_operator(
    op: int, sign: str, translation: Sequence[float], structure
) -> tuple[np.ndarray, np.ndarray]:
    """x → ±(R x + t) + ``translation`` for operator ``op`` of the CIF, as (rotation,
    translation); the minus sign applies the centre of symmetry after the operator."""
    rot, tran = structure.rotations[op], structure.translations[op]
    if sign == "-":
        rot, tran = -rot, -tran
    return rot, tran + np.asarray(translation, dtype=float)


# --- GSAS-II codes ------------------------------------------------------------------------

#: GSAS-II's lattice-centring vectors in its own order (``SGCen`` of
#: ``GSASIIspc.SpcGroup``): the C of a GSAS-II code ±(100·C + n)_klm indexes this list.
GSAS2_CENTRING: dict[str, tuple[tuple[float, float, float], ...]] = {
    "P": ((0, 0, 0),),
    "A": ((0, 0, 0), (0, 0.5, 0.5)),
    "B": ((0, 0, 0), (0.5, 0, 0.5)),
    "C": ((0, 0, 0), (0.5, 0.5, 0)),
    "I": ((0, 0, 0), (0.5, 0.5, 0.5)),
    "F": ((0, 0, 0), (0, 0.5, 0.5), (0.5, 0, 0.5), (0.5, 0.5, 0)),
    "R": ((0, 0, 0), (2 / 3, 1 / 3, 1 / 3), (1 / 3, 2 / 3, 2 / 3)),
}
_GSAS2_CODE = re.compile(r"^([+-]?)(\d+)_(\d)(\d)(\d)$")


def _centring_vectors(structure) -> tuple[str, tuple] | None:
    """The structure's lattice letter and GSAS-II's centring list for it (None if other)."""
    identity_rot = np.all(structure.rotations == np.eye(3, dtype=int)[None], axis=(1, 2))
    pure = {
        tuple(np.round((t % 1.0) * 12).astype(int) % 12)
        for t in structure.translations[identity_rot]
    }
    for letter, vectors in GSAS2_CENTRING.items():
        if pure == {tuple(round(v * 12) % 12 for v in vec) for vec in vectors}:
            return letter, vectors
    return None


def parse_gsas2_code(text: str, structure) -> SymmetryCode:
    """Read a symmetry code as GSAS-II writes it in ``_geom_*`` loops: ``±(100·C + n)_klm``.

    GSAS-II (``GSASIIspc.GenAtom``/``AllOps``) numbers an operation by its own operator
    list ``SGOps`` (no centring, no inversion) and marks the rest in the number:

    * ``n`` (units and tens) is operator n of that list, which GSAS-II writes first in
      the CIF's operator loop, so operator ``n`` of the CIF's own list;
    * ``C`` (hundreds) is the lattice-centring vector added, in GSAS-II's order
      (:data:`GSAS2_CENTRING`: for C-centring C = 1 adds (½, ½, 0));
    * a minus sign applies the centre of symmetry after the operator;
    * ``klm`` is the lattice translation (k − 5, l − 5, m − 5), as in CIF n_klm.

    So ``-101_456`` is x' = −(R₁x + t₁) + c₁ + (−1, 0, 1), and ``-1_666`` is
    −(R₁x + t₁) + (1, 1, 1). The operation found is returned as a code of the CIF's own
    list. Raises :class:`~coordgeo.errors.InputError` when the text is no such code or
    the structure has no such operation.
    """
    match = _GSAS2_CODE.match(text.strip().strip("'\""))
    if not match:
        raise InputError(f"cannot read symmetry code {text!r}")
    sign, number, *klm = match.groups()
    centring, op_number = divmod(int(number), 100)
    k = _listed_operator(str(op_number), text, structure, " read as GSAS-II's")
    lattice = _centring_vectors(structure)
    if lattice is None or centring >= len(lattice[1]):
        have = "no centring vectors GSAS-II knows" if lattice is None else f"{lattice[0]} lattice"
        raise InputError(
            f"symmetry code {text!r} read as GSAS-II's adds centring vector {centring}, "
            f"but the structure has {have}"
        )
    translation = np.asarray(lattice[1][centring]) + np.array([int(c) - 5 for c in klm])
    code = operation_code(*_signed_operator(k, sign, translation, structure), structure)
    if code is None:
        raise InputError(f"symmetry code {text!r} (GSAS-II): no such operation in the CIF")
    return code


def read_code(text: str, structure) -> tuple[SymmetryCode, str]:
    """A code of a ``_geom_*`` loop and how it was read ('' for plain CIF n_klm).

    CIF n_klm first (:func:`parse_code`); a code that is not one of the CIF's operators
    but has GSAS-II's form is read by :func:`parse_gsas2_code`. With 100 or more
    operators in the CIF's list a GSAS-II code such as ``101_555`` names a real operator
    and is read as n_klm.
    """
    try:
        return parse_code(text, structure), ""
    except InputError as exc:
        if not _GSAS2_CODE.match(text.strip().strip("'\"")):
            raise
        try:
            code = parse_gsas2_code(text, structure)
        except InputError:
            raise exc from None
    return code, f"code {text.strip()} read as GSAS-II's ±(100·centring + operator)_klm"


def format_code(code: SymmetryCode, structure) -> str:
    """The CIF form: ``.`` for the identity, otherwise ``n_klm``.

    Translations beyond ±4 cannot be written with one digit each; they are
    written as ``n_k_l_m`` with signed integers (``2_-5_0_0``), which no CIF
    program reads but which is unambiguous.
    """
    if is_identity(code, structure):
        return "."
    op_id = structure.symops[code.op].id
    if all(-4 <= s <= 4 for s in code.shift):
        return f"{op_id}_{''.join(str(s + 5) for s in code.shift)}"
    return f"{op_id}_" + "_".join(str(s) for s in code.shift)


def format_codes(structure, ops: np.ndarray, shifts: np.ndarray) -> list[str]:
    """:func:`format_code` of many codes at once: operator indices (n,), shifts (n, 3)."""
    ids = [op.id for op in structure.symops]
    identity_op = structure.identity_op
    out = []
    for o, (a, b, c) in zip(np.asarray(ops).tolist(), np.asarray(shifts).tolist(), strict=True):
        if o == identity_op and a == 0 and b == 0 and c == 0:
            out.append(".")
        elif -4 <= a <= 4 and -4 <= b <= 4 and -4 <= c <= 4:
            out.append(f"{ids[o]}_{a + 5}{b + 5}{c + 5}")
        else:
            out.append(f"{ids[o]}_{a}_{b}_{c}")
    return out


# --- operator strings ---------------------------------------------------------------------


def code_operator(code: SymmetryCode, structure) -> gemmi.Op:
    """The code as one :class:`gemmi.Op` (operator with the translation folded in)."""
    op = structure.symops[code.op]
    rot = op.rotation.astype(int)
    tran = op.translation + np.asarray(code.shift, dtype=float)
    return _gemmi_op(rot, tran)


def code_to_triplet(code: SymmetryCode, structure) -> str:
    """``SymmetryCode`` → operator string such as ``-x+1,y,-z+1/2``."""
    return code_operator(code, structure).triplet()


def triplet_to_code(triplet: str, structure) -> SymmetryCode:
    """Operator string → code, if it is an operation of the structure's space group.

    Raises :class:`InputError` when the string is not an operator, or when no
    operator of the CIF equals it up to a lattice translation.
    """
    code = operation_code(*op_parts(parse_operator(triplet)), structure)
    if code is None:
        raise InputError(f"{triplet!r} is not an operation of this space group")
    return code


def parse_operator(triplet: str) -> gemmi.Op:
    """Parse an operator string with gemmi (``1 - y`` style spacing accepted)."""
    try:
        return gemmi.Op(triplet.strip().strip("'\""))
    except (RuntimeError, ValueError) as exc:
        raise InputError(f"cannot read symmetry operator {triplet!r}: {exc}") from None


def find_operator(
    rotation: np.ndarray, translation: np.ndarray, structure
) -> tuple[int, tuple[int, int, int]] | None:
    """The CIF operator with this rotation and translation modulo 1, and the lattice shift.

    The translation matches when each component d = t − t_k is within 10⁻⁶ + 10⁻⁵·|s| of
    its nearest integer s (``np.allclose(d, s, atol=1e-6)``, the same arithmetic), in
    plain Python: three numbers per operator, where numpy's per-call overhead is most of
    the cost (this is called for every symmetry code that contacts and rings compose).
    """
    by_rotation, _, translations = _operator_table(structure)
    key = tuple(map(tuple, np.asarray(rotation, dtype=int).tolist()))
    t = np.asarray(translation, dtype=float).reshape(3).tolist()
    for k in by_rotation.get(key, ()):
        shift = []
        for a, b in zip(t, translations[k], strict=True):
            d = a - b
            if not math.isfinite(d):
                break
            s = round(d)  # to the nearest integer, halves to even, as np.round
            if not abs(d - s) <= 1e-6 + 1e-5 * abs(s):
                break
            shift.append(s)
        else:
            return k, (shift[0], shift[1], shift[2])
    return None


# per structure (weak keys, values that do not hold it): the operators by rotation and
# the translations, as Python numbers for find_operator
_OPERATORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _operator_table(structure) -> tuple[dict[tuple, list[int]], list, list[list[float]]]:
    """{rotation as nested tuples: operator indices in CIF order}, the rotations and the
    translations as nested lists."""
    table = _OPERATORS.get(structure)
    if table is None:
        by_rotation: dict[tuple, list[int]] = {}
        rotations = np.asarray(structure.rotations, dtype=int).tolist()
        for k, r in enumerate(rotations):
            by_rotation.setdefault(tuple(map(tuple, r)), []).append(k)
        table = (by_rotation, rotations, np.asarray(structure.translations, dtype=float).tolist())
        _OPERATORS[structure] = table
    return table


def operation_code(rotation: np.ndarray, translation: np.ndarray, structure) -> SymmetryCode | None:
    """The code of the operation x → R x + t (:func:`find_operator`), None when the CIF
    lists no operator with this rotation and translation modulo 1."""
    found = find_operator(rotation, translation, structure)
    return None if found is None else SymmetryCode(found[0], found[1])


def _gemmi_op(rotation: np.ndarray, translation: np.ndarray) -> gemmi.Op:
    op = gemmi.Op()
    op.rot = [[int(v) * gemmi.Op.DEN for v in row] for row in rotation]
    op.tran = [round(float(t) * gemmi.Op.DEN) for t in translation]
    return op


# --- paper-style letters ------------------------------------------------------------------


def letters(n: int) -> list[str]:
    """A, B, …, Z, AA, AB, … (as many as needed)."""
    out: list[str] = []
    alphabet = string.ascii_uppercase
    width = 1
    while len(out) < n:
        for k in range(len(alphabet) ** width):
            word = ""
            for _ in range(width):
                k, r = divmod(k, len(alphabet))
                word = alphabet[r] + word
            out.append(word)
            if len(out) == n:
                break
        width += 1
    return out


def assign_letters(codes: Iterable[SymmetryCode], structure) -> dict[SymmetryCode, str]:
    """Give each distinct non-identity code a letter, in order of first appearance."""
    distinct: list[SymmetryCode] = []
    for code in codes:
        if not is_identity(code, structure) and code not in distinct:
            distinct.append(code)
    return dict(zip(distinct, letters(len(distinct)), strict=True))


def lettered_label(label: str, letter: str) -> str:
    """``N1`` + ``A`` → ``N1A``; ``Fe(1)`` + ``A`` → ``Fe(1A)``; ``C12B`` + ``A`` → ``C12B_A``.

    A label that already ends in a letter gets an underscore so that the
    letter cannot be mistaken for part of the label.
    """
    if not letter:
        return label
    if label.endswith(")"):
        return f"{label[:-1]}{letter})"
    if label[-1:].isalpha():
        return f"{label}_{letter}"
    return f"{label}{letter}"


def legend(assigned: dict[SymmetryCode, str], structure) -> list[tuple[str, str, str]]:
    """``[(letter, operator string, n_klm), …]`` for the legend under a table."""
    return [
        (letter, code_to_triplet(code, structure), format_code(code, structure))
        for code, letter in assigned.items()
    ]


# --- special positions --------------------------------------------------------------------


def cross3(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cross product of 3-vectors along the last axis, the products and differences of
    ``np.cross`` (the same numbers to the last bit), without its per-call overhead
    (axis moves and broadcasting checks cost more than the arithmetic of small arrays).
    """
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    # (np.broadcast_shapes costs more than the products of small arrays of one shape)
    out = np.empty(a.shape if a.shape == b.shape else np.broadcast_shapes(a.shape, b.shape))
    out[..., 0] = a1 * b2 - a2 * b1
    out[..., 1] = a2 * b0 - a0 * b2
    out[..., 2] = a0 * b1 - a1 * b0
    return out


def vector_lengths(v: np.ndarray) -> np.ndarray:
    """Lengths of 3-vectors along the last axis: √((x² + y²) + z²).

    The same sums in the same order as ``np.linalg.norm(v, axis=-1)`` (its reduction
    adds the squares left to right), so the same numbers to the last bit, several times
    faster on the (k, 27, 3) arrays of a neighbour search.
    """
    x, y, z = v[..., 0], v[..., 1], v[..., 2]
    return np.sqrt((x * x + y * y) + z * z)


def site_images(fract: np.ndarray, rotations: np.ndarray, translations: np.ndarray) -> np.ndarray:
    """The images R·x + t of every site x under every operator (R, t), unreduced.

    Parameters
    ----------
    fract : (N, 3) fractional coordinates x of the sites.
    rotations : (K, 3, 3) rotation parts R of the operators (as floats).
    translations : (K, 3) translation parts t of the operators (fractional).

    Returns
    -------
    (N, K, 3) read-only array, ``images[n, k] = R_k x_n + t_k`` (International Tables
    for Crystallography Vol. A, §1.2). Both :func:`symmetry_duplicates` and
    :func:`snap_special_positions` measure these; a reader makes them once for both, and
    the images of a subset of sites are the same rows of this array.
    """
    images = np.einsum("kij,nj->nki", rotations, np.asarray(fract, dtype=float))
    images += translations[None]
    images.flags.writeable = False
    return images


def snap_special_positions(
    fract: np.ndarray,
    rotations: np.ndarray,
    translations: np.ndarray,
    orthogonalization: np.ndarray,
    tolerance: float = SPECIAL_POSITION_TOLERANCE,
    images: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Move sites that lie (within ``tolerance`` Å) on a special position exactly onto it.

    For each site x the operators g = (R, t) with |g·x − x − n| < tolerance
    (n a lattice vector) form its site-symmetry group S. The snapped position
    is the average of those images, x' = (1/|S|) Σ (R x + t − n), which is the
    point of the special position nearest to x; the projector
    P = (1/|S|) Σ R maps coordinate errors onto the directions the site may
    move in. This is how coordinates printed as 0.3333 come out as 1/3, and
    why bonds related by the site symmetry come out identical.

    Returns ``(snapped, order, projector)``: (N, 3) coordinates, (N,) the
    order of each site-symmetry group (1 on a general position), and
    (N, 3, 3) projectors. ``images`` are the sites' :func:`site_images` when the caller
    has them already (they are made here otherwise).
    """
    fract = np.asarray(fract, dtype=float)
    if images is None:  # images of every site under every operator: (N, n_ops, 3)
        images = site_images(fract, rotations, translations)
    diff = images - fract[:, None, :]
    lattice = np.round(diff)
    dist = vector_lengths((diff - lattice) @ orthogonalization.T)
    on = dist < tolerance  # (N, n_ops); identity always True
    order = on.sum(axis=1)
    weights = on / order[:, None]
    snapped = np.einsum("nk,nki->ni", weights, images - lattice)
    projector = np.einsum("nk,kij->nij", weights, np.asarray(rotations, dtype=float))
    return snapped, order, projector


def symmetry_duplicates(
    fract: np.ndarray,
    kinds: Sequence[object],
    rotations: np.ndarray,
    translations: np.ndarray,
    orthogonalization: np.ndarray,
    tolerance: float = DUPLICATE_TOLERANCE,
    images: np.ndarray | None = None,
) -> np.ndarray:
    """For each site, the earlier site of which it is a symmetry image, or −1.

    Site j duplicates site i < j when some image R·x_i + t + n (n a lattice vector) lies
    within ``tolerance`` Å of x_j and both sites are of one kind (element, occupancy and
    disorder group, as ``kinds`` gives them). One point of the crystal is then listed
    twice: CSD exports and some programs write a whole molecule or ion (``N1A``, ``N1B``
    … beside ``N1``) together with the operators that already generate it. Expanding
    both would put two atoms at every such point. A site that duplicates a duplicate
    points to the first site of the chain. ``images`` are the sites' :func:`site_images`
    when the caller has them already (they are made here otherwise).
    """
    fract = np.asarray(fract, dtype=float)
    n = len(fract)
    out = np.full(n, -1, dtype=int)
    ids: dict[object, int] = {}
    kind = np.array([ids.setdefault(k, len(ids)) for k in kinds], dtype=int)
    if n < 2 or len(ids) == n:  # no two sites of one kind: nothing can repeat
        return out
    k = len(rotations)
    if images is None:
        images = site_images(fract, rotations, translations)
    images = images.reshape(-1, 3)
    images = images - np.floor(images)  # into the unit cell (a new array: theirs is shared)
    per_kind = np.bincount(kind)
    if int((per_kind * (per_kind - 1) // 2).sum()) * k <= DENSE_DUPLICATE_PAIRS:
        # few pairs of one kind: every image of i measured against j, no grid; the pairs
        # made kind by kind (an n × n mask would cost n² for the many one-site kinds of a
        # large disordered structure); the k images of i taken as one block of rows
        first, site = _pairs_of_one_kind(kind, per_kind)
        d = images.reshape(n, k, 3)[first] - fract[site][:, None, :]  # (pairs, k, 3)
        d -= np.round(d)
        near = vector_lengths(d.reshape(-1, 3) @ orthogonalization.T) < tolerance
        near = near.reshape(-1, k).any(axis=1)  # some image of i on j
    else:
        site, image, first = _duplicate_candidates(
            images, fract, kind, k, orthogonalization, tolerance
        )
        d = images[image] - fract[site]
        d -= np.round(d)
        near = vector_lengths(d @ orthogonalization.T) < tolerance
    found: dict[int, int] = {}
    for j, i in zip(site[near].tolist(), first[near].tolist(), strict=True):
        found[j] = min(i, found.get(j, i))  # the earliest site it repeats
    for j in sorted(found):  # in site order, so a chain ends at its first site
        i = found[j]
        out[j] = i if out[i] < 0 else out[i]
    return out


def _pairs_of_one_kind(kind: np.ndarray, per_kind: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (i, j), i < j, of sites of one kind: work in the number of sites plus
    pairs, not in the number of sites squared."""
    order = np.argsort(kind, kind="stable")  # each kind's sites together, in site order
    size = per_kind[kind[order]]
    starts = np.concatenate(([0], np.cumsum(per_kind)[:-1]))
    rank = np.arange(len(order)) - starts[kind[order]]  # place within its kind
    later = size - rank - 1  # sites of its kind after it
    position = np.repeat(np.arange(len(order)), later)
    offset = np.arange(len(position)) - np.repeat(np.cumsum(later) - later, later)
    return order[position], order[position + 1 + offset]


#: Pairs of sites of one kind × operators up to which :func:`symmetry_duplicates` measures
#: every image of each pair rather than looking pairs up in a grid.
DENSE_DUPLICATE_PAIRS = 5_000


def _duplicate_candidates(
    images: np.ndarray,
    fract: np.ndarray,
    kind: np.ndarray,
    k: int,
    orthogonalization: np.ndarray,
    tolerance: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(site j, image of site i, i) with i < j of one kind and the image in one of the 27
    grid cells around j: every image within ``tolerance`` of j is among them.

    ``images`` (n·k, 3) are the k images of each site, reduced into [0, 1).
    """
    n = len(fract)
    # Candidate pairs from a grid over the cell, cells at least 2·tolerance wide along each
    # axis (d_hkl of the axis' planes over their count), so a point within tolerance of a
    # site lies in one of the 27 cells around it: N·|G| images sorted once and each site's
    # 27 cells looked up, instead of N²·|G| differences. The pairs found are then measured.
    owner = np.repeat(np.arange(n), k)
    spacing = 1.0 / vector_lengths(np.linalg.inv(orthogonalization))  # d(100), d(010), d(001)
    m = np.clip((spacing / (2.0 * tolerance)).astype(np.int64), 1, 4096)
    cells = np.minimum((images * m).astype(np.int64), m - 1)
    keys = (cells[:, 0] * m[1] + cells[:, 1]) * m[2] + cells[:, 2]
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    own = np.minimum(((fract - np.floor(fract)) * m).astype(np.int64), m - 1)
    # the neighbouring cells, each once: with fewer than 3 cells along an axis, −1, 0, +1
    # wrap onto the same cells (a flat cell would otherwise pair every site 27 times)
    offsets = _STEPS27
    if m.min() < 3:
        steps = [np.array([0, 1, -1][: min(3, int(k))]) for k in m]
        offsets = np.array(np.meshgrid(*steps, indexing="ij")).reshape(3, -1).T
    around = (own[:, None, :] + offsets[None]) % m  # (n, ≤ 27, 3)
    wanted = ((around[..., 0] * m[1] + around[..., 1]) * m[2] + around[..., 2]).ravel()
    left = np.searchsorted(sorted_keys, wanted, "left")
    count = np.searchsorted(sorted_keys, wanted, "right") - left
    site = np.repeat(np.repeat(np.arange(n), len(offsets)), count)
    offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    image = order[np.repeat(left, count) + offset]
    first = owner[image]
    pair = (first < site) & (kind[first] == kind[site])
    return site[pair], image[pair], first[pair]


_STEPS27 = np.array(np.meshgrid([-1, 0, 1], [-1, 0, 1], [-1, 0, 1], indexing="ij")).reshape(3, -1).T


def site_symmetry_codes(structure, site: int) -> list[SymmetryCode]:
    """Codes that map a (snapped) site onto itself: its site-symmetry group."""
    x = structure.fract[site]
    out = []
    for k in range(len(structure.symops)):
        y = structure.rotations[k] @ x + structure.translations[k]
        shift = np.round(x - y)
        if np.allclose(y + shift, x, atol=1e-6):
            out.append(SymmetryCode(k, tuple(int(s) for s in shift)))  # type: ignore[arg-type]
    return out


def apply(code: SymmetryCode, fract: np.ndarray, structure) -> np.ndarray:
    """Fractional coordinates of the image of ``fract`` under ``code``."""
    return (
        structure.rotations[code.op] @ np.asarray(fract, dtype=float)
        + structure.translations[code.op]
        + np.asarray(code.shift, dtype=float)
    )


def compose(first: SymmetryCode, second: SymmetryCode, structure) -> SymmetryCode:
    """The code of ``second`` applied after ``first`` (x → g2(g1(x))).

    R = R2·R1 and t = R2·t1 + t2 with t_i the operator's translation plus the code's
    shift, in plain Python on the 3×3 integers (numpy's per-call overhead on 3-vectors
    costs more than the arithmetic); the code found from them is exact integers."""
    _, rotations, translations = _operator_table(structure)
    r1, r2 = rotations[first.op], rotations[second.op]
    t1 = [a + b for a, b in zip(translations[first.op], first.shift, strict=True)]
    t2 = [a + b for a, b in zip(translations[second.op], second.shift, strict=True)]
    (a0, a1, a2), (b0, b1, b2), (c0, c1, c2) = r1
    rotation = [
        [r[0] * a0 + r[1] * b0 + r[2] * c0, r[0] * a1 + r[1] * b1 + r[2] * c1,
         r[0] * a2 + r[1] * b2 + r[2] * c2]
        for r in r2
    ]  # fmt: skip
    translation = [
        r[0] * t1[0] + r[1] * t1[1] + r[2] * t1[2] + t for r, t in zip(r2, t2, strict=True)
    ]
    code = operation_code(rotation, translation, structure)
    if code is None:
        raise ValueError("operators do not form a group")
    return code


def codes_array(codes: Sequence[SymmetryCode]) -> tuple[np.ndarray, np.ndarray]:
    """Split codes into an (n,) operator-index array and an (n, 3) shift array."""
    ops = np.fromiter((c.op for c in codes), dtype=int, count=len(codes))
    shifts = np.array([c.shift for c in codes], dtype=float).reshape(-1, 3)
    return ops, shifts


def op_parts(op: gemmi.Op) -> tuple[np.ndarray, np.ndarray]:
    """A :class:`gemmi.Op` as (integer 3×3 rotation, fractional translation).

    gemmi stores both in units of ``gemmi.Op.DEN`` (24); ``-x+1,y,-z+1/2`` →
    (diag(-1, 1, -1), (1, 0, 1/2)).
    """
    rot = np.array(op.rot, dtype=int) // gemmi.Op.DEN
    tran = np.array(op.tran, dtype=float) / gemmi.Op.DEN
    return rot, tran


def op_from_parts(rotation: np.ndarray, translation: np.ndarray) -> gemmi.Op:
    """The :class:`gemmi.Op` of an integer rotation and a fractional translation (the
    translation is kept as given, not reduced modulo 1): the inverse of :func:`op_parts`."""
    return _gemmi_op(rotation, translation)


# --- checking an operator list ------------------------------------------------------------


def check_operator_group(
    rotations: np.ndarray,
    translations: np.ndarray,
    triplets: Sequence[str] | None = None,
) -> None:
    """Raise :class:`InputError` unless the operators form a space group (modulo lattice
    translations).

    Three conditions, each reported with the text of an operator that breaks it:

    * **invertible**: every rotation part R is an integer matrix with det R = ±1 (a
      singular operator such as ``x,x,z`` or ``0,0,0`` maps the crystal onto a plane or
      a point, and one with det ±2 is not a crystallographic operation);
    * **distinct**: no operation is listed twice (up to a lattice translation), which
      would count every atom twice;
    * **closed**: for every pair g₁ = (R₁, t₁), g₂ = (R₂, t₂) of the list, the product
      g₂g₁ = (R₂R₁, R₂t₁ + t₂) is in the list up to a lattice translation (a group
      contains the products of its elements; International Tables for Crystallography
      Vol. A, ch. 1.3). A typing error in one operator, or a list that lost an operator,
      breaks this.

    The inverses then follow: a finite set closed under products is a group.
    Translations are compared modulo 1, rounded to 1/2400 (gemmi reads operators as
    multiples of 1/24, :attr:`gemmi.Op.DEN`).
    """
    rot = np.asarray(rotations, dtype=float).reshape(-1, 3, 3)
    tran = np.asarray(translations, dtype=float).reshape(-1, 3)
    # A list that passed is a group whatever its text: a space group's list recurs in
    # file after file, so it is checked once per process (the set is bounded).
    seen = rot.tobytes() + tran.tobytes()
    if seen in _GROUPS:
        return
    text = (
        [_triplet(r, t) for r, t in zip(rot, tran, strict=True)]
        if triplets is None
        else list(triplets)
    )
    if len(rot) == 0:
        raise InputError("the symmetry operator list is empty")
    if not (np.all(np.isfinite(rot)) and np.all(np.isfinite(tran))):
        finite = np.isfinite(rot).all(axis=(1, 2)) & np.isfinite(tran).all(axis=1)
        bad = int(np.flatnonzero(~finite)[0])
        raise InputError(f"symmetry operator {text[bad]!r} has a non-finite number")
    det = np.linalg.det(rot)
    wrong = ~np.all(rot == np.round(rot), axis=(1, 2)) | (np.abs(np.abs(det) - 1.0) > 1e-6)
    if wrong.any():
        k = int(np.flatnonzero(wrong)[0])
        raise InputError(
            f"symmetry operator {text[k]!r} is not invertible (its rotation part has "
            f"determinant {det[k]:g}, not ±1): not a crystallographic operation"
        )
    n = len(rot)
    listed = _op_keys(rot, tran)
    unique, first = np.unique(listed, return_index=True)
    if len(unique) < n:
        twice = next(k for k in range(n) if k not in set(first.tolist()))
        same = int(np.flatnonzero(listed == listed[twice])[0])
        also = (
            ""
            if np.allclose(tran[twice], tran[same])  # the same operator written again
            else f" (also as {text[same]!r}, equal up to a lattice translation)"
        )
        raise InputError(
            f"symmetry operator {text[twice]!r} is listed twice{also}: a space group lists "
            "each operation once"
        )
    products_rot = np.einsum("aij,bjk->abik", rot, rot)  # R_a R_b: b first, then a
    products_tran = np.einsum("aij,bj->abi", rot, tran) + tran[:, None, :]
    found = np.isin(_op_keys(products_rot.reshape(-1, 3, 3), products_tran.reshape(-1, 3)), listed)
    if not found.all():
        a, b = divmod(int(np.flatnonzero(~found)[0]), n)
        raise InputError(
            f"the {n} symmetry operators do not form a group: {text[b]!r} followed by "
            f"{text[a]!r} gives {_triplet(products_rot[a, b], products_tran[a, b] % 1.0)!r}, which "
            "is not in the list (a typing error, or an operator missing)"
        )
    if len(_GROUPS) < _MAX_GROUPS:
        _GROUPS.add(seen)


#: Operator lists (rotations and translations as bytes) that :func:`check_operator_group`
#: found to be groups; at most :data:`_MAX_GROUPS` (a few hundred space-group settings
#: cover nearly every file of a bulk run).
_GROUPS: set[bytes] = set()
_MAX_GROUPS = 2048


def operator_keys(rotations: np.ndarray, translations: np.ndarray) -> np.ndarray:
    """One integer key per operator, equal for operators equal up to a lattice translation
    (rotation entries, translation modulo 1 in 1/2400; entries beyond ±3 clipped)."""
    return _op_keys(rotations, translations)


def _op_keys(rotations: np.ndarray, translations: np.ndarray) -> np.ndarray:
    """One integer key per operator: rotation entries and translation modulo 1 (in 1/2400).

    Rotation entries beyond ±3 are clipped into the key's range; a product with such an
    entry cannot be in a list of invertible crystallographic operators anyway.
    """
    r = np.clip(np.round(rotations).astype(np.int64), -3, 3).reshape(len(rotations), 9) + 3
    t = np.round((np.asarray(translations) % 1.0) * 2400).astype(np.int64) % 2400
    key = np.zeros(len(rotations), dtype=np.int64)
    for column in r.T:
        key = key * 7 + column
    for column in t.T:
        key = key * 2400 + column
    return key


def _triplet(rotation: np.ndarray, translation: np.ndarray) -> str:
    """An operator as text (``-x+1/2,y,-z``), as gemmi writes it."""
    try:
        op = gemmi.Op()
        op.rot = [[round(float(v)) * gemmi.Op.DEN for v in row] for row in rotation]
        op.tran = [round(float(t) * gemmi.Op.DEN) for t in translation]
        return op.triplet()
    except (RuntimeError, ValueError, OverflowError, TypeError):
        return f"{np.asarray(rotation).tolist()} + {np.asarray(translation).tolist()}"


def affine(rotation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    """(..., 4, 4) homogeneous maps from (..., 3, 3) rotations and (..., 3) translations,
    so that operators compose by matrix products (x' = R·x + t as one 4×4 matrix)."""
    rotation = np.asarray(rotation, dtype=float)
    out = np.zeros((*rotation.shape[:-2], 4, 4))
    out[..., :3, :3] = rotation
    out[..., :3, 3] = translation
    out[..., 3, 3] = 1.0
    return out
