"""Hostile inputs, generated: every input class of issue 17, written by the tests themselves.

:func:`write_corpus` writes the fixed corpus (about 120 files: CIFs, χMT, powder and
SI-table files, plus a FIFO and device paths) into a folder and returns one
:class:`Case` per input. :func:`mutations` gives the text-level mutations the property
tests draw from. ``benchmarks/hostile_run.py`` runs every per-file command on the same
corpus (with ``big=True``: files of 10⁵–10⁶ rows) as subprocesses.

The base structure :data:`FE_AQUA` is [Fe(H₂O)₆]Cl₂ in P-1 with a = b = c = 8 Å and
90° angles, built by hand so that every command has work to do: Fe1 on the inversion
centre (0, 0, 0) with O1–O3 at 2.08 Å along the axes (CN 6, an ideal octahedron), one H
of each water pointing at Cl1 (0.26, 0.275, 0.275) (O···Cl 3.03–3.11 Å, H···Cl
2.19–2.27 Å: an O–H···Cl bond), and the CIF's own ``_geom_bond`` rows Fe1–O 2.080.
"""

from __future__ import annotations

import os
import random
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np

A = 8.0  # Å, cubic metric in P-1

_O = {"O1": (2.08, 0.0, 0.0), "O2": (0.0, 2.08, 0.0), "O3": (0.0, 0.0, 2.08)}
_CL = np.array([2.08, 2.2, 2.2])
_AWAY = {"O1": (0.33, -0.94, 0.0), "O2": (-0.94, 0.33, 0.0), "O3": (0.0, -0.94, 0.33)}


def _sites() -> list[tuple[str, str, tuple[float, float, float]]]:
    sites = [("Fe1", "Fe", (0.0, 0.0, 0.0)), ("Cl1", "Cl", tuple(_CL / A))]
    for name, xyz in _O.items():
        o = np.array(xyz)
        sites.append((name, "O", tuple(o / A)))
        to_cl = (_CL - o) / np.linalg.norm(_CL - o)
        away = np.array(_AWAY[name]) / np.linalg.norm(_AWAY[name])
        sites.append((f"H{name[1]}A", "H", tuple((o + 0.84 * to_cl) / A)))
        sites.append((f"H{name[1]}B", "H", tuple((o + 0.84 * away) / A)))
    return sites


def fe_aqua(block: str = "fe_aqua", name: str = "hexaaquairon(II) chloride") -> str:
    """The base CIF (see the module doc), as text."""
    rows = []
    for label, element, (x, y, z) in _sites():
        su = "" if element == "H" else "(2)"
        fmt = [f"{v:.5f}{su}" if v != 0 else "0.00000" for v in (x, y, z)]
        u = "0.030" if element == "H" else "0.0150(5)"
        calc = "calc" if element == "H" else "."
        rows.append(f"{label} {element} {' '.join(fmt)} {u} 1 {calc}")
    return f"""data_{block}
_chemical_name_common '{name}'
_cell_length_a {A:.4f}(3)
_cell_length_b {A:.4f}(3)
_cell_length_c {A:.4f}(3)
_cell_angle_alpha 90.00
_cell_angle_beta 90.00
_cell_angle_gamma 90.00
_space_group_name_H-M_alt 'P -1'
_diffrn_ambient_temperature 100(2)
loop_
_space_group_symop_id
_space_group_symop_operation_xyz
1 'x, y, z'
2 '-x, -y, -z'
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_U_iso_or_equiv
_atom_site_occupancy
_atom_site_calc_flag
{chr(10).join(rows)}
loop_
_geom_bond_atom_site_label_1
_geom_bond_atom_site_label_2
_geom_bond_distance
_geom_bond_site_symmetry_2
Fe1 O1 2.080(2) .
Fe1 O2 2.080(2) .
Fe1 O3 2.080(2) 2
"""


FE_AQUA = fe_aqua()

