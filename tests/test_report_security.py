"""The report never runs what a CIF says and never fetches anything (issue 17, item 4).

The CIFs are written here: one compound per kind of injection (a ``<script>`` element, an
``<img onerror>`` breaking out of an attribute, a Markdown ``{: onclick=… }`` attribute
list, a Markdown ``javascript:`` link), each at two temperatures so that it has a series
page too. The injection sits in the data block name, the title, the common and
systematic names, the moiety formula, the radiation type and two atom labels; ``--title``
carries all four. Every script payload sets ``document.title`` to :data:`MARK`.

Checked on the built HTML (every page, every SVG figure) and in headless Chromium with
the network disabled (``--host-resolver-rules=MAP * ~NOTFOUND``), driven through the
DevTools protocol over a pipe: the injected text is shown as text, no element carries
an event handler or a ``javascript:`` URL, clicking every element runs nothing, the
search (from ``file://``) finds the pages, and no page requests anything but local
files. A control page that does inject proves that the harness sees a script run and a
request go out.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from coordgeo.cli import main
from coordgeo.report.collect import esc, html_text, slugify

from support.chromium import start as start_chromium

MARK = "PWNED"
JS = f"document.title='{MARK}'"
#: Injections with spaces (free text, names, labels, --title).
PAYLOADS = {
    "script": f"<script>{JS}</script>",
    "img": f'"><img src=x onerror="{JS}">',
    "attr": f'{{: onclick="{JS}" }}',
    "link": f"[x](javascript:{JS})",
}
#: The same without white space, for data block names (CIF allows none there).
BLOCK_PAYLOADS = {
    "script": f"<script>{JS}</script>",
    "img": f'"><img/src="x"/onerror="{JS}">',
    "attr": f'{{:onclick="{JS}"}}',
    "link": f"[x](javascript:{JS})",
}
METALS = {"script": "Fe", "img": "Co", "attr": "Mn", "link": "Ni"}  # one compound each
SEARCH_WORD = "zzhostile"  # in every common name: the search must find those pages
TITLE = " ".join(PAYLOADS.values())


def cif_string(text: str) -> str:
    """``text`` as a quoted CIF 1.1 value (a quote ends a string only before white space)."""
    for quote in ("'", '"'):
        if f"{quote} " not in text and not text.endswith(quote):
            return f"{quote}{text}{quote}"
    raise ValueError(f"cannot quote {text!r}")


def hostile_cif(kind: str, temperature: int, distances: list[float]) -> str:
    """An MN6 octahedron (10 Å cubic P1 cell, donors on the axes at ``distances``) whose
    every text item carries the injection ``kind``."""
    text, metal = PAYLOADS[kind], METALS[kind]
    labels = [f"{metal}1{text}", f"N1{text}", "N2", "N3", "N4", "N5", "N6"]
    axes = [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)]
    rows = [f"{cif_string(labels[0])} {metal} 0.5 0.5 0.5"]
    for label, d, axis in zip(labels[1:], distances, axes, strict=True):
        x, y, z = (0.5 + d / 10.0 * a for a in axis)
        rows.append(f"{cif_string(label)} N {x:.6f} {y:.6f} {z:.6f}")
    field = f";\n{text}\n;"
    return "\n".join(
        [
            f"data_{BLOCK_PAYLOADS[kind]}_{temperature}K",
            f"_publ_section_title\n{field}",
            f"_chemical_name_common\n;\n{text} {SEARCH_WORD}\n;",
            f"_chemical_name_systematic\n{field}",
            f"_chemical_formula_moiety\n{field}",
            f"_chemical_formula_sum '{metal} N6'",
            f"_diffrn_radiation_type\n{field}",
            f"_diffrn_ambient_temperature {temperature}",
            "_cell_length_a 10\n_cell_length_b 10\n_cell_length_c 10",
            "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90",
            "loop_\n_space_group_symop_operation_xyz\n'x,y,z'",
            "loop_\n_atom_site_label\n_atom_site_type_symbol",
            "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z",
            *rows,
            "",
        ]
    )


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict:
    """The hostile CIFs, a path-traversal and a 300-character block name, a copy of one
    file (duplicate block names), and the report built through the command line."""
    root = tmp_path_factory.mktemp("hostile")
    inputs = root / "in"
    inputs.mkdir()
    for kind in PAYLOADS:
        for temperature, d in ((100, [1.95, 1.96, 1.97, 1.98, 1.99, 2.00]),
                               (300, [2.15, 2.16, 2.17, 2.18, 2.19, 2.20])):  # fmt: skip
            (inputs / f"{kind}_{temperature}.cif").write_text(hostile_cif(kind, temperature, d))
    plain = hostile_cif("script", 100, [2.0] * 6)
    (inputs / "copy_of_script_100.cif").write_text(plain)
    (inputs / "traversal.cif").write_text(
        plain.replace(f"data_{BLOCK_PAYLOADS['script']}_100K", "data_../../../outside/x", 1)
    )
    (inputs / "long.cif").write_text(
        plain.replace(f"data_{BLOCK_PAYLOADS['script']}_100K", "data_" + "b" * 300, 1)
    )
    out = root / "out"
    before = {p for p in root.rglob("*")}
    try:
        main(["report", str(inputs), "--out", str(out), "--title", TITLE, "--no-pxrd"])
    except SystemExit as exc:
        assert not exc.code, f"coordgeo report exited {exc.code}"
    written = {p for p in root.rglob("*")} - before
    return {"root": root, "out": out, "site": out / "site", "written": written}


# --- the escaping functions ---------------------------------------------------------------


def test_esc_renders_back_to_the_text_as_text() -> None:
    """Python-Markdown with the report's extensions turns esc(text) into one paragraph of
    exactly that text: no element, no attribute, no link."""
    import markdown

    from coordgeo.report.site import mkdocs_config

    extensions = [e if isinstance(e, str) else next(iter(e)) for e in
                  mkdocs_config("t", [])["markdown_extensions"]]  # fmt: skip
    texts = [*PAYLOADS.values(), *BLOCK_PAYLOADS.values(), "a_b*c*", "`x`", "&lt;b&gt;",
             "1. x", "- y", "# z", "N1 | N2", "a\\b", "x\u202eevil", "line\nbreak"]  # fmt: skip
    for text in texts:
        html = markdown.markdown(esc(text), extensions=extensions)
        parsed = Elements(html)
        assert parsed.tags == ["p"], (text, html)
        assert parsed.text == " ".join(text.replace("\u202e", "").split()), (text, html)


def test_front_matter_titles_are_yaml_and_escaped() -> None:
    import yaml

    from coordgeo.report.pages import front_matter

    odd = "Fe(II) \U0001f600 \ufffe ‘quoted’ \\ end"  # an emoji, a non-character
    for title in [*PAYLOADS.values(), odd, 'a "b" --- c']:
        head = front_matter(title, wide=True)
        meta = yaml.safe_load(head.strip().strip("-"))
        assert meta["hide"] == ["toc"]
        assert "<" not in meta["title"] and '"' not in meta["title"], meta
        shown = Elements(meta["title"]).text  # what a browser shows
        assert shown == " ".join(title.replace("\ufffe", " ").split())
        shown.encode("utf-8")  # no lone surrogates


def test_html_text_and_file_names() -> None:
    assert html_text('<a href="x">&') == "&lt;a href=&quot;x&quot;&gt;&amp;"
    for text in ("../../etc/passwd", "a/b", "b" * 300, "<script>", "CON", ".hidden"):
        name = slugify(text)
        assert len(name) <= 60 and "/" not in name and ".." not in name
        assert not name.startswith(".") and name.lower() != "con"
    assert slugify("a/b") != slugify("a b")  # told apart by the hash suffix
    assert slugify("wp91ltb") == "wp91ltb"  # a plain name is kept


# --- the built site ------------------------------------------------------------------------


class Elements(HTMLParser):
    """Tags, attributes, loaded resources, scripts and text of an HTML document."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.resources: list[str] = []  # URLs the page loads (not links it offers)
        self.scripts: list[str] = []  # inline script text
        self._script: list[str] | None = None
        self.chunks: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        a = {k: v or "" for k, v in attrs}
        self.attributes += [(tag, k, v) for k, v in a.items()]
        if tag in ("script", "img", "iframe", "source", "embed", "audio", "video") and a.get("src"):
            self.resources.append(a["src"])
        if tag == "link" and a.get("href") and a.get("rel") != "canonical":
            self.resources.append(a["href"])
        if tag == "object" and a.get("data"):
            self.resources.append(a["data"])
        if tag == "script" and not a.get("src"):
            self._script = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append("".join(self._script))
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)
        self.chunks.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.chunks).split())


