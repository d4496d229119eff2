"""The structure graph of a crystal structure: atoms as nodes, typed bonds as edges (networkx).

Nodes
-----
One node per atom of the crystal that the analysis needs: every site of the asymmetric
unit, grown into whole molecules. Starting from each site not yet placed (metals first,
then CIF order), bonds are followed into symmetry images until the molecule closes, so
a complex on an inversion centre, half of which is in the asymmetric unit, becomes one
whole complex. Each site is placed once: a molecule is represented by one copy.

An atom is a site plus a symmetry code, identified by its position: site i at fractional
coordinates x. Following a bond into an image that is a lattice translation of an atom
already in the molecule (same site, x − x' a non-zero integer vector) means the
"molecule" repeats itself: it is a coordination polymer or network. Growth stops there;
the bond becomes an edge to the atom already present with ``translation`` set (the
labelled quotient graph of topology programs), and the molecule is ``polymeric`` with
the dimensionality (1, 2, 3) of its translations. Growth is therefore always finite.

Hydrogen bonds (:func:`coordgeo.hbonds.hbonds`) add ``hbond`` edges from H to the
acceptor. When the acceptor is an image of an atom that is not already a node (another
molecule of the crystal), it is added as a node with ``role = 'hbond_partner'`` and
``image_of`` naming its copy in the graph; such nodes belong to no molecule.

Node keys are strings: the label for an atom of the asymmetric unit, ``label_n_klm``
for an image (CIF code, as in every coordgeo table; ``label#i`` when a CIF repeats a
label). Attributes: ``label, element, site, symmetry_code, x, y, z`` (Cartesian, Å),
``fx, fy, fz`` (fractional), ``occupancy, disorder_group, molecule, role, image_of``.

Edges
-----
``kind`` = ``coordination`` (a bond to a metal), ``covalent`` (other bonds; criterion
of :mod:`coordgeo.coordination`) or ``hbond``; ``length`` and ``length_su`` (Å, su
propagated as everywhere in coordgeo; for an hbond, H···A, su empty for riding H), and
for H-bonds ``d_da, d_da_su, angle_dha``; ``translation`` ("1 0 0", "" for an ordinary
edge; several separated by ";" when two atoms of the repeat unit are bonded to more than
one translate of each other) and ``multiplicity`` (the number of such bonds). Only
scalar attributes, so the graph writes to GraphML and JSON as it is.

Molecules (:func:`molecules`) are the connected components without H-bond edges and
without partner nodes; a metal's first and second coordination spheres are its
neighbourhoods along bonds (:func:`coordination_shells`).
"""

from __future__ import annotations

import json
from collections import Counter, deque
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from coordgeo.coordination import DEFAULT_TOLERANCE, bond_contacts, is_metal
from coordgeo.errors import InputError
from coordgeo.geometry import measure
from coordgeo.model import Structure
from coordgeo.symmetry import SymmetryCode, affine, find_operator, format_code

GRAPH_SUFFIXES = (".graphml", ".json")
_DECIMALS = 4  # fractional coordinates equal to 1e-4 are one atom
#: Where a coordinate passes from one 1e-4 bin to the next: at 0.618034 of a bin, not at its
#: half. CIF coordinates have at most 5–6 decimals, so x·10⁴ ends in .00, .01, … .99 and
#: many sit exactly on .5 (0.06375 → 637.5), where rounding is decided by float noise:
#: 0.06375·10⁴ is 637.5 (→ 638) but (1.06375 − 1)·10⁴ is 637.4999… (→ 637). An atom and
#: its lattice translate then got different keys, and CSD ORIWET (Mn-MOF-74) grew an 19th O
#: (its image O37_1_655 beside O37), so ORIWET and COKNUN were "not one compound".
_BIN_OFFSET = 0.381966


def _grid(fract: np.ndarray) -> np.ndarray:
    """Fractional coordinates as integers in units of 10⁻⁴ (bins of :data:`_BIN_OFFSET`)."""
    return np.floor(np.asarray(fract) * 10**_DECIMALS + _BIN_OFFSET).astype(np.int64)


def _position_key(site: int, fract: np.ndarray) -> tuple[int, tuple[int, int, int]]:
    scaled = _grid(fract)
    return site, (int(scaled[0]), int(scaled[1]), int(scaled[2]))


def _cell_key(site: int, fract: np.ndarray) -> tuple[int, tuple[int, int, int]]:
    """The position key of the atom moved into the unit cell: the grid taken modulo one
    cell, so that an atom and its lattice translates share it."""
    wrapped = np.mod(_grid(fract), 10**_DECIMALS)
    return site, (int(wrapped[0]), int(wrapped[1]), int(wrapped[2]))


