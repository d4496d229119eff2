"""Interactive 3D views: the data a page's viewer draws (atoms, bonds, colours), as JSON.

The report draws its 3D views with 3Dmol.js (BSD-3-Clause; Rego & Koes,
*Bioinformatics* 2015, **31**, 1322), shipped with coordgeo and copied into every site
(:data:`VENDOR_FILES`), never fetched from the network. ``templates/viewer.js`` turns each
``<figure data-viewer="…">`` into a view that can be rotated (drag), zoomed (wheel) and
moved (right drag or ctrl-drag), with a button that shows or hides the atom labels and
one that resets the view; without WebGL or JavaScript the figure keeps its static SVG.

A view is a :class:`View`: atoms (label, element, CPK colour, radius, Cartesian Å) and
bonds (two atom indices, a colour or None for half-bonds in the colours of their atoms,
and a text shown when the bond is hovered or clicked). :func:`encode` writes it as
base64 of UTF-8 JSON, which goes into the ``data-viewer`` attribute: base64 has no
character that HTML or Markdown reads, so labels from a CIF stay data (the viewer draws
them as text on its canvas) and never become markup or script.

Views:

* :func:`sphere_view`: one coordination sphere (:attr:`StructureTables.sphere_atoms`,
  metal first), atoms lettered as in the page's table;
* :func:`complex_views`: each metal-containing molecule of the structure graph
  (:attr:`coordgeo.pipeline.Analysis.graph`, :func:`coordgeo.graph.molecules`);
* across a series, :func:`series_sphere_view` and :func:`series_complex_views`: the
  lowest-temperature structure with each bond coloured by its change in length
  Δd = d(last) − d(first) (:func:`change_colour`: blue shorter, grey unchanged, red
  longer, on a scale of ±max|Δd| of the view, at least :data:`MIN_SCALE`).
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from coordgeo.report.figures import element_colour

#: The vendored viewer and its licence, in ``coordgeo/report/templates/vendor/``, and the
#: viewer code of the report, in ``templates/``; copied to ``assets/javascripts/``.
VENDOR_FILES = ("3Dmol-min.js", "3Dmol-min.js.LICENSE.txt")
VIEWER_SCRIPT = "viewer.js"
#: 3Dmol.js version shipped (npm package ``3dmol``).
VIEWER_VERSION = "2.5.5"
#: Largest molecule drawn as a 3D view of the complex (atoms); larger ones keep the table.
MAX_COMPLEX_ATOMS = 600
#: Smallest half-width of the bond-change colour scale (Å), so that noise in a series
#: that barely changes is not painted deep red and blue.
MIN_SCALE = 0.02
#: Colours of the change scale: shorter, unchanged, longer.
SHORTER, UNCHANGED, LONGER = (0x21, 0x66, 0xAC), (0xB0, 0xB0, 0xB0), (0xC0, 0x39, 0x2B)


@dataclass
class View:
    """One 3D view: ``atoms`` are dicts ``l`` (label), ``e`` (element), ``c`` (colour),
    ``r`` (ball radius, Å), ``x, y, z`` (Å), ``q`` (1: no label, the H atoms of a
    complex); ``bonds`` lists ``[i, j, colour or None,
    text]``; ``labels``: show the labels at first; ``scale``: the half-width (Å) of the
    change colour scale, 0 for element colours."""

    atoms: list[dict] = field(default_factory=list)
    bonds: list[list] = field(default_factory=list)
    labels: bool = True
    scale: float = 0.0

    def payload(self) -> dict:
        return {"atoms": self.atoms, "bonds": self.bonds, "labels": self.labels}


def encode(view: View) -> str:
    """The view as base64 of UTF-8 JSON (the ``data-viewer`` attribute)."""
    text = json.dumps(view.payload(), ensure_ascii=False, separators=(",", ":"))
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def decode(text: str) -> dict:
    """:func:`encode` backwards (for tests and tools)."""
    return json.loads(base64.b64decode(text).decode("utf-8"))


def ball_radius(element: str, metal: bool = False) -> float:
    """Ball radius (Å) of a ball-and-stick view: 0.3 × the covalent radius (gemmi), the
    metal a little larger, H small."""
    import gemmi

    try:
        r = float(gemmi.Element(element).covalent_r) or 0.7
    except (RuntimeError, ValueError):
        r = 0.7
    return round((0.42 if metal else 0.3) * r + (0.0 if element in ("H", "D") else 0.08), 3)


def _atom(label: str, element: str, xyz, metal: bool = False) -> dict:
    x, y, z = (round(float(v), 4) for v in xyz)
    return {
        "l": str(label),
        "e": str(element),
        "c": element_colour(str(element)),
        "r": ball_radius(str(element), metal),
        "x": x,
        "y": y,
        "z": z,
    }


def change_colour(delta: float, scale: float) -> str:
    """Hex colour of a change Δ on the scale ±``scale``: :data:`SHORTER` (Δ ≤ −scale)
    through :data:`UNCHANGED` (0) to :data:`LONGER` (Δ ≥ +scale), linear in each half."""
    if not math.isfinite(delta) or not scale > 0:
        return _hex(UNCHANGED)
    f = max(-1.0, min(1.0, delta / scale))
    end = LONGER if f > 0 else SHORTER
    rgb = [round(u + abs(f) * (e - u)) for u, e in zip(UNCHANGED, end, strict=True)]
    return _hex(rgb)


def _hex(rgb) -> str:
    return "#" + "".join(f"{int(v):02x}" for v in rgb)


def _scale(deltas: Sequence[float]) -> float:
    finite = [abs(d) for d in deltas if math.isfinite(d)]
    return max([MIN_SCALE, *finite])


def _delta_text(delta: float, su: float) -> str:
    from coordgeo.esd import format_su

    if not math.isfinite(delta):
        return "not in the last structure"
    text = format_su(delta, su if math.isfinite(su) and su > 0 else None, 3)
    return ("+" if delta > 0 else "") + text + " Å"


# --- coordination spheres -----------------------------------------------------------------


def sphere_view(atoms: pd.DataFrame, labels: Sequence[str], lengths: Sequence[str] = ()) -> View:
    """One coordination sphere: rows of one ``sphere`` of ``sphere_atoms`` (metal first),
    ``labels`` their lettered labels (:func:`coordgeo.report.figures.lettered_labels`),
    ``lengths`` the printed M–L distances of the donors (``1.949(14)``) for the bonds'
    texts. Bonds are half-bonds in the colours of their atoms."""
    from coordgeo.report.figures import screen_axes

    xyz = atoms[["x", "y", "z"]].to_numpy(dtype=float)
    xyz = xyz - xyz[0]
    xyz = xyz @ screen_axes(xyz).T  # opens as the static picture looks
    view = View()
    for k, (label, element, p) in enumerate(zip(labels, atoms["element"], xyz, strict=True)):
        view.atoms.append(_atom(label, element, p, metal=k == 0))
    for k in range(1, len(xyz)):
        text = f"{labels[0]}–{labels[k]}"
        if k - 1 < len(lengths) and lengths[k - 1]:
            text += f" {lengths[k - 1]} Å"
        view.bonds.append([0, k, None, text])
    return view


def series_sphere_view(
    atoms: pd.DataFrame,
    labels: Sequence[str],
    changes: Sequence[tuple[float, float]],
    first: str,
    last: str,
) -> View:
    """A coordination sphere of the first structure of a series with each M–L bond coloured
    by its change Δd = d(``last``) − d(``first``) (``changes``: (Δ, su) per donor, NaN when
    the bond is not in the last structure)."""
    view = sphere_view(atoms, labels)
    view.scale = _scale([d for d, _ in changes])
    for bond, (delta, su) in zip(view.bonds, changes, strict=True):
        bond[2] = change_colour(delta, view.scale)
        bond[3] += f": Δd ({last} − {first}) = {_delta_text(delta, su)}"
    return view


# --- the complex --------------------------------------------------------------------------


def principal_axes(xyz: np.ndarray) -> np.ndarray:
    """Rows: the directions of largest, middle and smallest spread of the points (about
    their centroid), right-handed; a molecule turned onto them is seen along its
    thinnest direction, its longest one across the screen."""
    centred = np.asarray(xyz, dtype=float) - np.mean(xyz, axis=0)
    if len(centred) < 3:
        return np.eye(3)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    if vt.shape[0] < 3:
        return np.eye(3)
    axes = vt.copy()
    # a deterministic sign: the atom furthest along each axis is on its + side
    for k in range(2):
        along = centred @ axes[k]
        if along[np.argmax(np.abs(along))] < 0:
            axes[k] = -axes[k]
    axes[2] = np.cross(axes[0], axes[1])
    return axes


def metal_molecules(graph) -> list[list[str]]:
    """Node keys of each molecule of the structure graph that holds a metal, in the order of
    :func:`coordgeo.graph.molecules`."""
    from coordgeo.graph import molecules

    frame = molecules(graph)
    return [list(r.nodes) for r in frame.itertuples() if r.metals]


def _bonded(graph, nodes: Sequence[str]) -> list[tuple[str, str, dict]]:
    keep = set(nodes)
    return [
        (a, b, d)
        for a, b, d in graph.edges(data=True)
        if a in keep and b in keep and d.get("kind") != "hbond"
    ]


def _node_label(graph, key: str) -> str:
    data = graph.nodes[key]
    return str(data["label"]) + ("" if data.get("symmetry_code", ".") in ("", ".") else "′")


def complex_views(graph, max_atoms: int = MAX_COMPLEX_ATOMS) -> tuple[list[View], list[str]]:
    """A view of each metal-containing molecule of the structure graph (Cartesian, centred
    on its first metal; atoms of symmetry images primed, N1′), bonds as half-bonds.
    Returns (views, notes): a molecule larger than ``max_atoms`` is left out with a note;
    a polymer is drawn as its repeat unit (the bonds to the next unit are left out)."""
    from coordgeo.elements import is_metal

    views, notes = [], []
    for nodes in metal_molecules(graph):
        if len(nodes) > max_atoms:
            notes.append(
                f"a molecule of {len(nodes)} atoms is not drawn in 3D (more than {max_atoms})"
            )
            continue
        index = {key: k for k, key in enumerate(nodes)}
        data = [graph.nodes[key] for key in nodes]
        xyz = np.array([[d["x"], d["y"], d["z"]] for d in data], dtype=float)
        metal = next(k for k, d in enumerate(data) if is_metal(d["element"]))
        xyz = xyz - xyz[metal]
        xyz = xyz @ principal_axes(xyz).T
        view = View(labels=len(nodes) <= 120)
        for key, d, p in zip(nodes, data, xyz, strict=True):
            metal_atom = is_metal(d["element"])
            atom = _atom(_node_label(graph, key), d["element"], p, metal_atom)
            if d["element"] in ("H", "D"):
                atom["q"] = 1  # no label: the H atoms would hide the rest
            view.atoms.append(atom)
        for a, b, d in _bonded(graph, nodes):
            if d.get("translation"):
                continue  # to the next repeat unit of a polymer
            text = f"{view.atoms[index[a]]['l']}–{view.atoms[index[b]]['l']} {d['length']:.3f} Å"
            view.bonds.append([index[a], index[b], None, text])
        views.append(view)
    return views, notes


def _edge_lengths(graph, site_map: dict[int, int]) -> dict[frozenset, tuple[float, float]]:
    """Reference-site pair → (mean length, su) of the bonded edges of a graph."""
    found: dict[frozenset, list[tuple[float, float]]] = {}
    for a, b, d in graph.edges(data=True):
        if d.get("kind") == "hbond" or d.get("translation"):
            continue
        sa, sb = site_map.get(graph.nodes[a]["site"]), site_map.get(graph.nodes[b]["site"])
        if sa is None or sb is None:
            continue
        found.setdefault(frozenset((sa, sb)), []).append(
            (float(d["length"]), float(d.get("length_su", math.nan)))
        )
    return {
        key: (float(np.mean([v for v, _ in items])), float(np.nanmax([s for _, s in items])))
        if any(math.isfinite(s) for _, s in items)
        else (float(np.mean([v for v, _ in items])), math.nan)
        for key, items in found.items()
    }


def series_complex_views(
    analyses: Sequence, site_maps: Sequence[dict[int, int]], first: str, last: str
) -> tuple[list[View], list[str]]:
    """The complex(es) of the first structure of a series, each bond coloured by its change
    in length from the first to the last structure (atoms paired by ``site_maps`` of
    :func:`coordgeo.series.pair_series`, which map each structure's sites to the first's).
    Bonds without a partner in the last structure are grey with a note in their text."""
    views, notes = complex_views(analyses[0].graph)
    if not views:
        return views, notes
    ref_graph = analyses[0].graph
    before = _edge_lengths(ref_graph, site_maps[0])
    after = _edge_lengths(analyses[-1].graph, site_maps[-1])
    for view, nodes in zip(views, [n for n in metal_molecules(ref_graph)
                                   if len(n) <= MAX_COMPLEX_ATOMS], strict=True):  # fmt: skip
        changes = []
        for bond in view.bonds:
            a, b = nodes[bond[0]], nodes[bond[1]]
            key = frozenset((ref_graph.nodes[a]["site"], ref_graph.nodes[b]["site"]))
            if key in before and key in after:
                d1, s1 = before[key]
                d2, s2 = after[key]
                changes.append((d2 - d1, math.hypot(s1, s2)))
            else:
                changes.append((math.nan, math.nan))
        view.scale = _scale([d for d, _ in changes])
        for bond, (delta, su) in zip(view.bonds, changes, strict=True):
            bond[2] = change_colour(delta, view.scale)
            bond[3] += f": Δd ({last} − {first}) = {_delta_text(delta, su)}"
    return views, notes


__all__ = [
    "MAX_COMPLEX_ATOMS",
    "VENDOR_FILES",
    "VIEWER_SCRIPT",
    "VIEWER_VERSION",
    "View",
    "change_colour",
    "complex_views",
    "decode",
    "encode",
    "series_complex_views",
    "series_sphere_view",
    "sphere_view",
]
