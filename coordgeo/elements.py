"""Elements: which are metals, their radii, and the element a CIF label or type symbol names.

The bottom layer (no coordgeo imports): every module that needs to know whether an atom
is a metal, how large it is, or which element ``FE1``/``Fe2+``/``OW3`` names asks here, so
the whole package uses one rule for each.

Metals
------
:func:`is_metal` is the one rule: an element is a metal when gemmi's periodic table
(``gemmi.Element.is_metal``) says so: the s-block metals (not H), the d and f blocks,
Al, Ga, In, Tl, Sn, Pb, Sb, Bi and Po. Every metal is a coordination centre.
:func:`is_transition_metal` (d and f block: Z 21–30, 39–48, 57–80, 89–109) is the narrower
set OctaDist's ``find_metal`` takes as the centre of an xyz molecule's polyhedron.
:func:`is_electropositive` marks the metals whose compounds are ionic: groups 1 and 2, group
3 (Sc, Y, La) and the lanthanides and actinides (Pauling electronegativity ≤ 1.3 except Be
1.57 and Mg 1.31; Pauling, *The Nature of the Chemical Bond*, 3rd ed., 1960). They form no
metal–metal bonds in salts, oxides or complexes (see :mod:`coordgeo.coordination`).

Radii
-----
Covalent radii are those of Cordero et al., Dalton Trans. 2008, 2832 (as tabulated by
gemmi), with the low-spin values for Mn, Fe and Co (1.39, 1.32, 1.26 Å);
:data:`COVALENT_RADIUS_HS` holds Cordero's high-spin values (1.61, 1.52, 1.50 Å). van der
Waals radii are gemmi's ``Element.vdw_r``: Bondi (J. Phys. Chem. 1964, 68, 441) for H and
the main-group non-metals (H 1.20, C 1.70, N 1.55, O 1.52, F 1.47, S 1.80, Cl 1.75,
Br 1.85, I 1.98 Å), Mantina et al. (J. Phys. Chem. A 2009, 113, 5806) elsewhere.
"""

from __future__ import annotations

import functools
import re

import gemmi

#: One term of a chemical formula (``Fe``, ``C20``, ``O2.5``, ``H .5``): the element symbol
#: and its count, if written (a number with digits: a lone ``.`` is not a count). The
#: readers of ``_chemical_formula_sum`` (:mod:`coordgeo.io.cif`), of a sample's formula
#: (:mod:`coordgeo.io.magnetometer`) and of the report's captions use it.
FORMULA_TERM = re.compile(r"([A-Z][a-z]?)\s*(\d+\.?\d*|\.\d+)?")

#: Cordero 2008 high-spin covalent radii (Å); :func:`covalent_radius` gives the low-spin ones.
COVALENT_RADIUS_HS = {"Mn": 1.61, "Fe": 1.52, "Co": 1.50}

#: Shannon effective ionic radii (Å; R. D. Shannon, Acta Cryst. 1976, A32, 751) of the large
#: cations whose contacts to anions are ionic and long: K⁺, Rb⁺, Cs⁺, Sr²⁺, Ba²⁺ at
#: coordination number XII (their largest tabulated size), Pb²⁺ at CN VIII (1.29 Å; XII is
#: 1.49 Å), the size of its usual complexes, whose lone pair leaves a hemidirected sphere
#: of 4–8 donors. See :func:`ionic_bond_limit`.
LARGE_CATION_RADIUS = {"K": 1.64, "Rb": 1.72, "Cs": 1.88, "Sr": 1.44, "Ba": 1.61, "Pb": 1.29}
#: Shannon 1976 radii (Å) of the anions (CN VI; N³⁻ CN IV, its only entry).
ANION_RADIUS = {
    "O": 1.40,
    "N": 1.46,
    "F": 1.33,
    "Cl": 1.81,
    "Br": 1.96,
    "I": 2.20,
    "S": 1.84,
    "Se": 1.98,
    "Te": 2.21,
}
#: Factor on the ionic radius sum within which a large cation and an anion are bonded.
IONIC_BOND_FACTOR = 1.10

_LANTHANIDES_ACTINIDES = set(range(57, 72)) | set(range(89, 104))
_GROUP_1_2_3 = {3, 11, 19, 37, 55, 87, 4, 12, 20, 38, 56, 88, 21, 39}


@functools.lru_cache(maxsize=256)
def atomic_number(element: str) -> int:
    """Atomic number (0 for a dummy site ``X`` or an unknown symbol)."""
    return 0 if element in ("X", "") else int(gemmi.Element(element).atomic_number)


@functools.lru_cache(maxsize=256)
def is_metal(element: str) -> bool:
    """The one rule for "metal" in coordgeo: gemmi's ``Element.is_metal`` (``X`` is not)."""
    return element not in ("X", "") and bool(gemmi.Element(element).is_metal)