def _code_of(structure: Structure, m: np.ndarray) -> SymmetryCode | None:
    """The code of a product of operators; None when the CIF's list is not a group.

    Translations printed as 0.6667 compose to 1.3334: operators are matched to 0.002
    when the exact test of :func:`~coordgeo.symmetry.find_operator` fails.
    """
    rotation = np.rint(m[:3, :3]).astype(int)
    found = find_operator(rotation, m[:3, 3], structure)
    if found is not None:
        return SymmetryCode(*found)
    same = np.all(structure.rotations == rotation[None], axis=(1, 2))
    for k in np.flatnonzero(same):
        diff = m[:3, 3] - structure.translations[k]
        shift = np.round(diff)
        if np.allclose(diff, shift, atol=2e-3):
            return SymmetryCode(int(k), tuple(int(t) for t in shift))  # type: ignore[arg-type]
    return None


def _code_map(structure: Structure, code: SymmetryCode) -> np.ndarray:
    return affine(
        structure.rotations[code.op].astype(float),
        structure.translations[code.op] + np.asarray(code.shift, dtype=float),
    )


class _Builder:
    """Grows molecules from the asymmetric unit (see the module docstring)."""

    def __init__(self, structure: Structure, tolerance: float) -> None:
        self.s = structure
        found = bond_contacts(structure, tolerance)
        regular = np.abs(np.linalg.det(structure.rotations)) > 0.5
        found = found.take(regular[found.op])
        maps = affine(
            structure.rotations[found.op].astype(float),
            structure.translations[found.op] + found.shift,
        )
        self.bonds: list[list[tuple[int, np.ndarray]]] = [[] for _ in range(len(structure))]
        for i, j, m in zip(found.center.tolist(), found.site.tolist(), maps, strict=True):
            self.bonds[i].append((j, m))
        self.metal = np.array([is_metal(e) for e in structure.elements], dtype=bool)
        counts = Counter(structure.labels)
        self.names = [
            lab if counts[lab] == 1 else f"{lab}#{i}" for i, lab in enumerate(structure.labels)
        ]
        self.atoms: dict[tuple, dict] = {}  # position key → node data
        self.by_cell: dict[tuple, tuple] = {}  # (site, cell key) → position key
        self.edges: dict[frozenset, dict] = {}
        self.placed = np.zeros(len(structure), dtype=bool)
        self.skipped = 0  # bonds into images the CIF's operator list cannot express
        self._codes: dict[tuple, SymmetryCode | None] = {}

    def code(self, m: np.ndarray) -> SymmetryCode | None:
        """:func:`_code_of`, cached: big networks revisit the same few operators."""
        key = (np.rint(m[:3, :3]).astype(np.int8).tobytes(), tuple(np.round(m[:3, 3], 3)))
        if key not in self._codes:
            self._codes[key] = _code_of(self.s, m)
        return self._codes[key]

    def node(self, site: int, code: SymmetryCode, molecule: int, role: str = "molecule") -> tuple:
        m = _code_map(self.s, code)  # the exact operator: no drift along long paths
        fract = m[:3, :3] @ self.s.fract[site] + m[:3, 3]
        key = _position_key(site, fract)
        if key not in self.atoms:
            text = format_code(code, self.s)
            self.atoms[key] = {
                "key": self.names[site] if text == "." else f"{self.names[site]}_{text}",
                "site": site,
                "code": code,
                "map": m,
                "fract": fract,
                "molecule": molecule,
                "role": role,
            }
            if role == "molecule":
                self.by_cell[_cell_key(site, fract)] = key
        return key

    def grow(self, start: int, molecule: int) -> None:
        first = self.node(start, SymmetryCode(self.s.identity_op), molecule)
        self.placed[start] = True
        queue = deque([first])
        while queue:
            key = queue.popleft()
            atom = self.atoms[key]
            for j, bond_map in self.bonds[atom["site"]]:
                code = self.code(atom["map"] @ bond_map)
                if code is None:
                    self.skipped += 1
                    continue
                m = _code_map(self.s, code)
                fract = m[:3, :3] @ self.s.fract[j] + m[:3, 3]
                exact = _position_key(j, fract)
                translation = (0, 0, 0)
                if exact in self.atoms:
                    other = exact
                else:
                    twin = self.by_cell.get(_cell_key(j, fract))
                    if twin is not None and self.atoms[twin]["molecule"] == molecule:
                        other = twin  # a lattice translate: the molecule is periodic
                        diff = fract - self.atoms[twin]["fract"]
                        translation = tuple(int(t) for t in np.rint(diff))
                    else:
                        other = self.node(j, code, molecule)
                        self.placed[j] = True
                        queue.append(other)
                # an edge a→b+t is the edge b→a−t: one canonical key per bond
                ends, t = (key, other), translation
                if other < key:
                    ends, t = (other, key), tuple(-x for x in translation)
                pair = (ends, t)
                if pair not in self.edges:
                    self.edges[pair] = {
                        "a": ends[0],
                        "b": ends[1],
                        "translation": t,
                        "kind": "coordination"
                        if self.metal[atom["site"]] or self.metal[j]
                        else "covalent",
                    }

    def build(self) -> None:
        order = [*np.flatnonzero(self.metal), *np.flatnonzero(~self.metal)]
        molecule = 0
        for site in order:
            if not self.placed[site]:
                self.grow(int(site), molecule)
                molecule += 1


