"""`check`: the authors' own _geom_* loops recomputed from the coordinates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coordgeo.check import COLUMNS, agreement, check
from coordgeo.errors import InputError
from coordgeo.io.cif import read_cif, read_cif_blocks

from cifs_for_tests import C2C, write


@pytest.fixture(scope="module")
def corpus(published_cifs, qsal_cif) -> pd.DataFrame:
    frames = []
    for path in [*published_cifs, qsal_cif]:
        try:
            results = read_cif_blocks(path)
        except InputError:
            continue
        for item in results:
            if not isinstance(item, InputError):
                frames.append(check(item).assign(file=path.name))
    return pd.concat(frames, ignore_index=True)


def test_agreement_on_published_corpus(corpus, report_figure):
    """≥ 99.5 % of the published bond and angle rows that carry an su are reproduced."""
    figure = agreement(corpus)
    per_kind = {k: agreement(corpus, (k,)) for k in ("bond", "angle", "hbond", "torsion")}
    report_figure(
        f"check on ../shared/cifs/published: {figure['ok']:.0f}/{figure['rows']:.0f} bond+angle "
        f"rows with su ok = {100 * figure['fraction_ok']:.2f} %"
    )
    for kind, f in per_kind.items():
        report_figure(f"  {kind:8s} {f['ok']:.0f}/{f['rows']:.0f} = {100 * f['fraction_ok']:.2f} %")
    assert figure["rows"] > 30000
    assert figure["fraction_ok"] >= 0.995


def test_every_row_not_ok_says_why(corpus):
    not_ok = corpus[corpus["status"] != "ok"]
    assert len(not_ok) > 0  # the corpus has deliberately broken files
    assert (not_ok["reason"].str.len() > 10).all()
    assert set(corpus["status"]) <= {"ok", "mismatch", "unresolved", "undefined"}


def test_known_causes_are_named(corpus):
    def reason(file, atoms):
        rows = corpus[(corpus.file == file) & (corpus.atoms == atoms)]
        return " | ".join(rows.status + ": " + rows.reason)

    # Ni1 on an inversion centre: 180 exactly by symmetry, the authors printed 179.997(1)
    assert "fixed by symmetry" in reason("bs5068.cif", "O9-Ni1-O9")
    # the authors' su is far below what the coordinates support (restrained bond)
    assert "restrained" in reason("7000165-disorder.cif", "C47A-C48A")
    # labels written with a prime for a symmetry mate, and no code columns: the image is found
    assert "image" in reason("2101258.cif", "Cl(6)-C(1)-Cl(6')")
    # a riding H whose published distance does not follow from its coordinates
    assert "riding H" in reason("4063196-short-H-M.cif", "C5-H2")
    # a code naming an operator the CIF does not list
    assert "names operator 5" in reason("2103956.cif", "Al2-F5")


def test_hand_made_cif(tmp_path):
    s = read_cif(write(tmp_path, "c2c.cif", C2C))[0]
    table = check(s)
    assert list(table.columns) == COLUMNS
    assert list(table["status"]) == ["ok", "ok", "ok"]
    assert list(table["symmetry_codes"]) == [". .", ". 2_555", ". . 2_555"]


def test_altered_value_is_a_mismatch(tmp_path):
    s = read_cif(write(tmp_path, "c2c.cif", C2C.replace("141.55(15)", "143.00(15)")))[0]
    row = check(s).iloc[2]
    assert row.status == "mismatch" and "su" in row.reason


def test_linear_torsions_in_the_corpus_are_undefined(corpus):
    # 2011989: Fe on an inversion centre, O3-Fe-O4 exactly 180 deg by symmetry; the authors
    # printed a torsion through it, which the coordinates cannot define
    rows = corpus[(corpus.file == "2011989.cif") & (corpus.atoms == "O3-Fe-O4-Fe")]
    assert len(rows) and set(rows.status) == {"undefined"}
    assert rows.reason.str.contains("O3-Fe-O4 is linear").all()


# --- a GSAS-II CIF -------------------------------------------------------------------------
#
# GSAS-II (GSASIIspc.GenAtom/AllOps) writes an operation as +-(100*C + n)_klm: n = operator
# n of its own list (x,y,z and -x,y,-z+1/2 for C2/c), C = centring vector C of its list
# ((0,0,0), (1/2,1/2,0)), minus = the centre of symmetry applied after the operator, and
# (k-5, l-5, m-5) a lattice translation. Its CIF lists every operation, its own two first:
GSAS2_OPS = [
    "x,y,z",
    "-x,y,-z+1/2",
    "-x,-y,-z",
    "x,-y,z+1/2",
    "x+1/2,y+1/2,z",
    "-x+1/2,y+1/2,-z+1/2",
    "-x+1/2,-y+1/2,-z",
    "x+1/2,-y+1/2,z+1/2",
]
CELL = (10.0, 11.0, 12.0, 100.0)  # a, b, c, beta (C2/c, alpha = gamma = 90)
# Fe1 at a general position; each donor is placed at Fe1 + a Cartesian offset (A) and
# written into the asymmetric unit through the inverse of the operation its code names,
# so each Fe1-X distance is the length of its offset and each angle the angle between
# offsets, whatever coordgeo does.
FE1 = np.array([0.10, 0.20, 0.30])
DONORS = {  # label: (GSAS-II code, the operation x -> R x + t it names, offset)
    "O1": ("1_555", (np.eye(3), np.zeros(3)), (1.95, 0.0, 0.0)),
    # -(x,y,z) + (1,1,1)
    "O2": ("-1_666", (-np.eye(3), np.array([1.0, 1.0, 1.0])), (0.0, 1.98, 0.0)),
    # -(x,y,z) + (1/2,1/2,0) + (-1,0,1)
    "O3": ("-101_456", (-np.eye(3), np.array([-0.5, 0.5, 1.0])), (0.0, 0.0, 2.01)),
    # (-x, y, -z+1/2) + (1/2,1/2,0)
    "N1": ("102_555", (np.diag([-1.0, 1.0, -1.0]), np.array([0.5, 0.5, 0.5])), (-1.40, 0.0, 1.45)),
    # -(-x, y, -z+1/2)
    "N2": ("-2_555", (np.diag([1.0, -1.0, 1.0]), np.array([0.0, 0.0, -0.5])), (0.0, -1.50, -1.30)),
}
# the same operations as codes of the CIF's own list (by hand from GSAS2_OPS): -x+1,-y+1,-z+1
# is op 3 + (1,1,1); -x-1/2,-y+1/2,-z+1 is op 7 + (-1,0,1); -x+1/2,y+1/2,-z+1/2 is op 6;
# x,-y,z-1/2 is op 4 + (0,0,-1)
CIF_CODES = {"O1": ".", "O2": "3_666", "O3": "7_456", "N1": "6_555", "N2": "4_554"}


def _cell_matrix() -> np.ndarray:
    a, b, c, beta = CELL
    beta = np.radians(beta)
    return np.array([[a, 0.0, c * np.cos(beta)], [0.0, b, 0.0], [0.0, 0.0, c * np.sin(beta)]])


def _gsas2_cif() -> str:
    m = _cell_matrix()
    sites = {"Fe1": FE1}
    offsets = {}
    for label, (_, (rot, tran), offset) in DONORS.items():
        target = FE1 + np.linalg.solve(m, offset)  # where the image must be
        sites[label] = np.linalg.solve(rot, target - tran)  # the site it is the image of
        offsets[label] = np.array(offset)
    # Fe2 on the inversion centre (0, 1/2, 0); O4 near it, and its image -x,-y+1,-z
    # (GSAS-II -1_565) makes O4-Fe2-O4' exactly linear; O5 near O4
    sites["Fe2"] = np.array([0.0, 0.5, 0.0])
    sites["O4"] = sites["Fe2"] + np.linalg.solve(m, [1.2, 1.1, 1.0])
    sites["O5"] = sites["O4"] + np.linalg.solve(m, [1.3, 0.0, 0.5])
    sites["K"] = np.array([0.40, 0.10, 0.60])
    atoms = "\n".join(
        f"{label} {label.rstrip('0123456789')} {x:.6f} {y:.6f} {z:.6f} 0.02 1"
        for label, (x, y, z) in sites.items()
    )
    bonds, angles = [], []
    for label, (code, _, _) in DONORS.items():
        d = np.linalg.norm(offsets[label])
        bonds.append(f"Fe1 {label} {d:.4f}(20) 1_555 {code} yes")
    names = list(DONORS)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            u, v = offsets[a], offsets[b]
            t = np.degrees(np.arccos(u @ v / np.linalg.norm(u) / np.linalg.norm(v)))
            angles.append(f"{a} Fe1 {b} {t:.2f}(10) {DONORS[a][0]} 1_555 {DONORS[b][0]} yes")
    # labels the CIF does not have: K1 for the site K, and an OCR zero for O1
    bonds.append("K1 O1 2.5000(20) 1_555 1_555 yes")
    bonds.append("Fe1 01 1.9500(20) 1_555 1_555 yes")
    ops = "\n".join(f"{k + 1} {op}" for k, op in enumerate(GSAS2_OPS))
    return f"""data_gsas2
