"""Report figures, each a :class:`matplotlib.figure.Figure` made from DataFrames.

No pyplot: figures are built on :class:`~matplotlib.figure.Figure` with the Agg canvas,
so nothing leaks between calls and no display is needed. :func:`save` writes SVG (shown
on the pages) and PNG (for slides and word processors), with fixed metadata and hash
salt so a rebuilt report gives the same files.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from coordgeo.figures import new_figure, save_figure

#: Jmol's CPK-style colours (the ones Mercury and OLEX2 users recognise).
ELEMENT_COLOURS = {
    "H": "#FFFFFF", "D": "#FFFFC0", "B": "#FFB5B5", "C": "#909090", "N": "#3050F8",
    "O": "#FF0D0D", "F": "#90E050", "Si": "#F0C8A0", "P": "#FF8000", "S": "#FFFF30",
    "Cl": "#1FF01F", "As": "#BD80E3", "Se": "#FFA100", "Br": "#A62929", "Te": "#D47A00",
    "I": "#940094", "Li": "#CC80FF", "Na": "#AB5CF2", "K": "#8F40D4", "Rb": "#702EB0",
    "Cs": "#57178F", "Be": "#C2FF00", "Mg": "#8AFF00", "Ca": "#3DFF00", "Sr": "#00FF00",
    "Ba": "#00C900", "Al": "#BFA6A6", "Ga": "#C28F8F", "In": "#A67573", "Sn": "#668080",
    "Tl": "#A6544D", "Pb": "#575961", "Bi": "#9E4FB5", "Sc": "#E6E6E6", "Ti": "#BFC2C7",
    "V": "#A6A6AB", "Cr": "#8A99C7", "Mn": "#9C7AC7", "Fe": "#E06633", "Co": "#F090A0",
    "Ni": "#50D050", "Cu": "#C88033", "Zn": "#7D80B0", "Y": "#94FFFF", "Zr": "#94E0E0",
    "Nb": "#73C2C9", "Mo": "#54B5B5", "Tc": "#3B9E9E", "Ru": "#248F8F", "Rh": "#0A7D8C",
    "Pd": "#006985", "Ag": "#C0C0C0", "Cd": "#FFD98F", "Hf": "#4DC2FF", "Ta": "#4DA6FF",
    "W": "#2194D6", "Re": "#267DAB", "Os": "#266696", "Ir": "#175487", "Pt": "#D0D0E0",
    "Au": "#FFD123", "Hg": "#B8B8D0", "La": "#70D4FF", "Ce": "#FFFFC7", "Pr": "#D9FFC7",
    "Nd": "#C7FFC7", "Sm": "#8FFFC7", "Eu": "#61FFC7", "Gd": "#45FFC7", "Tb": "#30FFC7",
    "Dy": "#1FFFC7", "Ho": "#00FF9C", "Er": "#00E675", "Tm": "#00D452", "Yb": "#00BF38",
    "Lu": "#00AB24", "U": "#008FFF",
}  # fmt: skip
FALLBACK_COLOUR = "#FF1493"


def element_colour(element: str) -> str:
    return ELEMENT_COLOURS.get(element, FALLBACK_COLOUR)


def _radius(element: str) -> float:
    import gemmi

    try:
        return float(gemmi.Element(element).covalent_r) or 0.7
    except (RuntimeError, ValueError):
        return 0.7


@contextlib.contextmanager
def literal_text() -> Iterator[None]:
    """Figures made inside show text as written: no mathtext, so a label or block name
    with ``$`` (``N1$a``, ``$\\frac``) is drawn as it is instead of failing to parse.
    Text objects read the setting when they are made."""
    from matplotlib import rc_context

    with rc_context({"text.parse_math": False}):
        yield


def save(fig: Figure, directory: Path, stem: str) -> tuple[str, str]:
    """Write ``stem.svg`` and ``stem.png`` into ``directory``; return the two file names.

    SVG text stays text (selectable, searchable, a third of the size and time of text as
    paths); the layout is computed once, for the SVG, and reused for the PNG.
    """
    directory.mkdir(parents=True, exist_ok=True)
    svg, png = f"{stem}.svg", f"{stem}.png"
    save_figure(fig, directory / svg)
    fig.set_layout_engine("none")
    save_figure(fig, directory / png)
    return svg, png


# --- coordination sphere --------------------------------------------------------------------


def _orientation(xyz: np.ndarray) -> np.ndarray:
    """Rotation putting the most nearly trans donor pair along z and another donor along x,
    the view an SI figure of an octahedron uses."""
    donors = xyz[1:]
    lengths = np.linalg.norm(donors, axis=1)
    if len(donors) < 2 or np.any(lengths < 1e-6):
        return np.eye(3)
    unit = donors / lengths[:, None]
    cos = unit @ unit.T
    np.fill_diagonal(cos, np.inf)
    i, j = np.unravel_index(np.argmin(cos), cos.shape)
    z = unit[i] - unit[j]
    z /= np.linalg.norm(z)
    perp = unit - np.outer(unit @ z, z)
    k = int(np.argmax(np.linalg.norm(perp, axis=1)))
    if np.linalg.norm(perp[k]) < 1e-6:
        return np.eye(3)
    x = perp[k] / np.linalg.norm(perp[k])
    return np.stack([x, np.cross(z, x), z])


VIEW_ELEVATION = 14.0  # degrees above the equatorial plane


def best_azimuth(xyz: np.ndarray, elevation: float = VIEW_ELEVATION) -> float:
    """The azimuth (every 5°) at which the atoms, projected on the screen, are furthest
    apart from their nearest neighbour, so no ball or label hides another."""
    if len(xyz) < 3:
        return -36.0
    e = np.radians(elevation)
    best, best_gap = -36.0, -1.0
    for azimuth in np.arange(-180.0, 180.0, 5.0):
        a = np.radians(azimuth)
        screen_x = np.array([-np.sin(a), np.cos(a), 0.0])
        screen_y = np.array([-np.sin(e) * np.cos(a), -np.sin(e) * np.sin(a), np.cos(e)])
        flat = np.stack([xyz @ screen_x, xyz @ screen_y], axis=1)
        gaps = np.linalg.norm(flat[:, None] - flat[None], axis=-1)
        np.fill_diagonal(gaps, np.inf)
        if gaps.min() > best_gap + 1e-9:
            best, best_gap = float(azimuth), float(gaps.min())
    return best


def screen_axes(xyz: np.ndarray, elevation: float = VIEW_ELEVATION) -> np.ndarray:
    """Rows: the screen's x (right), y (up) and the direction towards the viewer, in the
    frame of ``xyz`` (metal first, at the origin): the view of :func:`sphere_figure` (the
    most nearly trans pair upright, seen from :data:`VIEW_ELEVATION` above the equator at
    :func:`best_azimuth`), for a 3D viewer that opens the way the static picture looks."""
    xyz = np.asarray(xyz, dtype=float)
    rotation = _orientation(xyz - xyz[0])
    local = (xyz - xyz[0]) @ rotation.T
    e, a = np.radians(elevation), np.radians(best_azimuth(local, elevation))
    screen_x = np.array([-np.sin(a), np.cos(a), 0.0])
    screen_y = np.array([-np.sin(e) * np.cos(a), -np.sin(e) * np.sin(a), np.cos(e)])
    toward = np.cross(screen_x, screen_y)
    return np.stack([screen_x, screen_y, toward]) @ rotation


def lettered_labels(atoms: pd.DataFrame, legend: pd.DataFrame) -> list[str]:
    """Atom labels with the letters of the page's symmetry legend (``N1A``)."""
    from coordgeo.symmetry import lettered_label

    letter_of = dict(zip(legend["symmetry_code"], legend["letter"], strict=True))
    return [
        lettered_label(a, letter_of.get(c, "") if c != "." else "")
        for a, c in zip(atoms["atom"], atoms["symmetry_code"], strict=True)
    ]