def structure_graph(
    structure: Structure,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    hbonds: pd.DataFrame | None = None,
    with_hbonds: bool = True,
) -> nx.Graph:
    """The networkx graph of one structure block (nodes, edges: module docstring).

    ``hbonds`` is a frame from :func:`coordgeo.hbonds.hbonds` (computed here when not
    given and ``with_hbonds``). Graph attributes: ``path, block, temperature_K`` (NaN
    when unknown) and the cell.
    """
    b = _Builder(structure, tolerance)
    b.build()
    if with_hbonds:
        if hbonds is None:
            from coordgeo.hbonds import hbonds as find_hbonds

            hbonds = find_hbonds(structure, tolerance=tolerance)
        _add_hbonds(b, hbonds)
    return _to_networkx(b)


def _add_hbonds(b: _Builder, frame: pd.DataFrame) -> None:
    s = b.s
    by_site: dict[int, tuple] = {}
    for key, atom in b.atoms.items():
        if atom["role"] == "molecule":
            by_site.setdefault(atom["site"], key)
    for row in frame.itertuples(index=False):
        h_atom, a_atom = row.hydrogen_atom, row.acceptor_atom
        h_key = by_site.get(h_atom.site)
        if h_key is None:
            continue
        h_map = b.atoms[h_key]["map"]
        # the hydrogen bond is given for the untransformed H; carry it to the graph's copy
        code_map = affine(
            s.rotations[a_atom.code.op].astype(float),
            s.translations[a_atom.code.op] + np.asarray(a_atom.code.shift, dtype=float),
        )
        code = b.code(h_map @ code_map)
        if code is None:
            b.skipped += 1
            continue
        m = _code_map(s, code)
        fract = m[:3, :3] @ s.fract[a_atom.site] + m[:3, 3]
        exact = _position_key(a_atom.site, fract)
        if exact not in b.atoms:
            image_of = b.by_cell.get(_cell_key(a_atom.site, fract)) or by_site.get(a_atom.site)
            exact = b.node(a_atom.site, code, -1, role="hbond_partner")
            b.atoms[exact]["image_of"] = b.atoms[image_of]["key"] if image_of else ""
        b.edges[((h_key, exact), "hbond")] = {
            "a": h_key,
            "b": exact,
            "translation": (0, 0, 0),
            "kind": "hbond",
            "d_da": float(row.d_da),
            "d_da_su": float(row.d_da_su),
            "angle_dha": float(row.angle_dha),
            "donor": row.donor,
        }


