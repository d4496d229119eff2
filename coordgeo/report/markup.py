r"""CIF text markup and space-group symbols, typeset for the report: safe HTML and plain Unicode.

CIF text markup
---------------
Free text in a CIF (names, formulas, the radiation type, comments) may carry the IUCr's
typographic codes (CIF 1.1 specification, *International Tables for Crystallography*
Vol. G, §2.2.7.4.13; IUCr "Notes for authors", Greek letters and special symbols):

* Greek letters: ``\a`` α, ``\b`` β, ``\c`` χ, ``\d`` δ, ``\e`` ε, ``\f`` φ, ``\g`` γ,
  ``\h`` η, ``\i`` ι, ``\k`` κ, ``\l`` λ, ``\m`` μ, ``\n`` ν, ``\o`` ο, ``\p`` π,
  ``\q`` θ, ``\r`` ρ, ``\s`` σ, ``\t`` τ, ``\u`` υ, ``\w`` ω, ``\x`` ξ, ``\y`` ψ,
  ``\z`` ζ; capitals for capitals (``\D`` Δ);
* accents before a letter: ``\'e`` é, ``\`e`` è, ``\^e`` ê, ``\"u`` ü, ``\~n`` ñ,
  ``\;a`` ą, ``\>o`` ő, ``\=a`` ā, ``\.z`` ż, ``\<c`` č, ``\,c`` ç, ``\(a`` ă;
* letters: ``\%a`` å (``\%A`` Å), ``\/o`` ø, ``\?i`` ı, ``\&s`` ß, ``\/l`` ł, ``\/d`` đ;
* ``\%`` alone is the degree sign, ``\\times`` ×, ``+-`` ±, ``-+`` ∓, ``--`` a dash,
  ``---`` a single bond, ``\\db``/``\\tb``/``\\ddb`` double, triple and delocalised
  bonds, ``\\sim``, ``\\simeq``, ``\\infty``, ``\\neq``, ``\\square``, ``\\langle``,
  ``\\rangle``, ``\\rightarrow``, ``\\leftarrow``;
* superscripts between carets, ``Csp^3^``, subscripts between tildes, ``U~eq~``
  (μ~2~, \k^2^N); a caret or tilde without its closing partner is text;
* ``<i>…</i>`` italics and ``<b>…</b>`` bold (the two HTML-like codes CIF text uses).

:func:`cif_html` renders the text as Markdown-safe HTML: every character of the text is
escaped first (:func:`coordgeo.report.collect.esc`'s rule: ASCII with a meaning in
Markdown or HTML becomes a character reference), and the only tags on the page are the
``<sub>``, ``<sup>``, ``<i>`` and ``<b>`` that the codes above make, always balanced: no
tag, attribute or entity from the CIF ever reaches the HTML. :func:`cif_plain` gives the
same text as plain Unicode (sub- and superscript digits where Unicode has them) for
titles, navigation, figures and CSV files.

Space groups
------------
:func:`space_group_html` and :func:`space_group_plain` typeset a Hermann–Mauguin symbol
as printed in a paper: the short symbol of a monoclinic setting with unique axis b
(``P 1 21/c 1`` → P2₁/c; other settings keep their full symbol, P112₁/b), screw axes
with their subscript (2₁, 6₃), rotoinversions with an overbar (P1̄,
R3̄c; U+0305 COMBINING OVERLINE after the digit), lattice and glide letters in italics
(HTML), and no origin-choice or axes suffix (``:H``, ``:2``). The symbol is read with
gemmi (``gemmi.find_spacegroup_by_name``: ``P21/c``, ``P 1 21/c 1``, ``P2(1)/c`` …);
one gemmi cannot read is shown as written.
"""

from __future__ import annotations

import re
import unicodedata

#: ASCII characters with a meaning in Markdown or HTML: :func:`cif_html` (and
#: :func:`coordgeo.report.collect.esc`) write them as numeric character references.
MARKUP_CHARACTERS = frozenset("&<>\"'\\`*_{}[]()|#!~^$=+-:@")