_audit_creation_method 'created by GSAS-II'
_cell_length_a {CELL[0]}
_cell_length_b {CELL[1]}
_cell_length_c {CELL[2]}
_cell_angle_alpha 90
_cell_angle_beta {CELL[3]}
_cell_angle_gamma 90
_symmetry_space_group_name_H-M 'C 2/c'
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
{atoms}
loop_
_geom_bond_atom_site_label_1
_geom_bond_atom_site_label_2
_geom_bond_distance
_geom_bond_site_symmetry_1
_geom_bond_site_symmetry_2
_geom_bond_publ_flag
{chr(10).join(bonds)}
loop_
_geom_angle_atom_site_label_1
_geom_angle_atom_site_label_2
_geom_angle_atom_site_label_3
_geom_angle
_geom_angle_site_symmetry_1
_geom_angle_site_symmetry_2
_geom_angle_site_symmetry_3
_geom_angle_publ_flag
{chr(10).join(angles)}
loop_
_geom_torsion_atom_site_label_1
_geom_torsion_atom_site_label_2
_geom_torsion_atom_site_label_3
_geom_torsion_atom_site_label_4
_geom_torsion
_geom_torsion_site_symmetry_1
_geom_torsion_site_symmetry_2
_geom_torsion_site_symmetry_3
_geom_torsion_site_symmetry_4
O5 O4 Fe2 O4 22.05 1_555 1_555 1_555 -1_565
"""


@pytest.fixture
def gsas2_table(tmp_path) -> pd.DataFrame:
    return check(read_cif(write(tmp_path, "gsas2.cif", _gsas2_cif()))[0])


def test_gsas2_codes_are_decoded(gsas2_table):
    t = gsas2_table.set_index("atoms")
    for label in DONORS:
        row = t.loc[f"Fe1-{label}"]
        assert row.status == "ok", (label, row.reason)
        assert row.symmetry_codes.split()[1] == CIF_CODES[label]
        assert abs(row.calculated - np.linalg.norm(DONORS[label][2])) < 2e-4
    angles = gsas2_table[gsas2_table.kind == "angle"]
    assert len(angles) == 10 and set(angles.status) == {"ok"}
    # the codes that are not n_klm of the CIF's list say how they were read
    assert "GSAS-II" in t.loc["Fe1-O3", "reason"] and "GSAS-II" in t.loc["Fe1-N1", "reason"]


def test_torsion_through_a_linear_triple_is_undefined(gsas2_table, tmp_path):
    row = gsas2_table[gsas2_table.kind == "torsion"].iloc[0]
    assert row.status == "undefined"
    assert "O4-Fe2-O4 is linear (180.00" in row.reason
    # and check exits 0 on it: undefined is no disagreement
    from typer.testing import CliRunner

    from coordgeo.cli import app

    text = (
        _gsas2_cif().split("loop_\n_geom_bond")[0]
        + "loop_\n_geom_torsion"
        + (_gsas2_cif().split("loop_\n_geom_torsion")[1])
    )
    result = CliRunner().invoke(app, ["check", str(write(tmp_path, "t.cif", text))])
    assert result.exit_code == 0, result.output
    assert "1 undefined" in result.stderr


def test_unknown_labels_get_suggestions(gsas2_table):
    t = gsas2_table.set_index("atoms")
    assert t.loc["K1-O1", "status"] == "unresolved"
    assert "'K1' (the CIF has K)" in t.loc["K1-O1", "reason"]
    assert "'01' (the CIF has O1" in t.loc["Fe1-01", "reason"]


def test_suggest_labels(tmp_path):
    from coordgeo.check import suggest_labels

    s = read_cif(write(tmp_path, "gsas2.cif", _gsas2_cif()))[0]
    assert suggest_labels(s, "K1")[0] == "K"
    assert suggest_labels(s, "01")[0] == "O1"
    assert suggest_labels(s, "Fe(1)")[0] == "Fe1"
    assert suggest_labels(s, "О2")[0] == "O2"  # Cyrillic capital O
    assert suggest_labels(s, "Xx9") == []


# files whose loops take every path of check: codes read and missing (no code columns),
# images searched, labels marked as symmetry mates, riding H, ring-centroid acceptors,
# linear torsions, unreadable rows, mismatches, rows that are ok only thanks to the
# rounding of riding H coordinates (2213608, sn5033sup1)
_PATHS = [
    "2213608.cif",
    "sn5033sup1.cif",
    "2231779.cif",
    "2219444.cif",
    "2010793.cif",
    "2234766.cif",
    "4063196-short-H-M.cif",
    "2101258.cif",
    "2011989.cif",
    "2001520-disorder-no-occupancy.cif",
    "2009228.cif",
]


@pytest.mark.parametrize("name", _PATHS)
def test_loop_at_once_equals_row_by_row(shared, name):
    """check measures a loop at once (one call per number of atoms, torsions' bond angles
    shared, rounding su's only where a row does not fit without them); the same rows
    measured one at a time with geometry.measure and judged with judge() and
    rounding_effect() (the row-by-row path check had before) give the same values,
    su's and statuses."""
    from coordgeo.check import judge, resolve, rounding_effect
    from coordgeo.esd import parse_su
    from coordgeo.geometry import measure

    blocks = read_cif_blocks(shared / "cifs" / "published" / name)
    tables = [(s, resolve(s)) for s in blocks if not isinstance(s, InputError)]
    rows = [(s, row) for s, table in tables for row in table.itertuples(index=False)]
    assert rows
    compared = 0
    for structure, row in rows:
        if row.sites is None:  # unresolved, or a ring-centroid acceptor
            continue
        sites = np.array([row.sites])
        ops = np.array([[c.op for c in row.codes]])
        shifts = np.array([[c.shift for c in row.codes]], dtype=float)
        value, su = (float(x[0]) for x in measure(structure, sites, ops, shifts))
        rounding = float(rounding_effect(structure, sites, ops, shifts)[0])
        pub, pub_su = parse_su(row.value_text)
        pub_su = np.nan if pub_su is None else pub_su
        if row.kind == "torsion" and abs(value - pub) > 180:
            value -= 360 * np.sign(value - pub)
        assert row.calculated == pytest.approx(value, rel=1e-12, abs=1e-12)
        assert row.calculated_su == pytest.approx(su, rel=1e-9, abs=1e-15, nan_ok=True)
        if row.status == "undefined":
            continue
        status, reason = judge(
            structure, row.kind, row.value_text, list(row.sites), pub, pub_su, value, su, rounding
        )
        assert row.status == status, (row.atoms, row.reason)
        assert row.reason.endswith(reason), (row.atoms, row.reason, reason)
        compared += 1
    assert compared > 0.8 * len(rows)


def test_published_values_read_as_a_column_equal_parse_su(shared) -> None:
    # check reads a loop's printed values ("1.97946(19)") as one column of characters;
    # each value and su must be the number coordgeo.esd.parse_su gives for its text
    import math
    import random

    from coordgeo.check import _published_rows, _published_value, _published_values
    from coordgeo.io.cif import read_cif_blocks

    def same(a, b) -> bool:
        return (a[0] == b[0] or a[0] is None is b[0]) and (
            a[1] == b[1] or (math.isnan(a[1]) and math.isnan(b[1]))
        )

    columns = []
    for name in ("1000000.cif", "4502879.cif", "bs5069-estimated-sg.cif", "2240655.cif"):
        for s in read_cif_blocks(shared / "cifs/published" / name):
            columns.append([r.value_text for r in _published_rows(s.geom)])
    rng = random.Random(7)
    alphabet = "0123456789.()-+e?' "
    for _ in range(3000):  # hostile texts: the column falls back to the one-by-one reader
        columns.append(
            ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 9))) for _ in range(3)]
        )
    n = 0
    for column in columns:
        for text, got in zip(column, _published_values(column), strict=True):
            assert same(got, _published_value.__wrapped__(text)), text
            n += 1
    assert n > 3000 + 500


