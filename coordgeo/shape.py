"""Continuous shape measures (CShM) of coordination polyhedra, with the central atom.

The continuous shape measure of a problem structure Q relative to an ideal
polyhedron P (H. Zabrodsky, S. Peleg, D. Avnir, *J. Am. Chem. Soc.* 1992,
**114**, 7843; M. Pinsky, D. Avnir, *Inorg. Chem.* 1998, **37**, 5575;
S. Alvarez, D. Avnir, M. Llunell, M. Pinsky, *New J. Chem.* 2002, **26**,
996) is

    S_P(Q) = min 100 · Σᵢ |qᵢ − pᵢ|² / Σᵢ |qᵢ − q₀|²,

the minimum over rotations, translations and scalings of P and over the
pairings of the vertices, q₀ being the centroid of Q. As in SHAPE 2.1
(Llunell, Casanova, Cirera, Alemany, Alvarez, *SHAPE* manual, Universitat
de Barcelona, 2013) and cosymlib, the structure has N + 1 points: the N
donors and the central atom, which is always paired with the centre of the
ideal polyhedron. S = 0 for the ideal shape and at most 100; as a rough
guide, below 0.1 a polyhedron is practically ideal and above 3 clearly
distorted (Alvarez, Alemany, Casanova, Cirera, Llunell, Avnir, *Coord.
Chem. Rev.* 2005, **249**, 1693).

Implementation. For a fixed pairing, translation and scale have closed
forms and the best orthogonal transform gives
S = 100 · (1 − ν² / (|P′|²|Q′|²)), where P′, Q′ are the centred point sets
and ν is the sum of the singular values of the 3×3 matrix P′ᵀQ′ (Kabsch /
Umeyama, improper rotations allowed). All the reference polyhedra are
achiral, so allowing reflections gives the same minimum as SHAPE's proper
rotations over all pairings.

The pairing is found in one of two ways:

- every pairing is evaluated up to six donors, and for shapes of seven or
  eight with at most :data:`ENUMERATION_LIMIT` pairings (all of seven,
  OP-8, HPY-8, HBPY-8, CU-8, SAPR-8, TDD-8, JGBF-8, JETBPY-8). Pairings
  that differ by a symmetry operation of the ideal polyhedron give the same
  value, so only one pairing per coset of its symmetry group is evaluated
  (OC-6: 720/48 = 15, TPR-6: 720/12 = 60, SAPR-8: 40 320/16 = 2520), all
  at once, and the table is cached per shape;
- for the other shapes (JBTPR-8, BTPR-8, JSD-8, TT-8, ETBPY-8: 10 080 or
  more pairings; every shape of nine donors: up to 181 440), the pairing
  and the rotation are optimised in turn: for a fixed rotation the best
  pairing is a linear assignment problem (``scipy.optimize.
  linear_sum_assignment``, the Hungarian method; Kuhn 1955), for a fixed
  pairing the best rotation is the Kabsch/Umeyama fit, and each step can
  only increase ν. The loop starts from :data:`N_STARTS` rotations spread
  evenly over SO(3) (super-Fibonacci spirals, M. Alexa, *CVPR* 2022, 8291),
  each also with its mirror image, and keeps the best of the local optima
  reached, after merging the pairings that differ by a symmetry operation
  of the ideal polyhedron. On 450 polyhedra of seven donors, 450 of eight
  and 180 of nine (every reference shape with Gaussian noise of 0.05–3 Å,
  measured against every shape of its coordination number; 11 340
  measures) the search (``method="hungarian"``) found the exhaustive
  minimum (seven, eight donors, to 3·10⁻¹¹) or cosymlib's value (nine, to
  10⁻⁶) every time (``benchmarks/shape_search.py``, seeds 0–2).

Either way the pairing is the minimum over pairings, so it follows the
geometry and does not depend on the order in which donors are given.

The gradient of S with respect to the coordinates has a closed form at the
optimal pairing, rotation and scale (:func:`cshm_gradient`): by the envelope
theorem the optimised-over variables contribute nothing to first order.

>>> import numpy as np
>>> prism = ideal_polyhedron("TPR-6")
>>> round(float(cshm(prism.center, prism.vertices, "OC-6")), 3)
16.737
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np

from coordgeo.blas import one_thread

__all__ = [
    "COMMON_SHAPES",
    "ENUMERATION_LIMIT",
    "EXHAUSTIVE_MAX",
    "N_STARTS",
    "IdealPolyhedron",
    "cshm",
    "cshm_gradient",
    "generalized_coordinate",
    "ideal_polyhedron",
    "path_deviation",
    "shape_candidates",
    "shape_labels",
    "shape_measures",
    "shape_measures_with_copies",
    "shape_measures_with_gradients",
    "site_points",
]

#: The usual reference polyhedra of each coordination number, shown by ``coordgeo
#: octahedra`` and computed by ``coordgeo bulk`` by default: L-2, vT-2 (linear and bent
#: two-coordinate Cu(I), Ag(I), Au(I), Hg(II)); TP-3, vT-3, mvOC-3 (trigonal plane,
#: pyramid, T-shape; SHAPE 2.1, Llunell et al., Universitat de Barcelona 2013); SP-4, T-4,
#: SS-4; TBPY-5, SPY-5 (Alvarez et al., *Coord. Chem. Rev.* 2005, **249**, 1693); OC-6,
#: TPR-6; PBPY-7, COC-7,
#: CTPR-7 (Casanova et al., *Chem. Eur. J.* 2003, **9**, 1281); CU-8, SAPR-8, TDD-8; and
#: for nine-coordinate sites (lanthanides, the usual CN 9 of Ln(III) aqua and terpyridine
#: complexes) CSAPR-9, TCTPR-9 and MFF-9, the three shapes Ruiz-Martínez, Casanova and
#: Alvarez find nearly all CN 9 structures close to (*Chem. Eur. J.* 2008, **14**, 1291).
COMMON_SHAPES = (
    "L-2",
    "vT-2",
    "TP-3",
    "vT-3",
    "mvOC-3",
    "SP-4",
    "T-4",
    "SS-4",
    "TBPY-5",
    "SPY-5",
    "OC-6",
    "TPR-6",
    "PBPY-7",
    "COC-7",
    "CTPR-7",
    "CU-8",
    "SAPR-8",
    "TDD-8",
    "CSAPR-9",
    "TCTPR-9",
    "MFF-9",
)


@dataclass(frozen=True, eq=False)
class IdealPolyhedron:
    """An ideal reference polyhedron as SHAPE defines it, centre at the origin.

    ``vertices`` (N, 3) are the donor positions and ``center`` the position
    of the central atom (the origin), scaled so that the N + 1 points have
    unit root-mean-square distance from their centroid (SHAPE's and
    cosymlib's normalisation; scale does not affect the measure).
    """

    label: str
    name: str
    point_group: str
    vertices: np.ndarray
    center: np.ndarray

    @property
    def n(self) -> int:
        return len(self.vertices)


def _unit(polar: float, azimuth: float) -> list[float]:
    t, p = np.radians(polar), np.radians(azimuth)
    return [np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)]


def _ring(k: int, polar: float = 90.0, phase: float = 0.0) -> list[list[float]]:
    """k unit vectors at one polar angle, evenly spaced in azimuth."""
    return [_unit(polar, phase + 360.0 * j / k) for j in range(k)]


_UP, _DOWN = [[0.0, 0.0, 1.0]], [[0.0, 0.0, -1.0]]
# Pentagonal Johnson solids (J2, J13): equilateral triangles on a pentagon of
# unit circumradius put the apex 1/φ from the pentagon's centre.
_J_APEX = np.sqrt((2.0 * np.sin(np.radians(36.0))) ** 2 - 1.0)

# label: (name, point group, vertex directions and distances from the centre).
# The centre is where SHAPE puts the central atom: equidistant from all
# vertices for the "spherical" shapes, at the centre of the polygon for the
# pyramids of Johnson solids (JPPY-6, JPBPY-7) and at the shared face of J12.
_DEFINITIONS: dict[str, tuple[str, str, list[list[float]]]] = {
    # Two and three donors (SHAPE 2.1's references, the metal at the centre of the parent
    # polyhedron): linear, divacant tetrahedron (V-shape, 109.47°), tetravacant
    # octahedron (L-shape, 90°); trigonal plane, vacant tetrahedron (pyramid), fac- and
    # mer-trivacant octahedron (T-shape). Unit vectors derived by hand.
    "L-2": ("linear", "D∞h", [[0.0, 0.0, 1.0], [0.0, 0.0, -1.0]]),
    "vT-2": (
        "divacant tetrahedron (V-shape, 109.47°)",
        "C2v",
        (np.array([[1, 1, 1], [1, -1, -1]]) / np.sqrt(3.0)).tolist(),
    ),
    "vOC-2": ("tetravacant octahedron (L-shape, 90°)", "C2v", [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]),
    "TP-3": ("trigonal plane", "D3h", _ring(3)),
    "vT-3": (
        "vacant tetrahedron (trigonal pyramid)",
        "C3v",
        (np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1]]) / np.sqrt(3.0)).tolist(),
    ),
    "fvOC-3": (
        "fac-trivacant octahedron",
        "C3v",
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    ),
    "mvOC-3": (
        "mer-trivacant octahedron (T-shape)",
        "C2v",
        [[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
    ),
    "SP-4": ("square", "D4h", _ring(4)),
    "T-4": (
        "tetrahedron",
        "Td",
        (np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) / np.sqrt(3.0)).tolist(),
    ),
    "SS-4": ("seesaw (cis-divacant octahedron)", "C2v", _UP + _DOWN + _ring(4)[:2]),
    "vTBPY-4": ("axially vacant trigonal bipyramid", "C3v", _UP + _ring(3)),
    "PP-5": ("pentagon", "D5h", _ring(5)),
    "vOC-5": ("vacant octahedron (Johnson square pyramid J1)", "C4v", _UP + _ring(4)),
    "TBPY-5": ("trigonal bipyramid", "D3h", _UP + _DOWN + _ring(3)),
    # Spherical square pyramid: basal donors at cos θ = −1/4 from the apex axis.
    "SPY-5": ("spherical square pyramid", "C4v", _UP + _ring(4, np.degrees(np.arccos(-0.25)))),
    "JTBPY-5": (
        "Johnson trigonal bipyramid (J12)",
        "D3h",
        [[0.0, 0.0, np.sqrt(2.0)], [0.0, 0.0, -np.sqrt(2.0)], *_ring(3)],
    ),
    "HP-6": ("hexagon", "D6h", _ring(6)),
    "PPY-6": ("pentagonal pyramid", "C5v", _UP + _ring(5)),
    "OC-6": ("octahedron", "Oh", _UP + _DOWN + _ring(4)),
    # Regular (equilateral) trigonal prism: side √3 and height √3 for unit circumradius in plane.
    "TPR-6": (
        "trigonal prism",
        "D3h",
        [[x, y, s * np.sqrt(3.0) / 2.0] for s in (1, -1) for x, y, _ in _ring(3)],
    ),
    "JPPY-6": ("Johnson pentagonal pyramid (J2)", "C5v", [[0.0, 0.0, _J_APEX], *_ring(5)]),
    "HP-7": ("heptagon", "D7h", _ring(7)),
    "HPY-7": ("hexagonal pyramid", "C6v", _UP + _ring(6)),
    "PBPY-7": ("pentagonal bipyramid", "D5h", _UP + _DOWN + _ring(5)),
    # SHAPE's spherical capped octahedron and capped trigonal prism are tabulated
    # numerically; these polar angles reproduce its coordinates to ~1e-7.
    "COC-7": (
        "capped octahedron",
        "C3v",
        _UP + _ring(3, 77.8700017, 90.0) + _ring(3, 133.4759981, 30.0),
    ),
    "CTPR-7": (
        "capped trigonal prism",
        "C2v",
        _UP + _ring(4, 76.2662520, 45.0) + _ring(2, 141.8669984),
    ),
    "JPBPY-7": (
        "Johnson pentagonal bipyramid (J13)",
        "D5h",
        [[0.0, 0.0, _J_APEX], [0.0, 0.0, -_J_APEX], *_ring(5)],
    ),
    "OP-8": ("octagon", "D8h", _ring(8)),
    "HPY-8": ("heptagonal pyramid", "C7v", _UP + _ring(7)),
    "HBPY-8": ("hexagonal bipyramid", "D6h", _UP + _DOWN + _ring(6)),
    "CU-8": (
        "cube",
        "Oh",
        _ring(4, np.degrees(np.arccos(1 / np.sqrt(3.0))), 45.0)
        + _ring(4, 180.0 - np.degrees(np.arccos(1 / np.sqrt(3.0))), 45.0),
    ),
    # Square antiprism with all edges equal: tan²θ = 2√2 for the polar angle θ.
    "SAPR-8": (
        "square antiprism",
        "D4d",
        _ring(4, np.degrees(np.arctan(np.sqrt(2.0 * np.sqrt(2.0)))), 45.0)
        + _ring(4, 180.0 - np.degrees(np.arctan(np.sqrt(2.0 * np.sqrt(2.0))))),
    ),
    # SHAPE's triangular dodecahedron (D2d, S4 axis along z): two sets of four
    # donors at polar angles 36.8496° and 69.4595°, the second 0.99996541 as far.
    "TDD-8": (
        "triangular dodecahedron",
        "D2d",
        _ring(2, 36.8495856)
        + _ring(2, 143.1504144, 90.0)
        + (0.99996541 * np.array(_ring(2, 69.4595029, 90.0) + _ring(2, 110.5404971))).tolist(),
    ),
}


# SHAPE's reference polyhedra that are tabulated numerically rather than defined by a simple
# construction (spherical and Johnson-solid variants optimised by the SHAPE authors): the
# coordinates of SHAPE 2.1's reference shapes as distributed with cosymlib 0.12.1
# (``cosymlib/shape/ideal_structures_center.yaml``; Llunell, Casanova, Cirera, Alemany,
# Alvarez, SHAPE 2.1 manual, 2013). Each list gives the vertices, then the central atom.
_TABULATED: dict[str, tuple[str, str, list[list[float]]]] = {
    "JETPY-7": (
        "Johnson elongated triangular pyramid (J7)",
        "C3v",
        [
            [0.729093431342, 0.0, 0.42360002676],
            [0.729093431342, 0.0, -0.839226839789],
            [-0.364546715671, 0.631413433275, 0.42360002676],
            [-0.364546715671, 0.631413433275, -0.839226839789],
            [-0.364546715671, -0.631413433275, 0.42360002676],
            [-0.364546715671, -0.631413433275, -0.839226839789],
            [0.0, 0.0, 1.454693845602],
            [0.0, 0.0, -0.207813406515],
        ],
    ),
    "JGBF-8": (
        "Johnson gyrobifastigium (J26)",
        "D2d",
        [
            [0.612372435696, 0.0, 1.06066017178],
            [-0.612372435696, 0.0, 1.06066017178],
            [0.612372435696, 0.612372435696, 0.0],
            [0.612372435696, -0.612372435696, 0.0],
            [-0.612372435696, -0.612372435696, 0.0],
            [-0.612372435696, 0.612372435696, 0.0],
            [0.0, 0.612372435696, -1.06066017178],
            [0.0, -0.612372435696, -1.06066017178],
            [0.0, 0.0, 0.0],
        ],
    ),
    "JETBPY-8": (
        "Johnson elongated triangular bipyramid (J14)",
        "D3h",
        [
            [0.656233980527, 0.0, 0.568315297963],
            [0.656233980527, 0.0, -0.568315297963],
            [-0.328116990263, 0.568315297963, 0.568315297963],
            [-0.328116990263, 0.568315297963, -0.568315297963],
            [-0.328116990263, -0.568315297963, 0.568315297963],
            [-0.328116990263, -0.568315297963, -0.568315297963],
            [0.0, 0.0, 1.496370293314],
            [0.0, 0.0, -1.496370293314],
            [0.0, 0.0, 0.0],
        ],
    ),
    "JBTPR-8": (
        "biaugmented trigonal prism (J50)",
        "C2v",
        [
            [0.647117793293, 0.0, 0.604029879248],
            [-0.647117793293, 0.0, 0.604029879248],
            [0.647117793293, 0.647117793293, -0.516811012319],
            [-0.647117793293, 0.647117793293, -0.516811012319],
            [0.647117793293, -0.647117793293, -0.516811012319],
            [-0.647117793293, -0.647117793293, -0.516811012319],
            [0.0, 1.116113113681, 0.501190825503],
            [0.0, -1.116113113681, 0.501190825503],
            [0.0, 0.0, -0.143197360226],
        ],
    ),
    "BTPR-8": (
        "biaugmented trigonal prism",
        "C2v",
        [
            [0.699237877649, 0.0, 0.688732178156],
            [-0.699237877649, 0.0, 0.688732178156],
            [0.699237877649, 0.699237877649, -0.522383347216],
            [-0.699237877649, 0.699237877649, -0.522383347216],
            [0.699237877649, -0.699237877649, -0.522383347216],
            [-0.699237877649, -0.699237877649, -0.522383347216],
            [0.0, 0.925004726938, 0.415373590668],
            [0.0, -0.925004726938, 0.415373590668],
            [0.0, 0.0, -0.118678148784],
        ],
    ),
    "JSD-8": (
        "snub diphenoid (J84)",
        "D2d",
        [
            [-0.652225622594, 0.0, -1.022598826988],
            [0.652225622594, 0.0, -1.022598826988],
            [0.840828401428, 0.0, 0.268145244516],
            [-0.840828401428, 0.0, 0.268145244516],
            [0.0, -0.652225622594, 1.022598102293],
            [0.0, 0.652225622594, 1.022598102293],
            [0.0, -0.840828401428, -0.26814466476],
            [0.0, 0.840828401428, -0.26814466476],
            [0.0, 0.0, 2.89878e-07],
        ],
    ),
    "TT-8": (
        "triakis tetrahedron",
        "Td",
        [
            [0.0, 0.0, 0.951989349863],
            [-0.897415499947, 0.0, -0.317824238862],
            [0.448707702372, -0.777184634355, -0.317824238862],
            [0.448707702372, 0.777184634355, -0.317824238862],
            [0.0, 0.0, -1.159193629094],
            [1.092673129412, 0.0, 0.386903234355],
            [-0.546336517105, 0.946282696936, 0.386903234355],
            [-0.546336517105, -0.946282696936, 0.386903234355],
            [0.0, 0.0, -3.2707247e-05],
        ],
    ),
    "ETBPY-8": (
        "elongated trigonal bipyramid",
        "D3h",
        [
            [0.694365079077, 0.0, 0.801783719423],
            [-0.694365079077, 0.0, 0.801783719423],
            [0.694365079077, 0.694365079077, -0.400891871284],
            [-0.694365079077, 0.694365079077, -0.400891871284],
            [0.694365079077, -0.694365079077, -0.400891871284],
            [-0.694365079077, -0.694365079077, -0.400891871284],
            [1.06066015629, 0.0, 1.543e-08],
            [-1.06066015629, 0.0, 1.543e-08],
            [0.0, 0.0, 1.543e-08],
        ],
    ),
    "EP-9": (
        "enneagon",
        "D9h",
        [
            [1.054092553389, 0.0, 0.0],
            [0.807481743057, 0.677557632782, 0.0],
            [0.183041250988, 1.03807851897, 0.0],
            [-0.527046276695, 0.912870929175, 0.0],
            [-0.990522994045, 0.360520886189, 0.0],
            [-0.990522994045, -0.360520886189, 0.0],
            [-0.527046276695, -0.912870929175, 0.0],
            [0.183041250988, -1.03807851897, 0.0],
            [0.807481743057, -0.677557632782, 0.0],
            [0.0, 0.0, 0.0],
        ],
    ),
    "OPY-9": (
        "octagonal pyramid",
        "C8v",
        [
            [0.0, 0.0, -0.953998092006],
            [1.059997880006, 0.0, 0.105999788001],
            [0.749531688996, 0.749531688996, 0.105999788001],
            [0.0, 1.059997880006, 0.105999788001],
            [-0.749531688996, 0.749531688996, 0.105999788001],
            [-1.059997880006, 0.0, 0.105999788001],
            [-0.749531688996, -0.749531688996, 0.105999788001],
            [0.0, -1.059997880006, 0.105999788001],
            [0.749531688996, -0.749531688996, 0.105999788001],
            [0.0, 0.0, 0.105999788001],
        ],
    ),
    "HBPY-9": (
        "heptagonal bipyramid",
        "D7h",
        [
            [0.0, 0.0, -1.054092553389],
            [1.054092553389, 0.0, 0.0],
            [0.657215957254, 0.824122743675, 0.0],
            [-0.234557659457, 1.027664252322, 0.0],
            [-0.949704574492, 0.457353618441, 0.0],
            [-0.949704574492, -0.457353618441, 0.0],
            [-0.234557659457, -1.027664252322, 0.0],
            [0.657215957254, -0.824122743675, 0.0],
            [0.0, 0.0, 1.054092553389],
            [0.0, 0.0, 0.0],
        ],
    ),
    "JTC-9": (
        "Johnson triangular cupola (J3)",
        "C3v",
        [
            [1.09108945118, 0.0, 0.267261241912],
            [0.54554472559, 0.944911182523, 0.267261241912],
            [-0.54554472559, 0.944911182523, 0.267261241912],
            [-1.09108945118, 0.0, 0.267261241912],
            [-0.54554472559, -0.944911182523, 0.267261241912],
            [0.54554472559, -0.944911182523, 0.267261241912],
            [0.54554472559, 0.314970394174, -0.623609564462],
            [-0.54554472559, 0.314970394174, -0.623609564462],
            [0.0, -0.629940788349, -0.623609564462],
            [0.0, 0.0, 0.267261241912],
        ],
    ),
    "JCCU-9": (
        "capped cube (J8)",
        "C4v",
        [
            [0.82696065205, 0.0, 0.44357847115],
            [0.82696065205, 0.0, -0.725920498528],
            [0.0, 0.82696065205, 0.44357847115],
            [0.0, 0.82696065205, -0.725920498528],
            [-0.82696065205, 0.0, 0.44357847115],
            [-0.82696065205, 0.0, -0.725920498528],
            [0.0, -0.82696065205, 0.44357847115],
            [0.0, -0.82696065205, -0.725920498528],
            [0.0, 0.0, 1.2705391232],
            [0.0, 0.0, -0.141171013689],
        ],
    ),
    "CCU-9": (
        "spherical-relaxed capped cube",
        "C4v",
        [
            [0.676580145336, 0.676580145336, 0.433150734305],
            [0.676580145336, -0.676580145336, 0.433150734305],
            [-0.676580145336, 0.676580145336, 0.433150734305],
            [-0.676580145336, -0.676580145336, 0.433150734305],
            [0.567844822329, 0.567844822329, -0.692079759449],
            [0.567844822329, -0.567844822329, -0.692079759449],
            [-0.567844822329, 0.567844822329, -0.692079759449],
            [-0.567844822329, -0.567844822329, -0.692079759449],
            [0.0, 0.0, 1.044926731187],
            [0.0, 0.0, -0.009210630612],
        ],
    ),
    "JCSAPR-9": (
        "capped square antiprism (J10)",
        "C4v",
        [
            [0.87314064349, 0.0, 0.658403850449],
            [0.617403669941, 0.617403669941, -0.379941215187],
            [0.0, 0.87314064349, 0.658403850449],
            [-0.617403669941, 0.617403669941, -0.379941215187],
            [-0.87314064349, 0.0, 0.658403850449],
            [-0.617403669941, -0.617403669941, -0.379941215187],
            [0.0, -0.87314064349, 0.658403850449],
            [0.617403669941, -0.617403669941, -0.379941215187],
            [0.0, 0.0, -1.253081858677],
            [0.0, 0.0, 0.139231317631],
        ],
    ),
    "CSAPR-9": (
        "spherical capped square antiprism",
        "C4v",
        [
            [0.0, 0.0, 1.053083142672],
            [0.982653581851, 0.0, 0.38044015658],
            [0.0, 0.982653581851, 0.38044015658],
            [-0.982653581851, 0.0, 0.38044015658],
            [0.0, -0.982653581851, 0.38044015658],
            [0.59091969017, 0.59091969017, -0.643458455172],
            [-0.59091969017, 0.59091969017, -0.643458455172],
            [-0.59091969017, -0.59091969017, -0.643458455172],
            [0.59091969017, -0.59091969017, -0.643458455172],
            [0.0, 0.0, -0.001009948303],
        ],
    ),
    "JTCTPR-9": (
        "tricapped trigonal prism (J51)",
        "D3h",
        [
            [0.621382007554, 0.621382007554, 0.358755069151],
            [-0.621382007554, 0.621382007554, 0.358755069151],
            [0.621382007554, -0.621382007554, 0.358755069151],
            [-0.621382007554, -0.621382007554, 0.358755069151],
            [0.0, 0.621382007554, -0.717510138861],
            [0.0, -0.621382007554, -0.717510138861],
            [1.071725432946, 0.0, -0.618760966112],
            [-1.071725432946, 0.0, -0.618760966112],
            [0.0, 0.0, 1.237521933529],
            [0.0, 0.0, -1.86e-10],
        ],
    ),
    "TCTPR-9": (
        "spherical tricapped trigonal prism",
        "D3h",
        [
            [0.702728368926, 0.0, 0.785674201318],
            [-0.351364184463, 0.60858061945, 0.785674201318],
            [-0.351364184463, -0.60858061945, 0.785674201318],
            [0.702728368926, 0.0, -0.785674201318],
            [-0.351364184463, 0.60858061945, -0.785674201318],
            [-0.351364184463, -0.60858061945, -0.785674201318],
            [-1.054092553389, 0.0, 0.0],
            [0.527046276695, 0.912870929175, 0.0],
            [0.527046276695, -0.912870929175, 0.0],
            [0.0, 0.0, 0.0],
        ],
    ),
    "JTDIC-9": (
        "tridiminished icosahedron (J63)",
        "C3v",
        [
            [-0.262672206048, 0.919451307875, -0.425012557285],
            [-0.91528654885, 0.021204725402, -0.425012557285],
            [-0.262672206048, -0.877041857071, -0.425012557285],
            [0.793279982152, -0.533942192845, -0.425012557285],
            [0.973658150194, 0.021204725402, 0.519459792237],
            [0.321043807391, 0.919451307875, 0.519459792237],
            [-0.734908380808, -0.533942192845, 0.519459792237],
            [0.029185800672, 0.021204725402, -1.008728570724],
            [0.029185800672, 0.021204725402, 1.103175805676],
            [0.029185800672, 0.021204725402, 0.047223617476],
        ],
    ),
    "HH-9": (
        "hula-hoop",
        "C2v",
        [
            [1.057244898055, 0.0, 0.077395698145],
            [0.528622449027, 0.915600935736, 0.077395698145],
            [-0.528622449027, 0.915600935736, 0.077395698145],
            [-1.057244898055, 0.0, 0.077395698145],
            [-0.528622449027, -0.915600935736, 0.077395698145],
            [0.528622449027, -0.915600935736, 0.077395698145],
            [0.0, 0.0, 1.1346405962],
            [0.528622449027, 0.0, -0.838205241608],
            [-0.528622449027, 0.0, -0.838205241608],
            [0.0, 0.0, 0.077395698145],
        ],
    ),
    "MFF-9": (
        "muffin",
        "Cs",
        [
            [0.0, 1.042109568232, 0.212992870476],
            [0.990863900028, 0.322171619609, 0.212992870476],
            [0.61240043265, -0.842614003292, 0.212992870476],
            [-0.61240043265, -0.842614003292, 0.212992870476],
            [-0.990863900028, 0.322171619609, 0.212992870476],
            [-0.61240043265, -0.35416341821, -0.737452600997],
            [0.61240043265, -0.35416341821, -0.737452600997],
            [0.0, 0.70651413114, -0.737452600997],
            [0.0, 0.000293952208, 1.100973497819],
            [0.0, 0.000293952208, 0.046419952795],
        ],
    ),
}
for _label, (_name, _group, _rows) in _TABULATED.items():
    _DEFINITIONS[_label] = (_name, _group, (np.array(_rows[:-1]) - np.array(_rows[-1])).tolist())


def shape_labels(n: int | None = None) -> tuple[str, ...]:
    """SHAPE labels of the available ideal polyhedra, all or those with ``n`` vertices.

    >>> shape_labels(6)
    ('HP-6', 'PPY-6', 'OC-6', 'TPR-6', 'JPPY-6')
    >>> shape_labels(9)[:4]
    ('EP-9', 'OPY-9', 'HBPY-9', 'JTC-9')
    """
    labels = tuple(_DEFINITIONS)
    if n is None:
        return labels
    return tuple(label for label in labels if len(_DEFINITIONS[label][2]) == n)


@functools.cache
def ideal_polyhedron(label: str) -> IdealPolyhedron:
    """The ideal polyhedron with SHAPE label ``label`` (e.g. ``"OC-6"``), normalised.

    Vertices come from the geometric definition of each shape, with the
    central atom where SHAPE puts it (see the module source for each one).
    """
    try:
        name, group, directions = _DEFINITIONS[label]
    except KeyError:
        raise ValueError(f"unknown shape {label!r}; known: {', '.join(_DEFINITIONS)}") from None
    points = np.vstack([np.asarray(directions, dtype=float), np.zeros((1, 3))])
    points = points - points.mean(axis=0)
    points /= np.sqrt((points**2).sum(axis=1).mean())
    vertices, center = points[:-1] - points[-1], points[-1] - points[-1]
    vertices.setflags(write=False)
    center.setflags(write=False)
    return IdealPolyhedron(label, name, group, vertices, center)


def _coset_representatives(group: np.ndarray, n: int) -> np.ndarray:
    """(N!/|G|, N) the smallest pairing of each class {σ∘π : σ ∈ G}, in lexicographic order.

    ``group`` (|G|, N) holds the vertex permutations σ of the symmetry group. A pairing π
    is the lexicographically smallest of its class exactly when each π(i) is the smallest
    image σ(π(i)) over the σ that fix π(0), …, π(i − 1): where a σ∘π first differs from
    π it is smaller there, or larger, by that value alone. So the representatives are
    built position by position, every prefix at once, each keeping the σ that fix it;
    a prefix is extended by the free values in increasing order, which keeps the rows in
    lexicographic order (the order of ``itertools.permutations``): the table of one
    representative per coset without listing the N! permutations.
    """
    values = np.arange(n)
    prefixes = np.zeros((1, 0), dtype=np.int64)
    fixing = np.ones((1, len(group)), dtype=bool)  # the σ fixing each prefix, pointwise
    for _ in range(n):
        least = np.where(fixing[:, :, None], group[None], n).min(axis=1)  # (m, N)
        free = least == values
        free[np.arange(len(prefixes))[:, None], prefixes] = False  # values already paired
        row, value = np.nonzero(free)
        prefixes = np.concatenate([prefixes[row], value[:, None]], axis=1)
        image = group[:, value].T  # (m', |G|): σ(value) of each new prefix's last value
        fixing = fixing[row] & (image == value[:, None])
    return prefixes


@functools.cache
def _pairings(label: str) -> np.ndarray:
    """One donor → vertex pairing per coset of the symmetry group: (k, N+1, 3) references.

    Row k holds the ideal polyhedron's points in the order paired with the
    problem's donors (vertex π(i) for donor i), then its centre; centred and
    scaled to unit Frobenius norm. The pairings are the lexicographically smallest
    member of each class (:func:`_coset_representatives`), in lexicographic order, of
    the exact symmetry group (the permutations keeping every vᵢ·vⱼ to 1e-9 of the
    largest: a permutation that is a symmetry only to SHAPE's tabulation accuracy,
    ~1e-7 for ETBPY-8 and TT-8, must not merge classes).
    """
    ideal = ideal_polyhedron(label)
    reps = _coset_representatives(_automorphisms(label, 1e-9), ideal.n)
    points = _reference(label)
    table = np.concatenate([points[reps], np.broadcast_to(points[-1], (len(reps), 1, 3))], axis=1)
    table.setflags(write=False)
    return table


def site_points(
    center: np.ndarray, ligands: np.ndarray, *, center_first: bool = True
) -> np.ndarray:
    """The metal and its donors as one (..., n + 1, 3) array, shapes checked and broadcast.

    The input convention of every per-site function of :mod:`coordgeo.shape`,
    :mod:`coordgeo.descriptors` and :mod:`coordgeo.distortion`: ``center`` (..., 3) is
    the metal and ``ligands`` (..., n, 3) its donors (Cartesian Å), whose leading axes
    are a batch and broadcast against each other. The centre is row 0 with
    ``center_first`` (the row order of the descriptors' Jacobians), else row n (the
    problem points of a continuous shape measure: donors, then the centre).

    Raises
    ------
    ValueError
        When ``center`` is not (..., 3) or ``ligands`` not (..., n, 3).

    >>> site_points([0, 0, 0], [[1, 0, 0], [0, 1, 0]], center_first=False).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    """
    c = np.asarray(center, dtype=float)
    lig = np.asarray(ligands, dtype=float)
    if c.ndim < 1 or c.shape[-1] != 3:
        raise ValueError(f"center must have shape (..., 3), got {c.shape}")
    if lig.ndim < 2 or lig.shape[-1] != 3:
        raise ValueError(f"ligands must have shape (..., n, 3), got {lig.shape}")
    batch = np.broadcast_shapes(c.shape[:-1], lig.shape[:-2])
    n = lig.shape[-2]
    x = np.empty((*batch, n + 1, 3))
    if center_first:
        x[..., 0, :] = c
        x[..., 1:, :] = lig
    else:
        x[..., :n, :] = lig
        x[..., n, :] = c
    return x


def _prepare(center: np.ndarray, ligands: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(..., N+1, 3) problem points (donors, then the centre), centred; and Σ|q − q₀|²."""
    q = site_points(center, ligands, center_first=False)
    q -= q.sum(axis=-2, keepdims=True) / q.shape[-2]
    return q, (q * q).sum(axis=(-1, -2))


def _best_nuclear_norms(r: np.ndarray, starts: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """max over each shape's pairings of ν (:func:`_pairing_nuclear_norms`), (..., n_shapes)."""
    return np.maximum.reduceat(_pairing_nuclear_norms(r, starts, owner), starts, axis=-1)


def _pair_products(q: np.ndarray, flat: np.ndarray) -> np.ndarray:
    """Qᵀ·flat (k, 3, 3K) of k centred problems q (k, N+1, 3): every H of every pairing
    (:func:`_stacked`), as ``q.swapaxes(-1, -2) @ flat`` gives it, as one 2-D product
    (3k × N+1)·(N+1 × 3K): numpy's stacked product of transposed operands ran ~15× slower
    for the same sums."""
    k, n1 = q.shape[0], q.shape[1]
    with one_thread():  # N + 1 ≤ 13: BLAS threads would mostly spin (coordgeo.blas)
        product = q.transpose(0, 2, 1).reshape(3 * k, n1) @ flat
    return product.reshape(k, 3, flat.shape[1])


def _sum_of_squares(m: np.ndarray) -> np.ndarray:
    """Σ_bc m_bc² of symmetric (..., 3, 3, K) matrices, as ``(m * m).sum(axis=(-3, -2))``
    gives it (the nine squares added in row order, the same roundings) without its
    (..., 3, 3, K) temporary, and each off-diagonal square computed once (m_bc = m_cb
    exactly: HᵀH from one product per entry)."""
    square = {}
    for b in range(3):
        for c in range(b, 3):
            square[b, c] = square[c, b] = m[..., b, c, :] * m[..., b, c, :]
    total = square[0, 0].copy()
    for b, c in itertools.product(range(3), range(3)):
        if b or c:
            total += square[b, c]
    return total


def _pairing_nuclear_norms(
    r: np.ndarray, starts: np.ndarray, owner: np.ndarray, slack: np.ndarray | None = None
) -> np.ndarray:
    """max over each shape's pairings of ν = σ₁ + σ₂ + σ₃ = max over O(3) of tr(R·H).

    ``r`` (..., 3, 3, K) holds the K matrices (all pairings of all shapes)
    transposed, r[..., b, a, k] = H_ab; ``starts`` says where each shape's
    pairings begin and ``owner`` (K,) the shape of each pairing; returns
    (..., n_shapes).

    A batched SVD of 3×3 matrices costs microseconds per matrix; instead ν is
    the largest root of f(ν) = (ν² − t₁)² − 8|det H|·ν − 4t₂, where
    t₁ = Σσᵢ² and t₂ = Σᵢ<ⱼ σᵢ²σⱼ² are invariants of HᵀH (the quaternion
    characteristic polynomial of D. L. Theobald, *Acta Cryst.* 2005, **A61**,
    478, here for O(3)). From Σσᵢσⱼ ≤ √(3t₂) and (Σσᵢσⱼ)² = t₂ + 2|det H|ν
    ≥ t₂ + 2|det H|√t₁ the root lies in [L, U] with
    L = √(t₁ + 2√(t₂ + 2|det H|√t₁)) and U = √(t₁ + 2√(3t₂)): pairings whose
    U is below the best L of their shape cannot win and are dropped, and
    Newton's method from U, which decreases monotonically onto the root
    (f is convex there) and is exact at once for a perfect fit, polishes
    the rest. Agrees with the SVD to ~1e-15 relative.

    Before any of that, a screen on t₁ alone: U² ≤ 3t₁ (t₂ ≤ t₁²/3), so a pairing with
    3t₁ below L² of its shape's pairing of largest t₁ cannot win either. Of the
    pairings of the seven- and eight-vertex shapes that leaves 0.2–3 % (the CN 7 and 8
    sites of the shared corpus: PBPY-7, COC-7 and CTPR-7 together have 2352 per site,
    CU-8, SAPR-8 and TDD-8 8400), and only those get the invariants, the bounds and
    Newton's steps, each with its own numbers (every step is per pairing, so a
    pairing's ν does not depend on which others are screened out).

    Returns ν of every pairing (..., K) that can be its shape's best: the others hold
    a lower bound (L, or √t₁ for those screened out), which no maximum takes. With
    ``slack`` (...,) in units of ν², pairings are kept (and polished) when
    U² ≥ (best L)² − slack: every pairing whose ν² can be within ``slack`` of its
    shape's best.
    """
    pairings = r.shape[-1]
    if pairings < _SCREEN_MIN or len(starts) == pairings:
        return _nuclear_norms(r, starts, owner, None if slack is None else slack[..., None])
    batch = r.shape[:-3]
    rows = r.reshape(-1, 3, 3, pairings)
    every = np.arange(len(rows))
    t1 = np.einsum("sbak,sbak->sk", rows, rows)  # Σ H_ab², for the screen only
    # per site and shape: L of the pairing of largest t₁, from the same formulas
    ends = [*starts[1:], pairings]
    top = np.stack(
        [t1[:, lo:hi].argmax(axis=1) + lo for lo, hi in zip(starts, ends, strict=True)], axis=1
    )  # (sites, shapes)
    picked = np.moveaxis(rows[every[:, None], :, :, top], 1, 3)  # (sites, 3, 3, shapes)
    lower = _nuclear_bounds(np.ascontiguousarray(picked))[4]  # (sites, shapes)
    # U² ≤ 3t₁ with room for rounding (the screen may keep a pairing, never drop one it
    # should keep: each comparison is loosened by 1e-12 relative)
    bound = lower * lower * (1.0 - 1e-12)
    if slack is not None:
        bound = bound - slack.reshape(-1)[:, None]
    bound /= 3.0 * (1.0 + 1e-12)
    screened = np.empty(t1.shape, dtype=bool)
    for j, (lo, hi) in enumerate(zip(starts, ends, strict=True)):
        np.less(t1[:, lo:hi], bound[:, j : j + 1], out=screened[:, lo:hi])
    screened = ~screened  # NaN: kept, as before
    site, k = np.nonzero(screened)
    h = np.ascontiguousarray(np.moveaxis(rows[site, :, :, k], 0, -1))  # (3, 3, P)
    group = site * len(starts) + owner[k]  # (site, shape) of each, in order
    first = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    nu = _nuclear_norms(
        h,
        first,
        np.repeat(np.arange(len(first)), np.diff(np.r_[first, len(group)])),
        None if slack is None else slack.reshape(-1)[site],
    )
    out = np.sqrt(t1)
    out[site, k] = nu
    return out.reshape(*batch, pairings)


# Pairings per site below which the t₁ screen of :func:`_pairing_nuclear_norms` is not tried
# (OC-6 and TPR-6 together have 75: the gathers would cost more than they save).
_SCREEN_MIN = 500


def _nuclear_bounds(r: np.ndarray) -> tuple[np.ndarray, ...]:
    """t₁, t₂, |det H|, √t₁, L and U (:func:`_pairing_nuclear_norms`) of (..., 3, 3, K)
    matrices r[..., b, a, k] = H_ab."""
    m = np.einsum("...bak,...cak->...bck", r, r)  # HᵀH
    t1 = m[..., 0, 0, :] + m[..., 1, 1, :] + m[..., 2, 2, :]
    t2 = np.maximum(0.5 * (t1 * t1 - _sum_of_squares(m)), 0.0)
    g = [[r[..., b, a, :] for b in range(3)] for a in range(3)]  # g[a][b] = H_ab
    e3 = np.abs(
        g[0][0] * (g[1][1] * g[2][2] - g[1][2] * g[2][1])
        + g[0][1] * (g[1][2] * g[2][0] - g[1][0] * g[2][2])
        + g[0][2] * (g[1][0] * g[2][1] - g[1][1] * g[2][0])
    )
    floor = np.sqrt(t1)  # ν² = t₁ + 2Σσᵢσⱼ ≥ t₁
    lower = np.sqrt(t1 + 2.0 * np.sqrt(t2 + 2.0 * e3 * floor))
    upper = np.sqrt(t1 + 2.0 * np.sqrt(3.0 * t2))
    return t1, t2, e3, floor, lower, upper


def _nuclear_norms(
    r: np.ndarray, starts: np.ndarray, owner: np.ndarray, slack: np.ndarray | None
) -> np.ndarray:
    """ν (..., K) of :func:`_pairing_nuclear_norms` without its screen; ``slack`` broadcast
    against (..., K)."""
    t1, t2, e3, floor, lower, upper = _nuclear_bounds(r)
    best_lower = np.maximum.reduceat(lower, starts, axis=-1)[..., owner]
    if slack is None:
        keep = np.nonzero(upper >= best_lower)
    else:
        keep = np.nonzero(upper * upper >= best_lower * best_lower - slack)
    t1, t2, e8, floor, nu = t1[keep], 4.0 * t2[keep], 8.0 * e3[keep], floor[keep], upper[keep]
    # each pairing stops at its first step of less than 4e-16 ν (that step taken), whatever
    # the others do: a pairing's ν is then its own, not one that depends on the slowest
    # pairing of the batch (which gave the same polyhedron a ν a bit or two different when
    # measured with other sites)
    done = np.zeros(len(nu), dtype=bool)
    for _ in range(100):
        active = np.flatnonzero(~done)
        a = nu[active]
        u = a * a - t1[active]
        slope = 4.0 * a * u - e8[active]
        # f ≥ 0 and slope > 0 right of the root; rounding aside, so guard both.
        step = np.maximum(u * u - e8[active] * a - t2[active], 0.0) / np.where(
            slope > 0, slope, np.inf
        )
        new = np.maximum(a - step, floor[active])
        nu[active] = new
        done[active] = ~(a - new > 4e-16 * a)
        if done.all():
            break
    out = lower.copy()
    out[keep] = nu
    return out


@functools.cache
def _stacked(labels: tuple[str, ...], n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairings of several shapes as one (N+1, 3K) matrix; where each shape starts; owners."""
    tables = []
    for label in labels:
        table = _pairings(label)
        if table.shape[1] != n + 1:
            raise ValueError(f"{label} has {table.shape[1] - 1} vertices, the site has {n} donors")
        tables.append(table)
    stacked = np.concatenate(tables, axis=0)  # (K, N+1, 3)
    # Columns ordered (coordinate a, pairing k) so that Qᵀ·flat holds each H_ab as a slab.
    flat = np.ascontiguousarray(stacked.transpose(1, 2, 0).reshape(n + 1, -1))
    starts = np.cumsum([0] + [len(t) for t in tables[:-1]])
    owner = np.repeat(np.arange(len(tables)), [len(t) for t in tables])
    flat.setflags(write=False)
    return flat, starts, owner


#: Most donors for which every pairing can be enumerated (``method="exhaustive"``).
EXHAUSTIVE_MAX = 8
#: With ``method="auto"`` a shape of seven or eight vertices is measured by scoring every
#: pairing (one per class of pairings related by a symmetry operation, N!/|G|) when it has
#: at most this many, which one vectorised pass does faster than the search (~1 µs per
#: pairing against ~3 ms per search); the others, and every shape of nine vertices (up to
#: 181 440 pairings), by the alternating Hungarian/Kabsch search. Up to six vertices every
#: shape is enumerated.
ENUMERATION_LIMIT = 5040
# Sites × enumerated pairings scored in one pass: bounds the memory of the (k, 3, 3, K)
# arrays (4.5 MB each; 1 000 000 made them 72 MB, ~150 MB at the peak of one pass). A
# bulk batch of 31 copies of one CIF with eight-coordinate sites peaked at 57.7 MB at
# 250 000 and 18.7 MB at 62 500, which was also faster (86 against 109-126 ms: the
# arrays stay in cache); 31 250 was slower again.
_ENUMERATION_BUDGET = 62_500
#: Starting rotations of that search, each also tried with its mirror image, −R. (Fewer
#: starts for the more symmetric shapes, whose symmetry operations make some starts
#: equivalent, missed the minimum of badly fitting shapes such as HPY-7 or OP-8 in
#: ``benchmarks/shape_search.py``.)
N_STARTS = 300
# Rounds of the alternating search; it converges in a handful, this only stops exact ties.
_MAX_ROUNDS = 50
# Problems × starts × n × n scores in one round of the search (:func:`_near_pairings_searched`
# searches that many problems at a time: ~2 MB per array of the first round, whatever the
# number of sites; 512 nine-donor sites at once took ~800 MB). 64 nine-donor sites with
# every shape of nine vertices peaked at 39.4 MB with 1 000 000 and at 10.5 MB with
# 250 000, in the same CPU time (1.85-1.98 s).
_SEARCH_BUDGET = 250_000
_METHODS = ("auto", "exhaustive", "hungarian")
# Local optima whose measure is within 100·_EXPAND of the best get all their symmetry images.
_EXPAND = 1e-3


@functools.cache
def _reference(label: str) -> np.ndarray:
    """(N+1, 3) ideal points, the vertices then the centre, centred and of unit norm."""
    ideal = ideal_polyhedron(label)
    points = np.vstack([ideal.vertices, ideal.center[None, :]])
    points = points - points.mean(axis=0)
    points /= np.linalg.norm(points)
    points.setflags(write=False)
    return points


@functools.cache
def _automorphisms(label: str, rel_tol: float) -> np.ndarray:
    """(g, N) vertex permutations keeping every vᵢ·vⱼ (vertices from the centre) to
    ``rel_tol`` of the largest: the symmetry operations, found by backtracking, so
    without listing all N! permutations."""
    v = ideal_polyhedron(label).vertices
    gram = v @ v.T
    tol = rel_tol * np.abs(gram).max()
    n = len(v)
    found: list[list[int]] = []

    def extend(image: list[int]) -> None:
        i = len(image)
        if i == n:
            found.append(image.copy())
            return
        for j in range(n):
            if j in image or abs(gram[j, j] - gram[i, i]) > tol:
                continue
            if all(abs(gram[j, image[k]] - gram[i, k]) <= tol for k in range(i)):
                image.append(j)
                extend(image)
                image.pop()

    extend([])
    group = np.array(found, dtype=np.int64)
    group.setflags(write=False)
    return group


def _symmetry_group(label: str) -> np.ndarray:
    """(g, N) vertex permutations that are symmetry operations of the ideal polyhedron.

    To 1e-3: loose, because some of SHAPE's tabulated polyhedra are symmetric
    only to ~1e-4 (TT-8, JSD-8); the search evaluates every image of its best
    pairings exactly (:func:`_local_optima`), so this only decides which
    pairings are tried together.
    """
    return _automorphisms(label, 1e-3)


@functools.cache
def _enumerates(label: str) -> bool:
    """Whether ``"auto"`` scores every pairing of ``label`` rather than searching.

    Yes up to six vertices, no from nine; for seven and eight when the shape has
    at most :data:`ENUMERATION_LIMIT` pairings, N!/|G| with G its exact symmetry
    group (the one of :func:`_pairings`).
    """
    n = ideal_polyhedron(label).n
    if n <= 6:
        return True
    if n > EXHAUSTIVE_MAX:
        return False
    return math.factorial(n) // len(_automorphisms(label, 1e-9)) <= ENUMERATION_LIMIT


def _canonical(pairings: np.ndarray, label: str) -> tuple[np.ndarray, np.ndarray]:
    """Each pairing (m, N) replaced by one representative of its symmetry class, row by row;
    and its key (m,).

    Pairings that differ by a symmetry operation σ of the ideal polyhedron
    (vertex π(i) → σ(π(i))) give the same fit; the representative is the
    lexicographically smallest σ∘π. The key of a pairing is its digits in base N,
    Σᵢ π(i)·N^(N−1−i) (exact in int64 up to N = 15): keys order as the rows do
    lexicographically, so sorting keys sorts pairings.
    """
    group = _symmetry_group(label)
    weighted = _weighted_images(label)  # [i][σ, v] = σ(v)·N^(N−1−i)
    keys = weighted[0][:, pairings[:, 0]]  # (g, m): the key of every image σ∘π
    for i in range(1, pairings.shape[-1]):
        keys += weighted[i][:, pairings[:, i]]
    pick = np.argmin(keys, axis=0)
    columns = np.arange(len(pairings))
    return group[pick[:, None], pairings], keys[pick, columns]


@functools.cache
def _weighted_images(label: str) -> tuple[np.ndarray, ...]:
    """Per donor position i, (g, N) σ(v)·N^(N−1−i) for every symmetry operation σ of
    :func:`_symmetry_group` and vertex v: the terms of the keys of :func:`_canonical`
    (integers, so summed in any order the same key)."""
    group = _symmetry_group(label)
    weights = _key_weights(group.shape[1])
    out = tuple(group * weights[i] for i in range(len(weights)))
    for table in out:
        table.setflags(write=False)
    return out


@functools.cache
def _key_weights(n: int) -> np.ndarray:
    """N^(N−1), …, N, 1: the weights of a pairing's key (:func:`_canonical`)."""
    weights = n ** np.arange(n - 1, -1, -1, dtype=np.int64)
    weights.setflags(write=False)
    return weights


def _unique_pairings(pairings: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct pairings (m, N) and their keys, in lexicographic order of the pairings
    (what ``np.unique(pairings, axis=0)`` gives, by sorting one int64 key per row)."""
    keys, first = np.unique(keys, return_index=True)
    return pairings[first], keys


@functools.cache
def _start_rotations(n: int) -> np.ndarray:
    """(2n, 3, 3) starting orientations: n on a super-Fibonacci spiral on SO(3), and mirrors.

    Unit quaternions s = i + ½, (√(s/n) sin α, √(s/n) cos α, √(1−s/n) sin β,
    √(1−s/n) cos β) with α = 2πs/√2 and β = 2πs/ψ, ψ⁴ = ψ + 4 (M. Alexa,
    "Super-Fibonacci spirals: fast, low-discrepancy sampling of SO(3)", *CVPR*
    2022, 8291): evenly spread and deterministic.
    """
    s = np.arange(n) + 0.5
    psi = 1.533751168755204288118041
    r, big = np.sqrt(s / n), np.sqrt(1.0 - s / n)
    alpha, beta = 2.0 * np.pi * s / np.sqrt(2.0), 2.0 * np.pi * s / psi
    w, x, y, z = r * np.sin(alpha), r * np.cos(alpha), big * np.sin(beta), big * np.cos(beta)
    rot = np.empty((n, 3, 3))
    rot[:, 0] = np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1)
    rot[:, 1] = np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1)
    rot[:, 2] = np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1)
    out = np.concatenate([rot, -rot])
    out.setflags(write=False)
    return out


def _assign(w: np.ndarray) -> np.ndarray:
    """Pairings π (B, N) maximising Σᵢ w[b, i, π(i)] for each of B score matrices (B, N, N).

    When every row's best column is a different column that choice is optimal
    (it reaches the bound Σᵢ maxⱼ w[i, j]); the other rows go through
    ``scipy.optimize.linear_sum_assignment``.
    """
    linear_sum_assignment = _linear_sum_assignment()
    best = w.argmax(axis=-1)
    n = w.shape[-1]
    clash = np.flatnonzero((np.sort(best, axis=-1) != np.arange(n)).any(axis=-1))
    cost = -np.ascontiguousarray(w[clash])
    for row, b in enumerate(clash):
        best[b] = linear_sum_assignment(cost[row])[1]
    return best


@functools.cache
def _linear_sum_assignment():
    """``scipy.optimize.linear_sum_assignment``, imported once (scipy loads where it is used,
    and a function-level import costs ~0.1 ms a call through scipy's lazy modules)."""
    from scipy.optimize import linear_sum_assignment

    return linear_sum_assignment


def _greedy(w: np.ndarray) -> np.ndarray:
    """Pairings (B, N) picked greedily, largest score first: a cheap first step of the search."""
    b, n = w.shape[0], w.shape[-1]
    scores = w.reshape(b, n * n).copy()
    out = np.empty((b, n), dtype=np.int64)
    rows = np.arange(b)
    square = scores.reshape(b, n, n)
    left_row = np.full(b, n * (n - 1) // 2)  # the sums of the rows and columns not picked
    left_column = left_row.copy()
    for step in range(n - 1):
        i, j = np.divmod(scores.argmax(axis=-1), n)
        out[rows, i] = j
        left_row -= i
        left_column -= j
        if step < n - 2:  # the next pick's argmax is the last that needs them ruled out
            square[rows, i, :] = -np.inf
            square[rows, :, j] = -np.inf
    out[rows, left_row] = left_column  # the last pick: the one row and column left
    return out


def _local_optima(q: np.ndarray, label: str) -> tuple[np.ndarray, np.ndarray]:
    """Distinct pairings (m, N) at which the alternating search stops, from every start; their ν.

    ``q`` (N+1, 3) is one centred problem polyhedron, donors then centre: what
    :func:`_local_optima_of` gives for it alone.
    """
    return _local_optima_of(q[None], label)[0]


def _local_optima_of(qs: np.ndarray, label: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`_local_optima` of k centred problems qs (k, N+1, 3), searched together.

    A pairing is final when the assignment under its own best rotation gives it back
    (up to a symmetry operation of the ideal polyhedron); only the others go on to the
    next round. Every round treats the pairings of all problems at once (one product,
    one greedy or assignment step, one symmetry reduction, one sort by problem and key,
    one SVD), each row with its own problem's points, so each problem gets what a
    search of it alone gives: the per-call cost of a round is paid once for the k.
    """
    reference = _reference(label)
    k, n = len(qs), qs.shape[1] - 1
    starts = _start_rotations(N_STARTS)
    base = np.int64(n) ** n  # keys are below n^n: (problem, key) as one int64
    points = qs[:, :n]
    final: list[np.ndarray] = []  # rows of every round, with their problem
    final_nu: list[np.ndarray] = []
    final_keys: list[np.ndarray] = []  # problem · base + key
    active = np.zeros((0, n), dtype=np.int64)
    active_nu = np.zeros(0)
    active_keys = np.zeros(0, dtype=np.int64)
    owner = np.zeros(0, dtype=np.int64)
    rotations = starts
    found = active
    fitted_keys: list[np.ndarray] = []  # every pairing fitted in the rounds, and its ν
    fitted_nu: list[np.ndarray] = []
    for step in range(_MAX_ROUNDS):
        # w[r, i, j] = q_i · R_r p_j: the score of donor i on vertex j in orientation r
        if step == 0:
            w = ((points[:, None] @ starts) @ reference[:n].T).reshape(-1, n, n)
            rows_of = np.repeat(np.arange(k, dtype=np.int64), len(starts))
        else:
            w = (points[owner] @ rotations) @ reference[:n].T
            rows_of = owner
        if step == 0:
            # the first step, from the evenly spread starts, only seeds the search: greedy
            # will do; many starts give the same pairing, which needs one symmetry reduction
            raw = _greedy(w)
            _, first = np.unique(rows_of * base + raw @ _key_weights(n), return_index=True)
            found, keys = _canonical(raw[first], label)
            keys = rows_of[first] * base + keys
        else:
            found, keys = _canonical(_assign(w), label)
            keys = rows_of * base + keys
        if step:
            fixed = keys == active_keys
            final.append(active[fixed])
            final_nu.append(active_nu[fixed])
            final_keys.append(active_keys[fixed])
            found, keys = found[~fixed], keys[~fixed]
        found, keys = _unique_pairings(found, keys)  # by problem, then as np.unique sorts
        if final and len(found):  # those already final would only come back to themselves
            new = ~np.isin(keys, np.concatenate(final_keys))
            found, keys = found[new], keys[new]
        if not len(found) or step == _MAX_ROUNDS - 1:
            break
        active, active_keys, owner = found, keys, keys // base
        active_nu, rotations = _fit_of(reference, qs, active, owner)
        fitted_keys.append(active_keys)
        fitted_nu.append(active_nu)
    if len(found):  # rounds exhausted (exact ties): keep where they stand
        final.append(found)
        final_nu.append(_fit_of(reference, qs, found, keys // base)[0])
        final_keys.append(keys)
    pairings, nu = np.concatenate(final), np.concatenate(final_nu)
    problem = np.concatenate(final_keys) // base
    images = [_images(qs[b], label, pairings[problem == b], nu[problem == b]) for b in range(k)]
    counts = [len(found) for found in images]
    every = np.concatenate(images)
    owners = np.repeat(np.arange(k), counts)
    # ν of every image: the rounds' own where they fitted that pairing of that problem (the
    # local optima, and most images of the near ones: the same H, the same SVD, the same
    # number), the others' SVDs (each matrix's own) all at once
    exact = _known_nu(
        owners * base + every @ _key_weights(n),
        np.concatenate(fitted_keys) if fitted_keys else np.zeros(0, dtype=np.int64),
        np.concatenate(fitted_nu) if fitted_nu else np.zeros(0),
    )
    missing = np.flatnonzero(np.isnan(exact))
    if len(missing):
        exact[missing] = _fit_of(reference, qs, every[missing], owners[missing], False)[0]
    return list(zip(images, np.split(exact, np.cumsum(counts)[:-1]), strict=True))


def _known_nu(keys: np.ndarray, known: np.ndarray, nu: np.ndarray) -> np.ndarray:
    """ν (m,) of the pairings with ``keys`` (problem · Nᴺ + key) among the ``known`` keys
    fitted before, whose ν is ``nu``; NaN for those not fitted."""
    out = np.full(len(keys), np.nan)
    if not len(known):
        return out
    order = np.argsort(known, kind="stable")
    known = known[order]
    at = np.minimum(np.searchsorted(known, keys), len(known) - 1)
    hit = known[at] == keys
    out[hit] = nu[order[at[hit]]]
    return out


def _images(q: np.ndarray, label: str, pairings: np.ndarray, nu: np.ndarray) -> np.ndarray:
    """Every symmetry image of the local optima near the best, and the others, whose ν
    :func:`_local_optima_of` then evaluates exactly: the same set whatever the orientation
    of the problem, even where the ideal shape is symmetric only to rounding."""
    n = len(q) - 1
    norm2 = float((q * q).sum())
    near = nu * nu >= nu.max() ** 2 - _EXPAND * norm2
    images = np.concatenate(
        [_symmetry_group(label)[:, pairings[near]].reshape(-1, n), pairings[~near]]
    )
    return _unique_pairings(images, images @ _key_weights(n))[0]


def _fit_of(
    reference: np.ndarray,
    qs: np.ndarray,
    pairings: np.ndarray,
    owner: np.ndarray,
    rotations: bool = True,
):
    """ν and the best orthogonal R of pairings (m, N) of several centred problems qs
    (k, N+1, 3), ``owner`` (m,) sorted: the problem of each; one SVD for all.

    H = Σᵢ p_π(i) q_iᵀ (the centre paired with the centre); ν = σ₁ + σ₂ + σ₃
    of H = U Σ Vᵀ, reached by R = V Uᵀ (det ±1), which maps the ideal points
    onto the problem's: q ≈ ν R p. Without ``rotations`` R is None (ν alone).
    """
    n = qs.shape[1] - 1
    cuts = np.flatnonzero(np.diff(owner)) + 1
    h = np.concatenate(
        [
            np.einsum("mia,ib->mab", reference[part], qs[b][:n]) + np.outer(reference[n], qs[b][n])
            for part, b in zip(np.split(pairings, cuts), owner[np.r_[0, cuts]], strict=True)
        ]
    )
    u, sv, vt = np.linalg.svd(h)
    if not rotations:
        return sv.sum(axis=-1), None
    return sv.sum(axis=-1), vt.swapaxes(-1, -2) @ u.swapaxes(-1, -2)


def _search_measures(q: np.ndarray, norm2: np.ndarray, labels: tuple[str, ...]) -> np.ndarray:
    """(..., n_shapes) measures by the alternating search, for (..., N+1, 3) centred problems."""
    batch = q.shape[:-2]
    flat_q = q.reshape(-1, *q.shape[-2:])
    flat_n = norm2.reshape(-1)
    out = np.full((len(flat_q), len(labels)), np.nan)
    for b in range(len(flat_q)):
        if not (flat_n[b] > 0 and np.isfinite(flat_n[b])):
            continue
        for k, label in enumerate(labels):
            nu = _local_optima(flat_q[b], label)[1].max()
            out[b, k] = 100.0 * (1.0 - nu * nu / flat_n[b])
    return np.clip(out, 0.0, 100.0).reshape(*batch, len(labels))


def _enumerated(labels: tuple[str, ...], method: str, n: int) -> list[bool]:
    """For each label, whether its pairing comes from enumeration (else from the search)."""
    if method not in _METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {', '.join(_METHODS)}")
    if method == "exhaustive" and n > EXHAUSTIVE_MAX:
        raise ValueError(f"exhaustive pairing search is limited to 8 donors, got {n}")
    if method == "auto":
        return [_enumerates(label) for label in labels]
    return [method == "exhaustive"] * len(labels)


def shape_measures(
    center: np.ndarray,
    ligands: np.ndarray,
    shapes: tuple[str, ...] | list[str] | None = None,
    *,
    method: str = "auto",
) -> dict[str, np.ndarray]:
    """CShM of a coordination polyhedron relative to several ideal shapes at once.

    ``center`` (..., 3) is the central atom and ``ligands`` (..., N, 3) its
    donors; ``shapes`` defaults to every shape with N vertices
    (:func:`shape_labels`). Returns {label: array of shape (...)}.

    ``method`` chooses how the donors are paired with the vertices: ``"auto"``
    (every pairing up to :data:`EXHAUSTIVE_MAX` donors, the alternating
    Hungarian/Kabsch search above), ``"exhaustive"`` (every pairing; up to
    eight donors) or ``"hungarian"`` (the search, whatever the number). For
    the exhaustive pairing one matrix product and one vectorised
    optimal-rotation step serve all shapes, so asking for several at once
    costs little more than for one.

    >>> import numpy as np
    >>> oc = ideal_polyhedron("OC-6")
    >>> {k: round(float(v), 3) for k, v in shape_measures(oc.center, oc.vertices).items()}
    {'HP-6': 33.333, 'PPY-6': 30.437, 'OC-6': 0.0, 'TPR-6': 16.737, 'JPPY-6': 34.028}
    """
    q, norm2 = _prepare(center, ligands)
    n = q.shape[-2] - 1
    labels = shape_labels(n) if shapes is None else tuple(shapes)
    if not labels:
        return {}
    for label in labels:
        if _reference(label).shape[0] != n + 1:
            raise ValueError(f"{label} has {_reference(label).shape[0] - 1} vertices, "
                             f"the site has {n} donors")  # fmt: skip
    enumerated = _enumerated(labels, method, n)
    searched = tuple(label for label, e in zip(labels, enumerated, strict=True) if not e)
    out = {}
    if searched:
        s = _search_measures(q, norm2, searched)
        out = {label: s[..., k] for k, label in enumerate(searched)}
    listed = tuple(label for label, e in zip(labels, enumerated, strict=True) if e)
    if listed:
        out.update(_enumerated_measures(q, norm2, listed))
    return {label: out[label] for label in labels}


def _enumerated_measures(
    q: np.ndarray, norm2: np.ndarray, labels: tuple[str, ...]
) -> dict[str, np.ndarray]:
    """Measures by scoring every enumerated pairing, for (..., N+1, 3) centred problems."""
    n = q.shape[-2] - 1
    flat, starts, owner = _stacked(labels, n)
    pairings = flat.shape[1] // 3
    batch = q.shape[:-2]
    q_flat, n_flat = q.reshape(-1, n + 1, 3), norm2.reshape(-1)
    best = np.empty((len(q_flat), len(labels)))
    chunk = max(1, _ENUMERATION_BUDGET // pairings)
    for lo in range(0, len(q_flat), chunk):
        part = q_flat[lo : lo + chunk]
        # H_k = P_kᵀ Q for every pairing k of every shape, all from one (3 × N+1)·(N+1 × 3K)
        # product, kept transposed as (..., b, a, k) so that every component is contiguous.
        r = _pair_products(part, flat).reshape(len(part), 3, 3, pairings)
        best[lo : lo + chunk] = _best_nuclear_norms(r, starts, owner)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = 100.0 * (1.0 - best * best / n_flat[:, None])
    s = np.where(n_flat[:, None] > 0, np.clip(s, 0.0, 100.0), np.nan).reshape(*batch, -1)
    return {label: s[..., k] for k, label in enumerate(labels)}


# A 1e-5 Å move of one coordinate changes the shape measure of any one pairing by less than
# 100·(2√3 + 2)·step/|Q′| (|Q′|: root of Σ|q − q₀|²; ν is √3-Lipschitz, |P′| = 1), so only
# pairings within twice that of the best one can be the best for a displaced copy.
_PAIRING_MARGIN = 2000.0


def _near_pairings_searched(q, norm2, margin, label):
    """The same for the alternating search, from its local optima; and the best measures (k,)."""
    reference = _reference(label)
    n = q.shape[1] - 1
    chosen, values = [], np.full(len(q), np.nan)
    good = np.flatnonzero((norm2 > 0) & np.isfinite(norm2))
    # a few problems per search: each is searched as alone, and the first round's scores
    # (problems × 2·N_STARTS × n × n) would otherwise grow with the number of sites
    chunk = max(1, _SEARCH_BUDGET // (2 * N_STARTS * n * n))
    found = [
        optimum
        for lo in range(0, len(good), chunk)
        for optimum in _local_optima_of(q[good[lo : lo + chunk]], label)
    ]
    optima = dict(zip(good, found, strict=True))
    for b in range(len(q)):
        if b not in optima:
            chosen.append(np.arange(n)[None])
            continue
        pairings, nu = optima[b]
        measure = 100.0 * (1.0 - nu * nu / norm2[b])
        values[b] = max(measure.min(), 0.0)
        chosen.append(pairings[measure <= measure.min() + margin[b]])
    width = max(len(c) for c in chosen)
    full = np.concatenate(
        [np.vstack([c, np.repeat(c[:1], width - len(c), axis=0)])[None] for c in chosen]
    )  # (k, width, n): padded with repeats, which do not change a maximum
    centre = np.full((*full.shape[:2], 1), n)
    return reference[np.concatenate([full, centre], axis=-1)], values


def shape_candidates(
    center: np.ndarray, ligands: np.ndarray, labels: tuple[str, ...], step: float
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Shape measures of k polyhedra and the pairings that can be the best within ``step`` Å.

    ``center`` (k, 3), ``ligands`` (k, n, 3). Returns ``(values, candidates)``:
    ``values[label]`` (k,) as :func:`shape_measures` gives them, ``candidates[label]``
    (k, w, N+1, 3) the ideal points (unit norm, centred; donors' vertices then the
    centre) of every pairing whose measure is within :data:`_PAIRING_MARGIN`·step/|Q′|
    of the best one (of every enumerated pairing, or of the local optima of the search),
    padded with repeats. Any polyhedron within ``step`` Å of a site is best fitted by one
    of them: :func:`shape_measures_with_copies` measures displaced copies with these, and
    :mod:`coordgeo.polyhedra` takes the closed-form gradient of each.
    """
    q, norm2 = _prepare(center, ligands)
    n = ligands.shape[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        margin = _PAIRING_MARGIN * step / np.sqrt(norm2) + 1e-9
    enumerated = _enumerated(labels, "auto", n)
    listed = tuple(label for label, e in zip(labels, enumerated, strict=True) if e)
    values, candidates = _enumerated_candidates(q, norm2, margin, listed) if listed else ({}, {})
    for label, enumerates in zip(labels, enumerated, strict=True):
        if not enumerates:
            candidates[label], values[label] = _near_pairings_searched(q, norm2, margin, label)
    return {label: values[label] for label in labels}, candidates


def _enumerated_candidates(
    q: np.ndarray, norm2: np.ndarray, margin: np.ndarray, labels: tuple[str, ...]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Measures (k,) and near pairings (k, w, N+1, 3) of enumerated shapes, in one pass.

    Every pairing of every shape is scored once (:func:`_pairing_nuclear_norms`, polishing
    only those that can be within ``margin`` of their shape's best); the measure is the
    best one's, as :func:`_enumerated_measures` gives it, and the near pairings are every
    pairing whose measure is within ``margin`` of it (all of them for a degenerate site),
    padded with repeats of the first.
    """
    k, n = len(q), q.shape[1] - 1
    flat, starts, owner = _stacked(labels, n)
    pairings = flat.shape[1] // 3
    with np.errstate(invalid="ignore", over="ignore"):
        slack = margin * norm2 / 100.0  # measure ≤ best + margin ⟺ ν² ≥ ν_best² − slack
    slack = np.where(np.isfinite(slack), slack, np.inf)  # degenerate: keep all
    ends = [*starts[1:], pairings]
    values = {label: np.empty(k) for label in labels}
    picks: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {label: [] for label in labels}
    # every (sites, pairings) array of a pass, the measures too, holds at most
    # _ENUMERATION_BUDGET numbers: a batch's peak does not grow with its sites (31 copies
    # of a CIF with eight-coordinate sites took 57.7 MB when only the scores were chunked);
    # each site's numbers are its own, so the passes do not change them
    chunk = max(1, _ENUMERATION_BUDGET // pairings)
    for lo in range(0, k, chunk):
        part = slice(lo, lo + chunk)
        r = _pair_products(q[part], flat).reshape(len(q[part]), 3, 3, pairings)
        nu = _pairing_nuclear_norms(r, starts, owner, slack[part])
        with np.errstate(invalid="ignore", divide="ignore"):
            measure = 100.0 * (1.0 - nu * nu / norm2[part, None])  # (chunk, K)
        for j, label in enumerate(labels):
            m = measure[:, starts[j] : ends[j]]
            best = m.min(axis=1)
            values[label][part] = np.where(norm2[part] > 0, np.clip(best, 0.0, 100.0), np.nan)
            near = m <= (best + margin[part])[:, None]
            near[~(np.isfinite(best) & np.isfinite(margin[part]))] = True  # degenerate: all
            count = near.sum(axis=1)  # ≥ 1: the best one, or all of them
            site, column = np.nonzero(near)  # each site's near ones in order
            picked = np.empty((len(count), int(count.max())), dtype=np.intp)
            picked[site, np.arange(len(site)) - np.repeat(np.cumsum(count) - count, count)] = column
            picks[label].append((picked, count))
    candidates = {}
    for label in labels:
        width = max((p.shape[1] for p, _ in picks[label]), default=1)
        # pad with a repeat of the site's first pairing: repeats do not change a maximum
        picked = np.concatenate(
            [
                np.where(np.arange(width)[None] < count[:, None], _widen(p, width), p[:, :1])
                for p, count in picks[label]
            ]
            or [np.zeros((0, width), dtype=np.intp)]
        )
        candidates[label] = _pairings(label)[picked]
    return values, candidates


def _widen(picked: np.ndarray, width: int) -> np.ndarray:
    """``picked`` (k, w) with its first column repeated up to ``width`` columns."""
    extra = width - picked.shape[1]
    if not extra:
        return picked
    return np.concatenate([picked, np.repeat(picked[:, :1], extra, axis=1)], axis=1)


def shape_measures_with_copies(
    center: np.ndarray,
    ligands: np.ndarray,
    displaced: np.ndarray,
    labels: tuple[str, ...],
    step: float,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Shape measures of k polyhedra and of their displaced copies (for finite differences).

    ``center`` (k, 3) and ``ligands`` (k, n, 3) are the polyhedra, ``displaced``
    (k, c, n+1, 3) c copies of each (centre first) with one coordinate moved by
    ``step`` Å. The polyhedra get :func:`shape_measures`. A copy displaced by
    ``step`` can only be best fitted by a pairing whose measure on the
    undisplaced polyhedron is within :data:`_PAIRING_MARGIN`·step/|Q′| of the
    best one; the copies are measured with those pairings only (usually one
    per shape: of every enumerated pairing up to eight donors, of the local
    optima of the search above), which is the same minimum: the
    finite-difference su's do not change (to rounding).
    """
    dq, dnorm2 = _prepare(displaced[..., 0, :], displaced[..., 1:, :])
    values, candidates = shape_candidates(center, ligands, labels, step)
    chosen = [candidates[label] for label in labels]
    counts = [c.shape[1] for c in chosen]
    references = np.concatenate(chosen, axis=1)
    starts = np.cumsum([0, *counts[:-1]])
    owner = np.repeat(np.arange(len(labels)), counts)
    # H = Pᵀ Q for each copy and chosen pairing, laid out (…, b, a, pairing) as shape does
    r = np.einsum("kcpa,kdpb->kdbac", references, dq)
    best_nu = _best_nuclear_norms(r, starts, owner)
    with np.errstate(invalid="ignore", divide="ignore"):
        moved = 100.0 * (1.0 - best_nu * best_nu / dnorm2[..., None])
    moved = np.where(dnorm2[..., None] > 0, np.clip(moved, 0.0, 100.0), np.nan)
    return values, {label: moved[..., j] for j, label in enumerate(labels)}


def _best_fits(q: np.ndarray, norm2: np.ndarray, label: str):
    """Best fit of k centred problems q (k, N+1, 3): ν (k,), paired ideal points (k, N+1, 3), R.

    Up to :data:`EXHAUSTIVE_MAX` donors every enumerated pairing is scored at
    once and the best one kept; above, each problem gets the alternating
    search. NaN rows for degenerate problems.
    """
    k, n1 = q.shape[:2]
    reference = _reference(label)
    if reference.shape[0] != n1:
        raise ValueError(f"{label} has {reference.shape[0] - 1} vertices, "
                         f"the site has {n1 - 1} donors")  # fmt: skip
    ok = (norm2 > 0) & np.isfinite(norm2)
    paired = np.full((k, n1, 3), np.nan)
    if _enumerates(label):
        table = _pairings(label)
        flat, _, _ = _stacked((label,), n1 - 1)
        every = np.arange(len(table))
        r = _pair_products(q, flat).reshape(k, 3, 3, len(table))
        with np.errstate(invalid="ignore"):
            best = np.argmax(np.nan_to_num(_best_nuclear_norms(r, every, every), nan=-1.0), axis=1)
        paired[ok] = table[best[ok]]
    else:
        for b in np.flatnonzero(ok):
            pairings, nu = _local_optima(q[b], label)
            paired[b] = reference[np.append(pairings[int(np.argmax(nu))], n1 - 1)]
    h = paired.swapaxes(-1, -2) @ q  # Σ p qᵀ over the paired points
    u, sv, vt = np.linalg.svd(np.nan_to_num(h))
    nu = np.where(ok, sv.sum(axis=-1), np.nan)
    return nu, paired, vt.swapaxes(-1, -2) @ u.swapaxes(-1, -2)


def shape_measures_with_gradients(
    center: np.ndarray,
    ligands: np.ndarray,
    shapes: tuple[str, ...] | list[str] | None = None,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{label: (S, ∂S/∂x)} for several shapes, each from one pairing search.

    The same values as :func:`shape_measures` with the gradients of
    :func:`cshm_gradient`: shapes (...) and (..., N+1, 3), rows centre first.
    Use this rather than both functions: above eight donors each costs a
    search per site and shape.
    """
    q, norm2 = _prepare(center, ligands)
    batch, n1 = q.shape[:-2], q.shape[-2]
    labels = shape_labels(n1 - 1) if shapes is None else tuple(shapes)
    flat_q, flat_n = q.reshape(-1, n1, 3), norm2.reshape(-1)
    out = {}
    for label in labels:
        nu, paired, rot = _best_fits(flat_q, flat_n, label)
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.clip(100.0 * (1.0 - nu * nu / flat_n), 0.0, 100.0)
            scale = (200.0 * nu / flat_n)[:, None, None]
            g = scale * (nu[:, None, None] * flat_q / flat_n[:, None, None]
                         - paired @ rot.swapaxes(-1, -2))  # fmt: skip
        grad = np.concatenate([g[:, -1:], g[:, :-1]], axis=1)  # centre first
        out[label] = (values.reshape(batch), grad.reshape(*batch, n1, 3))
    return out


def cshm_gradient(
    center: np.ndarray, ligands: np.ndarray, shape: str
) -> tuple[np.ndarray, np.ndarray]:
    """S_shape and its gradient ∂S/∂x with respect to the coordinates, in closed form.

    Returns (S of shape (...), gradient of shape (..., N+1, 3)), the gradient's
    rows being the central atom first, then the donors (the order of the
    finite-difference copies of :func:`coordgeo.geometry.displaced_copies`
    on [centre, donors]); units 1/Å. Vectorised over the batch up to six
    donors; :func:`shape_measures_with_gradients` does several shapes.

    With Q′ the centred problem points (donors and centre), N² = |Q′|², and
    at the optimum pairing π, orthogonal R and scale ν (|P′| = 1),
    S = 100 (1 − ν²/N²) with ν = Σᵢ q′ᵢ·R p′_π(i). By the envelope theorem
    (π, R and the scale are optimal, so their variations do not change S to
    first order) ∂ν/∂qₖ = R p′_π(k) (the centring drops out because Σ p′ = 0)
    and ∂N²/∂qₖ = 2 q′ₖ, hence

        ∂S/∂qₖ = (200 ν / N²) · (ν q′ₖ / N² − R p′_π(k)),

    which vanishes for a perfect fit. Where two non-equivalent pairings tie
    for the minimum, S has a kink and this is the gradient of one of them.
    NaN for a degenerate polyhedron (all points coincident).
    """
    return shape_measures_with_gradients(center, ligands, (shape,))[shape]


def cshm(center: np.ndarray, ligands: np.ndarray, shape: str) -> np.ndarray:
    """Continuous shape measure S_shape of a polyhedron with its central atom, shape (...).

    S = min 100 Σᵢ|qᵢ − pᵢ|² / Σᵢ|qᵢ − q₀|² over the N donors and the
    central atom (paired with the centre of the ideal polyhedron), minimised
    over rotation, translation, scale and donor pairings (Zabrodsky, Peleg,
    Avnir, *J. Am. Chem. Soc.* 1992, **114**, 7843; Pinsky, Avnir, *Inorg.
    Chem.* 1998, **37**, 5575; SHAPE 2.1 and cosymlib with the central atom).

    >>> import numpy as np
    >>> oc = ideal_polyhedron("OC-6")
    >>> round(float(cshm(oc.center + 5.0, 2.0 * oc.vertices + 5.0, "OC-6")), 9)
    0.0
    """
    return shape_measures(center, ligands, (shape,))[shape]


@functools.cache
def _path_angle(shape_a: str, shape_b: str) -> float:
    """θ_AB = arcsin(√S_B(A)/10): the ideal A measured against B (radians)."""
    ideal = ideal_polyhedron(shape_a)
    return float(np.arcsin(np.sqrt(cshm(ideal.center, ideal.vertices, shape_b)) / 10.0))


def path_deviation(
    center: np.ndarray, ligands: np.ndarray, shape_a: str = "OC-6", shape_b: str = "TPR-6"
) -> np.ndarray:
    """Deviation from the minimal distortion path between shapes A and B, in percent.

    Δ = 100 · ([arcsin(√S_A/10) + arcsin(√S_B/10)] / θ_AB − 1), with
    θ_AB = arcsin(√S_B(A)/10) the measure of ideal A relative to B
    (Cirera, Ruiz, Alvarez, *Organometallics* 2005, **24**, 1556; reported
    in percent by SHAPE and cosymlib). 0 on the path; the default pair is
    the Bailar (octahedron ↔ trigonal prism) path.

    >>> prism = ideal_polyhedron("TPR-6")
    >>> round(float(path_deviation(prism.center, prism.vertices)), 4)
    0.0
    """
    measures = shape_measures(center, ligands, (shape_a, shape_b))
    total = np.arcsin(np.sqrt(measures[shape_a]) / 10.0) + np.arcsin(
        np.sqrt(measures[shape_b]) / 10.0
    )
    return 100.0 * (total / _path_angle(shape_a, shape_b) - 1.0)


def generalized_coordinate(
    center: np.ndarray, ligands: np.ndarray, shape_a: str = "OC-6", shape_b: str = "TPR-6"
) -> np.ndarray:
    """Generalised coordinate along the A → B minimal distortion path, in percent.

    φ = 100 · arcsin(√S_A/10) / θ_AB: 0 at the ideal A, 100 at the ideal B
    (Cirera, Ruiz, Alvarez, *Organometallics* 2005, **24**, 1556; cosymlib's
    ``generalized_coordinate``, which rounds it to 0.1). Meaningful when the
    path deviation is small.
    """
    s_a = cshm(center, ligands, shape_a)
    return 100.0 * np.arcsin(np.sqrt(s_a) / 10.0) / _path_angle(shape_a, shape_b)