def sphere_figure(atoms: pd.DataFrame, legend: pd.DataFrame, title: str = "") -> Figure:
    """Ball-and-stick picture of one coordination sphere (rows of one ``sphere`` of
    :attr:`StructureTables.sphere_atoms`, metal first): CPK colours, balls scaled by the
    covalent radius, half-bonds in the colours of their atoms, the polyhedron shaded,
    labels lettered as in the table."""
    fig = new_figure(4.4, 4.4, layout=None)  # 3-D axes fill the figure
    ax = fig.add_axes((0.0, 0.0, 1.0, 0.94 if title else 1.0), projection="3d")
    xyz = atoms[["x", "y", "z"]].to_numpy(dtype=float)
    xyz = (xyz - xyz[0]) @ _orientation(xyz - xyz[0]).T
    elements = list(atoms["element"])
    labels = lettered_labels(atoms, legend)
    if len(xyz) >= 5:  # a polyhedron (not a line or a plane): shade its hull faces
        from mpl_toolkits.mplot3d.art3d import Poly3DCollection
        from scipy.spatial import ConvexHull, QhullError

        try:
            hull = ConvexHull(xyz[1:])
            faces = [xyz[1:][simplex] for simplex in hull.simplices]
            ax.add_collection3d(
                Poly3DCollection(
                    faces, facecolor="#7090c0", alpha=0.08, edgecolor="#9a9a9a", linewidth=0.5
                )
            )
        except QhullError:
            pass
    for k in range(1, len(xyz)):
        mid = 0.5 * (xyz[0] + xyz[k])
        for start, end, element in ((xyz[0], mid, elements[0]), (mid, xyz[k], elements[k])):
            ax.plot(*np.stack([start, end]).T, color="#303030", lw=6.0, solid_capstyle="butt")
            ax.plot(*np.stack([start, end]).T, color=element_colour(element), lw=4.4,
                    solid_capstyle="butt")  # fmt: skip
    sizes = [(1.0 if k == 0 else 0.6) * 700 * _radius(e) ** 2 for k, e in enumerate(elements)]
    ax.scatter(*xyz.T, s=sizes, c=[element_colour(e) for e in elements],
               edgecolors="#303030", linewidths=0.7, depthshade=False, alpha=1.0)  # fmt: skip
    extent = float(np.abs(xyz).max()) + 0.3 if len(xyz) > 1 else 1.5
    for k, (label, p) in enumerate(zip(labels, xyz, strict=True)):
        norm = np.linalg.norm(p)
        if k == 0 or norm < 1e-6:  # the metal's label sits below-front of its ball
            where, style = np.array([0.0, -0.55, -0.75]), {"fontweight": "bold", "fontsize": 10}
        else:
            where, style = p * (1.0 + 0.55 / norm), {"fontsize": 9}
        ax.text(*where, label, ha="center", va="center", zorder=10,
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7},
                **style)  # fmt: skip
    for setter in (ax.set_xlim, ax.set_ylim, ax.set_zlim):
        setter(-extent, extent)
    ax.set_box_aspect((1, 1, 1), zoom=1.3)
    ax.view_init(elev=VIEW_ELEVATION, azim=best_azimuth(xyz))
    ax.set_axis_off()
    if title:
        fig.text(0.5, 0.975, title, ha="center", va="top", fontsize=10)
    return fig


