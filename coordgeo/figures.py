"""Figure set-up shared by every plot: headless matplotlib, reproducible files.

Plots are drawn on a :class:`matplotlib.figure.Figure` with the Agg canvas, never through
pyplot, so they work without a display and in worker processes; :func:`save_figure`
writes files whose bytes depend only on the figure (no date or software stamp), so
reports and tests are reproducible.
"""

from __future__ import annotations

from pathlib import Path

from coordgeo.errors import InputError

__all__ = ["FIGURE_SUFFIXES", "new_figure", "save_figure"]

#: The figure files :func:`save_figure` writes, by suffix.
FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


def new_figure(width: float, height: float, *, layout: str | None = "constrained"):
    """A headless :class:`~matplotlib.figure.Figure` of ``width`` × ``height`` inches."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout=layout)
    FigureCanvasAgg(fig)
    return fig


def check_figure_path(path: str | Path) -> Path:
    """``path`` as a Path when its suffix is one :func:`save_figure` writes
    (:data:`FIGURE_SUFFIXES`), else :class:`InputError`: commands check a ``--plot`` file
    before their work, and :func:`save_figure` again when it writes."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FIGURE_SUFFIXES:
        raise InputError(
            f"a figure file must end in {', '.join(FIGURE_SUFFIXES)}, not {suffix or 'nothing'}",
            path=str(path),
        )
    return path


def save_figure(fig, path: str | Path, *, dpi: int = 150) -> Path:
    """Write ``fig`` to ``path`` (the suffix picks PNG, SVG or PDF), without time stamps.

    SVG text stays text (selectable, searchable, smaller than text as paths) and its ids
    are salted with a constant, so the same figure gives the same file.
    """
    from matplotlib import rc_context

    path = check_figure_path(path)
    suffix = path.suffix.lower()
    metadata = {"Date": None} if suffix == ".svg" else {"Software": None}
    if suffix == ".pdf":
        metadata = {"CreationDate": None, "Producer": None}
    with rc_context({"svg.hashsalt": "coordgeo", "svg.fonttype": "none"}):
        try:
            fig.savefig(path, dpi=dpi, metadata=metadata)
        except OSError as exc:  # no such folder, read-only, a folder of that name
            what = exc.strerror or exc
            raise InputError(f"cannot write the figure: {what}", path=str(path)) from None
    return path
