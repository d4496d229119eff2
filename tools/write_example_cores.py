"""Write the example coordination cores of ``cifs/`` from a seed SI document.

    python tools/write_example_cores.py ../shared/seeds/000_fb352ce30e6fcf84.txt cifs

Every geometry table of the document whose core is over-determined (dof > 0) is fitted
with :func:`coordgeo.sitables.reconstruct_cores` and written with
:func:`coordgeo.sitables.write_core_cif`; the paths written are printed, one a line.
The fit is deterministic (fixed random starts, canonical orientation), so a run rewrites
the same files on every machine. Not part of the package: it makes the repository's
example files, and ``tests/test_tablecheck.py`` checks that they are regenerated.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from coordgeo.io.sitables import SITable, clean_text, read_si_tables
from coordgeo.sitables import CoreFit, reconstruct_cores, write_core_cif


def write_seed_cores(
    document: str | Path, out_dir: str | Path, *, prefix: str | None = None
) -> list[Path]:
    """Write the over-determined cores (dof > 0) of every geometry table of a document.

    Names are ``{prefix}_compound{c}_{T}K_core.cif`` (prefix ``seed000`` for
    ``000_….txt``); this is how ``cifs/seed000_*`` were made.
    Returns the paths written, in table and column order.
    """
    document = Path(document)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if prefix is None:
        digits = re.match(r"^(\d+)", document.name)
        prefix = f"seed{digits.group(1)}" if digits else document.stem
    citation = _document_citation(document.read_text(encoding="utf-8"))
    written = []
    for table in read_si_tables(document):
        fits = [f for f in reconstruct_cores(table) if f.dof > 0]
        several_metals = len({f.metal for f in fits}) > 1
        for fit in fits:
            path = out / _file_name(prefix, table, fit, several_metals)
            written.append(write_core_cif(fit, path, citation=citation))
    return written


def _file_name(prefix: str, table: SITable, fit: CoreFit, several_metals: bool) -> str:
    """``{prefix}_compound{c}[_{metal}]_{T}K_core.cif`` (the table's number or line when
    the caption names no compound, the column when it gives no temperature)."""
    parts = [
        prefix,
        f"compound{fit.compound}" if fit.compound else (table.number or f"line{table.first_line}"),
    ]
    if several_metals:
        parts.append(fit.metal)
    parts.append(
        f"{fit.temperature:g}K" if fit.temperature is not None else fit.column.replace(" ", "")
    )
    return "_".join([*parts, "core"]) + ".cif"


def _document_citation(text: str) -> str | None:
    """'First Author et al., "Title"' from the head of an SI document, when it has one:
    the lines after 'Supporting Information' up to the author line."""
    lines = [line.strip() for line in text.splitlines()[:40]]
    start = next(
        (
            i
            for i, line in enumerate(lines)
            if re.search(r"supporting information|\bESI\b", line, re.I)
        ),
        None,
    )
    if start is None:
        return None
    title: list[str] = []
    for line in lines[start + 1 :]:
        if not line:
            continue
        if (
            "<sup>" in line
            or "\\*" in line
            or "*" in line
            or re.match(r"^[A-Z][\w-]+ [A-Z][\w-]+,", line)
        ):
            author = re.sub(r"<[^>]+>|[\\*]", "", line.split(",")[0]).strip()
            if not title:
                return None
            name = clean_text(" ".join(title))
            name = re.sub(r"\^\{([^}]*)\}", r"(\1)", name.replace("#", "").replace("*", ""))
            name = re.sub(r"_\{?([^}\s]*)\}?", r"\1", name).replace("$", "")
            name = re.sub(r"\{\s+", "{", re.sub(r"\s+\}", "}", name))
            return f'{author} et al., "{name}"'
        title.append(line)
        if len(title) > 4:
            return None
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("document", type=Path, help="SI document (text or markdown)")
    parser.add_argument("out_dir", type=Path, help="folder for the CIFs (made if missing)")
    parser.add_argument("--prefix", help="file-name prefix (default: seed + the document's digits)")
    args = parser.parse_args(argv)
    for written in write_seed_cores(args.document, args.out_dir, prefix=args.prefix):
        print(written)


if __name__ == "__main__":
    main()
