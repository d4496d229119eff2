"""The report of the qsal series in headless Chromium, offline (issue 19 item 5).

The report of ``../shared/cifs/spin-crossover/`` (three structures of one compound, with
χMT(T) from an MPMS3 ``.dat`` file made by :mod:`support.qd_files`) is opened from
``file://`` in Chromium with name resolution mapped to nothing (:mod:`support.chromium`)
and a 1400 px wide window. On every page: nothing is requested from elsewhere and no
local file is missing; every 3D view (3Dmol.js, shipped with the site) is drawn — its
canvas holds the molecule (non-transparent pixels in the colours of its atoms); the page
reports no error on the console; and no table is cut horizontally (``scrollWidth ≤
clientWidth`` of each table and of the boxes Material puts around it). The search finds
pages from ``file://``. A control shows that each check can fail: an empty view, a table
too wide and a console error are each caught.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from coordgeo.report import build_report

from support.chromium import start as start_chromium
from support.qd_files import qsal_dat

WIDTH = 1400  # px, the width the issue names
#: A drawn view: at least this share of the canvas is covered by atoms and bonds (the
#: qsal sphere covers ~4 %, its complex ~10 %; an empty view 0).
MIN_COVERED = 0.01

VIEWERS = "document.querySelectorAll('figure[data-viewer]')"
#: Each table and the boxes around it (Material wraps tables in .md-typeset__table and
#: .md-typeset__scrollwrap, which scrolls): [first cell, widest overflow in px].
CUT_TABLES = """[...document.querySelectorAll('article table')].map(t => {
  const boxes = [t, t.closest('.md-typeset__table'), t.closest('.md-typeset__scrollwrap')]
    .filter(Boolean);
  return [t.rows[0] ? t.rows[0].cells[0].textContent.trim() : '',
          Math.max(...boxes.map(b => b.scrollWidth - b.clientWidth))];
}).filter(([_, over]) => over > 1)"""


@pytest.fixture(scope="module")
def site(tmp_path_factory, qsal_cif: Path) -> Path:
    root = tmp_path_factory.mktemp("qsal-browser")
    report = build_report([qsal_cif], root / "out", magnetism=[qsal_dat(root, qsal_cif)])
    assert report.errors == () and report.html_dir is not None
    return report.html_dir


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    browser = start_chromium(tmp_path_factory.mktemp("profile"), width=WIDTH, height=1000)
    yield browser
    browser.close()


def is_remote(url: str) -> bool:
    return url.startswith("//") or urlsplit(url).scheme not in ("", "file", "data", "blob")


def draw_views(chromium) -> list[float]:
    """Scroll each 3D view into sight (they are drawn when seen), wait until it is drawn
    and return the share of its canvas that is not transparent."""
    covered = []
    for k in range(chromium.evaluate(f"{VIEWERS}.length")):
        chromium.evaluate(f"{VIEWERS}[{k}].scrollIntoView()")
        state = chromium.wait_for(
            f"(s => s && s !== 'loading' ? s : '')({VIEWERS}[{k}].dataset.state)"
        )
        assert state == "ready", (k, state)
        pixels = chromium.canvas_pixels(f"{VIEWERS}[{k}]")
        assert pixels is not None, k
        drawn = pixels[..., 3] > 0
        covered.append(float(drawn.mean()))
        # atoms in their colours, not one blot: several distinct colours drawn
        colours = {tuple(c) for c in (pixels[drawn][:, :3] // 32).tolist()}
        assert len(colours) >= 4, (k, len(colours))
    return covered


def test_qsal_report_offline_in_chromium(site: Path, chromium, report_figure) -> None:
    pages = sorted(site.rglob("*.html"))
    names = {p.relative_to(site).as_posix() for p in pages}
    assert {"index.html", "404.html", "structures/wp91ltb.html"} <= names
    assert any(n.startswith("series/") for n in names)
    assert any(n.startswith("magnetism/") for n in names)
    views = 0
    for page in pages:
        where = page.relative_to(site).as_posix()
        start = chromium.load(page.as_uri())
        covered = draw_views(chromium)
        views += len(covered)
        assert all(c >= MIN_COVERED for c in covered), (where, covered)
        requests = chromium.requests(start)
        assert [u for u in requests if is_remote(u)] == [], where
        assert any(u.endswith("/3Dmol-min.js") for u in requests), where
        assert chromium.failed_loads(start) == [], where
        assert chromium.console_errors(start) == [], where
        assert chromium.evaluate(CUT_TABLES) == [], where
        # the page is styled (Material's stylesheet found, also on the 404 page)
        assert chromium.evaluate(
            "getComputedStyle(document.querySelector('.md-header')).position"
        ) in ("sticky", "fixed"), where
    # three structure pages (a sphere and a complex each), the series (both coloured by
    # their change across the series)
    assert views >= 8
    report_figure(f"report browser: {len(pages)} pages, {views} 3D views drawn offline")


def test_search_from_file_finds_pages(site: Path, chromium) -> None:
    for word, page in (("wp91ltb", "wp91ltb"), ("slippage", "wp91")):
        titles = chromium.search(site / "index.html", word)
        assert any(page in t for t in titles), (word, titles)


def test_each_check_can_fail(site: Path, chromium) -> None:
    """Control: an empty view covers nothing, a table too wide is found cut, and a console
    error is seen, on a real page of the report."""
    start = chromium.load((site / "structures" / "wp91ltb.html").as_uri())
    # a view without atoms: drawn (state ready) but its canvas stays transparent
    chromium.evaluate(
        "(() => { const f = document.querySelector('figure[data-viewer]');"
        ' const g = f.cloneNode(false); g.dataset.viewer = btoa(\'{"atoms":[],"bonds":[]}\');'
        " g.id = 'empty-view'; document.querySelector('article').prepend(g); })()"
    )
    # the viewer script draws figures as they come into sight: only those present at load
    assert chromium.evaluate("document.getElementById('empty-view').dataset.state") is None
    chromium.evaluate(
        "(() => { const s = document.createElement('script');"
        " s.src = document.querySelector('script[src$=\"viewer.js\"]').src;"
        " document.body.append(s); })()"
    )
    state = chromium.wait_for("document.getElementById('empty-view').dataset.state === 'ready'")
    assert state
    pixels = chromium.canvas_pixels("document.getElementById('empty-view')")
    assert pixels is not None and float((pixels[..., 3] > 0).mean()) < MIN_COVERED
    # a table with a number too wide for the page
    chromium.evaluate(
        "(() => { const t = document.querySelector('article table').cloneNode(true);"
        " t.rows[1].cells[1].style.textAlign = 'right';"
        " t.rows[1].cells[1].textContent = '1.234(5)'.repeat(200);"
        " document.querySelector('article').append(t); })()"
    )
    assert len(chromium.evaluate(CUT_TABLES)) == 1
    chromium.evaluate("console.error('control')")
    deadline = 50
    while not chromium.console_errors(start) and deadline:
        deadline -= 1
        chromium.evaluate("0")
    assert chromium.console_errors(start) == ["control"]
