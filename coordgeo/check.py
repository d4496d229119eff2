"""Recompute the rows of the authors' own ``_geom_bond/angle/hbond/torsion`` loops.

For every row of those loops the atoms and symmetry codes are mapped onto
the structure, the value is recomputed from the coordinates with its su
(:mod:`coordgeo.geometry`), and the row gets a status:

``ok``
    |calculated − published| ≤ 2·su(published) + half a unit of the last
    printed digit of the published value + the effect of the coordinates'
    own rounding (which matters for riding H atoms printed without su).
    Rows published without su are judged on the rounding terms alone, with
    2·su(calculated) added, since those values carry the su of the
    coordinates they came from.
``mismatch``
    the value does not follow from the coordinates; ``reason`` says by how
    many su's and names likely causes (a riding H, a site with rounded
    coordinates, a torsion sign).
``unresolved``
    the row cannot be recomputed: unknown label (with the site labels it may
    mean, :func:`suggest_labels`), a symmetry code naming no operator of the CIF,
    a '?' code that no image explains, a block that could not be read; ``reason``
    says which.
``undefined``
    the quantity has no value for this geometry: a torsion through three
    collinear atoms (a bond angle within max(3 su, :data:`LINEAR_ANGLE`) of 180°),
    where the authors' program printed a number from rounding noise.

The comparison tolerance is therefore the one a referee would use: the su
the authors printed, plus rounding of the printed numbers.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pandas as pd

from coordgeo.errors import InputError
from coordgeo.esd import decimals_of, format_su, parse_su
from coordgeo.geometry import contacts, measure
from coordgeo.io import labels as _labels
from coordgeo.model import Structure
from coordgeo.symmetry import (
    SymmetryCode,
    compose,
    format_code,
    identity,
    parse_code,
    read_code,
)

COLUMNS = [
    "block",
    "kind",
    "atoms",
    "symmetry_codes",
    "published",
    "published_su",
    "calculated",
    "calculated_su",
    "status",
    "reason",
]

#: (label columns, symmetry-code columns by atom position, value columns) per loop.
_LAYOUT = {
    "bond": (
        ["atom_site_label_1", "atom_site_label_2"],
        {0: "site_symmetry_1", 1: "site_symmetry_2"},
        ["distance"],
    ),
    "angle": (
        ["atom_site_label_1", "atom_site_label_2", "atom_site_label_3"],
        {0: "site_symmetry_1", 1: "site_symmetry_2", 2: "site_symmetry_3"},
        ["value"],
    ),
    "torsion": (
        ["atom_site_label_1", "atom_site_label_2", "atom_site_label_3", "atom_site_label_4"],
        {0: "site_symmetry_1", 1: "site_symmetry_2", 2: "site_symmetry_3", 3: "site_symmetry_4"},
        ["value"],
    ),
    "hbond": (
        ["atom_site_label_D", "atom_site_label_H", "atom_site_label_A"],
        {0: "site_symmetry_D", 1: "site_symmetry_H", 2: "site_symmetry_A"},
        ["distance_DH", "distance_HA", "distance_DA", "angle_DHA"],
    ),
}
# which atoms of an H-bond row each value is measured between
_HBOND_PARTS = {
    "distance_DH": (0, 1),
    "distance_HA": (1, 2),
    "distance_DA": (0, 2),
    "angle_DHA": (0, 1, 2),
}
_KIND_NAME = {
    "distance_DH": "D-H",
    "distance_HA": "H...A",
    "distance_DA": "D...A",
    "angle_DHA": "D-H...A",
}


@dataclass(frozen=True)
class _Row:
    kind: str
    atoms: tuple[str, ...]
    code_texts: tuple[str, ...]
    value_text: str
    part: str = ""  # which value of an H-bond row
    has_codes: bool = True  # does the loop have symmetry-code columns at all

    @cached_property
    def published(self) -> tuple[float | None, float]:
        """(value, su) as printed; su is nan when none is printed."""
        return _published_value(self.value_text)


@dataclass(frozen=True)
class _Candidates:
    """Readings of one row: (sites, codes) options, and which atoms have no usable code.

    ``options`` hold the literal readings (one per way of reading repeated
    labels), with the identity standing in for codes that are unknown;
    ``unknown`` lists those atom positions, whose images are searched when
    the literal reading does not give the published value.
    """

    options: tuple[tuple[tuple[int, ...], tuple[SymmetryCode, ...]], ...]
    unknown: tuple[int, ...] = ()
    note: str = ""


#: Columns of :func:`resolve`: :data:`COLUMNS`, then how each row was read.
RESOLVED_COLUMNS = [*COLUMNS, "value_text", "sites", "codes"]

#: Degrees: a bond angle of a torsion's atoms within max(3 su, this) of 180° (or 0°) makes
#: the torsion undefined (the plane through three collinear atoms is not defined).
LINEAR_ANGLE = 1e-3


def check(structure: Structure) -> pd.DataFrame:
    """One row per published ``_geom_*`` row (H-bond rows give one row per value).

    Columns: ``block, kind, atoms, symmetry_codes, published, published_su,
    calculated, calculated_su, status, reason``. ``kind`` is ``bond``,
    ``angle``, ``torsion`` or ``hbond``; ``atoms`` is the labels joined by
    ``-`` (the four values of an H-bond row are told apart in ``atoms``,
    e.g. ``O1-H1...N4 [H...A]``); ``symmetry_codes`` the codes of the atoms
    as n_klm, space separated.

    Where a code is missing or cannot be read (``?``, a loop without code
    columns, a label marked as a symmetry mate such as ``P(2')``, operators
    the CIF does not list) and the identity does not give the published
    value, the images of the atom near its bonded partner are searched for
    the one that does, and the reason says so. Codes are read as CIF n_klm, else as
    GSAS-II writes them (:func:`coordgeo.symmetry.read_code`). A torsion whose atoms
    1-2-3 or 2-3-4 are collinear is ``undefined`` (see :data:`LINEAR_ANGLE`), whatever
    its published value.
    """
    return resolve(structure)[COLUMNS]


def resolve(structure: Structure, select=None) -> pd.DataFrame:
    """:func:`check`, with how each row was read: the one matching of loop rows to atoms.

    ``select(kind, labels)``, when given, keeps only the loop rows it returns True for
    (``kind`` ``bond``/``angle``/``torsion``/``hbond``, ``labels`` the row's atom labels as
    printed), so a caller that needs a few rows does not pay for the whole loop.
    Columns :data:`RESOLVED_COLUMNS`: those of :func:`check`, then ``value_text`` (the
    value exactly as printed, ``1.948(9)``), ``sites`` (tuple of site indices of the
    reading kept) and ``codes`` (tuple of :class:`~coordgeo.symmetry.SymmetryCode`);
    both None for a row that could not be read (``unresolved``) or whose acceptor is a
    ring centroid.
    """
    rows = _published_rows(structure.geom)
    if select is not None:
        rows = [r for r in rows if select(r.kind, r.atoms)]
    if not rows:
        return pd.DataFrame(columns=RESOLVED_COLUMNS)
    code_cache: dict[str, tuple[SymmetryCode, str]] = {}  # a loop repeats few codes
    label_cache: dict[str, tuple[list[int], str, bool]] = {}  # and few labels
    candidates = [_candidates(structure, r, code_cache, label_cache) for r in rows]
    best = _evaluate(structure, rows, candidates)
    judged = [_judge_row(structure, row, res) for row, res in zip(rows, best, strict=True)]
    # second pass: search the images for rows whose codes are unknown and did not fit
    retry = [
        k
        for k, (cand, (status, _)) in enumerate(zip(candidates, judged, strict=True))
        if isinstance(cand, _Candidates) and cand.unknown and status != "ok"
    ]
    searched: set[int] = set()
    if retry:
        near = _neighbour_images(structure, candidates, retry)
        expanded = {k: _image_options(structure, rows[k], candidates[k], near) for k in retry}
        second = _evaluate(structure, [rows[k] for k in retry], [expanded[k] for k in retry])
        for k, res in zip(retry, second, strict=True):
            if res is not None:
                best[k] = res
                judged[k] = _judge_row(structure, rows[k], res)
                searched.add(k)
    centroid = _centroid_rows(structure, rows)
    undefined = _undefined_torsions(structure, rows, best)
    records = []
    for k, (row, cand) in enumerate(zip(rows, candidates, strict=True)):
        pub, pub_su = row.published
        sites = codes = None
        label = "-".join(row.atoms)
        if row.kind == "hbond":
            label = f"{row.atoms[0]}-{row.atoms[1]}...{row.atoms[2]} [{_KIND_NAME[row.part]}]"
        codes_text = " ".join(t if t not in ("", "?") else "." for t in row.code_texts)
        calc = calc_su = np.nan
        if k in centroid:
            codes_text, calc, calc_su, status, reason = centroid[k]
        elif isinstance(cand, str):
            status, reason = "unresolved", cand
        elif pub is None:
            status, reason = "unresolved", f"published value {row.value_text!r} is not a number"
        else:
            (sites, codes), calc, calc_su, _ = best[k]
            codes_text = " ".join(format_code(c, structure) for c in codes)
            status, reason = judged[k]
            if k in undefined:
                status, reason = "undefined", undefined[k]
            note = cand.note
            if k in searched:
                note += (
                    f": image {codes_text} gives the published value"
                    if status == "ok"
                    else f": no image gives the published value (nearest {codes_text})"
                )
            if note:
                reason = f"{note}; {reason}" if reason else note
        records.append(
            [
                structure.block,
                row.kind,
                label,
                codes_text,
                pub,
                pub_su,
                calc,
                calc_su,
                status,
                reason,
                row.value_text,
                None if sites is None else tuple(int(i) for i in sites),
                None if codes is None else tuple(codes),
            ]
        )
    return pd.DataFrame(records, columns=RESOLVED_COLUMNS)


def unresolved_rows(geom, block: str, reason: str) -> pd.DataFrame:
    """Rows for the ``_geom_*`` loops of a block that could not be read at all."""
    records = []
    for row in _published_rows(geom):
        pub, pub_su = _published_value(row.value_text)
        atoms, codes = "-".join(row.atoms), " ".join(row.code_texts)
        records.append(
            [block, row.kind, atoms, codes, pub, pub_su, np.nan, np.nan, "unresolved", reason]
        )
    return pd.DataFrame(records, columns=COLUMNS)


def agreement(table: pd.DataFrame, kinds: tuple[str, ...] = ("bond", "angle")) -> dict[str, float]:
    """Share of rows with a published su that are ``ok``, overall and per kind."""
    with_su = table[table["kind"].isin(kinds) & (table["published_su"] > 0)]
    result = {"rows": float(len(with_su)), "ok": float((with_su["status"] == "ok").sum())}
    result["fraction_ok"] = result["ok"] / result["rows"] if len(with_su) else float("nan")
    return result


# --- reading the loops --------------------------------------------------------------------


def _published_rows(geom) -> list[_Row]:
    rows: list[_Row] = []
    for kind, (label_cols, code_cols, value_cols) in _LAYOUT.items():
        loop = geom.get(kind)
        if loop is None:
            continue
        columns = list(loop.columns)
        width = len(columns)
        index = {c.lower(): i for i, c in enumerate(columns)}
        try:
            label_idx = [index[c.lower()] for c in label_cols]
        except KeyError:
            continue  # a loop without its labels cannot be checked
        code_idx = {pos: index.get(col.lower()) for pos, col in code_cols.items()}
        has_codes = any(v is not None for v in code_idx.values())
        values = [v[1:-1] if v[:1] in "'\"" and v[-1:] == v[:1] else v for v in loop.values]
        for r in range(0, len(values), width):
            cells = values[r : r + width]
            atoms = tuple(cells[i] for i in label_idx)
            codes = tuple(
                cells[code_idx[p]] if code_idx.get(p) is not None else "."
                for p in range(len(atoms))
            )
            for vc in value_cols:
                vi = index.get(vc.lower())
                if vi is None:
                    continue
                part = vc if kind == "hbond" else ""
                rows.append(_Row(kind, atoms, codes, cells[vi], part, has_codes))
    return rows


def _published_value(text: str) -> tuple[float | None, float]:
    try:
        value, su = parse_su(text)
    except ValueError:
        return None, np.nan
    return value, (su if su is not None else np.nan)


# --- mapping a row onto the structure -----------------------------------------------------

# marks some programs add to a label to say "a symmetry mate of": N1', N(1''), C12*, O1#2, O1$3
MATE_MARK = _labels.MATE_MARK
# which atom an atom of a row is bonded to (to search its images near that partner)
_PARTNER = {
    ("bond", 2): {0: 1, 1: 0},
    ("angle", 3): {0: 1, 1: 0, 2: 1},
    ("torsion", 4): {0: 1, 1: 2, 2: 1, 3: 2},
    ("hbond", 2): {0: 1, 1: 0},
    ("hbond", 3): {0: 1, 1: 0, 2: 1},
}
# the atom a loop without code columns is measured from (the others are searched around it)
_REFERENCE = {"bond": 0, "angle": 1, "torsion": 1, "hbond": 0}
_MAX_OPTIONS = 4096


def label_sites(structure: Structure, label: str) -> tuple[list[int], str, bool]:
    """Sites a printed label may mean, how it was read, and whether it marks a symmetry mate:
    the one label resolver, :func:`coordgeo.io.labels.resolve_label` (exact, any case,
    parentheses, symmetry-mate marks; no pattern guesses for a CIF's own loops)."""
    found = _labels.resolve_label(structure, label)
    return list(found.sites), found.note, found.mate


def suggest_labels(structure: Structure, label: str, n: int = 3) -> list[str]:
    """Site labels a label that names no site probably means, the likeliest first
    (:func:`coordgeo.io.labels.suggest_labels`)."""
    return _labels.suggest_labels(structure, label, n)


def _candidates(
    structure: Structure,
    row: _Row,
    code_cache: dict[str, tuple[SymmetryCode, str]],
    label_cache: dict[str, tuple[list[int], str, bool]] | None = None,
) -> _Candidates | str:
    """Literal readings of a row's atoms (several when a label repeats), or why there is none.

    ``code_cache`` and ``label_cache`` keep the codes and labels already read: a loop
    repeats few of them."""
    per_atom_sites: list[list[int]] = []
    codes: list[SymmetryCode] = []
    unknown: list[int] = []
    notes: list[str] = []
    ops_from_cif = not any("lists no symmetry operators" in n for n in structure.notes)
    label_cache = {} if label_cache is None else label_cache
    for pos, (label, text) in enumerate(zip(row.atoms, row.code_texts, strict=True)):
        if label not in label_cache:
            label_cache[label] = label_sites(structure, label)
        sites, note, is_mate = label_cache[label]
        if not sites:
            near = suggest_labels(structure, label)
            hint = f" (the CIF has {', '.join(near)})" if near else ""
            return f"unknown atom label {label!r}{hint}"
        if note:
            notes.append(note)
        per_atom_sites.append(sites)
        text = text.strip()
        reading = None
        if text == "?":
            reading = "symmetry code '?'"
        elif is_mate:
            reading = ""
        elif not row.has_codes and pos != _REFERENCE[row.kind]:
            reading = "the loop has no symmetry codes"
        elif not ops_from_cif and text not in ("", "."):
            reading = "the CIF lists no symmetry operators, so its codes cannot be read"
        if reading is not None:
            unknown.append(pos)
            codes.append(identity(structure))
            if reading:
                notes.append(reading)
            continue
        try:
            if text not in code_cache:
                code_cache[text] = read_code(text, structure)
            code, how = code_cache[text]
            codes.append(code)
            if how:
                notes.append(how)
        except InputError as exc:
            return exc.message
    if row.kind == "hbond":
        part = _HBOND_PARTS[row.part]
        per_atom_sites = [per_atom_sites[i] for i in part]
        codes = [codes[i] for i in part]
        unknown = [part.index(i) for i in unknown if i in part]
    options = tuple((tuple(sites), tuple(codes)) for sites in itertools.product(*per_atom_sites))[
        :_MAX_OPTIONS
    ]
    return _Candidates(options, tuple(unknown), "; ".join(dict.fromkeys(notes)))


def _neighbour_images(structure: Structure, candidates: list, retry: list[int]):
    """Images of every site within the search radius of each partner site, in one search."""
    centers = sorted({s for k in retry for sites, _ in candidates[k].options for s in sites})
    found = contacts(structure, _SEARCH_RADIUS, centers=centers, min_distance=0.0)
    near: dict[tuple[int, int], list[SymmetryCode]] = {}
    for c, s, code in zip(found.center, found.site, found.codes(), strict=True):
        near.setdefault((int(c), int(s)), []).append(code)
    return near


def _image_options(structure: Structure, row: _Row, cand: _Candidates, near) -> _Candidates:
    """Readings where each unknown code is one of the images near the atom's bonded partner."""
    options = []
    for sites, codes in cand.options:
        partner = _PARTNER[(row.kind, len(sites))]
        choices: list[list[SymmetryCode]] = []
        for i, code in enumerate(codes):
            j = partner[i]
            if i not in cand.unknown or i == j:
                choices.append([code])
                continue
            images = [compose(c, codes[j], structure) for c in near.get((sites[j], sites[i]), [])]
            choices.append(list(dict.fromkeys(images)) or [code])
        options.extend((sites, combo) for combo in itertools.product(*choices))
        if len(options) > _MAX_OPTIONS:
            break
    return _Candidates(tuple(options[:_MAX_OPTIONS]), cand.unknown, cand.note)


_SEARCH_RADIUS = 4.5  # Å: bonds, angles and H-bonds reach their partner within this


def _evaluate(structure: Structure, rows: list[_Row], candidates: list):
    """Measure every reading of every row in batches; keep the one closest to the published value.

    Returns per row ``((sites, codes), value, su, rounding)`` or None.
    """
    flat: dict[int, list[tuple[int, int]]] = {}  # number of atoms → [(row, option)]
    for k, cand in enumerate(candidates):
        if isinstance(cand, _Candidates):
            for o, (sites, _) in enumerate(cand.options):
                flat.setdefault(len(sites), []).append((k, o))
    values: dict[tuple[int, int], tuple[float, float, float]] = {}
    for keys in flat.values():
        opts = [candidates[k].options[o] for k, o in keys]
        sites = np.array([o[0] for o in opts])
        ops = np.array([[c.op for c in o[1]] for o in opts])
        shifts = np.array([[c.shift for c in o[1]] for o in opts], dtype=float)
        v, su = measure(structure, sites, ops, shifts)
        rnd = rounding_effect(structure, sites, ops, shifts)
        for key, a, b, c in zip(keys, v.tolist(), su.tolist(), rnd.tolist(), strict=True):
            values[key] = (a, b, c)
    best = []
    for k, (row, cand) in enumerate(zip(rows, candidates, strict=True)):
        if not isinstance(cand, _Candidates):
            best.append(None)
            continue
        pub, _ = row.published
        scored = []
        for o in range(len(cand.options)):
            v, su, rnd = values[(k, o)]
            if row.kind == "torsion" and pub is not None and abs(v - pub) > 180:
                v -= 360 * np.sign(v - pub)
            scored.append((abs(v - pub) if pub is not None else float(o), o, v, su, rnd))
        _, o, v, su, rnd = min(scored)
        best.append((cand.options[o], v, su, rnd))
    return best


def _judge_row(structure: Structure, row: _Row, result) -> tuple[str, str]:
    pub, pub_su = row.published
    if result is None or pub is None:
        return "unresolved", ""
    (sites, _), calc, calc_su, rounding = result
    return judge(
        structure, row.kind, row.value_text, list(sites), pub, pub_su, calc, calc_su, rounding
    )


def _undefined_torsions(structure: Structure, rows: list[_Row], best) -> dict[int, str]:
    """Torsion rows through three collinear atoms, and why each is undefined.

    A torsion a-b-c-d is the angle between the planes (a, b, c) and (b, c, d); when the
    bond angle a-b-c or b-c-d is 180° (or 0°) within max(3 su, :data:`LINEAR_ANGLE`),
    one plane does not exist and any value is rounding noise.
    """
    keys = [
        k
        for k, (row, res) in enumerate(zip(rows, best, strict=True))
        if row.kind == "torsion" and res is not None
    ]
    if not keys:
        return {}
    sites = np.array([best[k][0][0] for k in keys])
    ops = np.array([[c.op for c in best[k][0][1]] for k in keys])
    shifts = np.array([[c.shift for c in best[k][0][1]] for k in keys], dtype=float)
    out: dict[int, str] = {}
    for first in (0, 1):
        part = slice(first, first + 3)
        angle, su = measure(structure, sites[:, part], ops[:, part], shifts[:, part])
        off = np.minimum(angle, 180.0 - angle)
        limit = np.maximum(3.0 * np.nan_to_num(su), LINEAR_ANGLE)
        for n in np.flatnonzero(off <= limit):
            k = keys[n]
            if k in out:
                continue
            names = "-".join(rows[k].atoms[first : first + 3])
            out[k] = (
                f"{names} is linear ({format_su(float(angle[n]), float(su[n]), 2)}°): "
                "a torsion through three collinear atoms is undefined"
            )
    return out


# --- judging ------------------------------------------------------------------------------


def rounding_effect(
    structure: Structure, sites: np.ndarray, ops: np.ndarray, shifts: np.ndarray
) -> np.ndarray:
    """How much the coordinates' print rounding can move each value, as an su.

    Rounding to the last printed digit is a uniform error of half-width h,
    i.e. a standard deviation of h/√3. Only coordinates printed without su
    (riding H) count, so ordinary rows are unaffected.
    """
    return measure(_rounded_structure(structure), sites, ops, shifts)[1]


def _rounded_structure(structure: Structure) -> Structure:
    """The structure with the coordinates' rounding as their only error (rounding_effect)."""
    h = np.where(structure.fract_su > 0, 0.0, structure.fract_rounding) / np.sqrt(3.0)
    p = structure.site_projector  # coordinates fixed by symmetry are exact, not rounded
    return replace(
        structure,
        fract_cov=np.einsum("nij,nj,nkj->nik", p, h**2, p),
        cell=replace(structure.cell, su=(0.0,) * 6),
    )


# --- ring centroids as H-bond acceptors ---------------------------------------------------

# which atoms of an H-bond row with a centroid acceptor each value is measured between:
# 0 = D, 1 = H, 2 = the ring
_CENTROID_ATOMS = {
    "distance_DH": (0, 1),
    "distance_HA": (1, 2),
    "distance_DA": (0, 2),
    "angle_DHA": (0, 1, 2),
}


def _centroid_rows(structure: Structure, rows: list[_Row]) -> dict[int, tuple]:
    """H-bond rows whose acceptor is a ring centroid (``Cg1``, ``Cg(1)``, ``Cg``).

    Authors' ring numbers are their own, so the ring is the one whose image reproduces
    the published D···Cg (:func:`coordgeo.contacts.resolve_centroid`); the four values
    are then recomputed and judged as any other H-bond value. Returns, per row index,
    ``(symmetry codes, calculated, su, status, reason)``.
    """
    from coordgeo.contacts import centroid_hbond_values, resolve_centroid
    from coordgeo.geometry import Atom
    from coordgeo.rings import centroid_label

    groups: dict[tuple, list[int]] = {}
    for k, row in enumerate(rows):
        acceptor = row.atoms[2] if row.kind == "hbond" else ""
        # a centroid the CIF lists as a dummy site is an ordinary atom
        if (
            acceptor
            and centroid_label(acceptor) is not None
            and not structure.sites_with_label(acceptor)
        ):
            groups.setdefault((row.atoms, row.code_texts), []).append(k)
    out: dict[int, tuple] = {}
    rounded = None
    for (atoms, code_texts), ks in groups.items():
        codes_text = " ".join(t if t not in ("", "?") else "." for t in code_texts)
        published = {
            rows[k].part: rows[k].published[0] for k in ks if rows[k].published[0] is not None
        }
        resolved, why = None, ""
        try:
            ends = []
            for label, text in zip(atoms[:2], code_texts[:2], strict=True):
                sites, _, _ = label_sites(structure, label)
                if not sites:
                    raise InputError(f"unknown atom label {label!r}")
                ends.append(Atom(sites[0], parse_code(text, structure)))
            text = code_texts[2].strip()
            code = None if text == "?" or not rows[ks[0]].has_codes else parse_code(text, structure)
            resolved = resolve_centroid(structure, ends[0], ends[1], code, published)
            if resolved is None:
                why = "no ring in the structure reproduces the centroid acceptor"
        except InputError as exc:
            why = exc.message
        if resolved is None:
            for k in ks:
                out[k] = (codes_text, np.nan, np.nan, "unresolved", why)
            continue
        _, image_code, ring_atoms, note = resolved
        values, sus = centroid_hbond_values(structure, ends[0], ends[1], ring_atoms)
        if rounded is None:
            rounded = _rounded_structure(structure)
        _, rounding = centroid_hbond_values(rounded, ends[0], ends[1], ring_atoms)
        codes_text = " ".join(
            format_code(c, structure) for c in (ends[0].code, ends[1].code, image_code)
        )
        groups_of_sites = ([ends[0].site], [ends[1].site], [a.site for a in ring_atoms])
        for k in ks:
            row = rows[k]
            pub, pub_su = row.published
            if pub is None:
                reason = f"published value {row.value_text!r} is not a number"
                out[k] = (codes_text, values[row.part], sus[row.part], "unresolved", reason)
                continue
            sites = [s for g in _CENTROID_ATOMS[row.part] for s in groups_of_sites[g]]
            status, reason = judge(
                structure,
                "hbond",
                row.value_text,
                sites,
                pub,
                pub_su,
                values[row.part],
                sus[row.part],
                rounding[row.part],
            )
            reason = f"{note}; {reason}" if reason else note
            out[k] = (codes_text, values[row.part], sus[row.part], status, reason)
    return out


def judge(
    structure: Structure,
    kind: str,
    value_text: str,
    sites: list[int],
    pub: float,
    pub_su: float,
    calc: float,
    calc_su: float,
    rounding: float,
) -> tuple[str, str]:
    """Status (``ok``/``mismatch``) and reason for one recomputed value (module docstring).

    ``kind`` is ``bond``/``angle``/``torsion``/``hbond``, ``value_text`` the
    published value as printed (its decimals set the rounding term), ``sites``
    the atoms measured, ``rounding`` the su-like effect of rounded coordinates
    (:func:`rounding_effect`).
    """
    half_digit = 0.5 * 10.0 ** (-decimals_of(value_text))
    diff = calc - pub
    has_su = np.isfinite(pub_su) and pub_su > 0
    tolerance = half_digit + 2.0 * rounding + 1e-9
    tolerance += 2.0 * pub_su if has_su else 2.0 * (calc_su if np.isfinite(calc_su) else 0.0)
    if abs(diff) <= tolerance:
        return "ok", ""
    scale = pub_su if has_su else (calc_su if calc_su > 0 else np.nan)
    causes = []
    riding = [
        structure.labels[s] for s in sites if structure.calc[s] and structure.elements[s] == "H"
    ]
    if riding:
        causes.append(f"riding H {', '.join(dict.fromkeys(riding))} with no su")
    # coordinates the site symmetry fixes have no su by right; only free ones count
    free = np.einsum("nii->ni", structure.site_projector) > 1e-6
    no_su = [
        structure.labels[s]
        for s in sites
        if structure.elements[s] != "H" and (free[s] & (structure.fract_su[s] == 0)).any()
    ]
    if no_su:
        causes.append(f"coordinates of {', '.join(dict.fromkeys(no_su))} printed without su")
    if kind == "torsion" and abs(calc + pub) <= tolerance:
        causes.append("opposite sign: the authors' torsion sign convention differs")
    if np.isfinite(calc_su) and calc_su < 1e-9 and not any(structure.calc[s] for s in sites):
        special = [structure.labels[s] for s in sites if structure.site_symmetry_order[s] > 1]
        causes.append(
            "the value is fixed by symmetry"
            + (f" ({', '.join(dict.fromkeys(special))} on a special position)" if special else "")
            + "; the published one was computed from coordinates off it"
        )
    elif has_su and np.isfinite(calc_su) and abs(diff) <= 2.0 * calc_su + half_digit:
        causes.append(
            f"within 2 su of the recomputed value (su {calc_su:.2g} from the coordinates): "
            "the published su is smaller than the coordinates support, as for a restrained "
            "or constrained geometry"
        )
    size = f"{abs(diff) / scale:.1f} su" if np.isfinite(scale) and scale > 0 else "no su"
    reason = f"differs by {diff:+.4g} ({size})"
    if causes:
        reason += "; " + "; ".join(causes)
    return "mismatch", reason