def test_single_sites_are_what_resolve_label_reads(shared) -> None:
    # check reads most labels from labels.single_sites instead of resolve_label: every
    # label it lists must be one resolve_label reads exactly as that one site with nothing
    # to note, and every other label must be one resolve_label reads otherwise. Spaces,
    # a repeated label (two sites) and other cases/marks are made here on a real structure.
    from dataclasses import replace

    from coordgeo.io.labels import resolve_label, single_sites

    structures = []
    for name in ("2213608.cif", "sn5033sup1.cif", "2001520-disorder-no-occupancy.cif"):
        structures += [
            s
            for s in read_cif_blocks(shared / "cifs" / "published" / name)
            if not isinstance(s, InputError)
        ]
    base = structures[0]
    odd = list(base.labels)
    odd[1] = odd[0]  # one label, two sites
    odd[2] = f" {odd[2]} "  # a label with spaces around it
    structures.append(replace(base, labels=odd))
    checked = 0
    for s in structures:
        single = single_sites(s)
        printed = {x for name in s.labels for x in (name, name.strip(), name.upper(), name + "'")}
        for label in printed:
            found = resolve_label(s, label)
            plain = found.how == "exact" and len(found.sites) == 1 and not found.note
            assert (label in single) == plain, label
            if plain:
                assert single[label] == found.sites[0]
                checked += 1
    assert checked > 100
    assert odd[0] not in single_sites(structures[-1])
    assert odd[2] not in single_sites(structures[-1])