# --- series comparison --------------------------------------------------------------------


def temperature_colours(temperatures: Sequence[float | None]) -> list[tuple]:
    """Blue (lowest T, usually LS) through purple to red (highest T, usually HS); grey when
    T is unknown. Every step stays dark enough to see on white (coolwarm's middle does not)."""
    from matplotlib.colors import LinearSegmentedColormap

    cmap = LinearSegmentedColormap.from_list("cold-hot", ["#2166ac", "#7b3294", "#c0392b"])
    known = [t for t in temperatures if t is not None and math.isfinite(t)]
    lo, hi = (min(known), max(known)) if known else (0.0, 1.0)
    span = hi - lo or 1.0
    return [
        cmap((t - lo) / span) if t is not None and math.isfinite(t) else (0.5, 0.5, 0.5, 1.0)
        for t in temperatures
    ]


def series_figure(
    bonds: pd.DataFrame,
    parameters: pd.DataFrame,
    headers: Sequence[str],
    temperatures: Sequence[float | None],
    title: str = "",
) -> Figure:
    """M–L distances per bond (markers with su bars, ⟨d⟩ dashed) and Σ, Θ (bars with su)
    of one metal site, one colour per structure (blue = lowest T … red = highest T).

    ``bonds``: rows of :func:`~coordgeo.report.series.series_geometry` for the site's
    bonds (``header, label, value, value_su``); ``parameters``: rows of
    :func:`~coordgeo.report.series.series_parameters` for the site (``header,
    parameter, value, value_su``); ``headers`` the legend entries in order.
    """
    fig = new_figure(9.5, 3.4)
    grid = fig.add_gridspec(1, 3, width_ratios=[2.4, 1, 1])
    ax = fig.add_subplot(grid[0])
    colours = temperature_colours(temperatures)
    order = list(dict.fromkeys(bonds["label"]))
    x_of = {label: k for k, label in enumerate(order)}
    n = max(len(headers), 1)
    for m, (header, colour) in enumerate(zip(headers, colours, strict=True)):
        part = bonds[bonds["header"] == header]
        shift = (m - (n - 1) / 2) * min(0.12, 0.6 / n)
        x = np.array([x_of[lab] for lab in part["label"]], dtype=float) + shift
        su = np.nan_to_num(part["value_su"].to_numpy(dtype=float))
        ax.errorbar(x, part["value"], yerr=su, fmt="o", ms=5, color=colour, capsize=2,
                    label=header, mec="#303030", mew=0.5)  # fmt: skip
        mean = parameters[(parameters["header"] == header) & (parameters["parameter"] == "d_mean")]
        if len(mean):
            ax.axhline(float(mean["value"].iloc[0]), color=colour, ls="--", lw=0.8)
    ax.set_xticks(range(len(order)), order, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("M–L distance / Å")
    ax.set_title("M–L bonds (dashed: ⟨d⟩)", fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    for k, (name, unit) in enumerate((("Sigma", "Σ / °"), ("Theta", "Θ / °"))):
        axp = fig.add_subplot(grid[k + 1])
        part = parameters[parameters["parameter"] == name].set_index("header")
        values = [float(part["value"].get(h, np.nan)) for h in headers]
        sus = [float(np.nan_to_num(part["value_su"].get(h, np.nan))) for h in headers]
        axp.bar(range(len(headers)), values, yerr=sus, color=colours, edgecolor="#303030",
                linewidth=0.5, capsize=3)  # fmt: skip
        axp.set_xticks(range(len(headers)), headers, rotation=45, ha="right", fontsize=8)
        axp.set_ylabel(unit)
        axp.set_title(name.replace("Sigma", "Σ").replace("Theta", "Θ"), fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


# --- magnetism ----------------------------------------------------------------------------


def magnetism_figure(
    fit, structural: pd.DataFrame | None = None, derivative=None, others=()
) -> Figure:
    """χMT(T) with the Slichter–Drickamer fit and its residuals (``others``: further fits of
    the same data, dashed), and d(χMT)/dT when
    ``derivative`` (:func:`coordgeo.magnetism.t_half_derivative`) is given
    (:func:`coordgeo.magnetism.plot_sd_fit`); and, when given, the structural γHS points
    (``temperature_K, gamma_hs``, optional ``gamma_hs_su``) on a right axis of the χMT
    panel scaled so that γ = 0 and 1 fall on the fitted χMT_LS and χMT_HS."""
    from coordgeo.magnetism import plot_sd_fit

    fig = plot_sd_fit(fit, others=others, derivative=derivative)
    if structural is None or not len(structural):
        return fig
    ax = fig.axes[0]
    ls, hs = fit.chi_mt_ls, fit.chi_mt_hs
    span = hs - ls
    if not math.isfinite(span) or abs(span) < 1e-12:
        return fig
    gamma = structural["gamma_hs"].to_numpy(dtype=float)
    lo, hi = ax.get_ylim()
    lo = min(lo, ls + span * float(np.nanmin(gamma)) - 0.05 * abs(span))
    hi = max(hi, ls + span * float(np.nanmax(gamma)) + 0.05 * abs(span))
    ax.set_ylim(lo, hi)
    right = ax.twinx()
    right.set_ylim((lo - ls) / span, (hi - ls) / span)
    su = structural.get("gamma_hs_su", pd.Series(np.zeros(len(gamma))))
    right.errorbar(structural["temperature_K"], gamma, yerr=np.nan_to_num(su.to_numpy(float)),
                   fmt="D", color="k", ms=6, mfc="gold", capsize=3,
                   label="γHS from structure")  # fmt: skip
    right.set_ylabel("γHS")
    right.legend(fontsize=7, loc="lower right")
    return fig


def pxrd_figure(pattern, title: str = "") -> Figure:
    """The simulated powder pattern with reflection ticks (:func:`coordgeo.pxrd.plot_pattern`)."""
    from coordgeo.pxrd import plot_pattern

    return plot_pattern(pattern, title=title)
