"""Families found running every door on published spin-crossover and molecular-magnetism
CIFs coordgeo had not seen (COD entries of cod-tools' tests, the MOF and complex CIFs of
mofchecker's tests: the Hofmann-type {Fe(L)[Au(CN)2]2} of CSD AXIPEE, the organocobalt
ammine dithionate CCDC 1246903). Each test writes a small CIF whose expected values are
derived by hand in its comment."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

from coordgeo import hbonds, octahedra
from coordgeo.errors import InputError
from coordgeo.io.cif import read_cif

from cifs_for_tests import P1BAR_SYMOPS, cubic_cif, write

# An Fe at the origin of a cubic P1 cell, a = 10 Å, with six O at ±0.2 along each axis:
# Fe–O = 0.2 × 10 = 2.000 Å each, an ideal FeO6 octahedron (CN 6). Every atom is labelled
# by its element only, as the P1 exports of Zeo++ and the CoRE MOF tools write them
# (mofchecker's axipee.cif: 8 × "Fe", 16 × "Au", …).
BARE_LABELS = cubic_cif(
    "bare",
    "Fe Fe 0 0 0\n"
    "O O 0.2 0 0\nO O -0.2 0 0\nO O 0 0.2 0\nO O 0 -0.2 0\nO O 0 0 0.2\nO O 0 0 -0.2\n",
)


def test_labels_that_repeat_as_bare_element_symbols_are_numbered_in_file_order(tmp_path):
    s = read_cif(write(tmp_path, "bare.cif", BARE_LABELS))[0]
    # "Fe" occurs once and is kept; the six "O" become O1 … O6 in the order of the loop
    assert s.labels == ("Fe", "O1", "O2", "O3", "O4", "O5", "O6")
    assert any("site labels repeat as bare element symbols (O ×6)" in n for n in s.notes)
    table = octahedra(s)
    assert table.coordination_number.tolist() == [6]
    assert sorted(table.donors.iloc[0].split()) == ["O1", "O2", "O3", "O4", "O5", "O6"]
    assert round(float(table.d_mean.iloc[0]), 3) == 2.000


def test_numbering_skips_a_label_the_block_already_uses(tmp_path):
    # "C", "C", "C1": the first "C" cannot become C1 (taken), so the two become C2, C3.
    text = cubic_cif("clash", "C C 0 0 0\nC C 0.5 0 0\nC1 C 0 0.5 0\n")
    assert read_cif(write(tmp_path, "clash.cif", text))[0].labels == ("C2", "C3", "C1")


def test_declared_oxidation_numbers_follow_the_numbered_labels(tmp_path):
    # Two "Fe" sites of type Fe2+: the declared states are keyed by the labels the sites
    # get (Fe1, Fe2), so the spin assignment finds them ("atom type" source).
    text = cubic_cif("ox", "Fe Fe2+ 0 0 0\nFe Fe2+ 0.5 0.5 0.5\n")
    s = read_cif(write(tmp_path, "ox.cif", text))[0]
    assert s.labels == ("Fe1", "Fe2")
    assert s.info["oxidation_numbers"] == "Fe1=+2 Fe2=+2"


@pytest.mark.parametrize(
    ("rows", "geom"),
    [
        # a numbered label written twice is a typing error, not an export convention
        ("Fe1 Fe 0 0 0\nFe1 Fe 0.5 0 0\n", ""),
        # the authors' own loop names "O": its rows could not tell the six O apart
        (
            "Fe Fe 0 0 0\nO O 0.2 0 0\nO O -0.2 0 0\n",
            "loop_\n_geom_bond_atom_site_label_1\n_geom_bond_atom_site_label_2\n"
            "_geom_bond_distance\nFe O 2.000(1)\n",
        ),
    ],
)
def test_repeated_labels_are_still_refused_where_they_cannot_be_told_apart(tmp_path, rows, geom):
    path = write(tmp_path, "dup.cif", cubic_cif("dup", rows) + geom)
    with pytest.raises(InputError, match="is used twice in _atom_site_label"):
        read_cif(path)


# The central S of a sulfate is no hydrogen-bond acceptor. Cubic P1 cell, a = 10 Å
# (coordinates ×10 = Å): S at the centre, O1 1.47 Å from it along x (S–O of sulfate),
# O2–O4 completing the tetrahedron (directions (−1/3, (√8/3)cos φ, (√8/3)sin φ), φ = 60°,
# 180°, 300°, × 1.47 Å). An N–H points at O1 from the side, the S–O1···H angle 110°:
# H1 = O1 + 2.0 Å·(cos 70°, sin 70°, 0) and N1 1.0 Å further on that line, so
# H1···O1 = 2.000 Å, N1···O1 = 3.000 Å, ∠N1–H1···O1 = 180°, and H1···S1 =
# |(1.47 + 0.684, 1.879, 0)| = 2.859 Å, inside the van der Waals sum H + S = 1.20 + 1.80 Å,
# at ∠N1–H1···S1 = 151°. The S has four O and no lone pair: only O1 accepts.
SULFATE_ROWS = (
    "S1 S 0.5 0.5 0.5\nO1 O 0.647 0.5 0.5\n"
    "O2 O 0.451 0.5693 0.62002\nO3 O 0.451 0.36141 0.5\nO4 O 0.451 0.5693 0.37998\n"
    "H1 H 0.7154 0.68794 0.5\nN1 N 0.74961 0.78191 0.5\n"
)


def test_the_central_s_of_a_sulfate_accepts_no_hydrogen_bond(tmp_path):
    table = hbonds(write(tmp_path, "so4.cif", cubic_cif("so4", SULFATE_ROWS)))
    assert table.acceptor.tolist() == ["O1"]
    assert round(float(table.d_ha.iloc[0]), 3) == 2.000
    assert round(float(table.d_da.iloc[0]), 3) == 3.000


def test_an_s_with_a_lone_pair_still_accepts(tmp_path):
    # The same N–H with O2–O4 removed: S1 keeps one O (a sulfoxide-like S with its lone
    # pair), so the 2.859 Å H1···S1 contact at 151° is a hydrogen bond beside H1···O1.
    rows = "\n".join(r for r in SULFATE_ROWS.splitlines() if not r.startswith(("O2", "O3", "O4")))
    table = hbonds(write(tmp_path, "so.cif", cubic_cif("so", rows + "\n")))
    got = dict(zip(table.acceptor, table.d_ha.round(3), strict=True))
    assert got == {"O1": 2.0, "S1": 2.859}


def _lattice_translates_in_one_molecule(path) -> list[tuple[str, str]]:
    """Pairs of nodes of one molecule of the structure graph that are the same site
    displaced by a whole lattice vector (1e-3 of a cell)."""
    import numpy as np

    from coordgeo.graph import structure_graph
    from coordgeo.io.cif import read_cif

    g = structure_graph(read_cif(path)[0], with_hbonds=False)
    seen: dict[tuple, str] = {}
    pairs = []
    for node, d in g.nodes(data=True):
        if d["role"] != "molecule":
            continue
        f = np.array([d["fx"], d["fy"], d["fz"]])
        key = (d["molecule"], d["site"], *np.round(np.mod(f + 1e-6, 1.0), 3) % 1.0)
        if key in seen:
            pairs.append((seen[key], node))
        seen.setdefault(key, node)
    return pairs


@pytest.mark.parametrize(
    ("name", "formula"),
    [
        # DyBO3 (chemical formula B Dy O3): the grown repeat unit holds Dy, B and O in
        # 1 : 1 : 3; before the fix one Dy came twice (B4 Dy5 O12).
        ("2014429-greek-chemname.cif", "B4 Dy4 O12"),
        # [Ru2(O2CCF3)4]2(TCNQF4): N8 is two TCNQF4 (N4 each), so four Ru2 units, Ru8
        # (F56 = 16 CF3 + 2 × C6F4); it read Ru12.
        ("ja063963ssi20060606_082513.cif", None),
    ],
)
def test_an_atom_and_its_lattice_translate_are_one_node(shared, name, formula):
    # The graph keyed positions by rounding x·10⁴ half-way between bins, and coordinates
    # printed with five decimals ending in 5 (0.06375) sit exactly there: the rounding
    # then depended on float noise, so an atom reached across a cell edge (1.06375 − 1)
    # and the atom itself got different keys and both became nodes of one molecule. CSD
    # ORIWET (Mn-MOF-74, mofchecker) grew a 19th O and was "not the compound" of COKNUN.
    from coordgeo.graph import structure_graph
    from coordgeo.io.cif import read_cif
    from coordgeo.series import compound_key

    path = shared / "cifs" / "published" / name
    assert _lattice_translates_in_one_molecule(path) == []
    s = read_cif(path)[0]
    key = compound_key(s, structure_graph(s, with_hbonds=False))
    if formula is not None:
        assert key == (formula,)
    else:
        assert any({"Ru8", "N8"} <= set(k.split()) for k in key), key


def test_gamma_hs_of_a_series_without_sigma_gives_no_warning():
    # Σ is defined for six-coordinate sites only: a CN 5 site (the open Mn of Mn-MOF-74)
    # has Σ = NaN in every structure, and np.nanmin of it warned 'All-NaN slice' once per
    # site on compare's stderr. ⟨M–L⟩ 2.00 → 2.20 Å spans more than half of the
    # reference 1.95 → 2.18 Å (0.23 Å), so the series' own extremes are LS and HS:
    # γ = (d − 2.00)/(2.20 − 2.00) = 0, 0.5, 1; γ from Σ is NaN (no Σ).
    import warnings

    import numpy as np

    from coordgeo.spin import gamma_hs_series

    nan = float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = gamma_hs_series([2.00, 2.10, 2.20], [nan, nan, nan], d_reference=(1.95, 2.18))
    assert np.allclose(table.gamma_hs, [0.0, 0.5, 1.0])
    assert table.gamma_hs_sigma.isna().all()
    assert (table.gamma_basis == "series extremes").all()


# Two sites of different elements at one position whose occupancies add up to less than
# 1 are one partly vacant site. Cubic P1 cell, a = 10 Å: Li1 (occupancy 0.5) and Fe1
# (0.1667) at the origin with four O at ±0.2 along x and y (M–O 2.000 Å), and the same
# Li/Fe pair 2.54 Å above (z = 0.254), as the 2a site of (LiFe1/3)(IO3)2 (COD 1100062)
# repeats along c. Fe–Fe 2.54 Å is inside the metal–metal rule (2 × 1.32 + 0.10 =
# 2.74 Å; no O bridges the two: O···Fe2 = √(2.0² + 2.54²) = 3.23 Å), so while the sum
# 0.667 kept the sites apart each Fe had an Fe "donor", its own partial image. As one
# site, the major Li1 is the centre (Li–O 2.000 Å ≤ 1.28 + 0.66 + 0.45 Å) with the
# element fractions Li 0.5, Fe 0.1667; Li bonds no metal (electropositive).
LI_FE_VACANT = cubic_cif(
    "lifeo",
    "Li1 Li 0 0 0 0.5\nFe1 Fe 0 0 0 0.1667\nLi2 Li 0 0 0.254 0.5\nFe2 Fe 0 0 0.254 0.1667\n"
    "O1 O 0.2 0 0 1\nO2 O -0.2 0 0 1\nO3 O 0 0.2 0 1\nO4 O 0 -0.2 0 1\n",
    columns=("occupancy",),
)


def test_a_partly_vacant_mixed_site_is_one_site_without_bonds_to_its_images(tmp_path):
    from coordgeo.coordination import coordination_spheres

    s = read_cif(write(tmp_path, "lifeo.cif", LI_FE_VACANT))[0]
    spheres = {s.labels[sp.metal]: sp for sp in coordination_spheres(s)}
    assert "Fe1" not in spheres and "Fe2" not in spheres
    li = spheres["Li1"]
    assert li.element_fractions == (("Li", 0.5), ("Fe", 0.1667))
    assert sorted(s.labels[d.site] for d in li.donors) == ["O1", "O2", "O3", "O4"]
    assert [round(d, 3) for d in li.distances] == [2.0] * 4


def _inversion_centre_fe(formula: str) -> str:
    # P-1 in a cubic cell, a = 10 Å: Fe on the inversion centre (site symmetry of order
    # 2) written with the old "occupancy" 1/2, and three O in general positions, six
    # with their inversion images (an FeO6 of 2.000 Å). The water H are not in the model.
    between = "_chemical_formula_sum " + formula + "\n_cell_formula_units_Z 1\n" + P1BAR_SYMOPS
    rows = "Fe1 Fe 0 0 0 0.5\nO1 O 0.2 0 0 1\nO2 O 0 0.2 0 1\nO3 O 0 0 0.2 1\n"
    return cubic_cif("inv", rows, columns=("occupancy",), between=between)


def test_site_multiplicity_occupancy_is_undone_when_the_model_lacks_h(tmp_path):
    # Formula Fe O6 H12, Z = 1. Written: Fe 0.5 × 2 operators / order 2 = 0.5 per cell
    # against 1; read as 1 it is 1.0, and O (6) matches already. H (12 in the formula,
    # none in the model) kept the whole-cell test from ever matching, so Fe stayed 0.5
    # (COD 7051132: Co1 0.25 on a 4c site, methanol not modelled).
    s = read_cif(write(tmp_path, "inv.cif", _inversion_centre_fe("'Fe O6 H12'")))[0]
    assert dict(zip(s.labels, s.occupancy.tolist(), strict=True))["Fe1"] == 1.0
    assert any("1/(site multiplicity)" in n and "lacks atoms" in n for n in s.notes)


def test_a_truly_half_occupied_special_position_stays_half(tmp_path):
    # The formula says Fe0.5: read as 1 the Fe would be twice the formula, so 0.5 stays.
    s = read_cif(write(tmp_path, "half.cif", _inversion_centre_fe("'Fe0.5 O6 H12'")))[0]
    assert dict(zip(s.labels, s.occupancy.tolist(), strict=True))["Fe1"] == 0.5
    assert not any("site multiplicity" in n for n in s.notes)


def test_gamma_hs_without_a_reference_needs_a_switch_in_the_assignments():
    # No literature (d_LS, d_HS) for the donor set: a span of 0.07 Å is thermal
    # contraction unless the structures' own spin states differ. HS, HS: no scale (NaN,
    # basis "none"); LS, HS: the series' extremes, γ = (d − 2.12)/(2.19 − 2.12) = 1, 0.
    from coordgeo.spin import gamma_hs_series

    same = gamma_hs_series([2.19, 2.12], spin_states=["HS", "HS"])
    assert same.gamma_hs.isna().all() and (same.gamma_basis == "none").all()
    switch = gamma_hs_series([2.19, 2.12], spin_states=["HS", "LS"])
    assert switch.gamma_hs.tolist() == [1.0, 0.0]
    assert (switch.gamma_basis == "series extremes").all()


def _mn_o6(d: float, temperature: int) -> str:
    # Mn at the origin of a cubic P1 cell (a = 10 Å) with six O at ±d/10 on the axes:
    # MnO6 with Mn–O = d. An O6 set is weak-field (Mn(II) and Mn(III) are HS only), and
    # coordgeo has no literature LS/HS reference for Mn.
    f = d / 10
    rows = "Mn1 Mn 0 0 0\n" + "".join(
        f"O{k + 1} O {x} {y} {z}\n"
        for k, (x, y, z) in enumerate(
            [(f, 0, 0), (-f, 0, 0), (0, f, 0), (0, -f, 0), (0, 0, f), (0, 0, -f)]
        )
    )
    return cubic_cif(
        f"mn{temperature}", rows, between=f"_diffrn_ambient_temperature {temperature}\n"
    )


def test_compare_keeps_each_structures_gamma_where_the_series_has_no_scale(tmp_path):
    # ⟨Mn–O⟩ 2.190 Å at 300 K, 2.120 Å at 100 K: both HS with confidence 1, so each
    # structure's own γ is 1 (a confident pure state). The series' extremes made them 1
    # and 0, as for the two Mn-MOF-74 determinations ORIWET and COKNUN.
    import coordgeo
    from coordgeo.compare import compare

    paths = [write(tmp_path, f"mn{t}.cif", _mn_o6(d, t)) for d, t in ((2.19, 300), (2.12, 100))]
    sites = compare([coordgeo.read(p)[0] for p in paths]).sites
    assert sites.spin_state.tolist() == ["HS", "HS"]
    assert sites.gamma_hs.tolist() == [1.0, 1.0]


# Low-spin trans-[Fe(NCS)2(NCMe)4]·MeOH in a cubic P1 cell of a = 20 Å (fractional 0.001
# = 0.02 Å) with Fe at the centre: two N-bound NCS along ±x (Fe–N 1.96, N–C 1.15, C–S
# 1.63 Å) and four acetonitriles along ±y, ±z (Fe–N 1.96, N–C 1.14, C–C 1.46 Å, three
# methyl H at C–H 0.96 Å, H–C–C 109.5°: 0.32 Å along the axis, 0.905 Å off it). ⟨Fe–N⟩ =
# 1.960 Å lies in both LS ranges, Fe(II) N6 1.93–2.04 and Fe(III) N6 1.92–2.00 Å, so the
# bond lengths leave the oxidation state open. The moiety has no charge: one complex and a
# methanol (C–O 1.43, C–H 0.96, O–H 0.84 Å, modelled apart at 0.1, 0.1, 0.1), so the
# complex is neutral, and 0 − 2 × (−1) (NCS⁻) − 4 × 0 (nitrile) = +2.
FE_NCS_ROWS = """Fe1 Fe 0.5 0.5 0.5
N1 N 0.598 0.5 0.5
C1 C 0.6555 0.5 0.5
S1 S 0.737 0.5 0.5
N2 N 0.402 0.5 0.5
C2 C 0.3445 0.5 0.5
S2 S 0.263 0.5 0.5
N3 N 0.5 0.598 0.5
C3 C 0.5 0.655 0.5
C4 C 0.5 0.728 0.5
N4 N 0.5 0.402 0.5
C5 C 0.5 0.345 0.5
C6 C 0.5 0.272 0.5
N5 N 0.5 0.5 0.598
C7 C 0.5 0.5 0.655
C8 C 0.5 0.5 0.728
N6 N 0.5 0.5 0.402
C9 C 0.5 0.5 0.345
C10 C 0.5 0.5 0.272
"""


def _methyl_h(axis: int, sign: int, carbon: float, first: int) -> str:
    """Three H of a methyl C at ``carbon`` on the ``axis`` through the cell centre (see the
    comment above: 0.016 along the axis, 0.04525 off it in fractions of 20 Å)."""
    rows = ""
    others = [k for k in range(3) if k != axis]
    for n, angle in enumerate((0.0, 120.0, 240.0)):
        xyz = [0.5, 0.5, 0.5]
        xyz[axis] = carbon + sign * 0.016
        xyz[others[0]] += 0.04525 * math.cos(math.radians(angle))
        xyz[others[1]] += 0.04525 * math.sin(math.radians(angle))
        rows += f"H{first + n} H " + " ".join(f"{v:.5f}" for v in xyz) + "\n"
    return rows


# the methyl H of C4, C6, C8, C10 and a methanol C11 O1 H13–H16
FE_NCS_ROWS += (
    _methyl_h(1, 1, 0.728, 1) + _methyl_h(1, -1, 0.272, 4)
    + _methyl_h(2, 1, 0.728, 7) + _methyl_h(2, -1, 0.272, 10)
    + "C11 C 0.1 0.1 0.1\nO1 O 0.1715 0.1 0.1\nH13 H 0.1835 0.1 0.1408\n"
    + "H14 H 0.084 0.1 0.14525\nH15 H 0.084 0.13919 0.07737\nH16 H 0.084 0.06081 0.07737\n"
)  # fmt: skip


def _fe_ncs(moiety: str) -> str:
    cell = "".join(f"_cell_length_{x} 20\n" for x in "abc") + "".join(
        f"_cell_angle_{x} 90\n" for x in ("alpha", "beta", "gamma")
    )
    loop = "loop_\n" + "".join(
        f"_atom_site_{t}\n" for t in ("label", "type_symbol", "fract_x", "fract_y", "fract_z")
    )
    return f"data_fencs\n_chemical_formula_moiety '{moiety}'\n{cell}{loop}{FE_NCS_ROWS}"


def test_an_uncharged_moiety_of_one_complex_and_solvent_gives_a_low_spin_iron_its_state(
    tmp_path,
):
    table = octahedra(write(tmp_path, "fencs.cif", _fe_ncs("C10 H12 Fe N6 S2, C H4 O")))
    row = table.iloc[0]
    assert round(float(row.d_mean), 3) == 1.960 and row.spin_state == "LS"
    assert int(row.oxidation_state) == 2
    assert row.oxidation_state_source == "formula moiety"


def test_an_unlocated_hydroxyl_h_does_not_reject_the_moiety(tmp_path, monkeypatch):
    # The model above without the methanol's O–H (H13): hydroxyl H are often not located.
    # The molecule C11 O1 H14–H16 is CH3O by all its atoms, C H4 O by the moiety, but
    # compared by heavy atoms both are C1 O1: the moiety is still the model, and the Fe
    # is 0 − 2 × (−1) − 4 × 0 = +2 as above (the H-counting rule read nothing).
    rows = FE_NCS_ROWS.replace("H13 H 0.1835 0.1 0.1408\n", "")
    assert rows != FE_NCS_ROWS
    monkeypatch.setattr(sys.modules[__name__], "FE_NCS_ROWS", rows)
    row = octahedra(write(tmp_path, "no_oh.cif", _fe_ncs("C10 H12 Fe N6 S2, C H4 O"))).iloc[0]
    assert int(row.oxidation_state) == 2 and row.oxidation_state_source == "formula moiety"


def test_an_uncharged_moiety_with_a_possible_ion_is_not_read_as_neutral(tmp_path):
    # 'C10 H24 Cl2 Cr1 N4,Br1' is [CrCl2(cyclam)]Br (COD 2000507) with its charges left
    # out: a part that is no common solvent may be an ion, so nothing is read from it.
    table = octahedra(write(tmp_path, "febr.cif", _fe_ncs("C10 H12 Fe N6 S2, Br")))
    assert len(table) == 1
    assert table.oxidation_state.isna().all()
    assert (table.oxidation_state_source == "").all()


@pytest.mark.parametrize(
    ("rows", "cn", "d", "spin"),
    [
        # square-planar NiN4, Ni–N 1.88 Å (±0.188 along x and y in the 10 Å cell): d8 with
        # the x²−y² orbital empty, S = 0. Model LS range 0.65 − 0.16 (CN 4) + 1.39 (N) ±
        # 0.05 = 1.83–1.93 Å: LS Ni(II).
        (
            "Ni1 Ni 0 0 0\nN1 N 0.188 0 0\nN2 N -0.188 0 0\nN3 N 0 0.188 0\nN4 N 0 -0.188 0\n",
            4,
            1.88,
            "LS",
        ),
        # octahedral NiO6, Ni–O 2.05 Å: S = 1 in any field (t2g6 eg2); 0.69 + 1.36 = 2.05.
        (
            "Ni1 Ni 0 0 0\n"
            + "".join(
                f"O{k} O {x} {y} {z}\n"
                for k, (x, y, z) in enumerate(
                    [
                        (0.205, 0, 0),
                        (-0.205, 0, 0),
                        (0, 0.205, 0),
                        (0, -0.205, 0),
                        (0, 0, 0.205),
                        (0, 0, -0.205),
                    ],
                    1,
                )
            ),
            6,
            2.05,
            "HS",
        ),
        # tetrahedral NiCl4, Ni–Cl 2.25 Å (±0.1299 along the body diagonals: 1.299·√3):
        # S = 1; 0.69 − 0.16 + 1.70 = 2.23 Å.
        (
            "Ni1 Ni 0 0 0\nCl1 Cl 0.1299 0.1299 0.1299\nCl2 Cl 0.1299 -0.1299 -0.1299\n"
            "Cl3 Cl -0.1299 0.1299 -0.1299\nCl4 Cl -0.1299 -0.1299 0.1299\n",
            4,
            2.25,
            "HS",
        ),
    ],
)
def test_nickel_ii_is_low_spin_square_planar_and_high_spin_otherwise(tmp_path, rows, cn, d, spin):
    table = octahedra(write(tmp_path, "ni.cif", cubic_cif("ni", rows)))
    row = table.iloc[0]
    assert int(row.coordination_number) == cn
    assert round(float(row.d_mean), 3) == d
    assert row.spin_state == spin
    if spin == "HS":  # a LS site needs p ≥ 0.9 for its oxidation state: Ni(III) LS CN 4
        assert int(row.oxidation_state) == 2  # (0.56 − 0.16 + 1.39 = 1.79 Å) is near


def test_an_xyz_file_given_to_a_cif_command_says_which_command_reads_it(tmp_path):
    # OctaDist's example inputs are xyz files; `octahedra` reads them, the other commands
    # said only "CIF syntax: expected block header (data_)".
    from typer.testing import CliRunner

    from coordgeo.cli.app import app

    xyz = write(tmp_path, "fe.xyz", "7\nFe\nFe 0 0 0\n" + "".join(
        f"N {x} {y} {z}\n" for x, y, z in
        [(2, 0, 0), (-2, 0, 0), (0, 2, 0), (0, -2, 0), (0, 0, 2), (0, 0, -2)]
    ))  # fmt: skip
    runner = CliRunner()
    for command in ("sphere", "compare"):
        result = runner.invoke(
            app, [command, str(xyz), str(xyz)][: 3 if command == "compare" else 2]
        )
        assert result.exit_code == 2, result.output
        assert "`coordgeo octahedra` reads OctaDist-style xyz" in result.output
    assert runner.invoke(app, ["octahedra", str(xyz)]).exit_code == 0


# [MCl2(NH3)4]Cl in the 10 Å cubic P1 cell of cifs_for_tests (fractional 0.01 = 0.1 Å), M
# at the centre: four NH3 along ±x, ±y (M–N 1.96 Å for Co, 1.98 for Fe; N–H 0.89 Å), two
# Cl along ±z (2.25, 2.28 Å) and the Cl⁻ at the origin (8.7 Å away). An uncharged moiety
# that writes only the cation ('H12 Cl2 Fe N4') or folds the anion into the complex's part
# ('H12 Cl3 Co N4') leaves the modelled Cl⁻ unaccounted: a neutral reading would make the
# metal 0 − 2 × (−1) = +2, but the salt's cation is +1 and the metal +3. Nothing is read
# from such a moiety, and nothing is said about it.
def _ammine_salt(metal: str, moiety: str, d_n: float, d_cl: float) -> str:
    rows = f"{metal}1 {metal} 0.5 0.5 0.5\n"
    h = 0
    for i, v in enumerate(((1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0))):
        n = [0.5 + c * d_n / 10 for c in v]
        rows += f"N{i + 1} N " + " ".join(f"{x:.5f}" for x in n) + "\n"
        side = (-v[1], v[0], 0)  # in the plane, perpendicular to the M–N bond
        for angle in (0.0, 120.0, 240.0):
            a = math.radians(angle)
            d = [0.33 * c + 0.94 * (math.cos(a) * z + math.sin(a) * s)
                 for c, z, s in zip(v, (0, 0, 1), side, strict=True)]  # fmt: skip
            norm = math.sqrt(sum(x * x for x in d))
            h += 1
            rows += (
                f"H{h} H "
                + " ".join(f"{x + 0.089 * y / norm:.5f}" for x, y in zip(n, d, strict=True))
                + "\n"
            )
    rows += f"Cl1 Cl 0.5 0.5 {0.5 + d_cl / 10:.5f}\nCl2 Cl 0.5 0.5 {0.5 - d_cl / 10:.5f}\n"
    rows += "Cl3 Cl 0 0 0\n"
    return cubic_cif("salt", rows, between=f"_chemical_formula_moiety '{moiety}'\n")


@pytest.mark.parametrize(
    ("metal", "moiety", "d_n", "d_cl"),
    [
        ("Fe", "H12 Cl2 Fe N4", 1.98, 2.28),
        ("Co", "H12 Cl2 Co N4", 1.96, 2.25),
        ("Co", "H12 Cl3 Co N4", 1.96, 2.25),
    ],
)
def test_an_uncharged_moiety_that_leaves_a_modelled_ion_out_is_not_read(
    tmp_path, metal, moiety, d_n, d_cl
):
    path = write(tmp_path, "salt.cif", _ammine_salt(metal, moiety, d_n, d_cl))
    row = octahedra(path).iloc[0]
    assert row.oxidation_state_source != "formula moiety"
    assert "formula moiety" not in row.spin_note
    # the same salt with its charges written gives the metal +3 from the moiety
    # (1 − 2 × (−1) − 4 × 0 = +3)
    charged = moiety.replace("Cl3", "Cl2").replace(" N4", " N4 1+") + ", Cl 1-"
    row = octahedra(write(tmp_path, "ion.cif", _ammine_salt(metal, charged, d_n, d_cl))).iloc[0]
    assert int(row.oxidation_state) == 3 and row.oxidation_state_source == "formula moiety"


def test_an_uncharged_moiety_unlike_the_formula_sum_is_not_read(tmp_path):
    # the model and moiety of the Fe(NCS)2 test above, but _chemical_formula_sum counts
    # a second methanol (C12 H20 Fe N6 O2 S2 against the moiety's C11 H16 Fe N6 O S2):
    # a part of the compound is not in the moiety, so the complex may not be neutral
    text = _fe_ncs("C10 H12 Fe N6 S2, C H4 O").replace(
        "_cell_length_a", "_chemical_formula_sum 'C12 H20 Fe N6 O2 S2'\n_cell_length_a", 1
    )
    table = octahedra(write(tmp_path, "sum.cif", text))
    assert (table.oxidation_state_source != "formula moiety").all()
    right = text.replace("C12 H20 Fe N6 O2 S2", "C11 H16 Fe N6 O S2")
    row = octahedra(write(tmp_path, "right.cif", right)).iloc[0]
    assert int(row.oxidation_state) == 2 and row.oxidation_state_source == "formula moiety"


# P-1, a = 10 Å, Z = 1: [Fe(H2O)6] on the inversion centre (occupancy 1, as the modern
# rule writes it), O1–O3 and their images the six water O, and a water O4 truly half
# occupied on the inversion centre ½ ½ ½ (0.5 × 2 operators / order 2 = 0.5 per cell);
# a methanol SQUEEZEd out of the model but counted in the formula: O 6 + 0.5 + 1 = 7.5.
# Model O as written 6.5 (1 short: the methanol's, a whole atom); O4 read as 1 would
# give 7, still 0.5 short: O reaches nothing and is short by half an atom, so O4 stays
# half (the relaxed rule of 550cadd read it 1).
def test_a_half_occupied_water_beside_a_squeezed_solvent_stays_half(tmp_path):
    between = "_chemical_formula_sum 'C Fe H17 O7.5'\n_cell_formula_units_Z 1\n" + P1BAR_SYMOPS
    rows = "Fe1 Fe 0 0 0 1\nO1 O 0.2 0 0 1\nO2 O 0 0.2 0 1\nO3 O 0 0 0.2 1\nO4 O 0.5 0.5 0.5 0.5\n"
    s = read_cif(
        write(tmp_path, "sq.cif", cubic_cif("sq", rows, columns=("occupancy",), between=between))
    )[0]
    assert dict(zip(s.labels, s.occupancy.tolist(), strict=True))["O4"] == 0.5
    assert not any("site multiplicity" in n for n in s.notes)


def test_site_multiplicity_occupancy_is_undone_with_whole_atoms_missing(tmp_path):
    # The Fe 0.5 on the inversion centre of _inversion_centre_fe, and a CS2 (C–S 1.55 Å)
    # with its C on the inversion centre ½ ½ ½, also written 0.5 by the old rule; the
    # formula counts a methanol that is not in the model: C2 Fe H16 O7 S2, Z = 1. Read
    # as 1: Fe 0.5 → 1 = formula × Z; C 0.5 → 1, one whole C atom short of 2 (the
    # methanol's), so the sites are read fully occupied (as 7051132: C 100 → 104 =
    # 27 Z − Z). With C2.5 in the formula C would be 1.5 atoms short, not whole:
    # nothing is changed.
    def cif(formula: str) -> str:
        between = f"_chemical_formula_sum '{formula}'\n_cell_formula_units_Z 1\n" + P1BAR_SYMOPS
        rows = (
            "Fe1 Fe 0 0 0 0.5\nO1 O 0.2 0 0 1\nO2 O 0 0.2 0 1\nO3 O 0 0 0.2 1\n"
            "C1 C 0.5 0.5 0.5 0.5\nS1 S 0.655 0.5 0.5 1\n"
        )
        return cubic_cif("c", rows, columns=("occupancy",), between=between)

    s = read_cif(write(tmp_path, "whole.cif", cif("C2 Fe H16 O7 S2")))[0]
    occupancy = dict(zip(s.labels, s.occupancy.tolist(), strict=True))
    assert occupancy["Fe1"] == 1.0 and occupancy["C1"] == 1.0
    s = read_cif(write(tmp_path, "part.cif", cif("C2.5 Fe H16 O7 S2")))[0]
    occupancy = dict(zip(s.labels, s.occupancy.tolist(), strict=True))
    assert occupancy["Fe1"] == 0.5 and occupancy["C1"] == 0.5


@pytest.mark.parametrize(
    "tag", ["site_symmetry_multiplicity", "symmetry_multiplicity"]
)  # the core dictionary's spelling, and SHELXL's (its CIFs write the second)
def test_a_cif_giving_site_multiplicities_keeps_its_occupancies_without_a_full_match(tmp_path, tag):
    # the Fe O6 H12 model of test_site_multiplicity_occupancy_is_undone_when_the_model_lacks_h
    # (Fe 0.5 on the inversion centre, H not in the model) with the site multiplicities
    # written (Fe 1, O 2): such a CIF follows the modern rule, and without the whole cell
    # matching the formula its Fe 0.5 is an occupancy
    between = "_chemical_formula_sum 'Fe O6 H12'\n_cell_formula_units_Z 1\n" + P1BAR_SYMOPS
    rows = "Fe1 Fe 0 0 0 0.5 1\nO1 O 0.2 0 0 1 2\nO2 O 0 0.2 0 1 2\nO3 O 0 0 0.2 1 2\n"
    columns = ("occupancy", tag)
    s = read_cif(
        write(tmp_path, "mult.cif", cubic_cif("m", rows, columns=columns, between=between))
    )[0]
    assert dict(zip(s.labels, s.occupancy.tolist(), strict=True))["Fe1"] == 0.5
    # the same model without the multiplicities reads Fe 1 (the test named above)


# P-1, a = 10 Å, Z = 1: [Fe(H2O)6] on the inversion centre (occupancy 1, the modern
# rule) and two waters O4, O5 truly half occupied on the inversion centres ½ ½ ½ and
# ½ 0 ½ (0.5 × 2 operators / order 2 = 0.5 O per cell each), H not modelled; a third
# water SQUEEZEd out but counted: O 6 + 0.5 + 0.5 + 1 = 8 (formula Fe H16 O8).
# Model O as written 7; O4, O5 read as 1 would give 8 = formula × Z, but the only
# sites that would reach it are lone O (nearest heavy atom: O4–O1 at ½ ½ ½ − 0.2 0 0,
# √(3² + 5² + 5²) Å = 7.68 Å, far beyond O + O covalent radii 1.32 + 0.45 Å): water
# whose H are missing is no evidence of the old 1/(site multiplicity) convention,
# so both stay half (the relaxed rule read them 1).
def test_lone_waters_on_inversion_centres_are_no_evidence_of_the_old_rule(tmp_path):
    between = "_chemical_formula_sum 'Fe H16 O8'\n_cell_formula_units_Z 1\n" + P1BAR_SYMOPS
    rows = (
        "Fe1 Fe 0 0 0 1\nO1 O 0.2 0 0 1\nO2 O 0 0.2 0 1\nO3 O 0 0 0.2 1\n"
        "O4 O 0.5 0.5 0.5 0.5\nO5 O 0.5 0 0.5 0.5\n"
    )
    s = read_cif(
        write(tmp_path, "w.cif", cubic_cif("w", rows, columns=("occupancy",), between=between))
    )[0]
    occupancy = dict(zip(s.labels, s.occupancy.tolist(), strict=True))
    assert occupancy["O4"] == 0.5 and occupancy["O5"] == 0.5
    assert not any("site multiplicity" in n for n in s.notes)


def _ni_n6(between: str = "") -> str:
    # NiN6 in the 10 Å cubic P1 cell, Jahn–Teller elongated: four Ni–N 1.97 Å in the xy
    # plane and two 2.10 Å along z, ⟨Ni–N⟩ = (4 × 1.97 + 2 × 2.10) / 6 = 2.0133 Å
    rows = "Ni1 Ni 0.5 0.5 0.5\n" + "".join(
        f"N{k + 1} N " + " ".join(f"{0.5 + c * d / 10:.5f}" for c in v) + "\n"
        for k, (v, d) in enumerate(
            zip(((1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)),
                (1.97, 1.97, 1.97, 1.97, 2.10, 2.10), strict=True)
        )
    )  # fmt: skip
    return cubic_cif("ni", rows, between=between)


def test_nickel_iii_is_low_spin_only(tmp_path):
    # Ni(III) is d7 and low spin in practice (Haines & McAuley, Coord. Chem. Rev. 1981,
    # 39, 77). Shannon Ni3+ LS 0.56 + N 1.39 = 1.95 ± 0.05 Å; the HS hypothesis (0.60:
    # 1.94–2.04 Å) is not modelled, so a site the name calls nickel(III) is LS, and
    # without the name no site reads HS Ni(III) (2.013 Å lies between LS Ni(III) and
    # HS Ni(II) N6 2.03–2.13 Å: main read it HS Ni(III), p 0.82).
    named = _ni_n6("_chemical_name_systematic 'hexaamminenickel(III)'\n")
    row = octahedra(write(tmp_path, "ni3.cif", named)).iloc[0]
    assert round(float(row.d_mean), 4) == 2.0133
    assert int(row.oxidation_state) == 3 and row.spin_state == "LS"
    row = octahedra(write(tmp_path, "ni.cif", _ni_n6())).iloc[0]
    assert row.spin_state == "unknown" and row.oxidation_state_source == ""


def _bare_with_aniso(rows: str) -> str:
    # BARE_LABELS (Fe and six O, each labelled by its element) with an _atom_site_aniso
    # loop of the given rows (label U11 U22 U33 U12 U13 U23)
    head = "".join(
        f"_atom_site_aniso_{t}\n" for t in ("label", "U_11", "U_22", "U_33", "U_12", "U_13", "U_23")
    )
    return BARE_LABELS + "loop_\n" + head + rows


def test_aniso_rows_of_bare_labels_are_numbered_like_the_sites(tmp_path):
    # six aniso rows 'O' in file order, U11 = 0.011 … 0.016: the k-th is O<k>'s (the
    # same file-order rule as the sites); before, every 'O' row was dropped silently
    rows = "Fe 0.02 0.02 0.02 0 0 0\n" + "".join(
        f"O 0.01{k} 0.02 0.03 0 0 0\n" for k in range(1, 7)
    )
    s = read_cif(write(tmp_path, "aniso.cif", _bare_with_aniso(rows)))[0]
    assert s.labels == ("Fe", "O1", "O2", "O3", "O4", "O5", "O6")
    u11 = [round(float(u), 3) for u in s.u_aniso[:, 0]]
    assert u11 == [0.02, 0.011, 0.012, 0.013, 0.014, 0.015, 0.016]
    assert any("as are their _atom_site_aniso rows" in n for n in s.notes)


def test_aniso_rows_that_do_not_repeat_like_the_sites_are_left_out_with_a_note(tmp_path):
    # two aniso rows 'O' for six sites 'O' (four O isotropic): which two sites they
    # belong to is not written, so no O gets a U_ij, and a note says so; the block is
    # read (no geometry needs U) and Fe keeps its own row (U11 0.02). Refusing it lost the
    # whole structure for want of two displacement tensors.
    rows = "Fe 0.02 0.02 0.02 0 0 0\nO 0.01 0.02 0.03 0 0 0\nO 0.05 0.02 0.03 0 0 0\n"
    s = read_cif(write(tmp_path, "two.cif", _bare_with_aniso(rows)))[0]
    assert s.labels == ("Fe", "O1", "O2", "O3", "O4", "O5", "O6")
    assert s.u_aniso[0, 0] == 0.02
    assert all(u != u for u in s.u_aniso[1:].ravel().tolist())  # NaN
    assert any("gives 'O' 2 times for 6 sites" in n for n in s.notes)
    assert not any("as are their _atom_site_aniso rows" in n for n in s.notes)


def test_an_s_whose_o_is_split_over_two_parts_still_accepts(tmp_path):
    # SULFATE_ROWS as a DMSO: O3, O4 become the methyl C3, C4 (same sites, S–C 1.47 Å
    # here) and the one O is disordered over O1 (PART 1) and O2 (PART 2), 0.5 each. S1
    # then has three neighbours in either configuration (C3, C4 and one O), keeps its
    # lone pair and accepts the H1···S1 contact of the test above (2.859 Å at 151°);
    # counting O1 and O2 together made it a four-neighbour oxo centre and dropped it.
    rows = (
        "S1 S 0.5 0.5 0.5 1 .\nO1 O 0.647 0.5 0.5 0.5 1\nO2 O 0.451 0.5693 0.62002 0.5 2\n"
        "C3 C 0.451 0.36141 0.5 1 .\nC4 C 0.451 0.5693 0.37998 1 .\n"
        "H1 H 0.7154 0.68794 0.5 1 .\nN1 N 0.74961 0.78191 0.5 1 .\n"
    )
    text = cubic_cif("dmso", rows, columns=("occupancy", "disorder_group"))
    table = hbonds(write(tmp_path, "dmso.cif", text))
    got = dict(zip(table.acceptor, table.d_ha.round(3), strict=True))
    assert got == {"O1": 2.0, "S1": 2.859}
    # a sulfate whose fourth O is split the same way (O2 over PART 1 and 2) stays no
    # acceptor: four neighbours in each configuration
    rows = SULFATE_ROWS.replace("O2 O 0.451 0.5693 0.62002\n", "")
    rows = "".join(f"{r} 1 .\n" for r in rows.splitlines()) + (
        "O2 O 0.451 0.5693 0.62002 0.5 1\nO5 O 0.451 0.58 0.61 0.5 2\n"
    )
    text = cubic_cif("so4", rows, columns=("occupancy", "disorder_group"))
    assert hbonds(write(tmp_path, "so4.cif", text)).acceptor.tolist() == ["O1"]


def test_evidence_of_the_old_occupancy_rule_is_bounded(monkeypatch):
    # _bonded_or_metal on a 10 Å cubic cell, identity operator only: Co (a metal: evidence
    # whatever its neighbours), N at 1.15 Å from C along x (an NCS end: r_cov N 0.71 + C
    # 0.73 + 0.45 = 1.89 Å, bonded), a lone O 5 Å from everything (no evidence). With no
    # budget for the pair search only the metal counts, and nothing is searched.
    from coordgeo.io import cif
    from coordgeo.model import Cell

    sites = {
        "elements": ["Co", "N", "C", "O"],
        "fract": np.array([[0.0, 0.0, 0.0], [0.3, 0.3, 0.3], [0.415, 0.3, 0.3], [0.8, 0.5, 0.5]]),
    }
    suspect = np.ones(4, dtype=bool)
    ops = (np.eye(3)[None], np.zeros((1, 3)), Cell(10.0, 10.0, 10.0, 90.0, 90.0, 90.0))
    assert cif._bonded_or_metal(sites, suspect, *ops).tolist() == [True, True, True, False]
    monkeypatch.setattr(cif, "_EVIDENCE_PAIRS", 0)
    assert cif._bonded_or_metal(sites, suspect, *ops).tolist() == [True, False, False, False]
