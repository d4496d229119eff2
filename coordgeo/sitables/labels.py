"""Which sites of a structure a label printed in an SI table names.

:func:`sites_for_label` tries, in order, the readings of :func:`coordgeo.check.label_sites`
(the exact label, case-insensitively; without parentheses; a mark such as ``N1'`` or
``N1#2`` read as a symmetry mate of N1), then CIF labels that carry parentheses
themselves (``P(2)`` in the CIF for ``P2`` and ``P2'`` in the table).
"""

from __future__ import annotations

from coordgeo.check import MATE_MARK, label_sites
from coordgeo.model import Structure

__all__ = ["sites_for_label"]


def _bare(text: str) -> str:
    return text.replace("(", "").replace(")", "").casefold()


def sites_for_label(structure: Structure, label: str) -> tuple[list[int], str, bool]:
    """Sites a label from a table may mean, how it was read (a note, '' when plainly), and
    whether it marks a symmetry mate whose image must be searched for."""
    sites, note, mate = label_sites(structure, label)
    if sites:
        return sites, note, mate
    by_bare: dict[str, list[int]] = {}
    for i, name in enumerate(structure.labels):
        by_bare.setdefault(_bare(name), []).append(i)
    found = by_bare.get(_bare(label), [])
    if found:  # the same label with or without parentheses: nothing to say
        return found, "", False
    base = MATE_MARK.sub("", label)
    found = by_bare.get(_bare(base), []) if base != label else []
    if found:
        return found, f"{label} read as a symmetry mate of {structure.labels[found[0]]}", True
    return [], "", False
