"""One compound or not: compare refuses unrelated structures, the report groups a series by
compound (not by cell) and names a phase transition (issue 19 item 4)."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

import coordgeo
from coordgeo.cli import app
from coordgeo.compare import UnrelatedStructures, compare
from coordgeo.series import cell_change, compound_key

runner = CliRunner()


def _with_beta(source, block, beta, tmp_path):
    """The qsal CIF with the β angle of one block changed, as across a phase transition
    that tilts the cell (a ferric thiosemicarbazone changes β by 11° between 150 and 373 K)."""
    text = source.read_text()
    start = text.index(f"data_{block}")
    end = text.find("\ndata_", start + 1)
    end = len(text) if end < 0 else end
    part = re.sub(r"(_cell_angle_beta\s+)\S+", rf"\g<1>{beta}", text[start:end], count=1)
    out = tmp_path / "tilted.cif"
    out.write_text(text[:start] + part + text[end:])
    return out


def test_compare_refuses_two_compounds(qsal_cif, shared):
    other = shared / "cifs" / "published" / "2011989.cif"  # an unrelated Fe compound
    structures = [coordgeo.read(qsal_cif)[0], coordgeo.read(other)[0]]
    assert compound_key(structures[0]) != compound_key(structures[1])
    with pytest.raises(UnrelatedStructures, match="not the compound"):
        compare(structures)
    forced = compare(structures, force=True)
    assert any("not the compound" in n for n in forced.notes)
    result = runner.invoke(app, ["compare", str(qsal_cif), str(other)])
    assert result.exit_code == 1, result.output
    assert "not the compound" in result.output
    result = runner.invoke(app, ["compare", str(qsal_cif), str(other), "--force", "-f", "csv"])
    assert result.exit_code == 0, result.output


def test_one_compound_across_temperatures_is_one_compound(qsal_cif):
    structures = coordgeo.read(qsal_cif)
    keys = {compound_key(s) for s in structures}
    assert len(keys) == 1
    # [Fe(qsal-I)2]+ : C32 Fe I2 N4 O2 without H (the OTf− anion and MeOH are not part)
    (key,) = keys
    assert key == ("C32 Fe I2 N4 O2",)
    assert compare(structures).notes == ()  # 4 % in a and 2.6° in β: no phase transition


def test_a_phase_transition_keeps_one_series_with_a_note(qsal_cif, tmp_path):
    from coordgeo.report.series import group_series

    tilted = _with_beta(qsal_cif, "wp91-rt2", "108.0", tmp_path)
    structures = coordgeo.read(tilted)
    betas = {s.block: s.cell.beta for s in structures}
    assert abs(betas["wp91-rt2"] - betas["wp91-mt2"]) > 10
    assert "β" in cell_change(structures[2], structures[1])
    groups = group_series(structures)
    assert len(groups) == 1 and len(groups[0].members) == 3
    assert any("phase transition" in n and "β" in n for n in groups[0].notes)
    assert any("phase transition" in n for n in compare(structures).notes)


def test_compare_lists_contact_changes_across_the_transition(qsal_cif):
    # issue 15: the π–π and C–H···π contacts at 163, 230 and 293 K and which change most.
    # The stacks and the one C–H···π contact that forms at 293 K are what tests/test_contacts
    # derives from the coordinates; here they must come out of compare, in series order.
    result = compare(coordgeo.read(qsal_cif))
    c = result.contacts
    assert set(c["before"]) <= {"163 K", "230 K"} and set(c["after"]) <= {"230 K", "293 K"}
    first_last = c[(c["before"] == "163 K") & (c["after"] == "293 K")]
    stacks = first_last[first_last["kind"] == "pi-pi"]
    assert len(stacks) >= 3 and (stacks["status"] != "broken").all()
    formed = first_last[first_last["status"] == "formed"]
    assert any("H30" in text and "Cg" in text for text in formed["contact"])
    result = runner.invoke(app, ["compare", str(qsal_cif)])
    assert result.exit_code == 0 and "formed" in result.stdout
