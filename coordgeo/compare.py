r"""Two or more structures of one compound side by side: pairing, changes, significance, γ_HS.

:func:`compare` takes structures of one compound (separate files, or the blocks of one
multi-block CIF such as a variable-temperature series), orders them by temperature
(``_diffrn_ambient_temperature``, else ``_cell_measurement_temperature``: see
:attr:`coordgeo.model.Structure.temperature`; structures without one go last) and
takes the first as the reference for labels.

Atoms are paired across structures by :func:`coordgeo.series.pair_series` (by label,
else by graph isomorphism); what could not be paired is listed in
:attr:`Comparison.unpaired`.

Changes and their significance
------------------------------
For consecutive structures (in temperature order) every paired quantity x with su σ
changes by Δ = x₂ − x₁ with su √(σ₁² + σ₂²); the significance is Δ/√(σ₁² + σ₂²)
(|Δ| > 3 combined su is the usual criterion for a real change). Per metal site:
⟨M–L⟩, Σ, Θ, polyhedron volume, CShM(OC-6) (:mod:`coordgeo.polyhedra`); per M–L bond;
cell parameters and volume; H-bonds D···A (:mod:`coordgeo.hbonds`): ``formed``,
``broken``, ``lengthened``/``shortened`` (beyond 3 combined su) or ``unchanged``. An
H-bond is the same in two structures when its donor, H and acceptor are paired atoms;
its symmetry code may differ (another origin or asymmetric unit).

γ_HS of each site through the series is :func:`coordgeo.spin.gamma_hs_series`;
:func:`link_magnetism` puts it beside the Slichter–Drickamer γ_HS(T) of the χMT data.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from coordgeo import spin
from coordgeo.contacts import series_contacts
from coordgeo.errors import InputError
from coordgeo.esd import format_su
from coordgeo.magnetism import SDFit, SDParameters, TwoStepSDFit
from coordgeo.model import Structure, orthogonalization_matrix
from coordgeo.pipeline import Analysis, Options, analyse_structure, make_options
from coordgeo.series import (
    cell_change,
    compound_key,
    donor_keys,
    pair_atoms,
    pair_series,
    table_s1,
    temperature_headers,
    temperature_order,
)
from coordgeo.symmetry import format_code

#: The command-line contract (``coordgeo compare … --format csv``).
SITE_COLUMNS = [
    "structure",
    "block",
    "temperature_K",
    "metal",
    "d_mean",
    "d_mean_su",
    "Sigma",
    "Sigma_su",
    "Theta",
    "cshm_oc6",
    "spin_state",
    "gamma_hs",
]
CHANGED = ("d_mean", "Sigma", "Theta", "volume", "cshm_oc6")
SIGNIFICANT = 3.0  # combined su's


@dataclass(frozen=True, eq=False)
class Comparison:
    """Result of :func:`compare`; every attribute is a DataFrame.

    ``structures``: one row per structure, in temperature order, with cell parameters,
    volume and their su's, and the change from the previous structure with significance.
    ``sites``: one row per paired metal site and structure (:data:`SITE_COLUMNS`, then
    ``site`` (the reference label), spin and oxidation state, γ_HS details, su's of Θ,
    volume and CShM, and ``<x>_change``, ``<x>_change_su``, ``<x>_significance`` for
    ⟨M–L⟩, Σ, Θ, volume and CShM(OC-6)). ``bonds``: every paired M–L bond per structure
    with its change. ``hbonds``: H-bond changes between consecutive structures.
    ``pairing``: each atom's reference label and how it was found; ``unpaired``: what
    could not be paired. ``table``: the Table S1 layout, one column per temperature
    (values ``1.994(4)``), labels with the reference structure's letters; ``legend``: its
    symmetry codes. ``contacts``: π–π, X–H···π and H-bond contacts paired between
    consecutive structures (and first → last), formed, broken, changed or unchanged
    (:func:`coordgeo.contacts.series_contacts`); ``notes``: phase transitions, and what
    ``force`` let through.
    """

    structures: pd.DataFrame
    sites: pd.DataFrame
    bonds: pd.DataFrame
    hbonds: pd.DataFrame
    pairing: pd.DataFrame
    unpaired: pd.DataFrame
    table: pd.DataFrame
    legend: pd.DataFrame
    notes: tuple[str, ...] = ()
    contacts: pd.DataFrame | None = None


def compare(
    structures: Sequence[Structure],
    *,
    tolerance: float | None = None,
    options: Options | None = None,
    force: bool = False,
    values: str = "auto",
    codes: str = "letters",
) -> Comparison:
    """Compare two or more structures of one compound (module docstring).

    The structures must be one compound (:func:`coordgeo.series.compound_key`: the same
    metal complexes); otherwise an :class:`UnrelatedStructures` error names what differs,
    unless ``force``, when the comparison is made with that in ``notes``. A change of
    space group or cell beyond thermal expansion (:func:`coordgeo.series.cell_change`) is
    noted as a phase transition. Raises :class:`~coordgeo.errors.InputError` with fewer
    than two structures. ``values`` and ``codes`` set the Table S1 (``table``) as in
    :func:`coordgeo.tables.si_table`: by default the CIFs' own values where they have
    them (recomputed ones marked ``*``) and lettered symmetry codes.
    """
    if len(structures) < 2:
        raise InputError(f"compare needs at least two structures, got {len(structures)}")
    order = temperature_order(structures)
    options = make_options(options, tolerance=tolerance)
    analysed = [analyse_structure(structures[k], options) for k in order]
    notes = _compound_notes(analysed, force)
    paired = pair_series(analysed)
    site_maps = paired.site_maps
    structures_frame = _cell_frame(analysed)
    sites = _sites_frame(analysed, site_maps)
    bonds = _bonds_frame(analysed, site_maps)
    hbonds = _hbond_changes(analysed, site_maps)
    table, legend = table_s1(analysed, site_maps, values=values, codes=codes, mark=True)
    return Comparison(
        structures=structures_frame,
        sites=sites,
        bonds=bonds,
        hbonds=hbonds,
        pairing=paired.pairing,
        unpaired=paired.unpaired,
        table=table,
        legend=legend,
        notes=tuple(notes),
        contacts=series_contacts([a.contacts for a in analysed], temperature_headers(analysed)),
    )


class UnrelatedStructures(InputError):
    """The structures given to :func:`compare` are not one compound."""


def _compound_notes(analysed: Sequence[Analysis], force: bool) -> list[str]:
    """Notes on phase transitions; UnrelatedStructures when the compounds differ."""
    ref = analysed[0]
    ref_key = compound_key(ref.structure, ref.graph)
    notes = []
    for a in analysed[1:]:
        key = compound_key(a.structure, a.graph)
        if key != ref_key:
            message = (
                f"{a.structure.block} is not the compound of {ref.structure.block}: "
                f"complexes {'; '.join(key) or 'none'} vs {'; '.join(ref_key) or 'none'}"
            )
            if not force:
                raise UnrelatedStructures(message + " (force=True / --force compares anyway)")
            notes.append(message)
    for prev, a in itertools.pairwise(analysed):
        change = cell_change(prev.structure, a.structure)
        if change:
            notes.append(
                f"phase transition between {prev.structure.block} and {a.structure.block}: "
                + change
            )
    return notes


def _change(values: np.ndarray, sus: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Δ from the previous entry, its su and Δ/su (NaN for the first)."""
    delta = np.full(len(values), np.nan)
    su = np.full(len(values), np.nan)
    delta[1:] = values[1:] - values[:-1]
    su[1:] = np.sqrt(np.nan_to_num(sus[1:]) ** 2 + np.nan_to_num(sus[:-1]) ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        significance = np.where(su > 0, delta / su, np.nan)
    return delta, su, significance


def _cell_frame(analysed: Sequence[Analysis]) -> pd.DataFrame:
    rows = []
    for a in analysed:
        s = a.structure
        row = {"structure": a.structure.path, "block": s.block, "temperature_K": _temperature(s)}
        for name, value, su in zip(
            ("a", "b", "c", "alpha", "beta", "gamma"), s.cell.parameters, s.cell.su, strict=True
        ):
            row[name], row[f"{name}_su"] = value, su
        row["volume"], row["volume_su"] = s.cell.volume, _volume_su(s)
        rows.append(row)
    frame = pd.DataFrame(rows)
    for name in ("a", "b", "c", "alpha", "beta", "gamma", "volume"):
        d, su, sig = _change(frame[name].to_numpy(float), frame[f"{name}_su"].to_numpy(float))
        frame[f"{name}_change"], frame[f"{name}_significance"] = d, sig
    return frame


def _volume_su(s: Structure) -> float:
    """su of the cell volume from the cell su's (lattice-tied parameters together)."""
    from coordgeo.geometry import tied_cell_groups

    p = np.array(s.cell.parameters, dtype=float)
    sig = np.asarray(s.cell.su, dtype=float)
    var = 0.0
    for group in tied_cell_groups(s):
        h = np.zeros(6)
        h[group] = 1e-5
        dv = (_volume(p + h) - _volume(p - h)) / 2e-5
        var += (dv * sig[group].max()) ** 2
    return float(math.sqrt(var))


def _volume(p: np.ndarray) -> float:
    return float(abs(np.linalg.det(orthogonalization_matrix(p))))


def _temperature(s: Structure) -> float:
    return float(s.temperature) if s.temperature is not None else np.nan


def _sites_frame(analysed: Sequence[Analysis], site_maps: Sequence[dict[int, int]]) -> pd.DataFrame:
    ref = analysed[0].structure
    frames = []
    for a, m in zip(analysed, site_maps, strict=True):
        t = a.sites
        if t.empty:
            continue
        index = {lab: i for i, lab in enumerate(a.structure.labels)}
        ref_site = [m.get(index[lab]) for lab in t["metal"]]
        keep = [r is not None for r in ref_site]
        t = t[keep].copy()
        t["site"] = [ref.labels[r] for r in ref_site if r is not None]
        t.insert(0, "structure", a.structure.path)
        t["temperature_K"] = _temperature(a.structure)
        frames.append(t)
    if not frames:
        return pd.DataFrame(columns=SITE_COLUMNS)
    # a spin transition changes the spin, not the oxidation state: a site left open in one
    # structure takes the state the others agree on
    frames = spin.fill_from_series(frames, key="site")
    all_sites = pd.concat(frames, ignore_index=True)
    all_sites["order"] = all_sites.groupby(["site", "configuration"]).cumcount()
    out = []
    for _, g in all_sites.groupby(["site", "configuration"], sort=False):
        g = g.copy()
        d_ref = _series_reference(g)
        series = spin.gamma_hs_series(
            g["d_mean"].to_numpy(), g["Sigma"].to_numpy(), d_ref, g["spin_state"].to_numpy()
        )
        g["gamma_hs_literature"] = g["gamma_hs"].to_numpy()
        # no scale for the series (no reference, no switch): each structure's own γ (0 or 1
        # for a confident pure state, else empty)
        none = (series["gamma_basis"] == "none").to_numpy()
        g["gamma_hs"] = np.where(none, g["gamma_hs_literature"], series["gamma_hs"].to_numpy())
        g["gamma_hs_su"] = g["d_mean_su"].to_numpy() * series["gamma_hs_su_scale"].to_numpy()
        g["gamma_hs_sigma"] = series["gamma_hs_sigma"].to_numpy()
        g["gamma_basis"] = series["gamma_basis"].to_numpy()
        for name in CHANGED:
            su_col = f"{name}_su"
            sus = g[su_col].to_numpy(float) if su_col in g else np.full(len(g), np.nan)
            d, su, sig = _change(g[name].to_numpy(float), sus)
            g[f"{name}_change"], g[f"{name}_change_su"], g[f"{name}_significance"] = d, su, sig
        out.append(g)
    frame = pd.concat(out, ignore_index=True)
    extra = [
        "site",
        "configuration",
        "donor_set",
        "spin_confidence",
        "oxidation_state",
        "oxidation_state_confidence",
        "oxidation_state_method",
        "oxidation_state_source",
        "oxidation_state_bvs",
        "gamma_hs_su",
        "gamma_hs_literature",
        "gamma_hs_sigma",
        "gamma_basis",
        "Theta_su",
        "volume",
        "volume_su",
        "cshm_oc6_su",
        "donors",
        *[f"{n}_{k}" for n in CHANGED for k in ("change", "change_su", "significance")],
    ]
    frame = frame.sort_values(["site", "configuration", "order"], kind="stable")
    return frame[SITE_COLUMNS + [c for c in extra if c in frame]].reset_index(drop=True)


def _series_reference(g: pd.DataFrame) -> tuple[float, float] | None:
    """Literature (d_LS, d_HS) for a site's series: LS of its shortest, HS of its longest."""
    shortest = g.loc[g["d_mean"].idxmin()]
    longest = g.loc[g["d_mean"].idxmax()]
    metal_element = str(g["element"].iloc[0])
    d_ls = d_hs = np.nan
    for row, pick in ((shortest, 0), (longest, 1)):
        ox = row["oxidation_state"]
        if pd.isna(ox):
            continue
        value = spin.reference_distances(metal_element, int(ox), row["donor_set"])[pick]
        if pick == 0:
            d_ls = value
        else:
            d_hs = value
    if not (np.isfinite(d_ls) and np.isfinite(d_hs)):
        for ox in (2, 3):
            ls, hs = spin.reference_distances(metal_element, ox, shortest["donor_set"])
            if np.isfinite(ls) and np.isfinite(hs):
                d_ls = d_ls if np.isfinite(d_ls) else ls
                d_hs = d_hs if np.isfinite(d_hs) else hs
                break
    return (d_ls, d_hs) if np.isfinite(d_ls) and np.isfinite(d_hs) else None


def _bonds_frame(analysed: Sequence[Analysis], site_maps: Sequence[dict[int, int]]) -> pd.DataFrame:
    ref = analysed[0].structure
    rows = []
    for a, m in zip(analysed, site_maps, strict=True):
        s = a.structure
        for sp in a.spheres:
            metal_ref = m.get(sp.metal)
            if metal_ref is None:
                continue
            for k, key in enumerate(donor_keys(s, sp, m)):
                donor = sp.donors[k]
                code = format_code(donor.code, s)
                rows.append(
                    {
                        "structure": a.structure.path,
                        "block": s.block,
                        "temperature_K": _temperature(s),
                        "site": ref.labels[metal_ref],
                        "configuration": sp.configuration,
                        "bond": f"{ref.labels[metal_ref]}–"
                        + (ref.labels[key[0]] if key[0] >= 0 else s.labels[donor.site])
                        + ("" if key[1] == 0 else f"'{key[1]}"),
                        "metal": s.labels[sp.metal],
                        "donor": s.labels[donor.site],
                        "symmetry_code": code,
                        "distance": sp.distances[k],
                        "distance_su": sp.distances_su[k],
                    }
                )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    out = []
    for _, g in frame.groupby(["site", "configuration", "bond"], sort=False):
        g = g.copy()
        d, su, sig = _change(g["distance"].to_numpy(float), g["distance_su"].to_numpy(float))
        g["change"], g["change_su"], g["significance"] = d, su, sig
        out.append(g)
    return pd.concat(out, ignore_index=True)


def _hbond_changes(
    analysed: Sequence[Analysis], site_maps: Sequence[dict[int, int]]
) -> pd.DataFrame:
    ref = analysed[0].structure
    keyed = []
    for a, m in zip(analysed, site_maps, strict=True):
        s = a.structure
        rows = {}
        hb = a.hbonds.sort_values("d_ha", kind="stable")
        for r in hb.itertuples(index=False):
            sites = (r.donor_atom.site, r.hydrogen_atom.site, r.acceptor_atom.site)
            names = tuple(
                ref.labels[m[i]] if i in m else f"{s.labels[i]} (unpaired)" for i in sites
            )
            rank = 0
            while (*names, rank) in rows:
                rank += 1
            rows[(*names, rank)] = r
        keyed.append(rows)
    out = []
    for k in range(1, len(analysed)):
        before, after = keyed[k - 1], keyed[k]
        a0, a1 = analysed[k - 1], analysed[k]
        for key in sorted(set(before) | set(after)):
            r0, r1 = before.get(key), after.get(key)
            d0 = r0.d_da if r0 is not None else np.nan
            d1 = r1.d_da if r1 is not None else np.nan
            s0 = r0.d_da_su if r0 is not None else np.nan
            s1 = r1.d_da_su if r1 is not None else np.nan
            su = math.sqrt(np.nan_to_num(s0) ** 2 + np.nan_to_num(s1) ** 2)
            delta = d1 - d0
            if r0 is None:
                status = "formed"
            elif r1 is None:
                status = "broken"
            elif su > 0 and abs(delta) > SIGNIFICANT * su:
                status = "lengthened" if delta > 0 else "shortened"
            else:
                status = "unchanged"
            out.append(
                {
                    "structure_from": a0.structure.path,
                    "block_from": a0.structure.block,
                    "temperature_from_K": _temperature(a0.structure),
                    "structure_to": a1.structure.path,
                    "block_to": a1.structure.block,
                    "temperature_to_K": _temperature(a1.structure),
                    "donor": key[0],
                    "hydrogen": key[1],
                    "acceptor": key[2],
                    "acceptor_code_from": r0.acceptor_code if r0 is not None else "",
                    "acceptor_code_to": r1.acceptor_code if r1 is not None else "",
                    "d_da_from": d0,
                    "d_da_from_su": s0,
                    "d_da_to": d1,
                    "d_da_to_su": s1,
                    "d_ha_from": r0.d_ha if r0 is not None else np.nan,
                    "d_ha_to": r1.d_ha if r1 is not None else np.nan,
                    "angle_dha_from": r0.angle_dha if r0 is not None else np.nan,
                    "angle_dha_to": r1.angle_dha if r1 is not None else np.nan,
                    "change": delta,
                    "change_su": su if su > 0 else np.nan,
                    "significance": delta / su if su > 0 else np.nan,
                    "status": status,
                }
            )
    columns = [
        "structure_from", "block_from", "temperature_from_K", "structure_to", "block_to",
        "temperature_to_K", "donor", "hydrogen", "acceptor", "acceptor_code_from",
        "acceptor_code_to", "d_da_from", "d_da_from_su", "d_da_to", "d_da_to_su", "d_ha_from",
        "d_ha_to", "angle_dha_from", "angle_dha_to", "change", "change_su", "significance",
        "status",
    ]  # fmt: skip
    return pd.DataFrame(out, columns=columns)


# --------------------------------------------------------------------------- magnetism


#: |γ_structure − γ_magnetic| beyond which a structure is flagged (HS fraction units).
LINK_TOLERANCE = 0.2


def switching_sites(sites: pd.DataFrame) -> list[str]:
    """Sites whose spin state or γ_HS changes through the series (the SCO centres)."""
    out = []
    for site, g in sites.groupby("site", sort=False):
        known = g[g["spin_state"] != "unknown"]
        if known.empty:
            continue
        if (
            known["spin_state"].nunique() > 1
            or np.nanmax(known["gamma_hs"]) - np.nanmin(known["gamma_hs"]) >= 0.5
        ):
            out.append(site)
    return out


def link_magnetism(
    comparison: Comparison | pd.DataFrame,
    sd: SDParameters | SDFit | TwoStepSDFit,
    *,
    branch: str = "cooling",
    tolerance: float = LINK_TOLERANCE,
) -> pd.DataFrame:
    r"""Structural γ_HS of each structure beside the magnetic γ_HS(T) at its temperature.

    ``sd`` gives γ_HS(T): Slichter–Drickamer parameters, or a fit of χMT(T) itself
    (one step, or two steps with γ = f·γ₁ + (1 − f)·γ₂, :meth:`TwoStepSDFit.gamma`).

    For every switching site (:func:`switching_sites`; every assigned site when none
    switches) and structure: ``gamma_hs`` (structure, :func:`coordgeo.spin.gamma_hs_series`)
    with ``gamma_hs_su`` = su(⟨M–L⟩)/(d_HS − d_LS), ``gamma_hs_magnetic`` = γ of the
    Slichter–Drickamer model at the structure's temperature on ``branch``
    (:func:`coordgeo.magnetism.gamma_hs`), ``difference`` = structure − magnetic, and
    ``consistent``: |difference| ≤ max(``tolerance``, 3·su). The tolerance (0.2 by
    default) stands for what su's do not contain: the LS/HS reference distances of a
    single structure are known to ±0.02–0.05 Å on a 0.1–0.2 Å LS→HS scale, and a series'
    extremes need not be 100 % LS and HS.
    """
    sites = comparison.sites if isinstance(comparison, Comparison) else comparison
    if sites.empty:
        return pd.DataFrame()
    chosen = switching_sites(sites) or list(
        sites.loc[sites["spin_state"] != "unknown", "site"].unique()
    )
    rows = sites[sites["site"].isin(chosen)].copy()
    t = rows["temperature_K"].to_numpy(float)
    known = np.isfinite(t) & (t > 0)
    mag = np.full(len(rows), np.nan)
    if known.any():
        mag[known] = sd.gamma(t[known], branch=branch)
    structural = rows["gamma_hs"].to_numpy(float)
    su = rows["gamma_hs_su"].to_numpy(float) if "gamma_hs_su" in rows else np.zeros(len(rows))
    diff = structural - mag
    limit = np.maximum(tolerance, SIGNIFICANT * np.nan_to_num(su))
    consistent = np.abs(diff) <= limit
    note = np.where(
        ~known,
        "no temperature in the CIF",
        np.where(consistent, "", "structure and magnetism disagree"),
    )
    return pd.DataFrame(
        {
            "structure": rows["structure"].to_numpy(),
            "block": rows["block"].to_numpy(),
            "temperature_K": t,
            "site": rows["site"].to_numpy(),
            "spin_state": rows["spin_state"].to_numpy(),
            "gamma_hs": structural,
            "gamma_hs_su": su,
            "gamma_hs_magnetic": mag,
            "difference": diff,
            "consistent": np.where(known, consistent, False),
            "branch": branch,
            "note": note,
        }
    )


def plot_link(link: pd.DataFrame, sd: SDParameters, path: str | Path | None = None, *,
              branch: str = "cooling", t_range: tuple[float, float] | None = None):  # fmt: skip
    """γ_HS(T) of the SD model (line) and of each structure (points, su bars); save to ``path``.

    Uses :class:`matplotlib.figure.Figure` with the Agg canvas (headless); the file type
    follows the suffix (PNG, SVG, PDF). Returns the Figure.
    """
    from coordgeo.figures import new_figure, save_figure

    fig = new_figure(5.5, 4.0)
    ax = fig.add_subplot()
    temps = link["temperature_K"].to_numpy(float) if len(link) else np.array([])
    temps = temps[np.isfinite(temps)]
    t_half = 1e3 * sd.dH_kJ_mol / sd.dS_J_mol_K
    lo, hi = t_range or (
        max(2.0, min([t_half * 0.5, *temps]) - 20.0),
        max([t_half * 1.5, *temps]) + 20.0,
    )
    grid = np.linspace(lo, hi, 500)
    ax.plot(grid, sd.gamma(grid, branch=branch), "-", color="k", label=f"SD model ({branch})")
    for site, g in link.groupby("site", sort=False):
        ax.errorbar(
            g["temperature_K"],
            g["gamma_hs"],
            yerr=np.nan_to_num(g["gamma_hs_su"].to_numpy(float)),
            fmt="o",
            capsize=3,
            label=f"{site} (structure)",
        )
        bad = g[~g["consistent"].astype(bool)]
        if len(bad):
            ax.plot(bad["temperature_K"], bad["gamma_hs"], "x", color="red", ms=10)
    ax.set_xlabel("T / K")
    ax.set_ylabel("γ_HS")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(
        f"ΔH = {sd.dH_kJ_mol:.2f} kJ/mol, ΔS = {sd.dS_J_mol_K:.1f} J/mol/K, "
        f"Γ = {sd.Gamma_kJ_mol:.2f} kJ/mol",
        fontsize=8,
    )
    ax.legend(fontsize=7)
    if path is not None:
        save_figure(fig, path)
    return fig


def format_changes(sites: pd.DataFrame) -> pd.DataFrame:
    """Readable per-site table: ⟨M–L⟩, Σ, Θ with su and their change/significance."""
    rows = []
    for r in sites.itertuples(index=False):
        rows.append(
            {
                "site": r.site,
                "T/K": f"{r.temperature_K:g}",
                "<M-L>/Å": format_su(r.d_mean, r.d_mean_su, 4),
                "Δ<M-L>": _delta_text(
                    r.d_mean_change, r.d_mean_change_su, r.d_mean_significance, 4
                ),
                "Σ/°": format_su(r.Sigma, r.Sigma_su, 2),
                "ΔΣ": _delta_text(r.Sigma_change, r.Sigma_change_su, r.Sigma_significance, 2),
                "Θ/°": format_su(r.Theta, getattr(r, "Theta_su", np.nan), 2),
                "ΔΘ": _delta_text(r.Theta_change, r.Theta_change_su, r.Theta_significance, 2),
                "CShM": f"{r.cshm_oc6:.3f}" if np.isfinite(r.cshm_oc6) else "",
                "spin": r.spin_state,
                "conf": f"{r.spin_confidence:.2f}" if np.isfinite(r.spin_confidence) else "",
                "γ_HS": f"{r.gamma_hs:.2f}" if np.isfinite(r.gamma_hs) else "",
            }
        )
    return pd.DataFrame(rows)


def _delta_text(delta: float, su: float, significance: float, decimals: int) -> str:
    if not np.isfinite(delta):
        return ""
    sig = f" [{significance:+.1f}σ]" if np.isfinite(significance) else ""
    return format_su(delta, su, decimals) + sig


__all__ = [
    "SITE_COLUMNS",
    "Comparison",
    "SDParameters",
    "compare",
    "format_changes",
    "link_magnetism",
    "pair_atoms",
    "plot_link",
    "switching_sites",
    "temperature_headers",
    "temperature_order",
]
