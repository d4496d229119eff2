"""Checking a published SI table on its own, without the CIF it came from.

What a table alone can be checked for (the legend's operators are checked by
:mod:`coordgeo.sitables.operators`, the core reconstruction is
:mod:`coordgeo.sitables.reconstruct`):

* :func:`check_labels` — labels that cannot be right (``Fe1-Fe1`` with no code).
* :func:`check_duplicates` — one bond or angle quoted twice (directly or through the site
  symmetry of the metal: Fe1 on the 2-fold axis A makes Fe1–N1A the same bond as
  Fe1–N1) must agree within the su's.
* :func:`check_coordination` — per metal and column: the angles around the metal,
  completed by its site symmetry, must be realisable by unit vectors in 3-D (Gram matrix
  positive semidefinite and of rank ≤ 3 within the su's); for an octahedron with all 15
  angles the three trans angles (> 150° expected) and Σ = Σ|90 − φ| over the 12 cis angles.
* :func:`check_hbonds` — D···A from D–H, H···A and the D–H···A angle (law of cosines).
* :func:`check_thermo` — T½ = ΔH/ΔS against the printed T½, within the rounding of the
  printed numbers.

Each check returns a :class:`pandas.DataFrame` with a ``status`` and a one-line ``note``
per row; :func:`check_table` gathers them with the legend check and the reconstruction.
Statuses: ``ok``; ``warning`` (possible but unusual, or a residual between 2 and 3 su);
``inconsistent`` (the numbers cannot all hold, or a residual above 3 su); ``invalid`` (an
item that cannot be right as printed); ``incomplete`` (too little in the table to check);
``not-reconstructed``. How rows are read (site symmetry, donors) is told in
:mod:`coordgeo.sitables.spheres`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import gemmi
import numpy as np
import pandas as pd

from coordgeo.io.sitables import SITable, element_of_label
from coordgeo.sitables.operators import IDENTITY, check_legend
from coordgeo.sitables.reconstruct import CoreFit, check_reconstruction, reconstruct_cores
from coordgeo.sitables.spheres import (
    Sphere,
    act,
    centred_images,
    column_rows,
    effective_su,
    equivalence_key,
    geometry_rows,
    image,
    image_name,
    is_metal_label,
    metal_spheres,
)

__all__ = [
    "TRANS_MIN",
    "check_coordination",
    "check_duplicates",
    "check_hbonds",
    "check_labels",
    "check_table",
    "check_thermo",
]

TRANS_MIN = 150.0  # degrees; a trans angle below this is unusual for an octahedron


def check_labels(table: SITable) -> pd.DataFrame:
    """Rows that cannot be right as printed, one row per problem: a code whose operator is
    unreadable, one atom named twice (``Fe1-Fe1``: a zero distance,
    also when the code's operator fixes the atom), an angle outside 0–180° (``invalid``);
    a label without an element symbol (``M9A``, a mixed site: ``warning``)."""
    columns = ["row", "label", "column", "status", "note"]
    if table.kind not in ("geometry", "hbond"):
        return pd.DataFrame(columns=columns)
    ops = table.operators
    spheres = metal_spheres(table) if table.kind == "geometry" else {}
    rows = geometry_rows(table)
    records = []
    for (number, label), group in rows.groupby(["row", "label"], sort=True):
        first = group.iloc[0]
        atoms, codes = first["atoms"], first["codes"]
        printed = ", ".join(group["text"])

        def add(
            note: str,
            column: str = "",
            number: int = number,
            label: str = label,
            status: str = "invalid",
        ) -> None:
            records.append((number, label, column, status, note))

        for atom in atoms:
            if element_of_label(atom) is None:  # M9A, T52A: mixed or tetrahedral sites
                add(f"{atom}: no element symbol (a site label such as M1; checked only "
                    "against a CIF)", status="warning")  # fmt: skip
        for code in codes:
            if code and code not in ops:
                add(f"code {code}: its legend operator is unreadable")
        images = [image(a, c, ops) for a, c in zip(atoms, codes, strict=True)]
        site = spheres[atoms[0]].site_ops if atoms[0] in spheres else (gemmi.Op(IDENTITY),)
        if first["kind"] == "distance" and any(act(g, images[0]) == images[1] for g in site):
            add(_zero_distance_note(table, atoms, codes, printed))
        if first["kind"] == "angle" and images[0] == images[2]:
            add("the same atom at both ends of the angle")
        if first["kind"] == "angle":
            for row in group.itertuples():
                if not 0 < row.published <= 180:
                    add(f"{row.text}° is not an angle", row.column)
    return pd.DataFrame.from_records(records, columns=columns)


def _zero_distance_note(
    table: SITable, atoms: Sequence[str], codes: Sequence[str], printed: str
) -> str:
    """Why ``Fe1-Fe1`` (or Fe1–Fe1A with A fixing Fe1) cannot be right, and what was meant."""
    others = [m for m in _related_metals(table, atoms[0]) if m != atoms[0]]
    hint = f"; probably {atoms[0]}–{others[0]} (the other metal in the table)" if others else ""
    how = (
        f"with code {codes[1]}, whose operator fixes {atoms[0]}"
        if codes[1]
        else "with no symmetry code"
    )
    return f"names {atoms[0]} twice {how}: a zero distance, printed as {printed} Å{hint}"


def _related_metals(table: SITable, metal: str) -> list[str]:
    """Other metals of the table, those quoted in an angle at ``metal`` first."""
    rows = geometry_rows(table)
    near = [
        a
        for atoms, kind in zip(rows["atoms"], rows["kind"], strict=True)
        if kind == "angle" and atoms[1] == metal
        for a in (atoms[0], atoms[2])
        if a != metal and is_metal_label(a)
    ]
    others = sorted(
        {a for atoms in rows["atoms"] for a in atoms if is_metal_label(a) and a != metal}
    )
    return list(dict.fromkeys([*near, *others]))


_DUPLICATE_COLUMNS = [
    "column", "rows", "labels", "values", "difference", "tolerance", "status", "note",
]  # fmt: skip


def check_duplicates(table: SITable) -> pd.DataFrame:
    """Pairs of rows that quote one bond or angle twice, and whether they agree.

    Two rows are the same quantity when they name the same atoms (in either order) or
    when the metal's site symmetry maps one onto the other (Fe1 on the 2-fold axis of A:
    Fe1–N1A ≡ Fe1–N1, N1–Fe1–N2A ≡ N1A–Fe1–N2). They agree when they differ by at most
    2·√(su₁² + su₂²).
    """
    if table.kind != "geometry":
        return pd.DataFrame(columns=_DUPLICATE_COLUMNS)
    rows = geometry_rows(table)
    records = [
        _duplicate_record(rows.loc[i], rows.loc[j], column)
        for (column, _, _), indices in _same_quantity(table, rows).items()
        for i, j in itertools.combinations(indices, 2)
    ]
    return pd.DataFrame.from_records(records, columns=_DUPLICATE_COLUMNS)


def _same_quantity(table: SITable, rows: pd.DataFrame) -> dict[tuple, list[int]]:
    """(column, kind, key equal under the metal's site symmetry) → indices of the rows."""
    ops = table.operators
    spheres = metal_spheres(table)
    keyed: dict[tuple, list[int]] = {}
    for index, row in rows.iterrows():
        images = [image(a, c, ops) for a, c in zip(row["atoms"], row["codes"], strict=True)]
        group: Sequence[gemmi.Op] = (gemmi.Op(IDENTITY),)
        centre = ""
        for metal, sphere in spheres.items():
            around = centred_images(row, metal, ops)
            if around is not None:
                images, group, centre = around, sphere.site_ops, metal
                break
        ordered = row["kind"] != "distance"
        key = (row["column"], row["kind"], equivalence_key(images, group, ordered, centre))
        keyed.setdefault(key, []).append(index)
    return keyed


def _duplicate_record(a: pd.Series, b: pd.Series, column: str) -> dict:
    """Whether two rows quoting the same quantity agree within 2·√(su₁² + su₂²)."""
    su_a = effective_su(a["published_su"], a["text"])
    su_b = effective_su(b["published_su"], b["text"])
    difference = float(b["published"] - a["published"])
    tolerance = 2 * math.hypot(su_a, su_b)
    agree = abs(difference) <= tolerance
    return {
        "column": column,
        "rows": (int(a["row"]), int(b["row"])),
        "labels": f"{a['label']} / {b['label']}",
        "values": f"{a['text']} / {b['text']}",
        "difference": difference,
        "tolerance": tolerance,
        "status": "ok" if agree else "inconsistent",
        "note": (
            f"{a['label']} and {b['label']} are the same "
            f"{a['kind']} and {'agree' if agree else 'disagree'}: "
            f"{a['text']} vs {b['text']} (Δ = {difference:+.4g}, 2σ = {tolerance:.2g})"
        ),
    }


def _angle_table(
    table: SITable, sphere: Sphere, column: str
) -> dict[tuple, tuple[float, float, int]]:
    """Canonical donor pair → (angle, su, row) for one column."""
    ops = table.operators
    known: dict[tuple, tuple[float, float, int]] = {}
    for index, row in column_rows(table, column, sphere.rows).iterrows():
        if row["kind"] != "angle":
            continue
        images = centred_images(row, sphere.metal, ops)
        assert images is not None
        key = equivalence_key([images[0], images[2]], sphere.site_ops, ordered=False)
        su = effective_su(row["published_su"], row["text"])
        known.setdefault(key, (float(row["published"]), su, index))
    return known


def _octahedron(
    n: int,
    angle: Mapping[tuple[int, int], float],
    su: Mapping[tuple[int, int], float],
    multiplicity: Mapping[tuple[int, int], tuple],
) -> tuple[list[tuple[int, int]], float, float]:
    """Trans pairs (best perfect matching), Σ and its su for n = 6 donors."""
    best: tuple[float, list[tuple[int, int]]] | None = None
    for matching in _perfect_matchings(list(range(n))):
        total = sum(angle[p] for p in matching)
        if best is None or total > best[0]:
            best = (total, matching)
    assert best is not None
    trans = best[1]
    cis = [p for p in angle if p not in trans]
    sigma = sum(abs(90.0 - angle[p]) for p in cis)
    # symmetry-equivalent angles are one printed number: their errors add linearly
    by_source: dict[tuple, float] = {}
    for p in cis:
        by_source[multiplicity[p]] = by_source.get(multiplicity[p], 0.0) + su[p]
    sigma_su = math.sqrt(sum(v * v for v in by_source.values()))
    return trans, sigma, sigma_su


def _perfect_matchings(items: list[int]) -> Iterable[list[tuple[int, int]]]:
    if not items:
        yield []
        return
    first = items[0]
    for k in range(1, len(items)):
        pair = (first, items[k])
        rest = items[1:k] + items[k + 1 :]
        for matching in _perfect_matchings(rest):
            yield [pair, *matching]


_COORDINATION_COLUMNS = [
    "metal", "column", "temperature", "site_symmetry", "n_donors", "donors",
    "angles_known", "angles_needed", "sigma", "sigma_su", "trans_angles",
    "gram_min", "gram_rank3", "gram_tolerance", "status", "note",
]  # fmt: skip


def check_coordination(table: SITable) -> pd.DataFrame:
    """Angles around each metal, per column: completeness, Gram-matrix test, trans angles, Σ.

    With n donors and all n(n−1)/2 angles known (printed, or equal to a printed one by
    the site symmetry), G_ij = cos φ_ij must be the Gram matrix of n unit vectors in 3-D:
    positive semidefinite and of rank ≤ 3. Both are tested against a tolerance
    ‖E‖_F with E_ij = 2 sin φ_ij σ(φ_ij) (eigenvalues move by at most ‖E‖, Weyl).
    For six donors, the trans pairs are the perfect matching with the largest angles and
    Σ = Σ_cis |90° − φ| (McCusker et al., Inorg. Chem. 1996, 35, 2100) with su from the
    printed su's (equal angles counted once, with their multiplicity).
    """
    if table.kind != "geometry":
        return pd.DataFrame(columns=_COORDINATION_COLUMNS)
    records = [
        _coordination_record(table, sphere, column, temperature)
        for sphere in metal_spheres(table).values()
        for column, temperature in zip(table.columns, table.temperatures, strict=True)
    ]
    return pd.DataFrame.from_records(records, columns=_COORDINATION_COLUMNS)


def _coordination_record(
    table: SITable, sphere: Sphere, column: str, temperature: float | None
) -> dict:
    """The coordination check of one metal in one column."""
    metal, donors = sphere.metal, list(sphere.donors)
    names = [image_name(d, table.operators) for d in donors]
    n, needed = len(donors), len(donors) * (len(donors) - 1) // 2
    known = _angle_table(table, sphere, column)
    angle, su, source = {}, {}, {}
    for i, j in itertools.combinations(range(n), 2):
        key = equivalence_key([donors[i], donors[j]], sphere.site_ops, ordered=False)
        if key in known:
            angle[i, j], su[i, j], source[i, j] = known[key][0], known[key][1], key
    record = {
        "metal": metal,
        "column": column,
        "temperature": temperature,
        "site_symmetry": "".join(sphere.site_keys),
        "n_donors": n,
        "donors": " ".join(names),
        "angles_known": len(angle),
        "angles_needed": needed,
        "sigma": math.nan,
        "sigma_su": math.nan,
        "trans_angles": "",
        "gram_min": math.nan,
        "gram_rank3": math.nan,
        "gram_tolerance": math.nan,
    }
    if n < 2 or len(angle) < needed:
        caveat = "; ".join(sphere.notes)
        note = (
            f"{metal}: {n} donors, {len(known)} angles printed, {len(angle)} of {needed} "
            f"known with the site symmetry; {needed - len(angle)} missing"
            + (f"; {caveat}" if caveat else "")
        )
        return record | {"status": "incomplete", "note": note}
    gram, status, notes = _gram_test(angle, su, n)
    record |= gram
    if n == 6:
        octahedron, status, more = _octahedron_summary(names, metal, angle, su, source, status)
        record |= octahedron
        notes += more
    if status == "ok":
        notes.insert(0, f"{n} donors, all {len(angle)} angles ({len(known)} printed) consistent")
    return record | {"status": status, "note": "; ".join([*notes, *sphere.notes])}


def _gram_test(
    angle: Mapping[tuple[int, int], float], su: Mapping[tuple[int, int], float], n: int
) -> tuple[dict, str, list[str]]:
    """Whether all the angles between n donors are realisable by unit vectors in 3-D:
    (gram_min, gram_rank3, gram_tolerance), status and notes."""
    gram = np.eye(n)
    error = np.zeros((n, n))
    for (i, j), value in angle.items():
        gram[i, j] = gram[j, i] = math.cos(math.radians(value))
        error[i, j] = error[j, i] = 2 * math.sin(math.radians(value)) * math.radians(su[i, j])
    eigen = np.sort(np.linalg.eigvalsh(gram))[::-1]
    tolerance = float(np.linalg.norm(error))
    rank3 = float(np.max(np.abs(eigen[3:]))) if n > 3 else 0.0
    fields = {"gram_min": float(eigen[-1]), "gram_rank3": rank3, "gram_tolerance": tolerance}
    if eigen[-1] < -tolerance:
        note = f"angles not realisable by unit vectors (Gram eigenvalue {eigen[-1]:.3f})"
        return fields, "inconsistent", [note]
    if rank3 > tolerance:
        note = f"angles need more than 3 dimensions (4th Gram eigenvalue {rank3:.3f})"
        return fields, "inconsistent", [note]
    return fields, "ok", []


def _octahedron_summary(
    names: Sequence[str],
    metal: str,
    angle: Mapping[tuple[int, int], float],
    su: Mapping[tuple[int, int], float],
    source: Mapping[tuple[int, int], tuple],
    status: str,
) -> tuple[dict, str, list[str]]:
    """Σ, its su and the trans angles of six donors: record fields, status, notes (a trans
    angle below :data:`TRANS_MIN` turns ``ok`` into ``warning``)."""
    trans, sigma, sigma_su = _octahedron(len(names), angle, su, source)
    trans_values = [angle[p] for p in trans]
    fields = {
        "sigma": sigma,
        "sigma_su": sigma_su,
        "trans_angles": ", ".join(
            f"{names[i]}-{metal}-{names[j]} {angle[i, j]:.1f}" for i, j in trans
        ),
    }
    notes = [f"Σ = {sigma:.1f}({max(1, round(sigma_su * 10))})°"]
    low = [v for v in trans_values if v < TRANS_MIN]
    if low and status == "ok":
        status = "warning"
        notes.append(f"trans angle {min(low):.1f}° < {TRANS_MIN:.0f}°")
    else:
        notes.append(f"trans angles {min(trans_values):.1f}–{max(trans_values):.1f}°")
    return fields, status, notes


def check_hbonds(table: SITable) -> pd.DataFrame:
    """D···A against √(d² + h² − 2dh cos θ) from D–H = d, H···A = h, angle θ.

    The tolerance adds, linearly, the effect of the su (or rounding half-unit) of each of
    d, h, θ, plus twice the su of the printed D···A.
    """
    columns = ["row", "label", "d_a", "d_a_calc", "tolerance", "status", "note"]
    if table.kind != "hbond":
        return pd.DataFrame(columns=columns)
    records = []
    for (row, label), group in table.rows.groupby(["row", "label"], sort=True):
        values = {q: r for q, r in zip(group["quantity"], group.itertuples(), strict=True)}
        if not {"D-H", "H...A", "D...A", "D-H...A"} <= set(values):
            continue
        d, h, a = (values[q].published for q in ("D-H", "H...A", "D-H...A"))
        s_d, s_h, s_a, s_da = (
            effective_su(values[q].published_su, values[q].text)
            for q in ("D-H", "H...A", "D-H...A", "D...A")
        )
        theta = math.radians(a)
        calc = math.sqrt(d * d + h * h - 2 * d * h * math.cos(theta))
        tolerance = (
            abs(d - h * math.cos(theta)) / calc * s_d
            + abs(h - d * math.cos(theta)) / calc * s_h
            + d * h * math.sin(theta) / calc * math.radians(s_a)
            + 2 * s_da
        )
        printed = values["D...A"].published
        ok = abs(calc - printed) <= tolerance
        records.append(
            {
                "row": row,
                "label": label,
                "d_a": printed,
                "d_a_calc": calc,
                "tolerance": tolerance,
                "status": "ok" if ok else "inconsistent",
                "note": (
                    f"D···A from D–H, H···A and the angle: {calc:.3f} Å vs printed "
                    f"{values['D...A'].text} ({'agrees' if ok else 'disagrees'}, ±{tolerance:.3f})"
                ),
            }
        )
    return pd.DataFrame.from_records(records, columns=columns)


_ENERGY = {"kJ/mol": 1000.0, "J/mol": 1.0}
_ENTROPY = {"J/(mol K)": 1.0, "kJ/(mol K)": 1000.0}
_THERMO_COLUMNS = [
    "compound", "delta_h", "delta_s", "t_half", "t_half_calc", "t_half_calc_min",
    "t_half_calc_max", "gamma", "status", "note",
]  # fmt: skip


def check_thermo(table: SITable) -> pd.DataFrame:
    """T½ = ΔH/ΔS (ΔH in kJ mol⁻¹ → J mol⁻¹) against the printed T½, for each compound.

    The printed numbers are rounded: each lies within half a unit of its last digit. ΔH/ΔS
    then lies in [(ΔH−h)/(ΔS+s), (ΔH+h)/(ΔS−s)] and the true T½ within half a unit of
    the printed one; the row is ``ok`` when the two intervals overlap. So 15.42/84.49 →
    182.51 K (182.44–182.58 K) is ``ok`` against a printed 182 K (181.5–182.5 K): a
    value between 182.44 and 182.5 K is consistent with all three printed numbers.
    Γ (Slichter–Drickamer cooperativity) is compared with 2RT½: above it the model gives
    a first-order transition with hysteresis, below it a gradual one.
    """
    if table.kind != "thermo":
        return pd.DataFrame(columns=_THERMO_COLUMNS)
    records = []
    for (_, compound), group in table.rows.groupby(["row", "label"], sort=True):
        got = {q: r for q, r in zip(group["quantity"], group.itertuples(), strict=True)}
        if {"delta_h", "delta_s", "t_half"} <= set(got):
            records.append(_thermo_record(compound, got))
    return pd.DataFrame.from_records(records, columns=_THERMO_COLUMNS)


def _thermo_record(compound: str, got: Mapping[str, Any]) -> dict:
    """T½ = ΔH/ΔS with its rounding interval against the printed T½, for one compound
    (``got``: quantity → row of the long-form table)."""
    dh, ds, th = got["delta_h"], got["delta_s"], got["t_half"]
    e_factor = _ENERGY.get(dh.unit, 1000.0)
    s_factor = _ENTROPY.get(ds.unit, 1.0)
    h, s, t = (effective_su(r.published_su, r.text) for r in (dh, ds, th))
    calc = dh.published * e_factor / (ds.published * s_factor)
    low = (dh.published - h) * e_factor / ((ds.published + s) * s_factor)
    high = (dh.published + h) * e_factor / ((ds.published - s) * s_factor)
    overlap = low <= th.published + t and high >= th.published - t
    note = (
        f"ΔH/ΔS = {dh.text} kJ mol⁻¹ / {ds.text} J mol⁻¹ K⁻¹ = {calc:.2f} K "
        f"({low:.2f}–{high:.2f} K from the rounding) vs printed {th.text} K "
        f"({th.published - t:g}–{th.published + t:g} K): "
    )
    if overlap and abs(calc - th.published) <= t:
        note += "agrees"
    elif overlap:
        note += "agrees only at the edge of the rounding"
    else:
        note += "disagrees"
    gamma = math.nan
    if "gamma" in got:
        gamma = got["gamma"].published
        note += "; " + _cooperativity_note(got["gamma"], th.published)
    return {
        "compound": compound,
        "delta_h": dh.published,
        "delta_s": ds.published,
        "t_half": th.published,
        "t_half_calc": calc,
        "t_half_calc_min": low,
        "t_half_calc_max": high,
        "gamma": gamma,
        "status": "ok" if overlap else "inconsistent",
        "note": note,
    }


def _cooperativity_note(gamma: Any, t_half: float) -> str:
    """Γ against 2RT½: abrupt with hysteresis above, gradual below (Slichter–Drickamer)."""
    from coordgeo.magnetism import R_GAS  # here: the magnetism package is slow to import

    critical = 2 * R_GAS * t_half / 1000.0
    g_kj = gamma.published * _ENERGY.get(gamma.unit, 1000.0) / 1000.0
    return (
        f"Γ = {gamma.text} kJ mol⁻¹ {'>' if g_kj > critical else '<'} 2RT½ = "
        f"{critical:.2f} kJ mol⁻¹: "
        + ("abrupt, with hysteresis" if g_kj > critical else "gradual, no hysteresis")
        + " (Slichter–Drickamer)"
    )


def check_table(table: SITable, fits: Sequence[CoreFit] | None = None) -> pd.DataFrame:
    """Every table-only check of one table as findings: check, subject, column, status, note.

    ``fits`` are the table's :func:`coordgeo.sitables.reconstruct.reconstruct_cores`
    when already made (they are made here otherwise).
    """
    findings = []

    def add(check: str, subject: str, column: str, status: str, note: str) -> None:
        findings.append(
            {
                "table": table.name,
                "check": check,
                "subject": subject,
                "column": column,
                "status": status,
                "note": note,
            }
        )

    for r in check_legend(table).itertuples():
        subject = f"{r.code} {r.operator}" if r.code != "*" else "legend as a whole"
        add("legend", subject, "", r.status, r.note)
    for r in check_labels(table).itertuples():
        add("label", r.label, "", r.status, r.note)
    for r in check_duplicates(table).itertuples():
        add("duplicate", r.labels, r.column, r.status, r.note)
    for r in check_coordination(table).itertuples():
        add("coordination", r.metal, r.column, r.status, r.note)
    for r in check_hbonds(table).itertuples():
        add("hbond", r.label, "", r.status, r.note)
    for r in check_thermo(table).itertuples():
        add("thermo", f"compound {r.compound}", "", r.status, r.note)
    fits = reconstruct_cores(table) if fits is None else fits
    for fit in fits:
        add("reconstruction", fit.metal, fit.column, fit.status, fit.note)
    if fits:
        for r in check_reconstruction(table, fits).itertuples():
            if r.status in ("warning", "inconsistent"):
                add("reconstruction row", r.label, r.column, r.status, r.note)
    return pd.DataFrame.from_records(
        findings, columns=["table", "check", "subject", "column", "status", "note"]
    )
