"""Reading the tables of supporting-information (SI) documents as they are published.

An SI document converted to text holds its tables in one of three shapes:

* tab-separated blocks, one row a line, usually with a header of temperatures
  (``\\t100 K\\t290 K`` then ``Fe1-N1\\t1.994(4)\\t2.153(4)``);
* markdown pipe tables, sometimes with two (label, value) groups side by side and
  section rows such as ``| Selected bond angles (°) | | | |``;
* space-aligned columns as ``pdftotext -layout`` writes them (``Fe1–N1      1.994(4)``):
  cells are runs of text two or more spaces apart, cut into the columns the rows' cells
  line up in; a row needs a number after its label and no more text cells than numbers.

:func:`read_si_tables` finds every such block, the caption near it (``Table S1 …``),
the symmetry-code legend under it (``A -x+1,y,-z+1/2`` or ``Symmetry codes: A -x, 1 - y,
2 - z; B …``) and returns one :class:`SITable` per block. The numbers are in
``SITable.rows``, a long-form :class:`pandas.DataFrame` with one row per printed value:

============  =====================================================================
``row``       1-based row of the table (section rows not counted); the values of one
              printed line (both temperatures, both side-by-side groups, the four
              numbers of an H-bond) share it
``label``     the label cell as printed (``Ru(1)–O(3B)``)
``atoms``     tuple of normalised atom labels without symmetry codes (``('Ru1', 'O3')``)
``codes``     tuple of legend keys, '' for the asymmetric-unit atom (``('', 'B')``)
``candidates``  per atom, every (label, code) reading the legend allows, preferred first
              (``((('Ru1', ''),), (('O3', 'B'), ('O3B', '')))``)
``tokens``    per atom, the token as printed (``('Ru(1)', 'O(3B)')``), for notes on how
              it was read (OCR ``01`` → ``O1``)
``kind``      ``distance`` / ``angle`` / ``torsion`` (from the number of atoms) or
              ``value`` (a row that names no atoms, a thermodynamic or CV value)
``quantity``  what the number is: ``distance``/``angle``/``torsion`` for geometry tables;
              ``D-H``, ``H...A``, ``D...A``, ``D-H...A`` for H-bond tables; ``delta_h``,
              ``delta_s``, ``t_half``, ``gamma`` for thermodynamic tables; the column
              header otherwise
``column``    the data set: the value column's header, normalised (``290 K``); ``value``
              when the header cell is blank (side-by-side groups with blank headers
              continue one list, so they share it)
``group``     1-based side-by-side group the value was printed in (1 when there is one)
``temperature``  K, from the column header or else the caption (``at 100 K``); NaN if none
``published``, ``published_su``  the number and its su (NaN when none is printed)
``unit``      ``Å``, ``°``, ``K``, ``kJ/mol``, ``J/(mol K)``, ``V`` … ('' if unknown)
``section``   the section row in force (``Selected bond angles (°)``), '' if none
``text``      the value cell as printed; ``line`` its 1-based line in the document
============  =====================================================================

H-bond tables are stored in the same long form, one row per number, because each of
``D-H``, ``H...A``, ``D...A`` (``kind`` distance) and ``D-H...A`` (``kind`` angle) is an
ordinary distance or angle between named atoms: validating against a CIF later needs no
special case, and ``row`` ties the four numbers of one H-bond together.

Label normalisation follows what a careful reader does: ``Fe(1)`` → ``Fe1``; Cyrillic and
Greek capitals that look like Latin ones (``К``, ``О``, ``Н``, ``С``, ``Т``) → Latin; a
leading digit zero where the element symbol must start (``01`` → ``O1``); en/em dashes,
minus signs, ``…``, ``...`` and ``···`` are separators; element symbols are capitalised
(``CO(1)`` → ``Co1``; matching against a CIF may still ignore case). A trailing letter
is read as a symmetry code only when the legend defines that key (``O(3B)`` → ``O3`` +
``B`` under a legend with B, else the label ``O3B``); the other reading stays in
``candidates``. For hydrogen atoms the label reading is preferred (``H1B`` is a riding-H
name far more often than H1 + code B).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import gemmi

from coordgeo.elements import element_from_label
from coordgeo.errors import InputError
from coordgeo.esd import parse_su
from coordgeo.io.files import read_text
from coordgeo.options import check_limit

if TYPE_CHECKING:  # pandas loads where a DataFrame is made (start-up time)
    import pandas as pd

__all__ = [
    "ROW_COLUMNS",
    "SITable",
    "atom_readings",
    "clean_text",
    "element_of_label",
    "normalise_atom",
    "operator_from_text",
    "parse_label",
    "parse_legend",
    "parse_value",
    "printed_reading_note",
    "read_si_tables",
]

ROW_COLUMNS = (
    "row",
    "label",
    "atoms",
    "codes",
    "candidates",
    "tokens",
    "kind",
    "quantity",
    "column",
    "group",
    "temperature",
    "published",
    "published_su",
    "unit",
    "section",
    "text",
    "line",
)

# Cyrillic and Greek capitals (and a few small letters) that OCR and PDF extraction put in
# place of Latin ones; only letters with a Latin twin, so Δ, Γ, α … are untouched.
_LOOKALIKES = str.maketrans(
    {
        "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
        "С": "C", "Т": "T", "Х": "X", "У": "Y", "І": "I", "Ј": "J", "Ѕ": "S",
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "і": "i",
        "ј": "j", "ѕ": "s",
        "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
        "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ο": "o",
    }
)  # fmt: skip
# Primes as typeset: ′ ’ ´ ` are the ASCII apostrophe of a label such as N1' or N(1').
_PRIMES = str.maketrans({"′": "'", "’": "'", "´": "'", "`": "'", "″": "''"})
_FROM_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
# In headers and captions Cyrillic Г stands for Γ (cooperativity) and ∆ (increment) for Δ.
_HEADER_FIXES = str.maketrans({"Г": "Γ", "∆": "Δ", "º": "°", "−": "-", "\u00a0": " "})

# Separators between atom labels: hyphens and dashes of every width, the minus sign,
# the ellipsis and its spelled-out forms (H-bond tables), middle dots.
# (?<!\s): a whitespace run is tried once, from its start (linear on a long run of spaces)
_SEPARATOR = re.compile(
    r"(?<!\s)\s*(?:\.{2,3}|…|⋯|[·∙•]{2,3}|[-‐‑‒–—−])\s*|(?<!\s)\s+(?=[·∙…])|(?<=[·∙…])\s+"
)
_MARK = r"(?P<mark>#\d+|'+|_\$?\d+|\$\d+|_[A-Z]{1,2}|\^(?:[ivx]+|[A-Za-z]{1,2}|#?\d+|'+))?"
_ATOM = re.compile(
    r"^(?P<letters>[A-Za-z]{1,4}?)(?P<number>\d+)"
    r"(?P<inner>(?:[A-Za-z]{1,3}\d{1,3})?)"  # letters and digits again: H1W1, H6W1_1
    r"(?P<residue>[A-Za-z]{0,3}_\d+)?"  # SHELXL residue numbers: O7_1, H3W_1, O9_14A
    r"(?P<tail>[A-Za-z]{0,3}|[ivx]{4,6})"  # N1viii: a roman code run into the label
    r"(?P<prime>'+(?=[\^#$]))?" + _MARK + "$"  # a prime that belongs to the label: O2'^i, N1'#2
)
# a label without a number: an element symbol (V, Ni, NI), perhaps with a legend key (NiA)
_ELEMENT_ONLY = re.compile(r"^(?P<letters>[A-Z][A-Za-z]{0,3})" + _MARK + "$")
_NUMBER = re.compile(
    r"^(?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(?:\((?P<su>\d+)\))?"
    r"(?P<rest>.*)$"
)
_MISSING = {"", "-", "–", "—", "−", "n/a", "na", "?", "."}
_FOOTNOTE = re.compile(r"^[\s*†‡§#a-z¹²³⁰-⁹]*$")
_UNIT_AFTER = re.compile(r"^\s*(?:°|º|˚|Å|deg)(?![\w°])")  # 178.0(2)°, 1.994(4) Å
_CAPTION = re.compile(r"^(?:Table|Tab\.)\s*(?P<number>S?\s*\d+[A-Za-z]?)\b", re.IGNORECASE)
_TEMPERATURE = re.compile(  # 100 K, 100K, 100(2) K
    r"(?<![\w.⁻−-])(?P<t>\d+(?:\.\d+)?)(?:\(\d+\))?\s*K\b(?!\s*[-−⁻]\s*1)"
)
_COMPOUND = re.compile(
    r"\b(?:for|of|in)\s+(?:the\s+)?(?:complex(?:es)?|compounds?)?\s*"
    r"(?P<list>\d+[a-z]?(?:\s*(?:,|and|&)\s*\d+[a-z]?)*)\b(?!\s*(?:K|°|mmol|mol|nm|Å))"
)
_LEGEND_PREFIX = re.compile(
    r"^\s*(?:symmetry[\s-]+(?:codes?|operat\w*|transformations?|generated|related|"
    r"equivalent)[^:]*|"
    r"equivalent\s+positions?\s*):\s*",
    re.IGNORECASE,
)
# the legend at the end of a caption or a note: "… for 1. Symmetry transformations used …:"
_LEGEND_WITHIN = re.compile(
    r"(?<=[.;)\s])(?:symmetry[\s-]+(?:codes?|operat\w*|transformations?|generated|"
    r"related|equivalent)[^:]*|equivalent\s+positions?\s*):\s*",
    re.IGNORECASE,
)
_LEGEND_ENTRY = re.compile(
    r"^\s*(?P<key>\((?:#?\d+|[ivx]+|[A-Z]{1,2}|'+|\$\d+)\)|#\d+|\(?[ivx]+\)|[ivx]+(?=\s)|"
    r"[A-Z]{1,2}|'+|\$\d+|\d+)\s*[:=)]?\s*(?P<op>.+)$"
)  # the trailing " ;." is cut in parse_legend: a lazy op before \s*[;.]?\s*$ was cubic
_MAX_GAP = 8  # lines between a table and its caption or legend


@dataclass(frozen=True, eq=False)
class SITable:
    """One table of an SI document.

    ``kind`` is ``geometry`` (distances/angles named by atom labels), ``hbond``,
    ``thermo`` (ΔH, ΔS, T½, Γ) or ``other``. ``legend`` maps each key of the symmetry-code
    legend to the operator as printed; :attr:`operators` gives them as ``gemmi.Op``.
    ``columns`` are the value-column names of the long-form ``rows`` and ``temperatures``
    their temperatures (None when not given).
    """

    kind: str
    rows: pd.DataFrame
    columns: tuple[str, ...]
    temperatures: tuple[float | None, ...]
    caption: str | None = None
    number: str | None = None
    compounds: tuple[str, ...] = ()
    legend: Mapping[str, str] = field(default_factory=dict)
    legend_line: int | None = None
    first_line: int = 0
    last_line: int = 0
    layout: str = "tsv"
    source: str | None = None

    @property
    def name(self) -> str:
        """``Table S1`` when a caption names it, else ``table at line N``."""
        if self.number:
            return f"Table {self.number}"
        return f"table at line {self.first_line}"

    @property
    def compound(self) -> str | None:
        """The compound the table is about, when its caption names exactly one."""
        return self.compounds[0] if len(self.compounds) == 1 else None

    @property
    def operators(self) -> dict[str, gemmi.Op]:
        """Legend keys → parsed operators (entries gemmi cannot read are left out)."""
        ops = {}
        for key, text in self.legend.items():
            op = operator_from_text(text)
            if op is not None:
                ops[key] = op
        return ops

    def __repr__(self) -> str:
        return (
            f"SITable({self.name!r}, kind={self.kind!r}, lines {self.first_line}-"
            f"{self.last_line}, {len(self.rows)} values, columns={self.columns!r})"
        )


# --------------------------------------------------------------------------- text helpers


def clean_text(text: str) -> str:
    """Header/caption text as a reader sees it: no HTML tags or markdown emphasis,
    look-alike letters fixed, ``Δ H`` → ``ΔH``, whitespace collapsed."""
    text = " ".join(text.split())  # before the patterns: a long run of spaces made them slow
    text = re.sub(r"</?(?:i|b|em|strong)>", "", text)
    text = re.sub(r"\s*<sub>\s*(.*?)\s*</sub>", r"\1", text)  # T <sub>1/2</sub> → T1/2
    text = re.sub(r"<[^>]+>", " ", text)
    text = text.replace("**", "").replace("__", "")
    text = re.sub(r"^#+\s*", "", text.strip())
    text = re.sub(r"\$([^$]*)\$", r"\1", text)
    text = text.translate(_HEADER_FIXES).translate(_LOOKALIKES)
    text = " ".join(text.split())
    text = re.sub(r"([Δ∠])\s+(?=\w)", r"\1", text)
    text = re.sub(r"\b(mol|K|g|s|cm|m|L|kg)\s*[-−]\s*1\b", r"\1⁻¹", text)  # mol -1 → mol⁻¹
    text = re.sub(r"\s+([)\]])", r"\1", text)
    return text


def operator_text_for_gemmi(text: str) -> str:
    """Spaces, unicode minus signs and dashes removed, so gemmi reads ``1 - y`` or ``½−x``."""
    text = text.translate(_HEADER_FIXES).translate(_LOOKALIKES)
    text = text.replace("–", "-").replace("—", "-").replace("½", "1/2")
    return re.sub(r"\s+", "", text).rstrip(";.").lower()


def operator_from_text(text: str) -> gemmi.Op | None:
    """``gemmi.Op`` for an operator as printed, or None when it is not one."""
    try:
        return gemmi.Op(operator_text_for_gemmi(text))
    except (RuntimeError, ValueError):
        return None


# --------------------------------------------------------------------------- labels


def normalise_atom(token: str) -> tuple[str, str, str] | None:
    """Split one printed atom token into ``(label, tail, mark)`` after normalisation.

    ``label`` is the element-capitalised label without parentheses (``Fe(1)`` → ``Fe1``,
    ``01`` → ``O1``, ``CO(1)`` → ``Co1``); ``tail`` the trailing letters that may be a
    symmetry code (``'B'`` for ``O(3B)``); ``mark`` a code written as ``#1``, ``'``, ``$1``
    or ``_A`` (``O1W_A``). ``label`` still includes ``tail``. Returns None when the token
    is not an atom.

    Three shapes are atoms: letters, a number and up to three letters (``Fe1``, ``O1W``,
    ``C12B``; the letters need not name an element: ``M1``, ``T52A`` are site labels of
    mixed or tetrahedral sites, resolved against a CIF's labels later); an element symbol
    alone (``V``, ``Ni``, ``NI``), perhaps followed by capital letters that may be a
    legend key (``NiA``); nothing else (``Mean``, ``Cg1``, ``Σ`` name no atom).
    """
    # one space for a run of them: the patterns below never count spaces, and a long run
    # made them quadratic
    text = " ".join(token.translate(_LOOKALIKES).translate(_PRIMES).split())
    # a code printed as a superscript: N1<sup>i</sup>, N1^{ii}, N(1)^i, N1¹ → N1^i, N1^1
    text = re.sub(r"([⁰¹²³⁴⁵⁶⁷⁸⁹]+)$", lambda m: "^" + m[1].translate(_FROM_SUPERSCRIPT), text)
    text = re.sub(r"\s*(?:<sup>\s*(.+?)\s*</sup>|\^\{\s*(.+?)\s*\})\s*$",
                  lambda m: "^" + (m[1] or m[2]), text)  # fmt: skip
    text = re.sub(r"\s+(?=[(\d^])|(?<=\()\s+|\s+(?=\))", "", text)  # "Fe (1 )" → "Fe(1)"
    if re.search(r"[\s\[\]{}]", text):
        return None  # "[Fe II 2Co II]" is a formula, not an atom
    text = text.replace("(", "").replace(")", "")
    if re.match(r"^0\d", text):  # digit zero where the element symbol must start
        text = "O" + text[1:]
    if re.fullmatch(r"Cg\d+[A-Za-z]?(?:'+|\^.+|#\d+|\$\d+|_[A-Z]{1,2})?", text):
        return None  # a ring centroid (Cg1, Cg1^ii), not an atom: in a CIF only as a site
    match = _ATOM.match(text)
    if match:
        letters, number = match["letters"], match["number"]
        tail, mark = match["tail"], match["mark"] or ""
        residue, prime = match["inner"] + (match["residue"] or ""), match["prime"] or ""
        if element_from_label(letters) is None and not letters[0].isupper():
            return None
        if _is_symbol(letters):
            letters = letters.capitalize()  # FE1 → Fe1, CO1 → Co1
        if prime:  # O2'^i: the letters before the prime are the label's, not a code
            return letters + number + residue + tail + prime, "", mark
        return letters + number + residue + tail, tail, mark
    for roman in (
        re.fullmatch(r"([A-Z])([ivx]+)", text),
        re.fullmatch(r"([A-Z][a-z])([ivx]+)", text),
    ):
        # a roman code run into an element-only label (the superscript lost): Bri, Nii,
        # Kviii; Ni, Si, Bi are also tried as the elements (the code only if a legend key)
        if roman and _is_symbol(roman[1]):
            return text, roman[2], ""
    match = _ELEMENT_ONLY.match(text)
    if not match:
        return None
    letters, mark = match["letters"], match["mark"] or ""
    if len(letters) == 2 and letters.isupper() and _is_symbol(letters[0]) and not mark:
        # NA, SB, OG: sodium, antimony, oganesson, or the site N, S, O with code A, B, G
        # (a table of element-only labels); the code reading is tried when G is a key
        return letters.capitalize(), letters[1], mark
    if _is_symbol(letters) and (letters.istitle() or letters.isupper()):
        return letters.capitalize(), "", mark  # V, Ni, NI
    bracketed = re.fullmatch(r"\s*([A-Z][a-z]?)\s*\(\s*([a-z]{1,2})\s*\)\s*", token)
    if bracketed and _is_symbol(bracketed[1]):  # Cr(a): a site label, not a code
        return bracketed[1] + bracketed[2], "", ""
    for size in (2, 1):  # NiA, VA: a symbol and capital letters that may be a code
        symbol, tail = letters[:size], letters[size:]
        if tail and tail.isupper() and len(tail) <= 2 and symbol.istitle() and _is_symbol(symbol):
            return symbol + tail, tail, mark
    return None


def printed_reading_note(token: str) -> str:
    """What a careful reader changed in a printed atom token, as a note ('' when nothing
    but parentheses, case or spacing): ``01`` → ``O1`` (the digit zero for the letter
    O), Cyrillic or Greek letters read as their Latin look-alikes."""
    parts = normalise_atom(token)
    if parts is None:
        return ""
    label = parts[0] + parts[2]
    what = []
    if token.translate(_LOOKALIKES) != token:
        what.append("Cyrillic or Greek look-alike letters read as Latin")
    bare = re.sub(r"[\s()]", "", token.translate(_LOOKALIKES))
    if re.match(r"^0\d", bare):
        what.append("the digit 0 read as the letter O")
    if not what:
        return ""
    return f"printed {token.strip()!r} read as {label} ({'; '.join(what)})"


def _is_symbol(text: str) -> bool:
    """Whether ``text`` is an element symbol in any letter case (gemmi reads only two
    letters, so the name is compared back)."""
    element = gemmi.Element(text.capitalize())
    return element.atomic_number > 0 and element.name == text.capitalize()


def element_of_label(label: str) -> str | None:
    """Element symbol of a normalised label (``Fe1`` → ``Fe``, ``OW1`` → ``O``): the one rule
    of :func:`coordgeo.elements.element_from_label` (two letters preferred, any case)."""
    return element_from_label(label)


def atom_readings(token: str, legend_keys: Iterable[str]) -> list[tuple[str, str]] | None:
    """Every ``(label, code)`` reading of a printed atom, the preferred one first.

    A trailing letter (or ``#n``/``'``/``$n``/``_A`` mark) is a code only when it is a
    legend key.
    Hydrogen atoms prefer the plain-label reading (``H1B``); other atoms prefer the code.
    """
    parts = normalise_atom(token)
    if parts is None:
        return None
    label, tail, mark = parts
    keys = set(legend_keys)
    readings: list[tuple[str, str]] = []
    if mark:
        # O1W_A: key A; N1_$1 (SHELXL): key $1; N1^i (a superscript): key i
        key = mark[1:] if re.fullmatch(r"_[A-Z]{1,2}|_\$\d+|\^.+", mark) else mark
        if key in keys:
            readings.append((label, key))
        readings.append((label + mark, ""))
        return readings
    for cut in range(len(tail)):  # longest code suffix first
        suffix = tail[cut:]
        if suffix in keys:
            readings.append((label[: len(label) - len(suffix)], suffix))
    readings.append((label, ""))
    if len(readings) > 1 and element_of_label(label) == "H":
        readings = [readings[-1], *readings[:-1]]
    return readings


def split_label(text: str) -> list[str]:
    """Printed atom tokens of a label such as ``Ru(1)–O(3B)`` or ``01-H1B …N4``."""
    text = text.translate(_LOOKALIKES).strip().strip("*").strip()
    return [part for part in _SEPARATOR.split(text) if part]


def parse_label(
    text: str, legend_keys: Iterable[str] = ()
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[tuple[str, str], ...], ...]] | None:
    """Read a geometry label: ``(atoms, codes, candidates)`` or None when it names no atoms.

    >>> parse_label("N3A-Fe1-N1", ["A"])[:2]
    (('N3', 'Fe1', 'N1'), ('A', '', ''))
    """
    tokens = split_label(text)
    if not 2 <= len(tokens) <= 4:
        return None
    keys = tuple(legend_keys)
    readings = [atom_readings(token, keys) for token in tokens]
    if any(r is None for r in readings):
        return None
    candidates = tuple(tuple(r) for r in readings if r is not None)
    atoms = tuple(r[0][0] for r in candidates)
    codes = tuple(r[0][1] for r in candidates)
    return atoms, codes, candidates


# --------------------------------------------------------------------------- numbers


def parse_value(text: str) -> tuple[float, float | None] | None:
    """A printed number with optional su (``1.994(4)``, ``−0.84``, ``120*``).

    Returns None for an empty or 'not given' cell; raises ValueError for text that is
    not a number. Footnote markers after the number are ignored.
    """
    cell = text.strip().translate(_HEADER_FIXES).replace("–", "-")
    if cell.lower() in _MISSING:
        return None
    cell = re.sub(r"^([+-])\s+", r"\1", cell)
    match = _NUMBER.match(cell)
    if not match or not _FOOTNOTE.match(_UNIT_AFTER.sub("", match["rest"])):
        raise ValueError(f"cannot read {text.strip()!r} as a number")
    number = match["number"] + (f"({match['su']})" if match["su"] else "")
    value, su = parse_su(number)
    assert value is not None
    return value, su


def _is_number(text: str) -> bool:
    try:
        return parse_value(text) is not None
    except ValueError:
        return False


# --------------------------------------------------------------------------- legends


def parse_legend(line: str) -> dict[str, str]:
    """Legend entries of one line: key → operator as printed.

    Reads ``A -x+1,y,-z+1/2``, ``Symmetry codes: A -x, 1 - y, 2 - z; B …`` and SHELXL's
    ``#1 -x+1,y,-z+1/2  #2 …``. Returns {} when the line holds no operator.
    """
    text = _LEGEND_PREFIX.sub("", line.strip())
    within = _LEGEND_WITHIN.search(text)
    if within:  # "Table S1 Selected bond lengths … for 1. Symmetry codes: (i) …"
        text = text[within.end() :]
    # Olex2: ¹1-X,+Y,3/2-Z; ²+X,1+Y,+Z — a superscript number keys the operator after it
    text = re.sub(
        r"(?:(?<=^)|(?<=[;\s]))([⁰¹²³⁴⁵⁶⁷⁸⁹]+)\s*",
        lambda m: "(" + m[1].translate(_FROM_SUPERSCRIPT) + ") ",
        text,
    )
    # keys as superscripts: <sup>i</sup> −x+1, y, z; ^ii x, y+1, z → (i) …; (ii) …
    text = re.sub(r"<sup>\s*([^<]+?)\s*</sup>\s*", r"(\1) ", text)
    text = re.sub(r"(?:(?<=^)|(?<=[;,\s]))\^\{?([ivx]+|\d+|[A-Za-z])\}?\s*", r"(\1) ", text)
    chunks = []
    for part in text.split(";"):
        # entries one after another: "(i) …, (ii) …", "#1 … #2 …", "A -x,y,z B x,1+y,z"
        chunks.extend(
            re.split(
                r",?(?<!\s)\s+(?=(?:#\d+|\$\d+|\((?:[ivx]+|'+|[A-Z]{1,2}|\d+)\))\s)"
                r"|,?(?<!\s)\s+(?=[A-Z]{1,2}\s++[-+−]?[\d½/]*+\s*+[-+−]?\s*+[xyz])",
                part,
            )
        )
    legend: dict[str, str] = {}
    for chunk in chunks:
        if not chunk.strip():
            continue
        match = _LEGEND_ENTRY.match(chunk)
        if not match:
            return legend
        op = match["op"].rstrip()
        op = (op[:-1] if op.endswith((";", ".")) else op).strip()
        if op.count(",") != 2 or not re.search(r"[xX]", op) or not re.search(r"[zZ]", op):
            return legend
        if re.search(r"[^-+−–xyzXYZ0-9/.,\s½]", op):
            return legend
        legend[match["key"].strip("()")] = op
    return legend


# --------------------------------------------------------------------------- blocks


@dataclass(frozen=True)
class _Block:
    layout: str
    first: int  # 1-based line numbers
    last: int
    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (line, cells)
    header: tuple[str, ...] | None


def _markdown_cells(line: str) -> tuple[str, ...]:
    text = line.strip()
    text = text.removeprefix("|").removesuffix("|")
    return tuple(cell.strip() for cell in re.split(r"(?<!\\)\|", text))


def _find_blocks(lines: list[str]) -> list[_Block]:
    blocks: list[_Block] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("|") and line.count("|") >= 2:
            j = i
            while j < len(lines) and lines[j].lstrip().startswith("|"):
                j += 1
            cells = [(k + 1, _markdown_cells(lines[k])) for k in range(i, j)]
            header = None
            separator = [
                n
                for n, (_, row) in enumerate(cells)
                if all(re.fullmatch(r":?-{3,}:?", c) for c in row if c) and any(row)
            ]
            if separator:
                s = separator[0]
                if s > 0:
                    header = cells[s - 1][1]
                cells = cells[: max(s - 1, 0)] + cells[s + 1 :]
            elif len(cells) >= 2 and _is_header(cells[0][1]):  # no |---| line under it
                header = cells[0][1]
                cells = cells[1:]
            blocks.append(_Block("markdown", i + 1, j, tuple(cells), header))
            i = j
        elif "\t" in line:
            j = i
            while j < len(lines) and "\t" in lines[j]:
                j += 1
            cells = [(k + 1, tuple(c.strip() for c in lines[k].split("\t"))) for k in range(i, j)]
            if len(cells) >= 2:
                header = None
                if _is_header(cells[0][1]):
                    header = cells[0][1]
                    cells = cells[1:]
                blocks.append(_Block("tsv", i + 1, j, tuple(cells), header))
            i = j
        elif _spaced_row(line):
            block = _spaced_block(lines, i)
            if block is not None:
                blocks.append(block)
                i = block.last
            else:
                i += 1
        else:
            i += 1
    return [b for b in blocks if any(_is_number(c) for _, row in b.rows for c in row[1:])]


def _names_atoms(cells: Sequence[str]) -> bool:
    """Whether a line's label names atoms as a row's label does: two to four atoms, one
    of them numbered (``Fe1–O2``, ``O1–H1···N2``), or one atom a cell in the first two
    cells (Olex2: ``Fe1 | N1¹``). Such a line is a row whatever its values are, so a
    misprinted value (``2.08OO(2)``) is an error on its line, not a header; a header
    naming bonds without numbers (``Fe–N``, ``D–H···A``, ``Atom | Atom``) is none."""
    if not cells or not re.search(r"\d", cells[0]):
        return False
    if parse_label(cells[0]) is not None:
        return True
    return len(cells) >= 2 and all(
        len(split_label(c)) == 1 and normalise_atom(c) is not None for c in cells[:2]
    )


# A value cell that starts as a number does (a misprint such as 2.08OO(2) or 1.99 4(3)),
# unlike a column heading (Fe–O, Å, 100 K, 293(2) K).
_NUMBER_START = re.compile(r"^[-−+]?\.?\d")
_TEMPERATURE_HEADING = re.compile(r"^\d+(?:\.\d+)?(?:\(\d+\))?\s*K$", re.IGNORECASE)


def _names_elements_with_values(cells: Sequence[str]) -> bool:
    """Whether a line is a row whose label names a bond or angle by element symbols only
    (``V–O``, ``O–V–O``, as a table of one metal prints it) and every value cell starts as
    a number. Such a line is a row even when a value is misprinted (``V–O  2.08OO(2)``):
    the first line of a headerless table is then an error on its line, not a header that
    silently drops the row. Headers keep their headings: a label that is no bond (``Bond``,
    ``M–L``) or value cells that are text or temperatures (``Fe–O``, ``100 K``)."""
    if len(cells) < 2 or re.search(r"\d", cells[0]) or parse_label(cells[0]) is None:
        return False
    values = [c for c in cells[1:] if c]
    return bool(values) and all(
        _NUMBER_START.match(c) and not _TEMPERATURE_HEADING.match(c) for c in values
    )


def _is_header(cells: tuple[str, ...]) -> bool:
    """Whether the first line of a block is its header: no number among its value cells,
    or an empty label cell (``\t1\t2``: compounds numbered 1 and 2 head the columns; a
    row of values always has a label), and no atoms in its label (:func:`_names_atoms`),
    nor a bond of element symbols with number-like values
    (:func:`_names_elements_with_values`)."""
    if _names_atoms(cells) or _names_elements_with_values(cells):
        return False
    return not cells[0] or not any(_is_number(c) for c in cells[1:])


def _chunks(line: str) -> list[tuple[int, int, str]]:
    """The cells of a space-aligned line: runs of text separated by two or more spaces,
    with their character spans (``Fe1–N1    1.994 (4)`` → two cells)."""
    return [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+(?: \S+)*", line)]


def _spaced_row(line: str) -> bool:
    """A row of a space-aligned table (pdftotext ``-layout``): two or more cells, at least
    one of them after the first a number, and no more text cells than number cells after
    the label (two label/value pairs side by side qualify, a line of prose does not); or
    a label naming atoms (:func:`_names_atoms`) with a digit in every other cell, so a
    misprinted value (``Fe1–O2   2.08OO(2)``) is read, and reported, on its line."""
    if "\t" in line or line.lstrip().startswith("|"):
        return False
    cells = [c for _, _, c in _chunks(line)]
    if len(cells) < 2:
        return False
    numbers = sum(_is_number(c) for c in cells[1:])
    if numbers >= 1 and len(cells) - 1 - numbers <= numbers:
        return True
    if _names_elements_with_values(cells):
        return True
    return _names_atoms(cells) and all(re.search(r"\d", c) for c in cells[1:])


def _spaced_block(lines: list[str], start: int) -> _Block | None:
    """The space-aligned table whose first row is line ``start`` (0-based): its rows, the
    one-cell section rows between them (``Bond angles (°)``), the header line above it
    (cells without numbers, or a blank label cell), cut into the columns the rows' cells
    line up in. None when fewer than two rows qualify."""
    end = start
    last_row = start
    while end < len(lines):
        line = lines[end]
        if _spaced_row(line):
            last_row = end
        elif not _section_line(line):
            break
        end += 1
    rows = [n for n in range(start, last_row + 1) if _spaced_row(lines[n])]
    first = start
    header_line = None
    k = start - 1
    while k >= 0 and _section_line(lines[k]) and k >= start - 2:
        k -= 1  # section rows between the header and the first row
    if k >= 0 and lines[k].strip() and not _CAPTION.match(clean_text(lines[k])):
        cells = tuple(c for _, _, c in _chunks(lines[k]))
        blank_label = lines[k][: len(lines[k]) - len(lines[k].lstrip())] != "" and (
            _chunks(lines[k])[0][0] > 0
        )
        if len(cells) >= 2 and (blank_label or (not _is_number(cells[0]) and _is_header(cells))):
            header_line = k
            first = k
    if len(rows) < 2 and header_line is None:
        return None  # one line of numbers without a header is no table
    if header_line is None:
        first = start
        while first > 0 and _section_line(lines[first - 1]) and first > start - 2:
            first -= 1
    spans: list[list[int]] = []
    for start_, end_, _ in sorted(c for n in rows for c in _chunks(lines[n])):
        if spans and start_ < spans[-1][1] + 2:
            spans[-1][1] = max(spans[-1][1], end_)
        else:
            spans.append([start_, end_])

    def cut(line: str) -> tuple[str, ...]:
        cells = [""] * len(spans)
        for a, b, text in _chunks(line):
            overlap = [min(b, e) - max(a, s) for s, e in spans]
            best = max(range(len(spans)), key=lambda j: (overlap[j], -abs(spans[j][0] - a)))
            if overlap[best] <= 0:  # between columns: the nearest one
                best = min(
                    range(len(spans)), key=lambda j: min(abs(spans[j][0] - a), abs(spans[j][1] - b))
                )
            cells[best] = f"{cells[best]} {text}".strip()
        return tuple(cells)

    body_first = header_line + 1 if header_line is not None else first
    body = []
    for n in range(body_first, last_row + 1):
        if not lines[n].strip():
            continue
        if _spaced_row(lines[n]):
            body.append((n + 1, cut(lines[n])))
        else:  # a section row: its text in the label cell
            body.append((n + 1, (" ".join(c for _, _, c in _chunks(lines[n])),)
                         + ("",) * (len(spans) - 1)))  # fmt: skip
    header = cut(lines[header_line]) if header_line is not None else None
    return _Block("spaces", first + 1, last_row + 1, tuple(body), header)


def _section_line(line: str) -> bool:
    """A one-cell line that is no caption, legend or number (``Bond lengths (Å)``)."""
    cells = _chunks(line)
    if len(cells) != 1:
        return False
    text = cells[0][2]
    return not (_is_number(text) or _CAPTION.match(clean_text(text)) or parse_legend(text))


# --------------------------------------------------------------------------- captions, legends


def _captions(lines: list[str], tables: set[int]) -> list[tuple[int, str, str]]:
    found = []
    for n, line in enumerate(lines, 1):
        if n in tables:
            continue
        text = clean_text(line)
        match = _CAPTION.match(text)
        if match:
            found.append((n, text, match["number"].replace(" ", "").upper()))
    return found


def _assign_nearby(
    items: list[int], blocks: list[_Block], *, prefer_before: bool
) -> dict[int, int]:
    """Pair text lines with blocks one-to-one by the smallest gap (≤ _MAX_GAP lines).

    ``prefer_before`` breaks ties toward the block that follows the line (captions are
    more often above a table); legends prefer the block above them.
    """
    pairs = []
    for i, line in enumerate(items):
        for b, block in enumerate(blocks):
            if line > block.last:
                gap, after = line - block.last, 1
            elif line < block.first:
                gap, after = block.first - line, 0
            else:
                continue
            between = [
                o
                for o in blocks
                if o is not block and min(line, block.first) < o.first < max(line, block.last)
            ]
            if gap <= _MAX_GAP and not between:
                tie = after if prefer_before else 1 - after
                pairs.append((gap, tie, i, b))
    assigned: dict[int, int] = {}
    used: set[int] = set()
    for _gap, _tie, i, b in sorted(pairs):
        if i not in assigned and b not in used:
            assigned[i] = b
            used.add(b)
    return assigned


# --------------------------------------------------------------------------- reading


def read_si_tables(path_or_text: str | Path) -> list[SITable]:
    """Find and read every table of an SI document given as a path or as its text.

    Raises :class:`coordgeo.errors.InputError` for a file that cannot be read or a
    number that cannot be read in a value column. A document without tables gives [].
    """
    text, path = _load(path_or_text)
    lines = text.splitlines()
    blocks = _find_blocks(lines)
    in_table = {n for b in blocks for n in range(b.first, b.last + 1)}

    captions = _captions(lines, in_table)
    caption_of = {
        b: captions[i]
        for i, b in _assign_nearby([c[0] for c in captions], blocks, prefer_before=True).items()
    }

    legend_lines: list[tuple[int, dict[str, str]]] = []
    previous = -10  # line of the last legend entry: one entry per line continues a legend
    for n, line in enumerate(lines, 1):
        if n in in_table:
            continue
        entries = parse_legend(line)
        if entries:
            if legend_lines and n - previous <= 2:  # one entry per line: merge
                legend_lines[-1] = (legend_lines[-1][0], {**legend_lines[-1][1], **entries})
            else:
                legend_lines.append((n, entries))
            previous = n
    legend_of = {
        b: legend_lines[i]
        for i, b in _assign_nearby(
            [n for n, _ in legend_lines], blocks, prefer_before=False
        ).items()
    }

    tables = []
    for b, block in enumerate(blocks):
        caption = caption_of.get(b)
        legend_line, legend = legend_of.get(b, (None, {}))
        try:
            tables.append(_read_block(block, caption, legend, legend_line, path))
        except InputError as exc:
            if block.layout == "spaces" and not any(
                _names_atoms(c) or _names_elements_with_values(c) for _, c in block.rows
            ):
                continue  # space-aligned text that is no table (justified prose)
            raise exc.located(path=path) from None
    return tables


def _load(path_or_text: str | Path) -> tuple[str, str | None]:
    if isinstance(path_or_text, Path) or (
        isinstance(path_or_text, str)
        and "\n" not in path_or_text
        and "\t" not in path_or_text
        and len(path_or_text) < 4096
        and (os.path.exists(path_or_text) or re.search(r"\.(txt|md|text)$", path_or_text))
    ):
        path = Path(path_or_text)
        # regular files only, the size limit, UTF-8 (BOM or not), UTF-16 with a BOM, else
        # CP1252/Latin-1 with a warning (coordgeo.io.files); then the line limit
        text = read_text(path, what="SI table").text
        check_limit("table_lines", text.count("\n"), path=str(path))
        return text, str(path)
    check_limit("table_lines", str(path_or_text).count("\n"))
    return str(path_or_text), None


_HBOND_QUANTITIES = ("D-H", "H...A", "D...A", "D-H...A")
_THERMO_UNITS = {"delta_h": "kJ/mol", "delta_s": "J/(mol K)", "t_half": "K", "gamma": "kJ/mol"}


def _separators_to_dots(text: str) -> str:
    text = re.sub(r"\s*(?:\.{2,3}|…|⋯|[·∙•]{2,3})\s*", "...", text)
    return re.sub(r"\s*[-‐‑‒–—−]\s*", "-", text)


def _hbond_quantity(header: str, position: int) -> str:
    text = _separators_to_dots(header)
    if "∠" in text or re.search(r"[°]|deg|angle", text, re.IGNORECASE):
        return "D-H...A"
    for quantity in ("D...A", "H...A", "D-H"):
        if quantity in text:
            return quantity
    return _HBOND_QUANTITIES[position] if position < 4 else header


_THERMO_QUANTITIES = (  # header start (spaces removed) → quantity
    ("delta_h", r"ΔH"),
    ("delta_s", r"ΔS"),
    ("t_half", r"T(1/2|½|c)"),
    ("gamma", r"(?i:Γ|Gamma)"),
)
_UNITS = (  # the unit in a header's last brackets (compacted) → canonical spelling
    ("kJ/mol", r"kJmol-1"),
    ("J/(mol K)", r"Jmol-1K-1|J/molK|J/\(molK\)|JK-1mol-1"),
    ("kJ/(mol K)", r"kJmol-1K-1|kJK-1mol-1"),
    ("J/mol", r"Jmol-1"),
)


def _thermo_quantity(header: str) -> str | None:
    """``delta_h``/``delta_s``/``t_half``/``gamma`` for a ΔH, ΔS, T½ (Tc) or Γ header."""
    text = header.replace(" ", "")
    return next((q for q, pattern in _THERMO_QUANTITIES if re.match(pattern, text)), None)


def _unit(header: str) -> str:
    """The unit in a header's trailing brackets (``ΔH [kJ mol-1]`` → ``kJ/mol``), '' if none."""
    match = re.search(r"[\[(]([^\])]+)[\])]\s*$", header)
    if not match:
        return ""
    unit = match.group(1).strip()
    compact = unit.replace(" ", "").replace("⁻¹", "-1").replace("^", "")
    found = next((u for u, pattern in _UNITS if re.fullmatch(pattern, compact)), None)
    return found or {"º": "°"}.get(unit, unit)


def _is_section(cells: tuple[str, ...]) -> bool:
    """A section row: text in the label cell only (``Selected bond angles (°)``)."""
    return bool(cells[0]) and not any(cells[1:])


@dataclass(frozen=True)
class _Columns:
    """The value columns of a block: the side-by-side groups (label column, its value
    columns), and per value column its name, group number and temperature."""

    groups: tuple[tuple[int, tuple[int, ...]], ...]
    names: dict[int, str]
    group_of: dict[int, int]
    temperature_of: dict[int, float | None]


def _read_block(
    block: _Block,
    caption: tuple[int, str, str] | None,
    legend: dict[str, str],
    legend_line: int | None,
    path: str | None,
) -> SITable:
    """One table from one block of lines, with the caption and legend found near it.

    Column 0 holds the row labels; the value columns and their side-by-side groups are
    found by :func:`_value_columns`, named by :func:`_name_columns`; the table's kind
    (:func:`_table_kind`) decides how each value cell is described (:func:`_describe`).
    Raises InputError for a block without a column of numbers or a cell that is not one.
    """
    width = max([len(block.header or ())] + [len(cells) for _, cells in block.rows])
    header = (tuple(clean_text(c) for c in (block.header or ())) + ("",) * width)[:width]
    rows = [(line, cells + ("",) * (width - len(cells))) for line, cells in block.rows]
    body = [cells for _, cells in rows if not _is_section(cells)]
    value_cols = _value_columns(body, width)
    header, rows = _join_atom_columns(header, rows, body, value_cols)
    if len(header) < width:
        width = len(header)
        body = [cells for _, cells in rows if not _is_section(cells)]
        value_cols = _value_columns(body, width)
    caption_text = caption[1] if caption else None
    caption_temperature, compounds = _caption_facts(caption_text)
    columns = _name_columns(value_cols, header, caption_temperature, block.first)
    labels = [cells[g] for cells in body for g, _ in columns.groups if cells[g]]
    kind = _table_kind(header, value_cols, columns.groups, labels, tuple(legend))
    frame = _value_rows(rows, header, columns, kind, tuple(legend))
    names = tuple(dict.fromkeys(columns.names[j] for _, cols in columns.groups for j in cols))
    temperatures = tuple(
        next(columns.temperature_of[j] for j in columns.names if columns.names[j] == name)
        for name in names
    )
    return SITable(
        kind=kind,
        rows=frame,
        columns=names,
        temperatures=temperatures,
        caption=caption_text,
        number=caption[2] if caption else None,
        compounds=compounds,
        legend=legend,
        legend_line=legend_line,
        first_line=block.first,
        last_line=block.last,
        layout=block.layout,
        source=path,
    )


def _join_atom_columns(
    header: tuple[str, ...],
    rows: list[tuple[int, tuple[str, ...]]],
    body: list[tuple[str, ...]],
    value_cols: list[int],
) -> tuple[tuple[str, ...], list[tuple[int, tuple[str, ...]]]]:
    """One label cell from two to four columns of one atom each (Olex2's report tables:
    ``Atom | Atom | Length/Å`` with ``Fe1 | N1¹ | 1.994(4)``), joined with ``-`` as the
    atoms of a row are; the header cells joined likewise. Other tables are returned as
    they are."""

    def one_atom_each(j: int) -> bool:
        filled = [cells[j] for cells in body if cells[j].strip()]
        return bool(filled) and all(
            len(tokens := split_label(c)) == 1 and normalise_atom(tokens[0]) is not None
            for c in filled
        )

    width = len(header)
    runs = []
    j = 0
    while j < width:
        k = j
        while k < width and k not in value_cols and one_atom_each(k):
            k += 1
        if 2 <= k - j <= 4 and k in value_cols:
            runs.append((j, k))
        j = max(k, j + 1)
    if not runs:
        return header, rows

    def join(cells: tuple[str, ...]) -> tuple[str, ...]:
        out: list[str] = []
        j = 0
        for start, stop in runs:
            out += cells[j:start]
            out.append("-".join(c for c in cells[start:stop] if c.strip()))
            j = stop
        return tuple(out + list(cells[j:]))

    joined = [(line, cells if _is_section(cells) else join(cells)) for line, cells in rows]
    return join(header), joined


def _value_columns(body: list[tuple[str, ...]], width: int) -> list[int]:
    """Columns (after the label column) most of whose filled cells are numbers; a stray
    non-number in one is an error, reported when the cell is read."""
    value_cols = []
    for j in range(1, width):
        filled = [cells[j] for cells in body if cells[j].strip().lower() not in _MISSING]
        if filled and sum(_is_number(c) for c in filled) * 2 >= len(filled):
            value_cols.append(j)
    return value_cols


def _caption_facts(caption: str | None) -> tuple[float | None, tuple[str, ...]]:
    """The temperature a caption gives (``… at 100 K``) and the compounds it names
    (``for 1 and 2``)."""
    if not caption:
        return None, ()
    match = _TEMPERATURE.search(caption.split(" at ")[-1]) if " at " in caption else None
    found = _COMPOUND.search(caption)
    compounds = tuple(re.split(r"\s*(?:,|and|&)\s*", found["list"])) if found else ()
    return (float(match["t"]) if match else None), compounds


def _name_columns(
    value_cols: list[int], header: tuple[str, ...], caption_temperature: float | None, line: int
) -> _Columns:
    """Group the value columns behind their label columns and name them.

    Side-by-side groups continue one list, so a blank header names the same data set
    (``value``) in every group; the group number is kept in the rows' ``group``. A
    column's temperature is its header's, else the caption's.
    """
    groups: list[tuple[int, list[int]]] = []
    for j in range(len(header)):
        if j == 0 or j not in value_cols:
            groups.append((j, []))
        else:
            groups[-1][1].append(j)
    groups = [g for g in groups if g[1]]
    if not groups:
        raise InputError("table has no column of numbers", line=line)
    names: dict[int, str] = {}
    group_of: dict[int, int] = {}
    for k, (_, cols) in enumerate(groups, 1):
        for position, j in enumerate(cols, 1):
            names[j] = header[j] or ("value" if len(cols) == 1 else f"value {position}")
            group_of[j] = k
    temperature_of = {}
    for j, name in names.items():
        match = _TEMPERATURE.search(name)
        temperature_of[j] = float(match["t"]) if match else caption_temperature
    return _Columns(tuple((g, tuple(cols)) for g, cols in groups), names, group_of, temperature_of)


def _table_kind(
    header: tuple[str, ...],
    value_cols: list[int],
    groups: Sequence[tuple[int, Sequence[int]]],
    labels: list[str],
    keys: tuple[str, ...],
) -> str:
    """``thermo`` (two of ΔH, ΔS, T½ among the headers), ``hbond`` (D-H … H...A headers,
    or four values per D-H…A label), ``geometry`` (most labels name atoms) or ``other``."""
    thermo = [_thermo_quantity(header[j]) for j in value_cols]
    if sum(q in ("delta_h", "delta_s", "t_half") for q in thermo) >= 2:
        return "thermo"
    if re.search(r"D-H.*H\.\.\.A", _separators_to_dots(" ".join(header))) or (
        len(groups) == 1 and len(groups[0][1]) == 4 and _all_hbond_labels(labels)
    ):
        return "hbond"
    if labels and sum(parse_label(lab, keys) is not None for lab in labels) * 2 >= len(labels):
        return "geometry"
    return "other"


def _all_hbond_labels(labels: list[str]) -> bool:
    """Whether every label names three atoms with a hydrogen in the middle (``O1-H1…N2``)."""
    if not labels:
        return False
    for label in labels:
        tokens = split_label(label)
        middle = atom_readings(tokens[1], ()) if len(tokens) == 3 else None
        if not middle or element_of_label(middle[0][0]) != "H":
            return False
    return True


def _value_rows(
    rows: list[tuple[int, tuple[str, ...]]],
    header: tuple[str, ...],
    columns: _Columns,
    kind: str,
    keys: tuple[str, ...],
) -> pd.DataFrame:
    """The long-form rows (:data:`ROW_COLUMNS`): one per printed value."""
    import pandas as pd

    section = header[0] if header[0] and not any(header[1:]) else ""
    records = []
    number = 0
    for line, cells in rows:
        if _is_section(cells):
            section = clean_text(cells[0])
            continue
        number += 1
        for label_col, cols in columns.groups:
            label = cells[label_col]
            for j in cols:
                parsed = _read_cell(cells[j], columns.names[j], label, line)
                if parsed is None:
                    continue
                temperature = columns.temperature_of[j]
                base = {
                    "row": number,
                    "label": label,
                    "column": columns.names[j],
                    "group": columns.group_of[j],
                    "temperature": temperature if temperature is not None else math.nan,
                    "published": parsed[0],
                    "published_su": parsed[1] if parsed[1] is not None else math.nan,
                    "section": section,
                    "text": cells[j],
                    "line": line,
                }
                records.append(base | _describe(kind, label, header[j], cols.index(j), keys))
    frame = pd.DataFrame.from_records(records, columns=list(ROW_COLUMNS))
    frame = frame.astype(
        {"row": "int64", "group": "int64", "line": "int64", "published": "float64"}
    )
    frame["published_su"] = frame["published_su"].astype("float64")
    frame["temperature"] = frame["temperature"].astype("float64")
    return frame


def _read_cell(text: str, column: str, label: str, line: int) -> tuple[float, float | None] | None:
    """A value cell's number and su (None for an empty cell); InputError if not a number."""
    try:
        return parse_value(text)
    except ValueError:
        raise InputError(
            f"cannot read {text!r} as a number in column {column!r} of row {label!r}", line=line
        ) from None


def _describe(kind: str, label: str, header: str, position: int, keys: tuple[str, ...]) -> dict:
    """atoms/codes/candidates/kind/quantity/unit of one value cell."""
    empty = {"atoms": (), "codes": (), "candidates": (), "tokens": ()}
    if kind == "hbond":
        tokens = split_label(label)
        readings = [atom_readings(t, keys) for t in tokens]
        quantity = _hbond_quantity(header, position)
        if len(tokens) == 3 and all(readings):
            picks = {"D-H": (0, 1), "H...A": (1, 2), "D...A": (0, 2), "D-H...A": (0, 1, 2)}
            chosen = picks.get(quantity)
            if chosen:
                cand = tuple(tuple(readings[i]) for i in chosen)  # type: ignore[arg-type]
                return {
                    "atoms": tuple(c[0][0] for c in cand),
                    "codes": tuple(c[0][1] for c in cand),
                    "candidates": cand,
                    "tokens": tuple(tokens[i] for i in chosen),
                    "kind": "angle" if len(chosen) == 3 else "distance",
                    "quantity": quantity,
                    "unit": "°" if len(chosen) == 3 else "Å",
                }
        return empty | {"kind": "value", "quantity": quantity, "unit": _unit(header)}
    if kind == "thermo":
        quantity = _thermo_quantity(header) or header
        return empty | {
            "kind": "value",
            "quantity": quantity,
            "unit": _unit(header) or _THERMO_UNITS.get(quantity, ""),
        }
    if kind == "geometry":
        parsed = parse_label(label, keys)
        if parsed is not None:
            atoms, codes, candidates = parsed
            geometric = {2: "distance", 3: "angle", 4: "torsion"}[len(atoms)]
            return {
                "atoms": atoms,
                "codes": codes,
                "candidates": candidates,
                "tokens": tuple(split_label(label)),
                "kind": geometric,
                "quantity": geometric,
                "unit": "Å" if geometric == "distance" else "°",
            }
    return empty | {"kind": "value", "quantity": header, "unit": _unit(header)}
