"""`check`: the authors' own _geom_* loops recomputed from the coordinates."""

from __future__ import annotations

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
    assert set(corpus["status"]) <= {"ok", "mismatch", "unresolved"}


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