def test_an_angle_with_an_arm_of_zero_length_is_unresolved(shared, tmp_path):
    # 1000000.cif's angle O6-P1-O8 printed as P1-P1-O8 (the review's typo): the arm P1-P1
    # has length 0, so the angle has no value; it was "mismatch, differs by +nan" with
    # three RuntimeWarnings; the other rows stay as the authors' own check gives them
    import warnings

    text = (shared / "cifs/published/1000000.cif").read_text()
    assert "\nO6 P1 O8 . . 111.0(2) ?\n" in text
    s = read_cif(write(tmp_path, "typo.cif", text.replace("\nO6 P1 O8 . .", "\nP1 P1 O8 . .")))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = check(s[0])
    row = table[table.atoms == "P1-P1-O8"].iloc[0]
    assert row.status == "unresolved"
    assert row.reason == "the value is undefined: two of its atoms are at one position"
    assert (table.status[table.atoms != "P1-P1-O8"] == "ok").all()


def test_a_torsion_with_a_bond_of_zero_length_is_unresolved(shared, tmp_path):
    # 1512116.cif's torsions C18-N-C1-C2 and C15-N-C1-C2 printed with one atom twice in a
    # row (C18-N-N-C2, C15-C15-C1-C2): a bond of length 0 has no plane, so no torsion;
    # arctan2(0, 0) made them 0.0°, "mismatch", with two RuntimeWarnings
    import warnings

    text = (shared / "cifs/published/1512116.cif").read_text()
    typo = text.replace("\nC18 N C1 C2 90.35(16)", "\nC18 N N C2 90.35(16)").replace(
        "\nC15 N C1 C2 -41.08(18)", "\nC15 C15 C1 C2 -41.08(18)"
    )
    assert typo.count("\n") == text.count("\n") and typo != text
    s = read_cif(write(tmp_path, "typo.cif", typo))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = check(s[0])
    rows = table[table.atoms.isin(["C18-N-N-C2", "C15-C15-C1-C2"])]
    assert len(rows) == 2 and (rows.status == "unresolved").all()
    assert rows.reason.str.endswith("two of its atoms are at one position").all()
