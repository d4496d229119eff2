"""The structure graph: molecules, coordination shells, polymers, GraphML/JSON export."""

from __future__ import annotations

from collections import Counter

import networkx as nx
import pytest
from typer.testing import CliRunner

import coordgeo
from coordgeo import graph as sgraph
from coordgeo.cli.app import app

from cifs_for_tests import C2C, write

runner = CliRunner()

# A chain …Cu–O–Cu–O… along a: P1, a = 4 Å, Cu at the origin, O at x = 1/2, so each O
# bridges Cu and its +a translate at 2.0 Å (< r_cov(Cu) + r_cov(O) + 0.45 = 2.23 Å);
# b = c = 10 Å keeps the chains apart: a 1D coordination polymer, hand-derived.
CHAIN = """data_chain
_cell_length_a 4.000
_cell_length_b 10.000
_cell_length_c 10.000
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_symmetry_space_group_name_H-M 'P 1'
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
Cu1 Cu 0.0 0.0 0.0
O1 O 0.5 0.0 0.0
"""


def formula_counts(text: str) -> Counter:
    out: Counter = Counter()
    for token in text.split():
        element = token.rstrip("0123456789")
        out[element] += int(token[len(element) :] or 1)
    return out


@pytest.fixture(scope="module")
def qsal_graph(qsal_cif):
    s = coordgeo.read(qsal_cif)[0]
    return s, sgraph.structure_graph(s)


def test_qsal_molecules_add_up_to_the_formula(qsal_graph):
    s, g = qsal_graph
    mols = sgraph.molecules(g)
    # [Fe(qsal-I)2]+ (qsal-I = C16H10IN2O−), CF3SO3− and MeOH: three molecules
    assert sorted(mols["formula"]) == sorted(["C32 H20 Fe I2 N4 O2", "C F3 O3 S", "C H4 O"])
    assert not mols["polymeric"].any()
    total = sum((formula_counts(f) for f in mols["formula"]), Counter())
    assert total == formula_counts(s.info["formula_sum"])  # C34 H24 F3 Fe I2 N4 O6 S (CIF)
    assert mols["n_atoms"].sum() == len(s)  # Z' = 1, no site on a special position
    assert mols.loc[mols["metals"] != "", "metals"].tolist() == ["Fe1"]


def test_first_and_second_coordination_sphere_match_the_authors_bonds(qsal_graph):
    s, g = qsal_graph
    bonds = s.geom["bond"].frame()
    pairs = {frozenset((a, b)) for a, b in zip(bonds.iloc[:, 0], bonds.iloc[:, 1], strict=True)}

    def bonded_to(label: str) -> set[str]:
        return {x for p in pairs if label in p for x in p if x != label}

    first = bonded_to("Fe1")  # the authors' _geom_bond rows of Fe1
    second = set().union(*(bonded_to(a) for a in first)) - first - {"Fe1"}
    shells = sgraph.coordination_shells(g, "Fe1")
    assert set(shells.loc[shells.shell == "first", "atom"]) == first
    assert first == {"O1", "O20", "N1", "N2", "N20", "N21"}
    # the authors list bonds to H only for riding-H-free rows; compare the heavy atoms
    got = shells.loc[(shells.shell == "second") & (shells.element != "H"), "atom"]
    assert set(got) == {a for a in second if not a.startswith("H")}
    assert (shells.loc[shells.shell == "first", "via"] == "coordination").all()


def test_edges_are_typed_with_lengths_and_sus(qsal_graph):
    _, g = qsal_graph
    kinds = Counter(k for _, _, k in g.edges(data="kind"))
    assert kinds["coordination"] == 6
    assert kinds["hbond"] == 1  # O200–H200···O101 (methanol → triflate)
    e = g.edges["Fe1", "O1"]
    assert e["length"] == pytest.approx(1.874, abs=0.001)  # 1.874(8) in the CIF
    assert 0.004 < e["length_su"] < 0.012


def test_molecule_grows_over_its_symmetry_mate(tmp_path):
    # C2/c: Fe on the two-fold axis, one N in the asymmetric unit; the molecule is Fe
    # with N1 and its image under -x,y,-z+1/2 (cifs_for_tests: both Fe–N 1.822 Å)
    s = coordgeo.read(write(tmp_path, "c2c.cif", C2C))[0]
    g = sgraph.structure_graph(s)
    mols = sgraph.molecules(g)
    assert mols["formula"].tolist() == ["Fe N2"]
    assert set(g.nodes) == {"Fe1", "N1", "N1_2_555"}


def test_polymer_is_marked_not_grown(tmp_path):
    s = coordgeo.read(write(tmp_path, "chain.cif", CHAIN))[0]
    g = sgraph.structure_graph(s)
    mols = sgraph.molecules(g)
    assert len(mols) == 1 and bool(mols["polymeric"].iloc[0])
    assert mols["dimensionality"].iloc[0] == 1
    assert g.number_of_nodes() == 2  # the repeat unit only
    periodic = [d["translation"] for _, _, d in g.edges(data=True) if d["translation"]]
    assert periodic in (["1 0 0"], ["-1 0 0"])


@pytest.mark.parametrize("suffix", [".graphml", ".json"])
def test_export_round_trip(qsal_graph, tmp_path, suffix):
    _, g = qsal_graph
    path = sgraph.write_graph(g, tmp_path / f"qsal{suffix}")
    back = sgraph.read_graph(path)
    assert back.number_of_nodes() == g.number_of_nodes()
    assert back.number_of_edges() == g.number_of_edges()
    assert back.nodes["Fe1"]["element"] == "Fe"
    assert Counter(k for _, _, k in back.edges(data="kind")) == Counter(
        k for _, _, k in g.edges(data="kind")
    )
    assert nx.number_connected_components(back) == nx.number_connected_components(g)


def test_graph_command(qsal_cif, tmp_path):
    out = tmp_path / "q.graphml"
    result = runner.invoke(app, ["graph", str(qsal_cif), "--out", str(out), "-f", "csv"])
    assert result.exit_code == 0, result.output
    for block in ("wp91ltb", "wp91-rt2", "wp91-mt2"):
        assert (tmp_path / f"q_{block}.graphml").stat().st_size > 0
    assert "C32 H20 Fe I2 N4 O2" in result.stdout
    bad = runner.invoke(app, ["graph", str(qsal_cif), "--out", str(tmp_path / "q.txt")])
    assert bad.exit_code == 2
    assert len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr
