"""Halcrow's φ and θ in the site table (`coordgeo octahedra`, bulk, report): given for
the spheres of two meridional tridentate ligands, NaN for the others.

Expected values come from the authors' own `_geom_angle` loops (φ is the angle at the
metal between the two central donors, which the authors print) and, for θ, from a
derivation in the test: the normals of the two three-donor planes by cross products.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import coordgeo
from coordgeo.descriptors import bis_tridentate_partitions
from coordgeo.esd import parse_su
from coordgeo.geometry import cartesian
from coordgeo.pipeline import Options, analyse_structure


def published_angle(structure, a: str, m: str, b: str) -> tuple[float, float]:
    """The authors' A–M–B angle and su from the CIF's _geom_angle loop (either order)."""
    rows = structure.geom["angle"].frame()
    names = rows.columns[:3]
    for r in rows.itertuples(index=False):
        labels = tuple(r[rows.columns.get_loc(c)] for c in names)
        if labels in ((a, m, b), (b, m, a)):
            value, su = parse_su(r[rows.columns.get_loc("value")])
            return value, su
    raise AssertionError(f"no published angle {a}-{m}-{b}")


# The two qsal⁻ ligands of Fe1 by their atoms (phenolate O, imine N, quinoline N), as the
# chemistry has them: N-(8-quinolyl)salicylaldimine is O,N,N-tridentate.
QSAL_LIGANDS = ({"O1", "N1", "N2"}, {"O20", "N20", "N21"})


def theta_by_hand(sphere, structure) -> float:
    """θ: the angle between the planes of each ligand's three donors (named by label in
    :data:`QSAL_LIGANDS`), from the normals n = (p2 − p1) × (p3 − p1), folded into 0–90°."""
    labels = [structure.labels[d.site] for d in sphere.donors]
    x = dict(zip(labels, cartesian(structure, sphere.donors), strict=True))
    normals = []
    for ligand in QSAL_LIGANDS:
        p1, p2, p3 = (x[label] for label in sorted(ligand))
        normals.append(np.cross(p2 - p1, p3 - p1))
    c = abs(normals[0] @ normals[1]) / (np.linalg.norm(normals[0]) * np.linalg.norm(normals[1]))
    return math.degrees(math.acos(min(1.0, c)))


# [Fe(qsal-I)2]OTf·MeOH at 163, 293, 230 K: the central donors are the imine N1 and N21
# (N1–Fe1–N21 in the CIF: 176.2(4), 165.3(3), 175.2(3)°; the HS structure at 293 K has
# the angular distortion Halcrow describes)
def test_phi_is_the_angle_between_the_central_donors_qsal(qsal_cif):
    for s in coordgeo.read(qsal_cif):
        analysis = analyse_structure(s, Options())
        (row,) = analysis.sites.itertuples()
        value, su = published_angle(s, "N1", "Fe1", "N21")
        # the CIF prints the angle to 0.1°, computed from its unrounded coordinates: half a
        # digit plus a quarter su (coordgeo check allows 2 su + half a digit)
        assert abs(row.halcrow_phi - value) <= 0.05 + 0.25 * su, (s.block, row.halcrow_phi, value)
        assert 0.5 * su <= row.halcrow_phi_su <= 1.5 * su, (s.block, row.halcrow_phi_su, su)
        (sphere,) = analysis.spheres
        # the partition found is the chemists' one
        found = bis_tridentate_partitions(s, [sphere])[0]
        named = {frozenset(s.labels[sphere.donors[i].site] for i in g) for g in found}
        assert named == {frozenset(g) for g in QSAL_LIGANDS}
        assert row.halcrow_theta == pytest.approx(theta_by_hand(sphere, s), abs=1e-9)
        assert 0 < row.halcrow_theta_su < 1.0


def test_phi_of_a_bis_terpyridine_like_cobalt(shared):
    """4302333: Co1 between two N,N,N ligands (N2, N3, N4 and N7, N8, N9); the central
    donors are N3 and N8, trans in the authors' loop: 178.3(6)°."""
    (s,) = coordgeo.read(shared / "cifs/published/4302333-Ortho-and-missing-braces.cif")
    sites = analyse_structure(s, Options()).sites.set_index("metal")
    value, su = published_angle(s, "N3", "Co1", "N8")
    assert abs(sites.loc["Co1", "halcrow_phi"] - value) <= 0.05 + 0.25 * su
    assert 80 < sites.loc["Co1", "halcrow_theta"] <= 90


