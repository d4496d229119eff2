"""Coordination spheres a crystallographer trusts (issue 13, item 1).

Each rule of :mod:`coordgeo.coordination` on the published CIFs where it matters (files
found by scanning ``../shared/cifs/published``) and on small hand-built CIFs whose
geometry is derived in the comments.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from typer.testing import CliRunner

import coordgeo
from coordgeo.cli.app import app
from coordgeo.coordination import (
    MM_TOLERANCE,
    _one_direction,
    bond_contacts,
    bonds,
    coordination_spheres,
    is_information,
)
from coordgeo.elements import covalent_radius, is_metal
from coordgeo.geometry import atom_label

from cifs_for_tests import write


def _read(shared, name, block=None):
    structures = coordgeo.read(shared / "cifs" / "published" / name)
    return structures if block is None else next(s for s in structures if s.block == block)


def _spheres_by_label(structure, **kw):
    out: dict[str, list] = {}
    for sp in coordination_spheres(structure, **kw):
        out.setdefault(structure.labels[sp.metal], []).append(sp)
    return out


def _donor_elements(structure, sphere):
    return Counter(structure.elements[a.site] for a in sphere.donors)


# --- (a) metal–metal -----------------------------------------------------------------------


def test_o_bridged_fe_dimer_is_six_coordinate(shared):
    # [Fe2(μ-O)2 ...](OTf)2: Fe1···Fe1' 3.086 Å is beyond 2·r_cov(Fe) + 0.10 = 2.74 Å and
    # the two μ-O make Fe–O–Fe ≈ 98°: no Fe–Fe bond. The authors' bond loop has none.
    for name in ("ic0485312si20041025_103940_5.cif", "ic0485312si20041025_103940_5-ED.cif"):
        (s,) = _read(shared, name)
        (sp,) = _spheres_by_label(s)["Fe1"]
        assert sp.coordination_number == 6
        assert _donor_elements(s, sp) == {"N": 4, "O": 2}
        fe_fe = [
            (r["atom_site_label_1"], r["atom_site_label_2"])
            for _, r in s.geom["bond"].frame().iterrows()
            if r["atom_site_label_1"].startswith("Fe") and r["atom_site_label_2"].startswith("Fe")
        ]
        assert fe_fe == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # Sr2MoO4-type oxide at 673 K: MoO6 octahedra, Sr with oxygen only (CN 14–26 before)
        ("2300577.cif", {"Mo1": {"O": 6}, "Mo2": {"O": 6}, "Sr1": {"O": 12}}),
        # cubic BaTiO3: TiO6 octahedron and the BaO12 cuboctahedron of the perovskite
        ("aiida_exported.cif", {"Ti1": {"O": 6}, "Ba1": {"O": 12}}),
        # K3NaSn3Se8: selenide donors only (K···K, K···Na and Sn···Na were counted)
        ("2011406-xy-simple-fract.cif", {"K1": {"Se": 8}, "Na": {"Se": 4}, "Sn2": {"Se": 4}}),
        # KAsF6: twelve F; As lies behind the F bonded to it, and is no donor of K
        ("2003120.cif", {"K": {"F": 12}}),
        # Rb/Mn arsenate: Rb···Mn3 3.885 Å is a cation–cation contact
        ("br6138.cif", {"Rb": {"O": 8}, "Mn3": {"O": 6}}),
    ],
)
def test_no_cation_cation_bonds_in_oxides_and_salts(shared, name, expected):
    (s,) = _read(shared, name)
    spheres = _spheres_by_label(s)
    for label, donors in expected.items():
        (sp,) = spheres[label]
        assert dict(_donor_elements(s, sp)) == donors, label
    for sps in spheres.values():
        for sp in sps:
            assert not any(is_metal(s.elements[a.site]) for a in sp.donors)


def test_ru_ru_paddle_wheel_bonds_are_kept(shared):
    # Ru2(O2CR)4 paddle-wheels: Ru–Ru 2.302 Å (1518798) and 2.304 Å (ja063963), far inside
    # 2·1.46 + 0.10 = 3.02 Å and bridged by carboxylates, not by single atoms
    for name, label in (("1518798.cif", "Ru1B"), ("ja063963ssi20060606_082513.cif", "Ru(1)")):
        (s,) = _read(shared, name)
        (sp,) = _spheres_by_label(s)[label]
        ru = [d for a, d in zip(sp.donors, sp.distances, strict=True) if s.elements[a.site] == "Ru"]
        assert len(ru) == 1 and ru[0] == pytest.approx(2.30, abs=0.01)


def test_intermetallic_keeps_its_metal_metal_coordination(shared):
    # Ni–Sn–Zn intermetallic (no anions at all): Zn1 in a Ni6Sn6 icosahedron-like CN 12,
    # Sn2 with eight Ni, as in the structure description
    (s,) = _read(shared, "2018417.cif")
    spheres = _spheres_by_label(s)
    assert dict(_donor_elements(s, spheres["Zn1"][0])) == {"Ni": 6, "Sn": 6}
    assert dict(_donor_elements(s, spheres["Sn2"][0])) == {"Ni": 8}


# Carboxylate paddle-wheels built by hand (P1, a = 20 Å): M at z = ±d(M–M)/2; per M four O
# at (±x, 0, ±1.100) and (0, ±x, ±1.100) Å with x = √(d(M–O)² − (d(M–M)/2 − 1.1)²); C at
# (±(x + 0.6145), 0, 0), (0, ±(x + 0.6145), 0): C–O = √(0.6145² + 1.1²) = 1.260 Å.
# Cu: d(Cu–Cu) 2.614 Å (copper(II) acetate hydrate: 2.616 Å), Cu–O 1.970 → x = 1.959,
# Cu···C = √(2.5735² + 1.307²) = 2.886 Å > 1.32 + 0.73 + 0.45; Cu–Cu ≤ 2·1.32 + 0.10 = 2.74,
# but the two Cu of a paddle-wheel (≥ 2 O–C–O bridges, whatever the Cu···Cu) are not bonded
# (bond order 0, rule 5): CN 4, the Cu···Cu noted. ``bridges`` < 4 leaves out the C of the
# last positions (their O stay, no longer bridged: O–O 2.2 Å > 2·0.66 + 0.45); ``positions``
# < 4 leaves out the last positions altogether; ``donor`` N makes them N–C–N bridges.
# Ru: d(Ru–Ru) 2.3400 Å (seed 003, Table S1: Ru(1)–Ru(1A) 2.3400(8) Å), Ru–O 2.020 →
# x = 2.0188, Ru···C = 2.882 Å > 2.64; Ru–Ru ≤ 2·1.46 + 0.10 = 3.02. No single-atom bridge
# (O···M′ = √(x² + (d/2 + 1.1)²) = 3.10 and 3.04 Å): the M–M bond counts, CN 5.
def _paddle_wheel(
    metal: str, mm: float, m_o: float, bridges: int = 4, donor: str = "O", positions: int = 4
) -> str:
    a = 20.0
    h = mm / 2
    x = math.sqrt(m_o**2 - (h - 1.1) ** 2)
    atoms = [(f"{metal}1", metal, (0, 0, h)), (f"{metal}2", metal, (0, 0, -h))]
    for k, (sx, sy) in enumerate(((1, 0), (-1, 0), (0, 1), (0, -1))[:positions], start=1):
        if k <= bridges:
            atoms.append((f"C{k}", "C", ((x + 0.6145) * sx, (x + 0.6145) * sy, 0.0)))
        for sz in (1, -1):
            label = f"{donor}{k}{'a' if sz > 0 else 'b'}"
            atoms.append((label, donor, (x * sx, x * sy, 1.1 * sz)))
    rows = "\n".join(
        f"{lab} {el} {0.5 + px / a:.6f} {0.5 + py / a:.6f} {0.5 + pz / a:.6f}"
        for lab, el, (px, py, pz) in atoms
    )
    return (
        "data_paddle\n_cell_length_a 20\n_cell_length_b 20\n_cell_length_c 20\n"
        "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
        "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n"
        f"_atom_site_fract_y\n_atom_site_fract_z\n{rows}\n"
    )


def test_metal_metal_bond_of_a_carboxylate_paddle_wheel(tmp_path):
    metal, mm, m_o = "Ru", 2.3400, 2.020
    (s,) = coordgeo.read(write(tmp_path, "paddle.cif", _paddle_wheel(metal, mm, m_o)))
    spheres = _spheres_by_label(s)
    for label in (f"{metal}1", f"{metal}2"):
        (sp,) = spheres[label]
        assert dict(_donor_elements(s, sp)) == {"O": 4, metal: 1}
        assert sp.distances[0] == pytest.approx(m_o, abs=1e-3)
        assert sp.distances[-1] == pytest.approx(mm, abs=1e-3)
        assert sp.notes == ()
    assert 2 * covalent_radius(metal) + MM_TOLERANCE >= mm


def test_copper_paddle_wheel_has_no_cu_cu_bond_but_notes_it(tmp_path):
    # The Cu paddle-wheel of the comment above _paddle_wheel: the same distances as the Ru
    # one passes (Cu–Cu 2.614 Å ≤ 2.74 Å, no single-atom bridge), yet Cu(II)–Cu(II) is no
    # bond: each Cu has the four O (1.970 Å), CN 4, and a note naming the other Cu.
    (s,) = coordgeo.read(write(tmp_path, "paddle.cif", _paddle_wheel("Cu", 2.614, 1.970)))
    spheres = _spheres_by_label(s)
    for label, other in (("Cu1", "Cu2"), ("Cu2", "Cu1")):
        (sp,) = spheres[label]
        assert dict(_donor_elements(s, sp)) == {"O": 4}
        assert sp.distances == pytest.approx((1.970,) * 4, abs=1e-3)
        (note,) = sp.notes
        assert (
            note.startswith(f"{label}···{other} 2.614 Å: Cu–Cu contact") and "bond order 0" in note
        )
    b = bonds(s)
    assert not (b.atom1.str.startswith("Cu") & b.atom2.str.startswith("Cu")).any()
    # Cu···Cu 2.90 Å (x = √(1.970² − 0.35²) = 1.9387; Cu···C 2.936, O···Cu′ 3.203 Å: no
    # other contact) is beyond 2·1.32 + 0.10 = 2.74 Å (rule 2): no bond, and no note
    (s,) = coordgeo.read(write(tmp_path, "long.cif", _paddle_wheel("Cu", 2.90, 1.970)))
    for sps in _spheres_by_label(s).values():
        (sp,) = sps
        assert dict(_donor_elements(s, sp)) == {"O": 4} and sp.notes == ()


@pytest.mark.parametrize("cu_cu", [2.420, 2.497])
def test_copper_i_amidinate_dimer_has_no_cu_cu_bond(tmp_path, cu_cu):
    # [Cu(RNC(H)NR)]₂, a Cu(I) formamidinate dimer: two N–C–N bridges trans (positions 1,
    # 2 of _paddle_wheel with N donors), Cu–N 1.880 Å, each Cu linear N–Cu–N. Cu···Cu
    # 2.497 Å is Cotton, Feng, Matusz & Poli's di-p-tolylformamidinate (J. Am. Chem. Soc.
    # 1988, 110, 7077), 2.42 Å the ALD amidinates (Li, Barry & Gordon, Inorg. Chem. 2005,
    # 44, 1728): a d¹⁰–d¹⁰ cuprophilic contact the bridges impose, no bond. At 2.420 Å:
    # x = √(1.88² − 0.11²) = 1.876779 Å; Cu···C = √(2.491279² + 1.21²) = 2.7696 Å >
    # 1.32 + 0.73 + 0.45 = 2.50; N···Cu′ = √(x² + 2.31²) = 2.9763 Å > 1.32 + 0.71 + 0.45
    # = 2.48 (no single-atom bridge); Cu–Cu ≤ 2·1.32 + 0.10 = 2.74 (rule 2 holds): only
    # rule 5 removes it (before review 7 it needed Cu···Cu ≥ 2.45 Å, and 2.420 was CN 3).
    text = _paddle_wheel("Cu", cu_cu, 1.880, bridges=2, donor="N", positions=2)
    (s,) = coordgeo.read(write(tmp_path, "amidinate.cif", text))
    for label, other in (("Cu1", "Cu2"), ("Cu2", "Cu1")):
        (sp,) = _spheres_by_label(s)[label]
        assert dict(_donor_elements(s, sp)) == {"N": 2}
        assert sp.distances == pytest.approx((1.880,) * 2, abs=1e-3)
        (note,) = sp.notes
        assert note.startswith(f"{label}···{other} {cu_cu:.3f} Å: Cu–Cu contact")
        assert "d¹⁰–d¹⁰ cuprophilic" in note and is_information(note)
    # a Cu(II) carboxylate paddle-wheel at 2.440 Å (below the old 2.45 Å cut) is no bond
    (s,) = coordgeo.read(write(tmp_path, "pw.cif", _paddle_wheel("Cu", 2.440, 1.970)))
    for (sp,) in _spheres_by_label(s).values():
        assert dict(_donor_elements(s, sp)) == {"O": 4} and len(sp.notes) == 1


def test_copper_pair_with_one_carboxylate_bridge_keeps_its_bond(tmp_path):
    # Rule 5 is the paddle-wheel's: two Cu bridged by at least two X–C–X ligands. The Cu
    # paddle-wheel above with the C of three positions left out (one O–C–O bridge, the
    # other O plain donors at 1.970 Å): rules 1–4 decide, as for any metal pair, and keep
    # the Cu–Cu 2.614 Å (≤ 2.74 Å, no single-atom bridge): CN 5 (O4Cu), no note.
    (s,) = coordgeo.read(write(tmp_path, "one.cif", _paddle_wheel("Cu", 2.614, 1.970, 1)))
    for label in ("Cu1", "Cu2"):
        (sp,) = _spheres_by_label(s)[label]
        assert dict(_donor_elements(s, sp)) == {"O": 4, "Cu": 1} and sp.notes == ()
        assert sp.distances == pytest.approx((1.970,) * 4 + (2.614,), abs=1e-3)


def test_mixed_valent_dicopper_core_keeps_its_cu_cu_bond(tmp_path):
    # The [Cu₂]³⁺ core of the octaazacryptate [Cu₂(L)]³⁺ has a Cu–Cu σ bond (bond order ½,
    # Cu–Cu 2.364–2.42 Å: Barr et al., J. Chem. Soc., Chem. Commun. 1993, 1649; Farrar et
    # al., J. Chem. Soc., Dalton Trans. 1997, 4083), no X–C–X bridge: no paddle-wheel.
    # Hand-made core in a 10 Å cubic P-1 cell (Cartesian = 10 × fractional): Cu1
    # (0, 0, 1.18), its inversion image (0, 0, −1.18): Cu–Cu 2.360 Å ≤ 2·1.32 + 0.10 = 2.74.
    # Three N at (2, 0, 1.4), (−1, ±1.7321, 1.4): Cu–N1 = √(2² + 0.22²) = √4.0484 = 2.012064 Å,
    # Cu–N2, N3 = √(1 + 1.7321² + 0.22²) = √4.04857041 = 2.012106 Å; an axial
    # N (0, 0, 3.28): 2.100 Å. N···Cu′ ≥ √(2² + 2.58²) = 3.264 Å > 1.32 + 0.71 + 0.45 = 2.48:
    # no single-atom bridge. Expected CN 5 (N4 + Cu1_2_555 at 2.360 Å), no note; until
    # rule 5 went by element (cc88e26) the core lost its Cu–Cu (CN 4, a paddle-wheel note).
    text = (
        "data_cu2core\n_cell_length_a 10\n_cell_length_b 10\n_cell_length_c 10\n"
        "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
        "loop_\n_space_group_symop_operation_xyz\nx,y,z\n-x,-y,-z\n"
        "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n"
        "_atom_site_fract_y\n_atom_site_fract_z\n"
        "Cu1 Cu 0 0 0.118\nN1 N 0.2 0 0.14\nN2 N -0.1 0.17321 0.14\n"
        "N3 N -0.1 -0.17321 0.14\nN4 N 0 0 0.328\n"
    )
    (s,) = coordgeo.read(write(tmp_path, "cu2core.cif", text))
    (sp,) = coordination_spheres(s)
    assert [atom_label(s, a) for a in sp.donors] == ["N1", "N2", "N3", "N4", "Cu1_2_555"]
    assert sp.distances == pytest.approx((2.012064, 2.012106, 2.012106, 2.1, 2.36), abs=1e-6)
    assert sp.notes == ()


def test_centred_copper_cluster_keeps_its_cu_cu_bonds(tmp_path):
    # A centred Cu₁₃ phosphine cluster (hand-made): Cu0 at the centre of a 20 Å P1 cell,
    # twelve Cu at the vertices of an icosahedron of circumradius R = 2.50 Å, i.e.
    # (0, ±1, ±φ), (±1, ±φ, 0), (±φ, 0, ±1) × R/√(1 + φ²); edge R/sin 72° = 2.6287 Å
    # ≤ 2·1.32 + 0.10 = 2.74 Å; a P on each vertex's radius 2.25 Å beyond it (4.75 Å from
    # the centre; P···Cu of a neighbouring vertex √(4.75² + 2.5² − 2·4.75·2.5/√5) = 4.27 Å
    # > 1.32 + 1.07 + 0.45). The core Cu has no donors of its own and keeps every metal
    # neighbour (docs/coordination.md): CN 12, twelve Cu at 2.50 Å; each shell Cu has P,
    # the core and five shell Cu: CN 7; no X–C–X bridge, so no paddle-wheel and no note.
    phi = (1 + math.sqrt(5)) / 2
    unit = []
    for a, b in ((1, phi), (1, -phi), (-1, phi), (-1, -phi)):
        unit += [(0, a, b), (a, b, 0), (b, 0, a)]
    scale = 2.50 / math.sqrt(1 + phi**2)
    rows = ["Cu0 Cu 0.5 0.5 0.5"]
    for k, v in enumerate(unit, start=1):
        for element, r in (("Cu", 1.0), ("P", 4.75 / 2.50)):
            x, y, z = (0.5 + c * scale * r / 20 for c in v)
            rows.append(f"{element}{k} {element} {x:.8f} {y:.8f} {z:.8f}")
    text = (
        "data_cu13\n_cell_length_a 20\n_cell_length_b 20\n_cell_length_c 20\n"
        "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
        "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n"
        "_atom_site_fract_y\n_atom_site_fract_z\n" + "\n".join(rows) + "\n"
    )
    (s,) = coordgeo.read(write(tmp_path, "cu13.cif", text))
    spheres = _spheres_by_label(s)
    (core,) = spheres.pop("Cu0")
    assert dict(_donor_elements(s, core)) == {"Cu": 12} and core.notes == ()
    assert core.distances == pytest.approx((2.50,) * 12, abs=1e-5)
    assert len(spheres) == 12
    for (sp,) in spheres.values():
        assert dict(_donor_elements(s, sp)) == {"P": 1, "Cu": 6} and sp.notes == ()
        assert sp.distances == pytest.approx((2.25, 2.50) + (2.628655,) * 5, abs=1e-5)


# [Cu2(O2CH)4(OH2)2], copper(II) formate paddle-wheel with apical water, on the inversion
# centre of a 10 Å cubic P-1 cell (Cartesian = 10 × fractional): Cu1 (0, 0, 1.308), the
# other Cu its inversion image at (0, 0, −1.308): Cu···Cu 2.616 Å (copper(II) acetate
# hydrate, van Niekerk & Schoening, Acta Cryst. 1953, 6, 227: 2.64 Å). Four O at
# (±1.96, 0, 1.108), (0, ±1.96, 1.108): Cu 0.200 Å out of the O4 plane towards the water, Cu–O
# = √(1.96² + 0.2²) = √3.8816 = 1.970178 Å; formate C (±2.56, 0, 0), (0, ±2.56, 0) bridging
# O1 and the image of O2 (C–O = √(0.6² + 1.108²) = 1.2600 Å, O–C–O 123.1°); water O5 at
# (0, 0, 3.468): Cu–O5 2.160 Å. Literature and SHAPE users: a CuO4(OH2) square pyramid,
# the Cu···Cu given apart. Expected: CN 5 (four O at 1.970178, O5 at 2.160),
# ⟨d⟩ = (4 × 1.970178 + 2.160)/5 = 2.008142 Å; the two widest O–Cu–O angles are the trans
# basal pairs, both cos⁻¹((0.04 − 3.8416)/3.8816) = 168.347°, so τ5 = (β − α)/60 = 0;
# Σ and Θ are octahedral parameters (NaN at CN 5). CShM with the central atom (cosymlib
# 0.12.1, Shape(Geometry([Cu, O1…O5])).measure(label, central_atom=1), run for this
# geometry): SPY-5 0.397635, vOC-5 0.610445, TBPY-5 5.850544. Before this rule the Cu had
# CN 6 (Cu among the donors: ⟨d⟩ 2.1095, Σ 48.97°, OC-6 1.055), a CuO5Cu "octahedron".
PADDLE_WHEEL_P1BAR = (
    "data_cu_formate\n_cell_length_a 10\n_cell_length_b 10\n_cell_length_c 10\n"
    "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
    "loop_\n_space_group_symop_operation_xyz\nx,y,z\n-x,-y,-z\n"
    "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n"
    "_atom_site_fract_y\n_atom_site_fract_z\n"
    "Cu1 Cu 0 0 0.1308\nO1 O 0.196 0 0.1108\nO2 O -0.196 0 0.1108\n"
    "O3 O 0 0.196 0.1108\nO4 O 0 -0.196 0.1108\nC1 C 0.256 0 0\nC2 C 0 0.256 0\n"
    "O5 O 0 0 0.3468\n"
)


def test_copper_paddle_wheel_is_a_square_pyramid(tmp_path):
    (s,) = coordgeo.read(write(tmp_path, "cu_formate.cif", PADDLE_WHEEL_P1BAR))
    (sp,) = coordination_spheres(s)
    assert sorted(s.labels[a.site] for a in sp.donors) == ["O1", "O2", "O3", "O4", "O5"]
    assert sp.distances == pytest.approx((1.970178,) * 4 + (2.160,), abs=1e-6)
    (note,) = sp.notes
    assert note.startswith("Cu1···Cu1_2_555 2.616 Å: Cu–Cu contact")
    (row,) = coordgeo.octahedra(s).to_dict("records")
    assert row["coordination_number"] == 5
    assert row["d_mean"] == pytest.approx(2.008142, abs=1e-6)
    assert row["tau5"] == pytest.approx(0.0, abs=1e-9)
    assert np.isnan(row["Sigma"]) and np.isnan(row["Theta"])
    assert row["cshm_spy5"] == pytest.approx(0.397635, abs=1e-6)
    assert row["cshm_voc5"] == pytest.approx(0.610445, abs=1e-6)
    assert row["cshm_tbpy5"] == pytest.approx(5.850544, abs=1e-6)


@pytest.mark.parametrize("command", ["sphere", "octahedra"])
def test_paddle_wheel_note_is_information_not_a_warning(tmp_path, command):
    # The Cu···Cu of every paddle-wheel (one per Cu site of a Cu-MOF) is routine chemistry:
    # the CLI prints the sphere's note under the table, as the sites' reasons, and no
    # "coordgeo: warning:" line on stderr; the note stays in Sphere.notes (above).
    path = write(tmp_path, "cu_formate.cif", PADDLE_WHEEL_P1BAR)
    result = CliRunner().invoke(app, [command, str(path)])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr and "Cu–Cu" not in result.stderr
    line = "  cu_formate Cu1···Cu1_2_555 2.616 Å: Cu–Cu contact of a paddle-wheel"
    assert sum(x.startswith(line) for x in result.stdout.splitlines()) == 1, result.stdout


# --- (b) atoms behind a κ² donor pair -----------------------------------------------------


def _ring(metal: str, m_o: float, bite: float, x_o: float, centre: str, offset) -> list:
    """A planar M(κ²-O2X) four-membered ring in the xy plane, X on +x.

    O at (m_o·cos(bite/2), ±m_o·sin(bite/2)); X–O = x_o puts X at
    m_o·cos(bite/2) + √(x_o² − (m_o·sin(bite/2))²) on the axis.
    """
    h = math.radians(bite / 2)
    ox, oy = m_o * math.cos(h), m_o * math.sin(h)
    cx = ox + math.sqrt(x_o**2 - oy**2)
    return [
        (f"{metal}1", metal, offset),
        ("O1" + metal, "O", (offset[0] + ox, offset[1] + oy, offset[2])),
        ("O2" + metal, "O", (offset[0] + ox, offset[1] - oy, offset[2])),
        (centre + metal, centre, (offset[0] + cx, offset[1], offset[2])),
    ], cx


def test_central_atom_of_a_chelating_small_anion_is_not_a_donor(tmp_path):
    # κ²-carbonato Co: Co–O 1.92 Å, bite 68°, C–O 1.31 Å → Co···C = 1.5918 + 0.7505 =
    # 2.342 Å (< 1.26 + 0.73 + 0.45 = 2.44: it was a donor, CN 7); ∠Co–O–C = 90.9°.
    # κ²-nitrato Fe: Fe–O 2.00, bite 62°, N–O 1.27 → Fe···N = 1.7143 + √(1.6129 − 1.0609)
    # = 1.7143 + 0.7430 = 2.457 Å (< 1.32 + 0.71 + 0.45 = 2.48).
    # κ²-formato Zn: Zn–O 2.05, bite 64.2°, C–O 1.26 → Zn···C 2.369 Å (< 2.40).
    # Each metal has four more donors (N at 1.96–2.10 Å along ±z and −x, ±y-ish) so the
    # expected CN is 6 for Co and Fe; Zn keeps its two O only (CN 2).
    atoms = []
    far = []
    for k, (metal, m_o, bite, x_o, centre, n_dist) in enumerate(
        [("Co", 1.92, 68.0, 1.31, "C", 1.96), ("Fe", 2.00, 62.0, 1.27, "N", 2.10)]
    ):
        offset = (5.0 + 10.0 * k, 5.0, 5.0)
        ring, cx = _ring(metal, m_o, bite, x_o, centre, offset)
        far.append(cx)
        atoms += ring
        for j, v in enumerate(((0, 0, 1), (0, 0, -1), (-0.5, 0.866, 0), (-0.5, -0.866, 0))):
            atoms.append(
                (f"N{j}{metal}", "N", tuple(o + n_dist * c for o, c in zip(offset, v, strict=True)))
            )
    ring, cx = _ring("Zn", 2.05, 64.2, 1.26, "C", (5.0, 15.0, 15.0))
    far.append(cx)
    atoms += ring
    assert far == pytest.approx([2.342, 2.457, 2.369], abs=2e-3)
    rows = "\n".join(
        f"{lab} {el} {x / 20:.6f} {y / 20:.6f} {z / 20:.6f}" for lab, el, (x, y, z) in atoms
    )
    text = (
        "data_k2\n_cell_length_a 20\n_cell_length_b 20\n_cell_length_c 20\n"
        "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
        "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n"
        f"_atom_site_fract_y\n_atom_site_fract_z\n{rows}\n"
    )
    (s,) = coordgeo.read(write(tmp_path, "k2.cif", text))
    spheres = _spheres_by_label(s)
    assert dict(_donor_elements(s, spheres["Co1"][0])) == {"O": 2, "N": 4}
    assert dict(_donor_elements(s, spheres["Fe1"][0])) == {"O": 2, "N": 4}
    assert dict(_donor_elements(s, spheres["Zn1"][0])) == {"O": 2}
    assert any("CCo" in n and "behind a donor" in n for n in spheres["Co1"][0].notes)
    # the bond table agrees: C, N are bonded to their O only
    b = bonds(s)
    assert not ((b.atom1 == "Co1") & (b.atom2 == "CCo")).any()
    assert ((b.atom1 == "O1Co") & (b.atom2 == "CCo")).any()


def test_borate_boron_behind_oxygen_donors(shared):
    # DyBO3: B at 2.74–3.19 Å from Dy, bonded to O donors of Dy: Dy keeps eight O
    (s,) = _read(shared, "2014429-greek-chemname.cif")
    spheres = _spheres_by_label(s)
    for label in ("Dy1", "Dy2"):
        (sp,) = spheres[label]
        assert dict(_donor_elements(s, sp)) == {"O": 8}
        assert any(n.startswith("B") for n in sp.notes)


# --- (c) disorder without labels, mixed sites, occupancy as multiplicity ------------------


def test_mixed_v_w_sites_are_one_site_with_fractions(shared):
    # Al13 Keggin salt of [V2W4O19]: V/W share nine positions (occupancies sum to 0.99–1.01).
    # One sphere per position, MO6, with the element fractions (CN 10 with V/W "donors" before)
    (s,) = _read(shared, "1101169.cif")
    spheres = _spheres_by_label(s)
    assert "V1" not in spheres and "W1" in spheres
    (w1,) = spheres["W1"]
    assert w1.element_fractions == (("W", 0.683), ("V", 0.309))
    assert dict(_donor_elements(s, w1)) == {"O": 6}
    assert spheres["V7"][0].element_fractions == (("V", 0.648), ("W", 0.352))
    mixed = [sp for sps in spheres.values() for sp in sps if sp.element_fractions]
    assert len(mixed) == 9


def test_mixed_la_y_site(shared):
    # (La,Y)Sc3(BO3)4-type borate: La 0.72 / Y 0.28 on one site, Sc 0.903 / Y 0.097 on another
    (s,) = _read(shared, "1100933-modif-enums.cif")
    spheres = _spheres_by_label(s)
    assert "Y1" not in spheres and "Y2" not in spheres
    assert spheres["La"][0].element_fractions == (("La", 0.72), ("Y", 0.28))
    assert dict(_donor_elements(s, spheres["La"][0])) == {"O": 6}
    assert dict(_donor_elements(s, spheres["Sc"][0])) == {"O": 6}


def _fac_n3s3_two_orientations() -> str:
    # fac-Co(N3S3), Co–N 2.00, Co–S 2.30 Å along the octahedral axes (N on +x, +y, +z, S on
    # −x, −y, −z), occupancy 0.6; the second orientation (0.4) is the first turned by 40°
    # about [111]: each donor moves by 2·r·sin 20°·sin 54.74° = 0.5585·r (1.117 Å for N,
    # 1.285 Å for S): further apart than 0.8 Å, so only the unlabelled-disorder rule
    # (complementary occupancies 0.6 + 0.4, closer than 1.9 Å, not bonded) separates them.
    # No PART labels. Without the rule: CN 12.
    axis = np.ones(3) / math.sqrt(3)
    t = math.radians(40)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    rot = np.eye(3) + math.sin(t) * k + (1 - math.cos(t)) * k @ k
    atoms = [("Co1", "Co", np.zeros(3), 1.0)]
    for name, occ, r in (("A", 0.6, np.eye(3)), ("B", 0.4, rot)):
        for j, v in enumerate(np.eye(3)):
            atoms.append((f"N{j}{name}", "N", r @ (2.0 * v), occ))
            atoms.append((f"S{j}{name}", "S", r @ (-2.3 * v), occ))
    rows = "\n".join(
        f"{lab} {el} {0.5 + x[0] / 20:.6f} {0.5 + x[1] / 20:.6f} {0.5 + x[2] / 20:.6f} {occ}"
        for lab, el, x, occ in atoms
    )
    return (
        "data_fac\n_cell_length_a 20\n_cell_length_b 20\n_cell_length_c 20\n"
        "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
        "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n"
        f"_atom_site_fract_y\n_atom_site_fract_z\n_atom_site_occupancy\n{rows}\n"
    )


def test_unlabelled_orientational_disorder_gives_configurations(tmp_path):
    (s,) = coordgeo.read(write(tmp_path, "fac.cif", _fac_n3s3_two_orientations()))
    spheres = coordination_spheres(s)
    assert sorted(sp.coordination_number for sp in spheres) == [6, 6]
    for sp in spheres:
        suffixes = {s.labels[a.site][-1] for a in sp.donors}
        assert len(suffixes) == 1  # one orientation per sphere
        assert dict(_donor_elements(s, sp)) == {"N": 3, "S": 3}
    assert sorted(sp.occupancy for sp in spheres) == [0.4, 0.6]


def test_occupancy_written_as_multiplicity(tmp_path):
    # "MgO" in P m -3 m with a 4 Å cell, Mg at the origin (site symmetry m-3m, order 48) and O at
    # (1/2,1/2,1/2) (order 48), occupancies 1/48 each. Formula Mg O, Z = 1: the cell must
    # hold 1 Mg + 1 O; the occupancies as written give 1/48 each. Read as 1.0 with a note.
    ops = gemmi_ops("P m -3 m")
    text = (
        "data_mgo\n_cell_length_a 4.2\n_cell_length_b 4.2\n_cell_length_c 4.2\n"
        "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
        "_chemical_formula_sum 'Mg O'\n_cell_formula_units_Z 1\n"
        "loop_\n_symmetry_equiv_pos_as_xyz\n" + "\n".join(f"'{o}'" for o in ops) + "\n"
        "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n"
        "_atom_site_fract_y\n_atom_site_fract_z\n_atom_site_occupancy\n"
        "Mg1 Mg 0 0 0 0.020833\nO1 O 0.5 0.5 0.5 0.020833\n"
    )
    (s,) = coordgeo.read(write(tmp_path, "mgo.cif", text))
    assert list(s.occupancy) == [pytest.approx(1.0, abs=1e-3)] * 2
    assert any("multiplicity" in n for n in s.notes)
    # a genuinely half-occupied atom on a two-fold site stays half occupied: here the
    # formula says 0.5 O per cell, which the occupancy as written already gives
    half = text.replace("'Mg O'", "'Mg O0.5'").replace(
        "O1 O 0.5 0.5 0.5 0.020833", "O1 O 0.5 0.5 0.5 0.0104165"
    )
    (s,) = coordgeo.read(write(tmp_path, "mgo_half.cif", half))
    assert s.occupancy[1] == pytest.approx(0.0104165)


def gemmi_ops(symbol: str) -> list[str]:
    import gemmi

    return [op.triplet() for op in gemmi.SpaceGroup(symbol).operations()]


# --- (d) PART −1 on a special position -----------------------------------------------------


def test_part_minus_one_on_a_two_fold_axis(shared):
    # [Co(15-crown-5)(H2O)2](NO3)2 at 323 K: Co1 on a two-fold axis, the crown disordered
    # about it (PART −1, occupancy 0.5), the water O6 (occupancy 1) and its image O6′ are
    # both present: pentagonal bipyramid, CN 7 (the formula moiety C10 H24 Co O7 2+)
    s = _read(shared, "bs5069-estimated-sg.cif", "CoZprime0.5")
    (sp,) = _spheres_by_label(s)["Co1"]
    labels = sorted(s.labels[a.site] for a in sp.donors)
    assert labels == ["O1", "O2", "O3", "O4", "O5", "O6", "O6"]
    assert sp.distances[0] == sp.distances[1] == pytest.approx(2.073, abs=1e-3)


# --- (e) more than 12 donors with anions: unresolved --------------------------------------


def test_more_than_twelve_anion_donors_is_flagged(tmp_path):
    # Ba with 14 O at 3.00 Å (six along the axes, eight along the cube diagonals; the
    # closest O···O is 2·3.00·sin(54.74°/2) = 2.76 Å): within 2.15 + 0.66 + 0.45 = 3.26 Å,
    # all fully occupied, no rule removes any. CN 14 with anion donors is no sphere.
    dirs = [sign * v for v in np.eye(3) for sign in (1, -1)]
    dirs += [np.array([1 if b else -1 for b in c]) / math.sqrt(3) for c in np.ndindex(2, 2, 2)]
    atoms = [("Ba1", "Ba", np.zeros(3))] + [(f"O{k}", "O", 3.0 * d) for k, d in enumerate(dirs)]
    rows = "\n".join(
        f"{lab} {el} {0.5 + x[0] / 20:.6f} {0.5 + x[1] / 20:.6f} {0.5 + x[2] / 20:.6f}"
        for lab, el, x in atoms
    )
    text = (
        "data_ba\n_cell_length_a 20\n_cell_length_b 20\n_cell_length_c 20\n"
        "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
        "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n"
        f"_atom_site_fract_y\n_atom_site_fract_z\n{rows}\n"
    )
    (s,) = coordgeo.read(write(tmp_path, "ba.cif", text))
    assert coordination_spheres(s) == []
    (sp,) = coordination_spheres(s, unresolved=True)
    assert sp.coordination_number == 14
    assert sp.problem.startswith("unresolved disorder")


def test_hapto_ligands_count_as_one_point_of_attachment(tmp_path):
    # A bent-metallocene-like Y with two η⁵-Cp, an O, a Cl and an S: 13 donor atoms, 4
    # points of attachment, no disorder (Cp₂Yb(THF)(η²-S₂), COD 4060304, was called
    # "unresolved disorder"). Hand derivation: Cp C on a circle of radius 1.20 Å at
    # z = ±2.30 Å → Y–C = √(1.20² + 2.30²) = 2.594 Å < 1.90 + 0.73 + 0.45 = 3.08 Å; ring
    # C–C = 2·1.20·sin 36° = 1.411 Å (bonded: 0.85·1.46 = 1.24 ≤ d ≤ 1.91); O at 2.40 Å
    # along +x, Cl 2.60 Å along −x, S 2.70 Å along +y; O···C ≥ √((2.40−1.20)² + 2.30²)
    # = 2.594 Å and Cl/S···C ≥ 2.6 Å, none bonded to a ring C.
    atoms = [("Y1", "Y", np.zeros(3))]
    for ring, z in ((1, 2.30), (2, -2.30)):
        for k in range(5):
            phi = math.radians(72 * k + (36 if ring == 2 else 0))
            atoms.append(
                (f"C{ring}{k}", "C", np.array([1.2 * math.cos(phi), 1.2 * math.sin(phi), z]))
            )
    atoms += [
        ("O1", "O", np.array([2.40, 0.0, 0.0])),
        ("Cl1", "Cl", np.array([-2.60, 0.0, 0.0])),
        ("S1", "S", np.array([0.0, 2.70, 0.0])),
    ]
    rows = "\n".join(
        f"{lab} {el} {0.5 + x[0] / 20:.6f} {0.5 + x[1] / 20:.6f} {0.5 + x[2] / 20:.6f}"
        for lab, el, x in atoms
    )
    text = (
        "data_cp2\n_cell_length_a 20\n_cell_length_b 20\n_cell_length_c 20\n"
        "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
        "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n"
        f"_atom_site_fract_y\n_atom_site_fract_z\n{rows}\n"
    )
    (s,) = coordgeo.read(write(tmp_path, "cp2.cif", text))
    (sp,) = coordination_spheres(s)
    assert sp.coordination_number == 13 and not sp.problem
    assert dict(_donor_elements(s, sp)) == {"C": 10, "O": 1, "Cl": 1, "S": 1}
    assert sorted(sp.distances)[1:11] == pytest.approx([2.594] * 10, abs=1e-3)  # O first


def test_silicon_of_a_bridging_silylamide_is_behind_its_n(tmp_path):
    # Na bound to the N of an N(SiMe3) group, one methyl C of that Si touching the Na
    # (CSD CIVREF: Na–N 2.45, Na···CH3 2.73, Na···Si 3.15 Å; the Si was a donor because
    # its methyl C is one). Hand derivation, all in the xy plane: N (2.45, 0), Si at
    # 1.71 Å from N with ∠Na–N–Si = 97° → Si = N + 1.71·(−cos 97°, sin 97°) = (2.6584,
    # 1.6972), Na–Si = 3.154 Å < 1.66 + 1.11 + 0.45 = 3.22; C with Na–C = 2.75 and Si–C =
    # 1.87: ∠Si–Na–C = arccos((2.75² + 3.154² − 1.87²)/(2·2.75·3.154)) = 36.1°, Si at
    # 32.55° → C at 68.65°: (1.0012, 2.5613). Na–C 2.75 < 1.66 + 0.73 + 0.45: a donor.
    # The Si lies behind N (97° ≥ 80°): not a donor; the C stays one.
    si = np.array([2.45 + 1.71 * math.cos(math.radians(83.0)), 1.71 * math.sin(math.radians(83.0))])
    assert math.hypot(*si) == pytest.approx(3.154, abs=1e-3)
    c = 2.75 * np.array([math.cos(math.radians(68.65)), math.sin(math.radians(68.65))])
    assert math.hypot(*(c - si)) == pytest.approx(1.87, abs=2e-3)
    atoms = [
        ("Na1", "Na", (0.0, 0.0)),
        ("N1", "N", (2.45, 0.0)),
        ("Si1", "Si", tuple(si)),
        ("C1", "C", tuple(c)),
    ]
    rows = "\n".join(
        f"{lab} {el} {0.5 + x / 20:.6f} {0.5 + y / 20:.6f} 0.500000" for lab, el, (x, y) in atoms
    )
    text = (
        "data_nasi\n_cell_length_a 20\n_cell_length_b 20\n_cell_length_c 20\n"
        "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
        "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n"
        f"_atom_site_fract_y\n_atom_site_fract_z\n{rows}\n"
    )
    (s,) = coordgeo.read(write(tmp_path, "nasi.cif", text))
    (sp,) = coordination_spheres(s)
    assert dict(_donor_elements(s, sp)) == {"N": 1, "C": 1}
    assert any("Si1" in n and "behind a donor" in n for n in sp.notes)


# --- bonds: one direction, vectorised; a singular operator is no traceback -----------------


def _one_direction_by_loop(structure, found) -> np.ndarray:
    """The former per-bond loop (np.linalg.inv per bond), as the reference."""
    seen: set = set()
    keep = np.zeros(len(found), dtype=bool)
    rot, tran = structure.rotations, structure.translations
    for k, (i, j, op, shift) in enumerate(
        zip(found.center, found.site, found.op, found.shift, strict=True)
    ):
        r = rot[op]
        t = tran[op] + shift
        key = (int(i), int(j), tuple(r.ravel()), tuple(np.round(t, 6) + 0.0))
        ri = np.rint(np.linalg.inv(r)).astype(int)
        rkey = (int(j), int(i), tuple(ri.ravel()), tuple(np.round(-ri @ t, 6) + 0.0))
        if rkey in seen or key in seen:
            continue
        seen.add(key)
        keep[k] = True
    return keep


@pytest.mark.parametrize(
    ("name", "block"),
    [
        ("bs5069-estimated-sg.cif", "CoZprime0.5"),
        ("2300577.cif", None),
        ("ja063963ssi20060606_082513.cif", None),
        ("2018417.cif", None),
    ],
)
def test_one_direction_vectorised_equals_the_loop(shared, name, block):
    s = _read(shared, name, block) if block else _read(shared, name)[0]
    found = bond_contacts(s)
    assert np.array_equal(_one_direction(s, found), _one_direction_by_loop(s, found))


def test_bonds_of_a_file_with_a_singular_operator_is_no_traceback(shared):
    # 2001507 lists the operator "x,y,x" (determinant 0): np.linalg.inv raised LinAlgError
    result = CliRunner().invoke(
        app, ["bonds", str(shared / "cifs" / "published" / "2001507_temperature_ambiant.cif")]
    )
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