# The C2/c test structure of cifs_for_tests, repeated here so the benchmark needs no
# test module: Fe on the two-fold axis with two N.
C2C_OPS = [
    "x,y,z",
    "-x,y,-z+1/2",
    "x+1/2,y+1/2,z",
    "-x+1/2,y+1/2,-z+1/2",
    "-x,-y,-z",
    "x,-y,z+1/2",
    "-x+1/2,-y+1/2,-z",
    "x+1/2,-y+1/2,z+1/2",
]
C2C = (
    "data_c2c\n_cell_length_a 10.000(2)\n_cell_length_b 12.000(2)\n_cell_length_c 14.000(3)\n"
    "_cell_angle_alpha 90\n_cell_angle_beta 90.00\n_cell_angle_gamma 90\n"
    "_space_group_name_H-M_alt 'C 1 2/c 1'\nloop_\n_space_group_symop_id\n"
    "_space_group_symop_operation_xyz\n"
    + "".join(f"{k + 1} '{op}'\n" for k, op in enumerate(C2C_OPS))
    + "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n"
    "_atom_site_fract_y\n_atom_site_fract_z\n"
    "Fe1 Fe 0.0000 0.1000(2) 0.2500\nN1 N 0.1000(3) 0.1500(3) 0.1500(3)\n"
)


@dataclass(frozen=True)
class Case:
    """One hostile input. ``kind``: cif, chimt, xy or table. ``expect``: ``ok`` (must be read:
    exit 0 or 1), ``error`` (must be refused: exit 2) or ``any`` (0, 1 or 2)."""

    name: str
    kind: str
    path: Path
    expect: str = "any"
    what: str = ""


def _site_line(text: str, label: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(label + " "))


def _replace_site(text: str, label: str, column: int, value: str) -> str:
    """Set column ``column`` (0 = label) of a site row of :data:`FE_AQUA`."""
    line = _site_line(text, label)
    fields = line.split()
    fields[column] = value
    return text.replace(line, " ".join(fields), 1)


def _ops(text: str, ops: list[str]) -> str:
    head, rest = text.split("loop_\n_space_group_symop_id", 1)
    tail = rest.split("loop_\n_atom_site_label", 1)[1]
    loop = "loop_\n_space_group_symop_id\n_space_group_symop_operation_xyz\n"
    loop += "".join(f"{k + 1} '{op}'\n" for k, op in enumerate(ops))
    return head + loop + "loop_\n_atom_site_label" + tail


def _no_ops(text: str, symbol: str) -> str:
    head, rest = text.split("loop_\n_space_group_symop_id", 1)
    tail = rest.split("loop_\n_atom_site_label", 1)[1]
    head = head.replace("'P -1'", f"'{symbol}'")
    return head + "loop_\n_atom_site_label" + tail


def _random_sites(rng: random.Random, n: int, cell: float, symbol: str = "P 1") -> str:
    elements = ["C", "N", "O", "H", "Fe", "Cl", "S"]
    rows = "".join(
        f"A{k} {rng.choice(elements)} {rng.random():.5f} {rng.random():.5f} {rng.random():.5f}\n"
        for k in range(n)
    )
    return (
        f"data_random{n}\n_cell_length_a {cell}\n_cell_length_b {cell}\n_cell_length_c {cell}\n"
        f"_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
        f"_symmetry_space_group_name_H-M '{symbol}'\n"
        "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n"
        "_atom_site_fract_y\n_atom_site_fract_z\n" + rows
    )