@pytest.mark.parametrize(
    ("name", "metal"),
    [
        # bis(cis-inositol-κ³O,O,O)sodium: two tridentate ligands, facial (all O–Na–O cis)
        ("2019572.cif", "Na1"),
        # bis(di-2-pyridylmethanediol-κ³N,O,N')copper(II): facial too
        ("2205051_cif_molecule.cif", "Cu1"),
    ],
)
def test_no_phi_for_facial_tridentate_ligands(shared, name, metal):
    (s,) = coordgeo.read(shared / "cifs/published" / name)
    sites = analyse_structure(s, Options()).sites
    row = sites[sites["metal"] == metal].iloc[0]
    assert row["coordination_number"] == 6
    assert math.isnan(row["halcrow_phi"]) and math.isnan(row["halcrow_theta"])
    assert math.isnan(row["halcrow_phi_su"]) and math.isnan(row["halcrow_theta_su"])


def test_no_phi_without_two_tridentate_ligands():
    """Seed 000, compound 1 (the shipped core): Fe1 has two bidentate N,N ligands (N1, N2
    and their images) and two cyanide N3: no φ, no θ."""
    from pathlib import Path

    core = Path(__file__).resolve().parents[1] / "cifs" / "seed000_compound1_100K_core.cif"
    (s,) = coordgeo.read(core)
    sites = analyse_structure(s, Options()).sites
    fe1 = sites[sites["metal"] == "Fe1"].iloc[0]
    assert fe1["coordination_number"] == 6 and math.isnan(fe1["halcrow_phi"])


@pytest.mark.filterwarnings("ignore:.*not UTF-8")  # 1a.cif, read as Windows-1252
def test_component_screen_keeps_every_bis_tridentate_sphere(shared, monkeypatch):
    """bis_tridentate_partitions tests symmetry images only for spheres whose donors lie in
    two components of three (or one) of the ligands' bond graph. The screen must not lose
    a sphere: with every site put in one component (every sphere tested in full, as before
    the screen) the partitions of the corpus's six-coordinate structures are the same, and
    among them are the bis(tridentate) Co1 of 4302333 and Fe1 of the qsal salt (found)
    and the facial Na1 of 2019572 (not)."""
    import importlib

    from coordgeo.coordination import coordination_spheres

    hbonds = importlib.import_module("coordgeo.hbonds")  # the module, not coordgeo.hbonds()

    names = ["4302333-Ortho-and-missing-braces.cif", "2019572.cif", "2205051_cif_molecule.cif"]
    paths = [shared / "cifs/published" / name for name in names]
    paths += sorted((shared / "cifs/spin-crossover").glob("*.cif"))
    paths += sorted((shared / "cifs/published").glob("1*.cif"))[:25]
    jobs = [
        (s, sp)
        for path in paths
        for s in coordgeo.read(path)
        if (sp := coordination_spheres(s)) and any(x.coordination_number == 6 for x in sp)
    ]
    screened = [bis_tridentate_partitions(s, sp) for s, sp in jobs]
    monkeypatch.setattr(hbonds, "molecule_components", lambda s, b: np.zeros(len(s), int))
    every = [bis_tridentate_partitions(s, sp) for s, sp in jobs]
    assert screened == every
    assert sum(len(p) for p in screened) >= 2  # Co1 of 4302333, Fe1 of the qsal salt
