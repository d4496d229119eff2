"""``coordgeo report``: the generated site's tables against the API, its links, its looks.

Expected values are computed here, independently, with the API the report builds on
(``si_table``, ``site_parameters``, ``hbond_table``, ``fit_sd``) and compared with the
numbers parsed back from the built HTML, to the precision printed. Nothing the report
prints is hard-coded.
"""

from __future__ import annotations

import base64
import html
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
import pandas as pd
import pytest

import coordgeo
from coordgeo.cli import main
from coordgeo.coordination import coordination_spheres, sphere_geometry
from coordgeo.esd import parse_su
from coordgeo.hbonds import hbonds
from coordgeo.magnetism import chi_mt_sd, fit_sd
from coordgeo.polyhedra import site_parameters
from coordgeo.report import build_report, group_series
from coordgeo.report.pages import esc, md_table
from coordgeo.tables import RECOMPUTED_NOTE, hbond_table, legend_sentence, si_table

from support.qd_files import QSAL_SD, ideal_sd_chi_mt, qsal_dat, write_mpms3

ROOT = Path(__file__).resolve().parents[1]
CIFS = sorted((ROOT / "cifs").glob("*.cif"))

# Parameters shown on a structure page and the row heading they have there.
PARAMETER_HEADINGS = {
    "d_mean": "⟨d(M–L)⟩ [Å]",
    "zeta": "ζ [Å]",
    "Delta": "Δ",
    "Sigma": "Σ [°]",
    "Theta": "Θ [°]",
    "cshm_oc6": "S(OC-6)",
    "cshm_tpr6": "S(TPR-6)",
}
# Seed 000, Table S6, compound 1: the χMT curve the magnetism test fits.
SD_COMPOUND_1 = {"dH": 21.87, "dS": 87.46, "Gamma": 0.42}


# --- reading the built HTML ---------------------------------------------------------------


class Page(HTMLParser):
    """Links, ids, tables (rows of cell texts) and text of one HTML page."""

    def __init__(self, path: Path) -> None:
        super().__init__(convert_charrefs=True)
        self.path = path
        self.links: list[tuple[str, str]] = []  # (tag, url)
        self.ids: set[str] = set()
        self.tables: list[list[list[str]]] = []
        self.anchors: list[tuple[str, str]] = []  # (text, href)
        self.viewers: list[dict] = []  # the 3D views (data-viewer: base64 of JSON)
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._a: tuple[str, list[str]] | None = None
        self.text: list[str] = []
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("data-viewer"):
            self.viewers.append(json.loads(base64.b64decode(a["data-viewer"]).decode("utf-8")))
        if a.get("id"):
            self.ids.add(a["id"])
        if a.get("name") and tag == "a":
            self.ids.add(a["name"])
        for key in ("href", "src"):
            if a.get(key) and tag in ("a", "link", "img", "script", "source", "iframe"):
                self.links.append((tag, a[key]))
        if tag == "a" and a.get("href"):
            self._a = (a["href"], [])
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self._row = []
            self.tables[-1].append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "a" and self._a is not None:
            self.anchors.append((" ".join("".join(self._a[1]).split()), self._a[0]))
            self._a = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._a is not None:
            self._a[1].append(data)
        self.text.append(data)

    @property
    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())

    def rows(self) -> list[list[str]]:
        return [row for table in self.tables for row in table]

    def table_starting(self, first_header: str) -> list[list[str]]:
        found = [t for t in self.tables if t and t[0] and t[0][0] == first_header]
        assert found, f"no table headed {first_header!r} in {self.path.name}"
        return found[0]

    def href(self, text: str) -> str:
        hits = [h for t, h in self.anchors if t == text]
        assert hits, f"no link {text!r} in {self.path.name}"
        return hits[0]


def page_of(site: Path, index: Page, link_text: str) -> Page:
    return Page((site / urlsplit(index.href(link_text)).path).resolve())


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def check_links(site: Path) -> int:
    """Every internal href/src of every page resolves to a file, and every #fragment to an
    id of its target page. Returns the number of links checked."""
    cache: dict[Path, Page] = {}

    def parsed(path: Path) -> Page:
        if path not in cache:
            cache[path] = Page(path)
        return cache[path]

    checked = 0
    problems = []
    for path in html_pages(site):
        page = parsed(path)
        for tag, url in page.links:
            parts = urlsplit(url)
            if parts.scheme or url.startswith("//"):
                continue  # external (none on our pages, but Material may link its own site)
            if not parts.path:
                target = path
            elif parts.path.startswith("/"):  # 404.html: served from the site's root
                target = (site / unquote(parts.path).lstrip("/")).resolve()
            else:
                target = (path.parent / unquote(parts.path)).resolve()
            checked += 1
            if not target.is_file():
                problems.append(f"{path.relative_to(site)}: <{tag}> {url} → missing {target}")
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html" and fragment not in parsed(target).ids:
                problems.append(f"{path.relative_to(site)}: {url} → no id {parts.fragment!r}")
    assert not problems, "\n".join(problems[:20])
    return checked


def number(cell: str) -> tuple[float, float | None]:
    value, su = parse_su(cell)
    assert value is not None, cell
    return value, su


def decimals(cell: str) -> int:
    text = cell.split("(")[0]
    return len(text.split(".")[1]) if "." in text else 0


def assert_printed(cell: str, value: float, su: float | None) -> None:
    """``cell`` is ``value`` (± half a unit of its last digit) with ``su`` to its precision."""
    shown, shown_su = number(cell)
    unit = 10.0 ** -decimals(cell)
    assert abs(shown - value) <= 0.5 * unit + 1e-9, (cell, value)
    if su is not None and np.isfinite(su) and su > 0:
        assert shown_su is not None, (cell, su)
        assert abs(shown_su - su) <= 0.5 * unit + 1e-9, (cell, su)


# --- fixtures -----------------------------------------------------------------------------


def run_cli(*args: str) -> int:
    try:
        main(list(args))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