GREEK = {
    "a": "α", "b": "β", "c": "χ", "d": "δ", "e": "ε", "f": "φ", "g": "γ", "h": "η",
    "i": "ι", "k": "κ", "l": "λ", "m": "μ", "n": "ν", "o": "ο", "p": "π", "q": "θ",
    "r": "ρ", "s": "σ", "t": "τ", "u": "υ", "w": "ω", "x": "ξ", "y": "ψ", "z": "ζ",
    "A": "Α", "B": "Β", "C": "Χ", "D": "Δ", "E": "Ε", "F": "Φ", "G": "Γ", "H": "Η",
    "I": "Ι", "K": "Κ", "L": "Λ", "M": "Μ", "N": "Ν", "O": "Ο", "P": "Π", "Q": "Θ",
    "R": "Ρ", "S": "Σ", "T": "Τ", "U": "Υ", "W": "Ω", "X": "Ξ", "Y": "Ψ", "Z": "Ζ",
}  # fmt: skip
#: Accent codes → Unicode combining marks (the accented letter is NFC-composed).
ACCENTS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303",
    ";": "\u0328", ">": "\u030b", "=": "\u0304", ".": "\u0307", "<": "\u030c",
    ",": "\u0327", "(": "\u0306",
}  # fmt: skip
#: ``\%a``, ``\/o`` … → letters.
LETTERS = {
    "%a": "å", "%A": "Å", "/o": "ø", "/O": "Ø", "?i": "ı", "&s": "ß", "/l": "ł",
    "/L": "Ł", "/d": "đ", "/D": "Đ",
}  # fmt: skip
#: ``\\name`` codes.
WORDS = {
    "times": "×", "simeq": "≃", "sim": "~", "infty": "∞", "neq": "≠", "square": "□",
    "rangle": "⟩", "langle": "⟨", "rightarrow": "→", "leftarrow": "←", "ddb": "⩦",
    "db": "=", "tb": "≡",
}  # fmt: skip
_WORD = re.compile(r"\\\\(" + "|".join(sorted(WORDS, key=len, reverse=True)) + ")")
_TAG = re.compile(r"<(/?)([ib])>", re.IGNORECASE)
_SUB = str.maketrans("0123456789+-=()aeoxhklmnpst", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓₕₖₗₘₙₚₛₜ")
_SUP = str.maketrans("0123456789+-=()in", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁱⁿ")
OVERLINE = "\u0305"


def _tokens(text: str) -> list[tuple[str, str]]:
    """The text as ``("text", chars)`` and ``("open"|"close", tag)`` tokens (tags: sub,
    sup, i, b), every code resolved to its character."""
    out: list[tuple[str, str]] = []
    chars: list[str] = []

    def flush() -> None:
        if chars:
            out.append(("text", unicodedata.normalize("NFC", "".join(chars))))
            chars.clear()

    # which carets and tildes are delimiters: each one that has a partner later on
    delimiters = _delimiters(text)
    open_tags: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            word = _WORD.match(text, i)
            if word:
                chars.append(WORDS[word.group(1)])
                i = word.end()
                continue
            nxt = text[i + 1]
            pair = text[i + 1 : i + 3]
            if pair in LETTERS:
                chars.append(LETTERS[pair])
                i += 3
                continue
            if nxt in GREEK:
                chars.append(GREEK[nxt])
                i += 2
                continue
            if nxt == "%":
                chars.append("°")
                i += 2
                continue
            if nxt in ACCENTS and i + 2 < n and text[i + 2].isalpha():
                chars.append(text[i + 2] + ACCENTS[nxt])
                i += 3
                continue
            chars.append(c)
            i += 1
            continue
        tag = _TAG.match(text, i)
        if tag:
            name = tag.group(2).lower()
            closing = tag.group(1) == "/"
            if closing and name in open_tags:
                flush()
                while open_tags:  # close inner ones too: tags stay balanced
                    inner = open_tags.pop()
                    out.append(("close", inner))
                    if inner == name:
                        break
                i = tag.end()
                continue
            if not closing and _TAG_CLOSES[name].search(text, tag.end()):
                flush()
                open_tags.append(name)
                out.append(("open", name))
                i = tag.end()
                continue
            chars.append(c)
            i += 1
            continue
        if c in "^~" and i in delimiters:
            name = "sup" if c == "^" else "sub"
            flush()
            if name in open_tags:
                while open_tags:
                    inner = open_tags.pop()
                    out.append(("close", inner))
                    if inner == name:
                        break
            else:
                open_tags.append(name)
                out.append(("open", name))
            i += 1
            continue
        if text.startswith("---", i):
            chars.append("–")
            i += 3
            continue
        if text.startswith("--", i):
            chars.append("–")
            i += 2
            continue
        if text.startswith("+-", i):
            chars.append("±")
            i += 2
            continue
        if text.startswith("-+", i):
            chars.append("∓")
            i += 2
            continue
        chars.append(c)
        i += 1
    flush()
    while open_tags:
        out.append(("close", open_tags.pop()))
    return out


_TAG_CLOSES = {name: re.compile(f"</{name}>", re.IGNORECASE) for name in ("i", "b")}


def _delimiters(text: str) -> set[int]:
    """Positions of the carets and tildes that open or close a super/subscript: pairs of
    the same mark, left to right, not part of a backslash code (``\\^e``, ``\\~n``)."""
    marks: dict[str, list[int]] = {"^": [], "~": []}
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] in marks:
            marks[text[i]].append(i)
        i += 1
    out: set[int] = set()
    for positions in marks.values():
        usable = positions[: len(positions) // 2 * 2]  # a last lone mark is text
        out.update(usable)
    return out


def _escape(text: str) -> str:
    return "".join(f"&#{ord(c)};" if c in MARKUP_CHARACTERS else c for c in text)


#: Unicode bidirectional overrides and isolates: they reorder the text around them on screen.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def plain(text: object) -> str:
    """Text from a file as one line: control characters, line and paragraph separators
    become spaces, bidirectional overrides are dropped, runs of spaces are one space."""
    chars = []
    for char in str(text):
        if char in _BIDI:
            continue
        category = unicodedata.category(char)
        chars.append(" " if category in ("Cc", "Zl", "Zp", "Cs") else char)
    return " ".join("".join(chars).split())


_clean = plain


def cif_html(text: object) -> str:
    """CIF text with its markup (module docstring) as Markdown-safe HTML: the text escaped
    character by character, the codes as ``<sub> <sup> <i> <b>`` and Unicode characters.
    ``'?'`` and ``'.'`` (CIF's unknown and inapplicable) give ''."""
    raw = _clean(text)
    if raw in ("", "?", "."):
        return ""
    parts = []
    for kind, value in _tokens(raw):
        if kind == "text":
            parts.append(_escape(value))
        elif kind == "open":
            parts.append(f"<{value}>")
        else:
            parts.append(f"</{value}>")
    out = "".join(parts)
    # "1. x" at the start of a line would open a numbered list
    return re.sub(r"^([0-9]+)\.", r"\1&#46;", out)


def cif_plain(text: object) -> str:
    """CIF text with its markup as plain Unicode: Greek letters, accents and symbols as
    characters, sub- and superscripts as Unicode sub/superscript characters where every
    character has one (else as written, without the marks), italics and bold dropped."""
    raw = _clean(text)
    if raw in ("", "?", "."):
        return ""
    out: list[str] = []
    stack: list[tuple[str, int]] = []
    for kind, value in _tokens(raw):
        if kind == "text":
            out.append(value)
        elif kind == "open":
            stack.append((value, len(out)))
        else:
            name, start = stack.pop()
            if name in ("sub", "sup"):
                inner = "".join(out[start:])
                table = _SUB if name == "sub" else _SUP
                mapped = inner.translate(table)
                pairs = zip(mapped, inner, strict=True)
                if all(ch != orig or not ch.strip() for ch, orig in pairs):
                    del out[start:]
                    out.append(mapped)
    return "".join(out)


# --- space groups -------------------------------------------------------------------------

_SG_TOKEN = re.compile(r"^(-?)([1-6])([1-5]?)(?:/([a-z]|[1-6]))?$")


def space_group_symbols(name: str) -> list[str] | None:
    """The Hermann–Mauguin symbol of ``name`` as printed, one string per position
    (``['P', '21/c']``), or None when gemmi does not know the name.

    The full symbol of gemmi (``P 1 21/c 1``) is shortened for monoclinic settings (the
    two ``1`` of the unused directions dropped, as papers print P2₁/c, C2/c, P2₁/n) and
    kept otherwise; the origin-choice / axes suffix is dropped.
    """
    import gemmi

    text = " ".join(str(name).split())
    if not text or text in ("?", "."):
        return None
    try:
        sg = gemmi.find_spacegroup_by_name(text.replace("(", "").replace(")", ""))
    except (RuntimeError, ValueError):
        sg = None
    if sg is None:
        return None
    tokens = sg.hm.split()
    if 3 <= sg.number <= 15 and len(tokens) == 4 and tokens[1] == tokens[3] == "1":
        tokens = tokens[:1] + tokens[2:3]  # unique axis b, as papers print it: P2₁/c
    for t in tokens[1:]:
        if not (_SG_TOKEN.match(t) or re.fullmatch(r"[a-z]", t)):
            return None
    return tokens


def _axis(token: str, html: bool) -> str:
    m = _SG_TOKEN.match(token)
    if m is None:  # a mirror or glide letter
        return f"<i>{token}</i>" if html else token
    bar, axis, screw, below = m.groups()
    out = axis + (OVERLINE if bar else "")
    if screw:
        out += f"<sub>{screw}</sub>" if html else screw.translate(_SUB)
    if below:
        out += "/" + (f"<i>{below}</i>" if html and below.isalpha() else below)
    return out


def space_group_html(name: str) -> str:
    """``P 1 21/c 1`` → ``<i>P</i>2<sub>1</sub>/<i>c</i>`` (module docstring); a name
    gemmi does not know is escaped as written."""
    tokens = space_group_symbols(name)
    if tokens is None:
        return _escape(_clean(name))
    html = f"<i>{tokens[0]}</i>" + "".join(_axis(t, True) for t in tokens[1:])
    return html.replace("</i><i>", "")  # Pbca, not P b c a in four italics


def space_group_plain(name: str) -> str:
    """``P 1 21/c 1`` → ``P2₁/c``, ``P -1`` → ``P1̄`` (plain Unicode); a name gemmi does
    not know is returned as written."""
    tokens = space_group_symbols(name)
    if tokens is None:
        return _clean(name)
    return tokens[0] + "".join(_axis(t, False) for t in tokens[1:])


__all__ = [
    "MARKUP_CHARACTERS",
    "cif_html",
    "cif_plain",
    "space_group_html",
    "space_group_plain",
    "space_group_symbols",
]