def unsafe(parsed: Elements) -> list[str]:
    """What an injection would leave: event handlers, script URLs, the img of the payload,
    inline script that writes the mark."""
    found = [f"<{t} {k}=…>" for t, k, _ in parsed.attributes if k.startswith("on")]
    found += [
        f"<{t} {k}={v}>"
        for t, k, v in parsed.attributes
        if k in ("href", "src", "action", "formaction", "xlink:href", "data")
        and "".join(v.split()).lower().startswith(("javascript:", "vbscript:", "data:text/html"))
    ]
    found += [f"<img src={v}>" for t, k, v in parsed.attributes if t == "img" and v == "x"]
    found += [f"<script>{s[:60]}" for s in parsed.scripts if MARK in s]
    return found


def is_remote(url: str) -> bool:
    return url.startswith("//") or urlsplit(url).scheme not in ("", "file", "data", "blob")


def test_no_page_holds_markup_from_a_cif(hostile) -> None:
    pages = sorted(hostile["site"].rglob("*.html"))
    assert len(pages) >= 14  # index, 404, 11 structures, 4 series
    for page in pages:
        parsed = Elements(page.read_text(encoding="utf-8"))
        assert unsafe(parsed) == [], page.name
        assert [u for u in parsed.resources if is_remote(u)] == [], page.name
    # the injections are on the pages as text: escaped, not dropped
    index = Elements((hostile["site"] / "index.html").read_text(encoding="utf-8")).text
    for kind, block in BLOCK_PAYLOADS.items():
        assert f"{block}_100K" in index and f"{block}_300K" in index, kind
        assert f"{PAYLOADS[kind]} {SEARCH_WORD}" in index, kind  # the compound column
    assert TITLE in index
    structures = hostile["site"] / "structures"
    for kind, text in PAYLOADS.items():
        page = structures / f"{slugify(BLOCK_PAYLOADS[kind] + '_300K')}.html"
        shown = Elements(page.read_text(encoding="utf-8")).text
        metal = METALS[kind]
        assert f"{metal}1{text}" in shown and f"N1{text}" in shown, kind  # labels
        assert f"Moiety formula {text}" in shown and f"Radiation, λ [Å] {text}" in shown, kind