@pytest.fixture(scope="module")
def chimt_file(tmp_path_factory) -> Path:
    """χMT(T) of compound 1 from its published SD parameters, with 1 % noise."""
    t = np.arange(100.0, 361.0, 4.0)
    chi = chi_mt_sd(t, SD_COMPOUND_1["dH"], SD_COMPOUND_1["dS"], SD_COMPOUND_1["Gamma"], 0.1, 3.4)
    chi *= 1.0 + 0.01 * np.random.default_rng(7).standard_normal(t.size)
    path = tmp_path_factory.mktemp("chimt") / "compound1_chimt.csv"
    path.write_text(
        "T (K), chiMT (cm3 K/mol)\n"
        + "".join(f"{a}, {b:.5f}\n" for a, b in zip(t, chi, strict=True))
    )
    return path


@pytest.fixture(scope="module")
def cifs_site(tmp_path_factory, chimt_file: Path) -> Path:
    """The report of cifs/ built through the command line, as a user runs it."""
    out = tmp_path_factory.mktemp("cifs-report") / "out"
    magnetism = f"seed000_compound1_100K_core={chimt_file}"
    code = run_cli("report", str(ROOT / "cifs"), "--out", str(out), "--magnetism", magnetism)
    assert code == 0
    return out / "site"


@pytest.fixture(scope="module")
def qsal_site(tmp_path_factory, qsal_cif: Path) -> Path:
    """The qsal series (three blocks of one file) with χMT from an MPMS3 .dat file."""
    root = tmp_path_factory.mktemp("qsal-report")
    report = build_report([qsal_cif], root / "out", magnetism=[qsal_dat(root, qsal_cif)])
    assert report.errors == () and report.index_html is not None
    return report.html_dir


# --- the cifs/ report ---------------------------------------------------------------------


def test_cifs_structure_pages_match_api(cifs_site: Path) -> None:
    index = Page(cifs_site / "index.html")
    assert len(CIFS) == 4
    for path in CIFS:
        for s in coordgeo.read(path):
            page = page_of(cifs_site, index, s.block)
            rows = page.rows()
            spheres = coordination_spheres(s)
            expected, legend = si_table(s, sphere_geometry(s, spheres))
            for r in expected.itertuples():  # every bond and angle, label and 1.994(4) text
                assert [r.label, r.formatted] in rows, (s.block, r.label, r.formatted)
            for r in legend.itertuples():
                assert f"{r.letter} {r.operator}" in page.all_text
            params = site_parameters(s, spheres)
            table = page.table_starting("Parameter")
            by_heading = {row[0]: row[1:] for row in table[1:]}
            for k, site in enumerate(params.itertuples()):
                assert table[0][k + 1] == site.metal
                for column, heading in PARAMETER_HEADINGS.items():
                    assert_printed(
                        by_heading[heading][k],
                        getattr(site, column),
                        getattr(site, f"{column}_su"),
                    )
            assert legend_sentence(legend) in page.all_text  # the one legend sentence
            # the cores are models (cifs/README.md): no crystal-data table with their 30 Å
            # model cell, no simulated powder pattern, a warning instead
            assert "Model, not a measured crystal structure" in page.all_text
            assert "NOT THE PUBLISHED STRUCTURE" in page.all_text  # the CIF's own comment
            assert not any(row and row[0] == "a [Å]" for row in page.rows())
            assert "Simulated powder pattern" not in page.all_text
            assert not any(u.endswith(("crystal_data.csv", "pxrd.svg")) for _, u in page.links)
            # one sphere picture per site (the static fallback of its 3D view), all SVG
            svgs = [u for tag, u in page.links if tag == "img" and u.endswith(".svg")]
            assert len(svgs) == len(spheres)
            assert f"at {s.temperature:g} K" in page.all_text
            # the 3D view of each sphere holds its atoms: metal–donor distances are the
            # bonds of the table (the view is turned, not distorted)
            views = page.viewers
            assert len(views) == len(spheres)
            bonds = expected[expected["kind"] == "bond"]
            for view, sphere in zip(views, spheres, strict=True):
                xyz = np.array([[a["x"], a["y"], a["z"]] for a in view["atoms"]])
                d = np.linalg.norm(xyz[1:] - xyz[0], axis=1)
                assert sorted(d) == pytest.approx(sorted(bonds["value"]), abs=2e-4)
                assert view["atoms"][0]["l"] == s.labels[sphere.metal]


def test_cifs_downloads_hold_the_tables(cifs_site: Path) -> None:
    index = Page(cifs_site / "index.html")
    s = coordgeo.read(CIFS[0])[0]
    page = page_of(cifs_site, index, s.block)
    csv = next(u for tag, u in page.links if tag == "a" and u.endswith("bonds_angles.csv"))
    table = pd.read_csv((page.path.parent / csv).resolve(), dtype={"formatted": str})
    expected, _ = si_table(s, sphere_geometry(s, coordination_spheres(s)))
    assert list(table["label"]) == list(expected["label"])
    np.testing.assert_allclose(table["value"], expected["value"], atol=1e-9)
    assert list(table["formatted"]) == list(expected["formatted"])
    downloads = [u for tag, u in page.links if tag == "a" and u.endswith((".csv", ".png"))]
    assert len(downloads) >= 8


def test_cifs_links_and_images_resolve(cifs_site: Path) -> None:
    assert check_links(cifs_site) > 100