def is_transition_metal(element: str) -> bool:
    """d- and f-block metals (Z 21–30, 39–48, 57–80, 89–109; OctaDist's ``find_metal``)."""
    z = atomic_number(element)
    return 21 <= z <= 30 or 39 <= z <= 48 or 57 <= z <= 80 or 89 <= z <= 109


def is_electropositive(element: str) -> bool:
    """Groups 1–3 and the lanthanides and actinides: metals that are cations in every compound."""
    z = atomic_number(element)
    return z in _GROUP_1_2_3 or z in _LANTHANIDES_ACTINIDES


@functools.lru_cache(maxsize=256)
def covalent_radius(element: str) -> float:
    """Cordero 2008 covalent radius in Å (low-spin value for Mn, Fe, Co; 0 for dummy sites)."""
    return 0.0 if element in ("X", "") else float(gemmi.Element(element).covalent_r)


def ionic_bond_limit(cation: str, anion: str) -> float:
    """The longest bond (Å) of a large cation to an anion by the ionic rule, or 0.

    ``IONIC_BOND_FACTOR`` × (r(cation) + r(anion)), Shannon 1976 radii, for the cations of
    :data:`LARGE_CATION_RADIUS` (CN XII; Pb²⁺ CN VIII) and the anions of
    :data:`ANION_RADIUS`; 0 for any other pair. Which atoms count as anions (not those
    bonded to carbon) is decided by ``coordgeo.coordination``. Cordero's covalent radii
    make these contacts too short: the twelve Cs–Cl of the A site of cubic CsSnCl₃ are
    a/√2 = 3.93 Å against 2.44 + 1.02 + 0.45 = 3.91 Å, so Cs had CN 0, and the twelve
    Pb–O 2.83 Å of Pb²⁺ in Cs₂PbCu(NO₂)₆ (COD 1008029) against 2.57 Å (ionic limit
    1.10 × (1.29 + 1.40) = 2.96 Å). In the cubic perovskites CsSnCl₃, CsSnBr₃, CsSnI₃,
    CsPbBr₃ and CsPbI₃ the A–X bonds (a/√2) are 1.066–1.090 × the Shannon sum; 1.10 keeps
    them and the Rb–OH₂ 3.34 Å of a Rb polyoxometalate hydrate (COD 2009306), while
    K–O 3.40 Å (1.12 ×) stays out.
    """
    rc = LARGE_CATION_RADIUS.get(cation, 0.0)
    ra = ANION_RADIUS.get(anion, 0.0)
    return IONIC_BOND_FACTOR * (rc + ra) if rc and ra else 0.0


@functools.lru_cache(maxsize=256)
def vdw_radius(element: str) -> float:
    """van der Waals radius in Å (gemmi: Bondi 1964 for H and the main-group non-metals)."""
    return float(gemmi.Element(element).vdw_r)


def _is_symbol(text: str) -> bool:
    """Whether ``text`` (any case) is an element symbol; gemmi reads two letters only, so
    the name is compared back."""
    symbol = text.capitalize()
    element = gemmi.Element(symbol)
    return element.atomic_number > 0 and element.name == symbol


_LETTERS = re.compile(r"^([A-Za-z]+)")


@functools.lru_cache(maxsize=8192)  # labels and type symbols repeat across sites and files
def element_from_label(
    label: str, type_symbol: str = "", all_caps: bool | None = None
) -> str | None:
    """Element symbol named by ``_atom_site_type_symbol`` (``Fe2+``, ``O2-``), else by a label.

    The type symbol, when given, decides: its leading letters, two-letter symbol first
    (``Co`` before ``C``); a type symbol that names no element gives None (an error, not
    a hint). Otherwise the label's leading letters: a two-letter reading is taken when
    the second letter is lower case (``Co1``), or when ``all_caps`` says the file writes
    every label in capitals (``CO1`` is cobalt there, carbon ``O1``-something otherwise);
    ``all_caps=None`` (labels from printed tables, already normalised) prefers two letters
    in any case (``FE1`` → Fe, ``OW1`` → O). Deuterium ``D`` is hydrogen. None when
    nothing names an element.
    """
    for text, from_label in ((type_symbol, False), (label, True)):
        m = _LETTERS.match(text.strip())
        if not m:
            continue
        letters = m.group(1)
        candidates = []
        if len(letters) >= 2:
            two_ok = not from_label or all_caps is None or letters[1].islower() or all_caps
            if two_ok:
                candidates.append(letters[:2])
        candidates.append(letters[0])
        for symbol in candidates:
            if symbol.upper() == "D":
                return "H"  # deuterium: hydrogen for geometry
            if _is_symbol(symbol):
                return symbol.capitalize()
        if not from_label:
            return None
    return None


__all__ = [
    "ANION_RADIUS",
    "COVALENT_RADIUS_HS",
    "IONIC_BOND_FACTOR",
    "LARGE_CATION_RADIUS",
    "atomic_number",
    "covalent_radius",
    "element_from_label",
    "ionic_bond_limit",
    "is_electropositive",
    "is_metal",
    "is_transition_metal",
    "vdw_radius",
]