def _to_networkx(b: _Builder) -> nx.Graph:
    s = b.s
    g = nx.Graph()
    g.graph.update(
        {
            "path": s.path,
            "block": s.block,
            "temperature_K": float(s.temperature) if s.temperature is not None else np.nan,
            "space_group": s.space_group,
            "skipped_bonds": b.skipped,
            **dict(zip(("a", "b", "c", "alpha", "beta", "gamma"), s.cell.parameters, strict=True)),
        }
    )
    orth = s.cell.orthogonalization
    for atom in b.atoms.values():
        i = atom["site"]
        xyz = orth @ atom["fract"]
        g.add_node(
            atom["key"],
            label=s.labels[i],
            element=s.elements[i],
            site=int(i),
            symmetry_code=format_code(atom["code"], s),
            x=float(xyz[0]),
            y=float(xyz[1]),
            z=float(xyz[2]),
            fx=float(atom["fract"][0]),
            fy=float(atom["fract"][1]),
            fz=float(atom["fract"][2]),
            occupancy=float(s.occupancy[i]),
            disorder_group=s.disorder_group[i],
            molecule=int(atom["molecule"]),
            role=atom["role"],
            image_of=atom.get("image_of", ""),
        )
    edges = list(b.edges.values())
    if not edges:
        return g
    # one vectorised su calculation for every edge
    sites = np.array([[b.atoms[e["a"]]["site"], b.atoms[e["b"]]["site"]] for e in edges])
    ops = np.array([[b.atoms[e["a"]]["code"].op, b.atoms[e["b"]]["code"].op] for e in edges])
    shifts = np.array(
        [
            [
                b.atoms[e["a"]]["code"].shift,
                np.add(b.atoms[e["b"]]["code"].shift, e["translation"]),
            ]
            for e in edges
        ],
        dtype=float,
    )
    length, length_su = measure(s, sites, ops, shifts)
    riding = np.asarray(s.calc, dtype=bool)
    for e, d, su, (i, j) in zip(edges, length, length_su, sites, strict=True):
        translation = " ".join(str(t) for t in e["translation"]) if any(e["translation"]) else ""
        attrs = {
            "kind": e["kind"],
            "length": float(d),
            "length_su": float(su) if not (riding[i] or riding[j]) else float("nan"),
            "translation": translation,
            "multiplicity": 1,
        }
        if e["kind"] == "hbond":
            attrs.update(d_da=e["d_da"], d_da_su=e["d_da_su"], angle_dha=e["angle_dha"])
        key_a, key_b = b.atoms[e["a"]]["key"], b.atoms[e["b"]]["key"]
        if g.has_edge(key_a, key_b):
            # a second bond between the same two atoms of the quotient graph, to another
            # lattice translate (chains and networks in small cells): keep its translation
            old = g.edges[key_a, key_b]
            if g.nodes[key_a]["site"] != b.atoms[e["a"]]["site"]:  # stored the other way
                translation = " ".join(str(-t) for t in e["translation"])
            old["multiplicity"] += 1
            if translation:
                old["translation"] = "; ".join(x for x in (old["translation"], translation) if x)
            continue
        g.add_edge(key_a, key_b, **attrs)
    return g


def bonded_view(graph: nx.Graph) -> nx.Graph:
    """The molecules only: no H-bond edges, no H-bond partner nodes (a read-only view)."""
    nodes = [n for n, r in graph.nodes(data="role") if r == "molecule"]
    sub = graph.subgraph(nodes)
    return nx.subgraph_view(sub, filter_edge=lambda a, b: sub.edges[a, b]["kind"] != "hbond")


def hill_formula(elements: list[str]) -> str:
    """Hill-order formula: C, H, then alphabetical (alphabetical without C)."""
    counts = Counter(elements)
    order = ["C", "H"] if "C" in counts else []
    order += sorted(e for e in counts if e not in order)
    return " ".join(f"{e}{counts[e] if counts[e] > 1 else ''}" for e in order if e in counts)


def molecules(graph: nx.Graph) -> pd.DataFrame:
    """One row per molecule (connected component without H-bond edges).

    Columns ``molecule, n_atoms, formula, metals, polymeric, dimensionality, nodes``:
    ``formula`` in Hill order over the whole molecule (symmetry images included),
    ``metals`` its metal labels, ``dimensionality`` 0 for a discrete molecule, 1–3 for a
    polymer (rank of the translations of its periodic bonds); ``nodes`` the node keys.
    """
    view = bonded_view(graph)
    rows = []
    for comp in nx.connected_components(view):
        nodes = sorted(comp, key=lambda k: (graph.nodes[k]["site"], k))
        translations = [
            [int(t) for t in text.split()]
            for a, b in view.subgraph(comp).edges
            for text in view.edges[a, b]["translation"].split(";")
            if text.strip()
        ]
        rank = int(np.linalg.matrix_rank(np.array(translations))) if translations else 0
        elements = [graph.nodes[k]["element"] for k in nodes]
        rows.append(
            {
                "molecule": int(graph.nodes[nodes[0]]["molecule"]),
                "n_atoms": len(nodes),
                "formula": hill_formula(elements),
                "metals": " ".join(
                    graph.nodes[k]["label"] for k in nodes if is_metal(graph.nodes[k]["element"])
                ),
                "polymeric": rank > 0,
                "dimensionality": rank,
                "nodes": nodes,
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "molecule",
            "n_atoms",
            "formula",
            "metals",
            "polymeric",
            "dimensionality",
            "nodes",
        ],
    )
    return frame.sort_values("molecule", ignore_index=True)