def test_cifs_series_pages(cifs_site: Path, chimt_file: Path) -> None:
    index = Page(cifs_site / "index.html")
    series_table = index.table_starting("Series")
    assert len(series_table) == 3  # header + compound 1 + compound 2 (formula/cell grouping)
    structures = {s.block: s for p in CIFS for s in coordgeo.read(p)}
    for compound in ("compound1", "compound2"):
        members = sorted(
            (s for b, s in structures.items() if compound in b), key=lambda s: s.temperature
        )
        row = next(r for r in series_table[1:] if all(m.block in r[1] for m in members))
        name = row[0]
        page = page_of(cifs_site, index, name)
        table = next(t for t in page.tables if t[0][0] == "Bond [Å]")
        headers = table[0][1:]
        assert headers == [f"{m.temperature:g} K" for m in members]  # ordered by T
        cells = {r[0]: r[1:] for r in table[1:]}
        for k, s in enumerate(members):
            expected, _ = si_table(s, sphere_geometry(s, coordination_spheres(s)))
            for r in expected[expected["kind"] == "bond"].itertuples():
                assert cells[r.label][k] == r.formatted, (s.block, r.label)
        params = next(t for t in page.tables if t[0][0] == "Parameter")
        sigma = next(r for r in params if r[0] == "Σ [°]")
        for k, s in enumerate(members):
            p = site_parameters(s)
            assert_printed(sigma[k + 1], p["Sigma"].iloc[0], p["Sigma_su"].iloc[0])
        svgs = [u for tag, u in page.links if tag == "img" and u.endswith(".svg")]
        assert len(svgs) == 1  # the comparison figure
        # models: no crystal data compared, said so
        assert "Models, not measured crystal structures" in page.all_text
        assert not any(row and row[0] == "a [Å]" for row in page.rows())
        if compound == "compound1":  # the χMT data were attached to compound 1
            fit = fit_sd(chimt_file)
            sd = {r[0]: r[1] for r in page.rows() if len(r) == 3}
            assert_printed(sd["ΔH"], fit.dH_kJ_mol, fit.dH_su)
            assert_printed(sd["T½ = ΔH/ΔS"], fit.T_half_K, fit.T_half_su)
            assert abs(fit.T_half_K - 1e3 * SD_COMPOUND_1["dH"] / SD_COMPOUND_1["dS"]) < 3.0
            magnetism = Page(
                (
                    page.path.parent
                    / urlsplit(
                        page.href(next(t for t, _ in page.anchors if t.startswith("magnetism of")))
                    ).path
                ).resolve()
            )
            figures = [u for tag, u in magnetism.links if tag == "img" and u.endswith(".svg")]
            assert len(figures) == 1  # χMT(T) with the fit, residuals and d(χMT)/dT
            sd = {r[0]: r[1] for r in magnetism.rows() if len(r) == 3}
            assert_printed(sd["ΔH"], fit.dH_kJ_mol, fit.dH_su)
            gamma = magnetism.table_starting("Structure")
            assert [r[0] for r in gamma[1:]] == [m.block for m in members]


# --- the qsal series (three blocks of one file) ---------------------------------------------


def test_qsal_series_page(qsal_site: Path, qsal_cif: Path) -> None:
    structures = sorted(coordgeo.read(qsal_cif), key=lambda s: s.temperature)
    assert [s.temperature for s in structures] == [163.0, 230.0, 293.0]
    index = Page(qsal_site / "index.html")
    series_table = index.table_starting("Series")
    assert len(series_table) == 2
    page = page_of(qsal_site, index, series_table[1][0])
    table = next(t for t in page.tables if t[0][0] == "Bond [Å]")
    assert table[0][1:] == ["163 K", "230 K", "293 K"]
    cells = {r[0]: r[1:] for r in table[1:]}
    for k, s in enumerate(structures):
        expected, _ = si_table(s, sphere_geometry(s, coordination_spheres(s)))
        for r in expected.itertuples():
            key = r.label if r.label in cells else "-".join(reversed(r.label.split("-")))
            assert cells[key][k] == r.formatted, (s.block, r.label)
    crystal = page.tables[0]
    volume = next(r for r in crystal if r[0] == "V [Å³]")
    assert volume[1:] == [s.info["cell_volume"] for s in structures]


def test_qsal_structure_pages_hbonds(qsal_site: Path, qsal_cif: Path) -> None:
    index = Page(qsal_site / "index.html")
    for s in coordgeo.read(qsal_cif):
        page = page_of(qsal_site, index, s.block)
        rows, legend = hbond_table(s, hbonds(s))
        assert len(rows) >= 1
        table = page.table_starting("D–H···A")
        for r in rows.itertuples():
            assert [r.label, r.d_dh, r.d_ha, r.d_da, r.angle_dha] in table[1:]
        for r in legend.itertuples():
            assert f"{r.letter} {r.operator}" in page.all_text
    assert check_links(qsal_site) > 50


# --- command line behaviour ---------------------------------------------------------------


def test_unreadable_input_is_listed_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "in" / "broken.cif"
    bad.parent.mkdir()
    bad.write_text("data_x\n_cell_length_a 'not a number'\nloop_\n_atom_site_label\n")
    shutil.copy(CIFS[0], tmp_path / "in")
    out = tmp_path / "out"
    code = run_cli("report", str(tmp_path / "in"), "--out", str(out), "--no-build", "--no-pxrd")
    assert code == 2
    index = (out / "docs" / "index.md").read_text()
    assert "Inputs that could not be read" in index and "broken.cif" in index
    assert (out / "docs" / "structures").is_dir() and (out / "mkdocs.yml").is_file()


def test_out_folder_of_something_else_is_refused(tmp_path: Path, capsys) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    assert run_cli("report", str(CIFS[0]), "--out", str(tmp_path), "--no-build") == 2
    assert "not empty" in capsys.readouterr().err
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_magnetism_needs_a_name_with_two_compounds(tmp_path: Path, chimt_file, capsys) -> None:
    args = ["report", str(ROOT / "cifs"), "--out", str(tmp_path / "o"), "--no-build"]
    assert run_cli(*args, "--no-pxrd", "--magnetism", str(chimt_file)) == 2
    assert "NAME=FILE" in capsys.readouterr().err


# --- pure parts ---------------------------------------------------------------------------


def test_grouping_by_formula_and_cell(qsal_cif: Path) -> None:
    cifs = [s for p in CIFS for s in coordgeo.read(p)]
    qsal = coordgeo.read(qsal_cif)
    groups = group_series(cifs + qsal)
    blocks = [{(cifs + qsal)[i].block for i in g.members} for g in groups]
    assert {s.block for s in qsal} in blocks
    assert {"seed000_compound1_100K_core", "seed000_compound1_290K_core"} in blocks
    assert {"seed000_compound2_100K_core", "seed000_compound2_300K_core"} in blocks
    # named together, structures form one series whatever they are
    forced = group_series(cifs, [["seed000_compound1_100K_core", CIFS[2].name]])
    assert {cifs[i].block for i in forced[0].members} == {cifs[0].block, cifs[2].block}


def test_markdown_cells_keep_cif_text_literal() -> None:
    import markdown

    text = md_table(["a", "b"], [[esc("C1*|x_2"), "1.994(4)"]], "lr")
    assert text.splitlines()[1] == "|:--|--:|"
    html = markdown.markdown(text, extensions=["tables", "attr_list", "md_in_html"])
    page = _HTML(html)
    # one row of two cells: the | of the label did not split the cell, * and _ stayed text
    assert page.rows() == [["a", "b"], ["C1*|x_2", "1.994(4)"]]


