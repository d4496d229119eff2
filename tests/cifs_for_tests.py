"""Small CIFs written by the tests themselves, with geometry that can be derived by hand."""

from __future__ import annotations

from pathlib import Path

C2C_OPS = [
    "x, y, z",
    "-x, y, -z+1/2",
    "x+1/2, y+1/2, z",
    "-x+1/2, y+1/2, -z+1/2",
    "-x, -y, -z",
    "x, -y, z+1/2",
    "-x+1/2, -y+1/2, -z",
    "x+1/2, -y+1/2, z+1/2",
]

# C2/c with beta = 90 so distances can be worked out by hand: Fe on the
# two-fold axis (0, y, 1/4), N1 on a general position. Fe-N1 vector
# (0.1*10, 0.05*12, -0.1*14) = (1.0, 0.6, -1.4) A, |d| = sqrt(3.32) = 1.82209 A;
# N1 under op 2 (-x, y, -z+1/2) gives (-1.0, 0.6, 1.4): the same length, and the
# angle N1-Fe-N1' has cos = (-1 + 0.36 - 1.96)/3.32 = -0.783133, i.e. 141.5483 deg.
C2C = """data_c2c
_cell_length_a 10.000(2)
_cell_length_b 12.000(2)
_cell_length_c 14.000(3)
_cell_angle_alpha 90
_cell_angle_beta 90.00
_cell_angle_gamma 90
_space_group_name_H-M_alt 'C 1 2/c 1'
_diffrn_ambient_temperature 100(2)
loop_
_space_group_symop_id
_space_group_symop_operation_xyz
{ops}
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_U_iso_or_equiv
_atom_site_occupancy
_atom_site_calc_flag
Fe1 Fe 0.0000 0.1000(2) 0.2500 0.02 1 d
N1 N 0.1000(3) 0.1500(3) 0.1500(3) 0.02 1 d
loop_
_geom_bond_atom_site_label_1
_geom_bond_atom_site_label_2
_geom_bond_distance
_geom_bond_site_symmetry_2
Fe1 N1 1.822(4) .
Fe1 N1 1.822(4) 2
loop_
_geom_angle_atom_site_label_1
_geom_angle_atom_site_label_2
_geom_angle_atom_site_label_3
_geom_angle
_geom_angle_site_symmetry_1
_geom_angle_site_symmetry_3
N1 Fe1 N1 141.55(15) . 2_555
""".format(ops="\n".join(f"{k + 1} '{op}'" for k, op in enumerate(C2C_OPS)))

# P 63/m: a metal on the -6 site (1/3, 2/3, 1/4), printed rounded as 0.3333 0.6667;
# its six N neighbours are images of one site, so the six bonds must be equal.
P63M = """data_p63m
_cell_length_a 7.500
_cell_length_b 7.500
_cell_length_c 6.000
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 120
_symmetry_space_group_name_H-M 'P 63/m'
loop_
_symmetry_equiv_pos_site_id
_symmetry_equiv_pos_as_xyz
1 x,y,z
2 -y,x-y,z
3 -x+y,-x,z
4 -x,-y,z+1/2
5 y,-x+y,z+1/2
6 x-y,x,z+1/2
7 -x,-y,-z
8 y,-x+y,-z
9 x-y,x,-z
10 x,y,-z+1/2
11 -y,x-y,-z+1/2
12 -x+y,-x,-z+1/2
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
Co1 Co 0.3333 0.6667 0.2500
N1 N 0.4920(4) 0.8700(4) 0.0900(5)
"""

# The same orthorhombic cell written twice: with a symmetry loop, and with only the
# H-M symbol (the reader must generate the operators), plus a P1 block.
NO_SYMOP_LOOP = """data_hm_only
_cell_length_a 8.0
_cell_length_b 9.0
_cell_length_c 10.0
_cell_angle_alpha 90
_cell_angle_beta 100.0
_cell_angle_gamma 90
_symmetry_space_group_name_H-M 'P 21/c'
loop_
_atom_site_label
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
Cu1 0.5 0.5 0.5
O1 0.62 0.55 0.52

data_p1
_cell_length_a 5.0
_cell_length_b 5.0
_cell_length_c 5.0
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
loop_
_atom_site_label
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
Ni1 0.0 0.0 0.0
O1 0.4 0.0 0.0
"""


#: A cubic cell of a = 10 Å: a fractional step of 0.01 is 0.1 Å, so that distances and
#: angles can be worked out by hand.
CUBIC_10 = (
    "_cell_length_a 10\n_cell_length_b 10\n_cell_length_c 10\n"
    "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
)


#: The operators of P-1 as a ``between`` of :func:`cubic_cif` (a cubic cell in P-1: the
#: inversion centres at 0 and ½ of the hand-made tests).
P1BAR_SYMOPS = "loop_\n_symmetry_equiv_pos_as_xyz\nx,y,z\n-x,-y,-z\n"


def cubic_cif(block: str, rows: str, *, columns: tuple[str, ...] = (), between: str = "") -> str:
    """A CIF of the :data:`CUBIC_10` cell: ``between`` (symmetry, atom types) after the
    cell, then the atom-site loop (label, type symbol, x, y, z and ``columns``) of ``rows``."""
    return cell_cif(block, CUBIC_10, rows, columns=columns, between=between)


def cell_cif(
    block: str, cell: str, rows: str, *, columns: tuple[str, ...] = (), between: str = ""
) -> str:
    """:func:`cubic_cif` with another ``cell`` (its ``_cell_*`` lines)."""
    names = ("label", "type_symbol", "fract_x", "fract_y", "fract_z", *columns)
    head = "".join(f"_atom_site_{name}\n" for name in names)
    return f"data_{block}\n{cell}{between}loop_\n{head}{rows}"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path
