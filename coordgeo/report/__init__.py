"""Docs-site reports: CIFs (and χMT data) → a browsable MkDocs (Material) site.

``coordgeo report INPUT… --out SITE`` is one call here::

    from coordgeo.report import build_report
    report = build_report(["cifs/"], "site/", magnetism=["chimt.csv"])
    report.index_html            # SITE/site/index.html

The work is split so that each step can be used and tested alone:

* :mod:`coordgeo.report.collect`: Structure → the DataFrames of a page
  (:func:`structure_tables`);
* :mod:`coordgeo.report.series`: grouping into comparison series and the tables
  across a series;
* :mod:`coordgeo.report.pages`: Markdown of the index, structure and series pages,
  from those DataFrames only;
* :mod:`coordgeo.report.figures`: matplotlib figures (Figure objects, no pyplot);
* :mod:`coordgeo.report.markup`: CIF text markup and space-group symbols as safe HTML
  and plain Unicode;
* :mod:`coordgeo.report.views`: the interactive 3D views (3Dmol.js, shipped with the
  package) of coordination spheres and complexes, bonds coloured by their change across
  a series;
* :mod:`coordgeo.report.site`: files, ``mkdocs.yml`` and the MkDocs build;

"""

from __future__ import annotations

from coordgeo.report.collect import StructureTables, structure_tables
from coordgeo.report.series import Series, group_series
from coordgeo.report.site import (
    Magnetism,
    Report,
    ReportBuildError,
    build_report,
    build_site,
    compare_link,
)

__all__ = [
    "Magnetism",
    "Report",
    "ReportBuildError",
    "Series",
    "StructureTables",
    "build_report",
    "build_site",
    "compare_link",
    "group_series",
    "structure_tables",
]
