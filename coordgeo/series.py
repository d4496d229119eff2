r"""A series of structures of one compound: ordering, atom pairing, and its Table S1.

The one place that decides which atom of one structure is which atom of another
(:func:`pair_series`) and the one builder of the multi-temperature Table S1
(:func:`table_s1`), used by ``coordgeo compare``, the report's series pages and the SI
tables ``validate`` writes.

Pairing atoms across structures
-------------------------------
1. **By label**: a site pairs with the reference site of the same label and element.
   The pairing is trusted when at least 90 % of the bonds between labelled sites of the
   two structures agree (the same label pairs are bonded in both).
2. **By graph isomorphism** otherwise (a re-refinement that renumbered the atoms):
   each molecule (:func:`coordgeo.graph.molecules`) is matched to a reference molecule of
   the same formula with :class:`networkx.algorithms.isomorphism.GraphMatcher` on the
   heavy-atom bond graphs with ``node_match`` on the element. A molecule with internal
   symmetry (two identical ligands, a CF₃ group) has several isomorphisms; the one whose
   atoms superimpose best (Kabsch, reflections allowed so that an inverted copy in the
   other asymmetric unit still matches) is kept, refined by re-assigning atoms of each
   element to their nearest superimposed partner (Hungarian algorithm) while the bonds
   are preserved. H atoms follow the heavy atom they are bonded to. At most
   :data:`MAX_ISOMORPHISMS` are tried, in an order fixed by the sorted node keys
   (:func:`_integer_graph`), and equal rmsd's are taken in molecule order, so the
   pairing does not depend on ``PYTHONHASHSEED``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from coordgeo import graph as sgraph
from coordgeo.model import Structure
from coordgeo.pipeline import Analysis
from coordgeo.tables import si_table

__all__ = [
    "LABEL_AGREEMENT",
    "SeriesPairing",
    "cell_change",
    "compound_key",
    "distinct_headers",
    "donor_keys",
    "geometry_long",
    "pair_atoms",
    "pair_series",
    "pivot_formatted",
    "table_s1",
    "temperature_headers",
    "temperature_order",
]

LABEL_AGREEMENT = 0.9  # fraction of bonds that must agree to trust a pairing by label
MAX_ISOMORPHISMS = 200  # isomorphisms tried per molecule before refinement
MAX_MOLECULE = 3000  # atoms; larger components are not matched by isomorphism


def compound_key(structure: Structure, graph: nx.Graph | None = None) -> tuple[str, ...]:
    """What makes two structures one compound: the heavy-atom formulas of its complexes.

    The Hill formulas, without H, of the molecules of the structure graph
    (:func:`coordgeo.graph.molecules`) that contain a metal, sorted; a structure without
    metals gives the formulas of all its molecules. H atoms are left out because whether
    they were located differs between refinements of one compound, and solvent or
    counter-ions are left out when a metal complex exists, because a solvate and its
    desolvated form share the complex whose spin state is compared. The cell and the space
    group are not part of the key: they change across a phase transition of one compound.
    """
    from coordgeo.graph import hill_formula, structure_graph

    if graph is None:
        graph = structure_graph(structure)
    found = sgraph.molecules(graph)
    heavy = [
        hill_formula([graph.nodes[n]["element"] for n in nodes if graph.nodes[n]["element"] != "H"])
        for nodes in found["nodes"]
    ]
    with_metal = [f for f, metals in zip(heavy, found["metals"], strict=True) if metals]
    return tuple(sorted(set(with_metal or heavy)))


#: Cell changes beyond these are named as a phase transition: relative change of a cell
#: length, and change of a cell angle in degrees. Thermal expansion and the lattice response
#: of a spin transition stay below them (the qsal cell changes by 4 % in a and 2.6° in β
#: between 163 and 293 K); a ferric thiosemicarbazone whose β changes by 11° between 150
#: and 373 K goes beyond.
PHASE_TRANSITION_LENGTH = 0.05
PHASE_TRANSITION_ANGLE = 5.0


def cell_change(a: Structure, b: Structure) -> str:
    """What changes between two cells of one compound beyond thermal expansion, in words
    ('' when nothing does): the space group, or a cell length or angle beyond
    :data:`PHASE_TRANSITION_LENGTH` / :data:`PHASE_TRANSITION_ANGLE`, hence a
    crystallographic phase transition."""
    notes = []
    if a.space_group.replace(" ", "") != b.space_group.replace(" ", ""):
        notes.append(f"space group {a.space_group} → {b.space_group}")
    names = ("a", "b", "c", "α", "β", "γ")
    for k, (x, y) in enumerate(zip(a.cell.parameters, b.cell.parameters, strict=True)):
        if k < 3 and abs(y - x) > PHASE_TRANSITION_LENGTH * max(x, y):
            notes.append(f"{names[k]} {x:.3f} → {y:.3f} Å")
        elif k >= 3 and abs(y - x) > PHASE_TRANSITION_ANGLE:
            notes.append(f"{names[k]} {x:.2f} → {y:.2f}°")
    return ", ".join(notes)


@dataclass(frozen=True, eq=False)
class SeriesPairing:
    """:func:`pair_series` of structures: ``site_maps[k]`` maps each site of structure k
    to its reference site; ``pairing`` (each atom's reference label and how it was found)
    and ``unpaired`` (what could not be paired) are DataFrames."""

    site_maps: list[dict[int, int]]
    pairing: pd.DataFrame
    unpaired: pd.DataFrame


def pair_series(analysed: Sequence[Analysis]) -> SeriesPairing:
    """Pair the atoms of every structure with those of the first (the reference)."""
    ref = analysed[0]
    site_maps: list[dict[int, int]] = []
    pairings, unpaired = [], []
    for a in analysed:
        if a is ref:
            site_maps.append({i: i for i in range(len(a.structure))})
            pairings.append(
                pd.DataFrame(
                    {
                        "structure": a.structure.path,
                        "block": a.structure.block,
                        "label": list(a.structure.labels),
                        "element": list(a.structure.elements),
                        "reference_label": list(a.structure.labels),
                        "method": "reference",
                        "rmsd": 0.0,
                    }
                )
            )
            continue
        p, u = pair_atoms(ref, a)
        lookup = {lab: i for i, lab in enumerate(ref.structure.labels)}
        own = {lab: i for i, lab in enumerate(a.structure.labels)}
        site_maps.append(
            {own[r.label]: lookup[r.reference_label] for r in p.itertuples(index=False)}
        )
        pairings.append(p)
        unpaired.append(u)
    columns = ["structure", "block", "label", "element", "reason"]
    return SeriesPairing(
        site_maps=site_maps,
        pairing=pd.concat(pairings, ignore_index=True),
        unpaired=pd.concat(unpaired, ignore_index=True)
        if unpaired
        else pd.DataFrame(columns=columns),
    )


def temperature_order(structures: Sequence[Structure]) -> list[int]:
    """Indices of ``structures`` by temperature; those without one last, in input order."""
    return sorted(
        range(len(structures)),
        key=lambda k: (structures[k].temperature is None, structures[k].temperature or 0.0, k),
    )


def _site_bonds(g: nx.Graph) -> set[frozenset[int]]:
    view = sgraph.bonded_view(g)
    return {frozenset((view.nodes[a]["site"], view.nodes[b]["site"])) for a, b in view.edges}


def _label_pairing(ref: Analysis, other: Analysis) -> dict[int, int] | None:
    """site → reference site by label, or None when the labels do not describe the same atoms."""
    rs, os_ = ref.structure, other.structure
    index = {(lab, el): i for i, (lab, el) in enumerate(zip(rs.labels, rs.elements, strict=True))}
    mapping = {
        i: index[(lab, el)]
        for i, (lab, el) in enumerate(zip(os_.labels, os_.elements, strict=True))
        if (lab, el) in index
    }
    if not mapping:
        return None
    ref_bonds = _site_bonds(ref.graph)
    mapped = [
        frozenset(mapping[i] for i in bond)
        for bond in _site_bonds(other.graph)
        if all(i in mapping for i in bond)
    ]
    if not mapped:
        return None
    agree = sum(b in ref_bonds for b in mapped) / max(len(mapped), 1)
    return mapping if agree >= LABEL_AGREEMENT else None


def _coords(g: nx.Graph, nodes: Sequence[str]) -> np.ndarray:
    return np.array([[g.nodes[n]["x"], g.nodes[n]["y"], g.nodes[n]["z"]] for n in nodes])


def _superpose(p: np.ndarray, q: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Kabsch with reflections allowed: rmsd and (rotation, centre_p, centre_q) of p onto q."""
    cp, cq = p.mean(axis=0), q.mean(axis=0)
    p0, q0 = p - cp, q - cq
    u, s, vt = np.linalg.svd(p0.T @ q0)
    n = max(len(p), 1)
    rmsd = math.sqrt(max((np.sum(p0**2) + np.sum(q0**2) - 2.0 * s.sum()) / n, 0.0))
    return rmsd, u @ vt, cp, cq


def _integer_graph(g: nx.Graph) -> tuple[nx.Graph, list[str]]:
    """``g`` with its node keys replaced by 0…n−1 in sorted key order (nodes and edges added
    in that order), and the keys by number. networkx's GraphMatcher walks sets of nodes:
    with string keys their order, and so which isomorphisms come first among the
    :data:`MAX_ISOMORPHISMS` tried, changed with ``PYTHONHASHSEED``. Not
    ``networkx.convert_node_labels_to_integers``: it keeps the graph's insertion order of
    nodes and edges, which then decides the matcher's order; here both are sorted, so the
    pairing depends on the keys alone, not on how the graph was grown."""
    names = sorted(g)
    number = {n: k for k, n in enumerate(names)}
    out = nx.Graph()
    out.add_nodes_from((k, g.nodes[n]) for k, n in enumerate(names))
    out.add_edges_from(sorted(tuple(sorted((number[a], number[b]))) for a, b in g.edges))
    return out, names


def _match_molecule(rg: nx.Graph, og: nx.Graph) -> tuple[dict[str, str], float] | None:
    """Best isomorphism other → reference of two molecule graphs (module docstring); the
    first of equal rmsd in the matcher's order, which depends only on the sorted node keys
    (:func:`_integer_graph`)."""
    rg, names_r = _integer_graph(rg)
    og, names_o = _integer_graph(og)
    found = _match_integer_molecule(rg, og)
    if found is None:
        return None
    mapping, rmsd = found
    return {names_o[a]: names_r[b] for a, b in mapping.items()}, rmsd


def _match_integer_molecule(rg: nx.Graph, og: nx.Graph) -> tuple[dict[int, int], float] | None:
    """:func:`_match_molecule` on graphs keyed 0…n−1."""
    heavy_r = [n for n in rg if rg.nodes[n]["element"] not in ("H", "D")]
    heavy_o = [n for n in og if og.nodes[n]["element"] not in ("H", "D")]
    if len(heavy_r) < 3:  # too few heavy atoms to orient the molecule: match every atom
        heavy_r, heavy_o = list(rg), list(og)
    if not heavy_r or len(heavy_r) != len(heavy_o) or len(heavy_r) > MAX_MOLECULE:
        return None
    hr, ho = rg.subgraph(heavy_r), og.subgraph(heavy_o)
    from networkx.algorithms.isomorphism import GraphMatcher
    from scipy.optimize import linear_sum_assignment

    matcher = GraphMatcher(ho, hr, node_match=lambda a, b: a["element"] == b["element"])
    best: tuple[float, dict[int, int]] | None = None
    xo = {n: np.array([og.nodes[n][c] for c in "xyz"]) for n in og}
    xr = {n: np.array([rg.nodes[n][c] for c in "xyz"]) for n in rg}
    for k, iso in enumerate(matcher.isomorphisms_iter()):
        keys = list(iso)
        rmsd = _superpose(np.array([xo[a] for a in keys]), np.array([xr[iso[a]] for a in keys]))[0]
        if best is None or rmsd < best[0]:
            best = (rmsd, dict(iso))
        if k + 1 >= MAX_ISOMORPHISMS:
            break
    if best is None:
        return None
    rmsd, mapping = best
    mapping, rmsd = _refine(ho, hr, mapping, rmsd, xo, xr)
    # H atoms follow their heavy atom; several H on one atom go to the nearest partner
    keys = list(mapping)
    _, rot, cp, cq = _superpose(
        np.array([xo[a] for a in keys]), np.array([xr[mapping[a]] for a in keys])
    )
    for a, b in list(mapping.items()):
        if og.nodes[a]["element"] in ("H", "D"):
            continue
        taken = set(mapping.values())
        ho_ = [
            n for n in og.neighbors(a) if og.nodes[n]["element"] in ("H", "D") and n not in mapping
        ]
        hr_ = [
            n for n in rg.neighbors(b) if rg.nodes[n]["element"] in ("H", "D") and n not in taken
        ]
        if not ho_ or not hr_:
            continue
        po = (np.array([xo[n] for n in ho_]) - cp) @ rot + cq
        cost = np.linalg.norm(po[:, None] - np.array([xr[n] for n in hr_])[None], axis=-1)
        rows, cols = linear_sum_assignment(cost)
        mapping.update({ho_[r]: hr_[c] for r, c in zip(rows, cols, strict=True)})
    return mapping, rmsd


def _refine(
    ho: nx.Graph, hr: nx.Graph, mapping: dict[int, int], rmsd: float, xo: dict, xr: dict
) -> tuple[dict[int, int], float]:
    """Re-assign atoms of each element to their nearest superimposed partner while bonds hold."""
    from scipy.optimize import linear_sum_assignment

    for _ in range(5):
        keys = list(mapping)
        _, rot, cp, cq = _superpose(
            np.array([xo[a] for a in keys]), np.array([xr[mapping[a]] for a in keys])
        )
        new: dict[int, int] = {}
        for element in sorted({ho.nodes[n]["element"] for n in ho}):
            mine = [n for n in ho if ho.nodes[n]["element"] == element]
            theirs = [n for n in hr if hr.nodes[n]["element"] == element]
            po = (np.array([xo[n] for n in mine]) - cp) @ rot + cq
            cost = np.linalg.norm(po[:, None] - np.array([xr[n] for n in theirs])[None], axis=-1)
            rows, cols = linear_sum_assignment(cost)
            new.update({mine[r]: theirs[c] for r, c in zip(rows, cols, strict=True)})
        if new == mapping or any(not hr.has_edge(new[a], new[b]) for a, b in ho.edges):
            break
        keys = list(new)
        r = _superpose(np.array([xo[a] for a in keys]), np.array([xr[new[a]] for a in keys]))[0]
        if r >= rmsd:
            break
        mapping, rmsd = new, r
    return mapping, rmsd


def _isomorphism_pairing(ref: Analysis, other: Analysis) -> tuple[dict[int, int], dict[int, float]]:
    """site → reference site, and the rmsd of the molecule each site was matched in."""
    ref_mols = sgraph.molecules(ref.graph)
    oth_mols = sgraph.molecules(other.graph)
    ref_graphs = sgraph.molecule_graphs(ref.graph)
    oth_graphs = sgraph.molecule_graphs(other.graph)
    used: set[int] = set()
    mapping: dict[int, int] = {}
    rmsds: dict[int, float] = {}
    candidates = []
    for i, mol in oth_mols.iterrows():
        for j, rmol in ref_mols.iterrows():
            if rmol["formula"] == mol["formula"]:
                found = _match_molecule(ref_graphs[j], oth_graphs[i])
                if found is not None:
                    candidates.append((found[1], i, j, found[0]))
    done: set[int] = set()
    # the best fit first; equal rmsd (symmetry-equivalent molecules) by (other, reference)
    for rmsd, i, j, node_map in sorted(candidates, key=lambda c: (c[0], c[1], c[2])):
        if i in done or j in used:
            continue
        done.add(i)
        used.add(j)
        og, rg = oth_graphs[i], ref_graphs[j]
        for a, b in node_map.items():
            site = og.nodes[a]["site"]
            if site not in mapping:
                mapping[site] = rg.nodes[b]["site"]
                rmsds[site] = rmsd
    return mapping, rmsds


def pair_atoms(ref: Analysis, other: Analysis) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(pairing, unpaired) of ``other`` against the reference (module docstring)."""
    rs, os_ = ref.structure, other.structure
    by_label = _label_pairing(ref, other)
    if by_label is not None:
        mapping, method, rmsds = by_label, "label", {}
    else:
        mapping, rmsds = _isomorphism_pairing(ref, other)
        method = "isomorphism"
    pairing = pd.DataFrame(
        {
            "structure": other.structure.path,
            "block": os_.block,
            "label": [os_.labels[i] for i in mapping],
            "element": [os_.elements[i] for i in mapping],
            "reference_label": [rs.labels[j] for j in mapping.values()],
            "method": method,
            "rmsd": [rmsds.get(i, np.nan) for i in mapping],
        }
    )
    paired_ref = set(mapping.values())
    name = other.structure.path
    rows = [
        (name, os_.block, os_.labels[i], os_.elements[i], "no partner in the reference")
        for i in range(len(os_))
        if i not in mapping
    ]
    rows += [
        (name, os_.block, rs.labels[j], rs.elements[j], "reference atom with no partner")
        for j in range(len(rs))
        if j not in paired_ref
    ]
    unpaired = pd.DataFrame(rows, columns=["structure", "block", "label", "element", "reason"])
    return pairing, unpaired


def donor_keys(structure: Structure, sphere, site_map: dict[int, int]) -> list[tuple]:
    """(reference donor site, rank) for each donor: images of one site ranked, identity first."""
    ident = structure.identity_op
    order = sorted(
        range(len(sphere.donors)),
        key=lambda k: (
            not (sphere.donors[k].code.op == ident and not any(sphere.donors[k].code.shift)),
            round(sphere.distances[k], 4),
            k,
        ),
    )
    seen: dict[int, int] = {}
    keys: list[tuple] = [()] * len(sphere.donors)
    for k in order:
        ref_site = site_map.get(sphere.donors[k].site, -1 - sphere.donors[k].site)
        keys[k] = (ref_site, seen.get(ref_site, 0))
        seen[ref_site] = seen.get(ref_site, 0) + 1
    return keys


def temperature_headers(analysed_or_structures: Sequence) -> list[str]:
    """Column titles ``163 K`` (``163 K (block)`` when two structures share a temperature)."""
    structures = [getattr(a, "structure", a) for a in analysed_or_structures]
    plain = [f"{s.temperature:g} K" if s.temperature is not None else s.block for s in structures]
    return distinct_headers(plain, [s.block for s in structures])


def distinct_headers(texts: Sequence[str], blocks: Sequence[str]) -> list[str]:
    """One column title per structure, all different: ``text``, ``text (block)`` where
    texts repeat, and ``… #n`` where text and block repeat too (two copies of one file).

    >>> distinct_headers(["163 K", "293 K", "293 K", "293 K"], ["a", "b", "c", "c"])
    ['163 K', '293 K (b)', '293 K (c) #1', '293 K (c) #2']
    """
    headers = [
        f"{t} ({b})" if texts.count(t) > 1 else t for t, b in zip(texts, blocks, strict=True)
    ]
    seen: dict[str, int] = {}
    numbered = []
    for h in headers:
        seen[h] = seen.get(h, 0) + 1
        numbered.append(f"{h} #{seen[h]}" if headers.count(h) > 1 else h)
    return numbered


#: Columns of :func:`geometry_long`.
LONG_COLUMNS = [
    "block",
    "temperature_K",
    "header",
    "metal",
    "configuration",
    "kind",
    "key",
    "label",
    "symmetry_codes",
    "value",
    "value_su",
    "formatted",
]


def geometry_long(
    analysed: Sequence[Analysis],
    site_maps: Sequence[dict[int, int]] | None = None,
    *,
    values: str = "auto",
    codes: str = "letters",
    mark: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every M–L bond and L–M–L angle of every structure, paired across the series.

    ``analysed`` in column order (:func:`temperature_order`), ``site_maps`` from
    :func:`pair_series` (computed when not given). One row per quantity and structure
    (:data:`LONG_COLUMNS`): ``key`` is the same for the same bond or angle in every
    structure, found through the atom pairing, so a renumbered structure still shares
    its rows with the reference. Labels and the legend are the reference structure's
    (its letters); a row first seen in a later structure keeps its own label with
    ``[block]``. Returns ``(long, legend)``, ``legend`` being ``letter, operator,
    symmetry_code`` of the reference. ``values``, ``codes`` and ``mark`` are those of
    :func:`coordgeo.tables.si_table` (the CIF's own values where it has them; how
    symmetry-generated atoms are marked).
    """
    if site_maps is None:
        site_maps = pair_series(analysed).site_maps
    si_options = {"values": values, "codes": codes, "mark": mark}
    headers = temperature_headers(analysed)
    labels: dict[tuple, str] = {}
    records: list[dict] = []
    legend = pd.DataFrame(columns=["letter", "operator", "symmetry_code"])
    for n, (a, m) in enumerate(zip(analysed, site_maps, strict=True)):
        s = a.structure
        geometry = a.geometry
        if geometry.empty:
            continue
        labelled, leg = si_table(s, geometry, **si_options)
        if n == 0:
            legend = leg
        donor_key = {}
        for sp in a.spheres:
            for k, key in enumerate(donor_keys(s, sp, m)):
                donor_key[(sp.metal, sp.configuration, sp.donors[k])] = key
        for atoms, kind, conf, value, su, lab, codes, text in zip(
            geometry["atoms"],
            geometry["kind"],
            geometry["configuration"],
            geometry["value"],
            geometry["value_su"],
            labelled["label"],
            labelled["symmetry_codes"],
            labelled["formatted"],
            strict=True,
        ):
            metal_atom = atoms[0] if kind == "bond" else atoms[1]
            metal_ref = m.get(metal_atom.site)
            if metal_ref is None:
                continue
            donors = [atoms[1]] if kind == "bond" else [atoms[0], atoms[2]]
            dkeys = [donor_key.get((metal_atom.site, conf, d)) for d in donors]
            key = (metal_ref, conf, kind, frozenset(dkeys) if kind == "angle" else dkeys[0])
            # a row first seen in a later structure keeps its own label
            label = labels.setdefault(key, lab if n == 0 else f"{lab} [{s.block}]")
            records.append(
                {
                    "block": s.block,
                    "temperature_K": s.temperature if s.temperature is not None else np.nan,
                    "header": headers[n],
                    "metal": analysed[0].structure.labels[metal_ref],
                    "configuration": conf,
                    "kind": kind,
                    "key": "|".join(map(str, (metal_ref, conf, kind, sorted(map(str, dkeys))))),
                    "label": label,
                    "symmetry_codes": codes,
                    "value": value,
                    "value_su": su,
                    "formatted": text,
                }
            )
    return pd.DataFrame(records, columns=LONG_COLUMNS), legend


def table_s1(
    analysed: Sequence[Analysis],
    site_maps: Sequence[dict[int, int]] | None = None,
    *,
    values: str = "auto",
    codes: str = "letters",
    mark: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Table S1 of a series: M–L bonds and L–M–L angles, one column per structure.

    The wide form of :func:`geometry_long`: ``metal, kind, label`` and one column of
    ``1.994(4)`` values per structure (:func:`temperature_headers`), bonds before
    angles for each metal; and the reference structure's legend. ``values``, ``codes``
    and ``mark``: :func:`geometry_long`.
    """
    headers = temperature_headers(analysed)
    long, legend = geometry_long(analysed, site_maps, values=values, codes=codes, mark=mark)
    columns = ["metal", "kind", "label", *headers]
    if long.empty:
        return pd.DataFrame(columns=columns), legend
    wide = pivot_formatted(long, headers)
    info = long.drop_duplicates("key").set_index("key")["metal"]
    wide.insert(0, "metal", info.reindex(wide["key"]).to_numpy())
    order = {"bond": 0, "angle": 1}
    wide = wide[columns].sort_values(
        ["metal", "kind"], key=lambda c: c.map(order) if c.name == "kind" else c, kind="stable"
    )
    return wide.reset_index(drop=True), legend


def pivot_formatted(long: pd.DataFrame, headers: Sequence[str]) -> pd.DataFrame:
    """One row per key, one column of formatted values per header (blank if absent)."""
    if not len(long):
        return pd.DataFrame(columns=["key", "kind", "label", *headers])
    order = list(dict.fromkeys(long["key"]))
    wide = long.pivot_table(
        index="key", columns="header", values="formatted", aggfunc="first", sort=False
    )
    wide = wide.reindex(index=order, columns=list(headers)).astype(object).fillna("")
    info = long.drop_duplicates("key").set_index("key")[["kind", "label"]].reindex(order)
    return pd.concat([info, wide], axis=1).reset_index()
