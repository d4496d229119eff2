"""Reading OctaDist-style xyz files and extracting coordination polyhedra."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from coordgeo.elements import is_transition_metal
from coordgeo.errors import InputError
from coordgeo.io.xyz import extract_octahedron, read_xyz, read_xyz_molecules


def octadist(shared: Path, name: str) -> Path:
    return shared / "xyz" / "octadist" / name


def test_every_octadist_example_reads(shared: Path) -> None:
    files = sorted((shared / "xyz" / "octadist").glob("*.xyz"))
    assert len(files) == 11
    for path in files:
        sites = read_xyz(path)
        assert sites, path.name
        for site in sites:
            assert site.n == 6 and site.ligands.shape == (6, 3)
            assert np.all(np.diff(site.distances) >= 0)
            assert site.path == str(path)


def test_full_complex_takes_the_six_nearest_atoms(shared: Path) -> None:
    # [Fe(1-bpp)2][BF4]2 LS: 51 atoms; Fe is atom 1 and its six nearest atoms are the N donors
    # listed right after it (lines 4–9), all within 2.0 Å; the next atom is a C.
    path = octadist(shared, "[Fe(1-bpp)2][BF4]2-LS-Full.xyz")
    (molecule,) = read_xyz_molecules(path)
    assert len(molecule.elements) == 51 and molecule.title == "[Fe(1-bpp)2][BF4]2-LS-Full"
    (site,) = read_xyz(path)
    assert (site.metal, site.metal_index, site.line) == ("Fe", 0, 3)
    assert site.ligand_elements == ("N",) * 6
    assert sorted(site.ligand_indices) == [1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose(site.center, [4.0674, 7.2040, 13.6117])
    assert site.distances.max() < 2.0


def test_multiple_metals(shared: Path) -> None:
    # One molecule of 34 atoms: Pd (atom 0) with 7 H, Ru (atom 8) with 6 H, a benzene and the
    # FeO2N4 block of example_1.py at atoms 25–31 (written with tabs). OctaDist's examples take
    # Pd with its 6 nearest H and Ru (index 8) with its 6 H.
    path = octadist(shared, "Multiple-metals.xyz")
    sites = read_xyz(path)
    assert [(s.metal, s.metal_index, s.line) for s in sites] == [
        ("Pd", 0, 3),
        ("Ru", 8, 11),
        ("Fe", 25, 28),
    ]
    pd, ru, fe = sites
    assert pd.ligand_elements == ("H",) * 6
    (left_out,) = set(range(1, 8)) - set(pd.ligand_indices)  # the farthest of Pd's 7 H
    (molecule,) = read_xyz_molecules(path)
    assert np.linalg.norm(molecule.coords[left_out] - pd.center) > pd.distances.max()
    assert sorted(ru.ligand_indices) == [9, 10, 11, 12, 13, 14]
    assert sorted(fe.ligand_elements) == ["N", "N", "N", "N", "O", "O"]
    np.testing.assert_allclose(fe.center, [2.298354, 5.161785, 7.971898])
    (only_ru,) = read_xyz(path, metal_index=8)
    np.testing.assert_array_equal(only_ru.ligands, ru.ligands)


def test_extract_octahedron_matches_octadist_rule() -> None:
    # Metal + n nearest atoms, ties in input order (OctaDist sorts a list by distance, stably).
    elements = ["C", "Fe", "N", "O", "N", "Cl"]
    coords = np.array(
        [[5.0, 0, 0], [0, 0, 0], [2.0, 0, 0], [0, 2.0, 0], [0, 0, 2.0], [0, 0, -2.5]], dtype=float
    )
    site = extract_octahedron(elements, coords, metal_index=1, n=4)
    assert site.ligand_indices == (2, 3, 4, 5)
    assert site.ligand_elements == ("N", "O", "N", "Cl")
    assert extract_octahedron(elements, coords, 1, n=None).ligand_indices == (2, 3, 4, 5, 0)
    assert extract_octahedron(elements, coords, 1, n=6, cutoff=2.2).ligand_indices == (2, 3, 4)
    with pytest.raises(InputError, match="only 5 other atoms"):
        extract_octahedron(elements, coords, 1, n=6)
    with pytest.raises(InputError, match="no atom 9"):
        extract_octahedron(elements, coords, 9)


def write(tmp_path: Path, text: str, name: str = "test.xyz") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD = "3\ntitle line\nFe 0 0 0\nN\t2.0  0.0\t0.0\nN 0 2.1 0 extra columns ignored\n"


def test_odd_spacing_labels_and_several_molecules(tmp_path: Path) -> None:
    text = GOOD + "\n" + "2\nsecond\n  co1   1.0 1.0 1.0\n7 1.5 1.0 1.0\n\n"
    molecules = read_xyz_molecules(write(tmp_path, text))
    assert [m.elements for m in molecules] == [("Fe", "N", "N"), ("Co", "N")]
    assert [m.line for m in molecules] == [1, 7]
    assert molecules[1].title == "second"
    sites = read_xyz(write(tmp_path, text), n=1)
    assert [(s.metal, s.molecule, s.line) for s in sites] == [("Fe", 0, 3), ("Co", 1, 9)]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("", None, "empty"),
        ("three\ntitle\nFe 0 0 0\n", 1, "number of atoms"),
        ("3\ntitle\nFe 0 0 0\nN 2 0 0\n", 4, "ends after 2 of the 3 atoms"),
        ("2\ntitle\nFe 0 0 0\nN 2.0 x 0\n", 4, "'x' is not a number"),
        ("2\ntitle\nFe 0 0 0\nXx 2 0 0\n", 4, "unknown element 'Xx'"),
        ("2\ntitle\nFe 0 0 0\nN 2 0\n", 4, "element x y z"),
        ("2\ntitle\nFe 0 0 0\nN 2 0 nan\n", 4, "not finite"),
        ("1\ntitle\nFe 0 0 0\nN 2 0 0\n", 4, "does the count 1 on line 1"),
        ("0\ntitle\n", 1, "positive"),
    ],
)
def test_bad_input_is_one_line_input_error(
    tmp_path: Path, text: str, line: int | None, words: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        read_xyz(path)
    message = str(info.value)
    assert words in message and "\n" not in message
    assert str(path) in message
    assert info.value.line == line


def test_no_metal_needs_a_metal_index(tmp_path: Path) -> None:
    path = write(tmp_path, "3\nammonia-ish\nN 0 0 0\nH 1 0 0\nH 0 1 0\n")
    with pytest.raises(InputError, match="metal_index"):
        read_xyz(path, n=2)
    (site,) = read_xyz(path, n=2, metal_index=0)
    assert site.metal == "N" and site.ligand_elements == ("H", "H")


def test_too_few_atoms_for_n_names_the_metal_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        read_xyz(write(tmp_path, GOOD))
    assert info.value.line == 3 and "6 donors asked for" in str(info.value)


def test_unreadable_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_xyz(tmp_path / "missing.xyz")
    path = tmp_path / "binary.xyz"
    path.write_bytes(b"\x00\x01\x02")
    with pytest.raises(InputError, match="binary"):
        read_xyz(path)


def test_metals_are_the_d_and_f_block() -> None:
    # the centres of xyz polyhedra (OctaDist's find_metal); coordgeo.elements.is_metal is wider
    assert all(is_transition_metal(x) for x in ("Fe", "Co", "Ru", "Pd", "Gd", "U", "Zn"))
    assert not any(is_transition_metal(x) for x in ("N", "Sb", "Al", "Na", "C"))
