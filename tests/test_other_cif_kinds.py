"""Files that are CIFs but not small-molecule structures, and structures without metals:
one line that says what the file is (exit 2), or what was found, never an empty pandas
frame printed as "Empty DataFrame"."""

from __future__ import annotations

from pathlib import Path

import pytest

from coordgeo.cli import main

MMCIF = """data_5I55
_cell.length_a 29.460
_cell.length_b 10.510
_cell.length_c 29.710
_cell.angle_alpha 90.000
_cell.angle_beta 111.980
_cell.angle_gamma 90.000
_symmetry.space_group_name_H-M 'P 1 21 1'
loop_
_atom_site.group_PDB
_atom_site.id
_atom_site.type_symbol
_atom_site.label_atom_id
_atom_site.Cartn_x
_atom_site.Cartn_y
_atom_site.Cartn_z
HETATM 300 ZN ZN 17.900 5.900 25.400
ATOM 124 O OD1 16.482 4.164 24.335
"""
CHEM_COMP = """data_HEM
_chem_comp.id HEM
loop_
_chem_comp_atom.comp_id
_chem_comp_atom.atom_id
_chem_comp_atom.type_symbol
_chem_comp_atom.model_Cartn_x
_chem_comp_atom.model_Cartn_y
_chem_comp_atom.model_Cartn_z
HEM NA N 2.863 -18.969 37.554
HEM FE FE 2.196 -20.749 36.814
"""
REFLECTIONS = """data_hkl
_symmetry.space_group_name_H-M 'P 2 3'
loop_
_diffrn_refln.id
_diffrn_refln.index_h
_diffrn_refln.index_k
_diffrn_refln.index_l
_diffrn_refln.intensity_net
1 2 0 0 915.6
2 0 2 0 558.4
"""
DDLM = """data_ddlm
_cell.length_a 10.0
_cell.length_b 10.0
_cell.length_c 10.0
_cell.angle_alpha 90
_cell.angle_beta 90
_cell.angle_gamma 90
loop_
_atom_site.label
_atom_site.type_symbol
_atom_site.fract_x
_atom_site.fract_y
_atom_site.fract_z
Fe1 Fe 0.5 0.5 0.5
N1 N 0.7 0.5 0.5
"""


def run(*args: str) -> int:
    try:
        main(list(args))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (MMCIF, "data_5I55 is an mmCIF/PDBx macromolecular model (_atom_site.Cartn_x)"),
        (CHEM_COMP, "data_HEM is a chemical-component definition"),
        (REFLECTIONS, "is reflection data (_diffrn_refln.index_h)"),
        (DDLM, "data_ddlm is written with CIF2/DDLm tag names (_atom_site.fract_x)"),
    ],
)
@pytest.mark.parametrize("command", ["sphere", "octahedra", "bonds"])
def test_another_kind_of_cif_is_named_in_one_line(tmp_path: Path, capsys, text, says, command):
    path = tmp_path / "x.cif"
    path.write_text(text)
    assert run(command, str(path)) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert str(path) in line and says in line and "coreCIF 1.1" in line
    assert "Empty DataFrame" not in captured.out and not captured.out.strip()


def test_octahedra_of_a_structure_without_metals_says_so(shared: Path, capsys):
    """1100688 (C7.5 H8 N2 S0.5): no metal, so no site; `sphere` already said it this way."""
    path = shared / "cifs/published/1100688-wr-factor-notice.cif"
    assert run("octahedra", str(path)) == 0
    out = capsys.readouterr().out
    assert out == f"{path} data_1100688: no metal sites\n"
    # beside a structure with a site, the line goes under the table
    assert run("octahedra", str(path), str(shared / "cifs/published/1000000.cif")) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].strip() == f"{path} data_1100688: no metal sites"
    assert any(" Al1 " in line for line in lines)


@pytest.mark.parametrize(
    ("door", "criteria", "says"),
    [
        ("hbonds", {"min_angle": float("nan")}, "--min-angle nan is not a finite number"),
        ("hbonds", {"min_angle": 200.0}, "--min-angle 200° is outside 0 … 180°"),
        ("hbonds", {"ha_margin": float("inf")}, "--margin inf is not a finite number"),
        ("contacts", {"max_cg_cg": float("nan")}, "--max-cg-cg nan is not a finite number"),
        ("contacts", {"max_alpha": 120.0}, "--max-alpha 120° is outside 0 … 90°"),
        ("contacts", {"planarity": float("inf")}, "--planarity inf is not a finite number"),
    ],
)
def test_criteria_are_checked_at_the_api_door_too(qsal_cif: Path, door, criteria, says):
    """The command line refuses nan/inf for every number option; the API checks the same
    criteria where each door's options are checked (pipeline.Options for H-bonds,
    contacts.contact_columns for contacts), instead of silently finding no row."""
    import coordgeo
    from coordgeo.errors import InputError

    with pytest.raises(InputError, match=says):
        getattr(coordgeo, door)(qsal_cif, **criteria)
    # in range, rows are found
    assert len(coordgeo.hbonds(qsal_cif, min_angle=120.0)) > 0
    assert len(coordgeo.contacts(qsal_cif, kind="pi-pi", max_cg_cg=4.0)) > 0
