"""Which sites of a structure a label printed in an SI table names.

One resolver serves ``coordgeo check`` and ``coordgeo validate``:
:func:`coordgeo.io.labels.resolve_label` (in the input layer, below both). For a table's
labels it runs with its pattern readings on: exact, any case, parentheses and primes
normalised, symmetry-mate marks (``N1'``), then patterns (``V`` for the one V site,
``K1`` for a site labelled ``K``, ``Fe01`` for ``Fe1``), each non-obvious reading with a
note. Arbitrary site labels (``M1``, ``T52A``, ``O1W``) are looked up like any other;
:func:`coordgeo.io.sitables.normalise_atom` keeps them as printed. OCR confusions the
reader undid (``01`` → ``O1``, Cyrillic ``О`` → Latin O) get a note here too.
"""

from __future__ import annotations

from coordgeo.io.labels import LabelMatch, resolve_label
from coordgeo.io.sitables import printed_reading_note
from coordgeo.model import Structure

__all__ = ["LabelMatch", "resolve_atom", "sites_for_label"]


def resolve_atom(structure: Structure, label: str, printed: str = "") -> LabelMatch:
    """The sites a table label (as normalised by the reader) names, with the OCR note of
    the ``printed`` token added when the reader had to undo one."""
    found = resolve_label(structure, label, patterns=True)
    ocr = printed_reading_note(printed) if printed else ""
    if found.resolved and ocr:
        note = "; ".join(n for n in (ocr, found.note) if n)
        return LabelMatch(found.label, found.sites, found.how, note, found.mate)
    return found


def sites_for_label(
    structure: Structure, label: str, printed: str = ""
) -> tuple[list[int], str, bool]:
    """Sites a label from a table may mean, how it was read (a note, '' when plainly), and
    whether it marks a symmetry mate whose image must be searched for."""
    found = resolve_atom(structure, label, printed)
    return list(found.sites), found.note, found.mate