def test_figures_hold_no_script(hostile) -> None:
    figures = sorted(hostile["out"].rglob("*.svg"))
    assert len(figures) >= 15
    for svg in figures:
        root = ET.parse(svg).getroot()
        for element in root.iter():
            tag = element.tag.rsplit("}", 1)[-1]
            assert tag not in ("script", "foreignObject", "iframe"), svg.name
            for key, value in element.attrib.items():
                name = key.rsplit("}", 1)[-1]
                assert not name.startswith("on"), (svg.name, key)
                if name == "href":
                    assert not is_remote(value) and not value.startswith("javascript:"), svg.name


def test_file_names_stay_inside_out_and_duplicates_are_told_apart(hostile) -> None:
    out = hostile["out"].resolve()
    for path in hostile["written"]:
        assert path.resolve().is_relative_to(out), path
        assert len(path.name) <= 80, path.name
    structures = sorted((hostile["out"] / "docs" / "structures").glob("*.md"))
    # 8 hostile blocks + the copy (same block name, another file) + traversal + long
    assert len(structures) == 11
    assert not (hostile["root"] / "outside").exists()
    # one block name in two files: one page each, the second named after its file too
    block = f"{BLOCK_PAYLOADS['script']}_100K"
    names = {p.stem for p in structures}
    assert slugify(block) in names
    assert len({slugify(f"{stem}-{block}") for stem in ("script_100", "copy_of_script_100")}
               & names) == 1  # fmt: skip


# --- headless Chromium (tests/support/chromium.py) ------------------------------------------


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    """Headless Chromium (:mod:`support.chromium`; skips without it, fails under CI)."""
    browser = start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield browser
    browser.close()


def test_the_harness_sees_a_script_run_and_a_request_go_out(chromium, tmp_path: Path) -> None:
    """Control: a page that does inject is caught (else the test below could not fail)."""
    page = tmp_path / "control.html"
    page.write_text(
        f"<html><head><title>control</title>"
        f'<link rel="stylesheet" href="http://coordgeo-test.invalid/x.css"></head>'
        f'<body><table><tr><td onclick="{JS}">cell</td></tr></table></body></html>'
    )
    state = chromium.visit(page.as_uri())
    assert state["title"] == MARK  # the click ran the handler
    assert any(is_remote(u) for u in state["requests"])  # (resolved to nothing: never sent)


def test_no_cif_script_runs_and_nothing_is_fetched_in_chromium(chromium, hostile) -> None:
    site = hostile["site"]
    pages = sorted(site.rglob("*.html"))
    for page in pages:
        state = chromium.visit(page.as_uri())
        where = page.relative_to(site)
        assert state["clicked"] > 50, where  # the page was there and was clicked through
        assert state["title"] != MARK, where  # the page's own title (the payload shown as text)
        assert state["links"] == [] and state["dialogs"] == [], where
        remote = [u for u in state["requests"] if is_remote(u)]
        assert remote == [], (where, remote)
        assert any(u.endswith("iframe-worker-shim.js") for u in state["requests"]), where
    # the search works from file:// and shows the injected names as text
    titles = chromium.search(site / "index.html", SEARCH_WORD)
    assert len(titles) >= 8, titles
    state = chromium.visit(f"{(site / 'index.html').as_uri()}?q={SEARCH_WORD}")
    assert state["title"] != MARK and not [u for u in state["requests"] if is_remote(u)]
    shown = " ".join(titles)
    assert PAYLOADS["script"] in shown or BLOCK_PAYLOADS["script"] in shown