def molecule_graphs(graph: nx.Graph) -> list[nx.Graph]:
    """Each molecule as its own (bonded-only) graph, in the order of :func:`molecules`."""
    view = bonded_view(graph)
    return [nx.Graph(view.subgraph(nodes)) for nodes in molecules(graph)["nodes"]]


def coordination_shells(graph: nx.Graph, metal: str) -> pd.DataFrame:
    """First and second coordination spheres of a metal node, and its H-bond contacts.

    ``shell`` is ``first`` (atoms bonded to the metal), ``second`` (atoms bonded to the
    first sphere, metal excluded: the ligand atoms one bond further) or ``hbond``
    (atoms hydrogen-bonded to an atom of either sphere, e.g. an anion or solvent held
    by a coordinated ligand: the second sphere in the supramolecular sense). Columns
    ``metal, shell, atom, element, symmetry_code, via, distance`` (distance to the
    metal, Å).
    """
    if metal not in graph:
        raise KeyError(metal)
    view = bonded_view(graph)
    first = set(view.neighbors(metal))
    second = {n for a in first for n in view.neighbors(a)} - first - {metal}
    hb = set()
    for a in first | second:
        for n in graph.neighbors(a):
            if graph.edges[a, n]["kind"] == "hbond" and n not in first | second | {metal}:
                hb.add(n)
    x0 = np.array([graph.nodes[metal][c] for c in "xyz"])
    rows = []
    for shell, members in (("first", first), ("second", second), ("hbond", hb)):
        for n in sorted(members, key=lambda k: (graph.nodes[k]["site"], k)):
            via = "hbond" if shell == "hbond" else ("coordination" if shell == "first" else "")
            if shell == "second":
                via = "covalent"
            x = np.array([graph.nodes[n][c] for c in "xyz"])
            rows.append(
                {
                    "metal": metal,
                    "shell": shell,
                    "atom": n,
                    "element": graph.nodes[n]["element"],
                    "symmetry_code": graph.nodes[n]["symmetry_code"],
                    "via": via,
                    "distance": float(np.linalg.norm(x - x0)),
                }
            )
    return pd.DataFrame(
        rows, columns=["metal", "shell", "atom", "element", "symmetry_code", "via", "distance"]
    )


def metal_nodes(graph: nx.Graph) -> list[str]:
    """Keys of the metal atoms that belong to molecules (not H-bond partners)."""
    return [
        n for n, d in graph.nodes(data=True) if d["role"] == "molecule" and is_metal(d["element"])
    ]


def _clean(graph: nx.Graph) -> nx.Graph:
    """A copy whose NaN attributes are dropped (GraphML cannot say 'missing' otherwise)."""
    out = graph.copy()
    for _, data in out.nodes(data=True):
        for k in [k for k, v in data.items() if isinstance(v, float) and np.isnan(v)]:
            del data[k]
    for _, _, data in out.edges(data=True):
        for k in [k for k, v in data.items() if isinstance(v, float) and np.isnan(v)]:
            del data[k]
    for k in [k for k, v in out.graph.items() if isinstance(v, float) and np.isnan(v)]:
        del out.graph[k]
    return out


def write_graph(graph: nx.Graph, path: str | Path) -> Path:
    """Write GraphML (``.graphml``) or node-link JSON (``.json``); missing values omitted."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in GRAPH_SUFFIXES:
        raise InputError(f"graph file must end in {' or '.join(GRAPH_SUFFIXES)}", path=str(path))
    clean = _clean(graph)
    try:
        if suffix == ".graphml":
            nx.write_graphml(clean, path)
        else:
            path.write_text(json.dumps(_node_link_data(clean), indent=1) + "\n")
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", path=str(path)) from None
    return path


def read_graph(path: str | Path) -> nx.Graph:
    """Read back what :func:`write_graph` wrote."""
    path = Path(path)
    if path.suffix.lower() == ".graphml":
        return nx.read_graphml(path)
    data = json.loads(path.read_text())
    try:
        return nx.node_link_graph(data, edges="edges")
    except TypeError:  # networkx < 3.4 knows only "links"
        data["links"] = data.pop("edges", data.get("links", []))
        return nx.node_link_graph(data)


def _node_link_data(graph: nx.Graph) -> dict:
    try:
        return nx.node_link_data(graph, edges="edges")
    except TypeError:  # networkx < 3.4
        data = nx.node_link_data(graph)
        data["edges"] = data.pop("links")
        return data


__all__ = [
    "bonded_view",
    "coordination_shells",
    "hill_formula",
    "metal_nodes",
    "molecule_graphs",
    "molecules",
    "read_graph",
    "structure_graph",
    "write_graph",
]