class _HTML(Page):
    """:class:`Page` of an HTML string."""

    def __init__(self, text: str) -> None:
        HTMLParser.__init__(self, convert_charrefs=True)
        self.path = Path("<string>")
        self.links, self.ids, self.tables, self.anchors, self.text = [], set(), [], [], []
        self.viewers = []
        self._cell = self._row = self._a = None
        self.feed(text)


def test_cli_reference_lists_every_command() -> None:
    cli_reference = _docs_hooks().cli_reference
    import typer.main

    from coordgeo.cli import app

    group = typer.main.get_command(app)
    names = group.list_commands(group.context_class(group, info_name="coordgeo"))
    text = cli_reference()
    assert "report" in names
    for name in names:
        assert f"## `coordgeo {name}`" in text
    assert "--magnetism" in text


# --- headless Chromium --------------------------------------------------------------------


def find_chromium() -> tuple[str | None, str]:
    """Debian's Chromium (``.ci/run`` installs it); else (None, why). Tests install nothing."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found, ""
    why = "Chromium is not installed (apt-get install chromium; .ci/run installs it)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(why)
    return None, why


def screenshot(chromium: str, page: Path, out: Path, profile: Path) -> np.ndarray:
    args = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        f"--user-data-dir={profile}",
        "--hide-scrollbars",
        f"--screenshot={out}",
        "--window-size=1280,900",
        page.resolve().as_uri(),
    ]
    subprocess.run(args, capture_output=True, timeout=180, check=False)
    assert out.is_file(), f"Chromium wrote no screenshot of {page}"
    from PIL import Image

    with Image.open(out) as image:
        return np.asarray(image.convert("RGB"), dtype=float)


def test_site_renders_in_headless_chromium(qsal_site: Path, tmp_path: Path) -> None:
    chromium, why = find_chromium()
    if chromium is None:
        pytest.skip(why)
    index = Page(qsal_site / "index.html")
    structure = (qsal_site / urlsplit(index.href("wp91ltb")).path).resolve()
    shots = []
    for name, page in (("index", qsal_site / "index.html"), ("structure", structure)):
        pixels = screenshot(chromium, page, tmp_path / f"{name}.png", tmp_path / "profile")
        assert pixels.shape[:2] == (900, 1280)
        not_white = (pixels < 235).any(axis=2).mean()
        # a rendered page: the header bar, text and table rules; a blank or error page is
        # nearly all white or all one colour
        assert not_white > 0.05, (name, not_white)
        assert pixels.std() > 20, (name, pixels.std())
        shots.append(pixels)
    assert np.abs(shots[0] - shots[1]).mean() > 1.0  # two different pages


# --- the project's own documentation --------------------------------------------------------


def test_project_docs_build_strict(tmp_path: Path) -> None:
    if importlib.util.find_spec("mkdocstrings") is None:
        message = "mkdocstrings[python] is not installed (needed for docs/api.md)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    site = tmp_path / "docs-site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "WARNING" not in done.stderr, done.stderr[-3000:]
    cli = Page(site / "cli.html").all_text
    assert "coordgeo report" in cli and "--magnetism" in cli
    assert "site_parameters" in Page(site / "api.html").all_text


def _docs_hooks():
    """tools/mkdocs_hooks.py, the project docs' build hook (not part of the package)."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "tools" / "mkdocs_hooks.py"
    spec = importlib.util.spec_from_file_location("coordgeo_docs_hooks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- labels and block names that are not identifiers --------------------------------------


def octahedron_cif(
    block: str, labels: list[str], distances: list[float], temperature: float
) -> str:
    """FeN6 in a 10 Å cubic P1 cell: donor k on the ±x, ±y, ±z axis through Fe at
    distances[k] (so every M–L bond is exactly that distance and every cis angle 90°)."""
    axes = [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)]
    rows = ["'Fe 1' Fe 0.5 0.5 0.5"]
    for label, d, axis in zip(labels, distances, axes, strict=True):
        x, y, z = (0.5 + d / 10.0 * a for a in axis)
        rows.append(f"'{label}' N {x:.6f} {y:.6f} {z:.6f}")
    return (
        f"data_{block}\n_chemical_formula_sum 'Fe N6'\n_diffrn_ambient_temperature {temperature}\n"
        "_cell_length_a 10\n_cell_length_b 10\n_cell_length_c 10\n"
        "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
        "loop_\n_space_group_symop_operation_xyz\n'x,y,z'\n"
        "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n"
        "_atom_site_fract_y\n_atom_site_fract_z\n" + "\n".join(rows) + "\n"
    )


def test_labels_with_spaces_at_signs_and_dollars_make_a_series(tmp_path: Path) -> None:
    """Atom labels with a space, ``@`` or ``$`` (mathtext for matplotlib) are labels like
    any other: the series is paired by label and its table holds the distances the
    coordinates were made with."""
    # N$\\q$ and N5$_$ are mathtext that matplotlib cannot parse (ValueError)
    labels = ["N@1", "N 2", "N3 @x", "N$\\q$", "N5$_$", "N6"]
    low = [1.95, 1.96, 1.97, 1.98, 1.99, 2.00]
    high = [2.15, 2.16, 2.17, 2.18, 2.19, 2.20]
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "low.cif").write_text(octahedron_cif("fe_100K", labels, low, 100))
    (inputs / "high.cif").write_text(octahedron_cif("fe_300K", labels, high, 300))
    report = build_report([inputs], tmp_path / "out", pxrd=False)
    assert report.errors == () and len(report.series) == 1
    series = report.series[0]
    long = pd.read_csv(report.docs_dir / "series" / series.slug / "bonds_angles.csv")
    bonds = long[long["kind"] == "bond"]
    for temperature, expected in ((100, low), (300, high)):
        rows = bonds[bonds["temperature_K"] == temperature]
        by_label = {
            next(lab for lab in labels if lab in text): value
            for text, value in zip(rows["label"], rows["value"], strict=True)
        }
        assert by_label == pytest.approx(dict(zip(labels, expected, strict=True)), abs=1e-6)
    # paired by label: one row per bond on the page, with its value at both temperatures
    page = Page(report.html_dir / "series" / f"{series.slug}.html")
    table = page.table_starting("Bond [Å]")
    assert table[0] == ["Bond [Å]", "100 K", "300 K"]
    for label, d_low, d_high in zip(labels, low, high, strict=True):
        row = next(r for r in table[1:] if label in r[0])
        assert [float(row[1]), float(row[2])] == pytest.approx([d_low, d_high], abs=5e-5)
    assert check_links(report.html_dir) > 0


