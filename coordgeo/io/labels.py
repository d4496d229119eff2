"""Which sites of a structure a printed atom label names: the one label resolver.

Used by ``coordgeo check`` (the labels of a CIF's own ``_geom_*`` loops, through
:func:`coordgeo.check.label_sites`) and by ``coordgeo validate`` (the labels of a
published SI table, through :func:`coordgeo.sitables.labels.sites_for_label`). It lives in
the input layer because both need it and check sits below the SI-table package.

:func:`resolve_label` looks a label up among the structure's site labels, in order:

1. **exact**: the label as given (a CIF may repeat a label: every site with it);
2. **case-insensitive** (``FE1`` for ``Fe1``, ``CO(1)`` as the CIF prints cobalt);
3. **normalised**: parentheses, spaces and typeset primes removed or made ASCII
   (``Fe(1)`` ≡ ``Fe1``, ``P2`` ≡ ``P(2)``, ``N1′`` ≡ ``N1'``);
4. **symmetry mate**: a label of a site the reader dropped as a symmetry image of another
   (``N1A`` beside ``N1`` in a CSD export: :attr:`~coordgeo.model.Structure.duplicates`),
   or a mark such as ``N1'``, ``C12*``, ``O1#2`` or ``O1$3`` removed and the rest looked
   up by 1–3; the atom is then an image of that site to be searched for.

An SI table is typed by hand, so for its labels (``patterns=True``) come then, each with
a note:

5. **pattern**: leading zeros of the number (``Fe01`` for ``Fe1``); an element symbol
   alone for the one site of that element (``V`` for ``V1`` when the CIF has one V site);
   ``K1`` for a site labelled ``K`` alone; the letter O or l/I where a digit must be
   (``N1O`` for ``N10``).

The letters of arbitrary site labels (``M1``, ``T52A``, ``O1W``) need not be element
symbols: they are looked up like any other. A label that names no site gets the site
labels it probably means (:func:`suggest_labels`), or, for an element symbol shared by
several sites, those sites: the caller reports it (``unknown-atom``, ``unresolved``) and
never skips it silently. OCR confusions (``01`` for ``O1``, Cyrillic ``О``) are undone
by the reader (:func:`coordgeo.io.sitables.normalise_atom`) before the lookup;
:func:`coordgeo.io.sitables.printed_reading_note` words the note.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from functools import cached_property

from coordgeo.elements import element_from_label
from coordgeo.model import Structure

__all__ = [
    "MATE_MARK",
    "LabelMatch",
    "resolve_label",
    "single_sites",
    "suggest_labels",
]

#: Marks some programs add to a label to say "a symmetry mate of": N1', N(1''), C12*,
#: O1#2, O1$3.
MATE_MARK = re.compile(r"'+|\"|\*|#\d+$|\$\d+$")
_PRIMES = str.maketrans({"′": "'", "’": "'", "´": "'", "`": "'", "″": "''"})
_PARTS = re.compile(r"^(?P<letters>[A-Za-z]+)(?P<number>[0-9]+)(?P<rest>.*)$")


@dataclass(frozen=True)
class LabelMatch:
    """How a printed label was resolved.

    ``sites``: the sites it names (empty when none); ``how``: ``exact``, ``case``,
    ``normalised``, ``mate`` or ``pattern`` ('' when unresolved); ``note``: what a reader
    should know ('' for an exact or plainly equivalent label); ``mate``: the label marks
    a symmetry mate whose image must be searched for; ``candidates``: when unresolved,
    the site labels it probably means, likeliest first.
    """

    label: str
    sites: tuple[int, ...]
    how: str = ""
    note: str = ""
    mate: bool = False
    candidates: tuple[str, ...] = ()

    @property
    def resolved(self) -> bool:
        return bool(self.sites)

    def unresolved_note(self) -> str:
        """``no site O99 (nearest: O9, O1)`` for an unresolved label."""
        if self.note:
            return self.note
        near = f" (nearest: {', '.join(self.candidates)})" if self.candidates else ""
        return f"no site {self.label}{near}"


def _key(text: str) -> str:
    """A label with parentheses and spaces removed, primes made ASCII, case folded."""
    return re.sub(r"[()\s]", "", text.translate(_PRIMES)).casefold()


def _no_zeros(text: str) -> str | None:
    """``fe01a`` → ``fe1a`` (the number without leading zeros); None when no number."""
    m = _PARTS.match(text)
    if not m:
        return None
    return f"{m['letters']}{m['number'].lstrip('0') or '0'}{m['rest']}"


class _Index:
    """The lookups of one structure's labels, built once per structure.

    The exact lookup is built at once (it answers the labels of a CIF's own loops); the
    others on first use."""

    def __init__(self, structure: Structure) -> None:
        self.source = structure.labels  # the object indexed: a new one is indexed anew
        labels = list(structure.labels)
        self.labels = labels
        self.elements = structure.elements
        self.exact: dict[str, list[int]] = {}
        for i, name in enumerate(labels):
            self.exact.setdefault(name, []).append(i)
        self.matches: dict[str, LabelMatch] = {}  # resolve_label of the exact labels

    def _by(self, key) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for i, name in enumerate(self.labels):
            out.setdefault(key(name), []).append(i)
        return out

    @cached_property
    def single(self) -> dict[str, int]:
        """The labels :func:`resolve_label` reads exactly as one site with nothing to note
        (a site label that no other site has, without surrounding spaces), and that site."""
        return {
            name: sites[0]
            for name, sites in self.exact.items()
            if len(sites) == 1 and name == name.strip()
        }

    @cached_property
    def upper(self) -> dict[str, list[int]]:
        return self._by(str.upper)

    @cached_property
    def key(self) -> dict[str, list[int]]:
        return self._by(_key)

    @cached_property
    def zeros(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for i, name in enumerate(self.labels):
            plain = _no_zeros(_key(name))
            if plain is not None:
                out.setdefault(plain, []).append(i)
        return out

    @cached_property
    def element(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for i, symbol in enumerate(self.elements):
            out.setdefault(symbol, []).append(i)
        return out


_INDEXES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _index(structure: Structure) -> _Index:
    found = _INDEXES.get(structure)
    if found is None or found.source is not structure.labels:
        found = _Index(structure)
        _INDEXES[structure] = found
    return found


def single_sites(structure: Structure) -> dict[str, int]:
    """Label → site for every label :func:`resolve_label` reads exactly as one site with
    nothing to note (no mate mark, no other site with that label): the answer of
    ``resolve_label(structure, label)`` for those labels, looked up without it. Read only."""
    return _index(structure).single


def _plain(index: _Index, label: str) -> tuple[list[int], str]:
    """Steps 1–3: exact, case-insensitive, normalised."""
    if label in index.exact:
        return index.exact[label], "exact"
    if label.upper() in index.upper:
        return index.upper[label.upper()], "case"
    found = index.key.get(_key(label), [])
    return (found, "normalised") if found else ([], "")


def resolve_label(structure: Structure, label: str, *, patterns: bool = False) -> LabelMatch:
    """The sites a printed label names (module docstring for the order of the steps).

    ``patterns`` adds the pattern readings meant for hand-typed SI tables; the labels of
    a CIF's own loops are written by the refinement program and looked up by steps 1–4
    only. An unresolved label comes back with ``candidates`` (:func:`suggest_labels`).
    """
    index = _index(structure)
    label = label.strip()
    exact = index.matches.get(label)
    if exact is not None:  # a label as the structure has it: the same answer every time
        return exact
    sites, how = _plain(index, label)
    if how == "exact":
        note = f"label {label} names {len(sites)} sites" if len(sites) > 1 else ""
        exact = index.matches[label] = LabelMatch(label, tuple(sites), how, note)
        return exact
    if sites:
        note = f"label {label} names {len(sites)} sites" if len(sites) > 1 else ""
        return LabelMatch(label, tuple(sites), how, note)
    repeated = _duplicate_of(structure, label)
    if repeated is not None:
        sites, _ = _plain(index, repeated)
        note = f"{label} read as a symmetry mate of {repeated} (the CIF lists that point twice)"
        return LabelMatch(label, tuple(sites), "mate", note, mate=True)
    base = MATE_MARK.sub("", label.translate(_PRIMES))
    if base and base != label.translate(_PRIMES):
        sites, how = _plain(index, base)
        if sites:
            name = index.labels[sites[0]]
            note = f"{label} read as a symmetry mate of {name}"
            return LabelMatch(label, tuple(sites), "mate", note, mate=True)
    if patterns:
        found = _pattern(structure, index, label)
        if found is not None:
            return found
    return LabelMatch(label, (), "", "", candidates=tuple(suggest_labels(structure, label)))


def _duplicate_of(structure: Structure, label: str) -> str | None:
    """The kept label of a site the reader dropped as a symmetry image of it (``N1A`` of a
    CSD export → ``N1``; :attr:`coordgeo.model.Structure.duplicates`), any case."""
    if not structure.duplicates:
        return None
    found = structure.duplicates.get(label)
    if found is None:
        upper = label.upper()
        found = next((b for a, b in structure.duplicates.items() if a.upper() == upper), None)
    return found


def _pattern(structure: Structure, index: _Index, label: str) -> LabelMatch | None:
    """Step 5: the readings of a hand-typed label, each with its note; None when none
    applies. An element symbol shared by several sites is returned unresolved with
    those sites as candidates."""
    key = _key(label)
    plain = _no_zeros(key)
    if plain is not None and plain in index.zeros:  # Fe01 ≡ Fe1, either way round
        return _by_pattern(index, label, index.zeros[plain], "leading zeros of the number")
    symbol = label.capitalize()
    if re.fullmatch(r"[A-Za-z]{1,2}", label) and symbol in index.element:
        sites = index.element[symbol]
        names = list(dict.fromkeys(index.labels[i] for i in sites))
        if len(names) == 1:
            return _by_pattern(index, label, sites, f"the only {symbol} site")
        return LabelMatch(
            label,
            (),
            note=f"{label} names no site; the CIF has {len(names)} {symbol} sites "
            f"({', '.join(names[:6])}{', …' if len(names) > 6 else ''}): which one is meant?",
            candidates=tuple(names[:3]),
        )
    m = _PARTS.match(label)
    if m and m["number"].lstrip("0") == "1" and not m["rest"]:
        sites = index.key.get(m["letters"].casefold(), [])
        element = element_from_label(m["letters"])
        others = [
            i for i in index.element.get(element or "", []) if index.labels[i] != m["letters"]
        ]
        if sites and not others:
            return _by_pattern(index, label, sites, "the site labelled without a number")
    if m:
        digits = re.sub(r"[Oo]", "0", re.sub(r"[lI]", "1", m["rest"]))
        if digits != m["rest"] and digits.isdigit():
            ocr = _key(m["letters"] + m["number"] + digits)
            if ocr in index.key:
                return _by_pattern(index, label, index.key[ocr], "a letter read as a digit")
    return None


def _by_pattern(index: _Index, label: str, sites: list[int], why: str) -> LabelMatch:
    name = index.labels[sites[0]]
    return LabelMatch(label, tuple(sites), "pattern", f"{label} read as {name} ({why})")


def suggest_labels(structure: Structure, label: str, n: int = 3) -> list[str]:
    """Site labels a label that names no site probably means, the likeliest first.

    In order: the label read as a careful reader would (:func:`coordgeo.io.sitables.
    normalise_atom`: ``Fe(1)`` → ``Fe1``, OCR ``01`` → ``O1``, Cyrillic look-alikes →
    Latin); a site whose label differs only by a trailing number (``K1`` for a site ``K``,
    ``Ni`` for ``Ni1``); then the closest spellings (:func:`difflib.get_close_matches`,
    ratio ≥ 0.6, case ignored); when none of these, the sites of the same element, nearest
    number first (``O99`` → ``O9``, ``O8``). At most ``n``, each once.
    """
    import difflib

    from coordgeo.io.sitables import normalise_atom

    labels = list(dict.fromkeys(structure.labels))
    by_upper: dict[str, str] = {}
    for name in labels:
        by_upper.setdefault(name.upper(), name)
    found: list[str] = []
    parts = normalise_atom(label)
    if parts is not None:
        for reading in (parts[0], parts[0].upper()):
            if reading.upper() in by_upper:
                found.append(by_upper[reading.upper()])

    def stem(text: str) -> str:
        return re.sub(r"\d+$", "", re.sub(r"[^0-9A-Za-z]", "", text)).upper()

    key = re.sub(r"[^0-9A-Za-z]", "", parts[0] if parts is not None else label).upper()
    for name in labels:
        bare = re.sub(r"[^0-9A-Za-z]", "", name).upper()
        if bare and (stem(key) == bare or stem(name) == key):
            found.append(name)
    found += [by_upper[m] for m in difflib.get_close_matches(label.upper(), list(by_upper), n=n)]
    if not found:  # the sites of the same element, nearest number first
        element = element_from_label(parts[0] if parts is not None else label)
        number = _PARTS.match(key)
        same = [
            name
            for name, symbol in dict(zip(structure.labels, structure.elements, strict=True)).items()
            if symbol == element
        ]

        def distance(name: str) -> int:
            m = _PARTS.match(re.sub(r"[^0-9A-Za-z]", "", name))
            if not (m and number):
                return 10**6
            # a label's number as written can be thousands of digits long (hostile input);
            # past 18 digits it is just far from any real label's number
            a, b = (int(x) if len(x) <= 18 else 10**18 for x in (m["number"], number["number"]))
            return abs(a - b)

        found = sorted(same, key=distance)
    return list(dict.fromkeys(found))[:n]