def cif_texts(rng: random.Random, big: bool = False) -> dict[str, tuple[str | bytes, str, str]]:
    """Every hostile CIF: name → (text or bytes, expect, what it is)."""
    base = FE_AQUA
    out: dict[str, tuple[str | bytes, str, str]] = {}

    def add(name: str, content: str | bytes, expect: str, what: str) -> None:
        out[name] = (content, expect, what)

    add("base", base, "ok", "the untouched base structure")
    add("c2c", C2C, "ok", "the C2/c test structure")
    # --- encodings
    latin = base.replace("hexaaquairon(II) chloride", "hexaaquafer(II), 25 °C, µ-free, é")
    add("latin1", latin.encode("latin-1"), "ok", "Latin-1 text in a name")
    add("cp1252", latin.replace("µ-free", "“quoted”").encode("cp1252"), "ok", "CP1252 quotes")
    add("latin1_label", base.replace("Cl1", "Clé1").encode("latin-1"), "error", "unquoted é")
    add("bom", b"\xef\xbb\xbf" + base.encode(), "ok", "UTF-8 byte-order mark")
    add("utf16", base.encode("utf-16"), "ok", "UTF-16 with BOM")
    add("crlf", base.replace("\n", "\r\n"), "ok", "CRLF line ends")
    add("cr_only", base.replace("\n", "\r"), "any", "old-Mac CR line ends")
    add("nul_inside", base[:200] + "\0" + base[200:], "error", "a NUL byte")
    add("random_bytes", rng.randbytes(4096), "error", "4 kB of random bytes")
    add(
        "random_text",
        "".join(rng.choice("_ ;'\"\n\tdata_loop_xyz0123.()") for _ in range(3000)),
        "any",
        "random CIF-ish characters",
    )
    add("empty", "", "error", "an empty file")
    add("blank", " \n\t\n" * 50, "error", "only white space")
    add("truncated_half", base[: len(base) // 2], "any", "cut in the middle")
    add("truncated_quote", base[: base.index("'x, y") + 3], "error", "cut inside a quote")
    # --- numbers
    add(
        "cell_1e400",
        base.replace("_cell_length_a 8.0000(3)", "_cell_length_a 1.2e400"),
        "error",
        "cell length out of float range",
    )
    add("coord_1e400", _replace_site(base, "O1", 2, "1.2e400"), "error", "coordinate 1.2e400")
    add(
        "su_400_digits",
        _replace_site(base, "O1", 2, "0.26000(" + "1234" * 100 + ")"),
        "error",
        "a 400-digit su",
    )
    add(
        "su_20_digits",
        _replace_site(base, "O1", 2, "0.26000(" + "9" * 20 + ")"),
        "error",
        "a 20-digit su",
    )
    add("exponent_huge", _replace_site(base, "O1", 3, "0e99999999999"), "error", "0e99999999999")
    for value in ("1e10", "-1e10", "1e308", "-1e308"):
        add(f"coord_{value}", _replace_site(base, "O2", 3, value), "error", f"coordinate {value}")
    for value in ("nan", "NaN", "inf", "-inf", "Infinity", "1_0", "0x1p3"):
        add(f"coord_{value}", _replace_site(base, "O3", 4, value), "error", f"coordinate {value}")
    add("coord_question", _replace_site(base, "O3", 4, "?"), "any", "a coordinate '?'")
    add("cell_1e5", base.replace("8.0000(3)", "100000.0"), "error", "a cell of 1e5 Å")
    add("cell_1e30", base.replace("8.0000(3)", "1e30"), "error", "a cell of 1e30 Å")
    add("cell_5000", base.replace("8.0000(3)", "5000.0"), "ok", "a 5000 Å cell, 11 atoms")
    add("cell_tiny", base.replace("8.0000(3)", "0.5"), "error", "a cell of 0.5 Å")
    add(
        "cell_negative",
        base.replace("_cell_length_b 8.0000(3)", "_cell_length_b -8"),
        "error",
        "a negative cell length",
    )
    add(
        "angle_1e308",
        base.replace("_cell_angle_beta 90.00", "_cell_angle_beta 1e308"),
        "error",
        "a cell angle of 1e308°",
    )
    add(
        "angle_180",
        base.replace("_cell_angle_beta 90.00", "_cell_angle_beta 180"),
        "error",
        "a cell angle of 180°",
    )
    flat = base.replace("_cell_angle_alpha 90.00", "_cell_angle_alpha 120")
    flat = flat.replace("_cell_angle_beta 90.00", "_cell_angle_beta 120")
    add(
        "angles_flat",
        flat.replace("_cell_angle_gamma 90.00", "_cell_angle_gamma 120"),
        "error",
        "angles 120/120/120: no volume",
    )
    add("occupancy_negative", _replace_site(base, "Cl1", 6, "-0.5"), "error", "occupancy -0.5")
    add("occupancy_nan", _replace_site(base, "Cl1", 6, "nan"), "error", "occupancy nan")
    add("occupancy_1e400", _replace_site(base, "Cl1", 6, "1e400"), "error", "occupancy 1e400")
    add("occupancy_zero", _replace_site(base, "Cl1", 6, "0"), "any", "occupancy 0")
    add("uiso_1e400", _replace_site(base, "O1", 5, "1e400"), "ok", "U_iso out of float range")
    add("uiso_negative", _replace_site(base, "O1", 5, "-0.5"), "any", "a negative U_iso")
    add("uiso_huge", _replace_site(base, "O1", 5, "1e300"), "any", "U_iso 1e300")
    add(
        "temperature_1e400",
        base.replace("100(2)", "1e400(" + "9" * 400 + ")"),
        "ok",
        "temperature out of float range",
    )
    # --- symmetry
    add("op_singular", _ops(base, ["x,y,z", "x,x,z"]), "error", "the operator x,x,z")
    add("op_zero", _ops(base, ["x,y,z", "0,0,0"]), "error", "an all-zero operator")
    add(
        "op_not_group",
        C2C.replace("5 '-x,-y,-z'\n", ""),
        "error",
        "C2/c without its inversion: not a group",
    )
    add("op_typo", _ops(base, ["x,y,z", "-x,-y,-z", "y,x,z"]), "error", "a typing error: y,x,z")
    add(
        "op_translation_1e400",
        _ops(base, ["x,y,z", "-x+1e400,-y,-z"]),
        "error",
        "a translation of 1e400",
    )
    add(
        "op_duplicated",
        _ops(base, ["x,y,z", "-x,-y,-z", "-x,-y,-z"]),
        "error",
        "an operator listed twice",
    )
    add("op_1000", _ops(base, ["x,y,z"] * 1000), "error", "1000 operators")
    add("op_garbage", _ops(base, ["x,y,z", "rm -rf /"]), "error", "an operator that is text")
    add("op_2x", _ops(base, ["x,y,z", "2*x,y,z"]), "error", "the operator 2x,y,z")
    fd3m = _no_ops(base, "F d -3 m")
    add("fd3m_no_ops", fd3m, "error", "F d -3 m named, no operator loop: 4 atoms/Å³")
    add(
        "fd3m_200_sites",
        _random_sites(rng, 200, 20.0, "F d -3 m"),
        "error",
        "F d -3 m named, 200 sites, no operator loop",
    )
    n_fd3m = 200 if big else 30
    add("fd3m_sparse", _random_sites(rng, n_fd3m, 120.0, "F d -3 m"), "any", "Fd-3m, 120 Å")
    add(
        "sg_number_1e300",
        _no_ops(base, "?") + "_space_group_IT_number 1e300\n",
        "any",
        "space-group number 1e300",
    )
    add("hall_garbage", _no_ops(base, "-P 2ac 2n 999 %%"), "any", "an unreadable symbol")
    # --- blocks, labels, atom lines
    add("dup_block", base + "\n" + base, "error", "two data blocks with one name")
    add(
        "dup_block_case",
        base + "\n" + base.replace("data_fe_aqua", "data_FE_AQUA"),
        "error",
        "block names differing in case only",
    )
    add("dup_label", base.replace("Cl1 Cl", "Fe1 Cl", 1), "error", "two sites labelled Fe1")
    lines = base.splitlines()
    start = next(i for i, s in enumerate(lines) if s.startswith("Fe1 "))
    atoms = lines[start : start + 11]
    shuffled = atoms[:]
    rng.shuffle(shuffled)
    add(
        "shuffled_atoms",
        "\n".join(lines[:start] + shuffled + lines[start + 11 :]) + "\n",
        "ok",
        "atom lines shuffled",
    )
    add(
        "duplicated_atoms",
        "\n".join(lines[:start] + atoms + atoms + lines[start + 11 :]) + "\n",
        "error",
        "every atom line twice",
    )
    add(
        "long_block_name",
        base.replace("data_fe_aqua", "data_" + "x" * 300),
        "ok",
        "a 300-character block name",
    )
    two = base.replace("data_fe_aqua", "data_../../escape") + "\n"
    two += base.replace("data_fe_aqua", "data_a/b/<script>alert(1)</script>")
    add("path_block_names", two, "ok", "block names with / and ..")
    add(
        "label_space_at",
        base.replace("'x, y, z'", "'x, y, z'")
        .replace("O1 O", "'O 1@x' O")
        .replace("Fe1 O1 2.080", "Fe1 'O 1@x' 2.080"),
        "ok",
        "a label with a space and @",
    )
    add(
        "label_script",
        base.replace("Cl1 Cl", "<script>alert(1)</script> Cl"),
        "ok",
        "a label <script>",
    )
    add("label_long", base.replace("Cl1 Cl", "C" + "l" * 500 + " Cl"), "ok", "a 500-char label")
    add("no_atoms", base.split("loop_\n_atom_site_label")[0], "error", "no atom loop")
    add(
        "only_metal",
        _random_sites(rng, 1, 8.0)
        .replace("A0 ", "Fe1 ")
        .replace(" C ", " Fe ")
        .replace(" N ", " Fe ")
        .replace(" O ", " Fe ")
        .replace(" H ", " Fe ")
        .replace(" Cl ", " Fe ")
        .replace(" S ", " Fe "),
        "ok",
        "a lone metal",
    )
    add("atoms_random", _random_sites(random.Random(1), 40, 8.0), "any", "40 random atoms")
    same = "".join(f"Fe{k} Fe 0.1 0.1 0.1\n" for k in range(30))
    add("atoms_same_place", _random_sites(rng, 0, 8.0) + same, "any", "30 Fe on one point")
    add("dense_5000", _random_sites(rng, 5000, 10.0), "error", "5000 atoms in a 10 Å cell")
    n_sparse = 3000 if big else 600
    add("sparse_many", _random_sites(rng, n_sparse, 40.0), "any", f"{n_sparse} atoms, 40 Å cell")
    add("sites_over_limit", _random_sites(rng, 20_001, 200.0), "error", "20 001 sites")
    geom = base + "loop_\n_geom_angle_atom_site_label_1\n_geom_angle_atom_site_label_2\n"
    geom += "_geom_angle_atom_site_label_3\n_geom_angle\n_geom_angle_site_symmetry_1\n"
    geom += "_geom_angle_site_symmetry_3\n"
    geom += "O1 Fe1 O2 1e400 999_999 .\nO1 Fe1 Zz9 90.0(" + "9" * 50 + ") x_y 2_555\n"
    geom += "O1 Fe1 O1 nan . .\n" * 3
    add("geom_garbage", geom, "any", "_geom rows with garbage")
    many = base + "loop_\n_geom_bond_atom_site_label_1\n_geom_bond_atom_site_label_2\n"
    many += "_geom_bond_distance\n_geom_bond_site_symmetry_2\n"
    many += "Fe1 O1 2.080(2) 2_555\n" * (20_000 if big else 2_000)
    add("geom_many_rows", many, "any", "thousands of _geom_bond rows")
    cif2 = "#\\#CIF_2.0\n" + base.replace(
        "_chemical_name_common", "_x_list " + "[" * 5000 + "]" * 5000 + "\n_chemical_name_common"
    )
    add("cif2_nested", cif2, "any", "CIF2 list nested 5000 deep")
    add(
        "long_line",
        base.replace(
            "_chemical_name_common", "_x_long " + "a" * 2_000_000 + "\n_chemical_name_common"
        ),
        "any",
        "a 2 MB line",
    )
    add(
        "many_blocks",
        "\n".join(fe_aqua(f"b{k}") for k in range(60 if big else 12)),
        "ok",
        "many blocks",
    )
    return out


def mutations() -> list[str]:
    """Names of the text mutations :func:`mutate` applies (for hypothesis strategies)."""
    return list(_MUTATIONS)


_HOSTILE_TOKENS = (
    "1.2e400",
    "nan",
    "inf",
    "-1e308",
    "1e10",
    "0.21563(" + "1234" * 100 + ")",
    "?",
    ".",
    "''",
    "'",
    '"',
    ";",
    "\0",
    "data_",
    "loop_",
    "_atom_site_label",
    "x,x,z",
    "0,0,0",
    "-0",
    "1e-400",
    "\u00e9",
    "\ufeff",
    "<script>",
    "../..",
    "9" * 400,
    "1/0",
    "0/0",
)


def _m_token(text: str, rng: random.Random) -> str:
    """Replace one whitespace-separated token by a hostile one."""
    tokens = text.split(" ")
    k = rng.randrange(len(tokens))
    tokens[k] = rng.choice(_HOSTILE_TOKENS)
    return " ".join(tokens)


def _m_delete_line(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    del lines[rng.randrange(len(lines))]
    return "\n".join(lines)


def _m_duplicate_line(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    k = rng.randrange(len(lines))
    lines.insert(k, lines[k])
    return "\n".join(lines)


def _m_swap_lines(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def _m_truncate(text: str, rng: random.Random) -> str:
    return text[: rng.randrange(len(text) + 1)]


def _m_byte(text: str, rng: random.Random) -> str:
    k = rng.randrange(len(text) + 1)
    return text[:k] + chr(rng.choice([0, 9, 10, 13, 34, 35, 39, 59, 95, 0xE9, 0x2014])) + text[k:]


def _m_number(text: str, rng: random.Random) -> str:
    """Scale or replace one number."""
    import re

    numbers = list(re.finditer(r"-?\d+\.\d+", text))
    if not numbers:
        return text
    m = rng.choice(numbers)
    value = rng.choice(["0", "-1", "1e10", "1e-10", "1e300", "12345678.9", "-0.0", "180.0"])
    return text[: m.start()] + value + text[m.end() :]


_MUTATIONS = {
    "token": _m_token,
    "delete_line": _m_delete_line,
    "duplicate_line": _m_duplicate_line,
    "swap_lines": _m_swap_lines,
    "truncate": _m_truncate,
    "byte": _m_byte,
    "number": _m_number,
}


def mutate(text: str, steps: list[tuple[str, int]]) -> str:
    """Apply mutations ``[(name, seed), …]`` in order (each seeded, so reproducible)."""
    for name, seed in steps:
        if text:
            text = _MUTATIONS[name](text, random.Random(seed))
    return text


# --- other inputs ---------------------------------------------------------------------------


def chimt_texts(rng: random.Random, big: bool = False) -> dict[str, tuple[str | bytes, str, str]]:
    """χMT(T) files: name → (text, expect, what)."""
    t = np.linspace(50, 350, 151)
    # Slichter–Drickamer-like step at 200 K: HS fraction 1/(1 + exp(ΔH/R (1/T − 1/T½)))
    gamma = 1.0 / (1.0 + np.exp(15000 / 8.314 * (1 / t - 1 / 200)))
    good = "T (K), chiMT (cm3 K/mol)\n" + "".join(
        f"{a:.2f}, {0.1 + 3.4 * g:.4f}\n" for a, g in zip(t, gamma, strict=True)
    )
    rows = 1_000_000 if big else 20_000
    out = {
        "good": (good, "ok", "a spin transition"),
        "noise": (
            "".join(f"{rng.uniform(2, 400):.3f} {rng.uniform(-5, 5):.4f}\n" for _ in range(2000)),
            "any",
            "random noise",
        ),
        "many_rows": (
            "".join(f"{2 + k * 1e-4:.5f} {1.0 + (k % 7) * 0.1:.3f}\n" for k in range(rows)),
            "any",
            f"{rows} rows",
        ),
        "nonfinite": (
            good.replace("3.5", "nan", 1).replace("50.00,", "1e400,"),
            "error",
            "nan and 1e400",
        ),
        "huge_values": (
            "".join(f"{a:.2f} {1e300 * (1 + g):.4g}\n" for a, g in zip(t, gamma, strict=True)),
            "any",
            "χMT 1e300",
        ),
        "constant": ("".join(f"{a:.2f} 1.0\n" for a in t), "any", "a flat curve"),
        "two_points": ("100 1.0\n200 2.0\n", "any", "two points"),
        "latin1": (("# mesuré à 2 K/min, µB\n" + good).encode("latin-1"), "ok", "Latin-1"),
    }
    return out


def xy_texts(rng: random.Random, big: bool = False) -> dict[str, tuple[str, str, str]]:
    """Measured powder patterns: name → (text, expect, what)."""
    tt = np.arange(3.0, 50.0, 0.02)
    pattern = 100 + 1000 * np.exp(-(((tt - 15.6) / 0.1) ** 2))
    good = "".join(f"{a:.3f} {b:.1f}\n" for a, b in zip(tt, pattern, strict=True))
    points = 1_000_000 if big else 250_000
    step = 47.0 / points
    many = "".join(f"{3 + k * step:.7f} {100 + (k % 13)}\n" for k in range(points))
    return {
        "good": (good, "ok", "a pattern with one peak"),
        "noise": (
            "".join(f"{3 + k * 0.02:.3f} {rng.uniform(0, 1e6):.1f}\n" for k in range(2350)),
            "any",
            "random intensities",
        ),
        "many_points": (many, "error", f"{points} points"),
        "nonfinite": (good.replace("100.0", "nan", 1), "error", "a nan intensity"),
        "out_of_range": (good.replace("3.000", "1e400", 1), "error", "2θ 1e400"),
        "huge": ("".join(f"{a:.3f} 1e300\n" for a in tt), "any", "intensities 1e300"),
        "negative_angles": (
            "".join(f"{-a:.3f} {b:.1f}\n" for a, b in zip(tt, pattern, strict=True)),
            "error",
            "negative 2θ",
        ),
    }


def table_texts(rng: random.Random, base_table: str, big: bool = False) -> dict:
    """SI-table documents: name → (text, expect, what)."""
    rows = 200_000 if big else 25_000
    many = "Table S1. Bond lengths (Å)\n\t100 K\n" + "".join(
        f"Fe1-O{k}\t2.{k % 1000:03d}(2)\n" for k in range(rows)
    )
    return {
        "good": (base_table, "any", "a table printed from the base structure"),
        "many_rows": (many, "error", f"{rows} table rows"),
        "garbage": (
            "".join(rng.choice("|\t-–()0123456789.AFeON \n") for _ in range(20_000)),
            "any",
            "random table characters",
        ),
        "hostile_labels": (
            base_table.replace("Fe1", "<script>alert(1)</script>"),
            "any",
            "a label <script>",
        ),
        "huge_numbers": (base_table.replace("2.08", "1e400"), "any", "1e400 in a table"),
        "su_400": (base_table.replace("(2)", "(" + "1234" * 100 + ")"), "any", "400-digit su"),
    }


def base_table() -> str:
    """Table S1 of :data:`FE_AQUA` as a paper prints it (the seed-000 tab layout).

    By construction Fe1–O = 2.080 Å along the axes and every cis O–Fe–O angle is 90°;
    A is the inversion through Fe1.
    """
    rows = ["Fe1-O1\t2.0800(2)", "Fe1-O2\t2.0800(2)", "Fe1-O3\t2.0800(2)"]
    rows += [f"{a}-Fe1-{b}\t90.0" for a, b in (("O1", "O2"), ("O1", "O3"), ("O2", "O3"))]
    rows += ["O1-Fe1-O2A\t90.0", "O1-Fe1-O1A\t180.0"]
    return (
        "\t100 K\n"
        + "\n".join(rows)
        + "\nTable S1. Selected bond lengths (Å) and angles (°) of [Fe(H2O)6]Cl2.\n"
        + "A -x,-y,-z\n"
    )


def write_corpus(
    directory: Path, *, seed: int = 17, big: bool = False, mutants: int | None = None
) -> list[Case]:
    """Write every hostile input into ``directory``; one :class:`Case` each.

    Besides files, the corpus has a FIFO (``fifo.cif``), a directory named ``dir.cif``,
    a sparse file over the size limit and the devices ``/dev/urandom``, ``/dev/zero``
    and ``/dev/null`` given as CIFs.
    """
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []

    def put(name: str, kind: str, content: str | bytes, expect: str, what: str) -> None:
        suffix = {"cif": ".cif", "chimt": ".csv", "xy": ".xy", "table": ".txt"}[kind]
        path = directory / f"{kind}_{name}{suffix}"
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8", newline="")
        else:
            path.write_bytes(content)
        cases.append(Case(name, kind, path, expect, what))

    for name, (content, expect, what) in cif_texts(rng, big).items():
        put(name, "cif", content, expect, what)
    for name, (content, expect, what) in chimt_texts(rng, big).items():
        put(name, "chimt", content, expect, what)
    for name, (content, expect, what) in xy_texts(rng, big).items():
        put(name, "xy", content, expect, what)
    for name, (content, expect, what) in table_texts(rng, base_table(), big).items():
        put(name, "table", content, expect, what)
    for k in range(mutants if mutants is not None else 40 if big else 10):  # seeded mutations
        steps = [(rng.choice(mutations()), rng.randrange(2**31)) for _ in range(rng.randint(1, 4))]
        put(f"mutant{k:03d}", "cif", mutate(FE_AQUA, steps), "any", f"mutations {steps}")
    # not regular files
    if hasattr(os, "mkfifo"):
        fifo = directory / "cif_fifo.cif"
        if not fifo.exists():
            os.mkfifo(fifo)
        cases.append(Case("fifo", "cif", fifo, "error", "a named pipe"))
    folder = directory / "cif_dir.cif"
    folder.mkdir(exist_ok=True)
    cases.append(Case("directory", "cif", folder, "any", "a directory named .cif"))
    sparse = directory / "cif_sparse_huge.cif"
    with open(sparse, "wb") as handle:
        handle.truncate(3_000_000_000)  # 3 GB of nothing, over the 200 MB limit
    cases.append(Case("sparse_huge", "cif", sparse, "error", "a 3 GB (sparse) file"))
    for device in ("/dev/urandom", "/dev/zero", "/dev/null"):
        if Path(device).exists() and stat.S_ISCHR(os.stat(device).st_mode):
            cases.append(Case(device.rsplit("/", 1)[1], "cif", Path(device), "error", device))
    link = directory / "cif_link_to_urandom.cif"
    if Path("/dev/urandom").exists() and not link.is_symlink():
        link.symlink_to("/dev/urandom")
    if link.is_symlink():
        cases.append(Case("link_to_urandom", "cif", link, "error", "a symlink to /dev/urandom"))
    return cases


#: Option values that must be refused (exit 2) or bounded.
HOSTILE_OPTIONS = {
    "tolerance": ["30", "inf", "nan", "1e308", "-5", "-inf"],
    "radiation": ["0.01", "-1", "0", "nan", "inf", "1e308", "MoKaX"],
    "step": ["1e-9", "0", "-0.02", "nan", "inf"],
}