# --- CIF markup and space groups (issue 19 item 5) -----------------------------------------


class _Rendered(HTMLParser):
    """HTML → its tags (as ``<tag>``) and its text (entities resolved, ``& < >`` escaped)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.tags: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)
        if tag != "p":
            self.parts.append(f"<{tag}>")

    def handle_endtag(self, tag) -> None:
        if tag != "p":
            self.parts.append(f"</{tag}>")

    def handle_data(self, data) -> None:
        import html

        self.parts.append(html.escape(data, quote=False))

    @property
    def text(self) -> str:
        return "".join(self.parts).strip()


def rendered(markdown_text: str) -> _Rendered:
    """What Python-Markdown (with the report's extensions) makes of a page's text."""
    import markdown

    return _Rendered(markdown.markdown(markdown_text, extensions=["tables", "md_in_html"]))


# CIF text → what a reader sees, by the IUCr codes (CIF 1.1, ITC Vol. G §2.2.7.4.13; IUCr
# Notes for authors): Greek \a…\z, ~sub~, ^sup^, <i>/<b>, \%A Å, \% °, accents \"o ö,
# \'e é, \\times ×, +- ±; a lone ^ or ~ stays text.
MARKUP = [
    ("bis(\\m~2~-oxo)", "bis(μ<sub>2</sub>-oxo)"),
    ("\\k^2^N,N'", "κ<sup>2</sup>N,N'"),
    ("<i>O</i>-bound", "<i>O</i>-bound"),
    ("<b>1</b>", "<b>1</b>"),
    ("Mo K\\a", "Mo Kα"),
    ("U~eq~ of Csp^3^", "U<sub>eq</sub> of Csp<sup>3</sup>"),
    ("1.5\\%A, 90\\%", "1.5Å, 90°"),
    ("Bj\\\"orn, \\'etude", "Björn, étude"),
    ("2\\\\times3 +-1", "2×3 ±1"),
    ("\\D\\q = 5", "Δθ = 5"),
    ("a ^ b", "a ^ b"),
    ("<script>x</script>~2~ <i>y", "&lt;script&gt;x&lt;/script&gt;<sub>2</sub> &lt;i&gt;y"),
]


@pytest.mark.parametrize(("cif", "shown"), MARKUP)
def test_cif_markup_is_rendered_as_safe_html(cif: str, shown: str) -> None:
    from coordgeo.report.markup import cif_html

    page = rendered(cif_html(cif))
    assert page.text == shown
    assert set(page.tags) <= {"p", "sub", "sup", "i", "b"}


def test_cif_markup_never_passes_markup_through() -> None:
    """No tag but sub/sup/i/b, always balanced, whatever the text (the hostile payloads of
    the security tests wrapped in and around every code)."""
    from coordgeo.report.markup import cif_html, cif_plain

    payloads = [
        "<script>alert(1)</script>",
        '"><img src=x onerror="alert(1)">',
        "[x](javascript:alert(1))",
        "{: onclick=alert(1) }",
        "&lt;b&gt;",
        "</i></b>",
    ]
    wrappers = ["{}", "~{}~", "^{}^", "<i>{}</i>", "<b>{}", "\\m{}", "{}<i>", "~^{}~^"]
    for payload in payloads:
        for wrapper in wrappers:
            text = wrapper.format(payload)
            page = rendered(cif_html(text))
            assert set(page.tags) <= {"p", "sub", "sup", "i", "b"}, text
            opened = [t for t in page.parts if t.startswith("<") and not t.startswith("</")]
            assert len(opened) == sum(1 for t in page.parts if t.startswith("</")), text
            assert "alert(1)" in page.text or "alert(1)" not in text
            assert "alert(1)" in cif_plain(text) or "alert(1)" not in text


# Short Hermann–Mauguin symbols as printed (International Tables A; P1̄ with U+0305).
SPACE_GROUPS = [
    ("P 1 21/c 1", "P2₁/c", "<i>P</i>2<sub>1</sub>/<i>c</i>"),
    ("P 21/n", "P2₁/n", "<i>P</i>2<sub>1</sub>/<i>n</i>"),
    ("P -1", "P1\u0305", "<i>P</i>1\u0305"),
    ("P-1", "P1\u0305", "<i>P</i>1\u0305"),
    ("C 1 2/c 1", "C2/c", "<i>C</i>2/<i>c</i>"),
    ("P 21 21 21", "P2₁2₁2₁", "<i>P</i>2<sub>1</sub>2<sub>1</sub>2<sub>1</sub>"),
    ("P b c a", "Pbca", "<i>Pbca</i>"),
    ("R -3 c :H", "R3\u0305c", "<i>R</i>3\u0305<i>c</i>"),
    ("I 41/a :1", "I4₁/a", "<i>I</i>4<sub>1</sub>/<i>a</i>"),
    ("P 42 21 2", "P4₂2₁2", "<i>P</i>4<sub>2</sub>2<sub>1</sub>2"),
    ("P 63/m m c", "P6₃/mmc", "<i>P</i>6<sub>3</sub>/<i>mmc</i>"),
    ("P 1 1 21/b", "P112₁/b", "<i>P</i>112<sub>1</sub>/<i>b</i>"),
    ("Pmn2(1)", "Pmn2₁", "<i>Pmn</i>2<sub>1</sub>"),
    ("not a group", "not a group", "not a group"),
]


@pytest.mark.parametrize(("name", "plain", "html"), SPACE_GROUPS)
def test_space_groups_are_typeset(name: str, plain: str, html: str) -> None:
    from coordgeo.report.markup import space_group_html, space_group_plain

    assert space_group_plain(name) == plain
    assert rendered(space_group_html(name)).text == html


def test_qsal_space_group_and_radiation_typeset(qsal_site: Path) -> None:
    index = Page(qsal_site / "index.html")
    table = index.table_starting("Data block / file")
    column = table[0].index("Space group")
    assert [r[column] for r in table[1:]] == ["P1\u0305"] * 3  # _space_group P -1
    page = page_of(qsal_site, index, "wp91ltb")
    crystal = {r[0]: r[1] for r in page.tables[0] if len(r) == 2}
    assert crystal["Space group"] == "P1\u0305"
    assert crystal["Radiation, λ [Å]"] == "CuKα, 1.54178"  # 'CuK\a' in the CIF
    assert "P -1" not in page.all_text and "CuK\\a" not in page.all_text


# --- models, markup on the pages, the CIF's own Table S1 values ------------------------------


def test_models_markup_and_published_values_on_the_pages(tmp_path: Path) -> None:
    """A block flagged ``_coordgeo_model`` gets a model warning instead of crystal data and
    no powder pattern; ``_coordgeo_model no`` is measured. The measured block's name and
    radiation carry CIF markup, rendered; its _geom_bond loop gives five of the six Fe–N
    bonds, printed as the CIF prints them, the sixth recomputed and marked."""
    labels = ["N1", "N2", "N3", "N4", "N5", "N6"]
    d = [1.95, 1.96, 1.97, 1.98, 1.99, 2.00]
    inputs = tmp_path / "in"
    inputs.mkdir()
    model = octahedron_cif("fe_model", labels, d, 100).replace("'Fe 1'", "Fe1")
    model = model.replace("_chemical_formula_sum", "_coordgeo_model yes\n_chemical_formula_sum")
    (inputs / "model.cif").write_text(model)
    measured = octahedron_cif("fe_measured", labels, d, 300).replace("'Fe 1'", "Fe1")
    measured = measured.replace(
        "_chemical_formula_sum",
        "_coordgeo_model no\n_chemical_name_common 'bis(\\m~2~-oxo) \\k^2^N <i>O</i>-bound'\n"
        "_diffrn_radiation_type 'Mo K\\a'\n_chemical_formula_sum",
    )
    measured += (
        "loop_\n_geom_bond_atom_site_label_1\n_geom_bond_atom_site_label_2\n"
        "_geom_bond_distance\n_geom_bond_site_symmetry_2\n"
        + "".join(f"Fe1 {lab} {x:.3f}(2) .\n" for lab, x in zip(labels[:5], d[:5], strict=True))
    )
    (inputs / "measured.cif").write_text(measured)
    report = build_report([inputs], tmp_path / "out")
    index = Page(report.html_dir / "index.html")
    model_page = page_of(report.html_dir, index, "fe_model")
    assert "Model, not a measured crystal structure" in model_page.all_text
    assert not any(r and r[0] in ("a [Å]", "Space group") for r in model_page.rows())
    assert "Simulated powder pattern" not in model_page.all_text
    measured_page = page_of(report.html_dir, index, "fe_measured")
    assert "Model, not" not in measured_page.all_text
    crystal = {r[0]: r[1] for r in measured_page.tables[0] if len(r) == 2}
    assert crystal["a [Å]"] == "10.0000" and crystal["Radiation, λ [Å]"] == "Mo Kα"
    assert "Simulated powder pattern" in measured_page.all_text
    html = measured_page.path.read_text(encoding="utf-8")
    shown = _Rendered(html).text  # the heading and captions: markup rendered, text escaped
    assert shown.count("bis(μ<sub>2</sub>-oxo) κ<sup>2</sup>N <i>O</i>-bound") >= 3
    assert "~2~" not in measured_page.all_text and "\\m" not in measured_page.all_text
    # Table S1: the CIF's own text for the five bonds of its loop, the sixth recomputed
    # from the coordinates (2.00 Å by construction) and marked, with the note
    bonds = {r[0]: r[1] for r in measured_page.table_starting("Bond")[1:]}
    for lab, x in zip(labels[:5], d[:5], strict=True):
        assert bonds[f"Fe1-{lab}"] == f"{x:.3f}(2)"
    assert bonds["Fe1-N6"] == "2.0000*"
    assert RECOMPUTED_NOTE in measured_page.all_text
    # the index: the model has no space group or R1, it says model
    table = index.table_starting("Data block / file")
    row = next(r for r in table[1:] if r[0].startswith("fe_model"))
    assert row[table[0].index("Space group")] == "model"
    # one compound (same formula and complex): a series page with a model column
    series = Page(report.html_dir / "series" / f"{report.series[0].slug}.html")
    crystal = series.tables[0]
    assert ["Structure", "model", "measured"] in crystal
    assert next(r for r in crystal if r[0] == "a [Å]")[1:] == ["", "10.0000"]


# --- contacts on the structure and series pages (issue 15 item 5) ---------------------------


def test_qsal_contacts_on_structure_pages(qsal_site: Path, qsal_cif: Path) -> None:
    """Each π–π row of the page: Cg···Cg of the API's contact, recomputed here from the ring
    atoms' coordinates (centroids by hand, the partner ring through its symmetry code)."""
    import gemmi

    from coordgeo.contacts import contacts
    from coordgeo.rings import rings

    index = Page(qsal_site / "index.html")
    checked = 0
    for s in coordgeo.read(qsal_cif):
        page = page_of(qsal_site, index, s.block)
        found = contacts(s)
        table = page.table_starting("Cg(I)···Cg(J)")
        ring_atoms = dict(zip(rings(s)["cg"], rings(s)["atoms"], strict=True))
        index_of = {lab: i for i, lab in enumerate(s.labels)}
        cell = gemmi.UnitCell(*s.cell.parameters)
        for r in found[found["kind"] == "pi-pi"].itertuples():
            row = next(x for x in table[1:] if x[0].startswith(f"{r.partner1}···{r.partner2}"))
            centroids = []
            for cg in (r.partner1, r.partner2):
                atoms = [index_of[a] for a in ring_atoms[cg].split()]
                centroids.append(np.mean(s.fract[atoms], axis=0))
            n, klm = r.symmetry_code.split("_")
            op = s.symops[int(n) - 1]
            image = (
                op.rotation @ centroids[1] + op.translation + np.array([int(c) - 5 for c in klm])
            )
            d = cell.orthogonalize(gemmi.Fractional(*(image - centroids[0]))).length()
            assert_printed(row[1], d, None)
            assert abs(number(row[1])[0] - r.distance) < 0.0006
            checked += 1
        ch = table_of = page.table_starting("X–H···Cg")
        for r in found[found["kind"] == "ch-pi"].itertuples():
            row = next(x for x in ch[1:] if x[0].startswith(f"{r.partner1}–{r.hydrogen}···"))
            assert_printed(row[3], r.d_da, r.d_da_su)
        assert table_of and "Criteria" in page.all_text
    assert checked >= 6  # three π–π pairs in each of the three structures


def test_qsal_contact_changes_on_the_series_page(qsal_site: Path, qsal_cif: Path) -> None:
    from coordgeo.contacts import contacts, series_contacts

    structures = sorted(coordgeo.read(qsal_cif), key=lambda s: s.temperature)
    names = [f"{s.temperature:g} K" for s in structures]
    expected = series_contacts([contacts(s) for s in structures], names)
    moved = expected[expected["status"] != "unchanged"]
    assert len(moved) >= 1
    index = Page(qsal_site / "index.html")
    page = page_of(qsal_site, index, index.table_starting("Series")[1][0])
    table = page.table_starting("Step")
    assert len(table) - 1 == len(moved)
    for row, r in zip(table[1:], moved.itertuples(), strict=True):
        assert row[:2] == [f"{r.before} → {r.after}", r.contact]
        assert row[3] == r.status
        if r.status == "changed":
            assert_printed(row[6].lstrip("+"), r.delta, r.delta_su)
    unchanged = int((expected["status"] == "unchanged").sum())
    assert f"{unchanged} pairing(s)" in page.all_text


# --- magnetism from a Quantum Design file (issue 18 item 5) ---------------------------------


def test_qsal_magnetism_page_from_an_mpms3_file(qsal_site: Path, qsal_cif: Path) -> None:
    index = Page(qsal_site / "index.html")
    series = page_of(qsal_site, index, index.table_starting("Series")[1][0])
    link = next(h for t, h in series.anchors if t.startswith("magnetism of"))
    page = Page((series.path.parent / urlsplit(link).path).resolve())
    sd = {r[0]: r[1] for r in page.table_starting("Quantity")[1:]}
    t_half = 1e3 * QSAL_SD["dH"] / QSAL_SD["dS"]
    for key, true in (("ΔH", QSAL_SD["dH"]), ("ΔS", QSAL_SD["dS"]), ("T½ = ΔH/ΔS", t_half),
                      ("Γ", 0.0)):  # fmt: skip
        value, su = number(sd[key])
        assert abs(value - true) <= 2.0 * su, (key, sd[key], true)
    # T½ from d(χMT)/dT: a little below ΔH/ΔS for a gradual transition (the docstring of
    # coordgeo.magnetism.t_half_derivative: 1 − 2γ = 2RT/ΔH at the maximum of dγ/dT)
    for branch in ("cooling", "heating"):
        assert t_half - 15 < number(sd[f"T½ at max d(χMT)/dT ({branch})"])[0] < t_half
    # the reader took M from the CIF and said how it made χMT
    assert "from _chemical_formula_weight of data_wp91ltb" in page.all_text
    assert "MPMS3 file" in page.all_text and "χdia = −M/2" in page.all_text
    # γHS of each structure at its temperature, beside γHS of the fit
    gamma = page.table_starting("Structure")
    assert sorted(float(r[1]) for r in gamma[1:]) == [163.0, 230.0, 293.0]
    figures = [u for tag, u in page.links if tag == "img" and u.endswith(".svg")]
    assert len(figures) == 1
    downloads = {u.rsplit("/", 1)[-1] for tag, u in page.links if tag == "a"}
    assert {"chimt_data.csv", "sd_curve.csv", "dchimt_dT.csv", "gamma_hs.csv"} <= downloads
    assert check_links(qsal_site) > 50


def test_404_works_from_file_urls(qsal_site: Path) -> None:
    """MkDocs writes 404.html with root paths (/assets/…): the report makes them relative,
    so the page finds its styles and scripts when opened from the file system."""
    import re

    text = (qsal_site / "404.html").read_text(encoding="utf-8")
    assert re.findall(r'(?:href|src)="/(?!/)', text) == []
    assert '"base": "/"' not in text and 'new URL("/"' not in text
    page = Page(qsal_site / "404.html")
    styles = [u for tag, u in page.links if tag == "link" and u.endswith(".css")]
    assert styles and all((qsal_site / u).is_file() for u in styles)


def test_magnetism_dat_options_on_the_command_line(tmp_path: Path, capsys) -> None:
    """A .dat file without the sample mass: one line and status 2, naming the mass; with
    --mass (and --molar-mass, which the model core's CIF cannot give) the magnetism page
    is written and its fit finds the parameters the file was made from."""
    t = np.concatenate([np.arange(350.0, 80.0, -3.0), np.arange(80.0, 351.0, 3.0)])
    truth = {"dH": 21.87, "dS": 87.46}  # seed 000, Table S6, compound 1
    chi = ideal_sd_chi_mt(t, truth["dH"], truth["dS"], 0.1, 3.4)
    dat = write_mpms3(tmp_path / "c1.dat", t, chi, mass_mg=10.0, molar_mass=900.0,
                      chi_dia=-4.5e-4, header_mass=False, header_molar_mass=False)  # fmt: skip
    base = ["report", str(CIFS[0]), str(CIFS[1]), "--no-build", "--no-pxrd", "--magnetism"]
    assert run_cli(*base, str(dat), "--out", str(tmp_path / "a")) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "sample mass" in err
    out = tmp_path / "b"
    args = [*base, str(dat), "--out", str(out), "--mass", "10", "--molar-mass", "900",
            "--chi-dia", "-4.5e-4"]  # fmt: skip
    assert run_cli(*args) == 0
    (page,) = (out / "docs" / "magnetism").glob("*.md")
    text = page.read_text()
    assert "MPMS3 file" in text and esc("χdia = -0.00045 cm³/mol (given)") in text
    row = next(line for line in text.splitlines() if line.startswith("| ΔH |"))
    value, su = number(html.unescape(row.split("|")[2].strip()))
    assert abs(value - truth["dH"]) <= 2.0 * su + 0.005, row  # noise-free: rounding only
    assert run_cli(*args[:-2], "--chi-dia", "lots") == 2


def test_qsal_series_views_colour_bonds_by_their_change(qsal_site: Path, qsal_cif: Path) -> None:
    """The 3D sphere on the series page: each Fe–L bond coloured by Δd = d(293 K) −
    d(163 K) of the CIFs' own _geom_bond values (LS → HS: every bond longer, so red; the
    longest change deepest), the value in the bond's text."""
    structures = sorted(coordgeo.read(qsal_cif), key=lambda s: s.temperature)
    first, last = (
        si_table(s, sphere_geometry(s, coordination_spheres(s)))[0].set_index("label")
        for s in (structures[0], structures[-1])
    )
    index = Page(qsal_site / "index.html")
    page = page_of(qsal_site, index, index.table_starting("Series")[1][0])
    sphere = next(v for v in page.viewers if len(v["atoms"]) == 7)
    complexes = [v for v in page.viewers if len(v["atoms"]) > 7]
    assert len(complexes) == 1 and len(complexes[0]["bonds"]) >= 70
    labels = [a["l"] for a in sphere["atoms"]]
    changes = {}
    for i, j, colour, text in sphere["bonds"]:
        bond = f"{labels[i]}-{labels[j]}"
        delta = last.loc[bond, "value"] - first.loc[bond, "value"]
        red, blue = int(colour[1:3], 16), int(colour[5:7], 16)
        assert delta > 0 and red > blue, (bond, delta, colour)
        shown = text.split("=")[-1].strip().removesuffix(" Å")
        assert shown.startswith("+"), text
        # the view takes Δd from the coordinates; the CIFs print each d to 0.001 Å, so
        # their difference is within 0.001 Å, and the shown value is rounded to 0.001 Å
        assert abs(number(shown[1:])[0] - delta) <= 0.0015 + 1e-9, (bond, text, delta)
        changes[bond] = (delta, red - blue)
    largest = max(changes, key=lambda b: changes[b][0])
    assert changes[largest][1] == max(c for _, c in changes.values())


def test_report_fits_as_fit_sd_does_with_two_steps_and_tip(tmp_path: Path, capsys) -> None:
    """``report --magnetism … --steps 2 --tip`` fits as ``coordgeo fit-sd --steps 2 --tip``
    does (one fit function, one table): both models on the page, the two-step one first
    with the steps the curve was made from, the AIC/BIC comparison, and the same rows as
    fit-sd prints. The curve: tests/test_magnetism.py's two-site curve (ΔH₁ 14.0 kJ/mol,
    ΔS₁ 95.0 → T½₁ = 14000/95 = 147.4 K; ΔH₂ 22.0, ΔS₂ 88.0 → T½₂ = 22000/88 = 250.0 K;
    half of the iron each), γ from an independent brute-force solver, 1 % noise."""
    from test_magnetism import STEP1, STEP2, two_step_curve

    data = two_step_curve(0)
    csv = tmp_path / "two.csv"
    data[["temperature_K", "chi_mt"]].to_csv(csv, index=False, header=["T", "chiMT"])
    out = tmp_path / "site"
    args = ["report", str(CIFS[0]), str(CIFS[1]), "--no-build", "--no-pxrd",
            "--magnetism", str(csv), "--out", str(out), "--steps", "2", "--tip"]  # fmt: skip
    assert run_cli(*args) == 0, capsys.readouterr().err
    capsys.readouterr()
    (page,) = (out / "docs" / "magnetism").glob("*.md")
    text = html.unescape(page.read_text())
    assert "## Slichter–Drickamer fits" in text
    assert "two-step fit of χMT(T)" in text and "one-step fit of χMT(T)" in text
    rows = {}
    for line in text.splitlines():  # the first table with a row wins: the two-step one
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| ") and len(cells) >= 2:
            rows.setdefault(cells[0], cells[1:])
    for step, (dH, dS, _) in ((1, STEP1), (2, STEP2)):
        value, su = number(rows[f"step {step}: T½"][0])
        assert abs(value - 1e3 * dH / dS) <= 3 * su, (step, value, su)
    assert "TIP" in rows
    # the comparison: two-step first (ΔAIC 0), the one-step fit far behind
    # (cells: parameters, reduced χ², AIC, BIC, ΔAIC, ΔBIC)
    assert rows["two-step"][4] == "0.0" and float(rows["one-step"][4]) > 100
    # the same function makes fit-sd's table: its rows are the page's two-step rows
    assert run_cli("fit-sd", str(csv), "--steps", "2", "--tip", "-f", "csv") == 0
    printed = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert printed["model_name"].tolist() == ["one-step", "two-step"]
    two = printed.iloc[1]
    assert number(rows["step 2: T½"][0])[0] == pytest.approx(two["T2_half_K"], abs=0.05)
    # the CSV of fitted parameters holds both models
    fits = pd.read_csv(next((out / "docs" / "magnetism").glob("*/sd_fit.csv")))
    assert sorted(fits["model_name"]) == ["one-step", "two-step"]


def test_qsal_structure_pages_show_halcrow_phi_from_the_authors_angle(
    qsal_site: Path, qsal_cif: Path
) -> None:
    """The parameters table of each qsal page has Halcrow's φ (the two meridional N,N,O
    ligands): the authors' N1–Fe1–N21 of the CIF (176.2(4), 165.3(3), 175.2(3)°) within
    half a digit and a quarter su, with its definition under the table; the shipped
    seed-000 core (two bidentate ligands) has no such row (tests/test_halcrow_sites.py)."""
    index = Page(qsal_site / "index.html")
    published = {"wp91ltb": (176.2, 0.4), "wp91-rt2": (165.3, 0.3), "wp91-mt2": (175.2, 0.3)}
    for s in coordgeo.read(qsal_cif):
        page = page_of(qsal_site, index, s.block)
        table = page.table_starting("Parameter")
        rows = {r[0]: r[1:] for r in table[1:]}
        value, su = number(rows["φ (Halcrow) [°]"][0])
        true, true_su = published[s.block]
        assert abs(value - true) <= 0.05 + 0.25 * true_su, (s.block, value)
        assert 0.5 * true_su <= su <= 1.5 * true_su, (s.block, su)
        assert "θ (Halcrow) [°]" in rows and "τ4" not in " ".join(rows)  # CN 6: no τ4
        assert "Halcrow, Coord. Chem. Rev. 2009" in page.all_text


def test_cifs_structure_pages_have_no_halcrow_rows(cifs_site: Path) -> None:
    index = Page(cifs_site / "index.html")
    for block in ("seed000_compound1_100K_core", "seed000_compound1_290K_core"):
        page = page_of(cifs_site, index, block)
        assert "φ (Halcrow)" not in page.all_text
